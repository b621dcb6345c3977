/* frame_device.c: the net module's FrameDevice, over the platform's frames.
 *
 * A FrameDevice hands whole Ethernet frames to the program, which brings its
 * own protocol stack (written in Cleave). Where the frames come from is the
 * platform's business (platform.h: frame I/O; on Linux a TAP interface or a
 * capture, netif/frame.c); this is the thin layer the generated code calls,
 * which copies each frame received into the iteration's region, so the
 * program owns what it reads.
 */
#include "cleave.h"

cl_frame_device *cl_frame_device_open(cl_bytes tap_name) {
    cl_frame_device *d = cl_state_alloc(sizeof *d);
    char name[64];
    size_t n = tap_name->count < (int64_t)sizeof name - 1 ? (size_t)tap_name->count : sizeof name - 1;
    memcpy(name, tap_name->data, n);
    name[n] = '\0';
    d->frames = cl_platform_frames_open(name);
    return d;
}

cl_frame_device *cl_frame_device_open_link(void) {
    cl_frame_device *d = cl_state_alloc(sizeof *d);
    d->frames = cl_platform_frames_open_link();
    return d;
}

bool cl_frame_device_receive(cl_frame_device *d, cl_bytes *frame) {
    const uint8_t *data;
    size_t length;
    if (!cl_platform_frames_receive(d->frames, &data, &length)) return false;
    *frame = cl_bytes_from(data, length);
    return true;
}

void cl_frame_device_send(cl_frame_device *d, cl_bytes frame) {
    cl_platform_frames_send(d->frames, frame->data, (size_t)frame->count);
}

int32_t cl_frame_device_fd(cl_frame_device *d) { return (int32_t)cl_platform_frames_fd(d->frames); }

int64_t cl_frame_device_now(cl_frame_device *d) { return cl_platform_frames_clock(d->frames); }

void cl_frame_device_wait(cl_frame_device *d, int32_t milliseconds) { cl_platform_frames_wait(d->frames, milliseconds); }

cl_bytes cl_frame_device_mac(cl_frame_device *d) { return cl_bytes_from(cl_platform_frames_link(d->frames)->mac, 6); }

uint32_t cl_frame_device_address(cl_frame_device *d) { return cl_platform_frames_link(d->frames)->address; }

int64_t cl_frame_device_prefix_length(cl_frame_device *d) { return cl_platform_frames_link(d->frames)->prefix_length; }

uint32_t cl_frame_device_gateway(cl_frame_device *d) { return cl_platform_frames_link(d->frames)->gateway; }

void cl_frame_device_listening(cl_frame_device *d, cl_buf *ports) {
    (void)d;
    for (int64_t i = 0; ports && i < ports->count; i++) {
        int64_t port;
        memcpy(&port, ports->data + i * (int64_t)sizeof port, sizeof port);
        cl_text line = {.length = 0};
        cl_text_append(&line, cl_program_name);
        cl_text_append(&line, ": listening on UDP port ");
        cl_text_append_int(&line, port);
        cl_text_append(&line, "\n");
        cl_platform_write(CL_CONSOLE_ERR, line.text, line.length);
    }
}

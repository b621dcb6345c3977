/* image.c: platform.h for a bootable image.
 *
 * The console is the serial port (serial.c), both streams. The way out is QEMU's
 * isa-debug-exit device at I/O port 0xf4 (`-device isa-debug-exit,iobase=0xf4,iosize=0x04`):
 * writing a value there ends QEMU with exit status (value << 1) | 1. The image writes
 * 0x10 | status, so that a clean end or a stop (0) is 33, a trap (1) is 35 and a bad start
 * (2) is 37, none of them a status QEMU gives for its own failures; `cleave run --target
 * image` turns them back (Sources/CleaveDriver/ImageRun.swift). Without that device the image says so and halts. Memory is memory.c's,
 * the clock clock.c's, and frames are virtio-net's (virtio.c). A stop is asked for at the
 * console (serial.c: Ctrl-C), and the counters are said on every way out.
 */
#include "core/link.h"
#include "image/image.h"

#define DEBUG_EXIT_PORT 0xf4

struct cl_frames {
    cl_virtio_net *nic;
    cl_link_config link;
    char name[12];
};

static cl_frames opened[CL_IMAGE_NETIFS];
static int opened_count;

void cl_platform_write(int stream, const void *data, size_t length) {
    (void)stream;
    cl_serial_write(data, length);
}

_Noreturn void cl_image_halt(void) {
    for (;;) __asm__ volatile("cli; hlt");
}

_Noreturn void cl_platform_exit(int status) {
    cl_outl(DEBUG_EXIT_PORT, 0x10u | (uint32_t)status);
    /* Still here: QEMU has no isa-debug-exit device. */
    static const char message[] = "cleave image: halted (add -device isa-debug-exit,iobase=0xf4,iosize=0x04 to end QEMU)\n";
    cl_serial_write(message, sizeof message - 1);
    cl_image_halt();
}

uint64_t cl_platform_clock(void) { return cl_clock_ns(); }

void *cl_platform_alloc(size_t size) { return cl_malloc(size); }

void *cl_platform_alloc_zeroed(size_t count, size_t size) { return cl_calloc(count, size); }

void *cl_platform_resize(void *block, size_t size) { return cl_realloc(block, size); }

void cl_platform_free(void *block) { cl_free(block); }

static _Noreturn void cannot_open(const cl_image_netif *spec, const char *why) {
    const char *parts[] = {cl_program_name, spec ? ": --netif '" : ": cannot open a network device", spec ? spec->text : "",
                           spec ? "'" : "", ": ", why, "\n"};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) cl_serial_write(parts[i], strlen(parts[i]));
    cl_platform_exit(2);
}

/* The next device the program creates: the next --netif's (or the next virtio-net). */
static cl_frames *open_next(const cl_image_netif **spec_out) {
    if (opened_count == CL_IMAGE_NETIFS) cannot_open(NULL, "the program creates more than 8 network devices");
    const cl_image_netif *spec = opened_count < cl_image_netif_count ? &cl_image_netifs[opened_count] : NULL;
    int index = spec && spec->device >= 0 ? spec->device : opened_count;
    const char *why = NULL;
    cl_virtio_net *nic = cl_virtio_net_open(index, &why);
    if (!nic) cannot_open(spec, why);
    cl_frames *f = &opened[opened_count++];
    f->nic = nic;
    char *o = f->name;
    memcpy(o, "virtio", 6), o += 6;
    if (index >= 10) *o++ = (char)('0' + index / 10);
    *o++ = (char)('0' + index % 10);
    *o = 0;
    *spec_out = spec;
    return f;
}

cl_frames *cl_platform_frames_open(const char *name) {
    (void)name; /* an interface of the host: an image has virtio-net devices instead */
    const cl_image_netif *spec;
    cl_frames *f = open_next(&spec);
    if (spec && spec->has_address) f->link = spec->link;
    if (!(spec && spec->has_mac)) cl_virtio_net_mac(f->nic, f->link.mac);
    return f;
}

cl_frames *cl_platform_frames_open_link(void) {
    const cl_image_netif *spec;
    cl_frames *f = open_next(&spec);
    if (spec && spec->has_address) {
        f->link = spec->link;
    } else {
        f->link = (cl_link_config){.address = 0x0a00020f, .prefix_length = 24, .gateway = 0x0a000202};
    }
    if (!(spec && spec->has_mac)) cl_virtio_net_mac(f->nic, f->link.mac);
    cl_text line = {.length = 0};
    cl_text_append(&line, cl_program_name);
    cl_text_append(&line, ": Cleave's stack on ");
    cl_text_append(&line, f->name);
    cl_text_append(&line, ": ");
    cl_link_describe(&f->link, &line);
    cl_text_append(&line, "\n");
    cl_serial_write(line.text, line.length);
    return f;
}

int cl_platform_frames_receive(cl_frames *frames, const uint8_t **frame, size_t *length) {
    cl_image_ready();
    cl_serial_poll_keys();
    if (cl_stop_requested()) cl_stop_now();
    if (!cl_virtio_net_receive(frames->nic, frame, length)) return 0;
    cl_count(CL_COUNT_RECEIVED, 1);
    return 1;
}

void cl_platform_frames_send(cl_frames *frames, const uint8_t *frame, size_t length) {
    cl_count(cl_virtio_net_send(frames->nic, frame, length) ? CL_COUNT_SENT : CL_COUNT_SEND_FAILED, 1);
}

int cl_platform_frames_fd(const cl_frames *frames) {
    (void)frames;
    return -1;
}

int64_t cl_platform_frames_clock(const cl_frames *frames) {
    (void)frames;
    return (int64_t)(cl_clock_ns() / 1000000u);
}

const cl_link_config *cl_platform_frames_link(const cl_frames *frames) { return &frames->link; }

static bool frames_ready(void *frames) {
    cl_serial_poll_keys();
    return cl_virtio_net_pending(((cl_frames *)frames)->nic) || cl_stop_requested();
}

/* Until the device has a frame, the console a stop, or the time is up (idle.c: spinning, then
 * halting between the APIC timer's ticks). */
void cl_platform_frames_wait(cl_frames *frames, int32_t milliseconds) {
    if (milliseconds == 0) return;
    uint64_t deadline = milliseconds < 0 ? UINT64_MAX : cl_clock_ns() + (uint64_t)milliseconds * 1000000u;
    cl_idle_wait(frames_ready, frames, deadline);
}

void cl_platform_start(void) { cl_at_shutdown(cl_print_counters); }

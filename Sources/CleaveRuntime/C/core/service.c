/* service.c: the process around a hosted Cleave service.
 *
 * The net module's devices: a thin layer over the netifs (netif.h) that
 * copies each received payload into the iteration's region, so the program
 * owns what it reads; and the clean way out at the end of the input. The
 * process's `main` is service_main.c's (one process) or component.c's (one
 * component of the isolated target).
 *
 * The way out is _exit, which skips what atexit registered, the sanitizer's
 * leak check among them: a build with AddressSanitizer asks for that check
 * itself. Everything the service still holds (its states, their heaps, the
 * regions) is reachable then; a block nothing reaches any more is a leak, and
 * the check reports it and ends the process with a failure.
 */
#include <stdio.h>
#include <unistd.h>

#include "cleave.h"

#if CL_ASAN
#include <sanitizer/lsan_interface.h>
#endif

void (*cl_set_up_end_hook)(void);

void cl_set_up_end(void) {
    void (*hook)(void) = cl_set_up_end_hook;
    cl_set_up_end_hook = NULL;
    if (hook) hook();
}

_Noreturn void cl_exit_clean(void) {
    (void)cl_components_input_ended(); /* in a projected program: the others finish first */
    cl_shutdown();
    cl_print_counters();
    fflush(stdout);
    fflush(stderr);
#if CL_ASAN
    __lsan_do_leak_check(); /* nothing where leak checking is off (the sandboxed processes) */
#endif
    _exit(0);
}

cl_udp_device *cl_udp_device_open(const int64_t *ports, size_t count) {
    cl_udp_device *d = cl_state_alloc(sizeof *d);
    d->netif = cl_netif_open(ports, count);
    return d;
}

void cl_udp_device_receive(cl_udp_device *d, cl_bytes *payload, int64_t *port, uint32_t *peer_address, uint16_t *peer_port) {
    cl_packet p;
    int got = cl_netif_receive(d->netif, &p);
    if (got == 0) cl_exit_clean();
    if (got < 0) { /* the iteration is abandoned: no datagram */
        *payload = cl_bytes_empty();
        *port = 0;
        *peer_address = 0;
        *peer_port = 0;
        return;
    }
    *payload = cl_bytes_from(p.payload, p.length);
    *port = p.port;
    *peer_address = p.peer_address;
    *peer_port = p.peer_port;
}

bool cl_udp_device_read_ahead(cl_udp_device *d) {
    if (!cl_ahead_room() || !cl_netif_ready(d->netif)) return false;
    cl_count(CL_COUNT_READ_AHEAD, 1); /* asked only to read ahead, which it now will */
    return true;
}

void cl_udp_device_send(cl_udp_device *d, cl_bytes payload, int64_t port, uint32_t peer_address, uint16_t peer_port) {
    cl_packet p = {.payload = payload->data, .length = (size_t)payload->count, .port = port,
        .peer_address = peer_address, .peer_port = peer_port};
    cl_netif_send(d->netif, &p);
}

cl_frame_device *cl_frame_device_open(cl_bytes tap_name) {
    cl_frame_device *d = cl_state_alloc(sizeof *d);
    char name[64];
    size_t n = tap_name->count < (int64_t)sizeof name - 1 ? (size_t)tap_name->count : sizeof name - 1;
    memcpy(name, tap_name->data, n);
    name[n] = '\0';
    d->frames = cl_frames_open(name);
    return d;
}

bool cl_frame_device_receive(cl_frame_device *d, cl_bytes *frame) {
    const uint8_t *data;
    size_t length;
    if (!cl_frames_next(d->frames, &data, &length)) return false;
    *frame = cl_bytes_from(data, length);
    return true;
}

void cl_frame_device_send(cl_frame_device *d, cl_bytes frame) {
    cl_frames_write(d->frames, frame->data, (size_t)frame->count);
}

int32_t cl_frame_device_fd(cl_frame_device *d) { return (int32_t)cl_frames_fd(d->frames); }

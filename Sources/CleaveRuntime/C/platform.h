/* platform.h: what the runtime needs of the machine it runs on.
 *
 * The core of the runtime (core/) reaches the world outside the program only
 * through these functions: a console, the way out, a clock, memory, the
 * Ethernet frames of a FrameDevice, and the start of a service process. A
 * platform implements every one of them. hosted/ is the platform of a Linux
 * process (hosted/platform.c; its frames come from netif/: a TAP interface or
 * a capture, as --netif says); a bootable image will be another, beside it.
 *
 * Any folder of the runtime may call these functions; only a platform defines
 * them. That is what lets the core sit below everything else: it calls down
 * into the platform's interface, never up into the code that implements it.
 */
#ifndef CLEAVE_PLATFORM_H
#define CLEAVE_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

/* ---- console ------------------------------------------------------------- */

enum { CL_CONSOLE_OUT = 1, CL_CONSOLE_ERR = 2 };

/* Write `length` bytes to a console stream, all of them unless the stream fails.
 * Safe in a signal handler; leaves errno as it was. */
void cl_platform_write(int stream, const void *data, size_t length);

/* ---- exit ---------------------------------------------------------------- */

/* End the process with `status`: 0 a clean end or a stop, 1 a trap, 2 a problem
 * with how it was started. What must be finished first has been (core/service.c:
 * cl_shutdown); nothing else registered to run at exit runs. At 0, buffered output
 * is flushed first, and a build with AddressSanitizer checks for leaks. */
_Noreturn void cl_platform_exit(int status);

/* ---- clock --------------------------------------------------------------- */

/* Nanoseconds from an arbitrary start, on a clock that never goes back. */
uint64_t cl_platform_clock(void);

/* ---- memory -------------------------------------------------------------- */

/* Blocks for the runtime's heaps, regions and tables, as C's malloc, calloc,
 * realloc and free hand them out (aligned for any value); NULL when memory is
 * exhausted. */
void *cl_platform_alloc(size_t size);
void *cl_platform_alloc_zeroed(size_t count, size_t size);
void *cl_platform_resize(void *block, size_t size);
void cl_platform_free(void *block);

/* ---- frame I/O ------------------------------------------------------------ */

/* The Ethernet frames of the net module's FrameDevice (core/frame_device.c). */
typedef struct cl_frames cl_frames;

/* The frames of the next FrameDevice the program creates: on the interface `name`
 * the source gives, unless the platform was told otherwise (hosted: --netif).
 * Never NULL: a platform that cannot open it says why and exits with status 2. */
cl_frames *cl_platform_frames_open(const char *name);
/* Never waits: 1 and the frame (valid until the next call), or 0 when none is
 * waiting. Frames are counted (core's counters) as received and sent. */
int cl_platform_frames_receive(cl_frames *frames, const uint8_t **frame, size_t *length);
void cl_platform_frames_send(cl_frames *frames, const uint8_t *frame, size_t length);
/* A descriptor the program can wait on for frames (poll), or -1 when there is none. */
int cl_platform_frames_fd(const cl_frames *frames);
/* Milliseconds on the frames' clock, which never goes back: the machine's, or a replayed
 * capture's own (the time of the frame received last). */
int64_t cl_platform_frames_clock(const cl_frames *frames);
/* The frames of the next FrameDevice the program creates for its own stack (a UdpDevice
 * built on Cleave's stack): the link the platform was given, with the addresses the stack
 * takes (hosted: --netif tap:NAME,ip=A/LEN,gw=G,mac=M; by default the interface cleave0 with
 * 10.0.2.15/24 and gateway 10.0.2.2). Never NULL, as cl_platform_frames_open. */
cl_frames *cl_platform_frames_open_link(void);
/* The addresses of a link: IPv4 in host order (0: none given), the prefix length, the
 * gateway (0: none), and the Ethernet address. */
typedef struct cl_link_config {
    uint32_t address;
    int32_t prefix_length;
    uint32_t gateway;
    uint8_t mac[6];
} cl_link_config;
const cl_link_config *cl_platform_frames_link(const cl_frames *frames);
/* Until a frame may be waiting or `milliseconds` have passed, or a stop is asked for;
 * at once when there is nothing to wait on (a replayed capture). */
void cl_platform_frames_wait(cl_frames *frames, int32_t milliseconds);

/* ---- start ---------------------------------------------------------------- */

/* Once, first thing in the main of a service's process: how the platform asks the
 * service to stop (core's cl_request_stop) and says its counters, on every way out
 * and when asked. Hosted: SIGINT and SIGTERM stop it, SIGUSR1 prints the counters. */
void cl_platform_start(void);

#endif

/* platform.c: platform.h for a Linux process.
 *
 * The console is standard output and error, written with write(2) (safe in a
 * signal handler, no stdio buffer to lose); memory is the C library's
 * malloc; the clock is CLOCK_MONOTONIC; frames come from the netifs (a TAP
 * interface or a capture, netif/frame.c, as --netif says); the start is
 * signals.c's.
 *
 * The way out is _exit, which skips what atexit registered, the sanitizer's
 * leak check among them: at a clean end (status 0), a build with
 * AddressSanitizer asks for that check itself. Everything the service still
 * holds (its states, their heaps, the regions) is reachable then; a block
 * nothing reaches any more is a leak, and the check reports it and ends the
 * process with a failure.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "netif/netif.h"

#if CL_ASAN
#include <sanitizer/lsan_interface.h>
#endif

void cl_platform_write(int stream, const void *data, size_t length) {
    int saved_errno = errno;
    int fd = stream == CL_CONSOLE_OUT ? STDOUT_FILENO : STDERR_FILENO;
    const char *bytes = data;
    for (size_t done = 0; done < length;) {
        ssize_t n = write(fd, bytes + done, length - done);
        if (n > 0) done += (size_t)n;
        else if (n < 0 && errno == EINTR) continue;
        else break;
    }
    errno = saved_errno;
}

_Noreturn void cl_platform_exit(int status) {
    if (status == 0) {
        fflush(stdout);
        fflush(stderr);
#if CL_ASAN
        __lsan_do_leak_check(); /* nothing where leak checking is off (the sandboxed processes) */
#endif
    }
    _exit(status);
}

uint64_t cl_platform_clock(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

void *cl_platform_alloc(size_t size) { return malloc(size); }

void *cl_platform_alloc_zeroed(size_t count, size_t size) { return calloc(count, size); }

void *cl_platform_resize(void *block, size_t size) { return realloc(block, size); }

void cl_platform_free(void *block) { free(block); }

cl_frames *cl_platform_frames_open(const char *name) { return cl_frames_open(name); }

int cl_platform_frames_receive(cl_frames *frames, const uint8_t **frame, size_t *length) {
    return cl_frames_next(frames, frame, length);
}

void cl_platform_frames_send(cl_frames *frames, const uint8_t *frame, size_t length) { cl_frames_send(frames, frame, length); }

int cl_platform_frames_fd(const cl_frames *frames) { return cl_frames_fd(frames); }

int64_t cl_platform_frames_clock(const cl_frames *frames) { return cl_frames_clock(frames); }

cl_frames *cl_platform_frames_open_link(void) { return cl_frames_open_link(); }

const cl_link_config *cl_platform_frames_link(const cl_frames *frames) { return cl_frames_link(frames); }

void cl_platform_frames_wait(cl_frames *frames, int32_t milliseconds) { cl_frames_wait(frames, milliseconds); }

/* trap.c: stopping a service that reached an impossible state.
 *
 * Integer overflow, an index out of range, unwrapping nil and fatalError all
 * end here: the message names the Cleave source location, the shutdown hooks
 * run (service.c: captures being written are completed, the counters said),
 * and the process exits with status 1 (0 is a clean end, 2 a problem with how
 * it was started).
 *
 * The message is written with the platform's console write, in one piece when
 * it fits a buffer (as stdio would write it), so that the lines of several
 * processes of one service do not interleave.
 */
#include <stdio.h>

#include "cleave.h"

static void put(char *buffer, size_t *length, size_t capacity, const char *text) {
    size_t n = strlen(text);
    if (*length + n <= capacity) memcpy(buffer + *length, text, n);
    *length += n;
}

_Noreturn void cl_trap(const char *where, const char *message) {
    char text[8192];
    size_t length = 0;
    put(text, &length, sizeof text, where);
    put(text, &length, sizeof text, ": fatal error: ");
    put(text, &length, sizeof text, message);
    put(text, &length, sizeof text, "\n");
    if (length <= sizeof text) {
        cl_platform_write(CL_CONSOLE_ERR, text, length);
    } else {
        cl_platform_write(CL_CONSOLE_ERR, where, strlen(where));
        cl_platform_write(CL_CONSOLE_ERR, ": fatal error: ", 15);
        cl_platform_write(CL_CONSOLE_ERR, message, strlen(message));
        cl_platform_write(CL_CONSOLE_ERR, "\n", 1);
    }
    cl_shutdown();
    cl_platform_exit(1);
}

_Noreturn void cl_trap_index(const char *where, int64_t i, int64_t count) {
    char message[120];
    snprintf(message, sizeof message, "index out of range: %lld, but the count is %lld", (long long)i, (long long)count);
    cl_trap(where, message);
}

_Noreturn void cl_trap_bytes(const char *where, cl_bytes message) {
    char text[512];
    size_t n = message->count < (int64_t)sizeof text - 1 ? (size_t)message->count : sizeof text - 1;
    memcpy(text, message->data, n);
    text[n] = 0;
    cl_trap(where, text);
}

void cl_print(cl_bytes line) {
    cl_platform_write(CL_CONSOLE_ERR, line->data, (size_t)line->count);
    cl_platform_write(CL_CONSOLE_ERR, "\n", 1);
}

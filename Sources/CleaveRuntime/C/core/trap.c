/* trap.c: stopping a service that reached an impossible state.
 *
 * Integer overflow, an index out of range, unwrapping nil and fatalError all
 * end here: the message names the Cleave source location, the netif counters
 * follow, captures being written are completed, and the process exits with
 * status 1 (0 is a clean end, 2 a problem with how it was started).
 *
 * What must be finished on every way out (captures being written) registers
 * a shutdown hook; the trap runs them, so this file needs nothing else of the
 * runtime, and a component without devices carries no netif code.
 */
#include <stdio.h>
#include <unistd.h>

#include "cleave.h"

#define CL_SHUTDOWN_HOOKS 8

static void (*shutdown_hooks[CL_SHUTDOWN_HOOKS])(void);
static int shutdown_hook_count;

void cl_at_shutdown(void (*hook)(void)) {
    for (int i = 0; i < shutdown_hook_count; i++)
        if (shutdown_hooks[i] == hook) return;
    if (shutdown_hook_count < CL_SHUTDOWN_HOOKS) shutdown_hooks[shutdown_hook_count++] = hook;
}

void cl_shutdown(void) {
    /* Each hook runs once, even when a hook itself ends the process (a trap while closing). */
    while (shutdown_hook_count > 0) shutdown_hooks[--shutdown_hook_count]();
}

_Noreturn void cl_trap(const char *where, const char *message) {
    fprintf(stderr, "%s: fatal error: %s\n", where, message);
    fflush(stderr);
    cl_shutdown();
    cl_print_counters();
    _exit(1);
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
    fwrite(line->data, 1, (size_t)line->count, stderr);
    fputc('\n', stderr);
}

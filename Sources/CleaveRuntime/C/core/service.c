/* service.c: the life of a service process, as the core sees it.
 *
 * A service sets up (main before its loop), then serves; cl_set_up_end marks
 * the moment, and whoever needs to act there sets a hook (the isolated target
 * loads a component's sandbox). It ends in one of three ways: a trap
 * (trap.c, exit 1), the end of its input (cl_exit_clean, exit 0) or a stop
 * asked for from outside (cl_stop_now, exit 0). Whatever must be finished on
 * every way out (captures being written, the counters said) registers a
 * shutdown hook, and each way out runs them before the platform ends the
 * process (platform.h: cl_platform_exit). So the core needs nothing of the
 * code above it: the netifs and the platform register what they need.
 *
 * A stop is only asked for where it comes from (a signal handler, on a hosted
 * platform): cl_request_stop sets a flag, which is all a handler may do. What
 * waits for input looks at the flag and stops there (netif/netif.c; a
 * component's wait on a peer, isolated/component.c), where stopping is safe.
 */
#include <stdatomic.h>

#include "cleave.h"

void (*cl_set_up_end_hook)(void);

void cl_set_up_end(void) {
    void (*hook)(void) = cl_set_up_end_hook;
    cl_set_up_end_hook = NULL;
    if (hook) hook();
}

/* ---- Shutdown hooks --------------------------------------------------------- */

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

/* ---- The ways out ----------------------------------------------------------- */

void (*cl_input_ended_hook)(void);

_Noreturn void cl_exit_clean(void) {
    if (cl_input_ended_hook) cl_input_ended_hook(); /* in a projected program: the others finish first */
    cl_shutdown();
    cl_platform_exit(0);
}

/* Lock-free, so that a signal handler may set it. */
static atomic_bool stop_requested;

void cl_request_stop(void) { atomic_store_explicit(&stop_requested, true, memory_order_relaxed); }

bool cl_stop_requested(void) { return atomic_load_explicit(&stop_requested, memory_order_relaxed); }

_Noreturn void cl_stop_now(void) {
    cl_shutdown();
    cl_platform_exit(0);
}

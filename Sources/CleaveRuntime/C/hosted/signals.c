/* signals.c: the start of a hosted service's process: its signals, and the
 * counters said on the way out (platform.h: cl_platform_start).
 *
 * SIGUSR1 prints the counters (core/counters.c: formatted and written without
 * stdio, safe in a handler), and the service goes on. SIGINT and SIGTERM ask
 * for a stop: stopping cleanly needs more than a handler may do (closing a
 * capture calls stdio), so the handler only asks (core/service.c:
 * cl_request_stop) and wakes whatever waits for input (netif/wait.c); the
 * netifs look before each datagram and stop there (shut down, counters, exit
 * 0). Handlers are installed without SA_RESTART, so other blocking calls
 * return EINTR too. A second stop signal before the first is acted on
 * restores the default action and ends the process, so a service stuck in a
 * long computation can still be stopped.
 *
 * The counters' line is said on every way out: it is the first shutdown hook
 * registered, so it runs last, after the captures being written are complete.
 */
#include <signal.h>
#include <string.h>

#include "netif/netif.h"

/* Installed with SA_RESETHAND: a second signal, should the first not be acted on, ends the
 * process by the default action (no system call here, which a sandbox would refuse). */
static void on_stop(int signal_number) {
    (void)signal_number;
    cl_request_stop();
    cl_netif_wake();
}

static void on_usr1(int signal_number) {
    (void)signal_number;
    cl_print_counters();
}

static void handle(int signal_number, void (*handler)(int), int flags) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = handler;
    sigemptyset(&action.sa_mask);
    action.sa_flags = flags; /* never SA_RESTART: a blocking call returns EINTR */
    sigaction(signal_number, &action, NULL);
}

void cl_platform_start(void) {
    cl_at_shutdown(cl_print_counters);
    cl_netif_wake_open();
    handle(SIGUSR1, on_usr1, 0);
    handle(SIGINT, on_stop, SA_RESETHAND);
    handle(SIGTERM, on_stop, SA_RESETHAND);
    /* A launcher may have started us with these blocked (a child inherits
     * its parent thread's mask; Foundation's Process does this). */
    sigset_t ours;
    sigemptyset(&ours);
    sigaddset(&ours, SIGUSR1);
    sigaddset(&ours, SIGINT);
    sigaddset(&ours, SIGTERM);
    sigprocmask(SIG_UNBLOCK, &ours, NULL);
}

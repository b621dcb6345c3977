/* wait.c: what a wait for input watches, and who sees it waiting.
 *
 * A stop asked for by a signal only sets a flag (core/service.c), which the
 * netifs look at before each datagram. A UDP netif blocked in poll would not
 * see it, so poll also watches the read end of the wake pipe, and whoever
 * asks for a stop also writes a byte to the other end (cl_netif_wake, safe in
 * a signal handler): a signal that arrives just before poll still wakes it,
 * which the flag alone would leave to chance. The isolated target wakes a
 * wait the same way when its launcher changes what the component must do.
 *
 * Around each wait for input a netif says that it waits; a component of the
 * isolated target keeps that word in its status page (cl_netif_attach_waiting),
 * where the launcher reads it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <unistd.h>

#include "driver.h"

/* ---- The wake pipe ---------------------------------------------------------- */

static int wake_pipe[2] = {-1, -1};

void cl_netif_wake_open(void) {
    if (wake_pipe[0] >= 0 || pipe(wake_pipe) != 0) return;
    for (int i = 0; i < 2; i++) {
        fcntl(wake_pipe[i], F_SETFL, fcntl(wake_pipe[i], F_GETFL) | O_NONBLOCK);
        fcntl(wake_pipe[i], F_SETFD, FD_CLOEXEC);
    }
}

int cl_netif_stop_pipe(int end) { return end == 0 || end == 1 ? wake_pipe[end] : -1; }

void cl_netif_wake(void) {
    int saved_errno = errno;
    if (wake_pipe[1] >= 0) {
        ssize_t ignored = write(wake_pipe[1], "w", 1); /* a full pipe already wakes poll */
        (void)ignored;
    }
    errno = saved_errno;
}

/* ---- Waiting for input ------------------------------------------------------ */

static _Atomic uint32_t own_waiting;
static _Atomic uint32_t *waiting = &own_waiting;

void cl_netif_attach_waiting(uint32_t *shared) { waiting = (_Atomic uint32_t *)shared; }

void (*cl_netif_before_wait)(void);

/* Relaxed: the launcher looks now and then, and a component that has just returned from its
 * wait runs, which the launcher sees too. */
void cl_netif_waiting_for_input(int on) {
    if (on && cl_netif_before_wait) cl_netif_before_wait();
    atomic_store_explicit(waiting, on ? 1u : 0u, memory_order_relaxed);
}

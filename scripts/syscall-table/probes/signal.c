/* <signal.h>: signals. raise in glibc blocks every signal around the tgkill
 * that sends it. A caught signal's handler returns through rt_sigreturn, seen
 * here where a signal is delivered during the probed call. */
#define GROUP "<signal.h>"
#include "../probe.h"

#include <signal.h>
#include <unistd.h>

static void handler(int s) { sink_l = s; }

PROBE(kill, probe_only) {
    pid_t self = getpid();
    begin();
    sink_l = kill(self, 0);
    end();
}
PROBE(kill, handled) {
    signal(SIGUSR1, handler);
    pid_t self = getpid();
    begin();
    sink_l = kill(self, SIGUSR1);
    end();
}
PROBE(raise, handled) {
    signal(SIGUSR1, handler);
    begin();
    sink_l = raise(SIGUSR1);
    end();
}
PROBE(raise, ignored) {
    signal(SIGUSR1, SIG_IGN);
    begin();
    sink_l = raise(SIGUSR1);
    end();
}
PROBE(signal, basic) {
    begin();
    sink_p = (void *)signal(SIGUSR1, handler);
    end();
}
PROBE(signal, ignore) {
    begin();
    sink_p = (void *)signal(SIGPIPE, SIG_IGN);
    end();
}
PROBE(sigaction, basic) {
    struct sigaction a = {.sa_handler = handler};
    sigemptyset(&a.sa_mask);
    begin();
    sink_l = sigaction(SIGUSR1, &a, NULL);
    end();
}
PROBE(sigaction, query) {
    struct sigaction old;
    begin();
    sink_l = sigaction(SIGUSR1, NULL, &old);
    end();
}
PROBE(sigemptyset, basic) {
    sigset_t s;
    begin();
    sink_l = sigemptyset(&s);
    end();
}
PROBE(sigfillset, basic) {
    sigset_t s;
    begin();
    sink_l = sigfillset(&s);
    end();
}
PROBE(sigaddset, basic) {
    sigset_t s;
    sigemptyset(&s);
    begin();
    sink_l = sigaddset(&s, SIGUSR1);
    end();
}
PROBE(sigdelset, basic) {
    sigset_t s;
    sigfillset(&s);
    begin();
    sink_l = sigdelset(&s, SIGUSR1);
    end();
}
PROBE(sigismember, basic) {
    sigset_t s;
    sigfillset(&s);
    begin();
    sink_l = sigismember(&s, SIGUSR1);
    end();
}
PROBE(sigprocmask, basic) {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    begin();
    sink_l = sigprocmask(SIG_BLOCK, &s, NULL);
    end();
}
PROBE(pthread_sigmask, basic) {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    begin();
    sink_l = pthread_sigmask(SIG_BLOCK, &s, NULL);
    end();
}
PROBE(sigpending, basic) {
    sigset_t s;
    begin();
    sink_l = sigpending(&s);
    end();
}
PROBE(sigsuspend, basic) {
    sigset_t s, none;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    sigemptyset(&none);
    signal(SIGUSR1, handler);
    sigprocmask(SIG_BLOCK, &s, NULL);
    raise(SIGUSR1);
    begin();
    sink_l = sigsuspend(&none);
    end();
}

/* <poll.h>: waiting on descriptors. */
#define GROUP "<poll.h>"
#include "../probe.h"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

PROBE(poll, basic) {
    int p[2];
    pipe(p);
    write(p[1], "x", 1);
    struct pollfd f = {.fd = p[0], .events = POLLIN};
    begin();
    sink_l = poll(&f, 1, 0);
    end();
}
PROBE(poll, timeout) {
    int p[2];
    pipe(p);
    struct pollfd f = {.fd = p[0], .events = POLLIN};
    begin();
    sink_l = poll(&f, 1, 1);
    end();
}
/* Stopped and continued while waiting: poll is resumed by restart_syscall. */
PROBE(poll, stopped) {
    int p[2];
    pipe(p);
    struct pollfd f = {.fd = p[0], .events = POLLIN};
    stop_during_call();
    begin();
    sink_l = poll(&f, 1, 300);
    end();
}
PROBE(ppoll, basic) {
    int p[2];
    pipe(p);
    write(p[1], "x", 1);
    struct pollfd f = {.fd = p[0], .events = POLLIN};
    struct timespec t = {0, 1000};
    sigset_t mask;
    sigemptyset(&mask);
    begin();
    sink_l = ppoll(&f, 1, &t, &mask);
    end();
}
PROBE(ppoll, stopped) {
    int p[2];
    pipe(p);
    struct pollfd f = {.fd = p[0], .events = POLLIN};
    struct timespec t = {0, 300000000};
    stop_during_call();
    begin();
    sink_l = ppoll(&f, 1, &t, NULL);
    end();
}

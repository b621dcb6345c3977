/* <sys/epoll.h>: the event poll. */
#define GROUP "<sys/epoll.h>"
#include "../probe.h"

#include <signal.h>
#include <sys/epoll.h>
#include <unistd.h>

/* An epoll instance watching a pipe with a byte waiting. */
static int ready(void) {
    int p[2], e = epoll_create1(0);
    pipe(p);
    write(p[1], "x", 1);
    struct epoll_event v = {.events = EPOLLIN, .data.fd = p[0]};
    epoll_ctl(e, EPOLL_CTL_ADD, p[0], &v);
    return e;
}

PROBE(epoll_create, basic) {
    begin();
    sink_l = epoll_create(1);
    end();
}
PROBE(epoll_create1, basic) {
    begin();
    sink_l = epoll_create1(EPOLL_CLOEXEC);
    end();
}
PROBE(epoll_ctl, basic) {
    int p[2], e = epoll_create1(0);
    pipe(p);
    struct epoll_event v = {.events = EPOLLIN, .data.fd = p[0]};
    begin();
    sink_l = epoll_ctl(e, EPOLL_CTL_ADD, p[0], &v);
    end();
}
PROBE(epoll_wait, basic) {
    int e = ready();
    struct epoll_event v[4];
    begin();
    sink_l = epoll_wait(e, v, 4, 0);
    end();
}
PROBE(epoll_wait, timeout) {
    int e = epoll_create1(0);
    struct epoll_event v[4];
    begin();
    sink_l = epoll_wait(e, v, 4, 1);
    end();
}
PROBE(epoll_pwait, basic) {
    int e = ready();
    struct epoll_event v[4];
    sigset_t none;
    sigemptyset(&none);
    begin();
    sink_l = epoll_pwait(e, v, 4, 0, &none);
    end();
}
/* Stopped and continued while waiting. */
PROBE(epoll_wait, stopped) {
    int e = epoll_create1(0);
    struct epoll_event v[4];
    stop_during_call();
    begin();
    sink_l = epoll_wait(e, v, 4, 300);
    end();
}
PROBE(epoll_pwait, stopped) {
    int e = epoll_create1(0);
    struct epoll_event v[4];
    stop_during_call();
    begin();
    sink_l = epoll_pwait(e, v, 4, 300, NULL);
    end();
}

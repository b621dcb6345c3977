/* <sys/select.h>: waiting on descriptors, the older way. */
#define GROUP "<sys/select.h>"
#include "../probe.h"

#include <signal.h>
#include <sys/select.h>
#include <unistd.h>

PROBE(select, basic) {
    int p[2];
    pipe(p);
    write(p[1], "x", 1);
    fd_set r;
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    struct timeval t = {0, 1000};
    begin();
    sink_l = select(p[0] + 1, &r, NULL, NULL, &t);
    end();
}
PROBE(pselect, basic) {
    int p[2];
    pipe(p);
    write(p[1], "x", 1);
    fd_set r;
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    struct timespec t = {0, 1000};
    sigset_t mask;
    sigemptyset(&mask);
    begin();
    sink_l = pselect(p[0] + 1, &r, NULL, NULL, &t, &mask);
    end();
}
/* Stopped and continued while waiting. */
PROBE(select, stopped) {
    int p[2];
    pipe(p);
    fd_set r;
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    struct timeval t = {0, 300000};
    stop_during_call();
    begin();
    sink_l = select(p[0] + 1, &r, NULL, NULL, &t);
    end();
}
PROBE(pselect, stopped) {
    int p[2];
    pipe(p);
    fd_set r;
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    struct timespec t = {0, 300000000};
    stop_during_call();
    begin();
    sink_l = pselect(p[0] + 1, &r, NULL, NULL, &t, NULL);
    end();
}

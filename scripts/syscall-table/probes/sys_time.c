/* <sys/time.h>: gettimeofday (the vDSO, falling back to the system call) and interval timers. */
#define GROUP "<sys/time.h>"
#include "../probe.h"

#include <sys/time.h>

PROBE(gettimeofday, basic) {
    struct timeval t;
    begin();
    sink_l = gettimeofday(&t, NULL);
    end();
}
PROBE(setitimer, basic) {
    struct itimerval t = {{0, 0}, {0, 0}};
    begin();
    sink_l = setitimer(ITIMER_REAL, &t, NULL);
    end();
}
PROBE(getitimer, basic) {
    struct itimerval t;
    begin();
    sink_l = getitimer(ITIMER_REAL, &t);
    end();
}

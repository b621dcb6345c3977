/* <sys/timerfd.h>: timers read as descriptors. */
#define GROUP "<sys/timerfd.h>"
#include "../probe.h"

#include <sys/timerfd.h>

PROBE(timerfd_create, basic) {
    begin();
    sink_l = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    end();
}
PROBE(timerfd_settime, basic) {
    int t = timerfd_create(CLOCK_MONOTONIC, 0);
    struct itimerspec s = {{0, 0}, {1, 0}};
    begin();
    sink_l = timerfd_settime(t, 0, &s, NULL);
    end();
}
PROBE(timerfd_gettime, basic) {
    int t = timerfd_create(CLOCK_MONOTONIC, 0);
    struct itimerspec s;
    begin();
    sink_l = timerfd_gettime(t, &s);
    end();
}

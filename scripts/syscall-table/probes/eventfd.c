/* <sys/eventfd.h>: event counters. */
#define GROUP "<sys/eventfd.h>"
#include "../probe.h"

#include <sys/eventfd.h>

PROBE(eventfd, basic) {
    begin();
    sink_l = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    end();
}
PROBE(eventfd_read, basic) {
    int e = eventfd(3, 0);
    eventfd_t v;
    begin();
    sink_l = eventfd_read(e, &v);
    end();
}
PROBE(eventfd_write, basic) {
    int e = eventfd(0, 0);
    begin();
    sink_l = eventfd_write(e, 1);
    end();
}

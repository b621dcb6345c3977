/* <sched.h>: the scheduler. sched_getcpu reads the CPU from the rseq area
 * glibc registers at start, or the vDSO's getcpu. */
#define GROUP "<sched.h>"
#include "../probe.h"

#include <sched.h>

PROBE(sched_yield, basic) {
    begin();
    sink_l = sched_yield();
    end();
}
PROBE(sched_getcpu, basic) {
    begin();
    sink_l = sched_getcpu();
    end();
}

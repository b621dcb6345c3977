/* <sys/random.h>: the kernel's random numbers. */
#define GROUP "<sys/random.h>"
#include "../probe.h"

#include <sys/random.h>

PROBE(getrandom, basic) {
    char b[32];
    begin();
    sink_l = getrandom(b, sizeof b, 0);
    end();
}
PROBE(getentropy, basic) {
    char b[32];
    begin();
    sink_l = getentropy(b, sizeof b);
    end();
}

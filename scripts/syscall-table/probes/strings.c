/* <strings.h>: comparing strings without regard to case. */
#define GROUP "<strings.h>"
#include "../probe.h"

#include <strings.h>

static const char *volatile x = "Hello", *volatile y = "hELLO there";

PROBE(strcasecmp, basic) {
    begin();
    sink_l = strcasecmp(x, y);
    end();
}
PROBE(strncasecmp, basic) {
    begin();
    sink_l = strncasecmp(x, y, 5);
    end();
}

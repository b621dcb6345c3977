/* <sys/utsname.h>, <sys/resource.h>, <sys/ioctl.h>: the system, limits and
 * usage, device control. */
#define GROUP "<sys/utsname.h>"
#include "../probe.h"

#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/utsname.h>

PROBE(uname, basic) {
    struct utsname u;
    begin();
    sink_l = uname(&u);
    end();
}

#undef GROUP
#define GROUP "<sys/resource.h>"
PROBE(getrlimit, basic) {
    struct rlimit r;
    begin();
    sink_l = getrlimit(RLIMIT_NOFILE, &r);
    end();
}
PROBE(setrlimit, basic) {
    struct rlimit r;
    getrlimit(RLIMIT_CORE, &r);
    begin();
    sink_l = setrlimit(RLIMIT_CORE, &r);
    end();
}
PROBE(getrusage, basic) {
    struct rusage u;
    begin();
    sink_l = getrusage(RUSAGE_SELF, &u);
    end();
}

#undef GROUP
#define GROUP "<sys/ioctl.h>"
PROBE(ioctl, basic) {
    int n;
    begin();
    sink_l = ioctl(0, FIONREAD, &n);
    end();
}

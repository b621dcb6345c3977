/* <sys/uio.h>: scattered reads and gathered writes. */
#define GROUP "<sys/uio.h>"
#include "../probe.h"

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

PROBE(readv, basic) {
    make_file("in.txt", "line one\nline two\n");
    int fd = open("in.txt", O_RDONLY);
    char a[4], b[4];
    struct iovec v[2] = {{a, 4}, {b, 4}};
    begin();
    sink_l = readv(fd, v, 2);
    end();
}
PROBE(writev, basic) {
    struct iovec v[2] = {{"hello", 5}, {"\n", 1}};
    begin();
    sink_l = writev(1, v, 2);
    end();
}

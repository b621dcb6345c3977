/* <fcntl.h>: opening files and controlling descriptors. */
#define GROUP "<fcntl.h>"
#include "../probe.h"

#include <fcntl.h>
#include <unistd.h>

PROBE(open, read) {
    make_file("in.txt", "x");
    begin();
    sink_l = open("in.txt", O_RDONLY);
    end();
}
PROBE(open, create) {
    begin();
    sink_l = open("out.txt", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    end();
}
PROBE(openat, basic) {
    make_file("in.txt", "x");
    begin();
    sink_l = openat(AT_FDCWD, "in.txt", O_RDONLY);
    end();
}
PROBE(creat, basic) {
    begin();
    sink_l = creat("out.txt", 0644);
    end();
}
PROBE(fcntl, getfl) {
    begin();
    sink_l = fcntl(1, F_GETFL);
    end();
}
PROBE(fcntl, setfl) {
    int p[2];
    pipe(p);
    begin();
    sink_l = fcntl(p[0], F_SETFL, O_NONBLOCK);
    end();
}
PROBE(fcntl, setfd) {
    begin();
    sink_l = fcntl(1, F_SETFD, FD_CLOEXEC);
    end();
}
PROBE(fcntl, dupfd) {
    begin();
    sink_l = fcntl(1, F_DUPFD_CLOEXEC, 10);
    end();
}
PROBE(fcntl, lock) {
    make_file("in.txt", "x");
    int fd = open("in.txt", O_RDWR);
    struct flock l = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    begin();
    sink_l = fcntl(fd, F_SETLK, &l);
    end();
}
PROBE(posix_fadvise, basic) {
    make_file("in.txt", "x");
    int fd = open("in.txt", O_RDONLY);
    begin();
    sink_l = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    end();
}

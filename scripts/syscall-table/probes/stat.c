/* <sys/stat.h>: file status and modes, directories. glibc asks for a
 * descriptor's status with newfstatat(fd, "", AT_EMPTY_PATH). */
#define GROUP "<sys/stat.h>"
#include "../probe.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

PROBE(stat, basic) {
    struct stat s;
    make_file("in.txt", "x");
    begin();
    sink_l = stat("in.txt", &s);
    end();
}
PROBE(fstat, basic) {
    struct stat s;
    begin();
    sink_l = fstat(1, &s);
    end();
}
PROBE(lstat, basic) {
    struct stat s;
    make_file("in.txt", "x");
    begin();
    sink_l = lstat("in.txt", &s);
    end();
}
PROBE(fstatat, basic) {
    struct stat s;
    make_file("in.txt", "x");
    begin();
    sink_l = fstatat(AT_FDCWD, "in.txt", &s, 0);
    end();
}
PROBE(statx, basic) {
    struct statx s;
    make_file("in.txt", "x");
    begin();
    sink_l = statx(AT_FDCWD, "in.txt", 0, STATX_BASIC_STATS, &s);
    end();
}
PROBE(mkdir, basic) {
    begin();
    sink_l = mkdir("made", 0755);
    end();
}
PROBE(chmod, basic) {
    make_file("in.txt", "x");
    begin();
    sink_l = chmod("in.txt", 0600);
    end();
}
PROBE(fchmod, basic) {
    make_file("in.txt", "x");
    int fd = open("in.txt", O_RDONLY);
    begin();
    sink_l = fchmod(fd, 0600);
    end();
}
PROBE(umask, basic) {
    begin();
    sink_l = umask(022);
    end();
}

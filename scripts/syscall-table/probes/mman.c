/* <sys/mman.h>: mappings. */
#define GROUP "<sys/mman.h>"
#include "../probe.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

static void *anonymous(size_t n) { return mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); }

PROBE(mmap, anonymous) {
    begin();
    sink_p = mmap(NULL, 1 << 16, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    end();
}
PROBE(mmap, file) {
    make_file_of_size("in.bin", 8192);
    int fd = open("in.bin", O_RDWR);
    begin();
    sink_p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    end();
}
PROBE(munmap, basic) {
    void *p = anonymous(1 << 16);
    begin();
    sink_l = munmap(p, 1 << 16);
    end();
}
PROBE(mprotect, basic) {
    void *p = anonymous(1 << 16);
    begin();
    sink_l = mprotect(p, 4096, PROT_READ);
    end();
}
PROBE(mremap, basic) {
    void *p = anonymous(1 << 16);
    begin();
    sink_p = mremap(p, 1 << 16, 1 << 20, MREMAP_MAYMOVE);
    end();
}
PROBE(madvise, basic) {
    void *p = anonymous(1 << 16);
    begin();
    sink_l = madvise(p, 1 << 16, MADV_DONTNEED);
    end();
}
PROBE(msync, basic) {
    make_file_of_size("in.bin", 8192);
    int fd = open("in.bin", O_RDWR);
    char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    p[0] = 1;
    begin();
    sink_l = msync(p, 8192, MS_SYNC);
    end();
}
PROBE(mlock, basic) {
    void *p = anonymous(4096);
    begin();
    sink_l = mlock(p, 4096);
    end();
}
PROBE(munlock, basic) {
    void *p = anonymous(4096);
    mlock(p, 4096);
    begin();
    sink_l = munlock(p, 4096);
    end();
}

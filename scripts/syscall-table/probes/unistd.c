/* <unistd.h>: descriptors, processes, sleeping, files by name, sysconf. */
#define GROUP "<unistd.h>"
#include "../probe.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static int open_data(void) {
    make_file("in.txt", "line one\nline two\n");
    return open("in.txt", O_RDWR);
}

PROBE(read, basic) {
    int fd = open_data();
    char b[8];
    begin();
    sink_l = read(fd, b, sizeof b);
    end();
}
PROBE(write, basic) {
    begin();
    sink_l = write(1, "hello\n", 6);
    end();
}
PROBE(close, basic) {
    int fd = open_data();
    begin();
    sink_l = close(fd);
    end();
}
PROBE(lseek, basic) {
    int fd = open_data();
    begin();
    sink_l = lseek(fd, 4, SEEK_SET);
    end();
}
PROBE(pread, basic) {
    int fd = open_data();
    char b[8];
    begin();
    sink_l = pread(fd, b, sizeof b, 2);
    end();
}
PROBE(pwrite, basic) {
    int fd = open_data();
    begin();
    sink_l = pwrite(fd, "xy", 2, 2);
    end();
}
PROBE(dup, basic) {
    begin();
    sink_l = dup(1);
    end();
}
PROBE(dup2, basic) {
    begin();
    sink_l = dup2(1, 20);
    end();
}
PROBE(dup2, same) {
    begin();
    sink_l = dup2(1, 1);
    end();
}
PROBE(dup3, basic) {
    begin();
    sink_l = dup3(1, 20, O_CLOEXEC);
    end();
}
PROBE(pipe, basic) {
    int p[2];
    begin();
    sink_l = pipe(p);
    end();
}
PROBE(pipe2, basic) {
    int p[2];
    begin();
    sink_l = pipe2(p, O_CLOEXEC | O_NONBLOCK);
    end();
}
PROBE(fsync, basic) {
    int fd = open_data();
    begin();
    sink_l = fsync(fd);
    end();
}
PROBE(fdatasync, basic) {
    int fd = open_data();
    begin();
    sink_l = fdatasync(fd);
    end();
}
PROBE(ftruncate, basic) {
    int fd = open_data();
    begin();
    sink_l = ftruncate(fd, 4);
    end();
}
PROBE(truncate, basic) {
    make_file("in.txt", "line one\n");
    begin();
    sink_l = truncate("in.txt", 4);
    end();
}
PROBE(isatty, basic) {
    begin();
    sink_l = isatty(1);
    end();
}
PROBE(unlink, basic) {
    make_file("gone.txt", "x");
    begin();
    sink_l = unlink("gone.txt");
    end();
}
PROBE(rmdir, basic) {
    mkdir("gone", 0755);
    begin();
    sink_l = rmdir("gone");
    end();
}
PROBE(access, basic) {
    make_file("in.txt", "x");
    begin();
    sink_l = access("in.txt", R_OK);
    end();
}
PROBE(getcwd, basic) {
    char b[4096];
    begin();
    sink_p = getcwd(b, sizeof b);
    end();
}
PROBE(getcwd, allocating) {
    begin();
    sink_p = getcwd(NULL, 0);
    end();
}
PROBE(chdir, basic) {
    begin();
    sink_l = chdir(".");
    end();
}
PROBE(readlink, basic) {
    char b[256];
    begin();
    sink_l = readlink("/proc/self/exe", b, sizeof b);
    end();
}

/* Who we are. */
PROBE(getpid, basic) {
    begin();
    sink_l = getpid();
    end();
}
PROBE(getppid, basic) {
    begin();
    sink_l = getppid();
    end();
}
PROBE(gettid, basic) {
    begin();
    sink_l = gettid();
    end();
}
PROBE(getuid, basic) {
    begin();
    sink_l = getuid();
    end();
}
PROBE(geteuid, basic) {
    begin();
    sink_l = geteuid();
    end();
}
PROBE(getgid, basic) {
    begin();
    sink_l = getgid();
    end();
}
PROBE(getegid, basic) {
    begin();
    sink_l = getegid();
    end();
}
PROBE(gethostname, basic) {
    char b[256];
    begin();
    sink_l = gethostname(b, sizeof b);
    end();
}
PROBE(getpagesize, basic) {
    begin();
    sink_l = getpagesize();
    end();
}

/* Sleeping. */
PROBE(sleep, basic) {
    begin();
    sink_l = sleep(0);
    end();
}
PROBE(sleep, one) {
    begin();
    sink_l = sleep(1);
    end();
}
PROBE(usleep, basic) {
    begin();
    sink_l = usleep(10);
    end();
}
/* Stopped and continued while asleep, the call is resumed by restart_syscall. */
PROBE(sleep, stopped) {
    stop_during_call();
    begin();
    sink_l = sleep(1);
    end();
}
PROBE(usleep, stopped) {
    stop_during_call();
    begin();
    sink_l = usleep(300000);
    end();
}
PROBE(alarm, basic) {
    begin();
    sink_l = alarm(0);
    end();
}

/* sysconf answers some names from what it knows and reads files or asks the
 * kernel for others. */
PROBE(sysconf, pagesize) {
    begin();
    sink_l = sysconf(_SC_PAGESIZE);
    end();
}
PROBE(sysconf, clk_tck) {
    begin();
    sink_l = sysconf(_SC_CLK_TCK);
    end();
}
PROBE(sysconf, open_max) {
    begin();
    sink_l = sysconf(_SC_OPEN_MAX);
    end();
}
PROBE(sysconf, nprocessors_onln) {
    begin();
    sink_l = sysconf(_SC_NPROCESSORS_ONLN);
    end();
}
PROBE(sysconf, nprocessors_conf) {
    begin();
    sink_l = sysconf(_SC_NPROCESSORS_CONF);
    end();
}
/* Without /sys and /proc the number of processors comes from sched_getaffinity. */
PROBE_IN(sysconf, nprocessors_onln_hidden, "hide:/sys hide:/proc") {
    begin();
    sink_l = sysconf(_SC_NPROCESSORS_ONLN);
    end();
}
PROBE_IN(sysconf, nprocessors_conf_hidden, "hide:/sys hide:/proc") {
    begin();
    sink_l = sysconf(_SC_NPROCESSORS_CONF);
    end();
}
PROBE(sysconf, phys_pages) {
    begin();
    sink_l = sysconf(_SC_PHYS_PAGES);
    end();
}
PROBE(sysconf, avphys_pages) {
    begin();
    sink_l = sysconf(_SC_AVPHYS_PAGES);
    end();
}
PROBE(sysconf, line_max) {
    begin();
    sink_l = sysconf(_SC_LINE_MAX);
    end();
}
PROBE(sysconf, arg_max) {
    begin();
    sink_l = sysconf(_SC_ARG_MAX);
    end();
}
PROBE(sysconf, child_max) {
    begin();
    sink_l = sysconf(_SC_CHILD_MAX);
    end();
}
PROBE(sysconf, level1_dcache_linesize) {
    begin();
    sink_l = sysconf(_SC_LEVEL1_DCACHE_LINESIZE);
    end();
}
PROBE(sysconf, monotonic_clock) {
    begin();
    sink_l = sysconf(_SC_MONOTONIC_CLOCK);
    end();
}

PROBE(_exit, basic) {
    begin();
    _exit(0);
}

/* probe.c: the probe program's registry, markers and allocator wrappers.
 *
 *   probe list             one line per probe: group, function, variant, setting (tabs)
 *   probe run FN VARIANT   runs that probe
 *
 * See probe.h for how a probe is written and probe.py for how the table is
 * made from their traces.
 */
#define GROUP "-"
#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

enum { marker_begin = -1001, marker_end = -1002, marker_allocated = -1003 };

volatile long sink_l;
volatile double sink_d;
void *volatile sink_p;

static struct {
    const char *group, *function, *variant, *setting;
    probe_fn run;
} probes[1024];
static int probe_count;

void probe_register(const char *group, const char *function, const char *variant, const char *setting, probe_fn run) {
    if (probe_count == (int)(sizeof probes / sizeof probes[0])) abort();
    probes[probe_count].group = group;
    probes[probe_count].function = function;
    probes[probe_count].variant = variant;
    probes[probe_count].setting = setting;
    probes[probe_count].run = run;
    probe_count++;
}

static int probing, allocated;

void begin(void) {
    int saved = errno;
    syscall(SYS_close, marker_begin);
    errno = saved;
    probing = 1;
    allocated = 0;
}

void end(void) {
    int saved = errno;
    probing = 0;
    if (allocated) syscall(SYS_close, marker_allocated);
    syscall(SYS_close, marker_end);
    errno = saved;
}

void make_file(const char *name, const char *text) {
    int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) || close(fd) != 0) _exit(3);
}

void make_file_of_size(const char *name, size_t n) {
    int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || ftruncate(fd, (off_t)n) != 0 || close(fd) != 0) _exit(3);
}

static char process_state(pid_t pid) {
    char path[64], text[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY);
    if (fd < 0) return 0;
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n <= 0) return 0;
    text[n] = 0;
    char *end = strrchr(text, ')');
    return end && end[1] == ' ' ? end[2] : 0;
}

void stop_during_call(void) {
    pid_t parent = getpid();
    if (fork() != 0) return;
    for (int i = 0; i < 5000 && process_state(parent) != 'S'; i++) usleep(1000);
    kill(parent, SIGSTOP);
    usleep(20000);
    kill(parent, SIGCONT);
    _exit(0);
}

/* The allocator: glibc's own, noting that it was called while probing. */
extern void *__libc_malloc(size_t);
extern void __libc_free(void *);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void *__libc_valloc(size_t);
extern void *__libc_pvalloc(size_t);

#define NOTE() (allocated |= probing)

void *malloc(size_t n) {
    NOTE();
    return __libc_malloc(n);
}
void free(void *p) {
    if (p) NOTE();
    __libc_free(p);
}
void *calloc(size_t n, size_t size) {
    NOTE();
    return __libc_calloc(n, size);
}
void *realloc(void *p, size_t n) {
    NOTE();
    return __libc_realloc(p, n);
}
void *memalign(size_t alignment, size_t n) {
    NOTE();
    return __libc_memalign(alignment, n);
}
void *aligned_alloc(size_t alignment, size_t n) {
    NOTE();
    return __libc_memalign(alignment, n);
}
int posix_memalign(void **p, size_t alignment, size_t n) {
    NOTE();
    if (alignment % sizeof(void *) != 0 || (alignment & (alignment - 1)) != 0) return EINVAL;
    void *r = __libc_memalign(alignment, n);
    if (!r) return ENOMEM;
    *p = r;
    return 0;
}
void *valloc(size_t n) {
    NOTE();
    return __libc_valloc(n);
}
void *pvalloc(size_t n) {
    NOTE();
    return __libc_pvalloc(n);
}

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "list") == 0) {
        for (int i = 0; i < probe_count; i++)
            printf("%s\t%s\t%s\t%s\n", probes[i].group, probes[i].function, probes[i].variant, probes[i].setting);
        return 0;
    }
    if (argc == 4 && strcmp(argv[1], "run") == 0) {
        for (int i = 0; i < probe_count; i++) {
            if (strcmp(probes[i].function, argv[2]) == 0 && strcmp(probes[i].variant, argv[3]) == 0) {
                probes[i].run();
                /* Whatever exit would flush is not the probe's business. */
                _exit(0);
            }
        }
        fprintf(stderr, "probe: no probe %s %s\n", argv[2], argv[3]);
        return 2;
    }
    fprintf(stderr, "usage: probe list | probe run FUNCTION VARIANT\n");
    return 2;
}

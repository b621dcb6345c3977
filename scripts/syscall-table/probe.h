/* probe.h: what every probe file shares.
 *
 * A probe is a small function that prepares what a C library call needs (a
 * file, a socket, a signal handler), then calls begin(), makes the call, and
 * calls end(). begin() and end() make a system call no library function makes
 * (close of a negative descriptor, -1001 and -1002), so probe.py, reading the
 * trace of `strace -f`, keeps exactly the system calls in between.
 *
 * PROBE(fn, variant) defines and registers one probe of the function fn; a
 * function may have several variants (a small and a large allocation, a
 * stream's first use and a flush), and its row in the table is the union of
 * what they all made. Each probe file sets GROUP, the header its functions are
 * declared in, before including this file. PROBE_IN(fn, variant, setting)
 * runs the probe in another setting, words probe.py reads: `env:NAME=VALUE`
 * sets a variable in the probe's environment, `hide:/sys` mounts an empty
 * file system over a directory (in a mount namespace of its own, so it needs
 * root) to follow what the function does when the file it wants is missing.
 *
 * The probe program replaces malloc and friends with wrappers around glibc's
 * own (__libc_malloc, ...): glibc calls the allocator through these public
 * names, so a wrapper called between begin() and end() shows that the probed
 * function allocates or frees, and end() reports it with a third marker,
 * close(-1003). probe.py then gives the function every system call of the
 * allocator, since which of them one call makes depends on the heap's state.
 */
#ifndef PROBE_H
#define PROBE_H

#define _GNU_SOURCE
#include <stddef.h>

typedef void (*probe_fn)(void);

void probe_register(const char *group, const char *function, const char *variant, const char *setting, probe_fn run);
void begin(void);
void end(void);

/* Results are stored here so that the calls are not optimized away. */
extern volatile long sink_l;
extern volatile double sink_d;
extern void *volatile sink_p;

/* Creates (or truncates) a file in the current directory with `text`, without stdio or malloc. */
void make_file(const char *name, const char *text);
/* A file of n bytes. */
void make_file_of_size(const char *name, size_t n);
/* Forks a process that waits until this one sleeps in the kernel (the probed
 * call), then stops it with SIGSTOP and continues it with SIGCONT, as job
 * control or a debugger would: the kernel may then resume the call through
 * restart_syscall. probe.py keeps only the probe's own process's calls. */
void stop_during_call(void);

#define PROBE_IN(fn, variant, setting)                                                            \
    static void probe_##fn##_##variant(void);                                                     \
    __attribute__((constructor)) static void register_##fn##_##variant(void) {                    \
        probe_register(GROUP, #fn, #variant, setting, probe_##fn##_##variant);                    \
    }                                                                                             \
    static void probe_##fn##_##variant(void)
#define PROBE(fn, variant) PROBE_IN(fn, variant, "")

#endif

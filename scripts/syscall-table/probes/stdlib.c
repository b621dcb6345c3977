/* <stdlib.h>: the allocator, conversions, sorting, random numbers, the
 * environment and the ways out of a process. */
#define GROUP "<stdlib.h>"
#include "../probe.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The allocator. The first allocation of a process grows the heap (brk); a
 * large one is a mapping of its own (mmap), freed with munmap and grown with
 * mremap; freeing the chunks at the heap's top shrinks it (brk again). */
PROBE(malloc, first) {
    begin();
    sink_p = malloc(16);
    end();
}
PROBE(malloc, large) {
    begin();
    sink_p = malloc(1 << 20);
    end();
}
PROBE(malloc, grow_heap) {
    sink_p = malloc(16);
    begin();
    for (int i = 0; i < 64; i++) sink_p = malloc(4000);
    end();
}
PROBE(calloc, first) {
    begin();
    sink_p = calloc(4, 4);
    end();
}
PROBE(calloc, large) {
    begin();
    sink_p = calloc(1 << 10, 1 << 10);
    end();
}
PROBE(realloc, first) {
    begin();
    sink_p = realloc(NULL, 16);
    end();
}
PROBE(realloc, small) {
    void *p = malloc(16);
    begin();
    sink_p = realloc(p, 64);
    end();
}
PROBE(realloc, large) {
    void *p = malloc(1 << 20);
    begin();
    sink_p = realloc(p, 8 << 20);
    end();
}
PROBE(realloc, shrink) {
    void *p = malloc(1 << 20);
    begin();
    sink_p = realloc(p, 16);
    end();
}
PROBE(free, small) {
    void *p = malloc(16);
    begin();
    free(p);
    end();
}
PROBE(free, large) {
    void *p = malloc(1 << 20);
    begin();
    free(p);
    end();
}
PROBE(free, trim) {
    static void *chunks[200];
    for (int i = 0; i < 200; i++) chunks[i] = malloc(4000);
    begin();
    for (int i = 199; i >= 0; i--) free(chunks[i]);
    end();
}
PROBE(aligned_alloc, first) {
    begin();
    sink_p = aligned_alloc(64, 64);
    end();
}
PROBE(aligned_alloc, large) {
    begin();
    sink_p = aligned_alloc(4096, 1 << 20);
    end();
}
PROBE(posix_memalign, first) {
    void *p;
    begin();
    sink_l = posix_memalign(&p, 64, 64);
    end();
    sink_p = p;
}

/* Arithmetic and conversions. */
PROBE(abs, basic) {
    volatile int x = -3;
    begin();
    sink_l = abs(x);
    end();
}
PROBE(labs, basic) {
    volatile long x = -3;
    begin();
    sink_l = labs(x);
    end();
}
PROBE(llabs, basic) {
    volatile long long x = -3;
    begin();
    sink_l = llabs(x);
    end();
}
PROBE(div, basic) {
    volatile int x = 7;
    begin();
    sink_l = div(x, 2).quot;
    end();
}
PROBE(ldiv, basic) {
    volatile long x = 7;
    begin();
    sink_l = ldiv(x, 2).rem;
    end();
}
static const char *volatile number = "  -12345xyz";
static const char *volatile real = "3.25e2";
PROBE(atoi, basic) {
    begin();
    sink_l = atoi(number);
    end();
}
PROBE(atol, basic) {
    begin();
    sink_l = atol(number);
    end();
}
PROBE(atoll, basic) {
    begin();
    sink_l = atoll(number);
    end();
}
PROBE(atof, basic) {
    begin();
    sink_d = atof(real);
    end();
}
PROBE(strtol, basic) {
    char *e;
    begin();
    sink_l = strtol(number, &e, 10);
    end();
}
PROBE(strtol, overflow) {
    char *e;
    begin();
    sink_l = strtol("999999999999999999999999", &e, 0);
    end();
}
PROBE(strtoul, basic) {
    char *e;
    begin();
    sink_l = (long)strtoul("0xffff", &e, 16);
    end();
}
PROBE(strtoll, basic) {
    char *e;
    begin();
    sink_l = strtoll(number, &e, 10);
    end();
}
PROBE(strtoull, basic) {
    char *e;
    begin();
    sink_l = (long)strtoull("12345", &e, 10);
    end();
}
PROBE(strtod, basic) {
    char *e;
    begin();
    sink_d = strtod(real, &e);
    end();
}
PROBE(strtod, long_mantissa) {
    /* Many digits: the exact conversion works on big numbers (on the stack, or malloc past a size). */
    static char digits[5000];
    memset(digits, '7', sizeof digits - 1);
    char *e;
    begin();
    sink_d = strtod(digits, &e);
    end();
}
PROBE(strtod, hex_inf_nan) {
    char *e;
    begin();
    sink_d = strtod("0x1.8p3", &e) + strtod("inf", &e) + strtod("nan(123)", &e);
    end();
}
PROBE(strtof, basic) {
    char *e;
    begin();
    sink_d = strtof(real, &e);
    end();
}

/* Sorting and searching. Past a size qsort sorts through a malloc'ed buffer,
 * and asks once how much physical memory there is (sysconf(_SC_PHYS_PAGES)). */
static int compare_ints(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}
PROBE(qsort, small) {
    int a[8] = {5, 3, 7, 1, 8, 2, 6, 4};
    begin();
    qsort(a, 8, sizeof a[0], compare_ints);
    end();
}
PROBE(qsort, large) {
    static int a[100000];
    for (int i = 0; i < 100000; i++) a[i] = (i * 7919) % 100003;
    begin();
    qsort(a, 100000, sizeof a[0], compare_ints);
    end();
}
PROBE(bsearch, basic) {
    int a[8] = {1, 2, 3, 4, 5, 6, 7, 8}, key = 6;
    begin();
    sink_p = bsearch(&key, a, 8, sizeof a[0], compare_ints);
    end();
}

/* Pseudo-random numbers. */
PROBE(rand, basic) {
    begin();
    sink_l = rand();
    end();
}
PROBE(srand, basic) {
    begin();
    srand(42);
    end();
}
PROBE(rand_r, basic) {
    unsigned seed = 1;
    begin();
    sink_l = rand_r(&seed);
    end();
}
PROBE(random, basic) {
    begin();
    sink_l = random();
    end();
}
PROBE(srandom, basic) {
    begin();
    srandom(42);
    end();
}
PROBE(arc4random, basic) {
    begin();
    sink_l = arc4random();
    end();
}
PROBE(arc4random_buf, small) {
    char b[32];
    begin();
    arc4random_buf(b, sizeof b);
    end();
    sink_l = b[0];
}
PROBE(arc4random_buf, large) {
    static char b[1 << 20];
    begin();
    arc4random_buf(b, sizeof b);
    end();
    sink_l = b[0];
}
PROBE(arc4random_uniform, basic) {
    begin();
    sink_l = arc4random_uniform(1000);
    end();
}

/* The environment. */
PROBE(getenv, basic) {
    begin();
    sink_p = getenv("PATH");
    end();
}
PROBE(getenv, missing) {
    begin();
    sink_p = getenv("PROBE_NO_SUCH_VARIABLE");
    end();
}
PROBE(secure_getenv, basic) {
    begin();
    sink_p = secure_getenv("PATH");
    end();
}
PROBE(setenv, basic) {
    begin();
    sink_l = setenv("PROBE_VARIABLE", "value", 1);
    end();
}
PROBE(unsetenv, basic) {
    begin();
    sink_l = unsetenv("PATH");
    end();
}

/* The ways out. abort raises SIGABRT; when a handler catches it and returns,
 * abort restores the default action and raises it again. exit flushes the
 * streams (write) and runs the atexit handlers before exit_group. */
static void returning_handler(int signal) { (void)signal; }
PROBE(abort, basic) {
    begin();
    abort();
}
PROBE(abort, handled) {
    signal(SIGABRT, returning_handler);
    begin();
    abort();
}
static void at_exit_handler(void) {}
PROBE(atexit, basic) {
    begin();
    sink_l = atexit(at_exit_handler);
    end();
}
PROBE(exit, basic) {
    begin();
    exit(0);
}
PROBE(exit, pending_output) {
    /* Enough to fill no buffer: exit writes it. */
    fputs("pending", stdout);
    fputs("pending", stderr);
    atexit(at_exit_handler);
    begin();
    exit(0);
}
PROBE(_Exit, basic) {
    begin();
    _Exit(0);
}

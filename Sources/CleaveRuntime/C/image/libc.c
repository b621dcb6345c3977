/* libc.c: the few C library functions the runtime and the generated C need, for an image
 * that has no C library. Copies and fills are `rep movsb`/`rep stosb`, which current CPUs
 * (and QEMU's TCG) run at memory speed; the compiler must not turn these loops back into
 * calls to themselves, hence the assembly. */
#include <math.h>
#include <string.h>

void *memcpy(void *restrict to, const void *restrict from, size_t n) {
    void *d = to;
    __asm__ volatile("rep movsb" : "+D"(d), "+S"(from), "+c"(n)::"memory");
    return to;
}

void *memmove(void *to, const void *from, size_t n) {
    if ((const unsigned char *)to <= (const unsigned char *)from || (const unsigned char *)to >= (const unsigned char *)from + n)
        return memcpy(to, from, n);
    /* Overlapping, destination above: copy backwards. */
    void *d = (unsigned char *)to + n - 1;
    const void *s = (const unsigned char *)from + n - 1;
    __asm__ volatile("std\n\trep movsb\n\tcld" : "+D"(d), "+S"(s), "+c"(n)::"memory");
    return to;
}

void *memset(void *to, int c, size_t n) {
    void *d = to;
    __asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
    return to;
}

int memcmp(const void *a, const void *b, size_t n) {
    const unsigned char *x = a, *y = b;
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
    return 0;
}

/* What clang makes of `memcmp(…) == 0`. */
int bcmp(const void *a, const void *b, size_t n) { return memcmp(a, b, n); }

void *memchr(const void *s, int c, size_t n) {
    const unsigned char *p = s;
    for (size_t i = 0; i < n; i++)
        if (p[i] == (unsigned char)c) return (void *)(p + i);
    return NULL;
}

size_t strlen(const char *s) {
    size_t n = 0;
    while (s[n]) n++;
    return n;
}

int strcmp(const char *a, const char *b) {
    while (*a && *a == *b) a++, b++;
    return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n) {
    for (; n > 0; n--, a++, b++) {
        if (*a != *b) return (unsigned char)*a - (unsigned char)*b;
        if (*a == 0) return 0;
    }
    return 0;
}

/* Toward zero; whole numbers (every Double of 2^52 and more is one), infinities and NaN as they are. */
double trunc(double x) {
    if (!(fabs(x) < 4503599627370496.0)) return x;
    return copysign((double)(long long)x, x);
}

/* To the nearest whole number, halves away from zero (C's round, and Swift's rounded()). */
double round(double x) {
    if (!(fabs(x) < 4503599627370496.0)) return x;
    double t = trunc(x);
    if (fabs(x - t) >= 0.5) t += copysign(1.0, x);
    return copysign(t, x);
}

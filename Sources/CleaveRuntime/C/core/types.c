/* types.c: what the runtime does to a value it knows only by its descriptor.
 *
 * Generic arrays and maps hold elements of any Cleave type; to copy, compare,
 * hash, mark, promote or release an element they ask its descriptor (cl_type).
 * Built-in types have descriptors here; the compiler emits one for each
 * array, map, struct, tuple, optional and enum type the program uses.
 */
#include <math.h>

#include "cleave.h"

void cl_mark(const cl_type *t, void *v) {
    if (t->mark) t->mark(t, v);
}

void cl_promote(const cl_type *t, void *v, cl_heap *h, bool force) {
    if (t->promote) t->promote(t, v, h, force);
}

void cl_release(const cl_type *t, void *v, cl_heap *h) {
    if (t->release) t->release(t, v, h);
}

bool cl_equal(const cl_type *t, const void *a, const void *b) {
    if (t->equal) return t->equal(t, a, b);
    return memcmp(a, b, t->size) == 0;
}

uint64_t cl_hash(const cl_type *t, const void *a) {
    if (t->hash) return t->hash(t, a);
    /* FNV-1a over the bytes of a plain value. */
    uint64_t h = 0xcbf29ce484222325u;
    const unsigned char *p = a;
    for (uint32_t i = 0; i < t->size; i++) h = (h ^ p[i]) * 0x100000001b3u;
    return h;
}

int cl_compare(const cl_type *t, const void *a, const void *b) {
    if (t->compare) return t->compare(t, a, b);
    return memcmp(a, b, t->size);
}

/* A 64-bit mix (splitmix64's finalizer): integer keys spread over the table. */
static uint64_t mix(uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9u;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebu;
    return x ^ (x >> 31);
}

#define CL_SCALAR(NAME, T)                                                                         \
    static bool NAME##_equal(const cl_type *t, const void *a, const void *b) {                     \
        (void)t;                                                                                   \
        return *(const T *)a == *(const T *)b;                                                     \
    }                                                                                              \
    static uint64_t NAME##_hash(const cl_type *t, const void *a) {                                 \
        (void)t;                                                                                   \
        return mix((uint64_t) * (const T *)a);                                                     \
    }                                                                                              \
    static int NAME##_compare(const cl_type *t, const void *a, const void *b) {                    \
        (void)t;                                                                                   \
        T x = *(const T *)a, y = *(const T *)b;                                                    \
        return x < y ? -1 : x > y ? 1 : 0;                                                         \
    }                                                                                              \
    const cl_type cl_type_##NAME = {.name = #NAME, .size = sizeof(T), .kind = CL_KIND_PLAIN,       \
        .equal = NAME##_equal, .hash = NAME##_hash, .compare = NAME##_compare};

CL_SCALAR(int8, int8_t)
CL_SCALAR(int16, int16_t)
CL_SCALAR(int32, int32_t)
CL_SCALAR(int64, int64_t)
CL_SCALAR(uint8, uint8_t)
CL_SCALAR(uint16, uint16_t)
CL_SCALAR(uint32, uint32_t)
CL_SCALAR(uint64, uint64_t)
CL_SCALAR(bool, bool)
CL_SCALAR(void, uint8_t)

static bool double_equal(const cl_type *t, const void *a, const void *b) {
    (void)t;
    return *(const double *)a == *(const double *)b;
}
static uint64_t double_hash(const cl_type *t, const void *a) {
    (void)t;
    double d = *(const double *)a;
    if (d == 0) d = 0; /* -0.0 == 0.0 */
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    return mix(bits);
}
static int double_compare(const cl_type *t, const void *a, const void *b) {
    (void)t;
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y ? 1 : 0;
}
const cl_type cl_type_double = {.name = "Double", .size = sizeof(double), .kind = CL_KIND_PLAIN,
    .equal = double_equal, .hash = double_hash, .compare = double_compare};

static bool bytes_equal(const cl_type *t, const void *a, const void *b) {
    (void)t;
    return cl_bytes_equal(*(cl_bytes const *)a, *(cl_bytes const *)b);
}
static uint64_t bytes_hash(const cl_type *t, const void *a) {
    (void)t;
    return cl_bytes_hash(*(cl_bytes const *)a);
}
static int bytes_compare(const cl_type *t, const void *a, const void *b) {
    (void)t;
    return cl_bytes_compare(*(cl_bytes const *)a, *(cl_bytes const *)b);
}
const cl_type cl_type_bytes = {.name = "Bytes", .size = sizeof(cl_bytes), .kind = CL_KIND_BYTES,
    .mark = cl_buf_mark, .promote = cl_buf_promote, .release = cl_buf_release,
    .equal = bytes_equal, .hash = bytes_hash, .compare = bytes_compare};

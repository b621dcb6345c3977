/* array.c: buffers, and arrays of any element type.
 *
 * A buffer (cl_buf) is a header and its elements, stored by value. The rules
 * of cleave.h play out in cl_buf_writable: a buffer is changed in place only
 * when the compiler says the value is owned and dies here (`reuse`) and no
 * one marked it shared; otherwise it is copied first. A copy in a region
 * shares the elements with the original, so they are marked shared in turn.
 * A buffer that grows in place moves to a larger block of its own heap.
 *
 * Elements stored into a buffer of a state heap are promoted into that heap,
 * elements replaced there are released, and elements removed from there are
 * copied out into the region: nothing of a state heap is ever owned twice.
 */
#include "cleave.h"

static const cl_type *elem_of(const cl_type *t) { return t->kind == CL_KIND_ARRAY ? t->elem : &cl_type_uint8; }

static bool has_buffers(const cl_type *elem) { return elem->kind != CL_KIND_PLAIN; }

static cl_buf *buf_alloc(cl_heap *h, uint32_t elem_size, int64_t capacity) {
    if (capacity < 0) capacity = 0;
    cl_buf *b = cl_alloc(h, sizeof(cl_buf) + (size_t)capacity * elem_size);
    b->count = 0;
    b->capacity = capacity;
    b->heap = h;
    b->flags = 0;
    b->elem_size = elem_size;
    return b;
}

cl_buf *cl_buf_new(const cl_type *elem, int64_t capacity) { return buf_alloc(cl_region, elem->size, capacity); }

static void mark_elements(const cl_type *elem, cl_buf *b, int64_t from, int64_t to) {
    if (!has_buffers(elem)) return;
    for (int64_t i = from; i < to; i++) cl_mark(elem, cl_buf_at(b, i));
}

cl_buf *cl_buf_writable(const cl_type *elem, cl_buf *b, bool reuse, int64_t need) {
    bool in_place = reuse && !(b->flags & CL_SHARED) && b->heap != NULL;
    if (in_place && b->capacity >= need) return b;
    /* Room to grow from what the buffer holds: a copy sized from the original's capacity
     * would double it at every copy of a copy. */
    int64_t base = in_place ? b->capacity : b->count;
    int64_t capacity = need > 2 * base ? need : 2 * base;
    if (capacity < 8) capacity = 8;
    /* Growing in place stays in the buffer's heap; a copy goes to the region. */
    cl_heap *home = in_place ? b->heap : cl_region;
    cl_buf *n = buf_alloc(home, b->elem_size, capacity);
    n->count = b->count;
    memcpy(n->data, b->data, (size_t)b->count * b->elem_size);
    if (in_place) {
        /* The new buffer takes the elements over. */
        cl_free_later(b->heap, b);
    } else {
        mark_elements(elem, n, 0, n->count);
    }
    return n;
}

cl_heap *cl_heap_of(const cl_type *t, const void *v) {
    switch (t->kind) {
    case CL_KIND_BYTES:
    case CL_KIND_ARRAY: {
        cl_buf *b = *(cl_buf *const *)v;
        return b ? b->heap : NULL;
    }
    case CL_KIND_MAP: {
        cl_map *m = *(cl_map *const *)v;
        return m ? cl_map_heap(m) : NULL;
    }
    default: return NULL;
    }
}

void cl_buf_mark(const cl_type *t, void *v) {
    (void)t;
    cl_buf *b = *(cl_buf **)v;
    if (b) b->flags |= CL_SHARED;
}

void cl_buf_promote(const cl_type *t, void *v, cl_heap *h, bool force) {
    cl_buf *b = *(cl_buf **)v;
    if (b == NULL) return;
    if (!force && b->heap == h && !(b->flags & CL_SHARED)) return;
    const cl_type *elem = elem_of(t);
    cl_buf *n = buf_alloc(h, b->elem_size, b->count);
    n->count = b->count;
    memcpy(n->data, b->data, (size_t)b->count * b->elem_size);
    if (has_buffers(elem))
        for (int64_t i = 0; i < n->count; i++) cl_promote(elem, cl_buf_at(n, i), h, true);
    *(cl_buf **)v = n;
}

void cl_buf_release(const cl_type *t, void *v, cl_heap *h) {
    cl_buf *b = *(cl_buf **)v;
    if (b == NULL || b->heap != h || h == NULL) return;
    const cl_type *elem = elem_of(t);
    if (has_buffers(elem))
        for (int64_t i = 0; i < b->count; i++) cl_release(elem, cl_buf_at(b, i), h);
    cl_free_later(h, b);
}

bool cl_array_equal_op(const cl_type *t, const void *a, const void *b) {
    cl_buf *x = *(cl_buf *const *)a, *y = *(cl_buf *const *)b;
    if (x->count != y->count) return false;
    for (int64_t i = 0; i < x->count; i++)
        if (!cl_equal(t->elem, cl_buf_at(x, i), cl_buf_at(y, i))) return false;
    return true;
}

int cl_array_compare_op(const cl_type *t, const void *a, const void *b) {
    cl_buf *x = *(cl_buf *const *)a, *y = *(cl_buf *const *)b;
    for (int64_t i = 0; i < x->count && i < y->count; i++) {
        int c = cl_compare(t->elem, cl_buf_at(x, i), cl_buf_at(y, i));
        if (c != 0) return c;
    }
    return x->count < y->count ? -1 : x->count > y->count ? 1 : 0;
}

/* Put a copy of x into slot i of b (a new slot, or one being replaced). */
static void store(const cl_type *elem, cl_buf *b, int64_t i, const void *x, bool replacing) {
    void *slot = cl_buf_at(b, i);
    bool state = b->heap != NULL && !cl_heap_is_region(b->heap);
    if (replacing && state) cl_release(elem, slot, b->heap);
    memcpy(slot, x, elem->size);
    if (state) cl_promote(elem, slot, b->heap, false);
}

cl_buf *cl_array_new(const cl_type *elem, int64_t capacity) { return cl_buf_new(elem, capacity); }

cl_buf *cl_array_of(const cl_type *elem, int64_t count, const void *elements) {
    cl_buf *b = cl_buf_new(elem, count);
    memcpy(b->data, elements, (size_t)count * elem->size);
    b->count = count;
    return b;
}

void *cl_array_at(cl_buf *a, int64_t i, const char *where) {
    if (i < 0 || i >= a->count) cl_trap_index(where, i, a->count);
    return cl_buf_at(a, i);
}

cl_buf *cl_array_set(const cl_type *elem, cl_buf *a, int64_t i, const void *x, bool reuse, const char *where) {
    if (i < 0 || i >= a->count) cl_trap_index(where, i, a->count);
    cl_buf *b = cl_buf_writable(elem, a, reuse, a->count);
    store(elem, b, i, x, true);
    return b;
}

cl_buf *cl_array_append(const cl_type *elem, cl_buf *a, const void *x, bool reuse) {
    cl_buf *b = cl_buf_writable(elem, a, reuse, a->count + 1);
    store(elem, b, b->count, x, false);
    b->count++;
    return b;
}

cl_buf *cl_array_append_contents(const cl_type *elem, cl_buf *a, cl_buf *other, bool reuse) {
    int64_t n = other->count;
    cl_buf *b = cl_buf_writable(elem, a, reuse, a->count + n);
    for (int64_t i = 0; i < n; i++) {
        void *x = cl_buf_at(other, i);
        if (has_buffers(elem)) cl_mark(elem, x);
        store(elem, b, b->count + i, x, false);
    }
    b->count += n;
    return b;
}

cl_buf *cl_array_concat(const cl_type *elem, cl_buf *a, cl_buf *c) {
    cl_buf *b = cl_buf_new(elem, a->count + c->count);
    memcpy(b->data, a->data, (size_t)a->count * elem->size);
    memcpy(b->data + (size_t)a->count * elem->size, c->data, (size_t)c->count * elem->size);
    b->count = a->count + c->count;
    mark_elements(elem, b, 0, b->count);
    return b;
}

cl_buf *cl_array_insert(const cl_type *elem, cl_buf *a, const void *x, int64_t i, bool reuse, const char *where) {
    if (i < 0 || i > a->count) cl_trap_index(where, i, a->count);
    cl_buf *b = cl_buf_writable(elem, a, reuse, a->count + 1);
    memmove(cl_buf_at(b, i + 1), cl_buf_at(b, i), (size_t)(b->count - i) * elem->size);
    store(elem, b, i, x, false);
    b->count++;
    return b;
}

cl_buf *cl_array_remove(const cl_type *elem, cl_buf *a, int64_t i, void *out, bool reuse, const char *where) {
    if (i == -1) {
        if (a->count == 0) cl_trap(where, "can't remove the last element from an empty array");
        i = a->count - 1;
    }
    if (i < 0 || i >= a->count) cl_trap_index(where, i, a->count);
    cl_buf *b = cl_buf_writable(elem, a, reuse, a->count);
    memcpy(out, cl_buf_at(b, i), elem->size);
    if (b->heap != NULL && !cl_heap_is_region(b->heap)) {
        /* Out of the state heap: the caller gets a copy of its own. */
        cl_promote(elem, out, cl_region, true);
        cl_release(elem, cl_buf_at(b, i), b->heap);
    }
    memmove(cl_buf_at(b, i), cl_buf_at(b, i + 1), (size_t)(b->count - i - 1) * elem->size);
    b->count--;
    return b;
}

cl_buf *cl_array_swap(const cl_type *elem, cl_buf *a, int64_t i, int64_t j, bool reuse, const char *where) {
    if (i < 0 || i >= a->count) cl_trap_index(where, i, a->count);
    if (j < 0 || j >= a->count) cl_trap_index(where, j, a->count);
    if (i == j) return a;
    cl_buf *b = cl_buf_writable(elem, a, reuse, a->count);
    unsigned char tmp[256];
    size_t n = elem->size;
    unsigned char *t = n <= sizeof tmp ? tmp : cl_alloc(cl_region, n);
    memcpy(t, cl_buf_at(b, i), n);
    memcpy(cl_buf_at(b, i), cl_buf_at(b, j), n);
    memcpy(cl_buf_at(b, j), t, n);
    return b;
}

cl_buf *cl_array_slice(const cl_type *elem, cl_buf *a, int64_t lo, int64_t hi, const char *where) {
    if (lo < 0 || hi > a->count || lo > hi) cl_trap_slice(where, lo, hi, a->count);
    cl_buf *b = cl_buf_new(elem, hi - lo);
    memcpy(b->data, cl_buf_at(a, lo), (size_t)(hi - lo) * elem->size);
    b->count = hi - lo;
    mark_elements(elem, b, 0, b->count);
    return b;
}

cl_buf *cl_array_repeating(const cl_type *elem, const void *x, int64_t count, const char *where) {
    if (count < 0) cl_trap(where, "can't make an array with a negative count");
    cl_buf *b = cl_buf_new(elem, count);
    for (int64_t i = 0; i < count; i++) memcpy(cl_buf_at(b, i), x, elem->size);
    b->count = count;
    if (count > 1) mark_elements(elem, b, 0, b->count);
    return b;
}

cl_buf *cl_array_reversed(const cl_type *elem, cl_buf *a) {
    cl_buf *b = cl_buf_new(elem, a->count);
    for (int64_t i = 0; i < a->count; i++) memcpy(cl_buf_at(b, i), cl_buf_at(a, a->count - 1 - i), elem->size);
    b->count = a->count;
    mark_elements(elem, b, 0, b->count);
    return b;
}

bool cl_array_less_by_type(void *ctx, const void *x, const void *y) { return cl_compare(ctx, x, y) < 0; }

/* Stable merge sort of `n` elements of `size` bytes from src into dst (src is scratch). */
static void merge_sort(unsigned char *dst, unsigned char *src, int64_t n, size_t size,
    bool (*less)(void *, const void *, const void *), void *ctx) {
    if (n < 2) return;
    int64_t mid = n / 2;
    /* Sort both halves of dst using src as scratch, then merge them into src... */
    merge_sort(src, dst, mid, size, less, ctx);
    merge_sort(src + (size_t)mid * size, dst + (size_t)mid * size, n - mid, size, less, ctx);
    /* ...now src holds two sorted halves: merge them into dst. */
    int64_t i = 0, j = mid, k = 0;
    while (i < mid && j < n) {
        if (less(ctx, src + (size_t)j * size, src + (size_t)i * size)) {
            memcpy(dst + (size_t)k++ * size, src + (size_t)j++ * size, size);
        } else {
            memcpy(dst + (size_t)k++ * size, src + (size_t)i++ * size, size);
        }
    }
    while (i < mid) memcpy(dst + (size_t)k++ * size, src + (size_t)i++ * size, size);
    while (j < n) memcpy(dst + (size_t)k++ * size, src + (size_t)j++ * size, size);
}

cl_buf *cl_array_sorted(const cl_type *elem, cl_buf *a, bool (*less)(void *ctx, const void *x, const void *y), void *ctx) {
    cl_buf *b = cl_buf_new(elem, a->count);
    size_t bytes = (size_t)a->count * elem->size;
    unsigned char *scratch = cl_alloc(cl_region, bytes > 0 ? bytes : 1);
    memcpy(b->data, a->data, bytes);
    memcpy(scratch, a->data, bytes);
    b->count = a->count;
    merge_sort(b->data, scratch, a->count, elem->size, less, ctx);
    mark_elements(elem, b, 0, b->count);
    return b;
}

bool cl_array_first_index(const cl_type *elem, cl_buf *a, const void *x, int64_t *index) {
    for (int64_t i = 0; i < a->count; i++) {
        if (cl_equal(elem, cl_buf_at(a, i), x)) {
            *index = i;
            return true;
        }
    }
    return false;
}

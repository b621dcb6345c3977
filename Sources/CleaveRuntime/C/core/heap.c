/* heap.c: where a Cleave program's values live.
 *
 * A region is a bump allocator over a list of chunks: allocating is moving a
 * cursor, and freeing everything at once (the end of an iteration of main's
 * loop) is moving it back. Chunks up to CL_KEEP bytes are kept across resets
 * and reused in order; what one big request needed beyond that is returned
 * to the system, so a service that once computed 10000! does not keep that
 * memory for ever.
 *
 * A state heap is malloc (the platform's, platform.h) with bookkeeping:
 * every block carries a header that links it into its heap (so a heap can be
 * emptied at once: the two-space heaps of main's carried values) and records
 * its size (for the memory counters). Blocks of a state heap are freed
 * "later": at the end of the current iteration, when no value of the
 * iteration can refer to them any more (see cleave.h).
 *
 * Built with AddressSanitizer, a region keeps what it has not handed out
 * poisoned, and a gap after each value: a read or write past a value, or of a
 * value whose iteration has ended, is then reported as it is for memory from
 * malloc, which the sanitizer watches by itself.
 */
#include "cleave.h"

#define CL_ALIGN 16
#define CL_CHUNK (1u << 20)

#if CL_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#define CL_REDZONE CL_ALIGN
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#define CL_REDZONE 0
#endif

typedef struct cl_chunk {
    struct cl_chunk *next;
    size_t size;
    unsigned char *data;
} cl_chunk;

typedef struct cl_block {
    struct cl_block *prev, *next;
    size_t size;
    size_t pad; /* keeps the payload 16-byte aligned */
} cl_block;

struct cl_heap {
    const char *name;
    bool is_region;
    /* region */
    cl_chunk *chunks;  /* the first is kept across resets */
    cl_chunk *current; /* where the cursor is */
    size_t used;       /* bytes used in `current` */
    /* malloc heap */
    cl_block head;     /* circular list of live blocks */
};

static void *checked_alloc(size_t n) {
    void *p = cl_platform_alloc(n);
    if (p == NULL) cl_trap("runtime", "out of memory");
    return p;
}

static cl_heap *region_new(const char *name) {
    cl_heap *h = cl_platform_alloc_zeroed(1, sizeof *h);
    if (h == NULL) cl_trap("runtime", "out of memory");
    h->name = name;
    h->is_region = true;
    return h;
}

cl_heap *cl_heap_new(const char *name) {
    cl_heap *h = cl_platform_alloc_zeroed(1, sizeof *h);
    if (h == NULL) cl_trap("runtime", "out of memory");
    h->name = name;
    h->head.prev = h->head.next = &h->head;
    return h;
}

static cl_heap *setup_region, *iteration_region;
cl_heap *cl_region;
static cl_heap *carry_heaps[2];
static int carry_next;

/* Called once by the service before anything is allocated. */
void cl_heap_init(void) {
    setup_region = region_new("setup");
    iteration_region = region_new("iteration");
    carry_heaps[0] = cl_heap_new("main's loop");
    carry_heaps[1] = cl_heap_new("main's loop");
    cl_region = setup_region;
}

static void *region_alloc(cl_heap *h, size_t size) {
    size_t asked = size;
    size = ((size + CL_ALIGN - 1) & ~(size_t)(CL_ALIGN - 1)) + CL_REDZONE;
    if (h->current != NULL && h->used + size <= h->current->size) {
        void *p = h->current->data + h->used;
        h->used += size;
        UNPOISON(p, asked);
        return p;
    }
    /* The next kept chunk if it is big enough, else a new one. */
    cl_chunk *next = h->current ? h->current->next : h->chunks;
    if (next == NULL || next->size < size) {
        size_t n = size > CL_CHUNK ? size : CL_CHUNK;
        cl_chunk *c = checked_alloc(sizeof *c + n + CL_ALIGN);
        c->size = n;
        c->data = (unsigned char *)(((uintptr_t)(c + 1) + CL_ALIGN - 1) & ~(uintptr_t)(CL_ALIGN - 1));
        POISON(c->data, n);
        if (h->current == NULL) {
            c->next = h->chunks;
            h->chunks = c;
        } else {
            c->next = h->current->next;
            h->current->next = c;
        }
        next = c;
    }
    h->current = next;
    h->used = size;
    UNPOISON(next->data, asked);
    return next->data;
}

/* Chunks a reset keeps, in bytes: enough that a service needing a few MiB per
 * iteration does not malloc and free them every time, little enough that one
 * huge request does not keep its memory for ever. */
#define CL_KEEP (8u << 20)

static void region_reset(cl_heap *h) {
    if (h->chunks == NULL) return;
    size_t kept = h->chunks->size;
    cl_chunk *last = h->chunks;
    POISON(last->data, last->size);
    cl_chunk *c = h->chunks->next;
    while (c != NULL) {
        cl_chunk *n = c->next;
        if (kept + c->size <= CL_KEEP) {
            kept += c->size;
            last->next = c;
            last = c;
            POISON(c->data, c->size);
        } else {
            cl_platform_free(c);
        }
        c = n;
    }
    last->next = NULL;
    h->current = h->chunks;
    h->used = 0;
}

void *cl_alloc(cl_heap *h, size_t size) {
    if (h->is_region) return region_alloc(h, size);
    cl_block *b = checked_alloc(sizeof *b + size);
    b->size = size;
    b->next = h->head.next;
    b->prev = &h->head;
    h->head.next->prev = b;
    h->head.next = b;
    return b + 1;
}

/* Blocks to free at the end of the iteration. */
static cl_block **deferred;
static size_t deferred_count, deferred_capacity;

void cl_free_later(cl_heap *h, void *p) {
    if (h == NULL || h->is_region || p == NULL) return;
    cl_block *b = (cl_block *)p - 1;
    /* Unlink now: a heap emptied before the iteration ends must not free it twice. */
    b->prev->next = b->next;
    b->next->prev = b->prev;
    b->prev = b->next = b;
    if (deferred_count == deferred_capacity) {
        deferred_capacity = deferred_capacity ? 2 * deferred_capacity : 256;
        cl_block **d = cl_platform_resize(deferred, deferred_capacity * sizeof *d);
        if (d == NULL) cl_trap("runtime", "out of memory");
        deferred = d;
    }
    deferred[deferred_count++] = b;
}

static void free_deferred(void) {
    for (size_t i = 0; i < deferred_count; i++) {
        cl_platform_free(deferred[i]);
    }
    deferred_count = 0;
}

void cl_heap_free_all(cl_heap *h) {
    cl_block *b = h->head.next;
    while (b != &h->head) {
        cl_block *n = b->next;
        cl_platform_free(b);
        b = n;
    }
    h->head.prev = h->head.next = &h->head;
}

void cl_loop_enter(void) { cl_region = iteration_region; }

void cl_loop_exit(void) {
    cl_region = setup_region;
    free_deferred();
}

void cl_iteration_end(void) {
    free_deferred();
    region_reset(iteration_region);
}

cl_heap *cl_carry_heap_next(void) {
    cl_heap *h = carry_heaps[carry_next];
    carry_next ^= 1;
    cl_heap_free_all(h);
    return h;
}

/* Every state made, kept for the life of the process: a state lives as long as the service, and
 * what the generated code holds it in (a local of main, a register) may be gone at the clean end,
 * where a sanitized build looks for memory nothing reaches. */
static void **states;
static size_t state_count, state_capacity;

void *cl_state_alloc(size_t size) {
    void *p = cl_platform_alloc_zeroed(1, size);
    if (p == NULL) cl_trap("runtime", "out of memory");
    if (state_count == state_capacity) {
        size_t capacity = state_capacity ? 2 * state_capacity : 16;
        void **grown = cl_platform_resize(states, capacity * sizeof *grown);
        if (grown == NULL) cl_trap("runtime", "out of memory");
        states = grown;
        state_capacity = capacity;
    }
    states[state_count++] = p;
    return p;
}

bool cl_heap_is_region(const cl_heap *h) { return h != NULL && h->is_region; }

/* ---- memory contexts (components.c) ---------------------------------------
 * A projected program runs its components as coroutines of one thread. Each
 * has its own regions, carry heaps and deferred frees, so one component's
 * iteration end never resets memory another still uses. */

struct cl_memory {
    cl_heap *setup_region, *iteration_region, *region;
    cl_heap *carry_heaps[2];
    int carry_next;
    cl_block **deferred;
    size_t deferred_count, deferred_capacity;
};

cl_memory *cl_memory_new(void) {
    cl_memory *m = cl_platform_alloc_zeroed(1, sizeof *m);
    if (m == NULL) cl_trap("runtime", "out of memory");
    m->setup_region = region_new("setup");
    m->iteration_region = region_new("iteration");
    m->carry_heaps[0] = cl_heap_new("main's loop");
    m->carry_heaps[1] = cl_heap_new("main's loop");
    m->region = m->setup_region;
    return m;
}

cl_memory *cl_memory_slot(void) {
    cl_memory *m = cl_platform_alloc_zeroed(1, sizeof *m);
    if (m == NULL) cl_trap("runtime", "out of memory");
    return m;
}

void cl_memory_switch(cl_memory *save, const cl_memory *load) {
    *save = (cl_memory){setup_region, iteration_region, cl_region, {carry_heaps[0], carry_heaps[1]}, carry_next,
        deferred, deferred_count, deferred_capacity};
    setup_region = load->setup_region;
    iteration_region = load->iteration_region;
    cl_region = load->region;
    carry_heaps[0] = load->carry_heaps[0];
    carry_heaps[1] = load->carry_heaps[1];
    carry_next = load->carry_next;
    deferred = load->deferred;
    deferred_count = load->deferred_count;
    deferred_capacity = load->deferred_capacity;
}


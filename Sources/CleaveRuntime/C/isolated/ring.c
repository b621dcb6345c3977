/* ring.c: a single-producer single-consumer byte ring in shared memory.
 *
 * The writer owns `tail`, the reader `head`; both only grow, and the bytes
 * between them are the ring's contents (data[position % capacity]). Each side
 * keeps the other's position as last seen and reads the shared one only when
 * the cached one says full or empty, so a stream of messages costs no shared
 * cache line per message but the one written. Messages larger than the ring
 * pass in pieces: the writer publishes what fits and waits for room.
 *
 * Waiting spins a little (the other side is usually about to answer),
 * giving the processor away every few spins (sched_yield: on a machine with
 * fewer processors than busy processes the other side may need this one to
 * answer at all), for as long as spinning has been paying off on this end
 * (the budget adapts), then sleeps on a futex. After a burst, though (this end
 * read or wrote several times since it last waited), the wait is for the next
 * burst, which is further off: it spins only briefly, without yielding, and
 * sleeps. A service answering one request at a time keeps spinning between
 * requests, which is what its latency needs; one answering bursts sleeps
 * between them instead of taking a processor the others need. The sleeper
 * announces itself (`*_sleeping`), re-checks, and sleeps on a wake counter;
 * the other side, after publishing, looks for an announced sleeper, claims
 * its flag, and bumps the counter and wakes it. Each side's sleeping flag and
 * wake counter have a cache line of their own: they change only around a
 * sleep, while the positions change with every message. Both sides order
 * "announce, re-check" and "publish, look" with sequentially consistent
 * operations, so a wake-up is never lost, and the futex system call happens
 * only when the ring really was empty (or full) and the waiter really slept.
 *
 * A writer with more to send may post instead of publish: the bytes are
 * visible at once, but a sleeping reader is left asleep and owed a wake, which
 * the writer gives (cl_ring_wake) when it has sent what it had, at the latest
 * before it waits itself (cl_ring_before_wait). A burst then costs one wake,
 * and the reader, once awake, takes the whole burst instead of being woken
 * (and, on a shared processor, run) for each message.
 *
 * Closing a side sets its flag and wakes the other, which sees the end once
 * the bytes already written are read.
 *
 * A wait gives up when cl_ring_interrupted says so, which it asks before it
 * sleeps and again after a signal interrupts the sleep. A signal whose
 * handler runs after that question and before the futex call would leave the
 * wait asleep, the answer changed and no one to wake it: the handler calls
 * cl_ring_wake_waiter, which moves the wake counter the wait is about to
 * sleep on, so the futex call returns at once and the question is asked
 * again (the netifs' wake pipe does the same for a wait for input).
 *
 * The launcher reads the sleeping flags too: a side that has announced its
 * sleep waits for the other side and is not itself stalled (launcher.c): a
 * reader on an empty ring, or on one whose writer owes it a wake; a writer on
 * a full ring. A flag is therefore set only around a sleep, never left set by
 * a side that has gone on.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "isolated.h"

int (*cl_ring_interrupted)(void);
void (*cl_ring_before_wait)(void);
/* The wake counter of this thread's wait in progress (NULL: none), for cl_ring_wake_waiter. */
static _Thread_local _Atomic(_Atomic uint32_t *) waiting_on;
unsigned cl_ring_spins = 4000;
unsigned cl_ring_yield_every = 16;
bool cl_ring_adapt = true;

#define BURST 8          /* reads (writes) since the last wait that make a burst */
#define AFTER_BURST 64u  /* the spins of a wait after a burst, without yielding */

static void futex_wait(_Atomic uint32_t *word, uint32_t expected) {
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT, expected, NULL, NULL, 0);
}

static void futex_wake(_Atomic uint32_t *word) {
    atomic_fetch_add_explicit(word, 1, memory_order_seq_cst);
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE, 1, NULL, NULL, 0);
}

static inline void relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

size_t cl_ring_bytes(uint64_t capacity) { return sizeof(cl_ring) + capacity; }

void cl_ring_init(cl_ring *ring, uint64_t capacity) {
    atomic_store(&ring->tail, 0);
    atomic_store(&ring->head, 0);
    atomic_store(&ring->writer_sleeping, 0);
    atomic_store(&ring->reader_sleeping, 0);
    atomic_store(&ring->writer_closed, 0);
    atomic_store(&ring->reader_closed, 0);
    ring->capacity = capacity;
    ring->magic = CL_RING_MAGIC;
}

/* Sleep until the other side moves or closes: 0, -1 (closed, nothing left), -2 (given up). */
static int sleep_for(cl_ring_end *e, bool writer) {
    cl_ring *ring = e->ring;
    _Atomic uint64_t *other = writer ? &ring->head : &ring->tail;
    _Atomic uint32_t *sleeping = writer ? &ring->writer_sleeping : &ring->reader_sleeping;
    _Atomic uint32_t *wake = writer ? &ring->writer_wake : &ring->reader_wake;
    _Atomic uint32_t *closed = writer ? &ring->reader_closed : &ring->writer_closed;
    uint64_t seen = e->seen;
    /* From here a signal handler may move `wake` (cl_ring_wake_waiter): a move before the ticket
     * is taken is harmless, as the handler's word is seen by the question below. */
    atomic_store(&waiting_on, wake);
    int result;
    for (;;) {
        uint32_t ticket = atomic_load_explicit(wake, memory_order_seq_cst);
        atomic_store_explicit(sleeping, 1, memory_order_seq_cst);
        bool moved = atomic_load_explicit(other, memory_order_seq_cst) != seen;
        bool gone = atomic_load_explicit(closed, memory_order_seq_cst) != 0;
        if (moved || gone) {
            atomic_store_explicit(sleeping, 0, memory_order_relaxed);
            /* Closed: a reader still gets what was written before. */
            result = moved || atomic_load_explicit(other, memory_order_acquire) != seen ? 0 : -1;
            break;
        }
        if (cl_ring_interrupted && cl_ring_interrupted()) {
            atomic_store_explicit(sleeping, 0, memory_order_relaxed);
            result = -2;
            break;
        }
        futex_wait(wake, ticket);
        atomic_store_explicit(sleeping, 0, memory_order_relaxed);
    }
    atomic_store(&waiting_on, NULL);
    return result;
}

void cl_ring_wake_waiter(void) {
    _Atomic uint32_t *wake = atomic_load(&waiting_on);
    if (wake) atomic_fetch_add_explicit(wake, 1, memory_order_seq_cst);
}

/* Wait until the other side moved (0) or closed (-1), or the wait was given up (-2). */
static int wait_for(cl_ring_end *e, bool writer) {
    if (cl_ring_before_wait) cl_ring_before_wait();
    cl_ring *ring = e->ring;
    _Atomic uint64_t *other = writer ? &ring->head : &ring->tail;
    _Atomic uint32_t *closed = writer ? &ring->reader_closed : &ring->writer_closed;
    uint64_t seen = e->seen;
    bool after_burst = cl_ring_adapt && e->run >= BURST;
    e->run = 0;
    if (after_burst) {
        unsigned spins = cl_ring_spins < AFTER_BURST ? cl_ring_spins : AFTER_BURST;
        for (unsigned i = 0; i < spins; i++) {
            if (atomic_load_explicit(other, memory_order_acquire) != seen) return 0;
            if (atomic_load_explicit(closed, memory_order_relaxed)) break;
            relax();
        }
        return sleep_for(e, writer);
    }
    /* Spin as long as spinning has been paying off on this end: a budget that doubles when
     * the other side answered within it and halves when it did not. */
    if (e->spin == 0 || e->spin > cl_ring_spins || !cl_ring_adapt) e->spin = cl_ring_spins;
    for (unsigned i = 0; i < e->spin; i++) {
        if (atomic_load_explicit(other, memory_order_acquire) != seen) {
            e->spin = e->spin * 2 > cl_ring_spins ? cl_ring_spins : e->spin * 2;
            return 0;
        }
        if (atomic_load_explicit(closed, memory_order_relaxed)) break;
        relax();
        if (cl_ring_yield_every && i % cl_ring_yield_every == cl_ring_yield_every - 1) sched_yield();
    }
    e->spin = e->spin / 2 > 16 ? e->spin / 2 : 16;
    return sleep_for(e, writer);
}

/* The waker claims the sleeper's flag: one futex call per sleep, not one per message
 * until the sleeper runs again. */
static void wake_if_sleeping(_Atomic uint32_t *sleeping, _Atomic uint32_t *wake) {
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(sleeping, memory_order_seq_cst) && atomic_exchange_explicit(sleeping, 0, memory_order_seq_cst))
        futex_wake(wake);
}

int cl_ring_write(cl_ring_end *w, const void *data, size_t n) {
    cl_ring *ring = w->ring;
    w->run++;
    const uint64_t capacity = ring->capacity;
    const unsigned char *p = data;
    while (n > 0) {
        uint64_t room = capacity - (w->position - w->seen);
        if (room == 0) {
            w->seen = atomic_load_explicit(&ring->head, memory_order_acquire);
            room = capacity - (w->position - w->seen);
            if (room == 0) {
                if (atomic_load_explicit(&ring->reader_closed, memory_order_relaxed)) return -1;
                cl_ring_publish(w); /* what is written so far, so the reader can make room */
                int waited = wait_for(w, true);
                if (waited < 0) return waited;
                continue;
            }
        }
        size_t k = n < room ? n : (size_t)room;
        size_t at = (size_t)(w->position & (capacity - 1));
        size_t first = k < capacity - at ? k : (size_t)(capacity - at);
        memcpy(ring->data + at, p, first);
        if (k > first) memcpy(ring->data, p + first, k - first);
        w->position += k;
        p += k;
        n -= k;
    }
    return 0;
}

void cl_ring_publish(cl_ring_end *w) {
    cl_ring_post(w);
    cl_ring_wake(w);
}

void cl_ring_post(cl_ring_end *w) {
    atomic_store_explicit(&w->ring->tail, w->position, memory_order_release);
    w->owed = true;
}

void cl_ring_wake(cl_ring_end *w) {
    if (!w->owed) return;
    w->owed = false;
    wake_if_sleeping(&w->ring->reader_sleeping, &w->ring->reader_wake);
}

int cl_ring_read(cl_ring_end *r, void *data, size_t n) {
    cl_ring *ring = r->ring;
    r->run++;
    const uint64_t capacity = ring->capacity;
    unsigned char *p = data;
    while (n > 0) {
        uint64_t have = r->seen - r->position;
        if (have == 0) {
            r->seen = atomic_load_explicit(&ring->tail, memory_order_acquire);
            have = r->seen - r->position;
            if (have == 0) {
                cl_ring_release(r); /* room for the writer while this side waits */
                int waited = wait_for(r, false);
                if (waited < 0) return waited;
                r->seen = atomic_load_explicit(&ring->tail, memory_order_acquire);
                continue;
            }
        }
        size_t k = n < have ? n : (size_t)have;
        size_t at = (size_t)(r->position & (capacity - 1));
        size_t first = k < capacity - at ? k : (size_t)(capacity - at);
        memcpy(p, ring->data + at, first);
        if (k > first) memcpy(p + first, ring->data, k - first);
        r->position += k;
        p += k;
        n -= k;
    }
    return 0;
}

void cl_ring_release(cl_ring_end *r) {
    atomic_store_explicit(&r->ring->head, r->position, memory_order_release);
    wake_if_sleeping(&r->ring->writer_sleeping, &r->ring->writer_wake);
}

void cl_ring_close_writer(cl_ring *ring) {
    atomic_store_explicit(&ring->writer_closed, 1, memory_order_seq_cst);
    futex_wake(&ring->reader_wake);
}

void cl_ring_close_reader(cl_ring *ring) {
    atomic_store_explicit(&ring->reader_closed, 1, memory_order_seq_cst);
    futex_wake(&ring->writer_wake);
}

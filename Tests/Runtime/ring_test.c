/* ring_test.c: the isolated target's byte rings (ring.c).
 *
 * Rings of a few bytes (16, 32, 64) carry streams many times their capacity,
 * so that messages straddle the end of the ring over and over, and every byte
 * read is checked against the byte written at that position of the stream.
 * The stream goes three ways: both ends in one thread (writes never larger
 * than the room left, so nothing waits), writer and reader in two threads, and
 * in two processes sharing a mapping (there the sides wait for each other:
 * messages larger than the ring, sleeping on the futex and being woken).
 * Closing: a reader gets what was written before the writer closed, then -1;
 * a writer gets -1 once the reader has gone, also while it waits for room.
 * A signal whose handler asks a wait to give up (cl_ring_wake_waiter) ends it
 * even when it lands between the wait's last look and its sleep.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/mman.h>

#include "harness.h"
#include "isolated/isolated.h"

/* The byte at position p of every stream: neighbours differ, and the pattern does not repeat
 * within a ring's capacity, so a byte moved, lost or doubled is seen. */
static uint8_t stream_byte(uint64_t p) {
    uint64_t x = (p + 1) * 0x9E3779B97F4A7C15u;
    return (uint8_t)(x >> 56 ^ x >> 29);
}

/* Sizes and choices from a fixed sequence (SplitMix64), so a failure reproduces. */
static uint64_t next_random(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

/* A ring in memory shared with a child process (MAP_SHARED), aligned as its lines ask. */
static cl_ring *new_ring(uint64_t capacity) {
    void *p = mmap(NULL, cl_ring_bytes(capacity), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        exit(2);
    }
    cl_ring_init(p, capacity);
    return p;
}

static void free_ring(cl_ring *ring) { munmap(ring, cl_ring_bytes(ring->capacity)); }

/* ---- one thread, both ends ------------------------------------------------- */

/* Write and read in steps, never more than fits or than is there, until `total` bytes have
 * passed; every byte read is checked. Steps are random, or `step` bytes each: write, read,
 * write, ... Returns the number of wrong bytes. */
static uint64_t one_thread_stream(uint64_t capacity, uint64_t total, uint64_t seed, uint64_t step) {
    cl_ring *ring = new_ring(capacity);
    cl_ring_end w = {.ring = ring}, r = {.ring = ring};
    uint64_t written = 0, read = 0, wrong = 0, state = seed;
    uint8_t buffer[256];
    while (read < total) {
        uint64_t room = capacity - (written - read), have = written - read;
        bool write = room > 0 && written < total && (have == 0 || (step == 0 && next_random(&state) % 2 == 0));
        uint64_t limit = write ? room : have;
        if (write && limit > total - written) limit = total - written;
        uint64_t n = step ? (step < limit ? step : limit) : 1 + next_random(&state) % limit;
        if (write) {
            for (uint64_t i = 0; i < n; i++) buffer[i] = stream_byte(written + i);
            if (cl_ring_write(&w, buffer, n) != 0) return total;
            cl_ring_publish(&w);
            written += n;
        } else {
            memset(buffer, 0, sizeof buffer);
            if (cl_ring_read(&r, buffer, n) != 0) return total;
            cl_ring_release(&r);
            for (uint64_t i = 0; i < n; i++) wrong += buffer[i] != stream_byte(read + i);
            read += n;
        }
    }
    free_ring(ring);
    return wrong;
}

static void check_one_thread(void) {
    const uint64_t capacities[] = {16, 32, 64};
    for (size_t c = 0; c < sizeof capacities / sizeof capacities[0]; c++) {
        uint64_t capacity = capacities[c];
        for (uint64_t seed = 1; seed <= 4; seed++) {
            uint64_t wrong = one_thread_stream(capacity, 200 * capacity + 7, seed, 0);
            CHECK(wrong == 0, "one thread, capacity %llu, seed %llu: %llu wrong bytes", (unsigned long long)capacity,
                (unsigned long long)seed, (unsigned long long)wrong);
        }
        /* Steps of capacity - 1: each starts one place before the last, so nearly every write and
         * read straddles the end, at every possible split. */
        uint64_t wrong = one_thread_stream(capacity, 50 * capacity, 99, capacity - 1);
        CHECK(wrong == 0, "one thread, capacity %llu, steps of %llu: %llu wrong bytes", (unsigned long long)capacity,
            (unsigned long long)(capacity - 1), (unsigned long long)wrong);
    }
    /* Each message of 5 bytes on a ring of 16 starts one place further round: by 16 messages
     * every split of a message at the end (1+4, 2+3, ...) has been written and read. */
    cl_ring *ring = new_ring(16);
    cl_ring_end w = {.ring = ring}, r = {.ring = ring};
    uint64_t wrong = 0;
    for (uint64_t m = 0; m < 64; m++) {
        uint8_t out[5], in[5];
        for (int i = 0; i < 5; i++) out[i] = stream_byte(5 * m + (uint64_t)i);
        cl_ring_write(&w, out, 5);
        cl_ring_publish(&w);
        memset(in, 0, sizeof in);
        cl_ring_read(&r, in, 5);
        cl_ring_release(&r);
        wrong += memcmp(in, out, 5) != 0;
    }
    CHECK(wrong == 0, "messages of 5 bytes round a ring of 16: %llu arrive wrong", (unsigned long long)wrong);
    CHECK(atomic_load(&ring->tail) == 320 && atomic_load(&ring->head) == 320, "the positions count every byte (320)");
    free_ring(ring);
}

/* ---- two threads, two processes ------------------------------------------- */

typedef struct stream {
    cl_ring *ring;
    uint64_t total, seed;
    uint64_t largest; /* the largest piece, which may be larger than the ring */
    int result;       /* what the last write or read said */
    uint64_t wrong;
} stream;

static void *write_stream(void *argument) {
    stream *s = argument;
    cl_ring_end w = {.ring = s->ring};
    uint64_t written = 0, state = s->seed;
    static _Thread_local uint8_t buffer[1024];
    s->result = 0;
    while (written < s->total && s->result == 0) {
        uint64_t n = 1 + next_random(&state) % s->largest;
        if (n > s->total - written) n = s->total - written;
        for (uint64_t i = 0; i < n; i++) buffer[i] = stream_byte(written + i);
        s->result = cl_ring_write(&w, buffer, n);
        /* Publishing only now and then: the reader then waits on bytes the writer has but hides. */
        if (next_random(&state) % 3 != 0) cl_ring_publish(&w);
        written += n;
    }
    cl_ring_publish(&w);
    cl_ring_close_writer(s->ring);
    return NULL;
}

static void *read_stream(void *argument) {
    stream *s = argument;
    cl_ring_end r = {.ring = s->ring};
    uint64_t read = 0, state = s->seed * 31 + 7;
    static _Thread_local uint8_t buffer[1024];
    s->wrong = 0;
    for (;;) {
        uint64_t n = 1 + next_random(&state) % s->largest;
        if (read < s->total && n > s->total - read) n = s->total - read;
        s->result = cl_ring_read(&r, buffer, n);
        if (s->result != 0) break;
        for (uint64_t i = 0; i < n; i++) s->wrong += buffer[i] != stream_byte(read + i);
        read += n;
        if (next_random(&state) % 3 != 0) cl_ring_release(&r);
    }
    /* Everything arrived before the end: the read after the last byte is the one that failed. */
    if (read != s->total) s->wrong += s->total > read ? s->total - read : read - s->total;
    return NULL;
}

static void check_two_threads(unsigned spins) {
    const uint64_t capacities[] = {16, 32, 64};
    cl_ring_spins = spins;
    for (size_t c = 0; c < sizeof capacities / sizeof capacities[0]; c++) {
        uint64_t capacity = capacities[c];
        stream w = {.ring = new_ring(capacity), .total = 20000 + c, .seed = 5 + c, .largest = 3 * capacity};
        stream r = w;
        pthread_t writer;
        pthread_create(&writer, NULL, write_stream, &w);
        read_stream(&r);
        pthread_join(writer, NULL);
        CHECK(w.result == 0, "two threads, capacity %llu, spins %u: a write said %d", (unsigned long long)capacity, spins,
            w.result);
        CHECK(r.result == -1 && r.wrong == 0,
            "two threads, capacity %llu, spins %u: %llu bytes wrong or missing, the last read said %d (-1 expected)",
            (unsigned long long)capacity, spins, (unsigned long long)r.wrong, r.result);
        free_ring(w.ring);
    }
    cl_ring_spins = 4000;
}

static void check_two_processes(void) {
    const uint64_t capacities[] = {16, 32, 64};
    for (size_t c = 0; c < sizeof capacities / sizeof capacities[0]; c++) {
        uint64_t capacity = capacities[c];
        stream s = {.ring = new_ring(capacity), .total = 30000 + 3 * c, .seed = 11 + c, .largest = 2 * capacity + 3};
        fflush(stdout);
        pid_t child = fork();
        if (child == 0) {
            cl_ring_spins = c == 0 ? 0 : 4000; /* the first sleeps at once, every time it waits */
            write_stream(&s);
            _exit(s.result == 0 ? 0 : 1);
        }
        read_stream(&s);
        int status = 0;
        waitpid(child, &status, 0);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "two processes, capacity %llu: the writer failed",
            (unsigned long long)capacity);
        CHECK(s.result == -1 && s.wrong == 0,
            "two processes, capacity %llu: %llu bytes wrong or missing, the last read said %d (-1 expected)",
            (unsigned long long)capacity, (unsigned long long)s.wrong, s.result);
        free_ring(s.ring);
    }
}

/* ---- closing ------------------------------------------------------------------ */

static void *close_reader_later(void *argument) {
    cl_ring *ring = argument;
    /* Wait until the writer has filled the ring and sleeps waiting for room, then leave. */
    while (!atomic_load(&ring->writer_sleeping)) sched_yield();
    cl_ring_close_reader(ring);
    return NULL;
}

static void *write_later(void *argument) {
    cl_ring *ring = argument;
    cl_ring_end w = {.ring = ring};
    while (!atomic_load(&ring->reader_sleeping)) sched_yield();
    uint8_t bytes[3] = {stream_byte(0), stream_byte(1), stream_byte(2)};
    cl_ring_write(&w, bytes, 3);
    cl_ring_publish(&w);
    return NULL;
}

static void *close_writer_later(void *argument) {
    cl_ring *ring = argument;
    while (!atomic_load(&ring->reader_sleeping)) sched_yield();
    cl_ring_close_writer(ring);
    return NULL;
}

static int give_up(void) { return 1; }

static void check_closing(void) {
    uint8_t bytes[64], in[64];
    for (int i = 0; i < 64; i++) bytes[i] = stream_byte((uint64_t)i);

    /* The writer closes with bytes in the ring: the reader gets them, then -1. */
    cl_ring *ring = new_ring(16);
    cl_ring_end w = {.ring = ring}, r = {.ring = ring};
    cl_ring_write(&w, bytes, 10);
    cl_ring_publish(&w);
    cl_ring_close_writer(ring);
    memset(in, 0, sizeof in);
    CHECK(cl_ring_read(&r, in, 4) == 0 && memcmp(in, bytes, 4) == 0, "after the writer closed, the first 4 bytes");
    CHECK(cl_ring_read(&r, in + 4, 6) == 0 && memcmp(in, bytes, 10) == 0, "after the writer closed, the last 6");
    CHECK(cl_ring_read(&r, in, 1) == -1, "after the writer closed and everything is read: -1");
    free_ring(ring);

    /* Asking for more than is left: what is left, then -1. */
    ring = new_ring(16);
    w = (cl_ring_end){.ring = ring};
    r = (cl_ring_end){.ring = ring};
    cl_ring_write(&w, bytes, 7);
    cl_ring_close_writer(ring); /* without publishing: closing a writer does not publish */
    CHECK(cl_ring_read(&r, in, 1) == -1, "bytes written but never published are not read");
    free_ring(ring);
    ring = new_ring(16);
    w = (cl_ring_end){.ring = ring};
    r = (cl_ring_end){.ring = ring};
    cl_ring_write(&w, bytes, 7);
    cl_ring_publish(&w);
    cl_ring_close_writer(ring);
    memset(in, 0, sizeof in);
    CHECK(cl_ring_read(&r, in, 12) == -1 && memcmp(in, bytes, 7) == 0, "reading 12 of 7 left: the 7, then -1");
    free_ring(ring);

    /* The reader closes: a writer with room writes, a writer that needs room gets -1. */
    ring = new_ring(16);
    w = (cl_ring_end){.ring = ring};
    cl_ring_close_reader(ring);
    CHECK(cl_ring_write(&w, bytes, 16) == 0, "a closed reader's ring takes what fits");
    CHECK(cl_ring_write(&w, bytes, 1) == -1, "a closed reader's full ring: -1");
    free_ring(ring);
    ring = new_ring(32);
    w = (cl_ring_end){.ring = ring};
    cl_ring_close_reader(ring);
    CHECK(cl_ring_write(&w, bytes, 40) == -1, "a closed reader's ring, a message larger than it: -1");
    free_ring(ring);

    /* A writer waiting for room, with and without spinning first, is woken by the reader closing. */
    for (unsigned spins = 0; spins <= 4000; spins += 4000) {
        cl_ring_spins = spins;
        ring = new_ring(16);
        w = (cl_ring_end){.ring = ring};
        pthread_t closer;
        pthread_create(&closer, NULL, close_reader_later, ring);
        int result = cl_ring_write(&w, bytes, 40);
        pthread_join(closer, NULL);
        CHECK(result == -1, "a writer waiting for room (spins %u), the reader closes: -1, not %d", spins, result);
        free_ring(ring);

        /* A reader asleep on an empty ring is woken by bytes, and by the writer closing. */
        ring = new_ring(16);
        r = (cl_ring_end){.ring = ring};
        pthread_t writer;
        pthread_create(&writer, NULL, write_later, ring);
        memset(in, 0, sizeof in);
        result = cl_ring_read(&r, in, 3);
        pthread_join(writer, NULL);
        CHECK(result == 0 && memcmp(in, bytes, 3) == 0, "a sleeping reader (spins %u) gets what is written later", spins);
        pthread_create(&writer, NULL, close_writer_later, ring);
        result = cl_ring_read(&r, in, 1);
        pthread_join(writer, NULL);
        CHECK(result == -1, "a sleeping reader (spins %u), the writer closes: -1, not %d", spins, result);
        free_ring(ring);
    }
    cl_ring_spins = 4000;

    /* A wait that is asked to give up says -2. */
    cl_ring_interrupted = give_up;
    ring = new_ring(16);
    r = (cl_ring_end){.ring = ring};
    w = (cl_ring_end){.ring = ring};
    CHECK(cl_ring_read(&r, in, 1) == -2, "an interrupted read of an empty ring: -2");
    CHECK(cl_ring_write(&w, bytes, 17) == -2, "an interrupted write to a full ring: -2");
    cl_ring_interrupted = NULL;
    free_ring(ring);
}

/* ---- a signal just before the sleep -------------------------------------------- */

static volatile sig_atomic_t give_up_asked;

static void on_give_up_signal(int signal_number) {
    (void)signal_number;
    give_up_asked = 1;
    cl_ring_wake_waiter();
}

/* The answer as it was, then the signal that changes it: its handler runs after the wait has
 * asked and before it sleeps, where a signal from outside (the launcher's) can land too. */
static int answer_then_signal(void) {
    int answer = give_up_asked;
    if (!answer) raise(SIGUSR2);
    return answer;
}

static void wait_through_a_late_signal(const void *writing) {
    signal(SIGUSR2, on_give_up_signal);
    sigset_t used; /* whoever started the test may have left them blocked */
    sigemptyset(&used);
    sigaddset(&used, SIGUSR2);
    sigaddset(&used, SIGALRM);
    sigprocmask(SIG_UNBLOCK, &used, NULL);
    signal(SIGALRM, SIG_DFL);
    alarm(2); /* a wait left asleep ends here, by SIGALRM */
    cl_ring_interrupted = answer_then_signal;
    cl_ring_spins = 0;
    cl_ring *ring = new_ring(16);
    cl_ring_end end = {.ring = ring};
    uint8_t bytes[17] = {0};
    int result = writing ? cl_ring_write(&end, bytes, sizeof bytes) : cl_ring_read(&end, bytes, 1);
    if (result != -2) WRONG("the wait said %d, not -2", result);
}

static void check_a_late_signal(void) {
    /* Each in a process of its own: a wait that sleeps on is ended by its alarm, a failure. */
    run_case("a read about to sleep when a signal asks it to give up", wait_through_a_late_signal, NULL, NULL);
    run_case("a write about to sleep when a signal asks it to give up", wait_through_a_late_signal, "", NULL);
}

/* ---- posting: visible at once, the reader woken later --------------------------- */

typedef struct sleeper {
    cl_ring *ring;
    uint8_t in[3];
    int result;
    _Atomic int done;
} sleeper;

static void *read_three(void *argument) {
    sleeper *s = argument;
    cl_ring_end r = {.ring = s->ring};
    s->result = cl_ring_read(&r, s->in, 3);
    atomic_store(&s->done, 1);
    return NULL;
}

static int waits_begun;
static void count_wait(void) { waits_begun++; }

static void check_posting(void) {
    uint8_t bytes[3] = {stream_byte(0), stream_byte(1), stream_byte(2)};
    cl_ring_spins = 0; /* the reader sleeps at once */
    cl_ring *ring = new_ring(16);
    sleeper s = {.ring = ring};
    pthread_t reader;
    pthread_create(&reader, NULL, read_three, &s);
    while (!atomic_load(&ring->reader_sleeping)) sched_yield();
    cl_ring_end w = {.ring = ring};
    cl_ring_write(&w, bytes, 3);
    cl_ring_post(&w);
    CHECK(atomic_load(&ring->tail) == 3, "a post makes the bytes visible at once");
    usleep(50000);
    CHECK(!atomic_load(&s.done) && atomic_load(&ring->reader_sleeping), "a post leaves a sleeping reader asleep");
    cl_ring_wake(&w);
    pthread_join(reader, NULL);
    CHECK(s.result == 0 && memcmp(s.in, bytes, 3) == 0, "the wake a post owes wakes the reader, which gets the bytes");
    CHECK(!w.owed, "a wake given is no longer owed");
    free_ring(ring);
    cl_ring_spins = 4000;

    /* Every wait begins with cl_ring_before_wait: a side settles before it waits. */
    cl_ring_before_wait = count_wait;
    cl_ring_interrupted = give_up;
    ring = new_ring(16);
    cl_ring_end r = {.ring = ring};
    uint8_t in[1];
    int result = cl_ring_read(&r, in, 1);
    CHECK(result == -2 && waits_begun == 1, "a wait calls cl_ring_before_wait once before it waits (%d calls, read %d)",
        waits_begun, result);
    cl_ring_write(&(cl_ring_end){.ring = ring}, bytes, 1);
    waits_begun = 0;
    r = (cl_ring_end){.ring = ring};
    CHECK(cl_ring_read(&r, in, 1) == -2 && waits_begun == 1, "bytes written but not posted are not read");
    cl_ring_before_wait = NULL;
    cl_ring_interrupted = NULL;
    free_ring(ring);
}

int main(void) {
    check_one_thread();
    check_two_threads(4000);
    check_two_threads(0);
    check_two_processes();
    check_closing();
    check_a_late_signal();
    check_posting();
    return harness_done();
}

/* channel_bench.c: the isolated target's channel (ring.c) against a pipe.
 *
 * Two processes, as in the product: the parent is one component, a forked
 * child the other. Rings are set up exactly as the launcher does it (a memfd,
 * ftruncate to cl_ring_bytes(CL_RING_CAPACITY), mmap MAP_SHARED, cl_ring_init)
 * and messages go as a component sends and receives them: a cl_message_header
 * and the payload with two cl_ring_write and one cl_ring_publish; two
 * cl_ring_read and one cl_ring_release. The receiver checks every header
 * (channel, type tag, version, length, sequence) and the payload's first byte.
 *
 *   streaming   the parent sends N messages of S payload bytes as fast as it
 *               can, the child reads them all: messages/s from the parent's
 *               first write to the child's last read (CLOCK_MONOTONIC is one
 *               clock for both processes).
 *   ping-pong   a ring each way; the parent sends one message, the child
 *               echoes it, M times after a warm-up: median and p99 of the
 *               round trip / 2 (one-way latency), each round trip timed.
 *
 * The baseline is the same over pipes (pipe2): one write() of header+payload
 * per message; the reader reads exactly the message's bytes, the header and
 * then header.length bytes (as a receiver that learns the length from the
 * header, with no read-ahead); ping-pong over two pipes.
 *
 * Every measurement runs in a fresh child on fresh rings/pipes. Besides the
 * figures it reports the CPU time of both processes and their voluntary context
 * switches per message (a sleep in futex_wait or in a blocking read is one).
 *
 * Build (from the repository root):
 *   cc -O2 -std=c11 -D_DEFAULT_SOURCE -I Sources/CleaveRuntime/C \
 *      Benchmarks/channel/channel_bench.c Sources/CleaveRuntime/C/isolated/ring.c -o /tmp/channel_bench
 * Run: /tmp/channel_bench --help
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "isolated/isolated.h"

#define CHANNEL 3u
#define TYPE_TAG 0x5eed1234u
#define VERSION 0xc1ea7e01u
#define MAX_PAYLOAD (1u << 16)

/* ---- options ------------------------------------------------------------------ */

static long n_messages = 500000;    /* streaming: messages per size */
static long m_round_trips = 10000;  /* ping-pong: timed round trips */
static long warmup_round_trips = 1000;
static size_t ping_size = 64;
static size_t sizes[16] = {16, 64, 256, 1024};
static int size_count = 4;
static int pin = 0; /* 0 none, 1 split (parent CPU a, child CPU b), 2 same (both on CPU a) */
static int cpu_a = -1, cpu_b = -1;
static bool json = false;
static bool only_ring = false, only_pipe = false;

/* ---- plumbing ------------------------------------------------------------------ */

static _Noreturn void die(const char *what) {
    fprintf(stderr, "channel_bench: %s: %s\n", what, strerror(errno));
    exit(2);
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* What the child tells the parent: a page shared before the fork. */
typedef struct control {
    _Atomic uint32_t ready;
    _Atomic uint32_t failed;
    double end; /* CLOCK_MONOTONIC when the child read the last message */
    char problem[200];
} control;

static control *ctl;

static void child_fail(const char *fmt, unsigned long long a, unsigned long long b) {
    snprintf(ctl->problem, sizeof ctl->problem, fmt, a, b);
    atomic_store(&ctl->failed, 1);
    _exit(1);
}

/* As the launcher's shared_memory(). */
static cl_ring *new_ring(void) {
    size_t size = cl_ring_bytes(CL_RING_CAPACITY);
    int fd = memfd_create("cleave-ring", MFD_CLOEXEC);
    if (fd < 0) die("memfd_create");
    if (ftruncate(fd, (off_t)size) != 0) die("ftruncate");
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) die("mmap");
    close(fd);
    cl_ring *ring = p;
    cl_ring_init(ring, CL_RING_CAPACITY);
    return ring;
}

static void free_ring(cl_ring *ring) { munmap(ring, cl_ring_bytes(CL_RING_CAPACITY)); }

static void pin_to(int cpu) {
    if (cpu < 0) return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) die("sched_setaffinity");
}

typedef struct usage {
    double cpu;      /* user + system seconds */
    long voluntary;  /* voluntary context switches (sleeps) */
    long involuntary;
} usage;

static usage usage_of(const struct rusage *r) {
    return (usage){(double)r->ru_utime.tv_sec + r->ru_utime.tv_usec * 1e-6 + (double)r->ru_stime.tv_sec +
                       r->ru_stime.tv_usec * 1e-6,
                   r->ru_nvcsw, r->ru_nivcsw};
}

static usage self_usage(void) {
    struct rusage r;
    getrusage(RUSAGE_SELF, &r);
    return usage_of(&r);
}

/* Fork a child running `body` (after closing the parent's ends of its pipes, so that
 * closing them in the parent is an end of input), wait until it says it is ready. */
static pid_t start_child(void (*body)(void *), void *arg, int close_a, int close_b) {
    atomic_store(&ctl->ready, 0);
    atomic_store(&ctl->failed, 0);
    ctl->problem[0] = 0;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) die("fork");
    if (pid == 0) {
        if (close_a >= 0) close(close_a);
        if (close_b >= 0) close(close_b);
        if (pin == 1) pin_to(cpu_b);
        body(arg);
        _exit(0);
    }
    while (!atomic_load(&ctl->ready)) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            fprintf(stderr, "channel_bench: the child ended before it was ready: %s\n", ctl->problem);
            exit(1);
        }
        sched_yield();
    }
    return pid;
}

static usage finish_child(pid_t pid, const char *what) {
    int status;
    struct rusage r;
    if (wait4(pid, &status, 0, &r) != pid) die("wait4");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || atomic_load(&ctl->failed)) {
        fprintf(stderr, "channel_bench: %s: the receiver failed: %s\n", what,
                ctl->problem[0] ? ctl->problem : "it did not exit cleanly");
        exit(1);
    }
    return usage_of(&r);
}

static void read_exact(int fd, void *data, size_t n) {
    unsigned char *p = data;
    while (n > 0) {
        ssize_t k = read(fd, p, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) child_fail("read: %llu bytes short (errno %llu)", n, (unsigned long long)errno);
        p += k;
        n -= (size_t)k;
    }
}

static void write_all(int fd, const void *data, size_t n) {
    const unsigned char *p = data;
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) die("write");
        p += k;
        n -= (size_t)k;
    }
}

static void check(const cl_message_header *h, uint64_t sequence, size_t size) {
    if (h->channel != CHANNEL || h->type_tag != TYPE_TAG || h->version != VERSION)
        child_fail("message %llu: wrong channel, type tag or version (channel %llu)", sequence, h->channel);
    if (h->sequence != sequence) child_fail("sequence %llu where %llu was next", h->sequence, sequence);
    if (h->length != size) child_fail("length %llu where %llu was expected", h->length, size);
}

static cl_message_header header(uint64_t sequence, size_t size) {
    return (cl_message_header){
        .channel = CHANNEL, .type_tag = TYPE_TAG, .length = (uint32_t)size, .version = VERSION, .sequence = sequence};
}

/* ---- streaming ------------------------------------------------------------------ */

typedef struct stream_job {
    bool ring;
    cl_ring *r;
    int fd; /* pipe: the read end (child) */
    size_t size;
    long count;
} stream_job;

static void stream_receiver(void *arg) {
    stream_job *j = arg;
    static unsigned char buf[MAX_PAYLOAD];
    cl_message_header h;
    atomic_store(&ctl->ready, 1);
    if (j->ring) {
        cl_ring_end end = {.ring = j->r};
        for (long i = 0; i < j->count; i++) {
            if (cl_ring_read(&end, &h, sizeof h) < 0) child_fail("the writer left after %llu of %llu", i, j->count);
            check(&h, (uint64_t)i, j->size);
            if (cl_ring_read(&end, buf, h.length) < 0) child_fail("the writer left in message %llu%llu", i, 0);
            cl_ring_release(&end);
            if (buf[0] != (unsigned char)i) child_fail("message %llu: payload byte %llu", i, buf[0]);
        }
        ctl->end = now();
        if (cl_ring_read(&end, &h, sizeof h) != -1) child_fail("a message after the last (%llu, %llu)", 0, 0);
        cl_ring_close_reader(j->r);
    } else {
        for (long i = 0; i < j->count; i++) {
            read_exact(j->fd, &h, sizeof h);
            check(&h, (uint64_t)i, j->size);
            read_exact(j->fd, buf, h.length);
            if (buf[0] != (unsigned char)i) child_fail("message %llu: payload byte %llu", i, buf[0]);
        }
        ctl->end = now();
        if (read(j->fd, &h, 1) != 0) child_fail("a message after the last (%llu, %llu)", 0, 0);
    }
}

typedef struct stream_result {
    double seconds, messages_per_s, mb_per_s;
    usage sender, receiver;
} stream_result;

static stream_result stream(bool ring, size_t size, long count) {
    stream_job j = {.ring = ring, .size = size, .count = count};
    int fds[2] = {-1, -1};
    if (ring) {
        j.r = new_ring();
        memset(j.r->data, 0, CL_RING_CAPACITY); /* the pages exist before the clock starts */
    } else {
        if (pipe2(fds, O_CLOEXEC) != 0) die("pipe2");
        j.fd = fds[0];
    }
    pid_t pid = start_child(stream_receiver, &j, fds[1], -1);
    if (!ring) close(fds[0]);
    static unsigned char msg[sizeof(cl_message_header) + MAX_PAYLOAD];
    memset(msg, 0xab, sizeof msg);
    unsigned char *payload = msg + sizeof(cl_message_header);
    usage u0 = self_usage();
    double t0 = now();
    if (ring) {
        cl_ring_end end = {.ring = j.r};
        for (long i = 0; i < count; i++) {
            cl_message_header h = header((uint64_t)i, size);
            payload[0] = (unsigned char)i;
            if (cl_ring_write(&end, &h, sizeof h) < 0 || cl_ring_write(&end, payload, size) < 0) {
                fprintf(stderr, "channel_bench: the reader left\n");
                exit(1);
            }
            cl_ring_publish(&end);
        }
        cl_ring_close_writer(j.r);
    } else {
        for (long i = 0; i < count; i++) {
            cl_message_header h = header((uint64_t)i, size);
            memcpy(msg, &h, sizeof h);
            payload[0] = (unsigned char)i;
            write_all(fds[1], msg, sizeof h + size); /* one write() per message */
        }
        close(fds[1]);
    }
    usage u1 = self_usage();
    stream_result r;
    r.receiver = finish_child(pid, ring ? "ring streaming" : "pipe streaming");
    r.sender = (usage){u1.cpu - u0.cpu, u1.voluntary - u0.voluntary, u1.involuntary - u0.involuntary};
    r.seconds = ctl->end - t0;
    r.messages_per_s = (double)count / r.seconds;
    r.mb_per_s = r.messages_per_s * (double)(sizeof(cl_message_header) + size) / 1e6;
    if (ring) free_ring(j.r);
    return r;
}

/* ---- ping-pong ------------------------------------------------------------------ */

typedef struct pong_job {
    bool ring;
    cl_ring *there, *back; /* parent -> child, child -> parent */
    int in, out;           /* pipes, the child's ends */
    size_t size;
    long count;
} pong_job;

static void pong_receiver(void *arg) {
    pong_job *j = arg;
    static unsigned char buf[MAX_PAYLOAD];
    cl_message_header h;
    atomic_store(&ctl->ready, 1);
    if (j->ring) {
        cl_ring_end in = {.ring = j->there}, out = {.ring = j->back};
        for (long i = 0; i < j->count; i++) {
            if (cl_ring_read(&in, &h, sizeof h) < 0) child_fail("the writer left after %llu of %llu", i, j->count);
            check(&h, (uint64_t)i, j->size);
            if (cl_ring_read(&in, buf, h.length) < 0) child_fail("the writer left in message %llu%llu", i, 0);
            cl_ring_release(&in);
            cl_ring_write(&out, &h, sizeof h);
            cl_ring_write(&out, buf, h.length);
            cl_ring_publish(&out);
        }
        cl_ring_close_writer(j->back);
        cl_ring_close_reader(j->there);
    } else {
        static unsigned char msg[sizeof(cl_message_header) + MAX_PAYLOAD];
        for (long i = 0; i < j->count; i++) {
            read_exact(j->in, &h, sizeof h);
            check(&h, (uint64_t)i, j->size);
            read_exact(j->in, msg + sizeof h, h.length);
            memcpy(msg, &h, sizeof h);
            write_all(j->out, msg, sizeof h + h.length);
        }
    }
}

static int compare_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct pong_result {
    double p50_us, p99_us; /* one way: round trip / 2 */
    usage sender, receiver;
    long round_trips;
    double seconds; /* all round trips, warm-up included */
} pong_result;

static pong_result ping_pong(bool ring, size_t size, long timed) {
    long total = timed + warmup_round_trips;
    pong_job j = {.ring = ring, .size = size, .count = total};
    int there[2], back[2];
    if (ring) {
        j.there = new_ring();
        j.back = new_ring();
    } else {
        if (pipe2(there, O_CLOEXEC) != 0 || pipe2(back, O_CLOEXEC) != 0) die("pipe2");
        j.in = there[0];
        j.out = back[1];
    }
    pid_t pid = start_child(pong_receiver, &j, ring ? -1 : there[1], ring ? -1 : back[0]);
    if (!ring) {
        close(there[0]);
        close(back[1]);
    }
    double *rtt = malloc((size_t)timed * sizeof *rtt);
    if (!rtt) die("malloc");
    static unsigned char msg[sizeof(cl_message_header) + MAX_PAYLOAD];
    memset(msg, 0xcd, sizeof msg);
    unsigned char *payload = msg + sizeof(cl_message_header);
    cl_ring_end out = {.ring = j.there}, in = {.ring = j.back};
    usage u0 = self_usage();
    double start = now();
    for (long i = 0; i < total; i++) {
        cl_message_header h = header((uint64_t)i, size), r;
        payload[0] = (unsigned char)i;
        double t0 = now();
        if (ring) {
            cl_ring_write(&out, &h, sizeof h);
            cl_ring_write(&out, payload, size);
            cl_ring_publish(&out);
            if (cl_ring_read(&in, &r, sizeof r) < 0 || cl_ring_read(&in, payload, r.length) < 0) {
                fprintf(stderr, "channel_bench: ring ping-pong: the echo stopped at %ld\n", i);
                exit(1);
            }
            cl_ring_release(&in);
        } else {
            memcpy(msg, &h, sizeof h);
            write_all(there[1], msg, sizeof h + size);
            read_exact(back[0], &r, sizeof r);
            read_exact(back[0], payload, r.length);
        }
        double t1 = now();
        if (r.sequence != (uint64_t)i || r.length != size || payload[0] != (unsigned char)i) {
            fprintf(stderr, "channel_bench: ping-pong: a wrong echo at %ld\n", i);
            exit(1);
        }
        if (i >= warmup_round_trips) rtt[i - warmup_round_trips] = t1 - t0;
    }
    usage u1 = self_usage();
    double seconds = now() - start;
    if (ring) {
        cl_ring_close_writer(j.there);
    } else {
        close(there[1]);
        close(back[0]);
    }
    pong_result res;
    res.receiver = finish_child(pid, ring ? "ring ping-pong" : "pipe ping-pong");
    res.sender = (usage){u1.cpu - u0.cpu, u1.voluntary - u0.voluntary, u1.involuntary - u0.involuntary};
    qsort(rtt, (size_t)timed, sizeof *rtt, compare_double);
    res.p50_us = rtt[timed / 2] / 2 * 1e6;
    res.p99_us = rtt[(size_t)((double)(timed - 1) * 0.99)] / 2 * 1e6;
    res.round_trips = total;
    res.seconds = seconds;
    free(rtt);
    if (ring) {
        free_ring(j.there);
        free_ring(j.back);
    }
    return res;
}

/* ---- main ---------------------------------------------------------------------- */

static void usage_text(FILE *f) {
    fprintf(f,
            "usage: channel_bench [options]\n"
            "  -n, --messages N     streaming: messages per size and transport (default %ld)\n"
            "  -m, --round-trips M  ping-pong: timed round trips per transport (default %ld)\n"
            "      --warmup W       ping-pong: untimed round trips first (default %ld)\n"
            "      --sizes LIST     streaming payload bytes, comma-separated (default 16,64,256,1024)\n"
            "      --ping-size S    ping-pong payload bytes (default %zu)\n"
            "      --spins K        set cl_ring_spins (default: the ring's own, %u)\n"
            "      --pin MODE       none (default), split (parent on one CPU, child on another),\n"
            "                       same (both on one CPU)\n"
            "      --only ring|pipe measure one transport only\n"
            "      --json           one JSON object on stdout instead of the table\n",
            n_messages, m_round_trips, warmup_round_trips, ping_size, cl_ring_spins);
}

static long number(const char *opt, const char *s, long least) {
    char *end;
    errno = 0;
    long v = strtol(s ? s : "", &end, 10);
    if (!s || errno || *end || v < least) {
        fprintf(stderr, "channel_bench: %s wants a whole number >= %ld\n", opt, least);
        exit(2);
    }
    return v;
}

static void usage_json(const char *name, usage u, long per, bool comma) {
    printf("\"%s\": {\"cpu_s\": %.4f, \"voluntary_per_msg\": %.4f, \"involuntary\": %ld}%s", name, u.cpu,
           (double)u.voluntary / (double)per, u.involuntary, comma ? ", " : "");
}

int main(int argc, char **argv) {
    unsigned default_spins = cl_ring_spins;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-n") || !strcmp(a, "--messages")) n_messages = number(a, v, 1), i++;
        else if (!strcmp(a, "-m") || !strcmp(a, "--round-trips")) m_round_trips = number(a, v, 1), i++;
        else if (!strcmp(a, "--warmup")) warmup_round_trips = number(a, v, 0), i++;
        else if (!strcmp(a, "--ping-size")) ping_size = (size_t)number(a, v, 1), i++;
        else if (!strcmp(a, "--spins")) cl_ring_spins = (unsigned)number(a, v, 0), i++;
        else if (!strcmp(a, "--json")) json = true;
        else if (!strcmp(a, "--only") && v && (!strcmp(v, "ring") || !strcmp(v, "pipe")))
            only_ring = !strcmp(v, "ring"), only_pipe = !only_ring, i++;
        else if (!strcmp(a, "--pin") && v && (!strcmp(v, "none") || !strcmp(v, "split") || !strcmp(v, "same")))
            pin = !strcmp(v, "split") ? 1 : !strcmp(v, "same") ? 2 : 0, i++;
        else if (!strcmp(a, "--sizes") && v) {
            size_count = 0;
            char copy[256];
            snprintf(copy, sizeof copy, "%s", v);
            for (char *t = strtok(copy, ","); t; t = strtok(NULL, ",")) {
                if (size_count == 16) break;
                sizes[size_count++] = (size_t)number("--sizes", t, 1);
            }
            if (size_count == 0) number("--sizes", "", 1);
            i++;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage_text(stdout);
            return 0;
        } else {
            usage_text(stderr);
            return 2;
        }
    }
    for (int k = 0; k < size_count; k++)
        if (sizes[k] > MAX_PAYLOAD) number("--sizes (at most 65536)", "", 1 << 30);
    if (ping_size > MAX_PAYLOAD) number("--ping-size (at most 65536)", "", 1 << 30);
    if (pin) {
        cpu_set_t set;
        if (sched_getaffinity(0, sizeof set, &set) != 0) die("sched_getaffinity");
        for (int c = 0; c < CPU_SETSIZE; c++)
            if (CPU_ISSET(c, &set)) {
                if (cpu_a < 0) cpu_a = c;
                else if (cpu_b < 0) cpu_b = c;
            }
        if (pin == 2 || cpu_b < 0) cpu_b = cpu_a;
        pin_to(cpu_a); /* pin == 2: the child inherits it */
    }
    ctl = mmap(NULL, sizeof *ctl, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (ctl == MAP_FAILED) die("mmap");

    bool do_ring = !only_pipe, do_pipe = !only_ring;
    stream_result sr[16][2];
    pong_result pr[2];
    /* Transports alternate per measurement so that drift in the machine's load hits both. */
    for (int k = 0; k < size_count; k++) {
        if (do_ring) sr[k][0] = stream(true, sizes[k], n_messages);
        if (do_pipe) sr[k][1] = stream(false, sizes[k], n_messages);
    }
    if (do_ring) pr[0] = ping_pong(true, ping_size, m_round_trips);
    if (do_pipe) pr[1] = ping_pong(false, ping_size, m_round_trips);

    const char *pin_name = pin == 1 ? "split" : pin == 2 ? "same" : "none";
    if (json) {
        printf("{\"messages\": %ld, \"round_trips\": %ld, \"warmup\": %ld, \"ping_size\": %zu, \"spins\": %u, "
               "\"default_spins\": %u, \"pin\": \"%s\", \"header_bytes\": %zu, \"ring_capacity\": %u, \"streaming\": [",
               n_messages, m_round_trips, warmup_round_trips, ping_size, cl_ring_spins, default_spins, pin_name,
               sizeof(cl_message_header), CL_RING_CAPACITY);
        for (int k = 0; k < size_count; k++) {
            printf("%s{\"size\": %zu", k ? ", " : "", sizes[k]);
            for (int t = 0; t < 2; t++) {
                if (t == 0 ? !do_ring : !do_pipe) continue;
                stream_result *r = &sr[k][t];
                printf(", \"%s\": {\"messages_per_s\": %.1f, \"mb_per_s\": %.2f, \"seconds\": %.4f, ",
                       t ? "pipe" : "ring", r->messages_per_s, r->mb_per_s, r->seconds);
                usage_json("sender", r->sender, n_messages, true);
                usage_json("receiver", r->receiver, n_messages, false);
                printf("}");
            }
            printf("}");
        }
        printf("], \"ping_pong\": {\"size\": %zu", ping_size);
        for (int t = 0; t < 2; t++) {
            if (t == 0 ? !do_ring : !do_pipe) continue;
            pong_result *r = &pr[t];
            printf(", \"%s\": {\"p50_us\": %.3f, \"p99_us\": %.3f, \"seconds\": %.4f, ", t ? "pipe" : "ring",
                   r->p50_us, r->p99_us, r->seconds);
            usage_json("sender", r->sender, r->round_trips, true);
            usage_json("receiver", r->receiver, r->round_trips, false);
            printf("}");
        }
        printf("}}\n");
        return 0;
    }

    printf("channel_bench: %ld messages per streaming row, %ld timed round trips (+%ld warm-up) of %zu bytes;\n"
           "cl_ring_spins %u%s; pin %s; header %zu bytes; ring %u bytes\n\n",
           n_messages, m_round_trips, warmup_round_trips, ping_size, cl_ring_spins,
           cl_ring_spins == default_spins ? " (default)" : "", pin_name, sizeof(cl_message_header), CL_RING_CAPACITY);
    printf("streaming       | ring msg/s   | ring MB/s | pipe msg/s   | pipe MB/s | ring/pipe | sleeps/msg ring (s+r) | pipe (s+r)"
           "    | CPU%% ring (s/r) | pipe (s/r)\n");
    for (int k = 0; k < size_count; k++) {
        stream_result *r = &sr[k][0], *p = &sr[k][1];
        printf("%5zu B payload | %12.0f | %9.1f | %12.0f | %9.1f | %9.2f | %10.3f+%-10.3f | %5.3f+%-5.3f | %6.0f/%-8.0f | %3.0f/%-3.0f\n",
               sizes[k],
               do_ring ? r->messages_per_s : 0, do_ring ? r->mb_per_s : 0, do_pipe ? p->messages_per_s : 0,
               do_pipe ? p->mb_per_s : 0, do_ring && do_pipe ? r->messages_per_s / p->messages_per_s : 0,
               do_ring ? (double)r->sender.voluntary / n_messages : 0,
               do_ring ? (double)r->receiver.voluntary / n_messages : 0,
               do_pipe ? (double)p->sender.voluntary / n_messages : 0,
               do_pipe ? (double)p->receiver.voluntary / n_messages : 0,
               do_ring ? 100 * r->sender.cpu / r->seconds : 0, do_ring ? 100 * r->receiver.cpu / r->seconds : 0,
               do_pipe ? 100 * p->sender.cpu / p->seconds : 0, do_pipe ? 100 * p->receiver.cpu / p->seconds : 0);
    }
    printf("\nping-pong (one way, µs) | ring p50 | ring p99 | pipe p50 | pipe p99 | pipe/ring p50 | pipe/ring p99\n");
    printf("%20zu B | %8.2f | %8.2f | %8.2f | %8.2f | %13.2f | %13.2f\n", ping_size, do_ring ? pr[0].p50_us : 0,
           do_ring ? pr[0].p99_us : 0, do_pipe ? pr[1].p50_us : 0, do_pipe ? pr[1].p99_us : 0,
           do_ring && do_pipe ? pr[1].p50_us / pr[0].p50_us : 0, do_ring && do_pipe ? pr[1].p99_us / pr[0].p99_us : 0);
    return 0;
}

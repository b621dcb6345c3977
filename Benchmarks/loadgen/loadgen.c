/* loadgen.c: a closed-loop UDP load generator for the served-throughput benchmark.
 *
 * Keeps WINDOW requests in flight against HOST:PORT (--host, default 127.0.0.1)
 * for a warm-up and then a measured duration, and reports requests/second,
 * latency percentiles, lost replies and (with --validate) wrong replies: one
 * JSON line on standard output, one human line on standard error.
 *
 * Matching replies to requests. The services' replies carry no request id, so
 * each in-flight slot owns a loopback source address instead: slot s sends from
 * 127.x.y.z (chosen per request with IP_PKTINFO), the reply comes back to that
 * address, and IP_PKTINFO on receive tells which slot it belongs to. A slot has
 * at most one request outstanding, so the match is exact, and one socket serves
 * every slot: requests and replies move in batches with sendmmsg/recvmmsg, which
 * keeps the generator cheap next to the server it measures. A request without a
 * reply after --timeout-ms is counted lost and its slot moves to a fresh address,
 * so a late reply is recognised (counted "late") instead of being mismatched.
 * The slots' addresses come from --source-net (default 127.0.0.0/8, every one of
 * them local on any Linux); against a server beyond loopback (--host), give a
 * prefix the kernel takes as local and the server routes back, such as
 * 198.18.0.0/15 after `ip route add local 198.18.0.0/15 dev lo` (Benchmarks/tap.py).
 *
 * Requests: --mode echo (a payload of --size bytes), --mode kv (SET key<i>
 * value<j> or GET key<i>, i uniform in --keys, a --set-ratio share of SETs, from
 * a seeded PRNG; j = i + keys * r, so a GET reply can be checked against its key),
 * or --requests FILE (one request per line, sent in order, cycling; not validated).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define MAX_PAYLOAD 65507
#define LATENCY_CAP_NS 0xFFFFFFFFu

enum mode { MODE_ECHO, MODE_KV, MODE_FILE };

typedef struct {
    uint32_t id;      /* host bits of the source address in --source-net; 0 = none */
    uint32_t gen;     /* bumped on timeout so the slot gets a new address */
    int busy;
    uint64_t sent_ns;
    uint8_t *req;     /* request bytes (echo, kv) */
    size_t len;
    uint32_t key;     /* kv: key index */
    int is_set;       /* kv: SET (1) or GET (0) */
} slot_t;

static struct {
    int port;
    uint32_t host;              /* the server's address, host byte order */
    uint32_t source_net, source_mask; /* the slots' addresses: source_net | id */
    enum mode mode;
    size_t size;
    uint32_t keys;
    double set_ratio;
    uint64_t seed;
    const char *requests;
    unsigned window;
    double duration, warmup;
    double timeout_ms;
    int validate;
} opt = {8080, 0x7F000001u, 0x7F000000u, 0xFF000000u, MODE_ECHO, 64, 1000, 0.2, 1, NULL, 32, 3.0, 1.0, 200.0, 0};

static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("loadgen: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(2);
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t rng_state;
static uint64_t rng_next(void) { /* SplitMix64 */
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

/* --requests FILE: the lines, without their newlines. */
static uint8_t **lines;
static size_t *line_len, line_count;

static void load_requests(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) die("cannot open %s: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0, alloc = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) >= 0) {
        if (n > 0 && line[n - 1] == '\n') n--;
        if (n > MAX_PAYLOAD) die("%s: a line longer than %d bytes", path, MAX_PAYLOAD);
        if (line_count == alloc) {
            alloc = alloc ? 2 * alloc : 64;
            lines = realloc(lines, alloc * sizeof *lines);
            line_len = realloc(line_len, alloc * sizeof *line_len);
            if (!lines || !line_len) die("out of memory");
        }
        lines[line_count] = malloc((size_t)n + 1);
        if (!lines[line_count]) die("out of memory");
        memcpy(lines[line_count], line, (size_t)n);
        line_len[line_count++] = (size_t)n;
    }
    free(line);
    fclose(f);
    if (line_count == 0) die("%s holds no requests", path);
}

/* Fill slot s with the next request. */
static uint64_t sequence;
static void next_request(slot_t *s) {
    uint64_t seq = sequence++;
    switch (opt.mode) {
    case MODE_ECHO: /* the payload stays; its first bytes carry the sequence number */
        for (size_t i = 0; i < s->len && i < 16; i++) s->req[i] = "0123456789abcdef"[(seq >> (4 * i)) & 15];
        break;
    case MODE_KV:
        s->key = (uint32_t)(rng_next() % opt.keys);
        s->is_set = (double)(rng_next() >> 11) * 0x1.0p-53 < opt.set_ratio;
        if (s->is_set) {
            uint64_t j = s->key + (uint64_t)opt.keys * (rng_next() % 1000000u);
            s->len = (size_t)sprintf((char *)s->req, "SET key%u value%llu", s->key, (unsigned long long)j);
        } else {
            s->len = (size_t)sprintf((char *)s->req, "GET key%u", s->key);
        }
        break;
    case MODE_FILE:
        s->req = lines[seq % line_count];
        s->len = line_len[seq % line_count];
        break;
    }
}

/* Is `reply` a right answer to the request in slot s? */
static int reply_ok(const slot_t *s, const uint8_t *reply, size_t n) {
    switch (opt.mode) {
    case MODE_ECHO:
        return n == s->len && memcmp(reply, s->req, n) == 0;
    case MODE_KV:
        if (s->is_set) return n == 6 && memcmp(reply, "STORED", 6) == 0;
        if (n == 9 && memcmp(reply, "NOT_FOUND", 9) == 0) return 1;
        if (n <= 5 || n > 5 + 20 || memcmp(reply, "value", 5) != 0) return 0;
        uint64_t j = 0;
        for (size_t i = 5; i < n; i++) {
            if (reply[i] < '0' || reply[i] > '9') return 0;
            j = 10 * j + (uint64_t)(reply[i] - '0');
        }
        return j % opt.keys == s->key;
    case MODE_FILE:
        return 1;
    }
    return 0;
}

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of the sorted samples, in microseconds. */
static double percentile_us(const uint32_t *v, size_t n, double p) {
    if (n == 0) return 0.0;
    size_t rank = (size_t)(p / 100.0 * (double)n + 0.999999);
    if (rank < 1) rank = 1;
    if (rank > n) rank = n;
    return v[rank - 1] / 1000.0;
}

static double cpu_seconds(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void usage(void) {
    fputs("usage: loadgen [--host A.B.C.D] [--port N] [--source-net A.B.C.D/LEN] [--mode echo|kv]\n"
          "               [--size BYTES] [--keys N] [--set-ratio F] [--seed N] [--requests FILE]\n"
          "               [--window N] [--duration S] [--warmup S] [--timeout-ms MS] [--validate]\n",
          stderr);
    exit(2);
}

static void parse_options(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--validate") == 0) {
            opt.validate = 1;
            continue;
        }
        if (i + 1 >= argc) usage();
        const char *v = argv[++i];
        if (strcmp(a, "--port") == 0) opt.port = atoi(v);
        else if (strcmp(a, "--host") == 0) {
            struct in_addr in;
            if (inet_pton(AF_INET, v, &in) != 1) die("--host: not an IPv4 address: %s", v);
            opt.host = ntohl(in.s_addr);
        } else if (strcmp(a, "--source-net") == 0) {
            char net[32];
            const char *slash = strchr(v, '/');
            int len = slash ? atoi(slash + 1) : -1;
            struct in_addr in;
            if (!slash || (size_t)(slash - v) >= sizeof net || len < 8 || len > 28)
                die("--source-net: A.B.C.D/LEN, LEN in 8...28");
            memcpy(net, v, (size_t)(slash - v));
            net[slash - v] = '\0';
            if (inet_pton(AF_INET, net, &in) != 1) die("--source-net: not an IPv4 address: %s", net);
            opt.source_mask = 0xFFFFFFFFu << (32 - len);
            opt.source_net = ntohl(in.s_addr) & opt.source_mask;
        } else if (strcmp(a, "--mode") == 0) {
            if (strcmp(v, "echo") == 0) opt.mode = MODE_ECHO;
            else if (strcmp(v, "kv") == 0) opt.mode = MODE_KV;
            else usage();
        } else if (strcmp(a, "--size") == 0) opt.size = (size_t)strtoul(v, NULL, 10);
        else if (strcmp(a, "--keys") == 0) opt.keys = (uint32_t)strtoul(v, NULL, 10);
        else if (strcmp(a, "--set-ratio") == 0) opt.set_ratio = atof(v);
        else if (strcmp(a, "--seed") == 0) opt.seed = strtoull(v, NULL, 10);
        else if (strcmp(a, "--requests") == 0) opt.requests = v, opt.mode = MODE_FILE;
        else if (strcmp(a, "--window") == 0) opt.window = (unsigned)strtoul(v, NULL, 10);
        else if (strcmp(a, "--duration") == 0) opt.duration = atof(v);
        else if (strcmp(a, "--warmup") == 0) opt.warmup = atof(v);
        else if (strcmp(a, "--timeout-ms") == 0) opt.timeout_ms = atof(v);
        else usage();
    }
    if (opt.port <= 0 || opt.port > 65535) die("--port must be in 1...65535");
    if (opt.size < 1 || opt.size > MAX_PAYLOAD) die("--size must be in 1...%d", MAX_PAYLOAD);
    if (opt.keys < 1) die("--keys must be at least 1");
    if (opt.window < 1 || opt.window > 65536) die("--window must be in 1...65536");
    if (opt.duration <= 0 || opt.warmup < 0 || opt.timeout_ms <= 0) die("bad --duration, --warmup or --timeout-ms");
}

int main(int argc, char **argv) {
    parse_options(argc, argv);
    rng_state = opt.seed;
    if (opt.mode == MODE_FILE) load_requests(opt.requests);

    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) die("socket: %s", strerror(errno));
    int one = 1, big = 1 << 22;
    /* Replies must not be dropped here: a large receive buffer, and a short
     * receive timeout so the loop wakes up to notice timeouts and the end. */
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one) < 0) die("IP_PKTINFO: %s", strerror(errno));
    struct timeval tick = {0, 2000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tick, sizeof tick);
    struct sockaddr_in local = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_ANY)};
    if (bind(fd, (struct sockaddr *)&local, sizeof local) < 0) die("bind: %s", strerror(errno));
    struct sockaddr_in server = {.sin_family = AF_INET, .sin_port = htons((uint16_t)opt.port),
                                 .sin_addr.s_addr = htonl(opt.host)};

    /* Slots: slot s has address id gen * window + s + 1, below the all-ones host part
     * (2^24 - 1 in 127.0.0.0/8). */
    uint32_t gens = (~opt.source_mask - 1) / opt.window;
    if (gens == 0) die("--source-net has fewer addresses than --window");
    slot_t *slots = calloc(opt.window, sizeof *slots);
    if (!slots) die("out of memory");
    size_t req_cap = opt.mode == MODE_ECHO ? opt.size : 64;
    for (unsigned s = 0; s < opt.window; s++) {
        slots[s].id = s + 1;
        if (opt.mode != MODE_FILE) {
            slots[s].req = malloc(req_cap);
            if (!slots[s].req) die("out of memory");
            memset(slots[s].req, 'x', req_cap);
            slots[s].len = opt.mode == MODE_ECHO ? opt.size : 0;
        }
    }

    /* Send side: one batch of messages, each with its IP_PKTINFO source address. */
    static struct mmsghdr smsg[BATCH];
    static struct iovec siov[BATCH];
    static union {
        char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
        struct cmsghdr align;
    } sctl[BATCH];
    unsigned sslot[BATCH];
    /* Receive side. */
    static struct mmsghdr rmsg[BATCH];
    static struct iovec riov[BATCH];
    static struct sockaddr_in rname[BATCH];
    static union {
        char buf[CMSG_SPACE(sizeof(struct in_pktinfo)) + 64];
        struct cmsghdr align;
    } rctl[BATCH];
    uint8_t *rbuf = malloc((size_t)BATCH * 65536);
    if (!rbuf) die("out of memory");

    size_t nsamples = 0, sample_cap = 1 << 20;
    uint32_t *samples = malloc(sample_cap * sizeof *samples);
    if (!samples) die("out of memory");
    uint64_t completed = 0, lost = 0, late = 0, mismatches = 0, foreign = 0;

    const uint64_t timeout_ns = (uint64_t)(opt.timeout_ms * 1e6);
    const uint64_t start = now_ns();
    const uint64_t measure_from = start + (uint64_t)(opt.warmup * 1e9);
    const uint64_t end = measure_from + (uint64_t)(opt.duration * 1e9);
    int measuring = opt.warmup == 0;
    double cpu_start = cpu_seconds();
    uint64_t last_scan = start, now = start;

    while (now < end) {
        /* Refill every free slot, BATCH at a time. */
        unsigned free_next = 0;
        for (;;) {
            unsigned n = 0;
            for (; free_next < opt.window && n < BATCH; free_next++) {
                slot_t *s = &slots[free_next];
                if (s->busy) continue;
                next_request(s);
                struct in_pktinfo pi = {0};
                pi.ipi_spec_dst.s_addr = htonl(opt.source_net | s->id);
                struct cmsghdr *c = (struct cmsghdr *)sctl[n].buf;
                c->cmsg_level = IPPROTO_IP;
                c->cmsg_type = IP_PKTINFO;
                c->cmsg_len = CMSG_LEN(sizeof pi);
                memcpy(CMSG_DATA(c), &pi, sizeof pi);
                siov[n] = (struct iovec){s->req, s->len};
                smsg[n].msg_hdr = (struct msghdr){.msg_name = &server, .msg_namelen = sizeof server,
                                                  .msg_iov = &siov[n], .msg_iovlen = 1,
                                                  .msg_control = sctl[n].buf, .msg_controllen = sizeof sctl[n].buf};
                sslot[n++] = free_next;
            }
            if (n == 0) break;
            uint64_t t = now_ns();
            for (unsigned i = 0; i < n; i++) slots[sslot[i]].sent_ns = t, slots[sslot[i]].busy = 1;
            for (unsigned done = 0; done < n;) {
                int r = sendmmsg(fd, smsg + done, n - done, 0);
                if (r < 0) {
                    if (errno == EINTR) continue;
                    die("sendmmsg: %s", strerror(errno));
                }
                done += (unsigned)r;
            }
        }

        /* Receive what has arrived (waits up to one tick for the first reply). */
        for (unsigned i = 0; i < BATCH; i++) {
            riov[i] = (struct iovec){rbuf + (size_t)i * 65536, 65536};
            rmsg[i].msg_hdr = (struct msghdr){.msg_name = &rname[i], .msg_namelen = sizeof rname[i],
                                              .msg_iov = &riov[i], .msg_iovlen = 1,
                                              .msg_control = rctl[i].buf, .msg_controllen = sizeof rctl[i].buf};
        }
        int got = recvmmsg(fd, rmsg, BATCH, MSG_WAITFORONE, NULL);
        now = now_ns();
        if (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) die("recvmmsg: %s", strerror(errno));
        if (!measuring && now >= measure_from) { /* the warm-up is over: start counting */
            measuring = 1;
            completed = lost = late = mismatches = foreign = 0;
            nsamples = 0;
            cpu_start = cpu_seconds();
        }
        for (int i = 0; i < got; i++) {
            uint32_t to = 0;
            for (struct cmsghdr *c = CMSG_FIRSTHDR(&rmsg[i].msg_hdr); c; c = CMSG_NXTHDR(&rmsg[i].msg_hdr, c)) {
                if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
                    struct in_pktinfo pi;
                    memcpy(&pi, CMSG_DATA(c), sizeof pi);
                    to = ntohl(pi.ipi_addr.s_addr);
                }
            }
            uint32_t id = to & ~opt.source_mask;
            if ((to & opt.source_mask) != opt.source_net || id == 0 || rname[i].sin_port != server.sin_port) {
                foreign++;
                continue;
            }
            slot_t *s = &slots[(id - 1) % opt.window];
            if (!s->busy || s->id != id) { /* the reply to a request already counted lost */
                late++;
                continue;
            }
            s->busy = 0;
            if (!measuring) continue;
            completed++;
            uint64_t lat = now - s->sent_ns;
            if (nsamples == sample_cap) {
                sample_cap *= 2;
                samples = realloc(samples, sample_cap * sizeof *samples);
                if (!samples) die("out of memory");
            }
            samples[nsamples++] = lat > LATENCY_CAP_NS ? LATENCY_CAP_NS : (uint32_t)lat;
            if (opt.validate && ((rmsg[i].msg_hdr.msg_flags & MSG_TRUNC) ||
                                 !reply_ok(s, riov[i].iov_base, rmsg[i].msg_len)))
                mismatches++;
        }

        /* Requests without a reply after the timeout are lost; their slots move on. */
        if (now - last_scan >= 1000000u) {
            last_scan = now;
            for (unsigned i = 0; i < opt.window; i++) {
                slot_t *s = &slots[i];
                if (s->busy && now - s->sent_ns > timeout_ns) {
                    s->busy = 0;
                    s->gen = (s->gen + 1) % gens;
                    s->id = s->gen * opt.window + i + 1;
                    if (measuring) lost++;
                }
            }
        }
    }

    double elapsed = (double)(now - measure_from) / 1e9;
    double cpu = (cpu_seconds() - cpu_start) / elapsed;
    qsort(samples, nsamples, sizeof *samples, cmp_u32);
    double rps = (double)completed / elapsed;
    double p50 = percentile_us(samples, nsamples, 50), p90 = percentile_us(samples, nsamples, 90);
    double p99 = percentile_us(samples, nsamples, 99), p999 = percentile_us(samples, nsamples, 99.9);
    static const char *mode_names[] = {"echo", "kv", "file"};
    char checked[32] = "null"; /* mismatches: null when replies were not validated */
    if (opt.validate) snprintf(checked, sizeof checked, "%llu", (unsigned long long)mismatches);
    printf("{\"mode\": \"%s\", \"port\": %d, \"window\": %u, \"duration_s\": %.3f, \"requests\": %llu, "
           "\"rps\": %.1f, \"p50_us\": %.1f, \"p90_us\": %.1f, \"p99_us\": %.1f, \"p999_us\": %.1f, "
           "\"lost\": %llu, \"late\": %llu, \"foreign\": %llu, \"mismatches\": %s, \"loadgen_cpu\": %.2f}\n",
           mode_names[opt.mode], opt.port, opt.window, elapsed, (unsigned long long)completed, rps, p50, p90, p99,
           p999, (unsigned long long)lost, (unsigned long long)late, (unsigned long long)foreign,
           checked, cpu);
    fprintf(stderr,
            "loadgen: %s :%d window %u: %.0f req/s, latency p50 %.1f p90 %.1f p99 %.1f p99.9 %.1f us, "
            "%llu lost, %llu mismatches%s\n",
            mode_names[opt.mode], opt.port, opt.window, rps, p50, p90, p99, p999, (unsigned long long)lost,
            (unsigned long long)mismatches, opt.validate ? "" : " (not validated)");
    for (unsigned s = 0; s < opt.window && opt.mode != MODE_FILE; s++) free(slots[s].req);
    free(slots);
    free(rbuf);
    free(samples);
    close(fd);
    return 0;
}

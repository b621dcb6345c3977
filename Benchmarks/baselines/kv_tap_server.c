/* kv_tap_server.c: the hand-written C baseline for Examples/kv/kv.clv on a TAP
 * interface: what kv built with `cleave build --net direct` (Cleave's own
 * stack, written in Cleave) is measured against in Benchmarks/tap.py.
 *
 * One thread, one TAP interface (/dev/net/tun, IFF_TAP | IFF_NO_PI, created if
 * it does not exist: root or CAP_NET_ADMIN), non-blocking, waited on with poll.
 * Each wake-up reads frames until none is left and answers each at once with
 * one write. What it does with a frame:
 *   - Ethernet II to its MAC or to broadcast; anything else is dropped.
 *   - ARP: answers requests for its address (nothing more: it keeps no
 *     neighbour table, and never asks).
 *   - IPv4 to its address: version, header length and total length checked, the
 *     header checksum verified, options skipped. Fragments are dropped (no
 *     reassembly), and so is everything but UDP (no ICMP: no ping, no port
 *     unreachable).
 *   - UDP to its port: the length checked, the checksum verified when nonzero;
 *     the payload is one kv request, answered as kv_server.c answers it:
 *         SET <key> <value>  -> STORED        GET <key> -> the value, or NOT_FOUND
 *         anything else      -> ERROR
 *     split exactly as Swift's split(separator: 32, maxSplits: 2), in an
 *     open-addressing hash map that frees a value it replaces.
 *   - The reply goes back to the frame's source MAC (no ARP lookup) in a fresh
 *     IPv4 header (no options, TTL 64, the checksum computed) and UDP header
 *     (the checksum computed). A reply that would not fit one 1,500-byte IPv4
 *     datagram is dropped (no fragmentation; it cannot happen for kv, whose
 *     longest reply is a value that came in one frame).
 * Dropped frames are counted by reason and printed at exit (SIGTERM, SIGINT).
 *
 * Options, in the shape a service built with `cleave build --net direct` takes:
 *     --netif tap:NAME,ip=A.B.C.D/LEN[,gw=A.B.C.D][,mac=XX:XX:XX:XX:XX:XX]  [--port N]
 * (gw= is accepted and not needed: replies go to the sender's MAC; the MAC is
 * 02:00 and the four bytes of the address unless given; the port is 7000).
 * Prints "kv_tap_server: tap: frames on NAME" on stderr once the interface exists.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define NAME "kv_tap_server"
#define FRAME_MAX 1518 /* 14 + 1500 + a VLAN tag's room; longer frames are dropped */
#define MTU 1500

#include "kv_store.h"

/* ---- The link ------------------------------------------------------------------------- */

static struct {
    char tap[IFNAMSIZ];
    uint32_t address; /* host byte order */
    uint8_t mac[6];
    int have_mac;
    uint16_t port;
} cfg = {.port = 7000};

/* Counters, printed at exit. */
enum { RECEIVED, ANSWERED, ARP_ANSWERED, NOT_FOR_US, MALFORMED, BAD_CHECKSUM, FRAGMENT, NOT_UDP, NO_PORT,
       TOO_LONG, SEND_FAILED, COUNTERS };
static const char *counter_names[COUNTERS] = {
    "received", "answered", "ARP answered", "not for us", "malformed", "bad checksum", "fragments dropped",
    "not UDP", "no such port", "reply too long", "send failed"};
static unsigned long long counters[COUNTERS];

static volatile sig_atomic_t stop;
static void on_signal(int sig) {
    (void)sig;
    stop = 1;
}

static void usage(void) {
    fputs("usage: " NAME " --netif tap:NAME,ip=A.B.C.D/LEN[,gw=A.B.C.D][,mac=XX:XX:XX:XX:XX:XX] [--port N]\n",
          stderr);
    exit(2);
}

static void parse_netif(const char *spec) {
    if (strncmp(spec, "tap:", 4) != 0) usage();
    char *copy = strdup(spec + 4), *save = NULL;
    if (!copy) usage();
    int field = 0;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save), field++) {
        if (field == 0) {
            if (strlen(tok) == 0 || strlen(tok) >= IFNAMSIZ) usage();
            strcpy(cfg.tap, tok);
        } else if (strncmp(tok, "ip=", 3) == 0) {
            char *slash = strchr(tok + 3, '/');
            if (slash) *slash = '\0'; /* the prefix length is not needed: replies go to the sender */
            struct in_addr in;
            if (inet_pton(AF_INET, tok + 3, &in) != 1) usage();
            cfg.address = ntohl(in.s_addr);
        } else if (strncmp(tok, "mac=", 4) == 0) {
            unsigned m[6];
            if (sscanf(tok + 4, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6) usage();
            for (int i = 0; i < 6; i++) cfg.mac[i] = (uint8_t)m[i];
            cfg.have_mac = 1;
        } else if (strncmp(tok, "gw=", 3) != 0) {
            usage();
        }
    }
    free(copy);
    if (!cfg.tap[0] || !cfg.address) usage();
    if (!cfg.have_mac) {
        cfg.mac[0] = 0x02, cfg.mac[1] = 0x00;
        for (int i = 0; i < 4; i++) cfg.mac[2 + i] = (uint8_t)(cfg.address >> (24 - 8 * i));
    }
}

static int tap_open(const char *name) {
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, NAME ": tap:%s: cannot open /dev/net/tun: %s\n", name, strerror(errno));
        return -1;
    }
    struct ifreq request;
    memset(&request, 0, sizeof request);
    request.ifr_flags = IFF_TAP | IFF_NO_PI;
    memcpy(request.ifr_name, name, strlen(name)); /* parse_netif checked: below IFNAMSIZ */
    if (ioctl(fd, TUNSETIFF, &request) < 0) {
        fprintf(stderr, NAME ": tap:%s: cannot attach to the interface: %s\n", name, strerror(errno));
        close(fd);
        return -1;
    }
    fprintf(stderr, NAME ": tap: frames on %s\n", request.ifr_name);
    return fd;
}

/* ---- Ethernet, ARP, IPv4, UDP ------------------------------------------------------------ */

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t get32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)), put16(p + 2, (uint16_t)v); }

/* The ones' complement sum of p[0..n) as big-endian 16-bit words (a last odd byte padded
 * with zero), added to sum, not folded: 32 bits at a time into a 64-bit accumulator. */
static uint64_t sum_bytes(const uint8_t *p, size_t n, uint64_t sum) {
    for (; n >= 4; p += 4, n -= 4) sum += get32(p);
    if (n >= 2) sum += get16(p), p += 2, n -= 2;
    if (n) sum += (uint32_t)p[0] << 8;
    return sum;
}

static uint16_t fold(uint64_t sum) { /* folded to 16 bits and complemented (RFC 1071) */
    while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
    return (uint16_t)~sum;
}

static uint64_t pseudo_header(uint32_t source, uint32_t destination, size_t udp_length) {
    return (uint64_t)source + destination + 17 + udp_length;
}

static uint8_t tx[14 + MTU];
static uint16_t identification;

static void send_frame(int fd, const uint8_t *frame, size_t length) {
    ssize_t n;
    do n = write(fd, frame, length);
    while (n < 0 && errno == EINTR);
    if (n != (ssize_t)length) counters[SEND_FAILED]++;
}

static void arp_input(int fd, const uint8_t *f, size_t len) {
    if (len < 14 + 28 || get16(f + 14) != 1 || get16(f + 16) != 0x0800 || f[18] != 6 || f[19] != 4) {
        counters[MALFORMED]++;
        return;
    }
    if (get16(f + 20) != 1 || get32(f + 38) != cfg.address) { /* a request for our address only */
        counters[NOT_FOR_US]++;
        return;
    }
    memcpy(tx, f + 6, 6);                     /* to the asker */
    memcpy(tx + 6, cfg.mac, 6);
    put16(tx + 12, 0x0806);
    memcpy(tx + 14, f + 14, 6);               /* hardware and protocol types and sizes */
    put16(tx + 20, 2);                        /* a reply */
    memcpy(tx + 22, cfg.mac, 6);              /* sender: us */
    put32(tx + 28, cfg.address);
    memcpy(tx + 32, f + 22, 10);              /* target: the asker's MAC and address */
    send_frame(fd, tx, 14 + 28);
    counters[ARP_ANSWERED]++;
}

static void ipv4_input(int fd, const uint8_t *f, size_t len) {
    if (len < 14 + 20) {
        counters[MALFORMED]++;
        return;
    }
    const uint8_t *ip = f + 14;
    size_t header = (size_t)(ip[0] & 0x0F) * 4, total = get16(ip + 2);
    if (ip[0] >> 4 != 4 || header < 20 || total < header || 14 + total > len) {
        counters[MALFORMED]++;
        return;
    }
    if (fold(sum_bytes(ip, header, 0)) != 0) {
        counters[BAD_CHECKSUM]++;
        return;
    }
    uint32_t source = get32(ip + 12), destination = get32(ip + 16);
    if (destination != cfg.address) {
        counters[NOT_FOR_US]++;
        return;
    }
    if (get16(ip + 6) & 0x3FFF) { /* more fragments, or an offset */
        counters[FRAGMENT]++;
        return;
    }
    if (ip[9] != 17) {
        counters[NOT_UDP]++;
        return;
    }
    const uint8_t *udp = ip + header;
    size_t room = total - header;
    if (room < 8 || get16(udp + 4) < 8 || get16(udp + 4) > room) {
        counters[MALFORMED]++;
        return;
    }
    size_t udp_length = get16(udp + 4);
    if (get16(udp + 6) != 0 && fold(sum_bytes(udp, udp_length, pseudo_header(source, destination, udp_length))) != 0) {
        counters[BAD_CHECKSUM]++;
        return;
    }
    if (get16(udp + 2) != cfg.port) {
        counters[NO_PORT]++;
        return;
    }

    /* The reply: Ethernet back to the sender, IPv4, UDP, then kv's answer. */
    uint8_t *rip = tx + 14, *rudp = rip + 20, *payload = rudp + 8;
    size_t n = kv_answer(udp + 8, udp_length - 8, payload, MTU - 28);
    if (n > MTU - 28) {
        counters[TOO_LONG]++;
        return;
    }
    memcpy(tx, f + 6, 6);
    memcpy(tx + 6, cfg.mac, 6);
    put16(tx + 12, 0x0800);
    rip[0] = 0x45, rip[1] = 0;
    put16(rip + 2, (uint16_t)(28 + n));
    put16(rip + 4, ++identification);
    put16(rip + 6, 0);
    rip[8] = 64, rip[9] = 17;
    put16(rip + 10, 0);
    put32(rip + 12, cfg.address);
    put32(rip + 16, source);
    put16(rip + 10, fold(sum_bytes(rip, 20, 0)));
    put16(rudp, cfg.port);
    memcpy(rudp + 2, udp, 2); /* to the sender's port */
    put16(rudp + 4, (uint16_t)(8 + n));
    put16(rudp + 6, 0);
    uint16_t sum = fold(sum_bytes(rudp, 8 + n, pseudo_header(cfg.address, source, 8 + n)));
    put16(rudp + 6, sum ? sum : 0xFFFF);
    send_frame(fd, tx, 14 + 28 + n);
    counters[ANSWERED]++;
}

static void frame_input(int fd, const uint8_t *f, size_t len) {
    static const uint8_t broadcast[6] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    if (len < 14) {
        counters[MALFORMED]++;
        return;
    }
    if (memcmp(f, cfg.mac, 6) != 0 && memcmp(f, broadcast, 6) != 0) {
        counters[NOT_FOR_US]++;
        return;
    }
    switch (get16(f + 12)) {
    case 0x0806: arp_input(fd, f, len); break;
    case 0x0800: ipv4_input(fd, f, len); break;
    default: counters[NOT_FOR_US]++; break;
    }
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (v && strcmp(argv[i], "--netif") == 0) parse_netif(v), i++;
        else if (v && strcmp(argv[i], "--port") == 0) cfg.port = (uint16_t)atoi(v), i++;
        else usage();
    }
    if (!cfg.tap[0]) usage();
    struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: poll returns EINTR */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    int fd = tap_open(cfg.tap);
    if (fd < 0) return 2;

    static uint8_t frame[65536]; /* a TAP hands over whole frames: room for the largest */
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    while (!stop) {
        if (poll(&pfd, 1, -1) < 0) {
            if (errno == EINTR) continue;
            fprintf(stderr, NAME ": poll: %s\n", strerror(errno));
            return 1;
        }
        for (;;) { /* every frame waiting, each answered at once */
            ssize_t n = read(fd, frame, sizeof frame);
            if (n < 0) {
                if (errno == EINTR) continue;
                if (errno == EAGAIN || errno == EWOULDBLOCK) break;
                fprintf(stderr, NAME ": read: %s\n", strerror(errno));
                return 1;
            }
            counters[RECEIVED]++;
            if ((size_t)n > FRAME_MAX) counters[MALFORMED]++;
            else frame_input(fd, frame, (size_t)n);
        }
    }
    fprintf(stderr, NAME ":");
    for (int i = 0; i < COUNTERS; i++) fprintf(stderr, "%s %s %llu", i ? "," : "", counter_names[i], counters[i]);
    fputc('\n', stderr);
    close(fd);
    return 0;
}

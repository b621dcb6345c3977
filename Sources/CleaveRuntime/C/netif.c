/* netif.c: choosing, opening and closing the netifs of a hosted service, the
 * counters, and the signals that stop it.
 *
 * The generated `main` hands every `--netif SPEC` to cl_netif_configure, which
 * only checks and remembers it: specs are matched to devices by position, and
 * a device is opened when the program creates it (cl_netif_open), so the n-th
 * spec goes to the n-th device created. A device without a spec is a kernel
 * UDP socket on each of its source ports. The device table remembers every
 * open netif so that cl_netif_close_all can complete the captures being
 * written on every way out of the program.
 *
 * Counters are relaxed atomics: cheap to bump, and safe to read from a signal
 * handler, which is where cl_print_counters runs on SIGUSR1. That function
 * formats the line itself (no stdio, no locale) and writes it with write(2),
 * both async-signal-safe.
 *
 * Stopping cleanly needs more than a handler may do (closing a capture calls
 * stdio), so SIGINT and SIGTERM only set a flag and write a byte to a pipe.
 * cl_netif_receive checks the flag before each datagram; a UDP netif blocked
 * in poll also watches the pipe, so a signal that arrives just before poll
 * still wakes it (the flag alone would leave that race open). Handlers are
 * installed without SA_RESTART, so other blocking calls return EINTR too. A
 * second stop signal before the first is acted on restores the default action
 * and ends the process, so a service stuck in a long computation can still be
 * stopped.
 */
#include "netif.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- Specs ---------------------------------------------------------------- */

#define CL_NETIF_MAX 64
#define CL_NETIF_MAX_PORTS 64

typedef enum { SPEC_UDP, SPEC_PCAP, SPEC_TAP } spec_kind;

typedef struct netif_spec {
    spec_kind kind;
    const char *text;                         /* the spec as given, for messages */
    size_t port_count;                        /* udp: 0 = the source's own ports */
    uint16_t ports[CL_NETIF_MAX_PORTS];
    char *in_path, *out_path;                 /* pcap: OUT may be NULL; tap: in_path is the name */
} netif_spec;

static netif_spec specs[CL_NETIF_MAX];
static size_t spec_count;

static int spec_error(const char *spec, const char *why) {
    fprintf(stderr, "cleave: --netif '%s': %s\n", spec, why);
    return -1;
}

/* "PORT[,PORT...]", each 0...65535; the empty list means the source's ports. */
static int parse_ports(const char *spec, const char *list, netif_spec *out) {
    const char *p = list;
    out->port_count = 0;
    if (*p == '\0') return 0;
    for (;;) {
        unsigned long value = 0;
        size_t digits = 0;
        while (*p >= '0' && *p <= '9') {
            value = value * 10 + (unsigned long)(*p - '0');
            if (value > 65535) return spec_error(spec, "a port is larger than 65535");
            p++, digits++;
        }
        if (digits == 0) return spec_error(spec, "expected a port number (0 to 65535) after 'udp:' and each ','");
        if (out->port_count == CL_NETIF_MAX_PORTS) return spec_error(spec, "too many ports (at most 64)");
        out->ports[out->port_count++] = (uint16_t)value;
        if (*p == '\0') return 0;
        if (*p != ',') return spec_error(spec, "ports are numbers separated by ','");
        p++;
    }
}

int cl_netif_configure(const char *spec) {
    if (spec_count == CL_NETIF_MAX) return spec_error(spec, "too many --netif options (at most 64)");
    netif_spec s;
    memset(&s, 0, sizeof s);
    s.text = spec;
    if (strcmp(spec, "udp") == 0 || strncmp(spec, "udp:", 4) == 0) {
        s.kind = SPEC_UDP;
        if (parse_ports(spec, spec[3] == ':' ? spec + 4 : spec + 3, &s) != 0) return -1;
    } else if (strncmp(spec, "pcap:", 5) == 0) {
        /* IN runs to the first ':' after "pcap:"; OUT is everything after it. */
        const char *in = spec + 5;
        const char *colon = strchr(in, ':');
        size_t in_length = colon ? (size_t)(colon - in) : strlen(in);
        if (in_length == 0) return spec_error(spec, "expected pcap:IN[:OUT], IN is missing");
        if (colon && colon[1] == '\0') return spec_error(spec, "expected pcap:IN[:OUT], OUT is empty");
        s.kind = SPEC_PCAP;
        s.in_path = strndup(in, in_length);
        s.out_path = colon ? strdup(colon + 1) : NULL;
        if (!s.in_path || (colon && !s.out_path)) {
            free(s.in_path);
            free(s.out_path);
            return spec_error(spec, "out of memory");
        }
    } else if (strncmp(spec, "tap:", 4) == 0) {
        if (spec[4] == '\0') return spec_error(spec, "expected tap:NAME, NAME is missing");
        s.kind = SPEC_TAP;
        s.in_path = strdup(spec + 4);
        if (!s.in_path) return spec_error(spec, "out of memory");
    } else {
        return spec_error(spec, "expected udp:PORT[,PORT...], pcap:IN[:OUT] or tap:NAME");
    }
    specs[spec_count++] = s;
    return 0;
}

/* ---- Devices -------------------------------------------------------------- */

struct cl_netif {
    cl_udp *udp;   /* exactly one of the three, until closed */
    cl_pcap *pcap;
    cl_frames *frames;
};

static cl_netif devices[CL_NETIF_MAX];
static size_t device_count;

static _Noreturn void open_failed(void) {
    cl_netif_close_all();
    exit(2);
}

static void print_ports(const int64_t *ports, size_t count) {
    for (size_t i = 0; i < count; i++) fprintf(stderr, "%s%lld", i ? ", " : "", (long long)ports[i]);
}

cl_netif *cl_netif_open(const int64_t *ports, size_t count) {
    size_t number = device_count + 1; /* devices are numbered from 1 in messages */
    if (device_count == CL_NETIF_MAX) {
        fprintf(stderr, "cleave: too many devices (at most %d)\n", CL_NETIF_MAX);
        open_failed();
    }
    if (count == 0 || count > CL_NETIF_MAX_PORTS) {
        fprintf(stderr, "cleave: device %zu has %zu ports (1 to %d are supported)\n", number, count, CL_NETIF_MAX_PORTS);
        open_failed();
    }
    for (size_t i = 0; i < count; i++) {
        if (ports[i] < 0 || ports[i] > 65535) {
            fprintf(stderr, "cleave: device %zu: port %lld is not a UDP port (0 to 65535)\n", number, (long long)ports[i]);
            open_failed();
        }
        for (size_t j = 0; j < i; j++) {
            if (ports[j] == ports[i]) {
                fprintf(stderr, "cleave: device %zu: port %lld is given twice\n", number, (long long)ports[i]);
                open_failed();
            }
        }
    }

    const netif_spec *spec = device_count < spec_count ? &specs[device_count] : NULL;
    cl_netif *netif = &devices[device_count];
    if (spec && spec->kind == SPEC_TAP) {
        fprintf(stderr, "cleave: --netif '%s': device %zu is a UDP device; tap: is for a FrameDevice\n", spec->text, number);
        open_failed();
    }
    if (spec && spec->kind == SPEC_PCAP) {
        netif->pcap = cl_pcap_open(ports, count, spec->in_path, spec->out_path);
    } else {
        uint16_t bind_ports[CL_NETIF_MAX_PORTS];
        if (spec && spec->port_count != 0) {
            if (spec->port_count != count) {
                fprintf(stderr, "cleave: --netif '%s' gives %zu port%s, but device %zu has %zu (", spec->text,
                        spec->port_count, spec->port_count == 1 ? "" : "s", number, count);
                print_ports(ports, count);
                fprintf(stderr, "): give one port for each, in order\n");
                open_failed();
            }
            memcpy(bind_ports, spec->ports, count * sizeof bind_ports[0]);
        } else {
            for (size_t i = 0; i < count; i++) bind_ports[i] = (uint16_t)ports[i];
        }
        netif->udp = cl_udp_open(ports, bind_ports, count);
    }
    device_count++;
    return netif;
}

cl_frames *cl_frames_open(const char *default_tap) {
    size_t number = device_count + 1;
    if (device_count == CL_NETIF_MAX) {
        fprintf(stderr, "cleave: too many devices (at most %d)\n", CL_NETIF_MAX);
        open_failed();
    }
    const netif_spec *spec = device_count < spec_count ? &specs[device_count] : NULL;
    cl_netif *netif = &devices[device_count];
    if (spec && spec->kind == SPEC_UDP) {
        fprintf(stderr, "cleave: --netif '%s': device %zu is a FrameDevice, which takes tap:NAME or pcap:IN[:OUT]\n", spec->text,
                number);
        open_failed();
    }
    if (spec && spec->kind == SPEC_PCAP) netif->frames = cl_frames_open_pcap(spec->in_path, spec->out_path);
    else netif->frames = cl_frames_open_tap(spec ? spec->in_path : default_tap);
    device_count++;
    return netif->frames;
}

static _Noreturn void stop_now(void);
static volatile sig_atomic_t stop_requested;

int cl_frames_next(cl_frames *frames, const uint8_t **frame, size_t *length) {
    for (;;) {
        if (stop_requested) stop_now();
        int got = cl_frames_receive(frames, frame, length);
        if (got >= 0) return got;
    }
}

void cl_frames_write(cl_frames *frames, const uint8_t *frame, size_t length) { cl_frames_send(frames, frame, length); }

int cl_netif_receive(cl_netif *netif, cl_packet *out) {
    for (;;) {
        if (stop_requested) stop_now();
        int got = netif->udp ? cl_udp_receive(netif->udp, out) : netif->pcap ? cl_pcap_receive(netif->pcap, out) : 0;
        if (got >= 0) return got;
    }
}

void cl_netif_send(cl_netif *netif, const cl_packet *packet) {
    if (netif->udp) cl_udp_send(netif->udp, packet);
    else if (netif->pcap) cl_pcap_send(netif->pcap, packet);
    else cl_count(CL_COUNT_SEND_FAILED, 1); /* already closed */
}

void cl_netif_close_all(void) {
    for (size_t i = 0; i < device_count; i++) {
        if (devices[i].udp) cl_udp_close(devices[i].udp);
        if (devices[i].pcap) cl_pcap_close(devices[i].pcap);
        if (devices[i].frames) cl_frames_close(devices[i].frames);
        devices[i].udp = NULL;
        devices[i].pcap = NULL;
        devices[i].frames = NULL;
    }
}

/* ---- Counters ------------------------------------------------------------- */

static _Atomic uint64_t counters[CL_COUNT_LIMIT];

void cl_count(cl_counter which, uint64_t n) {
    if ((unsigned)which < CL_COUNT_LIMIT) atomic_fetch_add_explicit(&counters[which], n, memory_order_relaxed);
}

uint64_t cl_counter_value(cl_counter which) {
    if ((unsigned)which >= CL_COUNT_LIMIT) return 0;
    return atomic_load_explicit(&counters[which], memory_order_relaxed);
}

/* Append text or a number to a fixed buffer; nothing here may call stdio. */
typedef struct line {
    char text[256];
    size_t length;
} line;

static void put_text(line *l, const char *s) {
    while (*s && l->length < sizeof l->text) l->text[l->length++] = *s++;
}

static void put_number(line *l, uint64_t n) {
    char digits[20]; /* 2^64 - 1 has 20 digits */
    size_t count = 0;
    do {
        digits[count++] = (char)('0' + n % 10);
        n /= 10;
    } while (n != 0);
    while (count > 0 && l->length < sizeof l->text) l->text[l->length++] = digits[--count];
}

void cl_print_counters(void) {
    int saved_errno = errno;
    uint64_t v[CL_COUNT_LIMIT];
    for (int i = 0; i < CL_COUNT_LIMIT; i++) v[i] = cl_counter_value((cl_counter)i);
    line l = {.length = 0};
    put_text(&l, "cleave: received ");
    put_number(&l, v[CL_COUNT_RECEIVED]);
    put_text(&l, ", sent ");
    put_number(&l, v[CL_COUNT_SENT]);
    put_text(&l, ", dropped ");
    put_number(&l, v[CL_COUNT_MALFORMED] + v[CL_COUNT_OVERSIZED] + v[CL_COUNT_NOT_FOR_US] + v[CL_COUNT_SEND_FAILED]);
    put_text(&l, " (malformed ");
    put_number(&l, v[CL_COUNT_MALFORMED]);
    put_text(&l, ", oversized ");
    put_number(&l, v[CL_COUNT_OVERSIZED]);
    put_text(&l, ", not for this service ");
    put_number(&l, v[CL_COUNT_NOT_FOR_US]);
    put_text(&l, ", send failed ");
    put_number(&l, v[CL_COUNT_SEND_FAILED]);
    put_text(&l, ")\n");
    for (size_t done = 0; done < l.length;) {
        ssize_t n = write(STDERR_FILENO, l.text + done, l.length - done);
        if (n > 0) done += (size_t)n;
        else if (n < 0 && errno == EINTR) continue;
        else break;
    }
    errno = saved_errno;
}

/* ---- Signals -------------------------------------------------------------- */

static int stop_pipe[2] = {-1, -1};

int cl_netif_stop_fd(void) { return stop_pipe[0]; }

static _Noreturn void stop_now(void) {
    cl_netif_close_all();
    cl_print_counters();
    exit(0);
}

static void on_stop(int signal_number) {
    if (stop_requested) { /* the first one was not acted on: end now */
        signal(signal_number, SIG_DFL);
        raise(signal_number);
        return;
    }
    stop_requested = 1;
    int saved_errno = errno;
    if (stop_pipe[1] >= 0) {
        ssize_t ignored = write(stop_pipe[1], "x", 1); /* a full pipe already wakes poll */
        (void)ignored;
    }
    errno = saved_errno;
}

static void on_usr1(int signal_number) {
    (void)signal_number;
    cl_print_counters();
}

static void handle(int signal_number, void (*handler)(int)) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = handler;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0; /* no SA_RESTART: a blocking call returns EINTR */
    sigaction(signal_number, &action, NULL);
}

void cl_netif_install_signals(void) {
    if (stop_pipe[0] < 0 && pipe(stop_pipe) == 0) {
        for (int i = 0; i < 2; i++) {
            fcntl(stop_pipe[i], F_SETFL, fcntl(stop_pipe[i], F_GETFL) | O_NONBLOCK);
            fcntl(stop_pipe[i], F_SETFD, FD_CLOEXEC);
        }
    }
    handle(SIGUSR1, on_usr1);
    handle(SIGINT, on_stop);
    handle(SIGTERM, on_stop);
    /* A launcher may have started us with these blocked (a child inherits
     * its parent thread's mask; Foundation's Process does this). */
    sigset_t ours;
    sigemptyset(&ours);
    sigaddset(&ours, SIGUSR1);
    sigaddset(&ours, SIGINT);
    sigaddset(&ours, SIGTERM);
    sigprocmask(SIG_UNBLOCK, &ours, NULL);
}

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
#include <sys/stat.h>
#include <unistd.h>

/* ---- Specs ---------------------------------------------------------------- */

#define CL_NETIF_MAX 64

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
    fprintf(stderr, "%s: --netif '%s': %s\n", cl_program_name, spec, why);
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

int cl_netif_option(int argc, char **argv, int *i) {
    const char *a = argv[*i];
    const char *spec = NULL;
    if (strcmp(a, "--netif") == 0 && *i + 1 < argc) spec = argv[++*i];
    else if (strncmp(a, "--netif=", 8) == 0) spec = a + 8;
    else return 0;
    return cl_netif_configure(spec) == 0 ? 1 : -1;
}

const char cl_netif_usage[] =
    "  --netif udp:PORT[,PORT...]  serve UDP on these ports instead of the source's (0: any free port)\n"
    "  --netif pcap:IN[:OUT]       answer the UDP requests of capture IN, write the replies to OUT\n"
    "                              (a FrameDevice: read the Ethernet frames of IN, write those sent to OUT)\n"
    "  --netif tap:NAME            a FrameDevice on the Linux TAP interface NAME\n";

/* ---- Devices -------------------------------------------------------------- */

struct cl_netif {
    cl_udp *udp;   /* exactly one of the three, until closed */
    cl_pcap *pcap;
    cl_frames *frames;
};

static cl_netif devices[CL_NETIF_MAX];
static size_t device_count;
static int32_t device_numbers[CL_NETIF_MAX];
static size_t device_numbers_count;
int (*cl_device_broker)(const cl_device_request *request, cl_device_grant *grant);
static size_t device_descriptors(int *out, size_t capacity);

void cl_netif_number_devices(const int32_t *numbers, size_t count) {
    if (count > CL_NETIF_MAX) count = CL_NETIF_MAX;
    memcpy(device_numbers, numbers, count * sizeof numbers[0]);
    device_numbers_count = count;
}

static int32_t next_number(void) {
    return device_count < device_numbers_count ? device_numbers[device_count] : (int32_t)device_count;
}

static _Noreturn void open_failed(void) {
    cl_netif_close_all();
    exit(2);
}

static void print_ports(const int64_t *ports, size_t count) {
    for (size_t i = 0; i < count; i++) fprintf(stderr, "%s%lld", i ? ", " : "", (long long)ports[i]);
}

static void copy_path(char *to, const char *from) {
    snprintf(to, CL_NETIF_PATH, "%s", from ? from : "");
}

/* Open the capture files of a pcap spec: the input, and the output unless it is
 * missing or is the input itself. */
static int bind_captures(const netif_spec *spec, cl_device_grant *grant) {
    grant->fd_count = 2;
    grant->fds[0] = open(spec->in_path, O_RDONLY | O_CLOEXEC);
    grant->fds[1] = -1;
    copy_path(grant->in_path, spec->in_path);
    copy_path(grant->out_path, spec->out_path);
    if (grant->fds[0] < 0) {
        fprintf(stderr, "%s: pcap: cannot read capture %s: %s\n", cl_program_name, spec->in_path, strerror(errno));
        return -1;
    }
    if (!spec->out_path) return 0;
    struct stat in_stat, out_stat;
    if (fstat(grant->fds[0], &in_stat) == 0 && stat(spec->out_path, &out_stat) == 0 && in_stat.st_dev == out_stat.st_dev &&
        in_stat.st_ino == out_stat.st_ino) {
        fprintf(stderr, "%s: pcap: %s is both the input and the output capture\n", cl_program_name, spec->in_path);
        close(grant->fds[0]);
        return -1;
    }
    grant->fds[1] = open(spec->out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (grant->fds[1] < 0) {
        fprintf(stderr, "%s: pcap: cannot write capture %s: %s\n", cl_program_name, spec->out_path, strerror(errno));
        close(grant->fds[0]);
        return -1;
    }
    return 0;
}

int cl_netif_bind(const cl_device_request *request, cl_device_grant *grant) {
    memset(grant, 0, sizeof *grant);
    int number = request->number + 1; /* devices are numbered from 1 in messages */
    const netif_spec *spec = request->number >= 0 && (size_t)request->number < spec_count ? &specs[request->number] : NULL;
    if (request->frames) {
        if (spec && spec->kind == SPEC_UDP) {
            fprintf(stderr, "%s: --netif '%s': device %d is a FrameDevice, which takes tap:NAME or pcap:IN[:OUT]\n", cl_program_name,
                    spec->text, number);
            return -1;
        }
        if (spec && spec->kind == SPEC_PCAP) {
            grant->kind = CL_GRANT_FRAMES_PCAP;
            return bind_captures(spec, grant);
        }
        const char *name = spec ? spec->in_path : request->tap;
        grant->kind = CL_GRANT_TAP;
        grant->fd_count = 1;
        copy_path(grant->in_path, name);
        grant->fds[0] = cl_tap_bind(name);
        return grant->fds[0] < 0 ? -1 : 0;
    }
    size_t count = (size_t)request->port_count;
    if (spec && spec->kind == SPEC_TAP) {
        fprintf(stderr, "%s: --netif '%s': device %d is a UDP device; tap: is for a FrameDevice\n", cl_program_name, spec->text, number);
        return -1;
    }
    if (spec && spec->kind == SPEC_PCAP) {
        grant->kind = CL_GRANT_PCAP;
        return bind_captures(spec, grant);
    }
    uint16_t bind_ports[CL_NETIF_MAX_PORTS];
    if (spec && spec->port_count != 0) {
        if (spec->port_count != count) {
            fprintf(stderr, "%s: --netif '%s' gives %zu port%s, but device %d has %zu (", cl_program_name, spec->text, spec->port_count,
                    spec->port_count == 1 ? "" : "s", number, count);
            print_ports(request->ports, count);
            fprintf(stderr, "): give one port for each, in order\n");
            return -1;
        }
        memcpy(bind_ports, spec->ports, count * sizeof bind_ports[0]);
    } else {
        for (size_t i = 0; i < count; i++) bind_ports[i] = (uint16_t)request->ports[i];
    }
    grant->kind = CL_GRANT_UDP;
    grant->fd_count = (int32_t)count;
    return cl_udp_bind(request->ports, bind_ports, count, grant->fds);
}

/* The device's descriptors: bound here, or by the broker. */
static void obtain(const cl_device_request *request, cl_device_grant *grant) {
    if (device_count == CL_NETIF_MAX) {
        fprintf(stderr, "%s: too many devices (at most %d)\n", cl_program_name, CL_NETIF_MAX);
        open_failed();
    }
    cl_at_shutdown(cl_netif_close_all);
    cl_device_descriptors = device_descriptors;
    int failed = cl_device_broker ? cl_device_broker(request, grant) : cl_netif_bind(request, grant);
    if (failed) open_failed();
}

cl_netif *cl_netif_open(const int64_t *ports, size_t count) {
    int32_t number = next_number();
    if (count == 0 || count > CL_NETIF_MAX_PORTS) {
        fprintf(stderr, "%s: device %d has %zu ports (1 to %d are supported)\n", cl_program_name, number + 1, count, CL_NETIF_MAX_PORTS);
        open_failed();
    }
    for (size_t i = 0; i < count; i++) {
        if (ports[i] < 0 || ports[i] > 65535) {
            fprintf(stderr, "%s: device %d: port %lld is not a UDP port (0 to 65535)\n", cl_program_name, number + 1, (long long)ports[i]);
            open_failed();
        }
        for (size_t j = 0; j < i; j++) {
            if (ports[j] == ports[i]) {
                fprintf(stderr, "%s: device %d: port %lld is given twice\n", cl_program_name, number + 1, (long long)ports[i]);
                open_failed();
            }
        }
    }
    cl_device_request request = {.number = number, .frames = 0, .port_count = (int32_t)count};
    memcpy(request.ports, ports, count * sizeof ports[0]);
    cl_device_grant grant;
    obtain(&request, &grant);
    cl_netif *netif = &devices[device_count];
    if (grant.kind == CL_GRANT_PCAP && grant.fd_count == 2) {
        netif->pcap = cl_pcap_open(ports, count, grant.fds[0], grant.fds[1], grant.in_path,
                                   grant.out_path[0] ? grant.out_path : NULL);
    } else if (grant.kind == CL_GRANT_UDP && grant.fd_count == (int32_t)count) {
        netif->udp = cl_udp_adopt(ports, grant.fds, count);
    } else {
        fprintf(stderr, "%s: device %d: the launcher granted the wrong kind of device\n", cl_program_name, number + 1);
        open_failed();
    }
    device_count++;
    return netif;
}

cl_frames *cl_frames_open(const char *default_tap) {
    cl_device_request request = {.number = next_number(), .frames = 1};
    snprintf(request.tap, sizeof request.tap, "%s", default_tap);
    cl_device_grant grant;
    obtain(&request, &grant);
    cl_netif *netif = &devices[device_count];
    if (grant.kind == CL_GRANT_FRAMES_PCAP && grant.fd_count == 2) {
        netif->frames = cl_frames_open_pcap(grant.fds[0], grant.fds[1], grant.in_path, grant.out_path[0] ? grant.out_path : NULL);
    } else if (grant.kind == CL_GRANT_TAP && grant.fd_count == 1) {
        netif->frames = cl_frames_open_tap(grant.fds[0], grant.in_path);
    } else {
        fprintf(stderr, "%s: device %d: the launcher granted the wrong kind of device\n", cl_program_name, request.number + 1);
        open_failed();
    }
    device_count++;
    return netif->frames;
}

static _Noreturn void stop_now(void);
static int stop_pipe[2] = {-1, -1};
static volatile sig_atomic_t stop_requested;

int cl_frames_next(cl_frames *frames, const uint8_t **frame, size_t *length) {
    for (;;) {
        if (stop_requested) stop_now();
        int got = cl_frames_receive(frames, frame, length);
        if (got >= 0) return got;
    }
}

void cl_frames_write(cl_frames *frames, const uint8_t *frame, size_t length) { cl_frames_send(frames, frame, length); }

int (*cl_netif_interrupted)(void);

int cl_netif_receive(cl_netif *netif, cl_packet *out) {
    for (;;) {
        if (stop_requested) stop_now();
        if (cl_netif_interrupted && cl_netif_interrupted()) return -2;
        int got = netif->udp ? cl_udp_receive(netif->udp, out) : netif->pcap ? cl_pcap_receive(netif->pcap, out) : 0;
        if (got >= 0) return got;
    }
}

int cl_netif_ready(const cl_netif *netif) {
    return netif->udp ? cl_udp_ready(netif->udp) : netif->pcap ? cl_pcap_ready(netif->pcap) : 0;
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

static size_t device_descriptors(int *out, size_t capacity) {
    size_t n = 0;
    for (size_t i = 0; i < device_count; i++) {
        int fds[CL_NETIF_MAX_PORTS + 2];
        size_t k = 0;
        if (devices[i].udp) k = cl_udp_descriptors(devices[i].udp, fds, CL_NETIF_MAX_PORTS);
        if (devices[i].pcap) k = cl_pcap_descriptors(devices[i].pcap, fds);
        if (devices[i].frames) k = cl_frames_descriptors(devices[i].frames, fds);
        for (size_t j = 0; j < k && n < capacity; j++) out[n++] = fds[j];
    }
    return n;
}

size_t (*cl_device_descriptors)(int *out, size_t capacity);

int cl_netif_stop_pipe(int end) { return end == 0 || end == 1 ? stop_pipe[end] : -1; }

/* ---- Counters ------------------------------------------------------------- */

static _Atomic uint64_t own_counters[CL_COUNT_LIMIT];
static _Atomic uint64_t *counters = own_counters;

static int counters_shared; /* someone else (the launcher) prints them */

void cl_counters_attach(uint64_t *shared) {
    for (int i = 0; i < CL_COUNT_LIMIT; i++) shared[i] += atomic_load_explicit(&own_counters[i], memory_order_relaxed);
    counters = (_Atomic uint64_t *)shared;
    counters_shared = 1;
}

void cl_count(cl_counter which, uint64_t n) {
    if ((unsigned)which < CL_COUNT_LIMIT) atomic_fetch_add_explicit(&counters[which], n, memory_order_relaxed);
}

void cl_uncount(cl_counter which, uint64_t n) {
    if ((unsigned)which < CL_COUNT_LIMIT) atomic_fetch_sub_explicit(&counters[which], n, memory_order_relaxed);
}

uint64_t cl_counter_value(cl_counter which) {
    if ((unsigned)which >= CL_COUNT_LIMIT) return 0;
    return atomic_load_explicit(&counters[which], memory_order_relaxed);
}

/* ---- Waiting for input ---------------------------------------------------- */

static _Atomic uint32_t own_waiting;
static _Atomic uint32_t *waiting = &own_waiting;

void cl_netif_attach_waiting(uint32_t *shared) { waiting = (_Atomic uint32_t *)shared; }

/* Relaxed: the launcher looks now and then, and a component that has just returned from its
 * wait runs, which the launcher sees too. */
void cl_netif_waiting_for_input(int on) { atomic_store_explicit(waiting, on ? 1u : 0u, memory_order_relaxed); }

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
    if (counters_shared) return;
    uint64_t v[CL_COUNT_LIMIT];
    for (int i = 0; i < CL_COUNT_LIMIT; i++) v[i] = cl_counter_value((cl_counter)i);
    cl_print_counter_values(v);
}

void cl_print_counter_values(const uint64_t v[CL_COUNT_LIMIT]) {
    int saved_errno = errno;
    line l = {.length = 0};
    put_text(&l, cl_program_name);
    put_text(&l, ": received ");
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

int cl_netif_stop_fd(void) { return stop_pipe[0]; }

static _Noreturn void stop_now(void) {
    cl_shutdown();
    cl_print_counters();
    exit(0);
}

int cl_stop_requested(void) { return stop_requested != 0; }

void cl_netif_wake(void) {
    int saved_errno = errno;
    if (stop_pipe[1] >= 0) {
        ssize_t ignored = write(stop_pipe[1], "w", 1);
        (void)ignored;
    }
    errno = saved_errno;
}

void cl_netif_drain_wake(void) {
    char bytes[64];
    if (device_count > 0 && stop_pipe[0] >= 0 && !stop_requested)
        while (read(stop_pipe[0], bytes, sizeof bytes) > 0) {}
}

_Noreturn void cl_stop_now(void) { stop_now(); }

/* Installed with SA_RESETHAND: a second signal, should the first not be acted on, ends the
 * process by the default action (no system call here, which a sandbox would refuse). */
static void on_stop(int signal_number) {
    (void)signal_number;
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

static void handle(int signal_number, void (*handler)(int), int flags) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = handler;
    sigemptyset(&action.sa_mask);
    action.sa_flags = flags; /* never SA_RESTART: a blocking call returns EINTR */
    sigaction(signal_number, &action, NULL);
}

void cl_netif_install_signals(void) {
    if (stop_pipe[0] < 0 && pipe(stop_pipe) == 0) {
        for (int i = 0; i < 2; i++) {
            fcntl(stop_pipe[i], F_SETFL, fcntl(stop_pipe[i], F_GETFL) | O_NONBLOCK);
            fcntl(stop_pipe[i], F_SETFD, FD_CLOEXEC);
        }
    }
    handle(SIGUSR1, on_usr1, 0);
    handle(SIGINT, on_stop, SA_RESETHAND);
    handle(SIGTERM, on_stop, SA_RESETHAND);
    /* A launcher may have started us with these blocked (a child inherits
     * its parent thread's mask; Foundation's Process does this). */
    sigset_t ours;
    sigemptyset(&ours);
    sigaddset(&ours, SIGUSR1);
    sigaddset(&ours, SIGINT);
    sigaddset(&ours, SIGTERM);
    sigprocmask(SIG_UNBLOCK, &ours, NULL);
}

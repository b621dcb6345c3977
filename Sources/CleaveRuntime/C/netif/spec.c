/* spec.c: the --netif options, and binding a device by its spec.
 *
 * The generated `main` (or the isolated target's launcher) hands every
 * `--netif SPEC` to cl_netif_configure, which only checks and remembers it:
 * specs are matched to devices by position, so the n-th spec goes to the n-th
 * device created. A device without a spec is a kernel UDP socket on each of
 * its source ports (FrameDevice: the TAP interface the source names).
 *
 * Binding is the half of opening a device that needs privileges (netif.h):
 * sockets created and bound, /dev/net/tun attached, capture files opened,
 * according to the device's spec. A unikernel binds its own devices
 * (netif.c); in the isolated target the launcher does, for its components.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/link.h"
#include "driver.h"

typedef enum { SPEC_UDP, SPEC_PCAP, SPEC_TAP, SPEC_TCP } spec_kind;

typedef struct netif_spec {
    spec_kind kind;
    const char *text;                         /* the spec as given, for messages */
    size_t port_count;                        /* udp, tcp: 0 = the source's own ports */
    uint16_t ports[CL_NETIF_MAX_PORTS];
    char *in_path, *out_path;                 /* pcap: OUT may be NULL; tap: in_path is the name */
    bool has_link;                            /* tap, pcap: ip= given */
    cl_link_config link;                             /* tap, pcap: ip=A/LEN, gw=G, mac=M */
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
        if (digits == 0) return spec_error(spec, "expected a port number (0 to 65535) after 'udp:' or 'tcp:' and each ','");
        if (out->port_count == CL_NETIF_MAX_PORTS) return spec_error(spec, "too many ports (at most 64)");
        out->ports[out->port_count++] = (uint16_t)value;
        if (*p == '\0') return 0;
        if (*p != ',') return spec_error(spec, "ports are numbers separated by ','");
        p++;
    }
}

/* The link options after a tap: or pcap: spec (core/link.c): 0, or -1 after saying what is wrong. */
static int parse_link(const char *spec, const char *options, netif_spec *out) {
    bool has_mac;
    const char *wrong = cl_link_parse(options, &out->link, &out->has_link, &has_mac);
    if (wrong) return spec_error(spec, wrong);
    if (!has_mac) cl_link_default_mac(&out->link);
    return 0;
}

/* Where the link options of a tap: or pcap: spec begin (the first ",ip=", ",gw=" or ",mac="),
 * or the spec's end. */
static const char *link_options(const char *from) {
    for (const char *p = strchr(from, ','); p; p = strchr(p + 1, ','))
        if (strncmp(p, ",ip=", 4) == 0 || strncmp(p, ",gw=", 4) == 0 || strncmp(p, ",mac=", 5) == 0) return p;
    return from + strlen(from);
}

int cl_netif_configure(const char *spec) {
    if (spec_count == CL_NETIF_MAX) return spec_error(spec, "too many --netif options (at most 64)");
    netif_spec s;
    memset(&s, 0, sizeof s);
    s.text = spec;
    if (strcmp(spec, "udp") == 0 || strncmp(spec, "udp:", 4) == 0) {
        s.kind = SPEC_UDP;
        if (parse_ports(spec, spec[3] == ':' ? spec + 4 : spec + 3, &s) != 0) return -1;
    } else if (strcmp(spec, "tcp") == 0 || strncmp(spec, "tcp:", 4) == 0) {
        s.kind = SPEC_TCP;
        if (parse_ports(spec, spec[3] == ':' ? spec + 4 : spec + 3, &s) != 0) return -1;
    } else if (strncmp(spec, "pcap:", 5) == 0) {
        /* IN runs to the first ':' after "pcap:"; OUT is everything after it, up to the link options. */
        const char *in = spec + 5;
        const char *end = link_options(in);
        const char *colon = memchr(in, ':', (size_t)(end - in));
        size_t in_length = colon ? (size_t)(colon - in) : (size_t)(end - in);
        if (in_length == 0) return spec_error(spec, "expected pcap:IN[:OUT], IN is missing");
        if (colon && colon + 1 == end) return spec_error(spec, "expected pcap:IN[:OUT], OUT is empty");
        if (parse_link(spec, end, &s) != 0) return -1;
        s.kind = SPEC_PCAP;
        s.in_path = strndup(in, in_length);
        s.out_path = colon ? strndup(colon + 1, (size_t)(end - colon - 1)) : NULL;
        if (!s.in_path || (colon && !s.out_path)) {
            free(s.in_path);
            free(s.out_path);
            return spec_error(spec, "out of memory");
        }
    } else if (strncmp(spec, "tap:", 4) == 0) {
        const char *end = link_options(spec + 4);
        if (end == spec + 4) return spec_error(spec, "expected tap:NAME, NAME is missing");
        if (parse_link(spec, end, &s) != 0) return -1;
        s.kind = SPEC_TAP;
        s.in_path = strndup(spec + 4, (size_t)(end - spec - 4));
        if (!s.in_path) return spec_error(spec, "out of memory");
    } else {
        return spec_error(spec, "expected udp:PORT[,PORT...], tcp:PORT[,PORT...], pcap:IN[:OUT][,ip=A/LEN] or tap:NAME[,ip=A/LEN,gw=G,mac=M]");
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
    "  --netif tcp:PORT[,PORT...]  a TcpDevice: listen on these ports instead of the source's\n"
    "  --netif pcap:IN[:OUT]       answer the UDP requests of capture IN, write the replies to OUT\n"
    "                              (a FrameDevice: read the Ethernet frames of IN, write those sent to OUT)\n"
    "  --netif tap:NAME            a FrameDevice on the Linux TAP interface NAME\n"
    "  ...,ip=A.B.C.D/LEN[,gw=A.B.C.D][,mac=XX:XX:XX:XX:XX:XX]\n"
    "                              after tap:NAME or pcap:IN[:OUT]: the addresses of Cleave's own stack\n"
    "                              (a build with --net direct; default tap:cleave0,ip=10.0.2.15/24,gw=10.0.2.2)\n";

/* ---- Binding ---------------------------------------------------------------- */

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

/* The ports a UDP or TCP device binds: its spec's, in order, or the source's. 0, or -1 after
 * saying why not. */
static int ports_to_bind(const cl_device_request *request, const netif_spec *spec, uint16_t *bind_ports) {
    size_t count = (size_t)request->port_count;
    int number = request->number + 1;
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
    return 0;
}

/* A TcpDevice: listeners on its ports, moved by a tcp: spec. */
static int bind_tcp(const cl_device_request *request, const netif_spec *spec, cl_device_grant *grant) {
    if (spec && spec->kind != SPEC_TCP) {
        fprintf(stderr, "%s: --netif '%s': device %d is a TcpDevice, which takes tcp:PORT[,PORT...]\n", cl_program_name, spec->text,
                request->number + 1);
        return -1;
    }
    uint16_t bind_ports[CL_NETIF_MAX_PORTS];
    if (ports_to_bind(request, spec, bind_ports) != 0) return -1;
    grant->kind = CL_GRANT_TCP;
    grant->fd_count = request->port_count;
    return cl_tcp_bind(request->ports, bind_ports, (size_t)request->port_count, grant->fds);
}

int cl_netif_bind(const cl_device_request *request, cl_device_grant *grant) {
    memset(grant, 0, sizeof *grant);
    int number = request->number + 1; /* devices are numbered from 1 in messages */
    const netif_spec *spec = request->number >= 0 && (size_t)request->number < spec_count ? &specs[request->number] : NULL;
    if (request->frames == 3) return bind_tcp(request, spec, grant);
    if (request->frames) {
        if (spec && spec->kind == SPEC_TCP) {
            fprintf(stderr, "%s: --netif '%s': device %d is a FrameDevice, which takes tap:NAME or pcap:IN[:OUT]\n", cl_program_name,
                    spec->text, number);
            return -1;
        }
        if (spec && spec->kind == SPEC_UDP) {
            if (request->frames == 2)
                fprintf(stderr,
                        "%s: --netif '%s': device %d is a UdpDevice on Cleave's own stack (built with --net direct), which takes "
                        "tap:NAME,ip=A.B.C.D/LEN or pcap:IN[:OUT],ip=A.B.C.D/LEN; udp: is for a build on the kernel's sockets\n",
                        cl_program_name, spec->text, number);
            else
                fprintf(stderr, "%s: --netif '%s': device %d is a FrameDevice, which takes tap:NAME or pcap:IN[:OUT]\n",
                        cl_program_name, spec->text, number);
            return -1;
        }
        if (spec && spec->has_link) {
            grant->link = spec->link;
        } else if (request->frames == 2) {
            /* QEMU's user network: the address and gateway a guest is given there. */
            grant->link.address = 0x0a00020f;
            grant->link.prefix_length = 24;
            grant->link.gateway = 0x0a000202;
            cl_link_default_mac(&grant->link);
        }
        int bound;
        if (spec && spec->kind == SPEC_PCAP) {
            grant->kind = CL_GRANT_FRAMES_PCAP;
            bound = bind_captures(spec, grant);
        } else {
            const char *name = spec ? spec->in_path : request->tap;
            grant->kind = CL_GRANT_TAP;
            grant->fd_count = 1;
            copy_path(grant->in_path, name);
            grant->fds[0] = cl_tap_bind(name);
            bound = grant->fds[0] < 0 ? -1 : 0;
        }
        if (bound == 0 && request->frames == 2) {
            cl_text link = {.length = 0};
            cl_link_describe(&grant->link, &link);
            fprintf(stderr, "%s: Cleave's stack on %s: %s\n", cl_program_name, grant->in_path, link.text);
        }
        return bound;
    }
    size_t count = (size_t)request->port_count;
    if (spec && spec->kind == SPEC_TCP) {
        fprintf(stderr, "%s: --netif '%s': device %d is a UdpDevice, which takes udp:PORT[,PORT...] or pcap:IN[:OUT]\n",
                cl_program_name, spec->text, number);
        return -1;
    }
    if (spec && spec->kind == SPEC_TAP) {
        fprintf(stderr,
                "%s: --netif '%s': device %d is a UdpDevice on the kernel's sockets; a TAP interface needs Cleave's own stack: "
                "build with `cleave build --net direct`\n",
                cl_program_name, spec->text, number);
        return -1;
    }
    if (spec && spec->has_link) {
        fprintf(stderr,
                "%s: --netif '%s': device %d is a UdpDevice on the kernel's sockets, which has no addresses of its own to give: "
                "ip=, gw= and mac= are for a build with `--net direct`\n",
                cl_program_name, spec->text, number);
        return -1;
    }
    if (spec && spec->kind == SPEC_PCAP) {
        grant->kind = CL_GRANT_PCAP;
        return bind_captures(spec, grant);
    }
    uint16_t bind_ports[CL_NETIF_MAX_PORTS];
    if (ports_to_bind(request, spec, bind_ports) != 0) return -1;
    grant->kind = CL_GRANT_UDP;
    grant->fd_count = (int32_t)count;
    return cl_udp_bind(request->ports, bind_ports, count, grant->fds);
}


int cl_netif_announce(int fd, const char *netif, const char *protocol, int64_t source_port) {
    struct sockaddr_in address;
    socklen_t length = sizeof address;
    if (getsockname(fd, (struct sockaddr *)&address, &length) != 0) {
        fprintf(stderr, "%s: %s: port %lld: %s\n", cl_program_name, netif, (long long)source_port, strerror(errno));
        return -1;
    }
    unsigned bound = ntohs(address.sin_port);
    if (bound == (unsigned)source_port)
        fprintf(stderr, "%s: listening on %s port %u\n", cl_program_name, protocol, bound);
    else
        fprintf(stderr, "%s: listening on %s port %u (port %lld in the source)\n", cl_program_name, protocol, bound,
                (long long)source_port);
    return 0;
}

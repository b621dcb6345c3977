/* netif.c: the netifs a hosted service has open, and what the rest of the
 * runtime calls of them.
 *
 * A device is opened when the program creates it: its descriptors are bound
 * by its --netif spec (spec.c), here or, in the isolated target, by the
 * launcher (cl_device_broker), and the netif is built on them (adopted). The
 * device table remembers every open netif, so that cl_netif_close_all can
 * complete the captures being written on every way out of the program: it is
 * a shutdown hook (core/service.c) from the first device on.
 *
 * Receiving checks for a stop before each datagram (core: cl_stop_requested)
 * and stops there; a netif interrupted by a signal returns, and is asked
 * again once the stop, or whatever else the signal meant
 * (cl_netif_interrupted), has been looked at.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "driver.h"

/* ---- Devices -------------------------------------------------------------- */

struct cl_netif {
    cl_udp *udp;   /* exactly one of the four, until closed */
    cl_pcap *pcap;
    cl_frames *frames;
    cl_tcp *tcp;
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

/* The source's ports of device `number`: 1 to CL_NETIF_MAX_PORTS of them, each a port, none twice. */
static void check_ports(int32_t number, const int64_t *ports, size_t count, const char *protocol) {
    if (count == 0 || count > CL_NETIF_MAX_PORTS) {
        fprintf(stderr, "%s: device %d has %zu ports (1 to %d are supported)\n", cl_program_name, number + 1, count, CL_NETIF_MAX_PORTS);
        open_failed();
    }
    for (size_t i = 0; i < count; i++) {
        if (ports[i] < 0 || ports[i] > 65535) {
            fprintf(stderr, "%s: device %d: port %lld is not a %s port (0 to 65535)\n", cl_program_name, number + 1, (long long)ports[i],
                    protocol);
            open_failed();
        }
        for (size_t j = 0; j < i; j++) {
            if (ports[j] == ports[i]) {
                fprintf(stderr, "%s: device %d: port %lld is given twice\n", cl_program_name, number + 1, (long long)ports[i]);
                open_failed();
            }
        }
    }
}

cl_tcp *cl_netif_open_tcp(const int64_t *ports, size_t count) {
    int32_t number = next_number();
    check_ports(number, ports, count, "TCP");
    cl_device_request request = {.number = number, .frames = 3, .port_count = (int32_t)count};
    memcpy(request.ports, ports, count * sizeof ports[0]);
    cl_device_grant grant;
    obtain(&request, &grant);
    cl_netif *netif = &devices[device_count];
    if (grant.kind == CL_GRANT_TCP && grant.fd_count == (int32_t)count) {
        netif->tcp = cl_tcp_adopt(ports, grant.fds, count);
    } else {
        fprintf(stderr, "%s: device %d: the launcher granted the wrong kind of device\n", cl_program_name, number + 1);
        open_failed();
    }
    if (!netif->tcp) open_failed(); /* it said why */
    device_count++;
    return netif->tcp;
}

int cl_netif_tcp_receive(cl_tcp *tcp, cl_tcp_event *out) {
    for (;;) {
        if (cl_stop_requested()) cl_stop_now();
        if (cl_netif_interrupted && cl_netif_interrupted()) return -2;
        int got = cl_tcp_receive(tcp, out);
        if (got >= 0) return got;
    }
}

void cl_netif_tcp_send(cl_tcp *tcp, int64_t id, const uint8_t *data, size_t length) { cl_tcp_send(tcp, id, data, length); }

void cl_netif_tcp_close(cl_tcp *tcp, int64_t id) { cl_tcp_close_connection(tcp, id); }

cl_netif *cl_netif_open(const int64_t *ports, size_t count) {
    int32_t number = next_number();
    check_ports(number, ports, count, "UDP");
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
    if (!netif->pcap && !netif->udp) open_failed(); /* it said why */
    device_count++;
    return netif;
}

static cl_frames *open_frames(int32_t kind, const char *default_tap) {
    cl_device_request request = {.number = next_number(), .frames = kind};
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
    if (!netif->frames) open_failed(); /* it said why */
    cl_frames_set_link(netif->frames, &grant.link);
    device_count++;
    return netif->frames;
}

cl_frames *cl_frames_open(const char *default_tap) { return open_frames(1, default_tap); }

cl_frames *cl_frames_open_link(void) { return open_frames(2, "cleave0"); }

int cl_frames_next(cl_frames *frames, const uint8_t **frame, size_t *length) {
    for (;;) {
        if (cl_stop_requested()) cl_stop_now();
        int got = cl_frames_receive(frames, frame, length);
        if (got >= 0) return got;
    }
}

int (*cl_netif_interrupted)(void);

int cl_netif_receive(cl_netif *netif, cl_packet *out) {
    for (;;) {
        if (cl_stop_requested()) cl_stop_now();
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
        if (devices[i].tcp) cl_tcp_close(devices[i].tcp);
        devices[i].tcp = NULL;
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
        if (devices[i].tcp) k = cl_tcp_descriptors(devices[i].tcp, fds, CL_NETIF_MAX_PORTS + 1);
        for (size_t j = 0; j < k && n < capacity; j++) out[n++] = fds[j];
    }
    return n;
}

size_t (*cl_device_descriptors)(int *out, size_t capacity);

void cl_netif_drain_wake(void) {
    char bytes[64];
    int fd = cl_netif_stop_pipe(0);
    if (device_count > 0 && fd >= 0 && !cl_stop_requested())
        while (read(fd, bytes, sizeof bytes) > 0) {}
}

/* netif_udp.c: a netif made of kernel UDP sockets, one per port.
 *
 * Each of the device's source ports gets its own socket bound on 0.0.0.0 and
 * the port its spec maps it to (by default the same port; 0 lets the kernel
 * choose). The program never sees the mapping: a datagram from socket i
 * reports source port i, and a reply from source port i leaves from socket i,
 * so the peer sees the reply come from the port it wrote to. Every bound port
 * is announced on standard error, which is how tests learn a port chosen by
 * the kernel.
 *
 * The sockets are not SO_REUSEADDR: for UDP on Linux that option lets two
 * processes share a port (the last one to bind gets the datagrams), so a port
 * already in use would silently steal traffic instead of failing to open.
 *
 * Receiving waits with poll on every socket and on the stop pipe (see
 * netif.c), then reads one datagram at a time without blocking, round robin
 * over the sockets poll found readable, and polls again only when all of them
 * are drained: one poll per burst rather than per datagram, and no port can
 * starve another. Reading asks for the datagram's real length (MSG_TRUNC), so
 * one that did not fit the 64 KiB buffer, or is larger than a UDP payload over
 * IPv4 may be, is dropped and counted as oversized rather than passed on cut.
 */
#include "netif.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUFFER_SIZE 65536

struct cl_udp {
    size_t count;
    int64_t *ports;        /* source ports, as the program names them */
    struct pollfd *polls;  /* one per socket, then the stop pipe (fd -1 if none) */
    unsigned char *ready;  /* poll said readable and no EAGAIN since */
    size_t next;           /* where the round robin goes on */
    uint8_t *buffer;       /* the received payload; valid until the next receive */
};

static _Noreturn void udp_failed(cl_udp *udp) {
    cl_udp_close(udp);
    cl_netif_close_all();
    exit(2);
}

cl_udp *cl_udp_open(const int64_t *ports, const uint16_t *bind_ports, size_t count) {
    cl_udp *udp = calloc(1, sizeof *udp);
    if (!udp) {
        fprintf(stderr, "cleave: udp: out of memory\n");
        cl_netif_close_all();
        exit(2);
    }
    udp->count = count;
    udp->ports = calloc(count, sizeof *udp->ports);
    udp->polls = calloc(count + 1, sizeof *udp->polls);
    udp->ready = calloc(count, 1);
    udp->buffer = malloc(BUFFER_SIZE);
    if (!udp->ports || !udp->polls || !udp->ready || !udp->buffer) {
        fprintf(stderr, "cleave: udp: out of memory\n");
        udp_failed(udp);
    }
    for (size_t i = 0; i <= count; i++) udp->polls[i].fd = -1;

    for (size_t i = 0; i < count; i++) {
        udp->ports[i] = ports[i];
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            fprintf(stderr, "cleave: udp: port %lld: cannot create a socket: %s\n", (long long)ports[i], strerror(errno));
            udp_failed(udp);
        }
        udp->polls[i].fd = fd;
        udp->polls[i].events = POLLIN;
        int buffer_size = 4 << 20; /* room for bursts; the kernel caps it at rmem_max */
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer_size, sizeof buffer_size);

        struct sockaddr_in address;
        memset(&address, 0, sizeof address);
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_ANY);
        address.sin_port = htons(bind_ports[i]);
        if (bind(fd, (struct sockaddr *)&address, sizeof address) != 0) {
            fprintf(stderr, "cleave: udp: port %lld: cannot listen on 0.0.0.0:%u: %s\n", (long long)ports[i],
                    (unsigned)bind_ports[i], strerror(errno));
            udp_failed(udp);
        }
        socklen_t length = sizeof address;
        if (getsockname(fd, (struct sockaddr *)&address, &length) != 0) {
            fprintf(stderr, "cleave: udp: port %lld: %s\n", (long long)ports[i], strerror(errno));
            udp_failed(udp);
        }
        fprintf(stderr, "cleave: udp: port %lld listening on %u\n", (long long)ports[i], (unsigned)ntohs(address.sin_port));
    }
    udp->polls[count].fd = cl_netif_stop_fd();
    udp->polls[count].events = POLLIN;
    return udp;
}

/* Read one datagram from socket i without blocking: 1 delivered, 0 nothing
 * (left the socket drained, or dropped what it read). */
static int read_one(cl_udp *udp, size_t i, cl_packet *out) {
    struct sockaddr_in peer;
    socklen_t peer_length = sizeof peer;
    ssize_t n = recvfrom(udp->polls[i].fd, udp->buffer, BUFFER_SIZE, MSG_DONTWAIT | MSG_TRUNC,
                         (struct sockaddr *)&peer, &peer_length);
    if (n < 0) {
        /* EAGAIN: drained. Anything else (an ICMP error reported late, say)
         * is about an earlier datagram, not this socket's health: try again
         * after the next poll. */
        if (errno != EINTR) udp->ready[i] = 0;
        return 0;
    }
    if ((size_t)n > BUFFER_SIZE || (size_t)n > CL_UDP_MAX_PAYLOAD) {
        cl_count(CL_COUNT_OVERSIZED, 1);
        return 0;
    }
    if (peer_length < sizeof peer || peer.sin_family != AF_INET) {
        cl_count(CL_COUNT_MALFORMED, 1);
        return 0;
    }
    out->payload = udp->buffer;
    out->length = (size_t)n;
    out->port = udp->ports[i];
    out->peer_address = ntohl(peer.sin_addr.s_addr);
    out->peer_port = ntohs(peer.sin_port);
    cl_count(CL_COUNT_RECEIVED, 1);
    return 1;
}

int cl_udp_receive(cl_udp *udp, cl_packet *out) {
    for (;;) {
        /* Serve the sockets poll found readable, round robin, until drained. */
        for (size_t k = 0; k < udp->count; k++) {
            size_t i = (udp->next + k) % udp->count;
            while (udp->ready[i]) {
                if (read_one(udp, i, out)) {
                    udp->next = (i + 1) % udp->count;
                    return 1;
                }
            }
        }
        int n = poll(udp->polls, udp->count + 1, -1);
        if (n < 0) {
            if (errno == EINTR) return -1;
            fprintf(stderr, "cleave: udp: poll: %s\n", strerror(errno));
            return 0;
        }
        if (udp->polls[udp->count].fd >= 0 && udp->polls[udp->count].revents) return -1; /* stop requested */
        for (size_t i = 0; i < udp->count; i++)
            if (udp->polls[i].revents & (POLLIN | POLLERR)) udp->ready[i] = 1;
    }
}

void cl_udp_send(cl_udp *udp, const cl_packet *packet) {
    if (packet->length > CL_UDP_MAX_PAYLOAD) {
        cl_count(CL_COUNT_OVERSIZED, 1);
        return;
    }
    size_t i = 0;
    while (i < udp->count && udp->ports[i] != packet->port) i++;
    if (i == udp->count) {
        cl_count(CL_COUNT_SEND_FAILED, 1);
        return;
    }
    struct sockaddr_in peer;
    memset(&peer, 0, sizeof peer);
    peer.sin_family = AF_INET;
    peer.sin_addr.s_addr = htonl(packet->peer_address);
    peer.sin_port = htons(packet->peer_port);
    const void *payload = packet->length ? (const void *)packet->payload : (const void *)"";
    for (;;) {
        ssize_t n = sendto(udp->polls[i].fd, payload, packet->length, 0, (struct sockaddr *)&peer, sizeof peer);
        if (n >= 0) {
            cl_count(CL_COUNT_SENT, 1);
            return;
        }
        if (errno != EINTR) {
            cl_count(CL_COUNT_SEND_FAILED, 1);
            return;
        }
    }
}

void cl_udp_close(cl_udp *udp) {
    if (!udp) return;
    if (udp->polls)
        for (size_t i = 0; i < udp->count; i++)
            if (udp->polls[i].fd >= 0) close(udp->polls[i].fd);
    free(udp->ports);
    free(udp->polls);
    free(udp->ready);
    free(udp->buffer);
    free(udp);
}

/* udp.c: a netif made of kernel UDP sockets, one per port.
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
 * Receiving waits with poll on every socket and on the wake pipe (see
 * wait.c), then reads one datagram at a time without blocking, round robin
 * over the sockets poll found readable, and polls again only when all of them
 * are drained: one poll per burst rather than per datagram, and no port can
 * starve another. Reading asks for the datagram's real length (MSG_TRUNC), so
 * one that did not fit the 64 KiB buffer, or is larger than a UDP payload over
 * IPv4 may be, is dropped and counted as oversized rather than passed on cut.
 *
 * Datagrams move in batches, as a hand-written server's would: a socket is
 * read with recvmmsg, up to BATCH datagrams per system call, and the program
 * is handed them one by one; replies of up to SMALL bytes are copied into a
 * queue and leave together with sendmmsg when the batch received has been
 * answered (or the queue is full), before the netif waits for more. A larger
 * reply first sends what is queued, then goes out alone, so replies always
 * leave in the order the program sent them.
 */
#define _GNU_SOURCE /* recvmmsg, sendmmsg */
#include "driver.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUFFER_SIZE 65536
#define BATCH 64
#define SMALL 2048

struct cl_udp {
    size_t count;
    int64_t *ports;        /* source ports, as the program names them */
    struct pollfd *polls;  /* one per socket, then the wake pipe (fd -1 if none) */
    unsigned char *ready;  /* poll said readable and no EAGAIN since */
    size_t next;           /* where the round robin goes on */
    uint8_t *buffer;       /* BATCH received payloads; each valid until the next receive */
    /* The batch received: datagrams rx_next..<rx_count of socket rx_socket are still to deliver. */
    struct mmsghdr rx[BATCH];
    struct iovec rx_iov[BATCH];
    struct sockaddr_in rx_peer[BATCH];
    int rx_count, rx_next;
    size_t rx_socket;
    /* Replies waiting to be sent, in order, with the socket each leaves from. */
    struct mmsghdr tx[BATCH];
    struct iovec tx_iov[BATCH];
    struct sockaddr_in tx_peer[BATCH];
    size_t tx_socket[BATCH];
    uint8_t *tx_buffer; /* BATCH * SMALL bytes */
    int tx_count;
};

static cl_udp *udp_failed(cl_udp *udp) {
    cl_udp_close(udp);
    return NULL;
}

int cl_udp_bind(const int64_t *ports, const uint16_t *bind_ports, size_t count, int *fds) {
    for (size_t i = 0; i < count; i++) fds[i] = -1;
    for (size_t i = 0; i < count; i++) {
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            fprintf(stderr, "%s: udp: port %lld: cannot create a socket: %s\n", cl_program_name, (long long)ports[i], strerror(errno));
            goto failed;
        }
        fds[i] = fd;
        int buffer_size = 4 << 20; /* room for bursts; the kernel caps it at rmem_max */
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer_size, sizeof buffer_size);

        struct sockaddr_in address;
        memset(&address, 0, sizeof address);
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_ANY);
        address.sin_port = htons(bind_ports[i]);
        if (bind(fd, (struct sockaddr *)&address, sizeof address) != 0) {
            fprintf(stderr, "%s: udp: port %lld: cannot listen on 0.0.0.0:%u: %s\n", cl_program_name, (long long)ports[i],
                    (unsigned)bind_ports[i], strerror(errno));
            goto failed;
        }
        if (cl_netif_announce(fd, "udp", "UDP", ports[i]) != 0) goto failed;
    }
    return 0;
failed:
    for (size_t i = 0; i < count; i++)
        if (fds[i] >= 0) close(fds[i]);
    return -1;
}

cl_udp *cl_udp_adopt(const int64_t *ports, const int *fds, size_t count) {
    cl_udp *udp = calloc(1, sizeof *udp);
    if (!udp) {
        fprintf(stderr, "%s: udp: out of memory\n", cl_program_name);
        return NULL;
    }
    udp->count = count;
    udp->ports = calloc(count, sizeof *udp->ports);
    udp->polls = calloc(count + 1, sizeof *udp->polls);
    udp->ready = calloc(count, 1);
    udp->buffer = malloc((size_t)BATCH * BUFFER_SIZE);
    udp->tx_buffer = malloc((size_t)BATCH * SMALL);
    if (!udp->ports || !udp->polls || !udp->ready || !udp->buffer || !udp->tx_buffer) {
        fprintf(stderr, "%s: udp: out of memory\n", cl_program_name);
        return udp_failed(udp);
    }
    for (size_t i = 0; i < count; i++) {
        udp->ports[i] = ports[i];
        udp->polls[i].fd = fds[i];
        udp->polls[i].events = POLLIN;
    }
    udp->polls[count].fd = cl_netif_stop_pipe(0);
    udp->polls[count].events = POLLIN;
    return udp;
}

size_t cl_udp_descriptors(const cl_udp *udp, int *out, size_t capacity) {
    size_t n = 0;
    for (size_t i = 0; i < udp->count && n < capacity; i++) out[n++] = udp->polls[i].fd;
    return n;
}

/* Send the queued replies: one sendmmsg per run of replies from one socket. */
static void flush(cl_udp *udp) {
    int start = 0;
    while (start < udp->tx_count) {
        int end = start + 1;
        while (end < udp->tx_count && udp->tx_socket[end] == udp->tx_socket[start]) end++;
        int fd = udp->polls[udp->tx_socket[start]].fd;
        while (start < end) {
            int n = sendmmsg(fd, udp->tx + start, (unsigned)(end - start), 0);
            if (n < 0) {
                if (errno == EINTR) continue;
                /* This one cannot go: count it, and go on with the rest. */
                cl_count(CL_COUNT_SEND_FAILED, 1);
                start++;
                continue;
            }
            cl_count(CL_COUNT_SENT, (uint64_t)n);
            start += n;
        }
    }
    udp->tx_count = 0;
}

/* Read a batch from socket i without blocking: the number of datagrams, 0 when drained. */
static int read_batch(cl_udp *udp, size_t i) {
    for (int k = 0; k < BATCH; k++) {
        udp->rx_iov[k].iov_base = udp->buffer + (size_t)k * BUFFER_SIZE;
        udp->rx_iov[k].iov_len = BUFFER_SIZE;
        memset(&udp->rx[k].msg_hdr, 0, sizeof udp->rx[k].msg_hdr);
        udp->rx[k].msg_hdr.msg_iov = &udp->rx_iov[k];
        udp->rx[k].msg_hdr.msg_iovlen = 1;
        udp->rx[k].msg_hdr.msg_name = &udp->rx_peer[k];
        udp->rx[k].msg_hdr.msg_namelen = sizeof udp->rx_peer[k];
    }
    int n = recvmmsg(udp->polls[i].fd, udp->rx, BATCH, MSG_DONTWAIT, NULL);
    if (n <= 0) {
        /* EAGAIN: drained. Anything else (an ICMP error reported late, say)
         * is about an earlier datagram, not this socket's health: try again
         * after the next poll. */
        if (n == 0 || errno != EINTR) udp->ready[i] = 0;
        return 0;
    }
    /* Fewer than asked for: the socket is drained; wait with poll next time
     * rather than spend a system call learning that again. */
    if (n < BATCH) udp->ready[i] = 0;
    udp->rx_count = n;
    udp->rx_next = 0;
    udp->rx_socket = i;
    return n;
}

/* Datagram k of the batch: 0 when it is one for the program, or the counter it is dropped under. */
static int unfit(const cl_udp *udp, int k) {
    const struct mmsghdr *m = &udp->rx[k];
    if ((m->msg_hdr.msg_flags & MSG_TRUNC) || m->msg_len > CL_UDP_MAX_PAYLOAD) return CL_COUNT_OVERSIZED + 1;
    if (m->msg_hdr.msg_namelen < sizeof(struct sockaddr_in) || udp->rx_peer[k].sin_family != AF_INET)
        return CL_COUNT_MALFORMED + 1;
    return 0;
}

int cl_udp_ready(const cl_udp *udp) {
    for (int k = udp->rx_next; k < udp->rx_count; k++)
        if (!unfit(udp, k)) return 1;
    return 0;
}

/* The next datagram of the batch into *out: 1, or 0 when it was dropped. */
static int deliver(cl_udp *udp, cl_packet *out) {
    int k = udp->rx_next++;
    int dropped = unfit(udp, k);
    if (dropped) {
        cl_count((cl_counter)(dropped - 1), 1);
        return 0;
    }
    out->payload = udp->rx_iov[k].iov_base;
    out->length = udp->rx[k].msg_len;
    out->port = udp->ports[udp->rx_socket];
    out->peer_address = ntohl(udp->rx_peer[k].sin_addr.s_addr);
    out->peer_port = ntohs(udp->rx_peer[k].sin_port);
    cl_count(CL_COUNT_RECEIVED, 1);
    return 1;
}

int cl_udp_receive(cl_udp *udp, cl_packet *out) {
    for (;;) {
        while (udp->rx_next < udp->rx_count)
            if (deliver(udp, out)) return 1;
        /* The batch is answered: its replies leave before the next batch is read. */
        flush(udp);
        /* Serve the sockets poll found readable, round robin, until drained. */
        bool got = false;
        for (size_t k = 0; k < udp->count && !got; k++) {
            size_t i = (udp->next + k) % udp->count;
            if (udp->ready[i] && read_batch(udp, i) > 0) {
                udp->next = (i + 1) % udp->count;
                got = true;
            }
        }
        if (got) continue;
        cl_netif_waiting_for_input(1);
        int n = poll(udp->polls, udp->count + 1, -1);
        cl_netif_waiting_for_input(0);
        if (n < 0) {
            if (errno == EINTR) return -1;
            fprintf(stderr, "%s: udp: poll: %s\n", cl_program_name, strerror(errno));
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
    if (packet->length <= SMALL) {
        if (udp->tx_count == BATCH) flush(udp);
        int k = udp->tx_count++;
        uint8_t *copy = udp->tx_buffer + (size_t)k * SMALL;
        if (packet->length) memcpy(copy, packet->payload, packet->length);
        udp->tx_peer[k] = peer;
        udp->tx_iov[k].iov_base = copy;
        udp->tx_iov[k].iov_len = packet->length;
        memset(&udp->tx[k], 0, sizeof udp->tx[k]);
        udp->tx[k].msg_hdr.msg_iov = &udp->tx_iov[k];
        udp->tx[k].msg_hdr.msg_iovlen = 1;
        udp->tx[k].msg_hdr.msg_name = &udp->tx_peer[k];
        udp->tx[k].msg_hdr.msg_namelen = sizeof udp->tx_peer[k];
        udp->tx_socket[k] = i;
        return;
    }
    flush(udp);
    const void *payload = packet->payload;
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
    if (udp->polls) flush(udp);
    if (udp->polls)
        for (size_t i = 0; i < udp->count; i++)
            if (udp->polls[i].fd >= 0) close(udp->polls[i].fd);
    free(udp->ports);
    free(udp->polls);
    free(udp->ready);
    free(udp->buffer);
    free(udp->tx_buffer);
    free(udp);
}

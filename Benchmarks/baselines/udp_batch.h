/* udp_batch.h: the UDP loop shared by the hand-written baseline servers.
 *
 * One socket on 0.0.0.0:PORT, one thread: receive up to BATCH datagrams with one
 * recvmmsg, turn each request into its reply in place (same buffer, same peer
 * address), send the batch back with sendmmsg. This is how a careful C
 * programmer writes a single-threaded UDP service, and it is the bar the
 * Cleave-built services are measured against.
 *
 * Options: --port N, or --netif udp:N as a Cleave-built service takes it, so a
 * baseline can stand in for one (the harness's noise floor). Port 0 binds any
 * free port. Once bound, prints "NAME: udp: listening on PORT" on stderr.
 */
#ifndef UDP_BATCH_H
#define UDP_BATCH_H

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH 64
#define BUFFER_SIZE 65536 /* above the largest UDP payload over IPv4, 65507 */

/* Turns the request in buf[0..len) into the reply, in place; returns its length. */
typedef size_t (*udp_handler)(uint8_t *buf, size_t len);

static int udp_parse_port(int argc, char **argv, int port) {
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (v && strcmp(argv[i], "--port") == 0) port = atoi(v), i++;
        else if (v && strcmp(argv[i], "--netif") == 0 && strncmp(v, "udp:", 4) == 0) port = atoi(v + 4), i++;
        else {
            fprintf(stderr, "usage: %s [--port N | --netif udp:N]\n", argv[0]);
            exit(2);
        }
    }
    if (port < 0 || port > 65535) {
        fprintf(stderr, "%s: bad port %d\n", argv[0], port);
        exit(2);
    }
    return port;
}

static int udp_serve(const char *name, int port, udp_handler handle) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                               .sin_addr.s_addr = htonl(INADDR_ANY)};
    socklen_t addr_len = sizeof addr;
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 ||
        getsockname(fd, (struct sockaddr *)&addr, &addr_len) < 0) {
        fprintf(stderr, "%s: udp port %d: %s\n", name, port, strerror(errno));
        return 2;
    }
    fprintf(stderr, "%s: udp: listening on %d\n", name, ntohs(addr.sin_port));

    static uint8_t bufs[BATCH][BUFFER_SIZE];
    static struct mmsghdr msgs[BATCH];
    static struct iovec iovs[BATCH];
    static struct sockaddr_in peers[BATCH];
    for (;;) {
        for (int i = 0; i < BATCH; i++) {
            iovs[i] = (struct iovec){bufs[i], BUFFER_SIZE};
            msgs[i].msg_hdr = (struct msghdr){.msg_name = &peers[i], .msg_namelen = sizeof peers[i],
                                              .msg_iov = &iovs[i], .msg_iovlen = 1};
        }
        int n = recvmmsg(fd, msgs, BATCH, MSG_WAITFORONE, NULL);
        if (n < 0) {
            if (errno == EINTR) continue;
            fprintf(stderr, "%s: recvmmsg: %s\n", name, strerror(errno));
            return 1;
        }
        for (int i = 0; i < n; i++) iovs[i].iov_len = handle(bufs[i], msgs[i].msg_len);
        for (int sent = 0; sent < n;) {
            int r = sendmmsg(fd, msgs + sent, (unsigned)(n - sent), 0);
            if (r < 0 && errno != EINTR) r = 1; /* the kernel refused this one datagram: skip it */
            if (r > 0) sent += r;
        }
    }
}

#endif

/* <sys/socket.h>: sockets, probed on the loopback interface: a pair of UDP
 * sockets connected to each other, and a TCP listener with a connection
 * waiting to be accepted. */
#define GROUP "<sys/socket.h>"
#include "../probe.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static struct sockaddr_in loopback(void) {
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

/* Two UDP sockets bound to the loopback and connected to each other. */
static void udp_pair(int *s, int *t) {
    struct sockaddr_in a = loopback(), b = loopback();
    socklen_t n = sizeof a;
    *s = socket(AF_INET, SOCK_DGRAM, 0);
    *t = socket(AF_INET, SOCK_DGRAM, 0);
    bind(*s, (struct sockaddr *)&a, sizeof a);
    bind(*t, (struct sockaddr *)&b, sizeof b);
    getsockname(*s, (struct sockaddr *)&a, &n);
    n = sizeof b;
    getsockname(*t, (struct sockaddr *)&b, &n);
    connect(*s, (struct sockaddr *)&b, sizeof b);
    connect(*t, (struct sockaddr *)&a, sizeof a);
}

/* A TCP listener with one connection waiting; *client is its other end. */
static int tcp_listener(int *client) {
    struct sockaddr_in a = loopback();
    socklen_t n = sizeof a;
    int l = socket(AF_INET, SOCK_STREAM, 0);
    bind(l, (struct sockaddr *)&a, sizeof a);
    listen(l, 4);
    getsockname(l, (struct sockaddr *)&a, &n);
    *client = socket(AF_INET, SOCK_STREAM, 0);
    connect(*client, (struct sockaddr *)&a, sizeof a);
    return l;
}

PROBE(socket, udp) {
    begin();
    sink_l = socket(AF_INET, SOCK_DGRAM, 0);
    end();
}
PROBE(socket, tcp6) {
    begin();
    sink_l = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    end();
}
PROBE(socketpair, basic) {
    int p[2];
    begin();
    sink_l = socketpair(AF_UNIX, SOCK_STREAM, 0, p);
    end();
}
PROBE(bind, basic) {
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = loopback();
    begin();
    sink_l = bind(s, (struct sockaddr *)&a, sizeof a);
    end();
}
PROBE(listen, basic) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = loopback();
    bind(s, (struct sockaddr *)&a, sizeof a);
    begin();
    sink_l = listen(s, 16);
    end();
}
PROBE(connect, udp) {
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = loopback();
    a.sin_port = htons(9);
    begin();
    sink_l = connect(s, (struct sockaddr *)&a, sizeof a);
    end();
}
PROBE(connect, tcp) {
    int client;
    int l = tcp_listener(&client);
    struct sockaddr_in a = loopback();
    socklen_t n = sizeof a;
    getsockname(l, (struct sockaddr *)&a, &n);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    begin();
    sink_l = connect(s, (struct sockaddr *)&a, sizeof a);
    end();
}
PROBE(accept, basic) {
    int client;
    int l = tcp_listener(&client);
    begin();
    sink_l = accept(l, NULL, NULL);
    end();
}
PROBE(accept4, basic) {
    int client;
    int l = tcp_listener(&client);
    struct sockaddr_in a;
    socklen_t n = sizeof a;
    begin();
    sink_l = accept4(l, (struct sockaddr *)&a, &n, SOCK_NONBLOCK | SOCK_CLOEXEC);
    end();
}
PROBE(send, basic) {
    int s, t;
    udp_pair(&s, &t);
    begin();
    sink_l = send(s, "ping", 4, 0);
    end();
}
PROBE(sendto, basic) {
    int s, t;
    udp_pair(&s, &t);
    begin();
    sink_l = sendto(s, "ping", 4, 0, NULL, 0);
    end();
}
PROBE(sendto, unconnected) {
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = loopback();
    a.sin_port = htons(9);
    begin();
    sink_l = sendto(s, "ping", 4, 0, (struct sockaddr *)&a, sizeof a);
    end();
}
PROBE(sendmsg, basic) {
    int s, t;
    udp_pair(&s, &t);
    struct iovec v = {"ping", 4};
    struct msghdr m = {.msg_iov = &v, .msg_iovlen = 1};
    begin();
    sink_l = sendmsg(s, &m, 0);
    end();
}
PROBE(sendmmsg, basic) {
    int s, t;
    udp_pair(&s, &t);
    struct iovec v = {"ping", 4};
    struct mmsghdr m[2] = {{.msg_hdr = {.msg_iov = &v, .msg_iovlen = 1}}, {.msg_hdr = {.msg_iov = &v, .msg_iovlen = 1}}};
    begin();
    sink_l = sendmmsg(s, m, 2, 0);
    end();
}
PROBE(recv, basic) {
    int s, t;
    char b[16];
    udp_pair(&s, &t);
    send(s, "ping", 4, 0);
    begin();
    sink_l = recv(t, b, sizeof b, 0);
    end();
}
PROBE(recvfrom, basic) {
    int s, t;
    char b[16];
    struct sockaddr_in a;
    socklen_t n = sizeof a;
    udp_pair(&s, &t);
    send(s, "ping", 4, 0);
    begin();
    sink_l = recvfrom(t, b, sizeof b, 0, (struct sockaddr *)&a, &n);
    end();
}
PROBE(recvfrom, would_block) {
    int s, t;
    char b[16];
    udp_pair(&s, &t);
    begin();
    sink_l = recvfrom(t, b, sizeof b, MSG_DONTWAIT, NULL, NULL);
    end();
}
PROBE(recvmsg, basic) {
    int s, t;
    char b[16];
    udp_pair(&s, &t);
    send(s, "ping", 4, 0);
    struct iovec v = {b, sizeof b};
    struct msghdr m = {.msg_iov = &v, .msg_iovlen = 1};
    begin();
    sink_l = recvmsg(t, &m, 0);
    end();
}
PROBE(recvmmsg, basic) {
    int s, t;
    char b[16];
    udp_pair(&s, &t);
    send(s, "ping", 4, 0);
    struct iovec v = {b, sizeof b};
    struct mmsghdr m[1] = {{.msg_hdr = {.msg_iov = &v, .msg_iovlen = 1}}};
    begin();
    sink_l = recvmmsg(t, m, 1, MSG_DONTWAIT, NULL);
    end();
}
PROBE(setsockopt, basic) {
    int s = socket(AF_INET, SOCK_DGRAM, 0), one = 1;
    begin();
    sink_l = setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    end();
}
PROBE(getsockopt, basic) {
    int s = socket(AF_INET, SOCK_DGRAM, 0), v;
    socklen_t n = sizeof v;
    begin();
    sink_l = getsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, &n);
    end();
}
PROBE(getsockname, basic) {
    int s, t;
    udp_pair(&s, &t);
    struct sockaddr_in a;
    socklen_t n = sizeof a;
    begin();
    sink_l = getsockname(s, (struct sockaddr *)&a, &n);
    end();
}
PROBE(getpeername, basic) {
    int s, t;
    udp_pair(&s, &t);
    struct sockaddr_in a;
    socklen_t n = sizeof a;
    begin();
    sink_l = getpeername(s, (struct sockaddr *)&a, &n);
    end();
}
PROBE(shutdown, basic) {
    int client;
    tcp_listener(&client);
    begin();
    sink_l = shutdown(client, SHUT_RDWR);
    end();
}

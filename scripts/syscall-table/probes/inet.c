/* <arpa/inet.h>: byte orders and address text, pure computation. */
#define GROUP "<arpa/inet.h>"
#include "../probe.h"

#include <arpa/inet.h>

static volatile unsigned short port = 9000;
static volatile unsigned address = 0x7f000001;

PROBE(htons, basic) {
    begin();
    sink_l = (htons)(port);
    end();
}
PROBE(ntohs, basic) {
    begin();
    sink_l = (ntohs)(port);
    end();
}
PROBE(htonl, basic) {
    begin();
    sink_l = (htonl)(address);
    end();
}
PROBE(ntohl, basic) {
    begin();
    sink_l = (ntohl)(address);
    end();
}
PROBE(inet_pton, v4) {
    struct in_addr a;
    begin();
    sink_l = inet_pton(AF_INET, "192.0.2.1", &a);
    end();
}
PROBE(inet_pton, v6) {
    struct in6_addr a;
    begin();
    sink_l = inet_pton(AF_INET6, "2001:db8::1", &a);
    end();
}
PROBE(inet_ntop, v4) {
    struct in_addr a = {(htonl)(address)};
    char b[INET_ADDRSTRLEN];
    begin();
    sink_p = (void *)inet_ntop(AF_INET, &a, b, sizeof b);
    end();
}
PROBE(inet_ntop, v6) {
    struct in6_addr a;
    inet_pton(AF_INET6, "2001:db8::1", &a);
    char b[INET6_ADDRSTRLEN];
    begin();
    sink_p = (void *)inet_ntop(AF_INET6, &a, b, sizeof b);
    end();
}
PROBE(inet_addr, basic) {
    begin();
    sink_l = inet_addr("192.0.2.1");
    end();
}
PROBE(inet_aton, basic) {
    struct in_addr a;
    begin();
    sink_l = inet_aton("192.0.2.1", &a);
    end();
}
PROBE(inet_ntoa, basic) {
    struct in_addr a = {(htonl)(address)};
    begin();
    sink_p = inet_ntoa(a);
    end();
}

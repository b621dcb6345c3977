/* udp_device.c: the net module's UdpDevice, over a netif.
 *
 * The thin layer the generated code calls: a UdpDevice is a netif (netif.c)
 * bound to the ports the source names; each payload received is copied into
 * the iteration's region, so the program owns what it reads. The end of the
 * input (a capture replayed to its end) is the clean end of the service.
 */
#include "netif.h"

cl_udp_device *cl_udp_device_open(const int64_t *ports, size_t count) {
    cl_udp_device *d = cl_state_alloc(sizeof *d);
    d->netif = cl_netif_open(ports, count);
    return d;
}

void cl_udp_device_receive(cl_udp_device *d, cl_bytes *payload, int64_t *port, uint32_t *peer_address, uint16_t *peer_port) {
    cl_packet p;
    int got = cl_netif_receive(d->netif, &p);
    if (got == 0) cl_exit_clean();
    if (got < 0) { /* the iteration is abandoned: no datagram */
        *payload = cl_bytes_empty();
        *port = 0;
        *peer_address = 0;
        *peer_port = 0;
        return;
    }
    *payload = cl_bytes_from(p.payload, p.length);
    *port = p.port;
    *peer_address = p.peer_address;
    *peer_port = p.peer_port;
}

void cl_udp_device_send(cl_udp_device *d, cl_bytes payload, int64_t port, uint32_t peer_address, uint16_t peer_port) {
    cl_packet p = {.payload = payload->data, .length = (size_t)payload->count, .port = port,
        .peer_address = peer_address, .peer_port = peer_port};
    cl_netif_send(d->netif, &p);
}

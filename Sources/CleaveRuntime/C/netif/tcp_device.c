/* tcp_device.c: the net module's TcpDevice, over a TCP netif (tcp.c).
 *
 * The thin layer the generated code calls, as udp_device.c is for a UdpDevice:
 * the bytes of a `received` event are copied into the iteration's region, so
 * the program owns what it reads; a connection is named by its id.
 */
#include "netif.h"

cl_tcp_device *cl_tcp_device_open(const int64_t *ports, size_t count) {
    cl_tcp_device *d = cl_state_alloc(sizeof *d);
    d->tcp = cl_netif_open_tcp(ports, count);
    return d;
}

void cl_tcp_device_receive(cl_tcp_device *d, cl_tcp_device_event *out) {
    cl_tcp_event e;
    int got = cl_netif_tcp_receive(d->tcp, &e);
    if (got == 0) cl_exit_clean();
    if (got < 0) { /* the iteration is abandoned: an event about no connection */
        *out = (cl_tcp_device_event){.kind = CL_TCP_CLOSED, .bytes = cl_bytes_empty()};
        return;
    }
    out->kind = e.kind;
    out->id = e.id;
    out->port = e.port;
    out->peer_address = e.peer_address;
    out->peer_port = e.peer_port;
    out->bytes = e.kind == CL_TCP_RECEIVED ? cl_bytes_from(e.data, e.length) : cl_bytes_empty();
}

void cl_tcp_device_send(cl_tcp_device *d, cl_bytes bytes, int64_t connection) {
    cl_netif_tcp_send(d->tcp, connection, bytes->data, (size_t)bytes->count);
}

void cl_tcp_device_close(cl_tcp_device *d, int64_t connection) { cl_netif_tcp_close(d->tcp, connection); }

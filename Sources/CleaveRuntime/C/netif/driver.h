/* driver.h: between netif.c and the netifs themselves (udp.c, pcap.c, frame.c).
 *
 * Not for generated code. A netif's open prints the reason and returns NULL on
 * failure, having closed what it had opened; netif.c then closes every other
 * netif and exits with status 2. receive returns 1 (a datagram or a frame), 0
 * (the input has ended, or no frame is waiting) or -1 (interrupted by a signal:
 * netif.c checks for a stop and calls again). The netifs call nothing above
 * them: they count through the core (core/counters.c) and wait through wait.c.
 */
#ifndef CLEAVE_NETIF_DRIVER_H
#define CLEAVE_NETIF_DRIVER_H

#include "netif.h"

/* At most this many devices, and --netif options. */
#define CL_NETIF_MAX 64

typedef struct cl_udp cl_udp;
/* Create and bind one socket per port into fds: 0, or -1 after printing why not (closing any made). */
int cl_udp_bind(const int64_t *ports, const uint16_t *bind_ports, size_t count, int *fds);
cl_udp *cl_udp_adopt(const int64_t *ports, const int *fds, size_t count);
int cl_udp_receive(cl_udp *udp, cl_packet *out);
int cl_udp_ready(const cl_udp *udp);
size_t cl_udp_descriptors(const cl_udp *udp, int *out, size_t capacity);
void cl_udp_send(cl_udp *udp, const cl_packet *packet);
void cl_udp_close(cl_udp *udp);

/* Say on standard error the port socket `fd` of netif `netif` ("udp") is bound to ("NAME: listening on UDP port B", with
 * "(port P in the source)" when the source's port P was moved): 0, or -1 after saying why not. */
int cl_netif_announce(int fd, const char *netif, const char *protocol, int64_t source_port);

/* Create, bind and listen on one TCP socket per port into fds: 0, or -1 after printing why not. */
int cl_tcp_bind(const int64_t *ports, const uint16_t *bind_ports, size_t count, int *fds);
cl_tcp *cl_tcp_adopt(const int64_t *ports, const int *fds, size_t count);
/* 1 and an event, 0 when the device failed, -1 when interrupted (a signal, or the wake pipe). */
int cl_tcp_receive(cl_tcp *tcp, cl_tcp_event *out);
void cl_tcp_send(cl_tcp *tcp, int64_t id, const uint8_t *data, size_t length);
void cl_tcp_close_connection(cl_tcp *tcp, int64_t id);
size_t cl_tcp_descriptors(const cl_tcp *tcp, int *out, size_t capacity);
void cl_tcp_close(cl_tcp *tcp);

typedef struct cl_pcap cl_pcap;
/* Replay the capture open on in_fd, replies to out_fd (-1: none); the paths are for messages. */
cl_pcap *cl_pcap_open(const int64_t *ports, size_t count, int in_fd, int out_fd, const char *in_path, const char *out_path);
int cl_pcap_receive(cl_pcap *pcap, cl_packet *out);
/* A datagram of the burst being served is waiting (records captured at the same instant). */
int cl_pcap_ready(cl_pcap *pcap);
size_t cl_pcap_descriptors(const cl_pcap *pcap, int *out);
void cl_pcap_send(cl_pcap *pcap, const cl_packet *packet);
void cl_pcap_close(cl_pcap *pcap);

/* Open /dev/net/tun attached to the TAP interface `name`: the descriptor, or -1 after printing why not. */
int cl_tap_bind(const char *name);
cl_frames *cl_frames_open_tap(int fd, const char *name);
cl_frames *cl_frames_open_pcap(int in_fd, int out_fd, const char *in_path, const char *out_path);
int cl_frames_receive(cl_frames *frames, const uint8_t **frame, size_t *length);
void cl_frames_close(cl_frames *frames);
/* The addresses the frames' spec gave, for the program's stack. */
void cl_frames_set_link(cl_frames *frames, const cl_link_config *link);
size_t cl_frames_descriptors(const cl_frames *frames, int *out);

/* Said by a netif around each wait for input (wait.c; see cl_netif_attach_waiting). */
void cl_netif_waiting_for_input(int waiting);

#endif

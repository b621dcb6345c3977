/* netif.h: the device boundary of a hosted Cleave service.
 *
 * A netif is where datagrams enter and leave the program. The generated code
 * sees one kind of device, a UDP endpoint bound to the ports written in the
 * source (`UdpDevice(port: 7000)`); which netif stands behind it is chosen when
 * the service starts, with `--netif SPEC` (once per device, in the order the
 * devices are created):
 *
 *   udp:PORT[,PORT...]   a kernel UDP socket per port (0.0.0.0). The ports
 *                        replace the source's ports, in order (0 = any free
 *                        port; there must be one for each); the program still
 *                        sees its own ports, so a service that dispatches on
 *                        `datagram.port` keeps working when it is moved.
 *                        `udp` or `udp:` alone keeps the source's ports.
 *   pcap:IN[:OUT]        read the UDP datagrams of capture IN (libpcap;
 *                        Ethernet, raw IPv4, Linux cooked or loopback
 *                        captures; fragments are reassembled) that are
 *                        addressed to one of the device's ports, and write each
 *                        reply to capture OUT as an Ethernet/IPv4/UDP packet,
 *                        addressed back to the most recent request. IN runs to
 *                        the first ':'. The service ends cleanly (exit 0) at
 *                        the end of IN. Replaying a capture twice writes
 *                        byte-identical OUT files.
 *
 * Without `--netif` a device is `udp:` on its source ports. Bound ports are
 * announced on standard error ("kv: listening on UDP port 7000", and "kv:
 * listening on UDP port 41450 (port 7000 in the source)" when --netif moved it),
 * which is how tests find a port chosen with 0.
 *
 * What a netif cannot deliver is dropped and counted, never passed on: see the
 * counters below. They are printed to standard error when the service ends
 * and whenever it receives SIGUSR1.
 */
#ifndef CLEAVE_NETIF_H
#define CLEAVE_NETIF_H

#include <stddef.h>
#include <stdint.h>

/* The largest payload of one UDP datagram over IPv4: 65535 - 20 - 8. */
#define CL_UDP_MAX_PAYLOAD 65507

/* One datagram, as the netif hands it to the program or takes it back. */
typedef struct cl_packet {
    const uint8_t *payload; /* valid until the next cl_netif_receive on the same netif */
    size_t length;
    int64_t port;          /* the local port, as the source names it */
    uint32_t peer_address; /* IPv4, host byte order */
    uint16_t peer_port;
} cl_packet;

typedef struct cl_netif cl_netif;

/* The command line of a process with devices: when argv[*i] is a `--netif SPEC` (or
 * `--netif=SPEC`) option, configure it and step past it: 1; 0 when it is another
 * argument; -1 after printing what is wrong with the spec. */
int cl_netif_option(int argc, char **argv, int *i);
/* The lines of a usage message that describe --netif. */
extern const char cl_netif_usage[];

/* Remember the value of one `--netif` option (device number = order given).
 * Returns 0, or -1 after printing what is wrong with SPEC to standard error. */
int cl_netif_configure(const char *spec);

/* Open the next device, bound to `count` source ports. On failure (a port in
 * use, a capture that cannot be read) prints the reason and exits with status 2. */
cl_netif *cl_netif_open(const int64_t *ports, size_t count);

/* Block until a datagram arrives for one of the device's ports and fill *out.
 * Returns 1, 0 when the input has ended (end of a capture), or -2 when the wait was
 * given up (cl_netif_interrupted). */
int cl_netif_receive(cl_netif *netif, cl_packet *out);

/* 1 when a datagram for the program is already in what the netif has read from the
 * kernel, so that cl_netif_receive returns it without a system call or a wait; 0 otherwise
 * (always 0 for a capture, whose end must not be met early). */
int cl_netif_ready(const cl_netif *netif);

/* Send a datagram from local port `port` to its peer. A payload larger than
 * CL_UDP_MAX_PAYLOAD, or a port the device is not bound to, is dropped and counted. */
void cl_netif_send(cl_netif *netif, const cl_packet *packet);

/* Flush and close every netif (captures being written are completed). Safe to
 * call more than once; called on every way out of the program. */
void cl_netif_close_all(void);

/* ---- Opening a device: the request and what answers it ----------------------
 * Opening a device has two halves. Binding (cl_netif_bind) does what needs
 * privileges: it creates and binds the sockets, opens /dev/net/tun or the
 * capture files, according to the device's --netif spec, and hands back the
 * descriptors (a grant). Adopting (inside cl_netif_open and cl_frames_open)
 * builds the netif on those descriptors. A unikernel does both itself; in the
 * isolated target the launcher binds and passes the descriptors to the one
 * component that owns the device (cl_device_broker, set by that component's
 * process), so a component never opens a socket or a file. */

#define CL_NETIF_MAX_PORTS 64
#define CL_NETIF_PATH 512

typedef struct cl_device_request {
    int32_t number;     /* the device's place in the program's creation order, from 0 */
    int32_t frames;     /* 0: a UdpDevice on `ports`; 1: a FrameDevice (default TAP `tap`) */
    int32_t port_count;
    int64_t ports[CL_NETIF_MAX_PORTS];
    char tap[64];
} cl_device_request;

typedef enum { CL_GRANT_UDP = 1, CL_GRANT_PCAP, CL_GRANT_TAP, CL_GRANT_FRAMES_PCAP } cl_grant_kind;

typedef struct cl_device_grant {
    int32_t kind;     /* cl_grant_kind */
    int32_t fd_count; /* udp: one socket per port; pcap: input, then output (-1: none); tap: one */
    int fds[CL_NETIF_MAX_PORTS];
    char in_path[CL_NETIF_PATH], out_path[CL_NETIF_PATH]; /* captures and TAP name, for messages */
} cl_device_grant;

/* Bind the device of `request` by its --netif spec: 0, or -1 after printing why not. */
int cl_netif_bind(const cl_device_request *request, cl_device_grant *grant);
/* When set, devices are bound by someone else (the isolated target's launcher). */
extern int (*cl_device_broker)(const cl_device_request *request, cl_device_grant *grant);
/* The numbers of the devices this process creates, in its creation order (isolated
 * target; by default the n-th device created is number n). */
void cl_netif_number_devices(const int32_t *numbers, size_t count);
/* Every descriptor of the open devices (what a sandbox lets through); NULL until a
 * device is opened, so that a process without devices carries no netif code. */
extern size_t (*cl_device_descriptors)(int *out, size_t capacity);
/* The stop pipe's read (0) or write (1) end; -1 before cl_netif_install_signals. */
int cl_netif_stop_pipe(int end);

/* Run `hook` on every way out of the process (trap.c: traps, the end of the input,
 * a stop); hooks run once each, the last registered first. */
void cl_at_shutdown(void (*hook)(void));
void cl_shutdown(void);
/* Asked when a wait for input is interrupted: nonzero makes cl_netif_receive give up (-2). */
extern int (*cl_netif_interrupted)(void);
/* Wake a wait for input from a signal handler (async-signal-safe); drain that wake-up. */
void cl_netif_wake(void);
void cl_netif_drain_wake(void);
/* SIGINT or SIGTERM came (see cl_netif_install_signals). */
int cl_stop_requested(void);
/* Stop now as a stop signal asks: shut down, print the counters, exit 0. */
_Noreturn void cl_stop_now(void);

/* Counters of what crossed the device boundary, over all devices. */
typedef enum cl_counter {
    CL_COUNT_RECEIVED,      /* datagrams handed to the program */
    CL_COUNT_SENT,          /* datagrams sent (or written to the output capture) */
    CL_COUNT_MALFORMED,     /* input that is not a well-formed IPv4/UDP datagram */
    CL_COUNT_OVERSIZED,     /* input or replies larger than CL_UDP_MAX_PAYLOAD, or truncated */
    CL_COUNT_NOT_FOR_US,    /* captured datagrams to a port the device does not have */
    CL_COUNT_SEND_FAILED,   /* the kernel refused to send */
    CL_COUNT_READ_AHEAD,    /* datagrams an isolated build's device read ahead (not in the line) */
    CL_COUNT_LIMIT
} cl_counter;

/* The service's name on standard error (its source file's, generated into every program). */
extern const char cl_program_name[];

void cl_count(cl_counter which, uint64_t n);
/* Take back n counted before (what turned out never to be handed to the program). */
void cl_uncount(cl_counter which, uint64_t n);
uint64_t cl_counter_value(cl_counter which);

/* Keep the counters in `shared` (CL_COUNT_LIMIT values) from now on: the isolated
 * target's launcher reads each component's there. */
void cl_counters_attach(uint64_t *shared);
/* Keep `*shared` at 1 while a device waits for its input (a UDP netif blocked in poll, a
 * capture being read, which may be a pipe) and at 0 otherwise: the isolated target's launcher
 * reads each component's there, and does not take one waiting for input for one that has
 * stopped answering. */
void cl_netif_attach_waiting(uint32_t *shared);
/* The counters' line for these values, written to standard error (async-signal-safe). */
void cl_print_counter_values(const uint64_t values[CL_COUNT_LIMIT]);

/* Print the counters to standard error as one line:
 * "kv: received R, sent S, dropped D (malformed M, oversized O, not for this service N, send failed F)".
 * Async-signal-safe (used by the SIGUSR1 handler). */
void cl_print_counters(void);

/* Install the service's signal handling; call once, first thing in main.
 * SIGUSR1 prints the counters and the service goes on. SIGINT and SIGTERM stop
 * it cleanly: the next (or current, blocked) cl_netif_receive closes every
 * netif, prints the counters and exits with status 0. A second SIGINT or
 * SIGTERM before that happens ends the process at once, as without handlers. */
void cl_netif_install_signals(void);

/* ---- Between netif.c and its backends (netif_udp.c, netif_pcap.c) ----------
 * Not for generated code. A backend's open prints the reason and exits with
 * status 2 on failure; receive returns 1 (a datagram), 0 (the input has ended)
 * or -1 (interrupted by a signal: netif.c checks for a stop and calls again). */

typedef struct cl_udp cl_udp;
/* Create and bind one socket per port into fds: 0, or -1 after printing why not (closing any made). */
int cl_udp_bind(const int64_t *ports, const uint16_t *bind_ports, size_t count, int *fds);
cl_udp *cl_udp_adopt(const int64_t *ports, const int *fds, size_t count);
int cl_udp_receive(cl_udp *udp, cl_packet *out);
int cl_udp_ready(const cl_udp *udp);
size_t cl_udp_descriptors(const cl_udp *udp, int *out, size_t capacity);
void cl_udp_send(cl_udp *udp, const cl_packet *packet);
void cl_udp_close(cl_udp *udp);

typedef struct cl_pcap cl_pcap;
/* Replay the capture open on in_fd, replies to out_fd (-1: none); the paths are for messages. */
cl_pcap *cl_pcap_open(const int64_t *ports, size_t count, int in_fd, int out_fd, const char *in_path, const char *out_path);
int cl_pcap_receive(cl_pcap *pcap, cl_packet *out);
/* A datagram of the burst being served is waiting (records captured at the same instant). */
int cl_pcap_ready(cl_pcap *pcap);
size_t cl_pcap_descriptors(const cl_pcap *pcap, int *out);
void cl_pcap_send(cl_pcap *pcap, const cl_packet *packet);
void cl_pcap_close(cl_pcap *pcap);

/* The read end of a pipe that becomes readable when a stop is requested, for
 * a backend that blocks in poll (-1 before cl_netif_install_signals). */
int cl_netif_stop_fd(void);
/* Said by a backend around each wait for input (see cl_netif_attach_waiting). */
void cl_netif_waiting_for_input(int waiting);

/* ---- Raw Ethernet frames (netif_frame.c), behind the net module's FrameDevice.
 * `--netif tap:NAME` or `--netif pcap:IN[:OUT]` for the device; without one, the
 * TAP interface named in the source. receive never blocks: 1 and the frame
 * (valid until the next call), 0 when none is waiting (see netif_frame.c for
 * the end of a capture), -1 when interrupted. */

/* The largest Ethernet frame accepted or sent: a 1500-byte payload, the header
 * and a VLAN tag, rounded up. Jumbo frames are not supported. */
#define CL_FRAME_MAX 1536

typedef struct cl_frames cl_frames;
cl_frames *cl_frames_open(const char *default_tap);
int cl_frames_next(cl_frames *frames, const uint8_t **frame, size_t *length);
void cl_frames_write(cl_frames *frames, const uint8_t *frame, size_t length);
int cl_frames_fd(const cl_frames *frames);

/* Open /dev/net/tun attached to the TAP interface `name`: the descriptor, or -1 after printing why not. */
int cl_tap_bind(const char *name);
cl_frames *cl_frames_open_tap(int fd, const char *name);
cl_frames *cl_frames_open_pcap(int in_fd, int out_fd, const char *in_path, const char *out_path);
int cl_frames_receive(cl_frames *frames, const uint8_t **frame, size_t *length);
void cl_frames_send(cl_frames *frames, const uint8_t *frame, size_t length);
void cl_frames_close(cl_frames *frames);
size_t cl_frames_descriptors(const cl_frames *frames, int *out);

#endif

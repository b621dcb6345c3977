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
 * core's counters (core/counters.c). They are said on standard error when the
 * service ends and whenever it is asked (hosted: SIGUSR1).
 *
 * The files: netif.c keeps the table of open devices and is what the rest of
 * the runtime calls; spec.c reads the --netif options and binds a device by
 * its spec; udp.c, pcap.c and frame.c are the netifs themselves, below
 * netif.c (driver.h is what they share with it); wait.c is what a wait for
 * input watches; udp_device.c is the net module's UdpDevice, as the generated
 * code calls it. The netifs call nothing above them: they count and shut down
 * through the core, and a failure to open is returned to netif.c.
 */
#ifndef CLEAVE_NETIF_H
#define CLEAVE_NETIF_H

#include "core/cleave.h"

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
 * use, a capture that cannot be read) prints the reason, closes every netif and
 * exits with status 2. */
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
 * call more than once; a shutdown hook (core/service.c) from the first device on,
 * so it runs on every way out of the program. */
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
    int32_t frames;     /* 0: a UdpDevice on `ports`; 1: a FrameDevice (default TAP `tap`);
                           2: the link of Cleave's own stack (default tap:cleave0,ip=10.0.2.15/24,gw=10.0.2.2);
                           3: a TcpDevice listening on `ports` */
    int32_t port_count;
    int64_t ports[CL_NETIF_MAX_PORTS];
    char tap[64];
} cl_device_request;

typedef enum { CL_GRANT_UDP = 1, CL_GRANT_PCAP, CL_GRANT_TAP, CL_GRANT_FRAMES_PCAP, CL_GRANT_TCP } cl_grant_kind;

typedef struct cl_device_grant {
    int32_t kind;     /* cl_grant_kind */
    int32_t fd_count; /* udp, tcp: one socket per port; pcap: input, then output (-1: none); tap: one */
    int fds[CL_NETIF_MAX_PORTS];
    char in_path[CL_NETIF_PATH], out_path[CL_NETIF_PATH]; /* captures and TAP name, for messages */
    cl_link_config link; /* frames: the addresses the spec gives (ip=, gw=, mac=) */
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
/* Asked when a wait for input is interrupted: nonzero makes cl_netif_receive give up (-2). */
extern int (*cl_netif_interrupted)(void);
/* Called as a wait for input begins (an isolated component settles its rings: component.c). */
extern void (*cl_netif_before_wait)(void);
/* Drain the wake-ups written to the wake pipe (cl_netif_wake) while no device waited. */
void cl_netif_drain_wake(void);

/* ---- Waiting for input (wait.c) ------------------------------------------- */

/* Make the wake pipe (once, at the start of the process: hosted/signals.c). */
void cl_netif_wake_open(void);
/* The wake pipe's read (0) or write (1) end; -1 before cl_netif_wake_open. */
int cl_netif_stop_pipe(int end);
/* Wake a wait for input (safe in a signal handler): a stop, or a change the wait
 * must look at (cl_netif_interrupted). */
void cl_netif_wake(void);
/* Keep `*shared` at 1 while a device waits for its input (a UDP netif blocked in poll, a
 * capture being read, which may be a pipe) and at 0 otherwise: the isolated target's launcher
 * reads each component's there, and does not take one waiting for input for one that has
 * stopped answering. */
void cl_netif_attach_waiting(uint32_t *shared);

/* ---- Frames, for the hosted platform's frame I/O (platform.h) -------------
 * `--netif tap:NAME` or `--netif pcap:IN[:OUT]` for the device; without one, the
 * TAP interface named in the source (frame.c). */

/* The largest Ethernet frame accepted or sent: a 1500-byte payload, the header
 * and a VLAN tag, rounded up. Jumbo frames are not supported. */
#define CL_FRAME_MAX 1536

cl_frames *cl_frames_open(const char *default_tap);
/* The link of Cleave's own stack (request kind 2): a TAP or a capture, with addresses. */
cl_frames *cl_frames_open_link(void);
const cl_link_config *cl_frames_link(const cl_frames *frames);
/* Until the TAP may have a frame, `milliseconds` pass, or a stop is asked for (a capture: at once). */
void cl_frames_wait(cl_frames *frames, int32_t milliseconds);
/* Never blocks: 1 and the frame (valid until the next call), 0 when none is waiting
 * (see frame.c for the end of a capture). A stop asked for is acted on here. */
int cl_frames_next(cl_frames *frames, const uint8_t **frame, size_t *length);
void cl_frames_send(cl_frames *frames, const uint8_t *frame, size_t length);
int cl_frames_fd(const cl_frames *frames);
/* Milliseconds on the frames' clock: monotonic for a TAP, the capture's own time for a capture. */
int64_t cl_frames_clock(const cl_frames *frames);

/* ---- the net module's UdpDevice (udp_device.c) ---------------------------- */

typedef struct cl_udp_device {
    cl_netif *netif;
} cl_udp_device;
cl_udp_device *cl_udp_device_open(const int64_t *ports, size_t count);
/* receive(): fills the parts of a Datagram; the payload is a region copy. */
void cl_udp_device_receive(cl_udp_device *d, cl_bytes *payload, int64_t *port, uint32_t *peer_address, uint16_t *peer_port);
void cl_udp_device_send(cl_udp_device *d, cl_bytes payload, int64_t port, uint32_t peer_address, uint16_t peer_port);

/* ---- the net module's TcpDevice (tcp.c, tcp_device.c) ------------------------
 * `--netif tcp:PORT[,PORT...]` moves its listeners as udp: moves a UdpDevice's ports. */

typedef enum { CL_TCP_OPENED = 1, CL_TCP_RECEIVED, CL_TCP_CLOSED } cl_tcp_event_kind;

/* One event of a TCP device, as the netif hands it over. */
typedef struct cl_tcp_event {
    int kind;              /* cl_tcp_event_kind */
    int64_t id;            /* the connection's: never reused in a run */
    int64_t port;          /* the local port, as the source names it */
    uint32_t peer_address; /* IPv4, host byte order */
    uint16_t peer_port;
    const uint8_t *data;   /* received: valid until the next receive */
    size_t length;
} cl_tcp_event;

typedef struct cl_tcp cl_tcp;

/* Open the next device as a TCP listener on `count` source ports (exits with status 2 on failure). */
cl_tcp *cl_netif_open_tcp(const int64_t *ports, size_t count);
/* The next event: 1, 0 when the device has failed, or -2 when the wait was given up. */
int cl_netif_tcp_receive(cl_tcp *tcp, cl_tcp_event *out);

/* Queue bytes on connection `id` (dropped and counted when it is over); close it once they left. */
void cl_netif_tcp_send(cl_tcp *tcp, int64_t id, const uint8_t *data, size_t length);
void cl_netif_tcp_close(cl_tcp *tcp, int64_t id);

/* What the generated code calls. A program's view of the event (TcpEvent) is filled from a
 * cl_tcp_event whose received bytes are already the iteration's own (`bytes`). */
typedef struct cl_tcp_device {
    cl_tcp *tcp;
} cl_tcp_device;
typedef struct cl_tcp_device_event {
    int kind;
    int64_t id;
    int64_t port;
    uint32_t peer_address;
    uint16_t peer_port;
    cl_bytes bytes;
} cl_tcp_device_event;
cl_tcp_device *cl_tcp_device_open(const int64_t *ports, size_t count);
void cl_tcp_device_receive(cl_tcp_device *d, cl_tcp_device_event *out);
void cl_tcp_device_send(cl_tcp_device *d, cl_bytes bytes, int64_t connection);
void cl_tcp_device_close(cl_tcp_device *d, int64_t connection);

#endif

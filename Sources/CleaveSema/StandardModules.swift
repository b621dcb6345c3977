// Cleave's standard modules, written in Cleave.
//
// A standard module is Cleave source shipped inside the compiler and parsed
// with `extern` allowed: an `extern` method or initializer has no body in Cleave
// and is supplied by the runtime of each backend (for `UdpDevice`, the netif
// layer of the hosted runtime). Everything else in a module is ordinary Cleave.

enum StandardModules {
    static let names = ["net"]

    static func source(named name: String) -> String? {
        switch name {
        case "net": net + "\n\n" + netStack
        default: nil
        }
    }

    static let net = """
        // net: the device boundary of a service.

        /// One UDP datagram, as received or to be sent.
        struct Datagram {
            /// The bytes of the datagram.
            let payload: Bytes
            /// The local port it arrived on (or is sent from).
            let port: Int
            /// The IPv4 address of the peer, in host order.
            let peerAddress: UInt32
            /// The UDP port of the peer.
            let peerPort: UInt16

            /// A datagram with `payload` addressed back to this one's sender, from the same local port.
            func reply(_ payload: Bytes) -> Datagram {
                return Datagram(payload: payload, port: port, peerAddress: peerAddress, peerPort: peerPort)
            }
        }

        /// A UDP endpoint bound to one or more local ports. The hosted runtime picks the
        /// netif at run time (`--netif udp:PORT`, `pcap:IN[:OUT]`); the ports in the source
        /// are the default.
        state UdpDevice {
            extern init(port: Int)
            extern init(ports: [Int])

            /// Blocks until a datagram arrives on one of the device's ports.
            extern func receive() -> Datagram
            /// Sends a datagram to its peer.
            extern func send(_ datagram: Datagram)
        }

        /// One TCP connection a `TcpDevice` accepted.
        struct TcpConnection {
            /// Unique for the life of the service (never reused), so it keys per-connection
            /// state: `Map<Int, Bytes>` of what each connection has sent so far.
            let id: Int
            /// The local port it was accepted on, as the source names it.
            let port: Int
            /// The IPv4 address of the peer, in host order.
            let peerAddress: UInt32
            /// The TCP port of the peer.
            let peerPort: UInt16
        }

        /// What happened on a `TcpDevice`: each connection is `opened` once, then has any
        /// number of `received`, then is `closed` once, last.
        enum TcpEvent {
            /// A peer connected.
            case opened(TcpConnection)
            /// Bytes arrived on a connection: the next part of what its peer sent, in order. A
            /// request may arrive in several parts, and several requests in one.
            case received(TcpConnection, Bytes)
            /// The connection is over: the peer finished sending (what was sent on it before is
            /// still delivered), the peer reset it, or the program closed it. Nothing more
            /// comes for it, and what is sent on it from the next event on is dropped.
            case closed(TcpConnection)
        }

        /// A TCP listener on one or more local ports, with the connections it accepted. The
        /// hosted runtime picks the ports at run time (`--netif tcp:PORT`); the ports in the
        /// source are the default.
        state TcpDevice {
            extern init(port: Int)
            extern init(ports: [Int])

            /// Blocks until something happens on one of the device's connections.
            extern func receive() -> TcpEvent
            /// Sends bytes on a connection, after what was sent on it before. It never blocks: what
            /// the peer has not taken yet waits in the device, and a connection whose peer reads
            /// slowly is not read from until it catches up.
            extern func send(_ bytes: Bytes, on connection: TcpConnection)
            /// Closes a connection once what was sent on it has left; its `closed` event follows.
            extern func close(_ connection: TcpConnection)
        }

        /// A raw Ethernet device: whole frames in and out, for a service that brings its own
        /// protocol stack. The hosted runtime picks the netif at run time (`--netif tap:NAME`,
        /// a Linux TAP interface, or `pcap:IN[:OUT]`, the Ethernet frames of a capture); the
        /// TAP interface named in the source is the default.
        state FrameDevice {
            extern init(tap: Bytes)
            /// The link the service is given (`--netif tap:NAME,ip=A/LEN[,gw=G][,mac=M]` or
            /// `pcap:IN[:OUT],ip=…`; by default `tap:cleave0,ip=10.0.2.15/24,gw=10.0.2.2`), with
            /// the addresses its stack takes: what a `UdpDevice` stands on in a build on
            /// Cleave's own stack (`cleave build --net direct`).
            extern init()

            /// The next frame received, or nil when none is waiting: it never blocks.
            extern func receive() -> Bytes?
            /// Sends one frame.
            extern func send(_ frame: Bytes)
            /// The file descriptor to wait on for frames (`poll` from <poll.h>), or -1 when
            /// there is none (a replayed capture).
            extern func fd() -> Int32
            /// Milliseconds on the device's clock, which never goes back: the machine's for a
            /// TAP interface; for a replayed capture, the time the frame received last was
            /// recorded, so that timeouts replay as they happened.
            extern func now() -> Int
            /// Waits until a frame may be waiting, or `milliseconds` have passed (a capture
            /// never waits).
            extern func wait(_ milliseconds: Int32)
            /// The link's addresses (`init()`; zero for `init(tap:)` when the option gives none):
            /// the stack's Ethernet address (6 bytes), IPv4 address, prefix length and gateway.
            extern func mac() -> Bytes
            extern func address() -> UInt32
            extern func prefixLength() -> Int
            extern func gateway() -> UInt32
            /// Says on standard error that the stack on this device serves UDP on `ports`, one
            /// line each, as a `UdpDevice` on the kernel's sockets says it ("kv: listening on
            /// UDP port 7000").
            extern func listening(_ ports: [Int])
        }
        """
}

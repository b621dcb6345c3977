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

        /// A raw Ethernet device: whole frames in and out, for a service that brings its own
        /// protocol stack. The hosted runtime picks the netif at run time (`--netif tap:NAME`,
        /// a Linux TAP interface, or `pcap:IN[:OUT]`, the Ethernet frames of a capture); the
        /// TAP interface named in the source is the default.
        state FrameDevice {
            extern init(tap: Bytes)

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
        }
        """
}

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
        case "net": net
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
        """
}

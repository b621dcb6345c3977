// Examples/smoltcp-loop: seed 000's loop, with the net module's stack (Cleave's
// own, written in Cleave) over raw Ethernet frames. A capture of ARP
// questions, pings, requests whole and in fragments (and of frames the stack
// must drop) is replayed through the service built from source, from the
// projected program and for the isolated target; the answers must be right,
// correctly addressed, with valid checksums, and byte-identical between the
// builds. Where the machine allows a TAP interface, Linux itself pings the
// stack, asks it with ARP and talks UDP to it, from a network namespace the
// test makes.

import CleaveTestSupport
import Foundation
import Testing

@Suite struct SmoltcpLoopTests {
    static let source = "Examples/smoltcp-loop/smoltcp-loop.clv"
    static let stackMAC: [UInt8] = [2, 0, 0, 0, 0, 2]
    static let stackAddress = IPv4Address(10, 77, 0, 2)

    static func clientMAC(_ client: UInt8) -> [UInt8] { [2, 0, 0, 0, 1, client] }
    static func clientAddress(_ client: UInt8) -> IPv4Address { IPv4Address(10, 77, 0, 100 + client) }

    /// A client's request as a frame to the stack.
    static func frame(_ payload: String, client: UInt8, port: UInt16 = 7000, to address: IPv4Address = stackAddress) -> [UInt8] {
        let d = UDPDatagram(
            source: clientAddress(client), sourcePort: 40000 + UInt16(client), destination: address, destinationPort: port,
            payload: Array(payload.utf8))
        return Packet.ethernet(
            destination: stackMAC, source: clientMAC(client),
            payload: Packet.ipv4(source: d.source, destination: d.destination, payload: Packet.udp(d)))
    }

    /// A client's request cut into IPv4 fragments of at most `size` bytes of payload.
    static func fragmentedFrames(_ payload: String, client: UInt8, size: Int, identification: UInt16) -> [[UInt8]] {
        let d = UDPDatagram(
            source: clientAddress(client), sourcePort: 40000 + UInt16(client), destination: stackAddress, destinationPort: 7000,
            payload: Array(payload.utf8))
        let segment = Packet.udp(d)
        return stride(from: 0, to: segment.count, by: size).map { offset in
            let end = min(offset + size, segment.count)
            return Packet.ethernet(
                destination: stackMAC, source: clientMAC(client),
                payload: Packet.ipv4(
                    source: d.source, destination: stackAddress, identification: identification, fragmentOffset: offset,
                    moreFragments: end < segment.count, payload: Array(segment[offset..<end])))
        }
    }

    /// An IPv4 frame (20-byte header) cut into fragments of at most `size` bytes of payload.
    static func fragmented(_ frame: [UInt8], size: Int) -> [[UInt8]] {
        let ip = Array(frame[14...])
        let payload = Array(ip[20...])
        return stride(from: 0, to: payload.count, by: size).map { offset in
            let end = min(offset + size, payload.count)
            return Array(frame[0..<14])
                + Packet.ipv4(
                    source: IPv4Address(UInt32(ip[12]) << 24 | UInt32(ip[13]) << 16 | UInt32(ip[14]) << 8 | UInt32(ip[15])),
                    destination: stackAddress, protocol: ip[9], identification: 77, fragmentOffset: offset,
                    moreFragments: end < payload.count, payload: Array(payload[offset..<end]))
        }
    }

    /// What the stack sent, each IPv4 datagram whole again: (Ethernet header, IPv4 header of the
    /// first fragment, payload), and the ARP frames as they are.
    static func sent(_ records: [PcapRecord]) -> (arp: [[UInt8]], ip: [(ethernet: [UInt8], header: [UInt8], payload: [UInt8])]) {
        var arp: [[UInt8]] = []
        var ip: [(ethernet: [UInt8], header: [UInt8], payload: [UInt8])] = []
        var partial: [UInt8] = []
        for r in records {
            let f = r.data
            if f[12] == 8 && f[13] == 6 {
                arp.append(f)
                continue
            }
            let total = Int(f[16]) << 8 | Int(f[17])
            let flags = Int(f[20]) << 8 | Int(f[21])
            let offset = (flags & 0x1fff) * 8
            let more = flags & 0x2000 != 0
            if offset == 0 { partial = [] }
            #expect(partial.count == offset, "fragments out of order")
            partial += f[34..<(14 + total)]
            if !more { ip.append((Array(f[0..<14]), Array(f[14..<34]), partial)) }
        }
        return (arp, ip)
    }

    /// "Who has 10.77.0.2? Tell the client": an ARP request, broadcast.
    static func arpRequest(client: UInt8) -> [UInt8] {
        let body: [UInt8] =
            [0, 1, 8, 0, 6, 4, 0, 1] + clientMAC(client) + clientAddress(client).bytes + [0, 0, 0, 0, 0, 0] + stackAddress.bytes
        return Packet.ethernet(destination: [0xff, 0xff, 0xff, 0xff, 0xff, 0xff], source: clientMAC(client), type: 0x0806, payload: body)
    }

    /// An ICMP echo request (ping) with `data`.
    static func ping(client: UInt8, sequence: UInt16, data: [UInt8]) -> [UInt8] {
        var message: [UInt8] = [8, 0, 0, 0, 0x12, 0x34, UInt8(sequence >> 8), UInt8(sequence & 0xff)] + data
        let sum = internetChecksum(message)
        message[2] = UInt8(sum >> 8)
        message[3] = UInt8(sum & 0xff)
        return Packet.ethernet(
            destination: stackMAC, source: clientMAC(client),
            payload: Packet.ipv4(source: clientAddress(client), destination: stackAddress, protocol: 1, payload: message))
    }

    static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xff)] }

    static func internetChecksum(_ bytes: [UInt8]) -> UInt16 {
        var total: UInt32 = 0
        var i = 0
        while i < bytes.count {
            total += UInt32(bytes[i]) << 8 | (i + 1 < bytes.count ? UInt32(bytes[i + 1]) : 0)
            i += 2
        }
        while total > 0xffff { total = (total & 0xffff) + (total >> 16) }
        return ~UInt16(total)
    }

    struct Case {
        let frame: [UInt8]
        /// The reply expected, nil for a frame the stack drops.
        let reply: String?
        let client: UInt8
    }

    static func cases() -> [Case] {
        // Every client asks for the stack's address first, as a Linux peer would.
        var out: [Case] = (1...5).map { Case(frame: arpRequest(client: $0), reply: nil, client: $0) }
        // Pings: one small, one of 3,000 bytes (fragments both ways once the stack answers).
        out.append(Case(frame: ping(client: 1, sequence: 1, data: Array(repeating: 0x61, count: 56)), reply: nil, client: 1))
        for part in Self.fragmented(ping(client: 1, sequence: 2, data: (0..<3000).map { UInt8($0 % 251) }), size: 1480) {
            out.append(Case(frame: part, reply: nil, client: 1))
        }
        var model: [String: String] = [:]
        var rng = SplitMix64(state: 2026)
        for i in 0..<120 {
            let client = UInt8(1 + i % 5)
            let key = "k\(rng.next() % 8)"
            switch rng.next() % 9 {
            case 0, 1, 2:
                let value = "v\(rng.next() % 1000) and more"
                model[key] = value
                out.append(Case(frame: frame("SET \(key) \(value)", client: client), reply: "STORED", client: client))
            case 3, 4:
                out.append(Case(frame: frame("GET \(key)", client: client), reply: model[key] ?? "NOT_FOUND", client: client))
            case 5:
                out.append(Case(frame: frame("HELLO", client: client), reply: "ERROR", client: client))
            case 6:
                // Not for the stack: another port, another address.
                out.append(Case(frame: frame("GET \(key)", client: client, port: 7001), reply: nil, client: client))
                out.append(Case(frame: frame("GET \(key)", client: client, to: IPv4Address(10, 77, 0, 9)), reply: nil, client: client))
            case 7:
                // Damaged: a UDP checksum, an IPv4 header checksum, a cut frame, a fragment.
                var f = frame("SET \(key) broken", client: client)
                f[f.count - 1] ^= 0x55
                out.append(Case(frame: f, reply: nil, client: client))
                var g = frame("SET \(key) broken", client: client)
                g[14 + 8] ^= 1  // the TTL, under the header checksum
                out.append(Case(frame: g, reply: nil, client: client))
                out.append(Case(frame: Array(frame("GET \(key)", client: client).prefix(30)), reply: nil, client: client))
                var h = frame("SET \(key) fragment", client: client)
                h[14 + 6] |= 0x20  // more fragments, and none ever comes: it times out
                out.append(Case(frame: h, reply: nil, client: client))
            case 8 where i % 3 == 0:
                // A value of several fragments, set and read back: reassembled in, fragmented out.
                let value = String(repeating: "\(i % 10)", count: 3000)
                model[key] = value
                let parts = fragmentedFrames("SET \(key) \(value)", client: client, size: 1480, identification: UInt16(i))
                for (n, part) in parts.enumerated() {
                    out.append(Case(frame: part, reply: n == parts.count - 1 ? "STORED" : nil, client: client))
                }
                out.append(Case(frame: frame("GET \(key)", client: client), reply: value, client: client))
            default:
                // Not IPv4: an IPv6 frame and an ARP request.
                out.append(
                    Case(
                        frame: Packet.ethernet(destination: stackMAC, type: 0x86dd, payload: Array(repeating: 0, count: 60)), reply: nil,
                        client: client))
                out.append(
                    Case(
                        frame: Packet.ethernet(
                            destination: [0xff, 0xff, 0xff, 0xff, 0xff, 0xff], type: 0x0806, payload: Array(repeating: 1, count: 28)),
                        reply: nil, client: client))
            }
        }
        return out
    }

    /// Replay `cases` through `source` built with `build`; `link` follows the captures in the
    /// --netif spec (",ip=…,mac=…" for a stack that takes its addresses from the link).
    func run(_ build: [String], name: String, _ cases: [Case], source: String = Self.source, link: String = "") throws -> (
        ProcessResult, [UInt8], [UDPDatagram]
    ) {
        let exe = try BuiltServices.runnable(source, arguments: build)
        let dir = BuiltServices.directory
        // Fifty frames a second: the run lasts seconds, inside the stack's ARP cache lifetime (a
        // capture holds no answers to the questions an expired entry would make it ask).
        var w = PcapWriter()
        w.burst = 50
        for c in cases { w.appendRecord(c.frame) }
        try w.write(to: "\(dir)/\(name)-in.pcap")
        let r = try runProcess(exe, ["--netif", "pcap:\(dir)/\(name)-in.pcap:\(dir)/\(name)-out.pcap\(link)"])
        let bytes = [UInt8]((FileManager.default.contents(atPath: "\(dir)/\(name)-out.pcap")) ?? Data())
        let replies = (try? Pcap.readUDP("\(dir)/\(name)-out.pcap")) ?? []
        return (r, bytes, replies)
    }

    @Test func answersACaptureFromSourceAndFromTheProjectedProgram() throws {
        let cases = Self.cases()
        let expected = cases.filter { $0.reply != nil }
        let (r, bytes, _) = try run([], name: "smoltcp-source", cases)
        #expect(r.status == 0, "\(r.stderr)")
        let (_, records) = try Pcap.read("\(BuiltServices.directory)/smoltcp-source-out.pcap")
        let (arp, ip) = Self.sent(records)

        // ARP: the stack announces itself first (who has 10.77.0.2, from 10.77.0.2), then answers
        // each client's question, to that client.
        #expect(arp.count == 6, "\(arp.count) ARP frames")
        if let first = arp.first {
            #expect(Array(first[0..<6]) == [0xff, 0xff, 0xff, 0xff, 0xff, 0xff] && first[21] == 1)
            #expect(Array(first[28..<32]) == Self.stackAddress.bytes && Array(first[38..<42]) == Self.stackAddress.bytes)
        }
        for (k, reply) in arp.dropFirst().enumerated() {
            let client = UInt8(k + 1)
            #expect(Array(reply[0..<6]) == Self.clientMAC(client) && reply[21] == 2, "ARP reply \(k)")
            #expect(Array(reply[22..<28]) == Self.stackMAC && Array(reply[28..<32]) == Self.stackAddress.bytes)
            #expect(Array(reply[32..<38]) == Self.clientMAC(client) && Array(reply[38..<42]) == Self.clientAddress(client).bytes)
        }

        // Ping: the echo replies carry the requests' data back, the long one whole again.
        let echoes = ip.filter { $0.header[9] == 1 }
        #expect(echoes.map { $0.payload.count } == [64, 3008])
        for echo in echoes {
            #expect(echo.payload[0] == 0 && Self.internetChecksum(echo.payload) == 0, "an echo reply with a good checksum")
            #expect(Array(echo.ethernet[0..<6]) == Self.clientMAC(1) && Array(echo.header[16..<20]) == Self.clientAddress(1).bytes)
        }
        if echoes.count == 2 { #expect(Array(echoes[1].payload[8...]) == (0..<3000).map { UInt8($0 % 251) }) }

        // UDP: every answer, in order, to the client that asked, from the stack's port.
        let udp = ip.filter { $0.header[9] == 17 }
        #expect(udp.map { String(decoding: $0.payload.dropFirst(8), as: UTF8.self) } == expected.map { $0.reply! })
        for (d, c) in zip(udp, expected) {
            #expect(Array(d.ethernet[0..<6]) == Self.clientMAC(c.client) && Array(d.ethernet[6..<12]) == Self.stackMAC)
            #expect(
                Array(d.header[16..<20]) == Self.clientAddress(c.client).bytes
                    && Array(d.header[12..<20].prefix(4)) == Self.stackAddress.bytes)
            #expect(Array(d.payload[0..<4]) == [0x1b, 0x58] + Self.be16(40000 + UInt16(c.client)))
            let pseudo = Array(d.header[12..<20]) + [0, 17] + Self.be16(UInt16(d.payload.count))
            #expect(Self.internetChecksum(pseudo + d.payload) == 0, "a good UDP checksum")
        }
        #expect(r.stderr.contains("received \(cases.count), sent \(records.count)"), "\(r.stderr)")

        // The same service built from the projected program: the same capture, byte for byte.
        let (p, projectedBytes, _) = try run(["--from-stage", "projected"], name: "smoltcp-projected", cases)
        #expect(p.status == 0, "\(p.stderr)")
        #expect(!bytes.isEmpty && projectedBytes == bytes)
        let (q, partitionedBytes, _) = try run(
            ["--from-stage", "projected", "--partition", "device,stack|store"], name: "smoltcp-two", cases)
        #expect(q.status == 0, "\(q.stderr)")
        #expect(partitionedBytes == bytes)

        // Isolated: a process per component, the frames through shared-memory rings.
        for (k, partition) in [nil, "device,stack|store"].enumerated() {
            let build = ["--target", "isolated"] + (partition.map { ["--partition", $0] } ?? [])
            let (i, isolatedBytes, _) = try run(build, name: "smoltcp-isolated-\(k)", cases)
            #expect(i.status == 0, "\(build): \(i.stderr)")
            let same = isolatedBytes == bytes
            #expect(same, "\(build): the capture differs from the unikernel's")
            #expect(i.stderr.contains("received \(cases.count), sent \(records.count)"), "\(i.stderr)")
        }
    }

    @Test func thePassesMakeTheSeedsLoopStateLocal() throws {
        let r = try runProcess(Repo.cleaveBinary, ["dump", "--stage", "components", Repo.path(Self.source)])
        #expect(r.status == 0, "\(r.stderr)")
        // Three components; the device's makes the system calls (poll from <poll.h>).
        #expect(r.stdout.contains("component 0 device: states device (system calls)"))
        #expect(r.stdout.contains("component 1 stack: states stack"))
        #expect(r.stdout.contains("component 2 store: states store"))
        // The stack asks the device for frames through defunctionalized calls; the store sees
        // only its calls, never a frame or an address (turns carry nothing).
        let toDevice = r.stdout.split(separator: "\n").filter { $0.contains("stack -> device:") }
        #expect(toDevice.contains { $0.contains(": FrameDeviceCall") }, "\(toDevice)")
        let toStore = r.stdout.split(separator: "\n").filter { $0.contains("-> store:") }
        #expect(
            toStore.allSatisfy { $0.contains(": StoreCall") || $0.contains(": Bool") || $0.contains(": turn: Void") },
            "\(toStore)")
        let lifted = try runProcess(Repo.cleaveBinary, ["dump", "--stage", "lifted", Repo.path(Self.source)])
        #expect(lifted.stdout.contains("state-method NetStack.poll_start("))
        #expect(lifted.stdout.contains("state-method NetStack.poll_resume2("))
    }

    /// Root, a TUN/TAP device that opens, and `ip` to configure the interface.
    static let machineAllowsTap: Bool = {
        let fd = open("/dev/net/tun", O_RDWR)
        defer { if fd >= 0 { close(fd) } }
        return getuid() == 0 && fd >= 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip")
    }()

    /// Linux talks to the stack: the test makes a network namespace, the service makes its TAP
    /// interface in it, and from the namespace's side `ping` (also with 4,000 bytes, fragments
    /// both ways), `arping` and a UDP socket (a value of 6,000 bytes set and read back) get their
    /// answers. The unikernel, then the isolated build in three components (device | stack |
    /// store, seed 000's) and in two; the launcher opens the TAP and hands it to the device's
    /// component.
    @Test(.enabled(if: machineAllowsTap, "needs root, /dev/net/tun and ip"))
    func answersLinuxThroughATapInterfaceInANamespace() throws {
        for build in [[], ["--target", "isolated"], ["--target", "isolated", "--partition", "device,stack|store"]] {
            try Self.talkToLinux(source: Self.source, build: build, netif: "tap:cl0")
        }
    }

    /// Build `source` with `build`, start it in a network namespace made for the test with
    /// `--netif NETIF` (a TAP interface cl0 for a stack at 10.77.0.2, MAC 02:00:00:00:00:02),
    /// and talk to it from the namespace's side: ping, a ping of 4,000 bytes, arping, UDP.
    static func talkToLinux(source: String, build: [String], netif: String) throws {
        let udp = """
            import socket
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(3)
            big = b"v" * 6000
            for m in [b"SET tap works", b"GET tap", b"SET big " + big, b"GET big", b"GET nothing"]:
                s.sendto(m, ("10.77.0.2", 7000))
                r = s.recv(70000)
                print(len(r), r[:12].decode(), r == big)
            """
        let exe = try BuiltServices.runnable(source, arguments: build)
        let namespace = "clns\(getpid() % 100000)"
        _ = try runProcess("/usr/sbin/ip", ["netns", "del", namespace])
        let made = try runProcess("/usr/sbin/ip", ["netns", "add", namespace])
        try #require(made.status == 0, "ip netns add: \(made.stderr)")
        defer { _ = try? runProcess("/usr/sbin/ip", ["netns", "del", namespace]) }
        let inside = ["netns", "exec", namespace]
        let service = try ServiceProcess("/usr/sbin/ip", inside + [exe, "--netif", netif], ready: ": tap: frames on")
        for command in [["addr", "add", "10.77.0.1/24", "dev", "cl0"], ["link", "set", "cl0", "up"]] {
            let r = try runProcess("/usr/sbin/ip", ["-n", namespace] + command)
            #expect(r.status == 0, "\(build): ip \(command.joined(separator: " ")): \(r.stderr)")
        }
        let ping = try runProcess("/usr/sbin/ip", inside + ["ping", "-c", "3", "-i", "0.2", "-W", "2", "10.77.0.2"])
        #expect(ping.status == 0 && ping.stdout.contains("3 received"), "\(build): \(ping.stdout)\(ping.stderr)")
        let big = try runProcess("/usr/sbin/ip", inside + ["ping", "-c", "2", "-i", "0.2", "-W", "2", "-s", "4000", "10.77.0.2"])
        #expect(big.status == 0 && big.stdout.contains("2 received"), "\(build): \(big.stdout)\(big.stderr)")
        #expect(big.stdout.contains("4008 bytes from 10.77.0.2"), "\(build): \(big.stdout)")
        let arping = try runProcess("/usr/sbin/ip", inside + ["arping", "-c", "2", "-w", "3", "-I", "cl0", "10.77.0.2"])
        #expect(arping.status == 0 && arping.stdout.contains("02:00:00:00:00:02"), "\(build): \(arping.stdout)\(arping.stderr)")
        let talk = try runProcess("/usr/sbin/ip", inside + ["python3", "-c", udp])
        #expect(
            talk.stdout == "6 STORED False\n5 works False\n6 STORED False\n6000 vvvvvvvvvvvv True\n9 NOT_FOUND False\n",
            "\(build): \(talk.stdout)\(talk.stderr)")
        let end = service.stop()
        #expect(end.status == 0, "\(build): \(end.stderr)")
    }
}

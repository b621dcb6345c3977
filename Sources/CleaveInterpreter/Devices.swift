// The `net` module's devices, for the reference interpreter.
//
// A `UdpDevice` takes its netif from `--netif`, one per device in the order the
// program creates them, as a built service does: `udp:PORT[,PORT...]` (real UDP
// sockets on 0.0.0.0; 0 picks a free port) or `pcap:IN[:OUT]` (the UDP/IPv4
// datagrams of capture IN addressed to the device's ports, in order; replies
// written to OUT as Ethernet/IPv4/UDP records). Without one, the device serves
// UDP on the ports in the source. What cannot be delivered is dropped and
// counted (malformed, oversized, not for one of the device's ports), and a
// reply from a port the device does not have is counted as a failed send: the
// same counters, and the same line at the end, as a built service prints.
//
// This is the interpreter's own reading of a capture (Ethernet with one VLAN
// tag, raw IPv4, Linux cooked, BSD loopback; IPv4 with a right header checksum;
// fragments put back together), written from the formats, not from the
// runtime. `FrameDevice` is not here: the one program that uses it calls C.
// `TcpDevice` is in TcpDevice.swift.

import CPcap
import CleaveSema
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

struct DeviceFailure: Error {
    let message: String
}

struct Counters {
    var received = 0, sent = 0, malformed = 0, oversized = 0, notForUs = 0, sendFailed = 0
    /// A TcpDevice's: ports listened on, connections, and bytes.
    var tcpPorts = 0, opened = 0, refused = 0, reset = 0, bytesReceived = 0, bytesSent = 0, bytesDropped = 0
    var dropped: Int { malformed + oversized + notForUs + sendFailed }
    mutating func add(_ o: Counters) {
        received += o.received
        sent += o.sent
        malformed += o.malformed
        oversized += o.oversized
        notForUs += o.notForUs
        sendFailed += o.sendFailed
        tcpPorts += o.tcpPorts
        opened += o.opened
        refused += o.refused
        reset += o.reset
        bytesReceived += o.bytesReceived
        bytesSent += o.bytesSent
        bytesDropped += o.bytesDropped
    }
}

/// One datagram: what a `Datagram` value holds.
struct Packet {
    var payload: [UInt8]
    var port: Int
    var peerAddress: UInt32
    var peerPort: UInt16
}

nonisolated(unsafe) private var stopRequested: sig_atomic_t = 0

class Device {
    var counters = Counters()
    let ports: [Int]
    static let maxPayload = 65507

    init(ports: [Int]) { self.ports = ports }

    /// The next datagram for the program; throws `InputEnded` at the end of the input.
    func receive() throws -> Packet { throw InputEnded() }
    func send(_ p: Packet) {}
    func close() {}

    static func installStopSignals() {
        signal(SIGINT) { _ in stopRequested = 1 }
        signal(SIGTERM) { _ in stopRequested = 1 }
    }
    var stopped: Bool { stopRequested != 0 }

    /// The device of netif `spec` (nil: UDP on the source's ports), for a program named `name`.
    static func open(_ spec: String?, ports: [Int], name: String, output: (String) -> Void) throws -> Device {
        guard let spec else { return try UdpSockets(ports: ports, bind: ports, name: name, output: output) }
        if spec.hasPrefix("udp:") {
            let list = spec.dropFirst(4).split(separator: ",", omittingEmptySubsequences: false).map { Int($0) }
            guard list.count == ports.count, list.allSatisfy({ $0 != nil && (0...65535).contains($0!) }) else {
                throw DeviceFailure(message: "--netif '\(spec)': give \(ports.count) port(s), each 0 to 65535")
            }
            return try UdpSockets(ports: ports, bind: list.map { $0! }, name: name, output: output)
        }
        if spec.hasPrefix("pcap:") {
            let rest = spec.dropFirst(5)
            let parts = rest.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            return try CaptureReplay(ports: ports, input: parts[0], output: parts.count > 1 ? parts[1] : nil)
        }
        if spec == "tcp" || spec.hasPrefix("tcp:") {
            throw DeviceFailure(message: "--netif '\(spec)': this device is a UdpDevice, which takes udp:PORT[,PORT...] or pcap:IN[:OUT]")
        }
        throw DeviceFailure(message: "--netif '\(spec)': the interpreter serves udp:PORT[,PORT...] or pcap:IN[:OUT]")
    }
}

// MARK: - UDP sockets

final class UdpSockets: Device {
    var fds: [Int32] = []

    init(ports: [Int], bind: [Int], name: String, output: (String) -> Void) throws {
        super.init(ports: ports)
        for (source, wanted) in zip(ports, bind) {
            let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            guard fd >= 0 else { throw DeviceFailure(message: "udp: port \(source): cannot create a socket") }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(wanted).bigEndian)
            address.sin_addr = in_addr(s_addr: 0)
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0 else {
                Glibc.close(fd)
                throw DeviceFailure(message: "udp: port \(source): cannot listen on 0.0.0.0:\(wanted)")
            }
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            let port = Int(UInt16(bigEndian: address.sin_port))
            output(
                port == source
                    ? "\(name): listening on UDP port \(port)" : "\(name): listening on UDP port \(port) (port \(source) in the source)")
            fds.append(fd)
        }
    }

    override func receive() throws -> Packet {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            if stopped { throw InputEnded() }
            var polls = fds.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let n = poll(&polls, nfds_t(polls.count), 100)
            if n <= 0 { continue }
            for (i, p) in polls.enumerated() where p.revents != 0 {
                var peer = sockaddr_in()
                var length = socklen_t(MemoryLayout<sockaddr_in>.size)
                let got = withUnsafeMutablePointer(to: &peer) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        recvfrom(fds[i], &buffer, buffer.count, Int32(MSG_TRUNC), $0, &length)
                    }
                }
                if got < 0 { continue }
                if got > Device.maxPayload {
                    counters.oversized += 1
                    continue
                }
                counters.received += 1
                return Packet(
                    payload: Array(buffer[0..<got]), port: ports[i], peerAddress: UInt32(bigEndian: peer.sin_addr.s_addr),
                    peerPort: UInt16(bigEndian: peer.sin_port))
            }
        }
    }

    override func send(_ p: Packet) {
        guard p.payload.count <= Device.maxPayload else {
            counters.oversized += 1
            return
        }
        guard let i = ports.firstIndex(of: p.port) else {
            counters.sendFailed += 1
            return
        }
        var peer = sockaddr_in()
        peer.sin_family = sa_family_t(AF_INET)
        peer.sin_port = in_port_t(p.peerPort.bigEndian)
        peer.sin_addr = in_addr(s_addr: p.peerAddress.bigEndian)
        let sent = withUnsafePointer(to: &peer) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(fds[i], p.payload, p.payload.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if sent < 0 { counters.sendFailed += 1 } else { counters.sent += 1 }
    }

    override func close() {
        for fd in fds { Glibc.close(fd) }
        fds = []
    }
}

// MARK: - Captures

final class CaptureReplay: Device {
    var input: OpaquePointer?
    var linkType: Int32 = 0
    var dumper: OpaquePointer?
    var dead: OpaquePointer?
    /// Where the last datagram was sent to, for the replies' source: (address, Ethernet addresses).
    var lastDestination: UInt32 = 0
    var lastMACs: ([UInt8], [UInt8]) = ([2, 0, 0, 0, 0, 2], [2, 0, 0, 0, 0, 1])
    var lastTime = timeval()
    var identification: UInt16 = 0
    /// Fragments being put together, by (source, destination, identification): offset -> bytes.
    var fragments: [[UInt32]: (pieces: [Int: [UInt8]], end: Int?)] = [:]

    init(ports: [Int], input path: String, output out: String?) throws {
        super.init(ports: ports)
        var error = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        guard let handle = pcap_open_offline(path, &error) else {
            let why = String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw DeviceFailure(message: "pcap: cannot read capture \(path): \(why)")
        }
        input = handle
        linkType = pcap_datalink(handle)
        if let out {
            dead = pcap_open_dead(DLT_EN10MB, 262144)
            guard let d = pcap_dump_open(dead, out) else {
                throw DeviceFailure(message: "pcap: cannot write capture \(out)")
            }
            dumper = d
        }
    }

    override func receive() throws -> Packet {
        while let handle = input {
            var header: UnsafeMutablePointer<pcap_pkthdr>?
            var data: UnsafePointer<UInt8>?
            let got = pcap_next_ex(handle, &header, &data)
            guard got == 1, let header, let data else {
                if got == PCAP_ERROR { counters.malformed += 1 }
                counters.malformed += fragments.count  // never completed
                fragments = [:]
                input = nil
                pcap_close(handle)
                break
            }
            let record = Array(UnsafeBufferPointer(start: data, count: Int(header.pointee.caplen)))
            if let p = deliver(record, time: header.pointee.ts) { return p }
        }
        throw InputEnded()
    }

    func be16(_ b: [UInt8], _ i: Int) -> Int { Int(b[i]) << 8 | Int(b[i + 1]) }
    func be32(_ b: [UInt8], _ i: Int) -> UInt32 { UInt32(be16(b, i)) << 16 | UInt32(be16(b, i + 2)) }

    /// The IPv4 packet inside a record of this capture's link type, and its Ethernet addresses.
    func ipPacket(_ r: [UInt8]) -> (ip: [UInt8], macs: ([UInt8], [UInt8])?)? {
        switch linkType {
        case DLT_EN10MB:
            guard r.count >= 14 else { return nil }
            var type = be16(r, 12)
            var start = 14
            if type == 0x8100 {
                guard r.count >= 18 else { return nil }
                type = be16(r, 16)
                start = 18
            }
            guard type == 0x0800 else { return nil }
            return (Array(r[start...]), (Array(r[0..<6]), Array(r[6..<12])))
        case DLT_RAW, 228:  // DLT_IPV4
            return (r, nil)
        case DLT_LINUX_SLL:
            guard r.count >= 16, be16(r, 14) == 0x0800 else { return nil }
            return (Array(r[16...]), nil)
        case 276:  // DLT_LINUX_SLL2
            guard r.count >= 20, be16(r, 0) == 0x0800 else { return nil }
            return (Array(r[20...]), nil)
        case DLT_NULL, DLT_LOOP:
            guard r.count >= 4 else { return nil }
            let family = linkType == DLT_LOOP ? be32(r, 0) : UInt32(r[0]) | UInt32(r[1]) << 8 | UInt32(r[2]) << 16 | UInt32(r[3]) << 24
            guard family == 2 else { return nil }
            return (Array(r[4...]), nil)
        default:
            return nil
        }
    }

    func checksum(_ b: ArraySlice<UInt8>) -> Int {
        var sum = 0
        var i = b.startIndex
        while i + 1 < b.endIndex {
            sum += Int(b[i]) << 8 | Int(b[i + 1])
            i += 2
        }
        if i < b.endIndex { sum += Int(b[i]) << 8 }
        while sum > 0xffff { sum = (sum & 0xffff) + (sum >> 16) }
        return sum
    }

    /// The datagram of one record, when it is one for this device.
    func deliver(_ record: [UInt8], time: timeval) -> Packet? {
        guard let (ip, macs) = ipPacket(record), ip.count >= 20 else {
            counters.malformed += 1
            return nil
        }
        let headerLength = Int(ip[0] & 0x0f) * 4
        let total = be16(ip, 2)
        guard ip[0] >> 4 == 4, headerLength >= 20, headerLength <= ip.count, total >= headerLength, total <= ip.count,
            checksum(ip[0..<headerLength]) == 0xffff, be16(ip, 6) & 0x8000 == 0, ip[9] == 17
        else {
            counters.malformed += 1
            return nil
        }
        let source = be32(ip, 12)
        let destination = be32(ip, 16)
        var udp = Array(ip[headerLength..<total])
        let flags = be16(ip, 6)
        let more = flags & 0x2000 != 0
        let offset = (flags & 0x1fff) * 8
        if more || offset != 0 {
            let key = [source, destination, UInt32(be16(ip, 4))]
            var f = fragments[key] ?? ([:], nil)
            if offset + udp.count > 65515 || (more && (udp.isEmpty || udp.count % 8 != 0)) {
                fragments[key] = nil
                if offset + udp.count > 65515 { counters.oversized += 1 } else { counters.malformed += 1 }
                return nil
            }
            f.pieces[offset] = udp
            if !more { f.end = offset + udp.count }
            // Whole when the pieces, in order, cover 0 up to the end without a gap or an overlap.
            if let end = f.end {
                var at = 0
                var whole: [UInt8] = []
                for o in f.pieces.keys.sorted() {
                    guard o == at else { break }
                    whole += f.pieces[o]!
                    at += f.pieces[o]!.count
                }
                if at == end && whole.count == end {
                    fragments[key] = nil
                    udp = whole
                } else if at > end || f.pieces.keys.contains(where: { $0 >= end && $0 != 0 }) {
                    fragments[key] = nil
                    counters.malformed += 1
                    return nil
                } else {
                    fragments[key] = f
                    return nil
                }
            } else {
                fragments[key] = f
                return nil
            }
        }
        guard udp.count >= 8, be16(udp, 4) >= 8, be16(udp, 4) <= udp.count else {
            counters.malformed += 1
            return nil
        }
        let payload = Array(udp[8..<be16(udp, 4)])
        let port = be16(udp, 2)
        guard ports.contains(port) else {
            counters.notForUs += 1
            return nil
        }
        guard payload.count <= Device.maxPayload else {
            counters.oversized += 1
            return nil
        }
        lastDestination = destination
        if let (dst, src) = macs { lastMACs = (dst, src) }
        lastTime = time
        counters.received += 1
        return Packet(payload: payload, port: port, peerAddress: source, peerPort: UInt16(be16(udp, 0)))
    }

    override func send(_ p: Packet) {
        if p.payload.count > Device.maxPayload {
            counters.oversized += 1
            return
        }
        guard ports.contains(p.port) else {
            counters.sendFailed += 1
            return
        }
        counters.sent += 1
        guard let dumper else { return }
        identification &+= 1
        var udp: [UInt8] = []
        func put16(_ x: Int, _ into: inout [UInt8]) { into += [UInt8(x >> 8 & 0xff), UInt8(x & 0xff)] }
        put16(p.port, &udp)
        put16(Int(p.peerPort), &udp)
        put16(8 + p.payload.count, &udp)
        put16(0, &udp)
        udp += p.payload
        // The UDP checksum over the pseudo-header (addresses, protocol, length) and the datagram.
        var pseudo: [UInt8] = []
        for a in [lastDestination, p.peerAddress] {
            pseudo += [UInt8(a >> 24), UInt8(a >> 16 & 0xff), UInt8(a >> 8 & 0xff), UInt8(a & 0xff)]
        }
        pseudo += [0, 17]
        put16(udp.count, &pseudo)
        var udpSum = 0xffff - checksum((pseudo + udp)[0...])
        if udpSum == 0 { udpSum = 0xffff }
        udp[6] = UInt8(udpSum >> 8)
        udp[7] = UInt8(udpSum & 0xff)
        var ip: [UInt8] = [0x45, 0]
        put16(20 + udp.count, &ip)
        put16(Int(identification), &ip)
        ip += [0, 0, 64, 17, 0, 0]
        for a in [lastDestination, p.peerAddress] { ip += [UInt8(a >> 24), UInt8(a >> 16 & 0xff), UInt8(a >> 8 & 0xff), UInt8(a & 0xff)] }
        let sum = 0xffff - checksum(ip[0..<20])
        ip[10] = UInt8(sum >> 8)
        ip[11] = UInt8(sum & 0xff)
        let frame = lastMACs.1 + lastMACs.0 + [0x08, 0x00] + ip + udp
        var header = pcap_pkthdr(ts: lastTime, caplen: UInt32(frame.count), len: UInt32(frame.count))
        frame.withUnsafeBufferPointer { buffer in
            pcap_dump(UnsafeMutableRawPointer(dumper).assumingMemoryBound(to: UInt8.self), &header, buffer.baseAddress)
        }
    }

    override func close() {
        if let dumper { pcap_dump_close(dumper) }
        dumper = nil
        if let dead { pcap_close(dead) }
        dead = nil
        if let input { pcap_close(input) }
        input = nil
    }
}

// MARK: - The net module's extern members

extension Interpreter {
    func externCall(_ fn: TFunction, receiver: Value?, arguments: [Value]) throws -> Value {
        let typeName: String
        switch fn.kind {
        case .initializer(let t), .method(let t): typeName = program.type(t).name
        default: throw Unsupported(description: "'\(fn.name)' is supplied by C")
        }
        if typeName == "TcpDevice" { return try tcpExternCall(fn, receiver: receiver, arguments: arguments) }
        switch (typeName, fn.name, fn.kind) {
        case ("UdpDevice", _, .initializer(let t)):
            let ports: [Int]
            switch arguments.first {
            case .array(let xs)?: ports = xs.map { Int($0.integer) }
            case .int(let p)?: ports = [Int(p)]
            default: ports = []
            }
            let spec = devices.count < netifSpecs.count ? netifSpecs[devices.count] : nil
            let device = try Device.open(spec, ports: ports, name: name, output: output)
            devices.append(device)
            let state = StateObject(type: t, fields: [])
            state.device = device
            return .state(state)
        case ("UdpDevice", "receive", _):
            guard let device = receiver?.stateObject?.device else { throw InputEnded() }
            let p = try device.receive()
            return .record([.bytes(p.payload), .int(Int128(p.port)), .int(Int128(p.peerAddress)), .int(Int128(p.peerPort))])
        case ("UdpDevice", "send", _):
            guard let device = receiver?.stateObject?.device, let d = arguments.first else { return .void }
            let f = d.elements
            device.send(
                Packet(
                    payload: f[0].byteArray, port: Int(f[1].integer), peerAddress: UInt32(truncatingIfNeeded: f[2].integer),
                    peerPort: UInt16(truncatingIfNeeded: f[3].integer)))
            return .void
        default:
            throw Unsupported(description: "the interpreter has no \(typeName).\(fn.name)")
        }
    }
}

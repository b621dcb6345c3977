// Captures for the pcap netif, in pure Swift: write the classic pcap files a
// service replays, read back the replies the runtime records.
//
// A test builds a capture from UDP datagrams (`PcapWriter.append`), each framed
// as Ethernet/IPv4/UDP with correct IPv4 and UDP checksums, or from raw records
// (`appendRecord`) to put garbage, ARP, fragments or cut frames in front of the
// runtime; `Packet` has the builders. Files are little-endian, microsecond
// timestamps (one second apart, from a fixed start, so files are
// deterministic), link type Ethernet unless asked otherwise.
//
// Reading is strict the other way round: `Pcap.readUDP` accepts only what the
// runtime writes (Ethernet, optionally one 802.1Q tag, IPv4 without fragments,
// UDP, both checksums right) and throws on anything else, so a malformed reply
// fails the test that made it. `Pcap.read` gives the raw records of any
// classic pcap file (either byte order, micro- or nanosecond timestamps).

import Foundation

/// An IPv4 address, written as a literal: `"10.0.0.1"`.
public struct IPv4Address: Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    public var value: UInt32

    public init(_ value: UInt32) { self.value = value }

    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// A dotted quad; test code writes these as literals, so a bad one is a bug in the test.
    public init(stringLiteral text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).compactMap { UInt8($0) }
        precondition(parts.count == 4, "not an IPv4 address: \(text)")
        self.init(parts[0], parts[1], parts[2], parts[3])
    }

    public var bytes: [UInt8] { [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)] }

    public var description: String { bytes.map(String.init).joined(separator: ".") }
}

/// One UDP datagram over IPv4, as written into a capture or read back from one.
public struct UDPDatagram: Hashable, Sendable {
    public var source: IPv4Address
    public var sourcePort: UInt16
    public var destination: IPv4Address
    public var destinationPort: UInt16
    public var payload: [UInt8]

    public init(
        source: IPv4Address = "10.0.0.1", sourcePort: UInt16, destination: IPv4Address = "10.0.0.2", destinationPort: UInt16,
        payload: [UInt8]
    ) {
        self.source = source
        self.sourcePort = sourcePort
        self.destination = destination
        self.destinationPort = destinationPort
        self.payload = payload
    }
}

/// One record of a pcap file.
public struct PcapRecord: Hashable, Sendable {
    public var seconds: UInt32
    public var microseconds: UInt32
    /// The bytes captured.
    public var data: [UInt8]
    /// The length of the frame on the wire (more than `data.count` when the capture cut it).
    public var originalLength: Int

    public init(seconds: UInt32, microseconds: UInt32, data: [UInt8], originalLength: Int) {
        self.seconds = seconds
        self.microseconds = microseconds
        self.data = data
        self.originalLength = originalLength
    }
}

public struct PcapError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Frame builders, for tests that need more than well-formed datagrams.
public enum Packet {
    public static let clientMAC: [UInt8] = [0x02, 0, 0, 0, 0, 0x02]
    public static let serviceMAC: [UInt8] = [0x02, 0, 0, 0, 0, 0x01]

    /// An Ethernet frame; `vlan` adds an 802.1Q tag with that tag control information.
    public static func ethernet(
        destination: [UInt8] = serviceMAC, source: [UInt8] = clientMAC, type: UInt16 = 0x0800, vlan: UInt16? = nil,
        payload: [UInt8]
    ) -> [UInt8] {
        var frame = destination + source
        if let vlan { frame += be16(0x8100) + be16(vlan) }
        return frame + be16(type) + payload
    }

    /// An IPv4 packet (20-byte header, correct checksum). `fragmentOffset` is in bytes, a multiple of 8.
    public static func ipv4(
        source: IPv4Address, destination: IPv4Address, protocol number: UInt8 = 17, identification: UInt16 = 1,
        fragmentOffset: Int = 0, moreFragments: Bool = false, payload: [UInt8]
    ) -> [UInt8] {
        let flags = UInt16(truncatingIfNeeded: fragmentOffset / 8) & 0x1fff | (moreFragments ? 0x2000 : 0)
        var header = [0x45, 0] + be16(UInt16(truncatingIfNeeded: 20 + payload.count)) + be16(identification) + be16(flags)
        header += [64, number, 0, 0] + source.bytes + destination.bytes
        let checksum = ~fold(sum(header))
        header[10] = UInt8(checksum >> 8)
        header[11] = UInt8(checksum & 0xff)
        return header + payload
    }

    /// A UDP header and payload, with the checksum over the IPv4 pseudo-header.
    public static func udp(_ d: UDPDatagram) -> [UInt8] {
        let length = UInt16(truncatingIfNeeded: 8 + d.payload.count)
        var segment = be16(d.sourcePort) + be16(d.destinationPort) + be16(length) + [0, 0] + d.payload
        var checksum = ~fold(sum(d.source.bytes + d.destination.bytes + [0, 17] + be16(length), sum(segment)))
        if checksum == 0 { checksum = 0xffff }  // 0 would mean "no checksum"
        segment[6] = UInt8(checksum >> 8)
        segment[7] = UInt8(checksum & 0xff)
        return segment
    }

    /// The Ethernet frame of a whole (unfragmented) datagram.
    public static func frame(_ d: UDPDatagram, vlan: UInt16? = nil) -> [UInt8] {
        ethernet(vlan: vlan, payload: ipv4(source: d.source, destination: d.destination, payload: udp(d)))
    }

    /// The Ethernet frames of a datagram cut into IPv4 fragments of at most
    /// `size` bytes of IP payload each (rounded down to a multiple of 8), in order.
    public static func fragments(_ d: UDPDatagram, size: Int, identification: UInt16) -> [[UInt8]] {
        let segment = udp(d)
        let step = max(8, size / 8 * 8)
        return stride(from: 0, to: segment.count, by: step).map { offset in
            let end = min(segment.count, offset + step)
            return ethernet(
                payload: ipv4(
                    source: d.source, destination: d.destination, identification: identification, fragmentOffset: offset,
                    moreFragments: end < segment.count, payload: Array(segment[offset..<end])))
        }
    }

    static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xff)] }

    /// The ones' complement sum of 16-bit big-endian words, not yet folded.
    static func sum(_ bytes: [UInt8], _ start: UInt32 = 0) -> UInt32 {
        var total = start
        var i = 0
        while i + 1 < bytes.count {
            total &+= UInt32(bytes[i]) << 8 | UInt32(bytes[i + 1])
            i += 2
        }
        if i < bytes.count { total &+= UInt32(bytes[i]) << 8 }
        return total
    }

    static func fold(_ sum: UInt32) -> UInt16 {
        var s = sum
        while s >> 16 != 0 { s = (s & 0xffff) + (s >> 16) }
        return UInt16(s)
    }
}

/// A classic pcap file being built in memory.
public struct PcapWriter {
    public static let ethernet: UInt32 = 1
    public private(set) var bytes: [UInt8]
    private var records = 0
    /// Record n is stamped `startSeconds + n / burst` seconds: records of one burst share a time,
    /// and a built service's pcap netif hands an isolated device a burst's datagrams to read ahead.
    public var startSeconds: UInt32 = 1_700_000_000
    public var burst = 1

    public init(linkType: UInt32 = PcapWriter.ethernet, snapLength: UInt32 = 262_144) {
        bytes = []
        put32(0xa1b2_c3d4)
        put16(2)
        put16(4)
        put32(0)  // time zone
        put32(0)  // timestamp accuracy
        put32(snapLength)
        put32(linkType)
    }

    /// A writer whose records follow `writer`'s in time and carry no file header: what is
    /// appended to a capture already begun (streamed to a FIFO, say).
    public static func continuing(_ writer: PcapWriter) -> PcapWriter {
        var w = writer
        w.bytes = []
        return w
    }

    /// Append one record holding `data` as it is; `originalLength` larger than
    /// `data.count` makes it a frame cut by the capture.
    public mutating func appendRecord(_ data: [UInt8], originalLength: Int? = nil) {
        put32(startSeconds &+ UInt32(truncatingIfNeeded: records / max(burst, 1)))
        put32(0)
        put32(UInt32(truncatingIfNeeded: data.count))
        put32(UInt32(truncatingIfNeeded: originalLength ?? data.count))
        bytes += data
        records += 1
    }

    /// Append a datagram as one Ethernet/IPv4/UDP record.
    public mutating func append(_ datagram: UDPDatagram, vlan: UInt16? = nil) {
        appendRecord(Packet.frame(datagram, vlan: vlan))
    }

    public func write(to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    private mutating func put16(_ v: UInt16) { bytes += [UInt8(v & 0xff), UInt8(v >> 8)] }
    private mutating func put32(_ v: UInt32) { bytes += (0..<4).map { UInt8(v >> (8 * $0) & 0xff) } }
}

public enum Pcap {
    /// Write a capture of `datagrams`, one Ethernet record each.
    public static func write(_ datagrams: [UDPDatagram], to path: String) throws {
        var writer = PcapWriter()
        for d in datagrams { writer.append(d) }
        try writer.write(to: path)
    }

    /// The link type and records of a classic pcap file.
    public static func read(_ path: String) throws -> (linkType: UInt32, records: [PcapRecord]) {
        try parse(Array(Data(contentsOf: URL(fileURLWithPath: path))))
    }

    public static func parse(_ file: [UInt8]) throws -> (linkType: UInt32, records: [PcapRecord]) {
        guard file.count >= 24 else { throw PcapError("not a pcap file: \(file.count) bytes") }
        let little = le32(file, 0)
        let bigEndian: Bool
        let nanoseconds: Bool
        switch little {
        case 0xa1b2_c3d4: (bigEndian, nanoseconds) = (false, false)
        case 0xa1b2_3c4d: (bigEndian, nanoseconds) = (false, true)
        case 0xd4c3_b2a1: (bigEndian, nanoseconds) = (true, false)
        case 0x4d3c_b2a1: (bigEndian, nanoseconds) = (true, true)
        default: throw PcapError("not a classic pcap file (magic \(String(little, radix: 16)))")
        }
        func word(_ at: Int) -> UInt32 { bigEndian ? le32(file, at).byteSwapped : le32(file, at) }
        var records: [PcapRecord] = []
        var at = 24
        while at < file.count {
            guard at + 16 <= file.count else { throw PcapError("record \(records.count): cut in its header") }
            let length = Int(word(at + 8))
            guard at + 16 + length <= file.count else { throw PcapError("record \(records.count): cut in its data") }
            let fraction = word(at + 4)
            records.append(
                PcapRecord(
                    seconds: word(at), microseconds: nanoseconds ? fraction / 1000 : fraction,
                    data: Array(file[(at + 16)..<(at + 16 + length)]), originalLength: Int(word(at + 12))))
            at += 16 + length
        }
        return (word(20), records)
    }

    /// The datagrams of a capture the runtime wrote, in order; throws on
    /// anything but a whole, well-formed Ethernet/IPv4/UDP frame.
    public static func readUDP(_ path: String) throws -> [UDPDatagram] {
        let (linkType, records) = try read(path)
        guard linkType == PcapWriter.ethernet else { throw PcapError("link type \(linkType), not Ethernet") }
        return try records.enumerated().map { index, record in
            do { return try udp(inFrame: record.data) } catch let error as PcapError {
                throw PcapError("record \(index): \(error.description)")
            }
        }
    }

    /// The datagram in one Ethernet frame, checked strictly (see `readUDP`).
    public static func udp(inFrame frame: [UInt8]) throws -> UDPDatagram {
        guard frame.count >= 14 else { throw PcapError("shorter than an Ethernet header") }
        var type = be16(frame, 12)
        var at = 14
        if type == 0x8100 {
            guard frame.count >= 18 else { throw PcapError("cut in its VLAN tag") }
            type = be16(frame, 16)
            at = 18
        }
        guard type == 0x0800 else { throw PcapError("Ethernet type \(String(type, radix: 16)), not IPv4") }
        let ip = Array(frame[at...])
        guard ip.count >= 20, ip[0] == 0x45 else { throw PcapError("not an IPv4 header without options") }
        let total = Int(be16(ip, 2))
        guard total >= 28, total <= ip.count else { throw PcapError("IPv4 total length \(total), \(ip.count) bytes captured") }
        guard Packet.fold(Packet.sum(Array(ip[0..<20]))) == 0xffff else { throw PcapError("bad IPv4 header checksum") }
        guard be16(ip, 6) & 0x3fff == 0 else { throw PcapError("an IPv4 fragment") }
        guard ip[9] == 17 else { throw PcapError("IP protocol \(ip[9]), not UDP") }
        let segment = Array(ip[20..<total])
        guard Int(be16(segment, 4)) == segment.count else { throw PcapError("UDP length disagrees with IPv4's") }
        let pseudo = Array(ip[12..<20]) + [0, 17] + Packet.be16(UInt16(segment.count))
        guard be16(segment, 6) != 0, Packet.fold(Packet.sum(pseudo, Packet.sum(segment))) == 0xffff else {
            throw PcapError("bad UDP checksum")
        }
        return UDPDatagram(
            source: IPv4Address(be32(ip, 12)), sourcePort: be16(segment, 0), destination: IPv4Address(be32(ip, 16)),
            destinationPort: be16(segment, 2), payload: Array(segment[8...]))
    }

    static func le32(_ b: [UInt8], _ at: Int) -> UInt32 {
        UInt32(b[at]) | UInt32(b[at + 1]) << 8 | UInt32(b[at + 2]) << 16 | UInt32(b[at + 3]) << 24
    }
    static func be16(_ b: [UInt8], _ at: Int) -> UInt16 { UInt16(b[at]) << 8 | UInt16(b[at + 1]) }
    static func be32(_ b: [UInt8], _ at: Int) -> UInt32 { UInt32(be16(b, at)) << 16 | UInt32(be16(b, at + 2)) }
}

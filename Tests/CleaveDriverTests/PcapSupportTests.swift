// The test support for services (CleaveTestSupport's Pcap.swift and UDP.swift)
// does what the service tests rely on: captures written by PcapWriter read back
// as the same datagrams, with checksums a real stack accepts; raw records go in
// unchanged; anything but a well-formed UDP frame is refused by the strict
// reader; the UDP client and the service launcher work on the loopback.

import CleaveTestSupport
import Foundation
import Testing

private func temporaryPath(_ name: String) -> String {
    Scratch.path("pcap") + "/\(UUID().uuidString)-\(name)"
}

@Suite struct PcapSupportTests {
    let datagrams = [
        UDPDatagram(sourcePort: 5000, destinationPort: 7000, payload: Array("hello".utf8)),
        UDPDatagram(source: "192.168.1.9", sourcePort: 6000, destinationPort: 7001, payload: []),
        UDPDatagram(sourcePort: 5001, destinationPort: 7000, payload: (0..<1472).map { UInt8($0 & 0xff) }),
        UDPDatagram(sourcePort: 5002, destinationPort: 7000, payload: [UInt8](repeating: 0x61, count: 60000)),
        UDPDatagram(source: "127.0.0.1", sourcePort: 65535, destination: "127.0.0.1", destinationPort: 7000, payload: [0xff]),
        UDPDatagram(sourcePort: 5003, destinationPort: 7000, payload: [UInt8](repeating: 0xfe, count: 65507)),
    ]

    @Test func writtenDatagramsReadBackTheSame() throws {
        let path = temporaryPath("roundtrip.pcap")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Pcap.write(datagrams, to: path)
        #expect(try Pcap.readUDP(path) == datagrams)

        let (linkType, records) = try Pcap.read(path)
        #expect(linkType == PcapWriter.ethernet)
        #expect(records.count == datagrams.count)
        #expect(records.map(\.seconds) == (0..<UInt32(datagrams.count)).map { 1_700_000_000 + $0 })
        #expect(records.allSatisfy { $0.originalLength == $0.data.count })
        #expect(records.map(\.data.count) == datagrams.map { 14 + 20 + 8 + $0.payload.count })
    }

    @Test func checksumsMatchAHandComputedPacket() {
        let d = UDPDatagram(sourcePort: 5000, destinationPort: 7000, payload: Array("hello".utf8))
        let packet = Packet.ipv4(source: d.source, destination: d.destination, payload: Packet.udp(d))
        let hex = packet.map { String(format: "%02x", $0) }.joined()
        #expect(hex == "4500002100010000401166c90a0000010a00000213881b58000d791f68656c6c6f")
    }

    @Test func rawRecordsGoInUnchangedAndTheStrictReaderRefusesThem() throws {
        var writer = PcapWriter()
        writer.append(datagrams[0])
        writer.appendRecord([1, 2, 3])
        writer.appendRecord(Packet.ethernet(type: 0x0806, payload: [UInt8](repeating: 0, count: 28)))
        let cut = Packet.frame(datagrams[2])
        writer.appendRecord(Array(cut[0..<60]), originalLength: cut.count)
        let path = temporaryPath("raw.pcap")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try writer.write(to: path)

        let records = try Pcap.read(path).records
        #expect(records.map(\.data.count) == [14 + 20 + 8 + 5, 3, 42, 60])
        #expect(records[1].data == [1, 2, 3])
        #expect(records[3].originalLength == cut.count)
        #expect(try Pcap.udp(inFrame: records[0].data) == datagrams[0])
        #expect(throws: PcapError.self) { try Pcap.readUDP(path) }
        for record in records.dropFirst() {
            #expect(throws: PcapError.self) { try Pcap.udp(inFrame: record.data) }
        }
    }

    @Test func aDamagedFrameIsRefused() throws {
        let frame = Packet.frame(datagrams[0])
        for (index, why) in [(14 + 10, "bad IPv4 header checksum"), (frame.count - 1, "bad UDP checksum"), (14 + 9, "")] {
            var damaged = frame
            damaged[index] ^= 0x01
            do {
                _ = try Pcap.udp(inFrame: damaged)
                Issue.record("byte \(index) flipped, the frame was accepted")
            } catch let error as PcapError {
                if !why.isEmpty { #expect(error.description == why) }
            }
        }
    }

    @Test func aVLANTaggedFrameReadsAsItsDatagram() throws {
        let frame = Packet.frame(datagrams[1], vlan: 42)
        #expect(frame[12...15] == [0x81, 0x00, 0x00, 42])
        #expect(try Pcap.udp(inFrame: frame) == datagrams[1])
    }

    @Test func fragmentsCoverTheDatagramInOrder() {
        let d = datagrams[2]
        let frames = Packet.fragments(d, size: 1000, identification: 77)
        let segment = Packet.udp(d)
        #expect(frames.count == (segment.count + 991) / 992)
        var joined: [UInt8] = []
        for (n, frame) in frames.enumerated() {
            let ip = Array(frame[14...])
            let flags = UInt16(ip[6]) << 8 | UInt16(ip[7])
            #expect(Int(flags & 0x1fff) * 8 == joined.count)
            #expect((flags & 0x2000 != 0) == (n < frames.count - 1))
            #expect(ip[4...5] == [0, 77])
            joined += ip[20...]
        }
        #expect(joined == segment)
    }

    @Test func bigEndianAndNanosecondCapturesAreRead() throws {
        var file: [UInt8] = [0xa1, 0xb2, 0x3c, 0x4d, 0, 2, 0, 4] + [UInt8](repeating: 0, count: 8)
        file += [0, 4, 0, 0, 0, 0, 0, 101]  // snapshot length 262144, raw IP
        file += [0, 0, 0, 9, 0, 0, 0x03, 0xe8, 0, 0, 0, 2, 0, 0, 0, 5, 0xaa, 0xbb]
        let (linkType, records) = try Pcap.parse(file)
        #expect(linkType == 101)
        #expect(records == [PcapRecord(seconds: 9, microseconds: 1, data: [0xaa, 0xbb], originalLength: 5)])
        #expect(throws: PcapError.self) { try Pcap.parse(Array(file.dropLast())) }
        #expect(throws: PcapError.self) { try Pcap.parse([1, 2, 3]) }
    }
}

@Suite struct UDPSupportTests {
    @Test func aClientReachesAnotherAndTimesOut() throws {
        let a = try UDPClient()
        let b = try UDPClient()
        try a.send([], to: b.localPort)
        try a.send(Array("second".utf8), to: b.localPort)
        let first = try b.receive(timeout: 5)
        #expect(first?.payload == [])
        #expect(first?.port == a.localPort)
        #expect(try b.receive(timeout: 5)?.payload == Array("second".utf8))
        #expect(try b.request([UInt8](repeating: 7, count: 60000), to: a.localPort, timeout: 0.2) == nil)
        #expect(try a.receive(timeout: 5)?.payload.count == 60000)
    }

    @Test func aServiceIsStartedUntilItAnnouncesItsPortsAndStopped() throws {
        let script = """
            echo 'kv: listening on UDP port 40001 (port 7000 in the source)' >&2
            echo 'kv: listening on UDP port 40002 (port 7001 in the source)' >&2
            exec sleep 60
            """
        let service = try ServiceProcess("/bin/sh", ["-c", script], portCount: 2)
        #expect(service.ports == [7000: 40001, 7001: 40002])
        #expect(service.port(7001) == 40002)
        let result = service.stop()
        #expect(result.signaled)
        #expect(result.stderr.contains("listening on UDP port 40002"))
    }

    @Test func aServiceThatEndsBeforeAnnouncingIsAnError() {
        #expect(throws: ServiceError.self) {
            try ServiceProcess("/bin/sh", ["-c", "echo 'kv: nothing to serve' >&2; exit 2"], timeout: 10)
        }
    }

    @Test func announcementsAreParsedStrictly() {
        let text = """
            kv: listening on UDP port 7000
            kv: listening on UDP port x (port 7001 in the source)
            something else
            kv: listening on UDP port 51234 (port 0 in the source)
            kv: listening on UDP port 51235 (port 9 in the sauce)
            """
        #expect(ServiceProcess.announcedPorts(text) == [7000: 7000, 0: 51234])
    }
}

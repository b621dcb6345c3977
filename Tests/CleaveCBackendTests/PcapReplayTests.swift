// Services answering a recorded capture: `--netif pcap:IN:OUT` reads the UDP
// requests of IN, writes the replies to OUT and ends cleanly at the end of IN.
// The replies are read back from OUT and checked, with their addressing.

import CleaveTestSupport
import Foundation
import Testing

struct Replay {
    let status: Int32
    let stderr: String
    let replies: [UDPDatagram]
}

/// `requests` as datagrams to `port`, each from its own client (10.`net`.x.y, its own port).
func clientDatagrams(_ requests: [[UInt8]], to port: UInt16, net: UInt8, firstPort: UInt16) -> [UDPDatagram] {
    requests.enumerated().map {
        UDPDatagram(
            source: IPv4Address(10, net, UInt8($0.offset / 250), UInt8($0.offset % 250 + 1)),
            sourcePort: firstPort + UInt16($0.offset), destinationPort: port, payload: $0.element)
    }
}

/// Run `source`'s service over a capture of `requests` (raw extra records appended as given).
func replay(_ source: String, _ requests: [UDPDatagram], extraRecords: [[UInt8]] = [], name: String, build: [String] = [])
    throws -> Replay
{
    let exe = try BuiltServices.runnable(source, arguments: build)
    let dir = BuiltServices.directory
    let input = "\(dir)/\(name)-in.pcap"
    let output = "\(dir)/\(name)-out.pcap"
    var w = PcapWriter()
    for r in requests { w.append(r) }
    for raw in extraRecords { w.appendRecord(raw) }
    try w.write(to: input)
    let r = try runProcess(exe, ["--netif", "pcap:\(input):\(output)"])
    let replies = FileManager.default.fileExists(atPath: output) ? try Pcap.readUDP(output) : []
    return Replay(status: r.status, stderr: r.stderr, replies: replies)
}

@Suite struct PcapReplayTests {
    @Test func kvReplaysACapture() throws {
        let requests = ["SET a 1", "GET a", "GET b", "SET a 2", "GET a", "nonsense"].enumerated().map {
            UDPDatagram(
                source: IPv4Address(10, 0, 0, UInt8($0.offset + 1)), sourcePort: UInt16(40000 + $0.offset), destinationPort: 7000,
                payload: $0.element.bytes)
        }
        let r = try replay("Examples/kv/kv.clv", requests, name: "kv")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.replies.map { $0.payload.text } == ["STORED", "1", "NOT_FOUND", "STORED", "2", "ERROR"])
        // Each reply goes back to its requester, from the port it asked.
        for (q, a) in zip(requests, r.replies) {
            #expect(a.destination == q.source && a.destinationPort == q.sourcePort)
            #expect(a.source == q.destination && a.sourcePort == q.destinationPort)
        }
        #expect(r.stderr.contains("received 6, sent 6, dropped 0"))
    }

    @Test func everyExampleReplaysDeterministically() throws {
        let cases: [(String, UInt16, [String], [String])] = [
            ("Examples/echo/echo.clv", 8080, ["a", "", "hello"], ["a", "", "hello"]),
            ("Examples/facfib/facfib.clv", 8080, ["5", "x"], ["120", "invalid input"]),
            ("Examples/sort/sort.clv", 8080, ["3 1 2", "5 -5"], ["1 2 3", "-5 5"]),
            ("Examples/montecarlo/montecarlo.clv", 8080, ["1", "-3"], ["4.0", "invalid input"]),
        ]
        for (source, port, requests, expected) in cases {
            let datagrams = requests.enumerated().map {
                UDPDatagram(sourcePort: UInt16(50000 + $0.offset), destinationPort: port, payload: $0.element.bytes)
            }
            let name = URL(fileURLWithPath: source).deletingPathExtension().lastPathComponent
            let first = try replay(source, datagrams, name: name + "-1")
            let second = try replay(source, datagrams, name: name + "-2")
            #expect(first.status == 0, "\(source): \(first.stderr)")
            #expect(first.replies.map { $0.payload.text } == expected, "\(source)")
            #expect(first.replies == second.replies, "\(source): two replays differ")
        }
    }

    @Test func facfibDispatchesOnTheLocalPort() throws {
        let requests = [
            UDPDatagram(sourcePort: 1111, destinationPort: 8080, payload: "10".bytes),
            UDPDatagram(sourcePort: 1112, destinationPort: 8081, payload: "10".bytes),
            UDPDatagram(sourcePort: 1113, destinationPort: 9999, payload: "10".bytes),
        ]
        let r = try replay("Examples/facfib/facfib.clv", requests, name: "facfib-ports")
        #expect(r.status == 0)
        #expect(r.replies.map { $0.payload.text } == ["3628800", "55"])
        #expect(r.stderr.contains("not for this service 1"))
    }
}

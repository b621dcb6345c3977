// Bad input never crashes a service: garbage, empty and maximum-size
// datagrams get an answer (or are dropped and counted) and the service keeps
// serving; frames that are not UDP datagrams at all are dropped and counted.

import CleaveTestSupport
import Foundation
import Testing

@Suite struct BadInputTests {
    static let examples: [(String, Int, Int, String, String)] = [
        // source, ports, the port to ask, a good request, its reply
        ("Examples/echo/echo.clv", 1, 8080, "ping", "ping"),
        ("Examples/kv/kv.clv", 1, 7000, "GET nothing", "NOT_FOUND"),
        ("Examples/facfib/facfib.clv", 2, 8080, "6", "720"),
        ("Examples/sort/sort.clv", 1, 8080, "2 1", "1 2"),
        ("Examples/montecarlo/montecarlo.clv", 1, 8080, "1", "4.0"),
    ]

    @Test(arguments: examples.map(\.0))
    func garbageEmptyAndLargestDatagrams(_ source: String) throws {
        let (_, ports, port, good, answer) = try #require(Self.examples.first { $0.0 == source })
        try withService(source, ports: ports) { s, c throws in
            let to = s.port(port)
            var rng = SplitMix64(state: 17)
            let garbage = (0..<300).map { _ in UInt8(rng.below(256)) }
            let largest = (0..<65_507).map { _ in UInt8(rng.below(256)) }
            let digits = [UInt8](repeating: UInt8(ascii: "9"), count: 65_507)
            for payload in [garbage, [], largest, digits, [0], [0xff, 0xfe, 0xfd]] {
                _ = try c.request(payload, to: to, timeout: 30)
                // Still serving, and still right.
                #expect(try c.request(good.bytes, to: to, timeout: 30)?.text == answer, "\(source) after \(payload.count) bytes")
            }
        }
    }

    /// SIGUSR1 prints the counters and the service goes on; SIGTERM prints them again and ends it.
    @Test func countersOnSIGUSR1AndAtTheEnd() throws {
        let exe = try BuiltServices.executable("Examples/echo/echo.clv")
        let service = try ServiceProcess(exe, ["--netif", "udp:0"])
        let client = try UDPClient()
        for _ in 0..<3 { #expect(try client.request("x".bytes, to: service.port(8080))?.text == "x") }
        // The service counts a reply once the kernel has taken it, just after the client may see it.
        Thread.sleep(forTimeInterval: 0.2)
        kill(service.pid, SIGUSR1)
        Thread.sleep(forTimeInterval: 0.2)
        #expect(try client.request("still here".bytes, to: service.port(8080))?.text == "still here")
        let end = service.stop()
        #expect(end.status == 0)
        #expect(end.stderr.contains("received 3, sent 3, dropped 0"), "\(end.stderr)")
        #expect(end.stderr.contains("received 4, sent 4, dropped 0"), "\(end.stderr)")
    }

    @Test func anOversizedReplyIsDroppedAndCountedByEveryNetif() throws {
        // 65507 bytes is the most a UDP datagram carries; 65508 is dropped, whatever the netif.
        let source = "Tests/Inputs/Services/oversized.clv"
        for build in [[], ["--target", "isolated"]] {
            let service = try ServiceProcess(BuiltServices.runnable(source, arguments: build), ["--netif", "udp:0"])
            let client = try UDPClient()
            #expect(try client.request("10".bytes, to: service.port(9800))?.count == 10, "\(build)")
            #expect(try client.request("65508".bytes, to: service.port(9800), timeout: 0.5) == nil, "\(build)")
            #expect(try client.request("65507".bytes, to: service.port(9800))?.count == 65507, "\(build)")
            let end = service.stop()
            #expect(end.stderr.contains("received 3, sent 2, dropped 1 (malformed 0, oversized 1,"), "udp \(build): \(end.stderr)")
            let requests = ["10", "65508", "65507", "70000"].map { UDPDatagram(sourcePort: 3000, destinationPort: 9800, payload: $0.bytes) }
            let r = try replay(source, requests, name: "oversized-\(build.count)", build: build)
            #expect(r.replies.map(\.payload.count) == [10, 65507], "pcap \(build)")
            #expect(r.stderr.contains("received 4, sent 2, dropped 2 (malformed 0, oversized 2,"), "pcap \(build): \(r.stderr)")
        }
    }

    @Test func framesThatAreNotDatagramsAreDroppedAndCounted() throws {
        var rng = SplitMix64(state: 23)
        let good = UDPDatagram(sourcePort: 4000, destinationPort: 7000, payload: "SET k v".bytes)
        let frame = Packet.frame(good)
        var truncated = frame
        truncated.removeLast(3)
        var badChecksum = frame
        badChecksum[14 + 10] ^= 0xff
        let junk = (0..<60).map { _ in UInt8(rng.below(256)) }
        let r = try replay(
            "Examples/kv/kv.clv", [good], extraRecords: [truncated, badChecksum, junk, [], Array(frame.prefix(20))], name: "kv-bad")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.replies.map { $0.payload.text } == ["STORED"])
        #expect(r.stderr.contains("received 1, sent 1, dropped 5"), "\(r.stderr)")
        // Isolated, the device's component drops and counts them alike; the launcher prints its counters.
        let isolated = try replay(
            "Examples/kv/kv.clv", [good], extraRecords: [truncated, badChecksum, junk, [], Array(frame.prefix(20))],
            name: "kv-bad-isolated", build: ["--target", "isolated"])
        #expect(isolated.status == 0, "\(isolated.stderr)")
        #expect(isolated.replies.map { $0.payload.text } == ["STORED"])
        #expect(isolated.stderr.contains("received 1, sent 1, dropped 5"), "\(isolated.stderr)")
    }
}

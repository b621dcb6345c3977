// The built-ins as the generated C runs them, against what Swift answers for
// the same code: Tests/Inputs/Services/features.clv computes with enums and
// switch, arrays and closures, maps in insertion order, Double formatting,
// wrapping and shifting integers, Bytes accessors, value semantics of a
// struct holding an array, and a state whose fields change in place; each
// expected reply below is what the same Swift code prints.

import CleaveTestSupport
import Foundation
import Testing

@Suite struct SemanticsTests {
    static let cases: [(String, String)] = [
        ("shapes 3", "27,12,0"),
        // [0,7,3,10,6,2,9,5,1] → insert 100 at 0, remove at 1 (0), swap the ends.
        ("arrays 9", "0 [10,6,2,100] 143 [100,10,9,7,6,5,3,2,1] 1 100 1 100 true 8 [100,5,9,2,6,10,3,7,1] 0:1 1:7"),
        ("maps 12", "3 11 k2=7,k3=8,k4=9 k2+k3+k4 true"),
        ("numbers 3", "0.375 0.30000000000000004 1e-07 123456789.0 -2.5 1e+20 253 576460752303423488 -7 3 3 -42 0"),
        ("bytes 258", "8 65 258 hello, world HELLO, WORLD 5 true Hello"),
        // A copy of a struct keeps its own array when the original appends.
        ("counter 4", "4 10 5 1010"),
        ("log 1", "1 1 1"),
        ("log 22", "2 1|22 2"),
        ("log 333", "3 1|22|333 3"),
        ("log 4444", "3 22|333|4444 4"),
        ("log 55555", "3 333|4444|55555 5"),
        // One part of a struct in a state's field replaced, another appended to in place (the
        // third name removed once there are five), request after request; the first name
        // changed in a copy, never in the state.
        ("pair 1", "2 first+second+1 first!"),
        ("pair 2", "2 first+second+1+2 first!"),
        ("pair 3", "2 first+second+2+3 first!"),
        ("pair 4", "2 first+second+3+4 first!"),
        ("nonsense", "?"),
    ]

    @Test func builtInsAnswerAsInSwift() throws {
        try withService("Tests/Inputs/Services/features.clv") { s, c throws in
            for (request, expected) in Self.cases {
                #expect(try c.request(request.bytes, to: s.port(9100))?.text == expected, "\(request)")
            }
        }
    }

    /// The same service built with clang's address and undefined-behavior sanitizers: no report.
    @Test func noSanitizerReport() throws {
        let exe = try BuiltServices.executable(
            "Tests/Inputs/Services/features.clv",
            environment: ["CC": "clang", "CFLAGS": "-fsanitize=address,undefined -fno-sanitize-recover=undefined -g"],
            tag: "sanitized")
        let dir = BuiltServices.directory
        var capture = PcapWriter()
        for _ in 0..<3 {
            for (request, _) in Self.cases {
                capture.append(UDPDatagram(sourcePort: 6002, destinationPort: 9100, payload: request.bytes))
            }
        }
        try capture.write(to: "\(dir)/sanitized-in.pcap")
        let r = try runProcess(
            exe, ["--netif", "pcap:\(dir)/sanitized-in.pcap:\(dir)/sanitized-out.pcap"],
            environment: ["ASAN_OPTIONS": "detect_leaks=0"])
        #expect(r.status == 0, "\(r.stderr.prefix(3000))")
        #expect(!r.stderr.contains("Sanitizer"), "\(r.stderr.prefix(3000))")
        #expect(!r.stderr.contains("runtime error"), "\(r.stderr.prefix(3000))")
        #expect(try Pcap.readUDP("\(dir)/sanitized-out.pcap").count == 3 * Self.cases.count)
    }

    /// A reply larger than a UDP datagram can carry is dropped and counted, and the service goes on.
    @Test func aReplyTooLargeForUDPIsDroppedAndCounted() throws {
        let requests = ["big 65507", "big 65508", "big 100000", "shapes 1"].map {
            UDPDatagram(sourcePort: 6001, destinationPort: 9100, payload: $0.bytes)
        }
        let r = try replay("Tests/Inputs/Services/features.clv", requests, name: "features-big")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.replies.map(\.payload.count) == [65_507, 5])
        #expect(r.stderr.contains("received 4, sent 2, dropped 2"), "\(r.stderr)")
        #expect(r.stderr.contains("oversized 2"), "\(r.stderr)")
    }

    @Test func theSameOverACapture() throws {
        let requests = Self.cases.map { UDPDatagram(sourcePort: 6000, destinationPort: 9100, payload: $0.0.bytes) }
        let r = try replay("Tests/Inputs/Services/features.clv", requests, name: "features")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.replies.map { $0.payload.text } == Self.cases.map(\.1))
    }
}

@Suite struct MinMaxTests {
    /// `min(a, b)` once always answered `a`: the C backend's shortcut for `min(x, x)` matched
    /// every `min`. Found by a longer run of the generated programs.
    @Test func minAndMaxAnswerAsInSwift() throws {
        let dir = Scratch.path("minmax")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let source = """
            func main() {
                let a = 7
                let b = 3
                let xs = [5, 1, 9]
                let small = xs.filter { $0 > min($0, 4) }
                print("\\(min(a, b)) \\(max(a, b)) \\(min(b, a)) \\(max(b, a)) \\(min(-2, 2)) \\(max(Bytes("ab"), Bytes("b"))) \\(small.count) \\(min(a, a))")
            }
            """
        try source.write(toFile: "\(dir)/minmax.clv", atomically: true, encoding: .utf8)
        let build = try runProcess(Repo.cleaveBinary, ["build", "\(dir)/minmax.clv", "-o", "\(dir)/minmax"])
        #expect(build.status == 0, "\(build.stderr)")
        let run = try runProcess("\(dir)/minmax", [])
        // `print` writes to standard error, before the counters.
        #expect(run.stderr.hasPrefix("3 7 3 7 -2 b 2 7\n"), "\(run.stderr)")
    }
}

// Every example and every service of Tests/Inputs/Services built once more,
// runtime and generated C, under the address and undefined-behavior
// sanitizers (`CFLAGS`, which `cleave build` passes to the C compiler), as a
// unikernel, from the projected program and isolated, and served the same
// recorded requests as the normal build of the same kind: the replies must be
// byte-identical, the exit status and counters the same, and no sanitizer may
// say anything.
//
// What a sanitized build checks beyond the normal one: every read and write
// of the runtime and of the generated code, in malloc'd memory and in the
// regions (which poison what they have not handed out in such a build,
// core/heap.c); undefined behavior, which stops the process at once; and, at the
// clean end of the unikernel and projected builds, leaks: anything allocated
// that the service no longer reaches (hosted/platform.c). The isolated build's
// sandboxed processes run without the leak check, which needs ptrace; their
// sandboxes allow what the sanitizer's reports need, in such a build only
// (isolated/sandbox.c). The C compiler is `cc`, or `$CC`.

import CleaveTestSupport
import Foundation
import Testing

@Suite struct SanitizerTests {
    static let flags = "-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g"

    /// A service and the capture it is served: its frames, as records.
    struct Service: Sendable, CustomStringConvertible {
        let source: String
        let records: [[UInt8]]
        var description: String { source }
    }

    static func datagrams(_ requests: [String], port: UInt16) -> [[UInt8]] {
        clientDatagrams(requests.map { Array($0.utf8) }, to: port, net: 4, firstPort: 50000).map { Packet.frame($0) }
    }

    static let services: [Service] = [
        Service(
            source: "Examples/echo/echo.clv",
            records: datagrams(["", "a", "hello world", String(repeating: "z", count: 1400)], port: 8080)),
        Service(
            source: "Examples/facfib/facfib.clv",
            records: datagrams(["0", "1", "20", "100", "x", "-1", "30"], port: 8080) + datagrams(["0", "1", "90", "500", "y"], port: 8081)),
        Service(
            source: "Examples/kv/kv.clv",
            records: ProjectedBuildTests.kvRequests(count: 300, seed: 21).map {
                Packet.frame(UDPDatagram(sourcePort: 40000, destinationPort: 7000, payload: $0))
            }),
        Service(source: "Examples/montecarlo/montecarlo.clv", records: datagrams(["1", "10", "1000", "-3", "x"], port: 8080)),
        Service(source: "Examples/smoltcp-loop/smoltcp-loop.clv", records: SmoltcpLoopTests.cases().map(\.frame)),
        Service(source: "Examples/sort/sort.clv", records: datagrams(["3 1 2", "", "5 -5 0 9 9 1", "a b", "42"], port: 8080)),
        Service(
            source: "Examples/dns/dns.clv",
            records: clientDatagrams(
                [
                    DNSWire.query("www.example.com"), DNSWire.query("x.wild.example.com", type: 16),
                    DNSWire.query("nothing.example.com"), DNSWire.query("host.sub.example.com"),
                    DNSWire.query("huge.example.com", type: 16), DNSWire.query("example.com", type: 255),
                    Array(DNSWire.query("example.com").prefix(20)), [], [0x12],
                ], to: 5300, net: 4, firstPort: 50000
            ).map { Packet.frame($0) }),
        Service(source: "Tests/Inputs/Services/absent.clv", records: datagrams(AbsentValueTests.requests, port: 9600)),
        Service(
            source: "Tests/Inputs/Services/features.clv",
            records: datagrams(SemanticsTests.cases.map(\.0) + ["big 65507", "big 65508"], port: 9100)),
        Service(source: "Tests/Inputs/Services/oversized.clv", records: datagrams(["10", "65508", "65507", "70000", "0"], port: 9800)),
        Service(
            source: "Tests/Inputs/Services/stages.clv",
            records: ProjectedBuildTests.stagesRequests(count: 200, seed: 6).map {
                Packet.frame(UDPDatagram(sourcePort: 40001, destinationPort: 9200, payload: $0))
            }),
        // The last request traps: the way out of a trap, sanitized too.
        Service(
            source: "Tests/Inputs/Services/traps.clv",
            records: datagrams(["overflow 0", "index 2", "convert 0", "overflow 1", "nonsense", "index 5"], port: 9000)),
    ]

    /// Every example and every service there is must be in the table above.
    /// A TCP service and the streams it is sent, each on a connection of its own.
    struct TcpService: Sendable, CustomStringConvertible {
        let source: String
        let streams: [[UInt8]]
        var description: String { source }
    }

    static let tcpServices: [TcpService] = {
        func b(_ s: String) -> [UInt8] { Array(s.utf8) }
        let get = "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
        return [
            TcpService(
                source: "Examples/http/http.clv",
                streams: [
                    b(String(repeating: get, count: 20) + "GET /numbers.html HTTP/1.1\r\nHost: x\r\n\r\n"),
                    b("HEAD /about.html HTTP/1.0\r\n\r\n"), b("GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n" + get),
                    b("GET / HTTP/1.1\r\n\r\n"), b("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"),
                    b("GET /" + String(repeating: "a", count: 9000) + " HTTP/1.1\r\n\r\n"), [0, 1, 2, 255, 13, 10, 13, 10],
                ]),
            TcpService(
                source: "Examples/resp-kv/resp-kv.clv",
                streams: [
                    b("*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$4\r\nINCR\r\n$1\r\na\r\n"),
                    b("*2\r\n$3\r\nGET\r\n$1\r\na\r\n*3\r\n$3\r\nDEL\r\n$1\r\na\r\n$1\r\nb\r\nPING hello\r\n"),
                    b("*2\r\n$4\r\nINCR\r\n$1\r\nx\r\n*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$3\r\nabc\r\n*2\r\n$4\r\nINCR\r\n$1\r\nx\r\n"),
                    b("*1\r\n$3\r\nFOO\r\n"), b("*x\r\n"), b("*1\r\n$-5\r\n"), b("*1\r\nx3\r\n"), b("GET\r\n"),
                ]),
            TcpService(
                source: "Tests/Inputs/Services/lines.clv",
                streams: [
                    b("ECHO a\nBIG 70000\nCOUNT\nOPEN\nnonsense\n"), b("ECHO half"), b("CLOSE\nECHO never\n"),
                    b(String(repeating: "y", count: 5000)),
                ]),
        ]
    }()

    @Test func everyServiceIsServedSanitized() {
        let all = Repo.examples + Repo.files(in: "Tests/Inputs/Services", withExtension: "clv")
        #expect(
            all.map { String($0.dropFirst(Repo.root.path.count + 1)) }.sorted()
                == (Self.services.map(\.source) + Self.tcpServices.map(\.source)).sorted())
    }

    /// The replies to `streams`, each sent on a connection of its own and read until the service
    /// closes it or goes quiet, and the service's end.
    static func serve(_ executable: String, _ streams: [[UInt8]]) throws -> ([[UInt8]], ProcessResult) {
        let service = try ServiceProcess(executable, ["--netif", "tcp:0"])
        let port = service.ports.values.first ?? 0
        var replies: [[UInt8]] = []
        for stream in streams {
            let c = try TCPClient(port: port)
            try c.send(stream)
            var reply: [UInt8] = []
            while true {
                let (got, ended) = c.receive(timeout: 0.5) { !$0.isEmpty }
                reply += got
                if ended || got.isEmpty { break }
            }
            replies.append(reply)
        }
        return (replies, service.stop())
    }

    @Test(arguments: tcpServices)
    func sanitizedTcpServicesAnswerAsTheNormalOnesDo(_ service: TcpService) throws {
        let name = URL(fileURLWithPath: service.source).deletingPathExtension().lastPathComponent
        for (kind, arguments) in [("unikernel", [String]()), ("isolated", ["--target", "isolated"])] {
            let normal = try BuiltServices.runnable(service.source, arguments: arguments)
            var sanitized = try BuiltServices.executable(
                service.source, environment: ["CFLAGS": Self.flags], tag: "sanitized", arguments: arguments)
            if kind == "isolated" { sanitized += "/run" }
            let (expected, n) = try Self.serve(normal, service.streams)
            let (replies, s) = try Self.serve(sanitized, service.streams)
            let what = "\(service.source), \(kind), sanitized"
            let said = s.stderr.split(separator: "\n").filter { !$0.contains("ASan doesn't fully support makecontext/swapcontext") }
            for report in ["Sanitizer", "runtime error", "=================", "killed by its sandbox", "WARNING"] {
                #expect(!said.contains { $0.contains(report) }, "\(what): \(s.stderr.prefix(6000))")
            }
            #expect(s.status == n.status && s.status == 0, "\(what): status \(s.status), not \(n.status): \(s.stderr.prefix(6000))")
            #expect(replies == expected, "\(what): the replies differ from the normal build's")
            #expect(expected.allSatisfy { !$0.isEmpty } || name == "lines", "\(what): a stream got no reply")
            let counters = { (text: String) in text.split(separator: "\n").filter { $0.hasPrefix("\(name): connections") } }
            #expect(counters(s.stderr) == counters(n.stderr) && !counters(n.stderr).isEmpty, "\(what): \(s.stderr.prefix(3000))")
        }
    }

    /// Serve `records` with `executable`: how it ended, and the capture of its replies.
    static func serve(_ executable: String, _ records: [[UInt8]], name: String, isolated: Bool) throws -> (ProcessResult, Data?) {
        let dir = BuiltServices.directory
        var w = PcapWriter()
        for r in records { w.appendRecord(r) }
        try w.write(to: "\(dir)/\(name)-in.pcap")
        try? FileManager.default.removeItem(atPath: "\(dir)/\(name)-out.pcap")
        // A sanitized component runs slower; the launcher's stall timeout is about liveness, not this.
        let options = isolated ? ["--stall-timeout", "0"] : []
        let r = try runProcess(
            executable, ["--netif", "pcap:\(dir)/\(name)-in.pcap:\(dir)/\(name)-out.pcap"] + options,
            environment: ["UBSAN_OPTIONS": "print_stacktrace=1"])
        return (r, FileManager.default.contents(atPath: "\(dir)/\(name)-out.pcap"))
    }

    @Test(arguments: services)
    func sanitizedBuildsAnswerAsTheNormalOnesDo(_ service: Service) throws {
        let name = URL(fileURLWithPath: service.source).deletingPathExtension().lastPathComponent
        let builds: [(String, [String])] = [
            ("unikernel", []), ("projected", ["--from-stage", "projected"]), ("isolated", ["--target", "isolated"]),
        ]
        for (kind, arguments) in builds {
            let isolated = kind == "isolated"
            let normal = try BuiltServices.runnable(service.source, arguments: arguments)
            var sanitized = try BuiltServices.executable(
                service.source, environment: ["CFLAGS": Self.flags], tag: "sanitized", arguments: arguments)
            if isolated { sanitized += "/run" }
            let (n, expected) = try Self.serve(normal, service.records, name: "\(name)-\(kind)-normal", isolated: isolated)
            let (s, replies) = try Self.serve(sanitized, service.records, name: "\(name)-\(kind)-sanitized", isolated: isolated)
            let what = "\(service.source), \(kind), sanitized"
            // The sanitizer's swapcontext warns once, whatever the program does; the projected
            // build's switches are announced to it (components.c). Nothing else may be said.
            let said = s.stderr.split(separator: "\n").filter { !$0.contains("ASan doesn't fully support makecontext/swapcontext") }
            for report in ["Sanitizer", "runtime error", "=================", "killed by its sandbox", "WARNING"] {
                #expect(!said.contains { $0.contains(report) }, "\(what): \(s.stderr.prefix(6000))")
            }
            #expect(s.status == n.status, "\(what): status \(s.status), not \(n.status): \(s.stderr.prefix(6000))")
            #expect(expected != nil && replies == expected, "\(what): the replies differ from the normal build's")
            let counters = { (text: String) in text.split(separator: "\n").filter { $0.hasPrefix("\(name): received") } }
            #expect(counters(s.stderr) == counters(n.stderr), "\(what): \(s.stderr.prefix(3000))")
        }
    }
}

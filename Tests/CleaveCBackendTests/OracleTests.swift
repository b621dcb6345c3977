// Every example and test service, held against the reference interpreter
// (`cleave run --interpret`), which runs the typed program as written and shares
// nothing with the compiler past the checker. One capture of requests is
// answered by the interpreter and by each build: the unikernel, the projected
// program (components as coroutines of one thread), and the isolated target in
// several partitions. Each must answer as the interpreter does: the same reply
// datagrams, the same standard error (the program's prints, a trap's message,
// the counters; an isolated launcher's own supervision lines set aside), the
// same exit status.

import CleaveTestSupport
import Foundation
import Testing

@Suite struct OracleTests {
    struct Answer {
        let status: Int32
        let lines: [Substring]
        let replies: [UDPDatagram]
        /// Datagrams an isolated build's device read ahead, by its launcher's report.
        let readAhead: Int
    }

    /// What the program wrote, without the compiler's warnings before it ran and without an
    /// isolated launcher's lines about its components.
    static func programLines(_ stderr: String) -> [Substring] {
        var lines = stderr.split(separator: "\n")
        if let end = lines.lastIndex(where: { $0.hasSuffix(" generated.") && $0.first?.isNumber == true }) {
            lines.removeFirst(end + 1)
        }
        return lines.filter {
            let said = $0.drop { $0 != ":" }
            return !said.hasPrefix(": component ") && !said.hasPrefix(": restarting ")
        }
    }

    /// The interpreter's answer to `datagrams`, and each build's; every build must agree. Returns
    /// how many datagrams each build read ahead.
    @discardableResult
    func expectAgreement(
        _ source: String, _ datagrams: [UDPDatagram], partitions: [String?] = [nil], burst: Int = 16,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> [String: Int] {
        var readAhead: [String: Int] = [:]
        let name = URL(fileURLWithPath: source).deletingPathExtension().lastPathComponent
        // A directory of its own: tests with arguments run at once.
        let dir = Scratch.path("oracle-\(name)-\(UUID().uuidString)")
        // In bursts of requests captured at one instant (16 by default): an isolated build's device reads the
        // rest of a burst ahead while its peers answer (Passes/Lookahead.swift), where it may.
        var capture = PcapWriter()
        capture.burst = burst
        for d in datagrams { capture.append(d) }
        try capture.write(to: "\(dir)/in.pcap")
        func answer(_ program: String, _ arguments: [String], out: String) throws -> Answer {
            let r = try runProcess(program, arguments + ["--netif", "pcap:\(dir)/in.pcap:\(dir)/\(out)"])
            let replies = FileManager.default.fileExists(atPath: "\(dir)/\(out)") ? try Pcap.readUDP("\(dir)/\(out)") : []
            let ahead = r.stderr.split(separator: "\n").compactMap { line -> Int? in
                guard let at = line.range(of: " datagrams read ahead") ?? line.range(of: " datagram read ahead") else { return nil }
                return Int(line[..<at.lowerBound].split(separator: " ").last ?? "")
            }
            return Answer(status: r.status, lines: Self.programLines(r.stderr), replies: replies, readAhead: ahead.reduce(0, +))
        }
        let oracle = try answer(Repo.cleaveBinary, ["run", "--interpret", Repo.path(source), "--"], out: "oracle.pcap")
        #expect(
            !oracle.replies.isEmpty || oracle.status != 0, "\(source): the interpreter answered nothing", sourceLocation: sourceLocation)
        var builds: [(String, String)] = [("unikernel", try BuiltServices.runnable(source))]
        builds.append(("projected", try BuiltServices.runnable(source, arguments: ["--from-stage", "projected"])))
        for p in partitions {
            let arguments = ["--target", "isolated"] + (p.map { ["--partition", $0] } ?? [])
            builds.append(("isolated \(p ?? "(a component per state)")", try BuiltServices.runnable(source, arguments: arguments)))
        }
        for (k, (what, program)) in builds.enumerated() {
            let a = try answer(program, [], out: "build-\(k).pcap")
            readAhead[what] = a.readAhead
            #expect(
                a.status == oracle.status, "\(source), \(what): exit \(a.status), the interpreter \(oracle.status)",
                sourceLocation: sourceLocation)
            let sameReplies = a.replies == oracle.replies
            let sameLines = a.lines == oracle.lines
            #expect(
                sameReplies,
                "\(source), \(what): \(a.replies.count) replies, the interpreter \(oracle.replies.count); first different: \(zip(a.replies, oracle.replies).first { $0 != $1 }.map { "\($0.0.payload.text) | \($0.1.payload.text)" } ?? "-")",
                sourceLocation: sourceLocation)
            #expect(
                sameLines,
                "\(source), \(what): standard error differs at line \(zip(a.lines, oracle.lines).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(a.lines.count, oracle.lines.count)): \(a.lines.suffix(2)) | \(oracle.lines.suffix(2))",
                sourceLocation: sourceLocation)
        }
        return readAhead
    }

    static func datagrams(_ requests: [String], to port: UInt16) -> [UDPDatagram] {
        clientDatagrams(requests.map { Array($0.utf8) }, to: port, net: 7, firstPort: 31000)
    }

    @Test func echo() throws {
        try expectAgreement(
            "Examples/echo/echo.clv", Self.datagrams(["", "a", "hello world", String(repeating: "z", count: 1400)], to: 8080))
    }

    @Test func kv() throws {
        let requests = ProjectedBuildTests.kvRequests(count: 300, seed: 77)
        let ahead = try expectAgreement(
            "Examples/kv/kv.clv", clientDatagrams(requests, to: 7000, net: 7, firstPort: 31000), partitions: [nil, "device,store"])
        // The device read the bursts ahead, and still answered as the interpreter does.
        #expect((ahead["isolated (a component per state)"] ?? 0) > 100, "\(ahead)")
    }

    @Test func facfib() throws {
        let requests = ["0", "1", "5", "20", "21", "100", "x", "-1", "", "30"]
        try expectAgreement("Examples/facfib/facfib.clv", Self.datagrams(requests, to: 8080) + Self.datagrams(requests, to: 8081))
    }

    @Test func sort() throws {
        try expectAgreement("Examples/sort/sort.clv", Self.datagrams(["3 1 2", "", "5 -5 0 9 9 1", "a b", "42", "  7  3 "], to: 8080))
    }

    @Test func montecarlo() throws {
        try expectAgreement("Examples/montecarlo/montecarlo.clv", Self.datagrams(["1", "10", "1000", "-3", "x", "0"], to: 8080))
    }

    @Test func features() throws {
        try expectAgreement(
            "Tests/Inputs/Services/features.clv", Self.datagrams(SemanticsTests.cases.map(\.0), to: 9100),
            partitions: [nil, "device,log|keeper"])
    }

    @Test func stages() throws {
        let requests = ProjectedBuildTests.stagesRequests(count: 200, seed: 8)
        try expectAgreement(
            "Tests/Inputs/Services/stages.clv", clientDatagrams(requests, to: 9200, net: 7, firstPort: 31000),
            partitions: [nil, "device,stack|store,stats"])
    }

    @Test(arguments: ["overflow 1", "index 7", "unwrap 3", "divide 4", "convert 9", "fatal 5"])
    func traps(_ request: String) throws {
        // A few harmless requests, then one that traps, then more that must never be answered.
        try expectAgreement(
            "Tests/Inputs/Services/traps.clv", Self.datagrams(["none 1", "none 2", request, "none 3"], to: 9000))
    }

    @Test func aTrapThatMayComeIsOrderedBeforeTheEffectsAfterIt() throws {
        // The 40th request, of one byte, traps in the device's component; the log, which takes no
        // part in that test, prints for every request after it, never for that one.
        let requests = (1...60).map { $0 == 40 ? "x" : "request \($0)" }
        try expectAgreement(
            "Tests/Inputs/Isolated/trap-then-print.clv", Self.datagrams(requests, to: 9720),
            partitions: [nil, "device|log,ticker", "device,ticker|log"], burst: 1)
    }

    @Test func oversizedReplies() throws {
        try expectAgreement("Tests/Inputs/Services/oversized.clv", Self.datagrams(["10", "65508", "65507", "70000", "0"], to: 9800))
    }

    @Test func counterInStep() throws {
        // Bursts of 7, the 256th request trapping in the middle of one. The device does not read
        // ahead here: the program prints after its first wait (Passes/Lookahead.swift).
        let requests = (1...270).map { "request \($0)" }
        try expectAgreement(
            "Tests/Inputs/Isolated/counter.clv", Self.datagrams(requests, to: 9600),
            partitions: [nil, "device,count|formatter", "device|count,formatter"], burst: 7)
    }

    @Test func aPeerTrapsWhileTheDeviceHasReadAhead() throws {
        // Bursts of 7, the 18th request trapping in the store: the device has read some of its
        // burst ahead, which never reach the program and are not counted as received. Whether it
        // has is up to the scheduler: every run must agree, and a few more are made until one has.
        let requests = (1...30).map { $0 == 18 ? "x" : "request \($0)" }
        var ahead = try expectAgreement("Tests/Inputs/Isolated/ahead-trap.clv", Self.datagrams(requests, to: 9730), burst: 7)
        for _ in 0..<6 where (ahead["isolated (a component per state)"] ?? 0) == 0 {
            ahead = try expectAgreement("Tests/Inputs/Isolated/ahead-trap.clv", Self.datagrams(requests, to: 9730), burst: 7)
        }
        #expect((ahead["isolated (a component per state)"] ?? 0) > 0, "\(ahead)")
    }
}

// The net module's TcpDevice, on both hosted targets, through a line service
// (Tests/Inputs/Services/lines.clv) and real sockets: events in order for requests
// split and pipelined any way, a peer's half-close, a close by the program after a
// large reply, back-pressure on a peer that does not read, thousands of connections
// opened and dropped, random bytes and slow senders. Each target must answer alike
// and end with the same counters; a TcpDevice on Cleave's own stack is an error.

import CleaveTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct TcpDeviceTests {
    static let source = "Tests/Inputs/Services/lines.clv"
    static let targets = ["unikernel", "isolated"]

    static func start(_ target: String) throws -> ServiceProcess { try BuiltServices.tcpService(source, target: target) }

    /// Resident memory of the service and its components, in kB.
    static func resident(_ service: ServiceProcess) throws -> Int {
        try ([service.pid] + service.children().values).reduce(0) { $0 + (try residentKilobytes($1)) }
    }

    static func line(_ c: TCPClient, timeout: Double = 5) -> String {
        let got = c.receive(timeout: timeout) { $0.last == 10 }.bytes
        return String(decoding: got, as: UTF8.self)
    }

    static func digits(_ n: Int) -> [UInt8] { (0..<n).map { UInt8(48 + $0 % 10) } + [10] }

    /// What one scripted session sees: the same requests, split and pipelined in a fixed way,
    /// on three connections at once.
    static func transcript(port: UInt16) throws -> [UInt8] {
        var rng = SplitMix64(state: 7)
        let clients = try (0..<3).map { _ in try TCPClient(port: port) }
        var out: [UInt8] = []
        for c in clients { out += Array(Self.line(c).utf8) }
        var requests: [UInt8] = []
        for i in 0..<300 {
            switch i % 5 {
            case 0: requests += Array("ECHO request \(i)\n".utf8)
            case 1: requests += Array("BIG \(rng.below(3000))\n".utf8)
            case 2: requests += Array("COUNT\n".utf8)
            case 3: requests += Array("nonsense \(i)\n".utf8)
            default: requests += Array("ECHO\n".utf8)
            }
        }
        // Split at random places, sent in turn on each connection, replies read at the end.
        for c in clients {
            var at = 0
            while at < requests.count {
                let n = min(1 + rng.below(700), requests.count - at)
                try c.send(Array(requests[at..<(at + n)]))
                at += n
            }
        }
        for c in clients {
            try c.send("OPEN\nCLOSE\n")
            let (bytes, ended) = c.receiveToEnd()
            out += bytes
            out += Array("[ended: \(ended)]\n".utf8)
        }
        return out
    }

    /// Both targets see the same transcript and end with the same counters.
    @Test func targetsAnswerAlike() throws {
        var seen: [String: (transcript: [UInt8], counters: String)] = [:]
        for target in Self.targets {
            let service = try Self.start(target)
            let transcript = try Self.transcript(port: service.port(7100))
            let end = service.stop()
            #expect(end.status == 0, "\(target) did not end cleanly:\n\(end.stderr)")
            let counters = end.stderr.split(separator: "\n").filter { $0.contains(": connections ") }.joined(separator: "\n")
            seen[target] = (transcript, counters)
            // 3 greetings, 300 replies each, OPEN, bye: the lines a reading of the requests expects.
            let text = String(decoding: transcript, as: UTF8.self)
            #expect(text.components(separatedBy: "\n").filter { $0 == "?" }.count == 3 * 60, "\(target): \(text.prefix(400))")
            #expect(text.contains("ECHO request") == false && text.contains("request 295\n"), "\(target)")
            #expect(text.components(separatedBy: "[ended: true]").count == 4, "\(target) did not end every connection")
            #expect(counters.hasPrefix("lines: connections 3 (refused 0, reset 0), bytes received "), "\(target): \(end.stderr)")
        }
        #expect(seen["unikernel"]?.transcript == seen["isolated"]?.transcript, "the targets answered differently")
        #expect(seen["unikernel"]?.counters == seen["isolated"]?.counters, "the targets counted differently")
    }

    /// The replies of a request split at every byte, and of a burst in one write, come in order.
    @Test(arguments: targets)
    func splitAndPipelinedRequests(_ target: String) throws {
        let service = try Self.start(target)
        let c = try TCPClient(port: service.port(7100))
        _ = Self.line(c)
        for b in Array("ECHO one byte at a time\n".utf8) { try c.send([b]) }
        #expect(Self.line(c) == "one byte at a time\n")
        let burst = (0..<2000).map { "ECHO \($0)\n" }.joined()
        try c.send(burst + "COUNT\n")
        let expected = (0..<2000).map { "\($0)\n" }.joined() + "2002\n"
        let got = c.receive(count: expected.utf8.count, timeout: 10)
        #expect(String(decoding: got, as: UTF8.self) == expected)
        _ = service.stop()
    }

    /// A peer that ends its sending side after a request still gets the reply, then the end.
    @Test(arguments: targets)
    func halfClosedPeerGetsItsReplies(_ target: String) throws {
        let service = try Self.start(target)
        let c = try TCPClient(port: service.port(7100))
        _ = Self.line(c)
        try c.send("ECHO last words\nBIG 200000\n")
        c.shutdownWrite()
        let (bytes, ended) = c.receiveToEnd()
        #expect(bytes == Array("last words\n".utf8) + Self.digits(200_000))
        #expect(ended, "the service did not end the connection after the peer's end")
        let end = service.stop()
        #expect(end.stderr.contains("lines: connections 1 (refused 0, reset 0)"), "\(end.stderr)")
    }

    /// The program's close leaves after a large reply has been taken in full.
    @Test(arguments: targets)
    func closeByTheProgramFlushesFirst(_ target: String) throws {
        let service = try Self.start(target)
        let c = try TCPClient(port: service.port(7100))
        _ = Self.line(c)
        try c.send("BIG 5000000\nCLOSE\nECHO never answered\n")
        let (bytes, ended) = c.receiveToEnd(timeout: 20)
        #expect(bytes.count == 5_000_001 + 4 && bytes.suffix(4) == Array("bye\n".utf8), "got \(bytes.count) bytes")
        #expect(ended)
        _ = service.stop()
    }

    /// A peer that sends requests but reads nothing: the service stops reading it once a
    /// megabyte waits for it, so that the peer's sending stalls and the service's memory stays
    /// bounded; others are served meanwhile, and the peer gets every reply once it reads.
    @Test(arguments: targets)
    func slowReaderMeetsBackPressure(_ target: String) throws {
        let service = try Self.start(target)
        let port = service.port(7100)
        let before = try Self.resident(service)
        let slow = try TCPClient(port: port)
        _ = Self.line(slow)
        let payload = String(repeating: "x", count: 4000)
        let request = Array("ECHO \(payload)\n".utf8)  // 4,001 bytes back for 4,006
        var accepted = 0
        var rest: [UInt8] = []  // what the kernel did not take of the last request
        var stalled = 0
        // Offer 50,000 requests (200 MB); the kernel stops taking them once the service stops
        // reading and the sockets' buffers are full.
        while accepted < 50_000 && stalled <= 20 {
            if rest.isEmpty { rest = request }
            let n = slow.sendSome(rest)
            rest.removeFirst(n)
            if rest.isEmpty {
                accepted += 1
            } else {
                stalled += 1
                usleep(20_000)
            }
        }
        #expect(stalled > 20, "the service went on reading a peer that reads nothing (\(accepted) requests taken)")
        let other = try TCPClient(port: port)
        _ = Self.line(other)
        try other.send("ECHO still here\n")
        #expect(Self.line(other, timeout: 2) == "still here\n", "another connection was not served meanwhile")
        let during = try Self.resident(service)
        #expect(during - before < 16 * 1024, "memory grew from \(before) kB to \(during) kB")
        // Reading now, the peer gets the replies; the request it was in the middle of goes too.
        var replies: [UInt8] = []
        while !rest.isEmpty {
            replies += slow.receive(timeout: 0.05).bytes
            rest.removeFirst(slow.sendSome(rest))
            if rest.isEmpty { accepted += 1 }
        }
        let expected = accepted * (payload.count + 1)
        replies += slow.receive(count: expected - replies.count, timeout: 60)
        #expect(replies.count == expected, "the slow peer got \(replies.count) of \(expected) bytes")
        let end = service.stop()
        #expect(end.stderr.contains("(refused 0, reset 0)"), "\(end.stderr)")
    }

    /// Thousands of connections opened and dropped, in an orderly way or by a reset, some
    /// mid-request: the service answers throughout, forgets them all, and its memory stays flat.
    @Test(arguments: targets)
    func thousandsOfConnections(_ target: String) throws {
        var limit = rlimit()
        getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        if limit.rlim_cur < 4096 && limit.rlim_max >= 4096 {
            limit.rlim_cur = min(limit.rlim_max, 8192)
            setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        }
        let service = try Self.start(target)
        let port = service.port(7100)
        var early = 0
        var rng = SplitMix64(state: 11)
        for round in 0..<6 {
            let clients = try (0..<500).map { _ in try TCPClient(port: port) }
            for (i, c) in clients.enumerated() {
                switch rng.below(4) {
                case 0: try c.send("ECHO \(i)\n")
                case 1: try c.send("ECHO half a li")
                case 2: try c.send("BIG 100000\n")
                default: break
                }
            }
            for c in clients {
                if rng.chance(50) { c.reset() } else { c.close() }
            }
            let check = try TCPClient(port: port)
            _ = Self.line(check)
            try check.send("OPEN\n")
            // The dropped connections' ends may still be on their way: wait until they are all in.
            var open = Self.line(check)
            for _ in 0..<50 where open != "1\n" {
                usleep(100_000)
                try check.send("OPEN\n")
                open = Self.line(check)
            }
            #expect(open == "1\n", "round \(round): \(open) connections open, not this one alone")
            check.close()
            if round == 1 { early = try Self.resident(service) }
        }
        let late = try Self.resident(service)
        let end = service.stop()
        #expect(Double(late) <= Double(early) * 1.15 + 2048, "resident memory grew from \(early) kB to \(late) kB")
        #expect(end.status == 0 && end.stderr.contains("lines: connections 3006 (refused 0"), "\(end.stderr)")
        #expect(!end.stderr.contains("fatal error"))
    }

    /// Random bytes on many connections, and slow senders that never finish a line: nothing
    /// traps, and a well-behaved client is answered at once throughout.
    @Test(arguments: targets)
    func randomBytesAndSlowSenders(_ target: String) throws {
        let service = try Self.start(target)
        let port = service.port(7100)
        var rng = SplitMix64(state: 23)
        let slow = try (0..<200).map { _ in try TCPClient(port: port) }
        let good = try TCPClient(port: port)
        _ = Self.line(good)
        for step in 0..<40 {
            for c in slow { _ = c.sendSome([UInt8(65 + rng.below(26))]) }
            let noisy = try TCPClient(port: port)
            try noisy.send((0..<rng.below(9000)).map { _ in UInt8(rng.below(256)) })
            if rng.chance(50) { noisy.reset() }
            try good.send("ECHO \(step)\n")
            let reply = Self.line(good, timeout: 2)
            #expect(reply.hasSuffix("\(step)\n"), "step \(step): \(reply)")
        }
        let end = service.stop()
        #expect(end.status == 0, "\(end.stderr)")
        #expect(!end.stderr.contains("fatal error"), "\(end.stderr)")
    }

    /// A trap on a request stops the service on both targets alike: the replies before it
    /// given, none after, the same fatal error line and counters, status 1.
    @Test func trapStopsBothTargetsAlike() throws {
        let source = try String(contentsOfFile: Repo.path(Self.source), encoding: .utf8)
        let line =
            try #require(source.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.hasSuffix("// trap: division") })
            + 1
        var seen: [String: (reply: String, stderr: String)] = [:]
        for target in Self.targets {
            let service = try Self.start(target)
            let c = try TCPClient(port: service.port(7100))
            _ = Self.line(c)
            try c.send("ECHO before\nDIV 8\nDIV 0\nECHO after\n")
            let (bytes, ended) = c.receiveToEnd(timeout: 10)
            let end = try #require(service.waitForExit(timeout: 10), "\(target) did not stop at the trap")
            #expect(ended, "\(target): the connection was not ended")
            #expect(end.status == 1, "\(target): status \(end.status)\n\(end.stderr)")
            let said = end.stderr.split(separator: "\n").filter { !$0.contains("listening on") && !$0.contains("component") }
            let first = String(said.first ?? "")
            #expect(
                first.hasPrefix("lines.clv:\(line):") && first.hasSuffix(": fatal error: division by zero"), "\(target):\n\(end.stderr)")
            seen[target] = (String(decoding: bytes, as: UTF8.self), said.joined(separator: "\n"))
        }
        // The replies before the trap may or may not have left when it struck; none after it did.
        for (target, s) in seen { #expect(!s.reply.contains("after"), "\(target) answered past the trap: \(s.reply)") }
        #expect(seen["unikernel"]?.stderr == seen["isolated"]?.stderr, "the targets said different things")
    }

    /// A --netif spec of the wrong kind stops the service with a reason and status 2.
    @Test func wrongNetifKind() throws {
        let exe = try BuiltServices.executable(Self.source)
        let udp = try runProcess(exe, ["--netif", "udp:0"])
        #expect(udp.status == 2 && udp.stderr.contains("device 1 is a TcpDevice, which takes tcp:PORT[,PORT...]"), "\(udp.stderr)")
        let kv = try BuiltServices.executable("Examples/kv/kv.clv")
        let tcp = try runProcess(kv, ["--netif", "tcp:0"])
        #expect(tcp.status == 2 && tcp.stderr.contains("device 1 is a UdpDevice, which takes udp:"), "\(tcp.stderr)")
        let bad = try runProcess(exe, ["--netif", "tcp:x"])
        #expect(bad.status == 2 && bad.stderr.contains("expected a port number"), "\(bad.stderr)")
    }

    /// Cleave's own stack has no TCP: building a TcpDevice for an image says so at the source.
    @Test(arguments: [["--target", "image"], ["--net", "direct"]])
    func noTcpOnCleavesOwnStack(_ arguments: [String]) throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("tcp-on-stack-\(getpid())").path
        let r = try runProcess(Repo.cleaveBinary, ["build", Repo.path(Self.source), "-o", out] + arguments)
        #expect(r.status == 1)
        #expect(r.stderr.contains("lines.clv:88:18: error: Cleave's own network stack has no TCP yet"), "\(r.stderr)")
        #expect(r.stderr.contains("[tcp-device-on-stack]"))
    }
}

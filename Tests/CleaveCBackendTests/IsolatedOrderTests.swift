// The isolated target shows what the unikernel shows, whatever its components
// could do ahead of each other: the same replies, the same standard error (the
// program's prints, in order), a trap at the same request with the same message,
// the same exit status. After a restart the replies are the unikernel's but for
// the request in flight; a component that stops answering is reported and the
// service does not hang, while one that only waits (for its input, or for a peer
// that does) is left alone however long the service idles.
//
// The launcher's own lines (`counter: component …`, `counter: restarting …`) are
// supervision, which a unikernel has no need of; they are set aside when the two
// standard errors are compared.

import CleaveTestSupport
import Foundation
import Testing

@Suite struct IsolatedOrderTests {
    /// Standard error as the program wrote it, the launcher's supervision lines set aside.
    static func programOutput(_ stderr: String) -> [Substring] {
        stderr.split(separator: "\n").filter {
            let said = $0.drop { $0 != ":" }
            return !said.hasPrefix(": component ") && !said.hasPrefix(": restarting ")
        }
    }

    /// Where two lists of lines first differ, for a failure message a reader can use.
    static func firstDifference(_ a: [Substring], _ b: [Substring]) -> String {
        guard
            let k = zip(a, b).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset
                ?? (a.count == b.count ? nil : min(a.count, b.count))
        else {
            return "the same"
        }
        return "line \(k + 1): \(k < a.count ? String(a[k]) : "<end>") | \(k < b.count ? String(b[k]) : "<end>")"
    }

    /// Kill component `name` of `service` and wait up to 5 seconds for the launcher to start it
    /// again: whether it did.
    static func killAndAwaitRestart(_ name: String, of service: ServiceProcess) throws -> Bool {
        let old = try #require(service.children()[name])
        kill(old, SIGKILL)
        let deadline = Date().addingTimeInterval(5)
        while service.children()[name] == nil || service.children()[name] == old, Date() < deadline { usleep(10_000) }
        return service.children()[name].map { $0 != old } ?? false
    }

    static let partitions: [String?] = [nil, "device,count|formatter", "device|count,formatter", "device,formatter|count"]

    @Test func aCounterTrapsAtTheSameRequestWithTheSameOutput() throws {
        // 300 requests: the 256th traps in `next`; every build answers 255 and prints the same lines.
        let source = "Tests/Inputs/Isolated/counter.clv"
        let requests = (1...300).map { Array("request \($0)".utf8) }
        let datagrams = clientDatagrams(requests, to: 9600, net: 3, firstPort: 20000)
        let reference = try replay(source, datagrams, name: "counter-unikernel")
        #expect(reference.status == 1)
        #expect(reference.replies.map(\.payload.text) == (1...255).map { "count \($0)" }, "\(reference.replies.count) replies")
        let output = Self.programOutput(reference.stderr)
        #expect(output.contains("counter.clv:11:9: fatal error: arithmetic overflow in +"), "\(output.suffix(3))")
        #expect(output.filter { $0.hasPrefix("formatting ") }.count == 255)
        #expect(output.firstIndex(of: "formatting 7") == output.firstIndex(of: "served 7").map { $0 - 1 })
        for (k, partition) in Self.partitions.enumerated() {
            let build = ["--target", "isolated"] + (partition.map { ["--partition", $0] } ?? [])
            let isolated = try replay(source, datagrams, name: "counter-isolated-\(k)", build: build)
            let what = "--partition \(partition ?? "(one component per state)")"
            #expect(isolated.status == reference.status, "\(what): \(isolated.stderr.split(separator: "\n").suffix(3))")
            let sameReplies = isolated.replies == reference.replies
            #expect(
                sameReplies,
                "\(what): \(isolated.replies.count) replies, \(reference.replies.count) from the unikernel")
            let lines = Self.programOutput(isolated.stderr)
            let same = lines == output
            #expect(same, "\(what): \(Self.firstDifference(lines, output))")
        }
    }

    @Test func aCounterAnswersOverUDPUntilItsTurnToTrap() throws {
        // Served live, one request at a time: the isolated build neither traps at start-up nor
        // answers the 256th request.
        for build in [[], ["--target", "isolated"]] {
            let service = try ServiceProcess(
                BuiltServices.runnable("Tests/Inputs/Isolated/counter.clv", arguments: build), ["--netif", "udp:0"])
            let client = try UDPClient()
            let port = service.port(9600)
            var answers: [String] = []
            for n in 1...256 {
                guard let reply = try client.request("request \(n)".bytes, to: port, timeout: n == 256 ? 1 : 5) else { break }
                answers.append(reply.text)
            }
            let result = service.waitForExit(timeout: 5)
            #expect(answers == (1...255).map { "count \($0)" }, "\(build): \(answers.suffix(3))")
            #expect(result?.status == 1, "\(build): \(result?.stderr ?? "still running")")
            let output = Self.programOutput(result?.stderr ?? "")
            #expect(output.suffix(2).first == "counter.clv:11:9: fatal error: arithmetic overflow in +", "\(build): \(output.suffix(3))")
        }
    }

    /// With the counter beside the device (`device,count|formatter`), the device's component waits
    /// for input when the formatter is killed: the abandoned wait yields no datagram, and the
    /// counter must not count it.
    @Test(arguments: [nil, "device,count|formatter"] as [String?])
    func aRestartLeavesTheCounterWhereTheSequentialProgramIs(_ partition: String?) throws {
        let build = ["--target", "isolated"] + (partition.map { ["--partition", $0] } ?? [])
        let run = try BuiltServices.runnable("Tests/Inputs/Isolated/restart-counter.clv", arguments: build)
        let service = try ServiceProcess(run, ["--netif", "udp:0", "--restart"])
        let client = try UDPClient()
        let port = service.port(9700)
        #expect(try client.request("a".bytes, to: port)?.text == "count 1")
        #expect(try client.request("b".bytes, to: port)?.text == "count 2")
        // Nothing was in flight: once the formatter runs again, the count goes on from 2.
        #expect(try Self.killAndAwaitRestart("formatter", of: service), "the formatter was not started again")
        let replies = try (3...6).map { try client.request("r\($0)".bytes, to: port)?.text }
        #expect(replies == ["count 3", "count 4", "count 5", "count 6"], "\(build)")
        let result = service.stop()
        #expect(result.status == 0, "\(build): \(result.stderr)")
        #expect(result.stderr.contains("restarting component 'formatter'"), "\(build): \(result.stderr)")
    }

    /// A burst of requests with the formatter killed halfway through sending it: the device's
    /// component reads ahead in a burst (`Lookahead`), and a restart abandons its iteration. Only
    /// the request in flight may go unanswered; every other reply is the unikernel's, the count of
    /// a lost request counted or not.
    @Test func aRestartInABurstLosesOnlyTheRequestInFlight() throws {
        let run = try BuiltServices.runnable("Tests/Inputs/Isolated/ahead-restart.clv", arguments: ["--target", "isolated"])
        let service = try ServiceProcess(run, ["--netif", "udp:0", "--restart"])
        let client = try UDPClient()
        let port = service.port(9720)
        #expect(try client.request("r0".bytes, to: port)?.text == "1 r0")
        let formatter = try #require(service.children()["formatter"])
        let burst = 200
        for n in 1...burst {
            try client.send("r\(n)".bytes, to: port)
            if n == burst / 2 { kill(formatter, SIGKILL) }
        }
        var counts: [Int: Int] = [:]  // request → the count in its reply
        while let reply = try client.receive(timeout: 3) {
            let words = reply.payload.text.split(separator: " ")
            guard words.count == 2, let count = Int(words[0]), let n = Int(words[1].dropFirst()) else {
                Issue.record("a reply of another shape: \(reply.payload.text)")
                continue
            }
            counts[n] = count
        }
        let result = service.stop()
        let lost = (1...burst).filter { counts[$0] == nil }
        #expect(lost.count <= 1, "\(lost.count) requests lost (\(lost.prefix(5))…): \(result.stderr)")
        var previous = 1
        for n in 1...burst {
            guard let count = counts[n] else { continue }
            let allowed = lost.contains(n - 1) ? [previous + 1, previous + 2] : [previous + 1]
            #expect(allowed.contains(count), "request \(n) answered count \(count) after \(previous)")
            previous = count
        }
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("restarting component 'formatter'"), "\(result.stderr)")
    }

    @Test(arguments: [nil, "device,warmup|formatter"] as [String?])
    func loopsOfTheSetUpComeBeforeTheServiceLoop(_ partition: String?) throws {
        // The device is created after two set-up loops: its component loads its sandbox where the
        // service loop begins, not at the first loop. The formatter takes part in a set-up loop and,
        // killed, runs it again alone before it rejoins the others; the warm-up, which the service
        // loop never calls, halts after its part.
        let arguments = ["--target", "isolated"] + (partition.map { ["--partition", $0] } ?? [])
        let run = try BuiltServices.runnable("Tests/Inputs/Isolated/set-up-loop.clv", arguments: arguments)
        let service = try ServiceProcess(run, ["--netif", "udp:0", "--restart"])
        let client = try UDPClient()
        let port = service.port(9710)
        #expect(try client.request("a".bytes, to: port)?.text == "echo a")
        #expect(try client.request("b".bytes, to: port)?.text == "echo b")
        #expect(try Self.killAndAwaitRestart("formatter", of: service), "the formatter was not started again")
        let replies = try ["c", "d"].map { try client.request($0.bytes, to: port)?.text }
        #expect(replies == ["echo c", "echo d"])
        let result = service.stop()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(Self.programOutput(result.stderr).first { !$0.contains("listening on UDP") } == "warmed up in 3 rounds", "\(result.stderr)")
        #expect(result.stderr.contains("restarting component 'formatter'"), "\(result.stderr)")
        #expect(result.stderr.contains("received 4, sent 4,"), "\(result.stderr)")
    }

    @Test func aStoppedComponentIsReportedAndDoesNotStallTheServiceForever() throws {
        let kv = try BuiltServices.runnable("Examples/kv/kv.clv", arguments: ["--target", "isolated"])
        let service = try ServiceProcess(kv, ["--netif", "udp:0", "--stall-timeout", "1"])
        let client = try UDPClient()
        #expect(try client.request("SET a 1".bytes, to: service.port(7000))?.text == "STORED")
        let store = try #require(service.children()["store"])
        kill(store, SIGSTOP)
        // The request waits for the store, which does not run: after the stall timeout the store is
        // stopped, and, holding state, it cannot be started again: the service ends, saying why.
        #expect(try client.request("GET a".bytes, to: service.port(7000), timeout: 0.5) == nil)
        let result = service.waitForExit(timeout: 5)
        #expect(result != nil, "the service still waits for the stopped store")
        guard let result else { return }
        #expect(result.status != 0)
        #expect(result.stderr.contains("component 'store' was stopped by signal \(SIGSTOP)"), "\(result.stderr)")
        #expect(result.stderr.contains("component 'store' has not answered for"), "\(result.stderr)")
        #expect(result.stderr.contains("kv: received 2,"), "\(result.stderr)")
    }

    @Test func aStalledStatelessComponentIsStartedAgain() throws {
        let run = try BuiltServices.runnable("Tests/Inputs/Isolated/restart.clv", arguments: ["--target", "isolated"])
        let service = try ServiceProcess(run, ["--netif", "udp:0", "--restart", "--stall-timeout", "0.5"])
        let client = try UDPClient()
        let port = service.port(9400)
        #expect(try client.request("ab".bytes, to: port)?.text == "total 2")
        let parser = try #require(service.children()["parser"])
        kill(parser, SIGSTOP)
        // The request in flight is lost with the stalled parser; the tally keeps its total.
        #expect(try client.request("lost".bytes, to: port, timeout: 3) == nil)
        #expect(try client.request("abc".bytes, to: port)?.text == "total 5")
        let result = service.stop()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("component 'parser' has not answered for"), "\(result.stderr)")
        #expect(result.stderr.contains("restarting component 'parser'"), "\(result.stderr)")
    }

    @Test(arguments: [nil, "device,formatter|count"])
    func anIdleServiceIsNotStoppedWhileItsDeviceWaitsForInput(_ partition: String?) throws {
        // The count runs ahead and leaves a value for the formatter (a component per state) or for
        // the device's own component, which waits for a request; the formatter waits for the
        // device. Idle for several stall timeouts, nobody has stalled, and every request is answered.
        let build = ["--target", "isolated"] + (partition.map { ["--partition", $0] } ?? [])
        let run = try BuiltServices.runnable("Tests/Inputs/Isolated/idle.clv", arguments: build)
        let service = try ServiceProcess(run, ["--netif", "udp:0", "--stall-timeout", "0.5"])
        let client = try UDPClient()
        let port = service.port(9800)
        var replies: [String?] = []
        for n in 1...3 {
            usleep(n == 2 ? 100_000 : 2_000_000)
            replies.append(try client.request("r\(n)".bytes, to: port, timeout: 3)?.text)
        }
        let result = service.stop()
        let what = "--partition \(partition ?? "(one component per state)")"
        #expect(replies == ["count 1 of 2", "count 2 of 4", "count 3 of 6"], "\(what): \(result.stderr)")
        #expect(result.status == 0, "\(what): \(result.stderr)")
        #expect(!result.stderr.contains("has not answered"), "\(what): \(result.stderr)")
    }

    @Test func aDeviceStoppedWhileItWaitsForInputIsStillStalled() throws {
        // Waiting for input excuses a component that waits, not one stopped by a signal there.
        let run = try BuiltServices.runnable(
            "Tests/Inputs/Isolated/idle.clv", arguments: ["--target", "isolated", "--partition", "device,formatter|count"])
        let service = try ServiceProcess(run, ["--netif", "udp:0", "--stall-timeout", "0.5"])
        #expect(try UDPClient().request("r1".bytes, to: service.port(9800))?.text == "count 1 of 2")
        // A process's name is cut to 15 bytes: device_formatte.
        let device = try #require(service.children().first { $0.key.hasPrefix("device_format") }?.value)
        kill(device, SIGSTOP)
        let result = service.waitForExit(timeout: 5)
        #expect(result != nil, "the service still waits for the stopped device")
        guard let result else { return }
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("component 'device+formatter' was stopped by signal \(SIGSTOP)"), "\(result.stderr)")
        #expect(
            result.stderr.contains("component 'device+formatter' has not answered for")
                && result.stderr.contains("(a message waits for it and it does not run): stopping it"), "\(result.stderr)")
    }

    @Test(arguments: [nil, "device,formatter|count"])
    func aComponentBlockedOutsideItsChannelsAndDeviceIsStopped(_ partition: String?) throws {
        // The device's component sleeps in a C call: whoever waits for it, it is the one stopped.
        let build = ["--target", "isolated"] + (partition.map { ["--partition", $0] } ?? [])
        let run = try BuiltServices.runnable("Tests/Inputs/Isolated/hang.clv", arguments: build)
        let service = try ServiceProcess(run, ["--netif", "udp:0", "--stall-timeout", "0.5"])
        let client = try UDPClient()
        let port = service.port(9810)
        let what = "--partition \(partition ?? "(one component per state)")"
        #expect(try client.request("a".bytes, to: port)?.text == "count 1", "\(what)")
        #expect(try client.request("hang".bytes, to: port, timeout: 0.5) == nil, "\(what)")
        let result = service.waitForExit(timeout: 5)
        #expect(result != nil, "\(what): the service still waits for the sleeping device")
        guard let result else { return }
        #expect(result.status == 1, "\(what): \(result.stderr)")
        let said =
            partition == nil
            ? "component 'device' has not answered for" : "component 'device+formatter' has not answered for"
        let why =
            partition == nil
            ? "(a message waits for 'formatter', which waits for it, and it does not run): stopping it"
            : "(a message waits for it and it does not run): stopping it"
        #expect(result.stderr.contains(said) && result.stderr.contains(why), "\(what): \(result.stderr)")
        #expect(!result.stderr.contains("component 'formatter' has not answered"), "\(what): \(result.stderr)")
    }

    @Test func theLauncherIsSandboxedOnceTheDevicesAreBound() throws {
        let kv = try BuiltServices.runnable("Examples/kv/kv.clv", arguments: ["--target", "isolated"])
        for arguments in [["--netif", "udp:0"], ["--netif", "udp:0", "--restart"]] {
            let service = try ServiceProcess(kv, arguments)
            #expect(try UDPClient().request("SET a 1".bytes, to: service.port(7000))?.text == "STORED")
            let status = (try? String(contentsOfFile: "/proc/\(service.pid)/status", encoding: .utf8)) ?? ""
            let fields = status.split(separator: "\n").filter { $0.hasPrefix("Seccomp:") || $0.hasPrefix("NoNewPrivs:") }
            #expect(fields.map { $0.split(separator: "\t").last ?? "" } == ["1", "2"], "\(arguments): \(fields)")
            #expect(service.stop().status == 0)
        }
        // What it allows itself: supervising, and with --restart starting a component; never the network.
        let policy = try runProcess(kv, ["--print-policy"])
        #expect(policy.status == 0)
        let supervising = policy.stdout.components(separatedBy: "and, with --restart").first ?? ""
        for call in ["poll", "wait4", "kill", "futex", "write"] { #expect(supervising.contains("  \(call) "), "\(call)") }
        for call in ["socket", "bind", "connect", "openat", "execve", "clone"] {
            #expect(!supervising.contains("  \(call) "), "\(call)")
        }
        #expect(!policy.stdout.contains("  socket "))
        #expect(policy.stdout.contains("  openat           a new component loads its libraries (never to write or create) (read-only)"))
    }

    @Test func aComponentContinuedInTimeGoesOn() throws {
        let kv = try BuiltServices.runnable("Examples/kv/kv.clv", arguments: ["--target", "isolated"])
        let service = try ServiceProcess(kv, ["--netif", "udp:0", "--stall-timeout", "5"])
        let client = try UDPClient()
        let port = service.port(7000)
        #expect(try client.request("SET a 1".bytes, to: port)?.text == "STORED")
        let store = try #require(service.children()["store"])
        kill(store, SIGSTOP)
        try client.send("GET a".bytes, to: port)
        usleep(300_000)
        kill(store, SIGCONT)
        #expect(try client.receive(timeout: 5)?.payload.text == "1")
        let result = service.stop()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("component 'store' was stopped by signal"), "\(result.stderr)")
        #expect(result.stderr.contains("component 'store' continues"), "\(result.stderr)")
    }
}

// The isolated target (`cleave build --target isolated`): a directory with one
// executable per component and the launcher `run`.
//
// Meaning: every example answers the same recorded requests with replies
// byte-identical to the unikernel build's, under the default partition and
// another, and answers over real UDP. Isolation: a component's executable
// holds no symbol of another component's states; a component that makes a
// system call its policy does not allow is stopped and the call named; a
// component killed from outside is reported by name and the service ends,
// non-zero, at once; a message from another build is refused on receipt.

import CleaveTestSupport
import Foundation
import Testing

@Suite struct IsolatedBuildTests {
    /// Replay `requests` through `source` built as a unikernel, then isolated under each partition;
    /// every capture of replies must equal the unikernel's, byte for byte.
    func expectSameCaptures(_ source: String, port: UInt16, _ requests: [[UInt8]], partitions: [String?]) throws {
        let datagrams = clientDatagrams(requests, to: port, net: 2, firstPort: 30000)
        let name = URL(fileURLWithPath: source).deletingPathExtension().lastPathComponent
        let reference = try replay(source, datagrams, name: "\(name)-unikernel-for-isolated")
        #expect(reference.status == 0, "\(source) unikernel: \(reference.stderr)")
        #expect(reference.replies.count > 0, "\(source) answered nothing")
        let referenceBytes = FileManager.default.contents(atPath: "\(BuiltServices.directory)/\(name)-unikernel-for-isolated-out.pcap")
        for (k, partition) in partitions.enumerated() {
            let build = ["--target", "isolated"] + (partition.map { ["--partition", $0] } ?? [])
            let label = "\(name)-isolated-\(k)"
            let isolated = try replay(source, datagrams, name: label, build: build)
            let what = "\(source) --target isolated --partition \(partition ?? "(one component per state)")"
            #expect(isolated.status == 0, "\(what): \(isolated.stderr)")
            #expect(isolated.replies.count == reference.replies.count, "\(what): \(isolated.stderr)")
            let bytes = FileManager.default.contents(atPath: "\(BuiltServices.directory)/\(label)-out.pcap")
            #expect(bytes != nil && bytes == referenceBytes, "\(what): the reply capture differs from the unikernel's")
            // The launcher collects every component's counters: the same line as the unikernel's.
            let counters = { (text: String) in text.split(separator: "\n").filter { $0.hasPrefix("\(name): received") } }
            #expect(counters(isolated.stderr) == counters(reference.stderr), "\(what): \(isolated.stderr)")
        }
    }

    @Test func kvAnswersAsTheUnikernelDoes() throws {
        let requests = ProjectedBuildTests.kvRequests(count: 400, seed: 21)
        try expectSameCaptures("Examples/kv/kv.clv", port: 7000, requests, partitions: [nil, "device,store"])
    }

    @Test func stagesAnswersAsTheUnikernelDoesInEveryPartition() throws {
        try expectSameCaptures(
            "Tests/Inputs/Services/stages.clv", port: 9200, ProjectedBuildTests.stagesRequests(count: 300, seed: 6),
            partitions: [nil, "device,stack|store,stats", "store|device,stats"])
    }

    @Test func featuresAnswersAsTheUnikernelDoes() throws {
        let requests = SemanticsTests.cases.map { Array($0.0.utf8) }
        try expectSameCaptures("Tests/Inputs/Services/features.clv", port: 9100, requests, partitions: [nil, "device,log|keeper"])
    }

    /// Values of every kind cross (Tests/Fuzz/wire.clv), among them arrays of empty structs, whose
    /// elements take a byte each on the wire: 60000 of them in one message.
    @Test func everyKindOfValueCrossesAsInTheUnikernel() throws {
        let requests = ["", "a", "hello", String(repeating: "e", count: 1400), String(repeating: "x", count: 60_000)]
        try expectSameCaptures("Tests/Fuzz/wire.clv", port: 9400, requests.map { Array($0.utf8) }, partitions: [nil, "device,log|keeper"])
    }

    @Test func everyOtherExampleAnswersAsTheUnikernelDoes() throws {
        // One state each: the default partition is the only one.
        let cases: [(String, UInt16, [String])] = [
            ("Examples/echo/echo.clv", 8080, ["", "a", "hello world", String(repeating: "z", count: 1400)]),
            ("Examples/facfib/facfib.clv", 8080, ["0", "1", "20", "100", "x", "-1", "30"]),
            ("Examples/sort/sort.clv", 8080, ["3 1 2", "", "5 -5 0 9 9 1", "a b", "42"]),
            ("Examples/montecarlo/montecarlo.clv", 8080, ["1", "10", "1000", "-3", "x"]),
        ]
        for (source, port, requests) in cases {
            try expectSameCaptures(source, port: port, requests.map { Array($0.utf8) }, partitions: [nil])
        }
    }

    @Test func everyExampleAnswersOverUDPAsTheUnikernelDoes() throws {
        let cases: [(String, [Int], [String])] = [
            ("Examples/echo/echo.clv", [8080], ["", "a", "hello world", String(repeating: "z", count: 1400)]),
            ("Examples/facfib/facfib.clv", [8080, 8081], ["0", "1", "20", "100", "x", "-1"]),
            ("Examples/sort/sort.clv", [8080], ["3 1 2", "", "5 -5 0 9 9 1", "a b", "42"]),
            ("Examples/montecarlo/montecarlo.clv", [8080], ["1", "10", "1000", "-3", "x"]),
            ("Tests/Inputs/Services/features.clv", [9100], SemanticsTests.cases.prefix(12).map(\.0)),
        ]
        for (source, ports, requests) in cases {
            let unikernel = try ServiceProcess(
                BuiltServices.executable(source), ["--netif", "udp:" + ports.map { _ in "0" }.joined(separator: ",")],
                portCount: ports.count)
            let isolated = try ServiceProcess(
                BuiltServices.runnable(source, arguments: ["--target", "isolated"]),
                ["--netif", "udp:" + ports.map { _ in "0" }.joined(separator: ",")], portCount: ports.count)
            let client = try UDPClient()
            for port in ports {
                for request in requests {
                    let a = try client.request(request.bytes, to: unikernel.port(port))
                    let b = try client.request(request.bytes, to: isolated.port(port))
                    #expect(
                        a != nil && a == b, "\(source) port \(port), \(request.debugDescription): \(a?.text ?? "-") vs \(b?.text ?? "-")")
                }
            }
            #expect(unikernel.stop().status == 0)
            let end = isolated.stop()
            #expect(end.status == 0, "\(source): \(end.stderr)")
        }
    }

    /// Start an isolated build of kv on a free port.
    func startKV(_ partition: String? = nil) throws -> ServiceProcess {
        let run = try BuiltServices.runnable(
            "Examples/kv/kv.clv", arguments: ["--target", "isolated"] + (partition.map { ["--partition", $0] } ?? []))
        return try ServiceProcess(run, ["--netif", "udp:0"])
    }

    @Test func kvAnswersOverUDP() throws {
        for partition in [nil, "device,store"] {
            let service = try startKV(partition)
            let client = try UDPClient()
            let port = service.port(7000)
            #expect(try client.request("SET colour blue".bytes, to: port)?.text == "STORED")
            #expect(try client.request("GET colour".bytes, to: port)?.text == "blue")
            #expect(try client.request("GET shape".bytes, to: port)?.text == "NOT_FOUND")
            #expect(try client.request("DEL colour".bytes, to: port)?.text == "ERROR")
            // Garbage is an answer, not a crash: every component still runs.
            #expect(try client.request("\u{0}\u{ff}\u{1}".bytes, to: port)?.text == "ERROR")
            #expect(try client.request("GET colour".bytes, to: port)?.text == "blue")
            // SIGUSR1 to the launcher prints every component's counters, summed; the service goes on.
            Thread.sleep(forTimeInterval: 0.2)
            kill(service.pid, SIGUSR1)
            Thread.sleep(forTimeInterval: 0.2)
            #expect(try client.request("GET colour".bytes, to: port)?.text == "blue")
            let result = service.stop()
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stderr.contains("kv: received 6, sent 6"), "\(result.stderr)")
            #expect(result.stderr.contains("kv: received 7, sent 7"), "\(result.stderr)")
        }
    }

    @Test func aBurstIsAnsweredInOrderWhileTheDeviceReadsAhead() throws {
        // Requests sent without waiting arrive in batches: the device's component reads the next
        // one while the store answers (Passes/Lookahead.swift). The replies must be the
        // sequential program's, in order.
        let service = try startKV()
        let client = try UDPClient()
        let port = service.port(7000)
        var rng = SplitMix64(state: 31)
        var model: [String: String] = [:]
        var expected: [String] = []
        var requests: [String] = []
        for _ in 0..<400 {
            let key = "k\(rng.next() % 16)"
            if rng.next() % 2 == 0 {
                let value = "v\(rng.next() % 1000)"
                requests.append("SET \(key) \(value)")
                model[key] = value
                expected.append("STORED")
            } else {
                requests.append("GET \(key)")
                expected.append(model[key] ?? "NOT_FOUND")
            }
        }
        var replies: [String] = []
        for chunk in stride(from: 0, to: requests.count, by: 50) {
            for r in requests[chunk..<min(chunk + 50, requests.count)] { try client.send(r.bytes, to: port) }
            for _ in 0..<50 {
                guard let reply = try client.receive(timeout: 5) else { break }
                replies.append(reply.payload.text)
            }
        }
        #expect(replies == expected)
        let result = service.stop()
        #expect(result.status == 0, "\(result.stderr)")
        let line = result.stderr.split(separator: "\n").first { $0.hasPrefix("kv: component device:") } ?? ""
        #expect(line.contains("datagrams read ahead"), "\(result.stderr)")
    }

    @Test func aComponentHoldsOnlyItsOwnStates() throws {
        let dir = try BuiltServices.executable("Examples/kv/kv.clv", arguments: ["--target", "isolated"])
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { !$0.hasPrefix(".") }.sorted()
        #expect(files == ["device", "run", "store"])
        func symbols(_ file: String) throws -> [String] {
            let r = try runProcess("/usr/bin/nm", ["\(dir)/\(file)"])
            #expect(r.status == 0, "\(r.stderr)")
            return r.stdout.split(separator: "\n").compactMap { $0.split(separator: " ").last.map(String.init) }
        }
        let device = try symbols("device")
        let store = try symbols("store")
        // The store's code, its constructor and its process method are in the store, not in the device.
        #expect(store.contains { $0.hasPrefix("m_Store_answer") })
        #expect(!device.contains { $0.contains("Store") }, "\(device.filter { $0.contains("Store") })")
        // The device's netif is in the device only: the store has no network code at all.
        #expect(device.contains("cl_udp_adopt"))
        #expect(!store.contains { $0.hasPrefix("cl_udp") || $0.hasPrefix("cl_pcap") || $0.hasPrefix("cl_frames") })
        #expect(!store.contains { $0.contains("UdpDevice") })
        // Nor does the launcher hold any of the program's code.
        let launcher = try symbols("run")
        #expect(!launcher.contains { $0.hasPrefix("m_") || $0.hasPrefix("cleave_main") })
    }

    @Test func printPolicyShowsEachComponentsSystemCalls() throws {
        let out = BuiltServices.directory + "/kv-policy.d"
        let r = try runProcess(
            Repo.cleaveBinary, ["build", "--target", "isolated", "--print-policy", Repo.path("Examples/kv/kv.clv"), "-o", out])
        #expect(r.status == 0, "\(r.stderr)")
        let sections = r.stdout.components(separatedBy: "component ").filter { !$0.isEmpty }
        let device = sections.first { $0.hasPrefix("device") } ?? ""
        let store = sections.first { $0.hasPrefix("store") } ?? ""
        func calls(_ section: String) -> Set<String> {
            Set(section.split(separator: "\n").dropFirst().compactMap { $0.split(separator: " ").first.map(String.init) })
        }
        #expect(calls(device).isSuperset(of: ["recvmmsg", "sendmmsg", "poll", "futex"]), "\(device)")
        #expect(calls(store).contains("futex"))
        // No network and no file system for the store: nothing that opens, reads or receives.
        for call in ["recvmmsg", "sendmmsg", "sendto", "socket", "open", "openat", "read", "poll", "connect"] {
            #expect(!calls(store).contains(call), "\(store)")
        }
        let recvmmsg = device.split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix("recvmmsg ") }
        #expect(recvmmsg?.contains("on its own descriptors") == true, "\(device)")
    }

    @Test func printPolicyAloneWritesNothing() throws {
        let here = Scratch.path("policy-only")
        let r = try runProcess(
            Repo.cleaveBinary, ["build", "--target", "isolated", "--print-policy", Repo.path("Examples/kv/kv.clv")], in: here)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("component store"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: here).isEmpty, "it wrote a build")
    }

    @Test func aForbiddenSystemCallStopsTheServiceAndIsNamed() throws {
        let run = try BuiltServices.runnable("Tests/Inputs/Isolated/forbidden.clv", arguments: ["--target", "isolated"])
        let service = try ServiceProcess(run, ["--netif", "udp:0"])
        let client = try UDPClient()
        let port = service.port(9300)
        #expect(try client.request("hello".bytes, to: port)?.text == "ok 1")
        try client.send("escape".bytes, to: port)
        let start = Date()
        let result = service.waitForExit(timeout: 5)
        #expect(result != nil, "the service did not stop")
        guard let result else { return }
        #expect(Date().timeIntervalSince(start) < 2, "it took \(Date().timeIntervalSince(start)) s")
        #expect(result.status != 0)
        #expect(
            result.stderr.contains("component 'keeper' was killed by its sandbox: system call 'socket'"), "\(result.stderr)")
        // The same program as a unikernel has no sandbox: the call succeeds.
        let exe = try BuiltServices.executable("Tests/Inputs/Isolated/forbidden.clv")
        let unikernel = try ServiceProcess(exe, ["--netif", "udp:0"])
        let answer = try UDPClient().request("escape".bytes, to: unikernel.port(9300))?.text ?? ""
        #expect(answer.hasPrefix("escaped ") && answer != "escaped -1", "\(answer)")
        unikernel.stop()
    }

    @Test func aSystemFunctionMissingFromTheTableIsAWarningAndRefused() throws {
        let source = Repo.path("Tests/Inputs/Isolated/unknown.clv")
        let dir = BuiltServices.directory + "/unknown.d"
        let build = try runProcess(Repo.cleaveBinary, ["build", "--target", "isolated", source, "-o", dir])
        #expect(build.status == 0, "\(build.stderr)")
        // At the call, with a note at the declaration.
        #expect(
            build.stderr.contains("unknown.clv:11:17: warning: the system function 'nice' is not in Cleave's table of system calls"),
            "\(build.stderr)")
        #expect(build.stderr.contains("note: 'nice' is declared here"))
        #expect(build.stderr.contains("[unknown-system-function]"))
        // As warned: the first call stops the device's component, and the launcher names the call.
        let service = try ServiceProcess(dir + "/run", ["--netif", "udp:0"])
        try UDPClient().send("hello".bytes, to: service.port(9500))
        let result = service.waitForExit(timeout: 5)
        #expect(result?.status == 1, "\(result?.stderr ?? "still running")")
        #expect(result?.stderr.contains("component 'device' was killed by its sandbox: system call '") == true)
        // The unikernel has no sandbox and no such warning.
        let unikernel = try runProcess(Repo.cleaveBinary, ["build", source, "-o", BuiltServices.directory + "/unknown"])
        #expect(unikernel.status == 0 && !unikernel.stderr.contains("unknown-system-function"), "\(unikernel.stderr)")
    }

    @Test(arguments: ["device", "store"])
    func killingAComponentStopsTheServiceAndNamesIt(_ victim: String) throws {
        let service = try startKV()
        let client = try UDPClient()
        #expect(try client.request("SET a 1".bytes, to: service.port(7000))?.text == "STORED")
        let children = service.children()
        #expect(Set(children.keys) == ["device", "store"], "\(children)")
        guard let pid = children[victim] else { return }
        let start = Date()
        kill(pid, SIGKILL)
        let result = service.waitForExit(timeout: 5)
        let elapsed = Date().timeIntervalSince(start)
        #expect(result != nil, "the launcher did not stop after \(victim) was killed")
        guard let result else { return }
        #expect(elapsed < 1.5, "the launcher took \(elapsed) s to stop")
        #expect(result.status != 0)
        #expect(result.stderr.contains("component '\(victim)' was killed by signal 9"), "\(result.stderr)")
        #expect(result.stderr.contains("kv: received 1,"), "\(result.stderr)")
        // No component outlives the launcher.
        for (_, child) in children { #expect(kill(child, 0) != 0) }
    }

    @Test func aMessageFromAnotherBuildIsRefused() throws {
        // Two builds whose channels differ: the store of one cannot read the device of the other.
        let kv = try BuiltServices.executable("Examples/kv/kv.clv", arguments: ["--target", "isolated"])
        let other = try BuiltServices.executable("Tests/Inputs/Isolated/forbidden.clv", arguments: ["--target", "isolated"])
        let mixed = BuiltServices.directory + "/mixed.d"
        let fm = FileManager.default
        try? fm.removeItem(atPath: mixed)
        try fm.createDirectory(atPath: mixed, withIntermediateDirectories: true)
        try fm.copyItem(atPath: other + "/run", toPath: mixed + "/run")
        try fm.copyItem(atPath: other + "/device", toPath: mixed + "/device")
        try fm.copyItem(atPath: kv + "/store", toPath: mixed + "/keeper")
        let service = try ServiceProcess(mixed + "/run", ["--netif", "udp:0"])
        try UDPClient().send("hello".bytes, to: service.port(9300))
        let result = service.waitForExit(timeout: 5)
        #expect(result != nil, "the service did not stop")
        guard let result else { return }
        #expect(result.status != 0)
        #expect(result.stderr.contains("received a malformed message on channel"), "\(result.stderr)")
        #expect(result.stderr.contains("it comes from another build"), "\(result.stderr)")
        #expect(result.stderr.contains("component 'keeper' stopped with exit status 1"), "\(result.stderr)")
    }

    @Test func restartStartsAStatelessComponentAgainAndKeepsTheOthersState() throws {
        let run = try BuiltServices.runnable("Tests/Inputs/Isolated/restart.clv", arguments: ["--target", "isolated"])
        let service = try ServiceProcess(run, ["--netif", "udp:0", "--restart"])
        let client = try UDPClient()
        let port = service.port(9400)
        #expect(try client.request("ab".bytes, to: port)?.text == "total 2")
        let parser = service.children()["parser"]
        // The request the parser fails on is lost; the tally's total survives the restart.
        #expect(try client.request("crash".bytes, to: port, timeout: 1) == nil)
        #expect(try client.request("abc".bytes, to: port)?.text == "total 5")
        #expect(service.children()["parser"] != parser, "the parser was not started again")
        #expect(try client.request("crash".bytes, to: port, timeout: 1) == nil)
        #expect(try client.request("x".bytes, to: port)?.text == "total 6")
        let result = service.stop()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.components(separatedBy: "restarting component 'parser'").count == 3, "\(result.stderr)")

        // Without --restart the same failure stops the service.
        let plain = try ServiceProcess(run, ["--netif", "udp:0"])
        #expect(try client.request("crash".bytes, to: plain.port(9400), timeout: 1) == nil)
        let stopped = plain.waitForExit(timeout: 5)
        #expect(stopped?.status == 1, "\(stopped?.stderr ?? "still running")")
        #expect(stopped?.stderr.contains("component 'parser' stopped with exit status 1") == true)
    }

    @Test func restartAbandonsWhatTheIterationInFlightChangedInTheValuesItCarries() throws {
        // The formatter fails while the device's component, having added the request to the list
        // its loop carries, waits for it. The next iteration begins from the list as it was: the
        // failed request is not in it, and the list is still there to read (the abandoned
        // iteration grew a copy, never the list itself into a new block, its old one freed).
        let run = try BuiltServices.runnable("Tests/Inputs/Isolated/restart-carried.clv", arguments: ["--target", "isolated"])
        let service = try ServiceProcess(run, ["--netif", "udp:0", "--restart"])
        let client = try UDPClient()
        let port = service.port(9730)
        #expect(try client.request("a".bytes, to: port)?.text == "1 asked, first a, last a")
        for round in 1...3 {
            #expect(try client.request("crash".bytes, to: port, timeout: 1) == nil)
            let reply = try client.request("b\(round)".bytes, to: port)?.text
            #expect(reply == "\(round + 1) asked, first a, last b\(round)", "round \(round)")
        }
        let result = service.stop()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.components(separatedBy: "restarting component 'formatter'").count == 4, "\(result.stderr)")
    }

    @Test func restartLeavesComponentsWithStateOrDevicesAlone() throws {
        // kv's store holds the table and the device owns the socket: neither is started again.
        let service = try ServiceProcess(
            BuiltServices.runnable("Examples/kv/kv.clv", arguments: ["--target", "isolated"]), ["--netif", "udp:0", "--restart"])
        #expect(try UDPClient().request("SET a 1".bytes, to: service.port(7000))?.text == "STORED")
        guard let store = service.children()["store"] else {
            Issue.record("no store component")
            return
        }
        kill(store, SIGKILL)
        let result = service.waitForExit(timeout: 5)
        #expect(result != nil && result?.status != 0)
        #expect(result?.stderr.contains("restarting") == false, "\(result?.stderr ?? "")")
        #expect(
            result?.stderr.contains("kv: component 'store' is not started again: it holds state fields (Store.table)\n") == true,
            "\(result?.stderr ?? "")")
    }

    @Test(arguments: [
        ("Tests/Inputs/Isolated/restart.clv", 9400, "tally", "it holds state fields (Tally.total)"),
        ("Tests/Inputs/Isolated/restart.clv", 9400, "device", "it drives a device (UdpDevice 'device')"),
        ("Tests/Inputs/Isolated/setup.clv", 9820, "shaper", "it takes values from the set-up of 'config' (before the service loop)"),
        ("Tests/Inputs/Isolated/setup.clv", 9820, "config", "its set-up gives values to 'shaper' (before the service loop)"),
    ])
    func restartSaysWhyAComponentIsNotStartedAgain(_ source: String, _ port: Int, _ victim: String, _ why: String) throws {
        // Killed under --restart, a component that may not be started again stops the service as
        // without it, and the launcher says why, once; without --restart it says nothing of it.
        let run = try BuiltServices.runnable(source, arguments: ["--target", "isolated"])
        let name = URL(fileURLWithPath: source).deletingPathExtension().lastPathComponent
        let line = "\(name): component '\(victim)' is not started again: \(why)\n"
        for restart in [true, false] {
            let service = try ServiceProcess(run, ["--netif", "udp:0"] + (restart ? ["--restart"] : []))
            #expect(try UDPClient().request("abcd".bytes, to: service.port(port)) != nil, "\(victim)")
            guard let pid = service.children()[victim] else {
                Issue.record("no component named \(victim) among \(service.children().keys.sorted())")
                _ = service.stop()
                return
            }
            kill(pid, SIGKILL)
            let result = service.waitForExit(timeout: 5)
            #expect(result != nil, "\(victim), restart \(restart): the service did not stop")
            guard let result else { continue }
            #expect(result.status == 1, "\(victim), restart \(restart): \(result.stderr)")
            #expect(result.stderr.contains("component '\(victim)' was killed by signal 9"), "\(result.stderr)")
            #expect(!result.stderr.contains("restarting"), "\(result.stderr)")
            let said = result.stderr.components(separatedBy: line).count - 1
            #expect(said == (restart ? 1 : 0), "\(victim), restart \(restart): \(result.stderr)")
            #expect(restart || !result.stderr.contains("is not started again"), "\(result.stderr)")
            // Supervision, not the program's output: the comparisons with the unikernel set it aside.
            #expect(OracleTests.programLines(result.stderr).allSatisfy { !$0.contains("is not started again") })
            #expect(IsolatedOrderTests.programOutput(result.stderr).allSatisfy { !$0.contains("is not started again") })
        }
    }

    @Test func aRebuildRemovesOnlyTheComponentsItNoLongerMakes() throws {
        let dir = BuiltServices.directory + "/rebuilt.d"
        let fm = FileManager.default
        try? fm.removeItem(atPath: dir)
        try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "#!/bin/sh\n".write(toFile: dir + "/mine", atomically: true, encoding: .utf8)
        try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir + "/mine")
        let kv = Repo.path("Examples/kv/kv.clv")
        for partition in ["device|store", "device,store"] {
            let r = try runProcess(Repo.cleaveBinary, ["build", "--target", "isolated", "--partition", partition, kv, "-o", dir])
            #expect(r.status == 0, "\(r.stderr)")
        }
        let files = try fm.contentsOfDirectory(atPath: dir).filter { !$0.hasPrefix(".") }.sorted()
        #expect(files == ["device_store", "mine", "run"])
    }

    @Test func aProgramWithoutStatesIsAnErrorNotASilentFailure() throws {
        let source = BuiltServices.directory + "/stateless.clv"
        try "func main() {\n    print(\"no states\")\n}\n".write(toFile: source, atomically: true, encoding: .utf8)
        let r = try runProcess(Repo.cleaveBinary, ["build", "--target", "isolated", source, "-o", source + ".d"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("stateless.clv:1:6: error: the isolated target makes a process of each component"), "\(r.stderr)")
        #expect(r.stderr.contains("[isolated-no-components]"))
    }

    @Test func aPortInUseStopsTheServiceWithoutKillingTheOthersBySignal() throws {
        // The device cannot bind its port: the launcher drains the others (SIGUSR2), which may
        // not have their handler yet; the signal waits for it, so they leave cleanly, every time.
        let kv = try BuiltServices.runnable("Examples/kv/kv.clv", arguments: ["--target", "isolated"])
        let taken = try UDPClient(bindAddress: "0.0.0.0")
        for _ in 0..<10 {
            let r = try runProcess(kv, ["--netif", "udp:\(taken.localPort)", "--restart"])
            #expect(r.status == 2, "\(r.stderr)")
            #expect(r.stderr.contains("Address already in use"), "\(r.stderr)")
            #expect(!r.stderr.contains("signal"), "\(r.stderr)")
            #expect(r.stderr.contains("kv: received 0, sent 0,"), "\(r.stderr)")
        }
    }

    @Test func aComponentRunAloneSaysHowToStartIt() throws {
        let dir = try BuiltServices.executable("Examples/kv/kv.clv", arguments: ["--target", "isolated"])
        let r = try runProcess(dir + "/store", [])
        #expect(r.status == 2)
        #expect(r.stderr.contains("start the service with the launcher `run`"), "\(r.stderr)")
    }
}

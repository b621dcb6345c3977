// The captures and channel messages the fuzzers kept (Tests/Fuzz/found/, from
// `make fuzz`) no longer make a service fail.
//
// A capture, named after its example, is replayed through the example built
// for both targets: the service ends by itself with exit 0 and prints its
// counters. A channel message, named PROGRAM-COMPONENT-CHANNEL, is read by that
// component's generated reader inside the channel fuzzer's harness
// (scripts/fuzz/channel_harness.c, built here as the fuzzer builds it, with
// AddressSanitizer, which refuses an allocation of more than 64 MiB): it is
// refused with a reason or read as a sound value, allocating no more. An
// input listed in Tests/Fuzz/known.txt still fails: it is skipped, with the
// reason given there recorded as a known issue.
//
// A stream (streams/EXAMPLE-HASH.json, from scripts/fuzz/streams.py) is replayed
// over TCP to its example built for both targets (`--netif tcp:0`): each input's
// connections opened at once, each writing its chunks with its pause after each
// and then ending as the fuzzer ended it (half-closed, closed, read a moment and
// closed, never read and closed, or reset). The service must still be running,
// answer a fresh connection's known-good request right, and end on SIGTERM with
// exit 0 and its counters. A stream kept because the two targets answered it
// differently (`"compare": true`: one connection, half-closed) must get the same
// reply from both.

import CleaveTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct FuzzFoundInputsTests {
    /// The source of an example, or of the fuzzers' own program (`wire`).
    static func source(_ program: String) -> String {
        program == "wire" ? "Tests/Fuzz/wire.clv" : "Examples/\(program)/\(program).clv"
    }

    func replay(_ path: String, _ body: () throws -> Void) rethrows {
        if let reason = FuzzCorpus.knownReason(path) {
            withKnownIssue(Comment(rawValue: reason)) { Issue.record("skipped: \(path)") }
        } else {
            try body()
        }
    }

    @Test func keptCapturesEndCleanlyOnBothTargets() throws {
        for path in FuzzCorpus.files("captures", withExtension: "pcap") {
            let example = FuzzCorpus.subject(path).joined(separator: "-")
            let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
            for (k, build) in [[], ["--target", "isolated"]].enumerated() {
                try replay(path) {
                    let exe = try BuiltServices.runnable(Self.source(example), arguments: build)
                    let out = "\(BuiltServices.directory)/found-\(name)-\(k)-out.pcap"
                    let r = try runProcess(exe, ["--netif", "pcap:\(path):\(out)"])
                    let what = "\(name) through \(example) \(build.joined(separator: " "))"
                    #expect(!r.signaled && r.status == 0, "\(what): exit \(r.status): \(r.stderr.suffix(800))")
                    #expect(r.stderr.contains(": received "), "\(what): no counters: \(r.stderr.suffix(800))")
                }
            }
        }
    }

    @Test func keptChannelMessagesAreRefusedOrReadSoundly() throws {
        var harnesses: [String: String] = [:]
        for path in FuzzCorpus.files("channels", withExtension: "bin") {
            let parts = FuzzCorpus.subject(path)
            try #require(parts.count >= 3, "not PROGRAM-COMPONENT-CHANNEL-HASH.bin: \(path)")
            let program = parts.dropLast(2).joined(separator: "-")
            let component = parts[parts.count - 2]
            let key = "\(program)-\(component)"
            if harnesses[key] == nil { harnesses[key] = try Self.harness(program, component) }
            let exe = try #require(harnesses[key])
            try replay(path) {
                let r = try runProcess(
                    exe, ["replay", parts[parts.count - 1], path],
                    environment: ["ASAN_OPTIONS": "detect_leaks=0:max_allocation_size_mb=64", "UBSAN_OPTIONS": "print_stacktrace=1"])
                #expect(!r.signaled && r.status == 0, "\(path): exit \(r.status): \(r.stdout)\(r.stderr.prefix(1500))")
            }
        }
    }

    @Test func keptStreamsLeaveTheServiceAnswering() {
        for path in FuzzCorpus.files("streams", withExtension: "json") {
            do { try replayStream(path) } catch { Issue.record("\(path): \(error)") }
        }
    }

    /// One kept stream through its example on both targets.
    func replayStream(_ path: String) throws {
        let kept = try KeptStream(path)
        let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        let good = try #require(Self.knownGood(kept.example), "\(path): no known-good request for \(kept.example)")
        var replies: [[UInt8]] = []
        for build in [[], ["--target", "isolated"]] {
            try replay(path) {
                let what = "\(name) through \(kept.example) \(build.joined(separator: " "))"
                let exe = try BuiltServices.runnable(kept.source, arguments: build)
                let service = try ServiceProcess(exe, ["--netif", "tcp:0"])
                let port = try #require(service.ports.values.first, "\(what): no port announced")
                var last: [[UInt8]] = []
                for input in kept.inputs { last = Self.play(input, port: port) }
                if kept.compare { replies.append(kept.normalized(last.first ?? [])) }
                if let ended = service.waitForExit(timeout: 0) {
                    Issue.record("\(what): the service ended: exit \(ended.status): \(ended.stderr.suffix(800))")
                    return
                }
                let client = try TCPClient(port: port)
                try client.send(good.request)
                let reply = client.receive(timeout: 5, until: good.answered).bytes
                client.close()
                #expect(good.answered(reply), "\(what): the known-good request got \(Array(reply.prefix(200)).text)")
                let r = service.stop()
                #expect(!r.signaled && r.status == 0, "\(what): exit \(r.status): \(r.stderr.suffix(800))")
                #expect(!r.stderr.contains("fatal error"), "\(what): \(r.stderr.suffix(800))")
                #expect(r.stderr.contains(": connections "), "\(what): no counters: \(r.stderr.suffix(800))")
            }
        }
        if replies.count == 2 {
            #expect(
                replies[0] == replies[1],
                "\(name): the unikernel answered \(replies[0].count) bytes, the isolated build \(replies[1].count)")
        }
    }

    /// A stream the stream fuzzer kept: its example, and its inputs, each connections opened at once.
    struct KeptStream {
        struct Connection {
            let chunks: [[UInt8]]
            let pause: Double
            let end: String
        }

        let example: String
        let source: String
        let compare: Bool
        let inputs: [[Connection]]

        init(_ path: String) throws {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any], "\(path): not an object")
            example = try #require(object["example"] as? String, "\(path): no example")
            source = try #require(object["source"] as? String, "\(path): no source")
            compare = object["compare"] as? Bool ?? false
            let inputs = try #require(object["inputs"] as? [[String: Any]], "\(path): no inputs")
            self.inputs = try inputs.map { input in
                let connections = try #require(input["connections"] as? [[String: Any]], "\(path): an input without connections")
                return try connections.map { c in
                    // Each chunk's bytes are the code points of a JSON string (U+0000 to U+00FF).
                    let chunks = try #require(c["chunks"] as? [String], "\(path): a connection without chunks").map { chunk in
                        try chunk.unicodeScalars.map { try #require(UInt8(exactly: $0.value), "\(path): a chunk with \($0)") }
                    }
                    return Connection(chunks: chunks, pause: c["pause"] as? Double ?? 0, end: c["end"] as? String ?? "close")
                }
            }
        }

        /// A reply without what names the connection (lines greets each with its id).
        func normalized(_ reply: [UInt8]) -> [UInt8] {
            guard example == "lines", reply.starts(with: Array("hello ".utf8)), let end = reply.firstIndex(of: 10) else { return reply }
            return Array("hello ID".utf8) + reply[end...]
        }
    }

    /// The known-good request to each TCP example and whether a reply to it is right, as
    /// scripts/fuzz/streams.py asks it: http's `/` (a 200 with index.html's length), resp-kv's
    /// PING, lines' ECHO after its greeting.
    static func knownGood(_ example: String) -> (request: [UInt8], answered: ([UInt8]) -> Bool)? {
        switch example {
        case "http":
            let page = (try? Data(contentsOf: URL(fileURLWithPath: Repo.path("Examples/http/pages/index.html"))))?.count ?? -1
            return (
                "GET / HTTP/1.1\r\nHost: x\r\n\r\n".bytes,
                { reply in
                    let end = Array("\r\n\r\n".utf8)
                    guard let at = (0..<max(reply.count - 3, 0)).first(where: { Array(reply[$0..<($0 + 4)]) == end }) else { return false }
                    let lines = Array(reply[..<at]).text.components(separatedBy: "\r\n")
                    return lines.first == "HTTP/1.1 200 OK" && lines.contains("Content-Length: \(page)") && reply.count - at - 4 == page
                }
            )
        case "resp-kv":
            return ("PING\r\n".bytes, { $0 == "+PONG\r\n".bytes })
        case "lines":
            return ("ECHO x\n".bytes, { $0.text.wholeMatch(of: #/hello [0-9]+\nx\n/#) != nil })
        default:
            return nil
        }
    }

    /// One input of a kept stream: its connections opened at once, each writing its chunks in turn
    /// with its pause after each, then ending as it did (`shutdown`, `reset`, `linger`: read for a
    /// moment and closed, `deaf`: never read, closed; `close`). The replies of those that
    /// half-closed, read to their end (others: what came while writing).
    static func play(_ connections: [KeptStream.Connection], port: UInt16) -> [[UInt8]] {
        let clients = connections.compactMap { c in (try? TCPClient(port: port)).map { ($0, c) } }
        var replies = [[UInt8]](repeating: [], count: clients.count)
        let rounds = clients.map { $0.1.chunks.count }.max() ?? 0
        for i in 0...rounds {
            var pause = 0.0
            for (k, (client, c)) in clients.enumerated() {
                if i < c.chunks.count {
                    replies[k] += push(client, c.chunks[i], reading: c.end != "deaf")
                    pause = max(pause, c.pause)
                } else if i == c.chunks.count {
                    switch c.end {
                    case "shutdown": client.shutdownWrite()
                    case "reset": client.reset()
                    case "linger":
                        replies[k] += client.receive(timeout: 0.05).bytes
                        client.close()
                    default: client.close()
                    }
                }
            }
            if pause > 0 { usleep(UInt32(pause * 1_000_000)) }
        }
        for (k, (client, c)) in clients.enumerated() where c.end == "shutdown" {
            replies[k] += client.receiveToEnd(timeout: 10).bytes
            client.close()
        }
        return replies
    }

    /// Write all of `bytes`, reading what comes back while the service will take no more (a
    /// service stops reading a peer that does not read its replies): what was read. A peer
    /// that does not read (`reading` false, the fuzzer's "deaf" end) gives up when the service
    /// has taken nothing for 0.3 s.
    static func push(_ client: TCPClient, _ bytes: [UInt8], reading: Bool = true) -> [UInt8] {
        var got: [UInt8] = []
        var at = 0
        let deadline = Date().addingTimeInterval(10)
        var progress = Date()
        while at < bytes.count && Date() < deadline {
            let n = client.sendSome(Array(bytes[at...]))
            at += n
            if n > 0 {
                progress = Date()
            } else if reading {
                let r = client.receive(timeout: 0.01)
                got += r.bytes
                if r.ended { break }
            } else {
                if Date().timeIntervalSince(progress) > 0.3 { break }
                usleep(1000)
            }
        }
        return got
    }

    /// The channel fuzzer's harness around one component of `program` built isolated, as
    /// scripts/fuzz/channels.py builds it.
    static func harness(_ program: String, _ component: String) throws -> String {
        let dir = Scratch.path("fuzz-harness-\(program)")
        let build = try runProcess(
            Repo.cleaveBinary, ["build", Repo.path(source(program)), "--target", "isolated", "--emit-c", "\(dir)/c", "-o", "\(dir)/run.d"])
        guard build.status == 0 else { throw BuildFailure(description: "cleave build \(program): \(build.stderr)") }
        let generated = "\(dir)/c/\(component).c"
        let text = try String(contentsOfFile: generated, encoding: .utf8)
        let receives = text.matches(of: #/cl_channel_receive\((\d+), &\w+, &(\w+)\);/#).map { (Int($0.1) ?? 0, String($0.2)) }
        let channels = Dictionary(receives, uniquingKeysWith: { a, _ in a })
        let primitives = ["cl_get", "cl_get_bool", "cl_get_bytes", "cl_get_count", "cl_get_fail"]
        var wrapper = primitives.map { "#define \($0) fz_\($0.dropFirst(3))" }
        wrapper.append("#include \"\(generated)\"")
        wrapper += primitives.map { "#undef \($0)" }
        let table = channels.sorted { $0.key < $1.key }.map { "[\($0.key)] = &\($0.value)" }.joined(separator: ", ")
        wrapper.append("static const cl_type *const fuzz_types[\((channels.keys.max() ?? 0) + 1)] = {\(table)};")
        wrapper.append("#include \"\(Repo.path("scripts/fuzz/channel_harness.c"))\"")
        try (wrapper.joined(separator: "\n") + "\n").write(toFile: "\(dir)/\(component)-harness.c", atomically: true, encoding: .utf8)

        let runtime = RuntimeSources.root
        let flags = [
            "-std=c11", "-D_DEFAULT_SOURCE", "-O1", "-g", "-w", "-I", runtime, "-fsanitize=address,undefined",
            "-fno-sanitize-recover=all",
        ]
        // component.c as a component links it, its own main out of the way of the harness's.
        let compiled = try runProcess(
            "/usr/bin/env",
            ["cc"] + flags + ["-Dmain=cl_component_process_main", "-c", "\(runtime)/isolated/component.c", "-o", "\(dir)/component.o"])
        guard compiled.status == 0 else { throw BuildFailure(description: compiled.stderr) }
        let others = RuntimeSources.paths(
            excluding: RuntimeSources.processMains.union(["hosted/components.c"]))
        let exe = "\(dir)/\(component)-harness"
        let link = try runProcess(
            "/usr/bin/env",
            ["cc"] + flags + ["\(dir)/\(component)-harness.c"] + others + ["\(dir)/component.o", "-o", exe, "-lpcap", "-lseccomp", "-lm"])
        guard link.status == 0 else { throw BuildFailure(description: link.stderr) }
        return exe
    }
}

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

import CleaveTestSupport
import Foundation
import Testing

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

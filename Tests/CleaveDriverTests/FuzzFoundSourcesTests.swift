// The programs the source fuzzer kept (Tests/Fuzz/found/source/, from
// `make fuzz`) no longer make the compiler fail: `cleave check`, and `cleave
// dump` of the projected program and of the C, each exit with 0, 1 or 2, never
// by a signal, and never report an internal error; `check` prints no flood of
// diagnostics; the C of a valid program compiles without a warning. A program
// listed in Tests/Fuzz/known.txt still fails: it is skipped, with the reason
// given there recorded as a known issue.
//
// The zones the zone fuzzer kept (Tests/Fuzz/found/zones/) are each embedded
// in a copy of Examples/dns as its example.zone: `cleave check` exits 0, or 1
// with the diagnostic of a mistake in the zone (`global-traps`, naming
// `example.zone:LINE:` with LINE a line of the file; over 16 MiB, `embed-*`),
// never by a signal, never with an internal error.

import CleaveTestSupport
import Foundation
import Testing

@Suite struct FuzzFoundSourcesTests {
    /// The C of a valid program compiles without a warning.
    func expectCompiles(_ c: String, _ path: String) throws {
        let file = Scratch.path("fuzz-found-sources") + "/" + URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent + ".c"
        try c.write(toFile: file, atomically: true, encoding: .utf8)
        let runtime = RuntimeSources.root
        let r = try runProcess(
            "/usr/bin/env", ["cc", "-std=c11", "-D_DEFAULT_SOURCE", "-Wall", "-Wextra", "-Werror", "-fsyntax-only", "-I", runtime, file])
        #expect(r.status == 0, "the C of \(path) does not compile:\n\(r.stderr.prefix(1500))")
    }

    @Test func keptProgramsGoThroughCheckAndDump() throws {
        let binary = Repo.cleaveBinary
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build cleave first: \(binary)")
        for path in FuzzCorpus.files("source", withExtension: "clv") {
            let replay = {
                for command in [["check"], ["dump", "--stage", "projected"], ["dump", "--stage", "c"]] {
                    let r = try runProcess(binary, command + [path])
                    let what = "cleave \(command.joined(separator: " ")) \(path)"
                    #expect(!r.signaled, "\(what): killed by signal \(r.status)")
                    #expect([0, 1, 2].contains(r.status), "\(what): exit \(r.status)")
                    #expect(!(r.stdout + r.stderr).contains("internal error"), "\(what): \(r.stderr.prefix(500))")
                    if command == ["check"] {
                        // No flood of diagnostics: at most 1 MB and 4 bytes a byte of input (the error limit holds it).
                        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
                        #expect(r.stderr.utf8.count <= 1_000_000 + 4 * size, "\(what): \(r.stderr.utf8.count) bytes of diagnostics")
                    }
                    if command.last == "c" && r.status == 0 { try expectCompiles(r.stdout, path) }
                }
            }
            if let reason = FuzzCorpus.knownReason(path) {
                withKnownIssue(Comment(rawValue: reason)) { Issue.record("skipped: \(path)") }
            } else {
                try replay()
            }
        }
    }

    @Test func keptZonesCheckWithAZoneDiagnostic() throws {
        let binary = Repo.cleaveBinary
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build cleave first: \(binary)")
        let directory = Scratch.path("fuzz-found-zones")
        let source = directory + "/dns.clv"
        if !FileManager.default.fileExists(atPath: source) {
            try FileManager.default.copyItem(atPath: Repo.path("Examples/dns/dns.clv"), toPath: source)
        }
        for path in FuzzCorpus.files("zones", withExtension: "zone") {
            let replay = {
                let zone = try Data(contentsOf: URL(fileURLWithPath: path))
                try zone.write(to: URL(fileURLWithPath: directory + "/example.zone"))
                let r = try runProcess(binary, ["check", source])
                let what = "cleave check of Examples/dns with the zone \(path)"
                #expect(!r.signaled, "\(what): killed by signal \(r.status)")
                #expect([0, 1].contains(r.status), "\(what): exit \(r.status)")
                #expect(!(r.stdout + r.stderr).contains("internal error"), "\(what): \(r.stderr.prefix(500))")
                guard r.status == 1 && !r.signaled else { return }
                if zone.count > 16 << 20 {
                    #expect(r.stderr.contains("[embed-"), "\(what): \(r.stderr.prefix(500))")
                    return
                }
                // The zone reader counts a last line without a newline; an empty file has line 1.
                let lines = max(1, zone.filter { $0 == 10 }.count + (zone.last == 10 ? 0 : 1))
                let named = r.stderr.firstMatch(of: #/error: global constant 'zone' cannot be computed: example\.zone:(\d+): /#)
                let line = named.flatMap { Int($0.1) } ?? 0
                #expect(
                    r.stderr.contains("[global-traps]") && (1...lines).contains(line),
                    "\(what): not the diagnostic of a zone error within its \(lines) lines: \(r.stderr.prefix(500))")
            }
            if let reason = FuzzCorpus.knownReason(path) {
                withKnownIssue(Comment(rawValue: reason)) { Issue.record("skipped: \(path)") }
            } else {
                try replay()
            }
        }
    }
}

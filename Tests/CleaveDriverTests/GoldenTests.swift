// Golden files: the dump of a stage for every example, checked byte for byte.
//
// A golden file holds the source and the stage's output together:
//
//     --- SOURCE
//     <the program>
//     --- OUTPUT
//     <cleave dump --stage STAGE>
//
// Run with UPDATE_GOLDEN=1 to re-record after an intended change, then read the
// diff. Paths under the repository are written as `<repo>` so the files do not
// depend on where the repository is checked out.

import CleaveDiagnostics
import CleaveDriver
import CleaveTestSupport
import Foundation
import Testing

struct GoldenCase: Sendable, CustomStringConvertible {
    let stage: Stage
    let source: String
    /// The isolated target's packaging (its `c` stage) has a folder of its own, `c-isolated`.
    var target: Target = .unikernel
    /// Built on Cleave's own stack (`--net direct`): the `attached` stage has a folder of its own,
    /// later stages `STAGE-direct`.
    var net: NetChoice = .socket
    var description: String { "\(folder) \(URL(fileURLWithPath: source).lastPathComponent)" }
    var folder: String {
        let base = target == .unikernel ? stage.rawValue : "\(stage.rawValue)-\(target.rawValue)"
        return net == .direct && stage != .attached ? base + "-direct" : base
    }

    var goldenPath: String {
        let name = URL(fileURLWithPath: source).deletingPathExtension().lastPathComponent
        return Repo.path("Tests/Golden/\(folder)/\(name).golden")
    }
}

func goldenText(source: String, output: String) -> String {
    "--- SOURCE\n" + source + (source.hasSuffix("\n") ? "" : "\n") + "--- OUTPUT\n" + output
}

@Suite struct GoldenTests {
    /// The examples whose dumps are kept: a golden file is read when it changes, and the dumps of
    /// the large examples would be too long to read: Examples/dns (a thousand lines, a zone file
    /// embedded; its answers are tested against NSD instead, DnsExampleTests), Examples/http and
    /// Examples/resp-kv (pages embedded, hundreds of lines; tested with curl, wrk, redis-cli and
    /// against Redis). A TCP service's stages are kept for Tests/Inputs/Services/lines.clv.
    static let examples = Repo.examples.filter {
        !["Examples/dns/dns.clv", "Examples/http/http.clv", "Examples/resp-kv/resp-kv.clv"].contains(where: $0.hasSuffix)
    }

    static let cases: [GoldenCase] =
        examples.flatMap { path in [Stage.ast, .typed, .ir, .graph].map { GoldenCase(stage: $0, source: path) } }
        // Every state-locality pass on every example, and on a service using states in branches and loops.
        + (examples + [Repo.path("Tests/Inputs/Services/stages.clv")]).flatMap { path in
            [Stage.lifted, .defunctionalized, .stateLocal, .components, .projected, .lookahead, .policy].map {
                GoldenCase(stage: $0, source: path)
            }
        }
        + [
            GoldenCase(stage: .imports, source: Repo.path("Tests/Inputs/cimport/checksum.clv")),
            GoldenCase(stage: .typed, source: Repo.path("Tests/Inputs/cimport/checksum.clv")),
            GoldenCase(stage: .ir, source: Repo.path("Tests/Inputs/cimport/checksum.clv")),
            // The isolated target's packaging: each component's C and the launcher's table.
            GoldenCase(stage: .c, source: Repo.path("Examples/kv/kv.clv"), target: .isolated),
            // A TCP service: its components, and their sandboxes (a TcpDevice's connections).
            GoldenCase(stage: .components, source: Repo.path("Tests/Inputs/Services/lines.clv")),
            GoldenCase(stage: .policy, source: Repo.path("Tests/Inputs/Services/lines.clv")),
            // kv on Cleave's own stack: main with the stack attached, and the components it makes.
            GoldenCase(stage: .attached, source: Repo.path("Examples/kv/kv.clv"), net: .direct),
            GoldenCase(stage: .components, source: Repo.path("Examples/kv/kv.clv"), net: .direct),
        ]

    @Test(arguments: cases)
    func dumpMatchesGolden(_ c: GoldenCase) throws {
        let text = try String(contentsOfFile: c.source, encoding: .utf8)
        var options = PipelineOptions(cFrom: c.target == .isolated ? .projected : .source)
        options.target = c.target
        options.net = c.net
        let result = Pipeline.run([SourceFile(path: c.source, text: text)], through: c.stage, options: options)
        #expect(!result.hasErrors, "\(c) has errors:\n\(DiagnosticFormatter().format(result.diagnostics))")
        let output = Pipeline.dump(c.stage, result).replacingOccurrences(of: Repo.root.path, with: "<repo>")
        let actual = goldenText(source: text, output: output)
        if c.stage == .graph || c.stage == .stateLocal {
            // Every graph in the file is valid DOT: Graphviz renders it without complaint.
            let dot = try runProcess("/usr/bin/dot", ["-Tsvg", "-o", "/dev/null"], stdin: output)
            // Graphviz 2.43 warns about spline routing in some large graphs it draws all the same.
            let complaints = dot.stderr.split(separator: "\n").filter { !$0.contains("Unable to reclaim box space in spline routing") }
            #expect(dot.status == 0 && complaints.isEmpty, "dot rejects the graphs of \(c): \(dot.stderr)")
        }
        let environment = ProcessInfo.processInfo.environment
        if environment["UPDATE_GOLDEN"] == "1", let ci = environment["CI"], !ci.isEmpty {
            // Re-recording there would make every golden file pass whatever the compiler does.
            Issue.record("UPDATE_GOLDEN=1 is refused where CI is set: re-record the golden files by hand and commit them")
            return
        }
        if environment["UPDATE_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(
                atPath: URL(fileURLWithPath: c.goldenPath).deletingLastPathComponent().path, withIntermediateDirectories: true)
            try actual.write(toFile: c.goldenPath, atomically: true, encoding: .utf8)
            return
        }
        let expected = try? String(contentsOfFile: c.goldenPath, encoding: .utf8)
        #expect(expected != nil, "missing golden file \(c.goldenPath); run with UPDATE_GOLDEN=1")
        guard let expected else { return }
        if expected != actual {
            let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
            let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
            let first = zip(e, a).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(e.count, a.count)
            Issue.record(
                """
                \(c): output differs from \(c.goldenPath) at line \(first + 1)
                expected: \(first < e.count ? String(e[first]) : "<end>")
                actual:   \(first < a.count ? String(a[first]) : "<end>")
                """)
        }
    }

    @Test func dumpsAreDeterministic() throws {
        for path in Repo.examples {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let a = Pipeline.dump(.typed, Pipeline.run([SourceFile(path: path, text: text)], through: .typed))
            let b = Pipeline.dump(.typed, Pipeline.run([SourceFile(path: path, text: text)], through: .typed))
            #expect(a == b)
        }
    }
}

// Bad input never crashes the compiler.
//
// Every prefix of every example, and many deterministic random mutations of each
// (deleted, duplicated and swapped ranges, inserted tokens that tend to break
// things), go through the parser and the checker. In process, a crash would take
// the test run down; a sample also runs through the `cleave` binary, which must
// exit with 0 or 1 and never by a signal. Every error must point into the file.

import CleaveDiagnostics
import CleaveDriver
import CleaveTestSupport
import Foundation
import Testing

let breakingTokens = [
    "{", "}", "(", ")", "[", "]", "\"", "\\(", "\\", "let ", "var ", "func ", "state ", "switch x {", "case .a:",
    "&", "&+", "?", "!", "??", "..<", "...", "$0", "$9", ".", ",", ":", ";", "->", "0x", "1e", "99999999999999999999999",
    "/*", "*/", "//", "\n", "return", "break", "loop {", "if let", "guard", "else", "in", "<", ">", ">>", "Map<", "[Int](",
    "{ x in", "import", "extern ", "mutating ", "init(", "self.", "_ = ", "inout ", "\u{1F600}", "\t", "\0",
]

func mutate(_ text: String, _ rng: inout SplitMix64) -> String {
    var bytes = Array(text.utf8)
    let edits = 1 + rng.below(3)
    for _ in 0..<edits {
        guard !bytes.isEmpty else { break }
        let a = rng.below(bytes.count)
        let b = min(bytes.count, a + rng.below(40))
        switch rng.below(5) {
        case 0: bytes.removeSubrange(a..<b)
        case 1: bytes.insert(contentsOf: bytes[a..<b], at: rng.below(bytes.count))
        case 2:
            let token = breakingTokens[rng.below(breakingTokens.count)]
            bytes.insert(contentsOf: Array(token.utf8), at: a)
        case 3:
            let c = rng.below(bytes.count)
            let d = min(bytes.count, c + rng.below(40))
            let first = Array(bytes[a..<b])
            let second = Array(bytes[c..<d])
            if b <= c {
                bytes.replaceSubrange(c..<d, with: first)
                bytes.replaceSubrange(a..<b, with: second)
            }
        default: bytes[a] = UInt8(truncatingIfNeeded: rng.next())
        }
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// Run the whole pipeline; every error must carry a position in this file (an internal
/// error, such as a verifier rejecting the IR or the graph of a valid program, has none).
func checkSurvives(_ text: String, path: String) -> [Diagnostic] {
    let result = Pipeline.run([SourceFile(path: path, text: text)], through: .c)
    return result.diagnostics.filter { d in d.isError && d.span == nil }
}

@Suite struct RobustnessTests {
    /// Every prefix of a small example; of a large one (Examples/dns), every prefix that ends a
    /// line or a token and a spread of the others, since each prefix is a whole compile.
    @Test(arguments: Repo.examples)
    func everyPrefixIsHandled(_ path: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let bytes = Array(text.utf8)
        var positionless: [String] = []
        var lengths = Array(0..<bytes.count)
        if bytes.count > 8000 {
            var rng = SplitMix64(state: UInt64(bytes.count))
            let ends = lengths.filter { n in n > 0 && [10, 32, 40, 41, 123, 125].contains(bytes[n - 1]) }
            lengths = Array(ends.filter { _ in rng.chance(2) }) + (0..<60).map { _ in rng.below(bytes.count) }
        }
        for n in lengths {
            let prefix = String(decoding: bytes[0..<n], as: UTF8.self)
            for d in checkSurvives(prefix, path: path) { positionless.append("prefix \(n): \(d.message)") }
        }
        #expect(positionless.isEmpty, "errors without a position:\n\(positionless.prefix(5).joined(separator: "\n"))")
    }

    @Test(arguments: Repo.examples)
    func randomMutationsAreHandled(_ path: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var rng = SplitMix64(state: UInt64(text.utf8.count))
        var positionless: [String] = []
        var withErrors = 0
        var compiled = 0
        let dir = Scratch.url("mutants-\(text.utf8.count)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // A large example (Examples/dns) takes each mutant a second through the pipeline: fewer.
        let count = text.utf8.count > 8000 ? 120 : 400
        for i in 0..<count {
            let m = mutate(text, &rng)
            let result = Pipeline.run([SourceFile(path: path, text: m)], through: .c)
            if result.hasErrors { withErrors += 1 }
            // The C of a valid mutant is C a compiler accepts without a warning (the first ten).
            if let c = result.c, compiled < 10 {
                compiled += 1
                let file = dir.appendingPathComponent("mutant\(i).c")
                try c.source.write(to: file, atomically: true, encoding: .utf8)
                let r = try runProcess(
                    "/usr/bin/env",
                    [
                        "cc", "-std=c11", "-D_DEFAULT_SOURCE", "-Wall", "-Wextra", "-Werror", "-fsyntax-only", "-I",
                        RuntimeSources.root, file.path,
                    ])
                #expect(r.status == 0, "mutation \(i) of \(path): the C does not compile:\n\(r.stderr.prefix(1500))\n--- program ---\n\(m)")
            }
            for d in result.diagnostics where d.isError && d.span == nil {
                positionless.append("mutation \(i): \(d.message) \(d.notes.map(\.message).joined(separator: "; "))")
            }
        }
        #expect(positionless.isEmpty, "errors without a position:\n\(positionless.prefix(5).joined(separator: "\n"))")
        // The mutations really do break programs (otherwise this test proves nothing).
        #expect(withErrors > count / 2)
        // …and enough of them stay valid that the lowering, the graph and the C backend see programs nobody wrote.
        #expect(count - withErrors >= count / 16)
        #expect(compiled == min(10, count - withErrors))
    }

    @Test func theBinaryExitsWithZeroOrOneOnMutatedInput() throws {
        let binary = Repo.cleaveBinary
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build cleave first: \(binary)")
        let dir = Scratch.url("robustness")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var rng = SplitMix64(state: 2026)
        var seenCodes: Set<Int32> = []
        for (k, path) in Repo.examples.enumerated() {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let bytes = Array(text.utf8)
            var inputs: [String] = (0..<12).map { i in String(decoding: bytes[0..<(bytes.count * i / 12)], as: UTF8.self) }
            inputs += (0..<18).map { _ in mutate(text, &rng) }
            for (i, input) in inputs.enumerated() {
                let file = dir.appendingPathComponent("case\(k)_\(i).clv")
                try input.write(to: file, atomically: true, encoding: .utf8)
                let r = try runProcess(binary, ["check", file.path])
                #expect(!r.signaled, "cleave was killed by a signal on \(file.path)")
                #expect(r.status == 0 || r.status == 1, "exit \(r.status) on \(file.path): \(r.stderr.prefix(300))")
                seenCodes.insert(r.status)
            }
        }
        #expect(seenCodes == [0, 1])
    }

    /// A file `text` in a fresh directory, for a test that runs the `cleave` binary on it.
    func writeInput(_ text: String, named name: String) throws -> URL {
        let dir = Scratch.url("robust-\(name)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let file = dir.appendingPathComponent(name)
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    @Test func deeplyNestedInterpolationIsAnErrorWithAPosition() throws {
        let nested = String(repeating: "\"\\(", count: 5000) + "1" + String(repeating: ")\"", count: 5000)
        let line = "    print(" + nested + ")"
        let file = try writeInput("func main() {\n" + line + "\n}\n", named: "interpolation.clv")
        defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }
        let r = try runProcess(Repo.cleaveBinary, ["check", file.path])
        #expect(!r.signaled)
        #expect(r.status == 1)
        // One error, positioned where the nesting passes the limit, with the line and a caret.
        let header = #/^(.*):2:(\d+): error: expression or block is nested too deeply \(more than 256 levels\) \[nested-too-deeply\]\n/#
        let match = try #require(r.stderr.firstMatch(of: header), "\(r.stderr.prefix(300))")
        #expect(match.1 == file.path)
        let column = try #require(Int(match.2))
        #expect(column > 11 + 3 * 200 && column < 11 + 3 * 260)
        // The line, 30,000 bytes long, is shown as a window around the caret.
        let start = column - 1 - DiagnosticFormatter.widestExcerpt / 3
        let window = Array(line.utf8)[start..<start + DiagnosticFormatter.widestExcerpt]
        let caret = String(repeating: " ", count: 3 + DiagnosticFormatter.widestExcerpt / 3) + "^"
        #expect(r.stderr.dropFirst(match.0.count).hasPrefix("..." + String(decoding: window, as: UTF8.self) + "...\n" + caret))
        #expect(r.stderr.hasSuffix("1 error generated.\n"))
    }
}

/// Long chains of operators and calls: not nesting, so not limited like nesting, and the
/// deep trees they make go through every stage.
@Suite struct LongChainTests {
    /// A program whose `main` binds `x` to a chain of `terms` terms and prints it.
    static func program(_ kind: String, terms: Int) -> String {
        let body =
            switch kind {
            case "+": "let x = " + Array(repeating: "1", count: terms).joined(separator: " + ")
            case "&&": "let a = true\n    let x = " + Array(repeating: "a", count: terms).joined(separator: " && ")
            default: "let s = S(v: 0)\n    let x = s" + String(repeating: ".f()", count: terms) + ".v"
            }
        return """
            struct S {
                var v: Int
                func f() -> S { return S(v: v + 1) }
            }

            func main() {
                \(body)
                print("\\(x)")
            }

            """
    }

    @Test(arguments: [("+", 256), ("&&", 256), ("f()", 256), ("+", 10_000), ("&&", 10_000), ("f()", 10_000)])
    func aLongChainGoesThroughEveryStage(_ kind: String, _ terms: Int) {
        let text = Self.program(kind, terms: terms)
        // Everything, the release of the trees included, on the stack the compiler runs on.
        let (diagnostics, dumped, ir, c) = Driver.onCompilerStack {
            var options = PipelineOptions()
            options.runPasses = true
            let result = Pipeline.run([SourceFile(path: "chain.clv", text: text)], through: .c, options: options)
            // The outlines of the syntax trees indent each level: for a short chain only.
            let dumped = terms > 256 ? [] : Stage.allCases.filter { !Pipeline.dump($0, result).isEmpty }
            return (result.diagnostics.map(\.message), dumped, Pipeline.dump(.ir, result), result.c?.source ?? "")
        }
        #expect(terms > 256 || [.ast, .typed, .states, .ir, .graph, .c].allSatisfy(dumped.contains), "\(dumped)")
        #expect(diagnostics.isEmpty, "\(diagnostics.prefix(3))")
        // One operation per operator or call: the chain is lowered whole.
        let operations = kind == "+" ? ir.components(separatedBy: " + ").count - 1 : ir.components(separatedBy: ".f(").count - 1
        if kind != "&&" { #expect(operations >= terms - 1, "\(operations)") }
        #expect(!c.isEmpty)
    }

    @Test func theBinaryChecksDumpsAndRejectsLongChains() throws {
        let dir = Scratch.url("chains")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for kind in ["+", "&&", "f()"] {
            let file = dir.appendingPathComponent("chain.clv").path
            try Self.program(kind, terms: 10_000).write(toFile: file, atomically: true, encoding: .utf8)
            for command in [["check"], ["dump", "--stage", "ir"]] {
                let r = try runProcess(Repo.cleaveBinary, command + [file])
                #expect(!r.signaled && r.status == 0, "\(command) \(kind): \(r.stderr.prefix(300))")
            }
        }
        // Past the chain limit: one error, with its position.
        let file = dir.appendingPathComponent("toolong.clv").path
        try Self.program("+", terms: 40_000).write(toFile: file, atomically: true, encoding: .utf8)
        let r = try runProcess(Repo.cleaveBinary, ["check", file])
        #expect(!r.signaled && r.status == 1)
        #expect(r.stderr.contains("\(file):7:"))
        #expect(
            r.stderr.contains("error: expression is too long (more than 30000 operators, calls, subscripts and member accesses in a row)"))
        #expect(r.stderr.hasSuffix("1 error generated.\n"))
    }
}

// The `cleave` command line, run as a process: exit codes, output streams, help.

import CleaveTestSupport
import Foundation
import Testing

@Suite struct CommandLineTests {
    let cleave = Repo.cleaveBinary

    @Test(arguments: Repo.examples)
    func checkOfAnExampleIsSilentAndSucceeds(_ path: String) throws {
        let r = try runProcess(cleave, ["check", path])
        #expect(r.status == 0)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.isEmpty, "\(r.stderr)")
    }

    @Test func checkOfABrokenProgramPrintsPositionedErrorsAndExitsOne() throws {
        let path = Repo.path("Tests/Diagnostics/demo_mistakes.clv")
        let r = try runProcess(cleave, ["check", path])
        #expect(r.status == 1)
        #expect(r.stdout.isEmpty)
        // file:line:col, the source line, a caret under the name.
        #expect(r.stderr.contains("\(path):10:13: error: cannot find 'tabel' in scope [undefined-name]\n"))
        #expect(
            r.stderr.contains(
                "            tabel[parts[1]] = parts[2]   // expected-error:13 {{cannot find 'tabel' in scope}}\n            ^~~~~\n"))
        #expect(r.stderr.contains("4 errors generated."))
    }

    /// Globals are computed when a program is checked; one that traps is an error there, one the
    /// check cannot finish (endless recursion, an endless loop, a value too large) is left to the
    /// service's start, and the check neither crashes nor hangs on it.
    @Test func globalsAreComputedWhenCheckedWithinBounds() throws {
        let dir = Scratch.path("globals-at-check")
        let programs = [
            ("recursion", "let r = f(1)\nfunc f(_ n: Int) -> Int { return f(n + 1) }\n"),
            ("loop", "let r = spin()\nfunc spin() -> Int {\n    var i = 0\n    while i >= 0 { i = i &+ 1 }\n    return i\n}\n"),
            ("large", "let r = Bytes(repeating: 0, count: 1 << 40).count\n"),
            ("traps", "let table = [1, 2, 3]\nlet r = table[7]\n"),
        ]
        for (name, text) in programs {
            let path = "\(dir)/\(name).clv"
            try (text + "func main() { print(String(r)) }\n").write(toFile: path, atomically: true, encoding: .utf8)
            let r = try runProcess(cleave, ["check", path])
            #expect(!r.signaled, "\(name): \(r.stderr)")
            if name == "traps" {
                #expect(r.status == 1, "\(r.stderr)")
                #expect(
                    r.stderr.contains(
                        "traps.clv:2:5: error: global constant 'r' cannot be computed: index out of range: 7, but the count is 3 [global-traps]"
                    ),
                    "\(r.stderr)")
                #expect(r.stderr.contains("traps.clv:2:9: note: it stops here when computed at build time"), "\(r.stderr)")
            } else {
                #expect(r.status == 0 && !r.stderr.contains("error"), "\(name): \(r.stderr)")
            }
        }
    }

    @Test func missingFileIsAUsageError() throws {
        let r = try runProcess(cleave, ["check", "/nonexistent/nothing.clv"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("no such file or directory: '/nonexistent/nothing.clv'"))
    }

    @Test func badOptionsAreUsageErrors() throws {
        let noFiles = try runProcess(cleave, ["check"])
        #expect(noFiles.status == 2)
        #expect(noFiles.stderr.contains("no input files"))
        let badStage = try runProcess(cleave, ["dump", "--stage", "nonsense", Repo.path("Examples/kv/kv.clv")])
        #expect(badStage.status == 2)
        #expect(badStage.stderr.contains("nonsense"))
        let unknown = try runProcess(cleave, ["frobnicate"])
        #expect(unknown.status == 2)
        // Every message says "error:" as the diagnostics do, whoever found the mistake.
        for r in [noFiles, badStage, unknown] {
            #expect(r.stderr.hasPrefix("cleave: error: "), "\(r.stderr)")
            #expect(!r.stderr.contains("Error:"), "\(r.stderr)")
        }
        #expect(unknown.stderr.hasPrefix("cleave: error: unexpected argument 'frobnicate'"), "\(unknown.stderr)")
    }

    /// A directory holding `many.clv`: a warning, then 30 type errors, one a line.
    func manyErrors() throws -> URL {
        let dir = Scratch.url("limit-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let lines = (0..<30).map { "    let x\($0): Bool = \($0)\n" }.joined()
        try ("func main() {\n    return\n    let unreachable = 1\n" + lines + "}\n").write(
            to: dir.appendingPathComponent("many.clv"), atomically: true, encoding: .utf8)
        return dir
    }

    func errorLines(_ stderr: String) -> [Substring] {
        stderr.split(separator: "\n").filter { $0.contains(": error: ") }
    }

    @Test func errorsPastTheLimitAreLeftOutWithOneClosingLine() throws {
        let dir = try manyErrors()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("many.clv").path
        let r = try runProcess(cleave, ["check", file])
        #expect(r.status == 1)
        // As clang: 20 errors by default (the warning before them does not count), then one line for the rest.
        let errors = errorLines(r.stderr)
        #expect(errors.count == 21)
        #expect(errors.dropLast().allSatisfy { $0.hasPrefix("\(file):") && $0.hasSuffix("[conversion]") })
        #expect(
            errors.last
                == "cleave: error: too many errors emitted (10 more errors not shown); use --error-limit 0 to show all [too-many-errors]")
        #expect(r.stderr.contains(": warning: "))
        #expect(r.stderr.hasSuffix("30 errors, 1 warning generated.\n"))
        let all = try runProcess(cleave, ["check", "--error-limit", "0", file])
        #expect(all.status == 1)
        #expect(errorLines(all.stderr).count == 30)
        #expect(!all.stderr.contains("too many errors"))
        let few = try runProcess(cleave, ["check", "--error-limit", "2", "--no-diagnostic-ids", file])
        #expect(few.status == 1)
        #expect(errorLines(few.stderr).count == 3)
        #expect(few.stderr.contains("cleave: error: too many errors emitted (28 more errors not shown); use --error-limit 0 to show all\n"))
    }

    @Test(arguments: [["check"], ["dump", "--stage", "typed"], ["graph"], ["build"], ["run"]])
    func everyCommandThatPrintsDiagnosticsTakesAnErrorLimit(_ command: [String]) throws {
        let dir = try manyErrors()
        defer { try? FileManager.default.removeItem(at: dir) }
        let output = command == ["build"] ? ["-o", dir.appendingPathComponent("many").path] : []
        let r = try runProcess(cleave, command + output + ["--error-limit", "3", dir.appendingPathComponent("many.clv").path])
        #expect(r.status == 1, "\(r.stderr.prefix(500))")
        #expect(errorLines(r.stderr).count == 4)
        #expect(r.stderr.contains("too many errors emitted (27 more errors not shown)"))
        let help = try runProcess(cleave, [command[0], "--help"])
        #expect(help.stdout.contains("--error-limit"))
    }

    @Test(arguments: [
        ["check"], ["dump", "--stage", "ir"], ["dump", "--stage", "c"], ["dump", "--stage", "projected"],
        ["graph", "--stage", "components"], ["build", "--target", "isolated"], ["build"], ["run", "--target", "isolated"],
    ])
    func everyCommandChecksThePartitionItIsGiven(_ command: [String]) throws {
        // One check of --partition, whatever stage the command stops at.
        let dir = Scratch.path("partition-\(command.joined(separator: "-"))")
        let output = command.first == "build" ? ["-o", dir + "/kv"] : []
        let r = try runProcess(cleave, command + output + ["--partition", "nothing|device", Repo.path("Examples/kv/kv.clv")])
        #expect(r.status == 1, "\(command): \(r.stderr.prefix(500))")
        #expect(r.stderr.contains("--partition names 'nothing', which is not a state of main"), "\(command): \(r.stderr.prefix(500))")
        #expect(r.stdout.isEmpty || command.first == "dump" || command.first == "graph", "\(command): \(r.stdout.prefix(200))")
        let help = try runProcess(cleave, [command[0], "--help"])
        #expect(help.stdout.contains("--partition"), "\(command[0])")
    }

    @Test func aPartitionOfNoStateOrForTheInterpreterIsAUsageError() throws {
        let kv = Repo.path("Examples/kv/kv.clv")
        let empty = try runProcess(cleave, ["check", "--partition", "|", kv])
        #expect(empty.status == 2)
        #expect(empty.stderr.contains("--partition names no state"), "\(empty.stderr)")
        let interpreted = try runProcess(cleave, ["run", "--interpret", "--partition", "store", kv, "--", "--help"])
        #expect(interpreted.status == 2)
        #expect(interpreted.stderr.contains("the interpreter runs the program as written"), "\(interpreted.stderr)")
    }

    @Test func aNegativeErrorLimitIsAUsageError() throws {
        let r = try runProcess(cleave, ["check", "--error-limit", "-1", Repo.path("Examples/kv/kv.clv")])
        #expect(r.status == 2)
        #expect(r.stderr.contains("--error-limit"))
    }

    @Test(arguments: [["--help"], ["check", "--help"], ["dump", "--help"]])
    func helpIsPrintedAndSucceeds(_ args: [String]) throws {
        let r = try runProcess(cleave, args)
        #expect(r.status == 0)
        #expect(r.stdout.contains("USAGE:"))
    }

    @Test func dumpPrintsTheStageToStandardOutput() throws {
        let kv = Repo.path("Examples/kv/kv.clv")
        let ast = try runProcess(cleave, ["dump", "--stage", "ast", kv])
        #expect(ast.status == 0)
        #expect(ast.stdout.hasPrefix("File kv.clv\n"))
        let typed = try runProcess(cleave, ["dump", "--stage", "typed", kv])
        #expect(typed.status == 0)
        #expect(typed.stdout.contains("Bind parts#1: [Bytes]"))
        let imports = try runProcess(cleave, ["dump", "--stage", "imports", Repo.path("Tests/Inputs/cimport/checksum.clv")])
        #expect(imports.status == 0)
        #expect(imports.stdout.contains("func internet_checksum(_ data: Bytes, _ length: UInt64) -> UInt16"))
        #expect(imports.stdout.contains("user"))
    }

    @Test func stopAfterAndDumpAfterWorkForEveryStage() throws {
        let kv = Repo.path("Examples/kv/kv.clv")
        let stopped = try runProcess(cleave, ["check", "--stop-after", "ast", "--dump-after", "ast", kv])
        #expect(stopped.status == 0)
        #expect(stopped.stdout.hasPrefix("File kv.clv"))
        // A type error is not found when stopping after parsing.
        let dir = Scratch.url("cli")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("typeerror.clv")
        try "func main() {\n    let x: Bool = 1\n}\n".write(to: file, atomically: true, encoding: .utf8)
        #expect(try runProcess(cleave, ["check", "--stop-after", "ast", file.path]).status == 0)
        #expect(try runProcess(cleave, ["check", "--stop-after", "imports", file.path]).status == 0)
        #expect(try runProcess(cleave, ["check", file.path]).status == 1)
    }

    @Test func graphWritesDotThatGraphvizAcceptsOrJSON() throws {
        let dir = Scratch.url("graph")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("kv.dot").path
        let r = try runProcess(cleave, ["graph", Repo.path("Examples/kv/kv.clv"), "-o", out])
        #expect(r.status == 0, "\(r.stderr)")
        let dotText = try String(contentsOfFile: out, encoding: .utf8)
        #expect(dotText.hasPrefix("digraph \"main\""))
        #expect(dotText.contains("label=\"device: UdpDevice\""))
        let svg = try runProcess("/usr/bin/dot", ["-Tsvg", out])
        #expect(svg.status == 0 && svg.stdout.contains("<svg"), "\(svg.stderr)")
        let json = try runProcess(cleave, ["graph", "--format", "json", "--function", "answer", Repo.path("Examples/kv/kv.clv")])
        #expect(json.status == 0)
        let parsed = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
        #expect(parsed?.first?["function"] as? String == "answer")
    }

    @Test func explainStatesDescribesEachStateInPlainWords() throws {
        let r = try runProcess(cleave, ["check", "--explain-states", Repo.path("Examples/kv/kv.clv")])
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix("state device: UdpDevice, created in 'main' at kv.clv:35\n"))
        #expect(r.stdout.contains("several uses in one scope"))
        #expect(r.stdout.contains("state store: Store"))
    }

    @Test func graphOfAProgramWithErrorsWritesNothing() throws {
        let dir = Scratch.url("graph-bad")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("bad.dot").path
        let r = try runProcess(cleave, ["graph", Repo.path("Tests/Diagnostics/demo_mistakes.clv"), "-o", out])
        #expect(r.status == 1)
        #expect(r.stdout.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: out))
        let unknown = try runProcess(cleave, ["graph", "--function", "nosuch", Repo.path("Examples/kv/kv.clv")])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("no function 'nosuch' in the program (functions: answer, main)"))
    }

    @Test func filesOfOneProgramSeeEachOther() throws {
        let dir = Scratch.url("multi")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "func double(_ x: Int) -> Int {\n    return x * 2\n}\n".write(
            to: dir.appendingPathComponent("a.clv"), atomically: true, encoding: .utf8)
        try "func main() {\n    let y = double(21)\n    print(\"\\(y)\")\n}\n".write(
            to: dir.appendingPathComponent("b.clv"), atomically: true, encoding: .utf8)
        #expect(try runProcess(cleave, ["check", dir.path]).status == 0)
        let alone = try runProcess(cleave, ["check", dir.appendingPathComponent("b.clv").path])
        #expect(alone.status == 1)
        #expect(alone.stderr.contains("cannot find 'double' in scope"))
    }

    @Test func systemHeaderFunctionsAreMarkedSystem() throws {
        let dir = Scratch.url("sys")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("clock.clv")
        try "import \"time.h\"\n\nfunc main() {\n    let c = clock()\n    print(\"\\(c)\")\n}\n".write(
            to: file, atomically: true, encoding: .utf8)
        let r = try runProcess(cleave, ["dump", "--stage", "imports", file.path])
        #expect(r.status == 0)
        let line = r.stdout.split(separator: "\n").first { $0.contains("func clock(") }
        #expect(line?.contains("system") == true, "\(r.stdout.prefix(500))")
        #expect(try runProcess(cleave, ["check", file.path]).status == 0)
    }
}

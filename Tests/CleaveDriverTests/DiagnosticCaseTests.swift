// Diagnostic cases: each file under Tests/Diagnostics/ is a program with its
// expected diagnostics written beside the code, as in swiftc's and clang's
// -verify tests:
//
//     let n: UInt8 = 300   // expected-error:20 {{integer literal '300' overflows when stored into 'UInt8'}}
//
// `expected-error:COL` expects an error at column COL of the same line;
// `expected-error@+1:COL` (or `@-2:COL`, or `@7:COL` for an absolute line) at
// another line. `expected-warning` and `expected-note` work the same way.
// `expected-fixit:COL-END {{text}}` expects a fix-it replacing columns COL up to
// END (END == COL: an insertion) with `text` (empty: a deletion).
// The test fails for every expectation not produced and for every error or
// warning produced but not expected. Notes are checked when a case expects any,
// and so are fix-its.

import CleaveDiagnostics
import CleaveDriver
import CleaveTestSupport
import Foundation
import Testing

struct Expectation: Hashable, CustomStringConvertible {
    let severity: String
    let line: Int
    let column: Int
    let message: String
    var description: String { "\(line):\(column): \(severity): \(message)" }
}

func parseExpectations(_ text: String) -> [Expectation] {
    var out: [Expectation] = []
    let pattern = #/expected-(error|warning|note|fixit)(?:@([+-]?)(\d+))?:(\d+)(?:-(\d+))? \{\{(.*?)\}\}/#
    for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
        for m in line.matches(of: pattern) {
            var target = i + 1
            if let n = m.3.flatMap({ Int($0) }) {
                switch m.2 {
                case "+": target = i + 1 + n
                case "-": target = i + 1 - n
                default: target = n
                }
            }
            // A fix-it's message is where it ends and what it writes there.
            let message = m.1 == "fixit" ? "\(m.5.map(String.init) ?? String(m.4)) \(m.6)" : String(m.6)
            out.append(Expectation(severity: String(m.1), line: target, column: Int(m.4)!, message: message))
        }
    }
    return out
}

@Suite struct DiagnosticCaseTests {
    static let cases = Repo.files(in: "Tests/Diagnostics", withExtension: "clv")

    @Test func thereAreEnoughCases() {
        #expect(Self.cases.count >= 40, "Tests/Diagnostics should hold at least 40 cases")
    }

    @Test(arguments: cases)
    func diagnosticsMatchExpectations(_ path: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let expected = parseExpectations(text)
        #expect(!expected.isEmpty, "\(path) has no expectations")
        let result = Pipeline.run([SourceFile(path: path, text: text)], through: .graph)
        let checkNotes = expected.contains { $0.severity == "note" }
        let checkFixIts = expected.contains { $0.severity == "fixit" }
        var produced: [Expectation] = []
        for d in result.diagnostics {
            if checkFixIts {
                for f in d.fixIts where f.span.file.path == path {
                    let end = f.span.file.lineAndColumn(of: f.span.end).column
                    let message = "\(end) \(f.replacement)"
                    produced.append(Expectation(severity: "fixit", line: f.span.line, column: f.span.column, message: message))
                }
            }
            if let span = d.span, span.file.path == path {
                produced.append(Expectation(severity: d.severity.rawValue, line: span.line, column: span.column, message: d.message))
            } else {
                produced.append(Expectation(severity: d.severity.rawValue, line: 0, column: 0, message: d.message))
            }
            if checkNotes {
                for n in d.notes {
                    if let span = n.span, span.file.path == path {
                        produced.append(Expectation(severity: "note", line: span.line, column: span.column, message: n.message))
                    } else if n.span == nil {
                        produced.append(Expectation(severity: "note", line: d.span?.line ?? 0, column: 0, message: n.message))
                    }
                }
            }
        }
        let missing = expected.filter { e in !produced.contains(e) && !(e.severity == "note" && e.column == 0) }
        let unexpected = produced.filter { p in
            !expected.contains(p) && !(p.severity == "note" && p.column == 0 && !expected.contains { $0.message == p.message })
                && !(p.severity == "note" && p.column == 0)
        }
        let name = URL(fileURLWithPath: path).lastPathComponent
        #expect(missing.isEmpty, "\(name): expected but not produced:\n\(missing.map(\.description).joined(separator: "\n"))")
        #expect(unexpected.isEmpty, "\(name): produced but not expected:\n\(unexpected.map(\.description).joined(separator: "\n"))")
    }
}

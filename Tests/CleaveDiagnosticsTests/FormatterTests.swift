// The diagnostic formatter: exact renderings.

import CleaveDiagnostics
import Testing

@Suite struct FormatterTests {
    let file = SourceFile(path: "kv.clv", text: "state Store {\n    var table: Map<Bytes, Bytes> = Map()\n\tlet v = tabel[k]\n}\n")

    func span(_ line: Int, _ column: Int, length: Int) -> SourceSpan {
        let start = file.lineStarts[line - 1] + column - 1
        return SourceSpan(file: file, start: start, end: start + length)
    }

    @Test func lineAndColumnAreOneBasedBytes() {
        #expect(file.lineAndColumn(of: 0) == (1, 1))
        #expect(file.lineAndColumn(of: 14) == (2, 1))
        #expect(file.lineAndColumn(of: 18) == (2, 5))
        #expect(file.lineText(3) == "\tlet v = tabel[k]")
        #expect(file.lineText(99) == "")
    }

    @Test func errorWithRangeNoteAndTabs() {
        let d = Diagnostic(
            .error("undefined-name", "cannot find 'tabel' in scope"), at: span(3, 10, length: 5),
            notes: [DiagnosticNote("did you mean 'table'?", at: span(2, 9, length: 5))])
        let text = DiagnosticFormatter().format(d)
        #expect(
            text == """
                kv.clv:3:10: error: cannot find 'tabel' in scope [undefined-name]
                \tlet v = tabel[k]
                \t        ^~~~~
                kv.clv:2:9: note: did you mean 'table'?
                    var table: Map<Bytes, Bytes> = Map()
                        ^~~~~

                """)
    }

    @Test func fixItOnTheSameLineIsPrintedUnderTheCaret() {
        let s = span(2, 5, length: 3)
        let d = Diagnostic(.error("x", "use 'let'"), at: s, fixIts: [FixIt(replace: s, with: "let")])
        #expect(
            DiagnosticFormatter(showIDs: false).format(d) == """
                kv.clv:2:5: error: use 'let'
                    var table: Map<Bytes, Bytes> = Map()
                    ^~~
                    let

                """)
    }

    @Test func fixItElsewhereGetsItsOwnLocation() {
        let d = Diagnostic(
            .error("assign-to-let", "cannot assign"), at: span(3, 2, length: 3),
            fixIts: [FixIt(replace: span(2, 5, length: 3), with: "let")])
        let text = DiagnosticFormatter(showIDs: false).format(d)
        #expect(text.contains("kv.clv:2:5: fix-it: write 'let' here\n    var table"))
    }

    @Test func spanlessNotesAndDiagnostics() {
        let d = Diagnostic(.warning("w", "something odd"), at: nil, notes: [DiagnosticNote("a hint", at: nil)])
        #expect(DiagnosticFormatter().format(d) == "cleave: warning: something odd [w]\nnote: a hint\n")
    }

    @Test func emptySpanAtEndOfLineGetsOneCaret() {
        let end = file.lineStarts[1] - 1
        let d = Diagnostic(.error("expected", "expected '}'"), at: SourceSpan(file: file, start: end, end: end))
        #expect(DiagnosticFormatter(showIDs: false).format(d) == "kv.clv:1:14: error: expected '}'\nstate Store {\n             ^\n")
    }

    @Test func aLongLineIsShownAsAWindowAroundTheCaret() {
        // One line of 10,002 bytes, the error in its middle: the excerpt shows 160 bytes of it.
        let text = String(repeating: "a + ", count: 1250) + "x!" + String(repeating: " + b", count: 1250)
        let long = SourceFile(path: "long.clv", text: text)
        let d = Diagnostic(.error("expected", "expected an expression"), at: SourceSpan(file: long, start: 5001, end: 5002))
        let lines = DiagnosticFormatter().format(d).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[0] == "long.clv:1:5002: error: expected an expression [expected]")
        let window = String(repeating: "a + ", count: 13) + "x!" + String(repeating: " + b", count: 26) + " +"
        #expect(window.utf8.count == DiagnosticFormatter.widestExcerpt)
        #expect(lines[1] == "..." + window + "...")
        #expect(lines[2] == String(repeating: " ", count: 3 + 53) + "^")
    }

    @Test func summaryCountsErrorsAndWarnings() {
        let e = Diagnostic(.error("a", "x"), at: nil)
        let w = Diagnostic(.warning("b", "y"), at: nil)
        let f = DiagnosticFormatter()
        #expect(f.summary([e, e, w]) == "2 errors, 1 warning generated.\n")
        #expect(f.summary([w]) == "1 warning generated.\n")
        #expect(f.summary([]) == "")
    }

    @Test func errorsPastTheLimitAreCountedInOneClosingError() {
        let errors = (1...5).map { Diagnostic(.error("e", "error \($0)"), at: span(3, $0, length: 1)) }
        let warning = Diagnostic(.warning("w", "a warning"), at: span(1, 1, length: 1))
        let noted = Diagnostic(.error("e", "error 0"), at: nil, notes: [DiagnosticNote("its note", at: nil)])
        let ds = [warning, noted] + errors
        let limited = DiagnosticFormatter(showIDs: false, errorLimit: 3).format(ds)
        // Warnings and notes do not count: the warning, then three errors (one with its note).
        #expect(
            limited.split(separator: "\n").filter { $0.contains("error:") || $0.contains("warning:") || $0.hasPrefix("note:") } == [
                "kv.clv:1:1: warning: a warning",
                "cleave: error: error 0", "note: its note",
                "kv.clv:3:1: error: error 1", "kv.clv:3:2: error: error 2",
                "cleave: error: too many errors emitted (3 more errors not shown); use --error-limit 0 to show all",
            ])
        #expect(DiagnosticFormatter(showIDs: false, errorLimit: 0).format(ds) == DiagnosticFormatter(showIDs: false).format(ds))
        #expect(DiagnosticFormatter(showIDs: false).format(ds).contains("error 5"))
        // Exactly the limit: nothing left out, no closing error.
        #expect(!DiagnosticFormatter(errorLimit: 6).format(ds).contains("too many errors"))
        #expect(
            DiagnosticFormatter(errorLimit: 5).format(ds).hasSuffix(
                "(1 more error not shown); use --error-limit 0 to show all [too-many-errors]\n"))
    }

    @Test func diagnosticsSortBySourcePosition() {
        var ds = Diagnostics()
        ds.append(Diagnostic(.error("a", "late"), at: span(3, 1, length: 1)))
        ds.append(Diagnostic(.error("b", "early"), at: span(1, 1, length: 1)))
        ds.append(Diagnostic(.warning("c", "no place"), at: nil))
        #expect(ds.sorted.map(\.message) == ["no place", "early", "late"])
        #expect(ds.errorCount == 2)
        #expect(ds.warningCount == 1)
        #expect(ds.hasErrors)
    }
}

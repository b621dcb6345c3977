// Rendering diagnostics for people.
//
// The format follows clang and swiftc, so that editors and terminals already know
// how to read it:
//
//     kv.clv:12:17: error: cannot find 'tabel' in scope [undefined-name]
//         let v = tabel[k]
//                 ^~~~~
//     kv.clv:4:9: note: did you mean 'table'?
//         var table: Map<Bytes, Bytes> = Map()
//             ^~~~~
//
// The caret marks the first byte of the span, `~` the rest of it on that line.
// Tabs in the source line are kept in the marker line so the caret stays aligned.
// A fix-it is printed under the marker line as the text to put there.

public struct DiagnosticFormatter: Sendable {
    /// Print the `[id]` after each message.
    public var showIDs: Bool

    public init(showIDs: Bool = true) {
        self.showIDs = showIDs
    }

    public func format(_ d: Diagnostic) -> String {
        var out = ""
        let suffix = showIDs ? " [\(d.id)]" : ""
        out += header(d.span, d.severity.rawValue, d.message + suffix)
        if let span = d.span {
            out += excerpt(span, fixIts: d.fixIts)
        }
        for fix in d.fixIts where d.span.map({ $0.file !== fix.span.file || $0.line != fix.span.line }) ?? true {
            out += header(fix.span, "fix-it", fix.replacement.isEmpty ? "delete this" : "write '\(fix.replacement)' here")
            out += excerpt(fix.span, fixIts: [fix])
        }
        for note in d.notes {
            if let span = note.span {
                out += header(span, "note", note.message)
                out += excerpt(span, fixIts: [])
            } else {
                out += "note: \(note.message)\n"
            }
        }
        return out
    }

    public func format(_ ds: [Diagnostic]) -> String {
        ds.map(format).joined()
    }

    /// `N errors, M warnings` or nothing when there are none.
    public func summary(_ ds: [Diagnostic]) -> String {
        let e = ds.filter(\.isError).count
        let w = ds.filter { $0.severity == .warning }.count
        var parts: [String] = []
        if e > 0 { parts.append(e == 1 ? "1 error" : "\(e) errors") }
        if w > 0 { parts.append(w == 1 ? "1 warning" : "\(w) warnings") }
        return parts.isEmpty ? "" : parts.joined(separator: ", ") + " generated.\n"
    }

    private func header(_ span: SourceSpan?, _ severity: String, _ message: String) -> String {
        if let span { return "\(span.description): \(severity): \(message)\n" }
        return "cleave: \(severity): \(message)\n"
    }

    private func excerpt(_ span: SourceSpan, fixIts: [FixIt]) -> String {
        let file = span.file
        let (line, column) = file.lineAndColumn(of: span.start)
        let text = file.lineText(line)
        let bytes = Array(text.utf8)
        // The marker covers the span's bytes on the first line only.
        let lineEnd = file.lineStarts[line - 1] + bytes.count
        let markEnd = min(span.end, lineEnd)
        let width = max(1, markEnd - span.start)
        var marker = ""
        for i in 0..<(column - 1) where i < bytes.count {
            marker += bytes[i] == UInt8(ascii: "\t") ? "\t" : " "
        }
        if column - 1 > bytes.count {
            marker += String(repeating: " ", count: column - 1 - bytes.count)
        }
        marker += "^" + String(repeating: "~", count: width - 1)
        var out = text + "\n" + marker + "\n"
        for fix in fixIts where fix.span.file === file && fix.span.line == line {
            let pad = String(repeating: " ", count: fix.span.column - 1)
            out += pad + (fix.replacement.isEmpty ? "(delete)" : fix.replacement) + "\n"
        }
        return out
    }
}

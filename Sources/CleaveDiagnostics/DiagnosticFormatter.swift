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
// A line longer than `widestExcerpt` bytes is shown as a window around the caret.
// A fix-it is printed under the marker line as the text to put there.
//
// As in clang, the errors printed can be limited: past the limit, the remaining
// diagnostics are left out (one mistake can cause thousands of errors, each
// printing its source line) and one closing error says how many errors were not
// shown. Warnings and notes do not count towards the limit; a note is printed
// with its diagnostic.

public struct DiagnosticFormatter: Sendable {
    /// Print the `[id]` after each message.
    public var showIDs: Bool
    /// The most errors `format(_ ds:)` prints; 0 for no limit.
    public var errorLimit: Int

    public init(showIDs: Bool = true, errorLimit: Int = 0) {
        self.showIDs = showIDs
        self.errorLimit = errorLimit
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

    /// The diagnostics in order, up to the `errorLimit`-th error; then the closing error.
    public func format(_ ds: [Diagnostic]) -> String {
        var out = ""
        var errors = 0
        for (k, d) in ds.enumerated() {
            if d.isError && errorLimit > 0 && errors == errorLimit {
                let rest = ds[k...].filter(\.isError).count
                return out + format(Diagnostic(.tooManyErrors(rest), at: nil))
            }
            if d.isError { errors += 1 }
            out += format(d)
        }
        return out
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

    /// The most bytes of a source line an excerpt shows: a longer line (a minified or generated
    /// file) is shown as a window around the caret, `...` marking what is left out, so that one
    /// long line does not fill the output once for every diagnostic on it.
    public static let widestExcerpt = 160

    private func excerpt(_ span: SourceSpan, fixIts: [FixIt]) -> String {
        let file = span.file
        let (line, column) = file.lineAndColumn(of: span.start)
        let text = file.lineText(line)
        let bytes = Array(text.utf8)
        // The marker covers the span's bytes on the first line only.
        let lineEnd = file.lineStarts[line - 1] + bytes.count
        let markEnd = min(span.end, lineEnd)
        // The window of the line shown, on UTF-8 character boundaries: all of it when it is short.
        var start = 0
        var end = bytes.count
        if bytes.count > Self.widestExcerpt {
            start = max(0, min(column - 1 - Self.widestExcerpt / 3, bytes.count - Self.widestExcerpt))
            end = start + Self.widestExcerpt
            while start > 0 && bytes[start] & 0xC0 == 0x80 { start -= 1 }
            while end < bytes.count && bytes[end] & 0xC0 == 0x80 { end += 1 }
        }
        let before = start > 0 ? "..." : ""
        let shown = before + String(decoding: bytes[start..<end], as: UTF8.self) + (end < bytes.count ? "..." : "")
        let width = max(1, min(markEnd, file.lineStarts[line - 1] + end) - span.start)
        var marker = String(repeating: " ", count: before.count)
        for i in start..<(column - 1) where i < end {
            marker += bytes[i] == UInt8(ascii: "\t") ? "\t" : " "
        }
        if column - 1 > bytes.count {
            marker += String(repeating: " ", count: column - 1 - bytes.count)
        }
        marker += "^" + String(repeating: "~", count: width - 1)
        var out = shown + "\n" + marker + "\n"
        for fix in fixIts where fix.span.file === file && fix.span.line == line {
            let pad = String(repeating: " ", count: before.count + max(0, fix.span.column - 1 - start))
            out += pad + (fix.replacement.isEmpty ? "(delete)" : fix.replacement) + "\n"
        }
        return out
    }
}

// Messages of the formatter, sorted by id.

extension DiagnosticMessage {
    static func tooManyErrors(_ notShown: Int) -> DiagnosticMessage {
        error(
            "too-many-errors",
            "too many errors emitted (\(notShown) more error\(notShown == 1 ? "" : "s") not shown); use --error-limit 0 to show all")
    }
}

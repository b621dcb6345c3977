// Source files and positions.
//
// Every phase of Cleave points back at the user's text, so the representation of
// "where" is shared by all of them. A `SourceFile` owns its text as UTF-8 bytes and
// knows where each line starts; a `SourceLocation` is a byte offset into one file,
// and a `SourceSpan` is a half-open byte range. Lines and columns are computed only
// when a diagnostic is rendered: they are 1-based, and columns count bytes, as
// compilers (gcc, clang, swiftc) do.

/// One file of source text, identified by the path it was loaded from.
public final class SourceFile: Sendable, Hashable {
    public let path: String
    public let text: [UInt8]
    /// Byte offset of the first byte of each line; `lineStarts[0] == 0`.
    public let lineStarts: [Int]

    public init(path: String, text: String) {
        self.path = path
        self.text = Array(text.utf8)
        var starts = [0]
        for (i, b) in self.text.enumerated() where b == UInt8(ascii: "\n") {
            starts.append(i + 1)
        }
        self.lineStarts = starts
    }

    /// 1-based line and column of a byte offset (clamped into the file).
    public func lineAndColumn(of offset: Int) -> (line: Int, column: Int) {
        let offset = max(0, min(offset, text.count))
        var lo = 0
        var hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= offset { lo = mid } else { hi = mid - 1 }
        }
        return (lo + 1, offset - lineStarts[lo] + 1)
    }

    /// The text of a 1-based line, without its newline.
    public func lineText(_ line: Int) -> String {
        guard line >= 1 && line <= lineStarts.count else { return "" }
        let start = lineStarts[line - 1]
        var end = line < lineStarts.count ? lineStarts[line] : text.count
        while end > start && (text[end - 1] == UInt8(ascii: "\n") || text[end - 1] == UInt8(ascii: "\r")) {
            end -= 1
        }
        return String(decoding: text[start..<end], as: UTF8.self)
    }

    /// The source text covered by a span.
    public func text(of span: SourceSpan) -> String {
        let s = max(0, min(span.start, text.count))
        let e = max(s, min(span.end, text.count))
        return String(decoding: text[s..<e], as: UTF8.self)
    }

    public static func == (a: SourceFile, b: SourceFile) -> Bool { a === b }
    public func hash(into h: inout Hasher) { h.combine(ObjectIdentifier(self)) }
}

/// A half-open byte range `[start, end)` in one source file.
public struct SourceSpan: Sendable, Hashable {
    public let file: SourceFile
    public let start: Int
    public let end: Int

    public init(file: SourceFile, start: Int, end: Int) {
        self.file = file
        self.start = start
        self.end = max(start, end)
    }

    /// The smallest span covering both.
    public func to(_ other: SourceSpan) -> SourceSpan {
        SourceSpan(file: file, start: min(start, other.start), end: max(end, other.end))
    }

    /// An empty span at this span's start.
    public var startPoint: SourceSpan { SourceSpan(file: file, start: start, end: start) }
    /// An empty span at this span's end.
    public var endPoint: SourceSpan { SourceSpan(file: file, start: end, end: end) }
    /// The last byte of the span: the `}` of a block, where "falls off the end" is reported.
    public var closingBrace: SourceSpan { SourceSpan(file: file, start: max(start, end - 1), end: end) }

    public var line: Int { file.lineAndColumn(of: start).line }
    public var column: Int { file.lineAndColumn(of: start).column }

    /// `path:line:col`
    public var description: String {
        let (l, c) = file.lineAndColumn(of: start)
        return "\(file.path):\(l):\(c)"
    }

    /// `name.clv:line`, the short form used in dumps and generated code.
    public var shortDescription: String {
        let name = file.path.split(separator: "/").last.map(String.init) ?? file.path
        return "\(name):\(line)"
    }

    public static func == (a: SourceSpan, b: SourceSpan) -> Bool {
        a.file === b.file && a.start == b.start && a.end == b.end
    }
    public func hash(into h: inout Hasher) {
        h.combine(start)
        h.combine(end)
    }
}

// A thin layer over libclang's C API.
//
// libclang hands out small value structs (`CXCursor`, `CXType`, `CXSourceLocation`)
// that stay valid as long as their translation unit, and strings (`CXString`) that
// the caller owns and must dispose of. Its traversal functions take a C function
// pointer and an opaque `void *`: a Swift closure that captures nothing can be that
// function pointer, and the opaque pointer carries an unretained reference to a
// small box that collects the results. Everything the importer needs from libclang
// goes through the helpers below, so that the rest of the importer reads as plain
// Swift: `children(of:)` instead of a visitor callback, `String` instead of
// `CXString`, and `HeaderFiles` to turn a clang location into a `SourceSpan`.

import CClang
import CleaveDiagnostics

/// Copies a libclang string into Swift and disposes of it.
func consume(_ s: CXString) -> String {
    defer { clang_disposeString(s) }
    guard let chars = clang_getCString(s) else { return "" }
    return String(cString: chars)
}

func spelling(of cursor: CXCursor) -> String { consume(clang_getCursorSpelling(cursor)) }
func spelling(of type: CXType) -> String { consume(clang_getTypeSpelling(type)) }

/// Collects the cursors a visitor is shown.
private final class CursorBox {
    var cursors: [CXCursor] = []
}

/// The direct children of a cursor, in source order.
func children(of cursor: CXCursor) -> [CXCursor] {
    let box = CursorBox()
    withExtendedLifetime(box) {
        let data = Unmanaged.passUnretained(box).toOpaque()
        _ = clang_visitChildren(
            cursor,
            { child, _, data in
                guard let data else { return CXChildVisit_Break }
                Unmanaged<CursorBox>.fromOpaque(data).takeUnretainedValue().cursors.append(child)
                return CXChildVisit_Continue
            }, data)
    }
    return box.cursors
}

/// The fields of a record type, in declaration order (unnamed ones included).
func fields(of record: CXType) -> [CXCursor] {
    let box = CursorBox()
    withExtendedLifetime(box) {
        let data = Unmanaged.passUnretained(box).toOpaque()
        _ = clang_Type_visitFields(
            record,
            { field, data in
                guard let data else { return CXVisit_Break }
                Unmanaged<CursorBox>.fromOpaque(data).takeUnretainedValue().cursors.append(field)
                return CXVisit_Continue
            }, data)
    }
    return box.cursors
}

/// Names reserved to the implementation: `__x` and `_X`. Declarations with such
/// names are internals of the C library and are skipped without a word.
func isReserved(_ name: String) -> Bool {
    let bytes = Array(name.utf8)
    guard bytes.count >= 2, bytes[0] == UInt8(ascii: "_") else { return false }
    return bytes[1] == UInt8(ascii: "_") || (bytes[1] >= UInt8(ascii: "A") && bytes[1] <= UInt8(ascii: "Z"))
}

/// The text of every file clang read, as `SourceFile`s, so that spans into C
/// headers render with the C line and a caret like spans into Cleave source.
/// Files are loaded on first use from clang's own buffer, so offsets agree with
/// the ones clang reports.
final class HeaderFiles {
    private let unit: CXTranslationUnit
    private var byPath: [String: SourceFile] = [:]

    init(unit: CXTranslationUnit) {
        self.unit = unit
    }

    /// The span of `length` bytes at a clang location, or nil when the location is
    /// not in a file (a builtin, the command line).
    func span(at location: CXSourceLocation, length: Int = 0) -> SourceSpan? {
        var file: CXFile? = nil
        var line: UInt32 = 0
        var column: UInt32 = 0
        var offset: UInt32 = 0
        clang_getExpansionLocation(location, &file, &line, &column, &offset)
        guard let file, let source = sourceFile(file) else { return nil }
        let start = min(Int(offset), source.text.count)
        return SourceSpan(file: source, start: start, end: min(start + length, source.text.count))
    }

    /// The span of a declaration's name: the bytes of `name` at the cursor's
    /// location when they are there, an empty span otherwise (a name made by a macro).
    func span(of cursor: CXCursor, name: String) -> SourceSpan? {
        guard let point = span(at: clang_getCursorLocation(cursor)) else { return nil }
        let length = name.utf8.count
        let candidate = SourceSpan(file: point.file, start: point.start, end: point.start + length)
        if candidate.end <= point.file.text.count && point.file.text(of: candidate) == name {
            return candidate
        }
        return point
    }

    private func sourceFile(_ file: CXFile) -> SourceFile? {
        let path = consume(clang_getFileName(file))
        if let known = byPath[path] { return known }
        var size = 0
        guard let contents = clang_getFileContents(unit, file, &size) else { return nil }
        let buffer = UnsafeRawBufferPointer(start: contents, count: size)
        let source = SourceFile(path: path, text: String(decoding: buffer, as: UTF8.self))
        byPath[path] = source
        return source
    }
}

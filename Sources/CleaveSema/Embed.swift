// `embed("example.zone")`: a file's bytes, read at build time.
//
// A unikernel has no file system, so what a service serves (a zone, pages, keys) is
// compiled in, as Go's `//go:embed` and C23's `#embed` do. The argument is a string
// literal naming a file relative to the directory of the source file that holds the
// call; the call's value is a `Bytes` of the file's contents, as if they had been
// written there as a string literal. Everything after the checker sees only that
// literal, so every target (the interpreter, the unikernel, the isolated build, the
// image) gets the same bytes, and a rebuild reads the file again.
//
// The path rules follow Go's: relative, no `..` and no empty components, so that a
// source names only files beside it or below it (what the source's directory holds
// travels with it). The file must be a regular file of at most `maxSize` bytes; a
// symbolic link is followed. Whatever is wrong is an error at the argument, with a
// note saying where the file was looked for.

import CleaveDiagnostics
import CleaveGrammar
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

enum Embed {
    /// The largest file `embed` takes: it becomes one literal in the generated C.
    static let maxSize = 16 << 20

    enum Failure: Error {
        case badPath(String)
        case missing(String)
        case notRegular(String)
        case tooLarge(String, Int)
        case unreadable(String, String)
    }

    /// The file `spelled` names, relative to the directory of `sourcePath`, or why it cannot be named.
    static func resolve(_ spelled: String, from sourcePath: String) -> Result<String, Failure> {
        if spelled.isEmpty { return .failure(.badPath("the path is empty")) }
        if spelled.utf8.contains(0) { return .failure(.badPath("the path contains a NUL byte")) }
        if spelled.hasPrefix("/") {
            return .failure(.badPath("the path is absolute; name the file relative to the source file's directory"))
        }
        let components = spelled.split(separator: "/", omittingEmptySubsequences: false)
        if components.contains("..") {
            return .failure(.badPath("the path goes up with '..'; an embedded file sits in the source file's directory or below it"))
        }
        if components.contains("") { return .failure(.badPath("the path has an empty component ('//' or a trailing '/')")) }
        let directory = (sourcePath as NSString).deletingLastPathComponent
        let base = directory.isEmpty ? "." : directory
        let joined = components.filter { $0 != "." }.reduce(base) { $0 + "/" + $1 }
        return .success(joined)
    }

    /// The bytes of the file at `path` (as `resolve` gave it).
    static func read(_ path: String) -> Result<[UInt8], Failure> {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let why = errno
            return .failure(why == ENOENT || why == ENOTDIR ? .missing(path) : .unreadable(path, String(cString: strerror(why))))
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else { return .failure(.notRegular(path)) }
        guard Int(info.st_size) <= maxSize else { return .failure(.tooLarge(path, Int(info.st_size))) }
        guard let data = FileManager.default.contents(atPath: path) else {
            return .failure(.unreadable(path, "it cannot be read"))
        }
        guard data.count <= maxSize else { return .failure(.tooLarge(path, data.count)) }
        return .success([UInt8](data))
    }
}

extension FunctionChecker {
    /// `embed("path")`: a `Bytes` literal of the file's contents, or an error at the argument.
    func embedCall(_ args: [Argument], span: SourceSpan) -> TExpr {
        guard args.count == 1, args[0].label == nil else {
            if args.count == 1, let label = args[0].label {
                error(.argumentLabel(label.name, nil), at: args[0].span)
            } else {
                error(.argumentCount(1, args.count), at: span)
            }
            args.forEach { _ = infer($0.value, hint: .error) }
            return .error(span)
        }
        let argument = args[0].value
        guard case .stringLiteral(let parts) = argument.kind,
            parts.allSatisfy({ if case .bytes = $0 { true } else { false } })
        else {
            _ = infer(argument, hint: .string)
            error(
                .embedNotLiteral, at: argument.span,
                notes: [DiagnosticNote("the file is read when the program is built, so its name must be known then", at: nil)])
            return .error(span)
        }
        let spelledBytes = parts.flatMap { p -> [UInt8] in
            if case .bytes(let b) = p { return b }
            return []
        }
        let spelled = String(decoding: spelledBytes, as: UTF8.self)
        let result = Embed.resolve(spelled, from: argument.span.file.path).flatMap { path in
            context.embedded[path]
                ?? {
                    let r = Embed.read(path)
                    context.embedded[path] = r
                    return r
                }()
        }
        switch result {
        case .success(let bytes):
            return TExpr(.stringLiteral(bytes), .bytes, span)
        case .failure(let failure):
            let (message, notes) = Embed.describe(failure, spelled: spelled)
            error(message, at: argument.span, notes: notes)
            return .error(span)
        }
    }
}

extension Embed {
    static func describe(_ failure: Failure, spelled: String) -> (DiagnosticMessage, [DiagnosticNote]) {
        switch failure {
        case .badPath(let why):
            return (.embedBadPath(spelled, why), [])
        case .missing(let path):
            return (.embedMissing(spelled), [DiagnosticNote("looked for '\(path)'", at: nil)])
        case .notRegular(let path):
            return (.embedNotFile(spelled), [DiagnosticNote("'\(path)' is a directory or a device", at: nil)])
        case .tooLarge(let path, let size):
            return (
                .embedTooLarge(spelled, maxSize),
                [DiagnosticNote("'\(path)' has \(size) bytes", at: nil)]
            )
        case .unreadable(let path, let why):
            return (.embedUnreadable(spelled, why), [DiagnosticNote("looked for '\(path)'", at: nil)])
        }
    }
}

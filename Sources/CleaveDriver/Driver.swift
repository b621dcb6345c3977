// The driver: from paths on the command line to the result of a pipeline stage.
//
// The driver loads the program's files (a directory stands for the `.clv`
// files in it), runs the stages of `Pipeline` in order up to the requested one,
// and hands back everything produced with all diagnostics. It never prints and
// never exits: the command line decides what to show and which exit code to use.

import CleaveDiagnostics
import CleaveGrammar
import CleaveSema
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A problem with the command line's inputs, not with the program (exit code 2).
public struct UsageError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}

/// A program's source files, as the pipeline takes them.
public typealias SourceFiles = [SourceFile]

public enum Driver {
    /// Diagnostics as the command line prints them (sorted, at most `errorLimit` errors, then a
    /// summary), and whether one is an error.
    public static func format(_ diagnostics: [Diagnostic], showIDs: Bool, errorLimit: Int) -> (text: String, hasErrors: Bool) {
        var ds = Diagnostics()
        ds.append(contentsOf: diagnostics)
        let formatter = DiagnosticFormatter(showIDs: showIDs, errorLimit: errorLimit)
        let sorted = ds.sorted
        return (formatter.format(sorted) + formatter.summary(sorted), ds.hasErrors)
    }

    /// Read the source files named by `paths`. A directory contributes its `.clv` files, sorted.
    public static func loadSources(_ paths: [String]) throws -> SourceFiles {
        guard !paths.isEmpty else { throw UsageError("no input files") }
        var files: [SourceFile] = []
        var seen = Set<String>()
        let fm = FileManager.default
        for path in paths {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDir) else {
                throw UsageError("no such file or directory: '\(path)'")
            }
            var members = [path]
            if isDir.boolValue {
                let names = (try? fm.contentsOfDirectory(atPath: path)) ?? []
                members = names.filter { $0.hasSuffix(".clv") }.sorted().map { (path as NSString).appendingPathComponent($0) }
                if members.isEmpty { throw UsageError("directory '\(path)' contains no .clv files") }
            }
            for m in members {
                let key = URL(fileURLWithPath: m).standardizedFileURL.path
                guard seen.insert(key).inserted else { continue }
                guard let data = fm.contents(atPath: m) else {
                    throw UsageError("cannot read '\(m)'")
                }
                files.append(SourceFile(path: m, text: String(decoding: data, as: UTF8.self)))
            }
        }
        return files
    }
}

// MARK: - The compiler's stack
//
// The phases after the parser (the checker, constant evaluation, the lowering to the
// IR, the printers of the dumps, even the release of the trees) are recursive walks
// over the syntax tree, written like the grammar they follow. Nesting in the source
// (parentheses, blocks, closures, …) is bounded by the parser at 256 levels, but a
// chain is not nesting and is bounded only at `Parser.maxChainLength` operations:
// `a + b + c + …` is the left-deep tree `((a + b) + c) + …`, and `x.f().g()…` is
// as deep, so a tree can be 30,000 levels deep. Rather than rewrite every walk,
// and every walk still to come, as a loop with a stack of its own, the compiler
// runs on one thread whose stack holds the deepest tree the parser accepts: a level
// of a chain takes up to about 9 KB of stack in a debug build (less in a release one), so
// 30,000 levels take under 300 MB, half of the 512 MB reserved. Only the pages used
// are ever touched. The command line runs on this stack; so do tests that run the
// phases in process on deep input.

extension Driver {
    /// The stack of the thread the compiler runs on (see `onCompilerStack`).
    public static let stackSize = 512 << 20

    /// Run `body` on a thread of its own with a stack of `stackSize` bytes, and wait for it
    /// (where no such thread can be made, on this thread).
    public static func onCompilerStack<T>(_ body: () -> T) -> T {
        withoutActuallyEscaping(body) { body in
            var result: T?
            let job = StackJob { result = body() }
            var attributes = pthread_attr_t()
            pthread_attr_init(&attributes)
            defer { pthread_attr_destroy(&attributes) }
            var thread = pthread_t()
            let started =
                pthread_attr_setstacksize(&attributes, stackSize) == 0
                && pthread_create(
                    &thread, &attributes,
                    { context in
                        Unmanaged<StackJob>.fromOpaque(context!).takeUnretainedValue().run()
                        return nil
                    }, Unmanaged.passUnretained(job).toOpaque()) == 0
            guard started else { return body() }
            pthread_join(thread, nil)
            return result ?? body()
        }
    }
}

/// The work a thread of `onCompilerStack` runs.
private final class StackJob {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}

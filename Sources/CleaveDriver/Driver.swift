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

/// A problem with the command line's inputs, not with the program (exit code 2).
public struct UsageError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}

public enum Driver {
    /// Read the source files named by `paths`. A directory contributes its `.clv` files, sorted.
    public static func loadSources(_ paths: [String]) throws -> [SourceFile] {
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

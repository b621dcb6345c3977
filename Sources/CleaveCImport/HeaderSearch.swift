// Finding the header an import names.
//
// `import "helpers.h"` is looked up the way a C compiler looks up
// `#include "helpers.h"`: first in the directory of the file that contains the
// import, then in the extra include directories the driver was given, then on the
// system include path. The system include path holds the directories clang uses on
// Debian: /usr/local/include, the multiarch directory, /usr/include, and clang's
// resource directory for the compiler's own headers (stddef.h, stdbool.h, …).
// The resource directory's name carries LLVM's full version
// (/usr/lib/llvm-14/lib/clang/14.0.6), so it is found by listing, not written in.
//
// The importer resolves the path itself, before clang sees it, for two reasons:
// a missing header gets a Cleave diagnostic that lists where it looked, and the
// importer knows whether the header came from a system directory, which decides
// whether its declarations count as system declarations (see CImporter.swift).

import Foundation

struct HeaderSearch {
    /// The importing file's directory and the extra include directories, in
    /// search order; headers found there are user headers.
    let userDirectories: [String]
    /// Searched after them; headers found there are system headers.
    let systemDirectories: [String]

    /// LLVM 14's install prefix, as laid out by Debian's llvm-14 packages.
    static let llvmPrefix = "/usr/lib/llvm-14"

    static var multiarchTriple: String {
        #if arch(x86_64)
            "x86_64-linux-gnu"
        #elseif arch(arm64)
            "aarch64-linux-gnu"
        #else
            "unknown-linux-gnu"
        #endif
    }

    /// clang's resource directory (`/usr/lib/llvm-14/lib/clang/14.x.y`): the
    /// newest version directory that has an `include` directory, or nil.
    static let resourceDirectory: String? = {
        let base = llvmPrefix + "/lib/clang"
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: base) else { return nil }
        let candidates = entries.filter { $0.hasPrefix("14") && isDirectory(base + "/" + $0 + "/include") }
        guard let newest = candidates.max(by: { versionLess($0, $1) }) else { return nil }
        return base + "/" + newest
    }()

    /// The system include directories that exist on this machine, in search order.
    static var systemIncludeDirectories: [String] {
        var dirs = ["/usr/local/include", "/usr/include/\(multiarchTriple)", "/usr/include"]
        if let resource = resourceDirectory { dirs.append(resource + "/include") }
        return dirs.filter(isDirectory)
    }

    init(importingDirectory: String, extraDirectories: [String]) {
        self.userDirectories = [importingDirectory] + extraDirectories.map(HeaderSearch.absolute)
        self.systemDirectories = HeaderSearch.systemIncludeDirectories
    }

    enum Result {
        case found(path: String, isSystem: Bool)
        case notFound(searched: [String])
    }

    func resolve(_ spelled: String) -> Result {
        if spelled.isEmpty { return .notFound(searched: []) }
        if spelled.hasPrefix("/") {
            let path = HeaderSearch.normalize(spelled)
            if HeaderSearch.isFile(path) {
                return .found(path: path, isSystem: systemDirectories.contains { HeaderSearch.isInside(path, $0) })
            }
            return .notFound(searched: [])
        }
        for dir in userDirectories {
            let path = HeaderSearch.normalize(dir + "/" + spelled)
            if HeaderSearch.isFile(path) { return .found(path: path, isSystem: false) }
        }
        for dir in systemDirectories {
            let path = HeaderSearch.normalize(dir + "/" + spelled)
            if HeaderSearch.isFile(path) { return .found(path: path, isSystem: true) }
        }
        return .notFound(searched: userDirectories + systemDirectories)
    }

    // MARK: Paths

    /// The directory of the importing file, absolute.
    static func directory(of file: String) -> String {
        let absolutePath = absolute(file)
        guard let slash = absolutePath.lastIndex(of: "/") else { return "/" }
        let dir = String(absolutePath[..<slash])
        return dir.isEmpty ? "/" : dir
    }

    static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return normalize(path) }
        return normalize(FileManager.default.currentDirectoryPath + "/" + path)
    }

    /// Removes `.`, `..` and repeated slashes without touching symbolic links.
    static func normalize(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..": if !parts.isEmpty { parts.removeLast() }
            default: parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }

    static func isInside(_ path: String, _ dir: String) -> Bool {
        path.hasPrefix(dir.hasSuffix("/") ? dir : dir + "/")
    }

    static func isFile(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && !isDir.boolValue
    }

    static func isDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }

    /// Orders "14.0.6" before "14.0.10".
    private static func versionLess(_ a: String, _ b: String) -> Bool {
        let x = a.split(separator: ".").map { Int($0) ?? 0 }
        let y = b.split(separator: ".").map { Int($0) ?? 0 }
        return x.lexicographicallyPrecedes(y)
    }
}

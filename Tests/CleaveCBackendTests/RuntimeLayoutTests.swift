// The C runtime is laid out by concern, with no dependency that goes up
// (Sources/CleaveRuntime/C/README.md).
//
// A folder per concern: core (values and their memory, formatting, traps,
// counters, the life of the service), netif (the netifs of a Linux process),
// hosted (the Linux platform and the unikernel's process) and isolated (the
// isolated target's processes), with platform.h, what a platform implements,
// beside them. A folder may use itself, the folders below it (netif: core;
// hosted and isolated: netif and core) and platform.h. The tests read every
// `#include "…"` of every file and, with `nm`, what each compiled file
// defines and needs; an include or a needed symbol that leads anywhere else
// is a back edge, reported with the file and the symbol. A call to a function
// platform.h declares is never one, whoever implements it: that is how the
// core reaches the platform below it. The core also reaches the world outside
// the process only through platform.h, and of the C library it calls only the
// memory and string functions that a platform without one (an image) provides
// itself: it formats and reads numbers on its own (core/decimal.c).

import CleaveDriver
import CleaveTestSupport
import Foundation
import Testing

/// The runtime's files and what each uses.
struct RuntimeLayout {
    /// Each folder and the folders below it, which it may use besides itself and platform.h.
    static let below: [String: Set<String>] = [
        "core": [], "netif": ["core"], "hosted": ["core", "netif"], "isolated": ["core", "netif"], "image": ["core"],
    ]
    /// The folders that are platforms: they, and nothing else, define what platform.h declares.
    static let platforms: Set<String> = ["hosted", "image"]
    static let platformHeader = "platform.h"

    /// By file (a path relative to the runtime's folder): the headers it includes with quotes,
    /// resolved as the compiler does (its own folder first, then the runtime's folder), or as
    /// written when neither has it.
    var includes: [String: [String]] = [:]
    /// By `.c` file: the global symbols its object file defines, and those it needs.
    var defines: [String: Set<String>] = [:]
    var needs: [String: Set<String>] = [:]
    /// The functions platform.h declares.
    var platformFunctions: Set<String> = []

    /// The folder of a file; nil for one beside the folders (platform.h).
    static func folder(of path: String) -> String? {
        guard let slash = path.firstIndex(of: "/") else { return nil }
        return String(path[..<slash])
    }

    /// Where `folder` may reach: its own folder, the folders below it.
    static func reachable(from folder: String) -> Set<String> { (below[folder] ?? []).union([folder]) }

    /// The folders that define `symbol`.
    func folders(defining symbol: String) -> Set<String> {
        Set(defines.filter { $0.value.contains(symbol) }.keys.compactMap(Self.folder(of:)))
    }

    /// Every include and needed symbol that leads out of what its file's folder may use.
    func backEdges() -> [String] {
        var problems: [String] = []
        for (file, headers) in includes.sorted(by: { $0.key < $1.key }) {
            guard let folder = Self.folder(of: file) else { continue }
            for header in headers where header != Self.platformHeader {
                let target = Self.folder(of: header)
                if target == nil || !Self.reachable(from: folder).contains(target!) { problems.append("\(file) includes \(header)") }
            }
        }
        var definers: [String: Set<String>] = [:]
        for (file, symbols) in defines {
            guard let folder = Self.folder(of: file) else { continue }
            for s in symbols { definers[s, default: []].insert(folder) }
        }
        for (file, symbols) in needs.sorted(by: { $0.key < $1.key }) {
            guard let folder = Self.folder(of: file) else { continue }
            // A symbol no folder defines is the C library's or the generated code's.
            for s in symbols.sorted() where !platformFunctions.contains(s) {
                if let owners = definers[s], owners.isDisjoint(with: Self.reachable(from: folder)) {
                    problems.append("\(file) needs \(s), defined in \(owners.sorted().joined(separator: ", "))")
                }
            }
        }
        return problems
    }

    /// The runtime as it is, read once.
    static let current = Result { try load() }

    /// The runtime as it is: its includes read, its files compiled and their symbols listed.
    static func load() throws -> RuntimeLayout {
        let root = RuntimeSources.root
        var layout = RuntimeLayout()
        let include = try NSRegularExpression(pattern: #"^\s*#\s*include\s*"([^"]+)""#, options: .anchorsMatchLines)
        for file in try allFiles() {
            let text = try String(contentsOfFile: "\(root)/\(file)", encoding: .utf8)
            let dir = (file as NSString).deletingLastPathComponent
            layout.includes[file] = include.matches(in: text, range: NSRange(text.startIndex..., in: text)).map { m in
                let written = String(text[Range(m.range(at: 1), in: text)!])
                let beside = dir.isEmpty ? written : "\(dir)/\(written)"
                if FileManager.default.fileExists(atPath: "\(root)/\(beside)") { return beside }
                return written
            }
        }
        let header = try String(contentsOfFile: "\(root)/\(platformHeader)", encoding: .utf8)
        let declared = try NSRegularExpression(pattern: #"\b(cl_platform_\w+)\s*\("#)
        layout.platformFunctions = Set(
            declared.matches(in: header, range: NSRange(header.startIndex..., in: header)).map {
                String(header[Range($0.range(at: 1), in: header)!])
            })

        // One compiler call, an object per source named after its file (names are unique).
        let objects = Scratch.path("runtime-layout")
        let sources = RuntimeSources.all
        let compile = try runProcess(
            "/usr/bin/env", ["cc"] + Build.cFlags + ["-I", root, "-c"] + sources.map { "\(root)/\($0)" }, in: objects)
        guard compile.status == 0 else { throw BuildFailure(description: "the runtime does not compile:\n\(compile.stderr)") }
        // The image's folder as an image is built: freestanding, with its own string.h and math.h.
        let compilerHeaders = try runProcess("/usr/bin/env", ["cc", "-print-file-name=include"]).stdout.trimmingCharacters(
            in: .whitespacesAndNewlines)
        let imageCompile = try runProcess(
            "/usr/bin/env",
            ["cc"] + Build.cFlags + Build.imageCFlags + [
                "-isystem", compilerHeaders, "-isystem", "\(root)/image/include", "-I", root, "-c",
            ]
                + RuntimeSources.image.map { "\(root)/\($0)" }, in: objects)
        guard imageCompile.status == 0 else {
            throw BuildFailure(description: "the image's runtime does not compile:\n\(imageCompile.stderr)")
        }
        for source in sources + RuntimeSources.image {
            let object = "\(objects)/\(((source as NSString).lastPathComponent as NSString).deletingPathExtension).o"
            let nm = try runProcess("/usr/bin/env", ["nm", "-P", "-g", object])
            guard nm.status == 0 else { throw BuildFailure(description: "nm \(object): \(nm.stderr)") }
            for line in nm.stdout.split(separator: "\n") {
                let parts = line.split(separator: " ")
                guard parts.count >= 2 else { continue }
                let (name, kind) = (String(parts[0]), parts[1])
                if kind == "U" {
                    layout.needs[source, default: []].insert(name)
                } else if source == "image/libc.c" {
                    continue  // the image's C library: what it defines is the C library's, not a folder's
                } else if kind != "w" && kind != "v" {
                    layout.defines[source, default: []].insert(name)
                }
            }
        }
        return layout
    }

    /// Every C source and header of the runtime, relative to its folder.
    static func allFiles() throws -> [String] {
        let root = RuntimeSources.root
        guard let items = FileManager.default.enumerator(atPath: root) else { return [] }
        return items.compactMap { $0 as? String }.filter { $0.hasSuffix(".c") || $0.hasSuffix(".h") }.sorted()
    }
}

@Suite struct RuntimeLayoutTests {
    /// What the core may call of the C library: the memory and string functions, which an image
    /// provides itself, their checked forms (_FORTIFY_SOURCE), and what the compiler adds to check
    /// the stack. Not stdio's formatting, strtod or the math library: the core
    /// formats and reads numbers itself, the same on every platform (core/decimal.c).
    static func computesOnly(_ symbol: String) -> Bool {
        let names: Set<String> = ["memchr", "memcmp", "memcpy", "memmove", "memset", "strlen", "strcmp", "strncmp"]
        if names.contains(symbol) || symbol == "__stack_chk_fail" { return true }
        // __memcpy_chk and the like.
        guard symbol.hasPrefix("__") && symbol.hasSuffix("_chk") else { return false }
        return names.contains(String(symbol.dropFirst(2).dropLast(4)))
    }

    @Test func everyFileIsInTheFolderOfItsConcern() throws {
        let files = try RuntimeLayout.allFiles()
        #expect(files.count > 20, "\(files)")
        for file in files {
            let folder = RuntimeLayout.folder(of: file)
            let placed = folder.map { RuntimeLayout.below[$0] != nil } ?? (file == RuntimeLayout.platformHeader)
            #expect(placed, "\(file) is in no folder of the runtime (core, netif, hosted, isolated, image) and is not platform.h")
        }
        let names = (RuntimeSources.all + RuntimeSources.image).map { ($0 as NSString).lastPathComponent }
        #expect(Set(names).count == names.count, "two sources have one name: \(names.sorted())")
    }

    @Test func noIncludeOrCallGoesUp() throws {
        let layout = try RuntimeLayout.current.get()
        #expect(layout.includes.values.joined().contains("core/cleave.h"), "no include was read")
        #expect(layout.needs["netif/udp.c"]?.contains("cl_count") == true, "no symbol was read: \(layout.needs)")
        let problems = layout.backEdges()
        #expect(problems.isEmpty, "back edges between the runtime's folders:\n\(problems.joined(separator: "\n"))")
    }

    /// The checker finds a back edge of each kind, and takes a call into platform.h for none.
    @Test func aBackEdgeIsFound() throws {
        var layout = try RuntimeLayout.current.get()
        layout.includes["core/heap.c", default: []].append("netif/netif.h")
        layout.needs["core/heap.c", default: []].insert("cl_netif_open")
        layout.needs["netif/udp.c", default: []].insert("cl_platform_start")
        layout.needs["netif/udp.c", default: []].insert("cl_components_run")
        layout.needs["isolated/ring.c", default: []].insert("cl_components_run")
        let problems = layout.backEdges()
        #expect(problems.contains("core/heap.c includes netif/netif.h"), "\(problems)")
        #expect(problems.contains("core/heap.c needs cl_netif_open, defined in netif"), "\(problems)")
        #expect(problems.contains("netif/udp.c needs cl_components_run, defined in hosted"), "\(problems)")
        #expect(problems.contains("isolated/ring.c needs cl_components_run, defined in hosted"), "\(problems)")
        #expect(!problems.contains { $0.contains("cl_platform_start") }, "\(problems)")
    }

    /// A platform implements all of platform.h, and only a platform implements it.
    @Test func hostedImplementsPlatformH() throws {
        let layout = try RuntimeLayout.current.get()
        #expect(layout.platformFunctions.count >= 10, "\(layout.platformFunctions.sorted())")
        for f in layout.platformFunctions.sorted() {
            #expect(layout.folders(defining: f) == RuntimeLayout.platforms, "\(f) is defined in \(layout.folders(defining: f).sorted())")
        }
    }

    /// The core needs nothing of the C library that reaches outside the process: its console,
    /// exit, memory and frames are the platform's.
    @Test func theCoreReachesOutOnlyThroughThePlatform() throws {
        let layout = try RuntimeLayout.current.get()
        let runtime = Set(layout.defines.values.joined())
        for (file, symbols) in layout.needs.sorted(by: { $0.key < $1.key }) where RuntimeLayout.folder(of: file) == "core" {
            for s in symbols.sorted() where !runtime.contains(s) && !Self.computesOnly(s) && s != "cl_program_name" {
                Issue.record("\(file) calls \(s) of the C library")
            }
        }
        #expect(layout.needs["core/trap.c"]?.contains("cl_platform_exit") == true)
        for s in ["snprintf", "__snprintf_chk", "strtod", "atoi", "fabs", "malloc", "write"] {
            #expect(!Self.computesOnly(s), "\(s) is allowed in the core")
        }
        #expect(Self.computesOnly("memcpy") && Self.computesOnly("__memcpy_chk"))
    }
}

// `cleave build`: from the C of the unikernel target to an executable.
//
// The generated file is written to a directory (`--emit-c DIR` keeps it; by
// default a temporary one that is removed after a successful build) and
// compiled together with the runtime's C sources (Sources/CleaveRuntime/C)
// by the system C compiler: `cc`, or the one named by `CC`, with the dialect
// the C importer parses headers in (C11 with the default POSIX and BSD
// declarations), `-O2`, and every warning of `-Wall -Wextra`. Extra flags come
// from `CFLAGS`. The C compiler failing is a bug of Cleave, not of the user's
// program: it is reported as an internal error naming the generated file.
//
// The runtime is the same for every program, so its object files are compiled
// once per C compiler, flags and runtime version and kept in a cache
// (`$CLEAVE_CACHE`, or `~/.cache/cleave`): a build compiles only the program's
// own C file and links. A cache entry is written to a temporary directory and
// renamed into place, so builds running at the same time never see half of one.

import CleaveCBackend
import CleaveDiagnostics
import CleaveRuntime
import Foundation

public struct BuildOptions: Sendable {
    public var output: String
    /// Keep the generated C in this directory.
    public var emitC: String?
    public var includeDirectories: [String] = []
    public var environment: [String: String] = ProcessInfo.processInfo.environment

    public init(output: String, emitC: String? = nil, includeDirectories: [String] = []) {
        self.output = output
        self.emitC = emitC
        self.includeDirectories = includeDirectories
    }
}

public enum Build {
    /// The flags every build uses: the importer's dialect, optimization, all warnings.
    public static let cFlags = ["-std=c11", "-D_DEFAULT_SOURCE", "-O2", "-Wall", "-Wextra"]
    public static let libraries = ["-lpcap", "-lm"]

    /// Compile `program` to the executable `options.output`; diagnostics when that fails.
    public static func compile(_ program: CProgram, name: String, options: BuildOptions) -> [Diagnostic] {
        guard let runtime = Runtime.directory else {
            return [internalError("the runtime's C sources are missing (set CLEAVE_RUNTIME to Sources/CleaveRuntime/C)")]
        }
        let fm = FileManager.default
        let dir: String
        if let keep = options.emitC {
            dir = keep
        } else {
            dir = NSTemporaryDirectory() + "cleave-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        }
        do {
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        } catch {
            return [internalError("cannot create the directory '\(dir)' for the generated C: \(error.localizedDescription)")]
        }
        let cFile = (dir as NSString).appendingPathComponent("\(name).c")
        do {
            try program.source.write(toFile: cFile, atomically: true, encoding: .utf8)
        } catch {
            return [internalError("cannot write '\(cFile)': \(error.localizedDescription)")]
        }
        let cc = options.environment["CC"].flatMap { $0.isEmpty ? nil : $0 } ?? "cc"
        let extra = (options.environment["CFLAGS"] ?? "").split(separator: " ").map(String.init)
        let runtimeObjects: [String]
        switch runtimeObjectFiles(runtime: runtime, cc: cc, flags: cFlags + extra, environment: options.environment) {
        case .success(let objects): runtimeObjects = objects
        case .failure(let d): return [d]
        }
        let headerDirs = Set(program.headers.map { ($0 as NSString).deletingLastPathComponent })
        var args = cFlags + extra + ["-I", runtime]
        for d in options.includeDirectories + headerDirs.sorted() { args += ["-I", d] }
        args += [cFile] + runtimeObjects + ["-o", options.output] + libraries
        let (status, output) = run(cc, args)
        if status != 0 {
            let lines = output.split(separator: "\n").prefix(30).map { DiagnosticNote(String($0), at: nil) }
            var d = Diagnostic(
                .error(
                    "internal-error",
                    "internal error in stage 'cc': the C compiler (\(cc)) failed on the generated file \(cFile) (exit \(status))"),
                at: nil)
            d.notes = lines
            return [d]
        }
        if options.emitC == nil { try? fm.removeItem(atPath: dir) }
        return []
    }

    enum RuntimeObjects {
        case success([String])
        case failure(Diagnostic)
    }

    /// The runtime compiled to object files, from the cache or compiled into it now.
    static func runtimeObjectFiles(runtime: String, cc: String, flags: [String], environment: [String: String])
        -> RuntimeObjects
    {
        let fm = FileManager.default
        let files = ((try? fm.contentsOfDirectory(atPath: runtime)) ?? []).sorted()
        let sources = files.filter { $0.hasSuffix(".c") }
        // The key: the compiler, the flags and every byte of the runtime (FNV-1a).
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ bytes: some Sequence<UInt8>) {
            for b in bytes { hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3 }
        }
        mix((([cc] + flags).joined(separator: " ") + "\n").utf8)
        for f in files where f.hasSuffix(".c") || f.hasSuffix(".h") {
            mix(f.utf8)
            mix(fm.contents(atPath: (runtime as NSString).appendingPathComponent(f)) ?? Data())
        }
        let home = environment["HOME"] ?? NSTemporaryDirectory()
        let cacheRoot = environment["CLEAVE_CACHE"].flatMap { $0.isEmpty ? nil : $0 } ?? "\(home)/.cache/cleave"
        let entry = "\(cacheRoot)/runtime-\(String(hash, radix: 16))"
        let objects = sources.map { "\(entry)/\(($0 as NSString).deletingPathExtension).o" }
        if objects.allSatisfy({ fm.fileExists(atPath: $0) }) { return .success(objects) }
        let scratch = "\(entry).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        do {
            try fm.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        } catch {
            return .failure(internalError("cannot create the runtime cache '\(scratch)': \(error.localizedDescription)"))
        }
        defer { try? fm.removeItem(atPath: scratch) }
        for source in sources {
            let object = "\(scratch)/\((source as NSString).deletingPathExtension).o"
            let (status, output) = run(
                cc, flags + ["-I", runtime, "-c", (runtime as NSString).appendingPathComponent(source), "-o", object])
            if status != 0 {
                var d = internalError("the C compiler (\(cc)) failed on the runtime's \(source) (exit \(status))")
                d.notes = output.split(separator: "\n").prefix(30).map { DiagnosticNote(String($0), at: nil) }
                return .failure(d)
            }
        }
        // Another build may have put the same entry in place meanwhile: then use that one.
        if (try? fm.moveItem(atPath: scratch, toPath: entry)) == nil && !objects.allSatisfy({ fm.fileExists(atPath: $0) }) {
            return .failure(internalError("cannot write the runtime cache '\(entry)'"))
        }
        return .success(objects)
    }

    static func internalError(_ message: String) -> Diagnostic {
        Diagnostic(.error("internal-error", "internal error in stage 'cc': \(message)"), at: nil)
    }

    /// Run a program found on PATH; its exit status and merged output.
    static func run(_ program: String, _ arguments: [String]) -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [program] + arguments
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        do {
            try p.run()
        } catch {
            return (127, "cannot run \(program): \(error.localizedDescription)")
        }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

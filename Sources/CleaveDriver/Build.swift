// `cleave build`: from the C of the unikernel target to an executable.
//
// The generated file is written to a directory (`--emit-c DIR` keeps it; by
// default a temporary one that is removed after a successful build) and
// compiled together with the runtime's C sources (Sources/CleaveRuntime/C)
// by the system C compiler: `cc`, or the one named by `CC`, with the dialect
// the C importer parses headers in (C11 with the default POSIX and BSD
// declarations), `-O2` (`-g -O0` for `cleave build -g`), and every warning of
// `-Wall -Wextra`. Extra flags come from `CFLAGS`. The C compiler failing is a bug of Cleave, not of the user's
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
    /// `-g -O0`: what a debugger needs (the C the pipeline emitted with `#line` points at the source).
    public var debugInfo = false

    public init(output: String, emitC: String? = nil, includeDirectories: [String] = []) {
        self.output = output
        self.emitC = emitC
        self.includeDirectories = includeDirectories
    }
}

public enum Build {
    /// The flags every build uses: the importer's dialect, optimization, all warnings; one section per
    /// function and datum, so that linking keeps only what an executable reaches.
    public static let cFlags = [
        "-std=c11", "-D_DEFAULT_SOURCE", "-O2", "-Wall", "-Wextra", "-ffunction-sections", "-fdata-sections",
    ]
    public static let linkFlags = ["-Wl,--gc-sections", "-Wl,--as-needed"]
    public static let libraries = ["-lpcap", "-lm"]
    /// The isolated target's processes also load seccomp filters (components) and name system calls (launcher).
    public static let isolatedLibraries = ["-lpcap", "-lseccomp", "-lm"]

    /// The runtime's files that are a process's `main`, one per kind of executable (paths in the
    /// runtime's folder, without `.c`); the rest is a library. An image's is its entry, which
    /// nothing calls (QEMU jumps to it).
    static let processMains: [String: [String]] = [
        "unikernel": ["hosted/service_main", "hosted/components"],
        "component": ["isolated/component"],
        "launcher": ["isolated/launcher"],
        "image": ["image/boot"],
    ]

    /// The image's code generation: no C library, no red zone (nothing may write below the stack
    /// pointer behind the compiler's back), position-dependent code at the address image.ld
    /// gives, no stack protector (it needs the C library's thread data), and Double's square
    /// root as one instruction.
    public static let imageCFlags = [
        "-ffreestanding", "-fno-pic", "-fno-pie", "-mno-red-zone", "-fno-stack-protector", "-fno-asynchronous-unwind-tables",
        "-fno-math-errno", "-nostdinc",
    ]

    /// Compile `program` to the executable `options.output`; diagnostics when that fails.
    public static func compile(_ program: CProgram, name: String, options: BuildOptions) -> [Diagnostic] {
        let setup: Setup
        switch prepare(options) {
        case .ready(let s): setup = s
        case .failed(let d): return [d]
        }
        let problems = compileOne(
            program, file: name, kind: "unikernel", output: options.output, libraries: libraries, setup: setup, options: options)
        if problems.isEmpty && options.emitC == nil { try? FileManager.default.removeItem(atPath: setup.dir) }
        return problems
    }

    /// Compile `program` (the image target's C) to a bootable image, `options.output`: an x86-64 ELF
    /// that QEMU boots with `-kernel` through its PVH note (Sources/CleaveRuntime/C/image/), linked
    /// with the image's runtime and no C library, keeping only what the program reaches.
    public static func compileImage(_ program: CProgram, name: String, options: BuildOptions) -> [Diagnostic] {
        let setup: Setup
        switch prepare(options, platform: .image) {
        case .ready(let s): setup = s
        case .failed(let d): return [d]
        }
        let cFile = (setup.dir as NSString).appendingPathComponent("\(name).c")
        let object = (setup.dir as NSString).appendingPathComponent("\(name).o")
        do {
            try program.source.write(toFile: cFile, atomically: true, encoding: .utf8)
        } catch {
            return [internalError("cannot write '\(cFile)': \(error.localizedDescription)")]
        }
        var (status, output) = run(setup.cc, cFlags + setup.extra + ["-I", setup.runtime, "-c", cFile, "-o", object])
        if status == 0 {
            let script = (setup.runtime as NSString).appendingPathComponent("image/image.ld")
            let entry = (processMains["image"] ?? []).compactMap { setup.objects[$0] }
            (status, output) = run(
                setup.cc,
                [
                    "-nostdlib", "-static", "-no-pie", "-Wl,-T,\(script)", "-Wl,--gc-sections", "-Wl,-z,max-page-size=4096",
                    "-Wl,--build-id=none", "-Wl,-z,noexecstack",
                ] + (options.debugInfo ? ["-g"] : [])
                    + entry + [object, setup.library, "-lgcc", "-o", options.output])
        }
        if status != 0 {
            var d = internalError("the C compiler (\(setup.cc)) failed on the generated file \(cFile) for an image (exit \(status))")
            d.notes = output.split(separator: "\n").prefix(30).map { DiagnosticNote(String($0), at: nil) }
            return [d]
        }
        if options.emitC == nil { try? FileManager.default.removeItem(atPath: setup.dir) }
        return []
    }

    /// Where the C compiler keeps its own headers (stddef.h, stdint.h): what an image, which has no C
    /// library, compiles against.
    static func compilerIncludeDirectory(_ cc: String) -> String? {
        var isDirectory: ObjCBool = false
        for query in ["-print-file-name=include", "-print-resource-dir"] {
            let (status, output) = run(cc, [query])
            guard status == 0 else { continue }
            var path = output.trimmingCharacters(in: .whitespacesAndNewlines)
            if query == "-print-resource-dir" { path += "/include" }
            if path.hasPrefix("/") && FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue {
                return path
            }
        }
        return nil
    }

    /// Compile an isolated build into the directory `options.output`: the launcher `run` and one
    /// executable per component.
    public static func compile(_ program: IsolatedProgram, options: BuildOptions) -> [Diagnostic] {
        let setup: Setup
        switch prepare(options) {
        case .ready(let s): setup = s
        case .failed(let d): return [d]
        }
        let fm = FileManager.default
        do {
            try fm.createDirectory(atPath: options.output, withIntermediateDirectories: true)
        } catch {
            return [internalError("cannot create the directory '\(options.output)': \(error.localizedDescription)")]
        }
        // A component left from an earlier build of another partition would only confuse: the
        // build lists its files, and a rebuild removes those it no longer makes (nothing else).
        let list = (options.output as NSString).appendingPathComponent(".cleave-build")
        let wanted = program.components.map(\.file) + ["run"]
        let earlier = (try? String(contentsOfFile: list, encoding: .utf8))?.split(separator: "\n").map(String.init) ?? []
        for f in earlier where !wanted.contains(f) && !f.contains("/") && !f.hasPrefix(".") {
            try? fm.removeItem(atPath: (options.output as NSString).appendingPathComponent(f))
        }
        try? (wanted.joined(separator: "\n") + "\n").write(toFile: list, atomically: true, encoding: .utf8)
        var problems: [Diagnostic] = []
        for c in program.components {
            problems += compileOne(
                c.program, file: c.file, kind: "component", output: (options.output as NSString).appendingPathComponent(c.file),
                libraries: isolatedLibraries, setup: setup, options: options)
            if !problems.isEmpty { return problems }
        }
        problems += compileOne(
            program.launcher, file: "run", kind: "launcher", output: (options.output as NSString).appendingPathComponent("run"),
            libraries: isolatedLibraries, setup: setup, options: options)
        if problems.isEmpty && options.emitC == nil { try? fm.removeItem(atPath: setup.dir) }
        return problems
    }

    struct Setup {
        var dir = ""
        var runtime = ""
        var cc = "cc"
        var extra: [String] = []
        var objects: [String: String] = [:]
        var library = ""
    }

    enum Prepared {
        case ready(Setup)
        case failed(Diagnostic)
    }

    /// The directory for the generated C, the compiler, and the runtime compiled (from the cache).
    static func prepare(_ options: BuildOptions, platform: Runtime.Platform = .hosted) -> Prepared {
        guard let runtime = Runtime.directory else {
            return .failed(internalError("the runtime's C sources are missing (set CLEAVE_RUNTIME to Sources/CleaveRuntime/C)"))
        }
        var setup = Setup()
        setup.runtime = runtime
        let fm = FileManager.default
        setup.dir = options.emitC ?? NSTemporaryDirectory() + "cleave-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        do {
            try fm.createDirectory(atPath: setup.dir, withIntermediateDirectories: true)
        } catch {
            return .failed(internalError("cannot create the directory '\(setup.dir)' for the generated C: \(error.localizedDescription)"))
        }
        setup.cc = options.environment["CC"].flatMap { $0.isEmpty ? nil : $0 } ?? "cc"
        setup.extra =
            (options.debugInfo ? ["-g", "-O0"] : []) + (options.environment["CFLAGS"] ?? "").split(separator: " ").map(String.init)
        if platform == .image {
            // The compiler's own headers (stddef.h, stdint.h, stdatomic.h), then the image's (string.h, math.h).
            guard let include = compilerIncludeDirectory(setup.cc) else {
                return .failed(internalError("cannot find the C compiler's own headers (\(setup.cc) -print-file-name=include)"))
            }
            setup.extra =
                imageCFlags + ["-isystem", include, "-isystem", (runtime as NSString).appendingPathComponent("image/include")]
                + setup.extra
        }
        switch runtimeObjectFiles(
            runtime: runtime, cc: setup.cc, flags: cFlags + setup.extra, platform: platform, environment: options.environment)
        {
        case .success(let objects, let library):
            setup.objects = objects
            setup.library = library
            return .ready(setup)
        case .failure(let d): return .failed(d)
        }
    }

    /// Write one generated C file and link it with the runtime's `main` of `kind` and the library.
    static func compileOne(
        _ program: CProgram, file: String, kind: String, output: String, libraries: [String], setup: Setup, options: BuildOptions
    ) -> [Diagnostic] {
        let cFile = (setup.dir as NSString).appendingPathComponent("\(file).c")
        do {
            try program.source.write(toFile: cFile, atomically: true, encoding: .utf8)
        } catch {
            return [internalError("cannot write '\(cFile)': \(error.localizedDescription)")]
        }
        // The program's headers are included by their full paths; their directories are searched
        // after the system's (-idirafter), so that a header in a system subdirectory (`sys/stat.h`)
        // never stands in for a system header of the same name (`<signal.h>` is not `sys/signal.h`).
        let headerDirs = Set(program.headers.map { ($0 as NSString).deletingLastPathComponent })
        var args = cFlags + setup.extra + ["-I", setup.runtime]
        for d in options.includeDirectories { args += ["-I", d] }
        for d in headerDirs.sorted() { args += ["-idirafter", d] }
        let mains = (processMains[kind] ?? []).compactMap { setup.objects[$0] }
        args += [cFile] + mains + [setup.library, "-o", output] + linkFlags + libraries
        let (status, output) = run(setup.cc, args)
        if status != 0 {
            let lines = output.split(separator: "\n").prefix(30).map { DiagnosticNote(String($0), at: nil) }
            var d = internalError("the C compiler (\(setup.cc)) failed on the generated file \(cFile) (exit \(status))")
            d.notes = lines
            return [d]
        }
        return []
    }

    enum RuntimeObjects {
        /// The object of each runtime file by name (without `.c`), and the library of the rest.
        case success([String: String], String)
        case failure(Diagnostic)
    }

    /// The runtime compiled to object files and a library, from the cache or compiled into it now.
    static func runtimeObjectFiles(
        runtime: String, cc: String, flags: [String], platform: Runtime.Platform, environment: [String: String]
    )
        -> RuntimeObjects
    {
        let fm = FileManager.default
        let files = Runtime.files(in: runtime, for: platform)
        let sources = files.filter { $0.hasSuffix(".c") || $0.hasSuffix(".S") }
        // The key: the compiler, the flags and every byte of the runtime, in every folder (FNV-1a).
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ bytes: some Sequence<UInt8>) {
            for b in bytes { hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3 }
        }
        mix((([cc] + flags).joined(separator: " ") + "\n").utf8)
        for f in files {
            mix(f.utf8)
            mix(fm.contents(atPath: (runtime as NSString).appendingPathComponent(f)) ?? Data())
        }
        let home = environment["HOME"] ?? NSTemporaryDirectory()
        let cacheRoot = environment["CLEAVE_CACHE"].flatMap { $0.isEmpty ? nil : $0 } ?? "\(home)/.cache/cleave"
        let entry = "\(cacheRoot)/runtime-\(platform.rawValue)-\(String(hash, radix: 16))"
        // "core/heap.c" is named "core/heap" and compiled to core-heap.o: one folder of objects, one name each.
        let names = sources.map { ($0 as NSString).deletingPathExtension }
        func objectFile(_ name: String) -> String { name.replacingOccurrences(of: "/", with: "-") + ".o" }
        var objects: [String: String] = [:]
        for n in names { objects[n] = "\(entry)/\(objectFile(n))" }
        let library = "\(entry)/libcleave\(platform == .image ? "-image" : "").a"
        if objects.values.allSatisfy({ fm.fileExists(atPath: $0) }) && fm.fileExists(atPath: library) {
            return .success(objects, library)
        }
        let scratch = "\(entry).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        do {
            try fm.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        } catch {
            return .failure(internalError("cannot create the runtime cache '\(scratch)': \(error.localizedDescription)"))
        }
        defer { try? fm.removeItem(atPath: scratch) }
        for (source, n) in zip(sources, names) {
            let object = "\(scratch)/\(objectFile(n))"
            let (status, output) = run(
                cc, flags + ["-I", runtime, "-c", (runtime as NSString).appendingPathComponent(source), "-o", object])
            if status != 0 {
                var d = internalError("the C compiler (\(cc)) failed on the runtime's \(source) (exit \(status))")
                d.notes = output.split(separator: "\n").prefix(30).map { DiagnosticNote(String($0), at: nil) }
                return .failure(d)
            }
        }
        let mains = Set(processMains.values.joined())
        let members = names.filter { !mains.contains($0) }.map { "\(scratch)/\(objectFile($0))" }
        let (status, output) = run("ar", ["rcs", "\(scratch)/" + (library as NSString).lastPathComponent] + members)
        if status != 0 {
            var d = internalError("ar failed making the runtime's library (exit \(status))")
            d.notes = output.split(separator: "\n").prefix(30).map { DiagnosticNote(String($0), at: nil) }
            return .failure(d)
        }
        // Another build may have put the same entry in place meanwhile: then use that one.
        if (try? fm.moveItem(atPath: scratch, toPath: entry)) == nil
            && !(objects.values.allSatisfy({ fm.fileExists(atPath: $0) }) && fm.fileExists(atPath: library))
        {
            return .failure(internalError("cannot write the runtime cache '\(entry)'"))
        }
        return .success(objects, library)
    }

    static func internalError(_ message: String) -> Diagnostic {
        Diagnostic(.internalError(stage: "cc", message), at: nil)
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

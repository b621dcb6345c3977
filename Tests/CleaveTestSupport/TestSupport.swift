// What several test targets share: where the repository's files are, running a
// program to completion, and a seeded random generator so that generated inputs
// reproduce.

import Foundation

public enum Repo {
    /// The repository root, found from this file's path.
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    public static func files(in relative: String, withExtension ext: String) -> [String] {
        let dir = path(relative)
        guard let items = FileManager.default.enumerator(atPath: dir) else { return [] }
        return items.compactMap { $0 as? String }.filter { $0.hasSuffix("." + ext) }.sorted().map { dir + "/" + $0 }
    }

    /// Every example service, `Examples/*/*.clv`, sorted.
    public static var examples: [String] { files(in: "Examples", withExtension: "clv") }

    /// The `cleave` executable built beside the tests.
    public static var cleaveBinary: String {
        let bundle = Bundle.main.bundleURL.deletingLastPathComponent()
        let candidates = [bundle.appendingPathComponent("cleave").path, path(".build/debug/cleave")]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[1]
    }
}

/// The C runtime's sources, a folder per concern (Sources/CleaveRuntime/C/README.md), compiled
/// with the runtime's folder as the include root, as `cleave build` does.
public enum RuntimeSources {
    public static let root = Repo.path("Sources/CleaveRuntime/C")

    /// The runtime's process mains (each a `main` of its own; `cleave build` links one with a program).
    public static let processMains: Set<String> = ["hosted/service_main.c", "isolated/component.c", "isolated/launcher.c"]

    /// Every `.c` file of the hosted platform's folders (all but image/), as a path relative to
    /// `root` ("core/heap.c"), sorted.
    public static var all: [String] {
        guard let items = FileManager.default.enumerator(atPath: root) else { return [] }
        return items.compactMap { $0 as? String }.filter { $0.hasSuffix(".c") && !$0.hasPrefix("image/") }.sorted()
    }

    /// The image platform's own `.c` files (image/), compiled with the image's flags.
    public static var image: [String] {
        guard let items = FileManager.default.enumerator(atPath: root) else { return [] }
        return items.compactMap { $0 as? String }.filter { $0.hasSuffix(".c") && $0.hasPrefix("image/") }.sorted()
    }

    /// The full paths of every `.c` file but those in `excluded` (paths relative to `root`).
    public static func paths(excluding excluded: Set<String>) -> [String] {
        all.filter { !excluded.contains($0) }.map { root + "/" + $0 }
    }
}

/// Where the tests write what they make: one directory per test process, removed when the process
/// ends, so that a run leaves nothing behind in the temporary directory (`CLEAVE_KEEP_SCRATCH=1`
/// keeps it, to look at what a failing test built).
public enum Scratch {
    public static let root: String = {
        let d = NSTemporaryDirectory() + "cleave-tests-\(getpid())"
        try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        if ProcessInfo.processInfo.environment["CLEAVE_KEEP_SCRATCH"] == nil {
            atexit { try? FileManager.default.removeItem(atPath: Scratch.root) }
        }
        return d
    }()

    /// A directory of its own under the root (made if missing).
    public static func path(_ name: String) -> String {
        let d = root + "/" + name
        try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    public static func url(_ name: String) -> URL { URL(fileURLWithPath: path(name)) }
}

public struct ProcessResult: Sendable {
    public let status: Int32
    public let stdout: String
    public let stderr: String
    /// Ended by a signal rather than by exiting.
    public let signaled: Bool
}

/// Run a program to completion, capturing its output.
public func runProcess(
    _ executable: String, _ arguments: [String], stdin: String? = nil, environment: [String: String] = [:],
    in directory: String? = nil
) throws -> ProcessResult {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = arguments
    if let directory { p.currentDirectoryURL = URL(fileURLWithPath: directory) }
    if !environment.isEmpty {
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    let out = Pipe()
    let err = Pipe()
    p.standardOutput = out
    p.standardError = err
    let input = Pipe()
    p.standardInput = input
    try p.run()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try? input.fileHandleForWriting.close()
    // Both pipes are drained at once: a program filling one while the other is read would block.
    let errors = DrainedPipe(err.fileHandleForReading)
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = errors.wait()
    p.waitUntilExit()
    return ProcessResult(
        status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
        stderr: String(decoding: e, as: UTF8.self), signaled: p.terminationReason == .uncaughtSignal)
}

/// A small deterministic generator (SplitMix64), so failures reproduce.
public struct SplitMix64: RandomNumberGenerator {
    public var state: UInt64

    public init(state: UInt64) { self.state = state }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in `0..<n` (0 when `n` is not positive).
    public mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }
    public mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
    public mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
}

/// Reads a pipe to its end on a thread of its own.
final class DrainedPipe: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    func wait() -> Data {
        done.wait()
        return data
    }
}

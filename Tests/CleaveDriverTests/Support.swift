// Shared helpers of the driver tests: where the repository's files are, and
// running the pipeline or the built `cleave` binary on them.

import CleaveDiagnostics
import CleaveDriver
import Foundation

enum Repo {
    /// The repository root, found from this file's path.
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    static func files(in relative: String, withExtension ext: String) -> [String] {
        let dir = path(relative)
        guard let items = FileManager.default.enumerator(atPath: dir) else { return [] }
        return items.compactMap { $0 as? String }.filter { $0.hasSuffix("." + ext) }.sorted().map { dir + "/" + $0 }
    }

    static var examples: [String] { files(in: "Examples", withExtension: "clv") }

    /// The `cleave` executable built beside the tests.
    static var cleaveBinary: String {
        let bundle = Bundle.main.bundleURL.deletingLastPathComponent()
        let candidates = [bundle.appendingPathComponent("cleave").path, path(".build/debug/cleave")]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[1]
    }
}

struct ProcessResult {
    let status: Int32
    let stdout: String
    let stderr: String
    /// Ended by a signal rather than by exiting.
    let signaled: Bool
}

/// Run a program to completion, capturing its output.
func runProcess(_ executable: String, _ arguments: [String], stdin: String? = nil) throws -> ProcessResult {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = arguments
    let out = Pipe()
    let err = Pipe()
    p.standardOutput = out
    p.standardError = err
    let input = Pipe()
    p.standardInput = input
    try p.run()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try? input.fileHandleForWriting.close()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return ProcessResult(
        status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
        stderr: String(decoding: e, as: UTF8.self), signaled: p.terminationReason == .uncaughtSignal)
}

/// Run the pipeline in-process on source text.
func runPipeline(_ text: String, path: String = "test.clv", through stage: Stage = .typed) -> PipelineResult {
    Pipeline.run([SourceFile(path: path, text: text)], through: stage)
}

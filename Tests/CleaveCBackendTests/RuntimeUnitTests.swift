// The C runtime's own unit tests: the programs in Tests/Runtime, each built
// with the runtime's sources and run, once as `cleave build` compiles C and
// once under the address and undefined-behavior sanitizers.
//
// ring_test: the isolated target's rings, a few bytes large, carrying streams
// many times their size in one thread, two threads and two processes, and
// closing from either side. bytes_test: every accessor of Bytes at its edges,
// trapping exactly where it must, and parsing integers. arith_test: every
// integer operator and conversion at the limits of every width, each expected
// value worked out in 128 bits by the test. decimal_test: the core's own
// number formatting and parsing (core/decimal.c) against glibc's printf and
// strtod, every byte and every bit compared, on some 60,000 random doubles and
// 150,000 texts (`decimal_test N` runs N / 15,000 times as many, by hand).
// Each program prints one line per failed check and "N checks, M failures"
// last.

import CleaveTestSupport
import Foundation
import Testing

@Suite struct RuntimeUnitTests {
    enum Flavor: String, CaseIterable, Sendable {
        case plain
        case sanitized

        var flags: [String] {
            switch self {
            case .plain: return []
            case .sanitized: return ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer", "-g"]
            }
        }
    }

    static let programs = ["ring_test", "bytes_test", "arith_test", "decimal_test"]

    @Test(arguments: programs, Flavor.allCases)
    func runtimeUnitTestPasses(_ program: String, _ flavor: Flavor) throws {
        let library = try RuntimeLibrary.archive(flavor)
        let exe = RuntimeLibrary.directory + "/\(program)-\(flavor.rawValue)"
        let build = try runProcess(
            "/usr/bin/env",
            ["cc"] + RuntimeLibrary.flags + flavor.flags
                + ["-I", RuntimeLibrary.runtime, Repo.path("Tests/Runtime/\(program).c"), library]
                + ["-o", exe, "-lpcap", "-lseccomp", "-lm", "-lpthread"])
        #expect(build.status == 0, "\(build.stderr)")
        guard build.status == 0 else { return }
        let r = try runProcess(exe, [], environment: ["UBSAN_OPTIONS": "print_stacktrace=1"])
        #expect(r.status == 0, "\(program) (\(flavor)): \(r.stdout)\(r.stderr.prefix(4000))")
        #expect(r.stdout.hasSuffix(" 0 failures\n"), "\(program) (\(flavor)): \(r.stdout)")
        #expect(!r.stderr.contains("Sanitizer") && !r.stderr.contains("runtime error"), "\(r.stderr.prefix(4000))")
    }
}

/// The runtime compiled once per flavor into an archive the test programs link with.
enum RuntimeLibrary {
    static let runtime = RuntimeSources.root
    static let directory = Scratch.path("runtime-unit")
    static let flags = ["-std=c11", "-D_DEFAULT_SOURCE", "-O1", "-Wall", "-Wextra", "-Werror"]
    private static let lock = NSLock()
    nonisolated(unsafe) private static var archives: [RuntimeUnitTests.Flavor: String] = [:]

    static func archive(_ flavor: RuntimeUnitTests.Flavor) throws -> String {
        lock.lock()
        defer { lock.unlock() }
        if let built = archives[flavor] { return built }
        // The runtime's files that are a process's `main` stay out: the test is the `main`. One
        // compiler call makes an object per source, named after its file (names are unique).
        let sources = RuntimeSources.paths(excluding: RuntimeSources.processMains)
        let objects = Scratch.path("runtime-unit/\(flavor.rawValue)")
        let compile = try runProcess(
            "/usr/bin/env", ["cc"] + flags + flavor.flags + ["-I", runtime, "-c"] + sources, in: objects)
        guard compile.status == 0 else { throw BuildFailure(description: "the runtime does not compile:\n\(compile.stderr)") }
        let archive = "\(directory)/libruntime-\(flavor.rawValue).a"
        let ar = try runProcess(
            "/usr/bin/env",
            ["ar", "rcs", archive] + sources.map { "\(objects)/\(URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent).o" })
        guard ar.status == 0 else { throw BuildFailure(description: "ar: \(ar.stderr)") }
        archives[flavor] = archive
        return archive
    }
}

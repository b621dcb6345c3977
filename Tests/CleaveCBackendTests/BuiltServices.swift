// Building services for the end-to-end tests: `cleave build` into a
// directory of this test run, each source built once however many tests ask
// for it (tests run in parallel, so a lock guards the table).

import CleaveTestSupport
import Foundation

struct BuildFailure: Error, CustomStringConvertible {
    let description: String
}

enum BuiltServices {
    nonisolated(unsafe) private static var built: [String: String] = [:]
    private static let lock = NSLock()
    private static let locks = NSLock()
    nonisolated(unsafe) private static var perKey: [String: NSLock] = [:]

    static let directory: String = Scratch.path("services")

    /// The executable of `source` (a path relative to the repository, or absolute), built once.
    static func executable(_ source: String, environment: [String: String] = [:], tag: String = "", arguments: [String] = [])
        throws -> String
    {
        let path = source.hasPrefix("/") ? source : Repo.path(source)
        let key = path + "|" + tag + "|" + arguments.joined(separator: " ")
        locks.lock()
        let keyLock = perKey[key] ?? NSLock()
        perKey[key] = keyLock
        locks.unlock()
        keyLock.lock()
        defer { keyLock.unlock() }
        lock.lock()
        if let exe = built[key] {
            lock.unlock()
            return exe
        }
        lock.unlock()
        let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        let exe = "\(directory)/\(name)\(tag.isEmpty ? "" : "-" + tag)-\(abs(key.hashValue))"
        let r = try runProcess(Repo.cleaveBinary, ["build", path, "-o", exe] + arguments, environment: environment)
        guard r.status == 0 else {
            throw BuildFailure(description: "cleave build \(source) failed (\(r.status)):\n\(r.stderr)")
        }
        lock.lock()
        built[key] = exe
        lock.unlock()
        return exe
    }
}

extension BuiltServices {
    /// What to run: the executable, or for an isolated build (`--target isolated`) its launcher.
    static func runnable(_ source: String, arguments: [String] = []) throws -> String {
        let built = try executable(source, arguments: arguments)
        return arguments.contains("isolated") ? built + "/run" : built
    }
}

extension BuiltServices {
    /// A TCP service from `source` on a free port: built for `target` ("unikernel", "isolated"),
    /// or run by the reference interpreter ("interpreter").
    static func tcpService(_ source: String, target: String) throws -> ServiceProcess {
        if target == "interpreter" {
            return try ServiceProcess(Repo.cleaveBinary, ["run", "--interpret", Repo.path(source), "--", "--netif", "tcp:0"])
        }
        return try ServiceProcess(try runnable(source, arguments: ["--target", target]), ["--netif", "tcp:0"])
    }

    /// The path of an installed client or reference server (`make deps` installs them), or nil.
    static func tool(_ name: String) -> String? {
        ["/usr/bin/\(name)", "/usr/local/bin/\(name)"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}

extension String {
    var bytes: [UInt8] { Array(utf8) }
}

extension Array where Element == UInt8 {
    var text: String { String(decoding: self, as: UTF8.self) }
}

/// Python's answer to an expression (exact big integers), for checking results.
func python(_ expression: String) throws -> String {
    let code = "import math, sys\nsys.set_int_max_str_digits(0)\nprint(\(expression), end='')"
    let r = try runProcess("/usr/bin/env", ["python3", "-c", code])
    guard r.status == 0 else { throw BuildFailure(description: "python3 failed: \(r.stderr)") }
    return r.stdout
}

// The inputs the fuzzers kept (scripts/fuzz/, `make fuzz`): each once made the
// compiler or a service fail, and the tests replay every one. An input that
// still fails is listed in Tests/Fuzz/known.txt with the reason, and skipped.

import Foundation

public enum FuzzCorpus {
    /// The kept inputs of one kind (`source`, `captures`, `channels`) with this extension, sorted.
    public static func files(_ kind: String, withExtension ext: String) -> [String] {
        Repo.files(in: "Tests/Fuzz/found/\(kind)", withExtension: ext)
    }

    /// Known failures: the path under Tests/Fuzz/found/ and why it still fails.
    public static let known: [String: String] = {
        guard let text = try? String(contentsOfFile: Repo.path("Tests/Fuzz/known.txt"), encoding: .utf8) else { return [:] }
        var table: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let path = line[..<colon].trimmingCharacters(in: .whitespaces)
            table[path] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return table
    }()

    /// Why the kept input at `path` still fails, if it is known to.
    public static func knownReason(_ path: String) -> String? {
        let relative = path.components(separatedBy: "/Tests/Fuzz/found/").last ?? path
        return known[relative]
    }

    /// The name of a kept input without its content hash and extension: `kv-3f2a….pcap` is `kv`.
    public static func subject(_ path: String) -> [String] {
        let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        return Array(name.split(separator: "-").map(String.init).dropLast())
    }
}

// Overflow, an index out of range, unwrapping nil, division by zero, a
// conversion that does not fit and fatalError each stop the service with
// exit status 1 and a message naming the Cleave source location.

import CleaveTestSupport
import Foundation
import Testing

@Suite struct TrapTests {
    static let source = "Tests/Inputs/Services/traps.clv"

    /// The line of the statement marked `// trap: kind` in the source.
    static func line(of kind: String) throws -> Int {
        let text = try String(contentsOfFile: Repo.path(source), encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        return try #require(lines.firstIndex { $0.hasSuffix("// trap: \(kind)") }) + 1
    }

    @Test(arguments: [
        ("overflow", "arithmetic overflow"), ("index", "index out of range"),
        ("unwrap", "unexpectedly found nil"), ("divide", "division by zero"),
        ("convert", "integer conversion: value does not fit"), ("fatal", "asked to stop with 5"),
    ])
    func trapStopsTheServiceNamingTheLocation(_ kind: String, _ message: String) throws {
        let requests = ["overflow 0", "\(kind) 5", "overflow 0"].map {
            UDPDatagram(sourcePort: 3000, destinationPort: 9000, payload: $0.bytes)
        }
        let r = try replay(Self.source, requests, name: "trap-\(kind)")
        #expect(r.status == 1, "\(r.stderr)")
        // The request before the trap was answered; the one after never was.
        #expect(r.replies.map { $0.payload.text } == [String(Int.max - 1)])
        let line = try Self.line(of: kind)
        #expect(r.stderr.contains("traps.clv:\(line):"), "\(r.stderr)")
        #expect(r.stderr.contains("fatal error: \(message)"), "\(r.stderr)")
    }

    @Test func noTrapWithoutCause() throws {
        let requests = ["overflow 1", "index 2", "divide 0", "convert 0"].map {
            UDPDatagram(sourcePort: 3000, destinationPort: 9000, payload: $0.bytes)
        }
        let r = try replay(Self.source, requests, name: "trap-none")
        // overflow 1 is Int.max: fine; index 2 is 3; divide 0 divides by zero.
        #expect(r.status == 1)
        #expect(r.replies.map { $0.payload.text } == [String(Int.max), "3"])
    }
}

@Suite struct SplitTrapTests {
    /// `split(separator:maxSplits:)` with a negative count traps, as in Swift, naming where.
    @Test func aNegativeMaxSplitsTraps() throws {
        let dir = Scratch.path("split-negative")
        let source = """
            func less(_ s: Bytes) -> Int { return s.count - 6 }
            func main() {
                let b: Bytes = "a b c"
                print("\\(b.split(separator: 32, maxSplits: 0).count) \\(b.split(separator: 32, maxSplits: 1).count)")
                print("\\(b.split(separator: 32, maxSplits: less(b)).count)")
            }
            """
        try source.write(toFile: "\(dir)/split.clv", atomically: true, encoding: .utf8)
        let build = try runProcess(Repo.cleaveBinary, ["build", "\(dir)/split.clv", "-o", "\(dir)/split"])
        #expect(build.status == 0, "\(build.stderr)")
        let run = try runProcess("\(dir)/split", [])
        #expect(run.status == 1)
        #expect(run.stderr.hasPrefix("1 2\nsplit.clv:5:14: fatal error: can't split with a negative maxSplits\n"), "\(run.stderr)")
    }
}

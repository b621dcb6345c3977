// Meaning preserved: every service built from source and built from the
// projected program (`cleave build --from-stage projected`: the components'
// local programs with channels between them, run in one thread) answers the
// same recorded requests with byte-identical replies, in every partition
// tried. The reply captures are compared whole: payloads, addresses, order.

import CleaveTestSupport
import Foundation
import Testing

@Suite struct ProjectedBuildTests {
    /// Replay `requests` through `source` built from source, then from the projected program
    /// under each partition; every capture of replies must equal the first.
    func expectSameReplies(_ source: String, port: UInt16, _ requests: [[UInt8]], partitions: [String?]) throws {
        let datagrams = clientDatagrams(requests, to: port, net: 1, firstPort: 20000)
        let name = URL(fileURLWithPath: source).deletingPathExtension().lastPathComponent
        let reference = try replay(source, datagrams, name: "\(name)-source")
        #expect(reference.status == 0, "\(source) from source: \(reference.stderr)")
        #expect(reference.replies.count > 0, "\(source) answered nothing")
        for (k, partition) in partitions.enumerated() {
            let build = ["--from-stage", "projected"] + (partition.map { ["--partition", $0] } ?? [])
            let projected = try replay(source, datagrams, name: "\(name)-projected-\(k)", build: build)
            let what = "\(source) --partition \(partition ?? "(one component per state)")"
            #expect(projected.status == 0, "\(what): \(projected.stderr)")
            #expect(projected.replies.count == reference.replies.count, "\(what)")
            for (i, (a, b)) in zip(reference.replies, projected.replies).enumerated() where a != b {
                Issue.record(
                    "\(what): reply \(i) to \(requests[i].text.debugDescription) differs: \(a.payload.text.debugDescription) from source, \(b.payload.text.debugDescription) projected"
                )
                break
            }
        }
    }

    /// Requests for stages.clv: every verb, malformed ones, keys that hit and miss.
    static func stagesRequests(count: Int, seed: UInt64) -> [[UInt8]] {
        var rng = SplitMix64(state: seed)
        let keys = ["a", "b", "c", "d", "e", "f"]
        func key() -> String { keys[Int(rng.next() % UInt64(keys.count))] }
        func list() -> String { (0...(rng.next() % 4)).map { _ in key() }.joined(separator: ",") }
        var out: [[UInt8]] = ["PUT a 1", "GET a", "GET z", "MPUT vv b,c", "SCAN a,b,c,z,d", "SUM 2", "STATS", "", "BAD", "SUM x", "GET"].map
        {
            Array($0.utf8)
        }
        for _ in 0..<count {
            switch rng.next() % 7 {
            case 0: out.append(Array("GET \(key())".utf8))
            case 1: out.append(Array("PUT \(key()) \(String(repeating: "x", count: Int(rng.next() % 6)))".utf8))
            case 2: out.append(Array("MPUT \(String(repeating: "y", count: Int(1 + rng.next() % 3))) \(list())".utf8))
            case 3: out.append(Array("SCAN \(list())".utf8))
            case 4: out.append(Array("SUM \(rng.next() % 4)".utf8))
            case 5: out.append(Array("STATS".utf8))
            default: out.append((0..<(rng.next() % 9)).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
            }
        }
        return out
    }

    @Test func stagesAnswersTheSameInEveryPartition() throws {
        try expectSameReplies(
            "Tests/Inputs/Services/stages.clv", port: 9200, Self.stagesRequests(count: 400, seed: 5),
            partitions: [nil, "device,stack|store,stats", "device|stack,store,stats", "store|device,stats", "device,stack,store,stats"])
    }

    /// Requests for kv: hits, misses, sets, malformed ones and noise.
    static func kvRequests(count: Int, seed: UInt64) -> [[UInt8]] {
        var rng = SplitMix64(state: seed)
        return (0..<count).map { _ in
            let k = "k\(rng.next() % 20)"
            switch rng.next() % 4 {
            case 0: return Array("GET \(k)".utf8)
            case 1: return Array("SET \(k) value \(rng.next() % 1000)".utf8)
            case 2: return Array("SET \(k)".utf8)
            default: return (0..<(rng.next() % 12)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            }
        }
    }

    @Test func kvAnswersTheSame() throws {
        try expectSameReplies("Examples/kv/kv.clv", port: 7000, Self.kvRequests(count: 500, seed: 9), partitions: [nil, "store|device"])
    }

    @Test func everyOtherExampleAnswersTheSame() throws {
        let cases: [(String, UInt16, [String])] = [
            ("Examples/echo/echo.clv", 8080, ["", "a", "hello world", String(repeating: "z", count: 1400)]),
            ("Examples/facfib/facfib.clv", 8080, ["0", "1", "20", "100", "x", "-1", "30"]),
            ("Examples/facfib/facfib.clv", 8081, ["0", "1", "90", "500", "y"]),
            ("Examples/sort/sort.clv", 8080, ["3 1 2", "", "5 -5 0 9 9 1", "a b", "42"]),
            ("Examples/montecarlo/montecarlo.clv", 8080, ["1", "10", "1000", "-3", "x"]),
        ]
        for (source, port, requests) in cases {
            try expectSameReplies(source, port: port, requests.map { Array($0.utf8) }, partitions: [nil])
        }
    }

    @Test func featuresAnswersTheSame() throws {
        let requests = SemanticsTests.cases.map { Array($0.0.utf8) } + SemanticsTests.cases.map { Array($0.0.utf8) }
        try expectSameReplies("Tests/Inputs/Services/features.clv", port: 9100, requests, partitions: [nil, "device,log|keeper"])
    }

    @Test func anUnknownStateInAPartitionIsAnError() throws {
        let r = try runProcess(
            Repo.cleaveBinary, ["dump", "--stage", "components", "--partition", "device|nothing", Repo.path("Examples/kv/kv.clv")])
        #expect(r.status == 1)
        #expect(r.stderr.contains("--partition names 'nothing', which is not a state of main"))
        #expect(r.stderr.contains("the states of main are: device, store"))
    }
}

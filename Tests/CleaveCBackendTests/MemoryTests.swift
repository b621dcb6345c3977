// A service's memory stays flat (DESIGN.md): kv through 200,000 requests with
// changing keys and values, resident memory at the end within 10% of what it
// was after the first 20,000. Values are overwritten, not accumulated: the
// per-iteration region is reset and the store's heap frees what it replaces.

import CleaveTestSupport
import Foundation
import Testing

func residentKilobytes(_ pid: pid_t) throws -> Int {
    let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
    let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") })
    return try #require(Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]))
}

@Suite struct MemoryTests {
    @Test func kvMemoryStaysFlat() throws {
        try withService("Examples/kv/kv.clv") { s, c throws in
            let port = s.port(7000)
            var rng = SplitMix64(state: 99)
            var model: [Int: String] = [:]
            var early = 0
            for i in 0..<200_000 {
                let key = rng.below(1000)
                if rng.chance(60) {
                    let value = "value-\(i)-" + String(repeating: "x", count: rng.below(200))
                    model[key] = value
                    let r = try c.request("SET key\(key) \(value)".bytes, to: port)
                    if r?.text != "STORED" { Issue.record("SET \(i): \(r?.text ?? "no reply")"); return }
                } else {
                    let r = try c.request("GET key\(key)".bytes, to: port)
                    if r?.text != model[key] ?? "NOT_FOUND" { Issue.record("GET \(i): \(r?.text ?? "no reply")"); return }
                }
                if i == 19_999 { early = try residentKilobytes(s.pid) }
            }
            let late = try residentKilobytes(s.pid)
            #expect(Double(late) <= Double(early) * 1.10, "resident memory grew from \(early) kB to \(late) kB")
        }
    }
}

// Long chains of operators and method calls, built and run: the value the
// generated C computes is the one the chain means, evaluated left to right.

import CleaveTestSupport
import Foundation
import Testing

@Suite struct LongChainBuildTests {
    /// Build a program whose `main` prints `expression` (after `setup`), run it, and return
    /// what it printed (a service prints on standard error, before its counters).
    func run(_ expression: String, setup: String = "", name: String) throws -> String {
        let source = """
            struct Counter {
                var n: Int
                func step(_ by: Int) -> Counter { return Counter(n: n * 3 % 1000 + by) }
            }

            func main() {
                \(setup)
                print("\\(\(expression))")
            }

            """
        let path = "\(BuiltServices.directory)/\(name).clv"
        try source.write(toFile: path, atomically: true, encoding: .utf8)
        let r = try runProcess(try BuiltServices.executable(path), [])
        #expect(r.status == 0, "\(r.stderr.prefix(500))")
        return r.stderr.split(separator: "\n").first.map(String.init) ?? ""
    }

    @Test func arithmeticChainsComputeLeftToRight() throws {
        // 3,000 terms `+ a * 7 - b % 5`: a chain of 6,000 operators, over 6,000 more.
        var expected = 0
        var text = "0"
        for k in 1...3_000 {
            text += " + \(k % 13) * 7 - \(k) % 5"
            expected += k % 13 * 7 - k % 5
        }
        let printed = try run(text, name: "chain-arithmetic")
        #expect(printed == "\(expected)")
    }

    @Test func logicalChainsShortCircuitLikeNestedIfs() throws {
        // 10,000 comparisons joined by `&&`, the last one false; then by `||`, all false but the last.
        let and = (0..<10_000).map { $0 == 9_999 ? "x > 7" : "x < \($0 + 10)" }.joined(separator: " && ")
        let all = try run(and, setup: "let x = 7", name: "chain-and")
        #expect(all == "false")
        let or = (0..<10_000).map { $0 == 9_999 ? "x == 7" : "x == \($0 + 8)" }.joined(separator: " || ")
        let any = try run(or, setup: "let x = 7", name: "chain-or")
        #expect(any == "true")
    }

    @Test func methodChainsCallInOrder() throws {
        var expected = 1
        var text = "Counter(n: 1)"
        for k in 0..<5_000 {
            text += ".step(\(k % 10))"
            expected = expected * 3 % 1000 + k % 10
        }
        let printed = try run(text + ".n", name: "chain-methods")
        #expect(printed == "\(expected)")
    }
}

// The reference interpreter on its own: small programs whose output is known
// from the language's definition (written here, not taken from any build), run
// through `Interpreter` in process. That the builds agree with it is checked
// elsewhere (the generated programs, the examples).

import CleaveDiagnostics
import CleaveDriver
import CleaveInterpreter
import CleaveSema
import Testing

@Suite struct InterpreterTests {
    /// Run `text` (a program without devices); its standard error lines and exit status.
    func run(_ text: String) throws -> (lines: [String], status: Int32) {
        let r = Pipeline.run([SourceFile(path: "t.clv", text: text)], through: .typed)
        #expect(!r.hasErrors, "\(DiagnosticFormatter().format(r.diagnostics))")
        let typed = try #require(r.typed)
        var lines: [String] = []
        let status = Interpreter.run(typed, name: "t", arguments: [], output: { lines.append($0) })
        return (lines, status)
    }

    @Test func integersTrapAtTheirBoundsAndWrapWhenAsked() throws {
        let r = try run(
            """
            func main() {
                let a: UInt8 = 250
                print("\\(a &+ 10) \\(UInt8(truncatingIfNeeded: 300)) \\(Int8(-128) &- 1) \\(-7 / 2) \\(-7 % 2)")
                print("\\(1 << 70) \\(-8 >> 100) \\(Int.max &* 2) \\(UInt64.max)")
                let b: Int8 = -128
                let c = b - 1
                print("never \\(c)")
            }
            """)
        #expect(r.lines == ["4 44 127 -3 -1", "0 -1 -2 18446744073709551615", "t.clv:6:13: fatal error: arithmetic overflow in -"])
        #expect(r.status == 1)
    }

    @Test func divisionByZeroAndMinusOneTrap() throws {
        for (expr, message) in [
            ("least / m", "arithmetic overflow in /"), ("least % m", "arithmetic overflow in %"),
            ("5 / z", "division by zero"), ("5 % z", "division by zero in %"), ("-least", "arithmetic overflow in unary -"),
        ] {
            // Operands from parameters, so that the checker cannot see the trap coming.
            let r = try run(
                "func f(_ least: Int, _ m: Int, _ z: Int) -> Int {\n    return \(expr)\n}\n"
                    + "func main() {\n    print(\"\\(f(Int.min, -1, 0))\")\n}\n")
            #expect(r.lines == ["t.clv:2:12: fatal error: \(message)"], "\(expr)")
            #expect(r.status == 1, "\(expr)")
        }
    }

    @Test func collectionsBehaveAsDocumented() throws {
        let r = try run(
            """
            func main() {
                var m: Map<Bytes, Int> = [:]
                m["b"] = 1
                m["a"] = 2
                m["b"] = 3
                m["c"] = 4
                m["a"] = nil
                m["a"] = 5
                var keys: [Bytes] = []
                for (k, v) in m { keys.append(k + "=" + Bytes(String(v))) }
                print(String(keys.joined(separator: ",")))
                // As Swift splits: empty pieces are left out and do not count; the rest follows the split.
                let parts = Bytes("  a  b c ").split(separator: 32, maxSplits: 1)
                print("\\(parts.count) [\\(String(parts[0]))] [\\(String(parts[1]))]")
                let empty: [Bytes] = []
                let sorted = [3, 1, 2].sorted()
                print("\\(empty.first == nil) \\(empty.min() == nil) \\(sorted[0])\\(sorted[1])\\(sorted[2]) \\([5, 9, 1].max()!)")
                print("\\(0.1 + 0.2) \\(1e-5) \\(100.0) \\(1.5e20) \\(Double(7) / 2)")
                let x: Bytes = "abcdef"
                print("\\(x.readUInt16(at: 4)) \\(String(x[1..<3])) \\(x.firstIndex(of: 100)!)")
                print("\\(x.readUInt16(at: 5))")
            }
            """)
        #expect(
            r.lines == [
                "b=3,c=4,a=5", "2 [a] [ b c ]", "true true 123 9", "0.30000000000000004 1e-05 100.0 1.5e+20 3.5",
                "25958 bc 3", "t.clv:21:14: fatal error: 2-byte access at offset 5 out of range of a count of 6",
            ])
        #expect(r.status == 1)
    }

    @Test func valuesAreCopiedAndStatesAreShared() throws {
        let r = try run(
            """
            struct P {
                var x: Int
                mutating func bump() {
                    x += 1
                }
            }
            state Counter {
                var n: Int = 0
                func add(_ k: Int) -> Int {
                    n += k
                    return n
                }
            }
            func twice(_ p: inout P) {
                p.bump()
                p.bump()
            }
            func main() {
                var a = P(x: 1)
                var b = a
                b.bump()
                twice(&a)
                var list = [a, b]
                list[0].x = 10
                let c = Counter()
                _ = c.add(2)
                print("\\(a.x) \\(b.x) \\(list[0].x) \\(list[1].x) \\(c.add(3))")
            }
            """)
        #expect(r.lines == ["3 2 10 2 5"])
        #expect(r.status == 0)
    }

    @Test func closuresSeeTheValuesTheyCapture() throws {
        let r = try run(
            """
            func main() {
                let k = 3
                let xs = [1, 2, 3, 4]
                let ys = xs.map { $0 * k }.filter { $0 % 2 == 0 }
                let total = xs.reduce(0) { $0 + $1 }
                let sorted = xs.sorted(by: { $0 > $1 })
                print("\\(ys.count) \\(ys[0]) \\(ys[1]) \\(total) \\(sorted[0])\\(sorted[3]) \\(xs.contains(where: { $0 > 3 }))")
            }
            """)
        #expect(r.lines == ["2 6 12 10 41 true"])
    }

    @Test func aProgramThatCallsCIsRefused() throws {
        let r = Pipeline.run(
            [SourceFile(path: "t.clv", text: "import \"stdlib.h\"\nfunc main() {\n    print(\"\\(abs(-1))\")\n}\n")],
            through: .typed)
        let typed = try #require(r.typed)
        var lines: [String] = []
        #expect(Interpreter.run(typed, name: "t", arguments: [], output: { lines.append($0) }) == 2)
        #expect(lines.first?.contains("cannot run a program that calls C") == true, "\(lines)")
    }
}

// Every integer operator and conversion at its limits, through the whole
// compiler: a service generated here computes, for each request such as
// "Int8 - -128 1 0", one operation on operands it parses from the request (so
// the checker cannot know them), and answers with the result. Every width
// (Int8 ... Int64, Int, UInt8 ... UInt64, UInt) is tried with every operator
// (+ - * / % &+ &- &* & | ^ ~, unary -, abs, comparisons, << and >> by Int,
// UInt64 and Int8 amounts) on every pair of values around its edges, and every
// conversion (exact, truncating, from a Double) from and to every width.
//
// What each request must give is Swift's own answer for the same operation,
// computed here: the value, or the trap (`addingReportingOverflow` says
// overflow, division by zero, `T(exactly:)` is nil). The requests that must not
// trap are replayed together and their replies compared one by one; each one
// that must trap is replayed alone, and the service must stop with status 1
// and exactly its message, at the line and column of its operation.

import CleaveTestSupport
import Foundation
import Testing

/// What a request must give: its reply, or the trap message.
enum LimitOutcome: Equatable {
    case value(String)
    case trap(String)
}

/// One integer type of Cleave, with Swift's answers for its operations.
struct LimitType: Sendable {
    let name: String
    let isSigned: Bool
    let bits: Int
    /// Values around the edges, as text.
    let edges: [String]
    let binary: @Sendable (String, String, String) -> LimitOutcome
    let unary: @Sendable (String, String) -> LimitOutcome
    /// `<<` or `>>` by an amount of type Int (op "<<"), UInt64 ("<<u") or Int8 ("<<s").
    let shift: @Sendable (String, String, String) -> LimitOutcome
    /// A conversion to this type of an exact integer: `T(x)`, or truncating.
    let convert: @Sendable (Int128, Bool) -> LimitOutcome
    let convertDouble: @Sendable (Double) -> LimitOutcome

    static let all: [LimitType] = [
        make(Int8.self, "Int8"), make(Int16.self, "Int16"), make(Int32.self, "Int32"), make(Int64.self, "Int64"),
        make(Int.self, "Int"), make(UInt8.self, "UInt8"), make(UInt16.self, "UInt16"), make(UInt32.self, "UInt32"),
        make(UInt64.self, "UInt64"), make(UInt.self, "UInt"),
    ]

    static func named(_ name: String) -> LimitType? { all.first { $0.name == name } }

    static let binaryOps = ["+", "-", "*", "/", "%", "&+", "&-", "&*", "&", "|", "^", "cmp"]

    static func make<T: FixedWidthInteger & Sendable>(_: T.Type, _ name: String) -> LimitType {
        @Sendable func number(_ text: String) -> T { T(text) ?? 0 }
        @Sendable func checked(_ r: (partialValue: T, overflow: Bool), _ op: String) -> LimitOutcome {
            r.overflow ? .trap("arithmetic overflow in \(op)") : .value(String(r.partialValue))
        }
        let candidates: [T] = [T.min, T.min + 1, T.isSigned ? 0 &- 1 : 2, 0, 1, T.max - 1, T.max]
        var edges: [T] = []
        for v in candidates where !edges.contains(v) { edges.append(v) }
        return LimitType(
            name: name, isSigned: T.isSigned, bits: T.bitWidth, edges: edges.map { String($0) },
            binary: { op, x, y in
                let (a, b) = (number(x), number(y))
                switch op {
                case "+": return checked(a.addingReportingOverflow(b), "+")
                case "-": return checked(a.subtractingReportingOverflow(b), "-")
                case "*": return checked(a.multipliedReportingOverflow(by: b), "*")
                case "/": return b == 0 ? .trap("division by zero") : checked(a.dividedReportingOverflow(by: b), "/")
                case "%": return b == 0 ? .trap("division by zero in %") : checked(a.remainderReportingOverflow(dividingBy: b), "%")
                case "&+": return .value(String(a &+ b))
                case "&-": return .value(String(a &- b))
                case "&*": return .value(String(a &* b))
                case "&": return .value(String(a & b))
                case "|": return .value(String(a | b))
                case "^": return .value(String(a ^ b))
                default: return .value("\(a < b) \(a <= b) \(a > b) \(a >= b) \(a == b) \(a != b)")
                }
            },
            unary: { op, x in
                let a = number(x)
                switch op {
                case "~": return .value(String(~a))
                default:  // unary -, abs
                    return checked((0 as T).subtractingReportingOverflow(a), "unary -").map { op == "abs" && a >= 0 ? String(a) : $0 }
                }
            },
            shift: { op, x, amount in
                let a = number(x)
                let left = op.hasPrefix("<<")
                switch op.dropFirst(2) {
                case "u":
                    let n = UInt64(amount) ?? 0
                    return .value(String(left ? a << n : a >> n))
                case "s":
                    let n = Int8(amount) ?? 0
                    return .value(String(left ? a << n : a >> n))
                default:
                    let n = Int(amount) ?? 0
                    return .value(String(left ? a << n : a >> n))
                }
            },
            convert: { x, truncating in
                if truncating { return .value(String(T(truncatingIfNeeded: x))) }
                return T(exactly: x).map { .value(String($0)) } ?? .trap("integer conversion: value does not fit")
            },
            convertDouble: { d in
                let message = "Double value cannot be converted: it is not finite or does not fit"
                guard d.isFinite, let v = T(exactly: d.rounded(.towardZero)) else { return .trap(message) }
                return .value(String(v))
            })
    }

    /// Shift amounts for "<<", "<<u" and "<<s": around 0 and around the width, both ways, and the extremes.
    func amounts(_ op: String) -> [String] {
        let w = bits
        switch op.dropFirst(2) {
        case "u": return ["0", "1", "\(w - 1)", "\(w)", "\(w + 1)", "1000", "1001", String(UInt64.max)]
        case "s": return ["-128", "\(-w - 1)", "\(-w)", "\(-w + 1)", "-1", "0", "1", "\(w - 1)", "\(w)", "\(w + 1)", "127"]
        default:
            return [String(Int.min), "\(-w - 1)", "\(-w)", "\(-w + 1)", "-1", "0", "1", "\(w - 1)", "\(w)", "\(w + 1)", String(Int.max)]
        }
    }

    /// Doubles around this type's edges (and the ones that are not numbers), as Swift prints them.
    var doubles: [Double] {
        let lo = isSigned ? -pow(2.0, Double(bits - 1)) : 0
        let hi = isSigned ? pow(2.0, Double(bits - 1)) : pow(2.0, Double(bits))  // MAX + 1
        let xs: [Double] = [
            .nan, .infinity, -.infinity, 0, -0.0, 0.5, -0.5, -0.9999, 1, -1, lo, lo - 0.5, lo - 1, lo.nextDown, lo.nextUp,
            hi, hi.nextDown, hi - 0.5, hi - 1, 1e30, -1e30,
        ]
        var out: [Double] = []
        for x in xs where !out.contains(where: { $0.bitPattern == x.bitPattern || ($0.isNaN && x.isNaN) }) { out.append(x) }
        return out
    }
}

extension LimitOutcome {
    func map(_ f: (String) -> String) -> LimitOutcome {
        if case .value(let v) = self { return .value(f(v)) }
        return self
    }
}

/// The generated service, and where each operation is in it.
enum LimitService {
    static let file = "integer_limits.clv"
    static let port: UInt16 = 9300

    /// The source and, by "function op", the line and column of the operation's expression.
    static let generated: (source: String, positions: [String: (Int, Int)]) = {
        var lines = ["// Generated by IntegerLimitTests: one operation per request.", "import net", ""]
        var positions: [String: (Int, Int)] = [:]
        func add(_ line: String, _ expression: String? = nil, key: String? = nil) {
            lines.append(line)
            if let expression, let key, let at = line.range(of: expression) {
                positions[key] = (lines.count, line.distance(from: line.startIndex, to: at.lowerBound) + 1)
            }
        }
        for t in LimitType.all {
            let n = t.name
            add("func ops\(n)(_ op: Bytes, _ a: \(n), _ b: \(n), _ n: Int, _ u: UInt64, _ s: Int8) -> String {")
            for op in LimitType.binaryOps where op != "cmp" {
                add("    if op == \"\(op)\" { return String(a \(op) b) }", "a \(op) b", key: "\(n) \(op)")
            }
            add("    if op == \"cmp\" { return \"\\(a < b) \\(a <= b) \\(a > b) \\(a >= b) \\(a == b) \\(a != b)\" }")
            add("    if op == \"~\" { return String(~a) }")
            if t.isSigned {
                add("    if op == \"neg\" { return String(-a) }", "-a", key: "\(n) neg")
                add("    if op == \"abs\" { return String(abs(a)) }", "abs(a)", key: "\(n) abs")
            }
            for (op, amount) in [("<<", "n"), (">>", "n"), ("<<u", "u"), (">>u", "u"), ("<<s", "s"), (">>s", "s")] {
                add("    if op == \"\(op)\" { return String(a \(op.prefix(2)) \(amount)) }")
            }
            add("    return \"?\"")
            add("}")
            add("")
            add("func from\(n)(_ to: Bytes, _ x: \(n)) -> String {")
            for target in LimitType.all {
                let e = "\(target.name)(x)"
                add("    if to == \"\(target.name)\" { return String(\(e)) }", e, key: "\(n) to \(target.name)")
                add("    if to == \"\(target.name)~\" { return String(\(target.name)(truncatingIfNeeded: x)) }")
            }
            add("    return \"?\"")
            add("}")
            add("")
        }
        add("func fromDouble(_ to: Bytes, _ x: Double) -> String {")
        for target in LimitType.all {
            let e = "\(target.name)(x)"
            add("    if to == \"\(target.name)\" { return String(\(e)) }", e, key: "Double to \(target.name)")
        }
        add("    return \"?\"")
        add("}")
        add("")
        add("func main() {")
        add("    let device = UdpDevice(port: \(port))")
        add("    loop {")
        add("        let datagram = device.receive()")
        add("        let p = datagram.payload.split(separator: 32)")
        add("        var reply = \"?\"")
        add("        if p.count == 5 {")
        for t in LimitType.all {
            let n = t.name
            add(
                "            if p[0] == \"\(n)\" { reply = ops\(n)(p[1], \(n)(p[2])!, \(n)(p[3])!, Int(p[4]) ?? 0, UInt64(p[4]) ?? 0, Int8(p[4]) ?? 0) }"
            )
        }
        add("        }")
        add("        if p.count == 4 && p[0] == \"to\" {")
        for t in LimitType.all {
            add("            if p[2] == \"\(t.name)\" { reply = from\(t.name)(p[1], \(t.name)(p[3])!) }")
        }
        add("            if p[2] == \"Double\" { reply = fromDouble(p[1], Double(p[3])!) }")
        add("        }")
        add("        device.send(datagram.reply(Bytes(reply)))")
        add("    }")
        add("}")
        return (lines.joined(separator: "\n") + "\n", positions)
    }()

    /// The source, written once under the tests' scratch directory.
    static let path: String = {
        let p = Scratch.path("integer-limits") + "/" + file
        try? generated.source.write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }()
}

/// A request, what it must give, and where a trap must name.
struct LimitRequest {
    let text: String
    let outcome: LimitOutcome
    let position: String
}

@Suite struct IntegerLimitTests {
    /// Every request about `type`: its operations, and conversions to it.
    static func requests(_ t: LimitType) -> [LimitRequest] {
        let positions = LimitService.generated.positions
        func at(_ key: String) -> String {
            let (line, column) = positions[key] ?? (0, 0)
            return "\(LimitService.file):\(line):\(column)"
        }
        var out: [LimitRequest] = []
        for op in LimitType.binaryOps {
            for a in t.edges {
                for b in t.edges {
                    out.append(
                        LimitRequest(text: "\(t.name) \(op) \(a) \(b) 0", outcome: t.binary(op, a, b), position: at("\(t.name) \(op)")))
                }
            }
        }
        for op in ["~"] + (t.isSigned ? ["neg", "abs"] : []) {
            for a in t.edges {
                out.append(LimitRequest(text: "\(t.name) \(op) \(a) 0 0", outcome: t.unary(op, a), position: at("\(t.name) \(op)")))
            }
        }
        for op in ["<<", ">>", "<<u", ">>u", "<<s", ">>s"] {
            for a in t.edges {
                for n in t.amounts(op) {
                    out.append(LimitRequest(text: "\(t.name) \(op) \(a) 0 \(n)", outcome: t.shift(op, a, n), position: ""))
                }
            }
        }
        for source in LimitType.all {
            for x in source.edges {
                let value = Int128(x) ?? 0
                out.append(
                    LimitRequest(
                        text: "to \(t.name) \(source.name) \(x)", outcome: t.convert(value, false),
                        position: at("\(source.name) to \(t.name)")))
                out.append(LimitRequest(text: "to \(t.name)~ \(source.name) \(x)", outcome: t.convert(value, true), position: ""))
            }
        }
        for d in t.doubles {
            out.append(
                LimitRequest(text: "to \(t.name) Double \(d)", outcome: t.convertDouble(d), position: at("Double to \(t.name)")))
        }
        return out
    }

    @Test(arguments: LimitType.all.map(\.name))
    func everyOperatorAndConversionAtItsLimits(_ name: String) throws {
        let t = try #require(LimitType.named(name))
        let requests = Self.requests(t)
        func datagram(_ text: String) -> UDPDatagram {
            UDPDatagram(sourcePort: 4000, destinationPort: LimitService.port, payload: Array(text.utf8))
        }
        // The requests that must not trap, together: each reply is Swift's answer.
        let answered = requests.filter { if case .value = $0.outcome { true } else { false } }
        let r = try replay(LimitService.path, answered.map { datagram($0.text) }, name: "limits-\(name)")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.replies.count == answered.count, "\(r.stderr)")
        var wrong = 0
        for (q, reply) in zip(answered, r.replies) where .value(reply.payload.text) != q.outcome && wrong < 20 {
            wrong += 1
            Issue.record("\(q.text): \(reply.payload.text.debugDescription), not \(q.outcome)")
        }
        // Each request that must trap, alone: status 1 and its message at its operation.
        for (k, q) in requests.enumerated() {
            guard case .trap(let message) = q.outcome else { continue }
            let run = try replay(LimitService.path, [datagram(q.text)], name: "limits-\(name)-trap")
            let expected = "\(q.position): fatal error: \(message)\n"
            let reply = run.replies.first.map { $0.payload.text.debugDescription } ?? "nothing"
            #expect(
                run.status == 1 && run.stderr.hasPrefix(expected) && run.replies.isEmpty,
                "request \(k), \(q.text), must trap with \(expected.debugDescription); it answered \(reply), status \(run.status): \(run.stderr)"
            )
        }
    }
}

// Operators and built-ins, each from its definition in Documentation/Builtins.md
// (and, where that page is silent, from what Swift does).

import CleaveDiagnostics
import CleaveGrammar
import CleaveSema
import Foundation

extension Interpreter {
    // MARK: Text

    /// How interpolation and `String(x)` write a value: integers in decimal, a `Double` as
    /// Swift's `description`, a `Bool` as `true`/`false`, text and bytes as they are.
    func text(_ v: Value, type: Ty) -> [UInt8] {
        switch v {
        case .int(let x): return Array(String(x).utf8)
        case .double(let d): return Array(d.description.utf8)
        case .bool(let b): return Array((b ? "true" : "false").utf8)
        case .bytes(let b): return b
        default: return []
        }
    }

    // MARK: Operators

    func unary(_ op: UnaryOp, _ x: Value, type: Ty, span: SourceSpan) throws -> Value {
        switch op {
        case .not:
            return .bool(!x.boolean)
        case .bitNot:
            guard let k = type.intKind else { return x }
            return .int(k.wrapping(~x.integer))
        case .negate:
            if case .double(let d) = x { return .double(-d) }
            guard let k = type.intKind else { return x }
            let r = -x.integer
            guard k.contains(r) else { throw trap("arithmetic overflow in unary -", at: span) }
            return .int(r)
        }
    }

    func binary(_ op: BinaryOp, _ x: Value, _ y: Value, type: Ty, span: SourceSpan) throws -> Value {
        if let k = type.intKind {
            let a = x.integer
            let b = y.integer
            func checked(_ r: Int128, _ symbol: String) throws -> Value {
                guard k.contains(r) else { throw trap("arithmetic overflow in \(symbol)", at: span) }
                return .int(r)
            }
            switch op {
            case .add: return try checked(a + b, "+")
            case .sub: return try checked(a - b, "-")
            case .mul: return try checked(a * b, "*")
            case .div:
                guard b != 0 else { throw trap("division by zero", at: span) }
                return try checked(a / b, "/")  // Int128 division truncates toward zero, as Swift's does
            case .mod:
                guard b != 0 else { throw trap("division by zero in %", at: span) }
                // Swift: MIN % -1 traps, as MIN / -1 does.
                guard k.contains(a / b) else { throw trap("arithmetic overflow in %", at: span) }
                return .int(a % b)
            case .wrapAdd: return .int(k.wrapping(a + b))
            case .wrapSub: return .int(k.wrapping(a - b))
            case .wrapMul: return .int(k.wrapping(a * b))
            case .bitAnd: return .int(k.wrapping(a & b))
            case .bitOr: return .int(k.wrapping(a | b))
            case .bitXor: return .int(k.wrapping(a ^ b))
            case .shl: return .int(shift(a, by: b, left: true, k))
            case .shr: return .int(shift(a, by: b, left: false, k))
            default: break
            }
        }
        switch op {
        case .eq: return .bool(Value.equal(x, y))
        case .ne: return .bool(!Value.equal(x, y))
        case .lt: return .bool(lessThan(x, y))
        case .le: return .bool(!lessThan(y, x) && !isNaN(x, y))
        case .gt: return .bool(lessThan(y, x))
        case .ge: return .bool(!lessThan(x, y) && !isNaN(x, y))
        default: break
        }
        switch (x, y) {
        case (.double(let a), .double(let b)):
            switch op {
            case .add: return .double(a + b)
            case .sub: return .double(a - b)
            case .mul: return .double(a * b)
            case .div: return .double(a / b)
            default: break
            }
        case (.bytes(let a), .bytes(let b)) where op == .add:
            try sized(a.count + b.count)
            return .bytes(a + b)
        case (.array(let a), .array(let b)) where op == .add:
            try sized(a.count + b.count)
            return .array(a + b)
        default:
            break
        }
        throw trap("internal error: operator \(op.rawValue) on these operands", at: span)
    }

    func isNaN(_ x: Value, _ y: Value) -> Bool {
        if case .double(let a) = x, a.isNaN { return true }
        if case .double(let b) = y, b.isNaN { return true }
        return false
    }

    func lessThan(_ x: Value, _ y: Value) -> Bool {
        if case .double(let a) = x, case .double(let b) = y { return a < b }
        return Value.compare(x, y) < 0
    }

    /// Swift's "smart" shifts: a negative amount shifts the other way; shifting by the width
    /// or more gives 0, or -1 for a right shift of a negative value.
    func shift(_ a: Int128, by n: Int128, left: Bool, _ k: IntKind) -> Int128 {
        if n < 0 { return n == Int128.min ? (left ? (a < 0 ? -1 : 0) : 0) : shift(a, by: -n, left: !left, k) }
        if n >= Int128(k.bits) { return left ? 0 : (a < 0 ? -1 : 0) }
        return left ? k.wrapping(a << Int(n)) : a >> Int(n)
    }

    // MARK: Built-ins

    func builtin(_ name: Builtin, _ operands: [TExpr], type: Ty, span: SourceSpan, in frame: Frame) throws -> Value {
        // Changing built-ins change their receiver, a place: evaluate, change, store back.
        if name.changesReceiver, let receiver = operands.first {
            let args = try operands.dropFirst().map { try eval($0, in: frame) }
            var r = try eval(receiver, in: frame)
            let result = try mutatingBuiltin(name, &r, args, type: type, span: span)
            try assign(receiver, r, in: frame)
            return result
        }
        if case .integer(let k, let method) = name {
            return try integerBuiltin(k, method, try operands.map { try eval($0, in: frame) }, span: span)
        }
        // The built-ins that take a closure call it element by element, in order.
        switch name {
        case .array(.map), .array(.filter), .array(.forEach), .array(.containsWhere), .array(.sortedBy):
            let items = try eval(operands[0], in: frame).elements
            let f = try eval(operands[1], in: frame)
            switch name {
            case .array(.map): return .array(try items.map { try callClosure(f, [$0], span: span) })
            case .array(.filter): return .array(try items.filter { try callClosure(f, [$0], span: span).boolean })
            case .array(.forEach):
                for x in items { _ = try callClosure(f, [x], span: span) }
                return .void
            case .array(.containsWhere):
                for x in items where try callClosure(f, [x], span: span).boolean { return .bool(true) }
                return .bool(false)
            default:
                return .array(try insertionSort(items) { try callClosure(f, [$0, $1], span: span).boolean })
            }
        case .array(.reduce):
            var acc = try eval(operands[1], in: frame)
            let items = try eval(operands[0], in: frame).elements
            let f = try eval(operands[2], in: frame)
            for x in items { acc = try callClosure(f, [acc, x], span: span) }
            return acc
        default:
            break
        }
        let v = try operands.map { try eval($0, in: frame) }
        let a = v.first ?? .void
        switch name {
        case .free(.print):
            output(String(decoding: a.byteArray, as: UTF8.self))
            return .void
        case .bytes(.count), .string(.count): return .int(Int128(a.byteArray.count))
        case .array(.count): return .int(Int128(a.elements.count))
        case .map(.count): return .int(Int128(a.entries.count))
        case .bytes(.isEmpty), .string(.isEmpty): return .bool(a.byteArray.isEmpty)
        case .array(.isEmpty): return .bool(a.elements.isEmpty)
        case .map(.isEmpty): return .bool(a.entries.isEmpty)
        case .array(.first): return .optional(a.elements.first)
        case .array(.last): return .optional(a.elements.last)
        case .array(.min), .array(.max):
            var best: Value?
            for x in a.elements {
                if let b = best, !(name == .array(.min) ? lessThan(x, b) : lessThan(b, x)) { continue }
                best = x
            }
            return .optional(best)
        case .array(.contains): return .bool(a.elements.contains { Value.equal($0, v[1]) })
        case .array(.firstIndex): return .optional(a.elements.firstIndex { Value.equal($0, v[1]) }.map { .int(Int128($0)) })
        case .array(.reversed): return .array(a.elements.reversed())
        case .array(.sorted): return .array(try insertionSort(a.elements) { lessThan($0, $1) })
        case .array(.enumerated): return .array(a.elements.enumerated().map { .tuple([.int(Int128($0.offset)), $0.element]) })
        case .array(.joined):
            let separator = v[1].byteArray
            var out: [UInt8] = []
            for (i, x) in a.elements.enumerated() {
                out += (i > 0 ? separator : []) + x.byteArray
                try sized(out.count)
            }
            return .bytes(out)
        case .array(.repeating):
            let n = v[1].integer
            guard n >= 0 else { throw trap("can't make an array with a negative count", at: span) }
            try sized(n)
            return .array(Array(repeating: v[0], count: Int(n)))
        case .bytes(.repeating):
            let n = v[1].integer
            guard n >= 0 else { throw trap("can't make Bytes with a negative count", at: span) }
            try sized(n)
            return .bytes(Array(repeating: UInt8(truncatingIfNeeded: v[0].integer), count: Int(n)))
        case .bytes(.split):
            guard v[2].integer >= 0 else { throw trap("can't split with a negative maxSplits", at: span) }
            return .array(split(a.byteArray, separator: UInt8(truncatingIfNeeded: v[1].integer), maxSplits: v[2].integer))
        case .bytes(.hasPrefix), .string(.hasPrefix): return .bool(a.byteArray.starts(with: v[1].byteArray))
        case .bytes(.hasSuffix), .string(.hasSuffix): return .bool(a.byteArray.reversed().starts(with: v[1].byteArray.reversed()))
        case .bytes(.firstIndex):
            return .optional(a.byteArray.firstIndex(of: UInt8(truncatingIfNeeded: v[1].integer)).map { .int(Int128($0)) })
        case .bytes(.trimmed):
            let space: Set<UInt8> = [9, 10, 11, 12, 13, 32]
            let b = a.byteArray
            guard let lo = b.firstIndex(where: { !space.contains($0) }), let hi = b.lastIndex(where: { !space.contains($0) })
            else { return .bytes([]) }
            return .bytes(Array(b[lo...hi]))
        case .bytes(.lowercased): return .bytes(a.byteArray.map { (65...90).contains($0) ? $0 + 32 : $0 })
        case .bytes(.uppercased): return .bytes(a.byteArray.map { (97...122).contains($0) ? $0 - 32 : $0 })
        case .bytes(.read(let k)):
            let width = k.bits / 8
            let b = a.byteArray
            let at = v[1].integer
            guard at >= 0 && at + Int128(width) <= Int128(b.count) else {
                throw trap("\(width)-byte access at offset \(at) out of range of a count of \(b.count)", at: span)
            }
            var x: Int128 = 0
            for i in 0..<width { x = x << 8 | Int128(b[Int(at) + i]) }
            return .int(x)
        case .bytes(.encode), .string(.decode):
            return name == .bytes(.encode) ? a : .bytes(Array(String(decoding: a.byteArray, as: UTF8.self).utf8))
        case .bytes(.fromArray): return .bytes(a.elements.map { UInt8(truncatingIfNeeded: $0.integer) })
        case .string(.format): return .bytes(text(a, type: operands[0].type))
        case .double(.convert):
            if case .double = a { return a }
            return .double(Double(a.integer))
        case .double(.parse): return .optional(Double(String(decoding: a.byteArray, as: UTF8.self)).map { .double($0) })
        case .double(.squareRoot): return .double(a.double.squareRoot())
        case .double(.rounded): return .double(a.double.rounded())
        case .double(.magnitude): return .double(a.double.magnitude)
        case .map(.empty): return .map([])
        case .map(.keys): return .array(a.entries.map(\.key))
        case .map(.values): return .array(a.entries.map(\.value))
        case .free(.min), .free(.max):
            let first = name == .free(.min) ? lessThan(v[1], v[0]) : lessThan(v[0], v[1])
            return first ? v[1] : v[0]
        case .free(.abs):
            if case .double(let d) = a { return .double(d.magnitude) }
            return a.integer < 0 ? try unary(.negate, a, type: type, span: span) : a
        default:
            throw trap("internal error: the built-in '\(name)' is unknown to the interpreter", at: span)
        }
    }

    func mutatingBuiltin(_ name: Builtin, _ r: inout Value, _ v: [Value], type: Ty, span: SourceSpan) throws -> Value {
        switch name {
        case .bytes(.append):
            r = .bytes(r.byteArray + [UInt8(truncatingIfNeeded: v[0].integer)])
        case .bytes(.appendContents):
            try sized(r.byteArray.count + v[0].byteArray.count)
            r = .bytes(r.byteArray + v[0].byteArray)
        case .bytes(.write(let k)):
            let width = k.bits / 8
            var b = r.byteArray
            let at = v[1].integer
            guard at >= 0 && at + Int128(width) <= Int128(b.count) else {
                throw trap("\(width)-byte access at offset \(at) out of range of a count of \(b.count)", at: span)
            }
            var x = v[0].integer
            for i in (0..<width).reversed() {
                b[Int(at) + i] = UInt8(truncatingIfNeeded: x & 0xff)
                x >>= 8
            }
            r = .bytes(b)
        case .array(.append):
            r = .array(r.elements + [v[0]])
        case .array(.appendContents):
            try sized(r.elements.count + v[0].elements.count)
            r = .array(r.elements + v[0].elements)
        case .array(.removeLast):
            var items = r.elements
            guard let last = items.popLast() else { throw trap("can't remove the last element from an empty array", at: span) }
            r = .array(items)
            return last
        case .array(.insert):
            var items = r.elements
            let at = v[1].integer
            guard at >= 0 && at <= Int128(items.count) else { throw indexTrap(at, items.count, at: span) }
            items.insert(v[0], at: Int(at))
            r = .array(items)
        case .array(.remove):
            var items = r.elements
            let at = v[0].integer
            guard at >= 0 && at < Int128(items.count) else { throw indexTrap(at, items.count, at: span) }
            let removed = items.remove(at: Int(at))
            r = .array(items)
            return removed
        case .array(.swapAt):
            var items = r.elements
            let (i, j) = (v[0].integer, v[1].integer)
            guard i >= 0 && i < Int128(items.count) else { throw indexTrap(i, items.count, at: span) }
            guard j >= 0 && j < Int128(items.count) else { throw indexTrap(j, items.count, at: span) }
            items.swapAt(Int(i), Int(j))
            r = .array(items)
        case .map(.removeValue):
            var entries = r.entries
            guard let at = entries.firstIndex(where: { Value.equal($0.key, v[0]) }) else { return .optional(nil) }
            let removed = entries.remove(at: at)
            r = .map(entries)
            return .optional(removed.value)
        default:
            throw trap("internal error: the built-in '\(name)' is unknown to the interpreter", at: span)
        }
        return .void
    }

    func integerBuiltin(_ k: IntKind, _ method: Builtin.IntegerMember, _ v: [Value], span: SourceSpan) throws -> Value {
        switch method {
        case .max: return .int(k.maximum)
        case .min: return .int(k.minimum)
        case .truncating: return .int(k.wrapping(v[0].integer))
        case .convert:
            if case .double(let d) = v[0] {
                let t = d.rounded(.towardZero)
                guard d.isFinite, t >= -1.7e38, t <= 1.7e38, k.contains(Int128(t)) else {
                    throw trap("Double value cannot be converted: it is not finite or does not fit", at: span)
                }
                return .int(Int128(t))
            }
            guard k.contains(v[0].integer) else { throw trap("integer conversion: value does not fit", at: span) }
            return v[0]
        case .parse:
            let s = String(decoding: v[0].byteArray, as: UTF8.self)
            var parsed: Int128?
            if k.isSigned {
                if let x = Int64(s) { parsed = Int128(x) }
            } else if let x = UInt64(s) {
                parsed = Int128(x)
            }
            guard let p = parsed, k.contains(p) else { return .optional(nil) }
            return .optional(.int(p))
        default:
            throw trap("internal error: the built-in '\(k.rawValue).\(method)' is unknown to the interpreter", at: span)
        }
    }

    /// Swift's `split(separator:maxSplits:)` with empty pieces omitted.
    func split(_ b: [UInt8], separator: UInt8, maxSplits: Int128) -> [Value] {
        b.split(separator: separator, maxSplits: Int(min(maxSplits, Int128(Int.max))), omittingEmptySubsequences: true)
            .map { .bytes(Array($0)) }
    }

    /// A stable insertion sort: each element goes after every one not greater than it.
    func insertionSort(_ items: [Value], by less: (Value, Value) throws -> Bool) throws -> [Value] {
        var out: [Value] = []
        for x in items {
            var at = out.count
            while at > 0, try less(x, out[at - 1]) { at -= 1 }
            out.insert(x, at: at)
        }
        return out
    }
}

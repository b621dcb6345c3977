// Values of the reference interpreter.
//
// Every value of a Cleave program has a Swift value here with the same meaning:
// value types are Swift values (an array of `Value` copies as Swift arrays do,
// which is Cleave's value semantics); a state is an object, the one thing with
// identity. Integers are kept as their mathematical value (`Int128` holds every
// value of every integer type of the language), with the type from the typed
// program deciding where an operation traps or wraps: the arithmetic is then
// the definition, not a model of a machine's.

import CleaveSema

/// A state's fields: the one value with identity.
final class StateObject {
    let type: TypeID
    var fields: [Value]
    /// The device behind a standard module's state (`UdpDevice`), if it is one.
    var device: Device?

    init(type: TypeID, fields: [Value]) {
        self.type = type
        self.fields = fields
    }
}

/// A closure value: its code, and the values of the enclosing function it was made in.
struct Closure {
    let params: [LocalID]
    let body: TBlock
    let frame: Frame
}

indirect enum Value {
    case int(Int128)
    case double(Double)
    case bool(Bool)
    /// A `String` or `Bytes`: both are bytes; a `String`'s are UTF-8.
    case bytes([UInt8])
    case array([Value])
    /// Entries in insertion order (a removed key is gone; inserted again, it goes last).
    case map([(key: Value, value: Value)])
    case optional(Value?)
    case tuple([Value])
    /// A struct's fields in declaration order.
    case record([Value])
    case enumCase(Int, [Value])
    case state(StateObject)
    case closure(Closure)
    case function(FunctionID)
    case void

    var integer: Int128 {
        if case .int(let v) = self { return v }
        return 0
    }
    var boolean: Bool {
        if case .bool(let v) = self { return v }
        return false
    }
    var byteArray: [UInt8] {
        if case .bytes(let v) = self { return v }
        return []
    }
    var elements: [Value] {
        switch self {
        case .array(let v), .tuple(let v), .record(let v): return v
        case .enumCase(_, let v): return v
        default: return []
        }
    }
    var entries: [(key: Value, value: Value)] {
        if case .map(let v) = self { return v }
        return []
    }
    var double: Double {
        if case .double(let v) = self { return v }
        return 0
    }
    var wrapped: Value? {
        if case .optional(let v) = self { return v }
        return nil
    }
    var stateObject: StateObject? {
        if case .state(let s) = self { return s }
        return nil
    }
}

extension Value {
    /// `==` as the language defines it: structural for values, identity for states.
    static func equal(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case (.int(let x), .int(let y)): return x == y
        case (.double(let x), .double(let y)): return x == y
        case (.bool(let x), .bool(let y)): return x == y
        case (.bytes(let x), .bytes(let y)): return x == y
        case (.array(let x), .array(let y)), (.tuple(let x), .tuple(let y)), (.record(let x), .record(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
        case (.enumCase(let i, let x), .enumCase(let j, let y)):
            return i == j && x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
        case (.optional(let x), .optional(let y)):
            switch (x, y) {
            case (nil, nil): return true
            case (let p?, let q?): return equal(p, q)
            default: return false
            }
        case (.map(let x), .map(let y)):
            return x.count == y.count
                && x.allSatisfy { e in y.contains { equal($0.key, e.key) && equal($0.value, e.value) } }
        case (.state(let x), .state(let y)): return x === y
        case (.void, .void): return true
        default: return false
        }
    }

    /// The order of comparable values (integers, `Double`, `String`, `Bytes`): -1, 0 or 1.
    /// Bytes compare bytewise, the shorter first when one is a prefix of the other.
    static func compare(_ a: Value, _ b: Value) -> Int {
        switch (a, b) {
        case (.int(let x), .int(let y)): return x < y ? -1 : x > y ? 1 : 0
        case (.double(let x), .double(let y)): return x < y ? -1 : x > y ? 1 : 0
        case (.bytes(let x), .bytes(let y)):
            for (p, q) in zip(x, y) where p != q { return p < q ? -1 : 1 }
            return x.count < y.count ? -1 : x.count > y.count ? 1 : 0
        case (.bool(let x), .bool(let y)): return x == y ? 0 : (x ? 1 : -1)
        default: return 0
        }
    }
}

extension IntKind {
    var minimum: Int128 { isSigned ? -(Int128(1) << (bits - 1)) : 0 }
    var maximum: Int128 { isSigned ? (Int128(1) << (bits - 1)) - 1 : (Int128(1) << bits) - 1 }
    func contains(_ v: Int128) -> Bool { v >= minimum && v <= maximum }

    /// `v` reduced to this type's width, as two's complement does (`&+`, `truncatingIfNeeded`).
    func wrapping(_ v: Int128) -> Int128 {
        let modulus = Int128(1) << bits
        var r = v % modulus
        if r < 0 { r += modulus }
        if isSigned && r > maximum { r -= modulus }
        return r
    }
}

// Semantic types.
//
// `Ty` is the checker's notion of a type: built-in scalars, the built-in
// collections, optionals, tuples, non-escaping function types (closure
// parameters only) and the program's own structs, enums and states, referred to
// by `TypeID` (an index into `TypedProgram.types`). `Ty.error` stands for "a type
// we could not determine because of an error already reported": every check
// accepts it silently, so one mistake produces one diagnostic.

public enum IntKind: String, CaseIterable, Sendable, Hashable {
    case int = "Int"
    case int8 = "Int8"
    case int16 = "Int16"
    case int32 = "Int32"
    case int64 = "Int64"
    case uint = "UInt"
    case uint8 = "UInt8"
    case uint16 = "UInt16"
    case uint32 = "UInt32"
    case uint64 = "UInt64"

    public var bits: Int {
        switch self {
        case .int8, .uint8: 8
        case .int16, .uint16: 16
        case .int32, .uint32: 32
        case .int, .int64, .uint, .uint64: 64
        }
    }
    public var isSigned: Bool {
        switch self {
        case .int, .int8, .int16, .int32, .int64: true
        default: false
        }
    }
    /// Smallest and largest value, as (negative magnitude, positive maximum) to stay in UInt64.
    public var maxValue: UInt64 {
        isSigned ? (UInt64(1) << UInt64(bits - 1)) - 1 : (bits == 64 ? UInt64.max : (UInt64(1) << UInt64(bits)) - 1)
    }
    public var minMagnitude: UInt64 { isSigned ? UInt64(1) << UInt64(bits - 1) : 0 }
}

public struct TypeID: Hashable, Sendable, Comparable {
    public let index: Int
    public init(_ i: Int) { index = i }
    public static func < (a: TypeID, b: TypeID) -> Bool { a.index < b.index }
}

public indirect enum Ty: Hashable, Sendable {
    case int(IntKind)
    case bool
    case double
    case string
    case bytes
    case void
    case never
    case array(Ty)
    case map(Ty, Ty)
    case optional(Ty)
    case tuple([Ty])
    /// A non-escaping function value: closures passed as arguments.
    case function([Ty], Ty)
    case nominal(TypeID)
    case error

    public static let int = Ty.int(.int)
    public static let uint8 = Ty.int(.uint8)

    public var isError: Bool {
        if case .error = self { return true }
        return false
    }
    public var intKind: IntKind? {
        if case .int(let k) = self { return k }
        return nil
    }
    public var isInteger: Bool { intKind != nil }
    public var isNumeric: Bool { isInteger || self == .double }
    public var optionalWrapped: Ty? {
        if case .optional(let w) = self { return w }
        return nil
    }
    /// Contains `.error` somewhere.
    public var containsError: Bool {
        switch self {
        case .error: true
        case .array(let e), .optional(let e): e.containsError
        case .map(let k, let v): k.containsError || v.containsError
        case .tuple(let items): items.contains { $0.containsError }
        case .function(let ps, let r): ps.contains { $0.containsError } || r.containsError
        default: false
        }
    }
}

/// The kinds of user-declared types.
public enum TypeDeclKind: String, Sendable {
    case state
    case `struct`
    case `enum`
}

extension Ty {
    /// The type as Cleave spells it (`[Int]`, `Map<Bytes, Int>?`); `name` gives the names
    /// of the program's own types. A type that could not be determined is `<error>`.
    public func spelled(naming name: (TypeID) -> String) -> String {
        func s(_ t: Ty) -> String { t.spelled(naming: name) }
        switch self {
        case .int(let k): return k.rawValue
        case .bool: return "Bool"
        case .double: return "Double"
        case .string: return "String"
        case .bytes: return "Bytes"
        case .void: return "Void"
        case .never: return "Never"
        case .array(let e): return "[\(s(e))]"
        case .map(let k, let v): return "Map<\(s(k)), \(s(v))>"
        case .optional(let w):
            if case .function = w { return "(\(s(w)))?" }
            return "\(s(w))?"
        case .tuple(let items): return "(\(items.map(s).joined(separator: ", ")))"
        case .function(let ps, let r): return "(\(ps.map(s).joined(separator: ", "))) -> \(s(r))"
        case .nominal(let id): return name(id)
        case .error: return "<error>"
        }
    }
}

// The typed AST: what the checker hands to the rest of the compiler.
//
// It is an elaboration of the syntax tree, not an annotation of it: every name is
// resolved (to a local, a global, a field index, a function, a type, a built-in),
// every implicit step the language takes is explicit (`self.` on fields, a `T` to
// `T?` promotion, a string literal becoming `Bytes`, default arguments filled in,
// compound assignment kept as an operator on an lvalue, labels dropped after
// matching), and every expression carries its type. Lowering to IR needs no
// further lookups.
//
// Locals of a function (parameters, `let`/`var`, pattern bindings, closure
// parameters) are numbered per function; closures share their enclosing
// function's table, which is how they capture.

import CleaveCImport
import CleaveDiagnostics
import CleaveGrammar

public struct LocalID: Hashable, Sendable, Comparable {
    public let index: Int
    public static func < (a: LocalID, b: LocalID) -> Bool { a.index < b.index }
}
public struct FunctionID: Hashable, Sendable, Comparable {
    public let index: Int
    public init(index: Int) { self.index = index }
    public static func < (a: FunctionID, b: FunctionID) -> Bool { a.index < b.index }
}
public struct GlobalID: Hashable, Sendable {
    public let index: Int
}

public struct LocalInfo: Sendable {
    public let name: String
    public let type: Ty
    public let isVar: Bool
    public let span: SourceSpan
}

public struct FieldInfo: Sendable {
    public let name: String
    public let type: Ty
    public let isVar: Bool
    public let defaultValue: TExpr?
    public let span: SourceSpan
}

public struct EnumCaseInfo: Sendable {
    public let name: String
    public let payload: [(label: String?, type: Ty)]
    public let span: SourceSpan
}

extension TypeDeclInfo {
    /// One of the net module's devices (`UdpDevice`, `TcpDevice`, `FrameDevice`): a state the runtime's netifs stand behind.
    public var isDevice: Bool { isStandard && (name == "UdpDevice" || name == "TcpDevice" || name == "FrameDevice") }
}

/// A state, struct or enum of the program (or of a standard module, or a C struct).
public struct TypeDeclInfo: Sendable {
    public let kind: TypeDeclKind
    public let name: String
    public var fields: [FieldInfo]
    public var cases: [EnumCaseInfo]
    /// Methods by name, and initializers (`init`), as functions of the program.
    public var methods: [String: FunctionID]
    public var inits: [FunctionID]
    public let span: SourceSpan
    /// Declared in a standard module (`net`) rather than by the user.
    public let isStandard: Bool
    /// Imported from a C header.
    public let isC: Bool
    /// How C spells an imported struct: its typedef name (`Checksum`), or `struct tag`.
    public var cSpelling: String? = nil
}

public enum FunctionKind: Sendable, Equatable {
    case free
    case method(TypeID)
    case initializer(TypeID)
    /// Declared in a C header and called through the C ABI.
    case c(isSystem: Bool)
}

public struct ParamInfo: Sendable {
    public let label: String?
    public let name: String
    public let type: Ty
    public let isInout: Bool
    public let local: LocalID
    public let hasDefault: Bool
}

public final class TFunction: @unchecked Sendable {
    public let id: FunctionID
    public let name: String
    public let kind: FunctionKind
    public internal(set) var params: [ParamInfo] = []
    public internal(set) var defaultArguments: [Int: TExpr] = [:]
    public internal(set) var result: Ty = .void
    public let isMutating: Bool
    /// The body is supplied by the runtime (standard modules) or by C.
    public let isExtern: Bool
    public internal(set) var body: TBlock?
    public internal(set) var locals: [LocalInfo] = []
    public let span: SourceSpan

    /// A function with no declaration, standing for code outside any function (a global
    /// constant's initial value) in later stages.
    public static func placeholder(name: String, span: SourceSpan) -> TFunction {
        TFunction(id: FunctionID(index: -1), name: name, kind: .free, isMutating: false, isExtern: false, span: span)
    }

    init(id: FunctionID, name: String, kind: FunctionKind, isMutating: Bool, isExtern: Bool, span: SourceSpan) {
        self.id = id
        self.name = name
        self.kind = kind
        self.isMutating = isMutating
        self.isExtern = isExtern
        self.span = span
    }
}

public struct TGlobal: Sendable {
    public let name: String
    public let type: Ty
    public let value: TExpr
    public let span: SourceSpan
}

public struct TypedProgram: Sendable {
    public let types: [TypeDeclInfo]
    public let functions: [TFunction]
    public let globals: [TGlobal]
    public let imports: [CHeaderImport]
    public let main: FunctionID?
    /// The user's files (not the standard modules).
    public let files: [SourceFile]

    public func type(_ id: TypeID) -> TypeDeclInfo { types[id.index] }
    /// A type as Cleave spells it.
    public func typeName(_ t: Ty) -> String { t.spelled { types[$0.index].name } }
    public func function(_ id: FunctionID) -> TFunction { functions[id.index] }
}

// MARK: - Statements

public struct TBlock: Sendable {
    public var stmts: [TStmt]
    public let span: SourceSpan
}

public indirect enum TBindingPattern: Sendable {
    case local(LocalID)
    case wildcard
    case tuple([TBindingPattern])
}

public enum TCondition: Sendable {
    case bool(TExpr)
    /// Bind the unwrapped value of an optional to a new local.
    case unwrap(LocalID, TExpr)
}

public indirect enum TPattern: Sendable {
    case wildcard
    case bind(LocalID)
    case enumCase(TypeID, caseIndex: Int, [TPattern])
    case tuple([TPattern])
    /// Equal to a value (compared with `==`).
    case value(TExpr)
    /// In a range of integers.
    case range(TExpr, TExpr, inclusive: Bool)
}

public struct TCase: Sendable {
    /// Empty for `default`.
    public let patterns: [TPattern]
    public let isDefault: Bool
    public let guardExpr: TExpr?
    public let body: TBlock
    public let span: SourceSpan
}

public enum TIteration: Sendable {
    /// `for i in a..<b` / `a...b`
    case range(TExpr, TExpr, inclusive: Bool)
    case array(TExpr)
    case bytes(TExpr)
    /// Yields `(key, value)` tuples in insertion order.
    case map(TExpr)
}

public struct TStmt: Sendable {
    public indirect enum Kind: Sendable {
        case binding(TBindingPattern, TExpr)
        /// `op == nil` for plain `=`; otherwise the compound operator (`+=` is `.add`).
        case assign(TExpr, op: BinaryOp?, TExpr)
        case expr(TExpr)
        case ifStmt([TCondition], TBlock, TBlock?)
        case guardStmt([TCondition], TBlock)
        case whileStmt([TCondition], TBlock)
        case forStmt(TBindingPattern, TIteration, TBlock)
        case loopStmt(TBlock)
        case switchStmt(TExpr, [TCase])
        case breakStmt
        case continueStmt
        case returnStmt(TExpr?)
    }
    public let kind: Kind
    public let span: SourceSpan

    public init(kind: Kind, span: SourceSpan) {
        self.kind = kind
        self.span = span
    }
}

// MARK: - Expressions

public enum TStringPart: Sendable {
    case bytes([UInt8])
    case value(TExpr)
}

public struct TArgument: Sendable {
    public let value: TExpr
    /// Passed `&x`: the callee may change it (a state, or a value parameter declared `inout`).
    public let isInout: Bool
}

public struct TClosure: Sendable {
    public let params: [LocalID]
    public let result: Ty
    public let body: TBlock
}

public struct TExpr: Sendable {
    public indirect enum Kind: Sendable {
        case intLiteral(UInt64, negative: Bool)
        case floatLiteral(Double)
        /// Type `String` or `Bytes`.
        case stringLiteral([UInt8])
        /// Type `String` or `Bytes`.
        case interpolation([TStringPart])
        case boolLiteral(Bool)
        /// `nil` of an optional type.
        case nilLiteral
        case local(LocalID)
        case global(GlobalID)
        /// The receiver of a method (`self`).
        case selfRef
        case field(TExpr, Int)
        case tupleElement(TExpr, Int)
        /// A call of a function of the program (free function, C function).
        case call(FunctionID, [TArgument])
        /// A method call on a struct, enum or state value.
        case methodCall(TExpr, FunctionID, [TArgument])
        /// An initializer of a struct or state declared with `init`.
        case initCall(TypeID, FunctionID, [TArgument])
        /// A struct's memberwise initializer: one value per field, defaults filled in.
        case memberwise(TypeID, [TExpr])
        case enumCase(TypeID, caseIndex: Int, [TExpr])
        /// A call of a closure parameter.
        case callClosure(TExpr, [TExpr])
        case closure(TClosure)
        /// A named free function used as a function value (an argument).
        case functionRef(FunctionID)
        /// A built-in operation (`Builtin`), with its receiver first when it has one.
        case builtin(Builtin, [TExpr])
        case unary(UnaryOp, TExpr)
        case binary(BinaryOp, TExpr, TExpr)
        case ternary(TExpr, TExpr, TExpr)
        case tuple([TExpr])
        case array([TExpr])
        case mapLiteral([(TExpr, TExpr)])
        /// `T` to `T?`.
        case wrapOptional(TExpr)
        case forceUnwrap(TExpr)
        case coalesce(TExpr, TExpr)
        /// Array, Bytes or Map element (`a[i]`, `m[k]` is a `V?` lookup).
        case index(TExpr, TExpr)
        /// Array or Bytes slice `a[lo..<hi]` / `a[lo...hi]`.
        case slice(TExpr, TExpr, TExpr, inclusive: Bool)
        /// Stops the program (`fatalError`); type `Never`.
        case trap(TExpr)
        case error
    }
    public let kind: Kind
    public let type: Ty
    public let span: SourceSpan

    public init(_ kind: Kind, _ type: Ty, _ span: SourceSpan) {
        self.kind = kind
        self.type = type
        self.span = span
    }

    static func error(_ span: SourceSpan) -> TExpr { TExpr(.error, .error, span) }
}

extension TExpr {
    /// Call `visit` on each direct sub-expression (closure bodies excluded: a closure's
    /// statements are not sub-expressions of the expression that makes it).
    public func forEachChild(_ visit: (TExpr) -> Void) {
        switch kind {
        case .intLiteral, .floatLiteral, .stringLiteral, .boolLiteral, .nilLiteral, .local, .global, .selfRef, .functionRef,
            .closure, .error:
            break
        case .interpolation(let parts):
            for case .value(let x) in parts { visit(x) }
        case .field(let b, _), .tupleElement(let b, _), .wrapOptional(let b), .forceUnwrap(let b), .unary(_, let b), .trap(let b):
            visit(b)
        case .call(_, let args), .initCall(_, _, let args):
            args.forEach { visit($0.value) }
        case .methodCall(let r, _, let args):
            visit(r)
            args.forEach { visit($0.value) }
        case .memberwise(_, let xs), .enumCase(_, _, let xs), .builtin(_, let xs), .tuple(let xs), .array(let xs):
            xs.forEach(visit)
        case .callClosure(let f, let xs):
            visit(f)
            xs.forEach(visit)
        case .binary(_, let a, let b), .coalesce(let a, let b), .index(let a, let b):
            visit(a)
            visit(b)
        case .ternary(let a, let b, let c), .slice(let a, let b, let c, _):
            visit(a)
            visit(b)
            visit(c)
        case .mapLiteral(let entries):
            for (k, v) in entries {
                visit(k)
                visit(v)
            }
        }
    }
}

/// The conditions of `while true`: a loop only `break` or `return` leaves.
public func isAlwaysTrue(_ conds: [TCondition]) -> Bool {
    guard conds.count == 1, case .bool(let e) = conds[0], case .boolLiteral(true) = e.kind else { return false }
    return true
}

/// The statements contain a `break` that leaves the loop or `switch` they are in: at
/// their top level or inside an `if` or `guard`, not one of a nested loop or switch.
public func containsBreak(_ stmts: [TStmt]) -> Bool {
    stmts.contains { s in
        switch s.kind {
        case .breakStmt: return true
        case .ifStmt(_, let a, let b): return containsBreak(a.stmts) || (b.map { containsBreak($0.stmts) } ?? false)
        case .guardStmt(_, let b): return containsBreak(b.stmts)
        default: return false
        }
    }
}

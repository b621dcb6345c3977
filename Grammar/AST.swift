// The abstract syntax tree.
//
// The AST is exactly what the user wrote, with every node carrying the span of
// source it came from; nothing is resolved or desugared here (the checker builds
// a separate typed tree, see Sources/CleaveSema/TypedAST.swift). Nodes are value
// types: structs for nodes with a fixed shape, indirect enums for the sum types
// (declarations, statements, expressions, patterns, types).
//
// Where the parser had to recover from a syntax error it leaves an `.error` node
// in the tree, so later phases can keep going without reporting the same
// problem again.

import CleaveDiagnostics

/// A name as written, with where it was written.
public struct Identifier: Hashable, Sendable {
    public let name: String
    public let span: SourceSpan
    public init(_ name: String, _ span: SourceSpan) {
        self.name = name
        self.span = span
    }
}

/// One parsed file.
public struct FileAST: Sendable {
    public let file: SourceFile
    public let decls: [Decl]
}

// MARK: - Declarations

public enum Decl: Sendable {
    case importDecl(ImportDecl)
    case nominal(NominalDecl)  // state or struct
    case enumDecl(EnumDecl)
    case function(FuncDecl)
    case globalLet(GlobalLet)

    public var span: SourceSpan {
        switch self {
        case .importDecl(let d): d.span
        case .nominal(let d): d.span
        case .enumDecl(let d): d.span
        case .function(let d): d.span
        case .globalLet(let d): d.span
        }
    }
}

public struct ImportDecl: Sendable {
    public enum Target: Sendable, Equatable {
        case module(String)
        case header(String)
    }
    public let target: Target
    public let targetSpan: SourceSpan
    public let span: SourceSpan
}

public struct GlobalLet: Sendable {
    public let name: Identifier
    public let type: TypeExpr?
    public let value: Expr
    public let span: SourceSpan
}

public enum NominalKind: String, Sendable {
    case state
    case `struct`
}

/// `state Name { … }` or `struct Name { … }`.
public struct NominalDecl: Sendable {
    public let kind: NominalKind
    public let name: Identifier
    public let fields: [FieldDecl]
    public let inits: [FuncDecl]
    public let methods: [FuncDecl]
    public let span: SourceSpan
}

public struct FieldDecl: Sendable {
    public let isVar: Bool
    public let name: Identifier
    /// `nil` when the type is inferred from the initializer (`var count = 0`).
    public let type: TypeExpr?
    public let initializer: Expr?
    public let span: SourceSpan
}

public struct EnumDecl: Sendable {
    public let name: Identifier
    public let cases: [EnumCaseDecl]
    public let methods: [FuncDecl]
    public let span: SourceSpan
}

public struct EnumCaseDecl: Sendable {
    public let name: Identifier
    public let payload: [PayloadField]
    public let span: SourceSpan
}

public struct PayloadField: Sendable {
    public let label: Identifier?
    public let type: TypeExpr
}

public struct Param: Sendable {
    /// The argument label: `nil` for `_`.
    public let label: String?
    public let name: Identifier
    public let type: TypeExpr
    public let isInout: Bool
    public let defaultValue: Expr?
    public let span: SourceSpan
}

/// A function, method or initializer (`isInit`, named `init`).
public struct FuncDecl: Sendable {
    public let name: Identifier
    public let params: [Param]
    public let result: TypeExpr?
    /// `nil` only for `extern` declarations (and after a syntax error).
    public let body: Block?
    public let isMutating: Bool
    public let isExtern: Bool
    public let isInit: Bool
    public let span: SourceSpan
    /// The span of the signature (`func name(…) -> R`), for messages about the whole function.
    public let headerSpan: SourceSpan
}

// MARK: - Types

public struct TypeExpr: Sendable {
    public indirect enum Kind: Sendable {
        case named(Identifier, [TypeExpr])
        case array(TypeExpr)
        case optional(TypeExpr)
        case tuple([TypeExpr])  // () is Void
        case function([TypeExpr], TypeExpr)
        case error
    }
    public let kind: Kind
    public let span: SourceSpan
}

// MARK: - Statements

public struct Block: Sendable {
    public let stmts: [Stmt]
    public let span: SourceSpan
}

public enum AssignOp: String, Sendable {
    case assign = "="
    case add = "+="
    case sub = "-="
    case mul = "*="
    case div = "/="
    case mod = "%="
    case wrapAdd = "&+="
    case wrapSub = "&-="
    case wrapMul = "&*="
    case and = "&="
    case or = "|="
    case xor = "^="
    case shl = "<<="
    case shr = ">>="

    /// The binary operator a compound assignment applies.
    public var binary: BinaryOp? {
        switch self {
        case .assign: nil
        case .add: .add
        case .sub: .sub
        case .mul: .mul
        case .div: .div
        case .mod: .mod
        case .wrapAdd: .wrapAdd
        case .wrapSub: .wrapSub
        case .wrapMul: .wrapMul
        case .and: .bitAnd
        case .or: .bitOr
        case .xor: .bitXor
        case .shl: .shl
        case .shr: .shr
        }
    }
}

public indirect enum BindingPattern: Sendable {
    case name(Identifier)
    case wildcard(SourceSpan)
    case tuple([BindingPattern], SourceSpan)

    public var span: SourceSpan {
        switch self {
        case .name(let i): i.span
        case .wildcard(let s), .tuple(_, let s): s
        }
    }
}

public enum Condition: Sendable {
    case expr(Expr)
    /// `let x: T = e`; `value == nil` for the shorthand `if let x`.
    case optionalBinding(isVar: Bool, name: Identifier, type: TypeExpr?, value: Expr?, span: SourceSpan)

    public var span: SourceSpan {
        switch self {
        case .expr(let e): e.span
        case .optionalBinding(_, _, _, _, let s): s
        }
    }
}

public struct SwitchCase: Sendable {
    /// `nil` for `default`.
    public let patterns: [Pattern]?
    public let guardExpr: Expr?
    public let body: [Stmt]
    public let span: SourceSpan
    /// The `case …:` / `default:` label.
    public let labelSpan: SourceSpan
}

public struct Stmt: Sendable {
    public indirect enum Kind: Sendable {
        case binding(isVar: Bool, BindingPattern, TypeExpr?, Expr)
        case assign(target: Expr, op: AssignOp, value: Expr)
        case discard(Expr)  // _ = e
        case ifStmt([Condition], Block, ElseBranch?)
        case guardStmt([Condition], Block)
        case whileStmt([Condition], Block)
        case forStmt(BindingPattern, Expr, Block)
        case loopStmt(Block)
        case switchStmt(Expr, [SwitchCase])
        case breakStmt
        case continueStmt
        case returnStmt(Expr?)
        case expr(Expr)
        case error
    }
    public let kind: Kind
    public let span: SourceSpan
}

public indirect enum ElseBranch: Sendable {
    case block(Block)
    case elseIf(Stmt)
}

// MARK: - Patterns (switch cases)

public struct Pattern: Sendable {
    public indirect enum Kind: Sendable {
        case wildcard
        case binding(isVar: Bool, Identifier)
        /// `.name(sub…)` or `Type.name(sub…)`; `sub == nil` when no parentheses follow.
        case enumCase(type: Identifier?, name: Identifier, sub: [Pattern]?)
        case tuple([Pattern])
        /// A value compared with `==`, or a range (`1...5`, `0..<10`) tested for membership.
        case expr(Expr)
    }
    public let kind: Kind
    public let span: SourceSpan
}

// MARK: - Expressions

public enum UnaryOp: String, Sendable {
    case negate = "-"
    case not = "!"
    case bitNot = "~"
}

public enum BinaryOp: String, Sendable, CaseIterable {
    case add = "+"
    case sub = "-"
    case mul = "*"
    case div = "/"
    case mod = "%"
    case wrapAdd = "&+"
    case wrapSub = "&-"
    case wrapMul = "&*"
    case bitAnd = "&"
    case bitOr = "|"
    case bitXor = "^"
    case shl = "<<"
    case shr = ">>"
    case eq = "=="
    case ne = "!="
    case lt = "<"
    case le = "<="
    case gt = ">"
    case ge = ">="
    case and = "&&"
    case or = "||"
    case coalesce = "??"
    case halfOpenRange = "..<"
    case closedRange = "..."
}

public struct Argument: Sendable {
    public let label: Identifier?
    public let value: Expr
    /// Span of the `&` when the argument is passed `inout`.
    public let inoutSpan: SourceSpan?
    public let span: SourceSpan
    /// Written after the call's `)` (or with no parentheses): it matches a function-typed
    /// parameter whatever that parameter's label, as in Swift (`values.sorted { $0 < $1 }`).
    public var isTrailingClosure = false
}

public struct ClosureParam: Sendable {
    /// `nil` for `_`.
    public let name: Identifier?
    public let type: TypeExpr?
    public let span: SourceSpan
}

public struct ClosureExpr: Sendable {
    /// `nil` when the closure has no `in` signature (it may use `$0`, `$1`…).
    public let params: [ClosureParam]?
    public let result: TypeExpr?
    public let body: [Stmt]
    public let span: SourceSpan
}

public enum StringPart: Sendable {
    case bytes([UInt8])
    case interpolation(Expr)
}

public struct Expr: Sendable {
    public indirect enum Kind: Sendable {
        case intLiteral(String)
        case floatLiteral(String)
        case stringLiteral([StringPart])
        case boolLiteral(Bool)
        case nilLiteral
        /// An identifier, with generic arguments when written (`Map<Bytes, Int>`).
        case name(String, [TypeExpr])
        case anonParam(Int)
        case selfRef
        case implicitMember(Identifier)
        case member(Expr, Identifier)
        case tupleIndex(Expr, Int)
        case call(Expr, [Argument])
        case subscriptAccess(Expr, Expr)
        case forceUnwrap(Expr)
        case unary(UnaryOp, Expr)
        case binary(BinaryOp, Expr, Expr)
        case ternary(Expr, Expr, Expr)
        case tuple([Expr])
        case array([Expr])
        case map([(key: Expr, value: Expr)])
        /// `[T]` as the callee of an initializer call: `[Int]()`.
        case arrayType(TypeExpr)
        case closure(ClosureExpr)
        case paren(Expr)
        case error
    }
    public let kind: Kind
    public let span: SourceSpan

    public init(kind: Kind, span: SourceSpan) {
        self.kind = kind
        self.span = span
    }
}

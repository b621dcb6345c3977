// The IR: structured static single assignment in A-normal form, with explicit
// state threads.
//
// Every intermediate value has a name (`IRValue`) and is assigned exactly once;
// operands are values or immediate constants (`IRAtom`), never nested
// expressions. A source variable that changes (`var x`, a field of `self`, an
// element of an array) becomes a new value at each change, so the IR has no
// mutable storage at all: `a[i] = v` is `a1 = setIndex(a0, i, v)`.
//
// Control flow stays structured, in the manner of MLIR's `scf` dialect and
// Ohua's dataflow IR: an `if` or `switch` yields the values its branches
// produce (`results`), a loop carries values from one iteration to the next
// (`carried`) and hands them on when it ends (`results`). `break`, `continue`,
// `yield` and `return` carry the current values of what the enclosing construct
// threads through. This keeps each scope's uses of a state in one list, which is
// what the state-locality passes work on.
//
// States are values too, threaded explicitly: every call on a state takes the
// state and returns its next version, `(s1, r) = s0.m(a)`, in program order. A
// state method receives `self` as its first parameter and returns the next
// `self` first; states passed `inout` come back as further results.

import CleaveDiagnostics
import CleaveSema

public struct IRValue: Hashable, Sendable, Comparable {
    public let id: Int
    public static func < (a: IRValue, b: IRValue) -> Bool { a.id < b.id }
}

/// What the IR knows about a value: its type, the source name it stands for, where it was made.
public struct IRValueInfo: Sendable {
    public let type: Ty
    public let name: String?
    public let span: SourceSpan
}

/// An operand: a value, or a constant written in place.
public enum IRAtom: Sendable {
    case value(IRValue)
    case int(UInt64, negative: Bool, Ty)
    case float(Double)
    case bool(Bool)
    /// A `String` or `Bytes` constant.
    case bytes([UInt8], Ty)
    /// `nil` of an optional type.
    case none(Ty)
    case void
    /// A value that is never read: what a branch that did not bind a name yields for it
    /// (`if let x = o, …` yields `x` from the branch where `o` has a value only).
    case undefined(Ty)
}

public enum IRStringPart: Sendable {
    case bytes([UInt8])
    case value(IRAtom)
}

/// A non-escaping function value: parameters, a body that ends in `return`, and
/// (implicitly) the values of the enclosing function it reads.
public struct IRClosure: Sendable {
    public let params: [IRValue]
    public let result: Ty
    public let body: IRBlock
}

/// An operator on one value. `rawValue` is its spelling.
public enum IRUnaryOperator: String, Sendable {
    case negate = "-"
    case not = "!"
    case bitNot = "~"
}

/// Arithmetic, bitwise and comparison operators: those of the source that stay operators.
/// Lowering turns `&&`, `||` and `??` into `if`, and ranges (`..<`, `...`) into loops,
/// slices and pattern tests. `rawValue` is the operator's spelling.
public enum IRBinaryOperator: String, Sendable, CaseIterable {
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
}

/// The right-hand side of a pure assignment.
public indirect enum IROp: Sendable {
    case copy(IRAtom)
    case unary(IRUnaryOperator, IRAtom)
    case binary(IRBinaryOperator, IRAtom, IRAtom)
    /// A built-in (`Builtin`, as in the typed AST). A built-in that changes its receiver
    /// returns the receiver's next version as its first result.
    case builtin(Builtin, [IRAtom])
    /// A free function of the program, an initializer of a struct, or an imported C
    /// function. Results: the next versions of the inout arguments, in order, then the
    /// function's own result.
    case call(FunctionID, [IRAtom])
    /// A method of a struct or enum: the receiver is the first argument. Results: a
    /// `mutating` method's next receiver, the inout arguments' next versions, the result.
    case method(FunctionID, [IRAtom])
    case field(IRAtom, Int)
    case setField(IRAtom, Int, IRAtom)
    case tupleElement(IRAtom, Int)
    case setTupleElement(IRAtom, Int, IRAtom)
    case tuple([IRAtom])
    case array([IRAtom])
    case mapLiteral([(IRAtom, IRAtom)])
    /// Array or Bytes element (traps out of bounds), or Map lookup (an optional).
    case index(IRAtom, IRAtom)
    /// Array or Bytes element replaced; for a Map, `nil` removes the key.
    case setIndex(IRAtom, IRAtom, IRAtom)
    case slice(IRAtom, IRAtom, IRAtom, inclusive: Bool)
    case memberwise(TypeID, [IRAtom])
    case enumCase(TypeID, caseIndex: Int, [IRAtom])
    /// Which case an enum value is (an `Int`), and the payload values of one case.
    case enumTag(IRAtom)
    case enumPayload(IRAtom, caseIndex: Int, field: Int)
    case wrapOptional(IRAtom)
    /// The value inside an optional; traps on `nil` (force unwrap).
    case unwrap(IRAtom)
    case isSome(IRAtom)
    case interpolate([IRStringPart])
    case global(GlobalID)
    case closure(IRClosure)
    case callClosure(IRAtom, [IRAtom])
    case functionRef(FunctionID)
}

/// An argument of a call on a state.
public enum IRStateArgument: Sendable {
    case value(IRAtom)
    /// Passed `inout` (another state, or a value): its next version is among the results.
    case passedInout(IRAtom)
}

public struct IRBlock: Sendable {
    public var stmts: [IRStmt]
    public init(_ stmts: [IRStmt]) { self.stmts = stmts }
}

public struct IRStmt: Sendable {
    public indirect enum Kind: Sendable {
        /// `results = op`: one result, or several for calls with inout arguments and
        /// built-ins that change their receiver.
        case assign([IRValue], IROp)
        /// `(next, inoutNext…, result) = state.method(args)`: `inoutNext` are the next
        /// versions of the arguments passed `inout`, in argument order.
        case stateCall(next: IRValue, inoutNext: [IRValue], result: IRValue?, state: IRAtom, method: FunctionID, [IRStateArgument])
        /// A state created in `main`.
        case createState(IRValue, TypeID, FunctionID?, [IRAtom])
        /// Branches end in `yield` (or leave the construct); `results` take the yielded values.
        case ifThen(IRAtom, then: IRBlock, else: IRBlock, results: [IRValue])
        /// Runs case `n` for a subject `n` (an `Int`): a source `switch` becomes the pattern
        /// tests, in order, computing which case matches, then this.
        case switchOf(IRAtom, [IRBlock], results: [IRValue])
        /// `carried` start as `initial`; the body ends each iteration with `continue(next)`
        /// and leaves with `break(final)`, whose values become `results`.
        case loop(carried: [IRValue], initial: [IRAtom], body: IRBlock, results: [IRValue])
        case yield([IRAtom])
        case breakLoop([IRAtom])
        case continueLoop([IRAtom])
        case returnValues([IRAtom])
        /// Stops the program with a message (`fatalError`).
        case trap(IRAtom)
        /// A projected program (`Project`) stops here without a word: the component that
        /// reports the `trap` at this point of `main` stops the program.
        case halt
        /// A projected program (`Project`) hands a value to another component on a channel.
        case send(channel: Int, IRAtom)
        /// A projected program takes the next value another component sent on a channel.
        case receive(channel: Int, IRValue)
    }
    public let kind: Kind
    public let span: SourceSpan

    public init(kind: Kind, span: SourceSpan) {
        self.kind = kind
        self.span = span
    }
}

public enum IRFunctionKind: Sendable, Equatable {
    case free
    case main
    /// A state method: `self` first in and first out.
    case stateMethod(TypeID)
    /// A struct or enum method; `mutating` ones return the next `self` first.
    case valueMethod(TypeID, mutating: Bool)
    /// An initializer; returns the new value (a state's initial version).
    case initializer(TypeID)
}

public struct IRFunction: Sendable {
    public let source: FunctionID
    public let name: String
    public let kind: IRFunctionKind
    public let params: [IRValue]
    public let results: [Ty]
    public let body: IRBlock
    public let values: [IRValueInfo]
    public let span: SourceSpan

    public init(
        source: FunctionID, name: String, kind: IRFunctionKind, params: [IRValue], results: [Ty], body: IRBlock,
        values: [IRValueInfo], span: SourceSpan
    ) {
        self.source = source
        self.name = name
        self.kind = kind
        self.params = params
        self.results = results
        self.body = body
        self.values = values
        self.span = span
    }

    public func info(_ v: IRValue) -> IRValueInfo { values[v.id] }
}

extension IRFunction {
    /// Where `main` serves: the index in its body of the *service loop*, the first loop at the
    /// top of the body that calls a device (or hands one to a state), or, in a program whose
    /// loops call none, the last loop at the top. What comes before it is the set-up, loops
    /// included (`loop { … break }` computing a first value): an isolated component loads its
    /// sandbox, and a restarted one rejoins its peers, where the service loop begins, not at the
    /// first loop. Asked of the program's `main` (or the partitioned one); a component's
    /// projected `main` finds its part of that loop by its span (`topLevelLoop(at:)`).
    public func serviceLoop(_ typed: TypedProgram) -> Int? {
        func isDevice(_ a: IRAtom) -> Bool {
            guard case .value(let v) = a, case .nominal(let id) = info(v).type else { return false }
            return typed.type(id).isDevice
        }
        func callsDevice(_ b: IRBlock) -> Bool {
            b.stmts.contains { s in
                if case .stateCall(_, _, _, let state, _, let args) = s.kind {
                    if isDevice(state) { return true }
                    if args.contains(where: { a in
                        switch a {
                        case .value(let x), .passedInout(let x): isDevice(x)
                        }
                    }) {
                        return true
                    }
                }
                return statementParts(s).nested.contains(where: callsDevice)
            }
        }
        let loops = body.stmts.indices.filter { if case .loop = body.stmts[$0].kind { true } else { false } }
        return loops.first { if case .loop(_, _, let b, _) = body.stmts[$0].kind { callsDevice(b) } else { false } } ?? loops.last
    }

    /// The index of the loop at the top of the body written at `span` (a component's part of
    /// the service loop); nil when this function has none there.
    public func topLevelLoop(at span: SourceSpan) -> Int? {
        body.stmts.firstIndex { if case .loop = $0.kind { $0.span == span } else { false } }
    }
}

public struct IRProgram: Sendable {
    public let typed: TypedProgram
    /// Functions with bodies, in source order; `extern` and C functions have none.
    public let functions: [IRFunction]
    public let globals: [IRFunction]

    public init(typed: TypedProgram, functions: [IRFunction], globals: [IRFunction]) {
        self.typed = typed
        self.functions = functions
        self.globals = globals
    }

    public func function(_ id: FunctionID) -> IRFunction? { functions.first { $0.source == id } }
}

/// Call `atom` on every operand of an operation (and `block` on a closure's body).
public func forEachOperand(_ op: IROp, _ atom: (IRAtom) -> Void, _ block: (IRBlock) -> Void) {
    switch op {
    case .copy(let a), .unary(_, let a), .field(let a, _), .tupleElement(let a, _), .enumTag(let a), .enumPayload(let a, _, _),
        .wrapOptional(let a), .unwrap(let a), .isSome(let a):
        atom(a)
    case .binary(_, let a, let b), .index(let a, let b), .setField(let a, _, let b), .setTupleElement(let a, _, let b):
        atom(a)
        atom(b)
    case .setIndex(let a, let b, let c), .slice(let a, let b, let c, _):
        atom(a)
        atom(b)
        atom(c)
    case .builtin(_, let xs), .call(_, let xs), .method(_, let xs), .tuple(let xs), .array(let xs), .memberwise(_, let xs),
        .enumCase(_, _, let xs):
        xs.forEach(atom)
    case .callClosure(let f, let xs):
        atom(f)
        xs.forEach(atom)
    case .mapLiteral(let entries):
        for (k, v) in entries {
            atom(k)
            atom(v)
        }
    case .interpolate(let parts):
        for case .value(let x) in parts { atom(x) }
    case .global, .functionRef:
        break
    case .closure(let c):
        block(c.body)
    }
}

extension IRAtom {
    /// The atom's type; a value's is `valueType`'s answer.
    public func type(_ valueType: (IRValue) -> Ty) -> Ty {
        switch self {
        case .value(let v): valueType(v)
        case .int(_, _, let t), .bytes(_, let t), .none(let t), .undefined(let t): t
        case .float: .double
        case .bool: .bool
        case .void: .void
        }
    }
}

/// What one statement reads and names itself, its nested blocks aside: the operands it reads
/// (an assignment's operation's, a call's state and arguments, a branch's condition, a loop's
/// initial values, what a `yield`, `break`, `continue` or `return` carries), the values it
/// defines (results, next versions, carried values), the blocks nested in it and the closures
/// its operation makes.
public func statementParts(_ s: IRStmt) -> (reads: [IRAtom], defines: [IRValue], nested: [IRBlock], closures: [IRClosure]) {
    switch s.kind {
    case .assign(let results, let op):
        var reads: [IRAtom] = []
        forEachOperand(op, { reads.append($0) }, { _ in })
        var closures: [IRClosure] = []
        if case .closure(let c) = op { closures.append(c) }
        return (reads, results, [], closures)
    case .stateCall(let next, let inoutNext, let result, let state, _, let args):
        let reads =
            [state]
            + args.map {
                switch $0 {
                case .value(let x), .passedInout(let x): x
                }
            }
        return (reads, [next] + inoutNext + (result.map { [$0] } ?? []), [], [])
    case .createState(let v, _, _, let args):
        return (args, [v], [], [])
    case .ifThen(let c, let a, let b, let results):
        return ([c], results, [a, b], [])
    case .switchOf(let subject, let cases, let results):
        return ([subject], results, cases, [])
    case .loop(let carried, let initial, let body, let results):
        return (initial, carried + results, [body], [])
    case .yield(let xs), .breakLoop(let xs), .continueLoop(let xs), .returnValues(let xs):
        return (xs, [], [], [])
    case .halt:
        return ([], [], [], [])
    case .trap(let x), .send(_, let x):
        return ([x], [], [], [])
    case .receive(_, let v):
        return ([], [v], [], [])
    }
}

/// Control never goes past the statement: it leaves its block (`yield`, `break`,
/// `continue`, `return`, a trap), or is a branch all of whose ways leave the construct,
/// or a loop that never breaks.
public func isTerminator(_ s: IRStmt) -> Bool {
    switch s.kind {
    case .yield, .breakLoop, .continueLoop, .returnValues, .trap, .halt: true
    case .ifThen(_, let a, let b, _): leavesConstruct(a) && leavesConstruct(b)
    case .switchOf(_, let cases, _): !cases.isEmpty && cases.allSatisfy(leavesConstruct)
    case .loop(_, _, let body, _): !breaks(body)
    default: false
    }
}

/// The block contains a `break` of the loop it is the body of (not of a nested loop,
/// nor in a closure).
public func breaks(_ b: IRBlock) -> Bool { leavesLoop(b) { if case .breakLoop = $0 { true } else { false } } }

/// The block contains a `continue` of the loop it is the body of.
public func continues(_ b: IRBlock) -> Bool { leavesLoop(b) { if case .continueLoop = $0 { true } else { false } } }

/// The block holds a statement `isExit` accepts, directly or in its branches (not in a
/// nested loop, nor in a closure).
func leavesLoop(_ b: IRBlock, _ isExit: (IRStmt.Kind) -> Bool) -> Bool {
    b.stmts.contains { s in
        switch s.kind {
        case .ifThen(_, let x, let y, _): leavesLoop(x, isExit) || leavesLoop(y, isExit)
        case .switchOf(_, let cases, _): cases.contains { leavesLoop($0, isExit) }
        default: isExit(s.kind)
        }
    }
}

/// The block ends by leaving the construct it belongs to (not by yielding).
public func leavesConstruct(_ b: IRBlock) -> Bool {
    guard let last = b.stmts.last else { return false }
    if case .yield = last.kind { return false }
    return isTerminator(last)
}

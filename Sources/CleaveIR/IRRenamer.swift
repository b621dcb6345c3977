// Copying IR with fresh values.
//
// A pass that duplicates code (a loop body run once more from the middle, a
// continuation that repeats what follows a call) must keep single assignment:
// every value the copy defines gets a new name. `IRRenamer` walks a block with
// a scoped environment from old values to new ones, the way the block's
// scoping works: a value defined in a block is seen by the statements after it
// and by the blocks nested in them, a construct's results after the construct,
// a loop's carried values inside its body. Reads are looked up in the
// environment (a value the environment does not know is read as it is: it
// belongs to the code around the copy), definitions get fresh values from the
// builder.

import CleaveSema

public struct IRRenamer {
    public var builder: IRBuilder
    /// Old value to new value, as seen at the current point.
    public var environment: [IRValue: IRValue]

    public init(builder: IRBuilder, environment: [IRValue: IRValue] = [:]) {
        self.builder = builder
        self.environment = environment
    }

    func read(_ a: IRAtom) -> IRAtom {
        if case .value(let v) = a, let w = environment[v] { return .value(w) }
        return a
    }

    func read(_ v: IRValue) -> IRValue { environment[v] ?? v }

    /// A fresh value standing for `v` from here on.
    public mutating func define(_ v: IRValue, like info: IRValueInfo) -> IRValue {
        let w = builder.value(info.type, info.name, at: info.span)
        environment[v] = w
        return w
    }

    /// The block copied: its definitions fresh, its reads renamed. `info` gives what the
    /// IR knows about an old value.
    public mutating func block(_ b: IRBlock, info: (IRValue) -> IRValueInfo) -> IRBlock {
        let saved = environment
        defer { environment = saved }
        return IRBlock(b.stmts.map { stmt($0, info: info) })
    }

    mutating func defineAll(_ vs: [IRValue], _ info: (IRValue) -> IRValueInfo) -> [IRValue] {
        vs.map { define($0, like: info($0)) }
    }

    mutating func stmt(_ s: IRStmt, info: (IRValueInfo.Lookup)) -> IRStmt {
        let kind: IRStmt.Kind
        switch s.kind {
        case .assign(let results, let op):
            let op2 = operation(op, info: info)
            kind = .assign(defineAll(results, info), op2)
        case .stateCall(let next, let inoutNext, let result, let state, let m, let args):
            let args2 = args.map { a -> IRStateArgument in
                switch a {
                case .value(let x): .value(read(x))
                case .passedInout(let x): .passedInout(read(x))
                }
            }
            let state2 = read(state)
            kind = .stateCall(
                next: define(next, like: info(next)), inoutNext: defineAll(inoutNext, info),
                result: result.map { define($0, like: info($0)) },
                state: state2, method: m, args2)
        case .createState(let v, let t, let f, let args):
            let args2 = args.map(read)
            kind = .createState(define(v, like: info(v)), t, f, args2)
        case .ifThen(let c, let a, let e, let results):
            let c2 = read(c)
            let a2 = block(a, info: info)
            let e2 = block(e, info: info)
            kind = .ifThen(c2, then: a2, else: e2, results: defineAll(results, info))
        case .switchOf(let subject, let cases, let results):
            let subject2 = read(subject)
            let cases2 = cases.map { block($0, info: info) }
            kind = .switchOf(subject2, cases2, results: defineAll(results, info))
        case .loop(let carried, let initial, let body, let results):
            let initial2 = initial.map(read)
            let saved = environment
            let carried2 = defineAll(carried, info)
            let body2 = block(body, info: info)
            environment = saved
            kind = .loop(carried: carried2, initial: initial2, body: body2, results: defineAll(results, info))
        case .yield(let xs): kind = .yield(xs.map(read))
        case .breakLoop(let xs): kind = .breakLoop(xs.map(read))
        case .continueLoop(let xs): kind = .continueLoop(xs.map(read))
        case .returnValues(let xs): kind = .returnValues(xs.map(read))
        case .trap(let x): kind = .trap(read(x))
        case .halt: kind = .halt
        case .send(let c, let x): kind = .send(channel: c, read(x))
        case .receive(let c, let v): kind = .receive(channel: c, define(v, like: info(v)))
        }
        return IRStmt(kind: kind, span: s.span)
    }

    mutating func operation(_ op: IROp, info: IRValueInfo.Lookup) -> IROp {
        switch op {
        case .copy(let a): return .copy(read(a))
        case .unary(let o, let a): return .unary(o, read(a))
        case .binary(let o, let a, let b): return .binary(o, read(a), read(b))
        case .builtin(let n, let xs): return .builtin(n, xs.map(read))
        case .call(let f, let xs): return .call(f, xs.map(read))
        case .method(let f, let xs): return .method(f, xs.map(read))
        case .field(let a, let i): return .field(read(a), i)
        case .setField(let a, let i, let v): return .setField(read(a), i, read(v))
        case .tupleElement(let a, let i): return .tupleElement(read(a), i)
        case .setTupleElement(let a, let i, let v): return .setTupleElement(read(a), i, read(v))
        case .tuple(let xs): return .tuple(xs.map(read))
        case .array(let xs): return .array(xs.map(read))
        case .mapLiteral(let entries): return .mapLiteral(entries.map { (read($0.0), read($0.1)) })
        case .index(let a, let i): return .index(read(a), read(i))
        case .setIndex(let a, let i, let v): return .setIndex(read(a), read(i), read(v))
        case .slice(let a, let lo, let hi, let inclusive): return .slice(read(a), read(lo), read(hi), inclusive: inclusive)
        case .memberwise(let t, let xs): return .memberwise(t, xs.map(read))
        case .enumCase(let t, let k, let xs): return .enumCase(t, caseIndex: k, xs.map(read))
        case .enumTag(let a): return .enumTag(read(a))
        case .enumPayload(let a, let k, let f): return .enumPayload(read(a), caseIndex: k, field: f)
        case .wrapOptional(let a): return .wrapOptional(read(a))
        case .unwrap(let a): return .unwrap(read(a))
        case .isSome(let a): return .isSome(read(a))
        case .interpolate(let parts):
            return .interpolate(
                parts.map {
                    switch $0 {
                    case .bytes(let b): .bytes(b)
                    case .value(let a): .value(read(a))
                    }
                })
        case .global, .functionRef: return op
        case .callClosure(let f, let xs): return .callClosure(read(f), xs.map(read))
        case .closure(let c):
            let saved = environment
            let params = defineAll(c.params, info)
            let body = block(c.body, info: info)
            environment = saved
            return .closure(IRClosure(params: params, result: c.result, body: body))
        }
    }
}

extension IRValueInfo {
    public typealias Lookup = (IRValue) -> IRValueInfo
}

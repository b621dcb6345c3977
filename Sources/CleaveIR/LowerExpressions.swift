// Lowering expressions: each one becomes a sequence of single assignments whose
// last value (or a constant) stands for it. Operators that decide whether to
// evaluate an operand (`&&`, `||`, `??`, `?:`) become `if`s; calls that change
// their receiver or `inout` arguments write the next versions back (see
// `store(_:into:)`); calls on states become state-thread steps.

import CleaveDiagnostics
import CleaveGrammar
import CleaveSema

extension FunctionLowering {
    func lowerExpr(_ e: TExpr) -> IRAtom {
        let t = e.type
        let span = e.span
        switch e.kind {
        case .intLiteral(let v, let negative): return .int(v, negative: negative, t)
        case .floatLiteral(let d): return .float(d)
        case .stringLiteral(let b): return .bytes(b, t)
        case .boolLiteral(let b): return .bool(b)
        case .nilLiteral: return .none(t)
        case .interpolation(let parts):
            let ps = parts.map { p -> IRStringPart in
                switch p {
                case .bytes(let b): .bytes(b)
                case .value(let x): .value(lowerExpr(x))
                }
            }
            return assign(.interpolate(ps), t, span)
        case .local(let id): return current(.local(id))
        case .selfRef: return current(.selfValue)
        case .global(let g): return assign(.global(g), t, span)
        case .field(let base, let i): return assign(.field(lowerExpr(base), i), t, span)
        case .tupleElement(let base, let i): return assign(.tupleElement(lowerExpr(base), i), t, span)
        case .call(let f, let args):
            return lowerCall(f, receiver: nil, args, type: t, span: span)
        case .methodCall(let receiver, let m, let args):
            if isState(receiver.type) { return lowerStateCall(receiver, m, args, type: t, span: span) }
            return lowerCall(m, receiver: receiver, args, type: t, span: span)
        case .initCall(let type, let f, let args):
            if program.type(type).kind == .state {
                let state = newValue(t, nil, span)
                emit(.createState(state, type, f, args.map { lowerExpr($0.value) }), span)
                return .value(state)
            }
            return lowerCall(f, receiver: nil, args, type: t, span: span)
        case .memberwise(let type, let fields):
            let values = fields.map { lowerExpr($0) }
            if program.type(type).kind == .state {
                let state = newValue(t, nil, span)
                emit(.createState(state, type, nil, values), span)
                return .value(state)
            }
            return assign(.memberwise(type, values), t, span)
        case .enumCase(let type, let i, let payload):
            return assign(.enumCase(type, caseIndex: i, payload.map { lowerExpr($0) }), t, span)
        case .callClosure(let f, let args):
            let callee = lowerExpr(f)
            return assign(.callClosure(callee, args.map { lowerExpr($0) }), t, span)
        case .closure(let c):
            return assign(.closure(lowerClosure(c, span: span)), t, span)
        case .functionRef(let f):
            return assign(.functionRef(f), t, span)
        case .builtin(let name, let operands):
            let ops = operands.map { lowerExpr($0) }
            guard name.changesReceiver, let receiver = operands.first else {
                return assign(.builtin(name, ops), t, span)
            }
            // The receiver's next version comes first, then the result (if any).
            let next = newValue(receiver.type, nil, span)
            var results = [next]
            var result: IRAtom = .void
            if t != .void {
                let r = newValue(t, nil, span)
                results.append(r)
                result = .value(r)
            }
            emit(.assign(results, .builtin(name, ops)), span)
            store(.value(next), into: receiver)
            return result
        case .unary(let op, let x):
            return assign(.unary(IRUnaryOperator(op), lowerExpr(x)), t, span)
        case .binary(.and, let a, let b):
            let l = lowerExpr(a)
            return conditional(l, then: [b], else: nil, type: .bool, span: span) {
                self.lowerExpr(b)
            } else: {
                .bool(false)
            }
        case .binary(.or, let a, let b):
            let l = lowerExpr(a)
            return conditional(l, then: nil, else: [b], type: .bool, span: span) {
                .bool(true)
            } else: {
                self.lowerExpr(b)
            }
        case .binary(let op, let a, let b):
            let l = lowerExpr(a)
            let r = lowerExpr(b)
            // The checker leaves no other operator here (ranges are slices, loops and patterns).
            guard let op = IRBinaryOperator(op) else { return .undefined(t) }
            return assign(.binary(op, l, r), t, span)
        case .ternary(let c, let a, let b):
            let cond = lowerExpr(c)
            return conditional(cond, then: [a], else: [b], type: t, span: span) {
                self.lowerExpr(a)
            } else: {
                self.lowerExpr(b)
            }
        case .coalesce(let a, let b):
            let o = lowerExpr(a)
            let some = assign(.isSome(o), .bool, span)
            let keepOptional = t.optionalWrapped != nil
            return conditional(some, then: nil, else: [b], type: t, span: span) {
                keepOptional ? o : self.assign(.unwrap(o), t, span)
            } else: {
                self.lowerExpr(b)
            }
        case .tuple(let items):
            return assign(.tuple(items.map { lowerExpr($0) }), t, span)
        case .array(let items):
            return assign(.array(items.map { lowerExpr($0) }), t, span)
        case .mapLiteral(let entries):
            return assign(.mapLiteral(entries.map { (lowerExpr($0.0), lowerExpr($0.1)) }), t, span)
        case .wrapOptional(let x):
            return assign(.wrapOptional(lowerExpr(x)), t, span)
        case .forceUnwrap(let x):
            return assign(.unwrap(lowerExpr(x)), t, span)
        case .index(let base, let i):
            let b = lowerExpr(base)
            return assign(.index(b, lowerExpr(i)), t, span)
        case .slice(let base, let lo, let hi, let inclusive):
            let b = lowerExpr(base)
            let l = lowerExpr(lo)
            let h = lowerExpr(hi)
            return assign(.slice(b, l, h, inclusive: inclusive), t, span)
        case .trap(let message):
            let m = lowerExpr(message)
            emit(.trap(m), span)
            terminated = true
            return .undefined(t)
        case .error:
            return .undefined(t)
        }
    }

    /// `if cond { yield then() } else { yield else() }` as an expression. The branches
    /// may change variables (`c ? a.removeLast() : 0`): those are yielded too.
    func conditional(
        _ cond: IRAtom, then thenExprs: [TExpr]?, else elseExprs: [TExpr]?, type: Ty, span: SourceSpan,
        _ thenValue: () -> IRAtom, else elseValue: () -> IRAtom
    ) -> IRAtom {
        let exprs = (thenExprs ?? []) + (elseExprs ?? [])
        let vars = changed(exprs.map { TStmt(kind: .expr($0), span: span) })
        let result = newValue(type, nil, span)
        let results = vars.map { newValue(typeOf($0), name(of: $0), span) }
        let thenBlock = valueBranch(vars, span: span, thenValue)
        let elseBlock = valueBranch(vars, span: span, elseValue)
        emit(.ifThen(cond, then: thenBlock, else: elseBlock, results: [result] + results), span)
        for (v, r) in zip(vars, results) { env[v] = .value(r) }
        return .value(result)
    }

    func valueBranch(_ vars: [Variable], span: SourceSpan, _ value: () -> IRAtom) -> IRBlock {
        let savedEnv = env
        defer { env = savedEnv }
        return block {
            let v = value()
            if !terminated { emit(.yield([v] + vars.map { current($0) }), span) }
        }
    }

    /// A call of a free function, struct initializer, C function or value method: write
    /// back the receiver (mutating) and inout arguments, return the result.
    func lowerCall(_ f: FunctionID, receiver: TExpr?, _ args: [TArgument], type t: Ty, span: SourceSpan) -> IRAtom {
        let fn = program.function(f)
        var operands: [IRAtom] = []
        if let receiver { operands.append(lowerExpr(receiver)) }
        operands += args.map { lowerExpr($0.value) }
        var results: [IRValue] = []
        var writeBack: [(IRValue, TExpr)] = []
        if let receiver, fn.isMutating {
            let next = newValue(receiver.type, nil, span)
            results.append(next)
            writeBack.append((next, receiver))
        }
        for a in args where a.isInout {
            let next = newValue(a.value.type, nil, span)
            results.append(next)
            writeBack.append((next, a.value))
        }
        var result: IRAtom = .void
        if t != .void && t != .never {
            let r = newValue(t, nil, span)
            results.append(r)
            result = .value(r)
        }
        let op: IROp = receiver == nil ? .call(f, operands) : .method(f, operands)
        emit(.assign(results, op), span)
        for (next, target) in writeBack { store(.value(next), into: target) }
        if t == .never {
            // The callee never returns (the checker makes sure of it), but the call is not a
            // statement that leaves its block: a trap after it is, and is never reached.
            emit(.trap(.bytes(Array("a function that returns 'Never' returned".utf8), .string)), span)
            terminated = true
            return .undefined(t)
        }
        return result
    }

    /// A step of a state thread: `(s1, inouts…, r) = s0.m(args)`.
    func lowerStateCall(_ receiver: TExpr, _ m: FunctionID, _ args: [TArgument], type t: Ty, span: SourceSpan) -> IRAtom {
        var arguments: [IRStateArgument] = []
        var inoutNext: [IRValue] = []
        var writeBack: [(IRValue, TExpr)] = []
        for a in args {
            let v = lowerExpr(a.value)
            if a.isInout {
                arguments.append(.passedInout(v))
                let next = newValue(a.value.type, nil, a.value.span)
                inoutNext.append(next)
                writeBack.append((next, a.value))
            } else {
                arguments.append(.value(v))
            }
        }
        // The state as the arguments leave it: in `s.m(s.n())` the call of `m` takes the
        // version `n` returns (a state is a name, so reading it has no effects of its own).
        let state = lowerExpr(receiver)
        let next = newValue(receiver.type, name(ofPlace: receiver), span)
        var result: IRValue?
        if t != .void && t != .never { result = newValue(t, nil, span) }
        emit(.stateCall(next: next, inoutNext: inoutNext, result: result, state: state, method: m, arguments), span)
        store(.value(next), into: receiver)
        for (n, target) in writeBack { store(.value(n), into: target) }
        return result.map { .value($0) } ?? .void
    }

    func name(ofPlace e: TExpr) -> String? {
        if let r = root(e) { return name(of: r) }
        return nil
    }

    func lowerClosure(_ c: TClosure, span: SourceSpan) -> IRClosure {
        let savedEnv = env
        let savedLoops = loops
        let savedTargets = breakTargets
        loops = []
        breakTargets = []
        defer {
            env = savedEnv
            loops = savedLoops
            breakTargets = savedTargets
        }
        let params = c.params.map { id -> IRValue in
            let v = newValue(source.locals[id.index].type, source.locals[id.index].name, source.locals[id.index].span)
            env[.local(id)] = .value(v)
            return v
        }
        let body = block {
            for s in c.body.stmts {
                if terminated { break }
                if case .returnStmt(let value) = s.kind {
                    let v = value.map { lowerExpr($0) }
                    if !terminated {
                        emit(.returnValues(v.map { [$0] } ?? []), s.span)
                        terminated = true
                    }
                } else {
                    lowerStatement(s)
                }
            }
            if !terminated { emit(.returnValues([]), span) }
        }
        return IRClosure(params: params, result: c.result, body: body)
    }
}

extension IRUnaryOperator {
    init(_ op: UnaryOp) {
        switch op {
        case .negate: self = .negate
        case .not: self = .not
        case .bitNot: self = .bitNot
        }
    }
}

extension IRBinaryOperator {
    /// The source's operator, when it stays one in the IR.
    init?(_ op: BinaryOp) {
        switch op {
        case .and, .or, .coalesce, .halfOpenRange, .closedRange: return nil
        default: self.init(rawValue: op.rawValue)
        }
    }
}

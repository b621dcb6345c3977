// Lowering the typed AST to the IR.
//
// The lowering walks each function body once, keeping an environment from the
// source's variables (locals and `self`) to their current IR values. Reading a
// variable reads the environment; changing it (`x = …`, `x += …`, `a[i] = …`,
// `p.x = …`, `a.append(…)`, a mutating method, an `inout` argument, a call on a
// state) computes the next value and updates the environment. Changing a part
// of a value rebuilds the path to it: `a[i].x = v` is
// `t0 = index(a0, i); t1 = setField(t0, x, v); a1 = setIndex(a0, i, t1)`.
//
// Structured statements thread what they change. Before lowering an `if`, a
// `switch` or a loop, a scan of its body finds the variables declared outside it
// that it changes; each branch yields their values at its end and the construct's
// results become their new values. Loops carry them from one iteration to the
// next, and `break`, `continue` and `return` pass the current values along.
//
// Conditions with several parts (`if let x = o, x > 3`) are evaluated by a chain
// of `if`s that yields whether all hold together with the values they bind, so
// the else branch is lowered once. A `switch` becomes the same kind of chain over
// its patterns, computing the number of the case that matches, then `switchOf`.
// `&&`, `||`, `??` and `?:` become `if`s, which keeps evaluation lazy as in the
// source.

import CleaveDiagnostics
import CleaveGrammar
import CleaveSema

public enum LowerToIR {
    /// Lower every function with a body, and every global constant's initializer.
    public static func lower(_ program: TypedProgram) -> IRProgram {
        var functions: [IRFunction] = []
        for f in program.functions {
            guard let body = f.body else { continue }
            functions.append(FunctionLowering(program, f).lower(body))
        }
        var globals: [IRFunction] = []
        for (i, g) in program.globals.enumerated() {
            globals.append(FunctionLowering.lowerGlobal(program, g, index: i))
        }
        return IRProgram(typed: program, functions: functions, globals: globals)
    }
}

/// A source variable whose value the lowering tracks.
enum Variable: Hashable {
    case local(LocalID)
    case selfValue
    /// Whether a `break` nested in an `if` or `guard` has left the current `switch` case:
    /// the rest of the case runs only where it has not (numbered per `switch`).
    case caseLeft(Int)
}

final class FunctionLowering {
    let program: TypedProgram
    let source: TFunction
    var values: [IRValueInfo] = []
    var env: [Variable: IRAtom] = [:]
    /// Statement lists being built, innermost last.
    var blocks: [[IRStmt]] = []
    /// Set when the statement just lowered leaves the current block.
    var terminated = false

    struct LoopFrame {
        let carried: [Variable]
        /// Statements run before `continue` (a `for` loop's increment); returns the next
        /// values of the loop's own counters, appended to the carried variables.
        let latch: () -> [IRAtom]
        /// Some `break` leaves this loop (otherwise nothing after it runs).
        var breaks = false
    }
    var loops: [LoopFrame] = []

    /// `break` out of the innermost loop with the current values of what it carries.
    func emitBreak(_ span: SourceSpan) {
        loops[loops.count - 1].breaks = true
        emit(.breakLoop(loops[loops.count - 1].carried.map { current($0) }), span)
    }

    /// What `break` leaves: the innermost loop, or a `switch` case (as in Swift), which
    /// yields the values its `switch` threads.
    enum BreakTarget {
        case loop
        case switchCase([Variable], flag: Variable?)
    }
    var breakTargets: [BreakTarget] = []
    /// For each `switch` being lowered, innermost last: how many `break`s have left one of
    /// its cases so far. Such a case ends (as a `return` does), but what follows the
    /// `switch` still runs.
    var switchBreaks: [Int] = []
    /// Switches lowered so far, to number their `caseLeft` flags.
    var switchCount = 0

    /// The flag of the `switch` case a `break` here would leave, if that case uses one.
    var activeCaseFlag: Variable? {
        if case .switchCase(_, let flag?)? = breakTargets.last, env[flag] != nil { return flag }
        return nil
    }

    init(_ program: TypedProgram, _ source: TFunction) {
        self.program = program
        self.source = source
    }

    var ownerIsState: Bool {
        if case .method(let t) = source.kind { return program.type(t).kind == .state }
        if case .initializer(let t) = source.kind { return program.type(t).kind == .state }
        return false
    }

    // MARK: Values and statements

    func newValue(_ type: Ty, _ name: String?, _ span: SourceSpan) -> IRValue {
        values.append(IRValueInfo(type: type, name: name, span: span))
        return IRValue(id: values.count - 1)
    }

    func emit(_ kind: IRStmt.Kind, _ span: SourceSpan) {
        blocks[blocks.count - 1].append(IRStmt(kind: kind, span: span))
    }

    /// `v = op`, returning `v`.
    func assign(_ op: IROp, _ type: Ty, _ span: SourceSpan, name: String? = nil) -> IRAtom {
        let v = newValue(type, name, span)
        emit(.assign([v], op), span)
        return .value(v)
    }

    /// Lower statements into a block of their own.
    func block(_ body: () -> Void) -> IRBlock {
        blocks.append([])
        let savedTerminated = terminated
        terminated = false
        body()
        terminated = savedTerminated
        return IRBlock(blocks.removeLast())
    }

    func type(of atom: IRAtom) -> Ty { atom.type { values[$0.id].type } }

    func typeOf(_ v: Variable) -> Ty {
        switch v {
        case .local(let id): source.locals[id.index].type
        case .selfValue: selfType
        case .caseLeft: .bool
        }
    }

    var selfType: Ty {
        switch source.kind {
        case .method(let t), .initializer(let t): .nominal(t)
        default: .void
        }
    }

    // MARK: Functions

    func lower(_ body: TBlock) -> IRFunction {
        var params: [IRValue] = []
        var kind: IRFunctionKind = .free
        var results: [Ty] = []
        switch source.kind {
        case .method(let t):
            let selfParam = newValue(.nominal(t), "self", source.span)
            params.append(selfParam)
            env[.selfValue] = .value(selfParam)
            if program.type(t).kind == .state {
                kind = .stateMethod(t)
                results.append(.nominal(t))
            } else {
                kind = .valueMethod(t, mutating: source.isMutating)
                if source.isMutating { results.append(.nominal(t)) }
            }
        case .initializer(let t):
            kind = .initializer(t)
            results.append(.nominal(t))
        case .free:
            kind = source.name == "main" && source.params.isEmpty ? .main : .free
        case .c:
            break
        }
        for p in source.params {
            let v = newValue(p.type, p.name, source.locals[p.local.index].span)
            params.append(v)
            env[.local(p.local)] = .value(v)
        }
        results += source.params.filter(\.isInout).map(\.type)
        if source.result != .void && source.result != .never { results.append(source.result) }
        let irBody = block {
            if case .initializer(let t) = source.kind {
                // `self` starts from the fields' default values; the body assigns the rest.
                let info = program.type(t)
                let fields = info.fields.map { f -> IRAtom in f.defaultValue.map { lowerExpr($0) } ?? .undefined(f.type) }
                env[.selfValue] = assign(.memberwise(t, fields), .nominal(t), source.span, name: "self")
            }
            lowerStatements(body.stmts)
            if !terminated { emitReturn(nil, body.span.closingBrace) }
        }
        return IRFunction(
            source: source.id, name: source.name, kind: kind, params: params, results: results, body: irBody, values: values,
            span: source.span)
    }

    static func lowerGlobal(_ program: TypedProgram, _ g: TGlobal, index: Int) -> IRFunction {
        let scratch = TFunction.placeholder(name: g.name, span: g.span)
        let l = FunctionLowering(program, scratch)
        let body = l.block {
            let v = l.lowerExpr(g.value)
            l.emit(.returnValues([v]), g.span)
        }
        return IRFunction(
            source: FunctionID(index: -1 - index), name: g.name, kind: .free, params: [], results: [g.type], body: body,
            values: l.values, span: g.span)
    }

    /// `return`: the next `self` (state methods, mutating methods, initializers), the
    /// inout parameters' current values, then the result.
    func emitReturn(_ value: IRAtom?, _ span: SourceSpan) {
        var out: [IRAtom] = []
        switch source.kind {
        case .method(let t):
            if program.type(t).kind == .state || source.isMutating { out.append(env[.selfValue]!) }
        case .initializer:
            out.append(env[.selfValue]!)
        default:
            break
        }
        for p in source.params where p.isInout { out.append(env[.local(p.local)]!) }
        if let value, source.result != .void { out.append(value) }
        emit(.returnValues(out), span)
        terminated = true
    }

    // MARK: Statements

    func lowerStatements(_ stmts: [TStmt]) {
        for (i, s) in stmts.enumerated() {
            if terminated { return }
            lowerStatement(s)
            guard let flag = activeCaseFlag, let left = env[flag] else { continue }
            switch left {
            case .bool(false): continue
            case .bool(true): return  // a `break` left the case: nothing more of it runs
            default:
                // Maybe left (a `break` in an `if`): the rest runs where it did not.
                let rest = Array(stmts[(i + 1)...])
                if !rest.isEmpty { lowerUnlessLeft(left, flag, rest, span: s.span) }
                return
            }
        }
    }

    /// `if left { } else { rest }`, threading what `rest` changes and the flag.
    func lowerUnlessLeft(_ left: IRAtom, _ flag: Variable, _ rest: [TStmt], span: SourceSpan) {
        let vars = changed(rest) + [flag]
        let skip = branch(vars, span: span) {}
        let run = branch(vars, span: span) {
            env[flag] = .bool(false)  // known here: the case goes on
            lowerStatements(rest)
        }
        _ = branching(vars, span: span) { _ in .ifThen(left, then: skip.0, else: run.0, results: []) }
        if run.1 && skip.1 { terminated = true }
    }

    /// The flag of the current case, when `stmts` contain a `break` that leaves it from
    /// inside an `if` or `guard` (breaks in nested loops and switches leave those).
    func caseFlag(ifBreakIn stmts: [TStmt]) -> [Variable] {
        guard let flag = activeCaseFlag, containsBreak(stmts) else { return [] }
        return [flag]
    }

    func lowerStatement(_ s: TStmt) {
        switch s.kind {
        case .binding(let pattern, let value):
            let v = lowerExpr(value)
            if terminated { return }
            bind(pattern, v, span: s.span)
        case .assign(let target, let op, let value):
            var v = lowerExpr(value)
            // A compound assignment's operator is an arithmetic or bitwise one (`+=`, `&=`).
            if let op, let op = IRBinaryOperator(op) {
                let current = lowerExpr(target)
                v = assign(.binary(op, current, v), target.type, s.span)
            }
            store(v, into: target)
        case .expr(let e):
            _ = lowerExpr(e)
        case .ifStmt(let conds, let then, let elseBlock):
            lowerIf(conds, then: then.stmts, else: elseBlock?.stmts ?? [], span: s.span)
        case .guardStmt(let conds, let elseBlock):
            lowerGuard(conds, elseBlock, span: s.span)
        case .whileStmt(let conds, let body):
            lowerWhile(conds, body, span: s.span)
        case .forStmt(let pattern, let iteration, let body):
            lowerFor(pattern, iteration, body, span: s.span)
        case .loopStmt(let body):
            lowerLoop(body.stmts, span: s.span, counters: [], latch: { [] }, prologue: {})
        case .switchStmt(let subject, let cases):
            lowerSwitch(subject, cases, span: s.span)
        case .breakStmt:
            switch breakTargets.last {
            case .switchCase(_, let flag?)? where env[flag] != nil:
                // Leaving the case from inside an `if`: note it; the rest of the case is skipped.
                env[flag] = .bool(true)
                switchBreaks[switchBreaks.count - 1] += 1
                return
            case .switchCase(let vars, _)?:
                emit(.yield(vars.map { current($0) }), s.span)
                switchBreaks[switchBreaks.count - 1] += 1
            default:
                emitBreak(s.span)
            }
            terminated = true
        case .continueStmt:
            let frame = loops[loops.count - 1]
            let carried = frame.carried.map { current($0) }
            emit(.continueLoop(carried + frame.latch()), s.span)
            terminated = true
        case .returnStmt(let value):
            let v = value.map { lowerExpr($0) }
            if terminated { return }
            emitReturn(v, s.span)
        }
    }

    func current(_ v: Variable) -> IRAtom {
        env[v] ?? .undefined(typeOf(v))
    }

    func bind(_ p: TBindingPattern, _ v: IRAtom, span: SourceSpan) {
        switch p {
        case .wildcard:
            break
        case .local(let id):
            env[.local(id)] = rename(v, source.locals[id.index].name, span)
        case .tuple(let items):
            for (i, item) in items.enumerated() {
                guard case .tuple(let parts) = type(of: v) else { return }
                bind(item, assign(.tupleElement(v, i), parts[i], span), span: span)
            }
        }
    }

    /// Constants keep their place; a value gets a name of its own only when it has none
    /// (a value already named for another variable is copied, so each keeps its name).
    func rename(_ v: IRAtom, _ name: String, _ span: SourceSpan) -> IRAtom {
        if case .value(let x) = v, values[x.id].name == name { return v }
        if case .value(let x) = v, values[x.id].name == nil {
            let info = values[x.id]
            values[x.id] = IRValueInfo(type: info.type, name: name, span: info.span)
            return v
        }
        if case .value = v { return assign(.copy(v), type(of: v), span, name: name) }
        return v
    }

    // MARK: Changing variables and their parts

    /// Write `value` to the place `target` denotes, rebuilding the path to it.
    func store(_ value: IRAtom, into target: TExpr) {
        switch target.kind {
        case .local(let id):
            env[.local(id)] = rename(value, source.locals[id.index].name, target.span)
        case .selfRef:
            env[.selfValue] = value
        case .field(let base, let i):
            let b = lowerExpr(base)
            store(assign(.setField(b, i, value), base.type, target.span), into: base)
        case .tupleElement(let base, let i):
            let b = lowerExpr(base)
            store(assign(.setTupleElement(b, i, value), base.type, target.span), into: base)
        case .index(let base, let index):
            let b = lowerExpr(base)
            let k = lowerExpr(index)
            store(assign(.setIndex(b, k, value), base.type, target.span), into: base)
        default:
            break  // the checker allows no other targets
        }
    }

    /// The variable at the root of a place (`a` for `a[i].x`), if any.
    func root(_ e: TExpr) -> Variable? {
        switch e.kind {
        case .local(let id): .local(id)
        case .selfRef: .selfValue
        case .field(let b, _), .tupleElement(let b, _), .index(let b, _): root(b)
        default: nil
        }
    }

    /// The variables declared outside `stmts` that they change, in a stable order.
    func changed(_ stmts: [TStmt]) -> [Variable] {
        var found: [Variable] = []
        var seen: Set<Variable> = []
        func note(_ e: TExpr) {
            if let r = root(e), env[r] != nil, seen.insert(r).inserted { found.append(r) }
        }
        func expr(_ e: TExpr) {
            switch e.kind {
            case .methodCall(let receiver, let m, let args):
                let f = program.function(m)
                if f.isMutating || isState(receiver.type) { note(receiver) }
                expr(receiver)
                for a in args {
                    if a.isInout { note(a.value) }
                    expr(a.value)
                }
            case .call(_, let args), .initCall(_, _, let args):
                for a in args {
                    if a.isInout { note(a.value) }
                    expr(a.value)
                }
            case .builtin(let name, let operands):
                if name.changesReceiver, let first = operands.first { note(first) }
                operands.forEach(expr)
            default:
                e.forEachChild(expr)
            }
        }
        func stmt(_ s: TStmt) {
            switch s.kind {
            case .binding(_, let v): expr(v)
            case .assign(let t, _, let v):
                note(t)
                expr(t)
                expr(v)
            case .expr(let e): expr(e)
            case .ifStmt(let cs, let a, let b):
                conditions(cs)
                a.stmts.forEach(stmt)
                b?.stmts.forEach(stmt)
            case .guardStmt(let cs, let b):
                conditions(cs)
                b.stmts.forEach(stmt)
            case .whileStmt(let cs, let b):
                conditions(cs)
                b.stmts.forEach(stmt)
            case .forStmt(_, let it, let b):
                switch it {
                case .range(let lo, let hi, _):
                    expr(lo)
                    expr(hi)
                case .array(let x), .bytes(let x), .map(let x): expr(x)
                }
                b.stmts.forEach(stmt)
            case .loopStmt(let b): b.stmts.forEach(stmt)
            case .switchStmt(let subject, let cases):
                expr(subject)
                for c in cases {
                    c.guardExpr.map(expr)
                    c.body.stmts.forEach(stmt)
                }
            case .returnStmt(let v): v.map(expr)
            case .breakStmt, .continueStmt: break
            }
        }
        func conditions(_ cs: [TCondition]) {
            for c in cs {
                switch c {
                case .bool(let e), .unwrap(_, let e): expr(e)
                }
            }
        }
        stmts.forEach(stmt)
        return found
    }

    func isState(_ t: Ty) -> Bool {
        if case .nominal(let id) = t { return program.type(id).kind == .state }
        return false
    }

    // MARK: Structured control

    /// Lower a construct whose branches each yield the values of `vars` at their end;
    /// afterwards `vars` take the construct's results.
    func branching(_ vars: [Variable], span: SourceSpan, _ build: ([Variable]) -> IRStmt.Kind?) -> Bool {
        let results = vars.map { newValue(typeOf($0), name(of: $0), span) }
        guard let kind = build(vars) else { return false }
        emit(replacingResults(kind, results), span)
        for (v, r) in zip(vars, results) { env[v] = .value(r) }
        return true
    }

    func replacingResults(_ kind: IRStmt.Kind, _ results: [IRValue]) -> IRStmt.Kind {
        switch kind {
        case .ifThen(let c, let a, let b, _): .ifThen(c, then: a, else: b, results: results)
        case .switchOf(let s, let cases, _): .switchOf(s, cases, results: results)
        default: kind
        }
    }

    func name(of v: Variable) -> String {
        switch v {
        case .local(let id): source.locals[id.index].name
        case .selfValue: "self"
        case .caseLeft: "leftCase"
        }
    }

    /// A branch: lower its statements with the environment as it is now, and yield the
    /// current values of `vars` at its end (unless it left the construct).
    func branch(_ vars: [Variable], extra: [IRAtom] = [], span: SourceSpan, _ body: () -> Void) -> (IRBlock, Bool) {
        let savedEnv = env
        var leftConstruct = false
        let b = block {
            body()
            if !terminated {
                emit(.yield(extra + vars.map { current($0) }), span)
            } else {
                leftConstruct = true
            }
        }
        env = savedEnv
        return (b, leftConstruct)
    }

    func lowerIf(_ conds: [TCondition], then: [TStmt], else elseStmts: [TStmt], span: SourceSpan) {
        let vars = changed(then + elseStmts) + caseFlag(ifBreakIn: then + elseStmts)
        let (ok, bound) = lowerConditions(conds, span: span)
        var thenLeft = false
        var elseLeft = false
        let thenBlock = branch(vars, span: span) {
            for (local, v) in bound { env[.local(local)] = v }
            lowerStatements(then)
        }
        let elseBlock = branch(vars, span: span) { lowerStatements(elseStmts) }
        thenLeft = thenBlock.1
        elseLeft = elseBlock.1
        _ = branching(vars, span: span) { _ in .ifThen(ok, then: thenBlock.0, else: elseBlock.0, results: []) }
        if thenLeft && elseLeft { terminated = true }
    }

    /// Evaluate conditions left to right, stopping at the first that fails: whether all
    /// hold, and the values they bind (undefined where they failed).
    func lowerConditions(_ conds: [TCondition], span: SourceSpan) -> (IRAtom, [(LocalID, IRAtom)]) {
        guard let first = conds.first else { return (.bool(true), []) }
        let rest = Array(conds.dropFirst())
        switch first {
        case .bool(let e):
            let c = lowerExpr(e)
            if rest.isEmpty { return (c, []) }
            // if c { all of the rest } else { false, undefined… }
            let restLocals = boundLocals(rest)
            let okValue = newValue(.bool, nil, span)
            let boundValues = restLocals.map { newValue(source.locals[$0.index].type, source.locals[$0.index].name, span) }
            let thenBlock = block {
                let (ok, bound) = lowerConditions(rest, span: span)
                emit(.yield([ok] + restLocals.map { l in bound.first { $0.0 == l }?.1 ?? .undefined(source.locals[l.index].type) }), span)
            }
            let elseBlock = block {
                emit(.yield([.bool(false)] + restLocals.map { .undefined(source.locals[$0.index].type) }), span)
            }
            emit(.ifThen(c, then: thenBlock, else: elseBlock, results: [okValue] + boundValues), span)
            return (.value(okValue), zip(restLocals, boundValues.map { IRAtom.value($0) }).map { ($0, $1) })
        case .unwrap(let local, let e):
            let o = lowerExpr(e)
            let some = assign(.isSome(o), .bool, span)
            let restLocals = boundLocals(rest)
            let locals = [local] + restLocals
            let okValue = newValue(.bool, nil, span)
            let boundValues = locals.map { newValue(source.locals[$0.index].type, source.locals[$0.index].name, span) }
            let savedEnv = env
            let thenBlock = block {
                let x = assign(.unwrap(o), source.locals[local.index].type, span, name: source.locals[local.index].name)
                env[.local(local)] = x
                let (ok, bound) = lowerConditions(rest, span: span)
                emit(
                    .yield([ok, x] + restLocals.map { l in bound.first { $0.0 == l }?.1 ?? .undefined(source.locals[l.index].type) }), span)
            }
            env = savedEnv
            let elseBlock = block {
                emit(.yield([.bool(false)] + locals.map { .undefined(source.locals[$0.index].type) }), span)
            }
            emit(.ifThen(some, then: thenBlock, else: elseBlock, results: [okValue] + boundValues), span)
            return (.value(okValue), zip(locals, boundValues.map { IRAtom.value($0) }).map { ($0, $1) })
        }
    }

    func boundLocals(_ conds: [TCondition]) -> [LocalID] {
        conds.compactMap { c in
            if case .unwrap(let l, _) = c { return l }
            return nil
        }
    }

    func lowerGuard(_ conds: [TCondition], _ elseBlock: TBlock, span: SourceSpan) {
        let (ok, bound) = lowerConditions(conds, span: span)
        let failed = assign(.unary(.not, ok), .bool, span)
        if !caseFlag(ifBreakIn: elseBlock.stmts).isEmpty {
            // `guard … else { break }` in a switch case: the else block leaves the case.
            let vars = changed(elseBlock.stmts) + caseFlag(ifBreakIn: elseBlock.stmts)
            let exit = branch(vars, span: span) { lowerStatements(elseBlock.stmts) }
            let stay = branch(vars, span: span) {}
            _ = branching(vars, span: span) { _ in .ifThen(failed, then: exit.0, else: stay.0, results: []) }
            for (local, v) in bound { env[.local(local)] = v }
            return
        }
        // The else block leaves (the checker makes sure), so nothing is yielded from it.
        let exit = branch([], span: span) { lowerStatements(elseBlock.stmts) }
        let stay = block { emit(.yield([]), span) }
        emit(.ifThen(failed, then: exit.0, else: stay, results: []), span)
        for (local, v) in bound { env[.local(local)] = v }
    }

    /// `loop { prologue; body }`, carrying the variables the body (and the prologue's
    /// conditions) change, plus a loop's own `counters` (advanced by `latch`).
    func lowerLoop(
        _ body: [TStmt], span: SourceSpan, counters: [(IRValue, IRAtom)], latch: @escaping () -> [IRAtom],
        prologue: () -> Void, extraChanged: [TStmt] = []
    ) {
        let vars = changed(body + extraChanged)
        let carried = vars.map { newValue(typeOf($0), name(of: $0), span) }
        let initial = vars.map { current($0) }
        let results = vars.map { newValue(typeOf($0), name(of: $0), span) }
        for (v, c) in zip(vars, carried) { env[v] = .value(c) }
        loops.append(LoopFrame(carried: vars, latch: latch))
        breakTargets.append(.loop)
        defer { breakTargets.removeLast() }
        let savedEnv = env
        let b = block {
            prologue()
            if !terminated { lowerStatements(body) }
            if !terminated {
                emit(.continueLoop(vars.map { current($0) } + latch()), span)
                terminated = true
            }
        }
        let breaks = loops.removeLast().breaks
        env = savedEnv
        emit(
            .loop(carried: carried + counters.map(\.0), initial: initial + counters.map(\.1), body: b, results: results), span)
        for (v, r) in zip(vars, results) { env[v] = .value(r) }
        // A loop that no `break` leaves runs until a `return` or forever.
        if !breaks { terminated = true }
    }

    func lowerWhile(_ conds: [TCondition], _ body: TBlock, span: SourceSpan) {
        if isAlwaysTrue(conds) {
            // `while true` is `loop`: only `break` and `return` leave it.
            lowerLoop(body.stmts, span: span, counters: [], latch: { [] }, prologue: {})
            return
        }
        // The conditions are evaluated in the loop; what they change is carried too.
        let condStmts = conds.map { c -> TStmt in
            switch c {
            case .bool(let e), .unwrap(_, let e): TStmt(kind: .expr(e), span: span)
            }
        }
        lowerLoop(
            body.stmts, span: span, counters: [], latch: { [] },
            prologue: {
                let (ok, bound) = lowerConditions(conds, span: span)
                let stop = assign(.unary(.not, ok), .bool, span)
                let exit = block { emitBreak(span) }
                let stay = block { emit(.yield([]), span) }
                emit(.ifThen(stop, then: exit, else: stay, results: []), span)
                for (local, v) in bound { env[.local(local)] = v }
            }, extraChanged: condStmts)
    }

    func lowerFor(_ pattern: TBindingPattern, _ iteration: TIteration, _ body: TBlock, span: SourceSpan) {
        // Everything is evaluated once, before the loop; the loop carries an index.
        switch iteration {
        case .range(let lo, let hi, let inclusive):
            let l = lowerExpr(lo)
            let h = lowerExpr(hi)
            let t = lo.type
            let counter = newValue(t, nil, span)
            // A closed range carries "more to come" so that `x...Int.max` ends without overflow.
            let more = newValue(.bool, nil, span)
            let moreInitial = assign(.binary(inclusive ? .le : .lt, l, h), .bool, span)
            lowerLoop(
                body.stmts, span: span, counters: [(counter, l), (more, moreInitial)],
                latch: { [unowned self] in
                    // Each `continue` (and the end of the body) advances the counter.
                    let next = self.assign(.binary(.wrapAdd, .value(counter), .int(1, negative: false, t)), t, span)
                    let nextMore = self.assign(.binary(inclusive ? .ne : .lt, inclusive ? .value(counter) : next, h), .bool, span)
                    return [next, nextMore]
                },
                prologue: {
                    stopUnless(.value(more), span: span)
                    bind(pattern, .value(counter), span: span)
                })
        case .array(let seq), .bytes(let seq), .map(let seq):
            let s = lowerExpr(seq)
            let count = assign(.builtin(countName(seq.type), [s]), .int, span)
            let index = newValue(.int, nil, span)
            let element: Ty
            switch seq.type {
            case .array(let e): element = e
            case .bytes: element = .int(.uint8)
            case .map(let k, let v): element = .tuple([k, v])
            default: element = .error
            }
            lowerLoop(
                body.stmts, span: span, counters: [(index, .int(0, negative: false, .int))],
                latch: { [unowned self] in
                    [self.assign(.binary(.add, .value(index), .int(1, negative: false, .int)), .int, span)]
                },
                prologue: {
                    let more = assign(.binary(.lt, .value(index), count), .bool, span)
                    stopUnless(more, span: span)
                    let x: IRAtom
                    if case .map = seq.type {
                        x = assign(.builtin(.map(.entry), [s, .value(index)]), element, span)
                    } else {
                        x = assign(.index(s, .value(index)), element, span)
                    }
                    bind(pattern, x, span: span)
                })
        }
    }

    func countName(_ t: Ty) -> Builtin {
        switch t {
        case .bytes: .bytes(.count)
        case .map: .map(.count)
        default: .array(.count)
        }
    }

    /// In a loop's prologue: `if !condition { break }`.
    func stopUnless(_ condition: IRAtom, span: SourceSpan) {
        let stop = assign(.unary(.not, condition), .bool, span)
        let exit = block { emitBreak(span) }
        let stay = block { emit(.yield([]), span) }
        emit(.ifThen(stop, then: exit, else: stay, results: []), span)
    }

    // MARK: Switch

    func lowerSwitch(_ subjectExpr: TExpr, _ cases: [TCase], span: SourceSpan) {
        let subject = lowerExpr(subjectExpr)
        // Which case matches: a chain of tests in case order.
        var choice: IRAtom = .int(UInt64(cases.count), negative: false, .int)
        for (i, c) in cases.enumerated().reversed() {
            let savedEnv = env
            let matches = caseMatches(c, subject, span: c.span)
            env = savedEnv
            let fallback = choice
            let yes = block { emit(.yield([.int(UInt64(i), negative: false, .int)]), c.span) }
            let no = block { emit(.yield([fallback]), c.span) }
            let r = newValue(.int, nil, c.span)
            emit(.ifThen(matches, then: yes, else: no, results: [r]), c.span)
            choice = .value(r)
        }
        let vars = changed(cases.flatMap(\.body.stmts))
        var allLeft = !cases.isEmpty
        var blocks: [IRBlock] = []
        // A `break` inside an `if` or `guard` of a case is tracked with a flag.
        let needsFlag = cases.contains { c in
            c.body.stmts.contains { s in
                switch s.kind {
                case .ifStmt, .guardStmt: return containsBreak([s])
                default: return false
                }
            }
        }
        switchCount += 1
        let flag: Variable? = needsFlag ? .caseLeft(switchCount) : nil
        breakTargets.append(.switchCase(vars, flag: flag))
        switchBreaks.append(0)
        defer {
            breakTargets.removeLast()
            switchBreaks.removeLast()
        }
        for c in cases {
            let breaksBefore = switchBreaks[switchBreaks.count - 1]
            let (b, left) = branch(vars, span: c.span) {
                if let flag { env[flag] = .bool(false) }
                bindCase(c, subject, span: c.span)
                lowerStatements(c.body.stmts)
            }
            blocks.append(b)
            // A case that ends with `break` goes on after the switch.
            allLeft = allLeft && left && switchBreaks[switchBreaks.count - 1] == breaksBefore
        }
        _ = branching(vars, span: span) { _ in .switchOf(choice, blocks, results: []) }
        if allLeft { terminated = true }
    }

    /// Whether a case matches the subject: one of its patterns, then its `where` clause
    /// (which sees the names the pattern binds).
    func caseMatches(_ c: TCase, _ subject: IRAtom, span: SourceSpan) -> IRAtom {
        if c.isDefault { return .bool(true) }
        var any: IRAtom = .bool(false)
        for p in c.patterns.reversed() {
            let later = any
            any = orElse(patternTest(p, subject, span: span), later, span: span)
        }
        guard let g = c.guardExpr else { return any }
        let thenBlock = block {
            bindCase(c, subject, span: span)
            emit(.yield([lowerExpr(g)]), span)
        }
        let elseBlock = block { emit(.yield([.bool(false)]), span) }
        let r = newValue(.bool, nil, span)
        emit(.ifThen(any, then: thenBlock, else: elseBlock, results: [r]), span)
        return .value(r)
    }

    /// Bind the names of a case known to match (a case with several patterns binds none).
    func bindCase(_ c: TCase, _ subject: IRAtom, span: SourceSpan) {
        if c.patterns.count == 1 { bindPattern(c.patterns[0], subject, span: span) }
    }

    /// `a || b` with `b` evaluated only when `a` is false.
    func orElse(_ a: IRAtom, _ b: IRAtom, span: SourceSpan) -> IRAtom {
        if case .bool(false) = b { return a }
        let yes = block { emit(.yield([.bool(true)]), span) }
        let no = block { emit(.yield([b]), span) }
        let r = newValue(.bool, nil, span)
        emit(.ifThen(a, then: yes, else: no, results: [r]), span)
        return .value(r)
    }

    /// `a && b()` with `b` lowered only where `a` holds.
    func andThen(_ a: IRAtom, span: SourceSpan, _ b: () -> IRAtom) -> IRAtom {
        let yes = block { emit(.yield([b()]), span) }
        let no = block { emit(.yield([.bool(false)]), span) }
        let r = newValue(.bool, nil, span)
        emit(.ifThen(a, then: yes, else: no, results: [r]), span)
        return .value(r)
    }

    func patternTest(_ p: TPattern, _ v: IRAtom, span: SourceSpan) -> IRAtom {
        switch p {
        case .wildcard, .bind:
            return .bool(true)
        case .value(let e):
            let x = lowerExpr(e)
            return assign(.binary(.eq, v, x), .bool, span)
        case .range(let lo, let hi, let inclusive):
            let l = lowerExpr(lo)
            let h = lowerExpr(hi)
            let above = assign(.binary(.ge, v, l), .bool, span)
            return andThen(above, span: span) { assign(.binary(inclusive ? .le : .lt, v, h), .bool, span) }
        case .tuple(let items):
            guard case .tuple(let parts) = type(of: v) else { return .bool(false) }
            return conjunction(
                items.enumerated().map { i, item in (item, parts[i], { self.assign(.tupleElement(v, i), parts[i], span) }) }, span: span)
        case .enumCase(let t, let caseIndex, let sub):
            let tag = assign(.enumTag(v), .int, span)
            let isCase = assign(.binary(.eq, tag, .int(UInt64(caseIndex), negative: false, .int)), .bool, span)
            let payload = program.type(t).cases[caseIndex].payload
            let refutable = sub.enumerated().filter { !isIrrefutable($0.element) }
            if refutable.isEmpty { return isCase }
            return andThen(isCase, span: span) {
                conjunction(
                    refutable.map { i, item in
                        (item, payload[i].type, { self.assign(.enumPayload(v, caseIndex: caseIndex, field: i), payload[i].type, span) })
                    }, span: span)
            }
        }
    }

    func isIrrefutable(_ p: TPattern) -> Bool {
        switch p {
        case .wildcard, .bind: true
        case .tuple(let items): items.allSatisfy(isIrrefutable)
        default: false
        }
    }

    /// All sub-patterns match, tested in order, each part extracted only when needed.
    func conjunction(_ parts: [(TPattern, Ty, () -> IRAtom)], span: SourceSpan) -> IRAtom {
        guard let (p, _, extract) = parts.first else { return .bool(true) }
        let rest = Array(parts.dropFirst())
        let m = patternTest(p, extract(), span: span)
        if rest.isEmpty { return m }
        return andThen(m, span: span) { conjunction(rest, span: span) }
    }

    /// Bind the names of a pattern that is known to match.
    func bindPattern(_ p: TPattern, _ v: IRAtom, span: SourceSpan) {
        switch p {
        case .bind(let local):
            env[.local(local)] = rename(v, source.locals[local.index].name, span)
        case .tuple(let items):
            guard case .tuple(let parts) = type(of: v) else { return }
            for (i, item) in items.enumerated() where binds(item) {
                bindPattern(item, assign(.tupleElement(v, i), parts[i], span), span: span)
            }
        case .enumCase(let t, let caseIndex, let sub):
            let payload = program.type(t).cases[caseIndex].payload
            for (i, item) in sub.enumerated() where binds(item) {
                bindPattern(item, assign(.enumPayload(v, caseIndex: caseIndex, field: i), payload[i].type, span), span: span)
            }
        case .wildcard, .value, .range:
            break
        }
    }

    func binds(_ p: TPattern) -> Bool {
        switch p {
        case .bind: true
        case .tuple(let items): items.contains(where: binds)
        case .enumCase(_, _, let sub): sub.contains(where: binds)
        default: false
        }
    }
}

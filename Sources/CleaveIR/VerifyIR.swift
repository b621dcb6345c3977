// The IR verifier: the invariants every stage that produces IR must keep.
//
//  * Single assignment: every value is defined exactly once (a parameter, a
//    statement's result, a loop's carried value, a closure's parameter).
//  * Scoping: every use refers to a value defined earlier in the same block or in
//    an enclosing one (closure bodies see the values of the function around them).
//  * Structure: a block's last statement, and only its last, may leave it; the
//    branches of an `if` or `switch` end in `yield` with one value per result (or
//    leave the construct), a loop body never falls off its end, `break` and
//    `continue` appear only in loops with one value per result / carried value,
//    `return` has one value per function result, and the function body ends in
//    `return` or `trap`.
//  * Types: conditions are `Bool`, switch subjects `Int`, and every value handed
//    on (yielded, carried, returned) has the type of its destination.
//
// A violation is a compiler bug, reported as an internal error naming the stage.

import CleaveDiagnostics
import CleaveSema

public enum VerifyIR {
    /// Every violation in the program, as readable lines (empty when the IR is well formed).
    public static func verify(_ program: IRProgram) -> [String] {
        var problems: [String] = []
        for f in program.functions + program.globals {
            var v = FunctionVerifier(function: f, program: program)
            v.run()
            problems += v.problems.map { "\(f.name) (\(f.span.shortDescription)): \($0)" }
        }
        return problems
    }
}

struct FunctionVerifier {
    let function: IRFunction
    let program: IRProgram
    var problems: [String] = []
    var defined: Set<IRValue> = []
    var scopes: [Set<IRValue>] = [[]]

    enum Context {
        case function([Ty])
        case branch([Ty])
        case loop(carried: [Ty], results: [Ty])
        case closure(Ty)
    }
    var contexts: [Context] = []

    init(function: IRFunction, program: IRProgram) {
        self.function = function
        self.program = program
    }

    mutating func fail(_ message: String, _ span: SourceSpan?) {
        problems.append(span.map { "line \($0.line): \(message)" } ?? message)
    }

    func type(_ a: IRAtom) -> Ty {
        a.type { $0.id < function.values.count ? function.values[$0.id].type : .error }
    }

    mutating func define(_ v: IRValue, _ span: SourceSpan?) {
        guard v.id >= 0 && v.id < function.values.count else {
            fail("value %\(v.id) has no entry in the value table", span)
            return
        }
        if !defined.insert(v).inserted { fail("value %\(v.id) is defined more than once", span) }
        scopes[scopes.count - 1].insert(v)
    }

    mutating func use(_ a: IRAtom, _ span: SourceSpan?) {
        guard case .value(let v) = a else { return }
        if !scopes.contains(where: { $0.contains(v) }) { fail("value %\(v.id) is used where it is not defined", span) }
    }

    mutating func expect(_ a: IRAtom, _ t: Ty, _ what: String, _ span: SourceSpan?) {
        let actual = type(a)
        if actual != t && !actual.isError && !t.isError && actual != .never {
            fail("\(what) has type \(program.typed.typeName(actual)), expected \(program.typed.typeName(t))", span)
        }
    }

    mutating func run() {
        for p in function.params { define(p, function.span) }
        contexts.append(.function(function.results))
        block(function.body, mustLeave: true)
    }

    /// Check a block in a scope of its own. `mustLeave`: it may not fall off its end.
    mutating func block(_ b: IRBlock, mustLeave: Bool) {
        scopes.append([])
        defer { scopes.removeLast() }
        for (i, s) in b.stmts.enumerated() {
            let leaves = isTerminator(s)
            if leaves && i != b.stmts.count - 1 { fail("statement after one that leaves the block", b.stmts[i + 1].span) }
            stmt(s)
        }
        if mustLeave && !(b.stmts.last.map(isTerminator) ?? false) {
            fail("block falls off its end", b.stmts.last?.span)
        }
    }

    /// The statement leaves its block: a jump, or an `if`/`switch` all of whose branches
    /// leave the construct (so control never comes back to continue after it).
    mutating func stmt(_ s: IRStmt) {
        let span = s.span
        switch s.kind {
        case .assign(let results, let op):
            operands(op, span)
            for r in results { define(r, span) }
        case .stateCall(let next, let inoutNext, let result, let state, _, let args):
            use(state, span)
            if case .nominal(let t) = type(state), program.typed.type(t).kind == .state {
                expect(.value(next), type(state), "the next version of the state", span)
            } else {
                fail("state call on a value that is not a state", span)
            }
            var inouts = 0
            for a in args {
                switch a {
                case .value(let x): use(x, span)
                case .passedInout(let x):
                    use(x, span)
                    if inouts < inoutNext.count { expect(.value(inoutNext[inouts]), type(x), "an inout argument's next version", span) }
                    inouts += 1
                }
            }
            if inouts != inoutNext.count { fail("\(inouts) inout arguments but \(inoutNext.count) next versions", span) }
            define(next, span)
            for n in inoutNext { define(n, span) }
            if let result { define(result, span) }
        case .createState(let v, let t, _, let args):
            for a in args { use(a, span) }
            if program.typed.type(t).kind != .state { fail("create of a type that is not a state", span) }
            define(v, span)
        case .ifThen(let c, let a, let b, let results):
            use(c, span)
            expect(c, .bool, "the condition", span)
            let types = results.map { function.values[$0.id].type }
            contexts.append(.branch(types))
            block(a, mustLeave: true)
            block(b, mustLeave: true)
            contexts.removeLast()
            for r in results { define(r, span) }
        case .switchOf(let subject, let cases, let results):
            use(subject, span)
            expect(subject, .int, "the switch subject", span)
            let types = results.map { function.values[$0.id].type }
            contexts.append(.branch(types))
            for c in cases { block(c, mustLeave: true) }
            contexts.removeLast()
            for r in results { define(r, span) }
        case .loop(let carried, let initial, let body, let results):
            if carried.count != initial.count { fail("\(carried.count) carried values but \(initial.count) initial values", span) }
            for (c, i) in zip(carried, initial) {
                use(i, span)
                expect(i, function.values[c.id].type, "an initial value", span)
            }
            scopes.append([])
            for c in carried { define(c, span) }
            contexts.append(
                .loop(carried: carried.map { function.values[$0.id].type }, results: results.map { function.values[$0.id].type }))
            block(body, mustLeave: true)
            contexts.removeLast()
            scopes.removeLast()
            for r in results { define(r, span) }
        case .yield(let xs):
            xs.forEach { use($0, span) }
            guard case .branch(let types)? = contexts.last else {
                fail("yield outside a branch of 'if' or 'switch'", span)
                return
            }
            values(xs, types, "yield", span)
        case .breakLoop(let xs):
            xs.forEach { use($0, span) }
            guard let (_, results) = innermostLoop() else {
                fail("break outside a loop", span)
                return
            }
            values(xs, results, "break", span)
        case .continueLoop(let xs):
            xs.forEach { use($0, span) }
            guard let (carried, _) = innermostLoop() else {
                fail("continue outside a loop", span)
                return
            }
            values(xs, carried, "continue", span)
        case .returnValues(let xs):
            xs.forEach { use($0, span) }
            for c in contexts.reversed() {
                switch c {
                case .function(let types):
                    values(xs, types, "return", span)
                    return
                case .closure(let t):
                    values(xs, t == .void ? [] : [t], "return", span)
                    return
                default: continue
                }
            }
        case .trap(let m), .send(_, let m):
            use(m, span)
        case .receive(_, let v):
            define(v, span)
        case .halt:
            break
        }
    }

    /// The loop a `break`/`continue` belongs to: the innermost one, not crossing a closure.
    func innermostLoop() -> ([Ty], [Ty])? {
        for c in contexts.reversed() {
            switch c {
            case .loop(let carried, let results): return (carried, results)
            case .closure, .function: return nil
            case .branch: continue
            }
        }
        return nil
    }

    mutating func values(_ xs: [IRAtom], _ types: [Ty], _ what: String, _ span: SourceSpan) {
        if xs.count != types.count {
            fail("\(what) hands on \(xs.count) values, expected \(types.count)", span)
            return
        }
        for (x, t) in zip(xs, types) { expect(x, t, "a value of '\(what)'", span) }
    }

    mutating func operands(_ op: IROp, _ span: SourceSpan) {
        guard case .closure(let c) = op else {
            var atoms: [IRAtom] = []
            forEachOperand(op, { atoms.append($0) }, { _ in })
            for a in atoms { use(a, span) }
            return
        }
        scopes.append([])
        for p in c.params { define(p, span) }
        contexts.append(.closure(c.result))
        block(c.body, mustLeave: true)
        contexts.removeLast()
        scopes.removeLast()
    }
}

/// AnalyzeOwnership: which values of a function's IR may be changed in place.
///
/// Requires: a verified IR function body (`VerifyIR`): single assignment,
/// structured control flow, operands in scope.
/// Ensures, for the body given (a function's, or a closure's, whose captures
/// count as borrowed):
///   - `liveAfter(stmt)`: the values still needed after each statement, by the
///     statement's number in a pre-order walk of the body (closure bodies are
///     not part of the walk: each is analyzed on its own). A value used only in
///     one branch of an `if` is dead after its last use on that branch; a value
///     defined outside a loop and used inside is live throughout the loop.
///   - `isOwned(v)`: `v` is the only value that may refer to its buffers, so
///     an operation that changes `v` at its last use may reuse them. Fresh
///     results (literals, built-ins, calls, carried and joined values) are
///     owned; parameters are borrowed, except `inout` ones and the receiver of
///     a `mutating` method; a part taken out of a value (`s.f`, `t.0`, `a[i]`,
///     a payload) is owned only when the whole is owned and not used again
///     except to read other parts or to put the part back (`s.f = …`).
///   - `stateFieldMoves`: the `setField`s on a state that end a chain
///     `x = self.f; x1 = op(x, …); …; self' = setField(self, f, xn)` in one
///     block, where `op`s are built-ins that change their receiver, no call on
///     the state comes between and no other read of `self.f` is still live:
///     the field's buffer is changed in place (`table[k] = v` on a state's map
///     costs one insertion, not a copy of the map), and the `setField` must not
///     release the old value. The chain may go through one struct in the field
///     (`self.cache.entries.append(e)`): `stateFieldMovePaths` names the part.
///   - `stateRoot(v)`: for a value of state type, the value that first named
///     that state in the body (a parameter or a `create`): all versions of one
///     state are one object in the C backends.
///
/// The C backend marks a value's buffers shared (CL_SHARED) wherever it is
/// consumed (stored, returned, carried) while borrowed or still live; together
/// with `isOwned` and `liveAfter` that keeps two values from ever seeing a
/// buffer change under them.

import CleaveIR
import CleaveSema

public struct OwnershipFacts {
    public internal(set) var liveAfter: [Set<IRValue>] = []
    public internal(set) var stateFieldMoves: Set<Int> = []
    /// For a move through a struct in the field, the field of the struct whose buffer changed.
    public internal(set) var stateFieldMovePaths: [Int: [Int]] = [:]
    var owned: [IRValue: Bool] = [:]
    var stateParent: [IRValue: IRValue] = [:]

    public func isLive(_ v: IRValue, after stmt: Int) -> Bool {
        stmt < liveAfter.count ? liveAfter[stmt].contains(v) : true
    }
    public func isOwned(_ v: IRValue) -> Bool { owned[v] ?? false }
    public func stateRoot(_ v: IRValue) -> IRValue {
        var x = v
        while let p = stateParent[x], p != x { x = p }
        return x
    }
}

public enum AnalyzeOwnership {
    /// Values a body reads but does not define.
    public static func freeValues(_ body: IRBlock) -> Set<IRValue> {
        let (defined, used) = OwnershipWalker.definedAndUsed(body)
        return used.subtracting(defined)
    }

    /// What a closure captures: the values its body reads that neither it nor its parameters define.
    public static func captures(_ c: IRClosure) -> Set<IRValue> { freeValues(c.body).subtracting(c.params) }

    /// Every value a body reads, in closures too.
    public static func usedValues(_ body: IRBlock) -> Set<IRValue> { OwnershipWalker.definedAndUsed(body).used }

    /// `ownedParams`: parameters that are owned (inout, a mutating receiver).
    public static func analyze(
        _ body: IRBlock, params: [IRValue], ownedParams: Set<IRValue>, types: @escaping (IRValue) -> Ty,
        isState: @escaping (Ty) -> Bool
    ) -> OwnershipFacts {
        var w = OwnershipWalker(types: types, isState: isState)
        for p in params { w.defs[p] = .param(owned: ownedParams.contains(p)) }
        w.number(body, block: w.newBlock())
        w.facts.liveAfter = Array(repeating: [], count: w.stmts.count)
        var ctx = LiveContext()
        _ = w.live(body, first: 0, ctx: &ctx)
        w.findStateFieldMoves()
        for v in w.defs.keys { _ = w.ownership(v) }
        return w.facts
    }
}

struct LiveContext {
    var yieldLive: [Set<IRValue>] = []
    var loops: [(breakLive: Set<IRValue>, continueLive: Set<IRValue>)] = []
}

struct OwnershipWalker {
    enum Def {
        case param(owned: Bool)
        case op(IROp, stmt: Int, block: Int, index: Int)
        /// Carried, joined, call and state-call results: fresh.
        case fresh
    }
    struct Use {
        let stmt: Int
        let block: Int
        let index: Int
    }

    let types: (IRValue) -> Ty
    let isState: (Ty) -> Bool
    var facts = OwnershipFacts()
    var defs: [IRValue: Def] = [:]
    var uses: [IRValue: [Use]] = [:]
    var stmts: [(stmt: IRStmt, block: Int, index: Int)] = []
    var blocks: [[Int]] = []
    var visiting: Set<IRValue> = []

    mutating func newBlock() -> Int {
        blocks.append([])
        return blocks.count - 1
    }

    mutating func union(_ a: IRValue, _ b: IRAtom) {
        guard case .value(let v) = b, isState(types(v)) || isState(types(a)) else { return }
        let ra = facts.stateRoot(a)
        let rb = facts.stateRoot(v)
        if ra != rb { facts.stateParent[ra] = rb }
    }

    mutating func use(_ a: IRAtom, _ u: Use) {
        if case .value(let v) = a { uses[v, default: []].append(u) }
    }

    // MARK: Numbering, definitions, uses, state classes

    mutating func number(_ block: IRBlock, block id: Int) {
        for (index, s) in block.stmts.enumerated() {
            let n = stmts.count
            stmts.append((s, id, index))
            blocks[id].append(n)
            let u = Use(stmt: n, block: id, index: index)
            let parts = statementParts(s)
            parts.reads.forEach { use($0, u) }
            for c in parts.closures { AnalyzeOwnership.captures(c).forEach { use(.value($0), u) } }
            for d in parts.defines { defs[d] = .fresh }
            switch s.kind {
            case .assign(let results, let op):
                for r in results { defs[r] = .op(op, stmt: n, block: id, index: index) }
                if case .setField(let base, _, _) = op, let r = results.first { union(r, base) }
            case .stateCall(let next, let inoutNext, _, let state, _, let args):
                union(next, state)
                let passed = args.compactMap { a -> IRAtom? in
                    if case .passedInout(let x) = a { return x }
                    return nil
                }
                for (v, x) in zip(inoutNext, passed) { union(v, x) }
            case .ifThen(_, let a, let b, let results):
                joinYields(a, results)
                joinYields(b, results)
                number(a, block: newBlock())
                number(b, block: newBlock())
            case .switchOf(_, let cases, let results):
                for c in cases {
                    joinYields(c, results)
                    number(c, block: newBlock())
                }
            case .loop(let carried, let initial, let body, let results):
                for (c, i) in zip(carried, initial) { union(c, i) }
                for (r, c) in zip(results, carried) { union(r, .value(c)) }
                number(body, block: newBlock())
            default:
                break
            }
        }
    }

    /// Results of an `if`/`switch` join the states its branches yield.
    mutating func joinYields(_ block: IRBlock, _ results: [IRValue]) {
        for s in block.stmts {
            if case .yield(let xs) = s.kind {
                for (r, x) in zip(results, xs) { union(r, x) }
            }
        }
    }

    // MARK: Liveness

    /// Statements in `b`, nested ones included.
    func size(_ b: IRBlock) -> Int { b.stmts.reduce(0) { $0 + 1 + nestedSize($1) } }

    func nestedSize(_ s: IRStmt) -> Int {
        switch s.kind {
        case .ifThen(_, let a, let b, _): size(a) + size(b)
        case .switchOf(_, let cases, _): cases.reduce(0) { $0 + size($1) }
        case .loop(_, _, let body, _): size(body)
        default: 0
        }
    }

    /// Live values at the start of `block`, whose first statement has number `first`;
    /// records `liveAfter` of every statement inside.
    mutating func live(_ block: IRBlock, first: Int, ctx: inout LiveContext) -> Set<IRValue> {
        var numbers: [Int] = []
        var n = first
        for s in block.stmts {
            numbers.append(n)
            n += 1 + nestedSize(s)
        }
        var l: Set<IRValue> = []
        for (s, n) in zip(block.stmts, numbers).reversed() {
            facts.liveAfter[n] = l
            l = liveBefore(s, number: n, after: l, ctx: &ctx)
        }
        return l
    }

    mutating func liveBefore(_ s: IRStmt, number: Int, after l: Set<IRValue>, ctx: inout LiveContext) -> Set<IRValue> {
        var out = l
        func add(_ a: IRAtom) { if case .value(let v) = a { out.insert(v) } }
        switch s.kind {
        case .assign, .stateCall, .createState, .send, .receive:
            let parts = statementParts(s)
            out.subtract(parts.defines)
            parts.reads.forEach(add)
            for c in parts.closures { out.formUnion(AnalyzeOwnership.captures(c)) }
        case .ifThen(let c, let a, let b, let results):
            ctx.yieldLive.append(l.subtracting(results))
            let la = live(a, first: number + 1, ctx: &ctx)
            let lb = live(b, first: number + 1 + size(a), ctx: &ctx)
            ctx.yieldLive.removeLast()
            out = la.union(lb)
            add(c)
        case .switchOf(let subject, let cases, let results):
            var first = number + 1
            ctx.yieldLive.append(l.subtracting(results))
            out = []
            for c in cases {
                out.formUnion(live(c, first: first, ctx: &ctx))
                first += size(c)
            }
            ctx.yieldLive.removeLast()
            add(subject)
        case .loop(let carried, let initial, let body, let results):
            var head: Set<IRValue> = []
            while true {
                ctx.loops.append((l.subtracting(results), head.subtracting(carried)))
                let h = live(body, first: number + 1, ctx: &ctx)
                ctx.loops.removeLast()
                if h.isSubset(of: head) { break }
                head.formUnion(h)
            }
            out = head.subtracting(carried)
            initial.forEach(add)
        case .yield(let xs):
            out = ctx.yieldLive.last ?? []
            xs.forEach(add)
        case .breakLoop(let xs):
            out = ctx.loops.last?.breakLive ?? []
            xs.forEach(add)
        case .continueLoop(let xs):
            out = ctx.loops.last?.continueLive ?? []
            xs.forEach(add)
        case .returnValues(let xs):
            out = []
            xs.forEach(add)
        case .trap(let x):
            out = []
            add(x)
        case .halt:
            out = []
        }
        return out
    }

    func freeValues(_ body: IRBlock) -> Set<IRValue> { AnalyzeOwnership.freeValues(body) }

    static func definedAndUsed(_ body: IRBlock) -> (defined: Set<IRValue>, used: Set<IRValue>) {
        var defined: Set<IRValue> = []
        var used: Set<IRValue> = []
        func visit(_ b: IRBlock) {
            for s in b.stmts {
                let parts = statementParts(s)
                for case .value(let v) in parts.reads { used.insert(v) }
                defined.formUnion(parts.defines)
                for c in parts.closures {
                    defined.formUnion(c.params)
                    visit(c.body)
                }
                parts.nested.forEach(visit)
            }
        }
        visit(body)
        return (defined, used)
    }

    // MARK: Ownership

    var movedFieldReads: Set<IRValue> = []

    func value(_ a: IRAtom) -> IRValue? {
        if case .value(let v) = a { return v }
        return nil
    }

    /// The operation at statement `n`, when it is an assignment.
    func assignment(_ n: Int) -> ([IRValue], IROp)? {
        if case .assign(let rs, let op) = stmts[n].stmt.kind { return (rs, op) }
        return nil
    }

    /// `op` changes its receiver `x` (and reads no other operand that is `x`).
    func changes(_ op: IROp, receiver x: IRValue) -> Bool {
        var operands: [IRAtom] = []
        switch op {
        case .builtin(let name, let args) where name.changesReceiver:
            guard let first = args.first, value(first) == x else { return false }
            operands = Array(args.dropFirst())
        case .setIndex(let base, let key, let element):
            guard value(base) == x else { return false }
            operands = [key, element]
        default:
            return false
        }
        return !operands.contains { value($0) == x }
    }

    func mentionsState(_ s: IRStmt, root: IRValue) -> Bool {
        func isRoot(_ a: IRAtom) -> Bool { value(a).map { facts.stateRoot($0) == root } ?? false }
        switch s.kind {
        case .stateCall(_, _, _, let state, _, let args):
            if isRoot(state) { return true }
            return args.contains {
                switch $0 {
                case .value(let a), .passedInout(let a): isRoot(a)
                }
            }
        case .ifThen(_, let a, let b, _): return (a.stmts + b.stmts).contains { mentionsState($0, root: root) }
        case .switchOf(_, let cases, _): return cases.flatMap(\.stmts).contains { mentionsState($0, root: root) }
        case .loop(_, _, let body, _): return body.stmts.contains { mentionsState($0, root: root) }
        default: return false
        }
    }

    mutating func findStateFieldMoves() {
        for (n, entry) in stmts.enumerated() {
            guard case .assign(let rs, .field(.value(let p), let field)) = entry.stmt.kind, rs.count == 1,
                isState(types(p))
            else { continue }
            let x = rs[0]
            let root = facts.stateRoot(p)
            // Follow the chain of changes to the `setField` that puts the part back.
            var current = x
            var firstChange: Int?
            var end: Int?
            var path: [Int] = []
            // A struct in the field: one of its parts is taken out, changed and put back.
            var rereads: [IRValue] = []
            if let (inner, part, change, reread) = innerChain(
                of: x, field: field, root: root, block: entry.block, after: entry.index)
            {
                current = inner
                path = [part]
                firstChange = change
                rereads = [reread]
            }
            while let us = uses[current], us.count == 1, us[0].block == entry.block, us[0].index > entry.index,
                let (results, op) = assignment(us[0].stmt)
            {
                if case .setField(.value(let q), let f, .value(let r)) = op, r == current, f == field,
                    facts.stateRoot(q) == root, firstChange != nil
                {
                    end = us[0].stmt
                    break
                }
                guard changes(op, receiver: current), let next = results.first else { break }
                if firstChange == nil { firstChange = us[0].stmt }
                current = next
            }
            guard let end, let firstChange else { continue }
            let endIndex = stmts[end].index
            let between = blocks[entry.block].filter { stmts[$0].index > entry.index && stmts[$0].index < endIndex }
            if between.contains(where: { mentionsState(stmts[$0].stmt, root: root) }) { continue }
            let otherReadLive = stmts.indices.contains { m in
                guard m != n, case .assign(let ws, .field(.value(let q), let f)) = stmts[m].stmt.kind, f == field,
                    facts.stateRoot(q) == root, let w = ws.first
                else { return false }
                return facts.isLive(w, after: firstChange)
            }
            if otherReadLive { continue }
            movedFieldReads.insert(x)
            movedFieldReads.formUnion(rereads)
            facts.stateFieldMoves.insert(end)
            if !path.isEmpty { facts.stateFieldMovePaths[end] = path }
        }
    }

    /// For a struct `x` read from a state's field: `y = x.j`, changes of `y` ending in `z`, then
    /// the field read again, `w`, and `r = setField(w, j, z)`, all in one block (how the
    /// lowering writes `self.s.j.append(e)`): `r`, `j`, the first change and `w`.
    func innerChain(of x: IRValue, field: Int, root: IRValue, block: Int, after index: Int) -> (IRValue, Int, Int, IRValue)? {
        guard let us = uses[x], us.count == 1, us[0].block == block, us[0].index > index,
            let (ys, take) = assignment(us[0].stmt), case .field(.value(x), let part) = take, ys.count == 1
        else { return nil }
        var current = ys[0]
        var firstChange: Int?
        while true {
            guard let cu = uses[current], cu.count == 1, cu[0].block == block, let (results, op) = assignment(cu[0].stmt)
            else { return nil }
            if case .setField(.value(let w), part, .value(current)) = op, firstChange != nil, results.count == 1,
                case .assign(_, .field(.value(let q), field))? = defStatement(w).map({ stmts[$0].stmt.kind }),
                facts.stateRoot(q) == root, uses[w]?.count == 1, let firstChange
            {
                return (results[0], part, firstChange, w)
            }
            guard changes(op, receiver: current), let next = results.first else { return nil }
            if firstChange == nil { firstChange = cu[0].stmt }
            current = next
        }
    }

    /// The statement that defines `v`, when an assignment does.
    func defStatement(_ v: IRValue) -> Int? {
        if case .op(_, let n, _, _)? = defs[v] { return n }
        return nil
    }

    mutating func ownership(_ v: IRValue) -> Bool {
        if let o = facts.owned[v] { return o }
        guard !visiting.contains(v) else { return false }
        visiting.insert(v)
        defer { visiting.remove(v) }
        let o: Bool
        switch defs[v] {
        case nil: o = false  // a closure's capture
        case .param(let owned): o = owned
        case .fresh: o = true
        case .op(let op, let n, let block, let index):
            switch op {
            case .copy(.value(let a)):
                o = ownership(a) && !facts.isLive(a, after: n)
            case .field(.value(let p), let i), .tupleElement(.value(let p), let i):
                if isState(types(p)) {
                    o = movedFieldReads.contains(v)
                } else {
                    o = ownership(p) && partTakenLast(p, component: i, at: n, block: block, index: index)
                }
            case .index(.value(let p), _), .enumPayload(.value(let p), _, _), .unwrap(.value(let p)):
                o = !isState(types(p)) && ownership(p) && !facts.isLive(p, after: n)
            case .builtin(.map(.entry), _), .global, .copy:
                o = false
            default:
                o = true
            }
        }
        facts.owned[v] = o
        return o
    }

    /// `p.i` is taken out at statement `n`, and afterwards `p` is only read for other
    /// components or has component `i` replaced, in the same block, then dies.
    func partTakenLast(_ p: IRValue, component i: Int, at n: Int, block: Int, index: Int) -> Bool {
        var last = n
        for u in uses[p] ?? [] where u.stmt != n {
            guard u.block == block, u.index > index, let (_, op) = assignment(u.stmt) else { return false }
            switch op {
            case .field(.value(p), let j), .tupleElement(.value(p), let j):
                if j == i { return false }
            case .setField(.value(p), let j, let x), .setTupleElement(.value(p), let j, let x):
                if j != i || value(x) == p { return false }
            default:
                return false
            }
            last = max(last, u.stmt)
        }
        return !facts.isLive(p, after: last)
    }
}

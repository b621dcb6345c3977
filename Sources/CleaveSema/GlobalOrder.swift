// The order in which global constants are computed.
//
// A global may be declared after the globals and functions that use it, and its
// initializer may call functions that read other globals:
//
//     let zone = readZone(embed("example.zone"))   // readZone reads typeA
//     let typeA: UInt16 = 1
//
// so declaration order is not an order in which they can be computed. A global is
// computed after every global its initializer reads, directly or through the
// functions (and closures) it calls, transitively; among globals that do not depend
// on each other, declaration order is kept. A global that needs its own value, through
// any chain of calls and other globals, has no such order: the checker reports it
// (`global-cycle`), with the chain as notes.

import CleaveDiagnostics

/// The globals of `program` in an order they can be computed in (indices into `program.globals`),
/// or a cycle: the globals (and the functions between them) from one global back to itself.
public func globalInitializationOrder(_ program: TypedProgram) -> Result<[Int], GlobalCycle> {
    var graph = GlobalDependencyGraph(program)
    return graph.order()
}

/// A global that needs its own value: the path from it back to itself.
public struct GlobalCycle: Error {
    /// The globals on the cycle, the first repeated at the end.
    public let globals: [Int]
}

struct GlobalDependencyGraph {
    let program: TypedProgram
    /// What each function reads and calls, directly (its body and the closures in it).
    var direct: [Int: (globals: Set<Int>, functions: Set<Int>)] = [:]

    init(_ program: TypedProgram) {
        self.program = program
    }

    /// The globals `g`'s initializer reads, directly or through the functions it calls.
    mutating func dependencies(of g: Int) -> Set<Int> {
        var refs = References()
        refs.expr(program.globals[g].value)
        var globals = refs.globals
        var pending = Array(refs.functions)
        var seen = refs.functions
        while let f = pending.popLast() {
            let d = directReferences(of: f)
            globals.formUnion(d.globals)
            for callee in d.functions where seen.insert(callee).inserted { pending.append(callee) }
        }
        return globals
    }

    mutating func directReferences(of f: Int) -> (globals: Set<Int>, functions: Set<Int>) {
        if let known = direct[f] { return known }
        var refs = References()
        if let body = program.functions[f].body { refs.block(body) }
        direct[f] = (refs.globals, refs.functions)
        return (refs.globals, refs.functions)
    }

    mutating func order() -> Result<[Int], GlobalCycle> {
        let count = program.globals.count
        let edges = (0..<count).map { dependencies(of: $0).sorted() }
        var order: [Int] = []
        var state = [UInt8](repeating: 0, count: count)  // 0: not seen, 1: on the path, 2: done
        var path: [Int] = []
        // Depth first, iteratively: a chain of globals is as long as the program makes it.
        for root in 0..<count where state[root] == 0 {
            var stack: [(node: Int, next: Int)] = [(root, 0)]
            state[root] = 1
            path.append(root)
            while let top = stack.last {
                if top.next < edges[top.node].count {
                    stack[stack.count - 1].next += 1
                    let d = edges[top.node][top.next]
                    if state[d] == 1 {
                        let start = path.firstIndex(of: d) ?? 0
                        return .failure(GlobalCycle(globals: Array(path[start...]) + [d]))
                    }
                    if state[d] == 0 {
                        state[d] = 1
                        path.append(d)
                        stack.append((d, 0))
                    }
                } else {
                    state[top.node] = 2
                    order.append(top.node)
                    path.removeLast()
                    stack.removeLast()
                }
            }
        }
        return .success(order)
    }
}

/// The globals and functions a piece of code names.
private struct References {
    var globals: Set<Int> = []
    var functions: Set<Int> = []

    mutating func block(_ b: TBlock) {
        for s in b.stmts { stmt(s) }
    }

    mutating func stmt(_ s: TStmt) {
        switch s.kind {
        case .binding(_, let e), .expr(let e): expr(e)
        case .assign(let target, _, let value):
            expr(target)
            expr(value)
        case .ifStmt(let conds, let a, let b):
            conditions(conds)
            block(a)
            if let b { block(b) }
        case .guardStmt(let conds, let body), .whileStmt(let conds, let body):
            conditions(conds)
            block(body)
        case .forStmt(_, let iteration, let body):
            switch iteration {
            case .range(let a, let b, _):
                expr(a)
                expr(b)
            case .array(let e), .bytes(let e), .map(let e): expr(e)
            }
            block(body)
        case .loopStmt(let body): block(body)
        case .switchStmt(let subject, let cases):
            expr(subject)
            for c in cases {
                c.patterns.forEach { pattern($0) }
                if let g = c.guardExpr { expr(g) }
                block(c.body)
            }
        case .returnStmt(let e): if let e { expr(e) }
        case .breakStmt, .continueStmt: break
        }
    }

    mutating func conditions(_ conds: [TCondition]) {
        for c in conds {
            switch c {
            case .bool(let e), .unwrap(_, let e): expr(e)
            }
        }
    }

    mutating func pattern(_ p: TPattern) {
        switch p {
        case .wildcard, .bind: break
        case .enumCase(_, _, let ps), .tuple(let ps): ps.forEach { pattern($0) }
        case .value(let e): expr(e)
        case .range(let a, let b, _):
            expr(a)
            expr(b)
        }
    }

    mutating func expr(_ e: TExpr) {
        switch e.kind {
        case .global(let g): globals.insert(g.index)
        case .call(let f, _), .methodCall(_, let f, _), .initCall(_, let f, _), .functionRef(let f):
            functions.insert(f.index)
        case .closure(let c): block(c.body)
        default: break
        }
        var children: [TExpr] = []
        e.forEachChild { children.append($0) }
        for c in children { expr(c) }
    }
}

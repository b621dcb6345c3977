// Building the dataflow graph of a function from its IR.
//
// One walk over the structured IR: every statement becomes a node (copies become
// nothing: a copied value keeps its producer), every operand that is a value
// becomes an edge from the node that produced it. An `if` becomes a `branch`
// node taking the condition, the nodes of each branch in a scope of their own
// with a control edge from the branch node, and a `merge` node taking the values
// each branch yields. A loop becomes a `loopEntry` node (initial values in,
// each iteration's `continue` values back in, carried values out), a body scope,
// and a `loopExit` node taking the `break` values. A closure is one node whose
// inputs are the values its body reads from around it.

import CleaveDiagnostics
import CleaveIR
import CleaveSema
import Foundation

public enum BuildGraph {
    /// The graph of one lowered function.
    public static func build(_ f: IRFunction, in program: IRProgram) -> DataflowGraph {
        var b = GraphBuilder(function: f, program: program)
        return b.run()
    }
}

struct GraphBuilder {
    let function: IRFunction
    let program: IRProgram
    var graph: DataflowGraph
    /// The node output that produced each value: (node, output index).
    var producer: [IRValue: (NodeID, Int)] = [:]
    var scope: ScopeID = ScopeID(index: 0)

    /// Where `yield`, `break` and `continue` deliver their values.
    enum Target {
        case merge(NodeID?, way: Int, width: Int)
        case loop(entry: NodeID, results: [IRValue], carriedCount: Int)
    }
    var targets: [Target] = []
    /// Each loop's exit node, made at its first `break` (a loop that never breaks has none).
    var loopExits: [NodeID: NodeID] = [:]
    /// How many `break`s and `continue`s of each loop are connected so far. Like the ways
    /// of a `merge`, each one binds inputs of its own: the k-th `continue` the inputs after
    /// the initial values and those of the k earlier ones, the k-th `break` likewise.
    var breaks: [NodeID: Int] = [:]
    var continues: [NodeID: Int] = [:]

    init(function: IRFunction, program: IRProgram) {
        self.function = function
        self.program = program
        self.graph = DataflowGraph(function: function.name, span: function.span)
    }

    mutating func run() -> DataflowGraph {
        graph.scopes.append(GraphScope(id: ScopeID(index: 0), kind: .function, parent: nil, opener: nil))
        for (i, p) in function.params.enumerated() {
            let n = addNode(.parameter(index: i), label: function.info(p).name ?? "%\(p.id)", span: function.info(p).span)
            producer[p] = (n, 0)
        }
        block(function.body)
        addControlEdges()
        return graph
    }

    /// A node inside a branch or loop body runs when what opened the scope says so. It
    /// gets a control edge from the opener unless an input from its own scope already
    /// orders it after the opener (so the picture shows control where it matters).
    mutating func addControlEdges() {
        var fedFromOwnScope: Set<NodeID> = []
        for e in graph.edges where e.kind != .control && graph.nodes[e.from.index].scope == graph.nodes[e.to.index].scope {
            fedFromOwnScope.insert(e.to)
        }
        for n in graph.nodes {
            guard let opener = graph.scopes[n.scope.index].opener, !fedFromOwnScope.contains(n.id) else { continue }
            graph.edges.append(GraphEdge(from: opener, fromPort: 0, to: n.id, port: 0, kind: .control, type: .void, isBackEdge: false))
        }
    }

    // MARK: Nodes and edges

    func isState(_ t: Ty) -> Bool {
        if case .nominal(let id) = t { return program.typed.type(id).kind == .state }
        return false
    }

    func stateName(_ a: IRAtom) -> String? {
        if case .value(let v) = a { return function.info(v).name }
        return nil
    }

    mutating func addNode(_ kind: GraphNode.Kind, label: String, span: SourceSpan, stateName: String? = nil) -> NodeID {
        let id = NodeID(index: graph.nodes.count)
        graph.nodes.append(GraphNode(id: id, kind: kind, scope: scope, label: label, span: span, stateName: stateName))
        return id
    }

    mutating func connect(_ a: IRAtom, to node: NodeID, port: Int, backEdge: Bool = false) {
        guard case .value(let v) = a, let (from, output) = producer[v] else { return }
        let t = function.info(v).type
        graph.edges.append(
            GraphEdge(from: from, fromPort: output, to: node, port: port, kind: isState(t) ? .state : .data, type: t, isBackEdge: backEdge))
    }

    mutating func produce(_ values: [IRValue], by node: NodeID) {
        for (i, v) in values.enumerated() { producer[v] = (node, i) }
        graph.nodes[node.index].outputs = values.map { function.info($0).type }
    }

    mutating func openScope(_ kind: GraphScope.Kind, opener: NodeID) -> ScopeID {
        let id = ScopeID(index: graph.scopes.count)
        graph.scopes.append(GraphScope(id: id, kind: kind, parent: scope, opener: opener))
        return id
    }

    mutating func inScope(_ s: ScopeID, _ body: (inout GraphBuilder) -> Void) {
        let saved = scope
        scope = s
        body(&self)
        scope = saved
    }

    /// The source text of a span: its first line, at most 40 characters.
    func label(_ span: SourceSpan) -> String {
        // Only the first bytes are read, enough for 40 characters: the span of an operation
        // covers its operands, and in a long chain `a + b + …` each one nearly the whole chain.
        let start = SourceSpan(file: span.file, start: span.start, end: min(span.end, span.start + 256))
        let first = span.file.text(of: start).split(separator: "\n").first.map(String.init) ?? ""
        let text = first.replacingOccurrences(of: "\t", with: " ").trimmingCharacters(in: .whitespaces)
        return text.count > 40 ? String(text.prefix(39)) + "…" : text
    }

    // MARK: Statements

    mutating func block(_ b: IRBlock) {
        for s in b.stmts { stmt(s) }
    }

    mutating func stmt(_ s: IRStmt) {
        let span = s.span
        switch s.kind {
        case .assign(let results, let op):
            if case .copy(let a) = op, case .value(let v) = a, let p = producer[v], results.count == 1 {
                producer[results[0]] = p
                return
            }
            let (kind, inputs) = describe(op)
            let n = addNode(kind, label: label(span), span: span)
            for (i, a) in inputs.enumerated() { connect(a, to: n, port: i) }
            produce(results, by: n)
        case .stateCall(let next, let inoutNext, let result, let state, let method, let args):
            guard case .nominal(let t) = function.info(next).type else { return }
            let n = addNode(.stateCall(state: t, method: method), label: label(span), span: span, stateName: stateName(state))
            connect(state, to: n, port: 0)
            for (i, a) in args.enumerated() {
                switch a {
                case .value(let x), .passedInout(let x): connect(x, to: n, port: i + 1)
                }
            }
            produce([next] + inoutNext + (result.map { [$0] } ?? []), by: n)
        case .createState(let v, let t, _, let args):
            let n = addNode(.createState(t), label: label(span), span: span, stateName: function.info(v).name)
            for (i, a) in args.enumerated() { connect(a, to: n, port: i) }
            produce([v], by: n)
        case .ifThen(let c, let a, let b, let results):
            branching(c, [a, b], results, span: span, isSwitch: false)
        case .switchOf(let subject, let cases, let results):
            branching(subject, cases, results, span: span, isSwitch: true)
        case .loop(let carried, let initial, let body, let results):
            let entry = addNode(.loopEntry, label: "loop", span: span)
            for (i, a) in initial.enumerated() { connect(a, to: entry, port: i) }
            produce(carried, by: entry)
            let bodyScope = openScope(.loopBody, opener: entry)
            targets.append(.loop(entry: entry, results: results, carriedCount: carried.count))
            inScope(bodyScope) { $0.block(body) }
            targets.removeLast()
        case .yield(let xs):
            guard case .merge(let m?, let way, let width)? = targets.last else { return }
            for (i, x) in xs.enumerated() { connect(x, to: m, port: way * width + i + 1) }
        case .breakLoop(let xs):
            guard let (entry, results, _) = innermostLoop() else { return }
            let exit = loopExit(of: entry, results: results, span: span)
            let k = breaks[entry, default: 0]
            breaks[entry] = k + 1
            for (i, x) in xs.enumerated() { connect(x, to: exit, port: k * xs.count + i) }
        case .continueLoop(let xs):
            guard let (entry, _, count) = innermostLoop() else { return }
            let k = continues[entry, default: 0]
            continues[entry] = k + 1
            for (i, x) in xs.enumerated() { connect(x, to: entry, port: count + k * xs.count + i, backEdge: true) }
        case .returnValues(let xs):
            let text = label(span)
            let n = addNode(.returnValues, label: text.hasPrefix("return") ? text : "return", span: span)
            for (i, x) in xs.enumerated() { connect(x, to: n, port: i) }
        case .trap(let m):
            let n = addNode(.trap, label: label(span), span: span)
            connect(m, to: n, port: 0)
        case .halt:
            _ = addNode(.trap, label: "halt", span: span)
        case .send(let c, let x):
            let n = addNode(.send(channel: c), label: "send #\(c)", span: span)
            connect(x, to: n, port: 0)
        case .receive(let c, let v):
            let n = addNode(.receive(channel: c), label: "receive #\(c)", span: span)
            produce([v], by: n)
        }
    }

    func innermostLoop() -> (NodeID, [IRValue], Int)? {
        for t in targets.reversed() {
            if case .loop(let entry, let results, let count) = t { return (entry, results, count) }
        }
        return nil
    }

    /// The exit node of the loop opened by `entry`, in the loop's own scope.
    mutating func loopExit(of entry: NodeID, results: [IRValue], span: SourceSpan) -> NodeID {
        if let exit = loopExits[entry] { return exit }
        let saved = scope
        scope = graph.nodes[entry.index].scope
        let exit = addNode(.loopExit, label: "loop exit", span: graph.nodes[entry.index].span)
        scope = saved
        produce(results, by: exit)
        loopExits[entry] = exit
        return exit
    }

    /// A `branch` node, one scope per way, and a `merge` node for the results.
    mutating func branching(_ decision: IRAtom, _ ways: [IRBlock], _ results: [IRValue], span: SourceSpan, isSwitch: Bool) {
        let text = label(span)
        let keyword = ["if ", "guard ", "while "].contains { text.hasPrefix($0) }
        let title = isSwitch ? "switch" : keyword ? text : "if " + text
        let b = addNode(.branch(ways: ways.count), label: title, span: span)
        connect(decision, to: b, port: 0)
        let merge = results.isEmpty ? nil : addNode(.merge, label: "merge", span: span)
        if let merge {
            graph.edges.append(GraphEdge(from: b, fromPort: 0, to: merge, port: 0, kind: .control, type: .void, isBackEdge: false))
            produce(results, by: merge)
        }
        for (i, w) in ways.enumerated() {
            let s = openScope(.branch(index: i), opener: b)
            targets.append(.merge(merge, way: i, width: results.count))
            inScope(s) { $0.block(w) }
            targets.removeLast()
        }
    }

    /// The node kind of an operation and its value inputs.
    mutating func describe(_ op: IROp) -> (GraphNode.Kind, [IRAtom]) {
        switch op {
        case .copy(let a): return (.value("copy"), [a])
        case .unary(let o, let a): return (.unaryOperator(o.rawValue), [a])
        case .binary(let o, let a, let b): return (.binaryOperator(o.rawValue), [a, b])
        case .builtin(let name, let xs): return (.builtin(name.description), xs)
        case .call(let f, let xs), .method(let f, let xs):
            if case .c(let isSystem) = program.typed.function(f).kind { return (.cCall(f, isSystem: isSystem), xs) }
            return (.call(f), xs)
        case .field(let a, _): return (.value("field"), [a])
        case .setField(let a, _, let v): return (.value("setField"), [a, v])
        case .tupleElement(let a, _): return (.value("element"), [a])
        case .setTupleElement(let a, _, let v): return (.value("setElement"), [a, v])
        case .tuple(let xs): return (.value("tuple"), xs)
        case .array(let xs): return (.value("array"), xs)
        case .mapLiteral(let entries): return (.value("map"), entries.flatMap { [$0.0, $0.1] })
        case .index(let a, let i): return (.value("index"), [a, i])
        case .setIndex(let a, let i, let v): return (.value("setIndex"), [a, i, v])
        case .slice(let a, let l, let h, _): return (.value("slice"), [a, l, h])
        case .memberwise(let t, let xs): return (.value(program.typed.type(t).name), xs)
        case .enumCase(let t, let c, let xs): return (.value("\(program.typed.type(t).name).\(program.typed.type(t).cases[c].name)"), xs)
        case .enumTag(let a): return (.value("tag"), [a])
        case .enumPayload(let a, _, _): return (.value("payload"), [a])
        case .wrapOptional(let a): return (.value("some"), [a])
        case .unwrap(let a): return (.value("unwrap"), [a])
        case .isSome(let a): return (.value("isSome"), [a])
        case .interpolate(let parts):
            return (.value("interpolate"), parts.compactMap { if case .value(let x) = $0 { x } else { nil } })
        case .global(let g): return (.value("global \(program.typed.globals[g.index].name)"), [])
        case .closure(let c): return (.closure, captures(c).map { .value($0) })
        case .callClosure(let f, let xs): return (.callClosure, [f] + xs)
        case .functionRef(let f): return (.value("function \(program.typed.function(f).name)"), [])
        }
    }

    /// The values a closure's body reads from around it, in order of first use.
    func captures(_ c: IRClosure) -> [IRValue] {
        var inside = Set(c.params)
        var found: [IRValue] = []
        var seen: Set<IRValue> = []
        func atom(_ a: IRAtom) {
            if case .value(let v) = a, !inside.contains(v), producer[v] != nil, seen.insert(v).inserted { found.append(v) }
        }
        func visit(_ b: IRBlock) {
            for s in b.stmts {
                switch s.kind {
                case .assign(let results, let op):
                    forEachOperand(op, atom, visit)
                    results.forEach { inside.insert($0) }
                case .ifThen(let c, let a, let b, let r):
                    atom(c)
                    visit(a)
                    visit(b)
                    r.forEach { inside.insert($0) }
                case .switchOf(let c, let cases, let r):
                    atom(c)
                    cases.forEach(visit)
                    r.forEach { inside.insert($0) }
                case .loop(let carried, let initial, let body, let r):
                    initial.forEach(atom)
                    carried.forEach { inside.insert($0) }
                    visit(body)
                    r.forEach { inside.insert($0) }
                case .yield(let xs), .breakLoop(let xs), .continueLoop(let xs), .returnValues(let xs): xs.forEach(atom)
                case .trap(let m), .send(_, let m): atom(m)
                case .receive(_, let v): inside.insert(v)
                case .stateCall, .createState, .halt: break  // closures make no state calls
                }
            }
        }
        visit(c.body)
        return found
    }
}

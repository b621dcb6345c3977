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
//
// Labels are for a reader of the source: a node is labelled with the source text
// it stands for, or, where lowering made it and the text would name another node
// as well, with what it does in the source's names (`stack.recv() != nil`,
// `merge input`, `fields of request`). No label shows an IR value's name.
//
// After defunctionalization a call on a state is three operations: its call value
// `c = SCall.m(a)`, `(s1, res) = s0.process(c)`, and taking the fields of `res`.
// Given the enums defunctionalization made (`StateCallEnums`), the graph draws the
// three as the one call they stand for: a node of method `m` whose inputs are the
// state and `a` and whose outputs are the next state and the fields of the result.
// A call value sent to another component becomes part of its `send` node. So a
// call written once in the source is one node, wherever the program has moved it.

import CleaveDiagnostics
import CleaveIR
import CleaveSema
import Foundation

/// What defunctionalization made for one state type: the enum a call is a case of, the
/// enum its result is a case of, the method `process` that runs a call, and the method
/// behind each case of the call enum, in case order.
public struct StateCallEnums: Sendable {
    public let callType: TypeID
    public let resultType: TypeID
    public let process: FunctionID
    public let methods: [FunctionID]

    public init(callType: TypeID, resultType: TypeID, process: FunctionID, methods: [FunctionID]) {
        self.callType = callType
        self.resultType = resultType
        self.process = process
        self.methods = methods
    }
}

public enum BuildGraph {
    /// The graph of one lowered function; with `calls`, what defunctionalization made, each
    /// call through a state's `process` method is drawn as the call it stands for.
    public static func build(_ f: IRFunction, in program: IRProgram, calls: [StateCallEnums] = []) -> DataflowGraph {
        var b = GraphBuilder(function: f, program: program, calls: calls)
        return b.run()
    }

    /// The source text of a span as a label: its first line without a block's opening
    /// brace, at most 40 characters.
    public static func sourceText(_ span: SourceSpan) -> String {
        // Only the first bytes are read, enough for 40 characters: the span of an operation
        // covers its operands, and in a long chain `a + b + …` each one nearly the whole chain.
        let start = SourceSpan(file: span.file, start: span.start, end: min(span.end, span.start + 256))
        let first = span.file.text(of: start).split(separator: "\n").first.map(String.init) ?? ""
        var text = first.replacingOccurrences(of: "\t", with: " ").trimmingCharacters(in: .whitespaces)
        if text.hasSuffix("{") { text = String(text.dropLast()).trimmingCharacters(in: .whitespaces) }
        return text.count > 40 ? String(text.prefix(39)) + "…" : text
    }
}

/// The call values and results of defunctionalized calls that the graph folds into the
/// node of the call: found by one walk before the graph is built.
struct CallFolding {
    typealias Call = (enums: StateCallEnums, caseIndex: Int, args: [IRAtom])
    /// Call values `SCall.m(a)` read once, by the `process` call on a state of that type or by
    /// a `send`, with the enums of their state and their case.
    var callValues: [IRValue: Call] = [:]
    /// Results of `process` calls read only by taking their fields.
    var results: Set<IRValue> = []

    init(_ f: IRFunction, _ calls: [StateCallEnums]) {
        guard !calls.isEmpty else { return }
        var uses: [IRValue: Int] = [:]
        var made: [IRValue: Call] = [:]
        var foldableUse: Set<IRValue> = []
        var processResults: Set<IRValue> = []
        var fieldReads: [IRValue: Int] = [:]
        func visit(_ b: IRBlock) {
            for s in b.stmts {
                let parts = statementParts(s)
                for case .value(let v) in parts.reads { uses[v, default: 0] += 1 }
                switch s.kind {
                case .assign(let results, .enumCase(let t, let k, let xs)):
                    if results.count == 1, let enums = calls.first(where: { $0.callType == t }) { made[results[0]] = (enums, k, xs) }
                case .assign(_, .enumPayload(.value(let r), _, _)):
                    fieldReads[r, default: 0] += 1
                case .stateCall(_, _, let result, _, let method, let args):
                    guard let enums = calls.first(where: { $0.process == method }), args.count == 1,
                        case .value(.value(let c)) = args[0]
                    else { break }
                    if made[c]?.enums.callType == enums.callType { foldableUse.insert(c) }
                    if let result { processResults.insert(result) }
                case .send(_, .value(let c)):
                    foldableUse.insert(c)
                default:
                    break
                }
                parts.nested.forEach(visit)
                parts.closures.forEach { visit($0.body) }
            }
        }
        visit(f.body)
        callValues = made.filter { uses[$0.key] == 1 && foldableUse.contains($0.key) }
        results = processResults.filter { uses[$0, default: 0] == fieldReads[$0, default: 0] }
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

    /// The call values and results folded into the nodes of their calls.
    let folding: CallFolding
    /// The node of the call each folded result comes from: its fields are outputs of that node.
    var resultNodes: [IRValue: NodeID] = [:]
    /// The node taking the fields of one case of a value in one scope: each field is an output.
    struct FieldsKey: Hashable {
        let subject: IRValue
        let caseIndex: Int
        let scope: ScopeID
    }
    var fieldNodes: [FieldsKey: NodeID] = [:]

    init(function: IRFunction, program: IRProgram, calls: [StateCallEnums]) {
        self.function = function
        self.program = program
        self.graph = DataflowGraph(function: function.name, span: function.span)
        self.folding = CallFolding(function, calls)
    }

    mutating func run() -> DataflowGraph {
        graph.scopes.append(GraphScope(id: ScopeID(index: 0), kind: .function, parent: nil, opener: nil))
        for (i, p) in function.params.enumerated() {
            let n = addNode(.parameter(index: i), label: function.info(p).name ?? "parameter \(i + 1)", span: function.info(p).span)
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

    /// One more output of `node`: the value `v`.
    mutating func addOutput(_ v: IRValue, to node: NodeID) {
        producer[v] = (node, graph.nodes[node.index].outputs.count)
        graph.nodes[node.index].outputs.append(function.info(v).type)
    }

    /// How a label names an operand: the source variable's name, else the label of the node
    /// that made it.
    func name(_ a: IRAtom) -> String {
        guard case .value(let v) = a else { return "a constant" }
        if let n = function.info(v).name { return n }
        if let (p, _) = producer[v] { return graph.nodes[p.index].label }
        return "a value"
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

    func label(_ span: SourceSpan) -> String { BuildGraph.sourceText(span) }

    /// The label of an operation: its source text, or what it does where lowering made it
    /// from source that names another node too (an `if let`, a `??`, a `switch` on a case).
    func label(_ op: IROp, _ span: SourceSpan) -> String {
        switch op {
        case .isSome(let a): "\(name(a)) != nil"
        case .unwrap(let a): "\(name(a))!"
        case .enumTag(let a): "case of \(name(a))"
        default: label(span)
        }
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
            if results.count == 1, folding.callValues[results[0]] != nil {
                return  // drawn as part of the call or the send that reads it
            }
            if case .enumPayload(.value(let subject), let k, _) = op, results.count == 1 {
                takeField(results[0], of: subject, caseIndex: k, span: span)
                return
            }
            let (kind, inputs) = describe(op)
            let n = addNode(kind, label: label(op, span), span: span)
            for (i, a) in inputs.enumerated() { connect(a, to: n, port: i) }
            produce(results, by: n)
        case .stateCall(let next, let inoutNext, let result, let state, var method, var args):
            guard case .nominal(let t) = function.info(next).type else { return }
            // A folded call value: the call it stands for, with its arguments.
            if args.count == 1, case .value(.value(let c)) = args[0], let call = folding.callValues[c] {
                method = call.enums.methods[call.caseIndex]
                args = call.args.map { .value($0) }
            }
            let n = addNode(.stateCall(state: t, method: method), label: label(span), span: span, stateName: stateName(state))
            connect(state, to: n, port: 0)
            for (i, a) in args.enumerated() {
                switch a {
                case .value(let x), .passedInout(let x): connect(x, to: n, port: i + 1)
                }
            }
            if let result, folding.results.contains(result) {
                produce([next] + inoutNext, by: n)
                resultNodes[result] = n
            } else {
                produce([next] + inoutNext + (result.map { [$0] } ?? []), by: n)
            }
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
            let n = addNode(.send(channel: c), label: "send", span: span)
            if case .value(let v) = x, let call = folding.callValues[v] {
                for (i, a) in call.args.enumerated() { connect(a, to: n, port: i) }
            } else {
                connect(x, to: n, port: 0)
            }
        case .receive(let c, let v):
            let n = addNode(.receive(channel: c), label: "receive", span: span)
            produce([v], by: n)
        }
    }

    /// `v` is field of case `caseIndex` of `subject`: an output of the call whose result the
    /// subject is, or of the one node taking the fields of that case in this scope.
    mutating func takeField(_ v: IRValue, of subject: IRValue, caseIndex: Int, span: SourceSpan) {
        if let n = resultNodes[subject] {
            addOutput(v, to: n)
            return
        }
        let key = FieldsKey(subject: subject, caseIndex: caseIndex, scope: scope)
        if let n = fieldNodes[key] {
            addOutput(v, to: n)
            return
        }
        var caseName = ""
        if case .nominal(let t) = function.info(subject).type, program.typed.type(t).cases.indices.contains(caseIndex) {
            caseName = " (case \(program.typed.type(t).cases[caseIndex].name))"
        }
        let n = addNode(.value("payload"), label: "fields of \(name(.value(subject)))\(caseName)", span: span)
        connect(.value(subject), to: n, port: 0)
        fieldNodes[key] = n
        addOutput(v, to: n)
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
        var title = isSwitch ? "switch" : keyword ? text : "if " + text
        // The test an `if let` or a `??` makes first: whether its value is there.
        if case .value(let d) = decision, let (p, _) = producer[d], graph.nodes[p.index].kind == .value("isSome") {
            title = "if " + graph.nodes[p.index].label
        }
        let b = addNode(.branch(ways: ways.count), label: title, span: span)
        connect(decision, to: b, port: 0)
        let names = results.compactMap { function.info($0).name }
        let merge =
            results.isEmpty ? nil : addNode(.merge, label: names.isEmpty ? "merge" : "merge " + names.joined(separator: ", "), span: span)
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

// The graph verifier: the invariants of a dataflow graph.
//
//  * No dangling edges: every edge joins two nodes of the graph.
//  * Every input is bound once: no two data or state edges feed the same input.
//  * Control comes from control nodes: control edges start at a `branch` or
//    `loopEntry` node, and back edges end at a `loopEntry` node.
//  * State threads: in each scope, a version of a state is advanced by at most one
//    operation — one that makes the state's next version (a call on it, a change
//    of one of its fields) or returns it — so the state edges of one state form a
//    single chain through each scope. Reading a field does not advance the thread,
//    and joins (`merge`, `loopEntry`, `loopExit`) only pass versions on.
//
// A violation is a compiler bug, reported as an internal error naming the stage.

import CleaveSema

public enum VerifyGraph {
    public static func verify(_ g: DataflowGraph) -> [String] {
        var problems: [String] = []
        let count = g.nodes.count
        var bound: Set<[Int]> = []
        var stateUses: [[Int]: [NodeID]] = [:]  // [from, output, scope] -> operations advancing it
        for e in g.edges {
            guard e.from.index >= 0 && e.from.index < count && e.to.index >= 0 && e.to.index < count else {
                problems.append("edge \(e.from) -> \(e.to) joins a node that does not exist")
                continue
            }
            let to = g.node(e.to)
            switch e.kind {
            case .control:
                switch g.node(e.from).kind {
                case .branch, .loopEntry: break
                default: problems.append("control edge \(e.from) -> \(e.to) does not start at a branch or loop entry")
                }
            case .data, .state:
                if !bound.insert([e.to.index, e.port]).inserted {
                    problems.append("input \(e.port) of \(e.to) is bound more than once")
                }
                if e.isBackEdge, to.kind != .loopEntry {
                    problems.append("back edge \(e.from) -> \(e.to) does not end at a loop entry")
                }
                if e.kind == .state && !isJoin(to.kind) && (to.kind == .returnValues || to.outputs.contains(e.type)) {
                    stateUses[[e.from.index, e.fromPort, to.scope.index], default: []].append(e.to)
                }
            }
        }
        for (key, users) in stateUses.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) where Set(users).count > 1 {
            let from = g.node(NodeID(index: key[0]))
            problems.append(
                "the state version made by \(from.id) ('\(from.label)') is used by \(Set(users).count) operations in one scope: "
                    + Set(users).sorted().map { "\($0)" }.joined(separator: ", "))
        }
        return problems
    }

    static func isJoin(_ k: GraphNode.Kind) -> Bool {
        switch k {
        case .merge, .loopEntry, .loopExit: true
        default: false
        }
    }
}

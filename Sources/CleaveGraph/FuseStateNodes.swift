// The state-local graph: one node per state per scope.
//
// After defunctionalization every call on a state is a call of its `process`
// method, fed by a call value, so all the calls on one state in one scope can
// be one node: it reads its calls in program order and hands out the results
// in the same order. This transformation draws that node, from a graph where
// each call through `process` is drawn as the call it stands for (`BuildGraph`
// given the enums defunctionalization made), so the node's inputs are the
// calls' arguments and its outputs their results. The calls on
// a state in a loop body (or the function's body), including those inside the
// branches of an `if` or `switch` there, become one node in that scope; each
// branch that holds some of them sends its decision to the node (a control
// edge), which is how the node knows which calls to expect. An inner loop is a
// scope of its own, with its own node.
//
// Inputs and outputs of the fused node are numbered in program order: the
// inputs of the first call, then the second's, and so on. The versions of the
// state that passed from one of the calls to the next (directly or through a
// branch's merge) now stay inside the node and are not drawn; the state enters
// the node from where the scope gets it (the loop entry, its creation) and
// leaves it for the next iteration or the scope's end. A later call's argument
// can be made from an earlier call's result (`device.send(reply(datagram))`
// after `device.receive()`): such an edge goes from below the node back into it,
// and the DOT output draws it upward, apart from the ranking.

import CleaveSema

public enum FuseStateNodes {
    public static func fuse(_ g: DataflowGraph) -> DataflowGraph {
        // The scope a state's calls gather in: the nearest loop body or function body.
        func home(_ s: ScopeID) -> ScopeID {
            var x = s
            while case .branch = g.scope(x).kind, let p = g.scope(x).parent { x = p }
            return x
        }
        struct Key: Hashable {
            let state: String
            let scope: ScopeID
        }
        var groups: [Key: [NodeID]] = [:]
        var order: [Key] = []
        for n in g.nodes {
            guard case .stateCall = n.kind, let name = n.stateName else { continue }
            let key = Key(state: name, scope: home(n.scope))
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(n.id)
        }
        // New numbering: the first call of each group stands for the group.
        var representative: [NodeID: NodeID] = [:]
        for key in order {
            let members = groups[key]!
            for m in members { representative[m] = members[0] }
        }
        var newID: [NodeID: NodeID] = [:]
        var nodes: [GraphNode] = []
        for n in g.nodes where representative[n.id] == nil || representative[n.id] == n.id {
            let id = NodeID(index: nodes.count)
            newID[n.id] = id
            var node = n
            if let key = order.first(where: { groups[$0]![0] == n.id }) {
                let members = groups[key]!
                let label =
                    members.count == 1 ? n.label : "\(members.count) calls: " + members.map { g.node($0).label }.joined(separator: "; ")
                node = GraphNode(id: id, kind: n.kind, scope: key.scope, label: label, span: n.span, stateName: n.stateName)
                node.outputs = members.flatMap { g.node($0).outputs }
                if members.count > 1 {
                    node.fusedMethods = members.compactMap {
                        if case .stateCall(_, let m) = g.node($0).kind { m } else { nil }
                    }
                }
            } else {
                node = GraphNode(id: id, kind: n.kind, scope: n.scope, label: n.label, span: n.span, stateName: n.stateName)
                node.outputs = n.outputs
            }
            nodes.append(node)
        }
        // Ports of the fused node: the members' ports in program order.
        var inputOffset: [NodeID: Int] = [:]
        var outputOffset: [NodeID: Int] = [:]
        for key in order {
            var i = 0
            var o = 0
            for m in groups[key]! {
                inputOffset[m] = i
                outputOffset[m] = o
                i += (g.inputs(of: m).map(\.port).max() ?? -1) + 1
                o += g.node(m).outputs.count
            }
        }
        let fusedState: Set<NodeID> = Set(order.map { groups[$0]![0] })
        var edges: [GraphEdge] = []
        var seen: Set<GraphEdge> = []
        func add(_ e: GraphEdge) { if seen.insert(e).inserted { edges.append(e) } }
        for e in g.edges {
            let from = representative[e.from] ?? e.from
            let to = representative[e.to] ?? e.to
            if e.kind == .state
                && (from == to || (fusedState.contains(from) && isMerge(g, e.to)) || (fusedState.contains(to) && isMerge(g, e.from)))
            {
                continue  // a version passed between calls of one node, inside it
            }
            add(
                GraphEdge(
                    from: newID[from]!, fromPort: e.fromPort + (e.kind == .control ? 0 : outputOffset[e.from] ?? 0), to: newID[to]!,
                    port: e.port + (e.kind == .control ? 0 : inputOffset[e.to] ?? 0), kind: e.kind, type: e.type, isBackEdge: e.isBackEdge))
        }
        // Every branch around a member, up to the node's scope, sends its decision to the node.
        for key in order {
            let fused = newID[groups[key]![0]]!
            for m in groups[key]! {
                var s = g.node(m).scope
                while s != key.scope, let opener = g.scope(s).opener {
                    add(GraphEdge(from: newID[opener]!, fromPort: 0, to: fused, port: 0, kind: .control, type: .void, isBackEdge: false))
                    guard let p = g.scope(s).parent else { break }
                    s = p
                }
            }
        }
        var out = DataflowGraph(function: g.function, span: g.span)
        out.nodes = nodes
        out.edges = edges
        out.scopes = g.scopes
        return out
    }

    static func isMerge(_ g: DataflowGraph, _ n: NodeID) -> Bool {
        if case .merge = g.node(n).kind { return true }
        return false
    }

    /// The states with more than one call node in one scope, or a call node inside a branch:
    /// what the state-local graph must not have.
    public static func violations(_ g: DataflowGraph) -> [String] {
        var count: [String: Int] = [:]
        var problems: [String] = []
        for n in g.nodes {
            guard case .stateCall = n.kind, let name = n.stateName else { continue }
            count["\(name) in scope \(n.scope.index)", default: 0] += 1
            if case .branch = g.scope(n.scope).kind {
                problems.append("state \(name) has a node inside a branch (\(n.id), line \(n.span.line))")
            }
        }
        for (k, c) in count.sorted(by: { $0.key < $1.key }) where c > 1 { problems.append("state \(k) has \(c) nodes") }
        return problems
    }
}

// Writing a dataflow graph as Graphviz DOT or as JSON.
//
// DOT: one cluster per state holding its calls, labelled with the state's name
// and type; every node labelled with the source it stands for and `file:line`.
// The picture reads top to bottom in program order. Ranks are global
// (`newrank`), so a cluster does not pull its calls up to each other. A state's
// creation stays outside its cluster: it comes before the loop and the calls
// inside it, and a cluster holding both would be a wall across the loop that
// the loop's back edges must cut through. An edge that goes back up (a loop's
// back edge; in the state-local graph, what a node's later call takes from what
// its earlier call gave) is written from its head to its tail with `dir=back`:
// it points up all the same, dot ranks and routes it like the edges going
// down, beside the clusters, and the rest of the picture keeps its order.
// (With `constraint=false` instead, dot draws such edges across the middle.)
// Each edge is drawn in one of a few styles (`EdgeStyle`); a legend, a cluster
// of its own, shows the styles the graph uses, each with its meaning. Branch
// decisions are diamonds, merges inverted triangles, loop entries and exits
// houses, the ends of channels arrows.
//
// JSON carries the same nodes, edges and scopes with ids, for tools. Both are
// deterministic: nodes and edges in creation order, clusters sorted by name.

import CleaveDiagnostics
import CleaveIR
import CleaveSema
import Foundation

public enum GraphOutput {
    /// How an edge is drawn, and what the legend says it means.
    public enum EdgeStyle: Int, CaseIterable, Comparable, Sendable {
        case data
        case state
        case control
        case backEdge
        case laterCall
        case channel
        case turn

        public static func < (a: EdgeStyle, b: EdgeStyle) -> Bool { a.rawValue < b.rawValue }

        /// The edge goes from a later node back to an earlier one.
        public var goesUp: Bool { self == .backEdge || self == .laterCall }

        /// The DOT attributes of the style (an edge adds its label and whether it ranks).
        public var attributes: [String] {
            switch self {
            case .data: ["color=black"]
            case .state: ["style=bold", "color=\"#4a78a8\""]
            case .control: ["style=dashed", "color=gray50", "arrowhead=empty"]
            case .backEdge: ["style=bold", "color=gray70"]
            case .laterCall: ["style=dotted", "color=black"]
            case .channel: ["penwidth=2", "color=\"#b03030\"", "fontcolor=\"#b03030\""]
            case .turn: ["style=dashed", "penwidth=2", "color=\"#b03030\"", "fontcolor=\"#b03030\""]
            }
        }

        public var meaning: String {
            switch self {
            case .data: "data: a value, labelled with its type"
            case .state: "state: the next version of a state"
            case .control: "control: runs when the branch or loop above says so"
            case .backEdge: "back edge: what an iteration hands to the next"
            case .laterCall: "to a later call: made from what the node's earlier call gave"
            case .channel: "channel: a value one component sends another"
            case .turn: "turn: the receiver waits for the sender's effects"
            }
        }
    }

    public static func dot(_ g: DataflowGraph, program: IRProgram) -> String {
        var out = "digraph \(quote(g.function)) {\n"
        out += "  label=\(quote("\(g.function) — \(g.span.shortDescription)"));\n"
        out += header
        // One cluster per state.
        var clusters: [String: (title: String, nodes: [NodeID])] = [:]
        for n in g.nodes {
            guard case .stateCall(let state, _) = n.kind else { continue }
            let name = n.stateName ?? "self"
            let key = "\(name): \(program.typed.type(state).name)"
            clusters[key, default: (key, [])].nodes.append(n.id)
        }
        for (i, key) in clusters.keys.sorted().enumerated() {
            let c = clusters[key]!
            out += "  subgraph cluster_\(i) {\n"
            out += "    label=\(quote(c.title));\n    style=\"rounded,filled\";\n    fillcolor=\"#eef4fb\";\n    color=\"#4a78a8\";\n"
            for n in c.nodes { out += "    \(n) \(node(g.node(n), program));\n" }
            out += "  }\n"
        }
        let clustered = Set(clusters.values.flatMap(\.nodes))
        for n in g.nodes where !clustered.contains(n.id) { out += "  \(n.id) \(node(n, program));\n" }
        var used: Set<EdgeStyle> = []
        let later = edgesClosingCycles(g)
        for (i, e) in g.edges.enumerated() {
            let (style, text) = self.style(e, closesCycle: later.contains(i), program)
            used.insert(style)
            out += "  \(edge("\(e.from)", "\(e.to)", style, label: text))\n"
        }
        out += legend(used, indent: "  ")
        out += "}\n"
        return out
    }

    /// The graph's attributes and defaults, after its label.
    static let header = """
          labelloc=t;
          rankdir=TB;
          newrank=true;
          node [shape=box, style=rounded, fontname="Helvetica", fontsize=11];
          edge [fontname="Helvetica", fontsize=9];

        """

    /// The style of a dataflow edge and its label.
    static func style(_ e: GraphEdge, closesCycle: Bool, _ program: IRProgram) -> (EdgeStyle, String?) {
        let type = program.typed.typeName(e.type)
        if e.isBackEdge { return (.backEdge, type) }
        if closesCycle { return (.laterCall, type) }
        switch e.kind {
        case .data: return (.data, type)
        case .state: return (.state, type)
        case .control: return (.control, nil)
        }
    }

    /// One edge statement. An edge going back up is written from its head to its tail, with
    /// `dir=back` so that it points to its head.
    static func edge(_ from: String, _ to: String, _ style: EdgeStyle, label: String?) -> String {
        let attributes = (label.map { ["label=\(quote($0))"] } ?? []) + style.attributes
        if style.goesUp { return "\(to) -> \(from) [\((attributes + ["dir=back"]).joined(separator: ", "))];" }
        return "\(from) -> \(to) [\(attributes.joined(separator: ", "))];"
    }

    /// The edges (by index) that close a cycle of the graph apart from its back edges: in the
    /// state-local graph, what a node's later call takes from what its earlier call gave. Found
    /// by a depth-first walk in program order; drawn without ranking, so the rest reads downward.
    static func edgesClosingCycles(_ g: DataflowGraph) -> Set<Int> {
        var outgoing: [[Int]] = Array(repeating: [], count: g.nodes.count)
        for (i, e) in g.edges.enumerated() where !e.isBackEdge { outgoing[e.from.index].append(i) }
        var state = Array(repeating: 0, count: g.nodes.count)  // 0 unseen, 1 on the path, 2 done
        var closing: Set<Int> = []
        for root in g.nodes.indices where state[root] == 0 {
            var path: [(node: Int, next: Int)] = [(root, 0)]
            state[root] = 1
            while let (n, k) = path.last {
                guard k < outgoing[n].count else {
                    state[n] = 2
                    path.removeLast()
                    continue
                }
                path[path.count - 1].next = k + 1
                let i = outgoing[n][k]
                let to = g.edges[i].to.index
                if state[to] == 1 {
                    closing.insert(i)
                } else if state[to] == 0 {
                    state[to] = 1
                    path.append((to, 0))
                }
            }
        }
        return closing
    }

    /// A cluster showing each style used, in a fixed order, with its meaning: a column of
    /// samples, each an edge into its meaning.
    static func legend(_ used: Set<EdgeStyle>, indent: String) -> String {
        guard !used.isEmpty else { return "" }
        var out = "\(indent)subgraph cluster_legend {\n"
        out += "\(indent)  label=\"legend\";\n\(indent)  style=rounded;\n\(indent)  color=gray70;\n\(indent)  fontsize=10;\n"
        var previous: String?
        for style in used.sorted() {
            let name = "legend_\(style)"
            out += "\(indent)  \(name)_from [label=\"\", shape=none, width=0.5, height=0.2];\n"
            out += "\(indent)  \(name) [label=\(quote(style.meaning)), shape=plaintext, fontsize=9];\n"
            out += "\(indent)  { rank=same; \(name)_from; \(name); }\n"
            out += "\(indent)  \(name)_from -> \(name) [\(style.attributes.joined(separator: ", "))];\n"
            if let previous { out += "\(indent)  \(previous) -> \(name)_from [style=invis];\n" }
            previous = "\(name)_from"
        }
        return out + "\(indent)}\n"
    }

    static func stateType(_ k: GraphNode.Kind) -> TypeID? {
        switch k {
        case .stateCall(let t, _), .createState(let t): t
        default: nil
        }
    }

    /// A node's attributes; `title` replaces its label (the ends of a channel).
    static func node(_ n: GraphNode, _ program: IRProgram, title: String? = nil) -> String {
        let place = n.span.shortDescription
        var shape = "box"
        var extra: [String] = []
        var title = title ?? n.label
        switch n.kind {
        case .branch: shape = "diamond"
        case .merge: shape = "invtriangle"
        case .loopEntry: shape = "house"
        case .loopExit: shape = "invhouse"
        case .parameter: shape = "ellipse"
        case .returnValues: shape = "ellipse"
        case .send, .receive: shape = "cds"
        case .trap:
            shape = "octagon"
            extra.append("color=red")
        case .cCall(_, let isSystem):
            title = "\(n.label)\n[C, \(isSystem ? "system" : "user")]"
        case .createState:
            if let state = n.stateName { title += "\n[creates \(state)]" }
        case .stateCall(_, let m):
            let state = n.stateName ?? "self"
            let methods = n.fusedMethods.isEmpty ? [m] : n.fusedMethods
            let names = methods.map { program.typed.function($0).name }
            title += methods.count == 1 ? "\n[\(state).\(names[0])]" : "\n[\(state): \(names.joined(separator: ", "))]"
            extra.append("penwidth=2")
        default: break
        }
        return "[label=\(quote("\(title)\n\(place)")), shape=\(shape)\(extra.isEmpty ? "" : ", " + extra.joined(separator: ", "))]"
    }

    /// A DOT string literal.
    static func quote(_ s: String) -> String {
        var out = "\""
        for c in s {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.append(c)
            }
        }
        return out + "\""
    }

    // MARK: JSON

    struct JSONGraph: Encodable {
        let function: String
        let file: String
        let line: Int
        let nodes: [JSONNode]
        let edges: [JSONEdge]
        let scopes: [JSONScope]
    }
    struct JSONNode: Encodable {
        let id: String
        let kind: String
        let detail: String?
        let label: String
        let file: String
        let line: Int
        let column: Int
        let scope: Int
        let state: String?
        let stateType: String?
    }
    struct JSONEdge: Encodable {
        let from: String
        let to: String
        let port: Int
        let kind: String
        let type: String
        let backEdge: Bool
    }
    struct JSONScope: Encodable {
        let id: Int
        let kind: String
        let parent: Int?
        let opener: String?
    }

    public static func json(_ graphs: [DataflowGraph], program: IRProgram) -> String {
        let value = graphs.map { g in
            JSONGraph(
                function: g.function, file: g.span.file.path, line: g.span.line,
                nodes: g.nodes.map { n in
                    var (kind, detail) = describe(n.kind, program)
                    if !n.fusedMethods.isEmpty {
                        detail = n.fusedMethods.map { program.typed.function($0).name }.joined(separator: ", ")
                    }
                    return JSONNode(
                        id: "\(n.id)", kind: kind, detail: detail, label: n.label, file: n.span.file.path, line: n.span.line,
                        column: n.span.column, scope: n.scope.index, state: n.stateName,
                        stateType: stateType(n.kind).map { program.typed.type($0).name })
                },
                edges: g.edges.map { e in
                    JSONEdge(
                        from: "\(e.from)", to: "\(e.to)", port: e.port, kind: e.kind.rawValue, type: program.typed.typeName(e.type),
                        backEdge: e.isBackEdge)
                },
                scopes: g.scopes.map { s in
                    let kind: String =
                        switch s.kind {
                        case .function: "function"
                        case .loopBody: "loopBody"
                        case .branch(let i): "branch\(i)"
                        case .closure: "closure"
                        }
                    return JSONScope(id: s.id.index, kind: kind, parent: s.parent?.index, opener: s.opener.map { "\($0)" })
                })
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return "[]\n" }
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    static func describe(_ k: GraphNode.Kind, _ program: IRProgram) -> (String, String?) {
        switch k {
        case .parameter(let i): ("parameter", "\(i)")
        case .stateCall(_, let m): ("stateCall", program.typed.function(m).name)
        case .createState(let t): ("createState", program.typed.type(t).name)
        case .call(let f): ("call", program.typed.function(f).name)
        case .cCall(let f, let isSystem): (isSystem ? "systemCall" : "cCall", program.typed.function(f).name)
        case .builtin(let name): ("builtin", name)
        case .unaryOperator(let op): ("operator", op)
        case .binaryOperator(let op): ("operator", op)
        case .value(let what): ("value", what)
        case .closure: ("closure", nil)
        case .callClosure: ("callClosure", nil)
        case .branch(let ways): ("branch", "\(ways)")
        case .merge: ("merge", nil)
        case .loopEntry: ("loopEntry", nil)
        case .loopExit: ("loopExit", nil)
        case .returnValues: ("return", nil)
        case .trap: ("trap", nil)
        case .send(let c): ("send", "\(c)")
        case .receive(let c): ("receive", "\(c)")
        }
    }
}

extension GraphOutput {
    /// A channel drawn between components: from the send in one to the receive in another.
    public struct ChannelEdge: Sendable {
        public let id: Int
        public let from: Int
        public let to: Int
        /// What it carries, in the source's terms: the variable's name, or the source text of
        /// what computes the value (a call, a branch's decision).
        public let what: String
        public let type: String
        /// A turn carries no value, only the order of two components' effects.
        public let isTurn: Bool

        public init(id: Int, from: Int, to: Int, what: String, type: String, isTurn: Bool) {
            self.id = id
            self.from = from
            self.to = to
            self.what = what
            self.type = type
            self.isTurn = isTurn
        }
    }

    /// The components of a projected program: one cluster per component holding the graph of
    /// its local program, and one edge per channel, from its send to its receive. The ends of
    /// a channel say what crosses and from or to which component.
    public static func componentsDot(
        _ components: [(name: String, graph: DataflowGraph)], channels: [ChannelEdge], program: IRProgram, title: String
    ) -> String {
        var out = "digraph \(quote(title)) {\n"
        out += "  label=\(quote(title));\n" + header
        let byID = Dictionary(channels.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var sends: [Int: String] = [:]
        var receives: [Int: String] = [:]
        var used: Set<EdgeStyle> = []
        for (k, c) in components.enumerated() {
            func id(_ n: NodeID) -> String { "c\(k)_\(n)" }
            out += "  subgraph cluster_c\(k) {\n"
            out += "    label=\(quote("component \(k): \(c.name)"));\n    style=\"rounded,filled\";\n    fillcolor=\"#f4f4f4\";\n"
            for n in c.graph.nodes {
                var title: String?
                switch n.kind {
                case .send(let ch):
                    sends[ch] = id(n.id)
                    if let e = byID[ch] { title = "send \(e.what)\nto \(components[e.to].name)" }
                case .receive(let ch):
                    receives[ch] = id(n.id)
                    if let e = byID[ch] { title = "receive \(e.what)\nfrom \(components[e.from].name)" }
                default: break
                }
                out += "    \(id(n.id)) \(node(n, program, title: title));\n"
            }
            let later = edgesClosingCycles(c.graph)
            for (i, e) in c.graph.edges.enumerated() {
                let (style, text) = self.style(e, closesCycle: later.contains(i), program)
                used.insert(style)
                out += "    \(edge(id(e.from), id(e.to), style, label: text))\n"
            }
            // A turn's ends have no edge in their component to place them: invisible edges put
            // each between the nodes before and after it in its scope.
            let scopes = Dictionary(grouping: c.graph.nodes, by: \.scope).mapValues { $0.map(\.id).sorted() }
            for n in c.graph.nodes {
                switch n.kind {
                case .send(let ch), .receive(let ch):
                    if byID[ch]?.isTurn == true { out += order(n.id, in: scopes[n.scope] ?? [], id) }
                default: break
                }
            }
            out += "  }\n"
        }
        for ch in channels {
            guard let s = sends[ch.id], let r = receives[ch.id] else { continue }
            let style: EdgeStyle = ch.isTurn ? .turn : .channel
            used.insert(style)
            out += "  \(edge(s, r, style, label: ch.isTurn ? "turn" : ch.type))\n"
        }
        out += legend(used, indent: "  ")
        out += "}\n"
        return out
    }

    /// Invisible edges from the node before `n` in its scope and to the node after it.
    static func order(_ n: NodeID, in scope: [NodeID], _ id: (NodeID) -> String) -> String {
        guard let i = scope.firstIndex(of: n) else { return "" }
        var out = ""
        if i > 0 { out += "    \(id(scope[i - 1])) -> \(id(n)) [style=invis];\n" }
        if i + 1 < scope.count { out += "    \(id(n)) -> \(id(scope[i + 1])) [style=invis];\n" }
        return out
    }
}

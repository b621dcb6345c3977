// Writing a dataflow graph as Graphviz DOT or as JSON.
//
// DOT: one cluster per state (its calls and its creation), labelled with the
// state's name and type; every node labelled with the source it stands for and
// `file:line`; edges labelled with the type they carry. State edges are bold,
// control edges dashed, a loop's back edges grey and not used for ranking, so
// the picture reads top to bottom in program order. Branch decisions are
// diamonds, merges inverted triangles, loop entries and exits houses.
//
// JSON carries the same nodes, edges and scopes with ids, for tools. Both are
// deterministic: nodes and edges in creation order, clusters sorted by name.

import CleaveDiagnostics
import CleaveIR
import CleaveSema
import Foundation

public enum GraphOutput {
    public static func dot(_ g: DataflowGraph, program: IRProgram) -> String {
        var out = "digraph \(quote(g.function)) {\n"
        out += "  label=\(quote("\(g.function) — \(g.span.shortDescription)"));\n"
        out += "  labelloc=t;\n  rankdir=TB;\n"
        out += "  node [shape=box, style=rounded, fontname=\"Helvetica\", fontsize=11];\n"
        out += "  edge [fontname=\"Helvetica\", fontsize=9];\n"
        // One cluster per state.
        var clusters: [String: (title: String, nodes: [NodeID])] = [:]
        for n in g.nodes {
            guard let state = stateType(n.kind) else { continue }
            let name = n.stateName ?? "self"
            let key = "\(name): \(program.typed.type(state).name)"
            clusters[key, default: (key, [])].nodes.append(n.id)
        }
        for (i, key) in clusters.keys.sorted().enumerated() {
            let c = clusters[key]!
            out += "  subgraph cluster_\(i) {\n"
            out += "    label=\(quote(c.title));\n    style=\"rounded,filled\";\n    fillcolor=\"#eef4fb\";\n    color=\"#4a78a8\";\n"
            for n in c.nodes { out += "    \(node(g.node(n), program))\n" }
            out += "  }\n"
        }
        let clustered = Set(clusters.values.flatMap(\.nodes))
        for n in g.nodes where !clustered.contains(n.id) { out += "  \(node(n, program))\n" }
        for e in g.edges {
            var attributes: [String] = []
            switch e.kind {
            case .state:
                attributes += ["label=\(quote(program.typed.typeName(e.type)))", "style=bold", "color=\"#4a78a8\""]
            case .data:
                attributes.append("label=\(quote(program.typed.typeName(e.type)))")
            case .control:
                attributes += ["style=dashed", "color=gray50", "arrowhead=empty"]
            }
            if e.isBackEdge { attributes += ["constraint=false", "color=gray60"] }
            out += "  \(e.from) -> \(e.to) [\(attributes.joined(separator: ", "))];\n"
        }
        out += "}\n"
        return out
    }

    static func stateType(_ k: GraphNode.Kind) -> TypeID? {
        switch k {
        case .stateCall(let t, _), .createState(let t): t
        default: nil
        }
    }

    static func node(_ n: GraphNode, _ program: IRProgram) -> String {
        let place = n.span.shortDescription
        var shape = "box"
        var extra: [String] = []
        var title = n.label
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
        case .stateCall(_, let m):
            title = "\(n.label)\n[\(n.stateName ?? "self").\(program.typed.function(m).name)]"
            extra.append("penwidth=2")
        default: break
        }
        return "\(n.id) [label=\(quote("\(title)\n\(place)")), shape=\(shape)\(extra.isEmpty ? "" : ", " + extra.joined(separator: ", "))];"
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
                    let (kind, detail) = describe(n.kind, program)
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
        public let label: String
        public init(id: Int, from: Int, to: Int, label: String) {
            self.id = id
            self.from = from
            self.to = to
            self.label = label
        }
    }

    /// The components of a projected program: one cluster per component holding the graph of
    /// its local program, and one red edge per channel, from its send to its receive.
    public static func componentsDot(
        _ components: [(name: String, graph: DataflowGraph)], channels: [ChannelEdge], program: IRProgram, title: String
    ) -> String {
        var out = "digraph \(quote(title)) {\n"
        out += "  label=\(quote(title));\n  labelloc=t;\n  rankdir=TB;\n  compound=true;\n"
        out += "  node [shape=box, style=rounded, fontname=\"Helvetica\", fontsize=11];\n"
        out += "  edge [fontname=\"Helvetica\", fontsize=9];\n"
        var sends: [Int: String] = [:]
        var receives: [Int: String] = [:]
        for (k, c) in components.enumerated() {
            func id(_ n: NodeID) -> String { "c\(k)_\(n)" }
            out += "  subgraph cluster_c\(k) {\n"
            out += "    label=\(quote("component \(k): \(c.name)"));\n    style=\"rounded,filled\";\n    fillcolor=\"#f4f4f4\";\n"
            for n in c.graph.nodes {
                let text = node(n, program)
                out += "    \(id(n.id))\(text.dropFirst("\(n.id)".count))\n"
                switch n.kind {
                case .send(let ch): sends[ch] = id(n.id)
                case .receive(let ch): receives[ch] = id(n.id)
                default: break
                }
            }
            for e in c.graph.edges {
                var attributes: [String] = []
                switch e.kind {
                case .state: attributes += ["label=\(quote(program.typed.typeName(e.type)))", "style=bold", "color=\"#4a78a8\""]
                case .data: attributes.append("label=\(quote(program.typed.typeName(e.type)))")
                case .control: attributes += ["style=dashed", "color=gray50", "arrowhead=empty"]
                }
                if e.isBackEdge { attributes += ["constraint=false", "color=gray60"] }
                out += "    \(id(e.from)) -> \(id(e.to)) [\(attributes.joined(separator: ", "))];\n"
            }
            out += "  }\n"
        }
        for ch in channels {
            guard let s = sends[ch.id], let r = receives[ch.id] else { continue }
            out += "  \(s) -> \(r) [label=\(quote(ch.label)), color=\"#b03030\", fontcolor=\"#b03030\", penwidth=2];\n"
        }
        out += "}\n"
        return out
    }
}

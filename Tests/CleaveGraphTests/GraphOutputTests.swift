// The pictures `cleave graph` draws, as a newcomer reads them: kv's and smoltcp-loop's
// dataflow graph, state-local graph and components graph, checked in the DOT text and in
// the layout Graphviz makes of it (`dot -Tjson`): labels in the source's names, each call
// once, a legend of exactly the edge styles drawn, edges going down, and back edges that
// keep out of the clusters they do not belong to.

import CleaveDiagnostics
import CleaveDriver
import CleaveGraph
import CleaveSema
import CleaveTestSupport
import Foundation
import Testing

/// An example and the partition its components are drawn with (nil: one component per state).
struct PictureCase: Sendable, CustomStringConvertible {
    let path: String
    let partition: String?
    var description: String { URL(fileURLWithPath: path).lastPathComponent + (partition.map { " --partition \($0)" } ?? "") }

    static let all = [
        PictureCase(path: "Examples/kv/kv.clv", partition: nil),
        PictureCase(path: "Examples/kv/kv.clv", partition: "device,store"),
        PictureCase(path: "Examples/smoltcp-loop/smoltcp-loop.clv", partition: nil),
        PictureCase(path: "Examples/smoltcp-loop/smoltcp-loop.clv", partition: "device,stack|store"),
    ]

    /// The program run through the projected stage.
    func run() throws -> PipelineResult {
        let full = Repo.path(path)
        var options = PipelineOptions()
        options.partition = partition.map(Driver.partitionGroups)
        let result = Pipeline.run(
            [SourceFile(path: full, text: try String(contentsOfFile: full, encoding: .utf8))], through: .projected, options: options)
        #expect(!result.hasErrors, "\(DiagnosticFormatter().format(result.diagnostics))")
        return result
    }

    /// The DOT of main's dataflow graph, its state-local graph and the components graph.
    func pictures() throws -> [(name: String, dot: String)] {
        let result = try run()
        return try [Stage.graph, .stateLocal, .components].map {
            ("\(self) \($0.rawValue)", try Driver.graph(result, stage: $0, function: "main", format: .dot))
        }
    }

    func components() throws -> DotPicture {
        DotPicture(try Driver.graph(try run(), stage: .components, function: "main", format: .dot))
    }
}

/// DOT as `GraphOutput` writes it, read back: nodes and edges with their attributes and the
/// clusters around them.
struct DotPicture {
    struct Node {
        let id: String
        let attributes: [String: String]
        let clusters: [String]
        var label: String { attributes["label"] ?? "" }
    }
    struct Edge {
        let from: String
        let to: String
        let attributes: [String: String]
        let clusters: [String]
        var isInvisible: Bool { attributes["style"] == "invis" }
        var inLegend: Bool { clusters.contains("cluster_legend") }
        /// How it is drawn: its attributes but its label and direction.
        var style: String {
            attributes.filter { $0.key != "label" && $0.key != "dir" }.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: ", ")
        }
    }
    var nodes: [Node] = []
    var edges: [Edge] = []
    var clusterLabels: [String: String] = [:]

    init(_ text: String) {
        var open: [String] = []
        for raw in text.split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("subgraph ") {
                open.append(String(line.dropFirst("subgraph ".count).prefix { $0 != " " }))
            } else if line == "}" {
                _ = open.popLast()
            } else if line.hasPrefix("label="), let cluster = open.last {
                clusterLabels[cluster] = Self.attributes(String(line.dropLast()))["label"]
            } else if let bracket = line.firstIndex(of: "["), line.hasSuffix("];"), !line.hasPrefix("node ["),
                !line.hasPrefix("edge [")
            {
                let head = line[..<bracket].trimmingCharacters(in: .whitespaces)
                let attributes = Self.attributes(String(line[line.index(after: bracket)..<line.index(line.endIndex, offsetBy: -2)]))
                let ends = head.components(separatedBy: " -> ")
                if ends.count == 2 {
                    edges.append(Edge(from: ends[0], to: ends[1], attributes: attributes, clusters: open))
                } else {
                    nodes.append(Node(id: head, attributes: attributes, clusters: open))
                }
            }
        }
    }

    /// `a=1, b="x, \"y\""` as a dictionary, strings unquoted.
    static func attributes(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        var i = text.startIndex
        while i < text.endIndex {
            guard let eq = text[i...].firstIndex(of: "=") else { break }
            let key = text[i..<eq].trimmingCharacters(in: CharacterSet(charactersIn: " ,"))
            var j = text.index(after: eq)
            var value = ""
            if j < text.endIndex, text[j] == "\"" {
                j = text.index(after: j)
                while j < text.endIndex, text[j] != "\"" {
                    if text[j] == "\\", text.index(after: j) < text.endIndex {
                        j = text.index(after: j)
                        value.append(text[j] == "n" ? "\n" : text[j])
                    } else {
                        value.append(text[j])
                    }
                    j = text.index(after: j)
                }
                if j < text.endIndex { j = text.index(after: j) }
            } else {
                while j < text.endIndex, text[j] != "," {
                    value.append(text[j])
                    j = text.index(after: j)
                }
            }
            result[key] = value
            i = j
        }
        return result
    }

    func node(_ id: String) -> Node? { nodes.first { $0.id == id } }
    /// The first line of a node's label: what it stands for.
    func title(_ id: String) -> String { node(id)?.label.split(separator: "\n").first.map(String.init) ?? "" }
}

/// Where Graphviz puts the nodes, clusters and edges of a picture (`dot -Tjson`).
struct Layout {
    struct Box {
        let x0: Double, y0: Double, x1: Double, y1: Double
        func contains(_ p: (Double, Double)) -> Bool { p.0 > x0 && p.0 < x1 && p.1 > y0 && p.1 < y1 }
    }
    /// By node name: its centre and its box.
    var nodes: [String: (center: (Double, Double), box: Box)] = [:]
    /// By cluster name: its box and the names of the nodes in it.
    var clusters: [String: (box: Box, members: Set<String>)] = [:]
    /// Each edge as drawn: its ends' names, its attributes and points along its curve.
    var edges: [(tail: String, head: String, attributes: [String: String], curve: [(Double, Double)])] = []

    init(_ dotText: String) throws {
        let r = try runProcess("/usr/bin/dot", ["-Tjson"], stdin: dotText)
        #expect(r.status == 0 && complaints(r.stderr).isEmpty, "dot: \(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let objects = json["objects"] as? [[String: Any]] ?? []
        var names: [Int: String] = [:]
        for o in objects {
            if let id = o["_gvid"] as? Int, o["nodes"] == nil, let name = o["name"] as? String { names[id] = name }
        }
        func numbers(_ s: Any?) -> [Double] {
            (s as? String ?? "").split(whereSeparator: { $0 == "," || $0 == " " }).compactMap { Double($0) }
        }
        for o in objects {
            guard let name = o["name"] as? String else { continue }
            if let members = o["nodes"] as? [Int] {
                let b = numbers(o["bb"])
                guard b.count == 4 else { continue }
                clusters[name] = (Box(x0: b[0], y0: b[1], x1: b[2], y1: b[3]), Set(members.compactMap { names[$0] }))
            } else {
                let p = numbers(o["pos"])
                let w = (Double(o["width"] as? String ?? "") ?? 0) * 36
                let h = (Double(o["height"] as? String ?? "") ?? 0) * 36
                guard p.count == 2 else { continue }
                nodes[name] = ((p[0], p[1]), Box(x0: p[0] - w, y0: p[1] - h, x1: p[0] + w, y1: p[1] + h))
            }
        }
        for e in json["edges"] as? [[String: Any]] ?? [] {
            guard let t = e["tail"] as? Int, let h = e["head"] as? Int, let tail = names[t], let head = names[h] else { continue }
            var attributes: [String: String] = [:]
            for (k, v) in e { if let s = v as? String { attributes[k] = s } }
            // The spline's control points (after an `e,x,y` or `s,x,y` end point), sampled.
            let points = (e["pos"] as? String ?? "").split(separator: " ").filter { !$0.hasPrefix("e,") && !$0.hasPrefix("s,") }
                .map { numbers(String($0)) }.filter { $0.count == 2 }.map { ($0[0], $0[1]) }
            var curve: [(Double, Double)] = []
            var k = 0
            while k + 3 < points.count {
                for step in 0...20 {
                    let t = Double(step) / 20
                    let u = 1 - t
                    let (a, b, c, d) = (points[k], points[k + 1], points[k + 2], points[k + 3])
                    curve.append(
                        (
                            u * u * u * a.0 + 3 * u * u * t * b.0 + 3 * u * t * t * c.0 + t * t * t * d.0,
                            u * u * u * a.1 + 3 * u * u * t * b.1 + 3 * u * t * t * c.1 + t * t * t * d.1
                        ))
                }
                k += 3
            }
            edges.append((tail, head, attributes, curve))
        }
    }
}

@Suite struct GraphOutputTests {
    @Test(arguments: PictureCase.all)
    func noLabelNamesAnIRValue(_ c: PictureCase) throws {
        for (name, dot) in try c.pictures() {
            let picture = DotPicture(dot)
            let labels =
                picture.nodes.map(\.label) + picture.edges.compactMap { $0.attributes["label"] } + Array(picture.clusterLabels.values)
            #expect(!labels.isEmpty)
            for label in labels {
                #expect(label.firstMatch(of: /[%#][0-9]+/) == nil, "\(name): \(label)")
            }
        }
    }

    @Test(arguments: PictureCase.all)
    func theComponentsGraphDrawsEachNodeOnce(_ c: PictureCase) throws {
        let picture = try c.components()
        let ids = picture.nodes.map(\.id)
        #expect(Set(ids).count == ids.count)
        // In one component no two nodes stand for the same thing at the same place.
        let byComponent = Dictionary(grouping: picture.nodes.filter { $0.clusters.first?.hasPrefix("cluster_c") == true }) {
            $0.clusters[0]
        }
        #expect(byComponent.count >= 1)
        for (component, nodes) in byComponent {
            let labels = nodes.map(\.label)
            let repeated = Dictionary(grouping: labels, by: { $0 }).filter { $0.value.count > 1 }.keys
            #expect(repeated.isEmpty, "\(c) \(component): \(repeated.sorted())")
        }
        // A call on a state written once is one node: made, run and taken apart in one.
        let calls =
            c.path.contains("kv")
            ? ["device.receive()", "store.answer(datagram.payload)", "device.send(datagram.reply(reply))"]
            : ["device.fd()", "stack.delay()", "store.answer(input.payload)"]
        for call in calls {
            #expect(picture.nodes.filter { picture.title($0.id) == call }.count == 1, "\(c): \(call)")
        }
    }

    @Test(arguments: PictureCase.all)
    func theLegendShowsExactlyTheEdgeStylesDrawn(_ c: PictureCase) throws {
        for (name, dot) in try c.pictures() {
            let picture = DotPicture(dot)
            let drawn = Set(picture.edges.filter { !$0.isInvisible && !$0.inLegend }.map(\.style))
            let legend = picture.edges.filter { !$0.isInvisible && $0.inLegend }
            #expect(picture.clusterLabels["cluster_legend"] == "legend", "\(name)")
            #expect(Set(legend.map(\.style)) == drawn, "\(name)")
            #expect(legend.count == drawn.count, "\(name): one sample per style")
            // Each sample points at its meaning.
            for e in legend { #expect(picture.node(e.to)?.label.contains(":") == true, "\(name): \(e.to)") }
        }
    }

    @Test(arguments: ["Examples/kv/kv.clv", "Examples/smoltcp-loop/smoltcp-loop.clv"])
    func backEdgesAreDrawnFromTheirLoopEntry(_ path: String) throws {
        let result = try PictureCase(path: path, partition: nil).run()
        let ir = try #require(result.ir)
        let main = try #require(result.graphs.first { $0.function == "main" })
        let picture = DotPicture(GraphOutput.dot(main, program: ir))
        let backEdges = main.edges.filter(\.isBackEdge)
        #expect(!backEdges.isEmpty)
        for e in backEdges {
            #expect(main.node(e.to).kind == .loopEntry)
            // Written from the loop entry to the iteration's end and drawn pointing back up, so that
            // dot ranks and routes it beside what flows down.
            #expect(
                picture.edges.contains { $0.from == "\(e.to)" && $0.to == "\(e.from)" && $0.attributes["dir"] == "back" },
                "\(e.from) -> \(e.to)")
        }
        #expect(!picture.edges.contains { $0.from == "\(backEdges[0].from)" && $0.to == "\(backEdges[0].to)" })
    }

    @Test(arguments: PictureCase.all)
    func backEdgesKeepOutOfOtherClustersAndNodes(_ c: PictureCase) throws {
        for (name, dot) in try c.pictures() {
            let layout = try Layout(dot)
            let back = layout.edges.filter { $0.attributes["dir"] == "back" && !$0.tail.hasPrefix("legend") }
            #expect(!back.isEmpty, "\(name)")
            for e in back {
                #expect(!e.curve.isEmpty)
                for (cluster, (box, members)) in layout.clusters where cluster != "cluster_legend" {
                    guard !members.contains(e.tail) && !members.contains(e.head) else { continue }
                    #expect(!e.curve.contains(where: box.contains), "\(name): \(e.head) -> \(e.tail) crosses \(cluster)")
                }
                // The state-local graph of smoltcp-loop fuses five calls into one node; there a
                // back edge may pass over a node. Elsewhere none does.
                guard !(name.contains("smoltcp") && name.hasSuffix("state-local")) else { continue }
                for (node, (_, box)) in layout.nodes where node != e.tail && node != e.head {
                    #expect(!e.curve.contains(where: box.contains), "\(name): \(e.head) -> \(e.tail) passes over \(node)")
                }
            }
        }
    }

    @Test(arguments: PictureCase.all)
    func everyEdgeIsDrawnDownward(_ c: PictureCase) throws {
        for (name, dot) in try c.pictures() {
            let layout = try Layout(dot)
            let edges = layout.edges.filter { $0.attributes["style"] != "invis" && !$0.tail.hasPrefix("legend") }
            #expect(!edges.isEmpty)
            for e in edges {
                // Graphviz's y grows upward. A back edge is written from its loop entry down.
                let (tail, head) = (try #require(layout.nodes[e.tail]), try #require(layout.nodes[e.head]))
                #expect(head.center.1 < tail.center.1, "\(name): \(e.tail) -> \(e.head)")
            }
        }
    }

    @Test func datagramPayloadFlowsFromTheDeviceDownIntoTheStore() throws {
        let c = PictureCase(path: "Examples/kv/kv.clv", partition: nil)
        let pictures = try c.pictures()
        // The dataflow graph: device.receive(), then datagram.payload, then store.answer.
        let main = DotPicture(pictures[0].dot)
        let mainLayout = try Layout(pictures[0].dot)
        func y(_ picture: DotPicture, _ layout: Layout, _ title: String, in cluster: String? = nil) throws -> Double {
            let node = try #require(
                picture.nodes.first { picture.title($0.id) == title && (cluster == nil || $0.clusters.first == cluster) }, "\(title)")
            return try #require(layout.nodes[node.id]).center.1
        }
        let receive = try y(main, mainLayout, "device.receive()")
        let payload = try y(main, mainLayout, "datagram.payload")
        let answer = try y(main, mainLayout, "store.answer(datagram.payload)")
        #expect(receive > payload && payload > answer)
        // The components: the device takes the payload, above the store running the call.
        let components = DotPicture(pictures[2].dot)
        let layout = try Layout(pictures[2].dot)
        let device = try #require(components.clusterLabels.first { $0.value.hasSuffix(": device") }?.key)
        let store = try #require(components.clusterLabels.first { $0.value.hasSuffix(": store") }?.key)
        let sent = try y(components, layout, "datagram.payload", in: device)
        let run = try y(components, layout, "store.answer(datagram.payload)", in: store)
        let replied = try y(components, layout, "datagram.reply(reply)", in: device)
        #expect(sent > run && run > replied)
    }

    @Test func aDefunctionalizedCallIsDrawnAsTheCallItStandsFor() throws {
        let result = try PictureCase(path: "Examples/kv/kv.clv", partition: nil).run()
        let program = try #require(result.defunctionalized?.program)
        let main = try #require(result.stateLocalGraphs.first)
        #expect(VerifyGraph.verify(main).isEmpty)
        #expect(FuseStateNodes.violations(main).isEmpty)
        func methods(_ n: GraphNode) -> [String] {
            guard case .stateCall(_, let m) = n.kind else { return [] }
            return (n.fusedMethods.isEmpty ? [m] : n.fusedMethods).map { program.typed.function($0).name }
        }
        let calls = main.nodes.filter { !methods($0).isEmpty }
        #expect(calls.map { "\($0.stateName ?? "?"): \(methods($0))" } == ["device: [\"receive\", \"send\"]", "store: [\"answer\"]"])
        // No call value and no result enum is left: the device's node takes the datagram its
        // send call sends, and gives the one its receive call received.
        #expect(!main.nodes.contains { if case .value(let what) = $0.kind { what.contains("Call.") } else { false } })
        let device = calls[0].id
        #expect(main.inputs(of: device).contains { program.typed.typeName($0.type) == "Datagram" })
        #expect(main.outputs(of: device).contains { program.typed.typeName($0.type) == "Datagram" })
        #expect(!main.edges.contains { program.typed.typeName($0.type).hasSuffix("Result") })
    }
}

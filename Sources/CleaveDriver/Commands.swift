// What the command line asks of the compiler besides running the pipeline: the
// partition's syntax, an executable's file name, a function's graph, the
// reference interpreter. The command line imports the driver, which reaches the
// passes, the backend, the graphs and the interpreter for it.

import CleaveCBackend
import CleaveGraph
import CleaveInterpreter
import CleavePasses
import CleaveSema

extension Driver {
    /// `--partition 'a,b|c'`: components separated by `|`, state names by `,`.
    public static func partitionGroups(_ text: String) -> [[String]] { Partition.parseGroups(text) }

    /// The file name of an executable built from a program named `name` (any text).
    public static func executableName(_ name: String) -> String { CBackend.executableName(name, taken: []) }

    /// Run the typed program with the reference interpreter, with the service's `arguments`: its
    /// exit status.
    public static func interpret(_ typed: TypedProgram, name: String, arguments: [String]) -> Int32 {
        Interpreter.run(typed, name: name, arguments: arguments)
    }

    public enum GraphFormat: String, Sendable, CaseIterable {
        case dot
        case json
    }

    /// The graph `cleave graph` writes: of `function` at stage `graph` or `state-local`, or the
    /// components of the projected program, from a pipeline run through `stage` (`projected` for
    /// the components).
    public static func graph(_ result: PipelineResult, stage: Stage, function: String, format: GraphFormat) throws -> String {
        guard var ir = result.ir else { throw UsageError("the program has no IR to draw") }
        var graphs = result.graphs
        switch stage {
        case .stateLocal:
            graphs = result.stateLocalGraphs
            ir = result.defunctionalized?.program ?? ir
        case .components:
            guard let projected = result.projected else { throw UsageError("the program has no components to draw") }
            guard format == .dot else { throw UsageError("the components graph is written as DOT only") }
            return componentsGraph(projected)
        default:
            break
        }
        guard let graph = graphs.first(where: { $0.function == function }) else {
            let names = result.graphs.map(\.function).joined(separator: ", ")
            throw UsageError("no function '\(function)' in the program (functions: \(names))")
        }
        return format == .dot ? GraphOutput.dot(graph, program: ir) : GraphOutput.json([graph], program: ir)
    }

    /// What defunctionalization made for each state, as the graphs need it to draw a call made
    /// through `process` as the call it stands for.
    static func stateCallEnums(_ d: DefunctionalizedProgram) -> [StateCallEnums] {
        d.interfaces.map { StateCallEnums(callType: $0.callType, resultType: $0.resultType, process: $0.process, methods: $0.methods) }
    }

    /// The components as Graphviz DOT: a cluster per component, its local program with each call
    /// drawn once, where it is made, and an edge per channel, labelled with what crosses.
    static func componentsGraph(_ p: ProjectedProgram) -> String {
        let calls = stateCallEnums(p.partitioned.defunctionalized)
        let graphs = p.components.map { ($0.component.name, BuildGraph.build($0.main, in: p.program, calls: calls)) }
        let channels = p.channels.map { ch in
            var what = ch.name ?? BuildGraph.sourceText(ch.span)
            if ch.name == nil, ["if ", "guard ", "while ", "switch "].contains(where: { what.hasPrefix($0) }) {
                what = "decision: " + what
            } else if case .nominal(let t) = ch.type, calls.contains(where: { $0.callType == t }) {
                what = "call " + what
            }
            return GraphOutput.ChannelEdge(
                id: ch.id, from: ch.from, to: ch.to, what: what, type: p.program.typed.typeName(ch.type), isTurn: ch.isTurn)
        }
        return GraphOutput.componentsDot(graphs, channels: channels, program: p.program, title: "components of main")
    }
}

// The dataflow graph of a function.
//
// Nodes are the operations of the IR (calls on states, pure calls, operators,
// constructors, literals where they matter) plus control nodes in the spirit of
// Ohua's dataflow graphs: a `branch` node takes the decision of an `if` or a
// `switch`, a `merge` node selects the values its branches yield, `loopEntry`
// takes a loop's initial values and the values each iteration hands back, and
// `loopExit` hands on the values the loop ends with. Every node belongs to a
// scope (the function, a loop body, a branch of an `if` or a case of a
// `switch`); a node inside a branch gets a control edge from its branch node.
//
// Edges carry data, states or control. A state edge carries one version of a
// state from the node that made it to the node that uses it, so the state
// edges of one state form a chain through each scope: the state thread. This
// is the view the state-locality passes and the graph output work on.

import CleaveDiagnostics
import CleaveIR
import CleaveSema

public struct NodeID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let index: Int
    public init(index: Int) { self.index = index }
    public static func < (a: NodeID, b: NodeID) -> Bool { a.index < b.index }
    public var description: String { "n\(index)" }
}

public struct ScopeID: Hashable, Sendable, Comparable {
    public let index: Int
    public static func < (a: ScopeID, b: ScopeID) -> Bool { a.index < b.index }
}

public struct GraphScope: Sendable {
    public enum Kind: Sendable, Equatable {
        case function
        case loopBody
        /// Branch `index` of an `if` (0 then, 1 else) or case `index` of a `switch`.
        case branch(index: Int)
        case closure
    }
    public let id: ScopeID
    public let kind: Kind
    public let parent: ScopeID?
    /// The `branch` or `loopEntry` node that opens the scope.
    public let opener: NodeID?
}

public struct GraphNode: Sendable {
    public enum Kind: Sendable, Equatable {
        case parameter(index: Int)
        /// A call on a state: `(s1, r) = s0.m(a)`.
        case stateCall(state: TypeID, method: FunctionID)
        case createState(TypeID)
        /// A free function, initializer or value method of the program.
        case call(FunctionID)
        /// A function imported from a C header, from a system header or the user's.
        case cCall(FunctionID, isSystem: Bool)
        case builtin(String)
        case unaryOperator(String)
        case binaryOperator(String)
        /// A constructor, a field access, a tuple, a literal made into a value, …
        case value(String)
        case closure
        case callClosure
        /// The decision of an `if` (two ways) or a `switch` (one way per case).
        case branch(ways: Int)
        /// Selects the values of the branch that ran.
        case merge
        case loopEntry
        case loopExit
        case returnValues
        case trap
        /// A projected program's end of a channel: hands a value on, or takes one.
        case send(channel: Int)
        case receive(channel: Int)
    }
    public let id: NodeID
    public let kind: Kind
    public let scope: ScopeID
    /// The source text the node stands for (shortened), and where it is.
    public let label: String
    public let span: SourceSpan
    /// For a state call or creation: which state (the variable's name in the source).
    public let stateName: String?
    /// The types of the node's outputs, in order.
    public internal(set) var outputs: [Ty] = []
    /// For a node that stands for several calls on one state (the state-local graph): their
    /// methods, in program order.
    public internal(set) var fusedMethods: [FunctionID] = []
}

public struct GraphEdge: Sendable, Hashable {
    public enum Kind: String, Sendable {
        case data
        case state
        case control
    }
    public let from: NodeID
    /// Which output of `from` the edge carries (0 for control).
    public let fromPort: Int
    public let to: NodeID
    /// Which input of `to` this edge feeds (data and state edges; 0 for control).
    public let port: Int
    public let kind: Kind
    /// The type of the value carried (`Void` for control).
    public let type: Ty
    /// A loop's back edge: the value an iteration hands to the next.
    public let isBackEdge: Bool

    public init(from: NodeID, fromPort: Int, to: NodeID, port: Int, kind: Kind, type: Ty, isBackEdge: Bool) {
        self.from = from
        self.fromPort = fromPort
        self.to = to
        self.port = port
        self.kind = kind
        self.type = type
        self.isBackEdge = isBackEdge
    }
}

public struct DataflowGraph: Sendable {
    public let function: String
    public let span: SourceSpan
    public internal(set) var nodes: [GraphNode] = []
    public internal(set) var edges: [GraphEdge] = []
    public internal(set) var scopes: [GraphScope] = []

    public func node(_ id: NodeID) -> GraphNode { nodes[id.index] }
    public func scope(_ id: ScopeID) -> GraphScope { scopes[id.index] }

    /// The same graph with its edges changed (for tools and tests that build variants).
    public func replacingEdges(_ change: ([GraphEdge]) -> [GraphEdge]) -> DataflowGraph {
        var g = self
        g.edges = change(edges)
        return g
    }

    public func inputs(of n: NodeID) -> [GraphEdge] { edges.filter { $0.to == n }.sorted { $0.port < $1.port } }
    public func outputs(of n: NodeID) -> [GraphEdge] { edges.filter { $0.from == n } }
}

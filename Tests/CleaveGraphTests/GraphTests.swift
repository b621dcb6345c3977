// The dataflow graph: built from the IR of every example, verified, written as DOT
// that Graphviz accepts and as JSON with the same nodes and edges.

import CleaveDiagnostics
import CleaveDriver
import CleaveGraph
import CleaveIR
import CleaveSema
import CleaveTestSupport
import Foundation
import Testing

func graphs(_ text: String, path: String = "test.clv", sourceLocation: SourceLocation = #_sourceLocation) -> (PipelineResult, IRProgram)? {
    let result = Pipeline.run([SourceFile(path: path, text: text)], through: .graph)
    #expect(!result.hasErrors, "\(DiagnosticFormatter().format(result.diagnostics))", sourceLocation: sourceLocation)
    guard let ir = result.ir else { return nil }
    return (result, ir)
}

/// Run `dot` on a DOT text; nil when Graphviz accepts it, else its complaint.
func graphvizRejects(_ dotText: String) throws -> String? {
    let r = try runProcess("/usr/bin/dot", ["-Tsvg", "-o", "/dev/null"], stdin: dotText)
    return r.status == 0 && complaints(r.stderr).isEmpty ? nil : "exit \(r.status): \(r.stderr)"
}

/// What Graphviz says about a graph, less the layout warning Graphviz 2.43 prints for some
/// large graphs it draws all the same ("Unable to reclaim box space in spline routing").
func complaints(_ stderr: String) -> [Substring] {
    stderr.split(separator: "\n").filter { !$0.contains("Unable to reclaim box space in spline routing") }
}

@Suite struct GraphTests {
    @Test(arguments: Repo.examples)
    func everyFunctionOfEveryExampleHasAVerifiedGraphThatGraphvizAccepts(_ path: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let (result, ir) = try #require(graphs(text, path: path))
        #expect(!result.graphs.isEmpty)
        for g in result.graphs {
            #expect(VerifyGraph.verify(g).isEmpty, "\(g.function)")
            let dot = GraphOutput.dot(g, program: ir)
            #expect(try graphvizRejects(dot) == nil, "\(g.function)")
        }
    }

    @Test func theServiceLoopIsOneChainPerState() throws {
        let path = Repo.path("Examples/kv/kv.clv")
        let (result, ir) = try #require(graphs(try String(contentsOfFile: path, encoding: .utf8), path: path))
        let main = try #require(result.graphs.first { $0.function == "main" })
        let calls = main.nodes.filter { if case .stateCall = $0.kind { true } else { false } }
        #expect(
            calls.map { "\($0.stateName ?? "?").\(ir.typed.function(method(of: $0)!).name)" } == [
                "device.receive", "store.answer", "device.send",
            ])
        // device.send takes the device version device.receive made, over a state edge.
        let receive = calls[0].id
        let send = calls[2].id
        #expect(main.edges.contains { $0.from == receive && $0.to == send && $0.kind == .state && $0.port == 0 })
        // The calls are in the loop body, controlled by the loop entry.
        let entry = try #require(main.nodes.first { $0.kind == .loopEntry })
        #expect(calls.allSatisfy { main.scope($0.scope).opener == entry.id })
        // Each iteration hands both states back to the loop entry.
        let backEdges = main.edges.filter { $0.isBackEdge && $0.to == entry.id }
        #expect(backEdges.filter { $0.kind == .state }.count == 2)
    }

    func method(of n: GraphNode) -> FunctionID? {
        if case .stateCall(_, let m) = n.kind { return m }
        return nil
    }

    @Test func branchesHaveADecisionAndAMerge() throws {
        let (result, _) = try #require(
            graphs(
                """
                func f(_ a: Int) -> Int {
                    var x = a
                    if a > 3 {
                        x = a * 2
                    } else {
                        x = a + 1
                    }
                    return x
                }
                func main() {
                    print("\\(f(2))")
                }
                """))
        let f = try #require(result.graphs.first { $0.function == "f" })
        let branch = try #require(f.nodes.first { $0.kind == .branch(ways: 2) })
        let merge = try #require(f.nodes.first { $0.kind == .merge })
        #expect(f.edges.contains { $0.from == branch.id && $0.to == merge.id && $0.kind == .control })
        // The merge takes one value from each branch and gives the return its result.
        #expect(f.inputs(of: merge.id).filter { $0.kind == .data }.count == 2)
        let ret = try #require(f.nodes.first { $0.kind == .returnValues })
        #expect(f.edges.contains { $0.from == merge.id && $0.to == ret.id })
        #expect(f.scopes.filter { $0.kind == .branch(index: 0) || $0.kind == .branch(index: 1) }.count == 2)
    }

    @Test func cCallsAreMarkedUserOrSystem() throws {
        let path = Repo.path("Tests/Inputs/cimport/checksum.clv")
        let (result, _) = try #require(graphs(try String(contentsOfFile: path, encoding: .utf8), path: path))
        let verify = try #require(result.graphs.first { $0.function == "verify" })
        let cCalls = verify.nodes.compactMap { n -> Bool? in
            if case .cCall(_, let isSystem) = n.kind { return isSystem }
            return nil
        }
        #expect(cCalls == [false, false])
    }

    @Test func theVerifierFindsAForkedStateThread() throws {
        let path = Repo.path("Examples/kv/kv.clv")
        let (result, _) = try #require(graphs(try String(contentsOfFile: path, encoding: .utf8), path: path))
        var main = try #require(result.graphs.first { $0.function == "main" })
        #expect(VerifyGraph.verify(main).isEmpty)
        // Feed the version device.receive consumed to device.send as well: a fork.
        let calls = main.nodes.filter { if case .stateCall = $0.kind { true } else { false } }
        let intoReceive = try #require(main.edges.first { $0.to == calls[0].id && $0.kind == .state })
        main = main.replacingEdges { edges in
            edges.map { e in
                guard e.to == calls[2].id && e.kind == .state else { return e }
                return GraphEdge(
                    from: intoReceive.from, fromPort: intoReceive.fromPort, to: e.to, port: e.port, kind: .state, type: e.type,
                    isBackEdge: false)
            }
        }
        #expect(
            VerifyGraph.verify(main).contains {
                $0.contains("used by 2 operations") || $0.contains("advanced") || $0.contains("operations in one scope")
            })
    }

    @Test func everyContinueAndBreakOfALoopBindsInputsOfItsOwn() throws {
        // Found by the generated programs: the second `continue` (or `break`) of a loop
        // bound the same inputs of the loop entry (or exit) as the first.
        let (result, _) = try #require(
            graphs(
                """
                func f(_ data: Bytes) -> Int {
                    var n = 0
                    for b in data {
                        if b == 32 {
                            continue
                        }
                        if b == 0 {
                            break
                        }
                        if n > 9 {
                            break
                        }
                        n += 1
                    }
                    return n
                }
                func main() {
                    print("\\(f("a b"))")
                }
                """))
        let f = try #require(result.graphs.first { $0.function == "f" })
        #expect(VerifyGraph.verify(f).isEmpty)
        let entry = try #require(f.nodes.first { $0.kind == .loopEntry })
        let exit = try #require(f.nodes.first { $0.kind == .loopExit })
        // The entry takes the initial values and one set per `continue` (the explicit one
        // and the end of the body); the exit one set per `break`: no input twice.
        let entryPorts = f.inputs(of: entry.id).map(\.port)
        let exitPorts = f.inputs(of: exit.id).map(\.port)
        #expect(Set(entryPorts).count == entryPorts.count)
        #expect(Set(exitPorts).count == exitPorts.count)
        #expect(f.inputs(of: entry.id).filter(\.isBackEdge).count >= 2)
    }

    @Test func theVerifierFindsDoubleBoundInputsAndDanglingEdges() throws {
        let path = Repo.path("Examples/echo/echo.clv")
        let (result, _) = try #require(graphs(try String(contentsOfFile: path, encoding: .utf8), path: path))
        let main = try #require(result.graphs.first { $0.function == "main" })
        let e = try #require(main.edges.first { $0.kind == .data })
        let doubled = main.replacingEdges { $0 + [e] }
        #expect(VerifyGraph.verify(doubled).contains { $0.contains("bound more than once") })
        let dangling = main.replacingEdges {
            $0 + [GraphEdge(from: e.from, fromPort: 0, to: NodeID(index: 9999), port: 0, kind: .data, type: .int, isBackEdge: false)]
        }
        #expect(VerifyGraph.verify(dangling).contains { $0.contains("does not exist") })
    }

    @Test func outputIsDeterministicAndJSONCarriesTheSameGraph() throws {
        let path = Repo.path("Examples/facfib/facfib.clv")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let (a, irA) = try #require(graphs(text, path: path))
        let (b, irB) = try #require(graphs(text, path: path))
        #expect(a.graphs.map { GraphOutput.dot($0, program: irA) } == b.graphs.map { GraphOutput.dot($0, program: irB) })
        #expect(GraphOutput.json(a.graphs, program: irA) == GraphOutput.json(b.graphs, program: irB))
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(GraphOutput.json(a.graphs, program: irA).utf8)) as? [[String: Any]])
        #expect(json.count == a.graphs.count)
        for (g, j) in zip(a.graphs, json) {
            #expect(j["function"] as? String == g.function)
            #expect((j["nodes"] as? [Any])?.count == g.nodes.count)
            #expect((j["edges"] as? [Any])?.count == g.edges.count)
        }
    }
}

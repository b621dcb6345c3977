// AnalyzeStateUse: every situation the analysis tells apart.

import CleaveDiagnostics
import CleaveDriver
import CleavePasses
import Testing

func analysis(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> StateUseAnalysis? {
    let result = Pipeline.run([SourceFile(path: "test.clv", text: text)], through: .states)
    #expect(!result.hasErrors, "\(DiagnosticFormatter().format(result.diagnostics))", sourceLocation: sourceLocation)
    return result.states
}

func diagnostics(_ text: String) -> [Diagnostic] {
    Pipeline.run([SourceFile(path: "test.clv", text: text)], through: .states).diagnostics.filter(\.isError)
}

func uses(_ r: StateReport) -> [String] {
    r.uses.map { u in
        switch u.kind {
        case .call(let m): m
        case .passedInout(let to, let m): "&\(to).\(m)"
        }
    }
}

@Suite struct AnalyzeStateUseTests {
    let service = """
        import net
        state Store {
            var table: Map<Bytes, Bytes> = Map()
            func answer(_ b: Bytes) -> Bytes {
                return table[b] ?? "NOT_FOUND"
            }
            func remember(_ b: Bytes) {
                table[b] = b
            }
        }
        func main() {
            let device = UdpDevice(port: 7000)
            let store = Store()
            loop {
                let d = device.receive()
                if d.payload.count > 3 {
                    store.remember(d.payload)
                }
                device.send(d.reply(store.answer(d.payload)))
            }
        }
        """

    @Test func usesAreListedPerStateInProgramOrder() throws {
        let a = try #require(analysis(service))
        #expect(a.states.map(\.name) == ["device", "store"])
        #expect(uses(a.states[0]) == ["receive", "send"])
        #expect(uses(a.states[1]) == ["remember", "answer"])
        #expect(a.states.allSatisfy { !$0.isParameter && $0.function == "main" })
    }

    @Test func severalUsesInOneScopeAreOneGroup() throws {
        let a = try #require(analysis(service))
        let device = a.states[0]
        #expect(device.scopes.count == 1)
        #expect(device.scopes[0].uses.count == 2)
        #expect(device.scopes[0].scope.description == "the loop at line 14")
    }

    @Test func aUseInsideABranchIsInItsOwnScope() throws {
        let a = try #require(analysis(service))
        let store = a.states[1]
        #expect(store.scopes.count == 2)
        #expect(store.scopes[0].scope.isInBranch)
        #expect(store.scopes[0].scope.description == "the loop at line 14, in the then-branch of the branch at line 16")
        #expect(!store.scopes[1].scope.isInBranch)
        #expect(ExplainStates.explain(a).contains("inside a branch: the branch decision is sent to the state's node"))
    }

    @Test func aSingleUseIsClassifiedAsSuch() throws {
        let a = try #require(analysis(service))
        let text = ExplainStates.explain(a)
        #expect(text.contains("in the loop at line 14: 1 use — answer (test.clv:19)\n    single use"))
        #expect(text.contains("several uses in one scope: defunctionalization merges them into one node, device.process(call)"))
    }

    @Test func aStatePassedInoutIsSeenFromBothSides() throws {
        let a = try #require(
            analysis(
                """
                state Device {
                    var frames: [Bytes] = []
                    func receive() -> Bytes? {
                        if frames.isEmpty { return nil }
                        return frames.removeLast()
                    }
                    func send(_ b: Bytes) {
                        frames.insert(b, at: 0)
                    }
                }
                state Stack {
                    var seen = 0
                    func poll(_ device: inout Device) {
                        while let f = device.receive() {
                            seen += f.count
                            device.send(f)
                        }
                    }
                }
                func main() {
                    var device = Device()
                    let stack = Stack()
                    loop {
                        stack.poll(&device)
                    }
                }
                """))
        let inMain = try #require(a.states.first { $0.name == "device" && $0.function == "main" })
        #expect(uses(inMain) == ["&stack.poll"])
        let inPoll = try #require(a.states.first { $0.name == "device" && $0.function == "poll" })
        #expect(inPoll.isParameter)
        #expect(uses(inPoll) == ["receive", "send"])
        #expect(ExplainStates.explain(a).contains("passed inout to stack.poll: lambda lifting splits poll at each call on device"))
    }

    @Test func anAliasIsAnErrorPointingAtItsUses() {
        let ds = diagnostics(
            """
            state S {
                var n = 0
                func f() {
                    n += 1
                }
            }
            func main() {
                let s = S()
                let t = s
                loop {
                    t.f()
                    s.f()
                }
            }
            """)
        #expect(ds.map(\.id) == ["state-aliased"])
        let notes = ds.first?.notes.compactMap { n in n.span.map { "\($0.line):\($0.column) \(n.message)" } } ?? []
        #expect(notes == ["11:9 't' is used here", "8:13 's' is created here"])
    }

    @Test func aStateCreatedInALoopIsAnError() {
        let ds = diagnostics(
            """
            state S {
                var n = 0
            }
            func main() {
                var i = 0
                while i < 3 {
                    let s = S()
                    i += 1
                }
            }
            """)
        #expect(ds.map(\.id) == ["state-created-in-loop"])
        #expect(ds.first?.span?.line == 7)
        #expect(ds.first?.notes.first?.span?.line == 6)
    }

    @Test func aProgramTheAnalysisRejectsIsNotLowered() {
        let result = Pipeline.run(
            [SourceFile(path: "test.clv", text: "state S {\n    var n = 0\n}\nfunc main() {\n    loop {\n        let s = S()\n    }\n}\n")],
            through: .graph)
        #expect(result.hasErrors)
        #expect(result.ir == nil)
        #expect(result.graphs.isEmpty)
    }
}

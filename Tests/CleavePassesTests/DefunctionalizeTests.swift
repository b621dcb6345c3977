// Defunctionalize: calls on states in main become calls of one `process` method per
// state, fed by a call enum; the program still verifies.

import CleaveDriver
import CleaveIR
import CleavePasses
import CleaveSema
import Testing

@Suite struct DefunctionalizeTests {
    @Test func everyCallInMainGoesThroughProcess() throws {
        let d = try #require(try passes(threeStates, through: .defunctionalized).defunctionalized)
        let typed = d.program.typed
        let main = try #require(d.program.mainFunction)
        var calls = 0
        for s in allStatements(main.body) {
            guard case .stateCall(_, let inoutNext, _, .value(let state), let m, let args) = s.kind else { continue }
            calls += 1
            guard case .nominal(let t) = main.info(state).type else { continue }
            #expect(d.interface(of: t)?.process == m, "line \(s.span.line) calls \(typed.function(m).name)")
            #expect(inoutNext.isEmpty && args.count == 1)
        }
        // receive, send, unpack, pack, add in the branch, add in the loop.
        #expect(calls == 6)
        #expect(VerifyIR.verify(d.program).isEmpty)
    }

    @Test func theEnumsHaveOneCasePerMethodInOrderOfFirstCall() throws {
        let d = try #require(try passes(threeStates, through: .defunctionalized).defunctionalized)
        let typed = d.program.typed
        func cases(_ t: TypeID) -> [String] { typed.type(t).cases.map(\.name) }
        let names = d.interfaces.map { typed.type($0.state).name }
        #expect(names == ["UdpDevice", "Stack", "Store"])
        let stack = try #require(d.interfaces.first { typed.type($0.state).name == "Stack" })
        #expect(typed.type(stack.callType).name == "StackCall")
        #expect(cases(stack.callType) == ["unpack", "pack"])
        // pack's call carries n and total; its result, total's next version and the bytes.
        let pack = typed.type(stack.callType).cases[1].payload.map { typed.typeName($0.type) }
        #expect(pack == ["Int", "Int"])
        let packResult = typed.type(stack.resultType).cases[1].payload.map { typed.typeName($0.type) }
        #expect(packResult == ["Int", "Bytes"])
        let store = try #require(d.interfaces.first { typed.type($0.state).name == "Store" })
        #expect(cases(store.callType) == ["add"])
    }

    @Test func processRunsTheMethodTheCallNames() throws {
        let d = try #require(try passes(threeStates, through: .defunctionalized).defunctionalized)
        let stack = try #require(d.interfaces.first { d.program.typed.type($0.state).name == "Stack" })
        let process = try #require(d.program.function(stack.process))
        let switches = process.body.stmts.compactMap { s -> [IRBlock]? in
            if case .switchOf(_, let cases, _) = s.kind { return cases }
            return nil
        }
        let cases = try #require(switches.first)
        #expect(cases.count == 2)
        for (k, c) in cases.enumerated() {
            let called = allStatements(c).compactMap { s -> FunctionID? in
                if case .stateCall(_, _, _, _, let m, _) = s.kind { return m }
                return nil
            }
            #expect(called == [stack.methods[k]])
        }
    }

    @Test func aProgramWithoutStatesIsLeftAlone() throws {
        let d = try #require(try passes("func main() {\n    let x = 1 + 2\n}\n", through: .defunctionalized).defunctionalized)
        #expect(d.interfaces.isEmpty)
    }

    @Test func aNameTakenByTheUserGetsAnother() throws {
        let text = threeStates.replacingOccurrences(of: "import net\n", with: "import net\nstruct StoreCall { let x: Int }\n")
        let d = try #require(try passes(text, through: .defunctionalized).defunctionalized)
        let store = try #require(d.interfaces.first { d.program.typed.type($0.state).name == "Store" })
        #expect(d.program.typed.type(store.callType).name == "StoreCall2")
    }
}

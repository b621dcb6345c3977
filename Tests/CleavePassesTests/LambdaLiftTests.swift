// LambdaLift: a state method that calls a state it takes inout is split at those
// calls; the caller makes them. The lifted program verifies and no method of a state
// main creates touches another state.

import CleaveDiagnostics
import CleaveDriver
import CleaveIR
import CleavePasses
import CleaveSema
import Testing

let pollingStack = """
    import net
    state Stack {
        var frames: Int = 0
        func poll(_ device: inout UdpDevice, _ limit: Int, _ total: inout Int) -> Int {
            var handled = 0
            while handled < limit {
                let d = device.receive()
                frames += 1
                if d.payload.count == 0 {
                    device.send(d.reply("empty"))
                    break
                }
                device.send(d.reply(Bytes("\\(frames)")))
                handled += 1
                total += 1
            }
            return handled
        }
    }
    func main() {
        var device = UdpDevice(port: 9500)
        let stack = Stack()
        var total = 0
        loop {
            let n = stack.poll(&device, 3, &total)
            let d = device.receive()
            device.send(d.reply(Bytes("\\(n) \\(total)")))
        }
    }
    """

@Suite struct LambdaLiftTests {
    func lifted(_ text: String) throws -> IRProgram {
        let r = try passes(text, through: .lifted)
        return try #require(r.lifted)
    }

    @Test func theMethodBecomesAStartAndOneContinuationPerCall() throws {
        let ir = try lifted(pollingStack)
        // The methods of the states main creates (the net module's stack, never made here, is
        // left as it is).
        let created = Partition.createdStateTypes(ir)
        let names = ir.functions.filter { if case .stateMethod(let t) = $0.kind { created.contains(t) } else { false } }.map(\.name)
            .sorted()
        #expect(names == ["poll_resume1", "poll_resume2", "poll_resume3", "poll_start"])
        #expect(VerifyIR.verify(ir).isEmpty)
        // The request: done with the method's results (total's next version, the count), and one
        // case per call on the device: its arguments, then the live values.
        let request = try #require(ir.typed.types.first { $0.name == "StackPollRequest" })
        #expect(request.cases.map(\.name) == ["done", "receive1", "send2", "send3"])
        #expect(request.cases[0].payload.map { ir.typed.typeName($0.type) } == ["Int", "Int"])
        #expect(request.cases[1].payload.map { ir.typed.typeName($0.type) } == ["Int", "Int", "Int"])
    }

    @Test func noStateMethodTouchesAnotherState() throws {
        let ir = try lifted(pollingStack)
        #expect(CheckStateLocality.check(Defunctionalize.run(ir)).isEmpty)
        let created = Partition.createdStateTypes(ir)
        for f in ir.functions {
            guard case .stateMethod(let owner) = f.kind, created.contains(owner) else { continue }
            for s in allStatements(f.body) {
                if case .stateCall(_, _, _, let state, _, _) = s.kind {
                    #expect(state.type { f.info($0).type } == .nominal(owner), "\(f.name) line \(s.span.line)")
                }
            }
        }
    }

    @Test func mainMakesTheCallsInALoop() throws {
        let ir = try lifted(pollingStack)
        let main = try #require(ir.mainFunction)
        let called = allStatements(main.body).compactMap { s -> String? in
            if case .stateCall(_, _, _, _, let m, _) = s.kind { return ir.typed.function(m).name }
            return nil
        }
        #expect(called == ["poll_start", "receive", "poll_resume1", "send", "poll_resume2", "send", "poll_resume3", "receive", "send"])
    }

    @Test func liveValuesTravelInTheRequest() throws {
        // After the receive, `limit`, `handled` and `total` are still needed: they go out with the
        // request and come back as the continuation's parameters.
        let ir = try lifted(pollingStack)
        let resume = try #require(ir.functions.first { $0.name == "poll_resume1" })
        #expect(resume.params.dropFirst().map { resume.info($0).name ?? "?" } == ["limit", "handled", "total", "d"])
    }

    @Test func aMethodTakingTwoStatesIsAnErrorAtItsDeclaration() throws {
        let text = """
            import net
            state Relay {
                func pass(_ a: inout UdpDevice, _ b: inout UdpDevice) {
                    b.send(a.receive())
                }
            }
            func main() {
                var a = UdpDevice(port: 9501)
                var b = UdpDevice(port: 9502)
                let relay = Relay()
                loop {
                    relay.pass(&a, &b)
                }
            }
            """
        let r = Pipeline.run([SourceFile(path: "t.clv", text: text)], through: .lifted)
        let d = try #require(r.diagnostics.first { $0.id == "lambda-lift-unsupported" })
        #expect(d.message.contains("takes 2 states inout"))
        #expect(d.span?.line == 3)
        #expect(r.lifted == nil)
    }

    @Test func aProgramWithoutSuchMethodsIsUnchanged() throws {
        let r = try passes(threeStates, through: .lifted)
        #expect(IRPrinter.print(try #require(r.lifted)) == IRPrinter.print(try #require(r.ir)))
    }
}

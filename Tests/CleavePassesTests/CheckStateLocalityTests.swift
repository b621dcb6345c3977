// CheckStateLocality: the passes' output passes it; a program they did not make
// state-local fails it, naming the pass that should have.

import CleaveDiagnostics
import CleaveDriver
import CleaveIR
import CleavePasses
import CleaveSema
import Testing

@Suite struct CheckStateLocalityTests {
    @Test func thePassesOutputIsStateLocal() throws {
        let r = try passes(threeStates, through: .projected)
        #expect(CheckStateLocality.check(try #require(r.defunctionalized)).isEmpty)
        #expect(CheckStateLocality.check(try #require(r.projected)).isEmpty)
    }

    @Test func aDirectCallInMainIsNotDefunctionalized() throws {
        // The IR as lowered, before Defunctionalize: main calls receive, answer, send directly.
        let r = try passes(threeStates, through: .ir)
        let ir = try #require(r.ir)
        let problems = CheckStateLocality.check(DefunctionalizedProgram(program: ir, interfaces: []))
        #expect(problems.count == 6)
        #expect(problems.allSatisfy { $0.hasPrefix("Defunctionalize: main calls ") })
    }

    @Test func aStateMethodTakingAStateIsNotLifted() throws {
        let text = """
            import net
            state Stack {
                func poll(_ device: inout UdpDevice) -> Bytes {
                    return device.receive().payload
                }
            }
            func main() {
                var device = UdpDevice(port: 9301)
                let stack = Stack()
                loop {
                    let b = stack.poll(&device)
                    device.send(Datagram(payload: b, port: 9301, peerAddress: 0, peerPort: 1))
                }
            }
            """
        let r = Pipeline.run([SourceFile(path: "t.clv", text: text)], through: .ir)
        let ir = try #require(r.ir)
        let problems = CheckStateLocality.check(Defunctionalize.run(ir))
        #expect(problems.contains { $0.hasPrefix("LambdaLift: state method Stack.poll still takes state UdpDevice") })
        #expect(problems.contains { $0.hasPrefix("LambdaLift: state method Stack.poll calls state UdpDevice") })
    }

    @Test func aStateCalledByTwoComponentsIsCaught() throws {
        let r = try passes(threeStates, through: .projected)
        let p = try #require(r.projected)
        // Give the device's program the store's program's statements too.
        let device = p.components[0]
        let store = try #require(p.components.first { $0.component.name == "store" })
        let merged = device.main.with(body: IRBlock(store.main.body.stmts + device.main.body.stmts), values: device.main.values)
        let broken = ProjectedProgram(
            partitioned: p.partitioned, components: [ComponentProgram(component: device.component, main: merged)] + p.components.dropFirst()
        )
        let problems = CheckStateLocality.check(broken)
        #expect(problems.contains { $0.contains("state store is used by components device, store") })
    }
}

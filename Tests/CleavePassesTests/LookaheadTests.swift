// Lookahead: the UDP device's component reads the next datagrams ahead only when
// its first stage is the receive and work that cannot trap, and what follows the
// device's first wait can neither trap nor print; the rewrite keeps the IR valid
// and sends the peers the same values, iterations earlier.

import CleaveDriver
import CleaveIR
import CleavePasses
import CleaveSema
import Testing

@Suite struct LookaheadTests {
    let kv = """
        import net
        state Store {
            var table: Map<Bytes, Bytes> = Map()
            func answer(_ request: Bytes) -> Bytes {
                table[request] = request
                return request
            }
        }
        func main() {
            let device = UdpDevice(port: 7000)
            let store = Store()
            loop {
                let datagram = device.receive()
                let reply = store.answer(datagram.payload)
                device.send(datagram.reply(reply))
            }
        }
        """

    func components(_ text: String) throws -> (ProjectedProgram, [IRFunction?]) {
        let p = try #require(try passes(text, through: .projected).projected)
        return (p, p.components.indices.map { Lookahead.run(p, component: $0) })
    }

    @Test func theDevicesComponentReadsAheadAndStaysValid() throws {
        let (p, ahead) = try components(kv)
        let device = try #require(ahead[0], "the device's component was not rewritten")
        let storeReadsAhead = ahead[1] != nil
        #expect(!storeReadsAhead, "the store has no device to read ahead from")
        #expect(VerifyIR.verify(p.program.with(typed: p.program.typed, functions: [device])).isEmpty)
        // The receive and the send to the store now appear twice: this iteration's and the next's.
        let loop = try #require(device.body.stmts.first { if case .loop = $0.kind { true } else { false } })
        let statements = allStatements(IRBlock([loop]))
        let receives = statements.filter { if case .stateCall = $0.kind { true } else { false } }
        let sends = statements.filter { if case .send = $0.kind { true } else { false } }
        #expect(receives.count == 3)  // this iteration's receive, the read-ahead's, the reply's send
        #expect(sends.count == 2)
        func builtin(_ name: String) -> Bool {
            statements.contains { if case .assign(_, .builtin(let n, _)) = $0.kind { n.description == name } else { false } }
        }
        // It asks whether it may read ahead, and keeps what it read for the iterations to come.
        #expect(builtin("UdpDevice.readAhead") && builtin("Lookahead.push") && builtin("Lookahead.pop"))
    }

    @Test func aFirstStageThatMayTrapIsLeftAlone() throws {
        // `payload.count + 1` may overflow: reading ahead could trap before this iteration's reply.
        let text = kv.replacingOccurrences(
            of: "let reply = store.answer(datagram.payload)",
            with: "let n = datagram.payload.count + 1\n        let reply = store.answer(\"\\(n)\")")
        let (_, ahead) = try components(text)
        let readsAhead = ahead[0] != nil
        #expect(!readsAhead, "read ahead anyway")
    }

    @Test func whatFollowsTheFirstWaitMustNeitherTrapNorPrint() throws {
        // Were the store to trap on the next request while this reply's `+ 1` traps, or print
        // while this iteration prints, the order a user sees would change.
        for rest in ["let n = reply.count + 1\n        print(\"\\(n)\")", "print(\"answered\")", "let n = reply.count + 1"] {
            let text = kv.replacingOccurrences(
                of: "device.send(datagram.reply(reply))", with: "\(rest)\n        device.send(datagram.reply(reply))")
            let (_, ahead) = try components(text)
            let readsAhead = ahead[0] != nil
            #expect(!readsAhead, "\(rest)")
        }
        // Work that cannot trap there is fine.
        let quiet = kv.replacingOccurrences(
            of: "device.send(datagram.reply(reply))", with: "let n = reply.count &+ 1\n        device.send(datagram.reply(\"\\(n)\"))")
        #expect(try components(quiet).1[0] != nil)
    }

    @Test func aProgramWithTwoDevicesIsLeftAlone() throws {
        let text = kv.replacingOccurrences(
            of: "let store = Store()", with: "let store = Store()\n    let other = UdpDevice(port: 7001)"
        )
        .replacingOccurrences(
            of: "device.send(datagram.reply(reply))", with: "device.send(datagram.reply(reply))\n        other.send(datagram.reply(reply))")
        let (_, ahead) = try components(text)
        let anyReadsAhead = ahead.contains { $0 != nil }
        #expect(!anyReadsAhead)
    }

    @Test func aFirstStageThatReadsWhatTheLoopCarriesIsLeftAlone() throws {
        // `seen` changes in each iteration and the device's first stage reads it: a stage read
        // ahead would send the store the value of an iteration that has not ended.
        let text = """
            import net
            state Store {
                var table: Map<Bytes, Bytes> = Map()
                func answer(_ request: Bytes, _ seen: Int) -> Bytes {
                    table[request] = request
                    return request
                }
            }
            func main() {
                let device = UdpDevice(port: 7000)
                let store = Store()
                var seen = 0
                loop {
                    let datagram = device.receive()
                    let reply = store.answer(datagram.payload, seen)
                    seen = seen &+ 1
                    device.send(datagram.reply(reply))
                }
            }
            """
        let (p, ahead) = try components(text)
        // The program is one Lookahead would take, but for the carried value its first stage reads.
        #expect(p.components[0].component.name == "device")
        let readsAhead = ahead[0] != nil
        #expect(!readsAhead, "read ahead anyway")
        let without = text.replacingOccurrences(of: "store.answer(datagram.payload, seen)", with: "store.answer(datagram.payload, 0)")
        #expect(try components(without).1[0] != nil)
    }

    @Test func aLoopThatBreaksIsLeftAlone() throws {
        let text = kv.replacingOccurrences(
            of: "device.send(datagram.reply(reply))",
            with: "device.send(datagram.reply(reply))\n        if reply == \"stop\" { break }")
        let (_, ahead) = try components(text)
        let readsAhead = ahead[0] != nil
        #expect(!readsAhead, "read ahead anyway")
    }
}

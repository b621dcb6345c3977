// Project: each component's local program keeps its own states only, and every
// channel is sent by one component and received by another, at matching points.

import CleaveDriver
import CleaveIR
import CleavePasses
import CleaveSema
import CleaveTestSupport
import Testing

@Suite struct ProjectTests {
    func stateNames(_ f: IRFunction) -> Set<String> {
        Set(
            allStatements(f.body).compactMap { s -> String? in
                switch s.kind {
                case .stateCall(let next, _, _, _, _, _): f.info(next).name
                case .createState(let v, _, _, _): f.info(v).name
                default: nil
                }
            })
    }

    @Test func eachComponentTouchesOnlyItsStates() throws {
        let p = try #require(try passes(threeStates, through: .projected).projected)
        for c in p.components {
            #expect(stateNames(c.main) == Set(c.component.stateNames), "\(c.component.name)")
            #expect(VerifyIR.verify(p.program.with(typed: p.program.typed, functions: [c.main])).isEmpty)
        }
        #expect(CheckStateLocality.check(p).isEmpty)
    }

    @Test func sendsAndReceivesMatchInOrder() throws {
        let p = try #require(try passes(threeStates, through: .projected).projected)
        // Between any two components, the channels one sends appear in the other's program
        // as receives in the same order.
        func events(_ f: IRFunction, _ keep: (IRStmt) -> Int?) -> [Int] { allStatements(f.body).compactMap(keep) }
        for a in p.components.indices {
            for b in p.components.indices where a != b {
                let sent = events(p.components[a].main) {
                    if case .send(let c, _) = $0.kind, p.channels[c].to == b { return c }
                    return nil
                }
                let received = events(p.components[b].main) {
                    if case .receive(let c, _) = $0.kind, p.channels[c].from == a { return c }
                    return nil
                }
                #expect(sent == received, "\(a) -> \(b)")
            }
        }
    }

    /// A component's program as a list of what each statement does, nested blocks indented.
    func shape(_ b: IRBlock, _ f: IRFunction, _ p: ProjectedProgram, depth: Int = 0) -> [String] {
        let pad = String(repeating: "  ", count: depth)
        return b.stmts.flatMap { s -> [String] in
            switch s.kind {
            case .createState(let v, _, _, _): return [pad + "create \(f.info(v).name ?? "?")"]
            case .stateCall(_, _, _, .value(let st), _, _): return [pad + "call \(f.info(st).name ?? "?")"]
            case .send(let c, _):
                return [
                    pad
                        + "send \(p.channels[c].isTurn ? "turn" : p.channels[c].name ?? "value") to \(p.components[p.channels[c].to].component.name)"
                ]
            case .receive(let c, _):
                return [
                    pad
                        + "receive \(p.channels[c].isTurn ? "turn" : p.channels[c].name ?? "value") from \(p.components[p.channels[c].from].component.name)"
                ]
            case .loop(_, _, let body, _): return [pad + "loop"] + shape(body, f, p, depth: depth + 1)
            case .continueLoop: return [pad + "continue"]
            case .assign: return []
            default: return [pad + "\(s.kind)".prefix(12).description]
            }
        }
    }

    @Test func kvProjectsAsWorkedOutByHand() throws {
        // Written from the sequential program, not from the pass: the device receives, makes the
        // store's call and sends it, waits for the reply and sends it on; the store waits for the
        // call, answers, and sends back the reply's bytes. Creating the device comes before
        // creating the store (the device announces its port), and the store's creation before the
        // loop: turns order those two steps, and nothing else needs one.
        let text = try String(contentsOfFile: Repo.path("Examples/kv/kv.clv"), encoding: .utf8)
        let p = try #require(try passes(text, through: .projected).projected)
        let shapes = p.components.map { shape($0.main.body, $0.main, p) }
        #expect(
            shapes[0] == [
                "create device", "send turn to store", "receive turn from store", "loop", "  call device", "  send value to store",
                "  receive reply from store", "  call device", "  continue",
            ], "\(shapes[0])")
        #expect(
            shapes[1] == [
                "receive turn from device", "create store", "send turn to device", "loop", "  receive value from device",
                "  call store", "  send reply to device", "  continue",
            ], "\(shapes[1])")
    }

    @Test func aComponentOutsideABranchDoesNotRunIt() throws {
        // The device has no work in `if n > 3 { store.add }`: its program has no such branch.
        let p = try #require(try passes(threeStates, through: .projected).projected)
        let device = try #require(p.components.first { $0.component.name == "device" })
        let store = try #require(p.components.first { $0.component.name == "store" })
        func branches(_ f: IRFunction) -> Int {
            allStatements(f.body).filter { if case .ifThen = $0.kind { true } else { false } }.count
        }
        #expect(branches(store.main) > branches(device.main))
    }

    @Test func theCarriedValueStaysWithItsOwner() throws {
        // `total` is carried by main's loop and changed by the stack's pack: the stack carries it.
        let p = try #require(try passes(threeStates, through: .projected).projected)
        for c in p.components {
            let loops = allStatements(c.main.body).compactMap { s -> [IRValue]? in
                if case .loop(let carried, _, _, _) = s.kind { return carried }
                return nil
            }
            let carriesTotal = loops.first?.contains { c.main.info($0).name == "total" } ?? false
            #expect(carriesTotal == (c.component.name == "stack"), "\(c.component.name)")
        }
    }

    @Test func aComponentWhosePartEndsInTheSetUpHaltsThere() throws {
        // `warmup` is called only before the service loop: its program ends there, with a halt
        // (the others go on), and every component's program verifies.
        let text = """
            import net
            state Warmup {
                var rounds: Int = 0
                func round() -> Int {
                    rounds += 1
                    return rounds
                }
            }
            state Echo {
                func answer(_ b: Bytes) -> Bytes { return b }
            }
            func main() {
                let warmup = Warmup()
                let echo = Echo()
                loop {
                    if warmup.round() >= 3 { break }
                }
                let device = UdpDevice(port: 9000)
                loop {
                    let d = device.receive()
                    device.send(d.reply(echo.answer(d.payload)))
                }
            }
            """
        let p = try #require(try passes(text, through: .projected).projected)
        let warmup = try #require(p.components.first { $0.component.name == "warmup" })
        guard case .halt? = warmup.main.body.stmts.last?.kind else {
            Issue.record("warmup's program does not end with a halt: \(String(describing: warmup.main.body.stmts.last?.kind))")
            return
        }
        #expect(
            warmup.main.topLevelLoop(at: p.partitioned.main.body.stmts[p.partitioned.main.serviceLoop(p.program.typed) ?? 0].span) == nil)
        for c in p.components where c.component.name != "warmup" {
            if case .halt? = c.main.body.stmts.last?.kind { Issue.record("\(c.component.name) halts after its set-up") }
        }
        for c in p.components {
            #expect(VerifyIR.verify(p.program.with(typed: p.program.typed, functions: [c.main])).isEmpty, "\(c.component.name)")
        }
    }
}

// Project: each component's local program keeps its own states only, and every
// channel is sent by one component and received by another, at matching points.

import CleaveDriver
import CleaveIR
import CleavePasses
import CleaveSema
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
}

/// Project: each component's local program, `main` as that component sees it.
///
/// Requires: a partitioned program (`Partition`).
/// Ensures: for every component, a function of kind `main` over `main`'s values
/// that keeps the statements the component owns, the branches and loops it takes
/// part in (yielding, carrying and breaking with only the values it owns), and
/// nothing else; right after each value that crosses (or at the start of each
/// iteration, for a value a loop carries), the owner `send`s it on its channel and
/// the reader `receive`s it; a component whose part ends before `main` does halts
/// there. Every state appears in the program of its own component only.
///
/// This is endpoint projection in the sense of choreographic programming: `main` is
/// the choreography, each component's program its projection, and every branch or
/// loop a component takes part in is decided by a value it receives, so all
/// components follow the same path through `main`.
///
/// Why the projected programs cannot deadlock. Number the events of one run of the
/// sequential `main` in program order: every send and receive of the projected
/// programs is one event (the crossing of one value at one point of that run), and
/// each component meets its own events in increasing order, because its program is
/// `main` with statements left out. A receive waits only for the send of the same
/// event, on one channel that carries values in the order they were sent. Suppose
/// every unfinished component waited at a receive, and take the earliest of those
/// events, e. Its sender has met every one of its own events before e, and none of
/// them is a receive still waiting (they all come before e, and e is the earliest),
/// so the sender has reached e's send and sent: the receive of e can proceed, a
/// contradiction. Sends never wait here (a channel in one thread is an unbounded
/// queue); where a channel is bounded the same argument applies to the earliest
/// waiting event, send or receive. Turns are events like any other.
///
/// Why the projected programs show what `main` shows: the rule of running ahead. A
/// component may run ahead of the others (a counter that needs nothing from the
/// device could compute its next thousand values before the first request) only
/// where nothing a user sees changes. What a user sees is the program's effects
/// (`AnalyzeEffects`): replies and input taken (a device's), standard error (a
/// `print`, a trap's message), the exit status (a trap), what C functions do, and,
/// through later replies, a state's changes. The rule: every effect of a component
/// happens after every effect that comes before it in `main`, in whatever
/// component. `Partition` keeps it: two effects of different components in a row
/// are already ordered when a chain of channels leads from the first's component,
/// after it, to the second's, before it; where no value makes such a chain, the
/// first hands the second a turn, a message with no value. So each effect of the
/// projected programs happens after all those before it in `main`, and the effects
/// come in `main`'s order: a counter whose 256th call traps does so at the 256th
/// request, after the 255th reply, its message after every line printed before it.
/// Within one component nothing more is needed: its program keeps `main`'s order.
///
/// Keeping components in step costs a message (a turn) where no value already orders
/// two effects, and the wait for it. Holding what a component did ahead until its
/// turn instead would still cost the message (to say that the turn has come), though
/// not the wait; but it would have to buffer the component's prints, hold its trap,
/// and undo its state changes when a peer is restarted and the values it computed
/// ahead are lost, which cannot be done in general. Kept in step, a restarted peer
/// finds every other component where the sequential program is. Measured
/// (`Benchmarks/order.py`, results/order.md; ratios to the unikernel of the same run,
/// which on a small shared machine move by tens of percent from run to run): kv needs
/// no turn in its loop and serves as it did when components could run ahead (1.05
/// and 0.86 of the unikernel at 1 and 32 requests in flight, against 1.02 and 0.84).
/// A counter beside a formatter needs a turn per request: 0.69 of the unikernel at
/// one request in flight, where running ahead (the most holding back could gain)
/// reached 1.36 by doing the counter's work on the other processor; at 32 in flight,
/// where the device reads ahead (`Lookahead`), 0.78 against 0.58.
///
/// Two exceptions, each argued where it is made: `Lookahead` lets a device's
/// component read the next datagrams of a batch already read from the kernel while
/// its peers answer, when nothing that follows its first wait can trap or print;
/// and after a failure the launcher lets every other component finish what needs
/// neither new input nor the failed one, which is exactly what comes before the
/// failure in `main` (launcher.c). A trap is said by one component (its reporter,
/// `Partition`); the others taking part where it is halt there without a word.

import CleaveDiagnostics
import CleaveIR
import CleaveSema

public struct ComponentProgram: Sendable {
    public let component: Component
    public let main: IRFunction

    public init(component: Component, main: IRFunction) {
        self.component = component
        self.main = main
    }
}

public struct ProjectedProgram: Sendable {
    public let partitioned: PartitionedProgram
    public let components: [ComponentProgram]

    public init(partitioned: PartitionedProgram, components: [ComponentProgram]) {
        self.partitioned = partitioned
        self.components = components
    }

    public var program: IRProgram { partitioned.program }
    public var channels: [Channel] { partitioned.channels }
}

public enum Project {
    public static func run(_ p: PartitionedProgram) -> ProjectedProgram {
        let programs = p.components.indices.map { k in
            var projector = Projector(p: p, me: k)
            var body = projector.block(p.main.body, first: 0)
            // A component whose states the rest of `main` never calls (one used only in the set-up)
            // comes to the end of its part while the others go on: it halts there, quietly.
            if !(body.stmts.last.map(isTerminator) ?? false) {
                body.stmts.append(IRStmt(kind: .halt, span: body.stmts.last?.span ?? p.main.span))
            }
            return ComponentProgram(component: p.components[k], main: p.main.with(body: body, values: p.main.values))
        }
        return ProjectedProgram(partitioned: p, components: programs)
    }
}

struct Projector {
    let p: PartitionedProgram
    let me: Int
    /// Where `yield`, `break` and `continue` deliver: (results, carried, is a loop).
    var targets: [(results: [IRValue], carried: [IRValue], isLoop: Bool)] = []

    func mine(_ v: IRValue) -> Bool { p.valueOwner[v] == me }
    func takesPart(_ n: Int) -> Bool { p.participants[n]?.contains(me) ?? false }

    /// The crossings of `channels` as this component sees them.
    func crossings(_ channels: [Int]?, span: SourceSpan) -> [IRStmt] {
        (channels ?? []).compactMap { id in
            let ch = p.channels[id]
            if ch.from == me { return IRStmt(kind: .send(channel: id, ch.isTurn ? .void : .value(ch.value)), span: span) }
            if ch.to == me { return IRStmt(kind: .receive(channel: id, ch.value), span: span) }
            return nil
        }
    }

    /// Keep the atoms delivered into values this component owns.
    func kept(_ xs: [IRAtom], into targets: [IRValue]) -> [IRAtom] {
        zip(xs, targets).filter { mine($0.1) }.map(\.0)
    }

    mutating func block(_ b: IRBlock, first: Int) -> IRBlock {
        var out: [IRStmt] = []
        var n = first
        for s in b.stmts {
            let number = n
            n += 1 + statementParts(s).nested.reduce(0) { $0 + numberedCount($1) }
            switch s.kind {
            case .assign, .stateCall, .createState, .send, .receive:
                if p.statementOwner[number] == me { out.append(s) }
            case .ifThen(let c, let a, let e, let results):
                guard takesPart(number) else { break }
                targets.append((results, [], false))
                let a2 = block(a, first: number + 1)
                let e2 = block(e, first: number + 1 + numberedCount(a))
                targets.removeLast()
                out.append(IRStmt(kind: .ifThen(c, then: a2, else: e2, results: results.filter(mine)), span: s.span))
            case .switchOf(let subject, let cases, let results):
                guard takesPart(number) else { break }
                targets.append((results, [], false))
                var first = number + 1
                var projected: [IRBlock] = []
                for c in cases {
                    projected.append(block(c, first: first))
                    first += numberedCount(c)
                }
                targets.removeLast()
                out.append(IRStmt(kind: .switchOf(subject, projected, results: results.filter(mine)), span: s.span))
            case .loop(let carried, let initial, let body, let results):
                guard takesPart(number) else { break }
                targets.append((results, carried, true))
                let inner = block(body, first: number + 1)
                targets.removeLast()
                let start = crossings(p.crossingsAtIterationStart[number], span: s.span)
                let pairs = zip(carried, initial).filter { mine($0.0) }
                out.append(
                    IRStmt(
                        kind: .loop(
                            carried: pairs.map(\.0), initial: pairs.map(\.1), body: IRBlock(start + inner.stmts),
                            results: results.filter(mine)), span: s.span))
            case .yield(let xs):
                out.append(IRStmt(kind: .yield(kept(xs, into: targets.last?.results ?? [])), span: s.span))
            case .breakLoop(let xs):
                let loop = targets.last { $0.isLoop }
                out.append(IRStmt(kind: .breakLoop(kept(xs, into: loop?.results ?? [])), span: s.span))
            case .continueLoop(let xs):
                let loop = targets.last { $0.isLoop }
                out.append(IRStmt(kind: .continueLoop(kept(xs, into: loop?.carried ?? [])), span: s.span))
            case .returnValues:
                out.append(IRStmt(kind: .returnValues([]), span: s.span))
            case .trap:
                // One component reports the trap; the others taking part stop there quietly.
                if p.trapReporter[number] == me {
                    out.append(s)
                } else if takesPart(number) {
                    out.append(IRStmt(kind: .halt, span: s.span))
                }
            case .halt:
                break
            }
            out += crossings(p.crossingsAfter[number], span: s.span)
        }
        return IRBlock(out)
    }
}

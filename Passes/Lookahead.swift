// Lookahead: the device's component of an isolated build reads the next
// request while a peer answers this one.
//
// In the isolated target the device's component and its peers answer each
// other in strict alternation: kv's device receives a datagram, sends the
// store its call, waits for the answer, sends the reply, and only then
// receives the next datagram. This pass lets the device's component start the
// next iteration's first stage (receive the datagram, compute and send what
// its peers need) before it waits, when that changes nothing a user can see:
//
//   - the datagram is already in the batch the netif has read from the kernel
//     (`UdpDevice.ready`, no system call). The unikernel's netif holds the
//     same batch and sends its replies only when the batch is answered, so the
//     same datagrams arrive in the same order and the same replies leave: a
//     reply is never sent before a datagram that came after it is read;
//   - the first stage is the device's `receive` and pure work that cannot trap
//     (field and payload reads, enum and struct construction) and sends on
//     channels: it prints nothing and stops nothing, and the peers receive the
//     same values in the same order, only earlier;
//   - the first stage reads no value the rest of the iteration changes, and the
//     loop never breaks (the read-ahead datagram would be lost);
//   - what the sequential program does after the device's first wait, until the
//     iteration ends, can neither trap nor print nor call C (`AnalyzeEffects`):
//     its effects are state changes and the device's output. Reading ahead moves
//     the peers' work of the next iteration before it (their effects are ordered
//     after it by the program's turns, `Partition`, which the early sends take
//     the place of); with nothing there that stderr or a trap could show, the
//     only thing that moves is a peer's own trap or print of the next iteration,
//     relative to replies on the network, which no one sees on one stream. If a
//     peer traps early, the launcher lets the device finish the iteration it is
//     in (its reply is sent, as in the sequential program) before the service
//     stops;
//   - the program has one device: another device's component would not be held
//     back by this one's reads.
//
// At run time, under `--restart` with a component that may be started again, the
// launcher holds reading ahead (`cl_ahead_held`): a restart abandons the iteration
// and what was read ahead with it, which would lose more than the request in flight.
//
// Otherwise the program is left as it is. The rewrite, in IR: an iteration takes
// its first stage's results from the runtime's read-ahead queue (`Lookahead.pop`,
// copied in and out like a channel's values) when there are any, or runs the
// first stage itself; then, before its first wait on a peer, it runs the first
// stages of the next iterations while datagrams are ready and the queue has room
// (`UdpDevice.readAhead`), pushing their results. Peers thus receive a run of
// calls at once and answer them back to back.

import CleaveDiagnostics
import CleaveIR
import CleaveSema

/// Lookahead: the device's component of an isolated build reads ahead.
///
/// Requires: a projected program (`Project`) whose partitioned `main` has one device, a
/// `UdpDevice`, carried by its service loop (`IRFunction.serviceLoop`); component `k`'s
/// `main` as `Project` made it.
/// Ensures: nil when the pattern above does not hold, and the program is left as it is;
/// otherwise component `k`'s `main` with its part of the service loop rewritten: an
/// iteration takes its first stage (the device's `receive`, pure work that cannot trap, and
/// sends) from the runtime's read-ahead queue when one is there, else runs it; and before
/// its first wait on a peer it runs the first stages of the next iterations while
/// datagrams are ready and the queue has room, pushing their results. The rewrite is
/// taken only where nothing a user sees changes (the essay above): the first stage reads
/// no value the loop carries but the device, the rest never breaks and never reads the
/// device as it was, and what `main` does after the device's first wait to the end of the
/// iteration only changes states and uses the device (`AnalyzeEffects`). The result
/// verifies (`VerifyIR`), and the loop keeps its span.
public enum Lookahead {
    /// Component `k`'s `main` with its service loop pipelined, or nil when the pattern does not hold.
    public static func run(_ projected: ProjectedProgram, component k: Int) -> IRFunction? {
        let program = projected.program
        let main = projected.components[k].main
        let typed = program.typed
        guard projected.partitioned.deviceCount == 1 else { return nil }
        func isUdpDevice(_ t: Ty) -> Bool {
            if case .nominal(let id) = t { return typed.type(id).isStandard && typed.type(id).name == "UdpDevice" }
            return false
        }
        let partitioned = projected.partitioned.main
        guard let service = partitioned.serviceLoop(typed), let loopIndex = main.topLevelLoop(at: partitioned.body.stmts[service].span),
            case .loop(let carried, let initial, let body, let results) = main.body.stmts[loopIndex].kind
        else { return nil }
        let loopSpan = main.body.stmts[loopIndex].span
        // The device: exactly one carried UdpDevice.
        let devices = carried.filter { isUdpDevice(main.info($0).type) }
        guard devices.count == 1, let device = devices.first else { return nil }
        // The first stage: everything before the first wait on a peer.
        guard let wait = body.stmts.firstIndex(where: { if case .receive = $0.kind { true } else { false } }) else { return nil }
        let first = Array(body.stmts[..<wait])
        let rest = Array(body.stmts[wait...])
        var received: IRValue?
        var enumCases: [IRValue: (TypeID, Int)] = [:]
        for s in first {
            switch s.kind {
            case .assign(let results, let op):
                guard isPure(op) else { return nil }
                if case .enumCase(let tid, let k, _) = op, let r = results.first { enumCases[r] = (tid, k) }
            case .stateCall(let next, let inoutNext, let result, let state, _, let args):
                // The device's receive, and nothing else.
                guard received == nil, result != nil, case .value(let s0) = state, s0 == device, inoutNext.isEmpty,
                    args.count == 1, case .value(.value(let call))? = args.first, let (tid, k) = enumCases[call],
                    typed.type(tid).cases.indices.contains(k), typed.type(tid).cases[k].name == "receive"
                else { return nil }
                received = next
            case .send:
                break
            default:
                return nil
            }
        }
        guard let deviceAfter = received else { return nil }
        // The first stage reads only its own values, the device and values from before the loop.
        let carriedSet = Set(carried)
        for s in first {
            for case .value(let v) in statementParts(s).reads where carriedSet.contains(v) && v != device { return nil }
        }
        // The rest never reads the device as it was and never breaks the loop.
        let restReads = AnalyzeOwnership.usedValues(IRBlock(rest))
        guard !breaks(IRBlock(rest)), !restReads.contains(device) else { return nil }
        // After the first wait, the sequential program can only change states and use the device.
        guard case .receive(let channel, _) = body.stmts[wait].kind,
            quietAfter(crossingOf: channel, in: projected.partitioned)
        else { return nil }
        // What the rest needs from the first stage (the device after its receive among them).
        let handed = first.flatMap { statementParts($0).defines }.filter { restReads.contains($0) }
        guard handed.contains(deviceAfter) else { return nil }
        let kept = handed.filter { $0 != deviceAfter }

        var b = IRBuilder(values: main.values)
        let span = loopSpan
        let deviceType = main.info(device).type
        let stage = Ty.tuple(kept.map { main.info($0).type })

        // This iteration's first stage: the oldest one read ahead, or run now.
        let readAheadBefore = b.value(.bool, "readAhead", at: span)
        let anyAhead = IRStmt(kind: .assign([readAheadBefore], .builtin(.lookahead(.any), [])), span: span)
        var renamer = IRRenamer(builder: b)
        let ranNow = renamer.block(
            IRBlock(first + [IRStmt(kind: .yield([.value(deviceAfter)] + kept.map { .value($0) }), span: span)]),
            info: { main.info($0) })
        b = renamer.builder
        let popped = b.value(stage, "ahead", at: span)
        var fromQueue = [IRStmt(kind: .assign([popped], .builtin(.lookahead(.pop), [])), span: span)]
        var parts: [IRAtom] = []
        for (k, v) in kept.enumerated() {
            let part = b.value(main.info(v).type, main.info(v).name, at: span)
            fromQueue.append(IRStmt(kind: .assign([part], .tupleElement(.value(popped), k)), span: span))
            parts.append(.value(part))
        }
        fromQueue.append(IRStmt(kind: .yield([.value(device)] + parts), span: span))
        let takeStage = IRStmt(
            kind: .ifThen(.value(readAheadBefore), then: IRBlock(fromQueue), else: ranNow, results: [deviceAfter] + kept),
            span: span)

        // Read ahead: the first stages of the next iterations, while datagrams are ready.
        let inner = b.value(deviceType, main.info(device).name, at: span)
        let go = b.value(.bool, "ready", at: span)
        let packed = b.value(stage, "ahead", at: span)
        let pushed = b.value(.void, nil, at: span)
        let values = b.values
        renamer = IRRenamer(builder: b, environment: [device: inner])
        let readOne = renamer.block(
            IRBlock(
                first + [
                    IRStmt(kind: .assign([packed], .tuple(kept.map { .value($0) })), span: span),
                    IRStmt(kind: .assign([pushed], .builtin(.lookahead(.push), [.value(packed)])), span: span),
                    IRStmt(kind: .continueLoop([.value(deviceAfter)]), span: span),
                ]),
            info: { values[$0.id] })
        b = renamer.builder
        let deviceRest = b.value(deviceType, main.info(device).name, at: span)
        let readAheadLoop = IRStmt(
            kind: .loop(
                carried: [inner], initial: [.value(deviceAfter)],
                body: IRBlock([
                    IRStmt(kind: .assign([go], .builtin(.lookahead(.readAhead), [.value(inner)])), span: span),
                    IRStmt(
                        kind: .ifThen(
                            .value(go), then: readOne, else: IRBlock([IRStmt(kind: .breakLoop([.value(inner)]), span: span)]),
                            results: []),
                        span: span),
                ]),
                results: [deviceRest]),
            span: span)

        // The rest reads the device as the read-ahead left it.
        renamer = IRRenamer(builder: b, environment: [deviceAfter: deviceRest])
        let restWithDevice = renamer.block(IRBlock(rest), info: { main.info($0) })
        b = renamer.builder
        let newBody = IRBlock([anyAhead, takeStage, readAheadLoop] + restWithDevice.stmts)
        let newLoop = IRStmt(kind: .loop(carried: carried, initial: initial, body: newBody, results: results), span: loopSpan)
        var stmts = main.body.stmts
        stmts[loopIndex] = newLoop
        return main.with(body: IRBlock(stmts), values: b.values)
    }

    /// Every statement of `main` after the point where `channel` crosses, to the end of the
    /// iteration it crosses in, has no effect but changing states and the device's input and
    /// output.
    static func quietAfter(crossingOf channel: Int, in p: PartitionedProgram) -> Bool {
        guard let point = p.crossingsAfter.first(where: { $0.value.contains(channel) })?.key,
            let loop = enclosingLoop(of: point, in: p.main.body, first: 0)
        else { return false }
        let end = loop.number + 1 + numberedCount(loop.body)
        let allowed: Effects = [.state, .device]
        return ((point + 1)..<end).allSatisfy { (p.effects[$0] ?? []).isSubset(of: allowed) }
    }

    /// The innermost loop of the block holding statement `n` (numbered in pre-order from `first`).
    static func enclosingLoop(of n: Int, in b: IRBlock, first: Int) -> (number: Int, body: IRBlock)? {
        var k = first
        for s in b.stmts {
            let number = k
            let size = 1 + statementParts(s).nested.reduce(0) { $0 + numberedCount($1) }
            k += size
            guard n > number && n < number + size else { continue }
            var inner = number + 1
            for block in statementParts(s).nested {
                if n < inner + numberedCount(block) {
                    if let deeper = enclosingLoop(of: n, in: block, first: inner) { return deeper }
                    if case .loop = s.kind { return (number, block) }
                    return nil
                }
                inner += numberedCount(block)
            }
        }
        return nil
    }

    /// Work that cannot trap and touches nothing outside its values.
    static func isPure(_ op: IROp) -> Bool {
        switch op {
        case .copy, .field, .tupleElement, .tuple, .memberwise, .enumCase, .enumTag, .enumPayload, .wrapOptional, .isSome:
            return true
        default:
            return false
        }
    }
}

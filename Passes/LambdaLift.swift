/// LambdaLift: a state method that takes another state `inout` and calls it is split
/// at each of those calls; the method hands each call back to its caller as a
/// request, and the caller makes the call and resumes the method.
///
/// Requires: a verified IR program (`VerifyIR`).
/// Ensures: no method of a state `main` creates takes another state or calls one. For each
/// such method `m` of state `S` that takes state `D` `inout` (seed 000's `ipStack.poll(&device)`):
///   - an enum `SMRequest` (`IPStackPollRequest`) with a case `done` carrying what the
///     method returns (its result, the next versions of its other `inout`
///     arguments) and one case per call on `D` in the method (`receive1`, `send2`),
///     carrying the call's arguments and the method's live values at that point;
///   - `m_start(args) -> SMRequest`: the method from its beginning up to the
///     first call on `D` it meets (or its end);
///   - per call `k` on `D`, `m_resumeK(live…, results…) -> SMRequest`: the method
///     from just after that call, given what the call returned, up to the next
///     call it meets (or its end);
///   - in `main`, each `(s1, d1, r) = s0.m(&d0, a)` becomes a loop: start the
///     method; while it requests a call, make the call on `D` and resume the
///     method with the call's results; when it is done, take its results.
/// The methods' meaning is unchanged: the calls on `D` happen in the same order
/// with the same arguments, and every step between them computes what the
/// original computed.
///
/// Live values cross the split in the request ("passed along"), not in the
/// state: seed 000 considered both, and passing them keeps the state's fields
/// what the user declared. It costs nothing across components: `Partition`
/// places the request's unpacking with its producer, so the live values go from
/// the state's component back to the same component and never cross a channel;
/// only the call's arguments go to `D`'s component and its results come back.
///
/// How a continuation starts in the middle of loops and branches. The code after
/// call `k` is the rest of its block, then whatever follows the construct around
/// that block, and so on out to the method's end. Each enclosing `if` or
/// `switch` becomes `if true { rest of the branch } else { … }`, so a `yield`
/// still finds its construct. Each enclosing loop becomes a loop with one more
/// carried value, `first`: its first iteration runs the rest of the interrupted
/// iteration, later ones the loop's whole body (a copy, with fresh values), and
/// every `continue` hands on `first = false`; the loop's carried values start
/// as the live values they stood for. Every call on `D` in the copies is split
/// again, so an inner loop that drains the device (`while let f =
/// device.receive()`) asks its caller once per frame.

import CleaveDiagnostics
import CleaveIR
import CleaveSema

public enum LambdaLift {
    public static func run(_ program: IRProgram) -> (IRProgram, [Diagnostic]) {
        var lifter = Lifter(program: program)
        return lifter.run()
    }
}

/// One call on the state taken `inout`, where the method is split.
struct SplitPoint {
    let next: IRValue
    let method: FunctionID
    let args: [IRStateArgument]
    /// What the call returns that is not a state: the next versions of value arguments
    /// passed `inout`, then its result.
    let returned: [IRValue]
    /// Values defined before the call and read after it (not states).
    let live: [IRValue]
    /// The version of `self` when the call is made, and every version live after it.
    let selfAt: IRAtom
    let selfLive: [IRValue]
    let caseIndex: Int
    let span: SourceSpan
}

struct LiftedMethod {
    let original: IRFunction
    let owner: TypeID
    let device: TypeID
    let request: TypeID
    let start: FunctionID
    let resumes: [FunctionID]
    let splits: [SplitPoint]
}

struct Lifter {
    let program: IRProgram
    var typed: TypedProgram
    var newTypes: [TypeDeclInfo] = []
    var newFunctions: [TFunction] = []
    var newIR: [IRFunction] = []
    var diagnostics: [Diagnostic] = []

    init(program: IRProgram) {
        self.program = program
        self.typed = program.typed
    }

    func stateType(_ t: Ty) -> TypeID? {
        if case .nominal(let id) = t, typed.type(id).kind == .state { return id }
        return nil
    }

    mutating func run() -> (IRProgram, [Diagnostic]) {
        var lifted: [FunctionID: LiftedMethod] = [:]
        // Only the states main creates have methods anyone calls: a standard module's state a
        // program never makes (the net module's stack, in a program on the kernel's sockets)
        // keeps its methods as they are.
        let created = Partition.createdStateTypes(program)
        for f in program.functions {
            guard case .stateMethod(let owner) = f.kind, created.contains(owner) else { continue }
            let others = f.params.dropFirst().filter { stateType(f.info($0).type) != nil }
            guard !others.isEmpty else { continue }
            guard others.count == 1, let device = stateType(f.info(others[0]).type), device != owner else {
                diagnostics.append(
                    Diagnostic(
                        .liftedMethodTakesStatesInout(typed.function(f.source).name, others.count), at: f.span,
                        notes: others.map { DiagnosticNote("'\(f.info($0).name ?? "state")' is taken inout here", at: f.info($0).span) }))
                continue
            }
            if let m = lift(f, owner: owner, device: device) { lifted[f.source] = m }
        }
        guard !lifted.isEmpty, diagnostics.isEmpty else { return (program, diagnostics) }
        var functions = program.functions.filter { lifted[$0.source] == nil }
        functions = functions.map { f in
            f.kind == .main ? rewriteCaller(f, lifted) : f
        }
        let out = program.with(typed: typed.adding(types: newTypes, functions: newFunctions), functions: functions + newIR)
        return (out, diagnostics)
    }

    // MARK: One method

    mutating func lift(_ f: IRFunction, owner: TypeID, device: TypeID) -> LiftedMethod? {
        let isState: (Ty) -> Bool = { [typed] t in
            if case .nominal(let id) = t { return typed.type(id).kind == .state }
            return false
        }
        let facts = AnalyzeOwnership.analyze(f.body, params: f.params, ownedParams: [], types: { f.info($0).type }, isState: isState)
        // The split points, in program order, with what is live across them.
        var splits: [SplitPoint] = []
        var number = 0
        var problems: [SourceSpan] = []
        func walk(_ b: IRBlock, currentSelf: IRAtom) {
            var current = currentSelf
            for s in b.stmts {
                let n = number
                number += 1
                switch s.kind {
                case .stateCall(let next, let inoutNext, let result, let state, let m, let args):
                    let t = stateType(state.type { f.info($0).type })
                    if t == device {
                        let returned = inoutNext.filter { !isState(f.info($0).type) } + (result.map { [$0] } ?? [])
                        let defined = Set([next] + inoutNext + (result.map { [$0] } ?? []))
                        let live = facts.liveAfter[n].subtracting(defined).sorted()
                        splits.append(
                            SplitPoint(
                                next: next, method: m, args: args, returned: returned,
                                live: live.filter { !isState(f.info($0).type) }, selfAt: current,
                                selfLive: live.filter { stateType(f.info($0).type) == owner }, caseIndex: splits.count + 1, span: s.span))
                    } else if args.contains(where: {
                        if case .passedInout(let x) = $0 { return stateType(x.type { f.info($0).type }) != nil }
                        return false
                    }) {
                        problems.append(s.span)
                    }
                    if t == owner { current = .value(next) }
                case .assign(let results, _):
                    if let r = results.first(where: { stateType(f.info($0).type) == owner }) { current = .value(r) }
                case .ifThen(_, let a, let e, let results):
                    walk(a, currentSelf: current)
                    walk(e, currentSelf: current)
                    if let r = results.first(where: { stateType(f.info($0).type) == owner }) { current = .value(r) }
                case .switchOf(_, let cases, let results):
                    for c in cases { walk(c, currentSelf: current) }
                    if let r = results.first(where: { stateType(f.info($0).type) == owner }) { current = .value(r) }
                case .loop(let carried, _, let body, let results):
                    let inside = carried.first(where: { stateType(f.info($0).type) == owner }).map { IRAtom.value($0) } ?? current
                    walk(body, currentSelf: inside)
                    if let r = results.first(where: { stateType(f.info($0).type) == owner }) { current = .value(r) }
                default:
                    break
                }
            }
        }
        walk(f.body, currentSelf: .value(f.params[0]))
        for span in problems {
            diagnostics.append(
                Diagnostic(
                    .liftedMethodPassesStateOn, at: span,
                    notes: [DiagnosticNote("in state method '\(typed.function(f.source).name)'", at: f.span)]))
        }
        guard problems.isEmpty else { return nil }

        // The request enum.
        let name = typed.function(f.source).name
        let ownerName = typed.type(owner).name
        let requestID = TypeID(typed.types.count + newTypes.count)
        let valueResults = Array(f.results.dropFirst()).filter { !isState($0) }
        var cases = [EnumCaseInfo(synthesized: "done", payload: valueResults.map { (nil, $0) }, span: f.span)]
        for sp in splits {
            let args = sp.args.map { a -> (label: String?, type: Ty) in
                switch a {
                case .value(let x), .passedInout(let x): (nil, x.type { f.info($0).type })
                }
            }
            let live = sp.live.map { (label: f.info($0).name, type: f.info($0).type) }
            cases.append(EnumCaseInfo(synthesized: "\(typed.function(sp.method).name)\(sp.caseIndex)", payload: args + live, span: sp.span))
        }
        let capitalized = name.prefix(1).uppercased() + name.dropFirst()
        let requestName = typed.freshTypeName(ownerName + capitalized + "Request", avoiding: Set(newTypes.map(\.name)))
        newTypes.append(.synthesizedEnum(name: requestName, cases: cases, span: f.span))
        let requestType = Ty.nominal(requestID)

        // m_start: the value parameters, by value.
        let deviceParam = f.params.first { stateType(f.info($0).type) == device }!
        let valueParams = f.params.dropFirst().filter { $0 != deviceParam }
        let startID = FunctionID(index: typed.functions.count + newFunctions.count)
        newFunctions.append(
            .synthesizedMethod(
                id: startID, name: "\(name)_start", of: owner, params: valueParams.map { (f.info($0).name ?? "arg", f.info($0).type) },
                result: requestType, span: f.span))
        var startBuilder = IRBuilder(values: f.values)
        var lower = Lowering(
            function: f, device: device, request: requestID, splits: Dictionary(uniqueKeysWithValues: splits.map { ($0.next, $0) }),
            isState: isState)
        let startBody = lower.block(f.body, &startBuilder)
        newIR.append(
            IRFunction(
                source: startID, name: "\(name)_start", kind: .stateMethod(owner), params: [f.params[0]] + valueParams,
                results: [.nominal(owner), requestType], body: startBody, values: startBuilder.values, span: f.span))

        // m_resumeK for each split.
        var resumes: [FunctionID] = []
        for sp in splits {
            let id = FunctionID(index: typed.functions.count + newFunctions.count)
            resumes.append(id)
            var b = IRBuilder(values: f.values)
            let this = b.value(.nominal(owner), "self", at: f.span)
            var environment: [IRValue: IRValue] = [:]
            for v in sp.selfLive { environment[v] = this }
            if case .value(let v) = sp.selfAt { environment[v] = this }
            var params: [IRValue] = [this]
            for v in sp.live + sp.returned {
                let p = b.value(f.info(v).type, f.info(v).name, at: f.info(v).span)
                environment[v] = p
                params.append(p)
            }
            let tail = continuation(after: sp, in: f, builder: &b)
            let lowered = lower.block(IRBlock(tail), &b)
            let table = b.values
            var renamer = IRRenamer(builder: b, environment: environment)
            let body = renamer.block(lowered, info: { table[$0.id] })
            let paramInfo = params.dropFirst().map { (table[$0.id].name ?? "value", table[$0.id].type) }
            newFunctions.append(
                .synthesizedMethod(
                    id: id, name: "\(name)_resume\(sp.caseIndex)", of: owner, params: paramInfo, result: requestType, span: sp.span))
            newIR.append(
                IRFunction(
                    source: id, name: "\(name)_resume\(sp.caseIndex)", kind: .stateMethod(owner), params: params,
                    results: [.nominal(owner), requestType], body: body, values: renamer.builder.values, span: sp.span))
        }
        return LiftedMethod(
            original: f, owner: owner, device: device, request: requestID, start: startID, resumes: resumes, splits: splits)
    }

    /// The statements that run after split `sp`: the rest of its block, wrapped in each
    /// construct around it as the pass's header describes.
    func continuation(after sp: SplitPoint, in f: IRFunction, builder: inout IRBuilder) -> [IRStmt] {
        // The path from the body to the call: (block, index of the statement holding the call).
        func path(_ b: IRBlock) -> [(IRBlock, Int)]? {
            for (i, s) in b.stmts.enumerated() {
                if case .stateCall(let next, _, _, _, _, _) = s.kind, next == sp.next { return [(b, i)] }
                for nested in statementParts(s).nested {
                    if let rest = path(nested) { return [(b, i)] + rest }
                }
            }
            return nil
        }
        guard let steps = path(f.body) else { return [] }
        let live = Set(sp.live + sp.selfLive)
        func tail(_ level: Int) -> [IRStmt] {
            let (b, i) = steps[level]
            let after = Array(b.stmts[(i + 1)...])
            if level == steps.count - 1 { return after }
            let c = b.stmts[i]
            let inner = tail(level + 1)
            // The rest of a branch that leaves its construct (break, continue, return, trap)
            // never comes back to what follows the construct.
            if case .loop = c.kind {} else if let last = inner.last, !isYield(last) { return inner }
            switch c.kind {
            case .ifThen(_, _, _, let results), .switchOf(_, _, let results):
                let undefined = results.map { IRAtom.undefined(f.info($0).type) }
                let wrapped = IRStmt(
                    kind: .ifThen(
                        .bool(true), then: IRBlock(inner), else: IRBlock([IRStmt(kind: .yield(undefined), span: c.span)]), results: results),
                    span: c.span)
                return [wrapped] + after
            case .loop(let carried, _, let body, let results):
                let first = builder.value(.bool, "first", at: c.span)
                // A carried value starts as the live value it stood for; the state's own version
                // as the state the continuation gets.
                let initial = carried.map { v -> IRAtom in
                    if live.contains(v) { return .value(v) }
                    if stateType(f.info(v).type) != nil { return sp.selfAt }
                    return .undefined(f.info(v).type)
                }
                // A rest of the iteration that never goes round again needs no copy of the body.
                if !continues(IRBlock(inner)) {
                    let once = IRStmt(kind: .loop(carried: carried, initial: initial, body: IRBlock(inner), results: results), span: c.span)
                    return [once] + after
                }
                let choose = IRStmt(
                    kind: .ifThen(
                        .value(first), then: IRBlock(appendToContinues(inner, .bool(false))),
                        else: IRBlock(appendToContinues(body.stmts, .bool(false))), results: []), span: c.span)
                let wrapped = IRStmt(
                    kind: .loop(carried: carried + [first], initial: initial + [.bool(true)], body: IRBlock([choose]), results: results),
                    span: c.span)
                return [wrapped] + after
            default:
                return after
            }
        }
        return tail(0)
    }

    func isYield(_ s: IRStmt) -> Bool {
        if case .yield = s.kind { return true }
        return false
    }

    /// `continue xs` of the loop these statements are the body of becomes `continue xs, extra`.
    func appendToContinues(_ stmts: [IRStmt], _ extra: IRAtom) -> [IRStmt] {
        stmts.map { s in
            switch s.kind {
            case .continueLoop(let xs): return IRStmt(kind: .continueLoop(xs + [extra]), span: s.span)
            case .ifThen(let c, let a, let e, let r):
                return IRStmt(
                    kind: .ifThen(
                        c, then: IRBlock(appendToContinues(a.stmts, extra)), else: IRBlock(appendToContinues(e.stmts, extra)), results: r),
                    span: s.span)
            case .switchOf(let x, let cases, let r):
                return IRStmt(kind: .switchOf(x, cases.map { IRBlock(appendToContinues($0.stmts, extra)) }, results: r), span: s.span)
            default: return s  // a nested loop's continues are its own
            }
        }
    }

    // MARK: The caller

    /// Each call of a lifted method becomes: start it, then make the calls it asks for and
    /// resume it until it is done.
    func rewriteCaller(_ f: IRFunction, _ lifted: [FunctionID: LiftedMethod]) -> IRFunction {
        var b = IRBuilder(values: f.values)
        let body = rewriteBlock(f.body) { s in
            guard case .stateCall(let next, let inoutNext, let result, let state, let m, let args) = s.kind, let l = lifted[m] else {
                return [s]
            }
            let span = s.span
            let ownerType = Ty.nominal(l.owner)
            let deviceType = Ty.nominal(l.device)
            let requestType = Ty.nominal(l.request)
            var deviceAtom: IRAtom = .void
            var deviceNext: IRValue?
            var startArgs: [IRStateArgument] = []
            var valueNexts: [IRValue] = []
            var inoutIndex = 0
            for a in args {
                switch a {
                case .value(let x): startArgs.append(.value(x))
                case .passedInout(let x):
                    let n = inoutNext[inoutIndex]
                    inoutIndex += 1
                    if x.type({ f.info($0).type }) == deviceType {
                        deviceAtom = x
                        deviceNext = n
                    } else {
                        startArgs.append(.value(x))
                        valueNexts.append(n)
                    }
                }
            }
            let started = b.value(ownerType, f.info(next).name, at: span)
            let firstRequest = b.value(requestType, "request", at: span)
            b.emit(.stateCall(next: started, inoutNext: [], result: firstRequest, state: state, method: l.start, startArgs), at: span)
            let s0 = b.value(ownerType, f.info(next).name, at: span)
            let d0 = b.value(deviceType, deviceNext.flatMap { f.info($0).name }, at: span)
            let q0 = b.value(requestType, "request", at: span)
            let loopBody = b.block { b in
                let tag = b.assign(.enumTag(.value(q0)), .int, at: span)
                var cases: [IRBlock] = []
                let doneTypes = newTypes[l.request.index - typed.types.count].cases[0].payload.map(\.type)
                cases.append(
                    b.block { b in
                        let values = doneTypes.enumerated().map { i, t in
                            IRAtom.value(b.assign(.enumPayload(.value(q0), caseIndex: 0, field: i), t, at: span))
                        }
                        b.emit(.breakLoop([.value(s0), .value(d0)] + values), at: span)
                    })
                for (k, sp) in l.splits.enumerated() {
                    let payload = newTypes[l.request.index - typed.types.count].cases[k + 1].payload.map(\.type)
                    cases.append(
                        b.block { b in
                            var field = 0
                            func take(_ t: Ty) -> IRAtom {
                                defer { field += 1 }
                                return .value(b.assign(.enumPayload(.value(q0), caseIndex: k + 1, field: field), t, at: sp.span))
                            }
                            let callArgs = sp.args.map { a -> IRStateArgument in
                                switch a {
                                case .value(let x): .value(take(x.type { l.original.info($0).type }))
                                case .passedInout(let x): .passedInout(take(x.type { l.original.info($0).type }))
                                }
                            }
                            let live = sp.live.indices.map { i in take(payload[sp.args.count + i]) }
                            let d1 = b.value(deviceType, deviceNext.flatMap { f.info($0).name }, at: sp.span)
                            let inoutResults = sp.args.compactMap { a -> IRValue? in
                                if case .passedInout(let x) = a { return b.value(x.type { l.original.info($0).type }, at: sp.span) }
                                return nil
                            }
                            let methodResult = typed.function(sp.method).result
                            let r = methodResult == .void || methodResult == .never ? nil : b.value(methodResult, at: sp.span)
                            b.emit(
                                .stateCall(next: d1, inoutNext: inoutResults, result: r, state: .value(d0), method: sp.method, callArgs),
                                at: sp.span)
                            let s1 = b.value(ownerType, f.info(next).name, at: sp.span)
                            let q1 = b.value(requestType, "request", at: sp.span)
                            let returned = (inoutResults + (r.map { [$0] } ?? [])).map { IRAtom.value($0) }
                            b.emit(
                                .stateCall(
                                    next: s1, inoutNext: [], result: q1, state: .value(s0), method: l.resumes[k],
                                    (live + returned).map { .value($0) }), at: sp.span)
                            b.emit(.continueLoop([.value(s1), .value(d1), .value(q1)]), at: sp.span)
                        })
                }
                b.emit(.switchOf(.value(tag), cases, results: []), at: span)
            }
            let results = [next, deviceNext ?? b.value(deviceType, at: span)] + valueNexts + (result.map { [$0] } ?? [])
            b.emit(
                .loop(
                    carried: [s0, d0, q0], initial: [.value(started), deviceAtom, .value(firstRequest)], body: loopBody,
                    results: results), at: span)
            return b.takeStatements()
        }
        return f.with(body: body, values: b.values)
    }
}

/// A lifted method's code with every call on the device turned into a request returned to
/// the caller, its `return` into the request `done`, and the device's versions dropped from
/// the values that branches yield and loops carry.
struct Lowering {
    let function: IRFunction
    let device: TypeID
    let request: TypeID
    let splits: [IRValue: SplitPoint]
    let isState: (Ty) -> Bool

    /// The values of the function being made (the original's and those made since).
    var values: [IRValueInfo] = []

    func type(_ a: IRAtom) -> Ty { a.type { values[$0.id].type } }
    func isDevice(_ t: Ty) -> Bool { t == .nominal(device) }
    func keep(_ xs: [IRAtom]) -> [IRAtom] { xs.filter { !isDevice(type($0)) } }
    func keep(_ vs: [IRValue]) -> [IRValue] { vs.filter { !isDevice(values[$0.id].type) } }

    mutating func block(_ b: IRBlock, _ builder: inout IRBuilder) -> IRBlock {
        values = builder.values
        var out: [IRStmt] = []
        for s in b.stmts {
            // Once a construct always leaves (its calls became returns), what follows is unreachable.
            if let last = out.last, isTerminator(last) { break }
            switch s.kind {
            case .stateCall(let next, _, _, _, _, _) where splits[next] != nil:
                let sp = splits[next]!
                let payload =
                    sp.args.map { a -> IRAtom in
                        switch a {
                        case .value(let x), .passedInout(let x): x
                        }
                    } + sp.live.map { .value($0) }
                let call = builder.assign(.enumCase(request, caseIndex: sp.caseIndex, payload), .nominal(request), "request", at: s.span)
                out.append(contentsOf: builder.takeStatements())
                out.append(IRStmt(kind: .returnValues([sp.selfAt, .value(call)]), span: s.span))
                return IRBlock(out)  // what follows runs in the continuation
            case .ifThen(let c, let a, let e, let results):
                let a2 = block(a, &builder)
                if case .bool(true) = c, leavesConstruct(a2) {
                    // A continuation's `if true { rest of a branch }` whose rest now always
                    // leaves: the rest is all there is.
                    out += a2.stmts
                    continue
                }
                out.append(IRStmt(kind: .ifThen(c, then: a2, else: block(e, &builder), results: keep(results)), span: s.span))
            case .switchOf(let x, let cases, let results):
                out.append(IRStmt(kind: .switchOf(x, cases.map { block($0, &builder) }, results: keep(results)), span: s.span))
            case .loop(let carried, let initial, let body, let results):
                let pairs = zip(carried, initial).filter { !isDevice(values[$0.0.id].type) }
                out.append(
                    IRStmt(
                        kind: .loop(carried: pairs.map(\.0), initial: pairs.map(\.1), body: block(body, &builder), results: keep(results)),
                        span: s.span))
            case .yield(let xs): out.append(IRStmt(kind: .yield(keep(xs)), span: s.span))
            case .breakLoop(let xs): out.append(IRStmt(kind: .breakLoop(keep(xs)), span: s.span))
            case .continueLoop(let xs): out.append(IRStmt(kind: .continueLoop(keep(xs)), span: s.span))
            case .returnValues(let xs):
                let payload = xs.dropFirst().filter { !isState(type($0)) }
                let done = builder.assign(.enumCase(request, caseIndex: 0, Array(payload)), .nominal(request), "request", at: s.span)
                out.append(contentsOf: builder.takeStatements())
                out.append(IRStmt(kind: .returnValues([xs[0], .value(done)]), span: s.span))
            default:
                out.append(s)
            }
        }
        return IRBlock(out)
    }
}

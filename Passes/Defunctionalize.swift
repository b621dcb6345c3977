/// Defunctionalize: every call on a state in `main` goes through one method of that
/// state, `process(call: SCall) -> SResult`.
///
/// Requires: a verified IR program (`VerifyIR`) whose state methods take no other
/// state `inout` (`LambdaLift` has run; a call passing a state `inout` is left as it
/// is, and `CheckStateLocality` reports it).
/// Ensures: for every state type with calls in `main`, two new enums, `SCall` with one
/// case per method called (its arguments as payload, in parameter order) and
/// `SResult` with one case per method (the next versions of arguments passed `inout`,
/// then the method's result), and a new state method `process(call:)` that switches
/// on the call, runs the method and wraps what it returns. Each call
/// `(s1, r) = s0.m(a)` in `main` becomes
///
///     c = SCall.m(a); (s1, res) = s0.process(c); r = payload of SResult.m in res
///
/// so the state's thread through every scope is a sequence of `process` calls only,
/// each fed by a value. The IR still verifies and still runs as before.
///
/// This is Reynolds's defunctionalization, as seed 000 applied it by hand to
/// `device.get_token` and `device.send`: the methods a state's callers may invoke
/// become data (the call enum) and one interpreter (`process`). The order of the
/// calls is the program's order, fixed per iteration up to the branches taken, so
/// the node a state becomes reads its calls in that order and never needs to
/// choose among inputs. Every state is defunctionalized, even one called by a
/// single method: its component's interface is then always the same shape, one
/// call enum in and one result enum out, which is what crosses a channel.
///
/// Branches and inner loops need nothing here: a call inside a branch is still a
/// `process` call inside that branch, and `Project` sends the branch decision to
/// the state's component, which then knows which calls to expect.

import CleaveDiagnostics
import CleaveIR
import CleaveSema

/// What defunctionalization made for one state type.
public struct StateInterface: Sendable {
    public let state: TypeID
    public let callType: TypeID
    public let resultType: TypeID
    public let process: FunctionID
    /// The methods behind the cases, in case order.
    public let methods: [FunctionID]
}

public struct DefunctionalizedProgram: Sendable {
    public let program: IRProgram
    /// By state type, in type order.
    public let interfaces: [StateInterface]

    public init(program: IRProgram, interfaces: [StateInterface]) {
        self.program = program
        self.interfaces = interfaces
    }

    public func interface(of state: TypeID) -> StateInterface? { interfaces.first { $0.state == state } }
    public func interface(callType t: TypeID) -> StateInterface? { interfaces.first { $0.callType == t } }
    public func interface(process f: FunctionID) -> StateInterface? { interfaces.first { $0.process == f } }
}

public enum Defunctionalize {
    public static func run(_ program: IRProgram) -> DefunctionalizedProgram {
        guard let main = program.mainFunction else { return DefunctionalizedProgram(program: program, interfaces: []) }
        let typed = program.typed
        func isState(_ t: Ty) -> Bool {
            if case .nominal(let id) = t { return typed.type(id).kind == .state }
            return false
        }

        // The methods called on each state type, in the order of their first call.
        var methodsOf: [TypeID: [FunctionID]] = [:]
        var order: [TypeID] = []
        func collect(_ b: IRBlock) {
            for s in b.stmts {
                if case .stateCall(_, _, _, let state, let m, let args) = s.kind, !passesState(args, main, isState),
                    case .nominal(let t) = state.type({ main.info($0).type })
                {
                    if methodsOf[t] == nil { order.append(t) }
                    if !methodsOf[t, default: []].contains(m) { methodsOf[t, default: []].append(m) }
                }
                statementParts(s).nested.forEach(collect)
            }
        }
        collect(main.body)
        guard !order.isEmpty else { return DefunctionalizedProgram(program: program, interfaces: []) }

        // The enums and `process` of each state type.
        var newTypes: [TypeDeclInfo] = []
        var newFunctions: [TFunction] = []
        var newIR: [IRFunction] = []
        var interfaces: [StateInterface] = []
        var takenNames: Set<String> = []
        for t in order.sorted() {
            let decl = typed.type(t)
            let methods = methodsOf[t]!
            func fresh(_ suffix: String) -> String {
                let n = typed.freshTypeName(decl.name + suffix, avoiding: takenNames)
                takenNames.insert(n)
                return n
            }
            let callID = TypeID(typed.types.count + newTypes.count)
            let callCases = methods.map { m -> EnumCaseInfo in
                let f = typed.function(m)
                return EnumCaseInfo(synthesized: f.name, payload: f.params.map { ($0.name, $0.type) }, span: f.span)
            }
            newTypes.append(.synthesizedEnum(name: fresh("Call"), cases: callCases, span: decl.span))
            let resultID = TypeID(typed.types.count + newTypes.count)
            let resultCases = methods.map { m -> EnumCaseInfo in
                EnumCaseInfo(synthesized: typed.function(m).name, payload: resultPayload(typed.function(m)), span: typed.function(m).span)
            }
            newTypes.append(.synthesizedEnum(name: fresh("Result"), cases: resultCases, span: decl.span))
            let processID = FunctionID(index: typed.functions.count + newFunctions.count)
            newFunctions.append(
                .synthesizedMethod(
                    id: processID, name: "process", of: t, params: [("call", .nominal(callID))], result: .nominal(resultID),
                    span: decl.span))
            let interface = StateInterface(state: t, callType: callID, resultType: resultID, process: processID, methods: methods)
            interfaces.append(interface)
            newIR.append(processFunction(interface, typed: typed, span: decl.span))
        }

        // `main`, every call going through `process`.
        var b = IRBuilder(values: main.values)
        let body = rewriteBlock(main.body) { s in
            guard case .stateCall(let next, let inoutNext, let result, let state, let m, let args) = s.kind,
                !passesState(args, main, isState), case .nominal(let t) = state.type({ main.info($0).type }),
                let interface = interfaces.first(where: { $0.state == t }), let k = interface.methods.firstIndex(of: m)
            else { return [s] }
            let payload = args.map { a -> IRAtom in
                switch a {
                case .value(let x), .passedInout(let x): x
                }
            }
            let call = b.assign(.enumCase(interface.callType, caseIndex: k, payload), .nominal(interface.callType), at: s.span)
            let reply = b.value(.nominal(interface.resultType), at: s.span)
            b.emit(
                .stateCall(next: next, inoutNext: [], result: reply, state: state, method: interface.process, [.value(.value(call))]),
                at: s.span)
            for (field, v) in (inoutNext + (result.map { [$0] } ?? [])).enumerated() {
                b.emit(.assign([v], .enumPayload(.value(reply), caseIndex: k, field: field)), at: s.span)
            }
            return b.takeStatements()
        }
        let rewritten = main.with(body: body, values: b.values)
        let functions = program.functions.map { $0.source == main.source ? rewritten : $0 } + newIR
        return DefunctionalizedProgram(
            program: program.with(typed: typed.adding(types: newTypes, functions: newFunctions), functions: functions),
            interfaces: interfaces)
    }

    /// What a method's case of the result enum carries: the next versions of its `inout`
    /// parameters, then its result.
    static func resultPayload(_ f: TFunction) -> [(label: String?, type: Ty)] {
        var payload: [(label: String?, type: Ty)] = f.params.filter(\.isInout).map { ($0.name, $0.type) }
        if f.result != .void && f.result != .never { payload.append((nil, f.result)) }
        return payload
    }

    static func passesState(_ args: [IRStateArgument], _ f: IRFunction, _ isState: (Ty) -> Bool) -> Bool {
        args.contains {
            if case .passedInout(let x) = $0 { return isState(x.type { f.info($0).type }) }
            return false
        }
    }

    /// `process(self, call)`: switch on the call's case, run the method, wrap its results.
    static func processFunction(_ interface: StateInterface, typed: TypedProgram, span: SourceSpan) -> IRFunction {
        let stateType = Ty.nominal(interface.state)
        let resultType = Ty.nominal(interface.resultType)
        var b = IRBuilder()
        let this = b.value(stateType, "self", at: span)
        let call = b.value(.nominal(interface.callType), "call", at: span)
        let tag = b.assign(.enumTag(.value(call)), .int, at: span)
        let nextSelf = b.value(stateType, "self", at: span)
        let reply = b.value(resultType, at: span)
        var cases: [IRBlock] = []
        for (k, m) in interface.methods.enumerated() {
            let f = typed.function(m)
            cases.append(
                b.block { b in
                    var args: [IRStateArgument] = []
                    for (i, p) in f.params.enumerated() {
                        let x = b.assign(.enumPayload(.value(call), caseIndex: k, field: i), p.type, p.name, at: f.span)
                        args.append(p.isInout ? .passedInout(.value(x)) : .value(.value(x)))
                    }
                    let next = b.value(stateType, "self", at: f.span)
                    let inoutNext = f.params.filter(\.isInout).map { b.value($0.type, $0.name, at: f.span) }
                    let result = f.result == .void || f.result == .never ? nil : b.value(f.result, at: f.span)
                    b.emit(.stateCall(next: next, inoutNext: inoutNext, result: result, state: .value(this), method: m, args), at: f.span)
                    let payload = (inoutNext + (result.map { [$0] } ?? [])).map { IRAtom.value($0) }
                    let wrapped = b.assign(.enumCase(interface.resultType, caseIndex: k, payload), resultType, at: f.span)
                    b.emit(.yield([.value(next), .value(wrapped)]), at: f.span)
                })
        }
        b.emit(.switchOf(.value(tag), cases, results: [nextSelf, reply]), at: span)
        b.emit(.returnValues([.value(nextSelf), .value(reply)]), at: span)
        return IRFunction(
            source: interface.process, name: "process", kind: .stateMethod(interface.state), params: [this, call],
            results: [stateType, resultType], body: IRBlock(b.takeStatements()), values: b.values, span: span)
    }
}

/// Partition: which component runs each statement of `main`, and which values cross
/// from one component to another.
///
/// Requires: a defunctionalized program (`Defunctionalize`) that is state-local
/// (`CheckStateLocality`): no state is passed to another state's method.
/// Ensures: the states of `main` grouped into components (the user's
/// `--partition 'a,b|c'`, by the variable names of `main`; a state not named is a
/// component of its own, and by default every state is); an owner for every
/// statement of `main` that computes something; the set of components taking part
/// in every `if`, `switch`, loop and trap; and the channels: each value one
/// component computes and another reads, with the point where it crosses (right
/// after it is computed, or at the start of each iteration for a value a loop
/// carries), in program order.
///
/// Placement. A call on a state, and its creation, run in the state's component. A
/// call of a C function runs in the component of the program's device (the first
/// state of a standard type, else the first state): the system calls it makes are
/// that component's, as DESIGN.md's sandboxes need. A pure statement runs where its
/// first operand was computed ("with the producer"), and a pure statement without
/// operands (a constant, an empty map) where its first reader runs. The issue that
/// asked for this pass suggested the reverse rule, a pure node with its consumer;
/// the producer rule is kept because it sends less and shows each component less:
/// in kv the device computes `datagram.payload` and `StoreCall.answer(payload)` and
/// sends the call, so the store never sees the peer's address (with the consumer
/// rule the whole `Datagram` crosses); the store unpacks its own result and sends
/// the reply's bytes. A value with no placement either way (only a branch decision
/// reads it, a loop counter feeding only itself) runs with the device.
///
/// Control. A component takes part in a branch or loop when it runs something inside
/// it, yields one of its results or carries one of its values, and in every branch
/// that can leave a loop it takes part in (a `break` or `continue`): it must see
/// every decision that shapes the iterations it runs. Each such decision is a value
/// like any other, so it crosses to every component taking part.
///
/// Order. Each statement that is not pure (`AnalyzeEffects`: it may trap, print,
/// call C, use a device or change a state) is an effect of its owner; a trap's is
/// its reporter's (the owner of its message, else of the decision that leads to
/// it, else the device's), and the others taking part where it is halt. In every
/// block, each effect must come after the effect before it (Project.swift says
/// why). When the two are of different components, the values crossing between
/// them often order them already: the device sends the store its call after the
/// receive, the store sends the reply before the device's send. Where no chain of
/// crossings leads from the first component, after its effect, to the second,
/// before its effect, the first hands the second a turn: a channel carrying no
/// value (`isTurn`), crossing right after the first effect. A construct counts as
/// one effect of every component with an effect inside it; the turns into it go
/// to the components that may make its first effect, the turns out of it come from
/// those whose effect may be the last on a way through it, and from every component
/// with an effect in a branch that leaves the construct (a trap may end the program
/// there, and a component taking no part in the branch learns that it did not only
/// from them), and where a way through it has no effect at all (an empty branch, a loop
/// that may not run), from those whose effect came before it too. Round a loop, the
/// first effect of an iteration comes after the last of the one before: a turn
/// crosses at the start of each iteration where no crossing after that effect (that
/// a `continue` cannot skip), at the iteration's start or before the first effect
/// makes the chain.

import CleaveDiagnostics
import CleaveIR
import CleaveSema

public struct Component: Sendable {
    /// The states' names joined by `+` ("device", "stack+store").
    public let name: String
    /// The states, as `main` creates them, and their names.
    public let states: [IRValue]
    public let stateNames: [String]
}

/// A value that one component computes and another reads, or a turn one hands another.
public struct Channel: Sendable {
    public let id: Int
    public let from: Int
    public let to: Int
    /// What the reader receives (for a turn, a value of type `Void` it never reads).
    public let value: IRValue
    public let type: Ty
    /// The source variable the value stands for, if any.
    public let name: String?
    public let span: SourceSpan
    /// A turn carries no value: the reader waits for it so that its next effect comes after
    /// the sender's last one, as in the sequential program (see "Order" above).
    public let isTurn: Bool
}

public struct PartitionedProgram: Sendable {
    public let defunctionalized: DefunctionalizedProgram
    /// `main`, with a value for each turn its components receive.
    public let main: IRFunction
    public let components: [Component]
    /// The component of the device (system calls are pinned to it).
    public let systemComponent: Int
    /// How many devices (states of a standard module's type) `main` creates.
    public let deviceCount: Int
    /// The owner of each statement of `main` that computes something, by pre-order number.
    public let statementOwner: [Int: Int]
    /// The components that take part in each `if`, `switch`, loop and trap, by number.
    public let participants: [Int: Set<Int>]
    /// The owner of every value `main` defines.
    public let valueOwner: [IRValue: Int]
    public let channels: [Channel]
    /// The channels of the values a statement defines (sent right after it), by number;
    /// for a loop, the channels of its carried values (sent at the start of each iteration).
    public let crossingsAfter: [Int: [Int]]
    public let crossingsAtIterationStart: [Int: [Int]]
    /// What each statement of `main` that is not a construct may do (`AnalyzeEffects`),
    /// by number; pure statements are absent.
    public let effects: [Int: Effects]
    /// The component that reports each trap of `main` (the others taking part halt), by number.
    public let trapReporter: [Int: Int]

    public var program: IRProgram { defunctionalized.program }
}

public enum Partition {
    /// `groups`: the user's partition, state names per component; nil for one component per state.
    public static func run(_ d: DefunctionalizedProgram, groups: [[String]]?) -> (PartitionedProgram?, [Diagnostic]) {
        guard let main = d.program.mainFunction else { return (nil, []) }
        var p = Partitioner(program: d.program, main: main, effects: AnalyzeEffects.run(d.program))
        p.walk(main.body, enclosing: [])
        let (components, diagnostics) = p.components(groups)
        guard diagnostics.isEmpty, !components.isEmpty else { return (nil, diagnostics) }
        p.place(components)
        p.takePart()
        p.cross()
        _ = p.order(main.body, first: 0, loop: nil)
        return (
            PartitionedProgram(
                defunctionalized: d, main: main.with(body: main.body, values: p.values), components: components,
                systemComponent: p.system, deviceCount: p.deviceCount, statementOwner: p.statementOwner, participants: p.participants,
                valueOwner: p.valueOwners(), channels: p.channels, crossingsAfter: p.crossingsAfter,
                crossingsAtIterationStart: p.crossingsAtIterationStart, effects: p.effectOf, trapReporter: p.trapReporter),
            []
        )
    }

    /// The user's groups against the states `main` creates: every name a state of `main`, none
    /// in two components. Every command given `--partition` checks it, from the IR on
    /// (`Pipeline`), whether or not it goes as far as partitioning.
    public static func check(_ groups: [[String]], main: IRFunction) -> [Diagnostic] {
        let created = createdStates(main).map { (name: stateName($0.value, in: main), value: $0.value) }
        let known = created.map(\.name).joined(separator: ", ")
        var diagnostics: [Diagnostic] = []
        var placed: Set<String> = []
        for name in groups.joined() {
            guard let v = created.first(where: { $0.name == name })?.value else {
                diagnostics.append(
                    Diagnostic(
                        .partitionUnknownState(name), at: nil,
                        notes: [DiagnosticNote("the states of main are: \(known.isEmpty ? "none" : known)", at: nil)]))
                continue
            }
            guard placed.insert(name).inserted else {
                diagnostics.append(
                    Diagnostic(
                        .partitionStateTwice(name), at: nil,
                        notes: [DiagnosticNote("'\(name)' is created here", at: main.info(v).span)]))
                continue
            }
        }
        return diagnostics
    }

    /// What must hold of a partitioned program, as problems found (none: it holds): every state
    /// `main` creates is in exactly one component; every channel goes from one component to
    /// another that exist, crosses at exactly one point of `main`, and, unless it is a turn,
    /// carries a value its sender computes.
    public static func verify(_ p: PartitionedProgram) -> [String] {
        var problems: [String] = []
        let created = createdStates(p.main).map(\.value)
        for v in created {
            let holders = p.components.filter { $0.states.contains(v) }.map(\.name)
            if holders.count != 1 {
                problems.append("state '\(p.main.info(v).name ?? "%\(v.id)")' is in \(holders.count) components \(holders)")
            }
        }
        for c in p.components {
            for s in c.states where !created.contains(s) {
                problems.append("component \(c.name) holds %\(s.id), which main does not create")
            }
        }
        var crossings: [Int: Int] = [:]
        for id in p.crossingsAfter.values.joined() { crossings[id, default: 0] += 1 }
        for id in p.crossingsAtIterationStart.values.joined() { crossings[id, default: 0] += 1 }
        for (k, ch) in p.channels.enumerated() {
            let what = "channel #\(k)"
            if ch.id != k { problems.append("\(what) is numbered \(ch.id)") }
            guard p.components.indices.contains(ch.from), p.components.indices.contains(ch.to) else {
                problems.append("\(what) goes from component \(ch.from) to \(ch.to), of \(p.components.count)")
                continue
            }
            if ch.from == ch.to { problems.append("\(what) goes from \(p.components[ch.from].name) to itself") }
            if crossings[k, default: 0] != 1 { problems.append("\(what) crosses at \(crossings[k, default: 0]) points of main") }
            if !ch.isTurn && p.valueOwner[ch.value] != ch.from {
                problems.append("\(what) carries %\(ch.value.id), which \(p.components[ch.from].name) does not compute")
            }
        }
        for k in crossings.keys where !p.channels.indices.contains(k) {
            problems.append("main crosses on channel #\(k), which does not exist")
        }
        return problems
    }

    /// The states `main` creates, in the order it creates them, with their types.
    public static func createdStates(_ main: IRFunction) -> [(value: IRValue, type: TypeID)] {
        var created: [(value: IRValue, type: TypeID)] = []
        func walk(_ b: IRBlock) {
            for s in b.stmts {
                if case .createState(let v, let t, _, _) = s.kind { created.append((v, t)) }
                for n in statementParts(s).nested { walk(n) }
            }
        }
        walk(main.body)
        return created
    }

    /// The types of the states `main` creates: the only states whose methods are ever called.
    public static func createdStateTypes(_ program: IRProgram) -> Set<TypeID> {
        Set(program.functions.filter { $0.kind == .main }.flatMap { createdStates($0).map(\.type) })
    }

    /// A state's name, as `--partition` and the components' names use it.
    static func stateName(_ v: IRValue, in main: IRFunction) -> String { main.info(v).name ?? "state\(v.id)" }

    /// Parse `--partition 'a,b|c'`: components separated by `|`, states by `,`.
    public static func parseGroups(_ text: String) -> [[String]] {
        text.split(separator: "|", omittingEmptySubsequences: false).map {
            $0.split(separator: ",").map { $0.trimmingCharacters(in: " ") }.filter { !$0.isEmpty }
        }
    }
}

extension Substring {
    func trimmingCharacters(in set: Character) -> String {
        var s = self
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return String(s)
    }
}

/// How many statements a block numbers, its nested blocks included (pre-order numbering,
/// closures' bodies excluded).
public func numberedCount(_ b: IRBlock) -> Int {
    b.stmts.reduce(0) { $0 + 1 + statementParts($1).nested.reduce(0) { $0 + numberedCount($1) } }
}

struct Partitioner {
    let program: IRProgram
    let main: IRFunction

    /// Who reads a value: a statement (through its owner), a construct's result or carried
    /// value (through that value's owner), or everyone taking part in a construct (its
    /// decision, a trap's message).
    enum Reader {
        case statement(Int)
        case value(IRValue)
        case participants(Int)
    }
    enum Definition {
        case statement(Int)
        case construct(Int)
        case carried(loop: Int)
    }

    var statements: [(number: Int, stmt: IRStmt, enclosing: [Int])] = []
    var definition: [IRValue: Definition] = [:]
    var definitionOrder: [IRValue] = []
    var readers: [IRValue: [Reader]] = [:]
    /// What flows into each branch result and carried value (yielded, initial, handed on),
    /// and the decision of the branch each branch result comes from.
    var sourcesOf: [IRValue: [IRValue]] = [:]
    var decisionOf: [IRValue: IRAtom] = [:]
    /// Each loop's `break`s and `continue`s, and the constructs around them inside the loop.
    var exits: [(loop: Int, path: [Int])] = []
    var returns: [[Int]] = []
    var traps: [(number: Int, enclosing: [Int])] = []
    var counter = 0

    var stateComponent: [IRValue: Int] = [:]
    var system = 0
    var deviceCount = 0
    var statementOwner: [Int: Int] = [:]
    var constructValueOwner: [IRValue: Int] = [:]
    var participants: [Int: Set<Int>] = [:]
    var channels: [Channel] = []
    var crossingsAfter: [Int: [Int]] = [:]
    var crossingsAtIterationStart: [Int: [Int]] = [:]
    var componentCount = 0
    /// Each version of a state, to the version it came from (a call's next version to the
    /// called one, a branch's or loop's to what flows into it).
    var stateParent: [IRValue: IRValue] = [:]

    let effectFacts: EffectFacts
    /// What each statement that is not a construct may do, by number (pure ones absent).
    var effectOf: [Int: Effects] = [:]
    var trapReporter: [Int: Int] = [:]
    /// `main`'s values, and the turns' after them.
    var values: [IRValueInfo]

    init(program: IRProgram, main: IRFunction, effects: EffectFacts) {
        self.program = program
        self.main = main
        self.effectFacts = effects
        self.values = main.values
    }

    // MARK: The walk: definitions and readers

    mutating func define(_ v: IRValue, _ d: Definition) {
        definition[v] = d
        definitionOrder.append(v)
    }

    mutating func read(_ a: IRAtom, by r: Reader) {
        guard case .value(let v) = a else { return }
        readers[v, default: []].append(r)
        if case .value(let w) = r { sourcesOf[w, default: []].append(v) }
        if case .value(let w) = r, isState(main.info(w).type), stateParent[w] == nil { stateParent[w] = v }
    }

    /// The creation of the state a version belongs to.
    func stateRoot(_ v: IRValue) -> IRValue {
        var x = v
        var seen: Set<IRValue> = []
        while let p = stateParent[x], seen.insert(x).inserted { x = p }
        return x
    }

    /// Targets of `yield`, `break` and `continue`: (construct number, results, carried).
    var targets: [(number: Int, results: [IRValue], carried: [IRValue], isLoop: Bool)] = []

    mutating func walk(_ b: IRBlock, enclosing: [Int]) {
        for s in b.stmts {
            let n = counter
            counter += 1
            statements.append((n, s, enclosing))
            if statementParts(s).nested.isEmpty {
                let e = effectFacts.effects(of: s, in: main)
                if !e.isEmpty { effectOf[n] = e }
            }
            switch s.kind {
            case .assign(let results, let op):
                var reads: [IRAtom] = []
                forEachOperand(op, { reads.append($0) }, { _ in })
                if case .closure(let c) = op { reads += AnalyzeOwnership.captures(c).sorted().map { .value($0) } }
                for a in reads { read(a, by: .statement(n)) }
                for r in results { define(r, .statement(n)) }
            case .stateCall(let next, _, _, .value(let state), _, _):
                stateParent[next] = state
                let parts = statementParts(s)
                for a in parts.reads { read(a, by: .statement(n)) }
                for v in parts.defines { define(v, .statement(n)) }
            case .stateCall, .createState, .send, .receive:
                let parts = statementParts(s)
                for a in parts.reads { read(a, by: .statement(n)) }
                for v in parts.defines { define(v, .statement(n)) }
            case .ifThen(let c, let a, let e, let results):
                read(c, by: .participants(n))
                for r in results { decisionOf[r] = c }
                targets.append((n, results, [], false))
                walk(a, enclosing: enclosing + [n])
                walk(e, enclosing: enclosing + [n])
                targets.removeLast()
                for r in results { define(r, .construct(n)) }
            case .switchOf(let subject, let cases, let results):
                read(subject, by: .participants(n))
                for r in results { decisionOf[r] = subject }
                targets.append((n, results, [], false))
                for c in cases { walk(c, enclosing: enclosing + [n]) }
                targets.removeLast()
                for r in results { define(r, .construct(n)) }
            case .loop(let carried, let initial, let body, let results):
                for (c, i) in zip(carried, initial) { read(i, by: .value(c)) }
                for c in carried { define(c, .carried(loop: n)) }
                targets.append((n, results, carried, true))
                walk(body, enclosing: enclosing + [n])
                targets.removeLast()
                for r in results { define(r, .construct(n)) }
            case .yield(let xs):
                guard let t = targets.last else { break }
                for (x, r) in zip(xs, t.results) { read(x, by: .value(r)) }
            case .breakLoop(let xs), .continueLoop(let xs):
                guard let k = targets.lastIndex(where: \.isLoop) else { break }
                let t = targets[k]
                let into: [IRValue]
                if case .breakLoop = s.kind { into = t.results } else { into = t.carried }
                for (x, r) in zip(xs, into) { read(x, by: .value(r)) }
                exits.append((t.number, Array(enclosing.drop { $0 != t.number }.dropFirst())))
            case .returnValues:
                returns.append(enclosing)
            case .trap(let m):
                read(m, by: .statement(n))
                traps.append((n, enclosing))
            case .halt:
                break
            }
        }
    }

    // MARK: Components

    func isState(_ t: Ty) -> Bool {
        if case .nominal(let id) = t { return program.typed.type(id).kind == .state }
        return false
    }

    mutating func components(_ groups: [[String]]?) -> ([Component], [Diagnostic]) {
        let created = Partition.createdStates(main).map { ($0.value, Partition.stateName($0.value, in: main), $0.type) }
        var byName: [String: IRValue] = [:]
        for (v, name, _) in created { byName[name] = v }
        let diagnostics = groups.map { Partition.check($0, main: main) } ?? []
        guard diagnostics.isEmpty else { return ([], diagnostics) }
        var components: [Component] = []
        var placed: Set<IRValue> = []
        for group in groups ?? [] where !group.isEmpty {
            let states = group.compactMap { byName[$0] }
            placed.formUnion(states)
            components.append(component(states))
        }
        for (v, _, _) in created where !placed.contains(v) { components.append(component([v])) }
        for (k, c) in components.enumerated() { for s in c.states { stateComponent[s] = k } }
        let device = created.first { program.typed.type($0.2).isDevice }?.0 ?? created.first?.0
        deviceCount = created.filter { program.typed.type($0.2).isDevice }.count
        system = device.flatMap { stateComponent[$0] } ?? 0
        componentCount = components.count
        return (components, diagnostics)
    }

    func component(_ states: [IRValue]) -> Component {
        let names = states.map { Partition.stateName($0, in: main) }
        return Component(name: names.joined(separator: "+"), states: states, stateNames: names)
    }

    // MARK: Placement

    mutating func owner(_ v: IRValue) -> Int? {
        switch definition[v] {
        case .statement(let n): statementOwner[n]
        case .construct, .carried: constructValueOwner[v]
        case nil: nil
        }
    }

    /// The owner of the first reader that has one.
    mutating func firstReaderOwner(_ v: IRValue) -> Int? {
        for r in readers[v] ?? [] {
            switch r {
            case .statement(let n): if let o = statementOwner[n] { return o }
            case .value(let w): if let o = owner(w) { return o }
            case .participants: continue
            }
        }
        return nil
    }

    mutating func place(_ components: [Component]) {
        // States first: their calls and creation.
        for (n, s, _) in statements {
            switch s.kind {
            case .createState(let v, _, _, _):
                statementOwner[n] = stateComponent[v]
            case .stateCall(_, _, _, .value(let state), _, _):
                statementOwner[n] = stateComponent[stateRoot(state)]
            case .assign(_, .call(let f, _)):
                if case .c = program.typed.function(f).kind { statementOwner[n] = system }
            default:
                break
            }
        }
        for v in definitionOrder where isState(main.info(v).type) {
            if case .statement = definition[v] { continue }
            constructValueOwner[v] = stateComponent[stateRoot(v)]
        }
        let assigns = statements.filter { if case .assign = $0.stmt.kind { true } else { false } }
        var unplacedValues = definitionOrder.filter {
            switch definition[$0] {
            case .construct, .carried: constructValueOwner[$0] == nil
            default: false
            }
        }
        while true {
            var changed = true
            while changed {
                changed = false
                for (n, s, _) in assigns.reversed() where statementOwner[n] == nil {
                    guard case .assign(let results, let op) = s.kind else { continue }
                    var operands: [IRValue] = []
                    forEachOperand(op, { if case .value(let v) = $0 { operands.append(v) } }, { _ in })
                    if case .closure(let c) = op { operands += AnalyzeOwnership.captures(c).sorted() }
                    var o: Int?
                    if !operands.isEmpty {
                        // With the producer; operands from several components: with the reader,
                        // when it is one of them (so neither producer shows its data to a third).
                        let owners = operands.map { owner($0) }
                        if owners.allSatisfy({ $0 != nil }) {
                            let distinct = Set(owners.compactMap { $0 })
                            if distinct.count == 1 {
                                o = distinct.first
                            } else {
                                for r in results where o == nil { o = firstReaderOwner(r).flatMap { distinct.contains($0) ? $0 : nil } }
                            }
                        }
                    } else {
                        for r in results where o == nil { o = firstReaderOwner(r) }
                    }
                    if let o {
                        statementOwner[n] = o
                        changed = true
                    }
                }
                for v in unplacedValues where constructValueOwner[v] == nil {
                    if let o = firstReaderOwner(v) {
                        constructValueOwner[v] = o
                        changed = true
                    }
                }
            }
            unplacedValues.removeAll { constructValueOwner[$0] != nil }
            // A branch's result or a carried value no reader places goes where what flows
            // into it is computed; what is left has no placement either way: the device's
            // component runs it.
            var sourced: (IRValue, Int)?
            for v in unplacedValues where sourced == nil {
                if let o = sourceOwner(v) { sourced = (v, o) }
            }
            // Operands from several components and no reader among them: the first operand's.
            let mixed = assigns.first { a in
                guard statementOwner[a.number] == nil, case .assign(_, let op) = a.stmt.kind else { return false }
                var operands: [IRValue] = []
                forEachOperand(op, { if case .value(let v) = $0 { operands.append(v) } }, { _ in })
                return !operands.isEmpty && operands.allSatisfy { owner($0) != nil }
            }
            if let (v, o) = sourced {
                constructValueOwner[v] = o
            } else if let m = mixed, case .assign(_, let op) = m.stmt.kind {
                var first: IRValue?
                forEachOperand(op, { if case .value(let v) = $0, first == nil { first = v } }, { _ in })
                statementOwner[m.number] = first.flatMap { owner($0) } ?? system
            } else if let (n, _, _) = assigns.first(where: { statementOwner[$0.number] == nil }) {
                statementOwner[n] = system
            } else if let v = unplacedValues.first {
                constructValueOwner[v] = system
            } else {
                break
            }
        }
    }

    /// A construct's result takes the owner of what its first branch yields; a carried value
    /// the owner of its initial value, or of what an iteration hands on.
    ///
    /// A branch's result made of constants alone goes where the branch is decided.
    mutating func sourceOwner(_ v: IRValue) -> Int? {
        for w in (sourcesOf[v] ?? []).sorted() { if let o = owner(w) { return o } }
        if case .value(let d)? = decisionOf[v] { return owner(d) }
        return nil
    }

    // MARK: Taking part

    mutating func takePart() {
        func join(_ c: Int, _ path: [Int]) { for n in path { participants[n, default: []].insert(c) } }
        // A trap is reported by one component, which takes part where it is: the component of
        // its message, else of the decision that leads to it, else the device's.
        for (n, enclosing) in traps {
            var reporter = system
            if case .trap(.value(let m)) = statements[n].stmt.kind, let o = owner(m) {
                reporter = o
            } else {
                for e in enclosing.reversed() {
                    let decision: IRAtom? =
                        switch statements[e].stmt.kind {
                        case .ifThen(let c, _, _, _): c
                        case .switchOf(let subject, _, _): subject
                        default: nil
                        }
                    if case .value(let d)? = decision, let o = owner(d) {
                        reporter = o
                        break
                    }
                }
            }
            trapReporter[n] = reporter
            statementOwner[n] = reporter
        }
        for (n, s, enclosing) in statements {
            if let o = statementOwner[n] { join(o, enclosing) }
            if case .loop(let carried, _, _, _) = s.kind {
                for c in carried { if let o = constructValueOwner[c] { join(o, enclosing + [n]) } }
            }
            for v in statementParts(s).defines {
                if case .construct = definition[v], let o = constructValueOwner[v] { join(o, enclosing + [n]) }
            }
        }
        // Everyone taking part in a loop sees every decision that can leave it or go round again;
        // everyone sees a path to a `return` of main. Loops are handled outermost first.
        let all = Set(0..<componentCount)
        for path in returns { for n in path { participants[n, default: []].formUnion(all) } }
        for (loop, path) in exits.sorted(by: { $0.loop < $1.loop }) {
            for n in path { participants[n, default: []].formUnion(participants[loop] ?? []) }
        }
        // A trap stops everyone taking part where it is: its reporter says why, the others halt.
        for (n, enclosing) in traps {
            participants[n] = enclosing.last.map { participants[$0] ?? [] } ?? all
        }
        // Taking part in a construct means taking part in those around it.
        for (n, _, enclosing) in statements.reversed() {
            for e in enclosing { participants[e, default: []].formUnion(participants[n] ?? []) }
        }
    }

    // MARK: Channels

    mutating func cross() {
        for v in definitionOrder {
            guard let from = owner(v), !isState(main.info(v).type) else { continue }
            var to: [Int] = []
            for r in readers[v] ?? [] {
                var readers: Set<Int> = []
                switch r {
                case .statement(let n): if let o = statementOwner[n] { readers = [o] }
                case .value(let w): if let o = owner(w) { readers = [o] }
                case .participants(let n): readers = participants[n] ?? []
                }
                for x in readers.sorted() where x != from && !to.contains(x) { to.append(x) }
            }
            for x in to {
                let ch = Channel(
                    id: channels.count, from: from, to: x, value: v, type: main.info(v).type, name: main.info(v).name,
                    span: main.info(v).span, isTurn: false)
                channels.append(ch)
                switch definition[v] {
                case .carried(let loop): crossingsAtIterationStart[loop, default: []].append(ch.id)
                case .statement(let n), .construct(let n): crossingsAfter[n, default: []].append(ch.id)
                case nil: break
                }
            }
        }
    }

    // MARK: Order

    /// The component whose effect a statement that is not a construct is, if it has one.
    func effector(_ n: Int) -> Int? {
        guard effectOf[n] != nil else { return nil }
        return trapReporter[n] ?? statementOwner[n]
    }

    /// Who has certainly heard from `a` once `crossings` have happened, in order (a relay
    /// forwards: what it sends after it heard comes after `a`).
    func heard(from a: Int, through crossings: [Int]) -> Set<Int> {
        var told: Set<Int> = [a]
        for id in crossings where told.contains(channels[id].from) { told.insert(channels[id].to) }
        return told
    }

    /// A turn from `a` to `b`: a channel carrying nothing, whose value only `b` defines.
    mutating func turn(from a: Int, to b: Int, span: SourceSpan) -> Int {
        var builder = IRBuilder(values: values)
        let v = builder.value(.void, "turn", at: span)
        values = builder.values
        channels.append(
            Channel(id: channels.count, from: a, to: b, value: v, type: .void, name: "turn", span: span, isTurn: true))
        return channels.count - 1
    }

    /// What ordering needs to know of a block or statement: the components with an effect in it
    /// (`all`); those that may make its first effect (`entry`: the others' effects in it come after
    /// one of those); those whose effect may be the last on a way through it to what follows
    /// (`exit`: a branch that traps or leaves the loop has none); and whether a way through it has
    /// no effect at all (`passes`: an empty branch, a loop that may run no iteration), so that what
    /// follows comes right after what came before.
    struct Effectors {
        var all: Set<Int> = []
        var entry: Set<Int> = []
        var exit: Set<Int> = []
        var passes = true
    }

    /// Order the effects of block `b` (its first statement numbered `first`; the body of loop
    /// `loop`, if it is one): each comes after the one before it, whichever components they are.
    mutating func order(_ b: IRBlock, first: Int, loop: Int?) -> Effectors {
        var entries: [(number: Int, effectors: Effectors)] = []
        var n = first
        for s in b.stmts {
            let number = n
            n += 1 + statementParts(s).nested.reduce(0) { $0 + numberedCount($1) }
            var e = Effectors()
            switch s.kind {
            case .ifThen, .switchOf:
                var inner = number + 1
                e.passes = false
                for block in statementParts(s).nested {
                    let branch = order(block, first: inner, loop: nil)
                    e.all.formUnion(branch.all)
                    e.entry.formUnion(branch.entry)
                    e.exit.formUnion(branch.exit)
                    // A branch that leaves may stop the program there (a trap, whose participants are
                    // few): what comes after the construct may happen only once the branch's
                    // effectors have gone the other way, and only they can say so.
                    if leavesConstruct(block) { e.exit.formUnion(branch.all) }
                    e.passes = e.passes || branch.passes
                    inner += numberedCount(block)
                }
            case .loop(_, _, let body, _):
                e = order(body, first: number + 1, loop: number)
                e.exit = e.all  // a `break` may leave from anywhere,
                e.passes = true  // and before any effect
            default:
                if let c = effector(number) { e = Effectors(all: [c], entry: [c], exit: [c], passes: false) }
            }
            entries.append((number, e))
        }
        // Forward: each effect after those that may come right before it in the block. `last`:
        // for each component whose effect may be the latest so far, where it was made.
        var last: [Int: Int] = [:]
        var block = Effectors()
        for (i, (_, e)) in entries.enumerated() where !e.all.isEmpty {
            for (a, p) in last.sorted(by: { $0.key < $1.key }) {
                for c in e.entry.sorted() where c != a {
                    let between = entries[p..<i].flatMap { crossingsAfter[$0.number] ?? [] }
                    guard !heard(from: a, through: between).contains(c) else { continue }
                    let id = turn(from: a, to: c, span: b.stmts[i].span)
                    crossingsAfter[entries[p].number, default: []].append(id)
                }
            }
            if block.passes { block.entry.formUnion(e.entry) }
            block.passes = block.passes && e.passes
            block.all.formUnion(e.all)
            if !e.passes { last = [:] }
            for a in e.exit { last[a] = i }
        }
        // Round the loop: the first effect of an iteration after the last of the one before: the
        // latest on the way to the end of the body, or any where a `continue` inside may leave.
        if let loop {
            let continuesInside = b.stmts.dropLast().contains { continues(IRBlock([$0])) }
            let latest = continuesInside ? block.all : Set(last.keys)
            for a in latest.sorted() {
                for c in block.entry.sorted() where c != a {
                    // What `a` sends after its last effect, unless a `continue` may skip it; then
                    // at the start of the next iteration, and before the effects that may be first.
                    guard let lastOfA = entries.lastIndex(where: { $0.effectors.all.contains(a) }) else { continue }
                    var path: [Int] = []
                    for k in lastOfA..<entries.count {
                        if continues(IRBlock([b.stmts[k]])) { break }
                        path += crossingsAfter[entries[k].number] ?? []
                    }
                    path += crossingsAtIterationStart[loop] ?? []
                    let firstOfC = entries.firstIndex { $0.effectors.entry.contains(c) } ?? 0
                    path += entries[..<firstOfC].flatMap { crossingsAfter[$0.number] ?? [] }
                    guard !heard(from: a, through: path).contains(c) else { continue }
                    let id = turn(from: a, to: c, span: b.stmts[firstOfC].span)
                    crossingsAtIterationStart[loop, default: []].append(id)
                }
            }
        }
        if leavesConstruct(b) {
            block.exit = []
            block.passes = false
        } else {
            block.exit = Set(last.keys)
        }
        return block
    }

    mutating func valueOwners() -> [IRValue: Int] {
        var out: [IRValue: Int] = [:]
        for v in definitionOrder { if let o = owner(v) { out[v] = o } }
        return out
    }
}

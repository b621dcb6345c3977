/// CheckStateLocality: the invariant the state-locality passes establish, checked.
///
/// Requires: nothing; it inspects what the passes made.
/// Ensures: a list of violations, each naming the pass that should have prevented
/// it, empty when:
///   - no method of a state `main` creates takes another state, nor makes a call on
///     one (after `LambdaLift`);
///   - every call on a state in `main` is its `process` method (after
///     `Defunctionalize`), so the state is one node per scope;
///   - every state of `main` is created and called by exactly one component's
///     projected program (after `Project`), and every channel joins two different
///     components and is sent once and received once in the programs.
/// The pipeline turns a violation into an internal error naming the stage: a
/// program the passes could not make state-local is a compiler bug, never silently
/// built. Programs no pass can fix are rejected earlier, with the user's source
/// (`AnalyzeStateUse`).

import CleaveIR
import CleaveSema

public enum CheckStateLocality {
    /// Violations in a defunctionalized program.
    public static func check(_ d: DefunctionalizedProgram) -> [String] {
        let typed = d.program.typed
        func stateType(_ t: Ty) -> TypeID? {
            if case .nominal(let id) = t, typed.type(id).kind == .state { return id }
            return nil
        }
        var problems: [String] = []
        let created = Partition.createdStateTypes(d.program)
        for f in d.program.functions {
            guard case .stateMethod(let owner) = f.kind, created.contains(owner) else { continue }
            let name = "\(typed.type(owner).name).\(typed.function(f.source).name)"
            for p in f.params.dropFirst() where stateType(f.info(p).type) != nil {
                problems.append(
                    "LambdaLift: state method \(name) still takes state \(typed.typeName(f.info(p).type)) (line \(f.span.line))")
            }
            walk(f.body) { s in
                if case .stateCall(_, _, _, let state, _, _) = s.kind, let t = stateType(state.type({ f.info($0).type })), t != owner {
                    problems.append("LambdaLift: state method \(name) calls state \(typed.type(t).name) (line \(s.span.line))")
                }
            }
        }
        guard let main = d.program.mainFunction else { return problems }
        walk(main.body) { s in
            guard case .stateCall(_, _, _, let state, let m, _) = s.kind, let t = stateType(state.type({ main.info($0).type })) else {
                return
            }
            if d.interface(of: t)?.process != m {
                problems.append(
                    "Defunctionalize: main calls \(typed.type(t).name).\(typed.function(m).name) directly, not through process (line \(s.span.line))"
                )
            }
        }
        return problems
    }

    /// Violations in a projected program.
    public static func check(_ p: ProjectedProgram) -> [String] {
        var problems = check(p.partitioned.defunctionalized)
        let typed = p.program.typed
        var touchedBy: [IRValue: Set<Int>] = [:]
        var sends: [Int: Int] = [:]
        var receives: [Int: Int] = [:]
        let roots = p.partitioned.components.enumerated().flatMap { k, c in c.states.map { ($0, k) } }
        let home = Dictionary(roots, uniquingKeysWith: { a, _ in a })
        for (k, c) in p.components.enumerated() {
            let f = c.main
            let facts = AnalyzeOwnership.analyze(
                f.body, params: f.params, ownedParams: [], types: { f.info($0).type },
                isState: { if case .nominal(let id) = $0 { typed.type(id).kind == .state } else { false } })
            // A state's versions form one class; the class's creation names the state.
            var created: [IRValue: IRValue] = [:]
            walk(f.body) { s in if case .createState(let v, _, _, _) = s.kind { created[facts.stateRoot(v)] = v } }
            walk(f.body) { s in
                switch s.kind {
                case .createState(let v, _, _, _): touchedBy[v, default: []].insert(k)
                case .stateCall(_, _, _, .value(let v), _, _):
                    guard let state = created[facts.stateRoot(v)] else {
                        problems.append("Project: component \(c.component.name) calls a state it does not create (line \(s.span.line))")
                        break
                    }
                    touchedBy[state, default: []].insert(k)
                case .send(let ch, _):
                    sends[ch, default: 0] += 1
                    if p.channels[ch].from != k {
                        problems.append("Project: component \(c.component.name) sends on channel #\(ch), which is not its")
                    }
                case .receive(let ch, _):
                    receives[ch, default: 0] += 1
                    if p.channels[ch].to != k {
                        problems.append("Project: component \(c.component.name) receives on channel #\(ch), which is not its")
                    }
                default: break
                }
            }
        }
        for (state, components) in touchedBy.sorted(by: { $0.key < $1.key }) {
            let name = p.partitioned.main.info(state).name ?? "%\(state.id)"
            if components.count != 1 || home[state].map({ !components.contains($0) }) ?? true {
                let names = components.sorted().map { p.components[$0].component.name }.joined(separator: ", ")
                problems.append("Project: state \(name) is used by components \(names), not by its own alone")
            }
        }
        for ch in p.channels {
            if ch.from == ch.to { problems.append("Partition: channel #\(ch.id) joins component \(ch.from) to itself") }
            if sends[ch.id] != 1 || receives[ch.id] != 1 {
                problems.append(
                    "Project: channel #\(ch.id) is sent \(sends[ch.id] ?? 0) and received \(receives[ch.id] ?? 0) times in the programs, not once each"
                )
            }
        }
        return problems
    }

    /// Every statement of a block, nested blocks included (not closures: they call no state).
    static func walk(_ b: IRBlock, _ visit: (IRStmt) -> Void) {
        for s in b.stmts {
            visit(s)
            for n in statementParts(s).nested { walk(n, visit) }
        }
    }
}

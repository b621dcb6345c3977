// The isolated target: one C program per component, and the launcher's table.
//
// Each component of a projected program (Passes/Project.swift) becomes its own
// executable. Its C file holds the component's local program as `cleave_main`
// and only what that program reaches: the functions and state methods it
// calls (transitively, through closures and globals too), the constructors of
// the states it creates, and the types, descriptors and constants those use.
// Another component's states leave no symbol in it.
//
// What crosses a channel is serialized by code generated here for its type
// (`wput_N` / `wget_N`, on isolated/wire.c's pieces): the reader checks every count,
// Bool, enum case and String it reads, so a malformed message is refused, never
// interpreted. Every channel carries a type tag (a hash of the type's spelling
// and layout) and every build a version (a hash of the tables), both checked
// on receipt (isolated/isolated.h).
//
// The sandbox policy of a component is computed here too (Policy.swift) and
// emitted as the rules its process loads after set-up; `cleave build
// --print-policy` shows the same rules. So is whether a component may be
// started again after a failure (`run --restart`), and when it may not, why, in
// words the launcher prints as they are (escaped, as all the user's text).

import CleaveDiagnostics
import CleaveIR
import CleavePasses
import CleaveSema

public struct IsolatedComponent: Sendable {
    public let name: String
    /// The executable's file name, beside the launcher.
    public let file: String
    public let program: CProgram
    public let policy: [PolicyRule]
}

/// What the isolated target decides before any C is written (stages `lookahead` and `policy`):
/// for each component, its `main`, what it reaches, and its sandbox.
public struct IsolatedPlan: Sendable {
    public struct Part: Sendable {
        /// The component's `main`, after `lookahead`.
        public let main: IRFunction
        /// The functions its `main` reaches (its C holds these only).
        let reachable: Set<FunctionID>
        /// States whose constructors it needs.
        let states: Set<TypeID>
        /// The system calls its sandbox allows, with the reasons.
        public let policy: [PolicyRule]
    }

    public let projected: ProjectedProgram
    public let parts: [Part]

    /// The sandboxes, as `--print-policy` shows them.
    public var policyDescription: String {
        let files = CBackend.isolatedTables(projected).files
        return Policy.describe(projected.components.indices.map { (projected.components[$0].component.name, files[$0], parts[$0].policy) })
    }
}

public struct IsolatedProgram: Sendable {
    public let components: [IsolatedComponent]
    /// The launcher's C: the program's table; the launcher itself is the runtime's isolated/launcher.c.
    public let launcher: CProgram
}

/// What one component's C file is made of.
struct IsolatedContext {
    let index: Int
    /// The component's program (its device's loop reading ahead where Lookahead applies).
    let main: IRFunction
    let tables: IsolatedTables
    /// Functions with bodies the component's program reaches.
    let reachable: Set<FunctionID>
    /// States whose constructors it needs.
    let states: Set<TypeID>
    let policy: [PolicyRule]
}

struct WireKey: Hashable {
    let type: Ty
    let reading: Bool
}

/// The tables every executable of one build shares.
struct IsolatedTables {
    let rings: [(from: Int, to: Int)]
    let ringOf: [Int: Int]
    let typeTags: [UInt32]
    let deviceOwner: [Int]
    let version: UInt32
    let files: [String]
    /// Why each component may not be started again after a failure (--restart), as the launcher
    /// says it ("it holds state fields (Tally.total)"); nil for one that may.
    let notRestartable: [String?]

    var restartable: [Bool] { notRestartable.map { $0 == nil } }
}

extension CBackend {
    /// Every component's C program and the launcher's table, or the errors that stopped them.
    /// The `lookahead` stage: every component's `main`, the device's with its service loop
    /// pipelined where `Lookahead` may (the rewrite verified, or an internal error).
    public static func lookahead(_ projected: ProjectedProgram) -> ([IRFunction], [Diagnostic]) {
        let program = projected.program
        var mains: [IRFunction] = []
        var diagnostics: [Diagnostic] = []
        for (k, c) in projected.components.enumerated() {
            guard let ahead = Lookahead.run(projected, component: k) else {
                mains.append(c.main)
                continue
            }
            let problems = VerifyIR.verify(program.with(typed: program.typed, functions: [ahead]))
            if problems.isEmpty {
                mains.append(ahead)
            } else {
                mains.append(c.main)
                diagnostics.append(
                    Diagnostic(
                        .internalError(stage: "lookahead", "the IR verifier: \(problems.map { "\($0)" }.joined(separator: "; "))"),
                        at: c.main.span))
            }
        }
        return (mains, diagnostics)
    }

    /// The `policy` stage: what each component's `main` (after `lookahead`) reaches, and the
    /// sandbox it gets; a system function the table does not know is a warning.
    public static func plan(_ projected: ProjectedProgram, mains: [IRFunction]) -> (IsolatedPlan, [Diagnostic]) {
        var parts: [IsolatedPlan.Part] = []
        var diagnostics: [Diagnostic] = []
        for (k, main) in mains.enumerated() {
            let (reachable, cFunctions, states) = reach(from: main, in: projected.program)
            let (policy, warnings) = Policy.rules(
                component: k, projected: projected, cFunctions: cFunctions, deviceTypes: deviceTypes(of: k, projected))
            diagnostics += warnings
            parts.append(IsolatedPlan.Part(main: main, reachable: reachable, states: states, policy: policy))
        }
        return (IsolatedPlan(projected: projected, parts: parts), diagnostics)
    }

    /// What must hold of a plan, as problems found: every component allows what every component
    /// needs, each system call once, on its own descriptors where the call takes one, never
    /// PROT_EXEC; and a component with no device, which makes no system call of the program's
    /// (those run in the device's), allows nothing more.
    public static func verify(_ plan: IsolatedPlan) -> [String] {
        var problems: [String] = []
        let projected = plan.projected
        for (k, part) in plan.parts.enumerated() {
            let name = projected.components[k].component.name
            let calls = part.policy.map(\.systemCall)
            for (call, _) in Policy.everyComponent where !calls.contains(call) {
                problems.append("component \(name) does not allow \(call), which every component needs")
            }
            for call in Set(calls) where calls.filter({ $0 == call }).count > 1 {
                problems.append("component \(name) allows \(call) twice")
            }
            let devices = deviceTypes(of: k, projected)
            for r in part.policy {
                let expected = Policy.argument(of: r.systemCall, deviceTypes: devices)
                if r.argument != expected { problems.append("component \(name) allows \(r.systemCall) \(r.argument), not \(expected)") }
            }
            if deviceTypes(of: k, projected).isEmpty && k != projected.partitioned.systemComponent {
                let basic = Set(Policy.everyComponent.map(\.0))
                for call in calls where !basic.contains(call) {
                    problems.append("component \(name) has no device, yet allows \(call)")
                }
            }
        }
        if plan.parts.count != projected.components.count {
            problems.append("\(plan.parts.count) parts for \(projected.components.count) components")
        }
        return problems
    }

    /// What the `c` stage of the isolated target must have made of the plan: one executable per
    /// component, in order, under a distinct file name that is safe beside the launcher (`run`),
    /// each with its `main` and its descriptor; a launcher's table that counts them all. Each
    /// string is a problem.
    public static func verify(_ program: IsolatedProgram, plan: IsolatedPlan) -> [String] {
        var problems: [String] = []
        let names = plan.projected.components.map(\.component.name)
        if program.components.map(\.name) != names {
            problems.append("components \(program.components.map(\.name)) for the plan's \(names)")
        }
        var files: Set<String> = []
        for c in program.components {
            if !isExecutableName(c.file) {
                problems.append("component \(c.name) has the file name '\(c.file)'")
            }
            if !files.insert(c.file).inserted { problems.append("two components have the file name '\(c.file)'") }
            for part in ["#include \"isolated/isolated.h\"", "void cleave_main(void) {", "const cl_isolated_component cl_component = {"]
            where !c.program.source.contains(part) {
                problems.append("component \(c.name)'s C has no '\(part)'")
            }
        }
        if !program.launcher.source.contains(".component_count = \(names.count),") {
            problems.append("the launcher's table does not count \(names.count) components")
        }
        return problems
    }

    /// The `c` stage of the isolated target: each component's C and the launcher's table, from
    /// the plan. A closure that would cross between components is an error.
    public static func emitIsolated(_ plan: IsolatedPlan, lineDirectives: Bool = false) -> (IsolatedProgram?, [Diagnostic]) {
        let projected = plan.projected
        let program = projected.program
        var diagnostics: [Diagnostic] = []
        let tables = isolatedTables(projected)
        // A closure cannot be serialized: it is code and captures of one address space.
        for ch in projected.channels where containsFunction(ch.type, program.typed) {
            var d = Diagnostic(
                .isolatedClosureCrosses(
                    ch.name ?? "%\(ch.value.id)", type: program.typed.typeName(ch.type),
                    between: projected.components[ch.from].component.name, and: projected.components[ch.to].component.name),
                at: ch.span)
            d.notes = [DiagnosticNote("choose a partition that keeps its maker and its user together (--partition)", at: nil)]
            diagnostics.append(d)
        }
        if !diagnostics.isEmpty { return (nil, diagnostics) }
        var components: [IsolatedComponent] = []
        let headers = program.typed.imports.compactMap(\.resolvedPath)
        for (k, c) in projected.components.enumerated() {
            let part = plan.parts[k]
            let b = CBackend(program)
            b.projected = projected
            b.lineDirectives = lineDirectives
            b.isolated = IsolatedContext(
                index: k, main: part.main, tables: tables, reachable: part.reachable, states: part.states, policy: part.policy)
            let text = b.emitProgram()
            diagnostics += b.diagnostics
            components.append(
                IsolatedComponent(
                    name: c.component.name, file: tables.files[k], program: CProgram(source: text, headers: headers),
                    policy: part.policy))
        }
        if diagnostics.contains(where: { $0.isError }) { return (nil, diagnostics) }
        let launcher = CBackend(program)
        launcher.projected = projected
        let table = launcher.programTable(projected, tables, component: nil)
        // A component started again runs under the launcher's sandbox as well as its own (filters
        // stack): with --restart the launcher allows itself what its restartable components may do.
        var restartRules: [String] = []
        for (k, c) in components.enumerated() where tables.restartable[k] {
            for rule in c.policy where !restartRules.contains(rule.systemCall) { restartRules.append(rule.systemCall) }
        }
        let rules = restartRules.map { "    {\"\($0)\", CL_RULE_ANY}," }
        let text = """
            /* Generated by cleave: the table of an isolated build's launcher (isolated/launcher.c). */
            \(CBackend.isolatedHeaders.map { "#include \"\($0)\"" }.joined(separator: "\n"))

            \(table)
            const cl_policy_rule cl_restart_rules[] = {
            \(rules.isEmpty ? "    {\"\", CL_RULE_ANY}," : rules.joined(separator: "\n"))
            };
            const int32_t cl_restart_rule_count = \(restartRules.count);
            """
        return (
            IsolatedProgram(components: components, launcher: CProgram(source: text, headers: [])),
            diagnostics
        )
    }

    static func containsFunction(_ t: Ty, _ typed: TypedProgram) -> Bool {
        var seen: Set<TypeID> = []
        func go(_ t: Ty) -> Bool {
            switch t {
            case .function: return true
            case .optional(let w), .array(let w): return go(w)
            case .map(let k, let v): return go(k) || go(v)
            case .tuple(let xs): return xs.contains(where: go)
            case .nominal(let id):
                guard seen.insert(id).inserted else { return false }
                let d = typed.type(id)
                return d.fields.contains { go($0.type) } || d.cases.contains { $0.payload.contains { go($0.type) } }
            default: return false
            }
        }
        return go(t)
    }

    /// The device types (`UdpDevice`, `FrameDevice`) component `k` creates.
    static func deviceTypes(of k: Int, _ projected: ProjectedProgram) -> [String] {
        let typed = projected.program.typed
        var out: [String] = []
        for v in projected.components[k].component.states {
            guard case .nominal(let id) = projected.partitioned.main.info(v).type else { continue }
            let d = typed.type(id)
            if d.isDevice && !out.contains(d.name) { out.append(d.name) }
        }
        return out
    }

    /// Rings (one per ordered pair of components with channels), type tags, devices and the version.
    static func isolatedTables(_ projected: ProjectedProgram) -> IsolatedTables {
        let typed = projected.program.typed
        var rings: [(from: Int, to: Int)] = []
        var ringOf: [Int: Int] = [:]
        var pairs: [[Int]: Int] = [:]
        var tags: [UInt32] = []
        for ch in projected.channels {
            let key = [ch.from, ch.to]
            if pairs[key] == nil {
                pairs[key] = rings.count
                rings.append((ch.from, ch.to))
            }
            ringOf[ch.id] = pairs[key]
            tags.append(fnv1a(layout(ch.type, typed)))
        }
        // Devices, numbered as the sequential program creates them.
        var owner: [Int] = []
        var ownerOfState: [IRValue: Int] = [:]
        for (k, c) in projected.components.enumerated() { for s in c.component.states { ownerOfState[s] = k } }
        for (v, tid) in Partition.createdStates(projected.partitioned.main) where typed.type(tid).isDevice {
            owner.append(ownerOfState[v] ?? 0)
        }
        var files: [String] = []
        for c in projected.components { files.append(executableName(c.component.name, taken: files)) }
        // Started again after a failure (--restart): no state fields to lose, no device to bind again,
        // and no value from the others' set-up to wait for (only turns cross before the service loop,
        // loops of the set-up included).
        let p = projected.partitioned
        let loop = p.main.serviceLoop(typed) ?? p.main.body.stmts.count
        let loopNumber = p.main.body.stmts[..<loop].reduce(0) { $0 + numberedCount(IRBlock([$1])) }
        let setUpValues = p.crossingsAfter.filter { $0.key < loopNumber }.flatMap(\.value).map { p.channels[$0] }
            .filter { !$0.isTurn }
        let notRestartable = projected.components.indices.map { k in
            whyNotRestartable(k, setUp: setUpValues, projected.components.map(\.component), p, typed)
        }
        var description = projected.components.map(\.component.name).joined(separator: "|")
        for (ch, tag) in zip(projected.channels, tags) { description += ";\(ch.id):\(ch.from)>\(ch.to):\(tag)" }
        return IsolatedTables(
            rings: rings, ringOf: ringOf, typeTags: tags, deviceOwner: owner, version: fnv1a(description), files: files,
            notRestartable: notRestartable)
    }

    /// Why component `k` may not be started again after a failure, naming what stands in the way:
    /// the devices it drives (bound once, by the launcher), the state fields it holds (a new
    /// process would start without them), and the values it exchanges with the others' set-up
    /// (which a component started again runs alone); nil when nothing does.
    static func whyNotRestartable(
        _ k: Int, setUp: [Channel], _ components: [Component], _ p: PartitionedProgram, _ typed: TypedProgram
    ) -> String? {
        let c = components[k]
        func listed(_ items: [String]) -> String {
            var unique: [String] = []
            for item in items where !unique.contains(item) { unique.append(item) }
            let shown = unique.prefix(3).joined(separator: ", ")
            return unique.count > 3 ? "\(shown) and \(unique.count - 3) more" : shown
        }
        func values(_ channels: [Channel]) -> String {
            let names = channels.compactMap(\.name).map { "'\($0)'" }
            return names.isEmpty ? "values" : listed(names)
        }
        func peers(_ indices: [Int]) -> String { listed(indices.map { "'\(components[$0].name)'" }) }
        var devices: [String] = []
        var fields: [String] = []
        for (s, name) in zip(c.states, c.stateNames) {
            guard case .nominal(let id) = p.main.info(s).type else { continue }
            let d = typed.type(id)
            if d.isDevice { devices.append("\(d.name) '\(name)'") }
            fields += d.fields.map { "\(d.name).\($0.name)" }
        }
        let taken = setUp.filter { $0.to == k }
        let given = setUp.filter { $0.from == k && $0.to != k }
        var reasons: [String] = []
        if !devices.isEmpty { reasons.append("it drives \(devices.count == 1 ? "a device" : "devices") (\(listed(devices)))") }
        if !fields.isEmpty { reasons.append("it holds state fields (\(listed(fields)))") }
        if !taken.isEmpty {
            reasons.append("it takes \(values(taken)) from the set-up of \(peers(taken.map(\.from))) (before the service loop)")
        }
        if !given.isEmpty { reasons.append("its set-up gives \(values(given)) to \(peers(given.map(\.to))) (before the service loop)") }
        return reasons.isEmpty ? nil : reasons.joined(separator: "; ")
    }

    /// The longest name of a component's executable, in bytes.
    static let executableNameLimit = 64

    /// A character an executable's file name keeps; `executableName` makes any other `_`.
    static func keptInExecutableName(_ c: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c) || c == "-" || c == "_"
    }

    /// A file name `executableName` may give: made of kept characters, not empty, not `run` nor an
    /// option, within the limit.
    static func isExecutableName(_ f: String) -> Bool {
        !f.isEmpty && f != "run" && !f.hasPrefix("-") && f.utf8.count <= executableNameLimit
            && f.unicodeScalars.allSatisfy(keptInExecutableName)
    }

    /// The file name of a component's executable, beside the launcher, from the component's name
    /// (its states' variable names, which may be of any length): ASCII letters, digits, `-` and
    /// `_` kept, anything else `_`; never empty, never starting with `.` or `-` (a hidden file,
    /// an option), never the launcher's `run`; at most `executableNameLimit` bytes, a longer one
    /// cut and ended with `-` and a hash of the whole name, so names alike up to the cut stay
    /// apart; and unlike every name in `taken`. `IsolatedComponent.file` carries it to the build,
    /// `--print-policy` and the launcher's table.
    public static func executableName(_ name: String, taken: [String]) -> String {
        var f = String(String.UnicodeScalarView(name.unicodeScalars.map { keptInExecutableName($0) ? $0 : "_" }))
        if f.isEmpty || f == "run" || f.hasPrefix("-") { f = "component-" + f }
        if f.utf8.count > executableNameLimit {
            let hash = String(fnv1a(name), radix: 16)
            f = String(f.prefix(executableNameLimit - 9)) + "-" + String(repeating: "0", count: 8 - hash.count) + hash
        }
        var candidate = f
        var k = 2
        while taken.contains(candidate) {
            let suffix = "-\(k)"
            candidate = String(f.prefix(executableNameLimit - suffix.count)) + suffix
            k += 1
        }
        return candidate
    }

    static func fnv1a(_ s: String) -> UInt32 {
        var h: UInt32 = 0x811c_9dc5
        for b in s.utf8 { h = (h ^ UInt32(b)) &* 0x0100_0193 }
        return h
    }

    /// A type's spelling with its layout: what both ends must agree on.
    static func layout(_ t: Ty, _ typed: TypedProgram) -> String {
        var seen: Set<TypeID> = []
        func go(_ t: Ty) -> String {
            switch t {
            case .optional(let w): return go(w) + "?"
            case .array(let e): return "[\(go(e))]"
            case .map(let k, let v): return "[\(go(k)):\(go(v))]"
            case .tuple(let xs): return "(\(xs.map(go).joined(separator: ",")))"
            case .nominal(let id):
                let d = typed.type(id)
                guard seen.insert(id).inserted else { return d.name }
                if d.kind == .enum {
                    return d.name + "{"
                        + d.cases.map { "\($0.name)(\($0.payload.map { go($0.type) }.joined(separator: ",")))" }
                        .joined(separator: "|") + "}"
                }
                return d.name + "{" + d.fields.map { "\($0.name):\(go($0.type))" }.joined(separator: ",") + "}"
            default: return typed.typeName(t)
            }
        }
        return go(t)
    }

    /// The functions with bodies a component's main reaches, the C functions it calls (with
    /// the first call met), the states it creates.
    static func reach(from main: IRFunction, in program: IRProgram)
        -> (Set<FunctionID>, [FunctionID: SourceSpan], Set<TypeID>)
    {
        var byID: [FunctionID: IRFunction] = [:]
        for f in program.functions { byID[f.source] = f }
        var reached: Set<FunctionID> = []
        var cFunctions: [FunctionID: SourceSpan] = [:]
        var states: Set<TypeID> = []
        var work: [IRBlock] = [main.body] + program.globals.map(\.body)
        var here = main.span
        func add(_ id: FunctionID) {
            if case .c = program.typed.function(id).kind {
                if cFunctions[id] == nil { cFunctions[id] = here }
                return
            }
            guard reached.insert(id).inserted, let f = byID[id] else { return }
            work.append(f.body)
        }
        while let block = work.popLast() {
            for s in block.stmts {
                here = s.span
                switch s.kind {
                case .assign(_, let op):
                    switch op {
                    case .call(let id, _), .method(let id, _), .functionRef(let id): add(id)
                    default: break
                    }
                case .stateCall(_, _, _, _, let method, _): add(method)
                case .createState(_, let tid, let initFn, _):
                    states.insert(tid)
                    if let initFn { add(initFn) }
                default: break
                }
                let parts = statementParts(s)
                work += parts.nested
                work += parts.closures.map(\.body)
            }
        }
        return (reached, cFunctions, states)
    }

    // MARK: Tables in C

    /// `cl_program` (and, in a component, `cl_component`): the C tables of isolated.h.
    func programTable(_ projected: ProjectedProgram, _ tables: IsolatedTables, component: Int?) -> String {
        func str(_ s: String) -> String { CText.string(s) }
        var channels: [String] = []
        for ch in projected.channels {
            let text = "#\(ch.id) \(ch.name ?? "%\(ch.value.id)"): \(program.typed.typeName(ch.type))"
            let mine = component != nil && (ch.from == component || ch.to == component)
            let put = mine && ch.from == component ? "wire_put_\(ch.id)" : "NULL"
            let get = mine && ch.to == component ? "wire_get_\(ch.id)" : "NULL"
            if mine && ch.from == component {
                helpers.append(
                    "static void wire_put_\(ch.id)(cl_writer *w, const void *v) { \(wirePut(ch.type))(w, v); }")
            }
            if mine && ch.to == component {
                helpers.append("static bool wire_get_\(ch.id)(cl_reader *r, void *v) { return \(wireGet(ch.type))(r, v); }")
            }
            channels.append(
                "    {\(ch.from), \(ch.to), \(tables.ringOf[ch.id] ?? 0), 0x\(String(tables.typeTags[ch.id], radix: 16))u, \(str(text)), \(put), \(get)},"
            )
        }
        let names = projected.components.map { str($0.component.name) }.joined(separator: ", ")
        let files = tables.files.map(str).joined(separator: ", ")
        let notRestartable = tables.notRestartable.map { $0.map(str) ?? "NULL" }.joined(separator: ", ")
        let rings = tables.rings.map { "{\($0.from), \($0.to)}" }.joined(separator: ", ")
        let owners = tables.deviceOwner.map(String.init).joined(separator: ", ")
        return """
            \(programNameDefinition())
            static const char *const component_names[] = {\(names)};
            static const char *const component_files[] = {\(files)};
            static const char *const component_not_restartable[] = {\(notRestartable)};
            static const int32_t ring_table[][2] = {\(rings.isEmpty ? "{0, 0}" : rings)};
            static const cl_wire_channel channel_table[] = {
            \(channels.isEmpty ? "    {0, 0, 0, 0, \"\", NULL, NULL}," : channels.joined(separator: "\n"))
            };
            static const int32_t device_owner[] = {\(owners.isEmpty ? "0" : owners)};
            const cl_isolated_program cl_program = {
                .version = 0x\(String(tables.version, radix: 16))u,
                .component_count = \(projected.components.count),
                .component_names = component_names,
                .component_files = component_files,
                .not_restartable = component_not_restartable,
                .ring_count = \(tables.rings.count),
                .rings = ring_table,
                .channel_count = \(projected.channels.count),
                .channels = channel_table,
                .device_count = \(tables.deviceOwner.count),
                .device_owner = device_owner,
            };
            """
    }

    /// `cl_component`: the index, the sandbox rules and the devices of the component being emitted.
    func componentTable(_ context: IsolatedContext) -> String {
        let rules = context.policy.map { "    {\(CText.string($0.systemCall)), \($0.argument.cName)}," }
        let devices = context.tables.deviceOwner.enumerated().filter { $0.element == context.index }.map { String($0.offset) }
        return """
            static const cl_policy_rule policy_rules[] = {
            \(rules.joined(separator: "\n"))
            };
            static const int32_t own_devices[] = {\(devices.isEmpty ? "0" : devices.joined(separator: ", "))};
            const cl_isolated_component cl_component = {
                .index = \(context.index),
                .rule_count = \(context.policy.count),
                .rules = policy_rules,
                .device_count = \(devices.count),
                .devices = own_devices,
            };
            """
    }

    // MARK: Serializers

    /// The name of the generated writer of `t` (`void f(cl_writer *, const T *)`), made on first use.
    func wirePut(_ t: Ty) -> String {
        wireFunction(t, reading: false)
    }

    func wireGet(_ t: Ty) -> String {
        wireFunction(t, reading: true)
    }

    /// The writer (or the checked reader) of `t`, generated on first use: a component gets
    /// only the directions it uses.
    func wireFunction(_ t: Ty, reading: Bool) -> String {
        let key = WireKey(type: t, reading: reading)
        if let n = wireNames[key] { return n }
        let k = wireNames.count + 1
        let names = (put: "wput_\(k)", get: "wget_\(k)")
        wireNames[key] = reading ? names.get : names.put
        let ct = types.c(t)
        wireDeclarations.append(
            reading ? "static bool \(names.get)(cl_reader *r, \(ct) *v);" : "static void \(names.put)(cl_writer *w, \(ct) const *v);")
        var put: [String] = []
        var get: [String] = []
        // Only this direction's functions of the parts: the other list is built but never used.
        func put_(_ t: Ty) -> String { reading ? "" : wireFunction(t, reading: false) }
        func get_(_ t: Ty) -> String { reading ? wireFunction(t, reading: true) : "" }
        func plain() {
            put = ["cl_put(w, v, sizeof *v);"]
            get = ["return cl_get(r, v, sizeof *v);"]
        }
        switch t {
        case .int, .double: plain()
        case .bool:
            put = ["uint8_t b = *v ? 1 : 0;", "cl_put(w, &b, 1);"]
            get = ["return cl_get_bool(r, v);"]
        case .string, .bytes:
            put = ["cl_put_bytes(w, *v);"]
            get = ["return cl_get_bytes(r, v, \(t == .string ? "true" : "false"));"]
        case .void, .never, .error, .function:
            put = ["(void)w, (void)v;"]
            get = ["(void)r, (void)v;", "return true;"]
        case .optional(let w):
            put = ["uint8_t some = v->some ? 1 : 0;", "cl_put(w, &some, 1);", "if (v->some) \(put_(w))(w, &v->value);"]
            get = ["if (!cl_get_bool(r, &v->some)) return false;", "return !v->some || \(get_(w))(r, &v->value);"]
        case .tuple(let items):
            put = items.indices.map { "\(put_(items[$0]))(w, &v->e\($0));" }
            get = ["return true" + items.indices.map { " && \(get_(items[$0]))(r, &v->e\($0))" }.joined() + ";"]
        case .array(let e):
            let ce = types.c(e)
            // An element that takes no bytes of its own (an empty struct, Void) is followed by a
            // zero byte, so that every element takes one at least and a count is bounded by what is
            // left of the message: eight bytes can never ask for millions of elements.
            let empty = leastSize(e) == 0
            put = [
                // NULL: the placeholder of a value no one reads (wire.c, cl_put_bytes), sent as empty.
                "int64_t n = *v ? (*v)->count : 0;",
                "cl_put_count(w, n);",
                "for (int64_t i = 0; i < n; i++) {",
                "    \(put_(e))(w, (\(ce) const *)cl_buf_at(*v, i));",
            ]
            put += empty ? ["    uint8_t end = 0;", "    cl_put(w, &end, 1);", "}"] : ["}"]
            get = [
                "int64_t n;",
                "if (!cl_get_count(r, &n, \(max(1, leastSize(e))))) return false;",
                "cl_buf *a = cl_array_new(\(types.descriptor(e)), n);",
                "for (int64_t i = 0; i < n; i++) {",
                "    \(ce) *x = cl_buf_at(a, i);",
                "    memset(x, 0, sizeof *x);",
                "    if (!\(get_(e))(r, x)) return false;",
            ]
            if empty {
                get += [
                    "    uint8_t end;",
                    "    if (!cl_get(r, &end, 1)) return false;",
                    "    if (end != 0) return cl_get_fail(r, \"an element with no value ends with a byte that is not 0\");",
                ]
            }
            get += [
                "    a->count = i + 1;",
                "}",
                "*v = a;",
                "return true;",
            ]
        case .map(let key, let value):
            let d = types.descriptor(t)
            put = [
                "int64_t n = *v ? cl_map_count(*v) : 0;",
                "cl_put_count(w, n);",
                "for (int64_t i = 0; i < n; i++) {",
                "    \(types.c(key)) k;",
                "    \(types.c(value)) x;",
                "    cl_map_entry(\(d), *v, i, &k, &x);",
                "    \(put_(key))(w, &k);",
                "    \(put_(value))(w, &x);",
                "}",
            ]
            get = [
                "int64_t n;",
                "if (!cl_get_count(r, &n, \(max(1, leastSize(key) + leastSize(value))))) return false;",
                "cl_map *m = cl_map_new(\(d));",
                "for (int64_t i = 0; i < n; i++) {",
                "    \(types.c(key)) k;",
                "    \(types.c(value)) x;",
                "    memset(&k, 0, sizeof k);",
                "    memset(&x, 0, sizeof x);",
                "    if (!\(get_(key))(r, &k) || !\(get_(value))(r, &x)) return false;",
                "    m = cl_map_set(\(d), m, &k, &x, true);",
                "    if (cl_map_count(m) != i + 1) return cl_get_fail(r, \"a key twice in one map\");",
                "}",
                "*v = m;",
                "return true;",
            ]
        case .nominal(let id):
            let d = types.decl(id)
            if d.isC || d.kind == .state {
                plain()
            } else if d.kind == .enum {
                put = ["uint32_t tag = (uint32_t)v->tag;", "cl_put(w, &tag, sizeof tag);", "switch (v->tag) {"]
                get = [
                    "uint32_t tag;",
                    "if (!cl_get(r, &tag, sizeof tag)) return false;",
                    "if (tag >= \(d.cases.count)u) return cl_get_fail(r, \"an enum case that does not exist\");",
                    "v->tag = (int64_t)tag;",
                    "switch (tag) {",
                ]
                for (k, c) in d.cases.enumerated() where !c.payload.isEmpty {
                    put.append(
                        "case \(k): " + c.payload.enumerated().map { "\(put_($1.type))(w, &v->u.c\(k).p\($0));" }.joined(separator: " ")
                            + " break;")
                    get.append(
                        "case \(k): return true"
                            + c.payload.enumerated().map { " && \(get_($1.type))(r, &v->u.c\(k).p\($0))" }.joined() + ";")
                }
                put += ["default: break;", "}"]
                get += ["default: return true;", "}"]
            } else {
                put = d.fields.map { "\(put_($0.type))(w, &v->\(types.fieldName($0.name)));" }
                get = ["return true" + d.fields.map { " && \(get_($0.type))(r, &v->\(types.fieldName($0.name)))" }.joined() + ";"]
                if d.fields.isEmpty {
                    put = ["(void)w, (void)v;"]
                    get = ["(void)r, (void)v;", "return true;"]
                }
            }
        }
        if put.isEmpty { put = ["(void)w, (void)v;"] }
        if reading {
            wireDefinitions.append(
                """
                \(CText.comment("\(types.spelled(t)) from the wire, checked"))
                static bool \(names.get)(cl_reader *r, \(ct) *v) {
                \(get.map { "    " + $0 }.joined(separator: "\n"))
                }
                """)
            return names.get
        }
        wireDefinitions.append(
            """
            \(CText.comment("\(types.spelled(t)) on the wire"))
            static void \(names.put)(cl_writer *w, \(ct) const *v) {
            \(put.map { "    " + $0 }.joined(separator: "\n"))
            }
            """)
        return names.put
    }

    /// The fewest bytes a value of `t` takes on the wire (bounds counts read from a message).
    func leastSize(_ t: Ty) -> Int {
        switch t {
        case .int(let k): return k.bits / 8
        case .double: return 8
        case .bool, .optional: return 1
        case .string, .bytes, .array, .map: return 8
        case .tuple(let xs): return xs.reduce(0) { $0 + leastSize($1) }
        case .nominal(let id):
            let d = types.decl(id)
            if d.kind == .enum { return 4 }
            if d.isC { return 1 }
            return d.fields.reduce(0) { $0 + min(leastSize($1.type), 8) }
        default: return 0
        }
    }
}

// One IR function (or closure body) as one C function.
//
// Every IR value becomes a C local named after the value number and the
// source variable (`v19_result`), declared where it is assigned; the results of an
// `if`, `switch` or loop are declared before it and assigned by `yield`,
// `break` and `continue`. `if` and `switch` become C `if` and `switch`; a
// loop becomes `for (;;)`, with `continue` assigning the carried values and
// `break` leaving through a `goto` to the loop's end (a C `break` inside a
// `switch` would only leave the switch).
//
// All versions of one state are one pointer (`self`, `v2_store`): a call on a
// state changes it in place, which is what the verifier's one-chain-per-scope
// rule allows. A field of a state is stored by promoting the new value into
// the state's heap (a copy, unless it is that heap's own unshared buffer) and
// releasing the old one, or, when AnalyzeOwnership found the read-change-store
// chain, by changing the field's buffer in place.
//
// Ownership decides two things at each use. An operation that changes a value
// reuses its buffer when the value is owned and dies there (`reuse = true`);
// an operation that keeps a value (stores it in a struct, an array, a field,
// returns or carries it) while it is borrowed or still live marks it shared,
// so whoever changes it next copies it first.

import CleaveDiagnostics
import CleaveIR
import CleavePasses
import CleaveSema

final class FunctionEmitter {
    let backend: CBackend
    let function: IRFunction
    let facts: OwnershipFacts
    var types: CTypes { backend.types }
    var program: TypedProgram { backend.program.typed }
    var out: [String] = []
    var prologue: [String] = []
    var indent = 1
    var stmtNumber = 0
    /// The number of the statement being emitted (what liveness is asked about).
    var current = 0
    var stateNames: [IRValue: String] = [:]
    var yieldTargets: [[IRValue]] = []
    var loops: [(carried: [IRValue], results: [IRValue], label: String, resetsRegion: Bool)] = []
    var labelCounter = 0
    var tempCounter = 0
    /// `main`'s loops at the top of its body: their iterations reset the region.
    let isMain: Bool
    /// Where `main`'s service loop is written (`IRFunction.serviceLoop`): the set-up ends there
    /// (`cl_set_up_end`), and an isolated component's abandoned iterations start again there.
    /// A component's projected `main` has its part of the partitioned `main`'s loop.
    let serviceLoop: SourceSpan?
    /// What ends an iteration of `main`'s loop: a component of a projected program also
    /// lets the others run.
    var iterationEnd = "cl_iteration_end"
    /// An isolated component's main: where an abandoned iteration starts again (`--restart`), and
    /// whether anything jumps there.
    var abandonLabel: String?
    /// With `#line` (`cleave build -g`): the directive for the source line of the statement being emitted.
    var sourceLine: String?
    /// Out-pointers for all results but the last; the last is returned.
    var resultSlots: [(ty: Ty, isState: Bool)] = []
    var returnsValue = false
    var usedLabels: Set<String> = []
    /// Values some statement reads: the others get `(void)x;` to keep -Wall quiet.
    let used: Set<IRValue>

    init(backend: CBackend, function: IRFunction, body: IRBlock, params: [IRValue], ownedParams: Set<IRValue>, isMain: Bool) {
        self.backend = backend
        self.function = function
        self.isMain = isMain
        let reference = backend.projected?.partitioned.main ?? function
        self.serviceLoop = isMain ? reference.serviceLoop(backend.program.typed).map { reference.body.stmts[$0].span } : nil
        let types = backend.types
        self.facts = AnalyzeOwnership.analyze(
            body, params: params, ownedParams: ownedParams, types: { function.info($0).type }, isState: { types.isState($0) })
        self.used = AnalyzeOwnership.usedValues(body)
    }

    /// The C function: signature, environment and hoisted declarations, body.
    func finish(signature: String, prefix: [String], params: [IRValue]) -> String {
        var lines = [signature + " {"] + prefix + prologue.map { "    " + $0 }
        // A state's versions share the parameter's pointer, which a call may not name again.
        for p in params where !used.contains(p) || types.isState(ty(p)) {
            lines.append("    (void)\(name(p));")
        }
        lines += out
        if returnsValue { lines.append("    __builtin_unreachable();") }
        lines.append("}")
        return lines.joined(separator: "\n")
    }

    // MARK: Names and atoms

    func ty(_ v: IRValue) -> Ty { function.info(v).type }

    func name(_ v: IRValue) -> String {
        if types.isState(ty(v)) { return stateNames[facts.stateRoot(v)] ?? CTypes.local("state", facts.stateRoot(v).id) }
        if let n = function.info(v).name { return CTypes.local(n, v.id) }
        return "t\(v.id)"
    }

    func isState(_ a: IRAtom) -> Bool {
        if case .value(let v) = a { return types.isState(ty(v)) }
        return false
    }

    func type(of a: IRAtom) -> Ty { a.type(ty) }

    func atom(_ a: IRAtom) -> String {
        switch a {
        case .value(let v): return name(v)
        case .int(let m, let negative, let t):
            let k = t.intKind ?? .int
            if k.isSigned {
                if negative && m == k.minMagnitude { return k.bits == 64 ? "INT64_MIN" : "((\(CTypes.intType(k)))-\(m))" }
                let literal = "INT64_C(\(m))"
                return k.bits == 64 ? (negative ? "(-\(literal))" : literal) : "((\(CTypes.intType(k)))\(negative ? "-" : "")\(m))"
            }
            return k.bits == 64 ? "UINT64_C(\(m))" : "((\(CTypes.intType(k)))\(m)u)"
        case .float(let d):
            if d.isNaN { return "NAN" }
            if d.isInfinite { return d < 0 ? "(-INFINITY)" : "INFINITY" }
            let s = "\(d)"
            return s.contains(".") || s.contains("e") ? s : s + ".0"
        case .bool(let b): return b ? "true" : "false"
        case .bytes(let b, _): return backend.constant(b)
        case .none(let t): return "(\(types.c(t))){.some = false}"
        case .void: return "0"
        case .undefined(let t): return types.zero(t)
        }
    }

    /// An lvalue holding the atom's value, for runtime calls that take a pointer.
    func lvalue(_ a: IRAtom) -> String {
        if case .value(let v) = a, !types.isState(ty(v)) { return "&\(name(v))" }
        let t = temp()
        line("\(types.c(type(of: a))) \(t) = \(atom(a));")
        return "&\(t)"
    }

    func temp() -> String {
        tempCounter += 1
        return "tmp\(tempCounter)"
    }

    func line(_ s: String) {
        // Every line of a statement's C is its source line: C would number the next one line after.
        if let sourceLine { out.append(sourceLine) }
        out.append(String(repeating: "    ", count: indent) + s)
    }

    func where_(_ span: SourceSpan) -> String {
        let (l, c) = span.file.lineAndColumn(of: span.start)
        let file = span.file.path.split(separator: "/").last.map(String.init) ?? span.file.path
        return CText.string("\(file):\(l):\(c)")
    }

    /// A local for `v`; one no statement reads gets `(void)x;`, so -Wall stays quiet.
    func declare(_ v: IRValue, _ value: String) {
        if types.isState(ty(v)) { return }
        line("\(types.c(ty(v))) \(name(v)) = \(value);")
        if !used.contains(v) { line("(void)\(name(v));") }
    }

    func declareZero(_ vs: [IRValue]) {
        for v in vs where !types.isState(ty(v)) { declare(v, types.zero(ty(v))) }
    }

    // MARK: Ownership at a use

    /// `a` dies at the current statement (not used later, nor by another operand here).
    func dies(_ a: IRAtom, among operands: [IRAtom]) -> Bool {
        guard case .value(let v) = a else { return false }
        let others = operands.filter { if case .value(let w) = $0 { return w == v } else { return false } }.count
        return others <= 1 && !facts.isLive(v, after: current)
    }

    /// May the operation change `a`'s buffer in place?
    func reuse(_ a: IRAtom, among operands: [IRAtom]) -> String {
        guard case .value(let v) = a else { return "false" }
        return facts.isOwned(v) && dies(a, among: operands) ? "true" : "false"
    }

    /// `a` is kept by what is being built: mark it shared unless it moves.
    func consume(_ a: IRAtom, among operands: [IRAtom]) {
        guard case .value(let v) = a, !types.isState(ty(v)), types.hasBuffers(ty(v)) else { return }
        if facts.isOwned(v) && dies(a, among: operands) { return }
        mark(name(v), ty(v))
    }

    /// Mark what `expr` holds as shared. `expr` may be a buffer that is not there (the value part
    /// of a `nil` optional, as `xs.first` of an empty array): the runtime's sharing takes NULL
    /// and does nothing (cleave.h, "Absence"), so no use needs to ask first.
    func mark(_ expr: String, _ t: Ty) {
        switch t {
        case .string, .bytes, .array: line("cl_share(\(expr));")
        case .map: line("cl_map_share(\(expr));")
        default: line("cl_mark(\(types.descriptor(t)), &\(expr));")
        }
    }

    // MARK: Blocks and statements

    func emit(_ block: IRBlock) {
        for s in block.stmts { emit(s) }
    }

    func emit(_ s: IRStmt) {
        current = stmtNumber
        stmtNumber += 1
        let here = s.span
        if backend.lineDirectives { sourceLine = "#line \(here.line) \(backend.lineDirectiveFile(here.file.path))" }
        switch s.kind {
        case .assign(let results, let op):
            EmitOperation(self, results: results, span: here).emit(op)
        case .stateCall(let next, let inoutNext, let result, let state, let method, let args):
            emitStateCall(next: next, inoutNext: inoutNext, result: result, state: state, method: method, args: args, span: here)
            checkAbandoned()
        case .createState(let v, let tid, let initFn, let args):
            emitCreateState(v, tid, initFn, args, span: here)
        case .ifThen(let c, let a, let b, let results):
            declareZero(results)
            line("if (\(atom(c))) { \(CText.comment(location(here)))")
            yieldTargets.append(results)
            indent += 1
            emit(a)
            indent -= 1
            line("} else {")
            indent += 1
            emit(b)
            indent -= 1
            yieldTargets.removeLast()
            line("}")
        case .switchOf(let subject, let cases, let results):
            declareZero(results)
            line("switch (\(atom(subject))) { \(CText.comment(location(here)))")
            yieldTargets.append(results)
            for (k, c) in cases.enumerated() {
                line(k == cases.count - 1 ? "default: {" : "case \(k): {")
                indent += 1
                emit(c)
                line("break;")
                indent -= 1
                line("}")
            }
            yieldTargets.removeLast()
            line("}")
        case .loop(let carried, let initial, let body, let results):
            let resetsRegion = isMain && loops.isEmpty
            let serving = resetsRegion && here == serviceLoop
            // An initial value the body also reads is still live inside the loop.
            let readInBody = AnalyzeOwnership.usedValues(body)
            for (c, i) in zip(carried, initial) where !types.isState(ty(c)) {
                if case .value(let v) = i, readInBody.contains(v), types.hasBuffers(ty(v)) {
                    mark(name(v), ty(v))
                } else {
                    consume(i, among: initial)
                }
                declare(c, atom(i))
            }
            declareZero(results)
            labelCounter += 1
            let label = "loop\(labelCounter)_end"
            if serving { line("cl_set_up_end();") }
            if resetsRegion { line("cl_loop_enter();") }
            line("for (;;) { \(CText.comment(location(here)))")
            loops.append((carried, results, label, resetsRegion))
            indent += 1
            let restartable = serving && backend.isolated != nil
            if restartable && Self.mayWait(body) {
                // A peer restarted: this iteration is abandoned and the next one starts here, from
                // the values the loop carries as they were when it began. The iteration must change
                // copies of them, never them: marked shared, a buffer is copied into the region
                // before it changes (and never moved, its old block freed, while a variable here
                // still names it).
                let start = "iteration\(labelCounter)_start"
                abandonLabel = start
                line("\(start):;")
                for c in carried where !types.isState(ty(c)) && types.hasBuffers(ty(c)) { mark(name(c), ty(c)) }
            } else if restartable {
                line("/* no waits: nothing to abandon */")
            }
            emit(body)
            if restartable { abandonLabel = nil }
            indent -= 1
            loops.removeLast()
            line("}")
            if usedLabels.contains(label) { line("\(label):;") }
        case .yield(let xs):
            guard let targets = yieldTargets.last else { return }
            assign(targets, xs)
        case .breakLoop(let xs):
            guard let loop = loops.last else { return }
            if loop.resetsRegion { line("cl_loop_exit();") }
            assign(loop.results, xs)
            if loop.resetsRegion {
                for r in loop.results where types.hasBuffers(ty(r)) && !types.isState(ty(r)) {
                    line("cl_promote(\(types.descriptor(ty(r))), &\(name(r)), cl_region, true);")
                }
            }
            usedLabels.insert(loop.label)
            line("goto \(loop.label);")
        case .continueLoop(let xs):
            guard let loop = loops.last else { return }
            assign(loop.carried, xs)
            if loop.resetsRegion {
                let kept = loop.carried.filter { types.hasBuffers(ty($0)) && !types.isState(ty($0)) }
                if !kept.isEmpty {
                    line("cl_heap *carry = cl_carry_heap_next();")
                    for c in kept { line("cl_promote(\(types.descriptor(ty(c))), &\(name(c)), carry, true);") }
                }
                line("\(iterationEnd)();")
            }
            line("continue;")
        case .returnValues(let xs):
            emitReturn(xs)
        case .trap(let x):
            line("cl_trap_bytes(\(where_(here)), \(atom(x)));")
        case .halt:
            line("cl_component_halt();")
        case .send(let c, let x):
            // The channel keeps its own copy: the value stays the sender's.
            let t = type(of: x)
            let tmp = temp()
            line("\(types.c(t)) \(tmp) = \(atom(x));")
            line("cl_channel_send(\(c), &\(tmp), \(types.descriptor(t)));")
            checkAbandoned()
        case .receive(let c, let v):
            // The value arrives in this component's region, owned.
            declareZero([v])
            line("cl_channel_receive(\(c), &\(name(v)), \(types.descriptor(ty(v))));")
            checkAbandoned()
        }
    }

    /// In an isolated component, after each step that may wait on a peer: if the iteration was
    /// abandoned (a peer is being restarted), wait for the restart and begin the next one.
    func checkAbandoned() {
        guard let label = abandonLabel else { return }
        line("if (cl_abandoned) { cl_component_abandon(); goto \(label); }")
    }

    /// Does `block` hold a step after which `checkAbandoned` asks (closures are functions of their own)?
    static func mayWait(_ block: IRBlock) -> Bool {
        block.stmts.contains { s in
            switch s.kind {
            case .stateCall, .send, .receive: return true
            case .ifThen(_, let a, let b, _): return mayWait(a) || mayWait(b)
            case .switchOf(_, let cases, _): return cases.contains(where: mayWait)
            case .loop(_, _, let body, _): return mayWait(body)
            default: return false
            }
        }
    }

    func location(_ span: SourceSpan) -> String {
        let file = span.file.path.split(separator: "/").last.map(String.init) ?? ""
        return "\(file):\(span.line)"
    }

    /// Parallel assignment of `xs` to `targets` (carried values may swap).
    func assign(_ targets: [IRValue], _ xs: [IRAtom]) {
        let pairs = zip(targets, xs).filter { !types.isState(ty($0.0)) }
        for (_, x) in pairs { consume(x, among: xs) }
        let needsTemps = pairs.contains { t, _ in pairs.contains { _, x in if case .value(let v) = x { v == t } else { false } } }
        if needsTemps && pairs.count > 1 {
            var temps: [String] = []
            for (t, x) in pairs {
                let tmp = temp()
                line("\(types.c(ty(t))) \(tmp) = \(atom(x));")
                temps.append(tmp)
            }
            for ((t, _), tmp) in zip(pairs, temps) { line("\(name(t)) = \(tmp);") }
        } else {
            for (t, x) in pairs where atom(x) != name(t) { line("\(name(t)) = \(atom(x));") }
        }
    }

    func emitReturn(_ xs: [IRAtom]) {
        if isMain {
            line("return;")
            return
        }
        for x in xs { consume(x, among: xs) }
        let slots = zip(resultSlots, xs).filter { !$0.0.isState }
        guard let last = slots.last else {
            line(returnsValue ? "return 0;" : "return;")
            return
        }
        for (k, (_, x)) in slots.dropLast().enumerated() { line("*out\(k) = \(atom(x));") }
        line("return \(atom(last.1));")
    }

    // MARK: States

    func emitStateCall(
        next: IRValue, inoutNext: [IRValue], result: IRValue?, state: IRAtom, method: FunctionID, args: [IRStateArgument],
        span: SourceSpan
    ) {
        let f = program.function(method)
        let receiver = atom(state)
        if f.isExtern {
            backend.emitExternStateCall(self, f, receiver: receiver, result: result, args: args, span: span)
            return
        }
        var cargs = [receiver]
        var outs: [String] = []
        var inoutIndex = 0
        let operands = args.map {
            switch $0 {
            case .value(let a), .passedInout(let a): a
            }
        }
        for a in args {
            switch a {
            case .value(let x):
                cargs.append(atom(x))
            case .passedInout(let x):
                if isState(x) {
                    cargs.append(atom(x))
                } else {
                    consume(x, among: operands)
                    cargs.append(atom(x))
                    if inoutIndex < inoutNext.count {
                        let nv = inoutNext[inoutIndex]
                        declareZero([nv])
                        outs.append("&\(name(nv))")
                    }
                }
                inoutIndex += 1
            }
        }
        // The callee's out-pointers are the non-state results but the last.
        let call = "\(backend.functionName(method))(\((cargs + outs.dropLast(result == nil ? 1 : 0)).joined(separator: ", ")))"
        if let result, !types.isState(ty(result)) {
            declare(result, call)
        } else if result == nil, let lastOut = outs.last {
            line("\(String(lastOut.dropFirst())) = \(call);")
        } else {
            line("\(call);")
        }
    }

    func emitCreateState(_ v: IRValue, _ tid: TypeID, _ initFn: FunctionID?, _ args: [IRAtom], span: SourceSpan) {
        let root = facts.stateRoot(v)
        let cname = stateNames[root] ?? CTypes.local(function.info(v).name ?? "state", v.id)
        stateNames[root] = cname
        let t = Ty.nominal(tid)
        if let initFn, program.function(initFn).isExtern {
            backend.emitExternInit(self, program.function(initFn), into: cname, type: t, args: args, span: span)
            return
        }
        if let initFn {
            line("\(types.c(t)) \(cname) = \(backend.functionName(initFn))(\(args.map(atom).joined(separator: ", ")));")
        } else {
            for a in args { consume(a, among: args) }
            line("\(types.c(t)) \(cname) = \(backend.stateConstructor(tid))(\(args.map(atom).joined(separator: ", ")));")
        }
        // A state made and never called is a local like any other.
        if !used.contains(where: { facts.stateRoot($0) == root }) { line("(void)\(cname);") }
    }

    /// `self->field = x` on a state: promote into the state's heap, release the old value
    /// unless AnalyzeOwnership found it changed in place.
    func storeStateField(_ state: IRAtom, _ index: Int, _ x: IRAtom, operands: [IRAtom]) {
        guard case .value(let sv) = state, case .nominal(let tid) = ty(sv) else { return }
        let field = types.decl(tid).fields[index]
        let target = "\(atom(state))->\(types.fieldName(field.name))"
        guard types.hasBuffers(field.type) else {
            line("\(target) = \(atom(x));")
            return
        }
        let moved = facts.stateFieldMoves.contains(current)
        if !moved { consume(x, among: operands) }
        let d = types.descriptor(field.type)
        let t = temp()
        let heap = "\(atom(state))->heap"
        line("\(types.c(field.type)) \(t) = \(atom(x));")
        if moved, let path = facts.stateFieldMovePaths[current], let part = path.first,
            case .nominal(let structID) = field.type, part < types.decl(structID).fields.count
        {
            // The same through a struct: only the part that changed can have been copied.
            let inner = types.decl(structID).fields[part]
            let di = types.descriptor(inner.type)
            let member = types.fieldName(inner.name)
            line("if (cl_heap_of(\(di), &\(t).\(member)) != \(heap)) cl_release(\(di), &\(target).\(member), \(heap));")
        } else if moved {
            // Changed in place, the field's buffer is still in the state's heap; copied (it was
            // shared), the copy is in the region and the old buffer is the field's to release.
            line("if (cl_heap_of(\(d), &\(t)) != \(heap)) cl_release(\(d), &\(target), \(heap));")
        } else {
            line("cl_release(\(d), &\(target), \(heap));")
        }
        line("cl_promote(\(d), &\(t), \(heap), false);")
        line("\(target) = \(t);")
    }
}

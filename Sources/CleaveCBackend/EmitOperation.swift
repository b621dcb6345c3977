// The right-hand side of one IR assignment as C: operators, parts of values,
// calls, closures and the built-ins of Documentation/Builtins.md.
//
// Integer arithmetic calls the checked functions of arith.h with the source
// location a trap names; built-ins that change their receiver take `reuse`
// from the ownership facts; built-ins that take a closure (`map`, `filter`,
// `reduce`, …) become C loops calling the closure through its function
// pointer.

import CleaveDiagnostics
import CleaveIR
import CleaveSema

struct EmitOperation {
    let f: FunctionEmitter
    let results: [IRValue]
    let span: SourceSpan

    init(_ f: FunctionEmitter, results: [IRValue], span: SourceSpan) {
        self.f = f
        self.results = results
        self.span = span
    }

    var types: CTypes { f.types }
    var w: String { f.where_(span) }
    func atom(_ a: IRAtom) -> String { f.atom(a) }
    func type(_ a: IRAtom) -> Ty { f.type(of: a) }
    func line(_ s: String) { f.line(s) }
    var result: IRValue? { results.first }
    var resultType: Ty { result.map { f.ty($0) } ?? .void }

    func set(_ expr: String) {
        if let r = result { f.declare(r, expr) } else { line("(void)(\(expr));") }
    }

    func emit(_ op: IROp) {
        switch op {
        case .copy(let a):
            f.consume(a, among: [a])
            set(atom(a))
        case .unary(let u, let a):
            set(unary(u, a))
        case .binary(let b, let x, let y):
            set(binary(b, x, y))
        case .builtin(let name, let args):
            EmitBuiltin(op: self).emit(name, args)
        case .call(let id, let args), .method(let id, let args):
            call(id, args)
        case .field(let base, let i):
            if f.isState(base), case .nominal(let tid) = type(base) {
                set("\(atom(base))->\(types.fieldName(types.decl(tid).fields[i].name, in: types.decl(tid)))")
            } else if case .nominal(let tid) = type(base) {
                set("\(atom(base)).\(types.fieldName(types.decl(tid).fields[i].name, in: types.decl(tid)))")
            }
        case .setField(let base, let i, let x):
            if f.isState(base) {
                f.storeStateField(base, i, x, operands: [base, x])
            } else if case .nominal(let tid) = type(base), let r = result {
                // The new value keeps the base's other parts: the base is consumed as well.
                f.consume(base, among: [base, x])
                f.consume(x, among: [base, x])
                f.declare(r, atom(base))
                line("\(f.name(r)).\(types.fieldName(types.decl(tid).fields[i].name, in: types.decl(tid))) = \(atom(x));")
            }
        case .tupleElement(let base, let i):
            set("\(atom(base)).e\(i)")
        case .setTupleElement(let base, let i, let x):
            guard let r = result else { return }
            f.consume(base, among: [base, x])
            f.consume(x, among: [base, x])
            f.declare(r, atom(base))
            line("\(f.name(r)).e\(i) = \(atom(x));")
        case .tuple(let xs):
            xs.forEach { f.consume($0, among: xs) }
            set("(\(types.c(resultType))){\(xs.enumerated().map { ".e\($0) = \(atom($1))" }.joined(separator: ", "))}")
        case .array(let xs):
            guard case .array(let e) = resultType else { return }
            xs.forEach { f.consume($0, among: xs) }
            if xs.isEmpty {
                set("cl_array_new(\(types.descriptor(e)), 0)")
            } else {
                set("cl_array_of(\(types.descriptor(e)), \(xs.count), (\(types.c(e))[]){\(xs.map(atom).joined(separator: ", "))})")
            }
        case .mapLiteral(let entries):
            guard let r = result else { return }
            let d = types.descriptor(resultType)
            f.declare(r, "cl_map_new(\(d))")
            let all = entries.flatMap { [$0.0, $0.1] }
            for (k, v) in entries {
                f.consume(k, among: all)
                f.consume(v, among: all)
                line("\(f.name(r)) = cl_map_set(\(d), \(f.name(r)), \(f.lvalue(k)), \(f.lvalue(v)), true);")
            }
        case .index(let base, let i):
            index(base, i)
        case .setIndex(let base, let i, let x):
            setIndex(base, i, x)
        case .slice(let base, let lo, let hi, let inclusive):
            var upper = atom(hi)
            if inclusive { upper = "cl_add_i64(\(upper), 1, \(w))" }
            if case .array(let e) = type(base) {
                set("cl_array_slice(\(types.descriptor(e)), \(atom(base)), \(atom(lo)), \(upper), \(w))")
            } else {
                set("cl_bytes_slice(\(atom(base)), \(atom(lo)), \(upper), \(w))")
            }
        case .memberwise(let tid, let xs):
            xs.forEach { f.consume($0, among: xs) }
            let d = types.decl(tid)
            if d.kind == .state, let r = result {
                let n = "self_\(r.id)"
                f.stateNames[f.facts.stateRoot(r)] = n
                line("\(types.c(.nominal(tid))) \(n) = \(f.backend.stateConstructor(tid))(\(xs.map(atom).joined(separator: ", ")));")
            } else if xs.isEmpty {
                set("(\(types.c(.nominal(tid)))){0}")
            } else {
                let fields = zip(d.fields, xs).map { ".\(types.fieldName($0.name, in: d)) = \(atom($1))" }
                set("(\(types.c(.nominal(tid)))){\(fields.joined(separator: ", "))}")
            }
        case .enumCase(let tid, let k, let xs):
            xs.forEach { f.consume($0, among: xs) }
            let c = types.c(.nominal(tid))
            if xs.isEmpty {
                set("(\(c)){.tag = \(k)}")
            } else {
                let payload = xs.enumerated().map { ".p\($0) = \(atom($1))" }.joined(separator: ", ")
                set("(\(c)){.tag = \(k), .u.c\(k) = {\(payload)}}")
            }
        case .enumTag(let a):
            set("\(atom(a)).tag")
        case .enumPayload(let a, let k, let field):
            set("\(atom(a)).u.c\(k).p\(field)")
        case .wrapOptional(let a):
            f.consume(a, among: [a])
            set("(\(types.c(resultType))){.some = true, .value = \(atom(a))}")
        case .unwrap(let a):
            line("cl_check_some(\(atom(a)).some, \(w));")
            set("\(atom(a)).value")
        case .isSome(let a):
            set("\(atom(a)).some")
        case .interpolate(let parts):
            interpolate(parts)
        case .global(let g):
            set(f.backend.globalName(g))
        case .closure(let c):
            set(f.backend.closure(c, in: f, type: resultType))
        case .callClosure(let fn, let args):
            set("\(atom(fn)).call(\(([atom(fn) + ".env"] + args.map(atom)).joined(separator: ", ")))")
        case .functionRef(let id):
            set(f.backend.functionReference(id, type: resultType))
        }
    }

    // MARK: Operators

    func unary(_ u: IRUnaryOperator, _ a: IRAtom) -> String {
        let t = type(a)
        switch u {
        case .not: return "!\(atom(a))"
        case .bitNot: return "(\(types.c(t)))~\(atom(a))"
        case .negate:
            if let k = t.intKind { return "cl_neg_\(CTypes.intSuffix(k))(\(atom(a)), \(w))" }
            return "(-\(atom(a)))"
        }
    }

    func binary(_ b: IRBinaryOperator, _ x: IRAtom, _ y: IRAtom) -> String {
        let t = type(x)
        var (a, c) = (atom(x), atom(y))
        if a == c, case .value = x {
            // `x == x` in the source: compare with a copy, which C compilers do not call tautological.
            let copy = f.temp()
            line("\(types.c(t)) \(copy) = \(c);")
            c = copy
        }
        // The right operand by address, for the runtime's comparisons (the copy, if one was made).
        var right: String { c == atom(y) ? f.lvalue(y) : "&\(c)" }
        if let k = t.intKind {
            let s = CTypes.intSuffix(k)
            let ct = CTypes.intType(k)
            switch b {
            case .add: return "cl_add_\(s)(\(a), \(c), \(w))"
            case .sub: return "cl_sub_\(s)(\(a), \(c), \(w))"
            case .mul: return "cl_mul_\(s)(\(a), \(c), \(w))"
            case .div: return "cl_div_\(s)(\(a), \(c), \(w))"
            case .mod: return "cl_rem_\(s)(\(a), \(c), \(w))"
            case .wrapAdd: return "cl_wadd_\(s)(\(a), \(c))"
            case .wrapSub: return "cl_wsub_\(s)(\(a), \(c))"
            case .wrapMul: return "cl_wmul_\(s)(\(a), \(c))"
            case .bitAnd: return "(\(ct))(\(a) & \(c))"
            case .bitOr: return "(\(ct))(\(a) | \(c))"
            case .bitXor: return "(\(ct))(\(a) ^ \(c))"
            case .shl, .shr:
                let amount: String
                if let ak = type(y).intKind, !ak.isSigned, ak.bits == 64 {
                    amount = "cl_shift_amount_u64(\(c))"
                } else {
                    amount = "(int64_t)\(c)"
                }
                return "cl_\(b == .shl ? "shl" : "shr")_\(s)(\(a), \(amount))"
            default: break
            }
        }
        switch t {
        case .string, .bytes:
            switch b {
            case .eq: return "cl_bytes_equal(\(a), \(c))"
            case .ne: return "!cl_bytes_equal(\(a), \(c))"
            case .lt: return "(cl_bytes_compare(\(a), \(c)) < 0)"
            case .le: return "(cl_bytes_compare(\(a), \(c)) <= 0)"
            case .gt: return "(cl_bytes_compare(\(a), \(c)) > 0)"
            case .ge: return "(cl_bytes_compare(\(a), \(c)) >= 0)"
            case .add: return "cl_bytes_concat(\(a), \(c))"
            default: break
            }
        case .array(let e):
            switch b {
            case .add: return "cl_array_concat(\(types.descriptor(e)), \(a), \(c))"
            case .eq: return "cl_equal(\(types.descriptor(t)), \(f.lvalue(x)), \(right))"
            case .ne: return "!cl_equal(\(types.descriptor(t)), \(f.lvalue(x)), \(right))"
            default: break
            }
        case .int, .double, .bool:
            break
        default:
            switch b {
            case .eq: return "cl_equal(\(types.descriptor(t)), \(f.lvalue(x)), \(right))"
            case .ne: return "!cl_equal(\(types.descriptor(t)), \(f.lvalue(x)), \(right))"
            default: break
            }
        }
        // Doubles, Bools and the comparisons left: Cleave spells these operators as C does.
        return "(\(a) \(b.rawValue) \(c))"
    }

    // MARK: Parts of values

    func index(_ base: IRAtom, _ i: IRAtom) {
        switch type(base) {
        case .array(let e):
            set("*(\(types.c(e)) *)cl_array_at(\(atom(base)), \(atom(i)), \(w))")
        case .map(_, let v):
            guard let r = result else { return }
            f.declareZero([r])
            let value = f.temp()
            line("\(types.c(v)) \(value) = \(types.zero(v));")
            line(
                "\(f.name(r)).some = cl_map_get(\(types.descriptor(type(base))), \(atom(base)), \(f.lvalue(i)), &\(value));")
            line("\(f.name(r)).value = \(value);")
        default:
            set("cl_bytes_get(\(atom(base)), \(atom(i)), \(w))")
        }
    }

    func setIndex(_ base: IRAtom, _ i: IRAtom, _ x: IRAtom) {
        let operands = [base, i, x]
        let reuse = f.reuse(base, among: operands)
        switch type(base) {
        case .array(let e):
            f.consume(x, among: operands)
            set("cl_array_set(\(types.descriptor(e)), \(atom(base)), \(atom(i)), \(f.lvalue(x)), \(reuse), \(w))")
        case .map(_, let v):
            guard let r = result else { return }
            let d = types.descriptor(type(base))
            if case .none = x {
                f.declare(r, "cl_map_remove(\(d), \(atom(base)), \(f.lvalue(i)), NULL, NULL, \(reuse))")
                return
            }
            f.consume(x, among: operands)
            let key = f.lvalue(i)
            let opt = atom(x)
            f.declareZero([r])
            let value = f.temp()
            line("if (\(opt).some) {")
            line("    \(types.c(v)) \(value) = \(opt).value;")
            line("    \(f.name(r)) = cl_map_set(\(d), \(atom(base)), \(key), &\(value), \(reuse));")
            line("} else {")
            line("    \(f.name(r)) = cl_map_remove(\(d), \(atom(base)), \(key), NULL, NULL, \(reuse));")
            line("}")
        default:
            set("cl_bytes_set(\(atom(base)), \(atom(i)), \(atom(x)), \(reuse), \(w))")
        }
    }

    func interpolate(_ parts: [IRStringPart]) {
        guard let r = result else { return }
        let b = f.temp()
        line("cl_builder \(b);")
        line("cl_builder_init(&\(b));")
        for p in parts {
            switch p {
            case .bytes(let text):
                line("cl_builder_raw(&\(b), \(CText.string(text)), \(text.count));")
            case .value(let a):
                line("cl_builder_bytes(&\(b), \(format(a)));")
            }
        }
        f.declare(r, "cl_builder_done(&\(b))")
    }

    /// `String(x)` of an integer, `Double`, `Bool`, `String` or `Bytes`.
    func format(_ a: IRAtom) -> String {
        switch type(a) {
        case .int(let k): return k.isSigned ? "cl_format_int((int64_t)\(atom(a)))" : "cl_format_uint((uint64_t)\(atom(a)))"
        case .double: return "cl_format_double(\(atom(a)))"
        case .bool: return "cl_format_bool(\(atom(a)))"
        default: return atom(a)
        }
    }

    // MARK: Calls

    func call(_ id: FunctionID, _ args: [IRAtom]) {
        let callee = f.program.function(id)
        if case .c = callee.kind {
            cCall(callee, args)
            return
        }
        // Inout arguments (and a mutating receiver) are given to the callee.
        var inoutPositions: [Int] = []
        if case .method = callee.kind, callee.isMutating { inoutPositions.append(0) }
        let offset = (callee.kind == .free || !isMethod(callee)) ? 0 : 1
        for (k, p) in callee.params.enumerated() where p.isInout { inoutPositions.append(k + offset) }
        for k in inoutPositions where k < args.count { f.consume(args[k], among: args) }
        // Results: the next versions of the inout arguments, then the own result.
        let outs = Array(results.dropLast())
        f.declareZero(outs)
        let cargs = args.map(atom) + outs.map { "&\(f.name($0))" }
        let text = "\(f.backend.functionName(id))(\(cargs.joined(separator: ", ")))"
        if let last = results.last {
            f.declare(last, text)
        } else {
            line("\(text);")
        }
    }

    /// A C function: `Bytes` go as a pointer to their bytes; an `inout` argument (a
    /// non-const byte pointer, or a pointer to a struct or number) as a pointer to a
    /// private copy, which is its next version after the call.
    func cCall(_ callee: TFunction, _ args: [IRAtom]) {
        var cargs: [String] = []
        var nexts: [(IRValue, String)] = []
        var r = 0
        for (i, a) in args.enumerated() {
            let p = i < callee.params.count ? callee.params[i] : nil
            let isBytes = type(a) == .bytes
            if p?.isInout == true, r < results.count {
                let next = results[r]
                r += 1
                let tmp = f.temp()
                if isBytes {
                    line("cl_bytes \(tmp) = cl_bytes_from(\(atom(a))->data, (size_t)\(atom(a))->count);")
                    cargs.append("(void *)\(tmp)->data")
                } else {
                    line("\(types.c(type(a))) \(tmp) = \(atom(a));")
                    cargs.append("&\(tmp)")
                }
                nexts.append((next, tmp))
            } else {
                cargs.append(isBytes ? "(const void *)\(atom(a))->data" : atom(a))
            }
        }
        let text = "\(callee.name)(\(cargs.joined(separator: ", ")))"
        if r < results.count {
            f.declare(results[r], text)
        } else {
            line("(void)(\(text));")
        }
        for (next, tmp) in nexts { f.declare(next, tmp) }
    }

    func isMethod(_ fn: TFunction) -> Bool {
        if case .method = fn.kind { return true }
        return false
    }
}

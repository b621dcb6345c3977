// The built-ins of Documentation/Builtins.md as C: most are one runtime call;
// those that take a closure are loops written out here.

import CleaveIR
import CleaveSema

struct EmitBuiltin {
    let op: EmitOperation
    var f: FunctionEmitter { op.f }
    var types: CTypes { op.types }
    var w: String { op.w }

    func atom(_ a: IRAtom) -> String { op.atom(a) }
    func type(_ a: IRAtom) -> Ty { op.type(a) }
    func line(_ s: String) { op.line(s) }
    func set(_ s: String) { op.set(s) }

    /// The element type of an array atom.
    func element(_ a: IRAtom) -> Ty {
        if case .array(let e) = type(a) { return e }
        return .error
    }

    func optional(_ r: IRValue, some: String, value: String) {
        f.declare(r, "(\(types.c(f.ty(r)))){.some = \(some), .value = \(value)}")
    }

    func emit(_ name: Builtin, _ args: [IRAtom]) {
        let a = args.first.map(atom) ?? ""
        func arg(_ k: Int) -> String { k < args.count ? atom(args[k]) : "0" }
        let reuse = args.first.map { f.reuse($0, among: args) } ?? "false"
        switch name {
        case .integer(let k, let method):
            integer(k, method, args)
        case .bytes(.count), .string(.count), .array(.count): set("\(a)->count")
        case .bytes(.isEmpty), .string(.isEmpty), .array(.isEmpty): set("(\(a)->count == 0)")
        case .map(.count): set("cl_map_count(\(a))")
        case .lookahead(.readAhead): set("cl_udp_device_read_ahead(\(a))")
        case .lookahead(.any): set("cl_ahead_any()")
        case .lookahead(.push):
            guard let x = args.first else { return }
            let t = type(x)
            let tmp = "ahead_\(f.temp())"
            line("\(types.c(t)) \(tmp) = \(atom(x));")
            line("cl_ahead_push(\(types.descriptor(t)), &\(tmp));")
            if let r = op.result { f.declare(r, "0") }
        case .lookahead(.pop):
            guard let r = op.result else { return }
            f.declareZero([r])
            line("cl_ahead_pop(\(types.descriptor(f.ty(r))), &\(f.name(r)));")
        case .map(.isEmpty): set("(cl_map_count(\(a)) == 0)")
        case .array(.first), .array(.last):
            guard let r = op.result, case .array(let e) = type(args[0]) else { return }
            let at = name == .array(.first) ? "0" : "\(a)->count - 1"
            optional(r, some: "\(a)->count > 0", value: "\(a)->count > 0 ? *(\(types.c(e)) *)cl_buf_at(\(a), \(at)) : \(types.zero(e))")
            // The element is now in the array and in the result.
            if types.hasBuffers(e) { f.mark("\(f.name(r)).value", e) }
        case .bytes(.split): set("cl_bytes_split(\(a), \(arg(1)), \(arg(2)), \(w))")
        case .bytes(.append): set("cl_bytes_append(\(a), \(arg(1)), \(reuse))")
        case .bytes(.appendContents): set("cl_bytes_append_contents(\(a), \(arg(1)), \(reuse))")
        case .bytes(.hasPrefix), .string(.hasPrefix): set("cl_bytes_has_prefix(\(a), \(arg(1)))")
        case .bytes(.hasSuffix), .string(.hasSuffix): set("cl_bytes_has_suffix(\(a), \(arg(1)))")
        case .bytes(.trimmed): set("cl_bytes_trimmed(\(a))")
        case .bytes(.lowercased): set("cl_bytes_lowercased(\(a))")
        case .bytes(.uppercased): set("cl_bytes_uppercased(\(a))")
        case .bytes(.firstIndex):
            guard let r = op.result else { return }
            let i = f.temp()
            line("int64_t \(i) = 0;")
            optional(r, some: "cl_bytes_first_index(\(a), \(arg(1)), &\(i))", value: i)
        case .bytes(.read(let k)):
            let bits = k.bits
            set("(uint\(bits)_t)cl_bytes_read(\(a), \(arg(1)), \(bits / 8), \(w))")
        case .bytes(.write(let k)):
            let bits = k.bits
            set("cl_bytes_write(\(a), (uint64_t)\(arg(1)), \(arg(2)), \(bits / 8), \(reuse), \(w))")
        case .bytes(.repeating): set("cl_bytes_repeating(\(a), \(arg(1)), \(w))")
        case .bytes(.encode):
            // String and Bytes share their representation: the same buffer, now seen twice.
            if let x = args.first { f.consume(x, among: args) }
            set(a)
        case .bytes(.fromArray): set("cl_bytes_from_array(\(a))")
        case .string(.decode): set("cl_string_decode(\(a))")
        case .string(.format): set(op.format(args[0]))
        case .double(.convert):
            set("(double)\(a)")
        case .double(.parse):
            guard let r = op.result else { return }
            let d = f.temp()
            line("double \(d) = 0;")
            optional(r, some: "cl_parse_double(\(a), &\(d))", value: d)
        case .double(.squareRoot): set("sqrt(\(a))")
        case .double(.rounded): set("round(\(a))")
        case .double(.magnitude): set("fabs(\(a))")
        case .map(.empty): set("cl_map_new(\(types.descriptor(op.resultType)))")
        case .map(.entry):
            guard let r = op.result, case .map = type(args[0]) else { return }
            f.declareZero([r])
            line("cl_map_entry(\(types.descriptor(type(args[0]))), \(a), \(arg(1)), &\(f.name(r)).e0, &\(f.name(r)).e1);")
        case .map(.keys): set("cl_map_keys(\(types.descriptor(type(args[0]))), \(a))")
        case .map(.values): set("cl_map_values(\(types.descriptor(type(args[0]))), \(a))")
        case .map(.removeValue):
            guard op.results.count == 2, case .map(_, let v) = type(args[0]) else { return }
            let (next, old) = (op.results[0], op.results[1])
            let found = f.temp()
            let value = f.temp()
            line("bool \(found) = false;")
            line("\(types.c(v)) \(value) = \(types.zero(v));")
            f.declare(
                next,
                "cl_map_remove(\(types.descriptor(type(args[0]))), \(a), \(f.lvalue(args[1])), &\(value), &\(found), \(reuse))")
            optional(old, some: found, value: value)
        case .array(.append):
            f.consume(args[1], among: args)
            set("cl_array_append(\(types.descriptor(element(args[0]))), \(a), \(f.lvalue(args[1])), \(reuse))")
        case .array(.appendContents):
            set("cl_array_append_contents(\(types.descriptor(element(args[0]))), \(a), \(arg(1)), \(reuse))")
        case .array(.insert):
            f.consume(args[1], among: args)
            set("cl_array_insert(\(types.descriptor(element(args[0]))), \(a), \(f.lvalue(args[1])), \(arg(2)), \(reuse), \(w))")
        case .array(.remove), .array(.removeLast):
            guard op.results.count == 2 else { return }
            let (next, removed) = (op.results[0], op.results[1])
            let index = name == .array(.remove) ? arg(1) : "-1"
            f.declareZero([removed])
            f.declare(
                next,
                "cl_array_remove(\(types.descriptor(element(args[0]))), \(a), \(index), &\(f.name(removed)), \(reuse), \(w))")
        case .array(.swapAt):
            set("cl_array_swap(\(types.descriptor(element(args[0]))), \(a), \(arg(1)), \(arg(2)), \(reuse), \(w))")
        case .array(.reversed): set("cl_array_reversed(\(types.descriptor(element(args[0]))), \(a))")
        case .array(.repeating):
            f.consume(args[0], among: args)
            guard case .array(let e) = op.resultType else { return }
            set("cl_array_repeating(\(types.descriptor(e)), \(f.lvalue(args[0])), \(arg(1)), \(w))")
        case .array(.sorted):
            let d = types.descriptor(element(args[0]))
            set("cl_array_sorted(\(d), \(a), cl_array_less_by_type, (void *)\(d))")
        case .array(.sortedBy):
            let e = element(args[0])
            let tramp = f.backend.lessTrampoline(closureType: type(args[1]), element: e)
            let fn = f.lvalue(args[1])
            set("cl_array_sorted(\(types.descriptor(e)), \(a), \(tramp), (void *)\(fn))")
        case .array(.min), .array(.max):
            guard let r = op.result else { return }
            let e = element(args[0])
            let best = f.temp()
            let i = f.temp()
            let sign = name == .array(.min) ? "<" : ">"
            line("int64_t \(best) = -1;")
            line("for (int64_t \(i) = 0; \(i) < \(a)->count; \(i)++) {")
            line(
                "    if (\(best) < 0 || cl_compare(\(types.descriptor(e)), cl_buf_at(\(a), \(i)), cl_buf_at(\(a), \(best))) \(sign) 0) \(best) = \(i);"
            )
            line("}")
            optional(r, some: "\(best) >= 0", value: "\(best) >= 0 ? *(\(types.c(e)) *)cl_buf_at(\(a), \(best)) : \(types.zero(e))")
            if types.hasBuffers(e) { f.mark("\(f.name(r)).value", e) }
        case .array(.contains), .array(.firstIndex):
            let e = element(args[0])
            let i = f.temp()
            line("int64_t \(i) = 0;")
            let found = "cl_array_first_index(\(types.descriptor(e)), \(a), \(f.lvalue(args[1])), &\(i))"
            if name == .array(.contains) {
                set(found)
            } else if let r = op.result {
                optional(r, some: found, value: i)
            }
        case .array(.joined): set("cl_bytes_joined(\(a), \(arg(1)))")
        case .array(.enumerated):
            guard case .array(let pair) = op.resultType, let r = op.result else { return }
            let e = element(args[0])
            let i = f.temp()
            f.declare(r, "cl_array_new(\(types.descriptor(pair)), \(a)->count)")
            line("for (int64_t \(i) = 0; \(i) < \(a)->count; \(i)++) {")
            line("    \(types.c(pair)) p = {.e0 = \(i), .e1 = *(\(types.c(e)) *)cl_buf_at(\(a), \(i))};")
            if types.hasBuffers(e) { line("    cl_mark(\(types.descriptor(e)), &p.e1);") }
            line("    \(f.name(r)) = cl_array_append(\(types.descriptor(pair)), \(f.name(r)), &p, true);")
            line("}")
        case .array(.map), .array(.filter), .array(.forEach), .array(.containsWhere), .array(.reduce):
            if case .array(let m) = name { closureLoop(m, args) }
        case .free(.print): line("cl_print(\(a));")
        case .free(.min) where args.count == 2 && atom(args[0]) == atom(args[1]),
            .free(.max) where args.count == 2 && atom(args[0]) == atom(args[1]):
            set(a)
        case .free(.min), .free(.max):
            let t = type(args[0])
            let sign = name == .free(.min) ? "<" : ">"
            switch t {
            case .string, .bytes: set("(cl_bytes_compare(\(arg(1)), \(a)) \(sign) 0 ? \(arg(1)) : \(a))")
            default: set("(\(arg(1)) \(sign) \(a) ? \(arg(1)) : \(a))")
            }
        case .free(.abs):
            if let k = type(args[0]).intKind {
                set("(\(a) < 0 ? cl_neg_\(CTypes.intSuffix(k))(\(a), \(w)) : \(a))")
            } else {
                set("fabs(\(a))")
            }
        }
    }

    func integer(_ k: IntKind, _ method: Builtin.IntegerMember, _ args: [IRAtom]) {
        let s = CTypes.intSuffix(k)
        let limit = k.bits == 64 ? (k.isSigned ? "INT64" : "UINT64") : "\(k.isSigned ? "INT" : "UINT")\(k.bits)"
        switch method {
        case .max: op.set("\(limit)_MAX")
        case .min: op.set(k.isSigned ? "\(limit)_MIN" : "((\(CTypes.intType(k)))0)")
        case .convert, .truncating, .parse: break
        }
        guard let first = args.first else { return }
        let a = atom(first)
        switch method {
        case .max, .min: break
        case .convert:
            switch type(args[0]) {
            case .double: op.set("cl_to_\(s)_d(\(a), \(w))")
            case .int(let from) where from.isSigned: op.set("cl_to_\(s)_s((int64_t)\(a), \(w))")
            default: op.set("cl_to_\(s)_u((uint64_t)\(a), \(w))")
            }
        case .truncating:
            op.set("(\(CTypes.intType(k)))\(a)")
        case .parse:
            guard let r = op.result else { return }
            let v = f.temp()
            if k.isSigned {
                let (lo, hi) = k.bits == 64 ? ("INT64_MIN", "INT64_MAX") : ("INT\(k.bits)_MIN", "INT\(k.bits)_MAX")
                line("int64_t \(v) = 0;")
                optional(r, some: "cl_parse_int(\(a), \(lo), \(hi), &\(v))", value: "(\(CTypes.intType(k)))\(v)")
            } else {
                line("uint64_t \(v) = 0;")
                let hi = k.bits == 64 ? "UINT64_MAX" : "UINT\(k.bits)_MAX"
                optional(r, some: "cl_parse_uint(\(a), \(hi), &\(v))", value: "(\(CTypes.intType(k)))\(v)")
            }
        }
    }

    /// map, filter, forEach, contains(where:), reduce: a loop calling the closure.
    func closureLoop(_ name: Builtin.ArrayMember, _ args: [IRAtom]) {
        let fnArg = name == .reduce ? args[2] : args[1]
        let a = atom(args[0])
        let e = element(args[0])
        let fn = atom(fnArg)
        let i = f.temp()
        let x = "*(\(types.c(e)) *)cl_buf_at(\(a), \(i))"
        let call = "\(fn).call(\(fn).env, \(x))"
        switch name {
        case .map:
            guard let r = op.result, case .array(let u) = op.resultType else { return }
            f.declare(r, "cl_array_new(\(types.descriptor(u)), \(a)->count)")
            line("for (int64_t \(i) = 0; \(i) < \(a)->count; \(i)++) {")
            line("    \(types.c(u)) y = \(call);")
            line("    \(f.name(r)) = cl_array_append(\(types.descriptor(u)), \(f.name(r)), &y, true);")
            line("}")
        case .filter:
            guard let r = op.result else { return }
            f.declare(r, "cl_array_new(\(types.descriptor(e)), 0)")
            line("for (int64_t \(i) = 0; \(i) < \(a)->count; \(i)++) {")
            line("    if (\(call)) {")
            if types.hasBuffers(e) { line("        cl_mark(\(types.descriptor(e)), cl_buf_at(\(a), \(i)));") }
            line("        \(f.name(r)) = cl_array_append(\(types.descriptor(e)), \(f.name(r)), cl_buf_at(\(a), \(i)), true);")
            line("    }")
            line("}")
        case .forEach:
            line("for (int64_t \(i) = 0; \(i) < \(a)->count; \(i)++) {")
            line("    (void)\(call);")
            line("}")
        case .containsWhere:
            guard let r = op.result else { return }
            f.declare(r, "false")
            line("for (int64_t \(i) = 0; \(i) < \(a)->count && !\(f.name(r)); \(i)++) {")
            line("    \(f.name(r)) = \(call);")
            line("}")
        default:  // reduce
            guard let r = op.result else { return }
            f.consume(args[1], among: args)
            f.declare(r, atom(args[1]))
            line("for (int64_t \(i) = 0; \(i) < \(a)->count; \(i)++) {")
            line("    \(f.name(r)) = \(fn).call(\(fn).env, \(f.name(r)), \(x));")
            line("}")
        }
    }
}

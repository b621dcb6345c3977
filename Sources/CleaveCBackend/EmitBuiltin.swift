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

    func emit(_ name: String, _ args: [IRAtom]) {
        let a = args.first.map(atom) ?? ""
        func arg(_ k: Int) -> String { k < args.count ? atom(args[k]) : "0" }
        let reuse = args.first.map { f.reuse($0, among: args) } ?? "false"
        let parts = name.split(separator: ".").map(String.init)
        let (typeName, method) = parts.count == 2 ? (parts[0], parts[1]) : ("", name)
        if let k = IntKind(rawValue: typeName) {
            integer(k, method, args)
            return
        }
        switch name {
        case "Bytes.count", "String.count", "Array.count": set("\(a)->count")
        case "Bytes.isEmpty", "String.isEmpty", "Array.isEmpty": set("(\(a)->count == 0)")
        case "Map.count": set("cl_map_count(\(a))")
        case "UdpDevice.readAhead": set("cl_udp_device_read_ahead(\(a))")
        case "Lookahead.any": set("cl_ahead_any()")
        case "Lookahead.push":
            guard let x = args.first else { return }
            let t = type(x)
            let tmp = "ahead_\(f.temp())"
            line("\(types.c(t)) \(tmp) = \(atom(x));")
            line("cl_ahead_push(\(types.descriptor(t)), &\(tmp));")
            if let r = op.result { f.declare(r, "0") }
        case "Lookahead.pop":
            guard let r = op.result else { return }
            f.declareZero([r])
            line("cl_ahead_pop(\(types.descriptor(f.ty(r))), &\(f.name(r)));")
        case "Map.isEmpty": set("(cl_map_count(\(a)) == 0)")
        case "Array.first", "Array.last":
            guard let r = op.result, case .array(let e) = type(args[0]) else { return }
            let at = name == "Array.first" ? "0" : "\(a)->count - 1"
            optional(r, some: "\(a)->count > 0", value: "\(a)->count > 0 ? *(\(types.c(e)) *)cl_buf_at(\(a), \(at)) : \(types.zero(e))")
            // The element is now in the array and in the result.
            if types.hasBuffers(e) { f.mark("\(f.name(r)).value", e) }
        case "Bytes.split": set("cl_bytes_split(\(a), \(arg(1)), \(arg(2)), \(w))")
        case "Bytes.append": set("cl_bytes_append(\(a), \(arg(1)), \(reuse))")
        case "Bytes.appendContents": set("cl_bytes_append_contents(\(a), \(arg(1)), \(reuse))")
        case "Bytes.hasPrefix", "String.hasPrefix": set("cl_bytes_has_prefix(\(a), \(arg(1)))")
        case "Bytes.hasSuffix", "String.hasSuffix": set("cl_bytes_has_suffix(\(a), \(arg(1)))")
        case "Bytes.trimmed": set("cl_bytes_trimmed(\(a))")
        case "Bytes.lowercased": set("cl_bytes_lowercased(\(a))")
        case "Bytes.uppercased": set("cl_bytes_uppercased(\(a))")
        case "Bytes.firstIndex":
            guard let r = op.result else { return }
            let i = f.temp()
            line("int64_t \(i) = 0;")
            optional(r, some: "cl_bytes_first_index(\(a), \(arg(1)), &\(i))", value: i)
        case "Bytes.readUInt8", "Bytes.readUInt16", "Bytes.readUInt32", "Bytes.readUInt64":
            let bits = Int(method.dropFirst("readUInt".count)) ?? 8
            set("(uint\(bits)_t)cl_bytes_read(\(a), \(arg(1)), \(bits / 8), \(w))")
        case "Bytes.writeUInt8", "Bytes.writeUInt16", "Bytes.writeUInt32", "Bytes.writeUInt64":
            let bits = Int(method.dropFirst("writeUInt".count)) ?? 8
            set("cl_bytes_write(\(a), (uint64_t)\(arg(1)), \(arg(2)), \(bits / 8), \(reuse), \(w))")
        case "Bytes.repeating": set("cl_bytes_repeating(\(a), \(arg(1)), \(w))")
        case "Bytes.encode":
            // String and Bytes share their representation: the same buffer, now seen twice.
            if let x = args.first { f.consume(x, among: args) }
            set(a)
        case "Bytes.fromArray": set("cl_bytes_from_array(\(a))")
        case "String.decode": set("cl_string_decode(\(a))")
        case "String.format": set(op.format(args[0]))
        case "Double.convert":
            set("(double)\(a)")
        case "Double.parse":
            guard let r = op.result else { return }
            let d = f.temp()
            line("double \(d) = 0;")
            optional(r, some: "cl_parse_double(\(a), &\(d))", value: d)
        case "Double.squareRoot": set("sqrt(\(a))")
        case "Double.rounded": set("round(\(a))")
        case "Double.magnitude": set("fabs(\(a))")
        case "Map.empty": set("cl_map_new(\(types.descriptor(op.resultType)))")
        case "Map.entry":
            guard let r = op.result, case .map = type(args[0]) else { return }
            f.declareZero([r])
            line("cl_map_entry(\(types.descriptor(type(args[0]))), \(a), \(arg(1)), &\(f.name(r)).e0, &\(f.name(r)).e1);")
        case "Map.keys": set("cl_map_keys(\(types.descriptor(type(args[0]))), \(a))")
        case "Map.values": set("cl_map_values(\(types.descriptor(type(args[0]))), \(a))")
        case "Map.removeValue":
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
        case "Array.append":
            f.consume(args[1], among: args)
            set("cl_array_append(\(types.descriptor(element(args[0]))), \(a), \(f.lvalue(args[1])), \(reuse))")
        case "Array.appendContents":
            set("cl_array_append_contents(\(types.descriptor(element(args[0]))), \(a), \(arg(1)), \(reuse))")
        case "Array.insert":
            f.consume(args[1], among: args)
            set("cl_array_insert(\(types.descriptor(element(args[0]))), \(a), \(f.lvalue(args[1])), \(arg(2)), \(reuse), \(w))")
        case "Array.remove", "Array.removeLast":
            guard op.results.count == 2 else { return }
            let (next, removed) = (op.results[0], op.results[1])
            let index = name == "Array.remove" ? arg(1) : "-1"
            f.declareZero([removed])
            f.declare(
                next,
                "cl_array_remove(\(types.descriptor(element(args[0]))), \(a), \(index), &\(f.name(removed)), \(reuse), \(w))")
        case "Array.swapAt":
            set("cl_array_swap(\(types.descriptor(element(args[0]))), \(a), \(arg(1)), \(arg(2)), \(reuse), \(w))")
        case "Array.reversed": set("cl_array_reversed(\(types.descriptor(element(args[0]))), \(a))")
        case "Array.repeating":
            f.consume(args[0], among: args)
            guard case .array(let e) = op.resultType else { return }
            set("cl_array_repeating(\(types.descriptor(e)), \(f.lvalue(args[0])), \(arg(1)), \(w))")
        case "Array.sorted":
            let d = types.descriptor(element(args[0]))
            set("cl_array_sorted(\(d), \(a), cl_array_less_by_type, (void *)\(d))")
        case "Array.sortedBy":
            let e = element(args[0])
            let tramp = f.backend.lessTrampoline(closureType: type(args[1]), element: e)
            let fn = f.lvalue(args[1])
            set("cl_array_sorted(\(types.descriptor(e)), \(a), \(tramp), (void *)\(fn))")
        case "Array.min", "Array.max":
            guard let r = op.result else { return }
            let e = element(args[0])
            let best = f.temp()
            let i = f.temp()
            let sign = name == "Array.min" ? "<" : ">"
            line("int64_t \(best) = -1;")
            line("for (int64_t \(i) = 0; \(i) < \(a)->count; \(i)++) {")
            line(
                "    if (\(best) < 0 || cl_compare(\(types.descriptor(e)), cl_buf_at(\(a), \(i)), cl_buf_at(\(a), \(best))) \(sign) 0) \(best) = \(i);"
            )
            line("}")
            optional(r, some: "\(best) >= 0", value: "\(best) >= 0 ? *(\(types.c(e)) *)cl_buf_at(\(a), \(best)) : \(types.zero(e))")
            if types.hasBuffers(e) { f.mark("\(f.name(r)).value", e) }
        case "Array.contains", "Array.firstIndex":
            let e = element(args[0])
            let i = f.temp()
            line("int64_t \(i) = 0;")
            let found = "cl_array_first_index(\(types.descriptor(e)), \(a), \(f.lvalue(args[1])), &\(i))"
            if name == "Array.contains" {
                set(found)
            } else if let r = op.result {
                optional(r, some: found, value: i)
            }
        case "Array.joined": set("cl_bytes_joined(\(a), \(arg(1)))")
        case "Array.enumerated":
            guard case .array(let pair) = op.resultType, let r = op.result else { return }
            let e = element(args[0])
            let i = f.temp()
            f.declare(r, "cl_array_new(\(types.descriptor(pair)), \(a)->count)")
            line("for (int64_t \(i) = 0; \(i) < \(a)->count; \(i)++) {")
            line("    \(types.c(pair)) p = {.e0 = \(i), .e1 = *(\(types.c(e)) *)cl_buf_at(\(a), \(i))};")
            if types.hasBuffers(e) { line("    cl_mark(\(types.descriptor(e)), &p.e1);") }
            line("    \(f.name(r)) = cl_array_append(\(types.descriptor(pair)), \(f.name(r)), &p, true);")
            line("}")
        case "Array.map", "Array.filter", "Array.forEach", "Array.containsWhere", "Array.reduce":
            closureLoop(name, args)
        case "print": line("cl_print(\(a));")
        case "min" where args.count == 2 && atom(args[0]) == atom(args[1]),
            "max" where args.count == 2 && atom(args[0]) == atom(args[1]):
            set(a)
        case "min", "max":
            let t = type(args[0])
            let sign = name == "min" ? "<" : ">"
            switch t {
            case .string, .bytes: set("(cl_bytes_compare(\(arg(1)), \(a)) \(sign) 0 ? \(arg(1)) : \(a))")
            default: set("(\(arg(1)) \(sign) \(a) ? \(arg(1)) : \(a))")
            }
        case "abs":
            if let k = type(args[0]).intKind {
                set("(\(a) < 0 ? cl_neg_\(CTypes.intSuffix(k))(\(a), \(w)) : \(a))")
            } else {
                set("fabs(\(a))")
            }
        default:
            f.backend.internalError("no C for the built-in \(name)", at: op.span)
            set(op.result.map { types.zero(f.ty($0)) } ?? "0")
        }
    }

    func integer(_ k: IntKind, _ method: String, _ args: [IRAtom]) {
        let s = CTypes.intSuffix(k)
        let limit = k.bits == 64 ? (k.isSigned ? "INT64" : "UINT64") : "\(k.isSigned ? "INT" : "UINT")\(k.bits)"
        switch method {
        case "max": op.set("\(limit)_MAX")
        case "min": op.set(k.isSigned ? "\(limit)_MIN" : "((\(CTypes.intType(k)))0)")
        default: break
        }
        guard let first = args.first else { return }
        let a = atom(first)
        switch method {
        case "max", "min": break
        case "convert":
            switch type(args[0]) {
            case .double: op.set("cl_to_\(s)_d(\(a), \(w))")
            case .int(let from) where from.isSigned: op.set("cl_to_\(s)_s((int64_t)\(a), \(w))")
            default: op.set("cl_to_\(s)_u((uint64_t)\(a), \(w))")
            }
        case "truncating":
            op.set("(\(CTypes.intType(k)))\(a)")
        case "parse":
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
        default:
            f.backend.internalError("no C for the built-in \(k.rawValue).\(method)", at: op.span)
        }
    }

    /// map, filter, forEach, contains(where:), reduce: a loop calling the closure.
    func closureLoop(_ name: String, _ args: [IRAtom]) {
        let fnArg = name == "Array.reduce" ? args[2] : args[1]
        let a = atom(args[0])
        let e = element(args[0])
        let fn = atom(fnArg)
        let i = f.temp()
        let x = "*(\(types.c(e)) *)cl_buf_at(\(a), \(i))"
        let call = "\(fn).call(\(fn).env, \(x))"
        switch name {
        case "Array.map":
            guard let r = op.result, case .array(let u) = op.resultType else { return }
            f.declare(r, "cl_array_new(\(types.descriptor(u)), \(a)->count)")
            line("for (int64_t \(i) = 0; \(i) < \(a)->count; \(i)++) {")
            line("    \(types.c(u)) y = \(call);")
            line("    \(f.name(r)) = cl_array_append(\(types.descriptor(u)), \(f.name(r)), &y, true);")
            line("}")
        case "Array.filter":
            guard let r = op.result else { return }
            f.declare(r, "cl_array_new(\(types.descriptor(e)), 0)")
            line("for (int64_t \(i) = 0; \(i) < \(a)->count; \(i)++) {")
            line("    if (\(call)) {")
            if types.hasBuffers(e) { line("        cl_mark(\(types.descriptor(e)), cl_buf_at(\(a), \(i)));") }
            line("        \(f.name(r)) = cl_array_append(\(types.descriptor(e)), \(f.name(r)), cl_buf_at(\(a), \(i)), true);")
            line("    }")
            line("}")
        case "Array.forEach":
            line("for (int64_t \(i) = 0; \(i) < \(a)->count; \(i)++) {")
            line("    (void)\(call);")
            line("}")
        case "Array.containsWhere":
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

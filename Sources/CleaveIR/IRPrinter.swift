// `cleave dump --stage ir`: the IR as text.
//
//     func answer(%self.0: Store, %request.1: Bytes) -> (Store, Bytes)  @kv.clv:21
//       %parts.2: [Bytes] = builtin Bytes.split(%request.1, 32: UInt8, 9223372036854775807)  @22
//       %3: Bool, %4: Store = if %2 { … yield … } else { … }
//       (%device.7, %datagram.8) = state %device.5.receive()  @34
//
// Values are `%N`, or `%name.N` when they stand for a source variable; constants
// are written in place (`32: UInt8` when not an `Int`, `b"SET"` for `Bytes`).
// Each statement ends with the source line it came from.

import CleaveDiagnostics
import CleaveGrammar
import CleaveSema

public struct IRPrinter {
    let program: IRProgram
    var function: IRFunction?
    var out = ""
    var indent = 0

    public static func print(_ program: IRProgram) -> String {
        var p = IRPrinter(program: program)
        for (i, g) in program.globals.enumerated() {
            p.printFunction(g, header: "global \(program.typed.globals[i].name)")
        }
        return p.out + print(program.functions.filter { program.typed.files.contains($0.span.file) }, of: program)
    }

    /// The given functions of `program`, without its globals.
    public static func print(_ functions: [IRFunction], of program: IRProgram) -> String {
        var p = IRPrinter(program: program)
        for f in functions { p.printFunction(f, header: nil) }
        return p.out
    }

    mutating func line(_ s: String) {
        out += String(repeating: "  ", count: indent) + s + "\n"
    }

    func ty(_ t: Ty) -> String { program.typed.typeName(t) }

    func value(_ v: IRValue) -> String {
        guard let f = function, v.id < f.values.count, let name = f.values[v.id].name else { return "%\(v.id)" }
        return "%\(name).\(v.id)"
    }

    func typed(_ v: IRValue) -> String {
        guard let f = function, v.id < f.values.count else { return value(v) }
        return "\(value(v)): \(ty(f.values[v.id].type))"
    }

    func atom(_ a: IRAtom) -> String {
        switch a {
        case .value(let v): return value(v)
        case .int(let v, let negative, let t):
            let text = (negative ? "-" : "") + String(v)
            return t == .int ? text : "\(text): \(ty(t))"
        case .float(let d): return "\(d)"
        case .bool(let b): return "\(b)"
        case .bytes(let b, let t): return (t == .bytes ? "b" : "") + "\"\(ASTPrinter.escapeBytes(b))\""
        case .none(let t): return "nil: \(ty(t))"
        case .void: return "()"
        case .undefined(let t): return "undefined: \(ty(t))"
        }
    }

    func atoms(_ xs: [IRAtom]) -> String { xs.map(atom).joined(separator: ", ") }

    func functionName(_ id: FunctionID) -> String {
        let f = program.typed.function(id)
        switch f.kind {
        case .method(let t), .initializer(let t): return "\(program.typed.type(t).name).\(f.name)"
        default: return f.name
        }
    }

    mutating func printFunction(_ f: IRFunction, header: String?) {
        function = f
        let params = f.params.map(typed).joined(separator: ", ")
        let results = f.results.count == 1 ? ty(f.results[0]) : "(\(f.results.map(ty).joined(separator: ", ")))"
        let kind: String =
            switch f.kind {
            case .main, .free: "func"
            case .stateMethod: "state-method"
            case .valueMethod(_, let mutating): mutating ? "mutating-method" : "method"
            case .initializer: "init"
            }
        line("\(header ?? "\(kind) \(functionName(f.source))")(\(params)) -> \(results)  @\(f.span.shortDescription)")
        indent += 1
        block(f.body)
        indent -= 1
        line("")
        function = nil
    }

    mutating func block(_ b: IRBlock) {
        for s in b.stmts { stmt(s) }
    }

    mutating func stmt(_ s: IRStmt) {
        let at = "  @\(s.span.line)"
        switch s.kind {
        case .assign(let results, let op):
            let lhs = results.count == 1 ? typed(results[0]) : "(\(results.map(typed).joined(separator: ", ")))"
            if case .closure(let c) = op {
                line("\(lhs) = closure(\(c.params.map(typed).joined(separator: ", "))) -> \(ty(c.result)) {\(at)")
                indent += 1
                block(c.body)
                indent -= 1
                line("}")
            } else {
                line("\(lhs) = \(operation(op))\(at)")
            }
        case .stateCall(let next, let inoutNext, let result, let state, let method, let args):
            let outs = ([next] + inoutNext + (result.map { [$0] } ?? [])).map(typed).joined(separator: ", ")
            let argText = args.map { a -> String in
                switch a {
                case .value(let x): atom(x)
                case .passedInout(let x): "&" + atom(x)
                }
            }.joined(separator: ", ")
            line("(\(outs)) = state \(atom(state)).\(program.typed.function(method).name)(\(argText))\(at)")
        case .createState(let v, let t, _, let args):
            line("\(typed(v)) = create \(program.typed.type(t).name)(\(atoms(args)))\(at)")
        case .ifThen(let c, let a, let b, let results):
            line("\(resultsPrefix(results))if \(atom(c)) {\(at)")
            indent += 1
            block(a)
            indent -= 1
            line("} else {")
            indent += 1
            block(b)
            indent -= 1
            line("}")
        case .switchOf(let subject, let cases, let results):
            line("\(resultsPrefix(results))switch \(atom(subject)) {\(at)")
            for (i, c) in cases.enumerated() {
                line("case \(i):")
                indent += 1
                block(c)
                indent -= 1
            }
            line("}")
        case .loop(let carried, let initial, let body, let results):
            let header = zip(carried, initial).map { "\(typed($0)) = \(atom($1))" }.joined(separator: ", ")
            line("\(resultsPrefix(results))loop (\(header)) {\(at)")
            indent += 1
            block(body)
            indent -= 1
            line("}")
        case .yield(let xs): line("yield \(atoms(xs))".trimmingTrailingSpace + at)
        case .breakLoop(let xs): line("break \(atoms(xs))".trimmingTrailingSpace + at)
        case .continueLoop(let xs): line("continue \(atoms(xs))".trimmingTrailingSpace + at)
        case .returnValues(let xs): line("return \(atoms(xs))".trimmingTrailingSpace + at)
        case .trap(let m): line("trap \(atom(m))\(at)")
        case .halt: line("halt\(at)")
        case .send(let c, let x): line("send #\(c) \(atom(x))\(at)")
        case .receive(let c, let v): line("\(typed(v)) = receive #\(c)\(at)")
        }
    }

    func resultsPrefix(_ results: [IRValue]) -> String {
        results.isEmpty ? "" : "\(results.map(typed).joined(separator: ", ")) = "
    }

    func operation(_ op: IROp) -> String {
        switch op {
        case .copy(let a): return atom(a)
        case .unary(let o, let a): return "\(o.rawValue)\(atom(a))"
        case .binary(let o, let a, let b): return "\(atom(a)) \(o.rawValue) \(atom(b))"
        case .builtin(let name, let xs): return "builtin \(name)(\(atoms(xs)))"
        case .call(let f, let xs): return "call \(functionName(f))(\(atoms(xs)))"
        case .method(let f, let xs): return "method \(functionName(f))(\(atoms(xs)))"
        case .field(let a, let i): return "\(atom(a)).\(fieldName(a, i))"
        case .setField(let a, let i, let v): return "setField \(atom(a)).\(fieldName(a, i)) = \(atom(v))"
        case .tupleElement(let a, let i): return "\(atom(a)).\(i)"
        case .setTupleElement(let a, let i, let v): return "setElement \(atom(a)).\(i) = \(atom(v))"
        case .tuple(let xs): return "(\(atoms(xs)))"
        case .array(let xs): return "[\(atoms(xs))]"
        case .mapLiteral(let entries):
            return entries.isEmpty ? "[:]" : "[\(entries.map { "\(atom($0.0)): \(atom($0.1))" }.joined(separator: ", "))]"
        case .index(let a, let i): return "\(atom(a))[\(atom(i))]"
        case .setIndex(let a, let i, let v): return "setIndex \(atom(a))[\(atom(i))] = \(atom(v))"
        case .slice(let a, let l, let h, let inclusive): return "\(atom(a))[\(atom(l))\(inclusive ? "..." : "..<")\(atom(h))]"
        case .memberwise(let t, let xs): return "\(program.typed.type(t).name)(\(atoms(xs)))"
        case .enumCase(let t, let i, let xs):
            let info = program.typed.type(t)
            return "\(info.name).\(info.cases[i].name)" + (xs.isEmpty ? "" : "(\(atoms(xs)))")
        case .enumTag(let a): return "tag \(atom(a))"
        case .enumPayload(let a, let c, let f): return "payload \(atom(a)) case \(c) field \(f)"
        case .wrapOptional(let a): return "some \(atom(a))"
        case .unwrap(let a): return "unwrap \(atom(a))"
        case .isSome(let a): return "isSome \(atom(a))"
        case .interpolate(let parts):
            return "interpolate("
                + parts.map { p -> String in
                    switch p {
                    case .bytes(let b): "\"\(ASTPrinter.escapeBytes(b))\""
                    case .value(let x): atom(x)
                    }
                }.joined(separator: ", ") + ")"
        case .global(let g): return "global \(program.typed.globals[g.index].name)"
        case .closure: return "closure"
        case .callClosure(let f, let xs): return "callClosure \(atom(f))(\(atoms(xs)))"
        case .functionRef(let f): return "function \(functionName(f))"
        }
    }

    func fieldName(_ a: IRAtom, _ i: Int) -> String {
        guard case .value(let v) = a, let f = function, case .nominal(let t) = f.values[v.id].type else { return "\(i)" }
        let fields = program.typed.type(t).fields
        return i < fields.count ? fields[i].name : "\(i)"
    }
}

extension String {
    var trimmingTrailingSpace: String {
        var s = self
        while s.hasSuffix(" ") { s.removeLast() }
        return s
    }
}

// Expressions, evaluated left to right, and assignment to the places they name
// (`x`, `self.f`, `a[i].f`, `m[k]`, `t.0`), as value semantics has it: changing
// a part makes a new whole and stores it where the whole came from.

import CleaveDiagnostics
import CleaveGrammar
import CleaveSema

extension Interpreter {
    func eval(_ e: TExpr, in frame: Frame) throws -> Value {
        try step()
        switch e.kind {
        case .intLiteral(let m, let negative):
            if e.type == .double { return .double(negative ? -Double(m) : Double(m)) }
            return .int(negative ? -Int128(m) : Int128(m))
        case .floatLiteral(let d):
            return .double(d)
        case .stringLiteral(let b):
            return .bytes(b)
        case .interpolation(let parts):
            var out: [UInt8] = []
            for p in parts {
                switch p {
                case .bytes(let b): out += b
                case .value(let x): out += text(try eval(x, in: frame), type: x.type)
                }
                try sized(out.count)
            }
            return .bytes(out)
        case .boolLiteral(let b):
            return .bool(b)
        case .nilLiteral:
            return .optional(nil)
        case .local(let l):
            guard let v = frame.locals[l.index] else { throw trap("internal error: a local read before it is set", at: e.span) }
            return v
        case .global(let g):
            return try global(g.index)
        case .selfRef:
            return frame.selfValue ?? .void
        case .field(let base, let k):
            let b = try eval(base, in: frame)
            if case .state(let s) = b { return s.fields[k] }
            return b.elements[k]
        case .tupleElement(let base, let k):
            return try eval(base, in: frame).elements[k]
        case .call(let f, let args):
            let values = try callArguments(args, in: frame)
            let r = try call(f, receiver: nil, arguments: values)
            try writeBack(args, r.params, in: frame)
            return r.result
        case .methodCall(let receiver, let f, let args):
            let r0 = try eval(receiver, in: frame)
            let values = try callArguments(args, in: frame)
            let r = try call(f, receiver: r0, arguments: values)
            try writeBack(args, r.params, in: frame)
            if program.function(f).isMutating, let s = r.selfValue { try assign(receiver, s, in: frame) }
            return r.result
        case .initCall(_, let f, let args):
            let values = try callArguments(args, in: frame)
            let r = try call(f, receiver: nil, arguments: values)
            try writeBack(args, r.params, in: frame)
            return r.result
        case .memberwise(let t, let fields):
            let values = try fields.map { try eval($0, in: frame) }
            return program.type(t).kind == .state ? .state(StateObject(type: t, fields: values)) : .record(values)
        case .enumCase(_, let k, let payload):
            return .enumCase(k, try payload.map { try eval($0, in: frame) })
        case .callClosure(let f, let args):
            let callee = try eval(f, in: frame)
            return try callClosure(callee, try args.map { try eval($0, in: frame) }, span: e.span)
        case .closure(let c):
            return .closure(Closure(params: c.params, body: c.body, frame: Frame(copying: frame)))
        case .functionRef(let f):
            return .function(f)
        case .builtin(let name, let operands):
            return try builtin(name, operands, type: e.type, span: e.span, in: frame)
        case .unary(let op, let x):
            return try unary(op, try eval(x, in: frame), type: x.type, span: e.span)
        case .binary(.and, let a, let b):
            return .bool(try eval(a, in: frame).boolean && (try eval(b, in: frame).boolean))
        case .binary(.or, let a, let b):
            return .bool(try eval(a, in: frame).boolean || (try eval(b, in: frame).boolean))
        case .binary(let op, let a, let b):
            let x = try eval(a, in: frame)
            let y = try eval(b, in: frame)
            return try binary(op, x, y, type: a.type, span: e.span)
        case .ternary(let c, let a, let b):
            return try eval(c, in: frame).boolean ? try eval(a, in: frame) : try eval(b, in: frame)
        case .tuple(let xs):
            return .tuple(try xs.map { try eval($0, in: frame) })
        case .array(let xs):
            return .array(try xs.map { try eval($0, in: frame) })
        case .mapLiteral(let pairs):
            var m: [(key: Value, value: Value)] = []
            for (k, v) in pairs {
                let key = try eval(k, in: frame)
                let value = try eval(v, in: frame)
                if let i = m.firstIndex(where: { Value.equal($0.key, key) }) {
                    m[i].value = value
                } else {
                    m.append((key, value))
                }
            }
            return .map(m)
        case .wrapOptional(let x):
            return .optional(try eval(x, in: frame))
        case .forceUnwrap(let x):
            guard case .optional(let v?) = try eval(x, in: frame) else {
                throw trap("unexpectedly found nil while unwrapping an Optional value", at: e.span)
            }
            return v
        case .coalesce(let a, let b):
            if case .optional(let v?) = try eval(a, in: frame) {
                // `a ?? b` where b is itself optional keeps a's value optional.
                if case .optional = b.type { return .optional(v) }
                return v
            }
            return try eval(b, in: frame)
        case .index(let base, let i):
            let b = try eval(base, in: frame)
            let k = try eval(i, in: frame)
            switch b {
            case .map(let entries):
                return .optional(entries.first { Value.equal($0.key, k) }?.value)
            case .bytes(let bytes):
                let n = k.integer
                guard n >= 0 && n < Int128(bytes.count) else { throw indexTrap(n, bytes.count, at: e.span) }
                return .int(Int128(bytes[Int(n)]))
            default:
                let items = b.elements
                let n = k.integer
                guard n >= 0 && n < Int128(items.count) else { throw indexTrap(n, items.count, at: e.span) }
                return items[Int(n)]
            }
        case .slice(let base, let lo, let hi, let inclusive):
            let b = try eval(base, in: frame)
            let l = try eval(lo, in: frame).integer
            let h = try eval(hi, in: frame).integer + (inclusive ? 1 : 0)
            let count = b.byteCountOrElements
            guard l >= 0 && h <= Int128(count) && l <= h else {
                throw trap("slice \(l)..<\(h) out of range of a count of \(count)", at: e.span)
            }
            if case .bytes(let bytes) = b { return .bytes(Array(bytes[Int(l)..<Int(h)])) }
            return .array(Array(b.elements[Int(l)..<Int(h)]))
        case .trap(let m):
            let message = try eval(m, in: frame).byteArray
            throw trap(String(decoding: message.prefix(511), as: UTF8.self), at: e.span)
        case .error:
            throw trap("internal error: an expression the checker refused", at: e.span)
        }
    }

    func indexTrap(_ i: Int128, _ count: Int, at span: SourceSpan) -> Trap {
        trap("index out of range: \(i), but the count is \(count)", at: span)
    }

    // MARK: Places

    /// Store `v` where `target` names: a local, a field of `self` or of a value, an element.
    func assign(_ target: TExpr, _ v: Value, in frame: Frame) throws {
        switch target.kind {
        case .local(let l):
            frame.locals[l.index] = v
        case .selfRef:
            frame.selfValue = v
        case .field(let base, let k):
            let b = try eval(base, in: frame)
            if case .state(let s) = b {
                s.fields[k] = v
                return
            }
            var fields = b.elements
            fields[k] = v
            try assign(base, .record(fields), in: frame)
        case .tupleElement(let base, let k):
            var items = try eval(base, in: frame).elements
            items[k] = v
            try assign(base, .tuple(items), in: frame)
        case .index(let base, let i):
            let b = try eval(base, in: frame)
            let k = try eval(i, in: frame)
            switch b {
            case .map(var entries):
                let at = entries.firstIndex { Value.equal($0.key, k) }
                if case .optional(let new) = v, new == nil {
                    if let at { entries.remove(at: at) }
                } else {
                    let value = v.wrapped ?? v
                    if let at { entries[at].value = value } else { entries.append((k, value)) }
                }
                try assign(base, .map(entries), in: frame)
            case .bytes(var bytes):
                let n = k.integer
                guard n >= 0 && n < Int128(bytes.count) else { throw indexTrap(n, bytes.count, at: target.span) }
                bytes[Int(n)] = UInt8(truncatingIfNeeded: v.integer)
                try assign(base, .bytes(bytes), in: frame)
            default:
                var items = b.elements
                let n = k.integer
                guard n >= 0 && n < Int128(items.count) else { throw indexTrap(n, items.count, at: target.span) }
                items[Int(n)] = v
                try assign(base, .array(items), in: frame)
            }
        default:
            throw trap("internal error: not a place to assign to", at: target.span)
        }
    }
}

extension Value {
    var byteCountOrElements: Int {
        if case .bytes(let b) = self { return b.count }
        return elements.count
    }
}

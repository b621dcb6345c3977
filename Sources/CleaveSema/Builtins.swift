// Built-in properties, methods, initializers and free functions: how the checker
// finds and types them.
//
// Documentation/Builtins.md is the user's view of this file. Each built-in is
// elaborated to `TExpr.Kind.builtin(builtin, operands)` where `builtin` is a
// `Builtin` (Builtin.swift) and the operands are the receiver (if any) followed
// by the arguments in parameter order, with defaults filled in.

import CleaveDiagnostics
import CleaveGrammar

/// A parameter of a built-in: label, type, default.
struct BuiltinParam {
    let label: String?
    let type: Ty
    var defaultValue: TExpr? = nil
}

extension FunctionChecker {
    // MARK: Matching

    /// Match arguments to a built-in's parameters; nil after reporting a mismatch.
    func builtinArguments(_ args: [Argument], _ params: [BuiltinParam], name: String, span: SourceSpan) -> [TExpr]? {
        var out: [TExpr] = []
        var ai = 0
        for (pi, p) in params.enumerated() {
            if ai < args.count && (args[ai].label?.name == p.label || args[ai].matchesAnyLabel(of: p.type)) {
                if let amp = args[ai].inoutSpan { error(.inoutNotAllowed, at: amp) }
                out.append(check(args[ai].value, expected: p.type, context: "argument type"))
                ai += 1
            } else if let d = p.defaultValue {
                out.append(d)
            } else {
                if ai < args.count {
                    error(.argumentLabel(args[ai].label?.name, p.label), at: args[ai].span)
                } else {
                    error(.missingArgument(p.label ?? "#\(pi + 1)", name), at: closingBracket(of: span))
                }
                for a in args.dropFirst(ai) { _ = infer(a.value, hint: .error) }
                return nil
            }
        }
        if ai < args.count {
            error(.extraArgument(name), at: args[ai].span)
            for a in args.dropFirst(ai) { _ = infer(a.value, hint: .error) }
            return nil
        }
        return out
    }

    func builtin(_ name: Builtin, _ operands: [TExpr]?, _ type: Ty, _ span: SourceSpan) -> TExpr {
        guard let operands else { return .error(span) }
        return TExpr(.builtin(name, operands), type, span)
    }

    func intConstant(_ v: Int, _ span: SourceSpan) -> TExpr {
        TExpr(.intLiteral(v.magnitude.toUInt64, negative: v < 0), .int, span)
    }

    // MARK: Properties

    func builtinProperty(_ base: TExpr, _ name: Identifier, span: SourceSpan) -> TExpr? {
        let t = base.type
        switch (t, name.name) {
        case (.bytes, "count"): return TExpr(.builtin(.bytes(.count), [base]), .int, span)
        case (.string, "count"): return TExpr(.builtin(.string(.count), [base]), .int, span)
        case (.array, "count"): return TExpr(.builtin(.array(.count), [base]), .int, span)
        case (.map, "count"): return TExpr(.builtin(.map(.count), [base]), .int, span)
        case (.bytes, "isEmpty"): return TExpr(.builtin(.bytes(.isEmpty), [base]), .bool, span)
        case (.string, "isEmpty"): return TExpr(.builtin(.string(.isEmpty), [base]), .bool, span)
        case (.array, "isEmpty"): return TExpr(.builtin(.array(.isEmpty), [base]), .bool, span)
        case (.map, "isEmpty"): return TExpr(.builtin(.map(.isEmpty), [base]), .bool, span)
        case (.array(let e), "first"): return TExpr(.builtin(.array(.first), [base]), .optional(e), span)
        case (.array(let e), "last"): return TExpr(.builtin(.array(.last), [base]), .optional(e), span)
        case (.map(let k, _), "keys"):
            return TExpr(.builtin(.map(.keys), [base]), .array(k), span)
        case (.map(_, let v), "values"):
            return TExpr(.builtin(.map(.values), [base]), .array(v), span)
        case (.double, "magnitude"):
            return TExpr(.builtin(.double(.magnitude), [base]), .double, span)
        default:
            if isBuiltinMethodName(t, name.name) {
                error(.methodNotCalled(name.name), at: name.span)
                return .error(span)
            }
            return nil
        }
    }

    func isBuiltinMethodName(_ t: Ty, _ name: String) -> Bool {
        switch t {
        case .bytes:
            return ["split", "append", "hasPrefix", "hasSuffix", "firstIndex", "trimmed", "lowercased", "uppercased"].contains(name)
                || name.hasPrefix("readUInt") || name.hasPrefix("writeUInt")
        case .array:
            return [
                "append", "removeLast", "insert", "remove", "swapAt", "reversed", "map", "filter", "reduce", "contains",
                "sorted", "forEach", "min", "max", "firstIndex", "enumerated", "joined",
            ].contains(name)
        case .map: return name == "removeValue"
        case .string: return ["hasPrefix", "hasSuffix"].contains(name)
        case .double: return ["squareRoot", "rounded"].contains(name)
        default: return false
        }
    }

    // MARK: Methods

    func builtinMethod(_ base: TExpr, _ name: Identifier, _ args: [Argument], hint: Ty?, span: SourceSpan) -> TExpr {
        let m = name.name
        func mutating() {
            checkMutableReceiver(base, method: m, at: name.span)
            checkChangeAllowedInClosure(base, at: name.span)
        }
        func args1(_ params: [BuiltinParam]) -> [TExpr]? {
            builtinArguments(args, params, name: m, span: span).map { [base] + $0 }
        }
        switch base.type {
        case .bytes:
            switch m {
            case "split":
                let maxSplits = intConstant(Int.max, span)
                return builtin(
                    .bytes(.split),
                    args1([
                        BuiltinParam(label: "separator", type: .uint8),
                        BuiltinParam(label: "maxSplits", type: .int, defaultValue: maxSplits),
                    ]), .array(.bytes), span)
            case "append":
                mutating()
                if args.first?.label?.name == "contentsOf" {
                    return builtin(.bytes(.appendContents), args1([BuiltinParam(label: "contentsOf", type: .bytes)]), .void, span)
                }
                return builtin(.bytes(.append), args1([BuiltinParam(label: nil, type: .uint8)]), .void, span)
            case "hasPrefix":
                return builtin(.bytes(.hasPrefix), args1([BuiltinParam(label: nil, type: .bytes)]), .bool, span)
            case "hasSuffix":
                return builtin(.bytes(.hasSuffix), args1([BuiltinParam(label: nil, type: .bytes)]), .bool, span)
            case "firstIndex":
                return builtin(.bytes(.firstIndex), args1([BuiltinParam(label: "of", type: .uint8)]), .optional(.int), span)
            case "trimmed": return builtin(.bytes(.trimmed), args1([]), .bytes, span)
            case "lowercased": return builtin(.bytes(.lowercased), args1([]), .bytes, span)
            case "uppercased": return builtin(.bytes(.uppercased), args1([]), .bytes, span)
            case _ where m.hasPrefix("readUInt"):
                guard let k = IntKind(rawValue: String(m.dropFirst(4))) else { break }
                return builtin(.bytes(.read(k)), args1([BuiltinParam(label: "at", type: .int)]), .int(k), span)
            case _ where m.hasPrefix("writeUInt"):
                guard let k = IntKind(rawValue: String(m.dropFirst(5))) else { break }
                mutating()
                return builtin(
                    .bytes(.write(k)), args1([BuiltinParam(label: nil, type: .int(k)), BuiltinParam(label: "at", type: .int)]), .void,
                    span)
            default: break
            }
        case .string:
            switch m {
            case "hasPrefix":
                return builtin(.string(.hasPrefix), args1([BuiltinParam(label: nil, type: .string)]), .bool, span)
            case "hasSuffix":
                return builtin(.string(.hasSuffix), args1([BuiltinParam(label: nil, type: .string)]), .bool, span)
            default: break
            }
        case .double:
            switch m {
            case "squareRoot": return builtin(.double(.squareRoot), args1([]), .double, span)
            case "rounded": return builtin(.double(.rounded), args1([]), .double, span)
            default: break
            }
        case .map(let k, let v):
            if m == "removeValue" {
                mutating()
                return builtin(.map(.removeValue), args1([BuiltinParam(label: "forKey", type: k)]), .optional(v), span)
            }
        case .array(let e):
            if let v = arrayMethod(base, e, name, args, hint: hint, span: span) { return v }
        default:
            break
        }
        if !base.type.containsError { error(.noMember(context.typeName(base.type), m), at: name.span) }
        args.forEach { _ = infer($0.value, hint: .error) }
        return .error(span)
    }

    func arrayMethod(_ base: TExpr, _ e: Ty, _ name: Identifier, _ args: [Argument], hint: Ty?, span: SourceSpan) -> TExpr? {
        let m = name.name
        func mutating() {
            checkMutableReceiver(base, method: m, at: name.span)
            checkChangeAllowedInClosure(base, at: name.span)
        }
        func args1(_ params: [BuiltinParam]) -> [TExpr]? {
            builtinArguments(args, params, name: m, span: span).map { [base] + $0 }
        }
        func requireComparable() -> Bool {
            if context.isComparable(e) { return true }
            error(
                .notComparable(context.typeName(e)), at: name.span,
                notes: [DiagnosticNote("use '\(m)(by:)' with a closure that compares two elements", at: nil)])
            return false
        }
        func requireEquatable() -> Bool {
            if context.isEquatable(e) { return true }
            error(.notEquatable(context.typeName(e)), at: name.span)
            return false
        }
        switch m {
        case "append":
            mutating()
            if args.first?.label?.name == "contentsOf" {
                return builtin(.array(.appendContents), args1([BuiltinParam(label: "contentsOf", type: .array(e))]), .void, span)
            }
            return builtin(.array(.append), args1([BuiltinParam(label: nil, type: e)]), .void, span)
        case "removeLast":
            mutating()
            return builtin(.array(.removeLast), args1([]), e, span)
        case "insert":
            mutating()
            return builtin(.array(.insert), args1([BuiltinParam(label: nil, type: e), BuiltinParam(label: "at", type: .int)]), .void, span)
        case "remove":
            mutating()
            return builtin(.array(.remove), args1([BuiltinParam(label: "at", type: .int)]), e, span)
        case "swapAt":
            mutating()
            return builtin(
                .array(.swapAt), args1([BuiltinParam(label: nil, type: .int), BuiltinParam(label: nil, type: .int)]), .void, span)
        case "reversed":
            return builtin(.array(.reversed), args1([]), .array(e), span)
        case "enumerated":
            return builtin(.array(.enumerated), args1([]), .array(.tuple([.int, e])), span)
        case "sorted":
            if args.isEmpty {
                guard requireComparable() else { return .error(span) }
                return builtin(.array(.sorted), [base], .array(e), span)
            }
            return builtin(.array(.sortedBy), args1([BuiltinParam(label: "by", type: .function([e, e], .bool))]), .array(e), span)
        case "min", "max":
            guard requireComparable() else { return .error(span) }
            return builtin(.array(m == "min" ? .min : .max), args1([]), .optional(e), span)
        case "contains":
            if args.first?.label?.name == "where" || args.first?.isTrailingClosure == true {
                return builtin(.array(.containsWhere), args1([BuiltinParam(label: "where", type: .function([e], .bool))]), .bool, span)
            }
            guard requireEquatable() else { return .error(span) }
            return builtin(.array(.contains), args1([BuiltinParam(label: nil, type: e)]), .bool, span)
        case "firstIndex":
            guard requireEquatable() else { return .error(span) }
            return builtin(.array(.firstIndex), args1([BuiltinParam(label: "of", type: e)]), .optional(.int), span)
        case "filter":
            return builtin(.array(.filter), args1([BuiltinParam(label: nil, type: .function([e], .bool))]), .array(e), span)
        case "forEach":
            return builtin(.array(.forEach), args1([BuiltinParam(label: nil, type: .function([e], .void))]), .void, span)
        case "map":
            guard args.count == 1, args[0].label == nil else {
                error(.argumentCount(1, args.count), at: span)
                return .error(span)
            }
            // The context gives the closure's result type (`let b: [UInt8] = a.map { _ in 0 }`), as in Swift.
            var result: Ty?
            if case .closure = args[0].value.kind, case .array(let u)? = hint.map({ $0.optionalWrapped ?? $0 }), !u.containsError {
                result = u
            }
            let f = closureArgument(args[0], params: [e], result: result)
            guard case .function(_, let u) = f.type else { return .error(span) }
            if u == .void {
                error(.mapToVoid, at: args[0].span)
            }
            return TExpr(.builtin(.array(.map), [base, f]), .array(u), span)
        case "reduce":
            guard args.count == 2, args[0].label == nil, args[1].label == nil else {
                error(.argumentCount(2, args.count), at: span)
                return .error(span)
            }
            let initial = infer(args[0].value, hint: hint)
            let f = closureArgument(args[1], params: [initial.type, e], result: initial.type)
            return TExpr(.builtin(.array(.reduce), [base, initial, f]), initial.type, span)
        case "joined":
            switch e {
            case .string:
                return builtin(
                    .array(.joined),
                    args1([BuiltinParam(label: "separator", type: .string, defaultValue: TExpr(.stringLiteral([]), .string, span))]),
                    .string, span)
            case .bytes:
                return builtin(
                    .array(.joined),
                    args1([BuiltinParam(label: "separator", type: .bytes, defaultValue: TExpr(.stringLiteral([]), .bytes, span))]), .bytes,
                    span)
            default:
                if !e.containsError { error(.joinedElement(context.typeName(e)), at: name.span) }
                return .error(span)
            }
        default:
            return nil
        }
    }

    /// A closure (or function) argument whose result type may be inferred.
    func closureArgument(_ a: Argument, params: [Ty], result: Ty?) -> TExpr {
        if case .closure(let c) = a.value.kind {
            return closure(c, params: params, result: result, span: a.value.span)
        }
        let v = infer(a.value, hint: nil)
        if case .function(let ps, _) = v.type, ps == params {
            if let result, case .function(_, let r) = v.type, r != result {
                error(.conversion(context.typeName(v.type), context.typeName(.function(params, result)), "argument type"), at: a.value.span)
            }
            return v
        }
        if !v.type.isError {
            error(
                .conversion(context.typeName(v.type), context.typeName(.function(params, result ?? .void)), "argument type"),
                at: a.value.span)
        }
        return .error(a.value.span)
    }

    // MARK: Initializers of built-in types

    func builtinConstructor(_ typeName: String, element: Ty?, args: [Argument], hint: Ty?, span: SourceSpan) -> TExpr {
        let labels = args.map { $0.label?.name }
        if let k = IntKind(rawValue: typeName) {
            let target: Ty = .int(k)
            if labels == ["truncatingIfNeeded"] {
                let v = infer(args[0].value, hint: nil)
                guard v.type.isInteger || v.type.isError else {
                    error(.conversion(context.typeName(v.type), "an integer", "argument type"), at: args[0].value.span)
                    return .error(span)
                }
                return TExpr(.builtin(.integer(k, .truncating), [v]), target, span)
            }
            guard labels == [nil] else { return badConstructor(typeName, args, span) }
            let v = infer(args[0].value, hint: conversionHint(args[0].value, target))
            switch v.type {
            case .int, .double: return TExpr(.builtin(.integer(k, .convert), [v]), target, span)
            case .string, .bytes: return TExpr(.builtin(.integer(k, .parse), [v]), .optional(target), span)
            case .error: return .error(span)
            default:
                error(.noConversion(context.typeName(v.type), typeName), at: args[0].value.span)
                return .error(span)
            }
        }
        switch typeName {
        case "Double":
            guard labels == [nil] else { return badConstructor(typeName, args, span) }
            let v = infer(args[0].value, hint: conversionHint(args[0].value, .double))
            switch v.type {
            case .int, .double: return TExpr(.builtin(.double(.convert), [v]), .double, span)
            case .string, .bytes: return TExpr(.builtin(.double(.parse), [v]), .optional(.double), span)
            case .error: return .error(span)
            default:
                error(.noConversion(context.typeName(v.type), typeName), at: args[0].value.span)
                return .error(span)
            }
        case "String":
            if args.isEmpty { return TExpr(.stringLiteral([]), .string, span) }
            guard labels == [nil] else { return badConstructor(typeName, args, span) }
            let v = infer(args[0].value, hint: conversionHint(args[0].value, .string))
            switch v.type {
            case .int, .double, .bool: return TExpr(.builtin(.string(.format), [v]), .string, span)
            case .bytes: return TExpr(.builtin(.string(.decode), [v]), .string, span)
            case .string: return v
            case .error: return .error(span)
            default:
                error(.noConversion(context.typeName(v.type), typeName), at: args[0].value.span)
                return .error(span)
            }
        case "Bytes":
            if args.isEmpty { return TExpr(.stringLiteral([]), .bytes, span) }
            if labels == ["repeating", "count"] {
                return builtin(
                    .bytes(.repeating),
                    builtinArguments(
                        args, [BuiltinParam(label: "repeating", type: .uint8), BuiltinParam(label: "count", type: .int)], name: "Bytes",
                        span: span), .bytes, span)
            }
            guard labels == [nil] else { return badConstructor(typeName, args, span) }
            let v = infer(args[0].value, hint: conversionHint(args[0].value, .array(.uint8)))
            switch v.type {
            case .string: return TExpr(.builtin(.bytes(.encode), [v]), .bytes, span)
            case .array(.int(.uint8)): return TExpr(.builtin(.bytes(.fromArray), [v]), .bytes, span)
            case .bytes: return v
            case .error: return .error(span)
            default:
                error(.noConversion(context.typeName(v.type), typeName), at: args[0].value.span)
                return .error(span)
            }
        case "Map":
            var kv: (Ty, Ty)?
            if case .tuple(let g)? = element {
                guard g.count == 2 else {
                    error(.genericArity("Map", 2, g.count), at: span)
                    return .error(span)
                }
                kv = (g[0], g[1])
                if !context.isHashable(g[0]) { error(.notHashable(context.typeName(g[0])), at: span) }
            } else if case .map(let k, let v)? = hint.flatMap({ $0.optionalWrapped ?? $0 }) {
                kv = (k, v)
            }
            guard let (k, v) = kv else {
                if !(hint?.containsError ?? false) { error(.mapNeedsType, at: span) }
                return .error(span)
            }
            guard args.isEmpty else { return badConstructor("Map", args, span) }
            return TExpr(.builtin(.map(.empty), []), .map(k, v), span)
        case "Array":
            guard let e = element else { return .error(span) }
            if args.isEmpty { return TExpr(.array([]), .array(e), span) }
            if labels == ["repeating", "count"] {
                return builtin(
                    .array(.repeating),
                    builtinArguments(
                        args, [BuiltinParam(label: "repeating", type: e), BuiltinParam(label: "count", type: .int)], name: "Array",
                        span: span), .array(e), span)
            }
            return badConstructor("[\(context.typeName(e))]", args, span)
        case "Bool", "Void", "Never":
            return badConstructor(typeName, args, span)
        default:
            return badConstructor(typeName, args, span)
        }
    }

    /// A conversion's argument has the target type only when it is a literal (`UInt8(300)`,
    /// `Bytes([1, 2])`); any other argument has its own type, which the conversion converts
    /// (`Double(a.reduce(0) { $0 + $1 })` sums integers).
    func conversionHint(_ argument: Expr, _ target: Ty) -> Ty? {
        isLiteralLike(argument) ? target : nil
    }

    func badConstructor(_ typeName: String, _ args: [Argument], _ span: SourceSpan) -> TExpr {
        error(.noMatchingInit(typeName, args.map { ($0.label?.name ?? "_") + ":" }.joined()), at: span)
        args.forEach { _ = infer($0.value, hint: .error) }
        return .error(span)
    }

    // MARK: Free functions

    func builtinFreeCall(_ name: String, _ args: [Argument], hint: Ty?, span: SourceSpan) -> TExpr? {
        switch name {
        case "print":
            return builtin(
                .free(.print), builtinArguments(args, [BuiltinParam(label: nil, type: .string)], name: name, span: span), .void, span)
        case "embed":
            return embedCall(args, span: span)
        case "fatalError":
            let empty = TExpr(.stringLiteral([]), .string, span)
            guard let a = builtinArguments(args, [BuiltinParam(label: nil, type: .string, defaultValue: empty)], name: name, span: span)
            else {
                return .error(span)
            }
            return TExpr(.trap(a[0]), .never, span)
        case "min", "max":
            guard args.count == 2, args.allSatisfy({ $0.label == nil }) else {
                error(.argumentCount(2, args.count), at: span)
                return .error(span)
            }
            // The result is never optional: `m[k] = max(c ? a : b, 4)` compares `Int`s.
            let hint = hint.map { $0.optionalWrapped ?? $0 }
            let (a, b) =
                isLiteralLike(args[0].value) && !isLiteralLike(args[1].value)
                ? {
                    let b = infer(args[1].value, hint: hint); return (check(args[0].value, expected: b.type), b)
                }()
                : {
                    let a = infer(args[0].value, hint: hint); return (a, check(args[1].value, expected: a.type))
                }()
            if a.type.isError || b.type.isError { return .error(span) }
            guard a.type.isNumeric || context.isComparable(a.type) else {
                error(.notComparable(context.typeName(a.type)), at: span)
                return .error(span)
            }
            return TExpr(.builtin(.free(name == "min" ? .min : .max), [a, b]), a.type, span)
        case "abs":
            guard args.count == 1, args[0].label == nil else {
                error(.argumentCount(1, args.count), at: span)
                return .error(span)
            }
            let v = infer(args[0].value, hint: hint)
            if v.type.isError { return .error(span) }
            guard v.type == .double || (v.type.intKind?.isSigned ?? false) else {
                error(.unaryOperand("abs", context.typeName(v.type)), at: span)
                return .error(span)
            }
            return TExpr(.builtin(.free(.abs), [v]), v.type, span)
        default:
            return nil
        }
    }
}

extension UInt {
    var toUInt64: UInt64 { UInt64(self) }
}

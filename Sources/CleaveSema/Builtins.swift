// Built-in properties, methods, initializers and free functions.
//
// Documentation/Builtins.md is the user's view of this file. Each built-in is
// elaborated to `TExpr.Kind.builtin(name, operands)` where the name is
// `Type.member` (`Bytes.split`, `Array.append`, `Int.parse`, …) and the operands
// are the receiver (if any) followed by the arguments in parameter order, with
// defaults filled in. Later stages switch on these names; `Builtins.names`
// lists every one, and a test checks each is reachable from source.

import CleaveDiagnostics
import CleaveGrammar

public enum Builtins {
    /// Built-ins that change their receiver (the first operand): their next version
    /// of the receiver is written back where the receiver came from.
    public static let mutating: Set<String> = [
        "Bytes.append", "Bytes.appendContents", "Bytes.writeUInt8", "Bytes.writeUInt16", "Bytes.writeUInt32",
        "Bytes.writeUInt64", "Array.append", "Array.appendContents", "Array.removeLast", "Array.insert", "Array.remove",
        "Array.swapAt", "Map.removeValue",
    ]
    static let freeFunctions: Set<String> = ["print", "fatalError", "min", "max", "abs"]
    /// Built-ins whose result may be ignored without a warning.
    static let discardable: Set<String> = ["Array.removeLast", "Array.remove", "Map.removeValue"]

    /// Built-ins that never trap, whatever their operands (those taking a closure aside:
    /// what they do is what the closure does). An answer an operand can make absent is an
    /// optional (`first`, `min()`, `parse`), never a trap. Any built-in not listed may trap.
    static let neverTrap: Set<String> = [
        "Bytes.count", "String.count", "Array.count", "Map.count", "Bytes.isEmpty", "String.isEmpty", "Array.isEmpty",
        "Map.isEmpty", "Array.first", "Array.last", "Array.min", "Array.max", "Array.contains", "Array.firstIndex",
        "Array.reversed", "Array.sorted", "Array.joined", "Array.enumerated", "Array.append", "Array.appendContents",
        "Bytes.split", "Bytes.append", "Bytes.appendContents", "Bytes.hasPrefix", "String.hasPrefix",
        "Bytes.hasSuffix", "String.hasSuffix", "Bytes.trimmed", "Bytes.lowercased", "Bytes.uppercased",
        "Bytes.firstIndex", "Bytes.encode", "Bytes.fromArray", "String.decode", "String.format", "Double.convert",
        "Double.parse", "Double.squareRoot", "Double.rounded", "Double.magnitude", "Map.empty", "Map.keys",
        "Map.values", "Map.removeValue", "UdpDevice.readAhead", "Lookahead.any", "Lookahead.push", "Lookahead.pop",
    ]
    /// Of each integer type's built-ins (`Int.max`, `UInt8.parse`), those that never trap.
    static let integerNeverTrap: Set<String> = ["max", "min", "truncating", "parse"]

    /// The built-in never traps, whatever its operands.
    public static func cannotTrap(_ name: String) -> Bool {
        if neverTrap.contains(name) { return true }
        let parts = name.split(separator: ".")
        guard parts.count == 2, IntKind(rawValue: String(parts[0])) != nil else { return false }
        return integerNeverTrap.contains(String(parts[1]))
    }
}

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

    func builtin(_ name: String, _ operands: [TExpr]?, _ type: Ty, _ span: SourceSpan) -> TExpr {
        guard let operands else { return .error(span) }
        return TExpr(.builtin(name, operands), type, span)
    }

    func intConstant(_ v: Int, _ span: SourceSpan) -> TExpr {
        TExpr(.intLiteral(v.magnitude.toUInt64, negative: v < 0), .int, span)
    }

    // MARK: Properties

    func builtinProperty(_ base: TExpr, _ name: Identifier, span: SourceSpan) -> TExpr? {
        let t = base.type
        let typeName = builtinTypeName(t)
        switch (t, name.name) {
        case (.bytes, "count"), (.string, "count"), (.array, "count"), (.map, "count"):
            return TExpr(.builtin("\(typeName).count", [base]), .int, span)
        case (.bytes, "isEmpty"), (.string, "isEmpty"), (.array, "isEmpty"), (.map, "isEmpty"):
            return TExpr(.builtin("\(typeName).isEmpty", [base]), .bool, span)
        case (.array(let e), "first"), (.array(let e), "last"):
            return TExpr(.builtin("Array.\(name.name)", [base]), .optional(e), span)
        case (.map(let k, _), "keys"):
            return TExpr(.builtin("Map.keys", [base]), .array(k), span)
        case (.map(_, let v), "values"):
            return TExpr(.builtin("Map.values", [base]), .array(v), span)
        case (.double, "magnitude"):
            return TExpr(.builtin("Double.magnitude", [base]), .double, span)
        default:
            if isBuiltinMethodName(t, name.name) {
                error(.methodNotCalled(name.name), at: name.span)
                return .error(span)
            }
            return nil
        }
    }

    func builtinTypeName(_ t: Ty) -> String {
        switch t {
        case .bytes: "Bytes"
        case .string: "String"
        case .array: "Array"
        case .map: "Map"
        case .double: "Double"
        case .int(let k): k.rawValue
        default: context.typeName(t)
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
        let qualified = "\(builtinTypeName(base.type)).\(m)"
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
                    qualified,
                    args1([
                        BuiltinParam(label: "separator", type: .uint8),
                        BuiltinParam(label: "maxSplits", type: .int, defaultValue: maxSplits),
                    ]), .array(.bytes), span)
            case "append":
                mutating()
                if args.first?.label?.name == "contentsOf" {
                    return builtin("Bytes.appendContents", args1([BuiltinParam(label: "contentsOf", type: .bytes)]), .void, span)
                }
                return builtin(qualified, args1([BuiltinParam(label: nil, type: .uint8)]), .void, span)
            case "hasPrefix", "hasSuffix":
                return builtin(qualified, args1([BuiltinParam(label: nil, type: .bytes)]), .bool, span)
            case "firstIndex":
                return builtin(qualified, args1([BuiltinParam(label: "of", type: .uint8)]), .optional(.int), span)
            case "trimmed", "lowercased", "uppercased":
                return builtin(qualified, args1([]), .bytes, span)
            case "readUInt8", "readUInt16", "readUInt32", "readUInt64":
                let k = IntKind(rawValue: String(m.dropFirst(4)))!
                return builtin(qualified, args1([BuiltinParam(label: "at", type: .int)]), .int(k), span)
            case "writeUInt8", "writeUInt16", "writeUInt32", "writeUInt64":
                mutating()
                let k = IntKind(rawValue: String(m.dropFirst(5)))!
                return builtin(
                    qualified, args1([BuiltinParam(label: nil, type: .int(k)), BuiltinParam(label: "at", type: .int)]), .void, span)
            default: break
            }
        case .string:
            switch m {
            case "hasPrefix", "hasSuffix":
                return builtin(qualified, args1([BuiltinParam(label: nil, type: .string)]), .bool, span)
            default: break
            }
        case .double:
            switch m {
            case "squareRoot", "rounded":
                return builtin(qualified, args1([]), .double, span)
            default: break
            }
        case .map(let k, let v):
            if m == "removeValue" {
                mutating()
                return builtin(qualified, args1([BuiltinParam(label: "forKey", type: k)]), .optional(v), span)
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
                return builtin("Array.appendContents", args1([BuiltinParam(label: "contentsOf", type: .array(e))]), .void, span)
            }
            return builtin("Array.append", args1([BuiltinParam(label: nil, type: e)]), .void, span)
        case "removeLast":
            mutating()
            return builtin("Array.removeLast", args1([]), e, span)
        case "insert":
            mutating()
            return builtin("Array.insert", args1([BuiltinParam(label: nil, type: e), BuiltinParam(label: "at", type: .int)]), .void, span)
        case "remove":
            mutating()
            return builtin("Array.remove", args1([BuiltinParam(label: "at", type: .int)]), e, span)
        case "swapAt":
            mutating()
            return builtin(
                "Array.swapAt", args1([BuiltinParam(label: nil, type: .int), BuiltinParam(label: nil, type: .int)]), .void, span)
        case "reversed":
            return builtin("Array.reversed", args1([]), .array(e), span)
        case "enumerated":
            return builtin("Array.enumerated", args1([]), .array(.tuple([.int, e])), span)
        case "sorted":
            if args.isEmpty {
                guard requireComparable() else { return .error(span) }
                return builtin("Array.sorted", [base], .array(e), span)
            }
            return builtin("Array.sortedBy", args1([BuiltinParam(label: "by", type: .function([e, e], .bool))]), .array(e), span)
        case "min", "max":
            guard requireComparable() else { return .error(span) }
            return builtin("Array.\(m)", args1([]), .optional(e), span)
        case "contains":
            if args.first?.label?.name == "where" || args.first?.isTrailingClosure == true {
                return builtin("Array.containsWhere", args1([BuiltinParam(label: "where", type: .function([e], .bool))]), .bool, span)
            }
            guard requireEquatable() else { return .error(span) }
            return builtin("Array.contains", args1([BuiltinParam(label: nil, type: e)]), .bool, span)
        case "firstIndex":
            guard requireEquatable() else { return .error(span) }
            return builtin("Array.firstIndex", args1([BuiltinParam(label: "of", type: e)]), .optional(.int), span)
        case "filter":
            return builtin("Array.filter", args1([BuiltinParam(label: nil, type: .function([e], .bool))]), .array(e), span)
        case "forEach":
            return builtin("Array.forEach", args1([BuiltinParam(label: nil, type: .function([e], .void))]), .void, span)
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
            return TExpr(.builtin("Array.map", [base, f]), .array(u), span)
        case "reduce":
            guard args.count == 2, args[0].label == nil, args[1].label == nil else {
                error(.argumentCount(2, args.count), at: span)
                return .error(span)
            }
            let initial = infer(args[0].value, hint: hint)
            let f = closureArgument(args[1], params: [initial.type, e], result: initial.type)
            return TExpr(.builtin("Array.reduce", [base, initial, f]), initial.type, span)
        case "joined":
            switch e {
            case .string:
                return builtin(
                    "Array.joined",
                    args1([BuiltinParam(label: "separator", type: .string, defaultValue: TExpr(.stringLiteral([]), .string, span))]),
                    .string, span)
            case .bytes:
                return builtin(
                    "Array.joined",
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
                return TExpr(.builtin("\(k.rawValue).truncating", [v]), target, span)
            }
            guard labels == [nil] else { return badConstructor(typeName, args, span) }
            let v = infer(args[0].value, hint: conversionHint(args[0].value, target))
            switch v.type {
            case .int, .double: return TExpr(.builtin("\(k.rawValue).convert", [v]), target, span)
            case .string, .bytes: return TExpr(.builtin("\(k.rawValue).parse", [v]), .optional(target), span)
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
            case .int, .double: return TExpr(.builtin("Double.convert", [v]), .double, span)
            case .string, .bytes: return TExpr(.builtin("Double.parse", [v]), .optional(.double), span)
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
            case .int, .double, .bool: return TExpr(.builtin("String.format", [v]), .string, span)
            case .bytes: return TExpr(.builtin("String.decode", [v]), .string, span)
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
                    "Bytes.repeating",
                    builtinArguments(
                        args, [BuiltinParam(label: "repeating", type: .uint8), BuiltinParam(label: "count", type: .int)], name: "Bytes",
                        span: span), .bytes, span)
            }
            guard labels == [nil] else { return badConstructor(typeName, args, span) }
            let v = infer(args[0].value, hint: conversionHint(args[0].value, .array(.uint8)))
            switch v.type {
            case .string: return TExpr(.builtin("Bytes.encode", [v]), .bytes, span)
            case .array(.int(.uint8)): return TExpr(.builtin("Bytes.fromArray", [v]), .bytes, span)
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
            return TExpr(.builtin("Map.empty", []), .map(k, v), span)
        case "Array":
            guard let e = element else { return .error(span) }
            if args.isEmpty { return TExpr(.array([]), .array(e), span) }
            if labels == ["repeating", "count"] {
                return builtin(
                    "Array.repeating",
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
            return builtin("print", builtinArguments(args, [BuiltinParam(label: nil, type: .string)], name: name, span: span), .void, span)
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
            return TExpr(.builtin(name, [a, b]), a.type, span)
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
            return TExpr(.builtin("abs", [v]), v.type, span)
        default:
            return nil
        }
    }
}

extension UInt {
    var toUInt64: UInt64 { UInt64(self) }
}

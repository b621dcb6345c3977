// Checking expressions (other than calls).
//
// `infer` elaborates an expression and returns whatever type it has, using the
// hint only where the expression needs a context (literals, `nil`, `[]`,
// closures, implicit members). `check` additionally converts to the expected
// type or reports a mismatch. Binary operators infer the side that is not a
// literal first, so that `parts[0] == "SET"` compares `Bytes` with `Bytes` and
// `x + 1` adds in `x`'s type.

import CleaveDiagnostics
import CleaveGrammar

extension FunctionChecker {
    /// Check `e` and convert it to `expected`.
    func check(_ e: Expr, expected: Ty, context what: String = "type") -> TExpr {
        let v = infer(e, hint: expected)
        return coerce(v, to: expected, at: e.span, context: what)
    }

    /// Convert `v` to `target`, or report why it cannot be.
    func coerce(_ v: TExpr, to target: Ty, at span: SourceSpan, context what: String = "type") -> TExpr {
        if v.type == target || v.type.isError || target.isError || v.type.containsError || target.containsError {
            return v
        }
        if v.type == .never { return v }
        if case .optional(let wrapped) = target {
            if case .nilLiteral = v.kind { return TExpr(.nilLiteral, target, v.span) }
            let inner = coerce(v, to: wrapped, at: span, context: what)
            if inner.type.isError { return inner }
            return TExpr(.wrapOptional(inner), target, v.span)
        }
        if target == .bytes && v.type == .string {
            switch v.kind {
            case .stringLiteral(let b): return TExpr(.stringLiteral(b), .bytes, v.span)
            case .interpolation(let parts): return TExpr(.interpolation(parts), .bytes, v.span)
            default:
                error(
                    .conversion("String", "Bytes", what), at: span,
                    notes: [DiagnosticNote("convert explicitly with 'Bytes(…)'", at: nil)])
                return .error(span)
            }
        }
        if target == .string && v.type == .bytes {
            error(
                .conversion("Bytes", "String", what), at: span,
                notes: [DiagnosticNote("convert explicitly with 'String(…)'", at: nil)])
            return .error(span)
        }
        if case .nilLiteral = v.kind {
            error(.nilNotOptional(context.typeName(target)), at: span)
            return .error(span)
        }
        if v.type.isInteger && target.isInteger {
            error(
                .conversion(context.typeName(v.type), context.typeName(target), what), at: span,
                notes: [DiagnosticNote("convert explicitly with '\(context.typeName(target))(…)'", at: nil)])
            return .error(span)
        }
        error(.conversion(context.typeName(v.type), context.typeName(target), what), at: span)
        return .error(span)
    }

    /// An expression whose type is taken from its context: a literal, `nil`, `.case`, `[]`.
    func isLiteralLike(_ e: Expr) -> Bool {
        switch e.kind {
        case .intLiteral, .floatLiteral, .stringLiteral, .nilLiteral, .implicitMember: return true
        case .unary(.negate, let x): return isLiteralLike(x)
        case .paren(let x): return isLiteralLike(x)
        case .array(let items): return items.allSatisfy(isLiteralLike)
        case .call(let callee, _):
            if case .implicitMember = callee.kind { return true }
            return false
        default: return false
        }
    }

    func infer(_ e: Expr, hint: Ty?) -> TExpr {
        switch e.kind {
        case .error:
            return .error(e.span)
        case .paren(let inner):
            let v = infer(inner, hint: hint)
            return TExpr(v.kind, v.type, e.span)
        case .intLiteral(let text):
            return intLiteral(text, negative: false, hint: hint, span: e.span)
        case .floatLiteral(let text):
            return TExpr(.floatLiteral(Double(text) ?? 0), .double, e.span)
        case .stringLiteral(let parts):
            return stringLiteral(parts, hint: hint, span: e.span)
        case .boolLiteral(let b):
            return TExpr(.boolLiteral(b), .bool, e.span)
        case .nilLiteral:
            if let hint, case .optional = hint { return TExpr(.nilLiteral, hint, e.span) }
            if let hint, !hint.isError {
                error(.nilNotOptional(context.typeName(hint)), at: e.span)
            } else if hint == nil {
                error(.nilNeedsContext, at: e.span)
            }
            return .error(e.span)
        case .name(let name, let generics):
            return nameExpr(name, generics: generics, span: e.span)
        case .anonParam(let n):
            return anonParam(n, span: e.span)
        case .selfRef:
            guard let owner else {
                error(.selfOutsideType, at: e.span)
                return .error(e.span)
            }
            return TExpr(.selfRef, .nominal(owner), e.span)
        case .implicitMember(let name):
            return implicitMember(name, args: nil, hint: hint, span: e.span)
        case .member(let base, let name):
            return member(base, name, span: e.span)
        case .tupleIndex(let base, let i):
            let b = infer(base, hint: nil)
            guard case .tuple(let items) = b.type else {
                if !b.type.isError { error(.notATuple(context.typeName(b.type), i), at: e.span) }
                return .error(e.span)
            }
            guard i < items.count else {
                error(.tupleIndexOutOfRange(i, context.typeName(b.type)), at: e.span)
                return .error(e.span)
            }
            return TExpr(.tupleElement(b, i), items[i], e.span)
        case .call(let callee, let args):
            return call(callee, args, hint: hint, span: e.span)
        case .subscriptAccess(let base, let index):
            return subscriptExpr(base, index, span: e.span)
        case .forceUnwrap(let inner):
            let v = infer(inner, hint: hint.map { .optional($0) })
            guard let w = v.type.optionalWrapped else {
                if !v.type.isError { error(.forceUnwrapNonOptional(context.typeName(v.type)), at: e.span) }
                return v.type.isError ? v : TExpr(v.kind, v.type, e.span)
            }
            return TExpr(.forceUnwrap(v), w, e.span)
        case .unary(let op, let operand):
            return unary(op, operand, hint: hint, span: e.span)
        case .binary(let op, let lhs, let rhs):
            if op == .halfOpenRange || op == .closedRange {
                error(.rangeOutOfPlace, at: e.span)
                _ = infer(lhs, hint: nil)
                _ = infer(rhs, hint: nil)
                return .error(e.span)
            }
            if op == .and || op == .or {
                let l = check(lhs, expected: .bool)
                let r = check(rhs, expected: .bool)
                return TExpr(.binary(op, l, r), .bool, e.span)
            }
            if op == .coalesce { return coalesce(lhs, rhs, hint: hint, span: e.span) }
            // Arithmetic never yields an optional: in `m[k] = (c ? a : b) % 7` the operands are
            // `Int`s and the assignment wraps the result, so an optional context gives its
            // operands the wrapped type.
            let hint = hint.map { $0.optionalWrapped ?? $0 }
            // A shift's result has the left side's type, whatever the right side's: `1 << n` as a
            // `UInt8` shifts a `UInt8`. Other operators take both sides in one type.
            if isLiteralLike(lhs) && !isLiteralLike(rhs) && op != .shl && op != .shr {
                // Type the right side first and give its type to the literal on the left.
                let r = infer(rhs, hint: isComparison(op) ? nil : hint)
                let l = check(lhs, expected: r.type.isError ? .int : r.type)
                return binaryTyped(op, l, r, span: e.span)
            }
            let l = infer(lhs, hint: isComparison(op) || op == .shl || op == .shr ? (isComparison(op) ? nil : hint) : hint)
            return checkBinary(op, lhs: l, rhsExpr: rhs, span: e.span)
        case .ternary(let c, let a, let b):
            let tc = check(c, expected: .bool)
            if hint == nil && isLiteralLike(a) && !isLiteralLike(b) {
                // `c ? nil : x`: the other branch gives the type.
                let tb = infer(b, hint: nil)
                let target: Ty = {
                    if case .nilLiteral = a.kind, tb.type.optionalWrapped == nil, !tb.type.isError {
                        return .optional(tb.type)
                    } else {
                        return tb.type
                    }
                }()
                let ta = check(a, expected: target)
                return TExpr(.ternary(tc, ta, coerce(tb, to: target, at: b.span)), target, e.span)
            }
            let ta = infer(a, hint: hint)
            var target = hint ?? ta.type
            if hint == nil, case .nilLiteral = b.kind, ta.type.optionalWrapped == nil, !ta.type.isError {
                target = .optional(ta.type)  // `c ? x : nil`
            }
            let tb = check(b, expected: target)
            let ca = coerce(ta, to: target, at: a.span)
            return TExpr(.ternary(tc, ca, tb), target, e.span)
        case .tuple(let items):
            var hints: [Ty]?
            if case .tuple(let hs)? = hint, hs.count == items.count { hints = hs }
            let vs = items.enumerated().map { i, x in
                hints.map { check(x, expected: $0[i]) } ?? infer(x, hint: nil)
            }
            if vs.isEmpty { return TExpr(.tuple([]), .void, e.span) }
            return rejectStates(TExpr(.tuple(vs), .tuple(vs.map(\.type)), e.span), hint: hint)
        case .array(let items):
            return arrayLiteral(items, hint: hint, span: e.span)
        case .map(let entries):
            return mapLiteral(entries, hint: hint, span: e.span)
        case .arrayType:
            error(.typeAsValue("array type"), at: e.span)
            return .error(e.span)
        case .closure(let c):
            guard case .function(let ps, let r)? = hint else {
                // A hint in error: the argument of a call that was already rejected.
                if !(hint?.isError ?? false) { error(.closureOutOfPlace, at: e.span) }
                return .error(e.span)
            }
            return closure(c, params: ps, result: r, span: e.span)
        }
    }

    func isComparison(_ op: BinaryOp) -> Bool {
        switch op {
        case .eq, .ne, .lt, .le, .gt, .ge: true
        default: false
        }
    }

    // MARK: Literals

    func intLiteral(_ text: String, negative: Bool, hint: Ty?, span: SourceSpan) -> TExpr {
        var target: Ty = .int
        if let h = hint {
            let base = h.optionalWrapped ?? h
            if base.isInteger || base == .double { target = base }
        }
        let value: UInt64?
        if text.hasPrefix("0x") {
            value = UInt64(text.dropFirst(2), radix: 16)
        } else if text.hasPrefix("0b") {
            value = UInt64(text.dropFirst(2), radix: 2)
        } else if text.hasPrefix("0o") {
            value = UInt64(text.dropFirst(2), radix: 8)
        } else {
            value = UInt64(text)
        }
        if target == .double {
            let d = Double(value ?? 0)
            return TExpr(.floatLiteral(negative ? -d : d), .double, span)
        }
        guard let v = value, let kind = target.intKind else {
            error(.integerLiteralOverflow(negative ? "-" + text : text, context.typeName(target)), at: span)
            return .error(span)
        }
        let fits = negative ? (v <= kind.minMagnitude) : (v <= kind.maxValue)
        if !fits {
            if negative && !kind.isSigned {
                error(.negativeUnsigned(context.typeName(target)), at: span)
            } else {
                error(.integerLiteralOverflow(negative ? "-" + text : text, context.typeName(target)), at: span)
            }
            return .error(span)
        }
        return TExpr(.intLiteral(v, negative: negative), target, span)
    }

    func stringLiteral(_ parts: [StringPart], hint: Ty?, span: SourceSpan) -> TExpr {
        let type: Ty = (hint == .bytes || hint == .optional(.bytes)) ? .bytes : .string
        if parts.allSatisfy({ if case .bytes = $0 { true } else { false } }) {
            let bytes = parts.flatMap { p -> [UInt8] in
                if case .bytes(let b) = p { return b }
                return []
            }
            return TExpr(.stringLiteral(bytes), type, span)
        }
        var out: [TStringPart] = []
        for p in parts {
            switch p {
            case .bytes(let b): out.append(.bytes(b))
            case .interpolation(let e):
                let v = infer(e, hint: nil)
                switch v.type {
                case .int, .double, .bool, .string, .bytes, .error: break
                case let t where t.containsError: break  // `[undefined]`: already reported
                default:
                    error(.cannotInterpolate(context.typeName(v.type)), at: e.span)
                }
                out.append(.value(v))
            }
        }
        return TExpr(.interpolation(out), type, span)
    }

    func arrayLiteral(_ items: [Expr], hint: Ty?, span: SourceSpan) -> TExpr {
        let hintBase = hint.flatMap { $0.optionalWrapped ?? $0 }
        if case .array(let element)? = hintBase {
            let vs = items.map { check($0, expected: element) }
            return rejectStates(TExpr(.array(vs), .array(element), span), hint: hint)
        }
        if case .map? = hintBase, items.isEmpty {
            error(.emptyMapLiteral, at: span, fixIts: [FixIt(replace: span, with: "[:]")])
            return .error(span)
        }
        if items.isEmpty {
            // A context whose type is in error (already reported) says nothing about `[]`.
            if !(hint?.containsError ?? false) { error(.emptyArrayNeedsType, at: span) }
            return .error(span)
        }
        // As in Swift, the elements that are not literals give the element type (`[1, x]` with
        // `x: UInt8` is a `[UInt8]`; with `y: UInt8?` too, `[x, y]` is a `[UInt8?]`), else the first
        // literal that is not `nil`; a `nil` among the elements makes it optional.
        func isNil(_ e: Expr) -> Bool { if case .nilLiteral = e.kind { true } else { false } }
        var inferred: [Int: TExpr] = [:]
        for (i, item) in items.enumerated() where !isLiteralLike(item) { inferred[i] = infer(item, hint: nil) }
        let anchor = items.indices.first { inferred[$0] != nil } ?? items.firstIndex { !isNil($0) } ?? 0
        if inferred[anchor] == nil { inferred[anchor] = infer(items[anchor], hint: nil) }
        let f = inferred[anchor]!
        if f.type == .void || f.type == .never {
            error(.conversion(context.typeName(f.type), "an array element", "type"), at: items[anchor].span)
        }
        var element = f.type
        if !element.isError && element.optionalWrapped == nil
            && (items.contains(where: isNil) || inferred.values.contains { $0.type == .optional(element) })
        {
            element = .optional(element)
        }
        let vs = items.indices.map { i in inferred[i].map { coerce($0, to: element, at: $0.span) } ?? check(items[i], expected: element) }
        return rejectStates(TExpr(.array(vs), .array(element), span), hint: hint)
    }

    /// A state has identity and lives only in `main`: no array, map or tuple can hold one.
    /// Not reported again when the context is already in error (a rejected annotation).
    func rejectStates(_ v: TExpr, hint: Ty?) -> TExpr {
        guard let state = context.stateInside(v.type), !(hint?.isError ?? false) else { return v }
        error(.stateInsideValue(context.types[state.index].name, containerName(v.type)), at: v.span)
        return .error(v.span)
    }

    func containerName(_ ty: Ty) -> String {
        switch ty {
        case .array: "an array"
        case .map: "a map"
        case .tuple: "a tuple"
        case .optional: "an optional"
        default: "a value"
        }
    }

    func mapLiteral(_ entries: [(key: Expr, value: Expr)], hint: Ty?, span: SourceSpan) -> TExpr {
        let hintBase = hint.flatMap { $0.optionalWrapped ?? $0 }
        if case .map(let k, let v)? = hintBase {
            let vs = entries.map { (check($0.key, expected: k), check($0.value, expected: v)) }
            return rejectStates(TExpr(.mapLiteral(vs), .map(k, v), span), hint: hint)
        }
        guard let first = entries.first else {
            if !(hint?.containsError ?? false) { error(.emptyMapNeedsType, at: span) }
            return .error(span)
        }
        let k = infer(first.key, hint: nil)
        let v = infer(first.value, hint: nil)
        if !k.type.isError && !context.isHashable(k.type) {
            error(.notHashable(context.typeName(k.type)), at: first.key.span)
        }
        let rest = entries.dropFirst().map { (check($0.key, expected: k.type), check($0.value, expected: v.type)) }
        return rejectStates(TExpr(.mapLiteral([(k, v)] + rest), .map(k.type, v.type), span), hint: hint)
    }

    // MARK: Names

    func nameExpr(_ name: String, generics: [TypeExpr], span: SourceSpan) -> TExpr {
        if let id = lookupLocal(name) {
            return TExpr(.local(id), local(id).type, span)
        }
        if let owner, let info = ownerInfo {
            if let i = info.fields.firstIndex(where: { $0.name == name }) {
                return TExpr(.field(TExpr(.selfRef, .nominal(owner), span), i), info.fields[i].type, span)
            }
            if info.methods[name] != nil {
                error(.methodNotCalled(name), at: span)
                return .error(span)
            }
        }
        if let g = context.globalIDs[name] {
            guard let global = context.checkGlobal(g) else { return .error(span) }
            return TExpr(.global(g), global.type, span)
        }
        if let f = context.freeFunctions[name] {
            let fn = context.functions[f.index]
            if fn.params.contains(where: \.isInout) {
                error(.functionValueInout(name), at: span)
                return .error(span)
            }
            return TExpr(.functionRef(f), .function(fn.params.map(\.type), fn.result), span)
        }
        if context.typeIDs[name] != nil || BuiltinNames.reserved.contains(name) {
            error(.typeAsValue("type '\(name)'"), at: span)
            return .error(span)
        }
        if Builtin.FreeFunction(rawValue: name) != nil || name == "fatalError" || name == "embed" {
            error(.methodNotCalled(name), at: span)
            return .error(span)
        }
        undefined(name, at: span)
        return .error(span)
    }

    func undefined(_ name: String, at span: SourceSpan) {
        var notes: [DiagnosticNote] = []
        if let s = context.suggestion(for: name, among: visibleNames) {
            notes.append(DiagnosticNote("did you mean '\(s)'?", at: declarationSpan(of: s)))
        }
        error(.undefinedName(name), at: span, notes: notes)
    }

    func anonParam(_ n: Int, span: SourceSpan) -> TExpr {
        guard let frame = closures.last else {
            error(.anonParamOutsideClosure(n), at: span)
            return .error(span)
        }
        guard let params = frame.anonParams else {
            error(.anonParamInClosureWithParameters(n), at: span)
            return .error(span)
        }
        frame.usedAnon = true
        guard n < params.count else {
            error(.anonParamOutOfRange(n, params.count), at: span)
            return .error(span)
        }
        return TExpr(.local(params[n]), local(params[n]).type, span)
    }

    /// `.name` where the hint is an enum: a case without payload.
    func implicitMember(_ name: Identifier, args: [Argument]?, hint: Ty?, span: SourceSpan) -> TExpr {
        let base = hint.flatMap { $0.optionalWrapped ?? $0 }
        guard case .nominal(let id)? = base, context.types[id.index].kind == .enum else {
            if !(hint?.containsError ?? false) { error(.implicitMemberNeedsContext(name.name), at: span) }
            args?.forEach { _ = infer($0.value, hint: .error) }
            return .error(span)
        }
        return enumCase(id, name, args: args, span: span)
    }

    /// The index of case `name` of enum `id`, or nil after reporting that there is none.
    /// (`Light.yellow` and `.yellow` look the case up on the type, not on a value.)
    func caseIndex(_ name: Identifier, in id: TypeID) -> Int? {
        let info = context.types[id.index]
        if let index = info.cases.firstIndex(where: { $0.name == name.name }) { return index }
        error(
            .noStaticMember(info.name, name.name), at: name.span,
            notes: context.memberSuggestion(name.name, of: id, among: info.cases.map(\.name)))
        return nil
    }

    func enumCase(_ id: TypeID, _ name: Identifier, args: [Argument]?, span: SourceSpan) -> TExpr {
        let info = context.types[id.index]
        guard let index = caseIndex(name, in: id) else {
            args?.forEach { _ = infer($0.value, hint: .error) }
            return .error(span)
        }
        let c = info.cases[index]
        let given = args ?? []
        if args == nil && !c.payload.isEmpty {
            error(.casePayloadMissing(info.name, c.name, c.payload.count), at: span)
            return .error(span)
        }
        if given.count != c.payload.count {
            error(.casePayloadCount(info.name, c.name, c.payload.count, given.count), at: span)
            given.forEach { _ = infer($0.value, hint: .error) }
            return .error(span)
        }
        var values: [TExpr] = []
        for (a, p) in zip(given, c.payload) {
            if a.label?.name != p.label {
                if let l = p.label {
                    error(.argumentLabel(a.label?.name, l), at: a.span)
                } else if let al = a.label {
                    error(.argumentLabel(al.name, nil), at: al.span)
                }
            }
            if let amp = a.inoutSpan { error(.inoutNotAllowed, at: amp) }
            values.append(check(a.value, expected: p.type, context: "argument type"))
        }
        return TExpr(.enumCase(id, caseIndex: index, values), .nominal(id), span)
    }

    // MARK: Members

    func member(_ baseExpr: Expr, _ name: Identifier, span: SourceSpan) -> TExpr {
        // `Type.member`: an enum case without payload, or a built-in constant (`Int.max`).
        if case .name(let typeName, let generics) = baseExpr.kind, lookupLocal(typeName) == nil, generics.isEmpty,
            !(ownerInfo?.fields.contains { $0.name == typeName } ?? false)
        {
            if let id = context.typeIDs[typeName] {
                if context.types[id.index].kind == .enum {
                    return enumCase(id, name, args: nil, span: span)
                }
                error(.noStaticMember(typeName, name.name), at: name.span)
                return .error(span)
            }
            if let scalar = BuiltinNames.scalar(typeName) {
                if let k = scalar.intKind, name.name == "max" || name.name == "min" {
                    return TExpr(.builtin(.integer(k, name.name == "max" ? .max : .min), []), scalar, span)
                }
                error(.noStaticMember(typeName, name.name), at: name.span)
                return .error(span)
            }
        }
        let base = infer(baseExpr, hint: nil)
        if base.type.isError { return .error(span) }
        if case .nominal(let id) = base.type {
            let info = context.types[id.index]
            if let i = info.fields.firstIndex(where: { $0.name == name.name }) {
                if info.kind == .state {
                    let isOwnSelf: Bool = { if case .selfRef = base.kind { return owner == id } else { return false } }()
                    if !isOwnSelf {
                        error(.stateFieldPrivate(name.name, info.name), at: name.span)
                        return .error(span)
                    }
                }
                return TExpr(.field(base, i), info.fields[i].type, span)
            }
            if info.methods[name.name] != nil {
                error(.methodNotCalled(name.name), at: name.span)
                return .error(span)
            }
            error(
                .noMember(info.name, name.name), at: name.span,
                notes: context.memberSuggestion(name.name, of: id, among: info.fields.map(\.name) + info.methods.keys))
            return .error(span)
        }
        if let v = builtinProperty(base, name, span: span) { return v }
        if !base.type.containsError { error(.noMember(context.typeName(base.type), name.name), at: name.span) }
        return .error(span)
    }

    // MARK: Operators

    func unary(_ op: UnaryOp, _ operand: Expr, hint: Ty?, span: SourceSpan) -> TExpr {
        if op == .negate, case .intLiteral(let text) = operand.kind {
            return intLiteral(text, negative: true, hint: hint, span: span)
        }
        if op == .negate, case .floatLiteral(let text) = operand.kind {
            return TExpr(.floatLiteral(-(Double(text) ?? 0)), .double, span)
        }
        switch op {
        case .not:
            let v = check(operand, expected: .bool)
            return TExpr(.unary(op, v), .bool, span)
        case .negate:
            let v = infer(operand, hint: hint)
            if v.type.isError { return v }
            if let k = v.type.intKind, !k.isSigned {
                error(.negateUnsigned(k.rawValue), at: span)
                return .error(span)
            }
            if !v.type.isNumeric {
                error(.unaryOperand(op.rawValue, context.typeName(v.type)), at: span)
                return .error(span)
            }
            // `-Int.min` traps for certain, like `Int.max + 1`.
            if let k = v.type.intKind, let c = constantInteger(v), !fits(-c, k) {
                error(.constantOverflow(span.file.text(of: span), k.rawValue), at: span)
                return .error(span)
            }
            return TExpr(.unary(op, v), v.type, span)
        case .bitNot:
            let v = infer(operand, hint: hint)
            if v.type.isError { return v }
            if !v.type.isInteger {
                error(.unaryOperand(op.rawValue, context.typeName(v.type)), at: span)
                return .error(span)
            }
            return TExpr(.unary(op, v), v.type, span)
        }
    }

    /// Check `lhs op rhs` where the left side is already elaborated.
    func checkBinary(_ op: BinaryOp, lhs l: TExpr, rhsExpr: Expr, span: SourceSpan) -> TExpr {
        let r: TExpr
        switch op {
        case .shl, .shr:
            r = infer(rhsExpr, hint: nil)
        case .eq, .ne:
            if case .nilLiteral = rhsExpr.kind {
                r = l.type.optionalWrapped != nil ? TExpr(.nilLiteral, l.type, rhsExpr.span) : check(rhsExpr, expected: l.type)
            } else if let w = l.type.optionalWrapped {
                r = coerce(infer(rhsExpr, hint: l.type), to: l.type, at: rhsExpr.span)
                _ = w
            } else {
                r = check(rhsExpr, expected: l.type)
            }
        default:
            r = l.type.isError ? infer(rhsExpr, hint: nil) : check(rhsExpr, expected: l.type)
        }
        return binaryTyped(op, l, r, span: span)
    }

    /// Type a binary operation whose operands are elaborated.
    func binaryTyped(_ op: BinaryOp, _ l: TExpr, _ r: TExpr, span: SourceSpan) -> TExpr {
        checkConstantArithmetic(binaryOperation(op, l, r, span: span))
    }

    func binaryOperation(_ op: BinaryOp, _ l: TExpr, _ r: TExpr, span: SourceSpan) -> TExpr {
        if l.type.containsError || r.type.containsError { return .error(span) }
        func bad() -> TExpr {
            let optional = [l.type, r.type].first { $0.optionalWrapped != nil }
            error(
                .binaryOperands(op.rawValue, context.typeName(l.type), context.typeName(r.type)), at: span,
                notes: optional.map {
                    [
                        DiagnosticNote(
                            "a value of optional type '\(context.typeName($0))' must be unwrapped first: use 'if let', '??' or '!'", at: nil
                        )
                    ]
                } ?? [])
            return .error(span)
        }
        switch op {
        case .add:
            if l.type != r.type { return bad() }
            switch l.type {
            case .int, .double, .string, .bytes, .array: return TExpr(.binary(op, l, r), l.type, span)
            default: return bad()
            }
        case .sub, .mul, .div:
            guard l.type == r.type, l.type.isNumeric else { return bad() }
            return TExpr(.binary(op, l, r), l.type, span)
        case .mod:
            if l.type == .double && r.type == .double {
                error(.doubleRemainder, at: span)
                return .error(span)
            }
            guard l.type == r.type, l.type.isInteger else { return bad() }
            return TExpr(.binary(op, l, r), l.type, span)
        case .wrapAdd, .wrapSub, .wrapMul, .bitAnd, .bitOr, .bitXor:
            guard l.type == r.type, l.type.isInteger else { return bad() }
            return TExpr(.binary(op, l, r), l.type, span)
        case .shl, .shr:
            guard l.type.isInteger, r.type.isInteger else { return bad() }
            return TExpr(.binary(op, l, r), l.type, span)
        case .eq, .ne:
            if case .nilLiteral = r.kind, l.type.optionalWrapped != nil { return TExpr(.binary(op, l, r), .bool, span) }
            guard l.type == r.type else { return bad() }
            guard context.isEquatable(l.type) else {
                error(.notEquatable(context.typeName(l.type)), at: span)
                return .error(span)
            }
            return TExpr(.binary(op, l, r), .bool, span)
        case .lt, .le, .gt, .ge:
            guard l.type == r.type else { return bad() }
            guard context.isComparable(l.type) else {
                error(.notComparable(context.typeName(l.type)), at: span)
                return .error(span)
            }
            return TExpr(.binary(op, l, r), .bool, span)
        case .and, .or:
            guard l.type == .bool, r.type == .bool else { return bad() }
            return TExpr(.binary(op, l, r), .bool, span)
        case .coalesce, .halfOpenRange, .closedRange:
            return bad()
        }
    }

    func coalesce(_ lhs: Expr, _ rhs: Expr, hint: Ty?, span: SourceSpan) -> TExpr {
        let l = infer(lhs, hint: hint.map { .optional($0.optionalWrapped ?? $0) })
        if l.type.isError {
            _ = infer(rhs, hint: hint)
            return .error(span)
        }
        guard let w = l.type.optionalWrapped else {
            error(.coalesceNonOptional(context.typeName(l.type)), at: lhs.span)
            _ = infer(rhs, hint: hint)
            return .error(span)
        }
        // `a ?? b` where b is optional too (or `nil`) stays optional, as in Swift; the context
        // does not decide it: `(a ?? 0) + x` adds integers wherever it is used.
        if case .nilLiteral = rhs.kind {
            return TExpr(.coalesce(l, TExpr(.nilLiteral, l.type, rhs.span)), l.type, span)
        }
        let r = infer(rhs, hint: w)
        if r.type == l.type {
            return TExpr(.coalesce(l, r), l.type, span)
        }
        return TExpr(.coalesce(l, coerce(r, to: w, at: rhs.span)), w, span)
    }

    // MARK: Subscripts

    func subscriptExpr(_ baseExpr: Expr, _ index: Expr, span: SourceSpan) -> TExpr {
        let base = infer(baseExpr, hint: nil)
        if case .binary(let op, let lo, let hi) = index.kind, op == .halfOpenRange || op == .closedRange {
            let l = check(lo, expected: .int)
            let h = check(hi, expected: .int)
            switch base.type {
            case .array, .bytes:
                return TExpr(.slice(base, l, h, inclusive: op == .closedRange), base.type, span)
            case .error: return .error(span)
            default:
                error(.notSubscriptable(context.typeName(base.type)), at: span)
                return .error(span)
            }
        }
        switch base.type {
        case .array(let e):
            return TExpr(.index(base, check(index, expected: .int)), e, span)
        case .bytes:
            return TExpr(.index(base, check(index, expected: .int)), .uint8, span)
        case .map(let k, let v):
            return TExpr(.index(base, check(index, expected: k)), .optional(v), span)
        case .error:
            _ = infer(index, hint: nil)
            return .error(span)
        case .string:
            error(.stringSubscript, at: span)
            return .error(span)
        default:
            _ = infer(index, hint: nil)
            error(.notSubscriptable(context.typeName(base.type)), at: span)
            return .error(span)
        }
    }

    // MARK: Closures

    /// Check a closure against parameter types; `result == nil` infers it from the body.
    func closure(_ c: ClosureExpr, params: [Ty], result: Ty?, span: SourceSpan) -> TExpr {
        // The initial value of a global, a field or a default argument is copied into the
        // code that uses it; a closure there would have parameters of no function.
        if isGlobalInitializer {
            error(.closureInDeclarationValue, at: span)
            return .error(span)
        }
        let firstLocal = function.locals.count
        scopes.append([:])
        defer { scopes.removeLast() }
        var ids: [LocalID] = []
        var anon: [LocalID]?
        if let declared = c.params {
            if declared.count != params.count {
                error(.closureParamCount(params.count, declared.count), at: span)
            }
            for (i, p) in declared.enumerated() {
                let expected = i < params.count ? params[i] : .error
                var ty = expected
                if let te = p.type {
                    let d = context.resolveType(te)
                    if d != expected && !d.isError && !expected.isError {
                        error(.conversion(context.typeName(d), context.typeName(expected), "closure parameter type"), at: te.span)
                    }
                    ty = d
                }
                ids.append(newLocal(p.name?.name ?? "_", ty, isVar: false, at: p.span))
            }
            if declared.count < params.count {
                for i in declared.count..<params.count { ids.append(newLocal("_", params[i], isVar: false, at: span)) }
            }
        } else {
            for (i, t) in params.enumerated() { ids.append(newLocal("$\(i)", t, isVar: false, at: span)) }
            anon = ids
        }
        var declaredResult = result
        if let r = c.result {
            let d = context.resolveType(r)
            if let expected = result, d != expected, !d.isError, !expected.isError {
                error(.conversion(context.typeName(d), context.typeName(expected), "closure result type"), at: r.span)
            }
            declaredResult = d
        }
        let frame = ClosureFrame(result: declaredResult, anonParams: anon, firstLocal: firstLocal)
        closures.append(frame)
        let savedTargets = breakTargets
        breakTargets = []
        defer {
            closures.removeLast()
            breakTargets = savedTargets
        }
        var body: TBlock
        // A body that is a single expression is its result: `{ $0 < $1 }`.
        if c.body.count == 1, case .expr(let e) = c.body[0].kind {
            let v =
                declaredResult.map { r in r == .void ? infer(e, hint: nil) : check(e, expected: r, context: "closure result type") }
                ?? infer(e, hint: nil)
            if frame.result == nil { frame.result = v.type }
            let isVoid = frame.result == .void
            body = TBlock(stmts: [TStmt(kind: isVoid ? .expr(v) : .returnStmt(v), span: e.span)], span: c.span)
        } else {
            let brokenBefore = brokenStatements
            body = checkStatements(c.body, span: c.span)
            if frame.result == nil { frame.result = .void }
            if let r = frame.result, r != .void, !r.isError, !exits(body), brokenStatements == brokenBefore {
                error(.missingReturn(nil, context.typeName(r)), at: c.span.closingBrace)
            }
        }
        if let anon, !frame.usedAnon, !anon.isEmpty, c.params == nil, c.body.isEmpty == false {
            // Ignoring the parameters is fine (`{ _ in … }` is the explicit form); nothing to report.
        }
        let r = frame.result ?? .void
        return TExpr(.closure(TClosure(params: ids, result: r, body: body)), .function(ids.map { local($0).type }, r), span)
    }
}

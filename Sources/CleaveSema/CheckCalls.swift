// Checking calls.
//
// A call's callee decides what it is: a free function (or an imported C
// function), a method (explicit receiver, or `self` implied inside a method),
// an initializer (`Store()`, `Point(x: 1, y: 2)`), an enum case with a payload
// (`Shape.circle(2)`, `.circle(2)`), a closure parameter, or a built-in.
//
// Arguments are matched to parameters by label, in order, as in Swift; missing
// arguments take the parameter's default value. A parameter declared `inout`
// needs `&variable`, and the variable must be declared with `var`.
//
// States have identity, so the checker enforces where they may appear: created
// only in `main`, passed only `inout` to another state's method, never to a free
// function (free functions are pure).

import CleaveDiagnostics
import CleaveGrammar

extension FunctionChecker {
    func call(_ callee: Expr, _ args: [Argument], hint: Ty?, span: SourceSpan) -> TExpr {
        switch callee.kind {
        case .paren(let inner):
            return call(inner, args, hint: hint, span: span)
        case .implicitMember(let name):
            return implicitMember(name, args: args, hint: hint, span: span)
        case .arrayType(let t):
            guard case .array(let element) = context.resolveType(t) else { return .error(span) }
            return builtinConstructor("Array", element: element, args: args, hint: hint, span: span)
        case .name(let name, let generics):
            if let id = lookupLocal(name) {
                return callValue(TExpr(.local(id), local(id).type, callee.span), args, span: span)
            }
            if let owner, let info = ownerInfo {
                if let m = info.methods[name] {
                    return methodCall(TExpr(.selfRef, .nominal(owner), callee.span), m, args, span: span, nameSpan: callee.span)
                }
                if let i = info.fields.firstIndex(where: { $0.name == name }) {
                    let f = TExpr(.field(TExpr(.selfRef, .nominal(owner), callee.span), i), info.fields[i].type, callee.span)
                    return callValue(f, args, span: span)
                }
            }
            if context.globalIDs[name] != nil {
                return callValue(nameExpr(name, generics: generics, span: callee.span), args, span: span)
            }
            if let f = context.freeFunctions[name] {
                let fn = context.functions[f.index]
                let targs = matchArguments(fn, args, callSpan: span, calleeName: name)
                checkExclusiveAccess(targs, receiver: nil)
                return TExpr(.call(f, targs), fn.result, span)
            }
            if let id = context.typeIDs[name] {
                if !generics.isEmpty { error(.notGeneric(name), at: callee.span) }
                return initializerCall(id, args, span: span, nameSpan: callee.span)
            }
            if BuiltinNames.reserved.contains(name) {
                let element: Ty? = generics.isEmpty ? nil : .tuple(generics.map { context.resolveType($0) })
                return builtinConstructor(name, element: element, args: args, hint: hint, span: span)
            }
            if let v = builtinFreeCall(name, args, hint: hint, span: span) { return v }
            undefined(name, at: callee.span)
            args.forEach { _ = infer($0.value, hint: .error) }
            return .error(span)
        case .member(let baseExpr, let name):
            // `Type.case(payload)`
            if case .name(let typeName, _) = baseExpr.kind, lookupLocal(typeName) == nil,
                !(ownerInfo?.fields.contains { $0.name == typeName } ?? false),
                let id = context.typeIDs[typeName]
            {
                if context.types[id.index].kind == .enum {
                    return enumCase(id, name, args: args, span: span)
                }
                error(.noStaticMember(typeName, name.name), at: name.span)
                args.forEach { _ = infer($0.value, hint: .error) }
                return .error(span)
            }
            let base = infer(baseExpr, hint: nil)
            if base.type.isError {
                args.forEach { _ = infer($0.value, hint: .error) }
                return .error(span)
            }
            if case .nominal(let id) = base.type {
                let info = context.types[id.index]
                if let m = info.methods[name.name] {
                    return methodCall(base, m, args, span: span, nameSpan: name.span)
                }
                if info.fields.contains(where: { $0.name == name.name }) {
                    return callValue(member(baseExpr, name, span: callee.span), args, span: span)
                }
                error(
                    .noMember(info.name, name.name), at: name.span,
                    notes: context.memberSuggestion(name.name, of: id, among: Array(info.methods.keys) + info.fields.map(\.name)))
                args.forEach { _ = infer($0.value, hint: .error) }
                return .error(span)
            }
            return builtinMethod(base, name, args, hint: hint, span: span)
        default:
            let f = infer(callee, hint: nil)
            return callValue(f, args, span: span)
        }
    }

    /// The last character of a call, its ')': where a missing argument belongs.
    /// (See also `Argument.matchesAnyLabel`.)
    func closingBracket(of call: SourceSpan) -> SourceSpan {
        SourceSpan(file: call.file, start: max(call.start, call.end - 1), end: call.end)
    }

    /// Calling a value: only closure parameters (function-typed) can be called.
    func callValue(_ f: TExpr, _ args: [Argument], span: SourceSpan) -> TExpr {
        guard case .function(let ps, let r) = f.type else {
            if !f.type.isError { error(.notCallable(context.typeName(f.type)), at: f.span) }
            args.forEach { _ = infer($0.value, hint: .error) }
            return .error(span)
        }
        if args.count != ps.count {
            error(.argumentCount(ps.count, args.count), at: span)
            args.forEach { _ = infer($0.value, hint: .error) }
            return .error(span)
        }
        var values: [TExpr] = []
        for (a, p) in zip(args, ps) {
            if let l = a.label { error(.argumentLabel(l.name, nil), at: l.span) }
            if let amp = a.inoutSpan { error(.inoutNotAllowed, at: amp) }
            values.append(check(a.value, expected: p, context: "argument type"))
        }
        return TExpr(.callClosure(f, values), r, span)
    }

    func methodCall(_ receiver: TExpr, _ m: FunctionID, _ args: [Argument], span: SourceSpan, nameSpan: SourceSpan) -> TExpr {
        let fn = context.functions[m.index]
        if !closures.isEmpty, case .nominal(let id) = receiver.type, context.types[id.index].kind == .state {
            error(.closureCallsState(fn.name, context.types[id.index].name), at: nameSpan)
        }
        if fn.isMutating {
            checkChangeAllowedInClosure(receiver, at: nameSpan)
            // A mutating method changes the receiver, which must be mutable.
            if case .selfRef = receiver.kind {
                if !selfIsMutable {
                    error(
                        .mutatingOnImmutableSelf(fn.name), at: nameSpan,
                        notes: [
                            DiagnosticNote(
                                "mark method '\(function.name)' 'mutating' to call mutating methods on 'self'", at: function.span)
                        ])
                }
            } else {
                checkMutableReceiver(receiver, method: fn.name, at: nameSpan)
            }
        }
        if isGlobalInitializer, case .nominal(let id) = receiver.type, context.types[id.index].kind == .state {
            error(.stateInGlobal, at: span)
        }
        let targs = matchArguments(fn, args, callSpan: span, calleeName: fn.name)
        checkExclusiveAccess(targs, receiver: fn.isMutating || isState(receiver.type) ? receiver : nil)
        return TExpr(.methodCall(receiver, m, targs), fn.result, span)
    }

    /// A mutating method's receiver must be a `var` (or a field of one, …).
    func checkMutableReceiver(_ r: TExpr, method: String, at span: SourceSpan) {
        switch r.kind {
        case .local(let id):
            let info = local(id)
            if !info.isVar {
                error(
                    .mutatingOnLet(method, info.name), at: span,
                    notes: [DiagnosticNote("'\(info.name)' is declared here", at: info.span)],
                    fixIts: function.params.contains { $0.local == id } ? [] : letToVarFixIt(info.span))
            }
        case .field(let base, let i):
            guard case .nominal(let tid) = base.type else { return }
            let field = context.types[tid.index].fields[i]
            if !field.isVar {
                error(.mutatingOnLetField(method, field.name), at: span)
                return
            }
            if case .selfRef = base.kind {
                if !selfIsMutable {
                    error(
                        .mutatingOnImmutableSelf(method), at: span,
                        notes: [
                            DiagnosticNote(
                                "mark method '\(function.name)' 'mutating' to call mutating methods on 'self'", at: function.span)
                        ])
                }
                return
            }
            checkMutableReceiver(base, method: method, at: span)
        case .index(let base, _), .tupleElement(let base, _):
            checkMutableReceiver(base, method: method, at: span)
        case .error:
            return
        default:
            error(.mutatingOnTemporary(method), at: span)
        }
    }

    func initializerCall(_ id: TypeID, _ args: [Argument], span: SourceSpan, nameSpan: SourceSpan) -> TExpr {
        let info = context.types[id.index]
        if info.kind == .enum {
            error(.enumHasNoInit(info.name), at: nameSpan)
            args.forEach { _ = infer($0.value, hint: .error) }
            return .error(span)
        }
        if info.kind == .state {
            // In a global's initializer the more precise "cannot be stored in global constant" is reported.
            if !isMain && !isGlobalInitializer {
                error(.stateCreatedOutsideMain(info.name), at: span)
            }
        }
        if info.inits.isEmpty {
            if info.kind == .state {
                if !args.isEmpty {
                    error(.argumentCount(0, args.count), at: span)
                    args.forEach { _ = infer($0.value, hint: .error) }
                }
                return TExpr(.memberwise(id, memberwiseDefaults(id, given: [:])), .nominal(id), span)
            }
            return memberwiseCall(id, args, span: span)
        }
        // Choose the initializer whose labels match the arguments.
        let labels = args.map { $0.label?.name }
        let candidates = info.inits.filter { f in
            let ps = context.functions[f.index].params
            return labelsMatch(ps, labels)
        }
        guard let chosen = candidates.first else {
            let forms = info.inits.map { f in
                "\(info.name)(\(context.functions[f.index].params.map { ($0.label ?? "_") + ":" }.joined()))"
            }
            error(
                .noMatchingInit(info.name, labels.map { ($0 ?? "_") + ":" }.joined()), at: span,
                notes: forms.map { DiagnosticNote("candidate: \($0)", at: nil) })
            args.forEach { _ = infer($0.value, hint: .error) }
            return .error(span)
        }
        let fn = context.functions[chosen.index]
        let targs = matchArguments(fn, args, callSpan: span, calleeName: "\(info.name).init")
        return TExpr(.initCall(id, chosen, targs), .nominal(id), span)
    }

    func labelsMatch(_ ps: [ParamInfo], _ labels: [String?]) -> Bool {
        var i = 0
        for p in ps {
            if i < labels.count && labels[i] == p.label {
                i += 1
            } else if !p.hasDefault {
                return false
            }
        }
        return i == labels.count
    }

    /// A struct's memberwise initializer: `Point(x: 1, y: 2)`; fields with defaults may be left out.
    func memberwiseCall(_ id: TypeID, _ args: [Argument], span: SourceSpan) -> TExpr {
        let info = context.types[id.index]
        var given: [Int: TExpr] = [:]
        var ai = 0
        var ok = true
        func hasDefault(_ f: FieldInfo) -> Bool { f.defaultValue != nil }
        // As in Swift, a `let` field with a default value is not a parameter: it cannot be set twice.
        let isParameter = info.fields.map { $0.isVar || !hasDefault($0) }
        for (fi, f) in info.fields.enumerated() where isParameter[fi] {
            let hasDefault = hasDefault(f)
            if ai < args.count, args[ai].label?.name == f.name {
                let a = args[ai]
                if let amp = a.inoutSpan { error(.inoutNotAllowed, at: amp) }
                given[fi] = check(a.value, expected: f.type, context: "argument type")
                ai += 1
            } else if !hasDefault {
                if ai < args.count, let l = args[ai].label,
                    info.fields.indices.contains(where: { isParameter[$0] && info.fields[$0].name == l.name })
                {
                    error(.argumentOrder(l.name, f.name), at: args[ai].span)
                } else if ai < args.count {
                    error(.argumentLabel(args[ai].label?.name, f.name), at: args[ai].span)
                } else {
                    error(.missingArgument(f.name, "\(info.name)"), at: span)
                }
                ok = false
                break
            }
        }
        if ok && ai < args.count {
            error(.extraArgument(info.name), at: args[ai].span)
            ok = false
        }
        if !ok {
            for a in args.dropFirst(ai) { _ = infer(a.value, hint: .error) }
            return .error(span)
        }
        return TExpr(.memberwise(id, memberwiseDefaults(id, given: given)), .nominal(id), span)
    }

    /// One value per field: given ones, else the field's default value.
    func memberwiseDefaults(_ id: TypeID, given: [Int: TExpr]) -> [TExpr] {
        let info = context.types[id.index]
        return info.fields.enumerated().map { i, f in
            given[i] ?? f.defaultValue ?? TExpr.error(f.span)
        }
    }

    /// A call may change a variable through one path only: the same variable passed
    /// `inout` twice (or passed `inout` to a method that changes it as its receiver) would
    /// give the callee two names for one value, as in Swift's exclusivity rule.
    func checkExclusiveAccess(_ args: [TArgument], receiver: TExpr?) {
        func root(_ e: TExpr) -> String? {
            switch e.kind {
            case .local(let id): return "local \(id.index)"
            case .selfRef: return "self"
            case .field(let b, _), .index(let b, _), .tupleElement(let b, _): return root(b)
            default: return nil
            }
        }
        func name(_ e: TExpr) -> String {
            switch e.kind {
            case .local(let id): return local(id).name
            case .field(let b, _), .index(let b, _), .tupleElement(let b, _): return name(b)
            default: return "self"
            }
        }
        var seen: [String: TExpr] = [:]
        if let receiver, let r = root(receiver) { seen[r] = receiver }
        for a in args where a.isInout {
            guard let r = root(a.value) else { continue }
            if let first = seen[r] {
                error(
                    .overlappingAccess(name(a.value)), at: a.value.span,
                    notes: [DiagnosticNote("'\(name(first))' is also changed by the call here", at: first.span)])
            } else {
                seen[r] = a.value
            }
        }
    }

    /// Match call arguments to a function's parameters by label; fill in defaults.
    func matchArguments(_ fn: TFunction, _ args: [Argument], callSpan: SourceSpan, calleeName: String) -> [TArgument] {
        var out: [TArgument] = []
        var ai = 0
        let isC: Bool = { if case .c = fn.kind { return true } else { return false } }()
        for (pi, p) in fn.params.enumerated() {
            if ai < args.count
                && (args[ai].label?.name == p.label || (isC && args[ai].label == nil) || args[ai].matchesAnyLabel(of: p.type))
            {
                out.append(argument(args[ai], for: p, of: fn))
                ai += 1
                continue
            }
            if p.hasDefault {
                out.append(TArgument(value: defaultArgument(fn, pi, at: callSpan), isInout: false))
                continue
            }
            if ai < args.count {
                let a = args[ai]
                if let l = a.label, fn.params.contains(where: { $0.label == l.name }) {
                    error(.argumentOrder(l.name, p.label ?? p.name), at: a.span)
                } else {
                    error(
                        .argumentLabel(a.label?.name, p.label), at: a.label?.span ?? a.span,
                        fixIts: p.label.map { l in
                            a.label.map { [FixIt(replace: $0.span, with: l)] } ?? [FixIt.insert("\(l): ", at: a.span)]
                        }
                            ?? a.label.map {
                                [
                                    FixIt(
                                        replace: $0.span.to(SourceSpan(file: $0.span.file, start: $0.span.end, end: a.value.span.start)),
                                        with: "")
                                ]
                            } ?? [])
                }
            } else {
                error(
                    .missingArgument(p.label ?? p.name, calleeName), at: closingBracket(of: callSpan),
                    notes: [DiagnosticNote("'\(calleeName)' is declared here", at: fn.span)])
            }
            for a in args.dropFirst(ai) { _ = infer(a.value, hint: .error) }
            return out
        }
        if ai < args.count {
            error(.extraArgument(calleeName), at: args[ai].span)
            for a in args.dropFirst(ai) { _ = infer(a.value, hint: .error) }
        }
        return out
    }

    func defaultArgument(_ fn: TFunction, _ i: Int, at span: SourceSpan) -> TExpr {
        if let v = fn.defaultArguments[i] { return v }
        guard let decl = context.functionSyntax[fn.id], i < decl.params.count, let d = decl.params[i].defaultValue else {
            return .error(span)
        }
        let scratch = context.newFunctionlessChecker()
        let v = scratch.check(d, expected: fn.params[i].type)
        fn.defaultArguments[i] = v
        return v
    }

    func argument(_ a: Argument, for p: ParamInfo, of fn: TFunction) -> TArgument {
        if p.isInout {
            guard let amp = a.inoutSpan else {
                error(.inoutMissingAmpersand(p.name), at: a.value.span, fixIts: [.insert("&", at: a.value.span)])
                return TArgument(value: infer(a.value, hint: p.type), isInout: true)
            }
            let v = infer(a.value, hint: p.type)
            if !v.type.isError && !p.type.isError && v.type != p.type {
                error(.conversion(context.typeName(v.type), context.typeName(p.type), "argument type"), at: a.value.span)
            }
            checkInoutTarget(v, a.value, amp: amp)
            return TArgument(value: v, isInout: true)
        }
        if let amp = a.inoutSpan {
            error(.inoutNotAllowed, at: amp, fixIts: [FixIt(replace: amp, with: "")])
        }
        if case .function = p.type {
            return TArgument(value: check(a.value, expected: p.type, context: "argument type"), isInout: false)
        }
        let v = check(a.value, expected: p.type, context: "argument type")
        // A state parameter that is not `inout` was reported at its declaration already.
        if isState(v.type) && !isState(p.type) {
            error(.statePassedByValue(context.typeName(v.type)), at: a.value.span)
        }
        return TArgument(value: v, isInout: false)
    }

    /// `&x`: `x` must be a variable declared with `var` (or an inout parameter).
    func checkInoutTarget(_ v: TExpr, _ e: Expr, amp: SourceSpan) {
        checkChangeAllowedInClosure(v, at: e.span)
        switch v.kind {
        case .local(let id):
            let info = local(id)
            if !info.isVar {
                let isParam = function.params.contains { $0.local == id }
                error(
                    .inoutOfLet(info.name), at: e.span,
                    notes: isParam ? [] : [DiagnosticNote("'\(info.name)' is declared here", at: info.span)],
                    fixIts: isParam ? [] : letToVarFixIt(info.span))
            }
        case .field, .index, .tupleElement:
            if isState(v.type) {
                error(.notAssignable, at: e.span)
                return
            }
            checkAssignable(v, e)
        case .error:
            return
        default:
            error(.inoutOfTemporary, at: e.span)
        }
    }
}

extension Argument {
    /// A trailing closure fills a function-typed parameter whatever its label, as in Swift.
    func matchesAnyLabel(of parameterType: Ty) -> Bool {
        guard isTrailingClosure, label == nil, case .function = parameterType else { return false }
        return true
    }
}

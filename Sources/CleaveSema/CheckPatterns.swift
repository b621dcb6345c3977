// `switch`: case patterns and exhaustiveness.
//
// Patterns are checked against the subject's type and elaborated to `TPattern`.
// Exhaustiveness uses the usefulness algorithm of Maranget ("Warnings for
// pattern matching", JFP 2007), restricted to what Cleave patterns can express:
// enum cases (with nested payload patterns), `true`/`false`, tuples, wildcards
// and bindings. Other values (integers, strings, ranges) have no finite set of
// constructors, so a `switch` over them needs a `default` or a catch-all case.
// Cases with a `where` clause never count towards exhaustiveness.

import CleaveDiagnostics
import CleaveGrammar

/// The shape of a pattern for the exhaustiveness check.
indirect enum Shape {
    case any
    /// Constructor `index` of a finite set (enum case, `true`/`false`, the one tuple constructor).
    case ctor(Int, [Shape])
    /// A value out of an infinite set (an integer, a string): matches no constructor completely.
    case opaque
}

extension FunctionChecker {
    func checkSwitch(_ subjectExpr: Expr, _ cases: [SwitchCase], span: SourceSpan) -> TStmt? {
        let subject = infer(subjectExpr, hint: nil)
        var out: [TCase] = []
        var rows: [Shape] = []
        var sawDefault = false
        breakTargets.append(.switchCase)
        defer { breakTargets.removeLast() }
        if cases.isEmpty {
            error(.switchWithoutCases, at: span)
        }
        for c in cases {
            scopes.append([:])
            defer { scopes.removeLast() }
            if sawDefault {
                warning(.caseAfterDefault, at: c.labelSpan)
            }
            var patterns: [TPattern] = []
            if let ps = c.patterns {
                var reportedBinding = false
                for p in ps {
                    // Each pattern binds in a scope of its own, merged into the case's: the same
                    // name in two patterns is the error below, not also a redeclaration.
                    scopes.append([:])
                    patterns.append(checkPattern(p, against: subject.type))
                    let bound = scopes.removeLast()
                    if ps.count > 1 && !bound.isEmpty && !reportedBinding {
                        error(.bindingInMultiPatternCase, at: p.span)
                        reportedBinding = true
                    }
                    for (name, id) in bound where scopes[scopes.count - 1][name] == nil {
                        scopes[scopes.count - 1][name] = id
                    }
                }
            } else {
                sawDefault = true
            }
            let guardExpr = c.guardExpr.map { check($0, expected: .bool) }
            if c.body.isEmpty {
                error(.emptyCase, at: c.labelSpan, fixIts: [.insert(" break", at: c.labelSpan.endPoint)])
            }
            let body = checkStatements(c.body, span: c.span)
            if guardExpr == nil {
                if c.patterns == nil {
                    rows.append(.any)
                } else {
                    rows.append(contentsOf: patterns.map(shape))
                }
            }
            out.append(TCase(patterns: patterns, isDefault: c.patterns == nil, guardExpr: guardExpr, body: body, span: c.span))
        }
        if !subject.type.isError && !cases.isEmpty && isUseful(rows.map { [$0] }, [.any], [subject.type]) {
            let missing = missingCases(rows, subject.type)
            // The notes point at the switch's closing '}', where the missing cases go.
            let close = SourceSpan(file: span.file, start: max(span.start, span.end - 1), end: span.end)
            error(
                .switchNotExhaustive, at: subjectExpr.span,
                notes: missing.isEmpty
                    ? [DiagnosticNote("add a 'default:' case", at: close)]
                    : missing.map { DiagnosticNote("missing case '\($0)'", at: close) })
        }
        return TStmt(kind: .switchStmt(subject, out), span: span)
    }

    // MARK: Patterns

    func checkPattern(_ p: Pattern, against ty: Ty) -> TPattern {
        switch p.kind {
        case .wildcard:
            return .wildcard
        case .binding(let isVar, let name):
            return .bind(newLocal(name.name, ty, isVar: isVar, at: name.span))
        case .tuple(let items):
            guard case .tuple(let parts) = ty, parts.count == items.count else {
                if !ty.isError { error(.tuplePatternMismatch(items.count, context.typeName(ty)), at: p.span) }
                return .tuple(items.map { checkPattern($0, against: .error) })
            }
            return .tuple(zip(items, parts).map { checkPattern($0, against: $1) })
        case .enumCase(let typeName, let name, let sub):
            let base = ty
            guard case .nominal(let id) = base, context.types[id.index].kind == .enum else {
                if !ty.isError { error(.enumPatternNonEnum(name.name, context.typeName(ty)), at: p.span) }
                sub?.forEach { _ = checkPattern($0, against: .error) }
                return .wildcard
            }
            let info = context.types[id.index]
            if let typeName, typeName.name != info.name {
                error(.conversion(typeName.name, info.name, "pattern type"), at: typeName.span)
            }
            guard let index = caseIndex(name, in: id) else {
                sub?.forEach { _ = checkPattern($0, against: .error) }
                return .wildcard
            }
            let payload = info.cases[index].payload
            guard let sub else {
                return .enumCase(id, caseIndex: index, payload.map { _ in .wildcard })
            }
            if sub.count != payload.count {
                error(.casePayloadCount(info.name, name.name, payload.count, sub.count), at: p.span)
                sub.forEach { _ = checkPattern($0, against: .error) }
                return .enumCase(id, caseIndex: index, payload.map { _ in .wildcard })
            }
            return .enumCase(id, caseIndex: index, zip(sub, payload).map { checkPattern($0, against: $1.type) })
        case .expr(let e):
            if case .binary(let op, let lo, let hi) = e.kind, op == .halfOpenRange || op == .closedRange {
                if !ty.isError && !ty.isInteger {
                    error(.rangeNotInteger(context.typeName(ty)), at: e.span)
                    _ = infer(lo, hint: .error)
                    _ = infer(hi, hint: .error)
                    return .range(.error(lo.span), .error(hi.span), inclusive: op == .closedRange)
                }
                // One report per range: a wrong upper bound after a wrong lower one is the same mistake.
                let l = check(lo, expected: ty)
                let h = l.type.isError ? infer(hi, hint: .error) : check(hi, expected: ty)
                return .range(l, h, inclusive: op == .closedRange)
            }
            let v = check(e, expected: ty)
            if !ty.isError && !context.isEquatable(ty) {
                error(.notEquatable(context.typeName(ty)), at: e.span)
            }
            return .value(v)
        }
    }

    // MARK: Exhaustiveness

    func shape(_ p: TPattern) -> Shape {
        switch p {
        case .wildcard, .bind: return .any
        case .enumCase(_, let i, let sub): return .ctor(i, sub.map(shape))
        case .tuple(let items): return .ctor(0, items.map(shape))
        case .value(let v):
            if case .boolLiteral(let b) = v.kind { return .ctor(b ? 1 : 0, []) }
            return .opaque
        case .range: return .opaque
        }
    }

    /// The constructors of a type with a finite set of them, with their field types.
    func constructors(_ ty: Ty) -> [[Ty]]? {
        switch ty {
        case .bool: return [[], []]
        case .tuple(let items): return [items]
        case .nominal(let id):
            let info = context.types[id.index]
            guard info.kind == .enum else { return nil }
            return info.cases.map { $0.payload.map(\.type) }
        default: return nil
        }
    }

    /// Is there a value matched by `vector` and by no row of `matrix`? (Maranget's U.)
    func isUseful(_ matrix: [[Shape]], _ vector: [Shape], _ types: [Ty]) -> Bool {
        guard let first = vector.first, let ty = types.first else { return matrix.isEmpty }
        let restTypes = Array(types.dropFirst())
        switch first {
        case .ctor(let c, let args):
            guard let ctors = constructors(ty), c < ctors.count else { return true }
            return isUseful(specialize(matrix, c, arity: ctors[c].count), args + vector.dropFirst(), ctors[c] + restTypes)
        case .opaque:
            // A single value of an infinite type: only catch-all rows can cover it.
            return isUseful(defaultMatrix(matrix), Array(vector.dropFirst()), restTypes)
        case .any:
            if let ctors = constructors(ty) {
                let used = Set(
                    matrix.compactMap { row -> Int? in
                        if case .ctor(let c, _) = row.first { return c }
                        return nil
                    })
                if used.count == ctors.count {
                    return ctors.indices.contains { c in
                        isUseful(
                            specialize(matrix, c, arity: ctors[c].count),
                            Array(repeating: .any, count: ctors[c].count) + vector.dropFirst(), ctors[c] + restTypes)
                    }
                }
            }
            return isUseful(defaultMatrix(matrix), Array(vector.dropFirst()), restTypes)
        }
    }

    func specialize(_ matrix: [[Shape]], _ c: Int, arity: Int) -> [[Shape]] {
        matrix.compactMap { row in
            switch row.first {
            case .ctor(let rc, let args)? where rc == c: return args + row.dropFirst()
            case .any?: return Array(repeating: .any, count: arity) + row.dropFirst()
            default: return nil
            }
        }
    }

    func defaultMatrix(_ matrix: [[Shape]]) -> [[Shape]] {
        matrix.compactMap { row in
            if case .any? = row.first { return Array(row.dropFirst()) }
            return nil
        }
    }

    /// Top-level cases not covered, for the note (`.b(_)`, `true`).
    func missingCases(_ rows: [Shape], _ ty: Ty) -> [String] {
        guard let ctors = constructors(ty) else { return [] }
        var missing: [String] = []
        for (c, fields) in ctors.enumerated() {
            let probe: Shape = .ctor(c, fields.map { _ in .any })
            if isUseful(rows.map { [$0] }, [probe], [ty]) {
                switch ty {
                case .bool: missing.append(c == 1 ? "true" : "false")
                case .nominal(let id):
                    let info = context.types[id.index]
                    let payload = info.cases[c].payload
                    missing.append(
                        ".\(info.cases[c].name)" + (payload.isEmpty ? "" : "(" + payload.map { _ in "_" }.joined(separator: ", ") + ")"))
                default:
                    break
                }
            }
        }
        return missing
    }
}

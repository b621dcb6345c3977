// Checking one function body.
//
// A `FunctionChecker` walks a body with a stack of lexical scopes and elaborates
// each statement and expression into the typed AST. Expressions are checked
// bidirectionally: `infer(e, hint:)` computes a type, using the expected type as
// a hint where the expression alone does not determine one (an integer literal,
// `nil`, `[]`, `Map()`, `.case`, a closure), and `check(e, expected:)` then
// converts the result to the expected type (`T` to `T?`, a string literal to
// `Bytes`) or reports the mismatch.
//
// Statement-level rules live here too: assignment targets must be mutable, a
// `guard`'s else must exit, a function with a result must not fall off its end,
// `break`/`continue` need a loop, and so on. Expressions are in
// CheckExpressions.swift, calls in CheckCalls.swift, built-ins in Builtins.swift,
// switch patterns and exhaustiveness in CheckPatterns.swift.

import CleaveDiagnostics
import CleaveGrammar

final class FunctionChecker {
    let context: CheckerContext
    let function: TFunction
    let isGlobalInitializer: Bool
    var scopes: [[String: LocalID]] = [[:]]
    /// The type whose method or initializer this is.
    let owner: TypeID?
    let isInit: Bool
    var diagnostics: Diagnostics {
        get { context.diagnostics }
        set { context.diagnostics = newValue }
    }

    enum BreakTarget { case loop, switchCase }
    var breakTargets: [BreakTarget] = []

    /// The innermost closure being checked (for `return` and `$0`).
    final class ClosureFrame {
        var result: Ty?
        var anonParams: [LocalID]?
        var usedAnon = false
        /// Locals numbered below this were declared outside the closure: it captures them.
        let firstLocal: Int
        init(result: Ty?, anonParams: [LocalID]?, firstLocal: Int) {
            self.result = result
            self.anonParams = anonParams
            self.firstLocal = firstLocal
        }
    }
    var closures: [ClosureFrame] = []
    /// Statements the parser dropped after a syntax error. Where one was, whether control
    /// reaches an end is unknown, so "missing return" and the like are not reported.
    var brokenStatements = 0
    /// The value of each integer operation evaluated so far, nil when not a constant (see
    /// `constantInteger`).
    var constantOperations: [ConstantOperation: Int128?] = [:]

    init(context: CheckerContext, function: TFunction, isGlobalInitializer: Bool) {
        self.context = context
        self.function = function
        self.isGlobalInitializer = isGlobalInitializer
        switch function.kind {
        case .method(let t):
            owner = t
            isInit = false
        case .initializer(let t):
            owner = t
            isInit = true
        default:
            owner = nil
            isInit = false
        }
        for p in function.params {
            scopes[0][p.name] = p.local
        }
    }

    var ownerInfo: TypeDeclInfo? { owner.map { context.types[$0.index] } }
    var ownerIsState: Bool { ownerInfo?.kind == .state }
    var isMain: Bool { function.kind == .free && function.name == "main" }
    /// May the body change `self`'s fields?
    var selfIsMutable: Bool { isInit || ownerIsState || function.isMutating }

    func error(_ m: DiagnosticMessage, at span: SourceSpan, notes: [DiagnosticNote] = [], fixIts: [FixIt] = []) {
        if namesUnknownType(m) { return }
        context.diagnostics.error(m, at: span, notes: notes, fixIts: fixIts)
    }
    func warning(_ m: DiagnosticMessage, at span: SourceSpan, notes: [DiagnosticNote] = []) {
        if namesUnknownType(m) { return }
        context.diagnostics.append(Diagnostic(m, at: span, notes: notes))
    }
    /// A message that would name a type that could not be determined (`[<<error type>>]`)
    /// follows from an error already reported: the last line of defence against cascades.
    func namesUnknownType(_ m: DiagnosticMessage) -> Bool {
        m.text.contains(context.typeName(.error))
    }

    // MARK: Scopes and locals

    func newLocal(_ name: String, _ type: Ty, isVar: Bool, at span: SourceSpan) -> LocalID {
        let id = LocalID(index: function.locals.count)
        function.locals.append(LocalInfo(name: name, type: type, isVar: isVar, span: span))
        if name != "_" {
            // As in Swift, a name is declared once per scope (an inner scope may shadow it).
            if let previous = scopes[scopes.count - 1][name] {
                error(
                    .redeclaration(name), at: span,
                    notes: [DiagnosticNote("'\(name)' was first declared here", at: local(previous).span)])
            }
            scopes[scopes.count - 1][name] = id
        }
        return id
    }

    func lookupLocal(_ name: String) -> LocalID? {
        for scope in scopes.reversed() {
            if let id = scope[name] { return id }
        }
        return nil
    }

    func local(_ id: LocalID) -> LocalInfo { function.locals[id.index] }

    func withScope<T>(_ body: () -> T) -> T {
        scopes.append([:])
        defer { scopes.removeLast() }
        return body()
    }

    /// Where a name visible here is declared (for "did you mean" notes); nil for built-ins.
    func declarationSpan(of name: String) -> SourceSpan? {
        if let id = lookupLocal(name) { return local(id).span }
        if let info = ownerInfo {
            if let f = info.fields.first(where: { $0.name == name }) { return f.span }
            if let m = info.methods[name] { return context.functions[m.index].span }
        }
        return context.declaredAt[name]
    }

    /// All names visible here, for "did you mean" suggestions.
    var visibleNames: [String] {
        var names = scopes.flatMap(\.keys)
        if let info = ownerInfo {
            names += info.fields.map(\.name) + info.methods.keys
        }
        names += Array(context.freeFunctions.keys) + Array(context.globalIDs.keys) + Array(context.typeIDs.keys)
        return names
    }

    // MARK: Function bodies

    func checkFunctionBody(_ body: Block, decl: FuncDecl) -> TBlock {
        let block = checkBlock(body)
        let result = function.result
        if result != .void && result != .never && !result.containsError && !exits(block) && brokenStatements == 0 {
            error(
                .missingReturn(function.name, context.typeName(result)), at: body.span.closingBrace,
                notes: [DiagnosticNote("'\(function.name)' is declared here", at: decl.headerSpan)])
        }
        if result == .never && !exits(block) && brokenStatements == 0 {
            error(.neverReturns(function.name), at: body.span.closingBrace)
        }
        if isInit, let info = ownerInfo, let owner, context.nominalSyntax[owner] != nil {
            checkInitializesFields(block, info: info, at: decl.headerSpan)
        }
        return block
    }

    /// Definite initialization, as in Swift: an initializer assigns every field without a
    /// default value on every path before it returns, and before it uses `self` (reads a
    /// field, calls a method, passes `self`); a `let` field is assigned at most once.
    func checkInitializesFields(_ block: TBlock, info: TypeDeclInfo, at span: SourceSpan) {
        let required = Set(info.fields.indices.filter { info.fields[$0].defaultValue == nil })
        let all = Set(info.fields.indices)
        var analysis = InitAnalysis(checker: self, info: info, required: required)
        let start = InitAnalysis.State(definite: all.subtracting(required), possible: all.subtracting(required))
        if let end = analysis.walk(block.stmts, start) {
            analysis.checkComplete(end, at: span, returning: false)
        }
    }

    // MARK: Statements

    func checkBlock(_ b: Block) -> TBlock {
        withScope { checkStatements(b.stmts, span: b.span) }
    }

    func checkStatements(_ stmts: [Stmt], span: SourceSpan) -> TBlock {
        var out: [TStmt] = []
        var warnedUnreachable = false
        for s in stmts {
            if !warnedUnreachable, let last = out.last, exits(last) {
                if case .error = s.kind {
                } else if isValueOnNextLine(s, after: last) {
                    warnedUnreachable = true  // the parser's return-value-on-next-line says it already
                } else {
                    warning(.unreachableCode, at: s.span)
                    warnedUnreachable = true
                }
            }
            if let t = checkStatement(s) { out.append(t) }
        }
        return TBlock(stmts: out, span: span)
    }

    /// `s` directly follows a `return` without value, on the next line (no `;` between):
    /// the parser has warned that it is not returned.
    func isValueOnNextLine(_ s: Stmt, after last: TStmt) -> Bool {
        guard case .returnStmt(nil) = last.kind, last.span.file == s.span.file, last.span.end <= s.span.start else { return false }
        let between = last.span.file.text[last.span.end..<s.span.start]
        return between.contains(UInt8(ascii: "\n")) && !between.contains(UInt8(ascii: ";"))
    }

    func checkStatement(_ s: Stmt) -> TStmt? {
        switch s.kind {
        case .error:
            brokenStatements += 1
            return nil
        case .binding(let isVar, let pattern, let typeExpr, let value):
            var declared = typeExpr.map { context.resolveType($0) }
            // A state has identity: no array, map, tuple or optional holds one.
            if let d = declared, let typeExpr, !isState(d), let state = context.stateInside(d) {
                error(.stateInsideValue(context.types[state.index].name, containerName(d)), at: typeExpr.span)
                declared = .error
            }
            let v = declared.map { check(value, expected: $0) } ?? infer(value, hint: nil)
            var ty = declared ?? v.type
            if typeExpr == nil, !isState(ty), let state = context.stateInside(ty) {
                error(.stateInsideValue(context.types[state.index].name, containerName(ty)), at: value.span)  // `[Table]()`
                ty = .error
            }
            if context.containsFunction(ty) {
                error(.closureStored("a local constant or variable"), at: value.span)
            }
            if ty == .void && declared == nil, !v.type.isError {
                warning(.voidBinding(bindingName(pattern)), at: pattern.span)
            }
            let p = bind(pattern, to: ty, isVar: isVar, valueSpan: value.span)
            return TStmt(kind: .binding(p, v), span: s.span)
        case .assign(let target, let op, let value):
            return checkAssignment(target, op, value, span: s.span)
        case .discard(let e):
            let v = infer(e, hint: nil)
            return TStmt(kind: .expr(v), span: s.span)
        case .expr(let e):
            let v = infer(e, hint: nil)
            warnIfUnused(v, e)
            return TStmt(kind: .expr(v), span: s.span)
        case .ifStmt(let conds, let then, let elseBranch):
            // The conditions' bindings are visible in the then-block only.
            scopes.append([:])
            let cs = checkConditions(conds)
            let t = checkBlock(then)
            scopes.removeLast()
            var e: TBlock?
            switch elseBranch {
            case .block(let b)?: e = checkBlock(b)
            case .elseIf(let inner)?:
                if let st = withScope({ checkStatement(inner) }) { e = TBlock(stmts: [st], span: inner.span) }
            case nil: break
            }
            return TStmt(kind: .ifStmt(cs, t, e), span: s.span)
        case .guardStmt(let conds, let body):
            // The else block does not see the bindings; the rest of the enclosing block does.
            let cs = checkConditionsForGuard(conds)
            let brokenBefore = brokenStatements
            let b = checkBlockHidingGuardBindings(body, conds: cs)
            if !exits(b) && brokenStatements == brokenBefore {
                error(.guardFallsThrough, at: body.span.closingBrace)
            }
            return TStmt(kind: .guardStmt(cs, b), span: s.span)
        case .whileStmt(let conds, let body):
            return withScope {
                let cs = checkConditions(conds)
                let b = inLoop { checkBlock(body) }
                return TStmt(kind: .whileStmt(cs, b), span: s.span)
            }
        case .forStmt(let pattern, let seq, let body):
            return checkFor(pattern, seq, body, span: s.span)
        case .loopStmt(let body):
            let b = inLoop { checkBlock(body) }
            return TStmt(kind: .loopStmt(b), span: s.span)
        case .switchStmt(let subject, let cases):
            return checkSwitch(subject, cases, span: s.span)
        case .breakStmt:
            if breakTargets.isEmpty {
                error(.breakOutsideLoop, at: s.span)
                return nil
            }
            return TStmt(kind: .breakStmt, span: s.span)
        case .continueStmt:
            if !breakTargets.contains(.loop) {
                error(.continueOutsideLoop, at: s.span)
                return nil
            }
            return TStmt(kind: .continueStmt, span: s.span)
        case .returnStmt(let value):
            return checkReturn(value, span: s.span)
        }
    }

    func bindingName(_ p: BindingPattern) -> String {
        if case .name(let i) = p { return i.name }
        return "_"
    }

    func inLoop<T>(_ body: () -> T) -> T {
        breakTargets.append(.loop)
        defer { breakTargets.removeLast() }
        return body()
    }

    func warnIfUnused(_ v: TExpr, _ e: Expr) {
        if v.type == .void || v.type == .never || v.type.containsError { return }
        switch v.kind {
        case .call(let f, _), .methodCall(_, let f, _):
            warning(.unusedResult(context.functions[f.index].name, context.typeName(v.type)), at: e.span)
        case .initCall, .memberwise:
            warning(.unusedValue(context.typeName(v.type)), at: e.span)
        case .builtin(let b, _):
            if !b.isDiscardable {
                warning(.unusedValue(context.typeName(v.type)), at: e.span)
            }
        case .callClosure:
            break
        default:
            warning(.unusedValue(context.typeName(v.type)), at: e.span)
        }
    }

    /// Bind the names of a `let`/`var` pattern to the parts of a value of type `ty`.
    func bind(_ p: BindingPattern, to ty: Ty, isVar: Bool, valueSpan: SourceSpan) -> TBindingPattern {
        switch p {
        case .wildcard:
            return .wildcard
        case .name(let i):
            return .local(newLocal(i.name, ty, isVar: isVar, at: i.span))
        case .tuple(let items, let span):
            guard case .tuple(let parts) = ty, parts.count == items.count else {
                if !ty.containsError {
                    error(.tuplePatternMismatch(items.count, context.typeName(ty)), at: span)
                }
                return .tuple(items.map { bind($0, to: .error, isVar: isVar, valueSpan: valueSpan) })
            }
            return .tuple(zip(items, parts).map { bind($0, to: $1, isVar: isVar, valueSpan: valueSpan) })
        }
    }

    func isState(_ ty: Ty) -> Bool { context.isState(ty) }

    // MARK: Conditions

    func checkConditions(_ conds: [Condition]) -> [TCondition] {
        conds.map { c in
            switch c {
            case .expr(let e):
                if case .binary(let op, _, _) = e.kind, op == .halfOpenRange || op == .closedRange {
                    error(.rangeOutOfPlace, at: e.span)
                    return .bool(TExpr.error(e.span))
                }
                return .bool(check(e, expected: .bool))
            case .optionalBinding(let isVar, let name, let typeExpr, let value, let span):
                let v: TExpr
                // Resolved once, so that an unknown type is reported once.
                let declared = typeExpr.map { context.resolveType($0) }
                if let value {
                    v = infer(value, hint: declared.map { .optional($0) })
                } else {
                    v = infer(Expr(kind: .name(name.name, []), span: name.span), hint: nil)
                }
                var wrapped: Ty = .error
                if let w = v.type.optionalWrapped {
                    wrapped = w
                } else if !v.type.isError {
                    error(.bindingNonOptional(context.typeName(v.type)), at: value?.span ?? span)
                }
                if let typeExpr, let declared {
                    if !wrapped.containsError && !declared.containsError && declared != wrapped {
                        error(.conversion(context.typeName(wrapped), context.typeName(declared), "specified type"), at: typeExpr.span)
                    }
                }
                // The name has the type the user wrote, so its uses do not cascade after a mismatch.
                let bound = declared.map { $0.isError || wrapped.isError ? Ty.error : $0 } ?? wrapped
                return .unwrap(newLocal(name.name, bound, isVar: isVar, at: name.span), v)
            }
        }
    }

    func checkConditionsForGuard(_ conds: [Condition]) -> [TCondition] {
        // Bindings of a guard go into the current scope (visible after the guard).
        checkConditions(conds)
    }

    func checkBlockHidingGuardBindings(_ body: Block, conds: [TCondition]) -> TBlock {
        // Hide the names bound by the guard's conditions while checking its else block.
        var hidden: [(Int, String, LocalID)] = []
        for c in conds {
            if case .unwrap(let id, _) = c {
                let name = local(id).name
                for i in scopes.indices.reversed() where scopes[i][name] == id {
                    hidden.append((i, name, id))
                    scopes[i][name] = nil
                    break
                }
            }
        }
        // A shadowed outer name stays hidden too; that matches Swift, where the new binding is not yet in scope.
        let b = checkBlock(body)
        for (i, name, id) in hidden { scopes[i][name] = id }
        return b
    }

    // MARK: Assignment

    func checkAssignment(_ target: Expr, _ op: AssignOp, _ value: Expr, span: SourceSpan) -> TStmt? {
        let t = infer(target, hint: nil)
        checkAssignable(t, target)
        checkChangeAllowedInClosure(t, at: target.span)
        if let binop = op.binary {
            let combined = checkBinary(binop, lhs: t, rhsExpr: value, span: span)
            if combined.type.isError { return TStmt(kind: .assign(t, op: binop, .error(value.span)), span: span) }
            // `a += b` checks `a + b` and assigns the result back, which must have a's type.
            let rhs: TExpr
            if case .binary(_, _, let r) = combined.kind { rhs = r } else { rhs = combined }
            if combined.type != t.type && !t.type.containsError {
                error(.conversion(context.typeName(combined.type), context.typeName(t.type), "type"), at: value.span)
            }
            return TStmt(kind: .assign(t, op: binop, rhs), span: span)
        }
        let v = check(value, expected: t.type)
        if context.containsFunction(t.type) {
            error(.closureStored("a variable"), at: value.span)
        }
        return TStmt(kind: .assign(t, op: nil, v), span: span)
    }

    /// Closures capture values: a closure may not change anything declared outside it
    /// (a captured variable, or a field of `self`). This keeps every closure a pure
    /// function of its arguments and captures, which the dataflow graph relies on.
    func checkChangeAllowedInClosure(_ target: TExpr, at span: SourceSpan) {
        guard let frame = closures.last else { return }
        var root = target
        var selfField = "self"  // the field of `self` the change goes through, for the message
        while true {
            switch root.kind {
            case .field(let base, let i):
                if case .selfRef = base.kind, case .nominal(let id) = base.type { selfField = context.types[id.index].fields[i].name }
                root = base
                continue
            case .index(let base, _), .tupleElement(let base, _), .slice(let base, _, _, _):
                root = base
                continue
            default:
                break
            }
            break
        }
        switch root.kind {
        case .local(let id) where id.index < frame.firstLocal:
            error(.closureChangesCapture(local(id).name), at: span)
        case .selfRef:
            error(.closureChangesCapture(selfField), at: span)
        default:
            break
        }
    }

    /// Report when `t` (elaborated from `e`) cannot be assigned to.
    func checkAssignable(_ t: TExpr, _ e: Expr) {
        switch t.kind {
        case .error:
            return
        case .local(let id):
            let info = local(id)
            if !info.isVar {
                let isParam = function.params.contains { $0.local == id }
                if isParam {
                    error(.assignToParameter(info.name), at: e.span)
                } else {
                    error(
                        .assignToLet(info.name), at: e.span,
                        notes: [DiagnosticNote("'\(info.name)' is declared here", at: info.span)],
                        fixIts: letToVarFixIt(info.span))
                }
            } else if isState(info.type) {
                error(.assignToState(info.name), at: e.span)
            }
        case .global(let g):
            error(.assignToGlobal(context.globals[g]?.name ?? "?"), at: e.span)
        case .field(let base, let i):
            guard case .nominal(let tid) = base.type else { return }
            let field = context.types[tid.index].fields[i]
            let inOwnInit = isInit && owner == tid && { if case .selfRef = base.kind { return true } else { return false } }()
            if !field.isVar && !inOwnInit {
                error(
                    .assignToLetField(field.name), at: e.span,
                    notes: [DiagnosticNote("'\(field.name)' is declared here", at: field.span)])
                return
            }
            if case .selfRef = base.kind {
                if !selfIsMutable {
                    error(
                        .selfImmutable(field.name), at: e.span,
                        notes: function.kind == .method(tid)
                            ? [DiagnosticNote("mark method '\(function.name)' 'mutating' to change fields", at: function.span)] : [])
                }
                return
            }
            checkAssignable(base, innerExpr(e))
        case .tupleElement(let base, _):
            checkAssignable(base, innerExpr(e))
        case .index(let base, _):
            if case .string = base.type { return }
            checkAssignable(base, innerExpr(e))
        case .selfRef:
            // As in Swift, a mutating method (or a struct's initializer) may replace the whole
            // value, which is how a mutating enum method changes its case; a state has identity.
            if function.isMutating || (isInit && !ownerIsState) { return }
            error(.assignToSelf, at: e.span)
        default:
            error(.notAssignable, at: e.span)
        }
    }

    /// The base expression of a member, tuple element or subscript.
    func innerExpr(_ e: Expr) -> Expr {
        switch e.kind {
        case .member(let b, _), .tupleIndex(let b, _), .subscriptAccess(let b, _): return b
        case .paren(let b): return innerExpr(b)
        default: return e
        }
    }

    func letToVarFixIt(_ declSpan: SourceSpan) -> [FixIt] {
        // Find the `let` keyword before the declared name on its line.
        let file = declSpan.file
        let text = file.text
        var i = declSpan.start - 1
        let lineStart = file.lineStarts[declSpan.line - 1]
        while i >= lineStart + 2 {
            if text[i - 2] == UInt8(ascii: "l") && text[i - 1] == UInt8(ascii: "e") && text[i] == UInt8(ascii: "t") {
                return [FixIt(replace: SourceSpan(file: file, start: i - 2, end: i + 1), with: "var")]
            }
            i -= 1
        }
        return []
    }

    // MARK: Loops

    func checkFor(_ pattern: BindingPattern, _ seq: Expr, _ body: Block, span: SourceSpan) -> TStmt? {
        var iteration: TIteration
        var elementType: Ty
        if case .binary(let op, let lo, let hi) = seq.kind, op == .halfOpenRange || op == .closedRange {
            let (l, h) = checkRangeBounds(lo, hi)
            iteration = .range(l, h, inclusive: op == .closedRange)
            elementType = l.type
        } else {
            let s = infer(seq, hint: nil)
            switch s.type {
            case .array(let e):
                iteration = .array(s)
                elementType = e
            case .bytes:
                iteration = .bytes(s)
                elementType = .uint8
            case .map(let k, let v):
                iteration = .map(s)
                elementType = .tuple([k, v])
            case .error:
                iteration = .array(s)
                elementType = .error
            default:
                error(.notIterable(context.typeName(s.type)), at: seq.span)
                iteration = .array(s)
                elementType = .error
            }
        }
        return withScope {
            let p = bind(pattern, to: elementType, isVar: false, valueSpan: seq.span)
            let b = inLoop { checkBlock(body) }
            return TStmt(kind: .forStmt(p, iteration, b), span: span)
        }
    }

    /// Both ends of a range: integers of one type.
    func checkRangeBounds(_ lo: Expr, _ hi: Expr) -> (TExpr, TExpr) {
        var l: TExpr
        var h: TExpr
        if isLiteralLike(lo) && !isLiteralLike(hi) {
            h = infer(hi, hint: nil)
            l = check(lo, expected: h.type)
        } else {
            l = infer(lo, hint: nil)
            h = check(hi, expected: l.type)
        }
        if !l.type.isError && !l.type.isInteger {
            error(.rangeNotInteger(context.typeName(l.type)), at: lo.span)
            l = .error(lo.span)
            h = .error(hi.span)
        }
        return (l, h)
    }

    // MARK: Return

    func checkReturn(_ value: Expr?, span: SourceSpan) -> TStmt? {
        if let frame = closures.last {
            if let value {
                if let r = frame.result {
                    return TStmt(kind: .returnStmt(check(value, expected: r)), span: span)
                }
                let v = infer(value, hint: nil)
                frame.result = v.type
                return TStmt(kind: .returnStmt(v), span: span)
            }
            if let r = frame.result, r != .void, !r.containsError {
                error(.missingReturnValue(nil, context.typeName(r)), at: span)
            }
            frame.result = frame.result ?? .void
            return TStmt(kind: .returnStmt(nil), span: span)
        }
        if isGlobalInitializer {
            error(.notAssignable, at: span)
            return nil
        }
        let result = function.result
        guard let value else {
            if result != .void && !result.containsError {
                error(.missingReturnValue(function.name, context.typeName(result)), at: span)
            }
            return TStmt(kind: .returnStmt(nil), span: span)
        }
        if result == .void {
            let v = infer(value, hint: nil)
            if v.type != .void && !v.type.containsError {
                error(
                    .unexpectedReturnValue(function.name), at: value.span,
                    notes: [
                        DiagnosticNote(
                            "add '-> \(context.typeName(v.type))' to the declaration of '\(function.name)' to return a value",
                            at: function.span)
                    ])
            }
            return TStmt(kind: .returnStmt(v), span: span)
        }
        return TStmt(kind: .returnStmt(check(value, expected: result, context: "return type")), span: span)
    }

    // MARK: Control flow facts

    /// Control cannot continue after `s`.
    func exits(_ s: TStmt) -> Bool {
        switch s.kind {
        case .returnStmt, .breakStmt, .continueStmt: return true
        case .expr(let e): return e.type == .never
        case .binding(_, let e): return e.type == .never
        case .ifStmt(_, let a, let b?): return exits(a) && exits(b)
        // A `break` in a case leaves the switch, not the function.
        case .switchStmt(_, let cases): return !cases.isEmpty && cases.allSatisfy { exits($0.body) && !containsBreak($0.body.stmts) }
        case .loopStmt(let body): return !containsBreak(body.stmts)
        // `while true` without a `break` never ends, as in Swift.
        case .whileStmt(let conds, let body): return isAlwaysTrue(conds) && !containsBreak(body.stmts)
        default: return false
        }
    }

    func exits(_ b: TBlock) -> Bool { b.stmts.contains { exits($0) } }
}

/// The flow analysis behind `checkInitializesFields`: which fields of `self` are assigned
/// on every path (`definite`) and on some path (`possible`) at each point of an initializer.
struct InitAnalysis {
    struct State {
        var definite: Set<Int>
        var possible: Set<Int>
        func merged(_ other: State) -> State {
            State(definite: definite.intersection(other.definite), possible: possible.union(other.possible))
        }
    }
    let checker: FunctionChecker
    let info: TypeDeclInfo
    let required: Set<Int>
    /// States at the `break`s of each enclosing switch or loop.
    var breaks: [[State]] = []
    /// One report per field (and one for `self`), however many uses follow.
    var reported: Set<Int> = []
    var reportedSelf = false
    /// Walking a closure's body: its `return` is the closure's.
    var inClosure = false

    init(checker: FunctionChecker, info: TypeDeclInfo, required: Set<Int>) {
        self.checker = checker
        self.info = info
        self.required = required
    }

    /// The state after `stmts`, or nil when control does not continue after them.
    mutating func walk(_ stmts: [TStmt], _ start: State) -> State? {
        var state = start
        for s in stmts {
            guard let next = walk(s, state) else { return nil }
            state = next
        }
        return state
    }

    func merge(_ states: [State?]) -> State? {
        var result: State?
        for case let s? in states { result = result.map { $0.merged(s) } ?? s }
        return result
    }

    mutating func walk(_ s: TStmt, _ state: State) -> State? {
        var state = state
        switch s.kind {
        case .binding(_, let v):
            read(v, state)
            if v.type == .never { return nil }
        case .expr(let v):
            read(v, state)
            if v.type == .never { return nil }
        case .assign(let target, let op, let value):
            read(value, state)
            if op == nil, case .field(let base, let i) = target.kind, case .selfRef = base.kind {
                if !info.fields[i].isVar && state.possible.contains(i) {
                    checker.error(
                        .letFieldInitializedTwice(info.fields[i].name), at: target.span,
                        notes: [DiagnosticNote("'\(info.fields[i].name)' is declared here", at: info.fields[i].span)])
                }
                state.definite.insert(i)
                state.possible.insert(i)
            } else if op == nil, case .selfRef = target.kind {
                state.definite.formUnion(info.fields.indices)
                state.possible.formUnion(info.fields.indices)
            } else {
                read(target, state)
            }
        case .ifStmt(let conds, let a, let b):
            conditions(conds, state)
            let afterA = walk(a.stmts, state)
            let afterB = b.map { walk($0.stmts, state) } ?? state
            return merge([afterA, afterB])
        case .guardStmt(let conds, let body):
            conditions(conds, state)
            _ = walk(body.stmts, state)
        case .whileStmt(let conds, let body):
            conditions(conds, state)
            return loop(body, state, runsOnce: false)
        case .forStmt(_, let iteration, let body):
            switch iteration {
            case .range(let l, let h, _):
                read(l, state)
                read(h, state)
            case .array(let e), .bytes(let e), .map(let e):
                read(e, state)
            }
            return loop(body, state, runsOnce: false)
        case .loopStmt(let body):
            return loop(body, state, runsOnce: true)
        case .switchStmt(let subject, let cases):
            read(subject, state)
            breaks.append([])
            var ends: [State?] = []
            for c in cases {
                for p in c.patterns { pattern(p, state) }
                if let g = c.guardExpr { read(g, state) }
                ends.append(walk(c.body.stmts, state))
            }
            return merge(ends + breaks.removeLast())
        case .breakStmt:
            if !breaks.isEmpty { breaks[breaks.count - 1].append(state) }
            return nil
        case .continueStmt:
            return nil
        case .returnStmt(let v):
            if let v { read(v, state) }
            if !inClosure { checkComplete(state, at: s.span, returning: true) }
            return nil
        }
        return state
    }

    /// After a loop: its body may run any number of times (`loop`: until a `break`).
    mutating func loop(_ body: TBlock, _ state: State, runsOnce: Bool) -> State? {
        breaks.append([])
        let end = walk(body.stmts, state)
        let exits = breaks.removeLast()
        var possible = state.possible
        for s in exits + [end].compactMap({ $0 }) { possible.formUnion(s.possible) }
        if runsOnce {
            guard var after = merge(exits) else { return nil }
            after.possible = possible
            return after
        }
        return State(definite: state.definite, possible: possible)
    }

    mutating func conditions(_ conds: [TCondition], _ state: State) {
        for c in conds {
            switch c {
            case .bool(let e), .unwrap(_, let e): read(e, state)
            }
        }
    }

    mutating func pattern(_ p: TPattern, _ state: State) {
        switch p {
        case .value(let e): read(e, state)
        case .range(let l, let h, _):
            read(l, state)
            read(h, state)
        case .enumCase(_, _, let items), .tuple(let items): items.forEach { pattern($0, state) }
        case .wildcard, .bind: break
        }
    }

    /// Every required field is assigned in `state`.
    mutating func checkComplete(_ state: State, at span: SourceSpan, returning: Bool) {
        for i in required.subtracting(state.definite).sorted() where !reported.contains(i) {
            reported.insert(i)
            let f = info.fields[i]
            checker.error(
                returning ? .returnBeforeInitialized(f.name) : .fieldNotInitialized(f.name), at: span,
                notes: [DiagnosticNote("'\(f.name)' is declared here without a default value", at: f.span)])
        }
    }

    /// `e` is evaluated in `state`: it may read only assigned fields, and use `self` only once all are.
    mutating func read(_ e: TExpr, _ state: State) {
        switch e.kind {
        case .field(let base, let i):
            if case .selfRef = base.kind {
                if !state.definite.contains(i) && !reported.contains(i) {
                    reported.insert(i)
                    checker.error(
                        .fieldUsedBeforeInitialized(info.fields[i].name), at: e.span,
                        notes: [DiagnosticNote("'\(info.fields[i].name)' is declared here", at: info.fields[i].span)])
                }
                return
            }
            read(base, state)
        case .selfRef:
            if !required.isSubset(of: state.definite) && !reportedSelf {
                reportedSelf = true
                checker.error(.selfUsedBeforeInitialized, at: e.span)
            }
        case .intLiteral, .floatLiteral, .stringLiteral, .boolLiteral, .nilLiteral, .local, .global, .functionRef, .error:
            break
        case .interpolation(let parts):
            for case .value(let v) in parts { read(v, state) }
        case .tupleElement(let x, _), .unary(_, let x), .wrapOptional(let x), .forceUnwrap(let x), .trap(let x):
            read(x, state)
        case .call(_, let args), .initCall(_, _, let args):
            args.forEach { read($0.value, state) }
        case .methodCall(let r, _, let args):
            read(r, state)
            args.forEach { read($0.value, state) }
        case .memberwise(_, let items), .enumCase(_, _, let items), .builtin(_, let items), .tuple(let items), .array(let items):
            items.forEach { read($0, state) }
        case .callClosure(let f, let args):
            read(f, state)
            args.forEach { read($0, state) }
        case .closure(let c):
            // The closure runs during the call it is passed to: what it captures must be assigned.
            var inner = self
            inner.breaks = []
            inner.inClosure = true
            _ = inner.walk(c.body.stmts, state)
            reported = inner.reported
            reportedSelf = inner.reportedSelf
        case .binary(_, let l, let r), .coalesce(let l, let r), .index(let l, let r):
            read(l, state)
            read(r, state)
        case .ternary(let c, let a, let b):
            read(c, state)
            read(a, state)
            read(b, state)
        case .mapLiteral(let entries):
            for (k, v) in entries {
                read(k, state)
                read(v, state)
            }
        case .slice(let b, let l, let h, _):
            read(b, state)
            read(l, state)
            read(h, state)
        }
    }
}

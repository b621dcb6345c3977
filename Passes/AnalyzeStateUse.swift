/// AnalyzeStateUse: where each state is used, and what the state-locality passes
/// will do about it.
///
/// Requires: a typed program without errors (`Checker.check`).
/// Ensures: for every state created in `main`, and every state a state method takes
/// `inout`, each use (a call on it, or passing it `inout`) with the scope it is in
/// (the function, a loop body, a branch of an `if`, a case of a `switch`); each
/// scope classified — a single use, several uses (defunctionalization merges them
/// into one node), uses inside a branch (the branch decision is sent to the state's
/// node), passed `inout` to another state's method (lambda lifting splits that
/// method) — and an error for every situation no pass can fix: a state aliased by a
/// second name (`let other = device`), and a state created inside a loop. The
/// checker already rejects the other unfixable cases (a state stored in a value,
/// returned from a function, captured by a closure).
///
/// The analysis works on the typed AST, where names and source positions are still
/// those the user wrote, so its messages can point at every use involved.

import CleaveDiagnostics
import CleaveGrammar
import CleaveSema

public enum AnalyzeStateUse {
    public static func analyze(_ program: TypedProgram) -> StateUseAnalysis {
        var analysis = StateUseAnalysis()
        for f in program.functions {
            guard let body = f.body, program.files.contains(f.span.file) else { continue }
            var walker = StateUseWalker(program: program, function: f)
            walker.walk(body)
            analysis.states += walker.finish()
            analysis.diagnostics += walker.diagnostics
        }
        return analysis
    }
}

public struct StateUseAnalysis: Sendable {
    public var states: [StateReport] = []
    public var diagnostics: [Diagnostic] = []
}

/// One state as a function sees it: created there (in `main`) or received `inout`.
public struct StateReport: Sendable {
    public let name: String
    public let type: String
    /// The function the state is used in.
    public let function: String
    /// Where it is created, or where the parameter is declared.
    public let declared: SourceSpan
    public let isParameter: Bool
    public let uses: [StateUse]

    /// The uses grouped by scope, in the order the scopes first appear.
    public var scopes: [(scope: StateScope, uses: [StateUse])] {
        var order: [StateScope] = []
        var groups: [StateScope: [StateUse]] = [:]
        for u in uses {
            if groups[u.scope] == nil { order.append(u.scope) }
            groups[u.scope, default: []].append(u)
        }
        return order.map { ($0, groups[$0]!) }
    }
}

public struct StateUse: Sendable {
    public enum Kind: Sendable, Equatable {
        /// A call of one of the state's methods.
        case call(method: String)
        /// Passed `&state` to a method of another state.
        case passedInout(to: String, method: String)
    }
    public let kind: Kind
    public let span: SourceSpan
    public let scope: StateScope
}

/// Where a use is: the chain of loops and branches around it, outermost first.
public struct StateScope: Hashable, Sendable {
    public enum Step: Hashable, Sendable {
        case loop(line: Int)
        case branch(line: Int, way: String)
    }
    public let steps: [Step]

    public var isInBranch: Bool {
        steps.contains { if case .branch = $0 { true } else { false } }
    }

    public var description: String {
        if steps.isEmpty { return "the function body" }
        return steps.map { s -> String in
            switch s {
            case .loop(let line): "the loop at line \(line)"
            case .branch(let line, let way): "\(way) of the branch at line \(line)"
            }
        }.joined(separator: ", in ")
    }
}

struct StateUseWalker {
    let program: TypedProgram
    let function: TFunction
    var diagnostics: [Diagnostic] = []
    var scope: [StateScope.Step] = []
    /// The keyword of each loop around the current statement, innermost last.
    var loopKeywords: [SourceSpan] = []

    struct Tracked {
        let name: String
        let type: TypeID
        let declared: SourceSpan
        let isParameter: Bool
        var uses: [StateUse] = []
    }
    /// The states this function uses, by the local that names them.
    var states: [LocalID: Tracked] = [:]
    var order: [LocalID] = []

    init(program: TypedProgram, function: TFunction) {
        self.program = program
        self.function = function
        for p in function.params where p.isInout {
            if case .nominal(let t) = p.type, program.type(t).kind == .state {
                track(p.local, t, declared: function.locals[p.local.index].span, isParameter: true)
            }
        }
    }

    mutating func track(_ local: LocalID, _ type: TypeID, declared: SourceSpan, isParameter: Bool) {
        states[local] = Tracked(name: function.locals[local.index].name, type: type, declared: declared, isParameter: isParameter)
        order.append(local)
    }

    func finish() -> [StateReport] {
        order.compactMap { id in
            guard let s = states[id] else { return nil }
            return StateReport(
                name: s.name, type: program.type(s.type).name, function: function.name, declared: s.declared,
                isParameter: s.isParameter, uses: s.uses)
        }
    }

    func stateType(_ t: Ty) -> TypeID? {
        if case .nominal(let id) = t, program.type(id).kind == .state { return id }
        return nil
    }

    // MARK: Walking

    mutating func walk(_ b: TBlock) {
        for s in b.stmts { stmt(s) }
    }

    mutating func inScope(_ step: StateScope.Step, _ body: (inout StateUseWalker) -> Void) {
        scope.append(step)
        body(&self)
        scope.removeLast()
    }

    mutating func stmt(_ s: TStmt) {
        switch s.kind {
        case .binding(let pattern, let value):
            bindState(pattern, value, span: s.span)
            expr(value)
        case .assign(let t, _, let v):
            expr(t)
            expr(v)
        case .expr(let e):
            expr(e)
        case .ifStmt(let conds, let a, let b):
            conditions(conds)
            let line = s.span.line
            inScope(.branch(line: line, way: "the then-branch")) { $0.walk(a) }
            if let b { inScope(.branch(line: line, way: "the else-branch")) { $0.walk(b) } }
        case .guardStmt(let conds, let b):
            conditions(conds)
            inScope(.branch(line: s.span.line, way: "the else-branch")) { $0.walk(b) }
        case .whileStmt(let conds, let b):
            inLoop(s.span, keyword: "while") { w in
                w.conditions(conds)
                w.walk(b)
            }
        case .forStmt(_, let iteration, let b):
            switch iteration {
            case .range(let lo, let hi, _):
                expr(lo)
                expr(hi)
            case .array(let x), .bytes(let x), .map(let x): expr(x)
            }
            inLoop(s.span, keyword: "for") { $0.walk(b) }
        case .loopStmt(let b):
            inLoop(s.span, keyword: "loop") { $0.walk(b) }
        case .switchStmt(let subject, let cases):
            expr(subject)
            for (i, c) in cases.enumerated() {
                inScope(.branch(line: s.span.line, way: c.isDefault ? "the default case" : "case \(i + 1)")) { w in
                    c.guardExpr.map { w.expr($0) }
                    w.walk(c.body)
                }
            }
        case .returnStmt(let v):
            v.map { expr($0) }
        case .breakStmt, .continueStmt:
            break
        }
    }

    mutating func inLoop(_ span: SourceSpan, keyword: String, _ body: (inout StateUseWalker) -> Void) {
        loopKeywords.append(SourceSpan(file: span.file, start: span.start, end: span.start + keyword.utf8.count))
        inScope(.loop(line: span.line), body)
        loopKeywords.removeLast()
    }

    mutating func conditions(_ cs: [TCondition]) {
        for c in cs {
            switch c {
            case .bool(let e), .unwrap(_, let e): expr(e)
            }
        }
    }

    /// `let x = Store()` starts tracking a state; `let other = device` is an alias.
    mutating func bindState(_ pattern: TBindingPattern, _ value: TExpr, span: SourceSpan) {
        guard case .local(let id) = pattern, let t = stateType(value.type) else { return }
        switch value.kind {
        case .local(let original):
            let originalName = function.locals[original.index].name
            let aliasName = function.locals[id.index].name
            var notes: [DiagnosticNote] = []
            if let s = states[original] {
                notes.append(DiagnosticNote("'\(originalName)' is \(s.isParameter ? "received" : "created") here", at: s.declared))
            }
            // Track the alias as the same state, so every use of either name is pointed at.
            diagnostics.append(
                Diagnostic(
                    .stateAliased(originalName, aliasName), at: span,
                    notes: notes + [DiagnosticNote("a state has one name; use '\(originalName)' wherever '\(aliasName)' is used", at: nil)])
            )
            aliases[id] = original
        default:
            track(id, t, declared: value.span, isParameter: false)
            if let loop = loopKeywords.last {
                diagnostics.append(
                    Diagnostic(
                        .stateCreatedInLoop(function.locals[id.index].name), at: value.span,
                        notes: [DiagnosticNote("the loop starts here; create the state before it", at: loop)]))
            }
        }
    }

    /// Locals that are second names of a tracked state.
    var aliases: [LocalID: LocalID] = [:]

    mutating func expr(_ e: TExpr) {
        switch e.kind {
        case .methodCall(let receiver, let m, let args):
            if case .local(let id) = receiver.kind, stateType(receiver.type) != nil {
                let method = program.function(m).name
                use(id, .call(method: method), at: e.span)
                for a in args where a.isInout {
                    if case .local(let passed) = a.value.kind, stateType(a.value.type) != nil {
                        use(passed, .passedInout(to: function.locals[id.index].name, method: method), at: a.value.span)
                    }
                }
            }
            expr(receiver)
            args.forEach { expr($0.value) }
        case .closure:
            break  // closures make no calls on states (the checker sees to it)
        default:
            e.forEachChild { expr($0) }
        }
    }

    mutating func use(_ id: LocalID, _ kind: StateUse.Kind, at span: SourceSpan) {
        let target = aliases[id] ?? id
        guard states[target] != nil else { return }
        states[target]!.uses.append(StateUse(kind: kind, span: span, scope: StateScope(steps: scope)))
        if aliases[id] != nil, let alias = diagnostics.lastIndex(where: { $0.id == "state-aliased" }) {
            diagnostics[alias].notes.insert(DiagnosticNote("'\(function.locals[id.index].name)' is used here", at: span), at: 0)
        }
    }
}

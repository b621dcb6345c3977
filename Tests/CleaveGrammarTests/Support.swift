// Helpers of the parser tests: parsing snippets, and a compact S-expression
// rendering of expressions, patterns and statements that makes the shape of a
// tree (precedence, associativity, what is a call of what) easy to compare.

import CleaveDiagnostics
import CleaveGrammar
import Testing

// MARK: - Parsing snippets

func parse(_ text: String, standardModule: Bool = false) -> (FileAST, [Diagnostic]) {
    Parser.parse(SourceFile(path: "test.clv", text: text), isStandardModule: standardModule)
}

/// Parse `let x = <text>` and return the value expression.
func parseExpr(_ text: String) -> (Expr?, [Diagnostic]) {
    let (file, diags) = parse("let x = " + text)
    guard case .globalLet(let g)? = file.decls.first else { return (nil, diags) }
    return (g.value, diags)
}

/// The S-expression of `let x = <text>`'s value; the parse must be free of diagnostics.
func sexpr(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> String {
    let (e, diags) = parseExpr(text)
    #expect(diags.isEmpty, "diagnostics for \(text): \(diags.map { "\($0.id): \($0.message)" })", sourceLocation: sourceLocation)
    return e.map(sx) ?? "<no declaration>"
}

/// The statements of `func f() {\n<text>\n}` (so line N of `text` is line N+1 of the file).
func parseBody(_ text: String) -> ([Stmt], [Diagnostic]) {
    let (file, diags) = parse("func f() {\n" + text + "\n}\n")
    guard case .function(let f)? = file.decls.first, let body = f.body else { return ([], diags) }
    return (body.stmts, diags)
}

/// The statements of a body as S-expressions; the parse must be free of diagnostics.
func statements(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> [String] {
    let (stmts, diags) = parseBody(text)
    #expect(
        diags.isEmpty, "diagnostics for \(text): \(diags.map { "\($0.id)@\($0.span?.line ?? 0):\($0.span?.column ?? 0): \($0.message)" })",
        sourceLocation: sourceLocation)
    return stmts.map(sxStmt)
}

/// The one statement of a body.
func statement(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> Stmt? {
    let (stmts, diags) = parseBody(text)
    #expect(diags.isEmpty, "diagnostics for \(text): \(diags.map { "\($0.id): \($0.message)" })", sourceLocation: sourceLocation)
    #expect(stmts.count == 1, "expected one statement, got \(stmts.map(sxStmt))", sourceLocation: sourceLocation)
    return stmts.first
}

/// ASTPrinter's outline without the positions.
func outline(_ file: FileAST) -> String {
    ASTPrinter.print(file).replacing(#/ @\d+:\d+/#, with: "")
}

// MARK: - S-expressions

func sx(_ e: Expr) -> String {
    switch e.kind {
    case .intLiteral(let s), .floatLiteral(let s): return s
    case .stringLiteral(let parts):
        if parts.count == 1, case .bytes(let b) = parts[0] { return "\"\(ASTPrinter.escapeBytes(b))\"" }
        let items = parts.map { p -> String in
            switch p {
            case .bytes(let b): return "\"\(ASTPrinter.escapeBytes(b))\""
            case .interpolation(let x): return sx(x)
            }
        }
        return "(str \(items.joined(separator: " ")))"
    case .boolLiteral(let b): return "\(b)"
    case .nilLiteral: return "nil"
    case .name(let n, let args):
        return args.isEmpty ? n : n + "<" + args.map(ASTPrinter.typeText).joined(separator: ", ") + ">"
    case .anonParam(let n): return "$\(n)"
    case .selfRef: return "self"
    case .implicitMember(let i): return "." + i.name
    case .member(let b, let i): return "(. \(sx(b)) \(i.name))"
    case .tupleIndex(let b, let i): return "(# \(sx(b)) \(i))"
    case .call(let c, let args): return "(call " + ([sx(c)] + args.map(sxArg)).joined(separator: " ") + ")"
    case .subscriptAccess(let b, let i): return "([] \(sx(b)) \(sx(i)))"
    case .forceUnwrap(let x): return "(force \(sx(x)))"
    case .unary(let op, let x):
        let name =
            switch op {
            case .negate: "neg"
            case .not: "not"
            case .bitNot: "~"
            }
        return "(\(name) \(sx(x)))"
    case .binary(let op, let a, let b): return "(\(op.rawValue) \(sx(a)) \(sx(b)))"
    case .ternary(let c, let a, let b): return "(? \(sx(c)) \(sx(a)) \(sx(b)))"
    case .tuple(let items): return "(tuple" + items.map { " " + sx($0) }.joined() + ")"
    case .array(let items): return "[" + items.map(sx).joined(separator: " ") + "]"
    case .map(let entries):
        return entries.isEmpty ? "[:]" : "[" + entries.map { "\(sx($0.key)): \(sx($0.value))" }.joined(separator: ", ") + "]"
    case .arrayType(let t): return "type " + ASTPrinter.typeText(t)
    case .closure(let c): return sxClosure(c)
    case .paren(let x): return "(paren \(sx(x)))"
    case .error: return "<error>"
    }
}

func sxArg(_ a: Argument) -> String {
    (a.label.map { $0.name + ":" } ?? "") + (a.inoutSpan != nil ? "&" : "") + sx(a.value)
}

func sxClosure(_ c: ClosureExpr) -> String {
    var parts: [String] = []
    if let ps = c.params {
        let params = ps.map { ($0.name?.name ?? "_") + ($0.type.map { ": " + ASTPrinter.typeText($0) } ?? "") }
        parts.append("(" + params.joined(separator: ", ") + ")" + (c.result.map { " -> " + ASTPrinter.typeText($0) } ?? "") + " in")
    }
    parts += c.body.map { sxStmt($0) + ";" }
    return "{" + parts.joined(separator: " ") + "}"
}

func sxBinding(_ p: BindingPattern) -> String {
    switch p {
    case .name(let i): i.name
    case .wildcard: "_"
    case .tuple(let items, _): "(" + items.map(sxBinding).joined(separator: ", ") + ")"
    }
}

func sxPattern(_ p: Pattern) -> String {
    switch p.kind {
    case .wildcard: "_"
    case .binding(let isVar, let n): "\(isVar ? "var" : "let") \(n.name)"
    case .enumCase(let type, let name, let sub):
        "\(type?.name ?? "").\(name.name)" + (sub.map { "(" + $0.map(sxPattern).joined(separator: ", ") + ")" } ?? "")
    case .tuple(let items): "(" + items.map(sxPattern).joined(separator: ", ") + ")"
    case .expr(let e): "=" + sx(e)
    }
}

func sxCondition(_ c: Condition) -> String {
    switch c {
    case .expr(let e): sx(e)
    case .optionalBinding(let isVar, let name, let type, let value, _):
        "\(isVar ? "var" : "let") \(name.name)" + (type.map { ": " + ASTPrinter.typeText($0) } ?? "")
            + (value.map { " = " + sx($0) } ?? "")
    }
}

func sxBlock(_ b: Block) -> String { "{" + b.stmts.map { " " + sxStmt($0) + ";" }.joined() + " }" }

func sxStmt(_ s: Stmt) -> String {
    switch s.kind {
    case .expr(let e): return sx(e)
    case .returnStmt(let e): return e.map { "return " + sx($0) } ?? "return"
    case .binding(let isVar, let p, let t, let v):
        return "\(isVar ? "var" : "let") \(sxBinding(p))\(t.map { ": " + ASTPrinter.typeText($0) } ?? "") = \(sx(v))"
    case .assign(let target, let op, let value): return "\(sx(target)) \(op.rawValue) \(sx(value))"
    case .discard(let e): return "_ = " + sx(e)
    case .breakStmt: return "break"
    case .continueStmt: return "continue"
    case .error: return "<error>"
    case .ifStmt(let conds, let then, let elseBranch):
        var s = "if " + conds.map(sxCondition).joined(separator: ", ") + " " + sxBlock(then)
        switch elseBranch {
        case .block(let b)?: s += " else " + sxBlock(b)
        case .elseIf(let inner)?: s += " else " + sxStmt(inner)
        case nil: break
        }
        return s
    case .guardStmt(let conds, let b): return "guard " + conds.map(sxCondition).joined(separator: ", ") + " else " + sxBlock(b)
    case .whileStmt(let conds, let b): return "while " + conds.map(sxCondition).joined(separator: ", ") + " " + sxBlock(b)
    case .forStmt(let p, let seq, let b): return "for \(sxBinding(p)) in \(sx(seq)) \(sxBlock(b))"
    case .loopStmt(let b): return "loop " + sxBlock(b)
    case .switchStmt(let subject, let cases):
        let cs = cases.map { c in
            (c.patterns.map { "case " + $0.map(sxPattern).joined(separator: ", ") } ?? "default")
                + (c.guardExpr.map { " where " + sx($0) } ?? "") + ":" + c.body.map { " " + sxStmt($0) + ";" }.joined()
        }
        return "switch \(sx(subject)) { " + cs.joined(separator: " ") + " }"
    }
}

// `cleave dump --stage ast`: the syntax tree as an indented outline.
//
// One node per line, children indented by two spaces, each node followed by its
// position as `@line:col`. Types are printed in source syntax. The output is
// deterministic and is what the golden files under Tests/Golden/ast/ hold.

import CleaveDiagnostics

public struct ASTPrinter {
    private var out = ""
    private var indent = 0

    public init() {}

    public static func print(_ file: FileAST) -> String {
        var p = ASTPrinter()
        p.line("File \(file.file.path.split(separator: "/").last.map(String.init) ?? file.file.path)", nil)
        p.nested { p in
            for d in file.decls { p.decl(d) }
        }
        return p.out
    }

    private mutating func line(_ text: String, _ span: SourceSpan?) {
        out += String(repeating: "  ", count: indent) + text
        if let span { out += " @\(span.line):\(span.column)" }
        out += "\n"
    }

    private mutating func nested(_ body: (inout ASTPrinter) -> Void) {
        indent += 1
        body(&self)
        indent -= 1
    }

    public static func typeText(_ t: TypeExpr) -> String {
        switch t.kind {
        case .named(let n, let args):
            args.isEmpty ? n.name : "\(n.name)<\(args.map(typeText).joined(separator: ", "))>"
        case .array(let e): "[\(typeText(e))]"
        case .optional(let w): "\(typeText(w))?"
        case .tuple(let items): "(\(items.map(typeText).joined(separator: ", ")))"
        case .function(let ps, let r): "(\(ps.map(typeText).joined(separator: ", "))) -> \(typeText(r))"
        case .error: "<error>"
        }
    }

    private mutating func decl(_ d: Decl) {
        switch d {
        case .importDecl(let i):
            switch i.target {
            case .module(let m): line("Import module \(m)", i.span)
            case .header(let h): line("Import header \"\(h)\"", i.span)
            }
        case .globalLet(let g):
            line("GlobalLet \(g.name.name)\(g.type.map { ": " + ASTPrinter.typeText($0) } ?? "")", g.span)
            nested { $0.expr(g.value) }
        case .nominal(let n):
            line("\(n.kind == .state ? "State" : "Struct") \(n.name.name)", n.span)
            nested { p in
                for f in n.fields {
                    p.line("Field \(f.isVar ? "var" : "let") \(f.name.name)\(f.type.map { ": " + ASTPrinter.typeText($0) } ?? "")", f.span)
                    if let e = f.initializer { p.nested { $0.expr(e) } }
                }
                for f in n.inits { p.function(f) }
                for f in n.methods { p.function(f) }
            }
        case .enumDecl(let e):
            line("Enum \(e.name.name)", e.span)
            nested { p in
                for c in e.cases {
                    let payload = c.payload.map { ($0.label.map { $0.name + ": " } ?? "") + ASTPrinter.typeText($0.type) }
                    p.line("Case \(c.name.name)\(payload.isEmpty ? "" : "(" + payload.joined(separator: ", ") + ")")", c.span)
                }
                for f in e.methods { p.function(f) }
            }
        case .function(let f):
            function(f)
        }
    }

    private mutating func function(_ f: FuncDecl) {
        var mods = ""
        if f.isExtern { mods += "extern " }
        if f.isMutating { mods += "mutating " }
        let params = f.params.map { p in
            "\(p.label ?? "_") \(p.name.name): \(p.isInout ? "inout " : "")\(ASTPrinter.typeText(p.type))"
                + (p.defaultValue != nil ? " = …" : "")
        }.joined(separator: ", ")
        let result = f.result.map { " -> " + ASTPrinter.typeText($0) } ?? ""
        line("\(mods)\(f.isInit ? "Init" : "Func \(f.name.name)")(\(params))\(result)", f.span)
        nested { p in
            for param in f.params {
                if let d = param.defaultValue {
                    p.line("Default \(param.name.name)", d.span)
                    p.nested { $0.expr(d) }
                }
            }
            if let b = f.body { p.block(b) }
        }
    }

    private mutating func block(_ b: Block) {
        for s in b.stmts { stmt(s) }
    }

    private static func patternText(_ p: BindingPattern) -> String {
        switch p {
        case .name(let i): i.name
        case .wildcard: "_"
        case .tuple(let items, _): "(\(items.map(patternText).joined(separator: ", ")))"
        }
    }

    private mutating func conditions(_ cs: [Condition]) {
        for c in cs {
            switch c {
            case .expr(let e):
                line("Condition", e.span)
                nested { $0.expr(e) }
            case .optionalBinding(let isVar, let name, let type, let value, let span):
                line("OptionalBinding \(isVar ? "var" : "let") \(name.name)\(type.map { ": " + ASTPrinter.typeText($0) } ?? "")", span)
                if let value { nested { $0.expr(value) } }
            }
        }
    }

    private mutating func stmt(_ s: Stmt) {
        switch s.kind {
        case .binding(let isVar, let pattern, let type, let value):
            line("\(isVar ? "Var" : "Let") \(ASTPrinter.patternText(pattern))\(type.map { ": " + ASTPrinter.typeText($0) } ?? "")", s.span)
            nested { $0.expr(value) }
        case .assign(let target, let op, let value):
            line("Assign \(op.rawValue)", s.span)
            nested {
                $0.expr(target)
                $0.expr(value)
            }
        case .discard(let e):
            line("Discard", s.span)
            nested { $0.expr(e) }
        case .ifStmt(let conds, let then, let elseBranch):
            line("If", s.span)
            nested { p in
                p.conditions(conds)
                p.line("Then", then.span)
                p.nested { $0.block(then) }
                switch elseBranch {
                case .block(let b)?:
                    p.line("Else", b.span)
                    p.nested { $0.block(b) }
                case .elseIf(let inner)?:
                    p.line("Else", inner.span)
                    p.nested { $0.stmt(inner) }
                case nil: break
                }
            }
        case .guardStmt(let conds, let body):
            line("Guard", s.span)
            nested { p in
                p.conditions(conds)
                p.line("Else", body.span)
                p.nested { $0.block(body) }
            }
        case .whileStmt(let conds, let body):
            line("While", s.span)
            nested { p in
                p.conditions(conds)
                p.line("Body", body.span)
                p.nested { $0.block(body) }
            }
        case .forStmt(let pattern, let seq, let body):
            line("For \(ASTPrinter.patternText(pattern))", s.span)
            nested { p in
                p.expr(seq)
                p.line("Body", body.span)
                p.nested { $0.block(body) }
            }
        case .loopStmt(let body):
            line("Loop", s.span)
            nested { $0.block(body) }
        case .switchStmt(let subject, let cases):
            line("Switch", s.span)
            nested { p in
                p.expr(subject)
                for c in cases {
                    if let patterns = c.patterns {
                        p.line("Case", c.labelSpan)
                        p.nested { q in
                            for pat in patterns { q.pattern(pat) }
                            if let g = c.guardExpr {
                                q.line("Where", g.span)
                                q.nested { $0.expr(g) }
                            }
                            for st in c.body { q.stmt(st) }
                        }
                    } else {
                        p.line("Default", c.labelSpan)
                        p.nested { q in for st in c.body { q.stmt(st) } }
                    }
                }
            }
        case .breakStmt: line("Break", s.span)
        case .continueStmt: line("Continue", s.span)
        case .returnStmt(let e):
            line("Return", s.span)
            if let e { nested { $0.expr(e) } }
        case .expr(let e):
            line("ExprStmt", s.span)
            nested { $0.expr(e) }
        case .error:
            line("ErrorStmt", s.span)
        }
    }

    private mutating func pattern(_ p: Pattern) {
        switch p.kind {
        case .wildcard: line("PatternWildcard", p.span)
        case .binding(let isVar, let name): line("PatternBind \(isVar ? "var" : "let") \(name.name)", p.span)
        case .enumCase(let type, let name, let sub):
            line("PatternCase \(type.map { $0.name } ?? "").\(name.name)", p.span)
            if let sub { nested { q in for s in sub { q.pattern(s) } } }
        case .tuple(let items):
            line("PatternTuple", p.span)
            nested { q in for s in items { q.pattern(s) } }
        case .expr(let e):
            line("PatternExpr", p.span)
            nested { $0.expr(e) }
        }
    }

    public static func escapeBytes(_ bytes: [UInt8]) -> String {
        var s = ""
        for b in bytes {
            switch b {
            case 0x5C: s += "\\\\"
            case 0x22: s += "\\\""
            case 0x0A: s += "\\n"
            case 0x0D: s += "\\r"
            case 0x09: s += "\\t"
            case 0x20..<0x7F: s.append(Character(UnicodeScalar(b)))
            default:
                let hex = String(b, radix: 16, uppercase: true)
                s += "\\x" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return s
    }

    private mutating func expr(_ e: Expr) {
        switch e.kind {
        case .intLiteral(let s): line("Int \(s)", e.span)
        case .floatLiteral(let s): line("Float \(s)", e.span)
        case .stringLiteral(let parts):
            if parts.count == 1, case .bytes(let b) = parts[0] {
                line("String \"\(ASTPrinter.escapeBytes(b))\"", e.span)
            } else {
                line("InterpolatedString", e.span)
                nested { p in
                    for part in parts {
                        switch part {
                        case .bytes(let b): p.line("Text \"\(ASTPrinter.escapeBytes(b))\"", nil)
                        case .interpolation(let x): p.expr(x)
                        }
                    }
                }
            }
        case .boolLiteral(let b): line("Bool \(b)", e.span)
        case .nilLiteral: line("Nil", e.span)
        case .name(let n, let args):
            line("Name \(n)\(args.isEmpty ? "" : "<" + args.map(ASTPrinter.typeText).joined(separator: ", ") + ">")", e.span)
        case .anonParam(let n): line("AnonParam $\(n)", e.span)
        case .selfRef: line("Self", e.span)
        case .implicitMember(let n): line("ImplicitMember .\(n.name)", e.span)
        case .member(let base, let n):
            line("Member .\(n.name)", e.span)
            nested { $0.expr(base) }
        case .tupleIndex(let base, let i):
            line("TupleIndex .\(i)", e.span)
            nested { $0.expr(base) }
        case .call(let callee, let args):
            line("Call", e.span)
            nested { p in
                p.expr(callee)
                for a in args {
                    p.line("Arg\(a.label.map { " " + $0.name + ":" } ?? "")\(a.inoutSpan != nil ? " inout" : "")", a.span)
                    p.nested { $0.expr(a.value) }
                }
            }
        case .subscriptAccess(let base, let index):
            line("Subscript", e.span)
            nested {
                $0.expr(base)
                $0.expr(index)
            }
        case .forceUnwrap(let x):
            line("ForceUnwrap", e.span)
            nested { $0.expr(x) }
        case .unary(let op, let x):
            line("Unary \(op.rawValue)", e.span)
            nested { $0.expr(x) }
        case .binary(let op, let a, let b):
            line("Binary \(op.rawValue)", e.span)
            nested {
                $0.expr(a)
                $0.expr(b)
            }
        case .ternary(let c, let a, let b):
            line("Ternary", e.span)
            nested {
                $0.expr(c)
                $0.expr(a)
                $0.expr(b)
            }
        case .tuple(let items):
            line("Tuple", e.span)
            nested { p in for x in items { p.expr(x) } }
        case .array(let items):
            line("Array", e.span)
            nested { p in for x in items { p.expr(x) } }
        case .map(let entries):
            line("MapLiteral", e.span)
            nested { p in
                for (k, v) in entries {
                    p.expr(k)
                    p.expr(v)
                }
            }
        case .arrayType(let t): line("ArrayType \(ASTPrinter.typeText(t))", e.span)
        case .closure(let c):
            let params = c.params.map { ps in
                ps.map { ($0.name?.name ?? "_") + ($0.type.map { ": " + ASTPrinter.typeText($0) } ?? "") }
                    .joined(separator: ", ")
            }
            line("Closure\(params.map { " (" + $0 + ")" } ?? "")\(c.result.map { " -> " + ASTPrinter.typeText($0) } ?? "")", e.span)
            nested { p in for s in c.body { p.stmt(s) } }
        case .paren(let x):
            line("Paren", e.span)
            nested { $0.expr(x) }
        case .error: line("ErrorExpr", e.span)
        }
    }
}

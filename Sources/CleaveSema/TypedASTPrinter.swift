// `cleave dump --stage typed`: the typed AST as an indented outline.
//
// Every expression line ends with `: Type`; locals are printed as `name#N`
// (their number in the function's table), so shadowing and closure captures are
// visible. Declarations of the standard modules and C headers are summarized in
// one line each; the user's declarations are printed in full, in source order.

import CleaveDiagnostics
import CleaveGrammar

public struct TypedASTPrinter {
    let program: TypedProgram
    private var out = ""
    private var indent = 0
    private var function: TFunction?

    public static func print(_ program: TypedProgram) -> String {
        var p = TypedASTPrinter(program: program)
        p.printProgram()
        return p.out
    }

    /// `main` alone, as `print` shows it (empty without one).
    public static func printMain(_ program: TypedProgram) -> String {
        guard let m = program.main else { return "" }
        var p = TypedASTPrinter(program: program)
        p.functionDecl(program.function(m))
        return p.out
    }

    init(program: TypedProgram) {
        self.program = program
    }

    private mutating func line(_ s: String) {
        out += String(repeating: "  ", count: indent) + s + "\n"
    }

    private mutating func nested(_ body: (inout TypedASTPrinter) -> Void) {
        indent += 1
        body(&self)
        indent -= 1
    }

    func ty(_ t: Ty) -> String { program.typeName(t) }

    func isUser(_ span: SourceSpan) -> Bool { program.files.contains(span.file) }

    private mutating func printProgram() {
        line("Program")
        nested { p in
            for imp in p.program.imports {
                p.line("ImportC \"\(imp.spelledPath)\": \(imp.functions.count) functions, \(imp.structs.count) structs")
            }
            let standard = p.program.types.filter { $0.isStandard }.map(\.name)
            if !standard.isEmpty { p.line("Standard types: \(standard.joined(separator: ", "))") }
            // User declarations in source order.
            var decls: [(SourceSpan, Int, Bool)] = []  // (span, index, isType)
            for (i, t) in p.program.types.enumerated() where !t.isStandard && !t.isC { decls.append((t.span, i, true)) }
            for f in p.program.functions where f.kind == .free && p.isUser(f.span) { decls.append((f.span, f.id.index, false)) }
            decls.sort { ($0.0.file.path, $0.0.start) < ($1.0.file.path, $1.0.start) }
            for g in p.program.globals where p.isUser(g.span) {
                p.line("Global \(g.name): \(p.ty(g.type))")
                p.nested { $0.expr(g.value) }
            }
            for (_, index, isType) in decls {
                if isType { p.typeDecl(TypeID(index)) } else { p.functionDecl(p.program.functions[index]) }
            }
            if let m = p.program.main { p.line("Main \(p.program.functions[m.index].name)") }
        }
    }

    private mutating func typeDecl(_ id: TypeID) {
        let t = program.types[id.index]
        line("\(t.kind.rawValue.capitalized) \(t.name)")
        nested { p in
            for f in t.fields {
                p.line("Field \(f.isVar ? "var" : "let") \(f.name): \(p.ty(f.type))")
                if let d = f.defaultValue { p.nested { $0.expr(d) } }
            }
            for c in t.cases {
                let payload = c.payload.map { ($0.label.map { $0 + ": " } ?? "") + p.ty($0.type) }
                p.line("Case \(c.name)\(payload.isEmpty ? "" : "(" + payload.joined(separator: ", ") + ")")")
            }
            for i in t.inits { p.functionDecl(p.program.functions[i.index]) }
            for (_, m) in t.methods.sorted(by: { $0.value < $1.value }) { p.functionDecl(p.program.functions[m.index]) }
        }
    }

    private mutating func functionDecl(_ f: TFunction) {
        let saved = function
        function = f
        defer { function = saved }
        let params = f.params.map { p in
            "\(p.label ?? "_") \(p.name)#\(p.local.index): \(p.isInout ? "inout " : "")\(ty(p.type))"
        }.joined(separator: ", ")
        let kind: String =
            switch f.kind {
            case .initializer: "Init"
            case .method: f.isMutating ? "MutatingMethod" : "Method"
            case .free: "Func"
            case .c: "CFunc"
            }
        line("\(f.isExtern ? "Extern" : "")\(kind) \(f.name)(\(params)) -> \(ty(f.result))")
        nested { p in
            for (i, d) in f.defaultArguments.sorted(by: { $0.key < $1.key }) {
                p.line("Default \(f.params[i].name)")
                p.nested { $0.expr(d) }
            }
            if let b = f.body { p.block(b) }
        }
    }

    func localName(_ id: LocalID) -> String {
        guard let f = function, id.index < f.locals.count else { return "#\(id.index)" }
        return "\(f.locals[id.index].name)#\(id.index)"
    }

    private mutating func block(_ b: TBlock) {
        for s in b.stmts { stmt(s) }
    }

    func bindingText(_ p: TBindingPattern) -> String {
        switch p {
        case .local(let id):
            let info = function.map { $0.locals[id.index] }
            return "\(info?.isVar == true ? "var " : "")\(localName(id)): \(info.map { ty($0.type) } ?? "?")"
        case .wildcard: return "_"
        case .tuple(let items): return "(\(items.map(bindingText).joined(separator: ", ")))"
        }
    }

    private mutating func conditions(_ cs: [TCondition]) {
        for c in cs {
            switch c {
            case .bool(let e):
                line("Condition")
                nested { $0.expr(e) }
            case .unwrap(let id, let e):
                line("Unwrap \(bindingText(.local(id)))")
                nested { $0.expr(e) }
            }
        }
    }

    private mutating func stmt(_ s: TStmt) {
        let at = "@\(s.span.line)"
        switch s.kind {
        case .binding(let p, let v):
            line("Bind \(bindingText(p)) \(at)")
            nested { $0.expr(v) }
        case .assign(let target, let op, let v):
            line("Assign \(op.map { $0.rawValue + "=" } ?? "=") \(at)")
            nested {
                $0.expr(target)
                $0.expr(v)
            }
        case .expr(let e):
            line("Eval \(at)")
            nested { $0.expr(e) }
        case .ifStmt(let cs, let a, let b):
            line("If \(at)")
            nested { p in
                p.conditions(cs)
                p.line("Then")
                p.nested { $0.block(a) }
                if let b {
                    p.line("Else")
                    p.nested { $0.block(b) }
                }
            }
        case .guardStmt(let cs, let b):
            line("Guard \(at)")
            nested { p in
                p.conditions(cs)
                p.line("Else")
                p.nested { $0.block(b) }
            }
        case .whileStmt(let cs, let b):
            line("While \(at)")
            nested { p in
                p.conditions(cs)
                p.line("Body")
                p.nested { $0.block(b) }
            }
        case .forStmt(let pattern, let iteration, let b):
            line("For \(bindingText(pattern)) \(at)")
            nested { p in
                switch iteration {
                case .range(let lo, let hi, let inclusive):
                    p.line("Range \(inclusive ? "..." : "..<")")
                    p.nested {
                        $0.expr(lo)
                        $0.expr(hi)
                    }
                case .array(let e):
                    p.line("OverArray")
                    p.nested { $0.expr(e) }
                case .bytes(let e):
                    p.line("OverBytes")
                    p.nested { $0.expr(e) }
                case .map(let e):
                    p.line("OverMap")
                    p.nested { $0.expr(e) }
                }
                p.line("Body")
                p.nested { $0.block(b) }
            }
        case .loopStmt(let b):
            line("Loop \(at)")
            nested { $0.block(b) }
        case .switchStmt(let subject, let cases):
            line("Switch \(at)")
            nested { p in
                p.expr(subject)
                for c in cases {
                    p.line(c.isDefault ? "Default" : "Case")
                    p.nested { q in
                        for pat in c.patterns { q.pattern(pat) }
                        if let g = c.guardExpr {
                            q.line("Where")
                            q.nested { $0.expr(g) }
                        }
                        q.block(c.body)
                    }
                }
            }
        case .breakStmt: line("Break \(at)")
        case .continueStmt: line("Continue \(at)")
        case .returnStmt(let v):
            line("Return \(at)")
            if let v { nested { $0.expr(v) } }
        }
    }

    private mutating func pattern(_ p: TPattern) {
        switch p {
        case .wildcard: line("PatternAny")
        case .bind(let id): line("PatternBind \(bindingText(.local(id)))")
        case .enumCase(let t, let i, let sub):
            let info = program.types[t.index]
            line("PatternCase \(info.name).\(info.cases[i].name)")
            nested { q in for s in sub { q.pattern(s) } }
        case .tuple(let items):
            line("PatternTuple")
            nested { q in for s in items { q.pattern(s) } }
        case .value(let v):
            line("PatternValue")
            nested { $0.expr(v) }
        case .range(let lo, let hi, let inclusive):
            line("PatternRange \(inclusive ? "..." : "..<")")
            nested {
                $0.expr(lo)
                $0.expr(hi)
            }
        }
    }

    private mutating func args(_ a: [TArgument]) {
        for x in a {
            if x.isInout {
                line("Inout")
                nested { $0.expr(x.value) }
            } else {
                expr(x.value)
            }
        }
    }

    private mutating func expr(_ e: TExpr) {
        let t = ": " + ty(e.type)
        switch e.kind {
        case .intLiteral(let v, let negative): line("Int \(negative ? "-" : "")\(v)\(t)")
        case .floatLiteral(let d): line("Float \(d)\(t)")
        case .stringLiteral(let b): line("String \"\(ASTPrinter.escapeBytes(b))\"\(t)")
        case .interpolation(let parts):
            line("Interpolation\(t)")
            nested { p in
                for part in parts {
                    switch part {
                    case .bytes(let b): p.line("Text \"\(ASTPrinter.escapeBytes(b))\"")
                    case .value(let v): p.expr(v)
                    }
                }
            }
        case .boolLiteral(let b): line("Bool \(b)\(t)")
        case .nilLiteral: line("Nil\(t)")
        case .local(let id): line("Local \(localName(id))\(t)")
        case .global(let g): line("Global \(program.globals.indices.contains(g.index) ? program.globals[g.index].name : "#\(g.index)")\(t)")
        case .selfRef: line("Self\(t)")
        case .field(let base, let i):
            var name = "#\(i)"
            if case .nominal(let id) = base.type { name = program.types[id.index].fields[i].name }
            line("Field .\(name)\(t)")
            nested { $0.expr(base) }
        case .tupleElement(let base, let i):
            line("TupleElement .\(i)\(t)")
            nested { $0.expr(base) }
        case .call(let f, let a):
            line("Call \(program.functions[f.index].name)\(t)")
            nested { $0.args(a) }
        case .methodCall(let r, let f, let a):
            line("MethodCall \(program.functions[f.index].name)\(t)")
            nested { p in
                p.expr(r)
                p.args(a)
            }
        case .initCall(let id, _, let a):
            line("Init \(program.types[id.index].name)\(t)")
            nested { $0.args(a) }
        case .memberwise(let id, let values):
            line("Memberwise \(program.types[id.index].name)\(t)")
            nested { p in for v in values { p.expr(v) } }
        case .enumCase(let id, let i, let values):
            let info = program.types[id.index]
            line("EnumCase \(info.name).\(info.cases[i].name)\(t)")
            nested { p in for v in values { p.expr(v) } }
        case .callClosure(let f, let values):
            line("CallClosure\(t)")
            nested { p in
                p.expr(f)
                for v in values { p.expr(v) }
            }
        case .closure(let c):
            let params = c.params.map { id in "\(localName(id)): \(function.map { ty($0.locals[id.index].type) } ?? "?")" }
            line("Closure (\(params.joined(separator: ", "))) -> \(ty(c.result))")
            nested { $0.block(c.body) }
        case .functionRef(let f): line("FunctionRef \(program.functions[f.index].name)\(t)")
        case .builtin(let name, let operands):
            line("Builtin \(name)\(t)")
            nested { p in for o in operands { p.expr(o) } }
        case .unary(let op, let v):
            line("Unary \(op.rawValue)\(t)")
            nested { $0.expr(v) }
        case .binary(let op, let a, let b):
            line("Binary \(op.rawValue)\(t)")
            nested {
                $0.expr(a)
                $0.expr(b)
            }
        case .ternary(let c, let a, let b):
            line("Ternary\(t)")
            nested {
                $0.expr(c)
                $0.expr(a)
                $0.expr(b)
            }
        case .tuple(let items):
            line("Tuple\(t)")
            nested { p in for x in items { p.expr(x) } }
        case .array(let items):
            line("Array\(t)")
            nested { p in for x in items { p.expr(x) } }
        case .mapLiteral(let entries):
            line("MapLiteral\(t)")
            nested { p in
                for (k, v) in entries {
                    p.expr(k)
                    p.expr(v)
                }
            }
        case .wrapOptional(let v):
            line("WrapOptional\(t)")
            nested { $0.expr(v) }
        case .forceUnwrap(let v):
            line("ForceUnwrap\(t)")
            nested { $0.expr(v) }
        case .coalesce(let a, let b):
            line("Coalesce\(t)")
            nested {
                $0.expr(a)
                $0.expr(b)
            }
        case .index(let base, let i):
            line("Index\(t)")
            nested {
                $0.expr(base)
                $0.expr(i)
            }
        case .slice(let base, let lo, let hi, let inclusive):
            line("Slice \(inclusive ? "..." : "..<")\(t)")
            nested {
                $0.expr(base)
                $0.expr(lo)
                $0.expr(hi)
            }
        case .trap(let message):
            line("Trap\(t)")
            nested { $0.expr(message) }
        case .error:
            line("Error\(t)")
        }
    }
}

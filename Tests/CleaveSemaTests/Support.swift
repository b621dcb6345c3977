// Helpers of the checker tests: parse and check a source string, find functions,
// locals and statements in the typed program, and render typed expressions
// compactly (as S-expressions, with types where they matter).

import CleaveDiagnostics
import CleaveGrammar
import CleaveSema
import Testing

/// A checked program and everything reported on the way.
struct Checked {
    let program: TypedProgram
    let diagnostics: [Diagnostic]

    var ids: [String] { diagnostics.map(\.id) }

    /// A free function of the user's program.
    func function(_ name: String) -> TFunction? {
        program.functions.first { $0.name == name && $0.kind == .free }
    }

    func typeID(_ name: String) -> TypeID? {
        program.types.indices.first { program.types[$0].name == name }.map { TypeID($0) }
    }

    func type(_ name: String) -> TypeDeclInfo? { typeID(name).map(program.type) }

    /// `Type.method`, or `Type.init` for the first initializer.
    func method(_ type: String, _ name: String) -> TFunction? {
        guard let info = self.type(type) else { return nil }
        if name == "init" { return info.inits.first.map(program.function) }
        return info.methods[name].map(program.function)
    }

    /// The statements of a function's body.
    func body(_ f: String) -> [TStmt] { function(f)?.body?.stmts ?? [] }
}

/// Parse and check one file (a `func main() {}` is added when the source has none).
func check(_ source: String) -> Checked {
    let text = source.contains("func main()") ? source : source + "\nfunc main() {}\n"
    let (file, parseDiagnostics) = Parser.parse(SourceFile(path: "test.clv", text: text))
    let (program, diagnostics) = Checker.check(files: [file], imports: [])
    return Checked(program: program, diagnostics: parseDiagnostics + diagnostics)
}

/// Check a program that must be free of diagnostics (warnings included).
@discardableResult
func checkClean(_ source: String, sourceLocation: SourceLocation = #_sourceLocation) -> Checked {
    let c = check(source)
    #expect(
        c.diagnostics.isEmpty,
        "unexpected diagnostics:\n\(c.diagnostics.map { "\($0.span.map { "\($0.line):\($0.column)" } ?? "-"): \($0.id): \($0.message)" }.joined(separator: "\n"))",
        sourceLocation: sourceLocation)
    return c
}

// MARK: - Walking the typed AST

/// All statements of a block, nested ones included, in source order.
func allStatements(_ stmts: [TStmt]) -> [TStmt] {
    var out: [TStmt] = []
    for s in stmts {
        out.append(s)
        switch s.kind {
        case .ifStmt(_, let a, let b):
            out += allStatements(a.stmts)
            if let b { out += allStatements(b.stmts) }
        case .guardStmt(_, let b), .whileStmt(_, let b), .forStmt(_, _, let b), .loopStmt(let b):
            out += allStatements(b.stmts)
        case .switchStmt(_, let cases):
            for c in cases { out += allStatements(c.body.stmts) }
        default:
            break
        }
    }
    return out
}

/// The value of the first `let name = …` / `var name = …` of a function.
func boundValue(_ name: String, in f: TFunction?) -> TExpr? {
    guard let f, let body = f.body else { return nil }
    for s in allStatements(body.stmts) {
        if case .binding(.local(let id), let v) = s.kind, f.locals[id.index].name == name { return v }
    }
    return nil
}

/// The types of the locals called `name` (several when shadowed), in order of declaration.
func localTypes(_ name: String, in f: TFunction?) -> [Ty] {
    f?.locals.filter { $0.name == name }.map(\.type) ?? []
}

/// The values of the function's `return` statements.
func returnedValues(_ f: TFunction?) -> [TExpr] {
    guard let body = f?.body else { return [] }
    return allStatements(body.stmts).compactMap { s in
        if case .returnStmt(let v?) = s.kind { return v }
        return nil
    }
}

/// The expressions evaluated as statements (`Eval`) of a function.
func evaluated(_ f: TFunction?) -> [TExpr] {
    guard let body = f?.body else { return [] }
    return allStatements(body.stmts).compactMap { s in
        if case .expr(let e) = s.kind { return e }
        return nil
    }
}

// MARK: - Rendering

/// A type as Cleave spells it.
func tyName(_ t: Ty, _ p: TypedProgram) -> String { p.typeName(t) }

extension Checked {
    func tyName(_ t: Ty) -> String { CleaveSemaTests.tyName(t, program) }

    /// An S-expression of `e` as seen inside function `f` (for local names).
    /// Literals carry their type (`200:UInt8`), so contextual typing is visible.
    func render(_ e: TExpr, in f: TFunction?) -> String {
        func r(_ e: TExpr) -> String { render(e, in: f) }
        func args(_ a: [TArgument]) -> String { a.map { ($0.isInout ? "&" : "") + r($0.value) }.map { " " + $0 }.joined() }
        func name(_ id: LocalID) -> String { f.map { $0.locals[id.index].name } ?? "#\(id.index)" }
        switch e.kind {
        case .intLiteral(let v, let negative): return "\(negative ? "-" : "")\(v):\(tyName(e.type))"
        case .floatLiteral(let d): return "\(d)"
        case .stringLiteral(let b): return "\"\(String(decoding: b, as: UTF8.self))\":\(tyName(e.type))"
        case .interpolation(let parts):
            let items = parts.map { p -> String in
                switch p {
                case .bytes(let b): return "\"\(String(decoding: b, as: UTF8.self))\""
                case .value(let v): return r(v)
                }
            }
            return "(interp \(items.joined(separator: " "))):\(tyName(e.type))"
        case .boolLiteral(let b): return "\(b)"
        case .nilLiteral: return "nil:\(tyName(e.type))"
        case .local(let id): return name(id)
        case .global(let g): return "global " + (program.globals.indices.contains(g.index) ? program.globals[g.index].name : "?")
        case .selfRef: return "self"
        case .field(let base, let i):
            var fieldName = "#\(i)"
            if case .nominal(let id) = base.type { fieldName = program.types[id.index].fields[i].name }
            return "(. \(r(base)) \(fieldName))"
        case .tupleElement(let base, let i): return "(# \(r(base)) \(i))"
        case .call(let fn, let a): return "(call \(program.functions[fn.index].name)\(args(a)))"
        case .methodCall(let recv, let fn, let a): return "(method \(r(recv)) \(program.functions[fn.index].name)\(args(a)))"
        case .initCall(let t, _, let a): return "(init \(program.types[t.index].name)\(args(a)))"
        case .memberwise(let t, let vs): return "(memberwise \(program.types[t.index].name)\(vs.map { " " + r($0) }.joined()))"
        case .enumCase(let t, let i, let vs):
            let info = program.types[t.index]
            return "(case \(info.name).\(info.cases[i].name)\(vs.map { " " + r($0) }.joined()))"
        case .callClosure(let c, let vs): return "(callClosure \(r(c))\(vs.map { " " + r($0) }.joined()))"
        case .closure(let c):
            let params = c.params.map { id in "\(name(id)): \(f.map { tyName($0.locals[id.index].type) } ?? "?")" }
            let body = c.body.stmts.map { s -> String in
                switch s.kind {
                case .returnStmt(let v?): return "return " + r(v)
                case .expr(let v): return r(v)
                default: return "…"
                }
            }
            return "{(\(params.joined(separator: ", "))) -> \(tyName(c.result)) in \(body.joined(separator: "; "))}"
        case .functionRef(let fn): return "(fn \(program.functions[fn.index].name))"
        case .builtin(let n, let ops): return "(\(n)\(ops.map { " " + r($0) }.joined()))"
        case .unary(let op, let x): return "(\(op.rawValue) \(r(x)))"
        case .binary(let op, let a, let b): return "(\(op.rawValue) \(r(a)) \(r(b)))"
        case .ternary(let c, let a, let b): return "(? \(r(c)) \(r(a)) \(r(b)))"
        case .tuple(let items): return "(tuple\(items.map { " " + r($0) }.joined()))"
        case .array(let items): return "[\(items.map(r).joined(separator: " "))]:\(tyName(e.type))"
        case .mapLiteral(let entries): return "[\(entries.map { "\(r($0.0)): \(r($0.1))" }.joined(separator: ", "))]:\(tyName(e.type))"
        case .wrapOptional(let x): return "(some \(r(x)))"
        case .forceUnwrap(let x): return "(force \(r(x)))"
        case .coalesce(let a, let b): return "(?? \(r(a)) \(r(b)))"
        case .index(let b, let i): return "(index \(r(b)) \(r(i)))"
        case .slice(let b, let lo, let hi, let inclusive): return "(slice\(inclusive ? "..." : "..<") \(r(b)) \(r(lo)) \(r(hi)))"
        case .trap(let m): return "(trap \(r(m)))"
        case .error: return "<error>"
        }
    }

    /// The rendering of `let name = …`'s value in function `f`.
    func bound(_ name: String, in f: String) -> String? {
        boundValue(name, in: function(f)).map { render($0, in: function(f)) }
    }

    /// The type of `let name = …`'s value in function `f`.
    func boundType(_ name: String, in f: String) -> String? {
        boundValue(name, in: function(f)).map { tyName($0.type) }
    }
}

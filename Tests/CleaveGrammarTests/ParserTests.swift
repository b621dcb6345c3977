// Tests of the parser, rule by rule of Grammar/Cleave.ebnf: each test parses a
// small snippet and checks the shape of the tree (as an S-expression, see
// Support.swift, by pattern matching, or as ASTPrinter's outline).

import CleaveDiagnostics
import CleaveGrammar
import Foundation
import Testing

// MARK: - Coverage of the grammar

@Suite struct GrammarCoverageTests {
    /// Each rule of Cleave.ebnf is named (in a comment) next to the tests that exercise it.
    @Test func everyGrammarRuleHasTests() throws {
        let rules = try Grammar.text().matches(of: #/(?m)^([a-z_]+)\s+=/#).map { String($0.1) }
        #expect(rules.count > 60)
        var dir = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        dir.removeLast()
        let tests = try ["ParserTests.swift", "LexerTests.swift"].map {
            try String(contentsOfFile: dir.joined(separator: "/") + "/" + $0, encoding: .utf8)
        }.joined()
        let words = Set(tests.split { !($0.isLetter || $0 == "_") }.map(String.init))
        let missing = rules.filter { !words.contains($0) }
        #expect(missing.isEmpty, "grammar rules without tests: \(missing)")
    }
}

// MARK: - Program and top-level declarations

@Suite struct FileAndTopLevelTests {
    // file = { top_level_decl } EOF ;  top_level_decl = import_decl | state_decl | … | global_let ;
    @Test func everyKindOfTopLevelDeclarationInOrder() {
        let (file, diags) = parse(
            """
            import net
            import "helpers.h"
            let limit = 10
            state Store { var n: Int = 0 }
            struct Point { let x: Int }
            enum Shape { case dot }
            func main() {}
            """)
        #expect(diags.isEmpty)
        let kinds = file.decls.map { d -> String in
            switch d {
            case .importDecl(let i):
                switch i.target {
                case .module(let m): return "import \(m)"
                case .header(let h): return "import \"\(h)\""
                }
            case .globalLet(let g): return "let \(g.name.name)"
            case .nominal(let n): return "\(n.kind.rawValue) \(n.name.name)"
            case .enumDecl(let e): return "enum \(e.name.name)"
            case .function(let f): return "func \(f.name.name)"
            }
        }
        #expect(kinds == ["import net", "import \"helpers.h\"", "let limit", "state Store", "struct Point", "enum Shape", "func main"])
    }

    @Test func emptyFile() {
        let (file, diags) = parse("\n  // nothing\n")
        #expect(file.decls.isEmpty && diags.isEmpty)
    }

    @Test func declarationsOnOneLineNeedASemicolon() {
        let (file, diags) = parse("let a = 1; let b = 2\nlet c = 3 let d = 4")
        #expect(file.decls.count == 4)
        #expect(positions(diags) == ["consecutive-statements@2:10"])
    }

    @Test(arguments: ["x = 1", "var y = 2", "if true {}", "return", "1 + 2"])
    func statementsAreNotTopLevelDeclarations(_ text: String) {
        let (_, diags) = parse(text)
        #expect(diags.map(\.id) == ["expected"])
        #expect(diags.first?.message.hasPrefix("expected a declaration") == true)
    }

    // import_decl = "import" ( identifier | string_literal ) ;
    @Test func importsWithSpans() {
        let (file, diags) = parse("import net\nimport \"dir/a b.h\"")
        #expect(diags.isEmpty)
        guard case .importDecl(let a) = file.decls[0], case .importDecl(let b) = file.decls[1] else {
            Issue.record("expected two imports")
            return
        }
        #expect(a.target == .module("net"))
        #expect(b.target == .header("dir/a b.h"))
        #expect(b.targetSpan.start == 18 && b.targetSpan.end == 29)
        #expect(b.span.start == 11)
    }

    @Test func importErrors() {
        let (_, d1) = parse("import \"a\\(b).h\"")
        #expect(d1.map(\.id) == ["expected"])
        #expect(d1.first?.message.contains("interpolation") == true)
        let (_, d2) = parse("import 42")
        #expect(positions(d2) == ["expected@1:8"])
    }

    // global_let = "let" identifier [ ":" type ] "=" expression ;
    @Test func globalLet() {
        let (file, diags) = parse("let a = 1\nlet b: UInt8 = 2")
        #expect(diags.isEmpty)
        guard case .globalLet(let a) = file.decls[0], case .globalLet(let b) = file.decls[1] else {
            Issue.record("expected two global lets")
            return
        }
        #expect(a.name.name == "a" && a.type == nil && sx(a.value) == "1")
        #expect(b.type.map(ASTPrinter.typeText) == "UInt8" && sx(b.value) == "2")
    }

    @Test func globalLetNeedsAValue() {
        let (_, diags) = parse("let a: Int\nfunc main() {}")
        #expect(positions(diags) == ["expected@1:11"])
    }
}

// MARK: - Declarations

@Suite struct DeclarationTests {
    func nominal(_ text: String) -> NominalDecl? {
        let (file, diags) = parse(text)
        #expect(diags.isEmpty, "\(diags.map(\.message))")
        if case .nominal(let n)? = file.decls.first { return n }
        return nil
    }

    // state_decl = "state" identifier "{" { state_member } "}" ;  state_member = field_decl | init_decl | func_decl ;
    @Test func stateWithFieldsInitAndMethods() {
        guard
            let s = nominal(
                """
                state Counter {
                    var count: Int = 0
                    let step: Int
                    init(step: Int) { self.step = step }
                    func bump() -> Int { count += step; return count }
                    func poll(_ device: inout Device) {}
                }
                """)
        else { Issue.record("no state"); return }
        #expect(s.kind == .state && s.name.name == "Counter")
        #expect(s.fields.map { "\($0.isVar ? "var" : "let") \($0.name.name)" } == ["var count", "let step"])
        #expect(s.fields[0].initializer.map(sx) == "0" && s.fields[1].initializer == nil)
        #expect(s.inits.count == 1 && s.inits[0].isInit && s.inits[0].params.map(\.name.name) == ["step"])
        #expect(s.methods.map(\.name.name) == ["bump", "poll"])
        #expect(s.methods[1].params[0].isInout && s.methods[1].params[0].label == nil)
        #expect(s.methods[0].body?.stmts.map(sxStmt) == ["count += step", "return count"])
    }

    // struct_decl = "struct" identifier "{" { struct_member } "}" ;
    @Test func structWithMutatingMethod() {
        guard
            let s = nominal(
                """
                struct Point {
                    var x: Int
                    var y: Int = 0
                    mutating func move(by d: Int) { x += d }
                    func sum() -> Int { return x + y }
                }
                """)
        else { Issue.record("no struct"); return }
        #expect(s.kind == .struct)
        #expect(s.fields.map(\.name.name) == ["x", "y"])
        #expect(s.methods.map { "\($0.isMutating) \($0.name.name)" } == ["true move", "false sum"])
        #expect(s.methods[0].params.map { "\($0.label ?? "_") \($0.name.name)" } == ["by d"])
    }

    // field_decl = ( "let" | "var" ) identifier ( ":" type [ "=" expression ] | "=" expression ) ;
    @Test func fieldForms() {
        guard let s = nominal("struct S {\n let a: Int\n var b: [Bytes] = []\n var c = 0\n}") else {
            Issue.record("no struct"); return
        }
        #expect(s.fields.map { $0.type.map(ASTPrinter.typeText) ?? "-" } == ["Int", "[Bytes]", "-"])
        #expect(s.fields.map { $0.initializer.map(sx) ?? "-" } == ["-", "[]", "0"])
        #expect(s.fields.map(\.isVar) == [false, true, true])
    }

    @Test func fieldWithoutTypeOrValueIsAnError() {
        let (_, diags) = parse("struct S {\n var a\n}")
        #expect(positions(diags) == ["expected@2:7"])
    }

    // enum_decl / enum_member / enum_case_decl / enum_case / payload_field
    @Test func enumWithCasesPayloadsAndMethods() {
        let (file, diags) = parse(
            """
            enum Message {
                case ping, pong
                case data(Bytes), pair(Int, Int)
                case set(key: Bytes, value: Bytes?)
                func isPing() -> Bool { return false }
                mutating func reset() { self = .ping }
            }
            """)
        #expect(diags.isEmpty)
        guard case .enumDecl(let e)? = file.decls.first else { Issue.record("no enum"); return }
        let cases = e.cases.map { c in
            c.name.name + "("
                + c.payload.map { ($0.label.map { $0.name + ": " } ?? "") + ASTPrinter.typeText($0.type) }.joined(separator: ", ") + ")"
        }
        #expect(cases == ["ping()", "pong()", "data(Bytes)", "pair(Int, Int)", "set(key: Bytes, value: Bytes?)"])
        #expect(e.methods.map(\.name.name) == ["isPing", "reset"])
        #expect(e.methods[1].isMutating)
    }

    @Test func enumCasesSeparatedBySemicolons() {
        let (file, diags) = parse("enum E { case a; case b }")
        #expect(diags.isEmpty)
        guard case .enumDecl(let e)? = file.decls.first else { Issue.record("no enum"); return }
        #expect(e.cases.map(\.name.name) == ["a", "b"])
    }

    @Test func enumRejectsFields() {
        let (_, diags) = parse("enum E {\n case a\n var x: Int\n}")
        #expect(positions(diags) == ["expected@3:2"])
    }

    // func_decl = { func_modifier } "func" identifier parameter_clause [ "->" type ] ( block | ) ;
    // parameter_clause / parameter
    @Test func functionSignature() {
        let (file, diags) = parse("func f(_ a: Int, label b: Bytes, c: inout [Int], d: Int = 3,) -> Int? { return nil }")
        #expect(diags.isEmpty)
        guard case .function(let f)? = file.decls.first else { Issue.record("no function"); return }
        #expect(f.name.name == "f" && !f.isMutating && !f.isExtern && !f.isInit)
        #expect(f.params.map { $0.label ?? "_" } == ["_", "label", "c", "d"])
        #expect(f.params.map(\.name.name) == ["a", "b", "c", "d"])
        #expect(f.params.map(\.isInout) == [false, false, true, false])
        #expect(f.params.map { ASTPrinter.typeText($0.type) } == ["Int", "Bytes", "[Int]", "Int"])
        #expect(f.params.map { $0.defaultValue.map(sx) ?? "-" } == ["-", "-", "-", "3"])
        #expect(f.result.map(ASTPrinter.typeText) == "Int?")
        #expect(f.body?.stmts.map(sxStmt) == ["return nil"])
        // The header span covers `func … -> Int?`.
        #expect(f.headerSpan.start == 0 && f.headerSpan.end == 69)
    }

    @Test func functionWithoutParametersOrResult() {
        let (file, diags) = parse("func main() {}")
        #expect(diags.isEmpty)
        guard case .function(let f)? = file.decls.first else { Issue.record("no function"); return }
        #expect(f.params.isEmpty && f.result == nil && f.body?.stmts.isEmpty == true)
    }

    @Test(arguments: [
        ("func f(_: Int) {}", "expected@1:9"),
        ("func f(a Int) {}", "expected@1:13"),
        ("func f(a: Int b: Int) {}", "expected@1:15"),
        ("func f() -> Int", "expected@1:16"),
        ("func (a: Int) {}", "expected@1:6"),
    ])
    func functionSignatureErrors(_ text: String, _ expected: String) {
        let (_, diags) = parse(text)
        #expect(positions(diags).first == expected)
    }

    // init_decl = "init" parameter_clause block ;
    @Test func initializers() {
        guard let s = nominal("struct P {\n let x: Int\n init() { x = 0 }\n init(x: Int, _ y: Int) { self.x = x + y }\n}") else {
            Issue.record("no struct"); return
        }
        #expect(s.inits.count == 2 && s.methods.isEmpty)
        #expect(s.inits.allSatisfy { $0.isInit && $0.name.name == "init" && $0.result == nil })
        #expect(s.inits[1].params.map { $0.label ?? "_" } == ["x", "_"])
    }

    // func_modifier = "mutating" | "extern" ; extern_init = "extern" "init" parameter_clause ;
    @Test func externInAStandardModule() {
        let text = """
            state Device {
                extern init(port: Int)
                extern func receive() -> Bytes
                extern func send(_ b: Bytes)
            }
            extern func now() -> Int
            """
        let (file, diags) = parse(text, standardModule: true)
        #expect(diags.isEmpty)
        guard case .nominal(let s) = file.decls[0], case .function(let now) = file.decls[1] else {
            Issue.record("expected a state and a function"); return
        }
        #expect(s.inits.count == 1 && s.inits[0].isExtern && s.inits[0].body == nil)
        #expect(s.methods.map { "\($0.isExtern) \($0.name.name) \($0.body == nil)" } == ["true receive true", "true send true"])
        #expect(now.isExtern && now.body == nil && now.result.map(ASTPrinter.typeText) == "Int")
    }

    @Test func externOutsideStandardModulesIsAnError() {
        let text = "state D {\n    extern init(port: Int)\n}\nextern func now() -> Int\nfunc main() {}"
        let (file, diags) = parse(text)
        #expect(positions(diags) == ["extern-outside-stdlib@2:5", "extern-outside-stdlib@4:1"])
        // The declarations are still there, so nothing cascades.
        #expect(file.decls.count == 3)
    }

    @Test func externBodyOnTheSameLineIsParsed() {
        let (file, diags) = parse("extern func f() -> Int { return 1 }", standardModule: true)
        #expect(diags.isEmpty)
        guard case .function(let f)? = file.decls.first else { Issue.record("no function"); return }
        #expect(f.isExtern && f.body?.stmts.count == 1)
    }

    @Test func nestedDeclarationsAreRejected() {
        let (_, diags) = parse("func f() {\n    func g() {}\n    struct S {}\n}")
        #expect(positions(diags) == ["expected@2:5", "expected@3:5"])
        #expect(diags.first?.message.contains("only allowed at the top level") == true)
    }
}

// MARK: - Types

@Suite struct TypeTests {
    func type(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> TypeExpr? {
        let (file, diags) = parse("let x: \(text) = y")
        #expect(diags.isEmpty, "\(diags.map(\.message))", sourceLocation: sourceLocation)
        guard case .globalLet(let g)? = file.decls.first else { return nil }
        return g.type
    }

    /// A type as nested constructors, independent of ASTPrinter.
    func shape(_ t: TypeExpr) -> String {
        switch t.kind {
        case .named(let n, let args): args.isEmpty ? n.name : "\(n.name)<\(args.map(shape).joined(separator: ","))>"
        case .array(let e): "array(\(shape(e)))"
        case .optional(let w): "opt(\(shape(w)))"
        case .tuple(let items): "tuple(\(items.map(shape).joined(separator: ",")))"
        case .function(let ps, let r): "fn(\(ps.map(shape).joined(separator: ","))->\(shape(r)))"
        case .error: "error"
        }
    }

    // type = non_optional_type { "?" } ; non_optional_type = … ; function_type ; type_identifier ; generic_args
    @Test(arguments: [
        ("Int", "Int"),
        ("Point", "Point"),
        ("Int?", "opt(Int)"),
        ("Int??", "opt(opt(Int))"),
        ("Int???", "opt(opt(opt(Int)))"),
        ("[Int]", "array(Int)"),
        ("[Int?]?", "opt(array(opt(Int)))"),
        ("[[UInt8]]", "array(array(UInt8))"),
        ("Map<Bytes, Int>", "Map<Bytes,Int>"),
        ("Map<Int, Map<Int, Int>>", "Map<Int,Map<Int,Int>>"),
        ("Map<Int, [Map<Int, Int>]>", "Map<Int,array(Map<Int,Int>)>"),
        ("Map<Int, Int>?", "opt(Map<Int,Int>)"),
        ("()", "tuple()"),
        ("(Int)", "Int"),
        ("(Int, Bool)", "tuple(Int,Bool)"),
        ("(Int, (Bool, String))", "tuple(Int,tuple(Bool,String))"),
        ("(Int, Bool)?", "opt(tuple(Int,Bool))"),
        ("(Int) -> Bool", "fn(Int->Bool)"),
        ("() -> Void", "fn(->Void)"),
        ("(Int, Int) -> (Int, Int)", "fn(Int,Int->tuple(Int,Int))"),
        ("((Int) -> Bool)?", "opt(fn(Int->Bool))"),
        ("(Int) -> Int?", "fn(Int->opt(Int))"),
    ])
    func types(_ text: String, _ expected: String) {
        #expect(type(text).map(shape) == expected)
    }

    @Test(arguments: [
        ("Map<Int, Int>", "Map<Int, Int>"), ("[Int?]?", "[Int?]?"), ("(Int, Bool)", "(Int, Bool)"), ("(Int) -> Bool", "(Int) -> Bool"),
    ])
    func typeText(_ text: String, _ printed: String) {
        #expect(type(text).map(ASTPrinter.typeText) == printed)
    }

    @Test func typeSpans() {
        guard let t = type("Map<Int, [Bytes]>?") else { Issue.record("no type"); return }
        #expect(t.span.start == 7 && t.span.end == 25)
    }

    @Test(arguments: ["[Int", "Map<Int, Int", "(Int, Bool", "5", "Int ->"])
    func malformedTypes(_ text: String) {
        let (_, diags) = parse("let x: \(text) = y")
        #expect(!diags.isEmpty)
        #expect(diags.allSatisfy { $0.id == "expected" })
    }
}

// MARK: - Statements

@Suite struct StatementTests {
    // block = "{" { statement } "}" ;  statement = ( … ) [ ";" ] ;
    @Test func statementsSeparatedByLinesAndSemicolons() {
        #expect(statements("a()\nb(); c();\n;d()") == ["(call a)", "(call b)", "(call c)", "(call d)"])
    }

    @Test func twoStatementsOnALineNeedASemicolon() {
        let (stmts, diags) = parseBody("a() b()")
        #expect(positions(diags) == ["consecutive-statements@2:4"])
        #expect(diags.first?.fixIts.map(\.replacement) == [";"])
        #expect(stmts.map(sxStmt) == ["(call a)", "(call b)"])
    }

    @Test func emptyBlockAndNestedBlocks() {
        #expect(statements("") == [])
        #expect(statements("loop { loop { break } }") == ["loop { loop { break; }; }"])
    }

    // declaration_stmt = ( "let" | "var" ) binding_pattern [ ":" type ] "=" expression ;
    // binding_pattern = identifier | "_" | "(" binding_pattern { "," binding_pattern } ")" ;
    @Test(arguments: [
        ("let x = 1", "let x = 1"),
        ("var y: UInt8 = 2", "var y: UInt8 = 2"),
        ("let (q, r) = divide(a, b)", "let (q, r) = (call divide a b)"),
        ("let (a, (b, _)) = t", "let (a, (b, _)) = t"),
        ("let _ = f()", "let _ = (call f)"),
        ("let (a) = 1", "let a = 1"),
        ("var m: Map<Bytes, Int> = [:]", "var m: Map<Bytes, Int> = [:]"),
    ])
    func declarations(_ text: String, _ expected: String) {
        #expect(statements(text) == [expected])
    }

    @Test func declarationKeepsTheNameWhenTheValueIsMissing() {
        let (stmts, diags) = parseBody("let x: Int\nuse(x)")
        #expect(positions(diags) == ["expected@2:11"])
        #expect(stmts.map(sxStmt) == ["let x: Int = <error>", "(call use x)"])
    }

    // assignment_stmt = lvalue assign_op expression | "_" "=" expression ;  assign_op = … ;
    @Test func everyAssignmentOperator() throws {
        let ops = try Grammar.quotedStrings(ofRule: "assign_op")
        #expect(ops.count >= 11)
        for op in ops {
            guard let s = statement("a[i].f \(op) b + 1") else { continue }
            guard case .assign(let target, let o, let value) = s.kind else {
                Issue.record("'\(op)' did not parse as an assignment")
                continue
            }
            #expect(o.rawValue == op)
            #expect(sx(target) == "(. ([] a i) f)")
            #expect(sx(value) == "(+ b 1)")
        }
    }

    @Test func assignmentTargetsAreExpressions() {
        #expect(statements("t.0.1 = x\nself.n = 1\nm[k] = nil") == ["(# (# t 0) 1) = x", "(. self n) = 1", "([] m k) = nil"])
    }

    @Test func discard() {
        #expect(statements("_ = f(1)") == ["_ = (call f 1)"])
        guard case .discard? = statement("_ = x")?.kind else { Issue.record("expected a discard"); return }
    }

    @Test func assignmentIsNotAnExpression() {
        let (_, diags) = parseBody("let a = b = c")
        #expect(positions(diags) == ["consecutive-statements@2:10"])
    }

    // if_stmt = "if" condition_list block [ "else" ( if_stmt | block ) ] ;
    @Test func ifElseIfElse() {
        #expect(
            statements("if a { x() } else if let b = c, b > 1 { y() } else { z() }") == [
                "if a { (call x); } else if let b = c, (> b 1) { (call y); } else { (call z); }"
            ])
    }

    @Test func ifElseSpans() {
        guard let s = statement("if a {\n} else {\n  b()\n}") else {
            Issue.record("no statement parsed")
            return
        }
        guard case .ifStmt(_, let then, .block(let e)?) = s.kind else { Issue.record("expected if/else"); return }
        #expect(then.span.line == 2 && e.span.line == 3 && s.span.line == 2)
        #expect(s.span.end == e.span.end)
    }

    // condition_list = condition { "," condition } ; condition = ( "let" | "var" ) identifier [ ":" type ] [ "=" expression ] | expression ;
    @Test(arguments: [
        ("if let x = o {}", "if let x = o { }"),
        ("if var x = o {}", "if var x = o { }"),
        ("if let x {}", "if let x { }"),
        ("if let x: Int = o {}", "if let x: Int = o { }"),
        ("if let a = b, let c = d, a < c {}", "if let a = b, let c = d, (< a c) { }"),
        ("while let x = next(), x != 0 {}", "while let x = (call next), (!= x 0) { }"),
        ("guard let x = o, x > 0 else { return }", "guard let x = o, (> x 0) else { return; }"),
    ])
    func conditions(_ text: String, _ expected: String) {
        #expect(statements(text) == [expected])
    }

    @Test func optionalBindingShorthandHasNoValue() {
        guard case .ifStmt(let conds, _, nil)? = statement("if let x {}")?.kind,
            case .optionalBinding(false, let name, nil, nil, _) = conds.first
        else { Issue.record("expected `if let x` with no value"); return }
        #expect(name.name == "x")
    }

    // guard_stmt = "guard" condition_list "else" block ;
    @Test func guardNeedsElse() {
        let (_, diags) = parseBody("guard x { return }")
        #expect(positions(diags) == ["expected@2:9"])
        #expect(diags.first?.message.contains("'else'") == true)
    }

    // while_stmt = "while" condition_list block ;
    @Test func whileLoop() {
        #expect(statements("while i < n { i += 1 }") == ["while (< i n) { i += 1; }"])
    }

    // for_stmt = "for" binding_pattern "in" expression block ;
    @Test(arguments: [
        ("for i in 0..<n {}", "for i in (..< 0 n) { }"),
        ("for i in 1...3 { continue }", "for i in (... 1 3) { continue; }"),
        ("for x in xs { print(x) }", "for x in xs { (call print x); }"),
        ("for (k, v) in m {}", "for (k, v) in m { }"),
        ("for (i, (a, _)) in xs.enumerated() {}", "for (i, (a, _)) in (call (. xs enumerated)) { }"),
        ("for _ in 0..<3 {}", "for _ in (..< 0 3) { }"),
    ])
    func forLoops(_ text: String, _ expected: String) {
        #expect(statements(text) == [expected])
    }

    @Test func forNeedsIn() {
        let (_, diags) = parseBody("for x xs {}")
        #expect(positions(diags) == ["expected@2:7"])
    }

    // loop_stmt = "loop" block ;
    @Test func loopWithBreakAndContinue() {
        #expect(statements("loop {\n if a { break }\n continue\n}") == ["loop { if a { break; }; continue; }"])
    }

    // return_stmt = "return" [ expression ] ;
    @Test func returns() {
        #expect(statements("return") == ["return"])
        #expect(statements("return a + 1") == ["return (+ a 1)"])
        #expect(statements("if a { return }") == ["if a { return; }"])
        #expect(statements("return; f()") == ["return", "(call f)"])
    }

    @Test func returnValueOnTheNextLineIsNotReturned() {
        let (stmts, diags) = parseBody("return\nf()")
        #expect(positions(diags) == ["return-value-on-next-line@3:1"])
        #expect(diags.first?.severity == .warning)
        #expect(stmts.map(sxStmt) == ["return", "(call f)"])
    }

    @Test func breakAndContinueAreStatements() {
        guard case .breakStmt? = statement("break")?.kind else { Issue.record("break"); return }
        guard case .continueStmt? = statement("continue")?.kind else { Issue.record("continue"); return }
    }

    // A statement beginning with `{` is a closure expression, not a block.
    @Test func braceAtStatementStartIsAClosure() {
        #expect(statements("{ x in x }") == ["{(x) in x;}"])
    }
}

// MARK: - Switch

@Suite struct SwitchTests {
    /// The cases of `switch s { <text> }`.
    func cases(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> [String] {
        guard let s = statement("switch s {\n\(text)\n}", sourceLocation: sourceLocation),
            case .switchStmt(let subject, let cases) = s.kind
        else { return [] }
        #expect(sx(subject) == "s")
        return cases.map { c in
            (c.patterns.map { "case " + $0.map(sxPattern).joined(separator: ", ") } ?? "default")
                + (c.guardExpr.map { " where " + sx($0) } ?? "") + ":" + c.body.map { " " + sxStmt($0) }.joined(separator: ";")
        }
    }

    // switch_stmt = "switch" expression "{" { switch_case } "}" ;
    // switch_case = ( "case" case_pattern { "," case_pattern } [ "where" expression ] | "default" ) ":" { statement } ;
    @Test func casesAndDefault() {
        #expect(
            cases("case .a:\n  f()\n  g()\ncase .b, .c: h()\ndefault: break") == [
                "case .a: (call f); (call g)", "case .b, .c: (call h)", "default: break",
            ])
    }

    // case_pattern: enum_pattern with payload and the `let` forms
    @Test(arguments: [
        ("case .none: break", "case .none: break"),
        ("case .some(let x): break", "case .some(let x): break"),
        ("case .pair(let a, var b): break", "case .pair(let a, var b): break"),
        ("case let .pair(a, b): break", "case .pair(let a, let b): break"),
        ("case var .pair(a, _): break", "case .pair(var a, _): break"),
        ("case Shape.circle(let r): break", "case Shape.circle(let r): break"),
        ("case Shape.dot: break", "case Shape.dot: break"),
        ("case .set(key: let k, value: _): break", "case .set(let k, _): break"),
        ("case .wrap(.some(let x)): break", "case .wrap(.some(let x)): break"),
        ("case .data(0): break", "case .data(=0): break"),
    ])
    func enumPatterns(_ text: String, _ expected: String) {
        #expect(cases(text) == [expected])
    }

    // case_pattern = "_" | binding | tuple | range_pattern | expression ;  range_pattern = prefix_expr ( "..<" | "..." ) prefix_expr ;
    @Test(arguments: [
        ("case _: break", "case _: break"),
        ("case let x: break", "case let x: break"),
        ("case var x: break", "case var x: break"),
        ("case (0, _): break", "case (=0, _): break"),
        ("case (let a, .b(let c)): break", "case (let a, .b(let c)): break"),
        ("case let (a, b): break", "case (let a, let b): break"),
        ("case ((1, 2), _): break", "case ((=1, =2), _): break"),
        ("case 1...5: break", "case =(... 1 5): break"),
        ("case 0..<10: break", "case =(..< 0 10): break"),
        ("case -5...(-1): break", "case =(... (neg 5) (paren (neg 1))): break"),
        ("case 1, 2, 3: break", "case =1, =2, =3: break"),
        ("case \"GET\": break", "case =\"GET\": break"),
        ("case true: break", "case =true: break"),
        ("case limit: break", "case =limit: break"),
        ("case (x): break", "case =(paren x): break"),
        ("case let x where x > 5: break", "case let x where (> x 5): break"),
        ("case .a where ok: break", "case .a where ok: break"),
        ("default: break", "default: break"),
    ])
    func otherPatterns(_ text: String, _ expected: String) {
        #expect(cases(text) == [expected])
    }

    @Test func caseBodyMayEndWithReturn() {
        #expect(
            cases("case .a: return\ncase .b: return 1\ndefault: return") == ["case .a: return", "case .b: return 1", "default: return"])
    }

    @Test func switchSubjectDoesNotTakeATrailingClosure() {
        guard let s = statement("switch f {\ndefault: break\n}"), case .switchStmt(let subject, let cs) = s.kind else {
            Issue.record("expected a switch"); return
        }
        #expect(sx(subject) == "f" && cs.count == 1)
    }

    @Test func caseLabelNeedsAColon() {
        let (_, diags) = parseBody("switch s {\ncase .a f()\ndefault: break\n}")
        #expect(positions(diags) == ["expected@3:9"])
    }

    @Test func somethingOtherThanCaseInASwitch() {
        let (_, diags) = parseBody("switch s {\nf()\ndefault: break\n}")
        #expect(positions(diags).first == "expected@3:1")
    }
}

// MARK: - Expressions: precedence and associativity

@Suite struct PrecedenceTests {
    // expression = ternary_expr ; ternary_expr, or_expr, and_expr, comparison_expr, coalescing_expr,
    // range_expr, additive_expr, multiplicative_expr, shift_expr, prefix_expr, postfix_expr
    @Test(arguments: [
        // ternary, loosest and right-associative
        ("a || b ? c : d", "(? (|| a b) c d)"),
        ("a ? b : c ? d : e", "(? a b (? c d e))"),
        ("a ? b ? c : d : e", "(? a (? b c d) e)"),
        ("a ? b + 1 : c * 2", "(? a (+ b 1) (* c 2))"),
        // or, left
        ("a || b || c", "(|| (|| a b) c)"),
        ("a && b || c && d", "(|| (&& a b) (&& c d))"),
        // and, left
        ("a && b && c", "(&& (&& a b) c)"),
        ("a == b && c != d", "(&& (== a b) (!= c d))"),
        // comparison, each operator
        ("a == b", "(== a b)"), ("a != b", "(!= a b)"), ("a < b", "(< a b)"),
        ("a <= b", "(<= a b)"), ("a > b", "(> a b)"), ("a >= b", "(>= a b)"),
        ("a ?? b == c", "(== (?? a b) c)"),
        // coalescing, right
        ("a ?? b ?? c", "(?? a (?? b c))"),
        ("a ?? b ..< c", "(?? a (..< b c))"),
        // range
        ("a + 1 ..< b * 2", "(..< (+ a 1) (* b 2))"),
        ("0...n - 1", "(... 0 (- n 1))"),
        // additive, left, all one level
        ("a - b + c", "(+ (- a b) c)"),
        ("a | b ^ c &+ d &- e", "(&- (&+ (^ (| a b) c) d) e)"),
        ("a + b * c", "(+ a (* b c))"),
        ("a | b & c", "(| a (& b c))"),
        // multiplicative, left, all one level
        ("a * b / c % d &* e & f", "(& (&* (% (/ (* a b) c) d) e) f)"),
        ("a * b << c", "(* a (<< b c))"),
        ("a & b << c", "(& a (<< b c))"),
        // shift
        ("a << b", "(<< a b)"), ("a >> b", "(>> a b)"),
        ("-a << b", "(<< (neg a) b)"),
        // prefix binds tighter than binary
        ("-a * b", "(* (neg a) b)"),
        ("!a && b", "(&& (not a) b)"),
        ("~a & b", "(& (~ a) b)"),
        ("- -a", "(neg (neg a))"),
        ("!!a", "(not (not a))"),
        // postfix binds tighter than prefix
        ("-a.b", "(neg (. a b))"),
        ("!a!", "(not (force a))"),
        ("-f(x)[0]", "(neg ([] (call f x) 0))"),
        // parentheses
        ("(a + b) * c", "(* (paren (+ a b)) c)"),
        ("a < (b < c)", "(< a (paren (< b c)))"),
        ("(a ..< b)", "(paren (..< a b))"),
    ])
    func precedence(_ text: String, _ expected: String) {
        #expect(sexpr(text) == expected)
    }

    @Test(arguments: [
        ("a < b < c", "another comparison", 15),
        ("a == b == c", "another comparison", 16),
        ("a == b != c", "another comparison", 16),
        ("a <= b > c", "another comparison", 16),
        ("a ..< b ..< c", "another range operator", 17),
        ("a ... b ..< c", "another range operator", 17),
        ("a << b << c", "another shift", 16),
        ("a << b >> c", "another shift", 16),
    ])
    func nonAssociativeOperators(_ text: String, _ what: String, _ column: Int) {
        let (e, diags) = parseExpr(text)
        #expect(positions(diags) == ["expected@1:\(column)"])
        #expect(diags.first?.message.contains("an operator that is not \(what)") == true)
        #expect(diags.first?.notes.first?.message.contains("non-associative") == true)
        #expect(diags.first?.notes.first?.span?.column == 11)
        // The first operation is kept.
        if case .binary? = e?.kind {} else { Issue.record("expected a binary expression, got \(e.map(sx) ?? "nothing")") }
    }

    @Test func nonAssociativeChainReportsOnce() {
        let (e, diags) = parseExpr("a < b < c < d < e < f")
        #expect(positions(diags) == ["expected@1:15"])
        #expect(e.map(sx) == "(< a b)")
        // What follows the chain is parsed as usual.
        let (e2, d2) = parseExpr("a == b == c && d")
        #expect(d2.count == 1)
        #expect(e2.map(sx) == "(&& (== a b) d)")
    }

    @Test func mixedLevelsAreAssociative() {
        // `..<` binds tighter than `==`, `==` looser than `<<`: no error.
        #expect(sexpr("a << 1 == b ..< c") == "(== (<< a 1) (..< b c))")
    }

    @Test func binaryOperatorContinuesOnTheNextLine() {
        #expect(statements("let x = a\n    + b\n    * c") == ["let x = (+ a (* b c))"])
        #expect(statements("let y = a ||\n b") == ["let y = (|| a b)"])
    }

    @Test func prefixOperatorAtLineStartBeginsAStatement() {
        #expect(statements("let x = a\n-b") == ["let x = a", "(neg b)"])
        #expect(statements("let x = a\n- b") == ["let x = (- a b)"])
    }
}

// MARK: - Expressions: primaries and postfix suffixes

// primary_expr = integer_literal | float_literal | string_literal | … | closure_expr ;
@Suite struct PrimaryAndPostfixTests {
    @Test(arguments: [
        ("42", "42"), ("0xFF", "0xFF"), ("1.5e3", "1.5e3"), ("\"hi\\n\"", "\"hi\\n\""),
        ("true", "true"), ("false", "false"), ("nil", "nil"), ("self", "self"), ("$0", "$0"), ("$12", "$12"),
        (".none", ".none"), ("x", "x"), ("_x", "_x"),
    ])
    func primaries(_ text: String, _ expected: String) {
        #expect(sexpr(text) == expected)
    }

    @Test func literalKinds() {
        guard case .intLiteral("1000")? = parseExpr("1_000").0?.kind else { Issue.record("int"); return }
        guard case .floatLiteral("0.5")? = parseExpr("0.5").0?.kind else { Issue.record("float"); return }
        guard case .boolLiteral(true)? = parseExpr("true").0?.kind else { Issue.record("bool"); return }
        guard case .nilLiteral? = parseExpr("nil").0?.kind else { Issue.record("nil"); return }
        guard case .anonParam(1)? = parseExpr("$1").0?.kind else { Issue.record("$1"); return }
        guard case .selfRef? = parseExpr("self").0?.kind else { Issue.record("self"); return }
    }

    @Test func stringInterpolation() {
        #expect(sexpr(#""a = \(a + 1)!""#) == #"(str "a = " (+ a 1) "!")"#)
        #expect(sexpr(#""\(f(x, (y)))""#) == "(str (call f x (paren y)))")
        #expect(sexpr(#""\(m["k"] ?? "none")""#) == #"(str (?? ([] m "k") "none"))"#)
        #expect(sexpr(#""\(xs.map { $0 * 2 })""#) == "(str (call (. xs map) {(* $0 2);}))")
    }

    @Test func brokenInterpolationIsReportedAtItsPosition() {
        let (_, diags) = parseExpr(#""ab\(x y)""#)
        #expect(positions(diags) == ["expected@1:16"])
    }

    // "(" expression ")" | tuple
    @Test func parenthesesAndTuples() {
        #expect(sexpr("(a)") == "(paren a)")
        #expect(sexpr("(a, b)") == "(tuple a b)")
        #expect(sexpr("(1, (2, 3), x)") == "(tuple 1 (tuple 2 3) x)")
        #expect(sexpr("()") == "(tuple)")
    }

    // array / map literals
    @Test(arguments: [
        ("[]", "[]"), ("[1, 2, 3]", "[1 2 3]"), ("[1, 2,]", "[1 2]"), ("[[1], []]", "[[1] []]"),
        ("[:]", "[:]"), ("[\"a\": 1, \"b\": 2]", "[\"a\": 1, \"b\": 2]"), ("[k: v,]", "[k: v]"),
        ("[x]", "[x]"), ("[a < b]", "[(< a b)]"),
    ])
    func collectionLiterals(_ text: String, _ expected: String) {
        #expect(sexpr(text) == expected)
    }

    @Test func mapLiteralNeedsColonsEverywhere() {
        let (_, diags) = parseExpr("[1: 2, 3]")
        #expect(positions(diags) == ["expected@1:17"])
    }

    // "[" type "]" directly followed by "("
    @Test(arguments: [
        ("[Int]()", "(call type [Int])"),
        ("[Int](repeating: 0, count: n)", "(call type [Int] repeating:0 count:n)"),
        ("[[Bytes]]()", "(call type [[Bytes]])"),
        ("[Map<Int, Int>]()", "(call type [Map<Int, Int>])"),
        ("[Int?]()", "(call type [Int?])"),
    ])
    func arrayTypeInitializers(_ text: String, _ expected: String) {
        #expect(sexpr(text) == expected)
    }

    @Test func arrayTypeOnlyBeforeAParenthesisOnTheSameLine() {
        #expect(statements("let a = [Int]\n(x)") == ["let a = [Int]", "(paren x)"])
    }

    // identifier [ generic_args ] only directly before "(" or "."
    @Test(arguments: [
        ("Map<Bytes, Int>()", "(call Map<Bytes, Int>)"),
        ("Map<Int, [Bytes]>()", "(call Map<Int, [Bytes]>)"),
        ("Map<Int, Map<Int, Int>>()", "(call Map<Int, Map<Int, Int>>)"),
        ("Map<Int, Int>.empty", "(. Map<Int, Int> empty)"),
        ("a<b", "(< a b)"),
        ("a < b", "(< a b)"),
        ("f(a<b, c)", "(call f (< a b) c)"),
        ("(a<b) && c > d", "(&& (paren (< a b)) (> c d))"),
    ])
    func genericArgumentsInExpressions(_ text: String, _ expected: String) {
        #expect(sexpr(text) == expected)
    }

    @Test func failedGenericSpeculationLeavesComparisons() {
        // `a<b, c>d`: `<b, c>` is not followed by "(" or ".", so these are two comparisons, and the
        // abandoned attempt leaves no diagnostic behind.
        #expect(sexpr("f(a<b, c>d)") == "(call f (< a b) (> c d))")
        // Directly before "(", as in Swift, they are generic arguments.
        #expect(sexpr("f(a<b, c>(d))") == "(call f (call a<b, c> d))")
    }

    // postfix_suffix = "." identifier | "." integer_literal | call | trailing closure | subscript | "!"
    @Test(arguments: [
        ("a.b.c", "(. (. a b) c)"),
        ("t.0", "(# t 0)"),
        ("t.0.1", "(# (# t 0) 1)"),
        ("t.1.2.3", "(# (# (# t 1) 2) 3)"),
        ("t.0.x", "(. (# t 0) x)"),
        ("f()", "(call f)"),
        ("f(1, 2)", "(call f 1 2)"),
        ("f(a: 1, b)", "(call f a:1 b)"),
        ("f(1,)", "(call f 1)"),
        ("f(in: 1, for: 2, repeating: x)", "(call f in:1 for:2 repeating:x)"),
        ("f(x)(y)", "(call (call f x) y)"),
        ("a[i]", "([] a i)"),
        ("a[i][j]", "([] ([] a i) j)"),
        ("b[1..<n]", "([] b (..< 1 n))"),
        ("m[\"k\"]!", "(force ([] m \"k\"))"),
        ("f()!.x", "(. (force (call f)) x)"),
        ("s.init(x)", "(call (. s init) x)"),
        (".get(k)", "(call .get k)"),
        ("Shape.circle(2)", "(call (. Shape circle) 2)"),
    ])
    func postfixSuffixes(_ text: String, _ expected: String) {
        #expect(sexpr(text) == expected)
    }

    @Test func badMemberAfterDot() {
        let (_, d1) = parseExpr("t.0x1")
        #expect(positions(d1) == ["expected@1:11"])
        let (_, d2) = parseExpr("a.(b)")
        #expect(positions(d2) == ["expected@1:11"])
    }

    @Test func forceUnwrapVersusNotEqual() {
        #expect(sexpr("a != b") == "(!= a b)")
        #expect(sexpr("a!=b") == "(!= a b)")
        #expect(sexpr("a! != b") == "(!= (force a) b)")
        #expect(sexpr("a! == b!") == "(== (force a) (force b))")
        #expect(sexpr("a!!") == "(force (force a))")
        #expect(sexpr("a! + 1") == "(+ (force a) 1)")
    }

    @Test func forceUnwrapMustBeGlued() {
        // `a !` is not a force unwrap; `!` is no binary operator, so the declaration ends before it.
        let (e, diags) = parseExpr("a !b")
        #expect(e.map(sx) == "a")
        #expect(positions(diags) == ["consecutive-statements@1:10"])
    }

    // argument = [ identifier ":" ] ( "&" postfix_expr | expression ) ;
    @Test func inoutArguments() {
        #expect(sexpr("f(&x)") == "(call f &x)")
        #expect(sexpr("stack.poll(&device)") == "(call (. stack poll) &device)")
        #expect(sexpr("f(into: &a.b[0], 1)") == "(call f into:&([] (. a b) 0) 1)")
        guard case .call(_, let args)? = parseExpr("f(&x)").0?.kind, let amp = args.first?.inoutSpan else {
            Issue.record("expected an inout argument"); return
        }
        #expect(amp.column == 11 && amp.end - amp.start == 1)
    }

    @Test func ampersandOutsideAnArgumentList() {
        let (_, diags) = parseExpr("&x")
        #expect(positions(diags) == ["expected@1:9"])
        #expect(diags.first?.message.contains("inout") == true)
    }

    @Test func ampersandArgumentIsOnlyAPostfixExpression() {
        let (_, diags) = parseExpr("f(&x + 1)")
        #expect(positions(diags) == ["expected@1:14"])
    }

    @Test func callAndSubscriptMustBeOnTheSameLine() {
        #expect(statements("f\n(x)") == ["f", "(paren x)"])
        #expect(statements("a\n[1]") == ["a", "[1]"])
        #expect(statements("f(\n  1,\n  2\n)") == ["(call f 1 2)"])
    }

    @Test func callSpans() {
        guard let e = parseExpr("f(a, b: c)").0, case .call(let callee, let args) = e.kind else {
            Issue.record("expected a call"); return
        }
        #expect(e.span.start == 8 && e.span.end == 18)
        #expect(callee.span.start == 8 && callee.span.end == 9)
        #expect(args.map { [$0.span.start, $0.span.end] } == [[10, 11], [13, 17]])
        #expect(args[1].label?.span.start == 13)
    }
}

// MARK: - Closures and trailing closures

@Suite struct ClosureTests {
    // closure_expr = "{" [ closure_signature "in" ] { statement } "}" ;
    // closure_signature = closure_param { "," closure_param } | "(" [ … ] ")" [ "->" type ] ;
    @Test(arguments: [
        ("f({ x in x })", "(call f {(x) in x;})"),
        ("f({ x, y in x + y })", "(call f {(x, y) in (+ x y);})"),
        ("f({ _ in 1 })", "(call f {(_) in 1;})"),
        ("f({ _, b in b })", "(call f {(_, b) in b;})"),
        ("f({ (a) in a })", "(call f {(a) in a;})"),
        ("f({ (a: Int, b) -> Bool in a < b })", "(call f {(a: Int, b) -> Bool in (< a b);})"),
        ("f({ () -> Int in 1 })", "(call f {() -> Int in 1;})"),
        ("f({ x: Int in x })", "(call f {(x: Int) in x;})"),
        ("f({ $0 < $1 })", "(call f {(< $0 $1);})"),
        ("f({ x })", "(call f {x;})"),
        ("f({ })", "(call f {})"),
        ("f({ x in\n let y = x\n return y\n })", "(call f {(x) in let y = x; return y;})"),
    ])
    func closures(_ text: String, _ expected: String) {
        #expect(sexpr(text) == expected)
    }

    @Test func closureWithoutSignatureHasNilParameters() {
        guard case .call(_, let args)? = parseExpr("f { $0 }").0?.kind, case .closure(let c)? = args.first?.value.kind else {
            Issue.record("expected a closure argument"); return
        }
        #expect(c.params == nil && c.result == nil)
        guard case .call(_, let args2)? = parseExpr("f { () in 1 }").0?.kind, case .closure(let c2)? = args2.first?.value.kind else {
            Issue.record("expected a closure argument"); return
        }
        #expect(c2.params?.isEmpty == true)
    }

    // trailing closures: "(" … ")" [ trailing_closure ] | trailing_closure
    @Test(arguments: [
        ("xs.map { $0 * 2 }", "(call (. xs map) {(* $0 2);})"),
        ("xs.reduce(0) { acc, x in acc + x }", "(call (. xs reduce) 0 {(acc, x) in (+ acc x);})"),
        ("f(1) { x in x }", "(call f 1 {(x) in x;})"),
        ("f { }", "(call f {})"),
        ("xs.filter { $0 > 0 }.map { $0 }", "(call (. (call (. xs filter) {(> $0 0);}) map) {$0;})"),
        ("a.forEach { x in print(x) }.count", "(. (call (. a forEach) {(x) in (call print x);}) count)"),
    ])
    func trailingClosures(_ text: String, _ expected: String) {
        #expect(sexpr(text) == expected)
    }

    @Test func trailingClosureMustStartOnTheSameLine() {
        #expect(statements("f\n{ x in x }") == ["f", "{(x) in x;}"])
        #expect(statements("f()\n{ 1 }") == ["(call f)", "{1;}"])
    }

    // Trailing closures are not taken in conditions of if/guard/while, for's sequence, switch's subject.
    @Test(arguments: [
        ("if ok { f() }", "if ok { (call f); }"),
        ("if a.isEmpty { }", "if (. a isEmpty) { }"),
        ("if let x = y { }", "if let x = y { }"),
        ("while more { f() }", "while more { (call f); }"),
        ("guard ok else { return }", "guard ok else { return; }"),
        ("for x in xs { f(x) }", "for x in xs { (call f x); }"),
        ("for x in xs.reversed() { }", "for x in (call (. xs reversed)) { }"),
        ("if f() { }", "if (call f) { }"),
        // Inside brackets the restriction is lifted again.
        ("if xs.contains(where: { $0 > 1 }) { }", "if (call (. xs contains) where:{(> $0 1);}) { }"),
        ("if (xs.map { $0 }).isEmpty { }", "if (. (paren (call (. xs map) {$0;})) isEmpty) { }"),
        ("if a[xs.map { $0 }.count] { }", "if ([] a (. (call (. xs map) {$0;}) count)) { }"),
        ("for x in [xs.map { $0 }] { }", "for x in [(call (. xs map) {$0;})] { }"),
        ("while g(h { 1 }) { }", "while (call g (call h {1;})) { }"),
    ])
    func noTrailingClosureInConditions(_ text: String, _ expected: String) {
        #expect(statements(text) == [expected])
    }

    @Test func closureBodyMayTakeTrailingClosuresEvenInACondition() {
        #expect(
            statements("if xs.contains(where: { $0.map { $0 }.isEmpty }) { }") == [
                "if (call (. xs contains) where:{(. (call (. $0 map) {$0;}) isEmpty);}) { }"
            ])
    }
}

// MARK: - The printed outline

@Suite struct ASTPrinterTests {
    @Test func outlineWithPositions() {
        let (file, diags) = parse(
            """
            func f(_ a: Int) -> Int {
                if a > 0 { return a } else { return -a }
            }
            """)
        #expect(diags.isEmpty)
        #expect(
            ASTPrinter.print(file) == """
                File test.clv
                  Func f(_ a: Int) -> Int @1:1
                    If @2:5
                      Condition @2:8
                        Binary > @2:8
                          Name a @2:8
                          Int 0 @2:12
                      Then @2:14
                        Return @2:16
                          Name a @2:23
                      Else @2:32
                        Return @2:34
                          Unary - @2:41
                            Name a @2:42

                """)
    }

    @Test func outlineOfDeclarations() {
        let (file, diags) = parse(
            """
            import net
            state S {
                var t: Map<Bytes, Bytes> = Map()
                func get(_ k: Bytes, or d: Int = 0) -> Bytes? { return t[k] }
            }
            enum E { case a, b(x: Int) }
            """)
        #expect(diags.isEmpty)
        #expect(
            outline(file) == """
                File test.clv
                  Import module net
                  State S
                    Field var t: Map<Bytes, Bytes>
                      Call
                        Name Map
                    Func get(_ k: Bytes, or d: Int = …) -> Bytes?
                      Default d
                        Int 0
                      Return
                        Subscript
                          Name t
                          Name k
                  Enum E
                    Case a
                    Case b(x: Int)

                """)
    }

    @Test func outlineOfASwitch() {
        let (file, diags) = parse("func f() {\n    switch s {\n    case let .b(x) where x > 1: g(&x)\n    default: break\n    }\n}")
        #expect(diags.isEmpty)
        #expect(
            outline(file) == """
                File test.clv
                  Func f()
                    Switch
                      Name s
                      Case
                        PatternCase .b
                          PatternBind let x
                        Where
                          Binary >
                            Name x
                            Int 1
                        ExprStmt
                          Call
                            Name g
                            Arg inout
                              Name x
                      Default
                        Break

                """)
    }
}

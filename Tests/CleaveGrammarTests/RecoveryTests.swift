// Error recovery: a file with several syntax errors gets all of them reported
// in one run, each once, at its position; what is well-formed around them is
// still in the tree; and the parser terminates on any input at all.

import CleaveDiagnostics
import CleaveGrammar
import CleaveTestSupport
import Testing

@Suite struct RecoveryTests {
    static let manyErrors = """
        func a() {
            let x = (1 +
            let y = 2
            y = = 3
        }

        func b(x: ) -> Int {
            return x
        }

        struct S {
            var : Int
            let ok: Int
        }

        func c() {
            if x > 1 { f( }
            while true { g(] }
            f(1, 2
            let z = [1, 2
            return z
        }

        enum E { case a(Int, String), (Int), c }
        func d() -> Int { return 1 } func e() {}
        }
        func main() {
        """

    @Test func everyErrorIsReportedOnceWithItsPosition() {
        let (_, diags) = parse(Self.manyErrors)
        #expect(
            positions(diags) == [
                "expected@2:17",  // `(1 +` ends the line
                "expected@4:9",  // `= =`
                "expected@7:11",  // missing parameter type
                "expected@12:9",  // missing field name
                "expected@17:19",  // `f( }`
                "expected@18:20",  // `g(]`
                "expected@19:11",  // unclosed argument list
                "expected@20:18",  // unclosed array literal
                "expected@24:31",  // `(Int)` is no case name
                "consecutive-statements@25:29",
                "expected@26:1",  // stray `}`
                "expected@27:14",  // unclosed body at the end of the file
            ])
        #expect(diags.allSatisfy { $0.severity == .error })
    }

    @Test func unclosedBracketsPointBackAtTheOpeningOne() {
        let (_, diags) = parse(Self.manyErrors)
        let notes = diags.filter { !$0.notes.isEmpty }.map { d in
            "\(d.span!.line):\(d.span!.column) -> \(d.notes[0].span!.line):\(d.notes[0].span!.column)"
        }
        #expect(notes == ["19:11 -> 19:6", "20:18 -> 20:13", "27:14 -> 27:13"])
    }

    @Test func wellFormedPartsSurviveAroundTheErrors() {
        let (file, _) = parse(Self.manyErrors)
        #expect(
            outline(file).split(separator: "\n").filter { !$0.hasPrefix("      ") } == [
                "File test.clv",
                "  Func a()",
                "    Let x",
                "    Let y",
                "    ErrorStmt",
                "  Func b(x x: <error>) -> Int",
                "    Return",
                "  Struct S",
                "    Field let ok: Int",
                "  Func c()",
                "    ErrorStmt",
                "    ErrorStmt",
                "    ErrorStmt",
                "    Let z",
                "    Return",
                "  Enum E",
                "    Case a(Int, String)",
                "  Func d() -> Int",
                "    Return",
                "  Func e()",
                "  Func main()",
                "    ErrorStmt",  // the body's end is unknown
            ])
    }

    @Test func oneErrorPerBrokenStatement() {
        let body = (1...10).map { i in i % 2 == 0 ? "    let = \(i)" : "    f(\(i) +" }.joined(separator: "\n")
        let (stmts, diags) = parseBody(body + "\n    ok()")
        #expect(diags.count == 10)
        #expect(diags.map { $0.span?.line ?? 0 } == Array(2...11))
        #expect(stmts.last.map(sxStmt) == "(call ok)")
    }

    @Test(arguments: [
        ("a + * / b", ["expected@2:17"]),
        ("(c >> >> >> d)", ["expected@2:19"]),
        ("a < b < < < c", ["expected@2:19", "expected@2:21"]),
        ("1 + ]", ["expected@2:17"]),
        ("f(1 2) + 3", ["expected@2:17"]),
    ])
    func oneMissingOperandOneError(_ text: String, _ expected: [String]) {
        let (stmts, diags) = parseBody("    let x = " + text + "\n    ok()")
        #expect(positions(diags) == expected)
        #expect(stmts.last.map(sxStmt) == "(call ok)")
    }

    @Test func typeNestedBeyondTheLimitGivesFewErrors() {
        let deep = String(repeating: "Map<", count: 300) + "Int" + String(repeating: ">", count: 300) + "()"
        let (_, diags) = parseBody("    let x = " + deep + "\n    ok()")
        #expect(!diags.isEmpty && diags.count <= 3, "\(diags.count) errors")
    }

    @Test func errorsInSeveralDeclarationsAndTypeBodies() {
        let text = """
            state A {
                var x: = 1
                func f() { }
                init( { }
            }
            struct B {
                let y: Int
                42
                let z: Int
            }
            func g() -> { }
            let h = 
            func main() {}
            """
        let (file, diags) = parse(text)
        #expect(positions(diags) == ["expected@2:12", "expected@4:11", "expected@8:5", "expected@11:13", "expected@12:8"])
        guard case .nominal(let a) = file.decls[0], case .nominal(let b) = file.decls[1] else {
            Issue.record("expected state A and struct B")
            return
        }
        #expect(a.methods.map(\.name.name) == ["f"])
        #expect(b.fields.map(\.name.name) == ["y", "z"])
        #expect(file.decls.contains { if case .function(let f) = $0 { f.name.name == "main" } else { false } })
    }

    @Test func strayClosingBracesAtTheTopLevel() {
        let (file, diags) = parse("}\nfunc f() {}\n}}\nfunc g() {}")
        #expect(positions(diags) == ["expected@1:1", "expected@3:1", "expected@3:2"])
        #expect(file.decls.count == 2)
    }

    @Test func missingClosingBraceOfAType() {
        let (file, diags) = parse("struct S {\n    let a: Int\nfunc main() {}")
        #expect(positions(diags).count == 1)
        #expect(diags.first?.notes.first?.span?.line == 1)
        #expect(file.decls.count >= 1)
    }

    @Test func lexerAndParserErrorsTogether() {
        let (_, diags) = parse("func f() {\n    let a = 1 @ 2\n    let b = \"open\n    let c = (\n}")
        #expect(diags.map(\.id).contains("unexpected-character"))
        #expect(diags.map(\.id).contains("unterminated-string"))
        #expect(diags.contains { $0.span?.line == 4 })
    }
}

// MARK: - Termination on garbage

@Suite struct GarbageTests {
    static let vocabulary: [String] =
        Punct.allCases.map(\.rawValue) + Keyword.allCases.map(\.rawValue) + [
            "x", "y", "_", "Int", "Map", "Bytes", "0", "42", "1.5", "0xFF", "$0", "\"s\"", "\"a\\(x)b\"", "\"\\(", "\n",
            "\n", "\n", " ", "/*", "*/", "//", "@", "\"", "t.0.1", "<<", ">>",
        ]

    /// Parse `text`; every diagnostic must lie inside the file, and the tree must print.
    func survives(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let (file, diags) = parse(text)
        let size = text.utf8.count
        for d in diags {
            if let s = d.span {
                #expect(s.start >= 0 && s.end <= size, "diagnostic outside the file: \(d.message)", sourceLocation: sourceLocation)
            }
        }
        #expect(!ASTPrinter.print(file).isEmpty, sourceLocation: sourceLocation)
    }

    @Test(.timeLimit(.minutes(1)), arguments: 0..<8)
    func randomTokenSoup(_ seed: Int) {
        var rng = SplitMix64(state: UInt64(seed) &* 7919)
        for _ in 0..<150 {
            let n = Int.random(in: 0...300, using: &rng)
            var text = ""
            for _ in 0..<n {
                text += Self.vocabulary.randomElement(using: &rng)!
                if Bool.random(using: &rng) { text += " " }
            }
            survives(text)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func randomPrintableCharacters() {
        var rng = SplitMix64(state: 12345)
        let chars = Array(" \n\t!\"#$%&'()*+,-./0123456789:;<=>?@ABCXYZ[\\]^_`abcxyz{|}~é")
        for _ in 0..<400 {
            let n = Int.random(in: 0...200, using: &rng)
            survives(String((0..<n).map { _ in chars.randomElement(using: &rng)! }))
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func everyPrefixOfAProgram() {
        let program = """
            import net
            state S { var t: Map<Bytes, [Int]> = Map(); init() {} func f(_ x: inout Device) -> Int? { return t[\"k\"]?.first } }
            enum E { case a, b(key: Bytes) }
            func main() {
                let (a, b) = (1, 2)
                switch e { case let .b(k) where k.count > 0: f(&x) default: break }
                for (i, x) in xs.enumerated() { if let y = x, y != nil { continue } else { break } }
                guard let q = m[k] ?? d else { return }
                let s = "v=\\(xs.map { $0 * 2 }.reduce(0) { $0 + $1 })"
                loop { t.0.1 = [Int](repeating: 0, count: 3)[i..<j]! }
            }
            """
        let bytes = Array(program.utf8)
        for end in 0...bytes.count {
            survives(String(decoding: bytes[0..<end], as: UTF8.self))
        }
        // And every suffix.
        for start in 0...bytes.count {
            survives(String(decoding: bytes[start...], as: UTF8.self))
        }
    }

    @Test(
        .timeLimit(.minutes(1)),
        arguments: [
            String(repeating: "(", count: 5000) + "1" + String(repeating: ")", count: 5000),
            String(repeating: "(", count: 5000),
            String(repeating: "[", count: 5000),
            String(repeating: "[", count: 300) + "Int" + String(repeating: "]", count: 300) + "()",
            String(repeating: "-", count: 5000) + "x",
            String(repeating: "!", count: 5000) + "x",
            String(repeating: "f(", count: 3000),
            String(repeating: "{ ", count: 5000),
            String(repeating: "{ a in ", count: 2000),
            String(repeating: "a ? ", count: 3000) + "b",
            String(repeating: "a ?? ", count: 3000) + "b",
            String(repeating: "a<", count: 3000) + "b",
            String(repeating: "Map<", count: 2000) + "Int" + String(repeating: ">", count: 2000) + "()",
            String(repeating: "\"\\(", count: 500) + "x" + String(repeating: ")\"", count: 500),
        ])
    func deepNestingIsBounded(_ value: String) {
        let text = "func f() {\n    let x = " + value + "\n}\nfunc main() {}"
        let (file, diags) = parse(text)
        survives(text)
        // Whatever happened inside, `main` is still found after it.
        #expect(
            file.decls.contains { if case .function(let f) = $0 { f.name.name == "main" } else { false } }
                || diags.contains { $0.id == "nested-too-deeply" })
    }

    /// `count` terms `term` joined by `separator`.
    func chain(_ count: Int, _ term: String, _ separator: String) -> String {
        Array(repeating: term, count: count).joined(separator: separator)
    }

    @Test func longChainsAreNotNesting() {
        // Only parentheses, brackets, argument lists, closures and the like nest; a chain of
        // operators or of calls is as long as it is.
        let chains = [
            chain(10_000, "1", " + "), chain(10_000, "a", " && "), chain(10_000, "a", " || "),
            "x" + String(repeating: ".f()", count: 10_000), "x" + String(repeating: ".y", count: 5000),
            "x" + String(repeating: "!", count: 5000), chain(5_000, "a * 2", " - "),
            String(repeating: "(", count: 200) + chain(10_000, "a", " + ") + String(repeating: ")", count: 200),
        ]
        for text in chains {
            let (e, diags) = parseExpr(text)
            #expect(diags.isEmpty, "\(text.prefix(40))…: \(diags.map(\.message))")
            #expect(e != nil)
        }
        // `1 + 1 + …` is the left-deep tree `((1 + 1) + 1) + …`.
        var (e, _) = parseExpr(chain(10_000, "1", " + "))
        var depth = 0
        while case .binary(.add, let l, _)? = e?.kind {
            depth += 1
            e = l
        }
        #expect(depth == 9_999)
    }

    @Test func rightAssociativeChainsAreNesting() {
        // `a ?? b ?? c` is `a ?? (b ?? c)`: each right side inside the one before.
        let (_, diags) = parseExpr(chain(3000, "a", " ?? "))
        #expect(diags.map(\.id) == ["nested-too-deeply"])
        let (_, ok) = parseExpr(chain(200, "a", " ?? "))
        #expect(ok.isEmpty)
        let (_, ternaries) = parseExpr(String(repeating: "a ? b : ", count: 300) + "c")
        #expect(ternaries.map(\.id) == ["nested-too-deeply"])
    }

    @Test func chainsPastTheChainLimitAreOneError() {
        let message = "expression is too long (more than 30000 operators, calls, subscripts and member accesses in a row)"
        // 30,000 operators are the most a chain may have.
        #expect(parseExpr(chain(30_001, "1", " + ")).1.isEmpty)
        for text in [chain(30_002, "1", " + "), "x" + String(repeating: ".f()", count: 15_001)] {
            let (file, diags) = parse("func f() {\n    let x = " + text + "\n    g()\n}\nfunc main() {}")
            #expect(diags.map(\.message) == [message])
            #expect(diags.first?.span?.line == 2)
            // Whatever follows is parsed as usual.
            #expect(file.decls.count == 2)
        }
        // The operations of the chains around an expression add up.
        let (_, nested) = parseExpr(chain(20_000, "a", " + ") + " + (" + chain(15_000, "b", " * ") + ")")
        #expect(nested.map(\.id) == ["expression-too-long"])
    }

    @Test func nestingLimitIsReported() {
        let (_, diags) = parseExpr(String(repeating: "(", count: 300) + "1" + String(repeating: ")", count: 300))
        #expect(diags.map(\.id).contains("nested-too-deeply"))
        let (_, ok) = parseExpr(String(repeating: "(", count: 100) + "1" + String(repeating: ")", count: 100))
        #expect(ok.isEmpty)
    }

    @Test func nestedInterpolationsAreBoundedLikeOtherNesting() {
        let (_, deep) = parseExpr(StringTests.nestedInterpolations(5000))
        #expect(deep.map(\.id) == ["nested-too-deeply"])
        let (_, ok) = parseExpr(StringTests.nestedInterpolations(250))
        #expect(ok.isEmpty)
    }

    @Test(.timeLimit(.minutes(1)))
    func longFlatInputsAreFast() {
        // Long, but not deep: these must parse without quadratic blow-up or errors.
        let calls = "let x = f(" + (0..<20000).map(String.init).joined(separator: ", ") + ")"
        #expect(parse(calls).1.isEmpty)
        let array = "let x = [" + (0..<20000).map(String.init).joined(separator: ", ") + "]"
        #expect(parse(array).1.isEmpty)
        let statements = "func f() {\n" + String(repeating: "    a.b(c)[0] = Map<Int, Int>()\n", count: 5000) + "}"
        #expect(parse(statements).1.isEmpty)
    }
}

// The IR verifier finds each kind of broken IR (so that its silence means something).

import CleaveDiagnostics
import CleaveDriver
import CleaveIR
import CleaveSema
import Testing

@Suite struct VerifyIRTests {
    /// A well-formed program to break in different ways.
    func base() throws -> IRProgram {
        try #require(
            lowered(
                """
                func f(_ a: Int) -> Int {
                    var x = a
                    while x > 10 {
                        x -= 3
                    }
                    if x > 5 {
                        x += 1
                    }
                    return x
                }
                func main() {
                    print("\\(f(40))")
                }
                """))
    }

    func replacing(_ p: IRProgram, _ name: String, _ body: (IRFunction) -> IRBlock) throws -> IRProgram {
        let functions = p.functions.map { f -> IRFunction in
            guard p.typed.function(f.source).name == name else { return f }
            return IRFunction(
                source: f.source, name: f.name, kind: f.kind, params: f.params, results: f.results, body: body(f),
                values: f.values, span: f.span)
        }
        return IRProgram(typed: p.typed, functions: functions, globals: p.globals)
    }

    @Test func theLoweredProgramIsWellFormed() throws {
        #expect(VerifyIR.verify(try base()).isEmpty)
    }

    @Test func aValueDefinedTwiceIsFound() throws {
        let p = try replacing(try base(), "f") { f in
            var stmts = f.body.stmts
            stmts.insert(stmts[0], at: 0)
            return IRBlock(stmts)
        }
        #expect(VerifyIR.verify(p).contains { $0.contains("defined more than once") })
    }

    @Test func aUseBeforeTheDefinitionIsFound() throws {
        let p = try replacing(try base(), "f") { f in
            IRBlock(f.body.stmts.reversed())
        }
        #expect(VerifyIR.verify(p).contains { $0.contains("not defined") })
    }

    @Test func aBodyThatFallsOffItsEndIsFound() throws {
        let p = try replacing(try base(), "f") { f in IRBlock(Array(f.body.stmts.dropLast())) }
        #expect(VerifyIR.verify(p).contains { $0.contains("falls off its end") })
    }

    @Test func wrongCountsOfHandedOnValuesAreFound() throws {
        let p = try replacing(try base(), "f") { f in
            var stmts = f.body.stmts
            let last = stmts.removeLast()
            stmts.append(IRStmt(kind: .returnValues([]), span: last.span))
            return IRBlock(stmts)
        }
        #expect(VerifyIR.verify(p).contains { $0.contains("return hands on 0 values, expected 1") })
    }

    @Test func aBreakOutsideALoopIsFound() throws {
        let p = try replacing(try base(), "f") { f in
            var stmts = f.body.stmts
            let last = stmts.removeLast()
            stmts.append(IRStmt(kind: .breakLoop([]), span: last.span))
            return IRBlock(stmts)
        }
        #expect(VerifyIR.verify(p).contains { $0.contains("break outside a loop") })
    }

    @Test func aConditionThatIsNotBoolIsFound() throws {
        let p = try replacing(try base(), "f") { f in
            IRBlock(
                f.body.stmts.map { s in
                    guard case .ifThen(_, let a, let b, let r) = s.kind else { return s }
                    return IRStmt(kind: .ifThen(.int(1, negative: false, .int), then: a, else: b, results: r), span: s.span)
                })
        }
        #expect(VerifyIR.verify(p).contains { $0.contains("the condition has type Int, expected Bool") })
    }
}

// Lowering to the IR: the shapes that later passes rely on.

import CleaveDiagnostics
import CleaveDriver
import CleaveIR
import CleaveSema
import CleaveTestSupport
import Foundation
import Testing

@Suite struct LowerToIRTests {

    @Test(arguments: Repo.examples)
    func everyExampleLowersToVerifiedIR(_ path: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let result = Pipeline.run([SourceFile(path: path, text: text)], through: .ir)
        #expect(!result.hasErrors, "\(DiagnosticFormatter().format(result.diagnostics))")
        let ir = try #require(result.ir)
        #expect(VerifyIR.verify(ir).isEmpty)
        // Every function with a body is lowered.
        #expect(ir.functions.count == ir.typed.functions.filter { $0.body != nil }.count)
    }

    @Test func theServerLoopThreadsEachStateInProgramOrder() throws {
        let p = try #require(
            lowered(
                """
                import net
                state Store {
                    var n = 0
                    func answer(_ b: Bytes) -> Bytes {
                        n += 1
                        return b
                    }
                }
                func main() {
                    let device = UdpDevice(port: 7000)
                    let store = Store()
                    loop {
                        let d = device.receive()
                        let r = store.answer(d.payload)
                        device.send(d.reply(r))
                    }
                }
                """))
        let main = try #require(p.named("main"))
        let calls = stateCalls(main, p)
        #expect(calls.map { "\($0.0).\($0.1)" } == ["device.receive", "store.answer", "device.send"])
        // The second call on `device` takes the version the first one returned.
        #expect(calls[2].2 == calls[0].3)
        // The loop carries both states.
        guard
            case .loop(let carried, _, _, let results)? = main.body.stmts.first(where: { if case .loop = $0.kind { true } else { false } })?
                .kind
        else {
            Issue.record("no loop in main")
            return
        }
        #expect(carried.map { main.info($0).name } == ["device", "store"])
        #expect(results.count == 2)
    }

    @Test func aStateMethodTakesAndReturnsSelf() throws {
        let p = try #require(
            lowered(
                """
                state Counter {
                    var n = 0
                    func bump(by k: Int) -> Int {
                        n += k
                        return n
                    }
                }
                func main() {
                    let c = Counter()
                    let x = c.bump(by: 2)
                    print("\\(x)")
                }
                """))
        let bump = try #require(p.named("Counter.bump"))
        let counter = try #require(p.typed.types.firstIndex { $0.name == "Counter" })
        #expect(bump.kind == .stateMethod(TypeID(counter)))
        #expect(bump.params.count == 2)
        #expect(bump.results.map { p.typed.typeName($0) } == ["Counter", "Int"])
        // The body sets the field on a new version of self and returns it.
        let stmts = allStatements(bump.body)
        #expect(stmts.contains { if case .assign(_, .setField(_, 0, _)) = $0.kind { true } else { false } })
        guard case .returnValues(let values)? = bump.body.stmts.last?.kind, case .value(let newSelf) = values.first else {
            Issue.record("bump does not end in a return of self")
            return
        }
        #expect(newSelf != bump.params[0])
    }

    @Test func aStatePassedInoutComesBackAsAResult() throws {
        let p = try #require(
            lowered(
                """
                state Device {
                    var frames: [Bytes] = []
                    func take() -> Bytes? {
                        if frames.isEmpty { return nil }
                        return frames.removeLast()
                    }
                }
                state Stack {
                    var seen = 0
                    func poll(_ device: inout Device) -> Int {
                        while let f = device.take() {
                            seen += f.count
                        }
                        return seen
                    }
                }
                func main() {
                    var device = Device()
                    let stack = Stack()
                    loop {
                        let n = stack.poll(&device)
                        print("\\(n)")
                    }
                }
                """))
        let main = try #require(p.named("main"))
        let poll = allStatements(main.body).compactMap { s -> (Int, [IRStateArgument])? in
            if case .stateCall(_, let inoutNext, _, _, _, let args) = s.kind { return (inoutNext.count, args) }
            return nil
        }
        #expect(poll.count == 1)
        #expect(poll.first?.0 == 1)
        let pollFunction = try #require(p.named("Stack.poll"))
        // poll returns the next self, the next device, and its result.
        #expect(pollFunction.results.map { p.typed.typeName($0) } == ["Stack", "Device", "Int"])
        // Inside poll the device is threaded through the while loop.
        #expect(stateCalls(pollFunction, p).map(\.1) == ["take"])
    }

    @Test func variablesThatChangeInBranchesAndLoopsAreYieldedAndCarried() throws {
        let p = try #require(
            lowered(
                """
                func f(_ xs: [Int]) -> Int {
                    var total = 0
                    var odd = 0
                    for x in xs {
                        if x % 2 == 1 {
                            odd += 1
                            continue
                        }
                        total += x
                    }
                    return total * 100 + odd
                }
                func main() {
                    print("\\(f([1, 2, 3, 4]))")
                }
                """))
        let f = try #require(p.named("f"))
        guard case .loop(let carried, _, _, _)? = f.body.stmts.first(where: { if case .loop = $0.kind { true } else { false } })?.kind
        else {
            Issue.record("no loop")
            return
        }
        // What the body changes, in the order of first change, then the loop's own index.
        #expect(carried.map { f.info($0).name } == ["odd", "total", nil])
        let continues = allStatements(f.body).filter { if case .continueLoop = $0.kind { true } else { false } }
        #expect(continues.count == 2)  // the explicit `continue` and the end of the body
    }

    @Test func conditionsWithBindingsLowerTheElseBranchOnce() throws {
        let p = try #require(
            lowered(
                """
                func f(_ a: Int?, _ b: Int) -> Int {
                    if let x = a, x > b {
                        return x
                    } else {
                        return -1
                    }
                }
                func main() {
                    print("\\(f(3, 2))")
                }
                """))
        let f = try #require(p.named("f"))
        let returnsOfMinusOne = allStatements(f.body).filter { s in
            if case .returnValues(let v) = s.kind, case .int(1, true, _)? = v.first { return true }
            return false
        }
        #expect(returnsOfMinusOne.count == 1)
        #expect(allStatements(f.body).contains { if case .assign(_, .unwrap) = $0.kind { true } else { false } })
    }

    @Test func switchComputesTheMatchingCaseThenBranches() throws {
        let p = try #require(
            lowered(
                """
                enum Shape {
                    case circle(Int)
                    case square(Int)
                    case empty
                }
                func area(_ s: Shape) -> Int {
                    switch s {
                    case .circle(let r) where r > 10: return 3 * r * r
                    case .circle(let r): return 3 * r * r + 1
                    case .square(let a): return a * a
                    case .empty: return 0
                    }
                }
                func main() {
                    print("\\(area(.square(3)))")
                }
                """))
        let f = try #require(p.named("area"))
        let switches = allStatements(f.body).compactMap { s -> Int? in
            if case .switchOf(_, let cases, _) = s.kind { return cases.count }
            return nil
        }
        #expect(switches == [4])
        #expect(allStatements(f.body).contains { if case .assign(_, .enumTag) = $0.kind { true } else { false } })
        #expect(allStatements(f.body).contains { if case .assign(_, .enumPayload(_, 0, 0)) = $0.kind { true } else { false } })
    }

    @Test func changingPartOfAValueRebuildsThePath() throws {
        let p = try #require(
            lowered(
                """
                struct P {
                    var xs: [Int]
                }
                func f() -> [P] {
                    var ps = [P(xs: [1]), P(xs: [2])]
                    ps[1].xs[0] = 5
                    ps[0].xs.append(7)
                    return ps
                }
                func main() {
                    print("\\(f().count)")
                }
                """))
        let f = try #require(p.named("f"))
        let ops = allStatements(f.body).compactMap { s -> String? in
            guard case .assign(_, let op) = s.kind else { return nil }
            switch op {
            case .setIndex: return "setIndex"
            case .setField: return "setField"
            case .builtin(let n, _): return n.description
            default: return nil
            }
        }
        #expect(ops == ["setIndex", "setField", "setIndex", "Array.append", "setField", "setIndex"])
    }

    @Test func shortCircuitOperatorsBecomeBranches() throws {
        let p = try #require(
            lowered(
                """
                func f(_ a: Bool, _ m: Map<Int, Int>) -> Int {
                    let b = a && m.count > 2
                    let c = a || m.isEmpty
                    let d = m[1] ?? 0
                    return b && c ? d : 0
                }
                func main() {
                    print("\\(f(true, [:]))")
                }
                """))
        let f = try #require(p.named("f"))
        let ifs = allStatements(f.body).filter { if case .ifThen = $0.kind { true } else { false } }
        #expect(ifs.count == 5)
    }

    @Test func closuresAreNestedFunctionsOfTheirParameters() throws {
        let p = try #require(
            lowered(
                """
                func f(_ xs: [Int], _ k: Int) -> [Int] {
                    return xs.map { x in x * k }.filter { $0 > 2 }
                }
                func main() {
                    print("\\(f([1, 2], 2).count)")
                }
                """))
        let f = try #require(p.named("f"))
        let closures = allStatements(f.body).compactMap { s -> IRClosure? in
            if case .assign(_, .closure(let c)) = s.kind { return c }
            return nil
        }
        #expect(closures.count == 2)
        #expect(closures.allSatisfy { $0.params.count == 1 })
    }

    @Test func aLoopLeftOnlyByReturnEndsTheFunction() throws {
        let p = try #require(
            lowered(
                """
                func f(_ n: Int) -> Int {
                    var i = 0
                    loop {
                        i += 1
                        if i > n { return i }
                    }
                }
                func main() {
                    print("\\(f(3))")
                }
                """))
        let f = try #require(p.named("f"))
        // Nothing follows the loop: no return without a value at the end of the body.
        guard case .loop? = f.body.stmts.last?.kind else {
            Issue.record("f does not end with its loop")
            return
        }
        #expect(VerifyIR.verify(p).isEmpty)
    }

    @Test func whileTrueIsALoopLeftOnlyByBreakOrReturn() throws {
        let p = try #require(
            lowered(
                """
                func f(_ n: Int) -> Int {
                    var i = 0
                    while true {
                        i += 1
                        if i > n { return i }
                    }
                }
                func main() {
                    print("\\(f(3))")
                }
                """))
        let f = try #require(p.named("f"))
        guard case .loop(_, _, let body, _)? = f.body.stmts.last?.kind else {
            Issue.record("f does not end with its loop")
            return
        }
        // No test of the condition: nothing in the body breaks.
        #expect(!allStatements(body).contains { if case .breakLoop = $0.kind { true } else { false } })
    }

    @Test func aBreakNestedInASwitchCaseSkipsTheRestOfTheCase() throws {
        let p = try #require(
            lowered(
                """
                enum Mode {
                    case fast
                    case slow(Int)
                }
                func cost(_ mode: Mode, _ cheap: Bool, _ xs: [Int?]) -> Int {
                    var x = 0
                    switch mode {
                    case .fast:
                        if cheap { break }
                        x = 5
                        if x > 3 {
                            if cheap { x = 100 } else { break }
                        }
                        x += 2
                    case .slow(let k):
                        for v in xs {
                            guard let w = v else { break }
                            x += w
                        }
                        guard k > 0 else { break }
                        x += k
                    }
                    return x
                }
                func main() {
                    print("\\(cost(.fast, true, [1, nil]))")
                }
                """))
        let f = try #require(p.named("cost"))
        #expect(VerifyIR.verify(p).isEmpty)
        // The rest of the first case runs under a test of the flag the nested break sets.
        let flags = Set(f.values.filter { $0.name == "leftCase" }.map { "\($0.type)" })
        #expect(flags == ["bool"])
        // The break in the for loop leaves the loop, not the case: that loop has a break.
        #expect(allStatements(f.body).contains { if case .breakLoop = $0.kind { true } else { false } })
    }

    @Test func inoutArgumentsOfFunctionsComeBackAsResults() throws {
        let p = try #require(
            lowered(
                """
                func swapInts(_ a: inout Int, _ b: inout Int) {
                    let t = a
                    a = b
                    b = t
                }
                func main() {
                    var x = 1
                    var y = 2
                    swapInts(&x, &y)
                    print("\\(x) \\(y)")
                }
                """))
        let swapFunction = try #require(p.named("swapInts"))
        #expect(swapFunction.results.count == 2)
        let main = try #require(p.named("main"))
        let call = allStatements(main.body).compactMap { s -> Int? in
            if case .assign(let results, .call) = s.kind { return results.count }
            return nil
        }
        #expect(call == [2])
    }

    @Test func aCaseThatBreaksGoesOnAfterTheSwitch() throws {
        // Found by the generated programs: a case ending in `break` counted as leaving the
        // function when the other cases return, so the code after the switch was lost and
        // the function's block fell off its end.
        let p = try #require(
            lowered(
                """
                func f(_ n: Int, _ c: Bool) -> Int {
                    switch n {
                    case 2:
                        if c {
                            return 1
                        }
                        return 2
                    default:
                        break
                    }
                    return 3
                }
                func main() {
                    print("\\(f(2, true))")
                }
                """))
        #expect(VerifyIR.verify(p).isEmpty)
        let f = try #require(p.named("f"))
        guard case .returnValues(let values)? = f.body.stmts.last?.kind, values.count == 1, case .int(3, _, _) = values[0] else {
            Issue.record("f does not end with 'return 3'")
            return
        }
    }

    @Test func aStateCallTakesTheVersionItsArgumentsLeave() throws {
        // Found by the generated programs: in `g(g(1))` on a state both calls took the
        // version from before the inner call, forking the state thread.
        let p = try #require(
            lowered(
                """
                state A {
                    var n = 0
                    func g(_ x: Int) -> Int {
                        n += x
                        return n
                    }
                    func h() -> Int {
                        return g(g(1))
                    }
                }
                func main() {
                    let a = A()
                    loop {
                        _ = a.g(a.h())
                    }
                }
                """))
        #expect(VerifyIR.verify(p).isEmpty)
        for name in ["A.h", "main"] {
            let f = try #require(p.named(name))
            let calls = stateCalls(f, p)
            #expect(calls.count == 2)
            // The outer call takes the version the inner one returns.
            #expect(calls[1].2 == calls[0].3, "\(name)")
        }
    }

    @Test func theServiceLoopIsTheFirstLoopAtTheTopThatCallsADevice() throws {
        let p = try #require(
            lowered(
                """
                import net
                state Count {
                    var n: Int = 0
                    func next() -> Int {
                        n += 1
                        return n
                    }
                }
                func main() {
                    let count = Count()
                    loop {
                        if count.next() > 2 { break }
                    }
                    let device = UdpDevice(port: 9000)
                    var k = 0
                    while k < 3 { k += 1 }
                    loop {
                        let d = device.receive()
                        device.send(d.reply("\\(count.next())"))
                    }
                }
                """))
        let main = try #require(p.named("main"))
        let loops = main.body.stmts.indices.filter { if case .loop = main.body.stmts[$0].kind { true } else { false } }
        #expect(loops.count == 3)
        #expect(main.serviceLoop(p.typed) == loops.last)
        #expect(main.topLevelLoop(at: main.body.stmts[loops[1]].span) == loops[1])

        // Without a device call in any loop: the last loop at the top.
        let q = try #require(
            lowered(
                """
                state Count {
                    var n: Int = 0
                    func next() -> Int {
                        n += 1
                        return n
                    }
                }
                func main() {
                    let count = Count()
                    loop {
                        if count.next() > 2 { break }
                    }
                    loop {
                        print("\\(count.next())")
                    }
                }
                """))
        let qMain = try #require(q.named("main"))
        let qLoops = qMain.body.stmts.indices.filter { if case .loop = qMain.body.stmts[$0].kind { true } else { false } }
        #expect(qLoops.count == 2)
        #expect(qMain.serviceLoop(q.typed) == qLoops.last)
    }
}

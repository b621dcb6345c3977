// Tests of the checker: for each construct of LANGUAGE.md and Builtins.md, a
// small well-typed program that checks without any diagnostic, and an assertion
// on the typed AST it produced (types of bindings, conversions made explicit,
// defaults filled in, names resolved). A few negative tests at the end check
// that the right diagnostic id is reported.

import CleaveCImport
import CleaveDiagnostics
import CleaveGrammar
import Testing

@testable import CleaveSema

// MARK: - Declarations

@Suite struct DeclarationCheckTests {
    static let service = """
        import net

        state Store {
            var table: Map<Bytes, Bytes> = Map()

            func answer(_ request: Bytes) -> Bytes {
                let parts = request.split(separator: 32, maxSplits: 2)
                if parts.count == 3 && parts[0] == "SET" {
                    table[parts[1]] = parts[2]
                    return "STORED"
                }
                if parts.count == 2 && parts[0] == "GET" {
                    return table[parts[1]] ?? "NOT_FOUND"
                }
                return "ERROR"
            }
        }

        func main() {
            let device = UdpDevice(port: 7000)
            let store = Store()
            loop {
                let datagram = device.receive()
                let reply = store.answer(datagram.payload)
                device.send(datagram.reply(reply))
            }
        }
        """

    /// The service of LANGUAGE.md.
    @Test func theServiceOfTheLanguageGuide() {
        let c = checkClean(Self.service)
        guard let answer = c.method("Store", "answer") else {
            Issue.record("no Store.answer")
            return
        }
        #expect(c.render(boundValue("parts", in: answer)!, in: answer) == "(Bytes.split request 32:UInt8 2:Int)")
        #expect(localTypes("parts", in: answer) == [.array(.bytes)])
        // `"SET"` is compared as Bytes; the field `table` is `self.table`; the stored value is wrapped.
        let stmts = allStatements(answer.body!.stmts)
        guard case .ifStmt(let conds, _, _) = stmts[1].kind, case .bool(let cond) = conds[0] else {
            Issue.record("expected an if")
            return
        }
        #expect(c.render(cond, in: answer) == "(&& (== (Array.count parts) 3:Int) (== (index parts 0:Int) \"SET\":Bytes))")
        guard case .assign(let target, nil, let value) = stmts[2].kind else {
            Issue.record("expected an assignment")
            return
        }
        #expect(c.render(target, in: answer) == "(index (. self table) (index parts 1:Int))")
        #expect(c.render(value, in: answer) == "(some (index parts 2:Int))")
        #expect(
            returnedValues(answer).map { c.render($0, in: answer) } == [
                "\"STORED\":Bytes", "(?? (index (. self table) (index parts 1:Int)) \"NOT_FOUND\":Bytes)", "\"ERROR\":Bytes",
            ])
        #expect(answer.result == .bytes)
        // main: the states and the loop.
        let main = c.function("main")
        #expect(c.bound("device", in: "main") == "(init UdpDevice 7000:Int)")
        #expect(c.bound("store", in: "main") == "(memberwise Store (Map.empty))")
        #expect(c.bound("reply", in: "main") == "(method store answer (. datagram payload))")
        #expect(evaluated(main).map { c.render($0, in: main) } == ["(method device send (method datagram reply reply))"])
        #expect(c.program.main == main?.id)
        #expect(c.type("UdpDevice")?.isStandard == true && c.type("Store")?.isStandard == false)
    }

    @Test func theNetModule() {
        let c = checkClean(
            """
            import net
            func describe(_ d: Datagram) -> Int {
                return d.port + Int(d.peerPort) + Int(d.peerAddress) + d.payload.count
            }
            func main() {
                let device = UdpDevice(ports: [7000, 7001])
                loop {
                    let d = device.receive()
                    let n = describe(d)
                    device.send(d.reply("n=\\(n)"))
                }
            }
            """)
        #expect(
            c.type("Datagram")?.fields.map { "\($0.name): \(c.tyName($0.type))" } == [
                "payload: Bytes", "port: Int", "peerAddress: UInt32", "peerPort: UInt16",
            ])
        #expect(c.type("UdpDevice")?.kind == .state && c.type("Datagram")?.kind == .struct)
        #expect(c.bound("device", in: "main") == "(init UdpDevice [7000:Int 7001:Int]:[Int])")
        // The second initializer, `init(ports:)`, was chosen.
        guard case .initCall(let t, let fn, _)? = boundValue("device", in: c.function("main"))?.kind else {
            Issue.record("expected an initializer call")
            return
        }
        #expect(c.program.type(t).inits.last == fn)
        #expect(c.program.function(fn).params.map { $0.label ?? "_" } == ["ports"])
        let main = c.function("main")
        #expect(evaluated(main).map { c.render($0, in: main) } == ["(method device send (method d reply (interp \"n=\" n):Bytes))"])
    }

    @Test func stateWithInitAndInoutStateParameter() {
        let c = checkClean(
            """
            state Device {
                var sent: Int = 0
                func send(_ n: Int) { sent += n }
            }
            state Stack {
                var pending: [Int]
                init(capacity: Int) { pending = [Int](repeating: 0, count: capacity) }
                func poll(_ device: inout Device) {
                    for p in pending { device.send(p) }
                    pending = []
                }
            }
            func main() {
                var device = Device()
                let stack = Stack(capacity: 4)
                loop {
                    stack.poll(&device)
                }
            }
            """)
        guard let poll = c.method("Stack", "poll"), let initializer = c.method("Stack", "init") else {
            Issue.record("missing Stack members")
            return
        }
        #expect(poll.params.map(\.isInout) == [true])
        #expect(poll.params.map { c.tyName($0.type) } == ["Device"])
        #expect(c.type("Stack")?.kind == .state)
        guard case .assign(let target, nil, let value) = initializer.body?.stmts.first?.kind else {
            Issue.record("expected the assignment of `pending`")
            return
        }
        #expect(c.render(target, in: initializer) == "(. self pending)")
        #expect(c.render(value, in: initializer) == "(Array.repeating 0:Int capacity)")
        #expect(evaluated(poll).map { c.render($0, in: poll) } == ["(method device send p)"])
        #expect(c.bound("device", in: "main") == "(memberwise Device 0:Int)")
        #expect(c.bound("stack", in: "main") == "(init Stack 4:Int)")
        let main = c.function("main")
        guard case .methodCall(_, _, let args)? = evaluated(main).first?.kind else {
            Issue.record("expected stack.poll(&device)")
            return
        }
        #expect(args.map(\.isInout) == [true])
        #expect(evaluated(main).map { c.render($0, in: main) } == ["(method stack poll &device)"])
        #expect(localTypes("device", in: main).map(c.tyName) == ["Device"])
        #expect(main?.locals.first { $0.name == "device" }?.isVar == true)
    }

    @Test func structMemberwiseInitializerFillsDefaults() {
        let c = checkClean(
            """
            struct Config {
                let port: Int
                var name: Bytes = "cleave"
                var retries: UInt8 = 3
            }
            func f() -> Config { return Config(port: 7000, retries: 5) }
            func g() -> Config { return Config(port: 1) }
            """)
        #expect(returnedValues(c.function("f")).map { c.render($0, in: nil) } == ["(memberwise Config 7000:Int \"cleave\":Bytes 5:UInt8)"])
        #expect(returnedValues(c.function("g")).map { c.render($0, in: nil) } == ["(memberwise Config 1:Int \"cleave\":Bytes 3:UInt8)"])
        #expect(
            c.type("Config")?.fields.map { "\($0.isVar ? "var" : "let") \($0.name): \(c.tyName($0.type))" } == [
                "let port: Int", "var name: Bytes", "var retries: UInt8",
            ])
    }

    @Test func structWithInitializer() {
        let c = checkClean(
            """
            struct Pair {
                let a: Int
                var b: Int
                init(_ v: Int) {
                    a = v * 2
                    self.b = v
                }
            }
            func f() -> Pair { return Pair(3) }
            """)
        #expect(returnedValues(c.function("f")).map { c.render($0, in: nil) } == ["(init Pair 3:Int)"])
        let i = c.method("Pair", "init")
        #expect(
            i?.body?.stmts.compactMap { s -> String? in
                if case .assign(let t, nil, let v) = s.kind { return c.render(t, in: i) + " = " + c.render(v, in: i) }
                return nil
            } == ["(. self a) = (* v 2:Int)", "(. self b) = v"])
    }

    @Test func fieldsInsideMethodsAreFieldsOfSelf() {
        let c = checkClean(
            """
            struct Point {
                var x: Int
                var y: Int
                func sum() -> Int { return x + self.y }
                func scaled(_ k: Int) -> Point { return Point(x: x * k, y: y * k) }
            }
            """)
        let sum = c.method("Point", "sum")
        #expect(returnedValues(sum).map { c.render($0, in: sum) } == ["(+ (. self x) (. self y))"])
        guard case .binary(_, let l, _)? = returnedValues(sum).first?.kind, case .field(let base, 0) = l.kind, case .selfRef = base.kind
        else {
            Issue.record("expected .field(.selfRef, 0)")
            return
        }
        let scaled = c.method("Point", "scaled")
        #expect(returnedValues(scaled).map { c.render($0, in: scaled) } == ["(memberwise Point (* (. self x) k) (* (. self y) k))"])
    }

    @Test func mutatingMethods() {
        let c = checkClean(
            """
            struct Counter {
                var n: Int = 0
                mutating func bump(by d: Int = 1) { n += d }
                mutating func reset() { self.n = 0; bump() }
            }
            func f() -> Int {
                var c = Counter()
                c.bump(by: 5)
                c.bump()
                c.reset()
                return c.n
            }
            """)
        let bump = c.method("Counter", "bump")
        #expect(bump?.isMutating == true && c.method("Counter", "reset")?.isMutating == true)
        guard case .assign(let t, .add?, let v)? = bump?.body?.stmts.first?.kind else {
            Issue.record("expected n += d")
            return
        }
        #expect(c.render(t, in: bump) + " += " + c.render(v, in: bump) == "(. self n) += d")
        let f = c.function("f")
        #expect(evaluated(f).map { c.render($0, in: f) } == ["(method c bump 5:Int)", "(method c bump 1:Int)", "(method c reset)"])
        let reset = c.method("Counter", "reset")
        #expect(evaluated(reset).map { c.render($0, in: reset) } == ["(method self bump 1:Int)"])
        #expect(returnedValues(f).map { c.render($0, in: f) } == ["(. c n)"])
    }

    @Test func enumCasesResolveToTheirIndex() {
        let c = checkClean(
            """
            enum Shape {
                case dot, circle(Int)
                case rect(w: Int, h: Int)
            }
            func a() -> Shape { return .rect(w: 1, h: 2) }
            func b() -> Shape { return Shape.circle(3) }
            func c() -> Shape { return Shape.dot }
            func d() -> Shape? { return .dot }
            """)
        let expected: [(String, Int, String)] = [
            ("a", 2, "(case Shape.rect 1:Int 2:Int)"), ("b", 1, "(case Shape.circle 3:Int)"), ("c", 0, "(case Shape.dot)"),
        ]
        for (name, index, text) in expected {
            let v = returnedValues(c.function(name)).first
            guard case .enumCase(let id, let i, _)? = v?.kind else {
                Issue.record("\(name): expected an enum case")
                continue
            }
            #expect(id == c.typeID("Shape") && i == index)
            #expect(v.map { c.render($0, in: nil) } == text)
        }
        #expect(returnedValues(c.function("d")).map { c.render($0, in: nil) } == ["(some (case Shape.dot))"])
        #expect(c.type("Shape")?.cases.map { "\($0.name)/\($0.payload.count)" } == ["dot/0", "circle/1", "rect/2"])
        #expect(c.type("Shape")?.cases[2].payload.map(\.label) == ["w", "h"])
    }

    @Test func enumMethodsSwitchOverSelf() {
        let c = checkClean(
            """
            enum Light {
                case red, green
                func next() -> Light {
                    switch self {
                    case .red: return .green
                    case .green: return .red
                    }
                }
                mutating func toggle() { self = next() }
            }
            """)
        let next = c.method("Light", "next")
        #expect(returnedValues(next).map { c.render($0, in: next) } == ["(case Light.green)", "(case Light.red)"])
        let toggle = c.method("Light", "toggle")
        guard case .assign(let t, nil, let v)? = toggle?.body?.stmts.first?.kind else {
            Issue.record("expected self = next()")
            return
        }
        #expect(c.render(t, in: toggle) == "self" && c.render(v, in: toggle) == "(method self next)")
    }

    @Test func structInitializerMayAssignSelf() {
        let c = checkClean(
            """
            struct P {
                var x: Int
                init(x: Int) { self.x = x }
                init(copy: P) { self = copy }
            }
            func f() -> P { return P(copy: P(x: 1)) }
            """)
        let copy = c.type("P")?.inits.last.map(c.program.function)
        guard case .assign(let t, nil, let v)? = copy?.body?.stmts.first?.kind else {
            Issue.record("expected self = copy")
            return
        }
        #expect(c.render(t, in: copy) == "self" && c.render(v, in: copy) == "copy")
        #expect(returnedValues(c.function("f")).map { c.render($0, in: nil) } == ["(init P (init P 1:Int))"])
    }

    @Test func defaultArgumentsAreFilledIn() {
        let c = checkClean(
            """
            func greet(_ name: Bytes, times: Int = 2, loud: Bool = false) -> Int { return times }
            func f() -> Int { return greet("a") + greet("b", loud: true) + greet("c", times: 7) }
            """)
        let f = c.function("f")
        #expect(
            returnedValues(f).map { c.render($0, in: f) } == [
                "(+ (+ (call greet \"a\":Bytes 2:Int false) (call greet \"b\":Bytes 2:Int true)) (call greet \"c\":Bytes 7:Int false))"
            ])
        #expect(c.function("greet")?.params.map(\.hasDefault) == [false, true, true])
        #expect(c.function("greet")?.params.map { $0.label ?? "_" } == ["_", "times", "loud"])
    }

    @Test func globalConstants() {
        let c = checkClean(
            """
            let limit = 10
            let small: UInt8 = 200
            let greeting: Bytes = "hi"
            let doubled = limit * 2
            func f() -> Int { return limit + doubled }
            """)
        #expect(
            c.program.globals.map { "\($0.name): \(c.tyName($0.type))" } == [
                "limit: Int", "small: UInt8", "greeting: Bytes", "doubled: Int",
            ])
        #expect(c.program.globals.map { c.render($0.value, in: nil) } == ["10:Int", "200:UInt8", "\"hi\":Bytes", "(* global limit 2:Int)"])
        #expect(returnedValues(c.function("f")).map { c.render($0, in: nil) } == ["(+ global limit global doubled)"])
    }

    @Test func declarationsMayComeInAnyOrder() {
        let c = checkClean(
            """
            func f() -> Later { return Later(v: g()) }
            func g() -> Int { return k }
            struct Later { let v: Int }
            let k = 3
            """)
        #expect(c.function("f")?.result == .nominal(c.typeID("Later")!))
    }
}

// MARK: - Statements

@Suite struct StatementCheckTests {
    @Test func letVarAndAssignments() {
        let c = checkClean(
            """
            func f() -> Int {
                var x = 1
                let y: UInt8 = 2
                x = 2
                x += 3
                x &+= 1
                x <<= 1
                _ = y
                return x
            }
            """)
        let f = c.function("f")
        #expect(localTypes("x", in: f) == [.int] && localTypes("y", in: f) == [.uint8])
        #expect(f?.locals.first { $0.name == "x" }?.isVar == true && f?.locals.first { $0.name == "y" }?.isVar == false)
        let assigns = allStatements(f!.body!.stmts).compactMap { s -> String? in
            if case .assign(let t, let op, let v) = s.kind { return "\(c.render(t, in: f)) \(op?.rawValue ?? "")= \(c.render(v, in: f))" }
            return nil
        }
        #expect(assigns == ["x = 2:Int", "x += 3:Int", "x &+= 1:Int", "x <<= 1:Int"])
        #expect(evaluated(f).map { c.render($0, in: f) } == ["y"])
    }

    @Test func tupleDestructuring() {
        let c = checkClean(
            """
            func divide(_ a: Int, _ b: Int) -> (Int, Int) { return (a / b, a % b) }
            func f() -> Int {
                let (q, r) = divide(7, 2)
                let (s, (t, _)) = (Bytes(), ("x", true))
                let pair = (1, "one")
                _ = s
                _ = t
                return q + r + pair.0
            }
            """)
        let f = c.function("f")
        #expect(localTypes("q", in: f) == [.int] && localTypes("r", in: f) == [.int])
        #expect(localTypes("s", in: f) == [.bytes] && localTypes("t", in: f) == [.string])
        #expect(localTypes("pair", in: f) == [.tuple([.int, .string])])
        guard case .binding(.tuple(let parts), let v)? = f?.body?.stmts.first?.kind else {
            Issue.record("expected a tuple binding")
            return
        }
        #expect(parts.count == 2)
        #expect(c.render(v, in: f) == "(call divide 7:Int 2:Int)")
        #expect(returnedValues(f).map { c.render($0, in: f) } == ["(+ (+ q r) (# pair 0))"])
        #expect(returnedValues(c.function("divide")).map { tyName($0.type, c.program) } == ["(Int, Int)"])
    }

    @Test func tupleIndexChains() {
        let c = checkClean("func f(_ t: (Int, (Bytes, Bool))) -> Bool { return t.1.1 }")
        let f = c.function("f")
        #expect(returnedValues(f).map { c.render($0, in: f) } == ["(# (# t 1) 1)"])
    }

    @Test func ifLetBindsOnlyInsideTheThenBlock() {
        let c = checkClean(
            """
            func f(_ o: Int?) -> Int {
                if let v = o {
                    return v
                } else if let o {
                    return o + 1
                }
                return o ?? 0
            }
            """)
        let f = c.function("f")!
        #expect(localTypes("v", in: f) == [.int])
        #expect(localTypes("o", in: f) == [.optional(.int), .int])
        guard case .ifStmt(let conds, _, _)? = f.body?.stmts.first?.kind, case .unwrap(let id, let value) = conds.first else {
            Issue.record("expected if let")
            return
        }
        #expect(f.locals[id.index].name == "v" && f.locals[id.index].type == .int)
        #expect(value.type == .optional(.int))
        // After the `if`, `o` is the parameter again.
        guard case .coalesce(let l, _)? = returnedValues(f).last?.kind, case .local(let oid) = l.kind else {
            Issue.record("expected o ?? 0")
            return
        }
        #expect(oid == f.params[0].local)
        // Inside `else if let o`, `o` is the unwrapped Int.
        guard returnedValues(f).count == 3, case .binary(.add, let inner, _) = returnedValues(f)[1].kind, case .local(let iid) = inner.kind
        else {
            Issue.record("expected o + 1")
            return
        }
        #expect(f.locals[iid.index].type == .int && iid != f.params[0].local)
    }

    @Test func ifLetWithSeveralConditions() {
        let c = checkClean(
            """
            func f(_ a: Int?, _ b: Bytes?) -> Int {
                if let x = a, x > 0, var y = b {
                    y.append(1)
                    return x + y.count
                }
                return 0
            }
            """)
        let f = c.function("f")!
        guard case .ifStmt(let conds, _, _)? = f.body?.stmts.first?.kind else {
            Issue.record("expected if")
            return
        }
        #expect(conds.count == 3)
        guard case .unwrap = conds[0], case .bool(let b) = conds[1], case .unwrap(let yid, _) = conds[2] else {
            Issue.record("expected unwrap, condition, unwrap")
            return
        }
        #expect(c.render(b, in: f) == "(> x 0:Int)")
        #expect(f.locals[yid.index].isVar && f.locals[yid.index].type == .bytes)
    }

    @Test func guardLetBindsAfterTheGuard() {
        let c = checkClean(
            """
            func f(_ m: Map<Int, Int>) -> Int {
                guard let v = m[1] else { return 0 }
                guard let w = m[2], w > v else {
                    fatalError("missing")
                }
                return v + w
            }
            """)
        let f = c.function("f")
        #expect(localTypes("v", in: f) == [.int] && localTypes("w", in: f) == [.int])
        #expect(returnedValues(f).map { c.render($0, in: f) } == ["0:Int", "(+ v w)"])
        guard case .guardStmt(_, let elseBlock)? = f?.body?.stmts[1].kind, case .expr(let trap)? = elseBlock.stmts.first?.kind else {
            Issue.record("expected a guard whose else calls fatalError")
            return
        }
        #expect(c.render(trap, in: f) == "(trap \"missing\":String)" && trap.type == .never)
    }

    @Test func guardBindingIsNotVisibleInItsElseBlock() {
        let c = check(
            """
            func f(_ o: Int?) -> Int {
                guard let v = o else { return v }
                return v
            }
            """)
        #expect(c.ids == ["undefined-name"])
        #expect(c.diagnostics.first?.span?.line == 2)
    }

    @Test func ifLetBindingIsNotVisibleAfterTheIf() {
        let c = check("func f(_ o: Int?) -> Int {\n    if let v = o { _ = v }\n    return v\n}")
        #expect(c.ids == ["undefined-name"])
        #expect(c.diagnostics.first?.span?.line == 3)
    }

    @Test func whileLoops() {
        let c = checkClean(
            """
            func f(_ xs: [Int]) -> Int {
                var i = 0
                var sum = 0
                while i < xs.count {
                    sum += xs[i]
                    i += 1
                }
                var rest = xs
                while let last = rest.last, last > 0 {
                    _ = rest.removeLast()
                }
                return sum
            }
            """)
        let f = c.function("f")
        #expect(localTypes("last", in: f) == [.int])
        let whiles = allStatements(f!.body!.stmts).compactMap { s -> [TCondition]? in
            if case .whileStmt(let cs, _) = s.kind { return cs }
            return nil
        }
        #expect(whiles.count == 2)
        guard case .bool(let cond)? = whiles.first?.first else {
            Issue.record("expected a condition")
            return
        }
        #expect(c.render(cond, in: f) == "(< i (Array.count xs))")
    }

    @Test func forOverRanges() {
        let c = checkClean(
            """
            func f(_ n: UInt8) -> Int {
                var s = 0
                for i in 0..<n { s += Int(i) }
                for j in 1...3 { s += j }
                return s
            }
            """)
        let f = c.function("f")!
        #expect(localTypes("i", in: f) == [.uint8] && localTypes("j", in: f) == [.int])
        let iterations = allStatements(f.body!.stmts).compactMap { s -> String? in
            if case .forStmt(_, .range(let lo, let hi, let inclusive), _) = s.kind {
                return "\(c.render(lo, in: f)) \(inclusive ? "..." : "..<") \(c.render(hi, in: f))"
            }
            return nil
        }
        #expect(iterations == ["0:UInt8 ..< n", "1:Int ... 3:Int"])
    }

    @Test func forOverArrayBytesAndMap() {
        let c = checkClean(
            """
            func f(_ words: [Bytes], _ b: Bytes, _ m: Map<Bytes, Int>) -> Int {
                var total = 0
                for w in words { total += w.count }
                for byte in b { total += Int(byte) }
                for (k, v) in m { total += k.count + v }
                for entry in m { total += entry.1 }
                for (i, w) in words.enumerated() { total += i + w.count }
                return total
            }
            """)
        let f = c.function("f")!
        #expect(localTypes("w", in: f) == [.bytes, .bytes])
        #expect(localTypes("byte", in: f) == [.uint8])
        #expect(localTypes("k", in: f) == [.bytes] && localTypes("v", in: f) == [.int])
        #expect(localTypes("entry", in: f) == [.tuple([.bytes, .int])])
        #expect(localTypes("i", in: f) == [.int])
        let kinds = allStatements(f.body!.stmts).compactMap { s -> String? in
            guard case .forStmt(_, let it, _) = s.kind else { return nil }
            switch it {
            case .range: return "range"
            case .array: return "array"
            case .bytes: return "bytes"
            case .map: return "map"
            }
        }
        #expect(kinds == ["array", "bytes", "map", "map", "array"])
    }

    @Test func loopBreakAndContinue() {
        let c = checkClean(
            """
            func f() -> Int {
                var n = 0
                loop {
                    n += 1
                    if n % 2 == 0 { continue }
                    if n > 10 { break }
                }
                return n
            }
            """)
        let f = c.function("f")
        let kinds = allStatements(f!.body!.stmts).compactMap { s -> String? in
            switch s.kind {
            case .loopStmt: return "loop"
            case .breakStmt: return "break"
            case .continueStmt: return "continue"
            default: return nil
            }
        }
        #expect(kinds == ["loop", "continue", "break"])
    }

    @Test func loopWithoutBreakNeedsNoReturn() {
        let c = checkClean("func serve() -> Int {\n    loop { }\n}")
        #expect(c.function("serve")?.body?.stmts.count == 1)
    }
}

// MARK: - Switch

@Suite struct SwitchCheckTests {
    func patternText(_ p: TPattern, _ c: Checked, _ f: TFunction?) -> String {
        switch p {
        case .wildcard: return "_"
        case .bind(let id): return "let \(f!.locals[id.index].name): \(c.tyName(f!.locals[id.index].type))"
        case .enumCase(let t, let i, let sub):
            return "\(c.program.types[t.index].name).\(i)(\(sub.map { patternText($0, c, f) }.joined(separator: ", ")))"
        case .tuple(let items): return "(\(items.map { patternText($0, c, f) }.joined(separator: ", ")))"
        case .value(let v): return "=" + c.render(v, in: f)
        case .range(let lo, let hi, let inclusive): return "\(c.render(lo, in: f))\(inclusive ? "..." : "..<")\(c.render(hi, in: f))"
        }
    }

    func cases(_ c: Checked, _ name: String) -> [String] {
        let f = c.function(name)
        guard let s = f?.body?.stmts.first(where: { if case .switchStmt = $0.kind { true } else { false } }),
            case .switchStmt(_, let cases) = s.kind
        else { return [] }
        return cases.map { k in
            (k.isDefault ? "default" : k.patterns.map { patternText($0, c, f) }.joined(separator: " | "))
                + (k.guardExpr.map { " where " + c.render($0, in: f) } ?? "")
        }
    }

    @Test func enumPatternsWithPayloadBindings() {
        let c = checkClean(
            """
            enum Msg {
                case ping
                case data(Bytes)
                case pair(Int, Int)
                case set(key: Bytes, value: Int)
            }
            func size(_ m: Msg) -> Int {
                switch m {
                case .ping: return 0
                case .data(let b): return b.count
                case let .pair(a, b): return a + b
                case Msg.set(key: _, value: var v):
                    v += 1
                    return v
                }
            }
            """)
        #expect(cases(c, "size") == ["Msg.0()", "Msg.1(let b: Bytes)", "Msg.2(let a: Int, let b: Int)", "Msg.3(_, let v: Int)"])
        #expect(c.function("size")?.locals.first { $0.name == "v" }?.isVar == true)
    }

    @Test func nestedEnumPatternsAndOptionals() {
        let c = checkClean(
            """
            enum Inner { case a, b(Int) }
            enum Outer { case wrap(Inner), none }
            func f(_ o: Outer) -> Int {
                switch o {
                case .wrap(.b(let n)) where n > 0: return n
                case .wrap(.b): return -1
                case .wrap(.a), .none: return 0
                }
            }
            """)
        #expect(
            cases(c, "f") == ["Outer.0(Inner.1(let n: Int)) where (> n 0:Int)", "Outer.0(Inner.1(_))", "Outer.0(Inner.0()) | Outer.1()"])
    }

    @Test func tupleRangeLiteralWhereAndDefault() {
        let c = checkClean(
            """
            func classify(_ n: Int, _ flag: Bool) -> Int {
                switch (n, flag) {
                case (0, _): return 0
                case (1...9, true): return 1
                case (10..<100, _): return 2
                case (let x, false) where x < 0: return -1
                default: return 3
                }
            }
            func word(_ s: Bytes) -> Int {
                switch s {
                case "GET": return 1
                case "SET", "PUT": return 2
                default: return 0
                }
            }
            func small(_ b: UInt8) -> Bool {
                switch b {
                case 0...9: return true
                default: return false
                }
            }
            """)
        #expect(
            cases(c, "classify") == [
                "(=0:Int, _)", "(1:Int...9:Int, =true)", "(10:Int..<100:Int, _)", "(let x: Int, =false) where (< x 0:Int)", "default",
            ])
        #expect(cases(c, "word") == ["=\"GET\":Bytes", "=\"SET\":Bytes | =\"PUT\":Bytes", "default"])
        #expect(cases(c, "small") == ["0:UInt8...9:UInt8", "default"])
    }

    @Test func boolAndTupleOfBoolsAreExhaustiveWithoutDefault() {
        let c = checkClean(
            """
            func f(_ a: Bool, _ b: Bool) -> Int {
                switch (a, b) {
                case (true, true): return 3
                case (true, false): return 2
                case (false, _): return 0
                }
            }
            func g(_ a: Bool) -> Int {
                switch a {
                case true: return 1
                case false: return 0
                }
            }
            """)
        #expect(cases(c, "g") == ["=true", "=false"])
    }

    @Test func switchBreakAndFallOff() {
        let c = checkClean(
            """
            enum E { case a, b }
            func f(_ e: E) -> Int {
                var n = 0
                switch e {
                case .a: break
                case .b: n = 1
                }
                return n
            }
            """)
        #expect(cases(c, "f") == ["E.0()", "E.1()"])
    }
}

// MARK: - Closures

@Suite struct ClosureCheckTests {
    @Test func mapFilterReduceSorted() {
        let c = checkClean(
            """
            func f(_ xs: [Int]) -> Int {
                let doubled = xs.map { $0 * 2 }
                let names = xs.map { x in String(x) }
                let big = xs.filter { $0 > 1 }
                let sum = xs.reduce(0) { $0 + $1 }
                let text = xs.reduce("") { acc, x in acc + String(x) }
                let down = xs.sorted(by: { a, b in a > b })
                let typed = xs.sorted(by: { (a: Int, b: Int) -> Bool in a < b })
                _ = names
                _ = text
                _ = typed
                return doubled.count + big.count + sum + down.count
            }
            """)
        #expect(c.boundType("doubled", in: "f") == "[Int]")
        #expect(c.boundType("names", in: "f") == "[String]")
        #expect(c.boundType("big", in: "f") == "[Int]")
        #expect(c.boundType("sum", in: "f") == "Int")
        #expect(c.boundType("text", in: "f") == "String")
        #expect(c.boundType("down", in: "f") == "[Int]")
        #expect(c.bound("doubled", in: "f") == "(Array.map xs {($0: Int) -> Int in return (* $0 2:Int)})")
        #expect(c.bound("big", in: "f") == "(Array.filter xs {($0: Int) -> Bool in return (> $0 1:Int)})")
        #expect(c.bound("sum", in: "f") == "(Array.reduce xs 0:Int {($0: Int, $1: Int) -> Int in return (+ $0 $1)})")
        #expect(
            c.bound("text", in: "f")
                == "(Array.reduce xs \"\":String {(acc: String, x: Int) -> String in return (+ acc (String.format x))})")
        #expect(c.bound("down", in: "f") == "(Array.sortedBy xs {(a: Int, b: Int) -> Bool in return (> a b)})")
        #expect(c.bound("typed", in: "f") == "(Array.sortedBy xs {(a: Int, b: Int) -> Bool in return (< a b)})")
    }

    @Test func trailingClosuresForLabelledClosureParameters() {
        // As in Swift, a trailing closure needs no label.
        let c = checkClean(
            """
            func f(_ xs: [Int]) -> Bool {
                let down = xs.sorted { $0 > $1 }
                return down.contains { $0 == 3 }
            }
            """)
        #expect(c.bound("down", in: "f") == "(Array.sortedBy xs {($0: Int, $1: Int) -> Bool in return (> $0 $1)})")
        #expect(
            returnedValues(c.function("f")).map { c.render($0, in: c.function("f")) } == [
                "(Array.containsWhere down {($0: Int) -> Bool in return (== $0 3:Int)})"
            ])
    }

    @Test func closureWithStatementsInfersItsResultFromReturn() {
        let c = checkClean(
            """
            func f(_ xs: [UInt8]) -> [Bytes] {
                return xs.map { x in
                    var b = Bytes()
                    b.append(x)
                    return b
                }
            }
            """)
        guard case .builtin(.array(.map), let ops)? = returnedValues(c.function("f")).first?.kind, case .closure(let cl) = ops[1].kind
        else {
            Issue.record("expected Array.map with a closure")
            return
        }
        #expect(cl.result == .bytes)
        #expect(cl.params.map { c.function("f")!.locals[$0.index].type } == [.uint8])
        #expect(cl.body.stmts.count == 3)
    }

    @Test func closuresPassedToOwnFunctions() {
        let c = checkClean(
            """
            func apply(_ x: Int, _ f: (Int) -> Int) -> Int { return f(x) }
            func twice(_ x: Int, using f: (Int) -> Int) -> Int { return f(f(x)) }
            func double(_ x: Int) -> Int { return x * 2 }
            func g() -> Int {
                let a = apply(2) { $0 * 3 }
                let b = apply(2, { y in y + 1 })
                let d = twice(1, using: double)
                let e = twice(3) { $0 + 1 }
                return a + b + d + e
            }
            """)
        #expect(c.bound("a", in: "g") == "(call apply 2:Int {($0: Int) -> Int in return (* $0 3:Int)})")
        #expect(c.bound("b", in: "g") == "(call apply 2:Int {(y: Int) -> Int in return (+ y 1:Int)})")
        #expect(c.bound("d", in: "g") == "(call twice 1:Int (fn double))")
        #expect(c.bound("e", in: "g") == "(call twice 3:Int {($0: Int) -> Int in return (+ $0 1:Int)})")
        let apply = c.function("apply")
        #expect(returnedValues(apply).map { c.render($0, in: apply) } == ["(callClosure f x)"])
        #expect(apply?.params.map { c.tyName($0.type) } == ["Int", "(Int) -> Int"])
    }

    @Test func forEachAndContainsWhere() {
        let c = checkClean(
            """
            func f(_ xs: [Bytes]) -> Bool {
                xs.forEach { print(String($0)) }
                return xs.contains(where: { $0.isEmpty })
            }
            """)
        let f = c.function("f")
        #expect(evaluated(f).map { c.render($0, in: f) } == ["(Array.forEach xs {($0: Bytes) -> Void in (print (String.decode $0))})"])
        #expect(
            returnedValues(f).map { c.render($0, in: f) } == ["(Array.containsWhere xs {($0: Bytes) -> Bool in return (Bytes.isEmpty $0)})"]
        )
    }

    @Test func closuresCaptureLocals() {
        let c = checkClean(
            """
            func f(_ xs: [Int], _ k: Int) -> [Int] {
                let offset = k * 2
                return xs.map { $0 + offset }
            }
            """)
        let f = c.function("f")
        #expect(returnedValues(f).map { c.render($0, in: f) } == ["(Array.map xs {($0: Int) -> Int in return (+ $0 offset)})"])
    }
}

// MARK: - Literals, conversions and optionals

@Suite struct LiteralAndConversionTests {
    @Test func integerLiteralsTakeTheirTypeFromContext() {
        let c = checkClean(
            """
            func take(_ v: Int64) -> Int64 { return v }
            func f(_ x: UInt32) -> Bool {
                let a: UInt8 = 200
                let b = 5
                let c = x + 1
                let d = 1 + x
                let e = take(7)
                let g: Int8 = -128
                let h: UInt16 = 0xFFFF
                let k: [UInt8] = [1, 2, 255]
                let m: Double = 3
                let n = x == 4_000_000_000
                let o = 0b1010 & x
                _ = a
                _ = b
                _ = c
                _ = d
                _ = e
                _ = g
                _ = h
                _ = k
                _ = m
                _ = o
                return n
            }
            """)
        let expected = [
            ("a", "200:UInt8"), ("b", "5:Int"), ("c", "(+ x 1:UInt32)"), ("d", "(+ 1:UInt32 x)"), ("e", "(call take 7:Int64)"),
            ("g", "-128:Int8"), ("h", "65535:UInt16"), ("k", "[1:UInt8 2:UInt8 255:UInt8]:[UInt8]"), ("m", "3.0"),
            ("n", "(== x 4000000000:UInt32)"), ("o", "(& 10:UInt32 x)"),
        ]
        for (name, text) in expected {
            #expect(c.bound(name, in: "f") == text, "\(name)")
        }
        #expect(c.boundType("m", in: "f") == "Double")
    }

    @Test func stringLiteralsBecomeBytesInBytesContext() {
        let c = checkClean(
            """
            func send(_ b: Bytes) -> Int { return b.count }
            func f(_ n: Int) -> Int {
                let s = "text"
                let b: Bytes = "bytes"
                let i: Bytes = "n=\\(n)"
                let o: Bytes? = "maybe"
                return send("arg") + s.count + b.count + i.count + (o ?? "").count
            }
            """)
        #expect(c.bound("s", in: "f") == "\"text\":String")
        #expect(c.bound("b", in: "f") == "\"bytes\":Bytes")
        #expect(c.bound("i", in: "f") == "(interp \"n=\" n):Bytes")
        #expect(c.bound("o", in: "f") == "(some \"maybe\":Bytes)")
    }

    @Test func stringInterpolationOfEveryKind() {
        let c = checkClean(
            """
            func f(_ n: UInt16, _ d: Double, _ ok: Bool, _ s: String, _ b: Bytes) -> String {
                return "n=\\(n) d=\\(d) ok=\\(ok) s=\\(s) b=\\(b) sum=\\(n + 1)"
            }
            """)
        let f = c.function("f")
        #expect(
            returnedValues(f).map { c.render($0, in: f) } == [
                "(interp \"n=\" n \" d=\" d \" ok=\" ok \" s=\" s \" b=\" b \" sum=\" (+ n 1:UInt16)):String"
            ])
    }

    @Test func optionals() {
        let c = checkClean(
            """
            func take(_ x: Int?) -> Bool { return x == nil }
            func f() -> Int? {
                let o: Int? = 5
                var p: Int? = nil
                p = 3
                let forced = o!
                let fallback = p ?? 0
                let isSet = o != nil
                let t = take(1)
                _ = forced
                _ = fallback
                _ = isSet
                _ = t
                if forced > 100 { return nil }
                return forced
            }
            """)
        let f = c.function("f")
        #expect(c.bound("o", in: "f") == "(some 5:Int)")
        #expect(c.bound("p", in: "f") == "nil:Int?")
        #expect(c.bound("forced", in: "f") == "(force o)" && c.boundType("forced", in: "f") == "Int")
        #expect(c.bound("fallback", in: "f") == "(?? p 0:Int)" && c.boundType("fallback", in: "f") == "Int")
        #expect(c.bound("isSet", in: "f") == "(!= o nil:Int?)")
        #expect(c.bound("t", in: "f") == "(call take (some 1:Int))")
        #expect(returnedValues(f).map { c.render($0, in: f) } == ["nil:Int?", "(some forced)"])
        let assigned = allStatements(f!.body!.stmts).compactMap { s -> String? in
            if case .assign(_, nil, let v) = s.kind { return c.render(v, in: f) }
            return nil
        }
        #expect(assigned == ["(some 3:Int)"])
    }

    @Test func integerConversions() {
        let c = checkClean(
            """
            func f(_ x: UInt8, _ n: Int, _ d: Double, _ s: String, _ b: Bytes) -> Int {
                let a = Int(x)
                let t = UInt8(truncatingIfNeeded: n)
                let fromDouble = Int(d)
                let parsed = Int(s)
                let parsedBytes = UInt16(b)
                let biggest = Int.max
                let smallest = Int8.min
                let top = UInt8.max
                _ = t
                _ = parsed
                _ = parsedBytes
                _ = smallest
                _ = top
                return a + fromDouble + biggest
            }
            """)
        let expected = [
            ("a", "(Int.convert x)", "Int"), ("t", "(UInt8.truncating n)", "UInt8"), ("fromDouble", "(Int.convert d)", "Int"),
            ("parsed", "(Int.parse s)", "Int?"), ("parsedBytes", "(UInt16.parse b)", "UInt16?"), ("biggest", "(Int.max)", "Int"),
            ("smallest", "(Int8.min)", "Int8"), ("top", "(UInt8.max)", "UInt8"),
        ]
        for (name, text, type) in expected {
            #expect(c.bound(name, in: "f") == text, "\(name)")
            #expect(c.boundType(name, in: "f") == type, "\(name)")
        }
    }

    @Test func integerOperators() {
        let c = checkClean(
            """
            func f(_ a: UInt8, _ n: Int) -> UInt8 {
                let wrapped = a &+ 1 &- 2 &* 3
                let bits = (a & 0x0F) | (a ^ 0xF0)
                let inverted = ~a
                let shifted = a << n
                let back = a >> 1
                let q = n / 3 + n % 3 - -n
                let neg = -n
                _ = q
                _ = neg
                return wrapped + bits + inverted + shifted + back
            }
            """)
        #expect(c.bound("wrapped", in: "f") == "(&- (&+ a 1:UInt8) (&* 2:UInt8 3:UInt8))")
        #expect(c.bound("bits", in: "f") == "(| (& a 15:UInt8) (^ a 240:UInt8))")
        #expect(c.bound("inverted", in: "f") == "(~ a)")
        #expect(c.bound("shifted", in: "f") == "(<< a n)" && c.boundType("shifted", in: "f") == "UInt8")
        #expect(c.bound("back", in: "f") == "(>> a 1:Int)" && c.boundType("back", in: "f") == "UInt8")
        #expect(c.bound("q", in: "f") == "(- (+ (/ n 3:Int) (% n 3:Int)) (- n))")
        #expect(c.bound("neg", in: "f") == "(- n)")
    }

    @Test func boolAndComparisons() {
        let c = checkClean(
            """
            func f(_ a: Int, _ b: Int, _ p: Bool) -> Bool {
                let x = a < b && !p || a >= b
                let y = a != b ? p : false
                return x == y
            }
            """)
        #expect(c.bound("x", in: "f") == "(|| (&& (< a b) (! p)) (>= a b))")
        #expect(c.bound("y", in: "f") == "(? (!= a b) p false)" && c.boundType("y", in: "f") == "Bool")
    }

    @Test func doubles() {
        let c = checkClean(
            """
            func f(_ i: Int, _ s: String, _ b: Bytes) -> Double {
                let d = Double(i)
                let r = d.squareRoot() + d.rounded() + d.magnitude
                let parsed = Double(s) ?? Double(b) ?? 0.5
                let q = -d / 2.0 * 1.5e1
                if d < r { return q }
                return parsed
            }
            """)
        #expect(c.bound("d", in: "f") == "(Double.convert i)")
        #expect(c.bound("r", in: "f") == "(+ (+ (Double.squareRoot d) (Double.rounded d)) (Double.magnitude d))")
        #expect(c.bound("parsed", in: "f") == "(?? (Double.parse s) (?? (Double.parse b) 0.5))")
        #expect(c.bound("q", in: "f") == "(* (/ (- d) 2.0) 15.0)")
    }

    /// Literals take their type from the context as swiftc gives it: the left side of a shift,
    /// array elements next to a typed one, `nil` in a ternary or after `??`, closure results.
    @Test func literalsTakeTheTypeSwiftGivesThem() {
        let c = checkClean(
            """
            func f(_ n: Int, _ x: UInt8, _ o: Int?, _ c: Bool, _ xs: [Int], _ bs: [UInt8]) -> UInt8 {
                let a: UInt8 = 1 << n
                let b = [1, x, 2]
                let d = [nil, n]
                let e = [n, o]
                let g = c ? n : nil
                let h = o ?? nil
                let k: Int? = (o ?? 0) + n
                let m: [UInt8] = xs.map { _ in 1 }
                let q: UInt8 = bs.reduce(0) { $0 &+ $1 }
                let r = Double(xs.reduce(0) { $0 + $1 })
                _ = b
                _ = d
                _ = e
                _ = g
                _ = h
                _ = k
                _ = m
                _ = r
                return a &+ q
            }
            """)
        let expected = [
            ("a", "(<< 1:UInt8 n)", "UInt8"), ("b", "[1:UInt8 x 2:UInt8]:[UInt8]", "[UInt8]"),
            ("d", "[nil:Int? (some n)]:[Int?]", "[Int?]"), ("e", "[(some n) o]:[Int?]", "[Int?]"),
            ("g", "(? c (some n) nil:Int?)", "Int?"), ("h", "(?? o nil:Int?)", "Int?"), ("k", "(some (+ (?? o 0:Int) n))", "Int?"),
            ("m", "(Array.map xs {(_: Int) -> UInt8 in return 1:UInt8})", "[UInt8]"),
            ("q", "(Array.reduce bs 0:UInt8 {($0: UInt8, $1: UInt8) -> UInt8 in return (&+ $0 $1)})", "UInt8"),
            ("r", "(Double.convert (Array.reduce xs 0:Int {($0: Int, $1: Int) -> Int in return (+ $0 $1)}))", "Double"),
        ]
        for (name, text, type) in expected {
            #expect(c.bound(name, in: "f") == text, "\(name)")
            #expect(c.boundType(name, in: "f") == type, "\(name)")
        }
    }

    @Test func arithmeticInAnOptionalContextComputesTheWrappedType() {
        // Found by the generated programs: the `Int?` of `m[k] = …` reached the operands,
        // so the ternary became an `Int?` and `%` (or `max`) rejected it.
        checkClean(
            """
            func main() {
                var m: Map<Int, Int> = [:]
                let a = 3
                m[1] = (true ? a : 2) % 7
                let o: Int? = (true ? a : 2) &+ 1
                m[2] = max((true ? a : 2), 4)
                print("\\(m.count) \\(o ?? 0)")
            }
            """)
    }
}

// MARK: - Built-in types

@Suite struct BuiltinCheckTests {
    @Test func strings() {
        let c = checkClean(
            """
            func f(_ s: String, _ t: String, _ b: Bytes, _ n: Int) -> Bool {
                let joined = s + t
                let count = s.count
                let formatted = String(n) + String(2.5) + String(true)
                let decoded = String(b)
                let encoded = Bytes(s)
                _ = joined
                _ = count
                _ = formatted
                _ = decoded
                _ = encoded
                return s == t || s < t || s.isEmpty || s.hasPrefix("a") || s.hasSuffix(t)
            }
            """)
        #expect(c.bound("joined", in: "f") == "(+ s t)" && c.boundType("joined", in: "f") == "String")
        #expect(c.bound("count", in: "f") == "(String.count s)")
        #expect(c.bound("formatted", in: "f") == "(+ (+ (String.format n) (String.format 2.5)) (String.format true))")
        #expect(c.bound("decoded", in: "f") == "(String.decode b)")
        #expect(c.bound("encoded", in: "f") == "(Bytes.encode s)")
        let f = c.function("f")
        #expect(
            returnedValues(f).map { c.render($0, in: f) } == [
                "(|| (|| (|| (|| (== s t) (< s t)) (String.isEmpty s)) (String.hasPrefix s \"a\":String)) (String.hasSuffix s t))"
            ])
    }

    @Test func bytes() {
        let c = checkClean(
            """
            func f(_ input: Bytes, _ n: Int) -> Bytes {
                var b = Bytes()
                let zeros = Bytes(repeating: 0, count: n)
                let fromArray = Bytes([1, 2, 3])
                b.append(65)
                b.append(contentsOf: zeros)
                b[0] = 66
                let first = b[0]
                let slice = b[1..<3]
                let closed = b[0...1]
                let words = input.split(separator: 32)
                let index = input.firstIndex(of: 10)
                let clean = input.trimmed().lowercased().uppercased()
                let port = input.readUInt16(at: 2)
                b.writeUInt32(7, at: 0)
                let same = b == zeros || b < zeros || b.isEmpty || b.hasPrefix("GET") || b.hasSuffix(zeros)
                _ = first
                _ = slice
                _ = closed
                _ = words
                _ = index
                _ = port
                _ = same
                return b + fromArray + clean
            }
            """)
        let expected = [
            ("b", "\"\":Bytes", "Bytes"), ("zeros", "(Bytes.repeating 0:UInt8 n)", "Bytes"),
            ("fromArray", "(Bytes.fromArray [1:UInt8 2:UInt8 3:UInt8]:[UInt8])", "Bytes"), ("first", "(index b 0:Int)", "UInt8"),
            ("slice", "(slice..< b 1:Int 3:Int)", "Bytes"), ("closed", "(slice... b 0:Int 1:Int)", "Bytes"),
            ("words", "(Bytes.split input 32:UInt8 9223372036854775807:Int)", "[Bytes]"),
            ("index", "(Bytes.firstIndex input 10:UInt8)", "Int?"),
            ("clean", "(Bytes.uppercased (Bytes.lowercased (Bytes.trimmed input)))", "Bytes"),
            ("port", "(Bytes.readUInt16 input 2:Int)", "UInt16"),
        ]
        for (name, text, type) in expected {
            #expect(c.bound(name, in: "f") == text, "\(name)")
            #expect(c.boundType(name, in: "f") == type, "\(name)")
        }
        let f = c.function("f")
        #expect(
            evaluated(f).prefix(2).map { c.render($0, in: f) } == ["(Bytes.append b 65:UInt8)", "(Bytes.appendContents b zeros)"]
        )
        #expect(evaluated(f).map { c.render($0, in: f) }.contains("(Bytes.writeUInt32 b 7:UInt32 0:Int)"))
        let assigned = allStatements(f!.body!.stmts).compactMap { s -> String? in
            if case .assign(let t, nil, let v) = s.kind { return "\(c.render(t, in: f)) = \(c.render(v, in: f))" }
            return nil
        }
        #expect(assigned == ["(index b 0:Int) = 66:UInt8"])
        #expect(returnedValues(f).map { c.render($0, in: f) } == ["(+ (+ b fromArray) clean)"])
    }

    @Test func arrays() {
        let c = checkClean(
            """
            func f(_ xs: [Int]) -> Int {
                var a = [Int]()
                var r = [UInt8](repeating: 1, count: 3)
                let empty: [Bytes] = []
                a.append(1)
                a.append(contentsOf: xs)
                a.insert(0, at: 0)
                a.swapAt(0, 1)
                a[0] = 5
                r[1] = 2
                let last = a.removeLast()
                let removed = a.remove(at: 0)
                let both = a + xs
                let part = a[0..<1]
                let reversed = a.reversed()
                let sorted = a.sorted()
                let smallest = a.min()
                let largest = a.max()
                let has = a.contains(3)
                let at = a.firstIndex(of: 3)
                let pairs = a.enumerated()
                let firstOne = a.first
                let lastOne = a.last
                let same = a == xs
                _ = empty
                _ = last
                _ = removed
                _ = both
                _ = part
                _ = reversed
                _ = sorted
                _ = smallest
                _ = largest
                _ = has
                _ = at
                _ = pairs
                _ = firstOne
                _ = lastOne
                _ = same
                return a.count + (a.isEmpty ? 0 : 1)
            }
            """)
        let expected = [
            ("a", "[]:[Int]", "[Int]"), ("r", "(Array.repeating 1:UInt8 3:Int)", "[UInt8]"), ("empty", "[]:[Bytes]", "[Bytes]"),
            ("last", "(Array.removeLast a)", "Int"), ("removed", "(Array.remove a 0:Int)", "Int"), ("both", "(+ a xs)", "[Int]"),
            ("part", "(slice..< a 0:Int 1:Int)", "[Int]"), ("reversed", "(Array.reversed a)", "[Int]"),
            ("sorted", "(Array.sorted a)", "[Int]"),
            ("smallest", "(Array.min a)", "Int?"), ("largest", "(Array.max a)", "Int?"), ("has", "(Array.contains a 3:Int)", "Bool"),
            ("at", "(Array.firstIndex a 3:Int)", "Int?"), ("pairs", "(Array.enumerated a)", "[(Int, Int)]"),
            ("firstOne", "(Array.first a)", "Int?"), ("lastOne", "(Array.last a)", "Int?"), ("same", "(== a xs)", "Bool"),
        ]
        for (name, text, type) in expected {
            #expect(c.bound(name, in: "f") == text, "\(name)")
            #expect(c.boundType(name, in: "f") == type, "\(name)")
        }
        let f = c.function("f")
        #expect(
            evaluated(f).map { c.render($0, in: f) }.prefix(4) == [
                "(Array.append a 1:Int)", "(Array.appendContents a xs)", "(Array.insert a 0:Int 0:Int)", "(Array.swapAt a 0:Int 1:Int)",
            ])
    }

    @Test func joined() {
        let c = checkClean(
            """
            func f(_ words: [String], _ parts: [Bytes]) -> Bytes {
                let line = words.joined(separator: ", ")
                _ = line
                return parts.joined(separator: " ")
            }
            """)
        #expect(c.bound("line", in: "f") == "(Array.joined words \", \":String)" && c.boundType("line", in: "f") == "String")
        #expect(returnedValues(c.function("f")).map { c.render($0, in: c.function("f")) } == ["(Array.joined parts \" \":Bytes)"])
    }

    @Test func maps() {
        let c = checkClean(
            """
            func f(_ key: Bytes) -> Int {
                var m: Map<Bytes, Int> = Map()
                var n = Map<Int, Bool>()
                let literal = ["a": 1, "b": 2]
                var empty: Map<UInt16, Bytes> = [:]
                m[key] = 3
                m["x"] = nil
                n[1] = true
                empty[80] = "http"
                let found = m[key]
                let gone = m.removeValue(forKey: key)
                let keys = m.keys
                let values = m.values
                _ = literal
                _ = found
                _ = gone
                _ = keys
                _ = values
                return m.count + (n.isEmpty ? 0 : 1)
            }
            """)
        let expected = [
            ("m", "(Map.empty)", "Map<Bytes, Int>"), ("n", "(Map.empty)", "Map<Int, Bool>"),
            ("literal", "[\"a\":String: 1:Int, \"b\":String: 2:Int]:Map<String, Int>", "Map<String, Int>"),
            ("empty", "[]:Map<UInt16, Bytes>", "Map<UInt16, Bytes>"), ("found", "(index m key)", "Int?"),
            ("gone", "(Map.removeValue m key)", "Int?"), ("keys", "(Map.keys m)", "[Bytes]"), ("values", "(Map.values m)", "[Int]"),
        ]
        for (name, text, type) in expected {
            #expect(c.bound(name, in: "f") == text, "\(name)")
            #expect(c.boundType(name, in: "f") == type, "\(name)")
        }
        let f = c.function("f")
        let assigned = allStatements(f!.body!.stmts).compactMap { s -> String? in
            if case .assign(let t, nil, let v) = s.kind { return "\(c.render(t, in: f)) = \(c.render(v, in: f))" }
            return nil
        }
        #expect(
            assigned == [
                "(index m key) = (some 3:Int)", "(index m \"x\":Bytes) = nil:Int?", "(index n 1:Int) = (some true)",
                "(index empty 80:UInt16) = (some \"http\":Bytes)",
            ])
    }

    @Test func freeFunctions() {
        let c = checkClean(
            """
            func f(_ a: Int, _ d: Double, _ u: UInt8) -> Int {
                print("a = \\(a)")
                let small = min(a, 3)
                let large = max(1.5, d)
                let pos = abs(a)
                let m = min(u, 7)
                _ = large
                _ = m
                if a < 0 { fatalError("negative") }
                return small + pos
            }
            """)
        let f = c.function("f")
        #expect(evaluated(f).first.map { c.render($0, in: f) } == "(print (interp \"a = \" a):String)")
        #expect(evaluated(f).last.map { c.render($0, in: f) } == "(trap \"negative\":String)")
        #expect(c.bound("small", in: "f") == "(min a 3:Int)")
        #expect(c.bound("large", in: "f") == "(max 1.5 d)" && c.boundType("large", in: "f") == "Double")
        #expect(c.bound("pos", in: "f") == "(abs a)")
        #expect(c.bound("m", in: "f") == "(min u 7:UInt8)" && c.boundType("m", in: "f") == "UInt8")
    }

    @Test func structAndEnumEquality() {
        let c = checkClean(
            """
            struct P { let x: Int; let name: Bytes }
            enum E { case a, b(Int) }
            func f(_ p: P, _ q: P, _ e: E) -> Bool {
                return p == q && e != E.b(1) && e == .a
            }
            """)
        let f = c.function("f")
        #expect(returnedValues(f).map { c.render($0, in: f) } == ["(&& (&& (== p q) (!= e (case E.b 1:Int))) (== e (case E.a)))"])
    }

    @Test func typedOutlineOfASmallProgram() {
        let c = checkClean(
            """
            func f(_ xs: [UInt8]) -> Int {
                let n: UInt8 = 7
                return xs.filter { $0 > n }.count
            }
            """)
        let text = TypedASTPrinter.print(c.program)
        #expect(text.contains("Func f(_ xs#0: [UInt8]) -> Int"))
        #expect(text.contains("Bind n#1: UInt8"))
        #expect(text.contains("Int 7: UInt8"))
        #expect(text.contains("Closure ($0#2: UInt8) -> Bool"))
        #expect(text.contains("Main main"))
    }
}

// MARK: - C imports

@Suite struct CImportCheckTests {
    /// What `import "point.h"` would have produced for
    /// `struct point { int32_t x; uint8_t tag; }; int32_t add(int32_t, int32_t); void fill(char *buf, struct point p);`.
    static func header(_ importing: SourceFile) -> CHeaderImport {
        let span = SourceSpan(file: importing, start: 0, end: 18)
        return CHeaderImport(
            spelledPath: "point.h", resolvedPath: "/tmp/point.h",
            functions: [
                CFunction(
                    name: "add",
                    parameters: [
                        CParameter(name: "a", type: .integer(bits: 32, signed: true)),
                        CParameter(name: "b", type: .integer(bits: 32, signed: true)),
                    ],
                    result: .integer(bits: 32, signed: true), isSystem: false, span: span),
                CFunction(
                    name: "fill",
                    parameters: [
                        CParameter(name: "buf", type: .bytes(isConst: false)), CParameter(name: "p", type: .structure(name: "point")),
                    ],
                    result: .void, isSystem: false, span: span),
            ],
            structs: [
                CStruct(
                    name: "point",
                    fields: [
                        CParameter(name: "x", type: .integer(bits: 32, signed: true)),
                        CParameter(name: "tag", type: .integer(bits: 8, signed: false)),
                    ],
                    isSystem: false, span: span)
            ],
            diagnostics: [])
    }

    @Test func cFunctionsAndStructsBecomeCallable() {
        let text = """
            import "point.h"
            func main() {
                var buffer = Bytes(repeating: 0, count: 16)
                let p = point(x: 3, tag: 200)
                let sum = add(p.x, 4)
                fill(&buffer, p)
                _ = sum
            }
            """
        let file = SourceFile(path: "test.clv", text: text)
        let (ast, parseDiagnostics) = Parser.parse(file)
        let (program, diagnostics) = Checker.check(files: [ast], imports: [Self.header(file)])
        let c = Checked(program: program, diagnostics: parseDiagnostics + diagnostics)
        #expect(c.diagnostics.isEmpty, "\(c.diagnostics.map(\.message))")
        #expect(c.type("point")?.isC == true)
        #expect(c.type("point")?.fields.map { "\($0.name): \(c.tyName($0.type))" } == ["x: Int32", "tag: UInt8"])
        #expect(c.bound("p", in: "main") == "(memberwise point 3:Int32 200:UInt8)")
        #expect(c.bound("sum", in: "main") == "(call add (. p x) 4:Int32)" && c.boundType("sum", in: "main") == "Int32")
        let add = program.functions.first { $0.name == "add" }
        #expect(add?.kind == .c(isSystem: false))
        // A non-const `char *` is an inout Bytes parameter.
        let main = c.function("main")
        #expect(evaluated(main).first.map { c.render($0, in: main) } == "(call fill &buffer p)")
    }
}

// MARK: - Errors

@Suite struct CheckerDiagnosticTests {
    @Test(arguments: [
        ("func f() { let x: UInt8 = 300\n _ = x }", "integer-literal-overflow"),
        ("func f() -> Int { return y }", "undefined-name"),
        ("func f() { let a = 1\n a = 2 }", "assign-to-let"),
        ("func f() -> Int { }", "missing-return"),
        ("func f() { let b: Bytes = String(1)\n _ = b }", "conversion"),
        ("enum E { case a, b }\nfunc f(_ e: E) -> Int { switch e { case .a: return 1 } }", "switch-not-exhaustive"),
        ("state S { var n: Int = 0 }\nfunc f() { let s = S()\n _ = s }", "state-created-outside-main"),
        ("func g(_ x: inout Int) {}\nfunc f() { var v = 1\n g(v) }", "inout-missing-ampersand"),
        ("func f() { let c = { 1 }\n _ = c }", "closure-out-of-place"),
        ("func f(_ xs: [Int]) -> Int { return xs.map { $0 }.count + $0 }", "anon-param-outside-closure"),
        ("struct P { var x: Int\n func reset() { self = P(x: 0) } }", "assign-to-self"),
    ])
    func reportsTheRightDiagnostic(_ source: String, _ id: String) {
        let c = check(source)
        #expect(c.ids.contains(id), "got \(c.ids)")
        #expect(c.diagnostics.filter(\.isError).count == 1, "\(c.diagnostics.map(\.message))")
    }

    @Test func missingMain() {
        let (file, _) = Parser.parse(SourceFile(path: "lib.clv", text: "func helper() {}"))
        let (_, diags) = Checker.check(files: [file], imports: [])
        #expect(diags.map(\.id) == ["missing-main"])
    }

    @Test func errorPositions() {
        let c = check("func f() -> Int {\n    let s: Bytes = \"ok\"\n    return s + 1\n}")
        #expect(c.diagnostics.map { "\($0.id)@\($0.span?.line ?? 0):\($0.span?.column ?? 0)" } == ["conversion@3:16"])
    }

    @Test func severalErrorsInOneRun() {
        let c = check(
            """
            func f() -> Int {
                let a: UInt8 = 256
                let b = undefined
                return "x"
            }
            """)
        #expect(c.ids == ["integer-literal-overflow", "undefined-name", "conversion"])
        #expect(c.diagnostics.map { $0.span?.line ?? 0 } == [2, 3, 4])
    }
}

// MARK: - Limits

@Suite struct NestingCheckTests {
    /// Whatever the parser accepts (nesting up to its limit), the checker handles without exhausting the stack.
    @Test(arguments: [
        "let x = " + String(repeating: "(", count: 250) + "1" + String(repeating: ")", count: 250),
        "let x = " + (0..<250).map { _ in "1" }.joined(separator: " + "),
        "let x = " + String(repeating: "-", count: 250) + "1",
        "let x = " + String(repeating: "[", count: 120) + "1" + String(repeating: "]", count: 120),
        String(repeating: "if true { ", count: 120) + String(repeating: "} ", count: 120),
        "let x = [1].map { a in " + String(repeating: "[a].map { a in ", count: 60) + "a" + String(repeating: " }[0]", count: 60) + " }",
    ])
    func deeplyNestedButAccepted(_ body: String) {
        let c = check("func f() {\n    \(body)\n}")
        #expect(c.diagnostics.allSatisfy { !$0.isError }, "\(c.ids)")
    }
}

@Suite struct SuggestionLimitTests {
    /// An 8,000-letter name and the same name with one letter wrong.
    static let longName = String(repeating: "ab", count: 4000)
    static let longTypo = String(longName.prefix(4000)) + "x" + String(longName.dropFirst(4001))

    @Test func aLongMisspelledNameCostsWorkLinearInItsLength() {
        var cells = 0
        let names = ["print", "main", "Int", "UInt8", "Bytes", Self.longName, "count"]
        #expect(closestName(to: Self.longTypo, among: names, cells: &cells) == Self.longName)
        // Only the diagonal band of width 2 × 3 + 1 is computed, once ignoring case and once not;
        // names whose lengths differ by more than 3 are not compared at all.
        #expect(cells <= 2 * 7 * 8000)
        var unrelated = 0
        #expect(closestName(to: Self.longTypo, among: ["print", "main"], cells: &unrelated) == nil)
        #expect(unrelated == 0)
    }

    /// The whole table, as a reference for the banded computation.
    static func fullDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in stride(from: 1, through: a.count, by: 1) {
            for j in stride(from: 1, through: b.count, by: 1) {
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
            }
        }
        return d[a.count][b.count]
    }

    @Test func theBandedDistanceIsTheFullTablesWithinTheLimit() {
        // Every pair of words of up to four letters over {a, b, c}.
        var words: [[UInt8]] = [[]]
        var level: [[UInt8]] = [[]]
        for _ in 0..<4 {
            level = level.flatMap { w in Array("abc".utf8).map { w + [$0] } }
            words += level
        }
        var mismatches: [String] = []
        for a in words {
            for b in words {
                let full = Self.fullDistance(a, b)
                for limit in 1...3 {
                    var cells = 0
                    let banded = editDistance(a, b, atMost: limit, cells: &cells)
                    if banded != (full <= limit ? full : nil) {
                        mismatches.append("\(String(decoding: a, as: UTF8.self)) \(String(decoding: b, as: UTF8.self)) limit \(limit)")
                    }
                }
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(10))")
    }

    @Test func aLongMisspelledNameInAProgramGetsItsSuggestion() {
        let c = check(
            """
            func main() {
                let \(Self.longName) = 1
                print("\\(\(Self.longTypo))")
                print("\\(\(String(repeating: "cd", count: 4000)))")
            }
            """)
        #expect(c.ids == ["undefined-name", "undefined-name"])
        #expect(c.diagnostics.first?.notes.map(\.message) == ["did you mean '\(Self.longName)'?"])
        #expect(c.diagnostics.last?.notes.isEmpty == true)
    }
}

// AnalyzeEffects: a statement is pure only when it can neither trap, print, call C,
// use a device nor change a state, whatever its operands; a call has the effects of
// every body it reaches.

import CleaveDriver
import CleaveIR
import CleavePasses
import CleaveSema
import Testing

@Suite struct AnalyzeEffectsTests {
    let program = """
        import net
        struct Box {
            let n: Int
            func doubled() -> Int {
                return n &* 2
            }
            func checked() -> Int {
                return n * 2
            }
        }
        func quiet(_ x: Int) -> Int {
            return Box(n: x).doubled() &+ 1
        }
        func loud(_ x: Int) -> Int {
            print("x")
            return x
        }
        func deep(_ x: Int) -> Int {
            return loud(x)
        }
        state Count {
            var n: Int = 0
            func next() -> Int {
                n += 1
                return n
            }
            func peek() -> Int {
                return n
            }
        }
        func main() {
            let device = UdpDevice(port: 9000)
            let count = Count()
            loop {
                let d = device.receive()
                let size = d.payload.count
                let table: Map<Int, Int> = Map()
                let found = table[size]
                let numbers = [1, 2, 3]
                let first = numbers.first
                let wrapped = size &+ 1
                let sum = size + 1
                let element = numbers[size]
                let tail = d.payload[1..<2]
                let a = quiet(size)
                let b = deep(size)
                let c = Box(n: size).checked()
                let k = count.peek()
                print("\\(found ?? 0) \\(first ?? 0) \\(wrapped) \\(sum) \\(element) \\(tail) \\(a) \\(b) \\(c) \\(k)")
                device.send(d)
            }
        }
        """

    /// The effects of the statements of `main` that define the variable `name`.
    func effects(of name: String, in main: IRFunction, _ facts: EffectFacts) -> Effects? {
        func find(_ b: IRBlock) -> IRStmt? {
            for s in b.stmts {
                if statementParts(s).defines.contains(where: { main.info($0).name == name }) { return s }
                for n in statementParts(s).nested { if let x = find(n) { return x } }
            }
            return nil
        }
        return find(main.body).map { facts.effects(of: $0, in: main) }
    }

    @Test func eachStatementHasTheEffectsItMayHave() throws {
        let ir = try #require(try passes(program, through: .ir).ir)
        let main = try #require(ir.mainFunction)
        let facts = AnalyzeEffects.run(ir)
        let expected: [(String, Effects)] = [
            ("d", [.device, .state]),
            ("size", []),
            ("table", []),
            ("found", []),  // a Map lookup is an optional, never a trap
            ("numbers", []),
            ("first", []),  // an optional too
            ("wrapped", []),
            ("sum", .traps),  // `+` may overflow
            ("element", .traps),  // an index may be out of range
            ("tail", .traps),  // so may a slice
            ("a", []),  // through a struct's method that only wraps
            ("b", .prints),  // two calls down
            ("c", .traps),
            ("k", .state),  // a call on a state changes it, as far as order goes
        ]
        for (name, e) in expected {
            #expect(effects(of: name, in: main, facts) == e, "\(name)")
        }
    }

    @Test func aLoopHasTheEffectsOfItsBody() throws {
        let ir = try #require(try passes(program, through: .ir).ir)
        let main = try #require(ir.mainFunction)
        let facts = AnalyzeEffects.run(ir)
        let loop = try #require(main.body.stmts.first { if case .loop = $0.kind { true } else { false } })
        #expect(facts.effects(of: loop, in: main) == [.device, .state, .traps, .prints])
    }

    @Test func builtInsThatRefuseAnOperandMayTrap() {
        // Those that give an optional for "none" never trap; those that check an index, a count
        // or a conversion may.
        let never: [Builtin] = [
            .array(.first), .array(.min), .map(.removeValue), .bytes(.split), .integer(.int, .parse),
            .integer(.uint8, .truncating), .integer(.int64, .max),
        ]
        for name in never { #expect(name.cannotTrap, "\(name)") }
        let may: [Builtin] = [
            .array(.removeLast), .array(.remove), .bytes(.read(.uint16)), .bytes(.write(.uint32)), .integer(.int, .convert),
            .bytes(.repeating), .free(.abs),
        ]
        for name in may { #expect(!name.cannotTrap, "\(name)") }
    }
}

// Partition: components from the user's groups, placement of pure statements, the
// channels between components, and the turns that order their effects as the
// sequential program does.

import CleaveDiagnostics
import CleaveDriver
import CleaveIR
import CleaveSema
import CleaveTestSupport
import Testing

@testable import CleavePasses

@Suite struct PartitionTests {
    func channels(_ p: PartitionedProgram) -> [String] {
        p.channels.filter { !$0.isTurn }.map {
            "\(p.components[$0.from].name)->\(p.components[$0.to].name): \(p.program.typed.typeName($0.type))"
        }
    }

    /// The turns handed inside `main`'s service loop (set-up aside), as "from->to @line".
    func turnsInLoop(_ p: PartitionedProgram) -> [String] {
        guard let loop = p.main.serviceLoop(p.program.typed) else { return [] }
        let first = p.main.body.stmts[..<loop].reduce(0) { $0 + numberedCount(IRBlock([$1])) }
        let inLoop = first...(first + numberedCount(IRBlock([p.main.body.stmts[loop]])))
        let ids =
            p.crossingsAfter.filter { inLoop.contains($0.key) && $0.key != first }.flatMap(\.value)
            + (p.crossingsAtIterationStart.filter { inLoop.contains($0.key) }.flatMap(\.value))
        return ids.sorted().map { p.channels[$0] }.filter(\.isTurn).map {
            "\(p.components[$0.from].name)->\(p.components[$0.to].name) @\($0.span.line)"
        }
    }

    @Test func byDefaultEveryStateIsAComponent() throws {
        let p = try #require(try passes(threeStates, through: .components).partitioned)
        #expect(p.components.map(\.name) == ["device", "stack", "store"])
        #expect(p.systemComponent == 0)
    }

    @Test func groupsJoinStates() throws {
        let p = try #require(try passes(threeStates, through: .components, partition: [["stack", "store"]]).partitioned)
        #expect(p.components.map(\.name) == ["stack+store", "device"])
        // The device is a component of its own, and still the one making system calls.
        #expect(p.systemComponent == 1)
    }

    @Test func theDeviceSendsCallsAndGetsResults() throws {
        let r = try passes(try String(contentsOfFile: Repo.path("Examples/kv/kv.clv"), encoding: .utf8), through: .components)
        let p = try #require(r.partitioned)
        // The device builds the store's call from the datagram's payload; the store unpacks its result.
        #expect(channels(p) == ["device->store: StoreCall", "store->device: Bytes"])
        // Those two already order the receive, the answer and the send: no turn in the loop.
        #expect(turnsInLoop(p).isEmpty)
    }

    /// A counter that needs nothing from the device, beside a formatter that prints.
    let counter = """
        import net
        state Count {
            var n: UInt8 = 0
            func next() -> UInt8 {
                n += 1
                return n
            }
        }
        state Formatter {
            func format(_ k: UInt8) -> Bytes {
                print("formatting \\(k)")
                return "count \\(k)"
            }
        }
        func main() {
            let device = UdpDevice(port: 9600)
            let count = Count()
            let formatter = Formatter()
            loop {
                let datagram = device.receive()
                let k = count.next()
                let reply = formatter.format(k)
                device.send(datagram.reply(reply))
            }
        }
        """

    @Test func noComponentSeesDataItDoesNotNeed() throws {
        // `a.f() &+ b.g()` has operands from a and b and is read by `a.h`: it runs with a, so b
        // sends a its g and nobody else sees either. The interpolation of y (a's) and z (c's) is
        // read by the device's reply, which is neither of its producers: it runs with the first,
        // a, and only its bytes reach the device. Worked out by hand from the placement rules;
        // no other value crosses.
        let text = """
            import net
            state A {
                var n: Int = 0
                func f() -> Int {
                    n += 1
                    return n
                }
                func h(_ x: Int) -> Int {
                    n = n &+ x
                    return n
                }
            }
            state B {
                func g() -> Int {
                    return 2
                }
            }
            state C {
                var log: Int = 0
                func note() -> Int {
                    log += 1
                    return log
                }
            }
            func main() {
                let device = UdpDevice(port: 9000)
                let a = A()
                let b = B()
                let c = C()
                loop {
                    let d = device.receive()
                    let x = a.f() &+ b.g()
                    let y = a.h(x)
                    let z = c.note()
                    device.send(d.reply("\\(y) \\(z)"))
                }
            }
            """
        let p = try #require(try passes(text, through: .components).partitioned)
        #expect(Set(channels(p)) == ["b->a: Int", "c->a: Int", "a->device: Bytes"], "\(channels(p))")
    }

    @Test func aValueFromTwoComponentsReadByAThirdIsComputedByOneOfThem() throws {
        // `a.f() &+ b.g()` is read by `c.put`: c produced neither operand, so the sum runs with
        // the first producer, a: b sends a its g, a sends c the sum. Were it placed with c, c
        // would see both a's and b's values.
        let text = """
            import net
            state A {
                var n: Int = 0
                func f() -> Int {
                    n += 1
                    return n
                }
            }
            state B {
                func g() -> Int {
                    return 2
                }
            }
            state C {
                var total: Int = 0
                func put(_ x: Int) -> Bytes {
                    total = total &+ x
                    return "ok"
                }
            }
            func main() {
                let device = UdpDevice(port: 9000)
                let a = A()
                let b = B()
                let c = C()
                loop {
                    let d = device.receive()
                    let reply = c.put(a.f() &+ b.g())
                    device.send(d.reply(reply))
                }
            }
            """
        let p = try #require(try passes(text, through: .components).partitioned)
        #expect(Set(channels(p)) == ["b->a: Int", "a->c: CCall", "c->device: Bytes"], "\(channels(p))")
    }

    @Test func aValueFromTwoComponentsReadByACFunctionIsComputedByOneOfThem() throws {
        // `mean_of(a.f() &+ b.g(), 2)`: the C call runs with the device (its system calls), which
        // needs the sum and neither operand: b sends a its g, a sends the device the sum. Were
        // the sum placed with its reader, the device would see both a's and b's values.
        let path = Repo.path("Tests/Inputs/cimport/third.clv")
        let result = Pipeline.run(
            [SourceFile(path: path, text: try String(contentsOfFile: path, encoding: .utf8))], through: .components)
        #expect(!result.hasErrors, "\(DiagnosticFormatter().format(result.diagnostics))")
        let p = try #require(result.partitioned)
        #expect(Set(channels(p)) == ["b->a: Int", "a->device: Int"], "\(channels(p))")
    }

    @Test func aComponentThatNeedsNoValueWaitsForItsTurn() throws {
        // `count.next()` may trap (UInt8 overflow) and comes after the receive: the counter waits
        // for the device's turn each iteration. Everything else is ordered by the values that cross.
        let p = try #require(try passes(counter, through: .components).partitioned)
        #expect(turnsInLoop(p) == ["device->count @21"])
        // Creating the states is in order too: the device's, then the counter's, then the formatter's.
        let setUp = p.channels.filter(\.isTurn).map { "\(p.components[$0.from].name)->\(p.components[$0.to].name)" }
        #expect(setUp.contains("device->count") && setUp.contains("count->formatter"))
    }

    @Test func effectsAfterABranchOrALoopWaitForTheirTurn() throws {
        // In threeStates' loop: the store's `add` in the `if` comes before the stack's `n % 3`
        // (line 31), which may trap, and nothing the store sends after the `if` reaches the stack
        // when the branch is not taken; `n % 3` comes before the store's `add` in the `for`,
        // whose first crossing is inside it; the `for`'s last `add` comes before the stack's
        // `pack` (line 34). The rest is ordered by values: the call the device sends the stack,
        // the decision the stack sends the store, the reply the stack sends the device, and
        // round the loop the reply again (pack, then the next receive) and the `for`'s
        // decision (the stack's `+` in one iteration, the store's `add` in the next).
        let p = try #require(try passes(threeStates, through: .components).partitioned)
        #expect(turnsInLoop(p) == ["store->stack @31", "stack->store @31", "store->stack @34"])
    }

    @Test func anEffectAfterABranchThatMayDoNothingWaitsForTheEffectBeforeIt() throws {
        // When `n` is odd the branch does nothing, and `c.bump()` comes right after `a.next()`:
        // it waits for a turn from `a` as well as from `b`.
        let text = """
            import net
            state A {
                var n: Int = 0
                func next() -> Int {
                    n += 1
                    return n
                }
            }
            state B {
                var seen: Int = 0
                func note(_ k: Int) {
                    seen += k
                }
            }
            state C {
                var n: Int = 0
                func bump() -> Int {
                    n += 2
                    return n
                }
            }
            func main() {
                let device = UdpDevice(port: 9000)
                let a = A()
                let b = B()
                let c = C()
                loop {
                    let d = device.receive()
                    let n = a.next()
                    if n % 2 == 0 {
                        b.note(n)
                    }
                    let r = c.bump()
                    device.send(d.reply("\\(r)"))
                }
            }
            """
        let p = try #require(try passes(text, through: .components).partitioned)
        #expect(turnsInLoop(p) == ["device->a @29", "a->c @33", "b->c @33"])
    }

    /// How many `trap`s and `halt`s each component's projected program has.
    func trapsAndHalts(_ text: String) throws -> [String] {
        let p = try #require(try passes(text, through: .projected).projected)
        return p.components.map { c in
            let s = allStatements(c.main.body)
            let traps = s.filter { if case .trap = $0.kind { true } else { false } }.count
            let halts = s.filter { if case .halt = $0.kind { true } else { false } }.count
            return "\(c.component.name): \(traps) trap, \(halts) halt"
        }
    }

    @Test func aTrapAloneInABranchIsReportedByWhoDecidesTheBranch() throws {
        // Nothing else happens in the branch: the counter, which decides `k == 200`, reports it.
        let text = counter.replacingOccurrences(
            of: "let reply = formatter.format(k)",
            with: "if k == 200 {\n            fatalError(\"two hundred\")\n        }\n        let reply = formatter.format(k)")
        #expect(
            try trapsAndHalts(text) == ["device: 0 trap, 0 halt", "count: 1 trap, 0 halt", "formatter: 0 trap, 0 halt"])
    }

    @Test func aTrapIsReportedByOneComponentAndHaltsTheOthersTakingPart() throws {
        // The device and the formatter both work in the branch; the formatter makes the message.
        let text = counter.replacingOccurrences(
            of: "let reply = formatter.format(k)",
            with: """
                if k == 200 {
                            device.send(datagram.reply("bye"))
                            let last = formatter.format(k)
                            fatalError("stopped after \\(last)")
                        }
                        let reply = formatter.format(k)
                """)
        #expect(
            try trapsAndHalts(text) == ["device: 0 trap, 1 halt", "count: 0 trap, 1 halt", "formatter: 1 trap, 0 halt"])
    }

    @Test func aBranchDecisionCrossesToTheComponentsWorkingInTheBranch() throws {
        let p = try #require(try passes(threeStates, through: .components).partitioned)
        let bools = p.channels.filter { $0.type == .bool }
        // `n > 3` is computed by the stack's component (from its result) and decides the store's add.
        #expect(bools.contains { p.components[$0.from].name == "stack" && p.components[$0.to].name == "store" })
        // So does the inner loop's decision to go round again: the store works in it.
        #expect(bools.filter { p.components[$0.to].name == "store" }.map(\.span.line) == [28, 31])
    }

    @Test func oneComponentHasNoChannels() throws {
        let p = try #require(try passes(threeStates, through: .components, partition: [["device", "stack", "store"]]).partitioned)
        #expect(p.components.count == 1)
        #expect(p.channels.isEmpty)
    }

    @Test func badPartitionsAreErrors() throws {
        for (groups, message) in [
            ([["device"], ["nothing"]], "--partition names 'nothing', which is not a state of main"),
            ([["device", "store"], ["store"]], "--partition puts state 'store' in two components"),
        ] {
            let r = Pipeline.run(
                [SourceFile(path: "t.clv", text: threeStates)], through: .components, options: PipelineOptions(partition: groups))
            #expect(r.partitioned == nil)
            #expect(r.diagnostics.contains { $0.message == message }, "\(r.diagnostics.map(\.message))")
        }
    }

    @Test func parsingThePartitionOption() {
        #expect(Partition.parseGroups("a,b|c") == [["a", "b"], ["c"]])
        #expect(Partition.parseGroups(" a , b | c ") == [["a", "b"], ["c"]])
    }

    @Test(arguments: Repo.examples)
    func theVerifierAcceptsWhatPartitionMakes(_ path: String) throws {
        let sources = try Driver.loadSources([path])
        for groups in [nil, [["device"]]] as [[[String]]?] {
            let r = Pipeline.run(sources, through: .components, options: PipelineOptions(partition: groups))
            let p = try #require(r.partitioned, "\(path)")
            #expect(Partition.verify(p).isEmpty, "\(path): \(Partition.verify(p))")
        }
    }

    @Test func theVerifierFindsAStateInTwoComponentsAndAChannelWithoutEnds() throws {
        let p = try #require(try passes(threeStates, through: .components).partitioned)
        #expect(Partition.verify(p).isEmpty)
        func with(components: [Component]? = nil, channels: [Channel]? = nil) -> PartitionedProgram {
            PartitionedProgram(
                defunctionalized: p.defunctionalized, main: p.main, components: components ?? p.components,
                systemComponent: p.systemComponent, deviceCount: p.deviceCount, statementOwner: p.statementOwner,
                participants: p.participants, valueOwner: p.valueOwner, channels: channels ?? p.channels,
                crossingsAfter: p.crossingsAfter, crossingsAtIterationStart: p.crossingsAtIterationStart, effects: p.effects,
                trapReporter: p.trapReporter)
        }
        // A state in two components.
        var components = p.components
        let doubled = Component(
            name: components[0].name, states: components[0].states + components[1].states,
            stateNames: components[0].stateNames + components[1].stateNames)
        components[0] = doubled
        #expect(Partition.verify(with(components: components)).contains { $0.contains("is in 2 components") })
        // A channel to a component that does not exist, and one to itself.
        var channels = p.channels
        let c = try #require(channels.first { !$0.isTurn })
        channels[c.id] = Channel(
            id: c.id, from: c.from, to: p.components.count, value: c.value, type: c.type, name: c.name, span: c.span, isTurn: false)
        #expect(Partition.verify(with(channels: channels)).contains { $0.contains("goes from component") })
        channels[c.id] = Channel(
            id: c.id, from: c.from, to: c.from, value: c.value, type: c.type, name: c.name, span: c.span, isTurn: false)
        #expect(Partition.verify(with(channels: channels)).contains { $0.contains("to itself") })
        // A channel carrying a value its sender does not compute.
        channels[c.id] = Channel(id: c.id, from: c.to, to: c.from, value: c.value, type: c.type, name: c.name, span: c.span, isTurn: false)
        #expect(Partition.verify(with(channels: channels)).contains { $0.contains("does not compute") })
    }
}

// Partition: components from the user's groups, placement of pure statements, and
// the channels between components.

import CleaveDiagnostics
import CleaveDriver
import CleaveIR
import CleavePasses
import CleaveSema
import CleaveTestSupport
import Testing

@Suite struct PartitionTests {
    func channels(_ p: PartitionedProgram) -> [String] {
        p.channels.map { "\(p.components[$0.from].name)->\(p.components[$0.to].name): \(p.program.typed.typeName($0.type))" }
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
}

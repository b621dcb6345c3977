// The pipeline table: every stage runs, can be stopped after, and can be dumped.

import CleaveDiagnostics
import CleaveDriver
import CleaveTestSupport
import Testing

@testable import CleaveCBackend

@Suite struct PipelineTests {
    @Test func stagesAreInDependencyOrder() {
        // Parsing comes first, imports need the syntax trees, checking needs the imports,
        // lowering needs the typed AST, the graph needs the IR, the state-locality passes the
        // IR, each the one before it; the C backend the IR, or the projected program.
        #expect(
            Pipeline.stages == [
                .ast, .imports, .typed, .attached, .states, .ir, .graph, .lifted, .defunctionalized, .stateLocal, .components, .projected,
                .lookahead,
                .policy, .c,
            ])
    }

    @Test(arguments: Stage.allCases)
    func everyStageCanBeStoppedAfterAndDumped(_ stage: Stage) throws {
        let path = Repo.path("Examples/kv/kv.clv")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var seen: [Stage] = []
        let result = Pipeline.run([SourceFile(path: path, text: text)], through: stage) { s, _ in seen.append(s) }
        // Built from source, the unikernel does not need the state-locality passes.
        let expected = Array(Pipeline.stages.prefix { $0 != stage }).filter { stage != .c || !$0.isStateLocalityPass } + [stage]
        #expect(seen == expected)
        #expect(!result.hasErrors)
        switch stage {
        case .ast:
            #expect(result.typed == nil)
            #expect(Pipeline.dump(.ast, result).contains("State Store"))
        case .imports:
            #expect(result.typed == nil)
            #expect(Pipeline.dump(.imports, result) == "")
        case .typed:
            #expect(result.typed?.main != nil)
            #expect(result.ir == nil)
            #expect(Pipeline.dump(.typed, result).contains("Method answer"))
        case .attached:
            // Without --net direct nothing is attached.
            #expect(!result.attached && result.ir == nil)
            #expect(Pipeline.dump(.attached, result) == "")
        case .states:
            #expect(result.states?.states.map(\.name) == ["device", "store"])
            #expect(result.ir == nil)
            #expect(Pipeline.dump(.states, result).hasPrefix("state device: UdpDevice"))
        case .ir:
            #expect(result.ir != nil)
            #expect(result.graphs.isEmpty)
            #expect(Pipeline.dump(.ir, result).contains("state %device"))
        case .graph:
            #expect(result.graphs.map(\.function) == ["answer", "main"])
            #expect(Pipeline.dump(.graph, result).hasPrefix("digraph \"answer\""))
            #expect(result.c == nil)
        case .lifted:
            #expect(result.lifted?.functions.count == result.ir?.functions.count)
            #expect(result.defunctionalized == nil)
        case .defunctionalized:
            #expect(result.defunctionalized?.interfaces.count == 2)
            #expect(Pipeline.dump(.defunctionalized, result).contains("enum StoreCall"))
        case .stateLocal:
            #expect(result.defunctionalized != nil)
            #expect(result.partitioned == nil)
        case .components:
            #expect(result.partitioned?.components.map(\.name) == ["device", "store"])
            #expect(Pipeline.dump(.components, result).contains("channel #0: device -> store"))
        case .projected:
            #expect(result.projected?.components.count == 2)
            #expect(Pipeline.dump(.projected, result).contains("receive #0"))
            #expect(result.c == nil)
        case .lookahead:
            #expect(result.componentMains?.count == 2)
            #expect(Pipeline.dump(.lookahead, result).contains("// component device: reads ahead"))
            #expect(Pipeline.dump(.lookahead, result).contains("builtin Lookahead.pop()"))
            #expect(result.isolatedPlan == nil)
        case .policy:
            #expect(result.isolatedPlan?.parts.count == 2)
            #expect(Pipeline.dump(.policy, result).contains("component store (store):"))
            #expect(result.c == nil)
        case .c:
            let c = Pipeline.dump(.c, result)
            #expect(c.contains("#include \"core/cleave.h\""))
            #expect(c.contains("void cleave_main(void)"))
        }
    }

    @Test func theIsolatedTargetRunsThroughItsStagesToItsC() throws {
        let path = Repo.path("Examples/kv/kv.clv")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var seen: [Stage] = []
        let result = Pipeline.run(
            [SourceFile(path: path, text: text)], through: .c, options: PipelineOptions(cFrom: .projected, target: .isolated)
        ) { s, _ in seen.append(s) }
        #expect(seen == Pipeline.stages)
        #expect(!result.hasErrors, "\(result.diagnostics)")
        #expect(result.c == nil)
        let isolated = try #require(result.isolated)
        #expect(isolated.components.map(\.name) == ["device", "store"])
        #expect(isolated.policyDescription == result.isolatedPlan?.policyDescription)
        // The device's C is the lookahead stage's main: it reads ahead.
        #expect(isolated.components[0].program.source.contains("cl_udp_device_read_ahead"))
        #expect(Pipeline.dump(.c, result).contains("/* the launcher's table */"))
    }

    @Test func thePolicyVerifierFindsADevicelessComponentThatMayOpenFiles() throws {
        let path = Repo.path("Examples/kv/kv.clv")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let result = Pipeline.run([SourceFile(path: path, text: text)], through: .policy)
        let plan = try #require(result.isolatedPlan)
        #expect(CBackend.verify(plan).isEmpty)
        // The store (no device) given the device's rules: the verifier says so.
        let store = plan.parts[1]
        let widened = IsolatedPlan(
            projected: plan.projected,
            parts: [
                plan.parts[0],
                IsolatedPlan.Part(
                    main: store.main, reachable: store.reachable, states: store.states,
                    policy: store.policy + plan.parts[0].policy.filter { $0.systemCall == "recvmmsg" }),
            ])
        #expect(CBackend.verify(widened).contains { $0.contains("component store has no device, yet allows recvmmsg") })
    }

    @Test func thePackagingVerifierFindsComponentsThatDoNotFitThePlan() throws {
        let path = Repo.path("Examples/kv/kv.clv")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var options = PipelineOptions(cFrom: .projected)
        options.target = .isolated
        let result = Pipeline.run([SourceFile(path: path, text: text)], through: .c, options: options)
        let plan = try #require(result.isolatedPlan)
        let program = try #require(result.isolated)
        #expect(CBackend.verify(program, plan: plan).isEmpty)
        let (device, store) = (program.components[0], program.components[1])
        func with(_ store: IsolatedComponent) -> IsolatedProgram {
            IsolatedProgram(components: [device, store], launcher: program.launcher)
        }
        func renamed(_ file: String) -> IsolatedComponent {
            IsolatedComponent(name: store.name, file: file, program: store.program, policy: store.policy)
        }
        #expect(CBackend.verify(with(renamed(device.file)), plan: plan).contains("two components have the file name 'device'"))
        #expect(CBackend.verify(with(renamed("../store")), plan: plan).contains("component store has the file name '../store'"))
        // The names executableName makes are safe, capital letters included (a state named netDevice).
        #expect(CBackend.verify(with(renamed("netDevice_2")), plan: plan).isEmpty)
        let missing = IsolatedProgram(components: [device], launcher: program.launcher)
        #expect(CBackend.verify(missing, plan: plan).contains { $0.hasPrefix("components [\"device\"] for the plan's") })
    }

    @Test func aProgramWithErrorsIsNotLowered() {
        let result = runPipeline("func main() {\n    let x: Bool = 1\n}\n", through: .ir)
        #expect(result.hasErrors)
        #expect(result.ir == nil)
    }

    @Test func laterStagesRunAfterSyntaxErrorsAndReportTheirOwn() {
        // One run reports a syntax error and a type error.
        let result = runPipeline(
            """
            func main() {
                let a = (1 + 2
                let b: Bool = 3
            }
            """)
        let ids = result.diagnostics.map(\.id)
        #expect(ids.contains("expected"))
        #expect(ids.contains("conversion"))
    }
}

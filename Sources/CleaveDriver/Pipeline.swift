// The compiler's stages, as a table in one place.
//
// Each stage has a name (used by `--stop-after`, `--dump-after` and
// `dump --stage`), a one-line description, and a dump of its result. The order of
// the table is the order in which the stages run; a test checks that every stage
// can be dumped and stopped after.

import CleaveCBackend
import CleaveCImport
import CleaveDiagnostics
import CleaveGrammar
import CleaveGraph
import CleaveIR
import CleavePasses
import CleaveSema

public enum Stage: String, CaseIterable, Sendable {
    case ast
    case imports
    case typed
    case attached
    case states
    case ir
    case graph
    case lifted
    case defunctionalized
    case stateLocal = "state-local"
    case components
    case projected
    case lookahead
    case policy
    case c

    public var summary: String {
        switch self {
        case .ast: "parse every file into a syntax tree"
        case .imports: "import the C headers named by `import \"…\"` (libclang)"
        case .typed: "resolve names and check types; the typed AST"
        case .attached:
            "--net direct: each UdpDevice of main becomes a FrameDevice and the net module's NetStack (Cleave's own stack), its calls the stack's; main as it then is"
        case .states: "analyze where each state is used (and reject what no pass can fix)"
        case .ir: "lower to the IR: single assignment, explicit state threads"
        case .graph: "build the dataflow graph of every function (Graphviz DOT)"
        case .lifted: "lambda-lift: split each state method that calls a state it takes inout into requests and continuations"
        case .defunctionalized: "defunctionalize: every call on a state goes through its `process(call:)` method"
        case .stateLocal: "check that every state is one node per scope (the state-local graph)"
        case .components: "partition the states into components; place pure nodes; find the channels"
        case .projected: "project main onto each component: its local program, with sends and receives"
        case .lookahead:
            "isolated target: the device's component reads the next requests while its peers answer, where nothing a user sees changes"
        case .policy: "isolated target: what each component reaches, and its sandbox (the system calls it may make, and why)"
        case .c:
            "emit the C: for the unikernel target one program (one thread, every state in one address space); for the isolated target each component's and the launcher's"
        }
    }
}

/// What a build makes: one program of one thread (`unikernel`), a process per component with a
/// launcher (`isolated`), or the unikernel's one thread booted with no operating system (`image`:
/// an x86-64 ELF for QEMU, on Cleave's own network stack). The stages after `projected` depend on it.
public enum Target: String, Sendable, CaseIterable {
    case unikernel
    case isolated
    case image

    /// The network an image has is Ethernet frames from virtio-net: its UdpDevices always stand on
    /// Cleave's own stack (`--net direct`).
    public var impliesDirectNet: Bool { self == .image }
}

/// What running the pipeline produced, up to the stage where it stopped.
public struct PipelineResult: Sendable {
    public var files: [FileAST] = []
    public var imports: [CHeaderImport] = []
    public var typed: TypedProgram?
    /// `typed` is the program with Cleave's own stack attached to its UdpDevices (`--net direct`).
    public var attached = false
    public var states: StateUseAnalysis?
    public var ir: IRProgram?
    /// The IR after the state-locality passes, stage by stage.
    /// The IR after lambda lifting: no state method takes another state.
    public var lifted: IRProgram?
    public var defunctionalized: DefunctionalizedProgram?
    /// The state-local graph of each function of the defunctionalized program.
    public var stateLocalGraphs: [DataflowGraph] = []
    public var partitioned: PartitionedProgram?
    public var projected: ProjectedProgram?
    /// The dataflow graph of each of the user's functions, in source order.
    public var graphs: [DataflowGraph] = []
    /// Each component's `main` after `lookahead` (the isolated target).
    public var componentMains: [IRFunction]?
    /// What the isolated target decided before emitting C: the mains, what they reach, the sandboxes.
    public var isolatedPlan: IsolatedPlan?
    /// The generated C of the unikernel target.
    public var c: CProgram?
    /// The generated C of the isolated target: each component's and the launcher's.
    public var isolated: IsolatedProgram?
    public var diagnostics: [Diagnostic] = []
    public var hasErrors: Bool { diagnostics.contains { $0.isError } }
}

public struct PipelineOptions: Sendable {
    public var includeDirectories: [String] = []
    /// What the `c` stage emits: the program as lowered, or the projected program
    /// (the components' local programs, run in one thread).
    public var cFrom: CSource = .source
    /// The user's `--partition`: state names per component; nil for one component per state.
    public var partition: [[String]]?
    /// What the `c` stage emits for (and whether the isolated stages run).
    public var target: Target = .unikernel
    /// Run the state-locality passes even when the C is emitted from source (`cleave check`:
    /// a program they cannot make state-local is reported).
    public var runPasses = false
    /// The C says which source line each statement comes from (`#line`), for debuggers (`-g`).
    public var lineDirectives = false
    /// What the program's UdpDevices stand on (`--net`).
    public var net: NetChoice = .socket
    public init(includeDirectories: [String] = [], cFrom: CSource = .source, partition: [[String]]? = nil, target: Target = .unikernel) {
        self.includeDirectories = includeDirectories
        self.cFrom = cFrom
        self.partition = partition
        self.target = target
    }
}

/// What a program's `UdpDevice`s stand on: the kernel's UDP sockets (`socket`), or Cleave's own
/// stack on raw frames (`direct`: a TAP interface or a capture), as `AttachStack` makes it.
public enum NetChoice: String, Sendable, CaseIterable {
    case socket
    case direct
}

public enum CSource: String, Sendable, CaseIterable {
    case source
    case projected
}

extension Stage {
    /// The state-locality passes: they run when a stage after them needs them.
    public var isStateLocalityPass: Bool {
        switch self {
        case .lifted, .defunctionalized, .stateLocal, .components, .projected, .lookahead, .policy: true
        default: false
        }
    }
}

public enum Pipeline {
    /// The stages in the order they run.
    public static let stages: [Stage] = Stage.allCases

    /// Run the stages up to and including `last`. Later stages run even when an
    /// earlier one reported errors, so one run reports as many problems as it can;
    /// error nodes left by recovery are skipped silently by later stages.
    public static func run(
        _ sources: [SourceFile], through last: Stage, options: PipelineOptions = PipelineOptions(),
        afterEach: (Stage, PipelineResult) -> Void = { _, _ in }
    ) -> PipelineResult {
        var result = PipelineResult()
        // The unikernel built from source does not need the state-locality passes.
        let skipPasses = last == .c && options.cFrom == .source && options.target != .isolated && !options.runPasses
        for stage in stages {
            if stage.isStateLocalityPass && skipPasses { continue }
            switch stage {
            case .ast:
                for source in sources {
                    let (ast, diags) = Parser.parse(source)
                    result.files.append(ast)
                    result.diagnostics += diags
                }
            case .imports:
                for file in result.files {
                    for case .importDecl(let imp) in file.decls {
                        guard case .header(let path) = imp.target else { continue }
                        let imported = CImporter.importHeader(
                            path, importingFile: file.file.path, importSpan: imp.span,
                            extraIncludeDirectories: options.includeDirectories)
                        result.imports.append(imported)
                        result.diagnostics += imported.diagnostics
                    }
                }
            case .typed:
                let (program, diags) = Checker.check(files: result.files, imports: result.imports)
                result.typed = program
                result.diagnostics += diags
                if !result.hasErrors { result.diagnostics += BuildTimeGlobals.check(program) }
            case .attached:
                guard options.net == .direct || options.target.impliesDirectNet, let typed = result.typed, !result.hasErrors else {
                    break
                }
                let (attached, problems) = AttachStack.run(typed)
                result.diagnostics += problems
                guard problems.isEmpty else { break }
                let broken = AttachStack.verify(attached)
                if !broken.isEmpty { result.diagnostics.append(internalError("attached", "the attached-stack verifier", broken)) }
                result.typed = attached
                result.attached = true
            case .states:
                guard let typed = result.typed, !result.hasErrors else { break }
                let analysis = AnalyzeStateUse.analyze(typed)
                result.states = analysis
                result.diagnostics += analysis.diagnostics
            case .ir:
                // Only a program without errors is lowered.
                guard let typed = result.typed, !result.hasErrors else { break }
                let ir = LowerToIR.lower(typed)
                result.ir = ir
                let problems = VerifyIR.verify(ir)
                if !problems.isEmpty { result.diagnostics.append(internalError("ir", "the IR verifier", problems)) }
                // A partition given is checked by every command that gets this far, not only by one
                // that goes on to partition the program.
                if let groups = options.partition, let main = ir.mainFunction {
                    result.diagnostics += Partition.check(groups, main: main)
                }
            case .graph:
                guard let ir = result.ir else { break }
                let userFunctions = ir.functions.filter { ir.typed.files.contains($0.span.file) }
                for f in userFunctions.sorted(by: { ($0.span.file.path, $0.span.start) < ($1.span.file.path, $1.span.start) }) {
                    let g = BuildGraph.build(f, in: ir)
                    let problems = VerifyGraph.verify(g)
                    if !problems.isEmpty {
                        result.diagnostics.append(internalError("graph", "the graph verifier (function '\(f.name)')", problems))
                    }
                    result.graphs.append(g)
                }
            case .lifted:
                guard let ir = result.ir, !result.hasErrors else { break }
                let (lifted, problems) = LambdaLift.run(ir)
                result.diagnostics += problems
                guard problems.isEmpty else { break }
                result.lifted = lifted
                result.diagnostics += verified("lifted", lifted)
            case .defunctionalized:
                guard let ir = result.lifted, !result.hasErrors else { break }
                let d = Defunctionalize.run(ir)
                result.defunctionalized = d
                result.diagnostics += verified("defunctionalized", d.program)
            case .stateLocal:
                guard let d = result.defunctionalized, !result.hasErrors else { break }
                var problems = CheckStateLocality.check(d)
                if let main = d.program.mainFunction {
                    let g = FuseStateNodes.fuse(BuildGraph.build(main, in: d.program, calls: Driver.stateCallEnums(d)))
                    result.stateLocalGraphs = [g]
                    problems += FuseStateNodes.violations(g).map { "the state-local graph of main: \($0)" }
                }
                if !problems.isEmpty { result.diagnostics.append(internalError("state-local", "CheckStateLocality", problems)) }
            case .components:
                guard let d = result.defunctionalized, !result.hasErrors else { break }
                let (partitioned, problems) = Partition.run(d, groups: options.partition)
                result.partitioned = partitioned
                result.diagnostics += problems
                if let partitioned {
                    let wrong = Partition.verify(partitioned)
                    if !wrong.isEmpty { result.diagnostics.append(internalError("components", "the partition verifier", wrong)) }
                }
            case .projected:
                guard let partitioned = result.partitioned, !result.hasErrors else { break }
                let projected = Project.run(partitioned)
                result.projected = projected
                var problems = CheckStateLocality.check(projected)
                for c in projected.components {
                    problems += VerifyIR.verify(projected.program.with(typed: projected.program.typed, functions: [c.main])).map {
                        "component \(c.component.name): \($0)"
                    }
                }
                if !problems.isEmpty {
                    result.diagnostics.append(internalError("projected", "CheckStateLocality and the IR verifier", problems))
                }
            case .lookahead:
                guard !result.hasErrors else { break }
                guard let projected = result.projected else {
                    // No error, yet nothing was projected: there is no main, or it creates no state.
                    guard options.target == .isolated else { break }
                    let main = result.typed?.functions.first { $0.name == "main" && $0.kind == .free }
                    let note = DiagnosticNote("build it with --target unikernel, or create its states in main", at: nil)
                    result.diagnostics.append(Diagnostic(.isolatedNoComponents(hasMain: main != nil), at: main?.span, notes: [note]))
                    break
                }
                let (mains, problems) = CBackend.lookahead(projected)
                result.componentMains = mains
                result.diagnostics += problems
            case .policy:
                guard let projected = result.projected, let mains = result.componentMains, !result.hasErrors else { break }
                let (plan, warnings) = CBackend.plan(projected, mains: mains)
                result.isolatedPlan = plan
                result.diagnostics += warnings
                let problems = CBackend.verify(plan)
                if !problems.isEmpty { result.diagnostics.append(internalError("policy", "the policy verifier", problems)) }
            case .c where options.target == .isolated:
                guard let plan = result.isolatedPlan, !result.hasErrors else { break }
                let (program, problems) = CBackend.emitIsolated(plan, lineDirectives: options.lineDirectives)
                result.isolated = program
                result.diagnostics += problems
                if let program {
                    let wrong = CBackend.verify(program, plan: plan)
                    if !wrong.isEmpty { result.diagnostics.append(internalError("c", "the packaging verifier", wrong)) }
                }
            case .c:
                guard let ir = result.ir, !result.hasErrors else { break }
                let (program, problems) =
                    switch options.cFrom {
                    case .source: CBackend.emit(ir, lineDirectives: options.lineDirectives, image: options.target == .image)
                    case .projected:
                        result.projected.map {
                            CBackend.emit($0, lineDirectives: options.lineDirectives, image: options.target == .image)
                        }
                            ?? (nil, [internalError("c", "the C backend", ["no projected program"])])
                    }
                result.c = program
                result.diagnostics += problems
            }
            afterEach(stage, result)
            if stage == last { break }
        }
        return result
    }

    /// An internal error if the IR a pass made does not verify.
    static func verified(_ stage: String, _ program: IRProgram) -> [Diagnostic] {
        let problems = VerifyIR.verify(program)
        return problems.isEmpty ? [] : [internalError(stage, "the IR verifier", problems)]
    }

    /// A compiler bug found by a verifier: an error naming the stage, with the problems as notes.
    static func internalError(_ stage: String, _ verifier: String, _ problems: [String]) -> Diagnostic {
        Diagnostic(
            .internalError(stage: stage, "\(verifier) found \(problems.count) problem\(problems.count == 1 ? "" : "s")"), at: nil,
            notes: problems.prefix(20).map { DiagnosticNote($0, at: nil) })
    }

    /// The dump of a stage's result.
    public static func dump(_ stage: Stage, _ result: PipelineResult) -> String {
        switch stage {
        case .ast:
            return result.files.map(ASTPrinter.print).joined(separator: "\n")
        case .imports:
            return dumpImports(result.imports)
        case .typed:
            return result.typed.map(TypedASTPrinter.print) ?? ""
        case .attached:
            // main as it is after the stack is attached (nothing without --net direct).
            guard result.attached, let typed = result.typed else { return "" }
            return TypedASTPrinter.printMain(typed)
        case .states:
            return result.states.map(ExplainStates.explain) ?? ""
        case .ir:
            return result.ir.map(IRPrinter.print) ?? ""
        case .graph:
            guard let ir = result.ir else { return "" }
            return result.graphs.map { GraphOutput.dot($0, program: ir) }.joined()
        case .lifted:
            guard let ir = result.lifted else { return "" }
            // The user's functions, and those lifting made (of the user's states and of the
            // standard modules' states the program creates).
            let made = Set(ir.functions.map(\.source)).subtracting(result.ir?.functions.map(\.source) ?? [])
            func shown(_ f: IRFunction) -> Bool { ir.typed.files.contains(f.span.file) || made.contains(f.source) }
            return IRPrinter.print(ir.functions.filter(shown), of: ir)
        case .defunctionalized:
            return result.defunctionalized.map(dumpDefunctionalized) ?? ""
        case .stateLocal:
            guard let d = result.defunctionalized else { return "" }
            return result.stateLocalGraphs.map { GraphOutput.dot($0, program: d.program) }.joined()
        case .components:
            return result.partitioned.map(dumpComponents) ?? ""
        case .projected:
            return result.projected.map(dumpProjected) ?? ""
        case .lookahead:
            guard let p = result.projected, let mains = result.componentMains else { return "" }
            var out = ""
            for (c, main) in zip(p.components, mains) {
                let changed = IRPrinter.print([main], of: p.program) != IRPrinter.print([c.main], of: p.program)
                out += "// component \(c.component.name)\(changed ? ": reads ahead" : ": as projected")\n"
                out += IRPrinter.print([main], of: p.program)
            }
            return out
        case .policy:
            return result.isolatedPlan?.policyDescription ?? ""
        case .c:
            if let isolated = result.isolated {
                return isolated.components.map { "/* component \($0.name) (\($0.file)) */\n" + $0.program.source }.joined(separator: "\n")
                    + "\n/* the launcher's table */\n" + isolated.launcher.source
            }
            return result.c?.source ?? ""
        }
    }

    /// The components, their states, and the channels between them.
    static func dumpComponents(_ p: PartitionedProgram) -> String {
        var out = ""
        for (k, c) in p.components.enumerated() {
            out +=
                "component \(k) \(c.name): states \(c.stateNames.joined(separator: ", "))\(k == p.systemComponent ? " (system calls)" : "")\n"
        }
        for ch in p.channels {
            out +=
                "channel #\(ch.id): \(p.components[ch.from].name) -> \(p.components[ch.to].name): \(ch.name ?? "%\(ch.value.id)"): \(p.program.typed.typeName(ch.type))  @\(ch.span.line)\n"
        }
        return out
    }

    /// The channels, then each component's local program.
    static func dumpProjected(_ p: ProjectedProgram) -> String {
        var out = dumpComponents(p.partitioned) + "\n"
        for c in p.components {
            out += "// component \(c.component.name)\n" + IRPrinter.print([c.main], of: p.program)
        }
        return out
    }

    /// The call and result enums in Cleave's syntax, then the IR of the user's functions and
    /// of every `process` method.
    static func dumpDefunctionalized(_ d: DefunctionalizedProgram) -> String {
        let typed = d.program.typed
        var out = ""
        for i in d.interfaces {
            for t in [i.callType, i.resultType] {
                let decl = typed.type(t)
                out += "enum \(decl.name) {  // state \(typed.type(i.state).name)\n"
                for c in decl.cases {
                    let payload = c.payload.map { ($0.label.map { "\($0): " } ?? "") + typed.typeName($0.type) }
                    out += "    case \(c.name)\(payload.isEmpty ? "" : "(\(payload.joined(separator: ", ")))")\n"
                }
                out += "}\n\n"
            }
        }
        let processes = Set(d.interfaces.map(\.process))
        let shown = d.program.functions.filter { typed.files.contains($0.span.file) || processes.contains($0.source) }
        return out + IRPrinter.print(shown, of: d.program)
    }
}

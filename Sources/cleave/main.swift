// The `cleave` command line.
//
// Exit codes: 0 when the program is fine, 1 when it has errors (printed as
// diagnostics on standard error), 2 for bad usage or unreadable input.

import ArgumentParser
import CleaveDriver
import Foundation

/// The options of every command that compiles (`check`, `dump`, `graph`, `build`, `run`), parsed
/// and validated here, once.
struct CompileOptions: ParsableArguments {
    @Option(name: .customShort("I"), help: ArgumentHelp("Add a directory to the search path of C headers.", valueName: "dir"))
    var includeDirectories: [String] = []

    @Flag(help: "Leave out the [id] after each diagnostic message.")
    var noDiagnosticIds = false

    @Option(help: ArgumentHelp("Stop printing diagnostics after this many errors (0: print them all).", valueName: "n"))
    var errorLimit = 20

    @Option(
        help: ArgumentHelp(
            "Group the states into components: names of main's states, ',' within a component, '|' between them (default: one component per state).",
            valueName: "a,b|c"))
    var partition: String?

    @Option(
        help:
            "The target: unikernel (one hosted process, one thread), isolated (a process per component, with a launcher) or image (one thread on the bare machine: a bootable x86-64 ELF for QEMU, on Cleave's own network stack); the stages after projected and the C depend on it."
    )
    var target: Target = .unikernel

    @Option(
        help:
            "What the program's UdpDevices stand on: socket (the kernel's UDP sockets; the default) or direct (Cleave's own network stack, written in Cleave, on raw Ethernet frames: --netif tap:NAME,ip=A/LEN or pcap:IN[:OUT],ip=A/LEN when the service runs). An image is always direct."
    )
    var net: NetChoice?

    @Flag(
        name: .customShort("g"),
        help:
            "Debugging: the C says which .clv line each statement comes from (#line) and is compiled with -g -O0, so gdb, perf and sanitizer reports point at the source."
    )
    var debugInfo = false

    func validate() throws {
        guard errorLimit >= 0 else { throw ValidationError("--error-limit must be 0 (no limit) or more") }
        if target == .image && net == .socket {
            throw ValidationError(
                "an image has no kernel and so no sockets: its UdpDevices stand on Cleave's own stack (--net direct, which --target image implies)"
            )
        }
        if let partition, Driver.partitionGroups(partition).allSatisfy(\.isEmpty) {
            throw ValidationError("--partition names no state: write main's states, ',' within a component, '|' between them")
        }
    }
}

/// The source files of a command that takes several.
struct SourceArguments: ParsableArguments {
    @Argument(help: "Cleave source files (a directory stands for the .clv files in it).")
    var files: [String] = []
}

/// What a command compiles, and how: its files and its compile options.
struct InputOptions {
    var files: [String]
    var compile: CompileOptions

    var includeDirectories: [String] { compile.includeDirectories }
    var noDiagnosticIds: Bool { compile.noDiagnosticIds }
    var errorLimit: Int { compile.errorLimit }

    func pipelineOptions(cFrom: CSource = .source) -> PipelineOptions {
        var options = PipelineOptions(
            includeDirectories: compile.includeDirectories, cFrom: cFrom, partition: compile.partition.map(Driver.partitionGroups),
            target: compile.target)
        options.net = compile.net ?? (compile.target.impliesDirectNet ? .direct : .socket)
        options.lineDirectives = compile.debugInfo
        return options
    }

    func buildOptions(output: String, emitC: String?) -> BuildOptions {
        var options = BuildOptions(output: output, emitC: emitC, includeDirectories: includeDirectories)
        options.debugInfo = compile.debugInfo
        return options
    }
}

extension CSource: ExpressibleByArgument {}

extension Stage: ExpressibleByArgument {}

/// Print diagnostics to standard error; true when there were errors.
func report(_ result: PipelineResult, _ options: InputOptions) -> Bool {
    let (text, hasErrors) = Driver.format(result.diagnostics, showIDs: !options.noDiagnosticIds, errorLimit: options.errorLimit)
    FileHandle.standardError.write(Data(text.utf8))
    return hasErrors
}

func load(_ options: InputOptions) throws -> SourceFiles {
    do {
        return try Driver.loadSources(options.files)
    } catch let e as UsageError {
        throw ValidationError(e.description)
    }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Check a program: parse, import C headers, check types, analyze state use, lower to the IR, build the graphs, run the state-locality passes."
    )

    @OptionGroup var sourceFiles: SourceArguments
    @OptionGroup var compile: CompileOptions
    var input: InputOptions { InputOptions(files: sourceFiles.files, compile: compile) }

    @Option(help: "Print the result of this stage to standard output (\(Stage.allCases.map(\.rawValue).joined(separator: ", "))).")
    var dumpAfter: Stage?

    @Flag(help: "Explain where each state is used and what the state-locality passes will do about it.")
    var explainStates = false

    @Option(help: "Stop after this stage (\(Stage.allCases.map(\.rawValue).joined(separator: ", "))).")
    var stopAfter: Stage?

    func run() throws {
        let sources = try load(input)
        let last = stopAfter ?? Pipeline.stages.last!
        var options = input.pipelineOptions()
        options.runPasses = true
        let result = Pipeline.run(sources, through: last, options: options) {
            stage, partial in
            if stage == dumpAfter { print(Pipeline.dump(stage, partial), terminator: "") }
        }
        if explainStates, let states = result.states { print(ExplainStates.explain(states), terminator: "") }
        if report(result, input) { throw ExitCode(1) }
    }
}

struct Dump: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print what a stage produced: syntax tree, C imports, typed AST, state analysis, IR or dataflow graphs.")

    @Option(help: "The stage to print: \(Stage.allCases.map { "\($0.rawValue) (\($0.summary))" }.joined(separator: "; ")).")
    var stage: Stage

    @OptionGroup var sourceFiles: SourceArguments
    @OptionGroup var compile: CompileOptions
    var input: InputOptions { InputOptions(files: sourceFiles.files, compile: compile) }

    func run() throws {
        let sources = try load(input)
        let result = Pipeline.run(sources, through: stage, options: input.pipelineOptions())
        print(Pipeline.dump(stage, result), terminator: "")
        if report(result, input) { throw ExitCode(1) }
    }
}

struct Graph: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the dataflow graph of a function (main by default) as Graphviz DOT or JSON.",
        discussion: "A program with errors gets its diagnostics and no graph (exit 1). Render with: dot -Tsvg kv.dot -o kv.svg")

    typealias Format = Driver.GraphFormat

    @OptionGroup var sourceFiles: SourceArguments
    @OptionGroup var compile: CompileOptions
    var input: InputOptions { InputOptions(files: sourceFiles.files, compile: compile) }

    @Option(
        help:
            "The stage whose graph to write: graph (the dataflow graph of the IR), state-local (main after defunctionalization: one node per state per scope), components (the projected program: a cluster per component, an edge per channel)."
    )
    var stage: Stage = .graph

    @Option(help: "The function whose graph to write (a method by its name).")
    var function: String = "main"

    @Option(help: "Output format: dot or json.")
    var format: Format = .dot

    @Option(name: .shortAndLong, help: "Write to this file instead of standard output.")
    var output: String?

    func validate() throws {
        guard [.graph, .stateLocal, .components].contains(stage) else {
            throw ValidationError("stage '\(stage.rawValue)' has no graph; stages with a graph: graph, state-local, components")
        }
    }

    func run() throws {
        let sources = try load(input)
        let result = Pipeline.run(sources, through: stage == .components ? .projected : stage, options: input.pipelineOptions())
        if report(result, input) { throw ExitCode(1) }
        guard result.ir != nil else { throw ExitCode(1) }
        do {
            try write(Driver.graph(result, stage: stage, function: function, format: format))
        } catch let e as UsageError {
            throw ValidationError(e.description)
        }
    }

    func write(_ text: String) throws {
        guard let output else {
            print(text, terminator: "")
            return
        }
        do {
            try text.write(toFile: output, atomically: true, encoding: .utf8)
        } catch {
            throw ValidationError("cannot write '\(output)': \(error.localizedDescription)")
        }
    }
}

extension Target: ExpressibleByArgument {}
extension NetChoice: ExpressibleByArgument {}

extension Driver.GraphFormat: ExpressibleByArgument {}

/// Make the directory `--emit-c` names (a problem with it is the user's to fix: exit 2).
func createEmitDirectory(_ emitC: String?) throws {
    guard let emitC else { return }
    do {
        try FileManager.default.createDirectory(atPath: emitC, withIntermediateDirectories: true)
    } catch {
        throw ValidationError("cannot create the directory '\(emitC)' for --emit-c: \(error.localizedDescription)")
    }
}

/// Run the pipeline through projection and compile each component and the launcher into the
/// directory `output` (nil: write nothing), or exit 1. With `printPolicy`, also show every
/// component's sandbox.
func buildIsolated(_ input: InputOptions, output: String?, emitC: String?, printPolicy: Bool) throws {
    let fm = FileManager.default
    try createEmitDirectory(emitC)
    var isDirectory: ObjCBool = false
    if let output, fm.fileExists(atPath: output, isDirectory: &isDirectory), !isDirectory.boolValue {
        throw ValidationError("cannot write the isolated build to '\(output)': it is a file, and the build is a directory")
    }
    let sources = try load(input)
    var options = input.pipelineOptions(cFrom: .projected)
    options.target = .isolated
    var result = Pipeline.run(sources, through: .c, options: options)
    if report(result, input) { throw ExitCode(1) }
    guard let isolated = result.isolated else { throw ExitCode(1) }
    if printPolicy { FileHandle.standardOutput.write(Data(isolated.policyDescription.utf8)) }
    guard let output else { return }
    result.diagnostics = Build.compile(isolated, options: input.buildOptions(output: output, emitC: emitC))
    if report(result, input) { throw ExitCode(1) }
}

/// Run the pipeline and compile to `output`, an executable (the unikernel target) or a bootable image
/// (the image target), or exit 1. What the pipeline made.
@discardableResult
func buildExecutable(_ input: InputOptions, output: String, emitC: String?, from: CSource = .source) throws -> PipelineResult {
    // Where the results go is the user's to fix (exit 2), not a compiler bug: check it first.
    let fm = FileManager.default
    try createEmitDirectory(emitC)
    let outputDirectory = URL(fileURLWithPath: output).deletingLastPathComponent().path
    var isDirectory: ObjCBool = false
    guard fm.fileExists(atPath: outputDirectory, isDirectory: &isDirectory), isDirectory.boolValue,
        fm.isWritableFile(atPath: outputDirectory)
    else {
        throw ValidationError("cannot write the executable '\(output)': '\(outputDirectory)' is not a writable directory")
    }
    let sources = try load(input)
    let result = Pipeline.run(sources, through: .c, options: input.pipelineOptions(cFrom: from))
    if report(result, input) { throw ExitCode(1) }
    guard let program = result.c else { throw ExitCode(1) }
    let name = Driver.executableName(URL(fileURLWithPath: sources[0].path).deletingPathExtension().lastPathComponent)
    let options = input.buildOptions(output: output, emitC: emitC)
    let problems =
        input.compile.target == .image
        ? Build.compileImage(program, name: name, options: options) : Build.compile(program, name: name, options: options)
    var failed = result
    failed.diagnostics = problems
    if report(failed, input) { throw ExitCode(1) }
    return result
}

struct BuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Compile a service to an executable.",
        discussion: """
            The unikernel target puts every state in one address space and runs the loop in one thread. \
            The isolated target writes a directory: one executable per component (--partition chooses them) \
            and the launcher `run`, which binds the devices, starts the components, each in its own sandbox, \
            and supervises them. Either takes --netif udp:PORT[,PORT...], --netif pcap:IN[:OUT] or \
            --netif tap:NAME (default: UDP on the ports in the source). The image target writes a bootable \
            x86-64 ELF (default NAME.img): boot it with `cleave run --target image` or \
            `qemu-system-x86_64 -kernel NAME.img` (see the README); its --netif goes on the kernel command line \
            (-append). The C compiler is cc, or $CC; $CFLAGS adds flags.
            """)

    @OptionGroup var sourceFiles: SourceArguments
    @OptionGroup var compile: CompileOptions
    var input: InputOptions { InputOptions(files: sourceFiles.files, compile: compile) }

    @Option(
        name: .shortAndLong,
        help:
            "The executable to write, or for the isolated target the directory (default: the first file's name without .clv; with .d when isolated)."
    )
    var output: String?

    @Flag(
        help:
            "Show each component's sandbox: the system calls it may make, and why (isolated target). Nothing is written unless -o is given too."
    )
    var printPolicy = false

    @Option(name: .customLong("emit-c"), help: ArgumentHelp("Keep the generated C in this directory.", valueName: "dir"))
    var emitC: String?

    @Option(
        help:
            "Build from the program as written (source), or from the projected program: every component's local program, with channels between them, run in one thread (projected)."
    )
    var fromStage: CSource = .source

    func run() throws {
        let base = URL(fileURLWithPath: input.files.first ?? "a.clv").deletingPathExtension().lastPathComponent
        switch compile.target {
        case .unikernel, .image:
            if printPolicy { throw ValidationError("--print-policy is for the isolated target (--target isolated)") }
            try buildExecutable(
                input, output: output ?? (compile.target == .image ? base + ".img" : base), emitC: emitC, from: fromStage)
        case .isolated:
            // --print-policy alone only shows; with -o (or --emit-c) the build is written as well.
            let writes = output != nil || emitC != nil || !printPolicy
            try buildIsolated(input, output: writes ? output ?? base + ".d" : nil, emitC: emitC, printPolicy: printPolicy)
        }
    }
}

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Build a service and run it (arguments after -- go to the service, e.g. -- --netif udp:9000).")

    @Argument(help: "The service's Cleave source file (or a directory of .clv files).")
    var file: String

    @OptionGroup var compile: CompileOptions

    @Flag(
        help:
            "Run the program with the reference interpreter instead of building it: slow, and independent of the compiler past the checker (the tests' oracle). It takes --netif udp:PORT[,PORT...] or pcap:IN[:OUT]; it does not run programs that call C."
    )
    var interpret = false

    @Argument(parsing: .postTerminator, help: "Arguments for the service.")
    var serviceArguments: [String] = []

    @OptionGroup(title: "The image target (--target image)") var image: ImageOptions

    func run() throws {
        let input = InputOptions(files: [file], compile: compile)
        if interpret {
            if compile.partition != nil {
                throw ValidationError("--partition groups the states of a build; the interpreter runs the program as written")
            }
            let sources = try load(input)
            let result = Pipeline.run(sources, through: .typed, options: input.pipelineOptions(cFrom: .source))
            if report(result, input) { throw ExitCode(1) }
            guard let typed = result.typed else { throw ExitCode(1) }
            var name = URL(fileURLWithPath: sources[0].path).lastPathComponent
            if name.hasSuffix(".clv") { name.removeLast(4) }
            throw ExitCode(Driver.interpret(typed, name: name, arguments: serviceArguments))
        }
        var template = Array((NSTemporaryDirectory() + "cleave-run-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw ValidationError("cannot make a temporary directory to build in") }
        let dir = String(cString: made)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var exe = dir + "/service"
        switch compile.target {
        case .unikernel:
            try buildExecutable(input, output: exe, emitC: nil)
        case .isolated:
            try buildIsolated(input, output: dir + "/service.d", emitC: nil, printPolicy: false)
            exe = dir + "/service.d/run"
        case .image:
            let built = try buildExecutable(input, output: dir + "/service.img", emitC: nil)
            throw ExitCode(try runImage(dir + "/service.img", built: built))
        }
        if image.isGiven { throw ValidationError("--machine, --accel, --tap, --forward, --gdb and --dump are for --target image") }
        // The service runs as a child, so that its build can be removed when it ends.
        throw ExitCode(try runChild(exe, serviceArguments))
    }

    /// Boot the image in QEMU as asked, and end as the service ended.
    func runImage(_ path: String, built: PipelineResult) throws -> Int32 {
        if let problem = ImageRun.commandLineProblem(serviceArguments) { throw ValidationError(problem) }
        var options = ImageRunOptions()
        options.machine = image.machine
        options.accelerator = image.accel
        if image.accel == .auto {
            let (chosen, why) = ImageRun.chooseAccelerator(
                image: path, qemu: options.qemu, environment: ProcessInfo.processInfo.environment)
            options.accelerator = chosen
            if let why { FileHandle.standardError.write(Data("cleave: TCG, not KVM: \(why)\n".utf8)) }
        }
        options.tap = image.tap
        options.gdb = image.gdb
        options.dump = image.dump
        options.memoryMiB = image.memory
        options.serviceArguments = serviceArguments
        if image.tap == nil {
            guard let ports = ImageRun.forwardedPorts(built) else {
                if image.forward.isEmpty {
                    throw ValidationError(
                        "the program computes a port of its UdpDevice: say which to forward from the host with --forward PORT")
                }
                options.forwardedPorts = image.forward
                return try runQemu(path, options)
            }
            options.forwardedPorts = Array(Set(ports + image.forward)).sorted()
        }
        return try runQemu(path, options)
    }
}

/// `cleave run`'s options for the image target.
struct ImageOptions: ParsableArguments {
    @Option(help: "The QEMU machine: microvm (virtio-mmio; starts fastest), q35 or pc (PCI).")
    var machine: ImageRunOptions.Machine = .microvm

    @Option(help: "The accelerator: auto (KVM when it opens and runs the image, TCG otherwise), kvm or tcg.")
    var accel: ImageRunOptions.Accelerator = .auto

    @Option(help: ArgumentHelp("Use the TAP interface NAME instead of QEMU's user network.", valueName: "name"))
    var tap: String?

    @Option(help: ArgumentHelp("Also forward this UDP port from 127.0.0.1 (the program's own are forwarded).", valueName: "port"))
    var forward: [Int] = []

    @Flag(help: "Start QEMU's gdb stub (localhost:1234) and halt before the first instruction: gdb IMAGE, then target remote :1234.")
    var gdb = false

    @Option(help: ArgumentHelp("Record the image's network traffic to this pcap file (QEMU's filter-dump).", valueName: "file"))
    var dump: String?

    @Option(help: ArgumentHelp("The guest's memory in MiB.", valueName: "MiB"))
    var memory = 128

    var isGiven: Bool { machine != .microvm || accel != .auto || tap != nil || !forward.isEmpty || gdb || dump != nil || memory != 128 }

    func validate() throws {
        guard memory >= 16 && memory <= 3072 else { throw ValidationError("--memory is 16 to 3072 (MiB): the image maps the first 4 GiB") }
        for p in forward where !(1...65535).contains(p) { throw ValidationError("--forward \(p): a UDP port is 1 to 65535") }
    }
}

extension ImageRunOptions.Machine: ExpressibleByArgument {}
extension ImageRunOptions.Accelerator: ExpressibleByArgument {}

/// The pipe to QEMU's standard input (the serial console's input), for the signal handlers.
nonisolated(unsafe) var consoleInput: Int32 = -1

/// Boot `image` in QEMU: the serial console on standard error (as a hosted build's diagnostics),
/// Ctrl-C and SIGTERM passed to the image as the key Ctrl-C (it stops cleanly and says its
/// counters), SIGQUIT as Ctrl-\\ (it says its counters and memory). The service's exit status.
func runQemu(_ image: String, _ options: ImageRunOptions) throws -> Int32 {
    let arguments = ImageRun.qemuArguments(image: image, options)
    FileHandle.standardError.write(Data(("cleave: " + ImageRun.shellWords([options.qemu] + arguments) + "\n").utf8))
    var input: [Int32] = [-1, -1]
    guard pipe(&input) == 0 else { throw ValidationError("cannot make a pipe for QEMU's console") }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, input[0], 0)
    posix_spawn_file_actions_adddup2(&actions, 2, 1)
    posix_spawn_file_actions_addclose(&actions, input[1])
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var none = sigset_t()
    sigemptyset(&none)
    posix_spawnattr_setsigmask(&attributes, &none)
    posix_spawnattr_setpgroup(&attributes, 0)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP))
    let argv = ([options.qemu] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let spawned = posix_spawnp(&pid, options.qemu, &actions, &attributes, argv, environ)
    close(input[0])
    guard spawned == 0 else {
        throw ValidationError("cannot run '\(options.qemu)': \(String(cString: strerror(spawned))) (install qemu-system-x86: make deps)")
    }
    consoleInput = input[1]
    runningService = pid
    signal(SIGPIPE, SIG_IGN)
    for s in [SIGINT, SIGTERM] {
        signal(s) { _ in
            var key: UInt8 = 0x03
            _ = write(consoleInput, &key, 1)
        }
    }
    signal(SIGQUIT) { _ in
        var key: UInt8 = 0x1c
        _ = write(consoleInput, &key, 1)
    }
    signal(SIGHUP) { kill(runningService, $0) }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    close(input[1])
    let signalled = status & 0x7f
    if signalled != 0 { return 128 + signalled }
    let code = (status >> 8) & 0xff
    if let service = ImageRun.serviceStatus(fromQemu: code) { return service }
    FileHandle.standardError.write(Data("cleave: QEMU ended with status \(code) before the image ended it\n".utf8))
    return code == 0 ? 1 : code
}

/// The child `cleave run` waits for, to pass it the stop signals.
nonisolated(unsafe) var runningService: pid_t = 0

/// Run `exe` with `arguments` until it ends; its exit status (128 + the signal that ended it).
func runChild(_ exe: String, _ arguments: [String]) throws -> Int32 {
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var defaults = sigset_t()
    sigemptyset(&defaults)
    for s in [SIGINT, SIGTERM, SIGHUP, SIGPIPE] { sigaddset(&defaults, s) }
    var none = sigset_t()
    sigemptyset(&none)
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setsigmask(&attributes, &none)
    // A process group of its own: a stop signal (Ctrl-C too) reaches it once, passed on from here.
    posix_spawnattr_setpgroup(&attributes, 0)
    posix_spawnattr_setflags(
        &attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP))
    let argv = ([exe] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, exe, nil, &attributes, argv, environ)
    guard spawned == 0 else { throw ValidationError("cannot run '\(exe)': \(String(cString: strerror(spawned)))") }
    runningService = pid
    for s in [SIGINT, SIGTERM, SIGHUP] { signal(s) { kill(runningService, $0) } }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let signalled = status & 0x7f
    return signalled == 0 ? (status >> 8) & 0xff : 128 + signalled
}

struct Cleave: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cleave",
        abstract: "Compile a network service written as one sequential loop.",
        discussion: """
            Cleave builds the same source as a single-threaded unikernel or as isolated, \
            sandboxed processes. Exit codes: 0 ok, 1 errors in the program, 2 bad usage.
            """,
        subcommands: [Check.self, Dump.self, Graph.self, BuildCommand.self, RunCommand.self])
}

// Usage errors exit with 2 (ArgumentParser's default is 64).
let status: Int32 = Driver.onCompilerStack {
    do {
        var command = try Cleave.parseAsRoot()
        try command.run()
        return 0
    } catch let code as ExitCode {
        return code.rawValue
    } catch {
        let message = Cleave.fullMessage(for: error)
        let code = Cleave.exitCode(for: error)
        if code == .success {
            print(message)
            return 0
        }
        // ArgumentParser says "Error: Unexpected argument"; every other message of cleave says
        // "error: " and begins in lower case.
        var said = message
        if message.hasPrefix("Error: ") {
            let rest = message.dropFirst("Error: ".count)
            let lower = rest.count > 1 && rest.dropFirst().first?.isLowercase == true
            said = "error: " + (lower ? rest.prefix(1).lowercased() + rest.dropFirst() : String(rest))
        }
        FileHandle.standardError.write(Data(("cleave: " + said + "\n").utf8))
        return 2
    }
}
exit(status)

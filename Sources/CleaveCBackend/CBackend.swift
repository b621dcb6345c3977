// The unikernel backend: the whole program as one C file, run by one thread.
//
// Every state lives in the one address space as a C struct; a state method is
// a C function taking the state by pointer; `main`'s loop is one C loop calling
// them directly: nothing is copied between states. The file is laid out for a
// reader: the types, the descriptors the runtime's arrays and maps use, the
// constants, then one C function per Cleave function and state method, each
// statement followed by a `/* file.clv:LINE */` comment where control flow
// starts.
//
// The runtime (Sources/CleaveRuntime/C) supplies memory, buffers, maps,
// traps and the netifs behind `UdpDevice`. `emit` returns the C text, or the
// internal errors met on the way (a compiler bug, never a user's mistake:
// the checker has already accepted the program).

import CleaveDiagnostics
import CleaveIR
import CleavePasses
import CleaveSema
import Foundation

public struct CProgram: Sendable {
    /// The generated C file.
    public let source: String
    /// C headers the program imports, to be found with `-I`.
    public let headers: [String]
}

public final class CBackend {
    let program: IRProgram
    let types: CTypes
    var diagnostics: [Diagnostic] = []

    var constants: [[UInt8]: String] = [:]
    var constantOrder: [([UInt8], String)] = []
    var helpers: [String] = []
    var closureCounter = 0
    var trampolines: [Ty: String] = [:]
    var references: [FunctionID: String] = [:]
    var stateDefinitions: [TypeID: String] = [:]
    var stateOrder: [TypeID] = []
    /// Built from a projected program: its components' local programs replace `main`.
    var projected: ProjectedProgram?
    /// The C name `main`'s code gets (a component's, in a projected program).
    var mainName = "cleave_main"
    /// Emitting one component of the isolated target: only what its program reaches.
    var isolated: IsolatedContext?
    /// Emitting for the image target: no netifs, and no C function of the program's imports.
    var image = false
    var wireNames: [WireKey: String] = [:]
    var wireDeclarations: [String] = []
    var wireDefinitions: [String] = []
    /// Each statement's C is preceded by `#line` naming its source line (`cleave build -g`).
    var lineDirectives = false
    /// The file name of `#line`, as a C string literal, by the source's path.
    var lineDirectiveFiles: [String: String] = [:]

    /// The runtime's headers the C of each target includes, from the runtime's folder
    /// (Sources/CleaveRuntime/C/README.md): the core and the netifs for the unikernel, the
    /// isolated target's header (which includes both) for a component or the launcher.
    public static let unikernelHeaders = ["core/cleave.h", "netif/netif.h"]
    /// An image has the core alone: its platform (image/) implements platform.h, and there are no netifs.
    public static let imageHeaders = ["core/cleave.h"]
    public static let isolatedHeaders = ["isolated/isolated.h"]

    init(_ program: IRProgram) {
        self.program = program
        self.types = CTypes(program: program.typed)
    }

    /// The program as C, or the internal errors that stopped the backend.
    /// A projected program as C: every component's local program, run as coroutines of one
    /// thread by the runtime (hosted/components.c), with channels as in-memory queues.
    public static func emit(_ projected: ProjectedProgram, lineDirectives: Bool = false, image: Bool = false) -> (
        CProgram?, [Diagnostic]
    ) {
        emit(projected.program, projected: projected, lineDirectives: lineDirectives, image: image)
    }

    /// The program as C for the unikernel target, or for the image target (`image`): the same C, with
    /// the core's header alone, refused when it calls a C function (an image has no C library and no
    /// operating system to call).
    public static func emit(_ program: IRProgram, lineDirectives: Bool = false, image: Bool = false) -> (CProgram?, [Diagnostic]) {
        emit(program, projected: nil, lineDirectives: lineDirectives, image: image)
    }

    static func emit(_ program: IRProgram, projected: ProjectedProgram?, lineDirectives: Bool, image: Bool) -> (
        CProgram?, [Diagnostic]
    ) {
        let b = CBackend(program)
        b.projected = projected
        b.lineDirectives = lineDirectives
        b.image = image
        if image {
            let refused = b.cFunctionsOfImage()
            if !refused.isEmpty { return (nil, refused) }
        }
        let text = b.emitProgram()
        if !b.diagnostics.isEmpty { return (nil, b.diagnostics) }
        let headers = program.typed.imports.compactMap(\.resolvedPath)
        return (CProgram(source: text, headers: headers), [])
    }

    func internalError(_ message: String, at span: SourceSpan?) {
        diagnostics.append(Diagnostic(.internalError(stage: "c", message), at: span))
    }

    /// How `#line` names the source at `path`: by its absolute path (a debugger reads it from a
    /// build directory of its own); a module shipped in the compiler keeps its name. Once a file.
    func lineDirectiveFile(_ path: String) -> String {
        if let known = lineDirectiveFiles[path] { return known }
        let named = path.hasPrefix("<") ? path : URL(fileURLWithPath: path).standardizedFileURL.path
        let literal = CText.string(named)
        lineDirectiveFiles[path] = literal
        return literal
    }

    // MARK: Names

    func functionName(_ id: FunctionID) -> String {
        let f = program.typed.function(id)
        if f.name == "main" && f.kind == .free { return "cleave_main" }
        switch f.kind {
        case .free: return "f_\(CTypes.ident(f.name))_\(id.index)"
        case .method(let t): return "m_\(CTypes.ident(types.decl(t).name))_\(CTypes.ident(f.name))_\(id.index)"
        case .initializer(let t): return "init_\(CTypes.ident(types.decl(t).name))_\(id.index)"
        case .c: return f.name
        }
    }

    func globalName(_ g: GlobalID) -> String {
        globalName(g.index)
    }

    func globalName(_ index: Int) -> String {
        "g_\(CTypes.ident(program.typed.globals[index].name))"
    }

    /// A `String`/`Bytes` constant, made once by `cleave_init`.
    func constant(_ bytes: [UInt8]) -> String {
        if let n = constants[bytes] { return n }
        let n = "lit_\(constants.count + 1)"
        constants[bytes] = n
        constantOrder.append((bytes, n))
        return n
    }

    // MARK: States

    /// `new_state_Name(fields…)`: a state's struct and heap, its fields promoted into the heap.
    func stateConstructor(_ tid: TypeID) -> String {
        let name = "new_\(types.stateStruct(tid))"
        if stateDefinitions[tid] != nil { return name }
        stateDefinitions[tid] = name
        stateOrder.append(tid)
        let d = types.decl(tid)
        let params = d.fields.enumerated().map { "\(types.c($1.type)) a\($0)" }
        var body = [
            "    struct \(types.stateStruct(tid)) *s = cl_state_alloc(sizeof *s);",
            "    s->heap = cl_heap_new(\(CText.string(d.name)));",
        ]
        for (k, field) in d.fields.enumerated() {
            body.append("    s->\(types.fieldName(field.name)) = a\(k);")
            if types.hasBuffers(field.type) {
                body.append("    cl_promote(\(types.descriptor(field.type)), &s->\(types.fieldName(field.name)), s->heap, false);")
            }
        }
        body.append("    return s;")
        helpers.append(
            "static struct \(types.stateStruct(tid)) *\(name)(\(params.isEmpty ? "void" : params.joined(separator: ", "))) {\n\(body.joined(separator: "\n"))\n}"
        )
        return name
    }

    func stateStructDefinition(_ tid: TypeID) -> String {
        let d = types.decl(tid)
        let fields = d.fields.map { "    \(types.c($0.type)) \(types.fieldName($0.name));" }
        return """
            \(CText.comment("state \(d.name)"))
            struct \(types.stateStruct(tid)) {
                cl_heap *heap;
            \(fields.joined(separator: "\n"))
            };
            """
    }

    /// `UdpDevice(port:)`, `UdpDevice(ports:)`, `TcpDevice(…)`, `FrameDevice(…)`: the netif layer of the runtime.
    func emitExternInit(_ f: FunctionEmitter, _ initFn: TFunction, into name: String, type: Ty, args: [IRAtom], span: SourceSpan) {
        if types.isTcpDevice(type), let a = args.first {
            if initFn.params.first?.label == "ports" {
                f.line(
                    "cl_tcp_device *\(name) = cl_tcp_device_open((const int64_t *)(void *)\(f.atom(a))->data, (size_t)\(f.atom(a))->count);"
                )
            } else {
                f.line("cl_tcp_device *\(name) = cl_tcp_device_open((const int64_t[]){\(f.atom(a))}, 1);")
            }
            return
        }
        if types.isFrameDevice(type) {
            if let a = args.first {
                f.line("cl_frame_device *\(name) = cl_frame_device_open(\(f.atom(a)));")
            } else {
                f.line("cl_frame_device *\(name) = cl_frame_device_open_link();")
            }
            return
        }
        guard types.isUdpDevice(type), let a = args.first else {
            internalError("no runtime for the extern initializer of \(types.spelled(type))", at: span)
            return
        }
        if initFn.params.first?.label == "ports" {
            f.line("cl_udp_device *\(name) = cl_udp_device_open((const int64_t *)(void *)\(f.atom(a))->data, (size_t)\(f.atom(a))->count);")
        } else {
            f.line("cl_udp_device *\(name) = cl_udp_device_open((const int64_t[]){\(f.atom(a))}, 1);")
        }
    }

    func emitExternStateCall(
        _ f: FunctionEmitter, _ method: TFunction, receiver: String, result: IRValue?, args: [IRStateArgument], span: SourceSpan
    ) {
        if case .method(let tid) = method.kind, types.isFrameDevice(.nominal(tid)) {
            switch (method.name, result, args.first) {
            case ("receive", let r?, _):
                f.declareZero([r])
                f.line("\(f.name(r)).some = cl_frame_device_receive(\(receiver), &\(f.name(r)).value);")
            case ("send", _, .value(let frame)?):
                f.line("cl_frame_device_send(\(receiver), \(f.atom(frame)));")
            case ("fd", let r?, _):
                f.declare(r, "cl_frame_device_fd(\(receiver))")
            case ("now", let r?, _):
                f.declare(r, "cl_frame_device_now(\(receiver))")
            case ("wait", _, .value(let milliseconds)?):
                f.line("cl_frame_device_wait(\(receiver), \(f.atom(milliseconds)));")
            case ("mac", let r?, _):
                f.declare(r, "cl_frame_device_mac(\(receiver))")
            case ("address", let r?, _):
                f.declare(r, "cl_frame_device_address(\(receiver))")
            case ("prefixLength", let r?, _):
                f.declare(r, "cl_frame_device_prefix_length(\(receiver))")
            case ("gateway", let r?, _):
                f.declare(r, "cl_frame_device_gateway(\(receiver))")
            case ("listening", _, .value(let ports)?):
                f.line("cl_frame_device_listening(\(receiver), \(f.atom(ports)));")
            default:
                internalError("no runtime for FrameDevice.\(method.name)", at: span)
            }
            return
        }
        if case .method(let tid) = method.kind, types.isTcpDevice(.nominal(tid)) {
            emitTcpDeviceCall(f, method, receiver: receiver, result: result, args: args, span: span)
            return
        }
        guard case .method(let tid) = method.kind, types.isUdpDevice(.nominal(tid)) else {
            internalError("no runtime for the extern method \(method.name)", at: span)
            return
        }
        let datagram = program.typed.types.firstIndex { $0.isStandard && $0.name == "Datagram" }.map { TypeID($0) }
        guard let datagram else {
            internalError("the net module has no Datagram", at: span)
            return
        }
        let fields = types.decl(datagram).fields.map { types.fieldName($0.name) }
        let get = Dictionary(uniqueKeysWithValues: zip(types.decl(datagram).fields.map(\.name), fields))
        func field(_ n: String) -> String { get[n] ?? "f_\(n)" }
        switch method.name {
        case "receive":
            guard let result else { return }
            f.declareZero([result])
            let r = f.name(result)
            f.line(
                "cl_udp_device_receive(\(receiver), &\(r).\(field("payload")), &\(r).\(field("port")), &\(r).\(field("peerAddress")), &\(r).\(field("peerPort")));"
            )
        case "send":
            guard case .value(let d)? = args.first else { return }
            let x = f.atom(d)
            f.line(
                "cl_udp_device_send(\(receiver), \(x).\(field("payload")), \(x).\(field("port")), \(x).\(field("peerAddress")), \(x).\(field("peerPort")));"
            )
        default:
            internalError("no runtime for UdpDevice.\(method.name)", at: span)
        }
    }

    /// A `TcpDevice`'s calls: `receive()` fills a `TcpEvent` from the runtime's event; `send`
    /// and `close` take a `TcpConnection`'s id.
    func emitTcpDeviceCall(
        _ f: FunctionEmitter, _ method: TFunction, receiver: String, result: IRValue?, args: [IRStateArgument], span: SourceSpan
    ) {
        let typed = program.typed
        func standard(_ name: String) -> TypeID? {
            typed.types.firstIndex { $0.isStandard && $0.name == name }.map { TypeID($0) }
        }
        guard let connection = standard("TcpConnection"), let event = standard("TcpEvent") else {
            internalError("the net module has no TcpConnection or TcpEvent", at: span)
            return
        }
        let field = Dictionary(uniqueKeysWithValues: types.decl(connection).fields.map { ($0.name, types.fieldName($0.name)) })
        func id(_ x: String) -> String { "\(x).\(field["id"] ?? "f_id")" }
        switch (method.name, result, args.first) {
        case ("receive", let r?, _):
            let cases = types.decl(event).cases.map(\.name)
            guard let opened = cases.firstIndex(of: "opened"), let received = cases.firstIndex(of: "received"),
                let closed = cases.firstIndex(of: "closed")
            else {
                internalError("the net module's TcpEvent lacks a case", at: span)
                return
            }
            f.declareZero([r])
            let x = f.name(r)
            let e = "\(x)_event"
            f.line("cl_tcp_device_event \(e);")
            f.line("cl_tcp_device_receive(\(receiver), &\(e));")
            f.line("\(x).tag = \(e).kind == CL_TCP_OPENED ? \(opened) : \(e).kind == CL_TCP_RECEIVED ? \(received) : \(closed);")
            for (k, isReceived) in [(opened, false), (received, true), (closed, false)] {
                f.line("if (\(x).tag == \(k)) {")
                let c = "\(x).u.c\(k).p0"
                f.line("    \(c).\(field["id"] ?? "f_id") = \(e).id;")
                f.line("    \(c).\(field["port"] ?? "f_port") = \(e).port;")
                f.line("    \(c).\(field["peerAddress"] ?? "f_peerAddress") = \(e).peer_address;")
                f.line("    \(c).\(field["peerPort"] ?? "f_peerPort") = \(e).peer_port;")
                if isReceived { f.line("    \(x).u.c\(k).p1 = \(e).bytes;") }
                f.line("}")
            }
        case ("send", _, .value(let bytes)?):
            guard args.count == 2, case .value(let c) = args[1] else {
                internalError("TcpDevice.send takes bytes and a connection", at: span)
                return
            }
            f.line("cl_tcp_device_send(\(receiver), \(f.atom(bytes)), \(id(f.atom(c))));")
        case ("close", _, .value(let c)?):
            f.line("cl_tcp_device_close(\(receiver), \(id(f.atom(c))));")
        default:
            internalError("no runtime for TcpDevice.\(method.name)", at: span)
        }
    }

    // MARK: Closures and function values

    /// A closure value: its body lifted into a C function, its captures copied into an environment.
    func closure(_ c: IRClosure, in f: FunctionEmitter, type: Ty) -> String {
        closureCounter += 1
        let k = closureCounter
        // Captures: values, and the states a closure in a state method reads fields of.
        let captured = AnalyzeOwnership.captures(c).sorted()
        var seen: Set<String> = []
        let fields = captured.map { (v: $0, name: f.name($0), type: types.c(f.ty($0))) }.filter { seen.insert($0.name).inserted }
        let env = "env_\(k)"
        if !fields.isEmpty {
            helpers.append("struct \(env) {\n\(fields.map { "    \($0.type) \($0.name);" }.joined(separator: "\n"))\n};")
            f.prologue.append("struct \(env) \(env)_value;")
            for x in fields { f.line("\(env)_value.\(x.name) = \(x.name);") }
        }
        let inner = FunctionEmitter(
            backend: self, function: f.function, body: c.body, params: c.params + captured, ownedParams: [], isMain: false)
        inner.resultSlots = [(c.result, false)]
        inner.returnsValue = true
        for v in captured where types.isState(f.ty(v)) { inner.stateNames[inner.facts.stateRoot(v)] = f.name(v) }
        var prefix: [String] = []
        if !fields.isEmpty {
            prefix.append("    struct \(env) *env = env_;")
            for x in fields { prefix.append("    \(x.type) \(x.name) = env->\(x.name);") }
        } else {
            prefix.append("    (void)env_;")
        }
        inner.emit(c.body)
        let params = (["void *env_"] + c.params.map { "\(types.c(f.ty($0))) \(f.name($0))" }).joined(separator: ", ")
        let text = inner.finish(
            signature: "static \(types.c(c.result)) closure_\(k)(\(params))", prefix: prefix, params: c.params + captured)
        helpers.append(text)
        let fnType = types.c(type)
        return "(\(fnType)){.call = closure_\(k), .env = \(fields.isEmpty ? "NULL" : "&\(env)_value")}"
    }

    /// A named function used as a closure value.
    func functionReference(_ id: FunctionID, type: Ty) -> String {
        let name: String
        if let n = references[id] {
            name = n
        } else {
            name = "reference_\(id.index)"
            references[id] = name
            guard case .function(let ps, let r) = type else { return "{0}" }
            let params = ps.enumerated().map { "\(types.c($1)) a\($0)" }
            let args = ps.indices.map { "a\($0)" }.joined(separator: ", ")
            helpers.append(
                """
                static \(types.c(r)) \(name)(\((["void *env"] + params).joined(separator: ", "))) {
                    (void)env;
                    return \(functionName(id))(\(args));
                }
                """)
        }
        return "(\(types.c(type))){.call = \(name), .env = NULL}"
    }

    /// `bool less(ctx, x, y)` calling a `(T, T) -> Bool` closure, for `sorted(by:)`.
    func lessTrampoline(closureType: Ty, element: Ty) -> String {
        if let n = trampolines[closureType] { return n }
        let n = "less_\(trampolines.count + 1)"
        trampolines[closureType] = n
        let ct = types.c(closureType)
        let e = types.c(element)
        helpers.append(
            """
            static bool \(n)(void *ctx, const void *x, const void *y) {
                \(ct) *f = ctx;
                return f->call(f->env, *(const \(e) *)x, *(const \(e) *)y);
            }
            """)
        return n
    }

    // MARK: Functions

    func signature(_ fn: IRFunction, emitter: FunctionEmitter) -> String {
        if fn.kind == .main { return "\(mainName == "cleave_main" ? "" : "static ")void \(mainName)(void)" }
        let isInit: Bool
        if case .initializer = fn.kind { isInit = true } else { isInit = false }
        let slots = fn.results.map { (ty: $0, isState: types.isState($0) && !isInit) }
        emitter.resultSlots = slots
        let kept = slots.filter { !$0.isState }
        emitter.returnsValue = !kept.isEmpty
        var params = fn.params.map { "\(types.c(fn.info($0).type)) \(emitter.name($0))" }
        params += kept.dropLast().enumerated().map { "\(types.c($1.ty)) *out\($0)" }
        let result = kept.last.map { types.c($0.ty) } ?? "void"
        return "\(result) \(functionName(fn.source))(\(params.isEmpty ? "void" : params.joined(separator: ", ")))"
    }

    func ownedParams(_ fn: IRFunction) -> Set<IRValue> {
        let t = program.typed.function(fn.source)
        var owned: Set<IRValue> = []
        var offset = 0
        switch fn.kind {
        case .valueMethod(_, let mutating):
            if mutating, let s = fn.params.first { owned.insert(s) }
            offset = 1
        case .stateMethod:
            offset = 1
        default:
            break
        }
        for (k, p) in t.params.enumerated() where p.isInout && k + offset < fn.params.count {
            owned.insert(fn.params[k + offset])
        }
        return owned
    }

    func emitFunction(_ fn: IRFunction) -> (prototype: String, definition: String) {
        let e = FunctionEmitter(
            backend: self, function: fn, body: fn.body, params: fn.params, ownedParams: ownedParams(fn), isMain: fn.kind == .main)
        if projected != nil { e.iterationEnd = "cl_component_iteration_end" }
        for p in fn.params where types.isState(fn.info(p).type) {
            let root = e.facts.stateRoot(p)
            e.stateNames[root] = p == fn.params.first && isStateMethod(fn) ? "self" : CTypes.local(fn.info(p).name ?? "state", p.id)
        }
        let sig = signature(fn, emitter: e)
        e.emit(fn.body)
        let file = fn.span.file.path.split(separator: "/").last.map(String.init) ?? ""
        let header = CText.comment("\(file):\(fn.span.line): \(describe(fn))") + "\n"
        return (sig + ";", header + e.finish(signature: sig, prefix: [], params: fn.params))
    }

    /// Each component's local program as a C function, the channel table, and a `cleave_main`
    /// that runs the components.
    /// What the unikernel's main reaches (each component's main, for a projected program): its
    /// functions with bodies and the states it creates.
    /// The image target's refusal of every C function the program reaches: one error each, at its
    /// first call.
    func cFunctionsOfImage() -> [Diagnostic] {
        let mains = projected.map { $0.components.map(\.main) } ?? program.functions.filter { $0.kind == .main }
        var calls: [FunctionID: SourceSpan] = [:]
        for main in mains {
            let (_, c, _) = Self.reach(from: main, in: program)
            calls.merge(c) { first, _ in first }
        }
        return calls.sorted { $0.key.index < $1.key.index }.map { id, call in
            let f = program.typed.function(id)
            return Diagnostic(
                .imageCallsC(f.name), at: call,
                notes: [
                    DiagnosticNote("'\(f.name)' is declared here", at: f.span),
                    DiagnosticNote(
                        "an image runs on the bare machine: build it for --target unikernel or isolated, or use what the net module's devices give (FrameDevice.wait(_:) instead of poll)",
                        at: nil),
                ])
        }
    }

    func unikernelReach() -> (functions: Set<FunctionID>, states: Set<TypeID>) {
        let mains = projected.map { $0.components.map(\.main) } ?? program.functions.filter { $0.kind == .main }
        var functions: Set<FunctionID> = []
        var states: Set<TypeID> = []
        for main in mains {
            let (f, _, s) = Self.reach(from: main, in: program)
            functions.formUnion(f)
            states.formUnion(s)
        }
        return (functions, states)
    }

    func componentMains(_ projected: ProjectedProgram) -> [String] {
        var out: [String] = []
        var names: [String] = []
        for (k, c) in projected.components.enumerated() {
            mainName = "component_\(k)_\(CTypes.ident(c.component.name))"
            names.append(mainName)
            out.append(
                CText.comment("component \(c.component.name): main projected onto its states") + "\n" + emitFunction(c.main).definition)
        }
        mainName = "cleave_main"
        let table = projected.channels.map {
            let text = "#\($0.id) \($0.name ?? "%\($0.value.id)"): \(program.typed.typeName($0.type))"
            return "    {\($0.from), \($0.to), \(CText.string(text))},"
        }
        let componentNames = projected.components.map { CText.string($0.component.name) }
        out.append(
            """
            static const cl_channel_info channel_table[] = {
            \(table.isEmpty ? "    {0, 0, \"\"}," : table.joined(separator: "\n"))
            };
            static void (*const component_mains[])(void) = {\(names.joined(separator: ", "))};
            static const char *const component_names[] = {\(componentNames.joined(separator: ", "))};
            void cleave_main(void) {
                cl_components_run(\(names.count), component_mains, component_names, \(projected.channels.count), channel_table);
            }
            """)
        return out
    }

    /// `cl_program_name`, the name a built service gives itself on standard error: its source
    /// file's (the one with `main`), without `.clv`.
    func programNameDefinition() -> String {
        let path = program.mainFunction?.span.file.path ?? program.typed.files.first?.path ?? "service"
        var name = String(path.split(separator: "/").last ?? "service")
        if name.hasSuffix(".clv") { name.removeLast(4) }
        return "const char cl_program_name[] = \(CText.string(name.isEmpty ? "service" : name));"
    }

    func isStateMethod(_ fn: IRFunction) -> Bool {
        if case .stateMethod = fn.kind { return true }
        return false
    }

    func describe(_ fn: IRFunction) -> String {
        switch fn.kind {
        case .main: "func main"
        case .free: "func \(fn.name)"
        case .stateMethod(let t): "state method \(types.decl(t).name).\(program.typed.function(fn.source).name)"
        case .valueMethod(let t, let m): "\(m ? "mutating " : "")method \(types.decl(t).name).\(program.typed.function(fn.source).name)"
        case .initializer(let t): "init of \(types.decl(t).name)"
        }
    }

    // MARK: The file

    func emitProgram() -> String {
        var prototypes: [String] = []
        var definitions: [String] = []
        var globalDeclarations: [String] = []
        var globalInits: [String] = []
        // Computed in an order where each global comes after those its initializer reads.
        let order = (try? globalInitializationOrder(program.typed).get()) ?? Array(program.globals.indices)
        for i in order {
            let g = program.globals[i]
            let info = program.typed.globals[i]
            let name = globalName(i)
            let e = FunctionEmitter(backend: self, function: g, body: g.body, params: [], ownedParams: [], isMain: false)
            e.resultSlots = [(info.type, false)]
            e.returnsValue = true
            let sig = "static \(types.c(info.type)) global_\(name)(void)"
            e.emit(g.body)
            definitions.append(CText.comment("global \(info.name)") + "\n" + e.finish(signature: sig, prefix: [], params: []))
            globalDeclarations.append("static \(types.c(info.type)) \(name);")
            globalInits.append("    \(name) = global_\(name)();")
            if types.hasBuffers(info.type) {
                globalInits.append("    cl_mark(\(types.descriptor(info.type)), &\(name));")
            }
        }
        // The unikernel holds what its main reaches of the standard modules (a program that does
        // not use the net module's stack carries none of it); the user's own code is all there.
        let used = isolated == nil ? unikernelReach() : nil
        func unused(_ fn: IRFunction) -> Bool {
            guard let used, !program.typed.files.contains(fn.span.file) else { return false }
            return !used.functions.contains(fn.source)
        }
        var hasMain = false
        for fn in program.functions {
            if fn.kind == .main {
                hasMain = true
                if let projected, let isolated {
                    let c = projected.components[isolated.index]
                    definitions.append(
                        CText.comment("component \(c.component.name): main projected onto its states") + "\n"
                            + emitFunction(isolated.main).definition)
                    continue
                }
                if let projected {
                    definitions += componentMains(projected)
                    continue
                }
            }
            if let isolated, !isolated.reachable.contains(fn.source) { continue }
            if unused(fn) { continue }
            let (p, d) = emitFunction(fn)
            if fn.kind != .main { prototypes.append(p) }
            definitions.append(d)
        }
        if !hasMain { definitions.append("void cleave_main(void) {}") }
        // States get their struct definitions once all field types are known.
        for (k, d) in program.typed.types.enumerated() where d.kind == .state && !d.isDevice {
            if let isolated, !isolated.states.contains(TypeID(k)) { continue }
            if let used, d.isStandard, !used.states.contains(TypeID(k)) { continue }
            _ = stateConstructor(TypeID(k))
            for f in d.fields { _ = types.c(f.type) }
        }
        var tables: [String] = []
        if let projected, let isolated {
            tables.append(programTable(projected, isolated.tables, component: isolated.index))
            tables.append(componentTable(isolated))
        } else {
            tables.append(programNameDefinition())
        }
        let target =
            isolated.map { "The isolated target: component \(projected?.components[$0.index].component.name ?? "?"), one process." }
            ?? (image
                ? "The image target: every state in one address space, one thread, on the bare machine."
                : "The unikernel target: every state in one address space, one thread.")
        var out: [String] = []
        let files = program.typed.files.map { $0.path.split(separator: "/").last.map(String.init) ?? "" }
        out.append(
            """
            /* Generated by cleave from \(CText.commentText(files.joined(separator: ", "))).
             * \(CText.commentText(target)) */
            """)
        for h in isolated != nil ? Self.isolatedHeaders : image ? Self.imageHeaders : Self.unikernelHeaders {
            out.append("#include \"\(h)\"")
        }
        for h in program.typed.imports.compactMap(\.resolvedPath) { out.append("#include \"\(h)\"") }
        out.append("\n/* ---- types ---- */")
        out += types.forward
        out += types.definitions
        for tid in stateOrder { out.append("struct \(types.stateStruct(tid));") }
        for tid in stateOrder { out.append(stateStructDefinition(tid)) }
        out.append("\n/* ---- type descriptors ---- */")
        out += types.descriptorDeclarations
        out += types.descriptorDefinitions
        out.append("\n/* ---- constants and globals ---- */")
        // The constants' bytes are in cleave_init, where they are a C string.
        out += constantOrder.map { "static cl_bytes \($0.1);" }
        out += globalDeclarations
        out.append("\n/* ---- functions ---- */")
        out += prototypes
        out += wireDeclarations
        out += helpers
        out += wireDefinitions
        out += definitions
        out += tables
        var initBody = constantOrder.map { "    \($0.1) = cl_bytes_constant(\(CText.string($0.0)), \($0.0.count));" }
        initBody += globalInits
        out.append("void cleave_init(void) {\n\(initBody.joined(separator: "\n"))\n}")
        return out.joined(separator: "\n") + "\n"
    }
}

/// AttachStack: a program's `UdpDevice`s on Cleave's own network stack (`--net direct`).
///
/// Requires: a checked program without errors.
/// Ensures: `main` creates no `UdpDevice`. Each `let/var d = UdpDevice(port: p)` (or
/// `ports: ps`) in `main` becomes two states, side by side:
///   - `var d = FrameDevice()`: the link the service is given at run time (`--netif
///     tap:NAME,ip=A/LEN` or `pcap:IN[:OUT],ip=…`), with the addresses of its stack;
///   - `let dStack = NetStack(ports: [p])` (or `ps`): the net module's stack, written in
///     Cleave, which takes its addresses from the link at its first call;
/// and every call on `d` goes through its stack, which takes the device `inout`:
/// `d.receive()` is `dStack.nextDatagram(from: &d)` and `d.send(x)` is
/// `dStack.sendDatagram(x, through: &d)`. Nothing else changes: the program's own
/// code, and what it computes, are as written; the stack is a state like the user's,
/// which the later stages show, lift, partition and place like any other (seed 000's
/// device | ip_stack | store).
///
/// What cannot be attached is reported at the user's source: a `UdpDevice` made
/// anywhere but a binding of its own in `main`, a device used otherwise than by
/// calling `receive()` or `send(_:)` in `main`, and a state method taking a
/// `UdpDevice` (it would have to take the stack as well, and a method takes one
/// other state at most).
///
/// This is MirageOS's configure-time choice between the host's sockets and its own
/// stack (`mirage configure --net socket|direct`), made by `cleave build --net`.

import CleaveDiagnostics

public enum AttachStack {
    public static func run(_ program: TypedProgram) -> (TypedProgram, [Diagnostic]) {
        var attacher = Attacher(program: program)
        return attacher.run()
    }

    /// The UDP ports of the stacks an attached `main` creates, when each is written as a number
    /// (`UdpDevice(port: 7000)`, `ports: [53, 5353]`): what `cleave run --target image` forwards to
    /// the image. Nil when a port is computed.
    public static func literalPorts(_ program: TypedProgram) -> [Int]? {
        guard let mainID = program.main, let body = program.function(mainID).body else { return [] }
        var ports: [Int] = []
        for s in body.stmts {
            guard case .binding(_, let value) = s.kind, case .initCall(let t, _, let args) = value.kind,
                program.type(t).isStandard, program.type(t).name == "NetStack", args.count == 1, let list = args.first
            else { continue }
            guard case .array(let elements) = list.value.kind else { return nil }
            for e in elements {
                guard case .intLiteral(let v, let negative) = e.kind, !negative, v <= 65535 else { return nil }
                ports.append(Int(v))
            }
        }
        return ports
    }

    /// Problems with an attached program: a compiler bug if any is found.
    public static func verify(_ program: TypedProgram) -> [String] {
        guard let mainID = program.main else { return [] }
        let main = program.function(mainID)
        var problems: [String] = []
        for (n, local) in main.locals.enumerated() {
            if case .nominal(let t) = local.type, program.type(t).isStandard, program.type(t).name == "UdpDevice" {
                problems.append("main's local '\(local.name)' (#\(n)) is still a UdpDevice")
            }
        }
        return problems
    }
}

struct Attacher {
    let program: TypedProgram
    var diagnostics: [Diagnostic] = []

    /// The net module's declarations the rewrite uses.
    struct Net {
        let udpDevice: TypeID
        let receive: FunctionID
        let send: FunctionID
        let frameDevice: TypeID
        let openLink: FunctionID
        let stack: TypeID
        let stackInit: FunctionID
        let nextDatagram: FunctionID
        let sendDatagram: FunctionID
        let datagram: Ty
    }

    /// A device being attached: its local in main and its stack's.
    struct Attached {
        let name: String
        let stack: LocalID
    }

    init(program: TypedProgram) { self.program = program }

    func typeID(_ name: String) -> TypeID? {
        program.types.indices.first { program.types[$0].isStandard && program.types[$0].name == name }.map { TypeID($0) }
    }

    func net() -> Net? {
        guard let udp = typeID("UdpDevice"), let frame = typeID("FrameDevice"), let stack = typeID("NetStack"),
            let datagram = typeID("Datagram")
        else { return nil }
        let u = program.type(udp)
        let f = program.type(frame)
        let s = program.type(stack)
        guard let receive = u.methods["receive"], let send = u.methods["send"],
            let openLink = f.inits.first(where: { program.function($0).params.isEmpty }),
            let stackInit = s.inits.first(where: { program.function($0).params.map(\.label) == ["ports"] }),
            let next = s.methods["nextDatagram"], let sendDatagram = s.methods["sendDatagram"]
        else { return nil }
        return Net(
            udpDevice: udp, receive: receive, send: send, frameDevice: frame, openLink: openLink, stack: stack, stackInit: stackInit,
            nextDatagram: next, sendDatagram: sendDatagram, datagram: .nominal(datagram))
    }

    func isUdpDevice(_ t: Ty, _ net: Net) -> Bool {
        if case .nominal(let id) = t { return id == net.udpDevice }
        return false
    }

    mutating func run() -> (TypedProgram, [Diagnostic]) {
        guard let mainID = program.main, let net = net() else { return (program, []) }
        // A method of the user's taking a UdpDevice cannot take its stack too.
        for f in program.functions where f.id != mainID && program.files.contains(f.span.file) {
            for p in f.params where isUdpDevice(p.type, net) {
                diagnostics.append(
                    Diagnostic(
                        .udpDeviceParameterOnStack(f.name), at: f.locals[p.local.index].span,
                        notes: [
                            DiagnosticNote(
                                "on Cleave's own stack a UdpDevice is a FrameDevice and a NetStack, and a method takes one other state at most; call receive() and send(_:) in main, or build with --net socket",
                                at: nil)
                        ]))
            }
        }
        let main = program.function(mainID)
        // Cleave's own stack has no TCP yet: a TcpDevice cannot stand on it.
        if let tcp = typeID("TcpDevice") {
            let before = diagnostics.count
            for s in main.body?.stmts ?? [] {
                guard case .binding(_, let value) = s.kind, case .initCall(let t, _, _) = value.kind, t == tcp else { continue }
                diagnostics.append(
                    Diagnostic(
                        .tcpDeviceOnStack, at: value.span,
                        notes: [
                            DiagnosticNote(
                                "a TcpDevice stands on the kernel's TCP: build for the unikernel or isolated target with --net socket (the default)",
                                at: nil)
                        ]))
            }
            if diagnostics.count > before { return (program, diagnostics) }
        }
        var locals = main.locals
        var attached: [LocalID: Attached] = [:]
        guard var body = main.body else { return (program, diagnostics) }
        body = attachBindings(body, net: net, locals: &locals, attached: &attached)
        guard !attached.isEmpty else { return (program, diagnostics) }
        body = rewrite(body, net, attached)
        guard diagnostics.isEmpty else { return (program, diagnostics) }
        let newMain = TFunction(
            id: main.id, name: main.name, kind: main.kind, isMutating: main.isMutating, isExtern: false, span: main.span)
        newMain.params = main.params
        newMain.defaultArguments = main.defaultArguments
        newMain.result = main.result
        newMain.locals = locals
        newMain.body = body
        var functions = program.functions
        functions[mainID.index] = newMain
        let out = TypedProgram(
            types: program.types, functions: functions, globals: program.globals, imports: program.imports, main: program.main,
            files: program.files)
        return (out, diagnostics)
    }

    /// The bindings `let/var d = UdpDevice(…)` at the top of main's body: each becomes a
    /// FrameDevice and a NetStack.
    mutating func attachBindings(_ block: TBlock, net: Net, locals: inout [LocalInfo], attached: inout [LocalID: Attached]) -> TBlock {
        var out: [TStmt] = []
        for s in block.stmts {
            guard case .binding(.local(let d), let value) = s.kind, case .initCall(let t, _, let args) = value.kind, t == net.udpDevice,
                let ports = args.first
            else {
                out.append(s)
                continue
            }
            let device = locals[d.index]
            locals[d.index] = LocalInfo(name: device.name, type: .nominal(net.frameDevice), isVar: true, span: device.span)
            let stackID = LocalID(index: locals.count)
            locals.append(LocalInfo(name: device.name + "Stack", type: .nominal(net.stack), isVar: false, span: device.span))
            attached[d] = Attached(name: device.name, stack: stackID)
            let span = value.span
            // `UdpDevice(ports: ps)` hands its array on; `UdpDevice(port: p)` makes one, `[p]`.
            let portList: TExpr
            if case .array = ports.value.type {
                portList = ports.value
            } else {
                portList = TExpr(.array([ports.value]), .array(ports.value.type), ports.value.span)
            }
            out.append(
                TStmt(
                    kind: .binding(.local(d), TExpr(.initCall(net.frameDevice, net.openLink, []), .nominal(net.frameDevice), span)),
                    span: s.span))
            out.append(
                TStmt(
                    kind: .binding(
                        .local(stackID),
                        TExpr(.initCall(net.stack, net.stackInit, [TArgument(value: portList, isInout: false)]), .nominal(net.stack), span)),
                    span: s.span))
        }
        return TBlock(stmts: out, span: block.span)
    }

    // MARK: - Calls on an attached device

    mutating func rewrite(_ b: TBlock, _ net: Net, _ attached: [LocalID: Attached]) -> TBlock {
        TBlock(stmts: b.stmts.map { rewrite($0, net, attached) }, span: b.span)
    }

    mutating func rewrite(_ s: TStmt, _ net: Net, _ a: [LocalID: Attached]) -> TStmt {
        func e(_ x: TExpr) -> TExpr { rewrite(x, net, a) }
        func b(_ x: TBlock) -> TBlock { rewrite(x, net, a) }
        func c(_ cs: [TCondition]) -> [TCondition] {
            cs.map {
                switch $0 {
                case .bool(let x): .bool(e(x))
                case .unwrap(let l, let x): .unwrap(l, e(x))
                }
            }
        }
        let kind: TStmt.Kind
        switch s.kind {
        case .binding(let p, let x):
            kind = .binding(p, e(x))
        case .assign(let t, let op, let x): kind = .assign(e(t), op: op, e(x))
        case .expr(let x): kind = .expr(e(x))
        case .ifStmt(let cs, let t, let f): kind = .ifStmt(c(cs), b(t), f.map { b($0) })
        case .guardStmt(let cs, let body): kind = .guardStmt(c(cs), b(body))
        case .whileStmt(let cs, let body): kind = .whileStmt(c(cs), b(body))
        case .forStmt(let p, let it, let body):
            let iteration: TIteration
            switch it {
            case .range(let lo, let hi, let inclusive): iteration = .range(e(lo), e(hi), inclusive: inclusive)
            case .array(let x): iteration = .array(e(x))
            case .bytes(let x): iteration = .bytes(e(x))
            case .map(let x): iteration = .map(e(x))
            }
            kind = .forStmt(p, iteration, b(body))
        case .loopStmt(let body): kind = .loopStmt(b(body))
        case .switchStmt(let x, let cases):
            kind = .switchStmt(
                e(x),
                cases.map {
                    TCase(
                        patterns: $0.patterns, isDefault: $0.isDefault, guardExpr: $0.guardExpr.map { e($0) }, body: b($0.body),
                        span: $0.span)
                })
        case .returnStmt(let x): kind = .returnStmt(x.map { e($0) })
        case .breakStmt, .continueStmt: return s
        }
        return TStmt(kind: kind, span: s.span)
    }

    mutating func rewrite(_ x: TExpr, _ net: Net, _ a: [LocalID: Attached]) -> TExpr {
        func e(_ y: TExpr) -> TExpr { rewrite(y, net, a) }
        func args(_ ys: [TArgument]) -> [TArgument] { ys.map { TArgument(value: e($0.value), isInout: $0.isInout) } }
        let kind: TExpr.Kind
        switch x.kind {
        case .methodCall(let receiver, let method, let arguments):
            if case .local(let l) = receiver.kind, let attached = a[l] {
                let device = TArgument(value: TExpr(.local(l), .nominal(net.frameDevice), receiver.span), isInout: true)
                let stack = TExpr(.local(attached.stack), .nominal(net.stack), receiver.span)
                if method == net.receive {
                    return TExpr(.methodCall(stack, net.nextDatagram, [device]), x.type, x.span)
                }
                if method == net.send {
                    return TExpr(.methodCall(stack, net.sendDatagram, args(arguments) + [device]), x.type, x.span)
                }
            }
            kind = .methodCall(e(receiver), method, args(arguments))
        case .local(let l):
            if let attached = a[l] {
                diagnostics.append(
                    Diagnostic(
                        .udpDeviceUseOnStack(attached.name), at: x.span,
                        notes: [DiagnosticNote("or build with --net socket, on the kernel's sockets", at: nil)]))
            }
            return x
        case .intLiteral, .floatLiteral, .stringLiteral, .boolLiteral, .nilLiteral, .global, .selfRef, .functionRef, .error:
            return x
        case .interpolation(let parts):
            kind = .interpolation(
                parts.map {
                    if case .value(let y) = $0 { return .value(e(y)) }
                    return $0
                })
        case .field(let y, let n): kind = .field(e(y), n)
        case .tupleElement(let y, let n): kind = .tupleElement(e(y), n)
        case .call(let f, let ys): kind = .call(f, args(ys))
        case .initCall(let t, let f, let ys):
            if t == net.udpDevice {
                diagnostics.append(Diagnostic(.udpDeviceMadeElsewhereOnStack, at: x.span))
            }
            kind = .initCall(t, f, args(ys))
        case .memberwise(let t, let ys): kind = .memberwise(t, ys.map { e($0) })
        case .enumCase(let t, let n, let ys): kind = .enumCase(t, caseIndex: n, ys.map { e($0) })
        case .callClosure(let f, let ys): kind = .callClosure(e(f), ys.map { e($0) })
        case .closure(let closure):
            kind = .closure(TClosure(params: closure.params, result: closure.result, body: rewrite(closure.body, net, a)))
        case .builtin(let op, let ys): kind = .builtin(op, ys.map { e($0) })
        case .unary(let op, let y): kind = .unary(op, e(y))
        case .binary(let op, let l, let r): kind = .binary(op, e(l), e(r))
        case .ternary(let p, let t, let f): kind = .ternary(e(p), e(t), e(f))
        case .tuple(let ys): kind = .tuple(ys.map { e($0) })
        case .array(let ys): kind = .array(ys.map { e($0) })
        case .mapLiteral(let entries): kind = .mapLiteral(entries.map { (e($0.0), e($0.1)) })
        case .wrapOptional(let y): kind = .wrapOptional(e(y))
        case .forceUnwrap(let y): kind = .forceUnwrap(e(y))
        case .coalesce(let l, let r): kind = .coalesce(e(l), e(r))
        case .index(let l, let r): kind = .index(e(l), e(r))
        case .slice(let y, let lo, let hi, let inclusive): kind = .slice(e(y), e(lo), e(hi), inclusive: inclusive)
        case .trap(let y): kind = .trap(e(y))
        }
        return TExpr(kind, x.type, x.span)
    }
}

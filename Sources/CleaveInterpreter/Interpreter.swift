// The reference interpreter: the typed program, run as written.
//
// `cleave run --interpret FILE -- ARGS` runs a program by walking its typed AST
// (`Sources/CleaveSema/TypedAST.swift`), one statement and one expression at a
// time, with the meaning LANGUAGE.md and Documentation/Builtins.md give them.
// It shares nothing with the compiler after the checker: no IR, no passes, no C,
// no runtime. That is its purpose. The targets (unikernel, projected, isolated,
// image) all go through one lowering, one backend and one runtime, so comparing
// them with each other cannot see a mistake they share; comparing each with
// this interpreter can. The tests run the examples and generated programs
// through both and compare replies, standard error, traps and exit status.
//
// It is written to be obviously right rather than fast: a map is a list of
// entries searched in order, a sort is an insertion sort, integers are
// mathematical (`Int128`) and each operation checks its type's range, Double
// text is Swift's own `description`, UTF-8 decoding is Swift's own.
//
// What a program can do besides compute: write lines to standard error
// (`print`), stop with a message (a trap: `file:line:col: fatal error: …`,
// the devices' counters, exit 1), and use the `net` module's devices
// (Devices.swift): a `UdpDevice` on real UDP sockets or on a capture replayed
// from a file. A program that calls C is refused: the interpreter has no C.

import CleaveDiagnostics
import CleaveSema
import Foundation

/// A stop the program makes: a trap at a source location.
struct Trap: Error {
    let location: String
    let message: String
    let span: SourceSpan
}

/// The program ran longer than it was given (`Interpreter.deadline`), made a value larger than
/// it may (`Interpreter.sizeLimit`) or calls nested deeper (`Interpreter.depthLimit`).
struct OutOfBudget: Error {}

/// The input of a device has ended (a replayed capture): the program stops cleanly.
struct InputEnded: Error {}

/// Something the interpreter cannot run (a C function): said before anything runs, exit 2.
public struct Unsupported: Error, CustomStringConvertible {
    public let description: String
}

/// How a statement ended.
enum Flow {
    case normal
    case breakLoop
    case continueLoop
    case returned(Value?)
}

/// The values of one call's locals, and its `self`.
final class Frame {
    var locals: [Value?]
    var selfValue: Value?

    init(count: Int, selfValue: Value? = nil) {
        locals = Array(repeating: nil, count: count)
        self.selfValue = selfValue
    }

    init(copying other: Frame) {
        locals = other.locals
        selfValue = other.selfValue
    }
}

public final class Interpreter {
    let program: TypedProgram
    let name: String
    var globals: [Value?]
    var devices: [Device] = []
    var netifSpecs: [String]
    let output: (String) -> Void
    /// When the program must have ended, in `DispatchTime` nanoseconds (never, when it serves).
    var deadline = UInt64.max
    /// The most elements a value made by joining others may hold (unbounded when it serves): the
    /// deadline bounds what grows an element at a time, this what doubles in one step.
    var sizeLimit = Int128(Int.max)
    /// The most calls that may be under way at once (unbounded when it serves), and how many are.
    var depthLimit = Int.max
    var depth = 0

    /// `netifs`: the `--netif` specs, one per device in creation order; `output` receives each
    /// line written to standard error.
    init(_ program: TypedProgram, name: String, netifs: [String], output: @escaping (String) -> Void) {
        self.program = program
        self.name = name
        self.netifSpecs = netifs
        self.output = output
        self.globals = Array(repeating: nil, count: program.globals.count)
    }

    /// Run `main`; the exit status (0: it ended, or its input did; 1: a trap; 2: bad usage).
    /// `output` receives each line the program writes to standard error (by default, written there).
    public static func run(
        _ program: TypedProgram, name: String, arguments: [String],
        output: @escaping (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
    ) -> Int32 {
        var netifs: [String] = []
        var i = 0
        while i < arguments.count {
            let a = arguments[i]
            if a == "--netif", i + 1 < arguments.count {
                netifs.append(arguments[i + 1])
                i += 2
            } else if a.hasPrefix("--netif=") {
                netifs.append(String(a.dropFirst("--netif=".count)))
                i += 1
            } else {
                output("\(name): unknown argument '\(a)' (the interpreter takes --netif SPEC)")
                return 2
            }
        }
        if let c = program.functions.first(where: { if case .c = $0.kind { true } else { false } }) {
            output("\(name): the interpreter cannot run a program that calls C ('\(c.name)')")
            return 2
        }
        let interpreter = Interpreter(program, name: name, netifs: netifs, output: output)
        Device.installStopSignals()
        return interpreter.runMain()
    }

    func runMain() -> Int32 {
        defer { devices.forEach { $0.close() } }
        do {
            for k in program.globals.indices { _ = try global(k) }
            guard let main = program.main else { return 0 }
            _ = try call(main, receiver: nil, arguments: [])
            printCounters()
            return 0
        } catch let t as Trap {
            output("\(t.location): fatal error: \(t.message)")
            devices.forEach { $0.close() }
            printCounters()
            return 1
        } catch is InputEnded {
            devices.forEach { $0.close() }
            printCounters()
            return 0
        } catch let e as DeviceFailure {
            output("\(name): \(e.message)")
            return 2
        } catch {
            output("\(name): \(error)")
            return 2
        }
    }

    func printCounters() {
        guard !devices.isEmpty else { return }
        var c = Counters()
        for d in devices { c.add(d.counters) }
        if c.tcpPorts > 0 {
            output(
                "\(name): connections \(c.opened) (refused \(c.refused), reset \(c.reset)), bytes received \(c.bytesReceived), "
                    + "sent \(c.bytesSent), dropped \(c.bytesDropped)")
            if c.received + c.sent + c.dropped == 0 { return }
        }
        output(
            "\(name): received \(c.received), sent \(c.sent), dropped \(c.dropped) (malformed \(c.malformed), "
                + "oversized \(c.oversized), not for this service \(c.notForUs), send failed \(c.sendFailed))")
    }

    // MARK: Locations and traps

    func location(_ span: SourceSpan) -> String {
        let (l, c) = span.file.lineAndColumn(of: span.start)
        let file = span.file.path.split(separator: "/").last.map(String.init) ?? span.file.path
        return "\(file):\(l):\(c)"
    }

    func trap(_ message: String, at span: SourceSpan) -> Trap { Trap(location: location(span), message: message, span: span) }

    /// One step more (an expression, or a loop's round, which may have no expression to evaluate):
    /// an error once past the deadline.
    func step() throws {
        if deadline != .max && DispatchTime.now().uptimeNanoseconds > deadline { throw OutOfBudget() }
    }

    /// A value of `count` elements is about to be made: an error beyond `sizeLimit`.
    func sized<N: BinaryInteger>(_ count: N) throws {
        if Int128(count) > sizeLimit { throw OutOfBudget() }
    }

    // MARK: Globals

    func global(_ k: Int) throws -> Value {
        if let v = globals[k] { return v }
        let g = program.globals[k]
        let v = try eval(g.value, in: Frame(count: 0))
        globals[k] = v
        return v
    }

    // MARK: Calls

    /// Call function `f` (its `self`, for a method) with `arguments`; the result and the final
    /// values of the parameters (for `inout` ones) and of `self`.
    func call(_ f: FunctionID, receiver: Value?, arguments: [Value]) throws -> (result: Value, params: [Value], selfValue: Value?) {
        depth += 1
        defer { depth -= 1 }
        if depth > depthLimit { throw OutOfBudget() }
        let fn = program.function(f)
        if fn.isExtern {
            let r = try externCall(fn, receiver: receiver, arguments: arguments)
            return (r, arguments, receiver)
        }
        guard let body = fn.body else { throw Unsupported(description: "'\(fn.name)' has no body") }
        let frame = Frame(count: fn.locals.count, selfValue: receiver)
        for (p, a) in zip(fn.params, arguments) { frame.locals[p.local.index] = a }
        if case .initializer(let t) = fn.kind {
            frame.selfValue = try newInstance(t, frame: frame)
        }
        let flow = try exec(body.stmts, in: frame)
        let params = fn.params.map { frame.locals[$0.local.index] ?? .void }
        var result: Value = .void
        if case .initializer = fn.kind {
            result = frame.selfValue ?? .void
        } else if case .returned(let v?) = flow {
            result = v
        }
        return (result, params, frame.selfValue)
    }

    /// A new struct or state of type `t`: its fields at their default values (nil for optionals
    /// without one), for an initializer's body to fill in.
    func newInstance(_ t: TypeID, frame: Frame) throws -> Value {
        let info = program.type(t)
        var fields: [Value] = []
        for f in info.fields {
            if let d = f.defaultValue {
                fields.append(try eval(d, in: frame))
            } else if case .optional = f.type {
                fields.append(.optional(nil))
            } else {
                fields.append(.void)
            }
        }
        return info.kind == .state ? .state(StateObject(type: t, fields: fields)) : .record(fields)
    }

    /// Evaluate the arguments of a call: values, and the lvalues of those passed `inout`.
    func callArguments(_ args: [TArgument], in frame: Frame) throws -> [Value] {
        try args.map { try eval($0.value, in: frame) }
    }

    /// After a call: store the final values of the `inout` arguments back where they came from.
    func writeBack(_ args: [TArgument], _ params: [Value], in frame: Frame) throws {
        for (a, v) in zip(args, params) where a.isInout {
            if case .state = v { continue }  // a state is the same object
            try assign(a.value, v, in: frame)
        }
    }

    func callClosure(_ f: Value, _ args: [Value], span: SourceSpan) throws -> Value {
        switch f {
        case .closure(let c):
            let frame = Frame(copying: c.frame)
            for (p, a) in zip(c.params, args) { frame.locals[p.index] = a }
            if case .returned(let v?) = try exec(c.body.stmts, in: frame) { return v }
            return .void
        case .function(let id):
            return try call(id, receiver: nil, arguments: args).result
        default:
            throw trap("internal error: not a function", at: span)
        }
    }
}

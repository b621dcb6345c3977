/// AnalyzeEffects: what each statement of a program can do that a user can see.
///
/// Requires: a program in IR (`LowerToIR`; any later stage).
/// Ensures: `EffectFacts`, which answer for every function with a body what a call
/// of it may do (`effects(of: FunctionID)`), and for any statement or operation of
/// the program what running it may do (`effects(of: IRStmt, in:)`):
///   - `traps`: stop the program with a message (overflow in `+`, an index out of
///     range, `!` on nil, `fatalError`, a built-in refusing its argument);
///   - `prints`: write to standard output or error (`print`);
///   - `system`: call a C function, which may do anything outside the program;
///   - `device`: take input or give output through a device (an `extern` method or
///     initializer of a standard module's state: `UdpDevice.receive`, `send`);
///   - `state`: change a state (any call on a state, the creation of one).
/// A statement with none of these is pure: running it earlier, later or not at all
/// changes nothing but its results.
///
/// The answers are conservative: an operation is pure only when it cannot trap
/// whatever its operands (`&+` never traps, `+` on integers may; a `Map` lookup
/// never traps, an `Array` index may), a built-in only when `Builtin.cannotTrap` says so, a call of a function only when
/// its body, and every body it calls, is pure. A closure called through a value, or
/// handed to a built-in, may do anything.
///
/// The isolated target orders every statement with an effect across components
/// (`Partition`), and reads ahead only past work that is pure (`Lookahead`).

import CleaveIR
import CleaveSema

public struct Effects: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let traps = Effects(rawValue: 1 << 0)
    public static let prints = Effects(rawValue: 1 << 1)
    public static let system = Effects(rawValue: 1 << 2)
    public static let device = Effects(rawValue: 1 << 3)
    public static let state = Effects(rawValue: 1 << 4)

    public var description: String {
        let names: [(Effects, String)] = [
            (.traps, "traps"), (.prints, "prints"), (.system, "system"), (.device, "device"), (.state, "state"),
        ]
        let present = names.filter { contains($0.0) }.map(\.1)
        return present.isEmpty ? "pure" : present.joined(separator: ", ")
    }
}

public struct EffectFacts: Sendable {
    let program: IRProgram
    let functions: [FunctionID: Effects]

    /// What calling `f` may do; a function without a body in the program (an `extern`
    /// one, a C function) is judged by its kind.
    public func effects(of f: FunctionID) -> Effects {
        if let e = functions[f] { return e }
        return AnalyzeEffects.bodiless(program.typed.function(f))
    }

    /// What running `s` may do, its nested blocks included; `function` gives its values' types.
    public func effects(of s: IRStmt, in function: IRFunction) -> Effects {
        AnalyzeEffects.effects(of: s, types: { function.info($0).type }, program: program, callee: effects(of:))
    }

    /// What evaluating `op` may do.
    public func effects(of op: IROp, in function: IRFunction) -> Effects {
        AnalyzeEffects.effects(of: op, types: { function.info($0).type }, program: program, callee: effects(of:))
    }

    /// What running a whole block may do.
    public func effects(of b: IRBlock, in function: IRFunction) -> Effects {
        b.stmts.reduce(into: Effects()) { $0.formUnion(effects(of: $1, in: function)) }
    }
}

public enum AnalyzeEffects {
    public static func run(_ program: IRProgram) -> EffectFacts {
        // Start from nothing and grow to the fixed point: a call adds its callee's effects.
        var known: [FunctionID: Effects] = [:]
        for f in program.functions { known[f.source] = [] }
        var changed = true
        while changed {
            changed = false
            for f in program.functions {
                let callee = { (g: FunctionID) -> Effects in known[g] ?? bodiless(program.typed.function(g)) }
                let e = f.body.stmts.reduce(into: Effects()) {
                    $0.formUnion(effects(of: $1, types: { f.info($0).type }, program: program, callee: callee))
                }
                if e != known[f.source] {
                    known[f.source] = e
                    changed = true
                }
            }
        }
        return EffectFacts(program: program, functions: known)
    }

    /// What calling a closure value may do, whichever closure it is.
    static let anyClosure: Effects = [.traps, .prints, .system]

    /// A function whose body is not in the program: a C function calls out; an `extern`
    /// member of a standard module's state is a device's; anything else may trap.
    static func bodiless(_ f: TFunction) -> Effects {
        if case .c = f.kind { return .system }
        if f.isExtern { return .device }
        return [.traps, .prints]
    }

    static func effects(
        of s: IRStmt, types: (IRValue) -> Ty, program: IRProgram, callee: (FunctionID) -> Effects
    ) -> Effects {
        switch s.kind {
        case .assign(_, let op):
            return effects(of: op, types: types, program: program, callee: callee)
        case .stateCall(_, _, _, _, let method, _):
            return callee(method).union(.state)
        case .createState(_, _, let initializer, _):
            return (initializer.map(callee) ?? []).union(.state)
        case .trap:
            return .traps
        case .ifThen, .switchOf, .loop:
            return statementParts(s).nested.reduce(into: Effects()) { e, b in
                for x in b.stmts { e.formUnion(effects(of: x, types: types, program: program, callee: callee)) }
            }
        case .yield, .breakLoop, .continueLoop, .returnValues, .send, .receive, .halt:
            return []
        }
    }

    static func effects(
        of op: IROp, types: (IRValue) -> Ty, program: IRProgram, callee: (FunctionID) -> Effects
    ) -> Effects {
        func type(_ a: IRAtom) -> Ty { a.type(types) }
        switch op {
        case .copy, .field, .setField, .tupleElement, .setTupleElement, .tuple, .array, .mapLiteral, .memberwise,
            .enumCase, .enumTag, .enumPayload, .wrapOptional, .isSome, .interpolate, .global, .closure, .functionRef:
            return []
        case .unary(let u, let a):
            return u == .negate && type(a).isInteger ? .traps : []
        case .binary(let b, let x, _):
            switch b {
            case .add, .sub, .mul, .div, .mod: return type(x).isInteger ? .traps : []
            default: return []
            }
        case .index(let base, _), .setIndex(let base, _, _):
            if case .map = type(base) { return [] }
            return .traps
        case .slice, .unwrap:
            return .traps
        case .builtin(let name, let operands):
            if name == .free(.print) { return .prints }
            if operands.contains(where: { if case .function = type($0) { true } else { false } }) { return anyClosure }
            return name.cannotTrap ? [] : .traps
        case .call(let f, _), .method(let f, _):
            return callee(f)
        case .callClosure:
            return anyClosure
        }
    }
}

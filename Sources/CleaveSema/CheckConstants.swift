// Arithmetic on constants, checked when the program is compiled.
//
// Integer arithmetic traps on overflow at run time. When both operands are
// known while checking (literals, and operators applied to literals) the trap is
// certain, so, like swiftc, the checker reports it as an error instead:
// `let b: UInt8 = 200 + 100`, `1 << 70` is fine (shifts do not trap), `x / 0`
// is an error whatever `x` is. Values are computed exactly in 128 bits and then
// compared with the bounds of the operation's type.
//
// Each operation is checked as soon as its operands are, so `1 + 2 + … + n` asks
// for the value of every prefix of the chain in turn: the value of each operation
// is remembered, and a chain of any length costs time linear in its length.

import CleaveDiagnostics
import CleaveGrammar

/// An integer operation, as the key of `FunctionChecker.constantOperations`: its source
/// and its type determine its value.
struct ConstantOperation: Hashable {
    let span: SourceSpan
    let kind: IntKind
}

extension FunctionChecker {
    /// The value of an integer expression built only from literals and operators.
    func constantInteger(_ e: TExpr) -> Int128? {
        guard let kind = e.type.intKind else { return nil }
        if case .binary(let op, let l, let r) = e.kind {
            let key = ConstantOperation(span: e.span, kind: kind)
            if let known = constantOperations[key] { return known }
            var value: Int128?
            if let a = constantInteger(l), let b = constantInteger(r) { value = evaluate(op, a, b, kind) }
            constantOperations[key] = value
            return value
        }
        switch e.kind {
        case .intLiteral(let v, let negative):
            return negative ? -Int128(v) : Int128(v)
        case .unary(.negate, let x):
            return constantInteger(x).map { -$0 }
        case .unary(.bitNot, let x):
            return constantInteger(x).map { wrapped(~$0, kind) }
        case .builtin(.integer(kind, .max), let operands) where operands.isEmpty:
            // The bounds of the type (`Int.max`) are constants too.
            return Int128(kind.maxValue)
        case .builtin(.integer(kind, .min), let operands) where operands.isEmpty:
            return -Int128(kind.minMagnitude)
        default:
            return nil
        }
    }

    /// The exact result of `a op b` (wrapping operators and shifts already wrapped), nil
    /// for division by zero; for `MIN % -1`, a value outside the type, since it traps.
    func evaluate(_ op: BinaryOp, _ a: Int128, _ b: Int128, _ kind: IntKind) -> Int128? {
        let bits = Int128(kind.bits)
        switch op {
        case .add: return a + b
        case .sub: return a - b
        case .mul:
            // Operands are within 64 bits, so the product fits in 128.
            return a * b
        case .div: return b == 0 ? nil : a / b
        case .mod:
            // MIN % -1 overflows as MIN / -1 does (as in Swift), though the remainder would be 0.
            if kind.isSigned && b == -1 && a == -Int128(kind.minMagnitude) { return -a }
            return b == 0 ? nil : a % b
        case .wrapAdd: return wrapped(a &+ b, kind)
        case .wrapSub: return wrapped(a &- b, kind)
        case .wrapMul: return wrapped(a &* b, kind)
        case .bitAnd: return a & b
        case .bitOr: return a | b
        case .bitXor: return a ^ b
        case .shl:
            if b < 0 { return evaluate(.shr, a, -b, kind) }
            return b >= bits ? 0 : wrapped(a << b, kind)
        case .shr:
            if b < 0 { return evaluate(.shl, a, -b, kind) }
            return b >= bits ? (a < 0 ? -1 : 0) : a >> b
        default: return nil
        }
    }

    /// `v` reduced to the width of `kind`, in two's complement.
    func wrapped(_ v: Int128, _ kind: IntKind) -> Int128 {
        let modulus = Int128(1) << Int128(kind.bits)
        var m = v & (modulus - 1)
        if kind.isSigned && m >= modulus >> 1 { m -= modulus }
        return m
    }

    func fits(_ v: Int128, _ kind: IntKind) -> Bool {
        let minimum = kind.isSigned ? -Int128(kind.minMagnitude) : 0
        return v >= minimum && v <= Int128(kind.maxValue)
    }

    /// Report an integer operation whose operands are constants and that will certainly
    /// trap: an overflow, or a division by zero (also when only the divisor is known).
    func checkConstantArithmetic(_ e: TExpr) -> TExpr {
        guard case .binary(let op, let l, let r) = e.kind, let kind = e.type.intKind else { return e }
        if op == .div || op == .mod, constantInteger(r) == 0 {
            error(.divisionByZero(op == .div ? "division" : "remainder"), at: r.span)
            return .error(e.span)
        }
        guard let a = constantInteger(l), let b = constantInteger(r), let v = evaluate(op, a, b, kind) else { return e }
        if !fits(v, kind) {
            error(.constantOverflow(e.span.file.text(of: e.span), kind.rawValue), at: e.span)
            return .error(e.span)
        }
        return e
    }
}

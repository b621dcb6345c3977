// Making IR in a pass.
//
// A pass that rewrites a function or makes a new one needs fresh values (the
// function's value table grows) and a place to put statements. `IRBuilder`
// holds both: `value` names a new value, `emit` appends a statement to the
// block being built, and `block` builds a nested block. The finished function
// keeps every value the builder made, in order, so value ids stay indices
// into `IRFunction.values`.

import CleaveDiagnostics
import CleaveSema

public struct IRBuilder {
    public private(set) var values: [IRValueInfo]
    public private(set) var stmts: [IRStmt] = []

    /// A builder for a new function, or one that continues an existing function's values.
    public init(values: [IRValueInfo] = []) { self.values = values }

    public mutating func value(_ type: Ty, _ name: String? = nil, at span: SourceSpan) -> IRValue {
        values.append(IRValueInfo(type: type, name: name, span: span))
        return IRValue(id: values.count - 1)
    }

    public mutating func emit(_ kind: IRStmt.Kind, at span: SourceSpan) { stmts.append(IRStmt(kind: kind, span: span)) }

    /// `result = op`, a new value of `type`.
    public mutating func assign(_ op: IROp, _ type: Ty, _ name: String? = nil, at span: SourceSpan) -> IRValue {
        let v = value(type, name, at: span)
        emit(.assign([v], op), at: span)
        return v
    }

    /// Build a nested block with the statements `body` emits; values stay shared.
    public mutating func block(_ body: (inout IRBuilder) -> Void) -> IRBlock {
        let saved = stmts
        stmts = []
        body(&self)
        let made = IRBlock(stmts)
        stmts = saved
        return made
    }

    /// Take the statements built so far, leaving the builder empty of statements.
    public mutating func takeStatements() -> [IRStmt] {
        defer { stmts = [] }
        return stmts
    }
}

extension IRFunction {
    /// The same function with a new body and value table (a pass's rewrite).
    public func with(body: IRBlock, values: [IRValueInfo]) -> IRFunction {
        IRFunction(source: source, name: name, kind: kind, params: params, results: results, body: body, values: values, span: span)
    }
}

extension IRProgram {
    /// The same program with another typed program (declarations a pass added) and functions.
    public func with(typed: TypedProgram, functions: [IRFunction]) -> IRProgram {
        IRProgram(typed: typed, functions: functions, globals: globals)
    }

    /// The function `main` lowers to.
    public var mainFunction: IRFunction? { functions.first { $0.kind == .main } }
}

/// Rebuild a block bottom-up: `transform` gets each statement with its nested blocks
/// already rebuilt and returns the statements that replace it.
public func rewriteBlock(_ block: IRBlock, _ transform: (IRStmt) -> [IRStmt]) -> IRBlock {
    func walk(_ b: IRBlock) -> IRBlock {
        var out: [IRStmt] = []
        for s in b.stmts {
            let rebuilt: IRStmt
            switch s.kind {
            case .ifThen(let c, let a, let e, let results):
                rebuilt = IRStmt(kind: .ifThen(c, then: walk(a), else: walk(e), results: results), span: s.span)
            case .switchOf(let subject, let cases, let results):
                rebuilt = IRStmt(kind: .switchOf(subject, cases.map(walk), results: results), span: s.span)
            case .loop(let carried, let initial, let body, let results):
                rebuilt = IRStmt(kind: .loop(carried: carried, initial: initial, body: walk(body), results: results), span: s.span)
            default:
                rebuilt = s
            }
            out += transform(rebuilt)
        }
        return IRBlock(out)
    }
    return walk(block)
}

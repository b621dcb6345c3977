// Helpers of the IR tests: lower source text and look into the result.

import CleaveDiagnostics
import CleaveDriver
import CleaveIR
import CleaveSema
import Foundation
import Testing

/// Lower a program that must check without errors; the verifier must accept the IR.
func lowered(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> IRProgram? {
    let result = Pipeline.run([SourceFile(path: "test.clv", text: text)], through: .ir)
    let errors = result.diagnostics.filter(\.isError)
    #expect(errors.isEmpty, "\(DiagnosticFormatter().format(errors))", sourceLocation: sourceLocation)
    return result.ir
}

extension IRProgram {
    /// The lowered function named `name` (a method as `Type.name`).
    func named(_ name: String) -> IRFunction? {
        functions.first { f in
            let t = typed.function(f.source)
            switch t.kind {
            case .method(let owner), .initializer(let owner): return "\(typed.type(owner).name).\(t.name)" == name
            default: return t.name == name
            }
        }
    }
}

/// Every statement of a block, nested ones included, in order.
func allStatements(_ b: IRBlock) -> [IRStmt] {
    b.stmts.flatMap { s -> [IRStmt] in
        var nested: [IRStmt] = []
        switch s.kind {
        case .ifThen(_, let a, let c, _): nested = allStatements(a) + allStatements(c)
        case .switchOf(_, let cases, _): nested = cases.flatMap(allStatements)
        case .loop(_, _, let body, _): nested = allStatements(body)
        case .assign(_, .closure(let c)): nested = allStatements(c.body)
        default: break
        }
        return [s] + nested
    }
}

/// The state calls of a function, in order, as `state.method` with the value numbers
/// of the state before and after: `("device", "receive", before, after)`.
func stateCalls(_ f: IRFunction, _ p: IRProgram) -> [(String, String, Int, Int)] {
    allStatements(f.body).compactMap { s in
        guard case .stateCall(let next, _, _, .value(let state), let m, _) = s.kind else { return nil }
        return (f.info(state).name ?? "?", p.typed.function(m).name, state.id, next.id)
    }
}

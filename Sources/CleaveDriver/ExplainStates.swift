// `cleave check --explain-states`: the state-use analysis in plain words.
//
//     state device: UdpDevice, created at kv.clv:35
//       in the loop at line 37: 2 uses — receive (kv.clv:38), send (kv.clv:40)
//         several uses in one scope: defunctionalization merges them into one node,
//         device.process(call), which takes the calls in program order.

import CleaveDiagnostics
import CleavePasses

public enum ExplainStates {
    public static func explain(_ analysis: StateUseAnalysis) -> String {
        var out = ""
        for s in analysis.states {
            let origin = s.isParameter ? "received inout by '\(s.function)'" : "created in '\(s.function)'"
            out += "state \(s.name): \(s.type), \(origin) at \(s.declared.shortDescription)\n"
            if s.uses.isEmpty {
                out += "  never used: it needs no node.\n"
            }
            for (scope, uses) in s.scopes {
                let list = uses.map { u -> String in
                    switch u.kind {
                    case .call(let m): "\(m) (\(u.span.shortDescription))"
                    case .passedInout(let to, let m): "passed to \(to).\(m) (\(u.span.shortDescription))"
                    }
                }.joined(separator: ", ")
                out += "  in \(scope.description): \(uses.count == 1 ? "1 use" : "\(uses.count) uses") — \(list)\n"
                for line in advice(s, scope, uses) { out += "    \(line)\n" }
            }
        }
        if analysis.states.isEmpty { out += "no states\n" }
        return out
    }

    static func advice(_ s: StateReport, _ scope: StateScope, _ uses: [StateUse]) -> [String] {
        var lines: [String] = []
        if uses.count == 1 {
            lines.append("single use: the state is one node here as it is.")
        } else {
            lines.append(
                "several uses in one scope: defunctionalization merges them into one node, \(s.name).process(call), "
                    + "which takes the calls in program order.")
        }
        if scope.isInBranch {
            lines.append(
                "inside a branch: the branch decision is sent to the state's node, which runs the branch's calls only when it is taken.")
        }
        for u in uses {
            if case .passedInout(let to, let m) = u.kind {
                lines.append(
                    "passed inout to \(to).\(m): lambda lifting splits \(m) at each call on \(s.name), so \(to) asks for those calls "
                        + "and \(s.name) answers them as messages.")
            }
        }
        return lines
    }
}

// Statements, as the language runs them: in order, each to its end or to a
// `break`, `continue` or `return`, which `Flow` carries out to the construct it
// leaves.

import CleaveDiagnostics
import CleaveSema

extension Interpreter {
    func exec(_ stmts: [TStmt], in frame: Frame) throws -> Flow {
        for s in stmts {
            let flow = try exec(s, in: frame)
            if case .normal = flow { continue }
            return flow
        }
        return .normal
    }

    func exec(_ s: TStmt, in frame: Frame) throws -> Flow {
        switch s.kind {
        case .binding(let pattern, let e):
            bind(pattern, try eval(e, in: frame), in: frame)
            return .normal
        case .assign(let target, let op, let value):
            let v = try eval(value, in: frame)
            if let op {
                let current = try eval(target, in: frame)
                try assign(target, try binary(op, current, v, type: target.type, span: s.span), in: frame)
            } else {
                try assign(target, v, in: frame)
            }
            return .normal
        case .expr(let e):
            _ = try eval(e, in: frame)
            return .normal
        case .ifStmt(let conds, let then, let otherwise):
            if try conditions(conds, in: frame) { return try exec(then.stmts, in: frame) }
            return try otherwise.map { try exec($0.stmts, in: frame) } ?? .normal
        case .guardStmt(let conds, let otherwise):
            if try conditions(conds, in: frame) { return .normal }
            return try exec(otherwise.stmts, in: frame)
        case .whileStmt(let conds, let body):
            while try conditions(conds, in: frame) {
                try step()
                switch try exec(body.stmts, in: frame) {
                case .breakLoop: return .normal
                case .returned(let v): return .returned(v)
                case .normal, .continueLoop: continue
                }
            }
            return .normal
        case .loopStmt(let body):
            while true {
                try step()
                switch try exec(body.stmts, in: frame) {
                case .breakLoop: return .normal
                case .returned(let v): return .returned(v)
                case .normal, .continueLoop: continue
                }
            }
        case .forStmt(let pattern, let iteration, let body):
            return try forLoop(pattern, iteration, body, in: frame, span: s.span)
        case .switchStmt(let subject, let cases):
            let v = try eval(subject, in: frame)
            for c in cases {
                var matched = c.isDefault
                for p in c.patterns where !matched {
                    matched = try match(p, v, in: frame)
                }
                if matched, let g = c.guardExpr, !(try eval(g, in: frame).boolean) { matched = false }
                guard matched else { continue }
                switch try exec(c.body.stmts, in: frame) {
                case .breakLoop: return .normal  // `break` leaves the switch
                case let other: return other
                }
            }
            return .normal
        case .breakStmt:
            return .breakLoop
        case .continueStmt:
            return .continueLoop
        case .returnStmt(let e):
            return .returned(try e.map { try eval($0, in: frame) })
        }
    }

    func bind(_ pattern: TBindingPattern, _ v: Value, in frame: Frame) {
        switch pattern {
        case .local(let l): frame.locals[l.index] = v
        case .wildcard: break
        case .tuple(let ps): for (p, x) in zip(ps, v.elements) { bind(p, x, in: frame) }
        }
    }

    /// All conditions hold (evaluated left to right, stopping at the first that does not);
    /// `if let` binds as it goes.
    func conditions(_ conds: [TCondition], in frame: Frame) throws -> Bool {
        for c in conds {
            switch c {
            case .bool(let e):
                if !(try eval(e, in: frame).boolean) { return false }
            case .unwrap(let l, let e):
                guard case .optional(let v?) = try eval(e, in: frame) else { return false }
                frame.locals[l.index] = v
            }
        }
        return true
    }

    func match(_ p: TPattern, _ v: Value, in frame: Frame) throws -> Bool {
        switch p {
        case .wildcard:
            return true
        case .bind(let l):
            frame.locals[l.index] = v
            return true
        case .enumCase(_, let k, let ps):
            guard case .enumCase(let i, let payload) = v, i == k else { return false }
            for (q, x) in zip(ps, payload) where !(try match(q, x, in: frame)) { return false }
            return true
        case .tuple(let ps):
            for (q, x) in zip(ps, v.elements) where !(try match(q, x, in: frame)) { return false }
            return true
        case .value(let e):
            return Value.equal(v, try eval(e, in: frame))
        case .range(let lo, let hi, let inclusive):
            let l = try eval(lo, in: frame).integer
            let h = try eval(hi, in: frame).integer
            let x = v.integer
            return x >= l && (inclusive ? x <= h : x < h)
        }
    }

    func forLoop(_ pattern: TBindingPattern, _ iteration: TIteration, _ body: TBlock, in frame: Frame, span: SourceSpan) throws
        -> Flow
    {
        /// Run the body once with `v` bound; nil to go on, a flow to leave with.
        func round(_ v: Value) throws -> Flow? {
            try step()
            bind(pattern, v, in: frame)
            switch try exec(body.stmts, in: frame) {
            case .breakLoop: return .normal
            case .returned(let r): return .returned(r)
            case .normal, .continueLoop: return nil
            }
        }
        switch iteration {
        case .range(let lo, let hi, let inclusive):
            let l = try eval(lo, in: frame).integer
            let h = try eval(hi, in: frame).integer
            if l > h || (!inclusive && l == h) {
                if l > h { throw trap("Range requires lowerBound <= upperBound", at: span) }
                return .normal
            }
            var i = l
            while inclusive ? i <= h : i < h {
                if let f = try round(.int(i)) { return f }
                i += 1
            }
        case .array(let e):
            for x in try eval(e, in: frame).elements {
                if let f = try round(x) { return f }
            }
        case .bytes(let e):
            for b in try eval(e, in: frame).byteArray {
                if let f = try round(.int(Int128(b))) { return f }
            }
        case .map(let e):
            for entry in try eval(e, in: frame).entries {
                if let f = try round(.tuple([entry.key, entry.value])) { return f }
            }
        }
        return .normal
    }
}

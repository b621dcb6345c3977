// Parsing expressions.
//
// Binary operators are parsed by precedence climbing over Swift's precedence
// groups (the table below mirrors the one in Cleave.ebnf). Comparison, range and
// shift are non-associative: `a < b < c` is an error, as in Swift.
//
// Three places need look-ahead beyond one token, and use `speculate`:
// generic arguments in an expression (`Map<Bytes, Int>()`), an array type used
// as an initializer (`[Int]()`), and a closure's signature (`{ a, b in … }`).
//
// Whitespace matters in two spots, as in Swift: a postfix `!` is glued to its
// operand (`x!`), and an operator at the start of a line followed directly by its
// operand (`-x`) begins a new expression rather than continuing the last one.

import CleaveDiagnostics

extension Parser {
    enum Associativity { case left, right, none }

    /// Precedence (higher binds tighter) and associativity of a binary operator token.
    static func binaryOperator(_ p: Punct) -> (BinaryOp, Int, Associativity)? {
        switch p {
        case .orOr: (.or, 1, .left)
        case .andAnd: (.and, 2, .left)
        case .eq: (.eq, 3, .none)
        case .ne: (.ne, 3, .none)
        case .lt: (.lt, 3, .none)
        case .le: (.le, 3, .none)
        case .gt: (.gt, 3, .none)
        case .ge: (.ge, 3, .none)
        case .coalesce: (.coalesce, 4, .right)
        case .halfOpen: (.halfOpenRange, 5, .none)
        case .closed: (.closedRange, 5, .none)
        case .plus: (.add, 6, .left)
        case .minus: (.sub, 6, .left)
        case .wrapAdd: (.wrapAdd, 6, .left)
        case .wrapSub: (.wrapSub, 6, .left)
        case .pipe: (.bitOr, 6, .left)
        case .caret: (.bitXor, 6, .left)
        case .star: (.mul, 7, .left)
        case .slash: (.div, 7, .left)
        case .percent: (.mod, 7, .left)
        case .wrapMul: (.wrapMul, 7, .left)
        case .amp: (.bitAnd, 7, .left)
        case .shl: (.shl, 8, .none)
        case .shr: (.shr, 8, .none)
        default: nil
        }
    }

    // expression   = ternary_expr ;
    // ternary_expr = or_expr [ "?" expression ":" expression ] ;
    mutating func parseExpression() -> Expr {
        guard enter() else {
            leave()
            let t = advance()
            return Expr(kind: .error, span: t.span)
        }
        defer { leave() }
        let cond = parseBinary(minPrecedence: 1)
        // The ternary `?` is separated from its condition by white space (`x? ` would be optional chaining).
        if at(.question) && tok.span.start > previousEnd.start {
            advance()
            let a = parseExpression()
            guard expect(.colon, "':' in the conditional expression") else {
                return Expr(kind: .error, span: cond.span.to(a.span))
            }
            let b = parseExpression()
            return Expr(kind: .ternary(cond, a, b), span: cond.span.to(b.span))
        }
        return cond
    }

    /// An operator at the start of a line, glued to what follows, is a prefix operator
    /// starting a new statement, not a binary operator continuing this one.
    var binaryOperatorHere: (BinaryOp, Int, Associativity)? {
        guard case .punct(let p) = tok.kind, let op = Parser.binaryOperator(p) else { return nil }
        if tok.precededByNewline && peek().span.start == tok.span.end { return nil }
        if atIncrement { return nil }
        return op
    }

    /// `++` or `--` glued together: Swift's removed increment operators (see `parseStatement`).
    var atIncrement: Bool {
        (at(.plus) || at(.minus)) && peek().kind == tok.kind && peek().span.start == tok.span.end
    }

    // or_expr … shift_expr: precedence climbing (see the table in Cleave.ebnf).
    mutating func parseBinary(minPrecedence: Int) -> Expr {
        var lhs = parsePrefix()
        // A left-associative chain is built in this loop (`a + b + c` is `(a + b) + c`): it is
        // as long as it is, not nested, and counts towards the chain limit only.
        var operations = 0
        defer { chainLength -= operations }
        // An error reported at this very token (`a + * b`: no operand after `+`) ends the
        // chain, so that one missing operand gives one error rather than one per operator.
        while true {
            // `x as Int`: Cleave converts with initializers; skip the cast so nothing cascades.
            if case .identifier("as") = tok.kind, !tok.precededByNewline {
                report(.noCasts, at: tok.span)
                advance()
                _ = parseType()
                continue
            }
            guard let (op, prec, assoc) = binaryOperatorHere, prec >= minPrecedence, lastErrorIndex != index else { break }
            let rhs: Expr
            let opToken: Token
            if assoc == .right {
                // `a ?? b ?? c` is `a ?? (b ?? c)`: each right side lies inside the one before,
                // in the tree and in the order of evaluation. That is nesting.
                guard enter() else {
                    leave()
                    return Expr(kind: .error, span: lhs.span)
                }
                opToken = advance()
                rhs = parseBinary(minPrecedence: prec)
                leave()
            } else {
                operations += 1
                guard extendChain() else { return Expr(kind: .error, span: lhs.span) }
                opToken = advance()
                rhs = parseBinary(minPrecedence: prec + 1)
            }
            lhs = Expr(kind: .binary(op, lhs, rhs), span: lhs.span.to(rhs.span))
            if assoc == .none, lastErrorIndex != index, let (next, nextPrec, _) = binaryOperatorHere, nextPrec == prec {
                report(
                    .expected("an operator that is not \(describe(prec))", found: "'\(next.rawValue)'"),
                    at: tok.span,
                    notes: [
                        DiagnosticNote("'\(op.rawValue)' and '\(next.rawValue)' are non-associative; add parentheses", at: opToken.span)
                    ])
                // Skip the rest of the chain (`a < b < c < d`): one mistake, one error.
                repeat {
                    advance()
                    _ = parseBinary(minPrecedence: prec + 1)
                } while lastErrorIndex != index && binaryOperatorHere.map { $0.1 == prec } == true
            }
        }
        return lhs
    }

    private func describe(_ precedence: Int) -> String {
        switch precedence {
        case 3: "another comparison"
        case 5: "another range operator"
        default: "another shift"
        }
    }

    // prefix_expr = ( "-" | "!" | "~" ) prefix_expr | postfix_expr ;
    mutating func parsePrefix() -> Expr {
        let start = tok.span
        let op: UnaryOp? =
            switch tok.kind {
            case .punct(.minus): .negate
            case .punct(.bang): .not
            case .punct(.tilde): .bitNot
            default: nil
            }
        if let op {
            advance()
            guard enter() else {
                leave()
                return Expr(kind: .error, span: start)
            }
            defer { leave() }
            let operand = parsePrefix()
            return Expr(kind: .unary(op, operand), span: start.to(operand.span))
        }
        if at(.amp) {
            report(
                .expected("an expression ('&' marks an inout argument and is only allowed in a call's argument list)", found: "'&'"),
                at: tok.span)
            advance()
        }
        return parsePostfix()
    }

    // postfix_expr   = primary_expr { postfix_suffix } ;
    // postfix_suffix = "." identifier | "." integer_literal
    //                | (* no NL *) "(" [ argument { "," argument } [ "," ] ] ")" [ trailing_closure ]
    //                | (* no NL *) trailing_closure | (* no NL *) "[" expression "]" | "!" ;
    mutating func parsePostfix() -> Expr {
        var e = parsePrimary()
        // Each suffix wraps the expression so far: like an operator chain, a chain of suffixes
        // (`x.f().g()[0]`) counts towards the chain limit, not the nesting.
        var suffixes = 0
        defer { chainLength -= suffixes }
        while true {
            if at(.dot) {
                advance()
                switch tok.kind {
                case .identifier(let name) where name != "_":
                    let t = advance()
                    e = Expr(kind: .member(e, Identifier(name, t.span)), span: e.span.to(t.span))
                case .keyword(.`init`):
                    let t = advance()
                    e = Expr(kind: .member(e, Identifier("init", t.span)), span: e.span.to(t.span))
                case .integer(let digits) where !digits.hasPrefix("0x") && !digits.hasPrefix("0b") && !digits.hasPrefix("0o"):
                    let t = advance()
                    e = Expr(kind: .tupleIndex(e, Int(digits) ?? Int.max), span: e.span.to(t.span))
                case .float(let text) where !text.contains("e"):
                    // `t.0.1` lexes as `t` `.` `0.1`.
                    let t = advance()
                    let parts = text.split(separator: ".")
                    e = Expr(kind: .tupleIndex(e, Int(parts[0]) ?? Int.max), span: e.span.to(t.span))
                    e = Expr(kind: .tupleIndex(e, Int(parts[1]) ?? Int.max), span: e.span.to(t.span))
                default:
                    expected("a member name or tuple index after '.'")
                    return Expr(kind: .error, span: e.span)
                }
            } else if at(.lparen) && !tok.precededByNewline {
                let args = parseArguments(closing: .rparen)
                e = Expr(kind: .call(e, args), span: e.span.to(previousEnd))
                if let closure = parseTrailingClosure() {
                    e = appendTrailing(closure, to: e)
                }
            } else if let closure = parseTrailingClosure() {
                e = Expr(kind: .call(e, []), span: e.span)
                e = appendTrailing(closure, to: e)
            } else if at(.lbracket) && !tok.precededByNewline {
                let open = advance().span
                let saved = allowTrailingClosure
                allowTrailingClosure = true
                let index = parseExpression()
                allowTrailingClosure = saved
                let close = tok.span
                expect(.rbracket, "']' to end the subscript", notes: [DiagnosticNote("to match this '['", at: open)])
                e = Expr(kind: .subscriptAccess(e, index), span: e.span.to(close))
            } else if at(.bang) && tok.span.start == previousEnd.start {
                let t = advance()
                e = Expr(kind: .forceUnwrap(e), span: e.span.to(t.span))
            } else if at(.question) && tok.span.start == previousEnd.start && peek().isPunct(.dot) {
                // `a?.b`: not in Cleave. Report it and read on as `a.b`.
                report(.noOptionalChaining, at: tok.span.to(peek().span))
                advance()
            } else {
                return e
            }
            suffixes += 1
            guard extendChain() else { return Expr(kind: .error, span: e.span) }
        }
    }

    // trailing_closure = closure_expr ;   (* no NL before it; not in conditions *)
    mutating func parseTrailingClosure() -> Expr? {
        guard allowTrailingClosure && at(.lbrace) && !tok.precededByNewline else { return nil }
        return parseClosure()
    }

    func appendTrailing(_ closure: Expr, to call: Expr) -> Expr {
        guard case .call(let callee, var args) = call.kind else { return call }
        args.append(Argument(label: nil, value: closure, inoutSpan: nil, span: closure.span, isTrailingClosure: true))
        return Expr(kind: .call(callee, args), span: call.span.to(closure.span))
    }

    // "(" [ argument { "," argument } [ "," ] ] ")"
    // argument = [ identifier ":" ] ( "&" postfix_expr | expression ) ;
    mutating func parseArguments(closing: Punct) -> [Argument] {
        let open = advance().span
        let saved = allowTrailingClosure
        allowTrailingClosure = true
        defer { allowTrailingClosure = saved }
        var args: [Argument] = []
        while !at(closing) && !atEOF {
            let start = tok.span
            var label: Identifier?
            if case .identifier(let l) = tok.kind, peek().isPunct(.colon), l != "_" {
                label = Identifier(l, advance().span)
                advance()
            } else if case .keyword(let k) = tok.kind, peek().isPunct(.colon), k != .nil, k != .true, k != .false, k != .self {
                // Keywords are fine as argument labels (`Bytes(repeating: 0, count: n)`, `in:`).
                label = Identifier(k.rawValue, advance().span)
                advance()
            }
            var inoutSpan: SourceSpan?
            if at(.amp) { inoutSpan = advance().span }
            let before = index
            let value = inoutSpan != nil ? parsePostfix() : parseExpression()
            args.append(Argument(label: label, value: value, inoutSpan: inoutSpan, span: start.to(value.span)))
            if index == before { break }
            if !eat(.comma) { break }
        }
        expect(closing, "'\(closing.rawValue)' to end the argument list", notes: [DiagnosticNote("to match this '('", at: open)])
        return args
    }

    // primary_expr = integer_literal | float_literal | string_literal | "true" | "false" | "nil"
    //              | identifier [ generic_args ] | anon_param | "self" | "." identifier
    //              | "(" expression ")" | tuple | array | map | "[" type "]" | closure_expr ;
    mutating func parsePrimary() -> Expr {
        let t = tok
        switch t.kind {
        case .integer(let digits):
            advance()
            return Expr(kind: .intLiteral(digits), span: t.span)
        case .float(let text):
            advance()
            return Expr(kind: .floatLiteral(text), span: t.span)
        case .string(let segments):
            advance()
            return Expr(kind: .stringLiteral(parseStringSegments(segments)), span: t.span)
        case .keyword(.true), .keyword(.false):
            advance()
            return Expr(kind: .boolLiteral(t.isKeyword(.true)), span: t.span)
        case .keyword(.nil):
            advance()
            return Expr(kind: .nilLiteral, span: t.span)
        case .keyword(.self):
            advance()
            return Expr(kind: .selfRef, span: t.span)
        case .anonParam(let n):
            advance()
            return Expr(kind: .anonParam(n), span: t.span)
        case .identifier(let name) where name != "_":
            advance()
            // identifier [ generic_args ]: only directly before "(" or ".".
            if at(.lt) && tok.span.start == t.span.end && genericArgumentsMayFollow() {
                if let args = speculate({ p -> [TypeExpr]? in
                    guard let args = p.parseGenericArguments() else { return nil }
                    return (p.at(.lparen) || p.at(.dot)) && !p.tok.precededByNewline ? args : nil
                }) {
                    return Expr(kind: .name(name, args), span: t.span.to(previousEnd))
                }
            }
            return Expr(kind: .name(name, []), span: t.span)
        case .punct(.dot):
            advance()
            guard let name = expectIdentifier("a member name after '.'") else {
                return Expr(kind: .error, span: t.span)
            }
            return Expr(kind: .implicitMember(name), span: t.span.to(name.span))
        case .punct(.lparen):
            return parseParenthesized()
        case .punct(.lbracket):
            return parseBracketed()
        case .punct(.lbrace):
            return parseClosure()
        default:
            expected("an expression")
            return Expr(kind: .error, span: t.span)
        }
    }

    // string_item = … | "\(" expression ")" ;   (each interpolation's tokens parse as one expression)
    mutating func parseStringSegments(_ segments: [StringSegment]) -> [StringPart] {
        segments.map { segment in
            switch segment {
            case .bytes(let b): return .bytes(b)
            case .interpolation(let tokens, _):
                var sub = Parser(tokens: tokens, isStandardModule: isStandardModule)
                sub.depth = depth
                sub.chainLength = chainLength
                sub.endOfInput = "')' ending the interpolation"
                let e = sub.parseExpression()
                if !sub.atEOF {
                    sub.expected("')' to end the interpolation")
                }
                diagnostics.append(contentsOf: sub.diagnostics.all)
                // Nesting too deep inside the interpolation is unwound out here too.
                if sub.unwindingTooDeep { unwindingTooDeep = true }
                return .interpolation(e)
            }
        }
    }

    // "(" expression ")" | "(" expression "," expression { "," expression } ")" | "(" ")"
    mutating func parseParenthesized() -> Expr {
        let open = advance().span
        let saved = allowTrailingClosure
        allowTrailingClosure = true
        defer { allowTrailingClosure = saved }
        if at(.rparen) {
            let close = advance().span
            return Expr(kind: .tuple([]), span: open.to(close))
        }
        var items: [Expr] = []
        repeat {
            if at(.rparen) { break }
            items.append(parseExpression())
        } while eat(.comma)
        let close = tok.span
        guard expect(.rparen, "')' to end the parenthesized expression", notes: [DiagnosticNote("to match this '('", at: open)]) else {
            return Expr(kind: .error, span: open.to(previousEnd))
        }
        if items.count == 1 { return Expr(kind: .paren(items[0]), span: open.to(close)) }
        return Expr(kind: .tuple(items), span: open.to(close))
    }

    // "[" type "]" "(" … | "[" [ expression { "," expression } ] "]" | "[" ":" "]"
    // | "[" expression ":" expression { "," expression ":" expression } "]"
    mutating func parseBracketed() -> Expr {
        let open = tok.span
        // `[Int]()`: an array type as an initializer.
        if let type = speculate({ p -> TypeExpr? in
            let ty = p.parseType()
            guard case .array = ty.kind, p.at(.lparen), !p.tok.precededByNewline else { return nil }
            return ty
        }) {
            return Expr(kind: .arrayType(type), span: type.span)
        }
        advance()
        let saved = allowTrailingClosure
        allowTrailingClosure = true
        defer { allowTrailingClosure = saved }
        if at(.colon) && peek().isPunct(.rbracket) {
            advance()
            let close = advance().span
            return Expr(kind: .map([]), span: open.to(close))
        }
        var elements: [Expr] = []
        var entries: [(key: Expr, value: Expr)] = []
        var isMap = false
        while !at(.rbracket) && !atEOF {
            let before = index
            let e = parseExpression()
            if elements.isEmpty && entries.isEmpty && at(.colon) { isMap = true }
            if isMap {
                guard expect(.colon, "':' between key and value in the map literal") else { break }
                entries.append((e, parseExpression()))
            } else {
                elements.append(e)
            }
            if index == before { break }
            if !eat(.comma) { break }
        }
        let close = tok.span
        expect(.rbracket, "']' to end the \(isMap ? "map" : "array") literal", notes: [DiagnosticNote("to match this '['", at: open)])
        return Expr(kind: isMap ? .map(entries) : .array(elements), span: open.to(close))
    }

    // closure_expr = "{" [ closure_signature "in" ] { statement } "}" ;
    mutating func parseClosure() -> Expr {
        let open = advance().span
        guard enter() else {
            leave()
            skipBalanced(from: open)
            return Expr(kind: .error, span: open)
        }
        defer { leave() }
        let signature = speculate { p -> ([ClosureParam], TypeExpr?)? in
            guard let sig = p.parseClosureSignature(), p.at(.in) else { return nil }
            p.advance()
            return sig
        }
        let saved = allowTrailingClosure
        allowTrailingClosure = true
        let body = parseStatements(until: { $0.at(.rbrace) })
        allowTrailingClosure = saved
        let close = tok.span
        expect(.rbrace, "'}' to end the closure", notes: [DiagnosticNote("to match this '{'", at: open)])
        let closure = ClosureExpr(params: signature?.0, result: signature?.1, body: body, span: open.to(close))
        return Expr(kind: .closure(closure), span: open.to(close))
    }

    // closure_signature = closure_param { "," closure_param }
    //                   | "(" [ closure_param { "," closure_param } ] ")" [ "->" type ] ;
    // closure_param     = ( identifier | "_" ) [ ":" type ] ;
    mutating func parseClosureSignature() -> ([ClosureParam], TypeExpr?)? {
        var params: [ClosureParam] = []
        let parenthesized = eat(.lparen)
        while true {
            if parenthesized && at(.rparen) { break }
            guard case .identifier(let n) = tok.kind else { return nil }
            let t = advance()
            var type: TypeExpr?
            if eat(.colon) { type = parseType() }
            params.append(
                ClosureParam(name: n == "_" ? nil : Identifier(n, t.span), type: type, span: t.span.to(type?.span ?? t.span)))
            if !eat(.comma) { break }
        }
        var result: TypeExpr?
        if parenthesized {
            guard eat(.rparen) else { return nil }
            if eat(.arrow) { result = parseType() }
        }
        return (params, result)
    }
}

extension Expr.Kind {
    public var isError: Bool {
        if case .error = self { return true }
        return false
    }
}

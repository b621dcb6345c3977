// Parsing statements and switch patterns.
//
// A statement ends at a line break, a `;` or the `}` of its block. When a
// statement has a syntax error the parser skips to the next statement boundary
// (see `skipToStatementBoundary`), so one mistake produces one diagnostic and the
// rest of the block is still checked.

import CleaveDiagnostics

extension Parser {
    // block = "{" { statement } "}" ;
    mutating func parseBlock() -> Block {
        let open = tok.span
        guard expect(.lbrace) else { return Block(stmts: [], span: open) }
        guard enter() else {
            leave()
            skipBalanced(from: open)
            return Block(stmts: [], span: open.to(previousEnd))
        }
        defer { leave() }
        var stmts = parseStatements(until: { $0.at(.rbrace) })
        let close = tok.span
        guard expect(.rbrace, "'}' to end the block", notes: [DiagnosticNote("to match this '{'", at: open)]) else {
            // Where the block really ends is unknown: an error statement at its end keeps the
            // checker from concluding anything about the flow ("missing return" and the like).
            stmts.append(Stmt(kind: .error, span: previousEnd))
            return Block(stmts: stmts, span: open.to(previousEnd))
        }
        return Block(stmts: stmts, span: open.to(close))
    }

    /// After a nesting error: skip to the `}` matching an already consumed `{`.
    mutating func skipBalanced(from open: SourceSpan) {
        var nesting = 1
        while !atEOF && nesting > 0 {
            if at(.lbrace) { nesting += 1 }
            if at(.rbrace) { nesting -= 1 }
            advance()
        }
    }

    /// Statements up to (not including) the token where `stop` holds, or the end of file.
    mutating func parseStatements(until stop: (Parser) -> Bool) -> [Stmt] {
        var stmts: [Stmt] = []
        // A declaration in the first column ends the block: its `}` is missing (reported by the caller).
        while !atEOF && !stop(self) && !atColumnOneDeclaration {
            if eat(.semicolon) { continue }
            let before = index
            let errorsBefore = diagnostics.errorCount
            let start = tok.span.start
            let s = parseStatement()
            unwindingTooDeep = false
            let broken = diagnostics.errorCount > errorsBefore || claimStrayCharacter(from: start)
            if broken {
                // Keep what a broken statement declares (with an unknown value) so that later
                // uses do not cascade into "cannot find" errors; drop everything else it had.
                if case .binding(let isVar, let pattern, let type, let value) = s.kind {
                    stmts.append(Stmt(kind: .binding(isVar: isVar, pattern, type, Expr(kind: .error, span: value.span)), span: s.span))
                } else {
                    stmts.append(Stmt(kind: .error, span: s.span))
                }
            } else {
                stmts.append(s)
            }
            if broken || index == before {
                if index == before && at(.rbrace) && !stop(self) {
                    // A stray '}' that is not ours: report and skip it.
                    expected("a statement")
                    advance()
                } else if !stop(self) {
                    skipToStatementBoundary(mustAdvance: index == before)
                }
                continue
            }
            if eat(.semicolon) || atEOF || tok.precededByNewline || stop(self) || at(.rbrace) { continue }
            report(.consecutiveStatements, at: previousEnd, fixIts: [.insert(";", at: previousEnd)])
        }
        return stmts
    }

    // statement = ( declaration_stmt | assignment_stmt | if_stmt | guard_stmt | while_stmt
    //             | for_stmt | loop_stmt | switch_stmt | "break" | "continue"
    //             | return_stmt | expression ) [ ";" ] ;
    mutating func parseStatement() -> Stmt {
        let start = tok.span
        switch tok.kind {
        case .keyword(.let), .keyword(.var): return parseDeclarationStatement()
        case .keyword(.if): return parseIf()
        case .keyword(.guard): return parseGuard()
        case .keyword(.while):
            advance()
            let conds = parseConditionList()
            let body = parseBlock()
            return Stmt(kind: .whileStmt(conds, body), span: start.to(body.span))
        case .keyword(.for): return parseFor()
        case .keyword(.loop):
            advance()
            let body = parseBlock()
            return Stmt(kind: .loopStmt(body), span: start.to(body.span))
        case .keyword(.switch): return parseSwitch()
        case .keyword(.break):
            advance()
            return Stmt(kind: .breakStmt, span: start)
        case .keyword(.continue):
            advance()
            return Stmt(kind: .continueStmt, span: start)
        case .keyword(.return): return parseReturn()
        case .keyword(.func), .keyword(.state), .keyword(.struct), .keyword(.enum), .keyword(.import):
            // The keyword itself is the mistake: point at it, even at the start of a line.
            unexpectedToken("a statement (declarations are only allowed at the top level of a file)")
            return Stmt(kind: .error, span: start)
        case .identifier("_") where peek().isPunct(.assign):
            advance()
            advance()
            let value = parseExpression()
            return Stmt(kind: .discard(value), span: start.to(value.span))
        default:
            let e = parseExpression()
            if atIncrement {
                // `i++`: report with its replacement, and read it as `i += 1`.
                let op = tok.isPunct(.plus) ? AssignOp.add : .sub
                let opSpan = tok.span.to(peek().span)
                report(.noIncrement(op.rawValue), at: opSpan, fixIts: [FixIt(replace: opSpan, with: " \(op.rawValue) 1")])
                advance()
                advance()
                let one = Expr(kind: .intLiteral("1"), span: opSpan)
                return Stmt(kind: .assign(target: e, op: op, value: one), span: e.span.to(opSpan))
            }
            if case .punct(let p) = tok.kind, let op = AssignOp(rawValue: p.rawValue) {
                advance()
                let value = parseExpression()
                return Stmt(kind: .assign(target: e, op: op, value: value), span: e.span.to(value.span))
            }
            return Stmt(kind: .expr(e), span: e.span)
        }
    }

    // declaration_stmt = ( "let" | "var" ) binding_pattern [ ":" type ] "=" expression ;
    mutating func parseDeclarationStatement() -> Stmt {
        let kw = advance()
        let isVar = kw.isKeyword(.var)
        guard let pattern = parseBindingPattern() else { return Stmt(kind: .error, span: kw.span) }
        var type: TypeExpr?
        if eat(.colon) { type = parseType() }
        guard at(.assign) else {
            expected("'=' and an initial value (local constants and variables are initialized where they are declared)")
            // Still declare the name (with an unknown value) so that its uses do not cascade.
            let missing = Expr(kind: .error, span: previousEnd)
            return Stmt(kind: .binding(isVar: isVar, pattern, type, missing), span: kw.span.to(previousEnd))
        }
        advance()
        let value = parseExpression()
        return Stmt(kind: .binding(isVar: isVar, pattern, type, value), span: kw.span.to(value.span))
    }

    // binding_pattern = identifier | "_" | "(" binding_pattern { "," binding_pattern } ")" ;
    mutating func parseBindingPattern() -> BindingPattern? {
        if case .identifier(let s) = tok.kind {
            let t = advance()
            return s == "_" ? .wildcard(t.span) : .name(Identifier(s, t.span))
        }
        if at(.lparen) {
            let open = advance().span
            guard enter() else {
                leave()
                return nil
            }
            defer { leave() }
            var items: [BindingPattern] = []
            while !at(.rparen) && !atEOF {
                guard let p = parseBindingPattern() else { return nil }
                items.append(p)
                if !eat(.comma) { break }
            }
            let close = tok.span
            guard expect(.rparen, "')' to end the tuple pattern") else { return nil }
            if items.count == 1 { return items[0] }
            return .tuple(items, open.to(close))
        }
        expected("a name or a tuple pattern")
        return nil
    }

    // if_stmt = "if" condition_list block [ "else" ( if_stmt | block ) ] ;
    mutating func parseIf() -> Stmt {
        let start = advance().span
        let conds = parseConditionList()
        let then = parseBlock()
        var elseBranch: ElseBranch?
        var end = then.span
        if at(.else) {
            advance()
            if at(.if) {
                let inner = parseIf()
                elseBranch = .elseIf(inner)
                end = inner.span
            } else {
                let b = parseBlock()
                elseBranch = .block(b)
                end = b.span
            }
        }
        return Stmt(kind: .ifStmt(conds, then, elseBranch), span: start.to(end))
    }

    // guard_stmt = "guard" condition_list "else" block ;
    mutating func parseGuard() -> Stmt {
        let start = advance().span
        let conds = parseConditionList()
        guard eat(.else) else {
            expected("'else' after the conditions of 'guard'")
            return Stmt(kind: .error, span: start)
        }
        let body = parseBlock()
        return Stmt(kind: .guardStmt(conds, body), span: start.to(body.span))
    }

    // condition_list = condition { "," condition } ;
    // condition = ( "let" | "var" ) identifier [ ":" type ] [ "=" expression ] | expression ;
    mutating func parseConditionList() -> [Condition] {
        let saved = allowTrailingClosure
        allowTrailingClosure = false
        defer { allowTrailingClosure = saved }
        var conds: [Condition] = []
        repeat {
            if at(.let) || at(.var) {
                let kw = advance()
                guard let name = expectIdentifier("a name to bind the optional's value to") else { break }
                var type: TypeExpr?
                if eat(.colon) { type = parseType() }
                var value: Expr?
                if eat(.assign) { value = parseExpression() }
                conds.append(
                    .optionalBinding(
                        isVar: kw.isKeyword(.var), name: name, type: type, value: value,
                        span: kw.span.to(value?.span ?? type?.span ?? name.span)))
            } else {
                conds.append(.expr(parseExpression()))
            }
        } while eat(.comma)
        return conds
    }

    // for_stmt = "for" binding_pattern "in" expression block ;
    mutating func parseFor() -> Stmt {
        let start = advance().span
        guard let pattern = parseBindingPattern() else { return Stmt(kind: .error, span: start) }
        guard eat(.in) else {
            expected("'in' after the loop variable of 'for'")
            return Stmt(kind: .error, span: start)
        }
        let saved = allowTrailingClosure
        allowTrailingClosure = false
        let sequence = parseExpression()
        allowTrailingClosure = saved
        let body = parseBlock()
        return Stmt(kind: .forStmt(pattern, sequence, body), span: start.to(body.span))
    }

    // return_stmt = "return" [ expression ] ;
    mutating func parseReturn() -> Stmt {
        let start = advance().span
        if atEOF || at(.rbrace) || at(.semicolon) || at(.case) || at(.default) {
            return Stmt(kind: .returnStmt(nil), span: start)
        }
        if tok.precededByNewline {
            report(.returnValueOnNextLine, at: tok.span)
            return Stmt(kind: .returnStmt(nil), span: start)
        }
        let value = parseExpression()
        return Stmt(kind: .returnStmt(value), span: start.to(value.span))
    }

    // switch_stmt = "switch" expression "{" { switch_case } "}" ;
    // switch_case = ( "case" case_pattern { "," case_pattern } [ "where" expression ] | "default" ) ":" { statement } ;
    mutating func parseSwitch() -> Stmt {
        let start = advance().span
        let saved = allowTrailingClosure
        allowTrailingClosure = false
        let subject = parseExpression()
        allowTrailingClosure = saved
        let open = tok.span
        guard expect(.lbrace, "'{' to begin the cases of 'switch'") else {
            return Stmt(kind: .error, span: start)
        }
        var cases: [SwitchCase] = []
        while !at(.rbrace) && !atEOF && !atColumnOneDeclaration {
            let labelStart = tok.span
            var patterns: [Pattern]?
            var guardExpr: Expr?
            if eat(.default) {
                patterns = nil
            } else if eat(.case) {
                var ps: [Pattern] = []
                repeat {
                    ps.append(parseCasePattern())
                } while eat(.comma)
                patterns = ps
                if eat(.where) { guardExpr = parseExpression() }
            } else {
                unexpectedToken("'case' or 'default' in 'switch'")
                skipToStatementBoundary()
                if !at(.case) && !at(.default) && !at(.rbrace) {
                    _ = parseStatements(until: { $0.at(.case) || $0.at(.default) || $0.at(.rbrace) })
                }
                continue
            }
            let labelSpan = labelStart.to(previousEnd)
            if !expect(.colon, "':' after the case label") {
                skipToStatementBoundary(mustAdvance: false)
            }
            let body = parseStatements(until: { $0.at(.case) || $0.at(.default) || $0.at(.rbrace) })
            cases.append(
                SwitchCase(
                    patterns: patterns, guardExpr: guardExpr, body: body,
                    span: labelStart.to(body.last?.span ?? labelSpan), labelSpan: labelSpan))
        }
        let close = tok.span
        expect(.rbrace, "'}' to end 'switch'", notes: [DiagnosticNote("to match this '{'", at: open)])
        return Stmt(kind: .switchStmt(subject, cases), span: start.to(close))
    }

    // case_pattern = "_" | ( "let" | "var" ) identifier | ( "let" | "var" ) enum_pattern
    //              | enum_pattern | "(" case_pattern "," case_pattern { "," case_pattern } ")"
    //              | range_pattern | expression ;
    mutating func parseCasePattern(bindingMode: Bool? = nil) -> Pattern {
        let start = tok.span
        guard enter() else {
            leave()
            return Pattern(kind: .wildcard, span: start)
        }
        defer { leave() }
        if case .identifier("_") = tok.kind {
            advance()
            return Pattern(kind: .wildcard, span: start)
        }
        if at(.let) || at(.var) {
            let isVar = advance().isKeyword(.var)
            return parseCasePattern(bindingMode: isVar)
        }
        if let isVar = bindingMode, let name = identifierText, !peek().isPunct(.dot) {
            let t = advance()
            return Pattern(kind: .binding(isVar: isVar, Identifier(name, t.span)), span: t.span)
        }
        // enum_pattern = [ type_identifier ] "." identifier [ "(" case_pattern { "," case_pattern } ")" ] ;
        if at(.dot) || (identifierText != nil && peek().isPunct(.dot) && isIdentifier(peek(2))) {
            var type: Identifier?
            if let t = identifierText {
                type = Identifier(t, advance().span)
            }
            advance()  // "."
            guard let name = expectIdentifier("an enum case name") else {
                return Pattern(kind: .wildcard, span: start)
            }
            var sub: [Pattern]?
            var end = name.span
            if at(.lparen) && !tok.precededByNewline {
                advance()
                var items: [Pattern] = []
                while !at(.rparen) && !atEOF {
                    // A label before a sub-pattern (`.c(key: let k)`) is accepted and ignored.
                    if identifierText != nil && peek().isPunct(.colon) {
                        advance()
                        advance()
                    }
                    let before = index
                    items.append(parseCasePattern(bindingMode: bindingMode))
                    if index == before { break }
                    if !eat(.comma) { break }
                }
                end = tok.span
                expect(.rparen, "')' to end the case's payload pattern")
                sub = items
            }
            return Pattern(kind: .enumCase(type: type, name: name, sub: sub), span: start.to(end))
        }
        if at(.lparen) {
            // A tuple pattern, or a parenthesized expression.
            if let tuple = speculate({ p -> Pattern? in
                p.advance()
                var items: [Pattern] = []
                repeat {
                    items.append(p.parseCasePattern(bindingMode: bindingMode))
                } while p.eat(.comma)
                let close = p.tok.span
                guard items.count >= 2, p.eat(.rparen) else { return nil }
                return Pattern(kind: .tuple(items), span: start.to(close))
            }) {
                return tuple
            }
        }
        let e = parseExpression()
        return Pattern(kind: .expr(e), span: e.span)
    }

    func isIdentifier(_ t: Token) -> Bool {
        if case .identifier(let s) = t.kind { return s != "_" }
        return false
    }
}

// Parsing types.

import CleaveDiagnostics

extension Parser {
    // type = non_optional_type { "?" } ;
    mutating func parseType() -> TypeExpr {
        let start = tok.span
        guard enter() else {
            leave()
            advance()
            return TypeExpr(kind: .error, span: start)
        }
        defer { leave() }
        var t = parseNonOptionalType()
        while (at(.question) || at(.coalesce)) && tok.span.start == previousEnd.start {
            splitToken(.coalesce, into: .question)  // `Int??` is an optional of an optional
            let q = advance()
            t = TypeExpr(kind: .optional(t), span: t.span.to(q.span))
        }
        return t
    }

    // non_optional_type = type_identifier [ generic_args ] | "[" type "]" | "(" ")" | "(" type ")"
    //                   | "(" type "," type { "," type } ")" | function_type ;
    // function_type     = "(" [ type { "," type } ] ")" "->" type ;
    mutating func parseNonOptionalType() -> TypeExpr {
        let start = tok.span
        if let name = identifierText {
            advance()
            var args: [TypeExpr] = []
            if at(.lt) && !tok.precededByNewline {
                args = parseGenericArguments() ?? []
            }
            return TypeExpr(kind: .named(Identifier(name, start), args), span: start.to(previousEnd))
        }
        if at(.lbracket) {
            advance()
            let element = parseType()
            let close = tok.span
            guard expect(.rbracket, "']' to end the array type") else {
                return TypeExpr(kind: .error, span: start.to(element.span))
            }
            return TypeExpr(kind: .array(element), span: start.to(close))
        }
        if at(.lparen) {
            advance()
            var items: [TypeExpr] = []
            while !at(.rparen) && !atEOF {
                let before = index
                items.append(parseType())
                if index == before || !eat(.comma) { break }
            }
            let close = tok.span
            guard expect(.rparen, "')' to end the tuple type") else {
                return TypeExpr(kind: .error, span: start.to(previousEnd))
            }
            if at(.arrow) {
                advance()
                let result = parseType()
                return TypeExpr(kind: .function(items, result), span: start.to(result.span))
            }
            if items.count == 1 { return items[0] }
            return TypeExpr(kind: .tuple(items), span: start.to(close))
        }
        expected("a type")
        return TypeExpr(kind: .error, span: start)
    }

    // generic_args = "<" type { "," type } ">" ;
    mutating func parseGenericArguments() -> [TypeExpr]? {
        guard eat(.lt) else { return nil }
        var args: [TypeExpr] = []
        repeat {
            args.append(parseType())
        } while eat(.comma)
        splitToken(.shr, into: .gt)  // `Map<K, Map<A, B>>`
        guard expect(.gt, "'>' to end the generic arguments") else { return nil }
        return args
    }

    /// Whether the tokens from the `<` at hand can be generic arguments, by a look at the
    /// tokens alone: only tokens a type is made of, until the angle brackets balance, nested no
    /// deeper than the parser may still go and within `genericLookLimit` tokens. An expression
    /// tries generic arguments at every `Name<` (`Map<Bytes, Int>()` against `a < b`), and a
    /// try that fails costs a parse of everything it read: this look bounds that, so hostile
    /// input (thousands of `Optional<` in a row) is parsed in linear time.
    func genericArgumentsMayFollow() -> Bool {
        var angles = 0
        var nesting = 0
        var i = index
        while i < tokens.count && i - index < Parser.genericLookLimit {
            switch tokens[i].kind {
            case .identifier: break
            case .punct(.lt): angles += 1
            case .punct(.gt): angles -= 1
            case .punct(.shr): angles -= 2
            case .punct(.lbracket), .punct(.lparen): nesting += 1
            case .punct(.rbracket), .punct(.rparen): nesting -= 1
            case .punct(.comma), .punct(.question), .punct(.coalesce), .punct(.arrow): break
            default: return false
            }
            if angles <= 0 { return nesting == 0 }
            if nesting < 0 || angles + nesting + depth >= Parser.maxDepth { return false }
            i += 1
        }
        return false
    }
}

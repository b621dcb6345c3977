// Parsing declarations: the top level of a file and the bodies of states,
// structs and enums.
//
// Recovery: when a declaration cannot be parsed, the parser skips to the next
// token that starts a line and can start a declaration (`func`, `state`, …), or
// to the `}` that closes the type body being parsed.

import CleaveDiagnostics

extension Parser {
    static let declarationStarts: [Keyword] = [.import, .state, .struct, .enum, .func, .let, .var, .mutating, .extern, .`init`, .case]

    var atDeclarationStart: Bool {
        if case .keyword(let k) = tok.kind { return Parser.declarationStarts.contains(k) }
        return false
    }

    mutating func skipToDeclaration() {
        var nesting = 0
        advance()
        while !atEOF {
            if nesting == 0 && tok.precededByNewline && atDeclarationStart { return }
            if at(.lbrace) { nesting += 1 }
            if at(.rbrace) {
                if nesting == 0 { return }
                nesting -= 1
            }
            advance()
        }
    }

    // file = { top_level_decl } EOF ;
    mutating func parseFile() -> [Decl] {
        var decls: [Decl] = []
        while !atEOF {
            let before = index
            let errorsBefore = diagnostics.errorCount
            unwindingTooDeep = false
            if let d = parseTopLevelDecl() {
                decls.append(d)
                if diagnostics.errorCount == errorsBefore {
                    endDeclaration()
                } else if !tok.precededByNewline && !atEOF {
                    skipToDeclaration()  // the rest of a broken declaration's line
                }
            } else if index == before || !tok.precededByNewline {
                skipToDeclaration()
            }
            if at(.rbrace) {
                report(.expected("a declaration", found: "'}'"), at: tok.span)
                advance()
            }
        }
        return decls
    }

    /// A declaration ends at a line break, `;`, `}` or the end of the file.
    mutating func endDeclaration() {
        if eat(.semicolon) || atEOF || tok.precededByNewline || at(.rbrace) { return }
        report(.consecutiveStatements, at: previousEnd, fixIts: [.insert(";", at: previousEnd)])
    }

    // top_level_decl = import_decl | state_decl | struct_decl | enum_decl | func_decl | global_let ;
    mutating func parseTopLevelDecl() -> Decl? {
        switch tok.kind {
        case .keyword(.import): return parseImport()
        case .keyword(.state): return parseNominal(.state).map(Decl.nominal)
        case .keyword(.struct): return parseNominal(.struct).map(Decl.nominal)
        case .keyword(.enum): return parseEnum().map(Decl.enumDecl)
        case .keyword(.func), .keyword(.mutating), .keyword(.extern):
            return parseFunction().map(Decl.function)
        case .keyword(.let): return parseGlobalLet().map(Decl.globalLet)
        default:
            unexpectedToken("a declaration ('func', 'state', 'struct', 'enum', 'let' or 'import')")
            return nil
        }
    }

    // import_decl = "import" ( identifier | string_literal ) ;
    mutating func parseImport() -> Decl? {
        let start = advance().span
        if let name = identifierText {
            let t = advance()
            return .importDecl(ImportDecl(target: .module(name), targetSpan: t.span, span: start.to(t.span)))
        }
        if case .string(let segments) = tok.kind {
            let t = advance()
            var path: [UInt8] = []
            for s in segments {
                if case .bytes(let b) = s { path += b }
            }
            if segments.contains(where: { if case .interpolation = $0 { true } else { false } }) {
                report(.expected("a header path without interpolation", found: "an interpolated string"), at: t.span)
            }
            return .importDecl(
                ImportDecl(
                    target: .header(String(decoding: path, as: UTF8.self)), targetSpan: t.span,
                    span: start.to(t.span)))
        }
        expected("a module name or a header path in quotes after 'import'")
        return nil
    }

    // global_let = "let" identifier [ ":" type ] "=" expression ;
    mutating func parseGlobalLet() -> GlobalLet? {
        let start = advance().span
        guard let name = expectIdentifier("a constant name after 'let'") else { return nil }
        var type: TypeExpr?
        if eat(.colon) { type = parseType() }
        guard expect(.assign, "'=' and a value for global constant '\(name.name)'") else {
            // Still declare the constant (with an unknown value) so that its uses do not cascade.
            let missing = Expr(kind: .error, span: previousEnd)
            return GlobalLet(name: name, type: type, value: missing, span: start.to(previousEnd))
        }
        let value = parseExpression()
        return GlobalLet(name: name, type: type, value: value, span: start.to(value.span))
    }

    // state_decl  = "state" identifier "{" { state_member } "}" ;
    // struct_decl = "struct" identifier "{" { struct_member } "}" ;
    // state_member = field_decl | init_decl | func_decl ;
    mutating func parseNominal(_ kind: NominalKind) -> NominalDecl? {
        let start = advance().span
        guard let name = expectIdentifier("a name for the \(kind.rawValue)") else { return nil }
        guard
            let (members, close) = parseTypeBody(
                name, expecting: "a field ('var', 'let'), 'init' or 'func' in '\(name.name)'",
                member: { p in
                    switch p.tok.kind {
                    case .keyword(.let), .keyword(.var):
                        return p.parseField().map { [.field($0)] } ?? []
                    case .keyword(.`init`), .keyword(.func), .keyword(.mutating), .keyword(.extern):
                        return p.parseFunction().map { [.function($0)] } ?? []
                    default:
                        return nil
                    }
                })
        else { return nil }
        var fields: [FieldDecl] = []
        var inits: [FuncDecl] = []
        var methods: [FuncDecl] = []
        for m in members {
            switch m {
            case .field(let f): fields.append(f)
            case .function(let f) where f.isInit: inits.append(f)
            case .function(let f): methods.append(f)
            case .enumCase: break
            }
        }
        return NominalDecl(
            kind: kind, name: name, fields: fields, inits: inits, methods: methods, span: start.to(close))
    }

    /// A member of a type body.
    enum TypeMember {
        case field(FieldDecl)
        case function(FuncDecl)
        case enumCase(EnumCaseDecl)
    }

    /// `"{" { member } "}"` of a state, struct or enum, with recovery. `member` parses one
    /// member at the current token, or returns nil when the token cannot start one.
    /// Returns the members and the span of the closing brace.
    mutating func parseTypeBody(
        _ name: Identifier, expecting what: String, member: (inout Parser) -> [TypeMember]?
    ) -> ([TypeMember], SourceSpan)? {
        let open = tok.span
        guard expect(.lbrace, "'{' to begin the body of '\(name.name)'") else { return nil }
        var members: [TypeMember] = []
        var unclosed: (index: Int, diagnostics: Int, members: Int)?
        while !at(.rbrace) && !atEOF && !atTopLevelOnlyDeclaration {
            let before = index
            let errorsBefore = diagnostics.errorCount
            if unclosed == nil && atColumnOneDeclaration {
                unclosed = (index, diagnostics.all.count, members.count)
            }
            if let parsed = member(&self) {
                members += parsed
            } else {
                unexpectedToken(what)
            }
            if index == before || diagnostics.errorCount > errorsBefore {
                recoverInTypeBody(mustAdvance: index == before)
            } else {
                endDeclaration()
            }
        }
        if atEOF || atTopLevelOnlyDeclaration, let u = unclosed {
            // The body is not closed: it most likely ends before the first `func` in the first
            // column, which is then a top-level function. Parse from there again.
            rewind(to: u.index, diagnosticCount: u.diagnostics)
            members.removeSubrange(u.members...)
        }
        let close = tok.span
        expect(.rbrace, "'}' to end '\(name.name)'", notes: [DiagnosticNote("to match this '{'", at: open)])
        return (members, close)
    }

    /// Skip to the next member of a type body, or its closing `}`. `mustAdvance` skips at
    /// least one token (when the member consumed nothing); otherwise a member that starts
    /// the next line is kept.
    mutating func recoverInTypeBody(mustAdvance: Bool = true) {
        if at(.rbrace) { return }
        var nesting = 0
        if mustAdvance { advance() }
        while !atEOF {
            if nesting == 0 && at(.rbrace) { return }
            if nesting == 0 && tok.precededByNewline && atDeclarationStart { return }
            if at(.lbrace) { nesting += 1 }
            if at(.rbrace) { nesting -= 1 }
            advance()
        }
    }

    // field_decl = ( "let" | "var" ) identifier ( ":" type [ "=" expression ] | "=" expression ) ;
    mutating func parseField() -> FieldDecl? {
        let kw = advance()
        let isVar = kw.isKeyword(.var)
        guard let name = expectIdentifier("a field name") else { return nil }
        var type: TypeExpr?
        if eat(.colon) {
            type = parseType()
        } else if !at(.assign) {
            expected("':' and the type of field '\(name.name)', or '=' and its initial value")
            // `let length Int`: only the ':' is missing; keep the field so that uses do not cascade.
            guard identifierText != nil && !tok.precededByNewline else { return nil }
            type = parseType()
        }
        var initializer: Expr?
        if eat(.assign) { initializer = parseExpression() }
        return FieldDecl(
            isVar: isVar, name: name, type: type, initializer: initializer,
            span: kw.span.to(initializer?.span ?? type?.span ?? name.span))
    }

    // enum_decl      = "enum" identifier "{" { enum_member } "}" ;
    // enum_member    = enum_case_decl | func_decl ;
    // enum_case_decl = "case" enum_case { "," enum_case } ;
    mutating func parseEnum() -> EnumDecl? {
        let start = advance().span
        guard let name = expectIdentifier("a name for the enum") else { return nil }
        guard
            let (members, close) = parseTypeBody(
                name, expecting: "'case' or 'func' in enum '\(name.name)'",
                member: { p in
                    switch p.tok.kind {
                    case .keyword(.case):
                        p.advance()
                        var cases: [TypeMember] = []
                        repeat {
                            guard let c = p.parseEnumCase() else { break }
                            cases.append(.enumCase(c))
                        } while p.eat(.comma)
                        return cases
                    case .keyword(.func), .keyword(.mutating), .keyword(.extern):
                        return p.parseFunction().map { [.function($0)] } ?? []
                    default:
                        return nil
                    }
                })
        else { return nil }
        var cases: [EnumCaseDecl] = []
        var methods: [FuncDecl] = []
        for m in members {
            switch m {
            case .enumCase(let c): cases.append(c)
            case .function(let f): methods.append(f)
            case .field: break
            }
        }
        return EnumDecl(name: name, cases: cases, methods: methods, span: start.to(close))
    }

    // enum_case     = identifier [ "(" payload_field { "," payload_field } ")" ] ;
    // payload_field = [ identifier ":" ] type ;
    mutating func parseEnumCase() -> EnumCaseDecl? {
        guard let name = expectIdentifier("a case name") else { return nil }
        var payload: [PayloadField] = []
        var end = name.span
        if !tok.precededByNewline && eat(.lparen) {
            while !at(.rparen) && !atEOF {
                var label: Identifier?
                if let l = identifierText, peek().isPunct(.colon) {
                    label = Identifier(l, advance().span)
                    advance()
                }
                let before = index
                payload.append(PayloadField(label: label, type: parseType()))
                if index == before { break }
                if !eat(.comma) { break }
            }
            end = tok.span
            expect(.rparen, "')' to end the payload of case '\(name.name)'")
        }
        return EnumCaseDecl(name: name, payload: payload, span: name.span.to(end))
    }

    // func_decl  = { func_modifier } "func" identifier parameter_clause [ "->" type ] ( block | ) ;
    // init_decl  = "init" parameter_clause block ;
    // extern_init = "extern" "init" parameter_clause ;
    mutating func parseFunction() -> FuncDecl? {
        let start = tok.span
        var isMutating = false
        var isExtern = false
        while true {
            if eat(.mutating) {
                isMutating = true
            } else if at(.extern) {
                if !isStandardModule { report(.externOutsideStdlib, at: tok.span) }
                advance()
                isExtern = true
            } else {
                break
            }
        }
        let name: Identifier
        let isInit: Bool
        if at(.`init`) {
            name = Identifier("init", advance().span)
            isInit = true
        } else {
            guard eat(.func) else {
                expected("'func'")
                return nil
            }
            guard let n = expectIdentifier("a function name after 'func'") else { return nil }
            name = n
            isInit = false
        }
        guard let params = parseParameterClause() else { return nil }
        var result: TypeExpr?
        if !isInit && eat(.arrow) { result = parseType() }
        let headerSpan = start.to(previousEnd)
        var body: Block?
        if isExtern {
            if at(.lbrace) && !tok.precededByNewline { body = parseBlock() }
        } else if at(.lbrace) {
            body = parseBlock()
        } else {
            expected("'{' to begin the body of '\(name.name)'")
            return nil
        }
        return FuncDecl(
            name: name, params: params, result: result, body: body, isMutating: isMutating,
            isExtern: isExtern, isInit: isInit, span: start.to(body?.span ?? headerSpan), headerSpan: headerSpan)
    }

    // parameter_clause = "(" [ parameter { "," parameter } [ "," ] ] ")" ;
    mutating func parseParameterClause() -> [Param]? {
        guard expect(.lparen, "'(' to begin the parameter list") else { return nil }
        var params: [Param] = []
        while !at(.rparen) && !atEOF {
            guard let p = parseParameter() else {
                // Skip to the end of the list so the body can still be parsed.
                while !at(.rparen) && !at(.lbrace) && !atEOF { advance() }
                break
            }
            params.append(p)
            if !eat(.comma) { break }
        }
        guard expect(.rparen, "')' to end the parameter list") else {
            // `func f(_ x: Int -> Int {`: the rest of the header and the body still parse.
            return at(.lbrace) || at(.arrow) ? params : nil
        }
        return params
    }

    // parameter = [ identifier | "_" ] identifier ":" [ "inout" ] type [ "=" expression ] ;
    mutating func parseParameter() -> Param? {
        let start = tok.span
        let first: String
        switch tok.kind {
        case .identifier(let s):
            first = s
        case .keyword(let k) where isIdentifier(peek()) && peek(2).isPunct(.colon):
            // A keyword as argument label (`in entries: [Entry]`): reported, but the
            // parameter is kept so that the body and the calls do not cascade.
            expected("a parameter name")
            first = k.rawValue
        default:
            expected("a parameter name")
            return nil
        }
        advance()
        var label: String? = first == "_" ? nil : first
        var name = Identifier(first, start)
        if case .identifier(let second) = tok.kind {
            if second == "_" {
                expected("a parameter name")
                return nil
            }
            name = Identifier(second, advance().span)
        } else {
            if first == "_" {
                expected("a parameter name after '_'")
                // `_ : Int`: keep an unnamed parameter so that calls still match.
                guard at(.colon) else { return nil }
            } else {
                label = first
            }
        }
        if !expect(.colon, "':' and the type of parameter '\(name.name)'") {
            // `_ value Int`: only the ':' is missing; keep the parameter.
            guard !tok.precededByNewline && (identifierText != nil || at(.lbracket)) else { return nil }
        }
        let isInout = eat(.inout)
        let type = parseType()
        var defaultValue: Expr?
        if eat(.assign) { defaultValue = parseExpression() }
        return Param(
            label: label, name: name, type: type, isInout: isInout, defaultValue: defaultValue,
            span: start.to(defaultValue?.span ?? type.span))
    }
}

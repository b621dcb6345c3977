// The parser: tokens to AST, by recursive descent.
//
// Each `parse…` function implements one rule of Grammar/Cleave.ebnf, quoted in
// the comment above it. The parser never stops at the first error: every error
// is recorded as a diagnostic, the function that found it returns an `.error`
// node (or whatever it could build), and the statement and declaration loops
// resynchronize at the next line that can start a statement or declaration.
// A token that nothing could consume is skipped, so the parser always makes
// progress and always terminates.
//
// Infrastructure lives in this file; declarations, statements, expressions and
// types each have a file of their own (`Parse*.swift`).

import CleaveDiagnostics

public struct Parser {
    var tokens: [Token]
    var index = 0
    var diagnostics = Diagnostics()
    let isStandardModule: Bool
    /// Nesting depth of expressions, blocks and types: parentheses, brackets, argument
    /// lists, closures, blocks, interpolations, prefix operators, the branches of `? :` and
    /// the right side of `??`. Bounded so that hostile input cannot exhaust the stack.
    var depth = 0
    static let maxDepth = 256
    /// The most tokens generic arguments in an expression may span (`genericArgumentsMayFollow`).
    static let genericLookLimit = 1024
    /// The operations of the chains being parsed, added up over the nesting: left-associative
    /// operators and postfix suffixes (`.f`, `(…)`, `[…]`, `!`). A chain is no nesting in the
    /// source, but it is in the tree (`a + b + c` is `(a + b) + c`), and the phases after the
    /// parser recurse over the tree: the compiler runs on a stack sized for chains this long.
    var chainLength = 0
    static let maxChainLength = 30_000
    /// Trailing closures are not allowed in conditions (`if x == y { … }`).
    var allowTrailingClosure = true
    /// The token index of the last error reported, to avoid piling up errors at one spot.
    var lastErrorIndex = -1
    /// Offsets of characters the lexer reported and skipped (`@`, `“`): a statement that
    /// contains one is broken even when its remaining tokens parse (see `claimStrayCharacter`).
    var strayCharacters: [Int] = []
    /// How "found …" names the end of the tokens: the end of the file, or of an interpolation.
    var endOfInput = "end of file"
    /// After "nested too deeply" (or "too long"), every level being unwound would report its
    /// own missing ')' or '}': errors stay quiet until the statement or declaration is over.
    var unwindingTooDeep = false

    init(tokens: [Token], isStandardModule: Bool) {
        self.tokens = tokens
        self.isStandardModule = isStandardModule
    }

    /// Parse one file. Diagnostics include the lexer's.
    public static func parse(_ file: SourceFile, isStandardModule: Bool = false) -> (FileAST, [Diagnostic]) {
        var lexer = Lexer(file: file)
        let tokens = lexer.tokenize()
        var parser = Parser(tokens: tokens, isStandardModule: isStandardModule)
        parser.strayCharacters = lexer.diagnostics.all.filter { $0.id == "unexpected-character" }.compactMap { $0.span?.start }
        let decls = parser.parseFile()
        // Each interpolation parses one level deeper than the expression around it, so a literal
        // that the lexer found nested too deeply is reported by the parser first, at a shallower
        // level of the same literal, whenever the parser reads it; the lexer's report is then
        // the same problem again.
        let tooDeep = parser.diagnostics.all.filter { $0.id == DiagnosticMessage.nestedTooDeeply.id }.compactMap { $0.span?.start }
        let lexerDiagnostics = lexer.diagnostics.all.filter { d in
            guard d.id == DiagnosticMessage.nestedTooDeeply.id, let at = d.span?.start,
                let literal = tokens.first(where: { $0.span.start <= at && at < $0.span.end })
            else { return true }
            return !tooDeep.contains { literal.span.start <= $0 && $0 < literal.span.end }
        }
        return (FileAST(file: file, decls: decls), lexerDiagnostics + parser.diagnostics.all)
    }

    // MARK: Token access

    var tok: Token { tokens[index] }
    func peek(_ n: Int = 1) -> Token { tokens[min(index + n, tokens.count - 1)] }
    var atEOF: Bool { tok.kind == .eof }
    var previousEnd: SourceSpan {
        index > 0 ? tokens[index - 1].span.endPoint : tok.span.startPoint
    }

    @discardableResult
    mutating func advance() -> Token {
        let t = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return t
    }

    func at(_ p: Punct) -> Bool { tok.isPunct(p) }
    func at(_ k: Keyword) -> Bool { tok.isKeyword(k) }

    mutating func eat(_ p: Punct) -> Bool {
        if at(p) {
            advance()
            return true
        }
        return false
    }

    mutating func eat(_ k: Keyword) -> Bool {
        if at(k) {
            advance()
            return true
        }
        return false
    }

    /// The identifier at the current token, if any (not `_`).
    var identifierText: String? {
        if case .identifier(let s) = tok.kind, s != "_" { return s }
        return nil
    }

    // MARK: Errors

    mutating func report(_ m: DiagnosticMessage, at span: SourceSpan, notes: [DiagnosticNote] = [], fixIts: [FixIt] = []) {
        if m.severity == .error {
            if lastErrorIndex == index || unwindingTooDeep { return }
            lastErrorIndex = index
        }
        diagnostics.append(Diagnostic(m, at: span, notes: notes, fixIts: fixIts))
        if m == .nestedTooDeeply || m == .expressionTooLong { unwindingTooDeep = true }
    }

    /// Report "expected X, found Y" at the current token; a missing token at the end
    /// of a line is reported right after the previous token, where it belongs.
    mutating func expected(_ what: String, notes: [DiagnosticNote] = []) {
        let span = (tok.precededByNewline || atEOF) && index > 0 ? previousEnd : tok.span
        let found = atEOF ? endOfInput : tok.precededByNewline ? "end of line" : tok.quoted
        report(.expected(what, found: found), at: span, notes: notes)
    }

    /// Report "expected X, found Y" at the current token when that token is itself the
    /// mistake (it cannot start a declaration, member, case or statement), also at the
    /// start of a line, where `expected` would point after the previous token instead.
    mutating func unexpectedToken(_ what: String) {
        report(.expected(what, found: atEOF ? endOfInput : tok.quoted), at: tok.span)
    }

    /// `struct`, `state`, `enum` or `import` starting a line: never a member of a type body,
    /// so a body that meets one was not closed.
    var atTopLevelOnlyDeclaration: Bool {
        guard tok.precededByNewline, case .keyword(let k) = tok.kind else { return false }
        return [.state, .struct, .enum, .import].contains(k)
    }

    /// A declaration keyword (`func`, `struct`, …) in the first column of a line: a top-level
    /// declaration, after a block (or type body) that was not closed.
    var atColumnOneDeclaration: Bool {
        guard tok.precededByNewline, case .keyword(let k) = tok.kind,
            [.func, .mutating, .state, .struct, .enum, .import].contains(k)
        else { return false }
        return tok.span.file.lineAndColumn(of: tok.span.start).column == 1
    }

    /// Go back to token `index`, forgetting the diagnostics reported after the first `count`.
    mutating func rewind(to index: Int, diagnosticCount count: Int) {
        self.index = index
        var kept = Diagnostics()
        kept.append(contentsOf: Array(diagnostics.all.prefix(count)))
        diagnostics = kept
        lastErrorIndex = -1
    }

    /// Consume `p` or report it missing (without consuming anything).
    @discardableResult
    mutating func expect(_ p: Punct, _ what: String? = nil, notes: [DiagnosticNote] = []) -> Bool {
        if eat(p) { return true }
        expected(what ?? "'\(p.rawValue)'", notes: notes)
        return false
    }

    mutating func expectIdentifier(_ what: String) -> Identifier? {
        if let s = identifierText {
            return Identifier(s, advance().span)
        }
        expected(what)
        return nil
    }

    /// Enter one level of nesting; false (after reporting) when the input nests too deeply.
    mutating func enter() -> Bool {
        depth += 1
        if depth > Parser.maxDepth {
            report(.nestedTooDeeply, at: tok.span)
            return false
        }
        return true
    }
    mutating func leave() { depth -= 1 }

    /// Add one operation to the chains being parsed; false (after reporting) when they are
    /// too long. The caller takes its operations off `chainLength` when its chain ends.
    mutating func extendChain() -> Bool {
        chainLength += 1
        if chainLength > Parser.maxChainLength {
            report(.expressionTooLong, at: tok.span)
            return false
        }
        return true
    }

    /// Run `body` speculatively: if it returns nil, the parser is restored as it was.
    mutating func speculate<T>(_ body: (inout Parser) -> T?) -> T? {
        let savedIndex = index
        let savedDiagnostics = diagnostics
        let savedTokens = tokens
        let savedLastError = lastErrorIndex
        let savedUnwinding = unwindingTooDeep
        if let result = body(&self), diagnostics.all.count == savedDiagnostics.all.count {
            return result
        }
        index = savedIndex
        diagnostics = savedDiagnostics
        tokens = savedTokens
        lastErrorIndex = savedLastError
        unwindingTooDeep = savedUnwinding
        return nil
    }

    /// Skip to where a new statement can start: a token on a new line, a `;`, or the
    /// `}` that closes the current block. Balanced brackets are skipped whole.
    /// `mustAdvance` skips at least one token (when the statement consumed nothing).
    mutating func skipToStatementBoundary(mustAdvance: Bool = true) {
        var nesting = 0
        var first = mustAdvance
        while !atEOF {
            if nesting == 0 && !first && tok.precededByNewline { return }
            if nesting == 0 && at(.rbrace) { return }
            if nesting == 0 && at(.semicolon) {
                advance()
                return
            }
            if at(.lbrace) || at(.lparen) || at(.lbracket) { nesting += 1 }
            if (at(.rbrace) || at(.rparen) || at(.rbracket)) && nesting > 0 { nesting -= 1 }
            advance()
            first = false
        }
    }

    /// Whether a skipped character lies in the statement that began at offset `start` and
    /// ended with the previous token (or later on that token's line); it is then claimed,
    /// so an enclosing statement does not count it again.
    mutating func claimStrayCharacter(from start: Int) -> Bool {
        guard !strayCharacters.isEmpty, index > 0 else { return false }
        let end = previousEnd
        let endLine = end.file.lineAndColumn(of: end.start).line
        guard
            let i = strayCharacters.firstIndex(where: { offset in
                offset >= start && offset < tok.span.start
                    && (offset < end.start || end.file.lineAndColumn(of: offset).line == endLine)
            })
        else { return false }
        strayCharacters.remove(at: i)
        return true
    }

    /// Split a two-character token `p` at the current position into two one-character
    /// tokens `piece`: `>>` into `>` `>` (closing nested generic arguments), `??` into `?` `?`.
    mutating func splitToken(_ p: Punct, into piece: Punct) {
        guard at(p) else { return }
        let t = tok
        let first = Token(
            kind: .punct(piece), span: SourceSpan(file: t.span.file, start: t.span.start, end: t.span.start + 1),
            precededByNewline: t.precededByNewline)
        let second = Token(
            kind: .punct(piece), span: SourceSpan(file: t.span.file, start: t.span.start + 1, end: t.span.end),
            precededByNewline: false)
        tokens.replaceSubrange(index...index, with: [first, second])
    }
}

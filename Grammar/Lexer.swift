// The lexer: bytes to tokens.
//
// Cleave's lexical grammar is the LEXICAL part of Cleave.ebnf. The lexer is a
// single forward scan over the file's UTF-8 bytes that produces the whole token
// array up front; the parser then walks that array with arbitrary look-ahead,
// which keeps the parser's speculative decisions (generic arguments in
// expressions, `[Int]()`) simple.
//
// Line breaks are not tokens. Instead every token remembers whether a line break
// came before it (`precededByNewline`), which is all the parser needs to end
// statements at the end of a line and to keep `f\n(x)` from being read as a call.
//
// String literals with interpolation are lexed into one token whose payload is a
// list of segments: literal bytes and the token lists of the embedded
// expressions, lexed recursively. The parser parses each embedded token list as
// an expression. Interpolations inside interpolations count as nesting, with the
// parser's limit (`Parser.maxDepth`) and its diagnostic, so that no input lexes
// deeper than the parser would go on its own.
//
// Errors (an unknown character, an unterminated string or comment, a malformed
// number) are reported as diagnostics, and the lexer carries on: an unknown
// character is skipped, an unterminated string ends at the line end.

import CleaveDiagnostics

public enum TokenKind: Equatable, Sendable {
    case identifier(String)
    case keyword(Keyword)
    case integer(String)  // the digits as written, without `_`, with any 0x/0b/0o prefix
    case float(String)
    case string([StringSegment])
    case anonParam(Int)  // $0
    case punct(Punct)
    case eof
}

public enum StringSegment: Equatable, Sendable {
    case bytes([UInt8])
    case interpolation([Token], SourceSpan)
}

public enum Keyword: String, CaseIterable, Sendable {
    case `break`, `case`, `continue`, `default`, `else`, `enum`, `extern`, `false`, `for`,
        `func`, `guard`, `if`, `import`, `in`, `init`, `inout`, `let`, `loop`, `mutating`,
        `nil`, `return`, `self`, `state`, `struct`, `switch`, `true`, `var`, `where`, `while`
}

public enum Punct: String, CaseIterable, Sendable {
    // Longest first where prefixes overlap; `lex` tries them in this order.
    case wrapAddAssign = "&+="
    case wrapSubAssign = "&-="
    case wrapMulAssign = "&*="
    case shlAssign = "<<="
    case shrAssign = ">>="
    case halfOpen = "..<"
    case closed = "..."
    case arrow = "->"
    case wrapAdd = "&+"
    case wrapSub = "&-"
    case wrapMul = "&*"
    case shl = "<<"
    case shr = ">>"
    case eq = "=="
    case ne = "!="
    case le = "<="
    case ge = ">="
    case andAnd = "&&"
    case orOr = "||"
    case coalesce = "??"
    case addAssign = "+="
    case subAssign = "-="
    case mulAssign = "*="
    case divAssign = "/="
    case modAssign = "%="
    case andAssign = "&="
    case orAssign = "|="
    case xorAssign = "^="
    case plus = "+"
    case minus = "-"
    case star = "*"
    case slash = "/"
    case percent = "%"
    case amp = "&"
    case pipe = "|"
    case caret = "^"
    case tilde = "~"
    case bang = "!"
    case lt = "<"
    case gt = ">"
    case assign = "="
    case question = "?"
    case dot = "."
    case comma = ","
    case colon = ":"
    case semicolon = ";"
    case lparen = "("
    case rparen = ")"
    case lbracket = "["
    case rbracket = "]"
    case lbrace = "{"
    case rbrace = "}"
}

public struct Token: Equatable, Sendable {
    public let kind: TokenKind
    public let span: SourceSpan
    /// A line break (or the start of the file) lies between the previous token and this one.
    public let precededByNewline: Bool

    public init(kind: TokenKind, span: SourceSpan, precededByNewline: Bool) {
        self.kind = kind
        self.span = span
        self.precededByNewline = precededByNewline
    }

    public func isPunct(_ p: Punct) -> Bool { kind == .punct(p) }
    public func isKeyword(_ k: Keyword) -> Bool { kind == .keyword(k) }

    /// How the token reads in a message: `'foo'`, `'{'`, `end of file`.
    public var quoted: String {
        switch kind {
        case .identifier(let s): "'\(s)'"
        case .keyword(let k): "'\(k.rawValue)'"
        case .integer(let s), .float(let s): "'\(s)'"
        case .string: "string literal"
        case .anonParam(let n): "'$\(n)'"
        case .punct(let p): "'\(p.rawValue)'"
        case .eof: "end of file"
        }
    }
}

public struct Lexer {
    let file: SourceFile
    let bytes: [UInt8]
    var pos: Int
    let end: Int
    /// How many string interpolations the lexed range lies inside.
    let interpolationDepth: Int
    public private(set) var diagnostics = Diagnostics()

    public init(file: SourceFile) {
        self.init(file: file, start: 0, end: file.text.count, interpolationDepth: 0)
    }

    init(file: SourceFile, start: Int, end: Int, interpolationDepth: Int) {
        self.file = file
        self.bytes = file.text
        self.pos = start
        self.end = end
        self.interpolationDepth = interpolationDepth
    }

    /// Lex the whole range; the last token is `.eof`.
    public mutating func tokenize() -> [Token] {
        var tokens: [Token] = []
        var newline = true
        while true {
            newline = skipTrivia() || newline
            guard pos < end else {
                tokens.append(Token(kind: .eof, span: span(pos, pos), precededByNewline: true))
                return tokens
            }
            if let kind = lexToken() {
                tokens.append(Token(kind: kind.0, span: span(kind.1, pos), precededByNewline: newline))
                newline = false
            }
        }
    }

    private func span(_ s: Int, _ e: Int) -> SourceSpan { SourceSpan(file: file, start: s, end: e) }
    private func peek(_ k: Int = 0) -> UInt8 { pos + k < end ? bytes[pos + k] : 0 }

    /// Skip white space and comments; true when a line break was skipped.
    private mutating func skipTrivia() -> Bool {
        var sawNewline = false
        while pos < end {
            let c = bytes[pos]
            if c == ascii("\n") {
                sawNewline = true
                pos += 1
            } else if c == ascii(" ") || c == ascii("\t") || c == ascii("\r") {
                pos += 1
            } else if c == ascii("/") && peek(1) == ascii("/") {
                while pos < end && bytes[pos] != ascii("\n") { pos += 1 }
            } else if c == ascii("/") && peek(1) == ascii("*") {
                let start = pos
                pos += 2
                var depth = 1
                while pos < end && depth > 0 {
                    if bytes[pos] == ascii("/") && peek(1) == ascii("*") {
                        depth += 1
                        pos += 2
                    } else if bytes[pos] == ascii("*") && peek(1) == ascii("/") {
                        depth -= 1
                        pos += 2
                    } else {
                        if bytes[pos] == ascii("\n") { sawNewline = true }
                        pos += 1
                    }
                }
                if depth > 0 {
                    diagnostics.error(.unterminatedComment, at: span(start, start + 2))
                }
            } else {
                break
            }
        }
        return sawNewline
    }

    /// Every punctuator with its bytes, in `Punct.allCases` order (longest first where prefixes
    /// overlap), made once: a token is matched against them without building anything.
    private static let punctuators: [(Punct, [UInt8])] = Punct.allCases.map { ($0, Array($0.rawValue.utf8)) }

    private mutating func lexToken() -> (TokenKind, Int)? {
        let start = pos
        let c = bytes[pos]
        if isIdentHead(c) {
            while pos < end && isIdentChar(bytes[pos]) { pos += 1 }
            let text = String(decoding: bytes[start..<pos], as: UTF8.self)
            if let k = Keyword(rawValue: text) { return (.keyword(k), start) }
            return (.identifier(text), start)
        }
        if isDigit(c) { return (lexNumber(), start) }
        if c == ascii("$") && isDigit(peek(1)) {
            pos += 1
            var n = 0
            while pos < end && isDigit(bytes[pos]) {
                n = min(n * 10 + Int(bytes[pos] - ascii("0")), 1_000_000)
                pos += 1
            }
            return (.anonParam(n), start)
        }
        if c == ascii("\"") { return (lexString(), start) }
        for (p, raw) in Self.punctuators where raw[0] == c && pos + raw.count <= end {
            if raw.indices.dropFirst().allSatisfy({ bytes[pos + $0] == raw[$0] }) {
                pos += raw.count
                return (.punct(p), start)
            }
        }
        // Skip one whole UTF-8 sequence so the message names the character.
        pos += 1
        while pos < end && bytes[pos] & 0xC0 == 0x80 { pos += 1 }
        let text = String(decoding: bytes[start..<pos], as: UTF8.self)
        diagnostics.error(.unexpectedCharacter(text), at: span(start, pos))
        return nil
    }

    private mutating func lexNumber() -> TokenKind {
        let start = pos
        var radix = 10
        if bytes[pos] == ascii("0") {
            switch peek(1) {
            case ascii("x"): radix = 16
            case ascii("b"): radix = 2
            case ascii("o"): radix = 8
            default: break
            }
        }
        if radix != 10 {
            pos += 2
            var digits = ""
            while pos < end && (isIdentChar(bytes[pos])) {
                let d = bytes[pos]
                if d != ascii("_") {
                    if digitValue(d) >= radix {
                        diagnostics.error(
                            .invalidDigit(String(UnicodeScalar(d)), radix), at: span(pos, pos + 1))
                        // Keep the literal's value readable so no "overflow" follows from the bad digit.
                        digits.append("0")
                    } else {
                        digits.append(Character(UnicodeScalar(d)))
                    }
                }
                pos += 1
            }
            if digits.isEmpty {
                diagnostics.error(.missingDigits, at: span(start, pos))
                digits = "0"
            }
            let prefix = radix == 16 ? "0x" : radix == 2 ? "0b" : "0o"
            return .integer(prefix + digits)
        }
        var text = ""
        var isFloat = false
        func digits(_ s: inout String, _ p: inout Int, _ b: [UInt8], _ e: Int) {
            while p < e && (isDigit(b[p]) || b[p] == ascii("_")) {
                if b[p] != ascii("_") { s.append(Character(UnicodeScalar(b[p]))) }
                p += 1
            }
        }
        digits(&text, &pos, bytes, end)
        if peek() == ascii(".") && isDigit(peek(1)) {
            isFloat = true
            text.append(".")
            pos += 1
            digits(&text, &pos, bytes, end)
        }
        if peek() == ascii("e") || peek() == ascii("E") {
            let save = pos
            var exp = "e"
            pos += 1
            if peek() == ascii("+") || peek() == ascii("-") {
                exp.append(Character(UnicodeScalar(peek())))
                pos += 1
            }
            if isDigit(peek()) {
                isFloat = true
                digits(&exp, &pos, bytes, end)
                text += exp
            } else {
                pos = save
            }
        }
        // A letter glued to a number (`12abc`) is a malformed literal, not two tokens.
        if pos < end && isIdentHead(bytes[pos]) {
            let s = pos
            while pos < end && isIdentChar(bytes[pos]) { pos += 1 }
            diagnostics.error(
                .invalidNumberSuffix(String(decoding: bytes[s..<pos], as: UTF8.self)), at: span(s, pos))
        }
        return isFloat ? .float(text) : .integer(text)
    }

    /// string_literal = '"' { string_item } '"' ;
    private mutating func lexString() -> TokenKind {
        let start = pos
        pos += 1
        var segments: [StringSegment] = []
        var current: [UInt8] = []
        while true {
            guard pos < end, bytes[pos] != ascii("\n") else {
                diagnostics.error(.unterminatedString, at: span(start, start + 1))
                break
            }
            let c = bytes[pos]
            if c == ascii("\"") {
                pos += 1
                break
            }
            if c != ascii("\\") {
                current.append(c)
                pos += 1
                continue
            }
            let escStart = pos
            pos += 1
            // A `\` that ends the line (or the file) escapes nothing: the string is unterminated.
            guard pos < end, bytes[pos] != ascii("\n") else { continue }
            let e = peek()
            pos += 1
            switch e {
            case ascii("\\"): current.append(ascii("\\"))
            case ascii("\""): current.append(ascii("\""))
            case ascii("'"): current.append(ascii("'"))
            case ascii("n"): current.append(ascii("\n"))
            case ascii("r"): current.append(ascii("\r"))
            case ascii("t"): current.append(ascii("\t"))
            case ascii("0"): current.append(0)
            case ascii("x"):
                let h = digitValue(peek())
                let l = digitValue(peek(1))
                if h < 16 && l < 16 {
                    current.append(UInt8(h * 16 + l))
                    pos += 2
                } else {
                    diagnostics.error(.invalidEscape("\\x"), at: span(escStart, pos))
                }
            case ascii("u"):
                guard peek() == ascii("{") else {
                    diagnostics.error(.invalidEscape("\\u"), at: span(escStart, pos))
                    continue
                }
                pos += 1
                var value: UInt32 = 0
                var count = 0
                while pos < end && digitValue(bytes[pos]) < 16 {
                    value = value &* 16 &+ UInt32(digitValue(bytes[pos]))
                    count += 1
                    pos += 1
                }
                if peek() == ascii("}") && count >= 1 && count <= 8, let scalar = Unicode.Scalar(value) {
                    pos += 1
                    current.append(contentsOf: Array(String(Character(scalar)).utf8))
                } else {
                    if peek() == ascii("}") { pos += 1 }
                    diagnostics.error(.invalidUnicodeEscape, at: span(escStart, pos))
                }
            case ascii("("):
                // Interpolation: find the matching ')' (strings inside are skipped whole).
                let exprStart = pos
                var depth = 1
                var inString = false
                while pos < end && bytes[pos] != ascii("\n") {
                    let b = bytes[pos]
                    if inString {
                        if b == ascii("\\") {
                            // Skip the escaped character, but never a line break or the end.
                            if pos + 1 < end && bytes[pos + 1] != ascii("\n") { pos += 1 }
                        } else if b == ascii("\"") {
                            inString = false
                        }
                    } else if b == ascii("\"") {
                        inString = true
                    } else if b == ascii("(") {
                        depth += 1
                    } else if b == ascii(")") {
                        depth -= 1
                        if depth == 0 { break }
                    }
                    pos += 1
                }
                guard depth == 0 && pos < end && bytes[pos] == ascii(")") else {
                    diagnostics.error(.unterminatedInterpolation, at: span(escStart, escStart + 2))
                    // Read the rest as plain text, so that the string still ends at its closing
                    // quote and the tokens after it (`print("\(x")`) are not swallowed.
                    pos = exprStart
                    continue
                }
                // One level too deep: report it and leave the interpolation out of the literal, so
                // that the deeper levels are never lexed and the parser sees a well-formed string.
                guard interpolationDepth < Parser.maxDepth else {
                    diagnostics.error(.nestedTooDeeply, at: span(escStart, escStart + 2))
                    pos += 1
                    continue
                }
                var inner = Lexer(file: file, start: exprStart, end: pos, interpolationDepth: interpolationDepth + 1)
                let tokens = inner.tokenize()
                diagnostics.append(contentsOf: inner.diagnostics.all)
                if !current.isEmpty {
                    segments.append(.bytes(current))
                    current = []
                }
                segments.append(.interpolation(tokens, span(escStart, pos + 1)))
                pos += 1
            default:
                diagnostics.error(.invalidEscape("\\" + String(UnicodeScalar(e))), at: span(escStart, pos))
            }
        }
        if !current.isEmpty || segments.isEmpty { segments.append(.bytes(current)) }
        return .string(segments)
    }
}

@inline(__always) func ascii(_ s: Unicode.Scalar) -> UInt8 { UInt8(s.value) }
@inline(__always) func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
@inline(__always) func isIdentHead(_ c: UInt8) -> Bool {
    (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95
}
@inline(__always) func isIdentChar(_ c: UInt8) -> Bool { isIdentHead(c) || isDigit(c) }
func digitValue(_ c: UInt8) -> Int {
    switch c {
    case 48...57: Int(c - 48)
    case 65...70: Int(c - 55)
    case 97...102: Int(c - 87)
    default: 99
    }
}

// Messages of the lexer and the parser, sorted by id.

import CleaveDiagnostics

extension DiagnosticMessage {
    static let consecutiveStatements = error(
        "consecutive-statements", "consecutive statements on a line must be separated by ';'")
    static func expected(_ what: String, found: String) -> DiagnosticMessage {
        error("expected", "expected \(what), found \(found)")
    }
    static let expressionTooLong = error(
        "expression-too-long",
        "expression is too long (more than \(Parser.maxChainLength) operators, calls, subscripts and member accesses in a row)")
    static let externOutsideStdlib = error(
        "extern-outside-stdlib", "'extern' declarations are only allowed in Cleave's standard modules")
    static func invalidDigit(_ d: String, _ radix: Int) -> DiagnosticMessage {
        error("invalid-digit", "'\(d)' is not a valid digit in a base-\(radix) integer literal")
    }
    static func invalidEscape(_ e: String) -> DiagnosticMessage {
        error("invalid-escape", "invalid escape sequence '\(e)' in string literal")
    }
    static func invalidNumberSuffix(_ s: String) -> DiagnosticMessage {
        error("invalid-number-suffix", "'\(s)' is not a valid suffix of a number literal")
    }
    static let invalidUnicodeEscape = error(
        "invalid-unicode-escape", "invalid Unicode scalar in '\\u{…}' escape")
    static let missingDigits = error("missing-digits", "integer literal has a prefix but no digits")
    static let noCasts = error(
        "no-casts", "'as' casts are not part of Cleave; convert with an initializer such as 'Int(x)' or 'UInt8(x)'")
    static func noIncrement(_ replacement: String) -> DiagnosticMessage {
        error("no-increment", "'++' and '--' are not operators in Cleave; write 'x \(replacement) 1'")
    }
    static let noOptionalChaining = error(
        "no-optional-chaining", "optional chaining '?.' is not part of Cleave; unwrap with 'if let', 'guard let' or '??'")
    static let nestedTooDeeply = error(
        "nested-too-deeply", "expression or block is nested too deeply (more than \(Parser.maxDepth) levels)")
    static let returnValueOnNextLine = warning(
        "return-value-on-next-line",
        "expression after 'return' is on the next line and is not returned")
    static func unexpectedCharacter(_ c: String) -> DiagnosticMessage {
        error("unexpected-character", "unexpected character '\(c)' in source")
    }
    static let unterminatedComment = error("unterminated-comment", "unterminated '/*' comment")
    static let unterminatedInterpolation = error(
        "unterminated-interpolation", "unterminated string interpolation: missing ')'")
    static let unterminatedString = error("unterminated-string", "unterminated string literal")
}

// Tests of the lexer (the LEXICAL part of Grammar/Cleave.ebnf): every token kind,
// keywords, number and string forms, comments, line-break flags and the errors
// the lexer reports, with their positions.

import CleaveDiagnostics
import CleaveGrammar
import Foundation
import Testing

// MARK: - Helpers

/// Lex `text` as the file `test.clv`.
func lex(_ text: String) -> (tokens: [Token], diagnostics: [Diagnostic]) {
    var lexer = Lexer(file: SourceFile(path: "test.clv", text: text))
    let tokens = lexer.tokenize()
    return (tokens, lexer.diagnostics.all)
}

/// The kinds of the tokens of `text`, without the final `.eof`.
func kinds(_ text: String) -> [TokenKind] {
    let (tokens, _) = lex(text)
    #expect(tokens.last?.kind == .eof)
    return tokens.dropLast().map(\.kind)
}

/// The one token `text` lexes to (and that there are no diagnostics).
func single(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> TokenKind? {
    let (tokens, diags) = lex(text)
    #expect(diags.isEmpty, "unexpected diagnostics: \(diags.map(\.message))", sourceLocation: sourceLocation)
    #expect(tokens.count == 2, "expected one token, got \(tokens.map(\.kind))", sourceLocation: sourceLocation)
    return tokens.first?.kind
}

/// The bytes of a string literal without interpolation.
func stringBytes(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> [UInt8]? {
    guard case .string(let segments)? = single(text, sourceLocation: sourceLocation) else { return nil }
    guard segments.count == 1, case .bytes(let b) = segments[0] else { return nil }
    return b
}

/// (id, line, column) of each diagnostic.
func positions(_ diags: [Diagnostic]) -> [String] {
    diags.map { "\($0.id)@\($0.span?.line ?? 0):\($0.span?.column ?? 0)" }
}

func id(_ s: String) -> TokenKind { .identifier(s) }

/// Grammar/Cleave.ebnf, found from this file's path.
enum Grammar {
    static let path: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/") + "/Grammar/Cleave.ebnf"
    }()

    static func text() throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    /// The double-quoted terminals of one rule (`name = … ;`), comments removed.
    static func quotedStrings(ofRule name: String) throws -> [String] {
        let text = try self.text()
        guard let start = text.range(of: "\n" + name + " ") else { return [] }
        var rest = text[start.upperBound...]
        rest = rest[rest.firstIndex(of: "=")!...]
        var body = ""
        var inQuote = false
        var i = rest.startIndex
        while i < rest.endIndex {
            let c = rest[i]
            if !inQuote && rest[i...].hasPrefix("(*") {
                i = rest[i...].range(of: "*)")!.upperBound
                continue
            }
            if c == "\"" { inQuote.toggle() }
            if c == ";" && !inQuote { break }
            body.append(c)
            i = rest.index(after: i)
        }
        return body.matches(of: #/"([^"]+)"/#).map { String($0.1) }
    }
}

// MARK: - Punctuation and operators

// operator = "+" | "-" | … ;
@Suite struct PunctuationTests {
    @Test(arguments: Punct.allCases)
    func everyPunctuatorLexesAlone(_ p: Punct) {
        #expect(single(p.rawValue) == .punct(p))
    }

    /// The operator list of Cleave.ebnf (plus its punctuation): the lexer must know every one, and no other.
    @Test func grammarOperatorsAndPunctuationAreAllTokens() throws {
        let grammar = try Grammar.quotedStrings(ofRule: "operator")
        #expect(grammar.count > 40)
        let punctuation = [".", ",", ":", ";", "(", ")", "[", "]", "{", "}"]
        #expect(Set(grammar + punctuation) == Set(Punct.allCases.map(\.rawValue)))
        for op in grammar + punctuation {
            #expect(Punct(rawValue: op).map { single(op) == .punct($0) } == true, "operator \(op)")
        }
    }

    @Test(
        arguments: [
            ("a<<=b", [id("a"), .punct(.shlAssign), id("b")]),
            ("a>>=b", [id("a"), .punct(.shrAssign), id("b")]),
            ("a<<b", [id("a"), .punct(.shl), id("b")]),
            ("a<=b", [id("a"), .punct(.le), id("b")]),
            ("a<b", [id("a"), .punct(.lt), id("b")]),
            ("0..<n", [.integer("0"), .punct(.halfOpen), id("n")]),
            ("0...n", [.integer("0"), .punct(.closed), id("n")]),
            ("a&&b", [id("a"), .punct(.andAnd), id("b")]),
            ("a&+b", [id("a"), .punct(.wrapAdd), id("b")]),
            ("a&=b", [id("a"), .punct(.andAssign), id("b")]),
            ("a&b", [id("a"), .punct(.amp), id("b")]),
            ("a!=b", [id("a"), .punct(.ne), id("b")]),
            ("a!==b", [id("a"), .punct(.ne), .punct(.assign), id("b")]),
            ("a!", [id("a"), .punct(.bang)]),
            ("a??b", [id("a"), .punct(.coalesce), id("b")]),
            ("a?", [id("a"), .punct(.question)]),
            ("->>", [.punct(.arrow), .punct(.gt)]),
            ("a.b", [id("a"), .punct(.dot), id("b")]),
            ("....", [.punct(.closed), .punct(.dot)]),
            ("&inout", [.punct(.amp), .keyword(.inout)]),
        ] as [(String, [TokenKind])])
    func longestMatchWins(_ text: String, _ expected: [TokenKind]) {
        #expect(kinds(text) == expected)
    }
}

// MARK: - Identifiers and keywords

// identifier = ident_head { ident_char } ; keyword = … ; anon_param = "$" digit { digit } ;
@Suite struct IdentifierTests {
    @Test(arguments: Keyword.allCases)
    func everyKeywordLexesAsKeyword(_ k: Keyword) {
        #expect(single(k.rawValue) == .keyword(k))
    }

    /// The keyword list of Cleave.ebnf.
    @Test func keywordsAreThoseOfTheGrammar() throws {
        let grammar = try Grammar.quotedStrings(ofRule: "keyword")
        #expect(grammar.contains("while") && grammar.contains("inout"))
        #expect(Set(Keyword.allCases.map(\.rawValue)) == Set(grammar))
    }

    @Test(arguments: ["x", "_", "_x", "x_1", "letter", "lets", "self_", "Int", "UInt8", "iff", "_0", "inits", "A9z"])
    func identifiers(_ text: String) {
        #expect(single(text) == .identifier(text))
    }

    @Test func keywordPrefixDoesNotSplitAnIdentifier() {
        #expect(kinds("iflet forx in_") == [id("iflet"), id("forx"), id("in_")])
        #expect(kinds("if let") == [.keyword(.if), .keyword(.let)])
    }

    @Test(arguments: [("$0", 0), ("$1", 1), ("$12", 12), ("$007", 7)])
    func anonymousParameters(_ text: String, _ n: Int) {
        #expect(single(text) == .anonParam(n))
    }

    @Test func dollarWithoutDigitIsAnError() {
        let (tokens, diags) = lex("$x")
        #expect(tokens.map(\.kind) == [id("x"), .eof])
        #expect(positions(diags) == ["unexpected-character@1:1"])
        #expect(diags.first?.message.contains("'$'") == true)
    }

    @Test func spansOfIdentifiers() {
        let (tokens, _) = lex("foo  bar\n  baz")
        #expect(tokens.map { [$0.span.start, $0.span.end] } == [[0, 3], [5, 8], [11, 14], [14, 14]])
        #expect(tokens[2].span.line == 2 && tokens[2].span.column == 3)
    }
}

// MARK: - Numbers

// integer_literal = decimal | "0x" … | "0b" … | "0o" … ;  decimal = digit { digit | "_" } ;
// float_literal = decimal "." decimal [ exponent ] | decimal exponent ;  exponent = ( "e" | "E" ) [ "+" | "-" ] decimal ;
@Suite struct NumberTests {
    @Test(arguments: [
        ("0", "0"), ("42", "42"), ("007", "007"), ("1_000_000", "1000000"), ("1__0_", "10"),
        ("0xFF", "0xFF"), ("0xdead_BEEF", "0xdeadBEEF"), ("0x_1", "0x1"),
        ("0b1010", "0b1010"), ("0b1111_0000", "0b11110000"),
        ("0o17", "0o17"), ("0o7_7_7", "0o777"),
        ("18446744073709551615", "18446744073709551615"),
    ])
    func integers(_ text: String, _ digits: String) {
        #expect(single(text) == .integer(digits))
    }

    @Test(arguments: [
        ("1.5", "1.5"), ("0.25", "0.25"), ("1_0.2_5", "10.25"),
        ("1e10", "1e10"), ("1E10", "1e10"), ("2.5e-3", "2.5e-3"), ("2.5E+3", "2.5e+3"),
        ("3e0_1", "3e01"), ("6.02e23", "6.02e23"),
    ])
    func floats(_ text: String, _ value: String) {
        #expect(single(text) == .float(value))
    }

    @Test func aDotNotFollowedByADigitEndsTheInteger() {
        #expect(kinds("1.foo") == [.integer("1"), .punct(.dot), id("foo")])
        #expect(kinds("1..<2") == [.integer("1"), .punct(.halfOpen), .integer("2")])
        #expect(kinds("1...2") == [.integer("1"), .punct(.closed), .integer("2")])
        #expect(kinds("1.") == [.integer("1"), .punct(.dot)])
    }

    @Test func tupleIndexChainsLexAsFloat() {
        // `t.0.1` is `t` `.` `0.1`: the parser splits the float again.
        #expect(kinds("t.0.1") == [id("t"), .punct(.dot), .float("0.1")])
    }

    @Test func exponentSignBelongsToTheNumberOnlyWithDigits() {
        let (tokens, diags) = lex("1e+x")
        #expect(tokens.map(\.kind) == [.integer("1"), .punct(.plus), id("x"), .eof])
        #expect(positions(diags) == ["invalid-number-suffix@1:2"])
        #expect(single("1e+5") == .float("1e+5"))
    }

    @Test(arguments: [
        ("12abc", "invalid-number-suffix@1:3"),
        ("1e", "invalid-number-suffix@1:2"),
        ("1.5x", "invalid-number-suffix@1:4"),
        ("0x", "missing-digits@1:1"),
        ("0b", "missing-digits@1:1"),
        ("0b102", "invalid-digit@1:5"),
        ("0o78", "invalid-digit@1:4"),
        ("0xFG", "invalid-digit@1:4"),
    ])
    func malformedNumbers(_ text: String, _ expected: String) {
        let (tokens, diags) = lex(text)
        #expect(positions(diags) == [expected])
        // Still exactly one (number) token: the lexer does not split `12abc`.
        #expect(tokens.count == 2)
        switch tokens[0].kind {
        case .integer, .float: break
        default: Issue.record("expected a number token, got \(tokens[0].kind)")
        }
    }

    @Test func invalidDigitMessageNamesTheRadix() {
        let (_, diags) = lex("0b2")
        #expect(diags.map(\.message) == ["'2' is not a valid digit in a base-2 integer literal"])
    }
}

// MARK: - Strings

// string_literal = '"' { string_item } '"' ;  string_item = … | escape | "\(" expression ")" ;
@Suite struct StringTests {
    @Test(
        arguments: [
            (#""""#, []),
            (#""abc""#, Array("abc".utf8)),
            (#""\\""#, [0x5C]),
            (#""\"""#, [0x22]),
            (#""\'""#, [0x27]),
            (#""\n""#, [0x0A]),
            (#""\r""#, [0x0D]),
            (#""\t""#, [0x09]),
            (#""\0""#, [0x00]),
            (#""\u{41}""#, [0x41]),
            (#""\u{e9}""#, [0xC3, 0xA9]),
            (#""\u{20AC}""#, [0xE2, 0x82, 0xAC]),
            (#""\u{1F600}""#, [0xF0, 0x9F, 0x98, 0x80]),
            (#""\u{0000041}""#, [0x41]),
            (#""\x41""#, [0x41]),
            (#""\xff""#, [0xFF]),
            (#""\xC3\xA9""#, [0xC3, 0xA9]),
            (#""a\tb\\n""#, [0x61, 0x09, 0x62, 0x5C, 0x6E]),
            ("\"é\"", [0xC3, 0xA9]),
            (#""'""#, [0x27]),
        ] as [(String, [UInt8])])
    func escapes(_ text: String, _ bytes: [UInt8]) {
        #expect(stringBytes(text) == bytes)
    }

    @Test(arguments: [
        (#""\q""#, "invalid-escape", 2),
        (#""ab\x4""#, "invalid-escape", 4),
        (#""\xZZ""#, "invalid-escape", 2),
        (#""\u41""#, "invalid-escape", 2),
        (#""\u{}""#, "invalid-unicode-escape", 2),
        (#""\u{D800}""#, "invalid-unicode-escape", 2),
        (#""\u{110000}""#, "invalid-unicode-escape", 2),
        (#""\u{123456789}""#, "invalid-unicode-escape", 2),
        (#""\u{41""#, "invalid-unicode-escape", 2),
    ])
    func badEscapes(_ text: String, _ errorID: String, _ column: Int) {
        let (tokens, diags) = lex(text)
        #expect(positions(diags).first == "\(errorID)@1:\(column)")
        guard case .string? = tokens.first?.kind else {
            Issue.record("expected a string token")
            return
        }
    }

    @Test func invalidEscapeMessageQuotesTheEscape() {
        let (_, diags) = lex(#""\q""#)
        #expect(diags.map(\.message) == [#"invalid escape sequence '\q' in string literal"#])
    }

    @Test func unterminatedStringEndsAtTheLineEnd() {
        let (tokens, diags) = lex("let s = \"abc\nlet t = 1")
        #expect(positions(diags) == ["unterminated-string@1:9"])
        #expect(
            tokens.map(\.kind) == [
                .keyword(.let), id("s"), .punct(.assign), .string([.bytes(Array("abc".utf8))]),
                .keyword(.let), id("t"), .punct(.assign), .integer("1"), .eof,
            ])
        #expect(tokens[4].precededByNewline)
    }

    @Test func unterminatedStringAtEndOfFile() {
        let (_, diags) = lex("  \"abc")
        #expect(positions(diags) == ["unterminated-string@1:3"])
    }

    @Test func backslashAtTheEndOfTheFile() {
        let text = "let s = \"abc\\"
        let (tokens, diags) = lex(text)
        #expect(positions(diags) == ["unterminated-string@1:9"])
        #expect(diags.allSatisfy { ($0.span?.end ?? 0) <= text.utf8.count })
        #expect(tokens.allSatisfy { $0.span.end <= text.utf8.count })
        #expect(tokens.last?.kind == .eof)
    }

    @Test func backslashAtTheEndOfALine() {
        let (tokens, diags) = lex("let s = \"abc\\\nlet t = 1")
        #expect(positions(diags) == ["unterminated-string@1:9"])
        #expect(tokens.map(\.kind).suffix(5) == [.keyword(.let), id("t"), .punct(.assign), .integer("1"), .eof])
    }

    @Test func interpolationDoesNotReachOverALineBreak() {
        // A backslash at the end of a string inside an interpolation does not escape the line break.
        let (tokens, diags) = lex("x = \"\\(\"\\\n)\"")
        #expect(diags.contains { $0.id == "unterminated-interpolation" && $0.span?.line == 1 })
        #expect(tokens.count > 3 && tokens[2].span.line == 1 && tokens[3].span.line == 2)
        #expect(tokens[2].span.end <= 9)  // the string token ends before the line break
    }

    @Test func twoStringsAreTwoTokens() {
        #expect(kinds(#""a" "b""#) == [.string([.bytes([0x61])]), .string([.bytes([0x62])])])
    }

    // MARK: Interpolation

    /// The segments of one string token, with the interpolations' tokens as kinds.
    enum Seg: Equatable {
        case text(String)
        case expr([TokenKind])
    }
    func segments(_ text: String) -> [Seg]? {
        guard case .string(let segs)? = single(text) else { return nil }
        return segs.map { s in
            switch s {
            case .bytes(let b): .text(String(decoding: b, as: UTF8.self))
            case .interpolation(let toks, _): .expr(toks.map(\.kind))
            }
        }
    }

    @Test func simpleInterpolation() {
        #expect(segments(#""a = \(a)!""#) == [.text("a = "), .expr([id("a"), .eof]), .text("!")])
    }

    @Test func interpolationOnly() {
        #expect(segments(#""\(x)""#) == [.expr([id("x"), .eof])])
    }

    @Test func adjacentInterpolations() {
        #expect(segments(#""\(a)\(b)""#) == [.expr([id("a"), .eof]), .expr([id("b"), .eof])])
    }

    @Test func interpolationWithNestedParentheses() {
        #expect(
            segments(#""<\(f(a, (b + 1)))>""#) == [
                .text("<"),
                .expr([
                    id("f"), .punct(.lparen), id("a"), .punct(.comma), .punct(.lparen), id("b"), .punct(.plus),
                    .integer("1"), .punct(.rparen), .punct(.rparen), .eof,
                ]),
                .text(">"),
            ])
    }

    @Test func interpolationWithNestedStringContainingParenthesis() {
        // The ")" inside the nested string does not end the interpolation.
        #expect(
            segments(#""\(g(")"))x""#) == [
                .expr([id("g"), .punct(.lparen), .string([.bytes([0x29])]), .punct(.rparen), .eof]),
                .text("x"),
            ])
    }

    @Test func interpolationInsideInterpolation() {
        let (tokens, diags) = lex(#""a\("b\(c)")""#)
        #expect(diags.isEmpty)
        guard case .string(let segs) = tokens[0].kind, segs.count == 2, segs[0] == .bytes([0x61]),
            case .interpolation(let toks, _) = segs[1], toks.count == 2,
            case .string(let inner) = toks[0].kind, inner.count == 2, inner[0] == .bytes([0x62]),
            case .interpolation(let innermost, _) = inner[1]
        else {
            Issue.record("expected \"a\" then an interpolation holding \"b\\(c)\", got \(tokens[0].kind)")
            return
        }
        #expect(toks[1].kind == .eof)
        #expect(innermost.map(\.kind) == [id("c"), .eof])
        // `"`0 a1 \\2 (3 "4 b5 \\6 (7 c8
        #expect(innermost.first?.span.start == 8)
    }

    @Test func interpolationTokensHaveFilePositions() {
        let (tokens, _) = lex("let s = \"ab\\(xy + 1)\"")
        guard case .string(let segs) = tokens[3].kind, case .interpolation(let toks, let span) = segs[1] else {
            Issue.record("expected an interpolation")
            return
        }
        // `"` at 8, `a` 9, `b` 10, `\` 11, `(` 12, `xy` 13..<15.
        #expect(toks[0].span.start == 13 && toks[0].span.end == 15)
        #expect(toks[1].span.start == 16)
        #expect(span.start == 11 && span.end == 20)
        #expect(toks[0].span.column == 14)
    }

    @Test func interpolationWithEscapesAround() {
        #expect(segments(#""\t\(x)\n""#) == [.text("\t"), .expr([id("x"), .eof]), .text("\n")])
    }

    @Test func unterminatedInterpolation() {
        let (_, diags) = lex("let s = \"a\\(f(x)\"\n")
        #expect(positions(diags) == ["unterminated-interpolation@1:11"])
    }

    @Test func errorsInsideInterpolationAreReported() {
        let (_, diags) = lex(#""\(a @ b)""#)
        #expect(positions(diags) == ["unexpected-character@1:6"])
    }

    /// `"\("\(…"1"…)")"`: `depth` interpolations, each inside the string of the one before.
    static func nestedInterpolations(_ depth: Int) -> String {
        String(repeating: "\"\\(", count: depth) + "1" + String(repeating: ")\"", count: depth)
    }

    @Test func interpolationsNestedTooDeeplyAreOneError() {
        // Lexing an interpolation lexes its tokens first, so deep nesting would exhaust the stack.
        let (tokens, diags) = lex("let s = " + Self.nestedInterpolations(5000))
        #expect(diags.map(\.message) == ["expression or block is nested too deeply (more than 256 levels)"])
        // At the first `\(` past the limit: the literal starts at column 9, and each level takes 3 columns.
        #expect(positions(diags) == ["nested-too-deeply@1:\(9 + 3 * 256 + 1)"])
        // The literal is still one token, and the lexer carries on after it.
        #expect(Array(tokens.map(\.kind).prefix(3)) == [.keyword(.let), id("s"), .punct(.assign)])
        #expect(tokens.count == 5 && tokens[4].kind == .eof)
    }

    @Test func interpolationsNestedUpToTheLimitAreLexed() {
        let (_, atLimit) = lex("let s = " + Self.nestedInterpolations(256))
        #expect(atLimit.isEmpty)
        let (_, past) = lex("let s = " + Self.nestedInterpolations(257))
        #expect(positions(past) == ["nested-too-deeply@1:\(9 + 3 * 256 + 1)"])
    }
}

// MARK: - Comments and line breaks

// comment = "//" … | "/*" { any character | comment } "*/" ;
@Suite struct TriviaTests {
    @Test func lineComment() {
        let (tokens, _) = lex("a // comment ( \" \nb")
        #expect(tokens.map(\.kind) == [id("a"), id("b"), .eof])
        #expect(tokens[1].precededByNewline)
    }

    @Test func lineCommentAtEndOfFile() {
        #expect(kinds("a //") == [id("a")])
    }

    @Test func blockCommentOnOneLine() {
        let (tokens, _) = lex("a /* x */ b")
        #expect(tokens.map(\.kind) == [id("a"), id("b"), .eof])
        #expect(!tokens[1].precededByNewline)
    }

    @Test func blockCommentSpanningLinesCountsAsLineBreak() {
        let (tokens, _) = lex("a /* x\n y */ b")
        #expect(tokens.map(\.kind) == [id("a"), id("b"), .eof])
        #expect(tokens[1].precededByNewline)
    }

    @Test func blockCommentsNest() {
        let (tokens, diags) = lex("a /* 1 /* 2 */ 3 */ b")
        #expect(diags.isEmpty)
        #expect(tokens.map(\.kind) == [id("a"), id("b"), .eof])
    }

    @Test func deeplyNestedBlockComment() {
        let text = "a " + String(repeating: "/* ", count: 50) + String(repeating: "*/ ", count: 50) + "b"
        #expect(kinds(text) == [id("a"), id("b")])
    }

    @Test func slashesThatAreNotComments() {
        #expect(kinds("a/b") == [id("a"), .punct(.slash), id("b")])
        #expect(kinds("a /= b") == [id("a"), .punct(.divAssign), id("b")])
        #expect(kinds("a /*/ b */ c") == [id("a"), id("c")])
    }

    @Test func unterminatedNestedComment() {
        let (tokens, diags) = lex("x\n  /* /* */ y")
        #expect(positions(diags) == ["unterminated-comment@2:3"])
        #expect(tokens.map(\.kind) == [id("x"), .eof])
    }

    @Test func newlineFlags() {
        let (tokens, _) = lex("a b\nc\n\n  d; e\r\nf")
        #expect(tokens.map(\.precededByNewline) == [true, false, true, true, false, false, true, true])
        #expect(tokens.map(\.kind) == [id("a"), id("b"), id("c"), id("d"), .punct(.semicolon), id("e"), id("f"), .eof])
    }

    @Test func firstTokenIsPrecededByNewlineEvenAfterSpaces() {
        let (tokens, _) = lex("   x")
        #expect(tokens[0].precededByNewline)
    }

    @Test func emptyFileIsJustEOF() {
        let (tokens, diags) = lex("")
        #expect(tokens.map(\.kind) == [.eof])
        #expect(diags.isEmpty)
        let (t2, _) = lex("  // only a comment\n /* and */ ")
        #expect(t2.map(\.kind) == [.eof])
    }
}

// MARK: - Errors

@Suite struct LexerErrorTests {
    @Test func unexpectedCharacterWithPosition() {
        let (tokens, diags) = lex("let x = 1 @ 2")
        #expect(positions(diags) == ["unexpected-character@1:11"])
        #expect(diags[0].message == "unexpected character '@' in source")
        #expect(diags[0].span.map { [$0.start, $0.end] } == [10, 11])
        // The character is skipped; lexing carries on.
        #expect(tokens.map(\.kind) == [.keyword(.let), id("x"), .punct(.assign), .integer("1"), .integer("2"), .eof])
    }

    @Test func multiByteCharacterIsOneError() {
        let (tokens, diags) = lex("a € b")
        #expect(diags.count == 1)
        #expect(diags.first?.message == "unexpected character '€' in source")
        #expect(diags.first?.span.map { $0.end - $0.start } == 3)
        #expect(tokens.map(\.kind) == [id("a"), id("b"), .eof])
    }

    @Test func everyErrorIsReportedInOneRun() {
        let text = """
            let a = 1 @
            let b = "abc
            let c = 0x
            let d = "\\q" # 12abc
            /* never closed
            """
        let (_, diags) = lex(text)
        #expect(
            positions(diags) == [
                "unexpected-character@1:11", "unterminated-string@2:9", "missing-digits@3:9", "invalid-escape@4:10",
                "unexpected-character@4:14", "invalid-number-suffix@4:18", "unterminated-comment@5:1",
            ])
        #expect(diags.allSatisfy { $0.isError })
    }

    @Test func quotedTokenDescriptions() {
        let (tokens, _) = lex(#"foo while 12 $3 "s" { "#)
        #expect(tokens.map(\.quoted) == ["'foo'", "'while'", "'12'", "'$3'", "string literal", "'{'", "end of file"])
    }
}

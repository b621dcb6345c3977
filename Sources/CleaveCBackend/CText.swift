// The user's text in the generated C.
//
// A program's author writes string literals, file names, names and types; the
// C the backends emit holds that text only in these forms, so none of it can
// end a comment or a string, continue a line, or become code:
//
//   * inside a C string literal (`CText.string`): every byte that is not
//     printable ASCII as an octal escape, `\` and `"` escaped, and `?` as `\?`,
//     so no trigraph (`??/`, `??>`) forms under `-std=c11`;
//   * inside a comment (`CText.comment`): printable ASCII as it is, except `\`
//     and `/`, which are escaped, so neither `*/` nor `/*` can form; every
//     other byte (a line break, a control byte, non-ASCII) as an octal escape.
//     A string literal's bytes never go into a comment at all: the constant's
//     C string in `cleave_init` already shows them;
//   * as an identifier, made of the name's letters, digits and `_`
//     (`CTypes.ident`) in a form that neither the runtime's headers nor the
//     C library's use for their own names, so that a name the program
//     chooses (`int`, `exit`, `errno`, `cl_trap`, `M_PI`) is never a C
//     keyword, a libc or runtime symbol or a macro: behind a lowercase prefix
//     of the backend's own (`f_name_N`, `m_Type_name_N`, `init_Type_N`,
//     `g_name`, fields `f_name`, types `struct_Name`, `enum_Name`,
//     `state_Name`), or, for a value, behind its number (`v19_result`:
//     `result_19` would let `M_PI` as value 2 be <math.h>'s `M_PI_2`).
//     Prefixes are lowercase because headers' macros are not: <sys/stat.h>
//     defines `S_IFMT`, <arpa/nameser.h> `T_A`. HostileSourceTests checks the
//     macros of everything the runtime's headers (CBackend.unikernelHeaders,
//     isolatedHeaders) include.

enum CText {
    /// The bytes as the inside of a C string literal.
    static func escape(_ bytes: [UInt8]) -> String {
        var s = ""
        for b in bytes {
            switch b {
            case UInt8(ascii: "\\"): s += "\\\\"
            case UInt8(ascii: "\""): s += "\\\""
            case UInt8(ascii: "?"): s += "\\?"
            case 0x20...0x7e: s.append(Character(Unicode.Scalar(b)))
            default: s += octal(b)
            }
        }
        return s
    }

    /// A C string literal holding the bytes, quotes included.
    static func string(_ bytes: [UInt8]) -> String { "\"" + escape(bytes) + "\"" }

    /// A C string literal holding the text's UTF-8 bytes, quotes included.
    static func string(_ text: String) -> String { string(Array(text.utf8)) }

    /// The text as the inside of a `/* … */` comment: it cannot end the comment, open another
    /// (which -Wcomment reports), form the trigraph `??/` or run onto the next line.
    static func commentText(_ text: String) -> String {
        var s = ""
        for b in text.utf8 {
            switch b {
            case UInt8(ascii: "\\"): s += "\\\\"
            case UInt8(ascii: "/"): s += "\\/"
            case 0x20...0x7e: s.append(Character(Unicode.Scalar(b)))
            default: s += octal(b)
            }
        }
        return s
    }

    /// A whole `/* … */` comment holding the text.
    static func comment(_ text: String) -> String { "/* " + commentText(text) + " */" }

    private static func octal(_ b: UInt8) -> String {
        let digits = String(b, radix: 8)
        return "\\" + String(repeating: "0", count: 3 - digits.count) + digits
    }
}

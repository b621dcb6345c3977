// `cleave dump --stage imports`: what each C import brought in.
//
// One header line per import, then one line per declaration, functions first,
// then structs, each group sorted by name, in the Cleave spelling a program would
// use — C functions are called positionally, so every parameter is unlabelled:
//
//     import "helpers.h" -> /abs/path/helpers.h
//       func checksum(_ data: Bytes, _ length: Int32) -> UInt16    user    helpers.h:3
//       func abs(_ __x: Int32) -> Int32                            system  stdlib.h:861
//       struct Point { x: Int32, y: Int32 }                        user    helpers.h:1
//
// The columns after the declaration say where it comes from (a user or a system
// header) and its file and line; they are aligned, except after a declaration
// too long to be worth aligning to. Imports are listed in the order given, which is
// the order of the import declarations. A header that was not found prints
// `-> not found` and nothing else.

public func dumpImports(_ imports: [CHeaderImport]) -> String {
    var out = ""
    for header in imports {
        out += "import \"\(header.spelledPath)\" -> \(header.resolvedPath ?? "not found")\n"
        var rows: [(declaration: String, origin: String, location: String)] = []
        for f in header.functions {
            rows.append((describe(f), f.isSystem ? "system" : "user", f.span.shortDescription))
        }
        for s in header.structs {
            rows.append((describe(s), s.isSystem ? "system" : "user", s.span.shortDescription))
        }
        let width = min(rows.map(\.declaration.count).max() ?? 0, maximumAlignedWidth)
        for row in rows {
            let padding = String(repeating: " ", count: max(width - row.declaration.count, 0) + 4)
            let originPadding = String(repeating: " ", count: 8 - row.origin.count)
            out += "  " + row.declaration + padding + row.origin + originPadding + row.location + "\n"
        }
    }
    return out
}

/// Declarations longer than this are not padded: one long struct should not push
/// every other line's columns off the screen.
let maximumAlignedWidth = 64

/// `func checksum(_ data: Bytes, _ length: Int32) -> UInt16`; an unnamed
/// parameter is `_: Int32`, a `void` result is left out. A pointer to mutable
/// bytes is `inout Bytes`: Cleave passes it as `&buffer`, and C may write into it.
func describe(_ f: CFunction) -> String {
    let parameters = f.parameters.map { p in
        let type = p.type == .bytes(isConst: false) ? "inout Bytes" : p.type.cleaveName
        return p.name.isEmpty ? "_: \(type)" : "_ \(p.name): \(type)"
    }
    let result = f.result == .void ? "" : " -> \(f.result.cleaveName)"
    return "func \(f.name)(\(parameters.joined(separator: ", ")))\(result)"
}

/// `struct Point { x: Int32, y: Int32 }`
func describe(_ s: CStruct) -> String {
    if s.fields.isEmpty { return "struct \(s.name) {}" }
    let fields = s.fields.map { "\($0.name): \($0.type.cleaveName)" }
    return "struct \(s.name) { \(fields.joined(separator: ", ")) }"
}

// Why a C declaration is not imported, and how that is told.
//
// A declaration the importer cannot bring into Cleave is not an error: the header
// is still usable, only that declaration is missing. So each one becomes a
// `Rejection` — the name, the kind of construct that stopped it, and a note at
// the exact C construct (the parameter, the field, the declaration) — and the
// rejections become warnings at the `import` line.
//
// A user header gets one warning per rejected declaration: the user wrote it and
// may want to change it. A system header such as <stdlib.h> has dozens of
// variadic, pointer-returning or callback-taking functions the user never asked
// for by name, so all rejections from system headers are folded into one summary
// warning per import, grouped by kind, each kind listing a few names. If the user
// then calls one of them, the checker's "cannot find" error is where they learn
// more; `cleave dump --stage imports` shows what was imported.

import CleaveDiagnostics

/// The kinds of C constructs Cleave does not import, in the order the system
/// summary lists them.
enum Unsupported: Int, CaseIterable, Comparable {
    case variadic
    case noPrototype
    case functionPointer
    case union
    case arrayByValue
    case returnedPointer
    case nonBytePointer
    case unimportedStruct
    case incompleteStruct
    case anonymousRecord
    case bitField
    case otherType
    case globalVariable
    case enumeration
    case nameConflict

    static func < (a: Unsupported, b: Unsupported) -> Bool { a.rawValue < b.rawValue }

    /// Why, in the warning: "'f' is not imported: <reason>".
    var reason: String {
        switch self {
        case .variadic: "variadic functions are not supported"
        case .noPrototype: "functions without a prototype are not supported"
        case .functionPointer: "function pointers are not supported"
        case .union: "unions are not supported"
        case .arrayByValue: "arrays by value are not supported"
        case .returnedPointer: "returning pointers is not supported"
        case .nonBytePointer: "pointers to non-byte types are not supported"
        case .unimportedStruct: "it uses a struct that is not imported"
        case .incompleteStruct: "structs without a definition cannot be passed by value"
        case .anonymousRecord: "anonymous structs and unions are not supported"
        case .bitField: "bit-fields are not supported"
        case .otherType: "its type has no Cleave equivalent"
        case .globalVariable: "global variables are not supported"
        case .enumeration: "enumerations are not supported"
        case .nameConflict: "another struct is imported with the same name"
        }
    }

    /// The group in the system summary.
    var category: String {
        switch self {
        case .variadic: "variadic functions"
        case .noPrototype: "functions without prototypes"
        case .functionPointer: "function pointers"
        case .union: "unions"
        case .arrayByValue: "arrays by value"
        case .returnedPointer: "returned pointers"
        case .nonBytePointer: "pointers to non-byte types"
        case .unimportedStruct: "uses of structs not imported"
        case .incompleteStruct: "structs without definition by value"
        case .anonymousRecord: "anonymous structs and unions"
        case .bitField: "bit-fields"
        case .otherType: "types without a Cleave equivalent"
        case .globalVariable: "global variables"
        case .enumeration: "enumerations"
        case .nameConflict: "name conflicts"
        }
    }
}

/// A declaration that is not imported.
struct Rejection {
    let name: String
    let kind: Unsupported
    /// Replaces `kind.reason` in the warning when there is something more precise
    /// to say ("struct 'wrapper' is not imported").
    let reason: String?
    /// The note at the C construct responsible.
    let note: String
    let noteSpan: SourceSpan?
    let isSystem: Bool
}

/// The warnings for the rejections of one import.
func rejectionDiagnostics(_ rejections: [Rejection], importSpan: SourceSpan) -> [Diagnostic] {
    var diagnostics: [Diagnostic] = []
    for r in rejections where !r.isSystem {
        diagnostics.append(
            Diagnostic(
                .cUnsupported(r.name, r.reason ?? r.kind.reason), at: importSpan,
                notes: [DiagnosticNote(r.note, at: r.noteSpan)]))
    }
    let system = rejections.filter(\.isSystem)
    if !system.isEmpty {
        diagnostics.append(Diagnostic(.cUnsupportedSystem(system.count, systemSummary(system)), at: importSpan))
    }
    return diagnostics
}

/// The most names listed per kind in the system summary.
let namesPerCategory = 8

/// "variadic functions: printf, scanf; function pointers: atexit, … and 3 more"
func systemSummary(_ rejections: [Rejection]) -> String {
    let byKind = Dictionary(grouping: rejections, by: \.kind)
    return byKind.keys.sorted().map { kind in
        let names = Set(byKind[kind, default: []].map(\.name)).sorted()
        var listed = names.prefix(namesPerCategory).joined(separator: ", ")
        if names.count > namesPerCategory { listed += " and \(names.count - namesPerCategory) more" }
        return "\(kind.category): \(listed)"
    }.joined(separator: "; ")
}

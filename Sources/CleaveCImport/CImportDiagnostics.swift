// Messages of the C importer, sorted by id.
//
// Every one of them is reported at the `import "…"` declaration in Cleave source,
// because that is the line the user wrote; notes point into the C header.

import CleaveDiagnostics

extension DiagnosticMessage {
    static func cHeaderError(_ header: String, _ clangMessage: String) -> DiagnosticMessage {
        error("c-header-error", "error in C header \"\(header)\": \(clangMessage)")
    }
    static func cHeaderNotFound(_ header: String) -> DiagnosticMessage {
        error("c-header-not-found", "C header \"\(header)\" not found")
    }
    static func cUnsupported(_ name: String, _ reason: String) -> DiagnosticMessage {
        warning("c-unsupported", "'\(name)' is not imported: \(reason)")
    }
    static func cUnsupportedSystem(_ count: Int, _ details: String) -> DiagnosticMessage {
        let declarations = count == 1 ? "declaration" : "declarations"
        let verb = count == 1 ? "was" : "were"
        return warning(
            "c-unsupported-system", "\(count) \(declarations) from system headers \(verb) not imported (\(details))")
    }
}

// Global constants computed when the program is checked (Sources/CleaveInterpreter/BuildTime.swift):
// a global whose computation traps is an error of the build, not of every start of the service.

import CleaveDiagnostics
import CleaveInterpreter
import CleaveSema

enum BuildTimeGlobals {
    /// How long the globals may take together before the check gives up and leaves them to the
    /// start of the service (Examples/dns's zone takes about 0.6 s in a debug build of the
    /// compiler, a tenth of that in a release build).
    static let seconds = 2.0
    /// The most elements of a value made while computing them.
    static let size = 1 << 24
    /// The deepest calls may nest while computing them: deeper recursion is left to the service,
    /// whose stack it is, rather than run on the compiler's.
    static let depth = 2_000

    /// An error for the first global whose computation traps, if one does.
    static func check(_ program: TypedProgram) -> [Diagnostic] {
        guard let t = Interpreter.trappingGlobal(program, seconds: seconds, size: size, depth: depth) else { return [] }
        let g = program.globals[t.global]
        return [
            Diagnostic(
                .globalTraps(g.name, t.message), at: g.span,
                notes: [DiagnosticNote("it stops here when computed at build time", at: t.span)])
        ]
    }
}

extension DiagnosticMessage {
    static func globalTraps(_ name: String, _ message: String) -> DiagnosticMessage {
        error("global-traps", "global constant '\(name)' cannot be computed: \(message.isEmpty ? "a fatal error" : message)")
    }
}

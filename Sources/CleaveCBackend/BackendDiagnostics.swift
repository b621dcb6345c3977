// Messages of the C backend, sorted by id: what the isolated target cannot build as
// asked. Its internal errors are `DiagnosticMessage.internalError`.

import CleaveDiagnostics

extension DiagnosticMessage {
    /// A program built for the image target calls a C function of a header it imports.
    static func imageCallsC(_ name: String) -> DiagnosticMessage {
        error(
            "image-calls-c",
            "'\(name)' is a C function, and the image target has no operating system or C library to call it with (--target image)"
        )
    }
    static func isolatedClosureCrosses(_ value: String, type: String, between a: String, and b: String) -> DiagnosticMessage {
        error(
            "isolated-closure-crosses",
            "the value '\(value)' of type \(type) would cross between components \(a) and \(b), but a closure cannot leave its process"
        )
    }
    /// The isolated target was asked of a program with no `main`, or whose `main` creates no state.
    public static func isolatedNoComponents(hasMain: Bool) -> DiagnosticMessage {
        error(
            "isolated-no-components",
            "the isolated target makes a process of each component, and \(hasMain ? "main creates no state" : "this program has no main") to make components of"
        )
    }
    static func unknownSystemFunction(_ name: String, component: String) -> DiagnosticMessage {
        warning(
            "unknown-system-function",
            "the system function '\(name)' is not in Cleave's table of system calls: component '\(component)' will be stopped by its sandbox if it calls it"
        )
    }
}

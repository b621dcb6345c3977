// The C runtime of the hosted targets, as files: `cleave build` compiles them
// together with the generated C. They ship inside the compiler as a resource
// folder (`C/`), so an installed `cleave` finds them beside its executable.

import Foundation

public enum Runtime {
    /// The folder holding the runtime's C sources and headers.
    public static var directory: String? {
        if let dir = ProcessInfo.processInfo.environment["CLEAVE_RUNTIME"] { return dir }
        return Bundle.module.url(forResource: "C", withExtension: nil)?.path
    }
}

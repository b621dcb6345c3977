// The C runtime of the hosted targets, as files: `cleave build` compiles them
// together with the generated C. They ship inside the compiler as a resource
// folder (`C/`), so an installed `cleave` finds them beside its executable.
// The folder holds a folder per concern (C/README.md: core, netif, hosted,
// isolated) and the platform's interface, platform.h; every file is included
// and compiled with the folder itself as the include root (`#include
// "core/cleave.h"`).

import Foundation

public enum Runtime {
    /// The folder holding the runtime's C sources and headers.
    public static var directory: String? {
        if let dir = ProcessInfo.processInfo.environment["CLEAVE_RUNTIME"] { return dir }
        return Bundle.module.url(forResource: "C", withExtension: nil)?.path
    }

    /// The runtime's C sources and headers under `directory`, in every folder, as paths relative to
    /// it ("core/heap.c"), sorted.
    public static func files(in directory: String) -> [String] {
        guard let all = FileManager.default.enumerator(atPath: directory) else { return [] }
        return all.compactMap { $0 as? String }.filter { $0.hasSuffix(".c") || $0.hasSuffix(".h") }.sorted()
    }
}

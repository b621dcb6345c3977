// The C runtime, as files: `cleave build` compiles them together with the
// generated C. They ship inside the compiler as a resource folder (`C/`), so an
// installed `cleave` finds them beside its executable. The folder holds a folder
// per concern (C/README.md: core, netif, hosted, isolated, image) and the
// platform's interface, platform.h; every file is included and compiled with the
// folder itself as the include root (`#include "core/cleave.h"`). A build takes
// the folders of its platform: a Linux process's, or a bootable image's.

import Foundation

public enum Runtime {
    /// The folder holding the runtime's C sources and headers.
    public static var directory: String? {
        if let dir = ProcessInfo.processInfo.environment["CLEAVE_RUNTIME"] { return dir }
        return Bundle.module.url(forResource: "C", withExtension: nil)?.path
    }

    /// The runtime's sources (C and assembly), headers and linker scripts under `directory`, in
    /// every folder, as paths relative to it ("core/heap.c"), sorted.
    public static func files(in directory: String) -> [String] {
        guard let all = FileManager.default.enumerator(atPath: directory) else { return [] }
        let kinds = [".c", ".h", ".S", ".ld"]
        return all.compactMap { $0 as? String }.filter { f in kinds.contains { f.hasSuffix($0) } }.sorted()
    }

    /// The files of one platform's runtime: those of its folders, and platform.h.
    public static func files(in directory: String, for platform: Platform) -> [String] {
        files(in: directory).filter { f in
            guard let slash = f.firstIndex(of: "/") else { return true }
            return platform.folders.contains(String(f[..<slash]))
        }
    }

    /// What a build runs on: a Linux process (the unikernel and isolated targets), or the bare
    /// x86-64 machine QEMU makes (the image target: no operating system, no C library).
    public enum Platform: String, Sendable {
        case hosted
        case image

        /// The runtime's folders it compiles.
        public var folders: [String] {
            switch self {
            case .hosted: ["core", "netif", "hosted", "isolated"]
            case .image: ["core", "image"]
            }
        }
    }
}

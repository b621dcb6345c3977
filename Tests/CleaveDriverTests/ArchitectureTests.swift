// The compiler's modules form layers: each imports only modules of the layers below
// it, so the front end knows nothing of the passes, the passes nothing of the C
// backend, and the command line reaches everything through the driver alone.
// Package.swift could allow more than the sources use; this reads what they use.

import CleaveTestSupport
import Foundation
import Testing

@Suite struct ArchitectureTests {
    /// The project's modules, from the bottom layer up, with the folder of each.
    static let layers: [[(module: String, folder: String)]] = [
        [("CleaveDiagnostics", "Sources/CleaveDiagnostics"), ("CClang", "Sources/CClang"), ("CPcap", "Sources/CPcap")],
        [("CleaveGrammar", "Grammar"), ("CleaveCImport", "Sources/CleaveCImport")],
        [("CleaveSema", "Sources/CleaveSema")],
        [("CleaveIR", "Sources/CleaveIR"), ("CleaveInterpreter", "Sources/CleaveInterpreter")],
        [("CleaveGraph", "Sources/CleaveGraph"), ("CleavePasses", "Passes")],
        [("CleaveCBackend", "Sources/CleaveCBackend"), ("CleaveRuntime", "Sources/CleaveRuntime")],
        [("CleaveDriver", "Sources/CleaveDriver")],
        [("cleave", "Sources/cleave")],
    ]

    /// The modules a folder's Swift files import (system modules aside).
    static func imports(_ folder: String) throws -> Set<String> {
        let project = Set(layers.joined().map(\.module))
        var found: Set<String> = []
        let dir = Repo.path(folder)
        for file in try FileManager.default.contentsOfDirectory(atPath: dir) where file.hasSuffix(".swift") {
            let text = try String(contentsOfFile: "\(dir)/\(file)", encoding: .utf8)
            for line in text.split(separator: "\n") {
                let words = line.split(separator: " ")
                guard let i = words.firstIndex(of: "import"), i + 1 < words.count else { continue }
                guard words[..<i].allSatisfy({ $0.hasPrefix("@") }) else { continue }
                let module = String(words[i + 1])
                if project.contains(module) { found.insert(module) }
            }
        }
        return found
    }

    @Test func eachModuleImportsOnlyTheLayersBelowIt() throws {
        for (rank, layer) in Self.layers.enumerated() {
            let below = Set(Self.layers.prefix(rank).joined().map(\.module))
            for (module, folder) in layer {
                let upward = try Self.imports(folder).subtracting(below)
                #expect(upward.isEmpty, "\(module) imports \(upward.sorted()), which are not below it")
            }
        }
    }

    @Test func theCommandLineTalksOnlyToTheDriver() throws {
        #expect(try Self.imports("Sources/cleave") == ["CleaveDriver"])
    }
}

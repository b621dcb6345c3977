// Helpers shared by the C importer tests.
//
// The test headers live in Inputs/ next to this file and are found through
// `#filePath`, so the tests run from any working directory. Each import is made
// as if from a Cleave file `main.clv` in Inputs/ whose first line is the import.

import CleaveCImport
import CleaveDiagnostics

enum Inputs {
    static let directory: String = {
        let file = #filePath
        guard let slash = file.lastIndex(of: "/") else { return "Inputs" }
        return String(file[..<slash]) + "/Inputs"
    }()

    /// The Cleave file that does the importing.
    static let importingFile = directory + "/main.clv"

    /// The span of `import "<header>"` in a one-line `main.clv`.
    static func importSpan(_ header: String) -> SourceSpan {
        let text = "import \"\(header)\"\n"
        let file = SourceFile(path: importingFile, text: text)
        return SourceSpan(file: file, start: 0, end: text.utf8.count - 1)
    }

    static func load(_ header: String, extraIncludeDirectories: [String] = []) -> CHeaderImport {
        CImporter.importHeader(
            header, importingFile: importingFile, importSpan: importSpan(header),
            extraIncludeDirectories: extraIncludeDirectories)
    }
}

extension CHeaderImport {
    /// Everything the import found, as text comparable across runs.
    var summary: String {
        let functions = functions.map {
            "\($0.name)(\($0.parameters)) -> \($0.result) \($0.isSystem) \($0.span.position)"
        }
        let structs = structs.map { "\($0.name) \($0.fields) \($0.cSpelling) \($0.isSystem) \($0.span.position)" }
        let diagnostics = DiagnosticFormatter().format(diagnostics)
        return (functions + structs + [diagnostics, resolvedPath ?? "-"]).joined(separator: "\n")
    }

    func diagnostics(withID id: String) -> [Diagnostic] {
        diagnostics.filter { $0.id == id }
    }

    /// The c-unsupported warning about `name`, if any.
    func unsupportedWarning(about name: String) -> Diagnostic? {
        diagnostics.first { $0.id == "c-unsupported" && $0.message.hasPrefix("'\(name)' is not imported") }
    }
}

extension SourceSpan {
    /// Where the span is, comparable across imports (spans compare their files by
    /// identity, and each import reads its files afresh).
    var position: String { "\(file.path)@\(start)..<\(end)" }

    /// The text of the line the span starts on.
    var lineText: String { file.lineText(line) }
    var fileName: String { file.path.split(separator: "/").last.map(String.init) ?? file.path }
}

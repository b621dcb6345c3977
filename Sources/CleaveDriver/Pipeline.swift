// The compiler's stages, as a table in one place.
//
// Each stage has a name (used by `--stop-after`, `--dump-after` and
// `dump --stage`), a one-line description, and a dump of its result. The order of
// the table is the order in which the stages run; a test checks that every stage
// can be dumped and stopped after.

import CleaveCImport
import CleaveDiagnostics
import CleaveGrammar
import CleaveIR
import CleaveSema

public enum Stage: String, CaseIterable, Sendable {
    case ast
    case imports
    case typed
    case ir

    public var summary: String {
        switch self {
        case .ast: "parse every file into a syntax tree"
        case .imports: "import the C headers named by `import \"…\"` (libclang)"
        case .typed: "resolve names and check types; the typed AST"
        case .ir: "lower to the IR: single assignment, explicit state threads"
        }
    }
}

/// What running the pipeline produced, up to the stage where it stopped.
public struct PipelineResult: Sendable {
    public var files: [FileAST] = []
    public var imports: [CHeaderImport] = []
    public var typed: TypedProgram?
    public var ir: IRProgram?
    public var diagnostics: [Diagnostic] = []
    public var hasErrors: Bool { diagnostics.contains { $0.isError } }
}

public struct PipelineOptions: Sendable {
    public var includeDirectories: [String] = []
    public init(includeDirectories: [String] = []) {
        self.includeDirectories = includeDirectories
    }
}

public enum Pipeline {
    /// The stages in the order they run.
    public static let stages: [Stage] = Stage.allCases

    /// Run the stages up to and including `last`. Later stages run even when an
    /// earlier one reported errors, so one run reports as many problems as it can;
    /// error nodes left by recovery are skipped silently by later stages.
    public static func run(
        _ sources: [SourceFile], through last: Stage, options: PipelineOptions = PipelineOptions(),
        afterEach: (Stage, PipelineResult) -> Void = { _, _ in }
    ) -> PipelineResult {
        var result = PipelineResult()
        for stage in stages {
            switch stage {
            case .ast:
                for source in sources {
                    let (ast, diags) = Parser.parse(source)
                    result.files.append(ast)
                    result.diagnostics += diags
                }
            case .imports:
                for file in result.files {
                    for case .importDecl(let imp) in file.decls {
                        guard case .header(let path) = imp.target else { continue }
                        let imported = CImporter.importHeader(
                            path, importingFile: file.file.path, importSpan: imp.span,
                            extraIncludeDirectories: options.includeDirectories)
                        result.imports.append(imported)
                        result.diagnostics += imported.diagnostics
                    }
                }
            case .typed:
                let (program, diags) = Checker.check(files: result.files, imports: result.imports)
                result.typed = program
                result.diagnostics += diags
            case .ir:
                // Only a program without errors is lowered.
                guard let typed = result.typed, !result.hasErrors else { break }
                let ir = LowerToIR.lower(typed)
                result.ir = ir
                let problems = VerifyIR.verify(ir)
                if !problems.isEmpty {
                    result.diagnostics.append(
                        Diagnostic(
                            .error(
                                "internal-error",
                                "internal error in stage 'ir': the IR verifier found \(problems.count) problem\(problems.count == 1 ? "" : "s")"
                            ),
                            at: nil, notes: problems.prefix(20).map { DiagnosticNote($0, at: nil) }))
                }
            }
            afterEach(stage, result)
            if stage == last { break }
        }
        return result
    }

    /// The dump of a stage's result.
    public static func dump(_ stage: Stage, _ result: PipelineResult) -> String {
        switch stage {
        case .ast:
            return result.files.map(ASTPrinter.print).joined(separator: "\n")
        case .imports:
            return dumpImports(result.imports)
        case .typed:
            return result.typed.map(TypedASTPrinter.print) ?? ""
        case .ir:
            return result.ir.map(IRPrinter.print) ?? ""
        }
    }
}

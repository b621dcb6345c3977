// Importing a C header with libclang.
//
// `import "helpers.h"` runs in four steps:
//
//   1. Find the header (HeaderSearch.swift): the importing file's directory, the
//      extra include directories, then the system include path. Not found is an
//      error at the import, with the directories searched in a note.
//   2. Parse it with libclang as C11, function bodies skipped. The file clang is
//      given is not the header but a two-line file held in memory that includes
//      it by absolute path. That indirection lets the importer say whether the
//      header is a system header: a header found in a system directory is
//      included from after a `# 1 "…" 3` line marker, which is how preprocessed C
//      says "what follows comes from a system header". clang then marks the
//      header and everything it includes as system, exactly as when a C file
//      writes `#include <time.h>`, and `clang_Location_isInSystemHeader` answers
//      for every declaration. (Parsing the header itself would make it the main
//      file, which clang never considers a system header.)
//   3. Turn clang's errors into Cleave errors at the import, each with a note at
//      the C position, rendered from the header's text like any Cleave source.
//      clang's warnings are the header author's business and are dropped.
//   4. Walk the declarations (ImportDeclarations.swift) and report those that
//      could not be imported (Unsupported.swift).
//
// A header with errors still yields the declarations clang recovered: the import
// already failed with an error, and having the rest declared spares the user a
// cascade of "cannot find" errors for names the header does declare.
//
// Every call creates and disposes of its own libclang index, so imports can run
// on several threads at once.

import CClang
import CleaveDiagnostics

public enum CImporter {
    /// Parse `spelledPath` with libclang. Resolution: relative to `importingFile`'s
    /// directory first, then `extraIncludeDirectories`, then the system include
    /// directories (/usr/local/include, /usr/include/<multiarch>, /usr/include and
    /// clang's resource include directory).
    /// `importSpan` is the span of the `import "..."` declaration in Cleave source;
    /// diagnostics about the header as a whole point there.
    /// `extraClangArguments` come after the importer's own (`-x c -std=c11`, the
    /// include directories), so `-std=gnu11` or `-D_POSIX_C_SOURCE=200809L` can make
    /// the header declare what the generated C will see when it is compiled.
    public static func importHeader(
        _ spelledPath: String, importingFile: String, importSpan: SourceSpan,
        extraIncludeDirectories: [String] = [], extraClangArguments: [String] = []
    ) -> CHeaderImport {
        let importingDirectory = HeaderSearch.directory(of: importingFile)
        let search = HeaderSearch(importingDirectory: importingDirectory, extraDirectories: extraIncludeDirectories)
        switch search.resolve(spelledPath) {
        case .notFound(let searched):
            let note: String
            if spelledPath.isEmpty {
                note = "the header path is empty"
            } else if spelledPath.hasPrefix("/") {
                note = "there is no file at \(spelledPath)"
            } else {
                note = "searched in " + searched.joined(separator: ", ")
            }
            let diagnostic = Diagnostic(
                .cHeaderNotFound(spelledPath), at: importSpan, notes: [DiagnosticNote(note, at: nil)])
            return CHeaderImport(
                spelledPath: spelledPath, resolvedPath: nil, functions: [], structs: [], diagnostics: [diagnostic])
        case .found(let path, let isSystem):
            return parse(
                spelledPath, at: path, isSystem: isSystem, importSpan: importSpan,
                includeDirectories: search.userDirectories, extraClangArguments: extraClangArguments)
        }
    }

    private static func parse(
        _ spelledPath: String, at path: String, isSystem: Bool, importSpan: SourceSpan,
        includeDirectories: [String], extraClangArguments: [String]
    ) -> CHeaderImport {
        func failed(_ message: String) -> CHeaderImport {
            CHeaderImport(
                spelledPath: spelledPath, resolvedPath: path, functions: [], structs: [],
                diagnostics: [Diagnostic(.cHeaderError(spelledPath, message), at: importSpan)])
        }
        guard !path.contains("\"") && !path.contains("\n") else {
            return failed("its path contains a quote or a newline")
        }

        // C11 with the POSIX and BSD declarations of glibc (`clock_gettime`, `usleep`…)
        // visible: the dialect the generated C is compiled in.
        var arguments = ["-x", "c", "-std=c11", "-D_DEFAULT_SOURCE"]
        if let resource = HeaderSearch.resourceDirectory { arguments += ["-resource-dir", resource] }
        for dir in includeDirectories { arguments += ["-I", dir] }
        arguments += extraClangArguments

        // The in-memory main file (see step 2 above). Its name only has to be
        // unlikely to collide with a real file.
        let mainPath = "/cleave-import/" + (path.split(separator: "/").last.map(String.init) ?? "header") + ".c"
        var main = ""
        if isSystem { main += "# 1 \"<cleave import>\" 3\n" }
        main += "#include \"\(path)\"\n"

        guard let index = clang_createIndex(0, 0) else { return failed("libclang could not create an index") }
        defer { clang_disposeIndex(index) }

        let flags = CXTranslationUnit_SkipFunctionBodies.rawValue
        var unitOrNil: CXTranslationUnit? = nil
        let code = withCStrings(arguments) { argv in
            mainPath.withCString { mainName in
                main.withCString { contents in
                    var unsaved = CXUnsavedFile(Filename: mainName, Contents: contents, Length: UInt(main.utf8.count))
                    return clang_parseTranslationUnit2(
                        index, mainName, argv, Int32(arguments.count), &unsaved, 1, flags, &unitOrNil)
                }
            }
        }
        guard code == CXError_Success, let unit = unitOrNil else {
            return failed("libclang could not parse it (error code \(code.rawValue))")
        }
        defer { clang_disposeTranslationUnit(unit) }

        let files = HeaderFiles(unit: unit)
        var diagnostics = clangErrors(
            unit, files: files, header: spelledPath, mainPath: mainPath, importSpan: importSpan)

        let importer = DeclarationImporter(files: files)
        importer.importDeclarations(of: unit)
        diagnostics += rejectionDiagnostics(importer.rejected, importSpan: importSpan)

        return CHeaderImport(
            spelledPath: spelledPath, resolvedPath: path, functions: Array(importer.functions.values),
            structs: importer.structs, diagnostics: diagnostics)
    }

    /// clang's errors (and fatal errors), each with clang's notes.
    private static func clangErrors(
        _ unit: CXTranslationUnit, files: HeaderFiles, header: String, mainPath: String, importSpan: SourceSpan
    ) -> [Diagnostic] {
        /// Where clang places a diagnostic: nil when nowhere; `.some(nil)` in the
        /// in-memory main file, which is the importer's, not the user's.
        func position(_ d: CXDiagnostic) -> SourceSpan?? {
            guard let span = files.span(at: clang_getDiagnosticLocation(d), length: 1) else { return .some(nil) }
            return span.file.path == mainPath ? nil : .some(span)
        }
        var result: [Diagnostic] = []
        for i in 0..<clang_getNumDiagnostics(unit) {
            guard let d = clang_getDiagnostic(unit, i) else { continue }
            defer { clang_disposeDiagnostic(d) }
            let severity = clang_getDiagnosticSeverity(d)
            guard severity == CXDiagnostic_Error || severity == CXDiagnostic_Fatal else { continue }
            let message = consume(clang_getDiagnosticSpelling(d))
            var notes: [DiagnosticNote] = []
            if case let span?? = position(d) { notes.append(DiagnosticNote("reported by clang here", at: span)) }
            // clang's own notes ("to match this '('", "previous declaration is
            // here"), except the include stack's last step, from the main file.
            if let children = clang_getChildDiagnostics(d) {
                for j in 0..<clang_getNumDiagnosticsInSet(children) {
                    guard let child = clang_getDiagnosticInSet(children, j) else { continue }
                    defer { clang_disposeDiagnostic(child) }
                    guard let span = position(child) else { continue }
                    notes.append(DiagnosticNote(consume(clang_getDiagnosticSpelling(child)), at: span))
                }
            }
            let diagnostic = Diagnostic(.cHeaderError(header, message), at: importSpan, notes: notes)
            if !result.contains(diagnostic) { result.append(diagnostic) }
        }
        return result
    }
}

/// Calls `body` with a C `argv` for `strings`, valid for the duration of the call.
private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    var copies: [UnsafeMutablePointer<CChar>] = []
    for s in strings {
        let chars = s.utf8CString
        let copy = UnsafeMutablePointer<CChar>.allocate(capacity: chars.count)
        for (i, c) in chars.enumerated() { copy[i] = c }
        copies.append(copy)
    }
    defer {
        for copy in copies { copy.deallocate() }
    }
    let argv: [UnsafePointer<CChar>?] = copies.map { UnsafePointer($0) } + [nil]
    return body(argv)
}

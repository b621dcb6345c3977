// What is refused, and how: warnings for unsupported declarations, errors for
// headers clang cannot parse.

import CleaveCImport
import CleaveDiagnostics
import Testing

@Suite struct ImportDiagnosticsTests {
    let unsupported = Inputs.load("unsupported.h")

    /// The warning about `name`, its note, and the C line the note points at.
    func warning(_ name: String) throws -> (message: String, note: DiagnosticNote, line: String) {
        let w = try #require(unsupported.unsupportedWarning(about: name))
        #expect(w.severity == .warning)
        #expect(w.span?.position == Inputs.importSpan("unsupported.h").position)
        let note = try #require(w.notes.first)
        let span = try #require(note.span)
        #expect(span.fileName == "unsupported.h")
        return (w.message, note, span.lineText)
    }

    @Test func variadicFunction() throws {
        let w = try warning("log_message")
        #expect(w.message == "'log_message' is not imported: variadic functions are not supported")
        #expect(w.line == "int log_message(const char *format, ...);")
        #expect(unsupported.function(named: "log_message") == nil)
    }

    @Test func functionPointerParameter() throws {
        let w = try warning("on_event")
        #expect(w.message == "'on_event' is not imported: function pointers are not supported")
        #expect(w.note.message == "parameter 'callback' has type 'void (*)(int)'")
        #expect(unsupported.function(named: "on_event") == nil)
    }

    @Test func union() throws {
        let w = try warning("number")
        #expect(w.message == "'number' is not imported: unions are not supported")
        #expect(w.line == "union number { int32_t i; float f; };")
    }

    @Test func pointerToNonByteType() throws {
        let w = try warning("count_into")
        #expect(w.message == "'count_into' is not imported: pointers to non-byte types are not supported")
        #expect(w.note.message == "parameter 'totals' has type 'const int *'")
        #expect(unsupported.function(named: "count_into") == nil)
    }

    @Test func returnedPointer() throws {
        let w = try warning("make_name")
        #expect(w.message == "'make_name' is not imported: returning pointers is not supported")
        #expect(w.note.message == "'make_name' returns 'char *'")
        #expect(unsupported.function(named: "make_name") == nil)
    }

    @Test func functionWithoutPrototype() throws {
        let w = try warning("legacy")
        #expect(w.message == "'legacy' is not imported: functions without a prototype are not supported")
        #expect(unsupported.function(named: "legacy") == nil)
    }

    @Test func structWithUnsupportedFieldAndItsUses() throws {
        let handler = try warning("handler")
        #expect(handler.message == "'handler' is not imported: function pointers are not supported")
        #expect(handler.note.message == "field 'run' has type 'void (*)(void)'")
        #expect(unsupported.structure(named: "handler") == nil)

        let install = try warning("install")
        #expect(
            install.message
                == "'install' is not imported: struct 'handler' is not imported (function pointers are not supported)")
        #expect(install.note.message == "parameter 'h' has type 'struct handler'")

        let grid = try warning("grid")
        #expect(grid.message == "'grid' is not imported: arrays by value are not supported")
        let flags = try warning("flags")
        #expect(flags.message == "'flags' is not imported: bit-fields are not supported")
    }

    @Test func globalVariable() throws {
        let w = try warning("request_count")
        #expect(w.message == "'request_count' is not imported: global variables are not supported")
    }

    @Test func reservedNamesAreSkippedSilently() {
        #expect(unsupported.function(named: "__internal_helper") == nil)
        #expect(unsupported.function(named: "_Reserved_helper") == nil)
        #expect(!unsupported.diagnostics.contains { $0.message.contains("__internal_helper") })
        #expect(!unsupported.diagnostics.contains { $0.message.contains("_Reserved_helper") })
    }

    @Test func redeclarationsAreImportedOnce() throws {
        #expect(unsupported.functions.filter { $0.name == "twice" }.count == 1)
        let twice = try #require(unsupported.function(named: "twice"))
        #expect(twice.span.line == 21)
    }

    @Test func oneWarningPerUnsupportedUserDeclarationAndNoErrors() {
        let names = unsupported.diagnostics(withID: "c-unsupported").map {
            String($0.message.dropFirst().prefix { $0 != "'" })
        }
        #expect(
            names == [
                "log_message", "on_event", "number", "count_into", "make_name", "legacy", "handler", "install", "grid",
                "flags", "request_count",
            ])
        #expect(!unsupported.diagnostics.contains { $0.isError })
        #expect(unsupported.diagnostics(withID: "c-unsupported-system").isEmpty)
    }

    @Test func syntaxErrorInHeader() throws {
        let broken = Inputs.load("broken.h")
        #expect(broken.resolvedPath == Inputs.directory + "/broken.h")
        let errors = broken.diagnostics(withID: "c-header-error")
        let error = try #require(errors.first)
        #expect(error.isError)
        #expect(error.span?.position == Inputs.importSpan("broken.h").position)
        #expect(error.message == "error in C header \"broken.h\": expected ')'")
        let note = try #require(error.notes.first)
        let span = try #require(note.span)
        #expect(span.fileName == "broken.h")
        #expect(span.line == 3)
        #expect(span.lineText == "int broken(int a int b);")
        // clang's own note about the '(' it tried to match comes along; the
        // include step from the importer's in-memory main file does not.
        #expect(error.notes.contains { $0.message.contains("to match this '('") })
        #expect(!error.notes.contains { $0.message.contains("in file included from") })
        // What clang recovered is still declared.
        #expect(broken.function(named: "fine") != nil)
    }

    @Test func syntaxErrorRendersWithTheCLineAndACaret() {
        let broken = Inputs.load("broken.h")
        let text = DiagnosticFormatter().format(broken.diagnostics(withID: "c-header-error"))
        #expect(text.contains("main.clv:1:1: error: error in C header \"broken.h\": expected ')' [c-header-error]"))
        #expect(
            text.contains("broken.h:3:18: note: reported by clang here\nint broken(int a int b);\n                 ^\n")
        )
    }

    @Test func missingIncludeInsideTheHeader() throws {
        let header = Inputs.load("missing_include.h")
        let error = try #require(header.diagnostics(withID: "c-header-error").first)
        #expect(error.message.contains("'does_not_exist.h' file not found"))
        #expect(error.notes.first?.span?.line == 1)
    }

    @Test func summaryListsAtMostEightNamesPerKind() {
        let mixed = Inputs.load("mixed.h")
        let summary = mixed.diagnostics(withID: "c-unsupported-system").first?.message ?? ""
        // Each "kind: a, b, c" group lists at most 8 names, then "and N more".
        let groups = summary.split(separator: ";")
        #expect(!groups.isEmpty)
        for group in groups {
            let names = group.split(separator: ":").last?.split(separator: ",") ?? []
            #expect(names.count <= 8)
        }
    }
}

@Suite struct PointerParameterTests {
    @Test func aPointerToOneStructIsInout() throws {
        // poll(2)'s `struct pollfd *fds`: a pointer to a struct the call may change.
        let imported = CImporter.importHeader("poll.h", importingFile: Inputs.importingFile, importSpan: Inputs.importSpan("poll.h"))
        let poll = try #require(imported.function(named: "poll"))
        #expect(poll.parameters[0].type == .pointer(to: .structure(name: "pollfd")))
        #expect(poll.parameters[0].type.cleaveName == "inout pollfd")
        #expect(poll.isSystem)
    }
}

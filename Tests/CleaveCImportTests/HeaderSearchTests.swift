// Where headers are found, and which declarations count as system declarations.

import CleaveCImport
import CleaveDiagnostics
import Testing

@Suite struct HeaderSearchTests {
    @Test func systemDeclarationsIncludedByAUserHeaderAreMarkedSystem() throws {
        let mixed = Inputs.load("mixed.h")
        #expect(mixed.diagnostics.filter { $0.isError }.isEmpty)

        let tick = try #require(mixed.function(named: "service_tick"))
        #expect(!tick.isSystem)
        #expect(tick.parameters.map(\.type) == [.integer(bits: 64, signed: true)])
        #expect(mixed.function(named: "service_stop")?.isSystem == false)

        // From <stdlib.h> and <time.h>.
        let abs = try #require(mixed.function(named: "abs"))
        #expect(abs.isSystem)
        #expect(abs.span.fileName == "stdlib.h")
        #expect(abs.parameters.map(\.type) == [.integer(bits: 32, signed: true)])
        #expect(mixed.function(named: "exit")?.isSystem == true)
        #expect(mixed.function(named: "difftime")?.isSystem == true)
        let tm = try #require(mixed.structure(named: "tm"))
        #expect(tm.isSystem)
        #expect(tm.fields.first == CParameter(name: "tm_sec", type: .integer(bits: 32, signed: true)))
    }

    @Test func posixDeclarationsOfTheSystemHeadersAreVisible() throws {
        // Strict C11 alone would hide them; headers are read as the generated C is compiled.
        let unistd = Inputs.load("unistd.h")
        let getpid = try #require(unistd.function(named: "getpid"))
        #expect(getpid.isSystem)
        #expect(getpid.parameters.isEmpty)
        #expect(unistd.function(named: "usleep")?.isSystem == true)
    }

    @Test func systemRejectionsAreOneSummaryWarning() throws {
        let mixed = Inputs.load("mixed.h")
        // malloc returns a pointer, qsort takes a function pointer: both from system headers.
        #expect(mixed.function(named: "malloc") == nil)
        #expect(mixed.function(named: "qsort") == nil)
        #expect(mixed.diagnostics(withID: "c-unsupported").isEmpty)
        let summaries = mixed.diagnostics(withID: "c-unsupported-system")
        #expect(summaries.count == 1)
        let summary = try #require(summaries.first)
        #expect(summary.severity == .warning)
        #expect(summary.span?.position == Inputs.importSpan("mixed.h").position)
        #expect(summary.message.contains("declarations from system headers were not imported"))
        #expect(summary.message.contains("returned pointers: "))
        #expect(summary.message.contains("function pointers: "))
        #expect(summary.message.contains("qsort"))
        #expect(summary.notes.isEmpty)
    }

    @Test func aHeaderFoundOnTheSystemPathIsASystemHeader() throws {
        let time = Inputs.load("time.h")
        #expect(time.resolvedPath == "/usr/include/time.h")
        #expect(time.diagnostics.filter { $0.isError }.isEmpty)
        #expect(!time.functions.isEmpty)
        #expect(time.functions.allSatisfy { $0.isSystem })
        #expect(time.structs.allSatisfy { $0.isSystem })
        let difftime = try #require(time.function(named: "difftime"))
        #expect(difftime.result == .floating(bits: 64))
    }

    @Test func extraIncludeDirectoriesAreSearchedAfterTheImportingDirectory() throws {
        #expect(Inputs.load("extra.h").resolvedPath == nil)
        let extra = Inputs.load("extra.h", extraIncludeDirectories: [Inputs.directory + "/extra"])
        #expect(extra.resolvedPath == Inputs.directory + "/extra/extra.h")
        let f = try #require(extra.function(named: "from_extra"))
        #expect(!f.isSystem)
    }

    @Test func subdirectoryPathsResolveRelativeToTheImportingFile() {
        let extra = Inputs.load("extra/extra.h")
        #expect(extra.resolvedPath == Inputs.directory + "/extra/extra.h")
        #expect(extra.function(named: "from_extra") != nil)
    }

    @Test func extraClangArgumentsReachClang() {
        #expect(Inputs.load("defines.h").function(named: "configured") == nil)
        let configured = CImporter.importHeader(
            "defines.h", importingFile: Inputs.importingFile, importSpan: Inputs.importSpan("defines.h"),
            extraClangArguments: ["-DCLEAVE_CONFIGURED"])
        #expect(configured.function(named: "configured") != nil)
    }

    @Test func headerNotFound() throws {
        let missing = Inputs.load("no_such_header.h")
        #expect(missing.resolvedPath == nil)
        #expect(missing.functions.isEmpty && missing.structs.isEmpty)
        let error = try #require(missing.diagnostics.first)
        #expect(missing.diagnostics.count == 1)
        #expect(error.id == "c-header-not-found")
        #expect(error.isError)
        #expect(error.span?.position == Inputs.importSpan("no_such_header.h").position)
        #expect(error.message.contains("no_such_header.h"))
        let note = try #require(error.notes.first)
        #expect(note.message.contains(Inputs.directory))
        #expect(note.message.contains("/usr/include"))
        #expect(note.message.contains("/usr/lib/llvm-14/lib/clang/14"))
    }
}

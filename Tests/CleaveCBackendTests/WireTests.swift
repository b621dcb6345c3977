// The isolated target's checked reading of messages (wire.c): what is written
// reads back, and a count beyond the message, a Bool that is not 0 or 1, a
// String that is not UTF-8 or a value cut short is refused, never read. The
// checks are a C program (Tests/Inputs/Isolated/wire_check.c) built with the
// runtime; the generated readers are built on these and are exercised end to
// end by IsolatedBuildTests and the generated programs.

import CleaveTestSupport
import Foundation
import Testing

@Suite struct WireTests {
    @Test func malformedValuesAreRefused() throws {
        let runtime = RuntimeSources.root
        let sources = RuntimeSources.paths(excluding: RuntimeSources.processMains)
        let exe = BuiltServices.directory + "/wire_check"
        let build = try runProcess(
            "/usr/bin/env",
            ["cc", "-std=c11", "-D_DEFAULT_SOURCE", "-O1", "-Wall", "-Wextra", "-Werror", "-I", runtime]
                + [Repo.path("Tests/Inputs/Isolated/wire_check.c")] + sources + ["-o", exe, "-lpcap", "-lseccomp", "-lm"])
        #expect(build.status == 0, "\(build.stderr)")
        guard build.status == 0 else { return }
        let r = try runProcess(exe, [])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.hasSuffix("0 failures\n"), "\(r.stdout)")
    }
}

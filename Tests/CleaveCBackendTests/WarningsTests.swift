// The generated C compiles without a warning under `-Wall -Wextra -Werror`,
// with gcc and with clang, for every example, for both targets.

import CleaveTestSupport
import Foundation
import Testing

@Suite struct WarningsTests {
    @Test(arguments: ["gcc", "clang"])
    func everyExampleCompilesWithoutWarnings(_ cc: String) throws {
        // Tests/Fuzz/wire.clv has a value of every kind, an empty struct among them.
        for example in Repo.examples + [Repo.path(TrapTests.source), Repo.path("Tests/Fuzz/wire.clv")] {
            let r = try runProcess(
                Repo.cleaveBinary, ["build", example, "-o", "\(BuiltServices.directory)/warnings-\(cc)"],
                environment: ["CC": cc, "CFLAGS": "-Werror"])
            #expect(r.status == 0, "\(cc) on \(example):\n\(r.stderr)")
        }
    }

    @Test(arguments: ["gcc", "clang"])
    func everyExampleBuildsIsolatedWithoutWarnings(_ cc: String) throws {
        // Every component's C, the launcher's table and the isolated runtime (rings, wire, sandbox).
        for example in Repo.examples + [Repo.path("Tests/Inputs/Services/features.clv"), Repo.path("Tests/Fuzz/wire.clv")] {
            let r = try runProcess(
                Repo.cleaveBinary,
                ["build", "--target", "isolated", example, "-o", "\(BuiltServices.directory)/warnings-isolated-\(cc).d"],
                environment: ["CC": cc, "CFLAGS": "-Werror"])
            #expect(r.status == 0, "\(cc) on \(example):\n\(r.stderr)")
        }
    }
}

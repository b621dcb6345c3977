// `cleave dump --stage imports`, and the determinism it relies on.

import CleaveCImport
import CleaveDiagnostics
import Testing

@Suite struct DumpImportsTests {
    @Test func dumpOfASmallHeader() {
        let dump = dumpImports([Inputs.load("dump.h"), Inputs.load("nowhere.h")])
        let expected = """
            import "dump.h" -> \(Inputs.directory)/dump.h
              func checksum(_ data: Bytes, _ length: Int32) -> UInt16    user    dump.h:3
              func reset()                                               user    dump.h:4
              func scale(_ p: pair, _: Double) -> Double                 user    dump.h:5
              struct pair { x: Int32, y: Int32 }                         user    dump.h:2
            import "nowhere.h" -> not found

            """
        #expect(dump == expected)
    }

    @Test func systemDeclarationsAreMarkedInTheDump() {
        let dump = dumpImports([Inputs.load("mixed.h")])
        #expect(dump.contains("  func service_tick(_ now: Int) -> Int    "))
        let lines = dump.split(separator: "\n")
        #expect(lines.contains { $0.hasPrefix("  func abs(") && $0.contains(" system  stdlib.h:") })
        #expect(lines.contains { $0.hasPrefix("  func service_stop(") && $0.contains(" user    mixed.h:7") })
    }

    @Test func twoRunsAreEqual() {
        for header in ["mixed.h", "unsupported.h", "structs.h", "broken.h"] {
            let a = Inputs.load(header)
            let b = Inputs.load(header)
            #expect(dumpImports([a]) == dumpImports([b]))
            #expect(a.summary == b.summary)
        }
    }

    @Test func importsRunConcurrently() async {
        let expected = dumpImports([Inputs.load("mixed.h")])
        let dumps = await withTaskGroup(of: String.self) { group in
            for _ in 0..<4 {
                group.addTask { dumpImports([Inputs.load("mixed.h")]) }
            }
            var all: [String] = []
            for await dump in group { all.append(dump) }
            return all
        }
        #expect(dumps == Array(repeating: expected, count: 4))
    }
}

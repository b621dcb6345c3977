// The table of built-ins (Builtin.swift): each has one name in the dumps, and what the
// checker makes of a source call is the built-in the table says.

import Testing

@testable import CleaveSema

@Suite struct BuiltinTableTests {
    @Test func everyBuiltInHasItsOwnName() {
        let names = Builtin.all.map(\.description)
        #expect(Set(names).count == names.count, "\(names.sorted())")
        #expect(names.contains("Bytes.readUInt16") && names.contains("UInt8.parse") && names.contains("print"))
    }

    @Test func aCallIsElaboratedToItsBuiltIn() {
        let c = checkClean(
            """
            func f(_ b: Bytes, _ xs: [Int]) -> Int {
                var c = b
                c.writeUInt32(7, at: 0)
                return Int(c.readUInt16(at: 0)) + xs.count + (xs.max() ?? 0) + Int(UInt8.max)
            }
            """)
        var seen: [Builtin] = []
        func walk(_ e: TExpr) {
            if case .builtin(let b, _) = e.kind { seen.append(b) }
            e.forEachChild(walk)
        }
        (returnedValues(c.function("f")) + evaluated(c.function("f"))).forEach(walk)
        for b: Builtin in [.bytes(.write(.uint32)), .bytes(.read(.uint16)), .array(.count), .array(.max), .integer(.uint8, .max)] {
            #expect(seen.contains(b), "\(b) in \(seen)")
        }
    }
}

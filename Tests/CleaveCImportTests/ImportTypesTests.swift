// How C types map to Cleave types: scalars, byte pointers, structs by value.

import CleaveCImport
import CleaveDiagnostics
import Testing

@Suite struct ImportTypesTests {
    let scalars = Inputs.load("scalars.h")

    func signature(_ name: String) -> ([CType], CType)? {
        guard let f = scalars.function(named: name) else { return nil }
        return (f.parameters.map(\.type), f.result)
    }

    @Test func headerIsFoundNextToTheImportingFile() {
        #expect(scalars.resolvedPath == Inputs.directory + "/scalars.h")
        #expect(scalars.spelledPath == "scalars.h")
        #expect(scalars.diagnostics.filter { $0.isError }.isEmpty)
    }

    @Test(arguments: [
        ("take_int", CType.integer(bits: 32, signed: true)),
        ("take_unsigned", .integer(bits: 32, signed: false)),
        ("take_short", .integer(bits: 16, signed: true)),
        ("take_unsigned_short", .integer(bits: 16, signed: false)),
        ("take_char", .integer(bits: 8, signed: true)),
        ("take_signed_char", .integer(bits: 8, signed: true)),
        ("take_unsigned_char", .integer(bits: 8, signed: false)),
        ("take_long", .integer(bits: 64, signed: true)),
        ("take_long_long", .integer(bits: 64, signed: true)),
        ("take_unsigned_long_long", .integer(bits: 64, signed: false)),
        ("take_int8", .integer(bits: 8, signed: true)),
        ("take_uint8", .integer(bits: 8, signed: false)),
        ("take_int16", .integer(bits: 16, signed: true)),
        ("take_uint16", .integer(bits: 16, signed: false)),
        ("take_int32", .integer(bits: 32, signed: true)),
        ("take_uint32", .integer(bits: 32, signed: false)),
        ("take_int64", .integer(bits: 64, signed: true)),
        ("take_uint64", .integer(bits: 64, signed: false)),
        ("take_size", .integer(bits: 64, signed: false)),
        ("take_bool", .bool),
        ("take_float", .floating(bits: 32)),
        ("take_double", .floating(bits: 64)),
        ("take_mode", .integer(bits: 32, signed: false)),
    ])
    func scalarParameterAndResult(_ name: String, _ type: CType) throws {
        let (parameters, result) = try #require(signature(name))
        #expect(parameters == [type])
        #expect(result == type)
    }

    @Test func voidFunctionHasNoParametersAndVoidResult() throws {
        let f = try #require(scalars.function(named: "nothing"))
        #expect(f.parameters.isEmpty)
        #expect(f.result == .void)
    }

    @Test func staticInlineFunctionsAreImportedLikeOthers() throws {
        let f = try #require(scalars.function(named: "add_inline"))
        #expect(f.parameters.map(\.name) == ["a", "b"])
        #expect(f.result == .integer(bits: 32, signed: true))
    }

    @Test func parameterNamesAreKeptAndEmptyWhenOmitted() throws {
        #expect(scalars.function(named: "take_size")?.parameters.map(\.name) == ["n"])
        let f = try #require(scalars.function(named: "unnamed"))
        #expect(
            f.parameters == [
                CParameter(name: "", type: .integer(bits: 32, signed: true)),
                CParameter(name: "", type: .floating(bits: 64)),
            ])
    }

    @Test func userDeclarationsAreNotSystemAndPointAtTheirName() throws {
        let f = try #require(scalars.function(named: "take_double"))
        #expect(!f.isSystem)
        #expect(f.span.fileName == "scalars.h")
        #expect(f.span.file.text(of: f.span) == "take_double")
        #expect(f.span.lineText == "double take_double(double d);")
    }

    @Test func functionsAreSortedByName() {
        let names = scalars.functions.map(\.name)
        #expect(names == names.sorted())
        #expect(names.contains("take_int"))
    }

    @Test func pointersToBytesAreBytes() throws {
        let pointers = Inputs.load("pointers.h")
        #expect(pointers.diagnostics(withID: "c-unsupported").isEmpty)
        let checksum = try #require(pointers.function(named: "checksum"))
        #expect(
            checksum.parameters == [
                CParameter(name: "data", type: .bytes(isConst: true)),
                CParameter(name: "length", type: .integer(bits: 64, signed: false)),
            ])
        #expect(checksum.result == .integer(bits: 16, signed: false))
        #expect(pointers.function(named: "fill")?.parameters.first?.type == .bytes(isConst: false))
        #expect(pointers.function(named: "keep")?.parameters.first?.type == .bytes(isConst: false))
        #expect(pointers.function(named: "inspect")?.parameters.first?.type == .bytes(isConst: true))
        #expect(pointers.function(named: "signed_bytes")?.parameters.first?.type == .bytes(isConst: false))
        // An array parameter is a pointer in C.
        #expect(pointers.function(named: "name_buffer")?.parameters.first?.type == .bytes(isConst: true))
    }

    @Test func structsByTagAndByTypedef() throws {
        let structs = Inputs.load("structs.h")
        #expect(structs.diagnostics(withID: "c-unsupported").isEmpty)
        #expect(structs.structs.map(\.name) == ["Rect", "Size", "label", "point"])

        let point = try #require(structs.structure(named: "point"))
        #expect(
            point.fields == [
                CParameter(name: "x", type: .integer(bits: 32, signed: true)),
                CParameter(name: "y", type: .integer(bits: 32, signed: true)),
            ])
        #expect(point.cSpelling == "struct point")
        #expect(!point.isSystem)
        #expect(point.span.lineText == "struct point {")

        let size = try #require(structs.structure(named: "Size"))
        #expect(size.cSpelling == "Size")
        #expect(size.fields.map(\.type) == [.floating(bits: 64), .floating(bits: 64)])

        // A tagged struct with a typedef is known by the typedef name only.
        let rect = try #require(structs.structure(named: "Rect"))
        #expect(structs.structure(named: "rect") == nil)
        #expect(rect.cSpelling == "Rect")
        #expect(
            rect.fields == [
                CParameter(name: "origin", type: .structure(name: "point")),
                CParameter(name: "size", type: .structure(name: "Size")),
            ])

        let label = try #require(structs.structure(named: "label"))
        #expect(label.fields.map(\.type) == [.bytes(isConst: true), .integer(bits: 8, signed: false)])
    }

    @Test func structsPassAndReturnByValue() throws {
        let structs = Inputs.load("structs.h")
        let move = try #require(structs.function(named: "move_point"))
        #expect(
            move.parameters.map(\.type) == [
                .structure(name: "point"), .integer(bits: 32, signed: true), .integer(bits: 32, signed: true),
            ])
        #expect(move.result == .structure(name: "point"))
        let make = try #require(structs.function(named: "make_rect"))
        #expect(make.parameters.map(\.type) == [.structure(name: "point"), .structure(name: "Size")])
        #expect(make.result == .structure(name: "Rect"))
    }

    @Test func cleaveNames() {
        #expect(CType.integer(bits: 8, signed: true).cleaveName == "Int8")
        #expect(CType.integer(bits: 16, signed: true).cleaveName == "Int16")
        #expect(CType.integer(bits: 32, signed: true).cleaveName == "Int32")
        #expect(CType.integer(bits: 64, signed: true).cleaveName == "Int")
        #expect(CType.integer(bits: 8, signed: false).cleaveName == "UInt8")
        #expect(CType.integer(bits: 16, signed: false).cleaveName == "UInt16")
        #expect(CType.integer(bits: 32, signed: false).cleaveName == "UInt32")
        #expect(CType.integer(bits: 64, signed: false).cleaveName == "UInt64")
        #expect(CType.floating(bits: 32).cleaveName == "Double")
        #expect(CType.floating(bits: 64).cleaveName == "Double")
        #expect(CType.bool.cleaveName == "Bool")
        #expect(CType.void.cleaveName == "Void")
        #expect(CType.bytes(isConst: true).cleaveName == "Bytes")
        #expect(CType.structure(name: "Point").cleaveName == "Point")
    }
}

// What an `import "file.h"` brings into Cleave.
//
// Cleave calls C directly, so only the part of C whose values Cleave can hand over
// without a conversion layer is imported: integers, floating-point numbers, `bool`,
// pointers to bytes (which a Cleave `Bytes` buffer lends for the duration of the
// call) and plain structs of those, passed by value. Everything else — variadic
// functions, function pointers, unions, arrays by value, pointers to anything but
// bytes, returned pointers — is reported as not imported rather than approximated.
//
// The C types are normalised through clang's canonical type, so `int32_t`, `int`
// and `signed` are one type, `size_t` is whatever the target makes it, and
// `const uint8_t *`, `char *` and `void *` are all `Bytes`. `float` keeps its width
// here (`.floating(bits: 32)`), for the code generator, but is `Double` in Cleave.
//
// A struct is known in Cleave by one name, chosen by this rule:
//
//   1. the first typedef that names the struct itself (`typedef struct point Point;`
//      or `typedef struct { … } Point;`), unless that name is reserved;
//   2. otherwise the struct's tag (`struct point` is `point`);
//   3. a struct with neither (or only reserved names) is not imported.
//
// `CStruct.cSpelling` is how generated C spells the type: the typedef name, or
// `struct tag`.

import CleaveDiagnostics

public indirect enum CType: Sendable, Hashable {
    case void
    case bool
    /// char, short, int, long, long long, intN_t, uintN_t, size_t, enums, … (the
    /// canonical type's size and signedness).
    case integer(bits: Int, signed: Bool)
    /// float = 32, double = 64.
    case floating(bits: Int)
    /// A pointer to char, signed char, unsigned char (uint8_t, int8_t) or void.
    case bytes(isConst: Bool)
    /// A plain struct passed by value (its fields are all importable).
    case structure(name: String)
    /// A parameter that points to one struct or number the function may change
    /// (`struct pollfd *fds`): `inout` in Cleave, passed as a pointer to a copy.
    case pointer(to: CType)

    /// The Cleave spelling: Int8/16/32, Int (for 64-bit signed), UInt8/16/32/UInt64,
    /// Bool, Double (for float and double), Bytes, Void, or the struct name.
    public var cleaveName: String {
        switch self {
        case .void: "Void"
        case .bool: "Bool"
        case .integer(bits: 64, signed: true): "Int"
        case .integer(let bits, signed: true): "Int\(bits)"
        case .integer(let bits, signed: false): "UInt\(bits)"
        case .floating: "Double"
        case .bytes: "Bytes"
        case .structure(let name): name
        case .pointer(let pointee): "inout " + pointee.cleaveName
        }
    }
}

/// A parameter of a C function or a field of a C struct.
public struct CParameter: Sendable, Hashable {
    /// The name in the header, "" when the header omits it.
    public let name: String
    public let type: CType

    public init(name: String, type: CType) {
        self.name = name
        self.type = type
    }
}

public struct CFunction: Sendable, Hashable {
    public let name: String
    public let parameters: [CParameter]
    /// Never `.bytes`: functions returning pointers are not imported.
    public let result: CType
    /// The declaration is in a system header (`clang_Location_isInSystemHeader`).
    public let isSystem: Bool
    /// The function's name in its declaration in the header.
    public let span: SourceSpan

    public init(name: String, parameters: [CParameter], result: CType, isSystem: Bool, span: SourceSpan) {
        self.name = name
        self.parameters = parameters
        self.result = result
        self.isSystem = isSystem
        self.span = span
    }
}

public struct CStruct: Sendable, Hashable {
    /// The Cleave name (see the naming rule at the top of this file).
    public let name: String
    public let fields: [CParameter]
    public let isSystem: Bool
    /// The struct's name in its definition in the header.
    public let span: SourceSpan
    /// How C spells the type: `Point` for a typedef name, `struct point` for a tag.
    public let cSpelling: String

    public init(name: String, fields: [CParameter], isSystem: Bool, span: SourceSpan, cSpelling: String? = nil) {
        self.name = name
        self.fields = fields
        self.isSystem = isSystem
        self.span = span
        self.cSpelling = cSpelling ?? name
    }
}

public struct CHeaderImport: Sendable {
    /// As written in the import: "helpers.h".
    public let spelledPath: String
    /// The absolute path found, nil if not found.
    public let resolvedPath: String?
    /// Sorted by name.
    public let functions: [CFunction]
    /// Sorted by name.
    public let structs: [CStruct]
    public let diagnostics: [Diagnostic]

    public init(
        spelledPath: String, resolvedPath: String?, functions: [CFunction], structs: [CStruct],
        diagnostics: [Diagnostic]
    ) {
        self.spelledPath = spelledPath
        self.resolvedPath = resolvedPath
        self.functions = functions.sorted { $0.name < $1.name }
        self.structs = structs.sorted { $0.name < $1.name }
        self.diagnostics = diagnostics
    }

    /// The imported function with this name.
    public func function(named name: String) -> CFunction? {
        functions.first { $0.name == name }
    }

    /// The imported struct with this Cleave name.
    public func structure(named name: String) -> CStruct? {
        structs.first { $0.name == name }
    }

    public var hasErrors: Bool { diagnostics.contains { $0.isError } }
}

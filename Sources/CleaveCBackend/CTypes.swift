// C types of Cleave values, and the type descriptors the runtime's generic
// arrays and maps work through.
//
// Scalars map to <stdint.h> types, `Bool` to `bool`, `Double` to `double`.
// `Bytes`, `String` and arrays are `cl_buf *`, maps `cl_map *`. Optionals,
// tuples and closures get one C struct per distinct Cleave type, numbered in
// the order they are first needed (`struct cl_opt3 /* Bytes? */`); the
// program's structs and enums are `struct struct_Name` and `struct enum_Name`
// (`tag` plus a union of one struct of payload fields per case), and a state
// is a pointer to `struct state_Name`, its fields beside the state's own heap.
//
// Definitions are emitted in the order types are registered, and a type
// registers what it holds by value first, so every struct is complete where
// another embeds it. Descriptors (`ty_N`) may refer to each other in cycles
// (a struct holding an array of itself), so they are declared before they are
// defined.

import CleaveSema

final class CTypes {
    let program: TypedProgram
    private(set) var definitions: [String] = []
    private(set) var forward: [String] = []
    private var names: [Ty: String] = [:]
    private var registering: Set<Ty> = []
    private var counter = 0

    // Descriptors.
    private var descriptors: [Ty: String] = [:]
    private(set) var descriptorDeclarations: [String] = []
    private(set) var descriptorDefinitions: [String] = []

    init(program: TypedProgram) { self.program = program }

    func decl(_ id: TypeID) -> TypeDeclInfo { program.type(id) }
    func spelled(_ t: Ty) -> String { program.typeName(t) }

    static func ident(_ s: String) -> String {
        String(s.map { $0.isLetter || $0.isNumber || $0 == "_" ? ($0.isASCII ? $0 : "_") : "_" })
    }

    /// The C name of a value the source names: `v19_result` for value 19, named `result`.
    /// The number comes first so that no name the program chooses makes a macro of the
    /// headers (`M_PI` as value 2 would make `M_PI_2`, which <math.h> defines); see CText.swift.
    static func local(_ name: String, _ number: Int) -> String { "v\(number)_\(ident(name))" }

    func isState(_ t: Ty) -> Bool {
        if case .nominal(let id) = t { return decl(id).kind == .state }
        return false
    }

    func isFrameDevice(_ t: Ty) -> Bool {
        if case .nominal(let id) = t { return decl(id).isStandard && decl(id).name == "FrameDevice" }
        return false
    }

    func isUdpDevice(_ t: Ty) -> Bool {
        if case .nominal(let id) = t { return decl(id).isStandard && decl(id).name == "UdpDevice" }
        return false
    }

    func isTcpDevice(_ t: Ty) -> Bool {
        if case .nominal(let id) = t { return decl(id).isStandard && decl(id).name == "TcpDevice" }
        return false
    }

    static func intType(_ k: IntKind) -> String {
        switch k {
        case .int, .int64: "int64_t"
        case .int8: "int8_t"
        case .int16: "int16_t"
        case .int32: "int32_t"
        case .uint, .uint64: "uint64_t"
        case .uint8: "uint8_t"
        case .uint16: "uint16_t"
        case .uint32: "uint32_t"
        }
    }

    /// The suffix of the runtime's arithmetic functions (`cl_add_i64`).
    static func intSuffix(_ k: IntKind) -> String {
        (k.isSigned ? "i" : "u") + String(k.bits)
    }

    /// The C type of a value of type `t`.
    func c(_ t: Ty) -> String {
        switch t {
        case .int(let k): return CTypes.intType(k)
        case .bool: return "bool"
        case .double: return "double"
        case .string, .bytes: return "cl_bytes"
        case .void, .never, .error: return "uint8_t"
        case .array: return "cl_buf *"
        case .map: return "cl_map *"
        case .nominal(let id):
            let d = decl(id)
            if d.kind == .state {
                if isUdpDevice(t) { return "cl_udp_device *" }
                if isTcpDevice(t) { return "cl_tcp_device *" }
                return isFrameDevice(t) ? "cl_frame_device *" : "struct \(stateStruct(id)) *"
            }
            // A C struct as its header spells it: a typedef name has no `struct` before it.
            if d.isC, let spelling = d.cSpelling { return spelling }
            return "struct \(register(t))"
        case .optional, .tuple, .function:
            return "struct \(register(t))"
        }
    }

    func stateStruct(_ id: TypeID) -> String { "state_\(CTypes.ident(decl(id).name))" }
    func fieldName(_ name: String) -> String { "f_\(CTypes.ident(name))" }

    /// A field of a struct as C names it: a C struct's fields keep the header's names.
    func fieldName(_ name: String, in d: TypeDeclInfo) -> String { d.isC ? name : fieldName(name) }

    /// Has buffers inside (what marking, promoting and releasing must walk).
    func hasBuffers(_ t: Ty) -> Bool {
        var seen: Set<TypeID> = []
        func go(_ t: Ty) -> Bool {
            switch t {
            case .string, .bytes, .array, .map: return true
            case .optional(let w): return go(w)
            case .tuple(let xs): return xs.contains(where: go)
            case .nominal(let id):
                let d = decl(id)
                if d.kind == .state || !seen.insert(id).inserted { return false }
                return d.fields.contains { go($0.type) } || d.cases.contains { $0.payload.contains { go($0.type) } }
            default: return false
            }
        }
        return go(t)
    }

    /// The struct name of an optional, tuple, closure, struct or enum type, defining it on first use.
    @discardableResult
    func register(_ t: Ty) -> String {
        if let n = names[t] { return n }
        let name: String
        switch t {
        case .optional: name = "cl_opt\(next())"
        case .tuple: name = "cl_tup\(next())"
        case .function: name = "cl_fn\(next())"
        case .nominal(let id):
            let d = decl(id)
            name = d.isC ? d.name : (d.kind == .enum ? "enum_" : "struct_") + CTypes.ident(d.name)
        default: return c(t)
        }
        names[t] = name
        if case .nominal(let id) = t, decl(id).isC { return name }
        forward.append("struct \(name);")
        guard registering.insert(t).inserted else { return name }
        var body: [String] = []
        switch t {
        case .optional(let w):
            body = ["    bool some;", "    \(c(w)) value;"]
        case .tuple(let items):
            body = items.enumerated().map { "    \(c($1)) e\($0);" }
        case .function(let params, let result):
            let ps = (["void *env"] + params.map { c($0) }).joined(separator: ", ")
            body = ["    \(c(result)) (*call)(\(ps));", "    void *env;"]
        case .nominal(let id):
            let d = decl(id)
            if d.kind == .enum {
                body = ["    int64_t tag;"]
                let withPayload = d.cases.enumerated().filter { !$0.element.payload.isEmpty }
                if !withPayload.isEmpty {
                    body.append("    union {")
                    for (k, cs) in withPayload {
                        let fields = cs.payload.enumerated().map { "\(c($1.type)) p\($0);" }.joined(separator: " ")
                        body.append("        struct { \(fields) } c\(k); \(CText.comment(cs.name))")
                    }
                    body.append("    } u;")
                }
            } else {
                body = d.fields.map { "    \(c($0.type)) \(fieldName($0.name));" }
                if body.isEmpty { body = ["    uint8_t unused;"] }
            }
        default: break
        }
        definitions.append("\(CText.comment(spelled(t)))\nstruct \(name) {\n\(body.joined(separator: "\n"))\n};")
        return name
    }

    private func next() -> Int {
        counter += 1
        return counter
    }

    // MARK: Descriptors

    /// A C expression for the descriptor of `t` (`&cl_type_int64`, `&ty_3`).
    func descriptor(_ t: Ty) -> String {
        switch t {
        case .int(let k):
            let n: String
            switch k {
            case .int, .int64: n = "int64"
            case .int8: n = "int8"
            case .int16: n = "int16"
            case .int32: n = "int32"
            case .uint, .uint64: n = "uint64"
            case .uint8: n = "uint8"
            case .uint16: n = "uint16"
            case .uint32: n = "uint32"
            }
            return "&cl_type_\(n)"
        case .bool: return "&cl_type_bool"
        case .double: return "&cl_type_double"
        case .string, .bytes: return "&cl_type_bytes"
        case .void, .never, .error: return "&cl_type_void"
        default: break
        }
        if let d = descriptors[t] { return "&\(d)" }
        let name = "ty_\(descriptors.count + 1)"
        descriptors[t] = name
        descriptorDeclarations.append("static const cl_type \(name);")
        let ctype = c(t)
        var fields = [".name = \(CText.string(spelled(t)))", ".size = sizeof(\(ctype))"]
        switch t {
        case .array(let e):
            fields += [
                ".kind = CL_KIND_ARRAY", ".elem = \(descriptor(e))", ".mark = cl_buf_mark", ".promote = cl_buf_promote",
                ".release = cl_buf_release", ".equal = cl_array_equal_op", ".compare = cl_array_compare_op",
            ]
        case .map(let k, let v):
            fields += [
                ".kind = CL_KIND_MAP", ".key = \(descriptor(k))", ".value = \(descriptor(v))", ".mark = cl_map_mark_op",
                ".promote = cl_map_promote_op", ".release = cl_map_release_op", ".equal = cl_map_equal_op",
            ]
        default:
            let ops = compositeOperations(t, name: name)
            fields += [".kind = \(hasBuffers(t) ? "CL_KIND_COMPOSITE" : "CL_KIND_PLAIN")"] + ops
        }
        descriptorDefinitions.append("static const cl_type \(name) = {\(fields.joined(separator: ", "))};")
        return "&\(name)"
    }

    /// The parts of a composite value, as (C lvalue suffix, type), per enum case when an enum.
    private func parts(_ t: Ty) -> [(String, Ty)] {
        switch t {
        case .optional(let w): return [("value", w)]
        case .tuple(let items): return items.enumerated().map { ("e\($0)", $1) }
        case .nominal(let id):
            let d = decl(id)
            return d.fields.map { (fieldName($0.name, in: d), $0.type) }
        default: return []
        }
    }

    /// mark/promote/release/equal functions of a struct, tuple, optional or enum.
    private func compositeOperations(_ t: Ty, name: String) -> [String] {
        let ctype = c(t)
        var ops: [String] = []
        var enumCases: [(Int, [(String, Ty)])] = []
        var guardSome = ""
        if case .nominal(let id) = t, decl(id).kind == .enum {
            enumCases = decl(id).cases.enumerated().compactMap { k, cs in
                cs.payload.isEmpty ? nil : (k, cs.payload.enumerated().map { ("u.c\(k).p\($0)", $1.type) })
            }
        }
        if case .optional = t { guardSome = "    if (!x->some) return;\n" }
        let flat = enumCases.isEmpty ? parts(t) : []
        func body(_ each: (String, Ty) -> String?) -> String {
            var lines: [String] = []
            if enumCases.isEmpty {
                lines += flat.compactMap { each("x->\($0.0)", $0.1) }.map { "    " + $0 }
            } else {
                lines.append("    switch (x->tag) {")
                for (k, ps) in enumCases {
                    let inner = ps.compactMap { each("x->\($0.0)", $0.1) }
                    if inner.isEmpty { continue }
                    lines.append("    case \(k): " + inner.joined(separator: " ") + " break;")
                }
                lines.append("    default: break;")
                lines.append("    }")
            }
            return lines.joined(separator: "\n")
        }
        if hasBuffers(t) {
            let mark = body { lv, ty in self.hasBuffers(ty) ? "cl_mark(\(self.descriptor(ty)), &\(lv));" : nil }
            let promote = body { lv, ty in self.hasBuffers(ty) ? "cl_promote(\(self.descriptor(ty)), &\(lv), h, force);" : nil }
            let release = body { lv, ty in self.hasBuffers(ty) ? "cl_release(\(self.descriptor(ty)), &\(lv), h);" : nil }
            descriptorDefinitions.append(
                """
                static void mark_\(name)(const cl_type *t, void *v) {
                    (void)t;
                    \(ctype) *x = v;
                \(guardSome)\(mark)
                }
                static void promote_\(name)(const cl_type *t, void *v, cl_heap *h, bool force) {
                    (void)t;
                    \(ctype) *x = v;
                \(guardSome)\(promote)
                }
                static void release_\(name)(const cl_type *t, void *v, cl_heap *h) {
                    (void)t;
                    \(ctype) *x = v;
                \(guardSome)\(release)
                }
                """)
            ops += [".mark = mark_\(name)", ".promote = promote_\(name)", ".release = release_\(name)"]
        }
        if isEquatable(t) {
            var eq: String
            switch t {
            case .optional(let w):
                eq = "x->some == y->some && (!x->some || cl_equal(\(descriptor(w)), &x->value, &y->value))"
            default:
                if !enumCases.isEmpty || isEnum(t) {
                    var cases: [String] = []
                    for (k, ps) in enumCases {
                        let tests = ps.map { "cl_equal(\(descriptor($0.1)), &x->\($0.0), &y->\($0.0))" }
                        cases.append("case \(k): return \(tests.joined(separator: " && "));")
                    }
                    eq = "x->tag == y->tag"
                    if !cases.isEmpty {
                        descriptorDefinitions.append(
                            """
                            static bool payload_equal_\(name)(const \(ctype) *x, const \(ctype) *y) {
                                switch (x->tag) {
                                \(cases.joined(separator: "\n    "))
                                default: return true;
                                }
                            }
                            """)
                        eq += " && payload_equal_\(name)(x, y)"
                    }
                } else {
                    let tests = flat.map { "cl_equal(\(descriptor($0.1)), &x->\($0.0), &y->\($0.0))" }
                    eq = tests.isEmpty ? "true" : tests.joined(separator: " && ")
                }
            }
            // A struct without fields has nothing to compare: its two values are not even looked at.
            let body =
                eq == "true"
                ? ["(void)t, (void)a, (void)b;", "return true;"]
                : ["(void)t;", "const \(ctype) *x = a;", "const \(ctype) *y = b;", "return \(eq);"]
            descriptorDefinitions.append(
                """
                static bool equal_\(name)(const cl_type *t, const void *a, const void *b) {
                \(body.map { "    " + $0 }.joined(separator: "\n"))
                }
                """)
            ops.append(".equal = equal_\(name)")
        }
        return ops
    }

    func isEnum(_ t: Ty) -> Bool {
        if case .nominal(let id) = t { return decl(id).kind == .enum }
        return false
    }

    func isEquatable(_ t: Ty) -> Bool {
        var seen: Set<TypeID> = []
        func go(_ t: Ty) -> Bool {
            switch t {
            case .function, .never, .error: return false
            case .optional(let w), .array(let w): return go(w)
            case .map(let k, let v): return go(k) && go(v)
            case .tuple(let xs): return xs.allSatisfy(go)
            case .nominal(let id):
                let d = decl(id)
                if d.kind == .state || d.isC { return false }
                if !seen.insert(id).inserted { return true }
                return d.fields.allSatisfy { go($0.type) } && d.cases.allSatisfy { $0.payload.allSatisfy { go($0.type) } }
            default: return true
            }
        }
        return go(t)
    }

    /// A value of type `t` with every bit zero: what an unset result starts as.
    func zero(_ t: Ty) -> String {
        switch t {
        case .int, .double, .void, .never, .error: return "0"
        case .bool: return "false"
        case .string, .bytes, .array, .map: return "NULL"
        case .nominal(let id) where decl(id).kind == .state: return "NULL"
        default: return "(\(c(t))){0}"
        }
    }
}

// From clang's declarations to Cleave's.
//
// The importer walks the top-level declarations of the translation unit — the
// header and everything it includes, so a `size_t` from <stddef.h> resolves — in
// two passes:
//
//   1. Typedefs. `typedef struct { … } Point;` gives the struct the name Cleave
//      uses, and a function declared before the typedef must already see it, so
//      the names are collected first (the naming rule is in CDeclarations.swift).
//   2. Everything else. A function declaration is imported when its prototype and
//      every parameter and its result map to a `CType`; a struct definition when
//      it has a name and every field maps. Unions, enums and global variables are
//      rejected. Anything else (typedefs, static asserts) is not a declaration
//      Cleave could use and is passed over.
//
// Types map through their canonical type, so typedef chains (`uint16_t` →
// `__uint16_t` → `unsigned short`) cost nothing. A struct used by value is
// imported on demand, when a parameter or field first needs it, and remembered
// by its USR (clang's unique name for a declaration), so a struct nested in
// another or referenced before its definition is handled the same way as a
// top-level one.
//
// A name declared more than once — C allows redeclaring functions — is imported
// once, from its first importable declaration; it is rejected only when no
// declaration of it can be imported (`int f();` then `int f(int);` imports the
// second). Declarations with reserved names (`__x`, `_X`) are skipped silently.

import CClang
import CleaveDiagnostics

final class DeclarationImporter {
    private let files: HeaderFiles

    /// Struct, union and enum USR → the first non-reserved typedef naming it.
    private var typedefNames: [String: String] = [:]
    /// Struct USR → what became of it.
    private var structOutcomes: [String: StructOutcome] = [:]
    /// Cleave struct name → USR of the struct that has it.
    private var structsByName: [String: String] = [:]

    private(set) var functions: [String: CFunction] = [:]
    /// Rejections in the order they were found, keyed by namespace and name.
    private var rejections: [String: Rejection] = [:]
    private var rejectionOrder: [String] = []

    init(files: HeaderFiles) {
        self.files = files
    }

    var structs: [CStruct] {
        structOutcomes.values.compactMap { outcome in
            if case .imported(let s) = outcome { return s }
            return nil
        }
    }

    /// The rejected declarations, in the order of their first declaration, leaving
    /// out names that some other declaration imported.
    var rejected: [Rejection] {
        rejectionOrder.compactMap { key in
            guard let r = rejections[key] else { return nil }
            if key.hasPrefix("f:") && functions[r.name] != nil { return nil }
            return r
        }
    }

    func importDeclarations(of unit: CXTranslationUnit) {
        let top = children(of: clang_getTranslationUnitCursor(unit))
        for cursor in top where cursor.kind == CXCursor_TypedefDecl {
            collectTypedefName(cursor)
        }
        for cursor in top {
            switch cursor.kind {
            case CXCursor_FunctionDecl: visitFunction(cursor)
            case CXCursor_StructDecl: visitStruct(cursor)
            case CXCursor_UnionDecl: visitUnion(cursor)
            case CXCursor_EnumDecl: visitEnum(cursor)
            case CXCursor_VarDecl: visitVariable(cursor)
            default: break
            }
        }
    }

    // MARK: Typedefs

    private func collectTypedefName(_ cursor: CXCursor) {
        let name = spelling(of: cursor)
        guard !name.isEmpty, !isReserved(name) else { return }
        var underlying = clang_getTypedefDeclUnderlyingType(cursor)
        while underlying.kind == CXType_Elaborated {
            underlying = clang_Type_getNamedType(underlying)
        }
        guard underlying.kind == CXType_Record || underlying.kind == CXType_Enum else { return }
        let key = usr(of: clang_getTypeDeclaration(underlying))
        if typedefNames[key] == nil { typedefNames[key] = name }
    }

    /// The name a struct, union or enum is known by, with its C spelling: the
    /// typedef name, else the tag; nil when anonymous or reserved.
    private func tagName(_ cursor: CXCursor, keyword: String) -> (name: String, cSpelling: String)? {
        if let name = typedefNames[usr(of: cursor)] { return (name, name) }
        guard clang_Cursor_isAnonymous(cursor) == 0 else { return nil }
        let tag = spelling(of: cursor)
        guard isIdentifier(tag), !isReserved(tag) else { return nil }
        return (tag, "\(keyword) \(tag)")
    }

    // MARK: Functions

    private func visitFunction(_ cursor: CXCursor) {
        let name = spelling(of: cursor)
        guard !name.isEmpty, !isReserved(name), functions[name] == nil else { return }
        let isSystem = self.isSystem(cursor)
        switch importFunction(cursor, name: name, isSystem: isSystem) {
        case .imported(let function):
            functions[name] = function
        case .rejected(let problem):
            reject(key: "f:" + name, name: name, problem, isSystem: isSystem)
        }
    }

    private enum FunctionOutcome {
        case imported(CFunction)
        case rejected(Problem)
    }

    private func importFunction(_ cursor: CXCursor, name: String, isSystem: Bool) -> FunctionOutcome {
        let type = clang_getCursorType(cursor)
        if type.kind == CXType_FunctionNoProto {
            return .rejected(
                Problem(
                    .noPrototype,
                    note: "'\(name)' is declared without a prototype; write '\(name)(void)' if it takes no arguments",
                    at: span(of: cursor, name: name)))
        }
        if clang_isFunctionTypeVariadic(type) != 0 {
            return .rejected(
                Problem(
                    .variadic, note: "'\(name)' takes a variable number of arguments", at: span(of: cursor, name: name))
            )
        }
        let resultType = clang_getResultType(type)
        let result: CType
        switch mapType(resultType, isResult: true) {
        case .success(let t): result = t
        case .failure(let p):
            return .rejected(
                Problem(
                    p.kind, reason: p.reason, note: "'\(name)' returns '\(spelling(of: resultType))'",
                    at: span(of: cursor, name: name)))
        }
        var parameters: [CParameter] = []
        let count = clang_Cursor_getNumArguments(cursor)
        for i in 0..<max(0, Int(count)) {
            let argument = clang_Cursor_getArgument(cursor, UInt32(i))
            let argumentName = spelling(of: argument)
            var argumentType = clang_getCursorType(argument)
            if argumentType.kind == CXType_Invalid { argumentType = clang_getArgType(type, UInt32(i)) }
            switch mapType(argumentType, isResult: false, isParameter: true) {
            case .success(let t):
                parameters.append(CParameter(name: argumentName, type: t))
            case .failure(let p):
                let what = argumentName.isEmpty ? "parameter \(i + 1)" : "parameter '\(argumentName)'"
                let noteSpan = span(of: argument, name: argumentName) ?? span(of: cursor, name: name)
                return .rejected(
                    Problem(
                        p.kind, reason: p.reason, note: "\(what) has type '\(spelling(of: argumentType))'", at: noteSpan
                    ))
            }
        }
        guard let declSpan = span(of: cursor, name: name) else {
            return .rejected(Problem(.otherType, note: "'\(name)' has no position in a file", at: nil))
        }
        return .imported(
            CFunction(name: name, parameters: parameters, result: result, isSystem: isSystem, span: declSpan))
    }

    // MARK: Structs

    private enum StructOutcome {
        case inProgress
        case imported(CStruct)
        case rejected(name: String?, Problem)
    }

    private func visitStruct(_ cursor: CXCursor) {
        guard clang_isCursorDefinition(cursor) != 0, let (name, _) = tagName(cursor, keyword: "struct") else {
            return
        }
        if case .rejected(_, let problem) = importStruct(cursor) {
            reject(key: "t:" + name, name: name, problem, isSystem: isSystem(cursor))
        }
    }

    private func importStruct(_ reference: CXCursor) -> StructOutcome {
        let definition = clang_getCursorDefinition(reference)
        if clang_Cursor_isNull(definition) != 0 {
            let name = tagName(reference, keyword: "struct")?.name
            return .rejected(
                name: name,
                Problem(
                    .incompleteStruct, note: "struct '\(name ?? spelling(of: reference))' is declared but not defined",
                    at: span(of: reference, name: spelling(of: reference))))
        }
        let key = usr(of: definition)
        if let known = structOutcomes[key] { return known }
        structOutcomes[key] = .inProgress
        let outcome = defineStruct(definition, key: key)
        structOutcomes[key] = outcome
        return outcome
    }

    private func defineStruct(_ definition: CXCursor, key: String) -> StructOutcome {
        guard let (name, cSpelling) = tagName(definition, keyword: "struct") else {
            return .rejected(
                name: nil,
                Problem(
                    .anonymousRecord, note: "the struct has no name Cleave can use", at: span(of: definition, name: ""))
            )
        }
        let nameSpan = span(
            of: definition, name: clang_Cursor_isAnonymous(definition) != 0 ? "" : spelling(of: definition))
        if let owner = structsByName[name], owner != key {
            return .rejected(
                name: name,
                Problem(.nameConflict, note: "a second struct named '\(name)' is defined here", at: nameSpan))
        }
        structsByName[name] = key
        var imported: [CParameter] = []
        for field in fields(of: clang_getCursorType(definition)) {
            let fieldName = spelling(of: field)
            let fieldType = clang_getCursorType(field)
            let fieldSpan = span(of: field, name: fieldName)
            if clang_Cursor_isBitField(field) != 0 {
                return .rejected(
                    name: name, Problem(.bitField, note: "field '\(fieldName)' is a bit-field", at: fieldSpan))
            }
            if fieldName.isEmpty || clang_Cursor_isAnonymousRecordDecl(field) != 0 {
                return .rejected(
                    name: name,
                    Problem(.anonymousRecord, note: "this member is an anonymous struct or union", at: fieldSpan))
            }
            switch mapType(fieldType, isResult: false) {
            case .success(let t):
                imported.append(CParameter(name: fieldName, type: t))
            case .failure(let p):
                return .rejected(
                    name: name,
                    Problem(
                        p.kind, reason: p.reason, note: "field '\(fieldName)' has type '\(spelling(of: fieldType))'",
                        at: fieldSpan))
            }
        }
        guard let nameSpan else {
            return .rejected(name: name, Problem(.otherType, note: "'\(name)' has no position in a file", at: nil))
        }
        return .imported(
            CStruct(name: name, fields: imported, isSystem: isSystem(definition), span: nameSpan, cSpelling: cSpelling))
    }

    // MARK: Unions, enums, variables

    private func visitUnion(_ cursor: CXCursor) {
        guard clang_isCursorDefinition(cursor) != 0, let (name, _) = tagName(cursor, keyword: "union") else { return }
        let problem = Problem(
            .union, note: "union '\(name)' is declared here", at: span(of: cursor, name: spelling(of: cursor)))
        reject(key: "t:" + name, name: name, problem, isSystem: isSystem(cursor))
    }

    private func visitEnum(_ cursor: CXCursor) {
        guard clang_isCursorDefinition(cursor) != 0 else { return }
        let name: String
        let note: String
        if let (tag, _) = tagName(cursor, keyword: "enum") {
            name = tag
            note = "enum '\(tag)' is declared here; values of its type are imported as integers"
        } else if clang_Cursor_isAnonymous(cursor) == 0 {
            return  // a reserved tag without a typedef: the C library's own
        } else {
            // An anonymous enum is a way to name constants: name it by its first.
            let constants = children(of: cursor).filter { $0.kind == CXCursor_EnumConstantDecl }.map {
                spelling(of: $0)
            }
            guard let first = constants.first, !isReserved(first) else { return }
            name = first
            note = "'\(first)' is a constant of an anonymous enum"
        }
        let tag = clang_Cursor_isAnonymous(cursor) != 0 ? "" : spelling(of: cursor)
        let problem = Problem(.enumeration, note: note, at: span(of: cursor, name: tag))
        reject(key: "t:" + name, name: name, problem, isSystem: isSystem(cursor))
    }

    private func visitVariable(_ cursor: CXCursor) {
        let name = spelling(of: cursor)
        guard !name.isEmpty, !isReserved(name) else { return }
        let type = spelling(of: clang_getCursorType(cursor))
        let problem = Problem(
            .globalVariable, note: "'\(name)' is declared here as '\(type)'", at: span(of: cursor, name: name))
        reject(key: "f:" + name, name: name, problem, isSystem: isSystem(cursor))
    }

    // MARK: Types

    /// Why a type does not map; the declaration that uses it turns this into a
    /// `Problem` with a note at the parameter, field or declaration.
    struct TypeProblem: Error {
        let kind: Unsupported
        var reason: String? = nil
    }

    /// `isParameter`: C adjusts a parameter declared as an array or a function to
    /// a pointer (`char buf[16]` is `char *buf`), but libclang reports the type as
    /// written, so the adjustment is made here.
    private func mapType(_ type: CXType, isResult: Bool, isParameter: Bool = false) -> Result<CType, TypeProblem> {
        let canonical = clang_getCanonicalType(type)
        switch canonical.kind {
        case CXType_Void:
            return isResult ? .success(.void) : .failure(TypeProblem(kind: .otherType))
        case CXType_Bool:
            return .success(.bool)
        case CXType_Char_S, CXType_SChar, CXType_WChar, CXType_Short, CXType_Int, CXType_Long, CXType_LongLong:
            return integer(canonical, signed: true)
        case CXType_Char_U, CXType_UChar, CXType_Char16, CXType_Char32, CXType_UShort, CXType_UInt, CXType_ULong,
            CXType_ULongLong:
            return integer(canonical, signed: false)
        case CXType_Float:
            return .success(.floating(bits: 32))
        case CXType_Double:
            return .success(.floating(bits: 64))
        case CXType_Enum:
            let integerType = clang_getEnumDeclIntegerType(clang_getTypeDeclaration(canonical))
            return integerType.kind == CXType_Invalid
                ? .failure(TypeProblem(kind: .otherType)) : mapType(integerType, isResult: isResult)
        case CXType_ConstantArray, CXType_IncompleteArray, CXType_VariableArray, CXType_DependentSizedArray:
            guard isParameter else { return .failure(TypeProblem(kind: .arrayByValue)) }
            // clang keeps the qualifiers of `const char name[16]` on the array type.
            let isConst = clang_isConstQualifiedType(canonical) != 0
            return mapPointer(to: clang_getArrayElementType(canonical), isResult: isResult, isConst: isConst)
        case CXType_Pointer:
            return mapPointer(to: clang_getPointeeType(canonical), isResult: isResult)
        case CXType_FunctionProto, CXType_FunctionNoProto:
            // `int f(int)` as a parameter is a function pointer.
            return .failure(TypeProblem(kind: isParameter ? .functionPointer : .otherType))
        case CXType_Record:
            let declaration = clang_getTypeDeclaration(canonical)
            if declaration.kind == CXCursor_UnionDecl { return .failure(TypeProblem(kind: .union)) }
            switch importStruct(declaration) {
            case .imported(let s):
                return .success(.structure(name: s.name))
            case .inProgress:
                return .failure(TypeProblem(kind: .otherType, reason: "a struct cannot contain itself"))
            case .rejected(let name, let problem):
                if problem.kind == .incompleteStruct || problem.kind == .anonymousRecord {
                    return .failure(TypeProblem(kind: problem.kind))
                }
                let what = name.map { "struct '\($0)'" } ?? "the struct"
                return .failure(
                    TypeProblem(
                        kind: .unimportedStruct,
                        reason: "\(what) is not imported (\(problem.reason ?? problem.kind.reason))"))
            }
        default:
            return .failure(
                TypeProblem(kind: .otherType, reason: "type '\(spelling(of: type))' has no Cleave equivalent"))
        }
    }

    /// A pointer is `Bytes` when it points to bytes (`char`, `signed char`,
    /// `unsigned char`, `void`, with any qualifiers), and is not a result.
    private func mapPointer(to pointeeType: CXType, isResult: Bool, isConst: Bool = false) -> Result<CType, TypeProblem> {
        let pointee = clang_getCanonicalType(pointeeType)
        switch pointee.kind {
        case CXType_FunctionProto, CXType_FunctionNoProto:
            return .failure(TypeProblem(kind: .functionPointer))
        case _ where isResult:
            return .failure(TypeProblem(kind: .returnedPointer))
        case CXType_Void, CXType_Char_S, CXType_SChar, CXType_Char_U, CXType_UChar:
            return .success(.bytes(isConst: isConst || clang_isConstQualifiedType(pointee) != 0))
        case CXType_Record, CXType_Short, CXType_Int, CXType_Long, CXType_LongLong, CXType_UShort, CXType_UInt, CXType_ULong,
            CXType_ULongLong, CXType_Double, CXType_Bool:
            // One struct or number the function reads and may change: `inout` in Cleave.
            // A const pointer (an input array, as often as not) and a pointer to a
            // pointer stay unsupported.
            guard clang_isConstQualifiedType(pointee) == 0, case .success(let t) = mapType(pointee, isResult: false) else {
                return .failure(TypeProblem(kind: .nonBytePointer))
            }
            return .success(.pointer(to: t))
        default:
            return .failure(TypeProblem(kind: .nonBytePointer))
        }
    }

    private func integer(_ type: CXType, signed: Bool) -> Result<CType, TypeProblem> {
        let bits = Int(clang_Type_getSizeOf(type)) * 8
        guard [8, 16, 32, 64].contains(bits) else {
            return .failure(TypeProblem(kind: .otherType, reason: "\(bits)-bit integers have no Cleave equivalent"))
        }
        return .success(.integer(bits: bits, signed: signed))
    }

    // MARK: Helpers

    /// A rejection before it is attached to a declaration's name.
    struct Problem {
        let kind: Unsupported
        var reason: String? = nil
        let note: String
        let span: SourceSpan?

        init(_ kind: Unsupported, reason: String? = nil, note: String, at span: SourceSpan?) {
            self.kind = kind
            self.reason = reason
            self.note = note
            self.span = span
        }
    }

    private func reject(key: String, name: String, _ problem: Problem, isSystem: Bool) {
        guard rejections[key] == nil else { return }
        rejections[key] = Rejection(
            name: name, kind: problem.kind, reason: problem.reason, note: problem.note, noteSpan: problem.span,
            isSystem: isSystem)
        rejectionOrder.append(key)
    }

    private func isSystem(_ cursor: CXCursor) -> Bool {
        clang_Location_isInSystemHeader(clang_getCursorLocation(cursor)) != 0
    }

    private func span(of cursor: CXCursor, name: String) -> SourceSpan? {
        files.span(of: cursor, name: name)
    }

    /// clang's unique name for a declaration; for the rare cursor without one,
    /// its position stands in.
    private func usr(of cursor: CXCursor) -> String {
        let usr = consume(clang_getCursorUSR(clang_getCanonicalCursor(cursor)))
        if !usr.isEmpty { return usr }
        return files.span(at: clang_getCursorLocation(cursor)).map { "\($0.file.path)@\($0.start)" }
            ?? spelling(of: cursor)
    }

    private func isIdentifier(_ s: String) -> Bool {
        guard let first = s.utf8.first, !(first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9")) else {
            return false
        }
        return s.utf8.allSatisfy { b in
            (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z"))
                || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) || b == UInt8(ascii: "_")
        }
    }
}

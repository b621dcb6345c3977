// Declarations the passes add to a checked program.
//
// The state-locality passes make new types and functions that no source
// declares: the call and result enums of a defunctionalized state, its
// `process` method, the continuations of a lifted method. They are added to the
// typed program as ordinary declarations, after the checked ones, with the
// span of the source they stand for, so every later stage (the IR printer, the
// graph, the C backend) treats them like anything the user wrote.

import CleaveDiagnostics

extension TypedProgram {
    /// The same program with `types` and `functions` appended; their ids must continue
    /// the existing numbering (`types.count`, `functions.count`).
    public func adding(types newTypes: [TypeDeclInfo], functions newFunctions: [TFunction]) -> TypedProgram {
        TypedProgram(
            types: types + newTypes, functions: functions + newFunctions, globals: globals, imports: imports, main: main,
            files: files)
    }
}

extension TypeDeclInfo {
    /// An enum made by a pass.
    public static func synthesizedEnum(name: String, cases: [EnumCaseInfo], span: SourceSpan) -> TypeDeclInfo {
        TypeDeclInfo(
            kind: .enum, name: name, fields: [], cases: cases, methods: [:], inits: [], span: span, isStandard: false, isC: false)
    }
}

extension EnumCaseInfo {
    public init(synthesized name: String, payload: [(label: String?, type: Ty)], span: SourceSpan) {
        self.init(name: name, payload: payload, span: span)
    }
}

extension TFunction {
    /// A method made by a pass: `params` are the parameters after `self`, by value.
    public static func synthesizedMethod(
        id: FunctionID, name: String, of owner: TypeID, params: [(name: String, type: Ty)], result: Ty, span: SourceSpan
    ) -> TFunction {
        let f = TFunction(id: id, name: name, kind: .method(owner), isMutating: false, isExtern: false, span: span)
        f.params = params.enumerated().map {
            ParamInfo(label: $1.name, name: $1.name, type: $1.type, isInout: false, local: LocalID(index: $0), hasDefault: false)
        }
        f.locals = params.map { LocalInfo(name: $0.name, type: $0.type, isVar: false, span: span) }
        f.result = result
        return f
    }
}

extension TypedProgram {
    /// A type name not taken yet: `base`, or `base2`, `base3`, …
    public func freshTypeName(_ base: String, avoiding more: Set<String> = []) -> String {
        let taken = Set(types.map(\.name)).union(more)
        if !taken.contains(base) { return base }
        var n = 2
        while taken.contains("\(base)\(n)") { n += 1 }
        return "\(base)\(n)"
    }
}

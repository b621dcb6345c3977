// The checker: name resolution and type checking, from syntax trees to the typed AST.
//
// Checking runs in four steps over all files of the program at once (the files
// of one program share one namespace, and the standard modules they import join
// it):
//
//  1. Declare: every type, free function and global constant is entered under its
//     name, so declarations can refer to each other in any order and across files.
//  2. Resolve signatures: field types, enum payloads, parameter and result types
//     of every function, method and initializer; C declarations from imported
//     headers become functions and structs of the program.
//  3. Check bodies: each function body is checked by a `FunctionChecker`, which
//     elaborates it into the typed AST (see TypedAST.swift). Global constants are
//     checked on first use, so their order does not matter (a cycle is an error).
//  4. Whole-program rules: there is exactly one `func main()`.
//
// Errors never stop the checker: an expression it cannot type gets `Ty.error`,
// which every later check accepts silently, so each mistake is reported once.

import CleaveCImport
import CleaveDiagnostics
import CleaveGrammar

public enum Checker {
    /// Check a program made of `files` (and the standard modules they import).
    /// `imports` are the C headers already imported for the program's `import "…"` declarations.
    public static func check(files: [FileAST], imports: [CHeaderImport]) -> (TypedProgram, [Diagnostic]) {
        let context = CheckerContext()
        return context.run(files: files, imports: imports)
    }
}

/// Everything the checker knows about the program while it checks it.
final class CheckerContext {
    var diagnostics = Diagnostics()
    var types: [TypeDeclInfo] = []
    var typeIDs: [String: TypeID] = [:]
    var nominalSyntax: [TypeID: NominalDecl] = [:]
    var enumSyntax: [TypeID: EnumDecl] = [:]
    var functions: [TFunction] = []
    var functionSyntax: [FunctionID: FuncDecl] = [:]
    var freeFunctions: [String: FunctionID] = [:]
    var globals: [GlobalID: TGlobal] = [:]
    var globalIDs: [String: GlobalID] = [:]
    var globalSyntax: [GlobalID: GlobalLet] = [:]
    var globalsInProgress: Set<GlobalID> = []
    var globalCount = 0
    /// Where each top-level name was declared, for redeclaration notes.
    var declaredAt: [String: SourceSpan] = [:]
    var standardFiles: Set<SourceFile> = []
    /// The files `embed` read, by resolved path: each is read once however often it is named.
    var embedded: [String: Result<[UInt8], Embed.Failure>] = [:]

    func run(files userFiles: [FileAST], imports: [CHeaderImport]) -> (TypedProgram, [Diagnostic]) {
        var files = userFiles
        // Standard modules named by `import`.
        var loaded: Set<String> = []
        for file in userFiles {
            for case .importDecl(let imp) in file.decls {
                guard case .module(let name) = imp.target else { continue }
                guard let source = StandardModules.source(named: name) else {
                    diagnostics.error(
                        .noSuchModule(name, known: StandardModules.names), at: imp.targetSpan)
                    continue
                }
                if loaded.insert(name).inserted {
                    let sf = SourceFile(path: "<\(name)>/\(name).clv", text: source)
                    let (ast, diags) = Parser.parse(sf, isStandardModule: true)
                    diagnostics.append(contentsOf: diags)
                    standardFiles.insert(sf)
                    files.insert(ast, at: 0)
                }
            }
        }
        declareTypes(files)
        declareCTypes(imports)
        resolveTypeMembers()
        declareFunctions(files)
        declareCFunctions(imports)
        declareGlobals(files)
        inferFieldTypes()
        for id in nominalSyntax.keys.sorted() { checkFieldDefaults(id) }
        for id in globalSyntax.keys.sorted(by: { $0.index < $1.index }) { _ = checkGlobal(id) }
        for f in functions where functionSyntax[f.id] != nil {
            checkBody(f)
        }
        let main = checkMain(userFiles)
        let program = TypedProgram(
            types: types, functions: functions,
            globals: (0..<globalCount).compactMap { globals[GlobalID(index: $0)] },
            imports: imports, main: main, files: userFiles.map(\.file))
        if !diagnostics.hasErrors, case .failure(let cycle) = globalInitializationOrder(program) {
            reportCycle(cycle, program)
        }
        return (program, diagnostics.all)
    }

    /// A global that needs its own value through the functions it calls (a direct use is
    /// reported while checking it): the error at the first, a note for each step back to it.
    func reportCycle(_ cycle: GlobalCycle, _ program: TypedProgram) {
        let globals = cycle.globals.map { program.globals[$0] }
        var notes: [DiagnosticNote] = []
        for (a, b) in zip(globals, globals.dropFirst()) {
            notes.append(DiagnosticNote("'\(a.name)' is computed from '\(b.name)' (through the functions it calls)", at: b.span))
        }
        diagnostics.error(.globalCycle(globals[0].name), at: globals[0].span, notes: notes)
    }

    func isStandard(_ span: SourceSpan) -> Bool { standardFiles.contains(span.file) }

    // MARK: Step 1: declare

    func declareName(_ name: Identifier) -> Bool {
        if let previous = declaredAt[name.name] {
            diagnostics.error(
                .redeclaration(name.name), at: name.span,
                notes: [DiagnosticNote("'\(name.name)' was first declared here", at: previous)])
            return false
        }
        if BuiltinNames.reserved.contains(name.name) {
            diagnostics.error(.shadowsBuiltinType(name.name), at: name.span)
            return false
        }
        declaredAt[name.name] = name.span
        return true
    }

    func declareTypes(_ files: [FileAST]) {
        for file in files {
            for decl in file.decls {
                switch decl {
                case .nominal(let n):
                    guard declareName(n.name) else { continue }
                    let id = TypeID(types.count)
                    types.append(
                        TypeDeclInfo(
                            kind: n.kind == .state ? .state : .struct, name: n.name.name, fields: [], cases: [],
                            methods: [:], inits: [], span: n.name.span, isStandard: isStandard(n.span), isC: false))
                    typeIDs[n.name.name] = id
                    nominalSyntax[id] = n
                case .enumDecl(let e):
                    guard declareName(e.name) else { continue }
                    let id = TypeID(types.count)
                    types.append(
                        TypeDeclInfo(
                            kind: .enum, name: e.name.name, fields: [], cases: [], methods: [:], inits: [],
                            span: e.name.span, isStandard: isStandard(e.span), isC: false))
                    typeIDs[e.name.name] = id
                    enumSyntax[id] = e
                default:
                    break
                }
            }
        }
    }

    /// C structs become Cleave structs with the same fields (memberwise initializer).
    /// All names first, then the fields, so structs may refer to each other in any order.
    func declareCTypes(_ imports: [CHeaderImport]) {
        var declared: [(TypeID, CStruct)] = []
        for imp in imports {
            for s in imp.structs where typeIDs[s.name] == nil && declaredAt[s.name] == nil {
                let id = TypeID(types.count)
                types.append(
                    TypeDeclInfo(
                        kind: .struct, name: s.name, fields: [], cases: [], methods: [:], inits: [], span: s.span,
                        isStandard: false, isC: true, cSpelling: s.cSpelling))
                typeIDs[s.name] = id
                declaredAt[s.name] = s.span
                declared.append((id, s))
            }
        }
        for (id, s) in declared {
            types[id.index].fields = s.fields.map {
                FieldInfo(name: $0.name, type: cType($0.type), isVar: true, defaultValue: nil, span: s.span)
            }
        }
    }

    func cType(_ c: CType) -> Ty {
        switch c {
        case .void: return .void
        case .bool: return .bool
        case .integer(let bits, let signed):
            switch (bits, signed) {
            case (8, true): return .int(.int8)
            case (16, true): return .int(.int16)
            case (32, true): return .int(.int32)
            case (8, false): return .int(.uint8)
            case (16, false): return .int(.uint16)
            case (32, false): return .int(.uint32)
            case (_, false): return .int(.uint64)
            default: return .int
            }
        case .floating: return .double
        case .bytes: return .bytes
        case .structure(let name): return typeIDs[name].map(Ty.nominal) ?? .error
        case .pointer(let pointee): return cType(pointee)
        }
    }

    func resolveTypeMembers() {
        for (id, n) in nominalSyntax.sorted(by: { $0.key < $1.key }) {
            var seen: [String: SourceSpan] = [:]
            var fields: [FieldInfo] = []
            for f in n.fields {
                if let prev = seen[f.name.name] {
                    diagnostics.error(
                        .redeclaration(f.name.name), at: f.name.span,
                        notes: [DiagnosticNote("'\(f.name.name)' was first declared here", at: prev)])
                    continue
                }
                seen[f.name.name] = f.name.span
                guard let typeExpr = f.type else {
                    // Typed from the initial value once functions and globals are declared (`inferFieldTypes`).
                    fields.append(FieldInfo(name: f.name.name, type: .error, isVar: f.isVar, defaultValue: nil, span: f.name.span))
                    continue
                }
                let ty = resolveType(typeExpr)
                checkStorable(ty, at: typeExpr.span, what: "field '\(f.name.name)' of '\(n.name.name)'")
                fields.append(FieldInfo(name: f.name.name, type: ty, isVar: f.isVar, defaultValue: nil, span: f.name.span))
            }
            types[id.index].fields = fields
        }
        for (id, e) in enumSyntax.sorted(by: { $0.key < $1.key }) {
            var seen: [String: SourceSpan] = [:]
            var cases: [EnumCaseInfo] = []
            for c in e.cases {
                if let prev = seen[c.name.name] {
                    diagnostics.error(
                        .redeclaration(c.name.name), at: c.name.span,
                        notes: [DiagnosticNote("'\(c.name.name)' was first declared here", at: prev)])
                    continue
                }
                seen[c.name.name] = c.name.span
                let payload = c.payload.map { p -> (label: String?, type: Ty) in
                    let ty = resolveType(p.type)
                    checkStorable(ty, at: p.type.span, what: "the payload of case '\(c.name.name)'")
                    return (p.label?.name, ty)
                }
                cases.append(EnumCaseInfo(name: c.name.name, payload: payload, span: c.name.span))
            }
            types[id.index].cases = cases
            if cases.isEmpty {
                diagnostics.error(.enumWithoutCases(e.name.name), at: e.name.span)
            }
        }
        checkRecursiveValueTypes()
    }

    /// A struct or enum that contains itself by value (not through an array or map) has no finite size.
    func checkRecursiveValueTypes() {
        func contains(_ ty: Ty, _ target: TypeID, _ visiting: inout Set<TypeID>) -> Bool {
            switch ty {
            case .nominal(let id):
                if id == target { return true }
                guard visiting.insert(id).inserted else { return false }
                let info = types[id.index]
                return info.fields.contains { contains($0.type, target, &visiting) }
                    || info.cases.contains { $0.payload.contains { contains($0.type, target, &visiting) } }
            case .optional(let w): return contains(w, target, &visiting)
            case .tuple(let items): return items.contains { contains($0, target, &visiting) }
            default: return false  // arrays and maps are indirect
            }
        }
        for (i, info) in types.enumerated() where info.kind != .state {
            let id = TypeID(i)
            var visiting: Set<TypeID> = []
            let direct = info.fields.map(\.type) + info.cases.flatMap { $0.payload.map(\.type) }
            if direct.contains(where: { contains($0, id, &visiting) }) {
                diagnostics.error(.recursiveValueType(info.name), at: info.span)
            }
        }
    }

    /// States have identity and cannot be stored inside values.
    func checkStorable(_ ty: Ty, at span: SourceSpan, what: String) {
        if let state = stateInside(ty) {
            diagnostics.error(.stateInsideValue(types[state.index].name, what), at: span)
        }
        if containsFunction(ty) {
            diagnostics.error(.closureStored(what), at: span)
        }
    }

    func stateInside(_ ty: Ty) -> TypeID? {
        switch ty {
        case .nominal(let id): return types[id.index].kind == .state ? id : nil
        case .array(let e), .optional(let e): return stateInside(e)
        case .map(let k, let v): return stateInside(k) ?? stateInside(v)
        case .tuple(let items): return items.lazy.compactMap { self.stateInside($0) }.first
        default: return nil
        }
    }

    func containsFunction(_ ty: Ty) -> Bool {
        switch ty {
        case .function: return true
        case .array(let e), .optional(let e): return containsFunction(e)
        case .map(let k, let v): return containsFunction(k) || containsFunction(v)
        case .tuple(let items): return items.contains { containsFunction($0) }
        default: return false
        }
    }

    func isState(_ ty: Ty) -> Bool {
        if case .nominal(let id) = ty { return types[id.index].kind == .state }
        return false
    }

    // MARK: Step 2: functions

    func newFunction(_ name: String, _ kind: FunctionKind, _ decl: FuncDecl?, span: SourceSpan) -> TFunction {
        // A state method marked `mutating` (reported) is an ordinary state method: it
        // must not make calls on `let store = Store()` fail as well.
        var inState = false
        if case .method(let owner) = kind { inState = types[owner.index].kind == .state }
        let f = TFunction(
            id: FunctionID(index: functions.count), name: name, kind: kind, isMutating: (decl?.isMutating ?? false) && !inState,
            isExtern: decl?.isExtern ?? false, span: span)
        functions.append(f)
        if let decl { functionSyntax[f.id] = decl }
        return f
    }

    func declareFunctions(_ files: [FileAST]) {
        for file in files {
            for case .function(let decl) in file.decls {
                guard declareName(decl.name) else { continue }
                if decl.isMutating {
                    diagnostics.error(.mutatingOutsideType, at: decl.span.startPoint)
                }
                let f = newFunction(decl.name.name, .free, decl, span: decl.name.span)
                freeFunctions[decl.name.name] = f.id
                resolveSignature(f, decl, owner: nil)
            }
        }
        for (id, n) in nominalSyntax.sorted(by: { $0.key < $1.key }) {
            for decl in n.inits {
                let f = newFunction("init", .initializer(id), decl, span: decl.name.span)
                resolveSignature(f, decl, owner: id)
                let labels = f.params.map(\.label)
                if let clash = types[id.index].inits.first(where: { functions[$0.index].params.map(\.label) == labels }) {
                    diagnostics.error(
                        .redeclaration("init(\(labels.map { ($0 ?? "_") + ":" }.joined()))"), at: decl.name.span,
                        notes: [DiagnosticNote("first declared here", at: functions[clash.index].span)])
                }
                types[id.index].inits.append(f.id)
            }
            declareMethods(n.methods, of: id, kind: n.kind == .state ? .state : .struct)
        }
        for (id, e) in enumSyntax.sorted(by: { $0.key < $1.key }) {
            declareMethods(e.methods, of: id, kind: .enum)
        }
    }

    func declareMethods(_ methods: [FuncDecl], of id: TypeID, kind: TypeDeclKind) {
        for decl in methods {
            let typeName = types[id.index].name
            if let previous = types[id.index].methods[decl.name.name] {
                diagnostics.error(
                    .redeclaration(decl.name.name), at: decl.name.span,
                    notes: [DiagnosticNote("'\(decl.name.name)' was first declared here", at: functions[previous.index].span)])
                continue
            }
            if types[id.index].fields.contains(where: { $0.name == decl.name.name })
                || types[id.index].cases.contains(where: { $0.name == decl.name.name })
            {
                diagnostics.error(.memberNameClash(decl.name.name, typeName), at: decl.name.span)
                continue
            }
            if decl.isMutating && kind == .state {
                diagnostics.error(
                    .mutatingInState, at: decl.span.startPoint,
                    fixIts: [FixIt(replace: SourceSpan(file: decl.span.file, start: decl.span.start, end: decl.span.start + 9), with: "")])
            }
            let f = newFunction(decl.name.name, .method(id), decl, span: decl.name.span)
            resolveSignature(f, decl, owner: id)
            types[id.index].methods[decl.name.name] = f.id
        }
    }

    func resolveSignature(_ f: TFunction, _ decl: FuncDecl, owner: TypeID?) {
        var seen: [String: SourceSpan] = [:]
        var params: [ParamInfo] = []
        let ownerIsState = owner.map { types[$0.index].kind == .state } ?? false
        for p in decl.params {
            if let prev = seen[p.name.name] {
                diagnostics.error(
                    .redeclaration(p.name.name), at: p.name.span,
                    notes: [DiagnosticNote("'\(p.name.name)' was first declared here", at: prev)])
            }
            seen[p.name.name] = p.name.span
            let ty = resolveType(p.type, allowFunction: true)
            if isState(ty) {
                if case .free = f.kind {
                    diagnostics.error(.stateParameterInFreeFunction(p.name.name, f.name), at: p.type.span)
                } else if !ownerIsState {
                    diagnostics.error(.stateParameterInValueMethod(p.name.name), at: p.type.span)
                } else if !p.isInout {
                    diagnostics.error(
                        .stateParameterNotInout(p.name.name), at: p.type.span,
                        fixIts: [.insert("inout ", at: p.type.span)])
                }
            } else if let inner = stateInside(ty) {
                diagnostics.error(.stateInsideValue(types[inner.index].name, "parameter '\(p.name.name)'"), at: p.type.span)
            }
            if case .function(let ps, let r) = ty, ps.contains(where: containsFunction) || containsFunction(r) {
                diagnostics.error(.closureStored("a closure's parameter or result"), at: p.type.span)
            }
            if p.isInout, case .function = ty {
                diagnostics.error(.closureStored("an inout parameter"), at: p.type.span)
            }
            let local = LocalID(index: f.locals.count)
            f.locals.append(LocalInfo(name: p.name.name, type: ty, isVar: p.isInout, span: p.name.span))
            params.append(
                ParamInfo(label: p.label, name: p.name.name, type: ty, isInout: p.isInout, local: local, hasDefault: p.defaultValue != nil))
        }
        f.params = params
        if let r = decl.result {
            let ty = resolveType(r)
            if isState(ty) || stateInside(ty) != nil {
                diagnostics.error(.stateReturned(f.name), at: r.span)
            }
            if containsFunction(ty) {
                diagnostics.error(.closureStored("the result of '\(f.name)'"), at: r.span)
            }
            f.result = ty
        }
    }

    func declareCFunctions(_ imports: [CHeaderImport]) {
        for imp in imports {
            for c in imp.functions {
                if declaredAt[c.name] != nil || freeFunctions[c.name] != nil { continue }
                let f = newFunction(c.name, .c(isSystem: c.isSystem), nil, span: c.span)
                var params: [ParamInfo] = []
                for (i, p) in c.parameters.enumerated() {
                    var ty = cType(p.type)
                    var isInout = false
                    if case .bytes(let isConst) = p.type, !isConst { isInout = true }
                    if case .pointer(let pointee) = p.type {
                        ty = cType(pointee)
                        isInout = true
                    }
                    let local = LocalID(index: f.locals.count)
                    let name = p.name.isEmpty ? "arg\(i)" : p.name
                    f.locals.append(LocalInfo(name: name, type: ty, isVar: isInout, span: c.span))
                    params.append(ParamInfo(label: nil, name: name, type: ty, isInout: isInout, local: local, hasDefault: false))
                }
                f.params = params
                f.result = cType(c.result)
                freeFunctions[c.name] = f.id
                declaredAt[c.name] = c.span
            }
        }
    }

    // MARK: Globals

    func declareGlobals(_ files: [FileAST]) {
        for file in files {
            for case .globalLet(let g) in file.decls {
                guard declareName(g.name) else { continue }
                let id = GlobalID(index: globalCount)
                globalCount += 1
                globalIDs[g.name.name] = id
                globalSyntax[id] = g
            }
        }
    }

    /// The checked global, checking it first if needed (globals may be used before their declaration).
    func checkGlobal(_ id: GlobalID) -> TGlobal? {
        if let g = globals[id] { return g }
        guard let syntax = globalSyntax[id] else { return nil }
        if globalsInProgress.contains(id) {
            diagnostics.error(.globalCycle(syntax.name.name), at: syntax.name.span)
            return nil
        }
        globalsInProgress.insert(id)
        defer { globalsInProgress.remove(id) }
        let holder = newFunctionlessChecker()
        let expected = syntax.type.map { resolveType($0) }
        let value = expected.map { holder.check(syntax.value, expected: $0) } ?? holder.infer(syntax.value, hint: nil)
        let ty = expected ?? value.type
        if isState(ty) || stateInside(ty) != nil {
            diagnostics.error(.stateInsideValue(typeName(ty), "global constant '\(syntax.name.name)'"), at: syntax.value.span)
        }
        let g = TGlobal(name: syntax.name.name, type: ty, value: value, span: syntax.name.span)
        globals[id] = g
        return g
    }

    func newFunctionlessChecker() -> FunctionChecker {
        let scratch = TFunction(
            id: FunctionID(index: -1), name: "<global>", kind: .free, isMutating: false, isExtern: false,
            span: SourceSpan(file: SourceFile(path: "", text: ""), start: 0, end: 0))
        return FunctionChecker(context: self, function: scratch, isGlobalInitializer: true)
    }

    // MARK: Step 3: bodies

    func checkBody(_ f: TFunction) {
        guard let decl = functionSyntax[f.id] else { return }
        let checker = FunctionChecker(context: self, function: f, isGlobalInitializer: false)
        // Checked once, outside the function (it is evaluated at the call site, where the
        // parameters and `self` do not exist); a call checked earlier may have done it already.
        for (i, p) in decl.params.enumerated() where p.defaultValue != nil {
            _ = checker.defaultArgument(f, i, at: p.name.span)
        }
        if let body = decl.body {
            if decl.isExtern && !isStandard(decl.span) { return }
            f.body = checker.checkFunctionBody(body, decl: decl)
        } else if !decl.isExtern {
            // Missing body: reported by the parser.
        }
    }

    /// Fields declared without a type (`var count = 0`) take the type of their initial value.
    func inferFieldTypes() {
        for (id, n) in nominalSyntax.sorted(by: { $0.key < $1.key }) {
            let scratch = newFunctionlessChecker()
            for f in n.fields where f.type == nil {
                guard let e = f.initializer, let i = types[id.index].fields.firstIndex(where: { $0.name == f.name.name }) else { continue }
                let value = scratch.infer(e, hint: nil)
                if case .nilLiteral = value.kind { diagnostics.error(.nilNeedsContext, at: e.span) }
                checkStorable(value.type, at: e.span, what: "field '\(f.name.name)' of '\(n.name.name)'")
                let old = types[id.index].fields[i]
                types[id.index].fields[i] = FieldInfo(
                    name: old.name, type: value.type, isVar: old.isVar, defaultValue: value, span: old.span)
            }
        }
    }

    /// Check the default values of fields, in their declared types. As in Swift, a `var`
    /// of optional type without one starts as `nil`. A state without an initializer needs
    /// a default value for every field.
    func checkFieldDefaults(_ owner: TypeID) {
        guard let n = nominalSyntax[owner] else { return }
        for (i, f) in types[owner.index].fields.enumerated() where f.isVar && f.defaultValue == nil {
            let declared = n.fields.first { $0.name.span == f.span }
            if declared?.initializer == nil, f.type.optionalWrapped != nil {
                types[owner.index].fields[i] = FieldInfo(
                    name: f.name, type: f.type, isVar: true, defaultValue: TExpr(.nilLiteral, f.type, f.span), span: f.span)
            }
        }
        if n.kind == .state && n.inits.isEmpty {
            for f in n.fields where f.initializer == nil {
                guard let info = types[owner.index].fields.first(where: { $0.span == f.name.span }), info.defaultValue == nil else {
                    continue
                }
                diagnostics.error(
                    .stateFieldWithoutDefault(f.name.name, n.name.name), at: f.name.span)
            }
        }
        let scratch = newFunctionlessChecker()
        for f in n.fields {
            // By declaration, not by position: a redeclared field is not among the type's fields.
            guard let e = f.initializer, let i = types[owner.index].fields.firstIndex(where: { $0.span == f.name.span }),
                types[owner.index].fields[i].defaultValue == nil
            else { continue }
            let value = scratch.check(e, expected: types[owner.index].fields[i].type)
            let old = types[owner.index].fields[i]
            types[owner.index].fields[i] = FieldInfo(name: old.name, type: old.type, isVar: old.isVar, defaultValue: value, span: old.span)
        }
    }

    // MARK: Step 4: main

    func checkMain(_ files: [FileAST]) -> FunctionID? {
        guard let id = freeFunctions["main"], case .free = functions[id.index].kind else {
            if let first = files.first {
                diagnostics.error(.missingMain, at: SourceSpan(file: first.file, start: 0, end: 0))
            }
            return nil
        }
        let f = functions[id.index]
        if !f.params.isEmpty || f.result != .void {
            diagnostics.error(.mainSignature, at: f.span)
        }
        return id
    }

    // MARK: Types

    func resolveType(_ t: TypeExpr, allowFunction: Bool = false) -> Ty {
        switch t.kind {
        case .error: return .error
        case .array(let e): return .array(resolveType(e))
        case .optional(let w):
            let inner = resolveType(w)
            if inner == .void { diagnostics.error(.optionalVoid, at: t.span) }
            return .optional(inner)
        case .tuple(let items):
            if items.isEmpty { return .void }
            return .tuple(items.map { resolveType($0) })
        case .function(let ps, let r):
            if !allowFunction {
                diagnostics.error(.functionTypeNotAllowed, at: t.span)
                return .error
            }
            return .function(ps.map { resolveType($0) }, resolveType(r))
        case .named(let name, let args):
            if name.name == "Map" {
                guard args.count == 2 else {
                    diagnostics.error(.genericArity("Map", 2, args.count), at: t.span)
                    return .error
                }
                let k = resolveType(args[0])
                let v = resolveType(args[1])
                if !k.isError && !isHashable(k) {
                    diagnostics.error(.notHashable(typeName(k)), at: args[0].span)
                }
                return .map(k, v)
            }
            // Only a type that exists can be "not generic"; `Array<Int>` names no type at all.
            if !args.isEmpty && (BuiltinNames.scalar(name.name) != nil || typeIDs[name.name] != nil) {
                diagnostics.error(.notGeneric(name.name), at: t.span)
                return .error
            }
            if let b = BuiltinNames.scalar(name.name) { return b }
            if let id = typeIDs[name.name] { return .nominal(id) }
            let candidates = Array(typeIDs.keys) + BuiltinNames.reserved
            diagnostics.error(
                .unknownType(name.name), at: name.span,
                notes: suggestion(for: name.name, among: candidates).map {
                    [DiagnosticNote("did you mean '\($0)'?", at: typeIDs[$0] != nil ? declaredAt[$0] : nil)]
                } ?? [])
            return .error
        }
    }

    func isHashable(_ t: Ty) -> Bool {
        switch t {
        case .int, .bool, .string, .bytes, .error: true
        default: false
        }
    }

    func isEquatable(_ t: Ty) -> Bool {
        var visiting: Set<TypeID> = []
        return isEquatable(t, &visiting)
    }

    private func isEquatable(_ t: Ty, _ visiting: inout Set<TypeID>) -> Bool {
        switch t {
        case .int, .bool, .double, .string, .bytes, .error, .void: return true
        case .array(let e), .optional(let e): return isEquatable(e, &visiting)
        case .tuple(let items): return items.allSatisfy { isEquatable($0, &visiting) }
        case .map(let k, let v): return isEquatable(k, &visiting) && isEquatable(v, &visiting)
        case .nominal(let id):
            let info = types[id.index]
            if info.kind == .state { return false }
            guard visiting.insert(id).inserted else { return true }
            return info.fields.allSatisfy { isEquatable($0.type, &visiting) }
                && info.cases.allSatisfy { $0.payload.allSatisfy { isEquatable($0.type, &visiting) } }
        case .function, .never: return false
        }
    }

    func isComparable(_ t: Ty) -> Bool {
        switch t {
        case .int, .double, .string, .bytes, .error: true
        default: false
        }
    }

    func typeName(_ t: Ty) -> String {
        t.spelled { types[$0.index].name }
    }

    /// A "did you mean" note for a misspelled member of a type, pointing at the closest
    /// of `candidates` where it is declared; empty when nothing is close.
    func memberSuggestion(_ name: String, of id: TypeID, among candidates: [String]) -> [DiagnosticNote] {
        suggestion(for: name, among: candidates).map { [DiagnosticNote("did you mean '\($0)'?", at: memberSpan($0, of: id))] } ?? []
    }

    /// Where a field, method or case of a type is declared (for "did you mean" notes).
    func memberSpan(_ name: String, of id: TypeID) -> SourceSpan? {
        let info = types[id.index]
        if let f = info.fields.first(where: { $0.name == name }) { return f.span }
        if let m = info.methods[name] { return functions[m.index].span }
        return info.cases.first { $0.name == name }?.span
    }

    /// The closest name within edit distance 3 (a third of the length for short names).
    func suggestion(for name: String, among candidates: [String]) -> String? {
        var cells = 0
        return closestName(to: name, among: candidates, cells: &cells)
    }
}

/// The closest of `candidates` to the misspelled `name`, within edit distance 3 (a third of
/// the length for short names), or nil; `cells` counts the work done, as table cells computed.
///
/// Among equally close names the one that also matches in case wins (`sesion`: the variable
/// `session`, not the type `Session`), then the first alphabetically. Distances are computed
/// only up to the limit, so the work is linear in the length of the names, however long.
func closestName(to name: String, among candidates: [String], cells: inout Int) -> String? {
    let spelled = Array(name.utf8)
    let limit = max(1, min(3, spelled.count / 3))
    let lowered = Array(name.lowercased().utf8)
    var best: (name: String, distance: Int, exact: Int)?
    for c in Set(candidates) where c != name {
        guard let d = editDistance(lowered, Array(c.lowercased().utf8), atMost: limit, cells: &cells) else { continue }
        // A difference in case beyond the limit counts as no match in case at all.
        let exact = editDistance(spelled, Array(c.utf8), atMost: limit, cells: &cells) ?? limit + 1
        if best == nil || (d, exact) < (best!.distance, best!.exact) || ((d, exact) == (best!.distance, best!.exact) && c < best!.name) {
            best = (c, d, exact)
        }
    }
    return best?.name
}

/// The edit distance between `a` and `b` (optimal string alignment: a swap of two neighbouring
/// letters, `tabel`, costs 1, as a typo does) when it is at most `limit`, else nil.
///
/// A cell of the table more than `limit` off the diagonal cannot lie on a path of cost `limit`
/// or less, so only the band of `2 × limit + 1` cells around the diagonal is computed (cells
/// outside it count as `limit + 1`), and the computation stops at the first row whose cells
/// all exceed the limit.
func editDistance(_ a: [UInt8], _ b: [UInt8], atMost limit: Int, cells: inout Int) -> Int? {
    let (n, m) = (a.count, b.count)
    guard abs(n - m) <= limit else { return nil }
    if n == 0 || m == 0 { return max(n, m) }
    let over = limit + 1
    // Rows i - 2, i - 1 and i of the table, indexed by j in 0...m.
    var before = [Int](repeating: over, count: m + 1)
    var prev = [Int](repeating: over, count: m + 1)
    var cur = [Int](repeating: over, count: m + 1)
    for j in 0...min(m, limit) { prev[j] = j }
    for i in 1...n {
        let lo = max(1, i - limit)
        let hi = min(m, i + limit)
        // The cell left of the band still holds a value of row i - 3: set it as the band reads
        // it. (The band only moves right, so the cells right of it were never written.)
        cur[lo - 1] = lo == 1 ? min(i, over) : over
        var rowMinimum = cur[lo - 1]
        for j in lo...hi {
            var v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = min(v, before[j - 2] + 1)
            }
            cur[j] = min(v, over)
            rowMinimum = min(rowMinimum, cur[j])
        }
        cells += hi - lo + 1
        if rowMinimum > limit { return nil }
        (before, prev, cur) = (prev, cur, before)
    }
    return prev[m] <= limit ? prev[m] : nil
}

/// Names of the built-in types.
enum BuiltinNames {
    static let reserved: [String] =
        IntKind.allCases.map(\.rawValue) + ["Bool", "Double", "String", "Bytes", "Void", "Never", "Map"]

    static func scalar(_ name: String) -> Ty? {
        if let k = IntKind(rawValue: name) { return .int(k) }
        switch name {
        case "Bool": return .bool
        case "Double": return .double
        case "String": return .string
        case "Bytes": return .bytes
        case "Void": return .void
        case "Never": return .never
        default: return nil
        }
    }
}

// Messages of the checker, sorted by id. Wording follows swiftc where Swift has
// the same rule, so that users' experience carries over.

import CleaveDiagnostics

extension DiagnosticMessage {
    static func anonParamInClosureWithParameters(_ n: Int) -> DiagnosticMessage {
        error(
            "anon-param-in-closure-with-parameters",
            "anonymous closure argument '$\(n)' cannot be used in a closure that names its parameters")
    }
    static func anonParamOutOfRange(_ n: Int, _ count: Int) -> DiagnosticMessage {
        error("anon-param-out-of-range", "'$\(n)' is out of range: the closure has \(count) parameter\(count == 1 ? "" : "s")")
    }
    static func anonParamOutsideClosure(_ n: Int) -> DiagnosticMessage {
        error("anon-param-outside-closure", "anonymous closure argument '$\(n)' used outside of a closure")
    }
    static func argumentCount(_ expected: Int, _ given: Int) -> DiagnosticMessage {
        error("argument-count", "expected \(expected) argument\(expected == 1 ? "" : "s") but got \(given)")
    }
    static func argumentLabel(_ have: String?, _ expected: String?) -> DiagnosticMessage {
        switch (have, expected) {
        case (nil, let e?): error("argument-label", "missing argument label '\(e):' in call")
        case (let h?, nil): error("argument-label", "extraneous argument label '\(h):' in call")
        default: error("argument-label", "incorrect argument label in call (have '\(have ?? "_"):', expected '\(expected ?? "_"):')")
        }
    }
    static func argumentOrder(_ given: String, _ expected: String) -> DiagnosticMessage {
        error("argument-order", "argument '\(given)' must come after argument '\(expected)'")
    }
    static func assignToGlobal(_ name: String) -> DiagnosticMessage {
        error("assign-to-global", "cannot assign to global constant '\(name)'")
    }
    static func assignToLet(_ name: String) -> DiagnosticMessage {
        error("assign-to-let", "cannot assign to value: '\(name)' is a 'let' constant")
    }
    static func assignToLetField(_ name: String) -> DiagnosticMessage {
        error("assign-to-let-field", "cannot assign to property: '\(name)' is a 'let' constant")
    }
    static func assignToParameter(_ name: String) -> DiagnosticMessage {
        error("assign-to-parameter", "cannot assign to value: '\(name)' is a parameter; copy it into a 'var' first")
    }
    static let assignToSelf = error("assign-to-self", "cannot assign to 'self'")
    static func assignToState(_ name: String) -> DiagnosticMessage {
        error("assign-to-state", "cannot assign to state '\(name)': a state has identity and is created once")
    }
    static func binaryOperands(_ op: String, _ l: String, _ r: String) -> DiagnosticMessage {
        error("binary-operands", "binary operator '\(op)' cannot be applied to operands of type '\(l)' and '\(r)'")
    }
    static let bindingInMultiPatternCase = error(
        "binding-in-multi-pattern-case", "a case with several patterns cannot bind names; split it into separate cases")
    static func bindingNonOptional(_ t: String) -> DiagnosticMessage {
        error("binding-non-optional", "initializer for conditional binding must have optional type, not '\(t)'")
    }
    static let breakOutsideLoop = error("break-outside-loop", "'break' is only allowed inside a loop or a switch")
    static func cannotInterpolate(_ t: String) -> DiagnosticMessage {
        error("cannot-interpolate", "cannot interpolate a value of type '\(t)'; interpolate integers, Double, Bool, String or Bytes")
    }
    static let caseAfterDefault = warning("case-after-default", "case after 'default' will never be executed")
    static func casePayloadCount(_ type: String, _ c: String, _ expected: Int, _ given: Int) -> DiagnosticMessage {
        error("case-payload-count", "case '\(type).\(c)' has \(expected) payload value\(expected == 1 ? "" : "s"), not \(given)")
    }
    static func casePayloadMissing(_ type: String, _ c: String, _ count: Int) -> DiagnosticMessage {
        error("case-payload-missing", "case '\(type).\(c)' needs its payload: \(count) value\(count == 1 ? "" : "s") in parentheses")
    }
    static func closureCallsState(_ method: String, _ state: String) -> DiagnosticMessage {
        error(
            "closure-calls-state",
            "a closure cannot call '\(method)' of state '\(state)': closures are pure; call it in a 'for' loop instead")
    }
    static func closureChangesCapture(_ name: String) -> DiagnosticMessage {
        error(
            "closure-changes-capture",
            "a closure cannot change '\(name)', which it captures: closures capture values; use a 'for' loop to change it")
    }
    static let closureInDeclarationValue = error(
        "closure-in-declaration-value",
        "a closure cannot be used in the initial value of a global constant, a field or a default argument; compute the value in a function"
    )
    static let closureOutOfPlace = error(
        "closure-out-of-place", "a closure can only be passed as an argument to a function or method (closures are non-escaping)")
    static func closureParamCount(_ expected: Int, _ given: Int) -> DiagnosticMessage {
        error(
            "closure-param-count",
            "closure takes \(given) parameter\(given == 1 ? "" : "s") but \(expected) \(expected == 1 ? "is" : "are") expected")
    }
    static func closureStored(_ what: String) -> DiagnosticMessage {
        error("closure-stored", "a closure cannot be stored in \(what): closures are non-escaping and may only be passed as arguments")
    }
    static func coalesceNonOptional(_ t: String) -> DiagnosticMessage {
        error("coalesce-non-optional", "left side of '??' has non-optional type '\(t)'")
    }
    static let continueOutsideLoop = error("continue-outside-loop", "'continue' is only allowed inside a loop")
    static func conversion(_ from: String, _ to: String, _ context: String) -> DiagnosticMessage {
        error("conversion", "cannot convert value of type '\(from)' to expected \(context) '\(to)'")
    }
    static func constantOverflow(_ text: String, _ type: String) -> DiagnosticMessage {
        error("constant-overflow", "arithmetic operation '\(text)' (on type '\(type)') results in an overflow")
    }
    static func divisionByZero(_ what: String) -> DiagnosticMessage {
        error("division-by-zero", "\(what) by zero")
    }
    static let doubleRemainder = error(
        "double-remainder", "'%' is not defined for 'Double'; use integers")
    static func embedBadPath(_ path: String, _ why: String) -> DiagnosticMessage {
        error("embed-bad-path", "cannot embed '\(path)': \(why)")
    }
    static func embedMissing(_ path: String) -> DiagnosticMessage {
        error("embed-missing", "no such file to embed: '\(path)'")
    }
    static let embedNotLiteral = error(
        "embed-not-literal", "'embed' takes a string literal naming a file, relative to the source file's directory")
    static func embedNotFile(_ path: String) -> DiagnosticMessage {
        error("embed-not-file", "cannot embed '\(path)': it is not a regular file")
    }
    static func embedTooLarge(_ path: String, _ limit: Int) -> DiagnosticMessage {
        error("embed-too-large", "cannot embed '\(path)': it is larger than \(limit >> 20) MiB")
    }
    static func embedUnreadable(_ path: String, _ why: String) -> DiagnosticMessage {
        error("embed-unreadable", "cannot embed '\(path)': \(why)")
    }
    static let emptyArrayNeedsType = error(
        "empty-array-needs-type", "empty array literal needs a type: write 'let a: [Int] = []'")
    static let emptyCase = error("empty-case", "'case' label in a 'switch' must have at least one statement")
    static let emptyMapLiteral = error("empty-map-literal", "use '[:]' for an empty map")
    static let emptyMapNeedsType = error(
        "empty-map-needs-type", "empty map literal needs a type: write 'let m: Map<K, V> = [:]'")
    static func enumHasNoInit(_ name: String) -> DiagnosticMessage {
        error("enum-has-no-init", "enum '\(name)' has no initializer; write one of its cases, like '\(name).someCase'")
    }
    static func enumPatternNonEnum(_ c: String, _ t: String) -> DiagnosticMessage {
        error("enum-pattern-non-enum", "enum case pattern '.\(c)' cannot match a value of type '\(t)'")
    }
    static func enumWithoutCases(_ name: String) -> DiagnosticMessage {
        error("enum-without-cases", "enum '\(name)' has no cases")
    }
    static func extraArgument(_ callee: String) -> DiagnosticMessage {
        error("extra-argument", "extra argument in call to '\(callee)'")
    }
    static func fieldNotInitialized(_ name: String) -> DiagnosticMessage {
        error("field-not-initialized", "initializer does not initialize field '\(name)'")
    }
    static func fieldUsedBeforeInitialized(_ name: String) -> DiagnosticMessage {
        error("field-used-before-initialized", "field 'self.\(name)' used before being initialized")
    }
    static func forceUnwrapNonOptional(_ t: String) -> DiagnosticMessage {
        error("force-unwrap-non-optional", "cannot force unwrap value of non-optional type '\(t)'")
    }
    static let functionTypeNotAllowed = error(
        "function-type-not-allowed", "function types are only allowed for parameters (closures are non-escaping)")
    static func functionValueInout(_ name: String) -> DiagnosticMessage {
        error("function-value-inout", "function '\(name)' takes an inout parameter and cannot be passed as a value")
    }
    static func genericArity(_ name: String, _ expected: Int, _ given: Int) -> DiagnosticMessage {
        error("generic-arity", "'\(name)' takes \(expected) type arguments, not \(given)")
    }
    static func globalCycle(_ name: String) -> DiagnosticMessage {
        error("global-cycle", "global constant '\(name)' depends on its own value")
    }
    static let guardFallsThrough = error(
        "guard-falls-through", "'guard' body must not fall through; end it with 'return', 'break', 'continue' or 'fatalError(…)'")
    static func implicitMemberNeedsContext(_ name: String) -> DiagnosticMessage {
        error("implicit-member-needs-context", "cannot infer the type of '.\(name)' here; write 'Type.\(name)'")
    }
    static func inoutMissingAmpersand(_ name: String) -> DiagnosticMessage {
        error("inout-missing-ampersand", "passing value to inout parameter '\(name)' requires '&'")
    }
    static let inoutNotAllowed = error("inout-not-allowed", "'&' can only be used for an inout parameter")
    static func inoutOfLet(_ name: String) -> DiagnosticMessage {
        error("inout-of-let", "cannot pass immutable value '\(name)' as inout argument; declare it with 'var'")
    }
    static let inoutOfTemporary = error("inout-of-temporary", "only a variable can be passed as inout argument")
    static func integerLiteralOverflow(_ text: String, _ t: String) -> DiagnosticMessage {
        error("integer-literal-overflow", "integer literal '\(text)' overflows when stored into '\(t)'")
    }
    static func joinedElement(_ t: String) -> DiagnosticMessage {
        error("joined-element", "'joined(separator:)' needs an array of String or Bytes, not of '\(t)'")
    }
    static func letFieldInitializedTwice(_ name: String) -> DiagnosticMessage {
        error("let-field-initialized-twice", "'let' field 'self.\(name)' may only be initialized once")
    }
    static let mainSignature = error("main-signature", "'main' must take no parameters and return nothing")
    static let mapNeedsType = error(
        "map-needs-type", "cannot infer the key and value types of 'Map()'; write 'Map<K, V>()' or give the variable a type")
    static let mapToVoid = error("map-to-void", "closure passed to 'map' returns nothing; use 'forEach' instead")
    static func memberNameClash(_ name: String, _ type: String) -> DiagnosticMessage {
        error("member-name-clash", "method '\(name)' has the same name as a field or case of '\(type)'")
    }
    static func methodNotCalled(_ name: String) -> DiagnosticMessage {
        error("method-not-called", "'\(name)' is a function and must be called: write '\(name)(…)'")
    }
    static func missingArgument(_ label: String, _ callee: String) -> DiagnosticMessage {
        error("missing-argument", "missing argument for parameter '\(label)' in call to '\(callee)'")
    }
    static let missingMain = error("missing-main", "program has no 'func main()'; a service starts there")
    /// `name` nil: a closure.
    static func missingReturn(_ name: String?, _ t: String) -> DiagnosticMessage {
        error("missing-return", "missing return in \(name.map { "'\($0)'" } ?? "closure"), which is expected to return '\(t)'")
    }
    /// `name` nil: a closure.
    static func missingReturnValue(_ name: String?, _ t: String) -> DiagnosticMessage {
        error("missing-return-value", "'return' needs a value: \(name.map { "'\($0)'" } ?? "the closure") returns '\(t)'")
    }
    static let mutatingInState = error(
        "mutating-in-state", "'mutating' is not needed in a state: state methods may always change its fields")
    static func mutatingOnImmutableSelf(_ method: String) -> DiagnosticMessage {
        error("mutating-on-immutable-self", "cannot call mutating method '\(method)': 'self' is immutable")
    }
    static func mutatingOnLet(_ method: String, _ name: String) -> DiagnosticMessage {
        error("mutating-on-let", "cannot use mutating member '\(method)' on immutable value: '\(name)' is a 'let' constant")
    }
    static func mutatingOnLetField(_ method: String, _ field: String) -> DiagnosticMessage {
        error("mutating-on-let-field", "cannot use mutating member '\(method)' on immutable value: '\(field)' is a 'let' constant")
    }
    static func mutatingOnTemporary(_ method: String) -> DiagnosticMessage {
        error("mutating-on-temporary", "cannot use mutating member '\(method)' on a temporary value; store it in a 'var' first")
    }
    static let mutatingOutsideType = error(
        "mutating-outside-type", "'mutating' is only allowed on methods of structs and enums")
    static func negateUnsigned(_ t: String) -> DiagnosticMessage {
        error("negate-unsigned", "unary '-' cannot be applied to unsigned type '\(t)'")
    }
    static func negativeUnsigned(_ t: String) -> DiagnosticMessage {
        error("negative-unsigned", "negative integer literal cannot be stored into unsigned type '\(t)'")
    }
    static func neverReturns(_ name: String) -> DiagnosticMessage {
        error("never-returns", "'\(name)' is declared to return 'Never' but can reach its end")
    }
    static let nilNeedsContext = error("nil-needs-context", "'nil' requires a contextual type: write 'let x: T? = nil'")
    static func nilNotOptional(_ t: String) -> DiagnosticMessage {
        error("nil-not-optional", "'nil' is not compatible with non-optional type '\(t)'")
    }
    static func noConversion(_ from: String, _ to: String) -> DiagnosticMessage {
        error("no-conversion", "no conversion from '\(from)' to '\(to)'")
    }
    static func noMatchingInit(_ type: String, _ labels: String) -> DiagnosticMessage {
        error("no-matching-init", "no initializer '\(type)(\(labels))'")
    }
    static func noMember(_ type: String, _ name: String) -> DiagnosticMessage {
        error("no-member", "value of type '\(type)' has no member '\(name)'")
    }
    static func noStaticMember(_ type: String, _ name: String) -> DiagnosticMessage {
        error("no-static-member", "type '\(type)' has no member '\(name)'")
    }
    static func noSuchModule(_ name: String, known: [String]) -> DiagnosticMessage {
        error(
            "no-such-module",
            "no such module '\(name)' (standard modules: \(known.joined(separator: ", ")); C headers are imported with quotes: import \"file.h\")"
        )
    }
    static func notATuple(_ t: String, _ i: Int) -> DiagnosticMessage {
        error("not-a-tuple", "value of type '\(t)' has no element '.\(i)'")
    }
    static let notAssignable = error("not-assignable", "cannot assign to this expression")
    static func notCallable(_ t: String) -> DiagnosticMessage {
        error("not-callable", "cannot call value of non-function type '\(t)'")
    }
    static func notComparable(_ t: String) -> DiagnosticMessage {
        error("not-comparable", "values of type '\(t)' cannot be ordered")
    }
    static func notEquatable(_ t: String) -> DiagnosticMessage {
        error("not-equatable", "values of type '\(t)' cannot be compared with '=='")
    }
    static func notGeneric(_ name: String) -> DiagnosticMessage {
        error("not-generic", "'\(name)' takes no type arguments")
    }
    static func notHashable(_ t: String) -> DiagnosticMessage {
        error("not-hashable", "'\(t)' cannot be a map key; keys are integers, Bool, String or Bytes")
    }
    static func notIterable(_ t: String) -> DiagnosticMessage {
        error("not-iterable", "cannot iterate over a value of type '\(t)'; 'for' takes a range, an array, Bytes or a Map")
    }
    static func notSubscriptable(_ t: String) -> DiagnosticMessage {
        error("not-subscriptable", "value of type '\(t)' has no subscripts")
    }
    static func overlappingAccess(_ name: String) -> DiagnosticMessage {
        error(
            "overlapping-access",
            "overlapping accesses to '\(name)': a call may change a variable through one argument only")
    }
    static let optionalVoid = error("optional-void", "'Void?' is not a useful type; use 'Bool'")
    static func rangeNotInteger(_ t: String) -> DiagnosticMessage {
        error("range-not-integer", "range bounds must be integers, not '\(t)'")
    }
    static let rangeOutOfPlace = error(
        "range-out-of-place", "a range can only be used in 'for … in', a subscript or a 'case' pattern")
    static func recursiveValueType(_ name: String) -> DiagnosticMessage {
        error("recursive-value-type", "value type '\(name)' contains itself; use an array to hold values of the same type")
    }
    static func redeclaration(_ name: String) -> DiagnosticMessage {
        error("redeclaration", "invalid redeclaration of '\(name)'")
    }
    static func returnBeforeInitialized(_ name: String) -> DiagnosticMessage {
        error("return-before-initialized", "return from initializer without initializing field '\(name)'")
    }
    static func selfImmutable(_ field: String) -> DiagnosticMessage {
        error("self-immutable", "cannot assign to property '\(field)': 'self' is immutable")
    }
    static let selfOutsideType = error("self-outside-type", "'self' is only available in methods and initializers")
    static let selfUsedBeforeInitialized = error(
        "self-used-before-initialized", "'self' used before all fields are initialized")
    static func shadowsBuiltinType(_ name: String) -> DiagnosticMessage {
        error("shadows-builtin-type", "'\(name)' is the name of a built-in type")
    }
    static func stateCreatedOutsideMain(_ name: String) -> DiagnosticMessage {
        error("state-created-outside-main", "state '\(name)' can only be created in 'main'")
    }
    static func stateFieldPrivate(_ field: String, _ state: String) -> DiagnosticMessage {
        error("state-field-private", "field '\(field)' of state '\(state)' is only accessible in its methods")
    }
    static func stateFieldWithoutDefault(_ field: String, _ state: String) -> DiagnosticMessage {
        error("state-field-without-default", "field '\(field)' needs a default value: state '\(state)' has no 'init'")
    }
    static let stateInGlobal = error("state-in-global", "global constants cannot use states")
    static func stateInsideValue(_ state: String, _ place: String) -> DiagnosticMessage {
        error("state-inside-value", "state '\(state)' cannot be stored in \(place): states have identity and live only in 'main'")
    }
    static func stateParameterInFreeFunction(_ param: String, _ function: String) -> DiagnosticMessage {
        error(
            "state-parameter-in-free-function",
            "free function '\(function)' cannot take state parameter '\(param)': free functions are pure; make it a method of a state")
    }
    static func stateParameterInValueMethod(_ param: String) -> DiagnosticMessage {
        error("state-parameter-in-value-method", "only a state's methods can take a state parameter ('\(param)')")
    }
    static func stateParameterNotInout(_ param: String) -> DiagnosticMessage {
        error("state-parameter-not-inout", "state parameter '\(param)' must be 'inout': states cannot be copied")
    }
    static func statePassedByValue(_ t: String) -> DiagnosticMessage {
        error("state-passed-by-value", "state of type '\(t)' cannot be passed by value")
    }
    static func stateReturned(_ function: String) -> DiagnosticMessage {
        error("state-returned", "'\(function)' cannot return a state: states are created in 'main' and never leave it")
    }
    static let stringSubscript = error(
        "string-subscript", "'String' cannot be subscripted; use 'Bytes(s)[i]' for its UTF-8 bytes")
    static let switchNotExhaustive = error("switch-not-exhaustive", "switch must be exhaustive")
    static let switchWithoutCases = error("switch-without-cases", "'switch' has no cases")
    static func tupleIndexOutOfRange(_ i: Int, _ t: String) -> DiagnosticMessage {
        error("tuple-index-out-of-range", "tuple of type '\(t)' has no element '.\(i)'")
    }
    static func tuplePatternMismatch(_ n: Int, _ t: String) -> DiagnosticMessage {
        error("tuple-pattern-mismatch", "tuple pattern of \(n) elements cannot match a value of type '\(t)'")
    }
    static func typeAsValue(_ what: String) -> DiagnosticMessage {
        error("type-as-value", "\(what) cannot be used as a value; call an initializer: '…(…)'")
    }
    static func unaryOperand(_ op: String, _ t: String) -> DiagnosticMessage {
        error("unary-operand", "'\(op)' cannot be applied to an operand of type '\(t)'")
    }
    static func undefinedName(_ name: String) -> DiagnosticMessage {
        error("undefined-name", "cannot find '\(name)' in scope")
    }
    static func unexpectedReturnValue(_ name: String) -> DiagnosticMessage {
        error("unexpected-return-value", "unexpected non-void return value in '\(name)', which returns nothing")
    }
    static func unknownType(_ name: String) -> DiagnosticMessage {
        error("unknown-type", "cannot find type '\(name)' in scope")
    }
    static let unreachableCode = warning("unreachable-code", "code after this point will never be executed")
    static func unusedResult(_ name: String, _ t: String) -> DiagnosticMessage {
        warning("unused-result", "result of call to '\(name)' (of type '\(t)') is unused; assign it to '_' to discard it")
    }
    static func unusedValue(_ t: String) -> DiagnosticMessage {
        warning("unused-value", "expression of type '\(t)' is unused")
    }
    static func voidBinding(_ name: String) -> DiagnosticMessage {
        warning("void-binding", "constant '\(name)' has type 'Void', which is never useful")
    }
    static func udpDeviceParameterOnStack(_ function: String) -> DiagnosticMessage {
        error(
            "udp-device-parameter-on-stack",
            "'\(function)' takes a UdpDevice, which a build on Cleave's own stack (--net direct) cannot give it")
    }
    static func udpDeviceUseOnStack(_ name: String) -> DiagnosticMessage {
        error(
            "udp-device-use-on-stack",
            "on Cleave's own stack (--net direct), '\(name)' can only be called: '\(name).receive()' and '\(name).send(_:)'")
    }
    static let tcpDeviceOnStack = error(
        "tcp-device-on-stack",
        "Cleave's own network stack has no TCP yet, so a TcpDevice cannot be built for an image (--target image) or with --net direct"
    )
    static let udpDeviceMadeElsewhereOnStack = error(
        "udp-device-made-elsewhere-on-stack",
        "on Cleave's own stack (--net direct), a UdpDevice is made in a binding of its own at the top of main ('var device = UdpDevice(port: 7000)')"
    )
}

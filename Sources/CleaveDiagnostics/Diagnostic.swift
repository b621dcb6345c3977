// The diagnostic value.
//
// A diagnostic is data, not a side effect: each phase returns the diagnostics it
// found alongside its result, and the driver decides what to print. A diagnostic
// has a severity, a stable id (so that users and tests can refer to a kind of
// problem independently of its wording), a message, a primary span, notes that
// point at the other places involved, and fix-its that say how to repair it.
//
// The messages themselves live next to the phase that emits them, as static
// members of a `DiagnosticMessage` namespace (see `Grammar/ParseDiagnostics.swift`
// and `Sources/CleaveSema/SemaDiagnostics.swift`), sorted by id.

public enum Severity: String, Sendable, Comparable {
    case note
    case warning
    case error

    private var rank: Int {
        switch self {
        case .note: 0
        case .warning: 1
        case .error: 2
        }
    }
    public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
}

/// The kind of a problem: a stable id and its wording with arguments filled in.
public struct DiagnosticMessage: Sendable, Hashable {
    public let id: String
    public let severity: Severity
    public let text: String

    public init(_ id: String, _ severity: Severity, _ text: String) {
        self.id = id
        self.severity = severity
        self.text = text
    }

    public static func error(_ id: String, _ text: String) -> DiagnosticMessage {
        DiagnosticMessage(id, .error, text)
    }
    public static func warning(_ id: String, _ text: String) -> DiagnosticMessage {
        DiagnosticMessage(id, .warning, text)
    }
    /// A compiler bug, found at `stage`: never the user's fault, always worth a report.
    public static func internalError(stage: String, _ text: String) -> DiagnosticMessage {
        error("internal-error", "internal error in stage '\(stage)': \(text)")
    }
}

/// A secondary location with its own message.
public struct DiagnosticNote: Sendable, Hashable {
    public let message: String
    public let span: SourceSpan?

    public init(_ message: String, at span: SourceSpan?) {
        self.message = message
        self.span = span
    }
}

/// A suggested edit: replace the text of `span` with `replacement`
/// (an empty span inserts, an empty replacement deletes).
public struct FixIt: Sendable, Hashable {
    public let span: SourceSpan
    public let replacement: String

    public init(replace span: SourceSpan, with replacement: String) {
        self.span = span
        self.replacement = replacement
    }
    public static func insert(_ text: String, at span: SourceSpan) -> FixIt {
        FixIt(replace: span.startPoint, with: text)
    }
}

public struct Diagnostic: Sendable, Hashable {
    public let severity: Severity
    public let id: String
    public let message: String
    public let span: SourceSpan?
    public var notes: [DiagnosticNote]
    public var fixIts: [FixIt]

    public init(
        _ message: DiagnosticMessage, at span: SourceSpan?,
        notes: [DiagnosticNote] = [], fixIts: [FixIt] = []
    ) {
        self.severity = message.severity
        self.id = message.id
        self.message = message.text
        self.span = span
        self.notes = notes
        self.fixIts = fixIts
    }

    public var isError: Bool { severity == .error }
}

/// An ordered collection of diagnostics, as a phase accumulates them.
public struct Diagnostics: Sendable {
    public private(set) var all: [Diagnostic] = []

    public init() {}

    public mutating func append(_ d: Diagnostic) { all.append(d) }
    public mutating func append(contentsOf ds: [Diagnostic]) { all.append(contentsOf: ds) }

    public mutating func error(
        _ m: DiagnosticMessage, at span: SourceSpan?, notes: [DiagnosticNote] = [], fixIts: [FixIt] = []
    ) {
        all.append(Diagnostic(m, at: span, notes: notes, fixIts: fixIts))
    }

    public var hasErrors: Bool { all.contains { $0.isError } }
    public var errorCount: Int { all.filter(\.isError).count }
    public var warningCount: Int { all.filter { $0.severity == .warning }.count }

    /// Diagnostics in source order (file path, then position), stable for equal positions.
    public var sorted: [Diagnostic] {
        all.enumerated().sorted { a, b in
            let sa = a.element.span
            let sb = b.element.span
            switch (sa, sb) {
            case (nil, nil): return a.offset < b.offset
            case (nil, _): return true
            case (_, nil): return false
            case let (x?, y?):
                if x.file.path != y.file.path { return x.file.path < y.file.path }
                if x.start != y.start { return x.start < y.start }
                return a.offset < b.offset
            }
        }.map(\.element)
    }
}

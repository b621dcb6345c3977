// swift-tools-version:6.0
//
// Cleave: one section per target, each beside its test target.
// The parser lives under Grammar/, every transformation under Passes/,
// everything else (diagnostics, checker, imports, driver, CLI) under Sources/.

import PackageDescription

/// Debian's libclang-dev (LLVM 14) keeps its C headers here.
let libclangInclude = "/usr/lib/llvm-14/include"

let package = Package(
    name: "Cleave",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "cleave", targets: ["cleave"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
    ],
    targets: [
        // MARK: Test support shared by the test targets (repository paths, processes, a seeded generator).
        .target(name: "CleaveTestSupport", path: "Tests/CleaveTestSupport"),

        // MARK: Diagnostics: source files, spans, the diagnostic value, the formatter.
        .target(name: "CleaveDiagnostics", path: "Sources/CleaveDiagnostics"),
        .testTarget(
            name: "CleaveDiagnosticsTests",
            dependencies: ["CleaveDiagnostics"],
            path: "Tests/CleaveDiagnosticsTests"),

        // MARK: Grammar: the lexer, the AST and the recursive-descent parser for Grammar/Cleave.ebnf.
        .target(
            name: "CleaveGrammar",
            dependencies: ["CleaveDiagnostics"],
            path: "Grammar",
            exclude: ["Cleave.ebnf"]),
        .testTarget(
            name: "CleaveGrammarTests",
            dependencies: ["CleaveGrammar", "CleaveTestSupport"],
            path: "Tests/CleaveGrammarTests"),

        // MARK: C imports: libclang from Debian's libclang-dev.
        .systemLibrary(name: "CClang", path: "Sources/CClang"),
        .target(
            name: "CleaveCImport",
            dependencies: ["CClang", "CleaveDiagnostics"],
            path: "Sources/CleaveCImport",
            swiftSettings: [.unsafeFlags(["-Xcc", "-I\(libclangInclude)"])]),
        .testTarget(
            name: "CleaveCImportTests",
            dependencies: ["CleaveCImport"],
            path: "Tests/CleaveCImportTests"),

        // MARK: Sema: name resolution and type checking; produces the typed AST.
        .target(
            name: "CleaveSema",
            dependencies: ["CleaveGrammar", "CleaveCImport", "CleaveDiagnostics"],
            path: "Sources/CleaveSema"),
        .testTarget(
            name: "CleaveSemaTests",
            dependencies: ["CleaveSema"],
            path: "Tests/CleaveSemaTests"),

        // MARK: IR: structured SSA in A-normal form with explicit state threads.
        .target(
            name: "CleaveIR",
            dependencies: ["CleaveSema", "CleaveGrammar", "CleaveDiagnostics"],
            path: "Sources/CleaveIR"),
        .testTarget(
            name: "CleaveIRTests",
            dependencies: ["CleaveIR", "CleaveDriver", "CleaveTestSupport"],
            path: "Tests/CleaveIRTests"),

        // MARK: Graph: the dataflow graph of the IR, its verifier, DOT and JSON.
        .target(
            name: "CleaveGraph",
            dependencies: ["CleaveIR", "CleaveSema", "CleaveDiagnostics"],
            path: "Sources/CleaveGraph"),
        .testTarget(
            name: "CleaveGraphTests",
            dependencies: ["CleaveGraph", "CleaveDriver", "CleaveTestSupport"],
            path: "Tests/CleaveGraphTests"),

        // MARK: Passes: transformations and analyses, one per file.
        .target(
            name: "CleavePasses",
            dependencies: ["CleaveIR", "CleaveSema", "CleaveGrammar", "CleaveDiagnostics"],
            path: "Passes",
            exclude: ["README.md"]),
        .testTarget(
            name: "CleavePassesTests",
            dependencies: ["CleavePasses", "CleaveDriver", "CleaveTestSupport"],
            path: "Tests/CleavePassesTests"),

        // MARK: The C runtime of the hosted targets (C sources shipped as resources) and the C backend.
        .target(
            name: "CleaveRuntime",
            path: "Sources/CleaveRuntime",
            resources: [.copy("C")]),
        .target(
            name: "CleaveCBackend",
            dependencies: ["CleavePasses", "CleaveIR", "CleaveSema", "CleaveDiagnostics"],
            path: "Sources/CleaveCBackend"),
        .testTarget(
            name: "CleaveCBackendTests",
            dependencies: ["CleaveCBackend", "CleaveDriver", "CleaveTestSupport"],
            path: "Tests/CleaveCBackendTests"),

        // MARK: The reference interpreter: the typed program run as written (the tests' oracle).
        .systemLibrary(name: "CPcap", path: "Sources/CPcap"),
        .target(
            name: "CleaveInterpreter",
            dependencies: ["CleaveSema", "CleaveGrammar", "CleaveDiagnostics", "CPcap"],
            path: "Sources/CleaveInterpreter"),
        .testTarget(
            name: "CleaveInterpreterTests",
            dependencies: ["CleaveInterpreter", "CleaveDriver", "CleaveTestSupport"],
            path: "Tests/CleaveInterpreterTests"),

        // MARK: Driver: the pipeline table, stage dumps, loading programs.
        .target(
            name: "CleaveDriver",
            dependencies: [
                "CleaveCBackend", "CleaveRuntime", "CleavePasses", "CleaveGraph", "CleaveIR", "CleaveSema", "CleaveGrammar",
                "CleaveCImport", "CleaveDiagnostics", "CleaveInterpreter",
            ],
            path: "Sources/CleaveDriver"),
        .testTarget(
            name: "CleaveDriverTests",
            dependencies: ["CleaveDriver", "CleaveCBackend", "CleaveTestSupport"],
            path: "Tests/CleaveDriverTests"),

        // MARK: The `cleave` command line.
        .executableTarget(
            name: "cleave",
            dependencies: [
                "CleaveDriver",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/cleave"),
    ]
)

// Nothing a user writes reaches the generated C except as escaped data: string
// literals that would end a comment or a C string (`*/`, `/*`, `"`, `\`, line
// breaks, NUL, trigraphs, non-ASCII, thousands of bytes), names that are C
// keywords, libc functions, macros or runtime symbols, names hundreds of
// characters long (which also name an isolated build's executables), type
// spellings that hold trigraphs, and source files whose names hold quotes,
// backslashes, line breaks and spaces. Each program builds for both targets
// with gcc and with clang under `-Werror` (the builds' flags already hold
// `-Wall -Wextra`), and the built service answers with exactly the bytes the
// source spells; the generated C, outside its string literals, holds none of
// the user's text.

import CleaveCBackend
import CleaveTestSupport
import Foundation
import Testing

@Suite struct HostileSourceTests {
    /// A C program that defines `recvmmsg` would replace the one the UDP netif calls.
    static let injection = #"*/int recvmmsg(){_exit(77);}/*"#

    /// Each literal as Cleave source spells it, and the bytes it stands for.
    static let literals: [(spelled: String, bytes: [UInt8])] = [
        (#"*/"#, Array("*/".utf8)),
        (#"/*"#, Array("/*".utf8)),
        (injection, Array(injection.utf8)),
        (#"*/ #include <stdio.h> /* */"#, Array("*/ #include <stdio.h> /* */".utf8)),
        (#"\\"#, [0x5c]),
        (#"\""#, [0x22]),
        (#"\"); _exit(78); ("#, Array("\"); _exit(78); (".utf8)),
        (#"a\nb\r\n\tc"#, Array("a\nb\r\n\tc".utf8)),
        (#"\\\n*/"#, Array("\\\n*/".utf8)),
        (#"x\0y\01"#, [0x78, 0, 0x79, 0, 0x31]),
        (#"??/"#, Array("??/".utf8)),
        (#"??/\n??="#, Array("??/\n??=".utf8)),
        (#"??=??(??)??<??>??!??'??-"#, Array("??=??(??)??<??>??!??'??-".utf8)),
        ("\u{e9}t\u{e9} \u{1F600} \u{4e2d}", Array("\u{e9}t\u{e9} \u{1F600} \u{4e2d}".utf8)),
        (#"\u{1F600}\xff\x80\x00"#, Array("\u{1F600}".utf8) + [0xff, 0x80, 0]),
        (#"// not a comment"#, Array("// not a comment".utf8)),
        (#"%s%n%%"#, Array("%s%n%%".utf8)),
        (String(repeating: #"*/\\\"??/"#, count: 700), Array(String(repeating: "*/\\\"??/", count: 700).utf8)),
    ]

    /// Text that may appear in the generated C only inside a string literal.
    static let markers = ["recvmmsg(){", "_exit(77)", "_exit(78)", "#include <stdio.h> /*", "not a comment", "%s%n"]

    /// A service answering request `k` with literal k (from a state, so from its own component when
    /// isolated), `1000 + k` with literal k around an interpolation, and `-1` with a global's literal.
    static var literalService: String {
        var pick = ""
        var interpolated = ""
        for (k, l) in literals.enumerated() {
            pick += "        if k == \(k) {\n            return \"\(l.spelled)\"\n        }\n"
            interpolated += "        } else if k == \(1000 + k) {\n            reply = Bytes(\"\(l.spelled)\\(k)\(l.spelled)\")\n"
        }
        return """
            import net

            let banner: Bytes = "\(injection)"

            state Shelf {
                func pick(_ k: Int) -> Bytes {
            \(pick)        return "?"
                }
            }

            func main() {
                let device = UdpDevice(port: 9700)
                let shelf = Shelf()
                loop {
                    let d = device.receive()
                    let k = Int(d.payload) ?? -2
                    var reply: Bytes = "?"
                    if k == -1 {
                        reply = banner
            \(interpolated)        } else {
                        reply = shelf.pick(k)
                    }
                    device.send(d.reply(reply))
                }
            }

            """
    }

    static var literalRequests: [(request: String, reply: [UInt8])] {
        var out: [(String, [UInt8])] = [("-1", Array(injection.utf8))]
        for (k, l) in literals.enumerated() {
            out.append(("\(k)", l.bytes))
            out.append(("\(1000 + k)", l.bytes + Array("\(1000 + k)".utf8) + l.bytes))
        }
        return out
    }

    /// A directory of this test run for one test's files.
    static func directory(_ name: String) throws -> String {
        let dir = BuiltServices.directory + "/hostile-" + name
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// `cleave build`, with warnings as errors unless `cflags` says otherwise; what to run (the
    /// launcher, when isolated).
    static func build(
        _ source: String, target: String, cc: String, into dir: String, extra: [String] = [], cflags: String = "-Werror"
    ) throws -> String {
        let output = "\(dir)/service-\(target)-\(cc)" + (target == "isolated" ? ".d" : "")
        let r = try runProcess(
            Repo.cleaveBinary, ["build", "--target", target, source, "-o", output] + extra,
            environment: ["CC": cc, "CFLAGS": cflags])
        guard r.status == 0 else {
            throw BuildFailure(description: "\(cc), --target \(target), \(source.debugDescription): \(r.stderr)")
        }
        return target == "isolated" ? output + "/run" : output
    }

    /// Replay `requests` through `executable`; its replies' payloads, its exit status and errors.
    static func replay(_ executable: String, _ requests: [String], port: UInt16, in dir: String, name: String) throws -> Replay {
        var w = PcapWriter()
        for r in requests { w.append(UDPDatagram(sourcePort: 7001, destinationPort: port, payload: Array(r.utf8))) }
        let input = "\(dir)/\(name)-in.pcap"
        let output = "\(dir)/\(name)-out.pcap"
        try w.write(to: input)
        let r = try runProcess(executable, ["--netif", "pcap:\(input):\(output)"])
        let replies = FileManager.default.fileExists(atPath: output) ? try Pcap.readUDP(output) : []
        return Replay(status: r.status, stderr: r.stderr, replies: replies)
    }

    static let builds = [("unikernel", "gcc"), ("unikernel", "clang"), ("isolated", "gcc"), ("isolated", "clang")]

    @Test(arguments: builds)
    func hostileLiteralsAreServedByteForByte(_ target: String, _ cc: String) throws {
        let dir = try Self.directory("literals-\(target)-\(cc)")
        let source = "\(dir)/literals.clv"
        try Self.literalService.write(toFile: source, atomically: true, encoding: .utf8)
        let exe = try Self.build(source, target: target, cc: cc, into: dir)
        let cases = Self.literalRequests
        let r = try Self.replay(exe, cases.map(\.request), port: 9700, in: dir, name: "literals")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.replies.count == cases.count, "\(r.stderr)")
        for (reply, c) in zip(r.replies, cases) where reply.payload != c.reply {
            Issue.record("request \(c.request): \(reply.payload.text.debugDescription), expected \(c.reply.text.debugDescription)")
        }
    }

    /// Over a real UDP socket, where a `recvmmsg` defined by the program would be the one the
    /// netif calls: the service answers with the literal, twice, and ends cleanly. Built as a user
    /// builds it, without `-Werror`.
    @Test(arguments: ["unikernel", "isolated"])
    func theInjectedRecvmmsgIsOnlyText(_ target: String) throws {
        let dir = try Self.directory("injection-\(target)")
        let source = "\(dir)/injection.clv"
        let program = """
            import net

            func main() {
                let device = UdpDevice(port: 9700)
                loop {
                    let d = device.receive()
                    device.send(d.reply("\(Self.injection)"))
                }
            }
            """
        try program.write(toFile: source, atomically: true, encoding: .utf8)
        let exe = try Self.build(source, target: target, cc: "cc", into: dir, cflags: "")
        let service = try ServiceProcess(exe, ["--netif", "udp:0"])
        let client = try UDPClient()
        for _ in 0..<2 {
            #expect(try client.request(Array("x".utf8), to: service.port(9700), timeout: 2) == Array(Self.injection.utf8))
        }
        let end = service.stop()
        #expect(end.status == 0 && !end.signaled, "\(end.stderr)")
    }

    /// The C of both targets with its string and character literals taken out: no user text is left.
    @Test func theGeneratedCHoldsUserTextOnlyInsideStringLiterals() throws {
        let dir = try Self.directory("scan")
        let source = "\(dir)/scan.clv"
        try Self.literalService.write(toFile: source, atomically: true, encoding: .utf8)
        for target in ["unikernel", "isolated"] {
            let emitted = "\(dir)/c-\(target)"
            _ = try Self.build(source, target: target, cc: "cc", into: dir, extra: ["--emit-c", emitted])
            let files = try FileManager.default.contentsOfDirectory(atPath: emitted).filter { $0.hasSuffix(".c") }
            #expect(!files.isEmpty)
            for file in files {
                let text = try #require(FileManager.default.contents(atPath: "\(emitted)/\(file)"))
                let outside = GeneratedC.outsideLiterals(Array(text))
                for marker in Self.markers where outside.contains(marker) {
                    Issue.record("\(target) \(file): '\(marker)' outside a string literal")
                }
            }
        }
    }
}

extension HostileSourceTests {
    /// Source files named with quotes, a backslash, stars, spaces, `??)`, a line break, a control
    /// byte and non-ASCII, in a directory whose name ends in `*`: both targets build with gcc and
    /// clang, the service answers, and a trap names the file as it is named.
    static let fileNames = ["say \"hi\" \\ back??) *star* .clv", "line\nbreak\u{1} \u{e9}\u{1F600}.clv"]

    /// Answers with the fifth byte of the payload: a shorter one traps.
    static let fifthByte = """
        import net

        func main() {
            let device = UdpDevice(port: 9703)
            loop {
                let d = device.receive()
                let fifth = d.payload[4]
                device.send(d.reply(Bytes("\\(fifth)")))
            }
        }

        """

    @Test(arguments: builds)
    func hostileFileNamesBuildAndAreNamedInTraps(_ target: String, _ cc: String) throws {
        let dir = try Self.directory("files-\(target)-\(cc)") + "/sources*"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (k, name) in Self.fileNames.enumerated() {
            let source = "\(dir)/\(name)"
            try Self.fifthByte.write(toFile: source, atomically: true, encoding: .utf8)
            let exe = try Self.build(source, target: target, cc: cc, into: dir + "/..", extra: [])
            let r = try Self.replay(exe, ["hello", "hi", "never"], port: 9703, in: dir, name: "files-\(k)")
            #expect(r.status == 1, "\(r.stderr)")
            #expect(r.replies.map(\.payload.text) == ["111"], "\(r.stderr)")
            #expect(r.stderr.contains("\(name):7:21: fatal error: index out of range"), "\(r.stderr.debugDescription)")
        }
    }

    @Test func hostileFileNamesAreEscapedInTheGeneratedC() throws {
        let dir = try Self.directory("files-scan")
        for name in Self.fileNames {
            let source = "\(dir)/\(name)"
            try Self.fifthByte.write(toFile: source, atomically: true, encoding: .utf8)
            for target in ["unikernel", "isolated"] {
                let emitted = "\(dir)/c-\(target)"
                try? FileManager.default.removeItem(atPath: emitted)
                _ = try Self.build(source, target: target, cc: "cc", into: dir, extra: ["--emit-c", emitted])
                let files = try FileManager.default.contentsOfDirectory(atPath: emitted).filter { $0.hasSuffix(".c") && $0 != "run.c" }
                for file in files {
                    let text = try #require(FileManager.default.contents(atPath: "\(emitted)/\(file)"))
                    let outside = GeneratedC.outsideLiterals(Array(text))
                    #expect(!outside.contains(name), "\(target) \(file) holds \(name.debugDescription) outside a string literal")
                    #expect(outside.contains(".clv:"), "\(target) \(file) names no source line")
                }
            }
        }
    }

    /// Type spellings go into the C too (a descriptor's name, a comment): `Int??>` must not become
    /// `Int}` by the trigraph `??>`, which -Wtrigraphs reports.
    @Test(arguments: builds)
    func typeSpellingsWithTrigraphsBuild(_ target: String, _ cc: String) throws {
        let dir = try Self.directory("spellings-\(target)-\(cc)")
        let source = "\(dir)/spellings.clv"
        let program = """
            import net

            state Keeper {
                var table: Map<Int, Int??> = [:]

                func keep(_ t: (Int, Bool??)) -> Map<Int, Int??> {
                    let inner: Int? = nil
                    table[t.0] = nil
                    table[t.0 + 1] = inner
                    return table
                }
            }

            func main() {
                let device = UdpDevice(port: 9704)
                let keeper = Keeper()
                loop {
                    let d = device.receive()
                    let t: (Int, Bool??) = (d.payload.count, nil)
                    let m = keeper.keep(t)
                    device.send(d.reply(Bytes("\\(m.count)")))
                }
            }

            """
        try program.write(toFile: source, atomically: true, encoding: .utf8)
        let exe = try Self.build(source, target: target, cc: cc, into: dir)
        let r = try Self.replay(exe, ["a", "bbb"], port: 9704, in: dir, name: "spellings")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.replies.map(\.payload.text) == ["1", "2"], "\(r.stderr)")
    }
}

extension HostileSourceTests {
    /// 300 characters: longer than a file name may be (NAME_MAX, 255).
    static let long = "n" + String(repeating: "ame", count: 100)
}

extension HostileSourceTests {
    /// Components are named after their states' variables; their executables are files, whose names
    /// may be at most 255 bytes. States named with 300 characters, two of them alike up to the
    /// last: every executable gets a short, distinct, safe name, `--print-policy` names it, and the
    /// launcher finds it, in the default partition and in one given by hand.
    @Test(arguments: [nil, "cl_region,\(long)a|\(long)b"])
    func longStateNamesMakeShortDistinctExecutableNames(_ partition: String?) throws {
        let dir = try Self.directory("executables-\(partition == nil ? "default" : "given")")
        let source = "\(dir)/long.clv"
        let program = """
            import net

            state Counter {
                var n: Int = 0

                func next(_ by: Int) -> Int {
                    n += by
                    return n
                }
            }

            func main() {
                let cl_region = UdpDevice(port: 9706)
                let \(Self.long)a = Counter()
                let \(Self.long)b = Counter()
                loop {
                    let d = cl_region.receive()
                    let a = \(Self.long)a.next(1)
                    let b = \(Self.long)b.next(d.payload.count)
                    cl_region.send(d.reply(Bytes("\\(a) \\(b)")))
                }
            }

            """
        try program.write(toFile: source, atomically: true, encoding: .utf8)
        let output = "\(dir)/service.d"
        let build = try runProcess(
            Repo.cleaveBinary,
            ["build", "--target", "isolated", "--print-policy", source, "-o", output] + (partition.map { ["--partition", $0] } ?? []),
            environment: ["CFLAGS": "-Werror"])
        #expect(build.status == 0, "\(build.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: output).filter { !$0.hasPrefix(".") }
        #expect(files.count == (partition == nil ? 4 : 3), "\(files)")
        for f in files {
            #expect(f.utf8.count <= 64, "\(f)")
            #expect(f.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }, "\(f)")
        }
        // --print-policy: `component NAME (FILE): …` for every component, FILE one of those built.
        let named = build.stdout.split(separator: "\n").filter { $0.hasPrefix("component ") }
        #expect(named.count == files.count - 1, "\(build.stdout)")
        for line in named {
            let file = line.split(separator: "(").last?.split(separator: ")").first.map(String.init) ?? ""
            #expect(files.contains(file), "\(line.prefix(100))… names \(file), not one of \(files)")
        }
        let r = try Self.replay("\(output)/run", ["a", "bb", "c"], port: 9706, in: dir, name: "long")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.replies.map(\.payload.text) == ["1 1", "2 3", "3 4"], "\(r.stderr)")
    }
}

extension HostileSourceTests {
    /// Names that are C keywords, libc functions and macros (`errno`, `stdin`, `M_PI`, and with
    /// <fcntl.h> imported, `S_IFMT`), runtime and generated symbols, and very long names, for
    /// locals, parameters, functions, methods, fields, types, enum cases, globals, states and
    /// their variables. The service answers `k` with the k-th of its results.
    static var namesService: String {
        """
        import net
        import "fcntl.h"

        struct int {
            var register: Int
            var errno: Bytes
            var stdin: Int
            var main: Bool
        }

        enum printf {
            case exit(Bytes)
            case _exit
            case cl_trap(Int)
        }

        struct \(long)T {
            var \(long)F: Int
        }

        let volatile: Int = 7
        let cl_region: Bytes = "region"

        func exit(_ auto: Int, _ static: Int, _ M_PI: Int) -> Int {
            return auto + static + M_PI
        }

        func malloc(_ a: Int, _ b: Int, _ M_SQRT1: Int) -> Int {
            return a * b * M_SQRT1
        }

        func _exit(_ sizeof: printf) -> Bytes {
            switch sizeof {
            case .exit(let cl_share): return cl_share
            case ._exit: return "_exit"
            case .cl_trap(let errno): return Bytes("\\(errno)")
            }
        }

        func \(long)G(_ \(long)P: Int) -> \(long)T {
            return \(long)T(\(long)F: \(long)P + 1)
        }

        state IFMT {
            var NULL: Int = 0
            var memcpy: Map<Bytes, Int> = [:]

            func cl_trap(_ stdout: Bytes) -> Bytes {
                NULL += 1
                memcpy[stdout] = NULL
                return Bytes("\\(NULL) \\(memcpy.count)")
            }
        }

        state \(long)S {
            var lit_1: Int = 0

            func \(long)M(_ tmp1: Int) -> Int {
                lit_1 += tmp1
                return lit_1
            }
        }

        func main() {
            let cl_program = UdpDevice(port: 9705)
            let \(long)a = IFMT()
            let \(long)b = \(long)S()
            loop {
                let d = cl_program.receive()
                let k = Int(d.payload) ?? -1
                let char = int(register: volatile, errno: d.payload, stdin: 3, main: true)
                let t1 = \(long)G(char.register).\(long)F
                let env = [printf.exit("exit"), printf._exit, printf.cl_trap(k)]
                var goto: Bytes = "?"
                if k == 0 {
                    goto = Bytes("\\(exit(1, 2, 3)) \\(malloc(1, 2, 3)) \\(t1)")
                } else if k == 1 {
                    goto = env.map { _exit($0) }.joined(separator: ",")
                } else if k == 2 {
                    goto = \(long)a.cl_trap(char.errno)
                } else if k == 3 {
                    goto = Bytes("\\(\(long)b.\(long)M(char.stdin))")
                } else if k == 4 {
                    goto = cl_region + Bytes("\\(char.main)")
                }
                cl_program.send(d.reply(goto))
            }
        }

        """
    }

    /// The forms the backend gives the program's names in C (CText.swift) are forms no macro of the
    /// runtime's headers the generated C includes (CBackend.unikernelHeaders, isolatedHeaders, and
    /// the system headers they include) has.
    @Test func noMacroOfTheRuntimesHeadersHasTheFormOfAProgramsName() throws {
        let runtime = RuntimeSources.root
        let prefixes = ["f_", "m_", "init_", "g_", "global_g_", "new_state_", "state_", "struct_", "enum_", "component_"]
        func isValueName(_ n: Substring) -> Bool {
            guard n.first == "v", let underscore = n.firstIndex(of: "_") else { return false }
            let digits = n[n.index(after: n.startIndex)..<underscore]
            return !digits.isEmpty && digits.allSatisfy(\.isNumber)
        }
        for header in CBackend.unikernelHeaders + CBackend.isolatedHeaders {
            let r = try runProcess(
                "/bin/sh", ["-c", "echo '#include \"\(header)\"' | cc -std=c11 -D_DEFAULT_SOURCE -I \"$0\" -dM -E -x c -", runtime])
            #expect(r.status == 0, "\(r.stderr)")
            let macros = r.stdout.split(separator: "\n").compactMap { line -> Substring? in
                let parts = line.split(separator: " ")
                return parts.count > 1 ? parts[1].split(separator: "(").first : nil
            }
            #expect(macros.count > 100, "\(header): \(macros.count) macros")
            for m in macros where isValueName(m) || prefixes.contains(where: { m.hasPrefix($0) }) {
                Issue.record("\(header) defines \(m), a name the backend may give a program's name")
            }
        }
    }

    /// Names are ASCII (Grammar/Cleave.ebnf): one that is not is an error at the name, not a C problem.
    @Test func aNameThatIsNotASCIIIsAnErrorInTheSource() throws {
        let dir = try Self.directory("non-ascii")
        let source = "\(dir)/names.clv"
        try "func main() {\n    let \u{e9}t\u{e9} = 1\n    print(\"\\(\u{e9}t\u{e9})\")\n}\n".write(
            toFile: source, atomically: true, encoding: .utf8)
        let r = try runProcess(Repo.cleaveBinary, ["build", source, "-o", "\(dir)/names"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("names.clv:2:9: error: unexpected character '\u{e9}' in source"), "\(r.stderr)")
        #expect(!r.stderr.contains("internal error"), "\(r.stderr)")
    }

    static let namesRequests: [(String, String)] = [
        ("0", "6 6 8"), ("1", "exit,_exit,1"), ("2", "1 1"), ("3", "3"), ("4", "regiontrue"), ("2", "2 1"), ("3", "6"),
    ]

    @Test(arguments: builds)
    func hostileNamesBuildAndAnswer(_ target: String, _ cc: String) throws {
        let dir = try Self.directory("names-\(target)-\(cc)")
        let source = "\(dir)/names.clv"
        try Self.namesService.write(toFile: source, atomically: true, encoding: .utf8)
        let exe = try Self.build(source, target: target, cc: cc, into: dir)
        let r = try Self.replay(exe, Self.namesRequests.map(\.0), port: 9705, in: dir, name: "names")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.replies.map(\.payload.text) == Self.namesRequests.map(\.1), "\(r.stderr)")
    }
}

/// Reading generated C for tests.
enum GeneratedC {
    /// The C text with the contents of its string and character literals removed (the quotes
    /// stay), comments kept: what a compiler reads as code or a reader as commentary.
    static func outsideLiterals(_ c: [UInt8]) -> String {
        var out: [UInt8] = []
        var i = 0
        func at(_ k: Int) -> UInt8 { k < c.count ? c[k] : 0 }
        while i < c.count {
            let b = c[i]
            if b == UInt8(ascii: "/") && at(i + 1) == UInt8(ascii: "*") {
                // A comment, to its end.
                var j = i + 2
                while j < c.count && !(c[j] == UInt8(ascii: "*") && at(j + 1) == UInt8(ascii: "/")) { j += 1 }
                out += c[i..<min(j + 2, c.count)]
                i = j + 2
            } else if b == UInt8(ascii: "/") && at(i + 1) == UInt8(ascii: "/") {
                var j = i
                while j < c.count && c[j] != UInt8(ascii: "\n") { j += 1 }
                out += c[i..<j]
                i = j
            } else if b == UInt8(ascii: "\"") || b == UInt8(ascii: "'") {
                // A literal: skip to the closing quote, past escapes.
                var j = i + 1
                while j < c.count && c[j] != b && c[j] != UInt8(ascii: "\n") {
                    j += c[j] == UInt8(ascii: "\\") ? 2 : 1
                }
                out += [b, b]
                i = j + 1
            } else {
                out.append(b)
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

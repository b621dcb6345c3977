// What may not be there is `nil`, never a crash: `first`, `last`, `min()`,
// `max()`, `firstIndex(of:)`, a Map's value for a key, `removeValue`, the
// pieces of a `split`, and `??`, on empty and non-empty collections of every
// kind of element (integers, Bool, Double, String, Bytes, arrays, structs,
// enums, tuples, optionals, maps). Tests/Inputs/Services/absent.clv answers
// with those results; the expected replies are computed here, in Swift, by a
// model of the same program. The service is run as a unikernel and isolated
// (where the optionals cross from one component to another, so `nil` of every
// kind is serialized and read back), over the same capture.

import CleaveTestSupport
import Foundation
import Testing

@Suite struct AbsentValueTests {
    static let source = "Tests/Inputs/Services/absent.clv"

    static var requests: [String] {
        let kinds = [
            "int", "uint8", "bool", "double", "string", "bytes", "array", "struct", "enum", "tuple", "optional", "map",
        ]
        var out: [String] = []
        for n in [0, 1, 3, 0, 2, 5, 0] {
            for k in kinds { out.append("\(k) \(n)") }
        }
        for n in [0, 1, 2, 3, 5, 4, 7, 0, 9] { out.append("lookup \(n)") }
        // The empty datagram, and one of spaces only: no words, no first word.
        out += ["", "   ", "int", "pieces", "pieces ,", "pieces a,b,,c", "pieces 12", "pieces -7", "nonsense 1"]
        return out
    }

    /// The service as Swift: the same elements, the same questions, the same text.
    struct Model {
        var lastBytes: String?
        var lastList: [Int]?
        var history: [String?] = []
        var table: [Int: String] = [:]
        var listTable: [Int: [Int]] = [:]

        struct Point: Equatable {
            var x: Int
            var tag: String
        }

        enum Shape: Equatable {
            case dot
            case line(String)
            case box(Int, [Int])
        }

        static func intAt(_ i: Int) -> Int { (i * 7) % 5 - 2 }
        static func byteAt(_ i: Int) -> UInt8 { UInt8((i * 5) % 7) }
        static func boolAt(_ i: Int) -> Bool { i % 2 == 1 }
        static func doubleAt(_ i: Int) -> Double { Double((i * 3) % 5) * 1.5 - 2.0 }
        static func stringAt(_ i: Int) -> String { "s\((i * 7) % 5)" }
        static func bytesAt(_ i: Int) -> String { "b\((i * 3) % 4)" }
        static func listAt(_ i: Int) -> [Int] { Array(repeating: i, count: i % 3) }
        static func pointAt(_ i: Int) -> Point { Point(x: i, tag: "p\(i)") }
        static func shapeAt(_ i: Int) -> Shape { i % 3 == 0 ? .dot : i % 3 == 1 ? .line("l\(i)") : .box(i, [i, i + 1]) }
        static func maybeAt(_ i: Int) -> String? { i % 2 == 0 ? nil : "o\(i)" }
        static func mapAt(_ i: Int) -> [String: Int] { ["m\(i)": i] }

        static func show<T>(_ x: T?) -> String { x.map { "\($0)" } ?? "nil" }
        static func list(_ a: [Int]) -> String { "[" + a.map(String.init).joined(separator: ",") + "]" }
        static func shape(_ s: Shape) -> String {
            switch s {
            case .dot: return "dot"
            case .line(let b): return "line(\(b))"
            case .box(let w, let h): return "box(\(w),\(list(h)))"
            }
        }
        static func entries(_ m: [String: Int]?) -> String {
            guard let m else { return "nil" }
            return "{" + m.map { "\($0.key)=\($0.value)" }.joined(separator: ",") + "}"
        }

        mutating func answer(_ request: String) -> String {
            let words = Array(request.utf8).split(separator: 32).map { String(decoding: $0, as: UTF8.self) }
            guard let command = words.first else { return "empty" }
            let argument = words.last ?? "0"
            let n = Int(argument) ?? 0
            typealias M = Model
            switch command {
            case "int":
                let a = (0..<n).map(M.intAt)
                return [a.first, a.last, a.min(), a.max(), a.firstIndex(of: M.intAt(1))].map(M.show).joined(separator: " ")
            case "uint8":
                let a = (0..<n).map(M.byteAt)
                return [a.first, a.last, a.min(), a.max()].map(M.show).joined(separator: " ") + " "
                    + M.show(a.firstIndex(of: M.byteAt(2)))
            case "bool":
                let a = (0..<n).map(M.boolAt)
                return "\(M.show(a.first)) \(M.show(a.last)) \(M.show(a.firstIndex(of: true))) \(a.contains(false))"
            case "double":
                let a = (0..<n).map(M.doubleAt)
                return [a.first, a.last, a.min(), a.max()].map(M.show).joined(separator: " ") + " "
                    + M.show(a.firstIndex(of: M.doubleAt(1)))
            case "string":
                let a = (0..<n).map(M.stringAt)
                return [a.first, a.last, a.min(), a.max()].map(M.show).joined(separator: " ") + " "
                    + M.show(a.firstIndex(of: M.stringAt(1)))
            case "bytes":
                let a = (0..<n).map(M.bytesAt)
                let before = lastBytes
                lastBytes = a.last
                history.append(a.first)
                if history.count > 3 { history.removeFirst() }
                let kept = history.map { $0 ?? "nil" }.joined(separator: "|")
                return [a.first, a.last, a.min(), a.max()].map(M.show).joined(separator: " ") + " "
                    + "\(M.show(a.firstIndex(of: M.bytesAt(1)))) \(M.show(before)) \(kept)"
            case "array":
                let a = (0..<n).map(M.listAt)
                let before = lastList
                lastList = a.first
                return [a.first, a.last, before].map { $0.map(M.list) ?? "nil" }.joined(separator: " ")
                    + " \(M.show(a.firstIndex(of: M.listAt(2)))) \(a.contains([]))"
            case "struct":
                let a = (0..<n).map(M.pointAt)
                return [a.first, a.last].map { $0.map { "(\($0.x) \($0.tag))" } ?? "nil" }.joined(separator: " ")
                    + " \(M.show(a.firstIndex(of: M.pointAt(1))))"
            case "enum":
                let a = (0..<n).map(M.shapeAt)
                return [a.first, a.last].map { $0.map(M.shape) ?? "nil" }.joined(separator: " ")
                    + " \(M.show(a.firstIndex(of: M.shapeAt(2))))"
            case "tuple":
                let a = (0..<n).map { ($0, "t\($0)") }
                return [a.first, a.last].map { $0.map { "(\($0.0),\($0.1))" } ?? "nil" }.joined(separator: " ")
            case "optional":
                let a = (0..<n).map(M.maybeAt)
                let shown = [a.first, a.last].map { (x: String??) -> String in
                    guard let x else { return "nil" }
                    return "some(\(x ?? "nil"))"
                }
                return shown.joined(separator: " ") + " \(a.filter { $0 == nil }.count)"
            case "map":
                let a = (0..<n).map(M.mapAt)
                return "\(M.entries(a.first)) \(M.entries(a.last)) \(M.show(a.firstIndex(of: M.mapAt(1))))"
            case "lookup":
                if n % 2 == 1 {
                    table[n] = "v\(n)"
                    listTable[n] = [n, n]
                }
                let removed = table.removeValue(forKey: n - 2)
                let nested: [Int: [Int: Int]] = n > 2 ? [n: [n: n]] : [:]
                return [
                    M.show(table[n]), listTable[n].map(M.list) ?? "nil", M.show(removed), table[n + 100] ?? "fallback",
                    M.show(nested[3]?.count),
                ].joined(separator: " ")
            case "pieces":
                let payload = words.count > 1 ? argument : ""
                let pieces = Array(payload.utf8).split(separator: 44).map { String(decoding: $0, as: UTF8.self) }
                return [
                    M.show(pieces.first), M.show(pieces.last), M.show(Array(payload.utf8).firstIndex(of: 44)),
                    M.show(Int(payload)),
                ].joined(separator: " ")
            default:
                return "?"
            }
        }
    }

    static var expected: [String] {
        var model = Model()
        return requests.map { model.answer($0) }
    }

    func expectExpectedReplies(build: [String], label: String) throws {
        let datagrams = clientDatagrams(Self.requests.map { Array($0.utf8) }, to: 9600, net: 3, firstPort: 40000)
        let r = try replay(Self.source, datagrams, name: "absent-\(label)", build: build)
        #expect(r.status == 0, "\(label): \(r.stderr)")
        #expect(r.replies.count == Self.requests.count, "\(label): \(r.stderr)")
        for (k, (reply, want)) in zip(r.replies, Self.expected).enumerated() where reply.payload.text != want {
            Issue.record(
                "\(label): \(Self.requests[k].debugDescription) answered \(reply.payload.text.debugDescription), expected \(want.debugDescription)"
            )
        }
    }

    @Test func nothingIsNilOnTheUnikernel() throws {
        try expectExpectedReplies(build: [], label: "unikernel")
    }

    /// The components as coroutines of one thread, their channels in memory.
    @Test func nothingIsNilInTheProjectedProgram() throws {
        try expectExpectedReplies(build: ["--from-stage", "projected"], label: "projected")
    }

    @Test(arguments: [nil, "device,printer|store", "device|store,printer"])
    func nothingIsNilWhenIsolated(_ partition: String?) throws {
        try expectExpectedReplies(
            build: ["--target", "isolated"] + (partition.map { ["--partition", $0] } ?? []),
            label: "isolated-\(partition?.replacingOccurrences(of: "|", with: "_") ?? "default")")
    }

    /// The same service with clang's address and undefined-behavior sanitizers: no report.
    @Test func noSanitizerReport() throws {
        let exe = try BuiltServices.executable(
            Self.source, environment: ["CC": "clang", "CFLAGS": "-fsanitize=address,undefined -fno-sanitize-recover=undefined -g"],
            tag: "sanitized")
        let dir = BuiltServices.directory
        var capture = PcapWriter()
        for request in Self.requests {
            capture.append(UDPDatagram(sourcePort: 6003, destinationPort: 9600, payload: Array(request.utf8)))
        }
        try capture.write(to: "\(dir)/absent-sanitized-in.pcap")
        let r = try runProcess(
            exe, ["--netif", "pcap:\(dir)/absent-sanitized-in.pcap:\(dir)/absent-sanitized-out.pcap"],
            environment: ["ASAN_OPTIONS": "detect_leaks=0"])
        #expect(r.status == 0, "\(r.stderr.prefix(3000))")
        #expect(!r.stderr.contains("Sanitizer") && !r.stderr.contains("runtime error"), "\(r.stderr.prefix(3000))")
        #expect(try Pcap.readUDP("\(dir)/absent-sanitized-out.pcap").map(\.payload.text) == Self.expected)
    }

    /// The shape of the report: `guard let head = payload.split(separator: 32).first` on an
    /// empty datagram, in a service of one state.
    @Test func theFirstWordOfAnEmptyDatagramIsNil() throws {
        let dir = BuiltServices.directory + "/first-word"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let source = """
            import net

            func main() {
                let device = UdpDevice(port: 9601)
                loop {
                    let datagram = device.receive()
                    guard let head = datagram.payload.split(separator: 32).first else {
                        device.send(datagram.reply("no words"))
                        continue
                    }
                    device.send(datagram.reply(head))
                }
            }
            """
        try source.write(toFile: "\(dir)/first.clv", atomically: true, encoding: .utf8)
        let payloads = ["hello world", "", "  ", "x"]
        let datagrams = payloads.map { UDPDatagram(sourcePort: 6004, destinationPort: 9601, payload: Array($0.utf8)) }
        for build in [[], ["--target", "isolated"]] {
            let r = try replay("\(dir)/first.clv", datagrams, name: "first-word-\(build.count)", build: build)
            #expect(r.status == 0, "\(build): \(r.stderr)")
            #expect(r.replies.map(\.payload.text) == ["hello", "no words", "no words", "x"], "\(build): \(r.stderr)")
        }
    }
}

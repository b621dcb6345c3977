// Examples/http on both hosted targets, with real clients: curl fetches every page and
// compares it with its file, keeps one connection alive across requests and sends HEAD;
// raw request streams (pipelined, split, malformed, oversized) get the same bytes from
// the unikernel, the isolated build and the reference interpreter, with the statuses
// the example's comment promises; wrk runs against each without an error or a non-2xx response.

import CleaveTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct HttpExampleTests {
    static let source = "Examples/http/http.clv"
    static let pages = [
        ("/", "index.html"), ("/index.html", "index.html"), ("/about.html", "about.html"), ("/numbers.html", "numbers.html"),
        ("/style.css", "style.css"), ("/robots.txt", "robots.txt"), ("/favicon.ico", "favicon.ico"),
    ]

    static func start(_ target: String) throws -> ServiceProcess { try BuiltServices.tcpService(source, target: target) }

    static func file(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: Repo.path("Examples/http/pages/\(name)"))))
    }

    /// curl gets every page as its file, over one kept-alive connection, and HEAD's length.
    @Test(arguments: ["unikernel", "isolated"])
    func curlGetsEveryPage(_ target: String) throws {
        let curl = try #require(BuiltServices.tool("curl"), "curl is missing: make deps installs it")
        let service = try Self.start(target)
        let base = "http://127.0.0.1:\(service.port(8080))"
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("http-\(target)-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // One curl, every page: its verbose output says whether it re-used the connection.
        var arguments = ["-sS", "-v"]
        for (k, (path, _)) in Self.pages.enumerated() { arguments += ["-o", "\(dir)/\(k)", base + path] }
        let r = try runProcess(curl, arguments)
        #expect(r.status == 0, "\(r.stderr)")
        for (k, (path, name)) in Self.pages.enumerated() {
            let got = Array((try? Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(k)"))) ?? Data())
            #expect(got == (try Self.file(name)), "\(target): \(path) is not \(name)")
        }
        let reused = r.stderr.components(separatedBy: "Re-using existing connection").count - 1
        #expect(reused == Self.pages.count - 1, "\(target): curl opened new connections:\n\(r.stderr.suffix(2000))")
        // HEAD: the length GET would send, no body.
        let head = try runProcess(curl, ["-sS", "-I", base + "/numbers.html"])
        #expect(head.stdout.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(head.stdout)")
        #expect(head.stdout.contains("Content-Length: \(try Self.file("numbers.html").count)\r\n"), "\(head.stdout)")
        let missing = try runProcess(curl, ["-s", "-o", "/dev/null", "-w", "%{http_code}", base + "/nothing"])
        #expect(missing.stdout == "404")
        let delete = try runProcess(curl, ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "DELETE", base + "/"])
        #expect(delete.stdout == "405")
        let old = try runProcess(curl, ["-sS", "-v", "--http1.0", base + "/style.css", base + "/robots.txt"])
        #expect(old.stdout == String(decoding: try Self.file("style.css") + Self.file("robots.txt"), as: UTF8.self))
        #expect(!old.stderr.contains("Re-using existing connection"), "HTTP/1.0 kept the connection:\n\(old.stderr)")
        let end = service.stop()
        #expect(end.status == 0 && end.stderr.contains("http: connections "), "\(end.stderr)")
    }

    /// Request streams, each on its own connection, read until the service closes it or goes quiet.
    static let streams: [(name: String, bytes: [UInt8], statuses: [String], closes: Bool)] = {
        func b(_ s: String) -> [UInt8] { Array(s.utf8) }
        let get = "GET / HTTP/1.1\r\nHost: example\r\n\r\n"
        return [
            ("keep-alive", b(get + "GET /about.html HTTP/1.1\r\nHost: example\r\n\r\n"), ["200", "200"], false),
            ("pipelined 50", b(String(repeating: get, count: 50)), Array(repeating: "200", count: 50), false),
            ("close asked", b("GET /robots.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" + get), ["200"], true),
            ("http/1.0", b("GET / HTTP/1.0\r\n\r\n" + get), ["200"], true),
            ("http/1.0 keep-alive", b("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" + get), ["200", "200"], false),
            ("head", b("HEAD /numbers.html HTTP/1.1\r\nHost: x\r\n\r\n"), ["200"], false),
            ("404 then 200", b("GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n" + get), ["404", "200"], false),
            ("405", b("POST / HTTP/1.1\r\nHost: x\r\n\r\n" + get), ["405", "200"], false),
            ("no host", b("GET / HTTP/1.1\r\n\r\n" + get), ["400"], true),
            ("bad request line", b("GET /\r\n\r\n" + get), ["400"], true),
            ("bad header", b("GET / HTTP/1.1\r\nHost x\r\n\r\n"), ["400"], true),
            ("version 2", b("GET / HTTP/2.0\r\nHost: x\r\n\r\n"), ["505"], true),
            ("chunked", b("GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), ["501"], true),
            ("large body", b("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 999999\r\n\r\n"), ["413"], true),
            ("head too large", b("GET /" + String(repeating: "a", count: 9000) + " HTTP/1.1\r\nHost: x\r\n\r\n"), ["431"], true),
            ("binary", (0..<300).map { UInt8(($0 * 37) & 0xff) } + b("\r\n\r\n"), ["400"], true),
            ("query and lf", b("GET /?x=1 HTTP/1.1\nHost: x\n\n"), ["200"], false),
        ]
    }()

    /// What the service sends back for `bytes`, sent in pieces of `piece` bytes: the bytes,
    /// and whether it closed the connection.
    static func exchange(_ port: UInt16, _ bytes: [UInt8], piece: Int) throws -> (reply: [UInt8], closed: Bool) {
        let c = try TCPClient(port: port)
        var at = 0
        while at < bytes.count {
            let n = min(piece, bytes.count - at)
            try c.send(Array(bytes[at..<(at + n)]))
            at += n
        }
        // Read until the service closes, or nothing comes for half a second.
        var reply: [UInt8] = []
        while true {
            let (got, ended) = c.receive(timeout: 0.5) { !$0.isEmpty }
            reply += got
            if ended { return (reply, true) }
            if got.isEmpty { return (reply, false) }
        }
    }

    /// The status codes of the responses in `reply`, in order.
    static func statuses(_ reply: [UInt8]) -> [String] {
        let text = String(decoding: reply, as: UTF8.self)
        return text.components(separatedBy: "HTTP/1.1 ").dropFirst().map { String($0.prefix(3)) }
            .filter { $0.allSatisfy(\.isNumber) }
    }

    @Test func targetsAnswerEveryStreamAlike() throws {
        var replies: [String: [[UInt8]]] = [:]
        let targets = ["unikernel", "isolated", "interpreter"]
        for target in targets {
            let service = try Self.start(target)
            let port = service.port(8080)
            for (name, bytes, statuses, closes) in Self.streams {
                // Whole, and in pieces of 7 bytes: the same reply either way.
                let whole = try Self.exchange(port, bytes, piece: bytes.count)
                let pieces = try Self.exchange(port, bytes, piece: 7)
                #expect(whole.reply == pieces.reply, "\(target) \(name): a request in pieces is answered otherwise")
                #expect(Self.statuses(whole.reply) == statuses, "\(target) \(name): \(Self.statuses(whole.reply))")
                #expect(whole.closed == closes, "\(target) \(name): closed \(whole.closed)")
                replies[target, default: []].append(whole.reply)
            }
            let end = service.stop()
            #expect(end.status == 0, "\(target):\n\(end.stderr)")
            #expect(!end.stderr.contains("fatal error"), "\(end.stderr)")
        }
        for (k, s) in Self.streams.enumerated() {
            for target in targets.dropFirst() {
                #expect(replies["unikernel"]?[k] == replies[target]?[k], "\(s.name): \(target) answered otherwise than unikernel")
            }
        }
    }

    /// wrk: many kept-alive connections, every response a 2xx, no socket error.
    @Test(arguments: ["unikernel", "isolated"])
    func wrkMeetsNoError(_ target: String) throws {
        let wrk = try #require(BuiltServices.tool("wrk"), "wrk is missing: make deps installs it")
        let service = try Self.start(target)
        let url = "http://127.0.0.1:\(service.port(8080))/numbers.html"
        let r = try runProcess(wrk, ["-t1", "-c32", "-d1s", url])
        let end = service.stop()
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("requests in"), "\(r.stdout)")
        #expect(!r.stdout.contains("Non-2xx") && !r.stdout.contains("Socket errors"), "\(r.stdout)")
        #expect(end.status == 0 && !end.stderr.contains("fatal error"), "\(end.stderr)")
    }
}

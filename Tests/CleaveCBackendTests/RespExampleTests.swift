// Examples/resp-kv on both hosted targets and the reference interpreter, with real clients:
// scripts/resp/compare.py sends every case (commands, inline commands, errors, malformed
// input, pipelined batches, streams split at every byte) to it and to redis-server and
// compares the replies byte for byte; redis-cli and redis-benchmark work against it.

import CleaveTestSupport
import Foundation
import Testing

@Suite struct RespExampleTests {
    static let source = "Examples/resp-kv/resp-kv.clv"

    static func start(_ target: String) throws -> ServiceProcess { try BuiltServices.tcpService(source, target: target) }

    /// Every case answered as redis-server answers it (compare.py starts its own redis-server).
    @Test(arguments: ["unikernel", "isolated", "interpreter"])
    func answersLikeRedis(_ target: String) throws {
        try #require(BuiltServices.tool("redis-server") != nil, "redis-server is missing: make deps installs it")
        let service = try Self.start(target)
        let r = try runProcess(
            "/usr/bin/python3", [Repo.path("scripts/resp/compare.py"), "--server", "127.0.0.1:\(service.port(6379))"])
        let end = service.stop()
        let summary = r.stdout.split(separator: "\n").last.map(String.init) ?? ""
        let numbers = summary.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        #expect(r.status == 0 && summary.hasPrefix("compare: "), "\(target):\n\(r.stdout.suffix(4000))\n\(r.stderr)")
        #expect(numbers.count == 2 && numbers[0] == numbers[1] && numbers[0] >= 50, "\(target): \(summary)")
        #expect(end.status == 0 && end.stderr.contains("resp-kv: connections "), "\(target):\n\(end.stderr)")
        #expect(!end.stderr.contains("fatal error"), "\(end.stderr)")
    }

    /// redis-cli: a session of commands, as a user types them.
    @Test(arguments: ["unikernel", "isolated"])
    func redisCliWorks(_ target: String) throws {
        let cli = try #require(BuiltServices.tool("redis-cli"), "redis-cli is missing: make deps installs it")
        let service = try Self.start(target)
        let port = "\(service.port(6379))"
        func ask(_ words: [String]) throws -> String {
            let r = try runProcess(cli, ["-p", port] + words)
            return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        #expect(try ask(["PING"]) == "PONG")
        #expect(try ask(["SET", "greeting", "hello world"]) == "OK")
        #expect(try ask(["GET", "greeting"]) == "hello world")
        #expect(try ask(["INCR", "visits"]) == "1")
        #expect(try ask(["INCR", "visits"]) == "2")
        #expect(try ask(["INCR", "greeting"]) == "ERR value is not an integer or out of range")
        #expect(try ask(["DEL", "greeting", "visits", "nothing"]) == "2")
        #expect(try ask(["GET", "greeting"]) == "")
        let end = service.stop()
        #expect(end.status == 0, "\(end.stderr)")
    }

    /// redis-benchmark: GET and SET, pipelined and not, every request answered.
    @Test(arguments: ["unikernel", "isolated"])
    func redisBenchmarkRuns(_ target: String) throws {
        let bench = try #require(BuiltServices.tool("redis-benchmark"), "redis-benchmark is missing: make deps installs it")
        let service = try Self.start(target)
        for pipeline in ["1", "16"] {
            let r = try runProcess(
                bench, ["-p", "\(service.port(6379))", "-t", "set,get", "-n", "20000", "-c", "20", "-P", pipeline, "-q", "--csv"])
            #expect(r.status == 0, "\(target) -P \(pipeline): \(r.stdout)\(r.stderr)")
            let rows = r.stdout.split(separator: "\n").filter { $0.hasPrefix("\"SET\"") || $0.hasPrefix("\"GET\"") }
            #expect(rows.count == 2, "\(target) -P \(pipeline): \(r.stdout)")
        }
        let end = service.stop()
        #expect(end.status == 0 && !end.stderr.contains("fatal error"), "\(end.stderr)")
        #expect(end.stderr.contains("(refused 0, reset 0)"), "\(end.stderr)")
    }
}

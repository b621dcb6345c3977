// Every example built with `cleave build`, started, and asked over real UDP
// on 127.0.0.1; the replies are checked against what the service must answer
// (computed here, or by Python's exact integers for facfib).

import CleaveTestSupport
import Foundation
import Testing

/// Start an example on free ports, run `body` with a client, stop it cleanly.
func withService(
    _ source: String, ports: Int = 1, _ body: (ServiceProcess, UDPClient) throws -> Void
) throws {
    let exe = try BuiltServices.executable(source)
    let spec = "udp:" + Array(repeating: "0", count: ports).joined(separator: ",")
    let service = try ServiceProcess(exe, ["--netif", spec], portCount: ports)
    let client = try UDPClient()
    var stopped = false
    defer { if !stopped { _ = service.stop() } }
    try body(service, client)
    let end = service.stop()
    stopped = true
    #expect(end.status == 0, "the service did not end cleanly: \(end.stderr)")
    #expect(!end.signaled)
}

@Suite struct ExampleServiceTests {
    @Test func echoAnswersWithThePayload() throws {
        try withService("Examples/echo/echo.clv") { s, c throws in
            let port = s.port(8080)
            for payload in ["hello".bytes, [], [UInt8](repeating: 7, count: 1)] {
                #expect(try c.request(payload, to: port) == payload)
            }
            // Seed 002's test: the first 60000 digits of pi, far larger than one Ethernet frame.
            var rng = SplitMix64(state: 3)
            let digits = (0..<60_000).map { _ in UInt8(48 + rng.below(10)) }
            #expect(try c.request(digits, to: port) == digits)
            let largest = [UInt8](repeating: 0x5a, count: 65_507)
            #expect(try c.request(largest, to: port) == largest)
        }
    }

    @Test func kvStoresAndLooksUp() throws {
        try withService("Examples/kv/kv.clv") { s, c throws in
            let port = s.port(7000)
            func ask(_ r: String) throws -> String? { try c.request(r.bytes, to: port)?.text }
            #expect(try ask("GET greeting") == "NOT_FOUND")
            #expect(try ask("SET greeting hello world") == "STORED")
            #expect(try ask("GET greeting") == "hello world")
            #expect(try ask("SET greeting bye") == "STORED")
            #expect(try ask("GET greeting") == "bye")
            #expect(try ask("DELETE greeting") == "ERROR")
            #expect(try ask("GET") == "ERROR")
            #expect(try ask("") == "ERROR")
            // Like Swift's split: empty pieces are dropped, the value keeps the rest.
            #expect(try ask("SET  spaced   a  b ") == "STORED")
            #expect(try ask("GET spaced") == "  a  b ")
            // A model of the store, over many keys.
            var model: [String: String] = [:]
            var rng = SplitMix64(state: 11)
            for i in 0..<2000 {
                let key = "k\(rng.below(100))"
                if rng.chance(50) {
                    let value = "v\(i)-\(String(repeating: "x", count: rng.below(50)))"
                    model[key] = value
                    #expect(try ask("SET \(key) \(value)") == "STORED")
                } else {
                    #expect(try ask("GET \(key)") == model[key] ?? "NOT_FOUND")
                }
            }
        }
    }

    @Test func facfibIsExact() throws {
        try withService("Examples/facfib/facfib.clv", ports: 2) { s, c throws in
            let (fac, fib) = (s.port(8080), s.port(8081))
            func ask(_ r: String, _ port: UInt16) throws -> String? { try c.request(r.bytes, to: port, timeout: 30)?.text }
            #expect(try ask("20", fac) == "2432902008176640000")
            #expect(try ask("100\n", fib) == "354224848179261915075")
            #expect(try ask("0", fac) == "1")
            #expect(try ask("0", fib) == "0")
            #expect(try ask("200", fac) == python("math.factorial(200)"))
            #expect(
                try ask("2000", fib) == python("__import__('functools').reduce(lambda p, _: (p[1], p[0] + p[1]), range(2000), (0, 1))[0]"))
            #expect(try ask("10000", fac) == python("math.factorial(10000)"))
            for bad in ["-1", "10001", "abc", "", "1 2", "99999999999999999999999"] {
                #expect(try ask(bad, fac) == "invalid input")
            }
        }
    }

    @Test func sortSorts() throws {
        try withService("Examples/sort/sort.clv") { s, c throws in
            let port = s.port(8080)
            func ask(_ r: String) throws -> String? { try c.request(r.bytes, to: port)?.text }
            #expect(try ask("2 7 1 8 2 8\n") == "1 2 2 7 8 8")
            #expect(try ask("3 -1 2") == "-1 2 3")
            #expect(try ask("") == "")
            #expect(try ask("1 x 2") == "invalid input")
            #expect(try ask("9223372036854775807 -9223372036854775808") == "-9223372036854775808 9223372036854775807")
            var rng = SplitMix64(state: 5)
            for size in [1, 2, 3, 10, 1000, 5000] {
                let xs = (0..<size).map { _ in rng.below(2_000_001) - 1_000_000 }
                let request = xs.map(String.init).joined(separator: " ")
                #expect(try ask(request) == xs.sorted().map(String.init).joined(separator: " "))
            }
        }
    }

    @Test func montecarloApproachesPi() throws {
        try withService("Examples/montecarlo/montecarlo.clv") { s, c throws in
            let port = s.port(8080)
            func ask(_ r: String) throws -> String? { try c.request(r.bytes, to: port, timeout: 30)?.text }
            #expect(try ask("1") == "4.0")  // the point (0, 0) is inside
            let estimate = try #require(try ask("1000000"))
            let value = try #require(Double(estimate))
            #expect(abs(value - Double.pi) < 0.001, "\(estimate)")
            #expect(try ask("1000000") == estimate)  // deterministic
            #expect(try ask("0") == "invalid input")
            #expect(try ask("10000001") == "invalid input")
        }
    }
}

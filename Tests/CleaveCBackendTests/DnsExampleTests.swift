// The DNS example (Examples/dns) held against NSD, the authoritative server people run:
// NSD serves the same zone on loopback and scripts/dns/compare.py asks both the same 560
// queries (every type, existing and missing names, wildcards, CNAME chains and loops, the
// delegation, names outside the zone, 0x20 case, EDNS0 sizes and versions, flags, classes,
// opcodes, large RRsets and malformed packets), comparing rcode, flags, every section and the
// OPT record. The unikernel, the isolated build, the image and the reference interpreter
// must all agree with NSD on every query.
//
// Also here: the zone is a file embedded at build time (`embed`), so a rebuild with another
// zone serves that zone, and a mistake in it stops the build with the zone file's line;
// fuzzed queries never stop the service and its memory stays flat.

import CleaveDriver
import CleaveTestSupport
import Foundation
import Testing

/// DNS messages for the tests: a query, and the addresses of a reply's answer section.
enum DNSWire {
    static func name(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        for label in text.split(separator: ".") {
            out.append(UInt8(label.utf8.count))
            out += Array(label.utf8)
        }
        return out + [0]
    }

    static func query(_ name: String, type: UInt16 = 1, id: UInt16 = 0x2a2a) -> [UInt8] {
        [UInt8(id >> 8), UInt8(id & 0xff), 0, 0, 0, 1, 0, 0, 0, 0, 0, 0] + self.name(name)
            + [UInt8(type >> 8), UInt8(type & 0xff), 0, 1]
    }

    /// The end of the (possibly compressed) name at `at`.
    static func skipName(_ m: [UInt8], _ at: Int) -> Int? {
        var i = at
        while i < m.count {
            if m[i] == 0 { return i + 1 }
            if m[i] & 0xc0 == 0xc0 { return i + 2 }
            i += Int(m[i]) + 1
        }
        return nil
    }

    /// The rcode and the IPv4 addresses of the answer section's A records.
    static func addresses(_ reply: [UInt8]) -> (rcode: Int, addresses: [String])? {
        guard reply.count >= 12 else { return nil }
        let answers = Int(reply[6]) << 8 | Int(reply[7])
        guard var at = skipName(reply, 12) else { return nil }
        at += 4
        var out: [String] = []
        for _ in 0..<answers {
            guard let end = skipName(reply, at), end + 10 <= reply.count else { return nil }
            let type = Int(reply[end]) << 8 | Int(reply[end + 1])
            let length = Int(reply[end + 8]) << 8 | Int(reply[end + 9])
            guard end + 10 + length <= reply.count else { return nil }
            if type == 1 && length == 4 { out.append(reply[(end + 10)..<(end + 14)].map(String.init).joined(separator: ".")) }
            at = end + 10 + length
        }
        return (Int(reply[3] & 0x0f), out)
    }
}

@Suite struct DnsExampleTests {
    static let source = "Examples/dns/dns.clv"
    static let zone = Repo.path("Examples/dns/example.zone")

    /// Why NSD cannot be asked here, if it cannot (make deps installs nsd and python3-dnspython).
    static var referenceMissing: String? {
        if (try? runProcess("/usr/bin/env", ["nsd", "-v"]))?.status != 0 { return "nsd is missing: make deps installs it" }
        if (try? runProcess("/usr/bin/python3", ["-c", "import dns.message"]))?.status != 0 {
            return "python3-dnspython is missing: make deps installs it"
        }
        return nil
    }

    /// compare.py's report on the server at `port` against NSD on the same zone: nil when every
    /// query agrees.
    static func disagreement(port: UInt16) throws -> String? {
        let r = try runProcess(
            "/usr/bin/python3", [Repo.path("scripts/dns/compare.py"), "--server", "127.0.0.1:\(port)", "--zone", zone])
        let summary = r.stdout.split(separator: "\n").last.map(String.init) ?? ""
        guard r.status == 0, summary.hasPrefix("compare: ") else { return r.stdout + r.stderr }
        // Every query answered alike: "compare: 560 queries, 560 agree".
        let numbers = summary.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        return numbers.count == 2 && numbers[0] == numbers[1] && numbers[0] >= 500 ? nil : r.stdout
    }

    @Test(arguments: ["unikernel", "isolated"])
    func answersLikeNSD(_ target: String) throws {
        try #require(Self.referenceMissing == nil, Comment(rawValue: Self.referenceMissing ?? ""))
        let exe = try BuiltServices.runnable(Self.source, arguments: ["--target", target])
        let service = try ServiceProcess(exe, ["--netif", "udp:0"])
        let report = try Self.disagreement(port: service.port(5300))
        let end = service.stop()
        #expect(report == nil, "the \(target) build answers otherwise than NSD:\n\(report ?? "")")
        #expect(end.status == 0, "it did not end cleanly:\n\(end.stderr)")
        #expect(end.stderr.contains("dns: received "), "no counters at the end:\n\(end.stderr)")
        #expect(!end.stderr.contains("fatal error") && !end.stderr.contains("killed"), "\(end.stderr)")
    }

    @Test func imageAnswersLikeNSD() throws {
        try #require(Self.referenceMissing == nil, Comment(rawValue: Self.referenceMissing ?? ""))
        try #require(!Images.qemuMissing, Comment(rawValue: "qemu-system-x86_64 is missing: make deps installs it"))
        let image = try ImageProcess(image: try Images.built(Self.source), ports: [5300])
        let report = try Self.disagreement(port: image.port(5300))
        let end = image.stop()
        #expect(report == nil, "the image answers otherwise than NSD:\n\(report ?? "")")
        #expect(end.status == 0, "the image did not end cleanly:\n\(end.console)")
        #expect(end.console.contains("dns: received "), "no counters at the end:\n\(end.console)")
    }

    /// The reference interpreter reads the same embedded zone and gives the same answers.
    @Test func interpreterAnswersLikeNSD() throws {
        try #require(Self.referenceMissing == nil, Comment(rawValue: Self.referenceMissing ?? ""))
        let service = try ServiceProcess(
            Repo.cleaveBinary, ["run", "--interpret", Repo.path(Self.source), "--", "--netif", "udp:0"])
        let report = try Self.disagreement(port: service.port(5300))
        let end = service.stop()
        #expect(report == nil, "the interpreter answers otherwise than NSD:\n\(report ?? "")")
        #expect(end.status == 0, "it did not end cleanly:\n\(end.stderr)")
    }

    /// A copy of the example beside a zone of our own: the directory.
    static func exampleWith(zone text: String, in name: String) throws -> String {
        let dir = Scratch.path("dns-\(name)")
        try FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Repo.path(source), toPath: dir + "/dns.clv")
        try text.write(toFile: dir + "/example.zone", atomically: true, encoding: .utf8)
        return dir
    }

    static let smallZone = """
        $ORIGIN example.org.
        $TTL 60
        @    SOA ns hostmaster 1 3600 600 86400 60
             NS  ns
        ns   A   198.51.100.53
        host A   198.51.100.80

        """

    /// The answer to `name A` from the service built from `dir`.
    static func ask(_ dir: String, _ name: String) throws -> (rcode: Int, addresses: [String])? {
        let exe = dir + "/dns"
        let built = try runProcess(Repo.cleaveBinary, ["build", dir + "/dns.clv", "-o", exe])
        try #require(built.status == 0, "cleave build failed:\n\(built.stderr)")
        let service = try ServiceProcess(exe, ["--netif", "udp:0"])
        defer { _ = service.stop() }
        let reply = try UDPClient().request(DNSWire.query(name), to: service.port(5300))
        return reply.flatMap(DNSWire.addresses)
    }

    /// Another zone beside the source, and a rebuild serves it; change the file, rebuild, and the
    /// service serves the change: the build reads the embedded file every time.
    @Test func servesTheZoneItWasBuiltWith() throws {
        let dir = try Self.exampleWith(zone: Self.smallZone, in: "rebuild")
        let first = try Self.ask(dir, "host.example.org")
        #expect(first?.rcode == 0 && first?.addresses == ["198.51.100.80"], "\(String(describing: first))")
        let outside = try Self.ask(dir, "host.example.com")
        #expect(outside?.rcode == 5, "example.com is not this zone: REFUSED, not \(String(describing: outside))")

        let changed =
            Self.smallZone.replacingOccurrences(of: "198.51.100.80", with: "203.0.113.7")
            + "added A 203.0.113.8\n"
        try changed.write(toFile: dir + "/example.zone", atomically: true, encoding: .utf8)
        let second = try Self.ask(dir, "host.example.org")
        #expect(second?.addresses == ["203.0.113.7"], "the rebuild kept the old zone: \(String(describing: second))")
        let added = try Self.ask(dir, "added.example.org")
        #expect(added?.rcode == 0 && added?.addresses == ["203.0.113.8"], "\(String(describing: added))")
    }

    /// A mistake in the zone stops `cleave build`, saying the zone file's line and what is wrong.
    @Test(arguments: [
        ("host A 198.51.100.256", 7, "'198.51.100.256' is not an IPv4 address"),
        ("host AAAA 2001:db8::1::2", 7, "'2001:db8::1::2' is not an IPv6 address"),
        ("host SPF \"v=spf1\"", 7, "record type 'SPF' is not supported (SOA, NS, A, AAAA, CNAME, MX and TXT are)"),
        ("host FOO 1", 7, "'FOO' is not a TTL, a class or a record type"),
        ("www CNAME host\nwww A 198.51.100.1", 7, "'www.example.org.' has a CNAME and other records"),
        ("other.example.net. A 198.51.100.1", 7, "'other.example.net.' is outside the zone 'example.org.'"),
        ("x TXT ( \"unclosed\"", 7, "'(' is never closed"),
        ("x TXT \"no end", 7, "a quoted string does not end on its line"),
        ("$INCLUDE other.zone", 7, "$INCLUDE is not supported: an embedded zone is one file"),
        ("x MX 70000 host", 7, "'70000' is not a preference (0 to 65535)"),
        ("x CH TXT \"chaos\"", 7, "class CH is not served: only IN"),
        ("a..b A 198.51.100.1", 7, "'a..b' is not a domain name"),
        ("x TXT \"a\" \\\n\"b\"\nbad A 198.51.100.256", 9, "'198.51.100.256' is not an IPv4 address"),
    ])
    func zoneMistakeStopsTheBuild(_ line: String, _ number: Int, _ message: String) throws {
        let dir = try Self.exampleWith(zone: Self.smallZone + line + "\n", in: "mistake-\(abs(line.hashValue))")
        let r = try runProcess(Repo.cleaveBinary, ["build", dir + "/dns.clv", "-o", dir + "/dns"])
        #expect(r.status == 1, "the build did not fail:\n\(r.stderr)")
        #expect(
            r.stderr.contains("error: global constant 'zone' cannot be computed: example.zone:\(number): \(message) [global-traps]"),
            "\(r.stderr)")
        #expect(r.stderr.contains("note: it stops here when computed at build time"), "\(r.stderr)")
    }

    /// The root zone: every name is in it; a delegated TLD is a referral, a missing one NXDOMAIN.
    @Test func servesTheRootZone() throws {
        let root = """
            $TTL 86400
            .    SOA a.root-servers.net. nstld.verisign-grs.com. 1 1800 900 604800 86400
            .    NS  a.root-servers.net.
            com. NS  a.gtld-servers.net.
            a.root-servers.net. A 198.41.0.4

            """
        let dir = try Self.exampleWith(zone: root, in: "root")
        let server = try Self.ask(dir, "a.root-servers.net")
        #expect(server?.rcode == 0 && server?.addresses == ["198.41.0.4"], "\(String(describing: server))")
        let referral = try Self.ask(dir, "example.com")
        #expect(referral?.rcode == 0 && referral?.addresses == [], "\(String(describing: referral))")
        let missing = try Self.ask(dir, "nothing")
        #expect(missing?.rcode == 3, "\(String(describing: missing))")
    }

    @Test func zoneWithoutSOAStopsTheBuild() throws {
        let dir = try Self.exampleWith(zone: "$ORIGIN example.org.\n$TTL 60\nhost A 198.51.100.1\n", in: "nosoa")
        let r = try runProcess(Repo.cleaveBinary, ["check", dir + "/dns.clv"])
        #expect(r.status == 1 && r.stderr.contains("example.zone:1: the zone has no SOA record"), "\(r.stderr)")
    }

    /// A missing zone file is an error at the `embed` call.
    @Test func missingZoneFile() throws {
        let dir = try Self.exampleWith(zone: Self.smallZone, in: "nozone")
        try FileManager.default.removeItem(atPath: dir + "/example.zone")
        let r = try runProcess(Repo.cleaveBinary, ["check", dir + "/dns.clv"])
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stderr.contains("dns.clv:34:27: error: no such file to embed: 'example.zone' [embed-missing]"), "\(r.stderr)")
    }

    /// 150,000 queries, most of them mutated (bytes flipped, cut, extended, counts and flags
    /// changed): the service answers or drops each without stopping, its resident memory at the
    /// end is within 10% of what it was before them, and it still answers right. Before them,
    /// 10,000 names never asked before fill its reply cache (4,096 replies) twice over, so that
    /// what is compared is a service at its largest.
    @Test func fuzzedQueriesNeitherStopItNorGrowIt() throws {
        let exe = try BuiltServices.executable(Self.source)
        let service = try ServiceProcess(exe, ["--netif", "udp:0"])
        let port = service.port(5300)
        let client = try UDPClient()
        var rng = SplitMix64(state: 53)
        let names = ["www.example.com", "x.wild.example.com", "nothing.example.com", "host.sub.example.com", "example.com"]
        let types: [UInt16] = [1, 2, 5, 6, 15, 16, 28, 255, 43]
        for i in 0..<10_000 {
            try client.send(DNSWire.query("n\(i).example.com", id: UInt16(i)), to: port)
            if i % 64 == 63 { while try client.receive(timeout: 0.002) != nil {} }
        }
        while try client.receive(timeout: 0.2) != nil {}
        let early = try residentKilobytes(service.pid)
        for i in 0..<150_000 {
            var q = DNSWire.query(names[rng.below(names.count)], type: types[rng.below(types.count)], id: UInt16(i & 0xffff))
            switch rng.below(6) {
            case 0: break
            case 1: for _ in 0..<(1 + rng.below(4)) { q[rng.below(q.count)] = UInt8(rng.below(256)) }
            case 2: q = Array(q.prefix(rng.below(q.count)))
            case 3: q += (0..<rng.below(64)).map { _ in UInt8(rng.below(256)) }
            case 4: q[4 + 2 * rng.below(4)] = UInt8(rng.below(256)); q[5 + 2 * rng.below(4)] = UInt8(rng.below(256))
            default: q[2] = UInt8(rng.below(256)); q[3] = UInt8(rng.below(256))
            }
            try client.send(q, to: port)
            // Replies are read now and then so that the socket's buffer never fills.
            if i % 64 == 63 { while try client.receive(timeout: 0.002) != nil {} }
        }
        while try client.receive(timeout: 0.2) != nil {}
        let late = try residentKilobytes(service.pid)
        let check = try client.request(DNSWire.query("host.example.com"), to: port).flatMap(DNSWire.addresses)
        let end = service.stop()
        #expect(check?.addresses == ["192.0.2.80", "192.0.2.81"], "after the fuzzing: \(String(describing: check))")
        #expect(Double(late) <= Double(early) * 1.10, "resident memory grew from \(early) kB to \(late) kB")
        #expect(end.status == 0 && end.stderr.contains("dns: received "), "\(end.stderr)")
    }
}

// The image target, booted for real: every example built with `--target image`, booted in QEMU
// (microvm and q35, under TCG, which every machine has; under KVM too where it runs images), and
// asked the same requests over QEMU's user network as its hosted unikernel build over the
// kernel's sockets. The replies must be the same bytes; a trap must say the same .clv line and
// end with the same status; a bad start, and a program the image cannot serve, must say why.

import CleaveDriver
import CleaveTestSupport
import Foundation
import Testing

/// A booted image: QEMU, its serial console read as it comes, keys sent to it.
final class ImageProcess: @unchecked Sendable {
    let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private let lock = NSLock()
    private var text = ""
    /// The host port forwarded to each of the image's UDP ports.
    let hostPorts: [Int: UInt16]

    init(
        image: String, machine: ImageRunOptions.Machine = .microvm, accelerator: ImageRunOptions.Accelerator = .tcg,
        ports: [Int], arguments: [String] = [], ready: String? = "Cleave's stack on", gdbPort: Int? = nil
    ) throws {
        var options = ImageRunOptions()
        options.machine = machine
        options.accelerator = accelerator
        options.forwardedPorts = ports
        var chosen: [Int: UInt16] = [:]
        for p in ports { chosen[p] = try freeUDPPort() }
        options.hostPorts = chosen.mapValues(Int.init)
        options.serviceArguments = arguments
        if let gdbPort {
            options.gdb = true
            options.gdbPort = gdbPort
        }
        hostPorts = chosen
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [options.qemu] + ImageRun.qemuArguments(image: image, options)
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        output.fileHandleForReading.readabilityHandler = { [weak self] h in
            let data = h.availableData
            guard let self, !data.isEmpty else { return }
            self.lock.lock()
            self.text += String(decoding: data, as: UTF8.self)
            self.lock.unlock()
        }
        try process.run()
        if let ready {
            let deadline = Date().addingTimeInterval(60)
            while !console.contains(ready) && process.isRunning && Date() < deadline { usleep(10_000) }
            guard console.contains(ready) else {
                let said = console
                stop()
                throw BuildFailure(description: "the image did not say '\(ready)'; its console:\n\(said)")
            }
        }
    }

    deinit { if process.isRunning { process.terminate() } }

    var console: String {
        lock.lock()
        defer { lock.unlock() }
        return text
    }

    func port(_ p: Int) -> UInt16 { hostPorts[p] ?? 0 }

    /// A key typed at the serial console (0x03 stops the service, 0x1c says its counters and memory).
    func key(_ byte: UInt8) { input.fileHandleForWriting.write(Data([byte])) }

    /// Wait until the console has said `text` (up to `timeout` seconds).
    func wait(for text: String, timeout: Double = 30) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while !console.contains(text) && Date() < deadline { usleep(10_000) }
        return console.contains(text)
    }

    /// Wait for QEMU to end (killing it after `timeout` seconds): the service's status as
    /// `cleave run` gives it (nil: QEMU ended by itself, not through the image) and the console.
    @discardableResult
    func end(timeout: Double = 30) -> (status: Int32?, console: String) {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            return (nil, console)
        }
        usleep(50_000)  // the last of the console
        return (ImageRun.serviceStatus(fromQemu: process.terminationStatus), console)
    }

    /// Ctrl-C at the console: the service stops cleanly.
    @discardableResult
    func stop() -> (status: Int32?, console: String) {
        if process.isRunning { key(0x03) }
        return end()
    }
}

/// A UDP port nothing on 127.0.0.1 uses now: the one a client's socket was given, closed again.
func freeUDPPort() throws -> UInt16 { try UDPClient().localPort }

enum Images {
    /// The image of `source`, built once per test run.
    static func built(_ source: String, extra: [String] = []) throws -> String {
        try BuiltServices.executable(source, tag: "image", arguments: ["--target", "image"] + extra)
    }

    /// Whether QEMU is here at all (make deps installs it).
    static var qemuMissing: Bool {
        (try? runProcess("/usr/bin/env", ["qemu-system-x86_64", "--version"]))?.status != 0
    }

    /// The requests each example is asked, on each of its ports.
    static func requests(_ example: String) -> [(port: Int, payload: [UInt8])] {
        var rng = SplitMix64(state: 17)
        switch example {
        case "echo":
            return [
                "hello".bytes, [], [0], [UInt8](repeating: 0x61, count: 1472), [UInt8](repeating: 0x62, count: 4000),
                (0..<20_000).map { _ in UInt8(rng.below(256)) },
            ].map { (8080, $0) }
        case "kv":
            var out = ["GET a", "SET a 1", "GET a", "SET a two words", "GET a", "BOGUS", "", "SET  b  c "].map { (7000, $0.bytes) }
            for i in 0..<200 { out.append((7000, (rng.chance(50) ? "SET k\(i % 37) v\(i)" : "GET k\(i % 41)").bytes)) }
            out.append((7000, "SET big ".bytes + [UInt8](repeating: 0x7a, count: 6000)))
            out.append((7000, "GET big".bytes))
            return out
        case "facfib":
            return ["20", "0", "200", "2000", "-1", "abc", ""].map { (8080, $0.bytes) }
                + ["100\n", "0", "300", "x"].map { (8081, $0.bytes) }
        case "sort":
            var out = ["2 7 1 8 2 8\n", "3 -1 2", "", "1 x 2"].map { (8080, $0.bytes) }
            for size in [1, 10, 300] {
                out.append((8080, (0..<size).map { _ in String(rng.below(2_000_001) - 1_000_000) }.joined(separator: " ").bytes))
            }
            return out
        case "montecarlo":
            return ["1", "1000", "20000", "0", "10000001", "x"].map { (8080, $0.bytes) }
        default:
            return []
        }
    }

    static func ports(_ requests: [(port: Int, payload: [UInt8])]) -> [Int] { Array(Set(requests.map(\.port))).sorted() }

    /// Ask `requests` one at a time; the replies (nil: none within the timeout).
    static func ask(_ requests: [(port: Int, payload: [UInt8])], port: (Int) -> UInt16) throws -> [[UInt8]?] {
        let client = try UDPClient()
        return try requests.enumerated().map { i, r in
            // The first request may meet a stack that is still learning the gateway's address.
            var reply = try client.request(r.payload, to: port(r.port), timeout: 10)
            if reply == nil && i == 0 { reply = try client.request(r.payload, to: port(r.port), timeout: 10) }
            return reply
        }
    }

    /// The console without the lines only an image says (its link) or that differ by how frames
    /// and datagrams are counted (the counters).
    static func programLines(_ text: String, name: String) -> [String] {
        text.replacingOccurrences(of: "\r", with: "").split(separator: "\n").map(String.init).filter {
            !$0.hasPrefix("\(name): Cleave's stack on ") && !$0.hasPrefix("\(name): received ")
                && !$0.hasPrefix("\(name): listening on UDP port ") && !$0.hasPrefix("qemu-system-x86_64: warning:")
        }
    }
}

@Suite(.serialized) struct ImageTests {
    /// Every example answers from its image exactly as from its hosted build, on microvm
    /// (virtio-mmio) and on q35 (virtio-net-pci, through SeaBIOS).
    @Test(arguments: ["echo", "kv", "facfib", "sort", "montecarlo"], [ImageRunOptions.Machine.microvm, .q35])
    func exampleAnswersAsHosted(_ example: String, on machine: ImageRunOptions.Machine) throws {
        try #require(!Images.qemuMissing, Comment(rawValue: "qemu-system-x86_64 is missing: make deps installs it"))
        let source = "Examples/\(example)/\(example).clv"
        let requests = Images.requests(example)
        let ports = Images.ports(requests)
        let hostedExe = try BuiltServices.executable(source)
        let hosted = try ServiceProcess(
            hostedExe, ["--netif", "udp:" + ports.map { _ in "0" }.joined(separator: ",")], portCount: ports.count)
        let expected = try Images.ask(requests) { hosted.port($0) }
        let hostedEnd = hosted.stop()
        #expect(expected.allSatisfy { $0 != nil }, "the hosted build left a request unanswered")

        let image = try ImageProcess(image: try Images.built(source), machine: machine, ports: ports)
        let got = try Images.ask(requests) { image.port($0) }
        let end = image.stop()
        for (i, (e, g)) in zip(expected, got).enumerated() where e != g {
            let asked = Array(requests[i].payload.prefix(40)).text
            Issue.record(
                "\(example): request \(i) (\(asked)) answered differently: hosted \(e?.count ?? -1) bytes, image \(g?.count ?? -1) bytes")
        }
        #expect(end.status == 0, "the image did not end cleanly:\n\(end.console)")
        #expect(end.console.contains("\(example): received "), "no counters at the end:\n\(end.console)")
        for p in ports {
            #expect(end.console.contains("\(example): listening on UDP port \(p)\n"), "port \(p) not announced:\n\(end.console)")
        }
        #expect(
            Images.programLines(end.console, name: example) == Images.programLines(hostedEnd.stderr, name: example),
            "the console says other things than the hosted build's standard error:\n\(end.console)\n---\n\(hostedEnd.stderr)")
    }

    /// Under KVM, where KVM runs images here (cleave run's probe says); otherwise the test says why not.
    @Test func kvUnderKVMWhereItRuns() throws {
        try #require(!Images.qemuMissing, Comment(rawValue: "qemu-system-x86_64 is missing: make deps installs it"))
        let path = try Images.built("Examples/kv/kv.clv")
        if let problem = ImageRun.kvmProblem(image: path, environment: ProcessInfo.processInfo.environment) {
            print("ImageTests: no KVM run here: \(problem)")
            return
        }
        let image = try ImageProcess(image: path, accelerator: .kvm, ports: [7000])
        let got = try Images.ask([(7000, "SET a b".bytes), (7000, "GET a".bytes)]) { image.port($0) }
        #expect(got == ["STORED".bytes, "b".bytes])
        #expect(image.stop().status == 0)
    }

    /// A trap ends the image as it ends the hosted build: the same line, naming the .clv
    /// file:line:col, and status 1 (QEMU's 35, through isa-debug-exit).
    @Test func trapEndsAlike() throws {
        try #require(!Images.qemuMissing, Comment(rawValue: "qemu-system-x86_64 is missing: make deps installs it"))
        let dir = Scratch.path("image-trap")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let source = dir + "/picky.clv"
        try """
        import net

        func main() {
            let device = UdpDevice(port: 7300)
            let names = ["zero", "one", "two"]
            loop {
                let datagram = device.receive()
                device.send(datagram.reply(Bytes(names[datagram.payload.count])))
            }
        }

        """.write(toFile: source, atomically: true, encoding: .utf8)
        let hosted = try ServiceProcess(try BuiltServices.executable(source), ["--netif", "udp:0"])
        let client = try UDPClient()
        #expect(try client.request("a".bytes, to: hosted.port(7300)) == "one".bytes)
        try client.send("abcd".bytes, to: hosted.port(7300))
        let hostedEnd = try #require(hosted.waitForExit(timeout: 30))
        #expect(hostedEnd.status == 1)
        let trapLine = try #require(hostedEnd.stderr.split(separator: "\n").first { $0.contains("fatal error") })
        #expect(trapLine.contains("picky.clv:8:"))

        let image = try ImageProcess(image: try Images.built(source), ports: [7300])
        #expect(try Images.ask([(7300, "a".bytes)]) { image.port($0) } == ["one".bytes])
        try client.send("abcd".bytes, to: image.port(7300))
        let end = image.end()
        #expect(end.status == 1, "\(end.console)")
        #expect(end.console.contains(String(trapLine)), "the image's console:\n\(end.console)\nthe hosted trap: \(trapLine)")
    }

    /// A bad kernel command line is a bad start (status 2), saying what is wrong.
    @Test func badCommandLine() throws {
        try #require(!Images.qemuMissing, Comment(rawValue: "qemu-system-x86_64 is missing: make deps installs it"))
        let path = try Images.built("Examples/kv/kv.clv")
        for (arguments, said) in [
            (["--netif", "tap:cleave0"], "kv: --netif 'tap:cleave0': an image's --netif is virtio"),
            (["--netif", "virtio,ip=10.0.2.300"], "kv: --netif 'virtio,ip=10.0.2.300': expected ip=A.B.C.D[/LEN]"),
            (["--netif", "virtio:3"], "kv: --netif 'virtio:3': fewer virtio-net devices than --netif asks for"),
            (["--bogus"], "kv: unknown argument '--bogus'"),
        ] {
            let image = try ImageProcess(image: path, ports: [7000], arguments: arguments, ready: nil)
            let end = image.end()
            #expect(end.status == 2, "\(arguments): \(end.console)")
            #expect(end.console.contains(said), "\(arguments): \(end.console)")
        }
        // And a good one: another address, which the stack says it has.
        let image = try ImageProcess(
            image: path, ports: [], arguments: ["--netif", "virtio,ip=10.0.2.20/24,gw=10.0.2.2,mac=02:00:00:00:00:42"])
        #expect(
            image.console.contains("kv: Cleave's stack on virtio0: 10.0.2.20/24, gateway 10.0.2.2, MAC 02:00:00:00:00:42"),
            "\(image.console)")
        #expect(image.stop().status == 0)
    }

    /// A program that calls C cannot be an image: the build says which call, where, and why.
    @Test func programCallingCIsRefused() throws {
        let output = Scratch.path("image-refused") + "/smoltcp-loop.img"
        let r = try runProcess(
            Repo.cleaveBinary, ["build", Repo.path("Examples/smoltcp-loop/smoltcp-loop.clv"), "--target", "image", "-o", output])
        #expect(r.status == 1)
        #expect(r.stderr.contains("smoltcp-loop.clv:69:"), "\(r.stderr)")
        #expect(
            r.stderr.contains("'poll' is a C function, and the image target has no operating system or C library to call it"), "\(r.stderr)"
        )
        #expect(r.stderr.contains("[image-calls-c]"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: output))
        let socket = try runProcess(Repo.cleaveBinary, ["build", Repo.path("Examples/kv/kv.clv"), "--target", "image", "--net", "socket"])
        #expect(socket.status == 2)
        #expect(socket.stderr.contains("an image has no kernel and so no sockets"), "\(socket.stderr)")
    }

    /// The image is an ELF with the PVH note, and without the host's C library.
    @Test func imageIsAPVHElfWithoutTheCLibrary() throws {
        let path = try Images.built("Examples/kv/kv.clv")
        let notes = try runProcess("/usr/bin/env", ["readelf", "-nlW", path])
        #expect(notes.stdout.contains("Xen"), "\(notes.stdout)")
        #expect(notes.stdout.contains("NOTE"), "\(notes.stdout)")
        #expect(!notes.stdout.contains("INTERP") && !notes.stdout.contains("DYNAMIC"))
        let symbols = try runProcess("/usr/bin/env", ["nm", path])
        #expect(symbols.stdout.contains(" T pvh_start"))
        for libc in [" malloc", " printf", " __libc_start_main", " _IO_"] {
            #expect(!symbols.stdout.contains(libc), "the image has \(libc)")
        }
    }

    /// Memory stays flat: from 20,000 requests to 200,000 more, the memory the image has in use (its
    /// console says it at Ctrl-\\) grows by less than 256 KiB, a byte for every 800 requests: what
    /// a bounded table settling can take (the ARP entry expiring after a minute, and its queue of
    /// datagrams while it is asked again), where a leak of even 2 bytes a request would be 400 KiB.
    @Test func memoryStaysFlat() throws {
        try #require(!Images.qemuMissing, Comment(rawValue: "qemu-system-x86_64 is missing: make deps installs it"))
        let image = try ImageProcess(image: try Images.built("Examples/kv/kv.clv"), ports: [7000])
        let client = try UDPClient()
        func burst(_ count: Int, from start: Int) throws {
            var i = start
            while i < start + count {
                let window = min(32, start + count - i)
                for k in 0..<window {
                    let n = i + k
                    try client.send((n % 2 == 0 ? "SET key\(n % 500) value\(n)" : "GET key\(n % 500)").bytes, to: image.port(7000))
                }
                var got = 0
                while got < window, try client.receive(timeout: 10) != nil { got += 1 }
                i += window
            }
        }
        /// KiB in use, as the console says it now.
        func memory() -> Int? {
            let before = image.console.components(separatedBy: "memory in use").count
            image.key(0x1c)
            let deadline = Date().addingTimeInterval(10)
            while image.console.components(separatedBy: "memory in use").count == before && Date() < deadline { usleep(10_000) }
            let line = image.console.split(separator: "\n").last { $0.contains("memory in use") }
            return line.flatMap { Int($0.split(separator: " ").dropLast().last ?? "") }
        }
        try burst(20_000, from: 0)
        let first = try #require(memory())
        try burst(200_000, from: 20_000)
        let second = try #require(memory())
        #expect(first > 1000, "\(first) KiB: not a reading of the image's memory")
        #expect(second - first < 256, "memory in use grew from \(first) KiB to \(second) KiB over 200,000 requests")
        #expect(image.stop().status == 0)
    }
}

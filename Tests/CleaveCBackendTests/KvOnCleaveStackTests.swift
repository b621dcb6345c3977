// Examples/kv, unchanged, built on Cleave's own stack (`cleave build --net direct`): its
// UdpDevice becomes a FrameDevice and the net module's NetStack. It answers the capture
// smoltcp-loop answers (seed 000's loop, written with the stack as a state) byte for byte,
// as a unikernel and isolated in three components and in two; and Linux, from a network
// namespace the test makes, gets its pings, ARP answers and UDP replies through a TAP.

import CleaveTestSupport
import Foundation
import Testing

@Suite struct KvOnCleaveStackTests {
    static let source = "Examples/kv/kv.clv"
    /// The address smoltcp-loop's source gives its stack, given to kv's on the command line.
    static let link = "ip=10.77.0.2/24,mac=02:00:00:00:00:02"

    /// One stack: the frames kv sends for a capture of ARP questions, pings of one and of three
    /// fragments, requests (some in fragments, answered in fragments), damaged frames and frames
    /// for others are those smoltcp-loop sends, byte for byte, on every target.
    @Test func answersACaptureAsSmoltcpLoopDoes() throws {
        let cases = SmoltcpLoopTests.cases()
        let loop = try SmoltcpLoopTests().run([], name: "kv-stack-reference", cases)
        #expect(loop.0.status == 0, "\(loop.0.stderr)")
        #expect(loop.1.count > 10_000, "smoltcp-loop's replies")
        for (k, build) in [[], ["--target", "isolated"], ["--target", "isolated", "--partition", "device,deviceStack|store"]].enumerated() {
            let (r, bytes, _) = try SmoltcpLoopTests().run(
                ["--net", "direct"] + build, name: "kv-stack-\(k)", cases, source: Self.source, link: ",\(Self.link)")
            #expect(r.status == 0, "\(build): \(r.stderr)")
            #expect(r.stderr.contains("kv: Cleave's stack on "), "\(build): \(r.stderr)")
            #expect(!bytes.isEmpty && bytes == loop.1, "\(build): kv's frames differ from smoltcp-loop's")
        }
    }

    /// The stack's calls are the program's: the dump shows them, and the partition names the stack.
    @Test func theStackIsAStateOfTheProgram() throws {
        let path = Repo.path(Self.source)
        let attached = try runProcess(Repo.cleaveBinary, ["dump", "--stage", "attached", "--net", "direct", path])
        #expect(attached.status == 0, "\(attached.stderr)")
        #expect(attached.stdout.contains("Bind deviceStack#"))
        #expect(attached.stdout.contains("MethodCall nextDatagram: Datagram"))
        #expect(attached.stdout.contains("MethodCall sendDatagram: Void"))
        #expect(!attached.stdout.contains("UdpDevice"))
        let components = try runProcess(Repo.cleaveBinary, ["dump", "--stage", "components", "--net", "direct", path])
        #expect(components.stdout.contains("component 1 deviceStack: states deviceStack"), "\(components.stdout)")
        // On the kernel's sockets nothing is attached.
        let socket = try runProcess(Repo.cleaveBinary, ["dump", "--stage", "attached", path])
        #expect(socket.status == 0 && socket.stdout.isEmpty)
    }

    /// What cannot run on the stack is said at the source, and a TAP given to a build on the
    /// kernel's sockets says how to build for it.
    @Test func whatCannotBeAttachedIsReported() throws {
        let dir = BuiltServices.directory
        let source = """
            import net
            state Relay {
                func pass(_ device: inout UdpDevice) {
                    let d = device.receive()
                    device.send(d)
                }
            }
            func main() {
                var device = UdpDevice(port: 7000)
                let relay = Relay()
                loop {
                    relay.pass(&device)
                }
            }
            """
        try source.write(toFile: "\(dir)/relay.clv", atomically: true, encoding: .utf8)
        let r = try runProcess(Repo.cleaveBinary, ["check", "--net", "direct", "\(dir)/relay.clv"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("relay.clv:3:17: error: 'pass' takes a UdpDevice"), "\(r.stderr)")
        #expect(
            r.stderr.contains("relay.clv:12:21: error: on Cleave's own stack (--net direct), 'device' can only be called"), "\(r.stderr)")
        let plain = try runProcess(Repo.cleaveBinary, ["check", "\(dir)/relay.clv"])
        #expect(plain.status == 0, "\(plain.stderr)")

        let kv = try BuiltServices.runnable(Self.source)
        let tap = try runProcess(kv, ["--netif", "tap:cl9"])
        #expect(tap.status == 2)
        #expect(tap.stderr.contains("build with `cleave build --net direct`"), "\(tap.stderr)")
        let direct = try BuiltServices.runnable(Self.source, arguments: ["--net", "direct"])
        for (spec, why) in [
            ("udp:7000", "udp: is for a build on the kernel's sockets"), ("tap:cl9,ip=10.1.2.300/24", "expected ip=A.B.C.D[/LEN]"),
            ("tap:cl9,ip=10.1.2.3/33", "prefix length"), ("tap:cl9,mac=02:00:00:00:00:01", "need ip="),
            ("tap:cl9,ip=10.1.2.3/24,mac=03:00:00:00:00:01", "group address"), ("tap:cl9,ip=10.1.2.3/24,mtu=9000", "after NAME"),
        ] {
            let r = try runProcess(direct, ["--netif", spec])
            #expect(r.status == 2 && r.stderr.contains(why), "\(spec): \(r.stderr)")
        }
    }

    /// Linux talks to kv through the stack: `ping` (also of 4,000 bytes, in fragments both ways),
    /// `arping` and UDP requests (a 6,000-byte value set and read back), for the unikernel and
    /// the isolated build in three components and in two.
    @Test(.enabled(if: SmoltcpLoopTests.machineAllowsTap, "needs root, /dev/net/tun and ip"))
    func answersLinuxThroughATapInterfaceInANamespace() throws {
        for build in [[], ["--target", "isolated"], ["--target", "isolated", "--partition", "device,deviceStack|store"]] {
            try SmoltcpLoopTests.talkToLinux(
                source: Self.source, build: ["--net", "direct"] + build, netif: "tap:cl0,\(Self.link)")
        }
    }

    /// Hostile frames do not grow the stack: 240,000 frames (requests among fragments that
    /// never complete, overlapping fragments, ARP questions from a thousand addresses, junk),
    /// streamed through a FIFO, leave kv's resident memory within 10% of what it was after the
    /// first 48,000 (by then the store holds its keys and the stack's bounded tables are full;
    /// measured: 5.2 MB after 24,000, 6.6 MB after 48,000 and from then on), and the service
    /// ends cleanly when the capture does.
    @Test func memoryStaysFlatUnderHostileFrames() throws {
        let exe = try BuiltServices.runnable(Self.source, arguments: ["--net", "direct"])
        let fifo = "\(BuiltServices.directory)/hostile.pcap"
        unlink(fifo)
        try #require(mkfifo(fifo, 0o600) == 0)
        // Opened read-write, the FIFO opens without waiting for the service; closing it ends
        // the capture.
        let fd = open(fifo, O_RDWR)
        try #require(fd >= 0)
        var rng = SplitMix64(state: 15)
        let stack = SmoltcpLoopTests.stackAddress
        func frames(_ range: Range<Int>) -> [UInt8] {
            var w = PcapWriter()
            w.burst = 200
            w.startSeconds = 1_700_000_000 + UInt32(range.lowerBound / 200)
            if range.lowerBound > 0 { w = PcapWriter.continuing(w) }
            for i in range {
                let client = UInt8(1 + i % 20)
                if i % 2000 < 20 {
                    // Clients (re)introduce themselves, as Linux peers do before their entries expire.
                    w.appendRecord(SmoltcpLoopTests.arpRequest(client: client))
                    continue
                }
                switch rng.below(10) {
                case 0, 1, 2, 3:
                    let key = rng.below(500)
                    let request = rng.chance(50) ? "SET k\(key) " + String(repeating: "v", count: rng.below(300)) : "GET k\(key)"
                    w.appendRecord(SmoltcpLoopTests.frame(request, client: client))
                case 4, 5:
                    // A first fragment whose rest never comes.
                    let parts = SmoltcpLoopTests.fragmentedFrames(
                        "SET endless " + String(repeating: "e", count: 600), client: client, size: 256,
                        identification: UInt16(rng.below(65536)))
                    w.appendRecord(parts[0])
                case 6:
                    // Fragments overlapping each other.
                    let parts = SmoltcpLoopTests.fragmentedFrames(
                        "SET overlap " + String(repeating: "o", count: 600), client: client, size: 256, identification: UInt16(i & 0xffff))
                    w.appendRecord(parts[1])
                    w.appendRecord(parts[1])
                case 7:
                    // ARP from an address the stack has not seen.
                    let mac: [UInt8] = [2, 9, 0, 0, UInt8(i >> 8 & 0xff), UInt8(i & 0xff)]
                    let from: [UInt8] = [10, 77, UInt8(1 + rng.below(4)), UInt8(rng.below(256))]
                    let body: [UInt8] = [0, 1, 8, 0, 6, 4, 0, 1] + mac + from + [0, 0, 0, 0, 0, 0] + stack.bytes
                    w.appendRecord(
                        Packet.ethernet(destination: [0xff, 0xff, 0xff, 0xff, 0xff, 0xff], source: mac, type: 0x0806, payload: body))
                default:
                    w.appendRecord((0..<(14 + rng.below(80))).map { _ in UInt8(rng.below(256)) })
                }
            }
            return w.bytes
        }
        let service = try ServiceProcess(exe, ["--netif", "pcap:\(fifo):/dev/null,\(Self.link)"], ready: "Cleave's stack on")
        func feed(_ bytes: [UInt8]) {
            bytes.withUnsafeBytes { raw in
                var done = 0
                while done < raw.count {
                    let n = write(fd, raw.baseAddress! + done, raw.count - done)
                    if n <= 0 { return }
                    done += n
                }
            }
        }
        /// Until the service has read what it was given (the FIFO is empty).
        func drained() {
            var waiting: Int32 = 1
            for _ in 0..<200 where waiting > 0 {
                _ = ioctl(fd, UInt(FIONREAD), &waiting)
                usleep(20_000)
            }
            usleep(200_000)
        }
        // Warm: the store holds its keys, the stack's tables (neighbours, fragments held) are full.
        for k in 0..<2 { feed(frames(k * 24_000..<(k + 1) * 24_000)) }
        drained()
        let early = try residentKilobytes(service.pid)
        for k in 2..<10 { feed(frames(k * 24_000..<(k + 1) * 24_000)) }
        drained()
        let late = try residentKilobytes(service.pid)
        close(fd)
        let end = service.stop(timeout: 30)
        #expect(end.status == 0, "\(end.stderr)")
        #expect(Double(late) <= Double(early) * 1.10, "resident memory grew from \(early) kB to \(late) kB")
        unlink(fifo)
    }

    /// tcpdump records, at the namespace's end of the TAP, what Linux sends kv (pings of 4,000
    /// bytes, requests, a 60,000-byte value set and read back, in fragments both ways) and what
    /// kv answers. Replayed through `--netif pcap:IN:OUT`, the recording makes kv write the
    /// frames it sent live, byte for byte (but for its announcement, sent before tcpdump
    /// listened), and a second replay writes the same file.
    @Test(
        .enabled(
            if: SmoltcpLoopTests.machineAllowsTap && FileManager.default.isExecutableFile(atPath: "/usr/bin/tcpdump"),
            "needs root, /dev/net/tun, ip and tcpdump"))
    func replaysWhatTcpdumpRecorded() throws {
        let exe = try BuiltServices.runnable(Self.source, arguments: ["--net", "direct"])
        let dir = BuiltServices.directory
        let namespace = "cltd\(getpid() % 100000)"
        _ = try runProcess("/usr/sbin/ip", ["netns", "del", namespace])
        try #require(try runProcess("/usr/sbin/ip", ["netns", "add", namespace]).status == 0)
        defer { _ = try? runProcess("/usr/sbin/ip", ["netns", "del", namespace]) }
        let inside = ["netns", "exec", namespace]
        let service = try ServiceProcess("/usr/sbin/ip", inside + [exe, "--netif", "tap:cl0,\(Self.link)"], ready: ": tap: frames on")
        for command in [["addr", "add", "10.77.0.1/24", "dev", "cl0"], ["link", "set", "cl0", "up"]] {
            #expect(try runProcess("/usr/sbin/ip", ["-n", namespace] + command).status == 0)
        }
        // Linux's side of the TAP (once it is up: tcpdump listens only then): what it sends out (to kv), and what comes in (from kv).
        let toKv = try ServiceProcess(
            "/usr/sbin/ip",
            inside + [
                "tcpdump", "-Z", "root", "--immediate-mode", "-B", "16384", "-i", "cl0", "-Q", "out", "-U", "-w", "\(dir)/recorded-in.pcap",
            ], ready: "listening on")
        let fromKv = try ServiceProcess(
            "/usr/sbin/ip",
            inside + [
                "tcpdump", "-Z", "root", "--immediate-mode", "-B", "16384", "-i", "cl0", "-Q", "in", "-U", "-w",
                "\(dir)/recorded-live.pcap",
            ], ready: "listening on")
        let ping = try runProcess("/usr/sbin/ip", inside + ["ping", "-c", "2", "-i", "0.2", "-W", "2", "-s", "4000", "10.77.0.2"])
        #expect(ping.stdout.contains("2 received"), "\(ping.stdout)\(ping.stderr)")
        let udp = """
            import socket
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(3)
            big = bytes(48 + i % 10 for i in range(60000))
            for m in [b"SET pi " + big, b"GET pi", b"GET e"]:
                s.sendto(m, ("10.77.0.2", 7000))
                r = s.recv(70000)
                print(len(r), r == big)
            """
        let talk = try runProcess("/usr/sbin/ip", inside + ["python3", "-c", udp])
        #expect(talk.stdout == "6 False\n60000 True\n9 False\n", "\(talk.stdout)\(talk.stderr)")
        // What tcpdump has seen is on its way to the files (--immediate-mode, -U).
        usleep(500_000)
        toKv.stop()
        fromKv.stop()
        #expect(service.stop().status == 0)

        let netif = { (out: String) in "pcap:\(dir)/recorded-in.pcap:\(dir)/\(out),\(Self.link)" }
        let first = try runProcess(exe, ["--netif", netif("replayed-1.pcap")])
        let second = try runProcess(exe, ["--netif", netif("replayed-2.pcap")])
        #expect(first.status == 0 && second.status == 0, "\(first.stderr)\(second.stderr)")
        let replayed = try Pcap.read("\(dir)/replayed-1.pcap").records.map(\.data)
        #expect(try Pcap.read("\(dir)/replayed-2.pcap").records.map(\.data) == replayed, "two replays differ")
        let live = try Pcap.read("\(dir)/recorded-live.pcap").records.map(\.data)
        // An announcement: ARP (0x0806) asking for the stack's own address, from it.
        func announcement(_ f: [UInt8]) -> Bool { f.count >= 42 && f[12] == 8 && f[13] == 6 && f[28..<32] == f[38..<42] }
        #expect(live.count > 40, "\(live.count) frames recorded from kv")
        #expect(replayed.filter { !announcement($0) } == live.filter { !announcement($0) }, "the replay differs from what kv sent live")
    }
}

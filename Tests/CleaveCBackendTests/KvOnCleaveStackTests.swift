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

    func replay(_ build: [String], name: String, _ cases: [SmoltcpLoopTests.Case]) throws -> (ProcessResult, [UInt8]) {
        let exe = try BuiltServices.runnable(Self.source, arguments: ["--net", "direct"] + build)
        let dir = BuiltServices.directory
        var w = PcapWriter()
        w.burst = 50
        for c in cases { w.appendRecord(c.frame) }
        try w.write(to: "\(dir)/\(name)-in.pcap")
        let r = try runProcess(exe, ["--netif", "pcap:\(dir)/\(name)-in.pcap:\(dir)/\(name)-out.pcap,\(Self.link)"])
        return (r, [UInt8]((FileManager.default.contents(atPath: "\(dir)/\(name)-out.pcap")) ?? Data()))
    }

    /// One stack: the frames kv sends for a capture of ARP questions, pings of one and of three
    /// fragments, requests (some in fragments, answered in fragments), damaged frames and frames
    /// for others are those smoltcp-loop sends, byte for byte, on every target.
    @Test func answersACaptureAsSmoltcpLoopDoes() throws {
        let cases = SmoltcpLoopTests.cases()
        let loop = try SmoltcpLoopTests().run([], name: "kv-stack-reference", cases)
        #expect(loop.0.status == 0, "\(loop.0.stderr)")
        #expect(loop.1.count > 10_000, "smoltcp-loop's replies")
        for (k, build) in [[], ["--target", "isolated"], ["--target", "isolated", "--partition", "device,deviceStack|store"]].enumerated() {
            let (r, bytes) = try replay(build, name: "kv-stack-\(k)", cases)
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
        #expect(r.stderr.contains("relay.clv:12:21: error: on Cleave's own stack (--net direct), 'device' can only be called"), "\(r.stderr)")
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
}

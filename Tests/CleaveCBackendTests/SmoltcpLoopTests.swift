// Examples/smoltcp-loop: seed 000's loop, with its IPv4/UDP stack written in
// Cleave, over raw Ethernet frames. A capture of requests (and of frames the
// stack must drop) is replayed through the service built from source and
// built from the projected program; the replies must be right, correctly
// addressed, with valid checksums, and byte-identical between the two builds.
// Where the machine allows a TAP interface, the service also answers the
// kernel's own UDP socket through one.

import CleaveTestSupport
import Foundation
import Testing

@Suite struct SmoltcpLoopTests {
    static let source = "Examples/smoltcp-loop/smoltcp-loop.clv"
    static let stackMAC: [UInt8] = [2, 0, 0, 0, 0, 2]
    static let stackAddress = IPv4Address(10, 77, 0, 2)

    /// A client's request as a frame to the stack.
    static func frame(_ payload: String, client: UInt8, port: UInt16 = 7000, to address: IPv4Address = stackAddress) -> [UInt8] {
        let d = UDPDatagram(
            source: IPv4Address(10, 77, 0, 100 + client), sourcePort: 40000 + UInt16(client), destination: address, destinationPort: port,
            payload: Array(payload.utf8))
        return Packet.ethernet(
            destination: stackMAC, source: [2, 0, 0, 0, 1, client],
            payload: Packet.ipv4(source: d.source, destination: d.destination, payload: Packet.udp(d)))
    }

    struct Case {
        let frame: [UInt8]
        /// The reply expected, nil for a frame the stack drops.
        let reply: String?
        let client: UInt8
    }

    static func cases() -> [Case] {
        var out: [Case] = []
        var model: [String: String] = [:]
        var rng = SplitMix64(state: 2026)
        for i in 0..<120 {
            let client = UInt8(1 + i % 5)
            let key = "k\(rng.next() % 8)"
            switch rng.next() % 9 {
            case 0, 1, 2:
                let value = "v\(rng.next() % 1000) and more"
                model[key] = value
                out.append(Case(frame: frame("SET \(key) \(value)", client: client), reply: "STORED", client: client))
            case 3, 4:
                out.append(Case(frame: frame("GET \(key)", client: client), reply: model[key] ?? "NOT_FOUND", client: client))
            case 5:
                out.append(Case(frame: frame("HELLO", client: client), reply: "ERROR", client: client))
            case 6:
                // Not for the stack: another port, another address.
                out.append(Case(frame: frame("GET \(key)", client: client, port: 7001), reply: nil, client: client))
                out.append(Case(frame: frame("GET \(key)", client: client, to: IPv4Address(10, 77, 0, 9)), reply: nil, client: client))
            case 7:
                // Damaged: a UDP checksum, an IPv4 header checksum, a cut frame, a fragment.
                var f = frame("SET \(key) broken", client: client)
                f[f.count - 1] ^= 0x55
                out.append(Case(frame: f, reply: nil, client: client))
                var g = frame("SET \(key) broken", client: client)
                g[14 + 8] ^= 1  // the TTL, under the header checksum
                out.append(Case(frame: g, reply: nil, client: client))
                out.append(Case(frame: Array(frame("GET \(key)", client: client).prefix(30)), reply: nil, client: client))
                var h = frame("SET \(key) fragment", client: client)
                h[14 + 6] |= 0x20  // more fragments
                out.append(Case(frame: h, reply: nil, client: client))
            default:
                // Not IPv4: an IPv6 frame and an ARP request.
                out.append(
                    Case(
                        frame: Packet.ethernet(destination: stackMAC, type: 0x86dd, payload: Array(repeating: 0, count: 60)), reply: nil,
                        client: client))
                out.append(
                    Case(
                        frame: Packet.ethernet(
                            destination: [0xff, 0xff, 0xff, 0xff, 0xff, 0xff], type: 0x0806, payload: Array(repeating: 1, count: 28)),
                        reply: nil, client: client))
            }
        }
        return out
    }

    func run(_ build: [String], name: String, _ cases: [Case]) throws -> (ProcessResult, [UInt8], [UDPDatagram]) {
        let exe = try BuiltServices.runnable(Self.source, arguments: build)
        let dir = BuiltServices.directory
        var w = PcapWriter()
        for c in cases { w.appendRecord(c.frame) }
        try w.write(to: "\(dir)/\(name)-in.pcap")
        let r = try runProcess(exe, ["--netif", "pcap:\(dir)/\(name)-in.pcap:\(dir)/\(name)-out.pcap"])
        let bytes = [UInt8]((FileManager.default.contents(atPath: "\(dir)/\(name)-out.pcap")) ?? Data())
        let replies = (try? Pcap.readUDP("\(dir)/\(name)-out.pcap")) ?? []
        return (r, bytes, replies)
    }

    @Test func answersACaptureFromSourceAndFromTheProjectedProgram() throws {
        let cases = Self.cases()
        let expected = cases.filter { $0.reply != nil }
        let (r, bytes, replies) = try run([], name: "smoltcp-source", cases)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(replies.map { $0.payload.text } == expected.map { $0.reply! })
        let (_, records) = try Pcap.read("\(BuiltServices.directory)/smoltcp-source-out.pcap")
        for ((reply, c), record) in zip(zip(replies, expected), records) {
            // Back to the client that asked: its MAC, address and port; from the stack's.
            #expect(Array(record.data[0..<6]) == [2, 0, 0, 0, 1, c.client])
            #expect(Array(record.data[6..<12]) == Self.stackMAC)
            #expect(reply.destination == IPv4Address(10, 77, 0, 100 + c.client) && reply.destinationPort == 40000 + UInt16(c.client))
            #expect(reply.source == Self.stackAddress && reply.sourcePort == 7000)
        }
        #expect(r.stderr.contains("received \(cases.count), sent \(expected.count)"), "\(r.stderr)")

        // The same service built from the projected program: the same capture, byte for byte.
        let (p, projectedBytes, _) = try run(["--from-stage", "projected"], name: "smoltcp-projected", cases)
        #expect(p.status == 0, "\(p.stderr)")
        #expect(!bytes.isEmpty && projectedBytes == bytes)
        let (q, partitionedBytes, _) = try run(
            ["--from-stage", "projected", "--partition", "device,stack|store"], name: "smoltcp-two", cases)
        #expect(q.status == 0, "\(q.stderr)")
        #expect(partitionedBytes == bytes)

        // Isolated: a process per component, the frames through shared-memory rings.
        for (k, partition) in [nil, "device,stack|store"].enumerated() {
            let build = ["--target", "isolated"] + (partition.map { ["--partition", $0] } ?? [])
            let (i, isolatedBytes, _) = try run(build, name: "smoltcp-isolated-\(k)", cases)
            #expect(i.status == 0, "\(build): \(i.stderr)")
            let same = isolatedBytes == bytes
            #expect(same, "\(build): the capture differs from the unikernel's")
            #expect(i.stderr.contains("received \(cases.count), sent \(expected.count)"), "\(i.stderr)")
        }
    }

    @Test func thePassesMakeTheSeedsLoopStateLocal() throws {
        let r = try runProcess(Repo.cleaveBinary, ["dump", "--stage", "components", Repo.path(Self.source)])
        #expect(r.status == 0, "\(r.stderr)")
        // Three components; the device's makes the system calls (poll from <poll.h>).
        #expect(r.stdout.contains("component 0 device: states device (system calls)"))
        #expect(r.stdout.contains("component 1 stack: states stack"))
        #expect(r.stdout.contains("component 2 store: states store"))
        // The stack asks the device for frames through defunctionalized calls; the store sees
        // only its calls, never a frame or an address (turns carry nothing).
        #expect(r.stdout.contains("stack -> device: %57: FrameDeviceCall"))
        let toStore = r.stdout.split(separator: "\n").filter { $0.contains("-> store:") }
        #expect(
            toStore.allSatisfy { $0.contains(": StoreCall") || $0.contains(": Bool") || $0.contains(": turn: Void") },
            "\(toStore)")
        let lifted = try runProcess(Repo.cleaveBinary, ["dump", "--stage", "lifted", Repo.path(Self.source)])
        #expect(lifted.stdout.contains("state-method IPStack.poll_start("))
        #expect(lifted.stdout.contains("state-method IPStack.poll_resume2("))
    }

    /// Root, a TUN/TAP device that opens, and `ip` to configure the interface.
    static let machineAllowsTap: Bool = {
        let fd = open("/dev/net/tun", O_RDWR)
        defer { if fd >= 0 { close(fd) } }
        return getuid() == 0 && fd >= 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip")
    }()

    /// The unikernel, then the isolated build (its launcher opens the TAP interface and hands the
    /// descriptor to the device's component), one after the other: both serve 10.77.0.2.
    @Test(.enabled(if: machineAllowsTap, "needs root, /dev/net/tun and ip"))
    func answersTheKernelThroughATapInterface() throws {
        for target in ["unikernel", "isolated"] {
            let exe = try BuiltServices.runnable(Self.source, arguments: target == "isolated" ? ["--target", "isolated"] : [])
            let name = "cltap\(getpid() % 10000)"
            let service = try ServiceProcess(exe, ["--netif", "tap:\(name)"], ready: ": tap: frames on")
            for command in [
                ["addr", "add", "10.77.0.1/24", "dev", name], ["link", "set", name, "up"],
                ["neigh", "add", "10.77.0.2", "lladdr", "02:00:00:00:00:02", "dev", name],
            ] {
                let r = try runProcess("/usr/sbin/ip", command)
                #expect(r.status == 0, "\(target): ip \(command.joined(separator: " ")): \(r.stderr)")
            }
            let client = try UDPClient(bindAddress: "0.0.0.0")
            #expect(try client.request("SET tap works".bytes, to: "10.77.0.2", port: 7000)?.text == "STORED", "\(target)")
            #expect(try client.request("GET tap".bytes, to: "10.77.0.2", port: 7000)?.text == "works", "\(target)")
            let end = service.stop()
            #expect(end.status == 0, "\(target): \(end.stderr)")
            if target == "isolated" {
                // The store answered the two requests: two values sent, however many turns it handed on.
                #expect(end.stderr.contains(": component store: 2 messages sent"), "\(end.stderr)")
            }
        }
    }
}

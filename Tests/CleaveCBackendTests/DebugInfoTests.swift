// `cleave build -g`: the C names the .clv line of each statement (`#line`) and is
// compiled for a debugger, so gdb stops on a line of the source and shows the
// Cleave variables there (as `v<number>_<name>`: a variable's versions are numbered
// apart). Without -g there is no line of the source to stop on.

import CleaveTestSupport
import Foundation
import Testing

@Suite struct DebugInfoTests {
    static let source = "Tests/Inputs/Debug/tally.clv"
    /// The line of `device.send(…)` in tally.clv.
    static var sendLine: Int {
        let text = (try? String(contentsOfFile: Repo.path(source), encoding: .utf8)) ?? ""
        return (text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains("device.send(") } ?? -1) + 1
    }

    /// Run `exe` under gdb in batch mode over a capture of "hello" and "hi", stopping at `line`
    /// of tally.clv each time and printing the locals there.
    static func debug(_ exe: String, name: String) throws -> ProcessResult {
        let dir = BuiltServices.directory
        var w = PcapWriter()
        for (k, text) in ["hello", "hi"].enumerated() {
            w.append(UDPDatagram(sourcePort: UInt16(41000 + k), destinationPort: 7000, payload: text.bytes))
        }
        try w.write(to: "\(dir)/\(name)-in.pcap")
        let commands = ["break tally.clv:\(sendLine)", "run", "info locals", "continue", "info locals", "continue"]
        // The test runs on a thread with most signals blocked, a mask its children inherit: gdb
        // would never hear of its inferior stopping (SIGCHLD). It starts with the mask cleared.
        let unblocked =
            "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execv(sys.argv[1], sys.argv[1:])"
        return try runProcess(
            "/usr/bin/python3",
            ["-c", unblocked, "/usr/bin/gdb", "-batch", "-nx"] + commands.flatMap { ["-ex", $0] }
                + ["--args", exe, "--netif", "pcap:\(dir)/\(name)-in.pcap:\(dir)/\(name)-out.pcap"])
    }

    /// The values gdb printed for the C locals of the Cleave variable `name`, in order.
    static func values(of name: String, in output: String) -> [Int] {
        output.split(separator: "\n").compactMap { line -> Int? in
            let parts = line.split(separator: " ", maxSplits: 2)
            guard parts.count == 3, parts[1] == "=", parts[0].hasPrefix("v"), parts[0].hasSuffix("_\(name)") else { return nil }
            return Int(parts[2])
        }
    }

    @Test func gdbStopsOnALineOfTheSourceAndReadsItsVariables() throws {
        #expect(Self.sendLine > 1)
        let exe = try BuiltServices.executable(Self.source, arguments: ["-g"])
        let r = try Self.debug(exe, name: "debug-g")
        let stops = r.stdout.components(separatedBy: "tally.clv:\(Self.sendLine)").count - 1
        #expect(stops >= 2, "\(r.stdout)\n\(r.stderr)")
        // Stopped on the request of "hello", then of "hi": size 5, then 2; the total 5, then 7.
        #expect(Self.values(of: "size", in: r.stdout) == [5, 2], "\(r.stdout)")
        #expect(Self.values(of: "total", in: r.stdout).contains(7), "\(r.stdout)")
    }

    @Test func withoutDebugInfoThereIsNoLineOfTheSourceToStopOn() throws {
        let exe = try BuiltServices.executable(Self.source)
        let r = try Self.debug(exe, name: "debug-plain")
        #expect(!r.stdout.contains("Breakpoint 1, "), "\(r.stdout)")
        #expect(Self.values(of: "size", in: r.stdout).isEmpty)
    }

    /// An image built with -g, booted halted under QEMU's gdb stub: gdb stops on the .clv line when
    /// a request comes, and reads the Cleave variables there.
    @Test func gdbStopsOnALineOfTheSourceInAnImage() throws {
        try #require(!Images.qemuMissing, Comment(rawValue: "qemu-system-x86_64 is missing: make deps installs it"))
        let path = try BuiltServices.executable(Self.source, tag: "image", arguments: ["-g", "--target", "image"])
        let gdbPort = Int(try freeUDPPort())  // a free TCP port too, as likely as not; QEMU says if not
        let image = try ImageProcess(image: path, ports: [7000], ready: nil, gdbPort: gdbPort)
        defer { image.process.terminate() }
        // Ask "hello" every half second until gdb is done.
        let done = NSLock()
        nonisolated(unsafe) var finished = false
        let port = image.port(7000)
        let asker = Thread {
            let client = try? UDPClient()
            for _ in 0..<120 {
                done.lock()
                let stop = finished
                done.unlock()
                if stop { break }
                try? client?.send("hello".bytes, to: port)
                usleep(500_000)
            }
        }
        asker.start()
        let commands = [
            "set pagination off", "target remote 127.0.0.1:\(gdbPort)", "break tally.clv:\(Self.sendLine)", "continue",
            "info locals", "kill",
        ]
        let unblocked =
            "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execv(sys.argv[1], sys.argv[1:])"
        let r = try runProcess(
            "/usr/bin/timeout",
            ["120", "/usr/bin/python3", "-c", unblocked, "/usr/bin/gdb", "-batch", "-nx"] + commands.flatMap { ["-ex", $0] } + [path])
        done.lock()
        finished = true
        done.unlock()
        #expect(r.stdout.contains("tally.clv:\(Self.sendLine)"), "\(r.stdout)\n\(r.stderr)\n\(image.console)")
        #expect(Self.values(of: "size", in: r.stdout) == [5], "\(r.stdout)")
    }

    /// Every component of an isolated build, and the generated C of each, names the .clv lines.
    @Test func theIsolatedTargetsComponentsHaveTheLinesOfTheSource() throws {
        let dir = try BuiltServices.executable(Self.source, arguments: ["-g", "--target", "isolated", "--partition", "device"])
        let components = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0 != "run" && !$0.hasPrefix(".") }
        #expect(!components.isEmpty)
        for c in components {
            let r = try runProcess("/usr/bin/objdump", ["--dwarf=decodedline", "\(dir)/\(c)"])
            #expect(r.stdout.contains("tally.clv"), "\(c): no line of tally.clv in its debugging information")
        }
    }
}

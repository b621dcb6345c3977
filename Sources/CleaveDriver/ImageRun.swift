// `cleave run --target image`: how an image is booted in QEMU.
//
// An image (Build.compileImage) is an x86-64 ELF with a PVH note, which QEMU boots directly with
// `-kernel`. This file turns what the user asked for into QEMU's command line, and QEMU's exit
// status back into the service's:
//   - machine: microvm (virtio-mmio, `-device virtio-net-device`; the fastest to start) or q35/pc
//     (PCI, `-device virtio-net-pci`, through SeaBIOS);
//   - accelerator: KVM when /dev/kvm opens, TCG otherwise (or as asked); QEMU's default CPU model
//     (some nested hypervisors refuse `-cpu host`);
//   - network: QEMU's user network, forwarding each of the program's UDP ports from 127.0.0.1 on
//     the host (10.0.2.15 in the guest, its gateway 10.0.2.2: the image's defaults), or a TAP;
//   - console: the serial port on QEMU's standard input and output;
//   - the way out: isa-debug-exit at port 0xf4. The image writes 0x10 | status there, and QEMU ends
//     with (value << 1) | 1: 33 for a clean end (0), 35 for a trap (1), 37 for a bad start (2).
//     Any other status is QEMU's own (it could not start, or it was stopped from outside).

import CleaveSema
import Foundation

public struct ImageRunOptions: Sendable {
    public enum Machine: String, Sendable, CaseIterable {
        case microvm, q35, pc
    }
    public enum Accelerator: String, Sendable, CaseIterable {
        case auto, kvm, tcg
    }
    public var machine: Machine = .microvm
    public var accelerator: Accelerator = .auto
    public var memoryMiB = 128
    /// UDP ports forwarded from 127.0.0.1 on the host to the same port of the image (user network).
    public var forwardedPorts: [Int] = []
    /// The host port of each forwarded port, when not the same (tests pick free ones).
    public var hostPorts: [Int: Int] = [:]
    /// A TAP interface instead of the user network.
    public var tap: String?
    /// QEMU's gdb stub on 127.0.0.1:`gdbPort`, halted before the first instruction.
    public var gdb = false
    public var gdbPort = 1234
    /// Record the image's traffic (QEMU's filter-dump) to this pcap file.
    public var dump: String?
    /// The service's own arguments: the kernel command line.
    public var serviceArguments: [String] = []
    public var qemu = "qemu-system-x86_64"
    public init() {}
}

public enum ImageRun {
    /// The UDP ports to forward to an image built from `result`: those its stacks are made with,
    /// when they are written as numbers; nil when one is computed.
    public static func forwardedPorts(_ result: PipelineResult) -> [Int]? {
        guard let typed = result.typed, result.attached else { return [] }
        return AttachStack.literalPorts(typed)
    }

    /// The exit status QEMU ends with when the image writes `status` to isa-debug-exit.
    public static func qemuStatus(forServiceStatus status: Int32) -> Int32 { ((0x10 | status) << 1) | 1 }

    /// The service's exit status for QEMU's, or nil when the image did not end QEMU.
    public static func serviceStatus(fromQemu status: Int32) -> Int32? {
        guard status & 1 == 1, status >> 1 >= 0x10, status >> 1 <= 0x12 else { return nil }
        return (status >> 1) & 0x0f
    }

    /// Whether /dev/kvm opens for reading and writing.
    public static var kvmOpens: Bool {
        let fd = open("/dev/kvm", O_RDWR | O_CLOEXEC)
        if fd < 0 { return false }
        close(fd)
        return true
    }

    /// Whether KVM runs `image` here: nil when it does; otherwise why not. /dev/kvm opening is not
    /// enough: some nested hypervisors stop a guest at its first SSE instruction ("KVM internal
    /// error ... emulation failure"), so the image is booted once with `--probe` (it runs an SSE
    /// instruction and ends), and the answer is kept for this kernel, CPU and QEMU.
    public static func kvmProblem(image: String, qemu: String = "qemu-system-x86_64", environment: [String: String]) -> String? {
        guard kvmOpens else { return "/dev/kvm does not open" }
        let key = machineKey(qemu: qemu)
        let home = environment["HOME"] ?? NSTemporaryDirectory()
        let cacheRoot = environment["CLEAVE_CACHE"].flatMap { $0.isEmpty ? nil : $0 } ?? "\(home)/.cache/cleave"
        let cached = "\(cacheRoot)/kvm-probe-\(key)"
        if let answer = try? String(contentsOfFile: cached, encoding: .utf8) {
            return answer == "ok" ? nil : answer
        }
        var options = ImageRunOptions()
        options.accelerator = .kvm
        options.qemu = qemu
        options.serviceArguments = ["--probe"]
        let (status, output) = runBounded([qemu] + qemuArguments(image: image, options), seconds: 3)
        let answer: String
        if serviceStatus(fromQemu: status) == 0 {
            answer = "ok"
        } else if output.contains("emulation failure") || output.contains("internal error") {
            answer = "KVM opens, but this hypervisor stops the guest at its first SSE instruction (nested virtualization)"
        } else {
            let last = output.split(separator: "\n").last.map(String.init) ?? "no output"
            answer = "KVM did not run the image (QEMU status \(status): \(last))"
        }
        try? FileManager.default.createDirectory(atPath: cacheRoot, withIntermediateDirectories: true)
        try? answer.write(toFile: cached, atomically: true, encoding: .utf8)
        return answer == "ok" ? nil : answer
    }

    /// The accelerator to use for `auto`, and why not KVM when it is TCG.
    public static func chooseAccelerator(image: String, qemu: String, environment: [String: String]) -> (
        ImageRunOptions.Accelerator, String?
    ) {
        if let problem = kvmProblem(image: image, qemu: qemu, environment: environment) { return (.tcg, problem) }
        return (.kvm, nil)
    }

    /// The kernel, the CPU and QEMU's version: what decides whether KVM runs images.
    static func machineKey(qemu: String) -> String {
        var uts = utsname()
        uname(&uts)
        let release = withUnsafeBytes(of: &uts.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let cpu =
            (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?.split(separator: "\n")
            .first { $0.hasPrefix("model name") }.map(String.init) ?? ""
        let version = runBounded([qemu, "--version"], seconds: 10).1.split(separator: "\n").first.map(String.init) ?? ""
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in (release + "|" + cpu + "|" + version).utf8 { hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3 }
        return String(hash, radix: 16)
    }

    /// Run a command for at most `seconds`; its exit status (-1 when it was killed) and merged output.
    static func runBounded(_ command: [String], seconds: Double) -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = command
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        p.standardInput = FileHandle.nullDevice
        do { try p.run() } catch { return (127, "cannot run \(command[0]): \(error.localizedDescription)") }
        let deadline = Date().addingTimeInterval(seconds)
        while p.isRunning && Date() < deadline { usleep(10000) }
        let killed = p.isRunning
        if killed { p.terminate() }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (killed ? -1 : p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// What is wrong with the service's arguments as a kernel command line, if anything.
    public static func commandLineProblem(_ arguments: [String]) -> String? {
        for a in arguments where a.isEmpty || a.contains(where: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\"" }) {
            return "the argument '\(a)' cannot go on a kernel command line (it is empty, or has a space or a quote)"
        }
        return nil
    }

    /// QEMU's arguments (without the program's name) to boot `image` as asked.
    public static func qemuArguments(image: String, _ o: ImageRunOptions) -> [String] {
        let accelerator: String =
            switch o.accelerator {
            case .auto: kvmOpens ? "kvm" : "tcg"
            case .kvm: "kvm"
            case .tcg: "tcg"
            }
        var args = ["-M", o.machine.rawValue, "-m", String(o.memoryMiB), "-accel", accelerator]
        args += ["-nodefaults", "-no-user-config", "-display", "none", "-serial", "stdio"]
        args += ["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
        if let tap = o.tap {
            args += ["-netdev", "tap,id=n0,ifname=\(tap),script=no,downscript=no"]
        } else {
            let forwards = o.forwardedPorts.map { ",hostfwd=udp:127.0.0.1:\(o.hostPorts[$0] ?? $0)-:\($0)" }.joined()
            args += ["-netdev", "user,id=n0" + forwards]
        }
        args += ["-device", (o.machine == .microvm ? "virtio-net-device" : "virtio-net-pci") + ",netdev=n0"]
        if let dump = o.dump { args += ["-object", "filter-dump,id=d0,netdev=n0,file=\(dump)"] }
        if o.gdb { args += ["-gdb", "tcp:127.0.0.1:\(o.gdbPort)", "-S"] }
        args += ["-kernel", image]
        if !o.serviceArguments.isEmpty { args += ["-append", o.serviceArguments.joined(separator: " ")] }
        return args
    }

    /// A command line as a shell would take it back: each word quoted where it needs to be.
    public static func shellWords(_ words: [String]) -> String {
        words.map { w in
            w.allSatisfy({ $0.isLetter || $0.isNumber || "-_./:=,@+".contains($0) }) && !w.isEmpty
                ? w : "'" + w.replacingOccurrences(of: "'", with: "'\\''") + "'"
        }.joined(separator: " ")
    }
}

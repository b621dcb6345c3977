// Talking to a running service over UDP on the loopback interface.
//
// `UDPClient` is one socket of its own, bound to 127.0.0.1 on a port the
// kernel chooses, so tests running in parallel never read each other's
// replies. `request` sends one datagram and waits, with a timeout, for one
// reply.
//
// `ServiceProcess` runs a compiled service as a background process, reads its
// standard error until the runtime has announced every port it listens on
// ("kv: listening on UDP port 40123 (port 7000 in the source)"), and returns the bound ports,
// so a service started with `--netif udp:0` is reachable without guessing a
// free port. Its standard output and error are drained by threads of their own
// the whole time (a full pipe would stall the service). `stop()` sends SIGTERM,
// which the runtime answers by printing its counters and exiting with 0.

import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

public struct UDPError: Error, CustomStringConvertible {
    public let description: String
    init(_ what: String) { description = "\(what): \(String(cString: strerror(errno)))" }
}

/// A UDP socket on 127.0.0.1 for sending requests to a local service.
public final class UDPClient {
    private let fd: Int32
    /// The port this client sends from (and receives replies on).
    public let localPort: UInt16

    /// A client bound to `bindAddress` (loopback by default; "0.0.0.0" to reach other interfaces).
    public init(bindAddress: String = "127.0.0.1") throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw UDPError("socket") }
        var address = UDPClient.address(bindAddress, port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard bound == 0, named == 0 else {
            let error = UDPError("bind")
            close(fd)
            throw error
        }
        self.fd = fd
        localPort = UInt16(bigEndian: address.sin_port)
    }

    deinit { close(fd) }

    /// Send `payload` to 127.0.0.1:`port`.
    public func send(_ payload: [UInt8], to port: UInt16) throws {
        try send(payload, to: "127.0.0.1", port: port)
    }

    /// Send `payload` to `host` (dotted IPv4) and `port`.
    public func send(_ payload: [UInt8], to host: String, port: UInt16) throws {
        var address = UDPClient.address(host, port: port)
        let sent = payload.withUnsafeBytes { bytes in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, bytes.baseAddress, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        guard sent == payload.count else { throw UDPError("sendto \(host):\(port)") }
    }

    /// The next datagram that arrives within `timeout` seconds, with the port it came from; nil on timeout.
    public func receive(timeout: Double) throws -> (payload: [UInt8], port: UInt16)? {
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let left = deadline.timeIntervalSinceNow
            if left <= 0 { return nil }
            var waiting = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&waiting, 1, Int32(min(left * 1000 + 1, 600_000)))
            if ready < 0 {
                if errno == EINTR { continue }
                throw UDPError("poll")
            }
            if ready == 0 { continue }
            var peer = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let n = buffer.withUnsafeMutableBytes { bytes in
                withUnsafeMutablePointer(to: &peer) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        recvfrom(fd, bytes.baseAddress, bytes.count, Int32(MSG_DONTWAIT), $0, &length)
                    }
                }
            }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK { continue }
                throw UDPError("recvfrom")
            }
            return (Array(buffer[0..<n]), UInt16(bigEndian: peer.sin_port))
        }
    }

    /// Send `payload` to 127.0.0.1:`port` and wait for one reply; nil when none comes within `timeout` seconds.
    public func request(_ payload: [UInt8], to port: UInt16, timeout: Double = 5) throws -> [UInt8]? {
        try send(payload, to: port)
        return try receive(timeout: timeout)?.payload
    }

    /// Send `payload` to `host`:`port` and wait for one reply; nil when none comes within `timeout` seconds.
    public func request(_ payload: [UInt8], to host: String, port: UInt16, timeout: Double = 5) throws -> [UInt8]? {
        try send(payload, to: host, port: port)
        return try receive(timeout: timeout)?.payload
    }

    static func address(_ host: String, port: UInt16) -> sockaddr_in {
        var address = loopback(port: port)
        _ = inet_pton(AF_INET, host, &address.sin_addr)
        return address
    }

    static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        return address
    }
}

/// Everything read from a descriptor so far, filled by a thread of its own
/// that closes the descriptor at its end.
final class PipeReader: @unchecked Sendable {
    private let condition = NSCondition()
    private var data: [UInt8] = []
    private var ended = false

    init(_ fd: Int32) {
        let thread = Thread { [self] in
            var chunk = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                condition.lock()
                if n > 0 { data += chunk[0..<n] } else { ended = true }
                condition.broadcast()
                condition.unlock()
                if n <= 0 { break }
            }
            close(fd)
        }
        thread.start()
    }

    /// Wait until `done(text so far, ended)` holds or the deadline passes; the text either way.
    func wait(until deadline: Date, for done: (String, Bool) -> Bool) -> String {
        condition.lock()
        defer { condition.unlock() }
        while true {
            let text = String(decoding: data, as: UTF8.self)
            if done(text, ended) || !condition.wait(until: deadline) { return String(decoding: data, as: UTF8.self) }
        }
    }
}

public struct ServiceError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// A service running in the background.
///
/// Started with posix_spawn rather than Foundation's Process: a child inherits
/// the signal mask of the thread that starts it, and the threads tests run on
/// block SIGTERM, so a service started with Process would not see `stop()`.
/// Here the child starts as from a shell: no signal blocked, the usual ones at
/// their default action, standard input from /dev/null.
public final class ServiceProcess {
    public let pid: pid_t
    /// The port each of the service's source ports is bound to, as announced.
    public let ports: [Int: UInt16]
    private let output: PipeReader
    private let errors: PipeReader
    private var waitStatus: Int32?

    /// Start `executable` and wait (up to `timeout` seconds) until it has announced
    /// `portCount` bound ports. Throws, with its standard error, when it exits or
    /// the time runs out first.
    /// `ready`: wait for this text on standard error instead of announced ports.
    public init(_ executable: String, _ arguments: [String], portCount: Int = 1, ready: String? = nil, timeout: Double = 30) throws {
        // Socket pairs rather than pipes: they can be made close-on-exec at
        // once, so a child another test spawns meanwhile cannot inherit them.
        var out: [Int32] = [-1, -1]
        var err: [Int32] = [-1, -1]
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        guard socketpair(AF_UNIX, type, 0, &out) == 0 else { throw UDPError("socketpair") }
        guard socketpair(AF_UNIX, type, 0, &err) == 0 else {
            let error = UDPError("socketpair")
            close(out[0])
            close(out[1])
            throw error
        }
        pid = try ServiceProcess.spawn(executable, arguments, stdout: out[1], stderr: err[1], closing: [out[0], err[0]])
        close(out[1])
        close(err[1])
        output = PipeReader(out[0])
        errors = PipeReader(err[0])
        let text = errors.wait(until: Date().addingTimeInterval(timeout)) { text, ended in
            ended || (ready.map { text.contains($0) } ?? (ServiceProcess.announcedPorts(text).count >= portCount))
        }
        ports = ServiceProcess.announcedPorts(text)
        if let ready, !text.contains(ready) {
            let result = stop(timeout: 5)
            throw ServiceError("\(executable) did not print '\(ready)' (exit status \(result.status)); standard error:\n\(result.stderr)")
        }
        if ready == nil && ports.count < portCount {
            let result = stop(timeout: 5)
            throw ServiceError(
                "\(executable) announced \(ports.count) of \(portCount) ports "
                    + "(exit status \(result.status)); standard error:\n\(result.stderr)")
        }
    }

    /// Spawn a child whose standard input is /dev/null and whose outputs go to the given descriptors.
    private static func spawn(_ executable: String, _ arguments: [String], stdout: Int32, stderr: Int32, closing: [Int32])
        throws -> pid_t
    {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGHUP, SIGINT, SIGQUIT, SIGPIPE, SIGALRM, SIGTERM, SIGUSR1, SIGUSR2, SIGCHLD] {
            sigaddset(&defaults, signal)
        }
        posix_spawnattr_setsigmask(&attributes, &unblocked)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let environment = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + environment).forEach { free($0) } }
        var pid = pid_t()
        let status = posix_spawn(&pid, executable, &actions, &attributes, argv, environment)
        guard status == 0 else {
            for fd in [stdout, stderr] + closing { close(fd) }
            throw ServiceError("cannot start \(executable): \(String(cString: strerror(status)))")
        }
        return pid
    }

    deinit {
        if waitStatus == nil {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        }
    }

    /// The port that source port `source` is bound to (0 if it was not announced).
    public func port(_ source: Int) -> UInt16 { ports[source] ?? 0 }

    /// Wait up to `timeout` seconds for the service to end by itself: its result, or nil if it is still running.
    public func waitForExit(timeout: Double) -> ProcessResult? {
        if waitStatus == nil {
            let deadline = Date().addingTimeInterval(timeout)
            var status: Int32 = 0
            while true {
                let reaped = waitpid(pid, &status, WNOHANG)
                if reaped == pid || (reaped < 0 && errno != EINTR) { break }
                if Date() >= deadline { return nil }
                usleep(2_000)
            }
            waitStatus = status
        }
        return stop(timeout: 0)
    }

    /// The process's children, by the name of their executable (`/proc/PID/comm`).
    public func children() -> [String: pid_t] {
        let text = (try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? ""
        var out: [String: pid_t] = [:]
        for field in text.split(separator: " ") {
            guard let child = pid_t(field) else { continue }
            let comm = (try? String(contentsOfFile: "/proc/\(child)/comm", encoding: .utf8)) ?? ""
            out[comm.trimmingCharacters(in: .whitespacesAndNewlines)] = child
        }
        return out
    }

    /// Send SIGTERM (SIGKILL after `timeout` seconds) and wait for the service to end.
    @discardableResult
    public func stop(timeout: Double = 30) -> ProcessResult {
        if waitStatus == nil {
            kill(pid, SIGTERM)
            let deadline = Date().addingTimeInterval(timeout)
            var status: Int32 = 0
            var killed = false
            while true {
                let reaped = waitpid(pid, &status, WNOHANG)
                if reaped == pid || (reaped < 0 && errno != EINTR) { break }
                if !killed && Date() >= deadline {
                    kill(pid, SIGKILL)
                    killed = true
                }
                usleep(5_000)
            }
            waitStatus = status
        }
        let end = Date().addingTimeInterval(5)
        let out = output.wait(until: end) { $1 }
        let err = errors.wait(until: end) { $1 }
        let status = waitStatus ?? 0
        let signal = status & 0x7f  // the <sys/wait.h> encoding: WIFSIGNALED, WTERMSIG, WEXITSTATUS
        return ProcessResult(
            status: signal == 0 ? (status >> 8) & 0xff : signal, stdout: out, stderr: err, signaled: signal != 0)
    }

    /// "NAME: listening on UDP port B" lines (the source's port P is B) and "NAME: listening on
    /// UDP port B (port P in the source)" lines, as [P: B]; TCP ports alike.
    public static func announcedPorts(_ text: String) -> [Int: UInt16] {
        var ports: [Int: UInt16] = [:]
        for line in text.split(separator: "\n") {
            guard let said = line.range(of: ": listening on UDP port ") ?? line.range(of: ": listening on TCP port ") else { continue }
            let words = line[said.upperBound...].split(separator: " ")
            guard let bound = UInt16(words.first ?? "") else { continue }
            if words.count == 1 {
                ports[Int(bound)] = bound
            } else if words.count == 6, words[1] == "(port", words[3] == "in", words[4] == "the", words[5] == "source)",
                let source = Int(words[2])
            {
                ports[source] = bound
            }
        }
        return ports
    }
}

// A TCP client for tests: connects to a service on 127.0.0.1, sends bytes, reads what comes
// back with a deadline, and ends its side in the ways a peer may (an orderly end, half of
// one, or a reset).

import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

public final class TCPClient {
    public private(set) var fd: Int32

    /// Connect to 127.0.0.1:`port` (blocking, up to the kernel's time for a local connection).
    public init(port: UInt16) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw UDPError("socket") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            let error = UDPError("connect to port \(port)")
            Glibc.close(fd)
            fd = -1
            throw error
        }
    }

    deinit { close() }

    /// Send all of `bytes` (blocking until the kernel took them).
    public func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw UDPError("send") }
            sent += n
        }
    }

    public func send(_ text: String) throws { try send(Array(text.utf8)) }

    /// Send what the kernel takes now without waiting: how many bytes that was.
    public func sendSome(_ bytes: [UInt8]) -> Int {
        let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress!, bytes.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
        return max(n, 0)
    }

    /// Read until `done` says the bytes so far are enough, the peer ends, or `timeout` seconds
    /// pass: the bytes, and whether the peer ended its side.
    public func receive(timeout: Double = 5, until done: ([UInt8]) -> Bool = { _ in false }) -> (bytes: [UInt8], ended: Bool) {
        var got: [UInt8] = []
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !done(got) {
            let left = deadline.timeIntervalSinceNow
            if left <= 0 { return (got, false) }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&p, 1, Int32(min(left, 1) * 1000) + 1)
            if ready < 0 && errno == EINTR { continue }
            if ready <= 0 { continue }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if n < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            if n <= 0 { return (got, true) }
            got += buffer[0..<n]
        }
        return (got, false)
    }

    /// Read exactly `count` bytes (fewer if the peer ends or the time runs out).
    public func receive(count: Int, timeout: Double = 5) -> [UInt8] {
        receive(timeout: timeout) { $0.count >= count }.bytes
    }

    /// Read until the peer ends its side (or the time runs out): the bytes, and whether it ended.
    public func receiveToEnd(timeout: Double = 10) -> (bytes: [UInt8], ended: Bool) { receive(timeout: timeout) }

    /// End the sending side (the peer reads its end); reading goes on.
    public func shutdownWrite() { shutdown(fd, Int32(SHUT_WR)) }

    /// Close so that the peer gets a reset rather than an orderly end.
    public func reset() {
        var l = linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, socklen_t(MemoryLayout<linger>.size))
        close()
    }

    public func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }
}

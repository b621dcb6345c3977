// The net module's `TcpDevice`, for the reference interpreter: the kernel's TCP on
// 127.0.0.1/0.0.0.0 listeners (`--netif tcp:PORT[,PORT...]`, or the source's ports), written
// from the device's documented behaviour (Documentation/Builtins.md), not from the runtime.
//
// Events come one at a time: a connection opened, the bytes one read brought (at most
// 64 KiB), or its end (the peer's end or reset, or the program's close), exactly once, last.
// Bytes sent wait in the connection's queue and are written whenever the sockets are
// waited on; a peer with more than 1 MiB waiting is not read from until it is down to
// 256 KiB. After its closed event a connection sends what waits, shuts its sending side,
// and is read and dropped from until the peer closes (30 seconds at most). Ids are unique
// for the run, as the runtime's are; their values are the interpreter's own.

import CleaveSema
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

final class TcpSockets: Device {
    enum Event {
        case opened(Connection)
        case received(Connection, [UInt8])
        case closed(Connection)
    }

    final class Connection {
        let id: Int
        let fd: Int32
        let port: Int
        let peerAddress: UInt32
        let peerPort: UInt16
        var output: [UInt8] = []
        var closing = false  // its closed event is queued or has been handed out
        var retired = false  // handed out: only sending what waits and reading the peer's end are left
        var peerDone = false
        var broken = false
        var deadline = Date.distantFuture

        init(id: Int, fd: Int32, port: Int, peerAddress: UInt32, peerPort: UInt16) {
            self.id = id
            self.fd = fd
            self.port = port
            self.peerAddress = peerAddress
            self.peerPort = peerPort
        }
    }

    static let high = 1 << 20, low = 256 << 10, limit = 64 << 20, chunk = 65536

    var listeners: [Int32] = []
    var connections: [Int: Connection] = [:]
    var order: [Int] = []  // connection ids, oldest first, for a fair turn at reading
    var pendingClosed: [Connection] = []
    var handedOut: [Connection] = []  // closed events the program has had: retired at the next receive
    var serial = 0

    init(ports: [Int], bind: [Int], name: String, output: (String) -> Void) throws {
        super.init(ports: ports)
        counters.tcpPorts = ports.count
        for (source, wanted) in zip(ports, bind) {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { throw DeviceFailure(message: "tcp: port \(source): cannot create a socket") }
            var on: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(wanted).bigEndian)
            address.sin_addr = in_addr(s_addr: 0)
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0, listen(fd, 4096) == 0 else {
                Glibc.close(fd)
                throw DeviceFailure(message: "tcp: port \(source): cannot listen on 0.0.0.0:\(wanted)")
            }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            let port = Int(UInt16(bigEndian: address.sin_port))
            output(
                port == source
                    ? "\(name): listening on TCP port \(port)" : "\(name): listening on TCP port \(port) (port \(source) in the source)")
            listeners.append(fd)
        }
    }

    /// The next event; throws `InputEnded` when a stop is asked for.
    func next() throws -> Event {
        for c in handedOut { retire(c) }
        handedOut = []
        while true {
            if stopped { throw InputEnded() }
            if !pendingClosed.isEmpty {
                let c = pendingClosed.removeFirst()
                return handOut(c)
            }
            if let e = poll() { return e }
        }
    }

    private func handOut(_ c: Connection) -> Event {
        c.closing = true
        handedOut.append(c)
        return .closed(c)
    }

    /// One wait on every socket, then the first thing it brought, oldest connection first.
    private func poll() -> Event? {
        let now = Date()
        for c in connections.values where c.retired && c.deadline < now {
            counters.reset += 1
            release(c, reset: true)
        }
        let live = order.compactMap { connections[$0] }
        var polls = listeners.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        for c in live {
            var events: Int32 = 0
            if reading(c) { events |= Int32(POLLIN) }
            if !c.output.isEmpty && !c.broken { events |= Int32(POLLOUT) }
            polls.append(pollfd(fd: c.fd, events: Int16(events), revents: 0))
        }
        let n = Glibc.poll(&polls, nfds_t(polls.count), 100)
        if n <= 0 { return nil }
        for (k, c) in live.enumerated() {
            let revents = Int32(polls[listeners.count + k].revents)
            if revents == 0 { continue }
            if revents & Int32(POLLOUT | POLLERR | POLLHUP) != 0 && !c.output.isEmpty { flush(c) }
            if c.retired {
                if revents & Int32(POLLIN | POLLERR | POLLHUP) != 0 { drain(c) }
                continue
            }
            if revents & Int32(POLLIN | POLLERR | POLLHUP) != 0 && reading(c), let e = read(c) { return e }
        }
        for (i, fd) in listeners.enumerated() where polls[i].revents != 0 {
            if let e = accept(fd, port: ports[i]) { return e }
        }
        return nil
    }

    private func reading(_ c: Connection) -> Bool {
        if c.retired { return !c.peerDone }
        return !c.closing && !c.broken && c.output.count <= TcpSockets.high
    }

    private func accept(_ listener: Int32, port: Int) -> Event? {
        var peer = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let fd = withUnsafeMutablePointer(to: &peer) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.accept(listener, $0, &length) }
        }
        guard fd >= 0 else { return nil }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        serial += 1
        let c = Connection(
            id: serial, fd: fd, port: port, peerAddress: UInt32(bigEndian: peer.sin_addr.s_addr),
            peerPort: UInt16(bigEndian: peer.sin_port))
        connections[c.id] = c
        order.append(c.id)
        counters.opened += 1
        return .opened(c)
    }

    private func read(_ c: Connection) -> Event? {
        var buffer = [UInt8](repeating: 0, count: TcpSockets.chunk)
        let n = recv(c.fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
        if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) { return nil }
        if n > 0 {
            counters.bytesReceived += n
            return .received(c, Array(buffer[0..<n]))
        }
        if n == 0 {
            c.peerDone = true
        } else {
            c.broken = true
            c.output = []
        }
        return handOut(c)
    }

    /// A retired connection's peer: what it sends is dropped; its end ends the connection.
    private func drain(_ c: Connection) {
        var buffer = [UInt8](repeating: 0, count: TcpSockets.chunk)
        let n = recv(c.fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
        if n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR)) { return }
        if n < 0 {
            release(c, reset: true)
            return
        }
        c.peerDone = true
        finish(c)
    }

    private func flush(_ c: Connection) {
        while !c.output.isEmpty && !c.broken {
            let n = c.output.withUnsafeBytes { Glibc.send(c.fd, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
            if n > 0 {
                counters.bytesSent += n
                c.output.removeFirst(n)
                continue
            }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) { return }
            broke(c)
        }
        if c.retired { finish(c) }
    }

    private func broke(_ c: Connection) {
        c.broken = true
        c.output = []
        if !c.closing {
            c.closing = true
            pendingClosed.append(c)
        }
    }

    private func retire(_ c: Connection) {
        guard connections[c.id] != nil else { return }
        c.retired = true
        c.deadline = Date().addingTimeInterval(30)
        if c.broken {
            release(c, reset: true)
            return
        }
        flush(c)
    }

    /// A retired connection whose bytes have left: its sending side shut, and closed once the peer's end came.
    private func finish(_ c: Connection) {
        guard connections[c.id] != nil else { return }
        if c.broken {
            release(c, reset: true)
            return
        }
        guard c.output.isEmpty else { return }
        shutdown(c.fd, Int32(SHUT_WR))
        if c.peerDone { release(c, reset: false) }
    }

    private func release(_ c: Connection, reset: Bool) {
        if reset {
            var l = linger(l_onoff: 1, l_linger: 0)
            setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &l, socklen_t(MemoryLayout<linger>.size))
        }
        Glibc.close(c.fd)
        connections[c.id] = nil
        order.removeAll { $0 == c.id }
    }

    func send(_ bytes: [UInt8], on id: Int) {
        guard let c = connections[id], !c.retired, !c.broken, !(c.closing && !handedOut.contains(where: { $0 === c })) else {
            counters.bytesDropped += bytes.count
            return
        }
        if c.output.count + bytes.count > TcpSockets.limit {
            counters.bytesDropped += bytes.count
            counters.reset += 1
            broke(c)
            return
        }
        c.output += bytes
        flush(c)
    }

    func closeConnection(_ id: Int) {
        guard let c = connections[id], !c.closing else { return }
        c.closing = true
        pendingClosed.append(c)
    }

    override func close() {
        for c in connections.values {
            flush(c)
            Glibc.close(c.fd)
        }
        connections = [:]
        for fd in listeners { Glibc.close(fd) }
        listeners = []
    }
}

extension Interpreter {
    /// A `TcpDevice`'s extern members: the device, its events as `TcpEvent` values, sending and closing.
    func tcpExternCall(_ fn: TFunction, receiver: Value?, arguments: [Value]) throws -> Value {
        switch (fn.name, fn.kind) {
        case (_, .initializer(let t)):
            let ports: [Int]
            switch arguments.first {
            case .array(let xs)?: ports = xs.map { Int($0.integer) }
            case .int(let p)?: ports = [Int(p)]
            default: ports = []
            }
            let spec = devices.count < netifSpecs.count ? netifSpecs[devices.count] : nil
            var bind = ports
            if let spec {
                guard spec == "tcp" || spec.hasPrefix("tcp:") else {
                    throw DeviceFailure(
                        message: "--netif '\(spec)': device \(devices.count + 1) is a TcpDevice, which takes tcp:PORT[,PORT...]")
                }
                let list = spec.dropFirst(4).split(separator: ",", omittingEmptySubsequences: false).map { Int($0) }
                if !(list.count == 1 && spec.count <= 4) {
                    guard list.count == ports.count, list.allSatisfy({ $0 != nil && (0...65535).contains($0!) }) else {
                        throw DeviceFailure(message: "--netif '\(spec)': give \(ports.count) port(s), each 0 to 65535")
                    }
                    bind = list.map { $0! }
                }
            }
            let device = try TcpSockets(ports: ports, bind: bind, name: name, output: output)
            devices.append(device)
            let state = StateObject(type: t, fields: [])
            state.device = device
            return .state(state)
        case ("receive", _):
            guard let device = receiver?.stateObject?.device as? TcpSockets else { throw InputEnded() }
            let cases = try tcpEventCases()
            func connection(_ c: TcpSockets.Connection) -> Value {
                .record([.int(Int128(c.id)), .int(Int128(c.port)), .int(Int128(c.peerAddress)), .int(Int128(c.peerPort))])
            }
            switch try device.next() {
            case .opened(let c): return .enumCase(cases.opened, [connection(c)])
            case .received(let c, let bytes): return .enumCase(cases.received, [connection(c), .bytes(bytes)])
            case .closed(let c): return .enumCase(cases.closed, [connection(c)])
            }
        case ("send", _):
            guard let device = receiver?.stateObject?.device as? TcpSockets, arguments.count == 2 else { return .void }
            device.send(arguments[0].byteArray, on: Int(arguments[1].elements[0].integer))
            return .void
        case ("close", _):
            guard let device = receiver?.stateObject?.device as? TcpSockets, let c = arguments.first else { return .void }
            device.closeConnection(Int(c.elements[0].integer))
            return .void
        default:
            throw Unsupported(description: "the interpreter has no TcpDevice.\(fn.name)")
        }
    }

    /// The case numbers of the net module's `TcpEvent`.
    func tcpEventCases() throws -> (opened: Int, received: Int, closed: Int) {
        guard let event = program.types.first(where: { $0.isStandard && $0.name == "TcpEvent" }) else {
            throw Unsupported(description: "the net module has no TcpEvent")
        }
        let names = event.cases.map(\.name)
        guard let o = names.firstIndex(of: "opened"), let r = names.firstIndex(of: "received"), let c = names.firstIndex(of: "closed")
        else { throw Unsupported(description: "the net module's TcpEvent lacks a case") }
        return (o, r, c)
    }
}

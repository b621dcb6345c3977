// The net module's IPv4 stack, written in Cleave: Ethernet II, ARP, IPv4 with
// fragmentation and reassembly, ICMP echo and UDP, over a FrameDevice.
//
// It is a state like any other: a program creates it in `main` and calls it,
// and the passes place it like any other (seed 000's device | ip_stack | store).
// Its one call on the device is `poll(_:)`, which takes the device `inout`:
// lambda lifting splits it at each of the device's calls, so the stack can be
// a component of its own. Everything else it does is ordinary Cleave on its
// own fields: nothing here is special to the compiler.

extension StandardModules {
    static let netStack = #"""
        // ---- Cleave's IPv4 stack ------------------------------------------------------------

        /// A UDP datagram waiting for the next hop's Ethernet address.
        struct PendingDatagram {
            let nextHop: UInt32
            let destination: UInt32
            let proto: UInt8
            let payload: Bytes
        }

        /// What the stack knows of a neighbour's Ethernet address (ARP).
        struct Neighbour {
            let mac: Bytes
            let expires: Int
        }

        /// A question asked with ARP and not answered yet.
        struct Resolving {
            var asked: Int
            var attempts: Int
        }

        /// The bytes [start, end) of a datagram being reassembled.
        struct Extent {
            let start: Int
            let end: Int
        }

        /// An IPv4 datagram arriving in fragments.
        struct Reassembly {
            var data: Bytes
            var extents: [Extent]
            /// Its length, once the last fragment has come; -1 before.
            var total: Int
            let started: Int
            let source: UInt32
            let destination: UInt32
            let proto: UInt8
        }

        /// The ones' complement sum of the 16-bit big-endian words of `b[start..<end]` (a last
        /// odd byte padded with zero), added to `sum` and not yet folded.
        func onesComplementSum(_ b: Bytes, _ start: Int, _ end: Int, _ sum: Int) -> Int {
            var total = sum
            var i = start
            while i + 1 < end {
                total += Int(b.readUInt16(at: i))
                i += 2
            }
            if i < end {
                total += Int(b[i]) << 8
            }
            return total
        }

        /// The Internet checksum of a sum (RFC 1071): folded to 16 bits and complemented.
        func internetChecksum(_ sum: Int) -> UInt16 {
            var s = sum
            while s > 0xffff {
                s = (s & 0xffff) + (s >> 16)
            }
            return UInt16(0xffff - s)
        }

        /// The netmask of a prefix of `prefixLength` bits (clamped to 0...32).
        func netmaskOf(_ prefixLength: Int) -> UInt32 {
            let length = prefixLength < 0 ? 0 : prefixLength > 32 ? 32 : prefixLength
            return length == 0 ? 0 : UInt32(truncatingIfNeeded: 0xffff_ffff << (32 - length))
        }

        /// The sum of the UDP pseudo header: addresses, protocol 17, UDP length.
        func udpPseudoHeaderSum(_ source: UInt32, _ destination: UInt32, _ length: Int) -> Int {
            return Int(source >> 16) + Int(source & 0xffff) + Int(destination >> 16) + Int(destination & 0xffff) + 17 + length
        }

        /// Cleave's IPv4 stack on one Ethernet link: it answers ARP for its address and ICMP echo
        /// (ping), reassembles fragments, checks every checksum, and hands the UDP datagrams to
        /// its ports to the program; it resolves the next hop of what the program sends with ARP
        /// and fragments what does not fit the link. Whatever it cannot use is dropped and
        /// counted by reason (`drops`); no frame can make it trap.
        state NetStack {
            var mac: Bytes
            var address: UInt32
            var netmask: UInt32
            var gateway: UInt32
            let ports: [Int]
            /// Made with `init(ports:)`: the addresses come from the device's link, at the first call.
            var configured: Bool = true
            /// The largest IPv4 datagram one frame carries.
            let mtu: Int = 1500
            /// ff:ff:ff:ff:ff:ff, made once rather than for every frame compared with it.
            let broadcastMac: Bytes = Bytes(repeating: 0xff, count: 6)

            /// UDP datagrams received for the program, oldest first.
            var received: [Datagram] = []
            /// Frames waiting to be sent at the next poll.
            var outgoing: [Bytes] = []
            var neighbours: Map<UInt32, Neighbour> = Map()
            var resolving: Map<UInt32, Resolving> = Map()
            var pending: [PendingDatagram] = []
            var pendingBytes: Int = 0
            var assembling: Map<UInt64, Reassembly> = Map()
            var assemblingBytes: Int = 0
            var identification: UInt16 = 0
            /// Milliseconds, the device's clock at the last poll or frame received.
            var now: Int = 0
            var announced: Bool = false
            /// Frames and datagrams dropped, by reason.
            var drops: Map<String, Int> = Map()
            /// Frames taken from the device, and frames handed to it.
            var framesIn: Int = 0
            var framesOut: Int = 0

            /// A stack with Ethernet address `mac` (6 bytes) and IPv4 `address` in a subnet of
            /// `prefixLength` bits, reaching other subnets through `gateway` (0: none), receiving
            /// UDP on `ports`.
            init(mac: Bytes, address: UInt32, prefixLength: Int, gateway: UInt32, ports: [Int]) {
                self.mac = mac
                self.address = address
                self.netmask = netmaskOf(prefixLength)
                self.gateway = gateway
                self.ports = ports
            }

            /// A stack receiving UDP on `ports` whose addresses are those of the link its device
            /// is opened on (`--netif tap:NAME,ip=A/LEN,gw=G,mac=M`): what a `UdpDevice` becomes
            /// in a build on Cleave's own stack (`cleave build --net direct`).
            init(ports: [Int]) {
                self.mac = Bytes(repeating: 0, count: 6)
                self.address = 0
                self.netmask = 0
                self.gateway = 0
                self.ports = ports
                self.configured = false
            }

            // ---- A UdpDevice's calls, on the stack ----------------------------------------

            /// The next UDP datagram for the program: frames are taken from the device and
            /// answered (ARP, ping) until one brings a datagram, waiting for the device in
            /// between (`UdpDevice.receive()`, on Cleave's own stack). Each turn is `poll`'s,
            /// written out: a method that takes the device calls only the device, never a
            /// method of its own that takes it too (lambda lifting splits the calls on the
            /// device, one level deep), so the turn's work is shared through `begin`, `take`
            /// and `flush` instead.
            func nextDatagram(from device: inout FrameDevice) -> Datagram {
                if !configured {
                    configure(device.mac(), device.address(), device.prefixLength(), device.gateway())
                    device.listening(ports)
                }
                while received.isEmpty {
                    for frame in begin(device.now()) {
                        device.send(frame)
                    }
                    while received.isEmpty {
                        guard let frame = device.receive() else {
                            break
                        }
                        take(frame, device.now())
                    }
                    for frame in flush() {
                        device.send(frame)
                    }
                    if received.isEmpty {
                        device.wait(delay())
                    }
                }
                return received.remove(at: 0)
            }

            /// Send a UDP datagram at once, or as soon as its next hop is known
            /// (`UdpDevice.send(_:)`, on Cleave's own stack).
            func sendDatagram(_ datagram: Datagram, through device: inout FrameDevice) {
                if !configured {
                    configure(device.mac(), device.address(), device.prefixLength(), device.gateway())
                    device.listening(ports)
                }
                now = device.now()
                send(datagram)
                for frame in flush() {
                    device.send(frame)
                }
            }

            func configure(_ mac: Bytes, _ address: UInt32, _ prefixLength: Int, _ gateway: UInt32) {
                self.mac = mac
                self.address = address
                self.netmask = netmaskOf(prefixLength)
                self.gateway = gateway
                configured = true
            }

            /// The start of a turn at the device at time `at`: the announcement at the first,
            /// timers, and the frames waiting to be sent.
            func begin(_ at: Int) -> [Bytes] {
                now = at
                if !announced {
                    announced = true
                    announce()
                }
                expire()
                return flush()
            }

            /// One frame from the device, received at time `at`.
            func take(_ frame: Bytes, _ at: Int) {
                now = at
                framesIn += 1
                input(frame)
            }

            /// The frames waiting to be sent, handed over.
            func flush() -> [Bytes] {
                let frames = outgoing
                framesOut += frames.count
                outgoing = []
                return frames
            }

            // ---- The device ----------------------------------------------------------------

            /// Send what is waiting, take the device's frames until one is a datagram for the
            /// program (or none is left), answering what the stack answers itself (ARP, ping),
            /// then send those answers: one call on the device's side of the loop.
            func poll(_ device: inout FrameDevice) {
                for frame in begin(device.now()) {
                    device.send(frame)
                }
                // Frames until one brings the program a datagram: what waits for the program is
                // one datagram at most, and a burst stays in the device until it is wanted.
                while received.isEmpty {
                    guard let frame = device.receive() else {
                        break
                    }
                    // The time of this frame: a capture's clock moves with the frames it gives.
                    take(frame, device.now())
                }
                for frame in flush() {
                    device.send(frame)
                }
            }

            /// The next UDP datagram received for the program, if one has come.
            func receive() -> Datagram? {
                if received.isEmpty {
                    return nil
                }
                return received.remove(at: 0)
            }

            /// Queue a UDP datagram from the stack's port `datagram.port` to its peer; it leaves
            /// at the next poll, once the next hop is known. A payload that does not fit a UDP
            /// datagram (65,507 bytes) is dropped and counted.
            func send(_ datagram: Datagram) {
                let length = 8 + datagram.payload.count
                if length > 65515 - 20 {
                    drop("udp: reply too long")
                    return
                }
                var udp = Bytes(repeating: 0, count: 8)
                udp.writeUInt16(UInt16(truncatingIfNeeded: datagram.port), at: 0)
                udp.writeUInt16(datagram.peerPort, at: 2)
                udp.writeUInt16(UInt16(length), at: 4)
                udp.append(contentsOf: datagram.payload)
                var sum = internetChecksum(onesComplementSum(udp, 0, length, udpPseudoHeaderSum(address, datagram.peerAddress, length)))
                if sum == 0 {
                    sum = 0xffff
                }
                udp.writeUInt16(sum, at: 6)
                output(datagram.peerAddress, 17, udp)
            }

            /// How long the loop may wait for the device, in milliseconds: not at all while
            /// something waits to be read or sent, and no longer than the next timer.
            func delay() -> Int32 {
                if !received.isEmpty || !outgoing.isEmpty {
                    return 0
                }
                if !resolving.isEmpty || !assembling.isEmpty {
                    return 100
                }
                return 1000
            }

            /// One line of what the stack counted: frames in and out, and drops by reason.
            func report() -> String {
                var line = "stack: \(framesIn) frames in, \(framesOut) out"
                for (reason, count) in drops {
                    line = line + "; \(count) dropped (\(reason))"
                }
                return line
            }

            /// Drops of one reason so far.
            func dropped(_ reason: String) -> Int {
                return drops[reason] ?? 0
            }

            func drop(_ reason: String) {
                drops[reason] = (drops[reason] ?? 0) + 1
            }

            // ---- Ethernet -------------------------------------------------------------------

            func input(_ frame: Bytes) {
                if frame.count < 14 {
                    drop("ethernet: truncated")
                    return
                }
                let destination = frame[0..<6]
                if destination != mac && destination != broadcastMac {
                    drop("ethernet: not for us")
                    return
                }
                let type = frame.readUInt16(at: 12)
                if type == 0x0806 {
                    arpInput(frame)
                } else if type == 0x0800 {
                    ipInput(frame)
                } else {
                    drop("ethernet: not ARP or IPv4")
                }
            }

            func framed(_ to: Bytes, _ type: UInt16, _ body: Bytes) -> Bytes {
                var f = to + mac + Bytes(repeating: 0, count: 2)
                f.writeUInt16(type, at: 12)
                f.append(contentsOf: body)
                return f
            }

            // ---- ARP (RFC 826) ----------------------------------------------------------------

            func arpInput(_ frame: Bytes) {
                if frame.count < 14 + 28 {
                    drop("arp: truncated")
                    return
                }
                if frame.readUInt16(at: 14) != 1 || frame.readUInt16(at: 16) != 0x0800 || frame[18] != 6 || frame[19] != 4 {
                    drop("arp: not Ethernet and IPv4")
                    return
                }
                let operation = frame.readUInt16(at: 20)
                let senderMac = frame[22..<28]
                let sender = frame.readUInt32(at: 28)
                let target = frame.readUInt32(at: 38)
                if operation != 1 && operation != 2 {
                    drop("arp: unknown operation")
                    return
                }
                if sender == address {
                    drop("arp: from our own address")
                    return
                }
                // RFC 826: update a neighbour we know; learn one that asks for us or answers us.
                if sender != 0 && (neighbours[sender] != nil || target == address) {
                    learn(sender, senderMac)
                }
                if target != address {
                    drop("arp: not for us")
                    return
                }
                if operation == 1 {
                    var reply = Bytes(repeating: 0, count: 28)
                    reply.writeUInt16(1, at: 0)
                    reply.writeUInt16(0x0800, at: 2)
                    reply[4] = 6
                    reply[5] = 4
                    reply.writeUInt16(2, at: 6)
                    for i in 0..<6 {
                        reply[8 + i] = mac[i]
                        reply[18 + i] = senderMac[i]
                    }
                    reply.writeUInt32(address, at: 14)
                    reply.writeUInt32(sender, at: 24)
                    outgoing.append(framed(senderMac, 0x0806, reply))
                }
            }

            func learn(_ neighbour: UInt32, _ neighbourMac: Bytes) {
                let known = neighbours.count < 1024 || neighbours[neighbour] != nil
                if !known {
                    drop("arp: neighbour table full")
                    return
                }
                neighbours[neighbour] = Neighbour(mac: neighbourMac, expires: now + 60000)
                resolving[neighbour] = nil
                // What waited for this neighbour leaves now, in the order it was sent.
                var still: [PendingDatagram] = []
                for p in pending {
                    if p.nextHop == neighbour {
                        pendingBytes -= p.payload.count
                        transmit(neighbourMac, p.destination, p.proto, p.payload)
                    } else {
                        still.append(p)
                    }
                }
                pending = still
            }

            func arpRequest(_ target: UInt32, _ sender: UInt32) {
                var request = Bytes(repeating: 0, count: 28)
                request.writeUInt16(1, at: 0)
                request.writeUInt16(0x0800, at: 2)
                request[4] = 6
                request[5] = 4
                request.writeUInt16(1, at: 6)
                for i in 0..<6 {
                    request[8 + i] = mac[i]
                }
                request.writeUInt32(sender, at: 14)
                request.writeUInt32(target, at: 24)
                outgoing.append(framed(Bytes(repeating: 0xff, count: 6), 0x0806, request))
            }

            /// Gratuitous ARP: a request for our own address, so that the link updates its caches.
            func announce() {
                arpRequest(address, address)
            }

            /// Neighbours forgotten, questions asked again or given up, reassemblies timed out.
            func expire() {
                for (neighbour, entry) in neighbours {
                    if entry.expires <= now {
                        neighbours[neighbour] = nil
                    }
                }
                for (hop, question) in resolving {
                    if now - question.asked >= 1000 {
                        if question.attempts >= 3 {
                            resolving[hop] = nil
                            giveUp(hop)
                        } else {
                            resolving[hop] = Resolving(asked: now, attempts: question.attempts + 1)
                            arpRequest(hop, address)
                        }
                    }
                }
                for (key, r) in assembling {
                    if now - r.started >= 30000 {
                        assemblingBytes -= r.data.count
                        assembling[key] = nil
                        drop("ipv4: reassembly timed out")
                    }
                }
            }

            func giveUp(_ hop: UInt32) {
                var still: [PendingDatagram] = []
                for p in pending {
                    if p.nextHop == hop {
                        pendingBytes -= p.payload.count
                        drop("arp: no answer")
                    } else {
                        still.append(p)
                    }
                }
                pending = still
            }

            // ---- IPv4 (RFC 791) -----------------------------------------------------------------

            func ipInput(_ frame: Bytes) {
                if frame.count < 14 + 20 {
                    drop("ipv4: truncated")
                    return
                }
                let versionAndLength = frame[14]
                let headerLength = Int(versionAndLength & 0x0f) * 4
                let totalLength = Int(frame.readUInt16(at: 16))
                if versionAndLength >> 4 != 4 || headerLength < 20 || totalLength < headerLength || 14 + totalLength > frame.count {
                    drop("ipv4: bad header")
                    return
                }
                if internetChecksum(onesComplementSum(frame, 14, 14 + headerLength, 0)) != 0 {
                    drop("ipv4: bad checksum")
                    return
                }
                let source = frame.readUInt32(at: 26)
                let destination = frame.readUInt32(at: 30)
                let broadcast = destination == 0xffff_ffff || (netmask != 0 && destination == address | ~netmask)
                if destination != address && !broadcast {
                    drop("ipv4: not for us")
                    return
                }
                let proto = frame[23]
                let flags = frame.readUInt16(at: 20)
                let offset = Int(flags & 0x1fff) * 8
                let more = flags & 0x2000 != 0
                let payload = frame[(14 + headerLength)..<(14 + totalLength)]
                if more || offset != 0 {
                    let key = UInt64(source) << 24 | UInt64(frame.readUInt16(at: 18)) << 8 | UInt64(proto)
                    fragmentInput(key, source, destination, proto, offset, more, payload)
                    return
                }
                deliver(source, destination, proto, payload)
            }

            func deliver(_ source: UInt32, _ destination: UInt32, _ proto: UInt8, _ payload: Bytes) {
                if proto == 1 {
                    icmpInput(source, destination, payload)
                } else if proto == 17 {
                    udpInput(source, destination, payload)
                } else {
                    drop("ipv4: not ICMP or UDP")
                }
            }

            /// One fragment: kept until its datagram is whole (at most 64 KiB each, 1 MiB in all,
            /// 30 s); a fragment that overlaps another with different bytes spoils its datagram.
            func fragmentInput(_ key: UInt64, _ source: UInt32, _ destination: UInt32, _ proto: UInt8, _ offset: Int, _ more: Bool, _ part: Bytes) {
                let end = offset + part.count
                if end > 65515 || (more && part.count % 8 != 0) || part.isEmpty {
                    drop("ipv4: bad fragment")
                    return
                }
                var r = assembling[key] ?? Reassembly(data: Bytes(), extents: [], total: -1, started: now, source: source, destination: destination, proto: proto)
                if assembling[key] == nil && assembling.count >= 64 {
                    drop("ipv4: too many reassemblies")
                    return
                }
                if !more {
                    if r.total >= 0 && r.total != end {
                        spoil(key, r)
                        return
                    }
                    r.total = end
                }
                if (r.total >= 0 && end > r.total) {
                    spoil(key, r)
                    return
                }
                for e in r.extents {
                    if offset < e.end && e.start < end {
                        if e.start == offset && e.end == end {
                            drop("ipv4: duplicate fragment")
                            return
                        }
                        spoil(key, r)
                        return
                    }
                }
                let grow = end > r.data.count ? end - r.data.count : 0
                if assemblingBytes + grow > 1048576 {
                    drop("ipv4: reassembly memory full")
                    return
                }
                if grow > 0 {
                    r.data.append(contentsOf: Bytes(repeating: 0, count: grow))
                    assemblingBytes += grow
                }
                r.data = r.data[0..<offset] + part + r.data[end..<r.data.count]
                r.extents.append(Extent(start: offset, end: end))
                var covered = 0
                for e in r.extents {
                    covered += e.end - e.start
                }
                if r.total >= 0 && covered == r.total {
                    assembling[key] = nil
                    assemblingBytes -= r.data.count
                    deliver(r.source, r.destination, r.proto, r.data)
                } else {
                    assembling[key] = r
                }
            }

            func spoil(_ key: UInt64, _ r: Reassembly) {
                if assembling[key] != nil {
                    assemblingBytes -= r.data.count
                    assembling[key] = nil
                }
                drop("ipv4: overlapping fragments")
            }

            /// Send `payload` as an IPv4 datagram of protocol `proto` to `destination`, through
            /// the gateway when it is not on the link: now when the next hop's address is known,
            /// else once ARP has found it (a bounded queue waits meanwhile).
            func output(_ destination: UInt32, _ proto: UInt8, _ payload: Bytes) {
                let onLink = (destination & netmask) == (address & netmask) || destination == 0xffff_ffff
                if !onLink && gateway == 0 {
                    drop("ipv4: no route")
                    return
                }
                let hop = onLink ? destination : gateway
                if hop == 0xffff_ffff || (netmask != 0 && hop == address | ~netmask) {
                    transmit(Bytes(repeating: 0xff, count: 6), destination, proto, payload)
                    return
                }
                if let n = neighbours[hop] {
                    transmit(n.mac, destination, proto, payload)
                    return
                }
                if pending.count >= 64 || pendingBytes + payload.count > 1048576 {
                    drop("arp: queue full")
                    return
                }
                pending.append(PendingDatagram(nextHop: hop, destination: destination, proto: proto, payload: payload))
                pendingBytes += payload.count
                if resolving[hop] == nil {
                    resolving[hop] = Resolving(asked: now, attempts: 1)
                    arpRequest(hop, address)
                }
            }

            /// The frames of one datagram: one, or fragments of at most `mtu` bytes.
            func transmit(_ to: Bytes, _ destination: UInt32, _ proto: UInt8, _ payload: Bytes) {
                identification = identification &+ 1
                let room = (mtu - 20) / 8 * 8
                var offset = 0
                while true {
                    let size = payload.count - offset > room ? room : payload.count - offset
                    let last = offset + size == payload.count
                    var header = Bytes(repeating: 0, count: 20)
                    header[0] = 0x45
                    header.writeUInt16(UInt16(20 + size), at: 2)
                    header.writeUInt16(identification, at: 4)
                    header.writeUInt16(UInt16(offset / 8) | (last ? 0 : 0x2000), at: 6)
                    header[8] = 64
                    header[9] = proto
                    header.writeUInt32(address, at: 12)
                    header.writeUInt32(destination, at: 16)
                    header.writeUInt16(internetChecksum(onesComplementSum(header, 0, 20, 0)), at: 10)
                    header.append(contentsOf: payload[offset..<(offset + size)])
                    outgoing.append(framed(to, 0x0800, header))
                    offset += size
                    if last {
                        break
                    }
                }
            }

            // ---- ICMP (RFC 792) -------------------------------------------------------------------

            func icmpInput(_ source: UInt32, _ destination: UInt32, _ message: Bytes) {
                if message.count < 8 {
                    drop("icmp: truncated")
                    return
                }
                if internetChecksum(onesComplementSum(message, 0, message.count, 0)) != 0 {
                    drop("icmp: bad checksum")
                    return
                }
                if message[0] != 8 || message[1] != 0 {
                    drop("icmp: not an echo request")
                    return
                }
                if destination != address {
                    drop("icmp: echo to a broadcast")
                    return
                }
                var reply = message
                reply[0] = 0
                reply.writeUInt16(0, at: 2)
                reply.writeUInt16(internetChecksum(onesComplementSum(reply, 0, reply.count, 0)), at: 2)
                output(source, 1, reply)
            }

            // ---- UDP (RFC 768) --------------------------------------------------------------------

            func udpInput(_ source: UInt32, _ destination: UInt32, _ datagram: Bytes) {
                if datagram.count < 8 {
                    drop("udp: truncated")
                    return
                }
                let length = Int(datagram.readUInt16(at: 4))
                if length < 8 || length > datagram.count {
                    drop("udp: bad length")
                    return
                }
                if datagram.readUInt16(at: 6) != 0 {
                    if internetChecksum(onesComplementSum(datagram, 0, length, udpPseudoHeaderSum(source, destination, length))) != 0 {
                        drop("udp: bad checksum")
                        return
                    }
                }
                let port = Int(datagram.readUInt16(at: 2))
                if !ports.contains(port) {
                    drop("udp: no such port")
                    return
                }
                if received.count >= 1024 {
                    drop("udp: queue full")
                    return
                }
                received.append(Datagram(payload: datagram[8..<length], port: port, peerAddress: source, peerPort: datagram.readUInt16(at: 0)))
            }
        }
        """#
}

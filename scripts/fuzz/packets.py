"""Frames and captures: Ethernet, ARP, IPv4 (with fragments) and UDP, written
into classic pcap files, and the replies read back out of them.

The builders make well-formed packets (right lengths and checksums); the
fuzzers break them afterwards, so a broken packet is always "a good packet
with this one thing wrong" or plain junk. Captures are little-endian,
microsecond pcap with link type Ethernet, one second between records from a
fixed start, so a capture depends only on its records.
"""

import struct

ETHERNET = 1
BROADCAST = b"\xff" * 6
CLIENT_MAC = bytes([2, 0, 0, 0, 0, 0x10])
SERVICE_MAC = bytes([2, 0, 0, 0, 0, 1])


def ip(text):
    """A dotted quad as a 32-bit number."""
    a, b, c, d = (int(x) for x in text.split("."))
    return a << 24 | b << 16 | c << 8 | d


def ones_sum(data, total=0):
    """The ones' complement sum of big-endian 16-bit words, not yet folded."""
    if len(data) % 2:
        data = data + b"\0"
    for (word,) in struct.iter_unpack("!H", data):
        total += word
    return total


def checksum(total):
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ethernet(payload, destination=SERVICE_MAC, source=CLIENT_MAC, kind=0x0800, vlan=None):
    tag = struct.pack("!HH", 0x8100, vlan) if vlan is not None else b""
    return destination + source + tag + struct.pack("!H", kind) + payload


def ipv4(payload, source, destination, protocol=17, identification=1, offset=0, more=False, ttl=64, options=b""):
    """An IPv4 packet; `offset` in bytes (a multiple of 8), `options` padded to 4 bytes."""
    options = options + b"\0" * (-len(options) % 4)
    length = 20 + len(options) + len(payload)
    flags = (offset // 8) & 0x1FFF | (0x2000 if more else 0)
    header = struct.pack(
        "!BBHHHBBHII", 0x45 + len(options) // 4, 0, length & 0xFFFF, identification, flags, ttl, protocol, 0, source,
        destination) + options
    header = header[:10] + struct.pack("!H", checksum(ones_sum(header))) + header[12:]
    return header + payload


def udp(payload, source, destination, source_port, destination_port):
    """A UDP header and payload with its checksum over the IPv4 pseudo header."""
    length = 8 + len(payload)
    segment = struct.pack("!HHHH", source_port, destination_port, length & 0xFFFF, 0) + payload
    pseudo = struct.pack("!IIBBH", source, destination, 0, 17, length & 0xFFFF)
    total = checksum(ones_sum(segment, ones_sum(pseudo))) or 0xFFFF
    return segment[:6] + struct.pack("!H", total) + segment[8:]


class Endpoints:
    """Who talks to whom: the client's and the service's addresses."""

    def __init__(self, port, service="10.0.0.2", client="10.0.0.1", client_port=40000, service_mac=SERVICE_MAC,
                 client_mac=CLIENT_MAC):
        self.port = port
        self.service = ip(service)
        self.client = ip(client)
        self.client_port = client_port
        self.service_mac = service_mac
        self.client_mac = client_mac

    def datagram(self, payload, identification=1, vlan=None):
        """The Ethernet frame of one whole datagram from the client to the service."""
        segment = udp(payload, self.client, self.service, self.client_port, self.port)
        packet = ipv4(segment, self.client, self.service, identification=identification)
        return ethernet(packet, self.service_mac, self.client_mac, vlan=vlan)

    def fragments(self, payload, size, identification):
        """The frames of one datagram cut into fragments of `size` bytes of IP payload (a multiple of 8)."""
        segment = udp(payload, self.client, self.service, self.client_port, self.port)
        step = max(8, size // 8 * 8)
        frames = []
        for offset in range(0, len(segment), step):
            piece = segment[offset:offset + step]
            packet = ipv4(piece, self.client, self.service, identification=identification, offset=offset,
                          more=offset + step < len(segment))
            frames.append(ethernet(packet, self.service_mac, self.client_mac))
        return frames

    def arp_request(self):
        body = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + self.client_mac + struct.pack("!I", self.client)
        body += b"\0" * 6 + struct.pack("!I", self.service)
        return ethernet(body, BROADCAST, self.client_mac, kind=0x0806)


class PcapWriter:
    """A little-endian microsecond pcap file; records `spacing` microseconds apart (one second
    unless told), from a fixed start, so that the same records make the same file."""

    def __init__(self, link_type=ETHERNET, snap_length=262144, spacing=1_000_000):
        self.chunks = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snap_length, link_type)]
        self.count = 0
        self.spacing = spacing
        self.time = 1_700_000_000 * 1_000_000

    def record(self, data, original_length=None, after=None):
        """Append `data`, `after` microseconds after the record before it (the spacing unless told)."""
        original = len(data) if original_length is None else original_length
        if self.count:
            self.time += self.spacing if after is None else after
        seconds, micros = divmod(self.time, 1_000_000)
        self.chunks.append(struct.pack("<IIII", seconds & 0xFFFFFFFF, micros, len(data), original & 0xFFFFFFFF))
        self.chunks.append(bytes(data))
        self.count += 1

    def data(self):
        return b"".join(self.chunks)


def write_capture(path, frames):
    w = PcapWriter()
    for f in frames:
        w.record(f)
    with open(path, "wb") as out:
        out.write(w.data())


def read_records(path):
    """The records of a little-endian microsecond pcap file (what the runtime writes)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return []
    records = []
    at = 24
    while at + 16 <= len(data):
        _, _, captured, _ = struct.unpack_from("<IIII", data, at)
        records.append(data[at + 16:at + 16 + captured])
        at += 16 + captured
    return records


def udp_payload(frame):
    """The UDP payload of an Ethernet/IPv4/UDP frame (optionally with one VLAN tag), or None."""
    at = 12
    kind = struct.unpack_from("!H", frame, at)[0] if len(frame) >= 14 else 0
    if kind == 0x8100 and len(frame) >= 18:
        at += 4
        kind = struct.unpack_from("!H", frame, at)[0]
    at += 2
    if kind != 0x0800 or len(frame) < at + 28:
        return None
    header = (frame[at] & 0x0F) * 4
    if frame[at + 9] != 17:
        return None
    u = at + header
    if len(frame) < u + 8:
        return None
    length = struct.unpack_from("!H", frame, u + 4)[0]
    return frame[u + 8:u + length]

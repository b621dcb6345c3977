"""The frame fuzzer: raw Ethernet frames through the net module's NetStack (Cleave's
own stack, written in Cleave): under Examples/smoltcp-loop, which calls the stack
itself, and under Examples/kv unchanged, built on the stack (`--net direct`).

A capture of frames (`--netif pcap:IN:OUT` on a FrameDevice) starts with an
ARP question from every client (as Linux peers ask before they send) and mixes requests to
the stack (10.77.0.2, UDP 7000, MAC 02:00:00:00:00:02) with frames broken on
purpose: header fields set to edge values or flipped bits, and then, for half
of them, the IPv4 and UDP checksums made right again so the break reaches the
parsing behind the checksums; IPv4 options; cut, padded, empty and oversized
frames; ARP, IPv6, VLAN tags, fragments, other addresses and ports; junk.

The service must drop what is not a request and never trap: it must end by
itself with exit 0, count every frame as received (or as oversized), answer
at least the intact requests, and answer the GET the capture ends with
("NOT_FOUND": nothing the fuzzer sends sets its key). Both targets.
"""

import os

import packets
from common import ROOT, pick_weighted
from services import COUNTERS, describe, replay, tail

SOURCE = os.path.join(ROOT, "Examples", "smoltcp-loop")
KV = os.path.join(ROOT, "Examples", "kv", "kv.clv")
KV_LINK = ",ip=10.77.0.2/24,mac=02:00:00:00:00:02"
STACK_MAC = bytes([2, 0, 0, 0, 0, 2])
STACK = "10.77.0.2"
PORT = 7000
FRAME_MAX = 1518 + 4  # the runtime's largest frame (with one VLAN tag); longer ones are dropped as oversized

REQUESTS = [b"SET a 1", b"GET a", b"SET k v w", b"GET", b"HELLO", b"", b"SET b " + b"x" * 1400, b"GET a b"]


def endpoints(k):
    return packets.Endpoints(PORT, service=STACK, client=f"10.77.0.{100 + k}", client_port=40000 + k,
                             service_mac=STACK_MAC, client_mac=bytes([2, 0, 0, 0, 1, k]))


def client(rng):
    return endpoints(rng.randrange(1, 20))


def introductions():
    """Every client asks for the stack's address first, as a Linux peer would: the stack learns
    their Ethernet addresses and can answer them."""
    return [endpoints(k).arp_request() for k in range(1, 20)]


def fix_checksums(frame):
    """Make the IPv4 header checksum and the UDP checksum right for the frame as it now is, where they fit."""
    if len(frame) < 34 or frame[12:14] != b"\x08\x00":
        return frame
    ihl = (frame[14] & 0x0F) * 4
    if ihl < 20 or 14 + ihl > len(frame):
        return frame
    frame[24:26] = b"\0\0"
    frame[24:26] = packets.checksum(packets.ones_sum(bytes(frame[14:14 + ihl]))).to_bytes(2, "big")
    u = 14 + ihl
    if u + 8 > len(frame):
        return frame
    length = int.from_bytes(frame[u + 4:u + 6], "big")
    if length < 8 or u + length > len(frame):
        return frame
    frame[u + 6:u + 8] = b"\0\0"
    pseudo = bytes(frame[26:34]) + b"\0\x11" + length.to_bytes(2, "big")
    total = packets.checksum(packets.ones_sum(bytes(frame[u:u + length]), packets.ones_sum(pseudo))) or 0xFFFF
    frame[u + 6:u + 8] = total.to_bytes(2, "big")
    return frame


def with_options(rng, end, payload):
    """A request whose IPv4 header carries options (IHL 6...15), every checksum right."""
    segment = packets.udp(payload, end.client, end.service, end.client_port, PORT)
    options = bytes(rng.randrange(256) for _ in range(4 * rng.randrange(1, 11)))
    return packets.ethernet(packets.ipv4(segment, end.client, end.service, options=options), STACK_MAC, end.client_mac)


def broken_frames(rng, count):
    frames = []
    intact = 0
    for i in range(count):
        end = client(rng)
        payload = rng.choice(REQUESTS)
        frame = bytearray(end.datagram(payload, identification=i + 1))
        kind = pick_weighted(rng, [
            (20, "intact"), (6, "options"), (6, "broadcast"), (25, "field"), (10, "flip"), (5, "cut"), (3, "padding"),
            (3, "oversized"), (3, "empty"), (4, "junk"), (3, "arp"), (3, "ipv6"), (3, "vlan"), (4, "fragment"),
            (3, "other-mac"), (3, "other-address"), (3, "other-port"), (3, "no-udp-checksum"),
        ])
        if kind == "intact":
            intact += 1
        elif kind == "options":
            frame = bytearray(with_options(rng, end, payload))
            intact += 1
        elif kind == "broadcast":
            frame[0:6] = packets.BROADCAST
            intact += 1
        elif kind == "field":
            # One header field set to an edge value; the checksums made right half of the time.
            at, size = rng.choice([(12, 2), (14, 1), (16, 2), (20, 2), (23, 1), (24, 2), (30, 4), (34, 2), (36, 2),
                                   (38, 2), (40, 2)])
            value = rng.choice([0, 1, 5, 7, 8, 9, 15, 19, 20, 21, 27, 28, 0x45, 0x4F, 0x7F, 0x80, 0xFF, 0x0800, 0x2000,
                                0x3FFF, 0xFFFF, rng.randrange(1 << (8 * size)), len(frame) - 14, len(frame) - 34])
            frame[at:at + size] = (value % (1 << (8 * size))).to_bytes(size, "big")
            if rng.random() < 0.5:
                fix_checksums(frame)
        elif kind == "flip":
            for _ in range(rng.randrange(1, 5)):
                a = rng.randrange(len(frame))
                frame[a] ^= 1 << rng.randrange(8)
            if rng.random() < 0.5:
                fix_checksums(frame)
        elif kind == "cut":
            frame = frame[:rng.randrange(len(frame))]
        elif kind == "padding":
            frame += bytes(rng.randrange(1, 40))
            intact += 1
        elif kind == "oversized":
            frame += bytes(rng.choice([FRAME_MAX, 9000, 65536]))
        elif kind == "empty":
            frame = bytearray()
        elif kind == "junk":
            frame = bytearray(rng.randrange(256) for _ in range(rng.choice([1, 13, 14, 41, 42, 60, 1514])))
        elif kind == "arp":
            frame = bytearray(end.arp_request())
        elif kind == "ipv6":
            frame[12:14] = b"\x86\xdd"
        elif kind == "vlan":
            frame[12:12] = b"\x81\x00\x00\x07"
        elif kind == "fragment":
            pieces = end.fragments(payload + b" and more", 8, i + 1)
            frame = bytearray(rng.choice(pieces))
        elif kind == "other-mac":
            frame[0:6] = bytes([2, 0, 0, 0, 0, 9])
        elif kind == "other-address":
            frame[30:34] = bytes([10, 77, 0, 9])
            fix_checksums(frame)
        elif kind == "other-port":
            frame[36:38] = (7001).to_bytes(2, "big")
            fix_checksums(frame)
        elif kind == "no-udp-checksum":
            frame[40:42] = b"\0\0"
            intact += 1
        frames.append(bytes(frame))
    return frames, intact


def judge(outcome, replies, frames, intact):
    if outcome.timed_out:
        return "did not end"
    if outcome.status != 0:
        return describe(outcome.status)
    lines = COUNTERS.findall(outcome.stderr.encode())
    if not lines:
        return "no counters line"
    received, sent, _ = (int(x) for x in lines[-1])
    oversized = sum(1 for f in frames if len(f) > FRAME_MAX)
    if received + oversized != len(frames):
        return f"received {received} frames (and {oversized} oversized) of {len(frames)}"
    if sent < intact:
        return f"sent {sent} replies for {intact} intact requests"
    if not replies or replies[-1] != b"NOT_FOUND":
        return f"the last reply is {replies[-1][:40]!r}, not 'NOT_FOUND'" if replies else "no replies"
    return None


def fuzz(rng, budget, tally, corpus, cleave, work, timeout=5.0, log=print):
    from common import run
    # smoltcp-loop (the stack as a state the program calls) and Examples/kv unchanged on
    # Cleave's own stack (--net direct, the stack given its address on the command line).
    runnables = {}
    for name, source, build, link in [("smoltcp-loop", SOURCE, [], ""), ("kv-direct", KV, ["--net", "direct"], KV_LINK)]:
        for target in ["unikernel", "isolated"]:
            out = os.path.join(work, f"{name}-{target}")
            r = run([cleave, "build", source, "--target", target, "-o", out] + build, 300)
            if r.status != 0:
                raise RuntimeError(f"cleave build {name} --target {target} failed:\n{r.stderr[-2000:]}")
            runnables[f"{name} ({target})"] = (os.path.join(out, "run") if target == "isolated" else out, link)
    first = True
    while budget.more() or first:
        first = False
        target = rng.choice(list(runnables))
        frames, intact = broken_frames(rng, rng.choice([1, 5, 20, 60]))
        frames = introductions() + frames
        sentinel = client(rng).datagram(b"GET fuzz-sentinel")
        frames.append(sentinel)
        intact += 1
        # Frames milliseconds apart, as a burst of traffic comes: the run stays inside the ARP
        # cache's minute, since a capture holds no answers to the questions an expired entry
        # makes the stack ask. Once in a while the traffic pauses for 31 s, long enough for
        # the fragments held to time out.
        capture = packets.PcapWriter(spacing=rng.choice([100, 1000, 10_000]))
        pause = rng.randrange(len(frames)) if rng.random() < 0.3 else -1
        for n, f in enumerate(frames):
            capture.record(f, after=31_000_000 if n == pause else None)
        data = capture.data()
        budget.take(len(frames))
        tally.inputs += len(frames)
        runnable, link = runnables[target]
        outcome, replies = replay(runnable, data, work, timeout * 4, name="frames", link=link)
        # The stack's own frames (ARP, echo replies, fragments) are not UDP replies.
        replies = [r for r in replies if r is not None]
        problem = judge(outcome, replies, frames, intact)
        if problem:
            kept = corpus.keep("captures", "smoltcp-loop", data, ".pcap")
            detail = tail(outcome.stderr.encode())
            tally.fail(f"{target} capture of {len(frames)} frames: {problem}{detail}", kept)
            log(f"  frames: {target}: {problem}: kept {kept}{detail}")

"""The built services' fuzzers: datagrams over UDP, and captures.

Every example is built for both targets (unikernel, and isolated with its
launcher). Each example lists the requests its comments and tests show and a
known-good request with its answer; the fuzzers send those, mutated, along
with junk, empty and largest datagrams.

datagrams: the service runs on loopback (`--netif udp:0,...`). After every
batch of fuzzed datagrams the known-good request must still get its answer;
at the end SIGTERM must make it exit 0 with a counters line whose numbers fit
what was sent (no more received than sent, no more sent than received). A
service that dies, stops answering or ends otherwise fails; the batch that
did it is kept as a capture, so the tests can replay it.

captures: a capture of requests and broken records (cut frames, wrong IPv4 or
UDP lengths, bad header lengths and checksums, other protocols, VLAN tags,
fragments that overlap, repeat or never end) is replayed with
`--netif pcap:IN:OUT`. The service must end by itself with exit 0, count every
record it did not take as dropped (received + dropped no more than the
records), answer every datagram it took, and answer the known-good request
the capture ends with correctly.
"""

import os
import random
import re
import select
import signal
import socket
import subprocess
import time

import packets
from common import ROOT, kill_group, pick_weighted, run, signal_name


class Example:
    def __init__(self, name, ports, seeds, good, answer, good_port=None, answers_every=True):
        self.name = name
        self.source = os.path.join(ROOT, "Examples", name, name + ".clv")
        self.ports = ports
        self.seeds = [wire(s) for s in seeds]
        self.good = wire(good)
        self.answer = wire(answer)
        self.good_port = good_port or ports[0]
        # Whether every datagram the service takes gets a reply (dns leaves some unanswered, as
        # NSD does: a message shorter than a header, a response sent to it).
        self.answers_every = answers_every


def wire(request):
    """A request as bytes: text as UTF-8, bytes (a binary protocol's message) as they are."""
    return request if isinstance(request, bytes) else request.encode()


def dns_query(name, qtype=1, ident=0x7777, edns=False):
    """A DNS query for the dns example."""
    labels = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".") if p) + b"\0"
    header = ident.to_bytes(2, "big") + bytes([0, 0, 0, 1, 0, 0, 0, 0, 0, 1 if edns else 0])
    opt = b"\0\0\x29\x04\xd0\0\0\0\0\0\0" if edns else b""
    return header + labels + qtype.to_bytes(2, "big") + b"\0\1" + opt


# The dns example's NXDOMAIN for nothing.example.com (AA, the SOA of example.zone in authority,
# its TTL the SOA's minimum): what NSD answers too (scripts/dns/compare.py).
DNS_NXDOMAIN = bytes.fromhex(
    "777784030001000000010000076e6f7468696e67076578616d706c6503636f6d0000010001c014000600010000012c"
    "0027036e7331c0140a686f73746d6173746572c01478c425fd00001c2000000384001275000000012c")

# The requests each example's comments and tests show; a known-good request and its answer.
EXAMPLES = [
    Example("echo", [8080], ["ping", "hello", "", "x" * 1500], "ping", "ping"),
    Example("kv", [7000], ["SET a 1", "GET a", "SET k v w", "GET", "SET", "nonsense", "SET a", "GET a b"],
            "GET fuzz-sentinel", "NOT_FOUND"),
    Example("facfib", [8080, 8081], ["20", "100\n", "0", "1", "10000", "10001", " 7 ", "-1", "abc"], "6", "720"),
    Example("sort", [8080], ["2 7 1 8 2 8", "3 -1 2", "", "9223372036854775807 -9223372036854775808", " 5 ", "1  2"],
            "2 1", "1 2"),
    Example("montecarlo", [8080], ["1", "1000", "1000000", "0", "10000001", " 3 ", "x"], "1", "4.0"),
    Example("dns", [5300], [dns_query("www.example.com"), dns_query("x.wild.example.com", 16, edns=True),
                            dns_query("host.sub.example.com", 28), dns_query("example.com", 255),
                            dns_query("big.example.com", 16), dns_query("huge.example.com", 16, edns=True),
                            dns_query("example.net"), b"", b"\x12\x34"],
            dns_query("nothing.example.com"), DNS_NXDOMAIN, answers_every=False),
]

TARGETS = ["unikernel", "isolated"]
LARGEST = 65507


def build(cleave, example, target, work):
    """The runnable of `example` built for `target` into `work` (built once)."""
    out = os.path.join(work, f"{example.name}-{target}")
    runnable = os.path.join(out, "run") if target == "isolated" else out
    if not os.path.exists(runnable):
        r = run([cleave, "build", example.source, "--target", target, "-o", out], 300)
        if r.status != 0:
            raise RuntimeError(f"cleave build {example.name} --target {target} failed:\n{r.stderr[-2000:]}")
    return runnable


def mutate_payload(rng, data, pool):
    """A request after a few byte-level edits: flips, cuts, repeats, splices, extremes."""
    data = bytearray(data)
    for _ in range(1 + int(rng.expovariate(1.0))):
        kind = rng.randrange(9)
        if kind == 0 and data:
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        elif kind == 1 and data:
            a = rng.randrange(len(data))
            del data[a:a + rng.randrange(1, 8)]
        elif kind == 2:
            a = rng.randrange(len(data) + 1)
            data[a:a] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 8)))
        elif kind == 3 and data:
            a = rng.randrange(len(data))
            piece = data[a:a + rng.randrange(1, 16)]
            data[a:a] = piece * rng.choice([2, 10, 1000])
        elif kind == 4:
            data += rng.choice(pool)
        elif kind == 5:
            at = rng.randrange(len(data) + 1)
            data[at:at] = rng.choice([b" ", b"  ", b"\0", b"\xff", b"-", b"9" * 30, b"\n", b"\xc3", b"SET ", b"GET "])
        elif kind == 6:
            number = str(rng.randrange(-10, 20000)).encode()
            data = bytearray(rng.choice([b"9" * rng.randrange(1, 40), b"-" + b"9" * 20, number]))
        elif kind == 7 and data:
            a = rng.randrange(len(data))
            data[a] = rng.choice(b"0123456789 -+\0\xff")
        else:
            data = data[:rng.randrange(len(data) + 1)]
    return bytes(data[:LARGEST])


def fuzzed_payload(rng, example):
    kind = pick_weighted(rng, [(40, "mutated"), (10, "junk"), (5, "empty"), (5, "largest"), (5, "large-mutated"),
                               (35, "seed")])
    if kind == "seed":
        return rng.choice(example.seeds)
    if kind == "junk":
        return bytes(rng.randrange(256) for _ in range(rng.choice([1, 8, 100, 1400, 9000])))
    if kind == "empty":
        return b""
    if kind == "largest":
        fill = rng.choice([b"9", b"1 ", b"\0", b"\xff", b"SET a ", rng.choice(example.seeds) or b"x"])
        return (fill * (LARGEST // max(len(fill), 1) + 1))[:rng.choice([LARGEST, LARGEST - 1, 1473, 65000])]
    if kind == "large-mutated":
        return mutate_payload(rng, rng.choice(example.seeds) * rng.choice([100, 1000, 5000]), example.seeds)
    return mutate_payload(rng, rng.choice(example.seeds), example.seeds)


class Service:
    """A running service on loopback, with the ports it bound in the order of its source's ports."""

    PORT_LINE = re.compile(rb"listening on UDP port (\d+)(?: \(port (\d+) in the source\))?")

    def __init__(self, runnable, example):
        spec = "udp:" + ",".join("0" for _ in example.ports)
        self.process = subprocess.Popen([runnable, "--netif", spec], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                        start_new_session=True)
        self.stderr = b""
        self.ports = {}
        deadline = time.monotonic() + 30
        while len(self.ports) < len(example.ports) and time.monotonic() < deadline:
            if not self.read_stderr(0.2) and self.process.poll() is not None:
                break
            for m in self.PORT_LINE.finditer(self.stderr):
                bound, source = int(m.group(1)), int(m.group(2) or m.group(1))
                self.ports[source] = bound
        if len(self.ports) < len(example.ports):
            self.kill()
            raise RuntimeError(f"{runnable} did not say which ports it listens on:\n{self.stderr[-1000:].decode()}")

    def read_stderr(self, timeout):
        ready, _, _ = select.select([self.process.stderr], [], [], timeout)
        if not ready:
            return False
        chunk = os.read(self.process.stderr.fileno(), 65536)
        self.stderr += chunk
        return bool(chunk)

    def stop(self, timeout=15):
        """SIGTERM, then the exit status and the whole standard error (None when it would not end)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.read_stderr(0.2) and self.process.poll() is not None:
                break
        if self.process.poll() is None:
            self.kill()
            return None
        while self.read_stderr(0):
            pass
        return self.process.returncode

    def kill(self):
        kill_group(self.process)


class Client:
    def __init__(self):
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.port = self.socket.getsockname()[1]
        self.replies = 0

    def send(self, payload, port):
        self.socket.sendto(payload, ("127.0.0.1", port))

    def drain(self):
        while select.select([self.socket], [], [], 0)[0]:
            self.socket.recv(70000)
            self.replies += 1

    def ask(self, payload, port, answer, timeout):
        """Send a request; True once `answer` comes back (other replies, to earlier requests, are passed over)."""
        self.send(payload, port)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if select.select([self.socket], [], [], max(0.0, deadline - time.monotonic()))[0]:
                reply = self.socket.recv(70000)
                self.replies += 1
                if reply == answer:
                    return True
        return False

    def close(self):
        self.socket.close()


COUNTERS = re.compile(rb"received (\d+), sent (\d+), dropped (\d+)")


def batch_capture(example, batch):
    """A batch of datagrams as a capture (one record each, to the example's ports), for the tests to replay."""
    frames = []
    for payload, port in batch:
        frames.append(packets.Endpoints(port).datagram(payload))
    w = packets.PcapWriter()
    for f in frames:
        w.record(f)
    return w.data()


def fuzz_datagrams(rng, budget, tally, corpus, cleave, work, log=print, answer_timeout=10.0):
    services = [(e, t) for e in EXAMPLES for t in TARGETS]
    rng.shuffle(services)
    for k, (example, target) in enumerate(services):
        share = budget.share(len(services) - k)
        runnable = build(cleave, example, target, work)
        service = Service(runnable, example)
        client = Client()
        sent = 0
        problem = None
        batch = []
        try:
            while problem is None and (share.more() or sent == 0):
                batch = []
                for _ in range(rng.randrange(1, 24)):
                    port = rng.choice(example.ports)
                    payload = fuzzed_payload(rng, example)
                    try:
                        client.send(payload, service.ports[port])
                    except OSError:
                        continue
                    batch.append((payload, port))
                    sent += 1
                    share.take()
                    budget.take()
                    tally.inputs += 1
                client.drain()
                # Still alive, and still right; a datagram lost on a busy machine is asked again.
                good = service.ports[example.good_port]
                answered = any(client.ask(example.good, good, example.answer, answer_timeout / 3) for _ in range(3))
                sent += 1
                if not answered:
                    service.read_stderr(0.5)
                    status = service.process.poll()
                    if status is None:
                        problem = f"no answer to {example.good!r} within {answer_timeout:g} s"
                    else:
                        problem = f"ended: {describe(status)}"
            if problem is None:
                client.drain()
                status = service.stop()
                if status is None:
                    problem = "did not end on SIGTERM"
                elif status != 0:
                    problem = f"SIGTERM: {describe(status)}"
                else:
                    problem = check_counters(service.stderr, sent, client.replies)
                    counted = COUNTERS.findall(service.stderr)
                    if counted:
                        r, a, d = (int(x) for x in counted[-1])
                        tally.notes.append(f"{example.name} ({target}): {sent} datagrams sent; the service counted "
                                           f"{r} received, {a} sent, {d} dropped; {client.replies} replies came back")
        finally:
            service.kill()
            client.close()
        if problem:
            detail = tail(service.stderr)
            kept = corpus.keep("captures", example.name, batch_capture(example, batch), ".pcap")
            tally.fail(f"{example.name} ({target}) over UDP: {problem}{detail}", kept)
            log(f"  datagrams: {example.name} ({target}): {problem}: last batch kept as {kept}{detail}")


def describe(status):
    return f"killed by {signal_name(status)}" if status < 0 else f"exit status {status}"


def tail(stderr):
    lines = [line for line in stderr.decode("utf-8", "replace").splitlines() if "listening on" not in line]
    return ("; stderr: " + " | ".join(lines[-4:])[:600]) if lines else ""


def check_counters(stderr, sent, replies):
    """The last counters line fits what the client did; None when it does."""
    lines = COUNTERS.findall(stderr)
    if not lines:
        return "no counters line at the end"
    received, answered, _ = (int(x) for x in lines[-1])
    if received > sent:
        return f"counted {received} datagrams received, but only {sent} were sent"
    if answered > received:
        return f"counted {answered} sent for {received} received"
    if replies > answered:
        return f"counted {answered} sent, but the client got {replies} replies"
    return None


# ---- captures ----------------------------------------------------------------------------------------------------

def broken_records(rng, example, ends, count):
    """`count` records, each a request or a broken one; returns them with how many are intact requests."""
    records = []
    intact = 0
    ident = 100
    for _ in range(count):
        payload = fuzzed_payload(rng, example)[:rng.choice([1400, 9000, LARGEST])]
        end = rng.choice(ends)
        ident += 1
        frame = bytearray(end.datagram(payload, identification=ident))
        kind = pick_weighted(rng, [
            (20, "intact"), (8, "cut"), (6, "ip-length"), (6, "ihl"), (6, "ip-checksum"), (6, "udp-length"),
            (4, "udp-checksum"), (4, "protocol"), (4, "version"), (4, "ethertype"), (4, "vlan"), (6, "fragments"),
            (5, "junk"), (3, "empty"), (3, "arp"), (6, "flip"), (3, "padding"), (3, "original-length"),
        ])
        if kind == "intact":
            records.append((bytes(frame), None))
            intact += 1
            continue
        if kind == "cut":
            frame = frame[:rng.randrange(len(frame))]
        elif kind == "ip-length":
            length = rng.choice([0, 1, 19, 20, 27, len(frame) - 13, 0xFFFF, rng.randrange(65536)])
            frame[16:18] = (length & 0xFFFF).to_bytes(2, "big")
        elif kind == "ihl":
            frame[14] = 0x40 | rng.choice([0, 1, 4, 6, 15])
        elif kind == "ip-checksum":
            frame[24] ^= 1 + rng.randrange(255)
        elif kind == "udp-length":
            frame[38:40] = rng.choice([0, 1, 7, 9, 0xFFFF, rng.randrange(65536)]).to_bytes(2, "big")
        elif kind == "udp-checksum":
            frame[40] ^= 1 + rng.randrange(255)
        elif kind == "protocol":
            frame[23] = rng.choice([0, 1, 6, 255])
        elif kind == "version":
            frame[14] = (rng.choice([0, 6, 15]) << 4) | 5
        elif kind == "ethertype":
            frame[12:14] = rng.choice([b"\x86\xdd", b"\x08\x06", b"\x00\x00", b"\x81\x00", b"\x88\xa8"])
        elif kind == "vlan":
            frame[12:12] = b"\x81\x00" + rng.randrange(65536).to_bytes(2, "big")
            if rng.random() < 0.5:
                frame[16:16] = b"\x81\x00\x00\x05"
        elif kind == "fragments":
            pieces = end.fragments(payload + b"!" * rng.randrange(64), rng.choice([8, 16, 64, 512]), ident)
            pieces = [bytearray(p) for p in pieces]
            how = rng.randrange(6)
            if how == 0:
                rng.shuffle(pieces)
            elif how == 1 and len(pieces) > 1:
                del pieces[rng.randrange(len(pieces))]
            elif how == 2:
                pieces.insert(rng.randrange(len(pieces) + 1), rng.choice(pieces))
            elif how == 3:
                p = rng.choice(pieces)
                p[20:22] = ((int.from_bytes(p[20:22], "big") & 0xE000) | rng.randrange(0x2000)).to_bytes(2, "big")
            elif how == 4:
                p = rng.choice(pieces)
                p[20] |= 0x80  # the reserved flag
            for p in pieces:
                records.append((bytes(p), None))
            continue
        elif kind == "junk":
            frame = bytearray(rng.randrange(256) for _ in range(rng.choice([1, 13, 14, 34, 42, 60, 1514])))
        elif kind == "empty":
            frame = bytearray()
        elif kind == "arp":
            frame = bytearray(end.arp_request())
        elif kind == "flip":
            for _ in range(rng.randrange(1, 4)):
                a = rng.randrange(min(len(frame), 42))
                frame[a] ^= 1 << rng.randrange(8)
        elif kind == "padding":
            frame += bytes(rng.randrange(1, 64))
            records.append((bytes(frame), None))
            intact += 1
            continue
        elif kind == "original-length":
            records.append((bytes(frame[:rng.randrange(len(frame))]), len(frame)))
            continue
        records.append((bytes(frame), None))
    return records, intact


def capture_bytes(records):
    w = packets.PcapWriter()
    for data, original in records:
        w.record(data, original)
    return w.data()


def replay(runnable, capture, work, timeout, name="replay", link=""):
    """Replay `capture` (bytes); the outcome and the replies' UDP payloads. `link` is what
    follows the captures in the --netif spec (",ip=A/LEN,mac=M" for a stack's addresses)."""
    base = os.path.join(work, name)
    with open(base + "-in.pcap", "wb") as f:
        f.write(capture)
    if os.path.exists(base + "-out.pcap"):
        os.remove(base + "-out.pcap")
    outcome = run([runnable, "--netif", f"pcap:{base}-in.pcap:{base}-out.pcap{link}"], timeout)
    replies = [packets.udp_payload(r) for r in packets.read_records(base + "-out.pcap")]
    return outcome, replies


def judge_replay(outcome, replies, records, intact, example):
    """Why a replay failed, or None."""
    if outcome.timed_out:
        return "did not end"
    if outcome.status != 0:
        return describe(outcome.status)
    lines = COUNTERS.findall(outcome.stderr.encode())
    if not lines:
        return "no counters line"
    received, sent, dropped = (int(x) for x in lines[-1])
    if received < intact:
        return f"received {received}, but the capture has {intact} intact requests"
    if received + dropped > records:
        return f"received {received} and dropped {dropped} of {records} records"
    if sent > received or (example.answers_every and sent != received):
        return f"sent {sent} replies for {received} datagrams"
    if not replies or replies[-1] != example.answer:
        return f"the last reply is {replies[-1][:40]!r}, not {example.answer!r}" if replies else "no replies"
    return None


def fuzz_captures(rng, budget, tally, corpus, cleave, builds, work, timeout=5.0, log=print):
    services = [(e, t) for e in EXAMPLES for t in TARGETS]
    runnables = {}
    first = True
    while budget.more() or first:
        first = False
        example, target = rng.choice(services)
        key = (example.name, target)
        if key not in runnables:
            runnables[key] = build(cleave, example, target, builds)
        ends = [packets.Endpoints(p, client_port=40000 + rng.randrange(100)) for p in example.ports]
        count = rng.choice([1, 5, 20, 60])
        records, intact = broken_records(rng, example, ends, count)
        good = packets.Endpoints(example.good_port, client="10.0.0.77", client_port=39999)
        records.append((good.datagram(example.good, identification=7), None))
        intact += 1
        capture = capture_bytes(records)
        budget.take(len(records))
        tally.inputs += len(records)
        # Expensive requests (10000!, ten million points) take their time, the isolated target its start.
        outcome, replies = replay(runnables[key], capture, work, timeout * 4, name=f"{example.name}-{target}")
        problem = judge_replay(outcome, replies, len(records), intact, example)
        if problem:
            kept = corpus.keep("captures", example.name, capture, ".pcap")
            detail = tail(outcome.stderr.encode())
            tally.fail(f"{example.name} ({target}) capture of {len(records)} records: {problem}{detail}", kept)
            log(f"  captures: {example.name} ({target}): {problem}: kept {kept}{detail}")

"""The TCP services' fuzzer: byte streams over connections to every TCP example.

Every TCP example (Examples/http, Examples/resp-kv, and Tests/Inputs/Services/lines.clv, the
TcpDevice tests' line service) is built for both targets (unikernel, and isolated with its
launcher) and the two run side by side on loopback (`--netif tcp:0`); every input goes to
both. An input is one connection or more, each sending a stream: the requests the example's
comments show (HTTP requests; RESP arrays and inline commands; lines, BIG n kept under
100 bytes since lines.clv makes the n bytes in one reply), alone or pipelined,
mutated (bytes flipped, cut, inserted, repeated; two requests spliced; numbers made huge;
CR and LF dropped, doubled or swapped; a line as long as a limit and a byte more) or random
bytes. A stream is written in pieces cut at random points (down to single bytes), with tiny
pauses between them, and then ended: half-closed (shutdown SHUT_WR, the reply read to its
end), closed, read for a moment and closed, reset (SO_LINGER 0), some of them mid-stream, or
written without ever reading the reply (until the service takes no more) and closed.
Some inputs open a few connections at once, some a crowd of them.

Fails when:
  * a service traps ("fatal error" on standard error) or ends;
  * after a batch of inputs, a fresh connection's known-good request (`GET /` for http,
    `PING` for resp-kv, `ECHO x` for lines) is not answered right within --timeout seconds;
  * a stream sent alone on one connection and half-closed gets other reply bytes from the
    unikernel than from the isolated build, or its reply does not end within twice --timeout.
    The service's state is first let settle (every earlier connection gone) and, for resp-kv,
    the stream begins with FLUSHALL, so the reply depends on the bytes alone; lines' greeting
    names the connection's id, which is left out. Compared only where the example's design
    makes the reply independent of how reads split the stream: replies under 4 MiB (http
    answers 4 MiB of responses per read, resp-kv 64 MiB), no line longer than the example's
    limit on an unfinished line (lines: 4,096 bytes; resp-kv: 64 KiB, as Redis), and for
    resp-kv no POST or Host: and no command over 8 MiB (each closes the connection with the
    replies to the whole read that brought it unsent, as Redis does);
  * at the end, the service still has connections open 5 s after the last of the fuzzer's
    ended, or its resident memory (the launcher and its components together, for isolated)
    grew by more than 64 MiB since its start, or SIGTERM does not make it exit 0 with a
    counters line that fits what was sent (no more connections than were opened, no more
    bytes received than were sent, no fewer sent than came back).

A failing input is kept as Tests/Fuzz/found/streams/EXAMPLE-HASH.json: the example, its
source, where it failed and why, and the inputs, each a list of connections with the chunks
each wrote (bytes as the code points of a JSON string), the pause after each and how the
connection ended (shutdown, close, linger, reset, deaf). A divergence is kept shrunk (bytes,
written in one piece); a service that died or stopped answering, the one input of the batch
that does it again on a fresh service (shrunk, when it does so written in one piece), or
else the whole batch. FuzzFoundInputsTests replays them. A failure at the end of the run
(sockets, memory, SIGTERM, counters) is reported with no input kept: no one input made it.
"""

import concurrent.futures
import errno
import json
import os
import re
import select
import socket
import struct
import subprocess
import time

import services
from common import ROOT, pick_weighted, shrink_input
from services import TARGETS, build, describe, tail


class Example:
    """A TCP service to fuzz: its requests, a known-good request and the pattern of its answer."""

    def __init__(self, name, source, port, seeds, good, answer, sized, sensitive=None, prefix=b"",
                 normalize=None, tame=None, numbers=rb"\d+"):
        self.name = name
        self.source = os.path.join(ROOT, source)
        self.relative = source
        self.port = port
        self.seeds = [s if isinstance(s, bytes) else s.encode() for s in seeds]
        self.good = good
        # The known-good request's answer, a pattern the whole reply matches.
        self.answer = re.compile(answer, re.S)
        # Requests of a given size: near a limit, and a byte past it.
        self.sized = sized
        # Whether the reply to a stream may depend on how reads split it, by the example's design.
        self.sensitive = sensitive or (lambda stream: False)
        # What a compared stream begins with, so that earlier inputs leave no trace in its reply.
        self.prefix = prefix
        self.normalize = normalize or (lambda reply: reply)
        # A stream made one the example is meant to serve (lines' BIG n makes n bytes).
        self.tame = tame or (lambda stream: stream)
        self.numbers = re.compile(numbers)

    def comparable(self, stream, replies):
        """Whether the reply to `stream` on one connection cannot depend on how reads split it."""
        return all(r.total < COMPARE_LIMIT for r in replies) and not self.sensitive(stream)


def longer_line(stream, limit):
    """Whether a line of `stream` (LF its end) is longer than `limit`: one that arrives in one read
    with its end is answered, one that waits for its end longer than `limit` is refused."""
    return any(len(line) > limit for line in stream.split(b"\n"))


def resp_sensitive(stream):
    # A line past 64 KiB (as in Redis); POST and Host: (HTTP), a command whose arguments pass
    # 8 MiB (each counted 32 bytes more): the connection closed with the replies to the whole
    # read that brought it unsent, whatever came before it in that read.
    return (longer_line(stream, 65536) or re.search(rb"(?i)post|host:", stream) is not None
            or len(stream) + 32 * stream.count(b"$") > 8 << 20)


def index_length():
    """The length of http's `/`, pages/index.html."""
    return os.path.getsize(os.path.join(ROOT, "Examples/http/pages/index.html"))


def lines_tame(stream):
    # BIG n answers n bytes, made in one reply: a test service, not bounded for a fuzzer. Under
    # 100, what one read (64 KiB) asks for stays under 1 MB: the isolated build keeps several
    # times its largest burst of replies resident (8 MB of replies to one read: some 55 MB), and
    # that is to stay well under MEMORY_GROWTH.
    # DIV n, where lines.clv has it, divides by n: DIV 0 traps on purpose (TcpDeviceTests stops
    # the service with it), so no stream asks it.
    return re.sub(rb"BIG (\+?)0*(\d{3,})", rb"BIG \g<1>99", stream).replace(b"DIV", b"DIW")


HTTP_SEEDS = [
    "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    "GET /about.html HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n",
    "HEAD /numbers.html HTTP/1.1\r\nHost: a\r\n\r\n",
    "GET /numbers.html HTTP/1.1\r\nHost: a\r\n\r\n",
    "GET /style.css HTTP/1.0\r\n\r\n",
    "GET /robots.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    "GET http://h/favicon.ico?x=1#y HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
    "GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n",
    "GET /%61bout.html HTTP/1.1\r\nHost: [::1]:80\r\n\r\n",
    "DELETE / HTTP/1.1\r\nHost: x\r\n\r\n",
    "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
    "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
    "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 70000\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nab",
    "GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "GET / HTTP/2.0\r\nHost: x\r\n\r\n",
    "GET / HTTP/1.9\r\nHost: x\r\n\r\n",
    "GET / HTTP/1.1\nHost: x\n\n",
    "\r\n\r\nGET /index.html HTTP/1.1\r\nhost: x\r\nconnection: Keep-Alive, Close\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: x\r\n folded: value\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
    "GET / HTTP/1.1\r\nHost : x\r\n\r\n",
    "get / HTTP/1.1\r\nHost: x\r\n\r\n",
    "GET /\x01 HTTP/1.1\r\nHost: x\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: x\r\nX: a\x00b\r\n\r\n",
    "GET example.com HTTP/1.1\r\nHost: x\r\n\r\n",
]

RESP_SEEDS = [
    "PING\r\n",
    "*1\r\n$4\r\nPING\r\n",
    "*2\r\n$4\r\nPING\r\n$5\r\nhello\r\n",
    "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n",
    "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n",
    "*2\r\n$4\r\nECHO\r\n$3\r\na\r\n\r\n",
    "SET a 1\r\n",
    "GET a\r\n",
    "INCR a\r\n",
    "INCRBY a 9223372036854775807\r\n",
    "DECRBY a -9223372036854775808\r\n",
    "DECR counter\r\n",
    "APPEND a xyz\r\n",
    "STRLEN a\r\n",
    "MSET a 1 b 2 c 3\r\n",
    "MSETNX x 1 y 2\r\n",
    "MGET a b c d\r\n",
    "SET k v NX GET\r\n",
    "SET k v XX KEEPTTL\r\n",
    "SET k v EX 10\r\n",
    "SETNX n v\r\n",
    "GETSET a 5\r\n",
    "GETDEL a\r\n",
    "DEL a b\r\n",
    "UNLINK x y\r\n",
    "EXISTS a a k\r\n",
    "TYPE k\r\n",
    "KEYS *\r\n",
    "KEYS h?llo*[a-c]*[^x]\\*\r\n",
    "DBSIZE\r\n",
    "FLUSHDB ASYNC\r\n",
    "SELECT 0\r\n",
    "SELECT 1\r\n",
    "COMMAND COUNT\r\n",
    "COMMAND DOCS\r\n",
    "CONFIG GET save databases proto-max-bulk-len\r\n",
    "ECHO \"a b\\x41\\n\" 'c\\'d'\r\n",
    "ECHO \"unbalanced\r\n",
    "foo a b\r\n",
    "GET\r\n",
    "QUIT\r\n",
    "*2\r\n$3\r\nGET\r\n$-1\r\n",
    "*-1\r\n",
    "*0\r\n",
    "*1\r\nx\r\n",
    "*1\r\n$2000000\r\n",
    "$5\r\nhello\r\n",
    "*3\r\n$3\r\nSET\r\n$3\r\nk\x00y\r\n$0\r\n\r\n",
    "POST / HTTP/1.1\r\nHost: x\r\n\r\n",
]

LINES_SEEDS = ["ECHO hello\n", "ECHO\n", "ECHO  two  spaces \n", "ECHO a\r\n", "BIG 10\n", "BIG 0\n", "BIG -5\n",
               "BIG x\n", "BIG 99\n", "COUNT\n", "OPEN\n", "CLOSE\n", "nonsense\n", "\n", "\x00\xff\n"]


def resp_bulk_set(n):
    # A key no seed reads: a read of requests that each answer a value of 1 MiB may make 64 MiB
    # of replies (resp-kv's limit), more than the memory a service may keep after its run.
    return b"*3\r\n$3\r\nSET\r\n$5\r\nsized\r\n$%d\r\n" % n + b"v" * n + b"\r\n"


EXAMPLES = [
    Example("http", "Examples/http/http.clv", 8080, HTTP_SEEDS, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
            # A 200 whose Content-Length is index.html's, and a body that long.
            rb"HTTP/1\.1 200 OK\r\n(?:[^\r\n]+\r\n)*?Content-Length: %d\r\n(?:[^\r\n]+\r\n)*\r\n.{%d}"
            % (index_length(), index_length()),
            [lambda n: b"GET /" + b"a" * n + b" HTTP/1.1\r\nHost: x\r\n\r\n",
             lambda n: b"GET / HTTP/1.1\r\nHost: x\r\nX-Long: " + b"b" * n + b"\r\n\r\n",
             lambda n: b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % n + b"c" * n]),
    Example("resp-kv", "Examples/resp-kv/resp-kv.clv", 6379, RESP_SEEDS, b"PING\r\n", rb"\+PONG\r\n",
            [resp_bulk_set,
             lambda n: b"ECHO " + b"e" * n + b"\r\n",
             lambda n: b"*" + b"1" * min(n, 70000) + b"\r\n",
             lambda n: b"*2\r\n$4\r\nECHO\r\n$" + b"9" * min(n, 70000) + b"\r\n"],
            sensitive=resp_sensitive, prefix=b"FLUSHALL\r\n"),
    Example("lines", "Tests/Inputs/Services/lines.clv", 7100, LINES_SEEDS, b"ECHO x\n", rb"hello \d+\nx\n",
            [lambda n: b"ECHO " + b"l" * n + b"\n", lambda n: b"m" * n],
            sensitive=lambda stream: longer_line(stream, 4096),
            normalize=lambda reply: re.sub(rb"\Ahello \d+\n", b"hello ID\n", reply),
            tame=lines_tame),
]

# Replies this long are not compared: how reads split the stream may change them.
COMPARE_LIMIT = 4 << 20
# What is kept of one connection's reply (the rest is counted).
KEEP_REPLY = 8 << 20
# The longest stream (the sized requests near 1 MiB may pass it).
LONGEST = 3 << 20
# How long a lingering connection waits for more of its reply before it closes.
QUIET = 0.05
# How long a deaf connection (one that never reads) waits for the service to take more before it closes.
STALL = 0.3
# Resident memory a service may grow by over the run.
MEMORY_GROWTH = 64 << 20
SIZES = [1, 2, 100, 4095, 4096, 4097, 8191, 8192, 8193, 65535, 65536, 65537, 100000, 1048575, 1048576, 1048577]
HUGE = [b"4294967296", b"9223372036854775807", b"9223372036854775808", b"18446744073709551616", b"-1",
        b"-9223372036854775808", b"99999999999999999999999", b"1048577", b"65537", b"8193", b"0",
        b"00000000000000000001", b"2147483648", b"-0", b"+1"]
LINE_ENDS = [b"\n", b"\r", b"\n\r", b"\r\r\n", b"", b"\r\n\r\n", b"\r\n\n", b" \r\n", b"\r\x00\n"]
ALPHABET = b"\r\n *$:+-0123456789abcxyzGETSHOP/.:\\\"'\t\x00\xff"


# ---- Streams -----------------------------------------------------------------------------------------------------

def pipelined(rng, example, most=8):
    return b"".join(rng.choice(example.seeds) for _ in range(rng.randrange(1, most + 1)))


def mutate(rng, data, example):
    """`data` after a few byte-level edits: flips, cuts, insertions, repeats, splices, extremes."""
    data = bytearray(data)
    for _ in range(1 + int(rng.expovariate(0.7))):
        kind = rng.randrange(10)
        if kind == 0 and data:
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        elif kind == 1 and data:
            a = rng.randrange(len(data))
            del data[a:a + rng.randrange(1, 16)]
        elif kind == 2:
            a = rng.randrange(len(data) + 1)
            data[a:a] = bytes(rng.choice(ALPHABET) if rng.random() < 0.7 else rng.randrange(256)
                              for _ in range(rng.randrange(1, 8)))
        elif kind == 3 and data:
            a = rng.randrange(len(data))
            piece = data[a:a + rng.randrange(1, 32)]
            data[a:a] = piece * rng.choice([1, 2, 10, 100, 1000])
        elif kind == 4:
            other = rng.choice(example.seeds)
            at = rng.randrange(len(data) + 1)
            data[at:] = other[rng.randrange(len(other) + 1):]
        elif kind == 5:
            at = rng.randrange(len(data) + 1)
            data[at:at] = rng.choice(example.seeds)
        elif kind == 6:
            numbers = list(example.numbers.finditer(bytes(data)))
            if numbers:
                m = rng.choice(numbers)
                data[m.start():m.end()] = rng.choice(HUGE)
        elif kind == 7 and data:
            a = rng.randrange(len(data))
            data[a] = rng.choice(ALPHABET)
        elif kind == 8:
            data = bytearray(line_ends(rng, bytes(data)))
        else:
            data = data[:rng.randrange(len(data) + 1)]
    return bytes(data)


def line_ends(rng, data):
    """CR and LF games: line ends replaced (all or some), stray CRs and LFs, a CRLF cut in two."""
    how = rng.randrange(4)
    if how == 0:
        return data.replace(b"\r\n", rng.choice(LINE_ENDS))
    if how == 1:
        parts = data.split(b"\r\n")
        return b"".join(p + (rng.choice(LINE_ENDS) if rng.random() < 0.3 else b"\r\n") for p in parts[:-1]) + parts[-1]
    if how == 2:
        at = rng.randrange(len(data) + 1)
        return data[:at] + rng.choice([b"\r", b"\n", b"\r\n", b"\n\n", b"\r\r"]) + data[at:]
    return data.replace(b"\n", b"")


def fuzzed_stream(rng, example, depth=0):
    kind = pick_weighted(rng, [(10, "seed"), (12, "pipelined"), (34, "mutated"), (8, "spliced"), (7, "huge"),
                               (8, "line-ends"), (7, "sized"), (5, "random"), (4, "mixed"), (3, "repeated")])
    if kind == "seed":
        stream = rng.choice(example.seeds)
    elif kind == "pipelined":
        stream = pipelined(rng, example, rng.choice([3, 30, 300]))
    elif kind == "mutated":
        stream = mutate(rng, pipelined(rng, example, 4), example)
    elif kind == "spliced":
        a, b = rng.choice(example.seeds), rng.choice(example.seeds)
        stream = a[:rng.randrange(len(a) + 1)] + b[rng.randrange(len(b) + 1):] + pipelined(rng, example, 2)
    elif kind == "huge":
        stream = mutate(rng, rng.choice(example.seeds), example)
        for m in reversed(list(example.numbers.finditer(stream))):
            if rng.random() < 0.5:
                stream = stream[:m.start()] + rng.choice(HUGE) + stream[m.end():]
    elif kind == "line-ends":
        stream = line_ends(rng, pipelined(rng, example, 5))
    elif kind == "sized":
        n = max(0, rng.choice(SIZES) + rng.choice([0, 0, -1, 1, -10, -40]))
        stream = rng.choice(example.sized)(n)
        if rng.random() < 0.3:
            stream = mutate(rng, stream, example)
        stream += pipelined(rng, example, 2) if rng.random() < 0.5 else b""
    elif kind == "random":
        n = rng.choice([1, 2, 16, 100, 1000, 65536, 300000])
        if rng.random() < 0.5:
            stream = bytes(rng.randrange(256) for _ in range(min(n, 4096))) * max(1, n // 4096)
        else:
            stream = bytes(rng.choice(ALPHABET) for _ in range(min(n, 4096))) * max(1, n // 4096)
    elif kind == "mixed" and depth < 2:
        stream = b"".join(fuzzed_stream(rng, example, depth + 1) for _ in range(rng.randrange(2, 5)))
    else:
        stream = rng.choice(example.seeds) * rng.choice([2, 100, 5000])
    return example.tame(stream[:LONGEST])


def cut(rng, stream):
    """The stream as the pieces it is written in: one, every byte, random cuts, or a fixed size."""
    how = pick_weighted(rng, [(35, "whole"), (10, "bytes"), (40, "random"), (15, "sized")])
    if not stream:
        return [] if rng.random() < 0.5 else [b""]
    if how == "whole" or len(stream) == 1:
        return [stream]
    if how == "bytes" and len(stream) <= 600:
        return [stream[i:i + 1] for i in range(len(stream))]
    if how == "sized":
        size = rng.choice([1, 2, 3, 7, 64, 1000, 4096, 65536])
        if len(stream) // size <= 2000:
            return [stream[i:i + size] for i in range(0, len(stream), size)]
    points = sorted(set(rng.randrange(1, len(stream)) for _ in range(rng.randrange(1, min(30, len(stream))))))
    return [stream[a:b] for a, b in zip([0] + points, points + [len(stream)])]


def connection(rng, stream, end=None, prefix=b""):
    """A connection's plan: the chunks it writes, the pause after each, and how it ends."""
    chunks = cut(rng, stream)
    end = end or pick_weighted(rng, [(40, "shutdown"), (18, "close"), (18, "reset"), (18, "linger"), (6, "deaf")])
    if end in ("reset", "close") and chunks and rng.random() < 0.5:
        # Mid-stream: the rest never sent.
        chunks = chunks[:rng.randrange(len(chunks) + 1)]
    pause = rng.choice([0.0, 0.0, 0.0002, 0.001, 0.003])
    if pause * len(chunks) > 0.1:
        pause = 0.1 / len(chunks)
    return {"chunks": ([prefix] if prefix else []) + chunks, "pause": round(pause, 6), "end": end}


def fuzzed_input(rng, example):
    """An input: its connections, opened at once; `compare`: one stream alone, for both targets to answer alike."""
    kind = pick_weighted(rng, [(40, "alone"), (25, "ended"), (22, "several"), (8, "crowd"), (5, "silent")])
    if kind == "alone":
        return {"compare": True, "connections": [connection(rng, fuzzed_stream(rng, example), "shutdown",
                                                            prefix=example.prefix)]}
    if kind == "ended":
        return {"connections": [connection(rng, fuzzed_stream(rng, example))]}
    if kind == "several":
        return {"connections": [connection(rng, fuzzed_stream(rng, example)) for _ in range(rng.randrange(2, 7))]}
    if kind == "crowd":
        return {"connections": [connection(rng, rng.choice(example.seeds) if rng.random() < 0.7
                                           else example.tame(mutate(rng, rng.choice(example.seeds), example)))
                                for _ in range(rng.randrange(20, 201))]}
    return {"connections": [connection(rng, b"", rng.choice(["close", "reset", "shutdown", "linger"]))
                            for _ in range(rng.randrange(1, 11))]}


# ---- Connections -------------------------------------------------------------------------------------------------

class Result:
    """What one connection got: its reply (the first KEEP_REPLY bytes; `total` all of it), the bytes
    it wrote, and how it ended: eof (the service ended its reply), reset, timeout, closed (by the
    client, without waiting for the reply's end), or refused (never connected)."""

    def __init__(self):
        self.reply = bytearray()
        self.total = 0
        self.sent = 0
        self.connected = False
        self.ending = None


class Connection:
    def __init__(self, port, plan, now):
        self.plan = plan
        self.chunks = [c if isinstance(c, bytes) else c.encode("latin-1") for c in plan["chunks"]]
        self.index = 0
        self.offset = 0
        self.ready_at = now
        self.result = Result()
        self.ended = False      # the plan's end was carried out
        self.eof = False
        self.quiet_until = None  # linger: closed when nothing came for a moment
        self.deaf = plan["end"] == "deaf"  # never reads: closed when the service takes no more for a moment
        self.progress = now
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setblocking(False)
        code = self.sock.connect_ex(("127.0.0.1", port))
        self.connecting = code in (errno.EINPROGRESS, errno.EAGAIN, 0)
        if not self.connecting:
            self.finish("refused")

    @property
    def done(self):
        return self.result.ending is not None

    def finish(self, ending):
        if self.result.ending is None:
            self.result.ending = ending
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def connected(self):
        code = self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        self.connecting = False
        if code != 0:
            self.finish("refused")
        else:
            self.result.connected = True

    def sending(self):
        return not self.connecting and not self.ended and self.index < len(self.chunks)

    def send(self, now):
        chunk = self.chunks[self.index]
        try:
            n = self.sock.send(chunk[self.offset:self.offset + 262144]) if self.offset < len(chunk) else 0
        except BlockingIOError:
            return
        except OSError:
            # The service is gone from this connection: nothing more is written.
            self.index = len(self.chunks)
            self.end(now)
            return
        self.offset += n
        self.result.sent += n
        self.progress = now
        if self.offset >= len(chunk):
            self.index += 1
            self.offset = 0
            self.ready_at = now + self.plan.get("pause", 0)
            if self.index == len(self.chunks):
                self.end(now)

    def end(self, now):
        self.ended = True
        how = self.plan["end"]
        if how == "shutdown":
            try:
                self.sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            if self.eof:
                self.finish("eof")
        elif how in ("close", "deaf"):
            self.finish("closed")
        elif how == "reset":
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.finish("reset")
        else:
            self.quiet_until = now + QUIET
            if self.eof:
                self.finish("eof")

    def receive(self, now):
        try:
            data = self.sock.recv(262144)
        except BlockingIOError:
            return
        except OSError:
            self.finish("reset")
            return
        if not data:
            self.eof = True
            if self.ended:
                self.finish("eof")
            return
        self.result.total += len(data)
        if len(self.result.reply) < KEEP_REPLY:
            self.result.reply += data[:KEEP_REPLY - len(self.result.reply)]
        if self.quiet_until is not None:
            self.quiet_until = now + QUIET


def exchange(jobs, seconds):
    """Carry out `jobs`, a list of (port, connection plan), all at once: a Result for each."""
    now = time.monotonic()
    deadline = now + seconds
    conns = [Connection(port, plan, now) for port, plan in jobs]
    for c in conns:
        if not c.done and not c.connecting and not c.sending():
            c.end(now)
    while True:
        now = time.monotonic()
        active = [c for c in conns if not c.done]
        if not active or now >= deadline:
            break
        poller = select.poll()
        wake = deadline
        fds = {}
        for c in active:
            if (c.quiet_until is not None and now >= c.quiet_until) or (c.deaf and now >= c.progress + STALL):
                c.finish("closed")
                continue
            events = 0
            if c.connecting:
                events = select.POLLOUT
            else:
                if not c.eof and not c.deaf:
                    events |= select.POLLIN
                if c.deaf:
                    wake = min(wake, c.progress + STALL)
                if c.sending():
                    if now >= c.ready_at:
                        events |= select.POLLOUT
                    else:
                        wake = min(wake, c.ready_at)
                if c.quiet_until is not None:
                    wake = min(wake, c.quiet_until)
            if events:
                poller.register(c.sock, events)
                fds[c.sock.fileno()] = c
        if not fds:
            if any(not c.done for c in active):
                time.sleep(max(0.0, min(wake, deadline) - now))
            continue
        for fd, event in poller.poll(max(0, (min(wake, deadline) - now) * 1000) + 1):
            c = fds[fd]
            if c.done:
                continue
            if c.connecting:
                c.connected()
                if not c.done and not c.sending():
                    c.end(now)
                continue
            if event & (select.POLLIN | select.POLLERR | select.POLLHUP) and not c.eof:
                c.receive(now)
            if not c.done and event & select.POLLOUT and c.sending():
                c.send(time.monotonic())
    for c in conns:
        c.finish("timeout")
    return [c.result for c in conns]


def ask(port, example, timeout):
    """Whether a fresh connection's known-good request is answered right within `timeout` seconds; the reply."""
    got = b""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(example.good)
            deadline = time.monotonic() + timeout
            while not example.answer.fullmatch(got) and len(got) < 1 << 20:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                s.settimeout(left)
                data = s.recv(65536)
                if not data:
                    break
                got += data
    except OSError:
        pass
    return example.answer.fullmatch(got) is not None, got


# ---- The services ------------------------------------------------------------------------------------------------

class Service(services.Service):
    """A TCP service on loopback: `port` is where its source's port listens."""

    PORT_LINE = re.compile(rb"listening on TCP port (\d+)")

    def __init__(self, runnable, example, target):
        self.target = target
        self.process = subprocess.Popen([runnable, "--netif", "tcp:0"], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, start_new_session=True)
        self.stderr = b""
        deadline = time.monotonic() + 30
        match = None
        while match is None and time.monotonic() < deadline:
            if not self.read_stderr(0.2) and self.process.poll() is not None:
                break
            match = self.PORT_LINE.search(self.stderr)
        if match is None:
            self.kill()
            raise RuntimeError(f"{runnable} did not say which port it listens on:\n{self.stderr[-1000:].decode()}")
        self.port = int(match.group(1))
        self.opened = 0    # connections made
        self.sent = 0      # bytes the kernel took from the fuzzer
        self.received = 0  # bytes that came back

    def drain(self):
        while self.process.poll() is None and self.read_stderr(0):
            pass

    def problem(self):
        """Why the service is no longer well (a trap, an end), or None."""
        self.drain()
        status = self.process.poll()
        if status is not None:
            while self.read_stderr(0):
                pass
        trap = re.search(rb"[^\n]*fatal error[^\n]*", self.stderr)
        if trap:
            return "trapped: " + trap.group(0).decode("utf-8", "replace").strip()
        if status is not None:
            return f"ended: {describe(status)}"
        return None

    def tree(self):
        """The process and its descendants (the isolated target's launcher and components)."""
        pids, k = [self.process.pid], 0
        while k < len(pids):
            pid = pids[k]
            k += 1
            try:
                for task in os.listdir(f"/proc/{pid}/task"):
                    with open(f"/proc/{pid}/task/{task}/children") as f:
                        pids += [int(x) for x in f.read().split()]
            except OSError:
                pass
        return pids

    def sockets(self):
        count = 0
        for pid in self.tree():
            try:
                for fd in os.listdir(f"/proc/{pid}/fd"):
                    try:
                        count += os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:")
                    except OSError:
                        pass
            except OSError:
                pass
        return count

    def memory(self):
        """Resident bytes of the process and its descendants."""
        total = 0
        for pid in self.tree():
            try:
                with open(f"/proc/{pid}/status") as f:
                    for line in f:
                        if line.startswith("VmRSS:"):
                            total += int(line.split()[1]) * 1024
            except OSError:
                pass
        return total

    def settle(self, baseline, seconds):
        """Wait until the service has no more sockets than at its start: whether it came to that."""
        deadline = time.monotonic() + seconds
        while self.sockets() > baseline:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.005)
        return True

    def ask(self, example, timeout):
        """The known-good request on a fresh connection: whether it was answered right, and the reply."""
        answered, got = ask(self.port, example, timeout)
        self.opened += 1
        self.sent += len(example.good)
        self.received += len(got)
        return answered, got

    def account(self, result):
        self.opened += result.connected
        self.sent += result.sent
        self.received += result.total


COUNTERS = re.compile(rb"connections (\d+) \(refused (\d+), reset (\d+)\), bytes received (\d+), sent (\d+), "
                      rb"dropped (\d+)")


def check_counters(service):
    lines = COUNTERS.findall(service.stderr)
    if not lines:
        return "no counters line at the end"
    connections, _, _, received, sent, _ = (int(x) for x in lines[-1])
    if connections > service.opened:
        return f"counted {connections} connections, but only {service.opened} were made"
    if received > service.sent:
        return f"counted {received} bytes received, but only {service.sent} were sent"
    if sent < service.received:
        return f"counted {sent} bytes sent, but {service.received} came back"
    return None


def keep(corpus, example, target, problem, inputs, compare=False):
    """Keep failing inputs as Tests/Fuzz/found/streams/EXAMPLE-HASH.json."""
    def text(chunk):
        return chunk.decode("latin-1") if isinstance(chunk, bytes) else chunk

    record = {"example": example.name, "source": example.relative, "target": target, "failure": problem,
              "compare": compare,
              "inputs": [{"connections": [{"chunks": [text(c) for c in conn["chunks"]], "pause": conn["pause"],
                                           "end": conn["end"]} for conn in item["connections"]]}
                         for item in inputs]}
    data = (json.dumps(record, indent=1) + "\n").encode()
    return corpus.keep("streams", example.name, data, ".json")


def first_difference(a, b):
    n = min(len(a), len(b))
    i = next((k for k in range(n) if a[k] != b[k]), n)
    lo = max(0, i - 20)
    return i, a[lo:i + 40], b[lo:i + 40]


def compare(example, stream_input, results, seconds):
    """Why the two targets' replies to one stream alone differ (or one did not end), or None; and
    whether they were compared at all."""
    chunks = stream_input["connections"][0]["chunks"]
    data = b"".join(c if isinstance(c, bytes) else c.encode("latin-1") for c in chunks)
    late = [t for t, r in zip(TARGETS, results) if r.ending == "timeout"]
    if late:
        return f"the reply to a half-closed stream of {len(data)} bytes did not end within {seconds:g} s on " \
               f"{' and '.join(late)}", True
    if not example.comparable(data, results):
        return None, False
    replies = [example.normalize(bytes(r.reply)) for r in results]
    endings = [r.ending for r in results]
    if replies[0] == replies[1] and endings[0] == endings[1]:
        return None, True
    if replies[0] == replies[1]:
        return f"one stream of {len(data)} bytes: the {TARGETS[0]} build's reply ended with {endings[0]}, " \
               f"the {TARGETS[1]} build's with {endings[1]}", True
    at, a, b = first_difference(replies[0], replies[1])
    return (f"one stream of {len(data)} bytes answered differently: {len(replies[0])} bytes ({TARGETS[0]}) and "
            f"{len(replies[1])} ({TARGETS[1]}), first different at byte {at}: {a!r} and {b!r}"), True


def run_alone(example, running, baselines, item, seconds):
    """One stream alone on each target, the services settled first: the results, or None if they would not settle."""
    for service in running:
        if not service.settle(baselines[service.target], 3):
            return None
    jobs = [(s.port, conn) for s in running for conn in item["connections"]]
    results = exchange(jobs, seconds)
    for service, r in zip(running, results):
        service.account(r)
    return results


def shrink_divergence(example, running, baselines, item, seconds, deadline):
    """The stream of a diverging input shrunk (written in one piece), while its replies still differ."""
    data = b"".join(item["connections"][0]["chunks"])[len(example.prefix):]

    def single(stream):
        return {"compare": True, "connections": [{"chunks": ([example.prefix] if example.prefix else []) + [stream],
                                                  "pause": 0.0, "end": "shutdown"}]}

    def fails(stream):
        if time.monotonic() >= deadline or any(s.problem() for s in running):
            return False
        results = run_alone(example, running, baselines, single(stream), seconds)
        return results is not None and compare(example, single(stream), results, seconds)[0] is not None

    if not fails(data):
        return item
    return single(shrink_input(data, fails, deadline))


def reproduce(runnable, example, target, item, seconds):
    """Whether `item` alone makes a fresh service of `target` fail: the problem, or None."""
    service = Service(runnable, example, target)
    try:
        exchange([(service.port, conn) for conn in item["connections"]], seconds)
        problem = service.problem()
        if problem is None and not ask(service.port, example, seconds / 2)[0]:
            problem = service.problem() or "no answer"
        return problem
    finally:
        service.kill()


def reduce_batch(runnable, example, target, batch, seconds, deadline):
    """The one input of `batch` that makes a fresh service fail (shrunk, when written in one piece
    it still does), or the whole batch."""
    for item in batch:
        if time.monotonic() >= deadline:
            break
        if reproduce(runnable, example, target, item, seconds) is None:
            continue
        if len(item["connections"]) != 1:
            return [item]
        conn = item["connections"][0]

        def single(stream):
            return {"connections": [{"chunks": [stream], "pause": 0.0, "end": conn["end"]}]}

        def fails(stream):
            return (time.monotonic() < deadline
                    and reproduce(runnable, example, target, single(stream), seconds) is not None)

        data = b"".join(conn["chunks"])
        if fails(data):
            return [single(shrink_input(data, fails, deadline))]
        return [item]
    return batch


# ---- The fuzzer --------------------------------------------------------------------------------------------------

def fuzz(rng, budget, tally, corpus, cleave, builds, timeout=5.0, log=print):
    examples = [e for e in EXAMPLES if os.path.exists(e.source)]
    # Both targets of every example built at once, two at a time (the builds take longer than the fuzzing in make test).
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        futures = {(e.name, t): pool.submit(build, cleave, e, t, builds) for e in examples for t in TARGETS}
        runnables = {key: f.result() for key, f in futures.items()}
    for k, example in enumerate(examples):
        share = budget.share(len(examples) - k)
        fuzz_example(rng, share, budget, tally, corpus, example, {t: runnables[(example.name, t)] for t in TARGETS},
                     timeout, log)


def fuzz_example(rng, share, budget, tally, corpus, example, runnables, timeout, log):
    running = []
    try:
        for target in TARGETS:
            running.append(Service(runnables[target], example, target))
        # The sockets and memory of a service that has answered once, with nothing open.
        baselines, memory = {}, {}
        for service in running:
            service.ask(example, timeout)
            time.sleep(0.05)
            baselines[service.target] = service.sockets()
            memory[service.target] = service.memory()
        compared = skipped = diverged = batches = 0
        failed = None  # (target, problem, batch)
        while failed is None and (share.more() or batches == 0):
            batches += 1
            batch = [fuzzed_input(rng, example) for _ in range(rng.randrange(1, 5))]
            for item in batch:
                seconds = timeout * 2
                if item.get("compare"):
                    results = run_alone(example, running, baselines, item, seconds)
                    if results is None:
                        skipped += 1
                    else:
                        problem, was = compare(example, item, results, seconds)
                        compared += was
                        skipped += not was
                        if problem and not any(s.problem() for s in running):
                            diverged += 1
                            if diverged == 1:
                                shrunk = shrink_divergence(example, running, baselines, item, seconds,
                                                           time.monotonic() + 20)
                                kept = keep(corpus, example, "both", problem, [shrunk], compare=True)
                                tally.fail(f"{example.name} (unikernel and isolated) over TCP: {problem}", kept)
                                log(f"  streams: {example.name}: {problem}: kept {kept}")
                else:
                    jobs = [(s.port, conn) for s in running for conn in item["connections"]]
                    for r, (port, _) in zip(exchange(jobs, seconds), jobs):
                        next(s for s in running if s.port == port).account(r)
                tally.inputs += 1
                share.take()
                budget.take()
                if any(s.process.poll() is not None for s in running):
                    break
            # Still alive, and still right.
            for service in running:
                problem = service.problem()
                if problem is None:
                    answered, got = service.ask(example, timeout)
                    if not answered:
                        problem = service.problem() or \
                            f"no right answer to {example.good!r} within {timeout:g} s (got {got[:80]!r})"
                if problem:
                    failed = (service.target, problem, batch)
                    break
        if failed is None:
            for service in running:
                failed = end_of_run(service, baselines[service.target], memory[service.target], tally, example,
                                    compared, skipped)
                if failed:
                    break
        if diverged > 1:
            tally.notes.append(f"{example.name}: {diverged - 1} more streams answered differently (not kept)")
    finally:
        for service in running:
            service.kill()
    if failed:
        target, problem, batch = failed
        service = next(s for s in running if s.target == target)
        detail = tail(service.stderr)
        if batch:
            batch = reduce_batch(runnables[target], example, target, batch, timeout * 2, time.monotonic() + 30)
            kept = keep(corpus, example, target, problem + detail, batch)
        else:
            kept = None
        tally.fail(f"{example.name} ({target}) over TCP: {problem}{detail}", kept)
        log(f"  streams: {example.name} ({target}): {problem}" + (f": kept {kept}" if kept else "") + detail)


def end_of_run(service, sockets, memory, tally, example, compared, skipped):
    """The checks at the end of a service's run: its connections gone, its memory, SIGTERM and its
    counters. A failure as (target, problem, None), or None."""
    problem = None
    if not service.settle(sockets, 5):
        problem = f"{service.sockets() - sockets} more sockets open than at its start, 5 s after the last connection"
    grown = service.memory() - memory
    if problem is None and grown > MEMORY_GROWTH:
        problem = f"resident memory grew by {grown / 2**20:.1f} MiB over the run (from {memory / 2**20:.1f} MiB)"
    if problem is None:
        status = service.stop()
        if status is None:
            problem = "did not end on SIGTERM"
        elif status != 0:
            problem = f"SIGTERM: {describe(status)}"
        else:
            trap = re.search(rb"[^\n]*fatal error[^\n]*", service.stderr)
            problem = (("trapped: " + trap.group(0).decode("utf-8", "replace").strip()) if trap
                       else check_counters(service))
    counted = COUNTERS.findall(service.stderr)
    if counted:
        c, f, r, i, o, d = (int(x) for x in counted[-1])
        tally.notes.append(f"{example.name} ({service.target}): {service.opened} connections, {service.sent} bytes "
                           f"sent, {service.received} came back; counted {c} connections (refused {f}, reset {r}), "
                           f"{i} bytes received, {o} sent, {d} dropped; memory grew {grown / 2**20:.1f} MiB"
                           + (f"; {compared} streams compared between the targets ({skipped} not comparable)"
                              if service.target == TARGETS[-1] else ""))
    return (service.target, problem, None) if problem else None

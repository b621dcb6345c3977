#!/usr/bin/python3
"""compare.py: sends the same raw bytes to redis-server and to a RESP server under test, and
reports every way the replies differ.

Each case is a byte sequence (RESP arrays, inline commands, malformed input, pipelined batches)
sent on a fresh connection to both servers at once, after FLUSHALL. The replies must be equal
byte for byte, and so must the way the connection ends: closed by the server (after a protocol
error, QUIT, or a POST) or still open when the input is used up (the client then half-closes
and reads what is left). Then come the split cases: a stream of commands is sent in two parts,
split at every byte boundary, and one byte at a time; every way must bring the reply redis-server
gives to the whole stream. Last, twelve connections send streams of their own (values up to
200,000 bytes) cut into random pieces, interleaved: each must get redis-server's replies.

    scripts/resp/compare.py --server 127.0.0.1:6379        # starts its own redis-server
    scripts/resp/compare.py --server 127.0.0.1:6379 --reference 127.0.0.1:16379 --only incr -v
    scripts/resp/compare.py --reference-self                 # redis-server against itself

The redis-server it starts (redis-server on the PATH, a free port, a temporary directory) has
the limits of Examples/resp-kv: --proto-max-bulk-len 1mb --databases 1, no persistence. A
--reference server should have them too. The cases in KNOWN_DIFFERENCES are where the example
answers otherwise on purpose (no expiry, no command table); they are sent and shown with -v,
never counted. Prints each difference, then `compare: N cases, M agree`; exits 1 when any
case differs. Only loopback addresses are accepted.
"""

import argparse
import contextlib
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

IDLE = 0.15        # seconds without a byte after which a server is taken to wait for more
FINISH = 5.0       # seconds a half-closed connection may take to end
WAIT = 20.0        # seconds a server under test may take to answer as much as redis-server did


def parse_address(text):
    host, _, port = text.rpartition(":")
    if not host.startswith("127.") and host != "localhost":
        raise argparse.ArgumentTypeError(f"{text}: only 127.0.0.0/8 addresses are used")
    return host, int(port)


def cmd(*args):
    """A RESP array of bulk strings, as clients send commands."""
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def exchange(address, pieces, gap=0.0, idle=IDLE, half_close=False, like=None):
    """Send the pieces (with `gap` seconds between them) on a new connection.

    Returns (reply, closed): closed is True when the server ended the connection before the
    client half-closed it. The client half-closes once the server has been quiet for `idle`
    seconds; with `like`, another server's (reply, closed) to the same bytes, it first waits
    (up to WAIT seconds) for as many bytes and, if that server closed, for the end, so that a
    slow server is not taken for one that stopped short. With half_close, the client half-closes
    right after the last piece (closed is then None)."""
    s = socket.create_connection(address, timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    reply = bytearray()
    closed = None
    done = threading.Event()

    def reader():
        try:
            while True:
                b = s.recv(1 << 20)
                if not b:
                    break
                reply.extend(b)
        except OSError:
            pass
        done.set()

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    try:
        for i, piece in enumerate(pieces):
            if i and gap:
                time.sleep(gap)
            s.sendall(piece)
    except OSError:
        pass
    if not half_close:
        if like is not None:
            deadline = time.monotonic() + WAIT
            while not done.is_set() and time.monotonic() < deadline and (len(reply) < len(like[0]) or like[1]):
                done.wait(0.01)
        # Wait until the server ends the connection or stays quiet for `idle` seconds.
        last = -1
        while not done.wait(idle):
            if len(reply) == last:
                break
            last = len(reply)
        closed = done.is_set()
    with contextlib.suppress(OSError):
        s.shutdown(socket.SHUT_WR)
    done.wait(FINISH)
    s.close()
    t.join(1)
    return bytes(reply), closed


END = cmd("ECHO", "end-of-stream")
END_REPLY = b"$13\r\nend-of-stream\r\n"


def exchange_whole(address, pieces, gap=0.0):
    """Send a stream of whole commands (in pieces) and then ECHO end-of-stream; the replies up to
    that echo's, which are left out. Redis drops the replies it has not written yet when the
    client half-closes, so a long reply is read this way."""
    s = socket.create_connection(address, timeout=30)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    for i, piece in enumerate(pieces):
        if i and gap:
            time.sleep(gap)
        s.sendall(piece)
    s.sendall(END)
    reply = bytearray()
    while not reply.endswith(END_REPLY):
        b = s.recv(1 << 20)
        if not b:
            break
        reply.extend(b)
    s.close()
    return bytes(reply[:-len(END_REPLY)]) if reply.endswith(END_REPLY) else bytes(reply) + b" (no end)"


def flush(address):
    r, _ = exchange(address, [cmd("FLUSHALL")], half_close=True)
    if r != b"+OK\r\n":
        raise SystemExit(f"compare: FLUSHALL on {address[0]}:{address[1]} answered {r[:80]!r}")


def both(addresses, fn):
    """fn(address) for every address at once (one after the other if they are the same server);
    the results in order."""
    if len(set(addresses)) < len(addresses):
        return [fn(a) for a in addresses]
    results = [None] * len(addresses)

    def run(i):
        results[i] = fn(addresses[i])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(addresses))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


# ---------------------------------------------------------------------------- the cases

MB = 1048576


def cases():
    """(name, bytes) pairs; each is sent on a fresh connection to an empty database."""
    c = []

    def add(name, *parts):
        c.append((name, b"".join(parts)))

    # Connection and simple commands.
    add("ping", cmd("PING"))
    add("ping-message", cmd("PING", "hello world"))
    add("ping-arity", cmd("PING", "a", "b"))
    add("echo", cmd("ECHO", "x\r\ny"), cmd("ECHO", ""), cmd("echo"), cmd("ECHO", "a", "b"))
    add("case-insensitive", cmd("sEt", "k", "v"), cmd("GeT", "k"), cmd("get", "K"))
    add("quit", cmd("PING"), cmd("QUIT"), cmd("PING"))
    add("quit-args", cmd("quit", "now", "please"), cmd("PING"))
    add("select", cmd("SELECT", "0"), cmd("SELECT", "1"), cmd("SELECT", "-1"), cmd("SELECT", "abc"),
        cmd("SELECT", "99999999999"), cmd("SELECT", "00"), cmd("SELECT"), cmd("select", "0", "1"))
    # GET and SET.
    add("get-set", cmd("GET", "k"), cmd("SET", "k", "v"), cmd("GET", "k"), cmd("SET", "k", "w"), cmd("GET", "k"))
    add("set-binary", cmd("SET", b"k\r\n\x00", b"\x00\xff\r\n$3\r\n"), cmd("GET", b"k\r\n\x00"),
        cmd("STRLEN", b"k\r\n\x00"))
    add("set-empty", cmd("SET", "", ""), cmd("GET", ""), cmd("EXISTS", ""), cmd("STRLEN", ""))
    add("set-nx-xx", cmd("SET", "k", "1", "XX"), cmd("SET", "k", "1", "NX"), cmd("SET", "k", "2", "nx"),
        cmd("SET", "k", "3", "xx"), cmd("GET", "k"), cmd("SET", "k", "4", "NX", "XX"), cmd("SET", "k", "4", "XX", "NX"),
        cmd("SET", "k", "5", "NX", "NX"), cmd("SET", "k", "5", "XX", "XX"), cmd("GET", "k"))
    add("set-get", cmd("SET", "k", "1", "GET"), cmd("SET", "k", "2", "GET"), cmd("SET", "k", "3", "get", "GET"),
        cmd("SET", "k", "4", "NX", "GET"), cmd("SET", "n", "4", "XX", "GET"), cmd("SET", "n", "5", "NX", "GET"),
        cmd("GET", "k"), cmd("GET", "n"))
    add("set-keepttl", cmd("SET", "k", "1", "KEEPTTL"), cmd("SET", "k", "2", "keepttl", "XX"), cmd("GET", "k"))
    add("set-syntax", cmd("SET", "k", "v", "FOO"), cmd("SET", "k", "v", "N"), cmd("SET", "k", "v", "NXX"),
        cmd("SET", "k", "v", "EX"), cmd("SET", "k", "v", "PX"), cmd("SET", "k", "v", b"NX\x00junk"),
        cmd("SET", "k"), cmd("SET"), cmd("GET", "k"))
    add("get-arity", cmd("GET"), cmd("GET", "a", "b"))
    add("setnx-getset-getdel", cmd("SETNX", "k", "1"), cmd("SETNX", "k", "2"), cmd("GETSET", "k", "3"),
        cmd("GETSET", "n", "4"), cmd("GETDEL", "k"), cmd("GETDEL", "k"), cmd("GET", "n"), cmd("SETNX", "k"),
        cmd("GETSET", "k"), cmd("GETDEL"))
    add("mget-mset", cmd("MSET", "a", "1", "b", "2"), cmd("MGET", "a", "x", "b", "a"), cmd("MSET", "a", "1", "b"),
        cmd("MSET", "a"), cmd("MGET"), cmd("MSETNX", "a", "9", "c", "3"), cmd("MSETNX", "c", "3", "d", "4"),
        cmd("MGET", "a", "c", "d"), cmd("MSETNX", "e"), cmd("MSETNX", "e", "1", "f"))
    add("append-strlen", cmd("APPEND", "k", "abc"), cmd("APPEND", "k", "def"), cmd("GET", "k"), cmd("STRLEN", "k"),
        cmd("STRLEN", "x"), cmd("APPEND", "k"), cmd("STRLEN"), cmd("SET", "n", "12"), cmd("APPEND", "n", "3"),
        cmd("INCR", "n"))
    # Integers.
    add("incr", cmd("INCR", "n"), cmd("INCR", "n"), cmd("DECR", "n"), cmd("DECR", "m"), cmd("INCRBY", "n", "10"),
        cmd("INCRBY", "n", "-30"), cmd("DECRBY", "n", "5"), cmd("DECRBY", "n", "-7"), cmd("GET", "n"), cmd("GET", "m"))
    for value in ["abc", " 1", "1 ", "01", "-0", "+1", "1.5", "", "-", "9223372036854775807", "-9223372036854775808",
                  "9223372036854775808", "-9223372036854775809", "18446744073709551616", "123456789012345678901", "0"]:
        add(f"incr-value:{value}", cmd("SET", "n", value), cmd("INCR", "n"), cmd("DECR", "n"), cmd("GET", "n"))
    add("incr-overflow", cmd("SET", "n", "9223372036854775806"), cmd("INCR", "n"), cmd("INCR", "n"),
        cmd("INCRBY", "n", "-9223372036854775808"), cmd("SET", "m", "-9223372036854775807"), cmd("DECR", "m"),
        cmd("DECR", "m"), cmd("INCRBY", "m", "9223372036854775807"), cmd("GET", "n"), cmd("GET", "m"))
    add("incrby-arguments", cmd("INCRBY", "n", "x"), cmd("INCRBY", "n", "1.0"), cmd("INCRBY", "n", " 2"),
        cmd("DECRBY", "n", "-9223372036854775808"), cmd("DECRBY", "n", "9223372036854775807"),
        cmd("DECRBY", "n", "2"), cmd("INCRBY", "n"), cmd("INCR"), cmd("DECR", "a", "b"), cmd("SET", "s", "str"),
        cmd("INCRBY", "s", "x"), cmd("INCRBY", "s", "1"), cmd("DECRBY", "s", "-9223372036854775808"))
    # Keys.
    add("del-exists", cmd("MSET", "a", "1", "b", "2", "c", "3"), cmd("EXISTS", "a", "a", "x", "b"),
        cmd("DEL", "a", "a", "x"), cmd("UNLINK", "b", "c", "b"), cmd("EXISTS", "a", "b", "c"), cmd("DEL"),
        cmd("EXISTS"), cmd("UNLINK"), cmd("DBSIZE"))
    add("type", cmd("SET", "a", "1"), cmd("TYPE", "a"), cmd("TYPE", "b"), cmd("TYPE"))
    add("dbsize-flush", cmd("DBSIZE"), cmd("MSET", "a", "1", "b", "2"), cmd("DBSIZE"), cmd("FLUSHDB"), cmd("DBSIZE"),
        cmd("SET", "a", "1"), cmd("FLUSHALL", "ASYNC"), cmd("DBSIZE"), cmd("SET", "a", "1"), cmd("FLUSHDB", "sync"),
        cmd("FLUSHALL", "foo"), cmd("FLUSHALL", "sync", "async"), cmd("FLUSHDB", b"async\x00x"), cmd("DBSIZE", "x"),
        cmd("DBSIZE"))
    # KEYS answers in the table's order, which differs: one key at a time, every pattern.
    patterns = ["hello", "w*", "*d", "*orl*", "h?llo", "h[^e]llo", "h[a-b]llo", "hal*o", "x*", "wor?d", "a\\*b",
                "a\\*", "h\\[l\\]o", "*[", "[b-a]*", "h[a-e", "h[\\a]llo", "**", "?", "w**d", "W*", "*x*", "h[",
                "world*", "*world", "*", "h[a-]llo", "h[-a]llo", "h[^]llo", "\\", "*\\", "[\\]"]
    for key in ["hello", "hallo", "hxllo", "world", "", "a*b", "h[l]o", "Hello", "\\", "h]llo", "h-llo"]:
        add(f"keys:{key}", cmd("SET", key, "1"), *[cmd("KEYS", p) for p in patterns])
    add("keys-arity", cmd("KEYS"), cmd("KEYS", "a", "b"))
    # Unknown commands and their messages.
    add("unknown", cmd("FOO"), cmd("FOO", "a", "b"), cmd("foo", "a b", "c\r\nd"), cmd(""), cmd("", ""),
        cmd(b"g\x00et", "k"), cmd("GET\x00", "k"), cmd("x" * 200, "y" * 200), cmd("FOO", "a" * 126, "b", "c"),
        cmd("FOO", "a" * 125, "b", "c"), cmd("FOO", *["abc"] * 50), cmd("FOO", b"a\x00b", "c"),
        cmd("setx", "k"), cmd("LPUSH\r\n", "x"))
    # CONFIG and COMMAND.
    add("config-get", *[cmd("CONFIG", "GET", p) for p in ["save", "appendonly", "SAVE", "AppendOnly", "databases",
                                                          "proto-max-bulk-len", "nosuch", "sav*", "appendonl?",
                                                          "SAV[E]", "datab*", "proto-max-bulk-le?"]])
    add("config-get-several", cmd("CONFIG", "GET", "save", "save", "SAVE", "nosuch"))
    add("config-errors", cmd("CONFIG"), cmd("CONFIG", "GET"), cmd("CONFIG", "FOO"), cmd("config", "foo", "bar"),
        cmd("CONFIG", "x" * 200))
    add("command-errors", cmd("COMMAND", "FOO"), cmd("COMMAND", "COUNT", "x"), cmd("command", "docs1"))
    add("post", b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    add("host", b"Host: evil\r\nPING\r\n")
    add("post-pipelined", cmd("PING"), b"post\r\n", cmd("PING"))
    add("post-resp", cmd("POST", "x"), cmd("PING"))
    # Inline commands.
    add("inline", b"PING\r\n", b"PING\n", b"ping hello\r\n", b"  SET   a   b  \r\n", b"GET a\r\n", b"\r\n", b"\n",
        b"   \r\n", b"ECHO \"\"\r\n", b"ECHO ''\r\n")
    add("inline-quotes", b"SET \"a b\" 'c d'\r\n", b"GET \"a b\"\r\n", b"ECHO \"\\x41\\x4a\\n\\r\\t\\b\\a\\z\\\\\"\r\n",
        b"ECHO 'it\\'s'\r\n", b"ECHO 'a\\nb'\r\n", b"ECHO x\"y z\"w\r\n", b"ECHO \"\\x4\" \"\\xzz\"\r\n",
        b"ECHO a\tb\r\n", b"ECHO a\x0bb\r\n", b"ECHO a\rb\r\n", b"ECHO \"a\"\t\r\n", b"ECHO \x0b\x0cc\r\n")
    add("inline-unbalanced-double", b"PING\r\nECHO \"abc\r\nPING\r\n")
    add("inline-unbalanced-single", b"ECHO 'abc\r\n")
    add("inline-quote-then-text", b"ECHO \"a\"b\r\n")
    add("inline-single-then-text", b"ECHO 'a'b\r\n")
    add("inline-nul", b"PI\x00NG\r\nPING\r\n")
    add("inline-crlf-mix", b"PING\r\r\n", b"ECHO a\r\r\n")
    add("inline-then-resp", b"SET a 1\r\n", cmd("GET", "a"), b"GET a\n")
    add("inline-long", b"ECHO " + b"x" * 60000 + b"\r\n")
    add("inline-too-big", b"PING\r\n", b"x" * 70000)
    # The RESP framing.
    add("resp-empty-arrays", b"*0\r\n", b"*-1\r\n", b"*-5\r\n", cmd("PING"))
    add("resp-lf-only", b"*1\n$4\r\nPING\r\n")
    add("resp-no-crlf-check", b"*1\r\n$4\r\nPINGxy", cmd("PING"))
    add("resp-cr-then-other", b"*1\rX$4\r\nPING\r\n", b"*1\r\n$4\rXPING\r\n")
    add("resp-bad-count", b"PING\r\n", b"*abc\r\n", cmd("PING"))
    add("resp-count-plus", b"*+1\r\n$4\r\nPING\r\n")
    add("resp-count-zero-padded", b"*01\r\n$4\r\nPING\r\n")
    add("resp-count-empty", b"*\r\n")
    add("resp-count-too-big", b"*2147483648\r\n")
    add("resp-count-max", b"*2147483647\r\n$4\r\nPING\r\n")
    add("resp-count-spaces", b"* 1\r\n$4\r\nPING\r\n")
    add("resp-expected-dollar", cmd("PING"), b"*1\r\nx\r\n")
    add("resp-expected-dollar-cr", b"*1\r\n\r\n")
    add("resp-expected-dollar-lf", b"*2\r\n$4\r\nECHO\r\n\n\r\n")
    add("resp-expected-dollar-high", b"*1\r\n\xff\r\n")
    add("resp-bulk-negative", b"*1\r\n$-1\r\n")
    add("resp-bulk-bad", b"*1\r\n$abc\r\n")
    add("resp-bulk-empty-length", b"*1\r\n$\r\n")
    add("resp-bulk-too-long", b"*2\r\n$3\r\nSET\r\n$1048577\r\n")
    add("resp-bulk-max", cmd("SET", "big", b"v" * MB), cmd("STRLEN", "big"), cmd("EXISTS", "big"))
    add("resp-bulk-max-get", cmd("SET", "big", b"\r\n" * (MB // 2)), cmd("GET", "big"))
    add("resp-too-big-mbulk-count", b"*" + b"1" * 70000)
    add("resp-too-big-bulk-count", b"*1\r\n$" + b"1" * 70000)
    add("resp-nul-in-count", b"*1\x00\r\n$4\r\nPING\r\n")
    add("resp-nul-in-bulk-count", b"*1\r\n$4\x00\r\nPING\r\n")
    add("resp-nul-in-data", cmd("ECHO", b"\x00\x00"))
    add("append-limit", cmd("SET", "k", b"a" * (MB - 1)), cmd("APPEND", "k", "b"), cmd("APPEND", "k", "c"),
        cmd("STRLEN", "k"))
    # Pipelines.
    add("pipeline-100", *[cmd("SET", f"key:{i}", f"value {i}") for i in range(50)],
        *[cmd("GET", f"key:{i}") for i in range(50)])
    add("pipeline-4000", *[cmd("INCR", f"c{i % 7}") for i in range(4000)], cmd("MGET", *[f"c{i}" for i in range(8)]))
    add("pipeline-then-error", cmd("SET", "a", "1"), cmd("GET", "a"), b"*1\r\n$x\r\n", cmd("GET", "a"))
    add("pipeline-mixed", b"PING\r\n", cmd("SET", "a", "1"), b"INCR a\r\n", b"*0\r\n", cmd("GET", "a"), b"\r\n",
        b"ECHO 'x y'\r\n")
    return c


# Answered otherwise on purpose: shown with -v, not counted.
KNOWN_DIFFERENCES = [
    ("set-ex", cmd("SET", "k", "v", "EX", "10") + cmd("SET", "k", "v", "PX", "100") + cmd("GET", "k")),
    ("command", cmd("COMMAND", "COUNT") + cmd("COMMAND", "DOCS")),
    ("config-get-all", cmd("CONFIG", "GET", "*")),
]


def split_stream():
    """A stream of commands (every kind of framing) for the split cases."""
    return (cmd("FLUSHALL") + cmd("SET", "a", "1") + b"INCR a\r\n" + cmd("GET", "a") + b"*0\r\n"
            + cmd("MSET", "k\r\n", "v\r\n", "x", "") + b"ECHO \"q \\x41\" 'z'\n" + cmd("MGET", "k\r\n", "x", "y")
            + b"\r\n" + cmd("ECHO", b"\x00*$\r\n") + b"PING\r\n" + cmd("DEL", "a", "x") + cmd("FOO", "bar"))


def connection_stream(k, rng):
    """Connection k's commands for the concurrent case: its own keys, every framing, big arguments."""
    parts = []
    for i in range(120):
        key = f"c{k}:{rng.randrange(8)}"
        choice = rng.randrange(9)
        if choice == 0:
            parts.append(cmd("SET", key, bytes(rng.randrange(256) for _ in range(rng.randrange(40)))))
        elif choice == 1:
            parts.append(cmd("SET", key, bytes([65 + k % 26]) * rng.choice([1000, 40000, 70000, 200000])))
        elif choice == 2:
            parts.append(f"INCR c{k}:n\r\n".encode())
        elif choice == 3:
            parts.append(cmd("MGET", key, f"c{k}:n", f"c{k}:{rng.randrange(8)}"))
        elif choice == 4:
            parts.append(cmd("DEL", key))
        elif choice == 5:
            parts.append(cmd("APPEND", key, "xyz"))
        elif choice == 6:
            parts.append(cmd("STRLEN", key))
        else:
            parts.append(cmd("GET", key))
    return b"".join(parts)


def concurrent(reference, server, connections=12, seed=1):
    """Connections that each send their own stream cut into random pieces, all interleaved: each
    must get the replies redis-server gives to its stream sent whole. True when they all do."""
    import random
    rng = random.Random(seed)
    streams = [connection_stream(k, rng) for k in range(connections)]
    flush(reference)
    expected = [exchange_whole(reference, [stream]) for stream in streams]
    flush(server)
    socks, replies, pieces = [], [], []
    for stream in streams:
        s = socket.create_connection(server, timeout=10)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        socks.append(s)
        replies.append(bytearray())
        stream += END
        cuts = sorted(rng.sample(range(1, len(stream)), 200))
        pieces.append([stream[a:b] for a, b in zip([0] + cuts, cuts + [len(stream)])])
    # Send one piece of each connection in turn, reading whatever has come back meanwhile.
    waiting = set(range(connections))
    step = 0
    while waiting:
        for k in range(connections):
            if step < len(pieces[k]):
                socks[k].sendall(pieces[k][step])
        step += 1
        ready, _, _ = select.select([socks[k] for k in waiting], [], [], 0 if step <= 201 else 10)
        if not ready and step > 201:
            break
        for s in ready:
            k = socks.index(s)
            b = s.recv(1 << 20)
            replies[k].extend(b)
            if not b or replies[k].endswith(END_REPLY):
                waiting.discard(k)
    ok = True
    for k in range(connections):
        socks[k].close()
        if replies[k].endswith(END_REPLY):
            del replies[k][-len(END_REPLY):]
        if bytes(replies[k]) != expected[k]:
            ok = False
            print(f"DIFF concurrent connection {k}: {len(replies[k])} bytes of replies, redis-server's {len(expected[k])}")
            i = next((i for i, (a, b) in enumerate(zip(replies[k], expected[k])) if a != b), min(len(replies[k]), len(expected[k])))
            print(f"     from byte {i}: redis-server {show(expected[k][i:i + 80])}; under test {show(replies[k][i:i + 80])}")
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--server", type=parse_address, help="the server under test, HOST:PORT")
    ap.add_argument("--reference", type=parse_address, help="a running redis-server (default: start one)")
    ap.add_argument("--reference-self", action="store_true", help="test the reference against itself")
    ap.add_argument("--only", help="run the cases whose name contains this")
    ap.add_argument("--no-split", action="store_true", help="skip the split and concurrent cases")
    ap.add_argument("-v", "--verbose", action="store_true", help="show every case and the known differences")
    args = ap.parse_args()
    if not args.server and not args.reference_self:
        ap.error("--server is required (or --reference-self)")

    with contextlib.ExitStack() as stack:
        reference = args.reference or stack.enter_context(start_redis())
        server = reference if args.reference_self else args.server
        addresses = [reference, server]
        total = agree = 0
        for name, data in cases():
            if args.only and args.only not in name:
                continue
            if args.reference_self:
                (r1, c1), (r2, c2) = [flush(reference) or exchange(reference, [data]) for _ in range(2)]
            else:
                both(addresses, flush)
                r1, c1 = exchange(reference, [data])
                r2, c2 = exchange(server, [data], like=(r1, c1))
            total += 1
            if r1 == r2 and c1 == c2:
                agree += 1
                if args.verbose:
                    print(f"ok   {name}: {show(r1)}{' (closed)' if c1 else ''}")
            else:
                print(f"DIFF {name}: sent {show(data)}")
                print(f"     redis-server: {show(r1)} ({'closed' if c1 else 'left open'})")
                print(f"     under test:   {show(r2)} ({'closed' if c2 else 'left open'})")
        if args.verbose:
            for name, data in KNOWN_DIFFERENCES:
                both(addresses, flush)
                r1, _ = exchange(reference, [data])
                r2, _ = exchange(server, [data])
                print(f"known {name}: redis-server {show(r1, 100)}; under test {show(r2, 100)}")
        if not args.no_split and (not args.only or "split" in args.only):
            stream = split_stream()
            expected = exchange_whole(reference, [stream])
            # Two parts, cut at every byte boundary; then one byte at a time.
            for k in range(1, len(stream)):
                got = exchange_whole(server, [stream[:k], stream[k:]], gap=0.002)
                total += 1
                if got == expected:
                    agree += 1
                else:
                    print(f"DIFF split at {k}: {show(stream[:k][-20:])} | {show(stream[k:][:20])}")
                    print(f"     redis-server: {show(expected)}")
                    print(f"     under test:   {show(got)}")
            pieces = [stream[i:i + 1] for i in range(len(stream))]
            got = exchange_whole(server, pieces, gap=0.001)
            total += 1
            if got == expected:
                agree += 1
            else:
                print(f"DIFF byte by byte: redis-server {show(expected)}; under test {show(got)}")
        if not args.no_split and (not args.only or "concurrent" in args.only):
            total += 1
            if concurrent(reference, server):
                agree += 1
        print(f"compare: {total} cases, {agree} agree")
        return 0 if total == agree else 1


def show(b, limit=300):
    text = repr(bytes(b))[2:-1]
    return text if len(text) <= limit else f"{text[:limit]}... ({len(b)} bytes)"


@contextlib.contextmanager
def start_redis():
    """redis-server on a free port of 127.0.0.1 with the example's limits; stopped on exit."""
    exe = shutil.which("redis-server")
    if exe is None:
        raise SystemExit("compare: redis-server is not on the PATH (scripts/install-deps.sh installs it)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with tempfile.TemporaryDirectory(prefix="compare-redis-") as directory:
        proc = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                                 "--daemonize", "no", "--proto-max-bulk-len", "1mb", "--databases", "1",
                                 "--dir", directory, "--logfile", os.path.join(directory, "redis.log")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                # A caller may block SIGTERM (a test runner's threads do): unblocked,
                                # so that redis-server ends when told to.
                                preexec_fn=lambda: signal.pthread_sigmask(signal.SIG_SETMASK, set()))
        try:
            address = ("127.0.0.1", port)
            deadline = time.monotonic() + 10
            while True:
                try:
                    r, _ = exchange(address, [cmd("PING")], half_close=True)
                    if r == b"+PONG\r\n":
                        break
                except OSError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("compare: redis-server did not start")
                time.sleep(0.05)
            yield address
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


if __name__ == "__main__":
    sys.exit(main())

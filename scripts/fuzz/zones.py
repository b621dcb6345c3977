"""The zone fuzzer: mutated zone files through Examples/dns, whose zone
(`example.zone`, RFC 1035 master file format) is embedded at build time and
read by the program's own `readZone` in a global constant, which the compiler
computes when the program is checked.

Seeds are example.zone, a few small valid zones written here, and the zones
this fuzzer kept before. A mutant is a seed after one to four edits: lines
deleted, duplicated, swapped, repeated or made blank-owner; byte ranges
deleted, duplicated or swapped; tokens replaced or inserted (parentheses,
quotes, semicolons, backslash escapes, directives, `@`, `*`, classes, types
known and unknown, edge numbers and TTLs, addresses); long labels, names and
lines; deep parentheses; CR, NUL and invalid UTF-8; line endings made CRLF;
thousands of records appended; now and then a zone at the 16 MiB embed limit.

Each mutant is written as example.zone beside a copy of dns.clv and checked
(`cleave check`). It fails when the compiler is killed by a signal, exits
with anything but 0 or 1, says "internal error", runs past the time limit, or
exits 1 with anything but exactly the diagnostic of a mistake in the zone: a
`global-traps` error at the global `zone` whose message is
`example.zone:LINE: ...`, LINE a line of the file that holds something (not
blank, not a comment; line 1 for a zone with no SOA) and, when the message
quotes a word of a record, the line that record begins on; for a zone over
16 MiB, an `embed-*` error.

A share of the mutants that pass the check (more of the large ones, whose
zone may be left to the service's start) is built as a unikernel and run on
loopback (`--netif udp:0`) with a few queries: the SOA of the zone's apex (it
must come back NOERROR, authoritative, with an answer), its NS, a name of the
zone, a name under the apex that is not in it, a name outside, junk; then
SIGTERM, and the service must exit 0 with its counters. A service that
stopped at its start must have exited 1 with `fatal error: example.zone:LINE:`
(LINE as above). A zone small enough is then served again padded with comment
lines (the same zone, too long for the check's 2 s), so that the compiled
readZone reads it at the start: every answer must be the same. Likewise one
in 40 of the zones the check refuses is padded and run: the service must stop
at its start with the same line and message.

A failing check is shrunk (lines, then bytes) while it fails the same way, and
kept under found/zones/ as check-HASH.zone (unless a kept zone still fails
that way: then it counts as that one's failure again); a zone whose service failed is kept
as it is, as run-HASH.zone (served) or late-HASH.zone (a refused zone read at
the start).
"""

import glob
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import time

from common import RANGE_EDITS, ROOT, edit_range, kill_group, pick_weighted, run, shrink_input, signal_name

DNS = os.path.join(ROOT, "Examples/dns")
ZONE = "example.zone"
# embed's limit: a larger file is an embed-too-large error.
EMBED_LIMIT = 16 << 20
# Mutants stay small, but for the few made at the embed limit on purpose.
LARGEST = 1 << 20

# Small valid zones, each showing something example.zone does not.
SMALL_ZONES = [
    # The least a zone needs: an SOA and an NS at its apex.
    b"$ORIGIN a.\n$TTL 60\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 10.0.0.1\n",
    # No $TTL: the SOA's minimum is the default TTL (RFC 2308); absolute names only.
    b"test.org. IN SOA ns.test.org. admin.test.org. ( 1 1h 30m 2w 1d )\n"
    b"test.org. NS ns.test.org.\nns.test.org. A 192.0.2.1\n"
    b"test.org. MX 0 .\ntest.org. TXT \"\" \"x\"\n",
    # $ORIGIN changed midway, escapes in names and strings, a wildcard, class and TTL either way round.
    b"$ORIGIN example.org.\n$TTL 1d2h\n@ IN 300 SOA ns1 host\\.master 2026010101 7200 900 1209600 300\n"
    b"  IN NS ns1\n  IN NS ns2.example.net.\nns1 A 198.51.100.1\n"
    b"$ORIGIN sub.example.org.\nwww CNAME @\n@ 600 IN A 198.51.100.2\n"
    b"\\065b\\.c TXT \"\\\"q\\\"\" \"\\255\\000\" ; a comment\n*.w AAAA ::ffff:198.51.100.3\n",
    # The root as apex (its records at the apex alone), edge serial and TTLs.
    b"$TTL 0\n. SOA a.root-servers.net. nstld.verisign-grs.com. 4294967295 0 0 0 0\n"
    b". NS a.root-servers.net.\n. 4294967295 TXT \"root\"\n",
    # A delegation with glue, an empty non-terminal, a name of 254 bytes (one under the longest).
    b"$TTL 1\nzone. SOA ns.zone. h.zone. 0 0 0 0 0\nzone. NS ns.zone.\nns.zone. A 192.0.2.1\n"
    b"d.zone. NS ns.d.zone.\nns.d.zone. A 192.0.2.2\na.b.c.zone. AAAA 2001:db8::\n"
    + b"x." * 124 + b"zone. A 192.0.2.3\n",
    # Parentheses across many lines, blank owners, CRLF line endings.
    b"$ORIGIN x.y.\r\n$TTL 3600\r\n@ SOA (\r\n  ns\r\n  hm\r\n  1\r\n  2\r\n  3\r\n  4\r\n  5 )\r\n"
    b"  NS ns\r\n  MX ( 10\r\n    mail )\r\nns A 10.1.2.3\r\n  AAAA 1:2:3:4:5:6:7:8\r\nmail A 10.1.2.4\r\n",
]

# What a zone file is made of, well formed and not.
TOKENS = [
    "(", ")", "((", "))", "( ", " )", "\"", "\"\"", "\";\"", ";", "; comment", "\\", "\\.", "\\\\", "\\\"", "\\065",
    "\\000", "\\255", "\\256", "\\999", "\\6", "\\06", "\\ ", "\\;", "\\(", "\\\n", "$ORIGIN", "$ORIGIN example.org.",
    "$ORIGIN .", "$ORIGIN sub", "$ORIGIN @", "$ORIGIN a..b.", "$TTL", "$TTL 0", "$TTL 4294967295", "$TTL 4294967296",
    "$TTL 1w2d3h4m5s", "$TTL 1x", "$TTL 1h 2h", "$INCLUDE other.zone", "$INCLUDE example.zone",
    "$GENERATE 1-10 h$ A 10.0.0.$", "$", "$FOO", "@", "*", "*.x", "x.*", "*.*", "**", ".", "..", "a..b", "x.",
    "IN", "in", "CH", "HS", "CS", "ANY", "NONE", "CLASS1", "CLASS255", "TYPE1", "TYPE65535", "type", "PTR", "SRV",
    "CAA", "HINFO", "DS", "FOO", "A", "a", "AAAA", "NS", "CNAME", "SOA", "MX", "TXT", "0", "00", "65535", "65536",
    "4294967295", "4294967296", "99999999999", "18446744073709551617", "-1", "+1", "1h", "1H30M", "1w1w1w1w1w1w1w1w",
    "9999999999w", "1s1", "h1", "1.2.3.4", "0.0.0.0", "255.255.255.255", "256.0.0.0", "1.2.3", "1.2.3.4.5",
    "01.002.3.4", "1..2.3", "::", "::1", "1::", "::ffff:1.2.3.4", "1::2::3", "1:2:3:4:5:6:7:8:9", "fffff::",
    ":1:2:3:4:5:6:7", "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:7:1.2.3.4", "g::", "\r", "\0", "\t", " ", "\n", "\n\n",
    "\x0b", "\x0c", "\x7f", "\u00e9", "\U0001F600", "\ufeff",
]

NUMBERS = [b"0", b"1", b"60", b"255", b"256", b"65535", b"65536", b"2147483647", b"2147483648", b"4294967295",
           b"4294967296", b"9999999999", b"99999999999", b"9223372036854775807", b"9223372036854775808",
           b"18446744073709551616", b"1w", b"4294967295s", b"7101w", b"7102w", b"1193046h1s", b"49710d", b"0w0d0h0m0s"]

TYPES = ["A", "AAAA", "NS", "CNAME", "MX", "TXT", "SOA", "PTR", "SRV", "TYPE99", "X25", "A6", "CLASS1", "ANY"]
CLASSES = ["IN", "in", "CH", "HS", "CS", "ANY", "NONE", "CLASS1", "CLASS255", "3600", "1d", "IN 60", "60 IN"]

TOKEN = re.compile(rb"\"(?:[^\"\\\n]|\\.)*\"|[^\s;()\"]+|[;()\"]")
NUMBER = re.compile(rb"(?<![A-Za-z0-9.:])[0-9]+[smhdwSMHDW]?(?![A-Za-z0-9.:])")


def seeds(found):
    """example.zone, the small zones, and the zones kept before (those of at most LARGEST bytes)."""
    with open(os.path.join(DNS, ZONE), "rb") as f:
        out = [f.read()] + SMALL_ZONES
    for path in sorted(glob.glob(os.path.join(found, "zones", "*.zone"))):
        if os.path.getsize(path) <= LARGEST:
            with open(path, "rb") as f:
                out.append(f.read())
    return out


def long_label(rng):
    return rng.choice([b"x" * 63, b"y" * 64, b"z" * 255, b"w" * 1000, b"\\065" * 63, b"\\065" * 64, b"\\." * 64])


def long_name(rng):
    n = rng.choice([60, 62, 63, 64, 126, 127, 128, 200])
    name = b"a." * n
    return name if rng.random() < 0.5 else name[:-1]


def long_line(rng):
    n = rng.choice([1000, 65536, 200000])
    return rng.choice([
        lambda: b"x" * n, lambda: b" " * n + b"A 10.0.0.1", lambda: b"t TXT " + b"\"s\" " * (n // 4),
        lambda: b"t TXT \"" + b"q" * n + b"\"", lambda: b";" + b"c" * n, lambda: b"\\" * n,
        lambda: b"(" * n, lambda: b"t TXT " + b"\\065" * (n // 4), lambda: b"a." * (n // 2) + b" A 10.0.0.1",
    ])()


def many_records(rng, data):
    """A few thousand records after the zone: names, types and values of every kind the reader takes."""
    n = rng.choice([500, 1000, 2000, 3000, 5000])
    lines = []
    for i in range(n):
        kind = rng.randrange(8)
        name = rng.choice([b"h%d" % i, b"h%d.sub%d" % (i, i % 7), b"*.w%d" % i, b"h%d.example.com." % i])
        if kind == 0:
            lines.append(b"%s A 10.%d.%d.%d" % (name, i >> 16 & 255, i >> 8 & 255, i & 255))
        elif kind == 1:
            lines.append(b"%s AAAA 2001:db8::%x" % (name, i))
        elif kind == 2:
            lines.append(b"%s %d TXT \"record %d\" \"%s\"" % (name, i, i, b"x" * (i % 200)))
        elif kind == 3:
            lines.append(b"%s IN MX %d mail%d" % (name, i % 65536, i))
        elif kind == 4:
            lines.append(b"c%d CNAME h%d" % (i, i + 1))
        elif kind == 5:
            lines.append(b"  A 10.255.%d.%d" % (i >> 8 & 255, i & 255))
        elif kind == 6:
            lines.append(b"%s NS ns%d.example.net." % (name, i))
        else:
            lines.append(b"%s ( %dh IN\n  A\n  10.9.%d.%d ) ; %d" % (name, i % 100, i >> 8 & 255, i & 255, i))
    if rng.random() < 0.3:
        # One mistake, late: a large zone is read at the service's start, which must say where.
        mistake = rng.choice([b"bad A 10.0.0.256", b"bad BOGUS x", b"( (", b"bad TXT \"\\999\"", b"$INCLUDE x",
                              b"bad CNAME a..b"])
        lines.insert(rng.randrange(len(lines) + 1), mistake)
    return data + (b"" if data.endswith(b"\n") or not data else b"\n") + b"\n".join(lines) + b"\n"


def at_the_limit(rng, data):
    """A zone at the embed limit: padded with comment lines to 16 MiB, one byte less or one more."""
    size = EMBED_LIMIT + rng.choice([-1, 0, 1])
    pad = b"; " + b"p" * 1000 + b"\n"
    body = data + (b"" if data.endswith(b"\n") else b"\n")
    body += pad * ((size - len(body)) // len(pad) + 1)
    return body[:size]


def invalid_utf8(rng):
    return rng.choice([b"\x80", b"\xff", b"\xc3\x28", b"\xe2\x82", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xc0\xaf",
                       bytes(rng.randrange(256) for _ in range(rng.randrange(1, 8)))])


def mutate_once(rng, data, other):
    if not data:
        return rng.choice(SMALL_ZONES)
    kind = pick_weighted(rng, [
        (10, "delete-line"), (8, "duplicate-line"), (6, "swap-lines"), (3, "repeat-line"), (5, "blank-owner"),
        (8, "delete"), (5, "duplicate"), (3, "swap"), (18, "insert"), (14, "replace-token"), (8, "number"),
        (3, "type"), (3, "label"), (3, "name"), (2, "long-line"), (2, "nest"), (3, "control"), (2, "utf8"),
        (1, "crlf"), (3, "splice"), (2, "byte"), (4, "escape-newline"),
    ])
    lines = data.split(b"\n")
    if kind == "delete-line":
        del lines[rng.randrange(len(lines))]
        return b"\n".join(lines)
    if kind == "duplicate-line":
        lines.insert(rng.randrange(len(lines) + 1), rng.choice(lines))
        return b"\n".join(lines)
    if kind == "swap-lines":
        a, b = rng.randrange(len(lines)), rng.randrange(len(lines))
        lines[a], lines[b] = lines[b], lines[a]
        return b"\n".join(lines)
    if kind == "repeat-line":
        k = rng.randrange(len(lines))
        lines[k:k + 1] = [lines[k]] * rng.choice([10, 100, 1000, 3000])
        return b"\n".join(lines)
    if kind == "blank-owner":
        # A record made to take the previous owner, or given the first word as its owner.
        k = rng.randrange(len(lines))
        if lines[k][:1] in (b" ", b"\t"):
            lines[k] = lines[k].lstrip(b" \t")
        else:
            lines[k] = rng.choice([b" ", b"\t", b"  "]) + lines[k]
        return b"\n".join(lines)
    if kind in RANGE_EDITS:
        return edit_range(rng, data, kind)
    if kind == "insert":
        at = rng.randrange(len(data) + 1)
        return data[:at] + rng.choice(TOKENS).encode() + data[at:]
    tokens = list(TOKEN.finditer(data))
    if kind == "replace-token" and tokens:
        t = rng.choice(tokens)
        replacement = rng.choice(tokens).group(0) if rng.random() < 0.4 else rng.choice(TOKENS).encode()
        return data[:t.start()] + replacement + data[t.end():]
    if kind == "number":
        numbers = list(NUMBER.finditer(data))
        if numbers:
            t = rng.choice(numbers)
            return data[:t.start()] + rng.choice(NUMBERS) + data[t.end():]
        return data
    if kind == "type":
        types = [t for t in tokens if t.group(0).upper().decode("latin-1") in TYPES + ["IN"]]
        if types:
            t = rng.choice(types)
            return data[:t.start()] + rng.choice(TYPES + CLASSES).encode() + data[t.end():]
        return data
    if kind in ("label", "name") and tokens:
        t = rng.choice(tokens)
        piece = long_label(rng) if kind == "label" else long_name(rng)
        word = t.group(0)
        if kind == "label" and b"." in word and rng.random() < 0.5:
            parts = word.split(b".")
            parts[rng.randrange(len(parts))] = piece
            piece = b".".join(parts)
        elif kind == "name" and rng.random() < 0.5:
            piece += word
        return data[:t.start()] + piece + data[t.end():]
    if kind == "long-line":
        lines.insert(rng.randrange(len(lines) + 1), long_line(rng))
        return b"\n".join(lines)
    if kind == "nest":
        depth = rng.choice([2, 3, 10, 1000])
        at = rng.randrange(len(data) + 1)
        return data[:at] + b"(" * depth + data[at:] + (b")" * depth if rng.random() < 0.5 else b"")
    if kind == "control":
        at = rng.randrange(len(data) + 1)
        return data[:at] + rng.choice([b"\r", b"\0", b"\r\r", b"\x1b[0m", b"\x7f", b"\x0c", b"\x0b", b"\t"]) + data[at:]
    if kind == "utf8":
        at = rng.randrange(len(data) + 1)
        return data[:at] + invalid_utf8(rng) + data[at:]
    if kind == "crlf":
        return data.replace(b"\n", b"\r\n") if rng.random() < 0.7 else data.replace(b"\n", b"\r")
    if kind == "splice" and other:
        a, b = rng.randrange(len(data) + 1), rng.randrange(len(other) + 1)
        return data[:a] + other[b:]
    if kind == "escape-newline":
        # A backslash at the end of a line, inside or outside a quoted string.
        k = rng.randrange(len(lines))
        lines[k] += rng.choice([b"\\", b" \\", b" \"\\", b" \"a\\"])
        return b"\n".join(lines)
    at = rng.randrange(len(data))
    return data[:at] + bytes([rng.randrange(256)]) + data[at + 1:]


def mutate(rng, data, other):
    big = pick_weighted(rng, [(92, None), (7, "many"), (1, "limit")])
    for _ in range(1 + min(3, int(rng.expovariate(1.0)))):
        data = mutate_once(rng, data, other)[:LARGEST]
    if big == "many":
        data = many_records(rng, data)
    elif big == "limit":
        data = at_the_limit(rng, data)
    return data


def line_count(data):
    """The file's lines as the zone reader counts them (a last line without a newline counts; an empty file has 1)."""
    return max(1, data.count(b"\n") + (0 if data.endswith(b"\n") else 1))


def holds_something(data, line):
    """The line `line` (1-based) has a byte that is not a blank and does not begin a comment."""
    lines = data.split(b"\n")
    text = lines[line - 1].lstrip(b" \t\r") if 0 < line <= len(lines) else b""
    return text != b"" and not text.startswith(b";")


def zone_line_problem(data, line, message):
    """What is wrong with a zone error's line, or None."""
    count = line_count(data)
    if not 1 <= line <= count:
        return f"the zone error names line {line} of a file of {count} lines"
    if message.startswith("the zone has no SOA record"):
        return None if line == 1 else f"the zone error for no SOA names line {line}"
    if not holds_something(data, line):
        return f"the zone error names line {line}, blank or a comment"
    # A message that quotes a word of the record (printable ASCII, so that it reads the same in the
    # diagnostic) names the line that record begins on, every newline counted.
    m = QUOTED_WORD.match(message)
    if m:
        word = (m.group(1) if m.group(1) is not None else m.group(2)).encode()
        found = entries(data, every_newline=True)
        if found is not None and not any(at == line and word in (w for w, _ in words) for at, _, words in found):
            return f"the zone error names line {line}, where no record begins with the word it quotes"
    return None


# The messages that quote a word as written (not a name as read: "'www.example.com.' is outside the zone").
QUOTED_WORD = re.compile(r"(?:the relative name |record type |a bad escape in |unknown directive )'([ -&(-~]*)'"
                         r"|'([ -&(-~]*)' is not ")


# Comment lines after a zone that ends with a newline: the same zone, too long for the check to
# read in its 2 s, so the service reads it when it starts, with the compiled readZone.
PADDING = (b"; " + b"p" * 98 + b"\n") * 20000
# Zones up to this size are also read padded, and compared.
PADDED_UP_TO = 256 * 1024
# Larger zones are only checked: a build embedding many megabytes takes long.
SERVED_UP_TO = 4 << 20


def paddable(data):
    """Comment lines after `data` leave its meaning and its lines as they are."""
    return len(data) <= PADDED_UP_TO and data.endswith(b"\n") and not data.endswith(b"\\\n")


def printable(message):
    return all(" " <= ch <= "~" for ch in message)


class Checker:
    """Checks and runs Examples/dns with a zone, and tells how it failed (None: it did not)."""

    def __init__(self, cleave, timeout, work):
        self.cleave = cleave
        self.timeout = timeout
        self.work = work
        shutil.copy(os.path.join(DNS, "dns.clv"), os.path.join(work, "dns.clv"))
        self.valid = 0
        self.served = 0
        self.stopped_at_start = 0
        self.compared = 0
        self.prefix, self.suffix = self.calibrate()

    def write(self, data):
        with open(os.path.join(self.work, ZONE), "wb") as f:
            f.write(data)

    def calibrate(self):
        """The diagnostic of a mistake in the zone, around its message: what every such diagnostic must be."""
        self.write(b"x\n")
        r = run([self.cleave, "check", "dns.clv"], 60, cwd=self.work)
        message = "example.zone:1: the relative name 'x' needs an $ORIGIN before it"
        if r.status != 1 or r.stderr.count(message) != 1 or " [global-traps]\n" not in r.stderr:
            raise RuntimeError(f"a zone error in Examples/dns is not reported as expected:\n{r.stderr[:2000]}")
        at = r.stderr.index(message)
        return r.stderr[:at], r.stderr[at + len(message):]

    def check(self, data):
        """(failure, command, outcome) of `cleave check` with the zone `data`; failure None when it did not fail."""
        self.write(data)
        command = [self.cleave, "check", "dns.clv"]
        keep = 2 * len(data) + (1 << 20)
        outcome = run(command, self.timeout, keep=keep, cwd=self.work)
        problem = self.failure(outcome, data)
        if problem and problem.startswith("hang"):
            # Confirm a hang alone: a busy machine is not a hang.
            again = run(command, self.timeout * 2, keep=keep, cwd=self.work)
            if not again.timed_out:
                outcome = again
                problem = self.failure(outcome, data)
        return problem, command, outcome

    def failure(self, outcome, data):
        if outcome.timed_out:
            return f"hang: more than {self.timeout:g} s"
        if outcome.status < 0:
            return f"crash: killed by {signal_name(outcome.status)}"
        if outcome.status not in (0, 1):
            return f"crash: exit status {outcome.status}"
        if "internal error" in outcome.text:
            return "internal error"
        if outcome.status == 1:
            return self.diagnostic_problem(outcome.stderr, data)
        return None

    def zone_error(self, stderr):
        """(LINE, message) when `stderr` is exactly the diagnostic of `example.zone:LINE: message`, else None."""
        if len(stderr) < len(self.prefix) + len(self.suffix):
            return None
        if not (stderr.startswith(self.prefix) and stderr.endswith(self.suffix)):
            return None
        m = re.match(r"example\.zone:(\d+): (.*)\Z", stderr[len(self.prefix):len(stderr) - len(self.suffix)], re.S)
        return (int(m.group(1)), m.group(2)) if m else None

    def diagnostic_problem(self, stderr, data):
        """None when `stderr` is exactly the diagnostic of a mistake in the zone `data`."""
        first = stderr.split("\n", 1)[0][:300]
        if len(data) > EMBED_LIMIT:
            errors = re.findall(r"^\S*dns\.clv:\d+:\d+: error: .*$", stderr, re.M)
            if len(errors) == 1 and re.search(r"\[embed-[a-z-]+\]$", errors[0]):
                return None
            return f"not an embed error for a zone over {EMBED_LIMIT >> 20} MiB: {first}"
        error = self.zone_error(stderr)
        if error is None:
            if stderr.startswith(self.prefix) and stderr.endswith(self.suffix):
                middle = stderr[len(self.prefix):len(stderr) - len(self.suffix)]
                return f"global-traps, not a zone error: {middle[:300]}"
            return f"not the diagnostic of a zone error: {first}"
        return zone_line_problem(data, *error)

    def build(self, data, name):
        """(runnable, failure, diagnostic): Examples/dns built with the zone `data` (runnable None when it was not)."""
        self.write(data)
        out = os.path.join(self.work, name)
        if os.path.exists(out):
            os.remove(out)
        r = run([self.cleave, "build", "dns.clv", "--target", "unikernel", "-o", out], 300,
                keep=2 * len(data) + (1 << 20), cwd=self.work)
        if r.timed_out:
            return None, "cleave build: hang: more than 300 s", None
        if r.status != 0:
            # Built after the check passed: a zone error is right (the build may read what the check left).
            problem = self.failure(r, data)
            return None, (f"cleave build: {problem}" if problem else None), self.zone_error(r.stderr)
        return out, None, None

    def serve(self, data, rng):
        """A zone that passed the check, served: built, run, asked, stopped. With a zone small enough, the
        same again with the zone padded (read at the start by the compiled readZone): the same answers."""
        queries = make_queries(data, rng)
        runnable, problem, _ = self.build(data, "dns-service")
        if runnable is None:
            return problem
        problem, what, replies = run_service(runnable, data, queries)
        self.count(what)
        if problem or what != "served" or not paddable(data):
            return problem
        padded = data + PADDING
        runnable, problem, error = self.build(padded, "dns-service-late")
        if runnable is None:
            return problem or f"padded with comments, cleave build reports a zone error the check did not: {error}"
        problem, what, late = run_service(runnable, padded, queries)
        self.compared += 1
        if problem:
            return f"read at the start: {problem}"
        if what != "served":
            return (f"read at the start, the zone stops the service (example.zone:{late[0]}: {late[1]}); "
                    "the check accepted it")
        for (message, want), early, start in zip(queries, replies, late):
            if want is not None and early != start:
                return (f"read at the start, the answer to {describe_query(message)} differs: {hex_or_none(start)}; "
                        f"read by the check: {hex_or_none(early)}")
        return None

    def late_error(self, data, line, message):
        """A zone the check refused, read at the service's start: the same line and message (None when so)."""
        if not paddable(data):
            return None
        padded = data + PADDING
        problem, _, outcome = self.check(padded)
        if problem:
            return f"padded with comments, cleave check: {problem}"
        if outcome.status == 1:
            got = self.zone_error(outcome.stderr)
            if got == (line, message):
                return None
            return f"padded with comments, cleave check reports {got} instead of example.zone:{line}: {message}"
        runnable, problem, error = self.build(padded, "dns-service-late")
        if runnable is None:
            if problem or error == (line, message):
                return problem
            return f"padded with comments, cleave build reports {error} instead of example.zone:{line}: {message}"
        problem, what, error = run_service(runnable, padded, [])
        self.count(what)
        self.compared += 1
        if problem:
            return f"read at the start: {problem}"
        if what != "stopped at start":
            return f"read at the start, the zone is served; cleave check said example.zone:{line}: {message}"
        if error[0] != line or (printable(message) and error[1] != message):
            return (f"read at the start: example.zone:{error[0]}: {error[1]}; "
                    f"cleave check said example.zone:{line}: {message}")
        return None

    def count(self, what):
        if what == "served":
            self.served += 1
        elif what == "stopped at start":
            self.stopped_at_start += 1


def query(ident, name, qtype, edns=False):
    """A DNS query: `name` in wire format."""
    header = ident.to_bytes(2, "big") + bytes([0, 0, 0, 1, 0, 0, 0, 0, 0, 1 if edns else 0])
    opt = b"\0\0\x29\x04\xd0\0\0\0\0\0\0" if edns else b""
    return header + name + qtype.to_bytes(2, "big") + b"\0\1" + opt


def make_queries(data, rng):
    """(message, what must come back) of the queries a served zone is asked: "soa" (the apex's SOA, answered
    with authority), "any" (some reply) or None (junk: no reply needed)."""
    apex, owners = read_zone(data)
    if apex is None:
        return None
    inside = b"\x0cfuzz-nothing" + apex if len(apex) + 13 <= 255 else apex
    return [
        (query(0x5301, apex, 6, edns=True), "soa"),
        (query(0x5302, apex, 2), "any"),
        (query(0x5303, rng.choice(owners) if owners else apex, rng.choice([1, 28, 16, 15, 5, 255]), edns=True), "any"),
        (query(0x5304, inside, 1), "any"),
        (query(0x5305, b"\x07example\x07invalid\x00", 1), "any"),
        (bytes(rng.randrange(256) for _ in range(rng.choice([0, 5, 12, 40]))), None),
        (query(0x5306, apex, 6, edns=True), "soa"),
    ]


def describe_query(message):
    end = message.find(b"\0", 12)
    if len(message) < 12 or end < 0 or end + 3 > len(message):
        return f"{message[:40].hex()}"
    return f"{wire_text(message[12:end + 1])} type {int.from_bytes(message[end + 1:end + 3], 'big')}"


def hex_or_none(reply):
    return "no reply" if reply is None else reply[:80].hex() + ("..." if len(reply) > 80 else "")


START_ERROR = re.compile(r"fatal error: example\.zone:(\d+): ([^\n]*)")
PORT_LINE = re.compile(rb"listening on UDP port (\d+)")
COUNTERS = re.compile(rb"dns: received (\d+), sent (\d+), dropped (\d+)")


def run_service(runnable, data, queries, start_seconds=60, answer_seconds=5):
    """Run the service on loopback and ask it `queries`, then SIGTERM: (failure, "served" or "stopped at start",
    the replies or, for a service that stopped at its start, (LINE, message) of its zone error)."""
    process = subprocess.Popen([runnable, "--netif", "udp:0"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               start_new_session=True)
    stderr = b""

    def read(timeout):
        nonlocal stderr
        if select.select([process.stderr], [], [], timeout)[0]:
            chunk = os.read(process.stderr.fileno(), 65536)
            stderr += chunk
            return bool(chunk)
        return False

    client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        deadline = time.monotonic() + start_seconds
        while not PORT_LINE.search(stderr) and time.monotonic() < deadline:
            if not read(0.2) and process.poll() is not None:
                break
        port = PORT_LINE.search(stderr)
        if not port:
            if process.poll() is None:
                return f"did not say its port within {start_seconds} s{tail(stderr)}", "start", None
            while read(0):
                pass
            problem, error = started_problem(process.returncode, stderr, data)
            return problem, "stopped at start", error
        client.bind(("127.0.0.1", 0))
        if queries is None:
            problem, replies = "the zone has no SOA this fuzzer's reader finds, yet the service runs", []
        else:
            problem, replies = ask(client, int(port.group(1)), queries, answer_seconds)
        if problem:
            if process.poll() is not None:
                while read(0):
                    pass
                problem += f" (the service ended: {describe(process.returncode)})"
            return problem + tail(stderr), "served", replies
        process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if not read(0.2) and process.poll() is not None:
                break
        if process.poll() is None:
            return "did not end within 15 s of SIGTERM" + tail(stderr), "served", replies
        while read(0):
            pass
        if process.returncode != 0:
            return f"SIGTERM: {describe(process.returncode)}{tail(stderr)}", "served", replies
        if not COUNTERS.search(stderr):
            return "SIGTERM: no counters line" + tail(stderr), "served", replies
        return None, "served", replies
    finally:
        client.close()
        kill_group(process)
        process.stderr.close()


def started_problem(status, stderr, data):
    """(failure, (LINE, message)) of a service that ended before listening: no failure for a zone error."""
    text = stderr.decode("utf-8", "replace")
    if status != 1:
        return f"ended at its start with {describe(status)}{tail(stderr)}", None
    m = START_ERROR.search(text)
    if not m:
        return f"ended at its start with exit 1 and no zone error{tail(stderr)}", None
    error = (int(m.group(1)), m.group(2))
    problem = zone_line_problem(data, *error)
    return (f"at its start: {problem}{tail(stderr)}" if problem else None), error


def ask(client, port, queries, seconds):
    """(failure, replies): every well-formed query answered, the apex's SOA with it."""
    replies = []
    for message, want in queries:
        client.sendto(message, ("127.0.0.1", port))
        if want is None:
            replies.append(None)
            continue
        reply = None
        deadline = time.monotonic() + seconds
        while reply is None and time.monotonic() < deadline:
            if select.select([client], [], [], max(0.0, deadline - time.monotonic()))[0]:
                got = client.recv(70000)
                if got[:2] == message[:2]:
                    reply = got
        replies.append(reply)
        if reply is None:
            return f"no reply to a query for {describe_query(message)} within {seconds} s", replies
        if len(reply) < 12 or not reply[2] & 0x80:
            return f"not a reply to a query for {describe_query(message)}: {reply[:40].hex()}", replies
        if want == "soa":
            rcode, aa, tc, ancount = reply[3] & 15, reply[2] & 4, reply[2] & 2, int.from_bytes(reply[6:8], "big")
            if rcode != 0 or not aa or tc or ancount < 1:
                return (f"the SOA of the apex ({describe_query(message)}): rcode {rcode}, AA {bool(aa)}, "
                        f"TC {bool(tc)}, {ancount} answers ({hex_or_none(reply)})"), replies
    # Junk may still be answered (a header is enough for FORMERR): left unread.
    return None, replies


def wire_text(name):
    out, i = [], 0
    while i < len(name) and name[i]:
        out.append(name[i + 1:i + 1 + name[i]].decode("latin-1"))
        i += name[i] + 1
    return ".".join(out) + "."


def describe(status):
    return f"killed by {signal_name(status)}" if status < 0 else f"exit status {status}"


def tail(stderr):
    lines = [line for line in stderr.decode("utf-8", "replace").splitlines() if "listening on" not in line]
    return ("; stderr: " + " | ".join(lines[-4:])[:600]) if lines else ""


# ---- The zone as dns.clv reads it, as far as the queries need: the apex and the owners -----------------------------

LOOKS_LIKE_TYPE = {b"A", b"NS", b"CNAME", b"SOA", b"MX", b"TXT", b"AAAA", b"PTR", b"SRV", b"CAA", b"HINFO", b"DS",
                   b"DNSKEY", b"RRSIG", b"NSEC", b"SSHFP", b"TLSA", b"NAPTR", b"SPF", b"DNAME", b"LOC", b"HTTPS",
                   b"SVCB"}


def looks_like_type(word):
    """dns.clv's looksLikeType: a word that names a type, known or not."""
    return word.upper() in LOOKS_LIKE_TYPE or word.upper().startswith(b"TYPE")


def entries(text, every_newline=False):
    """(line, blank owner, [(word, quoted)]) of each entry, as dns.clv's zoneEntries splits them; None on a mistake.

    With `every_newline`, a newline kept in a word by a backslash before it counts as a line too."""
    out, words = [], []
    line, entry_line, blank, line_start, depth, i, n = 1, 1, False, True, 0, 0, len(text)
    while i < n:
        c = text[i]
        if c == 10:
            if depth == 0:
                if words:
                    out.append((entry_line, blank, words))
                words, line_start = [], True
            line += 1
            i += 1
            continue
        if line_start and depth == 0:
            blank = c in (32, 9)
        line_start = False
        if c in (32, 9, 13):
            i += 1
        elif c == 59:
            while i < n and text[i] != 10:
                i += 1
        elif c == 40:
            if depth > 0:
                return None
            depth, i = 1, i + 1
        elif c == 41:
            if depth == 0:
                return None
            depth, i = 0, i + 1
        else:
            if not words:
                entry_line = line
            word, quoted = bytearray(), c == 34
            if quoted:
                i += 1
            while i < n:
                d = text[i]
                if quoted and d == 34:
                    break
                if not quoted and d in (32, 9, 13, 10, 59, 40, 41, 34):
                    break
                if d == 10:
                    return None
                if d == 92 and i + 1 < n:
                    word.append(d)
                    i += 1
                    if every_newline and text[i] == 10:
                        line += 1
                word.append(text[i])
                i += 1
            if quoted:
                if i >= n:
                    return None
                i += 1
            words.append((bytes(word), quoted))
    if depth > 0:
        return None
    if words:
        out.append((entry_line, blank, words))
    return out


def lower(c):
    return c + 32 if 65 <= c <= 90 else c


def parse_name(text, origin):
    """dns.clv's parseName: a name as written, absolute in wire format and lowercase, or None."""
    if text == b"@":
        return origin or None
    if text == b".":
        return b"\0"
    out, label, absolute, i = bytearray(), bytearray(), False, 0
    while i < len(text):
        c = text[i]
        if c == 92:
            if i + 1 >= len(text):
                return None
            if 48 <= text[i + 1] <= 57:
                digits = text[i + 1:i + 4]
                if len(digits) != 3 or not digits.isdigit() or int(digits) > 255:
                    return None
                label.append(lower(int(digits)))
                i += 4
            else:
                label.append(lower(text[i + 1]))
                i += 2
            continue
        i += 1
        if c == 46:
            if not label or len(label) > 63:
                return None
            out += bytes([len(label)]) + label
            label = bytearray()
            if i == len(text):
                absolute = True
        else:
            label.append(lower(c))
    if label:
        if len(label) > 63:
            return None
        out += bytes([len(label)]) + label
    if absolute:
        out.append(0)
    else:
        if not origin:
            return None
        out += origin
    return bytes(out) if len(out) <= 255 else None


def read_zone(data):
    """(apex, owners) of a zone dns.clv accepts, both in wire format; (None, []) when no SOA is found."""
    origin, owner, apex, owners = b"", b"", None, []
    for _, blank, words in entries(data) or []:
        first = words[0][0]
        if not blank and not words[0][1] and first.startswith(b"$"):
            if first.upper() == b"$ORIGIN" and len(words) == 2:
                origin = parse_name(words[1][0], origin) or origin
            continue
        k = 0
        if not blank:
            owner = parse_name(first, origin) or owner
            owners.append(owner)
            k = 1
        while k < len(words) and not looks_like_type(words[k][0]):
            k += 1
        if k < len(words) and words[k][0].upper() == b"SOA" and apex is None:
            apex = owner
    return apex, owners


# ---- Shrinking and the loop -----------------------------------------------------------------------------------------

def signature(problem):
    """What must stay the same while shrinking: the kind of failure, without numbers and quoted words."""
    return re.sub(r"'[^']*'|\d+", "#", problem.split(": stderr:")[0])[:120]


def shrink(checker, data, problem, seconds):
    """A smaller zone whose check fails the same way: lines removed, then bytes, while time lasts."""
    deadline = time.monotonic() + seconds
    want = signature(problem)

    def fails(candidate):
        p, _, _ = checker.check(candidate)
        return p is not None and signature(p) == want

    return shrink_input(data, fails, deadline)


def still_failing(checker, found):
    """{signature: path} of the kept zones whose check still fails: a mutant failing the same way is that failure
    again, not kept a second time."""
    known = {}
    for path in sorted(glob.glob(os.path.join(found, "zones", "check-*.zone"))):
        if os.path.getsize(path) <= LARGEST:
            with open(path, "rb") as f:
                problem, _, _ = checker.check(f.read())
            if problem:
                known.setdefault(signature(problem), os.path.relpath(path, ROOT))
    return known


def fuzz(rng, budget, tally, corpus, cleave, work, timeout=10.0, serve_share=20, shrink_seconds=30.0, log=print):
    pool = seeds(corpus.directory)
    checker = Checker(cleave, timeout, work)
    known = still_failing(checker, corpus.directory)
    if known:
        tally.notes.append("kept zones that still fail: " + ", ".join(sorted(known.values())))
    seen = set()
    while budget.more():
        mutant = mutate(rng, rng.choice(pool), rng.choice(pool))
        budget.take()
        tally.inputs += 1
        problem, command, outcome = checker.check(mutant)
        if problem:
            key = signature(problem)
            if key in known:
                tally.fail(f"cleave check: {problem} (again: a kept zone still fails so)", known[key])
                log(f"  zones: cleave check: {problem}: as the kept {known[key]} still does")
                continue
            small = mutant
            if key not in seen:
                small = shrink(checker, mutant, problem, min(shrink_seconds, max(budget.left(), 5)))
            seen.add(key)
            kept = corpus.keep("zones", "check", small, ".zone")
            tally.fail(f"cleave check: {problem}", kept)
            log(f"  zones: cleave check: {problem}: kept {kept} ({len(small)} bytes of {len(mutant)})")
            continue
        if outcome.status == 1:
            # One in twice `serve_share` of the zone errors also read at the service's start: the same error.
            error = checker.zone_error(outcome.stderr)
            if error is None or rng.randrange(2 * serve_share) != 0:
                continue
            problem = checker.late_error(mutant, *error)
            kind = "late"
        else:
            checker.valid += 1
            # Served: one in `serve_share` of the zones that pass, a third of the large ones (read at the start).
            large = len(mutant) > 64 * 1024
            if len(mutant) > SERVED_UP_TO or rng.randrange(3 if large else serve_share) != 0:
                continue
            problem = checker.serve(mutant, rng)
            kind = "run"
        if problem:
            kept = corpus.keep("zones", kind, mutant, ".zone")
            tally.fail(f"service: {problem}", kept)
            log(f"  zones: service: {problem}: kept {kept} ({len(mutant)} bytes)")
    tally.notes.append(f"{checker.valid} of the zones passed cleave check; {checker.served} services answered, "
                       f"{checker.stopped_at_start} stopped at their start with a zone error; {checker.compared} zones "
                       f"were also read at the start (padded) and compared with the check")

#!/usr/bin/python3
"""compare.py: asks NSD and a DNS server under test the same queries over UDP and reports every difference.

Each query of the corpus (queries.py, built from the zone) goes to both servers on 127.0.0.1
with the same id. Per query the two replies must agree on: whether a reply came at all (1 s
timeout, one retry; a drop by both is agreement), the reply id (= the query's), opcode, rcode
(with the extended bits from OPT), the flags QR AA TC RD RA Z AD CD, the question section byte
for byte (so the question's letter case too), the answer, authority and additional sections as
multisets of RRs (owner name without case, type, class, TTL, rdata; order inside a section is
free), and the OPT record (present, version, DO and other flags, UDP payload size, options).
Each reply must parse (valid name compression, counts that match the records) and fit the size
the client allowed: 512 bytes without EDNS, the advertised payload (at least 512) with it.

    scripts/dns/compare.py --server 127.0.0.1:5300             # NSD is started on the same zone
    scripts/dns/compare.py --server 127.0.0.1:5300 --reference 127.0.0.1:5301 --only wildcard --dump
    scripts/dns/compare.py --self-test                          # NSD against NSD, then against a changed zone

Prints each difference, then `compare: N queries, M agree`; exits 1 when any query differs.
"""

import argparse
import json
import select
import socket
import struct
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import nsd
import queries

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdatatype

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_ZONE = ROOT / "Examples/dns/example.zone"
TIMEOUT = 1.0
SECTIONS = ["answer", "authority", "additional"]
FLAG_BITS = [("qr", 0x8000), ("aa", 0x0400), ("tc", 0x0200), ("rd", 0x0100), ("ra", 0x0080), ("z", 0x0040),
             ("ad", 0x0020), ("cd", 0x0010)]


def parse_address(text):
    """'HOST:PORT' -> (host, port); only loopback hosts are accepted (tests never leave the machine)."""
    host, _, port = text.rpartition(":")
    if not host.startswith("127.") and host != "localhost":
        raise argparse.ArgumentTypeError(f"{text}: only 127.0.0.0/8 addresses are asked")
    return host, int(port)


def ask_both(addresses, wire, timeout=TIMEOUT):
    """Send wire to every address at once; each one's first reply, or None after a timeout and one retry."""
    socks = []
    for addr in addresses:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.connect(addr)
        socks.append(s)
    replies = [None] * len(socks)
    try:
        for _ in range(2):
            waiting = [i for i, r in enumerate(replies) if r is None]
            for i in waiting:
                try:
                    socks[i].send(wire)
                except OSError:
                    pass
            deadline = time.monotonic() + timeout
            while waiting and (left := deadline - time.monotonic()) > 0:
                ready, _, _ = select.select([socks[i] for i in waiting], [], [], left)
                for s in ready:
                    i = socks.index(s)
                    try:
                        replies[i] = s.recv(65535)
                    except OSError:  # ICMP port unreachable: nothing listens, like a drop
                        pass
                    waiting.remove(i)
            if all(r is not None for r in replies):
                break
    finally:
        for s in socks:
            s.close()
    return replies


def skip_name(wire, offset):
    """The offset after the (possibly compressed) name at offset; ValueError when it runs off the end."""
    while True:
        if offset >= len(wire):
            raise ValueError("name runs past the end")
        length = wire[offset]
        if length & 0xC0 == 0xC0:
            return offset + 2
        if length & 0xC0:
            raise ValueError(f"label type {length:#x}")
        offset += 1 + length
        if length == 0:
            return offset


def question_section(wire):
    """The reply's question section: (readable text with the names' case as sent, its raw bytes)."""
    qdcount = struct.unpack("!H", wire[4:6])[0]
    offset, texts = 12, []
    for _ in range(qdcount):
        end = skip_name(wire, offset) + 4
        if end > len(wire):
            raise ValueError("question runs past the end")
        name, _ = dns.name.from_wire(wire, offset)
        qtype, qclass = struct.unpack("!HH", wire[end - 4:end])
        texts.append(f"{name} {dns.rdataclass.to_text(qclass)} {dns.rdatatype.to_text(qtype)}")
        offset = end
    return "; ".join(texts) or "(empty)", wire[12:offset]


def flag_names(flags):
    """The header flags set in the 16-bit flags word, as lower-case names."""
    return " ".join(name for name, bit in FLAG_BITS if flags & bit) or "-"


# The CH-class names a server answers with its own version or identity (NSD: "NSD 4.6.1" and the
# host's name): what the TXT says is each server's own, so only its presence is compared.
IDENTITY_NAMES = {"version.bind.", "version.server.", "id.server.", "hostname.bind."}


def rr_entries(section):
    """A section's RRs as sorted (key, text): the key ignores owner case and compares rdata canonically."""
    entries = []
    for rrset in section:
        for rdata in rrset:
            own_text = (rrset.rdclass == dns.rdataclass.CH and rrset.rdtype == dns.rdatatype.TXT
                        and rrset.name.to_text().lower() in IDENTITY_NAMES)
            key = (rrset.name.to_text().lower(), rrset.rdtype, rrset.rdclass, rrset.ttl,
                   "(the server's own text)" if own_text else rdata.to_digestable().hex())
            text = f"{rrset.name} {rrset.ttl} {dns.rdataclass.to_text(rrset.rdclass)} " \
                   f"{dns.rdatatype.to_text(rrset.rdtype)} {rdata.to_text()}"
            entries.append((key, text))
    return sorted(entries)


def opt_summary(msg):
    """The OPT record as text: version, flags, payload, options; 'none' when absent."""
    if msg.edns < 0:
        return "none"
    other = msg.ednsflags & ~dns.flags.DO & 0xFFFF
    opts = " ".join(f"{int(o.otype)}:{o.to_wire().hex()}" for o in msg.options)
    return (f"version {msg.edns}{' do' if msg.ednsflags & dns.flags.DO else ''}"
            f"{f' flags {other:#06x}' if other else ''} payload {msg.payload}{' options ' + opts if opts else ''}")


def summarize(query, reply):
    """What is compared of one reply: a dict of field -> value (sections as sorted RR lists)."""
    if reply is None:
        return {"reply": "none"}
    out = {"reply": "yes"}
    if query.id is not None:
        out["id"] = "matches" if reply[:2] == query.wire[:2] else f"{reply[:2].hex()} (query {query.wire[:2].hex()})"
    if len(reply) < 12:
        out["raw"] = reply.hex()
        return out
    flags = struct.unpack("!H", reply[2:4])[0]
    out["opcode"] = dns.opcode.to_text((flags >> 11) & 0xF)
    out["flags"] = flag_names(flags)
    try:
        out["question"], raw = question_section(reply)
        out["question bytes"] = raw.hex()
        msg = dns.message.from_wire(reply, one_rr_per_rrset=True)
    except (ValueError, dns.exception.DNSException) as e:
        out["rcode"] = dns.rcode.to_text(flags & 0xF)
        out["parse"] = f"fails: {e.__class__.__name__}: {e}"
        out["raw"] = reply[12:].hex()
        return out
    out["rcode"] = dns.rcode.to_text(msg.rcode())
    for name, section in zip(SECTIONS, msg.sections[1:]):
        out[name] = rr_entries(section)
    out["opt"] = opt_summary(msg)
    out["size"] = "fits" if len(reply) <= query.limit else f"{len(reply)} bytes > {query.limit} allowed"
    return out


def differences(ref, test):
    """The fields on which two summaries differ: list of (field, reference text, tested text)."""
    diffs = []
    for field in dict.fromkeys(list(ref) + list(test)):
        a, b = ref.get(field), test.get(field)
        if field in SECTIONS and a is not None and b is not None:
            count_a, count_b = Counter(k for k, _ in a), Counter(k for k, _ in b)
            if count_a != count_b:
                text = dict(a) | dict(b)
                only_a = [text[k] for k in sorted((count_a - count_b).elements())]
                only_b = [text[k] for k in sorted((count_b - count_a).elements())]
                diffs.append((field, "; ".join(only_a) or "-", "; ".join(only_b) or "-"))
        elif a != b and not (field == "question bytes" and ref.get("question") != test.get("question")):
            diffs.append((field, "-" if a is None else a, "-" if b is None else b))
    return diffs


def dig_text(name, reply):
    """A reply as dig-like text for --dump."""
    if reply is None:
        return f";; {name}: no reply"
    try:
        text = dns.message.from_wire(reply).to_text()
    except (ValueError, dns.exception.DNSException) as e:
        text = f";; does not parse ({e}); bytes {reply.hex()}"
    return f";; {name}: {len(reply)} bytes\n" + "\n".join("   " + line for line in text.splitlines())


def run(corpus, reference, server, names=("NSD", "server"), dump=False, quiet=False):
    """Ask both servers every query; print differences (unless quiet); return the list of
    (query, [(field, ref, test)]) for the queries that differ, and notes on NSD's own replies."""
    differ, notes = [], []
    for query in corpus:
        replies = ask_both([reference, server], query.wire)
        ref, test = (summarize(query, r) for r in replies)
        diffs = differences(ref, test)
        if ref.get("size", "fits") != "fits" or ref.get("id", "matches") != "matches":
            notes.append(f"{names[0]} itself, {query.desc}: id {ref.get('id')}, size {ref.get('size')}")
        if dump:
            print(f"== {query.desc}\n{dig_text(names[0], replies[0])}\n{dig_text(names[1], replies[1])}")
        if diffs:
            differ.append((query, diffs))
            if not quiet:
                print_differences(query, diffs, names)
    return differ, notes


def print_differences(query, diffs, names):
    """One query's differences, a line per field: NSD's value, then the server's."""
    print(f"DIFFER {query.desc}")
    width = max(len(n) for n in names)
    for field, a, b in diffs:
        label = f"{field} (records in one reply only)" if field in SECTIONS else field
        print(f"  {label}:\n    {names[0]:<{width}}  {a}\n    {names[1]:<{width}}  {b}")


def compare(corpus, reference, server, args):
    """The whole comparison with its report; returns the exit status (0: every query agrees)."""
    differ, notes = run(corpus, reference, server, dump=args.dump, quiet=args.json)
    agree = len(corpus) - len(differ)
    if args.json:
        print(json.dumps({"queries": len(corpus), "agree": agree, "differ": len(differ),
                          "reference": "%s:%d" % reference, "server": "%s:%d" % server,
                          "differences": [{"query": q.desc, "fields": {f: {"nsd": a, "server": b} for f, a, b in d}}
                                          for q, d in differ],
                          "notes": notes}, indent=2))
    else:
        for note in notes:
            print(f"note: {note}")
        print(f"compare: {len(corpus)} queries, {agree} agree")
    return 1 if differ else 0


def modified_zone(zone_path, directory):
    """A copy of the zone with one A record's address and one RRset's TTL changed; returns
    (path, [descriptions of the grid queries that must then differ])."""
    zone = queries.load_zone(zone_path)
    names = [n for n in queries.owners(zone) if n != zone.origin and not n.is_wild()
             and not any(n.is_subdomain(d) for d in queries.delegations(zone))]
    a_name = next(n for n in names if zone.get_rdataset(n, "A") is not None)
    rdataset = zone.get_rdataset(a_name, "A")
    first = next(iter(rdataset))
    rdataset.remove(first)
    rdataset.add(first.replace(address=first.address.rsplit(".", 1)[0] + ".222"), rdataset.ttl)
    ttl_name = next(n for n in names if n != a_name and zone.get_rdataset(n, "TXT") is not None)
    zone.get_rdataset(ttl_name, "TXT").ttl += 1
    path = Path(directory) / "modified.zone"
    zone.to_file(str(path), relativize=False)
    return path, [f"grid {a_name} A", f"grid {ttl_name} TXT"]


def self_test_same(zone_path, corpus):
    """Two NSDs on the same zone must agree on every query."""
    with nsd.start_nsd(zone_path) as a, nsd.start_nsd(zone_path) as b:
        differ, _ = run(corpus, a.address, b.address, names=("NSD", "NSD-2"))
    print(f"self-test: same zone: {len(corpus)} queries, {len(corpus) - len(differ)} agree")
    return not differ


def self_test_changed(zone_path, corpus):
    """NSD on a changed copy of the zone: the queries that read the changed records must differ."""
    with tempfile.TemporaryDirectory(prefix="cleave-dns-") as tmp:
        path, expected = modified_zone(zone_path, tmp)
        with nsd.start_nsd(zone_path) as a, nsd.start_nsd(path, origin=a.origin) as b:
            differ, _ = run([q for q in corpus if q.desc in expected], a.address, b.address,
                            names=("NSD", "changed"))
    missing = [e for e in expected if e not in {q.desc for q, _ in differ}]
    print(f"self-test: changed zone: expected to differ: {', '.join(expected)}: "
          f"{'MISSING ' + ', '.join(missing) if missing else 'all found'}")
    return bool(differ) and not missing


def self_test_silent(zone_path, corpus):
    """A port where nothing listens: every query NSD answers must be reported as unanswered."""
    sample = corpus[:3]
    with nsd.start_nsd(zone_path) as a:
        differ, _ = run(sample, a.address, (nsd.HOST, nsd.free_port()), names=("NSD", "nothing"), quiet=True)
    caught = all(any(field == "reply" for field, _, _ in diffs) for _, diffs in differ)
    print(f"self-test: no server: {len(differ)} of {len(sample)} queries reported without a reply")
    return len(differ) == len(sample) and caught


def self_test(zone_path, corpus, full_corpus):
    """NSD against NSD on the same zone (must agree on every query of corpus), against NSD on a
    changed copy and against a port where nothing listens (compare must find the differences)."""
    ok = self_test_same(zone_path, corpus)
    ok &= self_test_changed(zone_path, full_corpus)
    ok &= self_test_silent(zone_path, corpus)
    print(f"self-test: {'passed' if ok else 'FAILED'}")
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--server", type=parse_address, metavar="HOST:PORT", help="the DNS server under test")
    ap.add_argument("--reference", type=parse_address, metavar="HOST:PORT",
                    help="a running reference server (default: NSD started here on --zone)")
    ap.add_argument("--zone", default=str(DEFAULT_ZONE), help="the zone both serve (default: %(default)s)")
    ap.add_argument("--only", metavar="SUBSTRING", help="only the queries whose description contains this")
    ap.add_argument("--json", action="store_true", help="print a machine-readable summary instead")
    ap.add_argument("--dump", action="store_true", help="print both replies of every query, dig-like")
    ap.add_argument("--self-test", action="store_true", help="check the comparer with NSD against NSD")
    args = ap.parse_args()
    try:
        full_corpus = queries.build_corpus(args.zone)
        corpus = [q for q in full_corpus if not args.only or args.only in q.desc]
        if args.self_test:
            sys.exit(self_test(args.zone, corpus, full_corpus))
        if not args.server:
            ap.error("--server HOST:PORT is required (or --self-test)")
        if args.reference:
            sys.exit(compare(corpus, args.reference, args.server, args))
        with nsd.start_nsd(args.zone) as reference:
            status = compare(corpus, reference.address, args.server, args)
        sys.exit(status)
    except nsd.NSDError as e:
        sys.exit(f"compare.py: {e}")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""queries.py: a deterministic corpus of DNS queries, built from a zone file, to ask the Cleave DNS example and NSD.

The corpus covers, for the zone read with dnspython: every owner name and empty non-terminal
asked for common and absent types (positive answers, NODATA), names that do not exist
(NXDOMAIN), names under wildcards, under delegations (referrals), CNAME chains, loops and
dangling targets, names outside the zone (REFUSED), mixed-case questions (the reply must
keep the question's case), EDNS0 variants (payload sizes, DO, version 1 for BADVERS, options),
header flags, classes CH/ANY/HS/NONE, meta query types, opcodes other than QUERY, malformed
packets as raw bytes, and the largest RRsets with and without EDNS (the TC path, when the
zone has an answer over 512 bytes).

Every query carries a description (unique; `compare.py --only` filters on it), its wire bytes
with an id derived from the description (so ids are stable when the corpus grows), and the
largest reply the client allows (512 bytes without EDNS, the advertised size with it).

    scripts/dns/queries.py Examples/dns/example.zone              # the corpus, one line each
    scripts/dns/queries.py Examples/dns/example.zone --dnsperf F  # the plain IN queries, as dnsperf data
"""

import argparse
import struct
import sys
import zlib
from dataclasses import dataclass

import nsd

try:
    import dns.edns
    import dns.flags
    import dns.message
    import dns.name
    import dns.opcode
    import dns.rdataclass
    import dns.rdatatype
    import dns.zone
except ImportError:
    sys.exit("dnspython is missing: install Debian's python3-dnspython and run with /usr/bin/python3")

# Types asked at every name: the zone's common types, then types it lacks (NODATA answers).
GRID_TYPES = ["SOA", "NS", "A", "AAAA", "CNAME", "MX", "TXT", "PTR", "SRV", "CAA"]
# Every flag a query may carry (AA RD Z AD CD; not QR, TC): what does the reply keep?
ALL_FLAGS = dns.flags.AA | dns.flags.RD | 0x0040 | dns.flags.AD | dns.flags.CD
CLASSIC_LIMIT = 512  # the largest UDP reply a client without EDNS accepts (RFC 1035 4.2.1)


@dataclass(frozen=True)
class Query:
    """One corpus entry: what it asks (desc), its bytes, the reply size the client allows,
    and, for a plain class-IN QUERY, its dnsperf data line ("name TYPE")."""
    desc: str
    wire: bytes
    limit: int
    dnsperf: str = None

    @property
    def id(self):
        """The query id from the wire bytes (None for a packet shorter than 2 bytes)."""
        return struct.unpack("!H", self.wire[:2])[0] if len(self.wire) >= 2 else None


def query_id(desc):
    """A stable query id for a description."""
    return zlib.crc32(desc.encode()) & 0xFFFF


def message(desc, qname, qtype, rdclass="IN", *, flags=0, opcode="QUERY", edns=-1, payload=1232,
            do=False, ednsflags=0, options=(), perf=True):
    """A well-formed query for qname/qtype/rdclass as a Query (edns=-1: no OPT record); a plain
    class-IN QUERY gets a dnsperf line unless perf is False."""
    msg = dns.message.Message(id=query_id(desc))
    msg.flags = flags
    msg.set_opcode(dns.opcode.from_text(opcode))
    msg.find_rrset(msg.question, dns.name.from_text(qname), dns.rdataclass.from_text(rdclass),
                   dns.rdatatype.from_text(qtype), create=True, force_unique=True)
    if edns >= 0:
        msg.use_edns(edns, ednsflags | (dns.flags.DO if do else 0), payload, options=list(options))
    limit = max(CLASSIC_LIMIT, payload) if edns >= 0 else CLASSIC_LIMIT
    perf = perf and edns < 0 and rdclass == "IN" and opcode == "QUERY" and flags in (0, dns.flags.RD)
    return Query(desc, msg.to_wire(), limit, f"{qname} {qtype}" if perf else None)


def plain(qname, qtype, group, perf=True):
    """The usual query of a resolver to an authoritative server: no RD, no EDNS."""
    return message(f"{group} {qname} {qtype}", qname, qtype, perf=perf)


def load_zone(zone_path):
    """The zone as NSD reads it (nsd-checkzone -p), parsed by dnspython with absolute names.

    NSD's printout rather than the file itself: the corpus then holds the names NSD serves, and
    dnspython's reader lacks some master-file forms NSD accepts (a class before the TTL)."""
    origin = nsd.zone_origin(zone_path)
    text = nsd.check_zone(origin, zone_path)
    return dns.zone.from_text(text, origin=origin, relativize=False, check_origin=True)


def owners(zone):
    """The zone's owner names, sorted canonically (apex first)."""
    return sorted(zone.nodes.keys())


def empty_non_terminals(zone):
    """Names between the apex and an owner that own nothing themselves (NODATA, not NXDOMAIN)."""
    names = set(zone.nodes.keys())
    found = set()
    for name in names - {zone.origin}:
        parent = name.parent()
        while parent != zone.origin:
            if parent not in names:
                found.add(parent)
            parent = parent.parent()
    return sorted(found)


def delegations(zone):
    """Owners below the apex that have NS records: the zone's cuts."""
    return [n for n in owners(zone) if n != zone.origin and zone.get_rdataset(n, "NS") is not None]


def wildcards(zone):
    """Owners whose first label is '*'."""
    return [n for n in owners(zone) if n.is_wild()]


def grid_queries(zone):
    """Every owner and empty non-terminal asked for every GRID_TYPES type."""
    names = owners(zone) + empty_non_terminals(zone)
    return [plain(n.to_text(), t, "grid") for n in names for t in GRID_TYPES]


def nxdomain_queries(zone):
    """Names that do not exist: beside the apex, below an existing leaf, deep below the apex, a
    literal '*' where no wildcard is, and near misses of empty non-terminals (any of these the
    zone does have is left out)."""
    origin = zone.origin.to_text()
    cuts = delegations(zone)
    leaf = next((n for n in owners(zone) if n != zone.origin and zone.get_rdataset(n, "A") is not None
                 and not n.is_wild() and not any(n.is_subdomain(d) for d in cuts)), zone.origin)
    names = [f"nothing.{origin}", f"a.b.c.{origin}", f"below.{leaf}", f"*.{origin}",
             f"nonterminal.{origin}", f"deep.nonterminal.{origin}"]
    taken = set(zone.nodes.keys()) | set(empty_non_terminals(zone))
    names = [n for n in names if dns.name.from_text(n) not in taken]
    return [plain(n, t, "nxdomain") for n in names for t in ("A", "AAAA", "TXT", "SOA")]


def wildcard_queries(zone):
    """Names a wildcard synthesizes (one and two labels deep), and names it must not cover:
    below an existing sibling of the '*', below the '*' owner itself."""
    out = []
    for wild in wildcards(zone):
        base = wild.parent()
        types = ["A", "AAAA", "TXT", "CNAME", "MX"]
        out += [plain(f"x.{base}", t, "wildcard") for t in types]
        out += [plain(f"a.b.{base}", t, "wildcard") for t in ("A", "TXT")]
        out.append(plain(f"a.{wild}", "A", "wildcard"))
        for sibling in owners(zone):
            if sibling.parent() == base and sibling != wild:
                out += [plain(f"below.{sibling}", t, "wildcard") for t in ("A", "TXT")]
    return out


def delegation_queries(zone):
    """Names at and under each cut (referrals), and the DS at the cut (answered by the parent)."""
    out = []
    for cut in delegations(zone):
        out.append(plain(cut.to_text(), "DS", "delegation"))
        for name in (f"host.{cut}", f"a.b.{cut}", f"ns.{cut}"):
            out += [plain(name, t, "delegation") for t in ("A", "AAAA", "NS", "DS", "SOA")]
        out.append(message(f"delegation {cut} A rd", cut.to_text(), "A", flags=dns.flags.RD))
    return out


def outside_queries():
    """Names the server is not authoritative for: NSD refuses them."""
    names = [("example.net.", "A"), ("www.example.net.", "A"), ("com.", "NS"), ("com.", "SOA"),
             (".", "NS"), (".", "SOA"), ("xexample.com.", "A"), ("example.co.", "A"),
             ("1.2.0.192.in-addr.arpa.", "PTR"), ("localhost.", "A")]
    return [plain(n, t, "outside") for n, t in names] + [
        message("outside example.net. A rd", "example.net.", "A", flags=dns.flags.RD)]


def scramble_case(name):
    """name with every other letter upper case, 0x20 style: 'www.example.com.' -> 'wWw.eXaMpLe.cOm.'."""
    out, upper = [], False
    for ch in name:
        if ch.isalpha():
            out.append(ch.upper() if upper else ch.lower())
            upper = not upper
        else:
            out.append(ch)
    return "".join(out)


def case_queries(zone):
    """Mixed-case questions of each kind of answer: the reply's question and owners keep this case."""
    origin = zone.origin.to_text()
    picks = [(origin, "SOA"), (origin, "NS"), (origin, "MX"), (f"www.{origin}", "A"), (f"nothing.{origin}", "A"),
             ("example.net.", "A")]
    picks += [(f"x.{w.parent()}", "A") for w in wildcards(zone)] + [(f"{d}", "A") for d in delegations(zone)]
    picks += [(f"{n}", "A") for n in empty_non_terminals(zone)[:1]]
    out = []
    for name, qtype in picks:
        for variant in (scramble_case(name), name.upper(), name.lower()):
            desc = f"case {variant} {qtype}"
            if variant != name and desc not in {q.desc for q in out}:
                out.append(message(desc, variant, qtype))
    return out


def edns_queries(zone):
    """A few questions asked with EDNS0 at several payload sizes, with DO, and a few EDNS corner cases."""
    origin = zone.origin.to_text()
    bases = [(origin, "SOA"), (origin, "NS"), (origin, "MX"), (f"www.{origin}", "A"), (f"nothing.{origin}", "A"),
             (f"ns1.{origin}", "AAAA"), (f"multi.{origin}", "TXT")]
    bases += [(f"{d}", "A") for d in delegations(zone)[:1]] + [(f"x.{w.parent()}", "TXT") for w in wildcards(zone)[:1]]
    bases += [(n.to_text(), "A") for n in empty_non_terminals(zone)[:1]]
    out = []
    for name, qtype in bases:
        for payload in (512, 1232, 4096, 256):
            out.append(message(f"edns {name} {qtype} payload={payload}", name, qtype, edns=0, payload=payload))
        out.append(message(f"edns {name} {qtype} do", name, qtype, edns=0, do=True))
    out += [
        message(f"edns {origin} SOA version=1", origin, "SOA", edns=1),
        message(f"edns nothing.{origin} A version=1", f"nothing.{origin}", "A", edns=1),
        message(f"edns {origin} SOA version=1 do", origin, "SOA", edns=1, do=True),
        message(f"edns {origin} SOA payload=0", origin, "SOA", edns=0, payload=0),
        message(f"edns {origin} SOA payload=65535", origin, "SOA", edns=0, payload=65535),
        message(f"edns {origin} SOA unknown-flag", origin, "SOA", edns=0, ednsflags=0x4000),
        message(f"edns {origin} SOA nsid", origin, "SOA", edns=0, options=[dns.edns.GenericOption(3, b"")]),
        message(f"edns {origin} SOA cookie", origin, "SOA", edns=0,
                options=[dns.edns.GenericOption(10, bytes(range(8)))]),
        message(f"edns {origin} SOA unknown-option", origin, "SOA", edns=0,
                options=[dns.edns.GenericOption(65001, b"cleave")]),
        message(f"edns example.net. A payload=1232", "example.net.", "A", edns=0),
    ]
    return out


def flag_queries(zone):
    """Header flags in a query: RD, CD, AD, the reserved Z bit, TC."""
    origin = zone.origin.to_text()
    www = f"www.{origin}"
    named = [("rd", dns.flags.RD), ("cd", dns.flags.CD), ("ad", dns.flags.AD), ("z", 0x0040),
             ("tc", dns.flags.TC), ("aa", dns.flags.AA), ("ra", dns.flags.RA), ("rd+cd", dns.flags.RD | dns.flags.CD)]
    named.append(("all", ALL_FLAGS))
    out = [message(f"flags {www} A {n}", www, "A", flags=f) for n, f in named]
    out += [message(f"flags nothing.{origin} A {n}", f"nothing.{origin}", "A", flags=f) for n, f in named[:3]]
    out += [message(f"flags example.net. A all", "example.net.", "A", flags=ALL_FLAGS),
            message(f"flags {origin} SOA all version=1", origin, "SOA", flags=ALL_FLAGS, edns=1, do=True)]
    return out


def class_queries(zone):
    """Questions in classes other than IN: CHAOS server identity names, and the zone asked in CH, ANY, HS, NONE."""
    origin = zone.origin.to_text()
    chaos = [(n, "TXT") for n in ("version.bind.", "version.server.", "id.server.", "hostname.bind.", "authors.bind.")]
    chaos += [(origin, "SOA"), (origin, "A")]
    out = [message(f"class CH {n} {t}", n, t, "CH") for n, t in chaos]
    out += [message(f"class CH {n} {t}", n, t, "CH") for n, t in (("version.bind.", "ANY"), ("version.bind.", "A"),
                                                                 ("VERSION.BIND.", "TXT"))]
    out.append(message("class CH version.bind. TXT edns", "version.bind.", "TXT", "CH", edns=0))
    out.append(message("class CH authors.bind. TXT edns", "authors.bind.", "TXT", "CH", edns=0))
    for rdclass in ("ANY", "HS", "NONE", "CLASS42"):
        out += [message(f"class {rdclass} {origin} SOA", origin, "SOA", rdclass),
                message(f"class {rdclass} www.{origin} A", f"www.{origin}", "A", rdclass)]
    out += [message(f"class ANY nothing.{origin} A", f"nothing.{origin}", "A", "ANY"),
            message(f"class ANY www.{origin} TXT", f"www.{origin}", "TXT", "ANY"),
            message(f"class HS {origin} SOA edns", origin, "SOA", "HS", edns=0)]
    out += [message(f"class ANY {d} A", d.to_text(), "A", "ANY") for d in delegations(zone)[:1]]
    return out


def meta_type_queries(zone):
    """Meta and DNSSEC query types (ANY, zone transfers over UDP, type 0, OPT/TSIG as qtype...);
    none of them goes to dnsperf, which is for ordinary traffic."""
    origin = zone.origin.to_text()
    types = ["ANY", "AXFR", "IXFR", "MAILA", "MAILB", "TYPE0", "OPT", "TSIG", "TKEY", "RRSIG", "NSEC", "DNSKEY", "DS",
             "TYPE65280"]
    out = [plain(origin, t, "meta", perf=False) for t in types]
    names = [f"www.{origin}", f"host.{origin}", f"ns1.{origin}", f"nothing.{origin}"]
    names += [f"x.{w.parent()}" for w in wildcards(zone)[:1]] + [f"{d}" for d in delegations(zone)[:1]]
    names += [f"{n}" for n in empty_non_terminals(zone)[:1]]
    out += [plain(n, "ANY", "meta", perf=False) for n in names] + [message(f"meta {origin} AXFR edns", origin, "AXFR", edns=0)]
    return out


def opcode_queries(zone):
    """Opcodes other than QUERY, each with an SOA question for the zone."""
    origin = zone.origin.to_text()
    out = []
    for opcode in ("IQUERY", "STATUS", "3", "NOTIFY", "UPDATE", "6", "15"):
        flags = dns.flags.AA if opcode == "NOTIFY" else 0
        out.append(message(f"opcode {opcode} {origin} SOA", origin, "SOA", flags=flags,
                           opcode=opcode))
    out.append(message(f"opcode NOTIFY {origin} SOA edns", origin, "SOA", flags=dns.flags.AA, opcode="NOTIFY", edns=0))
    out.append(message(f"opcode NOTIFY {origin} SOA no aa", origin, "SOA", opcode="NOTIFY"))
    out.append(message("opcode NOTIFY example.net. SOA", "example.net.", "SOA", flags=dns.flags.AA, opcode="NOTIFY"))
    out += [message(f"opcode {op} {origin} SOA all flags", origin, "SOA", flags=ALL_FLAGS, opcode=op)
            for op in ("STATUS", "UPDATE")]
    return out


def header(qid, flags=0, qd=1, an=0, ns=0, ar=0):
    """A DNS header's 12 bytes."""
    return struct.pack("!HHHHHH", qid, flags, qd, an, ns, ar)


def wire_name(name):
    """An uncompressed name's bytes from dotted text (labels as given, no checks: for malformed packets)."""
    labels = [label for label in name.split(".") if label]
    return b"".join(bytes([len(label)]) + label.encode() for label in labels) + b"\x00"


def raw(desc, build):
    """A malformed query: build(qid) gives its bytes; the id is derived from desc like every other."""
    return Query(f"malformed {desc}", build(query_id(f"malformed {desc}")), CLASSIC_LIMIT)


def malformed_queries(zone):
    """Packets a server must survive: short, inconsistent counts, bad names, responses, trailing bytes."""
    origin = zone.origin.to_text()
    www = wire_name(f"www.{origin}")
    a_in = struct.pack("!HH", 1, 1)
    opt = b"\x00" + struct.pack("!HHIH", 41, 1232, 0, 0)
    opt_do = b"\x00" + struct.pack("!HHIH", 41, 1232, 0x8000, 0)
    opt_v1 = b"\x00" + struct.pack("!HHIH", 41, 1232, 0x00010000, 0)
    opt_named = wire_name(origin) + struct.pack("!HHIH", 41, 1232, 0, 0)
    answer_rr = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + bytes([192, 0, 2, 1])
    return [
        raw("empty packet", lambda q: b""),
        raw("1 byte", lambda q: b"\x12"),
        raw("11 bytes (short header)", lambda q: header(q)[:11]),
        raw("header only, qdcount 0", lambda q: header(q, qd=0)),
        raw("header only, qdcount 0, rd", lambda q: header(q, flags=0x0100, qd=0)),
        raw("qdcount 0 with an OPT record", lambda q: header(q, qd=0, ar=1) + opt),
        raw("qdcount 0 with an OPT record, rd, do", lambda q: header(q, flags=0x0100, qd=0, ar=1) + opt_do),
        raw("qdcount 0 with an OPT record of version 1", lambda q: header(q, qd=0, ar=1) + opt_v1),
        raw("header only, qdcount 1", lambda q: header(q)),
        raw("qdcount 2", lambda q: header(q, qd=2) + www + a_in + wire_name(origin) + struct.pack("!HH", 6, 1)),
        raw("qdcount 2, second name compressed", lambda q: header(q, qd=2) + www + a_in + b"\xc0\x10" + a_in),
        raw("qdcount 2, rd", lambda q: header(q, flags=0x0100, qd=2) + www + a_in + www + a_in),
        raw("question cut inside a label", lambda q: header(q) + www[:6]),
        raw("question cut after the name", lambda q: header(q) + www),
        raw("question cut inside the type", lambda q: header(q) + www + b"\x00"),
        raw("question cut inside the class", lambda q: header(q) + www + b"\x00\x01\x00"),
        raw("name with a compression pointer to the header", lambda q: header(q) + b"\x03www\xc0\x00" + a_in),
        raw("name with a compression pointer to itself", lambda q: header(q) + b"\xc0\x0c" + a_in),
        raw("name with a compression pointer forward", lambda q: header(q) + b"\x03www\xc0\x16" + a_in + www),
        raw("label of 64 bytes", lambda q: header(q) + b"\x40" + b"a" * 64 + wire_name(origin) + a_in),
        raw("name of 256 bytes", lambda q: header(q) + (b"\x3f" + b"a" * 63) * 4 + wire_name(origin) + a_in),
        raw("extended label type 0x40", lambda q: header(q) + b"\x41\x00" + wire_name(origin) + a_in),
        raw("qr set (a response)", lambda q: header(q, flags=0x8000) + www + a_in),
        raw("qr set, aa set (an answer)", lambda q: header(q, flags=0x8400, an=1) + www + a_in + answer_rr),
        raw("trailing garbage after the question", lambda q: header(q) + www + a_in + b"garbage"),
        raw("trailing zero byte after the question", lambda q: header(q) + www + a_in + b"\x00"),
        raw("arcount 1, no record", lambda q: header(q, ar=1) + www + a_in),
        raw("ancount 1, an answer in the query", lambda q: header(q, an=1) + www + a_in + answer_rr),
        raw("nscount 1, an authority record in the query", lambda q: header(q, ns=1) + www + a_in + answer_rr),
        raw("two OPT records", lambda q: header(q, ar=2) + www + a_in + opt + opt),
        raw("OPT record with a non-root owner", lambda q: header(q, ar=1) + www + a_in + opt_named),
        raw("OPT record cut short", lambda q: header(q, ar=1) + www + a_in + opt[:7]),
        raw("tc set in a query", lambda q: header(q, flags=0x0200) + www + a_in),
        raw("rcode 3 set in a query", lambda q: header(q, flags=0x0003) + www + a_in),
        raw("opcode STATUS, question cut", lambda q: header(q, flags=0x1000) + www[:6]),
        raw("opcode NOTIFY, question cut", lambda q: header(q, flags=0x2400) + www[:6]),
    ]


def answer_size(zone, name, rdtype):
    """The bytes of a reply holding only the question and this RRset (uncompressed: an upper bound)."""
    owner = len(name.to_wire())
    records = sum(owner + 10 + len(rdata.to_wire()) for rdata in zone.get_rdataset(name, rdtype))
    return 12 + owner + 4 + records


def largest_rrsets(zone, count=3):
    """The count RRsets with the largest answers, as (size, name, type text), largest first."""
    sizes = [(answer_size(zone, name, rds.rdtype), name, dns.rdatatype.to_text(rds.rdtype))
             for name, node in zone.nodes.items() for rds in node.rdatasets]
    return sorted(sizes, key=lambda s: (-s[0], s[1], s[2]))[:count]


def size_queries(zone):
    """The largest RRsets without EDNS and with small and large EDNS payloads: where TC must appear."""
    out = []
    for _, name, qtype in largest_rrsets(zone):
        n = name.to_text()
        out.append(plain(n, qtype, "size"))
        out += [message(f"size {n} {qtype} payload={p}", n, qtype, edns=0, payload=p) for p in (512, 1232, 4096)]
    return out


def build_corpus(zone_path):
    """The whole corpus for the zone at zone_path, in a fixed order, with unique descriptions."""
    zone = load_zone(zone_path)
    corpus = (grid_queries(zone) + nxdomain_queries(zone) + wildcard_queries(zone) + delegation_queries(zone)
              + outside_queries() + case_queries(zone) + edns_queries(zone) + flag_queries(zone)
              + class_queries(zone) + meta_type_queries(zone) + opcode_queries(zone) + size_queries(zone)
              + malformed_queries(zone))
    seen, unique = set(), []
    for q in corpus:
        if q.desc not in seen:
            seen.add(q.desc)
            unique.append(q)
    return unique


def size_note(zone_path):
    """A sentence on whether the zone exercises truncation (an answer over 512 bytes)."""
    size, name, qtype = largest_rrsets(load_zone(zone_path), 1)[0]
    if size > CLASSIC_LIMIT:
        return f"largest answer: {name} {qtype}, about {size} bytes: TC is exercised without EDNS"
    return (f"largest answer: {name} {qtype}, about {size} bytes: no answer exceeds {CLASSIC_LIMIT} bytes, "
            "so TC is not exercised (add a big RRset to the zone to test it)")


def write_dnsperf(corpus, path):
    """The plain class-IN QUERY entries as dnsperf data lines, each once; returns their count."""
    lines = list(dict.fromkeys(q.dnsperf for q in corpus if q.dnsperf))
    with open(path, "w") as f:
        f.write("".join(line + "\n" for line in lines))
    return len(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("zone", help="the zone file")
    ap.add_argument("--dnsperf", metavar="FILE", help="write the plain class-IN QUERY subset as dnsperf data")
    ap.add_argument("--hex", action="store_true", help="print each query's bytes in hex too")
    args = ap.parse_args()
    corpus = build_corpus(args.zone)
    if args.dnsperf:
        print(f"queries: {write_dnsperf(corpus, args.dnsperf)} dnsperf lines written to {args.dnsperf}")
        return
    for q in corpus:
        print(f"{q.id if q.id is not None else '-':>5}  {len(q.wire):3}B  limit {q.limit:<5}  {q.desc}")
        if args.hex:
            print(f"       {q.wire.hex()}")
    print(f"queries: {len(corpus)} queries; {size_note(args.zone)}")


if __name__ == "__main__":
    main()

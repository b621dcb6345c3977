#!/usr/bin/env python3
"""dns.py: the DNS benchmark: dnsperf against NSD and the Cleave DNS example, in one run.

Asks every server the same queries with dnsperf (the plain class-IN queries of
scripts/dns/queries.py for Examples/dns/example.zone: names that exist, names that do not,
wildcards, CNAME chains, names outside the zone) and measures queries/s, dnsperf's average
latency and its standard deviation, lost queries, and the server's CPU time per query
(utime + stime from /proc over the timed run, its child processes included, over the queries
completed). The servers:
  * NSD serving Examples/dns/example.zone (scripts/dns/nsd.py): the baseline;
  * Examples/dns/dns.clv built as a unikernel (`cleave build --target unikernel`);
  * the same built for the isolated target (a launcher and a process per component; CPU summed
    over all of them);
  * the same built as a bootable image (`--target image`) in QEMU under TCG, reached through
    QEMU's user network as Benchmarks/image.py reaches kv (CPU: QEMU's, all threads).
Each server is first asked the whole query file once (`dnsperf -n 1 -v`): every response code
is compared with NSD's. Then for each number of outstanding queries (default 100, then 1) the
servers take turns, --reps times, each time a fresh server on a fresh port, after a warm-up;
ratios are against NSD measured in the same repetition. Writes Benchmarks/results/dns.md.
Python 3 standard library; needs dnsperf, nsd and python3-dnspython (for queries.py), QEMU for
the image row; without dnsperf or NSD it says why and exits 0.
"""

import argparse
import atexit
import datetime
import os
import platform
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run  # noqa: E402  (free ports, readiness, CPU ticks of a process tree, stopping a server)
import image  # noqa: E402  (QEMU as `cleave run --target image` starts it, the first reply, builds)

BENCH, ROOT, BUILD = run.BENCH, run.ROOT, run.BUILD
DNS_SCRIPTS = ROOT / "scripts/dns"
SOURCE = "Examples/dns/dns.clv"
ZONE = ROOT / "Examples/dns/example.zone"
GUEST_PORT = 5300  # the port dns.clv listens on (UdpDevice(port: 5300)); the image keeps it
HZ = os.sysconf("SC_CLK_TCK")

# name -> what the table calls it
SERVERS = {
    "nsd": "NSD (baseline)",
    "unikernel": "Cleave, unikernel",
    "isolated": "Cleave, isolated (a process per component)",
    "image": "Cleave, image in QEMU (microvm, TCG, user network)",
}
COUNTERS = re.compile(r"received (\d+), sent (\d+), dropped (\d+)")

running = []  # servers started and not yet stopped: stopped at exit whatever happens


def log(text):
    print(text, file=sys.stderr, flush=True)


def skip(why):
    """Say why the benchmark cannot run here and exit 0, so that `make bench` goes on."""
    log(f"dns.py: skipped: {why}")
    sys.exit(0)


def first_line(cmd, stderr=False):
    """The first line a command prints (on stderr if asked), or '?'."""
    try:
        r = subprocess.run(cmd, capture_output=True, text=True)
    except OSError:
        return "?"
    text = (r.stderr if stderr else r.stdout).strip()
    return text.splitlines()[0] if text else "?"


def debian_version(package):
    v = first_line(["dpkg-query", "-W", "-f", "${Version}", package])
    return f" (Debian {v})" if v != "?" and "no packages" not in v else ""


# ---------------------------------------------------------------- the query file


def dnspython_python():
    """A Python that has dnspython (queries.py needs it): this one, or Debian's /usr/bin/python3."""
    for py in (sys.executable, "/usr/bin/python3"):
        if py and shutil.which(py) and subprocess.run([py, "-c", "import dns.message"],
                                                      capture_output=True).returncode == 0:
            return py
    return None


def query_file(path):
    """Write the dnsperf data file with scripts/dns/queries.py; its number of lines."""
    py = dnspython_python()
    if not py:
        skip("scripts/dns/queries.py needs dnspython (Debian: apt-get install python3-dnspython)")
    cmd = [py, str(DNS_SCRIPTS / "queries.py"), str(ZONE), "--dnsperf", str(path)]
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if r.returncode != 0 or not path.exists():
        sys.exit(f"dns.py: `{shlex.join(cmd)}` failed: {(r.stderr or r.stdout).strip()}")
    return sum(1 for line in path.read_text().splitlines() if line.strip())


# ---------------------------------------------------------------- servers


class Server:
    """A running server: .port (on 127.0.0.1), .pid (whose process tree's CPU is the server's),
    .stop() -> its own counters (received, sent, dropped) when it prints them, else None."""

    vcpu_pid = None  # QEMU: its vCPU thread's share is reported too

    def stop(self):
        raise NotImplementedError


class NsdServer(Server):
    def __init__(self, zone):
        self.nsd = nsd_script.start_nsd(str(zone))
        self.port, self.pid = self.nsd.port, self.nsd.pid

    def alive(self):
        return self.nsd.proc.poll() is None

    def stop(self):
        self.nsd.stop()
        return None


class ProcessServer(Server):
    """A Cleave-built unikernel, or the isolated target's launcher, on `--netif udp:PORT`."""

    def __init__(self, binary, name, probe):
        self.port = run.free_port()
        self.log = BUILD / f"dns_{name}.log"
        with open(self.log, "w") as err:
            # A session of its own: the launcher's components are then all in its process group.
            self.proc = subprocess.Popen([binary, "--netif", f"udp:{self.port}"], stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
        self.pid = self.proc.pid
        try:
            run.wait_ready(self.proc, self.port, probe, self.log)
        except RuntimeError:
            self.stop()
            raise

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        family = descendants(self.pid)
        run.stop_process(self.proc)
        for pid in family:  # a component the launcher left behind: still in the session we made
            try:
                if os.getpgid(pid) == self.pid:
                    os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        m = COUNTERS.findall(self.log.read_text(errors="replace"))
        return tuple(int(x) for x in m[-1]) if m else None


class ImageServer(Server):
    """The image on microvm under TCG, with a hostfwd of a free UDP port of 127.0.0.1 to its 5300."""

    def __init__(self, img, probe):
        self.port = run.free_port()
        self.q = image.Qemu(image.qemu_args(img, "microvm", "tcg", forwards=[(self.port, GUEST_PORT)], name="dns"))
        self.pid = self.vcpu_pid = self.q.proc.pid
        try:
            image.first_reply(self.q, self.port, probe, 20.0)
        except RuntimeError:
            self.q.kill()
            raise

    def alive(self):
        return self.q.running()

    def stop(self):
        status = self.q.stop()
        m = COUNTERS.findall(self.q.text())
        if status != image.EXIT_CLEAN:
            log(f"dns.py: QEMU ended with {status} after Ctrl-C, not {image.EXIT_CLEAN}")
        return tuple(int(x) for x in m[-1]) if m else None


def start(name, binaries, probe):
    if name == "nsd":
        server = NsdServer(ZONE)
    elif name == "image":
        server = ImageServer(binaries[name], probe)
    else:
        server = ProcessServer(binaries[name], name, probe)
    running.append(server)
    return server


def stop(server):
    if server in running:
        running.remove(server)
    return server.stop()


def stop_all():
    for server in list(running):
        try:
            stop(server)
        except Exception as e:  # at exit: stop the rest whatever this one did
            log(f"dns.py: stopping a server: {e}")


def descendants(pid):
    """The process ids of a process's children, their children, and so on."""
    try:
        children = [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []
    return children + [d for c in children for d in descendants(c)]


def pin_tree(pid, cpu):
    """Every thread of the process `pid` and of its descendants onto CPU `cpu`."""
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            os.sched_setaffinity(int(task.name), {cpu})
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in children:
            pin_tree(int(child), cpu)


# ---------------------------------------------------------------- dnsperf


def dnsperf(port, data, args, cpu=None):
    """Run dnsperf against 127.0.0.1:port: (its output, its own CPU seconds)."""
    cmd = ["dnsperf", "-s", "127.0.0.1", "-p", str(port), "-d", str(data), *args]
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         preexec_fn=run.pinned(cpu))
    try:
        out = p.stdout.read().decode(errors="replace")
        _, status, usage = os.wait4(p.pid, 0)
    except BaseException:  # SIGTERM or Ctrl-C while it runs: it does not outlive the script
        p.kill()
        p.wait()
        raise
    p.returncode = os.waitstatus_to_exitcode(status)
    p.stdout.close()
    if p.returncode != 0:
        raise RuntimeError(f"`{shlex.join(cmd)}` exited with {p.returncode}: {out.strip()[-300:]}")
    return out, usage.ru_utime + usage.ru_stime


def parse(out):
    """dnsperf's statistics as a dict (latencies in µs, response codes as counts)."""
    def num(pattern):
        m = re.search(pattern, out)
        if not m:
            raise RuntimeError(f"dnsperf printed no '{pattern.split('(')[0].strip()}': {out.strip()[-300:]}")
        return float(m.group(1))
    codes = re.search(r"Response codes:\s*(.*)", out)
    return {
        "sent": int(num(r"Queries sent:\s+(\d+)")),
        "completed": int(num(r"Queries completed:\s+(\d+)")),
        "lost": int(num(r"Queries lost:\s+(\d+)")),
        "qps": num(r"Queries per second:\s+([\d.]+)"),
        "runtime": num(r"Run time \(s\):\s+([\d.]+)"),
        "latency": num(r"Average Latency \(s\):\s+([\d.]+)") * 1e6,
        "stddev": num(r"Latency StdDev \(s\):\s+([\d.]+)") * 1e6,
        "response_bytes": num(r"Average packet size:.*response (\d+)"),
        "codes": {m.group(1): int(m.group(2)) for m in re.finditer(r"([A-Z]+) (\d+) \(",
                                                                   codes.group(1) if codes else "")},
    }


def check(name, binaries, probe, data, cpus):
    """The whole query file asked once: ({'name TYPE': response code}, dnsperf's statistics)."""
    server = start(name, binaries, probe)
    try:
        # -q above 1: with -v and one query outstanding dnsperf 2.10 takes tens of ms a query.
        out, _ = dnsperf(server.port, data, ["-n", "1", "-q", "20", "-v"], cpus[1])
    finally:
        stop(server)
    answers = {}
    for line in out.splitlines():
        parts = line.split()
        if line.startswith("> ") and len(parts) >= 4:
            answers[f"{parts[2]} {parts[3]}"] = parts[1]
    return answers, parse(out)


def measure(name, binaries, probe, data, outstanding, duration, warmup, cpus):
    """A fresh server, a warm-up, then one timed dnsperf run: dnsperf's figures, the server's CPU."""
    server = start(name, binaries, probe)
    try:
        if cpus[0] is not None:
            pin_tree(server.pid, cpus[0])
        if warmup > 0:
            dnsperf(server.port, data, ["-l", str(warmup), "-q", str(outstanding)], cpus[1])
        t0, c0 = time.monotonic(), run.cpu_ticks(server.pid)
        v0 = image.thread_ticks(server.vcpu_pid) if server.vcpu_pid else None
        out, client_cpu = dnsperf(server.port, data, ["-l", str(duration), "-q", str(outstanding)], cpus[1])
        wall = time.monotonic() - t0
        ticks = run.cpu_ticks(server.pid) - c0
        if server.vcpu_pid:
            v1 = image.thread_ticks(server.vcpu_pid)
            vcpu = sum(v1[n] - v0.get(n, 0) for n in v1 if n.startswith("CPU ")) / HZ / wall
        if not server.alive():
            raise RuntimeError(f"{name} ended during the run")
    except Exception:
        stop(server)
        raise
    counters = stop(server)
    r = parse(out)
    r["server_cpu_s"] = ticks / HZ
    r["server_cpu"] = ticks / HZ / wall
    r["client_cpu"] = client_cpu / wall
    r["us_per_query"] = ticks / HZ / r["completed"] * 1e6 if r["completed"] else float("nan")
    r["ticks"] = ticks
    r["counters"] = counters
    if server.vcpu_pid:
        r["vcpu"] = vcpu
    return r


# ---------------------------------------------------------------- building


def build(compiler, target, out, notes):
    """`cleave build Examples/dns/dns.clv --target TARGET -o OUT`, retried once (the compiler may be
    being replaced): the path to run, or None with a note saying why."""
    flags = ["--target", target]
    for attempt in range(2):
        path, why, _ = image.cleave_build(compiler, SOURCE, out, *flags)
        if path:
            return str(path / "run") if target == "isolated" else str(path)
        if attempt == 0:
            log(f"dns.py: `cleave build {SOURCE} --target {target}` failed ({why}); retrying in 5 s")
            time.sleep(5)
    notes.append(f"Cleave {target}: **not measured**, `{compiler} build {SOURCE} --target {target} -o "
                 f"{os.path.relpath(out, ROOT)}` failed: {why}")
    log(f"dns.py: leaving out Cleave {target}: {why}")
    return None


def source_state():
    """Whether the DNS example and its zone are as in the commit."""
    r = subprocess.run(["git", "status", "--porcelain", "--", "Examples/dns"], cwd=ROOT, capture_output=True,
                       text=True)
    if r.returncode != 0:
        return "?"
    return "as in the commit" if not r.stdout.strip() else "**differs from the commit** (work in progress)"


# ---------------------------------------------------------------- the report


def codes_text(codes):
    total = sum(codes.values())
    return ", ".join(f"{k} {v / total:.1%}" for k, v in sorted(codes.items(), key=lambda kv: -kv[1])) \
        if total else "-"


def expected_codes(line_codes, sent):
    """The response codes NSD gave to the first `sent` queries of the file (dnsperf asks its lines in
    order, from the first, again and again): {code: count}."""
    full, rest = divmod(sent, len(line_codes))
    counts = {}
    for i, code in enumerate(line_codes):
        n = full + (1 if i < rest else 0)
        if n:
            counts[code] = counts.get(code, 0) + n
    return counts


def code_excess(r, line_codes):
    """{code: counted − NSD's for the same queries} of one run, beyond what its lost queries explain
    (a lost query is missing from the counts), or {} when they agree."""
    want = expected_codes(line_codes, r["sent"])
    diff = {k: r["codes"].get(k, 0) - want.get(k, 0) for k in set(want) | set(r["codes"])}
    if any(d > 0 for d in diff.values()) or sum(-d for d in diff.values() if d < 0) > r["lost"]:
        return {k: d for k, d in diff.items() if d}
    return {}


def main():
    global nsd_script
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--cleave", default=str(ROOT / ".build/debug/cleave"), help="the cleave compiler")
    ap.add_argument("--servers", default="nsd,unikernel,isolated,image",
                    help="comma-separated, from nsd, unikernel, isolated, image (default all; nsd, the\n"
                         "baseline, is always measured)")
    ap.add_argument("--outstanding", default="100,1",
                    help="dnsperf -q: queries outstanding, comma-separated (default 100,1: throughput,\n"
                         "then latency alone)")
    ap.add_argument("--duration", type=float, default=10.0, help="dnsperf -l: timed seconds per run (default 10)")
    ap.add_argument("--warmup", type=float, default=1.0,
                    help="seconds of untimed dnsperf on each fresh server before the timed run (default 1)")
    ap.add_argument("--reps", type=int, default=3, help="timed runs per server and -q (default 3)")
    ap.add_argument("--quick", action="store_true", help="a quick look: 1 run of 3 s per server and -q, 0.5 s warm-up")
    ap.add_argument("--pin", choices=["none", "split"], default="none",
                    help="none (default): the scheduler places server and dnsperf; split: the server's\n"
                         "processes and threads on the first CPU, dnsperf on the second (an idle machine only)")
    ap.add_argument("--qemu", default=image.QEMU, help=f"QEMU for x86-64 (default {image.QEMU})")
    ap.add_argument("-o", "--output", default=os.path.relpath(BENCH / "results/dns.md"))
    args = ap.parse_args()
    if args.quick:
        args.reps, args.duration, args.warmup = 1, 3.0, 0.5
    servers = ["nsd"] + [s for s in args.servers.split(",") if s and s != "nsd"]
    outstanding = [int(q) for q in args.outstanding.split(",") if q]
    if set(servers) - set(SERVERS) or not outstanding or min(outstanding) < 1 or args.reps < 1:
        ap.error(f"--servers: from {', '.join(SERVERS)}; --outstanding: positive integers; --reps >= 1")

    for tool, package in (("dnsperf", "dnsperf"), ("nsd", "nsd"), ("nsd-checkzone", "nsd")):
        if not shutil.which(tool):
            skip(f"`{tool}` is not installed (Debian: apt-get install {package}; `make deps` installs it)")
    if not (DNS_SCRIPTS / "nsd.py").exists() or not (DNS_SCRIPTS / "queries.py").exists():
        skip(f"{os.path.relpath(DNS_SCRIPTS, ROOT)}/nsd.py or queries.py is missing")
    sys.path.insert(0, str(DNS_SCRIPTS))
    import nsd as nsd_script  # noqa: E402  (NSD on 127.0.0.1 in a temporary directory of its own)

    atexit.register(stop_all)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.monotonic()
    load_before = os.getloadavg()
    BUILD.mkdir(parents=True, exist_ok=True)
    data = BUILD / "dns_queries.txt"
    lines = query_file(data)
    probe = nsd_script.soa_query(nsd_script.zone_origin(ZONE))
    cpus_available = sorted(os.sched_getaffinity(0))
    cpus = (cpus_available[0], cpus_available[1]) if args.pin == "split" and len(cpus_available) >= 2 else (None, None)

    notes, binaries = [], {}
    compiler = image.compiler_path(args.cleave)
    outputs = {"unikernel": BUILD / "dns_cleave", "isolated": BUILD / "dns_cleave_isolated.d",
               "image": BUILD / "dns.img"}
    if "image" in servers:
        image.QEMU = args.qemu
        if not shutil.which(args.qemu):
            servers.remove("image")
            notes.append(f"Cleave image: **not measured**, {args.qemu} is not installed "
                         "(Debian: apt-get install qemu-system-x86)")
    for s in servers[1:]:
        binaries[s] = build(compiler, s, outputs[s], notes)
    servers = [s for s in servers if s == "nsd" or binaries.get(s)]
    notes.append("BIND: **not measured** (`named` is not installed here, and this script does not drive it)"
                 if not shutil.which("named") else "BIND: **not measured** (this script does not drive it)")

    # 1. The whole query file once per server: every response code against NSD's.
    checked, check_rows, mismatch = {}, [], {}
    for s in servers:
        try:
            checked[s] = check(s, binaries, probe, data, cpus)
        except (RuntimeError, OSError, nsd_script.NSDError) as e:
            if s == "nsd":
                raise
            notes.append(f"{SERVERS[s]}: **failed** the one-pass check: {e}")
            log(f"dns.py: {s}: {e}")
    servers = [s for s in servers if s in checked]
    base_answers = checked["nsd"][0]
    file_keys = [" ".join(line.split()[:2]) for line in data.read_text().splitlines() if line.strip()]
    line_codes = [base_answers.get(k) for k in file_keys]
    if None in line_codes:  # dnsperf printed a query otherwise than the file has it: compare mixes only
        notes.append("dnsperf's per-query lines did not all match the query file's: the response codes of the "
                     "timed runs are not compared query by query")
        line_codes = None
    for s in servers:
        answers, st = checked[s]
        differing = sorted(k for k in set(base_answers) | set(answers) if answers.get(k) != base_answers.get(k))
        mismatch[s] = differing
        shown = "; ".join(f"{k}: {answers.get(k, 'no answer')} (NSD {base_answers.get(k, 'no answer')})"
                          for k in differing[:5]) + (f"; and {len(differing) - 5} more" if len(differing) > 5 else "")
        others = {k: v for k, v in st["codes"].items() if k not in ("NOERROR", "NXDOMAIN", "REFUSED")}
        check_rows.append(f"| {SERVERS[s]} | {st['completed']} of {st['sent']} | {st['codes'].get('NOERROR', 0)} | "
                          f"{st['codes'].get('NXDOMAIN', 0)} | {st['codes'].get('REFUSED', 0)} | "
                          f"{', '.join(f'{k} {v}' for k, v in others.items()) or '0'} | {st['response_bytes']:.0f} | "
                          f"{'-' if s == 'nsd' else len(differing)}{': ' + shown if differing else ''} |")
        log(f"  check {s:9} {st['completed']}/{st['sent']} answered, {codes_text(st['codes'])}, "
            f"response {st['response_bytes']:.0f} bytes on average, {len(differing)} codes differ from NSD's")

    # 2. Timed runs: for each -q, the servers in turn (order alternating), --reps times.
    rows, verdicts, load_at_rep, unbalanced = [], [], [], {}
    for q in outstanding:
        runs = {s: [] for s in servers}
        for rep in range(args.reps):
            load_at_rep.append(os.getloadavg()[0])
            for s in (list(servers) if rep % 2 == 0 else list(servers)[::-1]):
                if s not in runs:
                    continue
                try:
                    r = measure(s, binaries, probe, data, q, args.duration, args.warmup, cpus)
                except (RuntimeError, OSError, nsd_script.NSDError) as e:
                    if s == "nsd":
                        raise
                    notes.append(f"{SERVERS[s]}, -q {q}: **failed**, {e}")
                    log(f"dns.py: {s}: {e}")
                    del runs[s]
                    continue
                runs[s].append(r)
                extra = f" (vCPU {r['vcpu']:.0%})" if "vcpu" in r else ""
                log(f"  -q {q:3} {s:9} {r['qps']:9.0f} q/s  latency {r['latency']:8.1f} us (sd {r['stddev']:7.1f})  "
                    f"lost {r['lost']}  CPU {r['us_per_query']:6.2f} us/query  cpu server {r['server_cpu']:.0%}{extra} "
                    f"dnsperf {r['client_cpu']:.0%}  {codes_text(r['codes'])}"
                    + (f"  server counters: received {r['counters'][0]}, sent {r['counters'][1]}, dropped "
                       f"{r['counters'][2]}" if r["counters"] else ""))
                if r["counters"] and (r["counters"][2] or r["counters"][0] != r["counters"][1] + r["counters"][2]):
                    unbalanced[(s, q)] = unbalanced.get((s, q), []) + [r["counters"]]
        base = runs["nsd"]
        for s, rs in runs.items():
            if not rs:
                continue
            med = lambda key: statistics.median(r[key] for r in rs)
            pairs = list(zip(rs, base))  # the same repetition's NSD run
            qps_ratio = statistics.median(r["qps"] / b["qps"] for r, b in pairs if b["qps"])
            cpu_ratio = statistics.median(r["us_per_query"] / b["us_per_query"] for r, b in pairs
                                          if b["us_per_query"] > 0)
            latency_ratio = statistics.median(r["latency"] / b["latency"] for r, b in pairs if b["latency"])
            codes, excess = {}, {}
            for r in rs:
                for k, v in r["codes"].items():
                    codes[k] = codes.get(k, 0) + v
                for k, v in (code_excess(r, line_codes) if line_codes else {}).items():
                    excess[k] = excess.get(k, 0) + v
            if excess:
                flag = " — **≠ NSD's codes for the same queries**: " + ", ".join(
                    f"{k} {v:+d}" for k, v in sorted(excess.items()))
                notes.append(f"{SERVERS[s]}, -q {q}: the response codes dnsperf counted differ from NSD's answers "
                             f"to the same queries ({', '.join(f'{k} {v:+d}' for k, v in sorted(excess.items()))})")
            else:
                flag = " (= NSD's for the same queries)" if line_codes and s != "nsd" else ""
            cpu = f"{med('server_cpu'):.0%}"
            if "vcpu" in rs[0]:
                cpu += f" (vCPU {med('vcpu'):.0%})"
            passes = med("completed") / lines
            ticks = med("ticks")
            ticks_note = f" ({ticks:.0f} {'tick' if ticks == 1 else 'ticks'})" if ticks < 100 else ""
            rows.append(f"| {q} | {SERVERS[s]} | {med('qps'):,.0f} ({min(r['qps'] for r in rs):,.0f}–"
                        f"{max(r['qps'] for r in rs):,.0f}) | {med('latency'):,.0f} | {med('stddev'):,.0f} | "
                        f"{sum(r['lost'] for r in rs)} of {sum(r['sent'] for r in rs):,} | {med('us_per_query'):.2f}"
                        f"{ticks_note} | "
                        f"{cpu} / {med('client_cpu'):.0%} | {'1.00' if s == 'nsd' else f'{qps_ratio:.2f}'} | "
                        f"{'1.00' if s == 'nsd' else f'{latency_ratio:.2f}'} | "
                        f"{'1.00' if s == 'nsd' else f'{cpu_ratio:.2f}'} | {codes_text(codes)}{flag} "
                        f"({passes:,.1f} passes a run) |")
            if s == "unikernel" and q == max(outstanding):
                held = qps_ratio >= 1.0 and cpu_ratio <= 0.8
                verdicts.insert(0, (
                    f"under load (-q {q}): the Cleave unikernel's queries/s ÷ NSD's is {qps_ratio:.2f} (target ≥ 1: "
                    f"{'met' if qps_ratio >= 1.0 else '**not met**'}) and its CPU per query ÷ NSD's "
                    f"{cpu_ratio:.2f} (target ≤ 0.8: {'met' if cpu_ratio <= 0.8 else '**not met**'}): the target "
                    f"{'**holds**' if held else '**does not hold**'} in this run"))
            elif s == "unikernel":
                verdicts.append(
                    f"-q {q} (not judged: dnsperf paces these runs, see above): latency ÷ NSD {latency_ratio:.2f}, "
                    f"queries/s ÷ NSD {qps_ratio:.2f}, CPU per query ÷ NSD {cpu_ratio:.2f}")
    for (s, q), counters in unbalanced.items():
        notes.append(f"{SERVERS[s]}, -q {q}: its own counters (printed when it stops; over its whole life, the "
                     "readiness probes and the warm-up included) show drops, or do not balance (received ≠ sent + "
                     f"dropped), in {len(counters)} of {args.reps} runs: " + "; ".join(
                         f"received {c[0]:,}, sent {c[1]:,}, dropped {c[2]:,}" for c in counters))
    if "unikernel" not in servers:
        verdicts.append("the Cleave unikernel was not measured: the target could not be checked")

    load_after = os.getloadavg()
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    cpu_model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                      if line.startswith("model name")), "?")
    versions = [
        f"{first_line(['nsd', '-v'], stderr=True)}{debian_version('nsd')}",
        f"dnsperf {first_line(['dpkg-query', '-W', '-f', '${Version}', 'dnsperf'])}",
    ]
    if "image" in servers:
        versions.append(first_line([args.qemu, "--version"]))
    dnsperf_cmd = f"dnsperf -s 127.0.0.1 -p PORT -d {os.path.relpath(data, ROOT)} -l {args.duration:g} -q Q"
    different = [s for s in servers if s != "nsd" and mismatch.get(s)]
    text = "\n".join([
        "# DNS: dnsperf against NSD and the Cleave DNS example",
        "",
        f"- date: {now}; commit {run.sh(['git', 'rev-parse', '--short', 'HEAD'])}; `{SOURCE}` and its zone "
        f"{source_state()}",
        f"- machine: {os.cpu_count()} CPUs (nproc {run.sh(['nproc'])}), {cpu_model}; Linux {platform.release()}; "
        f"{'; '.join(versions)}; load average (1, 5, 15 min) {', '.join(f'{x:.2f}' for x in load_before)} before, "
        f"{', '.join(f'{x:.2f}' for x in load_after)} after; 1 min at each repetition's start: "
        f"{', '.join(f'{x:.2f}' for x in load_at_rep)} (other work on the machine shows up as noise)",
        f"- command: `python3 {shlex.join([os.path.relpath(sys.argv[0], ROOT), *sys.argv[1:]])}` "
        f"({time.monotonic() - started:.0f} s)",
        f"- compiler: `{compiler}` (the generated C is compiled with -O2 whatever the compiler's own build); "
        f"runtime: {image.runtime_state()}",
        f"- queries: `{os.path.relpath(data, ROOT)}`, {lines} lines written by `scripts/dns/queries.py "
        f"{os.path.relpath(ZONE, ROOT)} --dnsperf FILE` (the corpus's plain class-IN queries, no RD, no EDNS: "
        "every owner name and empty non-terminal asked for common and absent types, names that do not exist, "
        "wildcards, CNAME chains, loops and dangling targets, delegations, names outside the zone); dnsperf "
        "goes through the file in order, again and again",
        f"- load: `{dnsperf_cmd}` (one client, UDP over 127.0.0.1) after {args.warmup:g} s of untimed dnsperf on "
        f"the same fresh server; median of {args.reps} runs per row, the servers' order alternating between "
        f"repetitions; server on CPU {'any' if cpus[0] is None else cpus[0]}, dnsperf on CPU "
        f"{'any' if cpus[1] is None else cpus[1]}",
        "- NSD: `scripts/dns/nsd.py` (one server process, `server-count: 1`; response rate limiting off; its "
        "xfrd and main processes are counted in its CPU too)",
        *[f"- {n}" for n in notes],
        "",
        "## The query file once per server",
        "",
        "`dnsperf -n 1 -q 20 -v` on a fresh server: every query's response code, compared with NSD's. "
        "*Response bytes* is dnsperf's average response size.",
        "",
        "| server | answered | NOERROR | NXDOMAIN | REFUSED | other | response bytes | codes ≠ NSD |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
        *check_rows,
        "",
        ("Response codes: **the servers differ** (" + ", ".join(SERVERS[s] for s in different) + ")."
         if different else "Response codes: every server answered every query with NSD's code."),
        "",
        "## Queries/s, latency and CPU per query",
        "",
        "*Q* is dnsperf's `-q`, the queries outstanding: at 100 the server is kept busy (throughput); at 1 each "
        "query waits for the previous reply (latency alone). At 1, queries/s is not the server's speed: 1 ÷ "
        "queries/s is many times the latency, because dnsperf's sending thread often sleeps until its receiving "
        "thread's next 100 ms poll timeout before it sends the next query (the receiver wakes the sender before it "
        "counts the reply as completed, so the sender can find the query still outstanding and wait again: a lost "
        "wake-up in dnsperf's `do_send`/`do_recv`); back to back on one server, 1 s runs gave 17 to 3,800 q/s for "
        "latencies of 60–230 µs. Read the latency there. Where a row's CPU is under 100 clock ticks, the ticks are "
        "shown: one tick more or less moves it by over 1%. *Latency* and *stddev* are dnsperf's average latency and "
        "its standard deviation (dnsperf prints them to the microsecond). *Lost* is summed over the runs. *CPU "
        "µs/query* is the server's utime + stime (`/proc/PID/stat`, in clock ticks of 10 ms; its child processes "
        "and all threads included) from just before the timed dnsperf run to just after it, over the queries "
        "completed; *CPU server / dnsperf* is each one's share of one CPU over the run. The ratios are medians of "
        "each run against NSD's run of the same repetition. *Response codes* are those dnsperf counted over all "
        "runs of the row, checked against NSD's codes for the same queries (dnsperf asks the file's lines in "
        "order from the first, so a run of N queries asked the first N lines, wrapping around; a lost query may "
        "be missing from the counts); *passes a run* is how many times a run went through the file.",
        "",
        "| Q | server | queries/s (min–max) | latency µs | stddev µs | lost | CPU µs/query | CPU server / dnsperf "
        "| q/s ÷ NSD | latency ÷ NSD | CPU/query ÷ NSD | response codes |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        *rows,
        "",
        "Target (Cleave unikernel: queries/s ≥ NSD's and CPU per query ≤ 0.8× NSD's, under load):",
        "",
        *[f"- {v}" for v in verdicts],
        "",
    ])
    print(text)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(text)
    log(f"dns.py: wrote {args.output}")


if __name__ == "__main__":
    main()

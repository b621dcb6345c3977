#!/usr/bin/env python3
"""tap.py: kv on Cleave's own network stack over a TAP, against the kernel's UDP and a C server.

Measures Examples/kv/kv.clv in one run, under the same closed-loop load:
  * on the kernel's UDP sockets (`cleave build`, `--net socket`), loaded over 127.0.0.1,
    next to the hand-written C baseline baselines/kv_server.c;
  * on Cleave's own stack (`cleave build --net direct`: Ethernet, ARP, IPv4, UDP written in
    Cleave, compiled into the program) over a TAP interface, as a unikernel and for the
    isolated target (and the isolated target with the stack and the device in one component);
  * the hand-written C server on the same kind of TAP, baselines/kv_tap_server.c.
Every TAP measurement gets a network namespace of its own (created and deleted here): the
service creates the TAP interface cl0 in it, the script gives Linux's end 10.77.0.1/24, and
the load generator runs in the namespace against 10.77.0.2:7000, so Linux is the peer.
Ratios are against the C TAP server and against kv on the kernel's sockets measured in the
same repetitions. Optionally (perf installed) one `perf record` of the kv-on-stack unikernel
under load: its top symbols. Writes Benchmarks/results/tap.md. Needs root and /dev/net/tun;
without them it says why and exits 0. Python 3 standard library only.
"""

import argparse
import atexit
import datetime
import json
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
import run  # noqa: E402  (the served benchmark's building blocks)

BENCH, ROOT, BUILD = run.BENCH, run.ROOT, run.BUILD
KV = "Examples/kv/kv.clv"
PROBE = b"GET ready?"

# The TAP link: the service at 10.77.0.2 (as the brief of the example), Linux at 10.77.0.1.
SERVICE_IP, LINUX_IP, PREFIX, PORT = "10.77.0.2", "10.77.0.1", 24, 7000
SERVICE_MAC = "02:00:00:00:00:02"
# The load generator's in-flight slots each send from an address of their own (that is how
# replies are matched to requests): in the namespace, addresses of RFC 2544's benchmarking
# range made local with one route. They are not on the TAP's subnet, so Cleave's stack is
# given Linux as its gateway (gw=) to answer them; the C server answers the frame's source MAC.
SOURCE_NET = "198.18.0.0/15"
NETIF = f"tap:cl0,ip={SERVICE_IP}/{PREFIX},gw={LINUX_IP},mac={SERVICE_MAC}"

# name -> (label, how it is reached: "socket" or "tap")
SERVERS = {
    "c-socket": ("C `kv_server.c`, kernel UDP socket", "socket"),
    "socket": ("kv, kernel UDP socket (`--net socket`)", "socket"),
    "c-tap": ("C `kv_tap_server.c`, TAP", "tap"),
    "direct": ("kv, Cleave's stack, TAP (`--net direct`)", "tap"),
    "direct-isolated": ("kv, Cleave's stack, TAP, isolated: 3 components (device / deviceStack / store)", "tap"),
    "direct-isolated-2": ("kv, Cleave's stack, TAP, isolated: 2 components (device+deviceStack / store)", "tap"),
}
BASELINE, SOCKET_ROW = "c-tap", "socket"

namespaces = set()  # created and not yet deleted: deleted at exit whatever happens


def skip(why):
    print(f"tap.py: skipped: {why}", file=sys.stderr)
    sys.exit(0)


def preflight():
    """Why this cannot run here, or None."""
    if os.geteuid() != 0:
        return "needs root (a TAP interface and network namespaces); run it with sudo"
    try:
        os.close(os.open("/dev/net/tun", os.O_RDWR))
    except OSError as e:
        return f"/dev/net/tun does not open: {e.strerror}"
    if not shutil.which("ip"):
        return "needs `ip` (iproute2) for the network namespaces"
    name = f"cltap{os.getpid()}probe"
    r = subprocess.run(["ip", "netns", "add", name], capture_output=True, text=True)
    if r.returncode != 0:
        return f"cannot create a network namespace: {r.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", name], capture_output=True)
    return None


def ip(*args, check=True):
    r = subprocess.run(["ip", *args], capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError(f"`ip {' '.join(args)}`: {r.stderr.strip()}")
    return r


def netns_add(name):
    ip("netns", "add", name)
    namespaces.add(name)
    # No IPv6 on cl0: no router solicitations and MLD reports for the servers to drop.
    subprocess.run(["ip", "netns", "exec", name, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
                    "net.ipv6.conf.default.disable_ipv6=1"], capture_output=True)
    ip("-n", name, "link", "set", "lo", "up")
    ip("-n", name, "route", "add", "local", SOURCE_NET, "dev", "lo")


def netns_del(name):
    if name in namespaces:
        ip("netns", "del", name, check=False)
        namespaces.discard(name)


def cleanup():
    for name in list(namespaces):
        netns_del(name)


def build_c(cc):
    run.build_c(cc)
    subprocess.run([cc, *run.CFLAGS, "-o", str(BUILD / "kv_tap_server"), str(BENCH / "baselines/kv_tap_server.c")],
                   check=True)


def build_cleave(cleave, name, *flags, isolated=False):
    """The runnable of kv built with `flags`, or (None, why not)."""
    out = BUILD / f"tap_{name}{'.d' if isolated else ''}"
    cmd = [cleave, "build", *flags, KV, "-o", os.path.relpath(out, ROOT)]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    except OSError as e:
        return None, f"`{shlex.join(cmd)}`: {e}"
    if r.returncode != 0 or not out.exists():
        why = (r.stderr or r.stdout).strip().splitlines()
        return None, f"`{shlex.join(cmd)}` failed (exit {r.returncode}): {why[0] if why else 'no output'}"
    return str(out / "run") if isolated else str(out), None


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


PROBE_SCRIPT = """
import socket, sys, time
end = time.monotonic() + float(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.05)
while time.monotonic() < end:
    s.sendto(sys.argv[4].encode(), (sys.argv[1], int(sys.argv[2])))
    try:
        s.recv(65536)
        sys.exit(0)
    except socket.timeout:
        pass
sys.exit(1)
"""


def measure_tap(server_cmd, load_args, log, pin, ns, keep=None):
    """In a fresh namespace: start the server on its TAP, give Linux its end of the link, probe,
    load from inside the namespace, stop. The loadgen's JSON plus the server's CPU share.
    `keep(proc)`, if given, runs while the load does (perf record)."""
    netns_add(ns)
    proc = None
    try:
        with open(log, "w") as err:
            proc = subprocess.Popen(["ip", "netns", "exec", ns, *server_cmd], stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=err, preexec_fn=run.pinned(pin[0]))
        end = time.monotonic() + 10
        while "tap: frames on cl0" not in log.read_text(errors="replace"):
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}: {run.tail(log)}")
            if time.monotonic() > end:
                raise RuntimeError(f"server did not create cl0 within 10 s: {run.tail(log)}")
            time.sleep(0.01)
        ip("-n", ns, "addr", "add", f"{LINUX_IP}/{PREFIX}", "dev", "cl0")
        ip("-n", ns, "link", "set", "cl0", "up")
        r = subprocess.run(["ip", "netns", "exec", ns, sys.executable, "-c", PROBE_SCRIPT, SERVICE_IP, str(PORT), "10",
                            PROBE.decode()])
        if r.returncode != 0:
            raise RuntimeError(f"server did not answer on {SERVICE_IP}:{PORT} within 10 s: {run.tail(log)}")
        t0, c0 = time.monotonic(), run.cpu_ticks(proc.pid)
        loadgen = subprocess.Popen(["ip", "netns", "exec", ns, str(BUILD / "loadgen"), "--host", SERVICE_IP,
                                    "--source-net", SOURCE_NET, "--port", str(PORT), *load_args],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   preexec_fn=run.pinned(pin[1]))
        if keep:
            keep(proc)
        out, errtext = loadgen.communicate()
        server_cpu = (run.cpu_ticks(proc.pid) - c0) / os.sysconf("SC_CLK_TCK") / (time.monotonic() - t0)
        if loadgen.returncode != 0:
            raise RuntimeError(f"loadgen failed: {errtext.strip()}")
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} under load: {run.tail(log)}")
        result = json.loads(out)
        result["server_cpu"] = server_cpu
        return result
    finally:
        if proc:
            stop(proc)
        netns_del(ns)


# What the profile's samples went to, by kind: (name, pattern on "OBJECT [.] SYMBOL"), the first
# that matches (the last two take what is left). Kernel checksums and copies count as such.
KINDS = [
    ("checksums", r"onesComplementSum|internetChecksum|PseudoHeaderSum|\] .*csum"),
    ("copies (memcpy/memmove; the kernel's to and from the process, skb copies)",
     r"\[\.\] (__)?mem(cpy|move)|\[k\] .*(copy_to_iter|copy_from_iter|copy_to_user|copy_from_user|copy_user|skb_copy)"),
    ("allocation and buffer bookkeeping (malloc/free, cl_alloc, cl_buf_*, releases)",
     r"\[\.\] .*(malloc|free|cl_alloc|cl_buf_|cl_release|cl_promote|cl_free_later|cl_iteration_end|memset|"
     r"cl_bytes_repeating|cl_array_new)"),
    ("reading and comparing bytes (cl_bytes_read/write/equal, memcmp)",
     r"\[\.\] .*(cl_bytes_read|cl_bytes_write|cl_bytes_set|cl_bytes_equal|bytes_equal|memcmp|cl_bytes_slice)"),
    ("maps (find, cl_map_*, cl_hash)", r"\[\.\] (find|cl_map_|cl_hash)"),
    ("the clock (clock_gettime: FrameDevice.now())", r"clock_gettime|cl_platform_clock|cl_frames_clock"),
    ("libc's system call wrappers (read, write, poll: where a system call's samples land in a VM)",
     r"libc\S*\s+\[\.\] (__GI___libc_write|__libc_write|write|__libc_read|read|__poll|poll)$"),
    ("the rest of the process (the stack's and kv's code, the runtime)", r"\[\.\]"),
    ("the rest of the kernel (system calls, the TAP, Linux's IPv4/UDP, scheduling)", r"\[k\]"),
]


def by_kind(rows):
    shares = {name: 0.0 for name, _ in KINDS}
    for p, f in rows:
        for name, pattern in KINDS:
            if re.search(pattern, f):
                shares[name] += p
                break
    return shares


def perf_works():
    if not shutil.which("perf"):
        return "perf is not installed"
    r = subprocess.run(["perf", "stat", "-e", "task-clock", "-x,", "true"], capture_output=True, text=True)
    return None if r.returncode == 0 else f"`perf stat` does not work here: {(r.stderr or '?').strip().splitlines()[-1]}"


def perf_report(data, sort):
    """(percent, fields...) rows of `perf report --sort SORT`, largest first."""
    r = subprocess.run(["perf", "report", "-i", str(data), "--no-children", "--sort", sort, "--stdio",
                        "--percent-limit", "0.01"], capture_output=True, text=True)
    rows = []
    for line in r.stdout.splitlines():
        m = re.match(r"\s*([\d.]+)%\s+(.*)$", line)
        if m and not line.lstrip().startswith("#"):
            rows.append((float(m.group(1)), m.group(2).strip()))
    return rows


def profile(server_cmd, load_args, pin, seconds, tag):
    """perf record the server (its process only) under load: (top rows by symbol, by dso) or why not."""
    data = BUILD / f"tap-perf-{tag}.data"
    recorded = {}

    def record(proc):
        time.sleep(0.3)  # into the measured part of the load
        recorded["r"] = subprocess.run(["perf", "record", "-F", "1999", "-o", str(data), "-p", str(proc.pid), "--",
                                        "sleep", str(seconds)], capture_output=True, text=True)

    result = measure_tap(server_cmd, load_args, BUILD / f"tap_perf_{tag}.log", pin, f"cltap{os.getpid()}perf{tag}",
                         keep=record)
    r = recorded.get("r")
    if not r or r.returncode != 0 or not data.exists():
        return None, None, result, f"`perf record` failed: {(r.stderr if r else 'not run').strip()[-200:]}"
    return perf_report(data, "dso,sym"), perf_report(data, "dso"), result, None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter,
                                 epilog="Needs root (TAP interface, network namespaces); exits 0 with a message "
                                        "when it cannot run.")
    ap.add_argument("--cleave", default=str(ROOT / ".build/debug/cleave"), help="the cleave compiler")
    ap.add_argument("--servers", default=",".join(SERVERS),
                    help=f"comma-separated, from: {', '.join(SERVERS)}\n(default all; {BASELINE} is always measured)")
    ap.add_argument("--windows", default="1,32", help="requests in flight, comma-separated (default 1,32)")
    ap.add_argument("--reps", type=int, default=3, help="measurements per server and window (default 3)")
    ap.add_argument("--duration", type=float, default=2.0, help="measured seconds per run (default 2)")
    ap.add_argument("--warmup", type=float, default=0.5, help="warm-up seconds per run (default 0.5)")
    ap.add_argument("--keys", type=int, default=1000, help="kv key space (default 1000)")
    ap.add_argument("--set-ratio", type=float, default=0.2, help="kv share of SETs (default 0.2)")
    ap.add_argument("--pin", choices=["none", "split"], default="none",
                    help="none (default): the scheduler places server and loadgen; split: server on CPU 0,\n"
                         "loadgen on CPU 1 (only on an otherwise idle machine)")
    ap.add_argument("--no-perf", action="store_true", help="skip the perf record of the kv-on-stack unikernel")
    ap.add_argument("--perf-seconds", type=float, default=3.0, help="seconds of perf record (default 3)")
    ap.add_argument("--cc", default="cc")
    ap.add_argument("-o", "--output", default=os.path.relpath(BENCH / "results/tap.md"))
    args = ap.parse_args()
    chosen = [s for s in args.servers.split(",") if s]
    if any(s not in SERVERS for s in chosen):
        ap.error(f"--servers: choose from {', '.join(SERVERS)}")
    chosen = [s for s in SERVERS if s in chosen or s == BASELINE]
    windows = [int(w) for w in args.windows.split(",") if w]

    why = preflight()
    if why:
        skip(why)
    atexit.register(cleanup)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that the namespaces go too

    cpus = sorted(os.sched_getaffinity(0))
    pin = (cpus[0], cpus[1]) if args.pin == "split" and len(cpus) >= 2 else (None, None)
    load_before = os.getloadavg()[0]
    build_c(args.cc)
    compiler = args.cleave
    if os.sep in compiler:  # relative to the repository, where it runs, unless it lives elsewhere
        rel = os.path.relpath(os.path.abspath(compiler), ROOT)
        compiler = os.path.abspath(compiler) if rel.startswith("..") else rel
    notes, binaries = [], {"c-socket": str(BUILD / "kv_server"), "c-tap": str(BUILD / "kv_tap_server")}
    builds = {
        "socket": ("socket", []),
        "direct": ("direct", ["--net", "direct"]),
        "direct-isolated": ("direct", ["--net", "direct", "--target", "isolated"]),
        "direct-isolated-2": ("direct2", ["--net", "direct", "--target", "isolated",
                                          "--partition", "device,deviceStack|store"]),
    }
    for s in chosen:
        if s in builds:
            isolated = "--target" in builds[s][1]
            binaries[s], why = build_cleave(compiler, s, *builds[s][1], isolated=isolated)
            if why:
                notes.append(f"{SERVERS[s][0]}: **not measured**, {why}")
                print(f"tap.py: skipping {s}: {why}", file=sys.stderr)
    chosen = [s for s in chosen if binaries.get(s)]

    def command(s, port=None):
        b = binaries[s]
        if SERVERS[s][1] == "socket":
            return [b, "--port", str(port)] if s == "c-socket" else [b, "--netif", f"udp:{port}"]
        return [b, "--netif", NETIF]

    load = ["--mode", "kv", "--keys", str(args.keys), "--set-ratio", str(args.set_ratio)]
    rows, seq = [], 0
    for w in windows:
        load_args = [*load, "--window", str(w), "--duration", str(args.duration), "--warmup", str(args.warmup),
                     "--validate"]
        servers = list(chosen)
        runs = {s: [] for s in servers}
        for rep in range(args.reps):
            for s in (servers if rep % 2 == 0 else servers[::-1]):  # alternate who goes first
                if s not in runs:
                    continue
                log = BUILD / f"tap_{s}.log"
                seq += 1
                try:
                    if SERVERS[s][1] == "socket":
                        port = run.free_port()
                        r = run.measure(command(s, port), port, PROBE, load_args, log, pin)
                    else:
                        r = measure_tap(command(s), load_args, log, pin, f"cltap{os.getpid()}n{seq}")
                except (RuntimeError, subprocess.CalledProcessError) as e:
                    if s == BASELINE:
                        raise
                    notes.append(f"{SERVERS[s][0]}, window {w}: **failed**, {e}")
                    print(f"tap.py: {s}: {e}", file=sys.stderr)
                    del runs[s]
                    continue
                r["cpu_us"] = r["server_cpu"] * 1e6 / r["rps"] if r["rps"] else float("nan")
                runs[s].append(r)
                print(f"  window {w:3} {s:18} {r['rps']:10.0f} req/s  p50 {r['p50_us']:7.1f} us  "
                      f"p99 {r['p99_us']:8.1f} us  lost {r['lost']}  bad {r['mismatches']}  "
                      f"cpu server {r['server_cpu']:.0%} ({r['cpu_us']:.1f} us/req) loadgen {r['loadgen_cpu']:.0%}",
                      file=sys.stderr)
        for s, rs in runs.items():
            m = run.summarize(rs)

            def ratio(key, against):
                pairs = [(r, b) for r, b in zip(rs, runs.get(against, [])) if b[key]]
                return f"{statistics.median(r[key] / b[key] for r, b in pairs):.2f}" if pairs else "-"

            rows.append(f"| {w} | {SERVERS[s][0]} | {m['rps']:,.0f} ({m['rps_min']:,.0f}–{m['rps_max']:,.0f}) | "
                        f"{m['p50']:.1f} | {m['p99']:.1f} | {m['lost']} | {m['bad']} | "
                        f"{m['server_cpu']:.0%} / {m['loadgen_cpu']:.0%} | "
                        f"{statistics.median(r['cpu_us'] for r in rs):.1f} | "
                        f"{ratio('rps', BASELINE)} | {ratio('p50_us', BASELINE)} | {ratio('rps', SOCKET_ROW)} |")

    # One profile of kv on Cleave's stack (the unikernel) under the heaviest load, and, for
    # comparison, where the C TAP server's time goes.
    profile_text = []
    why_not = "--no-perf" if args.no_perf else perf_works()
    if why_not is None and "direct" in binaries:
        w = max(windows)
        load_args = [*load, "--window", str(w), "--duration", str(args.perf_seconds + 1.0), "--warmup", "0.3",
                     "--validate"]
        by_sym, by_dso, r, err = profile(command("direct"), load_args, pin, args.perf_seconds, "direct")
        c_sym, c_dso, cr, cerr = profile(command("c-tap"), load_args, pin, args.perf_seconds, "c-tap")
        if err:
            profile_text = ["", f"No profile: {err}"]
        else:
            kinds = by_kind(by_sym)
            dso = lambda rows_: ", ".join(f"{f} {p:.1f}%" for p, f in rows_[:6])
            profile_text = [
                "",
                f"## Where kv on Cleave's stack spends its time (`perf record`, unikernel, window {w})",
                "",
                f"`perf record -F 1999 -p PID -- sleep {args.perf_seconds}` on the kv-on-stack unikernel's own "
                f"process while the load generator ran at window {w} ({r['rps']:,.0f} req/s, {r['lost']} lost, "
                f"{r['mismatches']} bad); the server's system calls include Linux's side of the TAP "
                "(a write to the TAP runs Linux's receive path for the reply in the writer's context). "
                f"Report: `perf report -i {os.path.relpath(BUILD / 'tap-perf-direct.data', ROOT)} --no-children "
                "--sort dso,sym`.",
                "",
                f"- by object: {dso(by_dso)}",
                "- by kind (symbols classified by name, `KINDS` in tap.py): "
                + "; ".join(f"{name} {p:.1f}%" for name, p in kinds.items()),
                f"- for comparison, the C TAP server under the same load ({cr['rps']:,.0f} req/s): "
                + (f"by object: {dso(c_dso)}; by kind: " + "; ".join(f"{name.split(' (')[0]} {p:.1f}%"
                                                                     for name, p in by_kind(c_sym).items())
                   if not cerr else f"no profile ({cerr})"),
                "",
                "| % samples | object | symbol |",
                "|---:|---|---|",
                *[f"| {p:.2f} | {f.split()[0]} | `{' '.join(f.split()[1:])}` |" for p, f in by_sym[:15]],
            ]
    elif why_not is not None:
        profile_text = ["", f"No profile: {why_not}."]

    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    text = "\n".join([
        "# kv on Cleave's own stack over a TAP",
        "",
        f"- date: {now}; commit {run.sh(['git', 'rev-parse', '--short', 'HEAD'])}",
        f"- machine: {os.cpu_count()} CPUs (nproc {run.sh(['nproc'])}), {cpu}; Linux {platform.release()}; "
        f"cc: {run.sh([args.cc, '--version']).splitlines()[0]}; load average {load_before:.2f} before, "
        f"{os.getloadavg()[0]:.2f} after (other work on the machine shows up as noise)",
        f"- command: `python3 {shlex.join([os.path.relpath(sys.argv[0], ROOT), *sys.argv[1:]])}`",
        f"- compiler: `{compiler}`",
        f"- load: `loadgen --mode kv`, closed loop, {args.warmup} s warm-up then {args.duration} s measured, "
        f"{args.set_ratio:.0%} SETs over {args.keys} keys, every reply validated; median of {args.reps} runs per "
        "row, the servers' order alternating between repetitions, each run on a fresh server (and, on a TAP, a fresh "
        f"network namespace); server on CPU {'any' if pin[0] is None else pin[0]}, loadgen on CPU "
        f"{'any' if pin[1] is None else pin[1]}",
        "- kernel UDP socket rows: the server in the script's own network namespace on a free port, the load over 127.0.0.1, as "
        "`run.py`",
        f"- TAP rows: `ip netns add NS`, then `ip netns exec NS SERVER --netif {NETIF}` (the server creates cl0 in "
        f"the namespace), `ip -n NS addr add {LINUX_IP}/{PREFIX} dev cl0`, `ip -n NS link set cl0 up`, and `ip "
        f"netns exec NS loadgen --host {SERVICE_IP} --port {PORT} --source-net {SOURCE_NET} ...`: Linux in the "
        f"namespace is the peer. The loadgen's slots send from {SOURCE_NET} (`ip -n NS route add local {SOURCE_NET} "
        f"dev lo`), off the TAP's subnet: Cleave's stack reaches them through its gateway {LINUX_IP} (ARP "
        "resolved once), the C server by answering the request's source MAC. IPv6 is off in the namespace",
        "- ratios: medians of per-repetition ratios (each run against the C TAP server's, or kv on the kernel "
        "socket's, run of the same repetition); req/s below 1 and p50 above 1 mean slower",
        "- server CPU µs/req: the server's CPU share (its processes' user + system time, children included, over "
        "the load's wall time) ÷ req/s. It includes the kernel's work done in the server's context: on a TAP, a "
        "write runs Linux's receive path for the reply (IPv4, UDP, waking the loadgen); on loopback, sending runs "
        "the loopback receive path the same way",
        "- isolated rows: `cleave build --net direct --target isolated` (one component per state: the device, "
        "the stack `deviceStack`, the store), and with `--partition 'device,deviceStack|store'` (the stack with "
        "its device); *CPU server* sums the launcher's components",
        *[f"- {n}" for n in notes],
        "",
        "| window | server | requests/s (min–max) | p50 µs | p99 µs | lost | bad replies | CPU server / loadgen "
        "| server CPU µs/req | req/s ÷ C TAP | p50 ÷ C TAP | req/s ÷ kv socket |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        *rows,
        *profile_text,
        "",
    ])
    print(text)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(text)
    print(f"tap.py: wrote {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""run.py: the served-throughput benchmark.

Builds the load generator and the hand-written C baselines into Benchmarks/.build/,
gets the Cleave-built echo and kv services (`cleave build ... --target unikernel`,
or prebuilt binaries given with --cleave-echo/--cleave-kv), then for each service
and window measures the baseline and the Cleave build alternately, --reps times
each, on a fresh server and a fresh port every time. It prints a Markdown table of
medians with Cleave's ratio to the baseline measured in the same run (the machines
are noisy: only same-run ratios mean anything) and writes it to
Benchmarks/results/served.md. Python 3 standard library only.
"""

import argparse
import datetime
import json
import os
import platform
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
BUILD = BENCH / ".build"
CFLAGS = ["-std=c11", "-D_DEFAULT_SOURCE", "-O2", "-Wall", "-Wextra", "-Werror"]

# service -> its Cleave source, its baseline, a request that does not change its state
SERVICES = {
    "echo": ("Examples/echo/echo.clv", "echo_server", b"ready?"),
    "kv": ("Examples/kv/kv.clv", "kv_server", b"GET ready?"),
}


def sh(cmd):
    """A command's output, or '?' when it cannot be run."""
    try:
        return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT).stdout.strip() or "?"
    except OSError:
        return "?"


def build_c(cc):
    BUILD.mkdir(exist_ok=True)
    for name, src in [("loadgen", "loadgen/loadgen.c"), ("echo_server", "baselines/echo_server.c"),
                      ("kv_server", "baselines/kv_server.c")]:
        subprocess.run([cc, *CFLAGS, "-o", str(BUILD / name), str(BENCH / src)], check=True)


def build_cleave(cleave, service, projected=False, isolated=False):
    """The path of the Cleave-built service (from source, or from the projected program: its
    components as coroutines of one thread, channels as in-memory queues; or isolated: the
    launcher of a process per component), or (None, why not)."""
    suffix = "_projected" if projected else "_isolated.d" if isolated else ""
    out = BUILD / f"{service}_cleave{suffix}"
    target = "isolated" if isolated else "unikernel"
    cmd = [cleave, "build", SERVICES[service][0], "--target", target, "-o", os.path.relpath(out, ROOT)]
    if projected:
        cmd += ["--from-stage", "projected"]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    except OSError as e:
        return None, f"`{shlex.join(cmd)}`: {e}"
    if r.returncode != 0 or not out.exists():
        why = (r.stderr or r.stdout).strip().splitlines()
        return None, f"`{shlex.join(cmd)}` failed (exit {r.returncode}): {why[0] if why else 'no output'}"
    return str(out / "run") if isolated else str(out), None


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("0.0.0.0", 0))
        return s.getsockname()[1]


def wait_ready(proc, port, probe, log, deadline=10.0):
    """Send `probe` until the server answers: works whether or not it announces itself."""
    end = time.monotonic() + deadline
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.05)
        while time.monotonic() < end:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}: {tail(log)}")
            s.sendto(probe, ("127.0.0.1", port))
            try:
                s.recv(65536)
                return
            except socket.timeout:
                pass
    raise RuntimeError(f"server did not answer on port {port} within {deadline} s")


def tail(log):
    """The last lines a server wrote, on one line."""
    return " / ".join(log.read_text(errors="replace").strip().splitlines()[-3:]) or "no output"


def cpu_ticks(pid):
    """User + system clock ticks the process and its children (an isolated build's components)
    have used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12]) + sum(cpu_ticks(int(c)) for c in children)


def pinned(cpu):
    """A preexec_fn that keeps the child on CPU `cpu` (None: wherever the scheduler likes)."""
    return None if cpu is None else lambda: os.sched_setaffinity(0, {cpu})


def measure(server_cmd, port, probe, load_args, log, pin):
    """Start the server, load it, stop it: the loadgen's JSON plus the server's CPU share."""
    with open(log, "w") as err:
        proc = subprocess.Popen(server_cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                                preexec_fn=pinned(pin[0]))
    try:
        wait_ready(proc, port, probe, log)
        t0, c0 = time.monotonic(), cpu_ticks(proc.pid)
        r = subprocess.run([str(BUILD / "loadgen"), "--port", str(port), *load_args],
                           capture_output=True, text=True, check=True, preexec_fn=pinned(pin[1]))
        server_cpu = (cpu_ticks(proc.pid) - c0) / os.sysconf("SC_CLK_TCK") / (time.monotonic() - t0)
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} under load: {tail(log)}")
        result = json.loads(r.stdout)
        result["server_cpu"] = server_cpu
        return result
    finally:
        stop_process(proc)


def stop_process(proc):
    """SIGTERM, then SIGKILL after 5 s, and wait: a server is never left behind."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def summarize(runs):
    med = lambda key: statistics.median(r[key] for r in runs)
    return {"rps": med("rps"), "rps_min": min(r["rps"] for r in runs), "rps_max": max(r["rps"] for r in runs),
            "p50": med("p50_us"), "p99": med("p99_us"), "lost": sum(r["lost"] for r in runs),
            "bad": sum(r["mismatches"] or 0 for r in runs), "server_cpu": med("server_cpu"),
            "loadgen_cpu": med("loadgen_cpu")}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--cleave", default=str(ROOT / ".build/debug/cleave"), help="the cleave compiler")
    ap.add_argument("--cleave-echo", metavar="PATH", help="a prebuilt Cleave echo service (skips cleave build)")
    ap.add_argument("--cleave-kv", metavar="PATH", help="a prebuilt Cleave kv service (skips cleave build)")
    ap.add_argument("--services", default="echo,kv", help="comma-separated (default echo,kv)")
    ap.add_argument("--windows", default="1,32",
                    help="requests in flight, comma-separated (default 1,32: latency alone, then load)")
    ap.add_argument("--reps", type=int, default=3, help="measurements per server and window (default 3)")
    ap.add_argument("--duration", type=float, default=2.0, help="measured seconds per run (default 2)")
    ap.add_argument("--warmup", type=float, default=0.5, help="warm-up seconds per run (default 0.5)")
    ap.add_argument("--echo-size", type=int, default=64, help="echo payload bytes (default 64)")
    ap.add_argument("--keys", type=int, default=1000, help="kv key space (default 1000)")
    ap.add_argument("--set-ratio", type=float, default=0.2, help="kv share of SETs (default 0.2)")
    ap.add_argument("--pin", choices=["none", "split"], default="none",
                    help="none (default): the scheduler places server and loadgen (on a busy 2-CPU machine\n"
                         "it puts both on one CPU); split: server on CPU 0, loadgen on CPU 1, as client and\n"
                         "server on two machines (only on an otherwise idle machine)")
    ap.add_argument("--projected", action="store_true",
                    help="also measure each service built from the projected program (cleave build --from-stage\n"
                         "projected: every state a component, run as coroutines of one thread)")
    ap.add_argument("--isolated", action="store_true",
                    help="also measure each service built for the isolated target (a process per component,\n"
                         "shared-memory rings between them, each in its sandbox)")
    ap.add_argument("--cc", default="cc")
    ap.add_argument("-o", "--output", default=os.path.relpath(BENCH / "results/served.md"))
    args = ap.parse_args()
    services = [s for s in args.services.split(",") if s]
    windows = [int(w) for w in args.windows.split(",") if w]
    if any(s not in SERVICES for s in services):
        ap.error(f"--services: choose from {', '.join(SERVICES)}")

    cpus = sorted(os.sched_getaffinity(0))
    pin = (cpus[0], cpus[1]) if args.pin == "split" and len(cpus) >= 2 else (None, None)
    load_before = os.getloadavg()[0]
    build_c(args.cc)
    notes, cleave_bin, projected_bin, isolated_bin = [], {}, {}, {}
    for s in services:
        if args.isolated:
            compiler = os.path.relpath(os.path.abspath(args.cleave), ROOT) if os.sep in args.cleave else args.cleave
            isolated_bin[s], why = build_cleave(compiler, s, isolated=True)
            if why:
                notes.append(f"Cleave {s} isolated: **not measured**, {why}")
        if args.projected:
            compiler = os.path.relpath(os.path.abspath(args.cleave), ROOT) if os.sep in args.cleave else args.cleave
            projected_bin[s], why = build_cleave(compiler, s, projected=True)
            if why:
                notes.append(f"Cleave {s} projected: **not measured**, {why}")
        given = getattr(args, f"cleave_{s}")
        if given:
            cleave_bin[s] = str(Path(given).resolve())
            notes.append(f"Cleave {s}: prebuilt `{given}` (--cleave-{s}).")
        else:
            compiler = os.path.relpath(os.path.abspath(args.cleave), ROOT) if os.sep in args.cleave else args.cleave
            cleave_bin[s], why = build_cleave(compiler, s)
            if why:
                notes.append(f"Cleave {s}: **not measured**, {why}")
                print(f"run.py: skipping the Cleave {s} rows: {why}", file=sys.stderr)

    load = {"echo": ["--mode", "echo", "--size", str(args.echo_size)],
            "kv": ["--mode", "kv", "--keys", str(args.keys), "--set-ratio", str(args.set_ratio)]}
    rows = []
    for s in services:
        _, baseline, probe = SERVICES[s]
        servers = {"baseline": lambda port: [str(BUILD / baseline), "--port", str(port)]}
        if cleave_bin[s]:
            servers["cleave"] = lambda port: [cleave_bin[s], "--netif", f"udp:{port}"]
        if projected_bin.get(s):
            servers["projected"] = lambda port: [projected_bin[s], "--netif", f"udp:{port}"]
        if isolated_bin.get(s):
            servers["isolated"] = lambda port: [isolated_bin[s], "--netif", f"udp:{port}"]
        for w in windows:
            load_args = [*load[s], "--window", str(w), "--duration", str(args.duration),
                         "--warmup", str(args.warmup), "--validate"]
            runs = {name: [] for name in servers}
            for rep in range(args.reps):
                order = list(servers) if rep % 2 == 0 else list(servers)[::-1]  # alternate who goes first
                for name in order:
                    port = free_port()
                    try:
                        r = measure(servers[name](port), port, probe, load_args, BUILD / f"{s}_{name}.log", pin)
                    except RuntimeError as e:
                        if name == "baseline":
                            raise
                        notes.append(f"Cleave {s}, window {w}: **failed**, {e}")
                        print(f"run.py: Cleave {s}: {e}", file=sys.stderr)
                        del servers[name], runs[name]
                        continue
                    runs[name].append(r)
                    print(f"  {s:4} window {w:3} {name:8} {r['rps']:10.0f} req/s  p50 {r['p50_us']:7.1f} us  "
                          f"p99 {r['p99_us']:7.1f} us  lost {r['lost']}  bad {r['mismatches']}  "
                          f"cpu server {r['server_cpu']:.0%} loadgen {r['loadgen_cpu']:.0%}", file=sys.stderr)
            for name, rs in runs.items():  # ratios: median over the (baseline, cleave) pairs of one rep
                m = summarize(rs)
                pairs = [(r, b) for r, b in zip(rs, runs["baseline"]) if b["rps"] and b["p50_us"]]
                ratio = lambda key: f"{statistics.median(r[key] / b[key] for r, b in pairs):.2f}" if pairs else "-"
                # Against the unikernel build measured in the same repetitions.
                uni = [(r, u) for r, u in zip(rs, runs.get("cleave", [])) if u["rps"]] if name != "baseline" else []
                vs_unikernel = f"{statistics.median(r['rps'] / u['rps'] for r, u in uni):.2f}" if uni else "-"
                rows.append(f"| {s} | {w} | {name} | {m['rps']:,.0f} ({m['rps_min']:,.0f}–{m['rps_max']:,.0f}) | "
                            f"{m['p50']:.1f} | {m['p99']:.1f} | {m['lost']} | {m['bad']} | "
                            f"{m['server_cpu']:.0%} / {m['loadgen_cpu']:.0%} | {ratio('rps')} | {ratio('p50_us')} | "
                            f"{vs_unikernel} |")

    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    text = "\n".join([
        "# Served throughput and latency",
        "",
        f"- date: {now}; commit {sh(['git', 'rev-parse', '--short', 'HEAD'])}",
        f"- machine: {os.cpu_count()} CPUs (nproc {sh(['nproc'])}), {cpu}; Linux {platform.release()}; "
        f"cc: {sh([args.cc, '--version']).splitlines()[0]}; load average {load_before:.2f} before, "
        f"{os.getloadavg()[0]:.2f} after (other work on the machine shows up as noise)",
        f"- command: `python3 {shlex.join([os.path.relpath(sys.argv[0], ROOT), *sys.argv[1:]])}`",
        f"- load: UDP on 127.0.0.1, closed loop, {args.warmup} s warm-up then {args.duration} s measured; "
        f"echo {args.echo_size}-byte payloads; kv {args.set_ratio:.0%} SETs over {args.keys} keys; every reply "
        f"validated; server on CPU {'any' if pin[0] is None else pin[0]}, "
        f"loadgen on CPU {'any' if pin[1] is None else pin[1]}; median of {args.reps} runs per row, baseline and Cleave alternating; "
        "the ratios are medians of the per-repetition ratios (each Cleave run against the baseline run next to it)",
        *[f"- {n}" for n in notes],
        "",
        "| service | window | server | requests/s (min–max) | p50 µs | p99 µs | lost | bad replies "
        "| CPU server / loadgen | req/s ÷ baseline | p50 ÷ baseline | req/s ÷ unikernel |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        *rows,
        "",
    ])
    print(text)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(text)
    print(f"run.py: wrote {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()

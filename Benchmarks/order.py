#!/usr/bin/env python3
"""order.py: what keeping an isolated build's components in step costs.

An isolated build orders every effect of its components as the sequential program
does (Passes/Partition.swift, "Order"): where no value already orders two effects
of different components, a turn (a message with no value) crosses between them.
kv needs none in its loop; a counter that needs nothing from the device needs one
per request (Benchmarks/services/counter.clv). This measures, for each, the
unikernel build, the isolated build, and, given --ahead-cleave (a compiler that
lets such components run ahead: one built from before the ordering), the isolated
build whose components run ahead, which is the most "holding back what ran ahead"
could gain. Same load generator and procedure as run.py; the table goes to
Benchmarks/results/order.md, each row's ratio against the unikernel of the same
run.
"""

import argparse
import datetime
import os
import platform
import shlex
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run  # noqa: E402  (the served benchmark's building blocks)

SERVICES = {
    "kv": ("Examples/kv/kv.clv", 7000, b"GET ready?", ["--mode", "kv", "--keys", "1000", "--set-ratio", "0.2"]),
    "counter": ("Benchmarks/services/counter.clv", 9700, b"ready?", ["--mode", "echo", "--size", "16"]),
}


def build(cleave, service, target, tag):
    out = run.BUILD / f"order_{service}_{tag}{'.d' if target == 'isolated' else ''}"
    cmd = [cleave, "build", SERVICES[service][0], "--target", target, "-o", str(out)]
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=run.ROOT)
    if r.returncode != 0:
        raise SystemExit(f"`{shlex.join(cmd)}` failed: {r.stderr.strip()}")
    return str(out / "run") if target == "isolated" else str(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cleave", default=str(run.ROOT / ".build/debug/cleave"))
    ap.add_argument("--ahead-cleave", metavar="PATH", help="a compiler whose isolated builds let components run ahead")
    ap.add_argument("--windows", default="1,32")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--duration", type=float, default=2.0)
    ap.add_argument("--warmup", type=float, default=0.5)
    ap.add_argument("--cc", default="cc")
    ap.add_argument("-o", "--output", default=os.path.relpath(run.BENCH / "results/order.md"))
    args = ap.parse_args()
    windows = [int(w) for w in args.windows.split(",") if w]
    run.build_c(args.cc)
    load_before = os.getloadavg()[0]
    builds = {}
    for s in SERVICES:
        builds[(s, "unikernel")] = build(args.cleave, s, "unikernel", "unikernel")
        builds[(s, "isolated, in step")] = build(args.cleave, s, "isolated", "isolated")
        if args.ahead_cleave:
            builds[(s, "isolated, running ahead")] = build(args.ahead_cleave, s, "isolated", "ahead")
    rows = []
    for s, (source, port, probe, load) in SERVICES.items():
        for w in windows:
            kinds = [k for (t, k) in builds if t == s]
            results = {k: [] for k in kinds}
            for rep in range(args.reps):
                for k in kinds:
                    p = run.free_port()
                    log = run.BUILD / f"order_{s}.log"
                    cmd = [builds[(s, k)], "--netif", f"udp:{p}"]
                    load_args = ["--window", str(w), "--duration", str(args.duration), "--warmup", str(args.warmup),
                                 *load]
                    results[k].append(run.measure(cmd, p, probe, load_args, log, (None, None)))
            base = run.summarize(results["unikernel"])["rps"]
            for k in kinds:
                m = run.summarize(results[k])
                rows.append((s, w, k, m, m["rps"] / base if base else 0))
                print(f"{s:8} window {w:3} {k:26} {m['rps']:10.0f} req/s  p50 {m['p50']:7.1f} us  "
                      f"x{rows[-1][4]:.2f} of the unikernel  lost {m['lost']}", flush=True)
    lines = [
        "# Keeping isolated components in step",
        "",
        f"{datetime.datetime.now().isoformat(timespec='seconds')}, {platform.node()}, {os.cpu_count()} CPUs, "
        f"load {load_before:.2f} before; `{shlex.join([sys.argv[0], *sys.argv[1:]])}`; "
        f"{args.reps} runs of {args.duration} s each, medians.",
        "",
        "| service | window | build | requests/s | p50 µs | p99 µs | of the unikernel (same run) |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for s, w, k, m, ratio in rows:
        lines.append(f"| {s} | {w} | {k} | {m['rps']:.0f} | {m['p50']:.1f} | {m['p99']:.1f} | {ratio:.2f} |")
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text("\n".join(lines) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()

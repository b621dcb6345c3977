#!/usr/bin/env python3
"""channel.py: the isolated target's channel (a shared-memory ring) against a pipe.

Builds Benchmarks/channel/channel_bench.c with Sources/CleaveRuntime/C/isolated/ring.c into
Benchmarks/.build/channel_bench, runs it --reps times (default 3) and takes the median
of every figure: streaming messages/s for each payload size and ping-pong one-way
latency, each over a ring (set up as the launcher does, used as a component does) and
over a pipe, between two processes, in the same run. It prints a Markdown table with
the ring's ratio to the pipe (the median of the per-run ratios: only same-run ratios
mean anything on these machines) and writes it to Benchmarks/results/channel.md.
Python 3 standard library only.
"""

import argparse
import datetime
import hashlib
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
BUILD = BENCH / ".build"
RUNTIME = Path("Sources/CleaveRuntime/C")
SOURCE = Path("Benchmarks/channel/channel_bench.c")
CFLAGS = ["-O2", "-std=c11", "-D_DEFAULT_SOURCE", "-Wall", "-Wextra", "-Werror"]
TARGET = 5.0  # the project's target: channel streaming at least 5x a pipe


def sh(cmd):
    """A command's output, or '?' when it cannot be run."""
    try:
        return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT).stdout.strip() or "?"
    except OSError:
        return "?"


def build(cc):
    """Compile the benchmark from the repository root; stop with the compiler's words if it fails."""
    BUILD.mkdir(exist_ok=True)
    out = BUILD / "channel_bench"
    cmd = [cc, *CFLAGS, "-I", str(RUNTIME), str(SOURCE), str(RUNTIME / "isolated" / "ring.c"), "-o", os.path.relpath(out, ROOT)]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    except OSError as e:
        sys.exit(f"channel.py: cannot run the C compiler: `{shlex.join(cmd)}`: {e}")
    if r.returncode != 0:
        sys.exit(f"channel.py: compiling the benchmark failed (exit {r.returncode}):\n  {shlex.join(cmd)}\n"
                 f"{(r.stderr + r.stdout).rstrip()}")
    return out, cmd


def run_once(binary, bench_args):
    cmd = [str(binary), "--json", *bench_args]
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if r.returncode != 0:
        sys.exit(f"channel.py: `{shlex.join(cmd)}` failed (exit {r.returncode}):\n{(r.stderr + r.stdout).rstrip()}")
    return json.loads(r.stdout)


def med(values):
    return statistics.median(values)


def share(u, seconds):
    return u["cpu_s"] / seconds if seconds > 0 else 0.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--reps", type=int, default=3, help="runs of the benchmark; every figure is their median (default 3)")
    ap.add_argument("-n", "--messages", type=int, help="streaming: messages per size and transport (default: the benchmark's, 500000)")
    ap.add_argument("-m", "--round-trips", type=int, help="ping-pong: timed round trips per transport (default: the benchmark's, 10000)")
    ap.add_argument("--sizes", help="streaming payload bytes, comma-separated (default 16,64,256,1024)")
    ap.add_argument("--ping-size", type=int, help="ping-pong payload bytes (default 64)")
    ap.add_argument("--spins", type=int, help="set cl_ring_spins (default: leave the ring's own)")
    ap.add_argument("--pin", choices=["none", "split", "same"], default="none",
                    help="none (default): the scheduler places the two processes, as in the product;\n"
                         "split: one CPU each (only on an otherwise idle machine); same: both on one CPU")
    ap.add_argument("--cc", default="cc")
    ap.add_argument("-o", "--output", default=os.path.relpath(BENCH / "results/channel.md"))
    args = ap.parse_args()
    if args.reps < 1:
        ap.error("--reps: at least 1")

    bench_args = ["--pin", args.pin]
    for flag, value in [("--messages", args.messages), ("--round-trips", args.round_trips), ("--sizes", args.sizes),
                        ("--ping-size", args.ping_size), ("--spins", args.spins)]:
        if value is not None:
            bench_args += [flag, str(value)]

    load_before = os.getloadavg()[0]
    binary, compile_cmd = build(args.cc)
    runs = []
    for rep in range(args.reps):
        d = run_once(binary, bench_args)
        runs.append(d)
        line = "  ".join(f"{s['size']}B ring {s['ring']['messages_per_s']:,.0f} pipe {s['pipe']['messages_per_s']:,.0f} msg/s"
                         for s in d["streaming"])
        pp = d["ping_pong"]
        print(f"  run {rep + 1}: {line}; ping-pong p50 ring {pp['ring']['p50_us']:.2f} pipe {pp['pipe']['p50_us']:.2f} µs",
              file=sys.stderr)
    first = runs[0]
    n = first["messages"]

    stream_rows, below = [], []
    for k, s in enumerate(first["streaming"]):
        rows = [r["streaming"][k] for r in runs]
        ring = [x["ring"] for x in rows]
        pipe = [x["pipe"] for x in rows]
        ratio = med([a["messages_per_s"] / b["messages_per_s"] for a, b in zip(ring, pipe)])
        if ratio < TARGET:
            below.append(f"{s['size']} B")
        fmt_rate = lambda xs: (f"{med([x['messages_per_s'] for x in xs]):,.0f} "
                               f"({min(x['messages_per_s'] for x in xs):,.0f}–{max(x['messages_per_s'] for x in xs):,.0f})")
        sleeps = lambda xs: (f"{med([x['sender']['voluntary_per_msg'] for x in xs]):.3f} / "
                             f"{med([x['receiver']['voluntary_per_msg'] for x in xs]):.3f}")
        cpu = lambda xs: (f"{med([share(x['sender'], x['seconds']) for x in xs]):.0%} / "
                          f"{med([share(x['receiver'], x['seconds']) for x in xs]):.0%}")
        stream_rows.append(
            f"| {s['size']} | {fmt_rate(ring)} | {med([x['mb_per_s'] for x in ring]):,.1f} | {fmt_rate(pipe)} | "
            f"{med([x['mb_per_s'] for x in pipe]):,.1f} | **{ratio:.2f}** | {sleeps(ring)} | {sleeps(pipe)} | "
            f"{cpu(ring)} | {cpu(pipe)} |")

    pp = [r["ping_pong"] for r in runs]
    lat_rows = []
    for name in ["ring", "pipe"]:
        xs = [p[name] for p in pp]
        per = first["round_trips"] + first["warmup"]
        lat_rows.append(
            f"| {name} | {med([x['p50_us'] for x in xs]):.2f} ({min(x['p50_us'] for x in xs):.2f}–"
            f"{max(x['p50_us'] for x in xs):.2f}) | {med([x['p99_us'] for x in xs]):.2f} | "
            f"{med([x['sender']['voluntary_per_msg'] for x in xs]):.3f} / {med([x['receiver']['voluntary_per_msg'] for x in xs]):.3f} | "
            f"{med([share(x['sender'], x['seconds']) for x in xs]):.0%} / {med([share(x['receiver'], x['seconds']) for x in xs]):.0%} |")
    lat_p50 = med([p["pipe"]["p50_us"] / p["ring"]["p50_us"] for p in pp])
    lat_p99 = med([p["pipe"]["p99_us"] / p["ring"]["p99_us"] for p in pp])

    ring_files = [str(RUNTIME / "isolated" / "ring.c"), str(RUNTIME / "isolated" / "isolated.h")]
    changed = sh(["git", "status", "--porcelain", "--", *ring_files])
    ring_state = ("as committed" if changed in ("", "?") else
                  f"**with uncommitted changes** (`ring.c` sha256 "
                  f"{hashlib.sha256((ROOT / RUNTIME / 'isolated' / 'ring.c').read_bytes()).hexdigest()[:12]})")
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    cpu_model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    spins = f"{first['spins']}" + (" (the ring's default)" if first["spins"] == first["default_spins"] else
                                   f" (--spins; the ring's default is {first['default_spins']})")
    verdict = (f"met at every size (≥ {TARGET:g}×)" if not below else
               f"**not met** at {', '.join(below)} (ring ÷ pipe below {TARGET:g}×)")
    text = "\n".join([
        "# Channel: shared-memory ring against a pipe",
        "",
        f"- date: {now}; commit {sh(['git', 'rev-parse', '--short', 'HEAD'])}; `ring.c` and `isolated.h` {ring_state}",
        f"- machine: nproc {sh(['nproc'])} ({os.cpu_count()} CPUs), {cpu_model}; Linux {platform.release()}; "
        f"cc: {sh([args.cc, '--version']).splitlines()[0]}; load average {load_before:.2f} before, "
        f"{os.getloadavg()[0]:.2f} after (other work on the machine shows up as noise)",
        f"- command: `python3 {shlex.join([os.path.relpath(sys.argv[0], ROOT), *sys.argv[1:]])}`; "
        f"benchmark built with `{shlex.join(compile_cmd)}` and run as "
        f"`{shlex.join([os.path.relpath(binary, ROOT), *bench_args])}`",
        f"- two processes (parent sends, forked child receives), placed by the scheduler: --pin {first['pin']}; "
        f"ring of {first['ring_capacity']:,} bytes set up as the launcher does (memfd, mmap MAP_SHARED, cl_ring_init); "
        f"each message is a {first['header_bytes']}-byte cl_message_header and its payload (ring: 2 × cl_ring_write + "
        f"cl_ring_publish, 2 × cl_ring_read + cl_ring_release; pipe: one write() per message, the reader reads the "
        f"header then the payload); cl_ring_spins {spins}",
        f"- streaming: {n:,} messages per size and transport, messages/s from the sender's first write to the "
        f"receiver's last read; ping-pong: {first['round_trips']:,} timed round trips of "
        f"{first['ping_pong']['size']} bytes after {first['warmup']:,} untimed, one-way latency = round trip ÷ 2",
        f"- median of {args.reps} runs (min–max in brackets); ratios are medians of the per-run ratios; "
        f"*sleeps/msg* is voluntary context switches per message, sender / receiver (a futex or pipe sleep is one); "
        f"*CPU* is each process's CPU time ÷ wall time (about 50% / 50% means the two shared one CPU)",
        f"- target, channel streaming ≥ {TARGET:g}× a pipe: {verdict}",
        "",
        "| payload B | ring msg/s | ring MB/s | pipe msg/s | pipe MB/s | ring ÷ pipe | ring sleeps/msg | pipe sleeps/msg "
        "| ring CPU | pipe CPU |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        *stream_rows,
        "",
        f"MB/s counts header and payload. Ping-pong, {first['ping_pong']['size']}-byte payload, one-way latency:",
        "",
        "| transport | p50 µs | p99 µs | sleeps/round trip | CPU |",
        "|---|---:|---:|---:|---:|",
        *lat_rows,
        "",
        f"pipe ÷ ring latency: **{lat_p50:.2f}** at p50, **{lat_p99:.2f}** at p99 (above 1: the ring is faster).",
        "",
    ])
    print(text)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(text)
    print(f"channel.py: wrote {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()

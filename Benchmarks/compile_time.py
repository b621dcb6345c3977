#!/usr/bin/env python3
"""compile_time.py: how long cleave takes to compile each example and large generated programs.

Times `cleave check FILE` (the front end: parse, check, lower, graphs) and `cleave
build FILE --target unikernel -o OUT` (all of it, C emission and cc included), median
of --reps runs each, on every Examples/*/*.clv and on programs of --sizes lines from
gen_program.py, next to `cleave --help` (process start-up, the floor of every row).
Where `cleave build` is not available it leaves that column out and says why.
Writes the table to Benchmarks/results/compile-time.md. Python 3 standard library only.
"""

import argparse
import datetime
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
BUILD = BENCH / ".build"
sys.path.insert(0, str(BENCH))
from gen_program import generate  # noqa: E402


def sh(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT).stdout.strip() or "?"
    except OSError:
        return "?"


def command(cleave, mode, source):
    if mode == "build":
        out = BUILD / ("ct_" + Path(source).stem)
        return [cleave, "build", source, "--target", "unikernel", "-o", os.path.relpath(out, ROOT)]
    return [cleave, "check", source]


def timed(cmd, reps):
    """(median seconds, min, max, None) or (.., error line) if the command fails."""
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        times.append(time.perf_counter() - t0)
        if r.returncode != 0:
            lines = (r.stderr or r.stdout).strip().splitlines()
            return None, None, None, f"exit {r.returncode}: {lines[0] if lines else 'no output'}"
    return statistics.median(times), min(times), max(times), None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cleave", default=".build/debug/cleave", help="the compiler (default .build/debug/cleave)")
    ap.add_argument("--reps", type=int, default=3, help="runs per input (default 3)")
    ap.add_argument("--sizes", default="1000,10000", help="generated program sizes in lines (default 1000,10000)")
    ap.add_argument("-o", "--output", default=os.path.relpath(BENCH / "results/compile-time.md"))
    args = ap.parse_args()
    cleave = os.path.relpath(os.path.abspath(args.cleave), ROOT) if os.sep in args.cleave else args.cleave
    if os.sep in cleave and not (ROOT / cleave).exists():
        sys.exit(f"compile_time.py: {cleave} does not exist: build cleave first (make build)")

    BUILD.mkdir(exist_ok=True)
    inputs = sorted(str(p.relative_to(ROOT)) for p in ROOT.glob("Examples/*/*.clv"))
    for n in (int(s) for s in args.sizes.split(",") if s):
        path = BUILD / f"generated_{n}.clv"
        path.write_text(generate(n))
        inputs.append(os.path.relpath(path, ROOT))

    probe = subprocess.run(command(cleave, "build", inputs[0]), capture_output=True, text=True, cwd=ROOT)
    modes, notes = ["check", "build"], []
    if probe.returncode != 0:
        modes = ["check"]
        why = (probe.stderr or probe.stdout).strip().splitlines()
        notes.append(f"`cleave build` not timed: `{shlex.join(command(cleave, 'build', inputs[0]))}` failed "
                     f"(exit {probe.returncode}: {why[0] if why else 'no output'}).")

    def cell(t):
        med, lo, hi, err = t
        return f"failed: {err}" if err else f"{med * 1000:,.1f} ({lo * 1000:,.1f}–{hi * 1000:,.1f})"

    startup = timed([cleave, "--help"], args.reps)
    rows = [f"| start-up (`cleave --help`) | | {cell(startup)} |" + " |" * len(modes)]
    for f in inputs:
        lines = sum(1 for _ in open(ROOT / f))
        times = [timed(command(cleave, mode, f), args.reps) for mode in modes]
        check = times[0][0]
        rate = f"{lines / (check - startup[0]):,.0f}" if check and check > startup[0] else ""
        rows.append(f"| `{f}` | {lines} | " + " | ".join(cell(t) for t in times) + f" | {rate} |")
        print(f"  {f:45} " + "  ".join(f"{m} {cell(t)} ms" for m, t in zip(modes, times)), file=sys.stderr)

    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    text = "\n".join([
        "# Compile time",
        "",
        f"- date: {now}; commit {sh(['git', 'rev-parse', '--short', 'HEAD'])}",
        f"- machine: {os.cpu_count()} CPUs (nproc {sh(['nproc'])}), {cpu}; Linux {platform.release()}; "
        f"load average {os.getloadavg()[0]:.2f} at start",
        f"- compiler: `{cleave}` ({'debug' if '/debug/' in cleave else 'release' if '/release/' in cleave else 'as given'}"
        f" build); wall time in ms, median (min–max) of {args.reps} runs",
        "- `cleave build` compiles the program's C and links the runtime, whose objects it keeps in a cache "
        "(`~/.cache/cleave`) after the first build: the medians are of warm-cache builds",
        f"- command: `python3 {shlex.join([os.path.relpath(sys.argv[0], ROOT), *sys.argv[1:]])}`",
        *[f"- {n}" for n in notes],
        "",
        "| input | lines | " + " | ".join(f"`cleave {m}` ms" for m in modes) + " | lines/s checked, above start-up |",
        "|---|---:|" + "---:|" * len(modes) + "---:|",
        *rows,
        "",
    ])
    print(text)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(text)
    print(f"compile_time.py: wrote {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()

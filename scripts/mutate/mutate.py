#!/usr/bin/env python3
"""mutate.py: does the test suite catch small, realistic bugs?

Each mutant in scripts/mutate/mutants.json is one edit to the compiler or the runtime
(a text that must occur exactly once in one file, and what it becomes) and the tests that
should catch it (a `swift test --filter` pattern). For each, one at a time: apply it,
build, run those tests, restore the file. A mutant the tests catch is killed; one they do
not is a survivor, which the run reports, and a reason to write a test. The file is always
restored, and the tree rebuilt at the end.

    scripts/mutate/mutate.py                  every mutant
    scripts/mutate/mutate.py ring-wrap ...    those named
Python 3 standard library only; exit status 1 when a mutant survives.
"""

import json
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(cmd, timeout=3600):
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def build():
    r = run(["swift", "build", "--build-tests"])
    return r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]


def main():
    mutants = json.loads((ROOT / "scripts/mutate/mutants.json").read_text())
    wanted = sys.argv[1:]
    if wanted:
        unknown = set(wanted) - {m["id"] for m in mutants}
        if unknown:
            sys.exit(f"mutate: no mutant named {', '.join(sorted(unknown))}")
        mutants = [m for m in mutants if m["id"] in wanted]
    ok, log = build()
    if not ok:
        sys.exit(f"mutate: the tree does not build as it is:\n{log}")
    results = []
    for m in mutants:
        path = ROOT / m["file"]
        original = path.read_text()
        found = original.count(m["from"])
        if found != 1:
            results.append((m, "not applied", f"its text occurs {found} times in {m['file']}", 0.0))
            continue
        start = time.monotonic()
        try:
            path.write_text(original.replace(m["from"], m["to"]))
            ok, log = build()
            if not ok:
                results.append((m, "killed", "by the compiler: it does not build", time.monotonic() - start))
                continue
            r = run(["swift", "test", "--skip-build", "--filter", m["tests"]])
            ran = sum(int(n) for n in re.findall(r"Test run with (\d+) tests?", r.stdout + r.stderr))
            if ran == 0:
                verdict = "no tests"  # the filter matched nothing: as good as a survivor
            else:
                verdict = "killed" if r.returncode != 0 else "SURVIVED"
            results.append((m, verdict, f"swift test --filter '{m['tests']}' ({ran} tests)", time.monotonic() - start))
        finally:
            path.write_text(original)
        print(f"{m['id']:26} {results[-1][1]:9} {results[-1][3]:6.0f} s  {m['what']}", flush=True)
    build()
    survivors = [r for r in results if r[1] != "killed"]
    print(f"\n{len(results) - len(survivors)} of {len(results)} mutants killed")
    for m, verdict, how, _ in survivors:
        print(f"  {m['id']}: {verdict} ({how}): {m['what']}")
    sys.exit(1 if survivors else 0)


if __name__ == "__main__":
    main()

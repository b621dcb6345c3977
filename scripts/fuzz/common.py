"""What every fuzzer shares: the budget (seconds and inputs), running a
program with a time and output limit, the corpus of failing inputs kept in the
repository, and the tally each fuzzer reports.
"""

import hashlib
import os
import signal
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Budget:
    """At most `seconds` of wall time and `inputs` inputs, whichever runs out first."""

    def __init__(self, seconds, inputs):
        self.start = time.monotonic()
        self.seconds = seconds
        self.inputs = inputs
        self.used = 0

    def left(self):
        return self.seconds - (time.monotonic() - self.start)

    def more(self):
        return self.used < self.inputs and self.left() > 0

    def take(self, n=1):
        self.used += n

    def elapsed(self):
        return time.monotonic() - self.start

    def share(self, parts):
        """A budget for one of `parts` equal shares of what is left."""
        return Budget(max(self.left(), 0) / max(parts, 1), max(self.inputs - self.used, 0) / max(parts, 1))


class Outcome:
    """How a program ended: its status (negative: the signal that ended it), its output, and whether it timed out."""

    def __init__(self, status, stdout, stderr, output_bytes, timed_out, seconds):
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
        self.output_bytes = output_bytes
        self.timed_out = timed_out
        self.seconds = seconds

    @property
    def text(self):
        return self.stdout + self.stderr


def run(command, timeout, keep=64 * 1024, stdin=None, env=None, cwd=None):
    """Run `command` to its end or `timeout` seconds (then it and its children are killed).

    The output goes to files, so a program that writes gigabytes costs disk, not memory; the
    first `keep` bytes of each stream come back, and the total size in `output_bytes`.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        p = subprocess.Popen(command, stdout=out, stderr=err, stdin=subprocess.DEVNULL if stdin is None else stdin,
                             env=env, cwd=cwd, start_new_session=True)
        timed_out = False
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            kill_group(p)
        seconds = time.monotonic() - started
        size = out.tell() + err.tell()
        out.seek(0)
        err.seek(0)
        text = out.read(keep).decode("utf-8", "replace"), err.read(keep).decode("utf-8", "replace")
        return Outcome(p.returncode, text[0], text[1], size, timed_out, seconds)


def kill_group(p):
    """Kill a process started with start_new_session and everything it started."""
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    p.wait()


def signal_name(status):
    try:
        return signal.Signals(-status).name
    except ValueError:
        return f"signal {-status}"


class Tally:
    """What one fuzzer did: inputs tried, seconds spent, failures found (each with the file it was kept in)."""

    def __init__(self, name):
        self.name = name
        self.inputs = 0
        self.seconds = 0.0
        self.failures = []
        self.notes = []

    def fail(self, what, kept=None):
        self.failures.append((what, kept))

    def summary(self):
        return f"{self.name:<10} {self.inputs:>7} inputs in {self.seconds:6.1f} s, {len(self.failures)} failures"


class Corpus:
    """Failing inputs, kept under `directory`/<kind>/ named by their content, so a failure found twice is kept once."""

    def __init__(self, directory):
        self.directory = directory

    def keep(self, kind, prefix, data, suffix):
        folder = os.path.join(self.directory, kind)
        os.makedirs(folder, exist_ok=True)
        digest = hashlib.sha256(data).hexdigest()[:12]
        path = os.path.join(folder, f"{prefix}-{digest}{suffix}")
        if not os.path.exists(path):
            with open(path, "wb") as f:
                f.write(data)
        return os.path.relpath(path, ROOT)


def pick_weighted(rng, choices):
    """One of `choices`, a list of (weight, value)."""
    total = sum(w for w, _ in choices)
    x = rng.random() * total
    for w, v in choices:
        x -= w
        if x < 0:
            return v
    return choices[-1][1]


def shrink_input(data, fails, deadline):
    """The smallest input found before `deadline` (time.monotonic()) that `fails` still holds for:
    halves, quarters, … of its lines removed, then of its bytes (delta debugging)."""
    for unit in (b"\n", None):
        chunks = data.split(b"\n") if unit else [data[i:i + 1] for i in range(len(data))]
        if unit is None and len(chunks) > 4000:
            break
        joiner = unit or b""
        n = 2
        while len(chunks) >= 2 and time.monotonic() < deadline:
            size = max(1, len(chunks) // n)
            removed = False
            for start in range(0, len(chunks), size):
                if time.monotonic() >= deadline:
                    break
                candidate = chunks[:start] + chunks[start + size:]
                if fails(joiner.join(candidate)):
                    chunks = candidate
                    n = max(n - 1, 2)
                    removed = True
                    break
            if not removed:
                if size == 1:
                    break
                n = min(len(chunks), n * 2)
        data = joiner.join(chunks)
    return data


def span(rng, data, longest=40):
    """A random range of `data`, at most `longest` bytes: (start, end)."""
    a = rng.randrange(len(data) + 1)
    return a, min(len(data), a + rng.randrange(longest + 1))


# The edits of a random range that the source and zones fuzzers share.
RANGE_EDITS = ("delete", "duplicate", "swap")


def edit_range(rng, data, kind):
    """`data` with a random range deleted, copied to a random place, or swapped with a later
    range (kind: one of RANGE_EDITS; overlapping ranges leave it as it is)."""
    a, b = span(rng, data)
    if kind == "delete":
        return data[:a] + data[b:]
    if kind == "duplicate":
        at = rng.randrange(len(data) + 1)
        return data[:at] + data[a:b] + data[at:]
    c, d = span(rng, data)
    return data[:a] + data[c:d] + data[b:c] + data[a:b] + data[d:] if b <= c else data

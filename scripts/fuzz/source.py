"""The front end's fuzzer: mutated programs through `cleave check`, and a share
of them through `cleave dump` of a later stage (the projected program, the C,
or another stage) and the C compiler.

Seeds are every program the repository has: the examples, the diagnostic
cases, the test inputs, the sources inside the golden files, and the inputs
this fuzzer kept before. A mutant is a seed after one to four edits, byte,
token or line level: a range deleted, duplicated or swapped; a token inserted
or replaced; a number set to an edge value; a line moved, copied or dropped;
deep nesting; a huge literal; a long name; invalid UTF-8; two seeds spliced;
a line repeated many times.

A mutant fails when the compiler is killed by a signal, exits with anything
but 0, 1 or 2, says "internal error" (a bug in the compiler, not in the
program), runs past the time limit, or writes far more than a small input
warrants. A failing mutant is shrunk (lines, then bytes) while it fails the
same way, and kept under found/source/.
"""

import glob
import os
import re

from common import RANGE_EDITS, ROOT, Outcome, edit_range, pick_weighted, run, shrink_input, signal_name, span

SEED_GLOBS = ["Examples/**/*.clv", "Tests/Diagnostics/*.clv", "Tests/Inputs/**/*.clv", "Tests/Fuzz/**/*.clv"]

BREAKING = [
    "{", "}", "(", ")", "[", "]", "\"", "\\(", "\\", "let ", "var ", "func ", "state ", "struct ", "enum ", "switch x {",
    "case .a:", "case let .b(x):", "default:", "&", "&+", "&*", "?", "!", "??", "..<", "...", "$0", "$9", ".", ",", ":",
    ";", "->", "=", "==", "0x", "0b", "1e", "1.5e308", "99999999999999999999999", "-9223372036854775808", "/*", "*/",
    "//", "\n", "\r", "return", "break", "continue", "loop {", "while true {", "for x in 0..<3 {", "if let", "guard",
    "else", "in", "<", ">", ">>", "<<", "Map<", "[Int](", "Bytes(", "String(", "{ x in", "import", "import net",
    "import \"poll.h\"", "extern ", "mutating ", "init(", "self.", "_ = ", "inout ", "&device", "fatalError(\"x\")",
    "print(\"\\(x)\")", "nil", "true", "Int8", "UInt64", "Double", "Bool", "[Bytes: Int]", "(Int, Bool)", "main",
    "func main() {}", "state S { var x: Int = 0 }", "\U0001F600", "\u00e9", "\u200b", "\u2028", "\ufeff", "\t", "\0",
]

KEYWORD_OR_NAME = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")
TOKEN = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*|0x[0-9A-Fa-f_]+|[0-9][0-9_.eE]*|\"(?:[^\"\\\n]|\\.)*\"|\S")

# What a share of the mutants goes through after `cleave check` (weights).
LATER_STAGES = [
    (40, None), (25, "projected"), (25, "c"), (10, "ast"), (5, "typed"), (5, "states"), (5, "ir"), (5, "graph"),
    (5, "lifted"), (5, "defunctionalized"), (5, "state-local"), (5, "components"),
]


def golden_sources():
    for path in sorted(glob.glob(os.path.join(ROOT, "Tests/Golden/*/*.golden"))):
        with open(path, "rb") as f:
            text = f.read()
        if text.startswith(b"--- SOURCE\n") and b"\n--- OUTPUT" in text:
            yield path, text[len(b"--- SOURCE\n"):text.index(b"\n--- OUTPUT") + 1]


def seeds():
    """(path, bytes) of every seed program; the path's directory is searched for C headers."""
    out = []
    for pattern in SEED_GLOBS:
        for path in sorted(glob.glob(os.path.join(ROOT, pattern), recursive=True)):
            with open(path, "rb") as f:
                out.append((path, f.read()))
    out.extend(golden_sources())
    return out


def nesting(rng):
    depth = rng.choice([50, 200, 255, 256, 257, 300, 1000, 5000, 20000])
    opening, closing = rng.choice([
        ("(", ")"), ("[", "]"), ("{", "}"), ("if true { ", " }"), ("-", ""), ("!", ""), ("{ x in ", " }"),
        ("\"\\(", ")\""), ("Map<Int, ", ">"), ("[", "]"), ("S(v: ", ")"), ("f(", ")"), ("Optional<", ">"),
        ("loop { ", " }"), ("while true { ", " }"), ("switch x { case .a: ", " }"),
    ])
    core = rng.choice(["1", "x", "", "true", "nil"])
    return (opening * depth + core + closing * depth).encode()


def huge_literal(rng):
    n = rng.choice([30, 100, 1000, 100000])
    return rng.choice([
        lambda: b"9" * n, lambda: b"0x" + b"f" * n, lambda: b"1" + b"0" * n + b".5", lambda: b"1e" + b"9" * n,
        lambda: b"\"" + b"a" * n + b"\"", lambda: b"\"" + b"\\(1)" * (n // 4) + b"\"", lambda: b"[" + b"1, " * n + b"]",
        lambda: b"1 + " * min(n, 40000) + b"1", lambda: b"\"" + b"\\u{10FFFF}" * (n // 10) + b"\"",
        lambda: b"-" + b"9" * 19, lambda: b"0b" + b"1" * n, lambda: b"1_000" * n,
    ])()


def invalid_utf8(rng):
    return rng.choice([
        b"\x80", b"\xff", b"\xc3\x28", b"\xe2\x82", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xc0\xaf", b"\xfe\xff",
        bytes(rng.randrange(256) for _ in range(rng.randrange(1, 12))),
    ])


def mutate_once(rng, data, other):
    if not data:
        return rng.choice(BREAKING).encode()
    kind = pick_weighted(rng, [
        (20, "delete"), (12, "duplicate"), (8, "swap"), (20, "insert"), (10, "replace-token"), (4, "nest"),
        (4, "literal"), (4, "long-name"), (4, "utf8"), (6, "splice"), (3, "repeat-line"), (5, "byte"),
        (10, "line"), (6, "number"),
    ])
    if kind in RANGE_EDITS:
        return edit_range(rng, data, kind)
    if kind == "insert":
        at = rng.randrange(len(data) + 1)
        return data[:at] + rng.choice(BREAKING).encode() + data[at:]
    if kind == "replace-token":
        tokens = list(TOKEN.finditer(data))
        if not tokens:
            return data
        t = rng.choice(tokens)
        if rng.random() < 0.5:
            replacement = rng.choice(tokens).group(0)
        else:
            replacement = rng.choice(BREAKING).encode()
        return data[:t.start()] + replacement + data[t.end():]
    if kind == "nest":
        at = rng.randrange(len(data) + 1)
        return data[:at] + nesting(rng) + data[at:]
    if kind == "literal":
        numbers = list(re.finditer(rb"\b[0-9]+\b|\"[^\"\n]*\"", data))
        if numbers and rng.random() < 0.7:
            t = rng.choice(numbers)
            return data[:t.start()] + huge_literal(rng) + data[t.end():]
        at = rng.randrange(len(data) + 1)
        return data[:at] + huge_literal(rng) + data[at:]
    if kind == "long-name":
        names = list(KEYWORD_OR_NAME.finditer(data))
        if not names:
            return data
        name = rng.choice(names).group(0)
        long = name + b"x" * rng.choice([100, 1000, 60000])
        if rng.random() < 0.5:
            return re.sub(rb"\b" + re.escape(name) + rb"\b", long, data)
        t = rng.choice(names)
        return data[:t.start()] + long + data[t.end():]
    if kind == "utf8":
        at = rng.randrange(len(data) + 1)
        return data[:at] + invalid_utf8(rng) + data[at:]
    if kind == "splice":
        if not other:
            return data
        a = rng.randrange(len(data) + 1)
        b = rng.randrange(len(other) + 1)
        if rng.random() < 0.5:
            return data[:a] + other[b:]
        c, d = span(rng, other, 400)
        return data[:a] + other[c:d] + data[a:]
    if kind == "line":
        # Whole lines moved, copied or dropped: often still a program, one that reaches the passes
        # (a state used twice, a call moved into a branch or out of the loop).
        lines = data.split(b"\n")
        a, b = rng.randrange(len(lines)), rng.randrange(len(lines))
        how = rng.randrange(3)
        if how == 0:
            lines.insert(b, lines[a])
        elif how == 1:
            lines[a], lines[b] = lines[b], lines[a]
        else:
            del lines[a]
        return b"\n".join(lines)
    if kind == "number":
        numbers = list(re.finditer(rb"(?<![A-Za-z_0-9.])[0-9][0-9_]*(?![A-Za-z_0-9.])", data))
        if not numbers:
            return data
        t = rng.choice(numbers)
        edge = rng.choice([b"0", b"1", b"2", b"7", b"8", b"15", b"16", b"31", b"32", b"63", b"64", b"127", b"128",
                           b"255", b"256", b"65535", b"65536", b"2147483647", b"2147483648", b"4294967295",
                           b"9223372036854775807", b"9223372036854775808", b"18446744073709551615", b"(0 - 1)",
                           b"(0 - 9223372036854775807 - 1)"])
        return data[:t.start()] + edge + data[t.end():]
    if kind == "repeat-line":
        lines = data.split(b"\n")
        k = rng.randrange(len(lines))
        lines[k:k + 1] = [lines[k]] * rng.choice([10, 100, 1000])
        return b"\n".join(lines)
    at = rng.randrange(len(data))
    return data[:at] + bytes([rng.randrange(256)]) + data[at + 1:]


# Mutants stay small inputs: past this size a slow compile is the size's, not a bug's.
LARGEST = 128 * 1024


def mutate(rng, data, other):
    for _ in range(1 + min(3, int(rng.expovariate(1.0)))):
        data = mutate_once(rng, data, other)[:LARGEST]
    return data


class Checker:
    """Runs the compiler on one input and tells how it failed (None: it did not)."""

    def __init__(self, cleave, timeout, work):
        self.cleave = cleave
        self.timeout = timeout
        self.work = work
        self.runtime = os.path.join(ROOT, "Sources/CleaveRuntime/C")
        self.valid = 0

    def commands(self, path, stage, include):
        check = [self.cleave, "check", "-I", include, path]
        if stage is None:
            return [check]
        return [check, [self.cleave, "dump", "--stage", stage, "-I", include, path]]

    def failure(self, command, outcome: Outcome, size):
        if outcome.timed_out:
            return f"hang: more than {self.timeout:g} s"
        if outcome.status < 0:
            return f"crash: killed by {signal_name(outcome.status)}"
        if outcome.status not in (0, 1, 2):
            return f"crash: exit status {outcome.status}"
        m = re.search(r"internal error[^\n]*?(in stage '[^']*')?", outcome.text)
        if m:
            return "internal error" + (" " + m.group(1) if m.group(1) else "")
        flood = 1_000_000 + 4 * size if command[1] == "check" else 16_000_000 + 200 * size
        if outcome.output_bytes > flood:
            return f"flood: {outcome.output_bytes} bytes of output for {size} bytes of input"
        return None

    def check(self, data, stage, include, name="input.clv"):
        """(failure, command, outcome) of the first command that fails, or (None, ...); counts the valid programs."""
        path = os.path.join(self.work, name)
        with open(path, "wb") as f:
            f.write(data)
        last = None
        for command in self.commands(path, stage, include):
            outcome = run(command, self.timeout)
            last = (command, outcome)
            problem = self.failure(command, outcome, len(data))
            if problem and problem.startswith("hang"):
                # Confirm a hang alone: a busy machine is not a hang.
                again = run(command, self.timeout * 2)
                if not again.timed_out:
                    problem = self.failure(command, again, len(data))
                    outcome = again
            if problem:
                return problem, command, outcome
            if command[1] == "check" and outcome.status != 0:
                break
            if command[1] == "check":
                self.valid += 1
            if stage == "c" and command[1] == "dump" and outcome.status == 0:
                problem = self.compile_c(outcome, data)
                if problem:
                    return problem, command, outcome
        return None, last[0] if last else None, last[1] if last else None

    def compile_c(self, outcome, data):
        """The C of a valid program compiles without a warning (the dump's C must be whole: not cut at 64 KiB)."""
        if outcome.output_bytes >= 64 * 1024 or not outcome.stdout.strip():
            return None
        c = os.path.join(self.work, "input.c")
        with open(c, "w") as f:
            f.write(outcome.stdout)
        r = run(["cc", "-std=c11", "-D_DEFAULT_SOURCE", "-Wall", "-Wextra", "-Werror", "-fsyntax-only", "-I",
                 self.runtime, c], 60)
        if r.status != 0:
            first = next((line for line in r.stderr.splitlines() if "error" in line), r.stderr[:200])
            return "internal error: the C of a valid program does not compile: " + first.split(": ", 1)[-1][:160]
        return None


def signature(problem):
    """What must stay the same while shrinking: the kind of failure, and the stage or signal."""
    return re.sub(r"\d+ bytes of output for \d+ bytes of input", "", problem).split(": the C")[0]


def shrink(checker, data, stage, include, problem, seconds):
    """A smaller input that fails the same way: lines removed, then byte ranges, while time lasts."""
    import time
    deadline = time.monotonic() + seconds
    want = signature(problem)

    def fails(candidate):
        p, _, _ = checker.check(candidate, stage, include, "shrink.clv")
        return p is not None and signature(p) == want

    return shrink_input(data, fails, deadline)


def fuzz(rng, budget, tally, corpus, cleave, work, timeout=5.0, shrink_seconds=30.0, log=print):
    pool = seeds()
    checker = Checker(cleave, timeout, work)
    seen = set()
    while budget.more():
        path, data = rng.choice(pool)
        _, other = rng.choice(pool)
        mutant = mutate(rng, data, other)
        stage = pick_weighted(rng, LATER_STAGES)
        include = os.path.dirname(path)
        budget.take()
        tally.inputs += 1
        problem, command, outcome = checker.check(mutant, stage, include)
        if not problem:
            continue
        key = signature(problem)
        small = shrink(checker, mutant, stage, include, problem, shrink_seconds) if key not in seen else mutant
        seen.add(key)
        kept = corpus.keep("source", (stage or "check").replace("-", ""), small, ".clv")
        what = f"{problem} ({' '.join(os.path.basename(c) if c.endswith('.clv') else c for c in command[1:])})"
        tally.fail(what, kept)
        log(f"  source: {what}: kept {kept} ({len(small)} bytes, from {os.path.relpath(path, ROOT)})")
    tally.notes.append(f"{checker.valid} of the mutants were valid programs (cleave check: exit 0)")

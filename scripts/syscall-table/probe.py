#!/usr/bin/env python3
"""Measure which system calls the C library's functions make, and check (or
write) the table in Sources/CleaveCBackend/SystemCallTable.swift.

    scripts/syscall-table/probe.py            measure, compare with the table; exit 1 if they differ
    scripts/syscall-table/probe.py --write    measure, and rewrite the table's rows
    scripts/syscall-table/probe.py --show FUNCTION
                                              print what each probe of FUNCTION made

Every probe (probes/*.c, see probe.h) prepares what its call needs, then makes
the call between two marker system calls. This script builds the probes into
one program, runs each probe under `strace -f -qq` four times, with stdin,
stdout and stderr a pipe, a regular file, /dev/null and a terminal, and keeps
the system calls the probe's process made between the markers. Some probes
run in a setting of their own (PROBE_IN: an environment variable, or /sys and
/proc hidden in a mount namespace, which needs root), and some are stopped and
continued during their call. A function's row is the union over its probes
and the four runs, plus:

  - the allocator's system calls, for a function seen calling malloc, free
    and the like (the probe program wraps them): which of them one call makes
    depends on the heap's state, so a function that allocates gets all that
    the allocator's own probes made (ALLOCATOR below);
  - the system call a vDSO function falls back to (FALLBACKS below): the vDSO
    answers without entering the kernel, and so without strace seeing it, but
    enters it when the clock source cannot be read from user space;
  - what a function sets up for later (IMPLIED below): a signal handler it
    installs returns through rt_sigreturn.

Needs cc, strace, unshare and libseccomp-dev (every name is checked against
libseccomp's x86-64 table). Assumes, as in a component of the isolated
target: one thread, the "C" locale (setlocale never called), TZ unset or
naming a zone, GLIBC_TUNABLES unset.
"""
import argparse
import concurrent.futures
import os
import pty
import re
import subprocess
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SWIFT_FILE = os.path.join(ROOT, "Sources/CleaveCBackend/SystemCallTable.swift")

BEGIN, END, ALLOCATED = "close(-1001", "close(-1002", "close(-1003"

# The functions whose probes define what "the allocator" may do.
ALLOCATOR = ["malloc", "calloc", "realloc", "free", "aligned_alloc", "posix_memalign"]

# vDSO functions and the system call each falls back to.
FALLBACKS = {
    "time": ["time"],
    "gettimeofday": ["gettimeofday"],
    "clock_gettime": ["clock_gettime"],
    "clock_getres": ["clock_getres"],
    "sched_getcpu": ["getcpu"],
}

# Calls a function makes necessary later, outside itself.
IMPLIED = {
    "signal": ["rt_sigreturn"],
    "sigaction": ["rt_sigreturn"],
}

# Probes that end the process: their calls run to the end of the trace.
ENDS_PROCESS = {"abort", "exit", "_Exit", "_exit"}

# The order of the groups in the table.
GROUPS = [
    "<stdio.h>", "<stdlib.h>", "<malloc.h>", "<string.h>", "<strings.h>", "<ctype.h>", "<math.h>", "<time.h>",
    "<sys/time.h>", "<unistd.h>", "<fcntl.h>", "<sys/stat.h>", "<sys/uio.h>", "<sys/ioctl.h>",
    "<sys/mman.h>", "<poll.h>", "<sys/select.h>", "<sys/epoll.h>", "<sys/eventfd.h>",
    "<sys/timerfd.h>", "<sys/socket.h>", "<arpa/inet.h>", "<signal.h>", "<sched.h>",
    "<sys/random.h>", "<sys/resource.h>", "<sys/utsname.h>",
]

OUTPUTS = ["pipe", "file", "null", "tty"]

RESOLVER = r"""
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
int main(void) {
    char line[256];
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\n")] = 0;
        if (line[0] && seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, line) < 0) puts(line);
    }
    return 0;
}
"""

LINE = re.compile(r"^(?:(\d+)\s+)?(?:\[pid\s+(\d+)\]\s+)?(.*)$")
SYSCALL = re.compile(r"^([a-z_][a-z0-9_]*)\(")


def build(work):
    probe = os.path.join(work, "probe")
    sources = [os.path.join(HERE, "probe.c")] + sorted(
        os.path.join(HERE, "probes", f) for f in os.listdir(os.path.join(HERE, "probes")) if f.endswith(".c"))
    subprocess.run(["cc", "-O0", "-fno-builtin", "-Wall", "-Wextra", "-Werror", "-o", probe] + sources + ["-lm"],
                   check=True)
    resolver = os.path.join(work, "resolve")
    with open(resolver + ".c", "w") as f:
        f.write(RESOLVER)
    subprocess.run(["cc", "-o", resolver, resolver + ".c", "-lseccomp"], check=True)
    return probe, resolver


def parse(trace, function):
    """The system calls the probe's process made between the markers, and whether the allocator was called."""
    calls, inside, ended, allocated, pid = set(), False, False, False, None
    for line in trace.splitlines():
        m = LINE.match(line)
        this, text = m.group(1) or m.group(2), m.group(3)
        if text.startswith(BEGIN):
            inside, pid = True, this
            continue
        if not inside or this != pid:
            continue
        if text.startswith(END):
            ended = True
            break
        if text.startswith(ALLOCATED):
            allocated = True
            continue
        m = SYSCALL.match(text)
        if m:
            calls.add(m.group(1))
    if not inside:
        raise RuntimeError("the probe never reached its call")
    if not ended and function not in ENDS_PROCESS:
        raise RuntimeError("the probe ended inside its call")
    return calls, allocated


def drain(fd):
    try:
        while os.read(fd, 65536):
            pass
    except OSError:
        pass


def command_in(setting, command):
    """The command and environment that run `command` in a probe's setting."""
    env = {"PATH": "/usr/bin:/bin"}
    hidden = []
    for word in setting.split():
        kind, _, value = word.partition(":")
        if kind == "env":
            name, _, text = value.partition("=")
            env[name] = text
        elif kind == "hide":
            hidden.append(value)
        else:
            raise RuntimeError(f"unknown setting {word!r}")
    if hidden:
        mounts = " && ".join(f"mount -t tmpfs none {h}" for h in hidden)
        command = ["unshare", "--mount", "sh", "-c", mounts + ' && exec "$@"', "sh"] + command
    return command, env


INPUT = b"42 hello world\nsecond line\n"


def run(probe, function, variant, setting, output):
    """Run one probe with stdin, stdout and stderr of one kind; what its call made."""
    with tempfile.TemporaryDirectory(prefix="probe-") as cwd:
        trace = os.path.join(cwd, "trace.txt")
        command, env = command_in(setting, ["strace", "-f", "-qq", "-o", trace, probe, "run", function, variant])
        options = dict(cwd=cwd, env=env, timeout=60)
        if output == "pipe":
            r = subprocess.run(command, input=INPUT, capture_output=True, **options)
        elif output == "tty":
            master, slave = pty.openpty()
            os.write(master, INPUT)
            reader = threading.Thread(target=drain, args=(master,))
            reader.start()
            r = subprocess.run(command, stdin=slave, stdout=slave, stderr=slave, **options)
            os.close(slave)
            reader.join()
            os.close(master)
        else:
            path = os.devnull if output == "null" else os.path.join(cwd, "stdin.txt")
            if output == "file":
                with open(path, "wb") as f:
                    f.write(INPUT)
            out = os.devnull if output == "null" else os.path.join(cwd, "stdout.txt")
            with open(path, "rb") as stdin, open(out, "wb") as stdout:
                r = subprocess.run(command, stdin=stdin, stdout=stdout, stderr=stdout, **options)
        text = ""
        if os.path.exists(trace):
            with open(trace) as f:
                text = f.read()
        try:
            return parse(text, function)
        except RuntimeError as e:
            errors = r.stderr.decode(errors="replace") if isinstance(r.stderr, bytes) else ""
            raise RuntimeError(f"{function} {variant} ({output}, status {r.returncode}): {e}\n{errors}{text}") from None


def measure(probe):
    listing = subprocess.run([probe, "list"], check=True, capture_output=True, text=True).stdout
    probes = [tuple(line.split("\t")) for line in listing.splitlines()]
    group_of = {}
    for group, function, _, _ in probes:
        if group_of.setdefault(function, group) != group:
            sys.exit(f"{function} is probed in {group_of[function]} and {group}")
        if group not in GROUPS:
            sys.exit(f"{function}: group {group} is missing from GROUPS")
    jobs = [(f, v, s, o) for _, f, v, s in probes for o in OUTPUTS]
    with concurrent.futures.ThreadPoolExecutor(max_workers=2 * (os.cpu_count() or 2)) as pool:
        results = list(pool.map(lambda j: run(probe, *j), jobs))
    return group_of, list(zip(jobs, results))


def table(group_of, results):
    calls = {f: set() for f in group_of}
    allocates = set()
    for (function, _, _, _), (observed, allocated) in results:
        calls[function] |= observed
        if allocated:
            allocates.add(function)
    allocator = set().union(*(calls[f] for f in ALLOCATOR))
    for f in allocates | set(ALLOCATOR):
        calls[f] |= allocator
    for extras in (FALLBACKS, IMPLIED):
        for f, names in extras.items():
            calls[f] |= set(names)
    return {f: sorted(c) for f, c in calls.items()}


def check_names(resolver, rows):
    names = sorted(set().union(*map(set, rows.values())))
    unknown = subprocess.run([resolver], input="\n".join(names) + "\n", capture_output=True, text=True,
                             check=True).stdout.split()
    if unknown:
        sys.exit(f"libseccomp does not know: {', '.join(unknown)}")


def render(group_of, rows):
    lines = []
    for group in GROUPS:
        functions = sorted(f for f in rows if group_of[f] == group)
        if not functions:
            continue
        lines.append(f"        // {group}")
        for f in functions:
            names = ", ".join(f'"{n}"' for n in rows[f])
            lines.append(f'        "{f}": [{names}],')
    return lines


TABLE_START = "    public static let calls: [String: [String]] = ["
TABLE_END = "    ]"


def swift_rows(text):
    lines = text.split("\n")
    start = lines.index(TABLE_START) + 1
    end = lines.index(TABLE_END, start)
    return lines, start, end


def parse_rows(lines):
    rows = {}
    for line in lines:
        m = re.match(r'\s*"([^"]+)": \[(.*)\],$', line)
        if m:
            rows[m.group(1)] = re.findall(r'"([^"]+)"', m.group(2))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write", action="store_true", help="rewrite the table in " + SWIFT_FILE)
    parser.add_argument("--show", metavar="FUNCTION", help="print what each probe of FUNCTION made")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="syscall-table-") as work:
        probe, resolver = build(work)
        group_of, results = measure(probe)
        rows = table(group_of, results)
        check_names(resolver, rows)
    if args.show:
        for (function, variant, _, output), (observed, allocated) in results:
            if function == args.show:
                print(f"{variant:>20} {output:>4}: {' '.join(sorted(observed))}{'  (allocator)' if allocated else ''}")
        return 0
    with open(SWIFT_FILE) as f:
        text = f.read()
    lines, start, end = swift_rows(text)
    if args.write:
        lines[start:end] = render(group_of, rows)
        with open(SWIFT_FILE, "w") as f:
            f.write("\n".join(lines))
        print(f"wrote {len(rows)} functions to {os.path.relpath(SWIFT_FILE, ROOT)}")
        return 0
    written = parse_rows(lines[start:end])
    differences = []
    for f in sorted(set(rows) | set(written)):
        if f not in written:
            differences.append(f"{f}: measured {rows[f]}, missing from the table")
        elif f not in rows:
            differences.append(f"{f}: in the table {written[f]}, not probed")
        elif rows[f] != written[f]:
            differences.append(f"{f}: measured {rows[f]}, the table says {written[f]}")
    for d in differences:
        print(d)
    print(f"{len(rows)} functions probed, {len(differences)} differ from the table")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""tcp.py: the TCP benchmarks: wrk against nginx and the Cleave HTTP example, redis-benchmark against
redis-server and the Cleave RESP example, in one run.

HTTP: Examples/http/http.clv (it embeds the files of Examples/http/pages/) built as a unikernel and for
the isolated target, against nginx serving the same files (the baseline: one nginx process, started by
this script with a configuration of its own in a temporary directory). Every server is first asked for
every file with curl (`/` is index.html): the body must be the file, byte for byte, with status 200.
Then `wrk` loads `/` (the small page) and the largest file of pages/, over keep-alive connections on
127.0.0.1: requests/s, wrk's latency (median and 99th percentile), its non-2xx responses and socket
errors, and the server's CPU time per request (utime + stime of the server's processes from /proc:
for the isolated target the launcher and every component).

RESP: Examples/resp-kv/resp-kv.clv built the same two ways, against redis-server (`--save ''
--appendonly no`, the baseline). Every server is first sent the same few commands (SET, GET of a key
that exists and of one that does not, a value holding CR LF, a long value, commands split across
writes and several in one write): the replies must be redis-server's, byte for byte. Then
redis-benchmark runs SET and GET, one command at a time per connection and pipelined (-P 16), each
case its own redis-benchmark run so that the server's CPU time per request is the case's.

Each measurement has a fresh server on a free port of 127.0.0.1 (the Cleave builds are started with
`--netif tcp:0` and their announced port is read), a warm-up, then the timed run; the servers take
turns, their order alternating, --runs times; the table shows medians, and ratios are medians of each
run against the baseline's run of the same repetition. Writes Benchmarks/results/tcp.md (with --only,
the other section is kept from the existing file). A section whose example, tool or baseline is
missing says why and is skipped; with nothing to measure the script exits 0.
Python 3 standard library; needs wrk, nginx and curl (HTTP), redis-server and redis-benchmark (RESP),
and a built compiler (.build/debug/cleave; --cleave PATH for another). The defaults take about 10
minutes; --quick (one 2 s run per server and case) about 1.5 minutes.
"""

import argparse
import atexit
import datetime
import json
import math
import os
import platform
import re
import resource
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run  # noqa: E402  (CPU ticks of a process tree, stopping a process, pinning)
import image  # noqa: E402  (the compiler's path, `cleave build`, the runtime's state)

BENCH, ROOT, BUILD = run.BENCH, run.ROOT, run.BUILD
HZ = os.sysconf("SC_CLK_TCK")
NGINX = "/usr/sbin/nginx"
HTTP_SOURCE = "Examples/http/http.clv"
RESP_SOURCE = "Examples/resp-kv/resp-kv.clv"
ANNOUNCE = re.compile(r"listening on TCP port (\d+) \(port (\d+) in the source\)")
COUNTERS = re.compile(r"connections (\d+) \(refused (\d+), reset (\d+)\), bytes received (\d+), sent (\d+), "
                      r"dropped (\d+)")

running = []  # servers started and not yet stopped: stopped at exit whatever happens


def log(text):
    print(text, file=sys.stderr, flush=True)


def first_line(cmd, stderr=False):
    """The first line a command prints (on stderr if asked, or wherever it printed), or '?'."""
    try:
        r = subprocess.run(cmd, capture_output=True, text=True)
    except OSError:
        return "?"
    text = ((r.stderr if stderr else r.stdout) or r.stderr or r.stdout).strip()
    return text.splitlines()[0] if text else "?"


def debian_version(package):
    v = first_line(["dpkg-query", "-W", "-f", "${Version}", package])
    return v if v != "?" and "no packages" not in v else "?"


def tcp_port():
    """A TCP port of 127.0.0.1 free just now (for the baselines, which take a port, not 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def connects(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


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


# ---------------------------------------------------------------- servers


class Server:
    """A running server on 127.0.0.1: .port, .pid (whose process tree's CPU is the server's), .alive(),
    .stop() -> the Cleave service's own counters when it prints them, else None."""

    def __init__(self, name, cmd, log_path, port=None, cwd=None):
        self.name, self.log = name, log_path
        with open(log_path, "w") as err:
            # A session of its own: an isolated launcher's components are then all in its process group.
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                                         start_new_session=True, cwd=cwd)
        self.pid = self.proc.pid
        running.append(self)
        try:
            self.port = self.wait_ready(port)
        except BaseException:
            self.stop()
            raise

    def wait_ready(self, port, deadline=15.0):
        """The port, once a TCP connection to it succeeds (a Cleave build's announced one when `port` is None)."""
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}: {run.tail(self.log)}")
            if port is None:
                m = ANNOUNCE.search(self.log.read_text(errors="replace"))
                if m:
                    port = int(m.group(1))
            if port is not None and connects(port):
                return port
            time.sleep(0.02)
        raise RuntimeError(f"{self.name} was not accepting connections within {deadline:g} s: {run.tail(self.log)}")

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self in running:
            running.remove(self)
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


def stop_all():
    for server in list(running):
        try:
            server.stop()
        except Exception as e:  # at exit: stop the rest whatever this one did
            log(f"tcp.py: stopping a server: {e}")


def nginx_config(tmp, pages, port):
    """nginx.conf for one process serving `pages` on 127.0.0.1:port, everything else in `tmp`."""
    temps = "\n".join(f"    {k}_temp_path {tmp}/{k}_temp;" for k in ("client_body", "proxy", "fastcgi", "uwsgi",
                                                                      "scgi"))
    mime = "include /etc/nginx/mime.types;" if Path("/etc/nginx/mime.types").exists() else \
        "types { text/html html; text/css css; application/javascript js; image/png png; image/svg+xml svg; }"
    return f"""# written by Benchmarks/tcp.py
daemon off;
master_process off;   # one process: the one a single worker would be (worker_processes 1)
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{
    worker_connections 4096;
}}
http {{
    {mime}
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_timeout 65s;
    keepalive_requests 10000000;
    open_file_cache max=1000 inactive=60s;
    open_file_cache_valid 60s;
{temps}
    server {{
        listen 127.0.0.1:{port};
        root {pages};
        index index.html;
    }}
}}
"""


def start(section, name, binaries, pages, tmp):
    """A fresh server of the section: 'baseline' (nginx or redis-server) or a Cleave build. A baseline
    is given a port found free a moment before: tried up to 3 times, in case another took it meanwhile."""
    for attempt in range(3):
        try:
            return start_once(section, name, binaries, pages, tmp)
        except RuntimeError as e:
            if name != "baseline" or attempt == 2:
                raise
            log(f"tcp.py: {section} baseline did not start ({e}); again on another port")


def start_once(section, name, binaries, pages, tmp):
    log_path = BUILD / f"tcp_{section}_{name}.log"
    if name == "baseline" and section == "http":
        port = tcp_port()
        conf = Path(tmp) / "nginx.conf"
        conf.write_text(nginx_config(tmp, pages, port))
        return Server("nginx", [NGINX, "-p", f"{tmp}/", "-e", f"{tmp}/error.log", "-c", str(conf)], log_path, port)
    if name == "baseline":
        port = tcp_port()
        return Server("redis-server", ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                       "--appendonly", "no", "--daemonize", "no", "--dir", str(tmp),
                                       "--logfile", ""], log_path, port)
    return Server(f"Cleave {name}", [binaries[name], "--netif", "tcp:0"], log_path)


# ---------------------------------------------------------------- clients


def timed(cmd, timeout, cpu=None):
    """Run a load generator: (its output, its own CPU seconds); a RuntimeError if it fails or outlives
    `timeout` (a server that stopped answering). Its CPU is what RUSAGE_CHILDREN grew by when it was
    reaped (nothing else of this script ends meanwhile)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         preexec_fn=run.pinned(cpu))
    try:
        out, _ = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        raise RuntimeError(f"`{shlex.join(cmd)}` still running after {timeout:g} s: killed")
    except BaseException:  # SIGTERM or Ctrl-C while it runs: it does not outlive the script
        p.kill()
        p.wait()
        raise
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    text = out.decode(errors="replace")
    if p.returncode != 0:
        raise RuntimeError(f"`{shlex.join(cmd)}` exited with {p.returncode}: {text.strip()[-300:]}")
    return text, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


WRK_LUA = """-- written by Benchmarks/tcp.py: wrk's own summary as one JSON line
done = function(summary, latency, requests)
   local e = summary.errors
   io.write(string.format('TCPBENCH {"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, '
      .. '"read": %d, "write": %d, "status": %d, "timeout": %d, "mean_us": %.1f, "stdev_us": %.1f, '
      .. '"max_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d}\\n',
      summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
      latency.mean, latency.stdev, latency.max, latency:percentile(50), latency:percentile(90),
      latency:percentile(99)))
end
"""


def wrk_seconds(seconds):
    """wrk's -d: whole seconds, at least 1."""
    return max(1, math.ceil(seconds))


def wrk(port, path, seconds, args, cpu):
    """wrk against http://127.0.0.1:port/path: its summary (requests, errors, latency in µs) and its CPU."""
    cmd = ["wrk", "-t", str(args.threads), "-c", str(args.connections), "-d", f"{wrk_seconds(seconds)}s",
           "--timeout", "5s", "-s", str(BUILD / "tcp_wrk.lua"), f"http://127.0.0.1:{port}{path}"]
    out, cpu_s = timed(cmd, seconds + 60, cpu)
    m = re.search(r"^TCPBENCH (\{.*\})$", out, re.M)
    if not m:
        raise RuntimeError(f"wrk printed no summary: {out.strip()[-300:]}")
    r = json.loads(m.group(1))
    r["text"] = out
    r["client_cpu_s"] = cpu_s
    r["wall"] = r["duration_us"] / 1e6
    r["rps"] = r["requests"] / r["wall"] if r["wall"] else 0.0
    r["errors"] = r["connect"] + r["read"] + r["write"] + r["timeout"]
    return r


def redis_benchmark(port, test, n, pipeline, args, cpu, timeout):
    """redis-benchmark of one test (set or get): its CSV row (requests/s, latencies in ms) and its CPU."""
    cmd = ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-t", test, "-n", str(n), "-c", str(args.clients),
           "-r", str(args.keyspace), "-d", str(args.value_size), "-P", str(pipeline), "-q", "--csv"]
    out, cpu_s = timed(cmd, timeout, cpu)
    for line in out.splitlines():
        cells = [c.strip('"') for c in line.strip().split('","')]
        if len(cells) >= 8 and cells[0].upper() == test.upper():
            r = {"rps": float(cells[1]), "avg_ms": float(cells[2]), "p50_ms": float(cells[4]),
                 "p99_ms": float(cells[6]), "max_ms": float(cells[7]), "requests": n}
            r["client_cpu_s"] = cpu_s
            r["text"] = out
            # Lines other than the CSV (redis-benchmark's warnings, errors from the server): kept for the notes.
            r["other"] = [l for l in out.splitlines() if l.strip() and not l.startswith('"')]
            return r
    raise RuntimeError(f"`{shlex.join(cmd)}` printed no {test.upper()} row: {out.strip()[-300:]}")


# ---------------------------------------------------------------- checks before measuring


def pages_of(pages):
    """{URL path: file} for every file below pages/ (`/` is index.html too)."""
    urls = {}
    for f in sorted(p for p in pages.rglob("*") if p.is_file()):
        urls["/" + f.relative_to(pages).as_posix()] = f
    if "/index.html" in urls:
        urls = {"/": urls["/index.html"], **urls}
    return urls


def curl(port, path):
    """(status, body, header bytes, content type) of GET http://127.0.0.1:port/path."""
    with tempfile.NamedTemporaryFile() as body:
        r = subprocess.run(["curl", "-s", "-o", body.name, "-w", "%{http_code} %{size_header} %{content_type}",
                            "--max-time", "10", f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True)
        if r.returncode != 0:
            return f"curl exit {r.returncode}", b"", 0, ""
        code, header, *ctype = r.stdout.split(" ", 2)
        return code, Path(body.name).read_bytes(), int(header), (ctype[0] if ctype else "")


def check_http(port, urls):
    """Every URL once: (how many bodies equal their file with status 200, what differed, {path: (header
    bytes, content type)})."""
    good, bad, heads = 0, [], {}
    for path, f in urls.items():
        code, body, header, ctype = curl(port, path)
        heads[path] = (header, ctype)
        want = f.read_bytes()
        if code == "200" and body == want:
            good += 1
        else:
            bad.append(f"{path}: status {code}, {len(body):,} bytes" + (" (≠ the file's)" if body != want else "")
                       + f" for a file of {len(want):,}")
    return good, bad, heads


RESP_CHECKS = [  # (what, the bytes written, one write or byte by byte)
    ("SET", b"*3\r\n$3\r\nSET\r\n$16\r\nkey:000000000001\r\n$3\r\nxxx\r\n", False),
    ("GET of that key", b"*2\r\n$3\r\nGET\r\n$16\r\nkey:000000000001\r\n", False),
    ("GET of a key never set", b"*2\r\n$3\r\nGET\r\n$16\r\nkey:999999999999\r\n", False),
    ("SET, lower case, replacing", b"*3\r\n$3\r\nset\r\n$16\r\nkey:000000000001\r\n$5\r\nyyyyy\r\n", False),
    ("GET after it", b"*2\r\n$3\r\nget\r\n$16\r\nkey:000000000001\r\n", False),
    ("SET of a value with CR LF", b"*3\r\n$3\r\nSET\r\n$2\r\nk2\r\n$6\r\na\r\nb\r\n\r\n", False),
    ("GET of it", b"*2\r\n$3\r\nGET\r\n$2\r\nk2\r\n", False),
    ("SET of a 3,000-byte value", b"*3\r\n$3\r\nSET\r\n$2\r\nk3\r\n$3000\r\n" + bytes(range(256)) * 11 +
     bytes(184) + b"\r\n", False),
    ("GET of it", b"*2\r\n$3\r\nGET\r\n$2\r\nk3\r\n", False),
    ("SET and GET written byte by byte", b"*3\r\n$3\r\nSET\r\n$2\r\nk4\r\n$2\r\nv4\r\n*2\r\n$3\r\nGET\r\n$2\r\nk4\r\n",
     True),
    ("16 commands in one write (-P 16)", b"".join(b"*3\r\n$3\r\nSET\r\n$2\r\nk5\r\n$1\r\n%d\r\n*2\r\n$3\r\nGET\r\n"
                                                  b"$2\r\nk5\r\n" % i for i in range(8)), False),
]


def resp_exchange(port, data, trickle, expect=None, timeout=2.0):
    """Write `data` on a new connection (all at once, or byte by byte) and read the reply: until it is as
    long as `expect` (redis-server's), or until nothing comes for a while."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if trickle:
            for i in range(len(data)):
                s.sendall(data[i:i + 1])
                time.sleep(0.001)
        else:
            s.sendall(data)
        got, end = b"", time.monotonic() + timeout
        s.settimeout(0.3 if expect is None else timeout)
        while time.monotonic() < end and (expect is None or len(got) < len(expect)):
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            got += chunk
        return got


def check_resp(port, expected=None):
    """The commands of RESP_CHECKS, each on a connection of its own, in order: their replies; with
    `expected` (redis-server's), also (how many equal, what differed)."""
    replies, bad = [], []
    for i, (what, data, trickle) in enumerate(RESP_CHECKS):
        try:
            got = resp_exchange(port, data, trickle, expected[i] if expected else None)
        except OSError as e:
            got = f"({e})".encode()
        replies.append(got)
        if expected and got != expected[i]:
            bad.append(f"{what}: {got[:60]!r} (redis-server: {expected[i][:60]!r})")
    return replies, bad


# ---------------------------------------------------------------- building


def build(compiler, source, section, target, notes):
    """`cleave build SOURCE --target TARGET -o Benchmarks/.build/...`, retried once (the compiler may be
    being replaced): the path to run, or None with a note saying why."""
    out = BUILD / (f"tcp_{section}_cleave" + ("_isolated.d" if target == "isolated" else ""))
    for attempt in range(2):
        path, why, _ = image.cleave_build(compiler, source, out, "--target", target)
        if path:
            return str(path / "run") if target == "isolated" else str(path)
        if attempt == 0:
            log(f"tcp.py: `cleave build {source} --target {target}` failed ({why}); retrying in 5 s")
            time.sleep(5)
    notes.append(f"Cleave {target}: **not measured**, `{compiler} build {source} --target {target} -o "
                 f"{os.path.relpath(out, ROOT)}` failed: {why}")
    log(f"tcp.py: leaving out Cleave {target}: {why}")
    return None


def shown(path):
    """A path as the report shows it: from the repository's top when inside it."""
    rel = os.path.relpath(os.path.abspath(path), ROOT)
    return str(os.path.abspath(path)) if rel.startswith("..") else rel


def source_state(folder):
    """Whether an example's folder is as in the commit."""
    r = subprocess.run(["git", "status", "--porcelain", "--", folder], cwd=ROOT, capture_output=True, text=True)
    if r.returncode != 0:
        return "?"
    if not r.stdout.strip():
        return "as in the commit"
    untracked = all(line.startswith("??") for line in r.stdout.splitlines())
    return "**not committed yet** (work in progress)" if untracked else "**differs from the commit** (work in progress)"


# ---------------------------------------------------------------- measuring


def cpu_share(ticks, wall):
    return ticks / HZ / wall if wall else float("nan")


def measure_http(name, ctx, path, args, seconds, warmup):
    """A fresh server, a warm-up, then one timed wrk run: wrk's figures and the server's CPU."""
    server = start("http", name, ctx["binaries"], ctx["pages"], ctx["tmp"])
    try:
        if ctx["cpus"][0] is not None:
            pin_tree(server.pid, ctx["cpus"][0])
        if warmup > 0:
            wrk(server.port, path, warmup, args, ctx["cpus"][1])
        t0, c0 = time.monotonic(), run.cpu_ticks(server.pid)
        r = wrk(server.port, path, seconds, args, ctx["cpus"][1])
        ticks, wall = run.cpu_ticks(server.pid) - c0, time.monotonic() - t0
        if not server.alive():
            raise RuntimeError(f"{server.name} ended during the run: {run.tail(server.log)}")
    except Exception:
        server.stop()
        raise
    r["counters"] = server.stop()
    r["ticks"] = ticks
    r["server_cpu"] = cpu_share(ticks, wall)
    r["client_cpu"] = r["client_cpu_s"] / wall
    r["us_per_request"] = ticks / HZ / r["requests"] * 1e6 if r["requests"] else float("nan")
    return r


def measure_resp(name, ctx, cases, sizes, args, warmup_n):
    """A fresh server, an untimed warm-up (SET, then GET), then each case in turn: {case: figures}."""
    server = start("resp", name, ctx["binaries"], None, ctx["tmp"])
    results = {}
    try:
        if ctx["cpus"][0] is not None:
            pin_tree(server.pid, ctx["cpus"][0])
        for test in ("set", "get"):
            if warmup_n:
                redis_benchmark(server.port, test, warmup_n, 1, args, ctx["cpus"][1], ctx["timeout"])
        for case in cases:
            test, pipeline = case
            t0, c0 = time.monotonic(), run.cpu_ticks(server.pid)
            r = redis_benchmark(server.port, test, sizes[case], pipeline, args, ctx["cpus"][1], ctx["timeout"])
            ticks, wall = run.cpu_ticks(server.pid) - c0, time.monotonic() - t0
            if not server.alive():
                raise RuntimeError(f"{server.name} ended during the run: {run.tail(server.log)}")
            r["ticks"] = ticks
            r["wall"] = wall
            r["server_cpu"] = cpu_share(ticks, wall)
            r["client_cpu"] = r["client_cpu_s"] / wall
            r["us_per_request"] = ticks / HZ / r["requests"] * 1e6
            results[case] = r
        # The server still answers as it did before the load.
        probe = resp_exchange(server.port, b"*2\r\n$3\r\nGET\r\n$16\r\nkey:000000000001\r\n", False)
        if not probe.startswith((b"$", b"-")):
            raise RuntimeError(f"{server.name} answered GET after the runs with {probe[:60]!r}")
    except Exception:
        server.stop()
        raise
    counters = server.stop()
    for r in results.values():
        r["counters"] = counters
    return results


# ---------------------------------------------------------------- the report


def fmt_ratio(value):
    return "1.00" if value is None else f"{value:.2f}"


def ratio_median(rs, base, key):
    """The median over repetitions of (run ÷ the baseline's run of the same repetition)."""
    pairs = [(r, b) for r, b in zip(rs, base) if r is not None and b is not None and b[key]]
    return statistics.median(r[key] / b[key] for r, b in pairs) if pairs else float("nan")


def standing(rps_ratio, cpu_ratio):
    """Where a Cleave row stands against the baseline: ahead is more requests/s and less CPU per request
    (compared as shown, to two decimals: 1.00 is level, not ahead)."""
    rps, cpu = round(rps_ratio, 2), round(cpu_ratio, 2)
    if rps > 1.0 and cpu < 1.0:
        return "ahead on both"
    where = lambda better, level: "ahead" if better else "level" if level else "behind"
    return (f"**not ahead**: requests/s {where(rps > 1.0, rps == 1.0)}, CPU per request "
            f"{where(cpu < 1.0, cpu == 1.0)}")


def goal(met, quick):
    """The goal line's verdict: met when the unikernel is ahead in every case."""
    verdict = ("**met** in this run" if all(met) else "**not met** in this run") if met else "not judged"
    return verdict + (" (a quick run: one short run each, which decides nothing)" if quick and met else "")


def ticks_note(ticks):
    """Under 100 clock ticks, how many: one more or less moves the figure by over 1%."""
    return f", {ticks:.0f} ticks" if ticks < 100 else ""


def counter_notes(label, runs_with_counters):
    """A note when a Cleave service's own counters (printed when it stops) show refused connections or
    dropped bytes."""
    odd = [c for c in runs_with_counters if c and (c[1] or c[5])]
    if not odd:
        return []
    return [f"{label}: its own counters (printed when it stops, over its whole life) show refused connections or "
            "dropped bytes in " + f"{len(odd)} of {len(runs_with_counters)} runs: " + "; ".join(
                f"connections {c[0]:,} (refused {c[1]:,}, reset {c[2]:,}), bytes received {c[3]:,}, sent {c[4]:,}, "
                f"dropped {c[5]:,}" for c in odd)]


def header_lines(args, started, load_before, load_at_rep, cpus, extra_versions):
    load_after = os.getloadavg()
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return [
        f"- date: {now}; commit {run.sh(['git', 'rev-parse', '--short', 'HEAD'])}",
        f"- command: `python3 {shlex.join([os.path.relpath(sys.argv[0], ROOT), *sys.argv[1:]])}` "
        f"({time.monotonic() - started:.0f} s)" + (" — **a quick run (--quick): one short run per server, a smoke "
                                                    "test, not a measurement to quote**" if args.quick else ""),
        f"- {'; '.join(extra_versions)}; load average (1, 5, 15 min) {', '.join(f'{x:.2f}' for x in load_before)} "
        f"before, {', '.join(f'{x:.2f}' for x in load_after)} after; 1 min at each repetition's start: "
        f"{', '.join(f'{x:.2f}' for x in load_at_rep)} (other work on the machine shows up as noise); "
        f"server on CPU {'any' if cpus[0] is None else cpus[0]}, load generator on CPU "
        f"{'any' if cpus[1] is None else cpus[1]}",
    ]


def http_section(args, compiler, source, notes_out):
    """Measure the HTTP section: its Markdown, or None when skipped (the reason appended to notes_out)."""
    label = "HTTP"
    if not (ROOT / source).exists():
        why = f"`{source}` does not exist (yet)"
        notes_out.append(f"{label}: **not measured**: {why}")
        log(f"tcp.py: {label}: skipped: {why}")
        return None
    pages = (ROOT / source).parent / "pages"
    missing = [t for t, p in (("wrk", "wrk"), ("curl", "curl")) if not shutil.which(t)]
    if not Path(NGINX).exists():
        missing.append(NGINX)
    if missing or not pages.is_dir():
        why = (f"`{', '.join(missing)}` not installed (`make deps` installs them)" if missing else
               f"`{os.path.relpath(pages, ROOT)}` is not a directory")
        notes_out.append(f"{label}: **not measured**: {why}")
        log(f"tcp.py: {label}: skipped: {why}")
        return None
    urls = pages_of(pages)
    if "/" not in urls:
        why = f"`{os.path.relpath(pages, ROOT)}` has no index.html"
        notes_out.append(f"{label}: **not measured**: {why}")
        log(f"tcp.py: {label}: skipped: {why}")
        return None
    large = max(urls, key=lambda p: (urls[p].stat().st_size, p != "/", p))
    paths = ["/"] + ([large] if urls[large].stat().st_size > urls["/"].stat().st_size else [])
    (BUILD / "tcp_wrk.lua").write_text(WRK_LUA)

    started, load_before = time.monotonic(), os.getloadavg()
    notes, binaries = [], {}
    servers = ["baseline"] + [s for s in args.targets if s != "baseline"]
    for s in servers[1:]:
        binaries[s] = build(compiler, source, "http", s, notes)
    servers = [s for s in servers if s == "baseline" or binaries.get(s)]
    names = {"baseline": "nginx (baseline, one process)", "unikernel": "Cleave, unikernel",
             "isolated": "Cleave, isolated (a process per component)"}

    with tempfile.TemporaryDirectory(prefix="tcp-nginx-") as tmp:
        ctx = {"binaries": binaries, "pages": pages, "tmp": tmp, "cpus": args.cpus}
        # 1. Every page once per server, with curl.
        check_rows = []
        for s in list(servers):
            try:
                server = start("http", s, binaries, pages, tmp)
                try:
                    good, bad, heads = check_http(server.port, urls)
                finally:
                    server.stop()
            except (RuntimeError, OSError) as e:
                if s == "baseline":
                    raise
                notes.append(f"{names[s]}: **failed** to start for the check: {e}")
                servers.remove(s)
                continue
            check_rows.append(f"| {names[s]} | {good} of {len(urls)} | {'; '.join(bad) if bad else '-'} | "
                              + " | ".join(f"{heads[p][0]} B, {heads[p][1] or '-'}" for p in paths) + " |")
            log(f"  check {s:9} {good}/{len(urls)} bodies equal their files" + (f": {'; '.join(bad)}" if bad else ""))
            if bad:
                notes.append(f"{names[s]}: **some bodies differ from the files** (see the check above); its "
                             "figures below are for those responses")

        # 2. Timed runs: for each path, the servers in turn (order alternating), --runs times.
        runs = {(s, p): [] for s in servers for p in paths}
        load_at_rep = []
        for rep in range(args.runs):
            load_at_rep.append(os.getloadavg()[0])
            for p in paths:
                for s in (servers if rep % 2 == 0 else servers[::-1]):
                    if (s, p) not in runs:
                        continue
                    try:
                        r = measure_http(s, ctx, p, args, args.seconds, args.warmup)
                    except (RuntimeError, OSError) as e:
                        if s == "baseline":
                            raise
                        notes.append(f"{names[s]}, `{p}`: **failed**, {e}")
                        log(f"tcp.py: {s} {p}: {e}")
                        del runs[(s, p)]
                        continue
                    runs[(s, p)].append(r)
                    log(f"  {p:12} {s:9} {r['rps']:10.0f} req/s  latency p50 {r['p50_us'] / 1000:6.2f} ms "
                        f"p99 {r['p99_us'] / 1000:6.2f} ms  CPU {r['us_per_request']:6.2f} us/req  "
                        f"cpu server {r['server_cpu']:.0%} wrk {r['client_cpu']:.0%}  non-2xx {r['status']}  "
                        f"socket errors {r['errors']}")

    # The table: a row per server, for each path: req/s (÷ nginx), latency, CPU µs/request (÷ nginx).
    rows, detail_rows, verdicts, met = [], [], [], []
    for s in servers:
        cells, errors = [], []
        for p in paths:
            rs, base = runs.get((s, p), []), runs[("baseline", p)]
            if not rs:
                cells.append("failed | - | -")
                continue
            med = lambda key: statistics.median(r[key] for r in rs)
            rps_ratio = None if s == "baseline" else ratio_median(rs, base, "rps")
            cpu_ratio = None if s == "baseline" else ratio_median(rs, base, "us_per_request")
            cells.append(f"{med('rps'):,.0f} ({fmt_ratio(rps_ratio)}) | {med('p50_us') / 1000:.2f} / "
                         f"{med('p99_us') / 1000:.2f} | {med('us_per_request'):.2f} ({fmt_ratio(cpu_ratio)})"
                         f"{ticks_note(med('ticks'))}")
            non2xx, sockerr = sum(r["status"] for r in rs), sum(r["errors"] for r in rs)
            if non2xx or sockerr:
                errors.append(f"`{p}`: {non2xx:,} non-2xx, {sockerr:,} socket errors ("
                              + ", ".join(f"{k} {sum(r[k] for r in rs):,}" for k in ("connect", "read", "write",
                                                                                    "timeout")) + ")")
            detail_rows.append(
                f"| `{p}` | {names[s]} | {med('rps'):,.0f} ({min(r['rps'] for r in rs):,.0f}–"
                f"{max(r['rps'] for r in rs):,.0f}) | {med('bytes') / med('wall') / 1e6:,.1f} | "
                f"{med('mean_us') / 1000:.2f} | {med('p90_us') / 1000:.2f} | {med('max_us') / 1000:.1f} | "
                f"{sum(r['requests'] for r in rs):,} | {med('server_cpu'):.0%} / {med('client_cpu'):.0%} |")
            if s == "unikernel":
                ok = standing(rps_ratio, cpu_ratio) == "ahead on both"
                met.append(ok)
                verdicts.append(f"`{p}`: requests/s ÷ nginx {rps_ratio:.2f}, CPU per request ÷ nginx "
                                f"{cpu_ratio:.2f}: "
                                + standing(rps_ratio, cpu_ratio))
        rows.append(f"| {names[s]} | " + " | ".join(cells) + f" | {'; '.join(errors) if errors else '0'} |")
        notes += counter_notes(names[s], [r["counters"] for p in paths for r in runs.get((s, p), [])
                                          if s != "baseline"])
    if "unikernel" not in servers:
        verdicts.append("the Cleave unikernel was not measured")

    versions = [f"nginx {debian_version('nginx')}", f"wrk {debian_version('wrk')}",
                f"curl {debian_version('curl')}"]
    sizes = ", ".join(f"`{p}` {urls[p].stat().st_size:,} bytes" for p in paths)
    head = [
        "## HTTP: wrk against nginx and the Cleave HTTP example" + (" (QUICK RUN)" if args.quick else ""),
        "",
        *header_lines(args, started, load_before, load_at_rep, args.cpus, versions),
        f"- service: `{shown(ROOT / source)}`, {source_state(shown(pages.parent))}; compiler `{compiler}` "
        f"(the generated C is compiled with -O2 whatever the compiler's own build); runtime: {image.runtime_state()}",
        f"- pages: the {len(urls) - 1} files of `{shown(pages)}`; measured: {sizes} (the largest file)",
        f"- load: `wrk -t {args.threads} -c {args.connections} -d {wrk_seconds(args.seconds)}s --timeout 5s "
        f"http://127.0.0.1:PORT/PATH` (HTTP/1.1 keep-alive; its latency and error counts from its `done` "
        f"summary) after {wrk_seconds(args.warmup) if args.warmup > 0 else 0} s of untimed wrk on the same fresh "
        f"server (wrk takes whole seconds); median of {args.runs} "
        f"run{'s' if args.runs != 1 else ''} per cell, the servers' order alternating between repetitions",
        "- nginx: started by the script, one process (`daemon off; master_process off;`, i.e. one worker: one "
        "core against one core — Cleave's unikernel is one thread), `access_log off`, `sendfile on`, "
        "`tcp_nopush on`, `open_file_cache`, `keepalive_requests 10000000`, listening on 127.0.0.1 only, its "
        "pid file and error log in a temporary directory; `root` the same pages directory",
        *[f"- {n}" for n in notes],
        "",
        "Every file once per server with curl (`/` is index.html): *bodies = files* counts the responses with "
        "status 200 whose body is the file, byte for byte. The last columns are the response header's size and "
        "content type of the measured paths.",
        "",
        "| server | bodies = files | differing | " + " | ".join(f"`{p}` header" for p in paths) + " |",
        "|---|---:|---|" + "---|" * len(paths),
        *check_rows,
        "",
        "*req/s* is wrk's requests ÷ its run time; *latency* wrk's median / 99th percentile in ms (64 connections "
        "always waiting: mostly queueing, about connections ÷ requests/s); *CPU µs/req* the server's utime + stime "
        "(`/proc/PID/stat`, clock ticks of 10 ms; every process of the service: nginx's one, the Cleave unikernel's "
        "one, the isolated launcher and all its components) over the timed run ÷ wrk's requests (under 100 ticks, "
        "their number follows: one more or less moves the figure by over 1%). In brackets: the "
        "median over repetitions of the row's run ÷ nginx's run of the same repetition. *Errors*: wrk's non-2xx "
        "responses and socket errors (connect, read, write, timeout) summed over the runs.",
        "",
        "| server | " + " | ".join(f"`{p}` req/s (÷ nginx) | `{p}` latency p50 / p99 ms | `{p}` CPU µs/req (÷ nginx)"
                                    for p in paths) + " | errors |",
        "|---|" + "---:|---:|---:|" * len(paths) + "---|",
        *rows,
        "",
        "Details: *req/s (min–max)* over the runs; *MB/s* response bytes read by wrk per second; latency mean, "
        "90th percentile and maximum in ms; *requests* summed over the runs; *CPU server / wrk* each one's share "
        "of one CPU over the timed run (on a 2-CPU machine wrk needs about one of them: where its share nears "
        "100%, wrk is what limits requests/s, which then understates the faster server; CPU µs/req still "
        "compares).",
        "",
        "| path | server | req/s (min–max) | MB/s | latency mean ms | p90 ms | max ms | requests "
        "| CPU server / wrk |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
        *detail_rows,
        "",
        "Goal (the Cleave unikernel ahead of nginx: more requests/s and less CPU per request): "
        + goal(met, args.quick),
        "",
        *[f"- {v}" for v in verdicts],
        "",
    ]
    return "\n".join(head)


def resp_section(args, compiler, source, notes_out):
    """Measure the RESP section: its Markdown, or None when skipped (the reason appended to notes_out)."""
    label = "RESP"
    if not (ROOT / source).exists():
        why = f"`{source}` does not exist (yet)"
        notes_out.append(f"{label}: **not measured**: {why}")
        log(f"tcp.py: {label}: skipped: {why}")
        return None
    missing = [t for t in ("redis-server", "redis-benchmark") if not shutil.which(t)]
    if missing:
        why = f"`{', '.join(missing)}` not installed (Debian: redis-server, redis-tools; `make deps` installs them)"
        notes_out.append(f"{label}: **not measured**: {why}")
        log(f"tcp.py: {label}: skipped: {why}")
        return None

    started, load_before = time.monotonic(), os.getloadavg()
    notes, binaries = [], {}
    servers = ["baseline"] + [s for s in args.targets if s != "baseline"]
    for s in servers[1:]:
        binaries[s] = build(compiler, source, "resp", s, notes)
    servers = [s for s in servers if s == "baseline" or binaries.get(s)]
    names = {"baseline": "redis-server (baseline)", "unikernel": "Cleave, unikernel",
             "isolated": "Cleave, isolated (a process per component)"}
    cases = [("set", 1), ("get", 1), ("set", args.pipeline), ("get", args.pipeline)]
    case_name = lambda c: f"{c[0].upper()}" + (f" -P {c[1]}" if c[1] > 1 else "")
    timeout = max(120.0, 60 * args.seconds)  # a Cleave build far slower than redis-server still ends

    with tempfile.TemporaryDirectory(prefix="tcp-redis-") as tmp:
        ctx = {"binaries": binaries, "tmp": tmp, "cpus": args.cpus, "timeout": timeout}
        # 1. The same commands to every server; redis-server's replies are the reference. Then, on the
        # baseline, how many requests make a run of about --seconds (the same number for every server).
        check_rows, expected = [], None
        sizes = {}
        for s in list(servers):
            try:
                server = start("resp", s, binaries, None, tmp)
                try:
                    replies, bad = check_resp(server.port, expected)
                    if s == "baseline":
                        expected = replies
                        for case in cases:
                            if args.requests:
                                sizes[case] = args.requests
                                continue
                            probe_n = 20000 * case[1]
                            r = redis_benchmark(server.port, case[0], probe_n, case[1], args, args.cpus[1], timeout)
                            sizes[case] = max(10000, int(round(r["rps"] * args.seconds, -4)))
                finally:
                    server.stop()
            except (RuntimeError, OSError) as e:
                if s == "baseline":
                    raise
                notes.append(f"{names[s]}: **failed** to start for the check: {e}")
                servers.remove(s)
                continue
            good = len(RESP_CHECKS) - len(bad)
            check_rows.append(f"| {names[s]} | {good} of {len(RESP_CHECKS)} | {'; '.join(bad) if bad else '-'} |")
            log(f"  check {s:9} {good}/{len(RESP_CHECKS)} replies equal redis-server's" +
                (f": {'; '.join(bad)}" if bad else ""))
            if bad:
                notes.append(f"{names[s]}: **some replies differ from redis-server's** (see the check above)")
        log("  requests per run: " + ", ".join(f"{case_name(c)} {sizes[c]:,}" for c in cases))
        warmup_n = int(round(min(sizes.values()) * args.warmup / args.seconds, -3)) if args.warmup > 0 else 0

        # 2. Timed runs: the servers in turn (order alternating), --runs times; each a fresh server that
        # runs every case in order (SET first: the GETs then find the keys).
        runs = {(s, c): [] for s in servers for c in cases}
        load_at_rep, other_lines = [], {}
        for rep in range(args.runs):
            load_at_rep.append(os.getloadavg()[0])
            for s in (servers if rep % 2 == 0 else servers[::-1]):
                if (s, cases[0]) not in runs:
                    continue
                try:
                    results = measure_resp(s, ctx, cases, sizes, args, warmup_n)
                except (RuntimeError, OSError) as e:
                    if s == "baseline":
                        raise
                    notes.append(f"{names[s]}: **failed**, {e}")
                    log(f"tcp.py: {s}: {e}")
                    for c in cases:
                        runs.pop((s, c), None)
                    continue
                for c, r in results.items():
                    runs[(s, c)].append(r)
                    for line in r["other"]:
                        other_lines.setdefault(s, set()).add(line.strip())
                    log(f"  {case_name(c):9} {s:9} {r['rps']:10.0f} req/s  latency p50 {r['p50_ms']:6.3f} ms "
                        f"p99 {r['p99_ms']:6.3f} ms  CPU {r['us_per_request']:6.2f} us/req  "
                        f"cpu server {r['server_cpu']:.0%} redis-benchmark {r['client_cpu']:.0%}")

    rows, detail_rows, verdicts, met = [], [], [], []
    for s in servers:
        cells = []
        for c in cases:
            rs, base = runs.get((s, c), []), runs[("baseline", c)]
            if not rs:
                cells.append("failed | -")
                continue
            med = lambda key: statistics.median(r[key] for r in rs)
            rps_ratio = None if s == "baseline" else ratio_median(rs, base, "rps")
            cpu_ratio = None if s == "baseline" else ratio_median(rs, base, "us_per_request")
            cells.append(f"{med('rps'):,.0f} ({fmt_ratio(rps_ratio)}) | {med('us_per_request'):.2f}"
                         f" ({fmt_ratio(cpu_ratio)}){ticks_note(med('ticks'))}")
            detail_rows.append(
                f"| {case_name(c)} | {names[s]} | {med('rps'):,.0f} ({min(r['rps'] for r in rs):,.0f}–"
                f"{max(r['rps'] for r in rs):,.0f}) | {med('avg_ms'):.3f} | {med('p50_ms'):.3f} | "
                f"{med('p99_ms'):.3f} | {med('max_ms'):.3f} | {sum(r['requests'] for r in rs):,} | "
                f"{med('server_cpu'):.0%} / {med('client_cpu'):.0%} |")
            if s == "unikernel":
                ok = standing(rps_ratio, cpu_ratio) == "ahead on both"
                met.append(ok)
                verdicts.append(f"{case_name(c)}: requests/s ÷ redis-server {rps_ratio:.2f}, CPU per request ÷ "
                                f"redis-server {cpu_ratio:.2f}: " + standing(rps_ratio, cpu_ratio))
        rows.append(f"| {names[s]} | " + " | ".join(cells) + " |")
        if s != "baseline":
            counters = [runs[(s, cases[0])][i]["counters"] for i in range(len(runs.get((s, cases[0]), [])))]
            notes += counter_notes(names[s], counters)
    for s, lines in other_lines.items():
        notes.append(f"{names[s]}: redis-benchmark also printed: " + "; ".join(f"`{l}`" for l in sorted(lines)[:5]))
    if "unikernel" not in servers:
        verdicts.append("the Cleave unikernel was not measured")

    versions = [f"redis-server {debian_version('redis-server')}", f"redis-benchmark {debian_version('redis-tools')}"]
    head = [
        "## RESP: redis-benchmark against redis-server and the Cleave RESP example"
        + (" (QUICK RUN)" if args.quick else ""),
        "",
        *header_lines(args, started, load_before, load_at_rep, args.cpus, versions),
        f"- service: `{shown(ROOT / source)}`, {source_state(shown((ROOT / source).parent))}; compiler "
        f"`{compiler}` (the generated C is compiled with -O2 whatever the compiler's own build); runtime: "
        f"{image.runtime_state()}",
        f"- load: `redis-benchmark -h 127.0.0.1 -p PORT -t TEST -n N -c {args.clients} -r {args.keyspace} "
        f"-d {args.value_size} -P P -q --csv`, one run per case (so that the server's CPU is the case's); N "
        + ("given (--requests): " if args.requests else f"sized on redis-server for about {args.seconds:g} s a run, "
                                                          "the same for every server: ")
        + ", ".join(f"{case_name(c)} {sizes[c]:,}" for c in cases)
        + f"; each repetition a fresh server per row that runs an untimed SET and GET of {warmup_n:,} requests, then "
        f"the cases in this order; median of {args.runs} run{'s' if args.runs != 1 else ''} per cell, the servers' "
        "order alternating between repetitions",
        "- redis-server: started by the script, `--port PORT --bind 127.0.0.1 --save '' --appendonly no` (its "
        "default single event-loop thread; its background threads are counted in its CPU too)",
        *[f"- {n}" for n in notes],
        "",
        "The same commands to every server, each on a connection of its own: SET, GET of a key that exists and of "
        "one that does not, lower-case commands, a value holding CR LF, a 3,000-byte value, a SET and a GET "
        "written a byte at a time, 16 commands in one write. *Replies = redis-server's* counts the replies equal "
        "to redis-server's byte for byte.",
        "",
        "| server | replies = redis-server's | differing |",
        "|---|---:|---|",
        *check_rows,
        "",
        "*req/s* is redis-benchmark's; *CPU µs/req* the server's utime + stime (`/proc/PID/stat`, clock ticks of "
        "10 ms; every process and thread of the service, the isolated launcher and all its components) over the "
        "case's redis-benchmark run ÷ its requests (under 100 ticks, their number follows: one more or less moves "
        "the figure by over 1%). In brackets: the median over repetitions of the row's run ÷ "
        "redis-server's run of the same repetition.",
        "",
        "| server | " + " | ".join(f"{case_name(c)} req/s (÷ redis) | {case_name(c)} CPU µs/req (÷ redis)"
                                    for c in cases) + " |",
        "|---|" + "---:|---:|" * len(cases),
        *rows,
        "",
        "Details: *req/s (min–max)* over the runs; redis-benchmark's latencies in ms (mean, median, 99th "
        "percentile, maximum); *requests* summed over the runs; *CPU server / redis-benchmark* each one's share "
        "of one CPU over the run (where redis-benchmark's nears 100%, it is what limits requests/s; CPU µs/req "
        "still compares).",
        "",
        "| case | server | req/s (min–max) | mean ms | p50 ms | p99 ms | max ms | requests | "
        "CPU server / redis-benchmark |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
        *detail_rows,
        "",
        "Goal (the Cleave unikernel ahead of redis-server: more requests/s and less CPU per request): "
        + goal(met, args.quick),
        "",
        *[f"- {v}" for v in verdicts],
        "",
    ]
    return "\n".join(head)


def kept_section(path, title):
    """The section of an earlier results file whose heading starts with `title`, or None."""
    try:
        text = Path(path).read_text()
    except OSError:
        return None
    parts = re.split(r"(?m)^(?=## )", text)
    for part in parts:
        if part.startswith(title):
            return part.rstrip() + "\n"
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--cleave", default=str(ROOT / ".build/debug/cleave"), help="the cleave compiler")
    ap.add_argument("--only", choices=["http", "resp"], help="one section (the other is kept from the existing file)")
    ap.add_argument("--targets", default="unikernel,isolated",
                    help="the Cleave builds, comma-separated, from unikernel, isolated (default both; the\n"
                         "baseline is always measured)")
    ap.add_argument("--seconds", type=float, default=10.0,
                    help="timed seconds per run (default 10): wrk's -d; for redis-benchmark, -n is sized so\n"
                         "that redis-server takes about this long")
    ap.add_argument("--runs", type=int, default=3, help="timed runs per server and case (default 3)")
    ap.add_argument("--warmup", type=float, default=1.0,
                    help="seconds of untimed load on each fresh server before the timed runs (default 1)")
    ap.add_argument("--quick", action="store_true",
                    help="a smoke test: 1 run of 2 s per server and case, 0.5 s warm-up (wrk: 1 s);\n"
                         "marked as such in the file")
    ap.add_argument("--threads", type=int, default=1,
                    help="wrk -t (default 1: wrk on one CPU, the server on the other)")
    ap.add_argument("--connections", type=int, default=64, help="wrk -c (default 64)")
    ap.add_argument("--clients", type=int, default=50, help="redis-benchmark -c (default 50)")
    ap.add_argument("--pipeline", type=int, default=16, help="redis-benchmark -P of the pipelined cases (default 16)")
    ap.add_argument("--keyspace", type=int, default=100000, help="redis-benchmark -r (default 100000 keys)")
    ap.add_argument("--value-size", type=int, default=3, help="redis-benchmark -d (default 3 bytes, its own default)")
    ap.add_argument("--requests", type=int, help="redis-benchmark -n for every case (default: sized by --seconds)")
    ap.add_argument("--http-source", default=HTTP_SOURCE,
                    help=f"the Cleave HTTP service (default {HTTP_SOURCE}); its pages/ beside it are nginx's")
    ap.add_argument("--resp-source", default=RESP_SOURCE, help=f"the Cleave RESP service (default {RESP_SOURCE})")
    ap.add_argument("--pin", choices=["none", "split"], default="none",
                    help="none (default): the scheduler places server and load generator; split: the server's\n"
                         "processes on the first CPU, the load generator on the second (an idle machine only)")
    ap.add_argument("-o", "--output", default=os.path.relpath(BENCH / "results/tcp.md"))
    args = ap.parse_args()
    if args.quick:
        args.runs, args.seconds, args.warmup = 1, 2.0, 0.5
    args.targets = [t for t in args.targets.split(",") if t]
    if set(args.targets) - {"unikernel", "isolated"} or args.runs < 1 or args.seconds <= 0 or args.pipeline < 1:
        ap.error("--targets: from unikernel, isolated; --runs >= 1; --seconds > 0; --pipeline >= 1")
    cpus_available = sorted(os.sched_getaffinity(0))
    args.cpus = (cpus_available[0], cpus_available[1]) if args.pin == "split" and len(cpus_available) >= 2 \
        else (None, None)
    for name in ("http_source", "resp_source"):  # `cleave build` runs in the repository: a path from here
        given = Path(getattr(args, name))
        if not given.is_absolute() and not (ROOT / given).exists() and given.exists():
            setattr(args, name, str(given.resolve()))

    atexit.register(stop_all)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    BUILD.mkdir(parents=True, exist_ok=True)
    compiler = image.compiler_path(args.cleave)
    skipped, sections = [], {}
    if args.only in (None, "http"):
        sections["http"] = http_section(args, compiler, args.http_source, skipped)
    if args.only in (None, "resp"):
        sections["resp"] = resp_section(args, compiler, args.resp_source, skipped)
    if not any(sections.values()):
        log("tcp.py: nothing measured, nothing written: " + "; ".join(n.replace("**", "") for n in skipped))
        return

    cpu_model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                      if line.startswith("model name")), "?")
    titles = {"http": "## HTTP", "resp": "## RESP"}
    body = []
    for key in ("http", "resp"):
        if sections.get(key):
            body.append(sections[key])
        elif key not in sections and kept_section(args.output, titles[key]):
            body.append("<!-- kept from the earlier run: tcp.py --only did not measure this section -->\n"
                        + kept_section(args.output, titles[key]))
        else:
            why = next((n for n in skipped if n.startswith(key.upper())), f"{key.upper()}: not measured")
            body.append(f"{titles[key]}\n\n- {why}\n")
    quick = any("(QUICK RUN)" in part.split("\n", 2)[0] or "(QUICK RUN)" in part.split("\n", 2)[1]
                for part in body if part.count("\n") >= 2)
    text = "\n".join([
        "# TCP: wrk against nginx, redis-benchmark against redis-server, and the Cleave examples"
        + (" — QUICK RUN (smoke test; see the sections)" if quick else ""),
        "",
        f"- machine: {os.cpu_count()} CPUs (nproc {run.sh(['nproc'])}), {cpu_model}; Linux {platform.release()}; "
        "everything over 127.0.0.1 on this one machine (servers and load generators share its CPUs)",
        f"- how: `python3 Benchmarks/tcp.py` (`--only http|resp`, `--quick`, `--seconds`, `--runs`; `--help`); "
        "each section below has its own date, command and load average",
        "",
        *body,
    ])
    print(text)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(text)
    log(f"tcp.py: wrote {args.output}")


if __name__ == "__main__":
    main()

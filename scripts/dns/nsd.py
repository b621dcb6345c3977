#!/usr/bin/python3
"""nsd.py: NSD serving one zone file on 127.0.0.1, the reference the Cleave DNS example is held to.

Everything NSD needs (nsd.conf, pid file, xfrd state, zone list) lives in a fresh temporary
directory removed at stop, so runs never touch /etc/nsd or /var/lib/nsd and never meet each
other. The zone is checked with nsd-checkzone first. NSD keeps its installed answer defaults,
with one exception: response rate limiting is turned off, because at its default of 200
replies/s per source it would drop or truncate replies to a fast local test run or a benchmark,
which is not answer behaviour but noise.

As a module:

    with start_nsd("Examples/dns/example.zone") as nsd:
        ... ask 127.0.0.1:nsd.port ...

As a command: serve until Ctrl-C (or SIGTERM), printing the port once NSD answers.

    scripts/dns/nsd.py Examples/dns/example.zone [--port 5353] [--origin example.com.]
"""

import argparse
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NSD = "nsd"
CHECKZONE = "nsd-checkzone"
HOST = "127.0.0.1"
READY_TIMEOUT = 10.0


class NSDError(RuntimeError):
    """NSD could not be started: a bad zone, a port in use, a missing binary."""


def zone_origin(zone_path):
    """The zone's origin from its first $ORIGIN line (absolute, with the final dot)."""
    for line in Path(zone_path).read_text().splitlines():
        m = re.match(r"\s*\$ORIGIN\s+(\S+)", line, re.IGNORECASE)
        if m:
            name = m.group(1)
            return name if name.endswith(".") else name + "."
    raise NSDError(f"{zone_path}: no $ORIGIN line; give the origin with --origin")


def check_zone(origin, zone_path):
    """Run nsd-checkzone -p; raise with its message when NSD would not load the zone, else return
    the zone as NSD read it (absolute names, one TTL and class per record), for other readers."""
    r = subprocess.run([CHECKZONE, "-p", origin, str(zone_path)], capture_output=True, text=True)
    if r.returncode != 0:
        raise NSDError(f"{CHECKZONE} {origin} {zone_path} failed:\n{(r.stdout + r.stderr).strip()}")
    return r.stdout


def free_port():
    """A port free for both UDP and TCP on 127.0.0.1 (NSD binds both)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind((HOST, 0))
            port = udp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind((HOST, port))
                except OSError:
                    continue
                return port


def write_config(workdir, origin, zone_path, port):
    """nsd.conf for one zone on HOST@port, all state files inside workdir; returns its path."""
    d = Path(workdir)
    conf = f"""server:
    ip-address: {HOST}@{port}
    port: {port}
    do-ip6: no
    username: ""
    chroot: ""
    zonesdir: ""
    database: ""
    pidfile: "{d / 'nsd.pid'}"
    xfrdfile: "{d / 'xfrd.state'}"
    zonelistfile: "{d / 'zone.list'}"
    logfile: "{d / 'nsd.log'}"
    server-count: 1
    verbosity: 0
    ip-transparent: no
    reuseport: no
    rrl-ratelimit: 0
    rrl-whitelist-ratelimit: 0

remote-control:
    control-enable: no

zone:
    name: "{origin}"
    zonefile: "{Path(zone_path).resolve()}"
"""
    path = d / "nsd.conf"
    path.write_text(conf)
    return path


def soa_query(origin, qid=0x5eed):
    """The wire bytes of a plain SOA query for origin (no EDNS)."""
    qname = b"".join(bytes([len(label)]) + label.encode() for label in origin.rstrip(".").split(".") if label)
    return struct.pack("!HHHHHH", qid, 0, 1, 0, 0, 0) + qname + b"\x00" + struct.pack("!HH", 6, 1)


def answers_soa(port, origin):
    """Whether a server on HOST:port answers an SOA query for origin within 0.2 s."""
    query = soa_query(origin)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.2)
        try:
            s.sendto(query, (HOST, port))
            reply, _ = s.recvfrom(65535)
        except OSError:
            return False
    return len(reply) >= 12 and reply[:2] == query[:2] and reply[3] & 0x0F == 0


class NSDServer:
    """A running NSD: .port, .pid, .origin, .stop(); a context manager that stops it on exit."""

    def __init__(self, proc, port, origin, workdir):
        self.proc = proc
        self.port = port
        self.origin = origin
        self.workdir = workdir

    @property
    def pid(self):
        return self.proc.pid

    @property
    def address(self):
        return (HOST, self.port)

    def log(self):
        """What NSD wrote to its log file and stderr so far."""
        parts = [p.read_text(errors="replace") for p in (Path(self.workdir) / "nsd.log", Path(self.workdir) / "stderr")
                 if p.exists()]
        return "".join(parts).strip()

    def stop(self):
        """SIGTERM NSD (it stops its children itself), wait, SIGKILL after 5 s; remove the temp dir."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def launch(workdir, origin, zone_path, port):
    """Start NSD in the foreground (-d, so the pid is ours) and wait for its SOA answer."""
    conf = write_config(workdir, origin, zone_path, port)
    stderr = open(Path(workdir) / "stderr", "wb")
    try:
        proc = subprocess.Popen([NSD, "-d", "-c", str(conf)], stdin=subprocess.DEVNULL,
                                stdout=stderr, stderr=stderr, start_new_session=True)
    finally:
        stderr.close()
    server = NSDServer(proc, port, origin, workdir)
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        if answers_soa(port, origin):
            return server
        time.sleep(0.05)
    log = server.log()
    server.stop()
    raise NSDError(f"NSD on {HOST}@{port} did not answer the SOA of {origin}"
                   f" (exit {proc.returncode}):\n{log or '(no log)'}")


def start_nsd(zone_path, port=0, origin=None):
    """Check the zone, then start NSD serving it on HOST:port (0: a free port, retried if taken)."""
    if shutil.which(NSD) is None:
        raise NSDError(f"{NSD} not found (Debian package nsd)")
    origin = origin or zone_origin(zone_path)
    check_zone(origin, zone_path)
    for attempt in range(3 if port == 0 else 1):
        workdir = tempfile.mkdtemp(prefix="cleave-nsd-")
        try:
            return launch(workdir, origin, zone_path, port or free_port())
        except NSDError:
            shutil.rmtree(workdir, ignore_errors=True)
            if port != 0 or attempt == 2:
                raise


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("zone", help="the zone file")
    ap.add_argument("--port", type=int, default=0, help="UDP/TCP port on 127.0.0.1 (default: a free one)")
    ap.add_argument("--origin", help="the zone's name (default: its $ORIGIN)")
    args = ap.parse_args()
    try:
        nsd = start_nsd(args.zone, args.port, args.origin)
    except NSDError as e:
        sys.exit(f"nsd.py: {e}")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with nsd:
        print(f"nsd: serving {nsd.origin} from {args.zone} on {HOST}:{nsd.port} (pid {nsd.pid}); Ctrl-C stops it",
              flush=True)
        try:
            nsd.proc.wait()
        except KeyboardInterrupt:
            pass
    if nsd.proc.returncode not in (None, 0, -signal.SIGTERM):
        sys.exit(f"nsd.py: NSD exited with {nsd.proc.returncode}")


if __name__ == "__main__":
    main()

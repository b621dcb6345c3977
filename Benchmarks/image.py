#!/usr/bin/env python3
"""image.py: Cleave's bootable image (`cleave build --target image`): size, boot time, served speed.

Measures in one run:
  * size: every Examples/*/*.clv built for the image target, its bytes and those of a
    `strip`ped copy (booted once, to check that it still reaches ready), next to quoted
    reference figures (MirageOS, IncludeOS: not measured here);
  * boot time under QEMU (microvm and q35; TCG, and KVM where the image runs), the median of
    --boots boots: in the guest, entry to ready (the image's `--boot-time` line), and on the
    host, from starting QEMU to the first UDP reply (a request every 1 ms), against QEMU's own
    floor measured the same way in the same run: baselines/pvh_exit.S, a PVH kernel that writes
    one byte to the serial port and ends QEMU at its entry (isa-debug-exit);
  * served requests/s and latency of kv and echo: the image (microvm; TCG, and KVM where it runs)
    reached through QEMU's user network (slirp, hostfwd), against the hosted unikernel on the
    kernel's sockets and, as a second baseline, the hosted unikernel behind the same slirp
    (libslirp through slirp4netns, in a network namespace made here: needs root and slirp4netns),
    under the same load generator as run.py, the servers alternating.
Writes Benchmarks/results/image.md. Python 3 standard library, cc, gcc, ld, strip and QEMU.
"""

import argparse
import atexit
import datetime
import hashlib
import json
import os
import platform
import re
import select
import shlex
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run  # noqa: E402  (the served benchmark's building blocks)
import tap  # noqa: E402  (its network namespaces: `ip`, made and deleted at exit whatever happens)

BENCH, ROOT = run.BENCH, run.ROOT
BUILD = run.BUILD / "image"
QEMU = "qemu-system-x86_64"
NIC = {"microvm": "virtio-net-device", "q35": "virtio-net-pci"}
STOP, EXIT_CLEAN = b"\x03", 33  # Ctrl-C on the serial console; QEMU's status for isa-debug-exit 0x10

# service -> (source, its UDP port in the guest, a request that does not change its state)
SERVED = {
    "kv": ("Examples/kv/kv.clv", 7000, b"GET ready?"),
    "echo": ("Examples/echo/echo.clv", 8080, b"ready?"),
}

# Quoted, not measured here.
REFERENCE_SIZES = [
    ("MirageOS DNS server appliance (Xen; Madhavapeddy et al., ASPLOS '13)", "~184 kB"),
    ("IncludeOS DNS server, bootable disk image (Bratterud et al., CloudCom '15)", "158 kB"),
]
REFERENCE_BOOT = [
    ("Unikraft (Kuenzer et al., EuroSys '21), QEMU microvm, KVM: in the guest, entry to ready", "0.083 ms"),
    ("Unikraft (Kuenzer et al., EuroSys '21), QEMU microvm, KVM: the VMM's part of the boot", "~9 ms"),
]



def log(text):
    print(text, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- building


def compiler_path(cleave):
    """The compiler as given, relative to the repository (where it runs) when it lives there."""
    if os.sep not in cleave:
        return cleave
    rel = os.path.relpath(os.path.abspath(cleave), ROOT)
    return os.path.abspath(cleave) if rel.startswith("..") else rel


def cleave_build(cleave, source, out, *flags):
    """(path, None) or (None, the compiler's reason, its whole output)."""
    cmd = [cleave, "build", source, *flags, "-o", os.path.relpath(out, ROOT)]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    except OSError as e:
        return None, f"`{shlex.join(cmd)}`: {e}", ""
    if r.returncode != 0 or not out.exists():
        text = (r.stderr or r.stdout).strip()
        return None, text.splitlines()[0] if text else f"exit {r.returncode}, no output", text
    return out, None, ""


def refusal(text):
    """`cleave build --target image`'s refusal in a few words, from its diagnostic."""
    m = re.search(r"'([A-Za-z_]\w*)' is a C function.*\[image-calls-c\]", text)
    if m:
        return f"refused: calls {m.group(1)}"
    first = text.splitlines()[0] if text else "no output"
    return f"fails: {first}"


def load_segment(path):
    """(file bytes, memory bytes) of an ELF64's PT_LOAD segments, summed."""
    data = Path(path).read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 2:
        return None, None
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    filesz = memsz = 0
    for i in range(phnum):
        p_type, _, _, _, _, p_filesz, p_memsz, _ = struct.unpack_from("<IIQQQQQQ", data, phoff + i * phentsize)
        if p_type == 1:
            filesz += p_filesz
            memsz += p_memsz
    return filesz, memsz


def build_floor():
    """baselines/pvh_exit.S assembled and linked: the path of QEMU's floor kernel."""
    obj, elf = BUILD / "pvh_exit.o", BUILD / "pvh_exit.elf"
    subprocess.run(["gcc", "-c", str(BENCH / "baselines/pvh_exit.S"), "-o", str(obj)], check=True)
    subprocess.run(["ld", "-T", str(BENCH / "baselines/pvh_exit.ld"), "-o", str(elf), str(obj)], check=True)
    return elf


# ---------------------------------------------------------------- QEMU


def qemu_args(kernel, machine, accel, forwards=(), append=None, name=None):
    """QEMU's command line as `cleave run --target image` makes it (Sources/CleaveDriver/ImageRun.swift)."""
    args = [QEMU, "-M", machine, "-m", "128", "-accel", accel, "-nodefaults", "-no-user-config",
            "-display", "none", "-serial", "stdio", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
    if name:  # names QEMU's threads: the vCPU's is "CPU 0/TCG" or "CPU 0/KVM"
        args += ["-name", f"{name},debug-threads=on"]
    args += ["-netdev", "user,id=n0" + "".join(f",hostfwd=udp:127.0.0.1:{h}-:{g}" for h, g in forwards),
             "-device", f"{NIC[machine]},netdev=n0", "-kernel", str(kernel)]
    if append:
        args += ["-append", append]
    return args


class Qemu:
    """A QEMU process whose console output and exit are timed from just before it started."""

    def __init__(self, args):
        self.out, self.err = [], []
        self.exit_time = None
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.readers = [threading.Thread(target=self._read, args=(self.proc.stdout, self.out), daemon=True),
                        threading.Thread(target=self._read, args=(self.proc.stderr, self.err), daemon=True)]
        for t in self.readers:
            t.start()
        self.waiter = threading.Thread(target=self._wait, daemon=True)
        self.waiter.start()

    def _read(self, pipe, into):
        fd = pipe.fileno()
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                return
            into.append((time.monotonic() - self.t0, chunk))

    def _wait(self):
        self.proc.wait()  # blocks in waitpid: the exit's time to the scheduler's precision
        self.exit_time = time.monotonic() - self.t0

    def text(self, err=False):
        return b"".join(c for _, c in list(self.err if err else self.out)).decode(errors="replace")

    def first_output(self):
        chunks = list(self.out)
        return chunks[0][0] if chunks else None

    def time_of(self, needle):
        """When the console's output first contained `needle` (seconds after the start), or None."""
        seen = b""
        for t, c in list(self.out):
            seen += c
            if needle in seen:
                return t
        return None

    def running(self):
        return self.exit_time is None

    def stop(self, timeout=5.0):
        """Ctrl-C on the console (the image prints its counters and ends QEMU): QEMU's status."""
        if self.running():
            try:
                self.proc.stdin.write(STOP)
                self.proc.stdin.flush()
            except OSError:
                pass
        self.waiter.join(timeout)
        if self.running():
            self.proc.kill()
            self.waiter.join()
        self.close()
        return self.proc.returncode

    def kill(self):
        if self.running():
            self.proc.kill()
        self.waiter.join()
        self.close()

    def close(self):
        """After QEMU's exit: the rest of its output read, its pipes closed."""
        for t in self.readers:
            t.join(2)
        for pipe in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            try:
                pipe.close()
            except OSError:
                pass


def disassemble(code):
    """The first instruction of `code` (bytes), as objdump reads it, or None."""
    if not shutil.which("objdump"):
        return None
    path = BUILD / "fault.bin"
    path.write_bytes(code)
    r = subprocess.run(["objdump", "-D", "-b", "binary", "-m", "i386:x86-64", str(path)], capture_output=True,
                       text=True)
    for line in r.stdout.splitlines():
        m = re.match(r"\s*0:\s+(?:[0-9a-f]{2} )+\s*(.+)$", line)
        if m:
            return " ".join(m.group(1).split())
    return None


def kvm_failure(err):
    """Why QEMU stopped the guest under KVM, from its standard error, or None."""
    if "KVM internal error" not in err:
        return None
    head = re.search(r"KVM internal error\. Suberror: \d+", err).group(0)
    kind = " (emulation failure)" if "emulation failure" in err else ""
    rip = re.search(r"RIP=([0-9a-f]+)", err)
    where = f" at RIP 0x{int(rip.group(1), 16):x}" if rip else ""
    code = re.search(r"Code=(?:[0-9a-f]{2} )*<([0-9a-f]{2})>((?: [0-9a-f]{2})*)", err)
    what = ""
    if code:
        instruction = disassemble(bytes(int(b, 16) for b in [code.group(1), *code.group(2).split()]))
        if instruction:
            sse = ", an SSE instruction" if "xmm" in instruction else ""
            what = f", `{instruction}`{sse}"
    return f"QEMU stopped the guest: \"{head}\"{kind}{where}{what}"


def boot_floor(elf, machine, accel, timeout):
    """One boot of QEMU's floor: {entry, exit} seconds after QEMU started, or raises RuntimeError."""
    q = Qemu(qemu_args(elf, machine, accel, forwards=[(run.free_port(), 7000)]))
    q.waiter.join(timeout)
    if q.running():
        q.kill()
        raise RuntimeError(f"did not end within {timeout:.0f} s")
    q.close()
    if q.proc.returncode != EXIT_CLEAN:
        raise RuntimeError(f"QEMU ended with {q.proc.returncode}: {' / '.join(q.text(True).splitlines()[-2:])}")
    return {"entry": q.first_output(), "exit": q.exit_time}


def first_reply(q, port, probe, timeout, interval=0.001):
    """Send `probe` to 127.0.0.1:port every `interval` s until a reply comes: its time after QEMU
    started. Raises RuntimeError with QEMU's reason when the guest stops or nothing answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.setblocking(False)
        while True:
            now = time.monotonic() - q.t0
            if now > timeout:
                why = kvm_failure(q.text(True))
                raise RuntimeError(why or f"no reply within {timeout:.0f} s (console: "
                                   f"{' / '.join(q.text().strip().splitlines()[-2:]) or 'nothing'})")
            if not q.running():
                raise RuntimeError(f"QEMU ended with {q.proc.returncode} before a reply: "
                                   f"{' / '.join((q.text() + q.text(True)).strip().splitlines()[-3:])}")
            if "KVM internal error" in q.text(True):  # QEMU paused the guest: its dump follows
                time.sleep(0.3)
                raise RuntimeError(kvm_failure(q.text(True)))
            try:
                s.sendto(probe, ("127.0.0.1", port))
            except OSError:
                pass
            readable, _, _ = select.select([s], [], [], interval)
            if readable:
                try:
                    s.recv(65536)
                    return time.monotonic() - q.t0
                except OSError:  # an ICMP error from before QEMU listened
                    pass


READY = re.compile(rb"ready (\d+) us after entry \(TSC at (\d+) MHz\)")


def boot_image(img, machine, accel, guest_port, probe, timeout):
    """One boot of an image: in-guest entry to ready, QEMU start to the ready line and to the
    first reply (seconds), the TSC's calibrated MHz. Raises RuntimeError when it does not serve."""
    port = run.free_port()
    q = Qemu(qemu_args(img, machine, accel, forwards=[(port, guest_port)], append="--boot-time"))
    try:
        reply = first_reply(q, port, probe, timeout)
        end = time.monotonic() + 2
        while q.time_of(b" MHz)") is None and time.monotonic() < end:
            time.sleep(0.002)
        m = READY.search(q.text().encode())
        if not m:
            raise RuntimeError(f"no --boot-time line on the console: {q.text().strip()[-200:]}")
        result = {"guest": int(m.group(1)) / 1e6, "ready": q.time_of(b" MHz)"), "reply": reply,
                  "mhz": int(m.group(2))}
    except RuntimeError:
        q.kill()
        raise
    status = q.stop()
    if status != EXIT_CLEAN:
        raise RuntimeError(f"QEMU ended with {status} after Ctrl-C, not {EXIT_CLEAN}")
    return result


def boots_to_ready(img, timeout=20.0):
    """Whether an image boots to ready on microvm under TCG and stops cleanly: 'yes' or why not."""
    q = Qemu(qemu_args(img, "microvm", "tcg", append="--boot-time"))
    end = time.monotonic() + timeout
    while q.time_of(b" MHz)") is None and q.running() and time.monotonic() < end:
        time.sleep(0.005)
    if q.time_of(b" MHz)") is None:
        q.kill()
        return f"no: {' / '.join(q.text().strip().splitlines()[-2:]) or 'nothing on the console'}"
    status = q.stop()
    return "yes" if status == EXIT_CLEAN else f"reached ready, then QEMU ended with {status}"


# ---------------------------------------------------------------- serving


def thread_sleeps(pid):
    """{thread name: voluntary context switches} of a process's threads (each a sleep: a lock, a poll)."""
    sleeps = {}
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            name = (task / "comm").read_text().strip()
            m = re.search(r"^voluntary_ctxt_switches:\s*(\d+)", (task / "status").read_text(), re.M)
        except OSError:
            continue
        sleeps[name] = sleeps.get(name, 0) + (int(m.group(1)) if m else 0)
    return sleeps


def thread_ticks(pid):
    """{thread name: user + system ticks} of a process's threads."""
    ticks = {}
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            name = (task / "comm").read_text().strip()
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks[name] = ticks.get(name, 0) + int(fields[11]) + int(fields[12])
    return ticks


def loadgen(port, load_args):
    r = subprocess.run([str(BUILD / "loadgen"), "--port", str(port), *load_args], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"loadgen failed: {r.stderr.strip()}")
    return json.loads(r.stdout)


COUNTERS = re.compile(r"received (\d+), sent (\d+), dropped (\d+)")


def serve_image(img, accel, service, load_args, timeout):
    """The image on microvm, loaded through QEMU's user network: the loadgen's JSON, QEMU's CPU
    share (all its threads) and its vCPU thread's, and the image's own counters."""
    _, guest_port, probe = SERVED[service]
    port = run.free_port()
    q = Qemu(qemu_args(img, "microvm", accel, forwards=[(port, guest_port)], name=service))
    try:
        first_reply(q, port, probe, timeout)
        hz = os.sysconf("SC_CLK_TCK")
        t0, c0, v0 = time.monotonic(), run.cpu_ticks(q.proc.pid), thread_ticks(q.proc.pid)
        result = loadgen(port, load_args)
        wall = time.monotonic() - t0
        c1, v1 = run.cpu_ticks(q.proc.pid), thread_ticks(q.proc.pid)
        if not q.running():
            raise RuntimeError(f"QEMU ended with {q.proc.returncode} under load: {q.text().strip()[-200:]}")
    except RuntimeError:
        q.kill()
        raise
    status = q.stop()
    result["server_cpu"] = (c1 - c0) / hz / wall
    result["vcpu"] = sum(v1.get(n, 0) - v0.get(n, 0) for n in v1 if n.startswith("CPU ")) / hz / wall
    m = COUNTERS.search(q.text())
    result["counters"] = tuple(int(x) for x in m.groups()) if m else None
    if status != EXIT_CLEAN:
        raise RuntimeError(f"QEMU ended with {status} after Ctrl-C, not {EXIT_CLEAN}")
    return result


def serve_hosted(binary, service, load_args):
    """The hosted unikernel on the kernel's sockets, loaded over 127.0.0.1 (as run.py)."""
    _, _, probe = SERVED[service]
    port = run.free_port()
    with open(BUILD / f"{service}_hosted.log", "w") as err:
        proc = subprocess.Popen([binary, "--netif", f"udp:{port}"], stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=err)
    try:
        run.wait_ready(proc, port, probe, BUILD / f"{service}_hosted.log")
        t0, c0 = time.monotonic(), run.cpu_ticks(proc.pid)
        result = loadgen(port, load_args)
        result["server_cpu"] = (run.cpu_ticks(proc.pid) - c0) / os.sysconf("SC_CLK_TCK") / (time.monotonic() - t0)
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} under load")
        return result
    finally:
        run.stop_process(proc)


def slirp_preflight():
    """Why the hosted unikernel cannot be put behind slirp here, or None."""
    if os.geteuid() != 0:
        return "needs root (a network namespace)"
    for tool in ("slirp4netns", "ip"):
        if not shutil.which(tool):
            return f"`{tool}` is not installed (Debian: apt-get install {'slirp4netns' if tool != 'ip' else 'iproute2'})"
    try:
        os.close(os.open("/dev/net/tun", os.O_RDWR))
    except OSError as e:
        return f"/dev/net/tun does not open: {e.strerror}"
    return None


def serve_hosted_slirp(binary, service, load_args, ns):
    """The hosted unikernel on the kernel's sockets in network namespace `ns`, whose only link is
    slirp4netns's TAP (libslirp, as QEMU's user network), reached through a hostfwd of slirp on
    127.0.0.1: the loadgen's JSON and the CPU share of the server and slirp4netns together."""
    _, guest_port, probe = SERVED[service]
    port = run.free_port()
    api = BUILD / f"{ns}.sock"
    slirp_log = BUILD / f"{service}_slirp4netns.log"
    tap.ip("netns", "add", ns)
    tap.namespaces.add(ns)
    slirp = proc = None
    try:
        ready_r, ready_w = os.pipe()
        with open(slirp_log, "w") as out:
            slirp = subprocess.Popen(["slirp4netns", "--configure", "--mtu", "1500", "--ready-fd", str(ready_w),
                                      "--api-socket", str(api), "--netns-type=path", f"/var/run/netns/{ns}", "tap0"],
                                     stdin=subprocess.DEVNULL, stdout=out, stderr=out, pass_fds=(ready_w,))
        os.close(ready_w)
        readable, _, _ = select.select([ready_r], [], [], 10)
        ok = readable and os.read(ready_r, 16)
        os.close(ready_r)
        if not ok:
            raise RuntimeError(f"slirp4netns did not configure tap0: {run.tail(slirp_log)}")
        # The loadgen's slots send from 127.x.y.z (one address each, to match replies); they reach
        # the namespace with those sources. Linux takes them, and answers them through slirp
        # rather than its own loopback, with route_localnet and only 127.0.0.1 local.
        subprocess.run(["ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.conf.all.route_localnet=1",
                        "net.ipv4.conf.tap0.route_localnet=1", "net.ipv6.conf.all.disable_ipv6=1"],
                       capture_output=True, check=True)
        tap.ip("-n", ns, "route", "del", "local", "127.0.0.0/8", "dev", "lo", "table", "local")
        tap.ip("-n", ns, "route", "replace", "local", "127.0.0.1", "dev", "lo", "table", "local")
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(str(api))
            s.sendall(json.dumps({"execute": "add_hostfwd", "arguments": {
                "proto": "udp", "host_addr": "127.0.0.1", "host_port": port, "guest_port": guest_port}}).encode())
            answer = s.recv(4096).decode(errors="replace")
        if '"return"' not in answer:
            raise RuntimeError(f"slirp4netns add_hostfwd: {answer.strip()}")
        server_log = BUILD / f"{service}_hosted_slirp.log"
        with open(server_log, "w") as err:
            proc = subprocess.Popen(["ip", "netns", "exec", ns, binary, "--netif", f"udp:{guest_port}"],
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
        run.wait_ready(proc, port, probe, server_log)
        t0, c0 = time.monotonic(), run.cpu_ticks(proc.pid) + run.cpu_ticks(slirp.pid)
        result = loadgen(port, load_args)
        c1 = run.cpu_ticks(proc.pid) + run.cpu_ticks(slirp.pid)
        result["server_cpu"] = (c1 - c0) / os.sysconf("SC_CLK_TCK") / (time.monotonic() - t0)
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} under load")
        return result
    finally:
        for p in (proc, slirp):
            if p:
                run.stop_process(p)
        tap.netns_del(ns)
        api.unlink(missing_ok=True)


def perf_works():
    """Why `perf record` cannot be used here, or None."""
    if not shutil.which("perf"):
        return "perf is not installed"
    r = subprocess.run(["perf", "stat", "-e", "task-clock", "-x,", "true"], capture_output=True, text=True)
    return None if r.returncode == 0 else f"`perf stat` does not work here: {(r.stderr or '?').strip().splitlines()[-1]}"


def object_kind(dso):
    if dso.startswith("[JIT]"):
        return "the guest's code, as TCG translated it"
    if dso.startswith("qemu-system") or dso.startswith("accel-tcg"):
        return "QEMU (TCG's dispatch and helpers, the devices)"
    if dso.startswith("libslirp"):
        return "libslirp"
    if dso.startswith("[kernel"):
        return "Linux (system calls: slirp's sockets, poll, futexes)"
    return "libc, GLib and the rest"


def profile_image(img, service, window, seconds):
    """`perf record` of QEMU's process while the image serves `service` at `window` (TCG, microvm):
    ({thread: {kind: % of all samples}}, {thread: CPU share}, the loadgen's JSON)."""
    _, guest_port, probe = SERVED[service]
    data = BUILD / f"perf-{service}.data"
    port = run.free_port()
    q = Qemu(qemu_args(img, "microvm", "tcg", forwards=[(port, guest_port)], name=service))
    try:
        first_reply(q, port, probe, 20.0)
        lg = subprocess.Popen([str(BUILD / "loadgen"), "--port", str(port), "--mode", service, "--window", str(window),
                               "--duration", str(seconds + 0.7), "--warmup", "0.3", "--validate"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(0.5)
        hz = os.sysconf("SC_CLK_TCK")
        t0, v0, z0 = time.monotonic(), thread_ticks(q.proc.pid), thread_sleeps(q.proc.pid)
        r = subprocess.run(["perf", "record", "-F", "999", "-o", str(data), "-p", str(q.proc.pid), "--", "sleep",
                            str(seconds)], capture_output=True, text=True)
        v1, z1, wall = thread_ticks(q.proc.pid), thread_sleeps(q.proc.pid), time.monotonic() - t0
        out, err = lg.communicate()
        if r.returncode != 0 or not data.exists():
            raise RuntimeError(f"`perf record` failed: {r.stderr.strip()[-200:]}")
        if lg.returncode != 0:
            raise RuntimeError(f"loadgen failed: {err.strip()}")
    finally:
        q.stop()
    rep = subprocess.run(["perf", "report", "-i", str(data), "--no-children", "--sort", "comm,dso", "--stdio",
                          "-g", "none", "-t", "|"], capture_output=True, text=True)
    shares = {}
    for line in rep.stdout.splitlines():
        parts = [p.strip() for p in line.split("|")]
        if len(parts) != 3 or line.startswith("#") or not parts[0].endswith("%"):
            continue
        thread = "vCPU" if parts[1].startswith("CPU ") else "main loop" if parts[1].startswith("qemu-system") \
            else "other threads"
        kinds = shares.setdefault(thread, {})
        kind = object_kind(parts[2])
        kinds[kind] = kinds.get(kind, 0.0) + float(parts[0].rstrip("%"))
    cpu, sleeps = {}, {}
    for name in v1:
        thread = "vCPU" if name.startswith("CPU ") else "main loop" if name.startswith("qemu-system") \
            else "other threads"
        cpu[thread] = cpu.get(thread, 0.0) + (v1[name] - v0.get(name, 0)) / hz / wall
        sleeps[thread] = sleeps.get(thread, 0.0) + (z1.get(name, 0) - z0.get(name, 0)) / wall
    return shares, cpu, sleeps, json.loads(out)


# ---------------------------------------------------------------- the report


def ms(seconds):
    return f"{seconds * 1e3:.1f}" if abs(seconds) >= 0.01 else f"{seconds * 1e3:.2f}"


def spread(values):
    """'median (min–max)' in ms."""
    return f"{ms(statistics.median(values))} ({ms(min(values))}–{ms(max(values))})"


def runtime_state():
    """Which runtime the builds used ($CLEAVE_RUNTIME, or the repository's), and whether its files are the
    commit's."""
    given = os.environ.get("CLEAVE_RUNTIME")
    where = f"`$CLEAVE_RUNTIME` = `{given}`" if given else "the repository's `Sources/CleaveRuntime/C`"
    folder = Path(given) if given else ROOT / "Sources/CleaveRuntime/C"
    try:
        listing = subprocess.run(["git", "ls-tree", "-r", "HEAD", "--", "Sources/CleaveRuntime/C"], cwd=ROOT,
                                 capture_output=True, text=True, check=True).stdout
        committed = {line.split("\t", 1)[1][len("Sources/CleaveRuntime/C/"):]: line.split()[2]
                     for line in listing.splitlines()}
        blobs = {}
        for p in folder.rglob("*"):
            try:
                data = p.read_bytes() if p.is_file() else None
            except OSError:  # gone meanwhile
                continue
            if data is not None:  # as `git hash-object` names it
                blobs[str(p.relative_to(folder))] = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
    except (OSError, subprocess.CalledProcessError, ValueError, IndexError):
        return where
    differing = sum(1 for f, b in blobs.items() if committed.get(f) != b) + len(set(committed) - set(blobs))
    if differing == 0:
        return f"{where}, every file as in the commit above"
    return f"{where}, {differing} files differing from the commit above (work in progress)"


def kvm_preflight():
    try:
        os.close(os.open("/dev/kvm", os.O_RDWR))
    except OSError as e:
        return f"/dev/kvm does not open: {e.strerror}"
    return None


def main():
    global QEMU
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--cleave", default=str(ROOT / ".build/debug/cleave"), help="the cleave compiler")
    ap.add_argument("--parts", default="size,boot,served", help="comma-separated, from size, boot, served (default all)")
    ap.add_argument("--machines", default="microvm,q35", help="QEMU machines for the boot times (default microvm,q35)")
    ap.add_argument("--accels", default="tcg,kvm",
                    help="accelerators (default tcg,kvm; KVM is tried, and where the image does not run\n"
                         "under it the table says why)")
    ap.add_argument("--boots", type=int, default=10, help="boots per row under TCG (default 10)")
    ap.add_argument("--kvm-boots", type=int, default=3,
                    help="boots per row under KVM (default 3: q35 under a nested KVM took seconds a boot)")
    ap.add_argument("--services", default="kv,echo", help="served and booted services (default kv,echo)")
    ap.add_argument("--windows", default="1,32", help="requests in flight, comma-separated (default 1,32)")
    ap.add_argument("--reps", type=int, default=3, help="served measurements per server and window (default 3)")
    ap.add_argument("--duration", type=float, default=2.0, help="measured seconds per served run (default 2)")
    ap.add_argument("--warmup", type=float, default=0.5, help="warm-up seconds per served run (default 0.5)")
    ap.add_argument("--quick", action="store_true",
                    help="a quick look: 3 boots (1 under KVM), 1 served run of 1 s per server and window")
    ap.add_argument("--no-perf", action="store_true",
                    help="skip the perf record of QEMU's threads while the image serves kv at the largest window")
    ap.add_argument("--perf-seconds", type=float, default=2.0, help="seconds of perf record (default 2)")
    ap.add_argument("--no-slirp-baseline", action="store_true",
                    help="skip the hosted unikernel behind slirp (slirp4netns)")
    ap.add_argument("--qemu", default=QEMU, help=f"QEMU for x86-64 (default {QEMU})")
    ap.add_argument("--cc", default="cc")
    ap.add_argument("-o", "--output", default=os.path.relpath(BENCH / "results/image.md"))
    args = ap.parse_args()
    if args.quick:
        args.boots, args.kvm_boots, args.reps, args.duration, args.warmup = 3, 1, 1, 1.0, 0.3
    parts = set(p for p in args.parts.split(",") if p)
    machines = [m for m in args.machines.split(",") if m]
    accels = [a for a in args.accels.split(",") if a]
    services = [s for s in args.services.split(",") if s]
    windows = [int(w) for w in args.windows.split(",") if w]
    if parts - {"size", "boot", "served"} or set(machines) - set(NIC) or set(accels) - {"tcg", "kvm"} \
            or set(services) - set(SERVED):
        ap.error("--parts: size,boot,served; --machines: microvm,q35; --accels: tcg,kvm; --services: kv,echo")
    QEMU = args.qemu
    if not shutil.which(QEMU):  # as tap.py without root: say why, and let `make bench` go on
        log(f"image.py: skipped: {QEMU} is not installed (Debian: apt-get install qemu-system-x86)")
        sys.exit(0)

    atexit.register(tap.cleanup)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.monotonic()
    load_before = os.getloadavg()[0]
    BUILD.mkdir(parents=True, exist_ok=True)
    subprocess.run([args.cc, *run.CFLAGS, "-o", str(BUILD / "loadgen"), str(BENCH / "loadgen/loadgen.c")], check=True)
    compiler = compiler_path(args.cleave)
    notes, sections = [], []

    # Every example for the image target; kv and echo also hosted.
    images, examples = {}, []
    for source in sorted(ROOT.glob("Examples/*/*.clv")):
        name = source.stem
        out, why, text = cleave_build(compiler, str(source.relative_to(ROOT)), BUILD / f"{name}.img",
                                      "--target", "image")
        examples.append((name, str(source.relative_to(ROOT)), out, refusal(text) if why else None))
        if out:
            images[name] = out
        else:
            log(f"image.py: {name}: {refusal(text)}")
    hosted = {}
    for s in services:
        out, why, _ = cleave_build(compiler, SERVED[s][0], BUILD / f"{s}_hosted", "--target", "unikernel")
        hosted[s] = str(out) if out else None
        if why:
            notes.append(f"hosted {s}: **not measured**, {why}")
    kvm_why = kvm_preflight() if "kvm" in accels else None

    # 1. Size.
    if "size" in parts:
        rows = []
        for name, source, out, why in examples:
            if not out:
                rows.append(f"| {name} | `{source}` | {why} | | | | |")
                continue
            stripped = BUILD / f"{name}.stripped.img"
            subprocess.run(["strip", "-o", str(stripped), str(out)], check=True)
            filesz, memsz = load_segment(out)
            boots = boots_to_ready(stripped)
            rows.append(f"| {name} | `{source}` | {out.stat().st_size:,} | {stripped.stat().st_size:,} | "
                        f"{filesz:,} | {memsz:,} | {boots} |")
            log(f"  size {name:12} {out.stat().st_size:8,} bytes, stripped {stripped.stat().st_size:8,} "
                f"(boots to ready: {boots})")
        for what, size in REFERENCE_SIZES:
            rows.append(f"| *{what}* | reference, **not measured here** | *{size}* | | | | |")
        sections += [
            "## Image size",
            "",
            "Bytes of the ELF that `cleave build FILE --target image` writes (QEMU boots it with `-kernel`), of a "
            "copy through `strip` (symbols and their strings removed), the bytes QEMU loads (the PT_LOAD segment's "
            "file size: code, constants, data, the PVH note) and the memory that segment takes once loaded (with the "
            ".bss: page tables, the boot stack, the runtime's static state). *Stripped boots* is whether the "
            "stripped copy, booted once on microvm under TCG with `--boot-time`, reached ready and stopped with "
            f"status {EXIT_CLEAN}. The reference rows are figures quoted from the papers named, for scale: other "
            "systems, other formats (a Xen image; a disk image with its boot loader), not measured here.",
            "",
            "| example | source | image bytes | stripped bytes | loaded bytes (PT_LOAD file) | memory at load "
            "(PT_LOAD mem) | stripped boots |",
            "|---|---|---:|---:|---:|---:|---|",
            *rows,
            "",
        ]

    # 2. Boot time: per machine and accelerator, the floor and each service in turn, --boots times.
    kvm_image_why = {}  # machine -> why the image does not run under KVM there
    if "boot" in parts:
        floor = build_floor()
        rows, boot_notes = [], []
        for accel in accels:
            if accel == "kvm" and kvm_why:
                boot_notes.append(f"KVM: not measured: {kvm_why}")
                continue
            n = args.boots if accel == "tcg" else args.kvm_boots
            for machine in machines:
                label = f"{machine} | {accel.upper()}"
                floors, boots = [], {s: [] for s in services if s in images}
                try:
                    floors.append(boot_floor(floor, machine, accel, timeout=60))
                except RuntimeError as e:
                    boot_notes.append(f"{machine}, {accel.upper()}: QEMU's floor **failed**: {e}")
                    continue
                # A first reply may take the floor's time plus a few seconds (q35 under a nested KVM
                # spends seconds in its firmware); a guest KVM cannot run is seen at once.
                timeout = 20.0 if accel == "tcg" else max(5.0, 2 * floors[0]["exit"] + 3.0)
                for i in range(n):
                    if i > 0:
                        try:
                            floors.append(boot_floor(floor, machine, accel, timeout=60))
                        except RuntimeError as e:
                            boot_notes.append(f"{machine}, {accel.upper()}: QEMU's floor **failed**: {e}")
                    for s in list(boots):
                        try:
                            boots[s].append(boot_image(images[s], machine, accel, SERVED[s][1], SERVED[s][2],
                                                       timeout))
                        except RuntimeError as e:
                            if accel == "kvm":
                                kvm_image_why.setdefault(machine, str(e))
                            else:
                                boot_notes.append(f"{s}, {machine}, {accel.upper()}: **failed**: {e}")
                            del boots[s]
                entry = statistics.median(f["entry"] for f in floors)
                log(f"  boot {machine:7} {accel} floor: entry {ms(entry)} ms, exit "
                    f"{ms(statistics.median(f['exit'] for f in floors))} ms ({len(floors)} boots)")
                rows.append(f"| {label} | QEMU's floor (`pvh_exit.S`): QEMU start → guest entry (its byte on the "
                            f"console) | {len(floors)} | {spread([f['entry'] for f in floors])} | 1.00 | |")
                rows.append(f"| {label} | QEMU's floor: QEMU start → QEMU exited (status {EXIT_CLEAN}) | "
                            f"{len(floors)} | {spread([f['exit'] for f in floors])} | "
                            f"{statistics.median(f['exit'] for f in floors) / entry:.2f} | |")
                for s, bs in boots.items():
                    med = lambda key: statistics.median(b[key] for b in bs)
                    log(f"  boot {machine:7} {accel} {s:4}: in the guest {ms(med('guest'))} ms, ready on the host "
                        f"{ms(med('ready'))} ms, first reply {ms(med('reply'))} ms (TSC {med('mhz'):.0f} MHz)")
                    rows.append(f"| {label} | {s}: in the guest, entry → ready (`--boot-time`; TSC calibrated at "
                                f"{med('mhz'):.0f} MHz) | {len(bs)} | {spread([b['guest'] for b in bs])} | "
                                f"{med('guest') / entry:.2f} | |")
                    rows.append(f"| {label} | {s}: QEMU start → its ready line on the host | {len(bs)} | "
                                f"{spread([b['ready'] for b in bs])} | {med('ready') / entry:.2f} | "
                                f"{ms(med('ready') - entry)} |")
                    rows.append(f"| {label} | {s}: QEMU start → first UDP reply on the host | {len(bs)} | "
                                f"{spread([b['reply'] for b in bs])} | {med('reply') / entry:.2f} | "
                                f"{ms(med('reply') - entry)} |")
                if accel == "kvm" and machine in kvm_image_why:
                    rows.append(f"| {label} | **KVM: the image does not run here**: {kvm_image_why[machine]} "
                                "| | | | |")
        for what, value in REFERENCE_BOOT:
            rows.append(f"| *reference* | | *{what}*: quoted, **not measured here** | | *{value}* | | |")
        sections += [
            "## Boot time",
            "",
            "Each row is the median (min–max) of the boots counted in *boots*, each a fresh QEMU "
            f"(`{shlex.join(qemu_args('IMAGE', 'microvm', 'tcg', [('HOSTPORT', 'PORT')], '--boot-time'))}`; q35: "
            "`-M q35` and `virtio-net-pci`). *QEMU start* is just before the script starts the process. "
            "*In the guest* is the image's own `--boot-time` line: TSC ticks from its first instruction to the "
            "first time the program looks for a frame, over the TSC rate it calibrated (under TCG against 2 ms of "
            "the PIT; under KVM from the KVM clock); it includes that calibration and the 1 ms in which the image "
            "measures its local APIC's timer (`image/idle.c`). *First UDP reply*: the script sends "
            "the service a request (kv `GET ready?`, echo `ready?`) to the forwarded port every 1 ms from the "
            "moment QEMU starts, and takes the time the first reply arrives. QEMU's floor is "
            "`Benchmarks/baselines/pvh_exit.S`, a PVH kernel with the same QEMU command line and devices that "
            "writes one byte to the serial port and ends QEMU at entry: *÷ floor* is each row over the floor's "
            "start → entry of the same machine and accelerator, *− floor* the time the image adds to it. "
            "The reference rows are quoted from the paper, not measured here (KVM on other hardware).",
            *[f"- {n}" for n in boot_notes],
            "",
            "| machine | accelerator | what | boots | median ms (min–max) | ÷ floor | − floor ms |",
            "|---|---|---|---:|---:|---:|---:|",
            *rows,
            "",
        ]

    # 3. Served.
    if "served" in parts:
        slirp_why = "--no-slirp-baseline" if args.no_slirp_baseline else slirp_preflight()
        rows, serve_notes, medians = [], [], {}
        serve_accels = []
        for accel in accels:
            if accel == "kvm" and (kvm_why or kvm_image_why.get("microvm")):
                serve_notes.append(f"image on KVM: **not measured**, KVM: the image does not run here: "
                                   f"{kvm_why or kvm_image_why['microvm']}")
                continue
            serve_accels.append(accel)
        for s in services:
            servers = {}
            if hosted.get(s):
                servers["hosted"] = ("hosted unikernel, kernel UDP socket, 127.0.0.1",
                                     lambda la, s=s: serve_hosted(hosted[s], s, la))
            if hosted.get(s) and not slirp_why:
                servers["hosted-slirp"] = ("hosted unikernel behind slirp (slirp4netns hostfwd, namespace)",
                                           lambda la, s=s: serve_hosted_slirp(hosted[s], s, la, next_ns()))
            for accel in serve_accels:
                if s in images:
                    servers[f"image-{accel}"] = (f"image, microvm, {accel.upper()}, QEMU user network (slirp hostfwd)",
                                                 lambda la, s=s, a=accel: serve_image(images[s], a, s, la,
                                                                                      20.0 if a == "tcg" else 10.0))
            for w in windows:
                load = ["--mode", s, "--window", str(w), "--duration", str(args.duration), "--warmup",
                        str(args.warmup), "--validate"]
                runs = {k: [] for k in servers}
                for rep in range(args.reps):
                    for k in (list(servers) if rep % 2 == 0 else list(servers)[::-1]):
                        if k not in runs:
                            continue
                        try:
                            r = servers[k][1](load)
                        except (RuntimeError, subprocess.CalledProcessError, OSError) as e:
                            serve_notes.append(f"{s}, window {w}, {servers[k][0]}: **failed**, {e}")
                            log(f"image.py: {s} {k}: {e}")
                            del runs[k]
                            continue
                        runs[k].append(r)
                        extra = f" vCPU thread {r['vcpu']:.0%}" if "vcpu" in r else ""
                        log(f"  serve {s:4} window {w:3} {k:13} {r['rps']:9.0f} req/s  p50 {r['p50_us']:8.1f} us  "
                            f"p99 {r['p99_us']:8.1f} us  lost {r['lost']}  bad {r['mismatches']}  "
                            f"cpu server {r['server_cpu']:.0%}{extra} loadgen {r['loadgen_cpu']:.0%}")
                for k, rs in runs.items():
                    if not rs:
                        continue
                    m = run.summarize(rs)
                    medians[(s, w, k)] = m

                    def ratio(key, against):
                        pairs = [(r, b) for r, b in zip(rs, runs.get(against, [])) if b[key]]
                        return f"{statistics.median(r[key] / b[key] for r, b in pairs):.2f}" if pairs else "-"

                    cpu = f"{m['server_cpu']:.0%}"
                    if "vcpu" in rs[0]:
                        cpu += f" (vCPU {statistics.median(r['vcpu'] for r in rs):.0%})"
                    rows.append(f"| {s} | {w} | {servers[k][0]} | {m['rps']:,.0f} ({m['rps_min']:,.0f}–"
                                f"{m['rps_max']:,.0f}) | {m['p50']:.1f} | {m['p99']:.1f} | {m['lost']} | {m['bad']} | "
                                f"{cpu} / {m['loadgen_cpu']:.0%} | "
                                f"{ratio('rps', 'hosted') if k != 'hosted' else '1.00'} | "
                                f"{ratio('p50_us', 'hosted') if k != 'hosted' else '1.00'} | "
                                f"{ratio('rps', 'hosted-slirp') if k.startswith('image') else '-'} | "
                                f"{ratio('p50_us', 'hosted-slirp') if k.startswith('image') else '-'} |")
        if slirp_why:
            serve_notes.append(f"hosted unikernel behind slirp: **not measured**, {slirp_why}")
        limits = []  # what slirp alone takes, and what the image loses beyond it (medians of this run)
        for s in services:
            for w in windows:
                h, hs = medians.get((s, w, "hosted")), medians.get((s, w, "hosted-slirp"))
                for a in serve_accels:
                    im = medians.get((s, w, f"image-{a}"))
                    if h and hs and im:
                        limits.append(f"{s} at window {w}: behind slirp the hosted unikernel serves "
                                      f"{hs['rps'] / h['rps']:.2f} of its loopback requests/s, the image "
                                      f"({a.upper()}) {im['rps'] / h['rps']:.2f}, i.e. {im['rps'] / hs['rps']:.2f} "
                                      "of what slirp alone allows")
        if limits:
            serve_notes.append("what limits the image, from the medians above: " + "; ".join(limits) + ". The image "
                               "is reached only through QEMU: every datagram crosses slirp (socket calls in QEMU's "
                               "main loop, copies into and out of virtio-net's rings), and the guest's code runs "
                               "translated by TCG, on a vCPU thread that spins while traffic keeps coming (an idle "
                               "image halts only after 2 ms without a frame, `image/idle.c`) and so wants a whole "
                               "CPU of the machine's two under load, next to QEMU's main loop and the load "
                               "generator. "
                               "The profile below shows how QEMU's time divides. These figures measure QEMU under "
                               "TCG more than Cleave's code; under KVM the guest's code would run natively")
        # Where QEMU's time goes while the image serves: the guest, TCG, slirp, the kernel.
        profile_text = []
        why_not = "--no-perf" if args.no_perf else perf_works()
        s0 = "kv" if "kv" in images and "kv" in services else next((s for s in services if s in images), None)
        if why_not is None and s0 and "tcg" in serve_accels:
            w = max(windows)
            try:
                shares, cpu, sleeps, r = profile_image(images[s0], s0, w, args.perf_seconds)
                kinds = ["the guest's code, as TCG translated it", "QEMU (TCG's dispatch and helpers, the devices)",
                         "libslirp", "Linux (system calls: slirp's sockets, poll, futexes)", "libc, GLib and the rest"]
                prow = []
                for thread in ("vCPU", "main loop", "other threads"):
                    if thread not in shares:
                        continue
                    total = sum(shares[thread].values())
                    prow.append(f"| {thread} | {cpu.get(thread, 0):.0%} | {sleeps.get(thread, 0):,.0f} | {total:.1f} | "
                                + " | ".join(f"{shares[thread].get(k, 0):.1f}" for k in kinds) + " |")
                    log(f"  perf {thread:13} cpu {cpu.get(thread, 0):.0%} sleeps/s {sleeps.get(thread, 0):,.0f} "
                        f"samples {total:.1f}%: "
                        + ", ".join(f"{k.split(' (')[0].split(',')[0]} {shares[thread].get(k, 0):.1f}%" for k in kinds))
                profile_text = [
                    "",
                    f"Where QEMU's time goes while the image serves {s0} at window {w} (TCG, microvm; "
                    f"{r['rps']:,.0f} req/s during the profile): `perf record -F 999 -p QEMU -- sleep "
                    f"{args.perf_seconds:g}`, samples by QEMU's thread (`-name ...,debug-threads=on`: the vCPU "
                    "thread runs the guest, the main loop runs slirp and the devices' host side) and by the object "
                    "they fell in, as % of all samples; *CPU* is each thread's CPU share over the same seconds and "
                    "*sleeps/s* its voluntary context switches a second (`/proc`: a wait for a lock, or poll "
                    f"with nothing to do). Report: `perf report -i {os.path.relpath(BUILD / f'perf-{s0}.data', ROOT)} "
                    "--no-children --sort comm,dso`.",
                    "",
                    "| thread | CPU | sleeps/s | % samples | " + " | ".join(kinds) + " |",
                    "|---|---:|---:|---:|" + "---:|" * len(kinds),
                    *prow,
                ]
            except RuntimeError as e:
                profile_text = ["", f"No profile: {e}."]
        elif why_not is not None:
            profile_text = ["", f"No profile of QEMU: {why_not}."]
        sections += [
            "## Served requests/s and latency",
            "",
            f"The load generator of `run.py` (`loadgen`, closed loop, {args.warmup} s warm-up then {args.duration} s "
            f"measured, every reply validated; kv 20% SETs over 1000 keys, echo 64-byte payloads), median of "
            f"{args.reps} runs per row, the servers' order alternating between repetitions, a fresh server (a fresh "
            "QEMU, a fresh namespace) every run, loaded after a first reply. Window 1 is latency alone; window 32 "
            "is throughput under load.",
            "",
            "- **image**: `cleave build FILE --target image`, on microvm with QEMU's user network forwarding a "
            "free port of 127.0.0.1 to the service's port (`hostfwd=udp:...`): loadgen → Linux's loopback → QEMU's "
            "slirp (libslirp, in QEMU's main loop) → virtio-net (virtio-mmio) → Cleave's own Ethernet, IPv4 and UDP "
            "in the guest, and back. *CPU server* is QEMU's process, all threads; *vCPU* is the guest CPU's thread "
            "alone.",
            "- **hosted unikernel**: `cleave build FILE --target unikernel` on the kernel's UDP sockets, loaded over "
            "127.0.0.1 as in `run.py` (`--netif udp:PORT`).",
            "- **hosted unikernel behind slirp**: the same binary in a network namespace whose only link is a TAP "
            "that `slirp4netns` serves with the same libslirp as QEMU's user network, reached through a slirp "
            "hostfwd on 127.0.0.1: loadgen → loopback → libslirp (slirp4netns's process) → TAP → Linux's IPv4/UDP "
            "in the namespace → the service. The loadgen's slots send from addresses 127.x.y.z of their own; the "
            "namespace takes those (`route_localnet=1`, only 127.0.0.1 local) and answers them through slirp, as "
            "the image's stack does. *CPU server* is the service plus slirp4netns. It is the image's path with "
            "Linux in place of the emulated machine and Cleave's stack.",
            "- **÷ hosted**, **÷ behind slirp**: medians of the per-repetition ratios (each run against the "
            "baseline's run of the same repetition); req/s below 1 and p50 above 1 mean the image is slower.",
            *[f"- {n}" for n in serve_notes],
            "",
            "| service | window | server | requests/s (min–max) | p50 µs | p99 µs | lost | bad replies | "
            "CPU server / loadgen | req/s ÷ hosted | p50 ÷ hosted | req/s ÷ behind slirp | p50 ÷ behind slirp |",
            "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
            *rows,
            *profile_text,
            "",
        ]

    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    qemu_version = run.sh([QEMU, "--version"]).splitlines()[0]
    text = "\n".join([
        "# The bootable image: size, boot time, served speed",
        "",
        f"- date: {now}; commit {run.sh(['git', 'rev-parse', '--short', 'HEAD'])}",
        f"- machine: {os.cpu_count()} CPUs (nproc {run.sh(['nproc'])}), {cpu}; Linux {platform.release()}; "
        f"{qemu_version}; cc: {run.sh([args.cc, '--version']).splitlines()[0]}; load average {load_before:.2f} "
        f"before, {os.getloadavg()[0]:.2f} after (other work on the machine shows up as noise)",
        f"- command: `python3 {shlex.join([os.path.relpath(sys.argv[0], ROOT), *sys.argv[1:]])}` "
        f"({time.monotonic() - started:.0f} s)",
        f"- compiler: `{compiler}` (the generated C is compiled with -O2 whatever the compiler's own build); "
        f"runtime: {runtime_state()}",
        *[f"- {n}" for n in notes],
        "",
        *sections,
    ])
    print(text)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(text)
    log(f"image.py: wrote {args.output}")


ns_counter = [0]


def next_ns():
    ns_counter[0] += 1
    return f"climg{os.getpid()}n{ns_counter[0]}"


if __name__ == "__main__":
    main()

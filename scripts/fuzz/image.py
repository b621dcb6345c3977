"""The image fuzzer: the image target's two input surfaces, booted in QEMU (TCG).

Frames: Examples/kv built with --target image gets its frames from QEMU's `dgram` network
backend, one Ethernet frame per UDP datagram on 127.0.0.1, so the fuzzer can hand the
image's virtio-net anything: the frames of the frame fuzzer (frames.py: every client
asking ARP first, then requests mixed with broken frames: edge header fields, flipped bits,
cut, padded, empty, oversized frames, ARP, IPv6, VLAN, fragments, junk). The image's
stack is given frames.py's address (`--netif virtio,ip=10.77.0.2/24,mac=02:00:00:00:00:02`
on the kernel command line). It must answer the GET the batch ends with ("NOT_FOUND"),
then stop cleanly at Ctrl-C on its console (QEMU's status 33), with its counters said.

Kernel command lines: random and mutated --netif specs and arguments. The image must
either start and stop cleanly at Ctrl-C (33), or refuse the command line as a bad start
(37, saying why): never trap, hang, or end QEMU any other way.
"""

import os
import socket
import subprocess
import time

import frames as framefuzz
import packets
from common import ROOT

KV = os.path.join(ROOT, "Examples", "kv", "kv.clv")
LINK = "virtio,ip=10.77.0.2/24,mac=02:00:00:00:00:02"
QEMU = ["qemu-system-x86_64", "-M", "microvm", "-m", "64", "-accel", "tcg", "-nodefaults", "-no-user-config",
        "-display", "none", "-serial", "stdio", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
CLEAN, BAD_START = 33, 37


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def boot(image, append, network):
    command = QEMU + network + ["-device", "virtio-net-device,netdev=n0", "-kernel", image]
    if append:
        command += ["-append", append]
    return subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def finish(p, timeout):
    """Ctrl-C if it still runs; its status (None: it hung) and its console."""
    try:
        if p.poll() is None:
            p.stdin.write(b"\x03")
            p.stdin.flush()
    except (BrokenPipeError, OSError):
        pass
    try:
        out, _ = p.communicate(timeout=timeout)
        return p.returncode, out.decode(errors="replace")
    except subprocess.TimeoutExpired:
        p.kill()
        out, _ = p.communicate()
        return None, out.decode(errors="replace")


def wait_for(p, text, timeout):
    """Read the console until `text` (or the end, or the time); what was read."""
    seen = b""
    deadline = time.monotonic() + timeout
    os.set_blocking(p.stdout.fileno(), False)
    while time.monotonic() < deadline:
        chunk = p.stdout.read()
        if chunk:
            seen += chunk
            if text in seen:
                break
        elif p.poll() is not None:
            break
        else:
            time.sleep(0.002)
    os.set_blocking(p.stdout.fileno(), True)
    return seen


def frames_case(rng, image, timeout):
    """One batch of frames through the image: None, or what went wrong."""
    guest, host = free_port(), free_port()
    network = ["-netdev", f"dgram,id=n0,local.type=inet,local.host=127.0.0.1,local.port={guest},"
               f"remote.type=inet,remote.host=127.0.0.1,remote.port={host}"]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", host))
    s.settimeout(0.05)
    p = boot(image, "--netif " + LINK, network)
    try:
        console = wait_for(p, b"Cleave's stack on", timeout)
        if b"Cleave's stack on" not in console:
            return "did not start", [], console.decode(errors="replace")
        batch, _ = framefuzz.broken_frames(rng, rng.choice([5, 20, 60]))
        frames = framefuzz.introductions() + batch
        # A datagram holds at most 65,507 bytes: a longer "frame" is cut there (still oversized).
        # Paced, so that the host's socket buffer under QEMU never overflows (a few 64 kB frames
        # would fill it): every frame reaches the image. An empty frame cannot travel: QEMU's
        # dgram backend takes an empty datagram for the end of its link and stops reading.
        frames = [f[:65507] for f in frames if f]
        for f in frames:
            s.sendto(f, ("127.0.0.1", guest))
            time.sleep(0.002)
        sentinel = framefuzz.client(rng)
        asked = sentinel.datagram(b"GET fuzz-sentinel")
        answer = None
        deadline = time.monotonic() + timeout
        next_ask = 0.0
        while answer is None and time.monotonic() < deadline:
            if time.monotonic() >= next_ask:
                s.sendto(asked, ("127.0.0.1", guest))
                next_ask = time.monotonic() + 0.5
            try:
                frame = s.recv(65536)
            except socket.timeout:
                continue
            payload = packets.udp_payload(frame)
            if payload == b"NOT_FOUND":
                answer = payload
        status, text = finish(p, timeout)
        text = console.decode(errors="replace") + text
        if status != CLEAN:
            return f"ended with QEMU status {status} (33 is a clean stop)", frames, text
        if answer != b"NOT_FOUND":
            return "did not answer the GET the batch ends with", frames, text
        if "kv: received " not in text:
            return "no counters at the end", frames, text
        return None, frames, text
    finally:
        if p.poll() is None:
            p.kill()
            p.communicate()
        s.close()


SPECS = ["virtio", "virtio:0", "virtio:1", "virtio,ip=10.0.2.15/24", "virtio,ip=10.0.2.15/24,gw=10.0.2.2",
         "virtio,ip=10.1.2.3/8,mac=02:00:00:00:00:07", "virtio,mac=02:00:00:00:00:07", "virtio,gw=1.2.3.4",
         "tap:cleave0", "udp:7000", "virtio,ip=300.1.1.1", "virtio,ip=1.2.3.4/33", "virtio,bogus=1", "virtio:",
         "virtio:99", "virtio,ip=1.2.3.4/24,mac=01:00:00:00:00:01", "", "virtio,,", "virtio,ip=", "VIRTIO"]


def command_line(rng):
    words = []
    for _ in range(rng.randrange(1, 4)):
        kind = rng.random()
        if kind < 0.6:
            spec = bytearray(rng.choice(SPECS).encode())
            for _ in range(rng.choice([0, 0, 1, 3])):
                if spec and rng.random() < 0.5:
                    del spec[rng.randrange(len(spec))]
                else:
                    spec.insert(rng.randrange(len(spec) + 1), rng.choice(b"0123456789.,:/=abcdefgimptvwx"))
            spec = spec.decode()
            words += ["--netif", spec] if rng.random() < 0.7 else ["--netif=" + spec]
        elif kind < 0.8:
            words.append(rng.choice(["--boot-time", "--help", "--netif", "-h", "--probe", "x", "--"]))
        else:
            words.append("".join(rng.choice("abc-=,:./01") for _ in range(rng.randrange(1, 12))))
    return " ".join(w for w in words if w) or "--boot-time"


def command_line_case(rng, image, timeout):
    append = command_line(rng)
    p = boot(image, append, ["-netdev", "user,id=n0"])
    console = wait_for(p, b"Cleave's stack on", timeout)
    status, text = finish(p, timeout)
    text = console.decode(errors="replace") + text
    if status not in (CLEAN, BAD_START):
        return f"-append {append!r}: QEMU status {status} (33: a clean stop, 37: a bad start)", append, text
    if status == BAD_START and "kv: " not in text:
        return f"-append {append!r}: a bad start without saying why", append, text
    if "fatal error" in text:
        return f"-append {append!r}: a trap", append, text
    return None, append, text


def fuzz(rng, budget, tally, corpus, cleave, work, timeout=5.0, log=print):
    from common import run
    if subprocess.run(["which", "qemu-system-x86_64"], capture_output=True).returncode != 0:
        tally.notes.append("skipped: qemu-system-x86_64 is missing (make deps installs it)")
        return
    image = os.path.join(work, "kv.img")
    r = run([cleave, "build", KV, "--target", "image", "-o", image], 300)
    if r.status != 0:
        raise RuntimeError(f"cleave build kv --target image failed:\n{r.stderr[-2000:]}")
    first = True
    while budget.more() or first:
        first = False
        if rng.random() < 0.5:
            problem, frames, text = frames_case(rng, image, timeout * 2)
            budget.take(max(len(frames), 1))
            tally.inputs += max(len(frames), 1)
            if problem:
                capture = packets.PcapWriter()
                for f in frames:
                    capture.record(f)
                kept = corpus.keep("image", "kv-frames", capture.data(), ".pcap")
                tally.fail(f"image frames: {problem}: {text[-300:]}", kept)
                log(f"  image: frames: {problem}: kept {kept}")
        else:
            problem, append, text = command_line_case(rng, image, timeout * 2)
            budget.take(1)
            tally.inputs += 1
            if problem:
                kept = corpus.keep("image", "kv-cmdline", append.encode(), ".txt")
                tally.fail(f"image command line: {problem}: {text[-300:]}", kept)
                log(f"  image: {problem}: kept {kept}")

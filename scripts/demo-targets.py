#!/usr/bin/env python3
"""make demo: the same kv source built for every target, asked the same questions.

Starts the unikernel build (one process), the isolated build (its launcher, which
starts a process per component) and, when given, the image (booted in QEMU under TCG,
its port 7000 forwarded from a free port of 127.0.0.1), sends each the same requests
over UDP, prints the replies side by side and says whether they agree, then stops them
(SIGTERM; Ctrl-C at the image's console) and shows what each printed on the way out
(the counters)."""
import re
import signal
import socket
import subprocess
import sys

REQUESTS = ["SET greeting hello world", "GET greeting", "GET nothing", "SET greeting bye",
            "GET greeting", "SET", "\x00\xff garbage", "DELETE x"]


def start(command):
    service = subprocess.Popen(command + ["--netif", "udp:0"], stderr=subprocess.PIPE, text=True)
    line = service.stderr.readline()
    match = re.search(r"listening on UDP port (\d+)", line)
    if not match:
        print(f"{command[0]} did not start:", line, service.stderr.read(), file=sys.stderr)
        sys.exit(1)
    return service, int(match.group(1))


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            kids = [int(k) for k in f.read().split()]
        return [(k, open(f"/proc/{k}/comm").read().strip()) for k in kids]
    except OSError:
        return []


def boot(image):
    """The image in QEMU (TCG: every machine has it), port 7000 forwarded from a free port."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    qemu = ["qemu-system-x86_64", "-M", "microvm", "-m", "128", "-accel", "tcg", "-nodefaults", "-no-user-config",
            "-display", "none", "-serial", "stdio", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
            "-netdev", f"user,id=n0,hostfwd=udp:127.0.0.1:{port}-:7000", "-device", "virtio-net-device,netdev=n0",
            "-kernel", image]
    print("image: " + " ".join(qemu))
    service = subprocess.Popen(qemu, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    said = []
    while True:
        line = service.stdout.readline()
        said.append(line)
        if "listening on UDP port" in line:
            return service, port
        if not line:
            print("the image did not start:", "".join(said), file=sys.stderr)
            sys.exit(1)


unikernel, isolated = sys.argv[1], sys.argv[2]
services = {"unikernel": start([unikernel]), "isolated": start([isolated])}
if len(sys.argv) > 3:
    services["image"] = boot(sys.argv[3])
client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
client.settimeout(5)
print(f"unikernel: one process (pid {services['unikernel'][0].pid}) on 127.0.0.1:{services['unikernel'][1]}")
print(f"isolated:  launcher (pid {services['isolated'][0].pid}) on 127.0.0.1:{services['isolated'][1]}, components: "
      + ", ".join(f"{name} (pid {pid})" for pid, name in children(services["isolated"][0].pid)))
if "image" in services:
    print(f"image:     QEMU (pid {services['image'][0].pid}), the guest's port 7000 on 127.0.0.1:{services['image'][1]}")
print()
print("  " + f"{'request':<26} " + " ".join(f"{name:<16}" for name in services))
agree = True
for request in REQUESTS:
    replies = []
    for name in services:
        client.sendto(request.encode("latin-1"), ("127.0.0.1", services[name][1]))
        replies.append(client.recv(65535).decode(errors="replace"))
    same = all(r == replies[0] for r in replies)
    agree &= same
    shown = repr(request.encode("latin-1"))[1:]
    print(f"  {shown:<26} " + " ".join(f"{r:<16}" for r in replies) + ("" if same else " <- differs"))
print()
print(f"the {len(services)} builds agree on every reply" if agree else f"the {len(services)} builds DISAGREE")
ok = agree
for name, (service, _) in services.items():
    if name == "image":
        service.stdin.write("\x03")  # Ctrl-C at its console: a clean stop, QEMU ends with 33
        service.stdin.flush()
        rest, _ = service.communicate(timeout=30)
        print(f"--- image on Ctrl-C at its console (QEMU exit {service.returncode}: 33 is a clean stop):")
        ok &= service.returncode == 33
    else:
        service.send_signal(signal.SIGTERM)
        _, rest = service.communicate(timeout=5)
        print(f"--- {name} on SIGTERM (exit {service.returncode}):")
        ok &= service.returncode == 0
    print("\n".join("  " + l for l in rest.strip().splitlines()))
sys.exit(0 if ok else 1)

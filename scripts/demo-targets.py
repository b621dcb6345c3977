#!/usr/bin/env python3
"""make demo: the same kv source built for both targets, asked the same questions.

Starts the unikernel build (one process) and the isolated build (its launcher, which
starts a process per component) on free ports, sends both the same requests over UDP,
prints the replies side by side and says whether they agree, then stops both (SIGTERM)
and shows what each printed on the way out (the counters)."""
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


unikernel, isolated = sys.argv[1], sys.argv[2]
services = {"unikernel": start([unikernel]), "isolated": start([isolated])}
client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
client.settimeout(5)
print(f"unikernel: one process (pid {services['unikernel'][0].pid}) on 127.0.0.1:{services['unikernel'][1]}")
print(f"isolated:  launcher (pid {services['isolated'][0].pid}) on 127.0.0.1:{services['isolated'][1]}, components: "
      + ", ".join(f"{name} (pid {pid})" for pid, name in children(services["isolated"][0].pid)))
print()
print(f"  {'request':<26} {'unikernel':<16} {'isolated':<16}")
agree = True
for request in REQUESTS:
    replies = []
    for name in ["unikernel", "isolated"]:
        client.sendto(request.encode("latin-1"), ("127.0.0.1", services[name][1]))
        replies.append(client.recv(65535).decode(errors="replace"))
    same = replies[0] == replies[1]
    agree &= same
    shown = repr(request.encode("latin-1"))[1:]
    print(f"  {shown:<26} {replies[0]:<16} {replies[1]:<16} {'' if same else '<- differs'}")
print()
print("the two builds agree on every reply" if agree else "the two builds DISAGREE")
for name, (service, _) in services.items():
    service.send_signal(signal.SIGTERM)
    _, rest = service.communicate(timeout=5)
    print(f"--- {name} on SIGTERM (exit {service.returncode}):")
    print("\n".join("  " + l for l in rest.strip().splitlines()))
sys.exit(0 if agree and all(s.returncode == 0 for s, _ in services.values()) else 1)

#!/usr/bin/env python3
"""make demo: start a built kv service on a free port, send it a few requests over
UDP, print each request with its reply, then stop it (SIGTERM) and show its counters."""
import re
import signal
import socket
import subprocess
import sys

exe = sys.argv[1]
service = subprocess.Popen([exe, "--netif", "udp:0"], stderr=subprocess.PIPE, text=True)
line = service.stderr.readline()
match = re.search(r"listening on UDP port (\d+)", line)
if not match:
    print("kv did not start:", line, service.stderr.read(), file=sys.stderr)
    sys.exit(1)
port = int(match.group(1))
print(f"kv is listening on 127.0.0.1:{port} (its source says port 7000; --netif udp:0 moved it)")
client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
client.settimeout(5)
for request in ["SET greeting hello world", "GET greeting", "GET nothing", "SET greeting bye", "GET greeting", "DELETE x"]:
    client.sendto(request.encode(), ("127.0.0.1", port))
    reply = client.recv(65535).decode(errors="replace")
    print(f"  {request:<28} -> {reply}")
service.send_signal(signal.SIGTERM)
_, rest = service.communicate(timeout=5)
print(rest.strip())
sys.exit(0 if service.returncode == 0 else 1)

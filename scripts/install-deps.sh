#!/usr/bin/env bash
# Install the Debian packages Cleave needs, only those missing. Idempotent; needs root
# (or sudo) only when something is missing.
set -euo pipefail

packages=(
    libclang-dev   # C header imports (libclang, LLVM 14 on Debian 12)
    graphviz       # `dot`, to validate and render `cleave graph` output
    libpcap-dev    # the runtime's pcap netif (replaying captures, recording replies)
    libseccomp-dev # the isolated target's per-component sandbox (seccomp filters)
    netcat-openbsd # `nc`, to talk to a service by hand as the README and the examples show
    gdb            # source-level debugging of `cleave build -g` (a test sets a breakpoint on a .clv line)
    iputils-ping   # the stack's tests ping it over a TAP interface in a namespace
    arping         # ... and ask for its address with ARP
    tcpdump        # recording the frames the stack's capture tests replay
    qemu-system-x86  # booting the image target (cleave run --target image, its tests)
    slirp4netns    # Benchmarks/image.py: the hosted unikernel behind the same libslirp as QEMU's user network
    nsd            # the DNS example's reference: its tests ask NSD the same questions over the same zone
    python3-dnspython  # ... and read both servers' answers with it
    dnsutils       # `dig`, to ask the DNS example by hand as its README shows
    dnsperf        # Benchmarks/dns.py: queries/s and latency of the DNS example against NSD
    curl           # the HTTP example's tests and README talk to it with curl
    wrk            # Benchmarks/tcp.py: the HTTP example against nginx
    nginx          # ... serving the same pages (started by the benchmark, never as a system service)
    redis-server   # the RESP example's reference: its tests ask Redis the same commands; Benchmarks/tcp.py
    redis-tools    # `redis-cli` and `redis-benchmark`, against both
)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

echo "installing Debian packages: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
# Packages with a daemon (nginx, redis-server) must not start it as a system service: tests
# and benchmarks start their own on free ports. policy-rc.d says so to invoke-rc.d.
policy=/usr/sbin/policy-rc.d
made_policy=""
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null && $sudo chmod +x "$policy" && made_policy=1
fi
trap '[ -n "$made_policy" ] && $sudo rm -f "$policy"' EXIT
if ! { $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
    cat "$log"
    echo "scripts/install-deps.sh: installing ${missing[*]} failed" >&2
    exit 1
fi
rm -f "$log"

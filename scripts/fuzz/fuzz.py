#!/usr/bin/env python3
"""Cleave's fuzzers: every input surface, each for a time budget from a seed.

    fuzz.py [all|source|datagrams|streams|captures|frames|channels|image|zones ...]
            [--seconds S] [--seed N] [--inputs N]

  source     mutated programs through cleave check, dump and the C compiler
  datagrams  random and mutated datagrams over UDP to every example, both targets
  streams    mutated byte streams over TCP connections to every TCP example, both targets side by side
  captures   captures with malformed records replayed through every example (--netif pcap:IN:OUT)
  frames     random and mutated Ethernet frames through Examples/smoltcp-loop's own stack
  channels   mutated messages through the isolated target's generated checked readers
  image      frames (through QEMU's dgram network) and kernel command lines to kv's image, booted in QEMU
  zones      mutated zone files embedded in Examples/dns, through cleave check and, for a share, the service

Each fuzzer gets --seconds (and at most --inputs inputs); the same seed makes the
same inputs. A failing input is kept under Tests/Fuzz/found/ (--found), shrunk
where that is cheap, and replayed by the tests from then on. The run prints
what each fuzzer did and exits 1 if any input failed. scripts/fuzz/README.md
tells what counts as a failure for each.
"""

import argparse
import os
import random
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import ROOT, Budget, Corpus, Tally  # noqa: E402

FUZZERS = ["source", "datagrams", "streams", "captures", "frames", "channels", "image", "zones"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("fuzzers", nargs="*", default=["all"], help="all (default), or some of: " + ", ".join(FUZZERS))
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("FUZZ_SECONDS", 60)),
                        help="time budget of each fuzzer (default $FUZZ_SECONDS or 60)")
    parser.add_argument("--seed", type=int, default=int(os.environ.get("FUZZ_SEED", 0) or 0) or None,
                        help="random seed (default $FUZZ_SEED, or one from the clock, printed)")
    parser.add_argument("--inputs", type=int, default=10**9, help="at most this many inputs per fuzzer")
    parser.add_argument("--cleave", default=os.path.join(ROOT, ".build/debug/cleave"), help="the compiler to fuzz")
    parser.add_argument("--found", default=os.path.join(ROOT, "Tests/Fuzz/found"), help="where failing inputs are kept")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds one input may take (default 5; zones: 10, for zones near the embed limit)")
    parser.add_argument("--keep-work", action="store_true", help="keep the work directory (builds, captures)")
    args = parser.parse_args()

    chosen = FUZZERS if "all" in args.fuzzers else args.fuzzers
    unknown = [f for f in chosen if f not in FUZZERS]
    if unknown:
        parser.error("no such fuzzer: " + ", ".join(unknown))
    if not os.access(args.cleave, os.X_OK):
        parser.error(f"no compiler at {args.cleave} (swift build first)")
    seed = args.seed if args.seed is not None else int(time.time()) % 100000
    print(f"fuzz: seed {seed}, {args.seconds:g} s per fuzzer: {' '.join(chosen)}", flush=True)

    work = tempfile.mkdtemp(prefix="cleave-fuzz-")
    corpus = Corpus(args.found)
    tallies = []
    try:
        for name in chosen:
            tally = Tally(name)
            tallies.append(tally)
            # Each fuzzer its own generator, so one fuzzer's inputs do not depend on which others ran.
            rng = random.Random(f"{seed}-{name}")
            budget = Budget(args.seconds, args.inputs)
            folder = os.path.join(work, name)
            os.makedirs(folder)
            # The services built once for every fuzzer that runs them.
            args.builds = os.path.join(work, "builds")
            os.makedirs(args.builds, exist_ok=True)
            started = time.monotonic()
            run_fuzzer(name, rng, budget, tally, corpus, args, folder)
            tally.seconds = time.monotonic() - started
            print(tally.summary(), flush=True)
            for note in tally.notes:
                print(f"  {note}")
    finally:
        if args.keep_work:
            print(f"fuzz: work directory {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    failures = [(t.name, what, kept) for t in tallies for what, kept in t.failures]
    total = sum(t.inputs for t in tallies)
    seconds = sum(t.seconds for t in tallies)
    print(f"fuzz: {total} inputs in {seconds:.1f} s, {len(failures)} failures (seed {seed})")
    for name, what, kept in failures:
        print(f"  {name}: {what}" + (f" -> {kept}" if kept else ""))
    return 1 if failures else 0


def log(message):
    print(message, flush=True)


def run_fuzzer(name, rng, budget, tally, corpus, args, work):
    # Seconds one input may take: a zone near the embed limit takes several to check.
    timeout = args.timeout if args.timeout is not None else (10.0 if name == "zones" else 5.0)
    if name == "source":
        import source
        source.fuzz(rng, budget, tally, corpus, args.cleave, work, timeout=timeout, log=log)
    elif name == "datagrams":
        import services
        services.fuzz_datagrams(rng, budget, tally, corpus, args.cleave, args.builds, log=log)
    elif name == "streams":
        import streams
        streams.fuzz(rng, budget, tally, corpus, args.cleave, args.builds, timeout=timeout, log=log)
    elif name == "captures":
        import services
        services.fuzz_captures(rng, budget, tally, corpus, args.cleave, args.builds, work, timeout=timeout, log=log)
    elif name == "frames":
        import frames
        frames.fuzz(rng, budget, tally, corpus, args.cleave, work, timeout=timeout, log=log)
    elif name == "channels":
        import channels
        channels.fuzz(rng, budget, tally, corpus, args.cleave, work, timeout=timeout, log=log)
    elif name == "image":
        import image
        image.fuzz(rng, budget, tally, corpus, args.cleave, work, timeout=timeout, log=log)
    elif name == "zones":
        import zones
        zones.fuzz(rng, budget, tally, corpus, args.cleave, work, timeout=timeout, log=log)


if __name__ == "__main__":
    sys.exit(main())

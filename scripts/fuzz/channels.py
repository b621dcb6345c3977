"""The channel fuzzer: malformed messages through the isolated target's
generated checked readers.

Every example, and Tests/Fuzz/wire.clv (a value of every kind that can cross),
is built for the isolated target with its C kept (`--emit-c`). For each
component that receives on a channel, the harness (channel_harness.c, which
says how it works) is built around the component's generated C and the
runtime, with AddressSanitizer and UndefinedBehaviorSanitizer, and run for
rounds of inputs with new seeds until the time is up. A message must be
refused with a reason or accepted as a sound value; a crash, a sanitizer's
report (an allocation of more than 64 MiB among them: a reader must not be
made to allocate far more than it was sent), a read that takes too long, or a
valid message refused fails, and the
message is kept under found/channels/ as PROGRAM-COMPONENT-CHANNEL-HASH.bin.
"""

import glob
import os
import re
from concurrent.futures import ThreadPoolExecutor

from common import ROOT, run

HERE = os.path.dirname(os.path.abspath(__file__))
RUNTIME = os.path.join(ROOT, "Sources/CleaveRuntime/C")
PROGRAMS = [(os.path.basename(os.path.dirname(p)), p) for p in sorted(glob.glob(os.path.join(ROOT, "Examples/*/*.clv")))]
PROGRAMS.append(("wire", os.path.join(ROOT, "Tests/Fuzz/wire.clv")))
PRIMITIVES = ["cl_get", "cl_get_bool", "cl_get_bytes", "cl_get_count", "cl_get_fail"]
SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"]
RECEIVE = re.compile(r"cl_channel_receive\((\d+), &\w+, &(\w+)\);")


def runtime_objects(work, cc):
    """The runtime compiled once, as a component links it; component.c's own main renamed out of the way."""
    folder = os.path.join(work, "runtime")
    os.makedirs(folder, exist_ok=True)
    # A Linux process's runtime: every folder but image/ (a bootable image's platform).
    sources = [s for s in sorted(glob.glob(os.path.join(RUNTIME, "*", "*.c")))
               if os.path.relpath(s, RUNTIME) not in ("hosted/service_main.c", "isolated/launcher.c", "hosted/components.c")
               and not os.path.relpath(s, RUNTIME).startswith("image/")]

    def compile_one(source):
        name = os.path.basename(source)
        obj = os.path.join(folder, name[:-2] + ".o")
        if not os.path.exists(obj):
            extra = ["-Dmain=cl_component_process_main"] if name == "component.c" else []
            r = run([cc, "-std=c11", "-D_DEFAULT_SOURCE", "-O1", "-g", "-c", "-I", RUNTIME, source, "-o", obj] + SANITIZE
                    + extra, 300)
            if r.status != 0:
                raise RuntimeError(f"compiling {name} for the harness failed:\n{r.stderr[-2000:]}")
        return obj

    with ThreadPoolExecutor(os.cpu_count() or 1) as pool:
        return list(pool.map(compile_one, sources))


def harnesses(cleave, program, source, work, cc):
    """(component, executable) for every component of `program` that receives on a channel."""
    out = os.path.join(work, program)
    c_dir = out + "-c"
    if not os.path.isdir(c_dir):
        r = run([cleave, "build", source, "--target", "isolated", "--emit-c", c_dir, "-o", out + ".d"], 300)
        if r.status != 0:
            raise RuntimeError(f"cleave build {program} --target isolated failed:\n{r.stderr[-2000:]}")
    objects = runtime_objects(work, cc)
    made = []
    for c_file in sorted(glob.glob(os.path.join(c_dir, "*.c"))):
        component = os.path.basename(c_file)[:-2]
        if component == "run":
            continue
        with open(c_file) as f:
            types = sorted({(int(k), t) for k, t in RECEIVE.findall(f.read())})
        if not types:
            continue
        exe = os.path.join(work, f"{program}-{component}-harness")
        if not os.path.exists(exe):
            wrapper = exe + ".c"
            with open(wrapper, "w") as f:
                f.write("/* The channel harness around one component (written by scripts/fuzz/channels.py). */\n")
                f.writelines(f"#define {p} fz_{p[3:]}\n" for p in PRIMITIVES)
                f.write(f'#include "{c_file}"\n')
                f.writelines(f"#undef {p}\n" for p in PRIMITIVES)
                table = ", ".join(f"[{k}] = &{t}" for k, t in types)
                f.write(f"static const cl_type *const fuzz_types[{max(k for k, _ in types) + 1}] = {{{table}}};\n")
                f.write(f'#include "{os.path.join(HERE, "channel_harness.c")}"\n')
            r = run([cc, "-std=c11", "-D_DEFAULT_SOURCE", "-O1", "-g", "-w", "-I", RUNTIME, wrapper, "-o", exe] + objects
                    + SANITIZE + ["-lpcap", "-lseccomp", "-lm"], 300)
            if r.status != 0:
                raise RuntimeError(f"building the harness of {program}'s {component} failed:\n{r.stderr[-3000:]}")
        made.append((component, exe))
    return made


# The sanitizers' settings: stop at the first report; no leak report (the runtime keeps its regions);
# one allocation of more than 64 MiB is a failure (no message of the harness's 64 KiB may need it).
SANITIZER_ENV = {
    "ASAN_OPTIONS": "detect_leaks=0:max_allocation_size_mb=64:exitcode=86",
    "UBSAN_OPTIONS": "print_stacktrace=1:exitcode=87",
}


def fuzz(rng, budget, tally, corpus, cleave, work, timeout=5.0, log=print):
    cc = os.environ.get("CC", "cc")
    runtime_objects(work, cc)
    with ThreadPoolExecutor(os.cpu_count() or 1) as pool:
        built = list(pool.map(lambda p: [(p[0], c, exe) for c, exe in harnesses(cleave, p[0], p[1], work, cc)], PROGRAMS))
    targets = [t for ts in built for t in ts]
    env = dict(os.environ, **SANITIZER_ENV)
    rounds = 0
    while budget.more() or rounds < len(targets):
        program, component, exe = targets[rounds % len(targets)]
        rounds += 1
        found = os.path.join(work, f"found-{rounds}")
        os.makedirs(found)
        seed = rng.randrange(1 << 62)
        count = 500
        outcome = run([exe, "fuzz", str(seed), str(count), found], timeout * 20 + 5, env=env)
        m = re.search(r"(\d+) inputs", outcome.stdout)
        done = int(m.group(1)) if m else 0
        budget.take(done)
        tally.inputs += done
        if outcome.status == 0:
            continue
        reason = outcome.stdout.strip().splitlines()[-1:] or [f"exit status {outcome.status}"]
        if outcome.status not in (0, 1):
            report = [line for line in outcome.stderr.splitlines() if "ERROR" in line or "runtime error" in line]
            reason = report[:1] or [f"died with status {outcome.status}"]
        if outcome.timed_out:
            reason = ["the harness did not end"]
        kept = []
        for name in sorted(os.listdir(found)):
            channel = name.rsplit("-", 1)[-1][:-4]
            with open(os.path.join(found, name), "rb") as f:
                kept.append(corpus.keep("channels", f"{program}-{component}-{channel}", f.read(), ".bin"))
        what = f"{program} component {component} (seed {seed}): {reason[0][:300]}"
        tally.fail(what, ", ".join(kept) if kept else None)
        log(f"  channels: {what}" + (f": kept {', '.join(kept)}" if kept else ""))

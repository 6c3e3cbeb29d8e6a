#!/usr/bin/env python3
"""The personalisation job's four-mode table: measured under QEMU, written
to bench/personalise.json and rendered into README.md.

    python3 firmware/personalise.py           # measure, write the JSON and the README block
    python3 firmware/personalise.py --check   # the README block is what the JSON gives
    python3 firmware/personalise.py --verify  # measure again: accuracy, digests, RAM and checkpoint
                                              # sizes are still the JSON's (instruction counts and
                                              # code sizes move with the build: reported only)

Measuring builds firmware/'s qemu-personalise-{full,head,bias,int8} with
`cargo build --release` (the `release` profile, the one `cargo run --release`
and CI use), runs each under QEMU mps2-an386 (qemu-run.sh: -icount shift=0,
so instruction counts are exact and repeatable) and reads from the log the
accuracy before and after, the instructions of the 1000 fine-tuning steps,
the job's RAM (network + trainer + staging rows, size_of on the target),
the stack high-water mark, the digest of the fine-tuned network and the
size of its checkpoint (saved to the two-slot store and read back); from
the ELF (readelf) the code, flash and RAM of the binary, less the digits
tables the job reads its data from. Then it runs
`cargo run --release -p microprop-sim -- simulate --job personalise` and
fails unless every mode's accuracy and digest are QEMU's: the host
simulator runs the same job to the same bits.

Needs what firmware/ci.sh installs (QEMU, flip-link, defmt-print) and
readelf. Standard library only.
"""

import datetime
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRMWARE = ROOT / "firmware"
JSON = ROOT / "bench" / "personalise.json"
README = ROOT / "README.md"
COMMAND = "python3 firmware/personalise.py"
BLOCK = "personalise"
# (binary suffix, mode name in the logs, what trains)
MODES = [
    ("full", "full", "every weight and bias (pretrained network copied to RAM)"),
    ("head", "head-only", "the output layer; hidden layer read from flash (`Flash`)"),
    ("bias", "bias-only", "every bias (TinyTL, `BiasOnly`); weights in RAM, frozen"),
    ("int8", "int8-backbone", "the output layer; int8 hidden layer in flash (`QuantizedDense`)"),
]
DATA_TABLES = ("TRAIN_PIXELS", "TRAIN_LABELS", "TEST_PIXELS", "TEST_LABELS")
# The RAM standing in for the checkpoint store's NOR flash under QEMU.
SIMULATED_FLASH = ("NOR_FLASH",)


def run(cmd, cwd):
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"`{' '.join(cmd)}` failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result.stdout


def one(pattern, log, what):
    found = re.search(pattern, log, re.M)
    if not found:
        sys.exit(f"no {what} line in the log:\n{log}")
    return found


def sections(elf):
    sizes = {}
    for line in run(["readelf", "-SW", str(elf)], FIRMWARE).splitlines():
        cols = line.replace("[ ", "[").split()
        if len(cols) > 5 and cols[0].startswith("[") and cols[1].startswith("."):
            sizes[cols[1]] = int(cols[5], 16)
    return sizes


def symbol_bytes(elf, names):
    """Summed size of the symbols whose (mangled) name contains one of `names`."""
    total = 0
    for line in run(["readelf", "-sW", str(elf)], FIRMWARE).splitlines():
        cols = line.split()
        if len(cols) >= 8 and any(name in cols[7] for name in names):
            total += int(cols[2], 0)
    return total


def measure():
    bins = [f"qemu-personalise-{suffix}" for suffix, _, _ in MODES]
    build = ["cargo", "build", "--release", "--locked"] + [a for b in bins for a in ("--bin", b)]
    print("personalise: " + " ".join(build), file=sys.stderr)
    run(build, FIRMWARE)
    elf_dir = FIRMWARE / "target" / "thumbv7em-none-eabihf" / "release"
    modes = []
    for (suffix, name, trains), binary in zip(MODES, bins):
        elf = elf_dir / binary
        print(f"personalise: running {binary} under QEMU", file=sys.stderr)
        log = run(["./qemu-run.sh", str(elf)], FIRMWARE)
        ram = one(rf"personalise {name}: RAM (\d+) B, model in flash (\d+) B", log, "RAM")
        acc = {}
        for when in ("before", "after"):
            m = one(rf"personalise {name} {when}: new (\d+) of (\d+), old (\d+) of (\d+)", log, when)
            acc[when] = {"new": int(m[1]), "old": int(m[3])}
            rows = int(m[2])
        bench = one(rf"bench personalise-{name} step: (\d+) instructions / (\d+) samples", log, "bench")
        digest = one(rf"digest personalise-{name}: (.*)$", log, "digest")[1].strip()
        stack = one(r"stack high-water (\d+) of", log, "stack")
        s = sections(elf)
        data = symbol_bytes(elf, DATA_TABLES)
        nor = symbol_bytes(elf, SIMULATED_FLASH)
        saved = one(r"checkpoint: (\d+) B saved to flash as sequence \d+, reloaded bit for bit", log, "checkpoint")
        code = s.get(".vector_table", 0) + s.get(".text", 0)
        flash = code + s.get(".rodata", 0) + s.get(".data", 0) - nor
        modes.append({
            "mode": name,
            "binary": binary,
            "trains": trains,
            "eval_rows": rows,
            "before": acc["before"],
            "after": acc["after"],
            "steps": int(bench[2]),
            "instructions": int(bench[1]),
            "instructions_per_step": round(int(bench[1]) / int(bench[2])),
            "job_ram_bytes": int(ram[1]),
            "model_flash_bytes": int(ram[2]),
            "code_bytes": code,
            "flash_bytes": flash,
            "data_set_bytes": data,
            "ram_bytes": s.get(".data", 0) + s.get(".bss", 0) + s.get(".uninit", 0) - nor,
            "simulated_flash_bytes": nor,
            "checkpoint_bytes": int(saved[1]),
            "stack_bytes": int(stack[1]),
            "digest": digest,
        })
    simulated = simulate()
    for m in modes:
        host = simulated.get(m["mode"])
        qemu = (m["before"]["new"], m["after"]["new"], m["before"]["old"], m["after"]["old"], m["digest"])
        if host != qemu:
            sys.exit(f"{m['mode']}: microprop-sim simulate gives {host}, QEMU {qemu}")
        print(f"personalise: {m['mode']}: simulate and QEMU agree bit for bit", file=sys.stderr)
    return modes


def simulate():
    """`microprop-sim simulate --job personalise`: mode -> (new before,
    new after, old before, old after, digest)."""
    cmd = ["cargo", "run", "--release", "--locked", "-q", "-p", "microprop-sim", "--",
           "simulate", "--job", "personalise"]
    print("personalise: " + " ".join(cmd), file=sys.stderr)
    out = run(cmd, ROOT)
    found = {}
    for suffix, name, _ in MODES:
        m = one(rf"^\s*{name}: new user\s+(\d+) ->\s+(\d+) of \d+, others\s+(\d+) ->\s+(\d+) of", out, name)
        d = one(rf"^digest personalise-{name}: (.*)$", out, f"{name} digest")
        found[name] = (int(m[1]), int(m[2]), int(m[3]), int(m[4]), d[1].strip())
    return found


def metadata():
    commit = run(["git", "rev-parse", "HEAD"], ROOT).strip()
    if run(["git", "status", "--porcelain"], ROOT).strip():
        commit += "-dirty"
    return {
        "command": COMMAND,
        "profile": "release",
        "git_commit": commit,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "rustc": run(["rustc", "--version"], ROOT).strip(),
        "qemu": run(["qemu-system-arm", "--version"], ROOT).splitlines()[0],
    }


def n(value):
    return f"{value:,}"


def block(doc):
    modes = doc["modes"]
    rows = modes[0]["eval_rows"]
    lines = [
        f"| mode | what trains | new user's digits, before → after (of {rows}) "
        f"| others, before → after | job RAM | flash less data | binary RAM | checkpoint | instructions / step |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for m in modes:
        b, a = m["before"], m["after"]
        lines.append(
            f"| {m['mode']} | {m['trains']} | {b['new']} → {a['new']} | {b['old']} → {a['old']} "
            f"| {n(m['job_ram_bytes'])} B | {n(m['flash_bytes'] - m['data_set_bytes'])} B "
            f"| {n(m['ram_bytes'])} B | {n(m['checkpoint_bytes'])} B | {n(m['instructions_per_step'])} |"
        )
    full = modes[0]
    lines += [
        "",
        f"Generated by `{doc['command']}` from `bench/personalise.json` (profile "
        f"`{doc['profile']}`, commit `{doc['git_commit'][:12]}`, {doc['rustc']}, {doc['qemu']}): "
        f"one binary per mode, `qemu-personalise-<mode>`, on QEMU mps2-an386 (Cortex-M4F). "
        f"Job RAM is the mode's network, trainer and staging rows (`size_of` on the target); "
        f"flash less data is vector table + `.text` + `.rodata` + `.data` without the digits "
        f"tables ({n(full['data_set_bytes'])} B) and without the checkpoint store's two slots; binary RAM is "
        f"`.data` + `.bss` without the RAM that stands in for those slots' NOR flash under QEMU (a "
        f"`.data` static of erased bytes, so neither column counts it); checkpoint is the "
        f"fine-tuned network's checkpoint, saved to that store and read back bit for bit (a "
        f"backbone in flash is stored as a CRC of its weights); instructions "
        f"per step are the {n(full['steps'])} steps' total (batch of the new digit and replayed "
        f"ones, reading the digits from flash included) over the steps. "
        f"`microprop-sim simulate --job personalise` runs the same job on the host and the "
        f"script fails unless its accuracies and weight digests equal QEMU's.",
    ]
    return lines


def replace_block(text, lines):
    pattern = re.compile(rf"(<!-- {BLOCK}:begin[^>]*-->\n)(.*?)(<!-- {BLOCK}:end -->)", re.S)
    if not pattern.search(text):
        sys.exit(f"{README}: no <!-- {BLOCK}:begin --> ... <!-- {BLOCK}:end --> markers")
    return pattern.sub(lambda mo: mo.group(1) + "\n".join(lines) + "\n" + mo.group(3), text, count=1)


# What --verify requires to be unchanged: what the code computes, the same
# in every build of it.
EXACT = ("mode", "before", "after", "steps", "job_ram_bytes", "model_flash_bytes", "data_set_bytes",
         "checkpoint_bytes", "digest")
# What the build decides: code layout moves with anything that changes
# symbol hashes or link order, the checkout's path included (a clone
# elsewhere measured 64 B less code and 0.07 % fewer instructions for the
# same commit). --verify reports these; measuring rewrites them.
BUILD = ("instructions", "code_bytes", "flash_bytes", "ram_bytes", "simulated_flash_bytes",
         "stack_bytes")


def main():
    args = sys.argv[1:]
    if args == ["--check"]:
        doc = json.loads(JSON.read_text())
        text = README.read_text()
        if replace_block(text, block(doc)) != text:
            sys.exit(f"README.md's `{BLOCK}` block differs from bench/personalise.json: run `{COMMAND}`")
        print(f"README.md's {BLOCK} block matches bench/personalise.json")
        return
    if args == ["--verify"]:
        doc = json.loads(JSON.read_text())
        fresh = measure()
        differ = lambda keys: [
            f"{m['mode']}.{k}: committed {m[k]}, measured {f[k]}"
            for m, f in zip(doc["modes"], fresh)
            for k in keys
            if m[k] != f[k]
        ]
        stale, moved = differ(EXACT), differ(BUILD)
        if moved:
            print("build-dependent figures differ in this build (not an error):\n  " + "\n  ".join(moved))
        if stale or len(fresh) != len(doc["modes"]):
            sys.exit("bench/personalise.json is stale:\n  " + "\n  ".join(stale) + f"\nrun `{COMMAND}`")
        print("bench/personalise.json holds what the code computes (accuracy, digests, RAM, checkpoints)")
        return
    if args:
        sys.exit(__doc__)
    doc = {**metadata(), "modes": measure()}
    JSON.write_text(json.dumps(doc, indent=2) + "\n")
    README.write_text(replace_block(README.read_text(), block(doc)))
    print("\n".join(block(doc)))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Regenerates the MCU benchmark tables of README.md, firmware/README.md and
docs/FAST_MATH.md.

    bash firmware/bench-mcu.sh            # measures: firmware/target/bench-mcu.json
    python3 firmware/bench-tables.py      # copies it to bench/mcu.json, rewrites the documents
    python3 firmware/bench-tables.py --check   # documents == what bench/*.json give? (CI)
    python3 firmware/bench-tables.py --print [--json PATH]   # the tables on stdout only

Inputs: the measurement (bench-mcu.sh's JSON; bench/mcu.json is the committed
copy the READMEs were generated from), bench/peers-mcu.json (AIfES and
tinymind at -O2 and -Os, transcribed from shared/peers/RESULTS.md with their
provenance) and bench/goals-mcu.json (issue 11's goals). Output: the text
between `<!-- bench-mcu:begin ... -->` and `<!-- bench-mcu:end -->` (the
tables) and between `<!-- bench-mcu-digits:begin ... -->` and
`<!-- bench-mcu-digits:end -->` (the digits job's size sentence) in both
READMEs, and between `<!-- bench-mcu-profile:begin ... -->` and
`<!-- bench-mcu-profile:end -->` in README.md (the recommended profile as
measured, and what the W2 firmware weighs in it). Variants measured beside
the default build (`bash firmware/bench-mcu.sh --features fast-math` and
`--profile firmware-s`, copied to bench/mcu-fast-math.json and
bench/mcu-firmware-s.json when newer) are compared with it between
`<!-- bench-mcu-<variant>:begin ... -->` and `<!-- bench-mcu-<variant>:end -->`
in docs/FAST_MATH.md and firmware/README.md. Nothing else in them is
touched; no figure inside the markers is typed by hand. `--check` also
fails if the `firmware` profile of firmware/Cargo.toml or
examples/starter/Cargo.toml is not the one measured. Python 3 standard
library only.
"""

import argparse
import json
import re
import shutil
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MEASURED = ROOT / "firmware/target/bench-mcu.json"
SNAPSHOT = ROOT / "bench/mcu.json"
PEERS = ROOT / "bench/peers-mcu.json"
GOALS = ROOT / "bench/goals-mcu.json"
READMES = [ROOT / "README.md", ROOT / "firmware/README.md"]
# The profile the READMEs recommend, defined in both crates' Cargo.toml.
PROFILE_DEFINED_IN = [ROOT / "firmware/Cargo.toml", ROOT / "examples/starter/Cargo.toml"]
GENERATOR = "python3 firmware/bench-tables.py"
# Variants measured beside the default build, each compared with it in one
# block of one document: name -> (snapshot, bench-mcu.sh's output, document,
# the command that measures it, what differs).
VARIANTS = {
    "fast-math": (
        ROOT / "bench/mcu-fast-math.json",
        ROOT / "firmware/target/bench-mcu-fast-math.json",
        ROOT / "docs/FAST_MATH.md",
        "bash firmware/bench-mcu.sh --features fast-math",
        "feature `fast-math`",
    ),
    "firmware-s": (
        ROOT / "bench/mcu-firmware-s.json",
        ROOT / "firmware/target/bench-mcu-firmware-s.json",
        ROOT / "firmware/README.md",
        "bash firmware/bench-mcu.sh --profile firmware-s",
        "profile `firmware-s`",
    ),
}
DOCUMENTS = READMES + [v[2] for v in VARIANTS.values() if v[2] not in READMES]


def n(value, digits=0):
    """1234567.8 -> '1,234,568' (or with `digits` decimals)."""
    return f"{value:,.{digits}f}"


def ratio(a, b):
    return f"{a / b:.1f}x" if a >= b else f"{a / b:.2f}x"


def profile_text(m):
    s = m.get("profile_settings", {})
    parts = []
    if "opt-level" in s:
        parts.append(f"opt-level {json.dumps(s['opt-level'])}")
    if "lto" in s:
        parts.append(f"{s['lto']} LTO" if isinstance(s["lto"], str) else f"lto {json.dumps(s['lto'])}")
    if "codegen-units" in s:
        parts.append(f"codegen-units {s['codegen-units']}")
    text = f"`{m['profile']}` ({', '.join(parts)})" if parts else f"`{m['profile']}`"
    if m.get("features"):
        text += f", features `{','.join(m['features'])}`"
    return text


def provenance(m):
    return (
        f"Profile {profile_text(m)} of `firmware/Cargo.toml` for every number; "
        f"{m['rustc'].split(' (')[0]}, {m['qemu'].replace('QEMU emulator version', 'QEMU')}, "
        f"commit `{m['git_commit'][:12]}{'-dirty' if m['git_commit'].endswith('-dirty') else ''}`, {m['date'][:10]}."
    )


def peer_value(peers, key, peer, opt):
    comparable = peers["comparable_workload"].get(key)
    if comparable is None:
        return None
    return peers["instructions_per_sample"][comparable][peer][opt]


def speed_table(m, peers, goals):
    rows = [
        "| workload (batch 1) | instructions / sample | MACs / sample | instructions / MAC "
        "| AIfES 2.2 -O2 | AIfES -Os | tinymind -O2 | tinymind -Os | goal | met? |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for key, w in m["workloads"].items():
        cells = [w["label"], n(w["instructions_per_sample"]), n(w["macs_per_sample"]), n(w["instructions_per_mac"], 2)]
        for peer in ("aifes", "tinymind"):
            for opt in ("O2", "Os"):
                v = peer_value(peers, key, peer, opt)
                cells.append("–" if v is None else n(v))
        goal = goals["instructions_per_sample"].get(key)
        if goal is None:
            cells += ["–", "–"]
        else:
            cells += [f"≤ {n(goal)}", "yes" if w["instructions_per_sample"] <= goal else "no"]
        rows.append("| " + " | ".join(cells) + " |")
    return rows


def firmware_goals(m, goals):
    """[(label, how, measured bytes or None, max bytes, met or None)]"""
    out = []
    binaries = m["binaries"]
    measured = {}
    for g in goals["firmware"]:
        measure, value, how = g.get("measure"), None, "no binary measures it yet"
        if measure == "text_minus" and g["binary"] in binaries and g["baseline"] in binaries:
            value = binaries[g["binary"]]["text_bytes"] - binaries[g["baseline"]]["text_bytes"]
            how = f"code of `{g['binary']}` − `{g['baseline']}`"
        elif measure == "stack" and g["binary"] in binaries:
            value = binaries[g["binary"]]["stack_bytes"]
            how = f"`{g['binary']}`"
        measured[g["key"]] = value
        # A limit relative to another goal's measurement (e.g. 1.5x the
        # recommended profile's code), or an absolute one.
        if "max_factor_of" in g:
            base = measured.get(g["max_factor_of"])
            limit = None if base is None else round(base * g["max_factor"])
        else:
            limit = g["max_bytes"]
        met = None if value is None or limit is None else value <= limit
        out.append((g["label"], how, value, limit, met))
    return out


def goals_table(m, goals):
    rows = ["| goal (issue 11) | measured on | measured | goal | met? |", "|---|---|---:|---:|---|"]
    for label, how, value, limit, met in firmware_goals(m, goals):
        rows.append(
            f"| {label} | {how} | {'not measured' if value is None else n(value) + ' B'} "
            f"| {'–' if limit is None else '≤ ' + n(limit) + ' B'} "
            f"| {'–' if met is None else ('yes' if met else 'no')} |"
        )
    return rows


HARNESS = ("microprop_firmware::", "Reset", "_defmt", "bench_", "__cortex_m_rt", "DefaultHandler")


def busiest(m, binary, top=4, least=0.02):
    """'name share%, ...': the binary's busiest functions outside the harness."""
    profile = m["binaries"].get(binary, {}).get("busiest_functions")
    if not profile:
        return None
    found = [f for f in profile["functions"] if not f["function"].startswith(HARNESS) and f["share"] >= least]
    return ", ".join(f"`{f['function']}` {100 * f['share']:.0f}%" for f in found[:top])


def grown(m, binary, baseline, top=5):
    """'name +bytes B, ...': the functions that make `binary`'s code larger than `baseline`'s."""
    mine = m["binaries"].get(binary, {}).get("code_symbols")
    base = m["binaries"].get(baseline, {}).get("code_symbols")
    if mine is None or base is None:
        return None
    growth = sorted(((size - base.get(name, 0), name) for name, size in mine.items()), reverse=True)
    return ", ".join(f"`{name}` +{n(bytes)} B" for bytes, name in growth[:top] if bytes > 0)


def blockers_table(m, goals):
    """One row per unmet goal: measured, goal, where it goes (generated) and why (goals JSON).

    A reason may quote the measured JSON's multiply-adds per sample as
    `{macs[KEY]}` and twice them as `{two_macs[KEY]}` (KEY: a workload), so
    that no count in it is typed by hand."""
    figures = {
        "macs": {k: n(w["macs_per_sample"]) for k, w in m["workloads"].items()},
        "two_macs": {k: n(2 * w["macs_per_sample"]) for k, w in m["workloads"].items()},
    }
    why = {key: text.format(**figures) for key, text in goals.get("blockers", {}).items()}
    rows = [
        "| unmet goal | measured | goal | where it goes (generated) | what stands in the way |",
        "|---|---:|---:|---|---|",
    ]
    profiled_on = goals.get("profiled_on", {})
    for key, w in m["workloads"].items():
        goal = goals["instructions_per_sample"].get(key)
        if goal is None or w["instructions_per_sample"] <= goal:
            continue
        binary = profiled_on.get(key, w["binary"])
        where = busiest(m, binary)
        where = f"busiest in `{binary}` (share of its whole run): {where}" if where else "not profiled"
        rows.append(
            f"| {w['label']} | {n(w['instructions_per_sample'])} | ≤ {n(goal)} | {where} "
            f"| {why.get(key, 'not analysed yet')} |"
        )
    for g, (label, _, value, limit, met) in zip(goals["firmware"], firmware_goals(m, goals)):
        if met is not False:
            continue
        where = grown(m, g["binary"], g["baseline"]) if "baseline" in g else None
        where = f"`{g['binary']}` over `{g['baseline']}`: {where}" if where else "no symbol sizes"
        rows.append(
            f"| {label} | {n(value)} B | ≤ {n(limit)} B | {where} | {why.get(g['key'], 'not analysed yet')} |"
        )
    return rows if len(rows) > 2 else []


def firmware_vs_peers(m, peers):
    b = m["binaries"]["bench-w2-adam-fused"]
    rows_bytes = b.get("bench_rows_bytes", 0)
    rows = [
        "| W2 Adam training firmware | flash B | flash without data set | RAM B | RAM without data set | stack B |",
        "|---|---:|---:|---:|---:|---:|",
        f"| microprop `bench-w2-adam-fused`, profile `{m['profile']}` | {n(b['flash_bytes'])} "
        f"| {n(b['flash_bytes'] - b['data_set_bytes'])} | {n(b['ram_bytes'])} "
        f"| {n(b['ram_bytes'] - rows_bytes)} | {n(b['stack_bytes'])} |",
    ]
    fw = peers["w2_adam_training_firmware"]
    for peer, name in (("aifes", "AIfES 2.2"), ("tinymind", "tinymind")):
        for opt in ("O2", "Os"):
            p = fw[peer][opt]
            rows.append(
                f"| {name} -{opt} | {n(p['flash_bytes'])} | {n(p['flash_bytes'])} | {n(p['ram_bytes'])} "
                f"| {n(p['ram_without_data_set_bytes'])} | {n(p['stack_bytes'])} |"
            )
    return rows


def binaries_table(m):
    rows = [
        "| binary | code (vectors + .text) | .rodata (of which data set) | flash | RAM (.data + .bss) | stack high-water |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, b in m["binaries"].items():
        stack = "–" if b.get("stack_bytes") is None else n(b["stack_bytes"])
        rows.append(
            f"| `{name}` | {n(b['text_bytes'])} | {n(b['rodata_bytes'])} ({n(b['data_set_bytes'])}) "
            f"| {n(b['flash_bytes'])} | {n(b['ram_bytes'])} | {stack} |"
        )
    return rows


def summary(m, peers, goals):
    """Generated prose: how the workloads compare and which goals are met."""
    lines = []
    for peer, name in (("aifes", "AIfES"), ("tinymind", "tinymind")):
        faster, slower = [], []
        for key, w in m["workloads"].items():
            values = [peer_value(peers, key, peer, opt) for opt in ("O2", "Os")]
            if None in values:
                continue
            best = min(values)
            r = best / w["instructions_per_sample"]
            (faster if r > 1 else slower).append((r, w["label"]))
        text = f"Against {name}'s faster build: fewer instructions on {len(faster)} of {len(faster) + len(slower)} workloads"
        if faster:
            text += f" ({ratio(min(faster)[0], 1)} to {ratio(max(faster)[0], 1)} fewer)"
        if slower:
            text += "; more on " + ", ".join(f"{label} ({ratio(1, r)} as many)" for r, label in sorted(slower))
        lines.append(text + ".")
    speed = [
        (w["label"], w["instructions_per_sample"] <= goals["instructions_per_sample"][key])
        for key, w in m["workloads"].items()
        if key in goals["instructions_per_sample"]
    ]
    sizes = firmware_goals(m, goals)
    met = [label for label, ok in speed if ok] + [g[0] for g in sizes if g[4]]
    unmet = [label for label, ok in speed if not ok] + [g[0] for g in sizes if g[4] is False]
    unmeasured = [g[0] for g in sizes if g[4] is None]
    text = f"Issue 11's goals: {len(met)} of {len(met) + len(unmet) + len(unmeasured)} met"
    if met:
        text += " (" + "; ".join(met) + ")"
    if unmeasured:
        text += f", {len(unmeasured)} not measured yet (" + "; ".join(unmeasured) + ")"
    lines.append(text + ".")
    return lines


def tables_block(m, peers, goals, source):
    out = [
        f"Generated by `{GENERATOR}` from `{source}`, the output of `{m['command']}`. "
        + provenance(m)
        + " Peers: `bench/peers-mcu.json` (shared/peers/RESULTS.md: AIfES "
        f"`{peers['peers']['aifes']['commit'][:12]}`, tinymind `{peers['peers']['tinymind']['commit'][:12]}`, "
        f"{peers['toolchain'].split(' (')[0]} -O2 / -Os, QEMU 7.2 mps2-an386, every instruction counted); "
        "goals: `bench/goals-mcu.json` (issue 11).",
        "",
    ]
    out += speed_table(m, peers, goals)
    out += [""]
    out += goals_table(m, goals)
    out += [""]
    out += summary(m, peers, goals)
    out += [""]
    blockers = blockers_table(m, goals)
    if blockers:
        out += [
            "Where each unmet goal's instructions or bytes go (bench-mcu.sh profiles every bench binary "
            "under QEMU and lists its symbols) and what stands in the way:",
            "",
        ]
        out += blockers + [""]
    out += firmware_vs_peers(m, peers)
    out += [""]
    out += binaries_table(m)
    return out


def digits_block(m):
    b = m["binaries"].get("qemu-digits")
    if b is None:
        return ["(no `qemu-digits` entry in the measurement)"]
    stack = "" if b.get("stack_bytes") is None else f" and {n(b['stack_bytes'])} B of stack at its high-water mark"
    return [
        f"Size of the digits job's Cortex-M4F firmware (`qemu-digits`, profile `{m['profile']}`): "
        f"{n(b['text_bytes'])} B of code (vector table + `.text`) and {n(b['rodata_bytes'])} B of "
        f"`.rodata`, {n(b['data_set_bytes'])} B of which are the digits, so {n(b['flash_bytes'])} B of "
        f"flash; {n(b['ram_bytes'])} B of RAM (`.data` + `.bss`){stack} "
        f"(generated by `{GENERATOR}` from `{m['command']}`, commit `{m['git_commit'][:12]}`)."
    ]


def profile_toml(m):
    """The measured profile's settings as the Cargo.toml table a firmware copies."""
    out = [f"[profile.{m['profile']}]", 'inherits = "release"']
    out += [f"{key} = {json.dumps(value)}" for key, value in m.get("profile_settings", {}).items()]
    return out


def profile_block(m):
    """README.md's recommended profile: its table and the W2 firmware's sizes in it."""
    b = m["binaries"]
    base = b.get("bench-base")
    rows = [
        ("bench-w2-adam-fused", "W2 training: `FusedTrainer` with Adam, batch 1"),
        ("bench-w2-sgd", "W2 training: `Trainer` with SGD, batch 1, and inference"),
        ("bench-w2-infer", "W2 inference only"),
    ]
    out = [
        "```toml",
        *profile_toml(m),
        "```",
        "",
        f"What the digits model (W2, 64-32-10 as above) weighs in it on a Cortex-M4F: generated by "
        f"`{GENERATOR}` from `bench/mcu.json`, the output of `{m['command']}`. {provenance(m)} "
        "Code is vector table + `.text`; \"without board\" subtracts `bench-base` (board, logging, "
        "handlers, no network); flash and RAM leave out the benchmark's data set (digits in flash) "
        "and its rows (digits widened into RAM).",
        "",
        "| firmware (`thumbv7em-none-eabihf`) | code B | code without board B | flash B | RAM B | stack high-water B |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, label in rows:
        if name not in b or base is None:
            continue
        x = b[name]
        out.append(
            f"| {label} (`{name}`) | {n(x['text_bytes'])} | {n(x['text_bytes'] - base['text_bytes'])} "
            f"| {n(x['flash_bytes'] - x['data_set_bytes'])} | {n(x['ram_bytes'] - x['bench_rows_bytes'])} "
            f"| {'–' if x.get('stack_bytes') is None else n(x['stack_bytes'])} |"
        )
    plain, plain_base = b.get("plain-release/bench-w2-adam-fused"), b.get("plain-release/bench-base")
    if plain and plain_base:
        out.append(
            f"| the same Adam training with a plain `--release` (no LTO, 16 codegen units) "
            f"(`plain-release/bench-w2-adam-fused`) | {n(plain['text_bytes'])} "
            f"| {n(plain['text_bytes'] - plain_base['text_bytes'])} "
            f"| {n(plain['flash_bytes'] - plain['data_set_bytes'])} "
            f"| {n(plain['ram_bytes'] - plain['bench_rows_bytes'])} | – |"
        )
    return out


def defined_profile(cargo_toml, name):
    """`name`'s settings in a Cargo.toml, inheritance resolved (as bench-mcu.sh records them)."""
    with open(cargo_toml, "rb") as f:
        profiles = tomllib.load(f).get("profile", {})
    builtin = {"release": {"opt-level": 3}, "dev": {"opt-level": 0}}
    chain, seen = [], set()
    while name and name not in seen:
        seen.add(name)
        table = profiles.get(name, {})
        chain.append({**builtin.get(name, {}), **table})
        name = table.get("inherits")
    settings = {}
    for table in reversed(chain):
        settings.update({k: v for k, v in table.items() if k != "inherits"})
    return settings


def percent_change(base, other):
    """'+15.4 %' from base to other, 'same' if equal."""
    return "same" if base == other else f"{(other - base) / base * 100:+.1f} %"


def change(base, other):
    """'0.87x (+15.4 %)': base / other and the change from base to other."""
    return f"{base / other:.2f}x ({percent_change(base, other)})"


def variant_block(name, m, v):
    """The default build `m` against the variant `v`: instructions per sample
    of every workload and the size of every binary."""
    _, _, _, command, what = VARIANTS[name]
    rows = [
        f"Generated by `{GENERATOR}` from `bench/mcu.json` (`bash firmware/bench-mcu.sh`: profile "
        f"{profile_text(m)}, commit `{m['git_commit'][:12]}`, {m['date'][:10]}) and "
        f"`bench/mcu-{name}.json` (`{command}`: profile {profile_text(v)}, commit `{v['git_commit'][:12]}`, "
        f"{v['date'][:10]}).",
        "",
        f"| workload (batch 1) | instructions / sample | with {what} | ratio (default / {name}) |",
        "|---|---:|---:|---:|",
    ]
    for key, w in m["workloads"].items():
        o = v["workloads"].get(key)
        if o is None:
            continue
        a, b = w["instructions_per_sample"], o["instructions_per_sample"]
        rows.append(f"| {w['label']} | {n(a)} | {n(b)} | {change(a, b)} |")
    rows += [
        "",
        f"| binary | code (vectors + .text) | with {what} | flash | with {what} |",
        "|---|---:|---:|---:|---:|",
    ]
    for binary, b in m["binaries"].items():
        o = v["binaries"].get(binary)
        if o is None:
            continue
        rows.append(
            f"| `{binary}` | {n(b['text_bytes'])} | {n(o['text_bytes'])} ({percent_change(b['text_bytes'], o['text_bytes'])}) "
            f"| {n(b['flash_bytes'])} | {n(o['flash_bytes'])} |"
        )
    return rows


def replace_block(text, name, lines, path):
    pattern = re.compile(rf"(<!-- {name}:begin[^>]*-->\n)(.*?)(<!-- {name}:end -->)", re.S)
    if not pattern.search(text):
        sys.exit(f"{path}: no <!-- {name}:begin --> ... <!-- {name}:end --> markers")
    body = "\n".join(lines) + "\n"
    return pattern.sub(lambda mo: mo.group(1) + body + mo.group(3), text, count=1)


def render(readme, m, peers, goals, source):
    text = readme.read_text()
    if readme in READMES:
        text = replace_block(text, "bench-mcu", tables_block(m, peers, goals, source), readme)
        text = replace_block(text, "bench-mcu-digits", digits_block(m), readme)
    if readme == ROOT / "README.md":
        text = replace_block(text, "bench-mcu-profile", profile_block(m), readme)
    for name, (snapshot, _, document, _, _) in VARIANTS.items():
        if readme == document:
            text = replace_block(text, f"bench-mcu-{name}", variant_block(name, m, json.loads(snapshot.read_text())), readme)
    return text


def update_variant_snapshots():
    """Copies each variant's measurement over its snapshot when it is newer
    (bench-mcu.sh's `date`), so a stale measurement never replaces a fresh
    snapshot."""
    for name, (snapshot, measured, _, _, _) in VARIANTS.items():
        if not measured.exists():
            continue
        new = json.loads(measured.read_text())
        old = json.loads(snapshot.read_text()) if snapshot.exists() else None
        if old is None or new["date"] > old["date"]:
            shutil.copyfile(measured, snapshot)
            print(f"bench-tables: {snapshot.relative_to(ROOT)} from {measured.relative_to(ROOT)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", type=Path, help="the measurement (default: firmware/target/bench-mcu.json)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="fail if a README differs from what bench/mcu.json gives")
    mode.add_argument("--print", action="store_true", help="print the tables, write nothing")
    args = parser.parse_args()

    peers = json.loads(PEERS.read_text())
    goals = json.loads(GOALS.read_text())
    if args.check:
        source = args.json or SNAPSHOT
    else:
        source = args.json or MEASURED
    if not source.exists():
        sys.exit(f"{source}: missing (run `bash firmware/bench-mcu.sh` first)")
    m = json.loads(source.read_text())
    shown = "bench/mcu.json"

    if args.print:
        print("\n".join(tables_block(m, peers, goals, source) + [""] + digits_block(m) + [""] + profile_block(m)))
        for name, (snapshot, _, _, _, _) in VARIANTS.items():
            if snapshot.exists():
                print("\n".join([""] + variant_block(name, m, json.loads(snapshot.read_text()))))
        return
    if args.check:
        stale = [r for r in DOCUMENTS if r.read_text() != render(r, m, peers, goals, shown)]
        for r in stale:
            print(f"{r.relative_to(ROOT)}: MCU tables differ from {source.relative_to(ROOT)}; run {GENERATOR}")
        # The sizes are the recommended profile's only if it is still the one measured.
        moved = [c for c in PROFILE_DEFINED_IN if defined_profile(c, m["profile"]) != m.get("profile_settings")]
        for c in moved:
            print(
                f"{c.relative_to(ROOT)}: [profile.{m['profile']}] is {defined_profile(c, m['profile'])}, "
                f"measured was {m.get('profile_settings')}; rerun bash firmware/bench-mcu.sh"
            )
        if stale or moved:
            sys.exit(1)
        print(
            f"bench-tables: README.md, firmware/README.md and docs/FAST_MATH.md match {source.relative_to(ROOT)} "
            f"and the variants' snapshots ({', '.join(f'bench/mcu-{v}.json' for v in VARIANTS)}), "
            f"measured in the [profile.{m['profile']}] that firmware/ and examples/starter/ define"
        )
        return
    if m["profile"] != "firmware" or m.get("features"):
        print(f"note: {source} was measured with profile {m['profile']!r}, features {m.get('features')}", file=sys.stderr)
    if source.resolve() != SNAPSHOT.resolve():
        shutil.copyfile(source, SNAPSHOT)
    update_variant_snapshots()
    for r in DOCUMENTS:
        r.write_text(render(r, m, peers, goals, shown))
        print(f"bench-tables: rewrote {r.relative_to(ROOT)} from {source}")


if __name__ == "__main__":
    main()

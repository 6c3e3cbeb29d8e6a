#!/usr/bin/env python3
"""Regenerates what README.md and host-sim/README.md quote of
`microprop-sim`: the memory figures of `footprint` (every number is
`size_of` of a real type) and the transcripts of `demo` (training time
elided) and `simulate` (the firmware's digits job on simulated
peripherals, in simulated time): the same bits on every machine.

    python3 host-sim/readme-outputs.py           # rewrites both READMEs
    python3 host-sim/readme-outputs.py --check   # READMEs == what microprop-sim prints now? (CI)
    python3 host-sim/readme-outputs.py --print   # the blocks on stdout only

These outputs do not depend on the machine, so there is no JSON snapshot
to keep: each run asks the binary (`cargo run --release --quiet --locked
-p microprop-sim -- ...`, the README's build, or the binary named by
$MICROPROP_SIM; `footprint
--json` for the figures). Output: the text between `<!-- <name>:begin ...
-->` and `<!-- <name>:end -->`: `footprint-demo-table` in README.md (the
demo's model with Adam and SGD); `footprint-report` (the report as
printed), `footprint-sizes` (other models and batch buffers), `demo-run`,
`simulate-run`, `simulate-power-cut`, `simulate-too-small` and
`simulate-personalise` (four runs as printed), `train-models` (each built-in model trained with its
defaults, `train --json`), `export-checkpoint` and `export-model` (two
`export` runs, writing under target/readme-export/), `checkpoint-eval`
(an iris model trained, evaluated and asked to predict, under
target/readme-eval/), `experiment-<name>`
(each `experiment` as printed, its figure written to
target/readme-figures/) and `quantize-table` (`quantize --json` of digits
and MNIST trained with their defaults into target/readme-quantize/) in
host-sim/README.md. Nothing else is touched. Python 3
standard library only.
"""

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GENERATOR = "python3 host-sim/readme-outputs.py"
# The part the demo and the firmware default to (host-sim's DEFAULT_PART).
DEFAULT_PART = "nRF52840"


def run_sim(*args):
    """The finished `microprop-sim <args>` (stdout, stderr, exit code)."""
    binary = os.environ.get("MICROPROP_SIM")
    cmd = [binary] if binary else ["cargo", "run", "--release", "--quiet", "--locked", "-p", "microprop-sim", "--"]
    return subprocess.run(cmd + list(args), cwd=ROOT, capture_output=True, text=True)


def sim(*args):
    """stdout of `microprop-sim <args>`, which must succeed."""
    run = run_sim(*args)
    if run.returncode != 0:
        sys.exit(f"readme-outputs: microprop-sim {' '.join(args)} failed:\n{run.stderr}")
    return run.stdout


# What a transcript leaves out because it differs from run to run: the
# wall-clock time of training ("trained in 105ms: ...").
VARIES = [
    (re.compile(r"^trained in [0-9.]+(ns|µs|us|ms|s): ", re.M), "trained in [wall time]: "),
    # An experiment's closing "(1.3s)".
    (re.compile(r"^\([0-9.]+(ns|µs|us|ms|s)\)$", re.M), "([wall time])"),
    # The batch experiment's `seconds` column, right-aligned: "[s]" in its place.
    (
        re.compile(r"^((?:full batch|mini-batch|SGD)[^\n]*?\s\d+\s+)( *[0-9]+\.[0-9]+)(?=\s+[0-9.]+/)", re.M),
        lambda m: m.group(1) + "[s]".rjust(len(m.group(2))),
    ),
]


def transcript(*args, fails=False):
    """`$ microprop-sim <args>` and what it prints, as a code block, with
    the wall-clock times of VARIES elided; with `fails` the command must
    exit non-zero (its error is on stderr)."""
    run = run_sim(*args)
    if (run.returncode != 0) != fails:
        sys.exit(f"readme-outputs: microprop-sim {' '.join(args)} exited {run.returncode}:\n{run.stderr}")
    printed = (run.stdout + run.stderr).rstrip("\n")
    for pattern, replacement in VARIES:
        printed = pattern.sub(replacement, printed)
    return "\n".join(["```", f"$ microprop-sim {' '.join(args)}".rstrip(), printed, "```"])


def footprint(model, optimizer, batch):
    return json.loads(sim("footprint", "--model", model, "--optimizer", optimizer, "--batch", str(batch), "--json"))


def trainer_rest(b):
    """The trainer's bytes besides gradients, optimizer state and caches."""
    return b["trainer"] - b["gradients"] - b["optimizer_state"] - b["caches"]


def n(v):
    return f"{v:,}"


def part(j, name):
    return next(p for p in j["parts"] if p["name"] == name)


def percent(bytes_, of):
    """"17.6 %"; "99.96 %" where one decimal would round a near miss to 100."""
    share = 100 * bytes_ / of
    return f"{share:.2f} %" if 99.95 <= share < 100 else f"{share:.1f} %"


def command(model, optimizer, batch, json_flag=True):
    return f"microprop-sim footprint --model {model} --optimizer {optimizer} --batch {batch}" + (
        " --json" if json_flag else ""
    )


def demo_table():
    """README.md: the demo's model (digits, batch 16) with Adam and with SGD."""
    batch = 16
    adam, sgd = footprint("digits", "adam", batch), footprint("digits", "sgd", batch)
    a, s = adam["bytes"], sgd["bytes"]
    for b in (a, s):
        # The rows below add up to the total only if the model is its
        # network and normalisers and the trainer holds at least its parts.
        if b["model"] != b["parameters"] + b["normalizers"] or trainer_rest(b) < 0:
            sys.exit(f"readme-outputs: the parts do not add up to the training RAM: {b}")
    floats = a["parameters"] // 4
    ram = part(adam, DEFAULT_PART)["ram"]

    def row(label, key=None, value=None, bold=False):
        va, vs = (value(a), value(s)) if value else (a[key], s[key])
        fa, fs = n(va), n(vs)
        if bold:
            fa, fs = f"**{fa}**", f"**{fs}**"
        return f"| {label} | {fa} | {fs} |"

    rows = [
        f"Generated by `{GENERATOR}` from `{command('digits', 'adam', batch)}` and "
        f"`--optimizer sgd`: bytes, each `size_of` of the real type (`Trainer::MEMORY`, "
        f"`FitBuffers`, `Model`, `Inference::BYTES`).",
        "",
        "| part | Adam (the demo) | SGD |",
        "|---|--:|--:|",
        row(f"parameters ({n(floats)} floats)", "parameters"),
        row("gradients", "gradients"),
        row("optimizer state (two moments for Adam)", "optimizer_state"),
        row(f"activation caches, batch {batch}", "caches"),
        row("trainer settings and counters", value=trainer_rest),
        row(f"staging rows for `fit` ({batch} inputs + {batch} labels)", "fit_buffers"),
        row("input/target normalisers", "normalizers"),
        row("**training total**", "training_ram", bold=True),
        f"| share of an {DEFAULT_PART}'s {n(ram)} B of RAM | {percent(a['training_ram'], ram)} "
        f"| {percent(s['training_ram'], ram)} |",
        row(
            f"inference only (parameters + {n(a['inference_workspace'])}-byte workspace)",
            value=lambda b: b["parameters"] + b["inference_workspace"],
        ),
    ]
    return "\n".join(rows)


def report():
    """host-sim/README.md: the report of the digits model with Adam, as printed."""
    args = ["--model", "digits", "--optimizer", "adam", "--batch", "16"]
    text = sim("footprint", *args).rstrip("\n")
    return "\n".join(
        [
            f"Generated by `{GENERATOR}`:",
            "",
            "```",
            f"$ {command('digits', 'adam', 16, json_flag=False)}",
            text,
            "```",
        ]
    )


def sizes():
    """host-sim/README.md: smaller buffers and the MNIST model, in a sentence."""
    d1 = footprint("digits", "sgd", 1)
    m1, m16, ma16 = footprint("mnist", "sgd", 1), footprint("mnist", "sgd", 16), footprint("mnist", "adam", 16)

    def fits(j):
        ram = j["bytes"]["training_ram"]
        held = [p for p in j["parts"] if ram <= p["ram"]]
        if not held:
            return "no part listed holds it"
        return "held by " + ", ".join(f"the {p['name']} ({percent(ram, p['ram'])})" for p in held)

    staging = m16["bytes"]["fit_buffers"]
    return (
        f"Generated by `{GENERATOR}` from `microprop-sim footprint --json`: training RAM of "
        f"the digits model with SGD and a 1-row buffer {n(d1['bytes']['training_ram'])} B "
        f"({fits(d1)}); MNIST's 784-32-10 with SGD and a 1-row buffer "
        f"{n(m1['bytes']['training_ram'])} B ({fits(m1)}), with SGD and 16 rows "
        f"{n(m16['bytes']['training_ram'])} B, {n(staging)} B of which are the staging rows "
        f"({fits(m16)}), and with Adam and 16 rows {n(ma16['bytes']['training_ram'])} B ({fits(ma16)})."
    )


MODELS = ["xor", "sine", "iris", "digits", "mnist"]


def trained(model):
    """`train --model <model> --json` with the model's defaults, no file written."""
    return json.loads(sim("train", "--model", model, "--json", "--no-checkpoint"))


def models_table():
    """host-sim/README.md: what each built-in model reaches with its defaults."""
    rows = [
        f"Generated by `{GENERATOR}` from `microprop-sim train --model <model> --json --no-checkpoint` "
        "(the defaults above; seeded, so the same on every machine):",
        "",
        "| model | epochs run | train loss / accuracy | test rows | test loss / accuracy |",
        "|---|--:|---|--:|---|",
    ]
    for model in MODELS:
        run = trained(model)

        def scores(e):
            if e is None:
                return "–"
            accuracy = e.get("accuracy")
            return f"{e['loss']:.4g}" + (f" / {accuracy:.4f}" if accuracy is not None else "")

        test = run.get("test")
        rows.append(
            f"| `{model}` | {run['epochs_run']} | {scores(run['train'])} | "
            f"{n(test['rows']) if test else '–'} | {scores(test)} |"
        )
    return "\n".join(rows)


def fresh(directory):
    """`directory` (under target/, ignored by git) emptied, relative to the root."""
    shutil.rmtree(ROOT / directory, ignore_errors=True)
    (ROOT / directory).mkdir(parents=True)
    return directory


def export_checkpoint():
    """host-sim/README.md: `export` of the committed mixed-layer checkpoint."""
    out = fresh("target/readme-export/checkpoint")
    return transcript("export", "host-sim/tests/data/export/mixed.mpck", "--out", out)


def export_model():
    """host-sim/README.md: `export --model digits` of a digits model trained here."""
    out = fresh("target/readme-export/model")
    checkpoint = f"{out}/trained.mpck"
    sim("train", "--model", "digits", "--quiet", "--checkpoint", checkpoint)
    train = f"$ microprop-sim train --model digits --quiet --checkpoint {checkpoint}"
    block = transcript("export", "--model", "digits", "--checkpoint", checkpoint, "--out", out)
    return block.replace("```\n", f"```\n{train}\n", 1)


def checkpoint_eval():
    """host-sim/README.md: an iris model trained (its last lines), then
    `eval` and `predict` of its checkpoint, under target/readme-eval/."""
    out = fresh("target/readme-eval")
    checkpoint = f"{out}/iris.mpck"
    trained = sim("train", "--model", "iris", "--quiet", "--checkpoint", checkpoint).rstrip("\n").split("\n")
    kept = [line for line in trained if line.startswith(("test ", "wrote "))]
    train = "\n".join([f"$ microprop-sim train --model iris --quiet --checkpoint {checkpoint}", "...", *kept])
    evaluated = transcript("eval", "--checkpoint", checkpoint)
    predict = ["predict", "--checkpoint", checkpoint, "--input", "5.1,3.5,1.4,0.2", "--input", "6.7 3.0 5.2 2.3"]
    # The command as a shell takes it (the second row is quoted).
    predicted = transcript(*predict).replace(
        f"$ microprop-sim {' '.join(predict)}", f"$ microprop-sim {shlex.join(predict)}", 1
    )
    # One code block: the three commands, a blank line between them.
    body = [train, "", evaluated.strip("`\n"), "", predicted.strip("`\n")]
    return "\n".join(["```", *body, "```"])


EXPERIMENTS = ["optimizers", "schedules", "normalization", "batch", "init"]


def experiment(name):
    """host-sim/README.md: `experiment <name>` as printed (figures to target/readme-figures)."""
    return transcript("experiment", name, "--out", "target/readme-figures", "--no-svg")


# Where the quantize table's float checkpoints are trained (default settings).
QUANTIZE_DIR = "target/readme-quantize"


def quantize_table():
    """`quantize --json` of the digits and MNIST models trained with their
    defaults: held-out accuracy before and after, and the bytes of the
    weights, for the hidden layer and for both layers in int8."""
    fresh(QUANTIZE_DIR)
    lines = [
        "| model | int8 layers | accuracy float | accuracy int8 | change | loss float → int8 | weights f32 → int8 |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    commands = []
    for model in ["digits", "mnist"]:
        ckpt = f"{QUANTIZE_DIR}/{model}.mpck"
        train = ["train", "--model", model, "--checkpoint", ckpt, "--metrics", f"{QUANTIZE_DIR}/{model}.csv", "--quiet"]
        sim(*train)
        commands.append("microprop-sim " + " ".join(train))
        for layers in ["0", "0,1"]:
            q = ["quantize", "--checkpoint", ckpt, "--layers", layers]
            j = json.loads(sim(*q, "--json"))
            commands.append("microprop-sim " + " ".join(q))
            before, after = j["float"]["test"], j["int8"]["test"]
            lines.append(
                f"| {model} ({n(before['rows'])} test rows) | {layers} | {before['accuracy'] * 100:.2f} % "
                f"| {after['accuracy'] * 100:.2f} % | {j['accuracy_change_points']:+.2f} points "
                f"| {before['loss']:.5f} → {after['loss']:.5f} "
                f"| {n(j['float_bytes'])} B → {n(j['int8_bytes'])} B |"
            )
    return "\n".join(lines + ["", "```"] + [f"$ {c}" for c in commands] + ["```"])


BLOCKS = {
    ROOT / "README.md": {"footprint-demo-table": demo_table},
    ROOT / "host-sim/README.md": {
        "demo-run": lambda: transcript("demo", "--quiet", "--no-plot"),
        "train-models": models_table,
        "export-checkpoint": export_checkpoint,
        "export-model": export_model,
        "checkpoint-eval": checkpoint_eval,
        **{f"experiment-{name}": (lambda name=name: experiment(name)) for name in EXPERIMENTS},
        "footprint-report": report,
        "footprint-sizes": sizes,
        "simulate-run": lambda: transcript("simulate"),
        "simulate-power-cut": lambda: transcript("simulate", "--boots", "2", "--epochs", "2", "--power-cut-after", "10000"),
        "simulate-too-small": lambda: transcript("simulate", "--part", "stm32f103", fails=True),
        "simulate-personalise": lambda: transcript("simulate", "--job", "personalise"),
        "quantize-table": quantize_table,
    },
}


def replace(text, name, body, path):
    pattern = re.compile(
        rf"(<!-- {name}:begin[^\n]*-->\n)(.*?)(<!-- {name}:end -->)", re.DOTALL
    )
    if len(pattern.findall(text)) != 1:
        sys.exit(f"readme-outputs: {path} must hold exactly one {name} block")
    return pattern.sub(lambda m: m.group(1) + body + "\n" + m.group(3), text)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="fail if a README differs from what microprop-sim prints")
    mode.add_argument("--print", action="store_true", help="print the blocks, write nothing")
    a = ap.parse_args()
    stale = []
    for path, blocks in BLOCKS.items():
        old = path.read_text()
        new = old
        for name, make in blocks.items():
            body = make()
            if a.print:
                print(f"== {path.relative_to(ROOT)}: {name}\n{body}\n")
            new = replace(new, name, body, path)
        if a.check:
            if new != old:
                stale.append(str(path.relative_to(ROOT)))
        elif not a.print and new != old:
            path.write_text(new)
            print(f"readme-outputs: rewrote {path.relative_to(ROOT)}")
    if stale:
        sys.exit(f"readme-outputs: stale microprop-sim output in {', '.join(stale)}; run {GENERATOR}")
    if a.check:
        print("readme-outputs: README.md and host-sim/README.md quote what microprop-sim prints")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Prints the table of issue 7 from criterion's results and pytorch_bench.py's.

  python3 bench/report.py [--stat median|fast] [--json OUT --meta KEY=VALUE...]
                          CRITERION_DIR [PYTORCH_JSON]

CRITERION_DIR is target/criterion: each workload's
<workload>/microprop/new/estimates.json holds the time per step in ns and
benchmark.json beside it the samples per step. --stat median (default) uses
criterion's median and the median of pytorch_bench.py's blocks; --stat fast
uses the fastest tenth of both (criterion's sample.json: 10th percentile of
the time per step; the script's 90th percentile of samples/s), the less
disturbed figure on a machine shared with other work. Standard library
only, so the table prints even where torch is not installed.

--json OUT also writes the table's numbers as JSON (bench/run.sh writes
target/bench/host.json): {"meta": {...the --meta pairs, the statistic,
torch/numpy versions}, "workloads": {name: {"label", "microprop",
"pytorch", "numpy" (samples/s or null), "goals": [{"reference",
"minimum", "strict", "ratio", "met"}]}}}. bench/host-table.py turns it
into the README's table.
"""

import json
import sys
from pathlib import Path

# workload: (label, [(reference, minimum ratio, strict)]); strict = "ahead of"
# (ratio > minimum) rather than "at least" (ratio >= minimum).
GOALS = {
    "mnist_adam_b32": ("784-128-10 ReLU CE Adam, batch 32", [("pytorch", 2.0, False), ("numpy", 1.0, True)]),
    "mnist_adam_b1": ("784-128-10 ReLU CE Adam, batch 1", [("pytorch", 10.0, False)]),
    "mnist_adam_b1_fused": ("same, batch 1, FusedTrainer", [("pytorch", 10.0, False)]),
    "w2_momentum_b1": ("W2 64-32-10 tanh CE momentum, batch 1", [("pytorch", 50.0, False)]),
    "w2_momentum_b16": ("W2 64-32-10 tanh CE momentum, batch 16", [("pytorch", 10.0, False)]),
    "xor_sgd_b4": ("XOR 2-8-1 sigmoid MSE SGD, batch 4", [("pytorch", 200.0, False)]),
    "mnist_infer_b1": ("784-128-10 inference, batch 1", [("numpy", 3.0, False)]),
}
SHORT = {"pytorch": "torch", "numpy": "numpy"}
# Workloads compared with another workload's PyTorch/numpy run (the same
# step computed another way by microprop).
REFERENCE = {"mnist_adam_b1_fused": "mnist_adam_b1"}


def criterion_results(root, stat):
    """workload -> samples/s from criterion's JSON files."""
    out = {}
    for est in sorted(Path(root).glob("*/microprop/new/estimates.json")):
        meta = json.loads((est.parent / "benchmark.json").read_text())
        if stat == "fast":
            sample = json.loads((est.parent / "sample.json").read_text())
            per_iter = sorted(t / n for t, n in zip(sample["times"], sample["iters"]))
            ns = per_iter[int(0.1 * (len(per_iter) - 1))]
        else:
            estimates = json.loads(est.read_text())
            ns = (estimates.get("median") or estimates["mean"])["point_estimate"]
        samples = (meta.get("throughput") or {}).get("Elements", 1)
        out[meta["group_id"]] = samples / (ns * 1e-9)
    return out


def fmt(v):
    return "n/a" if v is None else f"{v:,.0f}"


def main():
    args = sys.argv[1:]
    stat, json_out, meta = "median", None, {}
    while args[:1] and args[0].startswith("--") and len(args) > 1:
        if args[0] == "--stat":
            stat = args[1]
        elif args[0] == "--json":
            json_out = Path(args[1])
        elif args[0] == "--meta" and "=" in args[1]:
            k, v = args[1].split("=", 1)
            meta[k] = v
        else:
            raise SystemExit(__doc__)
        args = args[2:]
    if stat not in ("median", "fast") or not args:
        raise SystemExit(__doc__)
    key = "samples_per_second_fast" if stat == "fast" else "samples_per_second"
    ours = criterion_results(args[0], stat)
    theirs = {}
    meta["statistic"] = stat
    if len(args) > 1 and Path(args[1]).is_file():
        doc = json.loads(Path(args[1]).read_text())
        theirs = doc.get("results", {})
        m = doc.get("meta", {})
        meta.update({k: m.get(k) for k in ("torch", "numpy", "python", "torch_threads")})
        print(
            f"torch {m.get('torch')}, numpy {m.get('numpy')}, python {m.get('python')}, "
            f"{m.get('torch_threads')} torch thread(s), BLAS limited to 1 thread"
        )
    print(f"statistic: {stat} ({'fastest tenth of the samples' if stat == 'fast' else 'median'})")
    print()
    header = ["workload", "microprop samples/s", "PyTorch samples/s", "numpy samples/s", "ratio", "goal", "met?"]
    rows = []
    results = {}
    for name, (label, goals) in GOALS.items():
        mine = ours.get(name)
        ref_name = REFERENCE.get(name, name)
        ref = {lib: (theirs.get(ref_name, {}).get(lib) or {}).get(key) for lib in SHORT}
        ratios, wanted, met = [], [], []
        for lib, minimum, strict in goals:
            wanted.append(f"{'>' if strict else '>='} {minimum:g}x {SHORT[lib]}")
            if mine is None or not ref[lib]:
                ratios.append(f"n/a {SHORT[lib]}")
                met.append(None)
                continue
            r = mine / ref[lib]
            ratios.append(f"{r:.2f}x {SHORT[lib]}")
            met.append(r > minimum if strict else r >= minimum)
        results[name] = {
            "label": label,
            "microprop": mine,
            "pytorch": ref["pytorch"],
            "numpy": ref["numpy"],
            "reference_workload": ref_name,
            "goals": [
                {
                    "reference": lib,
                    "minimum": minimum,
                    "strict": strict,
                    "ratio": None if mine is None or not ref[lib] else mine / ref[lib],
                    "met": m,
                }
                for (lib, minimum, strict), m in zip(goals, met)
            ],
        }
        verdict = "?" if None in met else ("yes" if all(met) else "no")
        rows.append([label, fmt(mine), fmt(ref["pytorch"]), fmt(ref["numpy"]), ", ".join(ratios), ", ".join(wanted), verdict])
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]
    right = {1, 2, 3}

    def line(cells):
        return "| " + " | ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))) + " |"

    print(line(header))
    print("|" + "|".join(("-" * (w + 1) + ":") if i in right else "-" * (w + 2) for i, w in enumerate(widths)) + "|")
    for r in rows:
        print(line(r))
    if json_out is not None:
        json_out.write_text(json.dumps({"meta": meta, "workloads": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()

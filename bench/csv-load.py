#!/usr/bin/env python3
"""Peak memory and speed of `microprop-sim train --csv` on a large generated file.

    python3 bench/csv-load.py                 # measures a 1 GB file: bench/csv-load.json, README block
    python3 bench/csv-load.py --quick         # a 64 MB file, the goal checked, nothing written (CI)
    python3 bench/csv-load.py --check         # README.md == what bench/csv-load.json gives? (CI)

The file: 64 numeric feature columns and an integer class label (10
classes), rows generated deterministically into target/bench/. The run:
the release binary trains a 64-16-10 network for one step
(`--max-iterations 1`), so the measurement covers streaming the file in,
the split, the scaling, one step and scoring every row. Peak RSS is the
child's `ru_maxrss`; the constant is the peak of the same run on a small
file. The goal (issue 13, item 4): peak RSS <= 1.5 x the f32 size of the
features + that constant. Python 3 standard library only.
"""

import argparse
import json
import os
import platform
import random
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "target/bench"
SNAPSHOT = ROOT / "bench/csv-load.json"
README = ROOT / "README.md"
BINARY = ROOT / "target/release/microprop-sim"
FEATURES = 64
CLASSES = 10
GOAL_FACTOR = 1.5
BEGIN = "<!-- bench-csv-load:begin (python3 bench/csv-load.py writes this block; do not edit) -->"
END = "<!-- bench-csv-load:end -->"


def generate(path, megabytes):
    """Writes about `megabytes` MB of CSV; returns (rows, bytes)."""
    rng = random.Random(13)
    templates = [
        ",".join(f"{rng.uniform(-3, 3):.6f}" for _ in range(FEATURES)) for _ in range(997)
    ]
    header = ",".join(f"f{i}" for i in range(FEATURES)) + ",label\n"
    target = megabytes * 1_000_000
    rows = 0
    with open(path, "w") as out:
        out.write(header)
        written = len(header)
        while written < target:
            chunk = []
            for i in range(rows, rows + 10_000):
                chunk.append(f"{templates[i % len(templates)]},{i % CLASSES}\n")
            text = "".join(chunk)
            out.write(text)
            written += len(text)
            rows += len(chunk)
    return rows, os.path.getsize(path)


def run(path):
    """Trains one step on `path`; returns (peak RSS bytes, wall seconds)."""
    start = time.monotonic()
    child = subprocess.Popen(
        [str(BINARY), "train", "--csv", str(path), "--label", "label",
         "--layers", "16:relu", "--max-iterations", "1", "--quiet",
         "--checkpoint", str(path.with_suffix(".mpm"))],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    stderr = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.monotonic() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"microprop-sim train failed on {path}:\n{stderr}")
    # ru_maxrss is in KiB on Linux.
    return usage.ru_maxrss * 1024, wall


def measure(megabytes):
    if not BINARY.exists():
        sys.exit(f"{BINARY} is missing: cargo build --release -p microprop-sim")
    WORK.mkdir(parents=True, exist_ok=True)
    small, big = WORK / "csv-load-small.csv", WORK / f"csv-load-{megabytes}mb.csv"
    # Generated in a child process: a child's ru_maxrss starts from this
    # process's size when it is spawned, so this one stays small.
    for path, mb_size in ((small, 1), (big, megabytes)):
        made = subprocess.run([sys.executable, __file__, "--generate", str(path), str(mb_size)],
                              check=True, capture_output=True, text=True)
    rows, size = map(int, made.stdout.split())
    constant, _ = run(small)
    peak, wall = run(big)
    for p in (small, big, small.with_suffix(".mpm"), big.with_suffix(".mpm")):
        p.unlink(missing_ok=True)
    f32_bytes = rows * FEATURES * 4
    limit = GOAL_FACTOR * f32_bytes + constant
    return {
        "command": "python3 bench/csv-load.py" + ("" if megabytes == 1000 else f" --megabytes {megabytes}"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
        "profile": "release",
        "file_bytes": size,
        "rows": rows,
        "features": FEATURES,
        "f32_feature_bytes": f32_bytes,
        "small_file_peak_rss_bytes": constant,
        "peak_rss_bytes": peak,
        "wall_seconds": round(wall, 2),
        "megabytes_per_second": round(size / 1e6 / wall, 1),
        "rows_per_second": round(rows / wall),
        "goal": f"peak RSS <= {GOAL_FACTOR} x f32 features + small-file peak",
        "goal_limit_bytes": int(limit),
        "goal_met": peak <= limit,
    }


def mb(v):
    return f"{v / 1e6:,.0f} MB"


def block(m):
    ratio = (m["peak_rss_bytes"] - m["small_file_peak_rss_bytes"]) / m["f32_feature_bytes"]
    lines = [
        BEGIN,
        "",
        f"Measured by `{m['command']}` on {m['machine']} ({m['profile']} build):",
        "`microprop-sim train --csv` streaming a generated file in, then one training step",
        "and scores over every row.",
        "",
        "| file | rows x features | features as f32 | peak RSS | (peak − small-file peak) / f32 | end-to-end speed | goal |",
        "|---|---|---|---|---|---|---|",
        f"| {mb(m['file_bytes'])} | {m['rows']:,} x {m['features']} | {mb(m['f32_feature_bytes'])} "
        f"| {mb(m['peak_rss_bytes'])} | {ratio:.2f}x | {m['megabytes_per_second']:,} MB/s, "
        f"{m['rows_per_second']:,} rows/s | {m['goal']}: {'met' if m['goal_met'] else 'NOT met'} |",
        "",
        END,
    ]
    return "\n".join(lines)


def rewrite(text, m):
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        sys.exit(f"README.md has no {BEGIN} ... {END} block")
    return pattern.sub(lambda _: block(m), text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="64 MB, check the goal, write nothing")
    parser.add_argument("--check", action="store_true", help="README.md is what bench/csv-load.json gives")
    parser.add_argument("--megabytes", type=int, default=1000)
    parser.add_argument("--generate", nargs=2, metavar=("PATH", "MB"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        rows, size = generate(args.generate[0], int(args.generate[1]))
        print(rows, size)
        return
    readme = README.read_text()
    if args.check:
        m = json.loads(SNAPSHOT.read_text())
        if rewrite(readme, m) != readme:
            sys.exit("README.md's CSV-load block is stale: run python3 bench/csv-load.py")
        print("README.md's CSV-load block matches bench/csv-load.json")
        return
    m = measure(64 if args.quick else args.megabytes)
    print(json.dumps(m, indent=2))
    if args.quick:
        if not m["goal_met"]:
            sys.exit(f"peak RSS {mb(m['peak_rss_bytes'])} is over the goal's {mb(m['goal_limit_bytes'])}")
        return
    SNAPSHOT.write_text(json.dumps(m, indent=2) + "\n")
    README.write_text(rewrite(readme, m))


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# Host benchmarks of issue 7: microprop (criterion) against PyTorch eager and
# numpy, same workloads, one thread, float32; prints one table.
#
#   bash bench/run.sh                 # criterion defaults (3 s warm-up, 5 s per workload)
#   bash bench/run.sh --quick         # 1 s warm-up, 2 s per workload
#   bash bench/run.sh --only w2_      # workloads whose name contains w2_
#   bash bench/run.sh --no-python     # microprop only
#   bash bench/run.sh --stat fast     # fastest tenth of the samples instead of the
#                                     # median (for a machine shared with other work)
#   bash bench/run.sh --target-cpu x86-64-v3   # microprop built for AVX2 (same bits:
#                                     # Rust never fuses a * b + c into an FMA)
#   PYTHON=/path/to/venv/bin/python bash bench/run.sh
#
# PYTHON (default: python3) must have torch and numpy as pinned in
# bench/requirements.txt (pip install -r bench/requirements.txt); without
# them the PyTorch and numpy columns read n/a. The table is also written to
# target/bench/table.md and as JSON to target/bench/host.json (workload ->
# samples/s of microprop, PyTorch and numpy, the goals, and the build flags,
# kernels, CPU, date and commit; bench/host-table.py turns it into the
# README's table); criterion's results go to target/bench/criterion/ and
# PyTorch's to target/bench/pytorch.json.
#
# The default build dispatches at run time to AVX2 / AVX-512 kernels
# (microprop-host; same bits); MICROPROP_KERNELS=baseline bash bench/run.sh
# measures the built-in SSE2 loops instead.
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
only=""
python_side=1
target_cpu=""
stat=median
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --only) only="$2"; shift ;;
    --no-python) python_side=0 ;;
    --target-cpu) target_cpu="$2"; shift ;;
    --stat) stat="$2"; shift ;;
    -h|--help) sed -n '2,29p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

PYTHON="${PYTHON:-python3}"
target_dir=$(cargo metadata --format-version 1 --no-deps |
  "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
out="$target_dir/bench"
mkdir -p "$out"
if [ -n "$target_cpu" ]; then
  # Its own target directory, so the workspace's usual builds are not redone.
  export RUSTFLAGS="${RUSTFLAGS:-} -C target-cpu=$target_cpu"
  export CARGO_TARGET_DIR="$target_dir/bench-cpu-$target_cpu"
fi

criterion_args=()
python_args=()
if [ "$quick" = 1 ]; then
  criterion_args+=(--warm-up-time 1 --measurement-time 2)
  python_args+=(--quick)
fi

if [ -n "$only" ]; then
  # Stale results of workloads not run now would otherwise enter the table.
  criterion_args+=("$only")
fi

echo "==> microprop (criterion)" >&2
# A fresh results directory per run: the table shows exactly this run.
export CRITERION_HOME="$out/criterion"
rm -rf "$CRITERION_HOME"
cargo bench --locked -p microprop-bench --bench host -- "${criterion_args[@]}" 2>&1 |
  tee "$out/criterion.log" >&2
kernels=$(sed -n 's/^microprop kernels: //p' "$out/criterion.log" | head -1)

rm -f "$out/pytorch.json"
if [ "$python_side" = 1 ]; then
  if "$PYTHON" -c 'import torch, numpy' 2>/dev/null; then
    echo "==> PyTorch and numpy ($PYTHON)" >&2
    if [ -n "$only" ]; then
      names=$("$PYTHON" - "$only" <<'EOF'
import sys
sys.path.insert(0, "bench")
from pytorch_bench import WORKLOADS
print(",".join(n for n in WORKLOADS if sys.argv[1] in n))
EOF
)
      [ -n "$names" ] && python_args+=(--only "$names")
    fi
    "$PYTHON" bench/pytorch_bench.py "${python_args[@]}" --out "$out/pytorch.json"
  else
    echo "warning: $PYTHON has no torch/numpy; pip install -r bench/requirements.txt" >&2
  fi
fi

cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)
family=$(lscpu 2>/dev/null | sed -n 's/^CPU family: *//p' | head -1)
model=$(lscpu 2>/dev/null | sed -n 's/^Model: *//p' | head -1)
flags="${RUSTFLAGS:-}"
flags="${flags# }"
commit="$(git rev-parse HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- core host bench 2>/dev/null || echo '-dirty')"
command="bash bench/run.sh"
[ "$quick" = 1 ] && command+=" --quick"
[ -n "$only" ] && command+=" --only $only"
[ -n "$target_cpu" ] && command+=" --target-cpu $target_cpu"
[ "$stat" != median ] && command+=" --stat $stat"
[ -n "${MICROPROP_KERNELS:-}" ] && command="MICROPROP_KERNELS=$MICROPROP_KERNELS $command"
{
  echo "machine: $cpu (family $family, model $model), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end; $(rustc --version)${target_cpu:+, -C target-cpu=$target_cpu}"
  echo "kernels: ${kernels:-unknown}; RUSTFLAGS: ${flags:-none}"
  echo "commit: $commit"
  "$PYTHON" bench/report.py --stat "$stat" --json "$out/host.json" \
    --meta "command=$command" \
    --meta "cpu=$cpu (family $family, model $model)" \
    --meta "cpus=$(nproc)" \
    --meta "load_average_end=$(cut -d' ' -f1-3 /proc/loadavg)" \
    --meta "rustc=$(rustc --version)" \
    --meta "rustflags=${flags}" \
    --meta "target_cpu=${target_cpu}" \
    --meta "kernels=${kernels:-unknown}" \
    --meta "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    --meta "commit=$commit" \
    "$CRITERION_HOME" "$out/pytorch.json"
} | tee "$out/table.md"

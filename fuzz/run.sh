#!/usr/bin/env bash
# Runs every fuzz target for a bounded time on the committed seed corpus
# (new inputs go to a scratch directory, so the committed corpus stays as it
# is) and prints executions and crashes per target.
#   bash fuzz/run.sh [SECONDS per target, default 60] [target ...]
# Needs the nightly toolchain and cargo-fuzz (installed here if missing).
set -euo pipefail
# anyhow (in the CSV/IDX loaders) would capture a backtrace per refused
# input: 30x slower fuzzing.
export RUST_LIB_BACKTRACE=0
cd "$(dirname "$0")"
seconds=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(checkpoint_load checkpoint_structured csv_load idx_load)
fi

command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
cargo +nightly fuzz build -O

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
failed=0
for t in "${targets[@]}"; do
  mkdir -p "$scratch/$t"
  log="$scratch/$t.log"
  if cargo +nightly fuzz run -O "$t" "$scratch/$t" "corpus/$t" -- \
      -max_total_time="$seconds" -max_len=4096 -rss_limit_mb=2048 -print_final_stats=1 \
      >"$log" 2>&1; then
    status=ok
  else
    status=CRASH
    failed=1
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  speed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo '?')
  printf '%-22s %s: %s executions in %s s (%s/s), coverage %s edges\n' \
    "$t" "$status" "$runs" "$seconds" "$speed" "$cov"
  if [ $status = CRASH ]; then
    grep -E 'panicked|ERROR|SUMMARY|artifact|error' "$log" | head -20 || tail -20 "$log"
  fi
done
exit $failed

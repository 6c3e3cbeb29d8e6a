#!/usr/bin/env bash
# Proves that microprop's training path has no reachable panic: builds the
# nopanic binary, whose panic handler calls an undefined symbol, for each
# Cortex-M target and optimisation level below. A successful link is the
# proof; a failed one lists the functions that still call a panic.
#   bash nopanic/check.sh
set -euo pipefail
cd "$(dirname "$0")"

# target:opt-level. 3 is the shipped release profile (fat LTO, 1 codegen
# unit); s and z are what size-constrained firmware uses.
configs=(
  thumbv7em-none-eabihf:3 thumbv7em-none-eabihf:s thumbv7em-none-eabihf:z
  thumbv6m-none-eabi:3 thumbv6m-none-eabi:z
)

locate() {
  local target=$1 opt=$2
  echo "    rebuilding with --cfg nopanic_locate to find the panic paths:"
  CARGO_PROFILE_RELEASE_OPT_LEVEL=$opt RUSTFLAGS="--cfg nopanic_locate" \
    cargo build --release --locked --target "$target" --quiet
  local objdump
  objdump=$(command -v llvm-objdump || command -v arm-none-eabi-objdump || true)
  if [ -z "$objdump" ]; then
    echo "    (no llvm-objdump or arm-none-eabi-objdump to disassemble with)"
    return
  fi
  "$objdump" -d -C --no-show-raw-insn "target/$target/release/nopanic" | awk '
    /^[0-9a-f]+ <[^$].*>:$/ { fn = $0; sub(/^[0-9a-f]+ /, "", fn) }
    fn !~ /^<core::(panicking|slice::.*fail)/ &&
    match($0, /<(core::panicking|core::slice::[^>]*fail|core::option::(unwrap|expect)_failed|core::result::unwrap_failed)[^>]*>/) {
      print "    " fn " calls " substr($0, RSTART, RLENGTH)
    }' | sort -u
}

failed=0
for config in "${configs[@]}"; do
  target=${config%%:*} opt=${config##*:}
  printf '%-24s opt-level %s: ' "$target" "$opt"
  if log=$(CARGO_PROFILE_RELEASE_OPT_LEVEL=$opt cargo build --release --locked \
        --target "$target" 2>&1); then
    echo "no panic path (links)"
  else
    if grep -q microprop_panic_path_reachable <<<"$log"; then
      echo "PANIC PATH REACHABLE"
      locate "$target" "$opt"
    else
      echo "build failed"
      echo "$log" | tail -20
    fi
    failed=1
  fi
done
exit $failed

#!/usr/bin/env bash
# Regenerates firmware/README.md's MCU table from a clean build:
#   bash firmware/bench-mcu.sh              # fresh build in target/bench-mcu
#   bash firmware/bench-mcu.sh --no-clean   # reuse target/ (as ci.sh does)
#   bash firmware/bench-mcu.sh --features fast-math
#       # the firmware's cargo features (here microprop's approximate
#       # exp/tanh/sigmoid, docs/FAST_MATH.md), built in a target dir of their
#       # own, target/bench-mcu-<features> (reused with --no-clean), so the
#       # default build is never invalidated
#
# Builds the bench-* binaries (thumbv7em-none-eabihf, release), runs each
# under QEMU mps2-an386 with -icount shift=0 (qemu-run.sh), and prints
# markdown tables: instructions per sample and per multiply-accumulate (from
# SysTick: exact to 40 instructions per run, i.e. to 0.01-0.07 a sample),
# flash and RAM per binary (section sizes from readelf) and the stack
# high-water mark (paint-stack). Needs qemu-system-arm, flip-link and
# defmt-print (ci.sh installs them) and binutils' readelf.
set -euo pipefail
cd "$(dirname "$0")"

usage() {
  echo "usage: bash firmware/bench-mcu.sh [--no-clean] [--features FEATURES]" >&2
  exit 2
}
clean=1
features=
while [ $# -gt 0 ]; do
  case $1 in
    --no-clean) clean=0 ;;
    --features)
      [ $# -ge 2 ] || usage
      features=$2
      shift
      ;;
    --features=*) features=${1#--features=} ;;
    *) usage ;;
  esac
  shift
done

if [ -n "$features" ]; then
  target_dir=target/bench-mcu-$(echo "$features" | tr -c 'A-Za-z0-9_\n-' '-')
  if [ "$clean" = 1 ]; then rm -rf "$target_dir"; fi
elif [ "$clean" = 1 ]; then
  target_dir=target/bench-mcu
  rm -rf "$target_dir"
else
  target_dir=target
fi
bins=(bench-w1 bench-w2-sgd bench-w2-adam bench-w2-fused bench-w3)
build_args=()
for bin in "${bins[@]}"; do build_args+=(--bin "$bin"); done
if [ -n "$features" ]; then build_args+=(--features "$features"); fi
echo "bench-mcu: building in $target_dir${features:+ with features $features}" >&2
CARGO_TARGET_DIR=$target_dir cargo build --release --locked "${build_args[@]}" >&2

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
for bin in "${bins[@]}"; do
  elf=$target_dir/thumbv7em-none-eabihf/release/$bin
  if ! ./qemu-run.sh "$elf" >"$logs/$bin.log" 2>&1; then
    cat "$logs/$bin.log" >&2
    echo "bench-mcu: $bin failed" >&2
    exit 1
  fi
done

# "bench <workload> <what>: <instructions> instructions / <n> samples"
count() { # <bin> <workload> <what> -> instructions a sample (1 decimal)
  awk -v key="bench $2 $3:" 'index($0, key) {
      for (i = 1; i <= NF; i++) if ($i == "instructions") { n = $(i - 1); s = $(i + 2) }
      printf "%.1f", n / s; found = 1 }
    END { if (!found) exit 1 }' "$logs/$1.log"
}
per_mac() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
thousands() { awk -v n="$1" 'BEGIN { s = sprintf("%.0f", n); r = "";
  while (length(s) > 3) { r = "," substr(s, length(s) - 2) r; s = substr(s, 1, length(s) - 3) }
  print s r }'; }
section() { # <elf> <name> -> bytes (0 if absent)
  local hex
  hex=$(readelf -SW "$1" | awk -v name="$2" '{ for (i = 1; i < NF; i++) if ($i == name) { print $(i + 4); exit } }')
  echo $((16#${hex:-0}))
}
symbol_bytes() { # <elf> <substring> -> summed size of matching symbols
  readelf -sW "$1" | awk -v pat="$2" 'index($8, pat) { s += $3 } END { print s + 0 }'
}
stack() { awk '/bench stack:/ { for (i = 1; i <= NF; i++) if ($i == "of") print $(i - 1) }' "$logs/$1.log"; }

# MACs a sample (the performance issue's convention: training = 3 x forward).
w1_macs=24 w2_macs=2368 w3_macs=288

row() { # <label> <bin> <workload> <what> <macs> <aifes> <tinymind> <goal>
  local n
  n=$(count "$2" "$3" "$4")
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$(thousands "$n")" "$(thousands "$5")" \
    "$(per_mac "$n" "$5")" "$6" "$7" "$8"
}

if [ -n "$features" ]; then
  echo "Firmware features: \`$features\`"
  echo
fi
echo "| workload (batch 1) | instructions / sample | MACs / sample | instructions / MAC | AIfES 2.2 | tinymind | goal |"
echo "|---|---:|---:|---:|---:|---:|---:|"
row "W1 XOR 2-8-1 train, SGD" bench-w1 w1 train-sgd $((3 * w1_macs)) "8,094" "1,700" "400"
row "W1 train, SGD, fused step" bench-w1 w1 train-sgd-fused $((3 * w1_macs)) "8,094" "1,700" "400"
row "W1 inference" bench-w1 w1 infer $w1_macs "–" "–" "–"
row "W2 digits 64-32-10 train, SGD" bench-w2-sgd w2 train-sgd $((3 * w2_macs)) "287,442" "98,394" "20,000"
row "W2 train, SGD, fused step" bench-w2-fused w2 train-sgd-fused $((3 * w2_macs)) "287,442" "98,394" "20,000"
row "W2 train, Adam" bench-w2-adam w2 train-adam $((3 * w2_macs)) "2,935,947" "33,823,660" "60,000"
row "W2 train, Adam, fused step" bench-w2-fused w2 train-adam-fused $((3 * w2_macs)) "2,935,947" "33,823,660" "60,000"
row "W2 inference" bench-w2-sgd w2 infer $w2_macs "19,292" "21,565" "5,000"
row "W3 sine 1-16-16-1 inference" bench-w3 w3 infer $w3_macs "3,661" "2,449" "800"
echo
echo "| binary | code (vectors + .text) | .rodata (of which digits) | flash | RAM (.data + .bss) | stack high-water |"
echo "|---|---:|---:|---:|---:|---:|"
for bin in "${bins[@]}"; do
  elf=$target_dir/thumbv7em-none-eabihf/release/$bin
  vectors=$(section "$elf" .vector_table)
  text=$(section "$elf" .text)
  rodata=$(section "$elf" .rodata)
  data=$(section "$elf" .data)
  bss=$(section "$elf" .bss)
  uninit=$(section "$elf" .uninit)
  digits=$(symbol_bytes "$elf" TRAIN_)
  printf '| %s | %s | %s (%s) | %s | %s | %s |\n' "$bin" \
    "$(thousands $((vectors + text)))" "$(thousands "$rodata")" "$(thousands "$digits")" \
    "$(thousands $((vectors + text + rodata + data)))" "$(thousands $((data + bss + uninit)))" \
    "$(thousands "$(stack "$bin")")"
done

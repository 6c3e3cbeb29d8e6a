#!/usr/bin/env bash
# Measures the MCU benchmarks and writes them to target/bench-mcu.json
# (relative to firmware/), from which `python3 firmware/bench-tables.py`
# regenerates the tables of README.md and firmware/README.md:
#   bash firmware/bench-mcu.sh              # fresh build in target/bench-mcu
#   bash firmware/bench-mcu.sh --no-clean   # reuse target/ (as ci.sh does)
#   bash firmware/bench-mcu.sh --profile firmware-s
#       # another cargo profile of firmware/Cargo.toml (default: `firmware`,
#       # the one the READMEs quote), e.g. `release` or `firmware-s`
#       # (opt-level "s"); written to target/bench-mcu-<profile>.json
#   bash firmware/bench-mcu.sh --features fast-math
#       # the firmware's cargo features (here microprop's approximate
#       # exp/tanh/sigmoid, docs/FAST_MATH.md), built in a target dir of their
#       # own, target/bench-mcu-<features> (reused with --no-clean), so the
#       # default build is never invalidated; written to
#       # target/bench-mcu-<profile>-<features>.json
#   bash firmware/bench-mcu.sh --json PATH  # write the JSON elsewhere
#
# Builds the bench-* binaries and qemu-digits (thumbv7em-none-eabihf, one
# cargo profile for every number), runs each bench-* binary under QEMU
# mps2-an386 with -icount shift=0 (qemu-run.sh) and records per workload the
# instructions per sample (from SysTick: exact to 40 instructions per run,
# i.e. to 0.01-0.07 a sample) and per binary the section sizes (readelf) and
# the stack high-water mark (paint-stack). qemu-digits (the digits job) has
# sizes and stack only. With the `firmware` profile and no features it also
# builds bench-w2-adam-fused and bench-base with a plain `--release` (no LTO,
# 16 codegen units; sizes only, as `plain-release/<bin>`) for the rule that
# such a build stays within 1.5x of the firmware profile's code.
# Prints the JSON's path and the tables (bench-tables.py --print).
# Each bench binary also runs once under the pcprof plugin: its busiest
# functions (whole run) and every binary's functions with sizes go into the JSON.
# Needs qemu-system-arm, flip-link and defmt-print (ci.sh installs them),
# gcc (the plugin), binutils' readelf, arm-none-eabi-nm and python3.
set -euo pipefail
cd "$(dirname "$0")"

usage() {
  echo "usage: bash firmware/bench-mcu.sh [--no-clean] [--profile PROFILE] [--features FEATURES] [--json PATH]" >&2
  exit 2
}
clean=1
features=
profile=firmware
json=
while [ $# -gt 0 ]; do
  case $1 in
    --no-clean) clean=0 ;;
    --features | --profile | --json)
      [ $# -ge 2 ] || usage
      declare "${1#--}=$2"
      shift
      ;;
    --features=* | --profile=* | --json=*)
      opt=${1%%=*}
      declare "${opt#--}=${1#*=}"
      ;;
    *) usage ;;
  esac
  shift
done
[ -n "$profile" ] || usage
slug() { echo "$1" | tr -c 'A-Za-z0-9_\n-' '-'; }

if [ -n "$features" ]; then
  target_dir=target/bench-mcu-$(slug "$features")
  if [ "$clean" = 1 ]; then rm -rf "$target_dir"; fi
elif [ "$clean" = 1 ]; then
  target_dir=target/bench-mcu
  rm -rf "$target_dir"
else
  target_dir=target
fi
if [ -z "$json" ]; then
  json=target/bench-mcu
  if [ "$profile" != firmware ]; then json=$json-$(slug "$profile"); fi
  if [ -n "$features" ]; then json=$json-$(slug "$features"); fi
  json=$json.json
fi

# The binaries, all run (qemu-digits, the digits job, for its sizes and
# stack high-water: it has no per-sample count; ~4 s).
bins=(bench-w1 bench-w2-sgd bench-w2-adam bench-w2-fused bench-w2-adam-fused bench-w2-infer bench-w2-deep bench-w3 bench-base qemu-digits)
build_args=()
for bin in "${bins[@]}"; do build_args+=(--bin "$bin"); done
if [ -n "$features" ]; then build_args+=(--features "$features"); fi
echo "bench-mcu: building with --profile $profile in $target_dir${features:+ with features $features}" >&2
CARGO_TARGET_DIR=$target_dir cargo build --profile "$profile" --locked "${build_args[@]}" >&2
elf_dir=$target_dir/thumbv7em-none-eabihf/$profile

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
for bin in "${bins[@]}"; do
  echo "bench-mcu: running $bin" >&2
  if ! ./qemu-run.sh "$elf_dir/$bin" >"$logs/$bin.log" 2>&1; then
    cat "$logs/$bin.log" >&2
    echo "bench-mcu: $bin failed" >&2
    exit 1
  fi
done

# Where each bench binary's instructions go: the whole run once more under
# the pcprof plugin (profile/pcprof.c), summed by function
# (profile/by_function.py), for the tables' "what stands in the way".
plugin=target/libpcprof.so
if [ ! -f "$plugin" ] || [ profile/pcprof.c -nt "$plugin" ]; then
  gcc -O2 -shared -fPIC -fvisibility=hidden -o "$plugin" profile/pcprof.c
fi
for bin in "${bins[@]}"; do
  case $bin in bench-base | qemu-digits) continue ;; esac
  echo "bench-mcu: profiling $bin" >&2
  timeout "${QEMU_TIMEOUT:-300}" qemu-system-arm -machine mps2-an386 -cpu cortex-m4 -nographic \
    -semihosting-config enable=on,target=native -icount shift=0 \
    -plugin "$plugin,out=$logs/$bin.pcprof" -kernel "$elf_dir/$bin" >/dev/null </dev/null
  python3 profile/by_function.py "$elf_dir/$bin" "$logs/$bin.pcprof" 10 --json >"$logs/$bin.busiest.json"
done
# Each binary's symbols with sizes (arm-none-eabi-nm): where its code goes.
for bin in "${bins[@]}"; do
  arm-none-eabi-nm -C -S --size-sort --defined-only "$elf_dir/$bin" >"$logs/$bin.nm"
done

section() { # <elf> <name> -> bytes (0 if absent)
  local hex
  hex=$(readelf -SW "$1" | awk -v name="$2" '{ for (i = 1; i < NF; i++) if ($i == name) { print $(i + 4); exit } }')
  echo $((16#${hex:-0}))
}
symbol_bytes() { # <elf> <substring>... -> summed size of the symbols matching any
  local elf=$1
  shift
  readelf -sW "$elf" | awk -v pats="$*" 'BEGIN { n = split(pats, p, " ") }
    { for (i = 1; i <= n; i++) if (index($8, p[i])) { s += $3; break } } END { print s + 0 }'
}

# The raw measurements as tab-separated records for the JSON writer below:
#   bench <bin> <workload> <what> <instructions> <samples>   (every "bench" log line)
#   stack <bin> <bytes> <capacity>
#   size <bin> <vectors> <text> <rodata> <data> <bss> <uninit> <data set bytes> <rows bytes>
# (data set: the digits tables in flash; rows: the benchmark's `static ROWS`,
# digit rows widened into RAM)
raw=$logs/raw.tsv
: >"$raw"
for bin in "${bins[@]}"; do
  # "bench <workload> <what>: <instructions> instructions / <n> samples"
  # "bench stack: <bytes> of <capacity> B" (the digits job: "stack high-water <bytes> of <capacity> B")
  awk -v bin="$bin" -v OFS='\t' '
    / bench stack: | stack high-water [0-9]+ of / {
      for (i = 1; i <= NF; i++) if ($i == "of") print "stack", bin, $(i - 1), $(i + 1); next }
    / bench [^ ]+ [^ ]+: [0-9]+ instructions \/ [0-9]+ samples/ {
      for (i = 1; i <= NF; i++) if ($i == "bench") break
      what = $(i + 2); sub(/:$/, "", what)
      print "bench", bin, $(i + 1), what, $(i + 3), $(i + 6) }' "$logs/$bin.log" >>"$raw"
done
for bin in "${bins[@]}"; do
  elf=$elf_dir/$bin
  printf 'size\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$bin" \
    "$(section "$elf" .vector_table)" "$(section "$elf" .text)" "$(section "$elf" .rodata)" \
    "$(section "$elf" .data)" "$(section "$elf" .bss)" "$(section "$elf" .uninit)" \
    "$(symbol_bytes "$elf" TRAIN_PIXELS TRAIN_LABELS TEST_PIXELS TEST_LABELS)" \
    "$(symbol_bytes "$elf" 4ROWS17h)" >>"$raw"
done

# Issue 11's rule that a user's plain `--release` build stays within 1.5x
# of this profile's code: the Adam training firmware and the base binary
# again with cargo's own release defaults for what a firmware template may
# leave out (no LTO, 16 codegen units, opt-level 3), sizes only, recorded
# as `plain-release/<bin>`.
if [ "$profile" = firmware ] && [ -z "$features" ]; then
  plain_dir=$target_dir/plain-release
  echo "bench-mcu: building bench-w2-adam-fused and bench-base with a plain --release (no LTO, 16 codegen units) in $plain_dir" >&2
  CARGO_TARGET_DIR=$plain_dir CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    CARGO_PROFILE_RELEASE_OPT_LEVEL=3 cargo build --release --locked --bin bench-w2-adam-fused --bin bench-base >&2
  for bin in bench-w2-adam-fused bench-base; do
    elf=$plain_dir/thumbv7em-none-eabihf/release/$bin
    printf 'size\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "plain-release/$bin" \
      "$(section "$elf" .vector_table)" "$(section "$elf" .text)" "$(section "$elf" .rodata)" \
      "$(section "$elf" .data)" "$(section "$elf" .bss)" "$(section "$elf" .uninit)" \
      "$(symbol_bytes "$elf" TRAIN_PIXELS TRAIN_LABELS TEST_PIXELS TEST_LABELS)" \
      "$(symbol_bytes "$elf" 4ROWS17h)" >>"$raw"
  done
fi

mkdir -p "$(dirname "$json")"
commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain 2>/dev/null)" ]; then commit=$commit-dirty; fi
command_line="bash firmware/bench-mcu.sh"
if [ "$profile" != firmware ]; then command_line+=" --profile $profile"; fi
if [ -n "$features" ]; then command_line+=" --features $features"; fi
BENCH_LOGS=$logs BENCH_RAW=$raw BENCH_JSON=$json BENCH_PROFILE=$profile BENCH_FEATURES=$features \
  BENCH_COMMIT=$commit BENCH_COMMAND=$command_line \
  BENCH_RUSTC=$(rustc --version) BENCH_QEMU=$(qemu-system-arm --version | head -n 1) \
  python3 - <<'EOF'
"""Turns the raw records into target/bench-mcu.json (see bench-mcu.sh)."""
import datetime
import json
import os
import tomllib

env = os.environ
# The workloads: (key, binary, log workload, log what, MACs a sample, label).
# MACs follow the performance issue: training = 3 x forward.
W1, W2, W3 = 2 * 8 + 8, 64 * 32 + 32 * 10, 16 + 16 * 16 + 16
WORKLOADS = [
    ("w1_train_sgd", "bench-w1", "w1", "train-sgd", 3 * W1, "W1 XOR 2-8-1 train, SGD"),
    ("w1_train_sgd_fused", "bench-w1", "w1", "train-sgd-fused", 3 * W1, "W1 train, SGD, fused step"),
    ("w1_infer", "bench-w1", "w1", "infer", W1, "W1 inference"),
    ("w2_train_sgd", "bench-w2-sgd", "w2", "train-sgd", 3 * W2, "W2 digits 64-32-10 train, SGD"),
    ("w2_train_sgd_fused", "bench-w2-fused", "w2", "train-sgd-fused", 3 * W2, "W2 train, SGD, fused step"),
    ("w2_train_adam", "bench-w2-adam", "w2", "train-adam", 3 * W2, "W2 train, Adam"),
    ("w2_train_adam_fused", "bench-w2-adam-fused", "w2", "train-adam-fused", 3 * W2, "W2 train, Adam, fused step"),
    ("w2_infer", "bench-w2-sgd", "w2", "infer", W2, "W2 inference"),
    ("w3_infer", "bench-w3", "w3", "infer", W3, "W3 sine 1-16-16-1 inference"),
]
WHAT = {
    "bench-w1": "W1: Trainer and FusedTrainer with SGD, inference",
    "bench-w2-sgd": "W2: Trainer with SGD, inference",
    "bench-w2-adam": "W2: Trainer with Adam",
    "bench-w2-fused": "W2: FusedTrainer with SGD and with Adam",
    "bench-w2-adam-fused": "W2: FusedTrainer with Adam only (the Adam training firmware)",
    "bench-w2-infer": "W2: inference only, no weight initialisation (the inference-only firmware)",
    "bench-w2-deep": "W2 with a second 32-wide tanh hidden layer, FusedTrainer with Adam (the extra layer's code)",
    "bench-w3": "W3: inference",
    "bench-base": "board, logging, handlers, no network (subtracted for 'without board/logging')",
    "qemu-digits": "the digits job (sizes and stack only; it carries the training and test digits)",
    "plain-release/bench-w2-adam-fused": "bench-w2-adam-fused built with a plain --release (no LTO, 16 codegen units), sizes only",
    "plain-release/bench-base": "bench-base built with a plain --release (no LTO, 16 codegen units), sizes only",
}

counts, stacks, sizes = {}, {}, {}
with open(env["BENCH_RAW"]) as f:
    for line in f:
        kind, bin, *rest = line.rstrip("\n").split("\t")
        if kind == "bench":
            workload, what, n, samples = rest
            counts[(bin, workload, what)] = (int(n), int(samples))
        elif kind == "stack":
            stacks[bin] = (int(rest[0]), int(rest[1]))
        elif kind == "size":
            sizes[bin] = [int(v) for v in rest]


def profile_settings(name):
    """The profile's settings from Cargo.toml, inheritance resolved."""
    with open("Cargo.toml", "rb") as f:
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


def code_symbols(nm_output, least=32):
    """Function name -> bytes (summed over same-named symbols) of `arm-none-eabi-nm -C -S`
    output, for every function of at least `least` bytes, largest first."""
    sizes = {}
    with open(nm_output) as f:
        for line in f:
            parts = line.rstrip("\n").split(None, 3)
            if len(parts) == 4 and parts[2] in "tTwW":
                sizes[parts[3]] = sizes.get(parts[3], 0) + int(parts[1], 16)
    return dict(sorted(((k, v) for k, v in sizes.items() if v >= least), key=lambda kv: -kv[1]))


binaries = {}
for bin, (vectors, text, rodata, data, bss, uninit, data_set, rows) in sizes.items():
    entry = {
        "what": WHAT.get(bin, ""),
        "text_bytes": vectors + text,
        "rodata_bytes": rodata,
        "data_bytes": data,
        "bss_bytes": bss + uninit,
        "flash_bytes": vectors + text + rodata + data,
        "ram_bytes": data + bss + uninit,
        "data_set_bytes": data_set,
        "bench_rows_bytes": rows,
    }
    # Every count the binary logged, "<workload> <what>" -> instructions a
    # sample (e.g. bench-w2-fused's Adam half, which the table takes from
    # bench-w2-adam-fused).
    entry["instructions_per_sample"] = {
        f"{w} {what}": round(c / samples, 2) for (b, w, what), (c, samples) in counts.items() if b == bin
    }
    busiest = os.path.join(env["BENCH_LOGS"], f"{bin}.busiest.json")
    if os.path.exists(busiest):
        with open(busiest) as f:
            entry["busiest_functions"] = json.load(f)
    symbols = os.path.join(env["BENCH_LOGS"], f"{bin}.nm")
    if os.path.exists(symbols):
        entry["code_symbols"] = code_symbols(symbols)
    if bin in stacks:
        entry["stack_bytes"], entry["stack_capacity_bytes"] = stacks[bin]
    else:
        entry["stack_bytes"] = None
    binaries[bin] = entry

workloads = {}
for key, bin, workload, what, macs, label in WORKLOADS:
    n, samples = counts[(bin, workload, what)]
    b = binaries[bin]
    workloads[key] = {
        "label": label,
        "binary": bin,
        "instructions_per_sample": round(n / samples, 2),
        "instructions": n,
        "samples": samples,
        "macs_per_sample": macs,
        "instructions_per_mac": round(n / samples / macs, 3),
        **{k: b[k] for k in ("text_bytes", "rodata_bytes", "data_bytes", "ram_bytes", "flash_bytes", "stack_bytes")},
    }

out = {
    "schema": 1,
    "command": env["BENCH_COMMAND"],
    "profile": env["BENCH_PROFILE"],
    "profile_settings": profile_settings(env["BENCH_PROFILE"]),
    "features": env["BENCH_FEATURES"].split(",") if env["BENCH_FEATURES"] else [],
    "target": "thumbv7em-none-eabihf",
    "machine": "QEMU mps2-an386 -cpu cortex-m4 -icount shift=0",
    "counting": "SysTick before and after `samples` samples, 40 instructions a tick (exact to 40 per run)",
    "rustc": env["BENCH_RUSTC"],
    "qemu": env["BENCH_QEMU"],
    "git_commit": env["BENCH_COMMIT"],
    "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    "workloads": workloads,
    "binaries": binaries,
}
with open(env["BENCH_JSON"], "w") as f:
    json.dump(out, f, indent=2)
    f.write("\n")
EOF
echo "bench-mcu: wrote firmware/$json" >&2
echo "firmware/$json"
if [ -f bench-tables.py ]; then
  echo
  python3 bench-tables.py --print --json "$json"
fi

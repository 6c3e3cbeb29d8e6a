#!/usr/bin/env bash
# Firmware CI, runnable on a clean Debian machine with rustup:
#   bash firmware/ci.sh
# Installs what is missing (QEMU, the Cortex-M targets, flip-link,
# defmt-print), lints firmware/ (all three boards) and device/ (host,
# Cortex-M4F, Cortex-M0), checks that no binary links soft-float f64
# (check-no-f64.sh) and that the READMEs' MCU tables are what
# bench/mcu.json gives (bench-tables.py --check), builds the nRF52840-DK
# binary, runs under QEMU the digits job, the online-learning job, the
# personalisation job's four modes, the
# on-target tests, the failure handlers, the host-vs-QEMU bit-identity test
# on the Cortex-M4F (mps2-an386) and on a Cortex-M0 (microbit), the C
# example (c-example/: the digits job in C against the microprop-ffi
# staticlib, built with arm-none-eabi-gcc, whose weight digest must be the
# Rust digits job's), the embassy example (embassy/) and the starter crate
# (../examples/starter, in place and copied out of the repository; both also
# formatted and linted), and with
# MICROPROP_CI_BENCH=1 the MCU benchmarks (bench-mcu.sh, then the tables
# regenerated from their JSON and printed as a diff), and prints one
# "qemu: N passed, N failed" line. Any failure, a missing QEMU included,
# exits non-zero.
#
# device/ is linted with cargo from its own directory, which needs it to be
# a member of the root workspace.
set -euo pipefail
cd "$(dirname "$0")"
firmware=$PWD

FLIP_LINK_VERSION=0.1.12
DEFMT_PRINT_VERSION=1.2.0

step() { printf '\n==> %s\n' "$*"; }

step "setup: QEMU, the Arm C compiler, target, flip-link, defmt-print"
# Debian packages: QEMU, and for the C example (c-example/) the Arm GCC
# with its libgcc (gcc-arm-none-eabi; newlib is not used) and make.
packages=()
command -v qemu-system-arm >/dev/null || packages+=(qemu-system-arm)
command -v arm-none-eabi-gcc >/dev/null || packages+=(gcc-arm-none-eabi)
command -v make >/dev/null || packages+=(make)
if [ "${#packages[@]}" -gt 0 ]; then
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then sudo=(sudo); fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${packages[@]}"
fi
qemu-system-arm --version | head -n 1 # fails the run if QEMU is still missing
arm-none-eabi-gcc --version | head -n 1
rustup show active-toolchain || rustup toolchain install
rustup target add thumbv7em-none-eabihf thumbv6m-none-eabi
rustup component add rustfmt clippy
command -v flip-link >/dev/null || cargo install flip-link --locked --version "$FLIP_LINK_VERSION"
command -v defmt-print >/dev/null || cargo install defmt-print --locked --version "$DEFMT_PRINT_VERSION"
rustc --version
python3 --version # bench-tables.py (standard library only)

step "format and clippy: firmware/ (QEMU, nRF52840-DK, micro:bit) and device/ (host and Cortex-M)"
cargo fmt --check
cargo clippy --all-targets --locked -- -D warnings
cargo clippy --no-default-features --features nrf52840-dk --all-targets --locked -- -D warnings
cargo clippy --target thumbv6m-none-eabi --no-default-features --features microbit --all-targets --locked -- -D warnings
# The embassy example (embassy/) and the starter crate a user copies
# (../examples/starter/) are workspaces of their own.
for crate in embassy ../examples/starter; do
  (
    cd "$crate"
    cargo fmt --check
    cargo clippy --all-targets --locked -- -D warnings
  )
done
(
  cd ../device
  cargo fmt --check
  cargo clippy --all-targets --locked -- -D warnings
  for target in thumbv7em-none-eabihf thumbv6m-none-eabi; do
    cargo clippy --target "$target" --locked -- -D warnings
    cargo clippy --target "$target" --features defmt --locked -- -D warnings
  done
)

step "MCU tables: README.md, firmware/README.md and docs/FAST_MATH.md as bench/mcu.json (and bench/mcu-fast-math.json, bench/mcu-firmware-s.json) give them; the personalisation table as bench/personalise.json"
python3 bench-tables.py --check
python3 personalise.py --check

step "build (release)"
cargo build --release --locked
elf=target/thumbv7em-none-eabihf/release/qemu-digits
if command -v arm-none-eabi-size >/dev/null; then arm-none-eabi-size "$elf"; fi

step "no soft-float f64 in any firmware binary (check-no-f64.sh)"
# The symbol check needs an ARM-aware nm: binutils-arm-none-eabi, or llvm-nm.
if ! command -v arm-none-eabi-nm >/dev/null && ! command -v llvm-nm >/dev/null; then
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then sudo=(sudo); fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends binutils-arm-none-eabi
fi
release=target/thumbv7em-none-eabihf/release
bash check-no-f64.sh "$release"/qemu-{digits,online,crosscheck} "$release"/qemu-personalise-{full,head,bias,int8} "$release"/bench-{w1,w2-sgd,w2-adam,w2-fused,w2-adam-fused,w2-infer,w2-deep,w3,base}

log=$(mktemp)
trap 'rm -f "$log"' EXIT
passed=0
failed=0
skipped=0
pass() { passed=$((passed + 1)); echo "ok: $*"; }
fail() { failed=$((failed + 1)); echo "FAILED: $*"; }

# Runs a command with its output shown and kept in $log; sets $status.
run_logged() {
  set +e
  "$@" 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  set -e
}

step "nRF52840-DK binaries: the digits job and personalisation (cargo build-nrf52840-dk; no board here, so not run)"
if cargo build-nrf52840-dk --locked; then
  nrf=target/thumbv7em-none-eabihf/release/nrf52840-dk
  if command -v arm-none-eabi-size >/dev/null; then arm-none-eabi-size "$nrf"; fi
  pass "nrf52840-dk builds"
  if bash check-no-f64.sh "$nrf" "$nrf-personalise"; then
    pass "nrf52840-dk has no soft-float f64"
  else
    fail "nrf52840-dk links soft-float f64"
  fi
else
  fail "nrf52840-dk build"
fi

step "digits job in QEMU (cargo run --release)"
start=$(date +%s%N)
run_logged cargo run --release --locked
end=$(date +%s%N)
echo "wall time of the QEMU run: $(((end - start) / 1000000)) ms"
if [ "$status" -eq 0 ]; then
  pass "digits job cleared its accuracy floor"
else
  fail "digits job (exit status $status)"
fi
# Its weight digest, which the C example must reproduce.
rust_digest=$(sed -n 's/.*digest digits-job: //p' "$log" | head -n 1)

step "C example in QEMU: the digits job in C against the microprop-ffi staticlib (make -C c-example run)"
# Builds libmicroprop_ffi.a for thumbv7em-none-eabihf (cargo, from the
# repository root) and the C firmware (arm-none-eabi-gcc: startup.c,
# link.ld, the digits from data/ as a C array in flash), runs it under
# QEMU mps2-an386, then compares its digest with the Rust job's above.
run_logged make --no-print-directory -C c-example run
if [ "$status" -eq 0 ]; then
  pass "C digits job cleared its accuracy floor"
else
  fail "C digits job (make exit status $status)"
fi
c_digest=$(sed -n 's/^digest digits-job: //p' "$log" | head -n 1)
echo "rust firmware: $rust_digest"
echo "C firmware:    $c_digest"
if [ -n "$c_digest" ] && [ "$c_digest" = "$rust_digest" ]; then
  pass "C digits job's weights are the Rust digits job's, bit for bit"
else
  fail "C digits job's digest differs from the Rust digits job's"
fi
if command -v arm-none-eabi-size >/dev/null; then arm-none-eabi-size c-example/build/c-digits.elf; fi
if bash check-no-f64.sh c-example/build/c-digits.elf; then
  pass "C digits job has no soft-float f64"
else
  fail "C digits job links soft-float f64"
fi

step "online learning in QEMU (cargo run --release --bin qemu-online)"
run_logged cargo run --release --locked --bin qemu-online
if [ "$status" -eq 0 ]; then
  pass "online job: forgetting without replay, retention with replay"
else
  fail "online job (exit status $status)"
fi

step "personalisation in QEMU: four fine-tuning modes (cargo run --release --bin qemu-personalise-<mode>)"
# The pretrained digits model adapts to a new user's slanted digits: full,
# head-only, bias-only and int8 backbone + float head. Each must gain on
# the new user's digits and keep the others.
for mode in full head bias int8; do
  run_logged cargo run --release --locked --bin "qemu-personalise-$mode"
  if [ "$status" -eq 0 ]; then
    pass "personalise $mode: adapted to the new user, kept the old digits"
  else
    fail "personalise $mode (exit status $status)"
  fi
done

step "personalisation table: bench/personalise.json is what QEMU measures, and microprop-sim simulate --job personalise gives QEMU's bits"
# Runs the four binaries again under QEMU and the host simulator; fails if
# an accuracy, digest, RAM or checkpoint figure in the JSON (and so the
# README's table) is stale or the host's weights differ. Instruction counts
# and code sizes depend on the build (even on the checkout's path), like
# bench-mcu.sh's: reported, re-measured on demand.
if python3 personalise.py --verify; then
  pass "personalisation table current; simulate == QEMU in all four modes"
else
  fail "personalisation table stale or simulate differs from QEMU"
fi

step "on-target tests in QEMU (cargo test)"
run_logged cargo test --locked --no-fail-fast
# defmt-test prints "(k/N) running `name`..." before each test and
# "all tests passed!" after the last; a failing test ends its binary, and
# the tests after it in that binary do not run (counted as skipped).
total=0 current=0 ok=0 binaries=0
close_binary() {
  if [ "$total" -gt 0 ]; then
    binaries=$((binaries + 1))
    if [ "$ok" -eq 1 ]; then
      passed=$((passed + total))
    else
      passed=$((passed + current - 1))
      failed=$((failed + 1))
      skipped=$((skipped + total - current))
    fi
  fi
  total=0 current=0 ok=0
}
running='^\(([0-9]+)/([0-9]+)\) running'
while IFS= read -r line; do
  if [[ $line == *"Running tests/"* ]]; then
    close_binary
  elif [[ $line =~ $running ]]; then
    current=${BASH_REMATCH[1]} total=${BASH_REMATCH[2]}
  elif [[ $line == *"all tests passed!"* ]]; then
    ok=1
  fi
done <"$log"
close_binary
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  fail "cargo test exited $status without a failing test (a build or runner error)"
fi
if [ "$binaries" -eq 0 ]; then
  fail "cargo test ran no on-target test"
fi

step "failure handlers exit non-zero in QEMU"
# panic: EXIT_PANIC; hardfault: EXIT_HARD_FAULT; overflow: the stack runs
# off the bottom of RAM (flip-link), the core locks up and QEMU aborts
# (any non-zero status but timeout's 124 will do).
for case in panic:101 hardfault:102 overflow:any; do
  name=${case%%:*}
  want=${case##*:}
  set +e
  MICROPROP_FAULT=$name cargo run --release --locked --example fault >"$log" 2>&1
  got=$?
  set -e
  if [ "$got" = "$want" ] || { [ "$want" = any ] && [ "$got" -ne 0 ] && [ "$got" -ne 124 ]; }; then
    pass "$name exits $got"
  else
    cat "$log"
    fail "$name exited $got, expected $want"
  fi
done

# Runs one test of device/tests/host_vs_qemu.rs: firmware under QEMU and the
# same runs on the host; one "<name>: identical" or "<name>: DIFFERENT" line
# per model. Ignored by a plain `cargo test` because it needs QEMU.
in_dir() { (cd "$1" && shift && "$@"); }
host_vs_qemu() { # <test name> <what>
  run_logged in_dir ../device cargo test --locked --test host_vs_qemu -- --ignored --exact "$1" --nocapture
  local identical different
  identical=$(grep -c ': identical$' "$log" || true)
  different=$(grep -c ': DIFFERENT$' "$log" || true)
  passed=$((passed + identical))
  failed=$((failed + different))
  if [ "$status" -ne 0 ] && [ "$different" -eq 0 ]; then
    fail "host-vs-QEMU test ($2) exited $status without a compared model (QEMU or build missing?)"
  elif [ "$identical" -eq 0 ]; then
    fail "host-vs-QEMU test ($2) compared no model"
  fi
}

step "host vs QEMU, Cortex-M4F (mps2-an386): every final weight bit for bit"
# qemu-crosscheck, qemu-digits and qemu-online.
host_vs_qemu every_weight_is_bit_identical_on_the_host_and_under_qemu "Cortex-M4F"

step "host vs QEMU, Cortex-M0 (thumbv6m-none-eabi, microbit): every final weight bit for bit"
# Builds microbit-crosscheck (cargo microbit-crosscheck: soft-float, 16 KiB
# of RAM), runs it under qemu-system-arm -machine microbit (qemu-run.sh
# picks the machine from the thumbv6m target directory) and compares its
# digests (xor-sgd, digits-sgd-fused) with the host's.
host_vs_qemu every_weight_is_bit_identical_on_the_host_and_on_a_cortex_m0 "Cortex-M0"

step "embassy example in QEMU (embassy/: cargo run --release)"
# Two tasks on embassy's executor: a sampler (20 kHz embassy-time Ticker over
# the SysTick driver) feeding a learner through an embassy-sync Channel;
# exit 0 when the held-out accuracy reaches its floor. QEMU_TIMEOUT: it must
# finish within a minute.
run_logged in_dir embassy env QEMU_TIMEOUT=60 cargo run --release --locked
if [ "$status" -eq 0 ] && grep -q 'learned, 0 dropped,' "$log"; then
  pass "embassy example learned (no sample dropped)"
else
  fail "embassy example (exit status $status)"
fi

step "starter firmware (../examples/starter), in place and as a user's copy"
# In place, then copied to a temporary directory with the microprop path made
# absolute (what its Cargo.toml tells a user to do), sharing the target
# directory so the copy only relinks.
starter=$(cd ../examples/starter && pwd)
core=$(cd ../core && pwd)
run_logged in_dir "$starter" timeout 120 cargo run --profile firmware --locked
if [ "$status" -eq 0 ]; then
  pass "starter learned XOR"
else
  fail "starter (exit status $status)"
fi
copy=$(mktemp -d)
tar -C "$starter" --exclude=./target -cf - . | tar -C "$copy" -xf -
sed -i "s|^microprop = { path = \"../../core\" }|microprop = { path = \"$core\" }|" "$copy/Cargo.toml"
if grep -q "^microprop = { path = \"$core\" }" "$copy/Cargo.toml"; then
  run_logged in_dir "$copy" env CARGO_TARGET_DIR="$starter/target" timeout 120 cargo run --profile firmware --locked
else
  status="no microprop path dependency to rewrite"
fi
rm -rf "$copy"
if [ "$status" = 0 ]; then
  pass "starter, copied out of the repository, learned XOR"
else
  fail "starter copied out of the repository ($status)"
fi

# The MCU benchmarks (bench-mcu.sh) build nine binaries in the `firmware`
# profile (a second build of every dependency); they are run on demand, or
# here with MICROPROP_CI_BENCH=1, to keep CI short. bench-mcu.sh writes
# target/bench-mcu.json and prints the tables bench-tables.py makes of it
# (committing new numbers is a deliberate `python3 firmware/bench-tables.py`).
if [ "${MICROPROP_CI_BENCH:-0}" = 1 ]; then
  step "MCU benchmarks in QEMU (bench-mcu.sh --no-clean): target/bench-mcu.json"
  if bash bench-mcu.sh --no-clean; then
    pass "bench-mcu"
  else
    fail "bench-mcu"
  fi
fi

echo
if [ "$skipped" -gt 0 ]; then
  echo "qemu: $passed passed, $failed failed, $skipped skipped"
else
  echo "qemu: $passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]

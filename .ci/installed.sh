#!/usr/bin/env bash
# `cargo install --path host-sim` gives a working tool: the installed
# binary, run in an empty folder with no data folder to find
# (MICROPROP_DATA_DIR unset, the checkout's data/ skipped by
# MICROPROP_NO_CHECKOUT_DATA=1), trains the built-in models on the data sets
# built into it and writes its checkpoints into the current directory.
# host-sim/tests/installed.rs checks the same with the binary cargo test
# builds.
#   bash .ci/installed.sh
set -euo pipefail
cd "$(dirname "$0")/.."

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# With --path, cargo builds in the workspace's target/ (release profile),
# so after `cargo build --release -p microprop-sim` this only links.
cargo install --path host-sim --locked --root "$tmp/root" --quiet
bin="$tmp/root/bin/microprop-sim"

mkdir "$tmp/run"
cd "$tmp/run"
unset MICROPROP_DATA_DIR
export MICROPROP_NO_CHECKOUT_DATA=1
"$bin" train --model iris --epochs 1 --quiet >/dev/null
"$bin" train --model digits --epochs 1 --quiet >/dev/null
"$bin" eval --model iris | grep -q "checkpoint iris.mpck"
"$bin" models | grep -q "bundled data: read from the copies built into microprop-sim"
for file in iris.mpck digits.mpck; do
  [ -s "$file" ] || { echo "installed.sh: $file was not written into the current directory" >&2; exit 1; }
done
echo "installed.sh: the installed microprop-sim trained iris and digits from its built-in data in $PWD"

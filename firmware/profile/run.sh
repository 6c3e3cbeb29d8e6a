#!/usr/bin/env bash
# Where a firmware binary's instructions go, function by function, exactly:
#   bash firmware/profile/run.sh <elf> [N]
# e.g. after `bash firmware/bench-mcu.sh --no-clean`:
#   bash firmware/profile/run.sh firmware/target/thumbv7em-none-eabihf/release/bench-w2-fused
# Builds the QEMU plugin pcprof.c (gcc), runs the ELF under QEMU mps2-an386
# with -icount, writes the per-address histogram next to the ELF
# (<elf>.pcprof) and prints the N busiest functions. The counts cover the
# whole run (start-up and weight initialisation included), not only the
# measured loops; to see one loop, read the histogram against
# `arm-none-eabi-objdump -d <elf>`. Needs gcc, qemu-system-arm (built with
# plugin support, as Debian's is), binutils-arm-none-eabi and python3.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
elf=$1
top=${2:-15}
plugin=$here/../target/libpcprof.so
mkdir -p "$(dirname "$plugin")"
if [ ! -f "$plugin" ] || [ "$here/pcprof.c" -nt "$plugin" ]; then
  gcc -O2 -shared -fPIC -fvisibility=hidden -o "$plugin" "$here/pcprof.c"
fi
timeout "${QEMU_TIMEOUT:-300}" qemu-system-arm \
  -machine mps2-an386 -cpu cortex-m4 -nographic \
  -semihosting-config enable=on,target=native -icount shift=0 \
  -plugin "$plugin,out=$elf.pcprof" -kernel "$elf" >/dev/null </dev/null
python3 "$here/by_function.py" "$elf" "$elf.pcprof" "$top"

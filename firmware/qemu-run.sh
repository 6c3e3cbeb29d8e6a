#!/usr/bin/env bash
# Cargo runner: boots an ELF on QEMU's mps2-an386 (Cortex-M4F) and decodes
# its defmt output. The firmware's semihosting exit status becomes this
# script's (0 ok, non-zero failure); a hang is stopped by `timeout` (124).
#   -icount shift=0: one instruction = 1 ns of virtual time, so SysTick
#   (25 MHz) counts exactly 40 instructions a tick and runs are repeatable.
set -euo pipefail
elf="$1"
timeout "${QEMU_TIMEOUT:-120}" qemu-system-arm \
  -machine mps2-an386 -cpu cortex-m4 -nographic \
  -semihosting-config enable=on,target=native -icount shift=0 \
  -kernel "$elf" </dev/null |
  defmt-print -e "$elf"

#!/usr/bin/env bash
# Cargo runner: boots an ELF under QEMU and decodes its defmt output. The
# firmware's semihosting exit status becomes this script's (0 ok, non-zero
# failure); a hang is stopped by `timeout` (124).
#   The machine follows the ELF's target directory: thumbv6m-none-eabi ->
#   `microbit` (nRF51822, Cortex-M0, 16 KiB RAM); anything else ->
#   `mps2-an386` (Cortex-M4F). QEMU_MACHINE=<machine> overrides it.
#   -icount shift=0: one instruction = 1 ns of virtual time, so SysTick
#   (25 MHz on mps2) counts exactly 40 instructions a tick and runs are
#   repeatable.
set -euo pipefail
elf="$1"
case "${QEMU_MACHINE:-}:$elf" in
  microbit:* | :*/thumbv6m-none-eabi/*) machine=(-machine microbit) ;;
  :*) machine=(-machine mps2-an386 -cpu cortex-m4) ;;
  *) machine=(-machine "$QEMU_MACHINE") ;;
esac
timeout "${QEMU_TIMEOUT:-120}" qemu-system-arm \
  "${machine[@]}" -nographic \
  -semihosting-config enable=on,target=native -icount shift=0 \
  -kernel "$elf" </dev/null |
  defmt-print -e "$elf"

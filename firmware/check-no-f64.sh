#!/usr/bin/env bash
# Fails if a firmware ELF links software double-precision arithmetic: the
# Cortex-M4F's FPU is single-precision, so any f64 operation becomes a call
# into compiler-builtins (`__aeabi_dadd`, `__muldf3`, `__aeabi_f2d`, ...),
# kilobytes of code and hundreds of instructions a call. The core keeps the
# training path in f32 (docs/ARCHITECTURE.md, "Same numbers everywhere").
#   bash check-no-f64.sh ELF...
# Prints the offending symbols of each ELF; exits 1 if any ELF has one.
set -euo pipefail

nm=$(command -v arm-none-eabi-nm || command -v llvm-nm || true)
if [ -z "$nm" ]; then
  echo "check-no-f64: needs arm-none-eabi-nm (binutils-arm-none-eabi) or llvm-nm" >&2
  exit 2
fi

# The run-time ABI's double routines and conversions (__aeabi_dadd,
# __aeabi_dcmplt, __aeabi_f2d, __aeabi_d2f, __aeabi_i2d, __aeabi_d2uiz, ...)
# and compiler-builtins' generic names (__adddf3, __muldf3, __divdf3,
# __extendsfdf2, __truncdfsf2, __fixdfsi, __floatsidf, ...), also as the
# last component of a mangled Rust path.
pattern='(^|_)__aeabi_(d[a-z0-9]+|f2d|u?i2d|u?l2d)$|__[a-z]+df[23]$|__[a-z]+df[a-z]*i$|__float[a-z]*idf$|__extendsfdf2$|__truncdfsf2$'

found=0
for elf in "$@"; do
  symbols=$("$nm" --defined-only "$elf" | awk '{print $NF}' | sed 's/E$//' | grep -E "$pattern" || true)
  if [ -n "$symbols" ]; then
    echo "FAILED: $elf links soft-float f64:"
    echo "$symbols" | sed 's/^/  /'
    found=1
  else
    echo "ok: $elf has no soft-float f64 symbol"
  fi
done
exit "$found"

"""Sums a pcprof.c histogram by function.

    by_function.py ELF PROFILE [N]          the N (default 15) busiest functions, as text
    by_function.py ELF PROFILE N --json     the same as JSON: {"total": ..., "functions": [...]}

Each function's executed instructions and share of the whole run; symbols
(demangled) from arm-none-eabi-nm. Functions of the same name (one per
monomorphisation) are summed.
"""

import bisect
import json
import subprocess
import sys


def symbols(elf):
    """(start, end, name) of every code symbol, sorted by address."""
    nm = subprocess.run(
        ["arm-none-eabi-nm", "-C", "-S", "--defined-only", elf], capture_output=True, text=True, check=True
    )
    found = []
    for line in nm.stdout.splitlines():
        parts = line.split(None, 3)
        if len(parts) == 4 and parts[2] in "tTwW":
            start = int(parts[0], 16) & ~1
            found.append((start, start + int(parts[1], 16), parts[3]))
    return sorted(found)


def by_function(elf, profile):
    """Function name -> instructions executed, and the run's total."""
    syms = symbols(elf)
    starts = [s[0] for s in syms]
    totals, total = {}, 0
    with open(profile) as lines:
        for line in lines:
            pc, count = line.split()
            pc, count = int(pc, 16), int(count)
            total += count
            i = bisect.bisect_right(starts, pc) - 1
            name = syms[i][2] if i >= 0 and syms[i][0] <= pc < syms[i][1] else "?"
            totals[name] = totals.get(name, 0) + count
    return totals, total


def main():
    args = [a for a in sys.argv[1:] if a != "--json"]
    elf, profile = args[0], args[1]
    top = int(args[2]) if len(args) > 2 else 15
    totals, total = by_function(elf, profile)
    busiest = sorted(totals.items(), key=lambda kv: -kv[1])[:top]
    if "--json" in sys.argv:
        functions = [
            {"function": name, "instructions": count, "share": round(count / total, 4)} for name, count in busiest
        ]
        json.dump({"total": total, "functions": functions}, sys.stdout, indent=2)
        print()
        return
    for name, count in busiest:
        print(f"{count:>12} {100 * count / total:5.1f}%  {name[:150]}")
    print(f"{total:>12} total")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Compiles every Rust snippet of README.md and core/README.md for Cortex-M.

    python3 .ci/readme-snippets.py          # generate target/readme-snippets/ and build it
    python3 .ci/readme-snippets.py --list   # which blocks it finds and how it builds each

Each ```rust block (in core/README.md, the crate's rustdoc front page, also
an untagged ``` block, which rustdoc runs as Rust) becomes one crate of a
throwaway workspace in target/readme-snippets/, built (`cargo build`) and
linted (`cargo clippy`) for thumbv7em-none-eabihf, no_std, with warnings
as errors (an unused import or variable in a snippet fails). The snippets' dependencies are those of
examples/starter/Cargo.toml (microprop by path, cortex-m, cortex-m-rt,
static_cell, semihosting), at the versions of examples/starter/Cargo.lock.

How a block is built (rustdoc's conventions, so core/README.md's blocks are
also its host doctests):
- A block with `fn main` or `#[entry]` is a whole program: it is the crate's
  src/main.rs as written (so it must be `#![no_std]`/`#![no_main]` firmware
  with its panic handler) and is linked against examples/starter/memory.x
  with cortex-m-rt's link.x.
- Any other block is a function body: it is placed in
  `pub fn snippet() { ... }` of a `#![no_std]` library, or in
  `pub fn snippet() -> Result<(), impl core::fmt::Debug> { ... }` when its
  last line is `Ok::<(), E>(())`. Dead code (a helper function the snippet
  shows but does not call) is allowed; every other warning is an error.
- Lines starting with `# ` (or a lone `#`) are compiled but hidden in the
  rendered docs, as in rustdoc; GitHub shows them, so README.md uses none.
- A fence with any attribute besides `rust` (```rust,ignore, ```rust,no_run,
  ...) is refused: every block is compiled, none is excluded. A snippet that
  needs std would need a host variant of this check (there is none, as no
  snippet needs one).

A failure names the README and line of the block; the generated sources are
left in target/readme-snippets/ to read.
"""

import argparse
import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
READMES = [(ROOT / "README.md", False), (ROOT / "core/README.md", True)]  # (path, untagged is Rust)
STARTER = ROOT / "examples/starter"
OUT = ROOT / "target/readme-snippets"
TARGET = "thumbv7em-none-eabihf"
FENCE = re.compile(r"^(\s*)(`{3,})(.*)$")
LIB_HEADER = "#![no_std]\n#![allow(dead_code)]\n"


def blocks(path, untagged_is_rust):
    """[(line of the opening fence, code)] of the file's Rust blocks."""
    found, lines, i = [], path.read_text().splitlines(), 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, ticks, info = m.group(1), m.group(2), m.group(3).strip()
        start, body = i + 1, []
        i += 1
        while i < len(lines) and not (lines[i].strip().startswith(ticks) and lines[i].strip().strip("`") == ""):
            body.append(lines[i][len(indent) :] if lines[i].startswith(indent) else lines[i].lstrip())
            i += 1
        if i == len(lines):
            sys.exit(f"{path.relative_to(ROOT)}:{start}: code block never closed")
        i += 1
        words = [w.strip() for w in info.split(",") if w.strip()]
        if (words and words[0] == "rust") or (untagged_is_rust and not words):
            if words[1:]:
                sys.exit(
                    f"{path.relative_to(ROOT)}:{start}: ```{info}: attributes are not supported here, "
                    "every Rust block is compiled (.ci/readme-snippets.py)"
                )
            found.append((start, "\n".join(body) + "\n"))
    return found


def unhide(code):
    """rustdoc's hidden lines (`# x`, `#`) shown; `##` is a literal `#`."""
    out = []
    for line in code.splitlines():
        stripped = line.lstrip()
        if stripped == "#":
            out.append("")
        elif stripped.startswith("# "):
            out.append(line[: len(line) - len(stripped)] + stripped[2:])
        elif stripped.startswith("##"):
            out.append(line[: len(line) - len(stripped)] + stripped[1:])
        else:
            out.append(line)
    return "\n".join(out) + "\n"


def is_program(code):
    return re.search(r"^\s*(pub\s+)?fn\s+main\s*\(", code, re.M) is not None or "#[entry]" in code


def as_library(code):
    """(source, line offset of the block in it) of a function-body block."""
    last = [line for line in code.splitlines() if line.strip()][-1].strip()
    returns = " -> Result<(), impl core::fmt::Debug>" if last.startswith("Ok::<") else ""
    head = LIB_HEADER + f"\npub fn snippet(){returns} {{\n"
    return head + code + "}\n", head.count("\n")


def dependencies():
    """examples/starter's [dependencies], microprop's path made absolute."""
    with open(STARTER / "Cargo.toml", "rb") as f:
        deps = tomllib.load(f)["dependencies"]
    lines = []
    for name, spec in deps.items():
        if isinstance(spec, str):
            spec = {"version": spec}
        spec = dict(spec)
        if "path" in spec:
            spec["path"] = str((STARTER / spec["path"]).resolve())
        # JSON's strings, lists, booleans and integers are TOML's too.
        lines.append(f"{name} = {{ {', '.join(f'{k} = {json.dumps(v)}' for k, v in spec.items())} }}")
    return "\n".join(lines) + "\n"


def generate():
    """Writes the workspace; returns [(crate, readme, line, kind, source file, offset)]."""
    if OUT.exists():
        for entry in OUT.iterdir():
            if entry.name != "target":
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    OUT.mkdir(parents=True, exist_ok=True)
    deps = dependencies()
    crates = []
    for path, untagged in READMES:
        rel = path.relative_to(ROOT)
        for line, code in blocks(path, untagged):
            code = unhide(code)
            name = re.sub(r"[^a-z0-9]+", "-", str(rel).lower()).strip("-") + f"-{line}"
            src = OUT / name / "src"
            src.mkdir(parents=True)
            if is_program(code):
                kind, file, text, offset = "program (linked)", src / "main.rs", code, 0
                bin = f'\n[[bin]]\nname = "{name}"\ntest = false\nbench = false\n'
            else:
                kind, file = "function body (library)", src / "lib.rs"
                (text, offset), bin = as_library(code), "\n[lib]\ntest = false\nbench = false\n"
            file.write_text(text)
            (OUT / name / "Cargo.toml").write_text(
                f'[package]\nname = "{name}"\nversion = "0.0.0"\nedition = "2024"\npublish = false\n'
                f"{bin}\n[dependencies]\n{deps}"
            )
            crates.append((name, rel, line, kind, file, offset))
    members = ", ".join(f'"{c[0]}"' for c in crates)
    (OUT / "Cargo.toml").write_text(
        "# Generated by .ci/readme-snippets.py from the READMEs' Rust blocks; do not edit.\n"
        f'[workspace]\nresolver = "3"\nmembers = [{members}]\n'
    )
    # The starter's versions: cargo adds the snippet crates and keeps the rest.
    shutil.copyfile(STARTER / "Cargo.lock", OUT / "Cargo.lock")
    shutil.copyfile(STARTER / "memory.x", OUT / "memory.x")
    (OUT / ".cargo").mkdir()
    (OUT / ".cargo/config.toml").write_text(
        f'[build]\ntarget = "{TARGET}"\n\n'
        f"[target.{TARGET}]\n"
        f'rustflags = ["-C", "link-arg=-Tlink.x", "-C", "link-arg=-L{OUT}", "-D", "warnings"]\n'
    )
    return crates


def readme_locations(output, crates):
    """cargo's output with `(README.md:L)` after each location in a snippet crate."""
    where = {name: (rel, line, offset) for name, rel, line, _, _, offset in crates}

    def annotate(m):
        rel, fence, offset = where[m.group(1)]
        return f"{m.group(0)} ({rel}:{fence + int(m.group(2)) - offset})"

    names = "|".join(re.escape(name) for name in where)
    return re.sub(rf"\b({names})/src/(?:lib|main)\.rs:(\d+)(?::\d+)?", annotate, output)


def registry_versions(lock):
    """{(name, version)} of a Cargo.lock's crates.io packages."""
    with open(lock, "rb") as f:
        packages = tomllib.load(f).get("package", [])
    return {(p["name"], p["version"]) for p in packages if p.get("source", "").startswith("registry+")}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--list", action="store_true", help="list the blocks and how each is built, build nothing")
    args = parser.parse_args()
    crates = generate()
    if not crates:
        sys.exit("readme-snippets: no Rust blocks found")
    for name, rel, line, kind, file, offset in crates:
        print(f"{rel}:{line}: {kind} -> {file.relative_to(ROOT)} (line k of the block is line k+{offset} there)")
    if args.list:
        return
    # cwd = the workspace, so its .cargo/config.toml applies; the repository's
    # rust-toolchain.toml (a parent directory) picks the toolchain.
    failed = []
    for command in ("build", "clippy"):
        run = subprocess.run(
            ["cargo", command, "--workspace", "--keep-going"], cwd=OUT, stderr=subprocess.PIPE, text=True
        )
        sys.stderr.write(readme_locations(run.stderr, crates))
        if run.returncode != 0:
            failed.append(command)
    # cargo added the snippet crates to the copied lock file; nothing else may move.
    if registry_versions(OUT / "Cargo.lock") != registry_versions(STARTER / "Cargo.lock"):
        sys.exit("readme-snippets: cargo resolved other crate versions than examples/starter/Cargo.lock")
    if failed:
        sys.exit(
            f"readme-snippets: cargo {' and '.join(failed)} failed for a README snippet on {TARGET} "
            f"(the sources: {OUT.relative_to(ROOT)})"
        )
    print(f"readme-snippets: {len(crates)} blocks build and are clippy-clean for {TARGET}")


if __name__ == "__main__":
    main()

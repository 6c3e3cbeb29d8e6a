#!/usr/bin/env python3
"""Checks that core/README.md lists the crate root exactly:

    python3 .ci/root-exports.py

The names `pub use`d in core/src/lib.rs, the `#[macro_export]` macros of
core/src and its `pub mod`s must be the names linked (`` [`Name`] ``) in
core/README.md's list "What the crate root holds", from that sentence to
the first code block: a name added to or removed from the root without the
README, or the other way round, fails. Python 3 standard library only.
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIB = ROOT / "core/src/lib.rs"
README = ROOT / "core/README.md"
LIST_START = "What the crate root holds"


def root_names():
    """(items, modules) at the crate root: `pub use` names (a re-exported
    crate or module counts as an item) and macros, and `pub mod` names."""
    text = re.sub(r"//[^\n]*", "", LIB.read_text())
    items = set()
    for body in re.findall(r"\bpub use\s+([^;]+);", text):
        body = " ".join(body.split())
        prefix, _, group = body.partition("::{")
        names = group.rstrip("}").split(",") if group else [body.rsplit("::", 1)[-1]]
        for name in names:
            name = name.strip()
            if not name:
                continue
            if " as " in name:
                name = name.split(" as ")[1]
            items.add(name.rsplit("::", 1)[-1].strip())
    for path in (ROOT / "core/src").rglob("*.rs"):
        items.update(re.findall(r"#\[macro_export\]\s*(?:#\[[^\]]*\]\s*)*macro_rules!\s*(\w+)", path.read_text()))
    modules = set(re.findall(r"^\s*pub mod (\w+);", text, re.M))
    return items, modules


def readme_names():
    """The names linked in the README's list of the root: `network!` as
    `network`, paths such as `init::SeededRng` left out (they are not at
    the root)."""
    text = README.read_text()
    start = text.find(LIST_START)
    if start < 0:
        sys.exit(f"root-exports: core/README.md has no {LIST_START!r} list")
    end = text.find("```", start)
    section = text[start : end if end >= 0 else len(text)]
    names = set()
    for name in re.findall(r"\[`([^`\]]+)`\]", section):
        if "::" in name:
            continue
        names.add(name.rstrip("!"))
    return names


def main():
    items, modules = root_names()
    listed = readme_names()
    expected = items | modules
    missing = sorted(expected - listed)
    extra = sorted(listed - expected)
    if missing or extra:
        if missing:
            print(f"root-exports: at the crate root but not in core/README.md's list: {', '.join(missing)}")
        if extra:
            print(f"root-exports: in core/README.md's list but not at the crate root: {', '.join(extra)}")
        sys.exit(1)
    print(
        f"root-exports: core/README.md lists the {len(items)} root names and {len(modules)} modules "
        "of core/src/lib.rs exactly"
    )


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Fails if a module imports a module that imports it back (directly or round a loop).

    python3 .ci/module-cycles.py core/src device/src host-sim/src ...

Each argument is a crate's `src` directory. Every `crate::`, `super::` and
`self::` path in a file (in `use` lines, in code and in doc links alike) is an
edge from the file's module to the deepest module the path names. Edges are
compared between siblings: a path from `a::x` to `b::y` is an edge `a -> b`
at the crate root, a path from `a::x` to `a::y` an edge `x -> y` inside `a`.
A child naming its ancestor (or the other way round) is not an edge: a parent
declares its children. Exit status 1 and the loops found if any level has a
cycle.
"""

import re
import sys
from pathlib import Path

INLINE_MOD = re.compile(r"^\s*(pub(\([a-z]+\))?\s+)?mod\s+\w+\s*\{")
PATH = re.compile(r"\b(crate|super|self)((?:::[A-Za-z_][A-Za-z0-9_]*)*)(::\{([^{}]*)\})?")


def module_of(src: Path, file: Path) -> tuple:
    """The module path of a source file: src/a/b.rs and src/a/b/mod.rs are ("a", "b")."""
    parts = list(file.relative_to(src).with_suffix("").parts)
    if parts[-1] in ("mod", "lib", "main"):
        parts.pop()
    return tuple(parts)


def named_modules(base: tuple, tail: str, group: str | None) -> list:
    """The module paths a `crate::a::b::{c, d::e}` reference names (prefixes resolved later)."""
    segments = [s for s in tail.split("::") if s]
    heads = [tuple(base) + tuple(segments)]
    if group is not None:
        heads = []
        for item in group.split(","):
            item = item.strip().split(" as ")[0].strip()
            if not item or item == "self":
                heads.append(tuple(base) + tuple(segments))
                continue
            heads.append(tuple(base) + tuple(segments) + tuple(item.split("::")))
    return heads


def deepest_module(path: tuple, modules: set) -> tuple:
    """The longest prefix of `path` that is a module of the crate."""
    for end in range(len(path), -1, -1):
        if path[:end] in modules:
            return path[:end]
    return ()


def edges_of(src: Path) -> dict:
    """(parent, child_a, child_b) -> example locations, for each sibling edge."""
    files = sorted(src.rglob("*.rs"))
    modules = {module_of(src, f) for f in files}
    edges = {}
    for file in files:
        here = module_of(src, file)
        # Inside an inline `mod name {` block (tests, mostly) `super` is the file's module.
        inline = False
        for number, line in enumerate(file.read_text().splitlines(), 1):
            if INLINE_MOD.match(line):
                inline = True
            for kind, tail, _, group in PATH.findall(line):
                if kind == "crate":
                    base = ()
                elif kind == "self":
                    base = here
                else:
                    # `super` in src/a/b.rs (or src/a/b/mod.rs) is `a`.
                    base = here if inline else here[:-1]
                    while tail.startswith("::super"):
                        tail = tail[len("::super"):]
                        base = base[:-1]
                for named in named_modules(base, tail, group if group else None):
                    target = deepest_module(named, modules)
                    common = 0
                    while common < min(len(here), len(target)) and here[common] == target[common]:
                        common += 1
                    if common == len(here) or common == len(target):
                        continue  # the same module, an ancestor or a descendant
                    key = (here[:common], here[common], target[common])
                    where = f"{file.relative_to(src)}:{number}"
                    edges.setdefault(key, []).append(where)
    return edges


def cycles(edges: dict) -> list:
    """Strongly connected components of more than one module, per parent module."""
    graphs = {}
    for parent, a, b in edges:
        graphs.setdefault(parent, {}).setdefault(a, set()).add(b)
        graphs[parent].setdefault(b, set())
    found = []
    for parent, graph in graphs.items():
        index, low, stack, on_stack, counter = {}, {}, [], set(), [0]

        def visit(v):
            index[v] = low[v] = counter[0]
            counter[0] += 1
            stack.append(v)
            on_stack.add(v)
            for w in graph[v]:
                if w not in index:
                    visit(w)
                    low[v] = min(low[v], low[w])
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
            if low[v] == index[v]:
                component = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    component.append(w)
                    if w == v:
                        break
                if len(component) > 1:
                    found.append((parent, sorted(component)))

        sys.setrecursionlimit(10000)
        for v in sorted(graph):
            if v not in index:
                visit(v)
    return found


def main() -> int:
    failed = False
    for argument in sys.argv[1:]:
        src = Path(argument)
        edges = edges_of(src)
        for parent, component in cycles(edges):
            failed = True
            scope = "::".join(("crate",) + parent)
            print(f"{src}: modules of {scope} import each other: {', '.join(component)}")
            for (p, a, b), places in sorted(edges.items()):
                if p == parent and a in component and b in component:
                    print(f"    {a} -> {b}: {', '.join(places[:3])}")
    if not failed:
        print(f"no module cycles in {len(sys.argv) - 1} crates")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

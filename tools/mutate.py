#!/usr/bin/env python3
"""`make mutate`: mutation testing of the core modules with mutmut, then the kill rate per module.

mutmut 3 does not mutate decorated functions, and nearly every service is
`@transaction.atomic`. Its reasons (a copied function re-running a decorator
with side effects, or one whose result is cached) do not hold for decorators
that only wrap a call, so this wrapper lets those through: the trampoline keeps
the decorator, and the original and mutated copies are plain functions called
inside it. The source files stay as they are.

The patch replaces two of mutmut's internals (MutationVisitor._skip_node_and_children
and file_mutation.function_trampoline_arrangement), so mutmut is pinned (pyproject.toml,
dev extra); check both still exist before moving the pin. Usage:

    python tools/mutate.py                  # mutmut run, one child, then the report
    python tools/mutate.py <mutant names>   # re-test only those (e.g. the survivors), then the report
    python tools/mutate.py report           # the report of the last run only
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import libcst as cst
from libcst.metadata import PositionProvider
from mutmut.mutation import file_mutation
from mutmut.mutation.file_mutation import MutationVisitor

# Decorators that only wrap a call (no caching, no registration that a second copy would repeat).
# `register` is Django's system-check registry: only the trampoline is registered.
TRANSPARENT_DECORATORS = frozenset({"atomic", "register"})

KILLED = {1, 3, 36, 37, -24, 24, 152, 255}  # mutmut's exit codes that count as killed (incl. timeouts)


def _decorator_name(decorator: cst.BaseExpression) -> str:
    """`@transaction.atomic`, `@atomic` and `@register("security")` read as atomic / atomic / register."""
    while isinstance(decorator, cst.Call):
        decorator = decorator.func
    if isinstance(decorator, cst.Attribute):
        return decorator.attr.value
    return getattr(decorator, "value", "")


def _only_transparent_decorators(node: cst.CSTNode) -> bool:
    return (
        isinstance(node, cst.FunctionDef)
        and bool(node.decorators)
        and all(_decorator_name(d.decorator) in TRANSPARENT_DECORATORS for d in node.decorators)
    )


_original_skip = MutationVisitor._skip_node_and_children


def _skip_node_and_children(self, node):
    if not _only_transparent_decorators(node):
        return _original_skip(self, node)
    # Position metadata is keyed by node identity, so honour `# pragma: no mutate` on the real node,
    # then let mutmut decide the rest as if the function had no decorator.
    position = self.get_metadata(PositionProvider, node, None)
    if position and position.start.line in self._ignored_node_lines:
        self.ignored_functions.add(node.name.value)
        return True
    return _original_skip(self, node.with_changes(decorators=[]))


_original_arrangement = file_mutation.function_trampoline_arrangement


def _function_trampoline_arrangement(function, mutants, class_name):
    """Only the trampoline keeps the decorator: the copies it calls must not register or wrap twice."""
    declarations, methods, assignments, names = _original_arrangement(function, mutants, class_name)
    if _only_transparent_decorators(function):
        methods = [methods[0], *(method.with_changes(decorators=[]) for method in methods[1:])]
    return declarations, methods, assignments, names


MutationVisitor._skip_node_and_children = _skip_node_and_children
file_mutation.function_trampoline_arrangement = _function_trampoline_arrangement


def report(mutants_dir: Path = Path("mutants")) -> None:
    import json

    from mutmut.stats import status_by_exit_code

    rows = []
    for meta in sorted(mutants_dir.rglob("*.py.meta")):
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        statuses = Counter(status_by_exit_code[code] for code in codes.values())
        killed = sum(1 for code in codes.values() if code in KILLED)
        total = len(codes)
        module = meta.relative_to(mutants_dir).as_posix().removesuffix(".meta")
        rows.append((module, killed, total, statuses))
    if not rows:
        print("No mutation results yet: run `make mutate`.")
        return
    print(f"\n{'module':<42} {'killed':>7} {'total':>6} {'rate':>6}  other")
    for module, killed, total, statuses in rows:
        rate = f"{100 * killed / total:.0f}%" if total else "-"
        other = ", ".join(f"{n} {s}" for s, n in sorted(statuses.items()) if s not in ("killed", "timeout"))
        print(f"{module:<42} {killed:>7} {total:>6} {rate:>6}  {other}")
    print("\nList survivors with `.venv/bin/mutmut results`, show one with `.venv/bin/mutmut show <name>`.")


def main() -> None:
    if sys.argv[1:] == ["report"]:
        report()
        return
    from mutmut.__main__ import cli

    # One child process: the machine is shared. SystemExit carries mutmut's exit code.
    try:
        cli(["run", "--max-children", "1", *sys.argv[1:]], standalone_mode=False)
    finally:
        report()


if __name__ == "__main__":
    main()

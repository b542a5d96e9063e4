#!/usr/bin/env python3
"""Mutation testing of the checks officers sign: the naming rules, the romanization, the coverage check of
division polygons, the coverage analysis and the version check. A run, not a CI step (it takes tens of
minutes): each mutant is one small change to one function (a comparison turned the other way or made
inclusive, ``and`` for ``or``, a ``not`` dropped, ``+`` for ``-``, a whole number one larger), written into
a copy of ``src`` and tested with the tests that cover that module. A mutant the tests fail on is killed;
one they pass is a survivor: either a test is missing (write it) or the change cannot alter a result
(argue it in the README's list).

    python scripts/mutants.py                       # every target; survivors to build/mutants.json
    python scripts/mutants.py --target rules --jobs 2
    python scripts/mutants.py --list                # the mutants, without running them

Made here rather than with a mutation tool: the targets are a few functions, the copies keep the store
and the browser tests out, and each mutant names the line and the change in the terms the README uses.
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable

# target: module (under src/mzgis), the functions mutated (all their code; methods by name), the tests that
# cover them, and the module's other functions with something to mutate, left out on purpose: a function in
# neither list (one split off, one added) stops the run, so a target never shrinks unseen
TARGETS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "rules": (
        "gazetteer/rules.py",
        ("check_name", "_structure", "_numbering", "_scope_findings", "_softened", "scope_of", "_in_gb2312"),
        ("tests/gazetteer/test_rules.py", "tests/gazetteer/test_real_names.py"),
        # loading, wording and a hint (the person-name hint is a warning, not a rule): not yet mutated
        ("_rules_text", "load_rules", "_finding", "spell", "_sound", "_person_name", "has_errors"),
    ),
    "romanize": (
        "gazetteer/romanize.py",
        (
            "syllables",
            "_starts_with_vowel",
            "romanize_part",
            "chinese_number",
            "_place_before_ordinal",
            "spelling",
            "_word_from",
            "_spelled",
            "romanize",
            "_join",
        ),
        ("tests/gazetteer/test_romanize.py", "tests/gazetteer/test_spelling_rules.py"),
        # the readings' loading and digest, and the tone marks (--tones, not the standard spelling): not yet
        ("digest", "longest", "_parse_readings", "load_readings", "_general", "_mark", "_known_places"),
    ),
    "boundary": (
        "boundary/coverage.py",
        (
            "check_coverage",
            "__init__",
            "measured",
            "validity",
            "edges",
            "overlaps",
            "parent_geometries",
            "against_parents",
            "unparented_gaps",
            "gaps",
            "hierarchy",
            "listed",
            "report",
            "max_width",
            "add",
            "_union",
            "_code_stem",
            "_polygonal",
        ),
        ("tests/boundary/test_coverage.py",),
        # the report's shape, a number's formatting, the CRS chosen and the edges' fingerprint (a hash)
        ("as_dict", "_num", "_in_storage_or_projected", "_mix", "_edge_print"),
    ),
    "analysis": (
        "coverage/analysis.py",
        (
            "analyze",
            "_rows",
            "_district",
            "_assign",
            "_place",
            "_placed",
            "_points",
            "_villages",
            "_tally",
            "_covered_inside",
            "_village_tables",
            "not_run_without_villages",
            "_townships_own",
            "latest_population",
            "_ratios",
            "_per_town",
        ),
        ("tests/coverage/test_analysis.py", "tests/coverage/test_reading.py"),
        ("unmet_zh", "as_dict"),  # wording and the result's shape
    ),
    "version": (
        "store/base.py",
        ("check_version",),
        ("tests/store/test_base.py",),
        # the rest of the store's base class: tested with the stores, not by this target
        (
            "require_user",
            "check_gate",
            "features",
            "iter_features",
            "account_values",
            "token_holder",
            "security_events",
            "system_rows",
            "fill_sql",
        ),
    ),
}

_SWAP_COMPARE: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}
_SYMBOL = {
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.In: "in",
    ast.NotIn: "not in",
    ast.Is: "is",
    ast.IsNot: "is not",
}


@dataclass
class Mutant:
    target: str
    module: str
    function: str
    line: int
    change: str
    index: int  # the n-th mutation point of the module (the order ast.walk meets them)
    outcome: str = ""  # killed, survived, timeout, error
    seconds: float = 0.0


def _points(tree: ast.Module, functions: tuple[str, ...]) -> Iterator[tuple[str, ast.AST, str]]:
    """(function, node, change) for every mutation point inside ``functions`` (methods too)."""
    for fn in ast.walk(tree):
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef) or fn.name not in functions:
            continue
        for node in ast.walk(fn):
            if isinstance(node, ast.Compare):
                for k, op in enumerate(node.ops):
                    new = _SWAP_COMPARE.get(type(op))
                    if new is not None:
                        yield fn.name, node, f"compare:{k}:{_SYMBOL[type(op)]} → {_SYMBOL[new]}"
            elif isinstance(node, ast.BoolOp):
                yield fn.name, node, "boolop:" + ("and → or" if isinstance(node.op, ast.And) else "or → and")
            elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
                yield fn.name, node, "not:not dropped"
            elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub):
                yield fn.name, node, "binop:" + ("+ → -" if isinstance(node.op, ast.Add) else "- → +")
            elif isinstance(node, ast.Constant) and type(node.value) is int and not isinstance(node.value, bool):
                yield fn.name, node, f"const:{node.value} → {node.value + 1}"


def unlisted(name: str) -> list[str]:
    """The functions of a target's module with something to mutate that it neither mutates nor leaves out."""
    module, functions, _, left_out = TARGETS[name]
    tree = ast.parse((ROOT / "src" / "mzgis" / module).read_text(encoding="utf-8"))
    defs = [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
        defs += [n for n in cls.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    named = set(functions) | set(left_out)
    return sorted({fn.name for fn in defs if fn.name not in named and any(_points(ast.Module([fn], []), (fn.name,)))})


def mutants(name: str) -> list[Mutant]:
    module, functions, _, _ = TARGETS[name]
    tree = ast.parse((ROOT / "src" / "mzgis" / module).read_text(encoding="utf-8"))
    return [
        Mutant(name, module, fn, getattr(node, "lineno", 0), change.split(":")[-1], i)
        for i, (fn, node, change) in enumerate(_points(tree, functions))
    ]


class _Apply(ast.NodeTransformer):
    """Makes the ``index``-th mutation of the module (as :func:`_points` counts them)."""

    def __init__(self, functions: tuple[str, ...], index: int) -> None:
        self.functions, self.index = functions, index

    def mutate(self, tree: ast.Module) -> ast.Module:
        tree = copy.deepcopy(tree)
        for i, (_, node, change) in enumerate(_points(tree, self.functions)):
            if i != self.index:
                continue
            kind = change.split(":", 1)[0]
            if kind == "compare":
                assert isinstance(node, ast.Compare)
                k = int(change.split(":")[1])
                node.ops[k] = _SWAP_COMPARE[type(node.ops[k])]()
            elif kind == "boolop":
                assert isinstance(node, ast.BoolOp)
                node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
            elif kind == "not":
                assert isinstance(node, ast.UnaryOp)
                node.op = ast.UAdd()  # +x of a bool is the bool as an int: truthy exactly when x is
                node.operand = ast.Call(ast.Name("bool", ast.Load()), [node.operand], [])
            elif kind == "binop":
                assert isinstance(node, ast.BinOp)
                node.op = ast.Sub() if isinstance(node.op, ast.Add) else ast.Add()
            elif kind == "const":
                assert isinstance(node, ast.Constant) and isinstance(node.value, int)
                node.value = node.value + 1
            return ast.fix_missing_locations(tree)
        raise IndexError(self.index)


def _pytest(workdir: Path, tests: tuple[str, ...], timeout: float | None) -> subprocess.CompletedProcess[str]:
    """The tests run against the worker's copy of ``src`` (GeoPackage only: the store tests' other backend
    is not what these modules are about)."""
    env = os.environ | {"PYTHONPATH": str(workdir / "src"), "PYTHONDONTWRITEBYTECODE": "1"}
    args = [PYTHON, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-k", "not postgis", *tests]
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False)


def _run(mutant: Mutant, workdir: Path, timeout: float) -> Mutant:
    """Write the mutant into the worker's copy of ``src`` and run the target's tests against it."""
    module, functions, tests, _ = TARGETS[mutant.target]
    source = ROOT / "src" / "mzgis" / module
    tree = _Apply(functions, mutant.index).mutate(ast.parse(source.read_text(encoding="utf-8")))
    copy_path = workdir / "src" / "mzgis" / module
    copy_path.write_text(ast.unparse(tree), encoding="utf-8")
    start = time.perf_counter()
    try:
        done = _pytest(workdir, tests, timeout)
        # 1: a test failed; 2: the run broke off (an exception while collecting): both catch the mutant
        mutant.outcome = "survived" if done.returncode == 0 else "killed" if done.returncode in (1, 2) else "error"
    except subprocess.TimeoutExpired:
        mutant.outcome = "timeout"  # an endless loop counts as caught: a test run would not end
    finally:
        shutil.copyfile(source, copy_path)
    mutant.seconds = round(time.perf_counter() - start, 1)
    return mutant


def _baseline(workdir: Path, target: str) -> None:
    """The target's tests pass on the unchanged copy (else every mutant would look killed)."""
    _, _, tests, _ = TARGETS[target]
    done = _pytest(workdir, tests, None)
    if done.returncode != 0:
        sys.exit(f"{target}: the tests fail without any mutant:\n{done.stdout[-2000:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", action="append", choices=sorted(TARGETS), help="default: all")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds per mutant's test run")
    parser.add_argument("--list", action="store_true", help="list the mutants and stop")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "mutants.json")
    parser.add_argument("--resume", type=Path, help="the log of an earlier run: its killed mutants are not run again")
    args = parser.parse_args()
    names = args.target or list(TARGETS)
    for name in names:
        if missing := unlisted(name):
            sys.exit(f"{name}: functions neither mutated nor left out: {', '.join(missing)} (add each to one list)")
    todo = [m for name in names for m in mutants(name)]
    if args.resume is not None:  # a line per mutant: [i/n] outcome module:line function: change
        caught = {
            line.split("] ", 1)[1].split(maxsplit=1)[1]
            for line in args.resume.read_text(encoding="utf-8").splitlines()
            if line.startswith("[") and line.split("] ", 1)[1].split()[0] in ("killed", "timeout")
        }
        todo = [m for m in todo if f"{m.module}:{m.line} {m.function}: {m.change}" not in caught]
    if args.list:
        for m in todo:
            print(f"{m.target:9} {m.module}:{m.line} {m.function}: {m.change}")
        print(f"{len(todo)} mutants")
        return
    with tempfile.TemporaryDirectory(prefix="mzgis-mutants-") as tmp:
        workers = []
        for j in range(args.jobs):
            work = Path(tmp) / f"w{j}"
            shutil.copytree(ROOT / "src", work / "src", ignore=shutil.ignore_patterns("node_modules", "__pycache__"))
            (work / "geodata").symlink_to(ROOT / "geodata")  # the demo, found beside the package's src
            workers.append(work)
        for name in names:
            _baseline(workers[0], name)
        free: list[Path] = list(workers)

        def one(m: Mutant) -> Mutant:
            work = free.pop()
            try:
                return _run(m, work, args.timeout)
            finally:
                free.append(work)

        done: list[Mutant] = []
        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            for m in pool.map(one, todo):
                done.append(m)
                where = f"{m.module}:{m.line} {m.function}: {m.change}"
                print(f"[{len(done)}/{len(todo)}] {m.outcome:8} {where}", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps([asdict(m) for m in done], ensure_ascii=False, indent=1), encoding="utf-8")
    print()
    for name in names:
        mine = [m for m in done if m.target == name]
        survived = [m for m in mine if m.outcome == "survived"]
        errors = [m for m in mine if m.outcome == "error"]
        print(
            f"{name}: {len(mine)} mutants, {len(mine) - len(survived) - len(errors)} killed, {len(survived)} survived"
            + (f", {len(errors)} errors" if errors else "")
        )
        for m in survived:
            print(f"  survived {m.module}:{m.line} {m.function}: {m.change}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""The shape of the code, as the issue "The shape for the next years" measures it: modules of ``src/mzgis``
over 600 lines (the layer model excepted), functions over 80 lines, and what the page writes that the server
knows (colour literals, hard-coded ``<option>``s). Prints the figures; exits 1 when a limit is passed, so it
can gate a change when the work is done.

    python scripts/shape.py
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "mzgis"
MODULE_LIMIT, FUNCTION_LIMIT = 600, 80
EXEMPT = {"layers.py"}  # the layer model: one table of every layer and field


def main() -> None:
    long_modules, long_functions = [], []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        text = path.read_text(encoding="utf-8")
        lines = text.count("\n")
        if lines > MODULE_LIMIT and rel not in EXEMPT:
            long_modules.append((lines, rel))
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > FUNCTION_LIMIT:
                    long_functions.append((length, f"{rel}:{node.lineno} {node.name}"))
    web = [p for p in (SRC / "web").iterdir() if p.suffix in (".js", ".html")]
    colours = [
        f"{p.name}: {m}" for p in web for m in re.findall(r"#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b", p.read_text()) if m
    ]
    options = [f"{p.name}: {m}" for p in web for m in re.findall(r"<option value=\"[^\"$]+\">", p.read_text())]
    print(f"modules over {MODULE_LIMIT} lines: {len(long_modules)}")
    for n, rel in sorted(long_modules, reverse=True):
        print(f"  {n:5} {rel}")
    print(f"functions over {FUNCTION_LIMIT} lines: {len(long_functions)}")
    for n, where in sorted(long_functions, reverse=True):
        print(f"  {n:5} {where}")
    print(f"colour literals in the page: {len(colours)}" + "".join(f"\n  {c}" for c in colours))
    print(f"hard-coded options in the page: {len(options)}" + "".join(f"\n  {o}" for o in options))
    sys.exit(1 if long_modules or long_functions or colours or options else 0)


if __name__ == "__main__":
    main()

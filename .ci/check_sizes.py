#!/usr/bin/env python3
"""Print the longest modules and functions of govgate's code and fail over the limits.

Run by `make lint`. Limits: a module of at most 800 lines, a function of at most 80 lines.
A function that is a data table (its body one literal, such as a JSON Schema returned whole)
is listed but exempt: splitting a table makes it harder to read, not easier.

    python .ci/check_sizes.py [--top N] [PATH ...]
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

MAX_MODULE_LINES = 800
MAX_FUNCTION_LINES = 80
DEFAULT_ROOTS = ("engine", "collectors", "plugins")


def python_files(roots: list[str]) -> list[Path]:
    files: list[Path] = []
    for root in roots:
        candidates = [Path(root)] if Path(root).is_file() else sorted(Path(root).rglob("*.py"))
        for path in candidates:
            # Tests are held to readability by review, not by this script.
            if "tests" in path.parts or "build" in path.parts or ".venv" in path.parts:
                continue
            files.append(path)
    return files


def is_data_table(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A function whose body, past its docstring, is a single `return <literal>`."""
    body = list(node.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    if len(body) != 1 or not isinstance(body[0], ast.Return) or body[0].value is None:
        return False
    return isinstance(body[0].value, (ast.Dict, ast.List, ast.Tuple, ast.Constant))


def measure(files: list[Path]) -> tuple[list[tuple[int, str]], list[tuple[int, str, bool]]]:
    modules: list[tuple[int, str]] = []
    functions: list[tuple[int, str, bool]] = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        modules.append((len(text.splitlines()), str(path)))
        for node in ast.walk(ast.parse(text, filename=str(path))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                assert node.end_lineno is not None
                length = node.end_lineno - node.lineno + 1
                where = f"{path}:{node.lineno} {node.name}"
                functions.append((length, where, is_data_table(node)))
    return sorted(modules, reverse=True), sorted(functions, reverse=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", default=list(DEFAULT_ROOTS))
    parser.add_argument("--top", type=int, default=5, help="how many of each to list")
    args = parser.parse_args(argv)
    modules, functions = measure(python_files(args.paths))
    print(f"longest modules (limit {MAX_MODULE_LINES} lines):")
    for lines, where in modules[: args.top]:
        print(f"  {lines:5d}  {where}")
    print(f"longest functions (limit {MAX_FUNCTION_LINES} lines; data tables exempt):")
    for lines, where, table in functions[: args.top]:
        print(f"  {lines:5d}  {where}{'  (data table)' if table else ''}")
    too_long = [f"{where}: {lines} lines" for lines, where in modules if lines > MAX_MODULE_LINES]
    too_long += [
        f"{where}: {lines} lines"
        for lines, where, table in functions
        if lines > MAX_FUNCTION_LINES and not table
    ]
    for problem in too_long:
        print(f"over the limit: {problem}", file=sys.stderr)
    if too_long:
        print(f"{len(too_long)} over the limits: split them", file=sys.stderr)
        return 1
    print("every module and function is within the limits")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Safe YAML loading that keeps the line of every key, for error messages that name file:line.

Policies and configs are data (DESIGN §11): `yaml.safe_load` semantics through the C loader when
available, with a size limit, a limit on alias expansion (a "billion laughs" document is
refused before anything walks it) and duplicate keys reported instead of silently overwritten.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from govgate.support.errors import InputError

try:  # the C loader is ~10x faster; the pure-Python one parses the same grammar
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]


class _Loader(_BaseLoader):
    """Safe loader whose output is always JSON-compatible.

    YAML 1.1 turns `2026-03-01` into a `date` and `!!binary` into bytes; evidence and schemas
    are JSON, so both stay the strings that were written.
    """


def _as_text(loader: yaml.BaseLoader, node: yaml.Node) -> str:
    return str(loader.construct_scalar(node))  # type: ignore[arg-type]


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _as_text)
_Loader.add_constructor("tag:yaml.org,2002:binary", _as_text)

#: Largest policy or config file we parse. Real packs are tens of kilobytes.
MAX_BYTES = 8 * 1024 * 1024
#: Most nodes a document may expand to once aliases are followed.
MAX_NODES = 500_000
#: Deepest nesting of mappings and sequences accepted. Real configs nest a handful of levels;
#: every reader of the data (schema checks, redaction, digests) walks it recursively, and
#: Python's stack ends near 1,000 frames, so a deeper document would crash them instead.
MAX_DEPTH = 100


@dataclass
class LoadedYaml:
    """A parsed document plus where each value came from (JSON pointer → 1-based line)."""

    data: Any
    path: str
    lines: dict[str, int] = field(default_factory=dict)

    def line_of(self, pointer: str) -> int | None:
        """Line of the value at `pointer`, or of its nearest ancestor that has one."""
        while True:
            if pointer in self.lines:
                return self.lines[pointer]
            if not pointer:
                return None
            pointer = pointer.rsplit("/", 1)[0]


def pointer_join(base: str, key: object) -> str:
    """Append one reference token to a JSON pointer (RFC 6901 escaping)."""
    token = str(key).replace("~", "~0").replace("/", "~1")
    return f"{base}/{token}"


def pointer_from_path(parts: object) -> str:
    """JSON pointer from a sequence of keys/indexes (e.g. a jsonschema error's path)."""
    pointer = ""
    for part in parts:  # type: ignore[attr-defined]
        pointer = pointer_join(pointer, part)
    return pointer


def nesting_exceeds(value: Any, limit: int = MAX_DEPTH) -> bool:
    """True when lists and dicts in `value` nest more than `limit` deep (walked iteratively)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth >= limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False


def _walk(
    node: yaml.Node,
    pointer: str,
    lines: dict[str, int],
    path: str,
    budget: list[int],
    active: set[int],
    depth: int = 0,
) -> None:
    """Record lines, count expansions and find duplicate keys, following aliases like a reader."""
    if depth > MAX_DEPTH and isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
        raise InputError(
            path,
            node.start_mark.line + 1,
            f"nested more than {MAX_DEPTH} levels deep; flatten the document",
        )
    budget[0] -= 1
    if budget[0] < 0:
        raise InputError(
            path,
            node.start_mark.line + 1,
            f"document expands to more than {MAX_NODES} nodes through aliases; "
            "remove the anchor/alias chain",
        )
    lines.setdefault(pointer, node.start_mark.line + 1)
    if id(node) in active:  # a recursive alias: safe_load would build a cycle
        raise InputError(
            path, node.start_mark.line + 1, "recursive alias; remove the self-reference"
        )
    if isinstance(node, yaml.MappingNode):
        active.add(id(node))
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                _walk(value_node, pointer, lines, path, budget, active, depth)
                continue
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:str":
                # Keys are names, and JSON keys are strings: `on:` must not become True (YAML
                # 1.1) and `2026:` must not become an int.
                key_node.tag = "tag:yaml.org,2002:str"
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"
            line = key_node.start_mark.line + 1
            if key in seen:
                raise InputError(
                    path,
                    line,
                    f"duplicate key '{key}' (first at line {seen[key]}); keep one of them",
                )
            seen[key] = line
            child = pointer_join(pointer, key)
            lines[child] = line
            _walk(value_node, child, lines, path, budget, active, depth + 1)
        active.discard(id(node))
    elif isinstance(node, yaml.SequenceNode):
        active.add(id(node))
        for index, item in enumerate(node.value):
            _walk(item, pointer_join(pointer, index), lines, path, budget, active, depth + 1)
        active.discard(id(node))


def load_yaml_text(text: str, path: str) -> LoadedYaml:
    """Parse one YAML document from text. Raises InputError with file:line on any problem."""
    if len(text) > MAX_BYTES:
        raise InputError(path, None, f"file is larger than {MAX_BYTES // (1024 * 1024)} MB")
    if text.startswith("\ufeff"):  # editors on Windows write a BOM; it is not content
        text = text[1:]
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return LoadedYaml(data=None, path=path)
        lines: dict[str, int] = {}
        _walk(node, "", lines, path, [MAX_NODES], set())
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise InputError(path, line, f"invalid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise InputError(path, None, f"invalid YAML: {exc}") from None
    finally:
        loader.dispose()
    return LoadedYaml(data=data, path=path, lines=lines)


def load_yaml_file(file: Path, display: str | None = None) -> LoadedYaml:
    """Read and parse a YAML file; `display` is the name used in messages."""
    name = display or str(file)
    try:
        size = file.stat().st_size
        if size > MAX_BYTES:
            raise InputError(name, None, f"file is larger than {MAX_BYTES // (1024 * 1024)} MB")
        raw = file.read_bytes()
    except FileNotFoundError:
        raise InputError(name, None, "file not found") from None
    except IsADirectoryError:
        raise InputError(name, None, "is a directory, expected a YAML file") from None
    except OSError as exc:
        raise InputError(name, None, f"cannot read: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(name, line, "not valid UTF-8; save the file as UTF-8") from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise InputError(name, line, "contains a NUL byte; this is not a text file")
    return load_yaml_text(text, name)

"""Safe YAML loading that keeps the line of every key, for error messages that name file:line.

Policies and configs are data (DESIGN §11): `yaml.safe_load` semantics through the C loader when
available, with a size limit, a limit on alias expansion (a "billion laughs" document is
refused before anything walks it) and duplicate keys reported instead of silently overwritten.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govgate.support.cachekey import CacheKey, user_cache_dir
from govgate.support.errors import InputError

if TYPE_CHECKING:
    import yaml

#: What a parsed-file entry's MAC is over, besides its name and body.
_PURPOSE = "govgate parsed yaml v1"
#: Parsed files kept (an edit adds one); the oldest go first.
KEEP_PARSED = 64


@cache
def _loader_class() -> Any:
    """The safe loader, built when the first document is parsed: importing PyYAML and
    compiling its resolvers costs every run milliseconds, and a warm run parses nothing.

    Its output is always JSON-compatible, with YAML 1.2's core schema for plain scalars.
    YAML 1.1 turns `2026-03-01` into a `date` and `!!binary` into bytes; evidence and schemas
    are JSON, so both stay the strings that were written. YAML 1.1 also reads `yes`, `no`,
    `on` and `off` as booleans, `010` as 8 and `1:30` as 90: evidence is read as written, so
    booleans are `true` and `false` only, integers are decimal (no leading zero), `0o` octal
    or `0x` hexadecimal, and everything else stays the text it is.
    """
    import yaml

    # The C loader is ~10x faster; the pure-Python one parses the same grammar.
    base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loader: Any = type("_Loader", (base,), {})
    bool_tag, int_tag, float_tag = (f"tag:yaml.org,2002:{t}" for t in ("bool", "int", "float"))
    loader.yaml_implicit_resolvers = {
        first: [
            (tag, regexp) for tag, regexp in resolvers if tag not in (bool_tag, int_tag, float_tag)
        ]
        for first, resolvers in base.yaml_implicit_resolvers.items()
    }
    loader.add_implicit_resolver(
        bool_tag, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
    )
    loader.add_implicit_resolver(
        int_tag,
        re.compile(r"^(?:[-+]?(?:0|[1-9][0-9]*)|0o[0-7]+|0x[0-9a-fA-F]+)$"),
        list("-+0123456789"),
    )
    loader.add_implicit_resolver(
        float_tag,
        re.compile(
            r"^(?:[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*|[0-9]+(?:\.[0-9]*)?[eE][-+]?[0-9]+)"
            r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
        ),
        list("-+.0123456789"),
    )
    loader.add_constructor("tag:yaml.org,2002:timestamp", _as_text)
    loader.add_constructor("tag:yaml.org,2002:binary", _as_text)
    loader.add_constructor("tag:yaml.org,2002:int", _integer)
    return loader


def _as_text(loader: yaml.BaseLoader, node: yaml.Node) -> str:
    return str(loader.construct_scalar(node))  # type: ignore[arg-type]


def _integer(loader: yaml.constructor.SafeConstructor, node: yaml.ScalarNode) -> int:
    """An integer, or a problem on its line: Python refuses to convert one of more than 4,300
    decimal digits between int and text (a ValueError that would otherwise fail the whole
    file without a line, or whatever later writes the value out: a digest, a report)."""
    try:  # base 0 reads 0o and 0x as YAML 1.2 does (PyYAML's own reads 0o17 as an error)
        value: int = int(str(loader.construct_scalar(node)), 0)
    except ValueError:
        digits: int | None = sum(char.isdigit() for char in str(node.value))
    else:  # 0x… and 0b… are read without the limit, but could not be written out
        digits = unwritable_integer_digits(value)
    if digits is not None:
        import yaml

        raise yaml.constructor.ConstructorError(
            None,
            None,
            f"an integer of about {digits} digits is longer than can be read "
            f"({sys.get_int_max_str_digits()}); quote it to keep it as text",
            node.start_mark,
        )
    return value


def unwritable_integer_digits(value: int) -> int | None:
    """About how many decimal digits `value` has when that is more than Python writes out as
    text (`sys.get_int_max_str_digits()`), else None. Cheap unless it is near the limit."""
    limit = sys.get_int_max_str_digits()
    if not limit or abs(value).bit_length() * math.log10(2) < limit - 1:
        return None
    try:
        str(value)
    except ValueError:
        return int(abs(value).bit_length() * math.log10(2)) + 1
    return None


@cache
def _text_loader_class() -> Any:
    """`_loader_class()` whose plain scalars all stay the text written, `null` and `~` alone
    read as null: for files another program wrote with PyYAML's YAML 1.1 dumper (MLflow's
    meta.yaml), which writes a name such as `1e5` or `0o17` unquoted, since YAML 1.1 reads it
    as text; YAML 1.2 would read a number. The reader converts the fields it knows to be
    numbers."""
    base = _loader_class()
    loader: Any = type("_TextLoader", (base,), {})
    typed = {f"tag:yaml.org,2002:{t}" for t in ("bool", "int", "float")}
    loader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag not in typed]
        for first, resolvers in base.yaml_implicit_resolvers.items()
    }
    return loader


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
    import yaml  # already imported by the loader: a dictionary lookup

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


def load_yaml_text(text: str, path: str, *, plain_as_text: bool = False) -> LoadedYaml:
    """Parse one YAML document from text. Raises InputError with file:line on any problem.

    `plain_as_text`: unquoted scalars stay text (null excepted), for a file a YAML 1.1 dumper
    wrote (see `_TextLoader`)."""
    if len(text) > MAX_BYTES:
        raise InputError(path, None, f"file is larger than {MAX_BYTES // (1024 * 1024)} MB")
    if text.startswith("\ufeff"):  # editors on Windows write a BOM; it is not content
        text = text[1:]
    import yaml

    loader = (_text_loader_class() if plain_as_text else _loader_class())(text)
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
    except yaml.reader.ReaderError as exc:
        raise _unreadable_character(text, path, exc) from None
    except yaml.YAMLError as exc:
        raise InputError(path, None, f"invalid YAML: {exc}") from None
    finally:
        loader.dispose()
    return LoadedYaml(data=data, path=path, lines=lines)


def _unreadable_character(text: str, path: str, exc: yaml.reader.ReaderError) -> InputError:
    """A character YAML forbids (ESC, another control character), named with its line.

    The reader reports an offset (in bytes with the C loader), not a line; the character it
    names is the first of its kind in the text, so its line is found from the text itself.
    """
    char = exc.character if isinstance(exc.character, str) else chr(int(exc.character))
    index = text.find(char)
    line = text.count("\n", 0, index) + 1 if index >= 0 else None
    name = unicodedata.name(char, "") or _CONTROL_NAMES.get(char, "a control character")
    code = ord(char)
    escape = f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    return InputError(
        path,
        line,
        f"invalid YAML: character U+{code:04X} ({name}) is not allowed in YAML; "
        f"remove it, or write it as {escape} inside a double-quoted string",
    )


#: Names of the control characters unicodedata has none for.
_CONTROL_NAMES = {"\x1b": "ESC", "\x07": "BEL", "\x08": "BS", "\x7f": "DEL", "\x0c": "FF"}


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


def load_yaml_cached(text: str, path: str, key: CacheKey | None, salt: str) -> LoadedYaml:
    """`load_yaml_text(text, path)`, read back from the user's cache when these exact bytes
    parsed before under this name and SALT (the caller's version): a warm run of an unchanged
    govgate.yaml neither imports PyYAML nor parses.

    Only a document that parsed without a problem and is plain JSON data is kept (this
    loader's output always is), so every error is the one parsing gives. An entry is named
    by an HMAC under the user's cache key and its first line is an HMAC over its name and
    body: one no key of ours wrote is never found, one edited since is never read. Without a
    key (None: the caller found none it may use) nothing is cached.
    """
    if key is None:
        return load_yaml_text(text, path)
    content = text.encode("utf-8", "surrogatepass")
    entry = user_cache_dir() / "parsed-yaml"
    entry = entry / f"{key.sign(_PURPOSE, 'name', salt, path, content)}.json"
    try:
        tag, _, body = entry.read_bytes().partition(b"\n")
        if key.verify(tag.decode("ascii"), _PURPOSE, entry.name, body):
            stored = json.loads(body)
            lines = stored["lines"]
            if isinstance(lines, dict):
                return LoadedYaml(data=stored["data"], path=path, lines=lines)
    except (OSError, ValueError, KeyError, TypeError):
        pass  # a miss: parse
    loaded = load_yaml_text(text, path)
    with contextlib.suppress(OSError, ValueError, TypeError):  # not kept: only costs speed
        body = json.dumps({"data": loaded.data, "lines": loaded.lines}, allow_nan=False).encode()
        if json.loads(body) != {"data": loaded.data, "lines": loaded.lines}:
            return loaded  # not plain JSON data: parse this file every time
        entry.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = entry.with_name(f"{entry.name}.{os.getpid()}.tmp")
        tmp.write_bytes(key.sign(_PURPOSE, entry.name, body).encode("ascii") + b"\n" + body)
        tmp.replace(entry)  # atomic: a concurrent reader sees all of it or nothing
        kept = sorted(entry.parent.glob("*.json"), key=lambda e: e.stat().st_mtime)
        for old in kept[: max(0, len(kept) - KEEP_PARSED)]:
            old.unlink(missing_ok=True)
    return loaded

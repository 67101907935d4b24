"""The `config` collector: YAML, JSON, TOML, INI and .env files parsed into evidence data.

Each file matching a kind's globs becomes one evidence item whose data is the parsed document,
with the source line of every key where the format allows it, so a finding about
`decision_types[2].approval_required` points at that line. Values of keys that look like
secrets are replaced, and personal data in values is masked, before anything leaves.
A file that does not parse is still reported (as evidence with a problem), never skipped.
"""

from __future__ import annotations

import configparser
import re
import tomllib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from govgate.api import CollectContext, Collector, Evidence, hookimpl
from govgate.support.errors import InputError
from govgate.support.pii import distinct_key, redact_json, redact_text
from govgate.support.structured import ParseProblem, json_safe, long_integer_line, parse_json
from govgate.support.yamlload import load_yaml_text, pointer_join

MAX_CONFIG_BYTES = 8 * 1024 * 1024
_SECRET_KEY = re.compile(
    r"(pass(word|wd)?|secret|token|api[_-]?key|private[_-]?key|credential)", re.IGNORECASE
)
#: Words of a key that names a count or a limit (`max_tokens`, `token_limit`,
#: `tokens_per_minute`, `password_min_length`, `maxOutputTokens`): a number or a boolean under
#: it is a setting, not a secret, even when the key also says token or password, so a rule on a
#: token limit can read it.
_LIMIT_WORDS = frozenset(
    {"max", "min", "limit", "limits", "budget", "count", "num", "per", "quota", "rate", "size"}
    | {"length", "window", "age", "days", "ttl", "timeout", "tpm", "rpm"}
)
_KEY_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
_PLAIN_NUMBER = re.compile(r"\s*[+-]?\d+(\.\d+)?\s*")
REDACTED = "<redacted>"


_TOML_TABLE = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_TOML_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\"'. ]+?)\s*=")


def _toml_key_parts(raw: str) -> list[str]:
    return [part.strip().strip("\"'") for part in raw.split(".")]


def parse_toml(text: str) -> tuple[Any, dict[str, int]]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        raise ParseProblem(int(match.group(1)) if match else None, f"invalid TOML: {exc}") from None
    except ValueError:  # an integer of more digits than Python reads (the file's only cause)
        found = long_integer_line(text)
        raise ParseProblem(
            found[0] if found else None,
            f"invalid TOML: an integer of {found[1] if found else 'over 4300'} digits is longer "
            "than can be read; quote it to keep it as text",
        ) from None
    lines: dict[str, int] = {}
    table: list[str] = []
    arrays: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        header = _TOML_TABLE.match(line)
        if header:
            parts = _toml_key_parts(header.group(2))
            if header.group(1) == "[[":
                key = "/".join(parts)
                arrays[key] = arrays.get(key, -1) + 1
                parts = [*parts, str(arrays[key])]
            table = parts
            pointer = ""
            for part in table:
                pointer = pointer_join(pointer, part)
            lines.setdefault(pointer, number)
            continue
        assignment = _TOML_KEY.match(line)
        if assignment:
            pointer = ""
            for part in [*table, *_toml_key_parts(assignment.group(1))]:
                pointer = pointer_join(pointer, part)
            lines.setdefault(pointer, number)
    return json_safe(data), lines


def parse_ini(text: str) -> tuple[Any, dict[str, int]]:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keep key case
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        line = getattr(exc, "lineno", None)
        message = str(exc).splitlines()[0]
        raise ParseProblem(line, f"invalid INI: {message}") from None
    data: dict[str, Any] = {}
    if parser.defaults():
        data["DEFAULT"] = dict(parser.defaults())
    for section in parser.sections():
        data[section] = {
            k: v
            for k, v in parser.items(section, raw=True)
            if k not in parser.defaults()
            or parser.get(section, k, raw=True) != parser.defaults().get(k)
        }
    lines: dict[str, int] = {}
    section_name = "DEFAULT"
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            section_name = stripped[1:-1].strip()
            lines.setdefault(pointer_join("", section_name), number)
        elif (
            stripped and not stripped.startswith(("#", ";")) and re.match(r"^[^=:]+[=:]", stripped)
        ):
            key = re.split(r"[=:]", stripped, maxsplit=1)[0].strip()
            lines.setdefault(pointer_join(pointer_join("", section_name), key), number)
    return data, lines


#: A statement that assigns a quoted value (to tell an unclosed quote from a line that is no
#: assignment at all).
_ENV_QUOTED = re.compile(r"""^\s*(?:export\s+)?[^\s=#]+\s*=\s*["']""")


def parse_env(text: str, problems: list[tuple[int, str]]) -> tuple[Any, dict[str, int]]:
    """A .env file as python-dotenv reads it, with the line of each key.

    The values are what `dotenv_values` returns without interpolation: quotes and a trailing
    comment after them removed, escapes in double quotes read, a quoted value may span lines,
    `KEY` alone is null. `${VAR}` stays as written: evidence must not depend on the
    environment govgate runs in, nor carry its secrets. dotenv's own parser is used rather
    than `dotenv_values`, which logs unreadable lines to stderr and drops line numbers; a line
    it cannot read and a key given twice are reported here instead.
    """
    import io

    from dotenv.parser import parse_stream  # only repositories with .env files pay for it

    data: dict[str, str | None] = {}
    lines: dict[str, int] = {}
    for binding in parse_stream(io.StringIO(text)):
        statement = binding.original.string
        # A statement starts after the previous one and so may begin with blank lines.
        skipped = statement[: len(statement) - len(statement.lstrip())].count("\n")
        line = binding.original.line + skipped
        if binding.error:
            problems.append((line, _unreadable_env_line(statement.lstrip(), line)))
            continue
        if binding.key is None:
            continue  # a comment or blank lines
        pointer = pointer_join("", binding.key)
        if binding.key in data:
            first = lines[pointer]
            problems.append(
                (line, f"duplicate key {binding.key} (first at line {first}); last one wins")
            )
        data[binding.key] = binding.value
        lines[pointer] = line
    return data, lines


def _unreadable_env_line(statement: str, line: int) -> str:
    """Why dotenv could not read STATEMENT (starting at LINE), and what was left out."""
    # An open quote runs on to the next quote, lines later: say which lines were lost.
    last = line + statement.rstrip("\r\n").count("\n")
    ignored = f"lines {line}-{last} ignored" if last > line else "ignored"
    if _ENV_QUOTED.match(statement):
        return f"a quoted value without its closing quote (or text after it); {ignored}"
    return f"not a KEY=VALUE line; {ignored}"


def redact_secrets(value: Any, *, secret: bool = False) -> Any:
    """Replace values under secret-looking keys (every leaf of a list or mapping under one too);
    mask personal data everywhere else. `secret`: `value` sits under such a key."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, v in value.items():
            # Keys that mask alike stay distinct entries: a rule over every entry sees each.
            out[distinct_key(redact_text(str(key)), out)] = _redact_under(str(key), v, secret)
        return out
    if isinstance(value, list):
        return [redact_secrets(v, secret=secret) for v in value]
    if secret and value is not None and value != "":
        return REDACTED
    return redact_json(value)


def _redact_under(key: str, value: Any, secret: bool) -> Any:
    """The value of `key`: a secret-looking key hides what it holds, unless it names a count or
    a limit and holds a number or a boolean (a .env file writes the number as text)."""
    if not secret and _SECRET_KEY.search(key):
        secret = not _names_a_limit(key, value)
    return redact_secrets(value, secret=secret)


def _names_a_limit(key: str, value: Any) -> bool:
    """Whether `value` is a number or boolean setting that `key` names as a count or a limit.
    A number written as text (all of a .env file) needs a limit word: "tokens" alone does not
    make `API_TOKENS=123456` a count."""
    words = {word.lower() for word in _KEY_WORDS.findall(key)}
    if isinstance(value, (int, float)):  # bool included
        return bool(words & _LIMIT_WORDS) or "tokens" in words
    if isinstance(value, str) and _PLAIN_NUMBER.fullmatch(value):
        return bool(words & _LIMIT_WORDS)
    return False


def config_format(path: str) -> str | None:
    """The config format a file name says (yaml, json, toml, ini or env), else None."""
    name = Path(path).name.lower()
    if name.endswith((".yaml", ".yml")):
        return "yaml"
    if name.endswith(".json"):
        return "json"
    if name.endswith(".toml"):
        return "toml"
    if name.endswith((".ini", ".cfg", ".conf")):
        return "ini"
    if name == ".env" or name.endswith(".env") or name.startswith(".env."):
        return "env"
    return None


def parse_config_text(
    text: str, fmt: str, display: str, problems: list[tuple[int, str]]
) -> tuple[Any, dict[str, int]]:
    """(data, line map) for one file's text; ParseProblem when it does not parse."""
    if fmt == "yaml":
        try:
            loaded = load_yaml_text(text, display)
        except InputError as exc:
            raise ParseProblem(exc.line, exc.message) from None
        return json_safe(loaded.data), loaded.lines
    if fmt == "json":
        return parse_json(text)
    if fmt == "toml":
        return parse_toml(text)
    if fmt == "ini":
        return parse_ini(text)
    return parse_env(text, problems)


#: No settings (`collectors.config`): each kind's `paths` and `options.format` say what to read.
SETTINGS_SCHEMA: dict[str, Any] = {"type": "object", "additionalProperties": False}


class ConfigCollector(Collector):
    name = "config"
    version = "1.1.0"  # 1.1.0: .env files read as python-dotenv reads them
    description = "YAML/JSON/TOML/INI/.env files parsed into data, with the line of each key"
    #: No settings: each kind's `paths` (and `options.format`) say what to read.
    settings_schema = SETTINGS_SCHEMA

    def collect(self, ctx: CollectContext) -> Iterable[Evidence]:
        for kind in ctx.kinds:
            fmt_override = kind.options.get("format") if kind.options else None
            for rel, path in ctx.iter_files(kind.paths):
                fmt = fmt_override or config_format(rel)
                if fmt is None:
                    ctx.problem(
                        rel,
                        None,
                        "unknown config format (use .yaml, .json, .toml, "
                        ".ini or .env, or set options.format on the kind)",
                        level="error",
                    )
                    yield ctx.evidence(
                        kind.name, rel, None, path=rel, problem="unknown config format"
                    )
                    continue
                yield self._one(ctx, kind.name, rel, path, fmt)

    def _one(self, ctx: CollectContext, kind: str, rel: str, path: Path, fmt: str) -> Evidence:
        if path.stat().st_size > MAX_CONFIG_BYTES:
            message = f"larger than {MAX_CONFIG_BYTES // (1024 * 1024)} MB; not parsed"
            ctx.problem(rel, None, message, level="error")
            return ctx.evidence(kind, rel, None, path=rel, problem=message)
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            message = "not valid UTF-8"
            ctx.problem(rel, line, message, level="error")
            return ctx.evidence(
                kind, rel, None, path=rel, line=line, problem=f"line {line}: {message}"
            )
        if "\x00" in text:
            line = text[: text.index("\x00")].count("\n") + 1
            ctx.problem(rel, line, "contains a NUL byte; not a text file", level="error")
            return ctx.evidence(
                kind, rel, None, path=rel, line=line, problem=f"line {line}: contains a NUL byte"
            )
        problems: list[tuple[int, str]] = []
        try:
            data, lines = parse_config_text(text, fmt, rel, problems)
        except ParseProblem as exc:
            ctx.problem(rel, exc.line, exc.message, level="error")
            where = f"line {exc.line}: " if exc.line else ""
            return ctx.evidence(
                kind, rel, None, path=rel, line=exc.line, problem=f"{where}{exc.message}"
            )
        for line, message in problems:
            ctx.problem(rel, line, message)
        return ctx.evidence(kind, rel, redact_secrets(data), path=rel, locations=lines)


@hookimpl
def govgate_collectors() -> Sequence[type[Collector]]:
    return [ConfigCollector]

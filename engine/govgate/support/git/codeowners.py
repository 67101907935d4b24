"""CODEOWNERS: where GitHub looks for it, and its rules with GitHub's matching semantics (the
last matching rule wins; a rule without owners un-owns)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

from govgate.support.pii import redact_text

#: Where CODEOWNERS may live; the first one that exists is used (GitHub's search order).
CODEOWNERS_FILES = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")


class CodeownersRule(NamedTuple):
    """One rule: `owners` masked for evidence, `written` as in the file (to compare names)."""

    pattern: str
    owners: tuple[str, ...]
    line: int
    regex: re.Pattern[str]
    written: tuple[str, ...] = ()


_OWNER = re.compile(
    r"^(?:@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:/[A-Za-z0-9][A-Za-z0-9._-]*)?"
    r"|[^@\s]+@[^@\s]+\.[A-Za-z]{2,})$"
)


def codeowners_regex(pattern: str) -> re.Pattern[str]:
    """Regex for one CODEOWNERS pattern, with GitHub's gitignore-style semantics.

    A pattern without a slash (or with only a trailing one) matches at any depth; any other is
    anchored at the root. A trailing slash means "everything inside". A pattern whose last part
    is not a lone `*` also matches everything inside a folder of that name, while `docs/*`
    matches only the files directly in docs/ (GitHub's documented behaviour).
    """
    parts = pattern.split("/")
    if parts[0] == "":
        parts = parts[1:]
    elif (len(parts) == 1 or (len(parts) == 2 and parts[1] == "")) and parts[0] != "**":
        parts = ["**", *parts]
    if len(parts) > 1 and parts[-1] == "":
        parts[-1] = "**"
    out = [r"\A"]
    need_slash = False
    last = len(parts) - 1
    for index, part in enumerate(parts):
        if part == "**":
            if index == 0 and index == last:
                out.append(".+")
            elif index == 0:
                out.append("(?:.+/)?")
                need_slash = False
            elif index == last:
                out.append("/.*")
            else:
                out.append("(?:/.+)?")
                need_slash = True
            continue
        if need_slash:
            out.append("/")
        if part == "*":
            out.append("[^/]+")
        else:
            escaped = False
            for char in part:
                if escaped:
                    out.append(re.escape(char))
                    escaped = False
                elif char == "\\":
                    escaped = True
                elif char == "*":
                    out.append("[^/]*")
                elif char == "?":
                    out.append("[^/]")
                else:
                    out.append(re.escape(char))
            if index == last:
                out.append("(?:/.*)?")
        need_slash = True
    out.append(r"\Z")
    return re.compile("".join(out))


def split_unescaped(line: str) -> list[str]:
    """Split on whitespace that is not escaped with a backslash (`docs/my\\ file.md`)."""
    tokens: list[str] = []
    current: list[str] = []
    index = 0
    while index < len(line):
        char = line[index]
        if char == "\\" and index + 1 < len(line):
            current.append(line[index : index + 2])
            index += 2
            continue
        if char.isspace():
            if current:
                tokens.append("".join(current))
                current = []
        else:
            current.append(char)
        index += 1
    if current:
        tokens.append("".join(current))
    return tokens


def parse_codeowners(text: str) -> tuple[list[CodeownersRule], list[tuple[int, str]]]:
    """Rules in file order plus (line, message) for each line GitHub would skip as invalid."""
    rules: list[CodeownersRule] = []
    errors: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        tokens = split_unescaped(line)
        for index, token in enumerate(tokens):
            if token.startswith("#"):  # an inline comment ends the rule
                tokens = tokens[:index]
                break
        if not tokens:
            continue
        pattern, owners = tokens[0], tokens[1:]
        if re.fullmatch(r"\^?\[[^\]]+\](\[\d+\])?", pattern) and not owners:
            errors.append(
                (
                    number,
                    f"section header {pattern} (GitLab) is not understood; rules read in order",
                )
            )
            continue
        if pattern.startswith("!"):
            errors.append((number, f"negated pattern {pattern!r} is not supported; line ignored"))
            continue
        if "[" in pattern.replace("\\[", ""):
            errors.append(
                (number, f"character ranges in {pattern!r} are not supported; line ignored")
            )
            continue
        if "***" in pattern:
            errors.append((number, f"pattern {pattern!r} has three asterisks; line ignored"))
            continue
        bad = [o for o in owners if not _OWNER.match(o)]
        if bad:
            errors.append(
                (
                    number,
                    f"owner {redact_text(bad[0])!r} is not @user, @org/team or an e-mail "
                    "address; line ignored",
                )
            )
            continue
        rules.append(
            CodeownersRule(
                pattern=pattern,
                owners=tuple(redact_text(o) for o in owners),
                line=number,
                regex=codeowners_regex(pattern),
                written=tuple(owners),
            )
        )
    return rules, errors


def rule_for(path: str, rules: Sequence[CodeownersRule]) -> CodeownersRule | None:
    """The rule that decides a path's owners: the last one matching it (GitHub's rule)."""
    for rule in reversed(rules):
        if rule.regex.match(path):
            return rule
    return None


def owners_of(path: str, rules: Sequence[CodeownersRule]) -> tuple[str, ...]:
    """Owners of a path, masked: the last matching rule wins (one without owners un-owns)."""
    rule = rule_for(path, rules)
    return rule.owners if rule is not None else ()

"""The `attestations` collector: manual evidence, one YAML record per signed-off statement.

Some criteria cannot be read from code ("an executive sponsor with budget authority"). Teams
state them in `governance/attestations/*.yaml` (who, role, statement, date, optional expiry)
and git corroborates the record: who committed it, when, and whether that is the person named.
A record that is malformed or misses a required field is still evidence, carrying
its problem with file and line, so a rule fails on it instead of not seeing it.

In a shallow clone (`git clone --depth N`, the CI default) the last commit found for a file may
be the clone's cut-off commit, whose diff lists every file: its author is whoever made that
commit, not who wrote the record. Such a change is never attributed: the author is unknown,
`git.history_truncated` is true and the record is not corroborated (fails closed).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from govgate.api import (
    CollectContext,
    Collector,
    CollectorError,
    Evidence,
    EvidenceKind,
    InputError,
    format_timestamp,
    hookimpl,
    redact_json,
    redact_text,
)
from govgate.support.dates import parse_date_loose
from govgate.support.git import GitError, GitNotFound, GitTimeout, Repository
from govgate.support.git.history import LastChange, last_changes, uncommitted_paths
from govgate.support.git.state import head_state, state_patterns
from govgate.support.pii import distinct_key
from govgate.support.yamlload import load_yaml_text, pointer_join

DEFAULT_PATHS = ("governance/attestations/**/*.yaml", "governance/attestations/**/*.yml")
REQUIRED_FIELDS = ("id", "topic", "statement", "who", "role", "date")
TEXT_FIELDS = ("topic", "statement", "who", "role")
#: Names the collector adds to each record; a record may not set them itself.
COMPUTED_FIELDS = ("date_iso", "expires_iso", "git", "expired", "valid", "problems")
MAX_ATTESTATION_BYTES = 1024 * 1024

_NULLABLE_STRING: dict[str, Any] = {"type": ["string", "null"]}
ATTESTATION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": [*REQUIRED_FIELDS, *COMPUTED_FIELDS],
    "properties": {
        "id": {"type": "string", "minLength": 1},
        "topic": {"type": "string", "minLength": 1},
        "statement": {"type": "string", "minLength": 1},
        "who": {"type": "string", "minLength": 1},
        "role": {"type": "string", "minLength": 1},
        "date": {"type": "string"},
        "expires": {"type": "string"},
        "evidence": {"type": "array", "items": {"type": "string"}},
        "budget_authority": {"type": "boolean"},
        "date_iso": {"type": ["string", "null"], "format": "date"},
        "expires_iso": {"type": ["string", "null"], "format": "date"},
        "git": {
            "type": "object",
            "additionalProperties": False,
            "required": [
                "author",
                "commit",
                "date",
                "matches_who",
                "committed",
                "uncommitted_changes",
                "history_truncated",
            ],
            "properties": {
                "author": _NULLABLE_STRING,
                "commit": _NULLABLE_STRING,
                "date": {"type": ["string", "null"], "format": "date-time"},
                "matches_who": {"type": "boolean"},
                "committed": {"type": "boolean"},
                "uncommitted_changes": {"type": "boolean"},
                "history_truncated": {"type": "boolean"},
            },
        },
        "expired": {"type": "boolean"},
        "valid": {"type": "boolean"},
        "problems": {"type": "array", "items": {"type": "string"}},
    },
}


def _person(name: str) -> str:
    """A name as compared with the git author: no `<e-mail>`, single spaces, any case."""
    return " ".join(re.sub(r"<[^>]*>", " ", name).split()).casefold()


def git_corroboration(
    rel: str, change: LastChange | None, dirty: set[str], who: Any, *, truncated: bool = False
) -> dict[str, Any]:
    """What git says about a record's file: its last commit and whether that is `who`.

    `truncated`: the last change found is a shallow clone's cut-off commit, so the commit that
    really last changed the file (and its author) is unknown; nothing is attributed.
    """
    if change is None:  # untracked, outside a repository, or no commits yet
        return {
            "author": None,
            "commit": None,
            "date": None,
            "matches_who": False,
            "committed": False,
            "uncommitted_changes": rel in dirty,
            "history_truncated": False,
        }
    if truncated:
        return {
            "author": None,
            "commit": None,
            "date": None,
            "matches_who": False,
            "committed": rel not in dirty,
            "uncommitted_changes": rel in dirty,
            "history_truncated": True,
        }
    return {
        "author": redact_text(change.author),
        "commit": change.commit,
        "date": format_timestamp(change.date),
        "matches_who": isinstance(who, str) and _person(who) == _person(change.author),
        "committed": rel not in dirty,
        "uncommitted_changes": rel in dirty,
        "history_truncated": False,
    }


def truncated_history_warning(boundary: str) -> str:
    """The diagnostic (on the record's file) when its last change is a shallow cut-off."""
    return (
        f"git history is truncated (shallow clone): the last commit found for this file, "
        f"{boundary[:12]}, is the clone's cut-off, so who committed the attestation is unknown "
        f"and git does not corroborate it; fetch full history: actions/checkout "
        f"fetch-depth: 0, or git fetch --unshallow"
    )


def _git_view(
    root: Path, patterns: list[str], rels: list[str]
) -> tuple[dict[str, LastChange], set[str], set[str]]:
    """Last change of each record file, the files with uncommitted changes, and a shallow
    clone's cut-off commits; all empty outside a repository."""
    repo = Repository.find(root)
    if repo is None:
        return {}, set(), set()
    head = repo.has_commits()
    changes = last_changes(repo, patterns, rels) if head else {}
    dirty = uncommitted_paths(repo, patterns, rels, has_head=head)
    # Empty unless the clone is shallow (`shallow` lists the cut-off commits).
    boundaries = repo.shallow_boundaries() if changes else set()
    return changes, dirty, boundaries


#: `collectors.attestations` in govgate.yaml (the collector's `settings_schema`).
SETTINGS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "paths": {
            "type": ["string", "array"],
            "minLength": 1,
            "items": {"type": "string", "minLength": 1},
            "description": "globs of the attestation files",
        }
    },
}


class AttestationsCollector(Collector):
    name = "attestations"
    # 1.1.0: git.history_truncated; a shallow clone's cut-off commit is never attributed.
    version = "1.1.0"
    description = "signed-off statements (who, role, date, expiry) corroborated by git"
    kinds = (
        EvidenceKind(
            "attestation",
            "attestations",
            ATTESTATION_SCHEMA,
            "one manual attestation: id, topic, statement, who, role, date, optional expires "
            "and evidence links, with the git author who committed it",
        ),
    )
    # `expired` depends on today's date, not only on the files: cached output must not
    # outlive a day boundary by much.
    ttl = timedelta(hours=1)
    settings_schema = SETTINGS_SCHEMA

    def _paths(self, ctx: CollectContext) -> list[str]:
        value = ctx.settings.get("paths", list(DEFAULT_PATHS))
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise CollectorError(
                f"govgate.yaml collectors.attestations.paths: expected a list of globs, "
                f"got {value!r}"
            )
        return value

    def input_patterns(self, ctx: CollectContext) -> list[str]:
        return self._paths(ctx) + state_patterns(ctx.root)

    def impact_patterns(self, ctx: CollectContext) -> list[str]:
        return self._paths(ctx)  # git state only refreshes the corroboration, it is not content

    def state_key(self, ctx: CollectContext) -> str | None:
        return head_state(ctx.root)  # a commit changes the corroboration, not the files

    def collect(self, ctx: CollectContext) -> Iterable[Evidence]:
        patterns = self._paths(ctx)
        files = list(ctx.iter_files(patterns))
        if not files:
            return []
        try:
            changes, dirty, boundaries = _git_view(ctx.root, patterns, [rel for rel, _ in files])
        except (GitNotFound, GitTimeout) as exc:
            raise CollectorError(str(exc)) from exc
        except GitError as exc:
            raise CollectorError(f"git failed: {exc.line}") from exc
        seen: dict[str, str] = {}
        produced: list[Evidence] = []
        for rel, path in files:
            change = changes.get(rel)
            truncated = change is not None and change.commit in boundaries
            if change is not None and truncated:
                ctx.problem(rel, None, truncated_history_warning(change.commit))
            produced.extend(self._file(ctx, rel, path, change, dirty, seen, truncated=truncated))
        return produced

    def _file(
        self,
        ctx: CollectContext,
        rel: str,
        path: Path,
        change: LastChange | None,
        dirty: set[str],
        seen: dict[str, str],
        *,
        truncated: bool = False,
    ) -> list[Evidence]:
        def broken(line: int | None, message: str, subject: str = rel) -> list[Evidence]:
            ctx.problem(rel, line, message, level="error")
            where = f"line {line}: " if line else ""
            return [
                ctx.evidence(
                    "attestation", subject, None, path=rel, line=line, problem=f"{where}{message}"
                )
            ]

        if path.stat().st_size > MAX_ATTESTATION_BYTES:
            return broken(None, "larger than 1 MB; an attestation is a short record")
        raw = path.read_bytes()
        if b"\0" in raw:
            line = raw[: raw.index(b"\0")].count(b"\n") + 1
            return broken(line, "contains NUL bytes: not a YAML text file")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            return broken(line, "not valid UTF-8; save the file as UTF-8")
        try:
            loaded = load_yaml_text(text, rel)
        except InputError as exc:
            return broken(exc.line, exc.message)
        document = loaded.data
        if document is None:
            return broken(1, "empty file: expected an attestation (id, topic, statement, ...)")
        records: list[tuple[str, Any]]
        if isinstance(document, dict) and "attestations" in document:
            listed = document["attestations"]
            if not isinstance(listed, list) or not listed:
                return broken(
                    loaded.line_of("/attestations"),
                    "attestations: must be a non-empty list of records",
                )
            extra = sorted(str(k) for k in document if k != "attestations")
            if extra:
                ctx.problem(
                    rel,
                    loaded.line_of(f"/{extra[0]}"),
                    f"key '{extra[0]}' next to attestations: is ignored; put it in a record",
                )
            records = [(f"/attestations/{i}", r) for i, r in enumerate(listed)]
        elif isinstance(document, dict):
            records = [("", document)]
        else:
            return broken(
                1, "expected one record (id, topic, statement, ...) or attestations: [records]"
            )
        out = []
        labels: set[str] = set()
        for index, (pointer, record) in enumerate(records):
            line = loaded.line_of(pointer) or 1
            record_id = record.get("id") if isinstance(record, dict) else None
            label = str(record_id) if isinstance(record_id, (str, int)) else f"[{index}]"
            # Masked, two ids can read alike (alice@ and anna@example.com): each record keeps a
            # subject of its own, so a finding and a waiver name one record, never both.
            label = distinct_key(redact_text(label), labels)
            labels.add(label)
            subject = rel if len(records) == 1 else f"{rel}#{label}"
            if not isinstance(record, dict):
                out.extend(broken(line, "an attestation must be a mapping of fields", subject))
                continue
            git_info = git_corroboration(rel, change, dirty, record.get("who"), truncated=truncated)
            out.append(
                self._record(ctx, rel, subject, record, pointer, loaded.lines, git_info, seen)
            )
        return out

    def _record(
        self,
        ctx: CollectContext,
        rel: str,
        subject: str,
        record: dict[str, Any],
        pointer: str,
        lines: dict[str, int],
        git_info: dict[str, Any],
        seen: dict[str, str],
    ) -> Evidence:
        record_line = lines.get(pointer) or 1

        def line_of(key: str) -> int:
            return lines.get(pointer_join(pointer, key)) or record_line

        # Malformed (`hard`): the item carries a problem. Doubtful (`soft`): listed only.
        hard = _field_problems(record, line_of, record_line)
        date_iso, date_value = self._date(ctx, rel, record, "date", line_of, hard)
        expires_iso, expires_value = self._date(ctx, rel, record, "expires", line_of, hard)
        links = _evidence_links(record, line_of, hard)
        if "budget_authority" in record and not isinstance(record["budget_authority"], bool):
            hard.append((line_of("budget_authority"), "budget_authority must be true or false"))
        _note_id(record, rel, line_of, seen, hard)
        expired, soft = _date_problems(ctx.now.date(), date_value, expires_value)
        data = _record_data(record, links)
        problems = [message for _, message in hard] + soft
        data.update(
            date_iso=date_iso,
            expires_iso=expires_iso,
            git=git_info,
            expired=expired,
            valid=not problems,
            problems=problems,
        )
        for line, message in hard:
            ctx.problem(rel, line, message, level="error")
        problem = None
        if hard:
            first_line = min(line for line, _ in hard)
            problem = f"line {first_line}: " + "; ".join(message for _, message in hard)
        locations = {
            pointer_join("", str(k)): lines[pointer_join(pointer, str(k))]
            for k in record
            if pointer_join(pointer, str(k)) in lines
        }
        return ctx.evidence(
            "attestation",
            subject,
            data,
            path=rel,
            line=record_line,
            commit=git_info["commit"],
            dated=date_iso,
            locations=locations,
            problem=problem,
        )

    @staticmethod
    def _date(
        ctx: CollectContext,
        rel: str,
        record: dict[str, Any],
        key: str,
        line_of: Any,
        hard: list[tuple[int, str]],
    ) -> tuple[str | None, date | None]:
        value = record.get(key)
        if value is None or value == "":
            return None, None
        reading = parse_date_loose(str(value)) if isinstance(value, (str, int)) else None
        if reading is None:
            hard.append((line_of(key), f"{key} {value!r} is not a date; write YYYY-MM-DD"))
            return None, None
        if reading.ambiguous:
            ctx.problem(rel, line_of(key), f"{key}: {reading.note}")
        return reading.value.isoformat(), reading.value


# --------------------------------------------------------------------------- one record's checks


def _field_problems(
    record: dict[str, Any], line_of: Callable[[str], int], record_line: int
) -> list[tuple[int, str]]:
    """(line, message) for each missing, mistyped or govgate-reserved field."""
    hard: list[tuple[int, str]] = []
    for key in REQUIRED_FIELDS:
        value = record.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            line = line_of(key) if key in record else record_line
            hard.append((line, f"missing required field '{key}'"))
    record_id = record.get("id")
    if isinstance(record_id, bool) or not (record_id is None or isinstance(record_id, (str, int))):
        hard.append((line_of("id"), "id must be a short text"))
    for key in TEXT_FIELDS:
        if key in record and record[key] is not None and not isinstance(record[key], str):
            hard.append((line_of(key), f"{key} must be text"))
    for key in COMPUTED_FIELDS:
        if key in record:
            hard.append((line_of(key), f"field '{key}' is set by govgate; rename it"))
    return hard


def _evidence_links(
    record: dict[str, Any], line_of: Callable[[str], int], hard: list[tuple[int, str]]
) -> list[str] | None:
    """The record's `evidence` links as a list (one link may be written alone), or None."""
    links = record.get("evidence")
    if isinstance(links, str):
        links = [links]
    if links is not None and not (
        isinstance(links, list) and all(isinstance(e, str) for e in links)
    ):
        hard.append((line_of("evidence"), "evidence must be a list of links"))
        return None
    return links


def _note_id(
    record: dict[str, Any],
    rel: str,
    line_of: Callable[[str], int],
    seen: dict[str, str],
    hard: list[tuple[int, str]],
) -> None:
    """Remember the record's id; a second record with the same id is malformed."""
    record_id = record.get("id")
    if isinstance(record_id, (str, int)) and not isinstance(record_id, bool):
        key = str(record_id)
        if key in seen:
            hard.append((line_of("id"), f"duplicate id '{key}' (first at {seen[key]})"))
        else:
            seen[key] = f"{rel}:{line_of('id')}"


def _date_problems(
    today: date, date_value: date | None, expires_value: date | None
) -> tuple[bool, list[str]]:
    """Whether the record has expired, and what is doubtful about its dates."""
    soft: list[str] = []
    expired = expires_value is not None and expires_value < today
    if expired and expires_value is not None:
        soft.append(f"expired on {expires_value.isoformat()}")
    if date_value is not None and date_value > today:
        soft.append(f"date {date_value.isoformat()} is in the future")
    if date_value and expires_value and expires_value < date_value:
        soft.append("expires before its own date")
    return expired, soft


def _record_data(record: dict[str, Any], links: list[str] | None) -> dict[str, Any]:
    """The record's own fields, masked: keys and values may hold personal data."""
    data: dict[str, Any] = {}
    for key, value in record.items():
        if key not in COMPUTED_FIELDS:
            # Two keys that mask alike (alice@ and anna@example.com) stay two entries, numbered
            # in the record's order as the locations are: merged, one signer's entry would be
            # lost before any rule saw it.
            data[distinct_key(redact_text(str(key)), data)] = redact_json(value)
    record_id = record.get("id")
    if isinstance(record_id, int) and not isinstance(record_id, bool):
        data["id"] = str(record_id)
    if links is not None:
        data["evidence"] = [redact_text(e) for e in links]
    return data


@hookimpl
def govgate_collectors() -> Sequence[type[Collector]]:
    return [AttestationsCollector]

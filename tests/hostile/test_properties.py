"""Property-based tests: no input makes govgate crash, hang, leak or pass what it could not read.

Each property feeds hypothesis-generated input to a real component: the policy loader and the
config loader (through `run_check`), every collector's parser (decision logs as JSONL and CSV
through DuckDB, Markdown front matter, JUnit XML, Locust and k6 reports, the five config
formats), the evidence locker, and every output writer (validated with the reporter tests'
own schema checks). Examples are few and derandomized, so the suite stays quick and a failure
reproduces; the deadline is generous, a hang detector rather than a speed check.

Each test runs its property itself and counts what the examples turned out to be (loaded or
refused, read or reported unusable): it asserts that both outcomes were exercised, so a
property that only ever took one branch fails rather than passing vacuously, and records the
counts for docs/reliability.md. Nothing depends on which tests ran before. Each takes seconds:
they are marked slow (run by `make test`, left out of `make test-fast`).
"""

from __future__ import annotations

import copy
import csv
import io
import json
import re
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govgate.core.collector import EvidenceKind
from govgate.core.evidence import Evidence, Source, canonical_json
from govgate.run.check import CheckOptions, get_registry, run_check
from govgate.run.collect import collect_evidence
from govgate.support.errors import ExitCode, GovgateError

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def bounded(examples: int, seconds: float = 20.0) -> Callable[[Any], Any]:
    """Few examples, derandomized (a failure reproduces), no example database in the tree."""
    return settings(
        max_examples=examples,
        deadline=timedelta(seconds=seconds),
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


# -- strategies --------------------------------------------------------------------------------

#: Text that has broken parsers and reporters before: markup, escapes, separators, PII.
SNIPPETS = (
    "<script>alert(1)</script>",
    "]]>",
    "&amp;&#0;",
    "\x1b[31m",
    "\r\n::error::x",
    "%0A",
    "| pipe |",
    "`tick`",
    "*bold* _u_ [l](javascript:x)",
    "\u202e\u2066",
    "\ufeff",
    "\x00",
    "a@b.example",
    "+44 20 7946 0958",
    "4111 1111 1111 1111",
    "../../etc/passwd",
    "{item.name}",
    "---",
    "&a [*a]",
    "1e400",
    "NaN",
    "9" * 40,
    '{"k": "\\ud800"}',
    "[" * 600 + "]" * 600,
    "{a: " * 300 + "}" * 300,
)
hostile_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(SNIPPETS),
    st.lists(st.sampled_from(SNIPPETS) | st.text(max_size=8), max_size=4).map("".join),
)
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | hostile_text
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(hostile_text, children, max_size=4)
    ),
    max_leaves=12,
)


#: Strings the policy compiler parses: JMESPath, regexes, durations, templates.
COMPILER_TEXT = (
    "items[?",
    "items[?share > `1`].name",
    "length(@)",
    "^(a|aa)+$",
    "(?P<x>",
    "[",
    "1e400d",
    "-3d",
    "99999999999d",
    "{item.nope}",
    "{param.missing}",
    "{{",
    "}",
    "{actual:>{value}}",
    "high",
    "critical",
    "PC-1",
    "PC-1.share",
)


def mutated(base: Any, focus: tuple[str, ...] = ()) -> st.SearchStrategy[Any]:
    """`base` with one to three values replaced (mostly by one of the same type), dropped or
    added; `focus` names top-level keys to mutate more often (where the compiler works)."""

    @st.composite
    def build(draw: st.DrawFn) -> Any:
        document = copy.deepcopy(base)
        for _ in range(draw(st.sampled_from([1, 1, 1, 2, 3]))):
            node = document
            while True:
                if node is document and isinstance(node, dict) and node:
                    keys = sorted(node, key=str) + [k for k in focus if k in node] * 4
                    key = draw(st.sampled_from(keys))
                elif isinstance(node, dict) and node:
                    key = draw(st.sampled_from(sorted(node, key=str)))
                elif isinstance(node, list) and node:
                    key = draw(st.integers(min_value=0, max_value=len(node) - 1))
                else:
                    break
                child = node[key]
                if not isinstance(child, (dict, list)) or not child or draw(st.integers(0, 3)) == 0:
                    # Mostly a value of the same type (the compiler's inputs: paths, regexes,
                    # durations, templates, ids), sometimes anything (the schema's job).
                    action = draw(st.sampled_from(["retype", "retype", "replace", "drop", "add"]))
                    if action == "retype" and isinstance(child, str):
                        compiler = st.sampled_from(COMPILER_TEXT)
                        node[key] = draw(st.one_of(compiler, compiler, compiler, hostile_text))
                    elif action == "retype" and isinstance(child, (int, float)):
                        node[key] = draw(json_scalars.filter(lambda v: isinstance(v, (int, float))))
                    elif action in ("retype", "replace"):
                        node[key] = draw(json_values)
                    elif action == "drop":
                        del node[key]
                    elif isinstance(node, dict):
                        node[draw(hostile_text)] = draw(json_values)
                    else:
                        node.append(draw(json_values))
                    break
                node = child
        return document

    return build()


def weighted(*choices: tuple[st.SearchStrategy[Any], int]) -> st.SearchStrategy[Any]:
    """One of the strategies, each drawn in proportion to its weight."""
    indexes = [index for index, (_, weight) in enumerate(choices) for _ in range(weight)]
    return st.sampled_from(indexes).flatmap(lambda index: choices[index][0])


def as_yaml(document: Any, style: str) -> str:
    if style == "json":
        return json.dumps(document, ensure_ascii=False)
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


@contextmanager
def scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="govgate-prop-") as folder:
        yield Path(folder)


def write(root: Path, files: dict[str, str | bytes]) -> None:
    for rel, content in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8", errors="surrogatepass")


def fails_closed(run: Callable[[], Any]) -> Any:
    """Run; an exception must be a govgate usage error (exit 2), never a bug or a crash."""
    try:
        return run()
    except GovgateError as exc:
        assert exc.exit_code == ExitCode.USAGE_ERROR, f"{type(exc).__name__}: {exc}"
        assert str(exc).strip(), type(exc).__name__
        return exc


# -- the policy loader and the config loader ---------------------------------------------------

PACK = {
    "pack": "p",
    "version": "1.0.0",
    "title": "Property pack",
    "params": {"min_share": {"default": 0.5, "description": "lowest share"}},
    "evidence_kinds": {"p_cfg": {"collector": "config", "paths": ["cfg.yaml"]}},
    "requirements": [{"id": "P-1", "title": "t", "source": {"framework": "T", "ref": "1"}}],
    "controls": [{"id": "PC-1", "title": "c", "satisfies": ["P-1"]}],
    "rules": [
        {
            "id": "PC-1.share",
            "control": "PC-1",
            "severity": "high",
            "evidence": "p_cfg",
            "when": {"path": "system.risk", "op": "in", "value": ["high"]},
            "for_each": "items",
            "assert": {
                "all": [
                    {"path": "share", "op": "ge", "value": {"param": "min_share"}},
                    {"path": "name", "op": "matches", "value": "^[a-z]+$"},
                ]
            },
            "message": "item {item.name} has share {actual}, below {param.min_share}",
            "remediation": "raise the share of {item.name} in {source.path}",
            "max_age": "30d",
        },
        {
            "id": "PC-1.present",
            "control": "PC-1",
            "severity": "low",
            "evidence": "p_cfg",
            "depends_on": ["PC-1.share"],
            "assert": {"path": "items", "op": "len_ge", "value": 1},
            "message": "no items",
            "remediation": "add items",
        },
    ],
}
CONFIG = {
    "version": 1,
    "system": {
        "name": "prop",
        "risk": "high",
        "decision_types": [{"name": "a", "risk_tier": "high"}],
    },
    "packs": ["./p"],
    "params": {"p": {"min_share": 0.25}},
    "evidence": {"p_cfg": ["cfg.yaml"]},
    "collectors": {"config": {}},
    "fail_on": "high",
}
EVIDENCE = "items:\n  - {name: alpha, share: 0.9}\n  - {name: beta, share: 0.1}\n"


def check_repo(root: Path) -> Any:
    return fails_closed(
        lambda: run_check(
            CheckOptions(root=root, now=NOW, use_locker=False, use_cache=False),
            registry=_registry(),
        )
    )


_REGISTRY: list[Any] = []


def _registry() -> Any:
    if not _REGISTRY:
        _REGISTRY.append(get_registry())
    return _REGISTRY[0]


@bounded(100)
@given(
    pack=weighted(
        (mutated(PACK, focus=("rules", "params")), 4), (json_values, 1), (hostile_text, 1)
    ),
    style=st.sampled_from(["yaml", "json"]),
)
def policy_pack_property(seen: Counter[str], pack: Any, style: str) -> None:
    with scratch() as root:
        write(root, {"govgate.yaml": as_yaml(CONFIG, "yaml"), "cfg.yaml": EVIDENCE})
        text = pack if isinstance(pack, str) else as_yaml(pack, style)
        write(root, {"p/pack.yaml": text})
        outcome = check_repo(root)
        if isinstance(outcome, GovgateError):
            assert "p/pack.yaml" in str(outcome) or "govgate.yaml" in str(outcome), str(outcome)
            seen["packs refused"] += 1
        else:
            assert outcome.result["gate"] in ("pass", "fail")
            seen["packs loaded"] += 1


@bounded(80)
@given(
    config=weighted((mutated(CONFIG, focus=("system", "params")), 4), (json_values, 1)),
    evidence=mutated(yaml.safe_load(EVIDENCE)),
)
def govgate_yaml_property(seen: Counter[str], config: Any, evidence: Any) -> None:
    with scratch() as root:
        write(
            root,
            {
                "govgate.yaml": as_yaml(config, "yaml"),
                "p/pack.yaml": as_yaml(PACK, "yaml"),
                "cfg.yaml": as_yaml(evidence, "yaml"),
            },
        )
        outcome = check_repo(root)
        if isinstance(outcome, GovgateError):
            assert "govgate.yaml" in str(outcome) or "pack.yaml" in str(outcome), str(outcome)
            seen["configs refused"] += 1
            return
        seen["configs run"] += 1
        result = outcome.result
        statuses = {f["rule"]: f["status"] for f in result["findings"]}
        items = evidence.get("items") if isinstance(evidence, dict) else None
        if statuses.get("PC-1.present") == "pass":  # only when there really are items
            assert isinstance(items, list) and items


@pytest.mark.slow
def test_any_policy_pack_loads_or_is_refused_with_its_file_named(reliability: Any) -> None:
    seen: Counter[str] = Counter()
    policy_pack_property(seen)
    assert seen["packs loaded"] and seen["packs refused"], dict(seen)
    reliability.record(
        "prop-policy-packs",
        f"{seen['packs loaded'] + seen['packs refused']} mutated packs (YAML, JSON, junk): "
        f"{seen['packs loaded']} loaded, {seen['packs refused']} refused with exit 2 naming the "
        "file; no crash",
    )


@pytest.mark.slow
def test_any_govgate_yaml_runs_or_is_refused_naming_it(reliability: Any) -> None:
    seen: Counter[str] = Counter()
    govgate_yaml_property(seen)
    assert seen["configs run"] and seen["configs refused"], dict(seen)
    reliability.record(
        "prop-config",
        f"{seen['configs run'] + seen['configs refused']} mutated govgate.yaml with mutated "
        f"evidence: {seen['configs run']} ran, {seen['configs refused']} refused with exit 2; "
        "no pass on absent items",
    )


# -- collectors ---------------------------------------------------------------------------------


def collect(root: Path, kinds: list[EvidenceKind], settings: dict[str, Any] | None = None) -> Any:
    registry = _registry()
    return collect_evidence(
        registry,
        {k.name: k for k in kinds},
        {k.name for k in kinds},
        root,
        system={"name": "prop", "risk": "high"},
        settings=settings or {},
        now=NOW,
        timeout=60,
    )


def assert_collected_cleanly(collection: Any, *secrets: str) -> list[Evidence]:
    """Every collector finished, its evidence met its schema, and nothing personal got out."""
    for run in collection.runs:
        assert run.status in ("ok",), (run.name, run.message)
    items = collection.evidence.all()
    everything = canonical_json(
        {
            "evidence": [item.to_json() for item in items],
            "diagnostics": [d.to_json() for d in collection.diagnostics],
        }
    ).decode("utf-8")
    for secret in secrets:  # as a value of its own: "4111 1111 1111 11110" is no card number
        assert not re.search(rf"(?<![\w.+-]){re.escape(secret)}(?![\w-])", everything), secret
    return items


PII_VALUES = ("leak.person@victim.example", "+44 20 7946 0958", "4111 1111 1111 1111")
record_fields = st.dictionaries(
    st.sampled_from(
        [
            "decision_id",
            "timestamp",
            "decision_type",
            "risk_tier",
            "output",
            "reasons",
            "human_review",
            "subject_ref",
            "model_version",
            "prev_hash",
            "x",
        ]
    ),
    json_values | st.sampled_from(PII_VALUES) | st.just("2026-05-01T10:00:00Z"),
    max_size=8,
)
log_line = st.one_of(
    record_fields.map(lambda r: json.dumps(r, ensure_ascii=False).encode("utf-8")),
    st.binary(max_size=60),
    st.sampled_from([b"", b"   ", b"\xef\xbb\xbf{}", b"{", b'"x"', b"[]", b"\x00", b"\r"]),
)


def _decision_kinds() -> list[EvidenceKind]:
    return list(_registry().collectors["decision_logs"].kinds[:1])


@bounded(40, seconds=30)
@given(lines=st.lists(log_line, min_size=1, max_size=12), final_newline=st.booleans())
def jsonl_decision_log_property(
    seen: Counter[str], lines: list[bytes], final_newline: bool
) -> None:
    content = b"\n".join(line.replace(b"\n", b" ") for line in lines) + (
        b"\n" if final_newline else b""
    )
    with scratch() as root:
        write(root, {"logs/decisions/a.jsonl": content})
        (summary,) = assert_collected_cleanly(collect(root, _decision_kinds()), *PII_VALUES)
    data = summary.data
    seen["jsonl logs"] += 1
    seen["jsonl records"] += data["records"]
    seen["jsonl malformed"] += data["malformed"]["count"]
    physical = content.split(b"\n")
    if physical and physical[-1] == b"":
        physical.pop()
    non_blank = [p for p in physical if p.strip(b" \t\r\x0b\x0c")]
    # Every line is a record or a counted malformed line: none silently dropped.
    assert data["records"] <= len(non_blank)
    assert data["records"] + data["malformed"]["count"] >= len(non_blank)
    for listed in data["malformed"]["first"]:
        assert 1 <= listed["line"] <= len(physical)


@pytest.mark.slow
def test_any_jsonl_decision_log_is_counted_line_by_line(reliability: Any) -> None:
    seen: Counter[str] = Counter()
    jsonl_decision_log_property(seen)
    # Logs with records and logs with junk lines: both sides of the count were exercised.
    assert seen["jsonl records"] and seen["jsonl malformed"], dict(seen)
    reliability.record(
        "prop-decision-logs",
        f"{seen['jsonl logs']} JSONL logs of mixed records, junk bytes, BOMs and PII "
        f"({seen['jsonl records']} records read, {seen['jsonl malformed']} malformed lines "
        "counted): collector ok, every non-blank line a record or a counted malformed line, "
        "no PII out",
    )


@bounded(30, seconds=30)
@given(
    header=st.lists(
        st.sampled_from(["decision_id", "timestamp", "risk_tier", "output", "note"]) | hostile_text,
        min_size=1,
        max_size=5,
    ),
    rows=st.lists(st.lists(hostile_text | st.sampled_from(PII_VALUES), max_size=6), max_size=8),
    bom=st.booleans(),
)
def csv_decision_log_property(
    seen: Counter[str], header: list[str], rows: list[list[str]], bom: bool
) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    text = ("\ufeff" if bom else "") + buffer.getvalue()
    with scratch() as root:
        write(root, {"logs/decisions/a.csv": text.encode("utf-8", "surrogatepass")})
        (summary,) = assert_collected_cleanly(collect(root, _decision_kinds()), *PII_VALUES)
    assert summary.data["records"] <= len(rows)
    seen["csv logs"] += 1
    seen["csv records"] += summary.data["records"]
    seen["csv rows"] += len(rows)


@pytest.mark.slow
def test_any_csv_decision_log_is_counted_row_by_row(reliability: Any) -> None:
    seen: Counter[str] = Counter()
    csv_decision_log_property(seen)
    assert seen["csv logs"] and seen["csv rows"], dict(seen)
    reliability.record(
        "prop-decision-logs",
        f"{seen['csv logs']} CSV logs of random headers, hostile cells, BOMs and PII "
        f"({seen['csv records']} of {seen['csv rows']} rows read as records): collector ok, "
        "never more records than rows, no PII out",
    )


front_matter = st.one_of(
    st.dictionaries(hostile_text, json_values | st.sampled_from(PII_VALUES), max_size=5).map(
        lambda d: as_yaml(d, "yaml")
    ),
    hostile_text,
    st.just("a: &a [*a]\n"),
    st.just("- a\n- b\n"),
)


@bounded(100)
@given(
    fm=front_matter,
    body=st.lists(
        st.one_of(hostile_text, st.builds(lambda t: f"## {t}", hostile_text)), max_size=8
    ),
    closed=st.booleans(),
    line_end=st.sampled_from(["\n", "\r\n"]),
)
def front_matter_property(
    seen: Counter[str], fm: str, body: list[str], closed: bool, line_end: str
) -> None:
    text = "---\n" + fm + ("---\n" if closed else "") + "\n".join(body)
    kind = EvidenceKind(
        "p_doc",
        "documents",
        paths=("doc.md",),
        options={"required_fields": ["owner"], "required_sections": ["purpose"]},
    )
    with scratch() as root:
        write(root, {"doc.md": text.replace("\n", line_end).encode("utf-8", "surrogatepass")})
        items = assert_collected_cleanly(collect(root, [kind]), *PII_VALUES)
    (item,) = items
    seen["documents"] += 1
    seen["front matter errors"] += bool(item.data and item.data["front_matter_error"])
    if item.problem is None:
        data = item.data
        if data["front_matter_error"] is not None:
            assert data["front_matter"] == {}
        if not data["front_matter"].get("owner"):
            assert "owner" in data["missing_fields"]  # never a pass on an absent field


@pytest.mark.slow
def test_any_markdown_front_matter_is_read_or_reported(reliability: Any) -> None:
    seen: Counter[str] = Counter()
    front_matter_property(seen)
    # Some front matter was unreadable and some was read.
    assert 0 < seen["front matter errors"] < seen["documents"], dict(seen)
    reliability.record(
        "prop-front-matter",
        f"{seen['documents']} documents with random or broken front matter, CRLF and PII "
        f"({seen['front matter errors']} front matter errors reported): an unreadable front "
        "matter never satisfies a required field",
    )


JUNIT_ATTRIBUTES = st.sampled_from(
    ["name", "classname", "tests", "failures", "errors", "skipped", "timestamp", "message"]
)
junit_values = (
    st.integers(0, 12).map(str)
    | st.integers(-5, 10**6).map(str)
    | hostile_text
    | st.sampled_from(["inf", "1e400", "nan", "2026-05-01T10:00:00", "0001-01-01T00:00:00+01:00"])
)


@st.composite
def junit_xml(draw: st.DrawFn) -> bytes:
    def attrs() -> str:
        pairs = draw(st.dictionaries(JUNIT_ATTRIBUTES, junit_values, max_size=4))
        return "".join(f' {k}="{_xml_escape(v)}"' for k, v in pairs.items())

    def element(depth: int) -> str:
        tag = draw(
            st.sampled_from(
                ["testsuite", "testcase", "failure", "error", "skipped", "property", "properties"]
            )
        )
        children = (
            "".join(element(depth + 1) for _ in range(draw(st.integers(0, 3)))) if depth < 3 else ""
        )
        text = _xml_escape(draw(hostile_text))
        return f"<{tag}{attrs()}>{text}{children}</{tag}>"

    root = draw(st.sampled_from(["testsuites", "testsuite", "html"]))
    children = "".join(element(1) for _ in range(draw(st.integers(0, 3))))
    return f"<{root}{attrs()}>{children}</{root}>".encode("utf-8", "surrogatepass")


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")


@bounded(150)
@given(report=st.one_of(junit_xml(), st.binary(max_size=200)))
def junit_property(seen: Counter[str], report: bytes) -> None:
    kinds = [
        k for k in _registry().collectors["test_reports"].kinds if k.name == "test_results.summary"
    ]
    with scratch() as root:
        write(root, {"reports/junit.xml": report})
        (summary,) = assert_collected_cleanly(collect(root, kinds))
    data = summary.data
    seen["junit"] += 1
    seen["junit refused"] += summary.problem is not None
    assert data["passed"] >= 0
    if summary.problem is None and data["files"] == 1:
        assert data["failures"] + data["errors"] + data["skipped"] <= data["tests"]


@pytest.mark.slow
def test_any_junit_report_is_counted_or_reported(reliability: Any) -> None:
    seen: Counter[str] = Counter()
    junit_property(seen)
    assert 0 < seen["junit refused"] < seen["junit"], dict(seen)
    reliability.record(
        "prop-junit-xml",
        f"{seen['junit']} random XML trees (junk counts, inf/1e400/nan) and byte strings "
        f"({seen['junit refused']} unusable, carried as the summary's problem): counts stay "
        "consistent; never a schema break",
    )


locust_csv = st.builds(
    lambda header, rows: "\n".join([",".join(header), *(",".join(r) for r in rows)]),
    st.just(["Type", "Name", "Request Count", "Failure Count", "Requests/s", "95%", "99%"])
    | st.lists(hostile_text.map(lambda t: t.replace(",", " ")), max_size=5),
    st.lists(
        st.lists(
            st.sampled_from(["", "Aggregated", "N/A", "-1", "1e400", "nan", "12", "0.5"])
            | hostile_text.map(lambda t: t.replace(",", " ").replace("\n", " ")),
            min_size=7,
            max_size=7,
        ),
        max_size=4,
    ),
)
k6_json = st.one_of(
    json_values.map(json.dumps),
    st.builds(
        lambda reqs, failed, state: json.dumps(
            {"metrics": {"http_reqs": reqs, "http_req_failed": failed}, "state": state}
        ),
        json_values,
        json_values,
        json_values,
    ),
    st.just('{"metrics": {"http_reqs": {"count": NaN}}}'),
)


@bounded(100)
@given(stats=locust_csv, k6=k6_json)
def load_report_property(seen: Counter[str], stats: str, k6: str) -> None:
    kinds = [
        k for k in _registry().collectors["test_reports"].kinds if k.name == "load_test.result"
    ]
    with scratch() as root:
        write(root, {"reports/load/run_stats.csv": stats, "reports/load/k6.json": k6})
        items = assert_collected_cleanly(collect(root, kinds))
    seen["load reports"] += len(items)
    for item in items:
        seen["load refused"] += item.problem is not None
        if item.problem is None:
            assert item.data["failures"] >= 0 and item.data["requests"] >= 0


@pytest.mark.slow
def test_any_load_report_is_read_or_reported(reliability: Any) -> None:
    seen: Counter[str] = Counter()
    load_report_property(seen)
    assert 0 < seen["load refused"] < seen["load reports"], dict(seen)
    reliability.record(
        "prop-load-reports",
        f"{seen['load reports']} Locust CSV / k6 JSON results (junk cells, NaN, 1e400, any "
        f"JSON): {seen['load refused']} reported unusable naming the file, the rest read",
    )


#: Inputs that have crashed parsers of some format: each format gets all of them.
STRUCTURAL = (
    '{"k": "\\ud800"}',
    "[" * 600 + "]" * 600,
    "a: " + "[" * 300 + "]" * 300,
    "{" * 2000,
    '{"a": NaN, "b": -Infinity}',
    '{"a": 1' + "0" * 5000 + "}",
    "x = nan\ny = inf\nz = 1979-05-27T07:32:00Z\n",
    "a: &a [*a]\n",
    "a: &a [x]\nb: [*a, *a, *a]\n<<: {c: 1}\n",
    "\ufeffa: 1\n",
    "a: 1\na: 2\n",
    "[s]\nk=v\n[s]\nk=w\n",
    "[s]\nk=v\nk=w\n",
    "K=V\nK=W\nnot a pair\nexport X='y'\n",
    "!!python/object/apply:os.system [ls]\n",
    "a: !!binary aGVsbG8=\nb: !!set {x}\nc: 2026-13-45\n",
    "? [a, b]\n: c\n",
    "a:\n\t- b\n",
    "[[a]]\nb = 1\n[[a]]\nb = 2\n[a.c]\n",
)


@bounded(300, seconds=10)
@given(
    fmt=st.sampled_from(["yaml", "json", "toml", "ini", "env"]),
    text=st.sampled_from(STRUCTURAL) | hostile_text | json_values.map(json.dumps),
)
def config_text_property(seen: Counter[str], fmt: str, text: str) -> None:
    from govgate_collectors.config import ParseProblem, parse_config_text, redact_secrets

    problems: list[tuple[int, str]] = []
    try:
        data, lines = parse_config_text(text, fmt, "cfg", problems)
    except ParseProblem as exc:
        assert exc.message
        seen["config texts refused"] += 1
        return
    seen["config texts parsed"] += 1
    canonical_json(redact_secrets(data))  # storable and digestible: finite, valid Unicode
    assert all(isinstance(line, int) and line >= 1 for line in lines.values())


@pytest.mark.slow
def test_any_config_text_parses_or_is_a_parse_problem(reliability: Any) -> None:
    seen: Counter[str] = Counter()
    config_text_property(seen)
    assert seen["config texts parsed"] and seen["config texts refused"], dict(seen)
    reliability.record(
        "prop-config-formats",
        f"{sum(seen.values())} texts across YAML, JSON, TOML, INI and .env: "
        f"{seen['config texts parsed']} parsed to digestible data, "
        f"{seen['config texts refused']} parse problems with a message",
    )


#: An integer longer than Python converts from text (sys.get_int_max_str_digits(), 4,300).
LONG_INTEGER = "1" + "0" * 5000


@pytest.mark.parametrize(
    ("fmt", "text", "line"),
    [
        ("yaml", f"a: 1\nb: {LONG_INTEGER}\n", 2),
        ("yaml", f'{{"a": {LONG_INTEGER}}}', 1),
        ("yaml", f"a: 0x{'f' * 4000}\n", 1),
        ("toml", f"a = 1\nb = {LONG_INTEGER}\n", 2),
        ("toml", f"a = 0x{'f' * 4000}\n", None),
    ],
)
def test_an_integer_too_long_for_python_is_a_parse_problem(
    fmt: str, text: str, line: int | None
) -> None:
    from govgate_collectors.config import ParseProblem, parse_config_text

    with pytest.raises(ParseProblem) as refused:
        parse_config_text(text, fmt, "cfg", [])
    assert refused.value.line == line
    assert "digits is longer than can be" in refused.value.message
    assert "quote it to keep it as text" in refused.value.message


@pytest.mark.parametrize("where", ["govgate.yaml", "p/pack.yaml", "cfg.yaml"])
def test_a_long_integer_in_a_yaml_file_is_reported_naming_the_file(
    where: str, run_cli: Callable[..., Any], tmp_path: Path
) -> None:
    files = {
        "govgate.yaml": as_yaml(CONFIG, "yaml"),
        "p/pack.yaml": as_yaml(PACK, "yaml"),
        "cfg.yaml": EVIDENCE,
    }
    files[where] += f"long: {LONG_INTEGER}\n"
    line = files[where].count("\n")
    write(tmp_path, files)
    done = run_cli("check", tmp_path, "--no-locker", "--format", "json")
    named = f"{where}:{line}: invalid YAML: an integer of about 5001 digits is longer than"
    if where == "cfg.yaml":
        # The file is reported as unusable, by name and line, and the check fails closed.
        assert done.exit_code == 1, done.output
        assert "collector 'config' failed" not in done.stderr
        assert f"error   {named}" in done.stderr, done.stderr  # listed with its line
    else:
        assert done.exit_code == ExitCode.USAGE_ERROR, done.output
        assert named in done.stderr, done.stderr


# -- the locker ---------------------------------------------------------------------------------

evidence_items = st.lists(
    st.builds(
        lambda kind, subject, data: Evidence.create(
            kind=kind,
            subject=subject,
            data=data,
            source=Source(path=subject),
            collector="prop",
            collector_version="1",
            collected_at=NOW,
        ),
        st.sampled_from(["a", "b.c", "kind with spaces"]),
        hostile_text,
        json_values,
    ),
    min_size=1,
    max_size=5,
)


@bounded(60)
@given(items=evidence_items)
def locker_property(seen: Counter[str], items: list[Evidence]) -> None:
    from govgate.locker import RECORD_FORMAT, EvidenceLocker

    # The run ends now: verify refuses evidence stored long after the newest run finished
    # (what a deleted later run leaves), and rows are stored at the real time.
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    record = {
        "format": RECORD_FORMAT,
        "command": "check",
        "started_at": now,
        "finished_at": now,
        "tool": {"name": "govgate", "version": "0"},
        "target": {"path": "/x"},
        "result": None,
    }
    with scratch() as root:
        path = root / "locker.db"
        with EvidenceLocker.open(path) as locker:
            run = locker.record_run(record, items)
            assert locker.verify().ok
            stored = {e.digest: e for e in locker.run_evidence(run.seq)}
        for item in items:
            assert stored[item.digest].data == item.data
        # An edit anywhere in an evidence row is detected.
        import sqlite3

        connection = sqlite3.connect(path)
        connection.execute("UPDATE evidence SET data = data || ' ' WHERE id = 1")
        connection.commit()
        connection.close()
        with EvidenceLocker.open(path, create=False) as locker:
            report = locker.verify()
        assert not report.ok
        seen["locker runs"] += 1
        seen["locker items"] += len(items)


@pytest.mark.slow
def test_any_evidence_round_trips_through_the_locker_and_verifies(reliability: Any) -> None:
    seen: Counter[str] = Counter()
    locker_property(seen)
    assert seen["locker runs"] and seen["locker items"] > seen["locker runs"], dict(seen)
    reliability.record(
        "prop-locker-roundtrip",
        f"{seen['locker runs']} runs, {seen['locker items']} evidence items of arbitrary data "
        "(deep JSON, hostile text, 70-bit integers): stored, read back equal, verified; a "
        "one-byte edit fails verify every time",
    )


# -- writers ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def base_result(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A real result document: the reporter tests' `rich` scenario, checked once."""
    from outputs.reporters.conftest import GATES, WAIVERS
    from outputs.reporters.conftest import PACK as RICH_PACK

    from conftest import git

    root = tmp_path_factory.mktemp("writers") / "repo"
    write(
        root,
        {
            "govgate.yaml": 'system: {name: "writers", risk: high}\npacks: [./packs/t]\n',
            "packs/t/pack.yaml": RICH_PACK,
            "gates.yaml": GATES,
            "settings.env": "DEBUG=true\nnot a pair\n",
            "governance/waivers.yaml": WAIVERS,
        },
    )
    git(root, "init", "-q", "-b", "main")
    outcome = run_check(CheckOptions(root=root, now=NOW, use_locker=False, use_cache=False))
    return outcome.result


def rewrite_text(result: dict[str, Any], texts: Iterator[str]) -> dict[str, Any]:
    """The result with its free text (messages, names, paths, diagnostics) replaced."""
    edited = copy.deepcopy(result)
    edited["system"]["name"] = next(texts)
    for finding in edited["findings"]:
        finding["message"] = next(texts)
        if finding.get("remediation"):
            finding["remediation"] = next(texts)
        if finding.get("item"):
            finding["item"] = next(texts)
        if finding.get("location"):
            finding["location"]["path"] = next(texts) or "x"
    for diagnostic in edited["diagnostics"]:
        diagnostic["message"] = next(texts)
        diagnostic["path"] = next(texts) or None
    for waiver in edited.get("waivers", []):
        if "justification" in waiver:
            waiver["justification"] = next(texts)
    return edited


WRITERS = ("text", "json", "sarif", "junit", "markdown", "github", "oscal")


@bounded(25, seconds=60)
@given(texts=st.lists(hostile_text, min_size=200, max_size=200))
def writers_property(seen: Counter[str], base_result: dict[str, Any], texts: list[str]) -> None:
    from hostile.harness import OUTPUT_FILES, validate_outputs

    edited = rewrite_text(base_result, iter(texts * 20))
    registry = _registry()
    with scratch() as folder:
        for name in WRITERS:
            reporter = registry.reporters[name]
            (folder / OUTPUT_FILES[name]).write_text(reporter.render(edited), encoding="utf-8")
        outputs = validate_outputs(folder)
    assert outputs["json"]["findings"] == edited["findings"]
    seen["writer documents"] += 1
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", outputs["texts"]["text"])


@pytest.mark.slow
def test_every_writer_stays_valid_on_any_text(
    reliability: Any, base_result: dict[str, Any]
) -> None:
    seen: Counter[str] = Counter()
    writers_property(seen, base_result)
    assert seen["writer documents"], dict(seen)
    reliability.record(
        "prop-writers",
        f"{seen['writer documents']} result documents with hostile text in every free-text "
        "field: text, JSON, SARIF, JUnit, Markdown, GitHub and OSCAL all valid against their "
        "schemas and parsers",
    )

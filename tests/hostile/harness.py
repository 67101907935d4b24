"""The hostile suite's harness: a repository built to break govgate, and child processes
measured for time and memory (imported as `hostile.harness`; fixtures live in conftest.py).

`build_hostile_repository` copies the loan-approval example (so every built-in collector has
real evidence to read) and plants, where each collector looks, the inputs that real
repositories, real logs and real attackers produce: a symlink leaving the repository, a FIFO,
a 2 GB sparse file, binary data named `.md`, a YAML alias bomb, JSON nested 100,000 levels
deep, invalid UTF-8, byte-order marks, NUL bytes, a 50 MB single-line file, HTML and script in
every free-text field and personal data in every field of every evidence source. Next to the
repository (outside it) lies a canary folder whose unique content must never surface.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conftest import EXAMPLES, git

# -- the payloads ---------------------------------------------------------------------------------

#: Content of the canary file outside the repository; it must appear in no output at all.
CANARY = "GOVGATE-CANARY-4c1f9e2b-outside-the-repository"
#: One value of every kind of personal data govgate masks, and the forms they may leak in.
PII = {
    "email": "hostile.victim@leak-domain.org",
    "phone": "+44 20 7946 0958",
    "ssn": "536-22-8197",
    "card": "4111 1111 1111 1111",
    "iban": "DE89 3704 0044 0532 0130 00",
    "ip": "203.0.113.77",
}
PII_LEAK_FORMS = (
    *PII.values(),
    "hostile.victim",
    "leak-domain",
    "4111111111111111",
    "DE89370400440532013000",
    "7946 0958",
    "536-22-8197",
    "203.0.113.77",
)
PII_TEXT = (
    f"mail {PII['email']}, call {PII['phone']}, SSN {PII['ssn']}, card {PII['card']}, "
    f"IBAN {PII['iban']}, from {PII['ip']}"
)
SCRIPT = "<script>alert('govgate-xss')</script>"
IMG = '<img src=x onerror="alert(1)">'
HOSTILE_TEXT = f"{SCRIPT} {IMG} {PII_TEXT}"
#: Terminal escapes, a bell, a forged line and a GitHub workflow command.
ANSI = "\x1b[2J\x1b[31mred\x07 ::error::fake \r\nforged line"

# -- the hostile repository ----------------------------------------------------------------------


@dataclass
class Planted:
    """One hostile input: its class, where it is, and what the report must say about it."""

    cls: str
    path: str
    #: Words the diagnostic for this file must contain (lower-case match), or None when the
    #: input is harmless by design and only must not crash or leak.
    says: tuple[str, ...] | None


@dataclass
class HostileRepository:
    path: Path
    outside: Path
    planted: list[Planted] = field(default_factory=list)

    def plant(self, cls: str, rel: str, content: bytes | str | None, *says: str) -> Path:
        target = self.path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if content is not None:
            data = content.encode("utf-8") if isinstance(content, str) else content
            target.write_bytes(data)
        self.planted.append(Planted(cls, rel, tuple(says) if says else None))
        return target


def _front_matter_doc(fields: dict[str, str], body: str) -> str:
    lines = ["---", *(f"{key}: {json.dumps(value)}" for key, value in fields.items()), "---"]
    return "\n".join(lines) + "\n" + body


def yaml_alias_bomb(levels: int = 9, width: int = 9) -> str:
    """The "billion laughs" in YAML: each anchor lists the previous one `width` times."""
    lines = ['a0: &a0 ["lol"]']
    for level in range(1, levels + 1):
        refs = ", ".join([f"*a{level - 1}"] * width)
        lines.append(f"a{level}: &a{level} [{refs}]")
    return "\n".join(lines) + "\n"


def deep_json(levels: int) -> str:
    return "[" * levels + "]" * levels


def _sparse(path: Path, size: int) -> None:
    with path.open("wb") as handle:
        handle.truncate(size)


def build_hostile_repository(root: Path, outside: Path) -> HostileRepository:
    """Copy loan-approval to `root`, plant every hostile input, commit, return what is where."""
    outside.mkdir(parents=True, exist_ok=True)
    (outside / "canary.md").write_text(
        f"---\nowner: {CANARY}\napproval_date: 2026-01-01\n---\n# {CANARY}\n{CANARY}\n",
        encoding="utf-8",
    )
    (outside / "canary.jsonl").write_text(
        json.dumps({"decision_id": CANARY, "timestamp": "2026-10-01T00:00:00Z"}) + "\n",
        encoding="utf-8",
    )
    (outside / "canary.yaml").write_text(f"who: {CANARY}\nstatement: {CANARY}\n")
    (outside / "canary.xml").write_text(f'<testsuite name="{CANARY}" tests="1"/>\n')
    shutil.copytree(
        EXAMPLES / "loan-approval", root, ignore=shutil.ignore_patterns(".govgate", "generate.py")
    )
    repo = HostileRepository(root, outside)
    _plant_paths(repo)
    _plant_encodings(repo)
    _plant_bombs(repo)
    _plant_text(repo)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "hostile repository")
    # Made after the commit, as files a build or a download leaves in a working tree: git
    # cannot hold a FIFO, and hashing gigabytes into a test repository is not the point.
    _plant_sizes(repo)
    for rel in ("logs/decisions/fifo.jsonl", "governance/lia/fifo.md", "reports/eval/fifo.json"):
        target = root / rel
        os.mkfifo(target)
        repo.planted.append(Planted("fifo", rel, ("not a regular file",)))
    return repo


def _plant_paths(repo: HostileRepository) -> None:
    out = repo.outside
    for rel, target in (
        ("governance/dpia/leak.md", out / "canary.md"),
        ("logs/decisions/leak.jsonl", out / "canary.jsonl"),
        ("governance/attestations/leak.yaml", out / "canary.yaml"),
        ("reports/tests/junit-leak.xml", out / "canary.xml"),
        ("data/leak.csv", out / "canary.jsonl"),
    ):
        link = repo.plant("symlink-outside", rel, None, "outside the repository")
        link.symlink_to(target)
    # A symlinked folder leading out, and one chasing its own tail.
    repo.plant("symlink-dir-outside", "governance/runbooks/outside", None, "symlinked directory")
    (repo.path / "governance/runbooks/outside").symlink_to(out, target_is_directory=True)
    loop = repo.plant("symlink-loop", "governance/fria/loop.md", None, "symlink loop")
    loop.symlink_to(repo.path / "governance/fria/loop.md")


def _plant_encodings(repo: HostileRepository) -> None:
    bad = b"---\nowner: Caf\xe9 \xff\xfe team\n---\n# Impact\n"
    repo.plant("invalid-utf8", "governance/dpia/latin1.md", bad, "utf-8")
    repo.plant(
        "invalid-utf8", "reports/eval/latin1.yaml", b"accuracy: 0.9\nnote: \xe9t\xe9\n", "utf-8"
    )
    repo.plant(
        "invalid-utf8",
        "governance/attestations/latin1.yaml",
        b"id: ATT-L\nwho: Jos\xe9\n",
        "utf-8",
    )
    repo.plant(
        "invalid-utf8",
        "logs/decisions/latin1.jsonl",
        b'{"decision_id": "caf\xe9", "timestamp": "2026-10-01T00:00:00Z"}\n',
        "utf-8",
    )
    bom = "\ufeff"
    repo.plant(
        "bom-utf8",
        "governance/fria/bom.md",
        bom + _front_matter_doc({"owner": "BOM team", "approval_date": "2026-05-01"}, "# FRIA\n"),
    )
    repo.plant("bom-utf8", "reports/eval/bom.yaml", bom + "accuracy: 0.91\n")
    repo.plant(
        "bom-utf8",
        "logs/decisions/bom.csv",
        bom + "decision_id,timestamp,decision_type,risk_tier\nbom-1,2026-10-02T00:00:00Z,x,high\n",
    )
    repo.plant(
        "bom-utf8",
        "reports/tests/bom.xml",
        bom + '<testsuite name="bom" tests="1"><testcase name="t"/></testsuite>\n',
    )
    utf16 = "accuracy: 0.5\n".encode("utf-16")
    repo.plant("bom-utf16", "reports/eval/utf16.yaml", utf16, "utf-8")
    repo.plant("bom-utf16", "governance/lia/utf16.md", "# LIA\n".encode("utf-16"), "nul")
    repo.plant("nul-bytes", "governance/risk-assessments/nul.md", b"# Risk\x00assessment\n", "nul")
    repo.plant("nul-bytes", "reports/eval/nul.yaml", b"accuracy: 0.9\x00\n", "nul")
    repo.plant(
        "nul-bytes",
        "logs/decisions/nul.jsonl",
        b'{"decision_id": "n\x00ul", "timestamp": "2026-10-01T00:00:00Z"}\n',
        "control character",
    )
    rng = __import__("random").Random(7)
    binary = bytes(rng.getrandbits(8) for _ in range(64 * 1024))
    repo.plant("binary-as-md", "governance/dpia/binary.md", binary, "binary")
    repo.plant(
        "binary-as-md", "datasheets/binary.md", b"\x89PNG\r\n\x1a\n" + binary[:4096], "binary"
    )
    repo.plant(
        "crlf-mixed-endings",
        "governance/lia/crlf.md",
        b"---\r\nowner: CRLF team\r\n---\r\n# Purpose test\r\ntext\n# Necessity\rmore\r\n",
    )
    repo.plant("empty-file", "governance/lia/empty.md", b"")
    repo.plant("empty-file", "reports/eval/empty.json", b"", "invalid json")
    repo.plant("empty-file", "logs/decisions/empty.jsonl", b"")


def _plant_bombs(repo: HostileRepository) -> None:
    bomb = yaml_alias_bomb()
    repo.plant("yaml-alias-bomb", "reports/eval/bomb.yaml", bomb, "aliases")
    repo.plant("yaml-alias-bomb", "governance/attestations/bomb.yaml", bomb, "aliases")
    repo.plant(
        "yaml-alias-bomb", "governance/lia/bomb.md", "---\n" + bomb + "---\n# Purpose\n", "aliases"
    )
    repo.plant("yaml-recursive-alias", "reports/eval/recursive.yaml", "a: &a [*a]\n", "recursive")
    repo.plant(
        "yaml-duplicate-keys",
        "reports/eval/dupes.yaml",
        "accuracy: 0.9\naccuracy: 0.1\n",
        "duplicate",
    )
    deep = deep_json(100_000)
    repo.plant("json-deep-100k", "reports/eval/deep.json", deep, "nested")
    repo.plant("json-deep-100k", "reports/load/deep.json", deep, "nested")
    repo.plant("json-deep-100k", "model_card.json", deep, "nested")
    repo.plant("json-deep-100k", "logs/decisions/deep.jsonl", deep + "\n", "not a json object")
    repo.plant(
        "yaml-deep-nesting", "reports/eval/deep.yaml", "[" * 20_000 + "]" * 20_000, "nesting depth"
    )
    repo.plant(
        "yaml-deep-nesting",
        "datasheets/deep.md",
        "---\nx: " + "[" * 20_000 + "]" * 20_000 + "\n---\n# Origin\n",
        "front matter",
        "nesting depth",
    )
    repo.plant(
        "xml-entity-expansion",
        "reports/tests/laughs.xml",
        '<?xml version="1.0"?>\n<!DOCTYPE l [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;">]>\n'
        '<testsuite name="&b;" tests="1"/>\n',
        "doctype",
    )
    repo.plant(
        "xml-external-entity",
        "reports/tests/xxe.xml",
        f'<?xml version="1.0"?>\n<!DOCTYPE t [<!ENTITY x SYSTEM "file://{repo.outside}/canary.md">]>\n'
        '<testsuite name="&x;" tests="1"/>\n',
        "doctype",
    )
    repo.plant(
        "non-finite-numbers",
        "reports/load/nan.json",
        '{"metrics": {"http_reqs": {"count": NaN, "rate": Infinity}}}',
        "finite",
    )
    repo.plant(
        "non-finite-numbers",
        "reports/tests/inf.xml",
        '<testsuite name="s" tests="1e400" failures="inf" errors="nan"/>\n',
        "not a count",
    )
    repo.plant(
        "non-finite-numbers",
        "reports/load/inf_stats.csv",
        "Type,Name,Request Count,Failure Count,Requests/s,95%,99%\n,Aggregated,1e400,0,5,1,1\n",
        "finite",
    )
    repo.plant(
        "non-finite-numbers",
        "reports/load/nanhist_stats_history.csv",
        "Timestamp,User Count\nnan,1\ninf,2\n1e300,3\n",
    )
    repo.plant(
        "non-finite-numbers",
        "reports/load/nanhist_stats.csv",
        "Type,Name,Request Count,Failure Count,Requests/s,95%,99%\n,Aggregated,10,0,5,1,1\n",
        "not a unix time",
    )
    repo.plant(
        "huge-numbers",
        "reports/eval/huge.json",
        '{"accuracy": 1' + "0" * 5000 + ', "f1": 1e999999}',
        "digits",
    )
    repo.plant(
        "huge-numbers",
        "reports/load/huge.json",
        '{"metrics": {"http_reqs": {"count": 1' + "0" * 5000 + "}}}",
        "digits",
    )
    # A gzip "bomb": 120 MB of one repeated record in a few hundred kilobytes.
    record = json.dumps({"decision_id": "gz", "timestamp": "2026-10-03T00:00:00Z"}) + "\n"
    target = repo.plant("compression-bomb", "logs/decisions/bomb.jsonl.gz", None)
    with gzip.open(target, "wb", compresslevel=1) as handle:
        chunk = (record * 4096).encode()
        for _ in range((120 << 20) // len(chunk)):
            handle.write(chunk)
    repo.plant(
        "csv-ragged-and-oversized",
        "logs/decisions/ragged.csv",
        'decision_id,timestamp\nr1,2026-10-01T00:00:00Z,extra\n"unterminated,2026\n',
        "expected 2 fields",
    )
    repo.plant(
        "csv-ragged-and-oversized",
        "reports/load/wide_stats.csv",
        "Type,Name,Request Count\n," + "x" * 300_000 + ",1\n",
        "field limit",
    )
    repo.plant(
        "front-matter-broken",
        "governance/lia/unclosed.md",
        "---\nowner: nobody\n# Purpose\nno closing line\n",
        "never closed",
    )
    repo.plant(
        "front-matter-broken",
        "governance/lia/list.md",
        "---\n- a\n- b\n---\n# Purpose\n",
        "mapping",
    )


def _plant_sizes(repo: HostileRepository) -> None:
    sparse = repo.plant("sparse-2gb", "data/sparse.bin", None, "binary")
    _sparse(sparse, 2 << 30)
    for rel, says in (
        ("logs/decisions/sparse.jsonl", "longer than 64 mb"),
        ("logs/decisions/sparse.csv", "longer than 64 mb"),
        ("reports/load/sparse_stats.csv", "larger than 64 mb"),
    ):
        _sparse(repo.plant("sparse-2gb", rel, None, says), 2 << 30)
    line = ("x" * (50 << 20)).encode()
    repo.plant("single-line-50mb", "governance/dpia/oneline.md", line, "larger than")
    repo.plant(
        "single-line-50mb",
        "logs/decisions/oneline.jsonl",
        b'{"d": "' + line + b'"}\n',
        "cannot read",
    )
    repo.plant("single-line-50mb", "data/oneline.txt", line + b" " + PII["email"].encode())


def _plant_text(repo: HostileRepository) -> None:
    """HTML/script and personal data in every free-text field of every evidence source."""
    text = HOSTILE_TEXT
    fields = {
        "owner": text,
        "approved_by": text,
        "approval_date": "2026-06-01",
        "next_review": f"call {PII['phone']} soon",
        "dpo_consulted": text,
        "title": text,
        f"{PII['email']} {SCRIPT}": text,
    }
    body = (
        f"# {text}\n\n## Systematic description {text}\n{text}\n\n"
        f"## Necessity and proportionality\n{text}\n\n"
        f"Last reviewed: {PII['ssn']}\n\n| Approval date | {PII['phone']} |\n"
    )
    repo.plant("html-in-free-text", "governance/dpia/hostile.md", _front_matter_doc(fields, body))
    repo.plant("pii-in-every-field", "datasheets/hostile.md", _front_matter_doc(fields, body))
    repo.plant(
        "html-in-free-text",
        "governance/attestations/hostile.yaml",
        "id: ATT-HOSTILE\ntopic: executive_sponsor\n"
        f"statement: {json.dumps(text)}\nwho: {json.dumps(text)}\nrole: {json.dumps(text)}\n"
        f"date: 2026-10-27\nevidence: [{json.dumps(text)}]\n{json.dumps(PII['email'])}: x\n",
    )
    oversight = (repo.path / "governance/oversight.yaml").read_text(encoding="utf-8")
    oversight = oversight.replace(
        "kill_switch:",
        f"  - name: {json.dumps(text)}\n    risk_tier: high\n    approval_required: false\n"
        f"    approver_role: {json.dumps(text)}\n"
        f"    {json.dumps(PII['email'])}: {json.dumps(text)}\n"
        f"  - name: {json.dumps(ANSI)}\n    risk_tier: high\n    approval_required: false\n"
        "kill_switch:",
    )
    repo.plant("pii-in-every-field", "governance/oversight.yaml", oversight)
    record = {
        "decision_id": f"id {text}",
        "timestamp": "2026-10-05T10:00:00Z",
        "system_id": text,
        "model_name": text,
        "model_version": text,
        "decision_type": text,
        "risk_tier": "high",
        "input_hash": text,
        "data_categories": [text],
        "output": text,
        "reasons": [text],
        "human_review": {"required": True, "reviewer_id": text, "action": text, "note": text},
        "final_outcome": text,
        "subject_ref": PII["email"],
        "legal_basis": text,
        "policy_version": text,
        PII["email"]: text,
    }
    logs = json.dumps(record) + "\n" + "{broken " + text + "\n"
    repo.plant("pii-in-every-field", "logs/decisions/hostile.jsonl", logs)
    flat = {k: str(v) for k, v in record.items() if not isinstance(v, (dict, list))}
    table = io.StringIO()
    writer = csv.writer(table, lineterminator="\n")
    writer.writerow(flat)
    writer.writerow(flat.values())
    writer.writerow([text, "ragged"])
    repo.plant("pii-in-every-field", "logs/decisions/hostile.csv", table.getvalue())
    repo.plant("pii-in-every-field", "data/customers.csv", f"name,contact\n{text},{text}\n")
    cases = "".join(
        f'<testcase classname="{_xml(text)}" name="{_xml(text)} {n}">'
        f'<failure message="{_xml(text)}">{_xml(text)}</failure></testcase>'
        for n in range(3)
    )
    repo.plant(
        "html-in-free-text",
        "reports/tests/hostile.xml",
        f'<testsuite name="{_xml(text)}" timestamp="{_xml(text)}">{cases}</testsuite>\n',
    )
    repo.plant(
        "pii-in-every-field",
        "reports/eval/hostile.yaml",
        f"accuracy: 0.9\nnotes: {json.dumps(text)}\n"
        f"{json.dumps(PII['email'])}: {json.dumps(text)}\n"
        f"nested:\n  - {{contact: {json.dumps(text)}, {json.dumps(PII['phone'])}: 1}}\n",
    )
    repo.plant(
        "pii-in-every-field",
        "reports/load/hostile_stats.csv",
        f"Type,Name,Request Count,Failure Count,Requests/s,95%,99%\n"
        f",{json.dumps(text)},10,0,5,1,1\n,Aggregated,10,0,5,1,1\n",
    )
    name = 'governance/lia/<img src=x onerror=alert(1)> & "quote".md'
    repo.plant("hostile-file-name", name, f"# Purpose\n{text}\n")
    newline_name = "governance/lia/line\nbreak.md"
    repo.plant("hostile-file-name", newline_name, "# Purpose\n")
    repo.plant(
        "control-characters",
        "reports/eval/ansi.yaml",
        f"accuracy: 0.9\nnote: {json.dumps(ANSI)}\n",
    )
    config = (repo.path / "govgate.yaml").read_text(encoding="utf-8")
    config = re.sub(
        r"(?m)^  description: .*$",
        lambda _: f"  description: {json.dumps(text)}\n  owner: {json.dumps(text)}",
        config.replace("  owner: Credit Risk Engineering\n", ""),
        count=1,
    )
    repo.plant("pii-in-every-field", "govgate.yaml", config)


def _xml(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


# -- running govgate as a real process, measured -------------------------------------------------


@dataclass
class Finished:
    """A finished `govgate` child process: exit code, output, wall time and peak RSS."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    peak_rss_mb: float
    timed_out: bool

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_govgate(
    *args: str | os.PathLike[str],
    timeout: float = 240,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    preexec_fn: Any = None,
    autoload: bool = False,
) -> Finished:
    """Run `python -m govgate.cli.main ARGS`; measure its own peak RSS with wait4 (no other child).

    The timeout is a hang detector, not a speed check: a child still running then is killed
    and reported as `timed_out`.
    """
    command = [sys.executable, "-m", "govgate.cli.main", *map(str, args)]
    full_env = {**os.environ, "GOVGATE_DISABLE_PLUGIN_AUTOLOAD": "1", "NO_COLOR": "1"}
    if autoload:  # entry-point discovery on, as on a user's machine
        del full_env["GOVGATE_DISABLE_PLUGIN_AUTOLOAD"]
    full_env.update(env or {})
    started = time.monotonic()
    with (
        _temp_file() as out,
        _temp_file() as err,
        tempfile.NamedTemporaryFile() as peak,
    ):
        # Through a small launcher: Linux records a process's peak RSS from the memory it was
        # forked with, so a child forked from a large pytest process would report pytest's.
        argv = [sys.executable, "-c", _LAUNCHER, peak.name, *command]
        proc = subprocess.Popen(
            argv,
            stdout=out,
            stderr=err,
            cwd=cwd,
            env=full_env,
            preexec_fn=preexec_fn,
            start_new_session=True,
        )
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            with _suppress():
                os.killpg(proc.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, _usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        peak.seek(0)
        peak_kb = int(peak.read().decode() or 0)
        seconds = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    return Finished(
        [str(a) for a in args],
        proc.returncode,
        stdout,
        stderr,
        seconds,
        peak_kb / 1024,  # Linux reports kilobytes
        timed_out.is_set(),
    )


#: Forks and runs argv[2:], waits for it with wait4 and writes its peak RSS (KB) to argv[1];
#: exits as the command did (the same code, or killed by the same signal).
_LAUNCHER = """
import os, signal, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as peak:
    peak.write(str(usage.ru_maxrss))
if os.WIFSIGNALED(status):
    signal.signal(os.WTERMSIG(status), signal.SIG_DFL)
    os.kill(os.getpid(), os.WTERMSIG(status))
os._exit(os.waitstatus_to_exitcode(status))
"""


class _temp_file:
    def __enter__(self) -> Any:
        import tempfile

        self.handle = tempfile.TemporaryFile()
        return self.handle

    def __exit__(self, *exc: object) -> None:
        self.handle.close()


class _suppress:
    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, *_: object) -> bool:
        return kind is not None and issubclass(kind, ProcessLookupError)


# -- reading what govgate wrote ------------------------------------------------------------------

ALL_FORMATS = "text,json,sarif,junit,markdown,github,oscal"
OUTPUT_FILES = {
    "text": "govgate.txt",
    "json": "govgate.json",
    "sarif": "govgate.sarif",
    "junit": "govgate.junit.xml",
    "markdown": "govgate.md",
    "github": "govgate.github.txt",
    "oscal": "govgate.oscal.json",
}


def validate_outputs(directory: Path) -> dict[str, Any]:
    """Every format's file parsed and validated the way tests/outputs/reporters/ validates it."""
    import xml.etree.ElementTree as ET

    from jsonschema import Draft202012Validator
    from junitparser import JUnitXml
    from outputs.reporters.test_github import parse_line
    from outputs.reporters.test_markdown import GITHUB_COMMENT_LIMIT, to_html
    from outputs.reporters.test_oscal import validator as oscal_validator
    from outputs.reporters.test_sarif import validator as sarif_validator
    from trestle.oscal.assessment_results import AssessmentResults

    from govgate.support.schemas import load_schema

    texts = {
        name: (directory / file).read_text(encoding="utf-8") for name, file in OUTPUT_FILES.items()
    }
    out: dict[str, Any] = {"texts": texts}
    result = json.loads(texts["json"])
    problems = [e.message for e in Draft202012Validator(load_schema("result")).iter_errors(result)]
    assert not problems, problems[:3]
    out["json"] = result
    sarif = json.loads(texts["sarif"])
    problems = [f"{list(e.path)}: {e.message}" for e in sarif_validator().iter_errors(sarif)]
    assert not problems, problems[:3]
    out["sarif"] = sarif
    out["junit_tree"] = ET.fromstring(texts["junit"].encode("utf-8"))
    out["junit"] = JUnitXml.fromstring(texts["junit"].encode("utf-8"))
    assert len(texts["markdown"]) < GITHUB_COMMENT_LIMIT
    out["markdown_html"] = to_html(texts["markdown"])
    lines = texts["github"].splitlines()
    assert texts["github"] == "\n".join(lines) + "\n"
    out["github"] = [parse_line(line) for line in lines]
    oscal = json.loads(texts["oscal"])
    problems = [f"{list(e.path)}: {e.message[:200]}" for e in oscal_validator().iter_errors(oscal)]
    assert not problems, problems[:3]
    AssessmentResults.parse_obj(oscal["assessment-results"])
    out["oscal"] = oscal
    return out


def locker_texts(folder: Path) -> list[tuple[str, bytes]]:
    """Every byte govgate keeps under `.govgate/`: raw files, and each compressed column inflated.

    A compressed record would hide a leak from a plain byte search, so each BLOB of the
    locker is decompressed too.
    """
    import sqlite3
    import zlib

    found: list[tuple[str, bytes]] = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        found.append((str(path), path.read_bytes()))
    locker = folder / "locker.db"
    if locker.is_file():
        connection = sqlite3.connect(f"file:{locker}?mode=ro", uri=True)
        try:
            tables = [
                row[0]
                for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
            ]
            for table in tables:
                for row in connection.execute(f"SELECT * FROM {table}"):
                    for cell in row:
                        if isinstance(cell, bytes):
                            try:
                                found.append((f"{locker}:{table}", zlib.decompress(cell)))
                            except zlib.error:
                                found.append((f"{locker}:{table}", cell))
                        elif isinstance(cell, str):
                            found.append((f"{locker}:{table}", cell.encode("utf-8")))
        finally:
            connection.close()
    return found


def leaks(haystacks: list[tuple[str, bytes]], needles: tuple[str, ...]) -> list[str]:
    """`where: needle` for every needle found in any haystack (JSON-escaped forms included)."""
    found = []
    for needle in needles:
        forms = {needle, json.dumps(needle)[1:-1], needle.replace("<", "\\u003c")}
        for where, data in haystacks:
            if any(form.encode("utf-8") in data for form in forms):
                found.append(f"{where}: {needle}")
    return found


def pdf_text(path: Path) -> str:
    """The text a reader of the PDF sees (pypdfium2, as the dossier tests read it)."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(path))
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()

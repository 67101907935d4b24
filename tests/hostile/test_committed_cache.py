"""A pull request that commits an edited `.govgate/` (git add -f) to talk a fresh clone into a
pass: the validated-pack cache with every severity set to `info`, a planted "waivers
validated" mark for a schema-invalid waiver, a planted "config validated" mark for
`risk: HIGH`. The clone's verdict must be exactly the one `--no-cache` gives.

The author plants each entry twice: named and signed as govgate names them with the author's
own cache key (all an author can do), and named by the plain sha256 govgate used before it
authenticated its caches. The clone runs under another user's key, as CI does.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from govgate import __version__
from govgate.core.config import _schema_salt
from govgate.core.evidence import canonical_json
from govgate.core.loader.cache import _PURPOSE as PACK_PURPOSE
from govgate.support.cachekey import CacheKey, load_key
from govgate.support.schemas import load_schema

from conftest import REPO_ROOT, CliResult, git

#: A schema-invalid waiver (a two-letter justification) for a rule the example fails three
#: times; trusted unvalidated, it would waive those findings.
BAD_WAIVER = """\
  - id: WVR-PLANTED
    rule: BIAS-3.intersectional-impact-ratio
    justification: ok
    approver: Head of Compliance
    approved: "2026-11-15"
    expires: "2027-11-14"
"""


def _pack_files() -> list[Path]:
    return sorted((REPO_ROOT / "policies").rglob("*.yaml"))


def plant_pack_severities(repo: Path, author: CacheKey) -> None:
    """Every cached pack file's rules set to severity `info`, re-signed with the author's key
    and also written under the name (and in the form) of the unauthenticated cache."""
    folder = repo / ".govgate" / "cache" / "packs"
    policy = canonical_json(load_schema("policy"))
    salt = hashlib.sha256(f"govgate {__version__}\0".encode() + policy).digest()
    edited = 0
    for file in _pack_files():
        content = file.read_bytes()
        entry = folder / f"{author.sign(PACK_PURPOSE, 'name', salt, content)}.json"
        old = folder / f"{hashlib.sha256(salt + content).hexdigest()}.json"
        if entry.is_file():
            stored = json.loads(entry.read_bytes().partition(b"\n")[2])
        elif old.is_file():  # as govgate wrote them before it authenticated its caches
            stored = json.loads(old.read_bytes())
        else:
            continue
        for rule in stored["data"].get("rules") or []:
            rule["severity"] = "info"
        body = json.dumps(stored).encode()
        entry.write_bytes(author.sign(PACK_PURPOSE, entry.name, body).encode() + b"\n" + body)
        old.write_bytes(body)
        edited += 1
    assert edited >= 7  # one per pack the example enables, at least


def _plant_mark(repo: Path, author: CacheKey, kind: str, content: bytes) -> None:
    folder = repo / ".govgate" / "cache" / kind
    folder.mkdir(parents=True, exist_ok=True)
    salt = _schema_salt(kind)
    (folder / author.sign("govgate validation mark", salt, content)).touch()
    (folder / hashlib.sha256(salt + content).hexdigest()).touch()


def plant_waiver_mark(repo: Path, author: CacheKey) -> None:
    waivers = repo / "governance" / "waivers.yaml"
    waivers.write_text(waivers.read_text(encoding="utf-8") + BAD_WAIVER, encoding="utf-8")
    _plant_mark(repo, author, "waivers", waivers.read_bytes())


def plant_config_mark(repo: Path, author: CacheKey) -> None:
    config = repo / "govgate.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("  risk: high\n", "  risk: HIGH\n"),
        encoding="utf-8",
    )
    _plant_mark(repo, author, "config", config.read_bytes())


CASES: dict[str, tuple[Callable[[Path, CacheKey], None], list[list[str]]]] = {
    "committed-pack-cache": (plant_pack_severities, [[], ["--policies-from", "main"]]),
    "committed-waivers-mark": (plant_waiver_mark, [[], ["--base", "HEAD~1"]]),
    "committed-config-mark": (plant_config_mark, [[]]),
}


def verdict(result: CliResult, clone: Path) -> dict[str, Any]:
    """What decides a gate: the exit code, and the gate, counts and every finding's status (or
    the error, for a run that stops)."""
    if result.exit_code == 2 or not result.stdout.strip():
        return {"exit": result.exit_code, "error": result.stderr.replace(str(clone), "<clone>")}
    document = json.loads(result.stdout)
    return {
        "exit": result.exit_code,
        "gate": document["gate"],
        "summary": document["summary"],
        "findings": sorted(
            (f["rule"], f.get("item") or "", f["status"]) for f in document["findings"]
        ),
    }


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(CASES))
def test_a_committed_govgate_folder_never_decides_a_fresh_clone(
    case: str,
    example_repo: Callable[[str], Path],
    run_cli: Callable[..., CliResult],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    reliability: Any,
) -> None:
    plant, variants = CASES[case]
    repo = example_repo("loan-approval")
    monkeypatch.setenv("GOVGATE_CACHE_DIR", str(tmp_path / "author-cache"))
    assert run_cli("check", repo).exit_code == 1  # the failing example; leaves .govgate/
    assert run_cli("check", repo).exit_code == 1  # warm: validation marks written too
    author = load_key()
    assert author is not None
    plant(repo, author)
    git(repo, "add", "-A")
    git(repo, "add", "-f", ".govgate")
    git(repo, "commit", "-q", "-m", "planted cache")
    clones = [tmp_path / "ci-warm", tmp_path / "ci-cold"]
    for clone in clones:
        git(tmp_path, "clone", "-q", str(repo), str(clone))
        assert (clone / ".govgate" / "cache").is_dir()  # the planted folder came along

    monkeypatch.setenv("GOVGATE_CACHE_DIR", str(tmp_path / "ci-cache"))  # another user's key
    observed = []
    for extra in variants:
        warm = run_cli("check", clones[0], "--format", "json", *extra)
        cold = run_cli("check", clones[1], "--no-cache", "--format", "json", *extra)
        assert "Traceback" not in warm.output + cold.output
        assert verdict(warm, clones[0]) == verdict(cold, clones[1]), " ".join(extra)
        shown = verdict(warm, clones[0])
        what = (
            f"exit {shown['exit']}, gate {shown['gate']}, {shown['summary']['fail']} fail"
            if "gate" in shown
            else f"exit {shown['exit']}: {shown['error'].strip().splitlines()[-1][:160]}"
        )
        observed.append(f"{' '.join(['check', *extra])}: {what}")
    reliability.record(
        case,
        "fresh clone under another user's cache key: planted entries never read; "
        + "; ".join(observed)
        + ", the same as --no-cache",
    )

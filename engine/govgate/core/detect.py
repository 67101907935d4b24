"""What `govgate init` can tell about a repository before anyone describes it.

govgate.yaml's facts decide which rules apply; a fact left out is not "no" (a rule it decides
is unverified). So init writes the facts it can see, each with a comment saying what it saw:
whether the code calls a language model (through the `llm_usage` collector, when installed),
who owns the repository (CODEOWNERS' owner of govgate.yaml), and which jurisdictions the
chosen packs are about.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govgate.core.collector import CollectContext, RepoFiles
from govgate.core.plugins import Registry
from govgate.support.git.codeowners import CODEOWNERS_FILES, parse_codeowners, rule_for

#: Packs that are about the people of a jurisdiction, and its code in `system.jurisdictions`.
PACK_JURISDICTIONS = {"gdpr": "EU", "eu-ai-act": "EU", "ccpa": "US-CA"}
LLM_COLLECTOR = "llm_usage"
LLM_KIND = "llm.usage"


@dataclass(frozen=True)
class Seen:
    """A fact init writes, and what it saw to say so (for the comment beside it)."""

    value: Any
    saw: str


def detect_llm(root: Path, registry: Registry) -> Seen | None:
    """system.llm as the code shows it; None when no collector can tell (not installed, or
    it failed: init then leaves the fact for the user)."""
    cls = registry.collectors.get(LLM_COLLECTOR)
    if cls is None or not root.is_dir():
        return None
    kinds = [kind for kind in cls.kinds if kind.name == LLM_KIND]
    ctx = CollectContext(
        root=root,
        collector=cls.name,
        collector_version=cls.version,
        kinds=kinds,
        settings={},
        system={},
        files=RepoFiles(root),
    )
    try:
        items = [item for item in cls().collect(ctx) if item.kind == LLM_KIND]
    except Exception:  # a broken plugin must not break init: the fact stays undeclared
        return None
    if not items or not isinstance(items[0].data, dict):
        return None
    data = items[0].data
    first = data.get("first")
    if isinstance(first, dict):
        more = int(data.get("count") or 1) - 1
        also = f" and {more} more sign{'s' if more != 1 else ''}" if more > 0 else ""
        return Seen(True, f"{first.get('where')} {first.get('what')}{also}")
    scanned = data.get("files_scanned", 0)
    if not scanned:
        return None  # nothing to look at yet: no sign is no evidence of "no"
    return Seen(
        False,
        f"no LLM library, prompt file or model name in {scanned} files; set true if the "
        "system talks to people or generates text",
    )


def detect_owner(root: Path) -> Seen | None:
    """system.owner: the CODEOWNERS owner of govgate.yaml, as written there."""
    for name in CODEOWNERS_FILES:
        path = root / name
        if not path.is_file() or path.is_symlink():
            continue
        try:
            rules, _problems = parse_codeowners(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            return None
        rule = rule_for("govgate.yaml", rules)
        if rule is None or not (rule.written or rule.owners):
            return None
        owners = rule.written or rule.owners
        return Seen(" ".join(owners), f"the owner of govgate.yaml in {name}:{rule.line}")
    return None


def jurisdictions_for(packs: list[str]) -> Seen | None:
    """system.jurisdictions the chosen packs are about (GDPR and the AI Act: EU; CCPA: US-CA)."""
    found = [code for pack in packs if (code := PACK_JURISDICTIONS.get(pack))]
    codes = list(dict.fromkeys(found))
    if not codes:
        return None
    which = ", ".join(f"{p} → {PACK_JURISDICTIONS[p]}" for p in packs if p in PACK_JURISDICTIONS)
    return Seen(codes, f"from the packs chosen ({which}); add every other one the system serves")

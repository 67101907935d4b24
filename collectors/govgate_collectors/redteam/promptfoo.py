"""promptfoo results JSON (`promptfoo eval -o results.json`, `promptfoo redteam run`).

Each result is one test case against one provider; a file holds one scan per provider. A
result failed (the attack got through, or an assertion did not hold) when `success` is false,
an error included: an attempt that errored shows no resistance. A test maps to OWASP LLM
risks by its own metadata (`owasp_llm`), else by its red-team `pluginId` through the mapping
table, plus LLM01 when its `strategyId` wraps the attack in an injection or jailbreak.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from govgate_collectors.redteam.mapping import (
    PROMPTFOO_INJECTION_STRATEGIES,
    PROMPTFOO_PLUGINS,
    explicit_categories,
    lookup,
)
from govgate_collectors.redteam.scan import (
    Scan,
    ScanProblem,
    as_object,
    lookup_override,
    parse_moment,
)


def is_promptfoo(document: object) -> bool:
    return (
        isinstance(document, dict)
        and isinstance(document.get("results"), dict)
        and isinstance(as_object(document["results"]).get("results"), list)
        and ("evalId" in document or "version" in document["results"])
    )


def _provider(result: Mapping[str, Any]) -> tuple[str, str]:
    """(label, id) of the provider a result ran against."""
    provider = result.get("provider")
    if isinstance(provider, dict):
        ident = str(provider.get("id") or "")
        return str(provider.get("label") or ident), ident
    if isinstance(provider, str):
        return provider, provider
    return "", ""


def _categories(
    metadata: Mapping[str, Any], overrides: Mapping[str, Sequence[str]], scan: Scan
) -> tuple[str, tuple[str, ...]]:
    """(test name, categories) of one result's test case."""
    tagged, unknown = explicit_categories(metadata)
    scan.unknown_tags.extend(unknown)
    plugin = metadata.get("pluginId")
    strategy = metadata.get("strategyId")
    name = str(plugin) if plugin else "(eval assertions)"
    if strategy and strategy != "basic":
        name = f"{name} / {strategy}"
    if tagged and (plugin or strategy):
        return name, tuple(tagged)
    if tagged:
        # A team's own eval test that only tags a risk is no attack on it: it counts for a risk
        # only when govgate.yaml's mapping says so (by the test's name), and every run says so.
        override = lookup_override(overrides, name, ":")
        if override is not None:
            scan.locally_mapped.add(name)
            return name, tuple(override)
        claimed = scan.self_tagged.setdefault(name, [])
        claimed.extend(c for c in tagged if c not in claimed)
        return name, ()
    found: list[str] = []
    if plugin:
        override = lookup_override(overrides, str(plugin), ":")
        if override is not None:
            scan.locally_mapped.add(name)
        found.extend(
            override if override is not None else lookup(PROMPTFOO_PLUGINS, str(plugin), ":")
        )
    if strategy and str(strategy).split(":")[0] in PROMPTFOO_INJECTION_STRATEGIES:
        found.append("LLM01")
    return name, tuple(dict.fromkeys(found))


def _check_stats(body: Mapping[str, Any]) -> str | None:
    """Where promptfoo's own totals (`results.stats`) disagree with the results they sum up."""
    stats = as_object(body.get("stats"))
    if not stats:
        return None
    passed = sum(1 for r in body["results"] if r["success"])
    failed = len(body["results"]) - passed
    claimed = (
        stats.get("successes"),
        int(stats.get("failures") or 0) + int(stats.get("errors") or 0),
    )
    if claimed == (passed, failed):
        return None
    return (
        f"results.stats counts {claimed[0]} successes and {claimed[1]} failures or errors, "
        f"the results {passed} and {failed}: the file was edited or is incomplete"
    )


def scans_from_results(
    document: Mapping[str, Any], overrides: Mapping[str, Sequence[str]]
) -> list[Scan]:
    """One scan per provider in a promptfoo results file."""
    body = document["results"]
    metadata = as_object(document.get("metadata"))
    version = metadata.get("promptfooVersion")
    stamp = body.get("timestamp") or metadata.get("evaluationCreatedAt")
    moment = parse_moment(stamp)
    scans: dict[str, Scan] = {}
    for index, result in enumerate(body["results"]):
        if not isinstance(result, dict) or not isinstance(result.get("success"), bool):
            raise ScanProblem(f"results.results[{index}] has no success true/false")
        label, ident = _provider(result)
        if ident not in scans:
            scan = Scan(tool="promptfoo", tool_version=version, model=label or None)
            scan.model_version = ident or None
            scan.date = moment
            if moment is None:
                scan.problems.append(
                    "no results.timestamp: the file does not say when the eval ran"
                    if not stamp
                    else f"results.timestamp {stamp!r} is no timestamp"
                )
            scans[ident] = scan
        scan = scans[ident]
        case = as_object(result.get("testCase"))
        merged: dict[str, Any] = {}
        for source in (case.get("metadata"), result.get("metadata")):
            if isinstance(source, dict):
                merged.update(source)
        name, categories = _categories(merged, overrides, scan)
        tally = scan.tally(name, categories)
        tally.attempts += 1
        if not result["success"]:
            tally.failures += 1
    if not scans:
        raise ScanProblem("a promptfoo results file with no results")
    disagreement = _check_stats(body)
    for scan in scans.values():
        scan.problems.extend([disagreement] if disagreement else [])
    return list(scans.values())

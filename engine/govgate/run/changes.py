"""A change under review, judged against a trusted ref (`check --base REF --policies-from REF`).

`--base REF` says what the change touched (files since its merge base with REF, which packs,
parameters and waivers it edits, and through the traceability graph which rules, controls and
requirements those files feed) and evaluates the merge base in a temporary git worktree, so each
finding can say whether the change introduced it (`new`). `--policies-from REF` evaluates with
the packs, parameters and waivers as they are at REF, so a change cannot pass by weakening its
own policies. A waiver the change adds or edits is honoured only when its approver is a code
owner of the waiver file in CODEOWNERS at the trusted ref.

Git is driven through `govgate.support.git`, so nothing in the repository's config runs; the
worktree of a commit is filled with its files as stored (no checkout, so no filter or hook),
and every worktree made here is removed again, also when the run fails.
"""

from __future__ import annotations

import posixpath
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from govgate.core.collector import IGNORED_DIRS
from govgate.core.config import CONFIG_NAMES, DEFAULT_WAIVERS, Config, find_config, load_config
from govgate.core.findings import Finding
from govgate.support.errors import ConfigError, GovgateError, InputError, UsageError
from govgate.support.git import GitError, GitNotFound, GitTimeout, Repository
from govgate.support.git.codeowners import CODEOWNERS_FILES, parse_codeowners, rule_for
from govgate.support.git.history import changed_since
from govgate.support.git.materialize import add_worktree, remove_worktree

if TYPE_CHECKING:
    from govgate.core.plugins import Registry
    from govgate.core.policy import PolicySet
    from govgate.core.waivers import Waiver

#: Statuses that mean "something is wrong here" when comparing with the base. A waived finding
#: fails underneath, so a waiver removed by the change does not make its finding new. A skipped
#: rule was never judged and can fail the gate: one the change newly skips is new.
PROBLEM_STATUSES = ("fail", "error", "waived", "skipped")
#: govgate.yaml keys that are parameters of the policies (reported in `params_changed`).
PARAMETER_KEYS = ("fail_on", "waiver_max_days")


@contextmanager
def _git_errors() -> Iterator[None]:
    """git failing (or missing, or hanging) ends a change review as a usage error."""
    try:
        yield
    except GitError as exc:
        raise UsageError(str(exc)) from None


def open_repository(root: Path) -> Repository:
    """The repository holding `root`, or a usage error saying why there is none."""
    with _git_errors():
        try:
            repo = Repository.find(root)
        except (GitNotFound, GitTimeout):
            raise
        except GitError as exc:  # e.g. dubious ownership
            raise UsageError(f"{root}: git refused: {exc.line}") from None
    if repo is None:
        raise UsageError(
            f"{root}: not inside a git repository; --base and --policies-from compare "
            "git commits (run `git init` and commit first)"
        )
    return repo


def commit_of(repo: Repository, ref: str, option: str) -> str:
    """The commit REF names, or a usage error saying how to fetch it."""
    if not ref or ref.startswith("-"):
        raise UsageError(f"{option} {ref!r}: not a git ref")
    with _git_errors():
        commit = repo.commit_of(ref)
        if commit is None:
            raise UsageError(
                f"{option} {ref}: not known in this clone; fetch it first: {repo.fetch_hint(ref)}"
                " (in CI, check out with the full history: fetch-depth: 0)"
            )
    return commit


def changed_files(repo: Repository, since: str) -> list[str]:
    """Files that differ between `since` and the working tree (untracked ones too).

    Paths are relative to the target folder; renames count as a deletion plus an addition
    (both paths matter to what a change touches); govgate's own state is left out.
    """
    with _git_errors():
        found = changed_since(repo, since)
    return sorted(p for p in found if p.split("/", 1)[0] not in IGNORED_DIRS)


def _yaml_mapping(content: bytes | None, shown: str) -> dict[str, Any]:
    """The top-level mapping of a YAML file read from git; {} when absent or unreadable."""
    from govgate.support.yamlload import load_yaml_text

    if content is None:
        return {}
    try:
        data = load_yaml_text(content.decode("utf-8"), shown).data
    except (InputError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def _looks_like_path(entry: str) -> bool:
    """A `packs:` entry that names a folder or file in the repository (as the loader reads it)."""
    return "/" in entry or entry.startswith(".") or entry.endswith((".yaml", ".yml"))


def _flat_parameters(config: dict[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    params = config.get("params")
    if isinstance(params, dict):
        for pack, values in params.items():
            if isinstance(values, dict):
                for name, value in values.items():
                    flat[f"{pack}.{name}"] = value
            else:
                flat[str(pack)] = values
    for key in PARAMETER_KEYS:
        if key in config:
            flat[key] = config[key]
    return flat


def _flat_system(value: Any, key: str = "system") -> dict[str, Any]:
    """`system:` as dotted keys (`system.risk`, `system.labels.profiling`); a list is one key."""
    if not isinstance(value, dict):
        return {key: value}
    flat: dict[str, Any] = {}
    for name, inner in value.items():
        flat.update(_flat_system(inner, f"{key}.{name}"))
    return flat


def _system_changes(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """The keys of `system:` the change edits, with their values before and after.

    A lowered risk tier or a removed label makes rules not applicable, so the edit is part of
    what a reviewer must see. Values are redacted like the result's own `system`: it is free
    text (an owner's e-mail). A key absent on one side has no `before` or `after`.
    """
    from govgate.support.pii import redact_json

    old = _flat_system(before["system"]) if "system" in before else {}
    new = _flat_system(after["system"]) if "system" in after else {}
    edits = []
    for key in sorted(set(old) | set(new)):
        if key in old and key in new and old[key] == new[key]:
            continue
        entry: dict[str, Any] = {"key": redact_json(key)}
        if key in old:
            entry["before"] = redact_json(old[key])
        if key in new:
            entry["after"] = redact_json(new[key])
        edits.append(entry)
    return edits


def _waiver_path(config: dict[str, Any]) -> str:
    value = config.get("waivers", DEFAULT_WAIVERS)
    return posixpath.normpath(value) if isinstance(value, str) else DEFAULT_WAIVERS


@dataclass
class ChangeReview:
    """One `--base` / `--policies-from` run's view of the change; a context manager."""

    repo: Repository
    base: str | None
    base_commit: str | None
    policies_from: str | None
    policies_commit: str | None
    merge_base: str | None
    #: The commit the change started from: the merge base with the ref, else the ref itself.
    since: str
    files: list[str]
    config_before: dict[str, Any]
    note: str | None = None
    #: REF's govgate.yaml (rooted in a worktree of REF) with --policies-from, else None.
    policy_config: Config | None = None
    base_evaluation: dict[str, Any] | None = None
    _stack: ExitStack = field(default_factory=ExitStack)
    _trees: dict[str, Path] = field(default_factory=dict)

    @classmethod
    def open(cls, root: Path, base: str | None, policies_from: str | None) -> ChangeReview:
        repo = open_repository(root)
        base_commit = commit_of(repo, base, "--base") if base is not None else None
        policies_commit = (
            commit_of(repo, policies_from, "--policies-from") if policies_from is not None else None
        )
        against = base_commit or policies_commit
        if against is None:
            raise UsageError("a change review needs --base REF or --policies-from REF")
        with _git_errors():
            merge_base = repo.merge_base(against)
        note = None
        if merge_base is None:
            ref = base or policies_from
            note = (
                f"the merge base of {ref} and HEAD is not in this shallow clone; compared with "
                f"{ref} itself (fetch the full history: fetch-depth: 0 in CI)"
                if repo.shallow
                else f"{ref} and HEAD have no common ancestor; compared with {ref} itself"
            )
        since = merge_base or against
        config_before: dict[str, Any] = {}
        for name in CONFIG_NAMES:
            with _git_errors():
                content = repo.read(since, name)
            if content is not None:
                config_before = _yaml_mapping(content, f"{name} at {since[:12]}")
                break
        review = cls(
            repo=repo,
            base=base,
            base_commit=base_commit,
            policies_from=policies_from,
            policies_commit=policies_commit,
            merge_base=merge_base,
            since=since,
            files=changed_files(repo, since),
            config_before=config_before,
            note=note,
        )
        try:
            if policies_commit is not None:
                review.policy_config = review._load_policy_config(policies_commit)
        except BaseException:
            review.close()
            raise
        return review

    # -- lifetime ------------------------------------------------------------------------
    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> ChangeReview:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def checkout(self, commit: str) -> Path:
        """The target folder inside a temporary worktree of `commit` (made once, removed later).

        Its files are the commit's blobs as stored (`add_worktree`): nothing the repository's
        attributes or config name (smudge filters, a post-checkout hook) runs to make them.
        """
        if commit not in self._trees:
            holder = Path(tempfile.mkdtemp(prefix="govgate-ref-"))
            tree = holder / "tree"
            self._stack.callback(shutil.rmtree, holder, ignore_errors=True)
            self._stack.callback(remove_worktree, self.repo, tree)
            with _git_errors():
                add_worktree(self.repo, commit, tree)
            self._trees[commit] = tree
        return self._trees[commit] / self.repo.prefix

    # -- --policies-from -----------------------------------------------------------------
    @property
    def trusted_ref(self) -> str:
        return str(self.policies_from or self.base)

    @property
    def trusted_commit(self) -> str:
        return str(self.policies_commit or self.base_commit)

    def _load_policy_config(self, commit: str) -> Config:
        tree = self.checkout(commit)
        if find_config(tree) is None:
            where = self.repo.prefix.rstrip("/") or "the repository root"
            raise UsageError(
                f"--policies-from {self.policies_from}: it has no govgate.yaml in {where}; "
                "name a ref whose policies apply to this change"
            )
        try:
            return load_config(tree)
        except GovgateError as exc:
            raise self.relabel(exc) from None

    def relabel(self, error: GovgateError) -> UsageError:
        """An error in REF's config or packs, saying that it comes from REF."""
        lines = str(error).splitlines() or [type(error).__name__]
        return UsageError("\n".join(f"--policies-from {self.policies_from}: {x}" for x in lines))

    # -- waivers and CODEOWNERS ----------------------------------------------------------
    def check_waiver_approvals(self, waivers: list[Waiver], waiver_file: str) -> None:
        """Refuse each waiver the change added or edited whose approver owns no waiver file.

        A waiver is unchanged when an identical entry was in the waiver file where the change
        started; any other is the change's own, and it is honoured only if its `approver` is
        one of the owners CODEOWNERS (at the trusted ref, never the change's copy) gives the
        waiver file. With --policies-from the waivers are REF's own, so nothing is checked.
        """
        if self.policies_from is not None or not waivers:
            return
        with _git_errors():
            content = self.repo.read(self.since, _waiver_path(self.config_before))
        before = _yaml_mapping(content, "waivers").get("waivers")
        earlier = [w for w in before if isinstance(w, dict)] if isinstance(before, list) else []
        added = [w for w in waivers if w.raw not in earlier]
        if not added:
            return
        owners, shown, source = self._waiver_file_owners(posixpath.normpath(waiver_file))
        path = posixpath.normpath(waiver_file)
        for waiver in added:
            if waiver.refused:
                continue  # already not honoured; its first reason stands
            if waiver.approver.strip().casefold() in {o.casefold() for o in owners}:
                continue
            if source is None:
                why = (
                    f"{self.trusted_ref} has no CODEOWNERS file "
                    f"({', '.join(CODEOWNERS_FILES)}), so no approver can be checked"
                )
            else:
                listed = ", ".join(shown) if shown else "none"
                why = (
                    f"its approver {waiver.approver!r} is not a code owner of {path} in "
                    f"{source} at {self.trusted_ref} (owners: {listed})"
                )
            waiver.refused = (
                f"added or changed by this change, and {why}; name a code owner of the "
                "waiver file as approver and have them review the change"
            )

    def _waiver_file_owners(self, waiver_file: str) -> tuple[list[str], list[str], str | None]:
        """(owners as written, owners as shown, CODEOWNERS path) of the waiver file."""
        for candidate in CODEOWNERS_FILES:
            with _git_errors():
                content = self.repo.read(self.trusted_commit, candidate, from_top=True)
            if content is None:
                continue
            rules, _ = parse_codeowners(content.decode("utf-8-sig", "replace"))
            rule = rule_for(self.repo.prefix + waiver_file, rules)  # the last match wins
            if rule is None:
                return [], [], candidate
            return list(rule.written), list(rule.owners), candidate
        return [], [], None

    # -- new findings --------------------------------------------------------------------
    def mark_new(
        self,
        findings: list[Finding],
        evaluate: Callable[[Path], list[Finding]],
        read_from: Callable[[Finding], list[str]] | None = None,
    ) -> None:
        """Set `new` on every finding by checking the commit the change started from.

        A finding that fails (or errors, or is waived) now and did so there with the same
        message is not new; one that fails now and passed there, or did not exist there, is.
        So is one that failed there too but says something else now: its message shows the
        value found, so the change made an old problem different, possibly much worse (fail
        closed: any change counts; evidence digests are not compared, since one file feeds
        many items and an edit to one would renew them all). When the base cannot be
        evaluated every problem counts as new: the change is judged on all of it.

        `read_from` gives the repository files a finding's evidence was read from. If one of
        them is not in the base tree (a report CI writes, an ignored log, a file the change
        adds), the base never judged that evidence: its failure there was for want of the
        file, so the finding counts as new (govgate fails closed).
        """
        if self.base is None:
            return
        failing: dict[str, str] = {}
        tree: Path | None = None
        status, message = "evaluated", None
        try:
            tree = self.checkout(self.since)
            if find_config(tree) is None:
                status = "no_config"
                message = f"no govgate.yaml at {self.since[:12]}: every problem counts as new"
            else:
                failing = {f.key: f.message for f in evaluate(tree) if f.status in PROBLEM_STATUSES}
        except (ConfigError, GovgateError) as exc:
            status = "failed"
            first = (str(exc).splitlines() or [type(exc).__name__])[0]
            message = f"the base could not be checked ({first}): every problem counts as new"
        self.base_evaluation = {"commit": self.since, "status": status, "message": message}
        for finding in findings:
            if finding.status not in PROBLEM_STATUSES:
                finding.new = False
            elif failing.get(finding.key) != finding.message:
                finding.new = True  # absent at the base, or failing there differently
            else:
                unseen = (
                    tree is not None
                    and read_from is not None
                    and any(not (tree / path).exists() for path in read_from(finding))
                )
                finding.new = unseen

    # -- the result's `changes` section ---------------------------------------------------
    def section(
        self,
        config: Config,
        policy_set: PolicySet,
        policy_root: Path,
        registry: Registry,
        result: dict[str, Any],
        *,
        new_only: bool = False,
    ) -> dict[str, Any]:
        after = config.raw
        before = self.config_before
        flat_before, flat_after = _flat_parameters(before), _flat_parameters(after)
        params = sorted(
            key
            for key in set(flat_before) | set(flat_after)
            if key not in flat_before
            or key not in flat_after
            or flat_before[key] != flat_after[key]
        )
        waiver_paths = {_waiver_path(before), posixpath.normpath(config.waivers)}
        findings = result.get("findings") or []
        return {
            "base": self.base or self.policies_from,
            "base_commit": self.base_commit or self.policies_commit,
            "merge_base": self.merge_base,
            "note": self.note,
            "policies_from": self.policies_from,
            "policies_commit": self.policies_commit,
            "files": self.files,
            "packs_changed": self._packs_changed(config, policy_set, policy_root),
            "params_changed": params or False,
            "waivers_changed": len(waiver_paths) > 1 or any(p in self.files for p in waiver_paths),
            "config_changed": sorted(
                str(k) for k in set(before) | set(after) if before.get(k) != after.get(k)
            ),
            "system_changed": _system_changes(before, after) or False,
            "new_findings": sum(1 for f in findings if f.get("new")),
            "new_only": new_only,
            "base_evaluation": self.base_evaluation,
            "impact": impact_of(self.files, policy_set, policy_root, registry, config, result),
        }

    def _packs_changed(self, config: Config, policy_set: PolicySet, policy_root: Path) -> list[str]:
        """Packs the change adds, removes or edits (repository packs whose files it touches)."""
        names: dict[str, str] = {}
        for pack in policy_set.packs.values():
            if not pack.builtin:
                try:
                    rel = Path(pack.folder).resolve().relative_to(policy_root.resolve())
                except ValueError:
                    continue
                names[rel.as_posix()] = pack.name
        raw_before = self.config_before.get("packs")
        before = (
            [p for p in raw_before if isinstance(p, str)] if isinstance(raw_before, list) else []
        )
        after = list(config.packs)
        changed: list[str] = []
        for entry in dict.fromkeys([*before, *after]):
            folder = posixpath.normpath(entry) if _looks_like_path(entry) else None
            shown = names.get(folder, entry) if folder is not None else entry
            added_or_removed = (entry in before) != (entry in after)
            edited = folder is not None and any(
                f == folder or f.startswith(folder + "/") for f in self.files
            )
            if added_or_removed or edited:
                changed.append(shown)
        return list(dict.fromkeys(changed))


def impact_of(
    files: Iterable[str],
    policy_set: PolicySet,
    policy_root: Path,
    registry: Registry,
    config: Config,
    result: dict[str, Any],
) -> dict[str, list[str]]:
    """Rules, controls and requirements the changed files feed (the traceability graph).

    Repository packs are located relative to `policy_root`, where they were loaded from (a
    worktree of REF with --policies-from): the change's edit of a pack file touches the rules
    that pack has there.
    """
    from govgate.analysis.graph import full_graph, impacted_by  # networkx: only on --base runs

    graph = full_graph(policy_set, registry, config, result)
    folders: dict[str, str] = {}
    for pack in policy_set.packs.values():
        if not pack.builtin:
            try:
                rel = Path(pack.folder).resolve().relative_to(policy_root.resolve())
            except ValueError:  # a pack outside the repository cannot be changed by a commit
                continue
            folders[pack.name] = rel.as_posix()
    graph.graph["pack_folders"] = folders
    impact = impacted_by(list(files), graph)
    return {
        "rules": impact.rule_ids,
        "controls": [str(c["name"]) for c in impact.controls],
        "requirements": [str(r["name"]) for r in impact.requirements],
    }

"""Which evidence kinds read a repository file: the kinds' globs, indexed for fast matching."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from govgate.analysis.graph.model import normal_path
from govgate.core.globs import is_glob, spelled_regex, spelling_key

if TYPE_CHECKING:
    import networkx as nx


class KindPatterns:
    """The globs of the kinds some rule reads, compiled once and indexed by their first folder,
    so matching a changed file tries a few regexes rather than one per kind (the lru cache of
    `glob_to_regex` is far smaller than a large policy set's patterns).

    A kind no rule reads is left out: it is not collected, so its files affect nothing.
    """

    def __init__(self, graph: nx.DiGraph) -> None:
        #: literal path (or folder) -> [(kind node, matched through the kind's own paths)]
        self.literal: dict[str, list[tuple[str, bool]]] = {}
        #: first folder of the pattern ("" when it starts with a wildcard) -> [(regex, kind, own)]
        self.by_head: dict[str, list[tuple[re.Pattern[str], str, bool]]] = {}
        for node, attrs in graph.nodes(data=True):
            if attrs.get("type") != "kind" or not any(
                graph.nodes[p].get("type") == "rule" for p in graph.predecessors(node)
            ):
                continue
            own = [(str(p), True) for p in attrs.get("paths") or []]
            others = [(str(p), False) for p in attrs.get("inputs") or []]
            for raw, via_paths in own + others:
                pattern = normal_path(raw)
                if not pattern:
                    continue
                # Keyed and matched in every spelling of a file name, as RepoFiles finds files.
                if not is_glob(pattern):
                    self.literal.setdefault(spelling_key(pattern), []).append((node, via_paths))
                    continue
                head, slash, _ = pattern.partition("/")
                key = head if slash and not is_glob(head) else ""
                try:
                    regex = spelled_regex(pattern)
                except ValueError:  # a pattern RepoFiles refuses too: it reads nothing
                    continue
                self.by_head.setdefault(key, []).append((regex, node, via_paths))

    def kinds_for(self, path: str) -> dict[str, bool]:
        """Kind nodes reading PATH -> True when the kind's own `paths` match (not only the
        collector's inputs)."""
        found: dict[str, bool] = {}
        parts = path.split("/")
        # A literal pattern is the file itself or a folder above it.
        for end in range(1, len(parts) + 1):
            for node, via_paths in self.literal.get(spelling_key("/".join(parts[:end])), ()):
                found[node] = found.get(node, False) or via_paths
        candidates = list(self.by_head.get("", ()))
        if len(parts) > 1:
            candidates += self.by_head.get(parts[0], ())
        for regex, node, via_paths in candidates:
            if found.get(node) is not True and regex.match(path):
                found[node] = found.get(node, False) or via_paths
        return found

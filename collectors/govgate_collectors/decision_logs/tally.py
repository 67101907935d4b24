"""Personal data found in decision logs: counts per type and the first masked samples."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from govgate.support.pii import PII_TYPES, scan_text
from govgate_collectors.decision_logs.record import MAX_PII_SAMPLES


@dataclass
class PiiTally:
    """PII counts and masked samples; nothing else of a match is kept."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PII_TYPES, 0))
    samples: list[str] = field(default_factory=list)
    #: Samples kept (the lake scan keeps every distinct one of a line, then picks by position).
    limit: int = MAX_PII_SAMPLES

    def scan(self, text: str) -> None:
        for match in scan_text(text):
            self.counts[match.kind] += 1
            if len(self.samples) < self.limit and match.masked not in self.samples:
                self.samples.append(match.masked)

    def scan_json(self, value: Any) -> None:
        if isinstance(value, str):
            self.scan(value)
        elif isinstance(value, bool) or value is None:
            return
        elif isinstance(value, int):
            if abs(value) >= 10_000_000:  # long enough to be a phone or card number
                self.scan(str(value))
        elif isinstance(value, list):
            for item in value:
                self.scan_json(item)
        elif isinstance(value, dict):
            for key, item in value.items():
                self.scan(str(key))
                self.scan_json(item)

    def add(self, other: PiiTally) -> None:
        for kind, count in other.counts.items():
            self.counts[kind] += count
        for sample in other.samples:
            if len(self.samples) < MAX_PII_SAMPLES and sample not in self.samples:
                self.samples.append(sample)

    def to_json(self) -> dict[str, Any]:
        return {"counts": dict(self.counts), "samples": list(self.samples)}

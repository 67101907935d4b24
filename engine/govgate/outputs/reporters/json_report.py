"""`--format json`: the result document itself (schema `govgate/result/v1`)."""

from __future__ import annotations

import json
from typing import Any

from govgate.core.reporter import Reporter


class JsonReporter(Reporter):
    name = "json"
    filename = "govgate.json"
    media_type = "application/json"
    description = "the govgate/result/v1 document (govgate schema result)"

    def render(self, result: dict[str, Any]) -> str:
        return json.dumps(result, indent=2, ensure_ascii=False, sort_keys=False) + "\n"

"""The versioned table that maps red-team probes, plugins and tasks to OWASP LLM Top 10 risks.

Each tool names its tests its own way (a garak probe `promptinject.HijackHateHumans`, a
promptfoo plugin `pii:direct`, an Inspect task `cyberseceval_2`); a rule asks about LLM01.
The table below says which names count for which risk. It is versioned: every `genai.redteam`
item records `mapping_version`, so a finding names the table it was judged by, and a change to
the table is a new version (and a new collector version, so cached evidence is recomputed).
docs/collectors/redteam.md prints the same table; a test keeps the two in step.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

#: The table's version: OWASP Top 10 for LLM Applications 2025, govgate's mapping revision 1.
MAPPING_VERSION = "owasp-llm-2025.1"

#: The ten risks of the OWASP Top 10 for LLM Applications 2025, in our own short words.
OWASP_LLM_2025: Mapping[str, str] = {
    "LLM01": "Prompt injection",
    "LLM02": "Sensitive information disclosure",
    "LLM03": "Supply chain",
    "LLM04": "Data and model poisoning",
    "LLM05": "Improper output handling",
    "LLM06": "Excessive agency",
    "LLM07": "System prompt leakage",
    "LLM08": "Vector and embedding weaknesses",
    "LLM09": "Misinformation",
    "LLM10": "Unbounded consumption",
}

#: garak probes, by module (`dan`) or module.class (`xss.MarkdownImageExfil`): the longest
#: matching name wins. garak's own `owasp:llm..` tags use the 2023 numbering, so they are not
#: read; content-safety probes (toxicity, slurs) map to no OWASP LLM risk and are listed as
#: unmapped in the evidence.
GARAK: Mapping[str, tuple[str, ...]] = {
    "promptinject": ("LLM01",),
    "latentinjection": ("LLM01",),
    "dan": ("LLM01",),
    "encoding": ("LLM01",),
    "smuggling": ("LLM01",),
    "goodside": ("LLM01",),
    "grandma": ("LLM01",),
    "phrasing": ("LLM01",),
    "doctor": ("LLM01",),
    "badchars": ("LLM01",),
    "suffix": ("LLM01",),
    "tap": ("LLM01",),
    "gcg": ("LLM01",),
    "fitd": ("LLM01",),
    "visual_jailbreak": ("LLM01",),
    "web_injection": ("LLM02", "LLM05"),
    "web_injection.MarkdownXSS": ("LLM05",),
    "web_injection.TaskXSS": ("LLM05",),
    "leakreplay": ("LLM02",),
    "divergence": ("LLM02",),
    "apikey": ("LLM02",),
    "xss": ("LLM02", "LLM05"),
    "ansiescape": ("LLM05",),
    "propile": ("LLM02",),
    "goat": ("LLM01",),
    "dra": ("LLM01",),
    "sata": ("LLM01",),
    "adaptive_attacks": ("LLM01",),
    "agent_breaker": ("LLM06",),
    "fileformats": ("LLM03",),
    "exploitation": ("LLM05",),
    "sysprompt_extraction": ("LLM07",),
    "packagehallucination": ("LLM09", "LLM03"),
    "snowball": ("LLM09",),
    "misleading": ("LLM09",),
}

#: promptfoo red-team plugins (`pluginId`), by full id or by the part before the first colon.
PROMPTFOO_PLUGINS: Mapping[str, tuple[str, ...]] = {
    "indirect-prompt-injection": ("LLM01",),
    "hijacking": ("LLM01",),
    "system-prompt-override": ("LLM01",),
    "ascii-smuggling": ("LLM01",),
    "pii": ("LLM02",),
    "cross-session-leak": ("LLM02",),
    "harmful:privacy": ("LLM02",),
    "sql-injection": ("LLM05",),
    "shell-injection": ("LLM05",),
    "ssrf": ("LLM05",),
    "excessive-agency": ("LLM06",),
    "rbac": ("LLM06",),
    "bola": ("LLM06",),
    "bfla": ("LLM06",),
    "tool-discovery": ("LLM06",),
    "debug-access": ("LLM06",),
    "prompt-extraction": ("LLM07",),
    "rag-poisoning": ("LLM08",),
    "rag-document-exfiltration": ("LLM08",),
    "hallucination": ("LLM09",),
    "overreliance": ("LLM09",),
    "harmful:misinformation-disinformation": ("LLM09",),
    "divergent-repetition": ("LLM10",),
    "reasoning-dos": ("LLM10",),
}

#: promptfoo strategies that wrap a plugin's attack in an injection or jailbreak: the attempt
#: also tests LLM01. `basic` (the plugin's own prompt) adds nothing.
PROMPTFOO_INJECTION_STRATEGIES = (
    "prompt-injection",
    "jailbreak",
    "crescendo",
    "goat",
    "base64",
    "rot13",
    "leetspeak",
    "hex",
    "homoglyph",
    "citation",
    "best-of-n",
    "multilingual",
)

#: Inspect tasks (`eval.task`, without the `inspect_evals/` prefix), by name.
INSPECT_TASKS: Mapping[str, tuple[str, ...]] = {
    "cyberseceval_2": ("LLM01",),
    "cyse2_prompt_injection": ("LLM01",),
    "strong_reject": ("LLM01",),
    "agentdojo": ("LLM01", "LLM06"),
    "agentharm": ("LLM06",),
    "truthfulqa": ("LLM09",),
    "simpleqa": ("LLM09",),
    "sycophancy": ("LLM09",),
}

#: The per-test key a team can set in its own tests (promptfoo test metadata, Inspect task or
#: sample metadata) to say which risks a test is about; it wins over the table.
EXPLICIT_KEYS = ("owasp_llm", "owasp")

_CATEGORY = re.compile(r"^\s*(?:owasp:)?(?:llm)\s*:?\s*0?(\d{1,2})\s*$", re.IGNORECASE)


def normalise_category(value: str) -> str | None:
    """`LLM01`, `llm01`, `owasp:llm:01`, `LLM1` -> `LLM01`; anything else -> None."""
    match = _CATEGORY.match(value)
    if not match or not 1 <= int(match.group(1)) <= 10:
        return None
    return f"LLM{int(match.group(1)):02d}"


def explicit_categories(metadata: object) -> tuple[list[str], list[str]]:
    """(categories, unknown values) a test's own metadata names under `owasp_llm` / `owasp`."""
    if not isinstance(metadata, Mapping):
        return [], []
    found: list[str] = []
    unknown: list[str] = []
    for key in EXPLICIT_KEYS:
        value = metadata.get(key)
        if value is None:
            continue
        values = value if isinstance(value, list) else [value]
        for item in values:
            category = normalise_category(str(item))
            if category is None:
                unknown.append(str(item))
            elif category not in found:
                found.append(category)
    return found, unknown


def lookup(table: Mapping[str, Sequence[str]], name: str, separator: str) -> tuple[str, ...]:
    """The categories of `name` in `table`: the full name, else its ever shorter prefixes."""
    parts = name.split(separator)
    for end in range(len(parts), 0, -1):
        key = separator.join(parts[:end])
        if key in table:
            return tuple(table[key])
    return ()

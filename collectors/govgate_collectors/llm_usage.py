"""The `llm_usage` collector: signs in a repository that the system calls a language model.

Whether a system "talks to people or generates text" (govgate.yaml's `system.llm`) decides
whether the prompt-injection, transparency and generated-content rules apply; left undeclared,
they would silently not apply. So this collector looks for the signs in the code itself:

- imports of LLM client and framework libraries (openai, anthropic, google.generativeai and
  google.genai, mistralai, cohere, langchain*, llama_index, litellm, vllm, ollama, ...; in
  JavaScript and TypeScript their npm packages), and transformers used for text generation;
- those libraries as declared dependencies (requirements*.txt, pyproject.toml, package.json);
- model names in configuration files and source strings (gpt-4o, claude-3-5-sonnet,
  gemini-1.5-pro, llama-3...);
- prompt files (anything under a `prompts/` folder, `*.prompt`, `*.prompty`, and Jinja
  templates whose path says "prompt");
- in the evidence other collectors read (llm_declared.py): a model declared in the LLM
  configuration, a language model in a CycloneDX ML-BOM, LLM red-team output. These are read
  whatever `paths` says: narrowing it cannot hide them.

One `llm.usage` item lists each sign with its file and line (at most MAX_SIGNALS), so a rule
can say "LLM use detected in FILE:LINE". Reading is cheap: files over `max_file_bytes` and
binary files are counted and skipped, a file is matched line by line only when one of the
names occurs in it at all, and the output is cached like every collector's until the files
change. govgate.yaml itself is never scanned: it is the declaration, not the system.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from pathlib import PurePosixPath
from typing import Any

from govgate.api import CollectContext, Collector, CollectorError, Evidence, EvidenceKind, hookimpl
from govgate_collectors.llm_declared import declared_signals, watched_paths

DEFAULT_PATHS = (
    "**/*.py",
    "**/*.ipynb",
    "**/*.js",
    "**/*.mjs",
    "**/*.cjs",
    "**/*.ts",
    "**/*.tsx",
    "**/*.yaml",
    "**/*.yml",
    "**/*.json",
    "**/*.toml",
    "**/*.ini",
    "**/*.cfg",
    "**/*.env",
    "**/.env",
    "**/requirements*.txt",
    "**/prompts/**",
    "**/*.prompt",
    "**/*.prompty",
    "**/*.jinja",
    "**/*.jinja2",
    "**/*.j2",
)
#: The declaration is not the system: a model named in a comment of govgate.yaml is no sign.
NEVER_SCANNED = ("govgate.yaml", "govgate.yml")
DEFAULT_MAX_FILE_BYTES = 1_000_000
_GLOBS = {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
#: govgate.yaml `collectors.llm_usage`: without it the documented settings were refused.
SETTINGS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "paths": _GLOBS,
        "ignore": _GLOBS,
        "max_file_bytes": {"type": "integer", "minimum": 1},
    },
}
MAX_SIGNALS = 50
SIGNAL_TYPES = (
    "import",
    "dependency",
    "model_name",
    "prompt_file",
    "llm_config",
    "ml_bom",
    "redteam_output",
)
#: by_type must carry these; the later types may be absent from data written before them
#: (pack test cases among it).
REQUIRED_TYPES = ("import", "dependency", "model_name", "prompt_file")

#: Python modules of LLM clients and frameworks (the top-level name, or a dotted prefix).
PYTHON_MODULES = (
    "openai",
    "anthropic",
    "google.generativeai",
    "google.genai",
    "vertexai.generative_models",
    "mistralai",
    "cohere",
    r"langchain\w*",
    "langgraph",
    "llama_index",
    "litellm",
    "vllm",
    "ollama",
    "groq",
    "together",
    "dspy",
    "instructor",
    "semantic_kernel",
    "autogen",
    "crewai",
    "haystack",
    "guidance",
)
#: npm packages of LLM clients and frameworks.
NPM_PACKAGES = (
    "openai",
    r"@anthropic-ai/sdk",
    r"@google/generative-ai",
    r"@google/genai",
    r"@mistralai/mistralai",
    "cohere-ai",
    "langchain",
    r"@langchain/[\w-]+",
    "llamaindex",
    "ollama",
    r"@ai-sdk/[\w-]+",
)
#: Distribution names as dependencies declare them.
DISTRIBUTIONS = (
    "openai",
    "anthropic",
    "google-generativeai",
    "google-genai",
    "mistralai",
    "cohere",
    r"langchain[\w-]*",
    "langgraph",
    r"llama[-_]index[\w-]*",
    "litellm",
    "vllm",
    "ollama",
    "groq",
    "dspy-ai",
    "dspy",
    "instructor",
    "semantic-kernel",
    "crewai",
    r"haystack-ai",
    r"@anthropic-ai/sdk",
    r"@google/generative-ai",
    r"@google/genai",
    r"@mistralai/mistralai",
    "cohere-ai",
    "llamaindex",
    r"@langchain/[\w-]+",
    r"@ai-sdk/[\w-]+",
)
MODEL_NAME = re.compile(
    r"(?<![\w.-])("
    r"gpt-4o(?:-mini)?|gpt-4(?:\.1|\.5)?(?:-turbo|-mini|-nano)?|gpt-3\.5-turbo|gpt-5(?:-mini|-nano)?"
    r"|text-davinci-\d{3}|chatgpt-4o-latest"
    r"|claude-(?:instant|2|3|3-5|3-7|4|sonnet|opus|haiku)[\w.-]*"
    r"|gemini-(?:1\.0|1\.5|2\.0|2\.5|pro|flash|ultra)[\w.-]*"
    r"|llama-?[234](?:\.\d+)?(?:[:-][\w.-]+)?"
    r"|mistral-(?:large|medium|small|tiny)[\w.-]*|mixtral-[\w.-]+"
    r"|command-r(?:-plus)?[\w.-]*"
    r")(?![\w.])",
    re.IGNORECASE,
)
_PY_IMPORT = re.compile(r"^\s*(?:from|import)\s+((?:" + "|".join(PYTHON_MODULES) + r"))(?![\w])")
#: `from google import genai`: the Google SDKs are imported from their namespace package.
_PY_FROM_GOOGLE = re.compile(r"^\s*from\s+google\s+import\s+(genai|generativeai)\b")
_JS_IMPORT = re.compile(
    r"""(?:\bfrom\s+|\brequire\(\s*|\bimport\(\s*|^\s*import\s+)["']("""
    + "|".join(NPM_PACKAGES)
    + r""")(?:/[^"']*)?["']"""
)
_TEXT_GENERATION = re.compile(
    r"\b(AutoModelForCausalLM|AutoModelForSeq2SeqLM)\b"
    r"|pipeline\(\s*(?:task\s*=\s*)?[\"'](text-generation|text2text-generation|conversational)"
)
_DEPENDENCY = re.compile(
    r"""(?:^|["'\s\[,{])(""" + "|".join(DISTRIBUTIONS) + r""")(?=["'\s]*(?:[<>=~!^:;,\]\[]|$))"""
)
#: A file that contains none of these (lower-cased) is not read line by line.
KEYWORDS = (
    "openai", "anthropic", "generativeai", "genai", "mistral", "mixtral", "cohere",
    "langchain", "langgraph", "llama", "litellm", "vllm", "ollama", "groq", "together",
    "dspy", "instructor", "semantic_kernel", "semantic-kernel", "autogen", "crewai",
    "haystack", "guidance", "gpt-", "claude-", "gemini-", "command-r", "davinci",
    "causallm", "seq2seqlm", "text-generation", "text2text", "conversational", "ai-sdk",
    "vertexai",
)  # fmt: skip
_SOURCE_SUFFIXES = (".py", ".ipynb", ".js", ".mjs", ".cjs", ".ts", ".tsx")
_CONFIG_SUFFIXES = (".yaml", ".yml", ".json", ".toml", ".ini", ".cfg", ".env")
_DEPENDENCY_FILES = ("pyproject.toml", "package.json", "setup.cfg", "Pipfile")

_COUNT = {"type": "integer", "minimum": 0}
_SIGNAL = {
    "type": "object",
    "required": ["path", "line", "where", "type", "what"],
    "additionalProperties": False,
    "properties": {
        "path": {"type": "string"},
        "line": {"type": ["integer", "null"], "minimum": 1},
        "where": {"type": "string", "description": "path:line (the path alone for a file)"},
        "type": {"enum": list(SIGNAL_TYPES)},
        "what": {"type": "string"},
    },
}
LLM_USAGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["files_scanned", "files_skipped", "count", "by_type", "signals", "first"],
    "properties": {
        "files_scanned": _COUNT,
        "files_skipped": _COUNT,
        "count": _COUNT,
        "by_type": {
            "type": "object",
            "required": list(REQUIRED_TYPES),
            "additionalProperties": False,
            "properties": {name: _COUNT for name in SIGNAL_TYPES},
        },
        "signals": {"type": "array", "maxItems": MAX_SIGNALS, "items": _SIGNAL},
        "first": {"oneOf": [{"type": "null"}, _SIGNAL]},
    },
}
#: Which sign names the system best when several are found: code first.
_PRIORITY = {name: index for index, name in enumerate(SIGNAL_TYPES)}


def signals_in_text(rel: str, text: str) -> list[dict[str, Any]]:
    """Every sign of LLM use in one file's text (rel is its repository path)."""
    name = PurePosixPath(rel).name
    lowered = text.lower()
    if not any(keyword in lowered for keyword in KEYWORDS):
        return []
    source = rel.endswith(_SOURCE_SUFFIXES)
    config = rel.endswith(_CONFIG_SUFFIXES)
    dependencies = name in _DEPENDENCY_FILES or (
        name.startswith("requirements") and name.endswith(".txt")
    )
    found: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        what = None
        kind = None
        if source and (match := _PY_FROM_GOOGLE.match(line)):
            kind, what = "import", f"imports google.{match.group(1)}"
        elif source and (match := _PY_IMPORT.match(line) or _JS_IMPORT.search(line)):
            kind, what = "import", f"imports {match.group(1)}"
        elif source and (match := _TEXT_GENERATION.search(line)):
            kind, what = "import", "uses transformers for text generation"
        elif dependencies and (match := _DEPENDENCY.search(line)):
            kind, what = "dependency", f"depends on {match.group(1)}"
        elif (source or config) and (match := MODEL_NAME.search(line)):
            kind, what = "model_name", f"names the model {match.group(1)}"
        if kind is not None and what is not None:
            found.append(
                {
                    "path": rel,
                    "line": number,
                    "where": f"{rel}:{number}",
                    "type": kind,
                    "what": what,
                }
            )
    return found


def is_prompt_file(rel: str) -> bool:
    """A prompt file: under a `prompts/` folder, `*.prompt(y)`, or a prompt Jinja template."""
    path = PurePosixPath(rel)
    if "prompts" in path.parts[:-1] or path.suffix in (".prompt", ".prompty"):
        return True
    return path.suffix in (".jinja", ".jinja2", ".j2") and "prompt" in rel.lower()


class LlmUsageCollector(Collector):
    name = "llm_usage"
    # 1.1.0: the LLM configuration, ML-BOMs and red-team output are signs too.
    version = "1.1.0"
    description = "imports of LLM libraries, prompt files and model names in the repository"
    kinds = (
        EvidenceKind(
            "llm.usage",
            "llm_usage",
            LLM_USAGE_SCHEMA,
            description="signs that the system calls a language model, each with file and line",
        ),
    )

    settings_schema = SETTINGS_SCHEMA

    def input_patterns(self, ctx: CollectContext) -> list[str]:
        # The cache key is the scanned files' names, sizes and modification times (state_key),
        # not their content: hashing every source file of a large repository on each commit
        # would cost the hook more than everything else it does.
        return []

    def impact_patterns(self, ctx: CollectContext) -> list[str]:
        return [*self._settings(ctx)[0], *watched_paths(ctx)]

    def state_key(self, ctx: CollectContext) -> str | None:
        paths, ignore, limit = self._settings(ctx)
        paths = [*paths, *watched_paths(ctx)]
        digest = hashlib.sha256(repr((paths, ignore, limit)).encode())
        for rel in ctx.glob(paths):
            try:
                info = (ctx.root / rel).lstat()
            except OSError:
                digest.update(f"{rel}\0gone\n".encode())
                continue
            digest.update(f"{rel}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())
        return "files:" + digest.hexdigest()

    @staticmethod
    def _settings(ctx: CollectContext) -> tuple[list[str], list[str], int]:
        """(paths, ignore, max_file_bytes) from govgate.yaml `collectors.llm_usage`."""
        settings = ctx.settings
        lists = []
        for key, default in (("paths", list(DEFAULT_PATHS)), ("ignore", [])):
            value = settings.get(key, default)
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise CollectorError(f"govgate.yaml collectors.llm_usage.{key}: a list of globs")
            lists.append(list(value))
        limit = settings.get("max_file_bytes", DEFAULT_MAX_FILE_BYTES)
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            raise CollectorError(
                "govgate.yaml collectors.llm_usage.max_file_bytes: a positive number of bytes"
            )
        return lists[0], lists[1], limit

    def collect(self, ctx: CollectContext) -> Iterable[Evidence]:
        paths, ignore, limit = self._settings(ctx)
        ignored = set(ctx.glob(ignore)) if ignore else set()
        signals: list[dict[str, Any]] = []
        scanned = skipped = 0
        read: list[str] = []
        left_out = 0
        for rel, path in ctx.iter_files(paths):
            if rel in NEVER_SCANNED:
                continue
            if rel in ignored:
                left_out += 1
                continue
            if is_prompt_file(rel):
                signals.append(
                    {
                        "path": rel,
                        "line": None,
                        "where": rel,
                        "type": "prompt_file",
                        "what": "is a prompt file",
                    }
                )
            try:
                size = path.stat().st_size
                if size > limit:
                    skipped += 1
                    continue
                raw = path.read_bytes()
            except OSError as exc:
                ctx.problem(rel, None, f"cannot read: {exc.strerror}")
                skipped += 1
                continue
            if b"\x00" in raw[:8192]:
                skipped += 1
                continue
            scanned += 1
            read.append(rel)
            signals.extend(signals_in_text(rel, raw.decode("utf-8", errors="replace")))
        declared, declared_read = declared_signals(ctx, ignored | set(NEVER_SCANNED), MODEL_NAME)
        signals.extend(declared)
        read.extend(r for r in declared_read if r not in read)
        if ignore:
            # The files of the LLM configuration, BOMs and red-team output left out as well.
            left_out += len((set(ctx.glob(watched_paths(ctx))) - set(ctx.glob(paths))) & ignored)
            # Said on every run: `ignore: ["**"]` would otherwise hide every sign of a language
            # model, and with it the check that system.llm: false is true, without a word.
            ctx.problem(
                None,
                None,
                f"govgate.yaml collectors.llm_usage.ignore ({', '.join(ignore)}) leaves "
                f"{left_out} file(s) unread: LLM use in them is not looked for",
            )
        signals.sort(key=lambda s: (_PRIORITY[s["type"]], s["path"], s["line"] or 0))
        by_type = {name: sum(1 for s in signals if s["type"] == name) for name in SIGNAL_TYPES}
        first = signals[0] if signals else None
        # Located at the first sign, so a finding about it names the file and line.
        yield ctx.evidence(
            "llm.usage",
            subject="the repository's code, configuration and prompts",
            path=first["path"] if first else None,
            line=first["line"] if first else None,
            data={
                "files_scanned": scanned,
                "files_skipped": skipped,
                "count": len(signals),
                "by_type": by_type,
                "signals": signals[:MAX_SIGNALS],
                "first": first,
            },
        ).with_files(read)


@hookimpl
def govgate_collectors() -> Sequence[type[Collector]]:
    return [LlmUsageCollector]

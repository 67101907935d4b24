"""Signs of LLM use in the evidence the other collectors read, for the `llm_usage` collector:
a model declared in the LLM configuration, a language model in a CycloneDX ML-BOM, and the
output of LLM red-team tools. A repository that keeps these has a language model, whatever
its code shows and whatever govgate.yaml's `system.llm` says."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from govgate.api import CollectContext
from govgate.support.errors import InputError
from govgate.support.yamlload import LoadedYaml, load_yaml_text
from govgate_collectors.aibom import DEFAULT_PATHS as BOM_PATHS
from govgate_collectors.aibom import MAX_BOM_BYTES
from govgate_collectors.redteam.collector import DEFAULT_PATHS as REDTEAM_PATHS

#: The evidence kind that holds the LLM configuration (policies/evidence-kinds.yaml), and
#: where it is read when no rule of this run moves it.
LLM_CONFIG_KIND = "llm_config"
DEFAULT_LLM_CONFIG = ("config/llm.yaml",)
MAX_CONFIG_BYTES = 1_000_000
#: A model card task that makes a model a language model (Hugging Face task names and the like).
GENERATIVE_TASK = (
    r"text[-_ ]?generation|text2text|conversational|chat|question[-_ ]?answering|summari[sz]"
    r"|translation|completion|instruct|language[-_ ]?model|\bllm\b|image[-_ ]text[-_ ]to[-_ ]text"
)
LANGUAGE_ARCHITECTURE = r"gpt|llama|mistral|mixtral|gemma|falcon|claude|gemini|phi-?\d|qwen|decoder"


def llm_config_paths(ctx: CollectContext) -> list[str]:
    """Where the LLM configuration is: the default, and wherever this run's kinds put it."""
    paths = list(DEFAULT_LLM_CONFIG)
    for kind in ctx.run_kinds:
        if kind.name == LLM_CONFIG_KIND:
            paths.extend(p for p in kind.paths if p not in paths)
    return paths


def watched_paths(ctx: CollectContext) -> list[str]:
    """Every glob this module reads (for the collector's cache key and --base impact)."""
    return [*llm_config_paths(ctx), *BOM_PATHS, *REDTEAM_PATHS]


def _signal(rel: str, line: int | None, kind: str, what: str) -> dict[str, Any]:
    where = f"{rel}:{line}" if line is not None else rel
    return {"path": rel, "line": line, "where": where, "type": kind, "what": what}


def _read_config(rel: str, text: str) -> LoadedYaml:
    if rel.endswith(".toml"):
        import tomllib  # only for a TOML configuration: the commit hook need not load it

        try:
            return LoadedYaml(tomllib.loads(text), rel)
        except tomllib.TOMLDecodeError as exc:
            raise InputError(rel, getattr(exc, "lineno", None), f"invalid TOML: {exc}") from None
    return load_yaml_text(text, rel)  # YAML 1.2 reads JSON as well


#: What a team writes in the LLM configuration of a system without a language model (init
#: writes the file before `system.llm` is declared): no model named.
NO_MODEL = frozenset({"", "none", "n/a", "na", "-", "null", "not applicable", "no model", "tbd"})


def _names_a_model(value: object) -> bool:
    return isinstance(value, str | int | float) and str(value).strip().casefold() not in NO_MODEL


def declared_model(loaded: LoadedYaml) -> tuple[str, int | None] | None:
    """The model an LLM configuration names (`model: NAME` or `model: {name|id|version}`)."""
    data = loaded.data
    model = data.get("model") if isinstance(data, dict) else None
    if isinstance(model, str) and _names_a_model(model):
        return model.strip(), loaded.line_of("/model")
    if isinstance(model, dict):
        for key in ("name", "id", "version"):
            value = model.get(key)
            if _names_a_model(value):
                return str(value).strip(), loaded.line_of(f"/model/{key}")
    return None


def config_signals(ctx: CollectContext, skip: set[str], read: list[str]) -> list[dict[str, Any]]:
    """A model declared in the LLM configuration; an unreadable one is a sign too (it is the
    system's LLM settings, and the model it names cannot be ruled out)."""
    found = []
    for rel, path in ctx.iter_files(llm_config_paths(ctx)):
        if rel in skip:
            continue
        try:
            if path.stat().st_size > MAX_CONFIG_BYTES:
                raise InputError(rel, None, f"larger than {MAX_CONFIG_BYTES} bytes; not read")
            text = path.read_bytes().decode("utf-8-sig")
            loaded = _read_config(rel, text)
        except (OSError, UnicodeDecodeError, InputError) as exc:
            reason = exc.message if isinstance(exc, InputError) else str(exc)
            what = f"is the LLM configuration, unreadable ({reason.splitlines()[0][:120]})"
            found.append(_signal(rel, getattr(exc, "line", None), "llm_config", what))
            continue
        read.append(rel)
        model = declared_model(loaded)
        if model is not None:
            name, line = model
            found.append(_signal(rel, line, "llm_config", f"declares the model {name}"))
    return found


def _components(document: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    listed = document.get("components")
    stack: list[Any] = list(reversed(listed)) if isinstance(listed, list) else []
    metadata = document.get("metadata")
    if isinstance(metadata, dict) and isinstance(metadata.get("component"), dict):
        stack.insert(0, metadata["component"])
    while stack:
        component = stack.pop()
        if isinstance(component, dict):
            yield component
            children = component.get("components")
            stack.extend(reversed(children) if isinstance(children, list) else [])


def is_language_model(component: Mapping[str, Any], model_name: re.Pattern[str]) -> bool:
    """A model component the BOM does not show to be something else: its name is an LLM's,
    its task generates language, its architecture is a language model's, or it states no task
    at all (nothing then says it is not one)."""
    if model_name.search(str(component.get("name") or "")):
        return True
    card = component.get("modelCard")
    parameters = card.get("modelParameters") if isinstance(card, dict) else None
    parameters = parameters if isinstance(parameters, dict) else {}
    architecture = " ".join(
        str(parameters.get(key) or "") for key in ("architectureFamily", "modelArchitecture")
    )
    # re caches compiled patterns: compiled on the first BOM, not on every run's import
    if re.search(LANGUAGE_ARCHITECTURE, architecture, re.IGNORECASE):
        return True
    task = parameters.get("task")
    if not isinstance(task, str) or not task.strip():
        return True
    return bool(re.search(GENERATIVE_TASK, task, re.IGNORECASE))


def _line_of_name(lines: list[str], name: str) -> int | None:
    pattern = re.compile(r'"name"\s*:\s*' + re.escape(json.dumps(name)))
    for number, line in enumerate(lines, start=1):
        if pattern.search(line):
            return number
    return None


def bom_signals(
    ctx: CollectContext, skip: set[str], read: list[str], model_name: re.Pattern[str]
) -> list[dict[str, Any]]:
    """Each language model a CycloneDX ML-BOM or an SPDX 3.0 document lists. A file where an
    AI BOM is looked for that cannot be read is a sign too: the model it lists cannot be ruled
    out (JSON that is neither format, or a BOM without a language model, is no sign)."""
    found = []
    for rel, path in ctx.iter_files(BOM_PATHS):
        if rel in skip:
            continue
        try:
            if path.stat().st_size > MAX_BOM_BYTES:
                raise ValueError(f"larger than {MAX_BOM_BYTES} bytes; not read")
            text = path.read_bytes().decode("utf-8-sig")
            document = json.loads(text)
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            what = f"is an AI bill of materials that cannot be read ({str(exc)[:120]})"
            found.append(_signal(rel, None, "ml_bom", what))
            continue
        if not isinstance(document, dict):
            continue
        if document.get("bomFormat") == "CycloneDX" and not isinstance(
            document.get("components", []), list
        ):
            # Its models cannot be listed, so none can be ruled out: as an unreadable BOM.
            what = "is an AI bill of materials that cannot be read (components is not a list)"
            found.append(_signal(rel, None, "ml_bom", what))
            continue
        if document.get("bomFormat") == "CycloneDX":
            names = [
                str(c.get("name") or "(unnamed)")
                for c in _components(document)
                if c.get("type") == "machine-learning-model" and is_language_model(c, model_name)
            ]
        elif "spdx.org/rdf/3" in str(document.get("@context", "")):
            names = spdx_language_models(document, model_name)
        else:
            continue
        read.append(rel)
        lines = text.splitlines()
        for name in names:
            line = _line_of_name(lines, name)
            found.append(_signal(rel, line, "ml_bom", f"lists the language model {name}"))
    return found


def spdx_language_models(document: Mapping[str, Any], model_name: re.Pattern[str]) -> list[str]:
    """The names of an SPDX 3.0 document's AI packages that are language models: named like
    one, typed, purposed or placed in a domain that says so, or saying none of these."""
    graph = document.get("@graph", document.get("elements"))
    names = []
    for element in graph if isinstance(graph, list) else []:
        if not isinstance(element, dict):
            continue
        kind = str(element.get("type", element.get("@type", ""))).rsplit("/", 1)[-1]
        if kind not in ("ai_AIPackage", "AIPackage"):
            continue
        name = str(element.get("name") or "(unnamed)")
        said = [
            element.get(key)
            for key in ("ai_typeOfModel", "software_primaryPurpose", "ai_domain")
            if element.get(key)
        ]
        text = " ".join(str(value) for value in said)
        if (
            model_name.search(name)
            or not said
            or re.search(GENERATIVE_TASK, text, re.IGNORECASE)
            or re.search(LANGUAGE_ARCHITECTURE, text, re.IGNORECASE)
            or re.search(r"natural[-_ ]language", text, re.IGNORECASE)
        ):
            names.append(name)
    return names


def _tool(rel: str) -> str:
    lowered = rel.lower()
    for tool, marks in (
        ("garak", ("garak", ".report.jsonl", ".hitlog.jsonl")),
        ("promptfoo", ("promptfoo",)),
        ("Inspect", ("inspect", ".eval")),
    ):
        if any(mark in lowered for mark in marks):
            return tool
    return "garak, promptfoo or Inspect"


def redteam_signals(ctx: CollectContext, skip: set[str]) -> list[dict[str, Any]]:
    """Every file where the red-team collector looks for LLM red-team scans: those tools attack
    language models, and the redteam collector reads every such file as a scan."""
    return [
        _signal(rel, None, "redteam_output", f"is LLM red-team output ({_tool(rel)})")
        for rel in ctx.glob(REDTEAM_PATHS)
        if rel not in skip
    ]


def declared_signals(
    ctx: CollectContext, skip: Iterable[str], model_name: re.Pattern[str]
) -> tuple[list[dict[str, Any]], list[str]]:
    """(signs, files read) from the LLM configuration, ML-BOMs and red-team output."""
    left_out = set(skip)
    read: list[str] = []
    signals = config_signals(ctx, left_out, read)
    signals += bom_signals(ctx, left_out, read, model_name)
    signals += redteam_signals(ctx, left_out)
    return signals, read

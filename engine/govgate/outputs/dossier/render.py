"""The dossier as HTML: the Jinja2 environment (sandboxed, autoescaped, our partials overridable
by name), the stylesheet, and rendering the sections' data."""

from __future__ import annotations

import mimetypes
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

from govgate.outputs.dossier.attachments import DossierAttachment, build_attachments
from govgate.outputs.dossier.context import build_context, short_digest
from govgate.outputs.dossier.guard import TemplateUrlGuard
from govgate.outputs.dossier.inputs import DossierInput
from govgate.support.errors import UsageError
from govgate.support.paths import links_leaving

if TYPE_CHECKING:
    from jinja2 import Environment
    from markupsafe import Markup


def template_root() -> Path:
    """The shipped template folder (`govgate.evidence_templates`)."""
    return Path(str(files("govgate.evidence_templates")))


def breakable_path(value: object) -> Markup:
    """`value` escaped, with a line-break opportunity after each `/`: a long path wraps
    between its segments, never letter by letter."""
    from markupsafe import Markup, escape

    return Markup(str(escape(value)).replace("/", "/<wbr>"))  # noqa: S704


def template_environment(guard: TemplateUrlGuard, templates: Path | None = None) -> Environment:
    """Jinja2 environment: partials from `templates` first (overrides by name), then ours.

    Autoescape is on for everything and the sandbox keeps a custom template from reaching
    Python internals; undefined names fail loudly rather than render as blanks.
    """
    from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    loaders = []
    if templates is not None:
        loaders.append(FileSystemLoader(str(templates)))
    loaders.append(FileSystemLoader(str(template_root() / "dossier")))
    env = SandboxedEnvironment(
        loader=ChoiceLoader(loaders),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["short"] = short_digest
    env.filters["path"] = breakable_path

    def asset(name: str) -> str:
        found = guard.find_asset(name)
        if found is None:
            raise UsageError(f"asset({name!r}): no such file in the template folder")
        media_type = mimetypes.guess_type(found.name)[0] or "application/octet-stream"
        return guard.data_url(found.read_bytes(), media_type)

    env.globals["asset"] = asset
    return env


def stylesheet(templates: Path | None) -> str:
    """The dossier CSS: `dossier.css` from the custom folder if it has one, else ours."""
    if templates is not None and (templates / "dossier.css").is_file():
        return (templates / "dossier.css").read_text(encoding="utf-8")
    return (template_root() / "dossier.css").read_text(encoding="utf-8")


def render_html(
    inp: DossierInput,
    *,
    mode: str = "pdf",
    templates: Path | None = None,
    guard: TemplateUrlGuard | None = None,
) -> tuple[str, tuple[DossierAttachment, DossierAttachment], TemplateUrlGuard]:
    """The dossier as HTML (for WeasyPrint when mode is "pdf", standalone when "html")."""
    from jinja2 import TemplateError
    from markupsafe import Markup

    if templates is not None and not templates.is_dir():
        raise UsageError(f"--templates {templates}: not a directory")
    if templates is not None:
        _refuse_links_leaving(templates)
    # The custom folder first: its assets override ours by name, as its partials do.
    guard = guard or TemplateUrlGuard(
        [*([templates] if templates is not None else []), template_root()]
    )
    attachments = build_attachments(inp)
    context = build_context(inp, attachments, mode=mode, guard=guard)
    # Our stylesheet is trusted template material, not repository content.
    context["stylesheet"] = Markup(stylesheet(templates))  # noqa: S704
    env = template_environment(guard, templates)
    try:
        html = env.get_template("dossier.html").render(context)
    except TemplateError as error:
        if templates is None:
            raise  # our own templates are broken: a bug, with its traceback
        raise UsageError(f"dossier template {_template_location(error)}{error}") from None
    return html, attachments, guard


def _refuse_links_leaving(templates: Path) -> None:
    """A custom template folder is read whole (partials by any name, dossier.css, assets): a
    symlink in it leading outside would put an outside file's content in the dossier."""
    leaving = links_leaving(templates)
    if leaving:
        link, target = leaving[0]
        more = f" (and {len(leaving) - 1} more)" if len(leaving) > 1 else ""
        raise UsageError(
            f"--templates {templates}: {link.relative_to(templates)} is a symlink to {target}, "
            f"outside the templates folder{more}; refused: copy the file into the folder instead"
        )


def _template_location(error: Exception) -> str:
    """`name:line: ` of the template where a Jinja2 error happened, or ''.

    Syntax errors carry it; runtime errors (an undefined name) only in their traceback, where
    Jinja2 puts the template's file and line in place of the compiled code's.
    """
    name = getattr(error, "name", None) or getattr(error, "filename", None)
    line = getattr(error, "lineno", None)
    if name and line:
        return f"{Path(str(name)).name}:{line}: "
    found = ""
    tb = error.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith((".html", ".svg", ".j2")):
            found = f"{Path(filename).name}:{tb.tb_lineno}: "
        tb = tb.tb_next
    return found

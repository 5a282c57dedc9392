"""MkDocs hook: the reference pages' tables, generated from the code at build time.

A page holds a marker (``<!-- generated: cli -->``, ``checks``, ``spec``) where the
table goes: the CLI from typer's commands, the check catalogue from the registry (each
check's parameters read from its code), the ``spec.toml`` tables from the spec's
dataclasses. A page can then never describe an option or key the code does not have.
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
import re
from typing import Any

MARKER = re.compile(r"<!-- generated: (\w+) -->")
PARAM = re.compile(r"params(?:\.get\(|\[)\s*[\"'](\w+)[\"']")


def _first_paragraph(doc: str | None) -> str:
    return " ".join((inspect.cleandoc(doc or "").split("\n\n")[0]).split())


def _shown(value: Any) -> Any:
    """A choice or default as typed on the command line (an enum's value)."""
    return getattr(value, "value", value)


def cli() -> str:
    """Every command and option of ``grader``, as Markdown tables."""
    import typer

    from grader.cli.main import app

    out: list[str] = []

    def walk(cmd: Any, path: str) -> None:
        if getattr(cmd, "commands", None):  # a group (typer vendors click: duck-typed)
            for name in sorted(cmd.commands):
                walk(cmd.commands[name], f"{path} {name}")
            return
        out.append(f"## `{path}`\n\n{_first_paragraph(cmd.help)}\n")
        rows = []
        for p in cmd.params:
            help_text = " ".join((getattr(p, "help", "") or "").split()).replace("|", "/")
            if p.param_type_name == "argument":
                rows.append(f"| `{p.name.upper()}` | argument | {help_text} |")
            elif p.param_type_name == "option" and not p.hidden and p.name not in (
                    "help", "install_completion", "show_completion"):
                names = ", ".join(f"`{o}`" for o in [*p.opts, *p.secondary_opts])
                default = ("" if p.default in (None, "", False, ()) else
                           f" (default: `{_shown(p.default)}`)")
                annotation = getattr(getattr(p, "type_descriptor", None), "annotation", None)
                choices = (list(annotation) if isinstance(annotation, type)
                           and issubclass(annotation, enum.Enum) else None)
                listed = (f" One of: {', '.join(f'`{_shown(c)}`' for c in choices)}."
                          if choices else "")
                rows.append(f"| {names} | option | {help_text}{listed}{default} |")
        if rows:
            out.append("| name | kind | what it does |\n|---|---|---|\n" + "\n".join(rows) + "\n")

    walk(typer.main.get_command(app), "grader")
    return "\n".join(out)


def checks() -> str:
    """The check registry as a Markdown table."""
    from grader.checks import checks as registry

    out = ["| check | needs a selected model | parameters it reads | what it measures |",
           "|---|---|---|---|"]
    for check in registry:
        source = "".join(inspect.getsource(f) for f in (check.run, check.expect)
                         if inspect.isfunction(f))
        params = sorted(set(PARAM.findall(source)))
        out.append(f"| `{check.name}` | {'yes' if check.needs_model else 'no'} | "
                   f"{', '.join(f'`{p}`' for p in params) or '–'} | "
                   f"{_first_paragraph(check.run.__doc__).replace('|', '/')} |")
    return "\n".join(out) + "\n"


def spec() -> str:
    """The spec's dataclasses, one table each."""
    from grader.assignment import spec as s

    out = []
    for cls in (s.Spec, s.Profile, s.Question, s.Selector, s.Answer, s.RubricItem, s.CheckSpec,
                s.Dataset, s.CourseFile, s.Denoising, s.LateRule):
        out.append(f"## `{cls.__name__}`\n\n{_first_paragraph(cls.__doc__)}\n")
        out.append("| field | type | default |\n|---|---|---|")
        for f in dataclasses.fields(cls):
            if f.default is not dataclasses.MISSING:
                default: Any = f"`{f.default!r}`"
            elif f.default_factory is not dataclasses.MISSING:
                default = "empty"
            else:
                default = "required"
            kind = str(f.type).replace("|", "or")
            out.append(f"| `{f.name}` | `{kind}` | {default} |")
        out.append("")
    return "\n".join(out)


GENERATORS = {"cli": cli, "checks": checks, "spec": spec}


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    """Put each generated table where its marker is."""
    return MARKER.sub(lambda m: GENERATORS[m.group(1)](), markdown)

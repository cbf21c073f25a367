"""Text forms shared by the reports: numbers, estimates, the document's numbers, and Markdown escaping.

Every user-supplied string (statements, titles, protocol values and notes, details, reasons,
the selection) reaches Markdown only through :func:`md_text` or :func:`md_code`, and HTML only
through ``html.escape`` (``harness.evidence.reports.html``), so none can add a heading, a table
row, a tag or a script.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from harness.evidence.reports.categories import Measured

__all__ = [
    "environment_text",
    "fmt",
    "fmt_measured",
    "fmt_reported",
    "md_cell",
    "md_code",
    "md_text",
    "plain_quote",
    "plan_text",
    "section_label",
    "selection_text",
    "shorten",
]


def fmt(x: Any) -> str:
    """A number (4 significant digits), a list of numbers, or ``—`` for none."""
    if x is None:
        return "—"
    if isinstance(x, bool | int):
        return str(x)
    if isinstance(x, float):
        return f"{x:.4g}"
    if isinstance(x, list | tuple):
        return "[" + ", ".join(fmt(v) for v in x) + "]"
    return str(x)


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.3g}%"


def fmt_measured(m: Measured) -> str:
    """``"21 [19, 24]"``, ``"62% [52%, 72%]"``, or ``—`` without an estimate."""
    if m.value is None:
        return "—"
    one = _pct if m.percent else fmt
    text = one(m.value)
    if m.ci is not None:
        text += f" [{one(m.ci[0])}, {one(m.ci[1])}]"
    return text


def fmt_reported(reported: Mapping[str, Any], *, limit: int = 4) -> str:
    """The document's numbers, ``"median = 49"``; at most ``limit`` of them (``"…, 3 more"``)."""
    parts = [f"{k} = {fmt(v)}" for k, v in reported.items()]
    if not parts:
        return "—"
    return ", ".join(parts[:limit]) + (f", {len(parts) - limit} more" if len(parts) > limit else "")


def plain_quote(text: str) -> str:
    """A quoted statement as a reader sees the document: Markdown emphasis and code marks and a
    table row's outer bars dropped, whitespace on one line."""
    text = " ".join(str(text).replace("**", "").replace("`", "").split())
    return text.strip("| ").strip() or text


def shorten(text: str, width: int) -> str:
    """``text`` on one line, cut at a word boundary to at most ``width`` characters (``…`` marks the cut)."""
    text = " ".join(str(text).split())
    if len(text) <= width:
        return text
    cut = text[: width - 1].rsplit(" ", 1)[0] if " " in text[: width - 1] else text[: width - 1]
    return cut + "…"


def section_label(section: tuple[str, ...], line: int | None) -> str:
    """``"2.1 Complete Model Rankings, line 34"``: the deepest heading above the quote and its line."""
    where = section[-1] if section else ""
    if line is None:
        return where or "—"
    return f"{where}, line {line}" if where else f"line {line}"


def plan_text(plan: Mapping[str, Any] | None) -> str:
    """``"420 (full 2000: powered)"``: runs needed for 80% power both ways, and the full tier's verdict."""
    from harness.evidence.planning import needed_text

    if not plan:
        return "—"
    if plan["n_needed"] is None:
        return str(plan["status"])
    return f"{needed_text(plan['n_needed'])} (full {fmt(plan['n_full'])}: {plan['status']})"


def selection_text(selection: Mapping[str, Any]) -> str:
    """One line naming a selection, e.g. ``claims -k 'plateau'`` (the shell form of the options)."""
    parts = [" ".join(selection["args"]) or "(no arguments)"]
    if selection.get("keyword"):
        parts.append(f"-k {selection['keyword']!r}")
    if selection.get("markexpr"):
        parts.append(f"-m {selection['markexpr']!r}")
    return " ".join(parts)


def environment_text(environment: Mapping[str, Mapping[str, str]]) -> tuple[bool, str]:
    """Whether the processes' Python, torch and harness versions differ, and one plain line naming them."""
    keys = ("python", "torch", "harness")
    distinct = {tuple(env.get(k, "?") for k in keys) for env in environment.values()}
    if len(distinct) == 1:
        python, torch, harness = next(iter(distinct))
        return False, f"Python {python}, torch {torch}, harness code {harness}"
    return True, "; ".join(
        f"{name}: Python {env.get('python', '?')}, torch {env.get('torch', '?')}, harness {env.get('harness', '?')}"
        for name, env in sorted(environment.items())
    )


# Characters that Markdown (CommonMark, GFM tables) gives a meaning anywhere in a line; a backslash makes
# each literal ('_' only at a word's edge: inside a word, as in rate_at_least, it emphasises nothing).
# A list marker (``-``, ``+``, ``1.``) means something only at the start: _LIST_START.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*\[\]<>#|~&]|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z]))")
_LIST_START = re.compile(r"^([-+]|\d+[.)])")


def md_text(value: Any, *, line_start: bool = False) -> str:
    """A user-supplied string as inline Markdown text: one line, every Markdown character escaped,
    so it can open no heading, table, list, code span or HTML tag wherever it is put;
    ``line_start``: it begins a line (or a quote), where a list marker would start a list, so
    that is escaped too."""
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(value).split()))
    if line_start:
        text = _LIST_START.sub(lambda m: m.group(1)[:-1] + "\\" + m.group(1)[-1], text)
    return text


def md_code(value: Any) -> str:
    """A user-supplied string as one inline code span: one line, fenced by more backticks than it
    holds in a row (CommonMark), padded when it starts or ends with a backtick."""
    text = " ".join(str(value).split())
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def md_cell(text: str) -> str:
    """Make ``text`` (already escaped by :func:`md_text` or :func:`md_code` where user-supplied) safe
    inside one Markdown table cell."""
    return re.sub(r"(?<!\\)\|", r"\\|", " ".join(str(text).split()))

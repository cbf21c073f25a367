"""``claims.html``: the verdict sheet as one self-contained page, with every claim's details.

One file that works offline: styles and script inline, every figure embedded as a ``data:`` URI,
and a Content-Security-Policy that lets the page load nothing else (no request ever leaves it).
A reader navigates by document and section (the sidebar), filters by verdict and by reason
category, and searches statements, ids, numbers and settings; a claim's row opens its details
(the whole quote, the document's numbers, our estimate, test, p-values, power, readings and
sweeps, protocol, figures). ``claims.html#<claim id>`` opens that claim. Every user-supplied
string is escaped with ``html.escape``; the script reads only the page's own attributes.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from harness.evidence.reports.categories import CATEGORIES, CATEGORY, DOCUMENT_UNITS, measured
from harness.evidence.reports.columns import COLUMNS, Column
from harness.evidence.reports.context import RunContext
from harness.evidence.reports.markdown import document_heading
from harness.evidence.reports.records import ClaimRecord
from harness.evidence.reports.sheet import DocumentSheet, Entry, Row
from harness.evidence.reports.text import (
    environment_text,
    fmt,
    fmt_measured,
    plain_quote,
    plan_text,
    selection_text,
    shorten,
)

__all__ = ["CSP", "claims_html"]

# Nothing but this page's own inline style, script and data: images may load.
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'; base-uri 'none'"

_VERDICTS = ("confirmed", "refuted", "inconclusive")

_STYLE = """
:root { --fg: #1d1d1f; --muted: #5f6368; --line: #d9dce1; --bg: #fafbfc; --head: 110px; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: #fff; }
header { position: sticky; top: 0; z-index: 2; background: #fff; border-bottom: 1px solid var(--line); padding: 10px 18px 8px; }
h1 { font-size: 20px; margin: 0 0 4px; }
.status { margin: 0 0 6px; color: var(--muted); }
.status b.partial { color: #b3261e; }
.controls { display: flex; flex-wrap: wrap; gap: 6px 14px; align-items: center; }
.controls input[type=search] { width: 320px; padding: 4px 8px; border: 1px solid var(--line); border-radius: 4px; font: inherit; }
.controls fieldset { border: 0; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: 4px; align-items: center; }
.controls legend { float: left; margin-right: 4px; color: var(--muted); }
.chip { display: inline-flex; align-items: center; gap: 3px; border: 1px solid var(--line); border-radius: 12px;
  padding: 1px 8px 1px 4px; cursor: pointer; white-space: nowrap; font-size: 13px; }
.chip input { margin: 0; }
.dot { display: inline-block; width: 10px; height: 10px; border-radius: 50%; }
#shown { color: var(--muted); font-size: 13px; }
.layout { display: flex; align-items: flex-start; }
nav { position: sticky; top: var(--head); width: 250px; flex: none; max-height: calc(100vh - var(--head)); overflow: auto;
  padding: 12px 10px 12px 18px; font-size: 13px; }
nav a { color: var(--fg); text-decoration: none; display: block; padding: 1px 0; }
nav a:hover { text-decoration: underline; }
nav .doc-link { font-weight: 600; margin-top: 8px; }
nav .sec-link { padding-left: 10px; color: var(--muted); }
nav .n { color: var(--muted); font-weight: 400; }
main { flex: 1; min-width: 0; padding: 6px 18px 40px 8px; overflow-wrap: anywhere; }
section.doc { margin-top: 14px; scroll-margin-top: calc(var(--head) + 8px); }
h2 { font-size: 18px; margin: 10px 0 2px; }
h3 { font-size: 15px; margin: 16px 0 4px; }
section.sec { scroll-margin-top: calc(var(--head) + 8px); }
.counts { display: flex; flex-wrap: wrap; gap: 4px 10px; margin: 4px 0; font-size: 13px; }
.figs { display: flex; flex-wrap: wrap; gap: 12px; margin: 8px 0; }
.figs figure { margin: 0; } .figs img { max-width: 520px; width: 100%; border: 1px solid var(--line); }
figcaption { font-size: 12px; color: var(--muted); }
table.sheet { border-collapse: collapse; width: 100%; font-size: 13px; table-layout: fixed; }
table.sheet th { text-align: left; background: var(--bg); border-bottom: 1px solid var(--line); padding: 4px 6px;
  font-weight: 600; }
table.sheet td { border-bottom: 1px solid #eef0f2; padding: 4px 6px; vertical-align: top; overflow-wrap: anywhere; }
tr.claim { cursor: pointer; scroll-margin-top: calc(var(--head) + 8px); } tr.claim:hover { background: #f3f6fb; }
tr.claim.open { background: #eef3fb; }
tr.variant td.says { padding-left: 22px; color: var(--muted); }
tr.claim.again .lead, tr.claim:not(.again) .again { display: none; }
td.where { color: var(--muted); font-size: 12px; }
th.where { width: 11%; } th.says { width: 31%; } th.number { width: 13%; } th.ours { width: 13%; }
th.verdict { width: 9%; } th.reason { width: 10%; } th.claim { width: 13%; }
td.claim a { font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; color: #1a56c4; text-decoration: none; }
.verdict { font-weight: 600; }
.verdict.confirmed { color: #2e7d32; } .verdict.refuted { color: #c62828; } .verdict.inconclusive { color: #8a6d00; }
.changed { color: #b3261e; font-weight: 600; }
.cat { display: inline-block; border-radius: 3px; padding: 0 5px; color: #fff; font-size: 12px; }
tr.details > td { background: #f7f9fc; padding: 10px 14px 14px; border-bottom: 2px solid var(--line); }
.details blockquote { margin: 0 0 8px; padding: 4px 10px; border-left: 3px solid #9aa5b1; background: #fff; }
.details .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(330px, 1fr)); gap: 8px 18px; }
.details dl { display: grid; grid-template-columns: max-content 1fr; gap: 1px 10px; margin: 0; }
.details dt { color: var(--muted); } .details dd { margin: 0; overflow-wrap: anywhere; }
.details h4 { margin: 10px 0 3px; font-size: 13px; }
.details table { border-collapse: collapse; font-size: 12px; }
.details table.wide { width: 100%; }
.details table th { white-space: nowrap; }  /* short headings: never broken inside a word */
.details table td, .details table th { border-bottom: 1px solid #e4e7eb; padding: 2px 6px; text-align: left;
  vertical-align: top; }
.details img { max-width: 100%; border: 1px solid var(--line); background: #fff; }
.muted { color: var(--muted); }
.notice { border: 1px solid #f0c36d; background: #fff8e1; padding: 6px 10px; border-radius: 4px; margin: 8px 0; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; }
"""

_SCRIPT = """
(function () {
  const header = document.querySelector('header');
  function fitHeader() { document.documentElement.style.setProperty('--head', header.offsetHeight + 'px'); }
  const rows = Array.from(document.querySelectorAll('tr.claim'));
  const search = document.getElementById('search');
  const shown = document.getElementById('shown');
  const boxes = Array.from(document.querySelectorAll('.controls input[type=checkbox]'));
  const texts = new Map();
  function text(row) {  // the row and its details, as searched (built once per row)
    if (!texts.has(row)) texts.set(row, (row.textContent + ' ' + row.nextElementSibling.textContent).toLowerCase());
    return texts.get(row);
  }
  function checked(name) { return new Set(boxes.filter(b => b.name === name && b.checked).map(b => b.value)); }
  function apply() {
    const q = search.value.trim().toLowerCase();
    const verdicts = checked('verdict'), categories = checked('category');
    let n = 0;
    for (const row of rows) {
      const ok = verdicts.has(row.dataset.verdict) && categories.has(row.dataset.category) &&
                 (!q || text(row).includes(q));
      row.hidden = !ok;
      if (!ok) { row.nextElementSibling.hidden = true; row.classList.remove('open'); }
      if (ok) n += 1;
    }
    for (const block of document.querySelectorAll('section.sec, section.doc')) {
      block.hidden = !block.querySelector('tr.claim:not([hidden])');
    }
    for (const link of document.querySelectorAll('nav a[data-target]')) {
      const target = document.getElementById(link.dataset.target);
      const mine = target.querySelectorAll('tr.claim');
      const seen = target.querySelectorAll('tr.claim:not([hidden])').length;
      link.hidden = seen === 0;
      link.querySelector('.n').textContent = '(' + (seen === mine.length ? seen : seen + ' of ' + mine.length) + ')';
    }
    let passage = null;  // a row repeating the passage of the row above it shows a ditto, else the full text
    for (const row of rows) {
      if (row.hidden) continue;
      row.classList.toggle('again', row.dataset.passage === passage);
      passage = row.dataset.passage;
    }
    shown.textContent = n + ' of ' + rows.length + ' claims shown';
    document.body.dataset.shown = String(n);
  }
  function toggle(row, open) {
    const details = row.nextElementSibling;
    details.hidden = open === undefined ? !details.hidden : !open;
    row.classList.toggle('open', !details.hidden);
  }
  for (const row of rows) {
    row.addEventListener('click', function (event) {
      if (event.target.closest('a')) { event.preventDefault(); }
      toggle(row);
    });
  }
  function openHash() {
    const id = decodeURIComponent(location.hash.slice(1));
    const row = id && document.getElementById(id);
    if (!row || !row.classList.contains('claim')) return;
    row.hidden = false;
    row.classList.remove('again');  // a linked row shows its passage in full: the row above may be off screen
    toggle(row, true);
    row.scrollIntoView();
  }
  search.addEventListener('input', apply);
  for (const box of boxes) box.addEventListener('change', apply);
  window.addEventListener('hashchange', openHash);
  new ResizeObserver(fitHeader).observe(header);  // the header wraps as the window narrows
  fitHeader();
  apply();
  openHash();
  document.body.dataset.ready = 'true';
})();
"""


def _img(png: bytes, alt: str) -> str:
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}">'


def _cat_badge(key: str) -> str:
    c = CATEGORY[key]
    return f'<span class="cat" style="background:{c.color}" title="{escape(c.meaning)}">{escape(c.label)}</span>'


def _cell(column: Column, row: Row, first: bool) -> str:
    text = column.cell(row, first)
    if column.style == "claim":
        return f'<a href="#{escape(text)}">{escape(text)}</a>'
    if column.style == "verdict":
        out = f'<span class="verdict {escape(text)}">{escape(text)}</span>'
        if row.record.expected is not None and row.record.expected != text:
            out += f' <span class="changed">(ledger: {escape(row.record.expected)})</span>'
        return out
    if column.style == "category":
        rest = text[len(row.category.label) :]
        return _cat_badge(row.category.key) + escape(rest)
    return escape(text)


def _dl(items: Sequence[tuple[str, str]]) -> str:
    body = "".join(f"<dt>{escape(k)}</dt><dd>{v}</dd>" for k, v in items if v)
    return f"<dl>{body}</dl>"


def _value(value: Any) -> str:
    """A detail or protocol value as short escaped text (JSON for structures)."""
    if isinstance(value, float | int | bool) or value is None:
        return escape(fmt(value))
    if isinstance(value, str):
        return escape(value)
    return escape(shorten(json.dumps(value, ensure_ascii=False), 400))


def _verdict_items(row: Row, entry: Entry) -> list[tuple[str, str]]:
    r = row.record
    items = [
        ("verdict", f'<span class="verdict {escape(r.verdict or "")}">{escape(r.verdict or "")}</span>'),
        ("reason", _cat_badge(row.category.key) + " " + escape(row.category.meaning)),
        ("ledger", escape(r.expected or "not in the ledger")),
    ]
    if r.calibration is not None:
        fit = r.calibration
        items.append(
            (
                "calibration",
                escape(
                    f"fitted settings: {', '.join(fit.settings)}; the rule's verdict on the fit: "
                    f"{fit.fit_verdict}; how: {fit.procedure}"
                ),
            )
        )
    if r.prediction:
        items.append(
            ("prediction", "a proposal's expectation, not a reported result: the verdict says whether it came true")
        )
    if row is entry.main and entry.variants:
        items.append(("readings and settings", escape(entry.survival())))
    if row.variant:
        items.append(("variant of", f'<a href="#{escape(entry.main.record.id)}">{escape(entry.main.record.id)}</a>'))
        items.append(("what differs", escape(row.variant)))
    return items


def _test_items(r: ClaimRecord) -> list[tuple[str, str]]:
    n = fmt(r.n) if r.population_n is None else f"{fmt(r.n)} of {fmt(r.population_n)} ({r.subset or 'subset'})"
    region = "" if r.claimed_region is None else f"[{fmt(r.claimed_region[0])}, {fmt(r.claimed_region[1])}]"
    mde_for = "cannot confirm at this n" if r.cannot_confirm else fmt(r.mde_confirm)
    return [
        ("test", escape(r.test or "")),
        ("rule (kind)", escape(f"{r.rule} ({r.kind})" if r.rule != r.kind else str(r.rule))),
        (
            "rule's statistic [CI]" if measured(r).label else "estimate [CI]",  # not the document's units
            escape(fmt(r.estimate) + ("" if r.ci is None else f" [{fmt(r.ci[0])}, {fmt(r.ci[1])}]")),
        ),
        ("claimed region", escape(region)),
        ("α, n", escape(f"{fmt(r.alpha)}, {n}")),
        ("p against / for", escape(f"{fmt(r.p_value)} / {fmt(r.p_confirm)}")),
        ("MDE against / for", escape(f"{fmt(r.mde)} / {mde_for}")),
        ("n for 80% power", escape(plan_text(r.power_plan))),
        ("Holm family", escape(r.family or "")),
        ("effect size", escape(fmt(r.effect_size) if r.effect_size is not None else "")),
        ("time", escape(f"{r.duration_s:.2f} s" if r.duration_s is not None else "")),
    ]


def _details(row: Row, entry: Entry, figures: Mapping[str, bytes], span: int) -> str:
    r = row.record
    where = " › ".join(r.section) or "document not available"
    line = f", line {r.line}" if r.line is not None else ""
    reported = "".join(f"<tr><td>{escape(k)}</td><td>{_value(v)}</td></tr>" for k, v in r.reported.items())
    detail = "".join(  # the document-units estimate is shown above as "our estimate"
        f"<tr><td>{escape(str(k))}</td><td>{_value(v)}</td></tr>" for k, v in r.detail.items() if k != DOCUMENT_UNITS
    )
    protocol = "".join(
        f"<tr><td><code>{escape(name)}</code></td><td>{_value(s.get('value'))}</td>"
        f"<td>{escape(str(s.get('status', '')))}</td><td>{escape(str(s.get('note', '')))}</td></tr>"
        for name, s in r.protocol.items()
        if isinstance(s, Mapping)
    )
    ours = fmt_measured(row.measured) + (f" ({row.measured.label})" if row.measured.label else "")
    figs = "".join(
        f"<figure>{_img(figures[name], name)}<figcaption>{escape(name)}</figcaption></figure>"
        for name in r.figures
        if name in figures
    )
    parts = [
        f"<blockquote>“{escape(plain_quote(r.statement))}”<br><span class='muted'>{escape(r.source)}: "
        f"{escape(where)}{escape(line)}</span></blockquote>",
        '<div class="grid">',
        "<div><h4>The document's numbers and ours</h4>"
        + (f"<table>{reported}</table>" if reported else "<p class='muted'>no number</p>")
        + _dl([("our estimate", escape(ours))])
        + "<h4>Verdict</h4>"
        + _dl(_verdict_items(row, entry))
        + "</div>",
        "<div><h4>How it was decided</h4>" + _dl(_test_items(r)) + "</div>",
        "</div>",
    ]
    if detail:
        parts.append(f"<h4>Details</h4><table>{detail}</table>")
    if protocol:
        parts.append(
            f"<h4>Protocol</h4><table class='wide'><tr><th>setting</th><th>value</th><th>status</th><th>note</th></tr>{protocol}</table>"
        )
    if figs:
        parts.append(f"<h4>Figures</h4><div class='figs'>{figs}</div>")
    return f'<tr class="details" hidden><td colspan="{span}"><div class="details">{"".join(parts)}</div></td></tr>'


def _both(column: Column, row: Row) -> str:
    """A cell of a row that repeats its passage: the full text and the ditto, one shown (``_SCRIPT``
    shows the full text when a filter hides the passage's earlier rows)."""
    lead, again = _cell(column, row, True), _cell(column, row, False)
    return lead if lead == again else f'<span class="lead">{lead}</span><span class="again">{again}</span>'


def _rows(entry: Entry, first: bool, passage: str, figures: Mapping[str, bytes]) -> list[str]:
    out = []
    for i, row in enumerate(entry.rows):
        lead = first and i == 0
        cells = "".join(f'<td class="{c.key}">{_cell(c, row, True) if lead else _both(c, row)}</td>' for c in COLUMNS)
        cls = ("claim variant" if row.variant else "claim") + ("" if lead else " again")
        out.append(
            f'<tr class="{cls}" id="{escape(row.record.id)}" data-verdict="{escape(row.record.verdict or "")}" '
            f'data-category="{row.category.key}" data-passage="{passage}">{cells}</tr>'
        )
        out.append(_details(row, entry, figures, len(COLUMNS)))
    return out


def _document(sheet: DocumentSheet, overviews: Sequence[tuple[str, bytes, str]], figures: Mapping[str, bytes]) -> str:
    counts = "".join(
        f"<span>{_cat_badge(c.key)} {sheet.counts[c.key]}</span>" for c in CATEGORIES if sheet.counts.get(c.key)
    )
    parts = [
        f'<section class="doc" id="doc-{escape(sheet.doc)}"><h2>{escape(document_heading(sheet))}</h2>',
        f"<p class='muted'>{escape(sheet.source)}" + (f" — {escape(sheet.quotes)}" if sheet.quotes else "") + "</p>",
        f'<div class="counts">{counts}</div>',
    ]
    if overviews:
        figs = "".join(
            f"<figure>{_img(png, caption)}<figcaption>{escape(caption)}</figcaption></figure>"
            for _, png, caption in overviews
        )
        parts.append(f'<div class="figs">{figs}</div>')
    head = "".join(f'<th class="{c.key}" title="{escape(c.help)}">{escape(c.label)}</th>' for c in COLUMNS)
    for i, section in enumerate(sheet.sections):
        sid = f"sec-{sheet.doc}-{i}"
        title = section.heading or "Claims by id (the document is not available)"
        body = [
            row
            for k, s in enumerate(section.statements)
            for j, e in enumerate(s.entries)
            for row in _rows(e, j == 0, f"{sid}-{k}", figures)
        ]
        parts.append(
            f'<section class="sec" id="{sid}"><h3>{escape(title)}</h3><table class="sheet"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table></section>"
        )
    return "".join(parts) + "</section>"


def _nav(sheets: Sequence[DocumentSheet]) -> str:
    links = []
    for sheet in sheets:
        total = sum(sheet.counts.values())
        links.append(
            f'<a class="doc-link" href="#doc-{escape(sheet.doc)}" data-target="doc-{escape(sheet.doc)}">'
            f'{escape(shorten(document_heading(sheet), 60))} <span class="n">({total})</span></a>'
        )
        for i, section in enumerate(sheet.sections):
            if section.heading:
                links.append(
                    f'<a class="sec-link" href="#sec-{sheet.doc}-{i}" data-target="sec-{sheet.doc}-{i}">'
                    f'{escape(shorten(section.heading, 44))} <span class="n">({len(section.rows)})</span></a>'
                )
    return "<nav>" + "".join(links) + "</nav>"


def _controls(sheets: Sequence[DocumentSheet], records: Sequence[ClaimRecord]) -> str:
    verdicts = {v: sum(r.verdict == v for r in records) for v in _VERDICTS}
    counts = {c.key: sum(s.counts.get(c.key, 0) for s in sheets) for c in CATEGORIES}
    vbox = "".join(
        f'<label class="chip"><input type="checkbox" name="verdict" value="{v}" checked>'
        f'<span class="verdict {v}">{v}</span> {verdicts[v]}</label>'
        for v in _VERDICTS
    )
    cbox = "".join(
        f'<label class="chip" title="{escape(c.meaning)}"><input type="checkbox" name="category" value="{c.key}" checked>'
        f'<span class="dot" style="background:{c.color}"></span>{escape(c.label)} {counts[c.key]}</label>'
        for c in CATEGORIES
    )
    return (
        '<div class="controls"><input type="search" id="search" placeholder="Search statements, ids, numbers, settings"'
        ' aria-label="search">'
        f"<fieldset><legend>Verdict</legend>{vbox}</fieldset>"
        f"<fieldset><legend>Reason</legend>{cbox}</fieldset>"
        '<span id="shown"></span></div>'
    )


def _status(ctx: RunContext, records: Sequence[ClaimRecord]) -> str:
    docs = len({r.source for r in records})
    kind = "<b>complete run</b>" if ctx.complete else '<b class="partial">PARTIAL run</b>'
    text = (
        f"{kind} · tier <b>{escape(ctx.tier)}</b> · master seed <b>{ctx.master_seed}</b> · device {escape(ctx.device)}"
        f" · {len(records)} claim{'s' if len(records) != 1 else ''} of {docs} document{'s' if docs != 1 else ''}"
    )
    if ctx.created:
        text += f" · {escape(ctx.created)}"
    return f'<p class="status">{text}</p>'


def _notices(ctx: RunContext, no_verdict: Sequence[ClaimRecord], decided: Sequence[ClaimRecord]) -> str:
    out = []
    if not ctx.complete:
        out.append(
            f'<p class="notice">This is a partial run ({escape(ctx.partial_reason or "")}): it covers only the claims '
            'below. The last complete report is kept beside it: <a href="../claims.html">../claims.html</a>.</p>'
        )
    facts = []
    if ctx.selection is not None:
        facts.append(f"Selection: <code>{escape(selection_text(ctx.selection))}</code>.")
    if ctx.environment:
        differ, text = environment_text(ctx.environment)
        facts.append(
            ("<b>Versions differ between processes</b> (--claims-allow-version-mismatch): " if differ else "Versions: ")
            + escape(text)
            + "."
        )
    if facts:
        out.append(f"<p class='muted'>{' '.join(facts)}</p>")
    if not decided:
        collected = 0 if ctx.selection is None else ctx.selection["collected"]
        out.append(
            f'<p class="notice">Nothing ran: this run selected no claim test of the {escape(ctx.tier)} tier '
            f"({collected} claim tests collected before deselection), so there are no verdicts.</p>"
        )
    if no_verdict:
        items = "".join(
            f"<li><code>{escape(r.id)}</code>: {escape(r.no_verdict_reason or '')}</li>"
            for r in sorted(no_verdict, key=lambda r: r.id)
        )
        out.append(
            f'<div class="notice"><b>{len(no_verdict)} claim tests gave no verdict</b> (they did not end well; '
            f"their ledger entries were kept):<ul>{items}</ul></div>"
        )
    return "".join(out)


def _tail(ctx: RunContext) -> str:
    parts = []
    if ctx.stability_rows:
        rows = "".join(
            f"<tr><td><code>{escape(r.id)}</code></td><td>{escape(r.reference)}</td><td>{r.stability:.0%}</td>"
            f"<td>{'yes' if r.fragile else 'no'}</td><td>"
            + escape(", ".join(f"{s}: {v}" for s, v in zip(r.seeds, r.verdicts, strict=True)))
            + "</td></tr>"
            for r in ctx.stability_rows
        )
        parts.append(
            "<section class='doc'><h2>Verdict stability over master seeds</h2><table class='sheet'><tr><th>Claim</th>"
            f"<th>Reference verdict</th><th>Stability</th><th>Fragile</th><th>Verdicts by seed</th></tr>{rows}</table></section>"
        )
    if ctx.not_run:
        ids = ", ".join(f"<code>{escape(cid)}</code>" for cid in ctx.not_run)
        parts.append(
            f"<section class='doc'><h2>Not run in the {escape(ctx.tier)} tier</h2><p>{len(ctx.not_run)} claims belong "
            f"to another tier (run with <code>--claims-tier full</code>): {ids}.</p></section>"
        )
    return "".join(parts)


def claims_html(
    records: Sequence[ClaimRecord],
    sheets: Sequence[DocumentSheet],
    ctx: RunContext,
    *,
    figures: Mapping[str, bytes],
    overviews: Mapping[str, Sequence[tuple[str, str]]] | None = None,
) -> str:
    """Text of ``claims.html`` for the run ``ctx``: ``records`` (with or without a verdict) laid out
    as ``sheets``; ``figures``: every PNG by file name (claims' and overview figures, embedded);
    ``overviews``: per source, its overview figures ``(file name, caption)``."""
    decided = [r for r in records if r.verdict is not None]
    no_verdict = [r for r in records if r.verdict is None]
    docs = "".join(
        _document(
            sheet,
            [
                (name, figures[name], caption)
                for name, caption in (overviews or {}).get(sheet.source, ())
                if name in figures
            ],
            figures,
        )
        for sheet in sheets
    )
    title = f"Claims report — {ctx.tier} tier, master seed {ctx.master_seed}" + ("" if ctx.complete else " (partial)")
    legend = "".join(f"<li>{_cat_badge(c.key)} {escape(c.meaning)}</li>" for c in CATEGORIES)
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body data-complete='{str(ctx.complete).lower()}'><header><h1>Claims report</h1>{_status(ctx, decided)}"
        f"{_controls(sheets, decided)}</header>"
        f'<div class="layout">{_nav(sheets)}<main>'
        f"{_notices(ctx, no_verdict, decided)}"
        "<details class='muted'><summary>How to read this report</summary><p>Each row is one number of a sentence of "
        "the source document, re-measured by a seeded test. Click a row for its details. Reasons:</p>"
        f"<ul>{legend}</ul><p>Columns: "
        + escape("; ".join(f"{c.label}: {c.help}" for c in COLUMNS))
        + f".</p></details>{docs}{_tail(ctx)}</main></div><script>{_SCRIPT}</script></body></html>\n"
    )

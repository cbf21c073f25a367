"""The HTML report in a real headless Chromium: it loads offline, filters, searches, opens a claim, runs no
injected script, and renders (a screenshot). Skipped, saying why, where Chromium is not installed
(``tests/browser.py``; ``.ci/run`` installs ``chromium`` and ``chromium-driver``)."""

from __future__ import annotations

import struct
from dataclasses import replace

import matplotlib.pyplot as plt
import pytest

from harness.evidence.reports import FigureRegistry, RunContext, no_verdict_record, write_reports
from harness.evidence.verdicts import Verdict
from tests import browser
from tests.test_reports import claim, record

HOSTILE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script> " \' & `'

pytestmark = pytest.mark.skipif(browser.missing() is not None, reason=browser.missing() or "")


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """A report of seven claims (one with a figure, two on one passage, one with hostile strings everywhere, one without a verdict)
    open in Chromium."""
    out = tmp_path_factory.mktemp("report")
    reg = FigureRegistry()
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    reg.add("002.a.x", "curve", fig)
    records = [
        record("002.a.x", figures=reg.names(), line=10, section=("3. Results", "3.2")),
        record("002.a.y", Verdict.REFUTED, line=11, statement="Median epochs reduced from 123 to 49"),
        record("002.a.y2", Verdict.CONFIRMED, line=11, statement="Median epochs reduced from 123 to 49"),
        record("002.a.z", Verdict.INCONCLUSIVE, line=12, statement="another sentence"),
        record("000.b.w", source="000_831d548a2327460f.txt", line=3, section=("1. Setup",)),
        replace(record("002.a.h", line=13, statement=HOSTILE, section=(HOSTILE,)), detail={HOSTILE: HOSTILE}),
        no_verdict_record(claim("002.a.n"), tier="quick", master_seed=0, reason=HOSTILE, expected=None, location=None),
    ]
    sources = {"002_12f8b00312862f98.txt": {"title": HOSTILE, "sha256": "0" * 64, "quotes": "verified"}}
    ctx = RunContext(master_seed=0, tier="quick", device="cpu", sources=sources)
    write_reports(out, records, ctx, figures=dict(reg.items()))
    with browser.Chromium(width=1280, height=900) as chromium:
        chromium.open((out / "claims.html").resolve().as_uri())
        yield chromium, out


def _shown(chromium) -> int:
    return int(chromium.run("return document.body.dataset.shown"))


def test_the_report_loads_offline_and_runs_only_its_own_script(page):
    chromium, out = page
    assert chromium.run("return document.body.dataset.ready") == "true"
    assert chromium.run("return window.__pwned === undefined")  # no injected handler or script ran
    assert chromium.run("return document.querySelectorAll('tr.claim').length") == 6
    requests = [url for url in chromium.requests() if not url.startswith("chrome://")]  # the browser's own new tab
    assert requests and all(url.startswith(("file://", "data:")) for url in requests), requests
    assert any(url.endswith("claims.html") for url in requests)
    images = chromium.run("return Array.from(document.images).map(i => [i.src.slice(0, 22), i.naturalWidth])")
    assert images and all(src == "data:image/png;base64," and width > 0 for src, width in images)


def test_filters_and_search_narrow_the_sheet(page):
    chromium, _ = page
    assert _shown(chromium) == 6
    chromium.run(
        "const b = document.querySelector('input[name=verdict][value=refuted]'); b.checked = false;"
        "b.dispatchEvent(new Event('change'))"
    )
    assert _shown(chromium) == 5
    chromium.run(
        "const b = document.querySelector('input[name=verdict][value=refuted]'); b.checked = true;"
        "b.dispatchEvent(new Event('change'));"
        "const s = document.getElementById('search'); s.value = 'MEDIAN epochs'; s.dispatchEvent(new Event('input'))"
    )
    assert _shown(chromium) == 2
    assert chromium.run("return document.getElementById('002.a.y').hidden") is False
    assert chromium.run("return document.getElementById('doc-000').hidden") is True  # a document with no match
    chromium.run("const s = document.getElementById('search'); s.value = ''; s.dispatchEvent(new Event('input'))")
    assert _shown(chromium) == 6


def _set_category(chromium, key: str, checked: bool) -> None:
    chromium.run(
        f"const b = document.querySelector('input[name=category][value={key}]'); b.checked = {str(checked).lower()};"
        "b.dispatchEvent(new Event('change'))"
    )


def test_the_reason_category_filter_narrows_the_sheet(page):
    chromium, _ = page
    assert _shown(chromium) == 6
    _set_category(chromium, "not_replicated", False)  # the one refuted claim's category
    assert _shown(chromium) == 5
    assert chromium.run("return document.getElementById('002.a.y').hidden") is True
    # the passage's first row is hidden: the second row now shows the passage in full, not a ditto
    assert chromium.run("return document.getElementById('002.a.y2').classList.contains('again')") is False
    _set_category(chromium, "not_replicated", True)
    assert _shown(chromium) == 6
    assert chromium.run("return document.getElementById('002.a.y2').classList.contains('again')") is True


def test_a_claims_link_opens_its_details(page):
    chromium, out = page
    chromium.open((out / "claims.html").resolve().as_uri() + "#002.a.x")
    assert chromium.run("return document.getElementById('002.a.x').nextElementSibling.hidden") is False
    text = chromium.run("return document.getElementById('002.a.x').nextElementSibling.innerText")
    assert "How it was decided" in text and "Protocol" in text and "002.a.x.curve.png" in text
    chromium.run("document.getElementById('002.a.y').click()")
    assert chromium.run("return document.getElementById('002.a.y').nextElementSibling.hidden") is False


def test_a_link_to_a_claim_repeating_the_passage_above_shows_the_passage(page):
    chromium, out = page
    chromium.open((out / "claims.html").resolve().as_uri() + "#002.a.y2")
    assert chromium.run("return document.getElementById('002.a.y2').classList.contains('again')") is False
    assert "Median epochs reduced from 123 to 49" in chromium.run(
        "return document.getElementById('002.a.y2').innerText"
    )


def test_a_screenshot_of_the_page(page, tmp_path):
    chromium, out = page
    chromium.open((out / "claims.html").resolve().as_uri())
    png = chromium.screenshot(tmp_path / "report.png")
    width, height = struct.unpack(">II", png[16:24])  # the PNG header's size
    assert png.startswith(b"\x89PNG") and width >= 1000 and height >= 600
    assert len(png) > 20_000  # a rendered page, not a blank one

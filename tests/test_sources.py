"""Source documents: the manifest, the pinned hashes and the quote check (``harness.evidence.sources``)."""

import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.evidence.sources import (
    NOT_AVAILABLE,
    VERIFIED,
    SourceError,
    Sources,
    check_quote,
    load_manifest,
    normalise,
)

REPO = Path(__file__).resolve().parents[1]
NAME = "002_0123456789abcdef.txt"
DOCUMENT = """# Toy results

## 1. Setup

- **Function**: `y = |Wx + b|`
- **Accuracy**: R² > 0.96 and loss ≤ 0.125
- Ratio: L1/L2 ≈ 1.255 (within √3 ≈ 1.732)

The relationship:

```
epochs = α × distance + β
```

Small learning rate ($\\eta = 10^{-3}$), step $\\Delta\\theta = 10^{-3} \\times \\nabla\\theta$.
We found “lazy” minima.
"""


def manifest(path: Path, document: str = DOCUMENT, name: str = NAME, title: str = "Toy results") -> Path:
    digest = hashlib.sha256(document.encode("utf-8")).hexdigest()
    path.write_text(json.dumps({"schema": 1, "sources": [{"file": name, "title": title, "sha256": digest}]}))
    return path


# ---------------------------------------------------------------------------- normalisations


@pytest.mark.parametrize(
    "quote",
    [
        pytest.param("Function: y = |Wx + b|", id="emphasis_and_backticks"),
        pytest.param("Accuracy: R^2 > 0.96 and loss <= 0.125", id="ascii_math"),
        pytest.param("Accuracy: R² > 0.96 and loss ≤ 0.125", id="unicode_math"),
        pytest.param("Ratio:   L1/L2 ~ 1.255\n(within √3 ~ 1.732)", id="whitespace_and_approx"),
        pytest.param("The relationship: epochs = α x distance + β", id="code_fence"),
        pytest.param("Small learning rate (η = 10^{-3}), step Δθ", id="latex_inline_math"),
        pytest.param("Small learning rate (\\eta = 10^{-3})", id="latex_command"),
        pytest.param('We found "lazy" minima.', id="typographic_quotes"),
    ],
)
def test_declared_normalisations_accept_the_quote(quote):
    assert check_quote(quote, DOCUMENT) is None


@pytest.mark.parametrize(
    "quote",
    [
        pytest.param("function: y = |Wx + b|", id="case"),
        pytest.param("Accuracy: R^2 > 0.97", id="number"),
        pytest.param("Accuracy R^2 > 0.96", id="punctuation"),
        pytest.param("Function: y = |Wx + b| Accuracy: R^2 > 0.96", id="list_marker_dropped"),
        pytest.param("The relationship: epochs = α x distance + β.", id="added_full_stop"),
        pytest.param("Toy results [Executive Summary]", id="editorial_bracket"),
    ],
)
def test_anything_else_is_a_misquote(quote):
    assert check_quote(quote, DOCUMENT) is not None


def test_normalise_is_idempotent_on_the_declared_table():
    text = "**R²** ≥ `0.9` × $\\alpha$ — “x”"
    assert normalise(text) == 'R^2 >= 0.9 x α - "x"'
    assert normalise(normalise(text)) == normalise(text)


# ---------------------------------------------------------------------------- elisions


def test_elision_joins_passages_in_document_order():
    assert check_quote("Function: y = |Wx + b| [...] Ratio: L1/L2 ≈ 1.255", DOCUMENT) is None
    assert check_quote("Toy results [...] We found “lazy” minima.", DOCUMENT) is None


def test_elided_passages_out_of_order_are_a_misquote():
    miss = check_quote("Ratio: L1/L2 ≈ 1.255 [...] Function: y = |Wx + b|", DOCUMENT)
    assert miss is not None and miss.fragment == "Function: y = |Wx + b|"


def test_a_statement_of_elisions_only_quotes_nothing():
    assert check_quote("[...]", DOCUMENT) is not None


def test_misquote_names_the_closest_passage():
    miss = check_quote("Ratio: L1/L2 ≈ 1.25 (within √3 ≈ 1.732)", DOCUMENT)
    assert miss is not None
    assert miss.closest.startswith("Ratio: L1/L2 ~ 1.255 (within")
    assert "closest passage" in miss.describe()


@settings(deadline=None, max_examples=60)
@given(st.data())
def test_any_run_of_words_of_the_document_quotes_it(data):
    words = normalise(DOCUMENT).split(" ")
    start = data.draw(st.integers(0, len(words) - 1))
    stop = data.draw(st.integers(start + 1, len(words)))
    cut = data.draw(st.integers(start, stop))  # an elision between two runs (possibly empty on one side)
    quote = " ".join(words[start:cut]) + " [...] " + " ".join(words[cut:stop])
    assert check_quote(quote, DOCUMENT) is None


# ---------------------------------------------------------------------------- manifest and hashes


@pytest.mark.parametrize(
    "text, message",
    [
        pytest.param("{oops", "is not valid JSON", id="bad_json"),
        pytest.param('{"schema": 2, "sources": []}', "expected", id="bad_schema"),
        pytest.param('{"schema": 1, "sources": [{"file": "a.txt", "title": "t"}]}', "exactly the keys", id="no_hash"),
        pytest.param(
            '{"schema": 1, "sources": [{"file": "a.txt", "title": "t", "sha256": "xyz"}]}',
            "malformed sha256",
            id="bad_hash",
        ),
        pytest.param(
            '{"schema": 1, "sources": [{"file": "a.txt", "title": "", "sha256": "' + "0" * 64 + '"}]}',
            "non-empty",
            id="empty_title",
        ),
    ],
)
def test_malformed_manifest_is_a_clear_error(tmp_path, text, message):
    path = tmp_path / "sources.json"
    path.write_text(text)
    with pytest.raises(SourceError, match=message) as info:
        load_manifest(path)
    assert str(path) in str(info.value)


def test_duplicate_manifest_entry_is_an_error(tmp_path):
    entry = {"file": NAME, "title": "t", "sha256": "0" * 64}
    path = tmp_path / "sources.json"
    path.write_text(json.dumps({"schema": 1, "sources": [entry, entry]}))
    with pytest.raises(SourceError, match="listed twice"):
        load_manifest(path)


def test_present_document_is_checked_and_reported_verified(tmp_path):
    (tmp_path / NAME).write_text(DOCUMENT)
    sources = Sources.load(manifest(tmp_path / "sources.json"), tmp_path)
    assert sources.available(NAME)
    sources.check("002.toy.a", NAME, "Ratio: L1/L2 ≈ 1.255")
    with pytest.raises(ValueError, match=r"claim '002.toy.a' misquotes 002_0123456789abcdef.txt") as info:
        sources.check("002.toy.a", NAME, "Ratio: L1/L2 ≈ 1.3")
    assert "Ratio: L1/L2 ~ 1.255" in str(info.value)  # the closest passage
    assert sources.report([NAME, NAME]) == {
        NAME: {"title": "Toy results", "sha256": sources.docs[NAME].sha256, "quotes": VERIFIED}
    }


@pytest.mark.parametrize("make_dir", [True, False], ids=["empty_dir", "missing_dir"])
def test_absent_document_is_not_available_and_not_an_error(tmp_path, make_dir):
    sources_dir = tmp_path / "docs"
    if make_dir:
        sources_dir.mkdir()
    sources = Sources.load(manifest(tmp_path / "sources.json"), sources_dir)
    assert not sources.available(NAME)
    sources.check("002.toy.a", NAME, "anything at all")  # not verifiable: accepted, reported as such
    assert sources.report([NAME])[NAME]["quotes"] == NOT_AVAILABLE == "document not available: quotes not verified"


def test_a_sources_dir_that_cannot_be_searched_is_an_error_not_absent(tmp_path, monkeypatch):
    """Review M12: EACCES on the directory (no search permission; root is never refused, so its stat and
    read raise it here) was no SourceError: ``is_file()`` passed it on raw (an INTERNALERROR under pytest)."""
    import errno
    import os

    sources_dir = tmp_path / "docs"
    sources_dir.mkdir()
    (sources_dir / NAME).write_text(DOCUMENT)
    denied = OSError(errno.EACCES, os.strerror(errno.EACCES))
    real_stat, real_read = Path.stat, Path.read_bytes

    def refuse(real):
        def call(path, *args, **kwargs):
            if path.parent == sources_dir:
                raise denied
            return real(path, *args, **kwargs)

        return call

    monkeypatch.setattr(Path, "stat", refuse(real_stat))
    monkeypatch.setattr(Path, "read_bytes", refuse(real_read))
    with pytest.raises(
        SourceError, match=f"source document '{sources_dir / NAME}' cannot be read: .*Permission denied"
    ):
        Sources.load(manifest(tmp_path / "sources.json"), sources_dir)


def test_changed_document_is_an_error_naming_the_file(tmp_path):
    (tmp_path / NAME).write_text(DOCUMENT + "\nan added line\n")
    with pytest.raises(SourceError, match="has sha256 .* but the manifest .* pins") as info:
        Sources.load(manifest(tmp_path / "sources.json"), tmp_path)
    assert str(tmp_path / NAME) in str(info.value)


def test_source_missing_from_the_manifest_is_an_error(tmp_path):
    sources = Sources.load(manifest(tmp_path / "sources.json"), tmp_path)
    with pytest.raises(ValueError, match="source '003_ffff.txt' is not listed in the sources manifest"):
        sources.check("003.toy.a", "003_ffff.txt", "x")


def test_missing_manifest_is_an_error_only_for_claims(tmp_path):
    sources = Sources.load(tmp_path / "nowhere.json", tmp_path)  # a project without claims is not bothered
    with pytest.raises(ValueError, match="sources manifest .*nowhere.json' not found"):
        sources.check("002.toy.a", NAME, "x")


# ---------------------------------------------------------------------------- this repository


def test_repository_manifest_pins_the_documents_present():
    docs = load_manifest(REPO / "claims" / "sources.json")
    assert sorted(docs) == [
        "000_831d548a2327460f.txt",
        "001_ce10673ba16755ba.txt",
        "002_12f8b00312862f98.txt",
        "003_111511a5924b25b5.txt",
    ]
    shared = REPO.parent / "shared" / "sources"
    present = [name for name in docs if (shared / name).is_file()]
    if not present:
        pytest.skip(f"no source document in {shared}: hashes not checkable here")
    Sources.load(REPO / "claims" / "sources.json", shared)  # raises on any hash mismatch

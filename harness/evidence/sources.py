"""Source documents: optional, pinned by sha256, and quoted exactly.

A claims project commits a manifest (``claims/sources.json`` here) that lists each source
document it quotes: file name, title and sha256 of the text the claims were written against::

    {"schema": 1, "sources": [{"file": "002_12f8b00312862f98.txt", "title": "...", "sha256": "..."}]}

The documents themselves are optional. When one is absent its claims still run, and the reports
say "document not available: quotes not verified". When one is present its hash must match the
manifest (else :class:`SourceError` names the file), and every claim's ``statement`` must quote
it: verbatim up to whitespace, ``[...]`` marking an elision, after the normalisations below.

Normalisations, applied alike to the document and to the quote (the complete list):

1. whitespace: every run of spaces, tabs and newlines is one space;
2. Markdown: ``**`` (emphasis) and backticks (inline code, code fences) are dropped;
3. LaTeX: ``$`` delimiters are dropped and the few symbol commands in ``LATEX_SYMBOLS``
   become their Unicode symbol;
4. symbols: the Unicode math symbols, dashes and typographic quotes in ``ASCII_SPELLINGS``
   are spelled in ASCII (``≥`` as ``>=``, ``²`` as ``^2``, ``“`` as ``"``), so a quote may use
   either spelling.

Case, punctuation, numbers and word order are kept: a quote that differs in any of them is a
misquote, reported with the closest passage of the document (``difflib``).

This module never imports pytest or torch; the plugin (``harness.evidence.plugin``) calls it at
collection time.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from harness.evidence.files import read_utf8

__all__ = [
    "ASCII_SPELLINGS",
    "ELISION",
    "LATEX_SYMBOLS",
    "Location",
    "MANIFEST_SCHEMA",
    "NOT_AVAILABLE",
    "VERIFIED",
    "Misquote",
    "SourceDoc",
    "SourceError",
    "Sources",
    "check_quote",
    "load_manifest",
    "locate_quote",
    "normalise",
]

MANIFEST_SCHEMA = 1

NOT_AVAILABLE = "document not available: quotes not verified"
VERIFIED = "quotes verified against the document"

# ``[...]`` (or ``[…]``) in a statement marks words of the document left out.
ELISION = re.compile(r"\[(?:\.\.\.|…)\]")

# LaTeX symbol commands -> the Unicode symbol (then spelled in ASCII below, where listed).
LATEX_SYMBOLS: Mapping[str, str] = {
    r"\times": "×",
    r"\cdot": "·",
    r"\approx": "≈",
    r"\leq": "≤",
    r"\geq": "≥",
    r"\neq": "≠",
    r"\pm": "±",
    r"\to": "→",
    r"\alpha": "α",
    r"\beta": "β",
    r"\epsilon": "ε",
    r"\eta": "η",
    r"\lambda": "λ",
    r"\mu": "μ",
    r"\theta": "θ",
    r"\Delta": "Δ",
    r"\nabla": "∇",
}

# Unicode symbols -> their ASCII spelling (applied after LATEX_SYMBOLS).
ASCII_SPELLINGS: Mapping[str, str] = {
    "≥": ">=",
    "≤": "<=",
    "≠": "!=",
    "≈": "~",
    "×": "x",
    "·": "*",
    "±": "+/-",
    "→": "->",
    "−": "-",  # minus sign
    "–": "-",  # en dash
    "—": "-",  # em dash
    "²": "^2",
    "³": "^3",
    "“": '"',
    "”": '"',
    "‘": "'",
    "’": "'",
}

_LATEX_RE = re.compile("|".join(re.escape(k) for k in sorted(LATEX_SYMBOLS, key=len, reverse=True)) + r"(?![A-Za-z])")
_MARKUP_RE = re.compile(r"\*\*|`|\$")
_SPACE_RE = re.compile(r"\s+")


class SourceError(ValueError):
    """A malformed or unreadable manifest, or a present document that cannot be read, is not
    UTF-8 text, or whose sha256 is not the manifest's."""


@dataclass(frozen=True)
class SourceDoc:
    """One manifest entry: the document's file name, title and the sha256 of its bytes."""

    file: str
    title: str
    sha256: str


@dataclass(frozen=True)
class Misquote:
    """A statement that does not quote its document: the first fragment not found, and the
    closest passage of the (normalised) document to it."""

    fragment: str
    closest: str

    def describe(self) -> str:
        """Two lines for an error message: what was quoted, and what the document says."""
        return f"quoted:   {self.fragment!r}\n  document: {self.closest!r} (closest passage)"


def normalise(text: str) -> str:
    """``text`` after the declared normalisations (see the module docstring), stripped."""
    text = _LATEX_RE.sub(lambda m: LATEX_SYMBOLS[m.group(0)], text)
    text = _MARKUP_RE.sub("", text)
    text = "".join(ASCII_SPELLINGS.get(ch, ch) for ch in text)
    return _SPACE_RE.sub(" ", text).strip()


def load_manifest(path: str | os.PathLike[str]) -> dict[str, SourceDoc]:
    """Read the manifest at ``path``: ``{file name: SourceDoc}``. Raise :class:`SourceError` naming
    the file when it is missing, not JSON, or not ``{"schema": 1, "sources": [...]}``."""
    path = Path(path)
    where = f"sources manifest {str(path)!r}"
    try:
        raw = json.loads(read_utf8(path, where, SourceError))
    except FileNotFoundError:
        raise SourceError(f"{where} not found; it lists the documents the claims quote (file, title, sha256)") from None
    except json.JSONDecodeError as exc:
        raise SourceError(f"{where} is not valid JSON: {exc}") from None
    if not isinstance(raw, dict) or raw.get("schema") != MANIFEST_SCHEMA or not isinstance(raw.get("sources"), list):
        raise SourceError(f'{where}: expected {{"schema": {MANIFEST_SCHEMA}, "sources": [...]}}')
    docs: dict[str, SourceDoc] = {}
    for entry in raw["sources"]:
        if not isinstance(entry, dict) or set(entry) != {"file", "title", "sha256"}:
            raise SourceError(f"{where}: each source needs exactly the keys file, title, sha256; got {entry!r}")
        if not all(isinstance(v, str) and v.strip() for v in entry.values()):
            raise SourceError(f"{where}: file, title and sha256 must be non-empty strings; got {entry!r}")
        if not re.fullmatch(r"[0-9a-f]{64}", entry["sha256"]):
            raise SourceError(f"{where}: {entry['file']!r} has a malformed sha256 {entry['sha256']!r}")
        if entry["file"] in docs:
            raise SourceError(f"{where}: {entry['file']!r} is listed twice")
        docs[entry["file"]] = SourceDoc(**entry)
    return docs


def _closest_passage(fragment: str, document: str) -> str:
    """The passage of ``document`` (both normalised) most like ``fragment``, by difflib's ratio.

    Candidates are windows of the fragment's length starting at word boundaries; the best one
    is widened to end at a word boundary too.
    """
    width = len(fragment)
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(fragment)
    best_start, best_ratio = 0, -1.0
    for start in [0] + [m.end() for m in re.finditer(" ", document)]:
        matcher.set_seq1(document[start : start + width])
        if matcher.real_quick_ratio() <= best_ratio or matcher.quick_ratio() <= best_ratio:
            continue
        ratio = matcher.ratio()
        if ratio > best_ratio:
            best_start, best_ratio = start, ratio
    end = document.find(" ", best_start + width)
    return document[best_start : end if end >= 0 else len(document)]


def check_quote(statement: str, document: str) -> Misquote | None:
    """``None`` when ``statement`` quotes ``document``, else the first :class:`Misquote`.

    Both are normalised; the statement's fragments between ``[...]`` elisions must appear in the
    document in order. A statement that is only elisions quotes nothing and is a misquote.
    """
    text = normalise(document)
    fragments = [normalise(f) for f in ELISION.split(statement)]
    if not any(fragments):
        return Misquote(fragment=statement, closest="")
    position = 0
    for fragment in filter(None, fragments):
        found = text.find(fragment, position)
        if found < 0:
            return Misquote(fragment=fragment, closest=_closest_passage(fragment, text))
        position = found + len(fragment)
    return None


@dataclass(frozen=True)
class Location:
    """Where a quote stands in its document: the 1-based ``line`` and the headings above it
    (``section``, outermost first, the document's title left out), so reports follow the document's order."""

    line: int
    section: tuple[str, ...]


_HEADING_RE = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE_RE = re.compile(r"^\s*(```|~~~)")


def _line_index(document: str) -> tuple[str, list[int], list[tuple[str, ...]]]:
    """The normalised document, the offset in it where each line's text starts, and each line's
    headings (outside code fences; level-1 headings are the title and are left out).

    Lines are normalised one by one and joined with one space: :func:`normalise` maps every
    whitespace run to one space and its other rules never span a line, so the result equals
    ``normalise(document)`` (``tests/test_sources.py`` checks it on the real documents)."""
    parts: list[str] = []
    starts: list[int] = []
    sections: list[tuple[str, ...]] = []
    headings: list[tuple[int, str]] = []
    length, fenced = 0, False
    for raw in document.split("\n"):
        if _FENCE_RE.match(raw):
            fenced = not fenced
        heading = None if fenced else _HEADING_RE.match(raw)
        if heading and len(heading.group(1)) > 1:
            level = len(heading.group(1))
            headings = [h for h in headings if h[0] < level] + [(level, normalise(heading.group(2)))]
        sections.append(tuple(text for _, text in headings))
        text = normalise(raw)
        starts.append(length + (1 if parts and text else 0))
        if text:
            length += len(text) + (1 if parts else 0)
            parts.append(text)
    return " ".join(parts), starts, sections


def locate_quote(statement: str, document: str) -> Location | None:
    """Where ``statement`` (a quote of ``document``, :func:`check_quote`) stands; None when it does not quote it.

    The line is that of the quote's last passage (after its last ``[...]``): the claim's own words,
    where the context before an elision is a heading or a table header shared with other claims."""
    if check_quote(statement, document) is not None:
        return None
    text, starts, sections = _line_index(document)
    found = _tightest_match([f for f in map(normalise, ELISION.split(statement)) if f], text)
    line = max(i for i, start in enumerate(starts) if start <= found)
    return Location(line=line + 1, section=sections[line])


def _tightest_match(fragments: list[str], text: str) -> int:
    """Start of the last fragment in the match of ``fragments`` (in order) spanning the least text: a quote whose first
    words recur (a table header, "From 100 sampled initializations:") is placed where its elided
    parts are, not at the first occurrence of its first words."""
    best, best_span = -1, math.inf
    start = text.find(fragments[0])
    while start >= 0:
        end = start + len(fragments[0])
        for fragment in fragments[1:]:
            found = text.find(fragment, end)
            if found < 0:
                break
            end = found + len(fragment)
        else:
            if end - start < best_span:
                best, best_span = end - len(fragments[-1]), end - start
        start = text.find(fragments[0], start + 1)
    return best


class Sources:
    """The manifest's documents and the texts of those available, for checking claims' quotes.

    Build it with :meth:`load`. ``missing`` holds why the manifest itself is unusable (absent):
    that is an error only for a project that collects claims, reported per claim by :meth:`check`,
    so the plugin stays harmless in projects without claims.
    """

    def __init__(
        self,
        manifest_path: str | os.PathLike[str],
        docs: Mapping[str, SourceDoc],
        texts: Mapping[str, str],
        missing: str | None = None,
    ) -> None:
        self.manifest_path = Path(manifest_path)
        self.docs = dict(docs)
        self.texts = dict(texts)
        self.missing = missing
        self._locations: dict[tuple[str, str], Location | None] = {}

    @classmethod
    def load(cls, manifest_path: str | os.PathLike[str], sources_dir: str | os.PathLike[str]) -> Sources:
        """Read the manifest and every listed document present in ``sources_dir``.

        Raise :class:`SourceError` for a malformed or unreadable manifest, or a present document
        that cannot be read, is not UTF-8 or whose sha256 differs from the manifest's; a missing
        dir or document only makes it unavailable.
        """
        manifest_path, sources_dir = Path(manifest_path), Path(sources_dir)
        if not manifest_path.exists():
            return cls(manifest_path, {}, {}, missing=f"sources manifest {str(manifest_path)!r} not found")
        docs = load_manifest(manifest_path)
        texts: dict[str, str] = {}
        for name, doc in docs.items():
            path = sources_dir / name
            try:  # not is_file(): a directory that cannot be searched (EACCES) is an error, not "absent"
                text = read_utf8(path, f"source document {str(path)!r}", SourceError)
            except FileNotFoundError:
                continue
            digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
            if digest != doc.sha256:
                raise SourceError(
                    f"source document {str(path)!r} has sha256 {digest}, but the manifest "
                    f"{str(manifest_path)!r} pins {doc.sha256}: the claims were written against "
                    "another version of it (restore that version, or review every claim and update the manifest)"
                )
            texts[name] = text
        return cls(manifest_path, docs, texts)

    def available(self, name: str) -> bool:
        """Whether document ``name`` is present (and matches its pinned hash)."""
        return name in self.texts

    def check(self, claim_id: str, source: str, statement: str) -> None:
        """Raise ``ValueError`` unless ``source`` is in the manifest and, when present, ``statement``
        quotes it; the message names the claim and shows the closest passage."""
        if self.missing is not None:
            raise ValueError(
                f"claim {claim_id!r}: {self.missing}; it pins the documents the claims quote (file, title, sha256)"
            )
        if source not in self.docs:
            raise ValueError(
                f"claim {claim_id!r}: source {source!r} is not listed in the sources manifest "
                f"{str(self.manifest_path)!r}"
            )
        if source not in self.texts:
            return
        miss = check_quote(statement, self.texts[source])
        if miss is not None:
            raise ValueError(
                f"claim {claim_id!r} misquotes {source}:\n  {miss.describe()}\n"
                "Quote the document verbatim (whitespace, `**`, backticks, `$` and math-symbol spellings "
                "aside), marking left-out words with [...]."
            )

    def locate(self, source: str, statement: str) -> Location | None:
        """Where ``statement`` stands in document ``source`` (None when the document is not available)."""
        key = (source, statement)
        if key not in self._locations:
            text = self.texts.get(source)
            self._locations[key] = None if text is None else locate_quote(statement, text)
        return self._locations[key]

    def report(self, names: Iterable[str]) -> dict[str, dict[str, str]]:
        """``{file: {"title", "sha256", "quotes"}}`` for the reports, for each listed document in
        ``names``; ``quotes`` says whether quotes were verified or the document was not available."""
        return {
            name: {
                "title": self.docs[name].title,
                "sha256": self.docs[name].sha256,
                "quotes": VERIFIED if self.available(name) else NOT_AVAILABLE,
            }
            for name in sorted(set(names))
            if name in self.docs
        }

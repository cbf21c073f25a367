"""Figures registered by claim code, rendered to PNG bytes at once (so a worker can hand them over)."""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Mapping

__all__ = ["FigureRegistry", "png_bytes", "png_from_json", "png_to_json"]

_FIGURE_NAME_RE = re.compile(r"\A[a-z0-9][a-z0-9_-]*\Z")  # \Z: "$" accepts a trailing newline


def png_bytes(fig, *, dpi: int = 100) -> bytes:
    """``fig`` (a matplotlib Figure) as PNG bytes with fixed metadata: the bytes depend only on the figure."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


class FigureRegistry:
    """Figures registered by claim code, rendered to PNG at once: ``{file name: PNG bytes}``.

    File names are ``"<claim id>.<name>.png"``; registering the same file twice is an error.
    """

    def __init__(self) -> None:
        self._png: dict[str, bytes] = {}

    def add(self, claim_id: str, name: str, fig, *, dpi: int = 100) -> str:
        """Render ``fig`` (a matplotlib Figure) as PNG under ``"<claim_id>.<name>.png"``, close it.

        matplotlib is imported here, when a figure is drawn, never at import: importing the
        plugin must not change the process's matplotlib backend. Returns the file name.
        """
        from matplotlib.figure import Figure

        if not isinstance(fig, Figure):
            raise ValueError(f"expected a matplotlib Figure, got {type(fig).__name__}")
        if not _FIGURE_NAME_RE.match(name):
            raise ValueError(f"figure name {name!r} must be lower case letters, digits, '_' or '-'")
        filename = f"{claim_id}.{name}.png"
        if filename in self._png:
            raise ValueError(f"figure {filename!r} is already registered")
        png = png_bytes(fig, dpi=dpi)
        import matplotlib.pyplot as plt

        plt.close(fig)
        self._png[filename] = png
        return filename

    def names(self) -> tuple[str, ...]:
        """The registered file names, sorted."""
        return tuple(sorted(self._png))

    def items(self) -> list[tuple[str, bytes]]:
        """``(file name, PNG bytes)`` pairs sorted by file name."""
        return sorted(self._png.items())

    def to_json(self) -> dict[str, str]:
        """``{file name: base64 PNG}``: the form that travels to the xdist controller."""
        return png_to_json(dict(self._png))


def png_to_json(figures: Mapping[str, bytes]) -> dict[str, str]:
    """``{file name: base64 text}`` of ``{file name: PNG bytes}``, sorted by name."""
    return {k: base64.b64encode(v).decode("ascii") for k, v in sorted(figures.items())}


def png_from_json(figures: Mapping[str, str]) -> dict[str, bytes]:
    """The inverse of :func:`png_to_json`."""
    return {k: base64.b64decode(v) for k, v in figures.items()}

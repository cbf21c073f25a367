"""What a training run keeps besides its outcome: the trajectory of every member, and per-step gradient norms.

``Recorder`` collects the chunks' records and assembles one ``Trajectory``; ``StepNorms`` collects
the gradient norm of chosen members at every optimizer step (source 003's gradient-norm claims).
"""

from __future__ import annotations

from typing import NamedTuple

import torch


class Trajectory(NamedTuple):
    """Recorded states. Row s of ``params`` (S, B, P), ``loss`` (S, B), ``grad_norm`` (S, B).

    ``params`` is a transposed view of (S, P, B) storage (contiguous per parameter column).

    Full batch: row s is the state at evaluation s (before step s), its loss and gradient norm.
    Mini-batch: row 0 is the initial state with its full-data loss and gradient norm; row s >= 1
    is the state after epoch s - 1 with that epoch's average batch loss and gradient norm.
    A stopped member's rows repeat its final state, loss and norm. S = max(epochs) + 1.
    """

    params: torch.Tensor
    loss: torch.Tensor
    grad_norm: torch.Tensor

    @property
    def nbytes(self) -> int:
        """Bytes held: S * B * (P + 2) * itemsize (e.g. 485 MB for S=101, B=1e5, P=10 in float32)."""
        return sum(t.untyped_storage().nbytes() for t in self)


class Recorder:
    """Collects trajectory chunks and assembles them into one trajectory, freeing chunks as it copies.

    Peak memory is therefore about twice the trajectory (chunks + result) at the moment of
    assembly; e.g. +1.0 GB RSS for a 566 MB float32 trajectory (B = 1e5, 101 states, P = 12).

    Parameters are stored parameter-major, (S, P, B), so each recorded column is one contiguous
    write; ``Trajectory.params`` is the (S, B, P) transposed view of that storage.
    """

    def __init__(self, enabled: bool, dtype: torch.dtype | None):
        self.enabled = enabled
        self.dtype = dtype
        self.parts: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = []

    def add(self, params: torch.Tensor, loss: torch.Tensor, norm: torch.Tensor) -> None:
        """Append rows: params (S, P, B), loss (S, B), norm (S, B)."""
        if self.enabled:
            dtype = self.dtype or params.dtype
            self.parts.append((params.to(dtype), loss.to(dtype), norm.to(dtype)))

    def finish(self, rows: int) -> Trajectory | None:
        """The first ``rows`` recorded rows as one Trajectory, freeing chunks as they are copied."""
        if not self.enabled:
            return None
        first = self.parts[0]
        out = tuple(torch.empty((rows,) + part.shape[1:], dtype=part.dtype, device=part.device) for part in first)
        filled = 0
        while self.parts and filled < rows:
            chunk = self.parts.pop(0)
            take = min(len(chunk[0]), rows - filled)
            for target, part in zip(out, chunk, strict=True):
                target[filled : filled + take] = part[:take]
            filled += take
        self.parts.clear()
        params, loss, norm = out
        return Trajectory(params.transpose(1, 2), loss, norm)


class StepNorms:
    """Gradient norms of K chosen members at every optimizer step, as (steps, K) float32.

    ``members`` (B,) bool marks them; a row is written for every step any member took, with NaN for
    a chosen member that did not step (stopped, or its step skipped by loss scaling).
    """

    def __init__(self, members: torch.Tensor | None, device: torch.device):
        self.chosen = None if members is None else members.to(device)
        self.requested = members is not None
        self.count = 0 if members is None else int(members.sum())
        self.parts: list[torch.Tensor] = []
        self.index: torch.Tensor | slice | None = None
        self.columns: torch.Tensor | None = None  # which of the K columns the computed chosen members are
        if self.chosen is not None:
            self._locate(self.chosen)

    def _locate(self, chosen_among_computed: torch.Tensor) -> None:
        """Where the chosen members sit among those computed: a slice when contiguous (a view per step)."""
        rows = chosen_among_computed.nonzero().flatten()
        if not len(rows):
            self.index = rows
            return
        contiguous = int(rows[-1] - rows[0]) + 1 == len(rows)
        self.index = slice(int(rows[0]), int(rows[-1]) + 1) if contiguous else rows

    def restrict(self, members: torch.Tensor) -> None:
        """Only ``members`` (population indices) are computed from now on."""
        if self.chosen is None:
            return
        computed = self.chosen[members]
        self._locate(computed)
        order = torch.cumsum(self.chosen.long(), 0) - 1  # column of each chosen member
        self.columns = order[members][computed]

    @property
    def enabled(self) -> bool:
        """Whether any member's step norms are kept."""
        return self.count > 0

    def add(self, rows: torch.Tensor | None) -> None:
        """Append a chunk's rows (steps, K computed), NaN in the columns of chosen members no longer computed."""
        if rows is None:
            return
        if self.columns is not None:
            full = torch.full((rows.shape[0], self.count), float("nan"), dtype=rows.dtype, device=rows.device)
            full[:, self.columns] = rows
            rows = full
        self.parts.append(rows)

    def finish(self) -> torch.Tensor | None:
        """All rows (steps, K), or None when no member was chosen."""
        if not self.requested:
            return None
        return torch.cat(self.parts) if self.parts else torch.empty(0, self.count)

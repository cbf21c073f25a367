"""How the trainer holds and differentiates a population: two formulations of one MSE gradient, and the choice.

* ``Columns``: the parameters as P contiguous (B,) columns, the loss in the models' column form and
  its gradient by ``torch.func.grad``. Unrolled over samples it is elementwise only, which
  ``torch.compile`` fuses into one kernel per chunk of epochs: the fastest path for tiny models
  (abs_neuron + SGD at 1e5x the naive loop), but its program grows with P x N.
* ``Matrices``: the parameters as one (B, P) tensor, layers as batched matrix products with a
  hand-written backward (``harness.engine.matrices``). Its cost per op grows with B x N x width,
  its op count only with depth, so it serves every MLP size.

Both give the same per-member losses and gradients up to rounding (the tests check each against
``nn.Sequential`` + ``torch.optim`` in float64). ``choose`` picks one from the model's size: eager
column form up to ``COLUMN_MAX_PARAMS`` parameters, matrices above; a compiled run always uses the
(fused) column form.

What it is not: the training loop (``harness.engine.trainer``) or the compile policy
(``harness.engine.compiling``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from typing import ClassVar

import torch

from harness.engine import matrices
from harness.engine.losses import member_mse
from harness.engine.models import Model

FORMULATIONS = ("columns", "matrices")
# Largest P trained eagerly in column form when the model has a matrix network. Not a speed crossover:
# docs/performance.md's table (one torch thread) measured matrices 1.2-2.6x faster for the registered
# models (P <= 12) too and 1.5-5.5x above. It keeps those models in the column form, whose per-member bits do not depend on the
# population (``compact_stopped``) and in which the ledger's verdicts were recorded (moving them changes
# the rounding of every study of sources 000, 002 and 003).
COLUMN_MAX_PARAMS = 12

Tree = tuple[torch.Tensor, ...]


def _loss_and_members(model: Model, X: torch.Tensor, Y: torch.Tensor, unroll: bool, scale, columns):
    """(sum over members, per-member MSE): differentiating the sum gives every member's gradient
    (of ``scale * MSE`` when a per-member loss scale is given)."""
    losses = member_mse(model, columns, X, Y, unroll=unroll)
    return (losses if scale is None else scale * losses).sum(), losses


@dataclass(frozen=True)
class Columns:
    """P contiguous (B,) columns; ``unroll`` loops over samples elementwise (for ``torch.compile``)."""

    model: Model
    unroll: bool = False
    name: ClassVar[str] = "columns"
    sample_dim: ClassVar[int] = -2

    @property
    def width_independent(self) -> bool:
        """Whether a member's results are the same bits whatever the population (elementwise ops, row sums)."""
        return True

    def layout(self, data: torch.Tensor) -> torch.Tensor:
        """Data as this formulation reads it: samples x features, (..., N, D), unchanged."""
        return data

    def tree(self, params: torch.Tensor) -> Tree:
        """(B, P) -> P contiguous (B,) columns."""
        return tuple(column.contiguous() for column in params.unbind(1))  # 5x faster than t().contiguous()

    def params(self, tree: Tree) -> torch.Tensor:
        """The (B, P) parameters of ``tree``."""
        return torch.stack(tree, dim=1)

    def rows(self, tree: Tree) -> torch.Tensor:
        """The (P, B) parameters of ``tree`` (one recorded trajectory row)."""
        return torch.stack(tree)

    def loss(self, tree: Tree, X: torch.Tensor, Y: torch.Tensor) -> torch.Tensor:
        """Per-member MSE (B,); X, Y laid out (``layout``)."""
        return member_mse(self.model, tree, X, Y, unroll=self.unroll)

    def loss_and_grad(
        self, tree: Tree, X: torch.Tensor, Y: torch.Tensor, scale: torch.Tensor | None = None
    ) -> tuple[Tree, torch.Tensor]:
        """Per-member gradients (P x (B,)) and losses (B,); X, Y laid out (``layout``): (N, D), (N, O) or
        (B, N, D), (B, N, O).

        ``scale`` (B,): differentiate ``scale * loss`` (per-member loss scaling); None: the loss itself.
        """
        loss_fn = functools.partial(_loss_and_members, self.model, X, Y, self.unroll, scale)
        return torch.func.grad(loss_fn, has_aux=True)(tuple(tree))

    def eager(self) -> Columns:
        """The same formulation without unrolling (what a failed compile falls back to)."""
        return replace(self, unroll=False)


@dataclass(frozen=True)
class Matrices:
    """One (B, P) tensor; batched matrix products with a hand-written backward.

    ``autograd_order``: sum over samples as autograd does (low-precision studies, where the rounding
    of each operation is the point), instead of the fastest kernel for the shape.
    """

    network: matrices.Network
    autograd_order: bool = False
    name: ClassVar[str] = "matrices"
    sample_dim: ClassVar[int] = -1

    @property
    def width_independent(self) -> bool:
        """Whether a member's results are the same bits whatever the population: only in autograd order.

        Otherwise BLAS products (a shared layer as one (B*o, i) product, bmm) may round a member's sums
        differently for another population size, as MKL picks kernels by shape (the last bits only).
        """
        return self.autograd_order

    def layout(self, data: torch.Tensor) -> torch.Tensor:
        """Data as this formulation reads it: features x samples, (..., D, N) (a transposed view)."""
        return matrices.feature_major(data)

    def tree(self, params: torch.Tensor) -> Tree:
        """(B, P) -> a one-leaf tree holding a contiguous copy."""
        return (params.contiguous(),)

    def params(self, tree: Tree) -> torch.Tensor:
        """The (B, P) parameters of ``tree``."""
        return tree[0]

    def rows(self, tree: Tree) -> torch.Tensor:
        """The (P, B) parameters of ``tree`` (a transposed view)."""
        return tree[0].t()

    def loss(self, tree: Tree, X: torch.Tensor, Y: torch.Tensor) -> torch.Tensor:
        """Per-member MSE (B,); X, Y laid out (``layout``)."""
        return (matrices.forward(self.network, tree[0], X) - Y).square().mean((1, 2))

    def loss_and_grad(
        self, tree: Tree, X: torch.Tensor, Y: torch.Tensor, scale: torch.Tensor | None = None
    ) -> tuple[Tree, torch.Tensor]:
        """Per-member gradient (a one-leaf tree, (B, P)) of ``scale * loss`` and losses (B,); X, Y laid out
        (``layout``): (D, N), (O, N) or (B, D, N), (B, O, N)."""
        loss, grad = matrices.loss_and_grad(self.network, tree[0], X, Y, scale, autograd_order=self.autograd_order)
        return (grad,), loss

    def eager(self) -> Matrices:
        """Itself: the matrix formulation runs the same code compiled or not."""
        return self


Formulation = Columns | Matrices


def choose(model: Model, requested: str | Formulation | None, *, unroll: bool) -> Formulation:
    """The formulation to train ``model`` with: ``requested`` ("columns", "matrices", or a formulation
    built here) or, when None, the unrolled column form for a compiled run, else columns up to
    ``COLUMN_MAX_PARAMS`` parameters and matrices above (columns for a model without a matrix network)."""
    form = requested if isinstance(requested, Columns | Matrices) else _named(model, requested)
    if isinstance(form, Matrices):
        if unroll:
            raise ValueError("formulation='matrices' is never unrolled: pass compile=False (or None)")
        return form
    if isinstance(form, Columns):
        return replace(form, unroll=unroll)
    network = matrices.network(model)
    if unroll or network is None or model.n_params <= COLUMN_MAX_PARAMS:
        return Columns(model, unroll)
    return Matrices(network)


def _named(model: Model, requested: object) -> Formulation | None:
    """The formulation named by ``requested`` ("columns", "matrices"), None for None; a clear error otherwise."""
    if requested is None:
        return None
    if requested == "columns":
        return Columns(model)
    if requested != "matrices":
        raise ValueError(f"formulation must be one of {FORMULATIONS} or None, got {requested!r}")
    network = matrices.network(model)
    if network is None:
        raise ValueError(
            f"model {model.name} has no matrix formulation (only models.mlp networks whose activations "
            f"all have a backward in harness.engine.matrices.ACTIVATION_BACKWARD)"
        )
    return Matrices(network)

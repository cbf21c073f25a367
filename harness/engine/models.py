"""Tiny models of the source documents as batched forward functions.

Each model is written once, in *column form*: ``forward(p, x)`` takes the P parameters as a
sequence of tensors and the D inputs as a sequence of tensors, and returns the O outputs, all
combined by broadcasting. The same function therefore serves

* the batched view ``batched_forward(model, params (B, P), X (N, D)) -> (B, N, O)``
  (parameters as (B, 1) columns, inputs as (N,) columns), and
* the fused trainer, which unrolls the sample loop with (B,) columns and 0-d inputs so that
  ``torch.compile`` can fuse whole epochs into one elementwise kernel (see ``harness.engine.trainer``).

Parameter order matches the flattened ``state_dict`` of the equivalent ``torch.nn`` module
(``Linear.weight`` row-major, then ``Linear.bias``), so a row of ``params`` loads directly into
the per-model reference used by the tests.

Note on ``mlp_2_2_2``: Linear(2,2)-ReLU-Linear(2,2) has 2*2+2 + 2*2+2 = 12 parameters. Source 002
says "Parameters: 10 total (2×2 + 2 weights in first layer, 2×2 + 2 in second layer)", whose own
terms add up to 12; we implement the stated architecture (P = 12) and treat the "10" as a
document inconsistency.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

Columns = Sequence[torch.Tensor]
ForwardFn = Callable[[Columns, Columns], tuple[torch.Tensor, ...]]


@dataclass(frozen=True)
class Model:
    """A model: its name, parameter names (length P), input width D, output width O and forward."""

    name: str
    param_names: tuple[str, ...]
    n_inputs: int
    n_outputs: int
    forward: ForwardFn

    @property
    def n_params(self) -> int:
        """P, the number of scalar parameters of one member."""
        return len(self.param_names)


def _dot2(w0: torch.Tensor, w1: torch.Tensor, b: torch.Tensor, x: Columns) -> torch.Tensor:
    """``w0 * x0 + w1 * x1 + b`` by broadcasting."""
    return w0 * x[0] + w1 * x[1] + b


def _abs_neuron(p: Columns, x: Columns) -> tuple[torch.Tensor, ...]:
    """y = |W x + b| with W in R^2 (source 000)."""
    w0, w1, b = p
    return (_dot2(w0, w1, b, x).abs(),)


def _relu_pair(p: Columns, x: Columns) -> tuple[torch.Tensor, ...]:
    """y = ReLU(W0 x + b0) + ReLU(W1 x + b1) (source 002, model 1)."""
    w00, w01, w10, w11, b0, b1 = p
    return (torch.relu(_dot2(w00, w01, b0, x)) + torch.relu(_dot2(w10, w11, b1, x)),)


def _mlp_2_2_2(p: Columns, x: Columns) -> tuple[torch.Tensor, ...]:
    """Linear(2,2) -> ReLU -> Linear(2,2) (source 002, model 2)."""
    a00, a01, a10, a11, c0, c1, d00, d01, d10, d11, e0, e1 = p
    h = (torch.relu(_dot2(a00, a01, c0, x)), torch.relu(_dot2(a10, a11, c1, x)))
    return (_dot2(d00, d01, e0, h), _dot2(d10, d11, e1, h))


def _linear_1d(p: Columns, x: Columns) -> tuple[torch.Tensor, ...]:
    """y = w x + b (source 003)."""
    w, b = p
    return (w * x[0] + b,)


MODELS: dict[str, Model] = {
    model.name: model
    for model in (
        Model("abs_neuron", ("w0", "w1", "b"), 2, 1, _abs_neuron),
        Model("relu_pair", ("w00", "w01", "w10", "w11", "b0", "b1"), 2, 1, _relu_pair),
        Model(
            "mlp_2_2_2",
            ("a00", "a01", "a10", "a11", "c0", "c1", "d00", "d01", "d10", "d11", "e0", "e1"),
            2,
            2,
            _mlp_2_2_2,
        ),
        Model("linear_1d", ("w", "b"), 1, 1, _linear_1d),
    )
}


def get_model(name: str) -> Model:
    """The registered model called ``name``; ``ValueError`` listing the known names otherwise."""
    try:
        return MODELS[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; known models: {', '.join(sorted(MODELS))}") from None


def _all_finite(values: torch.Tensor) -> bool:
    """Whether every entry is finite; a finite sum proves it at a fraction of ``isfinite().all()``'s cost."""
    return bool(torch.isfinite(values.sum())) or bool(torch.isfinite(values).all())


def check_population(model: Model, params: torch.Tensor) -> None:
    """Raise ``ValueError`` unless ``params`` is a finite floating (B, P) tensor with B >= 1 for ``model``."""
    if not isinstance(params, torch.Tensor):
        raise ValueError(f"params must be a torch.Tensor, got {type(params).__name__}")
    if params.dim() != 2 or params.shape[1] != model.n_params:
        raise ValueError(f"params for {model.name} must have shape (B, {model.n_params}), got {tuple(params.shape)}")
    if params.shape[0] == 0:
        raise ValueError("empty population: params has B = 0 members")
    if not params.is_floating_point():
        raise ValueError(f"params must be floating point, got {params.dtype}")
    if not _all_finite(params):
        raise ValueError("params contain NaN or inf")


def check_data(model: Model, X: torch.Tensor, Y: torch.Tensor) -> None:
    """Raise ``ValueError`` unless X is (N, D) and Y is (N, O) for ``model``, N >= 1, all finite."""
    if X.dim() != 2 or X.shape[1] != model.n_inputs:
        raise ValueError(f"X for {model.name} must have shape (N, {model.n_inputs}), got {tuple(X.shape)}")
    if Y.dim() != 2 or Y.shape[1] != model.n_outputs:
        raise ValueError(f"Y for {model.name} must have shape (N, {model.n_outputs}), got {tuple(Y.shape)}")
    if X.shape[0] != Y.shape[0]:
        raise ValueError(f"X has {X.shape[0]} samples but Y has {Y.shape[0]}")
    if X.shape[0] == 0:
        raise ValueError("empty data set: N = 0 samples")
    if not (torch.isfinite(X).all() and torch.isfinite(Y).all()):
        raise ValueError("data contain NaN or inf")


def batched_forward(model: Model, params: torch.Tensor, X: torch.Tensor) -> torch.Tensor:
    """Outputs of every member on every sample: params (B, P), X (N, D) -> (B, N, O)."""
    check_population(model, params)
    if X.dim() != 2 or X.shape[1] != model.n_inputs:
        raise ValueError(f"X for {model.name} must have shape (N, {model.n_inputs}), got {tuple(X.shape)}")
    X = X.to(dtype=params.dtype, device=params.device)
    columns = [column.unsqueeze(1) for column in params.unbind(1)]  # P x (B, 1)
    outputs = model.forward(columns, X.unbind(1))  # O x (B, N)
    return torch.stack(outputs, dim=-1)

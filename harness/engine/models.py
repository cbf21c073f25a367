"""Tiny models as batched forward functions, built by one generic small-MLP builder.

Each model is written once, in *column form*: ``forward(p, x)`` takes the P parameters as a
sequence of tensors and the D inputs as a sequence of tensors, and returns the O outputs, all
combined by broadcasting. The same function therefore serves

* the batched view ``batched_forward(model, params (B, P), X (N, D)) -> (B, N, O)``
  (parameters as (B, 1) columns, inputs as (N,) columns), and
* the fused trainer, which unrolls the sample loop with (B,) columns and 0-d inputs so that
  ``torch.compile`` can fuse whole epochs into one elementwise kernel (see ``harness.engine.trainer``).

``mlp(widths, activations, output_activation)`` builds any small MLP
``Linear(widths[0], widths[1]) -> act -> ... -> Linear(widths[-2], widths[-1]) -> output act``.
Parameter order matches the flattened ``state_dict`` of the equivalent ``nn.Sequential``
(per layer ``weight`` row-major, then ``bias``), so a row of ``params`` loads directly into it with
``nn.utils.vector_to_parameters``. The registered models of the sources are instances:

* ``abs_neuron`` (source 000): ``|W x + b|``, ``mlp((2, 1), (), "abs")``, P = 3;
* ``relu_pair`` (source 002, model 1): ``ReLU(W0 x + b0) + ReLU(W1 x + b1)``,
  ``mlp((2, 2), (), "relu", sum_outputs=True)``, P = 6;
* ``mlp_2_2_2`` (source 002, model 2): ``mlp((2, 2, 2), ("relu",))``, P = 12;
* ``linear_1d`` (source 003): ``w x + b``, ``mlp((1, 1), ())``, P = 2.

Note on ``mlp_2_2_2``: Linear(2,2)-ReLU-Linear(2,2) has 2*2+2 + 2*2+2 = 12 parameters. Source 002
says "Parameters: 10 total (2×2 + 2 weights in first layer, 2×2 + 2 in second layer)", whose own
terms add up to 12; we implement the stated architecture (P = 12) and treat the "10" as a
document inconsistency.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise

import torch

from harness.engine import _checks

Columns = Sequence[torch.Tensor]
ForwardFn = Callable[[Columns, Columns], tuple[torch.Tensor, ...]]

# Activations by name; each maps a tensor elementwise (so the fused trainer can unroll it).
ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "identity": lambda z: z,
    "relu": torch.relu,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "abs": torch.abs,
}


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


@dataclass(frozen=True)
class MLPForward:
    """Column-form forward of an MLP; a frozen dataclass so equal architectures hash equal.

    ``widths`` (D, H1, ..., O); ``activations`` one name per layer (the last one the output
    activation); ``sum_outputs`` adds the last layer's outputs into a single output.
    """

    widths: tuple[int, ...]
    activations: tuple[str, ...]
    sum_outputs: bool = False

    def __call__(self, p: Columns, x: Columns) -> tuple[torch.Tensor, ...]:
        """Outputs (O tensors) from P parameter columns and D input columns, by broadcasting."""
        units, offset = tuple(x), 0
        for fan_in, fan_out, activation in zip(self.widths[:-1], self.widths[1:], self.activations, strict=True):
            weights, biases = p[offset : offset + fan_in * fan_out], p[offset + fan_in * fan_out :]
            units = tuple(
                ACTIVATIONS[activation](_affine(weights[j * fan_in : (j + 1) * fan_in], biases[j], units))
                for j in range(fan_out)
            )
            offset += fan_in * fan_out + fan_out
        if self.sum_outputs:
            total = units[0]
            for unit in units[1:]:
                total = total + unit
            return (total,)
        return units


def _affine(weights: Columns, bias: torch.Tensor, units: Columns) -> torch.Tensor:
    """``w0 * u0 + w1 * u1 + ... + b`` by broadcasting, summed left to right."""
    total = weights[0] * units[0]
    for w, u in zip(weights[1:], units[1:], strict=True):
        total = total + w * u
    return total + bias


def _param_names(widths: tuple[int, ...]) -> tuple[str, ...]:
    """``nn.Sequential`` state_dict order: ``"{2*l}.weight[j,i]"`` row-major, then ``"{2*l}.bias[j]"``."""
    names: list[str] = []
    for layer, (fan_in, fan_out) in enumerate(pairwise(widths)):
        names += [f"{2 * layer}.weight[{j},{i}]" for j in range(fan_out) for i in range(fan_in)]
        names += [f"{2 * layer}.bias[{j}]" for j in range(fan_out)]
    return tuple(names)


def _check_activation(name: str) -> str:
    """The activation name itself, or ``ValueError`` listing the known ones."""
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; known activations: {', '.join(sorted(ACTIVATIONS))}")
    return name


def mlp(
    widths: Sequence[int],
    activations: Sequence[str],
    output_activation: str | None = None,
    *,
    sum_outputs: bool = False,
    name: str | None = None,
) -> Model:
    """A small MLP ``Linear(widths[0], widths[1]) -> activations[0] -> ... -> Linear(.., widths[-1])``.

    ``activations`` has one name per hidden layer (``len(widths) - 2``); ``output_activation``
    (default identity) follows the last layer; ``sum_outputs`` sums the last layer's units into
    one output (a fixed all-ones read-out, as ``relu_pair``). ``name`` defaults to e.g.
    ``"mlp_2_3_1_sigmoid_sigmoid"``.
    """
    widths = tuple(widths)
    if len(widths) < 2 or not all(_checks.is_int(w) and w >= 1 for w in widths):
        raise ValueError(f"widths must be at least two ints >= 1 (inputs, ..., outputs), got {widths!r}")
    hidden = tuple(_check_activation(a) for a in activations)
    if len(hidden) != len(widths) - 2:
        raise ValueError(
            f"widths {widths} have {len(widths) - 2} hidden layers but {len(hidden)} activations were given"
        )
    output = _check_activation(output_activation or "identity")
    forward = MLPForward(widths, hidden + (output,), bool(sum_outputs))
    if name is None:
        suffix = "_sum" if sum_outputs else ""
        name = "mlp_" + "_".join(map(str, widths)) + "".join(f"_{a}" for a in hidden + (output,)) + suffix
    return Model(name, _param_names(widths), widths[0], 1 if sum_outputs else widths[-1], forward)


MODELS: dict[str, Model] = {
    model.name: model
    for model in (
        mlp((2, 1), (), "abs", name="abs_neuron"),
        mlp((2, 2), (), "relu", sum_outputs=True, name="relu_pair"),
        mlp((2, 2, 2), ("relu",), name="mlp_2_2_2"),
        mlp((1, 1), (), name="linear_1d"),
    )
}


def register_model(model: Model) -> Model:
    """Add ``model`` to the registry (so ``get_model(model.name)`` finds it); return it.

    Registering the same model twice is allowed; another model under a taken name is an error.
    """
    if not isinstance(model, Model):
        raise ValueError(f"model must be a harness.engine.models.Model, got {model!r}")
    known = MODELS.get(model.name)
    if known is not None and known != model:
        raise ValueError(f"a different model is already registered as {model.name!r}")
    MODELS[model.name] = model
    return model


def get_model(name: str) -> Model:
    """The registered model called ``name``; ``ValueError`` listing the known names otherwise."""
    try:
        return MODELS[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; known models: {', '.join(sorted(MODELS))}") from None


def check_population(model: Model, params: torch.Tensor) -> None:
    """Raise ``ValueError`` unless ``params`` is a finite floating (B, P) tensor with B >= 1 for ``model``."""
    _checks.check_population(model.name, model.n_params, params)


def check_data(model: Model, X: torch.Tensor, Y: torch.Tensor) -> None:
    """Raise ``ValueError`` unless X is (N, D) and Y is (N, O) for ``model``, N >= 1, all finite."""
    _checks.check_data(model.name, model.n_inputs, model.n_outputs, X, Y)


def batched_forward(model: Model, params: torch.Tensor, X: torch.Tensor) -> torch.Tensor:
    """Outputs of every member on every sample: params (B, P), X (N, D) -> (B, N, O)."""
    check_population(model, params)
    _checks.check_inputs(model.name, model.n_inputs, X)
    X = X.to(dtype=params.dtype, device=params.device)
    columns = [column.unsqueeze(1) for column in params.unbind(1)]  # P x (B, 1)
    outputs = model.forward(columns, X.unbind(1))  # O x (B, N)
    return torch.stack(outputs, dim=-1)

"""The batched-matrix formulation of an MLP population: layers as batched matrix products, hand-written backward.

What it is: the forward and backward pass of ``harness.engine.models.mlp`` networks for B members at
once, on one (B, P) parameter tensor in ``nn.Sequential`` order (layer l's weight is the (B, o, i)
view of its row-major block, its bias the (B, o) block after it). Activations are held
*feature-major*, (B, F, N): features, then samples. In that layout a layer that every member
applies to the same inputs (the first layer on shared data) is one (B*o, i) x (i, N) matrix product
over all members, and a layer with few inputs or outputs is a handful of broadcast multiply-adds
instead of a batched product of tiny matrices (measured at N = 64: 1.7-3.2x faster for 2 x 2 layers,
1.2-1.3x at 6 x 6, see ``docs/performance.md``). Wider layers are ``torch.baddbmm`` / ``torch.bmm`` calls.

The backward pass is written out per layer (chain rule on the saved activations, with autograd's
own activation-backward kernels where torch has one), so no autograd graph is built: on the
issue-23 table it trains 1.3-3.5x faster than autograd over the same batched products. It is
what the trainer uses for models too large for the column form (``harness.engine.formulations``).

What it is not: a general model API. Only MLPs built by ``models.mlp`` (``MLPForward``) have a
network here; other forward functions train in the column form.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise

import torch

from harness.engine.models import ACTIVATIONS, MLPForward, Model

# Layers with at most this many inputs (outputs) compute their product (input gradient) as broadcast
# multiply-adds, one per input (output); wider ones call bmm. A conservative cut: docs/performance.md
# measured the multiply-adds 1.2-3.2x faster up to fan 6 (B = 1,000, N = 64, one thread, load ~7).
SMALL_FAN = 4
# Sums over fewer samples than this run as matrix products: a reduction along a short innermost axis
# was 4-9x slower than bmm for the weight gradient and 6x slower than a product with ones for the
# bias gradient (B = 20,000, N = 4, measured, not recorded). docs/performance.md's whole-network
# measurement (2-2-2-1, B = 20,000): products faster below N = 16, the narrow paths from 16 on.
SHORT_SAMPLES = 32

aten = torch.ops.aten

# d act / dz times the upstream gradient g, from the pre-activation z or the output a (the same
# kernels autograd's backward uses). A new activation without an entry here trains in column form.
ACTIVATION_BACKWARD: dict[str, Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "identity": lambda g, z, a: g,
    "relu": lambda g, z, a: aten.threshold_backward(g, a, 0),
    "sigmoid": lambda g, z, a: aten.sigmoid_backward(g, a),
    "tanh": lambda g, z, a: aten.tanh_backward(g, a),
    "abs": lambda g, z, a: g * torch.sgn(z),
}
# Activations whose backward reads the pre-activation z (the others read the output a).
_NEEDS_INPUT = frozenset({"abs"})
# In-place forms, applied to a layer's freshly computed pre-activation (one allocation less per layer)
# and to a fresh upstream gradient: the same arithmetic, so the same bits as the forms above.
_IN_PLACE: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "identity": lambda z: z,
    "relu": torch.relu_,
    "sigmoid": torch.sigmoid_,
    "tanh": torch.tanh_,
}
_IN_PLACE_BACKWARD: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "identity": lambda g, a: g,
    "relu": lambda g, a: aten.threshold_backward.grad_input(g, a, 0, grad_input=g),
    "sigmoid": lambda g, a: aten.sigmoid_backward.grad_input(g, a, grad_input=g),
    "tanh": lambda g, a: aten.tanh_backward.grad_input(g, a, grad_input=g),
}


@dataclass(frozen=True)
class Layer:
    """One affine layer and its activation: ``fan_in`` i, ``fan_out`` o, and where its weight (o x i,
    row-major) and bias (o) start in a member's parameter row."""

    fan_in: int
    fan_out: int
    activation: str
    weight: int
    bias: int

    def weight_view(self, params: torch.Tensor) -> torch.Tensor:
        """The (B, o, i) weights of every member (a view of ``params`` (B, P))."""
        return params[:, self.weight : self.bias].view(-1, self.fan_out, self.fan_in)

    def bias_view(self, params: torch.Tensor) -> torch.Tensor:
        """The (B, o) biases of every member (a view)."""
        return params[:, self.bias : self.bias + self.fan_out]


@dataclass(frozen=True)
class Network:
    """The layers of an MLP, in order, and whether its outputs are summed into one (``relu_pair``)."""

    layers: tuple[Layer, ...]
    sum_outputs: bool

    @property
    def n_params(self) -> int:
        """P of one member."""
        last = self.layers[-1]
        return last.bias + last.fan_out


def network(model: Model) -> Network | None:
    """The network of ``model`` if it is an MLP whose activations all have a hand-written backward, else None."""
    spec = model.forward
    if not isinstance(spec, MLPForward) or not all(a in ACTIVATION_BACKWARD for a in spec.activations):
        return None
    layers, offset = [], 0
    for (fan_in, fan_out), activation in zip(pairwise(spec.widths), spec.activations, strict=True):
        layers.append(Layer(fan_in, fan_out, activation, offset, offset + fan_in * fan_out))
        offset += fan_in * fan_out + fan_out
    return Network(tuple(layers), spec.sum_outputs)


def feature_major(X: torch.Tensor) -> torch.Tensor:
    """Samples (N, D) shared by all members -> (D, N); per-member samples (B, N, D) -> (B, D, N) (a view)."""
    return X.transpose(-1, -2)


def _elementwise(fan: int, samples: int, autograd_order: bool) -> bool:
    """Whether a layer side of ``fan`` units over ``samples`` samples runs as broadcast multiply-adds
    (few units and many samples, or autograd's order) rather than as a batched product."""
    return fan <= SMALL_FAN and (autograd_order or samples >= SHORT_SAMPLES)


def _affine(layer: Layer, params: torch.Tensor, h: torch.Tensor, autograd_order: bool) -> torch.Tensor:
    """``W h + b`` of every member: h (i, N) shared or (B, i, N) per member -> (B, o, N)."""
    W, b = layer.weight_view(params), layer.bias_view(params)
    B, o, i = W.shape
    if h.dim() == 2:  # the same inputs for every member: one (B*o, i) x (i, N) product
        return torch.addmm(b.reshape(B * o, 1), W.reshape(B * o, i), h).view(B, o, h.shape[1])
    if not _elementwise(i, h.shape[-1], autograd_order):
        return torch.baddbmm(b.unsqueeze(-1), W, h)
    if i == 1:  # w h + b, rounded in that order (as autograd of w x + b)
        return (W * h).add_(b.unsqueeze(-1))
    if i <= SMALL_FAN:  # w0 h0 + w1 h1 + ... + b, rounded in that order (as the column form)
        z = W[:, :, :1] * h[:, :1]
        for k in range(1, i):
            z = z.addcmul_(W[:, :, k : k + 1], h[:, k : k + 1])
        return z.add_(b.unsqueeze(-1))
    return torch.baddbmm(b.unsqueeze(-1), W, h)


def _sample_sum(t: torch.Tensor, autograd_order: bool) -> torch.Tensor:
    """``t`` (B, F, N) summed over its samples -> (B, F): a product with ones for few samples."""
    if autograd_order or t.shape[-1] >= SHORT_SAMPLES:
        return t.sum(-1)
    if t.shape[-1] == 1:
        return t[..., 0]
    return torch.matmul(t, t.new_ones(t.shape[-1], 1)).squeeze(-1)


def _affine_backward(
    layer: Layer, params: torch.Tensor, h: torch.Tensor, g: torch.Tensor, input_grad: bool, autograd_order: bool
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """Gradients of the weights (B, o*i), biases (B, o) and, if ``input_grad``, the inputs (B, i, N),
    from the upstream gradient g (B, o, N) and the layer's inputs h ((i, N) shared or (B, i, N)).

    ``autograd_order``: the weight and bias gradients as autograd reduces them (elementwise products
    summed over the samples), whatever is fastest otherwise.
    """
    B, o, i, N = g.shape[0], layer.fan_out, layer.fan_in, g.shape[-1]
    summed = autograd_order or (N >= SHORT_SAMPLES and i <= SMALL_FAN and o <= SMALL_FAN)
    if h.dim() == 2:
        dW = torch.mm(g.reshape(B * o, -1), h.t())
    elif summed and i == 1:
        dW = (g * h).sum(-1)  # (B, o)
    elif summed:
        dW = (g.unsqueeze(2) * h.unsqueeze(1)).sum(-1)  # (B, o, i, N) summed over samples
    elif N == 1:
        dW = g * h.transpose(1, 2)  # one sample: the outer product
    else:
        dW = torch.bmm(g, h.transpose(1, 2))
    dh = None
    if input_grad:
        W = layer.weight_view(params)
        if _elementwise(o, N, autograd_order):
            dh = W[:, 0, :, None] * g[:, :1]
            for k in range(1, o):
                dh = dh.addcmul_(W[:, k, :, None], g[:, k : k + 1])
        else:
            dh = torch.bmm(W.transpose(1, 2), g)
    return dW.view(B, o * i), _sample_sum(g, autograd_order), dh


def _forward(
    net: Network, params: torch.Tensor, XT: torch.Tensor, autograd_order: bool = False
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Per layer (pre-activation z, output a), each (B, o, N); z is kept only where the backward reads it."""
    saved, h = [], XT
    for layer in net.layers:
        z = _affine(layer, params, h, autograd_order)
        in_place = _IN_PLACE.get(layer.activation)
        h = in_place(z) if in_place is not None else ACTIVATIONS[layer.activation](z)
        saved.append((z if layer.activation in _NEEDS_INPUT else h, h))
    return saved


def _outputs(net: Network, a: torch.Tensor) -> torch.Tensor:
    """The network's outputs (B, O, N) from the last layer's activations."""
    return a.sum(1, keepdim=True) if net.sum_outputs else a


def forward(net: Network, params: torch.Tensor, XT: torch.Tensor) -> torch.Tensor:
    """Outputs (B, O, N) of every member; XT feature-major, (D, N) shared or (B, D, N) per member."""
    return _outputs(net, _forward(net, params, XT)[-1][1])


def loss_and_grad(
    net: Network,
    params: torch.Tensor,
    XT: torch.Tensor,
    YT: torch.Tensor,
    scale: torch.Tensor | None = None,
    *,
    autograd_order: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-member MSE (B,) and the gradient (B, P) of ``scale * MSE`` (``scale`` (B,): a per-member loss
    scale, None: 1) in ``params``' order.

    XT, YT feature-major: (D, N), (O, N) shared or (B, D, N), (B, O, N) per member. Every operation
    runs in ``params``' dtype, in autograd's order for the loss (``(2 r) (scale / n)``); with
    ``autograd_order`` the sums over samples are autograd's too (float16 studies: the same bits as
    autograd for the linear layer), otherwise the fastest kernels for the shape.
    """
    saved = _forward(net, params, XT, autograd_order)
    residual = _outputs(net, saved[-1][1]) - YT  # (B, O, N)
    count = residual.shape[-1] * residual.shape[-2]
    if autograd_order or residual.shape[-1] >= SHORT_SAMPLES:
        loss = residual.square().mean((1, 2))
    elif count == 1:
        loss = residual.square().view(-1)
    else:
        loss = _sample_sum(residual.square().view(-1, 1, count), False).squeeze(1) / count
    if scale is None:
        g = residual * (2.0 / count)
    else:
        g = (residual * 2) * (scale.to(residual.dtype)[:, None, None] / count)
    if net.sum_outputs:
        g = g.expand_as(saved[-1][1])
    pieces: list[torch.Tensor] = []
    for index in range(len(net.layers) - 1, -1, -1):
        layer = net.layers[index]
        z, a = saved[index]
        in_place = _IN_PLACE_BACKWARD.get(layer.activation)
        fresh = g.is_contiguous() and g.shape == a.shape  # not the expanded gradient of summed outputs
        g = in_place(g, a) if in_place is not None and fresh else ACTIVATION_BACKWARD[layer.activation](g, z, a)
        inputs = saved[index - 1][1] if index else XT
        dW, db, dh = _affine_backward(layer, params, inputs, g, index > 0, autograd_order)
        pieces += [db, dW]
        if dh is not None:
            g = dh
    return loss, torch.cat(pieces[::-1], dim=1)

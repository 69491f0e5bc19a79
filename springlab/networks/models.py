"""The paper's networks (SPEC §3.1, §3.5): MLP, constant-shape CNN, deep linear net.

Every network here names the modules whose outputs are its features, in
:attr:`feature_layers` (``l = 0`` the normalised input, ``l = 1 .. depth``
the hidden layers after their activation; the output layer is excluded), so
:func:`springlab.networks.separation.load_curve` needs no other information. Models
built elsewhere work too: pass the layer names or types to the recorder.

Dropout is a property of the model (``dropout=``; change it during training
with :meth:`set_dropout`, as in Fig. S2).
"""
from __future__ import annotations

from collections import OrderedDict
from contextlib import contextmanager

import torch
from torch import nn

from .dropout import Dropout

__all__ = ["MLP", "ConstantShapeCNN", "DeepLinear", "FixedScale", "NORMS"]

#: Normalisations of :class:`MLP`.
NORMS: tuple[str, ...] = ("batch", "fixed", "none")


def _check_int(name: str, value, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"{name} must be an int >= {low}; got {value!r}")
    return value


def _check_dropout(p) -> float:
    if not (isinstance(p, (int, float)) and 0.0 <= p < 1.0):
        raise ValueError(f"dropout must be in [0, 1); got {p!r}")
    return float(p)


@contextmanager
def _seeded(seed: int | None):
    """Seed torch's generator for an initialisation without disturbing the caller's stream."""
    if seed is None:
        yield
        return
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


class FixedScale(nn.Module):
    r"""Multiply by a fixed constant :math:`c_l` (a buffer, not trained).

    The BatchNorm-free variant of the paper's MLP replaces each BatchNorm by
    one such scalar. :meth:`MLP.calibrate` sets them so that every
    normalised pre-activation has mean square 1 on a data batch at
    initialisation (``c_l = 1 / sqrt(mean(z_l^2))``, layer by layer).
    """

    def __init__(self):
        super().__init__()
        self.register_buffer("c", torch.ones(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.c

    def extra_repr(self) -> str:
        return f"c={float(self.c):.4g}"


class _Base(nn.Module):
    feature_layers: list[str]

    def set_dropout(self, p: float) -> None:
        """Set the dropout rate of every dropout layer (e.g. mid-training, Fig. S2)."""
        p = _check_dropout(p)
        for m in self.modules():
            if isinstance(m, nn.Dropout):
                m.p = p
        self.dropout = p


class MLP(_Base):
    r"""The paper's MLP (SPEC §3.1).

    ``input norm → [Linear → norm → LeakyReLU(α) → Dropout(p)] × depth → Linear``.

    Parameters
    ----------
    in_dim : int
        Inputs (100 for 10×10 MNIST).
    width : int, default 100
        Hidden units per layer.
    depth : int, default 7
        Hidden layers ``L`` (the paper's "8-layer" net has 7).
    alpha : float in [0, 1], default 0
        Negative slope of LeakyReLU: 0 is ReLU, 1 a linear network.
    dropout : float in [0, 1), default 0
        Dropout after every hidden activation.
    norm : {"batch", "fixed", "none"}, default "batch"
        BatchNorm (input and hidden layers), fixed constants ``c_l``
        (:class:`FixedScale`, set by :meth:`calibrate`; :func:`~springlab.train`
        calls it on the training inputs if you did not), or nothing.
    n_out : int, default 10
        Outputs (classes, or regression targets).
    seed : int, optional
        Seed of the initialisation (PyTorch's default init); ``None`` draws
        from torch's global generator.

    Attributes
    ----------
    feature_layers : list of str
        ``["input_norm", "hidden.0.act", ..., "hidden.{depth-1}.act"]``: the
        features ``x_0 .. x_L`` of the load curve.
    """

    def __init__(self, in_dim: int, *, width: int = 100, depth: int = 7, alpha: float = 0.0,
                 dropout: float = 0.0, norm: str = "batch", n_out: int = 10, seed: int | None = None):
        super().__init__()
        _check_int("in_dim", in_dim, 1)
        _check_int("width", width, 1)
        _check_int("depth", depth, 1)
        _check_int("n_out", n_out, 1)
        if not (isinstance(alpha, (int, float)) and 0.0 <= alpha <= 1.0):
            raise ValueError(f"alpha must be in [0, 1]; got {alpha!r}")
        if norm not in NORMS:
            raise ValueError(f"norm must be one of {NORMS}; got {norm!r}")
        self.in_dim, self.width, self.depth, self.alpha = in_dim, width, depth, float(alpha)
        self.dropout, self.norm, self.n_out = _check_dropout(dropout), norm, n_out

        def make_norm(n):
            return {"batch": lambda: nn.BatchNorm1d(n), "fixed": FixedScale, "none": nn.Identity}[norm]()

        with _seeded(seed):
            self.input_norm = make_norm(in_dim)
            self.hidden = nn.ModuleList(
                nn.Sequential(OrderedDict(
                    linear=nn.Linear(in_dim if i == 0 else width, width),
                    norm=make_norm(width),
                    act=nn.LeakyReLU(self.alpha),
                    drop=Dropout(self.dropout),
                ))
                for i in range(depth)
            )
            self.head = nn.Linear(width, n_out)
        self.feature_layers = ["input_norm"] + [f"hidden.{i}.act" for i in range(depth)]
        self.register_buffer("calibrated", torch.tensor(norm != "fixed"))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # inputs in the parameters' dtype: data are float32, a model may be float64 (agreement tests, sweeps)
        x = self.input_norm(x.flatten(1).to(self.head.weight.dtype))
        for layer in self.hidden:
            x = layer(x)
        return self.head(x)

    @torch.no_grad()
    def calibrate(self, x: torch.Tensor) -> "MLP":
        """Set the fixed constants ``c_l`` (``norm="fixed"``) from a data batch.

        Layer by layer, in eval mode, ``c_l = 1 / sqrt(mean(z^2))`` where
        ``z`` is the tensor the constant multiplies (the input, then each
        pre-activation), so that each scaled pre-activation has mean square 1.
        A no-op for other norms.
        """
        if self.norm != "fixed":
            return self
        was = self.training
        self.eval()
        x = x.flatten(1).to(self.head.weight.device, self.head.weight.dtype)  # the model's dtype (float64 too)

        def set_c(mod: FixedScale, z):
            mod.c.fill_(1.0 / float(z.pow(2).mean().clamp_min(1e-12).sqrt()))
            return mod(z)

        x = set_c(self.input_norm, x)
        for layer in self.hidden:
            x = layer.drop(layer.act(set_c(layer.norm, layer.linear(x))))
        self.calibrated.fill_(True)
        self.train(was)
        return self

    def extra_repr(self) -> str:
        return f"L={self.depth}, alpha={self.alpha}, dropout={self.dropout}, norm={self.norm!r}"


class ConstantShapeCNN(_Base):
    """The constant-shape CNN of Fig. S2 (SPEC §3.5).

    Input BatchNorm, then ``depth`` blocks ``Conv3×3 (padding 1) → BatchNorm →
    ReLU → MaxPool(2) → nearest Upsample(2) → Dropout(p)``, so every block
    keeps the shape ``channels × H × W``; then ``Linear(channels·H·W → n_out)``.
    Inputs may come flattened (as from :func:`~springlab.load_dataset`):
    they are viewed as ``image_shape``.

    Parameters
    ----------
    image_shape : (C, H, W), default (1, 10, 10)
        H and W must be even (pooling then upsampling restores them).
    channels : int, default 16
    depth : int, default 7
    dropout : float in [0, 1), default 0
    n_out : int, default 10
    seed : int, optional

    Attributes
    ----------
    feature_layers : list of str
        ``["input_norm", "blocks.0.drop", ...]``: the features after each
        block (dropout is the identity in eval mode, where they are measured).
    """

    def __init__(self, image_shape: tuple[int, int, int] = (1, 10, 10), *, channels: int = 16, depth: int = 7,
                 dropout: float = 0.0, n_out: int = 10, seed: int | None = None):
        super().__init__()
        if len(image_shape) != 3 or any(int(s) < 1 for s in image_shape):
            raise ValueError(f"image_shape must be (C, H, W) of positive ints; got {image_shape!r}")
        C, H, W = (int(s) for s in image_shape)
        if H % 2 or W % 2:
            raise ValueError(f"image_shape H and W must be even (pool then upsample); got {image_shape!r}")
        _check_int("channels", channels, 1)
        _check_int("depth", depth, 1)
        _check_int("n_out", n_out, 1)
        self.image_shape, self.channels, self.depth = (C, H, W), channels, depth
        self.dropout, self.n_out = _check_dropout(dropout), n_out
        with _seeded(seed):
            self.input_norm = nn.BatchNorm2d(C)
            self.blocks = nn.ModuleList(
                nn.Sequential(OrderedDict(
                    conv=nn.Conv2d(C if i == 0 else channels, channels, 3, padding=1),
                    norm=nn.BatchNorm2d(channels),
                    act=nn.ReLU(),
                    pool=nn.MaxPool2d(2),
                    up=nn.Upsample(scale_factor=2, mode="nearest"),
                    drop=Dropout(self.dropout),
                ))
                for i in range(depth)
            )
            self.head = nn.Linear(channels * H * W, n_out)
        self.feature_layers = ["input_norm"] + [f"blocks.{i}.drop" for i in range(depth)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.input_norm(x.reshape(x.shape[0], *self.image_shape))
        for block in self.blocks:
            x = block(x)
        return self.head(x.flatten(1))


class DeepLinear(_Base):
    """A deep linear network with orthogonal initialisation (Fig. 5a, SPEC §3.5).

    ``x → W_1 x → ... → W_depth x → head``: square ``width × width`` layers
    without bias, BatchNorm or activation, each initialised as a random
    orthogonal matrix (``torch.nn.init.orthogonal_``), optional dropout
    after each layer, and a linear head (also orthogonal-initialised).

    Parameters
    ----------
    in_dim : int
    width : int, optional
        Defaults to ``in_dim`` (square layers: the features of every layer
        at initialisation are a rotation of the input).
    depth : int, default 7
    dropout : float in [0, 1), default 0
    n_out : int, default 2
    seed : int, optional

    Attributes
    ----------
    feature_layers : list of str
        ``["input", "drops.0", ...]``: the input itself (``l = 0``, an
        identity module) and each linear layer's output (after its dropout,
        which is the identity in eval mode).
    """

    def __init__(self, in_dim: int, *, width: int | None = None, depth: int = 7, dropout: float = 0.0,
                 n_out: int = 2, seed: int | None = None):
        super().__init__()
        _check_int("in_dim", in_dim, 1)
        width = in_dim if width is None else _check_int("width", width, 1)
        _check_int("depth", depth, 1)
        _check_int("n_out", n_out, 1)
        self.in_dim, self.width, self.depth, self.n_out = in_dim, width, depth, n_out
        self.dropout = _check_dropout(dropout)
        with _seeded(seed):
            self.input = nn.Identity()
            self.layers = nn.ModuleList(nn.Linear(in_dim if i == 0 else width, width, bias=False)
                                        for i in range(depth))
            self.drops = nn.ModuleList(Dropout(self.dropout) for _ in range(depth))
            self.head = nn.Linear(width, n_out, bias=False)
            for lin in [*self.layers, self.head]:
                nn.init.orthogonal_(lin.weight)
        self.feature_layers = ["input"] + [f"drops.{i}" for i in range(depth)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.input(x.flatten(1))
        for lin, drop in zip(self.layers, self.drops):
            x = drop(lin(x))
        return self.head(x)

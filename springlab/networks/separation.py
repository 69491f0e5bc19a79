r"""Data separation of features, layer by layer (SPEC §3.2; paper Eq. 2, 3, 9, S5).

For features :math:`x_i \in \mathbb{R}^d` with labels in ``K`` classes,
class ``k`` holding :math:`N_k` samples with mean :math:`\bar x_k`, and
:math:`\bar x` the mean of all :math:`N` samples, we use the **class-size
weighted** convention

.. math::

    \Sigma_w = \frac1N \sum_k \sum_{i \in k} (x_i - \bar x_k)(x_i - \bar x_k)^\top, \qquad
    \Sigma_b = \frac1N \sum_k N_k (\bar x_k - \bar x)(\bar x_k - \bar x)^\top,

so that :math:`\Sigma_w + \Sigma_b` is the total covariance, and

* :math:`D = \log(\operatorname{Tr}\Sigma_w / \operatorname{Tr}\Sigma_b)` (Eq. 3). In
  this convention ``D = log((N - K) / ((K - 1) · CH))`` with ``CH`` the
  Calinski–Harabasz score (scikit-learn); other weightings shift ``D`` by a
  constant per dataset and leave the curve's shape alone (SPEC §3.2).
* :math:`\hat D = \log \operatorname{Tr}(\Sigma_w \Sigma_b^{+})` (Eq. 9), in float64;
  the pseudo-inverse keeps the eigen-directions of :math:`\Sigma_b` whose
  eigenvalue exceeds ``rtol`` times the largest (default ``1e-9``: :math:`\Sigma_b`
  has rank at most ``K - 1``, and the rest are round-off).
* Regression (supplement S5): :math:`D = \sqrt{\min_{w,b} \frac{1}{2N}\sum_i \|y_i - w^\top x_i - b\|^2}`,
  the RMS residual (over :math:`\sqrt 2`) of the best affine predictor, from
  the normal equations in float64 with the same rank tolerance.

Everything is computed from **streaming sums** (:class:`ClassScatter`,
:class:`RegressionScatter`): per-class counts and sums, the sum of squared
norms, and only when needed (``Dhat``, regression) the ``d × d`` second
moment. Memory is ``O(K·d)`` for ``D`` and ``O(d² + K·d)`` for ``Dhat``,
never ``O(N·d)``: features are consumed batch by batch, and sums are kept
relative to the first batch's mean to avoid cancellation.

:class:`FeatureRecorder` captures the features of any ``nn.Module`` (forward
hooks, or torchvision's ``create_feature_extractor``), and :func:`load_curve`
turns a model and data into a :class:`~springlab.core.loadcurve.LoadCurve`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
import torch
from torch import nn

from ..core.loadcurve import LoadCurve

__all__ = [
    "separation",
    "LayerStats",
    "layer_stats",
    "regression_load",
    "ClassScatter",
    "RegressionScatter",
    "FeatureRecorder",
    "load_curve",
    "load_curves",
    "KINDS",
    "RTOL",
]

#: Separation measures of :func:`separation`.
KINDS: tuple[str, ...] = ("D", "Dhat")
#: Default relative eigenvalue tolerance of pseudo-inverses.
RTOL: float = 1e-9


def _flat64(x) -> torch.Tensor:
    t = torch.as_tensor(x)
    return t.reshape(t.shape[0], -1).to(torch.float64)


def _check_kind(kind: str) -> str:
    if kind not in KINDS + ("regression",):
        raise ValueError(f"kind must be one of {KINDS + ('regression',)}; got {kind!r}")
    return kind


class ClassScatter:
    """Streaming within- and between-class scatter of features (Eq. 2).

    Parameters
    ----------
    n_classes : int
        ``K``; labels must lie in ``0 .. K-1``.
    full : bool, default False
        Also accumulate the ``d × d`` second moment, needed for the matrices
        ``Σ_w`` and for ``Dhat``. Without it only traces are available.

    Examples
    --------
    >>> acc = ClassScatter(10)
    >>> for xb, yb in batches:          # doctest: +SKIP
    ...     acc.update(features(xb), yb)
    >>> acc.separation("D")             # doctest: +SKIP
    """

    def __init__(self, n_classes: int, *, full: bool = False):
        if not isinstance(n_classes, (int, np.integer)) or n_classes < 2:
            raise ValueError(f"n_classes must be an int >= 2; got {n_classes!r}")
        self.K, self.full = int(n_classes), bool(full)
        self.shift = self.counts = self.sums = self.sq = self.gram = None

    def update(self, features, labels) -> "ClassScatter":
        """Add a batch: ``features`` (n, ...) any shape after the first axis, ``labels`` (n,)."""
        x = _flat64(features)
        y = torch.as_tensor(labels, device=x.device).reshape(-1).long()
        if y.shape[0] != x.shape[0]:
            raise ValueError(f"features and labels disagree on the number of samples: {x.shape[0]} vs {y.shape[0]}")
        if y.numel() and (int(y.min()) < 0 or int(y.max()) >= self.K):
            raise ValueError(f"labels must lie in [0, {self.K - 1}]")
        if self.shift is None:
            d = x.shape[1]
            self.shift = x.mean(0) if x.shape[0] else torch.zeros(d, dtype=torch.float64, device=x.device)
            self.counts = torch.zeros(self.K, dtype=torch.float64, device=x.device)
            self.sums = torch.zeros(self.K, d, dtype=torch.float64, device=x.device)
            self.sq = torch.zeros((), dtype=torch.float64, device=x.device)
            if self.full:
                self.gram = torch.zeros(d, d, dtype=torch.float64, device=x.device)
        elif x.shape[1] != self.sums.shape[1]:
            raise ValueError(f"feature dimension changed from {self.sums.shape[1]} to {x.shape[1]}")
        xc = x - self.shift
        self.counts += torch.bincount(y, minlength=self.K).to(torch.float64)
        self.sums.index_add_(0, y, xc)
        self.sq += xc.pow(2).sum()
        if self.full:
            self.gram += xc.T @ xc
        return self

    # -- results -------------------------------------------------------------
    def _ready(self):
        if self.counts is None or float(self.counts.sum()) < 2:
            raise ValueError("need at least two samples before computing separation")
        present = self.counts > 0
        if int(present.sum()) < 2:
            raise ValueError("need samples from at least two classes")
        return present

    @property
    def n(self) -> int:
        """Samples seen."""
        return 0 if self.counts is None else int(self.counts.sum())

    def class_means(self) -> torch.Tensor:
        """Per-class means, shape (K, d) (NaN rows for absent classes)."""
        return self.sums / self.counts[:, None] + self.shift

    def _between_parts(self):
        present = self._ready()
        N = self.counts.sum()
        s, c = self.sums[present], self.counts[present]
        means = s / c[:, None]
        grand = s.sum(0) / N
        M = (means - grand) * torch.sqrt(c / N)[:, None]  # Σ_b = Mᵀ M
        return N, s, c, M

    def traces(self) -> tuple[float, float]:
        """``(Tr Σ_w, Tr Σ_b)`` in units of feature².

        Computed as ``Tr Σ_w = (Σ‖x‖² - Σ_k ‖s_k‖²/N_k) / N`` and
        ``Tr Σ_b = ‖M‖_F²`` with ``M`` the weighted centred class means.
        """
        N, s, c, M = self._between_parts()
        tw = (self.sq - (s.pow(2).sum(1) / c).sum()) / N
        tb = M.pow(2).sum()
        return float(tw.clamp_min(0.0)), float(tb)

    def within(self) -> torch.Tensor:
        """``Σ_w``, shape (d, d), float64 (needs ``full=True``)."""
        if not self.full:
            raise ValueError("Σ_w needs ClassScatter(..., full=True)")
        N, s, c, _ = self._between_parts()
        return (self.gram - (s.T / c) @ s) / N

    def between(self) -> torch.Tensor:
        """``Σ_b``, shape (d, d), float64."""
        _, _, _, M = self._between_parts()
        return M.T @ M

    def separation(self, kind: str = "D", *, rtol: float = RTOL) -> float:
        """``D`` (Eq. 3) or ``Dhat`` (Eq. 9) of the features seen so far (dimensionless)."""
        if _check_kind(kind) == "D":
            tw, tb = self.traces()
            return float(np.log(tw / tb)) if tb > 0 and tw > 0 else (float("inf") if tb == 0 else float("-inf"))
        if kind != "Dhat":
            raise ValueError("kind 'regression' needs RegressionScatter")
        if not self.full:
            raise ValueError("kind='Dhat' needs ClassScatter(..., full=True)")
        _, _, _, M = self._between_parts()
        # Σ_b = Mᵀ M = V diag(σ²) Vᵀ: its pseudo-inverse from the thin SVD of the small M (K × d)
        _, sv, Vh = torch.linalg.svd(M, full_matrices=False)
        lam = sv.pow(2)
        keep = lam > rtol * lam.max() if lam.numel() and float(lam.max()) > 0 else torch.zeros_like(lam, dtype=torch.bool)
        if not bool(keep.any()):
            return float("inf")
        V = Vh[keep]  # (r, d)
        quad = ((V @ self.within()) * V).sum(1)  # v_iᵀ Σ_w v_i
        tr = float((quad / lam[keep]).sum())
        return float(np.log(tr)) if tr > 0 else float("-inf")


class RegressionScatter:
    """Streaming normal equations for the regression load (supplement S5).

    Accumulates ``n``, the sums of ``[x, y]`` and their ``(d+m) × (d+m)``
    second moment (shifted by the first batch's mean), in float64.
    """

    def __init__(self):
        self.shift = self.s = self.G = None
        self.n = 0
        self.d = None

    def update(self, features, targets) -> "RegressionScatter":
        x = _flat64(features)
        y = _flat64(torch.as_tensor(targets, device=x.device).reshape(x.shape[0], -1))
        z = torch.cat([x, y], 1)
        if self.shift is None:
            self.d = x.shape[1]
            self.shift = z.mean(0)
            self.s = torch.zeros_like(self.shift)
            self.G = torch.zeros(z.shape[1], z.shape[1], dtype=torch.float64, device=z.device)
        elif x.shape[1] != self.d:
            raise ValueError(f"feature dimension changed from {self.d} to {x.shape[1]}")
        zc = z - self.shift
        self.n += z.shape[0]
        self.s += zc.sum(0)
        self.G += zc.T @ zc
        return self

    def load(self, *, rtol: float = RTOL) -> float:
        """``sqrt(min_{w,b} (1/2N) Σ ‖y - wᵀx - b‖²)`` in the units of ``y``."""
        if self.n < 2:
            raise ValueError("need at least two samples")
        mean = self.s / self.n
        C = self.G / self.n - torch.outer(mean, mean)  # covariance of [x, y]
        d = self.d
        Cxx, Cxy, Cyy = C[:d, :d], C[:d, d:], C[d:, d:]
        lam, U = torch.linalg.eigh(Cxx)
        keep = lam > rtol * lam.max().clamp_min(0) if float(lam.max()) > 0 else torch.zeros_like(lam, dtype=torch.bool)
        P = U[:, keep].T @ Cxy  # (r, m)
        explained = (P.pow(2) / lam[keep][:, None]).sum()
        mse = float((torch.trace(Cyy) - explained).clamp_min(0.0))
        return float(np.sqrt(mse / 2.0))


def separation(features, labels, kind: str = "D", *, n_classes: int | None = None, rtol: float = RTOL) -> float:
    """Data separation of one set of features.

    Parameters
    ----------
    features : tensor or array, shape (N, ...)
        Flattened after the first axis.
    labels : tensor or array, shape (N,)
        Class indices ``0 .. K-1``.
    kind : {"D", "Dhat"}, default "D"
        Eq. 3 (trace ratio) or Eq. 9 (``log Tr(Σ_w Σ_b⁺)``, float64).
    n_classes : int, optional
        ``K`` (default ``max(labels) + 1``).
    rtol : float, default 1e-9
        Relative eigenvalue cut-off of the pseudo-inverse (``Dhat``).

    Returns
    -------
    float
        Dimensionless; lower is better separated.
    """
    _check_kind(kind)
    if kind == "regression":
        return regression_load(features, labels, rtol=rtol)
    y = torch.as_tensor(labels).reshape(-1)
    K = int(y.max()) + 1 if n_classes is None else n_classes
    return ClassScatter(K, full=kind == "Dhat").update(features, y).separation(kind, rtol=rtol)


def regression_load(features, targets, *, rtol: float = RTOL) -> float:
    """Regression load of features (supplement S5; SPEC §3.2).

    Parameters
    ----------
    features : shape (N, ...)
    targets : shape (N,) or (N, m)

    Returns
    -------
    float
        ``sqrt(min_{w,b} (1/2N) Σ ‖y - wᵀx - b‖²)``, in units of ``y``.
    """
    return RegressionScatter().update(features, targets).load(rtol=rtol)


# -- capturing features of any model ---------------------------------------------------------------
class FeatureRecorder:
    """Capture intermediate features of any ``nn.Module``.

    Parameters
    ----------
    model : nn.Module
    layers : sequence of str, or a module type / tuple of types, optional
        Module names (as in ``model.named_modules()``) or node names (with
        ``method="fx"``), or types: every submodule of those types, in
        registration order. Default: ``model.feature_layers`` when the model
        defines it (springlab's networks), else every activation module
        (ReLU, LeakyReLU, GELU, Tanh, Sigmoid, SiLU, ELU).
    include_input : bool, default False
        Prepend the model's input itself as feature ``"input"``.
    method : {"hooks", "fx"}, default "hooks"
        Forward hooks (any module, any control flow), or torchvision's
        ``create_feature_extractor`` (symbolic tracing; nodes may be
        functional calls too).

    Calling the recorder runs the model on ``x`` and returns an ordered
    ``dict`` name → feature tensor. A module that runs several times in one
    forward pass (a shared ReLU) gives ``name``, ``name#1``, ...
    """

    ACTIVATIONS = (nn.ReLU, nn.LeakyReLU, nn.GELU, nn.Tanh, nn.Sigmoid, nn.SiLU, nn.ELU)

    def __init__(self, model: nn.Module, layers=None, *, include_input: bool = False, method: str = "hooks"):
        if method not in ("hooks", "fx"):
            raise ValueError(f"method must be 'hooks' or 'fx'; got {method!r}")
        self.model, self.method, self.include_input = model, method, include_input
        if layers is None:
            layers = getattr(model, "feature_layers", None) or self.ACTIVATIONS
        if isinstance(layers, type) or (isinstance(layers, tuple) and layers and all(isinstance(t, type) for t in layers)):
            names = [n for n, m in model.named_modules() if n and isinstance(m, layers)]
            if not names:
                raise ValueError(f"model has no submodule of type {layers!r}")
        else:
            names = [str(n) for n in layers]
            if not names:
                raise ValueError("layers must name at least one layer")
        if method == "hooks":
            modules = dict(model.named_modules())
            missing = [n for n in names if n not in modules]
            if missing:
                raise ValueError(f"layers not found in the model: {missing}; "
                                 f"available: {[n for n in modules if n][:20]}...")
        self.names = names
        self._extractor = None

    def _run_hooks(self, x) -> dict[str, torch.Tensor]:
        out: dict[str, torch.Tensor] = {}
        modules = dict(self.model.named_modules())

        def hook_for(name):
            def hook(_m, _inp, output):
                key, i = name, 0
                while key in out:
                    i += 1
                    key = f"{name}#{i}"
                out[key] = output
            return hook

        handles = [modules[n].register_forward_hook(hook_for(n)) for n in self.names]
        try:
            self.model(x)
        finally:
            for h in handles:
                h.remove()
        ordered = {}
        for n in self.names:  # the order asked for, repeats after their first call
            for key in [k for k in out if k == n or k.startswith(n + "#")]:
                ordered[key] = out[key]
        return ordered

    def __call__(self, x) -> dict[str, torch.Tensor]:
        if self.method == "hooks":
            feats = self._run_hooks(x)
        else:
            if self._extractor is None:
                from torchvision.models.feature_extraction import create_feature_extractor

                self._extractor = create_feature_extractor(self.model, return_nodes=list(self.names))
            self._extractor.train(self.model.training)
            feats = dict(self._extractor(x))
        if self.include_input:
            feats = {"input": x, **feats}
        return feats


def _batches(n: int, batch_size: int | None) -> Iterable[slice]:
    bs = n if not batch_size else int(batch_size)
    for i in range(0, n, bs):
        yield slice(i, min(i + bs, n))


@torch.no_grad()
def load_curves(model: nn.Module, x, y, *, kinds: Sequence[str] = ("D",), layers=None, include_input=None,
                method: str = "hooks", batch_size: int | None = 4096, n_classes: int | None = None,
                rtol: float = RTOL) -> dict[str, LoadCurve]:
    """Several load curves of one model from a single pass over the data.

    Same parameters as :func:`load_curve`, with ``kinds`` a sequence of
    kinds; returns ``{kind: LoadCurve}``.
    """
    for k in kinds:
        _check_kind(k)
    y = torch.as_tensor(y)
    regression = y.is_floating_point()
    if regression and any(k != "regression" for k in kinds):
        kinds = ("regression",)
    if include_input is None:
        include_input = getattr(model, "feature_layers", None) is None and layers is None
    rec = FeatureRecorder(model, layers, include_input=include_input, method=method)
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    x = torch.as_tensor(x)
    K = (int(y.max()) + 1 if n_classes is None else n_classes) if not regression else 0
    accs: dict[str, dict[str, object]] = {k: {} for k in kinds}
    was = model.training
    model.eval()
    try:
        for sl in _batches(x.shape[0], batch_size):
            xb, yb = x[sl].to(device), y[sl].to(device)
            for name, f in rec(xb).items():
                for k in kinds:
                    acc = accs[k].get(name)
                    if acc is None:
                        acc = accs[k][name] = RegressionScatter() if k == "regression" else \
                            ClassScatter(K, full=k == "Dhat")
                    acc.update(f, yb)
    finally:
        model.train(was)
    out = {}
    for k, per_layer in accs.items():
        vals = [a.load(rtol=rtol) if k == "regression" else a.separation(k, rtol=rtol) for a in per_layer.values()]
        out[k] = LoadCurve(np.array(vals))
    return out


def load_curve(model: nn.Module, x, y, *, kind: str = "D", layers=None, include_input=None,
               method: str = "hooks", batch_size: int | None = 4096, n_classes: int | None = None,
               rtol: float = RTOL) -> LoadCurve:
    """The load curve ``D_0 .. D_L`` of a model on data (SPEC §3.1–3.2).

    Features are computed in eval mode, without gradients, ``batch_size``
    samples at a time, and streamed into per-layer accumulators, so memory
    stays bounded however large the features are; the model's train/eval
    mode is restored afterwards.

    Parameters
    ----------
    model : nn.Module
        springlab networks know their feature layers; for other models give
        ``layers`` (names or types, :class:`FeatureRecorder`).
    x : tensor, shape (N, ...)
        Inputs (moved batch by batch to the model's device).
    y : tensor, shape (N,) int or (N, m) float
        Class labels, or regression targets (then ``kind`` is "regression").
    kind : {"D", "Dhat", "regression"}, default "D"
    layers : optional
        See :class:`FeatureRecorder`.
    include_input : bool, optional
        Put the raw input first (``D_0``). Default: True for models that do
        not define ``feature_layers`` and no ``layers`` given, else False.
    batch_size : int or None, default 4096
        Samples per forward pass (None: all at once). BatchNorm in eval
        mode makes the result independent of it.

    Returns
    -------
    LoadCurve
    """
    y_t = torch.as_tensor(y)
    if y_t.is_floating_point():
        kind = "regression"
    return load_curves(model, x, y_t, kinds=(kind,), layers=layers, include_input=include_input, method=method,
                       batch_size=batch_size, n_classes=n_classes, rtol=rtol)[kind]


@dataclass
class LayerStats:
    """Per-layer statistics of one model on one dataset (layers ``0 .. L``).

    Attributes
    ----------
    tr_within, tr_between : ndarray, shape (L+1,)
        ``Tr Σ_w`` and ``Tr Σ_b`` (Eq. 2), in units of feature².
    D, Dhat : ndarray, shape (L+1,)
        ``log(Tr Σ_w / Tr Σ_b)`` (Eq. 3) and ``log Tr(Σ_w Σ_b⁺)`` (Eq. 9).
    projection : ndarray, shape (L+1, n, 2)
        ``n`` samples (a fixed random subset) projected on the two leading directions of ``Σ_b``
        (where the class means spread most), in units of the within-class
        standard deviation along them.
    labels : ndarray, shape (n,)
    """

    tr_within: np.ndarray
    tr_between: np.ndarray
    D: np.ndarray
    Dhat: np.ndarray
    projection: np.ndarray
    labels: np.ndarray


def layer_stats(model, x, y, n_classes: int, *, n_project: int = 600) -> LayerStats:
    """Measure ``Σ_w``, ``Σ_b``, ``D`` and ``D̂`` at every feature layer of ``model`` (eval mode).

    Uses :class:`springlab.FeatureRecorder` (the model's own feature layers)
    and :class:`springlab.ClassScatter`; ``n_project`` samples (a fixed
    random subset) are projected for the scatter plot.
    """
    import torch

    rec = FeatureRecorder(model)
    # a fixed random subset for the scatter plot (datasets may be stored sorted by class)
    pick = torch.randperm(x.shape[0], generator=torch.Generator().manual_seed(0))[:n_project]
    was = model.training
    model.eval()
    with torch.no_grad():
        feats = rec(x)
    model.train(was)
    tw, tb, D, Dh, proj = [], [], [], [], []
    for f in feats.values():
        f = f.reshape(f.shape[0], -1).double()
        acc = ClassScatter(n_classes, full=True).update(f, y)
        w, b = acc.traces()
        tw.append(w)
        tb.append(b)
        D.append(acc.separation("D"))
        Dh.append(acc.separation("Dhat"))
        # the two directions along which the class means spread most
        _, vec = torch.linalg.eigh(acc.between())
        V = vec[:, -2:].flip(1)
        within = acc.within()
        scale = torch.sqrt(torch.clamp(torch.einsum("di,de,ei->i", V, within, V), min=1e-12))
        fc = f[pick] - f.mean(0)
        proj.append(((fc @ V) / scale).numpy())
    return LayerStats(np.array(tw), np.array(tb), np.array(D), np.array(Dh), np.stack(proj),
                      y[pick].numpy().copy())

r"""Load curves: the one object that chains and networks both produce.

A *load curve* is the sequence :math:`D_0, D_1, \dots, D_L`: one value per
layer of a network (data separation, Eq. 3 of the paper) or per block of a
spring chain (distance to the target, :math:`D_l = y - x_l`). The *share* of
layer or spring :math:`l` is :math:`d_l = D_{l-1} - D_l`, and

* :math:`\Delta d_l = d_{l+1} - d_l > 0` on average: deeper layers take more
  load, the curve is **concave** (lazy training);
* :math:`\Delta d \approx 0`: **linear** (equiseparation);
* :math:`\Delta d < 0`: **convex** (shallow layers learn more).

Curvature
---------
We measure the bend of a curve by the signed area between it and its chord
(the straight line from :math:`D_0` to :math:`D_L`), relative to the largest
area a monotone curve with the same total drop can have:

.. math::

    \kappa = \frac{2}{L-1}\,
             \frac{\sum_{l=1}^{L-1} \bigl(D_l - [D_0 + \tfrac{l}{L}(D_L - D_0)]\bigr)}
                  {\sum_{l=1}^{L} |d_l|}.

For a monotone decreasing curve :math:`\kappa \in [-1, 1]`: :math:`+1` when
the whole drop happens in the last layer (a random-feature model),
:math:`-1` when it all happens in the first, :math:`0` for a straight line.
It is invariant to shifting and scaling :math:`D` (so to the weighting
convention of :math:`D`, SPEC §3.2), and it is a linear function of the
:math:`\Delta d_l`: for constant :math:`\Delta d` one finds
:math:`\kappa = \tfrac{L+1}{6}\,\Delta d / \bar d` with :math:`\bar d` the mean
share, so its sign is the sign of the mean :math:`\Delta d` (SPEC §1).

Shape thresholds
----------------
A curve is called *linear* when :math:`|\kappa| <` :data:`LINEAR_TOLERANCE`
(0.1), *concave* above, *convex* below. Why 0.1: at L = 7 it is the
curvature of a chain whose shares grow by 7.5 % of the mean share per spring
(:math:`\Delta d = 0.075\,\bar d`), so that the first and last springs differ
by about 45 % of the mean share -- the smallest bend that reads as bent in a
small panel of a phase diagram. The noiseless Eq. 7 chain at k = y = 1,
L = 7 crosses it at :math:`\mu_\to \approx 0.009`. Pass ``tolerance=`` to use
another value.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["LoadCurve", "curvature", "classify_shape", "LINEAR_TOLERANCE", "FLAT_TOLERANCE", "SHAPES"]

#: Curves with ``|curvature| < LINEAR_TOLERANCE`` are called linear (see module docstring).
LINEAR_TOLERANCE: float = 0.1

#: Curves whose total drop is below this fraction of their largest value count as flat (curvature 0).
FLAT_TOLERANCE: float = 1e-10

#: The three shapes, from lazy to active.
SHAPES: tuple[str, str, str] = ("concave", "linear", "convex")


def _as_curve_array(values, name: str = "values") -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim < 1 or arr.shape[-1] < 2:
        raise ValueError(
            f"{name} must hold at least two values D_0..D_L along its last axis; got shape {arr.shape}"
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite; got {arr!r}")
    return arr


def curvature(values) -> np.ndarray | float:
    """Dimensionless curvature of one or many load curves.

    Parameters
    ----------
    values : array_like, shape (..., L+1)
        Load curves ``D_0 .. D_L`` along the last axis (any units).

    Returns
    -------
    float or ndarray, shape (...)
        Normalised chord area (module docstring): > 0 concave, < 0 convex,
        in [-1, 1] for monotone curves; 0 for ``L < 2`` or a flat curve
        (total drop below :data:`FLAT_TOLERANCE` times ``max |D|``).
    """
    D = _as_curve_array(values)
    L = D.shape[-1] - 1
    if L < 2:
        out = np.zeros(D.shape[:-1])
        return float(out) if out.ndim == 0 else out
    l = np.arange(L + 1)
    chord = D[..., :1] + (D[..., -1:] - D[..., :1]) * l / L
    area = np.sum(D[..., 1:-1] - chord[..., 1:-1], axis=-1)
    total = np.sum(np.abs(np.diff(D, axis=-1)), axis=-1)
    # A drop at round-off level (a stuck chain, identical layers) is flat, not a random bend.
    bent = total > FLAT_TOLERANCE * np.max(np.abs(D), axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        kappa = np.where(bent, 2.0 / (L - 1) * area / np.where(bent, total, 1.0), 0.0)
    return float(kappa) if kappa.ndim == 0 else kappa


def classify_shape(kappa, tolerance: float = LINEAR_TOLERANCE):
    """Name the shape of curves from their curvature.

    Parameters
    ----------
    kappa : float or array_like
        Curvatures from :func:`curvature`.
    tolerance : float, default :data:`LINEAR_TOLERANCE`
        Curves with ``|kappa| < tolerance`` are ``"linear"``. Must be in (0, 1).

    Returns
    -------
    str or ndarray of str
        ``"concave"``, ``"linear"`` or ``"convex"``.
    """
    if not (0.0 < tolerance < 1.0):
        raise ValueError(f"tolerance must be in (0, 1); got {tolerance!r}")
    k = np.asarray(kappa, dtype=np.float64)
    out = np.where(k >= tolerance, "concave", np.where(k <= -tolerance, "convex", "linear"))
    return str(out) if out.ndim == 0 else out


@dataclass(frozen=True)
class LoadCurve:
    """A load curve ``D_0 .. D_L`` of a chain or a network (SPEC §1).

    Parameters
    ----------
    values : array_like, shape (L+1,)
        ``D_0`` (input, or the anchored block) first.
    tolerance : float, default 0.1
        Threshold of :func:`classify_shape`.

    Attributes
    ----------
    values : ndarray, shape (L+1,)
    d : ndarray, shape (L,)
        Shares ``d_l = D_{l-1} - D_l``.
    delta_d : ndarray, shape (L-1,)
        ``Δd_l = d_{l+1} - d_l``.
    curvature : float
        Dimensionless, > 0 concave, < 0 convex (module docstring).
    shape : str
        ``"concave"``, ``"linear"`` or ``"convex"``.
    """

    values: np.ndarray
    tolerance: float = field(default=LINEAR_TOLERANCE, repr=False)

    def __post_init__(self):
        arr = _as_curve_array(self.values)
        if arr.ndim != 1:
            raise ValueError(f"values must be one curve of shape (L+1,); got shape {arr.shape}")
        arr = arr.copy()
        arr.setflags(write=False)
        object.__setattr__(self, "values", arr)
        classify_shape(0.0, self.tolerance)  # validates tolerance

    @property
    def L(self) -> int:
        """Number of layers or springs (``len(values) - 1``)."""
        return self.values.size - 1

    @property
    def d(self) -> np.ndarray:
        return self.values[:-1] - self.values[1:]

    @property
    def delta_d(self) -> np.ndarray:
        return np.diff(self.d)

    @property
    def curvature(self) -> float:
        return float(curvature(self.values))

    @property
    def shape(self) -> str:
        return classify_shape(self.curvature, self.tolerance)

    def normalized(self) -> "LoadCurve":
        """The curve rescaled to run from 1 (``D_0``) to 0 (``D_L``); same shape."""
        D = self.values
        span = D[0] - D[-1]
        if span == 0:
            return LoadCurve(np.zeros_like(D), self.tolerance)
        return LoadCurve((D - D[-1]) / span, self.tolerance)

    def describe(self) -> str:
        """The shape and curvature as the plots label them, e.g. ``"concave (κ = +0.36)"``."""
        return f"{self.shape} (κ = {self.curvature:+.2f})"

    def plot(self, ax=None, **kwargs):
        """Draw the curve with :func:`springlab.core.plots.plot_load_curve`."""
        from .plots import plot_load_curve

        return plot_load_curve(self, ax=ax, **kwargs)

    def __eq__(self, other) -> bool:
        return isinstance(other, LoadCurve) and np.array_equal(self.values, other.values)

    def __hash__(self) -> int:
        return hash(self.values.tobytes())

    def __repr__(self) -> str:
        vals = ", ".join(f"{v:.4g}" for v in self.values)
        return f"LoadCurve([{vals}], curvature={self.curvature:+.3f}, shape={self.shape!r})"

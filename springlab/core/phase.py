"""Phase diagrams: load curves over a grid of two parameters.

The paper's Fig. 1 (networks: nonlinearity α against a noise knob) and
Fig. 3 (chains: friction μ→ against noise ε) are the same object: for each
cell of a ``rows × cols`` grid, the seed-averaged final load curve, its
curvature and shape, and one scalar that shades the background (test
accuracy for networks, elastic energy for chains). :class:`PhaseDiagram`
holds it, draws it, and saves it to a small ``.npz`` file that records how
it was made.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .loadcurve import LINEAR_TOLERANCE, LoadCurve, classify_shape, curvature

__all__ = ["PhaseDiagram", "shape_table", "phase_table", "subsample_axis"]


def _axis(axis, name: str) -> tuple[str, np.ndarray]:
    try:
        label, values = axis
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a (name, values) pair; got {axis!r}") from None
    values = np.asarray(values)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"{name} values must be a non-empty 1-D sequence; got shape {values.shape}")
    return str(label), values


@dataclass
class PhaseDiagram:
    """Seed-averaged load curves on a grid of two parameters.

    Parameters
    ----------
    rows, cols : (str, array_like)
        Name and values of the parameter along rows (R values) and columns (C values).
    load : ndarray, shape (R, C, L+1)
        Seed-averaged final load curve per cell.
    energy : ndarray, shape (R, C), optional
        Chains: seed-averaged elastic energy ``k/2 Σ d²`` (absolute, force × length).
    test_accuracy : ndarray, shape (R, C), optional
        Networks: seed-averaged test accuracy in [0, 1].
    load_seeds : ndarray, shape (R, C, S, L+1), optional
        The per-seed curves the average was taken over.
    metadata : dict
        How the diagram was made (model, fixed parameters, seeds, version).

    Attributes
    ----------
    curvature : ndarray, shape (R, C)
        Curvature of each averaged curve (:func:`springlab.core.loadcurve.curvature`).
    shape : ndarray of str, shape (R, C)
        ``"concave"``, ``"linear"`` or ``"convex"``.
    """

    rows: tuple[str, np.ndarray]
    cols: tuple[str, np.ndarray]
    load: np.ndarray
    energy: np.ndarray | None = None
    test_accuracy: np.ndarray | None = None
    load_seeds: np.ndarray | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    tolerance: float = LINEAR_TOLERANCE

    def __post_init__(self):
        self.rows = _axis(self.rows, "rows")
        self.cols = _axis(self.cols, "cols")
        R, C = self.rows[1].size, self.cols[1].size
        self.load = np.asarray(self.load, dtype=np.float64)
        if self.load.ndim != 3 or self.load.shape[:2] != (R, C):
            raise ValueError(f"load must have shape ({R}, {C}, L+1); got {self.load.shape}")
        for name in ("energy", "test_accuracy"):
            value = getattr(self, name)
            if value is not None:
                value = np.asarray(value, dtype=np.float64)
                if value.shape != (R, C):
                    raise ValueError(f"{name} must have shape ({R}, {C}); got {value.shape}")
                setattr(self, name, value)
        if self.load_seeds is not None:
            self.load_seeds = np.asarray(self.load_seeds, dtype=np.float64)
            if self.load_seeds.shape[:2] != (R, C) or self.load_seeds.shape[-1] != self.load.shape[-1]:
                raise ValueError(f"load_seeds must have shape ({R}, {C}, S, L+1); got {self.load_seeds.shape}")

    @property
    def curvature(self) -> np.ndarray:
        return curvature(self.load)

    @property
    def shape(self) -> np.ndarray:
        return classify_shape(self.curvature, self.tolerance)

    def curve(self, i: int, j: int) -> LoadCurve:
        """The averaged load curve of cell ``(i, j)``."""
        return LoadCurve(self.load[i, j], self.tolerance)

    def plot(self, ax=None, **kwargs):
        """Draw as in the paper (:func:`springlab.core.plots.plot_phase_diagram`)."""
        from .plots import plot_phase_diagram

        return plot_phase_diagram(self, ax=ax, **kwargs)

    # -- storage -----------------------------------------------------------
    def save(self, path) -> Path:
        """Write to ``path`` (``.npz``) atomically; :meth:`load_file` reads it back."""
        arrays = {
            "row_values": self.rows[1],
            "col_values": self.cols[1],
            "load": self.load,
        }
        for name in ("energy", "test_accuracy", "load_seeds"):
            if getattr(self, name) is not None:
                arrays[name] = getattr(self, name)
        header = {"rows": self.rows[0], "cols": self.cols[0], "tolerance": self.tolerance,
                  "metadata": self.metadata}
        arrays["header"] = np.frombuffer(json.dumps(header, sort_keys=True, default=str).encode(), dtype=np.uint8)
        return write_npz_atomic(path, arrays, compressed=True)

    @classmethod
    def load_file(cls, path) -> "PhaseDiagram":
        """Read a diagram written by :meth:`save`."""
        with np.load(Path(path), allow_pickle=False) as z:
            header = json.loads(bytes(z["header"]).decode())
            opt = {n: z[n] for n in ("energy", "test_accuracy", "load_seeds") if n in z.files}
            return cls(rows=(header["rows"], z["row_values"]), cols=(header["cols"], z["col_values"]),
                       load=z["load"], metadata=header["metadata"], tolerance=header["tolerance"], **opt)

    def __repr__(self) -> str:
        R, C, Lp1 = self.load.shape
        extra = [n for n in ("energy", "test_accuracy") if getattr(self, n) is not None]
        return (f"PhaseDiagram(rows={self.rows[0]!r} ×{R}, cols={self.cols[0]!r} ×{C}, L={Lp1 - 1}"
                + (", with " + ", ".join(extra) if extra else "") + ")")


def write_npz_atomic(path, arrays: dict, *, compressed: bool = False) -> Path:
    """Write ``arrays`` to ``path`` (``.npz``) through a temporary file and a rename.

    An interruption leaves the previous file (a resumable sweep's checkpoint,
    a shipped result) whole instead of half written. Returns the path.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        (np.savez_compressed if compressed else np.savez)(fh, **arrays)
    tmp.replace(path)
    return path


def subsample_axis(values, n: int | None):
    """``n`` of an axis's values, evenly spread by index with both ends kept (all when ``n`` is None or too large).

    A tuple gives a tuple, an array an array (reduced grids of Fig. 1 and Fig. 3, the live panels).
    """
    if n is None or n >= len(values):
        return values
    idx = np.unique(np.round(np.linspace(0, len(values) - 1, int(n))).astype(int))
    return values[idx] if isinstance(values, np.ndarray) else tuple(values[i] for i in idx)


def shape_table(pd, *, energy: bool = True) -> str:
    """A phase diagram as text: one letter per cell (``C`` concave, ``L`` linear, ``V`` convex).

    Parameters
    ----------
    pd : PhaseDiagram
    energy : bool
        Also list the mean elastic energy of each shape (chains).

    Returns
    -------
    str
        Rows labelled by their value, columns by theirs; deterministic (rounded).
    """
    letter = {"concave": "C", "linear": "L", "convex": "V"}
    rname, rvals = pd.rows
    cname, cvals = pd.cols
    width = max(6, max(len(f"{v:g}") for v in cvals) + 1)
    corner = f"{rname} / {cname}"
    lines = [f"{corner:>16} " + "".join(f"{v:>{width}g}" for v in cvals)]
    for i, r in enumerate(rvals):
        lines.append(f"{r:>16g} " + "".join(f"{letter[str(sh)]:>{width}}" for sh in pd.shape[i]))
    lines.append("C concave, L linear, V convex")
    if energy and pd.energy is not None:
        parts = []
        for sh in ("concave", "linear", "convex"):
            mask = pd.shape == sh
            if mask.any():
                parts.append(f"{sh} {np.mean(pd.energy[mask]):.4f} ({int(mask.sum())} cells)")
        lines.append("mean elastic energy: " + ", ".join(parts))
    return "\n".join(lines)


def phase_table(pd) -> str:
    """A network phase diagram as text: shape letter and test accuracy (%) per cell.

    ``C`` concave, ``L`` linear, ``V`` convex; rows α, columns the knob.
    Deterministic (rounded); NaN accuracies print as ``--``.
    """
    letter = {"concave": "C", "linear": "L", "convex": "V"}
    rname, rvals = pd.rows
    cname, cvals = pd.cols
    lines = [f"{rname + ' / ' + cname:>18} " + "".join(f"{v:>9g}" for v in cvals)]
    acc = pd.test_accuracy if pd.test_accuracy is not None else np.full(pd.curvature.shape, np.nan)
    for i, r in enumerate(rvals):
        cells = []
        for j in range(len(cvals)):
            a = acc[i, j]
            cells.append(f"{letter[str(pd.shape[i, j])]} {'--' if not np.isfinite(a) else f'{100 * a:4.1f}':>5}  ")
        lines.append(f"{r:>18g} " + "".join(f"{c:>9}" for c in cells))
    lines.append("C concave, L linear, V convex; number: test accuracy in %")
    return "\n".join(lines)

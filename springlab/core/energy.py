r"""Elastic energy of a load curve: one function for chains and networks.

A load curve :math:`D_0, \dots, D_L` is a chain of springs whose stretches
are the shares :math:`d_l = D_{l-1} - D_l`. With stiffness :math:`k` its
elastic energy is

.. math:: E = \frac{k}{2} \sum_l d_l^2 .

Among curves with the same total drop :math:`\Delta = \sum_l d_l` over
:math:`n` springs, :math:`E` is smallest when all shares are equal (the
linear curve): :math:`E_{\min} = k \Delta^2 / (2n)`, so
:math:`E / E_{\min} \ge 1` with equality exactly for a linear curve (SPEC §2.4,
"the equiseparated chain has the lowest elastic energy").

Which springs count (SPEC §2):

- a **chain** is anchored: its last block is tied to the target :math:`x_{L+1} = y`,
  where :math:`D_{L+1} = 0`, so there are :math:`L + 1` springs, the last of
  stretch :math:`D_L` (``anchored=True``; :func:`springlab.elastic_energy`
  of positions is this);
- a **network**'s load curve ends at its last hidden layer, :math:`D_L \ne 0`
  in general: :math:`L` springs, :math:`d_1 \dots d_L` (``anchored=False``).
"""
from __future__ import annotations

import numpy as np

__all__ = ["load_energy", "energy_ratio"]


def _stretches(values, anchored: bool) -> np.ndarray:
    D = np.asarray(values, dtype=np.float64)
    if D.ndim < 1 or D.shape[-1] < 2:
        raise ValueError(f"values must have shape (..., L+1) with L >= 1; got {D.shape}")
    if anchored:
        D = np.concatenate([D, np.zeros(D.shape[:-1] + (1,))], axis=-1)
    return -np.diff(D, axis=-1)


def load_energy(values, k=1.0, *, anchored: bool = False):
    """Elastic energy ``k/2 Σ d_l²`` of the springs of a load curve.

    Parameters
    ----------
    values : array_like, shape (..., L+1)
        Load curves ``D_0 .. D_L`` (any leading shape).
    k : float or array_like broadcasting to ``values.shape[:-1]``
        Spring stiffness (force per length).
    anchored : bool, default False
        Count the spring from ``D_L`` to the target ``D_{L+1} = 0`` (a chain:
        ``L+1`` springs); False for a network's curve (``L`` springs).

    Returns
    -------
    float or ndarray, shape (...)
        In units of k·(load units)².
    """
    e = 0.5 * np.asarray(k, dtype=np.float64) * np.sum(_stretches(values, anchored) ** 2, axis=-1)
    return float(e) if np.ndim(e) == 0 else e


def energy_ratio(values, *, anchored: bool = False):
    """``E / E_min``: the energy against the linear curve with the same total drop (≥ 1; 1 when linear).

    Parameters
    ----------
    values : array_like, shape (..., L+1)
    anchored : bool, default False
        As in :func:`load_energy`.

    Returns
    -------
    float or ndarray, shape (...)
        Dimensionless; NaN for a curve without drop (``E_min = 0``).
    """
    d = _stretches(values, anchored)
    n = d.shape[-1]
    drop = np.sum(d, axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(drop != 0, n * np.sum(d**2, axis=-1) / np.where(drop != 0, drop, 1.0) ** 2, np.nan)
    return float(r) if np.ndim(r) == 0 else r

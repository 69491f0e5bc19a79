r"""What theory predicts for the spring–block chain (SPEC §2.4; paper Eq. 7–8).

Every statement here is checked against simulation in
``tests/test_chain_theory.py``.

Noiseless equilibrium (Eq. 7)
-----------------------------
Without noise the first-order chain only moves right, and a moving block
slows down until its spring force has fallen to the friction threshold:
at rest, :math:`k (Lx)_l = \mu_\to` for every block that moved. With walls
:math:`x_0 = 0`, :math:`x_{L+1} = y` that linear recursion gives

.. math:: x_l^* = \frac{y\,l}{L+1} - \frac{\mu_\to}{k}\Bigl(\frac{L l}{2} - \frac{l(l-1)}{2}\Bigr),
          \qquad \Delta d^* = \mu_\to / k > 0 \text{ (concave)},

valid when every block moves, i.e. when :math:`x_1^* \ge 0`:
:math:`y \ge \mu_\to L (L+1) / (2k)` (:func:`all_blocks_move`). With a smaller
``y`` only the last ``m`` blocks move (:func:`moving_blocks`): they form the
same solution on a chain of ``m`` blocks anchored at the first stuck block,
and ``m`` is the unique integer with

.. math:: \frac{\mu_\to}{k}\frac{m(m+1)}{2} < y \le \frac{\mu_\to}{k}\frac{(m+1)(m+2)}{2}

(the first moved block is at :math:`x > 0`, the force on the first stuck one,
:math:`k x_{L-m+1}`, stays :math:`\le \mu_\to`).

Effective friction and large noise (Eq. 8)
------------------------------------------
Over one step of length :math:`\eta`, a block under force :math:`F = k\Delta d`
with noise :math:`\bar\varepsilon\zeta` (:math:`\bar\varepsilon = \varepsilon/\sqrt\eta`)
moves by :math:`\eta\,\sigma(F + \bar\varepsilon\zeta)`. The friction it
effectively feels, averaged over the steps in which it moves, is

.. math:: \mu_{\rm eff}(\bar\varepsilon) = E_\zeta\bigl[F - \sigma(F + \bar\varepsilon\zeta)
          \,\big|\, \sigma \ne 0\bigr]

(the paper writes :math:`\sigma - k\Delta d` and reads its magnitude; with
this sign :math:`\mu_{\rm eff}(0) = \mu_\to` for a pulled block). With
:math:`a = (\mu_\to - F)/\bar\varepsilon`, :math:`b = (-\mu_\leftarrow - F)/\bar\varepsilon`,
Gaussian tails give

.. math:: \mu_{\rm eff} = \frac{\mu_\to Q(a) - \mu_\leftarrow \Phi(b)
          - \bar\varepsilon\,(\varphi(a) - \varphi(b))}{Q(a) + \Phi(b)},

:math:`\mu_{\rm eff} \to \mu_\to` as :math:`\bar\varepsilon \to 0` (for
:math:`F \ge \mu_\to`) and :math:`\to (\mu_\to - \mu_\leftarrow)/2` as
:math:`\bar\varepsilon \to \infty`. Substituting the large-noise limit for
:math:`\mu_\to` in Eq. 7 gives Eq. 8, :math:`\Delta d^* \approx (\mu_\to - \mu_\leftarrow)/(2k)`
(:func:`delta_d_star`): concave, linear or convex as :math:`\mu_\to >, =, < \mu_\leftarrow`.

Energy
------
:math:`E = \frac{k}{2}\sum_{l=1}^{L+1} (x_l - x_{l-1})^2 = \frac{k}{2}\sum d_l^2`.
Under a fixed total extension :math:`\sum d_l = y` it is smallest, by
Cauchy–Schwarz, for equal shares :math:`d_l = y/(L+1)`, where it is
:math:`k y^2 / (2(L+1))` (:func:`minimum_energy`): the linear load curve.
"""
from __future__ import annotations

import math

import numpy as np

from ..core.energy import load_energy

__all__ = [
    "all_blocks_move",
    "moving_blocks",
    "equilibrium",
    "effective_friction",
    "delta_d_star",
    "elastic_energy",
    "eq7_positions",
    "minimum_energy",
]


def _check(L, k, mu_right=0.0, y=0.0):
    if isinstance(L, bool) or not isinstance(L, (int, np.integer)) or L < 1:
        raise ValueError(f"L must be an integer >= 1; got {L!r}")
    if not (math.isfinite(k) and k > 0):
        raise ValueError(f"k must be > 0; got {k!r}")
    if not (math.isfinite(mu_right) and mu_right >= 0):
        raise ValueError(f"mu_right must be >= 0; got {mu_right!r}")
    if not math.isfinite(y):
        raise ValueError(f"y must be finite; got {y!r}")


def all_blocks_move(L: int, k: float, y: float, mu_right: float) -> bool:
    """Whether Eq. 7 holds: ``y >= mu_right L (L+1) / (2k)`` (every block moves).

    Parameters
    ----------
    L : int
        Number of blocks. k : stiffness; y : target (> 0 pulls right); mu_right : friction μ→.
    """
    _check(L, k, mu_right, y)
    return bool(y >= mu_right * L * (L + 1) / (2.0 * k))


def moving_blocks(L: int, k: float, y: float, mu_right: float) -> int:
    """Number ``m`` of blocks (the last ones) that move in the noiseless first-order chain.

    ``L`` when :func:`all_blocks_move`; otherwise the integer with
    ``c m(m+1)/2 < y <= c (m+1)(m+2)/2``, ``c = mu_right/k`` (module docstring);
    0 when ``y <= mu_right / k`` (the pull never beats friction).
    """
    _check(L, k, mu_right, y)
    if y <= 0:
        return 0
    if mu_right == 0 or all_blocks_move(L, k, y, mu_right):
        return L
    c = mu_right / k
    m = 0
    while not (y <= c * (m + 1) * (m + 2) / 2.0):
        m += 1
    return min(m, L)


def equilibrium(L: int, k: float, y: float, mu_right: float) -> np.ndarray:
    """Noiseless equilibrium positions ``x_1 .. x_L`` of the first-order chain (Eq. 7).

    Parameters
    ----------
    L : int, >= 1
    k : float, > 0
        Stiffness (force per length).
    y : float, >= 0
        Target (length).
    mu_right : float, >= 0
        Friction against rightward motion (force).

    Returns
    -------
    ndarray, shape (L,)
        Eq. 7 when every block moves (:func:`all_blocks_move`); otherwise the
        first ``L - m`` blocks stay at 0 and the last ``m`` (:func:`moving_blocks`)
        follow Eq. 7 on a chain of ``m`` blocks anchored at the last stuck block.
        The chain starts at rest at 0, as in :func:`springlab.simulate_chain`.
    """
    _check(L, k, mu_right, y)
    if y < 0:
        raise ValueError(f"y must be >= 0 (the chain is pulled to the right); got {y!r}")
    m = moving_blocks(L, k, y, mu_right)
    x = np.zeros(L)
    if m == 0:
        return x
    i = np.arange(1, m + 1, dtype=np.float64)
    x[L - m:] = y * i / (m + 1) - (mu_right / k) * (m * i / 2.0 - i * (i - 1) / 2.0)
    return x


def effective_friction(force, eps_bar, mu_right: float, mu_left: float):
    """Effective friction μ_eff felt by a block under ``force`` and noise ``eps_bar`` (SPEC §2.4).

    Parameters
    ----------
    force : float or array_like
        Net spring force ``F = k Δd`` on the block (force units).
    eps_bar : float or array_like, >= 0
        Per-step noise ``ε̄ = ε / sqrt(η)`` (force units).
    mu_right, mu_left : float, >= 0

    Returns
    -------
    float or ndarray
        ``E[F - σ(F + ε̄ζ) | σ ≠ 0]``, evaluated from the Gaussian tail
        formula of the module docstring in log space (no underflow for small
        ``ε̄``). At ``ε̄ = 0`` it is the limit ``clip(F, -μ←, μ→)``: ``μ→``
        for a pulled block (``F ≥ μ→``). Tends to ``(μ→ - μ←)/2`` as ``ε̄ → ∞``.
    """
    from scipy.special import log_ndtr

    for name, v in (("mu_right", mu_right), ("mu_left", mu_left)):
        if not (math.isfinite(v) and v >= 0):
            raise ValueError(f"{name} must be >= 0; got {v!r}")
    F, e = np.broadcast_arrays(np.asarray(force, dtype=np.float64), np.asarray(eps_bar, dtype=np.float64))
    if np.any(~np.isfinite(F)):
        raise ValueError(f"force must be finite; got {force!r}")
    if np.any(~(e >= 0)) or np.any(np.isinf(e)):
        raise ValueError(f"eps_bar must be finite and >= 0; got {eps_bar!r}")
    shape = F.shape
    F, e = F.ravel(), e.ravel()
    out = np.clip(F, -mu_left, mu_right).astype(np.float64)
    pos = e > 0
    if np.any(pos):
        Fp, ep = F[pos], e[pos]
        a = (mu_right - Fp) / ep
        b = (-mu_left - Fp) / ep
        log_pr, log_pl = log_ndtr(-a), log_ndtr(b)  # log P(move right), log P(move left)
        log_phi_a = -0.5 * a * a - 0.5 * math.log(2 * math.pi)
        log_phi_b = -0.5 * b * b - 0.5 * math.log(2 * math.pi)
        ref = np.maximum(log_pr, log_pl)  # divide everything by the larger probability
        wr, wl = np.exp(log_pr - ref), np.exp(log_pl - ref)
        num = mu_right * wr - mu_left * wl - ep * (np.exp(log_phi_a - ref) - np.exp(log_phi_b - ref))
        out[pos] = num / (wr + wl)
    return float(out[0]) if shape == () else out.reshape(shape)


def delta_d_star(k: float, mu_right: float, mu_left: float, eps_bar: float = math.inf) -> float:
    """Equilibrium spring-share increment Δd* (Eq. 7 for no noise, Eq. 8 for large noise).

    Parameters
    ----------
    k : float, > 0
    mu_right, mu_left : float, >= 0
    eps_bar : float, default inf
        ``inf`` gives Eq. 8, ``(μ→ - μ←)/(2k)``; ``0`` gives Eq. 7's ``μ→/k``;
        in between ``μ_eff(ε̄)/k`` with μ_eff evaluated at the pulling force
        ``F = μ→`` (the force at which noiseless blocks come to rest), the
        paper's interpolation ``Δd* ∈ [(μ→ - μ←)/(2k), μ→/k]``.

    Returns
    -------
    float
        Δd* in length units; > 0 concave, 0 linear, < 0 convex.
    """
    if not (math.isfinite(k) and k > 0):
        raise ValueError(f"k must be > 0; got {k!r}")
    if math.isinf(eps_bar):
        for name, v in (("mu_right", mu_right), ("mu_left", mu_left)):
            if not (math.isfinite(v) and v >= 0):
                raise ValueError(f"{name} must be >= 0; got {v!r}")
        return (mu_right - mu_left) / (2.0 * k)
    return float(effective_friction(mu_right, eps_bar, mu_right, mu_left)) / k


def elastic_energy(positions, k: float = 1.0, y: float = 1.0):
    """Elastic energy ``k/2 Σ_{l=1}^{L+1} (x_l - x_{l-1})²`` with ``x_0 = 0``, ``x_{L+1} = y``.

    Parameters
    ----------
    positions : array_like, shape (..., L)
        Block positions ``x_1 .. x_L``.
    k, y : float or array_like broadcasting to ``positions.shape[:-1]``

    Returns
    -------
    float or ndarray, shape (...)
        In units of k·(length)². The chain's load curve has ``L+1`` springs,
        the last one tied to the target: :func:`springlab.core.energy.load_energy`
        with ``anchored=True``.
    """
    x = np.asarray(positions, dtype=np.float64)
    if x.ndim < 1 or x.shape[-1] < 1:
        raise ValueError(f"positions must have shape (..., L) with L >= 1; got {x.shape}")
    y = np.asarray(y, dtype=np.float64)[..., None]
    load = np.concatenate([np.broadcast_to(y, x.shape[:-1] + (1,)), y - x], axis=-1)  # D_0 = y, D_l = y - x_l
    return load_energy(load, k, anchored=True)


def eq7_positions(L: int, k: float, y: float, mu: float) -> np.ndarray:
    """The formula of Eq. 7 on all ``L`` blocks, for any friction ``mu``.

    :func:`springlab.equilibrium` is the physical noiseless equilibrium (it
    keeps stuck blocks at 0 and refuses ``mu < 0``); here the formula is
    needed as such: with an effective friction ``μ_eff(ε)`` (Eq. 8, which
    may be negative), and to show where Eq. 7 stops being valid.

    Returns
    -------
    ndarray, shape (L,)
        ``y l/(L+1) - (mu/k)(L l/2 - l(l-1)/2)``, ``l = 1..L`` (length units).
    """
    l = np.arange(1, L + 1)
    return y * l / (L + 1) - mu / k * (L * l / 2 - l * (l - 1) / 2)


def minimum_energy(L: int, k: float, y: float) -> float:
    """Smallest elastic energy at total extension ``y``: ``k y² / (2(L+1))`` (equal shares)."""
    _check(L, k, 0.0, y)
    return k * y * y / (2.0 * (L + 1))

r"""Spring–block chains: the fast simulator (SPEC §2; paper Eq. 4–6, 10–13).

The model
---------
A deep network of ``L`` layers is a chain of ``L`` blocks on a rough floor,
joined by springs of stiffness :math:`k`. Block ``l`` sits at :math:`x_l`
(all start at 0); the left wall is :math:`x_0 \equiv 0` (the data), the right
end is held at :math:`x_{L+1} \equiv y` (the target). The *load curve* is the
distance of each block to the target, :math:`D_l = y - x_l`, and spring
``l`` carries the share :math:`d_l = x_l - x_{l-1}` (a network layer's
separation gain). The net spring force on block ``l`` is

.. math:: k (Lx)_l = k (x_{l+1} - 2x_l + x_{l-1}) = k (d_{l+1} - d_l) = k\,\Delta d_l .

Friction is *asymmetric*: a block needs a force above :math:`\mu_\to` to move
right and below :math:`-\mu_\leftarrow` to move left (the activation
:func:`friction_activation`, Eq. 5). Noise :math:`\varepsilon \xi_l` shakes
the force. Three dynamics are provided (``order=``):

``"first"`` (Eq. 5–6, overdamped, the paper's main model)
    :math:`\dot x_l = \sigma(k (Lx)_l + \varepsilon \xi_l)`, discretised as the
    authors do: per step :math:`\eta` (= ``dt``)
    :math:`x_l \leftarrow x_l + \eta\,\sigma(k (Lx)_l + \bar\varepsilon \zeta_l)`,
    :math:`\bar\varepsilon = \varepsilon/\sqrt{\eta}`, :math:`\zeta_l \sim N(0,1)`,
    all blocks from the previous positions (Jacobi).
``"second"`` (Eq. 4, 10–11, unit masses, damping :math:`\gamma`)
    :math:`F_l = k (Lx)_l - \gamma v_l + \bar\varepsilon \zeta_l`; sliding
    friction against motion, static friction holds a block at rest while
    :math:`-\mu_\leftarrow \le F_l \le \mu_\to`. Semi-implicit Euler; sliding
    friction may stop a block but never reverse it.
``"langevin"`` (Eq. 12–13, supplement VI.3)
    :math:`dx_l = v_l\,dt`,
    :math:`dv_l = (k (Lx)_l - f(v_l) - \gamma v_l)\,dt + \varepsilon(t)\,dW_l`,
    :math:`\varepsilon(t) = \varepsilon_0 e^{-\tau t}`; Euler–Maruyama, one
    step in two stages. First the friction, on the *noiseless* force
    :math:`F = k (Lx)_l`: sliding friction :math:`f = \mu_\to` for
    :math:`v > 0`, :math:`-\mu_\leftarrow` for :math:`v < 0`; at :math:`v = 0`
    static friction cancels :math:`F` while
    :math:`-\mu_\leftarrow \le F \le \mu_\to` (outside, the block starts
    in the direction of :math:`F`); this deterministic update may stop a
    block but never reverse it. Then the noise
    :math:`\varepsilon(t) \sqrt{dt}\,\zeta_l` is added to the velocity of
    **every** block, resting or moving, independently of the friction
    ("computing the friction before adding noise"): a resting block under
    noise moves. Unlike the two models above, this one has a ``dt → 0`` limit.

Units: lengths in the units of ``y``, time in model units (``dt``, ``t_max``),
``k`` force per length, frictions in force units. ``eps`` is in
force·time^{1/2} (:math:`\bar\varepsilon = \varepsilon/\sqrt{dt}` is a
force), but for ``"first"`` and ``"second"`` it names the paper's noise level
only at the paper's step ``dt = 0.01`` (next section). The noise can be
independent per block or *synchronous*
(one :math:`\zeta` for all blocks, as in the paper's Fig. 4), truncated to
``noise_bound`` standard deviations, decayed as :math:`\varepsilon e^{-\tau t}`,
and a run can stop when its relative change per ``stop_window`` falls below
``stop_rtol`` (SPEC §2.4: the three ways to avoid the slow drift of untruncated
Gaussian noise). All three default to off, which is the paper's setting.

What the time step means (SPEC §2, "2.1–2.2: what the time step means")
----------------------------------------------------------------------
Users set ``dt`` (η) per run in :func:`simulate_chain` (default 0.01) and, for
sweeps, as a fixed parameter or an axis of
:func:`springlab.chain_phase_diagram`; the paper's figures
(:data:`springlab.figures.springs.PHASE_FIGURES`) fix it at 0.01.

* ``"first"`` and ``"second"``: the step is **part of the model**, not only a
  numerical step. The noise enters inside the friction nonlinearity as
  :math:`\bar\varepsilon \zeta` with :math:`\bar\varepsilon = \varepsilon/\sqrt\eta`:
  a block moves in a step when spring force plus :math:`\bar\varepsilon\zeta`
  leaves the static band. These models have no :math:`\eta \to 0` limit at
  fixed ``eps``: a smaller η raises :math:`\bar\varepsilon` and pushes the
  chain towards the strong-noise regime (Eq. 8). The paper defines them at
  η = 0.01, the default: the physical noise parameter is
  :math:`\bar\varepsilon`, equivalently ε at η = 0.01. First order, k = y = 1,
  L = 7, μ→ = 0.1, μ← = 0.2, ε = 0.004, t = 100, three seeds: mean Δd is
  +0.031 (concave) at dt = 0.01 and −0.023 (convex) at dt = 0.0025, while
  ε = 0.002 at dt = 0.0025 (the same :math:`\bar\varepsilon = 0.04`) gives
  +0.031 again: to take finer steps of the first-order model, keep
  ``eps / sqrt(dt)`` fixed (the mean drift per unit time,
  :math:`E_\zeta\,\sigma(k(Lx)_l + \bar\varepsilon\zeta)`, stays the same;
  the fluctuations shrink like :math:`\sqrt\eta`). In the second-order model
  the noise reaches the velocity as the kick
  :math:`\eta\bar\varepsilon\zeta = \varepsilon\sqrt\eta\,\zeta` (a
  Wiener increment) while the static-friction test sees
  :math:`\bar\varepsilon\zeta`, which grows as η shrinks. The dependence on
  η is much weaker there: at fixed ε our runs change by about 0.001 in mean
  Δd per halving of η and appear to settle as η → 0 (k = γ = 1, L = 7,
  μ→ = 0.06, μ← = 0.12, ε = 0.01, t = 100, 8 seeds: 0.0244 at η = 0.01,
  0.0219 at η = 0.000625), and more at fixed :math:`\bar\varepsilon`. Both
  models as the paper defines them are the ones at dt = 0.01.
* ``"langevin"``: ``dt`` is a numerical step only. The noise is a Wiener
  increment :math:`\varepsilon(t)\sqrt{dt}\,\zeta` added to the velocity
  outside the friction, and Euler–Maruyama converges as dt → 0 (Fig. S14's
  parameters: the seed-averaged Δd at dt = 0.01 and 0.005 agree within the
  seed error; ``tests/test_time_step.py``).

Stability bounds (enforced, ``ValueError`` otherwise)
----------------------------------------------------
These are the only limits on ``dt`` that are checked; for ``"first"`` and
``"second"`` a stable step is not therefore a neutral one (previous section).
The spring term is linear with the chain Laplacian, whose eigenvalues lie in
:math:`(-4, 0)`; friction only removes motion (σ is monotone and
1-Lipschitz), so the linear bounds suffice.

* first order, explicit Euler of :math:`\dot x = k L x`: the amplification
  :math:`1 - 4 k\,dt` must exceed :math:`-1`, so **dt < 1/(2k)**;
* second order and Langevin, semi-implicit Euler of
  :math:`\ddot x = -\omega^2 x - \gamma \dot x` with :math:`\omega^2 \le 4k`:
  the step matrix has characteristic polynomial
  :math:`\lambda^2 - (2 - \gamma\,dt - \omega^2 dt^2)\lambda + 1 - \gamma\,dt`;
  Jury's criterion gives :math:`\gamma\,dt < 2` and
  :math:`4 - 2\gamma\,dt - \omega^2 dt^2 > 0`, i.e.
  **k dt² + γ dt / 2 < 1**.

Speed
-----
All runs go through one compiled kernel, :func:`_simulate_batch`, which loops
over runs in parallel (``numba.prange``) and is cached on disk (see
:func:`cache_location`). Random numbers are counter-based
(:mod:`springlab.chains.reference`): the normal used for block ``l`` at
step ``n`` depends on ``(seed, n, l)`` only, so one seed gives one result,
whatever the batch or the number of threads. The readable pure-Python
version of every step is :mod:`springlab.chains.reference`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numba import njit, prange

from . import reference as _ref
from ..core.counter_rng import random_bits_kernel as _random_bits
from ..core.loadcurve import LoadCurve

__all__ = [
    "ChainRun",
    "simulate_chain",
    "friction_activation",
    "cache_location",
    "ORDERS",
    "NOISES",
    "max_stable_dt",
    "validate_chain_parameters",
    "simulate_chain_reference",
    "run_batch",
    "PARAMS",
]

ORDERS = ("first", "second", "langevin")
NOISES = ("independent", "synchronous")
#: columns of the per-run parameter matrix of the kernel
PARAMS = ("k", "y", "mu_right", "mu_left", "eps", "gamma", "tau", "noise_bound", "stop_rtol")
_MAX_RECORDS = 1000  # default number of records of simulate_chain

# ---------------------------------------------------------------------------
# compiled kernel
# ---------------------------------------------------------------------------
_U64 = np.uint64
_ATTEMPT = _U64(_ref.ATTEMPT_STRIDE)
_SUB = _U64(_ref.SUB_STRIDE)
_S11 = _U64(11)
_LAYER_MASK = _U64(_ref.ZIG_LAYERS - 1)
_ZIG_X = np.array(_ref.ZIG_X)  # the same floats as the reference: identical draws
_ZIG_RATIO = np.array(_ref.ZIG_RATIO)
_ZIG_R = _ref.ZIG_R
_TWO_M53 = 2.0**-53


@njit(cache=True)
def _uniform(key, counter):
    return (np.float64(np.int64(_random_bits(key, counter) >> _S11)) + 0.5) * _TWO_M53


@njit(cache=True)
def _gaussian_slow(key, c, i, u):
    """Wedge or tail of the ziggurat (~1.2% of draws); nan means rejected."""
    if i == 0:
        j = _U64(2)
        while True:
            x = math.log(_uniform(key, c + j * _SUB)) / _ZIG_R
            yy = math.log(_uniform(key, c + (j + _U64(1)) * _SUB))
            if -2.0 * yy >= x * x:
                return x - _ZIG_R if u < 0 else _ZIG_R - x
            j += _U64(2)
    z = u * _ZIG_X[i]
    f0 = math.exp(-0.5 * (_ZIG_X[i] ** 2 - z * z))
    f1 = math.exp(-0.5 * (_ZIG_X[i + 1] ** 2 - z * z))
    if f1 + _uniform(key, c + _SUB) * (f0 - f1) < 1.0:
        return z
    return np.nan


@njit(cache=True)
def _gaussian(key, counter, bound):
    """reference.gaussian, compiled: same bits, same floats."""
    c = counter
    while True:
        h = _random_bits(key, c)
        i = np.int64(h & _LAYER_MASK)
        # 53 bits fit an int64, whose conversion to float is one instruction
        u = 2.0 * (np.float64(np.int64(h >> _S11)) * _TWO_M53) - 1.0
        if abs(u) < _ZIG_RATIO[i]:
            z = u * _ZIG_X[i]
        else:
            z = _gaussian_slow(key, c, i, u)
        if abs(z) <= bound:  # False for nan (rejected) and beyond the truncation
            return z
        c += _ATTEMPT


@njit(cache=True, inline="always")
def _fill_noise(key, step, L, synchronous, bound, zeta):
    """Write the L normals of one step into ``zeta`` (see reference.step_noise)."""
    if synchronous:
        a = _gaussian(key, _U64(step), bound)
        for l in range(L):
            zeta[l] = a
    else:
        base = _U64(step * L)
        for l in range(L):
            # the ziggurat's fast path, inlined; anything else goes to _gaussian,
            # which redoes this draw and continues with identical results
            c = base + _U64(l)
            h = _random_bits(key, c)
            i = np.int64(h & _LAYER_MASK)
            u = 2.0 * (np.float64(np.int64(h >> _S11)) * _TWO_M53) - 1.0
            z = u * _ZIG_X[i]
            if not (abs(u) < _ZIG_RATIO[i] and abs(z) <= bound):
                z = _gaussian(key, c, bound)
            zeta[l] = z


@njit(cache=True, inline="always")
def _first_order_step(x, xn, zeta, k, y, mu_r, mu_l, eps_bar, dt):
    """Eq. 5–6 (reference.first_order_step): xn = x + dt σ(k Lx + ε̄ ζ), Jacobi."""
    for l in range(1, x.size - 1):  # x[0] = 0 and x[L+1] = y are the walls
        z = k * (x[l - 1] - 2.0 * x[l] + x[l + 1]) + eps_bar * zeta[l - 1]
        # σ(z) without branches (noise makes them unpredictable):
        # at most one of the two terms is non-zero since μ→, μ← >= 0
        xn[l] = x[l] + dt * (max(z - mu_r, 0.0) + min(z + mu_l, 0.0))


@njit(cache=True, inline="always")
def _second_order_step(x, xn, v, zeta, k, y, mu_r, mu_l, eps_bar, gamma, dt):
    """Eq. 10–11 (reference.second_order_step); updates v in place, writes xn."""
    for l in range(1, x.size - 1):
        F = k * (x[l - 1] - 2.0 * x[l] + x[l + 1]) - gamma * v[l] + eps_bar * zeta[l - 1]
        if v[l] > 0.0:
            a = F - mu_r
        elif v[l] < 0.0:
            a = F + mu_l
        elif F > mu_r:  # at rest: static friction
            a = F - mu_r
        elif F < -mu_l:
            a = F + mu_l
        else:
            a = 0.0
        w = v[l] + dt * a
        if w * v[l] < 0.0:  # sliding friction stops, never reverses
            w = 0.0
        v[l] = w
        xn[l] = x[l] + dt * w


@njit(cache=True, inline="always")
def _langevin_step(x, xn, v, zeta, k, y, mu_r, mu_l, noise_scale, gamma, dt):
    """Eq. 12–13 (reference.langevin_step); ``noise_scale = ε(t) √dt``.

    Friction first, on the noiseless force; then the noise is added to every
    block's velocity, resting or moving.
    """
    for l in range(1, x.size - 1):
        spring = k * (x[l - 1] - 2.0 * x[l] + x[l + 1])
        if v[l] == 0.0 and -mu_l <= spring <= mu_r:
            w = 0.0  # static friction cancels the noiseless spring force
        else:
            if v[l] > 0.0 or (v[l] == 0.0 and spring > mu_r):
                f = mu_r
            else:
                f = -mu_l
            w = v[l] + dt * (spring - f - gamma * v[l])
            if w * v[l] < 0.0:
                w = 0.0
        w += noise_scale * zeta[l - 1]  # ε(t) dW, independent of the friction
        v[l] = w
        xn[l] = x[l] + dt * w


@njit(cache=True, parallel=True)
def _simulate_batch(order, synchronous, L, n_steps, dt, record_every, stop_every, params, keys, out, n_done):
    """Simulate R chains; only arithmetic, no checks (see :func:`simulate_chain`).

    Parameters
    ----------
    order : int
        0 first order, 1 second order, 2 Langevin.
    synchronous : bool
        One noise value per step for all blocks.
    L, n_steps, record_every, stop_every : int
        Blocks; steps; record every so many steps; stopping-rule window in steps.
    dt : float
        Time step.
    params : float64[R, 9]
        Per run: k, y, mu_right, mu_left, eps, gamma, tau, noise_bound, stop_rtol.
    keys : uint64[R]
        Noise stream keys (``reference.seed_key(seed)``).
    out : float64[R, n_rec, L]
        Receives positions at steps 0, record_every, 2 record_every, ... and
        the last step; after an early stop the remaining records repeat the final state.
    n_done : int64[R]
        Receives the number of steps run.
    """
    R = params.shape[0]
    n_rec = out.shape[1]
    sqdt = math.sqrt(dt)
    for r in prange(R):
        k, y, mu_r, mu_l = params[r, 0], params[r, 1], params[r, 2], params[r, 3]
        eps, gamma, tau, bound, stop_rtol = params[r, 4], params[r, 5], params[r, 6], params[r, 7], params[r, 8]
        key = keys[r]
        # positions padded with the walls: x[0] = 0, x[1..L] the blocks, x[L+1] = y
        x = np.zeros(L + 2)
        xn = np.zeros(L + 2)
        x[L + 1] = y
        xn[L + 1] = y
        v = np.zeros(L + 2)
        last = np.zeros(L + 2)
        zeta = np.zeros(L)
        for l in range(L):
            out[r, 0, l] = 0.0
        rec = 1
        next_record = record_every  # countdowns: no integer division in the step loop
        next_check = stop_every
        n_done[r] = n_steps
        for n in range(1, n_steps + 1):
            eps_t = eps * math.exp(-tau * (n - 1) * dt) if tau > 0.0 else eps
            if eps_t > 0.0:
                _fill_noise(key, n, L, synchronous, bound, zeta)
            # the eps_t == 0 case keeps zeta at 0: it never changes once zero
            if order == 0:
                _first_order_step(x, xn, zeta, k, y, mu_r, mu_l, eps_t / sqdt, dt)
            elif order == 1:
                _second_order_step(x, xn, v, zeta, k, y, mu_r, mu_l, eps_t / sqdt, gamma, dt)
            else:
                _langevin_step(x, xn, v, zeta, k, y, mu_r, mu_l, eps_t * sqdt, gamma, dt)
            x, xn = xn, x  # the new positions become the current ones
            stop = False
            if stop_rtol > 0.0 and n == next_check:
                next_check += stop_every
                change = 0.0
                scale = 1e-300
                for l in range(1, L + 1):
                    change = max(change, abs(x[l] - last[l]))
                    scale = max(scale, abs(x[l]))
                    last[l] = x[l]
                stop = change <= stop_rtol * scale
            if n == next_record or n == n_steps or stop:
                if n == next_record:
                    next_record += record_every
                for l in range(L):
                    out[r, rec, l] = x[l + 1]
                rec += 1
            if stop:
                n_done[r] = n
                while rec < n_rec:
                    for l in range(L):
                        out[r, rec, l] = x[l + 1]
                    rec += 1
                break


# ---------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------
def friction_activation(z, mu_right: float = 0.1, mu_left: float = 0.1):
    """Asymmetric friction activation σ(z) of Eq. 5.

    Parameters
    ----------
    z : float or array_like
        Force on a block (force units).
    mu_right, mu_left : float, >= 0
        Friction against rightward / leftward motion.

    Returns
    -------
    float or ndarray
        ``0`` if ``-mu_left <= z <= mu_right``, ``z - mu_right`` above,
        ``z + mu_left`` below: a ReLU-like map, shifted by the friction.
    """
    _nonneg("mu_right", mu_right)
    _nonneg("mu_left", mu_left)
    z = np.asarray(z, dtype=np.float64)
    out = np.where(z > mu_right, z - mu_right, np.where(z < -mu_left, z + mu_left, 0.0))
    return float(out) if out.ndim == 0 else out


@dataclass(frozen=True)
class ChainRun:
    """Result of :func:`simulate_chain`.

    Attributes
    ----------
    times : ndarray, shape (n,)
        Record times (model time units); ``times[0] = 0``.
    positions : ndarray, shape (n, L)
        Block positions ``x_1 .. x_L`` (units of ``y``).
    load : ndarray, shape (n, L+1)
        Load curves ``D_l = y - x_l``, ``l = 0..L`` (``x_0 = 0``, so ``load[:, 0] = y``).
    energy : ndarray, shape (n,)
        Elastic energy ``k/2 Σ_{l=1}^{L+1} (x_l - x_{l-1})²`` (absolute: units of force × length, with k in force per length and x in length).
    force : ndarray, shape (n,)
        Force ``k (y - x_L)`` with which the target pulls the last block.
    parameters : dict
        The validated parameters of the run.
    stopped_at : float or None
        Time at which the stopping rule ended the run, ``None`` if it ran to ``t_max``.
    """

    times: np.ndarray
    positions: np.ndarray
    load: np.ndarray
    energy: np.ndarray
    force: np.ndarray
    parameters: dict = field(repr=False)
    stopped_at: float | None = None

    @property
    def final(self) -> LoadCurve:
        """The last load curve, as a :class:`~springlab.core.loadcurve.LoadCurve`."""
        return LoadCurve(self.load[-1])

    @property
    def L(self) -> int:
        return self.positions.shape[1]


def _finite(name, value):
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a real number; got {value!r}") from None
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite; got {value!r}")
    return v


def _nonneg(name, value):
    v = _finite(name, value)
    if v < 0:
        raise ValueError(f"{name} must be >= 0; got {value!r}")
    return v


def max_stable_dt(order: str, k: float, gamma: float = 1.0) -> float:
    """Largest stable time step (exclusive) of the scheme of ``order``.

    ``1/(2k)`` for first order; the positive root of ``k dt² + γ dt/2 = 1``
    for second order and Langevin (module docstring).
    """
    if order == "first":
        return 1.0 / (2.0 * k)
    return (-gamma / 2.0 + math.sqrt(gamma * gamma / 4.0 + 4.0 * k)) / (2.0 * k)


def _bound_text(order, k, gamma):
    if order == "first":
        return f"for k={k:g} (explicit Euler stability bound dt < 1/(2k))"
    return f"for k={k:g}, gamma={gamma:g} (semi-implicit Euler stability bound k dt² + gamma dt/2 < 1)"


def validate_chain_parameters(order="first", *, L=7, k=1.0, y=1.0, mu_right=0.1, mu_left=0.1, eps=0.0,
                              dt=0.01, t_max=100.0, seed=0, noise="independent", gamma=1.0, tau=0.0,
                              noise_bound=math.inf, stop_rtol=0.0, stop_window=1.0) -> dict:
    """Check chain parameters; return them normalised, or raise ``ValueError``
    naming the parameter and its allowed range (see :func:`simulate_chain`).

    ``dt`` is checked against the stability bound of the scheme only
    (:func:`max_stable_dt`). For ``"first"`` and ``"second"`` the step is also
    part of the model: the paper's models are at ``dt = 0.01``, and another
    ``dt`` at the same ``eps`` is another model (module docstring, "What the
    time step means"); for ``"langevin"`` it is a numerical step only.
    """
    if order not in ORDERS:
        raise ValueError(f"order must be one of 'first', 'second', 'langevin'; got {order!r}")
    if noise not in NOISES:
        raise ValueError(f"noise must be one of 'independent', 'synchronous'; got {noise!r}")
    if isinstance(L, bool) or not isinstance(L, (int, np.integer)) or L < 1:
        raise ValueError(f"L must be an integer >= 1; got {L!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**63:
        raise ValueError(f"seed must be an integer in [0, 2**63); got {seed!r}")
    k = _finite("k", k)
    if k <= 0:
        raise ValueError(f"k must be > 0; got {k!r}")
    p = dict(order=order, noise=noise, L=int(L), seed=int(seed), k=k, y=_finite("y", y),
             mu_right=_nonneg("mu_right", mu_right), mu_left=_nonneg("mu_left", mu_left),
             eps=_nonneg("eps", eps), gamma=_nonneg("gamma", gamma), tau=_nonneg("tau", tau),
             stop_rtol=_nonneg("stop_rtol", stop_rtol))
    dt = _finite("dt", dt)
    bound = max_stable_dt(order, k, p["gamma"])
    if not 0 < dt < bound:
        raise ValueError(f"dt must be in (0, {bound:.6g}) {_bound_text(order, k, p['gamma'])}; got {dt!r}")
    p["dt"] = dt
    t_max = _finite("t_max", t_max)
    if t_max < dt:
        raise ValueError(f"t_max must be >= dt = {dt:g} (at least one step); got {t_max!r}")
    p["t_max"] = t_max
    try:
        nb = float(noise_bound)
    except (TypeError, ValueError):
        nb = float("nan")
    if not nb >= 0.5:  # also catches NaN
        raise ValueError(f"noise_bound must be in [0.5, inf] (standard deviations); got {noise_bound!r}")
    p["noise_bound"] = nb
    sw = _finite("stop_window", stop_window)
    if sw < dt:
        raise ValueError(f"stop_window must be >= dt = {dt:g}; got {stop_window!r}")
    p["stop_window"] = sw
    return p


def _steps(p: dict) -> tuple[int, int]:
    """Number of steps and stopping window in steps."""
    n_steps = max(1, int(round(p["t_max"] / p["dt"])))
    stop_every = max(1, int(round(p["stop_window"] / p["dt"])))
    return n_steps, stop_every


def _n_records(n_steps: int, record_every: int) -> int:
    return 1 + n_steps // record_every + (1 if n_steps % record_every else 0)


def run_batch(order: str, noise: str, L: int, dt: float, t_max: float, params: np.ndarray, seeds,
              *, record_every: int | None = None, stop_window: float = 1.0):
    """Run many validated chains through the kernel (used by sweeps).

    Parameters
    ----------
    params : ndarray, shape (R, 9)
        Columns :data:`PARAMS`; every row already validated.
    seeds : array_like of int, shape (R,)
    record_every : int, optional
        Steps between records; default only the initial and final states.

    Returns
    -------
    positions : ndarray, shape (R, n_rec, L)
    n_done : ndarray of int64, shape (R,)
    """
    n_steps = max(1, int(round(t_max / dt)))
    stop_every = max(1, int(round(stop_window / dt)))
    re = n_steps if record_every is None else int(record_every)
    params = np.ascontiguousarray(params, dtype=np.float64)
    keys = np.array([_ref.seed_key(int(s)) for s in seeds], dtype=np.uint64)
    out = np.empty((params.shape[0], _n_records(n_steps, re), L))
    n_done = np.empty(params.shape[0], dtype=np.int64)
    _simulate_batch(ORDERS.index(order), noise == "synchronous", int(L), int(n_steps), float(dt), int(re),
                    int(stop_every), params, keys, out, n_done)
    return out, n_done


def param_row(p: dict) -> list[float]:
    """The kernel's parameter row of validated parameters ``p``."""
    return [p[name] for name in PARAMS]


def simulate_chain(order: str = "first", *, L: int = 7, k: float = 1.0, y: float = 1.0,
                   mu_right: float = 0.1, mu_left: float = 0.1, eps: float = 0.0, dt: float = 0.01,
                   t_max: float = 100.0, seed: int = 0, noise: str = "independent", gamma: float = 1.0,
                   tau: float = 0.0, record_every: float | None = None, noise_bound: float = math.inf,
                   stop_rtol: float = 0.0, stop_window: float = 1.0) -> ChainRun:
    r"""Simulate one spring–block chain (SPEC §2, paper Eq. 4–6 and 10–13).

    Parameters
    ----------
    order : {"first", "second", "langevin"}
        Overdamped Eq. 5–6; second order with static/sliding friction Eq. 10–11;
        Langevin Eq. 12–13.
    L : int, >= 1
        Number of blocks (layers).
    k : float, > 0
        Spring stiffness (force per length).
    y : float
        Target position of the right end (length unit of the model).
    mu_right, mu_left : float, >= 0
        Friction against rightward (μ→) and leftward (μ←) motion (force).
    eps : float, >= 0
        Noise level ε (ε₀ for Langevin), force·time^½. First/second order add
        ``ε̄ ζ`` with ``ε̄ = eps / sqrt(dt)`` to the force, inside the friction,
        so ``eps`` is the paper's noise level only at ``dt = 0.01``; Langevin
        adds ``eps · exp(-tau t) · sqrt(dt) · ζ`` to every block's velocity,
        after the friction.
    dt : float
        Time step η. For ``"first"`` and ``"second"`` it is part of the model:
        the paper's models are at ``dt = 0.01`` (the default), and another
        ``dt`` at the same ``eps`` is another model (a smaller ``dt`` means
        stronger effective noise ``ε̄``: a first-order chain can turn from
        concave to convex; the second-order chain changes far less; module
        docstring, "What the time step means"). For ``"langevin"`` it is a
        numerical step (the results converge as ``dt → 0``). It must satisfy
        the stability bound of the scheme (first order ``dt < 1/(2k)``;
        others ``k dt² + γ dt/2 < 1``).
    t_max : float, >= dt
        Duration (model time); ``round(t_max / dt)`` steps.
    seed : int, >= 0
        Fixes the noise: one seed, one result (also inside sweeps).
    noise : {"independent", "synchronous"}
        One normal per block and step, or one per step shared by all blocks (Fig. 4).
    gamma : float, >= 0
        Linear damping (second order and Langevin; ignored by first order).
    tau : float, >= 0
        Noise decay rate: the noise level at time t is ``eps · exp(-tau t)``
        (Eq. 13 for Langevin; available to every order).
    record_every : float, optional
        Time between records (rounded to whole steps); by default at most
        1,000 records. The final state is always recorded.
    noise_bound : float in [0.5, inf], default inf
        Truncate each normal to ``[-noise_bound, noise_bound]`` (bounded noise).
    stop_rtol : float, >= 0, default 0 (off)
        Stop when, over ``stop_window`` time units, no block moved by more than
        ``stop_rtol`` times the largest ``|x_l|``.
    stop_window : float, default 1.0
        Window of the stopping rule (model time).

    Returns
    -------
    ChainRun
        ``.times`` (n,), ``.positions`` (n, L), ``.load`` (n, L+1) with
        ``load[:, l] = y - x_l``, ``.energy`` (n,), ``.force`` (n,) on the last
        block, ``.final`` a :class:`~springlab.core.loadcurve.LoadCurve`.
        Velocities are not stored; every step moves a block by ``dt`` times
        its new velocity, so with ``record_every=dt`` (every step recorded)
        ``np.diff(run.positions, axis=0) / dt`` are the velocities after each
        step (second order and Langevin; first order: ``σ(...)``, the rate).

    Raises
    ------
    ValueError
        For a parameter outside its range (the message names it and the range).

    Examples
    --------
    Friction alone leaves the first blocks behind (lazy, concave); noise with
    μ← > μ→ makes the shallow springs take more (active, convex):

    >>> simulate_chain(mu_right=0.05, mu_left=0.2, eps=0.0).final.shape
    'concave'
    >>> simulate_chain(mu_right=0.05, mu_left=0.2, eps=0.02, seed=1).final.shape
    'convex'
    """
    p = validate_chain_parameters(order, L=L, k=k, y=y, mu_right=mu_right, mu_left=mu_left, eps=eps, dt=dt,
                                  t_max=t_max, seed=seed, noise=noise, gamma=gamma, tau=tau,
                                  noise_bound=noise_bound, stop_rtol=stop_rtol, stop_window=stop_window)
    n_steps, _ = _steps(p)
    if record_every is None:
        re = max(1, -(-n_steps // _MAX_RECORDS))
    else:
        rv = _finite("record_every", record_every)
        if rv <= 0:
            raise ValueError(f"record_every must be > 0 (model time); got {record_every!r}")
        re = max(1, int(round(rv / p["dt"])))
    out, n_done = run_batch(order, noise, p["L"], p["dt"], p["t_max"], np.array([param_row(p)]), [p["seed"]],
                            record_every=re, stop_window=p["stop_window"])
    done = int(n_done[0])
    n_rec = _n_records(done, re)
    steps = np.minimum(np.arange(n_rec) * re, done)
    positions = out[0, :n_rec]
    return _make_run(steps * p["dt"], positions, p, stopped_at=done * p["dt"] if done < n_steps else None)


def _make_run(times, positions, p, stopped_at=None) -> ChainRun:
    from .theory import elastic_energy

    y, k = p["y"], p["k"]
    load = np.concatenate([np.full((positions.shape[0], 1), y), y - positions], axis=1)
    return ChainRun(times=np.asarray(times, dtype=np.float64), positions=positions, load=load,
                    energy=elastic_energy(positions, k=k, y=y), force=k * (y - positions[:, -1]),
                    parameters=p, stopped_at=stopped_at)


def simulate_chain_reference(order: str = "first", *, record_every: float | None = None, **kwargs) -> ChainRun:
    """:func:`simulate_chain` run by the pure-Python reference
    (:func:`springlab.chains.reference.simulate_reference`); same arguments,
    same result (slowly: for reading, testing and benchmarking)."""
    p = validate_chain_parameters(order, **kwargs)
    n_steps, stop_every = _steps(p)
    re = max(1, -(-n_steps // _MAX_RECORDS)) if record_every is None else max(1, int(round(record_every / p["dt"])))
    steps, positions, _ = _ref.simulate_reference(
        order, L=p["L"], k=p["k"], y=p["y"], mu_right=p["mu_right"], mu_left=p["mu_left"], eps=p["eps"],
        dt=p["dt"], n_steps=n_steps, seed=p["seed"], synchronous=p["noise"] == "synchronous",
        gamma=p["gamma"], tau=p["tau"], noise_bound=p["noise_bound"], stop_rtol=p["stop_rtol"],
        stop_every=stop_every, record_every=re)
    done = steps[-1]
    return _make_run(np.array(steps) * p["dt"], np.array(positions), p,
                     stopped_at=done * p["dt"] if done < n_steps else None)


def cache_location() -> str:
    """Where numba keeps the compiled kernels of this module (human-readable).

    numba writes next to the source (``springlab/__pycache__``) when that is
    writable, else in a user-wide cache (``~/.cache/numba`` or
    ``$NUMBA_CACHE_DIR``), so read-only installs are cached too.
    """
    impl = _simulate_batch._cache._impl  # numba internals, read-only use
    locator = impl.locator
    path = locator.get_cache_path()
    kind = type(locator).__name__
    note = {"InTreeCacheLocator": "next to the source",
            "UserWideCacheLocator": "user-wide cache (package directory not writable)",
            "UserProvidedCacheLocator": "NUMBA_CACHE_DIR"}.get(kind, kind)
    return f"{path} ({note})"

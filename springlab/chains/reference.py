r"""Readable pure-Python reference of the three spring–block chains.

This is the version to *read*: plain loops over blocks, one small function
per model step, nothing vectorised. :mod:`springlab.chains.simulator` runs the same
arithmetic in a compiled Numba kernel for sweeps; ``tests/test_springs.py``
checks the two agree step for step on the same noise.

The chain (SPEC §2, paper Eq. 4–7, 10–13): blocks ``l = 1..L`` at positions
:math:`x_l`, walls :math:`x_0 \equiv 0` and :math:`x_{L+1} \equiv y`, unit
masses, springs of stiffness :math:`k`. The spring force on block ``l`` is
:math:`k (Lx)_l = k (x_{l+1} - 2 x_l + x_{l-1})`. Friction is asymmetric:
moving right costs :math:`\mu_\to`, moving left :math:`\mu_\leftarrow`.

Where the noise enters differs between the models. In
:func:`first_order_step` and :func:`second_order_step` the noise
:math:`\bar\varepsilon \zeta_l` (:math:`\bar\varepsilon = \varepsilon/\sqrt{dt}`)
is part of the force that friction acts on: a block at rest moves only when
spring force plus noise leaves the static band. In :func:`langevin_step`
friction acts on the noiseless spring force, and the noise
:math:`\varepsilon(t)\sqrt{dt}\,\zeta_l` is then added to the velocity of
every block, resting or moving (supplement VI.3).

Noise
-----
A simulation is reproducible from one integer ``seed`` through a
*counter-based* generator: the Gaussian number used at step ``n`` for block
``l`` is a pure function of ``(seed, n, l)``. That is why a run gives the
same result alone or inside a parallel sweep, on any number of threads. It is
built from the SplitMix64 mixing function (Steele, Lea & Flood 2014) and the
ziggurat method (Marsaglia & Tsang 2000); :func:`gaussian` is the whole of it,
with the random bits of :mod:`springlab.core.counter_rng`.
"""
from __future__ import annotations

import math

from ..core.counter_rng import GOLDEN, random_bits, seed_key, splitmix64  # noqa: F401 (part of the reference)

__all__ = [
    "splitmix64",
    "gaussian",
    "uniform",
    "step_noise",
    "activation",
    "first_order_step",
    "second_order_step",
    "langevin_step",
    "simulate_reference",
]

ATTEMPT_STRIDE = 1 << 44  # counter offset of each redraw (rejection, truncation)
SUB_STRIDE = 1 << 40  # counter offset of the extra uniforms of one attempt


def uniform(key: int, counter: int) -> float:
    """A uniform number in (0, 1) from the top 53 bits."""
    return ((random_bits(key, counter) >> 11) + 0.5) * 2.0**-53


# Ziggurat of Marsaglia & Tsang (2000) with 128 layers, in Doornik's (2005)
# formulation: layer i is a rectangle of half-width ZIG_X[i]; a point drawn
# uniformly in one is under the bell curve with probability ~98.8%.
ZIG_LAYERS = 128
ZIG_R = 3.442619855899  # start of the tail
ZIG_V = 9.91256303526217e-3  # area of each layer


def _ziggurat_tables() -> tuple[list[float], list[float]]:
    x = [0.0] * (ZIG_LAYERS + 1)
    f = math.exp(-0.5 * ZIG_R * ZIG_R)
    x[0] = ZIG_V / f
    x[1] = ZIG_R
    for i in range(2, ZIG_LAYERS):
        x[i] = math.sqrt(-2.0 * math.log(ZIG_V / x[i - 1] + f))
        f = math.exp(-0.5 * x[i] * x[i])
    return x, [x[i + 1] / x[i] for i in range(ZIG_LAYERS)]


ZIG_X, ZIG_RATIO = _ziggurat_tables()


def _normal_tail(key: int, counter: int, negative: bool) -> float:
    """A normal number beyond ±ZIG_R (Marsaglia's tail method)."""
    j = 2
    while True:
        x = math.log(uniform(key, counter + j * SUB_STRIDE)) / ZIG_R
        y = math.log(uniform(key, counter + (j + 1) * SUB_STRIDE))
        if -2.0 * y >= x * x:
            return x - ZIG_R if negative else ZIG_R - x
        j += 2


def gaussian(key: int, counter: int, bound: float = math.inf) -> float:
    """One N(0, 1) number, a pure function of ``(key, counter)``.

    Ziggurat: the low 7 bits of a hash pick a layer, the top 53 a point
    ``u ∈ [-1, 1)`` across it; inside the layer's core the answer is
    ``u · ZIG_X[i]`` (one hash and one multiply). Otherwise the wedge or the
    tail is sampled with extra uniforms, and a rejected point is redrawn at
    ``counter + a·2^44`` (attempt ``a``). With a finite ``bound``, values with
    ``|z| > bound`` are rejected the same way: a Gaussian truncated to
    ``[-bound, bound]``.
    """
    attempt = 0
    while True:
        c = counter + attempt * ATTEMPT_STRIDE
        attempt += 1
        h = random_bits(key, c)
        i = h & (ZIG_LAYERS - 1)
        u = 2.0 * ((h >> 11) * 2.0**-53) - 1.0
        if abs(u) < ZIG_RATIO[i]:  # inside the rectangle's core
            z = u * ZIG_X[i]
        elif i == 0:  # base layer: the tail beyond ZIG_R
            z = _normal_tail(key, c, u < 0)
        else:  # the wedge: accept under the curve
            z = u * ZIG_X[i]
            f0 = math.exp(-0.5 * (ZIG_X[i] ** 2 - z * z))
            f1 = math.exp(-0.5 * (ZIG_X[i + 1] ** 2 - z * z))
            if not f1 + uniform(key, c + SUB_STRIDE) * (f0 - f1) < 1.0:
                continue
        if abs(z) <= bound:
            return z


def step_noise(key: int, step: int, L: int, synchronous: bool, bound: float) -> list[float]:
    """The L standard normal numbers ``ζ_l`` of one step.

    Independent noise: block ``l`` (0-based) uses counter ``step·L + l``.
    Synchronous noise: counter ``step`` for every block.
    """
    if synchronous:
        return [gaussian(key, step, bound)] * L
    return [gaussian(key, step * L + l, bound) for l in range(L)]


def activation(z: float, mu_right: float, mu_left: float) -> float:
    """Asymmetric friction σ(z) of Eq. 5: 0 inside [-μ←, μ→], else z minus the threshold."""
    if z > mu_right:
        return z - mu_right
    if z < -mu_left:
        return z + mu_left
    return 0.0


def _spring_force(x: list[float], l: int, k: float, y: float) -> float:
    """k (Lx)_l with walls x_0 = 0 and x_{L+1} = y (0-based block index l)."""
    left = x[l - 1] if l > 0 else 0.0
    right = x[l + 1] if l < len(x) - 1 else y
    return k * (left - 2.0 * x[l] + right)


def first_order_step(x, zeta, *, k, y, mu_right, mu_left, eps_bar, dt):
    """One step of Eq. 5–6: ``x_l += dt σ(k (Lx)_l + ε̄ ζ_l)``, all blocks from the old x (Jacobi)."""
    return [x[l] + dt * activation(_spring_force(x, l, k, y) + eps_bar * zeta[l], mu_right, mu_left)
            for l in range(len(x))]


def second_order_step(x, v, zeta, *, k, y, mu_right, mu_left, eps_bar, gamma, dt):
    """One semi-implicit Euler step of Eq. 10–11 (static and sliding friction).

    ``F_l = k (Lx)_l - γ v_l + ε̄ ζ_l``; a moving block feels sliding friction
    against its motion; a block at rest stays at rest while ``-μ← ≤ F ≤ μ→``.
    Sliding friction may stop a block but never reverse it: a velocity that
    would cross zero is set to zero (the block sticks). Then ``x += dt v_new``.
    """
    x_new, v_new = [], []
    for l in range(len(x)):
        F = _spring_force(x, l, k, y) - gamma * v[l] + eps_bar * zeta[l]
        if v[l] > 0.0:
            a = F - mu_right
        elif v[l] < 0.0:
            a = F + mu_left
        else:
            a = activation(F, mu_right, mu_left)  # static friction
        w = v[l] + dt * a
        if w * v[l] < 0.0:  # friction stops, never reverses
            w = 0.0
        v_new.append(w)
        x_new.append(x[l] + dt * w)
    return x_new, v_new


def langevin_step(x, v, zeta, *, k, y, mu_right, mu_left, eps_t, gamma, dt):
    """One Euler–Maruyama step of Eq. 12–13 (noise added to the velocity).

    ``dv = (k (Lx)_l - f(v) - γ v) dt + ε(t) dW``, in two stages
    (supplement VI.3: "computing the friction before adding noise"):

    1. Friction, on the noiseless spring force ``F = k (Lx)_l``. A block at
       rest (``v = 0``) with ``-μ← ≤ F ≤ μ→`` is held by static friction: its
       deterministic velocity stays 0. Otherwise friction is ``μ→`` against
       rightward motion, ``μ←`` against leftward (a block at rest starts in
       the direction of ``F``); this deterministic part may stop the block
       but not reverse it.
    2. Noise: ``ε(t) √dt ζ_l`` is added to the velocity of **every** block,
       resting or moving, independently of the friction. A resting block
       under noise therefore moves; with ``ε > 0`` a velocity is exactly 0
       only before the first step.

    Then ``x += dt v_new``.
    """
    x_new, v_new = [], []
    for l in range(len(x)):
        F = _spring_force(x, l, k, y)
        if v[l] == 0.0 and -mu_left <= F <= mu_right:
            w = 0.0  # static friction cancels the noiseless spring force
        else:
            moving_right = v[l] > 0.0 or (v[l] == 0.0 and F > mu_right)
            f = mu_right if moving_right else -mu_left
            w = v[l] + dt * (F - f - gamma * v[l])
            if w * v[l] < 0.0:
                w = 0.0
        w += eps_t * math.sqrt(dt) * zeta[l]  # ε(t) dW, independent of the friction
        v_new.append(w)
        x_new.append(x[l] + dt * w)
    return x_new, v_new


def simulate_reference(order="first", *, L=7, k=1.0, y=1.0, mu_right=0.1, mu_left=0.1, eps=0.0,
                       dt=0.01, n_steps=10_000, seed=0, synchronous=False, gamma=1.0, tau=0.0,
                       noise_bound=math.inf, stop_rtol=0.0, stop_every=100, record_every=100):
    """Run one chain in pure Python; same arguments and results as the kernel.

    Parameters are those of :func:`springlab.simulate_chain` after validation
    (no checks here), with times counted in steps: ``n_steps``, ``stop_every``
    and ``record_every``.

    Returns
    -------
    steps : list of int
        Step index of each record (0 is the initial state).
    positions : list of list of float
        ``x_1 .. x_L`` at each record.
    n_done : int
        Steps actually run (``< n_steps`` when the stopping rule fired).
    """
    key = seed_key(seed)
    x = [0.0] * L
    v = [0.0] * L
    steps, positions = [0], [list(x)]
    last_check = list(x)
    n_done = n_steps
    for n in range(1, n_steps + 1):
        eps_t = eps * math.exp(-tau * (n - 1) * dt) if tau > 0 else eps  # noise decay ε(t) = ε e^{-τt}
        zeta = step_noise(key, n, L, synchronous, noise_bound) if eps_t > 0 else [0.0] * L
        if order == "first":
            x = first_order_step(x, zeta, k=k, y=y, mu_right=mu_right, mu_left=mu_left,
                                 eps_bar=eps_t / math.sqrt(dt), dt=dt)
        elif order == "second":
            x, v = second_order_step(x, v, zeta, k=k, y=y, mu_right=mu_right, mu_left=mu_left,
                                     eps_bar=eps_t / math.sqrt(dt), gamma=gamma, dt=dt)
        else:
            x, v = langevin_step(x, v, zeta, k=k, y=y, mu_right=mu_right, mu_left=mu_left,
                                 eps_t=eps_t, gamma=gamma, dt=dt)
        stop = False
        if stop_rtol > 0 and n % stop_every == 0:  # relative-change stopping rule
            change = max(abs(a - b) for a, b in zip(x, last_check))
            scale = max(max(abs(a) for a in x), 1e-300)
            stop = change <= stop_rtol * scale
            last_check = list(x)
        if n % record_every == 0 or n == n_steps or stop:
            steps.append(n)
            positions.append(list(x))
        if stop:
            n_done = n
            break
    return steps, positions, n_done

"""The graded course, checked with real nbgrader, offline, in a temporary copy of ``course/``.

* ``course/release`` and ``solutions/`` match ``course/source`` (``tools/build_course.py --check``),
  and the check notices drift;
* no solution code, hidden test or model answer reaches a released notebook, and no locked cell of
  any problem set holds the solution of an exercise (of its own or of another problem set);
* autograding: the released notebook with the answers of ``solutions/`` filled in
  earns every autograded point (the grader restores the hidden tests), the untouched
  student version none; for every exercise (answer cell) of problems sets 1-5 at least two plausible
  wrong answers and one answer that delegates (to springlab, scikit-learn or another exercise's
  function) each lose exactly the points of the tests meant to catch them, and nothing elsewhere
  (handed in together, a Latin square of few submissions: ``rounds``); an endless loop is interrupted
  by the cell timeout and scored zero without hanging the grader;
* every problem set says what it needs from the lessons and how long it takes; written answers
  carry a rubric for the grader, which students do not get;
* the feedback a wrong student receives carries the test's explanation.

The solved notebooks themselves run under ``pytest --nbval solutions``.
"""
from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "course"
SOURCE = COURSE / "source"
RELEASE = COURSE / "release"

ASSIGNMENTS = sorted(p.name for p in SOURCE.iterdir() if p.is_dir())
LOOP_TIMEOUT = 8  # seconds per cell for the endless-loop run (the course's own config says 120); ample for
# every other cell of problem set 1, even on two busy cores

# Plausible wrong answers and delegations, per problem set and answer cell (grade_id). Each variant
# replaces that cell of a correct submission and must lose the points of exactly `loses`.
WRONG = {
    "ps1_friction_step": {
        "friction_activation": [
            dict(name="symmetric_friction", loses={"test_sigma_left_asymmetric"}, source='''
def friction_activation(z, mu_right, mu_left):
    z = np.asarray(z, dtype=float)
    # wrong: the same friction on both sides
    return np.where(z > mu_right, z - mu_right, np.where(z < -mu_right, z + mu_right, 0.0))
'''),
            dict(name="no_friction_sliding_right", loses={"test_sigma_right", "test_sigma_left_asymmetric"}, source='''
def friction_activation(z, mu_right, mu_left):
    z = np.asarray(z, dtype=float)
    return np.where(z > mu_right, z, np.where(z < -mu_left, z + mu_left, 0.0))  # wrong: keeps all of z
'''),
            dict(name="delegates", delegates=True, loses={"test_sigma_dead_zone", "test_sigma_right",
                                                          "test_sigma_left_asymmetric"}, source='''
def friction_activation(z, mu_right, mu_left):
    return sl.friction_activation(z, mu_right, mu_left)
'''),
        ],
        "spring_force": [
            dict(name="forgets_target", loses={"test_spring_force"}, source='''
def spring_force(x, k, y):
    padded = np.concatenate(([0.0], np.asarray(x, dtype=float), [0.0]))  # wrong: x_(L+1) = 0
    return k * (padded[2:] - 2 * padded[1:-1] + padded[:-2])
'''),
            dict(name="force_sign", loses={"test_spring_force"}, source='''
def spring_force(x, k, y):
    padded = np.concatenate(([0.0], np.asarray(x, dtype=float), [y]))
    return k * (2 * padded[1:-1] - padded[2:] - padded[:-2])  # wrong sign
'''),
            dict(name="delegates", delegates=True, loses={"test_spring_force"}, source='''
from springlab.chains.reference import _spring_force


def spring_force(x, k, y):
    return np.array([_spring_force(list(x), l, k, y) for l in range(len(x))])
'''),
        ],
        "euler_step": [
            dict(name="euler_sign_error", loses={"test_euler_step"}, source='''
def euler_step(x, zeta, *, k, y, mu_right, mu_left, eta, eps):
    eps_bar = eps / np.sqrt(eta)
    # wrong: steps against the force
    return x - eta * friction_activation(spring_force(x, k, y) + eps_bar * zeta, mu_right, mu_left)
'''),
            dict(name="noise_not_scaled", loses={"test_euler_step"}, source='''
def euler_step(x, zeta, *, k, y, mu_right, mu_left, eta, eps):
    # wrong: eps instead of eps / sqrt(eta)
    return x + eta * friction_activation(spring_force(x, k, y) + eps * zeta, mu_right, mu_left)
'''),
            dict(name="delegates", delegates=True, loses={"test_euler_step"}, source='''
from springlab.chains.reference import first_order_step


def euler_step(x, zeta, *, k, y, mu_right, mu_left, eta, eps):
    return np.array(first_order_step(list(x), list(zeta), k=k, y=y, mu_right=mu_right, mu_left=mu_left,
                                     eps_bar=eps / np.sqrt(eta), dt=eta))
'''),
        ],
        "relax": [
            dict(name="other_seed", loses={"test_relaxation"}, source='''
def relax(L=7, *, k=1.0, y=1.0, mu_right=0.0, mu_left=0.0, eta=0.01, eps=0.0, t_max=100.0, seed=0):
    rng = np.random.default_rng(seed + 1)  # wrong: not the generator of the given seed
    x = np.zeros(L)
    for _ in range(int(round(t_max / eta))):
        x = euler_step(x, rng.standard_normal(L), k=k, y=y, mu_right=mu_right, mu_left=mu_left, eta=eta, eps=eps)
    return x
'''),
            dict(name="same_noise_every_step", loses={"test_relaxation"}, source='''
def relax(L=7, *, k=1.0, y=1.0, mu_right=0.0, mu_left=0.0, eta=0.01, eps=0.0, t_max=100.0, seed=0):
    x = np.zeros(L)
    for _ in range(int(round(t_max / eta))):
        zeta = np.random.default_rng(seed).standard_normal(L)  # wrong: a fresh generator, the same draw each step
        x = euler_step(x, zeta, k=k, y=y, mu_right=mu_right, mu_left=mu_left, eta=eta, eps=eps)
    return x
'''),
            dict(name="delegates", delegates=True, loses={"test_relaxation"}, source='''
def relax(L=7, *, k=1.0, y=1.0, mu_right=0.0, mu_left=0.0, eta=0.01, eps=0.0, t_max=100.0, seed=0):
    run = sl.simulate_chain(L=L, k=k, y=y, mu_right=mu_right, mu_left=mu_left, eps=eps, dt=eta, t_max=t_max, seed=seed)
    return run.positions[-1]
'''),
        ],
    },
    "ps2_equilibrium": {
        "rest_by_force_balance": [
            dict(name="forgets_boundary", loses={"test_force_balance"}, source='''
def rest_by_force_balance(L, k, y, mu_right):
    A = k * (np.diag(-2.0 * np.ones(L)) + np.diag(np.ones(L - 1), 1) + np.diag(np.ones(L - 1), -1))
    return np.linalg.solve(A, np.full(L, float(mu_right)))  # wrong: x_(L+1) = y left out
'''),
            dict(name="friction_sign", loses={"test_force_balance"}, source='''
def rest_by_force_balance(L, k, y, mu_right):
    A = k * (np.diag(-2.0 * np.ones(L)) + np.diag(np.ones(L - 1), 1) + np.diag(np.ones(L - 1), -1))
    b = np.full(L, -float(mu_right))  # wrong: friction pulls the blocks on
    b[-1] -= k * y
    return np.linalg.solve(A, b)
'''),
            dict(name="delegates", delegates=True, loses={"test_force_balance"}, source='''
def rest_by_force_balance(L, k, y, mu_right):
    return sl.equilibrium(L, k, y, mu_right)
'''),
        ],
        "equilibrium": [
            dict(name="eq7_friction_sign", loses={"test_equilibrium"}, source='''
def equilibrium(L, k, y, mu_right):
    l = np.arange(1, L + 1)
    return y * l / (L + 1) + mu_right / (2 * k) * l * (L + 1 - l)  # wrong sign
'''),
            dict(name="eq7_off_by_one", loses={"test_equilibrium"}, source='''
def equilibrium(L, k, y, mu_right):
    l = np.arange(1, L + 1)
    return y * l / (L + 1) - mu_right / (2 * k) * l * (L - l)  # wrong: the boundary at L, not L + 1
'''),
            dict(name="delegates", delegates=True, loses={"test_equilibrium"}, source='''
def equilibrium(L, k, y, mu_right):
    return rest_by_force_balance(L, k, y, mu_right)  # part 1's numerical solution, not a closed form
'''),
        ],
        "min_extension": [
            dict(name="forgets_k", loses={"test_min_extension"}, source='''
def min_extension(L, k, mu_right):
    return mu_right * L * (L + 1) / 2  # wrong: forgot the stiffness k
'''),
            dict(name="off_by_one", loses={"test_min_extension"}, source='''
def min_extension(L, k, mu_right):
    return mu_right * L * (L - 1) / (2 * k)
'''),
            dict(name="delegates", delegates=True, loses={"test_min_extension"}, source='''
def min_extension(L, k, mu_right):
    return 1.0 - (L + 1) * sl.equilibrium(L, k, 1.0, mu_right)[0]
'''),
        ],
        "n_moving": [
            dict(name="all_or_nothing", loses={"test_n_moving"}, source='''
def n_moving(L, k, y, mu_right):
    return L if min_extension(L, k, mu_right) < y else 0
'''),
            dict(name="one_too_many", loses={"test_n_moving"}, source='''
def n_moving(L, k, y, mu_right):
    m = 0
    while m < L and min_extension(m, k, mu_right) < y:  # wrong: tests the chain of m blocks, then adds one
        m += 1
    return m
'''),
            dict(name="delegates", delegates=True, loses={"test_n_moving"}, source='''
def n_moving(L, k, y, mu_right):
    return sl.moving_blocks(L, k, y, mu_right)
'''),
        ],
    },
    "ps3_effective_friction": {
        "effective_friction_mc": [
            dict(name="mc_sign", loses={"test_mc_zero_noise", "test_mc_noise"}, source='''
def friction_activation(z, mu_right, mu_left):
    z = np.asarray(z, dtype=float)
    return np.where(z > mu_right, z - mu_right, np.where(z < -mu_left, z + mu_left, 0.0))


def effective_friction_mc(force, eps_bar, mu_right, mu_left, n_samples=200_000, seed=0):
    s = friction_activation(force + eps_bar * np.random.default_rng(seed).standard_normal(n_samples), mu_right, mu_left)
    return float(np.mean(s[s != 0] - force)) if np.any(s != 0) else np.nan  # wrong: sigma - f
'''),
            dict(name="zero_instead_of_nan", loses={"test_mc_zero_noise"}, source='''
def friction_activation(z, mu_right, mu_left):
    z = np.asarray(z, dtype=float)
    return np.where(z > mu_right, z - mu_right, np.where(z < -mu_left, z + mu_left, 0.0))


def effective_friction_mc(force, eps_bar, mu_right, mu_left, n_samples=200_000, seed=0):
    s = friction_activation(force + eps_bar * np.random.default_rng(seed).standard_normal(n_samples), mu_right, mu_left)
    return float(np.mean(force - s[s != 0])) if np.any(s != 0) else 0.0  # wrong: a stuck block has no friction to average
'''),
            dict(name="delegates", delegates=True, loses={"test_mc_zero_noise", "test_mc_noise"}, source='''
import springlab as sl


def friction_activation(z, mu_right, mu_left):
    return sl.friction_activation(z, mu_right, mu_left)


def effective_friction_mc(force, eps_bar, mu_right, mu_left, n_samples=200_000, seed=0):
    return sl.effective_friction(force, eps_bar, mu_right, mu_left)
'''),
        ],
        "effective_friction_exact": [
            dict(name="phi_signs", loses={"test_exact"}, source='''
def effective_friction_exact(force, eps_bar, mu_right, mu_left):
    a, b = (mu_right - force) / eps_bar, (-mu_left - force) / eps_bar
    right = mu_right * norm.sf(a) + eps_bar * norm.pdf(a)  # wrong signs of the truncated moments
    left = -mu_left * norm.cdf(b) - eps_bar * norm.pdf(b)
    return float((right + left) / (norm.sf(a) + norm.cdf(b)))
'''),
            dict(name="forgets_left_slips", loses={"test_exact"}, source='''
def effective_friction_exact(force, eps_bar, mu_right, mu_left):
    a = (mu_right - force) / eps_bar
    return float((mu_right * norm.sf(a) - eps_bar * norm.pdf(a)) / norm.sf(a))  # wrong: only rightward moves
'''),
            dict(name="delegates", delegates=True, loses={"test_exact"}, source='''
import springlab as sl


def effective_friction_exact(force, eps_bar, mu_right, mu_left):
    return float(sl.effective_friction(force, eps_bar, mu_right, mu_left))
'''),
        ],
        "noise_limits": [
            dict(name="limit_plus", loses={"test_noise_limits"}, source='''
def noise_limits(mu_right, mu_left):
    return mu_right, (mu_right + mu_left) / 2
'''),
            dict(name="limit_no_half", loses={"test_noise_limits"}, source='''
def noise_limits(mu_right, mu_left):
    return mu_right, mu_right - mu_left
'''),
            dict(name="evaluates_exact", delegates=True, loses={"test_noise_limits"}, source='''
def noise_limits(mu_right, mu_left):
    # not formulas: the exact mu_eff at extreme noise
    return (effective_friction_exact(mu_right, 1e-9, mu_right, mu_left),
            effective_friction_exact(mu_right, 1e9, mu_right, mu_left))
'''),
        ],
        "mu_eff_along_noise": [
            dict(name="at_zero_force", loses={"test_monotone"}, source='''
def mu_eff_along_noise(eps_bars, mu_right, mu_left):
    return np.array([effective_friction_exact(0.0, e, mu_right, mu_left) for e in eps_bars])
'''),
            dict(name="frictions_swapped", loses={"test_monotone"}, source='''
def mu_eff_along_noise(eps_bars, mu_right, mu_left):
    return np.array([effective_friction_exact(mu_right, e, mu_left, mu_right) for e in eps_bars])
'''),
            dict(name="delegates", delegates=True, loses={"test_monotone"}, source='''
import springlab as sl


def mu_eff_along_noise(eps_bars, mu_right, mu_left):
    return np.array([sl.effective_friction(mu_right, e, mu_right, mu_left) for e in eps_bars])
'''),
        ],
        "noisy_shape": [
            dict(name="forgets_equal_frictions", loses={"test_noisy_shape"}, source='''
def noisy_shape(mu_right, mu_left):
    return "concave" if mu_right > mu_left else "convex"
'''),
            dict(name="shapes_swapped", loses={"test_noisy_shape"}, source='''
def noisy_shape(mu_right, mu_left):
    return "convex" if mu_right > mu_left else "concave" if mu_right < mu_left else "linear"
'''),
            dict(name="delegates", delegates=True, loses={"test_noisy_shape"}, source='''
import springlab as sl


def noisy_shape(mu_right, mu_left):
    return str(sl.classify_shape(np.sign(sl.delta_d_star(1.0, mu_right, mu_left))))
'''),
        ],
    },
    "ps4_data_separation": {
        "scatter_matrices": [
            dict(name="classes_unweighted", loses={"test_scatter_matrices"}, source='''
def scatter_matrices(X, labels):
    X, labels = np.asarray(X, dtype=float), np.asarray(labels)
    classes = np.unique(labels)
    means = np.array([X[labels == c].mean(axis=0) for c in classes])
    # wrong: the plain average over classes, not weighted by N_c / N
    within = sum(np.atleast_2d(np.cov(X[labels == c].T, bias=True)) for c in classes) / len(classes)
    centred = means - X.mean(axis=0)
    return within, centred.T @ centred / len(classes)
'''),
            dict(name="cov_ddof_1", loses={"test_scatter_matrices"}, source='''
def scatter_matrices(X, labels):
    X, labels = np.asarray(X, dtype=float), np.asarray(labels)
    N, p = X.shape
    within, between = np.zeros((p, p)), np.zeros((p, p))
    for c in np.unique(labels):
        Xc = X[labels == c]
        within += len(Xc) / N * np.atleast_2d(np.cov(Xc.T))  # wrong: np.cov divides by N_c - 1
        between += len(Xc) / N * np.outer(Xc.mean(0) - X.mean(0), Xc.mean(0) - X.mean(0))
    return within, between
'''),
            dict(name="delegates", delegates=True, loses={"test_scatter_matrices"}, source='''
def scatter_matrices(X, labels):
    scatter = sl.ClassScatter(int(np.max(labels)) + 1, full=True).update(np.asarray(X), np.asarray(labels))
    return scatter.within().numpy(), scatter.between().numpy()
'''),
        ],
        "separation_D": [
            dict(name="ratio_inverted", loses={"test_separation_D"}, source='''
def separation_D(X, labels):
    within, between = scatter_matrices(X, labels)
    return float(np.log(np.trace(between) / np.trace(within)))
'''),
            dict(name="log10", loses={"test_separation_D"}, source='''
def separation_D(X, labels):
    within, between = scatter_matrices(X, labels)
    return float(np.log10(np.trace(within) / np.trace(between)))
'''),
            dict(name="delegates", delegates=True, loses={"test_separation_D"}, source='''
from sklearn.metrics import calinski_harabasz_score


def separation_D(X, labels):
    N, K = len(labels), len(np.unique(labels))
    return float(np.log((N - K) / ((K - 1) * calinski_harabasz_score(X, labels))))
'''),
        ],
        "separation_D_hat": [
            dict(name="ratio_of_traces", loses={"test_separation_D_hat"}, source='''
def separation_D_hat(X, labels):
    within, between = scatter_matrices(X, labels)
    return float(np.log(np.trace(within) / np.trace(between)))
'''),
            dict(name="roles_swapped", loses={"test_separation_D_hat"}, source='''
def separation_D_hat(X, labels):
    within, between = scatter_matrices(X, labels)
    return float(-np.log(np.trace(between @ np.linalg.pinv(within, rtol=1e-9, hermitian=True))))
'''),
            dict(name="delegates", delegates=True, loses={"test_separation_D_hat"}, source='''
def separation_D_hat(X, labels):
    return sl.separation(np.asarray(X), np.asarray(labels), kind="Dhat")
'''),
        ],
        "load_curve": [
            dict(name="skips_input", loses={"test_load_curve"}, source='''
def load_curve(features, labels):
    return np.array([separation_D(f, labels) for f in features[1:]])
'''),
            dict(name="reversed", loses={"test_load_curve"}, source='''
def load_curve(features, labels):
    return np.array([separation_D(f, labels) for f in features[::-1]])
'''),
            dict(name="delegates", delegates=True, loses={"test_load_curve"}, source='''
def load_curve(features, labels):
    return np.array([sl.separation(np.asarray(f), np.asarray(labels)) for f in features])
'''),
        ],
        "most_loaded_layer": [
            dict(name="layer_off_by_one", loses={"test_most_loaded_layer"}, source='''
def most_loaded_layer(D):
    D = np.asarray(D, dtype=float)
    return int(np.argmax(D[:-1] - D[1:]))  # wrong: a NumPy index, not the paper's layer number
'''),
            dict(name="argmax_of_D", loses={"test_most_loaded_layer"}, source='''
def most_loaded_layer(D):
    return int(np.argmax(D)) + 1  # wrong: the largest D, not the largest share
'''),
            dict(name="delegates", delegates=True, loses={"test_most_loaded_layer"}, source='''
def most_loaded_layer(D):
    return int(np.argmax(sl.LoadCurve(np.asarray(D, dtype=float)).d)) + 1
'''),
        ],
    },
    "ps5_phase_diagram": {
        "curvature": [
            dict(name="not_normalised", loses={"test_curvature"}, source='''
def curvature(D):
    D = np.asarray(D, dtype=float)
    L = len(D) - 1
    chord = D[0] + np.arange(L + 1) / L * (D[-1] - D[0])
    total = np.sum(np.abs(np.diff(D)))
    return 0.0 if total == 0 else float(np.sum(D[1:-1] - chord[1:-1]) / total)  # wrong: no 2/(L-1)
'''),
            dict(name="below_chord", loses={"test_curvature"}, source='''
def curvature(D):
    D = np.asarray(D, dtype=float)
    L = len(D) - 1
    chord = D[0] + np.arange(L + 1) / L * (D[-1] - D[0])
    total = np.sum(np.abs(np.diff(D)))
    return 0.0 if total == 0 else float(2 / (L - 1) * np.sum(chord[1:-1] - D[1:-1]) / total)  # wrong sign
'''),
            dict(name="delegates", delegates=True, loses={"test_curvature"}, source='''
def curvature(D):
    return float(sl.curvature(D))
'''),
        ],
        "classify": [
            dict(name="thresholds_linear", loses={"test_classify"}, source='''
def classify(kappa, tol=0.1):
    if kappa > tol:  # wrong: the thresholds themselves count as linear
        return "concave"
    if kappa < -tol:
        return "convex"
    return "linear"
'''),
            dict(name="ignores_tol", loses={"test_classify"}, source='''
def classify(kappa, tol=0.1):
    return "concave" if kappa >= 0.1 else "convex" if kappa <= -0.1 else "linear"
'''),
            dict(name="delegates", delegates=True, loses={"test_classify"}, source='''
def classify(kappa, tol=0.1):
    return str(sl.classify_shape(kappa, tol))
'''),
        ],
        "elastic_energy": [
            dict(name="forgets_last_spring", loses={"test_energy"}, source='''
def elastic_energy(D, k):
    D = np.asarray(D, dtype=float)
    return float(k / 2 * np.sum((D[:-1] - D[1:]) ** 2))  # wrong: L springs, the last one left out
'''),
            dict(name="no_half", loses={"test_energy"}, source='''
def elastic_energy(D, k):
    D = np.asarray(D, dtype=float)
    return float(k * (np.sum((D[:-1] - D[1:]) ** 2) + D[-1] ** 2))
'''),
            dict(name="delegates", delegates=True, loses={"test_energy"}, source='''
def elastic_energy(D, k):
    D = np.asarray(D, dtype=float)
    return float(sl.elastic_energy(D[0] - D[1:], k, D[0]))
'''),
        ],
        "min_energy": [
            dict(name="L_springs", loses={"test_min_energy"}, source='''
def min_energy(L, k, y):
    return k * y ** 2 / (2 * L)
'''),
            dict(name="forgets_k", loses={"test_min_energy"}, source='''
def min_energy(L, k, y):
    return y ** 2 / (2 * (L + 1))
'''),
            dict(name="delegates", delegates=True, loses={"test_min_energy"}, source='''
from springlab.chains.theory import minimum_energy


def min_energy(L, k, y):
    return minimum_energy(L, k, y)
'''),
        ],
        "excess_energy": [
            dict(name="difference_of_parts", delegates=True, loses={"test_excess_energy"}, source='''
def excess_energy(D, k):
    return elastic_energy(D, k) - min_energy(len(D) - 1, k, D[0])  # not derived: the two other parts
'''),
            dict(name="variance_not_sum", loses={"test_excess_energy"}, source='''
def excess_energy(D, k):
    D = np.asarray(D, dtype=float)
    return float(k / 2 * np.var(np.append(D[:-1] - D[1:], D[-1])))  # wrong: the mean square, not the sum
'''),
            dict(name="shares_only", loses={"test_excess_energy"}, source='''
def excess_energy(D, k):
    d = -np.diff(np.asarray(D, dtype=float))  # wrong: the L shares, without the last spring
    return float(k / 2 * np.sum((d - d.mean()) ** 2))
'''),
            dict(name="delegates", delegates=True, loses={"test_excess_energy"}, source='''
def excess_energy(D, k):
    D = np.asarray(D, dtype=float)
    x = D[0] - D[1:]
    return float(sl.elastic_energy(x, k, D[0])) - k * D[0] ** 2 / (2 * len(D))
'''),
        ],
        "lowest_energy_cols": [
            dict(name="argmax", loses={"test_lowest_energy"}, source='''
def lowest_energy_cols(load, k):
    return np.argmax([[elastic_energy(c, k) for c in row] for row in load], axis=1)
'''),
            dict(name="per_column", loses={"test_lowest_energy"}, source='''
def lowest_energy_cols(load, k):
    return np.argmin([[elastic_energy(c, k) for c in row] for row in load], axis=0)
'''),
            dict(name="delegates", delegates=True, loses={"test_lowest_energy"}, source='''
def lowest_energy_cols(load, k):
    load = np.asarray(load, dtype=float)
    return np.argmin(sl.elastic_energy(load[..., :1] - load[..., 1:], k, load[..., 0]), axis=1)
'''),
        ],
        "straightest_cols": [
            dict(name="argmin_kappa", loses={"test_straightest"}, source='''
def straightest_cols(load):
    return np.argmin([[curvature(c) for c in row] for row in load], axis=1)  # wrong: the most convex
'''),
            dict(name="argmax_abs_kappa", loses={"test_straightest"}, source='''
def straightest_cols(load):
    return np.argmax(np.abs([[curvature(c) for c in row] for row in load]), axis=1)
'''),
            dict(name="delegates", delegates=True, loses={"test_straightest"}, source='''
def straightest_cols(load):
    return np.argmin(np.abs(sl.curvature(load)), axis=1)
'''),
        ],
    },
}
# An endless loop in a student's function: `t` never equals t_max exactly
# (0.01 is not a binary fraction), so the test that calls relax() never returns.
LOOP = dict(
    assignment="ps1_friction_step", cell="relax", loses={"test_relaxation"},
    source='''
def relax(L=7, *, k=1.0, y=1.0, mu_right=0.0, mu_left=0.0, eta=0.01, eps=0.0, t_max=100.0, seed=0):
    rng = np.random.default_rng(seed)
    x, t = np.zeros(L), 0.0
    while t != t_max:
        x = euler_step(x, rng.standard_normal(L), k=k, y=y, mu_right=mu_right, mu_left=mu_left, eta=eta, eps=eps)
        t += eta
    return x
''')


def notebook_name(assignment: str) -> str:
    (nb,) = sorted((SOURCE / assignment).glob("*.ipynb"))
    return nb.name


def nbgrader(args: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")  # alembic (PITFALLS)
    env.pop("MPLBACKEND", None)
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert proc.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def nbgrader_cells(nb):
    return [c for c in nb.cells if "nbgrader" in c.metadata]


def with_cell(nb, grade_id: str, source: str):
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    (cell,) = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id]
    cell.source = source.strip("\n")
    return nb


def solved_release(assignment: str):
    """What a student who got everything right hands in: the released notebook with every answer cell
    (code and written) filled in as in ``solutions/`` (no hidden tests: the grader puts those back)."""
    nb = nbformat.read(str(RELEASE / assignment / notebook_name(assignment)), as_version=4)
    solved = nbformat.read(str(ROOT / "solutions" / assignment / notebook_name(assignment)), as_version=4)
    answers = {c.metadata.nbgrader["grade_id"]: c.source for c in nbgrader_cells(solved)
               if c.metadata.nbgrader["solution"]}
    for cell in nbgrader_cells(nb):
        if cell.metadata.nbgrader["solution"]:
            cell.source = answers[cell.metadata.nbgrader["grade_id"]]
    return nb


def submit(course: Path, student: str, assignment: str, nb) -> None:
    dest = course / "submitted" / student / assignment
    dest.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(dest / notebook_name(assignment)))


def new_course(tmp_path_factory, name: str, *assignments: str) -> Path:
    """A temporary copy of the course (config, feedback preprocessor, the given sources or all of them)."""
    course = tmp_path_factory.mktemp(name) / "course"
    course.mkdir()
    shutil.copy2(COURSE / "nbgrader_config.py", course)
    shutil.copy2(COURSE / "safe_feedback.py", course)  # the config's feedback preprocessor (generate_feedback)
    if assignments:
        for a in assignments:
            shutil.copytree(SOURCE / a, course / "source" / a)
    else:
        shutil.copytree(SOURCE, course / "source")
    return course


def gradebook_scores(course: Path) -> dict:
    """Every autograded submission's scores, by (assignment, student): code, max_code, max_written, cells."""
    from nbgrader.api import Gradebook

    scores = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for assignment in gb.assignments:
            for sub in assignment.submissions:
                (sub_nb,) = sub.notebooks
                scores[(assignment.name, sub.student.id)] = {
                    "code": sub.code_score, "max_code": sub.max_code_score, "max_written": sub.max_written_score,
                    "cells": {g.name: (g.score, g.max_score) for g in sub_nb.grades if g.cell.cell_type == "code"},
                }
    return scores


def wrong_source(assignment: str, cell: str, name: str) -> str:
    """The source of the wrong answer ``name`` to ``cell`` in :data:`WRONG` (reused by the feedback test)."""
    return next(v["source"] for v in WRONG[assignment][cell] if v["name"] == name)


def lost(cells: dict) -> set[str]:
    """The grade ids of the cells {grade id: (score, max score)} that lost points."""
    return {gid for gid, (score, max_score) in cells.items() if score < max_score}


def error_outputs(course: Path, student: str, assignment: str, grade_id: str) -> list:
    """The error outputs of cell ``grade_id`` in ``student``'s autograded notebook (what the feedback shows)."""
    nb = nbformat.read(str(course / "autograded" / student / assignment / notebook_name(assignment)), as_version=4)
    (cell,) = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id]
    return [o for o in cell.outputs if o.output_type == "error"]


def autograde_answers(tmp_path_factory, assignment: str, answers: dict, submissions: dict,
                      untouched: bool = False) -> dict:
    """A course holding one problem set, generated; its solution, every submission ({student: names in
    ``answers``, each (answer cell, source)}) and, if ``untouched``, the release as generated autograded.

    Returns the course folder and the scores by student (:func:`gradebook_scores`).
    """
    course = new_course(tmp_path_factory, f"course_{assignment[:3]}", assignment)
    nbgrader(["generate_assignment", assignment, "--force"], cwd=course)
    submit(course, "solution", assignment, solved_release(assignment))
    if untouched:
        submit(course, "untouched", assignment,
               nbformat.read(str(course / "release" / assignment / notebook_name(assignment)), as_version=4))
    for student, chosen in submissions.items():
        nb = solved_release(assignment)
        for answer in chosen:
            nb = with_cell(nb, *answers[answer])
        submit(course, student, assignment, nb)
    nbgrader(["autograde", assignment], cwd=course)
    return {"course": course, "scores": {student: v for (_, student), v in gradebook_scores(course).items()}}


def assert_each_answer_loses_its_own_test(cells: dict, chosen: tuple, answers: dict, test_of: dict) -> None:
    """The submission of answers ``chosen`` lost all the points of each one's test and nothing elsewhere."""
    want = {test_of[answers[a][0]] for a in chosen}
    assert len(want) == len(chosen)  # one answer per exercise
    assert lost(cells) == want, f"{chosen}: lost points in {sorted(lost(cells))}, expected {sorted(want)}"
    for gid in want:
        assert cells[gid][0] == 0, cells


def wrong_answers_by_exercise(mutants: dict, answers: dict) -> dict[str, list[str]]:
    """The plausible wrong answers, grouped by the answer cell they replace."""
    by_exercise: dict[str, list[str]] = {}
    for a in mutants:
        by_exercise.setdefault(answers[a][0], []).append(a)
    return by_exercise


def rounds(assignment: str) -> list[dict]:
    """The submissions of wrong answers for one problem set: {answer cell: variant} per round.

    A Latin square over the answer cells: round s gives cell number e its variant number
    (e + s) mod S, with 0 the correct answer and S = 1 + the most variants of a cell. Every variant
    is handed in exactly once, in S submissions instead of one per variant, and in every round
    other cells are answered correctly, so a variant that cost points outside its own tests shows.
    """
    cells = WRONG[assignment]
    n_rounds = 1 + max(len(v) for v in cells.values())
    out = []
    for s in range(n_rounds):
        chosen = {}
        for e, gid in enumerate(cells):
            i = (e + s) % n_rounds
            if 1 <= i <= len(cells[gid]):
                chosen[gid] = cells[gid][i - 1]
        out.append(chosen)
    return out


ROUNDS = [(a, s) for a in sorted(WRONG) for s in range(len(rounds(a)))]


def round_student(s: int) -> str:
    return f"wrong{s}"


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """A temporary course: generated, submissions made and autograded; yields scores and timings."""
    course = new_course(tmp_path_factory, "course")
    nbgrader(["generate_assignment", "*", "--force"], cwd=course)
    for a in ASSIGNMENTS:
        submit(course, "solution", a, solved_release(a))
        submit(course, "untouched", a, nbformat.read(str(course / "release" / a / notebook_name(a)), as_version=4))
    for a in sorted(WRONG):
        for s, chosen in enumerate(rounds(a)):
            nb = solved_release(a)
            for gid, variant in chosen.items():
                nb = with_cell(nb, gid, variant["source"])
            submit(course, round_student(s), a, nb)
    t0 = time.perf_counter()
    nbgrader(["autograde", "*"], cwd=course)
    times = {"autograde": time.perf_counter() - t0}

    submit(course, "endless_loop", LOOP["assignment"],
           with_cell(solved_release(LOOP["assignment"]), LOOP["cell"], LOOP["source"]))
    t0 = time.perf_counter()
    # A short cell timeout keeps the test fast; the hard limit guards against a hung grader.
    nbgrader(["autograde", LOOP["assignment"], "--student", "endless_loop", f"--Execute.timeout={LOOP_TIMEOUT}"],
             cwd=course, timeout=300)
    times["endless_loop"] = time.perf_counter() - t0
    print("autograde timings (s):", {k: round(v, 1) for k, v in times.items()})

    return {"course": course, "scores": gradebook_scores(course), "times": times}


# -- the course's shape ---------------------------------------------------------------------------

def test_course_layout_and_metadata():
    assert len(ASSIGNMENTS) >= 5, ASSIGNMENTS
    config = (COURSE / "nbgrader_config.py").read_text()
    assert re.search(r"c\.Execute\.timeout\s*=\s*\d+", config), "the course must set a cell timeout"
    for a in ASSIGNMENTS:
        nb = nbformat.read(str(SOURCE / a / notebook_name(a)), as_version=4)
        assert "widgets" not in nb.metadata, f"{a}: source keeps metadata.widgets"
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), f"{a}: source has outputs"
        cells = nbgrader_cells(nb)
        tests = [c for c in cells if c.metadata.nbgrader["grade"] and c.cell_type == "code"]
        assert len(tests) >= 4, f"{a}: too few autograded tests"
        assert any("### BEGIN HIDDEN TESTS" in c.source for c in tests), f"{a}: no hidden tests"
        for c in cells:
            meta = c.metadata.nbgrader
            assert meta["schema_version"] == 3 and {"grade", "grade_id", "locked", "solution"} <= set(meta)
            if meta["grade"]:
                assert meta["points"] > 0, f"{a}/{meta['grade_id']}: no points"
            if meta["grade"] and c.cell_type == "code":
                assert "assert" in c.source and re.search(r"assert .*,\s*\(?\s*f?\"", c.source), (
                    f"{a}/{meta['grade_id']}: tests need assert messages that explain")
        assert nb.cells[0].cell_type == "markdown" and "What you will learn" in nb.cells[0].source
        stated = re.search(r"Autograded points: (\d+)", nb.cells[0].source)
        assert stated and int(stated.group(1)) == sum(c.metadata.nbgrader["points"] for c in tests), (
            f"{a}: the introduction states other autograded points than the test cells carry")


WRITTEN = {"ps3_effective_friction": 2, "ps5_phase_diagram": 3}  # points of the answers graded by hand


@pytest.mark.parametrize("a", sorted(WRITTEN))
def test_hand_graded_written_answer_has_a_rubric(a):
    nb = nbformat.read(str(SOURCE / a / notebook_name(a)), as_version=4)
    written = [c for c in nb.cells if c.cell_type == "markdown"
               and c.metadata.get("nbgrader", {}).get("solution") and c.metadata.nbgrader.get("grade")]
    assert len(written) == 1 and written[0].metadata.nbgrader["points"] == WRITTEN[a]
    text = written[0].source
    assert "Model answer (for the grader)" in text and "Rubric" in text, f"{a}: the written answer needs a rubric"
    assert re.search(rf"Rubric \({WRITTEN[a]} points", text), f"{a}: the rubric must share out all {WRITTEN[a]} points"
    assert "Rubric" not in (RELEASE / a / notebook_name(a)).read_text(), f"{a}: the rubric reached the release"


def test_problem_sets_say_what_they_need_and_how_long_they_take():
    """Issue 14 item 6: the lessons each problem set builds on, and at most 45 minutes."""
    lessons = {p.stem[:2] for p in (ROOT / "lessons").glob("[0-9][0-9]_*.ipynb")}
    for a in ASSIGNMENTS:
        intro = nbformat.read(str(SOURCE / a / notebook_name(a)), as_version=4).cells[0].source
        m = re.search(r"\*\*Before you start\.\*\*(.*?)(?:\n\n|$)", intro, re.DOTALL)
        assert m, f"{a}: the introduction has no 'Before you start.' paragraph"
        cited = set(re.findall(r"[Ll]essons? (\d\d)", m.group(1)))
        cited |= set(re.findall(r"\b(\d\d)\b", " ".join(re.findall(r"[Ll]essons? [\d, and]+", m.group(1)))))
        assert cited and cited <= lessons, f"{a}: cites lessons {sorted(cited)}, which must exist: {sorted(lessons)}"
        minutes = [int(x) for x in re.findall(r"(\d+)\s*minutes", m.group(1))]
        minutes += [int(x) for x in re.findall(r"\d+[–-](\d+)\s*minutes", m.group(1))]
        assert minutes and max(minutes) <= 45, f"{a}: say how long it takes, at most 45 minutes: {m.group(1)!r}"


def secret_solution_lines(a: str) -> set[str]:
    """Lines of the solutions of ``a`` that occur nowhere else in its source (long enough to mean something)."""
    src = nbformat.read(str(SOURCE / a / notebook_name(a)), as_version=4)
    secret, visible = set(), set()
    for c in src.cells:
        inside = False
        for line in c.source.splitlines():
            t = line.strip()
            if t in ("### BEGIN SOLUTION", "### END SOLUTION"):
                inside = t == "### BEGIN SOLUTION"
            elif t in ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"):
                continue
            else:
                (secret if inside else visible).add(t)
    return {t for t in secret - visible if len(t) > 20 and not t.startswith(("#", '"""'))}


def test_locked_cells_hold_no_solution():
    """No locked cell of any released problem set contains a solution line of any problem set (issue 14, item 2)."""
    secrets = {a: secret_solution_lines(a) for a in ASSIGNMENTS}
    for a in ASSIGNMENTS:
        nb = nbformat.read(str(RELEASE / a / notebook_name(a)), as_version=4)
        locked_lines = {line.strip() for c in nb.cells if c.cell_type == "code"
                        and not c.metadata.get("nbgrader", {}).get("solution") for line in c.source.splitlines()}
        for b, lines in secrets.items():
            found = lines & locked_lines
            assert not found, f"{a}: locked cells contain solution lines of {b}: {sorted(found)[:3]}"


def test_build_check_passes():
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "build_course.py"), "--check"], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"course/release or solutions/ drifted from course/source; run " \
                                 f"`python tools/build_course.py`:\n{proc.stdout}\n{proc.stderr[-2000:]}"


def test_build_check_notices_drift(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("build_course", ROOT / "tools" / "build_course.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    a = "ps3_effective_friction"
    release, solutions = tmp_path / "release", tmp_path / "solutions"
    shutil.copytree(RELEASE / a, release / a)
    shutil.copytree(ROOT / "solutions" / a, solutions / a)
    monkeypatch.setattr(build, "RELEASE", release)
    monkeypatch.setattr(build, "SOLUTIONS", solutions)
    # nbgrader's real output is compared with the repository by test_build_check_passes; here the
    # committed release stands in for it, so that this test checks only that edits are noticed.
    monkeypatch.setattr(build, "generate_release",
                        lambda names, dest: [shutil.copytree(RELEASE / n, dest / n) for n in names])
    assert build.check([a]) == []
    for folder in (release, solutions):
        path = folder / a / notebook_name(a)
        nb = nbformat.read(str(path), as_version=4)
        nb.cells[-1].source += "\n# edited by hand"
        nbformat.write(nb, str(path))
    problems = build.check([a])
    assert any(p.startswith(f"course/release/{a}/") for p in problems), problems
    assert any(p.startswith(f"solutions/{a}/") for p in problems), problems


def test_nothing_secret_is_released():
    released = {a: (RELEASE / a / notebook_name(a)).read_text() for a in ASSIGNMENTS}
    for a, text in released.items():
        for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "Model answer"):
            assert marker not in text, f"{a}: {marker!r} in the released notebook"
        nb = nbformat.reads(text, as_version=4)
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), f"{a}: released with outputs"
        released_lines = {line.strip() for c in nb.cells for line in c.source.splitlines()}
        src = nbformat.read(str(SOURCE / a / notebook_name(a)), as_version=4)
        visible = set()
        secret = set()
        for c in src.cells:
            inside = None
            for line in c.source.splitlines():
                s = line.strip()
                if s in ("### BEGIN SOLUTION", "### BEGIN HIDDEN TESTS"):
                    inside = s
                elif s in ("### END SOLUTION", "### END HIDDEN TESTS"):
                    inside = None
                elif inside:
                    secret.add(s)
                else:
                    visible.add(s)
            if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("solution"):
                secret |= {line.strip() for line in c.source.splitlines()}
        # lines that also appear outside the secret parts (imports, "return x") prove nothing
        leaked = {s for s in secret - visible if len(s) > 12 and s in released_lines}
        assert not leaked, f"{a}: solution or hidden-test lines in the release: {sorted(leaked)[:5]}"


# -- autograding ------------------------------------------------------------------------------------

def test_solution_earns_full_marks(graded):
    for a in ASSIGNMENTS:
        s = graded["scores"][(a, "solution")]
        assert s["max_code"] > 0 and s["code"] == s["max_code"], (a, s["cells"])


def test_untouched_release_earns_zero(graded):
    for a in ASSIGNMENTS:
        s = graded["scores"][(a, "untouched")]
        assert s["code"] == 0 and s["max_code"] > 0, (a, s["cells"])


def test_written_answer_is_left_to_the_grader(graded):
    for a, points in WRITTEN.items():
        assert graded["scores"][(a, "solution")]["max_written"] == points


@pytest.mark.parametrize("assignment, s", ROUNDS, ids=[f"{a}-round{s}" for a, s in ROUNDS])
def test_wrong_answers_lose_exactly_their_tests(graded, assignment, s):
    chosen = rounds(assignment)[s]
    cells = graded["scores"][(assignment, round_student(s))]["cells"]
    lost = {gid for gid, (score, max_score) in cells.items() if score < max_score}
    expected = set().union(*(v["loses"] for v in chosen.values()))
    handed_in = {gid: v["name"] for gid, v in chosen.items()}
    assert lost == expected, (f"{assignment}, round {s} {handed_in}: lost points in {sorted(lost)}, "
                              f"expected {sorted(expected)}")
    for gid in expected:
        assert cells[gid][0] == 0, f"{assignment}, round {s} {handed_in}: {gid} scored {cells[gid][0]}, not 0"


@pytest.mark.parametrize("assignment", sorted(WRONG))
def test_a_delegating_answer_is_told_to_implement_it(graded, assignment):
    """The message of a test that caught a delegation says what to do, not only that it failed."""
    for s, chosen in enumerate(rounds(assignment)):
        nb = nbformat.read(str(graded["course"] / "autograded" / round_student(s) / assignment
                               / notebook_name(assignment)), as_version=4)
        tests = {c.metadata.nbgrader["grade_id"]: c for c in nbgrader_cells(nb) if c.metadata.nbgrader["grade"]}
        for gid, variant in chosen.items():
            if not variant.get("delegates"):
                continue
            for test in variant["loses"]:
                messages = [o.evalue for o in tests[test].outputs if o.output_type == "error"]
                assert messages and re.search(r"yourself|may not", messages[0]), (
                    f"{assignment}/{gid} ({variant['name']}): {test} says {messages}")


def test_every_exercise_has_wrong_answers_and_a_delegation():
    """Problem sets 1-5: every answer cell has >= 2 plausible wrong answers and >= 1 delegation here."""
    assert {"ps1_friction_step", "ps2_equilibrium", "ps3_effective_friction", "ps4_data_separation",
            "ps5_phase_diagram"} <= set(WRONG)
    for a, cells in WRONG.items():
        nb = nbformat.read(str(SOURCE / a / notebook_name(a)), as_version=4)
        answers = {c.metadata.nbgrader["grade_id"] for c in nbgrader_cells(nb)
                   if c.cell_type == "code" and c.metadata.nbgrader["solution"]}
        assert set(cells) == answers, f"{a}: wrong answers for {sorted(cells)}, answer cells {sorted(answers)}"
        tests = {c.metadata.nbgrader["grade_id"] for c in nbgrader_cells(nb)
                 if c.cell_type == "code" and c.metadata.nbgrader["grade"]}
        for gid, variants in cells.items():
            assert sum(not v.get("delegates") for v in variants) >= 2, f"{a}/{gid}: fewer than 2 wrong answers"
            assert any(v.get("delegates") for v in variants), f"{a}/{gid}: no delegating answer"
            for v in variants:
                assert v["loses"] and v["loses"] <= tests, (a, gid, v["name"], v["loses"])
    # each variant is handed in exactly once
    for a in WRONG:
        seen = [(gid, v["name"]) for chosen in rounds(a) for gid, v in chosen.items()]
        assert sorted(seen) == sorted((gid, v["name"]) for gid, vs in WRONG[a].items() for v in vs)


def test_endless_loop_times_out_and_scores_zero(graded):
    s = graded["scores"][(LOOP["assignment"], "endless_loop")]
    stopped = lost(s["cells"])
    assert stopped == LOOP["loses"] and all(s["cells"][g][0] == 0 for g in stopped), s["cells"]
    # two cells call the looping function (its test and a demo): each is stopped after the cell timeout
    assert graded["times"]["endless_loop"] < 2 * LOOP_TIMEOUT + 60, graded["times"]
    errors = error_outputs(graded["course"], "endless_loop", LOOP["assignment"], "test_relaxation")
    assert errors and any(o.ename in ("KeyboardInterrupt", "CellTimeoutError") for o in errors), errors


def test_feedback_explains_the_mistake(graded):
    course = graded["course"]
    (s,) = [s for s, chosen in enumerate(rounds("ps1_friction_step"))
            if chosen.get("friction_activation", {}).get("name") == "symmetric_friction"]
    nbgrader(["generate_feedback", "ps1_friction_step", "--student", round_student(s)], cwd=course)
    html = (course / "feedback" / round_student(s) / "ps1_friction_step"
            / notebook_name("ps1_friction_step").replace(".ipynb", ".html")).read_text()
    assert "did you use mu_right on both sides?" in html


def solution_namespace(assignment: str, grade_ids: list[str], **names) -> dict:
    """Run the given solution cells of a source notebook; return their namespace."""
    nb = nbformat.read(str(SOURCE / assignment / notebook_name(assignment)), as_version=4)
    namespace = {"np": np, **names}
    for gid in grade_ids:
        (cell,) = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == gid]
        exec(cell.source, namespace)
    return namespace


def test_exercises_agree_with_springlab_chains():
    """What problem sets 1-3 and 5 teach is what the package computes (the paper's Eq. 6-8)."""
    from scipy.stats import norm

    import springlab as sl
    from springlab.chains.theory import minimum_energy

    # springlab is this project, not an optional tool: an ImportError or a missing name fails, never skips
    sigma, equilibrium, mu_eff = sl.friction_activation, sl.equilibrium, sl.effective_friction
    ns = solution_namespace("ps1_friction_step", ["friction_activation"])
    z = np.linspace(-1, 1, 201)
    for mr, ml in [(0.1, 0.2), (0.04, 0.12), (0.0, 0.1)]:
        np.testing.assert_allclose(ns["friction_activation"](z, mr, ml), sigma(z, mr, ml))
    ns = solution_namespace("ps2_equilibrium", ["rest_by_force_balance", "equilibrium", "min_extension", "n_moving"])
    for L, k, y, mu in [(7, 1.0, 3.0, 0.1), (4, 2.0, 1.0, 0.05)]:  # every block moves
        np.testing.assert_allclose(ns["equilibrium"](L, k, y, mu), equilibrium(L, k, y, mu))
        np.testing.assert_allclose(ns["rest_by_force_balance"](L, k, y, mu), equilibrium(L, k, y, mu))
    for L, k, y, mu in [(7, 1.0, 1.0, 0.07), (5, 2.0, 0.35, 0.1), (9, 1.0, 0.2, 0.03), (3, 1.0, 0.05, 0.1)]:
        assert ns["n_moving"](L, k, y, mu) == sl.moving_blocks(L, k, y, mu), (L, k, y, mu)
    ns = solution_namespace("ps3_effective_friction", ["effective_friction_exact", "noise_limits"], norm=norm)
    for f, e, mr, ml in [(0.04, 0.3, 0.04, 0.12), (0.3, 0.05, 0.1, 0.2), (0.0, 2.0, 0.0, 0.1)]:
        np.testing.assert_allclose(ns["effective_friction_exact"](f, e, mr, ml), mu_eff(f, e, mr, ml), rtol=1e-6)
    assert np.isclose(ns["noise_limits"](0.04, 0.12)[1], sl.delta_d_star(1.0, 0.04, 0.12))  # Eq. 8 with k = 1
    ns = solution_namespace("ps5_phase_diagram", ["curvature", "elastic_energy", "min_energy"])
    rng = np.random.default_rng(0)
    for L in (3, 7):
        D = 1.0 - np.concatenate(([0.0], np.sort(rng.uniform(0, 1, L))))
        assert np.isclose(ns["curvature"](D), sl.curvature(D))
        assert np.isclose(ns["elastic_energy"](D, 2.0), sl.elastic_energy(1.0 - D[1:], 2.0, 1.0))
        assert np.isclose(ns["min_energy"](L, 2.0, 1.5), minimum_energy(L, 2.0, 1.5))


def test_exercise_D_agrees_with_springlab():
    """The conventions taught in problem set 4 (class-size weighting, Eq. 3 and 9) are the package's."""
    from springlab import separation  # an ImportError fails the test (springlab is not optional)
    ns = solution_namespace("ps4_data_separation", ["scatter_matrices", "separation_D", "separation_D_hat"])
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(4), [20, 30, 40, 50])
    X = rng.normal(size=(len(labels), 6)) + rng.normal(size=(4, 6))[labels]
    assert np.isclose(ns["separation_D"](X, labels), separation(X, labels, kind="D"), rtol=1e-6)
    assert np.isclose(ns["separation_D_hat"](X, labels), separation(X, labels, kind="Dhat"), rtol=1e-6)


def test_notebook_tool_cleans_volatile_metadata(tmp_path):
    """tools/notebooks.py: execute keeps outputs and drops widget state and timings."""
    spec = importlib.util.spec_from_file_location("notebooks_tool", ROOT / "tools" / "notebooks.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(6 * 7)")])
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    nb.metadata["kernelspec"] = {"name": "some-other-kernel", "display_name": "x", "language": "python"}
    path = tmp_path / "n.ipynb"
    nbformat.write(nb, str(path))
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "notebooks.py"), "execute", str(path)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = nbformat.read(str(path), as_version=4)
    assert "widgets" not in out.metadata and out.metadata.kernelspec["name"] == "python3"
    (cell,) = out.cells
    assert cell.outputs[0]["text"] == "42\n" and "execution" not in cell.metadata
    cell.metadata["execution"] = {"iopub.status.busy": "2026-01-01T00:00:00"}
    tool.clean(out)
    assert "execution" not in cell.metadata and cell.outputs

"""The spring–block simulator: kernel vs reference, noise, reproducibility, validation, caching."""
from __future__ import annotations

import math
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import springlab as sl
from springlab.chains import simulator as springs, reference as ref

ROOT = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------- kernel == reference
@pytest.mark.parametrize("order", ["first", "second", "langevin"])
@pytest.mark.parametrize("noise", ["independent", "synchronous"])
def test_kernel_matches_reference_step_for_step(order, noise):
    kw = dict(L=5, k=1.0, y=1.0, mu_right=0.05, mu_left=0.12, eps=0.02, dt=0.01, t_max=4.0, seed=11,
              noise=noise, gamma=1.0, record_every=0.01)  # every step recorded
    fast = springs.simulate_chain(order, **kw)
    slow = springs.simulate_chain_reference(order, **kw)
    assert fast.positions.shape == slow.positions.shape == (401, 5)
    np.testing.assert_allclose(fast.positions, slow.positions, rtol=0, atol=1e-13)
    assert np.ptp(fast.positions[-1]) > 0  # the chain did move


@pytest.mark.parametrize("order", ["first", "second", "langevin"])
def test_kernel_matches_reference_with_bound_decay_and_stopping(order):
    kw = dict(L=4, k=1.0, y=2.0, mu_right=0.1, mu_left=0.1, eps=0.05, dt=0.02, t_max=30.0, seed=5,
              noise_bound=1.0, tau=0.2, stop_rtol=1e-3, stop_window=0.5, record_every=0.2)
    fast = springs.simulate_chain(order, **kw)
    slow = springs.simulate_chain_reference(order, **kw)
    np.testing.assert_allclose(fast.positions, slow.positions, rtol=0, atol=1e-13)
    np.testing.assert_array_equal(fast.times, slow.times)
    assert fast.stopped_at == slow.stopped_at
    assert fast.stopped_at is not None and fast.stopped_at < 30.0  # decayed noise lets the rule fire
    assert fast.times[-1] == pytest.approx(fast.stopped_at)


def test_compiled_gaussian_equals_python_gaussian_including_rare_paths():
    key = ref.seed_key(2024)
    counters = np.arange(20_000, dtype=np.uint64)
    fast = np.array([springs._gaussian(np.uint64(key), c, np.inf) for c in counters[:3000]])
    slow = np.array([ref.gaussian(key, int(c)) for c in counters[:3000]])
    np.testing.assert_array_equal(fast, slow)
    # rare paths (wedges and the tail, ~1.2 %) and truncation agree too
    many = np.array([ref.gaussian(key, int(c)) for c in counters])
    rare = [int(c) for c, z in zip(counters, many) if abs(z) > ref.ZIG_R or abs(z) > 2.5][:40]
    assert len(rare) >= 20
    for c in rare:
        assert springs._gaussian(np.uint64(key), np.uint64(c), np.inf) == ref.gaussian(key, c)
        assert springs._gaussian(np.uint64(key), np.uint64(c), 1.5) == ref.gaussian(key, c, 1.5)


def test_noise_is_standard_normal():
    from scipy import stats

    key = ref.seed_key(7)
    z = np.array([ref.gaussian(key, c) for c in range(40_000)])
    assert abs(z.mean()) < 0.02 and abs(z.std() - 1) < 0.02
    assert stats.kstest(z, "norm").pvalue > 1e-3
    # the tail beyond the ziggurat's base (3.44) has the Gaussian weight
    assert np.mean(np.abs(z) > 3.0) == pytest.approx(2 * stats.norm.sf(3.0), rel=0.35)
    zb = np.array([ref.gaussian(key, c, 1.0) for c in range(5000)])
    assert np.max(np.abs(zb)) <= 1.0
    assert zb.std() == pytest.approx(stats.truncnorm(-1, 1).std(), rel=0.05)


def test_synchronous_noise_is_shared_by_all_blocks():
    key = ref.seed_key(3)
    z = ref.step_noise(key, 17, 6, True, math.inf)
    assert len(set(z)) == 1
    zi = ref.step_noise(key, 17, 6, False, math.inf)
    assert len(set(zi)) == 6
    # in a synchronous chain, the first step moves every interior block identically
    run = sl.simulate_chain(L=6, mu_right=0.0, mu_left=0.0, eps=0.1, y=0.0, noise="synchronous",
                            t_max=0.01, record_every=0.01)
    assert np.ptp(run.positions[1, :]) == 0 and run.positions[1, 0] != 0


# ---------------------------------------------------------------- reproducibility
def test_one_seed_one_result_whatever_the_batch():
    p = springs.validate_chain_parameters(eps=0.02, mu_right=0.05)
    rows = np.array([springs.param_row(p)] * 6)
    rows[:, springs.PARAMS.index("eps")] = [0.0, 0.01, 0.02, 0.02, 0.03, 0.02]
    seeds = [0, 1, 2, 3, 4, 2]
    out, _ = springs.run_batch("first", "independent", 7, 0.01, 10.0, rows, seeds)
    alone = springs.simulate_chain(eps=0.02, mu_right=0.05, seed=2, t_max=10.0)
    np.testing.assert_array_equal(out[2, -1], alone.positions[-1])
    np.testing.assert_array_equal(out[5, -1], alone.positions[-1])  # same seed, later in the batch
    assert not np.array_equal(out[3, -1], out[2, -1])  # another seed, another result
    rev, _ = springs.run_batch("first", "independent", 7, 0.01, 10.0, rows[::-1].copy(), seeds[::-1])
    np.testing.assert_array_equal(rev[::-1, -1], out[:, -1])


def test_result_independent_of_thread_count():
    import numba

    p = springs.validate_chain_parameters(order="second", eps=0.02, mu_right=0.05)
    rows = np.array([springs.param_row(p)] * 16)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one, _ = springs.run_batch("second", "independent", 7, 0.01, 5.0, rows, range(16))
        numba.set_num_threads(before)
        many, _ = springs.run_batch("second", "independent", 7, 0.01, 5.0, rows, range(16))
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(one, many)


# ---------------------------------------------------------------- the run object
def test_chain_run_fields():
    run = sl.simulate_chain("first", L=5, k=2.0, y=3.0, mu_right=0.1, mu_left=0.2, eps=0.01, t_max=2.0,
                            record_every=0.1, seed=1)
    assert isinstance(run, springs.ChainRun)
    n = 21
    assert run.times.shape == (n,) and run.positions.shape == (n, 5) and run.load.shape == (n, 6)
    np.testing.assert_allclose(run.times, np.arange(n) * 0.1)
    np.testing.assert_array_equal(run.load[:, 0], 3.0)
    np.testing.assert_array_equal(run.load[:, 1:], 3.0 - run.positions)
    np.testing.assert_allclose(run.force, 2.0 * (3.0 - run.positions[:, -1]))
    x = np.concatenate([np.zeros((n, 1)), run.positions, np.full((n, 1), 3.0)], axis=1)
    np.testing.assert_allclose(run.energy, 0.5 * 2.0 * np.sum(np.diff(x, axis=1) ** 2, axis=1))
    assert run.energy[0] == pytest.approx(0.5 * 2.0 * 9.0)  # all stretch in the last spring
    assert isinstance(run.final, sl.LoadCurve) and np.array_equal(run.final.values, run.load[-1])
    assert run.stopped_at is None
    # the final state is recorded even when t_max is not a multiple of record_every
    r2 = sl.simulate_chain(t_max=1.05, record_every=0.5)
    np.testing.assert_allclose(r2.times, [0.0, 0.5, 1.0, 1.05])
    assert sl.simulate_chain(t_max=100.0).times.size <= 1001


def test_friction_activation():
    z = np.array([-1.0, -0.2, -0.1, 0.0, 0.05, 0.1, 0.5])
    np.testing.assert_allclose(sl.friction_activation(z, 0.1, 0.2), [-0.8, 0.0, 0.0, 0.0, 0.0, 0.0, 0.4])
    assert sl.friction_activation(0.3, mu_right=0.1, mu_left=0.0) == pytest.approx(0.2)
    with pytest.raises(ValueError, match="mu_left must be >= 0"):
        sl.friction_activation(0.0, 0.1, -0.1)


# ---------------------------------------------------------------- validation
@pytest.mark.parametrize("kwargs, message", [
    (dict(order="third"), r"order must be one of 'first', 'second', 'langevin'; got 'third'"),
    (dict(noise="pink"), r"noise must be one of 'independent', 'synchronous'"),
    (dict(mu_right=-0.1), r"mu_right must be >= 0; got -0.1"),
    (dict(mu_left=float("nan")), r"mu_left must be finite"),
    (dict(k=-1.0), r"k must be > 0; got -1.0"),
    (dict(k=0.0), r"k must be > 0"),
    (dict(eps=-0.01), r"eps must be >= 0"),
    (dict(gamma=-1.0), r"gamma must be >= 0"),
    (dict(tau=-1.0), r"tau must be >= 0"),
    (dict(L=0), r"L must be an integer >= 1; got 0"),
    (dict(L=2.5), r"L must be an integer >= 1"),
    (dict(y=float("inf")), r"y must be finite"),
    (dict(dt=0.7), r"dt must be in \(0, 0.5\) for k=1 \(explicit Euler stability bound dt < 1/\(2k\)\); got 0.7"),
    (dict(dt=0.0), r"dt must be in \(0, 0.5\)"),
    (dict(order="second", dt=0.9), r"dt must be in \(0, 0.78\d*\) for k=1, gamma=1 \(semi-implicit Euler"),
    (dict(order="langevin", k=0.1, gamma=1.0, dt=2.0), r"dt must be in \(0, 1.531\d*\)"),
    (dict(t_max=0.001), r"t_max must be >= dt"),
    (dict(seed=-1), r"seed must be an integer in \[0, 2\*\*63\)"),
    (dict(noise_bound=0.1), r"noise_bound must be in \[0.5, inf\]"),
    (dict(noise_bound=float("nan")), r"noise_bound must be in \[0.5, inf\]"),
    (dict(stop_rtol=-1e-3), r"stop_rtol must be >= 0"),
    (dict(record_every=0.0), r"record_every must be > 0"),
])
def test_bad_parameters_raise_value_error_naming_them(kwargs, message):
    with pytest.raises(ValueError, match=message):
        sl.simulate_chain(**kwargs)


def test_stability_bounds_are_the_derived_ones():
    assert springs.max_stable_dt("first", 2.0) == pytest.approx(0.25)
    for k, g in [(1.0, 1.0), (0.1, 1.0), (4.0, 0.0)]:
        dt = springs.max_stable_dt("second", k, g)
        assert k * dt * dt + g * dt / 2 == pytest.approx(1.0)
    # just inside the bound the frictionless chain settles; just outside, first order blows up
    ok = sl.simulate_chain(mu_right=0, mu_left=0, dt=0.49, t_max=300.0)
    np.testing.assert_allclose(ok.final.d, 1 / 8, atol=1e-6)
    p = springs.validate_chain_parameters(mu_right=0, mu_left=0, dt=0.49, t_max=300.0)
    rows = np.array([springs.param_row(p)])
    # the bound is sufficient for every L (Laplacian eigenvalues < 4); at L = 7 the largest is
    # 4 sin²(7π/16) = 3.85, so dt = 0.6 (0.6 · 3.85 > 2) is unstable (run_batch bypasses validation)
    out, _ = springs.run_batch("first", "independent", 7, 0.6, 300.0, rows, [0])
    assert not np.all(np.abs(out[0, -1]) < 10)


# ---------------------------------------------------------------- disk cache
def _fresh(code, env=None, cwd=None):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=cwd,
                          timeout=300)


def test_kernel_is_loaded_from_disk_cache_in_a_fresh_process():
    sl.simulate_chain(t_max=0.1)  # compiles or loads, and writes the cache
    code = ("import springlab.chains.simulator as s; s.simulate_chain(t_max=0.1); st = s._simulate_batch.stats; "
            "print(sum(st.cache_hits.values()), sum(st.cache_misses.values()))")
    out = _fresh(code, cwd=str(ROOT))
    assert out.returncode == 0, out.stderr
    hits, misses = map(int, out.stdout.split())
    assert hits >= 1 and misses == 0
    assert "springlab" in springs.cache_location() or "NUMBA_CACHE_DIR" in springs.cache_location()


def test_cache_works_when_package_directory_is_read_only(tmp_path):
    pkg = tmp_path / "site" / "springlab"
    shutil.copytree(ROOT / "springlab", pkg, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    # root ignores permission bits: also make every __pycache__ impossible (a file, not a folder)
    for folder in [pkg, *(d for d in pkg.rglob("*") if d.is_dir())]:
        (folder / "__pycache__").write_text("read-only install")
    for p in [pkg, *pkg.rglob("*")]:
        p.chmod(p.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", "XDG_CACHE_HOME", "PYTHONPATH")}
    env.update(HOME=str(home), PYTHONPATH=str(tmp_path / "site"), PYTHONDONTWRITEBYTECODE="1")
    code = ("import springlab, springlab.chains.simulator as s; r = springlab.simulate_chain(eps=0.01, t_max=1.0); "
            "print(springlab.__file__); print(s.cache_location()); "
            "print(sum(s._simulate_batch.stats.cache_hits.values()))")
    try:
        first = _fresh(code, env=env, cwd=str(tmp_path))
        assert first.returncode == 0, first.stderr
        assert first.stdout.splitlines()[0].startswith(str(pkg))
        assert "user-wide" in first.stdout
        cached = list((home / ".cache" / "numba").rglob("*.nbi"))
        assert cached, "no numba index file in the user-wide cache"
        second = _fresh(code, env=env, cwd=str(tmp_path))
        assert second.returncode == 0, second.stderr
        assert int(second.stdout.splitlines()[-1]) >= 1  # loaded from the user-wide cache
    finally:
        for p in [pkg, *pkg.rglob("*")]:
            p.chmod(p.stat().st_mode | stat.S_IWUSR)


def test_docstring_examples():
    import doctest

    from springlab.chains import theory as chain_theory

    for module in (springs, chain_theory, ref):
        assert doctest.testmod(module).failed == 0

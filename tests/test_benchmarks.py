"""The benchmark commands run and print their ratios (a smoke test at tiny sizes: no timing is asserted)."""
from __future__ import annotations

import pytest

pytest.importorskip("torch")


def test_bench_training_prints_both_ratios(capsys):
    from springlab.cli.bench import training

    assert training.main(["--repeats", "1", "--epochs", "2", "--threads", "1"]) == 0
    out = capsys.readouterr().out
    assert "ratio train/bare:" in out and "ratio reference/bare:" in out
    assert "CPU kernels " in out  # which of PyTorch's kernels ran (AVX512, AVX2, DEFAULT)


def test_bench_sweep_prints_speed_up_and_throughput(capsys):
    from springlab.cli.bench import sweep

    assert sweep.main(["--models", "2", "--epochs", "1", "--repeats", "1", "--batch", "640", "--threads", "1"]) == 0
    out = capsys.readouterr().out
    assert "ratio batched speed-up over loop:" in out and "ratio auto (batched) / its bare products:" in out
    assert "CPU kernels " in out


def test_bench_fit_prints_seconds_chains_per_second_and_ratio(capsys):
    from springlab.cli.bench import fit

    assert fit.main(["--chain", "--epochs", "20", "--seeds", "2"]) == 0
    out = capsys.readouterr().out
    assert "seconds per fit:" in out and "chains per second" in out and "ratio fit / bare kernel" in out

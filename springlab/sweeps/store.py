"""A resumable store of finished training runs: one small file per run, written atomically.

A phase-diagram sweep is hundreds of independent training runs. Each
finished run is written at once to ``<root>/springlab-<version>/<key>.npz``,
where ``key`` is the SHA-256 of the run's **full configuration** (data,
architecture, every training setting, seed) and the springlab version is part
of both the key and the folder. So:

* an interrupted sweep (Ctrl-C, a killed kernel, a lost machine) resumes by
  skipping every run whose file exists: nothing finished is recomputed;
* a file is written to a temporary name in the same folder and renamed over
  its final name (``os.replace``, atomic on POSIX and Windows), so a reader
  never sees half a file; a file that is unreadable anyway (a disk fault, a
  truncated copy) or whose recorded configuration differs from the one asked
  for is ignored and its run recomputed;
* sweeps that share runs (a quick grid inside a paper-scale one, two panels
  with a common column) share their files.

The root is ``$SPRINGLAB_CACHE`` or ``~/.cache/springlab/runs`` unless given.
"""
from __future__ import annotations

import hashlib
import json
import os
import uuid
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["RunStore", "run_key", "default_store_root"]

#: Array fields of a stored run.
ARRAYS = ("load", "load_test", "loss")
#: Scalar fields of a stored run.
SCALARS = ("test_accuracy", "train_accuracy", "test_loss", "epochs_run", "stopped_early", "seconds")


def _version() -> str:
    from .. import __version__

    return __version__


def default_store_root() -> Path:
    """``$SPRINGLAB_CACHE`` or ``~/.cache/springlab/runs``."""
    env = os.environ.get("SPRINGLAB_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "springlab" / "runs"


def _canonical(config: dict[str, Any]) -> str:
    return json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)


def run_key(config: dict[str, Any]) -> str:
    """SHA-256 (hex) of a run's configuration together with the springlab version."""
    return hashlib.sha256(_canonical({"config": config, "springlab": _version()}).encode()).hexdigest()


class RunStore:
    """Finished runs on disk, keyed by configuration (module docstring).

    Parameters
    ----------
    root : path, optional
        Default :func:`default_store_root`.
    """

    def __init__(self, root=None):
        self.root = Path(root) if root is not None else default_store_root()
        self.folder = self.root / f"springlab-{_version()}"

    def path(self, config: dict[str, Any]) -> Path:
        return self.folder / f"{run_key(config)}.npz"

    def get(self, config: dict[str, Any]) -> dict[str, Any] | None:
        """The stored result of this configuration, or None (missing, unreadable or mismatched)."""
        path = self.path(config)
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as z:
                header = json.loads(bytes(z["header"]).decode())
                if _canonical(header["config"]) != _canonical(config):
                    return None
                out = {name: np.array(z[name]) for name in ARRAYS}
                for name in SCALARS:
                    out[name] = z[name].item()
            out["info"] = header.get("info", {})
            return out
        except Exception:  # noqa: BLE001 -- any damaged file is simply recomputed
            return None

    def put(self, config: dict[str, Any], result: dict[str, Any], info: dict[str, Any] | None = None) -> Path:
        """Write one run atomically (temporary file, then ``os.replace``)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.path(config)
        header = {"config": config, "springlab": _version(), "info": info or {}}
        arrays = {name: np.asarray(result[name], dtype=np.float64) for name in ARRAYS}
        for name in SCALARS:
            arrays[name] = np.asarray(result[name])
        arrays["header"] = np.frombuffer(_canonical(header).encode(), dtype=np.uint8)
        tmp = path.with_name(f".{path.stem}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
        try:
            with open(tmp, "wb") as fh:
                np.savez(fh, **arrays)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        finally:
            if tmp.exists():
                tmp.unlink()
        return path

    def __contains__(self, config: dict[str, Any]) -> bool:
        return self.get(config) is not None

    def __repr__(self) -> str:
        n = len(list(self.folder.glob("*.npz"))) if self.folder.is_dir() else 0
        return f"RunStore({str(self.folder)!r}, {n} runs)"

"""Old module paths of springlab 0.3 (before the package was laid out by part), kept for one release.

``import springlab.springs`` (or ``from springlab.training import train``)
still works and gives the module at its new place, with a
DeprecationWarning that names it. A finder on ``sys.meta_path`` answers
only for the names in :data:`MOVED`, so the tree holds no stub files.
Remove this module in springlab 0.5.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import warnings

#: old module -> new module (springlab 0.4 layout, CONTRIBUTING.md "Layout").
MOVED: dict[str, str] = {
    "springlab.loadcurve": "springlab.core.loadcurve",
    "springlab.phase": "springlab.core.phase",
    "springlab.plots": "springlab.core.plots",
    "springlab.springs": "springlab.chains.simulator",
    "springlab.springs_reference": "springlab.chains.reference",
    "springlab.chain_theory": "springlab.chains.theory",
    "springlab.datasets": "springlab.networks.datasets",
    "springlab.dropout": "springlab.networks.dropout",
    "springlab.separation": "springlab.networks.separation",
    "springlab.training": "springlab.networks.training",
    "springlab.batched": "springlab.networks.engine.batched",
    "springlab.bn_act": "springlab.networks.engine.bn_act",
    "springlab.adam": "springlab.networks.engine.adam",
    "springlab.chain_phase": "springlab.sweeps.chains",
    "springlab.sweep": "springlab.sweeps.networks",
    "springlab.sweep_store": "springlab.sweeps.store",
    "springlab.reproduce": "springlab.cli.reproduce",
    "springlab.check": "springlab.cli.check",
    "springlab.benchmarks": "springlab.cli.bench",
    "springlab.benchmarks.springs": "springlab.cli.bench.springs",
    "springlab.benchmarks.sweep": "springlab.cli.bench.sweep",
    "springlab.benchmarks.training": "springlab.cli.bench.training",
}
# springlab.networks was the models module; it is now the networks package, whose models are
# springlab.networks.models (``from springlab.networks import MLP`` is served by the package).


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds the old names and loads them as the module at its new place."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in MOVED:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        return None  # a placeholder: exec_module swaps in the real module

    def exec_module(self, module):
        new = MOVED[module.__name__]
        warnings.warn(f"{module.__name__} moved to {new} in springlab 0.4; the old path goes in 0.5",
                      DeprecationWarning, stacklevel=2)
        # the import system returns whatever sys.modules holds after exec_module
        sys.modules[module.__name__] = importlib.import_module(new)


def install() -> None:
    """Put the finder on ``sys.meta_path`` once."""
    if not any(isinstance(f, _Alias) for f in sys.meta_path):
        sys.meta_path.append(_Alias())

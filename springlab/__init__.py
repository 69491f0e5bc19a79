"""springlab: the spring-block theory of feature learning, as a course and a toolkit.

Shi, Pan & Dokmanić (2024) model a deep network as a chain of blocks joined
by springs: each layer is a spring, the data separation it achieves is how
far it stretches, nonlinearity is friction and training noise shakes the
blocks. springlab simulates the chains (:mod:`springlab.chains`), measures
the same "load curves" on real PyTorch networks (:mod:`springlab.networks`),
sweeps both into phase diagrams (:mod:`springlab.sweeps`) and draws them with
one set of plots (:mod:`springlab.core`). The paper's figures are
:mod:`springlab.figures`, the lessons' widgets :mod:`springlab.panels`, the
command line :mod:`springlab.cli`; CONTRIBUTING.md maps the layout.

Submodules are imported on first use, so ``import springlab`` stays fast and
does not import torch; ``springlab.MLP`` imports torch when first touched.
"""
from __future__ import annotations

import importlib
import sys
import types

from . import _moved

__version__ = "0.4.0"

# public name -> submodule that defines it (see ../shared/API.md)
_LAZY: dict[str, str] = {
    # shared by chains and networks
    "LoadCurve": "core.loadcurve",
    "curvature": "core.loadcurve",
    "classify_shape": "core.loadcurve",
    "PhaseDiagram": "core.phase",
    "layer_colors": "core.plots",
    "plot_load_curve": "core.plots",
    "plot_trajectories": "core.plots",
    "plot_phase_diagram": "core.plots",
    # spring-block chains
    "simulate_chain": "chains.simulator",
    "ChainRun": "chains.simulator",
    "friction_activation": "chains.simulator",
    "equilibrium": "chains.theory",
    "effective_friction": "chains.theory",
    "all_blocks_move": "chains.theory",
    "moving_blocks": "chains.theory",
    "delta_d_star": "chains.theory",
    "elastic_energy": "chains.theory",
    "simulate_chain_reference": "chains.simulator",
    "chain_phase_diagram": "sweeps.chains",
    "fit_chain": "chains.fit",
    "ChainFit": "chains.fit",
    "forecast_load_curve": "chains.fit",
    # networks
    "load_dataset": "networks.datasets",
    "Dataset": "networks.datasets",
    "DATASETS": "networks.datasets",
    "MLP": "networks.models",
    "ConstantShapeCNN": "networks.models",
    "DeepLinear": "networks.models",
    "separation": "networks.separation",
    "regression_load": "networks.separation",
    "ClassScatter": "networks.separation",
    "RegressionScatter": "networks.separation",
    "FeatureRecorder": "networks.separation",
    "load_curve": "networks.separation",
    "load_curves": "networks.separation",
    "train": "networks.training",
    "TrainRun": "networks.training",
    "dnn_phase_diagram": "sweeps.networks",
    "plot_curvature_accuracy": "sweeps.networks",
    "train_batched": "networks.engine.batched",
    "RunStore": "sweeps.store",
    "load_result": "figures.fig1",
    "generalization_claim": "figures.generalization",
    "GeneralizationClaim": "figures.generalization",
    "rank_correlation": "figures.generalization",
    "plot_generalization": "figures.generalization",
}

__all__ = sorted(_LAZY) + ["__version__"]


class _Package(types.ModuleType):
    """The package's module type: a submodule import must not hide a public function.

    Importing an old module path such as ``springlab.separation`` (kept for
    one release, :mod:`springlab._moved`) makes Python bind that *module*
    to the package attribute ``separation``, hiding the function of API.md
    (``sl.separation(features, labels)``). Such an import binds the function
    instead; the module stays reachable as ``from springlab.separation import ...``.
    """

    def __setattr__(self, name: str, value) -> None:
        if isinstance(value, types.ModuleType) and name in _LAZY and hasattr(value, name):
            value = getattr(value, name)
        super().__setattr__(name, value)


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'springlab' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


sys.modules[__name__].__class__ = _Package
_moved.install()

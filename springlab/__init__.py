"""springlab: the spring-block theory of feature learning, as a course and a toolkit.

Shi, Pan & Dokmanić (2024) model a deep network as a chain of blocks joined
by springs: each layer is a spring, the data separation it achieves is how
far it stretches, nonlinearity is friction and training noise shakes the
blocks. springlab simulates the chains (:mod:`springlab.springs`), measures
the same "load curves" on real PyTorch networks (:mod:`springlab.separation`,
:mod:`springlab.training`), and draws both with one set of plots.

Submodules are imported on first use, so ``import springlab`` stays fast and
does not import torch; ``springlab.MLP`` imports torch when first touched.
"""
from __future__ import annotations

import importlib
import sys
import types

__version__ = "0.3.1"

# public name -> submodule that defines it (see ../shared/API.md)
_LAZY: dict[str, str] = {
    # shared by chains and networks
    "LoadCurve": "loadcurve",
    "curvature": "loadcurve",
    "classify_shape": "loadcurve",
    "PhaseDiagram": "phase",
    "layer_colors": "plots",
    "plot_load_curve": "plots",
    "plot_trajectories": "plots",
    "plot_phase_diagram": "plots",
    # spring-block chains
    "simulate_chain": "springs",
    "ChainRun": "springs",
    "friction_activation": "springs",
    "equilibrium": "chain_theory",
    "effective_friction": "chain_theory",
    "all_blocks_move": "chain_theory",
    "moving_blocks": "chain_theory",
    "delta_d_star": "chain_theory",
    "elastic_energy": "chain_theory",
    "simulate_chain_reference": "springs",
    "chain_phase_diagram": "chain_phase",
    # networks
    "load_dataset": "datasets",
    "Dataset": "datasets",
    "DATASETS": "datasets",
    "MLP": "networks",
    "ConstantShapeCNN": "networks",
    "DeepLinear": "networks",
    "separation": "separation",
    "regression_load": "separation",
    "ClassScatter": "separation",
    "RegressionScatter": "separation",
    "FeatureRecorder": "separation",
    "load_curve": "separation",
    "load_curves": "separation",
    "train": "training",
    "TrainRun": "training",
    "dnn_phase_diagram": "sweep",
    "plot_curvature_accuracy": "sweep",
    "train_batched": "batched",
    "RunStore": "sweep_store",
    "load_result": "reproduce",
}

__all__ = sorted(_LAZY) + ["__version__"]


class _Package(types.ModuleType):
    """The package's module type: a submodule import must not hide a public function.

    Importing ``springlab.separation`` makes Python bind the *module* to the
    package attribute ``separation``, hiding the function of API.md
    (``sl.separation(features, labels)``). Such an import binds the function
    instead; the module stays reachable as ``from springlab.separation import ...``.
    """

    def __setattr__(self, name: str, value) -> None:
        if isinstance(value, types.ModuleType) and _LAZY.get(name) == name and hasattr(value, name):
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

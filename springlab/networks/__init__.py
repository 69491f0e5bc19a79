"""Deep networks (SPEC §3): data, models, data separation and training.

- :mod:`~springlab.networks.datasets` — :func:`load_dataset`: the offline MNIST
  digits and the other data sets, as tensors;
- :mod:`~springlab.networks.models` — the paper's MLP, the deep linear net and
  the constant-shape CNN, which know their feature layers;
- :mod:`~springlab.networks.dropout` — dropout with counter-based masks;
- :mod:`~springlab.networks.noise` — the data-noise knob (one definition for
  both trainers);
- :mod:`~springlab.networks.separation` — ``D`` and ``D̂`` (Eq. 2, 3, 9) of any
  network's layers: the network's load curve;
- :mod:`~springlab.networks.runs` — :class:`TrainRun`, what a run records;
- :mod:`~springlab.networks.training` — :func:`train`, the readable reference
  trainer with the four noise knobs;
- :mod:`~springlab.networks.threads` — the thread policy of small networks;
- :mod:`~springlab.networks.experiments` — the single runs behind lessons 06–10;
- :mod:`~springlab.networks.engine` — the fast path (internal): many MLPs
  trained as one batched model; only training and sweeps import it.

Imports only :mod:`springlab.core`; knows nothing of chains.
"""

# springlab 0.3 had a module springlab.networks holding the models; its names stay importable
# from here for one release (springlab._moved serves the other old module paths).
_OLD_MODELS = ("MLP", "ConstantShapeCNN", "DeepLinear", "FixedScale", "NORMS")


def __getattr__(name: str):
    if name in _OLD_MODELS:
        import importlib
        import warnings

        warnings.warn(f"springlab.networks.{name} moved to springlab.networks.models.{name} in springlab 0.4; "
                      f"the old path goes in 0.5", DeprecationWarning, stacklevel=2)
        return getattr(importlib.import_module(f"{__name__}.models"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

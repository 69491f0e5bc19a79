"""The fast training engine (internal to :mod:`springlab.networks`): G MLPs as one batched model.

- :mod:`~springlab.networks.engine.batched` — :func:`train_batched`: the step
  written out by hand on the CPU (no autograd graph), buffers allocated once;
- :mod:`~springlab.networks.engine.bn_act` — the fused BatchNorm → LeakyReLU →
  dropout kernel, beside its PyTorch reference;
- :mod:`~springlab.networks.engine.adam` — one compiled Adam step over all
  parameters of all models, beside its PyTorch reference.

Only :mod:`springlab.networks.training` and :mod:`springlab.sweeps` may import
it (an import-linter contract, ``tests/test_architecture.py``); everything
else trains through :func:`springlab.train` or the sweeps.
"""

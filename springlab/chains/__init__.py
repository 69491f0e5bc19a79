"""The spring–block chain (SPEC §2): the model, its reference and its theory.

- :mod:`~springlab.chains.simulator` — :func:`simulate_chain`: first-order,
  second-order and Langevin chains, many at once in a compiled Numba kernel;
- :mod:`~springlab.chains.reference` — the same steps in plain Python, the
  version to read (a test checks the two agree step for step);
- :mod:`~springlab.chains.theory` — what simulations are checked against:
  Eq. 7, the moving blocks, effective friction, Eq. 8, elastic energy.

Imports only :mod:`springlab.core`; knows nothing of networks.
"""

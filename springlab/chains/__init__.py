"""The spring–block chain (SPEC §2): the model, its reference and its theory.

- :mod:`~springlab.chains.simulator` — :func:`simulate_chain`: first-order,
  second-order and Langevin chains, many at once in a compiled Numba kernel;
- :mod:`~springlab.chains.reference` — the same steps in plain Python, the
  version to read (a test checks the two agree step for step);
- :mod:`~springlab.chains.theory` — what simulations are checked against:
  Eq. 7, the moving blocks, effective friction, Eq. 8, elastic energy;
- :mod:`~springlab.chains.fit` — :func:`fit_chain`: the chain (and the maps of
  separation and time) that best reproduces a load-curve trajectory, a
  network's or a chain's, with uncertainties (:class:`ChainFit`), and
  :func:`forecast_load_curve`: the final curve predicted from the start.

Imports only :mod:`springlab.core`; knows nothing of networks.
"""


def __getattr__(name: str):
    # re-exported lazily: importing a sibling (theory) must not load the numba kernels
    if name in ("fit_chain", "ChainFit", "forecast_load_curve"):
        from . import fit

        return getattr(fit, name)
    raise AttributeError(f"module 'springlab.chains' has no attribute {name!r}")

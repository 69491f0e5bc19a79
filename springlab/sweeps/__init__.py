"""Phase diagrams: one simulation or training run per grid cell and seed.

- :mod:`~springlab.sweeps.chains` — :func:`chain_phase_diagram` (Fig. 3, S13,
  S14), thousands of chains per kernel call;
- :mod:`~springlab.sweeps.networks` — :func:`dnn_phase_diagram` (Fig. 1): plan
  the runs, train them batched (locally, in processes or on Dask), assemble;
- :mod:`~springlab.sweeps.store` — :class:`RunStore`, finished runs on disk,
  so an interrupted sweep resumes.
- :mod:`~springlab.sweeps.chainmap` — :func:`chain_map`: a chain fitted
  (:func:`springlab.fit_chain`) to every cell of α × dropout or α × data
  noise; ``reproduce chainmap``.

Above both halves: a sweep uses the chain model or the networks, never the reverse.
"""

"""Phase diagrams: one simulation or training run per grid cell and seed.

- :mod:`~springlab.sweeps.chains` — :func:`chain_phase_diagram` (Fig. 3, S13,
  S14), thousands of chains per kernel call;
- :mod:`~springlab.sweeps.networks` — :func:`dnn_phase_diagram` (Fig. 1): plan
  the runs, train them batched (locally, in processes or on Dask), assemble;
- :mod:`~springlab.sweeps.store` — :class:`RunStore`, finished runs on disk,
  so an interrupted sweep resumes.

Above both halves: a sweep uses the chain model or the networks, never the reverse.
"""

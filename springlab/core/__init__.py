"""The shared vocabulary of both halves: what a chain and a network have in common.

- :mod:`~springlab.core.loadcurve` — :class:`LoadCurve`, the one curvature
  measure and the one shape classifier (SPEC §1);
- :mod:`~springlab.core.energy` — the elastic energy of a load curve, and its
  ratio to the equiseparated curve's (one function for chains and networks);
- :mod:`~springlab.core.phase` — :class:`PhaseDiagram`, a grid of seed-averaged
  final load curves (Fig. 1, Fig. 3);
- :mod:`~springlab.core.plots` — the one set of plots (layer colours, load
  curves, trajectories, phase diagrams);
- :mod:`~springlab.core.counter_rng` — counter-based random bits for the
  compiled kernels of both halves.

This layer imports nothing else of springlab: everything else may import it.
"""

"""Results that do not depend on the machine: the chain engine on any number of numba threads.

The chain kernel draws its noise from a counter-based generator
(springlab.core.counter_rng): the number used at step n for block l of run r
is a pure function of (seed, n, l), whichever thread runs it. A sweep gives
bit-identical diagrams on one thread and on two.
"""
import subprocess
import sys

import numpy as np

CODE = """
import numba, numpy as np, springlab as sl
numba.set_num_threads({threads})
pd = sl.chain_phase_diagram(rows=("mu_right", [0.0, 0.04, 0.1]), cols=("eps", [0.0, 0.005, 0.02]), seeds=3,
                            t_max=30.0, progress=False)
lang = sl.chain_phase_diagram(rows=("mu_right", [0.004, 0.016]), cols=("eps", [0.005, 0.02]), seeds=2,
                              order="langevin", k=0.1, tau=0.002, mu_left=0.016, t_max=30.0, progress=False)
np.savez("{out}", load=pd.load, energy=pd.energy, lang=lang.load, threads=numba.get_num_threads())
"""


def test_chain_sweep_is_identical_on_one_and_two_numba_threads(tmp_path):
    results = []
    for threads in (1, 2):
        out = tmp_path / f"t{threads}.npz"
        proc = subprocess.run([sys.executable, "-c", CODE.format(threads=threads, out=out)], capture_output=True,
                              text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        results.append(np.load(out))
    one, two = results
    assert int(one["threads"]) == 1 and int(two["threads"]) == 2
    for key in ("load", "energy", "lang"):
        assert np.array_equal(one[key], two[key]), key
    assert np.ptp(one["load"][:, :, 1]) > 0  # the grid is not degenerate: cells differ

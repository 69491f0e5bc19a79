"""How much the numbers the lessons print move between CPU kernels: the spread behind each printed precision.

float32 (and float64) training takes other kernels on other CPUs: the
initial weights and the resized digits already differ in the last bit
(PyTorch's vectorised ``uniform_`` and ``interpolate``), and a few hundred
optimiser steps carry that into the third decimal. This command trains the
runs behind lessons 06-10 and problem set 4 once per configuration, each in
a fresh process, and prints every quantity a lesson shows in a compared cell with its spread
(max - min over the configurations) and its margin: how far it is from
changing the printed text (a rounding boundary, a shape's kappa = +-0.1, a
claim's threshold, the gap to the next value of an order). The rule
(CONTRIBUTING.md, "Lesson outputs"): spread below a third of the margin. CONTRIBUTING.md, "Lesson outputs", records
the rule and the result.

    python tools/kernel_spread.py                      # AVX512 (if the CPU has it), AVX2, DEFAULT; one thread
    python tools/kernel_spread.py --configs DEFAULT:1 AVX2:2 --only 08
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

# lesson -> code that records, with the helpers of RUNNER, every training-derived quantity the lesson prints
# in a compared cell, and how it is printed: a number at some decimals, a shape (boundaries at kappa = +-0.1),
# a claim (value against a threshold) or an order (the gaps between values).
QUANTITIES = {
    "06": """
from springlab.networks.experiments import separation_run
res = separation_run("mnist", alpha=0.0, dropout=0.0, epochs=100)
a, b, run = res.initial, res.trained, res.run
for l in range(8):
    num(f"D_{l} init", a.D[l], 2)
    sig(f"Tr Sw_{l} init", a.tr_within[l], 3)
    sig(f"Tr Sb_{l} init", a.tr_between[l], 3)
claim("test accuracy > 0.9", run.test_accuracy, 0.9)
claim("min over l of D_(l) - D_(l+1) > 0", np.min(-np.diff(b.D)), 0.0)
claim("Tr Sw_0 - Tr Sw_7 > 0", b.tr_within[0] - b.tr_within[-1], 0.0)
claim("Tr Sb_7 - Tr Sb_0 > 0", b.tr_between[-1] - b.tr_between[0], 0.0)
shape("D trained", sl.LoadCurve(b.D).curvature)
shape("Dhat trained", sl.LoadCurve(b.Dhat).curvature)
D = {e: run.load[int(np.flatnonzero(run.epochs_recorded == e)[0])] for e in (0, 10, 100)}
claim("D_0 rise > 0.2", D[100][0] - D[0][0], 0.2)
claim("min diff of the drops, layers 1-7 > 0", np.min(np.diff((D[0] - D[100])[1:])), 0.0)
order("drop after 10 epochs, layers 7 > others", D[0] - D[10])
num("loss epoch 1", run.loss[0], 2)
claim("last loss < 0.05", run.loss[-1], 0.05)
""",
    "07": """
from springlab.figures.fig1 import quick_phase_diagram
pd = quick_phase_diagram("dropout", (0.0, 0.16, 0.3), alphas=(0.0, 0.5, 1.0), seeds=1, epochs=50)
for i, a in enumerate(pd.rows[1]):
    for j, p in enumerate(pd.cols[1]):
        shape(f"alpha {a:g} dropout {p:g}", pd.curvature[i, j])
order("test accuracy of the cells (best and worst)", pd.test_accuracy.ravel(), ends=True)
""",
    "08": """
from springlab.networks.experiments import FIG4_NETWORK, FIG4_STOP_LOSS, fig4_network_run
for name, kw in FIG4_NETWORK.items():
    run = fig4_network_run(**kw)
    shape(name, run.final.curvature)
    claim(f"{name}: epochs short of 100 (stopped by the loss)", 100 - run.epochs_run, 0.5)
    if name != "lazy":
        shape(f"{name} after 1 epoch", sl.LoadCurve(run.load[1]).curvature)
lazy = fig4_network_run(**FIG4_NETWORK["lazy"], stop_loss=0.0)
loss = lazy.loss_at_records()
kappa = np.array([sl.LoadCurve(D).curvature for D in lazy.load])
late = loss < 0.6
claim("lazy 100 epochs: 0.05 - final loss", 0.05 - loss[-1], 0.0)
claim("lazy: min kappa once loss < 0.6, > 0.1", kappa[late].min(), 0.1)
claim("lazy: 0.1 - spread of kappa once loss < 0.6", 0.1 - np.ptp(kappa[late]), 0.0)
""",
    "09": """
from springlab.core.energy import energy_ratio
from springlab.figures.networks import cnn_dropout_schedule
from springlab.networks.experiments import generalization_run
acc, kap, en = {}, {}, {}
for lr in (1e-4, 1e-3, 1e-2):
    run = generalization_run(alpha=0.2, lr=lr, dropout=0.0, epochs=1500, stop_loss=0.01)
    claim(f"lr {lr:g}: epochs short of 1500", 1500 - run.epochs_run, 0.5)
    claim(f"lr {lr:g} train: kappa > 0", run.final.curvature, 0.0)
    claim(f"lr {lr:g}: kappa train - kappa test > 0", run.final.curvature - run.final_test.curvature, 0.0)
    acc[lr], kap[lr], en[lr] = run.test_accuracy, abs(run.final.curvature), energy_ratio(run.final.values)
order("test accuracy of the three", list(acc.values()))
order("|kappa| of the three", list(kap.values()))
order("E/E_min of the three", list(en.values()))
ph = cnn_dropout_schedule()
k = [sl.LoadCurve(p["load"]).curvature for p in ph]
e = [energy_ratio(p["load"]) for p in ph]
acc = [p["test_accuracy"] for p in ph]
fit = [p["train_accuracy"] for p in ph]
shape("CNN no dropout", k[0])
claim("CNN kappa drop with 5 % dropout > 0.2", k[0] - k[1], 0.2)
claim("CNN E/E_min 5 % > 1.4", e[1], 1.4)
claim("CNN E/E_min 5 % lowest", min(e[0], e[2]) - e[1], 0.0)
claim("CNN accuracy gain with 5 % dropout > 0", acc[1] - acc[0], 0.0)
shape("CNN 30 % dropout", k[2])
claim("CNN test accuracy loss with 30 % dropout > 0.2", acc[1] - acc[2], 0.2)
claim("CNN training accuracy loss with 30 % dropout > 0.2", fit[1] - fit[2], 0.2)
""",
    "10": """
from springlab.networks.experiments import beyond_run
for lr, p in ((1e-4, 0.0), (1e-2, 0.0), (2e-2, 0.3)):
    run, _ = beyond_run("diabetes", lr=lr, dropout=p)
    shape(f"diabetes lr {lr:g} p {p:g}", run.final.curvature)
    claim(f"diabetes lr {lr:g} p {p:g}: epochs short of 300", 300 - run.epochs_run, 0.5)
deep = {}
for batch, lr, p in ((100, 1e-3, 0.0), (100, 1e-2, 0.0), (2, 1e-3, 0.0), (2, 1e-2, 0.0), (100, 1e-2, 0.1)):
    run = beyond_run("deep_linear", lr=lr, dropout=p, batch_size=batch, epochs=5000, stop_loss=2e-3)[0]
    deep[batch, lr, p] = run.final.values
    shape(f"deep linear batch {batch} lr {lr:g} p {p:g}", run.final.curvature)
    claim(f"deep linear batch {batch} lr {lr:g} p {p:g}: epochs short of 5000", 5000 - run.epochs_run, 0.5)
claim("deep linear full batch: 0.05 - max |D(lr 1e-2) - D(lr 1e-3)|",
      0.05 - np.max(np.abs(deep[100, 1e-2, 0.0] - deep[100, 1e-3, 0.0])), 0.0)
(calm, calm_dhat), (noisy, noisy_dhat) = (beyond_run("digits", lr=lr, epochs=3000, stop_loss=0.01)
                                          for lr in (1e-4, 2e-2))
for lr, run in ((1e-4, calm), (2e-2, noisy)):
    claim(f"digits lr {lr:g}: epochs short of 3000", 3000 - run.epochs_run, 0.5)
shape("digits lr 1e-4 D", calm.final.curvature)
shape("digits lr 2e-2 D", noisy.final.curvature)
shape("digits lr 1e-4 Dhat", sl.LoadCurve(calm_dhat).curvature)
shape("digits lr 2e-2 Dhat", sl.LoadCurve(noisy_dhat).curvature)
claim("digits: 0.03 - |accuracy difference|", 0.03 - abs(noisy.test_accuracy - calm.test_accuracy), 0.0)
""",
}

RUNNER = """
import json, math, sys, torch
torch.set_num_threads({threads})
import numpy as np
import springlab as sl
out = {{}}


def num(name, v, decimals):  # printed with this many decimals: boundaries halfway between printed values
    step = 10.0 ** -decimals
    out[name] = (float(v), abs((float(v) / step) % 1.0 - 0.5) * step)


def sig(name, v, digits):  # printed with this many significant digits
    num(name, v, digits - 1 - math.floor(math.log10(abs(float(v)))))


def shape(name, kappa):  # a shape label: boundaries at kappa = +-0.1
    out[name] = (float(kappa), min(abs(float(kappa) - 0.1), abs(float(kappa) + 0.1)))


def claim(name, v, threshold):  # a True/False statement v > threshold
    out[name] = (float(v), abs(float(v) - threshold))


def order(name, values, ends=False):  # which is largest (ends: and smallest), or the whole order
    v = np.sort(np.asarray(values, dtype=float))
    gaps = [v[-1] - v[-2], v[1] - v[0]] if ends else np.diff(v)
    out[name] = (float(v[-1]), float(min(gaps)))


{code}
print("RESULT " + json.dumps(out))
"""


def measure(lesson: str, capability: str | None, threads: int) -> dict:
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
    env.pop("ATEN_CPU_CAPABILITY", None)
    if capability:
        env["ATEN_CPU_CAPABILITY"] = capability.lower()
    code = RUNNER.format(threads=threads, code=QUANTITIES[lesson])
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=1800)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if line is None:
        raise RuntimeError(f"lesson {lesson} under {capability}:{threads} failed:\n{proc.stderr[-2000:]}")
    return json.loads(line[len("RESULT "):])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configs", nargs="+", default=["AVX512:1", "AVX2:1", "DEFAULT:1"],
                        help="CAPABILITY:THREADS (ATEN_CPU_CAPABILITY, torch threads)")
    parser.add_argument("--only", nargs="*", default=sorted(QUANTITIES), help="lessons (default: all)")
    args = parser.parse_args(argv)
    import torch

    have = torch.backends.cpu.get_cpu_capability()
    configs = [c.split(":") for c in args.configs]
    configs = [(cap, int(t)) for cap, t in configs if not (cap == "AVX512" and have != "AVX512")]
    worst = 0.0
    for lesson in args.only:
        runs = [measure(lesson, cap, t) for cap, t in configs]
        print(f"\nlesson {lesson}  ({', '.join(f'{c}:{t}' for c, t in configs)})")
        print(f"{'quantity':52s} {'values':>30s} {'spread':>8s} {'margin':>8s}")
        for name in runs[0]:
            vals = [r[name][0] for r in runs]
            spread = max(vals) - min(vals)
            margin = min(r[name][1] for r in runs)  # distance to what would change the printed text
            ratio = spread / margin if margin > 0 else float("inf")
            flag = "  FLIPS" if ratio >= 1 else ("  near" if ratio > 1 / 3 else "")
            print(f"{name:52s} {' '.join(f'{v:.4g}' for v in vals):>30s} {spread:8.2g} {margin:8.2g}{flag}")
            worst = max(worst, ratio)
    print(f"\nlargest spread / margin: {worst:.2f} (the printed text is safe where it is below 1/3)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Command line: ``python -m springlab {check,bench,reproduce}`` (also ``springlab ...``)."""
from __future__ import annotations

import argparse
import importlib
import sys

from .cli.check import run_check

BENCHMARKS = ("springs", "training", "sweep", "fit")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="springlab", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("check", help="report versions, threads, caches, offline data and GPU; "
                                 "exit 1 if something the course needs is missing")
    bench = sub.add_parser("bench", help="run a benchmark that prints ratios measured in one run")
    bench.add_argument("name", choices=BENCHMARKS)
    bench.add_argument("rest", nargs=argparse.REMAINDER, help="options of that benchmark (NAME --help)")
    rep = sub.add_parser("reproduce", help="regenerate a figure of the paper into a folder")
    rep.add_argument("rest", nargs=argparse.REMAINDER, help="figure names and options (--list, --help)")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    # bench NAME and reproduce own their options (``reproduce --list``, ``bench sweep --threads 1``):
    # everything after them is theirs, which argparse's REMAINDER does not do for leading options.
    if argv[:1] == ["reproduce"]:
        return int(importlib.import_module("springlab.cli.reproduce").main(argv[1:]) or 0)
    if argv[:1] == ["bench"] and argv[1:2] and argv[1] in BENCHMARKS:
        return int(importlib.import_module(f"springlab.cli.bench.{argv[1]}").main(argv[2:]) or 0)
    args = _parser().parse_args(argv)
    if args.command == "check":
        return run_check()
    return 2  # pragma: no cover: bench with an unknown name exits in parse_args


if __name__ == "__main__":
    sys.exit(main())

"""Command line: ``python -m springlab {check,bench,reproduce}`` (also ``springlab ...``)."""
from __future__ import annotations

import argparse
import importlib
import sys

from .check import run_check

BENCHMARKS = ("springs", "training", "sweep")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="springlab", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("check", help="report versions, threads, caches, offline data and GPU; "
                                 "exit 1 if something the course needs is missing")
    bench = sub.add_parser("bench", help="run a benchmark that prints ratios measured in one run")
    bench.add_argument("name", choices=BENCHMARKS)
    bench.add_argument("rest", nargs=argparse.REMAINDER, help="options of that benchmark")
    rep = sub.add_parser("reproduce", help="regenerate a figure of the paper into a folder")
    rep.add_argument("rest", nargs=argparse.REMAINDER, help="figure names and options (--help)")
    args = parser.parse_args(argv)
    if args.command == "check":
        return run_check()
    if args.command == "bench":
        module = importlib.import_module(f"springlab.benchmarks.{args.name}")
        return int(module.main(args.rest) or 0)
    if args.command == "reproduce":
        module = importlib.import_module("springlab.reproduce")
        return int(module.main(args.rest) or 0)
    return 2  # pragma: no cover


if __name__ == "__main__":
    sys.exit(main())

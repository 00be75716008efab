"""Benchmark runner (`make bench`): runs every bench/bench_*.py against a throwaway database.

Each module defines `run()` returning a list of results `{"name", "seconds", "floor_seconds", "floor"}`:
the measured time and a floor measured in the same run (e.g. raw SQL over the same rows). The runner
prints the ratio; targets are ratios, never absolute times, so a slower machine does not fail them.
A module may define `MAX_RATIO`, and a result its own `max_ratio`; a result above its target makes the run exit 1.
"""

import importlib
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnercenter.settings")


def timed(fn, repeat=3):
    """Best of `repeat` runs, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main(argv):
    import warnings

    import django

    warnings.filterwarnings("ignore", "No directory at")

    django.setup()
    from django.test.utils import setup_databases, teardown_databases

    only = set(argv[1:])
    modules = sorted(p.stem for p in (ROOT / "bench").glob("bench_*.py") if not only or p.stem in only)
    if not modules:
        print("no benchmarks found")
        return 0
    config = setup_databases(verbosity=0, interactive=False)
    failed = False
    try:
        print(f"{'benchmark':45} {'seconds':>9} {'floor':>9} {'ratio':>7}  floor is")
        for name in modules:
            module = importlib.import_module(f"bench.{name}")
            for result in module.run():
                limit = result.get("max_ratio", getattr(module, "MAX_RATIO", None))
                ratio = result["seconds"] / result["floor_seconds"] if result["floor_seconds"] else float("inf")
                flag = ""
                if limit is not None and ratio > limit:
                    flag = f"  ABOVE TARGET {limit}x"
                    failed = True
                print(f"{result['name']:45} {result['seconds']:9.4f} {result['floor_seconds']:9.4f} "
                      f"{ratio:6.2f}x  {result['floor']}{flag}")
    finally:
        teardown_databases(config, verbosity=0)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

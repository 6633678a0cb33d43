"""How long `grade exercise N` takes against a bare `import tensorflow`.

TensorFlow's import is the floor of a grading run, so the ratio is what the
kit adds. The two commands run alternately (A B A B ...) so that drift in the
machine's speed hits both; the median of the per-pair ratios is reported.

    python bench/grade_vs_tf_import.py [--exercise 2] [--runs 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def wall_time(command: list[str]) -> float:
    """Run `command` to completion; return its wall-clock seconds."""
    started = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - started


def main() -> None:
    """Parse arguments, time both commands alternately, print medians and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exercise", type=int, default=2)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    grade = [
        sys.executable,
        "-m",
        "grader.cli",
        "exercise",
        str(args.exercise),
        "--submission",
        str(ROOT / "solutions"),
    ]
    baseline = [sys.executable, "-c", "import tensorflow"]
    wall_time(baseline)  # warm the file cache
    grades, imports = [], []
    for _ in range(args.runs):
        grades.append(wall_time(grade))
        imports.append(wall_time(baseline))
    ratios = [g / i for g, i in zip(grades, imports, strict=True)]
    print(f"grade exercise {args.exercise} (solutions): median {statistics.median(grades):.2f} s")
    print(f"python -c 'import tensorflow':        median {statistics.median(imports):.2f} s")
    print(
        f"ratio, median of {args.runs} pairs: {statistics.median(ratios):.2f} "
        f"(min {min(ratios):.2f}, max {max(ratios):.2f}); the goal is <= 1.3"
    )


if __name__ == "__main__":
    main()

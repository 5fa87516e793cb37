"""Benchmark: start-up time of ``neurodecode --help`` and ``import neurodecode``.

Times, each in a fresh subprocess, the median wall time of ``--repeat`` runs (after one
untimed warm-up run, so the file cache is warm) of

- ``neurodecode --help``: the console script next to this interpreter (or on ``PATH``),
  falling back to ``python -m neurodecode --help``;
- ``neurodecode inspect FILE`` on a small MATLAB file of the Park V1 layout (written to a
  temporary folder): reading the variables and recognising the layout;
- ``python -c "import neurodecode"``;
- ``python -c "pass"``: the interpreter's own start-up, for reference.

Each runs with this checkout first on ``PYTHONPATH``, so it is this checkout that is timed
even where another copy of neurodecode is installed.

Goal (issues 13 and 18): ``neurodecode --help`` under 0.5 s, ``inspect`` well under a
second; heavy modules (torch, pynwb,
matplotlib) load when first used. ``tests/test_imports.py`` checks the latter without a
clock. Standalone, not part of ``benchmarks/run.py``.

Usage::

    python benchmarks/startup.py              # median of 5
    python benchmarks/startup.py --repeat 11

``main(argv)`` returns the medians in seconds as a dict; the exit status is 1 when
``--help`` misses the goal.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

GOAL_S = 0.5
ROOT = Path(__file__).resolve().parents[1]


def _help_command() -> list[str]:
    script = Path(sys.executable).with_name("neurodecode")
    found = str(script) if script.is_file() else shutil.which("neurodecode")
    return [found, "--help"] if found else [sys.executable, "-m", "neurodecode", "--help"]


def time_command(command: Sequence[str], repeat: int) -> float:
    """Median wall time of ``command`` over ``repeat`` runs, after one warm-up run.

    Parameters
    ----------
    command : sequence of str
        The program and its arguments.
    repeat : int
        Number of timed runs.

    Returns
    -------
    float
        Median wall time in seconds.
    """
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    env = {**os.environ, "PYTHONPATH": path}
    times = []
    for i in range(repeat + 1):
        start = time.perf_counter()
        subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, check=True)
        if i:  # run 0 warms the file cache
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: Sequence[str] | None = None) -> dict[str, float]:
    """Time the start-up commands and print them against the goal.

    Parameters
    ----------
    argv : sequence of str, optional
        Command-line arguments (defaults to ``sys.argv[1:]``).

    Returns
    -------
    dict of str to float
        Median seconds of ``help``, ``import`` and ``python``.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per command")
    args = parser.parse_args(argv)
    import tempfile

    import numpy as np
    from scipy.io import savemat

    help_command = _help_command()
    folder = Path(tempfile.mkdtemp())
    mat = folder / "park_like.mat"
    savemat(mat, {"D": {f"neuron{k}": np.zeros((1, 4)) for k in range(1, 6)},
                  "TE": {"direction": np.arange(4)}, "t": np.linspace(-1, 2, 49)})
    commands = {
        "help": help_command,
        "inspect": [*help_command[:-1], "inspect", str(mat)],
        "import": [sys.executable, "-c", "import neurodecode"],
        "python": [sys.executable, "-c", "pass"],
    }
    labels = {
        "help": " ".join([Path(help_command[0]).name, *help_command[1:]]),
        "inspect": f"{Path(help_command[0]).name} inspect park_like.mat",
        "import": 'python -c "import neurodecode"',
        "python": 'python -c "pass" (interpreter only)',
    }
    result = {key: time_command(cmd, args.repeat) for key, cmd in commands.items()}
    print(f"start-up, median of {args.repeat} runs (goal: --help < {GOAL_S:.1f} s)")
    for key, seconds in result.items():
        verdict = {"help": "PASS" if seconds < GOAL_S else "FAIL",
                   "inspect": "PASS" if seconds < 1.0 else "FAIL"}.get(key, "")
        print(f"  {labels[key]:<40} {seconds:6.3f} s  {verdict}".rstrip())
    return result


if __name__ == "__main__":
    sys.exit(0 if main()["help"] < GOAL_S else 1)

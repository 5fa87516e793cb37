"""A busy machine for ``benchmarks/run.py --busy N``: N CPU-bound background processes.

A user's laptop or a shared lab server is rarely idle. ``cpu_load(n)`` starts ``n``
Python processes that each multiply two 512 x 512 float64 matrices in a loop on one BLAS
thread (so each keeps one core busy), and kills them when the block ends, whatever
happens inside. ``slowdown_markdown`` compares the rows of an idle run with the rows of
the same benchmarks run under that load.

Usage::

    python benchmarks/run.py --only small_real --busy 4
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

MAX_SLOWDOWN = 2.5  # goal: no benchmark more than this much slower on a busy machine

_LOOP = """
import numpy as np
a = np.random.default_rng(0).random((512, 512))
while True:
    a @ a
"""

_ONE_THREAD = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                      "MKL_NUM_THREADS", "BLIS_NUM_THREADS")}


@contextlib.contextmanager
def cpu_load(n_processes: int, warm_up: float = 1.0) -> Iterator[list[subprocess.Popen]]:
    """Keep ``n_processes`` cores busy with matmul loops for the duration of the block.

    Parameters
    ----------
    n_processes : int
        Background processes to start (each single-threaded).
    warm_up : float, default=1.0
        Seconds to wait after starting them (numpy's import), before the block runs.

    Yields
    ------
    list of subprocess.Popen
        The background processes; they are killed and reaped on exit.

    Raises
    ------
    RuntimeError
        If a background process exits during the warm-up.
    """
    env = {**os.environ, **_ONE_THREAD}
    procs: list[subprocess.Popen] = []
    try:
        for _ in range(n_processes):
            procs.append(subprocess.Popen([sys.executable, "-c", _LOOP], env=env,
                                          stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL))
        time.sleep(warm_up)
        dead = [p.pid for p in procs if p.poll() is not None]
        if dead:
            raise RuntimeError(f"background load processes {dead} exited at start-up.")
        print(f"busy machine: {n_processes} background matmul loops "
              f"(pids {', '.join(str(p.pid) for p in procs)})", file=sys.stderr)
        yield procs
    finally:
        for p in procs:
            p.kill()
        for p in procs:
            p.wait()


def slowdown_markdown(idle: list[Any], loaded: list[Any], n_processes: int) -> str:
    """A Markdown table of each row's time on the busy machine relative to idle.

    Parameters
    ----------
    idle, loaded : list of Row
        The same benchmarks, run idle and under :func:`cpu_load` (matched by name).
    n_processes : int
        How many background processes ran (for the heading).

    Returns
    -------
    str
    """
    by_name = {r.name: r for r in loaded}
    cores = os.cpu_count() or 1
    lines = [
        f"## Busy machine: {n_processes} CPU-bound background processes "
        f"({cores} cores)",
        "",
        f"Slowdown = seconds under load / seconds idle; goal: neurodecode no more than "
        f"{MAX_SLOWDOWN:g}x slower than idle. For scale: a process that keeps all {cores} "
        f"cores busy gets a fair share of {cores} / ({cores} + {n_processes}) of them "
        f"under this load, a slowdown of {(cores + n_processes) / cores:.1f}x.",
        "",
        "| benchmark | neurodecode s idle | busy | slowdown | peer s idle | busy | slowdown "
        "| neurodecode busy speed-up | status |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in idle:
        b = by_name.get(r.name)
        if b is None:
            lines.append(f"| {r.name} | {r.nd_seconds:.2f} | missing under load | | | | | | |")
            continue
        nd, peer = b.nd_seconds / r.nd_seconds, b.peer_seconds / r.peer_seconds
        status = "PASS" if nd <= MAX_SLOWDOWN else f"over {MAX_SLOWDOWN:g}x"
        if not b.agree:
            status += ", FAIL (accuracy under load)"
        lines.append(f"| {r.name} | {r.nd_seconds:.2f} | {b.nd_seconds:.2f} | {nd:.2f}x | "
                     f"{r.peer_seconds:.2f} | {b.peer_seconds:.2f} | {peer:.2f}x | "
                     f"{b.ratio:.2f}x | {status} |")
    return "\n".join(lines) + "\n"

"""Benchmark: ``load_nwb`` against a naive per-trial, per-unit loop.

Writes (to a temporary folder, with pynwb) an NWB file of 1,000 units with 10^6 spikes
in total over a session of 5,000 trials, then times

- ``load_nwb``: one read of the flat spike-time array and its index, then two
  ``searchsorted`` calls per unit covering every trial at once;
- the naive loop: each unit's spike times read the ordinary way
  (``nwbfile.units["spike_times"][j]``), then for each trial and each unit a boolean
  mask ``(t >= start) & (t < stop)`` counted. When the loop would take more than
  about 60 s it is run on a subset of trials and extrapolated linearly (the output
  says so).

The counts of both are checked to be identical on the trials the loop ran. Target:
``load_nwb`` at least 50 times faster at full size (not judged with ``--quick``).

Usage::

    python benchmarks/nwb_load.py           # 1,000 units, 10^6 spikes, 5,000 trials
    python benchmarks/nwb_load.py --quick   # 100 units, 10^5 spikes, 500 trials

``main(argv)`` returns the numbers as a dict (for a benchmark runner to import).
"""

from __future__ import annotations

import argparse
import datetime
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pynwb
from hdmf.common import ElementIdentifiers, VectorData, VectorIndex
from pynwb.epoch import TimeIntervals
from pynwb.misc import Units

from neurodecode.data.nwb import load_nwb

TARGET_SPEEDUP = 50.0
NAIVE_BUDGET_S = 60.0
"""Run the naive loop on every trial only if that is predicted to take less than this."""
SUBSET_S = 15.0
"""Otherwise run it for about this long and extrapolate."""
TRIAL_DURATION, INTER_TRIAL = 1.0, 0.5


def write_session(path: Path, n_units: int, n_spikes: int, n_trials: int,
                  seed: int = 0) -> None:
    """Spikes spread over the whole session (log-normal rates), trials with a label."""
    rng = np.random.default_rng(seed)
    session = n_trials * (TRIAL_DURATION + INTER_TRIAL) + INTER_TRIAL
    rates = rng.lognormal(0.0, 1.0, n_units)
    per_unit = rng.multinomial(n_spikes, rates / rates.sum())
    index = np.cumsum(per_unit)
    flat = rng.uniform(0.0, session, n_spikes)
    for a, b in zip(np.concatenate([[0], index[:-1]]), index):
        flat[a:b].sort()
    times = VectorData(name="spike_times", description="Spike times (s).", data=flat)
    units = Units(name="units", description="Simulated units.",
                  id=ElementIdentifiers(name="id", data=np.arange(n_units)),
                  columns=[times, VectorIndex(name="spike_times_index", data=index,
                                              target=times)])
    starts = INTER_TRIAL + np.arange(n_trials) * (TRIAL_DURATION + INTER_TRIAL)
    starts = starts + rng.uniform(0, 0.1, n_trials)
    trials = TimeIntervals(
        name="trials", description="Simulated trials.",
        id=ElementIdentifiers(name="id", data=np.arange(n_trials)),
        columns=[
            VectorData(name="start_time", description="Start (s).", data=starts),
            VectorData(name="stop_time", description="Stop (s).",
                       data=starts + TRIAL_DURATION),
            VectorData(name="orientation", description="Grating orientation (deg).",
                       data=rng.integers(0, 8, n_trials) * 22),
        ])
    nwbfile = pynwb.NWBFile(
        session_description="nwb_load benchmark", identifier="nwb-load-benchmark",
        session_start_time=datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc),
        units=units, trials=trials,
    )
    with pynwb.NWBHDF5IO(str(path), "w") as io:
        io.write(nwbfile)


def time_load_nwb(path: Path, repeats: int = 3) -> tuple[float, np.ndarray]:
    """Best of ``repeats`` wall-clock times of a full load_nwb call."""
    best, counts = np.inf, None
    for _ in range(repeats):
        t0 = time.perf_counter()
        rec = load_nwb(path, "orientation")
        best = min(best, time.perf_counter() - t0)
        counts = rec.responses
    assert counts is not None
    return best, counts


def time_naive(path: Path) -> dict[str, Any]:
    """The naive loop, on all trials or on a subset when it would be too slow."""
    t0 = time.perf_counter()
    with pynwb.NWBHDF5IO(str(path), "r") as io:
        nwbfile = io.read()
        column = nwbfile.units["spike_times"]
        trains = [np.asarray(column[j]) for j in range(len(nwbfile.units))]
        starts = np.asarray(nwbfile.trials["start_time"][:])
        stops = np.asarray(nwbfile.trials["stop_time"][:])
    read_s = time.perf_counter() - t0
    n_trials = len(starts)
    counts = np.zeros((n_trials, len(trains)), dtype=np.int64)

    def run(first: int, last: int) -> float:
        t = time.perf_counter()
        for i in range(first, last):
            a, b = starts[i], stops[i]
            for j, train in enumerate(trains):
                counts[i, j] = np.count_nonzero((train >= a) & (train < b))
        return time.perf_counter() - t

    pilot = min(n_trials, 20)
    loop_s = run(0, pilot)
    predicted = loop_s / pilot * n_trials
    if predicted <= NAIVE_BUDGET_S:
        loop_s += run(pilot, n_trials)
        done = n_trials
    else:
        done = min(n_trials, max(pilot, int(n_trials * SUBSET_S / predicted)))
        loop_s += run(pilot, done)
    total = read_s + loop_s / done * n_trials
    return {"seconds": total, "trials_run": done, "extrapolated": done < n_trials,
            "read_seconds": read_s, "counts": counts[:done]}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark, print its table and return the numbers."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="100 units, 10^5 spikes, 500 trials")
    args = parser.parse_args(argv)
    n_units, n_spikes, n_trials = (100, 10**5, 500) if args.quick else (1000, 10**6, 5000)

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "benchmark.nwb"
        t0 = time.perf_counter()
        write_session(path, n_units, n_spikes, n_trials)
        write_s = time.perf_counter() - t0
        load_s, fast_counts = time_load_nwb(path)
        naive = time_naive(path)

    done = naive["trials_run"]
    identical = bool(np.array_equal(fast_counts[:done], naive["counts"]))
    ratio = naive["seconds"] / load_s
    # at --quick sizes the fixed cost of opening the file (~0.05 s) dominates load_nwb,
    # so the speed target is judged at full size only (the counts are checked always)
    passed: bool | None = identical and (None if args.quick else ratio >= TARGET_SPEEDUP)
    result = {
        "n_units": n_units, "n_spikes": n_spikes, "n_trials": n_trials,
        "write_seconds": write_s, "load_nwb_seconds": load_s,
        "naive_seconds": naive["seconds"], "naive_trials_run": done,
        "naive_extrapolated": naive["extrapolated"], "ratio": ratio,
        "counts_identical": identical, "target": TARGET_SPEEDUP, "passed": passed,
    }

    naive_note = (f" (extrapolated from {done} of {n_trials} trials)"
                  if naive["extrapolated"] else "")
    rows = [
        ("n_units", f"{n_units:,}"),
        ("n_spikes", f"{n_spikes:,}"),
        ("n_trials", f"{n_trials:,}"),
        ("load_nwb seconds", f"{load_s:.3f} (best of 3)"),
        ("naive seconds", f"{naive['seconds']:.2f}{naive_note}"),
        ("ratio", f"{ratio:.0f}x"),
        ("counts identical", f"{identical} (on {done} trials)"),
        ("target", f">= {TARGET_SPEEDUP:.0f}x: "
                   + ("not judged at --quick sizes" if passed is None
                      else "PASS" if passed else "FAIL")),
    ]
    width = max(len(k) for k, _ in rows)
    print(f"NWB load benchmark (file written in {write_s:.1f} s)")
    for key, value in rows:
        print(f"  {key.ljust(width)}  {value}")
    return result


if __name__ == "__main__":
    main()

"""Honest nested-CV decoding of the team's real recordings, neurodecode vs scikit-learn.

For each recording in ``../shared/data`` the best neurodecode decoder (its regulariser
chosen by an inner sweep on each outer training fold) is compared with a tuned
scikit-learn baseline on the *same* outer splits. Time-binned recordings use contiguous
blocks. Prints a Markdown table and writes it to ``benchmarks/REAL_RECORDINGS.md``; the
table in ``data/README.md`` is copied from there.

Usage: ``python benchmarks/real_recordings.py [--data DIR] [--quick]``
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from neurodecode.data import (
    Recording,
    load_nwb,
    load_park_v1,
    load_peyrache_hd,
    load_stevenson_m1,
)
from neurodecode.decoders import LDADecoder, LinearDecoder, LogisticDecoder, MLPDecoder
from neurodecode.encoding import BayesianDecoder
from neurodecode.evaluate import make_splits, nested_cross_validate

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parent.parent / "shared" / "data"
L2_GRID = [1e-4, 1e-3, 1e-2, 1e-1, 1.0]
C_GRID = [1e-3, 1e-2, 1e-1, 1.0, 10.0]
ALPHA_GRID = [1e-1, 1.0, 10.0, 100.0, 1e3, 1e4]
SHRINKAGE_GRID = ["auto", 0.1, 0.3, 0.6, 0.9]  # shrinkage LDA, the strongest simple peer


def _row(task: str, protocol: str, metric: str, nd: Any, nd_name: str, sk: Any,
         sk_name: str) -> dict[str, Any]:
    def chosen(res: Any) -> str:
        def text(v: Any) -> str:
            return f"{v:g}" if isinstance(v, float) else str(v)

        return ", ".join(sorted({"/".join(f"{k.split('__')[-1]}={text(v)}"
                                          for k, v in c.items())
                                 for c in res.chosen}))

    return {
        "task": task, "protocol": protocol, "metric": metric,
        "neurodecode": f"{nd.outer.mean():.3g} +- {nd.outer.sem():.2g}",
        "nd_decoder": f"{nd_name} ({chosen(nd)})",
        "sklearn": f"{sk.outer.mean():.3g} +- {sk.outer.sem():.2g}",
        "sk_decoder": f"{sk_name} ({chosen(sk)})",
        "nd_mean": nd.outer.mean(), "sk_mean": sk.outer.mean(),
        "nd_sem": nd.outer.sem(), "sk_sem": sk.outer.sem(),
        "greater_is_better": nd.outer.greater_is_better[nd.outer.primary],
    }


def _pair(rec: Recording, cv: int, nd: Any, nd_grid: dict, sk: Any, sk_grid: dict,
          scoring: str, inner_cv: int = 3) -> tuple[Any, Any]:
    splits = make_splits(rec, cv, random_state=0)  # one set of outer splits for both
    a = nested_cross_validate(nd, nd_grid, rec, splits, inner_cv, scoring=scoring)
    b = nested_cross_validate(sk, sk_grid, rec, splits, inner_cv, scoring=scoring)
    return a, b


def park_v1(data: Path, quick: bool) -> list[dict[str, Any]]:
    rec = load_park_v1(data / "mouse_v1_2p_gratings_park2024_mrcuts28_fov4.mat")
    classes = rec.with_stimulus(rec.stimulus, kind="categorical")
    nd, sk = _pair(classes, 5, LogisticDecoder(device="cpu"), {"l2": L2_GRID},
                   make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
                   {"logisticregression__C": C_GRID}, "accuracy")
    rows = [_row("V1 gratings (Park): 8 directions", "5-fold stratified, nested",
                 "accuracy", nd, "LogisticDecoder", sk, "LogisticRegression")]
    nd, sk = _pair(classes, 5, LDADecoder(), {"shrinkage": SHRINKAGE_GRID},
                   make_pipeline(StandardScaler(), LinearDiscriminantAnalysis(solver="lsqr")),
                   {"lineardiscriminantanalysis__shrinkage": SHRINKAGE_GRID}, "accuracy")
    rows.append(_row("V1 gratings (Park): 8 directions", "5-fold stratified, nested",
                     "accuracy", nd, "LDADecoder", sk, "LinearDiscriminantAnalysis (lsqr)"))
    nd, sk = _pair(rec, 5, LinearDecoder(device="cpu"), {"l2": L2_GRID},
                   make_pipeline(StandardScaler(), Ridge()), {"ridge__alpha": ALPHA_GRID},
                   "median_error")
    rows.append(_row("V1 gratings (Park): direction as an angle",
                     "5-fold stratified, nested", "median error (deg)", nd,
                     "LinearDecoder (cos, sin)", sk, "Ridge on (cos, sin)"))
    nd, sk = _pair(rec, 5, BayesianDecoder(device="cpu"), {"l2": [1e-3, 1e-2, 1e-1]},
                   make_pipeline(StandardScaler(), Ridge()), {"ridge__alpha": ALPHA_GRID},
                   "median_error")
    rows.append(_row("V1 gratings (Park): direction as an angle",
                     "5-fold stratified, nested", "median error (deg)", nd,
                     "BayesianDecoder (Gaussian tuning)", sk, "Ridge on (cos, sin)"))
    return rows


def peyrache_hd(data: Path, quick: bool) -> list[dict[str, Any]]:
    rec = load_peyrache_hd(data / "mouse_adn_headdirection_peyrache2015.mat").rebin(10)
    if quick:
        rec = rec.select(trials=slice(0, 4000))
    nd, sk = _pair(rec, 5, LinearDecoder(device="cpu"), {"l2": L2_GRID},
                   Ridge(), {"alpha": ALPHA_GRID}, "median_error")
    rows = [_row("Head direction (Peyrache), 100 ms bins", "5 contiguous blocks, nested",
                 "median error (deg)", nd, "LinearDecoder (cos, sin)", sk,
                 "Ridge on (cos, sin)")]
    nd, sk = _pair(rec, 5, BayesianDecoder(device="cpu"), {"l2": [1e-3, 1e-2]},
                   Ridge(), {"alpha": ALPHA_GRID}, "median_error")
    rows.append(_row("Head direction (Peyrache), 100 ms bins", "5 contiguous blocks, nested",
                     "median error (deg)", nd, "BayesianDecoder (Poisson tuning)", sk,
                     "Ridge on (cos, sin)"))
    sqrt = rec.with_responses(np.sqrt(rec.responses))
    nd, sk = _pair(sqrt, 5, MLPDecoder(hidden=(64,), max_epochs=30 if quick else 100,
                                       device="cpu", random_state=0),
                   {"l2": [1e-4, 1e-3, 1e-2]},
                   Ridge(), {"alpha": ALPHA_GRID},
                   "median_error")
    rows.append(_row("Head direction (Peyrache), sqrt counts", "5 contiguous blocks, nested",
                     "median error (deg)", nd, "MLPDecoder (64 ReLU)", sk,
                     "Ridge on (cos, sin)"))
    return rows


def stevenson_m1(data: Path, quick: bool) -> list[dict[str, Any]]:
    base = load_stevenson_m1(data / "monkey_m1_reaching_stevenson2011.mat")
    rows = []
    for lags in (0, 2) if quick else (0, 2, 4):
        rec = base.add_history(lags) if lags else base
        if quick:
            rec = rec.select(trials=slice(0, 5000))
        nd, sk = _pair(rec, 5, LinearDecoder(device="cpu"), {"l2": L2_GRID},
                       make_pipeline(StandardScaler(), Ridge()), {"ridge__alpha": ALPHA_GRID},
                       "r2")
        rows.append(_row(f"M1 reaching (Stevenson): hand velocity, {lags} bins history",
                         "5 contiguous blocks (gap = history), nested", "R^2", nd,
                         "LinearDecoder", sk, "Ridge"))
    return rows


def zheng_mtl(data: Path, quick: bool) -> list[dict[str, Any]]:
    path = data / "human_mtl_units_zheng2022_sub-4_ses-4.nwb"
    rows = []
    for task, kwargs in (
        ("Human MTL (Zheng): clip category (3)",
         dict(stimulus="stimCategory", intervals="encoding_table")),
        ("Human MTL (Zheng): old vs new (2)",
         dict(stimulus="stimuli_type", intervals="recognition_table", window=(0.0, 1.5))),
    ):
        rec = load_nwb(path, **kwargs)
        nd, sk = _pair(rec, 5, LogisticDecoder(device="cpu"), {"l2": L2_GRID},
                       make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
                       {"logisticregression__C": C_GRID}, "accuracy")
        rows.append(_row(task, "5-fold stratified, nested", "accuracy", nd,
                         "LogisticDecoder", sk, "LogisticRegression"))
        nd, sk = _pair(rec, 5, LDADecoder(), {"shrinkage": SHRINKAGE_GRID},
                       make_pipeline(StandardScaler(),
                                     LinearDiscriminantAnalysis(solver="lsqr")),
                       {"lineardiscriminantanalysis__shrinkage": SHRINKAGE_GRID},
                       "accuracy")
        rows.append(_row(task, "5-fold stratified, nested", "accuracy", nd, "LDADecoder",
                         sk, "LinearDiscriminantAnalysis (lsqr)"))
    return rows


def to_markdown(rows: list[dict[str, Any]]) -> str:
    head = ("| task | protocol | metric | neurodecode (chosen) | scikit-learn (chosen) | "
            "better |\n|---|---|---|---|---|---|\n")
    body = ""
    for r in rows:
        diff = r["nd_mean"] - r["sk_mean"]
        if abs(diff) <= max(r["nd_sem"], r["sk_sem"]):
            better = "within s.e.m."
        else:
            better = "neurodecode" if (diff > 0) == r["greater_is_better"] else "scikit-learn"
        body += (f"| {r['task']} | {r['protocol']} | {r['metric']} | {r['neurodecode']} "
                 f"{r['nd_decoder']} | {r['sklearn']} {r['sk_decoder']} | {better} |\n")
    return head + body


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    """Run every comparison; print and write the table; return the rows."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--quick", action="store_true", help="subsets, for a smoke test")
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        sys.exit(f"real recordings not found at {args.data}")
    rows: list[dict[str, Any]] = []
    t0 = time.perf_counter()
    for job in (park_v1, peyrache_hd, stevenson_m1, zheng_mtl):
        t = time.perf_counter()
        rows += job(args.data, args.quick)
        print(f"{job.__name__}: {time.perf_counter() - t:.1f} s", file=sys.stderr)
    table = to_markdown(rows)
    print(table)
    if not args.quick:
        note = (f"Produced by `python benchmarks/real_recordings.py` in "
                f"{time.perf_counter() - t0:.0f} s on {platform.machine()} "
                f"({platform.python_version()}). Mean +- s.e.m. over outer folds; the "
                "regulariser of each side is chosen by a 3-fold inner sweep on each outer "
                "training fold (values chosen in parentheses).\n\n")
        (HERE / "REAL_RECORDINGS.md").write_text("# Real recordings: nested CV\n\n" + note +
                                                table)
    return rows


if __name__ == "__main__":
    main()

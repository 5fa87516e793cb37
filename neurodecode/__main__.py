"""The ``neurodecode`` command line (also ``python -m neurodecode``).

``neurodecode demo`` is the main job on built-in data: it builds a synthetic
orientation-tuned population, writes it to NWB, reads it back through the NWB loader,
and cross-validates decoders on it. ``neurodecode inspect PATH`` shows what a file holds
that can be decoded.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__

__all__ = ["main"]


class UserError(Exception):
    """A mistake in the command's input: printed as one line, exit status 2."""


def _write_atomic(path: Path, text: str) -> None:
    """Write a text file so that a crash never leaves it half written."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _demo_decoders(quick: bool) -> dict[str, Any]:
    from .decoders import LinearDecoder, LogisticDecoder, MLPDecoder, PerceptronDecoder

    epochs = 30 if quick else 150
    return {
        "linear (circular, ridge)": (LinearDecoder(l2=1e-2), None),
        "relu net (hidden 200)": (MLPDecoder(hidden=(200,), l2=1e-3, dropout=0.2,
                                             max_epochs=epochs, random_state=0), None),
        "logistic (12 classes)": (LogisticDecoder(l2=1e-3), 12),
        "perceptron (12 classes)": (PerceptronDecoder(max_epochs=epochs, random_state=0), 12),
    }


def run_demo(out: Path, quick: bool = False, seed: int = 0) -> dict[str, Any]:
    """Build a synthetic population, round-trip it through NWB and decode it.

    Parameters
    ----------
    out : Path
        Folder for ``population.nwb``, ``results.json``, ``results.csv`` and figures.
    quick : bool, default=False
        Small sizes (seconds) instead of the default (about a minute).
    seed : int, default=0

    Returns
    -------
    dict
        What was written to ``results.json``.
    """
    from .data import format_inspection, inspect_nwb, load_nwb, orientation_population, save_nwb
    from .evaluate import cross_validate, plot_predictions

    n_neurons, n_trials = (300, 600) if quick else (2000, 2400)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    rec, truth = orientation_population(n_neurons, n_trials, random_state=seed)
    print(f"built {rec}")
    nwb_path = out / "population.nwb"
    save_nwb(rec, nwb_path, overwrite=True)
    print(f"wrote {nwb_path} ({nwb_path.stat().st_size / 1e6:.1f} MB)")
    print(format_inspection(inspect_nwb(nwb_path)))
    loaded = load_nwb(nwb_path, "stimulus", kind="circular", period=180.0)
    same = np.array_equal(loaded.responses, rec.responses)
    print(f"read back {loaded}: spike counts {'identical' if same else 'DIFFER'}")
    if not same:
        raise RuntimeError("NWB round trip changed the spike counts")

    crb = float(truth.cramer_rao_bound())
    rows = []
    for name, (dec, n_classes) in _demo_decoders(quick).items():
        data = loaded if n_classes is None else loaded.bin_stimulus(n_classes)
        res = cross_validate(dec, data, cv=5, random_state=seed, return_models=False)
        rows.append({"decoder": name, "metric": res.primary, "mean": res.mean(),
                     "sem": res.sem(), "fit_seconds": float(res.fit_time.sum())})
        print(f"  {name:<26} {res.primary} = {res.mean():.3g} +- {res.sem():.2g}")
        if n_classes is None and name.startswith("linear"):
            plot_predictions(res).savefig(out / "linear_predictions.png", dpi=120)
    results = {
        "neurodecode_version": __version__, "seed": seed, "quick": quick,
        "population": {"n_neurons": n_neurons, "n_trials": n_trials,
                       "cramer_rao_bound_deg": crb},
        "nwb_round_trip_identical": same, "results": rows,
        "seconds": time.perf_counter() - t0,
    }
    _write_atomic(out / "results.json", json.dumps(results, indent=2))
    csv = "decoder,metric,mean,sem,fit_seconds\n" + "".join(
        f"{r['decoder']},{r['metric']},{r['mean']:.6g},{r['sem']:.6g},{r['fit_seconds']:.3f}\n"
        for r in rows)
    _write_atomic(out / "results.csv", csv)
    print(f"Cramer-Rao bound of this population: {crb:.3g} deg (RMS); results in {out}/")
    return results


def run_inspect(path: Path) -> None:
    """Print what an NWB, HDF5, NPZ or MATLAB file holds.

    Parameters
    ----------
    path : Path
    """
    from .data import format_inspection, inspect_nwb

    if not path.exists():
        raise UserError(f"No such file: {path}")
    if path.suffix == ".nwb":
        print(format_inspection(inspect_nwb(path)))
    elif path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as f:
            for key in f.files:
                print(f"{key:<24} {f[key].shape} {f[key].dtype}")
    elif path.suffix in (".h5", ".hdf5", ".mat"):
        import h5py

        if path.suffix == ".mat" and not h5py.is_hdf5(path):
            from scipy.io import whosmat

            for name, shape, cls in whosmat(path):
                print(f"{name:<24} {shape} {cls}")
            return
        with h5py.File(path, "r") as f:
            f.visititems(lambda name, obj: print(f"{name:<40} {obj.shape} {obj.dtype}")
                         if isinstance(obj, h5py.Dataset) else None)
    else:
        raise UserError(f"Unknown file type {path.suffix!r}: expected .nwb, .h5, .hdf5, "
                        ".npz or .mat.")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="neurodecode", description=__doc__.splitlines()[0])
    p.add_argument("--version", action="version", version=f"neurodecode {__version__}")
    sub = p.add_subparsers(dest="command")
    demo = sub.add_parser("demo", help="the main job on built-in synthetic data")
    demo.add_argument("--out", type=Path, default=Path("neurodecode-out"),
                      help="output folder (default: ./neurodecode-out)")
    demo.add_argument("--quick", action="store_true", help="small sizes, seconds")
    demo.add_argument("--seed", type=int, default=0)
    insp = sub.add_parser("inspect", help="what a file holds that can be decoded")
    insp.add_argument("path", type=Path)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments (defaults to ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 2 for a user error, 130 when interrupted.
    """
    args = _parser().parse_args(argv)
    command = args.command or "demo"
    try:
        if command == "demo":
            run_demo(getattr(args, "out", Path("neurodecode-out")),
                     quick=getattr(args, "quick", False), seed=getattr(args, "seed", 0))
        elif command == "inspect":
            run_inspect(args.path)
    except UserError as exc:
        print(f"neurodecode: error: {exc}", file=sys.stderr)
        return 2
    except (FileNotFoundError, ValueError) as exc:
        print(f"neurodecode: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("neurodecode: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())

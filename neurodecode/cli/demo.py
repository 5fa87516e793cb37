"""``neurodecode demo``: the main job on built-in synthetic data.

A Stringer-like population of orientation-tuned Poisson neurons is simulated, written to
an NWB file and read back through :func:`~neurodecode.data.load_nwb` (the spike counts
must be identical), then four decoder families are cross-validated on the same folds,
each over a small sweep of its penalties:

- linear (ridge, closed form, every L2 strength batched at once),
- a ReLU network with one hidden layer of 200 units (dropout x L2),
- logistic regression on the orientation binned into 12 classes (L1 x L2),
- the perceptron on the same classes,
- and the encoding-model Bayesian decoder, when this version of neurodecode has it.

Every decoder's held-out error is measured the same way, as the circular distance between
the decoded and the true orientation (a classifier decodes its class's centre), and set
against the population's Cramér-Rao bound.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.base import clone

from .commands import progress, say
from .factory import bayes_available, describe_decoder, load_bayes, resolve_device
from .outputs import RunOutput, fold_rows, format_table

__all__ = ["DEMO_SIZES", "DemoSize", "run_demo"]


@dataclass(frozen=True)
class DemoSize:
    """Sizes and sweeps of one demo run."""

    n_neurons: int
    n_trials: int
    mlp_epochs: int
    perceptron_epochs: int
    linear_l2: tuple[float, ...]
    mlp_grid: dict[str, list[float]]
    logistic_grid: dict[str, list[float]]
    logistic_epochs: int
    n_classes: int = 12
    cv: int = 5


DEMO_SIZES = {
    "default": DemoSize(
        n_neurons=1000, n_trials=2000, mlp_epochs=40, perceptron_epochs=30,
        linear_l2=(1e-2, 1e-1, 1.0, 10.0, 100.0),
        mlp_grid={"l2": [1e-3, 1e-2, 1e-1], "dropout": [0.0, 0.5]},
        logistic_grid={"l2": [1e-2, 1e-1], "l1": [0.0, 1e-3]}, logistic_epochs=50),
    "quick": DemoSize(
        n_neurons=60, n_trials=240, mlp_epochs=5, perceptron_epochs=5,
        linear_l2=(1e-1, 10.0), mlp_grid={"dropout": [0.0, 0.5]},
        logistic_grid={"l2": [1e-1, 1.0]}, logistic_epochs=20, cv=3),
}
"""``--quick`` uses ``"quick"``; otherwise ``"default"`` (about two minutes on 2 cores)."""


def run_demo(config: dict[str, Any], argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Simulate, round-trip through NWB, cross-validate every decoder, write the outputs.

    Parameters
    ----------
    config : dict
        Resolved options of ``neurodecode demo``: ``out``, ``quick``, ``seed``,
        ``device``.
    argv : sequence of str, optional
        The command line, shown in the report.

    Returns
    -------
    dict
        What was written to ``results.json``.

    Raises
    ------
    RuntimeError
        If the NWB round trip changes the spike counts (a bug, not a user error).
    """
    size = DEMO_SIZES["quick" if config["quick"] else "default"]
    device = resolve_device(config["device"])
    seed = config["seed"]
    out = RunOutput(config["out"], "demo", config, device=device, argv=argv,
                    title="neurodecode demo: decoding orientation from a synthetic population")
    have_bayes = bayes_available()
    with progress(7 + have_bayes, "neurodecode demo") as bar:
        rec, truth, nwb_info = _round_trip(out, size, seed, bar)
        from ..evaluate import make_splits

        splits = make_splits(rec, size.cv, random_state=seed)
        fits = _fit_all(rec, size, splits, seed, device, have_bayes, bar)
        crb = float(truth.cramer_rao_bound())
        rows = [_row(f, rec, splits) for f in fits]
        table = _table(rows, crb, rec, size)
        say(table)
        bar.set_postfix_str("figures and report")
        _demo_outputs(out, fits, table, nwb_info)
        doc = out.finish({
            "population": {"n_neurons": size.n_neurons, "n_trials": size.n_trials,
                           "noise": "poisson", "period": rec.period,
                           "cramer_rao_bound_deg": crb},
            "nwb_round_trip_identical": True, "n_folds": size.cv,
            "results": rows,
            "sweeps": {f["key"]: f["comparison"].to_dict() for f in fits
                       if f["comparison"] is not None},
        })
        bar.update(1)
    say(f"wrote {len(doc['files'])} files to {out.folder}/ in {doc['seconds']:.0f} s "
        "(open report.html)")
    return doc


def _round_trip(out: RunOutput, size: DemoSize, seed: int, bar: Any) -> tuple[Any, Any, str]:
    from ..data import format_inspection, inspect_nwb, load_nwb, orientation_population, save_nwb

    bar.set_postfix_str("simulating the population")
    rec, truth = orientation_population(size.n_neurons, size.n_trials, random_state=seed)
    say(f"simulated {rec}")
    bar.update(1)
    bar.set_postfix_str("NWB round trip")
    path = save_nwb(rec, out.path("population.nwb"), overwrite=True, random_state=seed)
    out.files.append("population.nwb")
    info = format_inspection(inspect_nwb(path))
    loaded = load_nwb(path, "stimulus")
    same = (np.array_equal(loaded.responses, rec.responses)
            and np.allclose(loaded.stimulus, rec.stimulus))
    if not same:
        raise RuntimeError("The NWB round trip changed the spike counts or stimuli: a bug in "
                           "save_nwb/load_nwb. Please report it.")
    say(f"wrote {path.name} ({path.stat().st_size / 1e6:.1f} MB) and read it back with "
        f"load_nwb: {loaded.n_trials} x {loaded.n_neurons} spike counts identical")
    bar.update(1)
    return loaded, truth, info


def _fit_all(rec: Any, size: DemoSize, splits: list, seed: int, device: str,
             have_bayes: bool, bar: Any) -> list[dict[str, Any]]:
    from ..decoders import LinearDecoder, LogisticDecoder, MLPDecoder, PerceptronDecoder

    binned = rec.bin_stimulus(size.n_classes)
    k = size.n_classes
    plan = [
        ("linear", "linear (ridge)", LinearDecoder(device=device), rec,
         {"l2": list(size.linear_l2)}),
        ("relu", "ReLU net (200 hidden)", MLPDecoder(
            hidden=(200,), max_epochs=size.mlp_epochs, device=device, random_state=seed),
         rec, size.mlp_grid),
        ("logistic", f"logistic ({k} classes)", LogisticDecoder(
            max_epochs=size.logistic_epochs, device=device), binned, size.logistic_grid),
        ("perceptron", f"perceptron ({k} classes)", PerceptronDecoder(
            max_epochs=size.perceptron_epochs, random_state=seed), binned, None),
    ]
    if have_bayes:
        plan.append(("bayes", "Bayesian (encoding model)", _bayes(seed, device), rec, None))
    fits = []
    for key, label, est, data, grid in plan:
        bar.set_postfix_str(label)
        t0 = time.perf_counter()
        fits.append(_fit(key, label, est, data, grid, splits, seed))
        fits[-1]["wall_seconds"] = time.perf_counter() - t0
        bar.update(1)
    return fits


def _bayes(seed: int, device: str) -> Any:
    est = load_bayes()()
    valid = est.get_params(deep=False)
    return est.set_params(**{k: v for k, v in {"random_state": seed, "device": device}.items()
                             if k in valid})


def _fit(key: str, label: str, est: Any, data: Any, grid: dict[str, list[float]] | None,
         splits: list, seed: int) -> dict[str, Any]:
    from ..evaluate import cross_validate, sweep

    if grid:
        keep = {"return_models": True} if key == "relu" else {}  # nets: for loss curves
        comp = sweep(est, grid, data, splits, random_state=seed, **keep)
        best = comp.results[comp.best]
        setting = ", ".join(f"{k}={v:g}" for k, v in comp.best_params.items())
        seconds = sum(float(r.fit_time.sum()) for r in comp.results.values())
        decoder = describe_decoder(clone(est).set_params(**comp.best_params))
    else:
        comp = None
        best = cross_validate(est, data, splits, random_state=seed)
        setting, seconds, decoder = "-", float(best.fit_time.sum()), describe_decoder(est)
    return {"key": key, "label": label, "result": best, "comparison": comp,
            "setting": setting, "seconds": seconds, "decoder": decoder,
            "n_settings": len(comp.results) if comp else 1}


def _fold_errors(t: np.ndarray, p: np.ndarray, splits: list, period: float
                 ) -> tuple[np.ndarray, np.ndarray]:
    from ..evaluate import circular_error

    err = np.abs(circular_error(t, p, period))
    med = np.array([np.median(err[test]) for _, test in splits])
    rms = np.array([np.sqrt(np.mean(err[test] ** 2)) for _, test in splits])
    return med, rms


def _row(fit: dict[str, Any], rec: Any, splits: list) -> dict[str, Any]:
    res = fit["result"]
    pred = np.asarray(res.y_pred, dtype=float)  # a classifier's prediction is a bin centre
    med, rms = _fold_errors(rec.stimulus, pred, splits, rec.period)
    sem = np.sqrt(len(splits))
    row = {"decoder": fit["label"], "best_setting": fit["setting"],
           "n_settings": fit["n_settings"], "median_error_deg": float(med.mean()),
           "median_error_sem": float(med.std(ddof=1) / sem), "rms_error_deg": float(rms.mean()),
           "rms_error_sem": float(rms.std(ddof=1) / sem), "accuracy": None,
           "accuracy_sem": None, "fit_seconds": fit["seconds"],
           "wall_seconds": fit["wall_seconds"], "estimator": fit["decoder"]}
    if res.kind == "categorical":
        row["accuracy"], row["accuracy_sem"] = res.mean("accuracy"), res.sem("accuracy")
    return row


def _table(rows: list[dict[str, Any]], crb: float, rec: Any, size: DemoSize) -> str:
    columns = ["decoder", "settings", "best setting", "median error (deg)", "RMS error (deg)",
               f"accuracy ({size.n_classes} classes)", "time (s)"]
    lines = [
        f"{rec.n_trials} trials x {rec.n_neurons} neurons, orientation in [0, 180) deg, "
        f"{size.cv}-fold cross-validation (same folds for every decoder), mean ± s.e.m. "
        "over folds",
        format_table(columns, [[
            r["decoder"], r["n_settings"], r["best_setting"],
            f"{r['median_error_deg']:.3g} ± {r['median_error_sem']:.2g}",
            f"{r['rms_error_deg']:.3g} ± {r['rms_error_sem']:.2g}",
            "-" if r["accuracy"] is None else f"{r['accuracy']:.3f} ± {r['accuracy_sem']:.2g}",
            f"{r['wall_seconds']:.1f}"] for r in rows]),
        f"Cramér-Rao bound of this population: {crb:.3g} deg RMS (no unbiased decoder has a "
        f"smaller RMS error; for Gaussian errors, a median error of {0.674 * crb:.3g} deg).",
        f"Classifiers decode the centre of one of {size.n_classes} bins "
        f"({180 / size.n_classes:g} deg wide), so their error cannot go much below "
        f"{180 / size.n_classes / 4:.3g} deg median. Best settings are chosen on the same "
        "folds (a sweep, not nested cross-validation).",
    ]
    return "\n".join(lines)


def _demo_outputs(out: RunOutput, fits: list[dict[str, Any]], table: str,
                  nwb_info: str) -> None:
    out.report.add_text("Results", table)
    out.csv("results.csv", ["decoder", "best_setting", "metric", "mean", "sem",
                            "fit_seconds"], [r for f in fits for r in _csv_rows(f)])
    out.csv("folds.csv", *fold_rows({f["label"]: f["result"] for f in fits}))
    _demo_figures(out, fits)
    out.report.add_text("The NWB file written and read back (population.nwb)", nwb_info)


def _csv_rows(fit: dict[str, Any]) -> list[list[Any]]:
    res = fit["result"]
    return [[fit["label"], fit["setting"], m, res.mean(m), res.sem(m), fit["seconds"]]
            for m in res.scores]


def _demo_figures(out: RunOutput, fits: list[dict[str, Any]]) -> None:
    from matplotlib.figure import Figure

    from ..evaluate import (
        plot_confusion,
        plot_error_by_stimulus,
        plot_loss_curves,
        plot_predictions,
        plot_sweep,
    )

    by_key = {f["key"]: f for f in fits}
    swept = [f for f in fits if f["comparison"] is not None]
    fig = Figure(figsize=(4.2 * len(swept), 3.6), layout="constrained")
    for ax, f in zip(fig.subplots(1, len(swept), squeeze=False)[0], swept):
        plot_sweep(f["comparison"], ax=ax)
        ax.set_title(f["label"], fontsize="medium")
    out.figure(fig, "sweep.png", "Cross-validated score against penalty strength, per family")
    regressors = [f for f in fits if f["result"].kind == "circular"]
    for name, plot, caption in (
            ("predictions.png", plot_predictions, "Decoded vs true orientation (held out)"),
            ("error_by_stimulus.png", plot_error_by_stimulus,
             "Absolute error by true orientation")):
        fig = Figure(figsize=(4.2 * len(regressors), 3.6), layout="constrained")
        for ax, f in zip(fig.subplots(1, len(regressors), squeeze=False)[0], regressors):
            plot(f["result"], ax=ax)
            setting = "" if f["setting"] == "-" else f", {f['setting']}"
            ax.set_title(f"{f['label']}{setting}\n{ax.get_title()}", fontsize="small")
        out.figure(fig, name, caption)
    out.figure(plot_confusion(by_key["logistic"]["result"]), "confusion.png",
               f"Confusion matrix of the logistic decoder ({by_key['logistic']['setting']})")
    relu = by_key["relu"]["result"]
    if relu.models:
        out.figure(plot_loss_curves(relu), "loss_curves.png",
                   "ReLU net: training loss per epoch, one line per fold")

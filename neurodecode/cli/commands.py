"""``neurodecode decode`` and ``neurodecode compare``: cross-validated decoding of NWB files.

Both load trials with :func:`~neurodecode.data.load_nwb`, optionally bin the stimulus
into classes, make the cross-validation splits once (so every decoder and setting sees
the same folds) and write a table, figures, CSV files, ``results.json`` and
``report.html`` into the output folder.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from .config import UserError
from .factory import (
    applicable_decoders,
    decoder_for,
    describe_decoder,
    make_decoder,
    resolve_device,
)
from .outputs import RunOutput, fold_rows, format_table

__all__ = [
    "checked_splits",
    "load_recording",
    "progress",
    "result_figures",
    "run_compare",
    "run_decode",
    "say",
    "user_errors",
]

_PENALTIES = ("l1", "l2", "dropout")


# ---------------------------------------------------------------------------- helpers
def one_line(exc: BaseException) -> str:
    """An exception's message on one line (its type name when it has none)."""
    return " ".join(str(exc).split()) or type(exc).__name__


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn the loaders' and splitters' ValueError, TypeError and OSError into UserError.

    Used only around steps whose errors are caused by the input (file, column, window,
    cv), so that a bug elsewhere still shows its traceback.
    """
    try:
        yield
    except (ValueError, TypeError, OSError) as exc:
        raise UserError(one_line(exc)) from exc


def progress(total: int, desc: str) -> Any:
    """A progress bar over the steps of a command (on stderr, only on a terminal).

    Parameters
    ----------
    total : int
    desc : str

    Returns
    -------
    tqdm
    """
    return tqdm(total=total, desc=desc, unit="step", file=sys.stderr, disable=None,
                leave=False, dynamic_ncols=True)


def say(text: str) -> None:
    """Print a line to stdout without breaking a progress bar.

    Parameters
    ----------
    text : str
    """
    tqdm.write(text, file=sys.stdout)


_FORMAT_NAMES = {"hdf5": "HDF5", "mat5": "MATLAB v5", "mat73": "MATLAB v7.3 (HDF5)",
                 "npz": "NumPy .npz", "npy": "NumPy .npy"}


def _load_other(path: str, fmt: str, config: dict[str, Any]) -> Any:
    """A recognised layout by its recipe, or named variables of an HDF5/MATLAB/NPZ file;
    the stimulus kind inferred when not given (categorical for integer or text values
    with few distinct values, circular with --period, else linear)."""
    from ..data import load_hdf5, load_known, load_mat, load_npz, recognise_layout

    layout = recognise_layout(path) if fmt in ("mat5", "mat73") else None
    if layout is not None and not config.get("responses"):
        with user_errors():
            return load_known(path, layout, target=config.get("stimulus"))
    if fmt == "npy":
        raise UserError(f"'{path}' is a NumPy .npy file: one array without a stimulus. Save "
                        "responses and stimulus together with numpy.savez, then decode the "
                        ".npz with --responses VAR --stimulus VAR.")
    responses, stimulus = config.get("responses"), config.get("stimulus")
    if not responses or not stimulus:
        raise UserError(
            f"'{path}' is a {_FORMAT_NAMES[fmt]} file: name its variables with --responses "
            f"VAR --stimulus VAR (and --neurons-axis N if needed); 'neurodecode inspect "
            f"{path}' lists them and prints the command.")
    loader = {"hdf5": load_hdf5, "mat5": load_mat, "mat73": load_mat, "npz": load_npz}[fmt]
    kw: dict[str, Any] = {"responses": responses, "stimulus": stimulus,
                          "neurons_axis": config.get("neurons_axis")}
    if fmt == "npz":
        kw["units"] = "degrees"  # values as stored
    kind, period = config["kind"], config["period"]
    with user_errors():
        if kind is None and period is not None:
            kind = "circular"
        if kind is not None:
            return loader(path, kind=kind, period=period, **kw)
        rec = loader(path, kind="categorical", **kw)
        values = np.unique(rec.stimulus)
        numeric = values.dtype.kind in "iufb"
        integral = numeric and np.all(np.mod(values.astype(float), 1) == 0)
        if numeric and not (integral and len(values) <= 50):
            rec = loader(path, kind="linear", **kw)
            angles = values.min() >= 0 and values.max() < 360 and len(values) > 50
            if angles:
                say(f"'{stimulus}' holds values in [0, 360): if it is an angle, pass "
                    "--kind circular --period 360 (or 180 for orientation); decoding it as "
                    "an ordinary number.")
        return rec


def load_recording(path: str, config: dict[str, Any]) -> Any:
    """Load one file as the config says, and bin the stimulus if ``bins`` is set.

    NWB files are cut into trials by an intervals table; the shared recordings' layouts
    (Park V1, Peyrache head direction, Stevenson M1) are recognised by their variables
    and loaded by their recipes; other HDF5, MATLAB and NPZ files need ``responses`` and
    ``stimulus`` (variable names) and optionally ``neurons_axis``.

    Parameters
    ----------
    path : str
    config : dict
        ``stimulus``, ``intervals``, ``window``, ``align``, ``source``, ``kind``,
        ``period`` and ``bins``.

    Returns
    -------
    Recording

    Raises
    ------
    UserError
        For a missing or non-NWB file, an unknown table or column (the message lists the
        existing ones), a window outside the recording, or ``bins`` on a categorical
        stimulus.
    """
    from ..data import load_nwb
    from .inspection import detect_format

    # .nwb files (and missing ones) go to the NWB loader, whose messages name NWB
    fmt = "nwb" if Path(path).suffix.lower() == ".nwb" else detect_format(Path(path))
    if fmt != "nwb":
        if config.get("over_time"):
            raise UserError("--over-time reads trials x time bins from an NWB file; for "
                            f"this {_FORMAT_NAMES[fmt]} file decode one vector per trial.")
        rec = _load_other(path, fmt, config)
        return _binned(rec, config)
    if not config.get("stimulus"):
        raise UserError("An NWB file needs --stimulus COLUMN: the column of the intervals "
                        "table to decode ('neurodecode inspect FILE' lists them).")
    window = tuple(config["window"]) if config["window"] else None
    bin_size = config.get("bin_size")
    if config.get("over_time") and (window is None or bin_size is None):
        raise UserError("--over-time decodes every time bin of a window: pass --window START "
                        "STOP and --bin-size S (e.g. --window -0.5 1.5 --bin-size 0.1).")
    extra = {"bin_size": bin_size} if bin_size is not None else {}
    with user_errors():
        rec = load_nwb(path, config["stimulus"], intervals=config["intervals"], window=window,
                       align=config["align"], source=config["source"], kind=config["kind"],
                       period=config["period"], **extra)
    if rec.is_time_resolved and not config.get("over_time"):
        raise UserError(f"--bin-size {bin_size:g} gives responses over time "
                        f"({rec.n_times} bins per trial); add --over-time to decode every bin, "
                        "or drop --bin-size to count the whole window.")
    return _binned(rec, config)


def _binned(rec: Any, config: dict[str, Any]) -> Any:
    """The Recording with its stimulus binned into ``bins`` classes when asked."""
    if config["bins"] is not None:
        if rec.kind == "categorical":
            raise UserError(f"--bins turns a circular or linear stimulus into classes, but "
                            f"{config['stimulus']!r} is already categorical "
                            f"({len(rec.classes)} classes); drop --bins.")
        with user_errors():
            rec = rec.bin_stimulus(config["bins"])
    return rec


def checked_splits(recording: Any, cv: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Cross-validation splits, made once; a cv the data cannot support is a UserError.

    Parameters
    ----------
    recording : Recording
    cv : int
    seed : int

    Returns
    -------
    list of (train, test)
    """
    from ..evaluate import make_splits

    with user_errors():
        return make_splits(recording, cv, random_state=seed)


def describe_recording(rec: Any) -> dict[str, Any]:
    """What was decoded, for ``results.json``."""
    info: dict[str, Any] = {
        "summary": repr(rec), "n_samples": rec.n_samples, "n_neurons": rec.n_neurons,
        "kind": rec.kind, "period": rec.period, "response_type": rec.response_type,
    }
    if rec.is_time_resolved:
        info["epoch_times"] = rec.epoch_times.tolist()
    if rec.kind == "categorical":
        values, counts = np.unique(rec.stimulus, return_counts=True)
        info["classes"] = values.tolist()
        info["class_counts"] = counts.tolist()
        info["chance_majority"] = float(counts.max() / counts.sum())
    for key in ("path", "intervals", "stimulus", "window", "align", "source_kind"):
        if key in rec.meta:
            info[key] = rec.meta[key]
    return info


def mean_sem(res: Any, metric: str) -> str:
    """``mean ± s.e.m.`` of one metric across folds, for tables."""
    return f"{res.mean(metric):.4g} ± {res.sem(metric):.2g}"


def _has_history(models: list[Any] | None) -> bool:
    """Whether every model was trained over several epochs (not in closed form)."""
    return bool(models) and all(len((getattr(m, "history_", None) or {}).get("train_loss", ()))
                                > 1 for m in models)


def result_figures(out: RunOutput, res: Any, prefix: str = "", label: str = "") -> None:
    """Figures of one cross-validated result: predictions or confusion, loss curves.

    Parameters
    ----------
    out : RunOutput
    res : CVResult
    prefix : str, optional
        Prepended to file names (one file among several).
    label : str, optional
        Appended to captions.
    """
    from ..evaluate import (
        plot_confusion,
        plot_error_by_stimulus,
        plot_loss_curves,
        plot_predictions,
    )

    if res.kind == "categorical":
        out.figure(plot_confusion(res), f"{prefix}confusion.png",
                   f"Confusion matrix, held-out trials{label}")
    else:
        out.figure(plot_predictions(res), f"{prefix}predictions.png",
                   f"Decoded vs true stimulus, held-out trials{label}")
        if np.ndim(res.y_true) == 1:
            out.figure(plot_error_by_stimulus(res), f"{prefix}error_by_stimulus.png",
                       f"Absolute error by stimulus value{label}")
    if _has_history(res.models):
        out.figure(plot_loss_curves(res), f"{prefix}loss_curves.png",
                   f"Training loss per epoch, one line per fold{label}")


def prediction_rows(res: Any) -> tuple[list[str], list[list[Any]]]:
    """Out-of-fold prediction of every sample, with its fold (and circular error)."""
    from ..evaluate import circular_error

    fold = np.empty(len(res.y_true), dtype=int)
    for k, (_, test) in enumerate(res.splits):
        fold[test] = k
    t, p = np.asarray(res.y_true), np.asarray(res.y_pred)
    if t.ndim == 2:
        cols = ["sample", "fold", *(f"true_{j}" for j in range(t.shape[1])),
                *(f"predicted_{j}" for j in range(t.shape[1]))]
        return cols, [[i, fold[i], *t[i], *p[i]] for i in range(len(t))]
    cols = ["sample", "fold", "true", "predicted"]
    rows = [[i, fold[i], t[i], p[i]] for i in range(len(t))]
    if res.kind == "circular":
        err = circular_error(t, p, res.period)
        cols.append("error")
        rows = [[*r, e] for r, e in zip(rows, err)]
    return cols, rows


# ---------------------------------------------------------------------------- decode
def run_decode(config: dict[str, Any], argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Cross-validated decoding of one file (NWB, HDF5, MATLAB, NPZ) with one decoder.

    Parameters
    ----------
    config : dict
        Resolved options of ``neurodecode decode`` (see :mod:`neurodecode.cli.config`).
    argv : sequence of str, optional
        The command line, shown in the report.

    Returns
    -------
    dict
        What was written to ``results.json``.

    Raises
    ------
    UserError
        For input errors (see :func:`load_recording`, :func:`checked_splits`,
        :func:`~neurodecode.cli.factory.make_decoder`).
    """
    from ..evaluate import cross_validate

    device = resolve_device(config["device"])
    if config.get("over_time"):
        return _run_over_time(config, argv, device)
    with progress(4, "neurodecode decode") as bar:
        rec = load_recording(config["path"], config)
        categorical = rec.kind == "categorical"
        name = decoder_for(config["decoder"], categorical)
        est = make_decoder(name, categorical=categorical,
                           stimulus=config["stimulus"], kind=rec.kind,
                           penalties={p: config[p] for p in _PENALTIES},
                           seed=config["seed"], device=device)
        splits = checked_splits(rec, config["cv"], config["seed"])
        out = RunOutput(config["out"], "decode", config, device=device, argv=argv,
                        title=f"neurodecode decode: {Path(config['path']).name}")
        bar.update(1)
        res = cross_validate(est, rec, splits, random_state=config["seed"],
                             return_models=True)
        bar.update(1)
        table = _decode_table(name, est, rec, res)
        say(table)
        result_figures(out, res)
        _decode_files(out, name, res, table, est, rec)
        bar.update(1)
        doc = out.finish({"recording": describe_recording(rec),
                          "decoder": describe_decoder(est), "result": res.to_dict()})
        bar.update(1)
    say(f"wrote {len(doc['files'])} files to {out.folder}/ (open report.html)")
    return doc


def _run_over_time(config: dict[str, Any], argv: Sequence[str] | None,
                   device: str) -> dict[str, Any]:
    """``decode --over-time``: decode at every bin, temporal generalisation, clusters."""
    from ..evaluate import (
        decode_over_time,
        plot_generalization,
        plot_over_time,
        temporal_generalization,
    )

    with progress(4, "neurodecode decode --over-time") as bar:
        rec = load_recording(config["path"], config)
        est = make_decoder(decoder_for(config["decoder"], rec.kind == "categorical"),
                           categorical=rec.kind == "categorical",
                           stimulus=config["stimulus"], kind=rec.kind,
                           penalties={p: config[p] for p in _PENALTIES},
                           seed=config["seed"], device=device)
        out = RunOutput(config["out"], "decode", config, device=device, argv=argv,
                        title=f"neurodecode decode --over-time: {Path(config['path']).name}")
        bar.update(1)
        with user_errors():
            res = decode_over_time(est, rec, config["cv"], random_state=config["seed"],
                                   n_permutations=config["permutations"])
        bar.update(1)
        with user_errors():
            gen = temporal_generalization(est, rec, config["cv"], random_state=config["seed"])
        bar.update(1)
        say(res.summary())
        out.report.add_text("Decoding over time", f"{rec!r}\n{res.summary()}")
        out.figure(plot_over_time(res), "over_time.png",
                   f"{res.primary} at each time bin, mean ± s.e.m. over {res.n_folds} folds; "
                   "bars: clusters above chance")
        out.figure(plot_generalization(gen), "generalization.png",
                   "Temporal generalisation: trained at one time (rows), tested at every time "
                   "(columns)")
        frame = res.to_frame()
        out.csv("over_time.csv", list(frame.columns), frame.to_numpy().tolist())
        clusters = [] if res.test is None else [
            {"start": c.extent(res.epoch_times)[0], "stop": c.extent(res.epoch_times)[1],
             "mass": c.mass, "p_value": c.p_value} for c in res.test.clusters]
        doc = out.finish({"recording": describe_recording(rec),
                          "decoder": describe_decoder(est),
                          "over_time": {"epoch_times": res.epoch_times.tolist(),
                                        "mean": {m: res.mean(m).tolist() for m in res.scores},
                                        "sem": {m: res.sem(m).tolist() for m in res.scores},
                                        "onset": res.onset, "clusters": clusters,
                                        "baseline": None if res.baseline is None else {
                                            "mean": res.baseline["mean"],
                                            "significant": res.baseline["significant"]}},
                          "generalization": {"mean": gen.mean().tolist()}})
        bar.update(1)
    say(f"wrote {len(doc['files'])} files to {out.folder}/ (open report.html)")
    return doc


def _decode_table(name: str, est: Any, rec: Any, res: Any) -> str:
    columns = ["decoder", *res.scores, "fit seconds"]
    row = [f"{name}: {describe_decoder(est)}", *(mean_sem(res, m) for m in res.scores),
           f"{res.fit_time.sum():.2f}"]
    lines = [f"{rec!r}", f"{res.n_folds}-fold cross-validation, mean ± s.e.m. over folds "
             f"({res.primary}: {'higher' if res.greater_is_better[res.primary] else 'lower'}"
             " is better)", format_table(columns, [row])]
    if rec.kind == "categorical":
        lines.append(f"chance (majority class): {describe_recording(rec)['chance_majority']:.3g}")
    return "\n".join(lines)


_UNITS = {"median_error": "deg", "mean_error": "deg"}


def _metric_label(metric: str, rec: Any) -> str:
    """A column name with its unit (circular errors in degrees)."""
    unit = _UNITS.get(metric) if rec.kind == "circular" else None
    return f"{metric.replace('_', ' ')} ({unit})" if unit else metric.replace("_", " ")


def _decode_files(out: RunOutput, name: str, res: Any, table: str, est: Any = None,
                  rec: Any = None) -> None:
    if rec is not None:
        columns = ["decoder", *(f"{_metric_label(m, rec)}: mean ± s.e.m." for m in res.scores),
                   "fit seconds"]
        row = [f"{name}: {describe_decoder(est)}" if est is not None else name,
               *(mean_sem(res, m) for m in res.scores), round(float(res.fit_time.sum()), 2)]
        note = (f"{rec!r}. {res.n_folds}-fold cross-validation ({res.primary}: "
                f"{'higher' if res.greater_is_better[res.primary] else 'lower'} is better).")
        chance = chance_level(rec, res.primary)
        if chance is not None:
            note += f" Chance level of {res.primary}: {chance:.4g}."
        out.report.add_table("Results", columns, [row], note=note)
    else:
        out.report.add_text("Results", table)
    columns = ["decoder", *(f"{m}_{s}" for m in res.scores for s in ("mean", "sem")),
               "fit_seconds"]
    row = [name, *(v for m in res.scores for v in (res.mean(m), res.sem(m))),
           float(res.fit_time.sum())]
    out.csv("results.csv", columns, [row])
    out.csv("folds.csv", *fold_rows({name: res}))
    out.csv("predictions.csv", *prediction_rows(res))


# ---------------------------------------------------------------------------- compare
def run_compare(config: dict[str, Any], argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Sweep decoders and penalties on one or more NWB files, with paired statistics.

    Parameters
    ----------
    config : dict
        Resolved options of ``neurodecode compare``.
    argv : sequence of str, optional

    Returns
    -------
    dict
        What was written to ``results.json``.

    Raises
    ------
    UserError
        For input errors in any of the files (checked before any fitting).
    """
    device = resolve_device(config["device"])
    paths = config["path"]
    jobs = [_prepare_compare(p, config, device) for p in paths]  # all input errors first
    out = RunOutput(config["out"], "compare", config, device=device, argv=argv,
                    title="neurodecode compare: " + ", ".join(Path(p).name for p in paths))
    files, csv_rows = [], []
    with progress(sum(len(j["decoders"]) for j in jobs) + 1, "neurodecode compare") as bar:
        for job in jobs:
            prefix = f"{Path(job['path']).stem}_" if len(jobs) > 1 else ""
            entry, rows = _compare_one(job, config, out, prefix, bar)
            files.append(entry)
            csv_rows += rows
        out.csv("results.csv", _COMPARE_COLUMNS, csv_rows)
        doc = out.finish({"inputs": files})
        bar.update(1)
    say(f"wrote {len(doc['files'])} files to {out.folder}/ (open report.html)")
    return doc


def _prepare_compare(path: str, config: dict[str, Any], device: str) -> dict[str, Any]:
    rec = load_recording(path, config)
    categorical = rec.kind == "categorical"
    names = config["decoders"] or applicable_decoders(categorical)
    decoders, notes = {}, []
    for name in names:
        est = make_decoder(name, categorical=categorical, stimulus=config["stimulus"],
                           kind=rec.kind, seed=config["seed"], device=device)
        valid = est.get_params(deep=False)
        grid = {p: config[p] for p in _PENALTIES if config[p] and p in valid}
        missing = [p for p in _PENALTIES if config[p] and p not in valid]
        if missing:
            notes.append(f"{name} ({type(est).__name__}) has no {', '.join(missing)} "
                         "parameter: run with its defaults for it.")
        decoders[name] = (est, grid)
    splits = checked_splits(rec, config["cv"], config["seed"])
    return {"path": path, "rec": rec, "decoders": decoders, "splits": splits, "notes": notes}


def _compare_one(job: dict[str, Any], config: dict[str, Any], out: RunOutput, prefix: str,
                 bar: Any) -> tuple[dict[str, Any], list[list[Any]]]:
    from ..evaluate import compare, plot_sweep, sweep

    rec, splits, seed = job["rec"], job["splits"], config["seed"]
    per_decoder = {}
    for name, (est, grid) in job["decoders"].items():
        bar.set_postfix_str(f"{Path(job['path']).name}: {name}")
        if grid:
            per_decoder[name] = sweep(est, grid, rec, splits, random_state=seed)
            out.figure(plot_sweep(per_decoder[name]), f"{prefix}sweep_{name}.png",
                       f"{name}: score against penalty ({Path(job['path']).name})")
        else:
            per_decoder[name] = compare({name: est}, rec, splits, random_state=seed)
        bar.update(1)
    merged = merge_comparisons(per_decoder)
    chance_line = _chance_line(rec, merged)
    text = "\n".join([f"{Path(job['path']).name}: {rec!r}", merged.summary(), chance_line,
                      *job["notes"]])
    say(text)
    rows = _compare_rows(job["path"], merged)
    shown = [r for r in rows if r[6] == merged.primary]
    out.report.add_table(
        f"Comparison: {Path(job['path']).name}",
        ["candidate", f"{_metric_label(merged.primary, rec)}: mean", "s.e.m.",
         "difference vs best", "paired t p", "Wilcoxon p", "best"],
        [[r[1], r[7], r[8], r[9], r[10], r[11], "best" if r[12] else ""] for r in shown],
        sortable=True, note=f"{rec!r}. {chance_line}. " + " ".join(job["notes"]))
    best = merged.results[merged.best]
    result_figures(out, best, prefix, f", best: {merged.best}")
    entry = {"path": job["path"], "recording": describe_recording(rec), "chance": chance_line,
             "decoders": {n: describe_decoder(e) for n, (e, _) in job["decoders"].items()},
             "best": merged.best, "best_params": merged.best_params,
             "comparison": merged.to_dict(), "notes": job["notes"]}
    return entry, rows


def chance_level(rec: Any, metric: str) -> float | None:
    """What guessing scores on ``metric``: the majority class's share (accuracy), one
    over the classes (balanced accuracy), a quarter of the period (median circular error
    of a uniform guess), 0 (R^2, circular correlation); None where there is no simple
    value."""
    if metric == "accuracy" and rec.kind == "categorical":
        return float(describe_recording(rec)["chance_majority"])
    if metric == "balanced_accuracy" and rec.kind == "categorical":
        return 1.0 / len(rec.classes)
    if metric == "median_error" and rec.period:
        deg = 180.0 / np.pi if np.isclose(rec.period, 2 * np.pi) or np.isclose(
            rec.period, np.pi) else 1.0
        return rec.period / 4 * deg
    if metric in ("r2", "circular_corr"):
        return 0.0
    return None


def _chance_line(rec: Any, merged: Any) -> str:
    """The chance level of the primary metric, and whether the best decoder beats it by
    more than two standard errors."""
    metric = merged.primary
    chance = chance_level(rec, metric)
    if chance is None:
        return f"chance level of {metric}: not defined here"
    best = merged.results[merged.best]
    mean, sem = best.mean(metric), best.sem(metric)
    better = (mean - 2 * sem > chance) if merged.greater_is_better else (mean + 2 * sem < chance)
    verdict = (f"the best ({merged.best}) beats it" if better else
               f"NO decoder beats chance: the best ({merged.best}, {mean:.4g} +- {sem:.2g}) "
               "is within two standard errors of it")
    return f"chance level of {metric}: {chance:.4g}; {verdict}"


def merge_comparisons(per_decoder: dict[str, Any]) -> Any:
    """One ComparisonResult over every decoder and setting (all on the same splits).

    Parameters
    ----------
    per_decoder : dict of str to ComparisonResult

    Returns
    -------
    ComparisonResult
        Candidates named ``"linear l2=0.01"`` (or just ``"perceptron"`` when nothing was
        swept); ``params`` hold ``decoder`` and the setting.
    """
    from ..evaluate import ComparisonResult

    results, params = {}, {}
    for name, comp in per_decoder.items():
        for cand, res in comp.results.items():
            setting = comp.params.get(cand) or {}
            key = f"{name} {cand}" if setting else name
            results[key] = res
            params[key] = {"decoder": name, **setting}
    first = next(iter(per_decoder.values()))
    return ComparisonResult(results, params, first.primary, first.greater_is_better)


_COMPARE_COLUMNS = ["file", "candidate", "decoder", "l1", "l2", "dropout", "metric", "mean",
                    "sem", "mean_difference_vs_best", "t_pvalue", "wilcoxon_pvalue", "best"]


def _compare_rows(path: str, merged: Any) -> list[list[Any]]:
    tests = merged.paired_tests()
    rows = []
    for name, res in merged.results.items():
        p = merged.params[name]
        t = tests.get(name, {"mean_difference": 0.0, "t_pvalue": "", "wilcoxon_pvalue": ""})
        for metric in res.scores:
            rows.append([Path(path).name, name, p["decoder"], p.get("l1", ""), p.get("l2", ""),
                         p.get("dropout", ""), metric, res.mean(metric), res.sem(metric),
                         t["mean_difference"] if metric == merged.primary else "",
                         t["t_pvalue"] if metric == merged.primary else "",
                         t["wilcoxon_pvalue"] if metric == merged.primary else "",
                         name == merged.best])
    return rows

"""Figures of decoding results (matplotlib). Each returns a Figure; nothing is shown.

Every function takes a result object from this package and an optional ``ax`` to draw
into, so figures can be combined into panels for a paper.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .compare import ComparisonResult
from .cross_validate import CVResult
from .metrics import _degrees_per_unit, circular_error

__all__ = [
    "plot_confusion",
    "plot_generalization",
    "plot_over_time",
    "plot_error_by_stimulus",
    "plot_loss_curves",
    "plot_predictions",
    "plot_sweep",
]


def _axes(ax: Axes | None, figsize: tuple[float, float] = (4.5, 3.5)) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax  # type: ignore[return-value]
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


def plot_sweep(result: ComparisonResult, *, metric: str | None = None,
               ax: Axes | None = None) -> Figure:
    """Score against regularisation strength, one line per penalty, with s.e.m. bars.

    Numeric parameters that span more than a decade go on a log axis. With several swept
    parameters, the first numeric one is the x axis and the others label the lines.

    Parameters
    ----------
    result : ComparisonResult
        From :func:`~neurodecode.evaluate.sweep`.
    metric : str, optional
        Defaults to the primary metric.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If the result has no numeric swept parameter.
    """
    metric = metric or result.primary
    names = list(result.results)
    params = [result.params[n] for n in names]
    numeric = [k for k in params[0] if all(isinstance(p[k], (int, float)) for p in params)]
    if not numeric:
        raise ValueError("plot_sweep needs a numeric swept parameter (l1, l2, dropout...).")
    xkey = numeric[0]
    fig, ax = _axes(ax)
    lines: dict[str, list[tuple[float, float, float]]] = {}
    for name, p in zip(names, params):
        label = ", ".join(f"{k}={v}" for k, v in p.items() if k != xkey) or metric
        r = result.results[name]
        lines.setdefault(label, []).append((float(p[xkey]), r.mean(metric), r.sem(metric)))
    xs_all = []
    for label, pts in lines.items():
        pts.sort()
        x, m, s = (np.array(v) for v in zip(*pts))
        ax.errorbar(x, m, yerr=s, marker="o", capsize=3, label=label)
        xs_all.extend(x)
    positive = np.array([x for x in xs_all if x > 0])
    if positive.size and positive.max() / positive.min() > 10:
        ax.set_xscale("symlog", linthresh=positive.min()) if min(xs_all) <= 0 else \
            ax.set_xscale("log")
    best = result.best_params.get(xkey)
    if best is not None:
        edge = xkey in result.best_on_edge
        ax.axvline(best, color="C3" if edge else "0.6", ls=":", lw=1,
                   label=f"best {xkey}={best:g}" + (" (grid edge: extend the grid)"
                                                     if edge else ""))
    ax.set_xlabel(_PARAM_LABELS.get(xkey, xkey))
    first = next(iter(result.results.values()))
    unit = (" (deg)" if metric in ("median_error", "mean_error") and first.kind == "circular"
            else "")
    ax.set_ylabel(f"{_LABELS.get(metric, metric)}{unit}, mean \u00b1 s.e.m. over folds")
    ax.legend(frameon=False, fontsize="small")
    return fig


_PARAM_LABELS = {"l2": "L2 penalty strength (l2)", "l1": "L1 penalty strength (l1)",
                 "dropout": "dropout probability", "alpha": "penalty strength (alpha)",
                 "C": "inverse penalty strength (C)"}


def plot_predictions(result: CVResult, *, ax: Axes | None = None,
                     max_points: int = 5000) -> Figure:
    """Out-of-fold predicted against true stimulus (circular or linear).

    Parameters
    ----------
    result : CVResult
    ax : matplotlib Axes, optional
    max_points : int, default=5000
        Points drawn (a random subset beyond that).

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = _axes(ax)
    t, p = np.asarray(result.y_true), np.asarray(result.y_pred)
    if t.ndim == 2:
        t, p = t[:, 0], p[:, 0]
    idx = np.arange(len(t))
    if len(idx) > max_points:
        idx = np.random.default_rng(0).choice(idx, max_points, replace=False)
    ax.scatter(t[idx], p[idx], s=4, alpha=0.4, lw=0)
    lo, hi = (0.0, result.period) if result.kind == "circular" else (
        float(np.nanmin(t)), float(np.nanmax(t)))
    ax.plot([lo, hi], [lo, hi], color="k", lw=1)
    ax.set_xlabel("true stimulus")
    ax.set_ylabel("decoded stimulus (held out)")
    ax.set_title(f"{result.primary} = {result.mean():.3g} +- {result.sem():.2g}",
                 fontsize="medium")
    return fig


def plot_error_by_stimulus(result: CVResult, *, n_bins: int = 18,
                           ax: Axes | None = None) -> Figure:
    """Absolute decoding error as a function of the true stimulus value (median and IQR).

    Parameters
    ----------
    result : CVResult
        Circular or linear (1-D) stimulus.
    n_bins : int, default=18
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    t, p = np.asarray(result.y_true, float), np.asarray(result.y_pred, float)
    if t.ndim == 2:
        t, p = t[:, 0], p[:, 0]
    if result.kind == "circular":
        assert result.period is not None
        err = np.abs(circular_error(t, p, result.period)) * _degrees_per_unit(result.period)
        edges = np.linspace(0, result.period, n_bins + 1)
        unit = " (deg)"
    else:
        err = np.abs(p - t)
        edges = np.quantile(t, np.linspace(0, 1, n_bins + 1))
        unit = ""
    idx = np.clip(np.searchsorted(edges, t, "right") - 1, 0, n_bins - 1)
    centres = (edges[:-1] + edges[1:]) / 2
    q = np.array([np.percentile(err[idx == k], [25, 50, 75]) if np.any(idx == k)
                  else [np.nan] * 3 for k in range(n_bins)])
    fig, ax = _axes(ax)
    ax.fill_between(centres, q[:, 0], q[:, 2], alpha=0.3, lw=0, label="25-75%")
    ax.plot(centres, q[:, 1], marker="o", label="median")
    ax.set_xlabel("true stimulus")
    ax.set_ylabel(f"absolute error{unit}")
    ax.legend(frameon=False, fontsize="small")
    return fig


def plot_confusion(result: CVResult, *, normalize: str | None = "true",
                   ax: Axes | None = None) -> Figure:
    """Out-of-fold confusion matrix of a categorical decoding run.

    Parameters
    ----------
    result : CVResult
    normalize : {"true", "pred", "all", None}, default="true"
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    cm = result.confusion_matrix(normalize=normalize)
    labels = np.unique(np.concatenate([result.y_true, result.y_pred]))
    fig, ax = _axes(ax, (4.5, 4.0))
    im = ax.imshow(cm, cmap="Blues", vmin=0)
    fig.colorbar(im, ax=ax, shrink=0.8, label="fraction of true class" if normalize == "true"
                 else "count")
    ticks = np.arange(len(labels))
    ax.set_xticks(ticks, [f"{v:g}" if isinstance(v, float) else str(v) for v in labels],
                  rotation=45)
    ax.set_yticks(ticks, [f"{v:g}" if isinstance(v, float) else str(v) for v in labels])
    ax.set_xlabel("decoded class")
    ax.set_ylabel("true class")
    how = {"true": "each row: one true class, sums to 1", "pred": "each column sums to 1",
           "all": "all cells sum to 1"}.get(str(normalize), "counts")
    ax.set_title(f"Confusion matrix ({how})", fontsize="medium")
    return fig


def plot_loss_curves(source: Any, *, ax: Axes | None = None) -> Figure:
    """Training (and validation) loss per epoch of fitted torch decoders.

    Parameters
    ----------
    source : CVResult (with ``return_models=True``), a fitted decoder, or a list of them
        Anything with a ``history_`` dict of per-epoch ``"train_loss"`` (and optionally
        ``"val_loss"``); pipelines are searched for their last step. Each model's
        training (solid) and validation (dashed) curves share a colour and are named in
        the legend ("fold 2 train", "fold 2 validation").
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If no loss history is found (e.g. closed-form decoders, or models not returned).
    """
    models = source.models if isinstance(source, CVResult) else source
    if models is None:
        raise ValueError("No models in this result: run cross_validate(..., return_models=True).")
    if not isinstance(models, (list, tuple)):
        models = [models]
    fig, ax = _axes(ax)
    found = False
    unit = "fold" if isinstance(source, CVResult) else "model"
    for k, m in enumerate(models):
        m = m.steps[-1][1] if hasattr(m, "steps") else m
        m = getattr(m, "estimator_", m)
        hist = getattr(m, "history_", None)
        if not hist or "train_loss" not in hist:
            continue
        found = True
        name = f"{unit} {k + 1} " if len(models) > 1 else ""
        (line,) = ax.plot(np.arange(1, len(hist["train_loss"]) + 1), hist["train_loss"],
                          label=f"{name}train")
        if hist.get("val_loss"):
            ax.plot(np.arange(1, len(hist["val_loss"]) + 1), hist["val_loss"], ls="--",
                    color=line.get_color(), label=f"{name}validation")
    if not found:
        raise ValueError("None of the models has a loss history (history_['train_loss']).")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_yscale("log")
    ax.legend(frameon=False, fontsize="small")
    return fig


_LABELS = {
    "accuracy": "accuracy", "balanced_accuracy": "balanced accuracy",
    "f1_macro": "macro F1", "median_error": "median error", "mean_error": "mean error",
    "circular_corr": "circular correlation", "r2": "R$^2$", "rmse": "RMS error",
}


def plot_over_time(result: Any, *, metric: str | None = None, ax: Axes | None = None,
                   alpha: float = 0.05) -> Figure:
    """Score over time: mean +- s.e.m. over folds, chance, significant clusters, onset.

    Parameters
    ----------
    result : TimeCourseResult
        From :func:`~neurodecode.evaluate.decode_over_time`.
    metric : str, optional
        Defaults to the primary metric.
    ax : matplotlib Axes, optional
    alpha : float, default=0.05
        Clusters with a smaller p-value are marked by a bar under the curve.

    Returns
    -------
    matplotlib.figure.Figure
    """
    metric = metric or result.primary
    fig, ax = _axes(ax, (5.5, 3.5))
    t, m, s = result.epoch_times, result.mean(metric), result.sem(metric)
    ax.plot(t, m, color="C0", lw=1.5, label=f"{result.n_folds}-fold mean")
    ax.fill_between(t, m - s, m + s, color="C0", alpha=0.25, lw=0, label="± s.e.m.")
    if result.test is not None and metric == result.primary:
        ax.plot(t, result.test.chance, color="0.4", ls="--", lw=1,
                label=f"chance ({len(result.test.null_max)} permutations)")
        sig = result.significant(alpha)
        if sig.any():
            low = np.nanmin(m - s)
            span = np.nanmax(m + s) - low
            y = low - 0.06 * (span if span > 0 else 1.0)
            step = np.median(np.diff(t)) if len(t) > 1 else 0.0
            for c in result.test.clusters:
                if c.p_value < alpha:
                    a, b = c.extent(t)
                    ax.plot([a - step / 2, b + step / 2], [y, y], color="C3", lw=4,
                            solid_capstyle="butt")
            ax.plot([], [], color="C3", lw=4, label=f"cluster p < {alpha:g}")
    if t[0] < 0 < t[-1]:
        ax.axvline(0.0, color="0.6", lw=1, ls=":")
    ax.set_xlabel("time from stimulus onset (s)")
    unit = " (deg)" if metric in ("median_error", "mean_error") else ""
    ax.set_ylabel(_LABELS.get(metric, metric) + unit)
    ax.legend(fontsize="small", frameon=False)
    return fig


def plot_generalization(result: Any, *, metric: str | None = None, ax: Axes | None = None,
                        alpha: float = 0.05) -> Figure:
    """Temporal generalisation matrix: score of each (training time, testing time), with
    the outline of significant clusters.

    Parameters
    ----------
    result : GeneralizationResult
        From :func:`~neurodecode.evaluate.temporal_generalization`.
    metric : str, optional
    ax : matplotlib Axes, optional
    alpha : float, default=0.05

    Returns
    -------
    matplotlib.figure.Figure
    """
    metric = metric or result.primary
    fig, ax = _axes(ax, (4.8, 4.0))
    t = result.epoch_times
    step = np.median(np.diff(t)) if len(t) > 1 else 1.0
    extent = (t[0] - step / 2, t[-1] + step / 2, t[0] - step / 2, t[-1] + step / 2)
    cmap = "viridis" if result.greater_is_better[metric] else "viridis_r"
    image = ax.imshow(result.mean(metric), origin="lower", extent=extent, cmap=cmap,
                      aspect="auto", interpolation="nearest")
    sig = result.significant(alpha)
    if sig.any() and metric == result.primary:
        ax.contour(t, t, sig.astype(float), levels=[0.5], colors="w", linewidths=1.2)
    ax.plot(extent[:2], extent[2:], color="w", lw=0.6, ls=":")
    ax.set_xlabel("testing time (s)")
    ax.set_ylabel("training time (s)")
    unit = " (deg)" if metric in ("median_error", "mean_error") else ""
    fig.colorbar(image, ax=ax, label=_LABELS.get(metric, metric) + unit)
    return fig

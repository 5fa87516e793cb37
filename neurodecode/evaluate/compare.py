"""Compare decoders and regularisers on identical splits, with paired statistics.

:func:`compare` runs several decoders, :func:`sweep` one decoder over a grid of settings
(``l1``, ``l2``, ``dropout``...), :func:`nested_cross_validate` picks the setting inside
each outer training fold so that the reported score is not optimistically biased.
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats
from sklearn.base import clone
from tqdm.auto import tqdm

from .._validation import check_choice, check_number, format_available
from ..data import Recording
from ..exceptions import DataWarning
from .cross_validate import CVResult, _permuted, cross_validate, cross_validate_settings
from .splits import make_splits

__all__ = [
    "ComparisonResult",
    "NestedCVResult",
    "compare",
    "nested_cross_validate",
    "parameter_grid",
    "sweep",
]


def parameter_grid(decoder: Any, grid: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """Every combination of a grid, checked against the decoder's parameters.

    Parameters
    ----------
    decoder : estimator
    grid : dict of str to list
        Parameter name to the values to try.

    Returns
    -------
    list of dict
        In the order of ``itertools.product`` over the grid's keys.

    Raises
    ------
    ValueError
        If a name is not a parameter of the decoder (the message lists them) or a list
        is empty.

    Examples
    --------
    >>> from sklearn.linear_model import Ridge
    >>> parameter_grid(Ridge(), {"alpha": [0.1, 1.0]})
    [{'alpha': 0.1}, {'alpha': 1.0}]
    """
    if not isinstance(grid, dict) or not grid:
        raise ValueError("The grid must be a non-empty dict of parameter name to values.")
    valid = decoder.get_params()
    for name, values in grid.items():
        if name not in valid:
            raise ValueError(
                f"{type(decoder).__name__} has no parameter {name!r}. "
                f"Available: {format_available(sorted(valid))}."
            )
        if np.ndim(values) == 0 or len(values) == 0:
            raise ValueError(f"The grid's values for {name!r} must be a non-empty list; "
                             f"got {values!r}.")
    keys = list(grid)
    return [dict(zip(keys, combo)) for combo in itertools.product(*(grid[k] for k in keys))]


def _label(params: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                     for k, v in params.items())


def _paired_test(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    """Paired t-test and Wilcoxon signed-rank test of fold scores a vs b."""
    diff = a - b
    out = {"mean_difference": float(diff.mean())}
    if len(diff) < 2 or np.allclose(diff, 0):
        out.update(t_pvalue=1.0, wilcoxon_pvalue=1.0)
        return out
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        out["t_pvalue"] = float(stats.ttest_rel(a, b).pvalue)
        out["wilcoxon_pvalue"] = float(stats.wilcoxon(a, b).pvalue)
    return out


@dataclass
class ComparisonResult:
    """Several candidates cross-validated on the same splits.

    Attributes
    ----------
    results : dict of str to CVResult
        One per candidate, in the order given.
    params : dict of str to dict
        The setting of each candidate (empty for :func:`compare`).
    primary : str
        The metric candidates are ranked by.
    greater_is_better : bool
    best : str
        The candidate with the best mean primary score.
    """

    results: dict[str, CVResult]
    params: dict[str, dict[str, Any]]
    primary: str
    greater_is_better: bool

    @property
    def best(self) -> str:
        """Name of the candidate with the best mean primary score."""
        means = {k: r.mean(self.primary) for k, r in self.results.items()}
        pick = max if self.greater_is_better else min
        return pick(means, key=means.__getitem__)

    @property
    def best_params(self) -> dict[str, Any]:
        """Setting of the best candidate."""
        return self.params[self.best]

    @property
    def best_on_edge(self) -> list[str]:
        """Numeric parameters whose best value is the smallest or largest of the ones
        tried (with at least 3 values): the optimum may lie beyond the grid."""
        best, out = self.best_params, []
        for key, value in best.items():
            values = sorted({p[key] for p in self.params.values()
                             if isinstance(p.get(key), (int, float))
                             and not isinstance(p.get(key), bool)})
            if len(values) >= 3 and value in (values[0], values[-1]):
                out.append(key)
        return out

    def paired_tests(self) -> dict[str, dict[str, float]]:
        """Paired t-test and Wilcoxon test across folds, best vs each other candidate.

        Returns
        -------
        dict of str to dict
            ``mean_difference`` (other minus best), ``t_pvalue``, ``wilcoxon_pvalue``.
            With 5 folds the Wilcoxon test cannot go below p = 0.0625.
        """
        best = self.results[self.best].scores[self.primary]
        return {name: _paired_test(r.scores[self.primary], best)
                for name, r in self.results.items() if name != self.best}

    def to_frame(self) -> Any:
        """One row per candidate: mean and s.e.m. of each metric, and the paired tests.

        Returns
        -------
        pandas.DataFrame
        """
        import pandas as pd

        tests = self.paired_tests()
        rows = []
        for name, r in self.results.items():
            row: dict[str, Any] = {"candidate": name, **self.params.get(name, {})}
            for metric in r.scores:
                row[f"{metric}_mean"] = r.mean(metric)
                row[f"{metric}_sem"] = r.sem(metric)
            row.update(tests.get(name, {"mean_difference": 0.0, "t_pvalue": np.nan,
                                        "wilcoxon_pvalue": np.nan}))
            row["best"] = name == self.best
            rows.append(row)
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable summary: each candidate's ``CVResult.to_dict``, best, tests.

        Returns
        -------
        dict
        """
        return {"primary": self.primary, "best": self.best,
                "params": {k: dict(v) for k, v in self.params.items()},
                "results": {k: r.to_dict() for k, r in self.results.items()},
                "paired_tests": self.paired_tests()}

    def summary(self) -> str:
        """A table of mean +- s.e.m. of the primary metric, best first marked, with p-values.

        Returns
        -------
        str
        """
        tests = self.paired_tests()
        width = max(len(k) for k in self.results)
        arrow = "higher" if self.greater_is_better else "lower"
        lines = [f"{self.primary} ({arrow} is better), mean +- s.e.m. over folds; p-values "
                 "vs best: paired t / Wilcoxon"]
        for name, r in self.results.items():
            mark = "*" if name == self.best else " "
            mean, sem = r.mean(self.primary), r.sem(self.primary)
            line = f"{mark} {name:<{width}}  {mean:10.4g} +- {sem:.3g}"
            if name in tests:
                t = tests[name]
                line += f"   p = {t['t_pvalue']:.3g} / {t['wilcoxon_pvalue']:.3g}"
            lines.append(line)
        for key in self.best_on_edge:
            lines.append(f"note: the best {key}={self.best_params[key]:g} is at the edge of "
                         "the grid; the optimum may lie beyond it (extend the grid)")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def compare(decoders: dict[str, Any], recording: Recording, cv: int | Any = 5, *,
            scoring: str | list[str] | None = None, progress: bool = False,
            random_state: int | None = 0, **kwargs: Any) -> ComparisonResult:
    """Cross-validate several decoders on the same splits.

    Parameters
    ----------
    decoders : dict of str to estimator
        Names and decoders, e.g. ``{"linear": LinearDecoder(), "relu": MLPDecoder()}``.
    recording : Recording
    cv : int, splitter or iterable of (train, test), default=5
        Resolved once by :func:`make_splits`; every decoder sees the same splits.
    scoring : str or list of str, optional
        The first metric ranks the decoders.
    progress : bool, default=False
        Progress bar over decoders.
    random_state : int or None, default=0
    **kwargs
        Passed to :func:`cross_validate` (``preprocess``, ``groups``, ``gap``...).

    Returns
    -------
    ComparisonResult

    Raises
    ------
    ValueError
        If ``decoders`` is empty.

    Examples
    --------
    >>> from sklearn.linear_model import Ridge
    >>> from neurodecode.data import orientation_population
    >>> rec, _ = orientation_population(60, 200, random_state=0)
    >>> res = compare({"weak": Ridge(alpha=1.0), "strong": Ridge(alpha=1e4)}, rec, cv=3)
    >>> res.best
    'weak'
    """
    if not decoders:
        raise ValueError("compare needs at least one decoder, e.g. {'linear': LinearDecoder()}.")
    splits = make_splits(recording, cv, groups=kwargs.get("groups"), random_state=random_state,
                         gap=kwargs.get("gap"))
    results = {}
    for name, dec in tqdm(decoders.items(), desc="compare", disable=not progress, leave=False):
        results[name] = cross_validate(dec, recording, splits, scoring=scoring,
                                       random_state=random_state, **kwargs)
    first = next(iter(results.values()))
    return ComparisonResult(results, {k: {} for k in results}, first.primary,
                            first.greater_is_better[first.primary])


def sweep(decoder: Any, grid: dict[str, list[Any]], recording: Recording, cv: int | Any = 5, *,
          scoring: str | list[str] | None = None, progress: bool = False,
          random_state: int | None = 0, batched: bool | str = "auto",
          max_memory: int | None = None, client: Any = None,
          **kwargs: Any) -> ComparisonResult:
    """Cross-validate one decoder over a grid of settings, every setting on the same splits.

    Parameters
    ----------
    decoder : estimator
    grid : dict of str to list
        E.g. ``{"l2": [1e-4, 1e-3, 1e-2], "dropout": [0.0, 0.5]}`` (all combinations).
    recording : Recording
    cv : int, splitter or iterable of (train, test), default=5
    scoring : str or list of str, optional
    progress : bool, default=False
    random_state : int or None, default=0
    batched : {"auto", True, False}, default="auto"
        Fit all folds x settings at once through the decoder family's fast path where it
        has one (``decoder.cross_val_predictions``: ridge strengths from one
        factorisation per fold, L2-logistic strengths by one batched solver, stacked
        networks); False fits each model in turn (same scores within floating-point
        tolerance); True fails where there is no fast path.
    max_memory : int, optional
        Byte budget of one batch of stacked models (default: half the device's free
        memory); bigger sweeps are trained in chunks of models.
    client : distributed.Client, optional
        Spread the folds over a Dask cluster's workers (each fold, with all its settings,
        one task; GPU workers use their GPU with ``device="auto"``), for sessions whose
        sweep outgrows one machine. The scores equal a local sweep's.
    **kwargs
        Passed to :func:`cross_validate`.

    Returns
    -------
    ComparisonResult
        Candidates named after their settings (``"l2=0.001, dropout=0.5"``);
        ``best_params`` holds the winner.

    Raises
    ------
    ValueError
        For a grid naming a parameter the decoder does not have.

    Examples
    --------
    >>> from sklearn.linear_model import Ridge
    >>> from neurodecode.data import orientation_population
    >>> rec, _ = orientation_population(60, 200, random_state=0)
    >>> sweep(Ridge(), {"alpha": [1.0, 1e5]}, rec, cv=3).best_params
    {'alpha': 1.0}
    """
    settings = parameter_grid(decoder, grid)
    names = [_label(p) for p in settings]
    check_choice(batched, "batched", ("auto", True, False), "sweep")
    results = cross_validate_settings(decoder, recording, cv, settings, scoring=scoring,
                                      progress=progress, random_state=random_state,
                                      batched=batched, max_memory=max_memory,
                                      client=client, **kwargs)
    first = results[0]
    return ComparisonResult(dict(zip(names, results)), dict(zip(names, settings)),
                            first.primary, first.greater_is_better[first.primary])


@dataclass
class NestedCVResult:
    """Outer-fold scores of a setting chosen by an inner sweep on each training fold.

    Attributes
    ----------
    outer : CVResult
        Scores of the refitted, chosen model on each outer test fold (unbiased).
    chosen : list of dict
        The setting picked in each outer fold.
    inner : list of ComparisonResult
        The inner sweep of each outer fold.
    """

    outer: CVResult
    chosen: list[dict[str, Any]]
    inner: list[ComparisonResult]

    def summary(self) -> str:
        """Outer scores and the setting chosen in each fold.

        Returns
        -------
        str
        """
        lines = [self.outer.summary(), "  chosen per outer fold:"]
        lines += [f"    fold {k}: {_label(c)}" for k, c in enumerate(self.chosen)]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def nested_cross_validate(decoder: Any, grid: dict[str, list[Any]], recording: Recording,
                          cv: int | Any = 5, inner_cv: int | Any = 3, *,
                          scoring: str | list[str] | None = None, progress: bool = False,
                          random_state: int | None = 0, n_permutations: int = 0,
                          **kwargs: Any) -> NestedCVResult:
    """Nested cross-validation: choose the setting inside each outer training fold.

    For each outer split, :func:`sweep` runs on the training samples only (with
    ``inner_cv`` splits of them); the best setting is refitted on the whole outer training
    set and scored on the outer test set. The outer scores estimate the performance of
    the whole procedure, tuning included.

    Parameters
    ----------
    decoder : estimator
    grid : dict of str to list
    recording : Recording
    cv, inner_cv : int, splitter or iterable, default=5 and 3
        Outer and inner splits (integers follow :func:`make_splits`).
    scoring : str or list of str, optional
    progress : bool, default=False
    random_state : int or None, default=0
    n_permutations : int, default=0
        Repeat the whole nested procedure (inner choice included) this many times on
        shuffled data (responses shuffled across trials, circularly shifted for time
        bins; same outer splits) for a chance level and a p-value of the outer score,
        stored in ``result.outer.permutation`` (``null``, ``p_value``, ``chance``).
    **kwargs
        Passed to :func:`cross_validate` (``preprocess``, ``gap``...).

    Returns
    -------
    NestedCVResult

    Raises
    ------
    ValueError
        For an invalid grid or splits.

    Examples
    --------
    >>> from sklearn.linear_model import Ridge
    >>> from neurodecode.data import orientation_population
    >>> rec, _ = orientation_population(60, 300, random_state=0)
    >>> res = nested_cross_validate(Ridge(), {"alpha": [1.0, 1e5]}, rec, cv=3, inner_cv=3)
    >>> [c["alpha"] for c in res.chosen]
    [1.0, 1.0, 1.0]
    """
    parameter_grid(decoder, grid)  # fail early on bad names
    check_number(n_permutations, "n_permutations", "nested_cross_validate", low=0,
                 integer=True)
    groups = kwargs.pop("groups", None)
    outer_splits = make_splits(recording, cv, groups=groups, random_state=random_state,
                               gap=kwargs.get("gap"))
    outer, chosen, inner = _nested(decoder, grid, recording, outer_splits, inner_cv,
                                   scoring, random_state, progress, kwargs)
    if n_permutations:
        rng = np.random.default_rng(random_state)
        null = []
        for _ in tqdm(range(n_permutations), desc="permutations", disable=not progress,
                      leave=False):
            shuffled = recording.with_responses(
                _permuted(recording.responses, rng, recording.is_time_binned))
            null.append(_nested(decoder, grid, shuffled, outer_splits, inner_cv, scoring,
                                random_state, False, kwargs)[0].mean())
        null_arr, real = np.array(null), outer.mean()
        greater = outer.greater_is_better[outer.primary]
        hits = np.sum(null_arr >= real) if greater else np.sum(null_arr <= real)
        outer.permutation = {"null": null_arr, "p_value": (1 + hits) / (1 + n_permutations),
                             "chance": float(null_arr.mean())}
    return NestedCVResult(outer=outer, chosen=chosen, inner=inner)


def _nested(decoder: Any, grid: dict[str, list[Any]], recording: Recording,
            outer_splits: list, inner_cv: Any, scoring: Any, random_state: int | None,
            progress: bool, kwargs: dict[str, Any]
            ) -> tuple[CVResult, list[dict[str, Any]], list[ComparisonResult]]:
    """One nested cross-validation on fixed outer splits: the inner sweep chooses a
    setting on each outer training set; that setting is refitted and scored."""
    chosen, inner_results = [], []
    for train, _ in tqdm(outer_splits, desc="nested CV", disable=not progress, leave=False):
        inner = sweep(decoder, grid, recording.select(trials=train), inner_cv,
                      scoring=scoring, random_state=random_state, **kwargs)
        chosen.append(inner.best_params)
        inner_results.append(inner)
    with warnings.catch_warnings():  # one outer split at a time tests part of the data
        warnings.filterwarnings("ignore", message="The custom splits test",
                                category=DataWarning)
        per_fold = [cross_validate(clone(decoder).set_params(**params), recording, [split],
                                   scoring=scoring, random_state=random_state, **kwargs)
                    for split, params in zip(outer_splits, chosen)]
    first = per_fold[0]
    y_pred = np.empty_like(first.y_pred)
    for r, (_, test) in zip(per_fold, outer_splits):
        y_pred[test] = r.y_pred[test]
    outer = CVResult(
        scores={m: np.concatenate([r.scores[m] for r in per_fold]) for m in first.scores},
        primary=first.primary, greater_is_better=first.greater_is_better,
        y_true=first.y_true, y_pred=y_pred, splits=list(outer_splits),
        fit_time=np.concatenate([r.fit_time for r in per_fold]),
        score_time=np.concatenate([r.score_time for r in per_fold]),
        kind=first.kind, period=first.period, decoder=f"nested({decoder!r})",
    )
    return outer, chosen, inner_results

"""Cross-validated decoding of a Recording, with preprocessing fitted inside each fold."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, clone, is_classifier
from sklearn.decomposition import PCA
from sklearn.feature_selection import SelectKBest, f_classif, f_regression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from tqdm.auto import tqdm

from .._validation import check_number
from ..data import Recording
from .metrics import confusion, default_scoring, get_scorer
from .splits import make_splits

__all__ = ["CVResult", "CircularRegressor", "build_pipeline", "cross_validate"]


class CircularRegressor(RegressorMixin, BaseEstimator):
    """Decode a circular variable with any regressor: fit (cos, sin), read the angle back.

    Used by :func:`cross_validate` to run scikit-learn regressors (``Ridge``,
    ``MLPRegressor``) on circular stimuli the same way neurodecode's decoders do.

    Parameters
    ----------
    estimator : regressor
        Any scikit-learn regressor that accepts 2-column targets.
    period : float
        Period of the stimulus (180 for orientation in degrees).

    Examples
    --------
    >>> from sklearn.linear_model import Ridge
    >>> X = np.c_[np.cos(np.radians(2 * np.arange(0, 180, 10.0))),
    ...           np.sin(np.radians(2 * np.arange(0, 180, 10.0)))]
    >>> y = np.arange(0, 180, 10.0)
    >>> CircularRegressor(Ridge(alpha=1e-6), period=180).fit(X, y).predict(X[:2]).round(3)
    array([ 0., 10.])
    """

    def __init__(self, estimator: Any, period: float = 180.0) -> None:
        self.estimator = estimator
        self.period = period

    def fit(self, X: np.ndarray, y: np.ndarray) -> CircularRegressor:
        """Fit the wrapped regressor on ``(cos, sin)`` of ``2 pi y / period``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)

        Returns
        -------
        self
        """
        ang = np.asarray(y, dtype=np.float64) * (2 * np.pi / self.period)
        self.estimator_ = clone(self.estimator).fit(X, np.c_[np.cos(ang), np.sin(ang)])
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Angles in ``[0, period)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        cs = np.asarray(self.estimator_.predict(X))
        ang = np.arctan2(cs[:, 1], cs[:, 0]) % (2 * np.pi)
        out = ang * (self.period / (2 * np.pi))
        return np.where(out >= self.period, 0.0, out)


def _circular_f(X: np.ndarray, y: np.ndarray, period: float = 360.0
                ) -> tuple[np.ndarray, np.ndarray]:
    """Univariate F-score of each neuron against cos and sin of the stimulus (the larger)."""
    ang = np.asarray(y, dtype=np.float64) * (2 * np.pi / period)
    fc, pc = f_regression(X, np.cos(ang))
    fs, ps = f_regression(X, np.sin(ang))
    return np.fmax(fc, fs), np.fmin(pc, ps)


def _adapt_decoder(decoder: Any, recording: Recording) -> Any:
    """Clone ``decoder`` and make it fit the recording's stimulus kind."""
    est = clone(decoder)
    kind = recording.kind
    name = type(decoder).__name__
    if kind == "categorical":
        if not is_classifier(est):
            raise ValueError(
                f"{name} is a regressor but the stimulus is categorical; use a classifier "
                "(LogisticDecoder, PerceptronDecoder, MLPClassifierDecoder)."
            )
        return est
    if is_classifier(est):
        raise ValueError(
            f"{name} is a classifier but the stimulus is {kind}; bin it into classes first "
            "with recording.bin_stimulus(n_bins), or use a regression decoder."
        )
    if kind == "circular":
        params = est.get_params(deep=False)
        if "period" in params:
            if params["period"] is None:
                est.set_params(period=recording.period)
            return est
        return CircularRegressor(est, period=recording.period)
    return est


def build_pipeline(decoder: Any, preprocess: Any = None, *, kind: str = "linear",
                   period: float | None = None, random_state: int | None = 0) -> Any:
    """Chain preprocessing steps and a decoder so that each fold fits both on its training data.

    Parameters
    ----------
    decoder : estimator
    preprocess : None, str, tuple, transformer, or a list of them
        ``"zscore"`` (StandardScaler), ``("pca", n_components)``, ``("select", k)`` (the
        ``k`` neurons most tuned in the training fold, by univariate F-test against the
        stimulus; cos/sin of circular ones), or any scikit-learn transformer.
    kind : {"circular", "linear", "categorical"}
        Stimulus kind, for the neuron-selection test.
    period : float, optional
        Period of a circular stimulus.
    random_state : int or None
        Seed passed to PCA.

    Returns
    -------
    estimator
        ``decoder`` itself when there is nothing to chain, else a ``Pipeline``.

    Raises
    ------
    ValueError
        For an unknown step name.
    """
    if preprocess is None:
        return decoder
    steps_in = preprocess if isinstance(preprocess, list) else [preprocess]
    steps: list[tuple[str, Any]] = []
    for k, step in enumerate(steps_in):
        if step == "zscore":
            steps.append((f"zscore{k}", StandardScaler()))
        elif isinstance(step, tuple) and step and step[0] == "pca":
            steps.append((f"pca{k}", PCA(n_components=step[1], random_state=random_state)))
        elif isinstance(step, tuple) and step and step[0] == "select":
            if kind == "categorical":
                func: Any = f_classif
            elif kind == "circular":
                from functools import partial

                func = partial(_circular_f, period=period)
            else:
                func = f_regression
            steps.append((f"select{k}", SelectKBest(func, k=step[1])))
        elif hasattr(step, "fit") and hasattr(step, "transform"):
            steps.append((f"step{k}", clone(step)))
        else:
            raise ValueError(
                f"Unknown preprocessing step {step!r}. Available: 'zscore', ('pca', n), "
                "('select', k), or a scikit-learn transformer."
            )
    return Pipeline([*steps, ("decoder", decoder)])


@dataclass
class CVResult:
    """What a cross-validated decoding run produced.

    Attributes
    ----------
    scores : dict of str to ndarray of shape (n_folds,)
        Each metric on each fold's held-out samples.
    primary : str
        The metric used to rank and summarise (first of ``scoring``).
    greater_is_better : dict of str to bool
    y_true, y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        Stimulus and out-of-fold prediction for every sample.
    splits : list of (train, test)
    fit_time, score_time : ndarray of shape (n_folds,)
        Seconds per fold.
    kind : str
    period : float or None
    decoder : str
        Description of the decoder (its repr).
    models : list, optional
        The fitted estimator of each fold (``return_models=True``).
    permutation : dict, optional
        ``null`` (primary metric per permutation), ``p_value`` and ``chance``
        (mean of the null) when ``n_permutations > 0``.
    """

    scores: dict[str, np.ndarray]
    primary: str
    greater_is_better: dict[str, bool]
    y_true: np.ndarray
    y_pred: np.ndarray
    splits: list[tuple[np.ndarray, np.ndarray]]
    fit_time: np.ndarray
    score_time: np.ndarray
    kind: str
    period: float | None
    decoder: str
    models: list[Any] | None = None
    permutation: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def n_folds(self) -> int:
        """Number of folds."""
        return len(self.splits)

    def mean(self, metric: str | None = None) -> float:
        """Mean of a metric across folds (the primary one by default)."""
        return float(np.mean(self.scores[metric or self.primary]))

    def sem(self, metric: str | None = None) -> float:
        """Standard error of the mean across folds."""
        s = self.scores[metric or self.primary]
        return float(np.std(s, ddof=1) / np.sqrt(len(s))) if len(s) > 1 else float("nan")

    def summary(self) -> str:
        """Mean +- s.e.m. across folds of every metric, one line each.

        Returns
        -------
        str
            Print it: ``print(result.summary())``.
        """
        lines = [f"{self.decoder}: {self.n_folds}-fold cross-validation"]
        for name in self.scores:
            arrow = "higher is better" if self.greater_is_better[name] else "lower is better"
            lines.append(f"  {name:<18} {self.mean(name):10.4g} +- {self.sem(name):.3g}"
                         f"  ({arrow})")
        if self.permutation is not None:
            p = self.permutation
            lines.append(f"  chance ({len(p['null'])} permutations): {p['chance']:.4g}, "
                         f"p = {p['p_value']:.3g}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python summary (JSON-serialisable): per-fold scores, means, s.e.m., timing.

        Returns
        -------
        dict
        """
        out: dict[str, Any] = {
            "decoder": self.decoder, "kind": self.kind, "period": self.period,
            "n_folds": self.n_folds, "primary": self.primary,
            "scores": {k: [float(x) for x in v] for k, v in self.scores.items()},
            "mean": {k: self.mean(k) for k in self.scores},
            "sem": {k: self.sem(k) for k in self.scores},
            "fit_time": [float(t) for t in self.fit_time],
            "score_time": [float(t) for t in self.score_time],
        }
        if self.permutation is not None:
            out["permutation"] = {
                "null": [float(x) for x in self.permutation["null"]],
                "p_value": float(self.permutation["p_value"]),
                "chance": float(self.permutation["chance"]),
            }
        return out

    def to_frame(self) -> Any:
        """Per-fold table (pandas DataFrame): fold, n_train, n_test, times and every metric.

        Returns
        -------
        pandas.DataFrame

        Raises
        ------
        ImportError
            If pandas is not installed.
        """
        import pandas as pd

        rows = {
            "fold": np.arange(self.n_folds),
            "n_train": [len(tr) for tr, _ in self.splits],
            "n_test": [len(te) for _, te in self.splits],
            "fit_time": self.fit_time,
            "score_time": self.score_time,
            **self.scores,
        }
        return pd.DataFrame(rows)

    def confusion_matrix(self, normalize: str | None = "true") -> np.ndarray:
        """Out-of-fold confusion matrix of a categorical decoding run.

        Parameters
        ----------
        normalize : {"true", "pred", "all", None}, default="true"

        Returns
        -------
        ndarray of shape (n_classes, n_classes)
            Rows are true classes in sorted order.
        """
        if self.kind != "categorical":
            raise ValueError(f"A confusion matrix needs a categorical stimulus, not {self.kind}.")
        labels = np.unique(np.concatenate([self.y_true, self.y_pred]))
        # integer codes: scikit-learn rejects float labels such as bin centres
        codes_true = np.searchsorted(labels, self.y_true)
        codes_pred = np.searchsorted(labels, self.y_pred)
        return confusion(codes_true, codes_pred, labels=np.arange(len(labels)),
                         normalize=normalize)


def _run_folds(est: Any, X: np.ndarray, y: np.ndarray, splits: list, scorers: dict,
               keep_models: bool, bar: Any) -> tuple[dict, np.ndarray, np.ndarray,
                                                     np.ndarray, list]:
    scores: dict[str, list[float]] = {name: [] for name in scorers}
    y_pred: np.ndarray | None = None
    fit_t, score_t, models = [], [], []
    for train, test in splits:
        model = clone(est)
        t0 = time.perf_counter()
        model.fit(X[train], y[train])
        t1 = time.perf_counter()
        pred = np.asarray(model.predict(X[test]))
        if y_pred is None:
            y_pred = np.empty((len(y),) + pred.shape[1:], dtype=pred.dtype)
            if y_pred.dtype.kind in "f":
                y_pred[:] = np.nan
        y_pred[test] = pred
        for name, (func, _) in scorers.items():
            scores[name].append(float(func(y[test], pred)))
        score_t.append(time.perf_counter() - t1)
        fit_t.append(t1 - t0)
        if keep_models:
            models.append(model)
        if bar is not None:
            bar.update(1)
    assert y_pred is not None
    return ({k: np.array(v) for k, v in scores.items()}, y_pred, np.array(fit_t),
            np.array(score_t), models)


def _permuted(y: np.ndarray, rng: np.random.Generator, time_binned: bool) -> np.ndarray:
    if time_binned:  # a circular shift keeps the stimulus's autocorrelation
        n = len(y)
        return np.roll(y, int(rng.integers(n // 10 + 1, n - n // 10)) if n > 2 else 1, axis=0)
    return y[rng.permutation(len(y))]


def cross_validate(decoder: Any, recording: Recording, cv: int | Any = 5, *,
                   scoring: str | list[str] | None = None, preprocess: Any = None,
                   groups: Any = None, gap: int | None = None, n_permutations: int = 0,
                   return_models: bool = False, random_state: int | None = 0,
                   progress: bool = False) -> CVResult:
    """Cross-validated decoding of a recording's stimulus from its responses.

    Each fold clones the decoder (and the preprocessing steps), fits them on the training
    samples only and predicts the held-out samples, so no statistic of a test fold
    reaches training. Circular stimuli are decoded as angles (neurodecode decoders get the
    recording's period; other regressors are wrapped in :class:`CircularRegressor`).

    Parameters
    ----------
    decoder : estimator
        A neurodecode decoder or any scikit-learn estimator of the right type (a
        classifier for categorical stimuli, a regressor otherwise).
    recording : Recording
    cv : int, splitter or iterable of (train, test), default=5
        See :func:`neurodecode.evaluate.make_splits` for what an integer means.
    scoring : str or list of str, optional
        Metric names from :data:`neurodecode.evaluate.metrics.SCORERS`; the first is the
        primary one. Defaults to :func:`~neurodecode.evaluate.metrics.default_scoring`.
    preprocess : optional
        Steps fitted inside each training fold (see :func:`build_pipeline`).
    groups : None, str or array-like
        Grouping for ``GroupKFold`` (a trials column name, ``"trial_id"`` or an array).
    gap : int, optional
        Gap between contiguous train and test blocks (time-binned recordings).
    n_permutations : int, default=0
        Refit on this many shuffled stimuli (circularly shifted for time bins) with the
        same splits to estimate chance level and a p-value for the primary metric.
    return_models : bool, default=False
        Keep each fold's fitted estimator.
    random_state : int or None, default=0
        Seeds the splits and the permutations.
    progress : bool, default=False
        Show a progress bar over folds (and permutations).

    Returns
    -------
    CVResult

    Raises
    ------
    ValueError
        For a decoder of the wrong type for the stimulus, unknown metrics, or splits the
        recording cannot support (see :func:`make_splits`).

    Examples
    --------
    >>> from sklearn.linear_model import Ridge
    >>> from neurodecode.data import orientation_population
    >>> rec, _ = orientation_population(100, 300, random_state=0)
    >>> res = cross_validate(Ridge(alpha=1.0), rec, cv=3)
    >>> res.primary, res.y_pred.shape
    ('median_error', (300,))
    """
    if not isinstance(recording, Recording):
        raise TypeError(
            f"cross_validate takes a Recording; got {type(recording).__name__}. Build one "
            "with neurodecode.data.Recording(responses, stimulus, kind=...)."
        )
    check_number(n_permutations, "n_permutations", "cross_validate", low=0, integer=True)
    names = list(default_scoring(recording.kind)) if scoring is None else (
        [scoring] if isinstance(scoring, str) else list(scoring))
    scorers = {n: get_scorer(n, recording.kind, recording.period) for n in names}
    splits = make_splits(recording, cv, groups=groups, random_state=random_state, gap=gap)
    est = build_pipeline(_adapt_decoder(decoder, recording), preprocess, kind=recording.kind,
                         period=recording.period, random_state=random_state)
    X, y = recording.responses, recording.stimulus
    classes = None
    if recording.kind == "categorical":
        # fit on integer codes (scikit-learn rejects float labels such as bin centres)
        classes, y = recording.classes, recording.stimulus_codes()
    total = len(splits) * (1 + n_permutations)
    bar = tqdm(total=total, desc="cross-validation", disable=not progress, leave=False)
    try:
        scores, y_pred, fit_t, score_t, models = _run_folds(
            est, X, y, splits, scorers, return_models, bar)
        permutation = None
        if n_permutations:
            rng = np.random.default_rng(random_state)
            primary = names[0]
            null = []
            for _ in range(n_permutations):
                y_perm = _permuted(y, rng, recording.is_time_binned)
                s, *_ = _run_folds(est, X, y_perm, splits, {primary: scorers[primary]},
                                   False, bar)
                null.append(float(np.mean(s[primary])))
            real = float(np.mean(scores[primary]))
            greater = scorers[primary][1]
            null_arr = np.array(null)
            hits = np.sum(null_arr >= real) if greater else np.sum(null_arr <= real)
            permutation = {"null": null_arr, "p_value": (1 + hits) / (1 + n_permutations),
                           "chance": float(null_arr.mean())}
    finally:
        bar.close()
    if classes is not None:  # back from integer codes to labels, where predicted
        tested = np.zeros(len(y), dtype=bool)
        for _, test in splits:
            tested[test] = True
        labels = np.empty(len(y), dtype=classes.dtype)
        labels[tested] = classes[y_pred[tested]]
        y, y_pred = classes[y], labels
    return CVResult(
        scores=scores, primary=names[0],
        greater_is_better={n: g for n, (_, g) in scorers.items()},
        y_true=y, y_pred=y_pred, splits=splits, fit_time=fit_t, score_time=score_t,
        kind=recording.kind, period=recording.period, decoder=repr(decoder),
        models=models if return_models else None, permutation=permutation,
    )

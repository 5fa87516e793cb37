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

from .._validation import check_choice, check_number
from ..data import Recording
from ..data.binning import segment_ids
from ..decoders._core import decode_angles, encode_angles
from .metrics import confusion, default_scoring, get_scorer
from .splits import make_splits

__all__ = [
    "CVResult",
    "CircularRegressor",
    "build_pipeline",
    "cross_validate",
    "cross_validate_settings",
    "fold_predictions",
    "fold_segments",
]


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
        self.estimator_ = clone(self.estimator).fit(X, encode_angles(y, self.period))
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
        return decode_angles(np.asarray(self.estimator_.predict(X)), self.period)


def _circular_f(X: np.ndarray, y: np.ndarray, period: float = 360.0
                ) -> tuple[np.ndarray, np.ndarray]:
    """Univariate F-score of each neuron against cos and sin of the stimulus (the larger)."""
    cos_sin = encode_angles(y, period)
    fc, pc = f_regression(X, cos_sin[:, 0])
    fs, ps = f_regression(X, cos_sin[:, 1])
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

    def per_output(self) -> dict[str, np.ndarray]:
        """R^2 and Pearson correlation of each output dimension (x and y velocity...) on
        each fold's held-out samples; for a circular stimulus the median circular error.

        Returns
        -------
        dict of str to ndarray of shape (n_folds, n_outputs)
            ``"r2"`` and ``"correlation"`` (linear stimuli), or ``"median_error"``
            (circular, one column).

        Raises
        ------
        ValueError
            For a categorical stimulus (use :meth:`confusion_matrix`).
        """
        if self.kind == "categorical":
            raise ValueError("per_output applies to linear and circular stimuli; a "
                             "categorical result has its confusion_matrix().")
        if self.kind == "circular":
            from .metrics import median_circular_error

            return {"median_error": np.array([
                [median_circular_error(self.y_true[te], self.y_pred[te], self.period)]
                for _, te in self.splits])}
        from sklearn.metrics import r2_score

        r2, corr = [], []
        for _, test in self.splits:
            t = np.asarray(self.y_true[test], dtype=np.float64).reshape(len(test), -1)
            p = np.asarray(self.y_pred[test], dtype=np.float64).reshape(len(test), -1)
            r2.append(r2_score(t, p, multioutput="raw_values"))
            corr.append([np.corrcoef(t[:, k], p[:, k])[0, 1] if t[:, k].std() > 0
                         and p[:, k].std() > 0 else np.nan for k in range(t.shape[1])])
        return {"r2": np.array(r2), "correlation": np.array(corr)}

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


def fold_segments(segments: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Segment ids of the samples ``idx`` of one fold: a new segment wherever the
    recording's segment changes or the indices skip (the other folds' blocks).

    Examples
    --------
    >>> fold_segments(np.array([0, 0, 0, 1, 1, 1]), np.array([0, 1, 3, 4, 5])).tolist()
    [0, 0, 1, 1, 1]
    >>> fold_segments(np.zeros(6, int), np.array([0, 1, 4, 5])).tolist()
    [0, 0, 1, 1]
    """
    idx = np.asarray(idx)
    seg = np.asarray(segments)[idx]
    cut = np.r_[True, (np.diff(idx) != 1) | (seg[1:] != seg[:-1])]
    return np.cumsum(cut) - 1


def fold_predictions(est: Any, X: np.ndarray, y: np.ndarray, splits: list,
                     settings: list[dict[str, Any]] | None = None, *,
                     batched: bool | str = "auto", return_models: bool = False,
                     max_memory: int | None = None, bar: Any = None,
                     segments: np.ndarray | None = None
                     ) -> tuple[list[list[np.ndarray]], np.ndarray, list[list[Any]] | None, bool]:
    """Held-out predictions of every (setting, fold): ``preds[setting][fold]``.

    The decoder's own fast path (``est.cross_val_predictions``) computes them when its
    family has one for these settings; otherwise each model is cloned, fitted on the
    fold's training samples and asked to predict its test samples, settings in turn.
    Both run the same validation, so they raise the same errors. Decoders with state
    over time (``uses_segments``: Kalman filters, recurrent networks) get each fold's
    segment structure (:func:`fold_segments` of ``segments``) in ``fit`` and ``predict``,
    so they filter over real continuous stretches only.

    Returns
    -------
    preds : list (per setting) of list (per fold) of ndarray
    fit_time : ndarray of shape (n_settings, n_folds)
        Seconds per model (the fast path's time shared equally).
    models : list of list, or None
        ``models[setting][fold]`` with ``return_models``.
    batched : bool
        Whether the fast path ran.
    """
    settings = settings or [{}]
    t0 = time.perf_counter()
    fast = None
    if batched is not False and hasattr(est, "cross_val_predictions"):
        fast = est.cross_val_predictions(X, y, splits, settings, return_models=return_models,
                                         max_memory=max_memory, progress=False)
    if fast is not None:
        share = (time.perf_counter() - t0) / (len(settings) * len(splits))
        if bar is not None:
            bar.update(len(splits))
        preds = [[fast.predictions[k][j] for k in range(len(splits))]
                 for j in range(len(settings))]
        models = None if fast.models is None else [
            [fast.models[k][j] for k in range(len(splits))] for j in range(len(settings))]
        if return_models and models is None:  # the path keeps no models: fit them
            models = [[clone(est).set_params(**s).fit(X[tr], y[tr]) for tr, _ in splits]
                      for s in settings]
        return preds, np.full((len(settings), len(splits)), share), models, True
    if batched is True:
        raise ValueError(
            f"batched=True but {type(est).__name__} has no fast cross-validated path for "
            f"these settings ({settings}). Use batched='auto' or False."
        )
    preds, times, models = [], [], []
    for setting in settings:
        per_fold, fold_times, fold_models = [], [], []
        for train, test in splits:
            model = clone(est).set_params(**setting)
            fit_kw: dict[str, Any] = {}
            predict_kw: dict[str, Any] = {}
            if segments is not None and getattr(model, "uses_segments", False):
                fit_kw = {"segments": fold_segments(segments, train)}
                predict_kw = {"segments": fold_segments(segments, test)}
            t1 = time.perf_counter()
            model.fit(X[train], y[train], **fit_kw)
            fold_times.append(time.perf_counter() - t1)
            per_fold.append(np.asarray(model.predict(X[test], **predict_kw)))
            if return_models:
                fold_models.append(model)
            if bar is not None:
                bar.update(1)
        preds.append(per_fold)
        times.append(fold_times)
        models.append(fold_models)
    return preds, np.array(times), (models if return_models else None), False


def _scored(preds: list[np.ndarray], y: np.ndarray, splits: list, scorers: dict
            ) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Per-fold scores of one setting's held-out predictions, the out-of-fold prediction
    of every sample, and the seconds spent scoring each fold."""
    scores: dict[str, list[float]] = {name: [] for name in scorers}
    first = preds[0]
    y_pred = np.empty((len(y),) + first.shape[1:], dtype=first.dtype)
    if y_pred.dtype.kind == "f":
        y_pred[:] = np.nan
    score_t = []
    for (_, test), pred in zip(splits, preds):
        t0 = time.perf_counter()
        y_pred[test] = pred
        for name, (func, _) in scorers.items():
            scores[name].append(float(func(y[test], pred)))
        score_t.append(time.perf_counter() - t0)
    return {k: np.array(v) for k, v in scores.items()}, y_pred, np.array(score_t)


def _permuted(y: np.ndarray, rng: np.random.Generator, time_binned: bool) -> np.ndarray:
    if time_binned:  # a circular shift keeps the stimulus's autocorrelation
        n = len(y)
        return np.roll(y, int(rng.integers(n // 10 + 1, n - n // 10)) if n > 2 else 1, axis=0)
    return y[rng.permutation(len(y))]


def cross_validate(decoder: Any, recording: Recording, cv: int | Any = 5, *,
                   scoring: str | list[str] | None = None, preprocess: Any = None,
                   groups: Any = None, gap: int | None = None, n_permutations: int = 0,
                   return_models: bool = False, random_state: int | None = 0,
                   progress: bool = False, batched: bool | str = "auto") -> CVResult:
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
    batched : {"auto", True, False}, default="auto"
        Use the decoder family's fast cross-validated path where it has one
        (``decoder.cross_val_predictions``: shared factorisations, exact float64 solvers
        for small problems; the same numbers as fitting each fold); False fits each fold
        in turn; True fails where there is no fast path.

    Returns
    -------
    CVResult
        ``extra["batched"]`` says whether the fast path ran.

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
    return cross_validate_settings(
        decoder, recording, cv, [{}], scoring=scoring, preprocess=preprocess, groups=groups,
        gap=gap, n_permutations=n_permutations, return_models=return_models,
        random_state=random_state, progress=progress, batched=batched)[0]


def cross_validate_settings(decoder: Any, recording: Recording, cv: int | Any,
                            settings: list[dict[str, Any]], *,
                            scoring: str | list[str] | None = None, preprocess: Any = None,
                            groups: Any = None, gap: int | None = None,
                            n_permutations: int = 0, return_models: bool = False,
                            random_state: int | None = 0, progress: bool = False,
                            batched: bool | str = "auto", max_memory: int | None = None,
                            client: Any = None) -> list[CVResult]:
    """:func:`cross_validate` of ``decoder`` with each of several settings, same splits.

    All settings go to the decoder family's fast path at once where it has one
    (``decoder.cross_val_predictions``), else each model is fitted in turn. Parameters
    are those of :func:`cross_validate`, plus ``settings`` (a list of dicts of parameter
    values, one per candidate), ``max_memory`` (byte budget of stacked models) and
    ``client`` (a ``distributed.Client``: each fold, with all its settings, is a task on
    the cluster's workers, the responses sent to them once; permutation tests still run
    here).

    Returns
    -------
    list of CVResult
        One per setting, in order.
    """
    if not isinstance(recording, Recording):
        raise TypeError(
            f"cross_validate takes a Recording; got {type(recording).__name__}. Build one "
            "with neurodecode.data.Recording(responses, stimulus, kind=...)."
        )
    recording.require_single_time("cross_validate")
    check_number(n_permutations, "n_permutations", "cross_validate", low=0, integer=True)
    check_choice(batched, "batched", ("auto", True, False), "cross_validate")
    names = list(default_scoring(recording.kind)) if scoring is None else (
        [scoring] if isinstance(scoring, str) else list(scoring))
    scorers = {n: get_scorer(n, recording.kind, recording.period) for n in names}
    splits = make_splits(recording, cv, groups=groups, random_state=random_state, gap=gap)
    adapted = _adapt_decoder(decoder, recording)
    est = build_pipeline(adapted, preprocess, kind=recording.kind, period=recording.period,
                         random_state=random_state)
    prefix = "estimator__" if isinstance(adapted, CircularRegressor) and not isinstance(
        decoder, CircularRegressor) else ""
    prefix = ("decoder__" if est is not adapted else "") + prefix
    est_settings = [{prefix + k: v for k, v in s.items()} for s in settings]
    X, y = recording.responses, recording.stimulus
    classes = None
    if recording.kind == "categorical":
        # fit on integer codes (scikit-learn rejects float labels such as bin centres)
        classes, y = recording.classes, recording.stimulus_codes()
    total = len(splits) * len(settings) * (1 + n_permutations)
    bar = tqdm(total=total, desc="cross-validation", disable=not progress, leave=False)
    try:
        segments = segment_ids(recording)
        if client is not None:
            preds, fit_t, models, fast = _distributed_fold_predictions(
                client, est, X, y, splits, est_settings, batched=batched,
                return_models=return_models, max_memory=max_memory, bar=bar,
                segments=segments)
        else:
            preds, fit_t, models, fast = fold_predictions(
                est, X, y, splits, est_settings, batched=batched,
                return_models=return_models, max_memory=max_memory, bar=bar,
                segments=segments)
        scored = [_scored(p, y, splits, scorers) for p in preds]
        nulls: list[dict[str, Any] | None] = [None] * len(settings)
        if n_permutations:
            nulls = _permutation_test(
                est, X, y, splits, est_settings, scorers[names[0]],
                [float(np.mean(sc[names[0]])) for sc, _, _ in scored], n_permutations,
                random_state, recording.is_time_binned, batched, max_memory, bar, segments)
    finally:
        bar.close()
    results = []
    for j, setting in enumerate(settings):
        scores, y_pred, score_t = scored[j]
        y_true = y
        if classes is not None:  # back from integer codes to labels, where predicted
            tested = np.zeros(len(y), dtype=bool)
            for _, test in splits:
                tested[test] = True
            labels = np.empty(len(y), dtype=classes.dtype)
            labels[tested] = classes[y_pred[tested]]
            y_true, y_pred = classes[y], labels
        results.append(CVResult(
            scores=scores, primary=names[0],
            greater_is_better={n: g for n, (_, g) in scorers.items()},
            y_true=y_true, y_pred=y_pred, splits=splits, fit_time=fit_t[j],
            score_time=score_t, kind=recording.kind, period=recording.period,
            decoder=repr(clone(decoder).set_params(**setting) if setting else decoder),
            models=models[j] if models is not None else None, permutation=nulls[j],
            extra={"batched": fast},
        ))
    return results


def _one_fold(est: Any, X: np.ndarray, y: np.ndarray, split: tuple, settings: list,
              kwargs: dict[str, Any]) -> tuple:
    """:func:`fold_predictions` of one split (a task on a Dask worker)."""
    return fold_predictions(est, X, y, [split], settings, **kwargs)


def _distributed_fold_predictions(client: Any, est: Any, X: np.ndarray, y: np.ndarray,
                                  splits: list, settings: list[dict[str, Any]], *,
                                  bar: Any, **kwargs: Any) -> tuple:
    """:func:`fold_predictions` with every fold a task on ``client``'s workers (each
    worker runs the family's fast path for all settings of its fold); merged in fold
    order."""
    from distributed import as_completed

    X_remote, y_remote = client.scatter([X, y], broadcast=False)
    futures = {client.submit(_one_fold, est, X_remote, y_remote, split, settings, kwargs,
                             pure=False): k for k, split in enumerate(splits)}
    per_fold: list[Any] = [None] * len(splits)
    for future in as_completed(futures):
        per_fold[futures[future]] = future.result()
        bar.update(len(settings))
    n = len(settings)
    preds = [[per_fold[k][0][j][0] for k in range(len(splits))] for j in range(n)]
    fit_t = np.column_stack([np.asarray(f[1]).reshape(n, -1)[:, 0] for f in per_fold]) \
        if n else np.empty((0, len(splits)))
    models = None
    if per_fold[0][2] is not None:
        models = [[per_fold[k][2][j][0] for k in range(len(splits))] for j in range(n)]
    return preds, fit_t, models, all(f[3] for f in per_fold)


def _permutation_test(est: Any, X: np.ndarray, y: np.ndarray, splits: list,
                      settings: list[dict[str, Any]], scorer: tuple[Any, bool],
                      real: list[float], n_permutations: int, random_state: int | None,
                      time_binned: bool, batched: bool | str, max_memory: int | None,
                      bar: Any, segments: np.ndarray | None = None) -> list[dict[str, Any]]:
    """Refit every setting on shuffled stimuli (same splits, same shuffles for every
    setting) to estimate chance and a p-value of each."""
    rng = np.random.default_rng(random_state)
    func, greater = scorer
    null = np.empty((len(settings), n_permutations))
    for i in range(n_permutations):
        y_perm = _permuted(y, rng, time_binned)
        preds, *_ = fold_predictions(est, X, y_perm, splits, settings, batched=batched,
                                     max_memory=max_memory, bar=bar, segments=segments)
        for j, per_fold in enumerate(preds):
            null[j, i] = np.mean([func(y_perm[test], p) for (_, test), p in zip(splits, per_fold)])
    out = []
    for j in range(len(settings)):
        hits = np.sum(null[j] >= real[j]) if greater else np.sum(null[j] <= real[j])
        out.append({"null": null[j], "p_value": (1 + hits) / (1 + n_permutations),
                    "chance": float(null[j].mean())})
    return out

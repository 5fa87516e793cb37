"""When does the population know? Decoding at every time point, and across time points.

:func:`decode_over_time` cross-validates a decoder at every time point (or sliding
window) of a time-resolved :class:`~neurodecode.data.Recording` on one set of splits;
:func:`temporal_generalization` trains at each time point and tests at every one
(King & Dehaene, 2014). Both are what MNE-Python's ``SlidingEstimator`` and
``GeneralizingEstimator`` with ``cross_val_multiscore`` compute. Where the decoder
family can (:meth:`~neurodecode.decoders.BaseDecoder.cross_val_predictions_over_time`;
L2 logistic regression today) every (fold, time) model is fitted by one batched float64
solver, a bounded batch of time points at a time, and each fold's models of all
training times predict its test trials at every time in one product. Other decoders use
their family's fast path (:meth:`~neurodecode.decoders.BaseDecoder.cross_val_predictions`)
one time point at a time. With ``n_permutations`` the labels are permuted
(the same permutation at every time point, same splits) and a cluster-based permutation
test (:mod:`neurodecode.evaluate.clusters`) says where the score is above chance;
decoding above chance before the stimulus (``epoch_times < 0``) is reported, since it
means stimuli came in a predictable order or earlier responses linger.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.base import clone
from tqdm.auto import tqdm

from .._validation import check_choice, check_number
from ..data import Recording
from ..exceptions import DataWarning
from .clusters import ClusterTest, cluster_test
from .cross_validate import _adapt_decoder, _permuted, fold_predictions
from .metrics import default_scoring, get_scorer, score_grid
from .splits import make_splits

__all__ = ["GeneralizationResult", "TimeCourseResult", "decode_over_time",
           "temporal_generalization"]


# --------------------------------------------------------------------------- results
@dataclass
class TimeCourseResult:
    """Scores of a decoder at every time point, on one set of splits.

    Attributes
    ----------
    epoch_times : ndarray of shape (n_times,)
        Seconds from the aligning event.
    scores : dict of str to ndarray of shape (n_folds, n_times)
        Every metric on every fold's held-out trials, per time point.
    primary : str
        The metric the statistics use.
    greater_is_better : dict of str to bool
    splits : list of (train, test)
    decoder : str
    window : float or None
        Width (s) of the sliding window averaged at each time point (None: single points).
    test : ClusterTest or None
        The cluster permutation test of the primary metric (``n_permutations > 0``).
    baseline : dict or None
        Pre-stimulus check: ``times`` (the time points before 0), ``mean`` (their mean
        primary score), ``significant`` (whether a significant cluster or FDR-corrected
        point lies there).
    """

    epoch_times: np.ndarray
    scores: dict[str, np.ndarray]
    primary: str
    greater_is_better: dict[str, bool]
    splits: list[tuple[np.ndarray, np.ndarray]]
    decoder: str
    window: float | None = None
    test: ClusterTest | None = None
    baseline: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def n_folds(self) -> int:
        """Number of folds."""
        return len(self.splits)

    def mean(self, metric: str | None = None) -> np.ndarray:
        """Mean over folds of a metric at every time point, shape (n_times,)."""
        return self.scores[metric or self.primary].mean(axis=0)

    def sem(self, metric: str | None = None) -> np.ndarray:
        """Standard error of the mean over folds, shape (n_times,)."""
        s = self.scores[metric or self.primary]
        if len(s) < 2:
            return np.full(s.shape[1], np.nan)
        return s.std(axis=0, ddof=1) / np.sqrt(len(s))

    def significant(self, alpha: float = 0.05) -> np.ndarray:
        """Time points in a significant cluster (all False without a permutation test)."""
        if self.test is None:
            return np.zeros(len(self.epoch_times), dtype=bool)
        return self.test.significant(alpha)

    @property
    def onset(self) -> float | None:
        """Start (s) of the first significant cluster at or after time 0, or None."""
        sig = self.significant() & (self.epoch_times >= 0)
        return float(self.epoch_times[np.argmax(sig)]) if sig.any() else None

    def to_frame(self) -> Any:
        """One row per time point: ``time``, mean and s.e.m. of each metric, and with a
        permutation test ``chance``, ``p_value``, ``p_fdr`` and ``significant``.

        Returns
        -------
        pandas.DataFrame
        """
        import pandas as pd

        rows: dict[str, Any] = {"time": self.epoch_times}
        for metric in self.scores:
            rows[f"{metric}_mean"] = self.mean(metric)
            rows[f"{metric}_sem"] = self.sem(metric)
        if self.test is not None:
            rows.update(chance=self.test.chance, p_value=self.test.pvalues,
                        p_fdr=self.test.pvalues_fdr, significant=self.significant())
        return pd.DataFrame(rows)

    def summary(self) -> str:
        """Peak score, when it was reached, and the significant clusters.

        Returns
        -------
        str
        """
        mean = self.mean()
        best = int(np.argmax(mean) if self.greater_is_better[self.primary] else np.argmin(mean))
        lines = [f"{self.decoder}: decoded at {len(self.epoch_times)} time points "
                 f"({self.epoch_times[0]:g} to {self.epoch_times[-1]:g} s), "
                 f"{self.n_folds}-fold cross-validation",
                 f"  peak {self.primary} {mean[best]:.4g} +- {self.sem()[best]:.3g} at "
                 f"{self.epoch_times[best]:g} s"]
        if self.test is not None:
            n = len(self.test.null_max)
            for c in self.test.clusters:
                if c.p_value < 0.05:
                    a, b = c.extent(self.epoch_times)
                    lines.append(f"  above chance {a:g} to {b:g} s (cluster p = "
                                 f"{c.p_value:.3g}, {n} permutations)")
            if not self.significant().any():
                lines.append(f"  no cluster above chance ({n} permutations)")
        if self.baseline is not None and self.baseline["significant"]:
            lines.append("  WARNING: above chance before stimulus onset (see baseline)")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


@dataclass
class GeneralizationResult:
    """Scores of decoders trained at each time point and tested at every time point.

    Attributes
    ----------
    epoch_times : ndarray of shape (n_times,)
    scores : dict of str to ndarray of shape (n_folds, n_train_times, n_test_times)
    primary : str
    greater_is_better : dict of str to bool
    splits : list of (train, test)
    decoder : str
    test : ClusterTest or None
        Cluster permutation test over the train x test plane.
    """

    epoch_times: np.ndarray
    scores: dict[str, np.ndarray]
    primary: str
    greater_is_better: dict[str, bool]
    splits: list[tuple[np.ndarray, np.ndarray]]
    decoder: str
    test: ClusterTest | None = None

    def mean(self, metric: str | None = None) -> np.ndarray:
        """Mean over folds, shape (n_train_times, n_test_times)."""
        return self.scores[metric or self.primary].mean(axis=0)

    def diagonal(self, metric: str | None = None) -> np.ndarray:
        """Train and test at the same time: :func:`decode_over_time`'s scores."""
        return np.diagonal(self.mean(metric))

    def significant(self, alpha: float = 0.05) -> np.ndarray:
        """(train, test) pairs in a significant cluster."""
        if self.test is None:
            return np.zeros(self.mean().shape, dtype=bool)
        return self.test.significant(alpha)

    def to_frame(self) -> Any:
        """One row per (train time, test time): mean of each metric (and the test).

        Returns
        -------
        pandas.DataFrame
        """
        import pandas as pd

        tr, te = np.meshgrid(self.epoch_times, self.epoch_times, indexing="ij")
        rows: dict[str, Any] = {"train_time": tr.ravel(), "test_time": te.ravel()}
        for metric in self.scores:
            rows[f"{metric}_mean"] = self.mean(metric).ravel()
        if self.test is not None:
            rows.update(chance=self.test.chance.ravel(), p_value=self.test.pvalues.ravel(),
                        significant=self.significant().ravel())
        return pd.DataFrame(rows)


# --------------------------------------------------------------------------- helpers
def _check_time_resolved(recording: Any, owner: str) -> None:
    if not isinstance(recording, Recording):
        raise TypeError(f"{owner} takes a Recording; got {type(recording).__name__}.")
    if not recording.is_time_resolved:
        raise ValueError(
            f"{owner} needs responses over time (trials x times x neurons, with "
            f"epoch_times); this Recording has shape {recording.shape}. Load one with "
            "load_nwb(..., window=(start, stop), bin_size=...) or "
            "load_park_v1(..., time_resolved=True), or use cross_validate for one time "
            "point."
        )


def _slices(recording: Recording, window: float | None) -> list[np.ndarray]:
    """Index of the time points averaged at each time point (a sliding window)."""
    times = recording.epoch_times
    if window is None:
        return [np.array([k]) for k in range(len(times))]
    check_number(window, "window", "decode_over_time", low=0, low_inclusive=False)
    span = times[-1] - times[0]
    if len(times) > 1 and window > span:
        raise ValueError(
            f"The sliding 'window' of decode_over_time ({window:g} s) is longer than the "
            f"epoch ({times[0]:g} to {times[-1]:g} s)."
        )
    return [np.flatnonzero(np.abs(times - t) <= window / 2 + 1e-12) for t in times]


def _at(responses: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Responses at one time point (or the mean over a window), C-contiguous."""
    if len(idx) == 1:
        return np.ascontiguousarray(responses[:, idx[0]])
    return responses[:, idx].mean(axis=1)


def _windowed(responses: np.ndarray, slices: list[np.ndarray]) -> np.ndarray:
    """Responses at every time point, averaged over each sliding window (a view when
    there is no window)."""
    if all(len(idx) == 1 and idx[0] == k for k, idx in enumerate(slices)):
        return responses
    return np.stack([_at(responses, idx) for idx in slices], axis=1)


def _over_time(est: Any, responses: np.ndarray, stacked: np.ndarray | None,
               slices: list[np.ndarray], y: np.ndarray, splits: list, batched: bool | str,
               bar: Any) -> list[np.ndarray]:
    """Held-out predictions of every fold at every time point, (n_times, n_test, ...):
    the family's batched path on ``stacked`` (the windowed responses) where it has one,
    else the fast path of each time point in turn (one time slice in memory at a time)."""
    if stacked is not None:
        batch = _batched_over_time(est, stacked, y, splits, batched, False, bar)
        if batch is not None:
            return batch
    per_fold: list[list[np.ndarray]] = [[] for _ in splits]
    for idx in slices:
        preds, *_ = fold_predictions(est, _at(responses, idx), y, splits, batched=batched)
        for fold, pred in zip(per_fold, preds[0]):
            fold.append(pred)
        bar.update(1)
    return [np.stack(fold) for fold in per_fold]


def _batched_over_time(est: Any, responses: np.ndarray, y: np.ndarray, splits: list,
                       batched: bool | str, generalize: bool, bar: Any
                       ) -> list[np.ndarray] | None:
    """The decoder family's predictions at every time point at once, or None."""
    method = getattr(est, "cross_val_predictions_over_time", None)
    if batched is False or method is None:
        return None
    return method(responses, y, splits, generalize=generalize, update=bar.update)


def _setup(decoder: Any, recording: Recording, cv: Any, scoring: Any, groups: Any,
           random_state: int | None) -> tuple[Any, np.ndarray, list, list[str], dict]:
    first = recording.at(float(recording.epoch_times[0]))
    est = _adapt_decoder(decoder, first)
    names = list(default_scoring(recording.kind)) if scoring is None else (
        [scoring] if isinstance(scoring, str) else list(scoring))
    scorers = {n: get_scorer(n, recording.kind, recording.period) for n in names}
    splits = make_splits(first, cv, groups=groups, random_state=random_state)
    y = recording.stimulus_codes() if recording.kind == "categorical" else recording.stimulus
    return est, y, splits, names, scorers


def _baseline(times: np.ndarray, mean: np.ndarray, test: ClusterTest | None
              ) -> dict[str, Any] | None:
    before = times < 0
    if not before.any():
        return None
    significant = False
    if test is not None:
        significant = bool((test.significant() & before).any()
                           or (test.pvalues_fdr[before] < 0.05).any())
    if significant:
        first = float(times[np.argmax(before & (test.significant()
                                                | (test.pvalues_fdr < 0.05)))])
        warnings.warn(
            f"Decoding is above chance before stimulus onset (from {first:g} s): the "
            "stimulus can be predicted from pre-stimulus activity. Stimuli presented in a "
            "fixed or predictable order, or responses to the previous trial that linger, "
            "do this; check the trial order and the inter-trial interval.",
            DataWarning, stacklevel=3)
    return {"times": times[before], "mean": float(mean[before].mean()),
            "significant": significant}


# --------------------------------------------------------------------------- over time
def decode_over_time(decoder: Any, recording: Recording, cv: int | Any = 5, *,
                     scoring: str | list[str] | None = None, window: float | None = None,
                     n_permutations: int = 0, cluster_alpha: float = 0.05,
                     groups: Any = None, random_state: int | None = 0,
                     batched: bool | str = "auto", progress: bool = False
                     ) -> TimeCourseResult:
    """Cross-validate a decoder at every time point of a time-resolved Recording.

    Every time point uses the same splits. Where the decoder family has a batched path
    over time (:meth:`~neurodecode.decoders.BaseDecoder.cross_val_predictions_over_time`:
    L2 logistic regression) all (fold, time) models are fitted at once, so a small
    session's 49 frames x 5 folds take under half a second; otherwise the family's fast
    path (:meth:`~neurodecode.decoders.BaseDecoder.cross_val_predictions`) fits all folds
    of one time point at a time, one time slice of the responses in memory.

    Parameters
    ----------
    decoder : estimator
        A neurodecode decoder or any scikit-learn estimator of the right type.
    recording : Recording
        Time-resolved: responses of shape (n_trials, n_times, n_neurons).
    cv : int, splitter or iterable of (train, test), default=5
        Splits of the trials (see :func:`~neurodecode.evaluate.make_splits`).
    scoring : str or list of str, optional
        Metrics; the first is the primary one (the statistics use it).
    window : float, optional
        Average the responses over a sliding window of this width (seconds), centred on
        each time point, instead of using single time points.
    n_permutations : int, default=0
        Permute the labels this many times (the same permutation at every time point,
        same splits) for a cluster-based permutation test (``result.test``) and pointwise
        p-values with FDR correction.
    cluster_alpha : float, default=0.05
        Cluster-forming threshold (see :func:`~neurodecode.evaluate.clusters.cluster_test`).
    groups : optional
        Grouping for grouped splits (see :func:`~neurodecode.evaluate.make_splits`).
    random_state : int or None, default=0
        Seeds the splits and the permutations.
    batched : {"auto", True, False}, default="auto"
        Use the decoder family's fast paths (batched over time where it has one, see
        :func:`cross_validate`); False fits each (fold, time) model in turn.
    progress : bool, default=False
        Progress bar over time points (and permutations).

    Returns
    -------
    TimeCourseResult
        ``scores[metric]`` of shape (n_folds, n_times), ``mean()``, ``sem()``,
        ``to_frame()``, ``test`` and ``baseline``.

    Raises
    ------
    ValueError
        For a Recording without a time axis (the message says how to get one), a window
        longer than the epoch, or the errors of :func:`cross_validate`.

    Warns
    -----
    DataWarning
        When the permutation test finds decoding above chance before stimulus onset.

    Examples
    --------
    >>> from neurodecode.data import time_resolved_population
    >>> from neurodecode.decoders import LogisticDecoder
    >>> rec, truth = time_resolved_population(30, 120, n_times=8, onset=0.0, n_classes=3)
    >>> res = decode_over_time(LogisticDecoder(l2=0.1), rec, cv=3)
    >>> res.scores["accuracy"].shape
    (3, 8)
    >>> bool(res.mean()[-1] > res.mean()[0])
    True
    """
    _check_time_resolved(recording, "decode_over_time")
    check_number(n_permutations, "n_permutations", "decode_over_time", low=0, integer=True)
    check_choice(batched, "batched", ("auto", True, False), "decode_over_time")
    slices = _slices(recording, window)
    est, y, splits, names, scorers = _setup(decoder, recording, cv, scoring, groups,
                                            random_state)
    n_times = len(slices)
    scores = {n: np.empty((len(splits), n_times)) for n in names}
    primary, greater = names[0], scorers[names[0]][1]
    rng = np.random.default_rng(random_state)
    permutations = [_permuted(np.arange(len(y)), rng, False) for _ in range(n_permutations)]
    null = np.empty((n_permutations, n_times))
    func = scorers[primary][0]
    bar = tqdm(total=n_times * (1 + n_permutations), desc="decode over time",
               disable=not progress, leave=False)
    try:
        stacked = None
        if batched is not False and hasattr(est, "cross_val_predictions_over_time"):
            stacked = _windowed(recording.responses, slices)
        preds = _over_time(est, recording.responses, stacked, slices, y, splits, batched, bar)
        for n in names:
            scores[n] = np.stack([score_grid(scorers[n][0], y[test], pred, 1)
                                  for (_, test), pred in zip(splits, preds)])
        for i, perm in enumerate(permutations):
            y_perm = y[perm]
            preds = _over_time(est, recording.responses, stacked, slices, y_perm, splits,
                               batched, bar)
            null[i] = np.mean([score_grid(func, y_perm[test], pred, 1)
                               for (_, test), pred in zip(splits, preds)], axis=0)
    finally:
        bar.close()
    greater_map = {n: g for n, (_, g) in scorers.items()}
    test = None
    if n_permutations:
        test = cluster_test(scores[primary].mean(axis=0), null, greater_is_better=greater,
                            cluster_alpha=cluster_alpha)
    times = recording.epoch_times
    return TimeCourseResult(
        epoch_times=times, scores=scores, primary=primary, greater_is_better=greater_map,
        splits=splits, decoder=repr(decoder), window=window, test=test,
        baseline=_baseline(times, scores[primary].mean(axis=0), test),
    )


# --------------------------------------------------------------------------- generalisation
def _generalization_scores(est: Any, responses: np.ndarray, y: np.ndarray, splits: list,
                           scorers: dict, bar: Any, batched: bool | str
                           ) -> dict[str, np.ndarray]:
    """scores[metric][fold, train time, test time]: every (fold, time) model at once by
    the family's fast path where it has one; else each fold's model of each time point
    predicts its test trials at every time point in one call."""
    batch = _batched_over_time(est, responses, y, splits, batched, True, bar)
    if batch is not None:
        return {n: np.stack([score_grid(func, y[test], pred, 2)
                             for (_, test), pred in zip(splits, batch)])
                for n, (func, _) in scorers.items()}
    n_trials, n_times, n_neurons = responses.shape
    out = {n: np.empty((len(splits), n_times, n_times)) for n in scorers}
    for k in range(n_times):
        X = np.ascontiguousarray(responses[:, k])
        for f, (train, test) in enumerate(splits):
            model = clone(est).fit(X[train], y[train])
            stacked = responses[test].reshape(len(test) * n_times, n_neurons)
            pred = np.asarray(model.predict(stacked)).reshape(len(test), n_times,
                                                              *np.shape(y)[1:])
            for n, (func, _) in scorers.items():
                out[n][f, k] = [func(y[test], pred[:, j]) for j in range(n_times)]
        bar.update(1)
    return out


def temporal_generalization(decoder: Any, recording: Recording, cv: int | Any = 5, *,
                            scoring: str | list[str] | None = None,
                            n_permutations: int = 0, cluster_alpha: float = 0.05,
                            groups: Any = None, random_state: int | None = 0,
                            batched: bool | str = "auto",
                            progress: bool = False) -> GeneralizationResult:
    """Train at each time point, test at every time point (temporal generalisation).

    A stable code generalises off the diagonal (a square of high scores); a code that
    changes over the trial stays on the diagonal (King & Dehaene, 2014). Each fold's
    models predict its test trials at all time points in one call; with a batched path
    over time (L2 logistic regression) all (fold, time) models are fitted at once.

    Parameters
    ----------
    decoder : estimator
    recording : Recording
        Time-resolved (n_trials, n_times, n_neurons).
    cv : int, splitter or iterable of (train, test), default=5
    scoring : str or list of str, optional
    n_permutations : int, default=0
        Label permutations (same splits) for a cluster test over the train x test plane.
    cluster_alpha : float, default=0.05
    groups : optional
    random_state : int or None, default=0
    batched : {"auto", True, False}, default="auto"
        Fit every (fold, time) model at once by the decoder family's fast path where it
        has one (:meth:`~neurodecode.decoders.BaseDecoder.cross_val_predictions_over_time`);
        False fits and predicts each in turn.
    progress : bool, default=False
        Progress bar over training time points (and permutations).

    Returns
    -------
    GeneralizationResult
        ``scores[metric]`` of shape (n_folds, n_train_times, n_test_times).

    Raises
    ------
    ValueError
        For a Recording without a time axis, or the errors of :func:`cross_validate`.

    References
    ----------
    King, J.-R. & Dehaene, S. (2014). Characterizing the dynamics of mental
    representations: the temporal generalization method. Trends Cogn. Sci. 18, 203-210.

    Examples
    --------
    >>> from neurodecode.data import time_resolved_population
    >>> from neurodecode.decoders import LogisticDecoder
    >>> rec, _ = time_resolved_population(20, 90, n_times=5, n_classes=3)
    >>> temporal_generalization(LogisticDecoder(l2=0.1), rec, cv=3).scores["accuracy"].shape
    (3, 5, 5)
    """
    _check_time_resolved(recording, "temporal_generalization")
    check_number(n_permutations, "n_permutations", "temporal_generalization", low=0,
                 integer=True)
    check_choice(batched, "batched", ("auto", True, False), "temporal_generalization")
    est, y, splits, names, scorers = _setup(decoder, recording, cv, scoring, groups,
                                            random_state)
    n_times = recording.n_times
    bar = tqdm(total=n_times * (1 + n_permutations), desc="temporal generalization",
               disable=not progress, leave=False)
    primary = names[0]
    try:
        scores = _generalization_scores(est, recording.responses, y, splits, scorers, bar,
                                        batched)
        rng = np.random.default_rng(random_state)
        null = np.empty((n_permutations, n_times, n_times))
        for i in range(n_permutations):
            y_perm = _permuted(y, rng, False)
            perm = _generalization_scores(est, recording.responses, y_perm, splits,
                                          {primary: scorers[primary]}, bar, batched)
            null[i] = perm[primary].mean(axis=0)
    finally:
        bar.close()
    test = None
    if n_permutations:
        test = cluster_test(scores[primary].mean(axis=0), null,
                            greater_is_better=scorers[primary][1], cluster_alpha=cluster_alpha)
    return GeneralizationResult(
        epoch_times=recording.epoch_times, scores=scores, primary=primary,
        greater_is_better={n: g for n, (_, g) in scorers.items()}, splits=splits,
        decoder=repr(decoder), test=test)

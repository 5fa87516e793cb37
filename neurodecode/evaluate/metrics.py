"""Decoding metrics: circular errors, regression and classification scores.

Regression and classification metrics come from :mod:`sklearn.metrics`; only the
circular ones are written here. Every metric takes ``(y_true, y_pred)``.

Circular errors are reported in degrees: a period of 180 or 360 is taken to be in
degrees already, a period of pi or 2*pi in radians (converted with 180 / pi).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sklearn import metrics as skm

from .._validation import as_numpy, check_choice, check_same_length

__all__ = [
    "circular_correlation",
    "circular_error",
    "confusion",
    "default_scoring",
    "get_scorer",
    "mean_circular_error",
    "median_circular_error",
    "score_grid",
    "SCORERS",
]


def _degrees_per_unit(period: float) -> float:
    if np.isclose(period, 2 * np.pi) or np.isclose(period, np.pi):
        return 180.0 / np.pi
    return 1.0


def circular_error(y_true: np.ndarray, y_pred: np.ndarray, period: float) -> np.ndarray:
    """Signed error on the circle, wrapped to ``[-period / 2, period / 2)``.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        Angles in the stimulus units.
    period : float
        Length of the circle (180 for orientation in degrees).

    Returns
    -------
    ndarray of shape (n_samples,)
        In the stimulus units: an estimate of 179 for a true 1 (period 180) is -2.

    Examples
    --------
    >>> circular_error([1.0], [179.0], period=180).tolist()
    [-2.0]
    """
    t = as_numpy(y_true, "y_true", dtype=np.float64, ndim=1)
    p = as_numpy(y_pred, "y_pred", dtype=np.float64, ndim=1)
    check_same_length(t, p, "y_true", "y_pred")
    return (p - t + period / 2) % period - period / 2


def mean_circular_error(y_true: np.ndarray, y_pred: np.ndarray, period: float) -> float:
    """Mean absolute circular error in degrees.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
    period : float

    Returns
    -------
    float

    Examples
    --------
    >>> mean_circular_error([0.0, 90.0], [178.0, 94.0], period=180)
    3.0
    """
    err = np.abs(circular_error(y_true, y_pred, period))
    return float(err.mean() * _degrees_per_unit(period))


def median_circular_error(y_true: np.ndarray, y_pred: np.ndarray, period: float) -> float:
    """Median absolute circular error in degrees.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
    period : float

    Returns
    -------
    float

    Examples
    --------
    >>> round(median_circular_error([0.0, 0.0, 0.0], [0.1, 6.2, 0.3], period=2 * np.pi), 4)
    5.7296
    """
    err = np.abs(circular_error(y_true, y_pred, period))
    return float(np.median(err) * _degrees_per_unit(period))


def circular_correlation(y_true: np.ndarray, y_pred: np.ndarray, period: float) -> float:
    """Circular correlation coefficient of Fisher & Lee (1983).

    ``rho = sum_{i,j} sin(a_i - a_j) sin(b_i - b_j) / sqrt(sum sin^2(a_i - a_j)
    sum sin^2(b_i - b_j))`` with angles scaled by ``2 pi / period``, computed in O(n)
    from sums of products of sines and cosines. Unlike the Jammalamadaka-SenGupta
    coefficient it needs no mean direction, so it stays well defined when the stimuli
    cover the circle evenly (the usual design of orientation experiments).

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
    period : float

    Returns
    -------
    float
        In [-1, 1]; 1 when ``y_pred`` equals ``y_true`` up to a rotation; NaN when either
        variable has no spread.

    Examples
    --------
    >>> a = np.arange(0, 180, 6.0)
    >>> round(circular_correlation(a, a, period=180), 6)
    1.0
    >>> round(circular_correlation(a, (a + 1) % 180, period=180), 6)
    1.0
    """
    t = as_numpy(y_true, "y_true", dtype=np.float64, ndim=1) * (2 * np.pi / period)
    p = as_numpy(y_pred, "y_pred", dtype=np.float64, ndim=1) * (2 * np.pi / period)
    check_same_length(t, p, "y_true", "y_pred")
    st, ct, sp, cp = np.sin(t), np.cos(t), np.sin(p), np.cos(p)
    num = (st @ sp) * (ct @ cp) - (st @ cp) * (ct @ sp)
    var_t = (st @ st) * (ct @ ct) - (st @ ct) ** 2
    var_p = (sp @ sp) * (cp @ cp) - (sp @ cp) ** 2
    denom = np.sqrt(var_t * var_p)
    return float(num / denom) if denom > 0 else float("nan")


def _rmse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(np.sqrt(skm.mean_squared_error(y_true, y_pred)))


# Classification scores from one bincount: scikit-learn's metrics validate their inputs
# on every call (~1 ms), which dominates cross-validation and permutation tests of small
# sessions. The definitions are scikit-learn's (the tests compare them).
def _counts(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Confusion counts over the sorted union of labels (rows: true class)."""
    t, p = np.asarray(y_true).ravel(), np.asarray(y_pred).ravel()
    check_same_length(t, p, "y_true", "y_pred")
    labels = np.union1d(t, p)
    k = len(labels)
    ti, pi = np.searchsorted(labels, t), np.searchsorted(labels, p)
    return np.bincount(ti * k + pi, minlength=k * k).reshape(k, k)


def _accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Share of samples whose label is predicted (``accuracy_score``)."""
    C = _counts(y_true, y_pred)
    return float(np.trace(C) / C.sum())


def _balanced_accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean recall over the classes present in ``y_true`` (``balanced_accuracy_score``)."""
    C = _counts(y_true, y_pred)
    support = C.sum(axis=1)
    present = support > 0
    return float(np.mean(np.diag(C)[present] / support[present]))


def _f1_macro(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Unweighted mean of each label's F1 ``2 tp / (2 tp + fp + fn)`` (``f1_score(average=
    "macro")``)."""
    C = _counts(y_true, y_pred)
    tp = np.diag(C)
    return float(np.mean(2 * tp / (C.sum(axis=0) + C.sum(axis=1))))


# name -> (function, greater_is_better, which kinds it applies to)
SCORERS: dict[str, tuple[Callable[..., float], bool, tuple[str, ...]]] = {
    "median_error": (median_circular_error, False, ("circular",)),
    "mean_error": (mean_circular_error, False, ("circular",)),
    "circular_corr": (circular_correlation, True, ("circular",)),
    "r2": (skm.r2_score, True, ("linear",)),
    "rmse": (_rmse, False, ("linear",)),
    "accuracy": (_accuracy, True, ("categorical",)),
    "balanced_accuracy": (_balanced_accuracy, True, ("categorical",)),
    "f1_macro": (_f1_macro, True, ("categorical",)),
}
"""Every named metric: ``(function, greater_is_better, stimulus kinds)``."""

_DEFAULTS = {
    "circular": ("median_error", "mean_error", "circular_corr"),
    "linear": ("r2", "rmse"),
    "categorical": ("accuracy", "balanced_accuracy", "f1_macro"),
}


def default_scoring(kind: str) -> tuple[str, ...]:
    """The metrics reported by default for a stimulus kind, the first one primary.

    Parameters
    ----------
    kind : {"circular", "linear", "categorical"}

    Returns
    -------
    tuple of str

    Examples
    --------
    >>> default_scoring("circular")
    ('median_error', 'mean_error', 'circular_corr')
    """
    check_choice(kind, "kind", tuple(_DEFAULTS), "default_scoring")
    return _DEFAULTS[kind]


def score_grid(func: Callable[[np.ndarray, np.ndarray], float], y_true: np.ndarray,
               y_pred: np.ndarray, lead: int) -> np.ndarray:
    """A metric for every prediction vector in a grid (times, or train x test times).

    Parameters
    ----------
    func : callable
        A metric from :func:`get_scorer`.
    y_true : ndarray of shape (n_samples,) or (n_samples, n_outputs)
    y_pred : ndarray of shape (*grid, n_samples) or (*grid, n_samples, n_outputs)
    lead : int
        Number of grid axes.

    Returns
    -------
    ndarray of shape grid
        ``func(y_true, y_pred[i])`` for every grid index ``i``; accuracy is computed for
        the whole grid at once (the share of equal labels).

    Examples
    --------
    >>> score_grid(_accuracy, np.array([0, 1]), np.array([[0, 1], [0, 0]]), 1).tolist()
    [1.0, 0.5]
    """
    if func is _accuracy and y_pred.ndim == lead + 1:
        return (y_pred == y_true).mean(axis=-1)
    shape = y_pred.shape[:lead]
    flat = y_pred.reshape((-1,) + y_pred.shape[lead:])
    return np.array([func(y_true, p) for p in flat], dtype=float).reshape(shape)


def get_scorer(name: str, kind: str, period: float | None = None
               ) -> tuple[Callable[[np.ndarray, np.ndarray], float], bool]:
    """Look up a metric by name for a stimulus kind.

    Parameters
    ----------
    name : str
        One of :data:`SCORERS`.
    kind : {"circular", "linear", "categorical"}
    period : float, optional
        Needed by circular metrics.

    Returns
    -------
    score : callable ``(y_true, y_pred) -> float``
    greater_is_better : bool

    Raises
    ------
    ValueError
        For unknown names, or a metric that does not apply to ``kind`` (the message
        lists the ones that do).
    """
    usable = [n for n, (_, _, kinds) in SCORERS.items() if kind in kinds]
    if name not in SCORERS or kind not in SCORERS[name][2]:
        raise ValueError(
            f"Unknown scoring {name!r} for a {kind} stimulus. Available: {', '.join(usable)}."
        )
    func, greater, _ = SCORERS[name]
    if kind == "circular":
        return (lambda t, p: func(t, p, period)), greater
    return func, greater


def confusion(y_true: np.ndarray, y_pred: np.ndarray, labels: np.ndarray | None = None,
              normalize: str | None = "true") -> np.ndarray:
    """Confusion matrix (rows: true class, columns: predicted), row-normalised by default.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
    labels : array-like, optional
        Class order; defaults to the sorted union of both.
    normalize : {"true", "pred", "all", None}, default="true"

    Returns
    -------
    ndarray of shape (n_classes, n_classes)
    """
    return skm.confusion_matrix(y_true, y_pred, labels=labels, normalize=normalize)

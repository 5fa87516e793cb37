"""Shrinkage linear discriminant analysis: the population decoder of systems neuroscience.

Gaussian classes with one shared covariance, estimated per class with shrinkage and
averaged with the class priors, exactly as scikit-learn's
``LinearDiscriminantAnalysis(solver="lsqr", shrinkage=...)`` (Ledoit-Wolf with
``"auto"``, Oracle Approximating Shrinkage with ``"oas"``, or a given strength). The
weights solve ``Sigma W' = M'`` (class means ``M``) in closed form, in float64: on the
neurons when they are fewer than the trials, else in the space of the trials, where the
shrunk covariance is a low-rank term plus a diagonal (Woodbury identity), so a
Stringer-sized session (23,589 neurons) never forms a neurons x neurons matrix.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
from scipy.linalg import cho_factor, cho_solve, lstsq
from scipy.special import expit, log_softmax, softmax

from .._threads import thread_budget
from .._validation import check_number
from ._base import ClassifierDecoder
from ._core import activation_patterns

__all__ = ["LDADecoder", "class_shrinkage"]

_TINY = 10 * np.finfo(np.float64).eps


def _ledoit_wolf(Xc: np.ndarray) -> float:
    """scikit-learn's Ledoit-Wolf shrinkage of centred samples ``Xc`` (n, p), with the
    sums over features computed from the samples' Gram matrix (n x n)."""
    n, p = Xc.shape
    if p == 1:
        return 0.0
    X2 = Xc**2
    trace = X2.sum(axis=0) / n
    mu = trace.sum() / p
    gram = Xc @ Xc.T
    delta_ = float(np.sum(gram**2)) / n**2  # ||X'X||_F^2 = ||XX'||_F^2
    row = X2.sum(axis=1)
    beta_ = float(np.sum(row**2))  # sum_i ||x_i||^4 = sum of <X2', X2>
    beta = (beta_ / n - delta_) / (p * n)
    delta = (delta_ - 2.0 * mu * trace.sum() + p * mu**2) / p
    beta = min(beta, delta)
    return 0.0 if beta == 0 else float(beta / delta)


def _oas(Xc: np.ndarray) -> float:
    """scikit-learn's OAS shrinkage of centred samples ``Xc`` (trial-space sums)."""
    n, p = Xc.shape
    if p == 1:
        return 0.0
    gram = Xc @ Xc.T / n
    alpha = float(np.sum(gram**2)) / p**2  # mean(S**2) over the p x p entries
    mu = float(np.trace(gram)) / p
    num = alpha + mu**2
    den = (n + 1) * (alpha - mu**2 / p)
    return 1.0 if den == 0 else float(min(num / den, 1.0))


def class_shrinkage(Xc: np.ndarray, shrinkage: Any) -> tuple[float, np.ndarray]:
    """Shrinkage strength and per-neuron target of one class's centred responses.

    The class covariance is ``(1 - a) S + a diag(target)``, ``S`` the empirical
    covariance (``ddof=0``): with ``"auto"`` (Ledoit-Wolf on the class's standardised
    responses, rescaled, as scikit-learn) the target is ``mu * var_j`` (``mu`` the mean
    standardised variance; constant neurons count with scale 1), with ``"oas"`` or a
    number it is the mean variance ``trace(S) / p`` for every neuron.

    Parameters
    ----------
    Xc : ndarray of shape (n_samples, n_neurons)
        One class's responses minus the class mean.
    shrinkage : "auto", "oas", float in [0, 1] or None

    Returns
    -------
    strength : float
    target : ndarray of shape (n_neurons,)
    """
    n, p = Xc.shape
    var = (Xc**2).mean(axis=0)
    if shrinkage == "auto":
        scale = np.sqrt(var)
        scale = np.where(scale > _TINY, scale, 1.0)  # StandardScaler's rule
        Zc = Xc / scale
        a = _ledoit_wolf(Zc)
        mu = float((Zc**2).mean(axis=0).sum()) / p
        return a, mu * scale**2
    mu = float(var.sum()) / p
    if shrinkage == "oas":
        return _oas(Xc), np.full(p, mu)
    return (0.0 if shrinkage is None else float(shrinkage)), np.full(p, mu)


class LDADecoder(ClassifierDecoder):
    """Linear discriminant analysis with shrinkage of the shared covariance.

    Each class is a Gaussian with its own mean and one shared covariance: the average,
    weighted by the class priors, of the classes' shrunk covariances. Decisions are
    linear in the responses, ``W r + b`` with ``W = M Sigma^-1`` and
    ``b_k = -1/2 w_k . m_k + log pi_k``; probabilities are the softmax of the
    decisions. Equal to scikit-learn's
    ``LinearDiscriminantAnalysis(solver="lsqr", shrinkage=s)`` (``"oas"``:
    ``covariance_estimator=OAS()``) on the standardised responses.

    Parameters
    ----------
    shrinkage : {"auto", "oas"}, float in [0, 1] or None, default="auto"
        ``"auto"``: Ledoit-Wolf's analytic strength per class; ``"oas"``: the Oracle
        Approximating Shrinkage; a number: that strength towards the mean variance;
        None: no shrinkage (needs fewer neurons than trials).
    priors : array-like of shape (n_classes,), optional
        Class priors; default: the training proportions.
    standardize : bool, default=True
        Z-score each neuron with the training statistics first.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (1, n_neurons) for two classes, else (n_classes, n_neurons)
        Weights in the responses' own units (standardisation folded in).
    intercept_ : ndarray of shape (1,) or (n_classes,)
    patterns_ : ndarray of the shape of ``coef_``
        Activation patterns ``Cov(X) W'`` (Haufe et al., 2014): what each neuron
        encodes, as opposed to how the decoder weighs it (MNE-Python's
        ``patterns_``; see :func:`~neurodecode.decoders._core.activation_patterns`).
    means_ : ndarray of shape (n_classes, n_neurons)
        Class means of the standardised responses.
    priors_ : ndarray of shape (n_classes,)
    shrinkage_ : ndarray of shape (n_classes,)
        The strength used for each class.
    mean_, scale_ : ndarray of shape (n_neurons,) or None
    n_features_in_ : int

    Raises
    ------
    ValueError
        At ``fit``: a shrinkage outside [0, 1] or unknown, priors that do not match the
        classes, no shrinkage with more neurons than trials (singular covariance), or
        the errors of every classifier (one class, continuous labels).

    References
    ----------
    Ledoit, O. & Wolf, M. (2004). A well-conditioned estimator for large-dimensional
    covariance matrices. J. Multivar. Anal. 88, 365-411.

    Chen, Y., Wiesel, A., Eldar, Y. C. & Hero, A. O. (2010). Shrinkage algorithms for
    MMSE covariance estimation. IEEE Trans. Signal Process. 58, 5016-5029.

    Examples
    --------
    >>> from neurodecode.data import orientation_population
    >>> rec, _ = orientation_population(80, 300, random_state=0)
    >>> binned = rec.bin_stimulus(4)
    >>> dec = LDADecoder().fit(binned)
    >>> dec.coef_.shape, bool(dec.score(binned) > 0.8)
    ((4, 80), True)
    """

    def __init__(self, shrinkage: Any = "auto", *, priors: Any = None,
                 standardize: bool = True) -> None:
        self.shrinkage = shrinkage
        self.priors = priors
        self.standardize = standardize

    def _check_params(self) -> None:
        super()._check_params()
        s = self.shrinkage
        if s is None or s in ("auto", "oas"):
            return
        if isinstance(s, str) or isinstance(s, bool) or not isinstance(s, numbers.Real):
            raise ValueError(
                f"The 'shrinkage' parameter of {self._owner} must be 'auto', 'oas', a number "
                f"in [0, 1] or None. Got {s!r} instead.")
        check_number(s, "shrinkage", self._owner, low=0, high=1)

    def fit(self, X: Any, y: Any = None) -> LDADecoder:
        """Estimate the class means and the shrunk shared covariance; solve the weights.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_neurons), or Recording
        y : array-like of shape (n_samples,)

        Returns
        -------
        self : LDADecoder
        """
        self._check_params()
        X, codes = self._validate_fit(X, y)
        Z = self._fit_standardizer(np.asarray(X, dtype=np.float64))
        n, p = Z.shape
        k = len(self.classes_)
        counts = np.bincount(codes, minlength=k).astype(np.float64)
        if (counts < 2).any():
            lonely = self.classes_[counts < 2].tolist()
            raise ValueError(
                f"{self._owner} estimates each class's covariance from its trials, so every "
                f"class needs at least 2; class(es) {lonely} have 1. Drop or merge them, or "
                "collect more trials.")
        if self.priors is None:
            priors = counts / n
        else:
            priors = np.asarray(self.priors, dtype=np.float64).ravel()
            if priors.shape != (k,) or (priors < 0).any() or not np.isclose(priors.sum(), 1):
                raise ValueError(
                    f"The 'priors' parameter of {self._owner} must hold {k} non-negative "
                    f"values summing to 1 (one per class of {list(self.classes_)}); got "
                    f"{self.priors!r}.")
        means = np.stack([Z[codes == c].mean(axis=0) for c in range(k)])
        rows, diag, strengths = [], np.zeros(p), np.zeros(k)
        for c in range(k):
            Xc = Z[codes == c] - means[c]
            a, target = class_shrinkage(Xc, self.shrinkage)
            strengths[c] = a
            diag += priors[c] * a * target
            rows.append(np.sqrt(priors[c] * (1.0 - a) / len(Xc)) * Xc)
        low_rank = np.vstack(rows)  # Sigma = low_rank' low_rank + diag(diag)
        with thread_budget(2.0 * n * p * min(n, p)):
            W = self._solve(low_rank, diag, means)
        intercept = -0.5 * np.einsum("kp,kp->k", means, W) + np.log(priors)
        if k == 2:
            W, intercept = W[1:] - W[:1], intercept[1:] - intercept[:1]
        self.means_, self.priors_, self.shrinkage_ = means, priors, strengths
        self.coef_, self.intercept_ = self._fold_standardization(W, intercept)
        self.patterns_ = activation_patterns(X, self.coef_)
        return self

    def _solve(self, L: np.ndarray, d: np.ndarray, M: np.ndarray) -> np.ndarray:
        """``M Sigma^-1`` for ``Sigma = L'L + diag(d)``: on the neurons, or with more
        neurons than samples in the samples' space (Woodbury)."""
        n, p = L.shape
        if p <= n or (d <= 0).any():
            if p > 20_000:
                raise ValueError(
                    f"{self._owner} without shrinkage cannot be fitted with {p} neurons and "
                    f"{n} trials: the covariance is singular and too large to form. Use "
                    "shrinkage='auto' (or 'oas', or a number).")
            sigma = L.T @ L
            sigma[np.diag_indices(p)] += d
            try:
                return cho_solve(cho_factor(sigma), M.T).T
            except np.linalg.LinAlgError:  # singular: scikit-learn's least squares
                return lstsq(sigma, M.T)[0].T
        Ld = L / d  # L diag(d)^-1
        inner = np.eye(n) + Ld @ L.T
        correction = Ld.T @ cho_solve(cho_factor(inner), Ld @ M.T)
        return (M.T / d[:, None] - correction).T

    def _scores(self, X: Any) -> np.ndarray:
        return self.decision_function(X)

    def decision_function(self, X: Any) -> np.ndarray:
        """Linear decision values.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_neurons), or Recording

        Returns
        -------
        ndarray of shape (n_samples,) for two classes, else (n_samples, n_classes)
        """
        X = np.asarray(self._validate_X(X), dtype=np.float64)
        out = X @ self.coef_.T + self.intercept_
        return out[:, 0] if out.shape[1] == 1 else out

    def predict_proba(self, X: Any) -> np.ndarray:
        """Posterior class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_neurons), or Recording

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        scores = self.decision_function(X)
        if scores.ndim == 1:
            p = expit(scores)
            return np.stack([1.0 - p, p], axis=1)
        return softmax(scores, axis=1)

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_neurons), or Recording

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return np.log(self.predict_proba(X))
        return log_softmax(scores, axis=1)



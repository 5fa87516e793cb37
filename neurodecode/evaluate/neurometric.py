"""Neurometric discrimination thresholds: how small a stimulus difference a population reports.

For reference angles spread over the circle, a linear read-out of the population is
trained (on training folds only) to say on which side of the reference a stimulus lies;
every held-out trial near a reference is one two-alternative decision. The fraction of
correct decisions rises with the separation of the two alternatives, a psychometric
function is fitted to it, and the threshold is the separation at which 75% of the
decisions are correct, with a bootstrap confidence interval over trials.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from scipy import optimize, special, stats
from sklearn.base import clone, is_classifier

from .._validation import as_numpy, check_choice, check_number
from ..data import Recording
from ..decoders._core import standardization, standardize
from ..decoders.linear import ridge_loo_predictions
from .splits import make_splits

__all__ = ["NeurometricResult", "neurometric_threshold"]

DEFAULT_L2 = (1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0)
"""Penalty strengths the default read-out chooses from, per training fold, by leave-one-out."""

_PSYCHOMETRIC = ("gaussian", "logistic")
_METHODS = ("local", "decode")
_DISCRETE_MAX = 64  # at most this many distinct stimulus values: a discrete design
_TOL = 1e-9


# --------------------------------------------------------------------------- small helpers
def _wrap(x: np.ndarray, period: float) -> np.ndarray:
    """Signed circular difference in ``[-period / 2, period / 2)``."""
    return (np.asarray(x, dtype=np.float64) + period / 2) % period - period / 2


def _unit(period: float | None) -> str:
    return " deg" if period in (180.0, 360.0) else ""


def _is_discrete(stimulus: np.ndarray) -> bool:
    """A few stimulus values, each repeated: a discrete design (e.g. 4 or 8 gratings)."""
    n_values = len(np.unique(stimulus))
    return n_values <= _DISCRETE_MAX and len(stimulus) >= 2 * n_values


def _discrete_references(values: np.ndarray, period: float) -> np.ndarray:
    """Midpoints (on the shorter arc) of every pair of stimulus values."""
    refs = []
    for i, a in enumerate(values):
        for b in values[i + 1:]:
            refs.append(a + _wrap(b - a, period) / 2)
    refs_arr = np.round(np.mod(refs, period), 9)
    return np.unique(np.where(refs_arr >= period, 0.0, refs_arr))


# --------------------------------------------------------------------------- psychometric
def _p_correct(delta: np.ndarray, sigma: float, lapse: float, kind: str) -> np.ndarray:
    """``0.5 + (0.5 - lapse) (2 F(delta / (2 sigma)) - 1)``, F a unit-variance CDF."""
    x = np.asarray(delta, dtype=np.float64) / (2 * sigma)
    F = stats.norm.cdf(x) if kind == "gaussian" else special.expit(x * np.pi / np.sqrt(3))
    return 0.5 + (0.5 - lapse) * (2 * F - 1)


def _threshold_of(sigma: float, lapse: float, kind: str, criterion: float) -> float:
    """Separation at which the psychometric function reaches ``criterion``."""
    q = (1 + (criterion - 0.5) / (0.5 - lapse)) / 2
    x = stats.norm.ppf(q) if kind == "gaussian" else special.logit(q) * np.sqrt(3) / np.pi
    return float(2 * sigma * x)


def _nll(delta: np.ndarray, correct: np.ndarray, weights: np.ndarray, sigma: float,
         lapse: float, kind: str) -> float:
    p = np.clip(_p_correct(delta, sigma, lapse, kind), 1e-12, 1 - 1e-12)
    return float(-(weights * (correct * np.log(p) + (1 - correct) * np.log1p(-p))).sum())


def _fit_psychometric(delta: np.ndarray, correct: np.ndarray, weights: np.ndarray | None,
                      kind: str, lapse: bool, criterion: float) -> tuple[float, float, float]:
    """Maximum-likelihood ``(sigma, lapse, threshold)`` from single decisions."""
    w = np.ones(len(delta)) if weights is None else weights
    keep = w > 0
    delta, correct, w = delta[keep], correct[keep], w[keep]
    if len(delta) == 0:
        return float("nan"), 0.0, float("nan")
    lo, hi = np.log(delta.min() * 1e-3), np.log(delta.max() * 1e3)
    res = optimize.minimize_scalar(
        lambda ls: _nll(delta, correct, w, np.exp(ls), 0.0, kind), bounds=(lo, hi),
        method="bounded", options={"xatol": 1e-5})
    sigma, lam = float(np.exp(res.x)), 0.0
    if lapse:
        lam_max = min(0.2, 0.8 * (1 - criterion))
        res2 = optimize.minimize(
            lambda v: _nll(delta, correct, w, np.exp(v[0]), v[1], kind),
            x0=[np.log(sigma), 0.01], method="L-BFGS-B", bounds=[(lo, hi), (0.0, lam_max)])
        sigma, lam = float(np.exp(res2.x[0])), float(res2.x[1])
    return sigma, lam, _threshold_of(sigma, lam, kind, criterion)


# --------------------------------------------------------------------------- read-outs
def _standardized(X: torch.Tensor, train: np.ndarray, test: np.ndarray
                  ) -> tuple[torch.Tensor, torch.Tensor]:
    """Training and test rows z-scored with the training rows' mean and SD."""
    Xtr, Xte = X[train], X[test]
    mean, sd = standardization(Xtr)
    return standardize(Xtr, mean, sd), standardize(Xte, mean, sd)


def _window_folds(d: np.ndarray, window: float, splits: list) -> list[tuple[np.ndarray,
                                                                            np.ndarray]]:
    """Each split restricted to trials within the window (and not on the reference)."""
    inside = (np.abs(d) <= window + _TOL) & (np.abs(d) > _TOL)
    out = []
    for train, test in splits:
        tr, te = train[inside[train]], test[inside[test]]
        if min((d[tr] > 0).sum(), (d[tr] < 0).sum()) >= 2 and len(te):
            out.append((tr, te))
    return out


def _local_decisions(recording: Recording, refs: np.ndarray, window: float, splits: list,
                     decoder: Any, l2s: np.ndarray) -> tuple[dict[str, np.ndarray], list]:
    """One read-out per (reference, fold) on the window's training trials."""
    X, s, period = recording.responses, recording.stimulus, float(recording.period)
    big = X.shape[1] * X.shape[0] > 2e7
    Xall = torch.from_numpy(X) if big else torch.from_numpy(X).double()
    parts: dict[str, list[np.ndarray]] = {"trial": [], "reference": [], "difference": [],
                                          "correct": []}
    chosen: list[float] = []
    for j, theta in enumerate(refs):
        d = _wrap(s - theta, period)
        for tr, te in _window_folds(d, window, splits):
            if decoder is None:
                Z, Zte = _standardized(Xall, tr, te)
                pred, l2 = ridge_loo_predictions(Z, Zte, d[tr], l2s)
                choice = pred > 0
                chosen.append(l2)
            else:
                choice = _estimator_choice(decoder, X[tr], d[tr], X[te])
            parts["trial"].append(te)
            parts["reference"].append(np.full(len(te), j))
            parts["difference"].append(d[te])
            parts["correct"].append(choice == (d[te] > 0))
    return {k: np.concatenate(v) if v else np.empty(0) for k, v in parts.items()}, chosen


def _estimator_choice(decoder: Any, Xtr: np.ndarray, d_tr: np.ndarray, Xte: np.ndarray
                      ) -> np.ndarray:
    """"Clockwise of the reference" from a classifier (side labels) or a regressor (d)."""
    est = clone(decoder)
    if is_classifier(est):
        est.fit(Xtr, (d_tr > 0).astype(np.int64))
        return np.asarray(est.predict(Xte)) == 1
    est.fit(Xtr, d_tr)
    return np.ravel(np.asarray(est.predict(Xte))) > 0


def _decode_decisions(recording: Recording, refs: np.ndarray, window: float, splits: list,
                      decoder: Any) -> dict[str, np.ndarray]:
    """Cross-validated angle estimates, compared with each reference."""
    from .cross_validate import cross_validate

    if decoder is None:
        from ..decoders.basis import BasisDecoder

        decoder = BasisDecoder(device="cpu")
    if is_classifier(decoder):
        raise ValueError(
            f"method='decode' needs a regressor of the angle (BasisDecoder, LinearDecoder); "
            f"got the classifier {type(decoder).__name__}. Use method='local' for classifiers."
        )
    res = cross_validate(decoder, recording, cv=splits)
    tested = np.zeros(recording.n_samples, dtype=bool)
    for _, te in splits:
        tested[te] = True
    s, period = recording.stimulus, float(recording.period)
    parts: dict[str, list[np.ndarray]] = {"trial": [], "reference": [], "difference": [],
                                          "correct": []}
    for j, theta in enumerate(refs):
        d = _wrap(s - theta, period)
        keep = np.flatnonzero(tested & (np.abs(d) <= window + _TOL) & (np.abs(d) > _TOL))
        d_hat = _wrap(res.y_pred[keep] - theta, period)
        parts["trial"].append(keep)
        parts["reference"].append(np.full(len(keep), j))
        parts["difference"].append(d[keep])
        parts["correct"].append((d_hat > 0) == (d[keep] > 0))
    return {k: np.concatenate(v) for k, v in parts.items()}


# --------------------------------------------------------------------------- result
@dataclass
class NeurometricResult:
    """A neurometric function and its 75%-correct discrimination threshold.

    Attributes
    ----------
    threshold : float
        Separation of the two alternatives (stimulus units) at ``criterion`` correct,
        from the fitted psychometric function.
    ci : (float, float)
        Bootstrap confidence interval of the threshold (NaN without bootstrap).
    sigma : float
        Scale of the fitted psychometric function: the standard deviation of an
        equivalent unbiased estimate of the stimulus (``threshold = 1.349 sigma`` for
        the Gaussian at 75% without lapse).
    lapse : float
        Fitted lapse rate (0 unless ``lapse=True``).
    deltas : ndarray of shape (n_deltas,)
        Separations at which the fraction correct is reported (bin centres).
    fraction_correct : ndarray of shape (n_deltas,)
        Fraction of held-out decisions that were correct, per bin (NaN when empty).
    n_decisions : ndarray of shape (n_deltas,)
        Held-out decisions per bin.
    reference : ndarray of shape (n_references,)
    threshold_per_reference : ndarray of shape (n_references,)
        The psychometric fit of each reference's decisions alone.
    window : float
        Trials within ``+- window`` of a reference were used for it.
    period : float
    psychometric : {"gaussian", "logistic"}
    criterion : float
    confidence : float
    bootstrap : ndarray of shape (n_bootstrap,)
        Threshold of each bootstrap resample of trials.
    outcomes : dict of str to ndarray
        One entry per held-out decision: ``trial`` (row of the recording),
        ``reference`` (index into ``reference``), ``difference`` (signed stimulus minus
        reference; the separation is twice its size) and ``correct``.
    method : str
    decoder : str
    l2 : ndarray
        Penalty chosen for each (reference, fold) by the default read-out (empty else).
    n_folds : int
    """

    threshold: float
    ci: tuple[float, float]
    sigma: float
    lapse: float
    deltas: np.ndarray
    fraction_correct: np.ndarray
    n_decisions: np.ndarray
    reference: np.ndarray
    threshold_per_reference: np.ndarray
    window: float
    period: float
    psychometric: str
    criterion: float
    confidence: float
    bootstrap: np.ndarray
    outcomes: dict[str, np.ndarray] = field(repr=False)
    method: str = "local"
    decoder: str = "ridge"
    l2: np.ndarray = field(default_factory=lambda: np.empty(0))
    n_folds: int = 0

    @property
    def extrapolated(self) -> bool:
        """True when the threshold lies outside the separations that were tested."""
        sep = 2 * np.abs(self.outcomes["difference"])
        return bool(not (sep.min() <= self.threshold <= sep.max())) if len(sep) else True

    def predict(self, delta: Any) -> np.ndarray:
        """The fitted psychometric function: probability correct at each separation.

        Parameters
        ----------
        delta : array-like
            Separations of the two alternatives, in stimulus units.

        Returns
        -------
        ndarray
            Same shape as ``delta``.
        """
        return _p_correct(np.asarray(delta, dtype=np.float64), self.sigma, self.lapse,
                          self.psychometric)

    def plot(self, ax: Axes | None = None, *, label: str | None = None) -> Figure:
        """Fraction correct against separation (log axis), the fit and the threshold.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Draw into it (a new Figure otherwise).
        label : str, optional
            Legend label of the fitted curve (default: the threshold and its interval).

        Returns
        -------
        matplotlib.figure.Figure
        """
        if ax is None:
            fig = Figure(figsize=(4.5, 3.5), layout="constrained")
            ax = fig.add_subplot()
        fig = ax.figure
        ok = self.n_decisions > 0
        p, n = self.fraction_correct[ok], self.n_decisions[ok]
        err = np.sqrt(p * (1 - p) / n)
        line = ax.errorbar(self.deltas[ok], p, yerr=err, fmt="o", ms=4, capsize=2)
        lo = min(self.deltas[ok].min(), self.threshold) / 2 if ok.any() else self.threshold / 4
        x = np.geomspace(lo, 2 * self.window, 200)
        u = _unit(self.period)
        text = label or f"threshold {self.threshold:.3g}{u} [{self.ci[0]:.3g}, {self.ci[1]:.3g}]"
        ax.plot(x, self.predict(x), color=line[0].get_color(), label=text)
        ax.axhline(0.5, color="0.6", lw=0.8, ls=":")
        ax.axhline(self.criterion, color="0.6", lw=0.8, ls="--")
        ax.axvline(self.threshold, color=line[0].get_color(), lw=0.8, ls="--")
        if np.all(np.isfinite(self.ci)):
            ax.axvspan(*self.ci, color=line[0].get_color(), alpha=0.15, lw=0)
        ax.set_xscale("log")
        ax.set_ylim(0.4, 1.02)
        ax.set_xlabel(f"stimulus difference{' (deg)' if u else ''}")
        ax.set_ylabel("fraction correct (held out)")
        ax.legend(loc="lower right", fontsize="small")
        return fig  # type: ignore[return-value]

    def summary(self) -> str:
        """Threshold, interval, fit and the fraction correct per separation, as text.

        Returns
        -------
        str
        """
        u = _unit(self.period)
        pct = round(100 * self.criterion)
        lines = [
            f"Neurometric threshold ({pct}% correct): {self.threshold:.4g}{u} "
            f"[{100 * self.confidence:.0f}% CI {self.ci[0]:.4g}, {self.ci[1]:.4g}; "
            f"{len(self.bootstrap)} bootstrap resamples of trials]"
            + (" (extrapolated)" if self.extrapolated else ""),
            f"  psychometric: {self.psychometric}, sigma {self.sigma:.4g}{u}, lapse "
            f"{self.lapse:.3g}; from the reference (Stringer et al.'s convention): "
            f"{self.threshold / 2:.4g}{u}",
            f"  {len(self.reference)} references, window +-{self.window:.4g}{u}, "
            f"{self.n_folds}-fold CV, {self.method} read-out: {self.decoder}",
            f"  {len(self.outcomes['correct'])} held-out decisions",
        ]
        for d, p, n in zip(self.deltas, self.fraction_correct, self.n_decisions):
            if n:
                lines.append(f"    delta {d:9.4g}{u}: {p:.3f} correct (n={n})")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python summary (JSON-serialisable), without the per-decision outcomes.

        Returns
        -------
        dict
        """
        def floats(a: np.ndarray) -> list[float]:
            return [float(x) for x in np.asarray(a, dtype=np.float64)]

        return {
            "threshold": float(self.threshold), "ci": floats(np.asarray(self.ci)),
            "sigma": float(self.sigma), "lapse": float(self.lapse),
            "criterion": float(self.criterion), "confidence": float(self.confidence),
            "psychometric": self.psychometric, "deltas": floats(self.deltas),
            "fraction_correct": floats(self.fraction_correct),
            "n_decisions": [int(n) for n in self.n_decisions],
            "reference": floats(self.reference),
            "threshold_per_reference": floats(self.threshold_per_reference),
            "window": float(self.window), "period": float(self.period),
            "method": self.method, "decoder": self.decoder, "l2": floats(self.l2),
            "n_folds": int(self.n_folds), "n_bootstrap": len(self.bootstrap),
            "extrapolated": self.extrapolated,
        }


# --------------------------------------------------------------------------- main function
def _bin_decisions(separation: np.ndarray, correct: np.ndarray, deltas: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Fraction correct and count per bin, bins centred (in log) on ``deltas``."""
    edges = np.concatenate([[0.0], np.sqrt(deltas[:-1] * deltas[1:]), [np.inf]])
    which = np.clip(np.searchsorted(edges, separation, side="right") - 1, 0, len(deltas) - 1)
    n = np.bincount(which, minlength=len(deltas))
    hits = np.bincount(which, weights=correct.astype(float), minlength=len(deltas))
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(n > 0, hits / np.maximum(n, 1), np.nan)
    return frac, n


def _default_deltas(separation: np.ndarray, window: float, discrete: bool) -> np.ndarray:
    if discrete:
        return np.unique(np.round(separation, 6))
    lo = max(float(np.quantile(separation, 0.01)), 2 * window * 1e-3)
    return np.geomspace(lo, 2 * window, 12)


def _bootstrap(outcomes: dict[str, np.ndarray], n_bootstrap: int, kind: str, lapse: bool,
               criterion: float, rng: np.random.Generator) -> np.ndarray:
    """Thresholds refitted on resamples of trials (all decisions of a trial together)."""
    trials, index = np.unique(outcomes["trial"], return_inverse=True)
    sep = 2 * np.abs(outcomes["difference"])
    correct = outcomes["correct"].astype(float)
    out = np.empty(n_bootstrap)
    for b in range(n_bootstrap):
        counts = np.bincount(rng.integers(0, len(trials), len(trials)), minlength=len(trials))
        out[b] = _fit_psychometric(sep, correct, counts[index].astype(float), kind, lapse,
                                   criterion)[2]
    return out


def _check_inputs(recording: Any, method: str, psychometric: str, criterion: float,
                  n_bootstrap: int, confidence: float) -> None:
    owner = "neurometric_threshold"
    if not isinstance(recording, Recording):
        raise TypeError(
            f"{owner} takes a Recording; got {type(recording).__name__}. Build one with "
            "neurodecode.data.Recording(responses, stimulus, kind='circular', period=...)."
        )
    recording.require_single_time(owner)
    if recording.kind != "circular":
        raise ValueError(
            f"{owner} needs a circular stimulus (orientation, direction); this Recording's "
            f"stimulus is {recording.kind}."
        )
    check_choice(method, "method", _METHODS, owner)
    check_choice(psychometric, "psychometric", _PSYCHOMETRIC, owner)
    check_number(criterion, "criterion", owner, low=0.5, high=1, low_inclusive=False,
                 high_inclusive=False)
    check_number(n_bootstrap, "n_bootstrap", owner, low=0, integer=True)
    check_number(confidence, "confidence", owner, low=0, high=1, low_inclusive=False,
                 high_inclusive=False)


def _resolve_geometry(recording: Recording, reference: Any, window: float | None
                      ) -> tuple[np.ndarray, float, bool]:
    """References (wrapped into the period), the window, and whether the design is discrete."""
    owner = "neurometric_threshold"
    period = float(recording.period)  # type: ignore[arg-type]
    discrete = _is_discrete(recording.stimulus)
    if window is None:
        window = period / 4 if discrete else period / 9
    check_number(window, "window", owner, low=0, high=period / 4, low_inclusive=False)
    if reference is None:
        refs = (_discrete_references(np.unique(recording.stimulus), period) if discrete
                else np.arange(8) * period / 8)
    else:
        refs = np.atleast_1d(as_numpy(reference, "reference", dtype=np.float64, owner=owner))
        if refs.ndim != 1 or not np.all(np.isfinite(refs)) or refs.size == 0:
            raise ValueError(
                f"The 'reference' parameter of {owner} must be a non-empty 1-D array of "
                f"finite angles. Got {reference!r} instead."
            )
        refs = np.mod(refs, period)
    return refs, float(window), discrete


def _resolve_l2(l2: float | Sequence[float]) -> np.ndarray:
    values = np.atleast_1d(np.asarray(l2, dtype=np.float64)) if not isinstance(l2, str) \
        else np.array([np.nan])
    if values.ndim != 1 or values.size == 0 or not np.all(np.isfinite(values)) or \
            np.any(values < 0):
        raise ValueError(
            f"The 'l2' parameter of neurometric_threshold must be a float >= 0 or a "
            f"non-empty sequence of them (chosen per fold by leave-one-out). Got {l2!r} "
            "instead."
        )
    return values


def neurometric_threshold(
    recording: Recording,
    *,
    reference: Any = None,
    deltas: Any = None,
    window: float | None = None,
    method: str = "local",
    decoder: Any = None,
    l2: float | Sequence[float] = DEFAULT_L2,
    cv: int | Any = 5,
    psychometric: str = "gaussian",
    lapse: bool = False,
    criterion: float = 0.75,
    n_bootstrap: int = 200,
    confidence: float = 0.95,
    random_state: int | None = 0,
) -> NeurometricResult:
    """Cross-validated neurometric function and discrimination threshold of a population.

    How trials are picked from a continuously sampled stimulus: for a reference ``theta``,
    every trial whose stimulus ``s`` lies within ``+- window`` of it (``d = s - theta``
    on the circle, ``0 < |d| <= window``) is used. A held-out trial stands for the
    discrimination of ``theta - |d|`` vs ``theta + |d|``, two alternatives ``2 |d|``
    apart, and is correct when the read-out puts it on its true side of ``theta``. The
    separation ``delta = 2 |d|`` is the x axis: the threshold is the separation of the
    two stimuli discriminated at 75% correct. With a discrete design (a few repeated
    stimulus values) the default references are the midpoints between pairs of values,
    so each decision is exactly "stimulus a or stimulus b".

    Parameters
    ----------
    recording : Recording
        Circular stimulus (orientation or direction), one row per trial.
    reference : array-like, optional
        Reference angles (stimulus units). Default: 8 angles evenly spread over the
        circle, or for a discrete design the midpoints between every pair of stimulus
        values.
    deltas : array-like, optional
        Separations at which the fraction correct is reported: decisions are pooled in
        bins centred (on a log scale) on these values. Default: 12 log-spaced values up
        to ``2 * window`` (the distinct separations for a discrete design). The
        psychometric fit uses every decision at its own separation.
    window : float, optional
        Half-width of the range of stimuli used around each reference, at most
        ``period / 4``. Default: ``period / 9`` (20 deg for orientation), or
        ``period / 4`` for a discrete design. A narrower window keeps the read-out local
        (closer to the Fisher bound) but leaves fewer trials.
    method : {"local", "decode"}, default="local"
        ``"local"``: for each reference and training fold, a linear read-out of the
        window's training trials (see ``decoder``), whose sign is the choice.
        ``"decode"``: the angle of every trial is decoded by ``decoder`` cross-validated
        on all trials, and the choice is the alternative closer to the decoded angle.
    decoder : estimator, optional
        ``method="local"``: None is a ridge regression of ``d`` on the z-scored
        responses with the penalty chosen from ``l2`` (fast, exact); a regressor is fitted
        to ``d``, a classifier (``LogisticDecoder``) to the side. ``method="decode"``: a
        regressor of the angle (default ``BasisDecoder()``).
    l2 : float or sequence of float, default=DEFAULT_L2
        Penalty of the default read-out (``Ridge(alpha=n_train * l2)``); a sequence is
        searched per reference and training fold by exact leave-one-out error on the
        training trials only.
    cv : int, splitter or iterable of (train, test), default=5
        Cross-validation of the whole recording (see
        :func:`~neurodecode.evaluate.make_splits`); each reference uses the trials of
        each split that fall in its window.
    psychometric : {"gaussian", "logistic"}, default="gaussian"
        ``P(delta) = 0.5 + (0.5 - lapse) (2 F(delta / (2 sigma)) - 1)`` with ``F`` the
        cumulative Gaussian or the logistic of unit variance.
    lapse : bool, default=False
        Fit a lapse rate (at most 0.2) instead of fixing it at 0.
    criterion : float, default=0.75
        Fraction correct defining the threshold, in (0.5, 1).
    n_bootstrap : int, default=200
        Resamples of trials (with replacement; all decisions of a trial together) for
        the confidence interval; 0 skips it. The read-outs are not refitted, so the
        interval reflects the test trials' sampling only.
    confidence : float, default=0.95
        Level of the percentile confidence interval.
    random_state : int or None, default=0
        Seeds the splits and the bootstrap.

    Returns
    -------
    NeurometricResult
        ``threshold``, ``ci``, ``fraction_correct`` per delta, the fit, ``plot()``,
        ``summary()``, ``to_dict()``.

    Raises
    ------
    TypeError
        If ``recording`` is not a Recording.
    ValueError
        For a non-circular stimulus, bad parameters (the message names them), or when
        no reference has training trials on both of its sides.

    See Also
    --------
    neurodecode.evaluate.scaling.scaling_curve : threshold against number of neurons.
    neurodecode.decoders.basis.BasisDecoder : the angle read-out of ``method="decode"``.

    Notes
    -----
    For an unbiased read-out whose estimate of the stimulus has standard deviation
    ``sigma``, deciding which of two stimuli ``delta`` apart was shown by which is
    closer is correct with probability ``Phi(delta / (2 sigma))``, so the 75% threshold
    is ``2 Phi^-1(0.75) sigma = 1.349 sigma``. No unbiased read-out beats the
    Cramér-Rao bound ``sigma >= 1 / sqrt(I(theta))``: the threshold is at least
    ``1.349 / sqrt(I)``. A linear read-out trained near ``theta`` reaches it for
    independent noise as trials grow (the regression of ``d`` on the responses points
    along ``Sigma^-1 f'(theta)``, the optimal linear discriminant); information-limiting
    correlations (``1 / I = 1 / I_0 + sigma_s^2``) make it saturate at
    ``1.349 sigma_s`` however many neurons are recorded.

    The default read-out is exact ridge regression on the training trials of the
    window, z-scored with their statistics, solved once per (reference, fold) through
    the eigendecomposition of the smaller Gram matrix, which also gives every penalty's
    leave-one-out error in closed form.

    Stringer et al. (2021) report the angle from the reference at which 75% of
    clockwise/anticlockwise reports are correct, which is half the separation used here
    (``result.threshold / 2``).

    References
    ----------
    Stringer, C., Michaelos, M., Tsyboulski, D., Lindo, S. E. & Pachitariu, M. (2021).
    High-precision coding in visual cortex. Cell 184(10), 2767-2778.

    Moreno-Bote, R. et al. (2014). Information-limiting correlations. Nature
    Neuroscience 17, 1410-1417.

    Examples
    --------
    >>> from neurodecode.data import orientation_population
    >>> rec, truth = orientation_population(60, 1500, random_state=0)
    >>> res = neurometric_threshold(rec, n_bootstrap=20)
    >>> bool(res.ci[0] <= res.threshold <= res.ci[1])
    True
    >>> bound = 1.349 * truth.cramer_rao_bound(res.reference)
    >>> bool(0.8 < res.threshold / bound.mean() < 2)
    True
    """
    _check_inputs(recording, method, psychometric, criterion, n_bootstrap, confidence)
    refs, window, discrete = _resolve_geometry(recording, reference, window)
    l2s = _resolve_l2(l2)
    splits = make_splits(recording, cv, random_state=random_state)
    chosen: list[float] = []
    if method == "local":
        outcomes, chosen = _local_decisions(recording, refs, window, splits, decoder, l2s)
    else:
        outcomes = _decode_decisions(recording, refs, window, splits, decoder)
    if len(outcomes["correct"]) == 0:
        raise ValueError(
            f"No reference has training trials on both of its sides within window="
            f"{window:g}: widen the window, change the references, or use fewer folds."
        )
    if decoder is not None:
        name = repr(decoder)
    elif method == "decode":
        name = "BasisDecoder(device='cpu')"
    else:
        name = ("ridge, l2 by leave-one-out from " + ", ".join(f"{v:g}" for v in l2s)
                if len(l2s) > 1 else f"ridge, l2={l2s[0]:g}")
    return _assemble(outcomes, recording, refs, window, discrete, deltas, method, name,
                     chosen, len(splits), psychometric, lapse, criterion, n_bootstrap,
                     confidence, random_state)


def _assemble(outcomes: dict[str, np.ndarray], recording: Recording, refs: np.ndarray,
              window: float, discrete: bool, deltas: Any, method: str, name: str,
              chosen: list[float], n_folds: int, kind: str, lapse: bool, criterion: float,
              n_bootstrap: int, confidence: float, random_state: int | None
              ) -> NeurometricResult:
    """Fit the psychometric function, bin the decisions, bootstrap the threshold."""
    sep = 2 * np.abs(outcomes["difference"])
    correct = outcomes["correct"].astype(float)
    sigma, lam, threshold = _fit_psychometric(sep, correct, None, kind, lapse, criterion)
    if deltas is None:
        centres = _default_deltas(sep, window, discrete)
    else:
        centres = np.sort(np.atleast_1d(as_numpy(deltas, "deltas", dtype=np.float64)))
        if centres.ndim != 1 or centres.size == 0 or not np.all(centres > 0):
            raise ValueError(
                f"The 'deltas' parameter of neurometric_threshold must be positive "
                f"separations. Got {deltas!r} instead."
            )
    frac, n = _bin_decisions(sep, correct, centres)
    per_ref = np.array([
        _fit_psychometric(sep[m], correct[m], None, kind, lapse, criterion)[2]
        if (m := outcomes["reference"] == j).sum() >= 10 else np.nan
        for j in range(len(refs))])
    boot = _bootstrap(outcomes, n_bootstrap, kind, lapse, criterion,
                      np.random.default_rng(random_state))
    alpha = (1 - confidence) / 2
    ci = (float(np.quantile(boot, alpha)), float(np.quantile(boot, 1 - alpha))) if \
        n_bootstrap else (float("nan"), float("nan"))
    return NeurometricResult(
        threshold=threshold, ci=ci, sigma=sigma, lapse=lam, deltas=centres,
        fraction_correct=frac, n_decisions=n, reference=refs, threshold_per_reference=per_ref,
        window=window, period=float(recording.period),  # type: ignore[arg-type]
        psychometric=kind, criterion=float(criterion), confidence=float(confidence),
        bootstrap=boot, outcomes=outcomes, method=method, decoder=name,
        l2=np.asarray(chosen, dtype=np.float64), n_folds=n_folds,
    )

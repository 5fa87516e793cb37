"""How decoding improves with more neurons and more trials, and where it saturates.

:func:`scaling_curve` cross-validates a decoder on random subsets of neurons (all trials)
and on random subsets of training trials (all neurons), repeated, and fits
``error^2 = a / size + b`` to each curve. With independent noise the Fisher information
grows in proportion to the number of neurons and the error keeps falling; correlations
that limit information make it level off at ``sqrt(b)``, whatever the number of neurons.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FormatStrFormatter, LogLocator, NullFormatter
from scipy import optimize
from sklearn.base import clone
from tqdm.auto import tqdm

from .._validation import as_numpy, check_number
from ..data import Recording
from .cross_validate import _adapt_decoder, cross_validate
from .metrics import default_scoring, get_scorer
from .splits import make_splits

__all__ = ["AsymptoteFit", "ScalingCurve", "ScalingResult", "fit_asymptote", "scaling_curve"]

_THRESHOLD = "threshold"


# --------------------------------------------------------------------------- asymptote
@dataclass
class AsymptoteFit:
    """``error(size)^2 = a / size + b``: an error that levels off at ``sqrt(b)``.

    Read as information (``1 / error^2``): ``I(size) = size / (a + b size)``, which grows
    like ``size / a`` for small sizes and saturates at ``1 / b``; it reaches half of that
    limit at ``size = a / b``. For neurons with information-limiting correlations of
    strength ``eps`` (``1 / I = 1 / (I_0 N) + eps``) this is exactly ``a = 1 / I_0``,
    ``b = eps``.

    Attributes
    ----------
    a : float
        Variance term that shrinks with size (error^2 x size).
    b : float
        The floor of error^2 (0: no saturation within the data).
    """

    a: float
    b: float

    @property
    def asymptote(self) -> float:
        """Error with unlimited size, ``sqrt(b)``, in the metric's units."""
        return float(np.sqrt(self.b))

    @property
    def information_limit(self) -> float:
        """``1 / b`` (infinite when there is no floor)."""
        return float(np.inf) if self.b <= 0 else float(1 / self.b)

    @property
    def half_size(self) -> float:
        """Size at which the information reaches half its limit, ``a / b``."""
        return float(np.inf) if self.b <= 0 else float(self.a / self.b)

    def predict(self, size: Any) -> np.ndarray:
        """The fitted error ``sqrt(a / size + b)``.

        Parameters
        ----------
        size : array-like

        Returns
        -------
        ndarray
        """
        return np.sqrt(self.a / np.asarray(size, dtype=np.float64) + self.b)

    def information(self, size: Any) -> np.ndarray:
        """The fitted information ``1 / (a / size + b)`` (in 1 / metric units^2).

        Parameters
        ----------
        size : array-like

        Returns
        -------
        ndarray
        """
        return 1.0 / (self.a / np.asarray(size, dtype=np.float64) + self.b)


def fit_asymptote(sizes: Any, errors: Any) -> AsymptoteFit:
    """Fit ``error^2 = a / size + b`` with ``a, b >= 0`` (relative least squares).

    Each point is weighted by ``1 / error^2``, so small and large errors count alike
    (a fit on a log scale, to first order); the problem is linear in ``(a, b)`` and
    solved exactly by non-negative least squares.

    Parameters
    ----------
    sizes : array-like of shape (n_sizes,)
        Positive sizes (neurons or trials).
    errors : array-like of shape (n_sizes,)
        Positive errors (median error, RMSE, threshold...) at those sizes.

    Returns
    -------
    AsymptoteFit

    Raises
    ------
    ValueError
        For fewer than 2 points, non-positive or non-finite values, or lengths that
        differ.

    Examples
    --------
    >>> n = np.array([10, 30, 100, 300, 1000])
    >>> fit = fit_asymptote(n, np.sqrt(4.0 / n + 0.25))
    >>> round(fit.a, 6), round(fit.b, 6), round(fit.asymptote, 6)
    (4.0, 0.25, 0.5)
    """
    x = as_numpy(sizes, "sizes", dtype=np.float64, ndim=1, owner="fit_asymptote")
    e = as_numpy(errors, "errors", dtype=np.float64, ndim=1, owner="fit_asymptote")
    if len(x) != len(e) or len(x) < 2:
        raise ValueError(
            f"fit_asymptote needs at least 2 (size, error) pairs of equal length; got "
            f"{len(x)} sizes and {len(e)} errors."
        )
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(e)) and np.all(x > 0)
            and np.all(e > 0)):
        raise ValueError(
            "fit_asymptote needs positive, finite sizes and errors (an error metric such "
            f"as median_error or threshold). Got sizes {x.tolist()} and errors {e.tolist()}."
        )
    e2 = e**2
    A = np.c_[1.0 / x, np.ones_like(x)] / e2[:, None]
    (a, b), _ = optimize.nnls(A, np.ones_like(x))
    return AsymptoteFit(a=float(a), b=float(b))


# --------------------------------------------------------------------------- result
@dataclass
class ScalingCurve:
    """One axis of a scaling analysis: a metric against the number of neurons or trials.

    Attributes
    ----------
    axis : {"neurons", "trials"}
        ``"trials"`` counts training trials per fold (the test folds stay whole).
    sizes : ndarray of shape (n_sizes,)
    scores : ndarray of shape (n_sizes, n_repeats)
        The metric (mean over folds) for each random subset.
    fit : AsymptoteFit or None
        ``error^2 = a / size + b``, for error metrics.
    """

    axis: str
    sizes: np.ndarray
    scores: np.ndarray
    fit: AsymptoteFit | None

    @property
    def mean(self) -> np.ndarray:
        """Mean over repeats, per size."""
        return self.scores.mean(axis=1)

    @property
    def sem(self) -> np.ndarray:
        """Standard error of the mean over repeats (0 for a single repeat)."""
        r = self.scores.shape[1]
        return self.scores.std(axis=1, ddof=1) / np.sqrt(r) if r > 1 else \
            np.zeros(len(self.sizes))


@dataclass
class ScalingResult:
    """A metric against the number of neurons and of training trials, with fits.

    Attributes
    ----------
    neurons, trials : ScalingCurve or None
        The two axes (None when not computed).
    metric : str
    greater_is_better : bool
    decoder : str
    n_neurons, n_trials : int
        Size of the whole recording.
    n_folds : int
    batched : bool
        Whether every score came from the decoder family's fast cross-validated path
        (same numbers as fitting each fold, faster).
    """

    neurons: ScalingCurve | None
    trials: ScalingCurve | None
    metric: str
    greater_is_better: bool
    decoder: str
    n_neurons: int
    n_trials: int
    n_folds: int
    batched: bool

    def curves(self) -> list[ScalingCurve]:
        """The curves that were computed, neurons first."""
        return [c for c in (self.neurons, self.trials) if c is not None]

    def plot(self, axes: Any = None) -> Figure:
        """Metric (mean +- s.e.m.) against size on log-log axes, with the fit and its floor.

        Parameters
        ----------
        axes : matplotlib Axes or sequence of Axes, optional
            One per curve (neurons, then trials); a new Figure otherwise.

        Returns
        -------
        matplotlib.figure.Figure
        """
        curves = self.curves()
        if axes is None:
            fig = Figure(figsize=(4.2 * len(curves), 3.5), layout="constrained")
            axes = [fig.add_subplot(1, len(curves), k + 1) for k in range(len(curves))]
        axes = [axes] if isinstance(axes, Axes) else list(axes)
        for ax, curve in zip(axes, curves):
            _plot_curve(ax, curve, self.metric)
        return axes[0].figure  # type: ignore[return-value]

    def summary(self) -> str:
        """Each curve's sizes, mean +- s.e.m. and fitted asymptote, as text.

        Returns
        -------
        str
        """
        lines = [f"Scaling of {self.metric} ({self.decoder}), {self.n_folds}-fold CV, "
                 f"recording {self.n_trials} trials x {self.n_neurons} neurons"
                 + (", fast path" if self.batched else "")]
        for c in self.curves():
            what = "neurons" if c.axis == "neurons" else "training trials"
            lines.append(f"  {what} ({c.scores.shape[1]} random subsets each):")
            for size, m, s in zip(c.sizes, c.mean, c.sem):
                lines.append(f"    {int(size):>8d}: {m:.4g} +- {s:.2g}")
            if c.fit is not None:
                f = c.fit
                floor = (f"asymptote {f.asymptote:.4g} (information saturates at "
                         f"{f.information_limit:.4g}, half of it at {f.half_size:.4g} "
                         f"{what})" if f.b > 0 else "no floor detected: still falling "
                         "like 1/sqrt(size)")
                lines.append(f"    fit error^2 = {f.a:.4g} / size + {f.b:.4g}: {floor}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python summary (JSON-serialisable).

        Returns
        -------
        dict
        """
        out: dict[str, Any] = {
            "metric": self.metric, "greater_is_better": self.greater_is_better,
            "decoder": self.decoder, "n_neurons": self.n_neurons, "n_trials": self.n_trials,
            "n_folds": self.n_folds, "batched": self.batched,
        }
        for c in self.curves():
            out[c.axis] = {
                "sizes": [int(s) for s in c.sizes],
                "scores": [[float(v) for v in row] for row in c.scores],
                "mean": [float(v) for v in c.mean], "sem": [float(v) for v in c.sem],
                "fit": None if c.fit is None else {
                    "a": c.fit.a, "b": c.fit.b, "asymptote": c.fit.asymptote,
                    "information_limit": c.fit.information_limit,
                    "half_size": c.fit.half_size},
            }
        return out


def _plot_curve(ax: Axes, curve: ScalingCurve, metric: str) -> None:
    line = ax.errorbar(curve.sizes, curve.mean, yerr=curve.sem, fmt="o", ms=4, capsize=2,
                       label="data (mean +- s.e.m.)")
    if curve.fit is not None:
        x = np.geomspace(curve.sizes.min(), curve.sizes.max() * 3, 200)
        ax.plot(x, curve.fit.predict(x), color=line[0].get_color(),
                label="fit sqrt(a/x + b)")
        if curve.fit.b > 0:
            ax.axhline(curve.fit.asymptote, color="0.5", ls="--", lw=0.8,
                       label=f"asymptote {curve.fit.asymptote:.3g}")
    ax.set_xscale("log")
    if np.all(curve.mean > 0):
        ax.set_yscale("log")
    for axis in (ax.xaxis, ax.yaxis):  # plain numbers (1, 2, 5, 10), not 10^0
        axis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        axis.set_major_formatter(FormatStrFormatter("%g"))
        axis.set_minor_formatter(NullFormatter())
    ax.set_xticks(curve.sizes)
    ax.set_xlabel("neurons" if curve.axis == "neurons" else "training trials")
    ax.set_ylabel(metric)
    ax.legend(fontsize="small")


# --------------------------------------------------------------------------- scoring
def _score(decoder: Any, recording: Recording, neurons: np.ndarray, splits: list, metric: str,
           batched: list[bool], threshold_kwargs: dict[str, Any]) -> float:
    """Mean held-out metric of the decoder on a subset of neurons with given splits;
    appends to ``batched`` whether the decoder family's fast path computed it."""
    sub = recording if len(neurons) == recording.n_neurons else recording.select(
        neurons=neurons)
    if metric == _THRESHOLD:
        from .neurometric import neurometric_threshold

        kwargs = {"n_bootstrap": 0, **threshold_kwargs}
        return neurometric_threshold(sub, decoder=decoder, cv=splits, **kwargs).threshold
    result = cross_validate(decoder, sub, cv=splits, scoring=[metric])
    batched.append(bool(result.extra.get("batched", False)))
    return result.mean()


def _check_sizes(sizes: Any, name: str, low: int, high: int, default: np.ndarray
                 ) -> np.ndarray:
    if sizes is None:
        return default
    arr = np.atleast_1d(as_numpy(sizes, name, ndim=(0, 1), owner="scaling_curve"))
    if arr.size == 0:
        return arr.astype(int)
    if arr.dtype.kind not in "iuf" or np.any(arr != np.round(arr)) or arr.min() < low or \
            arr.max() > high:
        raise ValueError(
            f"The {name!r} parameter of scaling_curve must hold integers in [{low}, {high}]"
            f"{' (the smallest training fold)' if name == 'n_trials' else ''}. Got {sizes!r} "
            "instead."
        )
    return np.unique(arr.astype(int))


def _default_sizes(low: int, high: int) -> np.ndarray:
    if high <= low:
        return np.array([high])
    return np.unique(np.geomspace(low, high, 6).round().astype(int))


def _neuron_axis(decoder: Any, recording: Recording, sizes: np.ndarray, n_repeats: int,
                 splits: list, metric: str, batched: list[bool], kwargs: dict[str, Any],
                 rng: np.random.Generator, bar: Any) -> np.ndarray:
    scores = np.empty((len(sizes), n_repeats))
    n = recording.n_neurons
    for i, size in enumerate(sizes):
        for r in range(n_repeats):
            if size == n and r > 0:  # every subset is the whole population
                scores[i, r] = scores[i, 0]
            else:
                neurons = np.sort(rng.choice(n, size, replace=False))
                scores[i, r] = _score(decoder, recording, neurons, splits, metric, batched,
                                      kwargs)
            bar.update(1)
    return scores


def _trial_axis(decoder: Any, recording: Recording, sizes: np.ndarray, n_repeats: int,
                splits: list, metric: str, batched: list[bool], kwargs: dict[str, Any],
                rng: np.random.Generator, bar: Any) -> np.ndarray:
    scores = np.empty((len(sizes), n_repeats))
    all_neurons = np.arange(recording.n_neurons)
    smallest = min(len(tr) for tr, _ in splits)
    for i, size in enumerate(sizes):
        for r in range(n_repeats):
            if size == smallest and all(len(tr) == size for tr, _ in splits) and r > 0:
                scores[i, r] = scores[i, 0]
            else:
                sub = [(np.sort(rng.choice(tr, size, replace=False)), te) for tr, te in splits]
                scores[i, r] = _score(decoder, recording, all_neurons, sub, metric, batched,
                                      kwargs)
            bar.update(1)
    return scores


# --------------------------------------------------------------------------- main function
def _resolve_metric(metric: str | None, recording: Recording) -> tuple[str, bool]:
    if metric is None:
        metric = default_scoring(recording.kind)[0]
    if metric == _THRESHOLD:
        if recording.kind != "circular":
            raise ValueError(
                "metric='threshold' (neurometric discrimination threshold) needs a circular "
                f"stimulus; this Recording's is {recording.kind}."
            )
        return metric, False
    return metric, get_scorer(metric, recording.kind, recording.period)[1]


def scaling_curve(
    decoder: Any,
    recording: Recording,
    *,
    n_neurons: Any = None,
    n_trials: Any = None,
    n_repeats: int = 5,
    cv: int | Any = 5,
    metric: str | None = None,
    fit: bool = True,
    threshold_kwargs: dict[str, Any] | None = None,
    random_state: int | None = 0,
    progress: bool = False,
) -> ScalingResult:
    """Decoding performance against the number of neurons and of training trials.

    For each number of neurons, ``n_repeats`` random subsets of neurons are decoded with
    all trials; for each number of training trials, ``n_repeats`` random subsets of every
    training fold are used, always tested on the whole test fold (as scikit-learn's
    ``learning_curve``). The same cross-validation splits serve every subset, so sizes
    are compared on paired data.

    Parameters
    ----------
    decoder : estimator or None
        Any decoder :func:`~neurodecode.evaluate.cross_validate` accepts; decoders with
        a fast cross-validated path (``cross_val_predictions``: closed-form ridge,
        L2-logistic) use it: exactly the same models, shared factorisations. With
        ``metric="threshold"`` it is the read-out of
        :func:`~neurodecode.evaluate.neurometric.neurometric_threshold` (None: its
        default ridge).
    recording : Recording
    n_neurons : array-like of int, optional
        Population sizes; default 6 log-spaced sizes from 10 to all neurons. An empty
        list skips this axis.
    n_trials : array-like of int, optional
        Training-set sizes (per fold), at most the smallest training fold; default 6
        log-spaced sizes from 20 to that. An empty list skips this axis.
    n_repeats : int, default=5
        Random subsets per size.
    cv : int, splitter or iterable of (train, test), default=5
        See :func:`~neurodecode.evaluate.make_splits`.
    metric : str, optional
        A metric name of :mod:`~neurodecode.evaluate.metrics` (default: the primary
        metric of the stimulus kind, the median error for circular stimuli), or
        ``"threshold"``: the neurometric 75% discrimination threshold.
    fit : bool, default=True
        Fit ``error^2 = a / size + b`` (:func:`fit_asymptote`) to each curve of an error
        metric (one where lower is better).
    threshold_kwargs : dict, optional
        Passed to :func:`~neurodecode.evaluate.neurometric.neurometric_threshold` with
        ``metric="threshold"`` (``window``, ``reference``, ``l2``...; no bootstrap by
        default).
    random_state : int or None, default=0
        Seeds the splits and the subsets.
    progress : bool, default=False
        Show a progress bar over subsets.

    Returns
    -------
    ScalingResult
        ``neurons`` and ``trials`` curves (mean +- s.e.m. over subsets, fits),
        ``plot()``, ``summary()``, ``to_dict()``.

    Raises
    ------
    TypeError
        If ``recording`` is not a Recording.
    ValueError
        For sizes outside ``[1, n_neurons]`` or ``[2, smallest training fold]``, an
        unknown metric, or ``metric="threshold"`` on a non-circular stimulus.

    See Also
    --------
    neurodecode.evaluate.neurometric.neurometric_threshold

    Notes
    -----
    For an efficient decoder the error variance is the inverse Fisher information.
    With independent noise information adds up over neurons, ``I(N) = I_0 N``, and the
    error falls like ``1 / sqrt(N)``; information-limiting (differential) correlations
    cap it, ``1 / I(N) = 1 / (I_0 N) + eps``, so the error levels off at ``sqrt(eps)``
    (Moreno-Bote et al., 2014). The fit ``error^2 = a / N + b`` estimates both:
    ``a = 1 / I_0`` and ``b = eps`` when the metric is a standard deviation (a median
    absolute error is 0.674 of it, a 75% threshold 1.349 of it). A floor can also come
    from too few training trials (the read-out's estimation noise grows with ``N``):
    the trials curve tells whether more trials would still help.

    References
    ----------
    Stringer, C., Michaelos, M., Tsyboulski, D., Lindo, S. E. & Pachitariu, M. (2021).
    High-precision coding in visual cortex. Cell 184(10), 2767-2778.

    Moreno-Bote, R. et al. (2014). Information-limiting correlations. Nature
    Neuroscience 17, 1410-1417.

    Examples
    --------
    >>> from neurodecode.data import orientation_population
    >>> from neurodecode.decoders import LinearDecoder
    >>> rec, _ = orientation_population(80, 400, random_state=0)
    >>> res = scaling_curve(LinearDecoder(l2=1e-2, device="cpu"), rec, n_neurons=[10, 40, 80],
    ...                     n_trials=[], n_repeats=2, cv=3)
    >>> res.neurons.scores.shape, res.trials
    ((3, 2), None)
    >>> bool(res.neurons.mean[0] > res.neurons.mean[-1])
    True
    """
    if not isinstance(recording, Recording):
        raise TypeError(
            f"scaling_curve takes a Recording; got {type(recording).__name__}."
        )
    recording.require_single_time("scaling_curve")
    check_number(n_repeats, "n_repeats", "scaling_curve", low=1, integer=True)
    metric, greater = _resolve_metric(metric, recording)
    if decoder is None and metric != _THRESHOLD:
        raise ValueError("scaling_curve needs a decoder (None only with metric='threshold').")
    if decoder is not None and metric != _THRESHOLD:
        _adapt_decoder(decoder, recording)  # raises early for a decoder of the wrong type
    splits = make_splits(recording, cv, random_state=random_state)
    smallest = min(len(tr) for tr, _ in splits)
    neuron_sizes = _check_sizes(n_neurons, "n_neurons", 1, recording.n_neurons,
                                _default_sizes(min(10, recording.n_neurons),
                                               recording.n_neurons))
    trial_sizes = _check_sizes(n_trials, "n_trials", 2, smallest,
                               _default_sizes(min(20, smallest), smallest))
    batched: list[bool] = []
    est = decoder if decoder is None else clone(decoder)
    kwargs = dict(threshold_kwargs or {})
    rng = np.random.default_rng(random_state)
    total = (len(neuron_sizes) + len(trial_sizes)) * n_repeats
    curves: dict[str, ScalingCurve | None] = {"neurons": None, "trials": None}
    with tqdm(total=total, desc="scaling", disable=not progress, leave=False) as bar:
        for axis, sizes, run in (("neurons", neuron_sizes, _neuron_axis),
                                 ("trials", trial_sizes, _trial_axis)):
            if len(sizes):
                scores = run(est, recording, sizes, n_repeats, splits, metric, batched,
                             kwargs, rng, bar)
                curve_fit = _fit_curve(sizes, scores, fit and not greater)
                curves[axis] = ScalingCurve(axis, sizes.astype(int), scores, curve_fit)
    return ScalingResult(
        neurons=curves["neurons"], trials=curves["trials"], metric=metric,
        greater_is_better=greater, decoder=repr(decoder) if decoder is not None else
        "neurometric default ridge", n_neurons=recording.n_neurons,
        n_trials=recording.n_samples, n_folds=len(splits), batched=bool(batched) and all(batched),
    )


def _fit_curve(sizes: np.ndarray, scores: np.ndarray, do_fit: bool) -> AsymptoteFit | None:
    mean = scores.mean(axis=1)
    ok = np.isfinite(mean) & (mean > 0)
    if not do_fit or ok.sum() < 2:
        return None
    return fit_asymptote(sizes[ok], mean[ok])

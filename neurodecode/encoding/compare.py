"""Encoding and decoding of one recording on the same cross-validation folds.

:func:`cross_validate_tuning` scores encoding models (stimulus -> responses) neuron by
neuron on held-out trials. :func:`encoding_vs_decoding` puts three things side by side on
identical folds: (a) that per-neuron encoding quality, (b) the Bayesian decoder built by
inverting the same fitted tuning curves, and (c) direct decoders trained to read the
stimulus out (linear and ReLU network by default), with per-trial posterior uncertainty
checked against the actual error, and a figure of all three.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from scipy import stats
from sklearn.base import clone

from .._validation import check_number
from ..data import Recording
from .tuning import TuningModel, preferred_stimulus, tuning_width

__all__ = [
    "EncodingDecodingResult",
    "TuningResult",
    "cross_validate_tuning",
    "encoding_vs_decoding",
]

_Z95 = 1.959963984540054


# --------------------------------------------------------------------------- cross-validation
@dataclass
class TuningResult:
    """Cross-validated tuning curves of a population (built by :func:`cross_validate_tuning`).

    Parameters
    ----------
    quality : ndarray of shape (n_neurons,)
        Held-out variance explained (Gaussian) or deviance explained (Poisson), pooled
        over folds: ``1 - sum_folds loss(model) / sum_folds loss(training mean)``. NaN for
        neurons skipped in any fold (never responding in its training data).
    quality_folds : ndarray of shape (n_folds, n_neurons)
        The same on each fold.
    quality_name : str
        ``"variance_explained"`` or ``"deviance_explained"``.
    grid : ndarray of shape (n_grid,)
    curves : ndarray of shape (n_grid, n_neurons)
        Mean of the fold fits' tuning curves.
    lower, upper : ndarray of shape (n_grid, n_neurons)
        Pointwise 95% confidence band: ``curves -+ 1.96 * se`` with ``se`` the grouped
        (delete-one-fold) jackknife standard error,
        ``se^2 = (K - 1) / K * sum_k (f_k - mean_k f_k)^2`` over the K fold fits.
    preferred : ndarray of shape (n_neurons,)
        Where ``curves`` peaks (argmax on the grid).
    width : ndarray of shape (n_neurons,)
        Full width at half maximum above baseline of ``curves`` (NaN for categories).
    noise, kind : str
    period : float or None
    splits : list of (train, test)
    models : list of TuningModel
        The fold fits.

    Every parameter is an attribute of the same name.
    """

    quality: np.ndarray
    quality_folds: np.ndarray
    quality_name: str
    grid: np.ndarray
    curves: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    preferred: np.ndarray
    width: np.ndarray
    noise: str
    kind: str
    period: float | None
    splits: list[tuple[np.ndarray, np.ndarray]] = field(repr=False)
    models: list[Any] = field(repr=False)

    @property
    def n_neurons(self) -> int:
        """Number of neurons."""
        return int(self.quality.shape[0])

    def summary(self) -> str:
        """Median quality, share of well-fitted neurons, median width, one line each.

        Returns
        -------
        str
        """
        q = self.quality[np.isfinite(self.quality)]
        lines = [f"Tuning models ({self.noise} noise, {self.kind} stimulus), "
                 f"{len(self.splits)}-fold cross-validation, {self.n_neurons} neurons"]
        if q.size:
            lines.append(f"  held-out {self.quality_name}: median {np.median(q):.3g}, "
                         f"{np.mean(q > 0.1):.0%} of neurons above 0.1")
        skipped = self.n_neurons - q.size
        if skipped:
            lines.append(f"  {skipped} neurons skipped (never responded in a training fold)")
        w = self.width[np.isfinite(self.width)]
        if w.size:
            lines.append(f"  tuning width (FWHM): median {np.median(w):.3g}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable per-neuron summary (quality, preferred stimulus, width).

        Returns
        -------
        dict
        """
        def floats(a: np.ndarray) -> list[float | None]:
            return [float(x) if np.isfinite(x) else None for x in np.asarray(a, np.float64)]

        pref = (floats(self.preferred) if self.preferred.dtype.kind == "f"
                else [None if x is None else str(x) for x in self.preferred])
        return {"noise": self.noise, "kind": self.kind, "period": self.period,
                "n_folds": len(self.splits), "quality_name": self.quality_name,
                "quality": floats(self.quality), "preferred": pref,
                "width": floats(self.width)}

    def best_neurons(self, n: int = 3) -> np.ndarray:
        """Indices of the ``n`` neurons of highest held-out quality (NaN last).

        Parameters
        ----------
        n : int, default=3

        Returns
        -------
        ndarray of int
        """
        q = np.where(np.isfinite(self.quality), self.quality, -np.inf)
        return np.argsort(-q, kind="stable")[:n]


class TuningAccumulator:
    """Collects fold fits into a :class:`TuningResult` without keeping every fold's curves.

    Parameters
    ----------
    recording : Recording
        The whole recording (fixes the neurons and, for linear stimuli, the grid range).
    n_grid : int
        Grid size for the curves.
    stimulus : ndarray of shape (n_samples,), optional
        What the models were fitted on, when not the recording's stimulus (class codes).
    labels : ndarray, optional
        Labels of the grid values (classes, when the models were fitted on codes).
    """

    def __init__(self, recording: Recording, n_grid: int, *,
                 stimulus: np.ndarray | None = None, labels: np.ndarray | None = None) -> None:
        self.recording = recording
        self.n_grid = n_grid
        self.stimulus = recording.stimulus if stimulus is None else stimulus
        self.labels = labels
        self.models: list[TuningModel] = []
        self.losses: list[tuple[np.ndarray, np.ndarray]] = []
        self.grid: np.ndarray | None = None
        self._sum: np.ndarray | None = None
        self._sumsq: np.ndarray | None = None

    def _make_grid(self, model: TuningModel) -> np.ndarray:
        rec = self.recording
        if rec.kind == "linear":
            s = np.asarray(rec.stimulus, np.float64).ravel()
            return np.linspace(s.min(), s.max(), self.n_grid)
        return model.grid(self.n_grid)

    def add(self, model: TuningModel, test: np.ndarray) -> None:
        """Add one fold's fitted model and score it on the fold's test samples."""
        rec = self.recording
        if self.grid is None:
            self.grid = self._make_grid(model)
        curves = model.predict(self.grid)
        self._sum = curves if self._sum is None else self._sum + curves
        sq = curves**2
        self._sumsq = sq if self._sumsq is None else self._sumsq + sq
        self.losses.append(model.neuron_losses(self.stimulus[test], rec.responses[test]))
        self.models.append(model)

    def result(self, splits: list[tuple[np.ndarray, np.ndarray]]) -> TuningResult:
        """The cross-validated summary."""
        assert self._sum is not None and self._sumsq is not None and self.grid is not None
        K = len(self.models)
        mean = self._sum / K
        ss = np.maximum(self._sumsq - K * mean**2, 0.0)
        se = np.sqrt((K - 1) / K * ss)
        model_l = np.stack([m for m, _ in self.losses])
        null_l = np.stack([n for _, n in self.losses])
        with np.errstate(divide="ignore", invalid="ignore"):
            per_fold = 1.0 - model_l / null_l
            quality = 1.0 - model_l.sum(axis=0) / null_l.sum(axis=0)
        first = self.models[0]
        noise, kind = first.noise_, first.kind_
        grid = self.grid if self.labels is None else self.labels[np.asarray(self.grid, int)]
        if kind == "categorical":
            width = np.full(mean.shape[1], np.nan)
        else:
            width = tuning_width(mean, self.grid, period=first.period_)
        return TuningResult(
            quality=quality, quality_folds=per_fold,
            quality_name="deviance_explained" if noise == "poisson" else "variance_explained",
            grid=grid, curves=mean, lower=mean - _Z95 * se, upper=mean + _Z95 * se,
            preferred=preferred_stimulus(mean, grid), width=width, noise=noise,
            kind=kind, period=first.period_, splits=splits, models=self.models,
        )


def cross_validate_tuning(model: TuningModel | None, recording: Recording, cv: int | Any = 5,
                          *, groups: Any = None, random_state: int | None = 0,
                          n_grid: int = 360) -> TuningResult:
    """Fit a tuning model on each training fold and score every neuron on the held-out fold.

    Parameters
    ----------
    model : TuningModel or None
        Cloned for each fold; None uses ``TuningModel()`` (Poisson for counts, Gaussian
        otherwise).
    recording : Recording
    cv : int, splitter or iterable of (train, test), default=5
        Resolved by :func:`neurodecode.evaluate.make_splits` (contiguous blocks for time
        bins, stratified for circular and categorical stimuli).
    groups : None, str or array-like, optional
        Grouping for ``GroupKFold``.
    random_state : int or None, default=0
        Seed of the shuffled splits.
    n_grid : int, default=360
        Grid size of the tuning curves (circular and linear stimuli).

    Returns
    -------
    TuningResult

    Raises
    ------
    TypeError
        If ``recording`` is not a Recording.
    ValueError
        For splits the recording cannot support, or bad model parameters.

    Examples
    --------
    >>> from neurodecode.data import orientation_population
    >>> rec, truth = orientation_population(20, 400, random_state=0)
    >>> res = cross_validate_tuning(TuningModel(device="cpu"), rec, cv=3)
    >>> res.quality.shape, res.curves.shape, res.quality_name
    ((20,), (360, 20), 'deviance_explained')
    """
    from ..evaluate import make_splits

    if not isinstance(recording, Recording):
        raise TypeError(
            f"cross_validate_tuning takes a Recording; got {type(recording).__name__}."
        )
    recording.require_single_time("cross_validate_tuning")
    check_number(n_grid, "n_grid", "cross_validate_tuning", low=2, integer=True)
    model = TuningModel() if model is None else model
    splits = make_splits(recording, cv, groups=groups, random_state=random_state)
    acc = TuningAccumulator(recording, int(n_grid))
    for train, test in splits:
        fold = clone(model).fit(recording.select(trials=train))
        acc.add(fold, test)
    return acc.result(splits)


# --------------------------------------------------------------------------- encoding vs decoding
def _degrees_per_unit(period: float | None) -> float:
    """Circular errors are reported in degrees (as in neurodecode.evaluate.metrics)."""
    if period is not None and (np.isclose(period, 2 * np.pi) or np.isclose(period, np.pi)):
        return 180.0 / np.pi
    return 1.0


def _default_decoders(kind: str) -> dict[str, Any]:
    """Linear and ReLU-network read-outs (imported here: the decoders are optional extras)."""
    if kind == "categorical":
        from ..decoders import LogisticDecoder, MLPClassifierDecoder

        return {"logistic": LogisticDecoder(l2=1e-2),
                "relu": MLPClassifierDecoder(hidden=(200,), random_state=0)}
    from ..decoders import LinearDecoder, MLPDecoder

    return {"linear": LinearDecoder(l2=1e-2), "relu": MLPDecoder(hidden=(200,), random_state=0)}


@dataclass
class EncodingDecodingResult:
    """Encoding quality, Bayesian and direct decoding, and uncertainty, on the same folds.

    Built by :func:`encoding_vs_decoding`; every parameter is an attribute of the same name.

    Parameters
    ----------
    encoding : TuningResult
        Per-neuron held-out quality and tuning curves of the encoding model (the one
        inside the Bayesian decoder of each fold).
    decoding : neurodecode.evaluate.ComparisonResult
        Cross-validated decoding of every decoder, ``"bayes"`` first.
    uncertainty : ndarray of shape (n_samples,)
        Out-of-fold posterior width of each trial: circular standard deviation in degrees
        (circular), standard deviation (linear), or posterior entropy in nats
        (categorical).
    error : ndarray of shape (n_samples,)
        Out-of-fold absolute error of the Bayesian decoder (degrees for circular stimuli;
        1 for a wrong class, 0 for a right one).
    spearman, spearman_pvalue : float
        Spearman rank correlation between ``uncertainty`` and ``error`` and its p-value.
    bins : dict of str to ndarray
        Trials grouped by uncertainty quantile: ``uncertainty`` (mean per bin), ``error``
        (median per bin; for categories the error rate per bin), ``count``.
    kind : str
    period : float or None
    splits : list of (train, test)
    """

    encoding: TuningResult
    decoding: Any
    uncertainty: np.ndarray
    error: np.ndarray
    spearman: float
    spearman_pvalue: float
    bins: dict[str, np.ndarray]
    kind: str
    period: float | None
    splits: list[tuple[np.ndarray, np.ndarray]] = field(repr=False)

    @property
    def primary(self) -> str:
        """The decoding metric compared (``median_error`` for circular stimuli)."""
        return str(self.decoding.primary)

    def errors(self) -> dict[str, float]:
        """Mean over folds of the primary metric, per decoder.

        Returns
        -------
        dict of str to float
        """
        return {name: r.mean(self.primary) for name, r in self.decoding.results.items()}

    def summary(self) -> str:
        """Encoding quality, decoding side by side, and uncertainty vs error, as text.

        Returns
        -------
        str
        """
        lines = [self.encoding.summary(), "", "Decoding (same folds):",
                 self.decoding.summary(), "",
                 f"Bayesian posterior width vs error: Spearman rho = {self.spearman:.3f} "
                 f"(p = {self.spearman_pvalue:.2g}, {len(self.error)} trials)"]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable summary of the three parts.

        Returns
        -------
        dict
        """
        return {
            "kind": self.kind, "period": self.period, "n_folds": len(self.splits),
            "encoding": self.encoding.to_dict(),
            "decoding": self.decoding.to_dict(),
            "errors": self.errors(),
            "uncertainty": {
                "spearman": float(self.spearman), "p_value": float(self.spearman_pvalue),
                "bins": {k: [float(x) for x in v] for k, v in self.bins.items()},
            },
        }

    def plot(self, *, n_examples: int = 3, figsize: tuple[float, float] = (13.0, 4.0)
             ) -> Figure:
        """Three panels: encoding, decoding errors per decoder, uncertainty vs error.

        Left: the histogram of held-out encoding quality (top) and the tuning curves of
        the ``n_examples`` best-encoded neurons with their 95% bands (bottom). Middle: the primary
        decoding metric on each fold, per decoder (chance level dashed). Right: each
        trial's posterior width against its absolute error, with the median error per
        uncertainty bin.

        Parameters
        ----------
        n_examples : int, default=3
            Tuning curves drawn in the first panel.
        figsize : (float, float), default=(13, 4)

        Returns
        -------
        matplotlib.figure.Figure
            Not shown; save it with ``fig.savefig(...)``.
        """
        fig = Figure(figsize=figsize, layout="constrained")
        grid = fig.add_gridspec(2, 3, height_ratios=(1, 2))
        ax_hist = fig.add_subplot(grid[0, 0])
        ax_enc = fig.add_subplot(grid[1, 0])
        ax_dec = fig.add_subplot(grid[:, 1])
        ax_unc = fig.add_subplot(grid[:, 2])
        self._plot_encoding(ax_hist, ax_enc, n_examples)
        self._plot_decoding(ax_dec)
        self._plot_uncertainty(ax_unc)
        return fig

    # ------------------------------------------------------------ panels
    def _units(self) -> str:
        return " (deg)" if self.kind == "circular" else ""

    def _plot_encoding(self, ax_hist: Any, ax: Any, n_examples: int) -> None:
        enc = self.encoding
        q = enc.quality[np.isfinite(enc.quality)]
        ax_hist.hist(np.clip(q, -0.5, 1.0), bins=25, color="0.5")
        ax_hist.set_xlabel(f"held-out {enc.quality_name.replace('_', ' ')}")
        ax_hist.set_ylabel("neurons")
        ax_hist.set_title("(a) encoding")
        x = np.arange(len(enc.grid)) if enc.kind == "categorical" else enc.grid
        scale = _degrees_per_unit(enc.period) if enc.kind == "circular" else 1.0
        for i in enc.best_neurons(n_examples):
            (line,) = ax.plot(x * scale, enc.curves[:, i], label=f"neuron {i}")
            ax.fill_between(x * scale, enc.lower[:, i], enc.upper[:, i],
                            color=line.get_color(), alpha=0.25, linewidth=0)
        if enc.kind == "categorical":
            ax.set_xticks(x, [str(g) for g in enc.grid])
        ax.set_xlabel("stimulus" + self._units())
        ax.set_ylabel("response")
        ax.set_title("best-encoded neurons, 95% band", fontsize="medium")
        ax.legend(fontsize="small")

    def _plot_decoding(self, ax: Any) -> None:
        names = list(self.decoding.results)
        for k, name in enumerate(names):
            s = self.decoding.results[name].scores[self.primary]
            ax.bar(k, s.mean(), color="C0" if name == "bayes" else "0.7", alpha=0.8)
            ax.plot(np.full(len(s), k), s, "k.", markersize=4)
        chance = self._chance()
        if chance is not None:
            ax.axhline(chance, color="k", linestyle="--", linewidth=1, label="chance")
            ax.legend(fontsize="small")
        ax.set_xticks(range(len(names)), names)
        unit = self._units() if "error" in self.primary else ""
        ax.set_ylabel(self.primary.replace("_", " ") + unit)
        ax.set_title("(b) decoding, per fold")

    def _chance(self) -> float | None:
        if self.primary == "median_error":
            return 90.0 * (self.period or 360.0) / 360.0 * _degrees_per_unit(self.period)
        if self.primary == "accuracy":
            return 1.0 / len(self.encoding.grid)
        if self.primary == "r2":
            return 0.0
        return None

    def _plot_uncertainty(self, ax: Any) -> None:
        n = len(self.error)
        keep = np.random.default_rng(0).choice(n, min(n, 3000), replace=False)
        ax.plot(self.uncertainty[keep], self.error[keep], ".", color="0.6", markersize=2,
                alpha=0.5)
        categorical = self.kind == "categorical"
        ax.plot(self.bins["uncertainty"], self.bins["error"], "o-", color="C3",
                label="error rate per bin" if categorical else "median per bin")
        ax.set_xlabel("posterior entropy (nats)" if categorical
                      else "posterior width" + self._units())
        ax.set_ylabel("wrong class" if categorical else "|error|" + self._units())
        ax.set_title(f"(c) uncertainty vs error, rho = {self.spearman:.2f}")
        ax.legend(fontsize="small")


def _bin_by(x: np.ndarray, y: np.ndarray, n_bins: int, *, median: bool = True
            ) -> dict[str, np.ndarray]:
    """Mean ``x`` and median (or mean) ``y`` in quantile bins of ``x``."""
    edges = np.unique(np.quantile(x, np.linspace(0, 1, n_bins + 1)))
    idx = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, max(len(edges) - 2, 0))
    out: dict[str, list[float]] = {"uncertainty": [], "error": [], "count": []}
    for b in np.unique(idx):
        m = idx == b
        out["uncertainty"].append(float(x[m].mean()))
        out["error"].append(float(np.median(y[m]) if median else y[m].mean()))
        out["count"].append(float(m.sum()))
    return {k: np.array(v) for k, v in out.items()}


def encoding_vs_decoding(recording: Recording, cv: int | Any = 5,
                         decoders: dict[str, Any] | None = None, *, bayes: Any = None,
                         groups: Any = None, random_state: int | None = 0, n_grid: int = 360,
                         n_bins: int = 10, progress: bool = False) -> EncodingDecodingResult:
    """Encoding models, the Bayesian decoder built on them and direct decoders, on one set of folds.

    The folds are drawn once (:func:`neurodecode.evaluate.make_splits`). On each, the
    Bayesian decoder fits the encoding model on the training trials; the same fitted
    model gives (a) each neuron's held-out encoding quality and tuning curve, and (b)
    the decoded stimulus and posterior width of each held-out trial. (c) Every direct
    decoder is cross-validated on the same folds (:func:`neurodecode.evaluate.cross_validate`),
    so the decoding errors are paired fold by fold.

    Parameters
    ----------
    recording : Recording
    cv : int, splitter or iterable of (train, test), default=5
    decoders : dict of str to estimator, optional
        Direct decoders: neurodecode decoders or any scikit-learn estimator of the right
        type (regressors are wrapped to decode circular stimuli). Default:
        ``{"linear": LinearDecoder(l2=1e-2), "relu": MLPDecoder(hidden=(200,),
        random_state=0)}`` (``LogisticDecoder(l2=1e-2)`` and ``MLPClassifierDecoder`` for
        categorical stimuli). ``{}`` runs none.
    bayes : BayesianDecoder or BayesianClassifier, optional
        The encoding-based decoder; default ``BayesianDecoder()`` (``BayesianClassifier()``
        for categorical stimuli), Poisson for counts, Gaussian otherwise.
    groups : None, str or array-like, optional
        Grouping for ``GroupKFold`` (see :func:`neurodecode.evaluate.make_splits`).
    random_state : int or None, default=0
        Seed of the splits.
    n_grid : int, default=360
        Grid of the tuning curves in the result (the decoder has its own ``n_grid``).
    n_bins : int, default=10
        Uncertainty quantile bins for the uncertainty-vs-error curve.
    progress : bool, default=False
        Progress bars over folds.

    Returns
    -------
    EncodingDecodingResult
        ``summary()``, ``to_dict()`` and ``plot()``.

    Raises
    ------
    TypeError
        If ``recording`` is not a Recording, or ``bayes`` not a Bayesian decoder.
    ValueError
        For a decoder of the wrong type for the stimulus (e.g. a regressor for a
        categorical stimulus), a name clash with ``"bayes"``, or splits the recording
        cannot support.

    Notes
    -----
    The story it is built to tell: with independent (Poisson) noise the Bayesian decoder
    built from the encoding model is close to optimal, its error near the Cramér-Rao
    bound; with noise correlations (e.g. a gain shared by all neurons) its independence
    assumption is wrong, and direct decoders, which learn from the joint responses,
    close or reverse the gap.

    References
    ----------
    Zhang, K., Ginzburg, I., McNaughton, B. L. & Sejnowski, T. J. (1998). Interpreting
    neuronal population activity by reconstruction. J. Neurophysiol. 79, 1017-1044.

    Examples
    --------
    >>> from sklearn.linear_model import Ridge
    >>> from neurodecode.data import orientation_population
    >>> from neurodecode.encoding import BayesianDecoder
    >>> rec, truth = orientation_population(60, 300, random_state=0)
    >>> res = encoding_vs_decoding(rec, cv=3, decoders={"ridge": Ridge(alpha=1.0)},
    ...                            bayes=BayesianDecoder(device="cpu"))
    >>> list(res.errors())
    ['bayes', 'ridge']
    >>> len(res.plot().axes)
    4
    """
    from ..evaluate import cross_validate, make_splits
    from ..evaluate.compare import ComparisonResult
    from .bayes import BayesianClassifier, BayesianDecoder

    if not isinstance(recording, Recording):
        raise TypeError(
            f"encoding_vs_decoding takes a Recording; got {type(recording).__name__}."
        )
    recording.require_single_time("encoding_vs_decoding")
    check_number(n_grid, "n_grid", "encoding_vs_decoding", low=2, integer=True)
    check_number(n_bins, "n_bins", "encoding_vs_decoding", low=1, integer=True)
    kind = recording.kind
    if bayes is None:
        bayes = BayesianClassifier() if kind == "categorical" else BayesianDecoder()
    if not isinstance(bayes, (BayesianDecoder, BayesianClassifier)):
        raise TypeError(
            f"The 'bayes' parameter of encoding_vs_decoding must be a BayesianDecoder or a "
            f"BayesianClassifier (its encoding model is scored too); got "
            f"{type(bayes).__name__}. Pass other decoders in decoders=..."
        )
    decoders = _default_decoders(kind) if decoders is None else dict(decoders)
    if "bayes" in decoders:
        raise ValueError(
            "The name 'bayes' is taken by the encoding-based decoder; rename that entry of "
            "decoders, or pass the decoder as bayes=..."
        )
    splits = make_splits(recording, cv, groups=groups, random_state=random_state)

    res_bayes = cross_validate(bayes, recording, splits, return_models=True,
                               random_state=random_state, progress=progress)
    codes = recording.stimulus_codes() if kind == "categorical" else None
    acc = TuningAccumulator(recording, int(n_grid), stimulus=codes,
                            labels=recording.classes if codes is not None else None)
    width = np.empty(recording.n_samples)
    for model, (_, test) in zip(res_bayes.models or [], splits):
        acc.add(model.tuning_, test)
        width[test] = model.predict_uncertainty(recording.responses[test])
    encoding = acc.result(splits)

    results = {"bayes": res_bayes}
    for name, dec in decoders.items():
        results[name] = cross_validate(dec, recording, splits, random_state=random_state,
                                       progress=progress)
    primary = res_bayes.primary
    decoding = ComparisonResult(results, {k: {} for k in results}, primary,
                                res_bayes.greater_is_better[primary])

    y, pred = res_bayes.y_true, res_bayes.y_pred
    if kind == "circular":
        from ..evaluate import circular_error

        scale = _degrees_per_unit(recording.period)
        error = np.abs(circular_error(y, pred, recording.period)) * scale
        width = width * scale
    elif kind == "linear":
        error = np.abs(np.asarray(y, np.float64).ravel() - np.asarray(pred, np.float64).ravel())
    else:
        error = (np.asarray(y) != np.asarray(pred)).astype(np.float64)
    if np.ptp(width) > 0 and np.ptp(error) > 0:
        rho, pval = stats.spearmanr(width, error)
    else:
        rho, pval = np.nan, np.nan
    return EncodingDecodingResult(
        encoding=encoding, decoding=decoding, uncertainty=width, error=error,
        spearman=float(rho), spearman_pvalue=float(pval),
        bins=_bin_by(width, error, n_bins, median=kind != "categorical"), kind=kind,
        period=recording.period, splits=splits,
    )

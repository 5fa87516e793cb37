"""Bayesian decoding: invert the fitted tuning curves of a population.

:class:`BayesianDecoder` (circular and linear stimuli) and :class:`BayesianClassifier`
(categorical stimuli) fit a :class:`~neurodecode.encoding.TuningModel` on the training
data, then decode each trial by evaluating the likelihood of its whole population
response at every value of a stimulus grid, under independent Poisson or Gaussian noise.
Both likelihoods are linear in the responses, ``log p(r | s_g) = r . a_g + c_g`` (up to
terms that do not depend on ``s``), so a batch of trials is one matrix product with a
``(n_grid, n_neurons)`` table computed once at fit time.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from scipy.ndimage import gaussian_filter1d
from sklearn.utils.validation import check_is_fitted, column_or_1d

from .._validation import check_choice, check_number
from ..data import Recording
from ..decoders._base import ClassifierDecoder, RegressorDecoder
from .basis import StimulusBasis
from .tuning import TuningModel, float_dtype, infer_noise, pick_device

__all__ = ["BayesianClassifier", "BayesianDecoder"]

_NOISES = ("auto", "poisson", "gaussian")
_PRIORS = ("flat", "empirical")
_ESTIMATES = ("mean", "map")


def _format_bytes(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"  # pragma: no cover


class _BayesMixin(ABC):
    """What the Bayesian regressor and classifier share: the table, the prior, the posterior."""

    noise: str
    l2: float
    max_memory: int
    max_iter: int
    tol: float
    device: Any
    prior: str

    # ------------------------------------------------------------ parameters
    def _check_bayes_params(self) -> None:
        owner = type(self).__name__
        check_choice(self.noise, "noise", _NOISES, owner)
        check_choice(self.prior, "prior", _PRIORS, owner)
        check_number(self.max_memory, "max_memory", owner, low=1, integer=True)
        check_number(self.max_iter, "max_iter", owner, low=1, integer=True)
        check_number(self.tol, "tol", owner, low=0)

    # ------------------------------------------------------------ fit
    def _fit_tables(self, X: np.ndarray, stimulus: np.ndarray, rec: Recording | None,
                    tuning: TuningModel, grid: np.ndarray | None, n_grid: int) -> None:
        """Fit the tuning model; store the likelihood table, the grid and the log prior."""
        noise = self.noise if self.noise != "auto" else infer_noise(X, rec)
        tuning.set_params(noise=noise)
        tuning.fit(stimulus, X)
        if grid is None:
            grid = tuning.grid(n_grid)
        G, N = len(grid), X.shape[1]
        self._check_memory(G, N)
        rates = tuning.predict(grid)  # (G, N)
        if tuning.noise_ == "poisson":
            use = tuning.active_
            weights = np.where(use, np.log(np.where(use, rates, 1.0)), 0.0)
            offsets = -np.where(use, rates, 0.0).sum(axis=1)
        else:
            var = tuning.noise_var_
            use = tuning.active_ & (var > 1e-12 * max(float(var.max()), 1e-300))
            inv = np.where(use, 1.0 / np.where(use, var, 1.0), 0.0)
            weights = rates * inv
            offsets = -0.5 * (rates**2 * inv).sum(axis=1)
        self._tuning = tuning
        self.grid_ = grid
        self.weights_ = np.ascontiguousarray(weights, dtype=np.float64)
        self.offsets_ = offsets.astype(np.float64)
        self.informative_ = use
        self.noise_ = tuning.noise_
        self.n_iter_ = max(1, int(tuning.n_iter_))
        self.log_prior_ = self._log_prior(stimulus, grid)

    @property
    def tuning_(self) -> TuningModel:
        """The fitted :class:`~neurodecode.encoding.TuningModel` (None after loading)."""
        check_is_fitted(self)  # type: ignore[arg-type]
        return getattr(self, "_tuning", None)  # type: ignore[return-value]

    def _row_bytes(self, G: int, N: int) -> int:
        """Working memory per decoded trial: its responses and two grid-long rows."""
        return 8 * (N + 3 * G)

    def _check_memory(self, G: int, N: int) -> None:
        table = 8 * G * N
        row = self._row_bytes(G, N)
        if table + row > self.max_memory:
            raise ValueError(
                f"A stimulus grid of n_grid={G:,} values is too fine for max_memory="
                f"{self.max_memory:,} bytes ({_format_bytes(self.max_memory)}): the likelihood "
                f"table (n_grid x n_neurons = {G:,} x {N:,} float64) needs "
                f"{_format_bytes(table)} and each decoded trial {_format_bytes(row)} more. "
                f"Use a coarser grid (n_grid <= {max(1, self.max_memory // (8 * (N + 3)) - 1):,})"
                f" or raise max_memory."
            )

    def _log_prior(self, stimulus: np.ndarray, grid: np.ndarray) -> np.ndarray:
        G = len(grid)
        if self.prior == "flat":
            return np.zeros(G)
        idx = self._grid_index(stimulus, grid)
        counts = np.bincount(idx, minlength=G).astype(np.float64)
        sigma = self._prior_smoothing(G)
        if sigma > 0:
            counts = gaussian_filter1d(counts, sigma, mode=self._prior_mode())
        p = counts / counts.sum()
        p = np.maximum(p, 1e-3 / G)
        return np.log(p / p.sum())

    @abstractmethod
    def _grid_index(self, stimulus: np.ndarray, grid: np.ndarray) -> np.ndarray:
        """Index of the grid point each stimulus value falls on (for the empirical prior)."""

    def _prior_smoothing(self, G: int) -> float:
        return 0.0

    def _prior_mode(self) -> str:
        return "nearest"

    # ------------------------------------------------------------ posterior
    def _log_posterior_chunks(self, X: np.ndarray) -> Iterator[tuple[slice, torch.Tensor]]:
        """Normalised log posteriors, a chunk of trials at a time (within ``max_memory``)."""
        G, N = self.weights_.shape
        device = pick_device(self.device, None, type(self).__name__)
        dtype = float_dtype(device)
        table = torch.as_tensor(self.weights_, device=device, dtype=dtype)
        offset = torch.as_tensor(self.offsets_ + self.log_prior_, device=device, dtype=dtype)
        free = self.max_memory - 8 * G * N
        rows = max(1, int(free // self._row_bytes(G, N)))
        for a in range(0, len(X), rows):
            sl = slice(a, min(a + rows, len(X)))
            R = torch.as_tensor(np.ascontiguousarray(X[sl]), device=device).to(dtype)
            ll = R @ table.T + offset
            ll = ll - torch.logsumexp(ll, dim=1, keepdim=True)
            yield sl, ll

    def _posterior_matrix(self, X: np.ndarray) -> np.ndarray:
        G = self.weights_.shape[0]
        need = 8 * len(X) * G
        if need > self.max_memory:
            raise ValueError(
                f"The posterior of {len(X):,} trials on a grid of {G:,} values is "
                f"{_format_bytes(need)} (n_samples x n_grid float64), more than max_memory="
                f"{self.max_memory:,} bytes. Pass fewer trials at a time, use a coarser grid, "
                "or raise max_memory."
            )
        out = np.empty((len(X), G))
        for sl, lp in self._log_posterior_chunks(X):
            out[sl] = torch.exp(lp).cpu().numpy()
        return out


class BayesianDecoder(_BayesMixin, RegressorDecoder):
    """Decode a circular or linear stimulus by inverting fitted tuning curves (Bayes' rule).

    ``fit`` fits a :class:`~neurodecode.encoding.TuningModel` (Poisson GLM for spike
    counts, ridge with Gaussian noise otherwise) on the training data. ``predict``
    evaluates the log-likelihood of each trial's population response at every value of
    a grid of ``n_grid`` stimuli, adds the log prior, normalises to a posterior, and
    reports its circular (or ordinary) mean, or its maximum. The posterior's circular
    standard deviation is a per-trial uncertainty (:meth:`predict_uncertainty`).
    Categorical stimuli: see :class:`BayesianClassifier`.

    Parameters
    ----------
    noise : {"auto", "poisson", "gaussian"}, default="auto"
        Noise model of the likelihood (and of the tuning fit). ``"auto"``: Poisson for
        spike counts (a Recording with ``response_type="counts"``, or non-negative integer
        arrays as :func:`~neurodecode.evaluate.cross_validate` passes them), Gaussian
        otherwise.
    basis : {"auto", "fourier", "von_mises", "spline"} or StimulusBasis, default="auto"
        Basis of the tuning curves: Fourier for circular, B-splines for linear stimuli.
    n_basis : int, optional
        Number of basis functions (the basis's default when None).
    l2 : float, default=1e-3
        L2 penalty of the tuning fit (see :class:`~neurodecode.encoding.TuningModel`).
    period : float, optional
        Period of a circular stimulus (180 for orientation in degrees). Read from a
        circular Recording when None (and set by ``cross_validate``); None with arrays
        means a linear stimulus.
    n_grid : int, default=360
        Number of stimulus values the posterior is evaluated on: evenly spaced on
        ``[0, period)``, or from the smallest to the largest training value.
    prior : {"flat", "empirical"}, default="flat"
        Flat prior over the grid, or the training stimulus distribution (a histogram on
        the grid smoothed over ``n_grid / 36`` grid steps, floored at 0.1% of flat).
    estimate : {"mean", "map"}, default="mean"
        Point estimate: posterior mean (circular mean for circular stimuli) or the grid
        value of maximum posterior.
    max_memory : int, default=2**30
        Working-memory budget in bytes for the likelihood table (``n_grid x n_neurons``
        float64) plus the trials decoded at once; trials are processed in chunks that fit.
        A grid whose table and a single trial do not fit raises a ValueError.
    max_iter : int, default=50
        Newton iterations of the Poisson tuning fit.
    tol : float, default=1e-10
        Tolerance of the Poisson tuning fit.
    device : str or torch.device, default="auto"
        Where the fit and the likelihood products run (CUDA, then MPS, then CPU).

    Attributes
    ----------
    tuning_ : TuningModel
        The fitted encoding model (None on a decoder read back with ``load``: prediction
        needs only the table below).
    grid_ : ndarray of shape (n_grid,)
        Stimulus values of the posterior.
    weights_ : ndarray of shape (n_grid, n_neurons)
        ``log f_i(s_g)`` (Poisson) or ``f_i(s_g) / sigma_i^2`` (Gaussian); 0 for neurons
        left out (never responding, or zero residual variance).
    offsets_ : ndarray of shape (n_grid,)
        ``-sum_i f_i(s_g)`` (Poisson) or ``-sum_i f_i(s_g)^2 / (2 sigma_i^2)``.
    log_prior_ : ndarray of shape (n_grid,)
    noise_ : {"poisson", "gaussian"}
    informative_ : ndarray of bool, shape (n_neurons,)
        Neurons that enter the likelihood.
    n_iter_ : int
        Newton iterations of the Poisson tuning fit (1 for the closed form).
    period_ : float or None
    n_outputs_ : int
        Always 1.
    n_features_in_ : int

    Raises
    ------
    ValueError
        At ``fit``: bad parameters, a categorical Recording (use BayesianClassifier),
        several stimulus columns, a grid too fine for ``max_memory``, negative responses
        with ``noise="poisson"``.

    Warns
    -----
    DataWarning
        Neurons that never respond in the training data are skipped (the message says
        how many).

    See Also
    --------
    BayesianClassifier : the same for categorical stimuli.
    neurodecode.encoding.encoding_vs_decoding : this decoder next to direct decoders.

    Notes
    -----
    With tuning curves ``f_i(s)`` fitted on the training data and a trial's responses
    ``r_i``, the log-likelihood on the grid is, up to terms free of ``s``,

    - Poisson: ``log p(r | s) = sum_i r_i log f_i(s) - sum_i f_i(s)``;
    - Gaussian: ``log p(r | s) = -sum_i (r_i - f_i(s))^2 / (2 sigma_i^2)`` with
      ``sigma_i^2`` the neuron's mean squared training residual,

    i.e. the neurons are assumed independent given the stimulus. The posterior is
    ``p(s_g | r) ∝ p(r | s_g) p(s_g)`` on the grid. For a circular stimulus with angle
    ``a = 2 pi s / period``, the estimate is ``arg(sum_g p_g e^{i a_g})`` and the
    uncertainty the circular standard deviation ``sqrt(-2 ln R)`` (``R`` the length of
    that sum), converted back to stimulus units; for linear stimuli the posterior mean
    and standard deviation. :meth:`score` is the mean cosine of the angular error
    (circular) or R^2 (linear).

    References
    ----------
    Zhang, K., Ginzburg, I., McNaughton, B. L. & Sejnowski, T. J. (1998). Interpreting
    neuronal population activity by reconstruction: unified framework with application
    to hippocampal place cells. J. Neurophysiol. 79, 1017-1044.

    Examples
    --------
    >>> from neurodecode.data import orientation_population
    >>> rec, truth = orientation_population(100, 600, random_state=0)
    >>> dec = BayesianDecoder(device="cpu").fit(rec)
    >>> dec.noise_, dec.period_, dec.grid_.shape
    ('poisson', 180.0, (360,))
    >>> post = dec.predict_posterior(rec.responses[:5])
    >>> post.shape, bool(np.allclose(post.sum(axis=1), 1.0))
    ((5, 360), True)
    >>> bool(dec.score(rec) > 0.9)
    True
    """

    def __init__(
        self,
        noise: str = "auto",
        *,
        basis: str | StimulusBasis = "auto",
        n_basis: int | None = None,
        l2: float = 1e-3,
        period: float | None = None,
        n_grid: int = 360,
        prior: str = "flat",
        estimate: str = "mean",
        max_memory: int = 2**30,
        max_iter: int = 50,
        tol: float = 1e-10,
        device: str | torch.device = "auto",
    ) -> None:
        self.noise = noise
        self.basis = basis
        self.n_basis = n_basis
        self.l2 = l2
        self.period = period
        self.n_grid = n_grid
        self.prior = prior
        self.estimate = estimate
        self.max_memory = max_memory
        self.max_iter = max_iter
        self.tol = tol
        self.device = device

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = False
        tags.target_tags.single_output = True
        return tags

    def _check_params(self) -> None:
        super()._check_params()
        self._check_bayes_params()
        check_number(self.n_grid, "n_grid", self._owner, low=2, integer=True)
        check_choice(self.estimate, "estimate", _ESTIMATES, self._owner)

    def fit(self, X: Any, y: Any = None) -> BayesianDecoder:
        """Fit the tuning curves and build the likelihood table on the stimulus grid.

        Parameters
        ----------
        X : array-like or Tensor of shape (n_samples, n_neurons), or Recording
            Responses; a circular or linear Recording brings its stimulus, period and
            response type along (then ``y`` must be None).
        y : array-like of shape (n_samples,)
            Stimulus (angles in ``[0, period)`` when circular).

        Returns
        -------
        self : BayesianDecoder

        Raises
        ------
        ValueError
            See the class docstring.
        """
        self._check_params()
        rec = X if isinstance(X, Recording) else None
        shape = getattr(y, "shape", None)
        if shape is not None and len(shape) == 2 and shape[1] == 1:
            y = column_or_1d(y, warn=True)  # DataConversionWarning, as scikit-learn's own
        X, y = self._validate_fit(X, y)
        if self.n_outputs_ != 1:
            raise ValueError(
                f"{self._owner} decodes one stimulus value per sample (a 1-D grid); got y "
                f"with {self.n_outputs_} columns. Decode each column with its own decoder."
            )
        s = y[:, 0]
        if len(np.unique(s)) < 2:
            raise ValueError(
                f"{self._owner} needs at least 2 distinct stimulus values to fit tuning "
                f"curves; got {len(s)} sample(s) with the single value {s[0]:g}."
            )
        kind = "circular" if self.period_ is not None else "linear"
        tuning = TuningModel(basis=self.basis, n_basis=self.n_basis, l2=self.l2, kind=kind,
                             period=self.period_, max_iter=self.max_iter, tol=self.tol,
                             device=self.device)
        self._fit_tables(X, s, rec, tuning, None, int(self.n_grid))
        return self

    # ------------------------------------------------------------ prior helpers
    def _grid_index(self, stimulus: np.ndarray, grid: np.ndarray) -> np.ndarray:
        G = len(grid)
        if self.period_ is not None:
            return np.rint(stimulus / self.period_ * G).astype(np.intp) % G
        step = grid[1] - grid[0]
        return np.clip(np.rint((stimulus - grid[0]) / step), 0, G - 1).astype(np.intp)

    def _prior_smoothing(self, G: int) -> float:
        return max(1.0, G / 36)

    def _prior_mode(self) -> str:
        return "wrap" if self.period_ is not None else "nearest"

    # ------------------------------------------------------------ predict
    def _summaries(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        """Point estimates and posterior widths of every trial."""
        X = self._validate_X(X)
        est, std = np.empty(len(X)), np.empty(len(X))
        grid = self.grid_
        for sl, lp in self._log_posterior_chunks(X):
            post = torch.exp(lp)
            g = torch.as_tensor(grid, device=post.device, dtype=post.dtype)
            if self.period_ is not None:
                w = 2 * np.pi / self.period_
                c = post @ torch.cos(w * g)
                s = post @ torch.sin(w * g)
                mean = torch.remainder(torch.atan2(s, c), 2 * np.pi) / w
                R = torch.clamp(torch.sqrt(c * c + s * s), min=1e-300, max=1.0)
                sd = torch.sqrt(-2 * torch.log(R)) / w
            else:
                mean = post @ g
                sd = torch.sqrt(torch.clamp(post @ (g * g) - mean * mean, min=0.0))
            if self.estimate == "map":
                mean = g[torch.argmax(lp, dim=1)]
            est[sl], std[sl] = mean.cpu().numpy(), sd.cpu().numpy()
        if self.period_ is not None:
            est = np.where(est >= self.period_, 0.0, est)
        return est, std

    def predict(self, X: Any, return_std: bool = False) -> Any:
        """Decode the stimulus of each trial.

        Parameters
        ----------
        X : array-like or Tensor of shape (n_samples, n_neurons), or Recording
        return_std : bool, default=False
            Also return the posterior width (see :meth:`predict_uncertainty`).

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Posterior (circular) mean or MAP, in ``[0, period)`` for circular stimuli.
        y_std : ndarray of shape (n_samples,)
            Only with ``return_std=True``.

        Raises
        ------
        NotFittedError
            Before :meth:`fit`.
        ValueError
            If ``X`` has another number of neurons than the training data, or NaN.
        """
        est, std = self._summaries(X)
        return (est, std) if return_std else est

    def predict_uncertainty(self, X: Any) -> np.ndarray:
        """Posterior width of each trial: circular standard deviation, or standard deviation.

        Parameters
        ----------
        X : array-like or Tensor of shape (n_samples, n_neurons), or Recording

        Returns
        -------
        ndarray of shape (n_samples,)
            In stimulus units (``sqrt(-2 ln R) * period / (2 pi)`` for circular stimuli).

        Raises
        ------
        NotFittedError
            Before :meth:`fit`.
        """
        return self._summaries(X)[1]

    def predict_posterior(self, X: Any) -> np.ndarray:
        """Posterior probability of each grid value (:attr:`grid_`) for each trial.

        Parameters
        ----------
        X : array-like or Tensor of shape (n_samples, n_neurons), or Recording

        Returns
        -------
        ndarray of shape (n_samples, n_grid)
            Rows sum to 1.

        Raises
        ------
        NotFittedError
            Before :meth:`fit`.
        ValueError
            If the matrix itself (n_samples x n_grid float64) exceeds ``max_memory``.
        """
        return self._posterior_matrix(self._validate_X(X))

    def predict_log_likelihood(self, X: Any) -> np.ndarray:
        """Log-likelihood of each trial at each grid value, up to a per-trial constant.

        Parameters
        ----------
        X : array-like or Tensor of shape (n_samples, n_neurons), or Recording

        Returns
        -------
        ndarray of shape (n_samples, n_grid)
            ``r . weights_[g] + offsets_[g]``.
        """
        X = self._validate_X(X)
        return X.astype(np.float64) @ self.weights_.T + self.offsets_


class BayesianClassifier(_BayesMixin, ClassifierDecoder):
    """Decode a categorical stimulus by inverting per-class mean responses (Bayes' rule).

    The tuning model is one value per class and neuron (one-hot basis with an unpenalised
    intercept and an L2 penalty on the class effects); the likelihood of a trial's
    responses is computed for every class under independent Poisson or Gaussian noise,
    and :meth:`predict_proba` is the posterior over classes.

    Parameters
    ----------
    noise : {"auto", "poisson", "gaussian"}, default="auto"
        As in :class:`BayesianDecoder`.
    l2 : float, default=1e-3
        L2 penalty on the class effects (see :class:`~neurodecode.encoding.TuningModel`).
    prior : {"flat", "empirical"}, default="flat"
        Equal class probabilities, or the training class frequencies.
    max_memory : int, default=2**30
        Working-memory budget in bytes (see :class:`BayesianDecoder`).
    max_iter : int, default=50
    tol : float, default=1e-10
    device : str or torch.device, default="auto"

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    tuning_ : TuningModel
        Fitted on the class codes ``0..n_classes-1``.
    weights_ : ndarray of shape (n_classes, n_neurons)
    offsets_ : ndarray of shape (n_classes,)
    log_prior_ : ndarray of shape (n_classes,)
    noise_ : {"poisson", "gaussian"}
    n_iter_ : int
        Newton iterations of the Poisson tuning fit (1 for the closed form).
    n_features_in_ : int

    Raises
    ------
    ValueError
        At ``fit``: bad parameters, fewer than 2 classes, a circular or linear Recording.

    Notes
    -----
    The likelihood is that of :class:`BayesianDecoder` with the grid replaced by the
    classes; :meth:`score` is the accuracy.

    References
    ----------
    Zhang, K., Ginzburg, I., McNaughton, B. L. & Sejnowski, T. J. (1998). Interpreting
    neuronal population activity by reconstruction. J. Neurophysiol. 79, 1017-1044.

    Examples
    --------
    >>> from neurodecode.data import orientation_population
    >>> rec, _ = orientation_population(60, 400, random_state=0)
    >>> rec4 = rec.bin_stimulus(4)
    >>> clf = BayesianClassifier(device="cpu").fit(rec4)
    >>> clf.classes_
    array([  0.,  45.,  90., 135.])
    >>> clf.predict_proba(rec4.responses[:2]).shape
    (2, 4)
    """

    def __init__(
        self,
        noise: str = "auto",
        *,
        l2: float = 1e-3,
        prior: str = "flat",
        max_memory: int = 2**30,
        max_iter: int = 50,
        tol: float = 1e-10,
        device: str | torch.device = "auto",
    ) -> None:
        self.noise = noise
        self.l2 = l2
        self.prior = prior
        self.max_memory = max_memory
        self.max_iter = max_iter
        self.tol = tol
        self.device = device

    def _check_params(self) -> None:
        super()._check_params()
        self._check_bayes_params()

    def fit(self, X: Any, y: Any = None) -> BayesianClassifier:
        """Fit the per-class responses and build the likelihood table.

        Parameters
        ----------
        X : array-like or Tensor of shape (n_samples, n_neurons), or Recording
            Responses; a categorical Recording brings its labels (then ``y`` is None).
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self : BayesianClassifier
        """
        self._check_params()
        rec = X if isinstance(X, Recording) else None
        X, codes = self._validate_fit(X, y)
        tuning = TuningModel(basis="one_hot", l2=self.l2, kind="categorical",
                             max_iter=self.max_iter, tol=self.tol, device=self.device)
        grid = np.arange(len(self.classes_))
        self._fit_tables(X, codes, rec, tuning, grid, len(grid))
        return self

    def _grid_index(self, stimulus: np.ndarray, grid: np.ndarray) -> np.ndarray:
        return np.asarray(stimulus, dtype=np.intp)

    def _scores(self, X: Any) -> np.ndarray:
        """Normalised log posterior (n_samples, n_classes)."""
        X = self._validate_X(X)
        out = np.empty((len(X), len(self.classes_)))
        for sl, lp in self._log_posterior_chunks(X):
            out[sl] = lp.cpu().numpy()
        return out

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """Log posterior probability of each class.

        Parameters
        ----------
        X : array-like or Tensor of shape (n_samples, n_neurons), or Recording

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        return self._scores(X)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Posterior probability of each class (columns in :attr:`classes_` order).

        Parameters
        ----------
        X : array-like or Tensor of shape (n_samples, n_neurons), or Recording

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Rows sum to 1.
        """
        return np.exp(self._scores(X))

    def predict_posterior(self, X: Any) -> np.ndarray:
        """Alias of :meth:`predict_proba` (the posterior over classes).

        Parameters
        ----------
        X : array-like or Tensor of shape (n_samples, n_neurons), or Recording

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        return self.predict_proba(X)

    def predict_uncertainty(self, X: Any) -> np.ndarray:
        """Posterior entropy of each trial, in nats (0: certain; ``log n_classes``: flat).

        Parameters
        ----------
        X : array-like or Tensor of shape (n_samples, n_neurons), or Recording

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        lp = self._scores(X)
        return -(np.exp(lp) * lp).sum(axis=1)

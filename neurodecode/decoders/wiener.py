"""The Wiener cascade: a linear filter on spike history, then a static nonlinearity.

Each sample's features are the responses of its own bin and of the ``n_lags`` bins
before it (and, non-causally, after it), built inside the decoder from ``X`` and the
segments so that a window never crosses a segment boundary. The filter is ridge
regression (:func:`~neurodecode.decoders.linear.ridge_path`); each output then passes
through a polynomial fitted to the training targets (Neural_Decoding's WienerCascade).
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .._threads import thread_budget
from .._typing import ArrayLike
from .._validation import check_number
from ._core import standardization
from ._segments import SegmentedRegressor, Segments, history_windows, resolve_segments
from .linear import ridge_path

__all__ = ["WienerCascadeDecoder", "fit_polynomial", "eval_polynomial"]


def fit_polynomial(u: np.ndarray, t: np.ndarray, degree: int
                   ) -> tuple[np.ndarray, float, float]:
    """Least-squares polynomial ``t ~ p((u - center) / scale)`` (centred and scaled input).

    The same polynomial as ``numpy.polyfit(u, t, degree)``, computed on ``u`` centred
    and scaled to unit standard deviation for conditioning; a constant ``u`` gives the
    constant ``mean(t)`` (minimum-norm solution) without a warning.

    Parameters
    ----------
    u : ndarray of shape (n_samples,)
        Input (the linear filter's output).
    t : ndarray of shape (n_samples,)
        Target.
    degree : int
        Polynomial degree (>= 1).

    Returns
    -------
    coef : ndarray of shape (degree + 1,)
        Highest power first (:func:`numpy.polyval` order), in the scaled input.
    center, scale : float

    Examples
    --------
    >>> u = np.linspace(-1, 1, 5)
    >>> coef, c, s = fit_polynomial(u, u**2, 2)
    >>> np.allclose(eval_polynomial(coef, c, s, u), u**2)
    True
    """
    mean, std = standardization(u[:, None])  # a constant u keeps a scale of 1
    center, scale = float(mean[0]), float(std[0])
    V = np.vander((u - center) / scale, degree + 1)
    coef = np.linalg.lstsq(V, t, rcond=None)[0]
    return coef, center, scale


def eval_polynomial(coef: np.ndarray, center: float, scale: float, u: np.ndarray
                    ) -> np.ndarray:
    """Evaluate a polynomial of :func:`fit_polynomial` at ``u``.

    Parameters
    ----------
    coef : ndarray of shape (degree + 1,)
    center, scale : float
    u : ndarray of shape (n_samples,)

    Returns
    -------
    ndarray of shape (n_samples,)
    """
    return np.polyval(coef, (u - center) / scale)


class WienerCascadeDecoder(SegmentedRegressor):
    """Wiener cascade: ridge filter on spike history, then a polynomial per output.

    The features of bin ``t`` are the responses of bins ``t - n_lags .. t`` (causal,
    the default) or ``t - n_lags .. t + n_lags`` (``causal=False``), taken from ``X``
    inside the bin's segment. The linear filter is fitted by ridge regression on the
    training bins whose whole window lies inside their segment; the static nonlinearity
    of each output is a polynomial of degree ``degree`` fitted by least squares from the
    filter's training output to the target (as Neural_Decoding's
    ``WienerCascadeRegression``). At prediction time every bin gets a value: window
    bins outside the segment (the first ``n_lags`` bins of each segment) take the
    training mean of the responses.

    Parameters
    ----------
    n_lags : int, default=4
        Bins of history before each bin (and, with ``causal=False``, after it).
    l2 : float, default=0.0
        L2 penalty strength on the filter, scaled as on every neurodecode decoder:
        ``Ridge(alpha=n_samples * l2)`` on the (standardised) history features.
    degree : int or None, default=3
        Degree of the static nonlinearity. None fits none: the plain Wiener filter.
    causal : bool, default=True
        Use only the current and past bins. ``causal=False`` also reads the ``n_lags``
        next bins: **non-causal**, marked in ``repr``.
    period : float, optional
        Decode a circular stimulus of this period: the filter and the nonlinearities
        fit ``(cos, sin)`` of ``2 pi y / period`` and :meth:`predict` returns angles in
        ``[0, period)``. Read from a circular Recording when left as None.
    standardize : bool, default=True
        Z-score each neuron with the training mean and standard deviation (the penalty
        then acts on weights of standardised responses).

    Attributes
    ----------
    coef_ : ndarray of shape (n_targets, n_window, n_neurons)
        The linear filter in the original units of the responses: ``coef_[j, l, i]``
        weighs neuron ``i`` at bin offset ``lags_[l]`` for target ``j`` (``y``'s columns,
        or ``cos`` and ``sin`` for a circular stimulus).
    intercept_ : ndarray of shape (n_targets,)
    lags_ : ndarray of int of shape (n_window,)
        Bin offset of each window position, oldest first (``-n_lags .. 0`` when causal).
    poly_coef_ : ndarray of shape (n_targets, degree + 1)
        Nonlinearity of target ``j``: ``numpy.polyval(poly_coef_[j], (u - poly_center_[j])
        / poly_scale_[j])`` of the filter output ``u``. Absent with ``degree=None``.
    poly_center_, poly_scale_ : ndarray of shape (n_targets,)
    history_fill_ : ndarray of shape (n_neurons,)
        Training mean of the responses, which stands in for window bins outside a
        segment.
    mean_, scale_ : ndarray of shape (n_neurons,) or None
        Training statistics used to standardise the responses.
    period_ : float or None
    n_outputs_ : int
    n_features_in_ : int

    Raises
    ------
    ValueError
        At ``fit``, for a negative ``n_lags`` or ``l2``, a ``degree`` below 1, a
        categorical Recording, no segment as long as one window (the first is named in
        the message), or segment ids that do not match ``X``. Shorter segments add no
        training bins at ``fit`` and are decoded at ``predict`` like any segment's first
        bins.

    See Also
    --------
    KalmanDecoder : linear-Gaussian state model filtered over time.
    LinearDecoder : the linear read-out of a fixed feature matrix (e.g. ``add_history``).

    Notes
    -----
    With ``h_t`` the standardised window of bin ``t`` and ``s_t`` its target, the filter
    minimises ``1/(2 n) sum_t ||s_t - W h_t - b||^2 + l2/2 ||W||_F^2`` over the bins with
    complete windows; then for each target ``j`` the polynomial ``f_j`` minimises
    ``sum_t (s_tj - f_j(W_j h_t + b_j))^2`` on the same bins. ``l2=0`` and ``degree=3``
    are Neural_Decoding's WienerCascade on ``get_spikes_with_history`` features
    (``bins_before=n_lags``, ``bins_current=1``, ``bins_after=0``, or ``n_lags`` when
    non-causal).

    References
    ----------
    Glaser, J. I., Benjamin, A. S., Chowdhury, R. H., Perich, M. G., Miller, L. E. &
    Kording, K. P. (2020). Machine learning for neural decoding. eNeuro 7(4).

    Hunter, I. W. & Korenberg, M. J. (1986). The identification of nonlinear biological
    systems: Wiener and Hammerstein cascade models. Biological Cybernetics 55, 135-144.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.poisson(2.0, size=(1000, 10)).astype(float)
    >>> drive = X[:-2] @ rng.normal(size=10) / 5
    >>> y = np.r_[0.0, 0.0, np.tanh(drive)]  # the responses lead the target by 2 bins
    >>> dec = WienerCascadeDecoder(n_lags=2).fit(X[:800], y[:800])
    >>> dec.coef_.shape, dec.lags_.tolist()
    ((1, 3, 10), [-2, -1, 0])
    >>> bool(dec.score(X[800:], y[800:]) > 0.9)
    True
    >>> WienerCascadeDecoder(causal=False)
    WienerCascadeDecoder(causal=False)  # non-causal
    """

    def __init__(
        self,
        n_lags: int = 4,
        *,
        l2: float = 0.0,
        degree: int | None = 3,
        causal: bool = True,
        period: float | None = None,
        standardize: bool = True,
    ) -> None:
        self.n_lags = n_lags
        self.l2 = l2
        self.degree = degree
        self.causal = causal
        self.period = period
        self.standardize = standardize

    def _check_params(self) -> None:
        super()._check_params()
        check_number(self.n_lags, "n_lags", self._owner, low=0, integer=True)
        if self.degree is not None and (isinstance(self.degree, bool) or not isinstance(
                self.degree, numbers.Integral) or self.degree < 1):
            raise ValueError(
                f"The 'degree' parameter of {self._owner} must be an int >= 1, or None for no "
                f"nonlinearity (the plain Wiener filter). Got {self.degree!r} instead."
            )
        if not isinstance(self.causal, (bool, np.bool_)):
            raise TypeError(
                f"The 'causal' parameter of {self._owner} must be a bool. "
                f"Got {self.causal!r} instead."
            )

    def _window(self) -> tuple[int, int]:
        """Bins before and after each bin."""
        n = int(self.n_lags)
        return n, (0 if self.causal else n)

    def _segments(self, X: Any, segments: ArrayLike | None, n_samples: int, *,
                  fitting: bool) -> Segments:
        """The segments; at ``fit`` at least one must hold a whole window (segments
        shorter than a window add no training bins; at ``predict`` their bins read the
        training mean where the window leaves the segment)."""
        seg = resolve_segments(X, segments, n_samples, self._owner)
        before, after = self._window()
        length = before + after + 1
        if fitting and length > 1 and len(seg) and seg.lengths.max() < length:
            seg.require_length(
                length, self._owner,
                f"n_lags={self.n_lags}{'' if self.causal else ' with causal=False'} makes "
                f"windows of {length} bins, which never cross a segment boundary, and no "
                "segment holds a whole window to fit on")
        return seg

    def fit(self, X: Any, y: Any = None, segments: ArrayLike | None = None
            ) -> WienerCascadeDecoder:
        """Fit the history filter, then the static nonlinearity of each output.

        Parameters
        ----------
        X : array-like or Tensor of shape (n_samples, n_neurons), or Recording
            Responses, one row per time bin, in time order (not a history matrix: the
            decoder builds the windows). A Recording brings its stimulus (and period)
            and its segments (``trial_id``, gaps in ``times``); then ``y`` must be None.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Stimulus to decode (angles when ``period`` is set).
        segments : array-like of int of shape (n_samples,), optional
            Segment id of every bin; consecutive bins with the same id form one
            continuous stretch. None: one segment (besides a Recording's own breaks).

        Returns
        -------
        self : WienerCascadeDecoder
            The fitted decoder.

        Raises
        ------
        ValueError
            For bad hyperparameters, inputs or segments (see the class docstring).
        """
        self._check_params()
        Xv, y_fit = self._validate_fit(X, y)
        seg = self._segments(X, segments, len(Xv), fitting=True)
        Z = self._fit_standardizer(np.asarray(Xv, dtype=np.float64))
        before, after = self._window()
        windows, complete = history_windows(Z, seg, before, after, Z.mean(axis=0))
        rows = np.flatnonzero(complete)
        features = windows[rows].reshape(len(rows), -1)
        T = self._targets(y_fit)[rows]
        W, b = ridge_path(features, T, [float(self.l2)])
        W, b = W[0], b[0]
        # the filter on the original responses: w . (x - m) / s + b
        n_window, n_neurons = windows.shape[1:]
        m = np.zeros(n_neurons) if self.mean_ is None else self.mean_
        sc = np.ones(n_neurons) if self.scale_ is None else self.scale_
        coef = W.reshape(len(W), n_window, n_neurons) / sc
        self.coef_ = coef
        self.intercept_ = b - np.einsum("jln,n->j", coef, m)
        self.lags_ = np.arange(-before, after + 1)
        self.history_fill_ = np.asarray(Xv, dtype=np.float64).mean(axis=0)
        if self.degree is not None:
            u = features @ W.T + b
            fits = [fit_polynomial(u[:, j], T[:, j], int(self.degree)) for j in range(len(W))]
            self.poly_coef_ = np.stack([f[0] for f in fits])
            self.poly_center_ = np.array([f[1] for f in fits])
            self.poly_scale_ = np.array([f[2] for f in fits])
        return self

    def predict_linear(self, X: Any, segments: ArrayLike | None = None) -> np.ndarray:
        """Output of the linear filter alone (before the nonlinearity).

        Parameters
        ----------
        X : array-like or Tensor of shape (n_samples, n_neurons), or Recording
        segments : array-like of int of shape (n_samples,), optional

        Returns
        -------
        ndarray of shape (n_samples, n_targets)
        """
        Xv = np.asarray(self._validate_X(X), dtype=np.float64)
        seg = self._segments(X, segments, len(Xv), fitting=False)
        before, after = self._window()
        windows, _ = history_windows(Xv, seg, before, after, self.history_fill_)
        flat = windows.reshape(len(Xv), -1)
        with thread_budget(2.0 * flat.size * len(self.coef_)):
            return flat @ self.coef_.reshape(len(self.coef_), -1).T + self.intercept_

    def predict(self, X: Any, segments: ArrayLike | None = None) -> np.ndarray:
        """Decode the stimulus of every bin.

        Parameters
        ----------
        X : array-like or Tensor of shape (n_samples, n_neurons), or Recording
            Responses, one row per time bin, in time order.
        segments : array-like of int of shape (n_samples,), optional
            Segment id of every bin (see :meth:`fit`); windows never cross a change of
            id.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Angles in ``[0, period)`` for circular stimuli, values otherwise.

        Raises
        ------
        NotFittedError
            Before :meth:`fit`.
        ValueError
            If ``X`` has another number of neurons than the training data, NaN, or
            segments that do not match it.
        """
        out = self.predict_linear(X, segments)
        if self.degree is not None:
            out = np.column_stack([
                eval_polynomial(self.poly_coef_[j], self.poly_center_[j], self.poly_scale_[j],
                                out[:, j]) for j in range(out.shape[1])])
        return self._outputs_to_predictions(out)

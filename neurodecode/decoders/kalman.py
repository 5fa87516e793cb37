"""The neural-decoding Kalman filter (Wu et al. 2003): a linear-Gaussian state model of the
kinematics, observed through the neurons, filtered over each segment in time order.

The model is fitted by least squares (the observation matrix optionally by ridge, with
:func:`~neurodecode.decoders.linear.ridge_path`) and decoded by the Kalman filter, or by
the Rauch-Tung-Striebel smoother, which also reads later bins (non-causal). Everything
is exact float64 NumPy: the state has a few dimensions, so the recursions are small
matrix products; the neurons enter once, through ``H' Q^-1`` (information form).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from scipy.linalg import pinvh

from .._threads import thread_budget
from .._typing import ArrayLike
from .._validation import check_number
from ..data import Recording
from ._core import standardization
from ._segments import SegmentedRegressor, Segments, resolve_segments
from .linear import ridge_path

__all__ = [
    "KalmanDecoder",
    "filter_covariances",
    "fit_linear_gaussian",
    "kalman_filter",
    "rts_smooth",
]


# --------------------------------------------------------------------------- fitting
def fit_linear_gaussian(inputs: np.ndarray, outputs: np.ndarray, l2: float, *,
                        fit_intercept: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``outputs = inputs @ M.T + b + e`` by least squares (ridge), and the covariance of ``e``.

    Parameters
    ----------
    inputs : ndarray of shape (n_samples, n_inputs)
    outputs : ndarray of shape (n_samples, n_outputs)
    l2 : float
        Ridge strength on ``M`` (:func:`~neurodecode.decoders.linear.ridge_path`'s
        scaling: ``Ridge(alpha=n_samples * l2)``); 0 is least squares.
    fit_intercept : bool
        Fit ``b`` (else ``b = 0``).

    Returns
    -------
    M : ndarray of shape (n_outputs, n_inputs)
    b : ndarray of shape (n_outputs,)
    cov : ndarray of shape (n_outputs, n_outputs)
        Mean outer product of the residuals (divided by ``n_samples``).

    Examples
    --------
    >>> x = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> M, b, cov = fit_linear_gaussian(x, 2 * x + 1, 0.0, fit_intercept=True)
    >>> M.round(6).tolist(), b.round(6).tolist(), cov.round(6).tolist()
    ([[2.0]], [1.0], [[0.0]])
    """
    W, b = ridge_path(inputs, outputs, [float(l2)], fit_intercept=fit_intercept)
    M, b = W[0], b[0]
    residual = outputs - inputs @ M.T - b
    return M, b, residual.T @ residual / len(inputs)


def _transition_pairs(segments: Segments) -> tuple[np.ndarray, np.ndarray]:
    """Indices of (x_{t-1}, x_t) for every pair of consecutive bins inside a segment."""
    pos = segments.positions()
    nxt = np.flatnonzero(pos >= 1)
    return nxt - 1, nxt


def _observation_pairs(segments: Segments, lag: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of (state at t, responses at t - lag) inside a segment."""
    rows = np.flatnonzero(segments.positions() >= lag)
    return rows, rows - lag


# --------------------------------------------------------------------------- filtering
def filter_covariances(A: np.ndarray, W: np.ndarray, M: np.ndarray, P0: np.ndarray,
                       n_steps: int, lag: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """State covariances of the Kalman filter at each position of a segment.

    They do not depend on the data, so one pass serves every segment. At position
    ``t``: ``P_pred[0] = P0``, ``P_pred[t] = A P_filt[t-1] A' + W``, and where the state
    is observed (``t >= lag``) ``P_filt[t] = (I + P_pred[t] M)^-1 P_pred[t]``, which is
    ``(I - K H) P_pred`` with the gain ``K = P_pred H'(H P_pred H' + Q)^-1`` when
    ``M = H' Q^-1 H`` (the information form: no inverse of a neurons x neurons matrix).

    Parameters
    ----------
    A, W : ndarray of shape (n_states, n_states)
        Transition matrix and process noise covariance.
    M : ndarray of shape (n_states, n_states)
        ``H' Q^-1 H``, the information one bin of responses brings.
    P0 : ndarray of shape (n_states, n_states)
        Covariance of the state at a segment's first bin (before its responses).
    n_steps : int
        Positions to compute (the longest segment).
    lag : int, default=0
        Positions ``t < lag`` have no responses yet (prediction only).

    Returns
    -------
    P_pred, P_filt : ndarray of shape (n_steps, n_states, n_states)
        Covariance before and after each position's update.

    Examples
    --------
    >>> one = np.eye(1)
    >>> P_pred, P_filt = filter_covariances(one, one, one, one, 2)
    >>> P_pred.ravel().tolist(), P_filt.ravel().tolist()
    ([1.0, 1.5], [0.5, 0.6])
    """
    k = len(A)
    eye = np.eye(k)
    P_pred = np.empty((n_steps, k, k))
    P_filt = np.empty((n_steps, k, k))
    for t in range(n_steps):
        P_pred[t] = P0 if t == 0 else A @ P_filt[t - 1] @ A.T + W
        if t >= lag:
            P = np.linalg.solve(eye + P_pred[t] @ M, P_pred[t])
            P_filt[t] = 0.5 * (P + P.T)
        else:
            P_filt[t] = P_pred[t]
    return P_pred, P_filt


def _by_position(segments: Segments) -> tuple[np.ndarray, np.ndarray]:
    """Segment starts, longest first, and how many segments reach each position."""
    order = np.argsort(-segments.lengths, kind="stable")
    starts, lengths = segments.starts[order], segments.lengths[order]
    n_steps = int(lengths[0]) if len(lengths) else 0
    active = np.searchsorted(-lengths, -np.arange(n_steps), side="left")
    return starts, active


def kalman_filter(Y: np.ndarray, segments: Segments, A: np.ndarray, mean: np.ndarray,
                  M: np.ndarray, P_filt: np.ndarray, lag: int = 0
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Filtered states of every sample, restarting at each segment's first bin.

    At a segment's position ``t`` the prediction is ``x_pred = mean + A (x_filt[t-1] -
    mean)`` (``mean`` at ``t = 0``) and, where observed, ``x_filt = x_pred + P_filt[t]
    (y[t - lag] - M x_pred)``: the Kalman update ``x_pred + K (z - d - H x_pred)``
    with the responses projected once, ``y = H' Q^-1 (z - d)``. All segments advance
    together, position by position.

    Parameters
    ----------
    Y : ndarray of shape (n_samples, n_states)
        Projected responses ``(Z - d) Q^-1 H``.
    segments : Segments
    A, M : ndarray of shape (n_states, n_states)
    mean : ndarray of shape (n_states,)
        State mean (the prediction at a segment's first bin).
    P_filt : ndarray of shape (n_steps, n_states, n_states)
        From :func:`filter_covariances`.
    lag : int, default=0

    Returns
    -------
    x_filt, x_pred : ndarray of shape (n_samples, n_states)
        States after and before each bin's update.
    """
    starts, active = _by_position(segments)
    x_filt = np.empty_like(Y)
    x_pred = np.empty_like(Y)
    for t, k in enumerate(active):
        rows = starts[:k] + t
        if t == 0:
            pred = np.broadcast_to(mean, (k, len(mean)))
        else:
            pred = mean + (x_filt[rows - 1] - mean) @ A.T
        x_pred[rows] = pred
        x_filt[rows] = pred + (Y[rows - lag] - pred @ M.T) @ P_filt[t].T if t >= lag else pred
    return x_filt, x_pred


def rts_smooth(x_filt: np.ndarray, x_pred: np.ndarray, segments: Segments, A: np.ndarray,
               P_pred: np.ndarray, P_filt: np.ndarray) -> np.ndarray:
    """Rauch-Tung-Striebel smoothed states: each bin also sees its segment's later bins.

    ``x_s[t] = x_filt[t] + C_t (x_s[t+1] - x_pred[t+1])`` backwards from each segment's
    last bin, with ``C_t = P_filt[t] A' P_pred[t+1]^-1`` (a pseudo-inverse where
    ``P_pred`` is singular). Non-causal.

    Parameters
    ----------
    x_filt, x_pred : ndarray of shape (n_samples, n_states)
        From :func:`kalman_filter`.
    segments : Segments
    A : ndarray of shape (n_states, n_states)
    P_pred, P_filt : ndarray of shape (n_steps, n_states, n_states)
        From :func:`filter_covariances`.

    Returns
    -------
    ndarray of shape (n_samples, n_states)
    """
    starts, active = _by_position(segments)
    x_s = x_filt.copy()
    for t in range(len(active) - 2, -1, -1):
        C = P_filt[t] @ A.T @ np.linalg.pinv(P_pred[t + 1], hermitian=True)
        rows = starts[:active[t + 1]] + t
        x_s[rows] = x_filt[rows] + (x_s[rows + 1] - x_pred[rows + 1]) @ C.T
    return x_s


# --------------------------------------------------------------------------- estimator
class KalmanDecoder(SegmentedRegressor):
    """Kalman filter decoder of continuous kinematics (Wu et al. 2003).

    The state is the decoded variable itself (e.g. hand velocity; add position or
    acceleration columns to ``y`` for a richer state). It follows a linear-Gaussian
    model ``x_t = A x_{t-1} + w_t``; the neurons observe it through ``z_t = H x_t + d +
    q_t``. ``A`` and ``W = cov(w)`` are fitted by least squares on consecutive training
    bins inside each segment; ``H`` by least squares (ridge with ``l2``) and ``Q =
    cov(q)`` from its residuals. :meth:`predict` runs the filter over each segment in
    time order, restarting at each segment's first bin from the training mean and
    covariance of the state.

    Parameters
    ----------
    l2 : float, default=0.0
        L2 penalty strength on ``H`` (ridge, ``Ridge(alpha=n_samples * l2)``), fitted on
        z-scored kinematics and (with ``standardize``) z-scored responses.
    noise_scale : float, default=1.0
        Multiplies the process noise covariance ``W``: larger values trust each bin's
        responses more, smaller ones the dynamics more (smoother estimates).
        Neural_Decoding's ``KalmanFilterRegression(C)`` is ``noise_scale = 1 / C``.
    lag : int, default=0
        Bins by which the responses lead the kinematics: the state at bin ``t`` is
        observed through the responses of bin ``t - lag`` (the first ``lag`` bins of a
        segment are predicted from the dynamics alone). Neural_Decoding's ``lag`` of
        ``-lag``. Causal for every value.
    smooth : bool, default=False
        Return Rauch-Tung-Striebel smoothed states instead of filtered ones. The
        smoother reads every later bin of the segment: it is **non-causal** (``causal``
        is False and ``repr`` says so); use it for offline analysis only.
    standardize : bool, default=True
        Z-score each neuron with the training mean and standard deviation before fitting
        the observation model (changes nothing when ``l2=0``).

    Attributes
    ----------
    A_ : ndarray of shape (n_states, n_states)
        Transition matrix: ``x_t - state_mean_ = A_ (x_{t-1} - state_mean_) + w_t``.
    W_ : ndarray of shape (n_states, n_states)
        Process noise covariance (times ``noise_scale``).
    H_ : ndarray of shape (n_neurons, n_states)
        Observation matrix, in the original units of responses and kinematics.
    observation_intercept_ : ndarray of shape (n_neurons,)
        ``d`` in ``z_t = H_ x_t + d + q_t``.
    Q_ : ndarray of shape (n_neurons, n_neurons)
        Observation noise covariance.
    state_mean_ : ndarray of shape (n_states,)
        Training mean of the kinematics (the first prediction of each segment).
    initial_covariance_ : ndarray of shape (n_states, n_states)
        Training covariance of the kinematics (the uncertainty at a segment's start).
    mean_, scale_ : ndarray of shape (n_neurons,) or None
        Training statistics used to standardise the responses.
    period_ : None
        Always None (circular stimuli are refused).
    n_outputs_ : int
        Number of columns of ``y`` (the state dimension).
    n_features_in_ : int

    Raises
    ------
    ValueError
        At ``fit``, for a negative ``l2`` or ``lag``, a non-positive ``noise_scale``, a
        circular or categorical Recording, no segment of two bins, a segment shorter
        than ``lag + 1`` bins (named in the message), or segment ids that do not match
        ``X``.

    See Also
    --------
    WienerCascadeDecoder : linear filter on spike history with a static nonlinearity.

    Notes
    -----
    The least-squares fits are Neural_Decoding's ``KalmanFilterRegression`` (Glaser et
    al. 2020), restricted to pairs of bins inside a segment, with an intercept on the
    observation model (their examples centre the kinematics and z-score the responses,
    which is the same model). Unlike theirs, prediction does not start from the true
    first state of the test data: each segment starts at ``state_mean_`` with covariance
    ``initial_covariance_``, and its first bin is updated with its own responses.

    The filter uses the information form: with ``M = H' Q^-1 H`` (``Q^-1`` a
    pseudo-inverse, so neurons silent during training are ignored) each bin costs a few
    ``n_states x n_states`` products, and the covariances, which do not depend on the
    data, are computed once for all segments.

    References
    ----------
    Wu, W., Black, M. J., Gao, Y., Bienenstock, E., Serruya, M., Shaikhouni, A. &
    Donoghue, J. P. (2003). Neural decoding of cursor motion using a Kalman filter.
    Advances in Neural Information Processing Systems 15, 133-140.

    Glaser, J. I., Benjamin, A. S., Chowdhury, R. H., Perich, M. G., Miller, L. E. &
    Kording, K. P. (2020). Machine learning for neural decoding. eNeuro 7(4).

    Rauch, H. E., Tung, F. & Striebel, C. T. (1965). Maximum likelihood estimates of
    linear dynamic systems. AIAA Journal 3(8), 1445-1450.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> v = np.zeros((1000, 1))
    >>> for t in range(1, 1000):
    ...     v[t] = 0.95 * v[t - 1] + 0.3 * rng.normal()
    >>> X = v @ rng.normal(size=(1, 20)) + rng.normal(size=(1000, 20))
    >>> dec = KalmanDecoder().fit(X[:800], v[:800])
    >>> dec.A_.round(2)  # the true dynamics: 0.95
    array([[0.93]])
    >>> bool(dec.score(X[800:], v[800:]) > 0.9)
    True
    >>> KalmanDecoder(smooth=True)
    KalmanDecoder(smooth=True)  # non-causal
    """

    _kinds = ("linear",)
    #: No circular targets: the state is linear-Gaussian (read by RegressorDecoder).
    period: ClassVar[None] = None

    def __init__(
        self,
        l2: float = 0.0,
        *,
        noise_scale: float = 1.0,
        lag: int = 0,
        smooth: bool = False,
        standardize: bool = True,
    ) -> None:
        self.l2 = l2
        self.noise_scale = noise_scale
        self.lag = lag
        self.smooth = smooth
        self.standardize = standardize

    @property
    def causal(self) -> bool:  # type: ignore[override]
        """Whether predictions read only current and past bins (False with ``smooth``)."""
        return not self.smooth

    def _check_params(self) -> None:
        super()._check_params()
        check_number(self.noise_scale, "noise_scale", self._owner, low=0, low_inclusive=False)
        check_number(self.lag, "lag", self._owner, low=0, integer=True)
        if not isinstance(self.smooth, (bool, np.bool_)):
            raise TypeError(
                f"The 'smooth' parameter of {self._owner} must be a bool. "
                f"Got {self.smooth!r} instead."
            )

    def _check_kind(self, recording: Recording) -> None:
        if recording.kind == "linear":
            return
        if recording.kind == "categorical":
            raise ValueError(
                f"{self._owner} filters a continuous state (kinematics), but this "
                "Recording's stimulus is categorical. Decode classes with a classifier "
                "(LogisticDecoder, MLPClassifierDecoder, PerceptronDecoder)."
            )
        raise ValueError(
            f"{self._owner} models a linear-Gaussian state, but this Recording's stimulus "
            f"is circular (period {recording.period:g}): angles wrap around, which a Kalman "
            "state cannot. Use WienerCascadeDecoder or LinearDecoder, which decode "
            "(cos, sin) of the angle, or pass that (cos, sin) as a linear stimulus."
        )

    def _segments(self, X: Any, segments: ArrayLike | None, n_samples: int) -> Segments:
        seg = resolve_segments(X, segments, n_samples, self._owner)
        lag = int(self.lag)
        if lag:
            seg.require_length(
                lag + 1, self._owner,
                f"with lag={lag} the state at bin t is observed through the responses of "
                f"bin t - {lag}, so a segment's first {lag} bin(s) are never observed")
        return seg

    def fit(self, X: Any, y: Any = None, segments: ArrayLike | None = None) -> KalmanDecoder:
        """Fit the state and observation models.

        Parameters
        ----------
        X : array-like or Tensor of shape (n_samples, n_neurons), or Recording
            Responses, one row per time bin, in time order. A linear Recording brings
            its kinematics and its segments (``trial_id``, gaps in ``times``); then
            ``y`` must be None.
        y : array-like of shape (n_samples,) or (n_samples, n_states)
            Kinematics, one row per bin.
        segments : array-like of int of shape (n_samples,), optional
            Segment id of every bin; consecutive bins with the same id form one
            continuous stretch. None: one segment (besides a Recording's own breaks).

        Returns
        -------
        self : KalmanDecoder
            The fitted decoder.

        Raises
        ------
        ValueError
            For bad hyperparameters, inputs or segments (see the class docstring).
        """
        self._check_params()
        Xv, y_fit = self._validate_fit(X, y)
        seg = self._segments(X, segments, len(Xv))
        prev, nxt = _transition_pairs(seg)
        if len(prev) == 0:
            raise ValueError(
                f"{self._owner} fits its state model on pairs of consecutive bins inside a "
                f"segment, but no segment holds 2 bins (the longest has "
                f"{int(seg.lengths.max())} sample(s)). Pass time bins in order, with "
                "segments of at least 2 bins."
            )
        Z = self._fit_standardizer(np.asarray(Xv, dtype=np.float64))
        s_mean, s_scale = standardization(y_fit)
        S = (y_fit - s_mean) / s_scale
        A, _, W = fit_linear_gaussian(S[prev], S[nxt], 0.0, fit_intercept=False)
        rows, neural = _observation_pairs(seg, int(self.lag))
        H, d, Q = fit_linear_gaussian(S[rows], Z[neural], float(self.l2), fit_intercept=True)
        # back to the original units of kinematics (s_scale) and responses (m, sc)
        n_neurons = Z.shape[1]
        m = np.zeros(n_neurons) if self.mean_ is None else self.mean_
        sc = np.ones(n_neurons) if self.scale_ is None else self.scale_
        self.A_ = A * s_scale[:, None] / s_scale[None, :]
        self.W_ = float(self.noise_scale) * W * np.outer(s_scale, s_scale)
        self.H_ = sc[:, None] * H / s_scale[None, :]
        self.observation_intercept_ = m + sc * d - self.H_ @ s_mean
        self.Q_ = Q * np.outer(sc, sc)
        self.state_mean_ = s_mean
        self.initial_covariance_ = (S.T @ S / len(S)) * np.outer(s_scale, s_scale)
        return self

    def predict(self, X: Any, segments: ArrayLike | None = None) -> np.ndarray:
        """Decode the kinematics by filtering (or smoothing) over each segment in order.

        Parameters
        ----------
        X : array-like or Tensor of shape (n_samples, n_neurons), or Recording
            Responses, one row per time bin, in time order.
        segments : array-like of int of shape (n_samples,), optional
            Segment id of every bin (see :meth:`fit`); the filter restarts at each
            segment's first bin.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_states)
            Filtered (``smooth=False``) or smoothed state of every bin.

        Raises
        ------
        NotFittedError
            Before :meth:`fit`.
        ValueError
            If ``X`` has another number of neurons than the training data, NaN, or
            segments that do not match it.
        """
        Xv = np.asarray(self._validate_X(X), dtype=np.float64)
        seg = self._segments(X, segments, len(Xv))
        n_states = len(self.A_)
        with thread_budget(Xv.shape[1] ** 2 * n_states):  # per step: one thread when small
            return self._outputs_to_predictions(self._states(Xv, seg))

    def _states(self, X: np.ndarray, seg: Segments) -> np.ndarray:
        """Filtered or smoothed states of every bin (original units)."""
        lag = int(self.lag)
        G = self.H_.T @ pinvh(self.Q_)
        M = G @ self.H_
        M = 0.5 * (M + M.T)
        Y = (X - self.observation_intercept_) @ G.T
        P_pred, P_filt = filter_covariances(self.A_, self.W_, M, self.initial_covariance_,
                                            int(seg.lengths.max()), lag)
        x_filt, x_pred = kalman_filter(Y, seg, self.A_, self.state_mean_, M, P_filt, lag)
        if not self.smooth:
            return x_filt
        return rts_smooth(x_filt, x_pred, seg, self.A_, P_pred, P_filt)

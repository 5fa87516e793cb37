"""Stringer et al.'s basis read-out of a circular stimulus: ridge onto von Mises bumps, then argmax.

The stimulus angle of every training trial is turned into a profile of ``n_basis`` von
Mises bumps tiling the circle; a ridge regression maps the responses onto that profile;
a new trial's angle is where its predicted profile, interpolated with the same bumps,
peaks. Unlike a ``(cos, sin)`` read-out it can use the higher harmonics of the tuning.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .._validation import check_number
from ._base import RegressorDecoder, resolve_device
from .linear import ridge_path

__all__ = ["BasisDecoder", "von_mises_basis"]

_GRID_PER_BASIS = 16  # coarse argmax grid: 16 points per basis function, then Newton steps
_NEWTON_STEPS = 3
_CHUNK = 4096  # samples read out at a time (bounds the grid's memory)


def von_mises_basis(angles: np.ndarray, n_basis: int, kappa: float) -> np.ndarray:
    """Von Mises bumps centred at ``2 pi k / n_basis``, evaluated at angles in radians.

    Parameters
    ----------
    angles : array-like of shape (n_samples,)
        Angles in radians (any range: the bumps are periodic).
    n_basis : int
        Number of bumps tiling the circle.
    kappa : float
        Concentration of each bump; its width is about ``1 / sqrt(kappa)`` radians.

    Returns
    -------
    ndarray of shape (n_samples, n_basis)
        ``exp(kappa * (cos(angle - centre_k) - 1))``, 1 at the centre.

    Examples
    --------
    >>> von_mises_basis(np.array([0.0]), 4, 1.0).round(3)
    array([[1.   , 0.368, 0.135, 0.368]])
    """
    centres = 2 * np.pi * np.arange(n_basis) / n_basis
    phase = np.asarray(angles, dtype=np.float64)[:, None] - centres[None, :]
    return np.exp(kappa * (np.cos(phase) - 1.0))


class BasisDecoder(RegressorDecoder):
    """Basis read-out of a circular stimulus (Stringer et al., 2021).

    Each training angle ``y`` becomes a profile of ``n_basis`` von Mises bumps tiling
    the circle; a ridge regression maps the responses onto that profile; a new trial's
    angle is the peak of its predicted profile, interpolated on the circle with the same
    bumps (a matched filter) and refined to a continuous maximum by Newton steps.

    Parameters
    ----------
    n_basis : int, default=48
        Number of von Mises bumps tiling the circle (at least 3).
    kappa : float, default=2.0
        Concentration of each bump, on the circle scaled to ``2 pi`` (its width is about
        ``1 / sqrt(kappa)`` radians of that circle). Stringer et al. used 10 (sigma =
        0.1) on tens of thousands of neurons; with fewer neurons the high harmonics of
        sharp bumps are poorly predicted and broader bumps (1-3) decode better.
    l2 : float, default=1.0
        L2 penalty strength on the weights, scaled as on every neurodecode decoder:
        ``Ridge(alpha=n_samples * l2)`` on the (standardised) responses. Stringer et
        al. used 1.
    period : float, optional
        Period of the stimulus (180 for orientation in degrees, 360 for direction).
        Read from a circular Recording when left as None; required otherwise.
    standardize : bool, default=True
        Z-score each neuron with the training mean and standard deviation.
    fit_intercept : bool, default=True
        Fit an unpenalised intercept per basis function.
    device : str or torch.device, default="auto"
        Where the ridge solve runs (``"auto"``: CUDA, then MPS, then CPU).

    Attributes
    ----------
    coef_ : ndarray of shape (n_basis, n_neurons)
        Weights from the responses (original units) to each basis function.
    intercept_ : ndarray of shape (n_basis,)
    centres_ : ndarray of shape (n_basis,)
        Centre of each basis function, in stimulus units.
    mean_, scale_ : ndarray of shape (n_neurons,) or None
        Training statistics used to standardise the responses.
    period_ : float
    n_outputs_ : int
        Always 1.
    n_features_in_ : int

    Raises
    ------
    ValueError
        At ``fit``, for ``n_basis < 3``, a non-positive ``kappa``, a negative ``l2``, no
        period (neither the parameter nor a circular Recording), a linear or categorical
        Recording, or bad inputs (NaN, mismatched lengths).

    See Also
    --------
    LinearDecoder : the ``(cos, sin)`` read-out (the first harmonic only).
    neurodecode.evaluate.neurometric.neurometric_threshold : discrimination thresholds.

    Notes
    -----
    With ``phi = 2 pi y / period`` and centres ``c_k = 2 pi k / n_basis``, the targets are
    ``t_k(y) = exp(kappa (cos(phi - c_k) - 1))`` and the weights minimise

    ``1/(2 n) sum_i ||t(y_i) - W x_i - b||^2 + l2/2 ||W||_F^2``

    (exact: :func:`~neurodecode.decoders.linear.ridge_path`, one Cholesky solve of
    the smaller of the primal and dual systems, so 23,589 neurons x 4,598 trials cost
    one 4,598 x 4,598 Gram matrix). A trial
    with predicted profile ``p = W x + b`` is read out as

    ``y_hat = period / (2 pi) * argmax_phi sum_k p_k exp(kappa (cos(phi - c_k) - 1))``,

    the angle whose ideal profile best matches ``p`` (the bumps tile the circle evenly,
    so every ideal profile has the same norm, up to a ripple that is negligible once
    ``n_basis`` is well above ``sqrt(kappa)``). The maximum is found on a grid of
    ``16 n_basis`` angles and refined by three Newton steps, so the read-out is not
    quantised. Stringer et al. z-scored each trial's target profile across bumps: with
    an even tiling that is one affine map of all targets, which changes nothing here.

    A tutorial: ``tutorials/06_discrimination_thresholds.py``.

    References
    ----------
    Stringer, C., Michaelos, M., Tsyboulski, D., Lindo, S. E. & Pachitariu, M. (2021).
    High-precision coding in visual cortex. Cell 184(10), 2767-2778.

    Examples
    --------
    >>> from neurodecode.data import orientation_population
    >>> rec, _ = orientation_population(100, 400, random_state=0)
    >>> dec = BasisDecoder(n_basis=24, device="cpu").fit(rec)
    >>> dec.coef_.shape, dec.period_
    ((24, 100), 180.0)
    >>> bool(dec.score(rec) > 0.9)
    True
    """

    _kinds = ("circular",)

    def __init__(
        self,
        n_basis: int = 48,
        *,
        kappa: float = 2.0,
        l2: float = 1.0,
        period: float | None = None,
        standardize: bool = True,
        fit_intercept: bool = True,
        device: str | torch.device = "auto",
    ) -> None:
        self.n_basis = n_basis
        self.kappa = kappa
        self.l2 = l2
        self.period = period
        self.standardize = standardize
        self.fit_intercept = fit_intercept
        self.device = device

    def _check_params(self) -> None:
        super()._check_params()
        check_number(self.n_basis, "n_basis", self._owner, low=3, integer=True)
        check_number(self.kappa, "kappa", self._owner, low=0, low_inclusive=False)

    def _check_kind(self, recording: Any) -> None:
        if recording.kind == "circular":
            return
        raise ValueError(
            f"{self._owner} decodes circular stimuli (orientation, direction), but this "
            f"Recording's stimulus is {recording.kind}. Use LinearDecoder or MLPDecoder for "
            "linear stimuli and a classifier for categorical ones."
        )

    def fit(self, X: Any, y: Any = None) -> BasisDecoder:
        """Fit the ridge map from responses to the basis profile.

        Parameters
        ----------
        X : array-like or Tensor of shape (n_samples, n_neurons), or Recording
            Responses, one row per trial. A circular Recording brings its stimulus and
            period along; then ``y`` must be None.
        y : array-like of shape (n_samples,)
            Angles in the units of ``period`` (wrapped into ``[0, period)``).

        Returns
        -------
        self : BasisDecoder
            The fitted decoder.

        Raises
        ------
        ValueError
            For bad hyperparameters or inputs (see the class docstring).
        """
        self._check_params()
        X, y = self._validate_fit(X, y)
        if self.period_ is None:
            raise ValueError(
                f"{self._owner} decodes circular stimuli and needs their period: pass "
                "period=180 (orientation in degrees), 360 (direction) or 2*pi (radians), or "
                "fit on a circular Recording."
            )
        angles = np.mod(y[:, 0], self.period_) * (2 * np.pi / self.period_)
        targets = von_mises_basis(angles, int(self.n_basis), float(self.kappa))
        device = resolve_device(self.device, self._owner)
        Xt = self._fit_standardizer(self._as_tensor(X, device))
        Tt = self._as_tensor(targets, device, Xt.dtype)
        W, b = ridge_path(Xt, Tt, [float(self.l2)], fit_intercept=bool(self.fit_intercept))
        W, b = W[0], b[0]
        coef, intercept = self._fold_standardization(W.detach().cpu().numpy(),
                                                     b.detach().cpu().numpy())
        self.coef_, self.intercept_ = coef, intercept
        self.centres_ = np.arange(int(self.n_basis)) * (self.period_ / int(self.n_basis))
        return self

    def predict_profile(self, X: Any) -> np.ndarray:
        """Predicted activation of every basis function.

        Parameters
        ----------
        X : array-like or Tensor of shape (n_samples, n_neurons), or Recording

        Returns
        -------
        ndarray of shape (n_samples, n_basis)
            Column ``k`` is the bump centred at ``centres_[k]``.

        Raises
        ------
        NotFittedError
            Before :meth:`fit`.
        """
        X = self._validate_X(X)
        return np.concatenate([np.asarray(X[a:a + _CHUNK], dtype=np.float64) @ self.coef_.T
                               for a in range(0, len(X), _CHUNK)]) + self.intercept_

    def predict(self, X: Any) -> np.ndarray:
        """Decode the angle: the peak of the interpolated predicted profile.

        Parameters
        ----------
        X : array-like or Tensor of shape (n_samples, n_neurons), or Recording

        Returns
        -------
        ndarray of shape (n_samples,)
            Angles in ``[0, period)``.

        Raises
        ------
        NotFittedError
            Before :meth:`fit`.
        ValueError
            If ``X`` has another number of neurons than the training data, or NaN.
        """
        profile = self.predict_profile(X)
        phi = np.concatenate([self._peak(profile[a:a + _CHUNK])
                              for a in range(0, len(profile), _CHUNK)])
        out = np.mod(phi, 2 * np.pi) * (self.period_ / (2 * np.pi))
        return np.where(out >= self.period_, 0.0, out)

    def _peak(self, profile: np.ndarray) -> np.ndarray:
        """Angle (radians) maximising ``sum_k p_k vm(phi - c_k)``: grid, then Newton steps."""
        n_basis, kappa = int(self.n_basis), float(self.kappa)
        n_grid = _GRID_PER_BASIS * n_basis
        grid = 2 * np.pi * np.arange(n_grid) / n_grid
        phi = grid[np.argmax(profile @ von_mises_basis(grid, n_basis, kappa).T, axis=1)]
        centres = 2 * np.pi * np.arange(n_basis) / n_basis
        step_max = 2 * np.pi / n_grid
        for _ in range(_NEWTON_STEPS):
            u = phi[:, None] - centres[None, :]
            g = profile * np.exp(kappa * (np.cos(u) - 1.0))
            d1 = -(g * kappa * np.sin(u)).sum(axis=1)
            d2 = (g * (kappa**2 * np.sin(u) ** 2 - kappa * np.cos(u))).sum(axis=1)
            step = np.where(d2 < 0, -d1 / np.where(d2 < 0, d2, -1.0), 0.0)
            phi = phi + np.clip(step, -step_max, step_max)
        return phi

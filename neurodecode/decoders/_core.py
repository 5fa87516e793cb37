"""The conventions every decoder, fast path and analysis shares, each written once.

- **Penalty** (:class:`Penalty`): the objective's ``l2/2 ||W||^2 + l1 ||W||_1`` on weight
  matrices (never biases), its value, its proximal step, and its closed-form scaling
  :func:`ridge_shift`: with the data term a *mean* over ``n`` samples, an L2 strength
  ``l2`` is scikit-learn's ``Ridge(alpha=n * l2)`` and ``LogisticRegression(C=1/(n l2))``.
- **Standardisation** (:func:`standardization`, :func:`standardize`): z-scoring with the
  training samples' mean and standard deviation, and one zero-variance rule.
- **Target coding** (:func:`encode_angles`, :func:`decode_angles`): a circular stimulus
  of period ``P`` is fitted as ``(cos, sin)`` of ``2 pi y / P`` and read back by ``atan2``.
- **Early stopping** (:class:`EarlyStopping`): one meaning of ``tol`` and ``patience``
  for every iterative solver, and the :class:`~neurodecode.exceptions.ConvergenceWarning`
  when a solver meets its iteration cap first.

Functions here accept NumPy arrays or torch tensors and return the same kind, so the
exact float64 NumPy solvers for small problems and the torch solvers for large ones (and
the GPU) apply the same rule.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..exceptions import ConvergenceWarning

__all__ = [
    "EarlyStopping",
    "Penalty",
    "decode_angles",
    "encode_angles",
    "ridge_shift",
    "standardization",
    "standardize",
    "use_numpy_engine",
    "warn_not_converged",
]

#: Problems with at most this many response entries (n_samples x n_neurons) are solved
#: in float64 NumPy/SciPy on the CPU (no torch overhead); larger ones in torch.
SMALL_PROBLEM = 20_000_000


def _is_tensor(x: Any) -> bool:
    return type(x).__module__.startswith("torch")


def _any(strength: Any) -> bool:
    """Whether a strength (a number, or one per model) is non-zero anywhere."""
    return bool((strength != 0).any()) if hasattr(strength, "shape") else bool(strength)


# --------------------------------------------------------------------------- engine
def use_numpy_engine(n_samples: int, n_features: int, device: Any) -> bool:
    """Whether a convex fit runs in float64 NumPy/SciPy rather than torch.

    Small problems (at most :data:`SMALL_PROBLEM` entries) do, unless ``device`` names
    an accelerator explicitly (``"cuda"``, ``"mps"``): with ``device="auto"`` the best
    place for a small problem is the CPU, where torch's per-call overhead would
    dominate the few milliseconds of work.

    Examples
    --------
    >>> use_numpy_engine(128, 56, "auto"), use_numpy_engine(128, 56, "cuda")
    (True, False)
    """
    if n_samples * n_features > SMALL_PROBLEM:
        return False
    return str(device) in ("auto", "cpu")


# --------------------------------------------------------------------------- penalty
def ridge_shift(l2: float, n_samples: int) -> float:
    """The diagonal shift of the normal equations for an L2 strength: ``n_samples * l2``.

    The data term of every decoder is a mean over samples, so the penalty
    ``l2/2 ||W||^2`` enters the normal equations ``(Z'Z + shift I) W = Z'T`` with this
    shift (scikit-learn's ``Ridge(alpha=shift)``).

    Examples
    --------
    >>> ridge_shift(1e-2, 300)
    3.0
    """
    return float(n_samples) * float(l2)


@dataclass(frozen=True)
class Penalty:
    """``l2/2 sum ||W||_F^2 + l1 sum ||W||_1`` over a model's weight matrices.

    Biases, batch-norm parameters and intercepts are never penalised; each decoder says
    which tensors are its weights.

    Parameters
    ----------
    l1, l2 : float
        Strengths (>= 0), on the scale of a data term that is a mean over samples.

    Examples
    --------
    >>> float(Penalty(l1=0.1, l2=1.0).value([np.array([[1.0, -2.0]])]))  # 5/2 + 0.3
    2.8
    """

    l1: float = 0.0
    l2: float = 0.0

    def value(self, weights: list[Any], *, include_l1: bool = True,
              per_model: bool = False) -> Any:
        """The penalty of ``weights`` (arrays or tensors; a tensor keeps its graph).

        With ``per_model=True`` the weights are stacks of several models' matrices
        (first axis: model), ``l1``/``l2`` may be arrays with one strength per model,
        and the result has one value per model.
        """

        def total_of(x: Any) -> Any:
            return x.reshape(x.shape[0], -1).sum(1) if per_model else x.sum()

        total: Any = 0.0
        if _any(self.l2):
            total = total + self.l2_term(sum(total_of(w * w) for w in weights))
        if _any(self.l1) and include_l1:
            total = total + self.l1 * sum(total_of(abs(w)) for w in weights)
        return total

    def l2_term(self, squared_norm: Any) -> Any:
        """The L2 part from the weights' squared norm: ``l2/2 ||W||^2``."""
        return 0.5 * self.l2 * squared_norm

    def l2_gradient(self, w: Any) -> Any:
        """Gradient of the L2 term with respect to one weight matrix: ``l2 * w``."""
        return self.l2 * w

    def prox_l1(self, w: Any, step: Any) -> Any:
        """Proximal step of the L1 term: soft-thresholding by ``step * l1``."""
        if not self.l1:
            return w
        if _is_tensor(w):
            import torch

            return torch.sign(w) * torch.clamp(w.abs() - step * self.l1, min=0.0)
        return np.sign(w) * np.maximum(np.abs(w) - step * self.l1, 0.0)

    def shift(self, n_samples: int) -> float:
        """:func:`ridge_shift` of this penalty's ``l2``."""
        return ridge_shift(self.l2, n_samples)


# --------------------------------------------------------------------------- standardisation
def standardization(X: Any, *, center: bool = True, axis: int = 0) -> tuple[Any, Any]:
    """Mean and scale that z-score the columns of ``X`` (training samples only).

    The scale is the standard deviation (``ddof=0``). A column whose deviation is below
    ``10 * eps * max(1, |mean|)`` (constant up to rounding) keeps a scale of 1, as in
    scikit-learn's ``StandardScaler``. With ``center=False`` (models without an
    intercept) the mean is zero: columns are scaled, not shifted.

    Parameters
    ----------
    X : ndarray or Tensor of shape (n_samples, n_features)
    center : bool, default=True
    axis : int, default=0
        The samples' axis (time-resolved stacks put them elsewhere).

    Returns
    -------
    mean, scale : ndarray or Tensor of shape (n_features,)
        In ``X``'s dtype and kind (NumPy or torch, on ``X``'s device); with another
        ``axis``, ``X``'s shape without that axis.

    Examples
    --------
    >>> m, s = standardization(np.array([[1.0, 5.0], [3.0, 5.0]]))
    >>> m.tolist(), s.tolist()
    ([2.0, 5.0], [1.0, 1.0])
    """
    if _is_tensor(X):
        import torch

        scale, mean = torch.std_mean(X, dim=axis, correction=0)
        eps = torch.finfo(X.dtype).eps
        tiny = 10 * eps * torch.clamp(mean.abs(), min=1.0)
        scale = torch.where(scale > tiny, scale, torch.ones_like(scale))
        return (mean if center else torch.zeros_like(mean)), scale
    X = np.asarray(X)
    mean = X.mean(axis=axis)
    scale = X.std(axis=axis)
    tiny = 10 * np.finfo(X.dtype).eps * np.maximum(np.abs(mean), 1.0)
    scale = np.where(scale > tiny, scale, 1.0).astype(X.dtype, copy=False)
    return (mean if center else np.zeros_like(mean)), scale


def standardize(X: Any, mean: Any, scale: Any, *, out: Any = None) -> Any:
    """``(X - mean) / scale`` (``mean``/``scale`` of None leave ``X`` unchanged); NumPy
    arrays can be written into ``out`` (no temporary array)."""
    if mean is None:
        return X
    if out is not None:
        np.subtract(X, mean, out=out)
        return np.divide(out, scale, out=out)
    return (X - mean) / scale


# --------------------------------------------------------------------------- patterns
def activation_patterns(X: Any, coef: np.ndarray, targets: np.ndarray | None = None
                        ) -> np.ndarray:
    """What the neurons encode, from a linear decoder's weights (Haufe et al., 2014).

    A decoder's weights ``W`` (outputs x neurons) are a filter: a neuron can get a large
    weight because it cancels noise, not because it responds to the stimulus. The
    activation pattern ``A = Cov(X) W' Cov(T)^-1`` (transposed, outputs x neurons) is the
    forward model the filter implies. As MNE-Python's ``LinearModel``: ``Cov(T)^-1`` is
    1 for a single output or class-coded targets, else the pseudo-inverse of the
    targets' covariance. Computed without the neurons x neurons covariance.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_neurons)
        The training responses (in the units of ``coef``).
    coef : ndarray of shape (n_outputs, n_neurons) or (n_neurons,)
    targets : ndarray of shape (n_samples, n_outputs), optional
        Several continuous targets (their covariance is inverted).

    Returns
    -------
    ndarray of the shape of ``coef``

    Examples
    --------
    >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.0, 0.0]])
    >>> activation_patterns(X, np.array([1.0, -1.0])).round(3).tolist()
    [0.333, -0.333]
    """
    X = np.asarray(X, dtype=np.float64)
    W = np.atleast_2d(np.asarray(coef, dtype=np.float64))
    Xc = X - X.mean(axis=0)
    A = (Xc.T @ (Xc @ W.T)) / max(len(X) - 1, 1)  # Cov(X) W', ddof=1 as np.cov
    if targets is not None and targets.ndim == 2 and targets.shape[1] > 1:
        Tc = targets - targets.mean(axis=0)
        A = A @ np.linalg.pinv(Tc.T @ Tc / max(len(X) - 1, 1))
    return A.T.reshape(np.shape(coef))


# --------------------------------------------------------------------------- targets
def encode_angles(y: Any, period: float) -> Any:
    """``(cos, sin)`` of ``2 pi y / period``, shape (n_samples, 2).

    Examples
    --------
    >>> encode_angles(np.array([0.0, 90.0]), 180).round(6).tolist()
    [[1.0, 0.0], [-1.0, 0.0]]
    """
    if _is_tensor(y):
        import torch

        ang = y.to(torch.float64) * (2 * math.pi / period)
        return torch.stack([torch.cos(ang), torch.sin(ang)], dim=1)
    ang = np.asarray(y, dtype=np.float64) * (2 * np.pi / period)
    return np.stack([np.cos(ang), np.sin(ang)], axis=1)


def decode_angles(out: Any, period: float) -> np.ndarray:
    """Angles in ``[0, period)`` from ``(cos, sin)`` columns (read back with ``atan2``).

    Examples
    --------
    >>> decode_angles(np.array([[0.0, 1.0], [-1.0, 0.0]]), 180).round(6).tolist()
    [45.0, 90.0]
    """
    if _is_tensor(out):
        out = out.detach().cpu().numpy()
    out = np.asarray(out, dtype=np.float64)
    ang = np.mod(np.arctan2(out[:, 1], out[:, 0]), 2 * np.pi) * (period / (2 * np.pi))
    return np.where(ang >= period, 0.0, ang)


# --------------------------------------------------------------------------- stopping
def warn_not_converged(owner: str, solver: str, n_iter: int, tol: float) -> None:
    """Emit the :class:`ConvergenceWarning` of a solver stopped by its iteration cap."""
    warnings.warn(
        f"{owner} ({solver}) stopped at its iteration cap max_epochs={n_iter} while the "
        f"objective was still improving by more than tol={tol:g}. Raise max_epochs, loosen "
        "tol, or strengthen the penalty.", ConvergenceWarning, stacklevel=3)


@dataclass
class EarlyStopping:
    """The one stopping rule of every iterative solver (epochs or iterations).

    A solver stops when the monitored value (the training objective, or the validation
    loss when a validation split is held out) has not improved by more than ``tol`` for
    ``patience`` consecutive steps. ``tol`` is absolute, on objectives that are means
    over samples (so it does not scale with the number of samples).

    Parameters
    ----------
    tol : float
    patience : int

    Attributes
    ----------
    best : float
        Smallest value seen.
    best_step : int
        Step (0-based) where it was seen.
    stopped : bool
        Whether the rule fired (False when the caller ran out of steps: not converged).

    Examples
    --------
    >>> stop = EarlyStopping(tol=0.1, patience=2)
    >>> [stop.update(v) for v in (1.0, 0.5, 0.45, 0.44)]
    [False, False, False, True]
    """

    tol: float
    patience: int
    best: float = math.inf
    best_step: int = -1
    stall: int = 0
    step: int = 0
    stopped: bool = False

    def update(self, value: float) -> bool:
        """Record one step's monitored value; True when the solver should stop."""
        self.stall = self.stall + 1 if value > self.best - self.tol else 0
        if value < self.best:
            self.best, self.best_step = value, self.step
        self.step += 1
        self.stopped = self.stall >= self.patience
        return self.stopped

    @property
    def improved(self) -> bool:
        """Whether the last update set a new best."""
        return self.best_step == self.step - 1

"""Encoding models: every neuron's tuning curve, fitted for the whole population at once.

:class:`TuningModel` expands the stimulus on a basis (see :mod:`neurodecode.encoding.basis`)
and fits, for all neurons in one go,

- ``noise="gaussian"``: ridge regression of each neuron's response on the basis, in
  closed form (one linear solve whose right-hand side has one column per neuron);
- ``noise="poisson"``: a Poisson GLM with exponential link and an L2 penalty, by
  Newton's method run on all neurons together (a batch of small Hessians) in torch.

:func:`neurodecode.encoding.cross_validate_tuning` fits it on the folds of
:func:`neurodecode.evaluate.make_splits` and reports each neuron's held-out quality,
tuning curves with confidence bands, the preferred stimulus and the tuning width.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from .._typing import ArrayLike
from .._validation import as_numpy, check_choice, check_finite, check_number, check_same_length
from ..data import Recording
from ..decoders._base import resolve_device
from ..decoders._core import ridge_shift
from ..exceptions import DataWarning
from .basis import StimulusBasis, make_basis

__all__ = [
    "TuningModel",
    "preferred_stimulus",
    "tuning_width",
]

_NOISES = ("auto", "poisson", "gaussian")
_KINDS = ("circular", "linear", "categorical")
_CHUNK_BYTES = 2**28  # working memory of one chunk of neurons (float64 arrays)


# --------------------------------------------------------------------------- small helpers
def pick_device(device: str | torch.device, data: Any, owner: str) -> torch.device:
    """``device``, except that ``"auto"`` follows a torch tensor's device."""
    if isinstance(device, str) and device == "auto" and isinstance(data, torch.Tensor):
        return data.device
    return resolve_device(device, owner)


def float_dtype(device: torch.device) -> torch.dtype:
    """float64, except on Apple's MPS which has none."""
    return torch.float32 if device.type == "mps" else torch.float64


def infer_noise(responses: np.ndarray, recording: Recording | None) -> str:
    """``"poisson"`` for counts (a counts Recording, or non-negative integers), else Gaussian."""
    if recording is not None:
        return "poisson" if recording.response_type == "counts" else "gaussian"
    r = responses
    if r.dtype.kind in "biu":
        return "poisson" if (r >= 0).all() else "gaussian"
    return "poisson" if bool((r >= 0).all() and np.array_equal(r, np.round(r))) else "gaussian"


def neuron_chunks(n_neurons: int, n_samples: int, n_arrays: int = 4
                  ) -> list[tuple[int, int]]:
    """Column ranges so that ``n_arrays`` float64 arrays of (n_samples, chunk) fit a budget."""
    size = max(1, _CHUNK_BYTES // (8 * n_arrays * max(n_samples, 1)))
    return [(a, min(a + size, n_neurons)) for a in range(0, n_neurons, size)]


# --------------------------------------------------------------------------- solvers
def fit_ridge(B: torch.Tensor, Y: torch.Tensor, l2: float
              ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Ridge regression of every column of ``Y`` on ``B``, with an unpenalised intercept.

    Minimises, for each neuron ``i``, ``1/(2n) ||Y_i - B w_i - b_i||^2 + l2/2 ||w_i||^2``:
    ``(Bc^T Bc + n l2 I) W = Bc^T Y`` with ``Bc`` the centred basis, one solve for all
    neurons (``Bc^T Y == Bc^T Yc`` because the columns of ``Bc`` sum to zero, so the
    responses are never centred or copied). With ``l2 = 0`` the minimum-norm solution
    (eigenvalues below ``eps * n_basis * max`` dropped), as for a one-hot basis, whose
    columns sum to the intercept.

    Parameters
    ----------
    B : Tensor of shape (n_samples, n_basis), float64
    Y : Tensor of shape (n_samples, n_neurons)
    l2 : float

    Returns
    -------
    W : Tensor of shape (n_neurons, n_basis)
    b : Tensor of shape (n_neurons,)
    noise_var : Tensor of shape (n_neurons,)
        Mean squared training residual of each neuron.
    """
    n, p = B.shape
    b_mean = B.mean(dim=0)
    Bc = B - b_mean
    A = Bc.T @ Bc + ridge_shift(l2, n) * torch.eye(p, dtype=B.dtype, device=B.device)
    gram_chol = torch.linalg.cholesky_ex(A)
    if l2 > 0 and int(gram_chol.info) == 0:
        def solve(rhs: torch.Tensor) -> torch.Tensor:
            return torch.cholesky_solve(rhs, gram_chol.L)
    else:  # no penalty (the basis may be collinear with the intercept): minimum norm
        evals, evecs = torch.linalg.eigh(A)
        keep = evals > torch.finfo(A.dtype).eps * p * evals.max()
        inv = torch.where(keep, 1.0 / torch.where(keep, evals, torch.ones_like(evals)),
                          torch.zeros_like(evals))

        def solve(rhs: torch.Tensor) -> torch.Tensor:
            return evecs @ (inv[:, None] * (evecs.T @ rhs))
    W = torch.empty(p, Y.shape[1], dtype=B.dtype, device=B.device)
    b = torch.empty(Y.shape[1], dtype=B.dtype, device=B.device)
    var = torch.empty_like(b)
    for a, z in neuron_chunks(Y.shape[1], n, 2):
        Yc = Y[:, a:z].to(B.dtype)
        Wc = solve(Bc.T @ Yc)
        y_mean = Yc.mean(dim=0)
        W[:, a:z], b[a:z] = Wc, y_mean - b_mean @ Wc
        var[a:z] = ((Yc - y_mean) - Bc @ Wc).square().mean(dim=0)
    return W.T.contiguous(), b, var


def _poisson_objective(X: torch.Tensor, XtY: torch.Tensor, theta: torch.Tensor,
                       pen: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Objective per neuron (columns) and the rates ``exp(X theta)``.

    ``mean_t exp(eta_t) - (X^T y / n) . theta + 1/2 sum_j pen_j theta_j^2``: the data term
    ``mean_t y_t eta_t`` is read from the precomputed ``X^T y``, so the responses are
    touched once per fit, not once per evaluation.
    """
    n = X.shape[0]
    mu = torch.exp(X @ theta)
    obj = mu.mean(dim=0) - (XtY * theta).sum(dim=0) / n + 0.5 * (pen[:, None] * theta**2
                                                                   ).sum(dim=0)
    return torch.where(torch.isfinite(obj), obj, torch.full_like(obj, math.inf)), mu


def _line_search(X: torch.Tensor, XtY: torch.Tensor, theta: torch.Tensor, step: torch.Tensor,
                 f0: torch.Tensor, decrement: torch.Tensor, pen: torch.Tensor
                 ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Backtracking (Armijo) on each neuron's Newton step; only pending neurons are evaluated.

    Returns the new parameters, their objective and rates, and which neurons moved (False
    where no step length decreased the objective: the neuron is at its optimum up to
    rounding, and keeps its parameters).
    """
    new, f_new = theta.clone(), f0.clone()
    mu_new = torch.empty(X.shape[0], theta.shape[1], dtype=X.dtype, device=X.device)
    moved = torch.zeros_like(f0, dtype=torch.bool)
    pending = torch.arange(theta.shape[1], device=theta.device)
    t = 1.0
    slack = 1e-13 * f0.abs()
    for k in range(30):
        cand = theta[:, pending] - t * step[:, pending]
        f1, mu = _poisson_objective(X, XtY[:, pending], cand, pen)
        ok = f1 <= f0[pending] - 1e-4 * t * 2 * decrement[pending] + slack[pending]
        if k == 0 and bool(ok.all()):  # the usual case: full Newton steps, no copies
            return cand, f1, mu, ok
        done = pending[ok]
        new[:, done], f_new[done], mu_new[:, done] = cand[:, ok], f1[ok], mu[:, ok]
        moved[done] = True
        pending = pending[~ok]
        if pending.numel() == 0:
            break
        t *= 0.5
    if pending.numel():  # stuck neurons keep their parameters (and rates)
        _, mu_new[:, pending] = _poisson_objective(X, XtY[:, pending], theta[:, pending], pen)
    return new, f_new, mu_new, moved


def _damped_cholesky(H: torch.Tensor) -> torch.Tensor:
    """Batched Cholesky factors, adding growing ridge damping to numerically singular ones."""
    L, info = torch.linalg.cholesky_ex(H)
    bad = info != 0
    eye = torch.eye(H.shape[-1], dtype=H.dtype, device=H.device)
    damping = 1e-10
    while bool(bad.any()) and damping < 1e3:
        scale = H[bad].diagonal(dim1=-2, dim2=-1).abs().mean(dim=-1)[:, None, None] + 1e-300
        L_bad, info_bad = torch.linalg.cholesky_ex(H[bad] + damping * scale * eye)
        L[bad] = L_bad
        bad[bad.clone()] = info_bad != 0
        damping *= 100
    return L


def _poisson_start(X: torch.Tensor, XtY: torch.Tensor, l2: float) -> torch.Tensor:
    """Starting point of Newton's method: least squares on the log of a smoothed response.

    The responses are first smoothed by least squares on the basis (one solve for all
    neurons), floored at a tenth of each neuron's mean, and their log is regressed on the
    basis again: one step of iteratively reweighted least squares with unit weights,
    which puts Newton's method close to the optimum.
    """
    n, q = X.shape
    shift = ridge_shift(max(l2, 1e-6), n)
    gram = X.T @ X + shift * torch.eye(q, dtype=X.dtype, device=X.device)
    gram[0, 0] -= shift  # the intercept column is not penalised
    chol = torch.linalg.cholesky_ex(gram).L
    smooth = X @ torch.cholesky_solve(XtY, chol)
    floor = 0.1 * XtY[0] / n
    log_rate = torch.log(torch.maximum(smooth, floor))
    return torch.cholesky_solve(X.T @ log_rate, chol)


def fit_poisson(B: torch.Tensor, Y: torch.Tensor, l2: float, *, max_iter: int = 50,
                tol: float = 1e-10) -> tuple[torch.Tensor, torch.Tensor, int, int]:
    """Poisson GLM (exp link, L2) of every column of ``Y`` on ``B``, by batched Newton steps.

    Minimises, for each neuron, ``1/n sum_t (exp(eta_t) - y_t eta_t) + l2/2 ||w||^2`` with
    ``eta = b + B w`` (intercept unpenalised). Newton's method starts from a log-linear
    least-squares fit; each iteration builds the ``(n_basis + 1)`` square Hessians of all
    neurons with one matrix product (unique entries only, accumulated in float32: the
    Hessian only steers the steps, the float64 gradient fixes the solution), solves them
    in a batch (Cholesky), and halves the step of the neurons whose objective did not
    decrease enough (Armijo). Neurons stop when half their Newton decrement (the
    predicted decrease of the objective) falls below ``tol``. Neurons are processed in
    chunks that bound the working memory.

    Parameters
    ----------
    B : Tensor of shape (n_samples, n_basis), float64
    Y : Tensor of shape (n_samples, n_neurons)
        Non-negative counts; every column must hold a non-zero value.
    l2 : float
    max_iter : int, default=50
    tol : float, default=1e-10

    Returns
    -------
    W : Tensor of shape (n_neurons, n_basis)
    b : Tensor of shape (n_neurons,)
    n_iter : int
        Largest number of Newton iterations any neuron needed.
    n_unconverged : int
        Neurons still above ``tol`` after ``max_iter`` iterations.
    """
    n, p = B.shape
    q = p + 1
    X = torch.cat([B.new_ones(n, 1), B], dim=1)
    iu, ju = torch.triu_indices(q, q, device=B.device)
    # unique entries of x_t x_t^T; the Hessian only steers the steps (the gradient, which
    # fixes the solution, stays in full precision), so it is accumulated in float32
    XXu = (X[:, iu] * X[:, ju]).T.to(torch.float32).contiguous()  # (q (q + 1) / 2, n)
    pen = torch.full((q,), float(l2), dtype=B.dtype, device=B.device)
    pen[0] = 0.0
    # scatter the unique entries into full symmetric matrices with a product, not indexing
    scatter = torch.zeros(len(iu), q * q, dtype=B.dtype, device=B.device)
    rows = torch.arange(len(iu), device=B.device)
    scatter[rows, iu * q + ju] = 1.0
    scatter[rows, ju * q + iu] = 1.0
    eye_pen = torch.diag(pen).reshape(1, q * q)
    theta_all = torch.zeros(q, Y.shape[1], dtype=B.dtype, device=B.device)
    n_iter, n_bad = 0, 0
    for a, z in neuron_chunks(Y.shape[1], n, 4):
        XtY = X.T @ Y[:, a:z].to(B.dtype)  # (q, m): the responses are not needed again
        theta = _poisson_start(X, XtY, l2)
        f, mu = _poisson_objective(X, XtY, theta, pen)
        if not bool(torch.isfinite(f).all()):  # a poor start: fall back to the mean rate
            theta = torch.zeros_like(theta)
            theta[0] = torch.log(XtY[0] / n)
            f, mu = _poisson_objective(X, XtY, theta, pen)
        todo = torch.arange(z - a, device=B.device)
        it = 0
        for it in range(1, max_iter + 1):
            everyone = todo.numel() == z - a
            th = theta if everyone else theta[:, todo]
            xty = XtY if everyone else XtY[:, todo]
            grad = (X.T @ mu - xty) / n + pen[:, None] * th
            moments = (XXu @ mu.to(torch.float32)).to(B.dtype) / n
            H = torch.addmm(eye_pen, moments.T, scatter).reshape(-1, q, q)
            L = _damped_cholesky(H)
            step = torch.cholesky_solve(grad.T[:, :, None], L)[:, :, 0].T  # (q, m)
            decrement = 0.5 * (grad * step).sum(dim=0)
            new, f_new, mu_new, moved = _line_search(X, xty, th, step,
                                                     f if everyone else f[todo], decrement, pen)
            if everyone:
                theta, f = new, f_new
            else:
                theta[:, todo], f[todo] = new, f_new
            n_iter = max(n_iter, it)
            keep = (decrement > tol) & moved
            todo, mu = (todo, mu_new) if bool(keep.all()) else (todo[keep], mu_new[:, keep])
            if todo.numel() == 0:
                break
        n_bad += int(todo.numel())
        theta_all[:, a:z] = theta
    return theta_all[1:].T.contiguous(), theta_all[0], n_iter, n_bad


# --------------------------------------------------------------------------- curve summaries
def preferred_stimulus(curves: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """The grid value where each tuning curve peaks (argmax).

    Parameters
    ----------
    curves : ndarray of shape (n_grid, n_neurons)
    grid : ndarray of shape (n_grid,)

    Returns
    -------
    ndarray of shape (n_neurons,)
        NaN for flat curves (and for neurons whose curve is NaN).

    Examples
    --------
    >>> preferred_stimulus(np.array([[0.0, 1.0], [2.0, 1.0], [1.0, 1.0]]), np.array([0, 60, 120]))
    array([60., nan])
    """
    curves = np.asarray(curves, dtype=np.float64)
    flat = ~(np.nanmax(curves, axis=0) > np.nanmin(curves, axis=0))
    peak = np.argmax(np.nan_to_num(curves, nan=-np.inf), axis=0)
    grid = np.asarray(grid)
    out = (grid.astype(np.float64) if grid.dtype.kind in "biuf" else grid)[peak]
    if out.dtype.kind != "f":
        out = out.astype(object)
        out[flat] = None
        return out
    return np.where(flat, np.nan, out)


def tuning_width(curves: np.ndarray, grid: np.ndarray, *, period: float | None = None
                 ) -> np.ndarray:
    """Full width at half maximum above baseline of each tuning curve.

    The half-maximum level is ``min + (max - min) / 2`` of the curve on the grid; the
    width is the length of the contiguous stretch around the peak where the curve stays
    above it, with its ends interpolated linearly between grid points. Circular curves
    (``period`` given) wrap around; linear ones stop at the grid's ends (the width is then
    a lower bound).

    Parameters
    ----------
    curves : ndarray of shape (n_grid, n_neurons)
    grid : ndarray of shape (n_grid,)
        Evenly spaced stimulus values.
    period : float, optional
        Period of a circular stimulus.

    Returns
    -------
    ndarray of shape (n_neurons,)
        In stimulus units; NaN for flat curves.

    Examples
    --------
    >>> grid = np.arange(0, 180, 1.0)
    >>> curve = np.exp(2 * (np.cos(np.radians(2 * (grid - 90))) - 1))[:, None]
    >>> round(float(tuning_width(curve, grid, period=180)[0]), 1)
    48.5
    """
    curves = np.asarray(curves, dtype=np.float64)
    G, N = curves.shape
    step = float(grid[1] - grid[0]) if G > 1 else 1.0
    lo, hi = curves.min(axis=0), curves.max(axis=0)
    half = lo + (hi - lo) / 2
    peak = np.argmax(curves, axis=0)
    cols = np.arange(N)
    total = np.zeros(N)
    for sign in (1, -1):
        k = np.arange(1, G)[:, None]
        idx = peak[None, :] + sign * k
        if period is not None:
            valid = np.ones_like(idx, dtype=bool)
            idx = idx % G
        else:
            valid = (idx >= 0) & (idx < G)
            idx = np.clip(idx, 0, G - 1)
        vals = curves[idx, cols[None, :]]
        above = (vals >= half[None, :]) & valid
        run = np.cumprod(above, axis=0).sum(axis=0)  # grid steps above half, past the peak
        inside = np.where(run > 0, vals[np.maximum(run - 1, 0), cols], hi)
        nxt = np.minimum(run, G - 2)
        stopped = valid[nxt, cols] & (run < G - 1)
        outside = vals[nxt, cols]
        with np.errstate(divide="ignore", invalid="ignore"):
            frac = np.where(stopped, (inside - half) / (inside - outside), 0.0)
        total += run + np.clip(np.nan_to_num(frac), 0, 1)
    width = total * step
    if period is not None:
        width = np.minimum(width, period)
    return np.where(hi > lo, width, np.nan)


# --------------------------------------------------------------------------- the model
class TuningModel(BaseEstimator):
    """Tuning curves of every neuron: a basis expansion of the stimulus, ridge or Poisson GLM.

    Parameters
    ----------
    noise : {"auto", "poisson", "gaussian"}, default="auto"
        ``"gaussian"``: ridge regression on the basis (closed form). ``"poisson"``: GLM
        with exponential link (Newton's method). ``"auto"``: Poisson for spike counts (a
        Recording with ``response_type="counts"``, or non-negative integer arrays),
        Gaussian otherwise.
    basis : {"auto", "fourier", "von_mises", "spline", "one_hot"} or StimulusBasis
        Stimulus expansion; ``"auto"`` is Fourier (circular), splines (linear) or one-hot
        (categorical). See :func:`neurodecode.encoding.basis.make_basis`.
    n_basis : int, optional
        Number of basis functions (each basis has its own default).
    l2 : float, default=1e-3
        L2 penalty on the basis weights (never the intercept); see Notes for the scaling.
    kind : {"circular", "linear", "categorical"}, optional
        Stimulus kind. Read from a Recording; for arrays: circular when ``period`` is set,
        else the kind of an explicit basis, categorical for non-numeric labels, else linear.
    period : float, optional
        Period of a circular stimulus; read from a circular Recording when None.
    max_iter : int, default=50
        Newton iterations of the Poisson fit.
    tol : float, default=1e-10
        The Poisson fit stops for a neuron when the predicted decrease of its objective
        (half the Newton decrement) is below ``tol``.
    device : str or torch.device, default="auto"
        Where the fit runs. ``"auto"``: the device of the responses if they are a torch
        tensor, else CUDA, then MPS, then the CPU.

    Attributes
    ----------
    coef_ : ndarray of shape (n_neurons, n_basis)
        Basis weights (zero for skipped neurons).
    intercept_ : ndarray of shape (n_neurons,)
        On the response scale for Gaussian noise, the log scale for Poisson (``-inf`` for
        a skipped, never-responding neuron).
    basis_ : StimulusBasis
        The fitted basis.
    noise_ : {"poisson", "gaussian"}
    kind_ : str
    period_ : float or None
    noise_var_ : ndarray of shape (n_neurons,)
        Gaussian noise: mean squared training residual of each neuron (None for Poisson).
    mean_ : ndarray of shape (n_neurons,)
        Training mean response (the null model of the quality scores).
    active_ : ndarray of bool, shape (n_neurons,)
        Neurons that were fitted (False: all-zero in the training data, predicted as 0).
    n_neurons_ : int
    n_iter_ : int
        Newton iterations (1 for the closed form).

    Raises
    ------
    ValueError
        At ``fit``, for bad parameters, a basis that cannot represent the stimulus kind,
        mismatched lengths, NaN, or negative responses with ``noise="poisson"``.

    Warns
    -----
    DataWarning
        When neurons never respond (all zero) in the training data: the message says how
        many; they are skipped and predicted as a constant 0.

    See Also
    --------
    cross_validate_tuning : held-out quality, confidence bands, preferred stimulus, width.
    BayesianDecoder : decodes the stimulus by inverting these tuning curves.

    Notes
    -----
    With ``phi(s)`` the basis (``n_basis`` functions) and ``y_ti`` the response of neuron
    ``i`` on trial ``t``, each neuron minimises

    - Gaussian: ``1/(2n) sum_t (y_ti - b_i - w_i . phi(s_t))^2 + l2/2 ||w_i||^2``, i.e.
      scikit-learn's ``Ridge(alpha=n_samples * l2)`` on the basis (as LinearDecoder's
      ``l2``), solved in closed form for all neurons at once;
    - Poisson: ``1/n sum_t (exp(eta_ti) - y_ti eta_ti) + l2/2 ||w_i||^2`` with
      ``eta_ti = b_i + w_i . phi(s_t)``, the negative log-likelihood of
      ``y_ti ~ Poisson(exp(eta_ti))`` per sample; this is scikit-learn's
      ``PoissonRegressor(alpha=l2)`` on the basis.

    References
    ----------
    Pillow, J. W., Shlens, J., Paninski, L., Sher, A., Litke, A. M., Chichilnisky, E. J. &
    Simoncelli, E. P. (2008). Spatio-temporal correlations and visual signalling in a
    complete neuronal population. Nature 454, 995-999.

    Examples
    --------
    >>> from neurodecode.data import orientation_population
    >>> rec, truth = orientation_population(30, 500, random_state=0)
    >>> model = TuningModel(device="cpu").fit(rec)
    >>> model.noise_, model.coef_.shape
    ('poisson', (30, 10))
    >>> model.predict([0.0, 90.0]).shape
    (2, 30)
    """

    def __init__(
        self,
        noise: str = "auto",
        *,
        basis: str | StimulusBasis = "auto",
        n_basis: int | None = None,
        l2: float = 1e-3,
        kind: str | None = None,
        period: float | None = None,
        max_iter: int = 50,
        tol: float = 1e-10,
        device: str | torch.device = "auto",
    ) -> None:
        self.noise = noise
        self.basis = basis
        self.n_basis = n_basis
        self.l2 = l2
        self.kind = kind
        self.period = period
        self.max_iter = max_iter
        self.tol = tol
        self.device = device

    @property
    def _owner(self) -> str:
        return type(self).__name__

    # ------------------------------------------------------------ inputs
    def _check_params(self) -> None:
        check_choice(self.noise, "noise", _NOISES, self._owner)
        check_number(self.l2, "l2", self._owner, low=0)
        check_number(self.max_iter, "max_iter", self._owner, low=1, integer=True)
        check_number(self.tol, "tol", self._owner, low=0)
        if self.kind is not None:
            check_choice(self.kind, "kind", _KINDS, self._owner)
        check_number(self.period, "period", self._owner, low=0, low_inclusive=False,
                     allow_none=True)

    def _resolve_kind(self, stimulus: np.ndarray, rec: Recording | None
                      ) -> tuple[str, float | None]:
        if rec is not None:
            kind, period = rec.kind, rec.period
            if self.kind is not None and self.kind != kind:
                raise ValueError(
                    f"The 'kind' parameter of {self._owner} is {self.kind!r}, but the "
                    f"Recording's stimulus is {kind}. Leave kind=None to read it."
                )
            return kind, (self.period if self.period is not None else period)
        if self.kind is not None:
            kind = self.kind
        elif self.period is not None:
            kind = "circular"
        elif isinstance(self.basis, StimulusBasis):
            kind = self.basis.kinds[0]
        elif isinstance(self.basis, str) and self.basis in ("fourier", "von_mises"):
            kind = "circular"
        elif isinstance(self.basis, str) and self.basis == "one_hot":
            kind = "categorical"
        elif stimulus.dtype.kind not in "biuf":
            kind = "categorical"
        else:
            kind = "linear"
        return kind, self.period

    def _unpack(self, X: Any, responses: Any) -> tuple[np.ndarray, Any, Recording | None]:
        if isinstance(X, Recording):
            X.require_single_time(self._owner)
            if responses is not None:
                raise ValueError(
                    f"When X is a Recording, responses must be None: {self._owner} takes them "
                    f"from the recording. Got responses of type {type(responses).__name__}."
                )
            return X.stimulus, X.responses, X
        if responses is None:
            raise TypeError(
                f"{self._owner}.fit takes a Recording, or the stimulus and the responses: "
                "fit(stimulus, responses)."
            )
        return as_numpy(X, "stimulus", ndim=(1, 2), owner=self._owner), responses, None

    # ------------------------------------------------------------ fit
    def fit(self, X: Any, responses: ArrayLike | None = None) -> TuningModel:
        """Fit the tuning curves of all neurons.

        Parameters
        ----------
        X : Recording, or array-like of shape (n_samples,)
            A Recording (stimulus, responses, kind, period and response type together),
            or the stimulus values.
        responses : array-like or Tensor of shape (n_samples, n_neurons), optional
            Responses, when ``X`` is the stimulus.

        Returns
        -------
        self : TuningModel

        Raises
        ------
        ValueError
            See the class docstring.
        """
        self._check_params()
        stimulus, resp_in, rec = self._unpack(X, responses)
        device = pick_device(self.device, resp_in, self._owner)
        dtype = float_dtype(device)
        if isinstance(resp_in, torch.Tensor):
            Y = resp_in.detach().to(device)
            if not Y.is_floating_point():
                Y = Y.to(dtype)
            resp_np = None
        else:
            resp_np = as_numpy(resp_in, "responses", ndim=2, owner=self._owner)
            if resp_np.dtype.kind not in "biuf":
                raise TypeError(f"responses must hold numbers; got dtype {resp_np.dtype}.")
            resp_np = resp_np.astype(np.float32 if resp_np.dtype != np.float64 else np.float64,
                                     copy=False)
            check_finite(resp_np, "responses")
            if not (resp_np.flags.writeable and resp_np.flags.c_contiguous):
                resp_np = np.array(resp_np, order="C")  # torch wants writeable memory
            Y = torch.as_tensor(resp_np, device=device)
        check_same_length(stimulus, Y, "stimulus", "responses", "samples (trials or time bins)")
        if Y.ndim != 2 or Y.shape[1] == 0 or Y.shape[0] < 2:
            raise ValueError(
                f"{self._owner} needs at least 2 samples and 1 neuron; got responses of shape "
                f"{tuple(Y.shape)} (n_samples, n_neurons)."
            )
        if resp_np is None and not torch.isfinite(Y).all():
            raise ValueError("responses contain NaN or inf; drop or impute them first.")
        kind, period = self._resolve_kind(np.asarray(stimulus), rec)
        if kind == "circular" and period is None:
            raise ValueError(
                f"A circular stimulus needs its period: set the 'period' parameter of "
                f"{self._owner} (180 for orientation in degrees, 360 for direction)."
            )
        noise = self.noise
        if noise == "auto":
            noise = infer_noise(resp_np if resp_np is not None else Y.cpu().numpy(), rec)
        if noise == "poisson" and bool((Y < 0).any()):
            raise ValueError(
                f"noise='poisson' needs non-negative responses (spike counts); these hold "
                f"negative values (min {float(Y.min()):g}). Use noise='gaussian' for dF/F "
                "or z-scored data."
            )
        basis = make_basis(self.basis, kind, n_basis=self.n_basis,
                           period=period if kind == "circular" else None, owner=self._owner)
        B = torch.as_tensor(basis.fit(stimulus).transform(stimulus), device=device, dtype=dtype)

        active = (Y != 0).any(dim=0)
        n_skip = int((~active).sum())
        if n_skip:
            warnings.warn(
                f"{n_skip} neurons never respond (all zero) in the training data "
                f"({n_skip} of {Y.shape[1]}); {self._owner} skips them and predicts them as "
                "a constant 0.", DataWarning, stacklevel=2)
        idx = torch.nonzero(active).ravel()
        Ya = Y[:, idx] if n_skip else Y
        N, p = Y.shape[1], B.shape[1]
        coef = torch.zeros(N, p, dtype=dtype, device=device)
        intercept = torch.full((N,), -math.inf if noise == "poisson" else 0.0, dtype=dtype,
                               device=device)
        self.noise_var_ = None
        if noise == "gaussian":
            var = torch.zeros(N, dtype=dtype, device=device)
            if idx.numel():
                W, b, v = fit_ridge(B, Ya, float(self.l2))
                coef[idx], intercept[idx], var[idx] = W, b, v
            self.noise_var_ = var.cpu().numpy()
            self.n_iter_ = 1
        else:
            self.n_iter_ = 0
            if idx.numel():
                W, b, n_iter, n_bad = fit_poisson(B, Ya, float(self.l2),
                                                  max_iter=int(self.max_iter),
                                                  tol=float(self.tol))
                coef[idx], intercept[idx] = W, b
                self.n_iter_ = n_iter
                if n_bad:
                    warnings.warn(
                        f"The Poisson fit of {n_bad} neurons did not reach tol={self.tol:g} "
                        f"in max_iter={self.max_iter} Newton iterations; raise max_iter or "
                        "l2.", DataWarning, stacklevel=2)
        self.basis_ = basis
        self.noise_ = noise
        self.kind_ = kind
        self.period_ = None if period is None else float(period)
        self.coef_ = coef.cpu().numpy()
        self.intercept_ = intercept.cpu().numpy()
        self.mean_ = Y.mean(dim=0).to(torch.float64).cpu().numpy()
        self.active_ = active.cpu().numpy()
        self.n_neurons_ = int(N)
        self.device_ = device
        return self

    # ------------------------------------------------------------ predict
    def _stimulus(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        if isinstance(X, Recording):
            return X.stimulus
        return as_numpy(X, "stimulus", ndim=(1, 2), owner=self._owner)

    def predict(self, X: Any) -> np.ndarray:
        """Expected response of every neuron to each stimulus value.

        Parameters
        ----------
        X : array-like of shape (n_values,), or Recording
            Stimulus values (a Recording's stimulus is used).

        Returns
        -------
        ndarray of shape (n_values, n_neurons), float64
            The tuning curves at ``X``: ``b + B w`` (Gaussian) or ``exp(b + B w)``
            (Poisson); skipped neurons are 0.

        Raises
        ------
        NotFittedError
            Before :meth:`fit`.
        """
        s = self._stimulus(X)
        eta = self.basis_.transform(s) @ self.coef_.T + self.intercept_
        return np.exp(eta) if self.noise_ == "poisson" else eta

    def grid(self, n_grid: int = 360) -> np.ndarray:
        """Evenly spaced stimulus values covering the fitted stimulus.

        Parameters
        ----------
        n_grid : int, default=360
            Number of values (ignored for categories: the classes are returned).

        Returns
        -------
        ndarray of shape (n_grid,)
            ``[0, period)`` for circular stimuli, the training range for linear ones.
        """
        check_is_fitted(self)
        check_number(n_grid, "n_grid", self._owner, low=2, integer=True)
        return self.basis_.default_grid(int(n_grid))

    def tuning_curves(self, n_grid: int = 360) -> tuple[np.ndarray, np.ndarray]:
        """The fitted tuning curves on a grid.

        Parameters
        ----------
        n_grid : int, default=360

        Returns
        -------
        grid : ndarray of shape (n_grid,)
        curves : ndarray of shape (n_grid, n_neurons)
        """
        g = self.grid(n_grid)
        return g, self.predict(g)

    def preferred_stimulus(self, n_grid: int = 360) -> np.ndarray:
        """Stimulus value at which each fitted tuning curve peaks.

        Parameters
        ----------
        n_grid : int, default=360
            Resolution of the search (``period / n_grid`` for circular stimuli).

        Returns
        -------
        ndarray of shape (n_neurons,)
            NaN for flat curves.
        """
        g, curves = self.tuning_curves(n_grid)
        return preferred_stimulus(curves, g)

    def tuning_width(self, n_grid: int = 360) -> np.ndarray:
        """Full width at half maximum (above baseline) of each fitted tuning curve.

        See :func:`tuning_width`; NaN for categorical stimuli and flat curves.

        Parameters
        ----------
        n_grid : int, default=360

        Returns
        -------
        ndarray of shape (n_neurons,)
        """
        check_is_fitted(self)
        if self.kind_ == "categorical":
            return np.full(self.n_neurons_, np.nan)
        g, curves = self.tuning_curves(n_grid)
        return tuning_width(curves, g, period=self.period_)

    # ------------------------------------------------------------ quality
    def neuron_losses(self, X: Any, responses: ArrayLike | None = None
                      ) -> tuple[np.ndarray, np.ndarray]:
        """Each neuron's loss under the model and under the training-mean null model.

        Squared error (Gaussian) or Poisson deviance, summed over samples.

        Parameters
        ----------
        X : Recording, or array-like of shape (n_samples,)
        responses : array-like of shape (n_samples, n_neurons), optional

        Returns
        -------
        model_loss, null_loss : ndarray of shape (n_neurons,)
            NaN for skipped neurons.
        """
        stimulus, resp, _ = self._unpack(X, responses)
        Y = as_numpy(resp, "responses", dtype=np.float64, ndim=2, owner=self._owner)
        if Y.shape[1] != self.n_neurons_:
            raise ValueError(
                f"responses have {Y.shape[1]} neurons; {self._owner} was fitted on "
                f"{self.n_neurons_}."
            )
        model, null = np.zeros(self.n_neurons_), np.zeros(self.n_neurons_)
        for a, z in neuron_chunks(self.n_neurons_, len(Y), 3):
            mu = self.basis_.transform(stimulus) @ self.coef_[a:z].T + self.intercept_[a:z]
            y = Y[:, a:z]
            if self.noise_ == "poisson":
                mu = np.exp(mu)
                model[a:z] = _deviance(y, mu)
                null[a:z] = _deviance(y, np.broadcast_to(self.mean_[a:z], y.shape))
            else:
                model[a:z] = ((y - mu) ** 2).sum(axis=0)
                null[a:z] = ((y - self.mean_[a:z]) ** 2).sum(axis=0)
        model[~self.active_] = np.nan
        null[~self.active_] = np.nan
        return model, null

    def score_neurons(self, X: Any, responses: ArrayLike | None = None) -> np.ndarray:
        """Per-neuron quality on (held-out) data: variance or deviance explained.

        ``1 - loss(model) / loss(training mean)``: the variance explained for Gaussian
        noise, the deviance explained (pseudo-R^2) for Poisson. 1 is perfect, 0 is no
        better than the training mean, negative is worse.

        Parameters
        ----------
        X : Recording, or array-like of shape (n_samples,)
        responses : array-like of shape (n_samples, n_neurons), optional

        Returns
        -------
        ndarray of shape (n_neurons,)
            NaN for skipped neurons.
        """
        model, null = self.neuron_losses(X, responses)
        with np.errstate(divide="ignore", invalid="ignore"):
            return 1.0 - model / null

    def score(self, X: Any, responses: ArrayLike | None = None) -> float:
        """Mean of :meth:`score_neurons` over the fitted neurons.

        Parameters
        ----------
        X : Recording, or array-like of shape (n_samples,)
        responses : array-like of shape (n_samples, n_neurons), optional

        Returns
        -------
        float
        """
        return float(np.nanmean(self.score_neurons(X, responses)))


def _deviance(y: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """Poisson deviance ``2 sum (y log(y / mu) - (y - mu))`` per column (0 log 0 = 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(y > 0, y * np.log(y / mu), 0.0)
    return 2.0 * (term - (y - mu)).sum(axis=0)

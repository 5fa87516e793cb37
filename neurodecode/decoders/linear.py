"""Linear read-out: exact ridge / least squares, or FISTA for L1 and elastic net."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from .._validation import check_choice
from ._base import RegressorDecoder, resolve_device
from ._linalg import gram, solve_shifted, spectral_norm_squared
from ._training import TorchDecoder

__all__ = ["LinearDecoder", "ridge_closed_form", "ridge_path"]

_SOLVERS = ("auto", "closed_form", "fista", "adam", "sgd")


def ridge_path(X: torch.Tensor, T: torch.Tensor, l2: Sequence[float], *,
               fit_intercept: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """Exact ridge solutions for several ``l2`` values from one SVD of ``X``.

    Each solution minimises ``1/(2n) ||T - X W^T - b||^2 + l2/2 ||W||^2``; computed with
    ``torch.linalg`` on ``X``'s device and dtype. ``l2 = 0`` gives the minimum-norm
    least-squares solution (singular values below ``eps * max(n, p) * s_max`` are
    dropped, as in ``numpy.linalg.lstsq``). The SVD also handles more neurons than
    samples, and serves every value of a regularisation sweep at the cost of one.

    Parameters
    ----------
    X : Tensor of shape (n_samples, n_features)
    T : Tensor of shape (n_samples, n_targets)
    l2 : sequence of float
        Penalty strengths (>= 0), scaled as above: ``Ridge(alpha=n_samples * l2)``.
    fit_intercept : bool, default=True
        Fit an unpenalised intercept (by centring ``X`` and ``T``).

    Returns
    -------
    W : Tensor of shape (n_l2, n_targets, n_features)
    b : Tensor of shape (n_l2, n_targets)
        Zeros when ``fit_intercept=False``.

    Examples
    --------
    >>> X = torch.tensor([[0.0], [1.0], [2.0]], dtype=torch.float64)
    >>> W, b = ridge_path(X, 2 * X + 1, [0.0, 1.0])
    >>> W.flatten().round(decimals=6).tolist(), b.flatten().round(decimals=6).tolist()
    ([2.0, 0.8], [1.0, 2.2])
    """
    n, p = X.shape
    if fit_intercept:
        x_mean, t_mean = X.mean(dim=0), T.mean(dim=0)
        X, T = X - x_mean, T - t_mean
    U, S, Vh = torch.linalg.svd(X, full_matrices=False)
    UtT = U.T @ T
    cutoff = torch.finfo(X.dtype).eps * max(n, p) * S.max()
    kept = S > cutoff
    inverse = torch.where(kept, 1.0 / torch.where(kept, S, torch.ones_like(S)),
                          torch.zeros_like(S))
    filters = []
    for value in l2:
        filters.append(S / (S * S + n * value) if value > 0 else inverse)
    d = torch.stack(filters)  # (n_l2, rank)
    W = torch.einsum("rp,mr,rk->mkp", Vh, d, UtT)
    if fit_intercept:
        b = t_mean - torch.einsum("mkp,p->mk", W, x_mean)
    else:
        b = T.new_zeros(len(filters), T.shape[1])
    return W, b


def ridge_closed_form(X: torch.Tensor, T: torch.Tensor, l2: float, *,
                      fit_intercept: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """Exact minimiser of ``1/(2n) ||T - X W^T - b||^2 + l2/2 ||W||^2``.

    With ``l2 > 0`` one Cholesky factorisation (float64) of the smaller of ``X'X`` and
    ``XX'`` (the dual form when neurons outnumber samples); with ``l2 = 0`` the
    minimum-norm least-squares solution of :func:`ridge_path`'s SVD.

    Parameters
    ----------
    X : Tensor of shape (n_samples, n_features)
    T : Tensor of shape (n_samples, n_targets)
    l2 : float
        Penalty strength (>= 0): ``Ridge(alpha=n_samples * l2)``; 0 is least squares.
    fit_intercept : bool, default=True
        Fit an unpenalised intercept.

    Returns
    -------
    W : Tensor of shape (n_targets, n_features)
    b : Tensor of shape (n_targets,)

    Examples
    --------
    >>> X = torch.tensor([[0.0], [1.0], [2.0]])
    >>> W, b = ridge_closed_form(X, 2 * X + 1, 0.0)
    >>> [round(v, 4) for v in (W.item(), b.item())]
    [2.0, 1.0]
    """
    if l2 <= 0:  # least squares: the SVD's minimum-norm solution
        W, b = ridge_path(X, T, [l2], fit_intercept=fit_intercept)
        return W[0], b[0]
    if fit_intercept:
        x_mean, t_mean = X.mean(dim=0), T.mean(dim=0)
        W = _ridge_cholesky(X - x_mean, T - t_mean, X.shape[0] * l2)
        return W.T, t_mean - x_mean @ W
    return _ridge_cholesky(X, T, X.shape[0] * l2).T, T.new_zeros(T.shape[1])


def _ridge_cholesky(X: torch.Tensor, T: torch.Tensor, lam: float) -> torch.Tensor:
    """``(X'X + lam I)^-1 X'T`` from a Cholesky factorisation of the smaller Gram matrix.

    With more neurons than samples the dual form ``X'(XX' + lam I)^-1 T`` needs only the
    n x n Gram matrix: seconds instead of minutes for an SVD of a Stringer-sized
    recording. The solve runs in float64 whatever the data's dtype.
    """
    n, p = X.shape
    if p > n:
        alpha = solve_shifted(gram(X), T, [lam])[0]
        return X.T @ alpha.to(X.dtype)
    return solve_shifted(gram(X, transpose=True), X.T @ T, [lam])[0].to(X.dtype)


class LinearDecoder(RegressorDecoder, TorchDecoder):
    """Linear read-out of a continuous or circular stimulus (OLS, ridge, lasso, elastic net).

    Without an L1 penalty the fit is exact and closed-form (one SVD with ``torch.linalg``
    on the data's device); with ``l1 > 0`` it is solved by FISTA (accelerated proximal
    gradient), which sets weights exactly to zero.

    Parameters
    ----------
    l1 : float, default=0.0
        L1 penalty strength on the weights (see Notes for the scaling).
    l2 : float, default=0.0
        L2 penalty strength on the weights (see Notes for the scaling).
    period : float, optional
        Decode a circular stimulus of this period (180 for orientation in degrees): the
        model fits ``(cos, sin)`` of ``2 pi y / period`` and :meth:`predict` returns angles
        in ``[0, period)``. Read from a circular Recording when left as None.
    standardize : bool, default=True
        Z-score each neuron with the training mean and standard deviation before fitting
        (the penalties then act on weights of standardised responses).
    fit_intercept : bool, default=True
        Fit an unpenalised intercept. Without it the responses are only scaled, not
        centred, so the model goes through the origin.
    solver : {"auto", "closed_form", "fista", "adam", "sgd"}, default="auto"
        ``"auto"``: ``"closed_form"`` when ``l1 == 0``, else ``"fista"``. With ``"adam"``
        and ``"sgd"`` the L1 term is added to the loss (sub-gradient: it shrinks weights
        but rarely zeroes them).
    lr : float, optional
        Step size of the gradient solvers. Default: ``1 / L`` for FISTA (``L`` the
        Lipschitz constant of the smooth part, computed from the data), 1e-3 for Adam,
        1e-2 for SGD.
    max_epochs : int, default=1000
        Maximum number of epochs (FISTA iterations) of the gradient solvers.
    batch_size : int, optional
        Mini-batch size for ``"adam"``/``"sgd"``; None is full batch.
    tol : float, default=1e-8
        Gradient solvers stop when the objective has not decreased by ``tol`` for
        ``patience`` epochs.
    patience : int, default=10
        See ``tol``.
    early_stopping : bool, default=False
        Gradient solvers only: hold out ``validation_fraction`` of the samples, stop when
        their loss stops improving and restore the best weights.
    validation_fraction : float, default=0.1
        Share of samples held out with ``early_stopping``.
    device : str or torch.device, default="auto"
        ``"auto"`` picks CUDA, then MPS, then CPU.
    random_state : int, RandomState or None, default=None
        Seeds mini-batch order and the validation split (the closed form and FISTA are
        deterministic).
    progress : bool, default=False
        Show a progress bar over epochs.

    Attributes
    ----------
    coef_ : ndarray of shape (n_neurons,) or (n_targets, n_neurons)
        Weights in the original units of the responses (the standardisation folded in),
        comparable with scikit-learn's. For circular stimuli the two rows read out
        ``cos`` and ``sin`` of the angle.
    intercept_ : float or ndarray of shape (n_targets,)
    mean_, scale_ : ndarray of shape (n_neurons,) or None
        Training statistics used to standardise the responses.
    period_ : float or None
        The period used (None for a linear stimulus).
    n_outputs_ : int
        Number of columns of ``y``.
    module_ : torch.nn.Linear
        The fitted layer, on standardised responses.
    history_ : dict of list of float
        ``"train_loss"`` (objective per epoch; the closed form has one entry) and
        ``"val_loss"``.
    n_iter_ : int
        Epochs run (1 for the closed form).
    n_features_in_ : int

    Raises
    ------
    ValueError
        At ``fit``, for negative penalties, an unknown solver, ``solver="closed_form"``
        with ``l1 > 0``, a categorical Recording, or bad inputs (NaN, mismatched lengths).

    See Also
    --------
    MLPDecoder : non-linear (ReLU network) read-out.

    Notes
    -----
    The objective, identical on every neurodecode decoder, is

    ``1/(2 n) sum_i ||t_i - W x_i - b||^2 + l2/2 ||W||_F^2 + l1 ||W||_1``

    with ``x_i`` the (standardised) responses, ``t_i`` the target (``y_i`` or its
    ``(cos, sin)``), and the penalties on weights only, never the intercept. In
    scikit-learn's terms (on the same inputs, e.g. a ``StandardScaler`` pipeline when
    ``standardize=True``):

    - ``l1 = l2 = 0``: ordinary least squares (minimum-norm, as ``numpy.linalg.lstsq``);
    - ``l2 = a``: ``Ridge(alpha=n_samples * a)``;
    - ``l1 = a``: ``Lasso(alpha=a)``;
    - both: ``ElasticNet(alpha=l1 + l2, l1_ratio=l1 / (l1 + l2))``.

    :meth:`score` is R^2 for linear stimuli and, for circular ones, the mean cosine of
    the angular error (1 perfect, 0 chance).

    References
    ----------
    Beck, A. & Teboulle, M. (2009). A fast iterative shrinkage-thresholding algorithm for
    linear inverse problems. SIAM J. Imaging Sciences 2(1), 183-202.

    Examples
    --------
    >>> from neurodecode.data import orientation_population
    >>> rec, truth = orientation_population(100, 400, random_state=0)
    >>> dec = LinearDecoder(l2=1e-2, device="cpu").fit(rec)
    >>> dec.coef_.shape, dec.period_
    ((2, 100), 180.0)
    >>> bool(dec.score(rec) > 0.9)
    True
    """

    def __init__(
        self,
        l1: float = 0.0,
        l2: float = 0.0,
        *,
        period: float | None = None,
        standardize: bool = True,
        fit_intercept: bool = True,
        solver: str = "auto",
        lr: float | None = None,
        max_epochs: int = 1000,
        batch_size: int | None = None,
        tol: float = 1e-8,
        patience: int = 10,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        device: str | torch.device = "auto",
        random_state: Any = None,
        progress: bool = False,
    ) -> None:
        self.l1 = l1
        self.l2 = l2
        self.period = period
        self.standardize = standardize
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.lr = lr
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.tol = tol
        self.patience = patience
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.device = device
        self.random_state = random_state
        self.progress = progress

    # ------------------------------------------------------------ solver choice
    def _optimizer_name(self) -> str:
        check_choice(self.solver, "solver", _SOLVERS, self._owner)
        if self.solver == "auto":
            return "closed_form" if self.l1 == 0 else "fista"
        return self.solver

    def _check_params(self) -> None:
        super()._check_params()
        name = self._optimizer_name()
        if name == "closed_form" and self.l1 > 0:
            raise ValueError(
                f"The 'solver' parameter of {self._owner} cannot be 'closed_form' with l1 > 0 "
                f"(got l1={self.l1!r}): L1 has no closed form. Use solver='fista' or 'auto'."
            )
        if name == "closed_form" and self.early_stopping:
            raise ValueError(
                f"early_stopping=True applies to the gradient solvers of {self._owner}, not to "
                "the closed form. Use solver='fista', 'adam' or 'sgd', or early_stopping=False."
            )
        if name in ("closed_form", "fista"):
            self._check_full_batch(name, "solver")

    # ------------------------------------------------------------ hooks
    def _init_module(self, n_features: int, n_outputs: int, *, device: torch.device,
                     dtype: torch.dtype, generator: torch.Generator | None) -> nn.Linear:
        """A zero-initialised ``Linear`` layer (the problem is convex)."""
        layer = nn.utils.skip_init(nn.Linear, n_features, n_outputs, bias=self.fit_intercept,
                                   device=device, dtype=dtype)
        with torch.no_grad():
            for p in layer.parameters():
                p.zero_()
        return layer

    def _loss(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """``1/(2n) sum_i ||t_i - output_i||^2``."""
        return 0.5 * ((output - target) ** 2).sum(dim=1).mean()

    def _lipschitz(self, X: torch.Tensor) -> torch.Tensor:
        """``s_max([X, 1])^2 / n + l2``: the curvature bound of the smooth objective."""
        s_max2 = spectral_norm_squared(X, append_ones=self.fit_intercept).to(X.dtype)
        return (s_max2 / X.shape[0] + self.l2) * (1 + 1e-4)

    def _n_module_outputs(self) -> int:
        return self._n_targets()

    # ------------------------------------------------------------ fit / predict
    def _fit_closed_form(self, X: np.ndarray, T: np.ndarray) -> None:
        device = resolve_device(self.device, self._owner)
        Xt = self._fit_standardizer(self._as_tensor(X, device))
        Tt = self._as_tensor(T, device, Xt.dtype)
        W, b = ridge_closed_form(Xt, Tt, float(self.l2), fit_intercept=self.fit_intercept)
        module = self._init_module(Xt.shape[1], Tt.shape[1], device=device, dtype=Xt.dtype,
                                   generator=None)
        with torch.no_grad():
            module.weight.copy_(W)
            if module.bias is not None:
                module.bias.copy_(b)
            objective = self._loss(module(Xt), Tt) + self._penalty(module)
        module.eval()
        self.module_ = module
        self.history_ = {"train_loss": [float(objective)], "val_loss": []}
        self.n_iter_ = 1

    def fit(self, X: Any, y: Any = None) -> LinearDecoder:
        """Fit the read-out.

        Parameters
        ----------
        X : array-like or Tensor of shape (n_samples, n_neurons), or Recording
            Responses, one row per trial or time bin. A circular or linear Recording
            brings its stimulus (and period) along; then ``y`` must be None.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Stimulus to decode (angles when ``period`` is set).

        Returns
        -------
        self : LinearDecoder
            The fitted decoder.

        Raises
        ------
        ValueError
            For bad hyperparameters or inputs (see the class docstring).
        """
        self._check_params()
        X, y = self._validate_fit(X, y)
        T = self._targets(y)
        if self._optimizer_name() == "closed_form":
            self._fit_closed_form(X, T)
        else:
            self._fit_module(X, T, T.shape[1])
        coef, intercept = self._fold_standardization(*self._linear_weights())
        if self.period_ is None and self.n_outputs_ == 1:
            self.coef_: np.ndarray = coef[0]
            self.intercept_: float | np.ndarray = float(intercept[0])
        else:
            self.coef_, self.intercept_ = coef, intercept
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Decode the stimulus.

        Parameters
        ----------
        X : array-like or Tensor of shape (n_samples, n_neurons), or Recording

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Angles in ``[0, period)`` for circular stimuli, values otherwise (float64).

        Raises
        ------
        NotFittedError
            Before :meth:`fit`.
        ValueError
            If ``X`` has another number of neurons than the training data, or NaN.
        """
        return self._outputs_to_predictions(self._outputs(X))

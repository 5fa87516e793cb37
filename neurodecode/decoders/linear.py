"""Linear read-out: exact ridge / least squares, or FISTA for L1 and elastic net."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from .._threads import thread_budget
from .._validation import check_choice
from ._base import FoldData, FoldPredictions, RegressorDecoder, resolve_device
from ._core import (
    SMALL_PROBLEM,
    Penalty,
    activation_patterns,
    ridge_shift,
    standardization,
    use_numpy_engine,
)
from ._core import standardize as _standardize
from ._kernels import as_data_tensor, center_kernels, fold_kernels, use_dual
from ._linalg import gram, solve_shifted, spectral_norm_squared
from ._training import TorchDecoder

__all__ = ["LinearDecoder", "cv_ridge_predictions", "ridge_loo_predictions", "ridge_path"]

_SOLVERS = ("auto", "numpy", "closed_form", "fista", "adam", "sgd")


def ridge_path(X: Any, T: Any, l2: Sequence[float], *, fit_intercept: bool = True,
               centered: bool = False, progress: bool = False) -> tuple[Any, Any]:
    """Exact ridge solutions for several ``l2`` values: the one ridge solver of neurodecode.

    Each solution minimises ``1/(2n) ||T - X W^T - b||^2 + l2/2 ||W||^2`` (scikit-learn's
    ``Ridge(alpha=n * l2)``). The normal equations are solved on the smaller side: the
    p x p matrix ``X'X``, or with more features than samples the n x n Gram matrix
    ``X X'`` (dual form, ``W = X' (X X' + n l2 I)^-1 T``), by
    :func:`~neurodecode.decoders._linalg.solve_shifted`: one Cholesky factorisation per
    strength (or one shared preconditioner for large sweeps). ``l2 = 0`` is the
    minimum-norm least-squares solution at the same cost, falling back to the
    pseudo-inverse (one eigendecomposition) only when the matrix is singular.

    NumPy inputs are solved in float64 NumPy/SciPy (no torch overhead: small problems);
    tensors with torch on their device (large problems, the GPU).

    Parameters
    ----------
    X : ndarray or Tensor of shape (n_samples, n_features)
    T : ndarray or Tensor of shape (n_samples, n_targets)
    l2 : sequence of float
        Penalty strengths (>= 0).
    fit_intercept : bool, default=True
        Fit an unpenalised intercept (by centring ``X`` and ``T``).
    centered : bool, default=False
        ``X``'s columns already have zero mean (z-scored on these samples): skip
        centring them again (the intercept is still fitted).
    progress : bool, default=False
        Show the stages (Gram product, factorisation and solve, weights) of a long solve.

    Returns
    -------
    W : ndarray or Tensor of shape (n_l2, n_targets, n_features)
    b : ndarray or Tensor of shape (n_l2, n_targets)
        Zeros when ``fit_intercept=False``. Float64 for NumPy inputs, ``X``'s dtype for
        tensors.

    Examples
    --------
    >>> X = np.array([[0.0], [1.0], [2.0]])
    >>> W, b = ridge_path(X, 2 * X + 1, [0.0, 1.0])
    >>> W.ravel().round(6).tolist(), b.ravel().round(6).tolist()
    ([2.0, 0.8], [1.0, 2.2])
    """
    numpy = isinstance(X, np.ndarray)
    if numpy:
        X, T = np.asarray(X, dtype=np.float64), np.asarray(T, dtype=np.float64)
    n, p = X.shape
    bar = tqdm(total=3, desc="ridge", disable=not progress, leave=False)
    if fit_intercept:
        x_mean, t_mean = X.mean(0), T.mean(0)
        X = X if centered else X - x_mean
        T = T - t_mean
    lams = [ridge_shift(a, n) for a in l2]
    # centred responses have rank <= n - 1: with p >= n the p x p matrix is singular, so
    # the n x n side (with the constant vector lifted) is the one to factorise
    if p >= n:  # dual form: the n x n Gram matrix
        bar.set_postfix_str(f"Gram {n} x {n}")
        K = gram(X)
        K = K if numpy else K.to(torch.float64)
        if fit_intercept:  # lift the constant vector that centring leaves in the null space
            K = K + K.diagonal().mean() / n
        T64 = T if numpy else T.to(torch.float64)
        bar.update(1)
        bar.set_postfix_str("factorise and solve")
        alpha = solve_shifted(K, T64, lams)  # (n_l2, n, k)
        alpha = alpha if numpy else alpha.to(X.dtype)
        bar.update(1)
        W = (alpha.transpose(0, 2, 1) if numpy else alpha.transpose(1, 2)) @ X
    else:
        bar.set_postfix_str(f"Gram {p} x {p}")
        C = gram(X, transpose=True)
        B = X.T @ T
        if not numpy:
            C, B = C.to(torch.float64), B.to(torch.float64)
        bar.update(1)
        bar.set_postfix_str("factorise and solve")
        Wt = solve_shifted(C, B, lams)  # (n_l2, p, k)
        bar.update(1)
        W = Wt.transpose(0, 2, 1) if numpy else Wt.transpose(1, 2).to(X.dtype)
    if fit_intercept:
        b = t_mean - W @ x_mean
    else:
        b = np.zeros((len(lams), T.shape[1])) if numpy else T.new_zeros(len(lams), T.shape[1])
    bar.update(1)
    bar.close()
    return W, b


def cv_ridge_predictions(X: np.ndarray, Y: np.ndarray,
                         splits: Sequence[tuple[np.ndarray, np.ndarray]], l2s: Sequence[float],
                         *, standardize: bool = True, fit_intercept: bool = True,
                         engine: str = "numpy", device: str | torch.device = "cpu",
                         dtype: torch.dtype | None = None) -> list[np.ndarray]:
    """Held-out ridge predictions for every fold and every L2 strength.

    Each fold's model is :class:`LinearDecoder`'s: responses standardised with the
    training fold's statistics (:func:`~neurodecode.decoders._core.standardization`),
    then :func:`ridge_path` for all strengths at once.

    - ``engine="numpy"`` (small problems): exactly the computation of
      ``LinearDecoder.fit`` in NumPy, per fold.
    - ``engine="torch"`` (large problems, GPU): with more neurons than training samples
      the fold's n x n training kernel is a sub-block of one Gram matrix of all samples
      (:mod:`~neurodecode.decoders._kernels`), centred exactly by rank-one corrections,
      and one factorisation per fold preconditions every strength.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_targets)
    splits : sequence of (train, test) index arrays
    l2s : sequence of float
        Penalty strengths (``Ridge(alpha=n_train * l2)`` on the standardised data).
    standardize : bool, default=True
    fit_intercept : bool, default=True
        Without it the features are only scaled, not centred.
    engine : {"numpy", "torch"}, default="numpy"
    device : str or torch.device, default="cpu"
        Torch engine only.
    dtype : torch.dtype, optional
        Torch engine: precision of the Gram products (default float64, float32 for
        float32 responses of more than 2e7 entries). The solves are float64.

    Returns
    -------
    list of ndarray of shape (n_l2, n_test, n_targets)
        One per split, predictions for the split's test samples.
    """
    Y = np.asarray(Y, dtype=np.float64).reshape(len(Y), -1)
    if engine == "numpy":
        out = []
        for train, test in splits:
            Ztr, Zte = np.asarray(X[train], dtype=np.float64), np.asarray(X[test], np.float64)
            if standardize:
                mean, scale = standardization(Ztr, center=fit_intercept)
                Ztr, Zte = _standardize(Ztr, mean, scale), _standardize(Zte, mean, scale)
            W, b = ridge_path(Ztr, Y[train], l2s, fit_intercept=fit_intercept,
                              centered=standardize and fit_intercept)
            out.append(Zte @ W.transpose(0, 2, 1) + b[:, None, :])
        return out
    Xt = as_data_tensor(X, device, dtype)
    Yt = torch.as_tensor(Y, device=Xt.device)
    targets = []
    for train, _ in splits:
        ytr = Yt[torch.as_tensor(train, device=Yt.device)]
        ymean = ytr.mean(dim=0) if fit_intercept else ytr.new_zeros(ytr.shape[1])
        targets.append((ytr - ymean, ymean))
    if use_dual(Xt, splits):  # predictions = K_et (K_tt + lam I)^-1 y
        out = []
        kernels = fold_kernels(Xt, splits, standardize=standardize, shift=fit_intercept)
        for (K, K_e), (train, _), (yc, ymean) in zip(kernels, splits, targets):
            if fit_intercept:
                K, K_e = center_kernels(K, K_e)
            lams = [ridge_shift(a, len(train)) for a in l2s]
            out.append((K_e @ solve_shifted(K, yc, lams) + ymean).cpu().numpy())
        return out
    out = []
    for train, test in splits:  # primal form, per fold on the device
        Ztr = Xt[torch.as_tensor(train, device=Xt.device)].to(torch.float64)
        Zte = Xt[torch.as_tensor(test, device=Xt.device)].to(torch.float64)
        if standardize:
            mean, scale = standardization(Ztr, center=fit_intercept)
            Ztr, Zte = _standardize(Ztr, mean, scale), _standardize(Zte, mean, scale)
        W, b = ridge_path(Ztr, Yt[torch.as_tensor(train, device=Xt.device)], l2s,
                          fit_intercept=fit_intercept)
        out.append((Zte @ W.transpose(1, 2) + b[:, None, :]).cpu().numpy())
    return out


def ridge_loo_predictions(Z: torch.Tensor, Zte: torch.Tensor, y: np.ndarray, l2s: np.ndarray
                          ) -> tuple[np.ndarray, float]:
    """Ridge predictions of the test rows with the L2 of smallest leave-one-out error.

    The family's efficient leave-one-out path (scikit-learn's ``RidgeCV`` with its
    default generalised cross-validation plays the same role beside ``Ridge``), used by
    :func:`~neurodecode.evaluate.neurometric_threshold` inside each training fold.
    ``Z`` is centred (standardised on the training rows). One eigendecomposition of the
    smaller of ``Z Z'`` and ``Z' Z`` serves every strength; the leave-one-out residuals
    are ``e_i / (1 - h_ii)`` with ``h_ii`` the leverage (plus ``1 / n`` for the intercept).

    Parameters
    ----------
    Z, Zte : Tensor of shape (n_train, p) and (n_test, p)
        Standardised training and test responses (training statistics).
    y : ndarray of shape (n_train,)
    l2s : ndarray of float
        Candidate strengths (``Ridge(alpha=n_train * l2)``).

    Returns
    -------
    pred : ndarray of shape (n_test,)
    l2 : float
        The chosen strength.
    """
    n, p = Z.shape
    yt = torch.as_tensor(y, dtype=torch.float64)
    y_mean = yt.mean()
    yc = yt - y_mean
    lam = torch.as_tensor([ridge_shift(a, n) for a in l2s], dtype=torch.float64)
    if n <= p:
        s, U = torch.linalg.eigh((Z @ Z.T).double())
        A, A_te = U, (Zte @ Z.T).double() @ U  # fitted = U diag(s/(s+lam)) U'y
    else:
        s, V = torch.linalg.eigh((Z.T @ Z).double())
        A, A_te = Z.double() @ V, Zte.double() @ V  # columns Z v_k, |Z v_k|^2 = s_k
    s = s.clamp(min=0)
    d = s[:, None] + lam[None, :]
    tol = s.max() * max(n, p) * torch.finfo(torch.float64).eps
    inv = torch.where(d > tol, 1.0 / d, torch.zeros_like(d))
    c = A.T @ yc
    if n <= p:  # K alpha = U diag(s/(s+lam)) U'y; 1 - h_ii from lam/(s+lam): no cancellation
        fitted = A @ (inv * s[:, None] * c[:, None])
        one_minus_lev = (A**2) @ (inv * lam[None, :]) - 1.0 / n
    else:
        fitted = A @ (inv * c[:, None])
        one_minus_lev = 1.0 - (A**2) @ inv - 1.0 / n
    loo = (((yc[:, None] - fitted) / one_minus_lev.clamp(min=1e-12)) ** 2).mean(dim=0)
    best = int(torch.argmin(loo)) if len(l2s) > 1 else 0
    pred = A_te @ (inv[:, best] * c)
    return (pred + y_mean).numpy(), float(l2s[best])


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
    solver : {"auto", "numpy", "closed_form", "fista", "adam", "sgd"}, default="auto"
        ``"numpy"``: the exact closed form (:func:`ridge_path`) in float64 NumPy/SciPy on
        the CPU, single-threaded for small problems. ``"closed_form"``: the same solution
        computed with torch on ``device`` (float32 products for large float32 data).
        ``"auto"``: with ``l1 == 0``, ``"numpy"`` for problems of at most 2e7 response
        entries (n_samples x n_neurons) unless ``device`` names a GPU, else
        ``"closed_form"``; with ``l1 > 0``, ``"fista"``. With ``"adam"`` and ``"sgd"`` the
        L1 term is added to the loss (sub-gradient: it shrinks weights but rarely zeroes
        them).
    lr : float, optional
        Step size of the gradient solvers. Default: ``1 / L`` for FISTA (``L`` the
        Lipschitz constant of the smooth part, computed from the data), 1e-3 for Adam,
        1e-2 for SGD.
    max_epochs : int, default=1000
        Maximum number of epochs (FISTA iterations) of the gradient solvers.
    batch_size : int, optional
        Mini-batch size for ``"adam"``/``"sgd"``; None is full batch.
    tol : float, default=1e-8
        Gradient solvers stop when the objective (a mean over samples) has not decreased
        by more than ``tol`` for ``patience`` epochs; FISTA warns
        (:class:`~neurodecode.exceptions.ConvergenceWarning`) when it meets
        ``max_epochs`` first.
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
        Show a progress bar over epochs, or over the stages of the closed form.
    callbacks : list of Callback, optional
        Training callbacks of the torch solvers (:mod:`neurodecode.decoders.callbacks`:
        checkpoints, learning-rate schedules, TensorBoard); not with the closed form or
        SciPy (an error says so). Not saved with the decoder.

    Attributes
    ----------
    coef_ : ndarray of shape (n_neurons,) or (n_targets, n_neurons)
        Weights in the original units of the responses (the standardisation folded in),
        comparable with scikit-learn's. For circular stimuli the two rows read out
        ``cos`` and ``sin`` of the angle.
    intercept_ : float or ndarray of shape (n_targets,)
    patterns_ : ndarray of the shape of ``coef_``
        Activation patterns ``Cov(X) W'`` (Haufe et al., 2014): what each neuron
        encodes, as opposed to how the decoder weighs it (MNE-Python's
        ``patterns_``; see :func:`~neurodecode.decoders._core.activation_patterns`).
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
        callbacks: Any = None,
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
        self.callbacks = callbacks

    # ------------------------------------------------------------ solver choice
    def _optimizer_name(self) -> str:
        check_choice(self.solver, "solver", _SOLVERS, self._owner)
        if self.solver == "auto":
            return "closed_form" if self.l1 == 0 else "fista"
        return self.solver

    def _check_params(self) -> None:
        super()._check_params()
        name = self._optimizer_name()
        if name in ("numpy", "closed_form") and self.l1 > 0:
            raise ValueError(
                f"The 'solver' parameter of {self._owner} cannot be {name!r} with l1 > 0 "
                f"(got l1={self.l1!r}): L1 has no closed form. Use solver='fista' or 'auto'."
            )
        if name in ("numpy", "closed_form") and self.early_stopping:
            raise ValueError(
                f"early_stopping=True applies to the gradient solvers of {self._owner}, not to "
                "the closed form. Use solver='fista', 'adam' or 'sgd', or early_stopping=False."
            )
        if name in ("numpy", "closed_form") and self._callbacks():
            raise ValueError(
                f"Training callbacks apply to the gradient solvers of {self._owner}; the "
                "closed form has no epochs. Use solver='fista', 'adam' or 'sgd', or no "
                "callbacks."
            )
        if name in ("numpy", "closed_form", "fista"):
            self._check_full_batch(name, "solver")

    def _closed_form_engine(self, n_samples: int, n_features: int) -> str | None:
        """``"numpy"`` or ``"torch"`` for the closed form, None for a gradient solver."""
        name = self._optimizer_name()
        if name == "numpy" or (self.solver == "auto" and name == "closed_form"
                               and use_numpy_engine(n_samples, n_features, self.device)):
            return "numpy"
        return "torch" if name == "closed_form" else None

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
    def _fit_closed_form(self, X: np.ndarray, T: np.ndarray, engine: str) -> None:
        """The exact ridge / least-squares solution (:func:`ridge_path`) on ``engine``."""
        n, p = X.shape
        penalty = Penalty(l2=float(self.l2))
        if engine == "numpy":
            Z = self._fit_standardizer(np.asarray(X, dtype=np.float64))
            with thread_budget(n * p * min(n, p) + min(n, p) ** 3 / 3):
                W, b = ridge_path(Z, T, [float(self.l2)], fit_intercept=self.fit_intercept,
                                  centered=self.standardize and self.fit_intercept,
                                  progress=bool(self.progress))
                W, b = W[0], b[0]
                residual = Z @ W.T + b - T
            objective = 0.5 * (residual**2).sum(1).mean() + penalty.value([W])
            W, b = torch.from_numpy(W), torch.from_numpy(b)
            device = torch.device("cpu")
            dtype = torch.float32 if X.dtype == np.float32 else torch.float64
        else:
            device = resolve_device(self.device, self._owner)
            Xt = self._fit_standardizer(self._as_tensor(X, device))
            Tt = self._as_tensor(T, device, Xt.dtype)
            W, b = ridge_path(Xt, Tt, [float(self.l2)], fit_intercept=self.fit_intercept,
                              progress=bool(self.progress))
            W, b = W[0], b[0]
            with torch.no_grad():
                objective = self._loss(Xt @ W.T + b, Tt) + penalty.value([W])
            dtype = Xt.dtype
        module = self._init_module(p, T.shape[1], device=device, dtype=dtype, generator=None)
        with torch.no_grad():
            module.weight.copy_(W)
            if module.bias is not None:
                module.bias.copy_(b)
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
        engine = self._closed_form_engine(*X.shape)
        if engine is not None:
            self._fit_closed_form(X, T, engine)
        else:
            self._fit_module(X, T, T.shape[1])
            self._warn_if_capped()
        coef, intercept = self._fold_standardization(*self._linear_weights())
        if self.period_ is None and self.n_outputs_ == 1:
            self.coef_: np.ndarray = coef[0]
            self.intercept_: float | np.ndarray = float(intercept[0])
        else:
            self.coef_, self.intercept_ = coef, intercept
        self.patterns_ = activation_patterns(X, self.coef_, T)
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
        X = self._validate_X(X)
        coef = np.atleast_2d(self.coef_)
        if X.dtype != np.float64 and X.size <= SMALL_PROBLEM:
            X = X.astype(np.float64)
        out = X @ coef.T.astype(X.dtype) + np.atleast_1d(self.intercept_)
        return self._outputs_to_predictions(out)

    # ------------------------------------------------------------ fast cross-validation
    _fast_cv_params = ("l2",)

    def _has_fast_cv(self) -> bool:
        return self.l1 == 0 and self.solver in ("auto", "numpy", "closed_form")

    def _fast_cv(self, candidates: list[Any], folds: list[FoldData], X: np.ndarray,
                 y: np.ndarray, *,
                 return_models: bool, max_memory: int | None, progress: bool
                 ) -> FoldPredictions | None:
        """Every L2 strength of a fold from one factorisation (:func:`cv_ridge_predictions`),
        on the engine ``fit`` would use."""
        lead = folds[0].decoder
        n_train = max(len(f.train) for f in folds)
        engine = lead._closed_form_engine(n_train, X.shape[1])
        targets = [f.decoder._targets(f.y) for f in folds]
        Y = np.zeros((len(X), targets[0].shape[1]))
        for f, T in zip(folds, targets):
            Y[f.train] = T
        splits = [(f.train, f.test) for f in folds]
        n, p = X.shape
        with thread_budget(len(folds) * n * p * min(n, p)):
            preds = cv_ridge_predictions(
                X, Y, splits, [float(c.l2) for c in candidates], standardize=lead.standardize,
                fit_intercept=lead.fit_intercept, engine=engine,
                device=resolve_device(lead.device, self._owner))
        return FoldPredictions([[f.decoder._outputs_to_predictions(p) for p in fold_pred]
                                for f, fold_pred in zip(folds, preds)])

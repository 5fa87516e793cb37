"""Multinomial logistic regression for categorical (or binned) stimuli, with L1/L2.

The family's solvers, by problem size:

- small problems (:func:`~neurodecode.decoders._core.use_numpy_engine`): L-BFGS in
  float64 SciPy on the responses (:func:`fit_logistic_scipy`), single-threaded;
- large ones: L-BFGS (or FISTA for L1, Adam/SGD on request) in torch on the device;
- cross-validated sweeps of L2 strengths with more neurons than training trials: every
  strength of a fold at once in kernel form (:func:`cv_logistic_logits`): the weights of
  an L2-penalised model lie in the span of the fold's training responses, ``W = Z' C``.
  Every strength of a fold is solved by one batched L-BFGS in ``C`` whose inner products
  are those of weight space (``<Z'A, Z'B> = tr(A' K B)``, so the iterates are those of
  L-BFGS on the weights), preconditioned by Boehning's bound on the log-loss curvature
  ``(c Z'Z / n + l2 I)^-1`` (``c = 1/2`` softmax, ``1/4`` sigmoid) through one Cholesky
  factorisation of ``K + mu I`` shared by all strengths.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from scipy.special import expit, log_expit, log_softmax, softmax
from torch import nn

from .._threads import thread_budget
from .._validation import check_choice
from ._base import ClassifierDecoder, FoldData, FoldPredictions, resolve_device
from ._core import (
    SMALL_PROBLEM,
    EarlyStopping,
    Penalty,
    activation_patterns,
    standardization,
    use_numpy_engine,
    warn_not_converged,
)
from ._core import standardize as _standardize
from ._kernels import as_data_tensor, fold_kernels
from ._linalg import spectral_norm_squared
from ._training import TorchDecoder

__all__ = ["LogisticDecoder", "cv_logistic_logits", "fit_kernel_logistic",
           "fit_logistic_batch", "fit_logistic_scipy"]

_SOLVERS = ("auto", "scipy", "lbfgs", "fista", "adam", "sgd")


# --------------------------------------------------------------------------- small: SciPy
def _objective(params: np.ndarray, Z: np.ndarray, Y: np.ndarray, l2: float,
               fit_intercept: bool) -> tuple[float, np.ndarray]:
    """Mean cross-entropy + ``l2/2 ||W||^2`` and its gradient, for flat ``[W, b]``.

    ``Y`` is the one-hot (n, q) matrix, or (n, 1) of 0/1 for one logit (sigmoid)."""
    n, p = Z.shape
    q = Y.shape[1]
    W = params[:q * p].reshape(q, p)
    b = params[q * p:] if fit_intercept else np.zeros(q)
    logits = Z @ W.T + b
    if q == 1:
        loss = float(np.mean(np.logaddexp(0.0, logits) - Y * logits))
        P = expit(logits)
    else:  # log-softmax by hand: scipy's costs more than the whole product here
        shifted = logits - logits.max(axis=1, keepdims=True)
        logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        loss = float(-(Y * logp).sum() / n)
        P = np.exp(logp)
    R = (P - Y) / n
    grad_W = R.T @ Z + l2 * W
    f = loss + Penalty(l2=l2).value([W])
    if not fit_intercept:
        return f, grad_W.ravel()
    return f, np.concatenate([grad_W.ravel(), R.sum(axis=0)])


def fit_logistic_scipy(Z: np.ndarray, codes: np.ndarray, n_classes: int, l2: float, *,
                       fit_intercept: bool = True, tol: float = 1e-8, patience: int = 10,
                       max_iter: int = 500) -> tuple[np.ndarray, np.ndarray, list[float], bool]:
    """L2-penalised logistic regression by SciPy's L-BFGS in float64, from zero weights.

    Minimises ``(1/n) sum_i CE(y_i, W z_i + b) + l2/2 ||W||^2``; stops by the shared rule
    (:class:`~neurodecode.decoders._core.EarlyStopping`: no improvement of the objective
    by more than ``tol`` for ``patience`` iterations), when L-BFGS can make no further
    progress in float64, or at ``max_iter``.

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_features)
        Responses (standardised by the caller).
    codes : ndarray of shape (n_samples,)
        Class codes in ``0 .. n_classes - 1``.
    n_classes : int
        Two classes use one logit (sigmoid), more one per class (softmax).
    l2 : float
    fit_intercept : bool, default=True
    tol, patience, max_iter
        The stopping rule.

    Returns
    -------
    W : ndarray of shape (q, n_features)
    b : ndarray of shape (q,)
    history : list of float
        Objective after each iteration.
    converged : bool
        False when ``max_iter`` stopped it.

    Examples
    --------
    >>> Z = np.array([[-1.0], [-0.5], [0.5], [1.0]])
    >>> W, b, _, ok = fit_logistic_scipy(Z, np.array([0, 1, 0, 1]), 2, 0.1)
    >>> W.shape, ok
    ((1, 1), True)
    """
    from scipy.optimize import minimize

    n, p = Z.shape
    q = 1 if n_classes == 2 else n_classes
    Y = (codes[:, None] == (np.arange(q) if q > 1 else 1)).astype(np.float64)
    x0 = np.zeros(q * p + (q if fit_intercept else 0))
    stop = EarlyStopping(tol=tol, patience=patience)
    history: list[float] = []

    def callback(intermediate_result: Any) -> None:
        history.append(float(intermediate_result.fun))
        if stop.update(history[-1]):
            raise StopIteration

    with thread_budget(6.0 * n * p * q * 100):
        res = minimize(_objective, x0, args=(Z, Y, float(l2), fit_intercept), jac=True,
                       method="L-BFGS-B", callback=callback,
                       options={"maxiter": int(max_iter), "ftol": 0.0, "gtol": 0.0,
                                "maxcor": 10})
    W = res.x[:q * p].reshape(q, p)
    b = res.x[q * p:] if fit_intercept else np.zeros(q)
    converged = stop.stopped or len(history) < max_iter
    return W, b, history, converged


class LogisticDecoder(ClassifierDecoder, TorchDecoder):
    """Logistic regression read-out of a categorical stimulus (binary or multinomial).

    Two classes use one logit (sigmoid); more use a softmax over one logit per class
    (multinomial cross-entropy). Smooth problems are solved with L-BFGS, L1 penalties
    with FISTA (accelerated proximal gradient), which sets weights exactly to zero.

    Parameters
    ----------
    l1 : float, default=0.0
        L1 penalty strength on the weights (see Notes for the scaling).
    l2 : float, default=0.0
        L2 penalty strength on the weights (see Notes for the scaling).
    standardize : bool, default=True
        Z-score each neuron with the training statistics before fitting.
    fit_intercept : bool, default=True
        Fit unpenalised intercepts. Without them responses are scaled, not centred.
    solver : {"auto", "scipy", "lbfgs", "fista", "adam", "sgd"}, default="auto"
        ``"scipy"``: L-BFGS in float64 SciPy on the CPU (:func:`fit_logistic_scipy`),
        single-threaded for small problems. ``"lbfgs"``: L-BFGS in torch on ``device``.
        ``"auto"``: with ``l1 == 0``, ``"scipy"`` for problems of at most 2e7 response
        entries (n_samples x n_neurons) without early stopping unless ``device`` names a
        GPU, else ``"lbfgs"``; with ``l1 > 0``, ``"fista"``. ``"scipy"`` and ``"lbfgs"``
        need ``l1 == 0``; with ``"adam"``/``"sgd"`` the L1 term is added to the loss
        (sub-gradient, no exact zeros).
    lr : float, optional
        Step size. Default: ``1 / L`` for FISTA (``L`` from the data), 1 for L-BFGS (with
        a strong-Wolfe line search), 1e-3 for Adam, 1e-2 for SGD.
    max_epochs : int, default=500
        Maximum number of epochs (one L-BFGS or FISTA iteration each when full batch).
    batch_size : int, optional
        Mini-batch size for ``"adam"``/``"sgd"``; None is full batch.
    tol : float, default=1e-8
        Stop when the objective (a mean over samples) has not decreased by more than
        ``tol`` for ``patience`` epochs (iterations of the full-batch solvers), the rule
        of every neurodecode solver. L-BFGS and FISTA warn
        (:class:`~neurodecode.exceptions.ConvergenceWarning`) when ``max_epochs`` comes
        first.
    patience : int, default=10
        See ``tol``.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the samples, stop when their cross-entropy
        stops improving and restore the best weights.
    validation_fraction : float, default=0.1
        Share of samples held out with ``early_stopping``.
    device : str or torch.device, default="auto"
        ``"auto"`` picks CUDA, then MPS, then CPU.
    random_state : int, RandomState or None, default=None
        Seeds mini-batch order and the validation split.
    progress : bool, default=False
        Show a progress bar over epochs.
    callbacks : list of Callback, optional
        Training callbacks of the torch solvers (:mod:`neurodecode.decoders.callbacks`:
        checkpoints, learning-rate schedules, TensorBoard); not with the closed form or
        SciPy (an error says so). Not saved with the decoder.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (1, n_neurons) for two classes, else (n_classes, n_neurons)
        Weights in the original units of the responses (standardisation folded in).
    intercept_ : ndarray of shape (1,) or (n_classes,)
    patterns_ : ndarray of the shape of ``coef_``
        Activation patterns ``Cov(X) W'`` (Haufe et al., 2014): what each neuron
        encodes, as opposed to how the decoder weighs it (MNE-Python's
        ``patterns_``; see :func:`~neurodecode.decoders._core.activation_patterns`).
    mean_, scale_ : ndarray of shape (n_neurons,) or None
    module_ : torch.nn.Linear
    history_ : dict of list of float
    n_iter_ : int
    n_features_in_ : int

    Raises
    ------
    ValueError
        At ``fit``: negative penalties, ``solver="lbfgs"`` with ``l1 > 0``, a single
        class, continuous labels, or a circular/linear Recording (bin it first with
        ``recording.bin_stimulus(n_bins)``).

    See Also
    --------
    MLPClassifierDecoder : non-linear classifier.
    PerceptronDecoder : the perceptron learning rule.

    Notes
    -----
    The objective, identical on every neurodecode decoder, is

    ``1/n sum_i CE(y_i, W x_i + b) + l2/2 ||W||_F^2 + l1 ||W||_1``

    with ``CE`` the cross-entropy (log-loss), penalties on weights only. In scikit-learn's
    terms (same inputs), ``l2 = a`` is ``LogisticRegression(C=1 / (n_samples * a))``,
    ``l1 = a`` is ``LogisticRegression(C=1 / (n_samples * a), l1_ratio=1,
    solver="saga")``, and both are ``C = 1 / (n_samples * (l1 + l2))`` with
    ``l1_ratio = l1 / (l1 + l2)``; no penalty is ``C=np.inf``.

    References
    ----------
    Bishop, C. M. (2006). Pattern Recognition and Machine Learning, section 4.3.4.

    Examples
    --------
    >>> from neurodecode.data import orientation_population
    >>> rec, _ = orientation_population(100, 400, random_state=0)
    >>> binned = rec.bin_stimulus(4)
    >>> dec = LogisticDecoder(l2=1e-2, device="cpu").fit(binned)
    >>> dec.classes_
    array([  0.,  45.,  90., 135.])
    >>> bool(dec.score(binned) > 0.8)
    True
    """

    def __init__(
        self,
        l1: float = 0.0,
        l2: float = 0.0,
        *,
        standardize: bool = True,
        fit_intercept: bool = True,
        solver: str = "auto",
        lr: float | None = None,
        max_epochs: int = 500,
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
            return "lbfgs" if self.l1 == 0 else "fista"
        return self.solver

    def _check_params(self) -> None:
        super()._check_params()
        name = self._optimizer_name()
        if name in ("lbfgs", "scipy") and self.l1 > 0:
            raise ValueError(
                f"The 'solver' parameter of {self._owner} cannot be {name!r} with l1 > 0 (got "
                f"l1={self.l1!r}): L-BFGS needs a smooth objective. Use solver='fista' or "
                "'auto'."
            )
        if name == "scipy" and self._callbacks():
            raise ValueError(
                f"Training callbacks in {self._owner} need a torch solver ('lbfgs', 'adam', "
                "'sgd' or 'fista'); solver='scipy' runs SciPy's own loop. Use solver='auto' "
                "or no callbacks."
            )
        if name == "scipy" and self.early_stopping:
            raise ValueError(
                f"early_stopping=True in {self._owner} needs a torch solver ('lbfgs', 'adam', "
                "'sgd' or 'fista'); solver='scipy' fits the whole training set. Use "
                "solver='auto' or early_stopping=False."
            )
        self._check_full_batch("lbfgs" if name == "scipy" else name, "solver")

    def _engine(self, n_samples: int, n_features: int) -> str:
        """``"scipy"`` (float64 NumPy/SciPy) or ``"torch"``, by the solver and the size."""
        if self.solver == "scipy" or (
                self.solver == "auto" and self.l1 == 0 and not self.early_stopping
                and not self._callbacks()
                and use_numpy_engine(n_samples, n_features, self.device)):
            return "scipy"
        return "torch"

    # ------------------------------------------------------------ hooks
    def _init_module(self, n_features: int, n_outputs: int, *, device: torch.device,
                     dtype: torch.dtype, generator: torch.Generator | None) -> nn.Module:
        """A zero-initialised ``Linear`` layer (the problem is convex)."""
        layer = nn.utils.skip_init(nn.Linear, n_features, n_outputs, bias=self.fit_intercept,
                                   device=device, dtype=dtype)
        with torch.no_grad():
            for p in layer.parameters():
                p.zero_()
        return layer

    def _loss(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Mean cross-entropy (binary with one logit, multinomial otherwise)."""
        if output.shape[1] == 1:
            return F.binary_cross_entropy_with_logits(output[:, 0], target.to(output.dtype))
        return F.cross_entropy(output, target)

    def _lipschitz(self, X: torch.Tensor) -> torch.Tensor:
        """``c * s_max([X, 1])^2 / n + l2`` with ``c = 1/4`` (sigmoid) or ``1/2`` (softmax)."""
        s_max2 = spectral_norm_squared(X, append_ones=self.fit_intercept).to(X.dtype)
        curvature = 0.25 if self._n_module_outputs() == 1 else 0.5
        return (curvature * s_max2 / X.shape[0] + self.l2) * (1 + 1e-4)

    def _n_module_outputs(self) -> int:
        return 1 if len(self.classes_) == 2 else len(self.classes_)

    # ------------------------------------------------------------ fit / predict
    def fit(self, X: Any, y: Any = None) -> LogisticDecoder:
        """Fit the classifier.

        Parameters
        ----------
        X : array-like or Tensor of shape (n_samples, n_neurons), or Recording
            Responses. A categorical Recording brings its labels; then ``y`` is None.
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self : LogisticDecoder
            The fitted decoder.

        Raises
        ------
        ValueError
            For bad hyperparameters or inputs (see the class docstring).
        """
        self._check_params()
        X, codes = self._validate_fit(X, y)
        if self._engine(*X.shape) == "scipy":
            self._fit_scipy(X, codes)
        else:
            self._fit_module(X, codes, self._n_module_outputs())
            self._warn_if_capped()
        self.coef_, self.intercept_ = self._fold_standardization(*self._linear_weights())
        self.patterns_ = activation_patterns(X, self.coef_)
        return self

    def _fit_scipy(self, X: np.ndarray, codes: np.ndarray) -> None:
        """:func:`fit_logistic_scipy` on the standardised responses; ``module_`` holds the
        weights (float64, CPU) for saving and loading."""
        Z = self._fit_standardizer(np.asarray(X, dtype=np.float64))
        W, b, history, converged = fit_logistic_scipy(
            Z, codes, len(self.classes_), float(self.l2), fit_intercept=self.fit_intercept,
            tol=float(self.tol), patience=int(self.patience), max_iter=int(self.max_epochs))
        if not converged:
            warn_not_converged(self._owner, "scipy L-BFGS", int(self.max_epochs),
                               float(self.tol))
        dtype = torch.float32 if X.dtype == np.float32 else torch.float64
        module = self._init_module(Z.shape[1], W.shape[0], device=torch.device("cpu"),
                                   dtype=dtype, generator=None)
        with torch.no_grad():
            module.weight.copy_(torch.from_numpy(W))
            if module.bias is not None:
                module.bias.copy_(torch.from_numpy(b))
        module.eval()
        self.module_ = module
        self.history_ = {"train_loss": history, "val_loss": []}
        self.n_iter_ = max(1, len(history))

    def decision_function(self, X: Any) -> np.ndarray:
        """Logits.

        Parameters
        ----------
        X : array-like or Tensor of shape (n_samples, n_neurons), or Recording

        Returns
        -------
        ndarray of shape (n_samples,) for two classes, else (n_samples, n_classes)
            Positive values favour ``classes_[1]`` in the binary case.
        """
        X = self._validate_X(X)
        if X.dtype != np.float64 and X.size <= SMALL_PROBLEM:
            X = X.astype(np.float64)
        out = X @ self.coef_.T.astype(X.dtype) + self.intercept_
        return out[:, 0] if out.shape[1] == 1 else out

    _scores = decision_function

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities.

        Parameters
        ----------
        X : array-like or Tensor of shape (n_samples, n_neurons), or Recording

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Columns in ``classes_`` order; rows sum to 1.
        """
        scores = self.decision_function(X)
        if scores.ndim == 1:
            p = expit(scores)
            return np.stack([1.0 - p, p], axis=1)
        return softmax(scores, axis=1)

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like or Tensor of shape (n_samples, n_neurons), or Recording

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return np.stack([log_expit(-scores), log_expit(scores)], axis=1)
        return log_softmax(scores, axis=1)

    # ------------------------------------------------------------ fast cross-validation
    _fast_cv_params = ("l2",)

    def _has_fast_cv(self) -> bool:
        return (self.l1 == 0 and self.solver in ("auto", "scipy", "lbfgs")
                and self.batch_size is None and not self.early_stopping
                and not self._callbacks())

    def _fast_cv(self, candidates: list[Any], folds: list[FoldData], X: np.ndarray,
                 y: np.ndarray, *,
                 return_models: bool, max_memory: int | None, progress: bool
                 ) -> FoldPredictions | None:
        """Small problems: per fold, one standardisation and :func:`fit_logistic_scipy` for
        every strength (the computation of ``fit``). Large ones with more neurons than
        training trials and every strength > 0: the kernel form, every strength of a
        fold at once (:func:`cv_logistic_logits`). Otherwise None."""
        lead = folds[0].decoder
        n_train = max(len(f.train) for f in folds)
        l2s = [float(c.l2) for c in candidates]
        preds = []
        if lead._engine(n_train, X.shape[1]) == "scipy":
            for f in folds:
                Ztr = f.decoder._fit_standardizer(np.asarray(X[f.train], dtype=np.float64))
                Zte = _standardize(np.asarray(X[f.test], dtype=np.float64),
                                   f.decoder.mean_, f.decoder.scale_)
                fold = []
                for c in candidates:
                    W, b, _, converged = fit_logistic_scipy(
                        Ztr, f.y, len(f.decoder.classes_), float(c.l2),
                        fit_intercept=c.fit_intercept, tol=float(c.tol),
                        patience=int(c.patience), max_iter=int(c.max_epochs))
                    if not converged:
                        warn_not_converged(self._owner, "scipy L-BFGS", int(c.max_epochs),
                                           float(c.tol))
                    fold.append(f.decoder.classes_[_class_of(Zte @ W.T + b)])
                preds.append(fold)
            return FoldPredictions(preds)
        if lead.solver == "scipy" or min(l2s) <= 0 or n_train >= X.shape[1]:
            return None
        n_classes = max(len(f.decoder.classes_) for f in folds)
        if any(len(f.decoder.classes_) != n_classes for f in folds):
            return None  # a class missing from a training fold: fit each model in turn
        codes = np.zeros(len(X), dtype=np.int64)
        for f in folds:
            codes[f.train] = f.y
        logits, n_iter = cv_logistic_logits(
            X, codes, n_classes, [(f.train, f.test) for f in folds], l2s,
            standardize=lead.standardize, fit_intercept=lead.fit_intercept,
            tol=float(lead.tol), max_iter=int(lead.max_epochs),
            device=resolve_device(lead.device, self._owner))
        if (n_iter >= int(lead.max_epochs)).any():
            warn_not_converged(self._owner, "kernel L-BFGS", int(lead.max_epochs),
                               float(lead.tol))
        return FoldPredictions([[f.decoder.classes_[_class_of(lg)] for lg in fold_logits]
                                for f, fold_logits in zip(folds, logits)])


    def _fast_cv_over_time(self, folds: list[FoldData], responses: np.ndarray, *,
                           generalize: bool, max_memory: int, update: Any
                           ) -> list[np.ndarray] | None:
        """Every (fold, time) model by :func:`fit_logistic_batch`, a batch of time points
        at a time (folds of equal size together). Each model's standardisation is folded
        into its weights, so one product predicts its test trials at every time.
        None with ``l2 == 0`` or a class missing from a training fold."""
        if self.l2 <= 0:
            return None
        n_classes = len(folds[0].decoder.classes_)
        if any(len(f.decoder.classes_) != n_classes for f in folds):
            return None
        device = resolve_device(self.device, self._owner)
        n_trials, n_times, p = responses.shape
        q = 1 if n_classes == 2 else n_classes
        n_max = max(len(f.train) for f in folds)
        per_time = 8 * len(folds) * n_max * (2 * p + min(n_max, p) + 2 * _MEMORY * q + 8 * q)
        step = int(max(1, min(n_times, max_memory // max(per_time, 1))))
        center = self._center_inputs()
        coef = [np.empty((n_times, q, p)) for _ in folds]
        intercept = [np.empty((n_times, q)) for _ in folds]
        capped = False
        sizes = [len(f.train) for f in folds]
        buffer = np.zeros((len(folds), step, n_max, p))  # reused: no page faults per batch
        for start in range(0, n_times, step):
            chunk = slice(start, min(start + step, n_times))
            n_t = chunk.stop - chunk.start
            Z = buffer[:, :n_t]  # folds of fewer trials are padded with zeros
            codes = np.zeros((len(folds), n_t, n_max), dtype=np.int64)
            means, scales = np.zeros((len(folds), n_t, p)), np.ones((len(folds), n_t, p))
            for k, f in enumerate(folds):
                X = Z[k, :, :sizes[k]]  # (n_t, n_train, p), float64
                X[:] = responses[f.train, chunk].transpose(1, 0, 2)
                if self.standardize:  # torch's one-pass statistics: no temporaries
                    m, s = standardization(torch.from_numpy(X), center=center, axis=1)
                    means[k], scales[k] = m.numpy(), s.numpy()
                    _standardize(X, means[k][:, None, :], scales[k][:, None, :], out=X)
                codes[k, :, :sizes[k]] = f.y
            with thread_budget(40.0 * Z.size * (q + min(n_max, p))):
                W, b, n_iter = fit_logistic_batch(
                    torch.as_tensor(Z.reshape(-1, n_max, p), device=device),
                    torch.as_tensor(codes.reshape(-1, n_max), device=device), n_classes,
                    float(self.l2), n_samples=np.repeat(sizes, n_t),
                    fit_intercept=self.fit_intercept, tol=float(self.tol),
                    max_iter=int(self.max_epochs), overwrite=True)
            capped |= bool((n_iter >= int(self.max_epochs)).any())
            W = W.cpu().numpy().reshape(len(folds), n_t, q, p) / scales[:, :, None, :]
            b = b.cpu().numpy().reshape(len(folds), n_t, q)
            for k in range(len(folds)):  # weights on the raw responses
                coef[k][chunk] = W[k]
                intercept[k][chunk] = b[k] - np.einsum("tqp,tp->tq", W[k], means[k])
            update(n_t)
        if capped:
            warn_not_converged(self._owner, "batched L-BFGS", int(self.max_epochs),
                               float(self.tol))
        preds = []
        test_buffer = np.empty((max(len(f.test) for f in folds), n_times, p))
        for f, W, b in zip(folds, coef, intercept):
            X = test_buffer[:len(f.test)]  # (n_test, n_times, p), float64 as in predict
            for j, trial in enumerate(f.test):  # row by row: no large temporaries
                X[j] = responses[trial]
            n_test = len(X)
            if generalize:  # logits[train time, test time, trial]: one product
                flat = X.reshape(n_test * n_times, p) @ W.reshape(n_times * q, p).T
                logits = (flat.reshape(n_test, n_times, n_times, q).transpose(2, 1, 0, 3)
                          + b[:, None, None, :])
            else:
                logits = X.transpose(1, 0, 2) @ W.transpose(0, 2, 1) + b[:, None, :]
            codes = (logits[..., 0] > 0).astype(int) if q == 1 else logits.argmax(axis=-1)
            preds.append(f.decoder.classes_[codes])
        return preds


def _class_of(logits: np.ndarray) -> np.ndarray:
    """Predicted class codes from logits (one column: the sign of class 1's logit)."""
    return (logits[:, 0] > 0).astype(int) if logits.shape[1] == 1 else logits.argmax(axis=1)


# --------------------------------------------------------------------------- large: kernel form
_MEMORY = 10  # L-BFGS pairs kept
_RESYNC = 25  # recompute K C exactly every this many iterations (rounding drift)


def _loss_and_probabilities(logits: torch.Tensor, Y: torch.Tensor, binary: bool
                            ) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean log-loss per strength (L,) and probabilities (n, L, q)."""
    if binary:
        loss = (F.softplus(logits) - Y * logits).mean(dim=(0, 2))
        return loss, torch.sigmoid(logits)
    logp = torch.log_softmax(logits, dim=2)
    return -(Y * logp).sum(dim=2).mean(dim=0), logp.exp()


def fit_kernel_logistic(K: torch.Tensor, codes: torch.Tensor, n_classes: int,
                        l2s: Sequence[float], *, fit_intercept: bool = True,
                        tol: float = 1e-8, max_iter: int = 500
                        ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """L2-penalised logistic regression in kernel form, one model per strength.

    Parameters
    ----------
    K : Tensor of shape (n, n)
        Training kernel ``Z Z'`` (symmetric positive semi-definite).
    codes : Tensor of shape (n,)
        Class codes in ``0 .. n_classes - 1``.
    n_classes : int
        Two classes use one logit (sigmoid), more one per class (softmax).
    l2s : sequence of float
        Penalty strengths, each > 0.
    fit_intercept : bool, default=True
    tol : float, default=1e-8
        Stop a strength when L-BFGS's estimate of the remaining objective decrease,
        ``-<g, d> / 2``, falls below ``tol``.
    max_iter : int, default=500

    Returns
    -------
    C : Tensor of shape (n, n_l2, q)
        Coefficients: the weights are ``Z' C``.
    b : Tensor of shape (n_l2, q)
    n_iter : Tensor of shape (n_l2,)
        Iterations each strength took (``max_iter`` if it did not converge).
    """
    f64 = torch.float64
    K = K.to(f64)
    dev = K.device
    m = K.shape[0]
    binary = n_classes == 2
    q = 1 if binary else n_classes
    Y = (codes[:, None].to(f64) if binary else F.one_hot(codes.long(), q).to(f64))
    n_l2 = len(l2s)
    l2 = torch.tensor([float(a) for a in l2s], dtype=f64, device=dev)
    bound = 0.25 if binary else 0.5
    mu = float(torch.median(m * l2 / bound))  # the shared preconditioner's shift
    # the inverse of K + mu I, explicit: one matrix product per iteration is several
    # times faster than two triangular solves
    A = K.clone()
    A.diagonal().add_(mu)
    M = torch.cholesky_inverse(torch.linalg.cholesky(A))
    del A
    scale = m / bound

    def precondition(Rq: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Boehning-bound direction in C and its product with K."""
        s = (M @ Rq.reshape(m, -1)).reshape(Rq.shape)
        return scale * s, scale * (Rq - mu * s)

    # arrays are (n, n_l2, q): samples first, so that products with K need no copies
    Ym = Y[:, None, :]
    C = torch.zeros((m, n_l2, q), dtype=f64, device=dev)
    KC = torch.zeros_like(C)
    b = torch.zeros((n_l2, q), dtype=f64, device=dev)
    l2c = l2[None, :, None]

    def state(C: torch.Tensor, KC: torch.Tensor, b: torch.Tensor
              ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        loss, P = _loss_and_probabilities(KC + b[None], Ym, binary)
        f = loss + 0.5 * l2 * (C * KC).sum(dim=(0, 2))
        R = (P - Ym) / m + l2c * C  # the weight gradient is Z' R
        gb = (P - Ym).mean(dim=0) if fit_intercept else torch.zeros_like(b)
        return f, R, gb

    f, R, gb = state(C, KC, b)
    pC, pKC = precondition(R)  # H0 g, kept: H0 of each gradient difference is then free
    # each pair: s (in C, K C and b), y (in R and b), H0 y (in C, K C and b), rho, gamma
    history: list[tuple[torch.Tensor, ...]] = []
    n_iter = torch.full((n_l2,), max_iter, dtype=torch.long, device=dev)
    active = torch.ones(n_l2, dtype=torch.bool, device=dev)
    for it in range(max_iter):
        # two-loop recursion with weight-space inner products; H0 q is H0 g minus the
        # stored H0 y's, as H0 is linear
        qR, qb = R.clone(), gb.clone()
        dC, dKC, db = pC.clone(), pKC.clone(), gb / bound
        alphas = []
        for _sC, sKC, sb, yR, yb, hC, hKC, hb, rho, _ in reversed(history):
            a = rho * ((sKC * qR).sum(dim=(0, 2)) + (sb * qb).sum(dim=1))
            qR -= a[None, :, None] * yR
            qb -= a[:, None] * yb
            dC -= a[None, :, None] * hC
            dKC -= a[None, :, None] * hKC
            db -= a[:, None] * hb
            alphas.append(a)
        if history:  # scale H0 by s'y / y'H0 y, the usual L-BFGS scaling
            gamma = history[-1][-1]
            dC, dKC, db = gamma[None, :, None] * dC, gamma[None, :, None] * dKC, gamma[:, None] * db
        for (sC, sKC, sb, yR, yb, *_, rho, _), a in zip(history, reversed(alphas)):
            beta = rho * ((yR * dKC).sum(dim=(0, 2)) + (yb * db).sum(dim=1))
            coef = (a - beta)[None, :, None]
            dC += coef * sC
            dKC += coef * sKC
            db += (a - beta)[:, None] * sb
        if not fit_intercept:
            db = torch.zeros_like(db)
        dC, dKC, db = -dC, -dKC, -db
        gd = (R * dKC).sum(dim=(0, 2)) + (gb * db).sum(dim=1)
        done = (-gd <= 2 * tol) | (gd >= 0)
        n_iter = torch.where(active & done, torch.full_like(n_iter, it), n_iter)
        active = active & ~done
        if not bool(active.any()):
            break
        # backtracking (Armijo) line search, every strength at once, no products with K
        t = torch.where(active, torch.ones_like(gd), torch.zeros_like(gd))
        quad = (dC * dKC).sum(dim=(0, 2))
        cross = (dC * KC).sum(dim=(0, 2)) + (C * dKC).sum(dim=(0, 2))
        pen0 = (C * KC).sum(dim=(0, 2))
        for _ in range(40):
            tc = t[None, :, None]
            loss, _ = _loss_and_probabilities(KC + tc * dKC + (b + t[:, None] * db)[None],
                                              Ym, binary)
            f_t = loss + 0.5 * l2 * (pen0 + t * cross + t * t * quad)
            ok = (f_t <= f + 1e-4 * t * gd) | ~active
            if bool(ok.all()):
                break
            t = torch.where(ok, t, 0.5 * t)
        tc = t[None, :, None]
        sC, sKC, sb = tc * dC, tc * dKC, t[:, None] * db
        C, KC, b = C + sC, KC + sKC, b + sb
        if (it + 1) % _RESYNC == 0:  # drop the drift of the updated products
            KC = (K @ C.reshape(m, -1)).reshape(C.shape)
        f_new, R_new, gb_new = state(C, KC, b)
        pC_new, pKC_new = precondition(R_new)
        yR, yb = R_new - R, gb_new - gb
        hC, hKC, hb = pC_new - pC, pKC_new - pKC, yb / bound
        sy = (sKC * yR).sum(dim=(0, 2)) + (sb * yb).sum(dim=1)
        yHy = (yR * hKC).sum(dim=(0, 2)) + (yb * hb).sum(dim=1)
        good = (sy > 1e-20) & (yHy > 0)
        rho = torch.where(good, 1.0 / sy.clamp_min(1e-20), torch.zeros_like(sy))
        gamma = torch.where(good, sy / yHy.clamp_min(1e-300), torch.ones_like(sy))
        history.append((sC, sKC, sb, yR, yb, hC, hKC, hb, rho, gamma))
        if len(history) > _MEMORY:
            history.pop(0)
        f, R, gb, pC, pKC = f_new, R_new, gb_new, pC_new, pKC_new
    return C, b, n_iter


# --------------------------------------------------------------------------- many problems at once
def _lbfgs_batch(A: torch.Tensor, Y: torch.Tensor, w: torch.Tensor, pen: torch.Tensor,
                 binary: bool, tol: float, max_iter: int) -> tuple[torch.Tensor, torch.Tensor]:
    """L-BFGS (``H0 = gamma I``) on ``B`` problems at once: problem ``k`` minimises
    ``sum_i w_ki CE(y_ki, x_k a_ki) + 1/2 sum_j pen_kj ||x_k[:, j]||^2`` over ``x_k``
    (q, n_features); ``A`` is (B, n, n_features), ``Y`` (B, q, n), ``w`` (B, 1, n).

    The inverse-Hessian product uses the compact representation (Byrd, Nocedal &
    Schnabel, 1994): the stored pairs sit in ring buffers, and each direction is a few
    batched products with them and two small triangular solves, instead of the two-loop
    recursion's many vector operations. Classes lie on the middle axis, so that the
    softmax runs over a short strided axis (several times faster than over the last
    one). Every problem takes its own step (batched Armijo backtracking, in the logits:
    no extra products with ``A``); a problem stops when ``-<g, d> / 2 <= tol``, and the
    batch is compacted when half of it has stopped. Returns the solutions
    (B, q, n_features) and each problem's iterations (``max_iter`` where it did not
    converge)."""
    B = A.shape[0]
    dt, dev = A.dtype, A.device
    q, k = Y.shape[1], A.shape[2]
    m = _MEMORY
    out = torch.zeros((B, q, k), dtype=dt, device=dev)
    n_iter = torch.full((B,), max_iter, dtype=torch.long, device=dev)
    idx = torch.arange(B, device=dev)
    pen = pen[:, None, :]

    def data_loss(L: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if binary:
            return (w * (F.softplus(L) - Y * L)).sum(dim=(1, 2)), torch.sigmoid(L)
        logp = torch.log_softmax(L, dim=1)
        return -(w * Y * logp).sum(dim=(1, 2)), logp.exp()

    def dot(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        return (u * v).sum(dim=(1, 2))

    x = torch.zeros_like(out)
    L = torch.zeros_like(Y)
    f, P = data_loss(L)
    g = (w * (P - Y)) @ A
    # ring buffer of the pairs: rows 0..m-1 hold s, rows m..2m-1 the matching y
    SYb = torch.zeros((B, 2 * m, q * k), dtype=dt, device=dev)
    G = torch.zeros((B, 2 * m, 2 * m), dtype=dt, device=dev)  # their inner products
    order: list[int] = []  # slots, oldest first
    gamma = torch.ones(B, dtype=dt, device=dev)
    active = torch.ones(B, dtype=torch.bool, device=dev)
    for it in range(max_iter):
        d = gamma[:, None, None] * g
        if order:  # H g = gamma g + S a + gamma Y b
            o = torch.tensor(order, device=dev)
            p = SYb @ g.reshape(len(g), q * k, 1)
            p1, p2 = p[:, o], gamma[:, None, None] * p[:, o + m]
            sy = G[:, o][:, :, o + m]
            R = torch.triu(sy)
            v = torch.linalg.solve_triangular(R, p1, upper=True)
            inner = (torch.diagonal(sy, dim1=1, dim2=2)[..., None] * v
                     + gamma[:, None, None] * (G[:, o + m][:, :, o + m] @ v) - p2)
            coef = torch.zeros((len(g), 2 * m, 1), dtype=dt, device=dev)
            coef[:, o] = torch.linalg.solve_triangular(R.transpose(1, 2), inner, upper=False)
            coef[:, o + m] = -gamma[:, None, None] * v
            d = d + (SYb.transpose(1, 2) @ coef).reshape(g.shape)
        d = -d
        gd = dot(g, d)
        done = active & ((-gd <= 2 * tol) | (gd >= 0))
        if bool(done.any()):
            n_iter[idx[done]] = it
            active = active & ~done
        if not bool(active.any()):
            break
        if int(active.sum()) <= len(idx) // 2:  # drop the finished problems
            out[idx[~active]] = x[~active]
            keep = active
            A, Y, w, pen, x, L, g, f, gd, d, gamma, SYb, G = (
                v[keep] for v in (A, Y, w, pen, x, L, g, f, gd, d, gamma, SYb, G))
            idx, active = idx[keep], active[keep]
        Ad = d @ A.transpose(1, 2)
        px, pd = pen * x, pen * d
        xpx, xpd, dpd = dot(px, x), dot(px, d), dot(pd, d)
        t = active.to(dt)
        for _ in range(40):  # Armijo backtracking, every problem its own step
            loss_t, _ = data_loss(L + t[:, None, None] * Ad)
            f_t = loss_t + 0.5 * (xpx + 2 * t * xpd + t * t * dpd)
            ok = (f_t <= f + 1e-4 * t * gd) | ~active
            if bool(ok.all()):
                break
            t = torch.where(ok, t, 0.5 * t)
        tc = t[:, None, None]
        s = tc * d
        x = x + s
        L = L + tc * Ad
        loss, P = data_loss(L)
        f = loss + 0.5 * (xpx + 2 * t * xpd + t * t * dpd)
        g_new = (w * (P - Y)) @ A + (px + tc * pd)
        yv = g_new - g
        g = g_new
        sy_new, yy_new = dot(s, yv), dot(yv, yv)
        good = (sy_new > 1e-20) & (yy_new > 0)
        gamma = torch.where(good, sy_new / yy_new.clamp_min(1e-300), gamma)
        # store the pair; a problem whose pair has no positive curvature stores zeros,
        # with a unit diagonal in R, so that the slot drops out of its direction
        slot = order.pop(0) if len(order) == m else len(order)
        keep_pair = good.to(dt)[:, None]
        SYb[:, slot] = s.reshape(len(s), -1) * keep_pair
        SYb[:, slot + m] = yv.reshape(len(s), -1) * keep_pair
        new = SYb @ SYb[:, [slot, slot + m]].transpose(1, 2)  # (B, 2m, 2)
        G[:, :, [slot, slot + m]] = new
        G[:, [slot, slot + m], :] = new.transpose(1, 2)
        G[:, slot, slot + m] = torch.where(good, sy_new, torch.ones_like(sy_new))
        order.append(slot)
    out[idx] = x
    return out, n_iter

def fit_logistic_batch(Z: torch.Tensor, codes: torch.Tensor, n_classes: int,
                       l2: float | torch.Tensor, *, n_samples: Any = None,
                       fit_intercept: bool = True, tol: float = 1e-8, max_iter: int = 500,
                       overwrite: bool = False
                       ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Many independent L2-penalised logistic regressions at once, in float64.

    Problem ``k`` minimises the objective of :func:`fit_logistic_scipy`,
    ``(1/n_k) sum_i CE(y_ki, W_k z_ki + b_k) + l2_k/2 ||W_k||^2``. Each problem is first
    rotated onto the principal axes of its (centred) responses: an eigendecomposition of
    ``Z'Z``, or of ``Z Z'`` with more features than samples (the weights then lie in the
    span of the samples). There Boehning's bound on the log-loss curvature,
    ``c Z'Z / n + l2 I`` (``c = 1/2`` softmax, ``1/4`` sigmoid), is diagonal; scaled by
    it, every problem starts well conditioned and L-BFGS needs a few tens of
    iterations. All problems iterate together (batched products), each with its own line
    search, and leave the batch when they converge. Decoding over time (one problem per
    time point and fold) uses it.

    Parameters
    ----------
    Z : Tensor of shape (n_problems, n_samples, n_features)
        Responses of each problem (standardised by the caller).
    codes : Tensor of shape (n_problems, n_samples)
        Class codes in ``0 .. n_classes - 1``.
    n_classes : int
        Two classes use one logit (sigmoid), more one per class (softmax).
    l2 : float or Tensor of shape (n_problems,)
        Penalty strengths, each > 0.
    n_samples : sequence of int, optional
        Samples of each problem: its first ``n_samples[k]`` rows (the rest is padding,
        so that folds of different sizes share a batch). Default: all rows.
    fit_intercept : bool, default=True
    tol : float, default=1e-8
        Stop a problem when L-BFGS's estimate of its remaining objective decrease,
        ``-<g, d> / 2``, falls below ``tol`` (the rule of :func:`fit_kernel_logistic`).
    max_iter : int, default=500
    overwrite : bool, default=False
        Centre ``Z`` in place (saves a copy of the largest array).

    Returns
    -------
    W : Tensor of shape (n_problems, q, n_features)
        ``q`` is 1 for two classes (the logit of class 1), else ``n_classes``.
    b : Tensor of shape (n_problems, q)
    n_iter : Tensor of shape (n_problems,)
        Iterations each problem took (``max_iter`` if it did not converge).

    Examples
    --------
    >>> g = torch.Generator().manual_seed(0)
    >>> Z = torch.randn(3, 40, 5, generator=g, dtype=torch.float64)
    >>> codes = (Z[..., 0] > 0).long()
    >>> W, b, n_iter = fit_logistic_batch(Z, codes, 2, 0.1)
    >>> W.shape, b.shape
    (torch.Size([3, 1, 5]), torch.Size([3, 1]))
    """
    f64 = torch.float64
    Z = Z.to(f64)
    B, n, p = Z.shape
    dev = Z.device
    binary = n_classes == 2
    q = 1 if binary else n_classes
    c = 0.25 if binary else 0.5
    l2 = torch.as_tensor(l2, dtype=f64, device=dev).expand(B)
    sizes = torch.as_tensor(n if n_samples is None else n_samples, device=dev).expand(B)
    real = (torch.arange(n, device=dev)[None, :] < sizes[:, None]).to(f64)  # (B, n)
    counts = sizes.to(f64)
    codes = codes.to(dev).long()
    Y = (codes[:, None, :].to(f64) if binary
         else F.one_hot(codes, q).to(f64).transpose(1, 2))  # (B, q, n)
    mean = None
    if not overwrite:
        Z = Z.clone()
    if fit_intercept:  # centred: the intercept decouples from the weights
        mean = (real[:, None, :] @ Z) / counts[:, None, None]  # (B, 1, p)
        Z.sub_(mean)
    if n_samples is not None:
        Z.mul_(real[..., None])  # padding rows are zeros
    Zt = Z.transpose(1, 2)
    s2, axes = torch.linalg.eigh(Zt @ Z if p <= n else Z @ Zt)
    s2 = torch.where(s2 > 1e-12 * s2[:, -1:].clamp_min(1e-300), s2, torch.zeros_like(s2))
    s = s2.sqrt()
    D = 1.0 / (c * s2 / counts[:, None] + l2[:, None])  # the inverse bound per axis
    # features on the principal axes, scaled by the bound: Z V D^1/2 = U S D^1/2
    feats = Z @ (axes * D.sqrt()[:, None, :]) if p <= n else axes * (s * D.sqrt())[:, None, :]
    cols, pen = [feats], l2[:, None] * D
    if fit_intercept:
        cols.append(c ** -0.5 * real[..., None])
        pen = torch.cat([pen, torch.zeros((B, 1), dtype=f64, device=dev)], dim=1)
    w = (real / counts[:, None])[:, None, :]
    x, n_iter = _lbfgs_batch(torch.cat(cols, dim=2), Y, w, pen, binary, tol, max_iter)
    a = x[..., :D.shape[1]] * D.sqrt()[:, None, :]  # (B, q, r) on the principal axes
    if p <= n:
        W = a @ axes.transpose(1, 2)
    else:  # Z = U S V': the axes are V = Z' U S^-1
        inv = torch.where(s > 0, 1.0 / s.clamp_min(1e-300), s)
        W = ((a * inv[:, None, :]) @ axes.transpose(1, 2)) @ Z
    b = x[..., -1] * c ** -0.5 if fit_intercept else torch.zeros((B, q), dtype=f64, device=dev)
    if mean is not None:
        b = b - (W @ mean.transpose(1, 2))[..., 0]
    return W, b, n_iter

def cv_logistic_logits(X: np.ndarray, codes: np.ndarray, n_classes: int,
                       splits: Sequence[tuple[np.ndarray, np.ndarray]], l2s: Sequence[float],
                       *, standardize: bool = True, fit_intercept: bool = True,
                       tol: float = 1e-8, max_iter: int = 500,
                       device: str | torch.device = "cpu", dtype: torch.dtype | None = None
                       ) -> tuple[list[np.ndarray], np.ndarray]:
    """Held-out logits of L2-penalised logistic regression for every fold and strength.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Responses; every training fold must have fewer samples than features.
    codes : ndarray of shape (n_samples,)
        Class codes in ``0 .. n_classes - 1``.
    n_classes : int
    splits : sequence of (train, test) index arrays
    l2s : sequence of float
        Penalty strengths (> 0), scaled as :class:`LogisticDecoder`'s ``l2``
        (scikit-learn's ``LogisticRegression(C=1 / (n_train * l2))``).
    standardize : bool, default=True
        Scale each feature by its training fold's standard deviation.
    fit_intercept : bool, default=True
    tol, max_iter
        See :func:`fit_kernel_logistic`.
    device : str or torch.device, default="cpu"
    dtype : torch.dtype, optional
        Precision of the Gram products (see :func:`._kernels.as_data_tensor`).

    Returns
    -------
    logits : list of ndarray of shape (n_l2, n_test, q)
        One per split; ``q`` is 1 for two classes (the logit of class 1), else
        ``n_classes``.
    n_iter : ndarray of shape (n_splits, n_l2)
        L-BFGS iterations of each model.
    """
    Xt = as_data_tensor(X, device, dtype)
    y = torch.as_tensor(np.asarray(codes), device=Xt.device)
    out, iters = [], []
    kernels = fold_kernels(Xt, splits, standardize=standardize, shift=fit_intercept)
    for (K, K_e), (train, _) in zip(kernels, splits):
        C, b, n_iter = fit_kernel_logistic(K, y[torch.as_tensor(train, device=Xt.device)],
                                           n_classes, l2s, fit_intercept=fit_intercept,
                                           tol=tol, max_iter=max_iter)
        del K
        logits = (K_e @ C.reshape(len(C), -1)).reshape(-1, *C.shape[1:]) + b[None]
        out.append(logits.permute(1, 0, 2).cpu().numpy())
        iters.append(n_iter.cpu().numpy())
    return out, np.array(iters)

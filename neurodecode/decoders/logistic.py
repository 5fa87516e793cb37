"""Multinomial logistic regression for categorical (or binned) stimuli, with L1/L2."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from scipy.special import expit, log_expit, log_softmax, softmax
from torch import nn

from .._validation import check_choice
from ._base import ClassifierDecoder
from ._linalg import spectral_norm_squared
from ._training import TorchDecoder

__all__ = ["LogisticDecoder"]

_SOLVERS = ("auto", "lbfgs", "fista", "adam", "sgd")


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
    solver : {"auto", "lbfgs", "fista", "adam", "sgd"}, default="auto"
        ``"auto"``: ``"lbfgs"`` when ``l1 == 0``, else ``"fista"``. ``"lbfgs"`` needs
        ``l1 == 0``; with ``"adam"``/``"sgd"`` the L1 term is added to the loss
        (sub-gradient, no exact zeros).
    lr : float, optional
        Step size. Default: ``1 / L`` for FISTA (``L`` from the data), 1 for L-BFGS (with
        a strong-Wolfe line search), 1e-3 for Adam, 1e-2 for SGD.
    max_epochs : int, default=500
        Maximum number of epochs (one L-BFGS or FISTA iteration each when full batch).
    batch_size : int, optional
        Mini-batch size for ``"adam"``/``"sgd"``; None is full batch.
    tol : float, default=1e-8
        Stop when the objective has not decreased by ``tol`` for ``patience`` epochs.
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

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (1, n_neurons) for two classes, else (n_classes, n_neurons)
        Weights in the original units of the responses (standardisation folded in).
    intercept_ : ndarray of shape (1,) or (n_classes,)
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

    # ------------------------------------------------------------ solver choice
    def _optimizer_name(self) -> str:
        check_choice(self.solver, "solver", _SOLVERS, self._owner)
        if self.solver == "auto":
            return "lbfgs" if self.l1 == 0 else "fista"
        return self.solver

    def _check_params(self) -> None:
        super()._check_params()
        name = self._optimizer_name()
        if name == "lbfgs" and self.l1 > 0:
            raise ValueError(
                f"The 'solver' parameter of {self._owner} cannot be 'lbfgs' with l1 > 0 (got "
                f"l1={self.l1!r}): L-BFGS needs a smooth objective. Use solver='fista' or "
                "'auto'."
            )
        self._check_full_batch(name, "solver")

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
        self._fit_module(X, codes, self._n_module_outputs())
        self.coef_, self.intercept_ = self._fold_standardization(*self._linear_weights())
        return self

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
        out = self._outputs(X)
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

"""ReLU networks: regression (incl. circular stimuli) and classification.

``MLPDecoder(hidden=(200,))`` is the "DeepNetReLU" of Stringer et al. (2021) and of the
Neuromatch Academy deep-learning tutorials: one hidden layer of 200 ReLU units.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from scipy.special import log_softmax, softmax
from torch import nn

from .._validation import check_choice, check_number
from ._base import ClassifierDecoder, FoldData, FoldPredictions, RegressorDecoder
from ._core import standardization, standardize
from ._training import Dropout, TorchDecoder

__all__ = ["ACTIVATIONS", "LOSSES", "MLPClassifierDecoder", "MLPDecoder", "Residual", "build_mlp"]


def _init_linear(n_in: int, n_out: int, *, device: torch.device, dtype: torch.dtype,
                 generator: torch.Generator | None) -> nn.Linear:
    """A ``Linear`` layer with PyTorch's default init, ``U(-1/sqrt(n_in), 1/sqrt(n_in))``,
    drawn from ``generator`` (not the global seed)."""
    layer = nn.utils.skip_init(nn.Linear, n_in, n_out, device=device, dtype=dtype)
    bound = 1.0 / math.sqrt(n_in) if n_in else 0.0
    with torch.no_grad():
        layer.weight.uniform_(-bound, bound, generator=generator)
        layer.bias.uniform_(-bound, bound, generator=generator)
    return layer


#: Hidden-unit non-linearities by name (``activation=``).
ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU, "gelu": nn.GELU,
}
#: Regression losses by name (``loss=``); see :meth:`MLPDecoder._loss` for each formula.
LOSSES = ("mse", "mae", "huber", "poisson")


class Residual(nn.Module):
    """``x + block(x)``: a skip connection around a hidden layer of equal width."""

    def __init__(self, block: nn.Module) -> None:
        super().__init__()
        self.block = block

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Add the block's output to its input."""
        return x + self.block(x)


def build_mlp(n_features: int, hidden: Sequence[int], n_outputs: int, *, dropout: float = 0.0,
              batch_norm: bool = False, activation: str = "relu", residual: bool = False,
              device: torch.device | str = "cpu", dtype: torch.dtype = torch.float32,
              generator: torch.Generator | None = None) -> nn.Sequential:
    """Stack ``Linear -> [BatchNorm1d] -> activation -> [Dropout]`` per hidden layer, then
    ``Linear``; with ``residual``, hidden layers whose input has their width become
    ``x + layer(x)`` (skip connections, as in the MIND tutorial's skip network).

    Parameters
    ----------
    n_features : int
        Inputs (neurons).
    hidden : sequence of int
        Width of each hidden layer; empty for a linear model.
    n_outputs : int
        Outputs.
    dropout : float, default=0.0
        Dropout probability after each hidden layer (a :class:`Dropout` whose masks come
        from the training loop's generator).
    batch_norm : bool, default=False
        Batch normalisation before each activation.
    activation : {"relu", "tanh", "sigmoid", "leaky_relu", "elu", "gelu"}, default="relu"
        Hidden-unit non-linearity (:data:`ACTIVATIONS`; leaky ReLU with slope 0.01).
    residual : bool, default=False
        Skip connections around hidden layers of equal input and output width.
    device : torch.device or str, default="cpu"
    dtype : torch.dtype, default=torch.float32
    generator : torch.Generator, optional
        Source of the initial weights.

    Returns
    -------
    torch.nn.Sequential

    Examples
    --------
    >>> build_mlp(10, (200,), 2, dropout=0.5)
    Sequential(
      (0): Linear(in_features=10, out_features=200, bias=True)
      (1): ReLU()
      (2): Dropout(p=0.5)
      (3): Linear(in_features=200, out_features=2, bias=True)
    )
    """
    device = torch.device(device)
    layers: list[nn.Module] = []
    prev = n_features
    for width in hidden:
        block: list[nn.Module] = [
            _init_linear(prev, width, device=device, dtype=dtype, generator=generator)]
        if batch_norm:
            block.append(nn.BatchNorm1d(width, device=device, dtype=dtype))
        block.append(ACTIVATIONS[activation]())
        if dropout > 0:
            block.append(Dropout(dropout))
        if residual and prev == width:
            layers.append(Residual(nn.Sequential(*block)))
        else:
            layers.extend(block)
        prev = width
    layers.append(_init_linear(prev, n_outputs, device=device, dtype=dtype, generator=generator))
    return nn.Sequential(*layers)


class _MLPBase(TorchDecoder):
    """Parameters and module shared by the two ReLU networks."""

    _optimizers = ("adam", "sgd")

    def _hidden(self) -> tuple[int, ...]:
        hidden = self.hidden
        if isinstance(hidden, (int, np.integer)) and not isinstance(hidden, bool):
            hidden = (hidden,)
        ok = isinstance(hidden, Sequence) and not isinstance(hidden, str) and all(
            isinstance(h, (int, np.integer)) and not isinstance(h, bool) and h >= 1
            for h in hidden)
        if not ok:
            raise ValueError(
                f"The 'hidden' parameter of {self._owner} must be a tuple of positive ints "
                f"(one width per hidden layer, e.g. (200,)). Got {self.hidden!r} instead."
            )
        return tuple(int(h) for h in hidden)

    def _check_params(self) -> None:
        super()._check_params()
        self._hidden()
        self._optimizer_name()
        check_number(self.dropout, "dropout", self._owner, low=0, high=1,
                     high_inclusive=False)
        for flag in ("batch_norm", "residual"):
            if not isinstance(getattr(self, flag), (bool, np.bool_)):
                raise TypeError(
                    f"The {flag!r} parameter of {self._owner} must be a bool. "
                    f"Got {getattr(self, flag)!r} instead."
                )
        check_choice(self.activation, "activation", tuple(ACTIVATIONS), self._owner)
        if self.batch_norm and self.batch_size is not None and int(self.batch_size) < 2:
            raise ValueError(
                f"batch_norm=True in {self._owner} normalises over each mini-batch, which "
                f"needs at least 2 samples; got batch_size={self.batch_size!r}. Use "
                "batch_size >= 2 (or None for the full batch), or batch_norm=False.")

    # ------------------------------------------------------------ fast cross-validation
    _fast_cv_params = ("l1", "l2", "dropout")

    def _has_fast_cv(self) -> bool:
        return (not self.batch_norm and self.optimizer in ("adam", "sgd")
                and not self._callbacks()
                and self.activation == "relu" and not self.residual
                and getattr(self, "loss", "mse") == "mse")

    def _fast_cv(self, candidates: list[Any], folds: list[FoldData], X: np.ndarray,
                 y: np.ndarray, *, return_models: bool, max_memory: int | None,
                 progress: bool) -> FoldPredictions | None:
        """Every setting of a fold trained as one stacked model (:mod:`._mlp_stacked`),
        each exactly as its own ``fit`` would; None when their training sets differ."""
        from ._mlp_stacked import fit_mlp_stacked

        settings = [{k: c.get_params()[k] for k in self._fast_cv_params} for c in candidates]
        fitted = fit_mlp_stacked(self, settings, X, y, [(f.train, f.test) for f in folds],
                                 max_memory=max_memory, progress=progress)
        if fitted is None:
            return None
        preds = [[m.predict(X[f.test]) for m in models] for f, models in zip(folds, fitted)]
        return FoldPredictions(preds, fitted if return_models else None)

    def _check_n_samples(self, n: int) -> None:
        if self.batch_norm and n < 2:
            raise ValueError(
                f"batch_norm=True in {self._owner} needs at least 2 samples per batch; got "
                f"{n} sample{'s' if n != 1 else ''}."
            )

    def _init_module(self, n_features: int, n_outputs: int, *, device: torch.device,
                     dtype: torch.dtype, generator: torch.Generator | None) -> nn.Module:
        """The network of :func:`build_mlp`."""
        return build_mlp(n_features, self._hidden(), n_outputs, dropout=float(self.dropout),
                         batch_norm=bool(self.batch_norm), activation=self.activation,
                         residual=bool(self.residual), device=device, dtype=dtype,
                         generator=generator)


_PARAMS_DOC = """
    l1 : float, default=0.0
        L1 penalty strength on the weight matrices of all layers (not biases), added to
        the loss (sub-gradient). See Notes for the scaling.
    l2 : float, default=0.0
        L2 penalty strength on the weight matrices of all layers (not biases, not batch
        norm). See Notes for the scaling.
    dropout : float, default=0.0
        Probability of dropping each hidden unit during training, after every hidden
        layer; in [0, 1).
    batch_norm : bool, default=False
        Batch normalisation before each activation.
    activation : {"relu", "tanh", "sigmoid", "leaky_relu", "elu", "gelu"}, default="relu"
        Hidden-unit non-linearity.
    residual : bool, default=False
        Skip connections ``x + layer(x)`` around hidden layers of equal width (e.g.
        ``hidden=(200, 200, 200)``)."""

_TRAINING_DOC = """
    optimizer : {"adam", "sgd"}, default="adam"
        Gradient method. Sweeps of plain SGD without L1 over recordings with more
        neurons than trials train the first layer in kernel form, several times faster
        (:func:`neurodecode.evaluate.sweep`).
    lr : float, default=1e-3
        Learning rate (SGD's default: 1e-2). With tens of thousands of standardised
        inputs (Stringer-sized recordings) 1e-3 can make Adam's training loss climb
        (1e-4 to 3e-5 is safer there), and SGD needs about 1e-3: its first-layer step
        grows with the number of neurons.
    batch_size : int or None, default=128
        Mini-batch size; None trains on the full batch.
    max_epochs : int, default=200
        Maximum number of passes over the training data.
    tol : float, default=1e-4
        Stop when the monitored loss has not improved by ``tol`` for ``patience`` epochs.
    patience : int, default=10
        See ``tol``.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the samples, monitor their loss, stop when it
        stops improving and restore the best weights.
    validation_fraction : float, default=0.1
        Share of samples held out with ``early_stopping``.
    device : str or torch.device, default="auto"
        ``"auto"`` picks CUDA, then MPS, then CPU.
    random_state : int, RandomState or None, default=None
        Seeds the initial weights, dropout masks, mini-batch order and validation split
        (through a local ``torch.Generator``): the same seed gives the same fit on a
        device.
    progress : bool, default=False
        Show a progress bar over epochs.
    callbacks : list of Callback, optional
        Training callbacks (:mod:`neurodecode.decoders.callbacks`): ``Checkpoint`` (save
        and resume), ``LRScheduler``, ``GradientClipping``, ``TensorBoard`` or your own.
        Every value they log is kept in ``history_``. Not saved with the decoder."""


class NetworkRegressor(RegressorDecoder):
    """What every network regressor shares, whatever its module: the ``loss`` (see
    :class:`MLPDecoder`'s Notes), the target scaling, ``fit`` and ``predict`` (not used
    directly)."""

    def _check_params(self) -> None:
        super()._check_params()
        check_choice(self.loss, "loss", LOSSES, self._owner)

    def _loss(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The mean over samples of the data term named by ``loss`` (class Notes)."""
        diff = output - target
        if self.loss == "mae":
            per_output = diff.abs()
        elif self.loss == "huber":
            per_output = F.huber_loss(output, target, reduction="none", delta=1.0)
        elif self.loss == "poisson":
            per_output = torch.exp(output) - target * output
        else:
            per_output = 0.5 * diff * diff
        return per_output.sum(dim=1).mean()

    def _n_module_outputs(self) -> int:
        return self._n_targets()

    def fit(self, X: Any, y: Any = None) -> Any:
        """Train the network.

        Parameters
        ----------
        X : array-like or Tensor of shape (n_samples, n_neurons), or Recording
            Responses; a circular or linear Recording brings its stimulus (``y=None``).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Stimulus to decode.

        Returns
        -------
        self
            The fitted decoder.

        Raises
        ------
        ValueError
            For bad hyperparameters or inputs (see the class docstring).
        """
        X, T = self._prepare_fit(X, y)
        self._fit_module(X, T, T.shape[1])
        return self

    def _prepare_fit(self, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        """Check parameters and inputs; return the responses and the (standardised)
        training targets. Sets ``period_``, ``n_outputs_`` and the target scaling."""
        self._check_params()
        X, y = self._validate_fit(X, y)
        T = self._targets(y)
        self.target_mean_, self.target_scale_ = None, None
        if self.loss == "poisson":
            if self.period_ is not None:
                raise ValueError(
                    f"loss='poisson' in {self._owner} is for counts; a circular stimulus "
                    "(period set) is decoded through (cos, sin). Use loss='mse'.")
            if (T < 0).any():
                raise ValueError(
                    f"loss='poisson' in {self._owner} needs non-negative targets (counts); "
                    f"y holds {int((T < 0).sum())} negative values (min {T.min():g}).")
            return X, T
        if self.period_ is None and self.standardize:
            self.target_mean_, self.target_scale_ = standardization(T)
            T = standardize(T, self.target_mean_, self.target_scale_)
        return X, T

    def predict(self, X: Any) -> np.ndarray:
        """Decode the stimulus.

        Parameters
        ----------
        X : array-like or Tensor of shape (n_samples, n_neurons), or Recording

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Angles in ``[0, period)`` for circular stimuli, values otherwise.

        Raises
        ------
        NotFittedError
            Before :meth:`fit`.
        """
        out = self._outputs(X)
        if self.loss == "poisson":
            out = np.exp(out)
        if self.target_mean_ is not None:
            out = out * self.target_scale_ + self.target_mean_
        return self._outputs_to_predictions(out)


class NetworkClassifier(ClassifierDecoder):
    """What every network classifier shares, whatever its module: softmax cross-entropy
    on one logit per class, ``fit``, ``predict_proba`` (not used directly)."""

    def _loss(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Mean softmax cross-entropy."""
        return F.cross_entropy(output, target)

    def _n_module_outputs(self) -> int:
        return len(self.classes_)

    def fit(self, X: Any, y: Any = None) -> Any:
        """Train the network.

        Parameters
        ----------
        X : array-like or Tensor of shape (n_samples, n_neurons), or Recording
            Responses; a categorical Recording brings its labels (``y=None``).
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self
            The fitted decoder.

        Raises
        ------
        ValueError
            For bad hyperparameters or inputs (see the class docstring).
        """
        X, codes = self._prepare_fit(X, y)
        self._fit_module(X, codes, self._n_module_outputs())
        return self

    def _prepare_fit(self, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        """Check parameters and inputs; return the responses and class codes (sets
        ``classes_``)."""
        self._check_params()
        return self._validate_fit(X, y)

    def _scores(self, X: Any) -> np.ndarray:
        return self._outputs(X)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities (softmax of the logits).

        Parameters
        ----------
        X : array-like or Tensor of shape (n_samples, n_neurons), or Recording

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Columns in ``classes_`` order.
        """
        return softmax(self._outputs(X), axis=1)

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like or Tensor of shape (n_samples, n_neurons), or Recording

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        return log_softmax(self._outputs(X), axis=1)


class MLPDecoder(NetworkRegressor, _MLPBase):
    __doc__ = f"""ReLU network read-out of a continuous or circular stimulus.

    ``MLPDecoder(hidden=(200,))`` is the "DeepNetReLU" of Stringer et al. (2021) and of
    Neuromatch Academy: responses -> 200 ReLU units -> stimulus.

    Parameters
    ----------
    hidden : tuple of int, default=(200,)
        Width of each hidden layer; ``()`` is a linear model.
    {_PARAMS_DOC.strip()}
    period : float, optional
        Decode a circular stimulus of this period: the network outputs ``(cos, sin)`` of
        ``2 pi y / period`` and :meth:`predict` returns angles in ``[0, period)``. Read
        from a circular Recording when None.
    loss : {"mse", "mae", "huber", "poisson"}, default="mse"
        Data term (see Notes). ``"poisson"`` is for counts: the network outputs the log
        of the expected count and :meth:`predict` returns the expected count; targets
        must be non-negative and are not standardised.
    standardize : bool, default=True
        Z-score the responses, and the targets of linear stimuli (except with the
        Poisson loss), with training statistics (predictions are returned in the
        original units).
    {_TRAINING_DOC.strip()}

    Attributes
    ----------
    module_ : torch.nn.Sequential
        The trained network (on standardised responses).
    mean_, scale_ : ndarray of shape (n_neurons,) or None
        Response standardisation.
    target_mean_, target_scale_ : ndarray of shape (n_outputs,) or None
        Target standardisation (linear stimuli with ``standardize=True``).
    period_ : float or None
    n_outputs_ : int
    history_ : dict of list of float
        ``"train_loss"`` and ``"val_loss"`` per epoch.
    n_iter_ : int
    n_features_in_ : int

    Raises
    ------
    ValueError
        At ``fit``: ``dropout`` outside [0, 1), negative penalties, an unknown optimizer,
        a categorical Recording, or bad inputs.

    See Also
    --------
    LinearDecoder : linear read-out (exact closed form).
    MLPClassifierDecoder : the same network for classes.

    Notes
    -----
    The objective, identical on every neurodecode decoder, is

    ``(1/n) sum_i L(t_i, f(x_i)) + l2/2 sum_layers ||W||_F^2 + l1 sum_layers ||W||_1``

    with the data term ``L`` summed over outputs: ``"mse"`` ``1/2 (t - f)^2``, ``"mae"``
    ``|t - f|``, ``"huber"`` ``1/2 (t - f)^2`` for ``|t - f| <= 1`` else
    ``|t - f| - 1/2``, ``"poisson"`` ``exp(f) - t f`` (the negative Poisson
    log-likelihood up to a constant); ``t_i`` the (standardised) target or ``(cos, sin)``
    of the angle, ``f`` the network, and the penalties on weight matrices only. With
    mini-batches the data term is the batch mean and the penalty is added in full at
    every step. :meth:`score` is R^2
    for linear stimuli and the mean cosine of the angular error (1 perfect, 0 chance) for
    circular ones.

    References
    ----------
    Stringer, C., Michaelos, M., Tsyboulski, D., Lindo, S. E. & Pachitariu, M. (2021).
    High-precision coding in visual cortex. Cell 184(10), 2767-2778.

    Examples
    --------
    >>> from neurodecode.data import orientation_population
    >>> rec, _ = orientation_population(50, 300, random_state=0)
    >>> dec = MLPDecoder(hidden=(32,), max_epochs=20, device="cpu", random_state=0)
    >>> dec.fit(rec).predict(rec).shape
    (300,)
    >>> len(dec.history_["train_loss"]) == dec.n_iter_
    True
    """

    def __init__(
        self,
        hidden: Sequence[int] = (200,),
        *,
        l1: float = 0.0,
        l2: float = 0.0,
        dropout: float = 0.0,
        batch_norm: bool = False,
        activation: str = "relu",
        residual: bool = False,
        period: float | None = None,
        loss: str = "mse",
        standardize: bool = True,
        optimizer: str = "adam",
        lr: float = 1e-3,
        batch_size: int | None = 128,
        max_epochs: int = 200,
        tol: float = 1e-4,
        patience: int = 10,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        device: str | torch.device = "auto",
        random_state: Any = None,
        progress: bool = False,
        callbacks: Any = None,
    ) -> None:
        self.hidden = hidden
        self.l1 = l1
        self.l2 = l2
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.activation = activation
        self.residual = residual
        self.period = period
        self.loss = loss
        self.standardize = standardize
        self.optimizer = optimizer
        self.lr = lr
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.tol = tol
        self.patience = patience
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.device = device
        self.random_state = random_state
        self.progress = progress
        self.callbacks = callbacks

class MLPClassifierDecoder(NetworkClassifier, _MLPBase):
    __doc__ = f"""ReLU network classifier of a categorical (or binned) stimulus.

    Parameters
    ----------
    hidden : tuple of int, default=(200,)
        Width of each hidden layer; ``()`` is multinomial logistic regression.
    {_PARAMS_DOC.strip()}
    standardize : bool, default=True
        Z-score the responses with training statistics.
    {_TRAINING_DOC.strip()}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    module_ : torch.nn.Sequential
        The trained network, one output (logit) per class.
    mean_, scale_ : ndarray of shape (n_neurons,) or None
    history_ : dict of list of float
    n_iter_ : int
    n_features_in_ : int

    Raises
    ------
    ValueError
        At ``fit``: bad hyperparameters, a single class, continuous labels, or a circular
        or linear Recording (bin it first with ``recording.bin_stimulus(n_bins)``).

    See Also
    --------
    LogisticDecoder : the linear classifier.

    Notes
    -----
    The objective, identical on every neurodecode decoder, is

    ``1/n sum_i CE(y_i, f(x_i)) + l2/2 sum_layers ||W||_F^2 + l1 sum_layers ||W||_1``

    with ``CE`` the softmax cross-entropy over one logit per class and the penalties on
    weight matrices only.

    Examples
    --------
    >>> from neurodecode.data import orientation_population
    >>> rec, _ = orientation_population(50, 300, random_state=0)
    >>> binned = rec.bin_stimulus(4)
    >>> dec = MLPClassifierDecoder(hidden=(32,), max_epochs=20, device="cpu", random_state=0)
    >>> dec.fit(binned).predict_proba(binned).shape
    (300, 4)
    """

    def __init__(
        self,
        hidden: Sequence[int] = (200,),
        *,
        l1: float = 0.0,
        l2: float = 0.0,
        dropout: float = 0.0,
        batch_norm: bool = False,
        activation: str = "relu",
        residual: bool = False,
        standardize: bool = True,
        optimizer: str = "adam",
        lr: float = 1e-3,
        batch_size: int | None = 128,
        max_epochs: int = 200,
        tol: float = 1e-4,
        patience: int = 10,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        device: str | torch.device = "auto",
        random_state: Any = None,
        progress: bool = False,
        callbacks: Any = None,
    ) -> None:
        self.hidden = hidden
        self.l1 = l1
        self.l2 = l2
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.activation = activation
        self.residual = residual
        self.standardize = standardize
        self.optimizer = optimizer
        self.lr = lr
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.tol = tol
        self.patience = patience
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.device = device
        self.random_state = random_state
        self.progress = progress
        self.callbacks = callbacks

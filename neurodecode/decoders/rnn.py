"""Recurrent networks (GRU, LSTM, simple RNN) over a window of past bins.

Each sample is decoded from the ``window`` bins that end at it (``causal=True``: past and
current bins only) or are centred on it (``causal=False``, named as non-causal), read in
time order by a recurrent network whose last hidden state feeds a linear read-out, as in
Glaser et al. (2020). Windows never cross a segment boundary (``segments``, or a
Recording's ``trial_id`` and gaps in time): bins before a segment's start are zeros, the
mean of the standardised responses, so every sample gets a prediction and no window
reads another segment. Training is :class:`~neurodecode.decoders.TorchDecoder`'s loop
(same ``l1``/``l2``/``dropout``, early stopping, seeds, ``device="auto"``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from scipy.special import log_softmax, softmax
from torch import nn

from .._threads import thread_budget
from .._validation import check_choice, check_number
from ._core import standardization, standardize
from ._segments import (
    SegmentedClassifier,
    SegmentedRegressor,
    Segments,
    resolve_segments,
    window_rows,
)
from ._training import Dropout, TorchDecoder

__all__ = ["RNNClassifierDecoder", "RNNDecoder"]

_CELLS = {"gru": nn.GRU, "lstm": nn.LSTM, "rnn": nn.RNN}
_PREDICT_CHUNK = 8192


class _RecurrentNet(nn.Module):
    """``cell`` over the window, dropout on the last hidden state, a linear read-out."""

    def __init__(self, cell: str, n_features: int, hidden: int, n_layers: int,
                 n_outputs: int, dropout: float, *, device: torch.device,
                 dtype: torch.dtype, generator: torch.Generator | None) -> None:
        super().__init__()
        self.rnn = _CELLS[cell](n_features, hidden, num_layers=n_layers, batch_first=True,
                                device=device, dtype=dtype)
        self.dropout = Dropout(dropout)
        self.out = nn.Linear(hidden, n_outputs, device=device, dtype=dtype)
        bound = 1.0 / math.sqrt(hidden)  # PyTorch's default init, from our generator
        with torch.no_grad():
            for p in self.parameters():
                p.uniform_(-bound, bound, generator=generator)

    def forward(self, windows: torch.Tensor) -> torch.Tensor:
        states, _ = self.rnn(windows)
        return self.out(self.dropout(states[:, -1]))


class _Windows:
    """Every sample's window of bins, ``padded[rows]``, gathered only for the samples a
    batch uses: the training loop indexes it like a tensor of shape
    (n_samples, window, n_features), and a batch becomes a tensor in ``_train_step`` /
    ``_evaluate``. The full tensor would hold ``window`` copies of the responses."""

    def __init__(self, padded: torch.Tensor, rows: torch.Tensor) -> None:
        self.padded, self.rows = padded, rows

    @property
    def shape(self) -> torch.Size:
        return torch.Size((len(self.rows), self.rows.shape[1], self.padded.shape[1]))

    @property
    def device(self) -> torch.device:
        return self.padded.device

    @property
    def dtype(self) -> torch.dtype:
        return self.padded.dtype

    def __len__(self) -> int:
        return len(self.rows)

    def numel(self) -> int:
        return self.rows.numel() * self.padded.shape[1]

    def new_zeros(self, *size: Any, **kwargs: Any) -> torch.Tensor:
        return self.padded.new_zeros(*size, **kwargs)

    def __getitem__(self, idx: Any) -> _Windows:
        return _Windows(self.padded, self.rows[idx])

    def gather(self) -> torch.Tensor:
        return self.padded[self.rows]


def _gathered(X: Any) -> torch.Tensor:
    return X.gather() if isinstance(X, _Windows) else X


class _RNNBase(TorchDecoder):
    """Parameters, windows and module shared by the recurrent regressor and classifier."""

    _optimizers = ("adam", "sgd")

    def _check_params(self) -> None:
        super()._check_params()
        owner = self._owner
        check_choice(self.cell, "cell", tuple(_CELLS), owner)
        check_number(self.hidden, "hidden", owner, low=1, integer=True)
        check_number(self.n_layers, "n_layers", owner, low=1, integer=True)
        check_number(self.window, "window", owner, low=1, integer=True)
        check_number(self.dropout, "dropout", owner, low=0, high=1, high_inclusive=False)
        if not isinstance(self.causal, (bool, np.bool_)):
            raise TypeError(f"The 'causal' parameter of {owner} must be a bool. "
                            f"Got {self.causal!r} instead.")
        self._optimizer_name()

    # ------------------------------------------------------------ windows
    def _window_span(self) -> tuple[int, int]:
        """Bins before and after each sample that its window reads."""
        w = int(self.window)
        return (w - 1, 0) if self.causal else (w // 2, w - w // 2 - 1)

    def _windows(self, Xs: torch.Tensor, seg: Segments) -> _Windows:
        """(n, window, n_features): each sample's window, zeros outside its segment,
        gathered batch by batch (see :class:`_Windows`)."""
        rows = window_rows(seg, *self._window_span())
        padded = torch.cat([Xs, Xs.new_zeros(1, Xs.shape[1])])
        return _Windows(padded, torch.as_tensor(rows, device=Xs.device))

    def _train_step(self, module: nn.Module, optimizer: torch.optim.Optimizer,
                    X: Any, T: torch.Tensor) -> torch.Tensor:
        return super()._train_step(module, optimizer, _gathered(X), T)

    def _evaluate(self, module: nn.Module, X: Any, T: torch.Tensor) -> torch.Tensor:
        return super()._evaluate(module, _gathered(X), T)

    def _check_segments(self, seg: Segments) -> None:
        if int(self.window) > seg.lengths.max():
            n = int(seg.lengths.sum())
            raise ValueError(
                f"The window of {self._owner} ({self.window} bins) is longer than every "
                f"continuous segment of the training data (the longest has "
                f"{seg.lengths.max()} bins; {n} sample{'s' if n != 1 else ''} in all): no "
                "sample would see a full window. Use a shorter window or longer segments."
            )

    # ------------------------------------------------------------ training hooks
    def _init_module(self, n_features: int, n_outputs: int, *, device: torch.device,
                     dtype: torch.dtype, generator: torch.Generator | None) -> nn.Module:
        return _RecurrentNet(self.cell, n_features, int(self.hidden), int(self.n_layers),
                             n_outputs, float(self.dropout), device=device, dtype=dtype,
                             generator=generator)

    def _start_training(self, X: torch.Tensor, n_outputs: int,
                        generator: torch.Generator | None
                        ) -> tuple[nn.Module, torch.Tensor, torch.Tensor | None]:
        """As :class:`TorchDecoder`'s, with windows ``X`` of shape (n, window, features)."""
        train, val = self._validation_rows(X.shape[0], generator, X.device)
        self._check_n_samples(len(train))
        module = self._init_module(X.shape[2], n_outputs, device=X.device, dtype=X.dtype,
                                   generator=generator)
        return module, train, val

    def _penalized_weights(self, module: nn.Module) -> list[torch.Tensor]:
        """Input, recurrent and read-out weight matrices (never biases)."""
        return [p for name, p in module.named_parameters() if "weight" in name]

    def _fit_windows(self, X: Any, y: Any, segments: Any
                     ) -> tuple[np.ndarray, np.ndarray, Segments]:
        """Validate, and return the validated responses, targets and segments."""
        raw = X
        X, y = self._validate_fit(X, y)
        seg = resolve_segments(raw, segments, len(X), self._owner)
        self._check_segments(seg)
        return X, y, seg

    def _train_on(self, X: np.ndarray, T: np.ndarray, seg: Segments, n_outputs: int) -> None:
        from ._base import make_generator, resolve_device

        device = resolve_device(self.device, self._owner)
        generator = make_generator(self.random_state, device, self._owner)
        Xs = self._fit_standardizer(self._as_tensor(X, device))
        Tt = self._as_tensor(T, device, Xs.dtype if T.dtype.kind == "f" else None)
        self.module_ = self._train(self._windows(Xs, seg), Tt, n_outputs, generator)

    def _window_outputs(self, X: Any, segments: Any) -> np.ndarray:
        raw = X
        X = self._validate_X(X)
        seg = resolve_segments(raw, segments, len(X), self._owner)
        module = self.module_
        param = next(module.parameters())
        Xs = self._standardize(self._as_tensor(X, param.device, param.dtype))
        windows = self._windows(Xs, seg)
        module.eval()
        with torch.no_grad(), thread_budget(6.0 * windows.numel() * int(self.hidden)):
            outs = [module(_gathered(windows[a:a + _PREDICT_CHUNK]))
                    for a in range(0, len(windows), _PREDICT_CHUNK)]
        return torch.cat(outs).cpu().numpy().astype(np.float64)


_DOC = """
    cell : {"gru", "lstm", "rnn"}, default="gru"
        Recurrent cell.
    hidden : int, default=64
        Units per recurrent layer.
    n_layers : int, default=1
        Stacked recurrent layers.
    window : int, default=10
        Bins each prediction reads (the current one and ``window - 1`` before it).
    causal : bool, default=True
        False centres the window on the sample, reading future bins: not causal (the
        parameter names it so in ``repr`` and saved configurations).
    l1, l2 : float, default=0.0
        Penalties on the input, recurrent and read-out weight matrices.
    dropout : float, default=0.0
        Dropout on the last hidden state.
    standardize : bool, default=True
        Z-score the responses with training statistics.
    optimizer : {"adam", "sgd"}, default="adam"
    lr : float, optional
        Default 1e-3 for Adam, 1e-2 for SGD.
    max_epochs : int, default=200
    batch_size : int, optional, default=256
    tol : float, default=1e-4
        Stop when the monitored loss has not improved by more than ``tol`` for
        ``patience`` epochs (validation loss with ``early_stopping``).
    patience : int, default=10
    early_stopping : bool, default=True
        Hold out ``validation_fraction`` of the samples, keep the best weights.
    validation_fraction : float, default=0.1
    device : str or torch.device, default="auto"
    random_state : int, RandomState or None, default=None
    progress : bool, default=False
    callbacks : list of Callback, optional
        Training callbacks (:mod:`neurodecode.decoders.callbacks`), as on the MLP decoders.
"""


class RNNDecoder(SegmentedRegressor, _RNNBase):
    __doc__ = f"""Recurrent-network read-out of a continuous or circular variable from history.

    Parameters
    ----------
    {_DOC.strip()}
    period : float, optional
        Circular target of this period, decoded through ``(cos, sin)`` as by every
        neurodecode regressor (read from a circular Recording when None).

    Attributes
    ----------
    module_ : torch.nn.Module
        The recurrent network on standardised responses.
    mean_, scale_ : ndarray of shape (n_neurons,) or None
    target_mean_, target_scale_ : ndarray or None
        Standardisation of a linear target.
    history_ : dict of list of float
    n_iter_ : int
    n_features_in_ : int

    Notes
    -----
    The objective is ``1/(2 n) sum_i ||t_i - f(window_i)||^2 + l2/2 sum ||W||^2 +
    l1 sum ||W||_1`` with ``t_i`` the (standardised) target or its ``(cos, sin)``.
    ``fit(X, y, segments=...)`` and ``predict(X, segments=...)`` take the segment id of
    each sample; cross-validation passes each fold's segments.

    References
    ----------
    Glaser, J. I. et al. (2020). Machine learning for neural decoding. eNeuro 7(4).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.poisson(2.0, (300, 5)).astype(float)
    >>> y = np.r_[0.0, 0.0, X[:-2, 0]]  # depends on the bin two steps back
    >>> dec = RNNDecoder(hidden=16, window=4, max_epochs=5, device="cpu", random_state=0)
    >>> dec.fit(X, y).predict(X).shape
    (300,)
    """

    def __init__(self, cell: str = "gru", hidden: int = 64, *, n_layers: int = 1,
                 window: int = 10, causal: bool = True, l1: float = 0.0, l2: float = 0.0,
                 dropout: float = 0.0, period: float | None = None, standardize: bool = True,
                 optimizer: str = "adam", lr: float | None = None, max_epochs: int = 200,
                 batch_size: int | None = 256, tol: float = 1e-4, patience: int = 10,
                 early_stopping: bool = True, validation_fraction: float = 0.1,
                 device: str | torch.device = "auto", random_state: Any = None,
                 progress: bool = False, callbacks: Any = None) -> None:
        self.cell = cell
        self.hidden = hidden
        self.n_layers = n_layers
        self.window = window
        self.causal = causal
        self.l1 = l1
        self.l2 = l2
        self.dropout = dropout
        self.period = period
        self.standardize = standardize
        self.optimizer = optimizer
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

    def _loss(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """``1/(2n) sum_i ||t_i - output_i||^2``."""
        return 0.5 * ((output - target) ** 2).sum(dim=1).mean()

    def _n_module_outputs(self) -> int:
        return self._n_targets()

    def fit(self, X: Any, y: Any = None, segments: Any = None) -> RNNDecoder:
        """Train the network on every sample's window.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_neurons), or Recording
            Binned responses in time order.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        segments : array-like of shape (n_samples,), optional
            Segment id of each sample (None: one continuous segment; a Recording brings
            its own from ``trial_id`` and gaps in time).

        Returns
        -------
        self : RNNDecoder
        """
        self._check_params()
        X, y, seg = self._fit_windows(X, y, segments)
        T = self._targets(y)
        self.target_mean_, self.target_scale_ = None, None
        if self.period_ is None and self.standardize:
            self.target_mean_, self.target_scale_ = standardization(T)
            T = standardize(T, self.target_mean_, self.target_scale_)
        self._train_on(X, T, seg, T.shape[1])
        return self

    def predict(self, X: Any, segments: Any = None) -> np.ndarray:
        """Decode every sample from its window.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_neurons), or Recording
        segments : array-like of shape (n_samples,), optional

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_outputs)
        """
        out = self._window_outputs(X, segments)
        if self.target_mean_ is not None:
            out = out * self.target_scale_ + self.target_mean_
        return self._outputs_to_predictions(out)


class RNNClassifierDecoder(SegmentedClassifier, _RNNBase):
    __doc__ = f"""Recurrent-network classifier of a categorical variable from spike history.

    Parameters
    ----------
    {_DOC.strip()}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    module_ : torch.nn.Module
    history_ : dict of list of float
    n_iter_ : int
    n_features_in_ : int

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.poisson(2.0, (200, 4)).astype(float)
    >>> y = (np.r_[0.0, X[:-1, 0]] > 2).astype(int)
    >>> dec = RNNClassifierDecoder(hidden=8, window=3, max_epochs=5, device="cpu",
    ...                            random_state=0)
    >>> dec.fit(X, y).predict_proba(X).shape
    (200, 2)
    """

    def __init__(self, cell: str = "gru", hidden: int = 64, *, n_layers: int = 1,
                 window: int = 10, causal: bool = True, l1: float = 0.0, l2: float = 0.0,
                 dropout: float = 0.0, standardize: bool = True, optimizer: str = "adam",
                 lr: float | None = None, max_epochs: int = 200,
                 batch_size: int | None = 256, tol: float = 1e-4, patience: int = 10,
                 early_stopping: bool = True, validation_fraction: float = 0.1,
                 device: str | torch.device = "auto", random_state: Any = None,
                 progress: bool = False, callbacks: Any = None) -> None:
        self.cell = cell
        self.hidden = hidden
        self.n_layers = n_layers
        self.window = window
        self.causal = causal
        self.l1 = l1
        self.l2 = l2
        self.dropout = dropout
        self.standardize = standardize
        self.optimizer = optimizer
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

    def _loss(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Mean softmax cross-entropy."""
        return F.cross_entropy(output, target)

    def _n_module_outputs(self) -> int:
        return len(self.classes_)

    def fit(self, X: Any, y: Any = None, segments: Any = None) -> RNNClassifierDecoder:
        """Train the network on every sample's window.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_neurons), or Recording
        y : array-like of shape (n_samples,)
        segments : array-like of shape (n_samples,), optional

        Returns
        -------
        self : RNNClassifierDecoder
        """
        self._check_params()
        X, codes, seg = self._fit_windows(X, y, segments)
        self._train_on(X, codes, seg, len(self.classes_))
        return self

    def _scores(self, X: Any, segments: Any = None) -> np.ndarray:
        return self._window_outputs(X, segments)

    def predict(self, X: Any, segments: Any = None) -> np.ndarray:
        """Predicted class labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_neurons), or Recording
        segments : array-like of shape (n_samples,), optional

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        scores = self._scores(X, segments)  # checks that the decoder is fitted
        return self.classes_[np.argmax(scores, axis=1)]

    def predict_proba(self, X: Any, segments: Any = None) -> np.ndarray:
        """Class probabilities, columns in ``classes_`` order.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_neurons), or Recording
        segments : array-like of shape (n_samples,), optional

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        return softmax(self._scores(X, segments), axis=1)

    def predict_log_proba(self, X: Any, segments: Any = None) -> np.ndarray:
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_neurons), or Recording
        segments : array-like of shape (n_samples,), optional

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        return log_softmax(self._scores(X, segments), axis=1)

"""What every decoder shares: devices, seeds, input checks, standardisation, targets.

:class:`BaseDecoder` turns whatever the user passes (arrays, tensors, DataFrames or a
:class:`~neurodecode.data.Recording`) into validated NumPy arrays, standardises the
responses with statistics of the training data, and folds that standardisation back
into coefficients reported in the original units. Two thin layers fix the target type:
regression decoders (linear or circular stimuli, scored by R^2 or by the mean cosine of
the angular error) and classification decoders (categorical stimuli, scored by
accuracy).
"""

from __future__ import annotations

import numbers
import warnings
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from scipy.sparse import issparse
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone
from sklearn.metrics import r2_score
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from .._typing import ArrayLike
from .._validation import check_number, check_same_length, format_indices
from ..data import Recording
from ..exceptions import DataWarning
from ._core import decode_angles, encode_angles, standardization

__all__ = [
    "BaseDecoder",
    "FoldData",
    "FoldPredictions",
    "ClassifierDecoder",
    "RegressorDecoder",
    "circular_score",
    "make_generator",
    "resolve_device",
]

_FLOAT_DTYPES = (np.float64, np.float32)
_REGISTRY: dict[str, type[BaseDecoder]] = {}


# --------------------------------------------------------------------------- devices, seeds
def resolve_device(device: str | torch.device, owner: str | None = None) -> torch.device:
    """Turn a ``device`` parameter into a :class:`torch.device`.

    Parameters
    ----------
    device : str or torch.device
        ``"auto"`` picks CUDA when available, then Apple's MPS, then the CPU. Any other
        string torch understands (``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``) is
        taken as is, after checking that the device exists on this machine.
    owner : str, optional
        Class name used in error messages.

    Returns
    -------
    torch.device

    Raises
    ------
    ValueError
        For a string torch does not know, or a device this machine does not have.
    TypeError
        If ``device`` is neither a string nor a :class:`torch.device`.

    Examples
    --------
    >>> resolve_device("cpu")
    device(type='cpu')
    """
    where = f" of {owner}" if owner else ""
    if isinstance(device, str) and device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if not isinstance(device, (str, torch.device)):
        raise TypeError(
            f"The 'device' parameter{where} must be 'auto', a device name such as 'cpu' or "
            f"'cuda', or a torch.device. Got {device!r} instead."
        )
    try:
        dev = torch.device(device)
    except RuntimeError:
        raise ValueError(
            f"The 'device' parameter{where} must be 'auto', 'cpu', 'cuda', 'cuda:N', 'mps' "
            f"or a torch.device. Got {device!r} instead."
        ) from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"The 'device' parameter{where} asks for {str(dev)!r}, but torch.cuda.is_available() "
            "is False on this machine. Use device='auto' or 'cpu'."
        )
    if dev.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise ValueError(
                f"The 'device' parameter{where} asks for 'mps', but MPS is not available on "
                "this machine. Use device='auto' or 'cpu'."
            )
    return dev


def seed_from_random_state(random_state: Any, owner: str | None = None) -> int:
    """An integer seed from an int, ``None`` or a NumPy random generator.

    Integers are used as they are; ``None`` draws a fresh seed from the operating system
    (so fits differ), a ``RandomState`` or ``Generator`` gives its next number.

    Raises
    ------
    TypeError
        For any other type.
    """
    if random_state is None:
        return int(np.random.default_rng().integers(0, 2**31 - 1))
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        return int(random_state) % (2**63 - 1)
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(0, 2**31 - 1))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 2**31 - 1))
    where = f" of {owner}" if owner else ""
    raise TypeError(
        f"The 'random_state' parameter{where} must be an int, None or a numpy "
        f"RandomState. Got {random_state!r} instead."
    )


def make_generator(random_state: Any, device: torch.device,
                   owner: str | None = None) -> torch.Generator | None:
    """A :class:`torch.Generator` on ``device`` seeded from ``random_state``.

    Every random draw of a fit (initial weights, dropout masks, mini-batch order, the
    inner validation split) goes through this generator, never through torch's global
    seed, so the same ``random_state`` gives the same fit on a given device.

    Returns
    -------
    torch.Generator or None
        ``None`` on the ``meta`` device, which has no generator (nothing is drawn there).
    """
    seed = seed_from_random_state(random_state, owner)
    if device.type == "meta":
        return None
    gen = torch.Generator(device=device)
    gen.manual_seed(seed)
    return gen


# --------------------------------------------------------------------------- circular targets
angles_to_targets = encode_angles  # the one definition lives in ._core
targets_to_angles = decode_angles


def circular_score(y_true: ArrayLike, y_pred: ArrayLike, period: float,
                   sample_weight: ArrayLike | None = None) -> float:
    """Mean cosine of the angular error: 1 is perfect, 0 is chance, -1 is always opposite.

    The error ``y_pred - y_true`` is measured on the circle of length ``period``, so
    179 deg against a true 1 deg orientation (period 180) is a 2 deg error.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        Angles in the units of ``period``.
    period : float
        Length of the circle (180 for orientation in degrees).
    sample_weight : array-like of shape (n_samples,), optional
        Weights of a weighted mean.

    Returns
    -------
    float
        ``mean(cos(2 pi (y_pred - y_true) / period))``.

    Examples
    --------
    >>> round(circular_score([1.0, 90.0], [179.0, 90.0], period=180), 4)
    0.9988
    """
    diff = np.asarray(y_pred, dtype=np.float64) - np.asarray(y_true, dtype=np.float64)
    weights = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    return float(np.average(np.cos(2 * np.pi * diff / period), weights=weights))


# --------------------------------------------------------------------------- fast CV results
@dataclass
class FoldData:
    """One cross-validation fold as a family's fast path receives it.

    Attributes
    ----------
    train, test : ndarray of int
        Sample indices.
    decoder : BaseDecoder
        A clone of the first setting that has validated the fold's training samples
        exactly as ``fit`` would (it holds ``n_features_in_``, ``period_`` or
        ``classes_``).
    y : ndarray
        What the model fits on the training samples: float targets of shape
        (n_train, n_outputs) for regressors, class codes for classifiers.
    """

    train: np.ndarray
    test: np.ndarray
    decoder: Any
    y: np.ndarray


@dataclass
class FoldPredictions:
    """Held-out predictions of every (fold, setting) from a family's fast path.

    Attributes
    ----------
    predictions : list of list of ndarray
        ``predictions[fold][setting]``: what ``predict`` of that setting's model, fitted
        on the fold's training samples, returns for the fold's test samples.
    models : list of list, optional
        The fitted models (``models[fold][setting]``) where the path builds them.
    """

    predictions: list[list[np.ndarray]]
    models: list[list[Any]] | None = None


# --------------------------------------------------------------------------- base class
def _check_finite_array(arr: np.ndarray, name: str, axes: tuple[str, str], owner: str) -> None:
    """Raise a ValueError naming the samples (and columns) that hold NaN or inf."""
    bad = ~np.isfinite(arr)
    if not bad.any():
        return
    rows = np.flatnonzero(bad.reshape(len(arr), -1).any(axis=1))
    where = f"{axes[0]} {format_indices(rows)}"
    if arr.ndim == 2:
        where += f" and {axes[1]} {format_indices(np.flatnonzero(bad.any(axis=0)))}"
    raise ValueError(
        f"{name} passed to {owner} contains {int(bad.sum())} NaN or inf values, in {where}. "
        "Decoders need finite values: drop those samples or impute them first."
    )


def _tensor_to_numpy(x: Any) -> Any:
    """Tensors become NumPy arrays (other inputs pass through for ``validate_data``)."""
    if isinstance(x, torch.Tensor):
        x = x.detach()
        if x.is_floating_point() and x.dtype not in (torch.float32, torch.float64):
            x = x.to(torch.float32)
        return x.cpu().numpy()
    return x


class BaseDecoder(BaseEstimator, ABC):
    """Base class of the neurodecode decoders (not used directly).

    It holds what every decoder shares: resolving ``device``, seeding from
    ``random_state``, validating inputs with scikit-learn's ``validate_data`` (and
    accepting a :class:`~neurodecode.data.Recording` in place of ``X, y``), standardising
    the responses with statistics of the training data only, folding that
    standardisation back into coefficients in the original units, and saving/loading.

    Subclasses set ``_kinds`` (stimulus kinds they decode) and implement ``fit``.

    Parameters
    ----------
    None. Each subclass declares its own parameters in ``__init__``.
    """

    _kinds: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _REGISTRY[cls.__name__] = cls

    # ------------------------------------------------------------ parameters
    @property
    def _owner(self) -> str:
        return type(self).__name__

    def _check_params(self) -> None:
        """Validate hyperparameters at the start of ``fit`` (``__init__`` only stores them)."""
        params = self.get_params(deep=False)
        for name in ("l1", "l2"):
            if name in params:
                check_number(params[name], name, self._owner, low=0)
        for name in ("standardize", "fit_intercept", "progress", "early_stopping", "shuffle"):
            value = params.get(name, False)
            if not isinstance(value, (bool, np.bool_)):
                raise TypeError(
                    f"The {name!r} parameter of {self._owner} must be a bool. "
                    f"Got {value!r} instead."
                )

    # ------------------------------------------------------------ inputs
    def _unpack(self, X: Any, y: Any, *, check_kind: bool) -> tuple[Any, Any, Recording | None]:
        """Split a Recording into responses and stimulus; check its kind suits this decoder."""
        if not isinstance(X, Recording):
            return _tensor_to_numpy(X), _tensor_to_numpy(y), None
        if y is not None:
            raise ValueError(
                f"When X is a Recording, y must be None: {self._owner} takes the stimulus "
                f"from the recording. Got y of type {type(y).__name__}."
            )
        X.require_single_time(self._owner)
        if check_kind:
            self._check_kind(X)
        return X.responses, X.stimulus, X

    def _check_fit_inputs(self, X: Any, y: Any) -> None:
        """House-style messages for the commonest mistakes, before ``validate_data``."""
        if issparse(X):
            return  # validate_data explains that dense data is required
        if hasattr(X, "__len__") and hasattr(y, "__len__") and not isinstance(y, str):
            check_same_length(X, y, "X", "y", "samples (time bins or trials)",
                              "Were they binned with the same bin_size?")
        checks = (("X", X, ("samples", "neurons")), ("y", y, ("samples", "outputs")))
        for name, arr, axes in checks:
            if isinstance(arr, np.ndarray) and arr.dtype.kind == "f" and arr.ndim in (1, 2):
                _check_finite_array(arr, name, axes, self._owner)

    def _check_kind(self, recording: Recording) -> None:
        if recording.kind in self._kinds:
            return
        if recording.kind == "categorical":
            raise ValueError(
                f"{self._owner} is a regression decoder for circular or linear stimuli, but "
                "this Recording's stimulus is categorical. Use a classifier "
                "(LogisticDecoder, MLPClassifierDecoder, PerceptronDecoder) for classes."
            )
        raise ValueError(
            f"{self._owner} is a classifier for categorical stimuli, but this Recording's "
            f"stimulus is {recording.kind}. Bin it into classes first with "
            "recording.bin_stimulus(n_bins), or use a regression decoder (LinearDecoder, "
            "MLPDecoder)."
        )

    def _validate_X(self, X: Any) -> np.ndarray:
        """Validate responses at predict time (fitted, same number of neurons)."""
        check_is_fitted(self)
        X, _, _ = self._unpack(X, None, check_kind=False)
        X = validate_data(self, X, dtype=_FLOAT_DTYPES, reset=False)
        return np.asarray(X)

    def _as_tensor(self, a: np.ndarray, device: torch.device,
                   dtype: torch.dtype | None = None) -> torch.Tensor:
        """Move an array to ``device`` in one copy (float64 becomes float32 on MPS).

        Floating arrays keep their dtype unless ``dtype`` is given; read-only arrays are
        copied first (torch cannot wrap them).
        """
        if not a.flags.writeable or not a.flags.c_contiguous:
            a = np.ascontiguousarray(a).copy()
        t = torch.from_numpy(a)  # a CPU view, whatever torch's default device is
        if dtype is None and t.is_floating_point():
            dtype = t.dtype
        if dtype == torch.float64 and device.type == "mps":
            dtype = torch.float32
        return t.to(device=device, dtype=dtype)

    # ------------------------------------------------------------ standardisation
    def _center_inputs(self) -> bool:
        """Whether standardisation subtracts the mean (not when the model has no intercept)."""
        return bool(getattr(self, "fit_intercept", True))

    def _fit_standardizer(self, X: Any) -> Any:
        """Store ``mean_`` and ``scale_`` of the training responses; return them standardised.

        ``X`` is a NumPy array or a tensor (returned as the same kind). The statistics
        and the zero-variance rule are :func:`~neurodecode.decoders._core.standardization`'s.
        Without an intercept only the scale is applied, so the model goes through the origin.
        """
        if not self.standardize:
            self.mean_, self.scale_ = None, None
            return X
        mean, scale = standardization(X, center=self._center_inputs())
        if isinstance(X, torch.Tensor):
            self.mean_ = mean.detach().cpu().numpy().astype(np.float64)
            self.scale_ = scale.detach().cpu().numpy().astype(np.float64)
        else:
            self.mean_, self.scale_ = mean.astype(np.float64), scale.astype(np.float64)
        return (X - mean) / scale

    def _standardize(self, X: torch.Tensor) -> torch.Tensor:
        """Apply the stored training statistics."""
        if getattr(self, "mean_", None) is None:
            return X
        mean = torch.as_tensor(self.mean_, device=X.device, dtype=X.dtype)
        scale = torch.as_tensor(self.scale_, device=X.device, dtype=X.dtype)
        return (X - mean) / scale

    def _fold_standardization(self, weight: np.ndarray, bias: np.ndarray | None
                              ) -> tuple[np.ndarray, np.ndarray]:
        """Coefficients on standardised inputs -> coefficients on the original inputs.

        ``w . (x - m) / s + b == (w / s) . x + (b - (w / s) . m)``.
        """
        weight = np.asarray(weight, dtype=np.float64)
        bias = np.zeros(weight.shape[0]) if bias is None else np.asarray(bias, np.float64)
        mean, scale = getattr(self, "mean_", None), getattr(self, "scale_", None)
        if mean is None or scale is None:
            return weight, bias
        coef = weight / scale
        return coef, bias - coef @ mean

    # ------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> Path:
        """Save the fitted decoder to a folder: weights plus a JSON of its configuration.

        ``path/weights.pt`` holds only tensors (torch's format, read back with
        ``weights_only=True``); ``path/config.json`` holds the class name,
        :meth:`get_params` and the fitted non-tensor state (classes, history, ...).

        Parameters
        ----------
        path : str or Path
            Folder to write (created if needed; files in it are overwritten).

        Returns
        -------
        Path
            The folder.

        Raises
        ------
        NotFittedError
            If the decoder is not fitted.
        TypeError
            If a parameter or fitted value cannot be written as JSON (e.g. a
            ``RandomState`` as ``random_state``).
        """
        from ._io import save_decoder

        return save_decoder(self, path)

    @classmethod
    def load(cls, path: str | Path, *, device: str | torch.device | None = None,
             module: Any = None) -> BaseDecoder:
        """Load a decoder written by :meth:`save` (never unpickles arbitrary objects).

        Parameters
        ----------
        path : str or Path
            Folder written by :meth:`save`.
        device : str or torch.device, optional
            Where to put the weights; defaults to the decoder's own ``device`` parameter.
        module : torch.nn.Module or callable, optional
            The user's module of a saved :class:`~neurodecode.decoders.ModuleDecoder`
            (see :func:`~neurodecode.decoders.load`).

        Returns
        -------
        BaseDecoder
            A fitted decoder of the saved class.

        Raises
        ------
        FileNotFoundError
            If the folder lacks ``config.json`` or ``weights.pt``.
        TypeError
            If the folder holds another decoder class than ``cls``.
        """
        from ._io import load_decoder

        return load_decoder(path, device=device, expected=cls, module=module)

    def _saved_params(self) -> dict[str, Any]:
        """The parameters as :meth:`save` writes them (JSON values); training callbacks
        are not part of a fitted decoder and are left out."""
        params = dict(self.get_params(deep=False))
        if "callbacks" in params:
            params["callbacks"] = None
        return params

    @classmethod
    def _loaded_params(cls, params: dict[str, Any], module: Any = None) -> dict[str, Any]:
        """The constructor's arguments from the saved parameters (see :meth:`load`)."""
        if module is not None:
            raise TypeError(
                f"module= is for loading a ModuleDecoder; this folder holds a {cls.__name__}, "
                "whose network neurodecode builds itself."
            )
        return params

    def _module_dims(self) -> tuple[int, int] | None:
        """``(n_inputs, n_outputs)`` of ``module_`` (for rebuilding it on load)."""
        return None

    # ------------------------------------------------------------ fast cross-validation
    #: Parameters a fast path may vary across settings (all others are shared).
    _fast_cv_params: ClassVar[tuple[str, ...]] = ()

    def cross_val_predictions(self, X: Any, y: Any, splits: list[tuple[np.ndarray, np.ndarray]],
                              settings: list[dict[str, Any]] | None = None, *,
                              return_models: bool = False, max_memory: int | None = None,
                              progress: bool = False) -> FoldPredictions | None:
        """Held-out predictions of every (fold, setting) by this family's fast path.

        What ``clone(self).set_params(**setting).fit(X[train], y[train]).predict(X[test])``
        returns for every split and setting, computed at once where the family can (one
        factorisation per fold for ridge, one batched solver per fold for logistic
        regression, stacked networks for the MLPs). It runs the same parameter and input
        validation as ``fit`` and ``predict``, in the same order, so it raises the same
        errors; its numbers equal the sequential fits' within floating-point tolerance.
        :func:`~neurodecode.evaluate.cross_validate`, ``sweep``, ``nested_cross_validate``,
        ``scaling_curve`` and the permutation tests use it.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_neurons)
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            What ``fit`` would get (class codes or labels for classifiers).
        splits : list of (train, test) index arrays
        settings : list of dict, optional
            Parameter values of each candidate (default: this decoder alone).
        return_models : bool, default=False
            Keep the fitted models where the path builds them.
        max_memory : int, optional
            Byte budget of one batch of stacked models.
        progress : bool, default=False

        Returns
        -------
        FoldPredictions or None
            None when this family has no fast path for these settings (the caller
            then fits each model in turn).
        """
        settings = [dict(s) for s in settings] if settings else [{}]
        varying = set().union(*settings)
        if not varying <= set(self._fast_cv_params) or not self._has_fast_cv():
            return None
        X, y, _ = self._unpack(X, y, check_kind=False)
        X, y = np.asarray(X), np.asarray(y)
        candidates = [clone(self).set_params(**s) for s in settings]
        candidates[0]._check_params()
        folds = []
        for train, test in splits:  # the checks fit and predict make, fold by fold
            lead = clone(candidates[0])
            _, y_fit = lead._validate_fit(X[train], y[train])
            validate_data(lead, X[test], dtype=_FLOAT_DTYPES, reset=False)
            folds.append(FoldData(np.asarray(train), np.asarray(test), lead, y_fit))
        for candidate in candidates[1:]:
            candidate._check_params()
        return self._fast_cv(candidates, folds, X, y, return_models=return_models,
                             max_memory=max_memory, progress=progress)

    def cross_val_predictions_over_time(
            self, responses: Any, y: Any, splits: list[tuple[np.ndarray, np.ndarray]], *,
            generalize: bool = False, max_memory: int | None = None,
            update: Any = None) -> list[np.ndarray] | None:
        """Held-out predictions at every time point by this family's fast path.

        What ``clone(self).fit(responses[train, t], y[train]).predict(responses[test, u])``
        returns for every split and training time ``t``, at ``u = t`` or, with
        ``generalize``, at every time ``u``; every (fold, time) model is fitted at once
        where the family can (one batched solver for logistic regression).
        :func:`~neurodecode.evaluate.decode_over_time` and
        :func:`~neurodecode.evaluate.temporal_generalization` use it. The fold checks are
        those of :meth:`cross_val_predictions` on the first time point; responses with
        NaN or inf anywhere return None, so that the per-time fits raise ``fit``'s error.

        Parameters
        ----------
        responses : ndarray of shape (n_samples, n_times, n_neurons)
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        splits : list of (train, test) index arrays
        generalize : bool, default=False
            Predict every test time from every training time.
        max_memory : int, optional
            Byte budget of one batch of time points (default 256 MB).
        update : callable, optional
            Called with the number of training time points done (a progress bar's
            ``update``).

        Returns
        -------
        list of ndarray or None
            One array per split: predictions of shape (n_times, n_test) (plus the output
            axis of multi-output regressors), or (n_times, n_times, n_test) with
            ``generalize`` (training time, test time); None when the family has no fast
            path for these settings.
        """
        responses = np.asarray(responses)
        if responses.ndim != 3 or not self._has_fast_cv():
            return None
        self._check_params()
        first = np.ascontiguousarray(responses[:, 0])
        _, y, _ = self._unpack(first, y, check_kind=False)
        y = np.asarray(y)
        folds = []
        for train, test in splits:
            lead = clone(self)
            _, y_fit = lead._validate_fit(first[train], y[train])
            validate_data(lead, first[test], dtype=_FLOAT_DTYPES, reset=False)
            folds.append(FoldData(np.asarray(train), np.asarray(test), lead, y_fit))
        if not np.isfinite(responses).all():
            return None
        return self._fast_cv_over_time(folds, responses, generalize=generalize,
                                       max_memory=max_memory or 256 * 2**20,
                                       update=update or (lambda k: None))

    def _fast_cv_over_time(self, folds: list[FoldData], responses: np.ndarray, *,
                           generalize: bool, max_memory: int, update: Any
                           ) -> list[np.ndarray] | None:
        """The family's fast path over time: predictions per fold, or None."""
        return None

    def _has_fast_cv(self) -> bool:
        """Whether this decoder's own settings (those shared by all candidates) allow a
        fast path at all; the family's :meth:`_fast_cv` makes the final decision."""
        return False

    def _fast_cv(self, candidates: list[Any], folds: list[FoldData], X: np.ndarray,
                 y: np.ndarray, *,
                 return_models: bool, max_memory: int | None, progress: bool
                 ) -> FoldPredictions | None:
        """The family's fast path: predictions of every (fold, candidate), or None."""
        return None


# --------------------------------------------------------------------------- regression
class RegressorDecoder(RegressorMixin, BaseDecoder):
    """Regression decoders: linear stimuli (MSE) and circular ones via ``(cos, sin)``.

    Circular targets: with a ``period`` (the ``period`` parameter, or the Recording's),
    the decoder fits ``(cos, sin)`` of ``2 pi y / period`` and :meth:`predict` reads the
    angle back with ``atan2``, in ``[0, period)``. :meth:`score` is then
    :func:`circular_score` (mean cosine of the angular error) instead of R^2.

    Parameters
    ----------
    None. Each subclass declares its own parameters in ``__init__``.
    """

    _kinds: ClassVar[tuple[str, ...]] = ("circular", "linear")

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def _validate_fit(self, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        """Validated ``X`` and ``y`` (2-D, float64); sets ``period_`` and ``n_outputs_``."""
        X, y, rec = self._unpack(X, y, check_kind=True)
        self._check_fit_inputs(X, y)
        X, y = validate_data(self, X, y, dtype=_FLOAT_DTYPES, y_numeric=True,
                             multi_output=True)
        y = np.asarray(y, dtype=np.float64)
        period = self.period
        if period is not None:
            check_number(period, "period", self._owner, low=0, low_inclusive=False)
            if rec is not None and rec.kind == "linear":
                raise ValueError(
                    f"The 'period' parameter of {self._owner} is {period!r}, but the "
                    "Recording's stimulus is linear. Set period=None, or build the Recording "
                    "with kind='circular'."
                )
        elif rec is not None and rec.kind == "circular":
            period = rec.period
        if period is not None and y.ndim == 2 and y.shape[1] != 1:
            raise ValueError(
                f"A circular target must be 1-D (one angle per sample); got y of shape "
                f"{y.shape} with period={period!r}."
            )
        self.period_ = None if period is None else float(period)
        self.n_outputs_ = 1 if y.ndim == 1 else int(y.shape[1])
        y2 = y.reshape(len(y), -1)
        if len(y2) < 2:
            raise ValueError(
                f"{self._owner} needs at least 2 samples to fit; got 1 sample. A decoder "
                "cannot be fitted on one trial.")
        if period is not None:  # (-period/2, period/2] and the like are conventions;
            # values spanning more than one period are another unit (degrees for 2 pi)
            span = float(y2.max() - y2.min())
            if span > period * (1 + 1e-9) or np.abs(y2).max() > period * (1 + 1e-9):
                outside = int(np.sum((y2 < 0) | (y2 >= period)))
                warnings.warn(
                    f"The stimulus spans {y2.min():g} to {y2.max():g}, more than one period "
                    f"({period:g}); {outside} value(s) lie outside [0, {period:g}) and are "
                    "taken modulo the period. Check the units (degrees vs radians) and the "
                    "period.", DataWarning, stacklevel=3)
        if np.all(y2 == y2[0]):
            value = ", ".join(f"{v:g}" for v in y2[0])
            raise ValueError(
                f"The stimulus never varies: all {len(y2)} training samples are {value}, so "
                f"there is nothing for {self._owner} to decode (any prediction of that value "
                "would score perfectly). Check the stimulus column.")
        return np.asarray(X), y2

    def _targets(self, y: np.ndarray) -> np.ndarray:
        """What the model fits: ``(cos, sin)`` for circular stimuli, else ``y`` (2-D)."""
        if self.period_ is not None:
            return encode_angles(y[:, 0], self.period_)
        return y

    def _n_targets(self) -> int:
        return 2 if self.period_ is not None else self.n_outputs_

    def _outputs_to_predictions(self, out: np.ndarray) -> np.ndarray:
        """Model outputs -> angles in ``[0, period)`` or values (1-D for one output)."""
        if self.period_ is not None:
            return decode_angles(out, self.period_)
        out = np.asarray(out, dtype=np.float64)
        return out[:, 0] if self.n_outputs_ == 1 else out

    def score(self, X: Any, y: Any = None, sample_weight: ArrayLike | None = None) -> float:
        """R^2 for linear stimuli; mean cosine of the angular error for circular ones.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_neurons), or Recording
            Responses (with ``y=None`` when a Recording).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs), optional
            True stimulus.
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        float
            R^2 (averaged over outputs, as in scikit-learn), or for circular stimuli
            :func:`circular_score`: 1 is perfect, 0 is chance. Higher is better for both.
        """
        X, y, _ = self._unpack(X, y, check_kind=True)
        pred = self.predict(X)
        if self.period_ is not None:
            return circular_score(np.ravel(y), pred, self.period_, sample_weight)
        return float(r2_score(y, pred, sample_weight=sample_weight))


# --------------------------------------------------------------------------- classification
class ClassifierDecoder(ClassifierMixin, BaseDecoder):
    """Classification decoders: categorical stimuli, ``classes_``, accuracy as score.

    Parameters
    ----------
    None. Each subclass declares its own parameters in ``__init__``.
    """

    _kinds: ClassVar[tuple[str, ...]] = ("categorical",)

    def _validate_fit(self, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        """Validated ``X`` and integer class codes; sets ``classes_``."""
        X, y, rec = self._unpack(X, y, check_kind=True)
        self._check_fit_inputs(X, y)
        X, y = validate_data(self, X, y, dtype=_FLOAT_DTYPES)
        if rec is None:  # labels of a categorical Recording may be floats (bin centres)
            check_classification_targets(y)
        classes, codes = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            only = classes[0]
            only = only.item() if isinstance(only, np.generic) else only
            raise ValueError(
                f"{self._owner} needs at least 2 classes in y; got 1 class: {only!r}. "
                "A decoder cannot learn from a single stimulus value."
            )
        self.classes_ = classes
        return np.asarray(X), codes.astype(np.int64)

    @abstractmethod
    def _scores(self, X: Any) -> np.ndarray:
        """Decision scores (n_samples, n_classes), or (n_samples,) for a single logit."""

    def predict(self, X: Any) -> np.ndarray:
        """Predicted class labels.

        Parameters
        ----------
        X : array-like or Tensor of shape (n_samples, n_neurons), or Recording

        Returns
        -------
        ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        scores = self._scores(X)
        if scores.ndim == 1:
            return self.classes_[(scores > 0).astype(int)]
        return self.classes_[np.argmax(scores, axis=1)]

    def score(self, X: Any, y: Any = None, sample_weight: ArrayLike | None = None) -> float:
        """Accuracy (fraction of samples whose class is predicted correctly).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_neurons), or Recording
            Responses (with ``y=None`` when a Recording).
        y : array-like of shape (n_samples,), optional
            True labels.
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        float
            Accuracy in [0, 1].
        """
        X, y, _ = self._unpack(X, y, check_kind=True)
        # not sklearn's accuracy_score: it rejects float labels such as bin centres
        y = np.asarray(y)
        pred = self.predict(X)
        if y.shape != pred.shape:
            raise ValueError(
                f"y must have one label per sample, shape {pred.shape}; got shape {y.shape}."
            )
        weights = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        return float(np.average(y == pred, weights=weights))

"""Any torch module as a decoder: your own network in neurodecode's training loop.

:class:`ModuleDecoder` (regression, circular stimuli included) and
:class:`ModuleClassifierDecoder` train a user's ``torch.nn.Module`` exactly as the MLP
decoders train theirs: standardised responses, the same losses, ``l1``/``l2`` on the
weight matrices, mini-batch Adam or SGD, early stopping on a validation split, seeds,
``device="auto"``, and save/load of the weights. ``module`` is either a module instance
(its own initial weights are used; each ``fit`` trains a copy) or a function
``(n_inputs, n_outputs) -> nn.Module`` (called at each ``fit``). Training runs with
torch's global random generator seeded from ``random_state`` (and restored afterwards),
so a factory's initial weights and the module's own ``nn.Dropout`` masks repeat with
the seed.
"""

from __future__ import annotations

import copy
import sys
from typing import Any

import torch
from torch import nn

from ._base import seed_from_random_state
from ._training import TorchDecoder
from .mlp import _TRAINING_DOC, NetworkClassifier, NetworkRegressor

__all__ = ["ModuleClassifierDecoder", "ModuleDecoder"]


def _reference(obj: Any) -> str:
    """``package.module:QualName`` of a class or function (of an instance: its class)."""
    target = obj if not isinstance(obj, nn.Module) else type(obj)
    return f"{getattr(target, '__module__', '?')}:{getattr(target, '__qualname__', '?')}"


def _resolve(reference: str) -> Any:
    """The class or function a :func:`_reference` names, among modules already imported
    (nothing is imported by name), or None."""
    module_name, _, qualname = reference.partition(":")
    obj: Any = sys.modules.get(module_name)
    for part in qualname.split("."):
        if obj is None or part.startswith("<"):
            return None
        obj = getattr(obj, part, None)
    return obj


class _ModuleBase(TorchDecoder):
    """The user's module, checked and built; penalties on its weight matrices."""

    _optimizers = ("adam", "sgd")
    module: Any

    def _check_params(self) -> None:
        super()._check_params()
        self._optimizer_name()
        if self.module is None:
            raise ValueError(
                f"{self._owner} needs a module: a torch.nn.Module (e.g. DeepNetReLU(n_neurons, "
                "200)) or a function (n_inputs, n_outputs) -> nn.Module, passed as "
                f"{self._owner}(module=...)."
            )
        if not (isinstance(self.module, nn.Module) or callable(self.module)):
            raise TypeError(
                f"The 'module' parameter of {self._owner} must be a torch.nn.Module or a "
                f"function (n_inputs, n_outputs) -> nn.Module. Got {type(self.module).__name__} "
                "instead."
            )

    def _train(self, X: torch.Tensor, T: torch.Tensor, n_outputs: int,
               generator: torch.Generator | None) -> nn.Module:
        """As every torch decoder trains, with torch's global generator seeded from
        ``random_state`` (forked: the caller's generator state comes back afterwards).
        The module's own random layers (``nn.Dropout``) and a factory's initial weights
        draw from it, so the same seed gives the same fit."""
        seed = seed_from_random_state(self.random_state, self._owner)
        devices = [X.device.index or 0] if X.device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(seed)
            return super()._train(X, T, n_outputs, generator)

    def _init_module(self, n_features: int, n_outputs: int, *, device: torch.device,
                     dtype: torch.dtype, generator: torch.Generator | None) -> nn.Module:
        """A fresh copy of the module instance, or the factory's module; checked on a
        dry run."""
        if isinstance(self.module, nn.Module):
            module = copy.deepcopy(self.module)
        else:  # inside _train, torch's global generator is seeded from random_state
            module = self.module(n_features, n_outputs)
            if not isinstance(module, nn.Module):
                raise TypeError(
                    f"The 'module' function of {self._owner} must return a torch.nn.Module; "
                    f"module({n_features}, {n_outputs}) returned {type(module).__name__}."
                )
        module = module.to(device=device, dtype=dtype)
        self._check_module(module, n_features, n_outputs, device, dtype)
        return module

    def _check_module(self, module: nn.Module, n_features: int, n_outputs: int,
                      device: torch.device, dtype: torch.dtype) -> None:
        """Raise a ValueError naming the shapes when the module does not map
        (n, n_features) to (n, n_outputs)."""
        was_training = module.training
        module.eval()
        try:
            with torch.no_grad():
                out = self._forward(module, torch.zeros(2, n_features, device=device,
                                                        dtype=dtype))
        except RuntimeError as err:
            raise ValueError(
                f"The module of {self._owner} cannot take the responses: they have "
                f"{n_features} neurons (inputs of shape (n_samples, {n_features})), and torch "
                f"says: {err}. Build the module for {n_features} inputs."
            ) from None
        finally:
            module.train(was_training)
        if tuple(out.shape) != (2, n_outputs):
            raise ValueError(
                f"The module of {self._owner} must output {n_outputs} column(s) per sample "
                f"({self._outputs_meaning(n_outputs)}); for 2 samples it returned shape "
                f"{tuple(out.shape)}. Give its last layer {n_outputs} output(s)."
            )

    def _outputs_meaning(self, n_outputs: int) -> str:
        return f"{n_outputs} output(s)"

    def _forward(self, module: nn.Module, X: torch.Tensor) -> torch.Tensor:
        """The module's output as (n_samples, n_outputs) (a 1-D output is one column)."""
        out = module(X)
        return out[:, None] if out.ndim == 1 else out

    def _penalized_weights(self, module: nn.Module) -> list[torch.Tensor]:
        """Every weight matrix (parameters named ``weight`` with 2 or more dimensions):
        linear, convolutional and recurrent weights, never biases or normalisation
        scales."""
        return [p for name, p in module.named_parameters()
                if name.rsplit(".", 1)[-1].startswith("weight") and p.ndim >= 2]

    # ------------------------------------------------------------ saving
    def _saved_params(self) -> dict[str, Any]:
        params = super()._saved_params()
        kind = "instance" if isinstance(self.module, nn.Module) else "callable"
        params["module"] = {"reference": _reference(self.module), "kind": kind}
        return params

    @classmethod
    def _loaded_params(cls, params: dict[str, Any], module: Any = None) -> dict[str, Any]:
        saved = params.get("module") or {}
        reference = saved.get("reference", "?")
        if module is None and saved.get("kind") == "callable":
            module = _resolve(reference)
        if module is None:
            what = ("an instance of " if saved.get("kind") == "instance" else "") + reference
            raise ValueError(
                f"This {cls.__name__} was trained with the module {what}, which neurodecode "
                "does not import or unpickle by itself. Pass it: "
                f"{cls.__name__}.load(path, module=...) (a module of the same architecture; "
                "its weights are replaced by the saved ones)."
            )
        return {**params, "module": module}


_MODULE_DOC = """
    module : torch.nn.Module or callable
        The network: a module instance (its initial weights are used; each ``fit`` trains
        a copy), or a function ``(n_inputs, n_outputs) -> nn.Module`` called at ``fit``
        with torch's global generator seeded from ``random_state``. It maps standardised
        responses of shape (n_samples, n_neurons) to (n_samples, n_outputs).
    l1 : float, default=0.0
        L1 penalty strength on the module's weight matrices (parameters named
        ``weight`` with 2 or more dimensions: no biases, no normalisation scales).
    l2 : float, default=0.0
        L2 penalty strength on the same weights (``l2/2 ||W||^2``, as every decoder)."""


class ModuleDecoder(NetworkRegressor, _ModuleBase):
    __doc__ = f"""Your own torch module as a decoder of a continuous or circular stimulus.

    Trained as :class:`MLPDecoder` trains its network (same losses, penalties, target
    scaling, early stopping and seeds). A circular stimulus is fitted as ``(cos, sin)``,
    so the module needs 2 outputs for it; dropout is whatever ``nn.Dropout`` layers the
    module holds (active in training, off in prediction).

    Parameters
    ----------
    {_MODULE_DOC.strip()}
    period : float, optional
        Period of a circular stimulus (read from a circular Recording when None).
    loss : {{"mse", "mae", "huber", "poisson"}}, default="mse"
        Data term (see :class:`MLPDecoder`).
    standardize : bool, default=True
        Z-score the responses (and linear targets) with the training statistics.
    {_TRAINING_DOC.strip()}

    Attributes
    ----------
    module_ : torch.nn.Module
        The trained copy of the module.
    history_ : dict of list of float
    n_iter_ : int
    period_ : float or None
    n_outputs_ : int
    n_features_in_ : int

    Raises
    ------
    ValueError
        At ``fit``: no module, a module whose input or output shape does not fit the data
        (the message names both), or the errors of :class:`MLPDecoder`.

    Examples
    --------
    >>> import numpy as np
    >>> from torch import nn
    >>> class DeepNetReLU(nn.Module):  # the Neuromatch tutorial's network, unchanged
    ...     def __init__(self, n_inputs, n_hidden):
    ...         super().__init__()
    ...         self.in_layer = nn.Linear(n_inputs, n_hidden)
    ...         self.out_layer = nn.Linear(n_hidden, 1)
    ...     def forward(self, r):
    ...         return self.out_layer(torch.relu(self.in_layer(r)))
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 10)); y = X[:, 0] - X[:, 1] ** 2
    >>> dec = ModuleDecoder(DeepNetReLU(10, 50), lr=1e-2, max_epochs=100, random_state=0,
    ...                     device="cpu").fit(X, y)
    >>> bool(dec.score(X, y) > 0.8)
    True
    """

    def __init__(
        self,
        module: Any = None,
        *,
        l1: float = 0.0,
        l2: float = 0.0,
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
        self.module = module
        self.l1 = l1
        self.l2 = l2
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

    def _outputs_meaning(self, n_outputs: int) -> str:
        if self.period_ is not None:
            return "cos and sin of the circular stimulus"
        return f"one per stimulus column: {n_outputs}"


class ModuleClassifierDecoder(NetworkClassifier, _ModuleBase):
    __doc__ = f"""Your own torch module as a classifier of a categorical stimulus.

    The module outputs one logit per class (softmax cross-entropy), trained as
    :class:`MLPClassifierDecoder` trains its network.

    Parameters
    ----------
    {_MODULE_DOC.strip()}
    standardize : bool, default=True
        Z-score the responses with the training statistics.
    {_TRAINING_DOC.strip()}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    module_ : torch.nn.Module
    history_ : dict of list of float
    n_iter_ : int
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from torch import nn
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(150, 4)); y = (X[:, 0] > 0).astype(int)
    >>> net = lambda n_in, n_out: nn.Sequential(nn.Linear(n_in, 16), nn.ReLU(),
    ...                                         nn.Linear(16, n_out))
    >>> dec = ModuleClassifierDecoder(net, lr=1e-2, max_epochs=50, random_state=0,
    ...                               device="cpu").fit(X, y)
    >>> bool(dec.score(X, y) > 0.9)
    True
    """

    def __init__(
        self,
        module: Any = None,
        *,
        l1: float = 0.0,
        l2: float = 0.0,
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
        self.module = module
        self.l1 = l1
        self.l2 = l2
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

    def _outputs_meaning(self, n_outputs: int) -> str:
        return f"one logit per class: {n_outputs} classes"



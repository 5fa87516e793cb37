"""The torch training loop, written as small steps that a variant can override one by one.

:class:`TorchDecoder` fits a ``torch.nn.Module`` by minimising

``objective = data term (mean over samples) + l2 / 2 * sum ||W||^2 + l1 * sum |W|``

where the sums run over the weight matrices of the ``Linear`` layers (never biases or
batch-norm parameters). The loop is::

    module = _init_module(...)                 # build (on the data's device and dtype)
    optimizer = _make_optimizer(module, X)     # Adam, SGD, L-BFGS or FISTA
    for epoch in range(max_epochs):
        _run_epoch(...)                        # batches -> _train_step -> optimizer.step
        _evaluate(...)                         # validation data term (early stopping)

and each step is a method: ``_forward``, ``_loss``, ``_penalty``, ``_train_step``,
``_batches``, ``_run_epoch``, ``_evaluate``, ``_split_validation`` (``_start_training``
holds the draws before the first epoch).

Every tensor created here is created on the data's device with the data's dtype
(``X.new_zeros``, ``torch.randperm(..., device=X.device)``), and every random draw uses a
local :class:`torch.Generator`, never torch's global seed.
"""

from __future__ import annotations

import math
from abc import abstractmethod
from collections.abc import Callable, Iterable, Sequence
from typing import Any, cast

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from .._threads import thread_budget
from .._validation import check_choice, check_number
from ._base import BaseDecoder, make_generator, resolve_device
from ._core import EarlyStopping, Penalty, warn_not_converged

__all__ = ["Dropout", "ProximalGradient", "TorchDecoder"]

_DEFAULT_LR = {"adam": 1e-3, "sgd": 1e-2, "lbfgs": 1.0}
_FULL_BATCH = ("lbfgs", "fista")
_PREDICT_CHUNK = 65_536


class Dropout(nn.Module):
    """Inverted dropout that draws its masks from a given :class:`torch.Generator`.

    Same maths as :class:`torch.nn.Dropout` (zero each unit with probability ``p`` during
    training, scale the others by ``1 / (1 - p)``; identity in eval mode), but the mask
    comes from ``self.generator`` (set by the training loop) so fits are reproducible
    without touching torch's global seed.

    Parameters
    ----------
    p : float
        Probability of dropping a unit, in [0, 1).
    """

    def __init__(self, p: float) -> None:
        super().__init__()
        self.p = float(p)
        self.generator: torch.Generator | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the mask in training mode, the identity in eval mode."""
        if not self.training or self.p == 0.0:
            return x
        keep = torch.rand(x.shape, generator=self.generator, device=x.device, dtype=x.dtype)
        return x * (keep >= self.p).to(x.dtype) / (1.0 - self.p)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class ProximalGradient(torch.optim.Optimizer):
    """FISTA: accelerated proximal gradient with adaptive restart, for L1 penalties.

    Minimises ``f(w) + sum_g l1_g * ||w_g||_1`` for a smooth ``f`` whose gradient is
    ``L``-Lipschitz, with step ``lr <= 1 / L``. Each step evaluates the gradient at the
    extrapolated point ``y_k``, takes ``z = soft_threshold(y_k - lr * grad, lr * l1)``
    and extrapolates ``y_{k+1} = z + beta_k (z - x_k)``. The momentum restarts when it
    points uphill (O'Donoghue & Candes, 2015), and a step that would raise the objective
    is undone (``x_{k+1} = x_k``, momentum reset), so the objective never increases (as in
    Beck & Teboulle's monotone FISTA). The parameters hold ``x_k`` between steps, so
    weights set to zero by the threshold are exactly zero.

    ``step(closure)`` needs a closure that computes the smooth loss and its gradient, and
    that only evaluates the objective when called as ``closure(backward=False)``; the step
    returns the objective at the new iterate ``x_{k+1}`` (not at ``y_k``, whose values jump
    around and would make convergence checks stop early).

    Parameters
    ----------
    params : iterable of Tensors or of dicts
        Parameter groups; a group's ``"l1"`` entry sets its L1 strength (0 for biases).
    lr : float or Tensor
        Step size, at most ``1 / L``.
    l1 : float, default=0.0
        Default L1 strength of a group.

    References
    ----------
    Beck, A. & Teboulle, M. (2009). A fast iterative shrinkage-thresholding algorithm for
    linear inverse problems. SIAM J. Imaging Sciences 2(1), 183-202.

    O'Donoghue, B. & Candes, E. (2015). Adaptive restart for accelerated gradient
    schemes. Foundations of Computational Mathematics 15, 715-732.
    """

    handles_l1 = True

    def __init__(self, params: Iterable[Any], lr: float | torch.Tensor,
                 l1: float = 0.0) -> None:
        super().__init__(params, {"lr": lr, "l1": l1})

    @torch.no_grad()
    def step(  # type: ignore[override]
            self, closure: Callable[..., torch.Tensor] | None = None) -> torch.Tensor:
        """One proximal gradient step; returns the objective at the new iterate."""
        if closure is None:
            raise ValueError("ProximalGradient.step needs a closure (gradient at y_k).")
        params = [p for group in self.param_groups for p in group["params"]]
        for p in params:  # move to the extrapolated point, remember x_k
            state = self.state[p]
            state["x"] = p.detach().clone()
            if "y" in state:
                p.copy_(state["y"])
        with torch.enable_grad():
            closure()
        uphill = params[0].new_zeros(())
        new_x = []
        for group in self.param_groups:
            lr, l1 = group["lr"], group["l1"]
            for p in group["params"]:
                z = p - lr * p.grad if p.grad is not None else p.clone()
                z = Penalty(l1=l1).prox_l1(z, lr)
                uphill = uphill + ((p - z) * (z - self.state[p]["x"])).sum()
                new_x.append(z)
        for p, z in zip(params, new_x):
            p.copy_(z)
        value = closure(backward=False).detach()
        first = self.state[params[0]]
        previous = first.get("value", torch.full_like(value, math.inf))
        accept = value <= previous  # monotone: a step that raises the objective is undone
        t = first.get("t", params[0].new_ones(()))
        t_next = (1.0 + torch.sqrt(1.0 + 4.0 * t * t)) / 2.0
        restart = (uphill > 0) | ~accept
        beta = torch.where(restart, torch.zeros_like(t), (t - 1.0) / t_next)
        first["t"] = torch.where(restart, torch.ones_like(t), t_next)
        first["value"] = torch.where(accept, value, previous)
        for p, z in zip(params, new_x):
            x = self.state[p]["x"]
            p.copy_(torch.where(accept, z, x))
            self.state[p]["y"] = torch.where(accept, z + beta * (z - x), x)
        return first["value"]


class TorchDecoder(BaseDecoder):
    """Base class of the decoders trained by gradient descent in torch.

    Subclasses implement :meth:`_init_module` and :meth:`_loss` (and say which optimizer
    to use through :meth:`_optimizer_name`); the rest of the loop is shared. They must
    have the parameters ``l1``, ``l2``, ``lr``, ``max_epochs``, ``batch_size``, ``tol``,
    ``patience``, ``early_stopping``, ``validation_fraction``, ``device``,
    ``random_state`` and ``progress``.

    Training stops after ``max_epochs`` epochs, or earlier when the monitored loss (the
    training objective, or the validation data term with ``early_stopping=True``) has
    not improved by at least ``tol`` for ``patience`` consecutive epochs. With early
    stopping the weights of the best validation epoch are restored. ``history_`` keeps
    ``"train_loss"`` (objective per epoch, mean over mini-batches) and ``"val_loss"``.

    Parameters
    ----------
    None. Each subclass declares its own parameters in ``__init__``.
    """

    _optimizers: tuple[str, ...] = ("adam", "sgd")

    # ------------------------------------------------------------ parameters
    def _check_params(self) -> None:
        super()._check_params()
        owner = self._owner
        check_number(self.max_epochs, "max_epochs", owner, low=1, integer=True)
        check_number(self.batch_size, "batch_size", owner, low=1, integer=True,
                     allow_none=True)
        check_number(self.lr, "lr", owner, low=0, low_inclusive=False, allow_none=True)
        check_number(self.tol, "tol", owner, low=0)
        check_number(self.patience, "patience", owner, low=1, integer=True)
        check_number(self.validation_fraction, "validation_fraction", owner, low=0, high=1,
                     low_inclusive=False, high_inclusive=False)
        resolve_device(self.device, owner)
        self._callbacks()

    def _check_full_batch(self, name: str, solver_param: str) -> None:
        if name in _FULL_BATCH and self.batch_size is not None:
            raise ValueError(
                f"The 'batch_size' parameter of {self._owner} must be None with "
                f"{solver_param}={name!r} (a full-batch method). Got {self.batch_size!r} "
                "instead. Use 'adam' or 'sgd' for mini-batches."
            )

    def _optimizer_name(self) -> str:
        """Which optimizer to build: ``"adam"``, ``"sgd"``, ``"lbfgs"`` or ``"fista"``."""
        return check_choice(self.optimizer, "optimizer", self._optimizers, self._owner)

    # ------------------------------------------------------------ model
    @abstractmethod
    def _init_module(self, n_features: int, n_outputs: int, *, device: torch.device,
                     dtype: torch.dtype, generator: torch.Generator | None) -> nn.Module:
        """Build the module on ``device`` with ``dtype``, drawing weights from ``generator``."""

    def _forward(self, module: nn.Module, X: torch.Tensor) -> torch.Tensor:
        """Model output for standardised inputs."""
        return module(X)

    @abstractmethod
    def _loss(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Data term: a mean over samples (so penalties do not scale with n)."""

    def _penalized_weights(self, module: nn.Module) -> list[torch.Tensor]:
        """The tensors ``l1`` and ``l2`` act on: weights of ``Linear`` layers, no biases."""
        return [m.weight for m in module.modules() if isinstance(m, nn.Linear)]

    def _penalty(self, module: nn.Module, *, include_l1: bool = True) -> torch.Tensor:
        """:class:`~neurodecode.decoders._core.Penalty` of :meth:`_penalized_weights`."""
        weights = self._penalized_weights(module)
        value = Penalty(l1=float(self.l1), l2=float(self.l2)).value(
            weights, include_l1=include_l1)
        return weights[0].new_zeros(()) + value

    # ------------------------------------------------------------ optimisation
    def _lipschitz(self, X: torch.Tensor) -> torch.Tensor:
        """Lipschitz constant of the smooth objective's gradient (FISTA's step is 1 / L).

        Only decoders that offer FISTA (convex objectives) define it.
        """
        raise ValueError(
            f"{self._owner} has no Lipschitz bound for FISTA; use one of its optimizers: "
            f"{', '.join(self._optimizers)}."
        )

    def _make_optimizer(self, module: nn.Module, X: torch.Tensor) -> torch.optim.Optimizer:
        """Build the optimizer named by :meth:`_optimizer_name` (``lr=None``: its default)."""
        name = self._optimizer_name()
        lr: float | torch.Tensor = self.lr if self.lr is not None else _DEFAULT_LR.get(name, 0.0)
        if name == "adam":
            return torch.optim.Adam(module.parameters(), lr=lr)
        if name == "sgd":
            return torch.optim.SGD(module.parameters(), lr=lr)
        if name == "lbfgs":
            return torch.optim.LBFGS(module.parameters(), lr=lr, max_iter=1, max_eval=26,
                                     history_size=20,
                                     tolerance_grad=1e-12, tolerance_change=0.0,
                                     line_search_fn="strong_wolfe")
        if name == "fista":
            if self.lr is None:
                lr = 1.0 / self._lipschitz(X)
            weights = {id(w) for w in self._penalized_weights(module)}
            groups = [
                {"params": [p for p in module.parameters() if id(p) in weights],
                 "l1": float(self.l1)},
                {"params": [p for p in module.parameters() if id(p) not in weights],
                 "l1": 0.0},
            ]
            return ProximalGradient([g for g in groups if g["params"]], lr=lr)
        raise ValueError(f"Unknown optimizer {name!r}.")  # pragma: no cover

    def _train_step(self, module: nn.Module, optimizer: torch.optim.Optimizer,
                    X: torch.Tensor, T: torch.Tensor) -> torch.Tensor:
        """One optimizer step on a batch; returns the objective (detached, on the device).

        The closure takes ``backward=False`` to only evaluate the objective (used by
        :class:`ProximalGradient`). With a proximal optimizer the L1 term stays out of the
        gradient (the optimizer's soft-threshold handles it) but is added to the value.
        """
        proximal = getattr(optimizer, "handles_l1", False)

        def closure(backward: bool = True) -> torch.Tensor:
            if backward:
                optimizer.zero_grad()
            with torch.set_grad_enabled(backward):
                loss = self._loss(self._forward(module, X), T)
                loss = loss + self._penalty(module, include_l1=not proximal)
            if backward:
                loss.backward()
                self._after_backward(module)
            if proximal and self.l1:
                with torch.no_grad():
                    return loss.detach() + self.l1 * sum(
                        w.abs().sum() for w in self._penalized_weights(module))
            return loss

        loss = optimizer.step(closure)  # type: ignore[arg-type]  # closures return tensors
        return cast(torch.Tensor, loss).detach()

    def _batches(self, n: int, generator: torch.Generator | None,
                 device: torch.device) -> Sequence[torch.Tensor | None]:
        """Index tensors of the mini-batches of one epoch (``[None]``: one full batch).

        A trailing batch of one sample joins the previous one (batch norm needs two).
        """
        if self.batch_size is None or self.batch_size >= n:
            return [None]
        perm = torch.randperm(n, generator=generator, device=device)
        chunks = list(torch.split(perm, self.batch_size))
        if len(chunks) > 1 and len(chunks[-1]) == 1:
            chunks[-2:] = [torch.cat(chunks[-2:])]
        return chunks

    def _run_epoch(self, module: nn.Module, optimizer: torch.optim.Optimizer,
                   X: torch.Tensor, T: torch.Tensor,
                   generator: torch.Generator | None) -> torch.Tensor:
        """One pass over the training data; the sample-weighted mean objective."""
        total = X.new_zeros(())
        for idx in self._batches(X.shape[0], generator, X.device):
            xb, tb = (X, T) if idx is None else (X[idx], T[idx])
            total = total + self._train_step(module, optimizer, xb, tb) * xb.shape[0]
        return total / X.shape[0]

    def _evaluate(self, module: nn.Module, X: torch.Tensor, T: torch.Tensor) -> torch.Tensor:
        """Data term on held-out samples (eval mode, no penalty, no gradient)."""
        module.eval()
        try:
            with torch.no_grad():
                return self._loss(self._forward(module, X), T)
        finally:
            module.train()

    def _validation_rows(self, n: int, generator: torch.Generator | None,
                         device: torch.device) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Training and validation row indices (no validation rows without
        ``early_stopping``); one ``randperm`` from ``generator`` when splitting."""
        if not self.early_stopping:
            return torch.arange(n, device=device), None
        if n < 2:
            raise ValueError(
                f"early_stopping=True in {self._owner} needs at least 2 samples to hold some "
                f"out for validation; got {n} sample{'s' if n != 1 else ''}."
            )
        n_val = min(max(1, math.ceil(self.validation_fraction * n)), n - 1)
        perm = torch.randperm(n, generator=generator, device=device)
        return perm[n_val:], perm[:n_val]

    def _split_validation(self, X: torch.Tensor, T: torch.Tensor,
                          generator: torch.Generator | None
                          ) -> tuple[tuple[torch.Tensor, torch.Tensor],
                                     tuple[torch.Tensor, torch.Tensor] | None]:
        """Hold out ``validation_fraction`` of the samples when ``early_stopping``."""
        if not self.early_stopping:
            return (X, T), None
        train, val = self._validation_rows(X.shape[0], generator, X.device)
        assert val is not None
        return (X[train], T[train]), (X[val], T[val])

    def _start_training(self, X: torch.Tensor, n_outputs: int,
                        generator: torch.Generator | None
                        ) -> tuple[nn.Module, torch.Tensor, torch.Tensor | None]:
        """The random draws before the first epoch, in order: the validation split, then
        the initial module. Returns the module and the training / validation rows.

        Stacked training (:mod:`neurodecode.decoders._mlp_stacked`) calls this too, so each of
        its models starts exactly as its own ``fit`` would.
        """
        train, val = self._validation_rows(X.shape[0], generator, X.device)
        self._check_n_samples(len(train))
        module = self._init_module(X.shape[1], n_outputs, device=X.device, dtype=X.dtype,
                                   generator=generator)
        return module, train, val

    @staticmethod
    def _set_dropout_generator(module: nn.Module, generator: torch.Generator | None) -> None:
        for m in module.modules():
            if isinstance(m, Dropout):
                m.generator = generator

    def _check_loss(self, loss: float, epoch: int) -> None:
        if not math.isfinite(loss):
            raise ValueError(
                f"Training of {self._owner} diverged at epoch {epoch + 1} (objective = "
                f"{loss}). Lower 'lr' (got {self.lr!r}) or keep standardize=True."
            )

    def _check_n_samples(self, n: int) -> None:
        """Hook: raise if the model cannot train on ``n`` samples."""

    def _train(self, X: torch.Tensor, T: torch.Tensor, n_outputs: int,
               generator: torch.Generator | None) -> nn.Module:
        """Build and train the module; sets ``history_`` and ``n_iter_``. Small
        trainings run on one CPU thread, large ones on the free cores
        (:func:`~neurodecode._threads.thread_budget`)."""
        work = 6.0 * X.numel() * max(n_outputs, 8) * int(self.max_epochs)
        with thread_budget(work):
            return self._train_module(X, T, n_outputs, generator)

    def _train_module(self, X: torch.Tensor, T: torch.Tensor, n_outputs: int,
                      generator: torch.Generator | None) -> nn.Module:
        from .callbacks import TrainingState

        module, train_rows, val_rows = self._start_training(X, n_outputs, generator)
        if val_rows is None:  # no copy of the data without early stopping
            train, val = (X, T), None
        else:
            train, val = (X[train_rows], T[train_rows]), (X[val_rows], T[val_rows])
        optimizer = self._make_optimizer(module, train[0])
        callbacks = self._callbacks()
        state = TrainingState(
            decoder=self, module=module, optimizer=optimizer, generator=generator,
            history={"train_loss": [], "val_loss": []},
            stop=EarlyStopping(tol=float(self.tol), patience=int(self.patience)))
        self._set_dropout_generator(module, generator)
        module.train()
        self._active_callbacks = (callbacks, state)
        try:
            for callback in callbacks:  # a resumed Checkpoint restores the state here
                callback.on_train_begin(state)
            bar = tqdm(range(state.epoch, int(self.max_epochs)), desc=self._owner,
                       disable=not self.progress, leave=False)
            for epoch in bar:
                loss = float(self._run_epoch(module, optimizer, *train, generator))
                self._check_loss(loss, epoch)
                logs = {"train_loss": loss}
                monitored = loss
                if val is not None:
                    monitored = logs["val_loss"] = float(self._evaluate(module, *val))
                stopping = state.stop.update(monitored)
                if state.stop.improved and val is not None:
                    state.best_state = {k: v.detach().clone()
                                        for k, v in module.state_dict().items()}
                state.epoch = epoch + 1
                for callback in callbacks:  # they may log more (e.g. the learning rate)
                    stopping = bool(callback.on_epoch_end(state, logs)) or stopping
                for key, value in logs.items():
                    state.history.setdefault(key, []).append(float(value))
                for callback in callbacks:
                    callback.on_epoch_logged(state)
                bar.set_postfix(loss=f"{monitored:.4g}", refresh=False)
                if stopping:
                    break
            bar.close()
        finally:
            self._active_callbacks = None
            self._set_dropout_generator(module, None)
            for callback in callbacks:
                callback.on_train_end(state)
        if state.best_state is not None:
            module.load_state_dict(state.best_state)
        module.eval()
        self.history_ = state.history
        self.n_iter_ = max(state.epoch, 1)
        self._capped = not state.stop.stopped
        return module

    def _callbacks(self) -> list[Any]:
        """The ``callbacks`` parameter as a list, checked (none for decoders without it)."""
        from .callbacks import Callback

        given = getattr(self, "callbacks", None)
        if given is None:
            return []
        items = [given] if isinstance(given, Callback) else given
        if not isinstance(items, (list, tuple)) or not all(
                isinstance(c, Callback) for c in items):
            raise TypeError(
                f"The 'callbacks' parameter of {self._owner} must be a list of callbacks "
                "(Checkpoint, LRScheduler, GradientClipping, TensorBoard, or subclasses of "
                f"neurodecode.decoders.callbacks.Callback). Got {given!r} instead."
            )
        return list(items)

    def _after_backward(self, module: nn.Module) -> None:
        """The callbacks' gradient hooks (clipping), between backward and step."""
        active = getattr(self, "_active_callbacks", None)
        if active:
            callbacks, state = active
            for callback in callbacks:
                callback.on_after_backward(state)

    def _warn_if_capped(self) -> None:
        """:class:`~neurodecode.exceptions.ConvergenceWarning` when a convex full-batch
        solver (L-BFGS, FISTA) met ``max_epochs`` before the stopping rule. Networks
        trained by Adam or SGD treat ``max_epochs`` as their training budget."""
        if getattr(self, "_capped", False) and self._optimizer_name() in _FULL_BATCH:
            warn_not_converged(self._owner, self._optimizer_name(), int(self.max_epochs),
                               float(self.tol))

    def _fit_module(self, X: np.ndarray, T: np.ndarray, n_outputs: int) -> None:
        """Standardise ``X``, move both to the device and train ``module_`` on them."""
        device = resolve_device(self.device, self._owner)
        generator = make_generator(self.random_state, device, self._owner)
        Xt = self._fit_standardizer(self._as_tensor(X, device))
        Tt = self._as_tensor(T, device, Xt.dtype if T.dtype.kind == "f" else None)
        self.module_ = self._train(Xt, Tt, n_outputs, generator)

    # ------------------------------------------------------------ prediction
    def _outputs(self, X: Any) -> np.ndarray:
        """Module outputs (float64 NumPy) for validated, standardised inputs."""
        X = self._validate_X(X)
        module = self.module_
        param = next(module.parameters())
        was_training = module.training
        module.eval()
        try:
            with torch.no_grad(), thread_budget(2.0 * X.size * 8):
                outs = [self._forward(module, self._standardize(
                    self._as_tensor(X[a:a + _PREDICT_CHUNK], param.device, param.dtype)))
                    for a in range(0, X.shape[0], _PREDICT_CHUNK)]
        finally:
            module.train(was_training)
        return torch.cat(outs).cpu().numpy().astype(np.float64)

    def _linear_weights(self) -> tuple[np.ndarray, np.ndarray | None]:
        """Weight and bias of a single-``Linear`` ``module_`` as float64 arrays."""
        layer = self.module_
        if not isinstance(layer, nn.Linear):
            raise TypeError(f"{self._owner}.module_ is not a torch.nn.Linear layer.")
        weight = layer.weight.detach().cpu().numpy().astype(np.float64)
        bias = None if layer.bias is None else layer.bias.detach().cpu().numpy().astype(
            np.float64)
        return weight, bias

    def _module_dims(self) -> tuple[int, int] | None:
        return (self.n_features_in_, self._n_module_outputs())

    @abstractmethod
    def _n_module_outputs(self) -> int:
        """Width of the module's output layer."""

"""Training callbacks for the torch decoders: checkpoints and resuming, learning-rate
schedules, gradient clipping, TensorBoard logs, or your own (in the spirit of skorch).

Pass them as ``callbacks=[...]`` to a network decoder (:class:`MLPDecoder`,
:class:`RNNDecoder`, :class:`ModuleDecoder` and their classifier twins). The training
loop calls, in order of the list:

- :meth:`Callback.on_train_begin` once the module and the optimizer exist (a
  :class:`Checkpoint` with ``resume=True`` restores its saved state here);
- :meth:`Callback.on_after_backward` after each mini-batch's gradient (clipping);
- :meth:`Callback.on_epoch_end` with the epoch's logs (``train_loss``, ``val_loss``
  and whatever earlier callbacks added, e.g. ``lr``); returning True stops training;
- :meth:`Callback.on_epoch_logged` once the logs are in the history (checkpoints);
- :meth:`Callback.on_train_end`.

Every logged value is kept in the decoder's ``history_``. Early stopping stays the
decoders' own ``early_stopping`` / ``tol`` / ``patience`` rule
(:class:`~neurodecode.decoders._core.EarlyStopping`). A decoder with callbacks is
trained model by model in cross-validation (no stacked fast path).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .._validation import check_choice, check_number

__all__ = ["Callback", "Checkpoint", "GradientClipping", "LRScheduler", "TensorBoard",
           "TrainingState"]


@dataclass
class TrainingState:
    """What callbacks see and may change while a decoder trains.

    Attributes
    ----------
    decoder : TorchDecoder
        The decoder being fitted.
    module : torch.nn.Module
    optimizer : torch.optim.Optimizer
    generator : torch.Generator or None
        The fit's random generator (batch order, dropout masks, validation split).
    history : dict of list of float
        Logs of the finished epochs (becomes ``history_``).
    stop : EarlyStopping
        The stopping rule's state.
    epoch : int
        Epochs done (a resumed run starts from the checkpoint's).
    best_state : dict or None
        Weights of the best validation epoch so far (with ``early_stopping``).
    """

    decoder: Any
    module: nn.Module
    optimizer: torch.optim.Optimizer
    generator: torch.Generator | None
    history: dict[str, list[float]]
    stop: Any
    epoch: int = 0
    best_state: dict[str, torch.Tensor] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class Callback:
    """Base class: override the hooks you need (all do nothing here)."""

    def on_train_begin(self, state: TrainingState) -> None:
        """Called once the module and optimizer exist, before the first epoch."""

    def on_after_backward(self, state: TrainingState) -> None:
        """Called after each mini-batch's backward pass, before the optimizer step."""

    def on_epoch_end(self, state: TrainingState, logs: dict[str, float]) -> bool | None:
        """Called after each epoch with its logs (add entries to log more); return True
        to stop training."""
        return None

    def on_epoch_logged(self, state: TrainingState) -> None:
        """Called after every callback's :meth:`on_epoch_end`, once the epoch's logs are
        in ``state.history`` (where :class:`Checkpoint` saves)."""

    def on_train_end(self, state: TrainingState) -> None:
        """Called when training ends (also after an error)."""

    def state_dict(self) -> dict[str, Any]:
        """State a :class:`Checkpoint` saves to resume this callback (default: none)."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned."""

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items()
                           if not k.endswith("_") and not k.startswith("_"))
        return f"{type(self).__name__}({params})"


class GradientClipping(Callback):
    """Clip the gradient norm of all parameters after each backward pass.

    Parameters
    ----------
    max_norm : float
        Largest allowed norm (``torch.nn.utils.clip_grad_norm_``).
    norm_type : float, default=2.0

    Examples
    --------
    >>> GradientClipping(1.0)
    GradientClipping(max_norm=1.0, norm_type=2.0)
    """

    def __init__(self, max_norm: float, norm_type: float = 2.0) -> None:
        check_number(max_norm, "max_norm", "GradientClipping", low=0, low_inclusive=False)
        check_number(norm_type, "norm_type", "GradientClipping", low=0,
                     low_inclusive=False)
        self.max_norm = max_norm
        self.norm_type = norm_type

    def on_after_backward(self, state: TrainingState) -> None:
        nn.utils.clip_grad_norm_(state.module.parameters(), float(self.max_norm),
                                 norm_type=float(self.norm_type))


_SCHEDULERS = {
    "step": torch.optim.lr_scheduler.StepLR,
    "exponential": torch.optim.lr_scheduler.ExponentialLR,
    "cosine": torch.optim.lr_scheduler.CosineAnnealingLR,
    "plateau": torch.optim.lr_scheduler.ReduceLROnPlateau,
}


class LRScheduler(Callback):
    """Change the learning rate after every epoch with a torch scheduler.

    Parameters
    ----------
    policy : {"step", "exponential", "cosine", "plateau"} or scheduler class
        ``StepLR``, ``ExponentialLR``, ``CosineAnnealingLR`` (``T_max`` defaults to the
        decoder's ``max_epochs``), ``ReduceLROnPlateau`` (stepped with the monitored
        loss: validation with ``early_stopping``, else training), or any
        ``torch.optim.lr_scheduler`` class.
    **kwargs
        Its arguments (e.g. ``step_size=10, gamma=0.5``).

    Notes
    -----
    Logs ``lr`` (the first parameter group's) after each epoch.

    Examples
    --------
    >>> LRScheduler("step", step_size=10, gamma=0.5)
    LRScheduler(policy='step', kwargs={'step_size': 10, 'gamma': 0.5})
    """

    def __init__(self, policy: Any = "step", **kwargs: Any) -> None:
        if isinstance(policy, str):
            check_choice(policy, "policy", tuple(_SCHEDULERS), "LRScheduler")
        elif not (isinstance(policy, type) and hasattr(policy, "step")):
            raise TypeError(
                "The 'policy' parameter of LRScheduler must be one of "
                f"{', '.join(map(repr, _SCHEDULERS))} or a torch.optim.lr_scheduler class. "
                f"Got {policy!r} instead."
            )
        self.policy = policy
        self.kwargs = kwargs

    def on_train_begin(self, state: TrainingState) -> None:
        cls = _SCHEDULERS.get(self.policy, self.policy) if isinstance(self.policy, str) \
            else self.policy
        kwargs = dict(self.kwargs)
        if cls is torch.optim.lr_scheduler.CosineAnnealingLR:
            kwargs.setdefault("T_max", int(state.decoder.max_epochs))
        try:
            self.scheduler_ = cls(state.optimizer, **kwargs)
        except TypeError as err:
            raise TypeError(f"LRScheduler({self.policy!r}) could not be built: {err}.") from None
        if getattr(self, "_pending", None):
            self.scheduler_.load_state_dict(self._pending)
            self._pending = None

    def on_epoch_end(self, state: TrainingState, logs: dict[str, float]) -> None:
        if isinstance(self.scheduler_, torch.optim.lr_scheduler.ReduceLROnPlateau):
            self.scheduler_.step(logs.get("val_loss", logs["train_loss"]))
        else:
            self.scheduler_.step()
        logs["lr"] = float(state.optimizer.param_groups[0]["lr"])

    def state_dict(self) -> dict[str, Any]:
        scheduler = getattr(self, "scheduler_", None)
        return {} if scheduler is None else {"scheduler": scheduler.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        saved = state.get("scheduler")
        scheduler = getattr(self, "scheduler_", None)
        if scheduler is not None and saved is not None:
            scheduler.load_state_dict(saved)
        else:  # built later, in on_train_begin
            self._pending = saved


def _atomic_save(obj: Any, path: Path) -> None:
    tmp = path.with_name(path.name + ".part")
    torch.save(obj, tmp)
    os.replace(tmp, path)


class Checkpoint(Callback):
    """Save the training state after every ``every`` epochs, and the best weights;
    resume an interrupted or extended run from the folder.

    ``folder/last.pt`` holds what a resumed run needs to continue the same trajectory:
    the module's and optimizer's states, the random generators' states, the history,
    the stopping rule and the other callbacks' states. ``folder/best.pt`` holds the
    weights of the epoch with the lowest monitored loss. Both are written atomically and
    read back with ``torch.load(..., weights_only=True)``.

    Parameters
    ----------
    folder : str or Path
        Where to write (created if needed). One folder per fit: a cross-validation
        would overwrite it fold after fold.
    monitor : {"auto", "train_loss", "val_loss"}, default="auto"
        Loss that defines "best": ``val_loss`` with early stopping, else ``train_loss``.
    every : int, default=1
        Epochs between saves of ``last.pt``.
    resume : bool, default=False
        Continue from ``folder/last.pt`` when it exists (the decoder's ``max_epochs``
        counts the epochs already done); start afresh otherwise.

    Examples
    --------
    >>> Checkpoint("runs/mlp", resume=True)
    Checkpoint(folder='runs/mlp', monitor='auto', every=1, resume=True)
    """

    def __init__(self, folder: str | Path, *, monitor: str = "auto", every: int = 1,
                 resume: bool = False) -> None:
        check_choice(monitor, "monitor", ("auto", "train_loss", "val_loss"), "Checkpoint")
        check_number(every, "every", "Checkpoint", low=1, integer=True)
        if not isinstance(resume, bool):
            raise TypeError(f"The 'resume' parameter of Checkpoint must be a bool. "
                            f"Got {resume!r} instead.")
        self.folder = folder
        self.monitor = monitor
        self.every = every
        self.resume = resume

    @property
    def last_path(self) -> Path:
        return Path(self.folder) / "last.pt"

    @property
    def best_path(self) -> Path:
        return Path(self.folder) / "best.pt"

    def on_train_begin(self, state: TrainingState) -> None:
        Path(self.folder).mkdir(parents=True, exist_ok=True)
        self.best_ = float("inf")
        if not (self.resume and self.last_path.is_file()):
            return
        saved = torch.load(self.last_path, map_location="cpu", weights_only=True)
        state.module.load_state_dict(saved["module"])
        state.optimizer.load_state_dict(saved["optimizer"])
        if state.generator is not None and saved.get("generator") is not None:
            state.generator.set_state(saved["generator"])
        torch.set_rng_state(saved["global_rng"])
        state.history.clear()
        state.history.update({k: list(v) for k, v in saved["history"].items()})
        for key, value in saved["stop"].items():
            setattr(state.stop, key, value)
        state.epoch = int(saved["epoch"])
        state.best_state = saved.get("best_state")
        self.best_ = float(saved.get("best", float("inf")))
        for callback, cb_state in zip(state.decoder._callbacks(), saved["callbacks"]):
            if callback is not self:
                callback.load_state_dict(cb_state)

    def _monitored(self, state: TrainingState) -> float:
        logged = [k for k, v in state.history.items() if len(v) == state.epoch]
        key = self.monitor
        if key == "auto":
            key = "val_loss" if "val_loss" in logged else "train_loss"
        if key not in logged:
            raise ValueError(
                f"Checkpoint(monitor={self.monitor!r}) found no {key!r} in the epoch's logs "
                f"({', '.join(logged)}); 'val_loss' needs early_stopping=True."
            )
        return float(state.history[key][-1])

    def on_epoch_logged(self, state: TrainingState) -> None:
        value = self._monitored(state)
        if value < self.best_:
            self.best_ = value
            _atomic_save({"module": state.module.state_dict(), "epoch": state.epoch,
                          "value": value}, self.best_path)
        if state.epoch % int(self.every) == 0:
            _atomic_save({
                "module": state.module.state_dict(),
                "optimizer": state.optimizer.state_dict(),
                "generator": None if state.generator is None else state.generator.get_state(),
                "global_rng": torch.get_rng_state(),
                "history": {k: list(v) for k, v in state.history.items()},
                "stop": {k: v for k, v in vars(state.stop).items()
                         if isinstance(v, (int, float, bool))},
                "epoch": state.epoch,
                "best": self.best_,
                "best_state": state.best_state,
                "callbacks": [cb.state_dict() for cb in state.decoder._callbacks()],
            }, self.last_path)


class TensorBoard(Callback):
    """Write every epoch's logs (losses, learning rate, ...) as TensorBoard scalars.

    Uses ``torch.utils.tensorboard.SummaryWriter``, which needs the ``tensorboard``
    package (``pip install tensorboard``; it is in neurodecode's ``dev`` extra). View
    with ``tensorboard --logdir LOG_DIR``.

    Parameters
    ----------
    log_dir : str or Path
        Folder of the event files.
    prefix : str, optional
        Tag prefix (default: the decoder's class name), e.g. ``MLPDecoder/train_loss``.

    Examples
    --------
    >>> TensorBoard("runs/mlp")
    TensorBoard(log_dir='runs/mlp', prefix=None)
    """

    def __init__(self, log_dir: str | Path, prefix: str | None = None) -> None:
        self.log_dir = log_dir
        self.prefix = prefix

    def on_train_begin(self, state: TrainingState) -> None:
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            raise ImportError(
                "TensorBoard logging needs the tensorboard package, which is not installed: "
                "pip install tensorboard (or pip install 'neurodecode-toolkit[dev]')."
            ) from None
        self.writer_ = SummaryWriter(log_dir=str(self.log_dir))
        self._tag = self.prefix or state.decoder._owner

    def on_epoch_end(self, state: TrainingState, logs: dict[str, float]) -> None:
        for key, value in logs.items():
            self.writer_.add_scalar(f"{self._tag}/{key}", float(value), state.epoch)

    def on_train_end(self, state: TrainingState) -> None:
        writer = getattr(self, "writer_", None)
        if writer is not None:
            writer.close()
        self.writer_ = None  # nothing open is kept (decoders stay picklable)

"""Build decoders from their command-line names, and check they fit the stimulus.

``linear`` and ``mlp`` regress circular and linear stimuli; ``logistic``, ``perceptron``
and ``mlp`` (as :class:`~neurodecode.decoders.MLPClassifierDecoder`) classify categorical
ones. ``bayes`` is the encoding-model Bayesian decoder of :mod:`neurodecode.encoding`,
imported only when asked for.
"""

from __future__ import annotations

from typing import Any

import torch
from sklearn.base import is_classifier

from .config import UserError

__all__ = [
    "applicable_decoders",
    "describe_decoder",
    "load_bayes",
    "make_decoder",
    "resolve_device",
]

_CLASSIFIERS = ("logistic", "lda", "perceptron")
_REGRESSORS = ("linear",)


def resolve_device(device: str) -> str:
    """The torch device a ``--device`` choice stands for on this machine.

    Parameters
    ----------
    device : {"auto", "cpu", "cuda"}
        ``"auto"`` picks CUDA when available, then Apple's MPS, then the CPU.

    Returns
    -------
    str
        ``"cpu"``, ``"cuda"`` or ``"mps"``.

    Raises
    ------
    UserError
        If ``"cuda"`` is asked for and torch sees no CUDA device.

    Examples
    --------
    >>> resolve_device("cpu")
    'cpu'
    """
    if device == "cuda" and not torch.cuda.is_available():
        raise UserError("--device cuda was asked for, but torch sees no CUDA device on this "
                        "machine (torch.cuda.is_available() is False). Use --device auto or cpu.")
    if device != "auto":
        return device
    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    return "mps" if mps is not None and mps.is_available() else "cpu"


def load_bayes(categorical: bool = False) -> type:
    """Import the encoding-model Bayesian decoder from :mod:`neurodecode.encoding`.

    Parameters
    ----------
    categorical : bool, default=False
        Ask for ``BayesianClassifier`` (categorical stimuli) when the module has it;
        otherwise ``BayesianDecoder``.

    Returns
    -------
    type

    Raises
    ------
    UserError
        When this version of neurodecode does not have it (the import error is quoted).
    """
    try:
        from .. import encoding  # type: ignore[attr-defined]

        regressor = encoding.BayesianDecoder
    except (ImportError, AttributeError) as exc:
        raise UserError(
            "The Bayesian decoder (--decoder bayes) is not available in this version of "
            f"neurodecode: neurodecode.encoding.BayesianDecoder cannot be imported ({exc})."
        ) from exc
    return getattr(encoding, "BayesianClassifier", regressor) if categorical else regressor


def bayes_available() -> bool:
    """Whether :func:`load_bayes` succeeds.

    Returns
    -------
    bool
    """
    try:
        load_bayes()
    except UserError:
        return False
    return True


def _decoder_class(name: str, categorical: bool) -> type:
    from ..decoders import (
        LDADecoder,
        LinearDecoder,
        LogisticDecoder,
        MLPClassifierDecoder,
        MLPDecoder,
        PerceptronDecoder,
    )

    if name == "bayes":
        return load_bayes(categorical)
    if name == "mlp":
        return MLPClassifierDecoder if categorical else MLPDecoder
    return {"linear": LinearDecoder, "logistic": LogisticDecoder, "lda": LDADecoder,
            "perceptron": PerceptronDecoder}[name]


def _check_fits(name: str, est: Any, categorical: bool, stimulus: str, kind: str) -> None:
    if categorical and not is_classifier(est):
        raise UserError(
            f"--decoder {name} is a regression decoder but the stimulus {stimulus!r} is "
            f"{kind}; use a classifier: logistic, lda, perceptron or mlp."
        )
    if not categorical and is_classifier(est):
        raise UserError(
            f"--decoder {name} is a classifier but the stimulus {stimulus!r} is {kind}; add "
            "--bins N to decode it as N classes (Recording.bin_stimulus), or use a "
            "regression decoder: linear or mlp."
        )


def make_decoder(name: str, *, categorical: bool, stimulus: str = "stimulus",
                 kind: str = "categorical", penalties: dict[str, float] | None = None,
                 strict: bool = True, seed: int = 0, device: str = "cpu",
                 **extra: Any) -> Any:
    """A decoder by name, with the penalties, seed and device it accepts.

    Parameters
    ----------
    name : {"linear", "mlp", "logistic", "lda", "perceptron", "bayes"}
    categorical : bool
        Whether the stimulus (after any binning) is categorical.
    stimulus, kind : str
        Column name and kind of the stimulus, for error messages.
    penalties : dict, optional
        ``l1``, ``l2``, ``dropout`` values (None entries are left at the decoder's
        default).
    strict : bool, default=True
        Raise when the decoder has no parameter for a given penalty; otherwise ignore it.
    seed : int, default=0
        ``random_state``.
    device : str, default="cpu"
    **extra
        Other parameters (``max_epochs``...), set when the decoder has them.

    Returns
    -------
    estimator

    Raises
    ------
    UserError
        For a decoder that does not fit the stimulus kind, a penalty it does not have
        (``strict``), or ``bayes`` when it is not available.
    """
    est = _decoder_class(name, categorical)()
    _check_fits(name, est, categorical, stimulus, kind)
    valid = est.get_params(deep=False)
    params: dict[str, Any] = {"random_state": seed, "device": device, **extra}
    for key, value in (penalties or {}).items():
        if value is None:
            continue
        if key not in valid:
            if strict:
                raise UserError(f"--decoder {name} ({type(est).__name__}) has no {key!r} "
                                f"parameter; drop --{key} or choose another decoder.")
            continue
        params[key] = value
    return est.set_params(**{k: v for k, v in params.items() if k in valid})


def decoder_for(name: str, categorical: bool) -> str:
    """``--decoder``'s choice, with ``auto`` resolved by the stimulus kind: logistic
    regression for categories, the linear decoder otherwise.

    Examples
    --------
    >>> decoder_for("auto", True), decoder_for("auto", False), decoder_for("mlp", True)
    ('logistic', 'linear', 'mlp')
    """
    if name != "auto":
        return name
    return "logistic" if categorical else "linear"


def applicable_decoders(categorical: bool) -> list[str]:
    """The decoder names that fit a stimulus (``bayes`` only when it is available).

    Parameters
    ----------
    categorical : bool

    Returns
    -------
    list of str

    Examples
    --------
    >>> applicable_decoders(False)[:2]
    ['linear', 'mlp']
    """
    names = ["logistic", "lda", "perceptron", "mlp"] if categorical else ["linear", "mlp"]
    if bayes_available() and is_classifier(load_bayes(categorical)()) == categorical:
        names.append("bayes")
    return names


def describe_decoder(est: Any) -> str:
    """A short description: class name and the settings that differ from its defaults.

    Parameters
    ----------
    est : estimator

    Returns
    -------
    str

    Examples
    --------
    >>> from neurodecode.decoders import LinearDecoder
    >>> describe_decoder(LinearDecoder(l2=0.1))
    'LinearDecoder(l2=0.1)'
    """
    defaults = type(est)().get_params(deep=False)
    changed = {k: v for k, v in est.get_params(deep=False).items()
               if k not in ("random_state", "device", "progress") and v != defaults.get(k)}
    return f"{type(est).__name__}({', '.join(f'{k}={v!r}' for k, v in changed.items())})"

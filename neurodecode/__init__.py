"""neurodecode: decode stimuli and behaviour from neural population recordings.

Subpackages
-----------
data
    :class:`~neurodecode.data.Recording`, loaders (NWB, HDF5, NPZ, MATLAB) and the
    synthetic orientation-tuned population generator.
decoders
    Linear, ReLU-network, logistic and perceptron decoders: scikit-learn estimators
    with the same ``l1``, ``l2`` and ``dropout`` everywhere, on CPU or GPU.
encoding
    Tuning-curve encoding models for all neurons at once, Bayesian decoding by
    inverting them, and the encoding-vs-decoding comparison.
evaluate
    Cross-validated decoding, comparisons and sweeps with paired statistics, metrics
    and figures.

The subpackages load on first use (PEP 562), so ``import neurodecode`` and
``neurodecode --help`` do not import torch, pynwb or matplotlib.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["Recording", "__version__", "data", "decoders", "encoding", "evaluate",
           "limit_threads"]

_SUBPACKAGES = frozenset({"data", "decoders", "encoding", "evaluate"})
# public name -> the module that defines it
_NAMES = {"Recording": "data", "limit_threads": "_threads"}

if TYPE_CHECKING:  # what static tools see; at run time __getattr__ loads these
    from . import data, decoders, encoding, evaluate
    from ._threads import limit_threads
    from .data import Recording


def __getattr__(name: str) -> Any:
    """Import a subpackage, or the subpackage defining a public name, on first access.

    An ``ImportError`` raised while importing it propagates unchanged.
    """
    if name in _SUBPACKAGES:
        value = importlib.import_module(f"{__name__}.{name}")
    elif name in _NAMES:
        value = getattr(importlib.import_module(f"{__name__}.{_NAMES[name]}"), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # later look-ups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

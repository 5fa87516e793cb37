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
"""

__version__ = "0.1.0"

from . import data, decoders, encoding, evaluate
from .data import Recording

__all__ = ["Recording", "__version__", "data", "decoders", "encoding", "evaluate"]

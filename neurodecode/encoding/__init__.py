"""Encoding models (stimulus -> responses), Bayesian decoding by inverting them, and the
comparison of encoding and decoding on the same cross-validation folds.

- :mod:`~neurodecode.encoding.basis`: von Mises / Fourier (circular), B-spline (linear)
  and one-hot (categorical) expansions of the stimulus.
- :class:`TuningModel`: ridge (Gaussian) or Poisson-GLM tuning curves of all neurons at
  once; :func:`cross_validate_tuning` scores them neuron by neuron on held-out trials.
- :class:`BayesianDecoder`, :class:`BayesianClassifier`: scikit-learn compatible decoders
  that invert the fitted tuning curves (posterior over a stimulus grid).
- :func:`encoding_vs_decoding`: encoding quality, Bayesian and direct decoders, and
  uncertainty vs error, on identical folds, with a figure.
"""

from .basis import (
    FourierBasis,
    OneHotBasis,
    SplineBasis,
    StimulusBasis,
    VonMisesBasis,
    make_basis,
)
from .bayes import BayesianClassifier, BayesianDecoder
from .compare import (
    EncodingDecodingResult,
    TuningResult,
    cross_validate_tuning,
    encoding_vs_decoding,
)
from .tuning import TuningModel, preferred_stimulus, tuning_width

__all__ = [
    "BayesianClassifier",
    "BayesianDecoder",
    "EncodingDecodingResult",
    "FourierBasis",
    "OneHotBasis",
    "SplineBasis",
    "StimulusBasis",
    "TuningModel",
    "TuningResult",
    "VonMisesBasis",
    "cross_validate_tuning",
    "encoding_vs_decoding",
    "make_basis",
    "preferred_stimulus",
    "tuning_width",
]

"""neurodecode: decode stimuli and behaviour from neural population recordings.

Subpackages
-----------
data
    :class:`~neurodecode.data.Recording`, loaders (NWB, HDF5, NPZ, MATLAB) and the
    synthetic orientation-tuned population generator.
evaluate
    Cross-validated decoding, comparisons and sweeps with paired statistics, metrics
    and figures.
"""

__version__ = "0.1.0"

from . import data, evaluate
from .data import Recording

__all__ = ["Recording", "__version__", "data", "evaluate"]

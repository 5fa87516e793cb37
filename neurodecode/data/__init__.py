"""Turn recordings into :class:`Recording` objects (and from there into torch tensors).

Loaders read NWB (spike-sorted units or ROI responses, cut into trials by an intervals
table), plain HDF5, NPZ (the Stringer orientation layout) and MATLAB files; the synthetic
generator builds orientation-tuned populations with known ground truth.
"""

from ._recording import Recording
from .binning import add_history, align_behavior, bin_recording, bin_spikes, count_spikes, rebin
from .synthetic import PopulationTruth, orientation_population

__all__ = [
    "PopulationTruth",
    "Recording",
    "add_history",
    "align_behavior",
    "bin_recording",
    "bin_spikes",
    "count_spikes",
    "orientation_population",
    "rebin",
]

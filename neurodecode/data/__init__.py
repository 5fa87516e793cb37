"""Turn recordings into :class:`Recording` objects (and from there into torch tensors).

Loaders read NWB (spike-sorted units or ROI responses, cut into trials by an intervals
table), plain HDF5, NPZ (the Stringer orientation layout) and MATLAB files; the synthetic
generator builds orientation-tuned populations with known ground truth.
"""

from ._recording import Recording
from .binning import add_history, align_behavior, bin_recording, bin_spikes, count_spikes, rebin
from .datasets import load_park_v1, load_peyrache_hd, load_stevenson_m1
from .hdf5 import load_hdf5, load_npz
from .matlab import load_mat
from .nwb import format_inspection, inspect_nwb, load_nwb, save_nwb
from .synthetic import PopulationTruth, orientation_population

__all__ = [
    "PopulationTruth",
    "Recording",
    "add_history",
    "align_behavior",
    "bin_recording",
    "bin_spikes",
    "count_spikes",
    "format_inspection",
    "inspect_nwb",
    "load_hdf5",
    "load_mat",
    "load_npz",
    "load_nwb",
    "load_park_v1",
    "load_peyrache_hd",
    "load_stevenson_m1",
    "orientation_population",
    "rebin",
    "save_nwb",
]

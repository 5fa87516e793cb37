"""Turn recordings into :class:`Recording` objects (and from there into torch tensors).

Loaders read NWB (spike-sorted units or ROI responses, cut into trials by an intervals
table), plain HDF5, NPZ (the Stringer orientation layout) and MATLAB files; the synthetic
generator builds orientation-tuned populations with known ground truth.

Each name loads its module on first use (PEP 562), so ``from neurodecode.data import
Recording`` does not import pynwb, h5py or scipy.io.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = [
    "PopulationTruth",
    "TimeCourseTruth",
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
    "load_known",
    "load_nwb",
    "load_park_v1",
    "load_peyrache_hd",
    "load_stevenson_m1",
    "orientation_population",
    "time_resolved_population",
    "rebin",
    "recognise_layout",
    "save_nwb",
]

_MODULES = {  # module -> the public names it defines
    "_recording": ("Recording",),
    "binning": ("add_history", "align_behavior", "bin_recording", "bin_spikes",
                "count_spikes", "rebin"),
    "datasets": ("load_known", "load_park_v1", "load_peyrache_hd", "load_stevenson_m1"),
    "layouts": ("recognise_layout",),
    "hdf5": ("load_hdf5", "load_npz"),
    "matlab": ("load_mat",),
    "nwb": ("format_inspection", "inspect_nwb", "load_nwb", "save_nwb"),
    "synthetic": ("PopulationTruth", "TimeCourseTruth", "orientation_population",
                  "time_resolved_population"),
}
_WHERE = {name: module for module, names in _MODULES.items() for name in names}

if TYPE_CHECKING:  # what static tools see; at run time __getattr__ loads these
    from ._recording import Recording
    from .binning import (
        add_history,
        align_behavior,
        bin_recording,
        bin_spikes,
        count_spikes,
        rebin,
    )
    from .datasets import load_known, load_park_v1, load_peyrache_hd, load_stevenson_m1
    from .hdf5 import load_hdf5, load_npz
    from .layouts import recognise_layout
    from .matlab import load_mat
    from .nwb import format_inspection, inspect_nwb, load_nwb, save_nwb
    from .synthetic import (
        PopulationTruth,
        TimeCourseTruth,
        orientation_population,
        time_resolved_population,
    )


def __getattr__(name: str) -> Any:
    """Import the module that defines a public name on first access.

    An ``ImportError`` raised while importing it propagates unchanged.
    """
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    globals()[name] = value  # later look-ups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

"""The known file layouts of the shared recordings, recognised by their variables.

Kept apart from :mod:`neurodecode.data.datasets` (the loaders) so that recognising a
file costs no heavy imports: ``neurodecode inspect`` uses it.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["KNOWN_LAYOUTS", "recognise_layout"]


#: Layouts recognised by their variables: name -> (variables the file must hold,
#: what it decodes by default, the other targets, a description).
KNOWN_LAYOUTS: dict[str, tuple[frozenset[str], str, tuple[str, ...], str]] = {
    "park_v1": (frozenset({"D", "TE", "t"}), "direction", ("direction", "orientation"),
                "Park et al. V1 two-photon gratings (trials: mean response 0-2 s)"),
    "peyrache_hd": (frozenset({"Qrun", "angRun"}), "head_direction", ("head_direction",),
                    "Peyrache et al. ADn head-direction cells (10 ms bins, wake)"),
    "stevenson_m1": (frozenset({"spikes", "handVel", "handPos", "time"}), "velocity",
                     ("velocity", "position"),
                     "Stevenson et al. M1 reaching (50 ms bins, hand kinematics)"),
}


def recognise_layout(path: str | Path) -> str | None:
    """The known layout (a key of :data:`KNOWN_LAYOUTS`) a MATLAB file has, or None.

    Recognised by the names of its variables, read without loading the data.

    Parameters
    ----------
    path : str or Path
        A MATLAB v5 file (anything else, including v7.3/HDF5 files, or a file that
        cannot be read, gives None).

    Returns
    -------
    str or None
        ``"park_v1"``, ``"peyrache_hd"``, ``"stevenson_m1"`` or None.

    Examples
    --------
    >>> recognise_layout("no_such_file.mat") is None
    True
    """
    from scipy.io import whosmat

    try:
        with open(path, "rb") as f:
            if not f.read(128).startswith(b"MATLAB 5.0"):  # the layouts are MATLAB v5
                return None
        names = {entry[0] for entry in whosmat(str(path))}
    except (OSError, ValueError):  # unreadable, or a damaged v5 file
        return None
    for name, (needed, *_rest) in KNOWN_LAYOUTS.items():
        if needed <= names:
            return name
    return None

"""Load recordings stored as plain arrays: HDF5 datasets and NumPy ``.npz`` archives.

:func:`load_hdf5` reads a responses matrix, a stimulus and optional per-trial columns
from named datasets of an HDF5 file; :func:`load_npz` reads the widely shared Stringer
orientation layout (``resp``: neurons x stimuli, ``istim``: grating angle in radians).
Both find out which axis of the responses holds the neurons by comparing it with the
stimulus length, so ``neurons x samples`` and ``samples x neurons`` files load alike.
:func:`load_hdf5` also reads 3-D responses (each trial's responses over time) when
``axes`` names the stored order of trials, times and neurons and ``epoch_times`` gives
the time points.

The private helpers at the bottom (orienting arrays, reading columns, wrapping circular
values) are shared with :mod:`neurodecode.data.matlab`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from .._typing import ArrayLike, ResponseType, StimulusKind
from .._validation import as_numpy, check_choice, format_available, not_found
from ..exceptions import DataFormatError
from ._recording import Recording

__all__ = ["load_hdf5", "load_npz"]

ColumnSpec = Sequence[str] | Mapping[str, str]
"""Per-trial columns: a list of paths (named by their last component) or ``{name: path}``."""


def load_hdf5(
    path: str | Path,
    *,
    responses: str,
    stimulus: str,
    kind: StimulusKind,
    period: float | None = None,
    neurons_axis: int | None = None,
    stimulus_columns: int | Sequence[int] | None = None,
    response_type: ResponseType = "continuous",
    trials: ColumnSpec | None = None,
    bin_size: float | None = None,
    times: str | None = None,
    axes: AxesSpec | None = None,
    epoch_times: str | ArrayLike | None = None,
) -> Recording:
    """Load a recording from datasets of an HDF5 file.

    The file is opened read-only with h5py and closed before returning; every dataset
    named is read into memory.

    Parameters
    ----------
    path : str or Path
        The HDF5 file (``.h5``, ``.hdf5``; MATLAB v7.3 files are better read with
        :func:`neurodecode.data.matlab.load_mat`, which undoes MATLAB's transposition).
    responses : str
        Path of the responses dataset inside the file (``"group/dataset"``), 2-D:
        ``(n_neurons, n_samples)`` or ``(n_samples, n_neurons)``. A 1-D dataset is one
        neuron. A 3-D dataset holds each trial's responses over time: give its axis
        order with ``axes`` and the time points with ``epoch_times``.
    stimulus : str
        Path of the stimulus dataset, of shape ``(n_samples,)``, or
        ``(n_samples, n_outputs)`` / ``(n_outputs, n_samples)`` for a multi-output
        linear stimulus. String datasets are decoded (for categorical stimuli).
    kind : {"circular", "linear", "categorical"}
        What the stimulus is; see :class:`~neurodecode.data.Recording`.
    period : float, optional
        Period of a circular stimulus in its own units (180, 360, ``2 * pi``).
    neurons_axis : {0, 1}, optional
        Which axis of the responses dataset holds the neurons. When None it is inferred:
        the neurons axis is the one whose length differs from the stimulus length.
    stimulus_columns : int or sequence of int, optional
        For a 2-D stimulus: which outputs to keep once it is oriented as
        ``(n_samples, n_outputs)``. An int gives a 1-D stimulus (e.g. the angle column
        of a ``(time, angle)`` table), a sequence keeps several (``(0, 1)`` for x and y).
    response_type : {"counts", "continuous"}, default="continuous"
        ``"counts"`` for spike counts, ``"continuous"`` for rates or fluorescence.
    trials : sequence of str, or mapping of str to str, optional
        Per-trial columns: dataset paths, each of length ``n_samples``. A sequence names
        each column after the last path component (``"behavior/pupil"`` -> ``"pupil"``);
        a mapping gives ``{column name: dataset path}``.
    bin_size : float, optional
        Bin width in seconds when samples are consecutive time bins.
    times : str, optional
        Path of a dataset of sample times in seconds, of length ``n_samples``.
    axes : sequence of str, or str, optional
        Required for 3-D responses and only for them: the name of each stored axis, in
        order, ``"trials"``, ``"times"`` and ``"neurons"`` each once, as a tuple
        (``("neurons", "trials", "times")``) or one comma-separated string
        (``"neurons,trials,times"``). ``neurons_axis`` must then be None.
    epoch_times : str or array-like of shape (n_times,), optional
        Required for 3-D responses and only for them: the time of each time point in
        seconds from the aligning event (strictly increasing), as the path of a dataset
        or as an array.

    Returns
    -------
    Recording
        Responses as ``(n_samples, n_neurons)`` float32, or ``(n_trials, n_times,
        n_neurons)`` with ``epoch_times`` for 3-D responses; ``meta`` holds the file
        name (``"source"``), the full path, ``"format": "hdf5"``, the dataset paths, the
        neurons axis used and, for 3-D responses, ``"axes"``.

    Raises
    ------
    ValueError
        If a dataset does not exist (the message lists every dataset in the file with
        its shape), on invalid ``kind``, ``period``, ``neurons_axis`` or ``axes``, or
        ``axes`` and ``epoch_times`` given for 2-D responses, or missing or of the wrong
        length for 3-D ones.
    DataFormatError
        A ``ValueError`` subclass: the file is not HDF5, a path names a group, the
        shapes disagree (the message gives both shapes and the axis expected), both
        axes of the responses match the stimulus length so ``neurons_axis`` is needed,
        or 3-D responses come without ``axes``.

    Examples
    --------
    >>> import h5py, numpy as np, tempfile, os
    >>> from neurodecode.data.hdf5 import load_hdf5
    >>> path = os.path.join(tempfile.mkdtemp(), "session.h5")
    >>> with h5py.File(path, "w") as f:
    ...     f["traces/dff"] = np.ones((3, 4))          # 3 neurons x 4 trials
    ...     f["stim/ori"] = [0.0, 45.0, 90.0, 135.0]
    ...     f["stim/contrast"] = [1.0, 0.5, 1.0, 0.5]
    >>> rec = load_hdf5(path, responses="traces/dff", stimulus="stim/ori",
    ...                 kind="circular", period=180, trials=["stim/contrast"])
    >>> rec
    Recording(4 trials x 3 neurons, stimulus: circular, period 180, source session.h5)
    >>> rec.trials["contrast"].tolist(), rec.meta["neurons_axis"]
    ([1.0, 0.5, 1.0, 0.5], 0)
    >>> with h5py.File(path, "a") as f:
    ...     f["traces/over_time"] = np.ones((3, 4, 5))  # neurons x trials x frames
    ...     f["traces/t"] = np.arange(5) * 0.5 - 1.0
    >>> load_hdf5(path, responses="traces/over_time", stimulus="stim/ori", kind="circular",
    ...           period=180, axes=("neurons", "trials", "times"), epoch_times="traces/t")
    Recording(4 trials x 5 times (-1 to 1 s) x 3 neurons, stimulus: circular, period 180, ...)
    """
    path = _existing_file(path, "load_hdf5")
    for name, value in (("responses", responses), ("stimulus", stimulus)):
        if not isinstance(value, str):
            raise TypeError(f"The {name!r} parameter of load_hdf5 must be a str naming a "
                            f"dataset (e.g. 'resp' or 'data/resp'); got {value!r}.")
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise DataFormatError(
            f"{path.name} could not be opened as an HDF5 file ({exc}). MATLAB v5 .mat files "
            "are not HDF5: read them with neurodecode.data.matlab.load_mat."
        ) from None
    with f:
        def read(name: str) -> np.ndarray:
            return _read_dataset(f, name, path.name)

        resp = read(responses)
        stim = read(stimulus)
        resp, stim, orient = _orient_responses(resp, stim, neurons_axis, axes, responses,
                                               stimulus, "load_hdf5")
        stim = _select_stimulus_columns(stim, stimulus_columns, stimulus)
        n = len(resp)
        trial_table = {name: _as_column(read(p), n, p) for name, p in
                       _column_paths(trials, "/").items()}
        times_arr = None if times is None else _as_column(read(times), n, times)
        epochs = (read(epoch_times) if isinstance(epoch_times, str) else epoch_times)
    epochs = _epoch_times(epochs, resp, _describe_epoch(epoch_times), "load_hdf5")
    meta = {"source": path.name, "path": str(path), "format": "hdf5",
            "responses": responses, "stimulus": stimulus, **orient}
    if isinstance(epoch_times, str):
        meta["epoch_times"] = epoch_times
    return Recording(resp, stim, kind=kind, period=period, response_type=response_type,
                     trials=trial_table, bin_size=bin_size, times=times_arr, meta=meta,
                     epoch_times=epochs)


def load_npz(
    path: str | Path,
    *,
    responses: str = "resp",
    stimulus: str = "istim",
    kind: StimulusKind = "circular",
    period: float = 180.0,
    units: str = "radians",
    neurons_axis: int | None = 0,
) -> Recording:
    """Load a NumPy ``.npz`` archive, by default in the Stringer orientation layout.

    The layout shared with Stringer et al.'s orientation recordings holds ``resp``
    (neurons x stimuli) and ``istim``, the grating angle in **radians** from 0 to
    ``2 * pi`` (the drift direction). By default the angle is converted to **degrees**
    and folded to **orientation**: ``stimulus = degrees(istim) % 180`` with
    ``period=180``; pass ``period=360.0`` to keep the drift direction. The raw values
    are kept in ``trials[stimulus]`` (e.g. ``trials["istim"]``).

    Parameters
    ----------
    path : str or Path
        The ``.npz`` file; it is read with ``np.load(path, allow_pickle=False)``.
    responses : str, default="resp"
        Key of the responses array (2-D).
    stimulus : str, default="istim"
        Key of the stimulus array.
    kind : {"circular", "linear", "categorical"}, default="circular"
        What the stimulus is. ``period`` and ``units`` are used only when it is
        circular; other kinds are loaded as stored.
    period : float, default=180.0
        Period of the returned circular stimulus **in degrees**: 180 for orientation,
        360 for direction.
    units : {"radians", "degrees"}, default="radians"
        Units of the stored circular stimulus; the returned one is always in degrees.
    neurons_axis : {0, 1} or None, default=0
        Axis of ``resp`` that holds the neurons (0 in the Stringer layout); None infers
        it from the stimulus length as :func:`load_hdf5` does.

    Returns
    -------
    Recording
        ``meta["format"] == "npz"``; for circular stimuli ``meta["units"] == "degrees"``.

    Raises
    ------
    ValueError
        If a key is missing (the message lists the keys in the file with their shapes),
        ``units`` is unknown, or the shapes disagree.
    DataFormatError
        If the file is not an ``.npz`` archive (a plain ``.npy`` array, say).

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from neurodecode.data.hdf5 import load_npz
    >>> path = os.path.join(tempfile.mkdtemp(), "stringer.npz")
    >>> np.savez(path, resp=np.ones((5, 4)), istim=np.array([0, 0.5, 1, 1.5]) * np.pi)
    >>> rec = load_npz(path)
    >>> rec.stimulus.tolist()
    [0.0, 90.0, 0.0, 90.0]
    >>> load_npz(path, period=360.0).stimulus.tolist()
    [0.0, 90.0, 180.0, 270.0]
    """
    path = _existing_file(path, "load_npz")
    check_choice(units, "units", ("radians", "degrees"), "load_npz")
    try:
        archive = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise DataFormatError(
            f"{path.name} could not be read as an .npz archive ({exc})."
        ) from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise DataFormatError(
            f"{path.name} holds a single array of shape {np.shape(archive)}, not an .npz "
            "archive of named arrays. Save it with np.savez(path, resp=..., istim=...)."
        )
    with archive:
        available = []
        for k in archive.files:
            try:
                available.append(f"{k} {archive[k].shape}")
            except ValueError:  # an object array: described, never unpickled
                available.append(f"{k} (Python objects)")

        def read(key: str) -> np.ndarray:
            if key not in archive.files:
                raise not_found("Array", key, f"the .npz archive {path.name}", available)
            try:
                return archive[key]
            except ValueError as exc:
                if "allow_pickle" in str(exc):
                    raise DataFormatError(
                        f"{key!r} in {path.name} is an array of Python objects, which "
                        "neurodecode does not unpickle (it could run code). Save numbers: "
                        "np.savez(path, resp=np.asarray(resp, dtype=float), ...)."
                    ) from None
                raise

        resp, stim = read(responses), read(stimulus)
    resp, stim, axis = _orient(resp, stim, neurons_axis, responses, stimulus, "load_npz")
    meta: dict[str, Any] = {"source": path.name, "path": str(path), "format": "npz",
                            "responses": responses, "stimulus": stimulus,
                            "neurons_axis": axis}
    trial_table: dict[str, np.ndarray] = {}
    out_period: float | None = None
    if kind == "circular":
        raw = as_numpy(stim, stimulus, dtype=np.float64, ndim=1, owner="load_npz")
        degrees = np.degrees(raw) if units == "radians" else raw
        stim = _wrap_circular(degrees, period)
        trial_table[stimulus] = raw
        out_period = period
        meta.update(units="degrees", stored_units=units)
    return Recording(resp, stim, kind=kind, period=out_period, trials=trial_table, meta=meta)


# ---------------------------------------------------------------------- shared helpers
def _wrap_circular(values: np.ndarray, period: float) -> np.ndarray:
    """Wrap circular values into ``[0, period)``.

    Unlike a bare ``values % period``, tiny negative values that round up to exactly
    ``period`` are mapped to 0, so the result always passes Recording's range check.

    Examples
    --------
    >>> _wrap_circular(np.array([-1e-18, 180.0, 270.0]), 180.0).tolist()
    [0.0, 0.0, 90.0]
    """
    out = np.mod(np.asarray(values, dtype=np.float64), period)
    return np.where(out >= period, 0.0, out)


def _existing_file(path: Any, owner: str) -> Path:
    """``path`` as a Path, or a clear error: no such file, a folder, not a path."""
    if not isinstance(path, (str, Path)) or isinstance(path, bool):
        raise TypeError(f"The 'path' parameter of {owner} must be a str or Path; got "
                        f"{type(path).__name__}.")
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder; {owner} reads a file inside it.")
    if not path.exists():
        raise FileNotFoundError(f"No such file: '{path}' ({owner}).")
    return path


def _read_dataset(f: h5py.File, name: str, source: str) -> np.ndarray:
    """Read one dataset, listing every dataset of the file when it does not exist."""
    obj = f.get(name)
    if obj is None:
        raise not_found("Dataset", name, f"HDF5 file {source}", _list_datasets(f))
    if not isinstance(obj, h5py.Dataset):
        inside = [f"{name.rstrip('/')}/{d}" for d in _list_datasets(obj)]
        raise DataFormatError(
            f"{name!r} in {source} is a group, not a dataset. Datasets in it: "
            f"{format_available(inside)}."
        )
    if h5py.check_string_dtype(obj.dtype) is not None:
        return np.asarray(obj.asstr()[()], dtype=str)
    data = np.asarray(obj[()])
    if data.dtype.kind == "S":
        data = np.char.decode(data, "utf-8")
    return data


def _list_datasets(group: h5py.Group) -> list[str]:
    """``"path (shape)"`` for every dataset below ``group``, found with ``visititems``."""
    found: list[str] = []

    def visit(name: str, obj: Any) -> None:
        if isinstance(obj, h5py.Dataset):
            found.append(f"{name} {obj.shape}")

    group.visititems(visit)
    return found


def _column_paths(spec: ColumnSpec | None, sep: str) -> dict[str, str]:
    """Turn a list of paths or a ``{name: path}`` mapping into ``{name: path}``."""
    if spec is None:
        return {}
    if isinstance(spec, str):
        raise TypeError(
            f"The 'trials' parameter must be a list of paths or a mapping of column name to "
            f"path; got the single string {spec!r}. Use trials=[{spec!r}]."
        )
    if isinstance(spec, Mapping):
        return {str(k): str(v) for k, v in spec.items()}
    out: dict[str, str] = {}
    for p in spec:
        name = str(p).rstrip(sep).rsplit(sep, 1)[-1]
        if name in out:
            raise ValueError(
                f"Two trial columns would both be called {name!r} ({out[name]!r} and {p!r}). "
                "Name them with a mapping: trials={'name': 'path', ...}."
            )
        out[name] = str(p)
    return out


def _as_column(values: np.ndarray, n_samples: int, name: str) -> np.ndarray:
    """Check that a per-sample column has one value per sample (squeezing ``(n, 1)``)."""
    arr = np.asarray(values)
    if arr.ndim == 2 and 1 in arr.shape:
        arr = arr.reshape(-1)
    if arr.ndim != 1 or len(arr) != n_samples:
        raise DataFormatError(
            f"{name!r} must hold one value per sample ({n_samples}); it has shape {arr.shape}."
        )
    return arr


def _orient(resp: np.ndarray, stim: np.ndarray, neurons_axis: int | None, resp_name: str,
            stim_name: str, owner: str) -> tuple[np.ndarray, np.ndarray, int]:
    """Return responses as (n_samples, n_neurons), the stimulus samples-first, the axis.

    The neurons axis of 2-D responses is ``neurons_axis`` when given, otherwise the axis
    whose length is not a stimulus length. A 2-D stimulus is transposed when its
    columns, not its rows, are the samples.
    """
    resp, stim = np.asarray(resp), np.asarray(stim)
    if neurons_axis is not None:
        check_choice(neurons_axis, "neurons_axis", (0, 1), owner)
    if resp.ndim == 1:
        resp = resp[:, None]
        neurons_axis = 1
    if resp.ndim != 2:
        more = (" or 3-D with axes=(...) naming each axis (trials, times, neurons)"
                if owner in ("load_hdf5", "load_mat") else "")
        raise DataFormatError(
            f"responses {resp_name!r} must be 2-D (neurons x samples or samples x "
            f"neurons){more}; got shape {resp.shape}. Reduce the other axes first (e.g. "
            "average a time window of trials x neurons x time arrays)."
        )
    if stim.ndim not in (1, 2):
        raise DataFormatError(
            f"stimulus {stim_name!r} must be 1-D, or 2-D for several outputs; got shape "
            f"{stim.shape}."
        )
    lengths = set(stim.shape)
    shapes = (f"responses {resp_name!r} have shape {resp.shape} and stimulus {stim_name!r} "
              f"has shape {stim.shape}")
    if neurons_axis is None:
        matches = [ax for ax in (0, 1) if resp.shape[ax] in lengths]
        if len(matches) == 2:
            raise DataFormatError(
                f"Cannot tell which axis holds the neurons: {shapes}, so both axes of the "
                "responses match a stimulus length. Pass neurons_axis=0 (neurons x samples) "
                "or neurons_axis=1 (samples x neurons)."
            )
        if not matches:
            raise DataFormatError(
                f"{shapes}: neither axis of the responses has as many samples as the "
                "stimulus. Expected one axis of the responses to match the stimulus length."
            )
        neurons_axis = 1 - matches[0]
    sample_axis = 1 - neurons_axis
    n = resp.shape[sample_axis]
    if n not in lengths:
        other = ("" if resp.shape[neurons_axis] not in lengths else
                 f" Axis {neurons_axis} matches; try neurons_axis={sample_axis}.")
        raise DataFormatError(
            f"{shapes}. With neurons_axis={neurons_axis}, axis {sample_axis} of the responses "
            f"({n} samples) was expected to match the stimulus length.{other}"
        )
    if sample_axis == 1:
        resp = resp.T
    if stim.ndim == 2 and stim.shape[0] != n:
        stim = stim.T
    return resp, stim, int(neurons_axis)


_AXES = ("trials", "times", "neurons")
AxesSpec = str | Sequence[str]
"""Axis order of 3-D responses: ``("neurons", "trials", "times")`` or ``"neurons,trials,times"``."""


def _parse_axes(axes: AxesSpec, owner: str) -> tuple[str, ...]:
    """The names of the three stored axes, checked: each of trials, times, neurons once."""
    names: list[Any] = ([a.strip() for a in axes.split(",")] if isinstance(axes, str)
                        else list(axes) if isinstance(axes, Sequence) else [])
    if sorted(map(str, names)) != sorted(_AXES) or not all(isinstance(n, str) for n in names):
        raise ValueError(
            f"The 'axes' parameter of {owner} must name each axis of the 3-D responses once, "
            "in the stored order, with 'trials', 'times' and 'neurons' (e.g. "
            f"axes=('neurons', 'trials', 'times') or axes='trials,times,neurons'). Got "
            f"{axes!r} instead."
        )
    return tuple(names)


def _orient_responses(resp: np.ndarray, stim: np.ndarray, neurons_axis: int | None,
                      axes: AxesSpec | None, resp_name: str, stim_name: str, owner: str
                      ) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Responses as (n_samples, n_neurons), or (n_trials, n_times, n_neurons) when 3-D.

    2-D responses go through :func:`_orient` (``axes`` refused); 3-D ones need ``axes``
    (``neurons_axis`` refused). Returns the responses, the stimulus samples-first and
    the meta entries saying how the axes were read.
    """
    resp = np.asarray(resp)
    if resp.ndim != 3:
        if axes is not None:
            raise ValueError(
                f"The 'axes' parameter of {owner} names the axes of 3-D responses (trials, "
                f"times and neurons in any order); responses {resp_name!r} have shape "
                f"{resp.shape}. Leave axes=None (neurons_axis orients 2-D responses)."
            )
        resp, stim, axis = _orient(resp, stim, neurons_axis, resp_name, stim_name, owner)
        return resp, stim, {"neurons_axis": axis}
    if axes is None:
        raise DataFormatError(
            f"responses {resp_name!r} have shape {resp.shape}: 3-D responses need their axis "
            f"order. Pass axes naming each stored axis, e.g. axes=('trials', 'times', "
            f"'neurons') or axes='neurons,trials,times', and epoch_times (the time of each "
            f"time point in seconds from the aligning event)."
        )
    names = _parse_axes(axes, owner)
    if neurons_axis is not None:
        raise ValueError(
            f"The 'neurons_axis' parameter of {owner} orients 2-D responses; 3-D responses "
            f"{resp_name!r} are oriented by axes={axes!r} alone. Leave neurons_axis=None."
        )
    shape = resp.shape
    resp = np.transpose(resp, [names.index(a) for a in _AXES])
    stim = np.asarray(stim)
    n = resp.shape[0]
    if stim.ndim == 2 and stim.shape[0] != n and stim.shape[1] == n:
        stim = stim.T
    if stim.ndim not in (1, 2) or stim.shape[0] != n:
        raise DataFormatError(
            f"responses {resp_name!r} have shape {shape} with axes {names}, so {n} trials "
            f"(axis {names.index('trials')}), but "
            f"stimulus {stim_name!r} has shape {stim.shape}. Expected one stimulus value "
            "per trial; check the order given in axes."
        )
    return resp, stim, {"neurons_axis": names.index("neurons"), "axes": names}


def _describe_epoch(epoch_times: Any) -> str:
    """How an error message names ``epoch_times``: the variable's path, or "the array"."""
    return repr(epoch_times) if isinstance(epoch_times, str) else "the array given"


def _epoch_times(values: Any, resp: np.ndarray, name: str, owner: str) -> np.ndarray | None:
    """Check ``epoch_times`` against oriented responses: required for 3-D, refused for 2-D."""
    if resp.ndim != 3:
        if values is not None:
            raise ValueError(
                f"The 'epoch_times' parameter of {owner} applies to 3-D responses (trials x "
                f"times x neurons); these responses have shape {resp.shape}. Leave "
                "epoch_times=None."
            )
        return None
    n_times = resp.shape[1]
    if values is None:
        raise ValueError(
            f"3-D responses ({resp.shape[0]} trials x {n_times} times x {resp.shape[2]} "
            f"neurons) need the 'epoch_times' parameter of {owner}: the name of a variable "
            f"holding the {n_times} times in seconds from the aligning event, or the array "
            "itself."
        )
    arr = np.asarray(values)
    if arr.ndim == 2 and 1 in arr.shape:
        arr = arr.reshape(-1)
    if arr.ndim != 1 or len(arr) != n_times or arr.dtype.kind not in "iuf":
        raise ValueError(
            f"The 'epoch_times' parameter of {owner} must give one time in seconds per time "
            f"point ({n_times}, the times axis of the responses); {name} has shape "
            f"{arr.shape} and dtype {arr.dtype}."
        )
    return arr.astype(np.float64)


def _select_stimulus_columns(stim: np.ndarray, columns: int | Sequence[int] | None,
                             name: str) -> np.ndarray:
    """Keep some outputs of a samples-first 2-D stimulus."""
    if columns is None:
        return stim
    if stim.ndim != 2:
        raise DataFormatError(
            f"stimulus_columns selects outputs of a 2-D stimulus, but {name!r} has shape "
            f"{stim.shape}. Leave stimulus_columns=None."
        )
    idx = np.asarray(columns)
    if idx.dtype.kind not in "iu" or idx.ndim > 1:
        raise TypeError(
            f"The 'stimulus_columns' parameter must be an int or a sequence of ints; got "
            f"{columns!r}."
        )
    n_out = stim.shape[1]
    if idx.size and (idx.min() < -n_out or idx.max() >= n_out):
        raise ValueError(
            f"The 'stimulus_columns' parameter must index the {n_out} outputs of {name!r} "
            f"(samples x outputs shape {stim.shape}); got {columns!r}."
        )
    return stim[:, idx]


"""Load recordings from MATLAB ``.mat`` files (v4/v5/v7 with scipy, v7.3 with h5py).

Variables are named by a path: ``"spikes"`` for a top-level variable, ``"TE.direction"``
for a field of a (scalar) struct, ``"S.a.b"`` for nested structs. What a path names is
read as an array:

- numeric and logical arrays as stored, squeezed as ``scipy.io.loadmat(...,
  squeeze_me=True)`` does (a ``1 x n`` row becomes ``(n,)``);
- a cell array of equal-shape numeric arrays is stacked (a ``1 x 128`` cell of 49-sample
  traces becomes ``(128, 49)``); a cell array of strings becomes a string array (labels
  for a categorical stimulus);
- a char array becomes a string.

A 3-D responses variable (trials, times and neurons in some order) loads as a
time-resolved Recording when ``axes`` names its axes in MATLAB's order and
``epoch_times`` gives the time points.

Rows or columns of a 2-D stimulus are picked with ``stimulus_columns`` after the
stimulus is oriented samples-first (``handVel`` of shape ``(3, n)`` with
``stimulus_columns=(0, 1)`` gives x and y). Layouts that need more than this (one cell
per neuron, say) have ready-made recipes in :mod:`neurodecode.data.datasets`.

MATLAB v7.3 files are HDF5 files with a 512-byte MATLAB header. MATLAB writes arrays in
column-major order, so h5py sees every array transposed (a MATLAB ``171 x 15536`` matrix
appears as ``(15536, 171)``); this module transposes them back, so a variable has the
same shape whichever version the file was saved in.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import h5py
import numpy as np
import scipy.io
from scipy.io.matlab import mat_struct

from .._typing import ArrayLike, ResponseType, StimulusKind
from .._validation import format_available, not_found
from ..exceptions import DataFormatError
from ._recording import Recording
from .hdf5 import (
    AxesSpec,
    ColumnSpec,
    _as_column,
    _column_paths,
    _describe_epoch,
    _epoch_times,
    _orient_responses,
    _select_stimulus_columns,
)

__all__ = ["load_mat"]

_MATLAB_HEADER = b"MATLAB"


def load_mat(
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
    """Load a recording from variables of a MATLAB ``.mat`` file.

    v4/v5/v7 files are read with ``scipy.io.loadmat(path, squeeze_me=True,
    struct_as_record=False)`` (only the variables named are loaded); v7.3 files, which
    are HDF5, with h5py, transposing arrays back to MATLAB's shapes (see the module
    docstring). ``meta["format"]`` says which: ``"mat-v4"``, ``"mat-v5"`` or
    ``"mat-v7.3"``.

    Parameters
    ----------
    path : str or Path
        The ``.mat`` file.
    responses : str
        Path of the responses variable (``"spikes"``, ``"data.dff"``), 2-D:
        ``(n_neurons, n_samples)`` or ``(n_samples, n_neurons)``. A 1-D variable is one
        neuron. A 3-D variable holds each trial's responses over time: give its axis
        order with ``axes`` and the time points with ``epoch_times``.
    stimulus : str
        Path of the stimulus variable, ``(n_samples,)``; or 2-D for a multi-output
        linear stimulus, with samples along either axis.
    kind : {"circular", "linear", "categorical"}
        What the stimulus is; see :class:`~neurodecode.data.Recording`.
    period : float, optional
        Period of a circular stimulus in its own units (180, 360, ``2 * pi``).
    neurons_axis : {0, 1}, optional
        Which axis of the responses holds the neurons (in MATLAB's shape). When None the
        neurons axis is the one whose length differs from the stimulus length.
    stimulus_columns : int or sequence of int, optional
        Outputs of a 2-D stimulus to keep, counted once it is oriented
        ``(n_samples, n_outputs)``: ``1`` keeps the second column as a 1-D stimulus,
        ``(0, 1)`` keeps two outputs.
    response_type : {"counts", "continuous"}, default="continuous"
        ``"counts"`` for spike counts, ``"continuous"`` for rates or fluorescence.
    trials : sequence of str, or mapping of str to str, optional
        Per-trial columns, each of length ``n_samples``. A sequence names each column
        after the last path component (``"TE.contrast"`` -> ``"contrast"``); a mapping
        gives ``{column name: variable path}``.
    bin_size : float, optional
        Bin width in seconds when samples are consecutive time bins.
    times : str, optional
        Path of a variable of sample times in seconds, of length ``n_samples``.
    axes : sequence of str, or str, optional
        Required for 3-D responses and only for them: the name of each axis in MATLAB's
        shape (``size(x)``, whichever version the file was saved in), ``"trials"``,
        ``"times"`` and ``"neurons"`` each once, as a tuple (``("neurons", "trials",
        "times")``) or one comma-separated string. ``neurons_axis`` must then be None.
    epoch_times : str or array-like of shape (n_times,), optional
        Required for 3-D responses and only for them: the time of each time point in
        seconds from the aligning event (strictly increasing), as the path of a
        variable (``"t"``) or as an array.

    Returns
    -------
    Recording
        Responses as ``(n_samples, n_neurons)`` float32, or ``(n_trials, n_times,
        n_neurons)`` with ``epoch_times`` for 3-D responses; ``meta`` holds the file
        name (``"source"``), the full path, the format, the variable paths, the neurons
        axis used and, for 3-D responses, ``"axes"``.

    Raises
    ------
    ValueError
        If a variable does not exist (the message lists the file's top-level variables
        with their shapes and classes) or a struct has no such field (the message lists
        the struct's fields); if ``axes`` or ``epoch_times`` is invalid, given for 2-D
        responses, or missing for 3-D ones.
    DataFormatError
        A ``ValueError`` subclass: the file is not a MAT-file (or is plain HDF5), a path
        names a struct or goes through something that is not a scalar struct, a cell
        cannot be stacked, the shapes disagree, ``neurons_axis`` is needed, or 3-D
        responses come without ``axes``.

    Examples
    --------
    >>> import numpy as np, scipy.io, tempfile, os
    >>> from neurodecode.data.matlab import load_mat
    >>> path = os.path.join(tempfile.mkdtemp(), "reach.mat")
    >>> scipy.io.savemat(path, {"spikes": np.ones((2, 5)),          # neurons x bins
    ...                         "kin": {"vel": np.zeros((3, 5))}})  # a struct
    >>> rec = load_mat(path, responses="spikes", stimulus="kin.vel", kind="linear",
    ...                stimulus_columns=(0, 1), response_type="counts", bin_size=0.05)
    >>> rec  # doctest: +ELLIPSIS
    Recording(5 time bins x 2 neurons, stimulus: linear, 2 outputs, bin_size 0.05 s, ...)
    >>> rec.meta["format"]
    'mat-v5'
    >>> scipy.io.savemat(path, {"dff": np.ones((2, 5, 7)),  # neurons x trials x frames
    ...                         "t": np.linspace(-1, 2, 7), "ori": np.arange(5) * 36.0})
    >>> load_mat(path, responses="dff", stimulus="ori", kind="circular", period=180,
    ...          axes="neurons,trials,times", epoch_times="t")  # doctest: +ELLIPSIS
    Recording(5 trials x 7 times (-1 to 2 s) x 2 neurons, stimulus: circular, period 180, ...)
    """
    path = Path(path)
    with _open_mat(path) as mat:
        resp = mat.get(responses)
        stim = mat.get(stimulus)
        resp, stim, orient = _orient_responses(resp, stim, neurons_axis, axes, responses,
                                               stimulus, "load_mat")
        stim = _select_stimulus_columns(stim, stimulus_columns, stimulus)
        n = len(resp)
        trial_table = {name: _as_column(mat.get(p), n, p) for name, p in
                       _column_paths(trials, ".").items()}
        times_arr = None if times is None else _as_column(mat.get(times), n, times)
        epochs = mat.get(epoch_times) if isinstance(epoch_times, str) else epoch_times
        fmt = mat.format
    epochs = _epoch_times(epochs, resp, _describe_epoch(epoch_times), "load_mat")
    meta = {"source": path.name, "path": str(path), "format": fmt, "responses": responses,
            "stimulus": stimulus, **orient}
    if isinstance(epoch_times, str):
        meta["epoch_times"] = epoch_times
    return Recording(resp, stim, kind=kind, period=period, response_type=response_type,
                     trials=trial_table, bin_size=bin_size, times=times_arr, meta=meta,
                     epoch_times=epochs)


# ---------------------------------------------------------------------- file access
class _MatFile(ABC):
    """A MAT-file opened for reading variables by path (``"S.field"``)."""

    format: str = ""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> _MatFile:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:  # noqa: B027 - a no-op for files read whole; v7.3 overrides it
        """Release the file (nothing to do for files read whole)."""

    @abstractmethod
    def get(self, path: str) -> np.ndarray:
        """Read the variable or struct field at ``path`` as an array."""

    @abstractmethod
    def fields(self, path: str) -> list[str]:
        """Field names of the struct at ``path``."""

    @abstractmethod
    def names(self) -> list[str]:
        """Names of the top-level variables."""


def _open_mat(path: str | Path) -> _MatFile:
    """Open a MAT-file of any version for reading variables by path.

    Parameters
    ----------
    path : str or Path
        The ``.mat`` file.

    Returns
    -------
    object
        A context manager with ``get(path) -> ndarray``, ``fields(path) -> list[str]``
        and ``format`` (``"mat-v4"``, ``"mat-v5"`` or ``"mat-v7.3"``).

    Raises
    ------
    DataFormatError
        If the file is neither a MAT-file of version 4-7 nor a MATLAB v7.3 HDF5 file.

    Examples
    --------
    >>> import numpy as np, scipy.io, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "s.mat")
    >>> scipy.io.savemat(path, {"TE": {"direction": np.arange(4) * 90.0}})
    >>> with _open_mat(path) as mat:
    ...     mat.fields("TE"), mat.get("TE.direction").tolist()
    (['direction'], [0.0, 90.0, 180.0, 270.0])
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No such MAT-file: {path}")
    if h5py.is_hdf5(path):
        with open(path, "rb") as fh:
            header = fh.read(len(_MATLAB_HEADER))
        if header != _MATLAB_HEADER:
            raise DataFormatError(
                f"{path.name} is an HDF5 file without a MATLAB header, so not a MATLAB v7.3 "
                "file. Read it with neurodecode.data.hdf5.load_hdf5."
            )
        return _MatV73(path)
    try:
        major, _ = scipy.io.matlab.matfile_version(path)
    except (ValueError, scipy.io.matlab.MatReadError) as exc:
        raise DataFormatError(f"{path.name} is not a MATLAB file ({exc}).") from None
    return _MatV5(path, "mat-v4" if major == 0 else "mat-v5")


def _describe(name: str, value: Any) -> str:
    """``"name (shape) class"`` for an error message listing variables or fields."""
    if isinstance(value, mat_struct):
        return f"{name} struct"
    arr = np.asarray(value)
    if arr.dtype == object:
        return f"{name} {arr.shape} cell"
    if arr.ndim == 0:
        return f"{name} scalar {arr.dtype}"
    return f"{name} {arr.shape} {arr.dtype}"


def _what(value: Any) -> str:
    """``"a (3, 15536) float64 array"``: what a value is, for an error message."""
    arr = np.asarray(value)
    if arr.dtype == object:
        held = "struct" if arr.size and isinstance(arr.flat[0], mat_struct) else "cell"
        return f"a {arr.shape} {held} array"
    return f"a {arr.shape} {arr.dtype} array"


class _MatV5(_MatFile):
    """v4-v7 MAT-file read with scipy, one top-level variable at a time."""

    def __init__(self, path: Path, fmt: str) -> None:
        super().__init__(path)
        self.format = fmt
        self._who = {name: (shape, cls) for name, shape, cls in scipy.io.whosmat(path)}
        self._loaded: dict[str, Any] = {}

    def _top(self, name: str) -> Any:
        if name not in self._who:
            listing = [f"{n} {s} {c}" for n, (s, c) in self._who.items()]
            raise not_found("Variable", name, f"MATLAB file {self.path.name}", listing)
        if name not in self._loaded:
            data = scipy.io.loadmat(self.path, squeeze_me=True, struct_as_record=False,
                                    variable_names=[name])
            self._loaded[name] = data[name]
        return self._loaded[name]

    def _node(self, path: str) -> Any:
        parts = path.split(".")
        node = self._top(parts[0])
        walked = parts[0]
        for part in parts[1:]:
            node = _unwrap(node)
            if not isinstance(node, mat_struct):
                raise DataFormatError(
                    f"{walked!r} in {self.path.name} is {_what(node)}, not a scalar struct, "
                    f"so {path!r} cannot name a field of it."
                )
            fields = list(node._fieldnames)
            if part not in fields:
                listing = [_describe(f, getattr(node, f)) for f in fields]
                raise not_found("Field", part, f"struct {walked!r} of {self.path.name}",
                                listing)
            node = getattr(node, part)
            walked += "." + part
        return _unwrap(node)

    def get(self, path: str) -> np.ndarray:
        node = self._node(path)
        if isinstance(node, mat_struct):
            _struct_error(path, list(node._fieldnames), self.path.name)
        return _to_array(node, path)

    def names(self) -> list[str]:
        return list(self._who)

    def fields(self, path: str) -> list[str]:
        node = self._node(path)
        if not isinstance(node, mat_struct):
            raise DataFormatError(f"{path!r} in {self.path.name} is not a struct.")
        return list(node._fieldnames)


class _MatV73(_MatFile):
    """MATLAB v7.3 file (HDF5), read with h5py; arrays are transposed back."""

    format = "mat-v7.3"

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self._file = h5py.File(path, "r")

    def close(self) -> None:
        self._file.close()

    @staticmethod
    def _names(group: h5py.Group) -> list[str]:
        # "#refs#" holds cell contents and "#subsystem#" MATLAB objects: not variables.
        return [k for k in group.keys() if not k.startswith("#")]

    def _listing(self, group: h5py.Group) -> list[str]:
        out = []
        for k in self._names(group):
            obj = group[k]
            if isinstance(obj, h5py.Group):
                out.append(f"{k} struct")
            else:
                out.append(f"{k} {tuple(reversed(obj.shape))} {_matlab_class(obj)}")
        return out

    def _node(self, path: str) -> h5py.Group | h5py.Dataset:
        node: Any = self._file
        walked = ""
        for i, part in enumerate(path.split(".")):
            if not isinstance(node, h5py.Group):
                raise DataFormatError(
                    f"{walked!r} in {self.path.name} is a {tuple(reversed(node.shape))} "
                    f"{_matlab_class(node)} array, not a scalar struct, so {path!r} cannot "
                    "name a field of it."
                )
            if part not in self._names(node):
                if i == 0:
                    raise not_found("Variable", part, f"MATLAB file {self.path.name}",
                                    self._listing(node))
                raise not_found("Field", part, f"struct {walked!r} of {self.path.name}",
                                self._listing(node))
            node = node[part]
            walked = part if i == 0 else f"{walked}.{part}"
        return node

    def get(self, path: str) -> np.ndarray:
        node = self._node(path)
        if isinstance(node, h5py.Group):
            _struct_error(path, self._names(node), self.path.name)
        return _to_array(self._value(node), path)

    def names(self) -> list[str]:
        return self._names(self._file)

    def fields(self, path: str) -> list[str]:
        node = self._node(path)
        if not isinstance(node, h5py.Group):
            raise DataFormatError(f"{path!r} in {self.path.name} is not a struct.")
        return self._names(node)

    def _value(self, ds: h5py.Dataset) -> Any:
        """A dataset as scipy would return it: transposed, squeezed, cells as objects."""
        cls = _matlab_class(ds)
        if ds.attrs.get("MATLAB_empty", 0):
            return np.zeros(0)
        data = np.asarray(ds[()])
        if h5py.check_ref_dtype(ds.dtype) is not None:  # a cell: references to arrays
            cell = np.empty(data.shape, dtype=object)
            for idx in np.ndindex(data.shape):
                target = self._file[data[idx]]
                if isinstance(target, h5py.Group):
                    raise DataFormatError(
                        f"A cell of {ds.name!r} holds a struct; load_mat reads cells of "
                        "arrays or strings only."
                    )
                cell[idx] = self._value(target)
            return np.squeeze(cell.T)
        data = data.T
        if cls == "char":
            rows = np.atleast_2d(data)
            strings = ["".join(map(chr, row)) for row in rows]
            return strings[0] if len(strings) == 1 else np.array(strings)
        if cls == "logical":
            data = data.astype(bool)
        return np.squeeze(data)


def _matlab_class(ds: h5py.Dataset) -> str:
    cls = ds.attrs.get("MATLAB_class", b"")
    return cls.decode() if isinstance(cls, bytes) else str(cls or ds.dtype)


def _unwrap(node: Any) -> Any:
    """Unwrap 0-d object arrays (a squeezed ``1 x 1`` cell or struct array)."""
    while isinstance(node, np.ndarray) and node.dtype == object and node.ndim == 0:
        node = node.item()
    return node


def _struct_error(path: str, fields: list[str], source: str) -> None:
    example = f" e.g. '{path}.{fields[0]}'." if fields else "."
    raise DataFormatError(
        f"{path!r} in {source} is a struct, not an array; name one of its fields,"
        f"{example} Fields: {format_available(fields)}."
    )


def _to_array(node: Any, path: str) -> np.ndarray:
    """Turn a loaded MATLAB value into an array (stacking cells, decoding strings)."""
    if isinstance(node, str):
        return np.asarray(node)
    arr = np.asarray(node)
    if arr.dtype != object:
        return arr
    elements = [_unwrap(e) for e in arr.ravel()]
    if not elements:
        raise DataFormatError(f"{path!r} is an empty cell array.")
    if all(isinstance(e, str) for e in elements):
        return np.array(elements, dtype=str).reshape(arr.shape)
    if any(isinstance(e, mat_struct) or np.asarray(e).dtype.kind not in "biuf"
           for e in elements):
        raise DataFormatError(
            f"{path!r} is a cell array holding structs, cells or mixed types; load_mat "
            "stacks cells of equal-shape numeric arrays or of strings only."
        )
    shapes = sorted({np.shape(e) for e in elements})
    if len(shapes) > 1:
        raise DataFormatError(
            f"{path!r} is a cell array whose elements have different shapes "
            f"({format_available(shapes[:5])}), so it cannot be stacked into one array."
        )
    return np.stack([np.asarray(e) for e in elements]).reshape(arr.shape + shapes[0])

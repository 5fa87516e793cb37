"""Read and write Neurodata Without Borders (NWB) files.

:func:`load_nwb` cuts a session into trials with one of the file's intervals tables
(``trials``, ``epochs`` or any table under ``/intervals``) and turns each trial window
into one sample: the spike counts of every sorted unit (``source="units"``), or the
mean of an ROI response series such as dF/F (``source="roi"``). With
``window=(a, b)`` and ``bin_size`` it keeps each trial's time course instead: trials x
bins x neurons, with the bin starts relative to the aligning event as ``epoch_times``
(see :attr:`~neurodecode.data.Recording.is_time_resolved`). :func:`inspect_nwb`
lists what a file holds, so you can pick the table, column and window to load;
:func:`save_nwb` writes a :class:`~neurodecode.data.Recording` back as a valid NWB file
that loads to the same responses.

Files are opened read-only with :class:`pynwb.NWBHDF5IO`; everything needed is read
into memory before the file is closed. Windows are half-open, ``[start, stop)``, as in
:func:`~neurodecode.data.count_spikes`.
"""

from __future__ import annotations

import datetime
import os
import re
import uuid
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pynwb
from hdmf.common import DynamicTableRegion, ElementIdentifiers, VectorData, VectorIndex
from pynwb.epoch import TimeIntervals
from pynwb.misc import Units
from pynwb.ophys import (
    DfOverF,
    ImageSegmentation,
    OpticalChannel,
    PlaneSegmentation,
    RoiResponseSeries,
)

from .._typing import ResponseType, StimulusKind
from .._validation import (
    check_choice,
    check_number,
    format_available,
    format_indices,
    not_found,
)
from ..exceptions import DataFormatError, DataWarning
from ._recording import Recording
from .binning import _count_spikes_binned, count_spikes

__all__ = ["format_inspection", "inspect_nwb", "load_nwb", "save_nwb"]

_KINDS = ("circular", "linear", "categorical")
_SOURCES = ("units", "roi")
_MAX_CATEGORIES = 20
"""An integer or text stimulus with at most this many values is taken as categorical."""
_KIND_TAG = re.compile(r"kind=(circular|linear|categorical)")
_PERIOD_TAG = re.compile(r"period=([-+0-9.eE]+)")
_TRIAL_RESERVED = {"id", "start_time", "stop_time", "stimulus", "tags", "timeseries"}
_UNIT_RESERVED = {"id", "spike_times", "obs_intervals", "electrodes", "electrode_group",
                  "waveform_mean", "waveform_sd", "waveforms"}


# ---------------------------------------------------------------------------- opening
def _check_path(path: str | Path) -> Path:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No NWB file at '{path}'.")
    if not h5py.is_hdf5(path):
        raise DataFormatError(
            f"'{path}' is not an NWB file: it is not HDF5 at all (NWB files are HDF5 files "
            "written by pynwb or MatNWB)."
        )
    with h5py.File(path, "r") as f:
        if "nwb_version" not in f.attrs:
            raise DataFormatError(
                f"'{path}' is an HDF5 file but not an NWB file: its root has no "
                f"'nwb_version' attribute. Top-level entries: {format_available(f.keys())}. "
                "Read plain HDF5 files with neurodecode.data.hdf5.load_hdf5."
            )
    return path


@contextmanager
def _open_nwb(path: Path) -> Iterator[Any]:
    """Yield the NWBFile of ``path``, opened read-only; closed on exit.

    pynwb's warnings about parts of the file that do not follow the schema (often in
    objects the loader never touches, such as stimulus movies) are silenced.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning, module=r"(pynwb|hdmf)")
        io = pynwb.NWBHDF5IO(str(path), "r")
        try:
            try:
                nwbfile = io.read()
            except ImportError:
                raise
            except Exception as exc:
                raise DataFormatError(
                    f"'{path}' could not be read as an NWB file: {type(exc).__name__}: {exc}"
                ) from exc
            yield nwbfile
        finally:
            io.close()


# ---------------------------------------------------------------------------- reading
def _decode_text(arr: np.ndarray) -> np.ndarray | None:
    """Bytes or object arrays of text -> a str array; None if they hold anything else."""
    flat = arr.ravel().tolist()
    out = []
    for x in flat:
        if isinstance(x, bytes):
            out.append(x.decode("utf-8", errors="replace"))
        elif isinstance(x, str):
            out.append(x)
        else:
            return None
    return np.array(out, dtype=str).reshape(arr.shape)


def _column_array(table: Any, name: str, max_ndim: int = 1) -> np.ndarray | None:
    """Read one column of a DynamicTable as an array; None if it is not a simple column.

    Ragged columns, table regions, object references and compound types are not simple.
    """
    col = table[name]
    if isinstance(col, (VectorIndex, DynamicTableRegion)):
        return None
    data = col.data
    if isinstance(data, h5py.Dataset):
        if data.dtype.names is not None or h5py.check_dtype(ref=data.dtype) is not None:
            return None
        arr = np.asarray(data[()])
    elif isinstance(data, (np.ndarray, list, tuple)):
        arr = np.asarray(data)
    else:
        return None
    if not 1 <= arr.ndim <= max_ndim:
        return None
    if arr.dtype.kind in "OS":
        return _decode_text(arr)
    return arr if arr.dtype.kind in "biufU" else None


def _simple_columns(table: Any, skip: Sequence[str] = ()) -> dict[str, np.ndarray]:
    """Every 1-D scalar column of ``table`` (ids excluded) as arrays."""
    out = {}
    for name in table.colnames:
        if name in skip:
            continue
        arr = _column_array(table, name)
        if arr is not None and len(arr) == len(table):
            out[name] = arr
    return out


def _object_path(obj: Any) -> str:
    """Path of an object inside its file: ``acquisition/events``, ``processing/ophys/...``."""
    parts = []
    while obj.parent is not None and not isinstance(obj.parent, pynwb.NWBFile):
        parts.append(obj.name)
        obj = obj.parent
    parts.append(obj.name)
    nwbfile = obj.parent
    if nwbfile is not None:
        for group in ("acquisition", "stimulus", "stimulus_template", "processing",
                      "analysis", "scratch"):
            if (getattr(nwbfile, group, None) or {}).get(obj.name) is obj:
                parts.append(group)
                break
    return "/".join(reversed(parts))


def _roi_series(nwbfile: Any) -> dict[str, Any]:
    """Every RoiResponseSeries in the file, keyed by its path inside the file."""
    found = {_object_path(o): o for o in nwbfile.objects.values()
             if isinstance(o, RoiResponseSeries)}
    return dict(sorted(found.items()))


def _contents(nwbfile: Any) -> str:
    """A one-line summary of the file's neural data, for error messages."""
    parts = []
    if nwbfile.units is not None:
        parts.append(f"a Units table ({len(nwbfile.units)} units)")
    rois = _roi_series(nwbfile)
    if rois:
        parts.append(f"ROI response series {format_available(rois)}")
    others = sorted(_object_path(o) for o in nwbfile.objects.values()
                    if isinstance(o, pynwb.TimeSeries) and not isinstance(o, RoiResponseSeries))
    if others:
        parts.append(f"time series {format_available(others)}")
    if nwbfile.intervals:
        parts.append(f"intervals tables {format_available(nwbfile.intervals)}")
    return "; ".join(parts) if parts else "no units, ROI series, time series or intervals"


def _get_intervals(nwbfile: Any, name: str, path: Path) -> Any:
    tables = dict(nwbfile.intervals or {})
    if name not in tables:
        raise not_found("Intervals table", name, path.name, tables)
    return tables[name]


def _stimulus_spec(description: str | None) -> tuple[str | None, float | None]:
    """The kind and period that :func:`save_nwb` writes into a column description."""
    text = description or ""
    kind = _KIND_TAG.search(text)
    period = _PERIOD_TAG.search(text)
    return (kind.group(1) if kind else None,
            float(period.group(1)) if period else None)


def _read_spike_trains(nwbfile: Any, path: Path) -> list[np.ndarray]:
    """Each unit's spike times, from one read of the flat data and its index."""
    units = nwbfile.units
    if units is None:
        raise DataFormatError(
            f"{path.name} has no Units table, so source='units' cannot be used. The file "
            f"holds {_contents(nwbfile)}. For imaging data use source='roi'."
        )
    if "spike_times" not in units.colnames or not isinstance(units["spike_times"], VectorIndex):
        raise DataFormatError(
            f"The Units table of {path.name} has no ragged 'spike_times' column. Columns: "
            f"{format_available(units.colnames)}."
        )
    index = units["spike_times"]
    flat = np.asarray(index.target.data[()], dtype=np.float64)
    bounds = np.concatenate([[0], np.asarray(index.data[()], dtype=np.int64)])
    return [flat[a:b] for a, b in zip(bounds[:-1], bounds[1:])]


def _unit_table(nwbfile: Any) -> dict[str, np.ndarray]:
    """Unit ids, simple per-unit columns and, if each unit has one electrode, its location."""
    units = nwbfile.units
    table = {"id": np.asarray(units.id.data[()])}
    table.update(_simple_columns(units, skip=("spike_times",)))
    if "electrodes" in units.colnames and isinstance(units["electrodes"], DynamicTableRegion):
        region = units["electrodes"]
        rows = np.asarray(region.data[()])
        if rows.ndim == 1 and len(rows) == len(units):
            electrodes = region.table
            table["electrode"] = np.asarray(electrodes.id.data[()])[rows]
            for name in ("location", "group_name"):
                if name in electrodes.colnames:
                    col = _column_array(electrodes, name)
                    if col is not None:
                        table[name] = col[rows]
    return table


def _pick_roi_series(nwbfile: Any, series: str | None, path: Path) -> tuple[str, Any]:
    found = _roi_series(nwbfile)
    if not found:
        raise DataFormatError(
            f"{path.name} holds no ROI response series (RoiResponseSeries in DfOverF or "
            f"Fluorescence), so source='roi' cannot be used. The file holds "
            f"{_contents(nwbfile)}. For sorted spikes use source='units'."
        )
    if series is None:
        if len(found) > 1:
            raise ValueError(
                f"{path.name} holds {len(found)} ROI response series; choose one with "
                f"series=... Available: {format_available(found)}."
            )
        return next(iter(found.items()))
    matches = [k for k in found if k == series or k.endswith("/" + series)]
    if len(matches) != 1:
        if len(matches) > 1:
            raise ValueError(
                f"series={series!r} matches several ROI response series of {path.name}: "
                f"{format_available(matches)}. Give the full path."
            )
        raise not_found("ROI response series", series, path.name, found)
    return matches[0], found[matches[0]]


def _sample_times(ts: Any) -> np.ndarray:
    """Sample times of a TimeSeries, from timestamps or starting_time + rate."""
    stamps = ts.timestamps
    if isinstance(stamps, pynwb.TimeSeries):  # timestamps linked from another series
        stamps = stamps.timestamps
    n = ts.data.shape[0]
    if stamps is not None:
        return np.asarray(stamps[()], dtype=np.float64)
    return (ts.starting_time or 0.0) + np.arange(n, dtype=np.float64) / ts.rate


def _roi_means(ts: Any, starts: np.ndarray, stops: np.ndarray, rows: np.ndarray,
               name: str, what: str = "windows") -> np.ndarray:
    """Mean of every ROI over each window ``[start, stop)``, via cumulative sums.

    ``rows`` is the trial of each window, ``what`` names the windows in messages.
    """
    times = _sample_times(ts)
    n_times = len(times)
    if n_times == 0:
        raise DataFormatError(f"The ROI response series {name!r} holds no samples.")
    dt = float(np.median(np.diff(times))) if n_times > 1 else 1.0 / (ts.rate or 1.0)
    tol = 1e-9 * max(1.0, abs(times[-1])) + 1e-6 * dt
    outside = (starts < times[0] - tol) | (stops > times[-1] + dt + tol)
    if outside.any():
        bad = np.unique(rows[outside])
        raise ValueError(
            f"Trials {format_indices(bad)} have windows outside the ROI response series "
            f"{name!r}, which covers {times[0]:g} .. {times[-1] + dt:g} s (e.g. trial "
            f"{bad[0]}: {starts[outside][0]:g} .. {stops[outside][0]:g} s). Shorten the "
            "window or drop those trials from the intervals table."
        )
    i0 = np.searchsorted(times, starts, "left")
    i1 = np.searchsorted(times, stops, "left")
    n = i1 - i0
    if (n == 0).any():
        bad = np.unique(rows[n == 0])
        raise ValueError(
            f"Trials {format_indices(bad)} have {what} that hold no sample of the ROI "
            f"response series {name!r} (sampled every {dt:g} s). "
            + ("Widen the window." if what == "windows" else
               f"Use a bin_size of at least the sampling period, {dt:g} s.")
        )
    lo, hi = int(i0.min()), int(i1.max())
    block = np.asarray(ts.data[lo:hi])
    if block.ndim == 1:
        block = block[:, None]
    n_rois = block.shape[1]
    out = np.empty((len(starts), n_rois), dtype=np.float64)
    step = max(1, (1 << 24) // max(1, hi - lo + 1))  # bound the float64 cumsum's memory
    for c0 in range(0, n_rois, step):
        chunk = block[:, c0:c0 + step].astype(np.float64)
        csum = np.zeros((hi - lo + 1, chunk.shape[1]))
        np.cumsum(chunk, axis=0, out=csum[1:])
        out[:, c0:c0 + step] = (csum[i1 - lo] - csum[i0 - lo]) / n[:, None]
    offset = getattr(ts, "offset", 0.0) or 0.0
    return out * ts.conversion + offset


def _roi_bin_means(ts: Any, edges: np.ndarray, rows: np.ndarray, name: str) -> np.ndarray:
    """Mean of every ROI over each bin: ``(n_trials, n_bins, n_rois)``."""
    n_trials, n_bins = edges.shape[0], edges.shape[1] - 1
    means = _roi_means(ts, edges[:, :-1].ravel(), edges[:, 1:].ravel(),
                       np.repeat(rows, n_bins), name, what="bins")
    return means.reshape(n_trials, n_bins, -1)


def _roi_table(series: Any) -> dict[str, np.ndarray]:
    region = series.rois
    rows = np.asarray(region.data[()])
    segmentation = region.table
    table = {"id": np.asarray(segmentation.id.data[()])[rows]}
    for name, col in _simple_columns(segmentation).items():
        table[name] = col[rows]
    return table


# ---------------------------------------------------------------------------- windows
def _check_window(window: Any) -> tuple[float, float] | None:
    if window is None:
        return None
    msg = ("The 'window' parameter of load_nwb must be None or (start, stop) in seconds "
           f"relative to the align column, with start < stop. Got {window!r} instead.")
    if not isinstance(window, (tuple, list)) or len(window) != 2:
        raise ValueError(msg)
    try:
        a = float(check_number(window[0], "window[0]", "load_nwb"))
        b = float(check_number(window[1], "window[1]", "load_nwb"))
    except TypeError:
        raise TypeError(msg) from None
    if not a < b:
        raise ValueError(msg)
    return a, b


def _infer_kind(stim: np.ndarray, column: str, table: str) -> StimulusKind:
    if stim.dtype.kind in "bU":
        return "categorical"
    values = np.unique(stim[~np.isnan(stim)] if stim.dtype.kind == "f" else stim)
    if stim.dtype.kind in "iu" and len(values) <= _MAX_CATEGORIES and stim.ndim == 1:
        return "categorical"
    what = "integer" if stim.dtype.kind in "iu" else "floating-point"
    raise ValueError(
        f"Cannot tell what kind of variable column {column!r} of intervals table {table!r} "
        f"is: it holds {what} values with {len(values)} distinct values (only integer or "
        f"text columns with at most {_MAX_CATEGORIES} values are taken as categorical). "
        "Pass kind='categorical', kind='linear', or kind='circular' with its period "
        "(e.g. period=180 for orientation in degrees)."
    )


def _epoch_edges(win: tuple[float, float] | None, bin_size: float) -> np.ndarray:
    """Bin edges in seconds from the align time: ``n_bins + 1`` values that cut ``win``
    into whole bins of ``bin_size`` (the first is ``win[0]``, the last ``win[1]``, the
    others ``win[0] + k * bin_size`` rounded to 1e-12 s)."""
    if win is None:
        raise ValueError(
            "The 'bin_size' parameter of load_nwb cuts a window around each trial into "
            "time bins (trials x bins x neurons), so it needs window=(start, stop) in "
            "seconds relative to the align column, e.g. window=(-0.5, 1.5), "
            f"bin_size={bin_size!r}."
        )
    a, b = win
    length = b - a
    if bin_size > length * (1 + 1e-9):
        raise ValueError(
            f"The 'bin_size' parameter of load_nwb must be at most the length of the "
            f"window {win!r}, {length:g} s. Got {bin_size!r} instead."
        )
    n = length / bin_size
    n_bins = int(round(n))
    if abs(n - n_bins) > 1e-6:
        lo, hi = max(int(np.floor(n)), 1), int(np.ceil(n))
        raise ValueError(
            f"The window {win!r} ({length:g} s) is not a whole number of bins of "
            f"bin_size={bin_size!r} s ({n:.4g} bins); load_nwb neither drops nor pads a "
            f"partial last bin. Use window=({a:g}, {a + lo * bin_size:g}) ({lo} bins) or "
            f"({a:g}, {a + hi * bin_size:g}) ({hi} bins), or a bin_size that divides "
            f"{length:g} s."
        )
    # rounded to 1e-12 s, so an edge meant to be 0.6 is 0.6 (not 0.6000000000000001)
    # and a sample stamped exactly on it falls in the later bin, as in [start, stop)
    inner = np.round(a + np.arange(1, n_bins) * bin_size, 12)
    return np.concatenate([[a], inner, [b]])


# ---------------------------------------------------------------------------- load_nwb
def load_nwb(
    path: str | Path,
    stimulus: str,
    *,
    intervals: str = "trials",
    window: tuple[float, float] | None = None,
    align: str = "start_time",
    source: str = "units",
    kind: StimulusKind | None = None,
    period: float | None = None,
    series: str | None = None,
    bin_size: float | None = None,
) -> Recording:
    """Load trials of an NWB file: one response vector per row of an intervals table,
    or (with ``bin_size``) each trial's responses in consecutive time bins.

    Parameters
    ----------
    path : str or Path
        The NWB file; opened read-only and closed before returning.
    stimulus : str
        Column of the intervals table that holds the variable to decode.
    intervals : str, default="trials"
        Name of the intervals table: ``"trials"``, ``"epochs"`` or any table under
        ``/intervals`` (e.g. ``"encoding_table"``).
    window : (float, float), optional
        ``(a, b)``: count in ``[t + a, t + b)`` where ``t`` is the row's ``align`` time.
        When None, each row's own ``[start_time, stop_time)``.
    align : str, default="start_time"
        Column the window is relative to (e.g. ``"boundary1_time"``); used only with
        ``window``.
    source : {"units", "roi"}, default="units"
        ``"units"``: spike counts of every unit of the Units table
        (``response_type="counts"``). ``"roi"``: the mean of an ROI response series
        (dF/F or fluorescence) over each window (``response_type="continuous"``).
    kind : {"circular", "linear", "categorical"}, optional
        What the stimulus is. When None: the kind written by :func:`save_nwb` if the
        column says so, otherwise ``"categorical"`` for text and boolean columns and for
        integer columns with at most 20 distinct values; anything else must be given.
    period : float, optional
        Period of a circular stimulus (180 for orientation in degrees).
    series : str, optional
        Name or path of the ROI response series (``"DfOverF/RoiResponseSeries"``) when
        the file holds several.
    bin_size : float, optional
        Time-resolved loading (needs ``window``): the window is cut into consecutive
        bins of ``bin_size`` seconds, ``[t + a + k * bin_size, t + a + (k + 1) *
        bin_size)``, and the Recording holds each trial's responses in every bin: spike
        counts per bin for units (``response_type="counts"``), the mean of the ROI
        samples in each bin for ROI series. The window must hold a whole number of bins
        (a partial last bin is refused, never dropped or padded), so the bins of a trial
        add up to its count over the whole window.

    Returns
    -------
    Recording
        ``(n_trials, n_units)``, or ``(n_trials, n_bins, n_units)`` with ``bin_size``.
        ``trials`` holds the table's other 1-D columns (``start_time``, ``stop_time``,
        ...), ``neurons`` the unit (or ROI) ids and simple per-unit columns. ``times``
        holds the window starts; with ``bin_size`` it holds each trial's align time
        instead and ``epoch_times`` the bin **starts** relative to it (``a``,
        ``a + bin_size``, ..., rounded to 1e-12 s), so bin ``k`` of trial ``i`` starts
        at ``times[i] + epoch_times[k]``. ``meta`` holds ``source`` (file name),
        ``path``, ``intervals``, ``stimulus``, ``window``, ``align``, ``bin_size``,
        ``source_kind``, ``session_id`` and ``identifier``.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    DataFormatError
        A ``ValueError``: the file is not NWB, or lacks the Units table or ROI series
        that ``source`` needs (the message says what the file holds).
    ValueError
        For an unknown table, column or series (the message lists the available ones),
        a stimulus whose kind cannot be inferred, ``window`` with ``a >= b``, ROI windows
        outside the series or windows (or bins) without samples, windows that miss every
        spike, or a ``bin_size`` that is not positive, is given without ``window``, is
        longer than the window or does not divide it into whole bins.

    Warns
    -----
    DataWarning
        When rows with a NaN stimulus or NaN window edge are dropped.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from neurodecode.data.synthetic import orientation_population
    >>> from neurodecode.data.nwb import load_nwb, save_nwb
    >>> rec, _ = orientation_population(20, 50, random_state=0)
    >>> tmp = tempfile.TemporaryDirectory()
    >>> path = save_nwb(rec, os.path.join(tmp.name, "demo.nwb"))
    >>> loaded = load_nwb(path, "stimulus")
    >>> loaded.shape, loaded.kind, loaded.period, loaded.response_type
    ((50, 20), 'circular', 180.0, 'counts')
    >>> bool(np.array_equal(loaded.responses, rec.responses))
    True
    >>> binned = load_nwb(path, "stimulus", window=(0.0, 0.5), bin_size=0.1)
    >>> binned.shape, binned.epoch_times.tolist()
    ((50, 5, 20), [0.0, 0.1, 0.2, 0.3, 0.4])
    >>> bool(np.array_equal(binned.responses.sum(axis=1), rec.responses))
    True
    >>> tmp.cleanup()
    """
    owner = "load_nwb"
    check_choice(source, "source", _SOURCES, owner)
    check_choice(kind, "kind", (None, *_KINDS), owner)
    check_number(period, "period", owner, low=0, low_inclusive=False, allow_none=True)
    check_number(bin_size, "bin_size", owner, low=0, low_inclusive=False, allow_none=True)
    win = _check_window(window)
    if win is None and align != "start_time":
        raise ValueError(
            f"align={align!r} needs a window: pass window=(start, stop) in seconds relative "
            f"to {align!r}."
        )
    offsets = None if bin_size is None else _epoch_edges(win, bin_size)
    path = _check_path(path)

    notes: list[str] = []
    with _open_nwb(path) as nwbfile:
        table = _get_intervals(nwbfile, intervals, path)
        stim, columns, onsets, lo, hi, spec = _read_trial_table(table, intervals, stimulus,
                                                                win, align)
        sample_row, starts, stops = _samples(stim, lo, hi, f"intervals table {intervals!r}",
                                             stimulus, notes)
        meta: dict[str, Any] = {
            "source": path.name, "path": str(path), "format": "nwb",
            "intervals": intervals, "stimulus": stimulus, "window": win, "align": align,
            "bin_size": bin_size, "source_kind": source, "session_id": nwbfile.session_id,
            "identifier": nwbfile.identifier,
        }
        edges = (None if offsets is None
                 else _bin_edges(onsets[sample_row], starts, stops, offsets))
        if source == "units":
            spikes = _read_spike_trains(nwbfile, path)
            neurons = _unit_table(nwbfile)
            _check_spike_span(spikes, starts, stops, path)
            responses = (count_spikes(spikes, starts, stops) if edges is None
                         else _count_spikes_binned(spikes, edges))
            response_type: ResponseType = "counts"
        else:
            name, roi = _pick_roi_series(nwbfile, series, path)
            responses = (_roi_means(roi, starts, stops, sample_row, name) if edges is None
                         else _roi_bin_means(roi, edges, sample_row, name))
            neurons = _roi_table(roi)
            meta["series"] = name
            response_type = "continuous"

    for note in notes:
        warnings.warn(note, DataWarning, stacklevel=2)
    stim = stim[sample_row]
    kind, period = _resolve_kind(stim, kind, period, spec, stimulus, intervals)
    # time-resolved trials are timed by their aligning event; bins by epoch_times from it
    times = starts if offsets is None else onsets[sample_row]
    return Recording(
        responses, stim, kind=kind, period=period, response_type=response_type,
        trials={k: v[sample_row] for k, v in columns.items()}, neurons=neurons,
        times=times, meta=meta, epoch_times=None if offsets is None else offsets[:-1],
    )


def _read_trial_table(table: Any, intervals: str, stimulus: str,
                      win: tuple[float, float] | None, align: str
                      ) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray, np.ndarray,
                                 np.ndarray, tuple[str | None, float | None]]:
    """Stimulus, other columns, align times, window edges and the saved kind/period."""
    where = f"intervals table {intervals!r}"
    if stimulus not in table.colnames:
        raise not_found("Column", stimulus, where, table.colnames)
    stim = _column_array(table, stimulus, max_ndim=2)
    if stim is None:
        raise DataFormatError(
            f"Column {stimulus!r} of {where} is not a column of scalars (it is ragged, "
            "a table reference or a compound type) and cannot be the stimulus."
        )
    if align not in table.colnames:
        raise not_found("Align column", align, where, table.colnames)
    t = np.asarray(table[align].data[()], dtype=np.float64)
    if win is None:
        lo = np.asarray(table["start_time"].data[()], dtype=np.float64)
        hi = np.asarray(table["stop_time"].data[()], dtype=np.float64)
    else:
        lo, hi = t + win[0], t + win[1]
    columns = _simple_columns(table, skip=(stimulus,))
    return stim, columns, t, lo, hi, _stimulus_spec(table[stimulus].description)


def _samples(stim: np.ndarray, lo: np.ndarray, hi: np.ndarray, where: str, stimulus: str,
             notes: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Table row, start and stop of every trial window; rows with NaNs dropped (noted)."""
    keep = np.isfinite(lo) & np.isfinite(hi)
    if (~keep).any():
        notes.append(f"Dropped {int((~keep).sum())} of {len(keep)} rows of {where} whose "
                     f"window edges are NaN (rows {format_indices(np.flatnonzero(~keep))}).")
    if stim.dtype.kind == "f":
        nan_stim = np.isnan(stim).reshape(len(stim), -1).any(axis=1)
        if nan_stim.any():
            notes.append(f"Dropped {int(nan_stim.sum())} of {len(stim)} rows of {where} "
                         f"whose {stimulus!r} is NaN (rows "
                         f"{format_indices(np.flatnonzero(nan_stim))}).")
            keep &= ~nan_stim
    rows = np.flatnonzero(keep)
    if rows.size == 0:
        raise ValueError(f"No row of {where} has both a stimulus and a window.")
    bad = rows[hi[rows] < lo[rows]]
    if bad.size:
        raise ValueError(
            f"Rows {format_indices(bad)} of {where} end before they start "
            f"(e.g. row {bad[0]}: {lo[bad[0]]:g} .. {hi[bad[0]]:g} s)."
        )
    return rows, lo[rows], hi[rows]


def _bin_edges(onsets: np.ndarray, starts: np.ndarray, stops: np.ndarray,
               offsets: np.ndarray) -> np.ndarray:
    """Absolute bin edges ``(n_trials, n_bins + 1)``: ``onsets + offsets``.

    The outer edges are the windows' own ``start`` and ``stop``, bit for bit, so the
    bins of a trial cover exactly the window that the one-vector-per-trial path counts.
    """
    edges = onsets[:, None] + offsets[None, :]
    edges[:, 0], edges[:, -1] = starts, stops
    return edges


def _resolve_kind(stim: np.ndarray, kind: StimulusKind | None, period: float | None,
                  spec: tuple[str | None, float | None], stimulus: str, intervals: str
                  ) -> tuple[StimulusKind, float | None]:
    """The kind given, else the one save_nwb wrote, else inferred; the period likewise."""
    saved_kind, saved_period = spec
    if kind is None:
        kind = saved_kind or _infer_kind(stim, stimulus, intervals)  # type: ignore[assignment]
    if kind == "circular" and period is None and saved_kind == "circular":
        period = saved_period
    if kind != "categorical" and stim.dtype.kind not in "biuf":
        raise TypeError(
            f"Column {stimulus!r} of intervals table {intervals!r} holds text; a {kind} "
            "stimulus must be numeric. Use kind='categorical'."
        )
    assert kind is not None
    return kind, period


def _check_spike_span(spikes: list[np.ndarray], starts: np.ndarray, stops: np.ndarray,
                      path: Path) -> None:
    """Raise when no window overlaps the span of the recorded spikes."""
    firsts = [s.min() for s in spikes if s.size]
    if not firsts:
        raise DataFormatError(f"The Units table of {path.name} holds no spikes at all.")
    first, last = min(firsts), max(s.max() for s in spikes if s.size)
    if np.all((stops <= first) | (starts > last)):
        raise ValueError(
            f"Every window ({starts.min():g} .. {stops.max():g} s) lies outside the spikes "
            f"of {path.name}, which span {first:g} .. {last:g} s. Check the window and align "
            "column (absolute times in seconds vs offsets)."
        )


# ---------------------------------------------------------------------------- inspect
def _py(value: Any) -> Any:
    """A JSON-friendly Python scalar."""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, np.generic):
        return value.item()
    return value


def _column_info(table: Any, name: str) -> dict[str, Any]:
    col = table[name]
    info: dict[str, Any] = {"name": name, "description": _py(col.description)}
    arr = _column_array(table, name, max_ndim=2)
    if arr is None:
        info.update(dtype="ragged" if isinstance(col, VectorIndex) else "other",
                    n_unique=None, examples=[])
        return info
    values = np.unique(arr[~np.isnan(arr)] if arr.dtype.kind == "f" else arr)
    info.update(dtype=str(arr.dtype) if arr.dtype.kind != "U" else "str",
                n_unique=int(len(values)), examples=[_py(v) for v in arr.ravel()[:3]])
    return info


def inspect_nwb(path: str | Path) -> dict[str, Any]:
    """Describe what an NWB file holds: session, units, ROI series, intervals, time series.

    Parameters
    ----------
    path : str or Path
        The NWB file; opened read-only.

    Returns
    -------
    dict
        JSON-serialisable: ``path``, ``identifier``, ``session_id``,
        ``session_description``, ``session_start_time`` (ISO text), ``units`` (None or
        ``n_units``, ``n_spikes``, ``columns``, ``first_spike``, ``last_spike``),
        ``roi_series`` (list of ``name``, ``n_rois``, ``n_samples``, ``rate``),
        ``intervals`` (list of ``name``, ``description``, ``n_rows`` and ``columns``, each
        with ``dtype``, ``n_unique`` and up to three ``examples``) and ``timeseries``
        (every other TimeSeries: ``name``, ``type``, ``shape``, ``unit``, ``rate``).

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    DataFormatError
        If it is not an NWB file.

    Examples
    --------
    >>> import os, tempfile
    >>> from neurodecode.data.synthetic import orientation_population
    >>> from neurodecode.data.nwb import inspect_nwb, save_nwb
    >>> rec, _ = orientation_population(5, 8, random_state=0)
    >>> tmp = tempfile.TemporaryDirectory()
    >>> info = inspect_nwb(save_nwb(rec, os.path.join(tmp.name, "demo.nwb")))
    >>> info["units"]["n_units"], [t["name"] for t in info["intervals"]]
    (5, ['trials'])
    >>> [c["name"] for c in info["intervals"][0]["columns"]][:3]
    ['start_time', 'stop_time', 'stimulus']
    >>> tmp.cleanup()
    """
    path = _check_path(path)
    with _open_nwb(path) as nwbfile:
        info: dict[str, Any] = {
            "path": str(path),
            "identifier": _py(nwbfile.identifier),
            "session_id": _py(nwbfile.session_id),
            "session_description": _py(nwbfile.session_description),
            "session_start_time": nwbfile.session_start_time.isoformat(),
            "units": None, "roi_series": [], "intervals": [], "timeseries": [],
        }
        if nwbfile.units is not None:
            units = nwbfile.units
            spikes = []
            if "spike_times" in units.colnames and isinstance(units["spike_times"],
                                                              VectorIndex):
                spikes = _read_spike_trains(nwbfile, path)
            flat = [s for s in spikes if s.size]
            info["units"] = {
                "n_units": len(units),
                "n_spikes": int(sum(s.size for s in spikes)),
                "columns": list(units.colnames),
                "first_spike": float(min(s.min() for s in flat)) if flat else None,
                "last_spike": float(max(s.max() for s in flat)) if flat else None,
            }
        for name, ts in _roi_series(nwbfile).items():
            times = _sample_times(ts)
            rate = ts.rate or (1.0 / float(np.median(np.diff(times))) if len(times) > 1
                               else None)
            shape = ts.data.shape
            info["roi_series"].append({
                "name": name, "n_rois": int(shape[1]) if len(shape) > 1 else 1,
                "n_samples": int(shape[0]), "rate": rate, "unit": _py(ts.unit),
            })
        for name, table in (nwbfile.intervals or {}).items():
            info["intervals"].append({
                "name": name, "description": _py(table.description), "n_rows": len(table),
                "columns": [_column_info(table, c) for c in table.colnames],
            })
        for obj in nwbfile.objects.values():
            if isinstance(obj, pynwb.TimeSeries) and not isinstance(obj, RoiResponseSeries):
                shape = getattr(obj.data, "shape", None)
                info["timeseries"].append({
                    "name": _object_path(obj), "type": type(obj).__name__,
                    "shape": None if shape is None else [int(s) for s in shape],
                    "unit": _py(obj.unit), "rate": obj.rate,
                })
        info["timeseries"].sort(key=lambda d: d["name"])
    return info


def _table(rows: list[list[str]], indent: str = "  ") -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [indent + "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    text = str(value)
    return text if len(text) <= 24 else text[:21] + "..."


def format_inspection(info: dict[str, Any]) -> str:
    """Format the output of :func:`inspect_nwb` as readable text tables.

    Parameters
    ----------
    info : dict
        As returned by :func:`inspect_nwb`.

    Returns
    -------
    str
        Several lines: the session, units, ROI series, each intervals table with its
        columns (dtype, number of distinct values, examples) and the other time series.

    Examples
    --------
    >>> info = {"path": "x.nwb", "identifier": "abc", "session_id": None,
    ...         "session_description": "demo", "session_start_time": "2024-01-01T00:00:00",
    ...         "units": {"n_units": 2, "n_spikes": 10, "columns": ["spike_times"],
    ...                   "first_spike": 0.1, "last_spike": 9.0},
    ...         "roi_series": [], "timeseries": [],
    ...         "intervals": [{"name": "trials", "description": "", "n_rows": 4, "columns": [
    ...             {"name": "start_time", "dtype": "float64", "n_unique": 4,
    ...              "examples": [0.0, 1.0, 2.0]}]}]}
    >>> print(format_inspection(info))  # doctest: +NORMALIZE_WHITESPACE
    NWB file: x.nwb
      identifier: abc   session id: None
      description: demo
    Units: 2 units, 10 spikes, 0.1 .. 9 s
    ROI response series: none
    Intervals table 'trials': 4 rows
      column      dtype    unique  examples
      start_time  float64  4       0, 1, 2
    Other time series: none
    """
    lines = [f"NWB file: {info['path']}",
             f"  identifier: {info['identifier']}   session id: {info['session_id']}",
             f"  description: {info['session_description']}"]
    units = info.get("units")
    if units:
        span = ""
        if units.get("first_spike") is not None:
            span = f", {units['first_spike']:.4g} .. {units['last_spike']:.4g} s"
        lines.append(f"Units: {units['n_units']} units, {units['n_spikes']} spikes{span}")
    else:
        lines.append("Units: none")
    if info["roi_series"]:
        lines.append("ROI response series:")
        rows = [["name", "n_rois", "n_samples", "rate (Hz)"]]
        rows += [[s["name"], str(s["n_rois"]), str(s["n_samples"]),
                  "?" if s["rate"] is None else f"{s['rate']:.4g}"] for s in info["roi_series"]]
        lines += _table(rows)
    else:
        lines.append("ROI response series: none")
    for table in info["intervals"]:
        lines.append(f"Intervals table {table['name']!r}: {table['n_rows']} rows")
        rows = [["column", "dtype", "unique", "examples"]]
        rows += [[c["name"], c["dtype"], "" if c["n_unique"] is None else str(c["n_unique"]),
                  ", ".join(_short(v) for v in c["examples"])] for c in table["columns"]]
        lines += _table(rows)
    if info["timeseries"]:
        lines.append("Other time series:")
        rows = [["name", "type", "shape", "unit"]]
        rows += [[t["name"], t["type"], "x".join(map(str, t["shape"] or [])), str(t["unit"])]
                 for t in info["timeseries"]]
        lines += _table(rows)
    else:
        lines.append("Other time series: none")
    return "\n".join(lines)


# ---------------------------------------------------------------------------- save_nwb
def _vector(name: str, description: str, values: np.ndarray) -> VectorData:
    data: Any = values.tolist() if values.dtype.kind == "U" else values
    return VectorData(name=name, description=description, data=data)


def _extra_columns(table: dict[str, np.ndarray], reserved: set[str]) -> list[VectorData]:
    cols = []
    for name, values in table.items():
        if name in reserved or name.endswith("_index") or values.ndim != 1:
            continue
        if values.dtype.kind in "biufU":
            cols.append(_vector(name, f"{name} (from neurodecode)", values))
    return cols


def _trials_table(recording: Recording, starts: np.ndarray, stops: np.ndarray) -> TimeIntervals:
    spec = f"kind={recording.kind}"
    if recording.period is not None:
        spec += f";period={recording.period!r}"
    columns = [
        VectorData(name="start_time", description="Start of the trial, in seconds.",
                   data=starts),
        VectorData(name="stop_time", description="End of the trial, in seconds.",
                   data=stops),
        _vector("stimulus", f"The decoded variable (neurodecode: {spec}).",
                recording.stimulus),
        *_extra_columns(recording.trials, _TRIAL_RESERVED),
    ]
    return TimeIntervals(name="trials", description="Trials written by neurodecode.save_nwb.",
                         id=ElementIdentifiers(name="id", data=np.arange(len(starts))),
                         columns=columns)


def _unit_ids(recording: Recording) -> np.ndarray:
    ids = recording.neurons.get("id")
    if (ids is not None and ids.dtype.kind in "iu"
            and len(np.unique(ids)) == len(ids)):
        return ids.astype(np.int64)
    return np.arange(recording.n_neurons)


def _spike_times(counts: np.ndarray, starts: np.ndarray, duration: float,
                 rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Place ``counts[t, j]`` spikes of unit j uniformly inside trial t; (flat, index)."""
    n_trials, n_units = counts.shape
    index = np.cumsum(counts.sum(axis=0))
    flat = np.empty(int(index[-1]) if n_units else 0, dtype=np.float64)
    step = max(1, (1 << 22) // max(1, n_trials))
    pos = 0
    for j0 in range(0, n_units, step):
        block = counts[:, j0:j0 + step].T.ravel()  # unit-major
        out = flat[pos:pos + int(block.sum())]
        out[:] = np.repeat(np.tile(starts, block.size // n_trials), block)
        # offsets in [0.001, 0.999) of the trial: strictly inside (start, stop)
        offsets = rng.random(out.size)
        offsets *= 0.998 * duration
        offsets += 0.001 * duration
        out += offsets
        pos += out.size
    bounds = np.concatenate([[0], index])
    for a, b in zip(bounds[:-1], bounds[1:]):
        # trials are disjoint and in order, so each unit is nearly sorted: timsort is fast
        flat[a:b].sort(kind="stable")
    return flat, index


def _units_table(recording: Recording, starts: np.ndarray, duration: float,
                 rng: np.random.Generator) -> Units:
    counts = recording.responses.astype(np.int64)
    flat, index = _spike_times(counts, starts, duration, rng)
    times = VectorData(name="spike_times", description="Spike times in seconds.", data=flat)
    columns = [times, VectorIndex(name="spike_times_index", data=index, target=times),
               *_extra_columns(recording.neurons, _UNIT_RESERVED)]
    return Units(name="units", description="Units written by neurodecode.save_nwb.",
                 id=ElementIdentifiers(name="id", data=_unit_ids(recording)), columns=columns)


def _add_roi_series(nwbfile: Any, recording: Recording, starts: np.ndarray,
                    duration: float) -> None:
    """Two samples per trial, at start and start + duration / 2, both the trial's value."""
    n = recording.n_neurons
    device = nwbfile.create_device(name="Microscope", description="Virtual (neurodecode).")
    channel = OpticalChannel(name="OpticalChannel", description="Virtual.",
                             emission_lambda=float("nan"))
    plane = nwbfile.create_imaging_plane(
        name="ImagingPlane", optical_channel=channel, description="Virtual plane.",
        device=device, excitation_lambda=float("nan"), indicator="unknown",
        location="unknown", imaging_rate=2.0 / duration,
    )
    width = int(np.ceil(np.sqrt(n)))
    mask = np.zeros(n, dtype=[("x", "<u4"), ("y", "<u4"), ("weight", "<f4")])
    mask["x"], mask["y"], mask["weight"] = np.arange(n) % width, np.arange(n) // width, 1.0
    pixels = VectorData(name="pixel_mask", description="One pixel per ROI.", data=mask)
    segmentation = PlaneSegmentation(
        name="PlaneSegmentation", description="One ROI per neuron.", imaging_plane=plane,
        id=ElementIdentifiers(name="id", data=_unit_ids(recording)),
        columns=[pixels, VectorIndex(name="pixel_mask_index", data=np.arange(1, n + 1),
                                     target=pixels),
                 *_extra_columns(recording.neurons, {"id", "pixel_mask", "image_mask",
                                                     "voxel_mask"})],
    )
    module = nwbfile.create_processing_module(name="ophys", description="Optical physiology.")
    module.add(ImageSegmentation(plane_segmentations=[segmentation]))
    dff = DfOverF(name="DfOverF")
    module.add(dff)
    rois = segmentation.create_roi_table_region(region=list(range(n)), description="All ROIs.")
    timestamps = np.column_stack([starts, starts + duration / 2]).ravel()
    dff.add_roi_response_series(RoiResponseSeries(
        name="RoiResponseSeries", data=np.repeat(recording.responses, 2, axis=0),
        rois=rois, unit="n.a.", timestamps=timestamps,
        description="Responses written by neurodecode.save_nwb: each trial's value twice.",
    ))


def _default_duration(recording: Recording) -> float:
    window = recording.meta.get("window")
    if isinstance(window, (int, float)) and not isinstance(window, bool) and window > 0:
        return float(window)
    if isinstance(window, (tuple, list)) and len(window) == 2:
        return float(window[1]) - float(window[0])
    if recording.bin_size is not None:
        return recording.bin_size
    return 1.0


def save_nwb(
    recording: Recording,
    path: str | Path,
    *,
    trial_duration: float | None = None,
    inter_trial_interval: float = 0.5,
    random_state: int | None = 0,
    overwrite: bool = False,
) -> Path:
    """Write a Recording as an NWB file that :func:`load_nwb` reads back unchanged.

    Each sample becomes a row of the ``trials`` table (``start_time``, ``stop_time``,
    ``stimulus`` and the numeric, boolean and text columns of ``recording.trials``).
    Spike counts become spike times in a Units table: the ``k`` spikes of a unit in a
    trial are drawn uniformly (seeded) strictly inside the trial, so loading gives the
    same counts bit for bit. Continuous responses become a ``DfOverF`` ROI response
    series in the ``ophys`` processing module, with two samples per trial equal to
    the response. The stimulus kind and period are written into the ``stimulus``
    column's description, where :func:`load_nwb` finds them.

    Parameters
    ----------
    recording : Recording
        What to write.
    path : str or Path
        Destination; written to a temporary file in the same folder, then renamed.
    trial_duration : float, optional
        Seconds from each trial's start to its stop. Defaults to ``meta["window"]``
        (a duration, or the length of a ``(start, stop)`` window), else the
        ``bin_size``, else 1.
    inter_trial_interval : float, default=0.5
        Gap in seconds between a trial's stop and the next one's start.
    random_state : int or None, default=0
        Seed of the spike-time placement.
    overwrite : bool, default=False
        Replace an existing file.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    TypeError
        If ``recording`` is not a Recording.
    ValueError
        If ``recording`` is time-resolved (trials x times x neurons: save
        ``recording.mean_over(start, stop)`` or ``recording.at(t)`` instead), for a
        non-positive ``trial_duration`` or a negative ``inter_trial_interval``.
    FileExistsError
        If ``path`` exists and ``overwrite`` is False.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from neurodecode.data import Recording
    >>> from neurodecode.data.nwb import load_nwb, save_nwb
    >>> rec = Recording(np.array([[0.5, 1.0], [2.0, -1.0]]), ["a", "b"], kind="categorical")
    >>> tmp = tempfile.TemporaryDirectory()
    >>> path = save_nwb(rec, os.path.join(tmp.name, "dff.nwb"))
    >>> back = load_nwb(path, "stimulus", source="roi")
    >>> back.responses.tolist(), back.stimulus.tolist(), back.kind
    ([[0.5, 1.0], [2.0, -1.0]], ['a', 'b'], 'categorical')
    >>> tmp.cleanup()
    """
    if not isinstance(recording, Recording):
        raise TypeError(
            f"save_nwb writes a Recording; got {type(recording).__name__}. Build one with "
            "neurodecode.data.Recording(responses, stimulus, kind=...)."
        )
    if recording.is_time_resolved:
        raise ValueError(
            f"save_nwb writes one response vector per trial, but this Recording holds "
            f"responses over time (shape {recording.shape}: trials x times x neurons). "
            "Save one time point or window of it: recording.at(t) or "
            "recording.mean_over(start, stop)."
        )
    duration = _default_duration(recording) if trial_duration is None else trial_duration
    check_number(duration, "trial_duration", "save_nwb", low=0, low_inclusive=False)
    check_number(inter_trial_interval, "inter_trial_interval", "save_nwb", low=0)
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(
            f"'{path}' already exists; pass overwrite=True to replace it."
        )
    if not path.parent.is_dir():
        raise FileNotFoundError(f"The folder '{path.parent}' does not exist.")
    duration = float(duration)
    starts = inter_trial_interval + np.arange(recording.n_samples) * (
        duration + inter_trial_interval)
    stops = starts + duration
    source = recording.meta.get("source", "unknown")
    session_id = recording.meta.get("session_id")
    nwbfile = pynwb.NWBFile(
        session_description=f"Recording written by neurodecode.save_nwb (source: {source}).",
        identifier=str(uuid.uuid4()),
        session_start_time=datetime.datetime.now(datetime.timezone.utc),
        session_id=session_id if isinstance(session_id, str) else None,
        trials=_trials_table(recording, starts, stops),
    )
    if recording.response_type == "counts":
        nwbfile.units = _units_table(recording, starts, duration,
                                     np.random.default_rng(random_state))
    else:
        _add_roi_series(nwbfile, recording, starts, duration)

    # a fresh name in the same folder (created with the usual permissions), then renamed
    tmp = path.parent / f".{path.stem}.{uuid.uuid4().hex[:12]}.tmp.nwb"
    try:
        with pynwb.NWBHDF5IO(tmp, "w") as io:
            io.write(nwbfile)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return path

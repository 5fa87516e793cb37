"""From spike times and behaviour streams to samples: counting, binning, re-binning, history.

All counting uses half-open windows ``[start, stop)``: a spike exactly at ``stop`` belongs
to the next window, so adjacent windows never count a spike twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from .._validation import as_numpy, check_choice, check_number, check_same_length

if TYPE_CHECKING:
    from ._recording import Recording

__all__ = [
    "add_history",
    "align_behavior",
    "bin_recording",
    "bin_spikes",
    "count_spikes",
    "rebin",
    "segments",
]


def _sorted_units(spike_times: Sequence[np.ndarray]) -> list[np.ndarray]:
    units = []
    for i, st in enumerate(spike_times):
        st = as_numpy(st, f"spike_times[{i}]", dtype=np.float64, ndim=1)
        if st.size > 1 and np.any(np.diff(st) < 0):
            st = np.sort(st)
        units.append(st)
    return units


def count_spikes(spike_times: Sequence[np.ndarray], starts: np.ndarray,
                 stops: np.ndarray) -> np.ndarray:
    """Count each unit's spikes in each window ``[start, stop)``.

    One pair of ``searchsorted`` calls per unit covers every window at once, so the cost
    is O(n_units * n_windows * log(n_spikes)) with no Python loop over windows.

    Parameters
    ----------
    spike_times : sequence of n_units 1-D arrays
        Spike times in seconds, one array per unit (sorted or not).
    starts, stops : array-like of shape (n_windows,)
        Window edges in seconds, ``stops >= starts``; windows may overlap.

    Returns
    -------
    counts : ndarray of shape (n_windows, n_units), int64

    Raises
    ------
    ValueError
        If ``starts`` and ``stops`` differ in length or a window ends before it starts.

    Examples
    --------
    >>> count_spikes([[0.1, 0.2, 1.5], [0.9]], starts=[0.0, 1.0], stops=[1.0, 2.0])
    array([[2, 1],
           [1, 0]])
    """
    starts = as_numpy(starts, "starts", dtype=np.float64, ndim=1)
    stops = as_numpy(stops, "stops", dtype=np.float64, ndim=1)
    check_same_length(starts, stops, "starts", "stops", "windows")
    if np.any(stops < starts):
        bad = int(np.flatnonzero(stops < starts)[0])
        raise ValueError(
            f"Window {bad} ends before it starts ({starts[bad]:g} > {stops[bad]:g} s)."
        )
    units = _sorted_units(spike_times)
    counts = np.empty((len(starts), len(units)), dtype=np.int64)
    for j, st in enumerate(units):
        counts[:, j] = np.searchsorted(st, stops, "left") - np.searchsorted(st, starts, "left")
    return counts


def _count_spikes_binned(spike_times: Sequence[np.ndarray], edges: np.ndarray,
                         block: int = 64) -> np.ndarray:
    """Count each unit's spikes in consecutive bins of many windows at once.

    ``edges[i]`` holds the ``n_bins + 1`` increasing bin edges of window ``i``; bin ``k``
    is ``[edges[i, k], edges[i, k + 1])``, as in :func:`count_spikes`. One
    ``searchsorted`` of every edge per unit, then a difference along the bins, so the
    counts of a window's bins add up to the count of the whole window exactly. Units
    are counted ``block`` at a time into a small buffer that is then transposed into
    place (a blocked transpose: far faster than one strided copy of the whole array).

    Returns
    -------
    counts : ndarray of shape (n_windows, n_bins, n_units), float32
        Whole numbers (exact below 2**24 spikes per bin), the dtype a Recording stores.

    Examples
    --------
    >>> _count_spikes_binned([[0.1, 0.2, 1.5], [0.9]], np.array([[0.0, 0.5, 1.0],
    ...                                                          [1.0, 1.5, 2.0]]))[..., 0]
    array([[2., 0.],
           [0., 1.]], dtype=float32)
    """
    edges = np.asarray(edges, dtype=np.float64)
    units = _sorted_units(spike_times)
    n_windows, n_edges = edges.shape
    flat = edges.ravel()
    counts = np.empty((n_windows, n_edges - 1, len(units)), dtype=np.float32)
    buffer = np.empty((min(block, len(units)), n_windows, n_edges - 1), dtype=np.float32)
    for j0 in range(0, len(units), block):
        chunk = units[j0:j0 + block]
        for j, st in enumerate(chunk):
            idx = np.searchsorted(st, flat, "left").reshape(n_windows, n_edges)
            np.subtract(idx[:, 1:], idx[:, :-1], out=buffer[j], casting="unsafe")
        counts[:, :, j0:j0 + len(chunk)] = np.moveaxis(buffer[:len(chunk)], 0, -1)
    return counts


def bin_spikes(spike_times: Sequence[np.ndarray], bin_size: float, *,
               start: float | None = None,
               stop: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Count spikes in consecutive bins of ``bin_size`` seconds.

    Parameters
    ----------
    spike_times : sequence of n_units 1-D arrays
        Spike times in seconds.
    bin_size : float
        Bin width in seconds.
    start, stop : float, optional
        Time span to bin; defaults to the first and last spike. The last partial bin
        is dropped.

    Returns
    -------
    counts : ndarray of shape (n_bins, n_units), int64
    bin_starts : ndarray of shape (n_bins,)
        Start time of each bin in seconds.

    Examples
    --------
    >>> counts, t = bin_spikes([[0.05, 0.15, 0.16]], 0.1, start=0.0, stop=0.3)
    >>> counts.ravel().tolist(), t.tolist()
    ([1, 2, 0], [0.0, 0.1, 0.2])
    """
    check_number(bin_size, "bin_size", "bin_spikes", low=0, low_inclusive=False)
    units = _sorted_units(spike_times)
    nonempty = [u for u in units if u.size]
    if start is None:
        start = min((u[0] for u in nonempty), default=0.0)
    if stop is None:
        stop = max((u[-1] for u in nonempty), default=start) + bin_size
    n_bins = int(np.floor((stop - start) / bin_size + 1e-9))
    if n_bins < 1:
        raise ValueError(
            f"No complete bin of {bin_size:g} s fits between start={start:g} and stop={stop:g}."
        )
    edges = start + np.arange(n_bins + 1) * bin_size
    counts = count_spikes(units, edges[:-1], edges[1:])
    return counts, edges[:-1]


def align_behavior(times: np.ndarray, values: np.ndarray, bin_starts: np.ndarray,
                   bin_size: float, *, kind: str = "linear",
                   period: float | None = None) -> np.ndarray:
    """Average a behaviour stream into time bins.

    Each bin gets the mean of the samples inside ``[bin_start, bin_start + bin_size)``,
    the circular mean for circular variables (so 359 deg and 1 deg average to 0, not 180).
    Bins with no sample get the value interpolated at the bin centre (along the shorter
    arc for circular variables).

    Parameters
    ----------
    times : array-like of shape (n_points,)
        Sample times of the behaviour in seconds, increasing.
    values : array-like of shape (n_points,) or (n_points, n_outputs)
        Behaviour samples.
    bin_starts : array-like of shape (n_bins,)
        Start of each bin in seconds.
    bin_size : float
        Bin width in seconds.
    kind : {"linear", "circular"}, default="linear"
    period : float, optional
        Period of a circular variable (required when ``kind="circular"``).

    Returns
    -------
    ndarray of shape (n_bins,) or (n_bins, n_outputs)

    Examples
    --------
    >>> align_behavior([0.0, 0.05, 0.1], [359.0, 1.0, 90.0], [0.0, 0.1], 0.1,
    ...                kind="circular", period=360).round(6).tolist()
    [0.0, 90.0]
    """
    check_choice(kind, "kind", ("linear", "circular"), "align_behavior")
    times = as_numpy(times, "times", dtype=np.float64, ndim=1)
    vals = as_numpy(values, "values", dtype=np.float64, ndim=(1, 2))
    check_same_length(times, vals, "times", "values", "points")
    starts = as_numpy(bin_starts, "bin_starts", dtype=np.float64, ndim=1)
    if kind == "circular":
        if period is None:
            raise ValueError("align_behavior needs the period of a circular variable.")
        if vals.ndim != 1:
            raise ValueError("A circular behaviour must be 1-D.")
    squeeze = vals.ndim == 1
    vals2 = vals[:, None] if squeeze else vals
    if kind == "circular":
        from ..decoders._core import encode_angles  # the decoders' own coding of angles

        vals2 = encode_angles(vals2[:, 0], period)
    n_bins = len(starts)
    idx = np.searchsorted(starts, times, "right") - 1
    inside = (idx >= 0) & (times < starts[np.clip(idx, 0, None)] + bin_size)
    idx, v = idx[inside], vals2[inside]
    n = np.bincount(idx, minlength=n_bins).astype(float)
    sums = np.stack([np.bincount(idx, v[:, k], minlength=n_bins) for k in range(v.shape[1])],
                    axis=1)
    out = np.empty_like(sums)
    have = n > 0
    out[have] = sums[have] / n[have, None]
    if not have.all():
        centres = starts[~have] + bin_size / 2
        for k in range(vals2.shape[1]):
            out[~have, k] = np.interp(centres, times, vals2[:, k])
    if kind == "circular":
        ang = np.arctan2(out[:, 1], out[:, 0]) % (2 * np.pi)
        res = ang * (period / (2 * np.pi))
        return np.where(res >= period, 0.0, res)
    return out[:, 0] if squeeze else out


def segments(recording: Recording) -> list[tuple[int, int]]:
    """Contiguous stretches ``[start, stop)`` of a recording's samples.

    A new segment starts where ``trial_id`` changes or, for time-binned recordings,
    where consecutive sample times jump by more than 1.5 bins (joined epochs).
    """
    n = recording.n_samples
    cut = np.zeros(n, dtype=bool)
    cut[0] = True
    if recording.trial_id is not None:
        tid = recording.trial_id
        cut[1:] |= tid[1:] != tid[:-1]
    if recording.is_time_binned and recording.times is not None:
        assert recording.bin_size is not None
        cut[1:] |= np.abs(np.diff(recording.times) - recording.bin_size) > 0.5 * recording.bin_size
    starts = np.flatnonzero(cut)
    stops = np.append(starts[1:], n)
    return list(zip(starts.tolist(), stops.tolist()))


def segment_ids(recording: Recording) -> np.ndarray | None:
    """One id per sample of a time-binned recording's continuous segments (see
    :func:`segments`), or None for a recording of trials without ``trial_id``.

    Decoders that keep state over time (``uses_segments``) read them so that no filter
    or history window crosses a segment boundary.
    """
    if not recording.is_time_binned and recording.trial_id is None:
        return None
    stretches = segments(recording)
    return np.repeat(np.arange(len(stretches)), [b - a for a, b in stretches])


def _circular_mean(values: np.ndarray, period: float, axis: int) -> np.ndarray:
    ang = values * (2 * np.pi / period)
    res = np.arctan2(np.sin(ang).mean(axis), np.cos(ang).mean(axis)) % (2 * np.pi)
    res = res * (period / (2 * np.pi))
    return np.where(res >= period, 0.0, res)


def rebin(recording: Recording, factor: int) -> Recording:
    """Merge every ``factor`` consecutive time bins into one.

    Counts are summed, continuous responses averaged; the stimulus is averaged (circular
    mean for circular stimuli, the most frequent label for categorical ones). Bins are
    never merged across segment boundaries (see :func:`segments`); the incomplete tail
    of each segment is dropped.

    Parameters
    ----------
    recording : Recording
        A time-binned recording.
    factor : int
        How many bins to merge, >= 1.

    Returns
    -------
    Recording
        With ``bin_size * factor``.

    Raises
    ------
    ValueError
        If the recording is not time-binned or no segment is long enough.
    """
    check_number(factor, "factor", "rebin", low=1, integer=True)
    if not recording.is_time_binned:
        raise ValueError(
            "rebin needs a time-binned recording (bin_size set); this one holds trials."
        )
    group_starts = np.concatenate([
        np.arange(a, b - factor + 1, factor) for a, b in segments(recording)
    ]).astype(np.intp)
    if group_starts.size == 0:
        raise ValueError(
            f"No segment of the recording holds {factor} consecutive bins; choose a smaller "
            "factor."
        )
    members = group_starts[:, None] + np.arange(factor)
    bounds = np.column_stack([group_starts, group_starts + factor]).ravel()
    # reduceat sums [s, s + factor) at even positions; the last bound may equal n.
    resp = recording.responses
    padded = np.vstack([resp, np.zeros((1, resp.shape[1]), resp.dtype)])
    summed = np.add.reduceat(padded.astype(np.float64), bounds, axis=0)[::2]
    responses = summed if recording.response_type == "counts" else summed / factor

    stim = recording.stimulus
    if recording.kind == "circular":
        assert recording.period is not None
        new_stim = _circular_mean(stim[members], recording.period, axis=1)
    elif recording.kind == "linear":
        new_stim = stim[members].mean(axis=1)
    else:
        classes, codes = np.unique(stim, return_inverse=True)
        grouped = codes.reshape(-1)[members]
        votes = (grouped[..., None] == np.arange(len(classes))).sum(axis=1)
        new_stim = classes[votes.argmax(axis=1)]

    assert recording.bin_size is not None
    meta = {**recording.meta, "rebinned_by": factor}
    return recording._replace(
        responses=responses,
        stimulus=new_stim,
        trials={k: v[group_starts] for k, v in recording.trials.items()},
        bin_size=recording.bin_size * factor,
        times=None if recording.times is None else recording.times[group_starts],
        trial_id=None if recording.trial_id is None else recording.trial_id[group_starts],
        meta=meta,
    )


def add_history(recording: Recording, n_before: int, n_after: int = 0) -> Recording:
    """Add spike-history features: each sample also sees neighbouring bins' responses.

    As in Glaser et al. (2020), the features of sample ``t`` are the responses of bins
    ``t - n_before .. t + n_after``, ordered oldest first (``lag`` in the neuron table).
    Samples whose window would cross a segment boundary or the recording's edges are
    dropped. The output matrix is built with one copy from a strided view.

    Parameters
    ----------
    recording : Recording
        A time-binned recording (or trials of one continuous session).
    n_before, n_after : int
        Bins of history before and after each sample (``n_after=0``: causal decoding).

    Returns
    -------
    Recording
        ``n_neurons * (n_before + n_after + 1)`` features; ``meta["history"]`` holds
        ``(n_before, n_after)`` so that cross-validation can leave a gap that wide.

    Raises
    ------
    ValueError
        If no segment is long enough for the window.
    """
    check_number(n_before, "n_before", "add_history", low=0, integer=True)
    check_number(n_after, "n_after", "add_history", low=0, integer=True)
    L = n_before + n_after + 1
    resp = recording.responses
    n_neurons = recording.n_neurons
    segs = [(a, b) for a, b in segments(recording) if b - a >= L]
    if not segs:
        raise ValueError(
            f"No segment holds {L} consecutive samples, needed for n_before={n_before} and "
            f"n_after={n_after}."
        )
    keep = np.concatenate([np.arange(a + n_before, b - n_after) for a, b in segs])
    out = np.empty((len(keep), L * n_neurons), dtype=np.float32)
    row = 0
    for a, b in segs:
        view = np.lib.stride_tricks.sliding_window_view(resp[a:b], L, axis=0)  # (m, N, L)
        m = view.shape[0]
        out[row:row + m].reshape(m, L, n_neurons)[:] = view.transpose(0, 2, 1)
        row += m
    lags = np.repeat(np.arange(-n_before, n_after + 1), n_neurons)
    neurons = {k: np.tile(v, L) for k, v in recording.neurons.items()}
    neurons["source_neuron"] = np.tile(recording.neurons["id"], L)
    neurons["id"] = np.arange(L * n_neurons)
    neurons["lag"] = lags
    meta = {**recording.meta, "history": (n_before, n_after)}
    return recording._replace(
        responses=out,
        stimulus=recording.stimulus[keep],
        trials={k: v[keep] for k, v in recording.trials.items()},
        neurons=neurons,
        times=None if recording.times is None else recording.times[keep],
        trial_id=None if recording.trial_id is None else recording.trial_id[keep],
        meta=meta,
    )


def bin_recording(spike_times: Sequence[np.ndarray], bin_size: float, *,
                  behavior_times: np.ndarray, behavior: np.ndarray, kind: str = "linear",
                  period: float | None = None, start: float | None = None,
                  stop: float | None = None, meta: dict | None = None) -> Recording:
    """Build a time-binned :class:`Recording` from spike times and a behaviour stream.

    Parameters
    ----------
    spike_times : sequence of n_units 1-D arrays
        Spike times in seconds.
    bin_size : float
        Bin width in seconds.
    behavior_times, behavior : array-like
        The behaviour stream (e.g. head direction) and its sample times; averaged into
        each bin with :func:`align_behavior`.
    kind : {"linear", "circular"}, default="linear"
    period : float, optional
        Period of a circular behaviour.
    start, stop : float, optional
        Time span to bin; defaults to the span of the behaviour samples.
    meta : dict, optional
        Stored on the Recording.

    Returns
    -------
    Recording
        ``response_type="counts"``, ``bin_size`` set, ``times`` the bin starts.

    Examples
    --------
    >>> rec = bin_recording([[0.01, 0.12]], 0.1, behavior_times=[0.0, 0.1, 0.2],
    ...                     behavior=[1.0, 2.0, 3.0])
    >>> rec.responses.ravel().tolist(), rec.stimulus.tolist()
    ([1.0, 1.0], [1.0, 2.0])
    """
    from ._recording import Recording

    btimes = as_numpy(behavior_times, "behavior_times", dtype=np.float64, ndim=1)
    if start is None:
        start = float(btimes[0])
    if stop is None:
        stop = float(btimes[-1])
    counts, bin_starts = bin_spikes(spike_times, bin_size, start=start, stop=stop)
    stim = align_behavior(btimes, behavior, bin_starts, bin_size, kind=kind, period=period)
    return Recording(counts, stim, kind=kind, period=period,  # type: ignore[arg-type]
                     response_type="counts", bin_size=bin_size, times=bin_starts, meta=meta)

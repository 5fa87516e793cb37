"""Spike counting, binning, behaviour alignment, re-binning and history features,
each checked against a naive reference."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import circmean

from neurodecode.data import (
    Recording,
    add_history,
    align_behavior,
    bin_recording,
    bin_spikes,
    count_spikes,
    rebin,
)
from neurodecode.data.binning import _count_spikes_binned, segments

spike_trains = st.lists(
    st.lists(st.floats(0, 10, allow_nan=False, width=32), max_size=40),
    min_size=1, max_size=6,
)
windows = st.lists(
    st.tuples(st.floats(-1, 11, width=32), st.floats(0, 3, width=32)), min_size=1, max_size=12
)


def naive_counts(spike_times, starts, stops):
    out = np.zeros((len(starts), len(spike_times)), dtype=np.int64)
    for i, (a, b) in enumerate(zip(starts, stops)):
        for j, st_ in enumerate(spike_times):
            out[i, j] = sum(1 for t in st_ if a <= t < b)
    return out


@settings(max_examples=150, deadline=None)
@given(trains=spike_trains, wins=windows)
def test_count_spikes_matches_naive_loop(trains, wins):
    starts = np.array([a for a, _ in wins])
    stops = starts + np.array([d for _, d in wins])
    # spikes exactly on window edges are part of the test
    trains = [t + [float(starts[0])] for t in trains]
    np.testing.assert_array_equal(count_spikes(trains, starts, stops),
                                  naive_counts(trains, starts, stops))


def test_count_spikes_half_open_windows():
    counts = count_spikes([[1.0, 2.0, 3.0]], starts=[1.0, 2.0], stops=[2.0, 3.0])
    assert counts.ravel().tolist() == [1, 1]  # 2.0 and 3.0 belong to the window they open


def test_count_spikes_errors():
    with pytest.raises(ValueError, match="Window 1 ends before it starts"):
        count_spikes([[1.0]], [0.0, 2.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="starts has 2, stops has 1"):
        count_spikes([[1.0]], [0.0, 2.0], [1.0])


@settings(max_examples=60, deadline=None)
@given(trains=spike_trains, bin_size=st.sampled_from([0.1, 0.25, 1.0]))
def test_bin_spikes_matches_histogram(trains, bin_size):
    counts, starts = bin_spikes(trains, bin_size, start=0.0, stop=10.0)
    edges = np.arange(len(starts) + 1) * bin_size
    for j, st_ in enumerate(trains):
        # np.histogram closes its last bin on the right; bins are half-open here
        ref, _ = np.histogram([t for t in st_ if t < edges[-1]], bins=edges)
        np.testing.assert_array_equal(counts[:, j], ref)


def test_align_behavior_circular_mean_matches_scipy(rng):
    times = np.sort(rng.uniform(0, 1, 300))
    angles = (rng.normal(0, 40, 300)) % 360  # straddles 0/360
    starts = np.arange(0, 1, 0.1)
    out = align_behavior(times, angles, starts, 0.1, kind="circular", period=360)
    for k, a in enumerate(starts):
        inside = (times >= a) & (times < a + 0.1)
        ref = circmean(angles[inside], high=360, low=0)
        d = (out[k] - ref + 180) % 360 - 180
        assert abs(d) < 1e-6


def test_align_behavior_interpolates_empty_bins_and_2d():
    out = align_behavior([0.0, 1.0], [[0.0, 10.0], [1.0, 20.0]], [0.0, 0.4, 0.9], 0.2)
    np.testing.assert_allclose(out, [[0.0, 10.0], [0.5, 15.0], [1.0, 20.0]])
    with pytest.raises(ValueError, match="period"):
        align_behavior([0.0], [1.0], [0.0], 0.1, kind="circular")


def test_bin_recording_builds_time_binned_counts():
    btimes = np.arange(40) * 0.01 + 0.005  # no behaviour sample on a bin edge
    rec = bin_recording([[0.05, 0.15, 0.16, 0.35]], 0.1, behavior_times=btimes,
                        behavior=10 * btimes, start=0.0, stop=0.4)
    assert rec.is_time_binned and rec.response_type == "counts"
    assert rec.responses.ravel().tolist() == [1, 2, 0, 1]
    np.testing.assert_allclose(rec.stimulus, [0.5, 1.5, 2.5, 3.5])


def binned(n=23, neurons=3, counts=True, **kw):
    r = np.arange(n * neurons, dtype=float).reshape(n, neurons)
    return Recording(r, np.linspace(0, 10, n), kind="linear", bin_size=0.01,
                     response_type="counts" if counts else "continuous", **kw)


def test_rebin_sums_counts_and_averages_continuous():
    rec = binned()
    out = rebin(rec, 5)
    ref = rec.responses[:20].reshape(4, 5, 3).sum(axis=1)
    np.testing.assert_array_equal(out.responses, ref)
    np.testing.assert_allclose(out.stimulus, rec.stimulus[:20].reshape(4, 5).mean(axis=1))
    assert out.bin_size == pytest.approx(0.05) and out.n_samples == 4
    np.testing.assert_allclose(out.times, rec.times[[0, 5, 10, 15]])
    cont = rebin(binned(counts=False), 5)
    np.testing.assert_allclose(cont.responses, ref / 5)


def test_rebin_circular_mean_and_categorical_vote():
    stim = np.array([350.0, 10.0, 0.0, 90.0, 91.0, 92.0])
    rec = Recording(np.ones((6, 1)), stim, kind="circular", period=360, bin_size=0.1)
    np.testing.assert_allclose(rebin(rec, 3).stimulus, [0.0, 91.0], atol=1e-9)
    cat = Recording(np.ones((6, 1)), list("aabbba"), kind="categorical", bin_size=0.1)
    assert rebin(cat, 3).stimulus.tolist() == ["a", "b"]


def test_rebin_never_crosses_segments():
    times = np.r_[np.arange(7) * 0.01, 1.0 + np.arange(6) * 0.01]  # a gap after 7 bins
    rec = binned(13, times=times)
    assert segments(rec) == [(0, 7), (7, 13)]
    out = rebin(rec, 3)
    np.testing.assert_allclose(out.times, times[[0, 3, 7, 10]])
    rec_tid = binned(13, trial_id=[0] * 4 + [1] * 9)
    assert segments(rec_tid) == [(0, 4), (4, 13)]
    assert rebin(rec_tid, 3).n_samples == 1 + 3


def test_rebin_errors():
    with pytest.raises(ValueError, match="time-binned"):
        rebin(Recording(np.ones((4, 1)), [1, 2, 3, 4], kind="linear"), 2)
    with pytest.raises(ValueError, match="smaller factor"):
        rebin(binned(4), 5)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 30), before=st.integers(0, 3), after=st.integers(0, 2),
       cut=st.integers(0, 30))
def test_add_history_matches_naive(n, before, after, cut):
    tid = (np.arange(n) >= cut).astype(int)
    rec = binned(n, neurons=2, trial_id=tid)
    L = before + after + 1
    rows, stims = [], []
    for t in range(n):
        window = range(t - before, t + after + 1)
        if all(0 <= u < n and tid[u] == tid[t] for u in window):
            rows.append(np.concatenate([rec.responses[u] for u in window]))
            stims.append(rec.stimulus[t])
    if not rows:
        with pytest.raises(ValueError, match="No segment holds"):
            add_history(rec, before, after)
        return
    out = add_history(rec, before, after)
    np.testing.assert_array_equal(out.responses, np.array(rows, dtype=np.float32))
    np.testing.assert_array_equal(out.stimulus, stims)
    assert out.neurons["lag"].tolist() == np.repeat(np.arange(-before, after + 1), 2).tolist()
    assert out.meta["history"] == (before, after) and out.n_neurons == 2 * L


@settings(max_examples=50, deadline=None)
@given(
    trains=st.lists(st.lists(st.integers(0, 100), max_size=20), min_size=1, max_size=4),
    onsets=st.lists(st.integers(0, 80), min_size=1, max_size=5),
    widths=st.lists(st.integers(0, 5), min_size=1, max_size=6),
)
def test_binned_counts_equal_count_spikes_per_bin(trains, onsets, widths):
    """One searchsorted of all edges: the same counts as count_spikes bin by bin."""
    spikes = [np.array(t, dtype=float) * 0.0625 for t in trains]  # unsorted on purpose
    offsets = np.concatenate([[0], np.cumsum(widths)]) * 0.0625
    edges = np.array(onsets, dtype=float)[:, None] * 0.0625 + offsets
    counts = _count_spikes_binned(spikes, edges)
    assert counts.shape == (len(onsets), len(widths), len(trains))
    np.testing.assert_array_equal(_count_spikes_binned(spikes, edges, block=3), counts)
    for k in range(len(widths)):
        np.testing.assert_array_equal(counts[:, k],
                                      count_spikes(spikes, edges[:, k], edges[:, k + 1]))
    np.testing.assert_array_equal(counts.sum(axis=1),
                                  count_spikes(spikes, edges[:, 0], edges[:, -1]))

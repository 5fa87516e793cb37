"""load_nwb, inspect_nwb and save_nwb: round trips, windows, a naive reference, errors,
and the real human MTL file."""

from __future__ import annotations

import datetime
import hashlib
import json
import tempfile
from contextlib import nullcontext as does_not_raise
from pathlib import Path

import h5py
import numpy as np
import pynwb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pynwb.ophys import (
    DfOverF,
    Fluorescence,
    ImageSegmentation,
    OpticalChannel,
    RoiResponseSeries,
)

from neurodecode.data import Recording, orientation_population
from neurodecode.data.nwb import _epoch_edges, format_inspection, inspect_nwb, load_nwb, save_nwb
from neurodecode.exceptions import DataFormatError, DataWarning

REAL = "human_mtl_units_zheng2022_sub-4_ses-4.nwb"
REAL_SHA256 = "1f6d811347d83d9693ce824bded9d73f5c88d8542e78069211da52381153f046"

# A hand-built session: three trials of 1 s, spikes on the window edges on purpose.
SPIKES = [
    [0.0, 0.5, 1.0, 1.5, 2.0, 2.999],
    [1.0, 1.0, 2.5],
    [],
]
TRIALS = {
    "start_time": [0.0, 1.0, 2.0],
    "stop_time": [1.0, 2.0, 3.0],
    "cue_time": [0.5, 1.5, 2.5],
    "ori": [0, 90, 0],
    "contrast": [0.1, 0.5, 1.0],
    "label": ["left", "right", "left"],
}


def naive_counts(spike_times, starts, stops):
    """The reference: a plain Python loop over trials and units."""
    out = np.zeros((len(starts), len(spike_times)), dtype=np.int64)
    for i, (a, b) in enumerate(zip(starts, stops)):
        for j, train in enumerate(spike_times):
            out[i, j] = sum(1 for t in train if a <= t < b)
    return out


def new_nwbfile() -> pynwb.NWBFile:
    return pynwb.NWBFile(
        session_description="test session", identifier="test-id", session_id="s1",
        session_start_time=datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc),
    )


def write_units_file(path, spikes, trials, *, table="trials"):
    """Write spikes with the ordinary pynwb API (add_unit, add_trial / add_interval)."""
    nwbfile = new_nwbfile()
    for train in spikes:
        nwbfile.add_unit(spike_times=list(train))
    if table == "trials":
        add_column, add_row = nwbfile.add_trial_column, nwbfile.add_trial
    else:
        intervals = pynwb.epoch.TimeIntervals(name=table, description="test table")
        nwbfile.add_time_intervals(intervals)
        add_column, add_row = intervals.add_column, intervals.add_interval
    extra = [k for k in trials if k not in ("start_time", "stop_time")]
    for name in extra:
        add_column(name=name, description=f"{name} column")
    for i in range(len(trials["start_time"])):
        add_row(**{k: v[i] for k, v in trials.items()})
    with pynwb.NWBHDF5IO(str(path), "w") as io:
        io.write(nwbfile)
    return path


def write_two_roi_file(path):
    """Two ROI response series (DfOverF and Fluorescence) and a trials table."""
    nwbfile = new_nwbfile()
    device = nwbfile.create_device(name="scope")
    plane = nwbfile.create_imaging_plane(
        name="plane", optical_channel=OpticalChannel(name="ch", description="c",
                                                     emission_lambda=500.0),
        description="p", device=device, excitation_lambda=900.0, indicator="GCaMP",
        location="V1", imaging_rate=10.0)
    module = nwbfile.create_processing_module(name="ophys", description="ophys")
    segmentation = ImageSegmentation().create_plane_segmentation(
        name="rois", description="r", imaging_plane=plane)
    module.add(segmentation.parent)
    for k in range(2):
        segmentation.add_roi(image_mask=np.eye(3) * (k + 1))
    for name, kind in (("dff", DfOverF), ("raw", Fluorescence)):
        interface = kind(name=name)
        module.add(interface)
        region = segmentation.create_roi_table_region(region=[0, 1], description="all")
        data = np.column_stack([np.arange(40.0), -np.arange(40.0)])
        interface.add_roi_response_series(RoiResponseSeries(
            name="series", data=data, rois=region, unit="n.a.", rate=10.0, starting_time=0.0))
    nwbfile.add_trial(start_time=0.0, stop_time=1.0)
    nwbfile.add_trial(start_time=2.0, stop_time=3.0)
    with pynwb.NWBHDF5IO(str(path), "w") as io:
        io.write(nwbfile)
    return path


@pytest.fixture
def units_file(tmp_path):
    return write_units_file(tmp_path / "hand.nwb", SPIKES, TRIALS)


@pytest.fixture
def roi_file(tmp_path):
    rec, _ = orientation_population(6, 10, noise="gaussian", random_state=0)
    return save_nwb(rec, tmp_path / "roi.nwb")


# ---------------------------------------------------------------------------- round trips
def test_counts_round_trip_is_bit_exact(tmp_path, seed):
    rec, _ = orientation_population(60, 150, random_state=seed)
    path = save_nwb(rec, tmp_path / "counts.nwb", random_state=seed)
    back = load_nwb(path, "stimulus", kind=rec.kind, period=rec.period)
    np.testing.assert_array_equal(back.responses, rec.responses)
    np.testing.assert_array_equal(back.stimulus, rec.stimulus)
    assert (back.kind, back.period, back.response_type) == ("circular", 180.0, "counts")
    # the kind and period are also read back from the file when not given
    inferred = load_nwb(path, "stimulus")
    assert (inferred.kind, inferred.period) == ("circular", 180.0)
    np.testing.assert_array_equal(back.trials["gain"], rec.trials["gain"])
    np.testing.assert_array_equal(back.neurons["preferred"], rec.neurons["preferred"])
    np.testing.assert_allclose(back.trials["stop_time"] - back.trials["start_time"], 0.5)
    assert pynwb.validate(path=str(path)) == []


def test_continuous_round_trip_through_roi_series(tmp_path, seed):
    rec, _ = orientation_population(30, 80, noise="gaussian", random_state=seed)
    path = save_nwb(rec, tmp_path / "dff.nwb")
    back = load_nwb(path, "stimulus", source="roi")
    assert back.response_type == "continuous"
    assert back.meta["series"] == "processing/ophys/DfOverF/RoiResponseSeries"
    np.testing.assert_allclose(back.responses, rec.responses, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(back.stimulus, rec.stimulus)
    assert (back.kind, back.period) == ("circular", 180.0)
    assert pynwb.validate(path=str(path)) == []


def test_categorical_text_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    rec = Recording(rng.poisson(3.0, (12, 4)), ["cat", "dog", "owl"] * 4, kind="categorical",
                    response_type="counts", meta={"window": (0.0, 0.2)})
    back = load_nwb(save_nwb(rec, tmp_path / "labels.nwb"), "stimulus")
    np.testing.assert_array_equal(back.responses, rec.responses)
    assert back.stimulus.tolist() == rec.stimulus.tolist()
    assert back.kind == "categorical"
    np.testing.assert_allclose(back.trials["stop_time"] - back.trials["start_time"], 0.2)


def test_roi_bins_each_hold_one_sample(roi_file):
    rec = load_nwb(roi_file, "stimulus", source="roi")
    binned = load_nwb(roi_file, "stimulus", source="roi", window=(0.0, 0.5), bin_size=0.25)
    assert binned.is_time_resolved and binned.response_type == "continuous"
    assert binned.shape == (rec.n_trials, 2, rec.n_neurons)
    np.testing.assert_allclose(binned.responses[:, 0], rec.responses, rtol=1e-6)
    np.testing.assert_allclose(binned.responses[:, 1], rec.responses, rtol=1e-6)
    np.testing.assert_array_equal(binned.epoch_times, [0.0, 0.25])
    np.testing.assert_array_equal(binned.times, rec.trials["start_time"])


def test_save_refuses_to_overwrite_then_replaces(tmp_path):
    rec, _ = orientation_population(5, 8, random_state=0)
    path = save_nwb(rec, tmp_path / "x.nwb")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        save_nwb(rec, path)
    save_nwb(rec.select(trials=[0, 1]), path, overwrite=True)
    assert load_nwb(path, "stimulus").n_trials == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.nwb"]  # no temporary left


# ---------------------------------------------------------------------------- windows
def test_default_windows_are_the_trials(units_file):
    rec = load_nwb(units_file, "ori")
    expected = [[2, 0, 0], [2, 2, 0], [2, 1, 0]]
    np.testing.assert_array_equal(rec.responses, expected)
    np.testing.assert_array_equal(
        rec.responses, naive_counts(SPIKES, TRIALS["start_time"], TRIALS["stop_time"]))
    assert rec.kind == "categorical" and rec.stimulus.tolist() == [0, 90, 0]
    assert rec.response_type == "counts"
    np.testing.assert_array_equal(rec.times, TRIALS["start_time"])
    assert set(rec.trials) == {"start_time", "stop_time", "cue_time", "contrast", "label"}
    assert rec.trials["label"].tolist() == TRIALS["label"]
    assert rec.meta["session_id"] == "s1" and rec.meta["identifier"] == "test-id"


@pytest.mark.parametrize("window, align, expected", [
    ((0.0, 0.5), "start_time", [[1, 0, 0], [1, 2, 0], [1, 0, 0]]),
    ((0.0, 0.5), "cue_time", [[1, 0, 0], [1, 0, 0], [1, 1, 0]]),
    ((-0.5, 0.0), "cue_time", [[1, 0, 0], [1, 2, 0], [1, 0, 0]]),
    ((-1.0, 0.0), "start_time", [[0, 0, 0], [2, 0, 0], [2, 2, 0]]),
])
def test_windows_relative_to_a_column(units_file, window, align, expected):
    rec = load_nwb(units_file, "ori", window=window, align=align)
    np.testing.assert_array_equal(rec.responses, expected)
    t = np.asarray(TRIALS[align])
    np.testing.assert_array_equal(
        rec.responses, naive_counts(SPIKES, t + window[0], t + window[1]))
    np.testing.assert_array_equal(rec.times, t + window[0])
    assert rec.meta["window"] == window and rec.meta["align"] == align


def test_bins_within_trials(units_file):
    rec = load_nwb(units_file, "ori", window=(0.0, 1.0), bin_size=0.5)
    starts = np.arange(6) * 0.5
    assert rec.is_time_resolved and not rec.is_time_binned and rec.bin_size is None
    assert rec.shape == (3, 2, 3) and rec.response_type == "counts"
    np.testing.assert_array_equal(rec.responses.reshape(6, 3),
                                  naive_counts(SPIKES, starts, starts + 0.5))
    np.testing.assert_array_equal(rec.stimulus, [0, 90, 0])
    np.testing.assert_array_equal(rec.epoch_times, [0.0, 0.5])
    np.testing.assert_array_equal(rec.times, TRIALS["start_time"])
    assert rec.meta["bin_size"] == 0.5 and rec.meta["window"] == (0.0, 1.0)


@pytest.mark.parametrize("window, align", [
    ((-0.5, 0.5), "cue_time"), ((0.0, 1.0), "start_time"), ((-1.0, 0.5), "start_time"),
])
def test_time_resolved_bins_follow_the_align_column(units_file, window, align):
    """Bin k of trial i counts [t_i + a + k * b, t_i + a + (k + 1) * b); bins sum to the
    2-D loader's count over the same window."""
    bin_size = 0.25
    rec = load_nwb(units_file, "ori", window=window, align=align, bin_size=bin_size)
    flat = load_nwb(units_file, "ori", window=window, align=align)
    n_bins = round((window[1] - window[0]) / bin_size)
    assert rec.shape == (3, n_bins, 3)
    np.testing.assert_allclose(rec.epoch_times, window[0] + np.arange(n_bins) * bin_size)
    t = np.asarray(TRIALS[align])
    np.testing.assert_array_equal(rec.times, t)
    for k, e in enumerate(rec.epoch_times):
        np.testing.assert_array_equal(rec.responses[:, k],
                                      naive_counts(SPIKES, t + e, t + e + bin_size))
    np.testing.assert_array_equal(rec.responses.sum(axis=1), flat.responses)
    np.testing.assert_array_equal(rec.mean_over(*window).responses * n_bins,
                                  flat.responses)


def test_time_resolved_round_trip_sums_to_the_trials(tmp_path, seed):
    rec, _ = orientation_population(40, 60, random_state=seed)
    path = save_nwb(rec, tmp_path / "counts.nwb", trial_duration=0.5, random_state=seed)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    binned = load_nwb(path, "stimulus", window=(0.0, 0.5), bin_size=0.05)
    assert binned.shape == (60, 10, 40)
    np.testing.assert_array_equal(binned.responses.sum(axis=1), rec.responses)
    np.testing.assert_array_equal(binned.stimulus, rec.stimulus)
    assert (binned.kind, binned.period) == ("circular", 180.0)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest  # opened read-only
    with pytest.raises(ValueError, match=r"save_nwb writes one response vector per trial.*"
                                         r"\(60, 10, 40\).*mean_over"):
        save_nwb(binned, tmp_path / "again.nwb")


def test_roi_bins_average_the_samples_inside(tmp_path):
    """Samples every 0.1 s (values 0, 1, 2, ...): 0.2 s bins average two of them."""
    path = write_two_roi_file(tmp_path / "two.nwb")
    rec = load_nwb(path, "start_time", source="roi", kind="linear", series="raw/series",
                   window=(0.0, 1.0), bin_size=0.2)
    assert rec.shape == (2, 5, 2)
    expected = np.array([[0.5, 2.5, 4.5, 6.5, 8.5], [20.5, 22.5, 24.5, 26.5, 28.5]])
    np.testing.assert_allclose(rec.responses[..., 0], expected, rtol=1e-6)
    np.testing.assert_allclose(rec.responses[..., 1], -expected, rtol=1e-6)
    flat = load_nwb(path, "start_time", source="roi", kind="linear", series="raw/series",
                    window=(0.0, 1.0))
    np.testing.assert_allclose(rec.mean_over(0.0, 1.0).responses, flat.responses, rtol=1e-6)


@settings(max_examples=25, deadline=None)
@given(
    trains=st.lists(st.lists(st.integers(0, 200), min_size=1, max_size=15), min_size=1,
                    max_size=4),
    onsets=st.lists(st.integers(20, 180), min_size=1, max_size=5),
    first=st.integers(-10, 5), n_bins=st.integers(1, 6), width=st.integers(1, 4),
)
def test_bin_counts_match_naive_loop_and_sum_to_the_window(trains, onsets, first, n_bins,
                                                          width):
    # a 1/16 s grid (exact in binary, so the reference edges are exact too): spikes
    # often fall exactly on bin edges
    step = 0.0625
    spikes = [sorted(t * step for t in train) for train in trains]
    onset = np.array(onsets) * step
    trials = {"start_time": list(onset), "stop_time": list(onset + 1.0),
              "stim": list(range(len(onsets)))}
    bin_size = width * step
    window = (first * step, first * step + n_bins * bin_size)
    with tempfile.TemporaryDirectory() as tmp:
        path = write_units_file(Path(tmp) / "h.nwb", spikes, trials)
        try:
            flat = load_nwb(path, "stim", window=window)
        except ValueError as exc:
            assert "lies outside the spikes" in str(exc)
            return
        rec = load_nwb(path, "stim", window=window, bin_size=bin_size)
    assert rec.shape == (len(onsets), n_bins, len(spikes))
    np.testing.assert_array_equal(rec.responses.sum(axis=1), flat.responses)
    for k in range(n_bins):
        lo = onset + window[0] + k * bin_size
        np.testing.assert_array_equal(rec.responses[:, k],
                                      naive_counts(spikes, lo, lo + bin_size))


@settings(max_examples=200, deadline=None)
@given(start=st.floats(-5, 5), n_bins=st.integers(1, 400),
       bin_size=st.sampled_from([0.001, 0.01, 0.025, 0.05, 0.1, 1 / 3, 0.25, 1.0]))
def test_epoch_edges_cover_the_window_in_whole_bins(start, n_bins, bin_size):
    window = (start, start + n_bins * bin_size)
    edges = _epoch_edges(window, bin_size)
    assert len(edges) == n_bins + 1
    assert edges[0] == window[0] and edges[-1] == window[1]
    assert np.all(np.diff(edges) > 0)
    np.testing.assert_allclose(np.diff(edges), bin_size, rtol=1e-6)
    if n_bins > 1:  # half a bin more is not a whole number of bins
        with pytest.raises(ValueError, match="not a whole number of bins"):
            _epoch_edges((window[0], window[1] + bin_size / 2), bin_size)


def test_other_intervals_table(tmp_path):
    path = write_units_file(tmp_path / "t.nwb", SPIKES, TRIALS, table="stim_table")
    rec = load_nwb(path, "label", intervals="stim_table")
    assert rec.classes.tolist() == ["left", "right"]
    assert rec.meta["intervals"] == "stim_table"


def test_nan_stimulus_rows_are_dropped_with_a_warning(tmp_path):
    trials = {**TRIALS, "speed": [1.0, np.nan, 3.0]}
    path = write_units_file(tmp_path / "nan.nwb", SPIKES, trials)
    with pytest.warns(DataWarning, match="Dropped 1 of 3 rows .* 'speed' is NaN"):
        rec = load_nwb(path, "speed", kind="linear")
    assert rec.stimulus.tolist() == [1.0, 3.0]
    np.testing.assert_array_equal(rec.responses, [[2, 0, 0], [2, 1, 0]])


def test_roi_series_chosen_by_name(tmp_path):
    path = write_two_roi_file(tmp_path / "two.nwb")
    with pytest.raises(ValueError, match="holds 2 ROI response series.*ophys/dff/series"):
        load_nwb(path, "start_time", source="roi", kind="linear")
    rec = load_nwb(path, "start_time", source="roi", kind="linear", series="raw/series")
    # samples at 0.1 s steps: [0, 1) holds 0..9, [2, 3) holds 20..29
    np.testing.assert_allclose(rec.responses, [[4.5, -4.5], [24.5, -24.5]])
    assert rec.neurons["id"].tolist() == [0, 1]


@settings(max_examples=25, deadline=None)
@given(
    trains=st.lists(st.lists(st.integers(0, 200), max_size=15), min_size=1, max_size=4),
    wins=st.lists(st.tuples(st.integers(0, 200), st.integers(0, 60)), min_size=1, max_size=6),
)
def test_counts_match_naive_loop(trains, wins):
    # times on a 0.05 s grid, so spikes often fall exactly on window edges
    spikes = [sorted(t * 0.05 for t in train) for train in trains]
    trials = {"start_time": [a * 0.05 for a, _ in wins],
              "stop_time": [(a + d) * 0.05 for a, d in wins],
              "stim": list(range(len(wins)))}
    with tempfile.TemporaryDirectory() as tmp:
        path = write_units_file(Path(tmp) / "h.nwb", spikes, trials)
        if not any(spikes):
            with pytest.raises(DataFormatError, match="no spikes"):
                load_nwb(path, "stim")
            return
        try:
            rec = load_nwb(path, "stim")
        except ValueError as exc:
            assert "lies outside the spikes" in str(exc)
            assert naive_counts(spikes, trials["start_time"], trials["stop_time"]).sum() == 0
            return
    np.testing.assert_array_equal(
        rec.responses, naive_counts(spikes, trials["start_time"], trials["stop_time"]))


# ---------------------------------------------------------------------------- errors
@pytest.mark.parametrize("kwargs, expectation", [
    ({}, does_not_raise()),
    ({"intervals": "epochs"}, pytest.raises(
        ValueError, match=r"Intervals table 'epochs' not found in hand.nwb. Available: trials")),
    ({"stimulus": "orientation"}, pytest.raises(
        ValueError, match=r"Column 'orientation' not found in intervals table 'trials'. "
                          r"Available: start_time, stop_time, cue_time, ori, contrast, label")),
    ({"window": (0.5, 0.5)}, pytest.raises(ValueError, match="with start < stop")),
    ({"window": (1.0, 0.0)}, pytest.raises(ValueError, match=r"Got \(1.0, 0.0\) instead")),
    ({"window": (0.0, 1.0), "align": "go_time"}, pytest.raises(
        ValueError, match="Align column 'go_time' not found.*cue_time")),
    ({"align": "cue_time"}, pytest.raises(ValueError, match="needs a window")),
    ({"window": (100.0, 101.0)}, pytest.raises(ValueError, match="lies outside the spikes")),
    ({"stimulus": "contrast"}, pytest.raises(
        ValueError, match="Cannot tell what kind.*Pass kind='categorical'")),
    ({"stimulus": "contrast", "kind": "linear"}, does_not_raise()),
    ({"stimulus": "label", "kind": "linear"}, pytest.raises(TypeError, match="holds text")),
    ({"source": "roi"}, pytest.raises(
        DataFormatError, match="holds no ROI response series.*Units table \\(3 units\\)")),
    ({"source": "spikes"}, pytest.raises(ValueError, match="'source' parameter of load_nwb")),
    ({"kind": "ordinal"}, pytest.raises(ValueError, match="'kind' parameter of load_nwb")),
    ({"bin_size": 0}, pytest.raises(ValueError, match="'bin_size' parameter of load_nwb")),
    ({"window": (0.0, 1.0), "bin_size": 0.25}, does_not_raise()),
    ({"window": (0.0, 1.0), "bin_size": -0.1}, pytest.raises(
        ValueError, match=r"'bin_size' parameter of load_nwb must be a float > 0. Got -0.1")),
    ({"window": (0.0, 1.0), "bin_size": "0.1"}, pytest.raises(
        TypeError, match="'bin_size' parameter of load_nwb must be a float")),
    ({"bin_size": 0.5}, pytest.raises(
        ValueError, match=r"'bin_size' parameter .* needs window=\(start, stop\)")),
    ({"window": (0.0, 1.0), "bin_size": 2.0}, pytest.raises(
        ValueError, match=r"'bin_size' .* at most the length of the window \(0.0, 1.0\), "
                          r"1 s. Got 2.0 instead")),
    ({"window": (0.0, 1.0), "bin_size": 0.3}, pytest.raises(
        ValueError, match=r"window \(0.0, 1.0\) \(1 s\) is not a whole number of bins of "
                          r"bin_size=0.3 s \(3.333 bins\).*window=\(0, 0.9\) \(3 bins\)")),
])
def test_load_errors(units_file, kwargs, expectation):
    args = {"stimulus": "ori", **kwargs}
    with expectation:
        load_nwb(units_file, args.pop("stimulus"), **args)


@pytest.mark.parametrize("kwargs, match", [
    ({"source": "units"}, "has no Units table.*ROI response series "
                          "processing/ophys/DfOverF/RoiResponseSeries.*use source='roi'"),
    ({"source": "roi", "series": "deconvolved"}, "ROI response series 'deconvolved' not found"),
    ({"source": "roi", "window": (0.0, 5.0)}, "outside the ROI response series"),
    ({"source": "roi", "window": (0.05, 0.2)}, "have windows that hold no sample of the ROI "
                                               "response series.*Widen the window"),
    ({"source": "roi", "window": (0.0, 0.5), "bin_size": 0.1},
     r"have bins that hold no sample .* Use a bin_size of at least"),
    ({"source": "roi", "window": (-0.1, 0.5), "bin_size": 0.1},
     "outside the ROI response series"),
])
def test_roi_file_errors(roi_file, kwargs, match):
    with pytest.raises(ValueError, match=match):
        load_nwb(roi_file, "stimulus", **kwargs)


def test_file_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="No NWB file at"):
        load_nwb(tmp_path / "missing.nwb", "stimulus")
    text = tmp_path / "notes.nwb"
    text.write_text("not an NWB file")
    with pytest.raises(DataFormatError, match="notes.nwb' is not an NWB file: it is not HDF5"):
        load_nwb(text, "stimulus")
    plain = tmp_path / "plain.h5"
    with h5py.File(plain, "w") as f:
        f["resp"] = np.ones((3, 2))
    with pytest.raises(DataFormatError, match="HDF5 file but not an NWB file.*resp"):
        inspect_nwb(plain)
    with pytest.raises(TypeError, match="save_nwb writes a Recording"):
        save_nwb(np.ones((2, 2)), tmp_path / "a.nwb")
    rec, _ = orientation_population(3, 4, random_state=0)
    with pytest.raises(ValueError, match="'trial_duration' parameter of save_nwb"):
        save_nwb(rec, tmp_path / "a.nwb", trial_duration=0)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save_nwb(rec, tmp_path / "no" / "a.nwb")


# ---------------------------------------------------------------------------- inspect
def test_inspect_and_format(units_file, roi_file):
    info = inspect_nwb(units_file)
    json.dumps(info)
    assert info["units"]["n_units"] == 3 and info["units"]["n_spikes"] == 9
    (trials,) = info["intervals"]
    assert trials["name"] == "trials" and trials["n_rows"] == 3
    columns = {c["name"]: c for c in trials["columns"]}
    assert columns["ori"]["n_unique"] == 2 and columns["label"]["examples"][0] == "left"
    text = format_inspection(info)
    for word in ("trials", "cue_time", "contrast", "label", "3 units", "9 spikes"):
        assert word in text

    info = inspect_nwb(roi_file)
    assert info["units"] is None
    (series,) = info["roi_series"]
    assert (series["n_rois"], series["n_samples"]) == (6, 20)
    assert "RoiResponseSeries" in format_inspection(info)


# ---------------------------------------------------------------------------- real file
def _naive_real_counts(path, table, starts_from, window=None):
    """Counts computed straight from the HDF5 datasets, one boolean mask per cell."""
    with h5py.File(path, "r") as f:
        flat = f["units/spike_times"][()]
        index = f["units/spike_times_index"][()]
        start = f[f"intervals/{table}/{starts_from}"][()]
        stop = f[f"intervals/{table}/stop_time"][()]
    if window is not None:
        start, stop = start + window[0], start + window[1]
    trains = np.split(flat, index[:-1])
    out = np.zeros((len(start), len(trains)), dtype=np.int64)
    for i in range(len(start)):
        for j, train in enumerate(trains):
            out[i, j] = np.count_nonzero((train >= start[i]) & (train < stop[i]))
    return out


@pytest.mark.shared_data
def test_real_file_encoding_clips(shared_file):
    path = shared_file(REAL)
    rec = load_nwb(path, "stimCategory", intervals="encoding_table")
    assert rec.shape == (90, 35)
    assert rec.kind == "categorical" and rec.response_type == "counts"
    labels, counts = np.unique(rec.stimulus, return_counts=True)
    assert labels.tolist() == [0, 1, 2] and counts.tolist() == [30, 30, 30]
    np.testing.assert_array_equal(rec.responses,
                                  _naive_real_counts(path, "encoding_table", "start_time"))
    assert rec.trials["Clip_name"][0] == "NB_24.mp4"
    assert set(rec.neurons["location"]) <= {"hippocampus_right", "amygdala_right"}
    assert rec.meta["identifier"] == "TWH103_CBID4"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == REAL_SHA256  # file untouched


@pytest.mark.shared_data
def test_real_file_recognition_window(shared_file):
    path = shared_file(REAL)
    rec = load_nwb(path, "stimuli_type", intervals="recognition_table", window=(0, 1.5))
    assert rec.shape == (180, 35)
    assert np.unique(rec.stimulus, return_counts=True)[1].tolist() == [90, 90]
    np.testing.assert_array_equal(
        rec.responses, _naive_real_counts(path, "recognition_table", "start_time", (0, 1.5)))


@pytest.mark.shared_data
def test_real_file_inspection(shared_file):
    info = inspect_nwb(shared_file(REAL))
    json.dumps(info)
    assert info["units"]["n_units"] == 35
    names = [t["name"] for t in info["intervals"]]
    assert names == ["encoding_table", "recognition_table", "timediscrimination_table"]
    text = format_inspection(info)
    assert "stimCategory" in text and "acquisition/events" in text


@pytest.mark.shared_data
def test_real_file_time_resolved(shared_file):
    """Recognition frames, 0-1.5 s in 0.1 s bins: 180 x 15 x 35, summing to the 2-D counts."""
    path = shared_file(REAL)
    rec = load_nwb(path, "stimuli_type", intervals="recognition_table", window=(0, 1.5),
                   bin_size=0.1)
    assert rec.shape == (180, 15, 35) and rec.response_type == "counts"
    np.testing.assert_allclose(rec.epoch_times, np.arange(15) * 0.1)
    expected = _naive_real_counts(path, "recognition_table", "start_time", (0, 1.5))
    np.testing.assert_array_equal(rec.responses.sum(axis=1), expected)
    with h5py.File(path, "r") as f:
        np.testing.assert_array_equal(rec.times, f["intervals/recognition_table/start_time"])
    assert hashlib.sha256(path.read_bytes()).hexdigest() == REAL_SHA256  # file untouched

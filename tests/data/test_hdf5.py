"""load_hdf5 and load_npz: layouts, axis inference, trial columns, errors."""

from __future__ import annotations

from contextlib import nullcontext as does_not_raise

import h5py
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neurodecode.data.hdf5 import load_hdf5, load_npz
from neurodecode.exceptions import DataFormatError

N_NEURONS, N_TRIALS = 5, 8
RESP = np.arange(N_NEURONS * N_TRIALS, dtype=np.float64).reshape(N_NEURONS, N_TRIALS)
ORI = np.arange(N_TRIALS) * 22.5  # 0 .. 157.5


@pytest.fixture
def h5_path(tmp_path):
    """Neurons x trials responses in a nested group, the stimulus, trial columns, times."""
    path = tmp_path / "session.h5"
    with h5py.File(path, "w") as f:
        f["data/ophys/dff"] = RESP
        f["data/ophys/dff_T"] = RESP.T
        f["stim/orientation"] = ORI
        f["stim/contrast"] = np.linspace(0, 1, N_TRIALS)
        f["stim/label"] = np.array([b"a", b"b"] * (N_TRIALS // 2))
        f["stim/name"] = np.array(["x", "y"] * (N_TRIALS // 2), dtype=h5py.string_dtype())
        f["stim/col_2d"] = np.ones((N_TRIALS, 1))
        f["stim/short"] = np.ones(N_TRIALS - 1)
        f["stim/vel"] = np.arange(3 * N_TRIALS, dtype=float).reshape(3, N_TRIALS)
        f["time/t"] = np.arange(N_TRIALS) * 0.1
        f["square"] = np.ones((N_TRIALS, N_TRIALS))
        f["cube"] = np.ones((2, 2, N_TRIALS))
    return path


def load(path, **changes):
    kwargs = dict(responses="data/ophys/dff", stimulus="stim/orientation", kind="circular",
                  period=180.0)
    kwargs.update(changes)
    return load_hdf5(path, **kwargs)


@pytest.mark.parametrize("responses, neurons_axis", [
    ("data/ophys/dff", None), ("data/ophys/dff", 0),
    ("data/ophys/dff_T", None), ("data/ophys/dff_T", 1), ("/data/ophys/dff", None),
])
def test_layouts_load_to_samples_by_neurons(h5_path, responses, neurons_axis):
    rec = load(h5_path, responses=responses, neurons_axis=neurons_axis)
    assert rec.shape == (N_TRIALS, N_NEURONS)
    np.testing.assert_array_equal(rec.responses, RESP.T.astype(np.float32))
    np.testing.assert_array_equal(rec.stimulus, ORI)
    assert rec.meta["neurons_axis"] == (0 if responses.endswith("dff") else 1)
    assert rec.meta["format"] == "hdf5"
    assert rec.meta["source"] == "session.h5"


def test_trial_columns_times_and_strings(h5_path):
    rec = load(h5_path, trials=["stim/contrast", "stim/label", "stim/name", "stim/col_2d"],
               times="time/t", bin_size=0.1)
    assert set(rec.trials) == {"contrast", "label", "name", "col_2d"}
    np.testing.assert_allclose(rec.trials["contrast"], np.linspace(0, 1, N_TRIALS))
    assert rec.trials["label"].tolist()[:2] == ["a", "b"]
    assert rec.trials["name"].tolist()[:2] == ["x", "y"]
    assert rec.trials["col_2d"].shape == (N_TRIALS,)
    np.testing.assert_allclose(rec.times, np.arange(N_TRIALS) * 0.1)
    renamed = load(h5_path, trials={"c": "stim/contrast"})
    assert list(renamed.trials) == ["c"]


def test_categorical_string_stimulus(h5_path):
    rec = load(h5_path, stimulus="stim/name", kind="categorical", period=None)
    assert rec.classes.tolist() == ["x", "y"]


def test_two_dimensional_stimulus_and_columns(h5_path):
    rec = load(h5_path, stimulus="stim/vel", kind="linear", period=None)
    assert rec.stimulus.shape == (N_TRIALS, 3)
    np.testing.assert_array_equal(rec.stimulus[:, 1], np.arange(N_TRIALS, 2 * N_TRIALS))
    two = load(h5_path, stimulus="stim/vel", kind="linear", period=None,
               stimulus_columns=(0, 2))
    assert two.stimulus.shape == (N_TRIALS, 2)
    one = load(h5_path, stimulus="stim/vel", kind="linear", period=None, stimulus_columns=1)
    np.testing.assert_array_equal(one.stimulus, np.arange(N_TRIALS, 2 * N_TRIALS))


def test_square_responses_with_explicit_axis(h5_path):
    rec = load(h5_path, responses="square", neurons_axis=1)
    assert rec.shape == (N_TRIALS, N_TRIALS)


@pytest.mark.parametrize("changes, expectation", [
    ({}, does_not_raise()),
    ({"responses": "data/ophys/dfff"},
     pytest.raises(ValueError, match=r"Dataset 'data/ophys/dfff' not found in HDF5 file "
                                     r"session.h5. Available: cube \(2, 2, 8\), "
                                     r"data/ophys/dff \(5, 8\),")),
    ({"stimulus": "orientation"},
     pytest.raises(ValueError, match=r"stim/orientation \(8,\).*time/t \(8,\)")),
    ({"trials": ["stim/nope"]}, pytest.raises(ValueError, match="'stim/nope' not found")),
    ({"times": "t"}, pytest.raises(ValueError, match="'t' not found")),
    ({"responses": "data"},
     pytest.raises(DataFormatError, match="'data' in session.h5 is a group.*data/ophys/dff")),
    ({"stimulus": "stim/short"},
     pytest.raises(DataFormatError, match=r"shape \(5, 8\).*shape \(7,\).*neither axis")),
    ({"stimulus": "stim/short", "neurons_axis": 0},
     pytest.raises(DataFormatError, match=r"neurons_axis=0, axis 1 of the responses \(8 "
                                          r"samples\) was expected to match")),
    ({"responses": "data/ophys/dff_T", "neurons_axis": 0},
     pytest.raises(DataFormatError, match=r"\(8, 5\).*Axis 0 matches; try neurons_axis=1")),
    ({"responses": "square"},
     pytest.raises(DataFormatError, match=r"Cannot tell.*\(8, 8\).*Pass neurons_axis=0")),
    ({"responses": "cube"}, pytest.raises(DataFormatError, match=r"must be 2-D.*\(2, 2, 8\)")),
    ({"neurons_axis": 2}, pytest.raises(ValueError, match="'neurons_axis' parameter")),
    ({"trials": ["stim/short"]}, pytest.raises(DataFormatError, match="one value per sample")),
    ({"trials": "stim/contrast"}, pytest.raises(TypeError, match=r"trials=\['stim/contrast'")),
    ({"trials": ["stim/contrast", "other/contrast"]},
     pytest.raises(ValueError, match="both be called 'contrast'")),
    ({"stimulus_columns": 0}, pytest.raises(DataFormatError, match="2-D stimulus")),
    ({"stimulus": "stim/vel", "kind": "linear", "period": None, "stimulus_columns": 3},
     pytest.raises(ValueError, match="index the 3 outputs")),
    ({"stimulus": "stim/vel", "kind": "linear", "period": None, "stimulus_columns": 0.5},
     pytest.raises(TypeError, match="'stimulus_columns'")),
    ({"period": None}, pytest.raises(ValueError, match="needs its period")),
])
def test_errors(h5_path, changes, expectation):
    with expectation:
        load(h5_path, **changes)


def test_not_hdf5_and_missing_file(tmp_path):
    bad = tmp_path / "v5.mat"
    bad.write_bytes(b"MATLAB 5.0 MAT-file" + bytes(200))
    with pytest.raises(DataFormatError, match="not HDF5.*load_mat"):
        load(bad)
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "absent.h5")


@settings(max_examples=30, deadline=None)
@given(n_neurons=st.integers(1, 12), n_samples=st.integers(1, 12),
       transposed=st.booleans(), explicit=st.booleans(), data=st.data())
def test_roundtrip_any_shape(tmp_path_factory, n_neurons, n_samples, transposed, explicit,
                             data):
    values = data.draw(st.lists(st.floats(-1e6, 1e6, width=32), min_size=n_neurons * n_samples,
                                max_size=n_neurons * n_samples))
    matrix = np.array(values, dtype=np.float64).reshape(n_samples, n_neurons)
    stimulus = np.array(data.draw(st.lists(st.floats(-1e3, 1e3), min_size=n_samples,
                                           max_size=n_samples)))
    path = tmp_path_factory.mktemp("h5") / "random.h5"
    with h5py.File(path, "w") as f:
        f["g/resp"] = matrix if transposed else matrix.T  # transposed: samples x neurons
        f["g/stim"] = stimulus
    axis = None
    if explicit or n_neurons == n_samples:
        axis = 1 if transposed else 0
    rec = load_hdf5(path, responses="g/resp", stimulus="g/stim", kind="linear",
                    neurons_axis=axis)
    assert rec.responses.dtype == np.float32
    np.testing.assert_array_equal(rec.responses, matrix.astype(np.float32))
    np.testing.assert_array_equal(rec.stimulus, stimulus)


# ---------------------------------------------------------------------- NPZ
@pytest.fixture
def npz_path(tmp_path):
    path = tmp_path / "stringer.npz"
    istim = np.array([0.0, np.pi / 2, np.pi, 3 * np.pi / 2, 2 * np.pi - 1e-12])
    np.savez(path, resp=np.arange(15.0).reshape(3, 5), istim=istim,
             speed=np.array([0.1, 0.2, 0.3, 0.4, 0.5]), labels=np.array(list("abcab")))
    return path


def test_npz_orientation_from_radians(npz_path):
    rec = load_npz(npz_path)
    hand = [0.0, 90.0, 0.0, 90.0, 180.0 - np.degrees(1e-12)]
    np.testing.assert_allclose(rec.stimulus, hand, atol=1e-9)
    assert rec.period == 180.0 and rec.kind == "circular"
    assert rec.shape == (5, 3)
    np.testing.assert_array_equal(rec.responses[:, 0], np.arange(5.0))
    np.testing.assert_allclose(rec.trials["istim"][:4], [0, np.pi / 2, np.pi, 3 * np.pi / 2])
    assert rec.meta["units"] == "degrees" and rec.meta["stored_units"] == "radians"


def test_npz_direction_and_degrees(npz_path, tmp_path):
    direction = load_npz(npz_path, period=360.0)
    np.testing.assert_allclose(direction.stimulus[:4], [0.0, 90.0, 180.0, 270.0])
    deg = tmp_path / "deg.npz"
    np.savez(deg, resp=np.ones((2, 3)), ori=np.array([0.0, 190.0, 360.0]))
    rec = load_npz(deg, stimulus="ori", units="degrees")
    np.testing.assert_allclose(rec.stimulus, [0.0, 10.0, 0.0])


def test_npz_other_keys_and_kinds(npz_path):
    rec = load_npz(npz_path, stimulus="speed", kind="linear")
    np.testing.assert_allclose(rec.stimulus, [0.1, 0.2, 0.3, 0.4, 0.5])
    assert rec.period is None
    cat = load_npz(npz_path, stimulus="labels", kind="categorical", neurons_axis=None)
    assert cat.classes.tolist() == ["a", "b", "c"]


@pytest.mark.parametrize("changes, expectation", [
    ({"responses": "spks"},
     pytest.raises(ValueError, match=r"Array 'spks' not found in the .npz archive "
                                     r"stringer.npz. Available: resp \(3, 5\), istim \(5,\)")),
    ({"units": "turns"}, pytest.raises(ValueError, match="'units' parameter of load_npz")),
    ({"neurons_axis": 1}, pytest.raises(DataFormatError, match="try neurons_axis=0")),
])
def test_npz_errors(npz_path, changes, expectation):
    with expectation:
        load_npz(npz_path, **changes)


def test_npz_rejects_npy(tmp_path):
    path = tmp_path / "single.npy"
    np.save(path, np.ones(3))
    with pytest.raises(DataFormatError, match="single array"):
        load_npz(path)

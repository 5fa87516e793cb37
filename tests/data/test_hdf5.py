"""load_hdf5 and load_npz: layouts, axis inference, trial columns, errors."""

from __future__ import annotations

import hashlib
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
    ({"responses": "cube"}, pytest.raises(
        DataFormatError, match=r"'cube' have shape \(2, 2, 8\): 3-D responses need their axis "
                               r"order. Pass axes")),
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


# ---------------------------------------------------------------------- 3-D responses
N_TIMES = 6
CUBE = np.arange(N_TRIALS * N_TIMES * N_NEURONS, dtype=np.float64).reshape(
    N_TRIALS, N_TIMES, N_NEURONS)  # trials x times x neurons
EPOCH = np.linspace(-0.5, 0.75, N_TIMES)


@pytest.fixture
def cube_path(tmp_path):
    """The same responses over time stored neurons x trials x times, plus times."""
    path = tmp_path / "over_time.h5"
    with h5py.File(path, "w") as f:
        f["resp"] = CUBE.transpose(2, 0, 1)
        f["ori"] = ORI
        f["t"] = EPOCH
        f["t_col"] = EPOCH[:, None]
        f["t_short"] = EPOCH[:-1]
        f["t_flat"] = np.zeros(N_TIMES)
        f["onset"] = np.arange(N_TRIALS) * 3.0
        f["dff"] = RESP
    return path


def load_cube(path, **changes):
    kwargs = dict(responses="resp", stimulus="ori", kind="circular", period=180.0,
                  axes=("neurons", "trials", "times"), epoch_times="t")
    kwargs.update(changes)
    return load_hdf5(path, **kwargs)


@pytest.mark.parametrize("axes", [("neurons", "trials", "times"), ["neurons", "trials", "times"],
                                  "neurons,trials,times", " neurons, trials ,times"])
def test_three_dimensional_responses(cube_path, axes):
    digest = hashlib.sha256(cube_path.read_bytes()).hexdigest()
    rec = load_cube(cube_path, axes=axes, times="onset", trials=["onset"])
    assert rec.is_time_resolved and rec.shape == (N_TRIALS, N_TIMES, N_NEURONS)
    np.testing.assert_array_equal(rec.responses, CUBE.astype(np.float32))
    np.testing.assert_array_equal(rec.epoch_times, EPOCH)
    np.testing.assert_array_equal(rec.stimulus, ORI)
    np.testing.assert_array_equal(rec.times, np.arange(N_TRIALS) * 3.0)
    assert rec.meta["axes"] == ("neurons", "trials", "times")
    assert rec.meta["neurons_axis"] == 0 and rec.meta["epoch_times"] == "t"
    assert hashlib.sha256(cube_path.read_bytes()).hexdigest() == digest  # read-only


def test_epoch_times_as_an_array_or_a_column(cube_path):
    a = load_cube(cube_path, epoch_times=EPOCH.tolist())
    b = load_cube(cube_path, epoch_times="t_col")
    np.testing.assert_array_equal(a.epoch_times, EPOCH)
    np.testing.assert_array_equal(b.epoch_times, EPOCH)
    assert "epoch_times" not in a.meta


@settings(max_examples=30, deadline=None)
@given(shape=st.tuples(st.integers(1, 5), st.integers(1, 5), st.integers(1, 5)),
       order=st.permutations(["trials", "times", "neurons"]), as_text=st.booleans())
def test_any_axis_order_round_trips(tmp_path_factory, shape, order, as_text):
    n_trials, n_times, n_neurons = shape
    cube = np.random.default_rng(0).normal(size=shape)  # trials x times x neurons
    stored = cube.transpose([("trials", "times", "neurons").index(a) for a in order])
    path = tmp_path_factory.mktemp("h5") / "cube.h5"
    with h5py.File(path, "w") as f:
        f["resp"] = stored
        f["y"] = np.arange(n_trials) % 3
    rec = load_hdf5(path, responses="resp", stimulus="y", kind="categorical",
                    axes=",".join(order) if as_text else tuple(order),
                    epoch_times=np.arange(n_times) * 0.1)
    assert rec.shape == shape
    np.testing.assert_array_equal(rec.responses, cube.astype(np.float32))
    assert rec.meta["neurons_axis"] == order.index("neurons")


@pytest.mark.parametrize("changes, expectation", [
    ({}, does_not_raise()),
    ({"axes": None}, pytest.raises(
        DataFormatError, match=r"responses 'resp' have shape \(5, 8, 6\): 3-D responses need "
                               r"their axis order. Pass axes naming each stored axis")),
    ({"axes": ("neurons", "trials")}, pytest.raises(
        ValueError, match=r"'axes' parameter of load_hdf5 must name each axis .* 'trials', "
                          r"'times' and 'neurons'.*Got \('neurons', 'trials'\) instead")),
    ({"axes": "neurons,trials,trials"}, pytest.raises(ValueError, match="must name each axis")),
    ({"axes": ("cells", "trials", "times")}, pytest.raises(ValueError, match="'cells'")),
    ({"axes": 3}, pytest.raises(ValueError, match=r"must name each axis .*Got 3 instead")),
    ({"axes": ("trials", "neurons", "times")}, pytest.raises(
        DataFormatError, match=r"shape \(5, 8, 6\) with axes .* so 5 trials \(axis 0\), but "
                               r"stimulus 'ori' has shape \(8,\)")),
    ({"neurons_axis": 0}, pytest.raises(
        ValueError, match="'neurons_axis' parameter of load_hdf5 orients 2-D responses")),
    ({"responses": "dff"}, pytest.raises(
        ValueError, match=r"'axes' parameter of load_hdf5 names the axes of 3-D responses.*"
                          r"\(5, 8\)")),
    ({"responses": "dff", "axes": None}, pytest.raises(
        ValueError, match=r"'epoch_times' parameter of load_hdf5 applies to 3-D responses")),
    ({"epoch_times": None}, pytest.raises(
        ValueError, match=r"8 trials x 6 times x 5 neurons\) need the 'epoch_times' parameter")),
    ({"epoch_times": "t_short"}, pytest.raises(
        ValueError, match=r"one time in seconds per time point \(6, .*'t_short' has shape "
                          r"\(5,\)")),
    ({"epoch_times": [0.0, 1.0]}, pytest.raises(
        ValueError, match=r"per time point \(6, .*the array given has shape \(2,\)")),
    ({"epoch_times": "t_nope"}, pytest.raises(ValueError, match="'t_nope' not found")),
    ({"epoch_times": "t_flat"}, pytest.raises(ValueError, match="strictly increase")),
    ({"bin_size": 0.1}, pytest.raises(ValueError, match="Pass one of them")),
])
def test_three_dimensional_errors(cube_path, changes, expectation):
    with expectation:
        load_cube(cube_path, **changes)


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


def test_files_that_are_missing_folders_or_objects_get_clear_errors(tmp_path):
    from neurodecode.data import load_hdf5, load_npz
    from neurodecode.exceptions import DataFormatError

    with pytest.raises(FileNotFoundError, match=r"No such file: '.*nope.h5' \(load_hdf5\)"):
        load_hdf5(tmp_path / "nope.h5", responses="a", stimulus="b", kind="linear")
    with pytest.raises(FileNotFoundError, match=r"No such file: .*\(load_npz\)"):
        load_npz(tmp_path / "nope.npz")
    with pytest.raises(IsADirectoryError, match="is a folder; load_hdf5 reads a file"):
        load_hdf5(tmp_path, responses="a", stimulus="b", kind="linear")
    (tmp_path / "x.h5").write_bytes(b"")
    with pytest.raises(TypeError, match="'responses' parameter of load_hdf5 must be a str"):
        load_hdf5(tmp_path / "x.h5", responses=3, stimulus="b", kind="linear")
    np.savez(tmp_path / "obj.npz", resp=np.array([object()] * 3, dtype=object),
             istim=np.zeros(3))
    with pytest.raises(DataFormatError, match="array of Python objects.*could run code"):
        load_npz(tmp_path / "obj.npz")
    with pytest.raises(TypeError, match="'path' parameter of load_npz must be a str or Path"):
        load_npz(3)

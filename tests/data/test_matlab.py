"""load_mat: MATLAB v5 (scipy) and v7.3 (HDF5) files, struct paths, cells, errors."""

from __future__ import annotations

import hashlib
from contextlib import nullcontext as does_not_raise

import h5py
import numpy as np
import pytest
import scipy.io

from neurodecode.data.matlab import _open_mat, load_mat
from neurodecode.exceptions import DataFormatError

N_NEURONS, N_BINS = 4, 10
RNG = np.random.default_rng(0)
SPIKES = RNG.poisson(2.0, size=(N_NEURONS, N_BINS)).astype(np.uint8)  # neurons x bins
VEL = RNG.normal(size=(3, N_BINS))
ORI = (np.arange(N_BINS) * 45.0) % 180
TIME = 12.0 + np.arange(N_BINS) * 0.05
TRACES = [RNG.normal(size=6) for _ in range(N_BINS)]  # one cell per trial
LABELS = ["left", "right"] * (N_BINS // 2)

# MATLAB-side view of the variables, written as v5 by scipy and as v7.3 by `write_v73`.
VARIABLES = {
    "spikes": SPIKES,
    "ori": ORI,
    "kin": {"vel": VEL, "info": {"time": TIME}},
    "traces": TRACES,
    "labels": LABELS,
    "ragged": [np.ones(2), np.ones(3)],
    "short": np.ones(7),
}


def _to_scipy(value):
    if isinstance(value, dict):
        return {k: _to_scipy(v) for k, v in value.items()}
    if isinstance(value, list):  # a cell array
        cell = np.empty(len(value), dtype=object)
        cell[:] = [_to_scipy(v) for v in value]
        return cell
    return value


@pytest.fixture
def v5_path(tmp_path):
    path = tmp_path / "session_v5.mat"
    variables = {k: _to_scipy(v) for k, v in VARIABLES.items()}
    struct_array = np.zeros((1, 2), dtype=[("a", object)])
    struct_array[0, 0]["a"], struct_array[0, 1]["a"] = 1.0, 2.0
    variables["sarr"] = struct_array
    scipy.io.savemat(path, variables)
    return path


def write_v73(path, variables):
    """Write ``variables`` as MATLAB v7.3 does: HDF5 behind a 512-byte MATLAB header.

    MATLAB stores arrays column-major, so an ``r x c`` array is an HDF5 dataset of shape
    ``(c, r)`` and a row vector ``1 x n`` one of shape ``(n, 1)``; structs are groups,
    cells are datasets of object references into ``#refs#``, char arrays are uint16.
    """
    counter = iter(range(10**6))

    def put(group, name, value, refs):
        if isinstance(value, dict):
            sub = group.create_group(name)
            sub.attrs["MATLAB_class"] = np.bytes_("struct")
            for k, v in value.items():
                put(sub, k, v, refs)
            return sub
        if isinstance(value, list):
            targets = [put(refs, f"r{next(counter)}", v, refs).ref for v in value]
            ds = group.create_dataset(name, data=np.array(targets, dtype=h5py.ref_dtype)
                                      .reshape(len(value), 1))
            ds.attrs["MATLAB_class"] = np.bytes_("cell")
            return ds
        if isinstance(value, str):
            codes = np.array([ord(c) for c in value], dtype=np.uint16).reshape(-1, 1)
            ds = group.create_dataset(name, data=codes)
            ds.attrs["MATLAB_class"] = np.bytes_("char")
            return ds
        arr = np.asarray(value)
        ds = group.create_dataset(name, data=np.atleast_2d(arr).T)
        ds.attrs["MATLAB_class"] = np.bytes_({"f": "double", "u": "uint8"}[arr.dtype.kind])
        return ds

    with h5py.File(path, "w", userblock_size=512) as f:
        refs = f.create_group("#refs#")
        for name, value in variables.items():
            put(f, name, value, refs)
    header = b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created by: neurodecode tests"
    with open(path, "r+b") as fh:  # version 0x0200 and endian indicator at bytes 124-127
        fh.write(header.ljust(116, b" ") + bytes(8) + b"\x00\x02IM")


@pytest.fixture
def v73_path(tmp_path):
    path = tmp_path / "session_v73.mat"
    write_v73(path, VARIABLES)
    return path


@pytest.fixture(params=["v5", "v73"])
def mat_path(request):
    return request.getfixturevalue(f"{request.param}_path")


def load(path, **changes):
    kwargs = dict(responses="spikes", stimulus="ori", kind="circular", period=180.0,
                  response_type="counts")
    kwargs.update(changes)
    return load_mat(path, **kwargs)


def test_v73_file_is_matlab_like(v73_path):
    assert scipy.io.matlab.matfile_version(v73_path) == (2, 0)
    with h5py.File(v73_path, "r") as f:
        assert f.userblock_size == 512
        assert f["spikes"].shape == (N_BINS, N_NEURONS)  # transposed on disk
    with pytest.raises(NotImplementedError):  # scipy refuses v7.3, hence h5py
        scipy.io.loadmat(v73_path)


def test_formats_are_detected(v5_path, v73_path, tmp_path):
    assert load(v5_path).meta["format"] == "mat-v5"
    assert load(v73_path).meta["format"] == "mat-v7.3"
    v4 = tmp_path / "old.mat"
    scipy.io.savemat(v4, {"spikes": SPIKES.astype(float), "ori": ORI}, format="4")
    assert load(v4).meta["format"] == "mat-v4"


def test_matrix_and_stimulus(mat_path):
    rec = load(mat_path)
    assert rec.shape == (N_BINS, N_NEURONS)
    np.testing.assert_array_equal(rec.responses, SPIKES.T.astype(np.float32))
    np.testing.assert_array_equal(rec.stimulus, ORI)
    assert rec.meta["neurons_axis"] == 0
    assert rec.response_type == "counts"


def test_struct_fields_times_and_columns(mat_path):
    rec = load(mat_path, stimulus="kin.vel", kind="linear", period=None,
               stimulus_columns=(0, 1), bin_size=0.05, times="kin.info.time",
               trials=["kin.info.time"])
    np.testing.assert_allclose(rec.stimulus, VEL[:2].T)
    np.testing.assert_allclose(rec.times, TIME)
    np.testing.assert_allclose(rec.trials["time"], TIME)
    one = load(mat_path, stimulus="kin.vel", kind="linear", period=None, stimulus_columns=2)
    np.testing.assert_allclose(one.stimulus, VEL[2])


def test_cells_are_stacked(mat_path):
    rec = load(mat_path, responses="traces", response_type="continuous")
    assert rec.shape == (N_BINS, 6)  # cell of 10 trials, 6 values each
    np.testing.assert_allclose(rec.responses, np.stack(TRACES), rtol=1e-6)
    cat = load(mat_path, stimulus="labels", kind="categorical", period=None)
    assert cat.classes.tolist() == ["left", "right"]
    assert cat.stimulus[:3].tolist() == ["left", "right", "left"]


def test_v5_and_v73_give_the_same_recording(v5_path, v73_path):
    kw = dict(stimulus="kin.vel", kind="linear", period=None, trials={"lab": "labels"})
    a, b = load(v5_path, **kw), load(v73_path, **kw)
    np.testing.assert_array_equal(a.responses, b.responses)
    np.testing.assert_array_equal(a.stimulus, b.stimulus)
    np.testing.assert_array_equal(a.trials["lab"], b.trials["lab"])


# 3-D responses: neurons x trials x frames in MATLAB's shape, frame times in a struct.
N_FRAMES = 7
CUBE = RNG.normal(size=(N_NEURONS, N_BINS, N_FRAMES))
FRAMES = np.linspace(-1.0, 2.0, N_FRAMES)


@pytest.fixture(params=["v5", "v73"])
def cube_path(request, tmp_path):
    variables = {"dff": CUBE, "ori": ORI, "TE": {"t": FRAMES}, "dff2": SPIKES.astype(float)}
    path = tmp_path / f"cube_{request.param}.mat"
    if request.param == "v5":
        scipy.io.savemat(path, variables)
    else:
        write_v73(path, variables)
    return path


def test_three_dimensional_variable(cube_path):
    digest = hashlib.sha256(cube_path.read_bytes()).hexdigest()
    rec = load(cube_path, responses="dff", response_type="continuous",
               axes=("neurons", "trials", "times"), epoch_times="TE.t")
    assert rec.is_time_resolved and rec.shape == (N_BINS, N_FRAMES, N_NEURONS)
    np.testing.assert_allclose(rec.responses, CUBE.transpose(1, 2, 0), rtol=1e-6)
    np.testing.assert_array_equal(rec.epoch_times, FRAMES)
    assert rec.meta["axes"] == ("neurons", "trials", "times")
    assert rec.meta["epoch_times"] == "TE.t"
    np.testing.assert_allclose(rec.at(0.5).responses, CUBE[:, :, 3].T, rtol=1e-6)
    assert hashlib.sha256(cube_path.read_bytes()).hexdigest() == digest  # read-only


@pytest.mark.parametrize("changes, expectation", [
    ({}, does_not_raise()),
    ({"axes": None}, pytest.raises(
        DataFormatError, match=r"'dff' have shape \(4, 10, 7\): 3-D responses need their axis "
                               r"order. Pass axes")),
    ({"axes": "neurons,times"}, pytest.raises(
        ValueError, match="'axes' parameter of load_mat must name each axis")),
    ({"epoch_times": None}, pytest.raises(
        ValueError, match="need the 'epoch_times' parameter of load_mat")),
    ({"epoch_times": "TE.time"}, pytest.raises(
        ValueError, match=r"Field 'time' not found in struct 'TE'")),
    ({"responses": "dff2"}, pytest.raises(
        ValueError, match=r"'axes' parameter of load_mat names the axes of 3-D responses")),
])
def test_three_dimensional_errors(cube_path, changes, expectation):
    kwargs = dict(responses="dff", response_type="continuous",
                  axes="neurons,trials,times", epoch_times="TE.t")
    with expectation:
        load(cube_path, **{**kwargs, **changes})


def test_open_mat_reads_fields_and_strings(v73_path):
    with _open_mat(v73_path) as mat:
        assert mat.names() == ["kin", "labels", "ori", "ragged", "short", "spikes",
                               "traces"]
        assert mat.fields("kin") == ["info", "vel"]
        assert mat.get("labels")[1] == "right"


@pytest.mark.parametrize("changes, expectation", [
    ({}, does_not_raise()),
    ({"responses": "spike"},
     pytest.raises(ValueError, match=r"Variable 'spike' not found in MATLAB file session_v\S+"
                                     r"\.mat\. Available: .*spikes \(4, 10\)")),
    ({"stimulus": "kin.velocity"},
     pytest.raises(ValueError, match=r"Field 'velocity' not found in struct 'kin' of "
                                     r"session_v\S+\.mat\. Available: .*vel \(3, 10\)")),
    ({"times": "kin.info.t"},
     pytest.raises(ValueError, match=r"Field 't' not found in struct 'kin.info'.*time")),
    ({"stimulus": "ori.x"},
     pytest.raises(DataFormatError, match="'ori' in .* not a scalar struct.*'ori.x'")),
    ({"stimulus": "kin"},
     pytest.raises(DataFormatError, match=r"'kin' .* is a struct, not an array.*"
                                          r"'kin\.(vel|info)'. Fields: .*vel")),
    ({"responses": "ragged"},
     pytest.raises(DataFormatError, match="different shapes")),
    ({"stimulus": "short"},
     pytest.raises(DataFormatError, match=r"\(4, 10\).*\(7,\).*neither axis")),
    ({"responses": "traces", "neurons_axis": 0},
     pytest.raises(DataFormatError, match="try neurons_axis=1")),
    ({"trials": ["kin.vel"]}, pytest.raises(DataFormatError, match="one value per sample")),
])
def test_errors(mat_path, changes, expectation):
    with expectation:
        load(mat_path, **changes)


def test_struct_array_is_refused(v5_path):
    with pytest.raises(DataFormatError, match=r"'sarr' .* is a \(2,\) struct array"):
        load(v5_path, stimulus="sarr.a")


def test_non_matlab_files(tmp_path):
    plain = tmp_path / "plain.h5"
    with h5py.File(plain, "w") as f:
        f["spikes"] = SPIKES
    with pytest.raises(DataFormatError, match="without a MATLAB header.*load_hdf5"):
        load(plain)
    junk = tmp_path / "junk.mat"
    junk.write_bytes(b"this is not a mat file" * 20)
    with pytest.raises(DataFormatError, match="not a MATLAB file"):
        load(junk)
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "absent.mat")

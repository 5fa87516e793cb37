"""decode and inspect for every file format: the shared recordings by their recognised
layouts, plain HDF5 / MATLAB / NPZ files by named variables, the decoder by stimulus kind."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest
from scipy.io import savemat

from .helpers import assert_one_line_error


@pytest.mark.shared_data
@pytest.mark.parametrize(("name", "metric", "kind"), [
    ("mouse_v1_2p_gratings_park2024_mrcuts28_fov4.mat", "median_error", "circular"),
    ("mouse_adn_headdirection_peyrache2015.mat", "median_error", "circular"),
    ("monkey_m1_reaching_stevenson2011.mat", "r2", "linear"),
])
def test_each_shared_recording_decodes_with_one_command(cli, shared_file, tmp_path, name,
                                                        metric, kind):
    path = shared_file(name)
    inspected = cli("inspect", path)
    assert inspected.code == 0 and "Recognised:" in inspected.out
    command = inspected.out.strip().splitlines()[-1].split()
    assert command[:3] == ["neurodecode", "decode", str(path)]
    run = cli(*command[1:], "--out", tmp_path)
    assert run.code == 0, run.err
    doc = json.loads((tmp_path / "results.json").read_text())
    assert doc["recording"]["kind"] == kind and metric in doc["result"]["scores"]


@pytest.mark.shared_data
def test_a_recognised_layout_takes_its_other_targets(cli, shared_file, tmp_path):
    path = shared_file("monkey_m1_reaching_stevenson2011.mat")
    run = cli("decode", path, "--stimulus", "position", "--cv", "3", "--out", tmp_path)
    assert run.code == 0, run.err
    run = cli("decode", path, "--stimulus", "speed", "--out", tmp_path)
    assert_one_line_error(run, "'target'", "velocity", "position")


def _data(rng):
    X = rng.poisson(3.0, size=(30, 120)).astype(float)  # neurons x trials
    codes = rng.integers(0, 3, 120)
    X[:5] += codes * 2.0
    angle = np.mod(codes * 60.0 + rng.normal(0, 5, 120), 360.0)
    return X, codes, angle


@pytest.mark.parametrize("fmt", ["npz", "hdf5", "mat5"])
def test_named_variables_of_any_format(cli, tmp_path, fmt):
    X, codes, angle = _data(np.random.default_rng(0))
    path = tmp_path / {"npz": "s.npz", "hdf5": "s.h5", "mat5": "s.mat"}[fmt]
    if fmt == "npz":
        np.savez(path, X=X, y=codes, angle=angle)
    elif fmt == "hdf5":
        with h5py.File(path, "w") as f:
            f["X"], f["y"], f["angle"] = X, codes, angle
    else:
        savemat(path, {"X": X, "y": codes, "angle": angle})
    inspected = cli("inspect", path)
    assert inspected.code == 0
    assert "--responses X --stimulus" in inspected.out and "--neurons-axis 0" in inspected.out
    run = cli("decode", path, "--responses", "X", "--stimulus", "y", "--neurons-axis", "0",
              "--cv", "3", "--out", tmp_path / "cat")
    assert run.code == 0, run.err
    assert "logistic: LogisticDecoder" in run.out  # auto: a classifier for categories
    doc = json.loads((tmp_path / "cat" / "results.json").read_text())
    assert doc["recording"]["n_neurons"] == 30 and doc["recording"]["kind"] == "categorical"
    assert np.mean(doc["result"]["scores"]["accuracy"]) > 0.6
    run = cli("decode", path, "--responses", "X", "--stimulus", "angle", "--neurons-axis",
              "0", "--period", "360", "--cv", "3", "--out", tmp_path / "circ")
    assert run.code == 0, run.err
    assert "linear: LinearDecoder" in run.out and "median_error" in run.out


def test_other_formats_need_their_variables_named(cli, tmp_path):
    X, codes, _ = _data(np.random.default_rng(1))
    np.savez(tmp_path / "s.npz", X=X, y=codes)
    run = cli("decode", tmp_path / "s.npz", "--stimulus", "y", "--out", tmp_path)
    assert_one_line_error(run, "NumPy .npz file", "--responses VAR --stimulus VAR",
                          "neurodecode inspect")
    run = cli("decode", tmp_path / "s.npz", "--responses", "Z", "--stimulus", "y",
              "--out", tmp_path)
    assert run.code == 2 and "Z" in run.err and "Traceback" not in run.err
    np.save(tmp_path / "a.npy", X)
    run = cli("decode", tmp_path / "a.npy", "--out", tmp_path)
    assert_one_line_error(run, ".npy file", "numpy.savez")


def test_nwb_files_still_need_their_column(cli, orientation_nwb, tmp_path):
    run = cli("decode", orientation_nwb, "--out", tmp_path)
    assert_one_line_error(run, "NWB file needs --stimulus COLUMN")


def test_lda_from_the_command_line(cli, category_nwb, tmp_path):
    run = cli("decode", category_nwb, "--stimulus", "stimulus", "--decoder", "lda", "--cv",
              "3", "--out", tmp_path)
    assert run.code == 0, run.err
    assert "lda: LDADecoder" in run.out

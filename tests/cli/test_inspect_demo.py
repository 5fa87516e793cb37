"""``neurodecode inspect`` on every format, ``neurodecode demo --quick`` end to end, the
real entry point (``python -m neurodecode``) and the real recordings in ../shared/data."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest
from scipy.io import savemat

from .helpers import assert_one_line_error

REPO = Path(__file__).resolve().parents[2]
MTL = "human_mtl_units_zheng2022_sub-4_ses-4.nwb"


def _python_m(*args, **kwargs):
    """``python -m neurodecode ARGS`` in a fresh process (one torch thread, see conftest)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
    return subprocess.Popen([sys.executable, "-m", "neurodecode", *map(str, args)], cwd=REPO,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, **kwargs)


# ---------------------------------------------------------------------------- inspect
def test_inspect_nwb(cli, orientation_nwb):
    run = cli("inspect", orientation_nwb)
    assert run.code == 0, run.err
    assert "Units: 40 units" in run.out
    assert "Intervals table 'trials': 150 rows" in run.out
    assert "stimulus" in run.out and "neurodecode decode" in run.out


def test_inspect_other_formats(cli, tmp_path):
    h5 = tmp_path / "session.h5"
    with h5py.File(h5, "w") as f:
        f["responses"] = np.zeros((30, 7), dtype=np.float32)
        f["behaviour/speed"] = np.zeros(30)
    run = cli("inspect", h5)
    assert run.code == 0 and "HDF5 file" in run.out
    assert "responses" in run.out and "30 x 7" in run.out and "float32" in run.out
    assert "behaviour/speed" in run.out

    npz = tmp_path / "stringer.npz"
    np.savez(npz, sresp=np.zeros((5, 9)), istim=np.arange(9.0))
    run = cli("inspect", npz)
    assert run.code == 0 and "NPZ archive" in run.out and "2 keys" in run.out
    assert "sresp" in run.out and "5 x 9" in run.out and "istim" in run.out

    mat = tmp_path / "v5.mat"
    savemat(mat, {"spikes": np.zeros((4, 6)), "TE": {"direction": np.arange(3),
                                                    "dt": 0.1}})
    run = cli("inspect", mat)
    assert run.code == 0 and "MATLAB v5 file" in run.out
    assert "spikes" in run.out and "4 x 6" in run.out and ".direction" in run.out

    mat73 = tmp_path / "v73.mat"
    with h5py.File(mat73, "w") as f:  # MATLAB v7.3 is HDF5, stored column-major
        f["X"] = np.zeros((6, 4))
        f["X"].attrs["MATLAB_class"] = np.bytes_("double")
    run = cli("inspect", mat73)
    assert run.code == 0 and "MATLAB v7.3 file" in run.out and "4 x 6" in run.out


# ---------------------------------------------------------------------------- demo
def test_demo_quick_end_to_end(cli, tmp_path):
    out = tmp_path / "demo"
    run = cli("demo", "--quick", "--out", out, "--seed", "1")
    assert run.code == 0, run.err
    assert "spike counts identical" in run.out and "Cramér-Rao bound" in run.out
    for label in ("linear (ridge)", "ReLU net (200 hidden)", "logistic (12 classes)",
                  "perceptron (12 classes)"):
        assert label in run.out

    doc = json.loads((out / "results.json").read_text())
    assert doc["command"] == "demo" and doc["seed"] == 1 and doc["nwb_round_trip_identical"]
    assert doc["config"] == {"quick": True, "seed": 1, "device": "auto", "out": str(out),
                             "overwrite": False}
    assert {"neurodecode", "torch", "numpy", "scikit-learn", "pynwb"} <= set(doc["versions"])
    crb = doc["population"]["cramer_rao_bound_deg"]
    assert crb > 0 and f"{crb:.3g} deg RMS" in run.out
    rows = {r["decoder"]: r for r in doc["results"]}
    linear = rows["linear (ridge)"]
    assert crb * 0.5 < linear["rms_error_deg"] < 45  # near the bound, far below chance
    assert rows["logistic (12 classes)"]["accuracy"] > 1 / 12
    assert set(doc["sweeps"]) == {"linear", "relu", "logistic"}

    with open(out / "results.csv", newline="") as f:
        csv_rows = list(csv.DictReader(f))
    assert {r["decoder"] for r in csv_rows} == set(rows)
    figures = ["sweep.png", "predictions.png", "error_by_stimulus.png", "confusion.png",
               "loss_curves.png"]
    for name in [*figures, "population.nwb", "folds.csv", "run.toml", "report.html"]:
        assert (out / name).is_file(), name
    page = (out / "report.html").read_text()
    assert page.count('<img src="data:image/png;base64,') == len(figures)
    assert f"{linear['median_error_deg']:.3g} ±" in page and "Cramér-Rao" in page
    assert "<td>quick</td><td>True</td>" in page


# ---------------------------------------------------------------------------- python -m
def test_python_m_inspect_and_error(orientation_nwb, tmp_path):
    inspect = _python_m("inspect", orientation_nwb)  # both processes run at once
    error = _python_m("decode", tmp_path / "missing.nwb", "--stimulus", "x")
    out, err = inspect.communicate(timeout=120)
    assert inspect.returncode == 0, err
    assert "Intervals table 'trials': 150 rows" in out

    out, err = error.communicate(timeout=120)
    assert error.returncode == 2 and err.strip().count("\n") == 0
    assert err.startswith("neurodecode: error: No NWB file at") and "Traceback" not in err


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child needs POSIX")
def test_python_m_ctrl_c(tmp_path):
    """A real Ctrl-C (SIGINT) in the middle of the full-size demo: status 130, a message,
    no traceback, no half-written file."""
    proc = _python_m("demo", "--out", tmp_path)
    first = proc.stdout.readline()  # printed once the population is simulated
    assert first.startswith("simulated"), first + proc.stderr.read()
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert not (tmp_path / "results.json").exists()


# ---------------------------------------------------------------------------- real data
@pytest.mark.shared_data
def test_decode_real_human_mtl(cli, shared_file, tmp_path):
    path = shared_file(MTL)
    run = cli("decode", path, "--intervals", "encoding_table", "--stimulus", "stimCategory",
              "--decoder", "logistic", "--l2", "0.1", "--cv", "5", "--out", tmp_path)
    assert run.code == 0, run.err
    doc = json.loads((tmp_path / "results.json").read_text())
    assert doc["recording"]["n_samples"] == 90 and doc["recording"]["n_neurons"] == 35
    assert doc["recording"]["classes"] == [0, 1, 2]
    assert doc["recording"]["class_counts"] == [30, 30, 30]
    accuracy = doc["result"]["mean"]["accuracy"]
    assert 0 <= accuracy <= 1 and len(doc["result"]["scores"]["accuracy"]) == 5
    assert "chance (majority class): 0.333" in run.out
    assert f"{accuracy:.4g} ±" in (tmp_path / "report.html").read_text()
    assert (tmp_path / "confusion.png").is_file()


@pytest.mark.shared_data
def test_real_file_errors(cli, shared_file, tmp_path):
    path = shared_file(MTL)
    run = cli("decode", path, "--intervals", "encoding_table", "--stimulus", "category",
              "--out", tmp_path)
    assert_one_line_error(run, "Column 'category' not found in intervals table "
                          "'encoding_table'", "stimCategory", "Clip_name")
    run = cli("decode", path, "--intervals", "encoding_table", "--stimulus", "stimCategory",
              "--window", "5000", "5001", "--align", "start_time", "--out", tmp_path)
    assert_one_line_error(run, "lies outside the spikes")
    run = cli("decode", path, "--intervals", "encoding_table", "--stimulus", "stimCategory",
              "--decoder", "logistic", "--cv", "31", "--out", tmp_path)
    assert_one_line_error(run, "cv=31 is larger than the smallest class", "30 samples")


@pytest.mark.shared_data
@pytest.mark.parametrize(("name", "expected"), [
    (MTL, ["NWB file", "Units: 35 units", "Intervals table 'encoding_table': 90 rows",
           "stimCategory", "Intervals table 'recognition_table': 180 rows"]),
    ("mouse_adn_headdirection_peyrache2015.mat",
     ["MATLAB v5 file", "6 variables", "Qrun", "212078 x 19", "angRun"]),
    ("mouse_v1_2p_gratings_park2024_mrcuts28_fov4.mat",
     ["MATLAB v5 file", "3 variables", "struct", ".neuron1 .. neuron56 (56 fields)",
      ".direction", "1 x 128"]),
    ("monkey_m1_reaching_stevenson2011.mat",
     ["MATLAB v5 file", "spikes", "171 x 15536", "handVel"]),
])
def test_inspect_real_files(cli, shared_file, name, expected):
    run = cli("inspect", shared_file(name))
    assert run.code == 0, run.err
    for fragment in expected:
        assert fragment in run.out, fragment

"""``neurodecode decode`` and ``compare`` end to end, checking what they write."""

from __future__ import annotations

import csv
import json
import re

import numpy as np
import pytest

from .helpers import assert_one_line_error

VERSIONS = {"neurodecode", "torch", "numpy", "scikit-learn", "pynwb", "python"}


def _csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def _json(path):
    return json.loads(path.read_text())


def test_decode_linear_circular(cli, orientation_nwb, tmp_path):
    out = tmp_path / "out"
    run = cli("decode", orientation_nwb, "--stimulus", "stimulus", "--l2", "1", "--cv", "4",
              "--seed", "3", "--device", "cpu", "--out", out)
    assert run.code == 0, run.err
    assert "median_error" in run.out and "LinearDecoder(l2=1.0)" in run.out

    doc = _json(out / "results.json")
    assert VERSIONS <= set(doc["versions"])
    assert doc["command"] == "decode" and doc["seed"] == 3 and doc["device"] == "cpu"
    config = doc["config"]
    assert config["path"] == str(orientation_nwb) and config["stimulus"] == "stimulus"
    assert (config["l2"], config["cv"], config["decoder"], config["l1"]) == (1.0, 4, "auto",
                                                                             None)
    assert doc["recording"]["kind"] == "circular" and doc["recording"]["period"] == 180
    assert doc["recording"]["n_samples"] == 150 and doc["recording"]["n_neurons"] == 40
    result = doc["result"]
    assert result["n_folds"] == 4 and result["primary"] == "median_error"
    assert len(result["scores"]["median_error"]) == 4
    median = result["mean"]["median_error"]
    assert 0 < median < 30  # 40 tuned neurons decode orientation far better than chance
    assert set(doc["files"]) >= {"predictions.png", "error_by_stimulus.png", "results.csv",
                                 "folds.csv", "predictions.csv", "report.html", "run.toml"}

    rows = _csv(out / "results.csv")
    assert len(rows) == 1 and rows[0]["decoder"] == "linear"
    assert float(rows[0]["median_error_mean"]) == pytest.approx(median, rel=1e-5)
    folds = _csv(out / "folds.csv")
    assert len(folds) == 4 * 3 and {r["metric"] for r in folds} == {
        "median_error", "mean_error", "circular_corr"}
    preds = _csv(out / "predictions.csv")
    assert len(preds) == 150 and {r["fold"] for r in preds} == {"0", "1", "2", "3"}
    err = np.abs([float(r["error"]) for r in preds])
    assert np.all(err <= 90)

    for name in ("predictions.png", "error_by_stimulus.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = (out / "report.html").read_text()
    assert f"{median:.4g} ±" in page  # the table's value
    assert page.count('<img src="data:image/png;base64,') == 2
    assert "<td>l2</td><td>1</td>" in page and "<td>stimulus</td><td>stimulus</td>" in page
    assert "<td>scikit-learn</td>" in page


def test_decode_binned_logistic_and_mlp_classifier(cli, orientation_nwb, tmp_path):
    out = tmp_path / "logistic"
    run = cli("decode", orientation_nwb, "--stimulus", "stimulus", "--bins", "4", "--decoder",
              "logistic", "--l2", "0.1", "--cv", "3", "--out", out)
    assert run.code == 0, run.err
    doc = _json(out / "results.json")
    assert doc["recording"]["kind"] == "categorical"
    assert doc["recording"]["classes"] == [0.0, 45.0, 90.0, 135.0]
    assert doc["result"]["primary"] == "accuracy" and doc["result"]["mean"]["accuracy"] > 0.4
    assert "chance (majority class)" in run.out
    assert (out / "confusion.png").is_file() and not (out / "predictions.png").exists()

    out = tmp_path / "mlp"
    run = cli("decode", orientation_nwb, "--stimulus", "stimulus", "--bins", "4", "--decoder",
              "mlp", "--dropout", "0.2", "--cv", "3", "--out", out)
    assert run.code == 0, run.err
    doc = _json(out / "results.json")
    assert doc["decoder"].startswith("MLPClassifierDecoder(") and "dropout=0.2" in doc["decoder"]
    assert (out / "loss_curves.png").is_file()


def test_decode_window_and_align(cli, orientation_nwb, tmp_path):
    """Counting in half of each trial gives fewer spikes but still decodes."""
    run = cli("decode", orientation_nwb, "--stimulus", "stimulus", "--window", "0", "0.25",
              "--align", "start_time", "--l2", "1", "--cv", "3", "--out", tmp_path)
    assert run.code == 0, run.err
    doc = _json(tmp_path / "results.json")
    assert doc["config"]["window"] == [0.0, 0.25]
    assert doc["recording"]["window"] == [0.0, 0.25]


def test_config_file_round_trip(cli, orientation_nwb, tmp_path):
    """Options from TOML; flags override it; the run.toml written beside the results
    reproduces the run."""
    config = tmp_path / "run.toml"
    config.write_text(f'path = "{orientation_nwb}"\nstimulus = "stimulus"\ncv = 5\n'
                      '[decode]\ndecoder = "linear"\nl2 = 10.0\nseed = 7\n')
    first = tmp_path / "first"
    run = cli("decode", "--config", config, "--cv", "3", "--out", first)
    assert run.code == 0, run.err
    doc = _json(first / "results.json")
    assert (doc["config"]["cv"], doc["config"]["l2"], doc["seed"]) == (3, 10.0, 7)
    written = (first / "run.toml").read_text()
    assert "cv = 3" in written and "l2 = 10.0" in written and "out" not in written.split(
        "\n", 2)[2]

    again = tmp_path / "again"
    run = cli("decode", "--config", first / "run.toml", "--out", again)
    assert run.code == 0, run.err
    redo = _json(again / "results.json")
    assert redo["config"] == {**doc["config"], "out": str(again)}
    assert redo["result"]["scores"] == doc["result"]["scores"]


def test_compare_sweep_with_paired_statistics(cli, orientation_nwb, tmp_path):
    out = tmp_path / "out"
    run = cli("compare", orientation_nwb, "--stimulus", "stimulus", "--decoders",
              "linear,mlp", "--l2", "0.1,10", "--dropout", "0,0.3", "--cv", "3", "--out", out)
    assert run.code == 0, run.err
    assert "p-values vs best: paired t / Wilcoxon" in run.out
    assert "linear (LinearDecoder) has no dropout parameter" in run.out
    doc = _json(out / "results.json")
    (entry,) = doc["inputs"]
    assert {"results.csv", "report.html", "results.json"} <= set(doc["files"])
    comparison = entry["comparison"]
    names = list(comparison["results"])
    assert names[:2] == ["linear l2=0.1", "linear l2=10"] and len(names) == 2 + 4
    assert entry["best"] in names and set(comparison["paired_tests"]) == set(names) - {
        entry["best"]}
    assert entry["best_params"]["decoder"] in ("linear", "mlp")
    best_mark = [line for line in run.out.splitlines() if line.startswith("* ")]
    assert len(best_mark) == 1 and entry["best"] in best_mark[0]

    rows = _csv(out / "results.csv")
    assert len(rows) == 6 * 3
    primary = [r for r in rows if r["metric"] == "median_error"]
    assert {r["candidate"] for r in primary} == set(names)
    assert sum(r["best"] == "True" for r in primary) == 1
    assert all(r["t_pvalue"] for r in primary if r["best"] == "False")
    for name in ("sweep_linear.png", "sweep_mlp.png", "predictions.png", "report.html"):
        assert (out / name).is_file(), name
    page = (out / "report.html").read_text()
    assert "linear l2=0.1" in page and page.count("data:image/png;base64,") >= 3


def test_compare_two_files_and_default_decoders(cli, orientation_nwb, category_nwb,
                                                tmp_path):
    """Several files: each its own comparison, figures prefixed with the file name."""
    second = tmp_path / "second.nwb"
    second.write_bytes(orientation_nwb.read_bytes())
    run = cli("compare", orientation_nwb, second, "--stimulus", "stimulus", "--decoders",
              "linear", "--l2", "1,100", "--cv", "3", "--out", tmp_path / "out")
    assert run.code == 0, run.err
    doc = _json(tmp_path / "out" / "results.json")
    assert [f["path"] for f in doc["inputs"]] == [str(orientation_nwb), str(second)]
    assert (tmp_path / "out" / "orientation_sweep_linear.png").is_file()
    assert (tmp_path / "out" / "second_sweep_linear.png").is_file()

    # a categorical stimulus: every classifier by default, each run once
    run = cli("compare", category_nwb, "--stimulus", "stimulus", "--cv", "3", "--out",
              tmp_path / "cat")
    assert run.code == 0, run.err
    entry = _json(tmp_path / "cat" / "results.json")["inputs"][0]
    assert {"logistic", "perceptron", "mlp"} <= set(entry["comparison"]["results"])
    assert re.search(r"\* \S+", run.out)
    assert (tmp_path / "cat" / "confusion.png").is_file()


def test_decode_over_time_writes_both_figures(cli, orientation_nwb, tmp_path):
    out = tmp_path / "over_time"
    run = cli("decode", orientation_nwb, "--stimulus", "stimulus", "--bins", "4", "--decoder",
              "logistic", "--l2", "0.1", "--cv", "3", "--window", "0", "0.5", "--bin-size",
              "0.125", "--over-time", "--permutations", "19", "--out", out)
    assert run.code == 0, run.err
    doc = _json(out / "results.json")
    assert doc["over_time"]["epoch_times"] == [0.0, 0.125, 0.25, 0.375]
    assert min(doc["over_time"]["mean"]["accuracy"]) > 0.35  # chance 0.25
    assert len(doc["generalization"]["mean"]) == 4
    for name in ("over_time.png", "generalization.png", "over_time.csv", "report.html"):
        assert (out / name).is_file()
    html = (out / "report.html").read_text()
    assert "over_time.png" in html and "generalization.png" in html
    assert "decoded at 4 time points" in run.out


def test_over_time_needs_window_and_bin_size(cli, orientation_nwb, tmp_path):
    run = cli("decode", orientation_nwb, "--stimulus", "stimulus", "--over-time",
              "--out", tmp_path / "x")
    assert_one_line_error(run, "--over-time", "--window", "--bin-size")
    run = cli("decode", orientation_nwb, "--stimulus", "stimulus", "--window", "0", "0.5",
              "--bin-size", "0.1", "--out", tmp_path / "y")
    assert_one_line_error(run, "add --over-time")


def test_run_toml_reproduces_from_any_folder(cli, orientation_nwb, tmp_path, monkeypatch):
    """A run started with a relative data path writes run.toml with the absolute path, so
    `decode --config run.toml` works from another folder."""
    import shutil

    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(orientation_nwb, data / "session.nwb")
    monkeypatch.chdir(data)
    run = cli("decode", "session.nwb", "--stimulus", "stimulus", "--cv", "3", "--out", "out")
    assert run.code == 0, run.err
    assert f'path = "{data / "session.nwb"}"' in (data / "out" / "run.toml").read_text()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    run = cli("decode", "--config", data / "out" / "run.toml", "--out", "again")
    assert run.code == 0, run.err
    assert (_json(elsewhere / "again" / "results.json")["result"]["scores"]
            == _json(data / "out" / "results.json")["result"]["scores"])


def test_compare_states_chance_and_says_when_nothing_beats_it(cli, tmp_path, orientation_nwb):
    import numpy as np

    from neurodecode.data import Recording, save_nwb

    rng = np.random.default_rng(0)
    noise = Recording(rng.poisson(2.0, (90, 15)).astype(float), rng.integers(0, 3, 90),
                      kind="categorical", response_type="counts")
    path = save_nwb(noise, tmp_path / "noise.nwb")
    run = cli("compare", path, "--stimulus", "stimulus", "--decoders", "logistic", "--cv",
              "3", "--out", tmp_path / "noise")
    assert run.code == 0, run.err
    assert "chance level of accuracy: 0.3444; NO decoder beats chance" in run.out
    assert "NO decoder beats chance" in _json(tmp_path / "noise" / "results.json")[
        "inputs"][0]["chance"]
    run = cli("compare", orientation_nwb, "--stimulus", "stimulus", "--decoders", "linear",
              "--cv", "3", "--out", tmp_path / "tuned")
    assert "chance level of median_error: 45; the best (linear) beats it" in run.out


def test_a_finished_run_is_not_mixed_with_a_new_one(cli, orientation_nwb, tmp_path):
    import hashlib

    out = tmp_path / "run"
    args = ("decode", orientation_nwb, "--stimulus", "stimulus", "--cv", "3", "--out", out)
    assert cli(*args).code == 0
    manifest = _json(out / "manifest.json")  # written last, every file with its hash
    assert manifest["command"] == "decode" and "results.json" in manifest["files"]
    assert manifest["files"]["results.json"] == hashlib.sha256(
        (out / "results.json").read_bytes()).hexdigest()
    run = cli(*args)
    assert run.code == 2 and "holds a finished 'decode' run" in run.err
    assert "--overwrite" in run.err
    assert cli(*args, "--overwrite").code == 0 and (out / "manifest.json").is_file()

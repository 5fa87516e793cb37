"""neurodecode decode-many: many NWB sessions, failures per session, resume, a Dask run."""

from __future__ import annotations

import csv
import json

import pytest

from neurodecode.data import orientation_population, save_nwb


@pytest.fixture(scope="module")
def sessions(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sessions")
    for s in range(3):
        rec, _ = orientation_population(15, 60, random_state=s)
        save_nwb(rec, folder / f"s{s}.nwb")
    (folder / "broken.nwb").write_text("not an NWB file")
    return folder


def _rows(folder):
    with open(folder / "sessions.csv", newline="") as f:
        return list(csv.DictReader(f))


def test_every_session_is_a_row_and_a_bad_file_is_reported(cli, sessions, tmp_path):
    out = tmp_path / "many"
    run = cli("decode-many", sessions / "s*.nwb", sessions / "broken.nwb",
              "--stimulus", "stimulus", "--cv", "3", "--workers", "0", "--out", out)
    assert run.code == 0, run.err
    rows = _rows(out)
    assert [r["session"].rsplit("/", 1)[-1] for r in rows] == [
        "s0.nwb", "s1.nwb", "s2.nwb", "broken.nwb"]
    assert "not an NWB file" in rows[-1]["error"] and all(not r["error"] for r in rows[:3])
    assert all(float(r["median_error_mean"]) > 0 for r in rows[:3])
    assert "4 sessions, 3 decoded, 1 failed" in (out / "summary.txt").read_text()
    doc = json.loads((out / "results.json").read_text())
    assert doc["command"] == "decode-many" and len(doc["sessions"]) == 4
    assert (out / "report.html").is_file() and "Across sessions" in (
        out / "report.html").read_text()
    assert len(list((out / "sessions").glob("*.json"))) == 4
    again = cli("decode-many", sessions / "s*.nwb", "--stimulus", "stimulus", "--cv", "3",
                "--workers", "0", "--out", out)
    assert again.code == 0 and "3/3" in again.err  # all three read back, none re-run


def test_on_a_local_dask_cluster(cli, sessions, tmp_path):
    pytest.importorskip("distributed")
    out = tmp_path / "dask"
    run = cli("decode-many", sessions / "s*.nwb", "--stimulus", "stimulus", "--cv", "3",
              "--workers", "2", "--out", out)
    assert run.code == 0, run.err
    assert "local Dask cluster (2 workers)" in run.out
    assert all(not r["error"] and r["worker"].startswith("tcp://") for r in _rows(out))


def test_patterns_that_match_nothing_are_errors(cli, tmp_path):
    run = cli("decode-many", tmp_path / "none*.nwb", "--stimulus", "x", "--out", tmp_path)
    assert run.code == 2 and "matches no file" in run.err
    run = cli("decode-many", "--stimulus", "x")
    assert run.code == 2 and "needs PATH" in run.err

"""The building blocks: atomic writers, the TOML config, the HTML report."""

from __future__ import annotations

import json
import math
from contextlib import nullcontext as does_not_raise
from pathlib import Path

import numpy as np
import pytest

import neurodecode.cli.io as cli_io
from neurodecode.cli.config import UserError, dump_toml, read_toml, resolve_config
from neurodecode.cli.io import to_jsonable, write_json_atomic, write_text_atomic
from neurodecode.cli.report import Report


# ---------------------------------------------------------------------------- atomic writes
def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_atomic_write_replaces_whole_file(tmp_path):
    path = tmp_path / "results.json"
    write_json_atomic(path, {"a": 1})
    write_json_atomic(path, {"b": [1.5, np.float32(2.0)]})
    assert json.loads(path.read_text()) == {"b": [1.5, 2.0]}
    assert _leftovers(tmp_path) == []


def test_crash_mid_write_leaves_previous_version(tmp_path, monkeypatch):
    """The data reach the disk in a temporary file; a crash before the rename leaves the
    previous complete file and no temporary file."""
    path = tmp_path / "results.json"
    write_json_atomic(path, {"version": 1})

    def crash(fd):
        raise OSError("disk full")

    monkeypatch.setattr(cli_io.os, "fsync", crash)
    with pytest.raises(OSError, match="disk full"):
        write_json_atomic(path, {"version": 2, "big": list(range(10_000))})
    assert json.loads(path.read_text()) == {"version": 1}
    assert _leftovers(tmp_path) == []


def test_unserialisable_value_writes_nothing(tmp_path):
    with pytest.raises(TypeError, match="Cannot write object"):
        write_json_atomic(tmp_path / "r.json", {"x": object()})
    assert list(tmp_path.iterdir()) == []


def test_interrupt_mid_json_leaves_no_file(tmp_path, monkeypatch):
    monkeypatch.setattr(cli_io.json, "dumps", lambda *a, **k: (_ for _ in ()).throw(
        KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):
        write_json_atomic(tmp_path / "r.json", {"x": 1})
    assert list(tmp_path.iterdir()) == []


def test_written_files_get_usual_permissions(tmp_path):
    path = write_text_atomic(tmp_path / "a.txt", "x")
    assert path.stat().st_mode & 0o044  # readable by group/others under a usual umask


def test_json_is_strict():
    assert to_jsonable({"nan": math.nan, "inf": np.inf, "t": (1, 2)}) == {
        "nan": None, "inf": None, "t": [1, 2]}


# ---------------------------------------------------------------------------- config
def _toml(tmp_path, text, name="run.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(("text", "expectation"), [
    ('stimulus = "ori"\ncv = 3\nwindow = [0.0, 0.5]\n', does_not_raise()),
    ('stimulus = "ori"\n[decode]\nl2 = 0.1\n', does_not_raise()),
    ('stimulus = "ori"\n[compare]\nl2 = [0.1, 1]\n', does_not_raise()),
    ("cv = 3\nstimulus = \n", pytest.raises(UserError, match="is not valid TOML")),
    ('stimulus = "ori"\nfoo = 1\n', pytest.raises(UserError, match="Unknown option 'foo'.*"
                                                   "Options of 'neurodecode decode'")),
    ('stimulus = "ori"\ndecoders = ["linear"]\n',
     pytest.raises(UserError, match="does not apply to 'neurodecode decode'.*compare")),
    ('stimulus = "ori"\ncv = "five"\n', pytest.raises(UserError, match="'cv' in run.toml "
                                                       "must be an integer")),
    ('stimulus = "ori"\ncv = 5.0\n', pytest.raises(UserError, match="must be an integer")),
    ('stimulus = "ori"\nl2 = [0.1, 1]\n', pytest.raises(UserError, match="must be a number")),
    ('stimulus = "ori"\ndecoder = "svm"\n', pytest.raises(UserError,
                                                          match="Unknown decoder 'svm'")),
    ('stimulus = "ori"\nwindow = [1, 0]\n', pytest.raises(UserError, match="START < STOP")),
    ('decode = 3\n', pytest.raises(UserError, match=r"must be a table \(\[decode\]\)")),
])
def test_read_toml_errors(tmp_path, text, expectation):
    with expectation:
        read_toml(_toml(tmp_path, text), "decode")


def test_flags_override_file_override_defaults(tmp_path):
    path = _toml(tmp_path, 'path = "data/s.nwb"\nstimulus = "ori"\ncv = 3\nl2 = 0.5\n'
                           '[decode]\ndecoder = "mlp"\n')
    config = resolve_config("decode", {"cv": "4", "path": None}, str(path))
    assert config["cv"] == 4  # flag
    assert config["l2"] == 0.5 and config["decoder"] == "mlp"  # file
    assert config["intervals"] == "trials" and config["seed"] == 0  # defaults
    assert config["path"] == str(tmp_path / "data" / "s.nwb")  # relative to the file


def test_dump_toml_round_trip(tmp_path):
    config = resolve_config("compare", {"path": ["a.nwb", "b c.nwb"], "stimulus": "ori \"x\"",
                                        "l2": "1e-3,0.01", "window": ["-0.5", "1"],
                                        "decoders": "linear,mlp"})
    path = _toml(tmp_path, dump_toml(config, "compare", "a header\nsecond line"))
    back = resolve_config("compare", {}, str(path))
    assert {k: v for k, v in back.items() if k not in ("path", "out")} == {
        k: v for k, v in config.items() if k not in ("path", "out")}
    # written absolute (resolved where the run started), so the file works from anywhere
    assert back["path"] == [str(Path("a.nwb").resolve()), str(Path("b c.nwb").resolve())]
    # a hand-written file's relative paths are relative to the file's own folder
    hand = _toml(tmp_path, 'path = ["a.nwb"]\nstimulus = "ori"\n')
    assert resolve_config("compare", {}, str(hand))["path"] == [str(tmp_path / "a.nwb")]


# ---------------------------------------------------------------------------- report
def test_report_escapes_and_embeds():
    report = Report("Run <1>", "neurodecode decode x.nwb")
    report.add_table("Results", ["decoder", "error"], [["<linear>", 1.23456], ["mlp", 7]])
    report.add_text("Summary", "a < b & c")
    report.add_figure("A figure", "a.png", b"\x89PNG\r\n")
    report.add_mapping("Configuration", {"l2": [0.1, 1.0], "kind": None})
    page = report.render()
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<title>Run &lt;1&gt;</title>" in page
    assert "<td>&lt;linear&gt;</td>" in page and '<td class="num">1.235</td>' in page
    assert "a &lt; b &amp; c" in page
    assert 'src="data:image/png;base64,iVBORw0K' in page
    assert "<td>0.1, 1</td>" in page and "(not set)" in page

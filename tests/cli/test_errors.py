"""User errors: exit status 2, one line on stderr that names the problem, no traceback;
Ctrl-C: exit status 130 and a message."""

from __future__ import annotations

import sys

import h5py
import pytest
import torch

import neurodecode
from neurodecode.cli import commands

from .helpers import assert_one_line_error

# (arguments, fragments the one-line message must contain); {circ} is a circular-stimulus
# NWB file, {cat} a categorical one, {txt} a text file, {h5} an HDF5 file that is not NWB.
ERRORS = [
    (["decode", "{missing}", "--stimulus", "ori"], ["No NWB file at", "missing.nwb"]),
    (["decode", "{txt}", "--stimulus", "ori"], ["is not a file neurodecode can read",
                                                 "NWB, HDF5, MATLAB"]),
    (["decode", "{h5}", "--stimulus", "ori"], ["is a HDF5 file", "--responses VAR",
                                               "neurodecode inspect"]),
    (["decode", "{circ}", "--stimulus", "ori"],
     ["Column 'ori' not found in intervals table 'trials'", "Available: start_time, "
      "stop_time, stimulus"]),
    (["decode", "{circ}", "--stimulus", "stimulus", "--intervals", "epochs"],
     ["Intervals table 'epochs' not found", "Available: trials"]),
    (["decode", "{circ}", "--stimulus", "stimulus", "--window", "1e6", "1.1e6"],
     ["lies outside the spikes"]),
    (["decode", "{circ}", "--stimulus", "stimulus", "--window", "0.5", "0.1"],
     ["--window must have START < STOP"]),
    (["decode", "{circ}", "--stimulus", "stimulus", "--window", "0", "1", "--align", "nope"],
     ["Align column 'nope' not found"]),
    (["decode", "{circ}", "--stimulus", "stimulus", "--cv", "500"],
     ["cv=500 is larger than"]),
    (["decode", "{cat}", "--stimulus", "stimulus", "--decoder", "logistic", "--cv", "100"],
     ["cv=100 is larger than the smallest class"]),
    (["decode", "{circ}", "--stimulus", "stimulus", "--cv", "1"], ["--cv must be >= 2"]),
    (["decode", "{circ}", "--stimulus", "stimulus", "--cv", "five"],
     ["--cv must be an integer", "'five'"]),
    (["decode", "{circ}", "--stimulus", "stimulus", "--decoder", "svm"],
     ["Unknown decoder 'svm'", "auto, linear, mlp, logistic, lda, perceptron, bayes"]),
    (["decode", "{circ}", "--stimulus", "stimulus", "--decoder", "logistic"],
     ["is a classifier", "circular", "--bins N"]),
    (["decode", "{cat}", "--stimulus", "stimulus", "--decoder", "linear"],
     ["regression decoder", "categorical", "logistic, lda, perceptron or mlp"]),
    (["decode", "{cat}", "--stimulus", "stimulus", "--decoder", "logistic", "--bins", "3"],
     ["already categorical", "drop --bins"]),
    (["decode", "{circ}", "--stimulus", "stimulus", "--bins", "1"], ["--bins must be >= 2"]),
    (["decode", "{circ}", "--stimulus", "stimulus", "--l2", "-1"], ["--l2 must be >= 0"]),
    (["decode", "{circ}", "--stimulus", "stimulus", "--decoder", "mlp", "--dropout", "1.5"],
     ["--dropout must be in [0, 1)", "1.5"]),
    (["decode", "{circ}", "--stimulus", "stimulus", "--bins", "4", "--decoder",
      "perceptron", "--l2", "0.1"], ["PerceptronDecoder", "has no 'l2' parameter"]),
    (["decode", "{circ}", "--stimulus", "stimulus", "--kind", "circle"],
     ["Unknown value 'circle' for --kind", "circular, linear, categorical"]),
    (["decode", "{circ}", "--stimulus", "stimulus", "--kind", "circular", "--period", "0"],
     ["--period must be > 0"]),
    (["decode", "{circ}"], ["needs --stimulus COLUMN"]),
    (["decode", "--stimulus", "stimulus"], ["needs PATH"]),
    (["decode", "{circ}", "--stimulus", "stimulus", "--frobnicate"],
     ["unrecognized arguments: --frobnicate"]),
    (["frobnicate"], ["invalid choice: 'frobnicate'"]),
    (["decode", "{circ}", "--stimulus", "stimulus", "--out", "{txt}"],
     ["Cannot create the output folder"]),
    (["decode", "{circ}", "--stimulus", "stimulus", "--config", "{missing}"],
     ["Config file", "does not exist"]),
    (["compare", "{circ}", "--stimulus", "stimulus", "--decoders", "linear,svm"],
     ["Unknown decoder 'svm' in --decoders"]),
    (["compare", "{circ}", "--stimulus", "stimulus", "--decoders", "linear,linear"],
     ["names a decoder twice"]),
    (["compare", "{circ}", "--stimulus", "stimulus", "--l2", "0.1,,1"],
     ["--l2 must be one or more numbers"]),
    (["compare", "{circ}", "{missing}", "--stimulus", "stimulus"], ["No NWB file at"]),
    (["compare", "--stimulus", "stimulus"], ["needs PATH"]),
    (["inspect", "{missing}"], ["No such file", "missing.nwb"]),
    (["inspect", "{txt}"], ["is not a file neurodecode can read"]),
    (["inspect", "{dir}"], ["is a folder"]),
]


@pytest.fixture
def paths(tmp_path, orientation_nwb, category_nwb):
    txt = tmp_path / "notes.txt"
    txt.write_text("not data\n")
    h5 = tmp_path / "plain.h5"
    with h5py.File(h5, "w") as f:
        f["x"] = [1, 2, 3]
    return {"missing": tmp_path / "missing.nwb", "txt": txt, "h5": h5, "dir": tmp_path,
            "circ": orientation_nwb, "cat": category_nwb}


@pytest.mark.parametrize(("args", "fragments"), ERRORS,
                         ids=[" ".join(a[:1] + a[2:4]) for a, _ in ERRORS])
def test_user_error_is_one_line_and_status_2(cli, paths, tmp_path, args, fragments):
    args = [a.format(**paths) for a in args]
    if "--out" not in args and args[0] != "inspect":
        args += ["--out", str(tmp_path / "out")]
    assert_one_line_error(cli(*args), *fragments)
    # nothing was written for a run that failed on its input
    assert not (tmp_path / "out" / "results.json").exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_cuda(cli, orientation_nwb, tmp_path):
    run = cli("decode", orientation_nwb, "--stimulus", "stimulus", "--device", "cuda",
              "--out", tmp_path)
    assert_one_line_error(run, "--device cuda", "no CUDA device", "--device auto or cpu")


def test_bayes_not_available(cli, orientation_nwb, tmp_path, monkeypatch):
    """Without neurodecode.encoding, --decoder bayes says so instead of crashing."""
    # attribute first: neurodecode loads its subpackages lazily, so looking up the
    # attribute imports neurodecode.encoding, which must still be importable then
    monkeypatch.delattr(neurodecode, "encoding", raising=False)
    monkeypatch.setitem(sys.modules, "neurodecode.encoding", None)
    run = cli("decode", orientation_nwb, "--stimulus", "stimulus", "--decoder", "bayes",
              "--out", tmp_path)
    assert_one_line_error(run, "Bayesian decoder", "not available in this version")


def test_help_and_version(cli):
    run = cli("--help")
    assert run.code == 0 and "demo" in run.out and "compare" in run.out
    run = cli("decode", "--help")
    assert run.code == 0 and "--stimulus NAME" in run.out and "--window START STOP" in run.out
    assert "--responses VAR" in run.out and "--neurons-axis N" in run.out
    run = cli("--version")
    assert run.code == 0 and run.out.strip() == f"neurodecode {neurodecode.__version__}"
    run = cli()  # no command: the overview
    assert run.code == 0 and "COMMAND" in run.out


def test_ctrl_c_exits_130_without_partial_files(cli, orientation_nwb, tmp_path,
                                                monkeypatch):
    """An interrupt while results.json is being written: status 130, a message, and no
    results.json (complete or not) and no temporary file left behind."""
    import neurodecode.cli.io as cli_io

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_io.json, "dumps", interrupted)
    out = tmp_path / "out"
    run = cli("decode", orientation_nwb, "--stimulus", "stimulus", "--l2", "1", "--cv", "3",
              "--out", out)
    assert run.code == 130
    assert "interrupted" in run.err and "Traceback" not in run.err
    names = sorted(p.name for p in out.iterdir())
    assert "results.json" not in names
    assert not [n for n in names if n.endswith(".tmp")], names
    assert "report.html" in names and "predictions.png" in names  # written before: complete


def test_bug_keeps_its_traceback(cli, orientation_nwb, tmp_path, monkeypatch):
    """An unexpected error is not dressed up as a user error."""

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(commands, "describe_recording", broken)
    with pytest.raises(ZeroDivisionError):
        cli("decode", orientation_nwb, "--stimulus", "stimulus", "--out", tmp_path)


def test_environment_problems_exit_3_and_debug_shows_the_traceback(cli, orientation_nwb,
                                                                   tmp_path, monkeypatch):
    import neurodecode.cli.outputs as outputs

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path / "out" / "report.html"))

    monkeypatch.setattr(outputs, "write_text_atomic", refuse)
    run = cli("decode", orientation_nwb, "--stimulus", "stimulus", "--cv", "3", "--out",
              tmp_path / "out")
    assert run.code == 3 and "Traceback" not in run.err
    assert "Permission denied: '" in run.err and "problem of the environment" in run.err
    with pytest.raises(PermissionError):
        cli("decode", orientation_nwb, "--stimulus", "stimulus", "--cv", "3", "--out",
            tmp_path / "out", "--debug")
    from neurodecode.cli.config import UserError

    with pytest.raises(UserError, match="No NWB file"):  # --debug: the traceback
        cli("decode", tmp_path / "missing.nwb", "--stimulus", "x", "--debug")
    assert cli("decode", tmp_path / "missing.nwb", "--stimulus", "x").code == 2

"""The benchmark harness works end to end at --quick sizes (correctness only, no timing)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def run_module():
    sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location("bench_run", BENCH / "run.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_run"] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    yield module
    sys.path.remove(str(BENCH))
    del sys.modules["bench_run"]


@pytest.mark.slow
def test_quick_run_writes_a_table_where_both_sides_agree(run_module, tmp_path):
    out = tmp_path / "RESULTS.md"
    rows = run_module.main(["--quick", "--out", str(out)])
    names = {r.name for r in rows}
    assert {"ridge_sweep", "logistic_sweep", "logistic_l1", "mlp_sweep", "perceptron",
            "nwb_load", "over_time: synthetic decode_over_time",
            "over_time: synthetic temporal_generalization"} <= names
    for r in rows:
        assert r.nd_seconds > 0 and (r.peer_seconds > 0 or not r.has_peer)
        assert r.agree, f"{r.name}: {r.nd_accuracy} vs {r.peer_accuracy} (+- {r.tolerance})"
    text = out.read_text()
    assert "| ridge_sweep |" in text and "float32 matmul peak" in text and "torch:" in text
    if all((run_module.cases.SHARED_DATA / f).is_file() for f in (
            run_module.cases.PARK_V1, run_module.cases.PEYRACHE_HD,
            run_module.cases.STEVENSON_M1, run_module.cases.ZHENG_MTL)):
        assert sum(n.startswith("small_real:") for n in names) == 5
    else:
        assert "**small_real**: skipped:" in text


@pytest.mark.slow
def test_over_time_agrees_with_mne_on_the_same_splits(run_module, tmp_path):
    pytest.importorskip("mne")
    out = tmp_path / "RESULTS.md"
    rows = run_module.main(["--quick", "--only", "over_time", "--out", str(out)])
    park = (run_module.cases.SHARED_DATA / run_module.cases.PARK_V1).is_file()
    expected = [f"over_time: {data} {what}" for data in (["Park V1"] if park else [])
                + ["synthetic"] for what in ("decode_over_time", "temporal_generalization")]
    assert [r.name for r in rows] == expected
    for r in rows:  # mean abs difference of the per-time accuracies, MNE's side 0
        assert r.peer_accuracy == 0 and r.agree, f"{r.name}: {r.nd_accuracy}"
        assert r.nd_seconds > 0 and r.peer_seconds > 0 and r.target == 10.0
    assert "| over_time: synthetic temporal_generalization |" in out.read_text()


@pytest.mark.slow
def test_movement_rows_agree_with_neural_decoding(run_module, tmp_path):
    pytest.importorskip("Neural_Decoding")
    cases = run_module.cases
    if not (cases.SHARED_DATA / cases.STEVENSON_M1).is_file():
        pytest.skip("the shared M1 recording is absent")
    out = tmp_path / "RESULTS.md"
    rows = run_module.main(["--quick", "--only", "movement", "--out", str(out)])
    by_name = {r.name: r for r in rows}
    peers = ["Wiener filter", "Wiener cascade", "Kalman"]
    alone = ["MLP", "GRU", "LSTM"]
    assert [f"movement: {n}" for n in peers + alone] == [r.name for r in rows[:6]]
    for name in peers:  # the same model as Neural_Decoding's, same splits and lags
        r = by_name[f"movement: {name}"]
        assert r.has_peer and r.agree and r.tolerance == 0.005, (name, r.nd_accuracy,
                                                                  r.peer_accuracy)
        assert r.nd_accuracy > 0.5 and r.peer_seconds > 0 and r.target == 1.0
        assert "Refits reproduce the nested predictions: True" in r.note
    for name in alone:  # Neural_Decoding's networks are Keras: reported alone
        r = by_name[f"movement: {name}"]
        assert not r.has_peer and r.status == "report" and r.nd_accuracy == r.nd_accuracy
    text = out.read_text()
    assert "| movement: Kalman |" in text and "| movement: LSTM |" in text
    assert "Best decoder:" in text
    if (cases.SHARED_DATA / cases.PEYRACHE_HD).is_file():
        hd = by_name["movement: head direction (recurrent, nested)"]
        assert hd.metric == "nested CV median error (deg)" and 0 < hd.nd_accuracy < 90
        assert "chosen (cell/hidden) per fold" in hd.note


def test_rows_without_a_peer_are_reports(run_module):
    Row = run_module.Row
    nan = float("nan")
    alone = Row("x", "s", 1.0, "none", nan, 0.8, nan, "R^2", nan)
    assert not alone.has_peer and alone.agree and alone.status == "report"
    text = run_module.to_markdown([alone], 100.0, {}, "cmd", 1.0)
    assert "| x | s | 1.00 | none | n/a | n/a | 0.8 | n/a | R^2 |" in text


def test_cases_may_return_several_rows_or_skip(run_module, tmp_path, monkeypatch):
    cases, devices = run_module.cases, []

    def two(quick, measure, Row, device="cpu"):
        devices.append(device)
        return [Row(n, "s", 1.0, "peer", 2.0, 0.5, 0.5, "m", 0.0, target=1.0) for n in "ab"]

    def absent(quick, measure, Row):
        raise cases.SkipBenchmark("no data here")

    monkeypatch.setitem(cases.BENCHMARKS, "two", two)
    monkeypatch.setitem(cases.BENCHMARKS, "absent", absent)
    out = tmp_path / "RESULTS.md"
    rows = run_module.main(["--quick", "--only", "two", "absent", "--out", str(out)])
    assert [r.name for r in rows] == ["a", "b"] and devices == ["cpu"]
    text = out.read_text()
    assert "| a |" in text and "| b |" in text and "**absent**: skipped: no data here" in text


def test_busy_load_starts_and_stops_and_reports_slowdowns(run_module):
    import busy

    with busy.cpu_load(1, warm_up=0.5) as procs:
        assert all(p.poll() is None for p in procs)
    assert all(p.poll() is not None for p in procs)
    Row = run_module.Row
    idle = [Row("x", "s", 1.0, "peer", 1.0, 0.5, 0.5, "m", 0.0)]
    loaded = [Row("x", "s", 3.0, "peer", 2.0, 0.5, 0.5, "m", 0.0)]
    text = busy.slowdown_markdown(idle, loaded, 1)
    assert "| x | 1.00 | 3.00 | 3.00x | 1.00 | 2.00 | 2.00x |" in text and "over 2.5x" in text


def test_rows_judge_targets_and_accuracy(run_module):
    Row = run_module.Row
    ok = Row("x", "s", 1.0, "peer", 12.0, 0.5, 0.5, "m", 0.01, target=10.0)
    slow = Row("x", "s", 1.0, "peer", 5.0, 0.5, 0.5, "m", 0.01, target=10.0)
    wrong = Row("x", "s", 1.0, "peer", 50.0, 0.5, 0.6, "m", 0.01, target=10.0)
    assert ok.status == "PASS" and slow.status.startswith("below target")
    assert wrong.status.startswith("FAIL")

"""decode_sessions on a Dask LocalCluster (2 worker processes) and pseudo_population."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import numpy as np
import pytest

from neurodecode.data import load_npz, orientation_population
from neurodecode.decoders import LinearDecoder, LogisticDecoder
from neurodecode.evaluate import (
    cross_validate,
    decode_sessions,
    make_splits,
    pseudo_population,
)

distributed = pytest.importorskip("distributed")

LOADER = functools.partial(load_npz, responses="X", stimulus="y", kind="linear",
                           neurons_axis=1)


def _write_sessions(folder: Path, n: int) -> list[Path]:
    paths = []
    for s in range(n):
        rec, _ = orientation_population(20, 90, random_state=s)
        path = folder / f"session{s}.npz"
        np.savez(path, X=rec.responses, y=rec.stimulus)
        paths.append(path)
    return paths


@pytest.fixture(scope="module")
def client():
    from neurodecode.evaluate.sessions import _environ_kept

    with _environ_kept():  # Dask sets OMP_NUM_THREADS=1 here for (re)started workers
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1,
                                           processes=True, dashboard_address=":0")
        with distributed.Client(cluster) as c:
            yield c
        cluster.close()


def test_starting_a_local_cluster_leaves_the_callers_threads_alone(tmp_path):
    before = {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    recs = [orientation_population(10, 40, random_state=s)[0] for s in range(2)]
    decode_sessions(recs, LinearDecoder(l2=1.0), cv=2, n_workers=1)
    assert {k: os.environ.get(k) for k in before} == before


def test_cluster_results_equal_a_sequential_loop(client, tmp_path):
    paths = _write_sessions(tmp_path, 4)
    decoders = {"ridge": LinearDecoder(l2=1.0), "strong": LinearDecoder(l2=100.0)}
    on_dask = decode_sessions(paths, decoders, loader=LOADER, cv=3, client=client)
    in_order = decode_sessions(paths, decoders, loader=LOADER, cv=3, client="sequential")
    for a, b in zip(on_dask.rows, in_order.rows):
        assert a["session"] == b["session"] and not a["error"]
        assert a["scores"] == b["scores"]  # exactly
    loop = [cross_validate(LinearDecoder(l2=1.0), LOADER(p), 3, random_state=0) for p in paths]
    np.testing.assert_array_equal(on_dask.session_means("r2", "ridge"),
                                  [r.scores["r2"].mean() for r in loop])
    frame = on_dask.to_frame()
    assert list(frame["session"]) == [str(p) for p in paths]
    assert {"ridge_r2_mean", "strong_r2_sem", "n_trials", "worker"} <= set(frame.columns)
    assert frame["worker"].str.startswith("tcp://").all()
    test = on_dask.paired_test("ridge", "strong", "r2")
    assert test["n_sessions"] == 4 and 0 < test["p_value"] <= 1
    assert "ridge - strong" in on_dask.summary()


def test_a_corrupt_file_is_reported_and_the_rest_finish(client, tmp_path):
    paths = _write_sessions(tmp_path, 3)
    bad = tmp_path / "corrupt.npz"
    bad.write_bytes(b"not an npz file")
    res = decode_sessions([paths[0], bad, *paths[1:]], LinearDecoder(l2=1.0),
                          loader=LOADER, cv=3, client=client)
    frame = res.to_frame()
    assert list(res.errors) == [str(bad)]
    assert frame.loc[frame["session"] == str(bad), "error"].item() != ""
    assert (frame["error"] == "").sum() == 3
    assert np.isfinite(frame.loc[frame["error"] == "", "r2_mean"]).all()
    assert "1 failed" in res.summary()


def test_a_rerun_with_out_skips_finished_sessions(tmp_path):
    paths = _write_sessions(tmp_path, 3)
    calls = []

    def counting(path):
        calls.append(Path(path).name)
        return LOADER(path)

    out = tmp_path / "results"
    first = decode_sessions(paths[:2], LinearDecoder(l2=1.0), loader=counting, cv=3,
                            client="sequential", out=out)
    assert sorted(calls) == ["session0.npz", "session1.npz"]
    assert len(list(out.glob("*.json"))) == 2 and not list(out.glob("*.part"))
    calls.clear()
    again = decode_sessions(paths, LinearDecoder(l2=1.0), loader=counting, cv=3,
                            client="sequential", out=out)
    assert calls == ["session2.npz"]  # only the new one ran
    assert again.rows[:2] == [{**r} for r in first.rows]


def dying_loader(path):
    """Kills its worker process the first time it sees a session (a lost worker)."""
    marker = Path(str(path) + ".died")
    if not marker.exists():
        marker.write_text("x")
        os._exit(1)
    return LOADER(path)


def test_a_worker_killed_mid_run_does_not_lose_a_session(client, tmp_path):
    paths = _write_sessions(tmp_path, 2)
    res = decode_sessions(paths, LinearDecoder(l2=1.0), loader=dying_loader, cv=3,
                          client=client)
    assert not res.errors and len(res.rows) == 2
    expected = decode_sessions(paths, LinearDecoder(l2=1.0), loader=LOADER, cv=3,
                               client="sequential")
    assert [r["scores"] for r in res.rows] == [r["scores"] for r in expected.rows]


def test_own_local_cluster_and_recordings(tmp_path):
    recs = [orientation_population(15, 60, random_state=s)[0] for s in range(2)]
    res = decode_sessions(recs, LinearDecoder(l2=1.0), cv=3, n_workers=2)
    assert not res.errors and res.to_frame()["n_neurons"].tolist() == [15, 15]


def test_bad_sessions_get_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="at least one session"):
        decode_sessions([], LinearDecoder(), client="sequential")
    res = decode_sessions([np.zeros((3, 3))], LinearDecoder(), client="sequential")
    assert "Recordings (or paths with loader=)" in res.errors["session 0"]


# --------------------------------------------------------------------------- pseudo-populations
def _sessions(n_sessions, n_neurons=12, n_trials=96):
    recs = []
    for s in range(n_sessions):
        rec, _ = orientation_population(n_neurons, n_trials, random_state=100 + s)
        recs.append(rec.bin_stimulus(4))
    return recs


def test_no_real_trial_is_on_both_sides_of_a_fold():
    recs = _sessions(3)
    rec, splits = pseudo_population(recs, n_per_condition=10, cv=4, random_state=0)
    sources = rec.meta["sources"]
    assert rec.n_neurons == 36 and sources.shape == (rec.n_samples, 3)
    for train, test in splits:
        for s in range(3):
            assert not set(sources[train, s]) & set(sources[test, s])
        # every pseudo-trial combines real trials of its own condition
        for s, r in enumerate(recs):
            np.testing.assert_array_equal(r.stimulus[sources[test, s]], rec.stimulus[test])
    used = np.concatenate([np.concatenate(sp) for sp in splits])
    assert np.array_equal(np.sort(used), np.arange(rec.n_samples))  # each row in one fold
    np.testing.assert_array_equal(  # the first session's neurons are its own responses
        rec.responses[:, :12], recs[0].responses[sources[:, 0]])


def test_decoding_improves_with_pooled_neurons():
    recs = _sessions(6, n_neurons=8)
    accuracy = []
    for k in (1, 2, 6):
        rec, splits = pseudo_population(recs[:k], n_per_condition=20, cv=4, random_state=0)
        res = cross_validate(LogisticDecoder(l2=0.1, device="cpu"), rec, splits,
                             scoring="accuracy")
        accuracy.append(res.mean())
    assert accuracy[0] < accuracy[1] < accuracy[2]


def test_pseudo_population_checks_its_input():
    recs = _sessions(2)
    with pytest.raises(ValueError, match="same conditions"):
        pseudo_population([recs[0], recs[1].select(trials=recs[1].stimulus != 0.0)])
    few = [r.select(trials=np.concatenate([np.flatnonzero(r.stimulus == c)[:2]
                                           for c in np.unique(r.stimulus)])) for r in recs]
    with pytest.raises(ValueError, match="2 trial\\(s\\) of condition .* fewer than the 4 folds"):
        pseudo_population(few, cv=4)
    rec, _ = orientation_population(10, 200, random_state=0)
    with pytest.raises(ValueError, match="continuous stimulus.*bin_stimulus"):
        pseudo_population([rec])
    assert make_splits  # used by users with the returned splits


def test_sweep_spreads_folds_over_the_cluster(client):
    from neurodecode.evaluate import sweep

    rec, _ = orientation_population(40, 150, random_state=7)
    grid = {"l2": [1e-2, 1.0, 100.0]}
    here = sweep(LinearDecoder(), grid, rec, cv=4)
    there = sweep(LinearDecoder(), grid, rec, cv=4, client=client, return_models=True)
    assert there.best_params == here.best_params
    for name in here.results:
        for metric, values in here.results[name].scores.items():
            np.testing.assert_allclose(there.results[name].scores[metric], values,
                                       rtol=1e-12)
        assert there.results[name].fit_time.shape == (4,)
        assert len(there.results[name].models) == 4
    binned = rec.bin_stimulus(4)
    a = sweep(LogisticDecoder(device="cpu"), {"l2": [0.01, 1.0]}, binned, cv=3)
    b = sweep(LogisticDecoder(device="cpu"), {"l2": [0.01, 1.0]}, binned, cv=3, client=client)
    for name in a.results:
        np.testing.assert_allclose(b.results[name].scores["accuracy"],
                                   a.results[name].scores["accuracy"])


def test_a_script_without_a_main_guard_gets_a_clear_error(tmp_path):
    import subprocess
    import sys

    script = tmp_path / "lab_script.py"
    script.write_text(
        "from neurodecode.data import orientation_population\n"
        "from neurodecode.decoders import LinearDecoder\n"
        "from neurodecode.evaluate import decode_sessions\n"
        "recs = [orientation_population(10, 60, random_state=s)[0] for s in range(2)]\n"
        "decode_sessions(recs, LinearDecoder(), cv=3, n_workers=2)\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert done.returncode != 0
    assert 'if __name__ == "__main__":' in done.stderr.splitlines()[-1]


def test_pooled_discrimination_grows_as_the_fisher_information_predicts():
    """Two nearby orientations; every session a different set of Poisson neurons from the
    generator's tuning curves. For independent neurons Fisher information adds across
    sessions, and the ideal discriminability of the two orientations is
    d' = delta * sqrt(I); the pooled decoder's d' (from its held-out accuracy) must grow
    with the pooled information like that, and never beat the ideal."""
    from scipy.stats import norm

    from neurodecode.data import Recording

    theta, delta, n_trials = 60.0, 6.0, 300
    rng = np.random.default_rng(0)
    recs, infos = [], []
    for s in range(6):
        _, truth = orientation_population(6, 10, random_state=200 + s)
        rates = truth.tuning(np.array([theta, theta + delta]))  # (2, n_neurons)
        labels = np.repeat([0, 1], n_trials // 2)
        recs.append(Recording(rng.poisson(rates[labels]).astype(float), labels,
                              kind="categorical", response_type="counts"))
        infos.append(float(truth.fisher_information(np.array([theta + delta / 2]))[0]))
    measured, ideal = [], []
    for k in (1, 3, 6):
        rec, splits = pseudo_population(recs[:k], n_per_condition=150, cv=4, random_state=0)
        acc = cross_validate(LogisticDecoder(l2=1e-3, device="cpu"), rec, splits,
                             scoring="accuracy").mean()
        measured.append(2 * norm.ppf(min(acc, 0.999)))  # accuracy = Phi(d' / 2)
        ideal.append(delta * np.sqrt(sum(infos[:k])))
    assert measured[0] < measured[1] < measured[2]
    assert all(m <= i * 1.1 for m, i in zip(measured, ideal))  # never beats the ideal
    growth, predicted = measured[2] / measured[0], ideal[2] / ideal[0]
    assert abs(growth / predicted - 1) < 0.35, (measured, ideal)

"""decode_over_time, temporal_generalization and the cluster permutation test."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neurodecode.data import Recording, time_resolved_population
from neurodecode.decoders import LinearDecoder, LogisticDecoder
from neurodecode.evaluate import (
    cluster_test,
    cross_validate,
    decode_over_time,
    make_splits,
    temporal_generalization,
)
from neurodecode.exceptions import DataWarning


@pytest.fixture(scope="module")
def switching():
    return time_resolved_population(40, 160, n_times=16, epoch=(-0.4, 1.2), onset=0.2,
                                    switch=0.7, n_classes=4, random_state=3)


def test_the_onset_is_found_within_one_bin(switching):
    rec, truth = switching
    res = decode_over_time(LogisticDecoder(l2=0.1, device="cpu"), rec, cv=4,
                           n_permutations=30)
    before, after = ~truth.informative, truth.informative
    assert res.mean()[before].max() < 0.45  # chance is 0.25
    assert res.mean()[after].min() > 0.6
    step = truth.epoch_times[1] - truth.epoch_times[0]
    assert res.onset is not None and abs(res.onset - truth.onset) <= step + 1e-9
    assert not res.significant()[before].any()
    assert res.baseline is not None and not res.baseline["significant"]
    frame = res.to_frame()
    assert list(frame.columns[:3]) == ["time", "accuracy_mean", "accuracy_sem"]
    assert frame["significant"].sum() == res.significant().sum()
    assert "above chance" in res.summary()


def test_generalisation_breaks_at_the_code_switch(switching):
    rec, truth = switching
    res = temporal_generalization(LogisticDecoder(l2=0.1, device="cpu"), rec, cv=4)
    code = truth.code()
    mean = res.mean()
    same = np.add.outer(code, code * 0) == np.add.outer(code * 0, code)
    early, late = code == 0, code == 1
    assert mean[np.ix_(early, early)].mean() > 0.8
    assert mean[np.ix_(early, late)].mean() < 0.4  # trained early, tested late: chance
    assert mean[np.ix_(late, early)].mean() < 0.4
    assert same.shape == mean.shape
    over = decode_over_time(LogisticDecoder(l2=0.1, device="cpu"), rec, cv=4)
    np.testing.assert_allclose(res.diagonal(), over.mean(), atol=1e-12)


def test_batched_fits_equal_one_time_point_at_a_time(switching):
    rec, _ = switching
    dec = LogisticDecoder(l2=0.1, device="cpu", tol=1e-12)
    kw = {"cv": 4, "n_permutations": 5, "scoring": ["accuracy", "balanced_accuracy"]}
    fast = decode_over_time(dec, rec, **kw)
    slow = decode_over_time(dec, rec, batched=False, **kw)
    for metric in fast.scores:
        np.testing.assert_allclose(fast.scores[metric], slow.scores[metric], atol=1e-12)
    np.testing.assert_allclose(fast.test.pvalues, slow.test.pvalues)
    fast_g = temporal_generalization(dec, rec, cv=4)
    slow_g = temporal_generalization(dec, rec, cv=4, batched=False)
    np.testing.assert_allclose(fast_g.scores["accuracy"], slow_g.scores["accuracy"],
                               atol=1e-12)


def test_one_time_point_equals_cross_validate():
    rec, _ = time_resolved_population(15, 60, n_times=1, epoch=(0.0, 0.1), n_classes=3)
    res = decode_over_time(LogisticDecoder(l2=0.1, device="cpu"), rec, cv=3)
    flat = cross_validate(LogisticDecoder(l2=0.1, device="cpu"), rec.at(0.0), cv=3)
    for metric, values in flat.scores.items():
        np.testing.assert_allclose(res.scores[metric][:, 0], values)


def test_circular_and_linear_stimuli_and_sliding_windows():
    rec, truth = time_resolved_population(30, 120, n_times=10, onset=0.0, random_state=1)
    res = decode_over_time(LinearDecoder(l2=1.0, device="cpu"), rec, cv=3, window=0.3)
    assert res.primary == "median_error" and not res.greater_is_better["median_error"]
    assert res.mean()[truth.informative].max() < res.mean()[~truth.informative].min()
    assert res.window == 0.3


def test_shuffled_labels_give_no_cluster_at_more_than_the_nominal_rate():
    hits, smallest = 0, []
    for seed in range(6):
        rec, _ = time_resolved_population(10, 60, n_times=8, onset=1.0, epoch=(-0.5, 1.0),
                                          n_classes=2, random_state=seed)
        res = decode_over_time(LogisticDecoder(l2=1.0, device="cpu"), rec, cv=3,
                               n_permutations=39, random_state=seed)  # p can reach 0.025
        hits += bool(res.significant().any())
        smallest.append(min((c.p_value for c in res.test.clusters), default=1.0))
    assert hits <= 2  # nominal rate 5%: expected 0.3 of 6
    assert max(smallest) > 0.2  # p-values spread over (0, 1], not all small


def test_baseline_decoding_is_reported():
    # the stimulus leaks into the pre-stimulus period (e.g. a predictable order)
    rec, _ = time_resolved_population(30, 120, n_times=10, onset=-0.5, epoch=(-0.5, 1.0),
                                      n_classes=3, random_state=0)
    with pytest.warns(DataWarning, match="above chance before stimulus onset"):
        res = decode_over_time(LogisticDecoder(l2=0.1, device="cpu"), rec, cv=3,
                               n_permutations=39)
    assert res.baseline["significant"]
    assert "before stimulus onset" in res.summary()


def test_results_equal_mne_sliding_estimator():
    mne_decoding = pytest.importorskip("mne.decoding")
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rec, _ = time_resolved_population(20, 90, n_times=6, onset=0.0, n_classes=3,
                                      random_state=2)
    splits = make_splits(rec.at(0.0), 3, random_state=0)
    l2 = 0.1
    ours = decode_over_time(LogisticDecoder(l2=l2, device="cpu"), rec, splits,
                            scoring="accuracy")
    n_train = len(splits[0][0])
    assert all(len(tr) == n_train for tr, _ in splits)
    clf = make_pipeline(StandardScaler(), LogisticRegression(C=1 / (n_train * l2), tol=1e-10,
                                                             max_iter=5000))
    X = np.transpose(rec.responses, (0, 2, 1)).astype(np.float64)  # MNE: (n, channels, times)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sliding = mne_decoding.SlidingEstimator(clf, scoring="accuracy", verbose=False)
        theirs = mne_decoding.cross_val_multiscore(sliding, X, rec.stimulus_codes(),
                                                   cv=splits, verbose=False)
    assert np.abs(ours.scores["accuracy"] - theirs).mean() <= 0.01


@pytest.mark.parametrize("call, match", [
    (lambda rec2, rec3: decode_over_time(LogisticDecoder(), rec2),
     r"needs responses over time .* bin_size"),
    (lambda rec2, rec3: temporal_generalization(LogisticDecoder(), rec2),
     "needs responses over time"),
    (lambda rec2, rec3: decode_over_time(LogisticDecoder(), rec3, window=50.0),
     "longer than the epoch"),
    (lambda rec2, rec3: decode_over_time(LogisticDecoder(), rec3, n_permutations=-1),
     "n_permutations"),
    (lambda rec2, rec3: decode_over_time(LinearDecoder(), rec3),
     "classifier"),
])
def test_bad_input_gets_a_clear_error(call, match):
    rec3, _ = time_resolved_population(5, 20, n_times=4, n_classes=2)
    rec2 = rec3.at(0.0)
    with pytest.raises(ValueError, match=match):
        call(rec2, rec3)


# --------------------------------------------------------------------------- cluster test
def test_cluster_test_finds_a_planted_cluster_in_a_plane():
    rng = np.random.default_rng(0)
    null = rng.normal(0.5, 0.02, (99, 12, 12))
    observed = rng.normal(0.5, 0.02, (12, 12))
    observed[3:6, 3:9] = 0.8
    res = cluster_test(observed, null)
    assert res.clusters[0].p_value == pytest.approx(0.01)
    assert res.significant()[3:6, 3:9].all() and res.significant().sum() <= 3 * 6 + 4


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 1000), n=st.integers(2, 30))
def test_cluster_p_values_are_valid_and_errors_invert(seed, n):
    rng = np.random.default_rng(seed)
    null = rng.normal(size=(19, n))
    observed = rng.normal(size=n)
    up = cluster_test(observed, null)
    down = cluster_test(-observed, -null, greater_is_better=False)
    assert all(0 < c.p_value <= 1 for c in up.clusters)
    assert [c.mass for c in up.clusters] == pytest.approx([c.mass for c in down.clusters])
    assert np.all((up.pvalues > 0) & (up.pvalues <= 1))


def test_cluster_test_checks_shapes():
    with pytest.raises(ValueError, match="one permutation per row"):
        cluster_test(np.zeros(5), np.zeros((10, 4)))
    with pytest.raises(ValueError, match="cluster_alpha"):
        cluster_test(np.zeros(5), np.zeros((10, 5)), cluster_alpha=1.5)


def test_recording_with_mismatched_epoch_times_is_refused():
    with pytest.raises(ValueError, match="one time per time point"):
        Recording(np.ones((4, 3, 2)), [0, 1, 0, 1], kind="categorical",
                  epoch_times=[0.0, 0.1])


def test_figures_mark_clusters_and_chance(switching, tmp_path):
    from neurodecode.evaluate import plot_generalization, plot_over_time

    rec, _ = switching
    res = decode_over_time(LogisticDecoder(l2=0.1, device="cpu"), rec, cv=4,
                           n_permutations=19)
    fig = plot_over_time(res)
    ax = fig.axes[0]
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert "chance (19 permutations)" in labels and ax.get_xlabel().startswith("time from")
    fig.savefig(tmp_path / "over_time.png")
    gen = temporal_generalization(LogisticDecoder(l2=0.1, device="cpu"), rec, cv=4)
    fig = plot_generalization(gen)
    assert fig.axes[0].get_ylabel() == "training time (s)"
    fig.savefig(tmp_path / "generalization.png")

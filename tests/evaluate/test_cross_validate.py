"""Cross-validation: splits, leakage, metrics, permutation chance, comparisons."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import KFold

from neurodecode.data import Recording, orientation_population
from neurodecode.evaluate import (
    ContiguousKFold,
    compare,
    cross_validate,
    make_splits,
    nested_cross_validate,
    sweep,
)
from neurodecode.evaluate.metrics import (
    circular_correlation,
    circular_error,
    median_circular_error,
)
from neurodecode.exceptions import DataWarning


class SpyTransformer(TransformerMixin, BaseEstimator):
    """Remembers the rows it was fitted on."""

    def fit(self, X, y=None):
        self.seen_ = {row.tobytes() for row in np.asarray(X)}
        return self

    def transform(self, X):
        return X


@pytest.fixture(scope="module")
def population():
    return orientation_population(150, 500, random_state=0)


def test_no_statistic_of_a_test_fold_reaches_training(population):
    rec, _ = population
    res = cross_validate(Ridge(), rec, cv=5, preprocess=["zscore", SpyTransformer()],
                         return_models=True)
    for model, (train, test) in zip(res.models, res.splits):
        scaler, spy = model.steps[0][1], model.steps[1][1]
        np.testing.assert_allclose(scaler.mean_, rec.responses[train].mean(axis=0), rtol=1e-5)
        # the spy sees standardised training rows only: none of the test rows
        seen = spy.seen_
        assert len(seen) == len(np.unique(rec.responses[train], axis=0))
        test_rows = scaler.transform(rec.responses[test])
        assert not any(row.tobytes() in seen for row in test_rows)
    # and every sample is predicted exactly once, by a model that never saw it
    all_test = np.concatenate([te for _, te in res.splits])
    assert sorted(all_test.tolist()) == list(range(rec.n_samples))


def test_selection_inside_folds_differs_between_folds(population):
    rec, _ = population
    res = cross_validate(Ridge(), rec, cv=5, preprocess=[("select", 20)], return_models=True)
    chosen = [tuple(np.flatnonzero(m.steps[0][1].get_support())) for m in res.models]
    assert all(len(c) == 20 for c in chosen)
    assert len(set(chosen)) > 1  # fitted per fold, not once on all data


def test_circular_metrics_against_hand_values():
    assert circular_error([1.0], [179.0], 180).tolist() == [-2.0]
    assert median_circular_error([0.0, 0.0], [359.0, 2.0], 360) == pytest.approx(1.5)
    assert median_circular_error([0.0], [np.pi / 2], 2 * np.pi) == pytest.approx(90.0)
    a = np.random.default_rng(0).uniform(0, 180, 200)
    assert circular_correlation(a, a, 180) == pytest.approx(1.0)
    assert abs(circular_correlation(a, np.random.default_rng(1).uniform(0, 180, 200), 180)) < 0.2


def test_circular_correlation_matches_its_pairwise_definition_on_uniform_angles():
    # stimuli spread evenly over the circle (the usual design) broke a mean-direction
    # based coefficient: a near-perfect decoder scored -0.72
    t = np.arange(0, 180, 6.0)
    p = t.copy()
    p[0] = 10.0
    assert circular_correlation(t, p, 180) > 0.99
    rng = np.random.default_rng(0)
    a = rng.uniform(0, 2 * np.pi, 40)
    b = a + rng.normal(0, 0.5, 40)
    da, db = a[:, None] - a[None, :], b[:, None] - b[None, :]
    ref = (np.sin(da) * np.sin(db)).sum() / np.sqrt((np.sin(da) ** 2).sum()
                                                     * (np.sin(db) ** 2).sum())
    assert circular_correlation(a, b, 2 * np.pi) == pytest.approx(ref)


def test_circular_decoding_reports_errors_in_degrees(population):
    rec, truth = population
    res = cross_validate(Ridge(alpha=10.0), rec, cv=5)
    assert res.primary == "median_error" and not res.greater_is_better["median_error"]
    # far better than chance (45 deg), but never better than the Cramer-Rao bound allows
    assert 0.674 * truth.cramer_rao_bound() < res.mean() < 10
    assert np.all((res.y_pred >= 0) & (res.y_pred < 180))
    d = res.to_dict()
    assert set(d["mean"]) == {"median_error", "mean_error", "circular_corr"}
    assert len(d["scores"]["median_error"]) == 5
    assert "median_error" in res.summary()


def test_permutation_chance_is_chance_and_real_score_beats_it(population):
    rec, _ = population
    binned = rec.select(neurons=slice(0, 40)).bin_stimulus(4)
    res = cross_validate(LogisticRegression(max_iter=500), binned, cv=5, n_permutations=19,
                         scoring="accuracy")
    assert res.permutation["chance"] == pytest.approx(0.25, abs=0.06)
    assert res.mean() > res.permutation["chance"] + 0.3
    assert res.permutation["p_value"] == pytest.approx(1 / 20)


def test_shuffled_labels_decode_at_chance(population):
    rec, _ = population
    rng = np.random.default_rng(0)
    shuffled = rec.with_stimulus(rng.permutation(rec.stimulus), kind="circular", period=180)
    res = cross_validate(Ridge(alpha=100.0), shuffled, cv=5)
    assert res.mean() > 30  # uniform guessing gives a median error of 45 deg


def test_categorical_labels_come_back_as_labels():
    rng = np.random.default_rng(0)
    labels = np.array(["left", "right"])[rng.integers(0, 2, 200)]
    X = rng.normal(size=(200, 5)) + (labels == "right")[:, None]
    rec = Recording(X, labels, kind="categorical")
    res = cross_validate(LogisticRegression(), rec, cv=4)
    assert set(res.y_pred) <= {"left", "right"} and res.mean("accuracy") > 0.7
    assert res.confusion_matrix().shape == (2, 2)
    frame = res.to_frame()
    assert list(frame["n_test"]) == [50, 50, 50, 50]


def test_time_binned_recordings_get_contiguous_blocks_with_history_gap():
    rec = Recording(np.random.default_rng(0).poisson(2, (100, 3)), np.arange(100.0),
                    kind="linear", bin_size=0.05, response_type="counts")
    splits = make_splits(rec, cv=4)
    for _train, test in splits:
        assert np.all(np.diff(test) == 1)  # one contiguous block
    hist = rec.add_history(3)
    for train, test in make_splits(hist, cv=4):
        dist = np.abs(train[:, None] - test[None, :]).min()
        assert dist > 3  # the history window never reaches across
    with pytest.warns(DataWarning, match="overstates decoding"):
        make_splits(rec, KFold(4, shuffle=True, random_state=0))


def test_contiguous_kfold_covers_everything_once():
    cv = ContiguousKFold(4, gap=2)
    tests = [te for _, te in cv.split(np.zeros(37))]
    assert np.array_equal(np.concatenate(tests), np.arange(37))


def test_groups_keep_groups_together(population):
    rec, _ = population
    groups = np.repeat(np.arange(50), 10)
    for train, test in make_splits(rec, 5, groups=groups):
        assert not set(groups[train]) & set(groups[test])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"cv": 600}, r"cv=600 is larger than the number of samples \(500\)"),
        ({"cv": 1}, "'cv' parameter of make_splits must be an int >= 2"),
        ({"groups": np.arange(10)}, "the recording has 500 samples, groups has 10"),
        ({"groups": "session"}, "Column 'session' not found .* Available: trial_id, gain"),
        ({"cv": "five"}, "cv must be an int"),
    ],
)
def test_split_errors(population, kwargs, match):
    rec, _ = population
    with pytest.raises((ValueError, TypeError), match=match):
        make_splits(rec, **{"cv": 5, **kwargs})


def test_cv_larger_than_smallest_class_is_an_error():
    rec = Recording(np.ones((12, 2)), ["a"] * 9 + ["b"] * 3, kind="categorical")
    with pytest.raises(ValueError, match=r"smallest class \(class 'b' has 3 samples\)"):
        cross_validate(LogisticRegression(), rec, cv=5)


def test_decoder_of_the_wrong_type_is_an_error(population):
    rec, _ = population
    with pytest.raises(ValueError, match="bin_stimulus"):
        cross_validate(LogisticRegression(), rec, cv=3)
    with pytest.raises(ValueError, match="is a regressor but the stimulus is categorical"):
        cross_validate(Ridge(), rec.bin_stimulus(4), cv=3)
    with pytest.raises(ValueError, match="Unknown scoring 'accuracy' for a circular"):
        cross_validate(Ridge(), rec, cv=3, scoring="accuracy")
    with pytest.raises(TypeError, match="takes a Recording"):
        cross_validate(Ridge(), rec.responses, cv=3)


def test_compare_uses_identical_splits_and_paired_tests(population):
    rec, _ = population
    res = compare({"ridge": Ridge(alpha=10.0), "huge": Ridge(alpha=1e6)}, rec, cv=5)
    a, b = res.results["ridge"], res.results["huge"]
    for (_tr1, te1), (_tr2, te2) in zip(a.splits, b.splits):
        assert np.array_equal(te1, te2)
    assert res.best == "ridge"
    tests = res.paired_tests()
    assert tests["huge"]["t_pvalue"] < 0.01 and tests["huge"]["mean_difference"] > 0
    assert "*" in res.summary() and len(res.to_frame()) == 2


def test_sweep_picks_an_interior_l2_when_neurons_outnumber_trials(seed):
    from neurodecode.decoders import LinearDecoder

    rec, _ = orientation_population(400, 150, random_state=seed)
    grid = {"l2": [1e-6, 1e-4, 1e-2, 1.0, 1e2, 1e4]}
    res = sweep(LinearDecoder(device="cpu"), grid, rec, cv=5)
    best = res.best_params["l2"]
    assert grid["l2"][0] < best < grid["l2"][-1]
    # and the nearly unregularised end overfits: its held-out error is worse
    assert res.results["l2=1e-06"].mean() > 1.05 * res.results[res.best].mean()


def test_sweep_rejects_unknown_parameters(population):
    rec, _ = population
    with pytest.raises(ValueError, match="Ridge has no parameter 'l3'. Available: .*alpha"):
        sweep(Ridge(), {"l3": [1.0]}, rec)


def test_nested_cv_reports_inner_choices(population):
    rec, _ = population
    res = nested_cross_validate(Ridge(), {"alpha": [1e-3, 10.0, 1e7]}, rec, cv=4, inner_cv=3)
    assert len(res.chosen) == 4 and len(res.inner) == 4
    assert all(c["alpha"] == 10.0 for c in res.chosen)
    assert res.outer.n_folds == 4 and not np.isnan(res.outer.y_pred).any()
    assert "chosen per outer fold" in res.summary()


def test_stateful_decoders_get_each_folds_segments():
    """A decoder with ``uses_segments`` sees a new segment at every fold boundary and at
    every trial_id change, in fit and in predict, and never a stretch across them."""
    from sklearn.base import BaseEstimator, RegressorMixin

    seen = []

    class Recorder(RegressorMixin, BaseEstimator):
        uses_segments = True

        def fit(self, X, y, segments=None):
            seen.append(("fit", np.asarray(X[:, 0]), segments))
            self.mean_ = float(np.mean(y))
            return self

        def predict(self, X, segments=None):
            seen.append(("predict", np.asarray(X[:, 0]), segments))
            return np.full(len(X), self.mean_)

    n = 60
    rec = Recording(np.arange(n, dtype=float)[:, None], np.linspace(0, 1, n), kind="linear",
                    bin_size=0.1, trial_id=np.repeat([0, 1, 2], 20))
    cross_validate(Recorder(), rec, cv=3)
    assert len(seen) == 6
    for _, sample, seg in seen:
        assert seg is not None and len(seg) == len(sample)
        for s in np.unique(seg):
            rows = sample[seg == s].astype(int)
            assert np.all(np.diff(rows) == 1)  # contiguous in time
            assert len(np.unique(rows // 20)) == 1  # one trial_id


def test_per_output_scores_each_dimension():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 5))
    Y = np.c_[X[:, 0] + 0.1 * rng.normal(size=300), rng.normal(size=300)]  # x decodable, y not
    rec = Recording(X, Y, kind="linear")
    from neurodecode.decoders import LinearDecoder

    res = cross_validate(LinearDecoder(l2=1e-3, device="cpu"), rec, cv=3)
    per = res.per_output()
    assert per["r2"].shape == (3, 2) and per["correlation"].shape == (3, 2)
    assert per["r2"][:, 0].min() > 0.9 and per["r2"][:, 1].max() < 0.1
    np.testing.assert_allclose(per["r2"].mean(axis=1), res.scores["r2"])  # sklearn's average
    from neurodecode.decoders import LogisticDecoder

    classes = Recording(X, np.arange(300) % 2, kind="categorical")
    with pytest.raises(ValueError, match="confusion_matrix"):
        cross_validate(LogisticDecoder(device="cpu"), classes, cv=2).per_output()


def test_custom_splits_that_leak_or_skip_trials_are_caught(population):
    from neurodecode.exceptions import DataWarning

    rec, _ = population
    n = rec.n_samples
    idx = np.arange(n)
    leaky = [(idx[: n // 2 + 5], idx[n // 2:])]  # 5 trials both fitted and scored
    with pytest.raises(ValueError, match=r"Split 0: 5 sample\(s\) are in both train and test"):
        cross_validate(Ridge(), rec, leaky)
    partial = [(idx[: n // 2], idx[n // 2: n // 2 + 10])]
    with pytest.warns(DataWarning, match=f"test 10 of {n} samples.*never tested"):
        cross_validate(Ridge(), rec, partial)
    with pytest.raises(TypeError, match="boolean mask.*np.flatnonzero"):
        make_splits(rec, [(idx < n // 2, idx >= n // 2)])
    with pytest.raises(TypeError, match="must be integers"):
        make_splits(rec, [(idx[: n // 2] + 0.5, idx[n // 2:])])
    full = [(idx[: n // 2], idx[n // 2:]), (idx[n // 2:], idx[: n // 2])]
    assert len(make_splits(rec, full)) == 2  # disjoint and covering: accepted quietly

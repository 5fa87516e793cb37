"""The batched logistic solver and the over-time fast path that uses it.

fit_logistic_batch is checked against fit_logistic_scipy (SciPy's L-BFGS, float64) run
to a tight tolerance, problem by problem; cross_val_predictions_over_time against
``clone(decoder).fit(...).predict(...)`` at every time point.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone

from neurodecode.data import time_resolved_population
from neurodecode.decoders import LogisticDecoder
from neurodecode.decoders._core import standardization
from neurodecode.decoders.logistic import fit_logistic_batch, fit_logistic_scipy
from neurodecode.evaluate import make_splits


def _problems(seed: int, n_problems: int, n: int, p: int, n_classes: int):
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, n_classes, (n_problems, n))
    Z = rng.standard_normal((n_problems, n, p)) + 0.5
    Z[..., 0] += codes  # some signal, never separable for sure
    return Z, codes


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n_problems=st.integers(1, 4), n=st.integers(12, 40),
       p=st.integers(1, 60), n_classes=st.integers(2, 4), l2=st.sampled_from([1e-3, 0.1, 2.0]),
       fit_intercept=st.booleans(), pad=st.integers(0, 5))
def test_each_problem_equals_scipy(seed, n_problems, n, p, n_classes, l2, fit_intercept,
                                   pad):
    Z, codes = _problems(seed, n_problems, n + pad, p, n_classes)
    sizes = [n + pad - (k % (pad + 1)) for k in range(n_problems)]  # padded rows differ
    padded = Z.copy()
    for k, m in enumerate(sizes):
        padded[k, m:] = 1e3  # padding must not matter
    W, b, n_iter = fit_logistic_batch(torch.tensor(padded), torch.tensor(codes), n_classes,
                                      l2, n_samples=sizes, fit_intercept=fit_intercept,
                                      tol=1e-15, max_iter=2000)
    assert (n_iter < 2000).all()
    for k, m in enumerate(sizes):
        present = np.unique(codes[k, :m])
        if len(present) < n_classes:
            continue  # scipy's reference needs every class
        W_ref, b_ref, _, _ = fit_logistic_scipy(Z[k, :m], codes[k, :m], n_classes, l2,
                                                fit_intercept=fit_intercept, tol=1e-15,
                                                patience=50, max_iter=20_000)
        scale = 1.0 + np.abs(W_ref).max()
        np.testing.assert_allclose(W[k].numpy(), W_ref, atol=2e-5 * scale)
        np.testing.assert_allclose(b[k].numpy(), b_ref, atol=2e-5 * scale)


def test_more_features_than_samples_uses_the_samples_span():
    Z, codes = _problems(0, 3, 20, 200, 3)
    W, b, _ = fit_logistic_batch(torch.tensor(Z), torch.tensor(codes), 3, 0.05, tol=1e-15)
    for k in range(3):
        W_ref, b_ref, _, _ = fit_logistic_scipy(Z[k], codes[k], 3, 0.05, tol=1e-15,
                                                patience=50, max_iter=20_000)
        np.testing.assert_allclose(W[k].numpy(), W_ref, atol=1e-5)
        np.testing.assert_allclose(b[k].numpy(), b_ref, atol=1e-5)


def test_a_cap_on_iterations_is_reported():
    Z, codes = _problems(1, 2, 30, 5, 3)
    *_, n_iter = fit_logistic_batch(torch.tensor(Z), torch.tensor(codes), 3, 1e-3,
                                    tol=0.0, max_iter=3)
    assert (n_iter == 3).all()


def test_overwrite_keeps_or_reuses_the_input():
    Z, codes = _problems(2, 2, 25, 4, 2)
    t = torch.tensor(Z)
    fit_logistic_batch(t, torch.tensor(codes), 2, 0.1)
    np.testing.assert_array_equal(t.numpy(), Z)  # default: untouched
    fit_logistic_batch(t, torch.tensor(codes), 2, 0.1, overwrite=True)
    np.testing.assert_allclose(t.numpy().mean(axis=1), 0.0, atol=1e-12)  # centred in place


def test_standardization_along_another_axis_equals_per_slice():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((4, 30, 6))
    X[1, :, 2] = 7.0  # a constant column keeps scale 1
    m, s = standardization(torch.from_numpy(X), axis=1)
    for t in range(4):
        m_t, s_t = standardization(X[t])
        np.testing.assert_allclose(m[t].numpy(), m_t, rtol=1e-12)
        np.testing.assert_allclose(s[t].numpy(), s_t, rtol=1e-12)


# --------------------------------------------------------------------------- over time
@pytest.fixture(scope="module")
def population():
    return time_resolved_population(12, 70, n_times=5, onset=0.0, n_classes=3,
                                    random_state=4)[0]


@pytest.mark.parametrize("params", [
    {"l2": 0.1},
    {"l2": 1.0, "fit_intercept": False},
    {"l2": 0.05, "standardize": False},
])
def test_over_time_equals_fit_and_predict_at_every_time(population, params):
    rec = population
    dec = LogisticDecoder(device="cpu", tol=1e-12, **params)
    splits = make_splits(rec.at(0.0), 4, random_state=0)  # folds of 52 and 53 trials
    assert len({len(tr) for tr, _ in splits}) == 2
    y = rec.stimulus_codes()
    preds = dec.cross_val_predictions_over_time(rec.responses, y, splits)
    general = dec.cross_val_predictions_over_time(rec.responses, y, splits, generalize=True)
    for f, (train, test) in enumerate(splits):
        assert preds[f].shape == (rec.n_times, len(test))
        assert general[f].shape == (rec.n_times, rec.n_times, len(test))
        for t in range(rec.n_times):
            model = clone(dec).fit(rec.responses[train, t], y[train])
            np.testing.assert_array_equal(preds[f][t], model.predict(rec.responses[test, t]))
            stacked = rec.responses[test].reshape(-1, rec.n_neurons)
            np.testing.assert_array_equal(
                general[f][t], model.predict(stacked).reshape(len(test), -1).T)


def test_binary_labels_keep_their_names():
    rec, _ = time_resolved_population(8, 40, n_times=3, n_classes=2, random_state=5)
    labels = np.where(rec.stimulus_codes() == 1, "old", "foil")
    splits = make_splits(rec.at(float(rec.epoch_times[0])), 3, random_state=0)
    dec = LogisticDecoder(l2=0.1, device="cpu", tol=1e-12)
    preds = dec.cross_val_predictions_over_time(rec.responses, labels, splits)
    train, test = splits[0]
    model = clone(dec).fit(rec.responses[train, 2], labels[train])
    np.testing.assert_array_equal(preds[0][2], model.predict(rec.responses[test, 2]))


def test_over_time_declines_what_it_cannot_batch(population):
    rec = population
    y = rec.stimulus_codes()
    splits = make_splits(rec.at(0.0), 3, random_state=0)
    assert LogisticDecoder(l2=0.0).cross_val_predictions_over_time(
        rec.responses, y, splits) is None  # unpenalised: fit each in turn
    assert LogisticDecoder(l1=0.1).cross_val_predictions_over_time(
        rec.responses, y, splits) is None
    bad = rec.responses.copy()
    bad[3, 2, 1] = np.nan  # fit's own error, at the time it happens
    assert LogisticDecoder(l2=0.1).cross_val_predictions_over_time(bad, y, splits) is None
    lonely = y.copy()
    lonely[:] = 0
    lonely[splits[0][1]] = 1  # class 1 only in fold 0's test trials
    lonely[splits[1][1][:2]] = 2
    assert LogisticDecoder(l2=0.1).cross_val_predictions_over_time(
        rec.responses, lonely, splits) is None


def test_over_time_raises_fits_errors(population):
    rec = population
    splits = make_splits(rec.at(0.0), 3, random_state=0)
    with pytest.raises(ValueError, match="l2"):
        LogisticDecoder(l2=-1.0).cross_val_predictions_over_time(
            rec.responses, rec.stimulus_codes(), splits)
    with pytest.raises(ValueError, match="at least 2 classes"):
        LogisticDecoder(l2=0.1).cross_val_predictions_over_time(
            rec.responses, np.zeros(rec.n_trials), splits)

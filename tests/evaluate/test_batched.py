"""Batched sweeps give the same models as fitting each one in turn."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from neurodecode.data import Recording, orientation_population
from neurodecode.decoders import LinearDecoder
from neurodecode.decoders.linear import cv_ridge_predictions
from neurodecode.evaluate import make_splits, sweep


@pytest.mark.parametrize("standardize", [True, False])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("shape", [(120, 30), (60, 200)])  # primal and dual (Gram) forms
def test_cv_ridge_predictions_match_sklearn_per_fold(standardize, fit_intercept, shape, rng):
    n, p = shape
    X = rng.poisson(3.0, (n, p)).astype(np.float32)
    Y = rng.normal(size=(n, 2))
    splits = [(np.setdiff1d(np.arange(n), te), te) for te in np.array_split(
        rng.permutation(n), 3)]
    l2s = [1e-3, 1e-1, 10.0]
    kw = dict(standardize=standardize, fit_intercept=fit_intercept)
    preds = cv_ridge_predictions(X, Y, splits, l2s, engine="torch", dtype=torch.float64, **kw)
    exact = cv_ridge_predictions(X, Y, splits, l2s, engine="numpy", **kw)  # fit's own path
    for a, b in zip(preds, exact):
        np.testing.assert_allclose(b, a, rtol=1e-8, atol=1e-9)
    # float32 products (as for large data), float64 solves
    fast = cv_ridge_predictions(X, Y, splits, l2s, engine="torch", dtype=torch.float32, **kw)
    for a, b in zip(preds, fast):
        np.testing.assert_allclose(b, a, rtol=1e-3, atol=1e-4)
    for (train, test), pred in zip(splits, preds):
        for k, l2 in enumerate(l2s):
            Xtr, Xte = X[train].astype(np.float64), X[test].astype(np.float64)
            if standardize:
                sd = Xtr.std(axis=0)
                sd[sd == 0] = 1
                Xtr, Xte = Xtr / sd, Xte / sd
            ref = Ridge(alpha=len(train) * l2, fit_intercept=fit_intercept, solver="svd")
            ref_pred = ref.fit(Xtr, Y[train]).predict(Xte)
            np.testing.assert_allclose(pred[k], ref_pred, rtol=1e-6, atol=1e-8)


def test_batched_sweep_equals_sequential_sweep(seed):
    rec, _ = orientation_population(150, 200, random_state=seed)
    grid = {"l2": [1e-3, 1e-2, 1e-1, 1.0]}
    fast = sweep(LinearDecoder(device="cpu"), grid, rec, cv=5)
    slow = sweep(LinearDecoder(device="cpu"), grid, rec, cv=5, batched=False)
    assert all(r.extra.get("batched") for r in fast.results.values())
    assert not any(r.extra.get("batched") for r in slow.results.values())
    assert fast.best == slow.best
    for name in grid_names(fast):
        a, b = fast.results[name], slow.results[name]
        # the sequential decoder computes in the data's float32, the batched path in
        # float64 for problems this small: they agree to float32 precision
        d = (a.y_pred - b.y_pred + 90) % 180 - 90
        assert np.abs(d).max() < 0.02  # degrees
        for metric in a.scores:
            np.testing.assert_allclose(a.scores[metric], b.scores[metric], rtol=2e-3, atol=2e-3)


def grid_names(res):
    return list(res.results)


def test_batched_linear_target_matches_pipeline():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 12))
    y = X @ rng.normal(size=12) + rng.normal(size=90)
    rec = Recording(X, y, kind="linear")
    res = sweep(LinearDecoder(device="cpu"), {"l2": [0.01, 0.1]}, rec, cv=3)
    splits = make_splits(rec, 3)
    for name, l2 in (("l2=0.01", 0.01), ("l2=0.1", 0.1)):
        for train, test in splits:
            ref = make_pipeline(StandardScaler(), Ridge(alpha=len(train) * l2))
            pred = ref.fit(X[train], y[train]).predict(X[test])
            np.testing.assert_allclose(res.results[name].y_pred[test], pred, rtol=1e-5)


def test_batched_true_fails_where_impossible(small_population):
    rec, _ = small_population
    with pytest.raises(ValueError, match="no fast cross-validated path"):
        sweep(LinearDecoder(device="cpu"), {"l1": [0.1]}, rec, cv=3, batched=True)


@pytest.mark.parametrize("batch_size, early_stopping", [(None, False), (64, False), (None, True)])
def test_batched_mlp_sweep_trains_each_model_as_its_own_fit(batch_size, early_stopping):
    from neurodecode.decoders import MLPDecoder

    rec, _ = orientation_population(40, 240, random_state=0)
    dec = MLPDecoder(hidden=(16,), max_epochs=8, batch_size=batch_size,
                     early_stopping=early_stopping, device="cpu", random_state=0)
    grid = {"l2": [0.0, 1e-2], "dropout": [0.0, 0.3]}
    fast = sweep(dec, grid, rec, cv=3, return_models=True)
    slow = sweep(dec, grid, rec, cv=3, batched=False, return_models=True)
    assert all(r.extra.get("batched") for r in fast.results.values())
    for name in fast.results:
        for a, b in zip(fast.results[name].models, slow.results[name].models):
            b = getattr(b, "estimator_", b)
            np.testing.assert_allclose(a.history_["train_loss"], b.history_["train_loss"],
                                       rtol=1e-4)
            assert a.n_iter_ == b.n_iter_
        np.testing.assert_allclose(fast.results[name].scores["median_error"],
                                   slow.results[name].scores["median_error"], rtol=1e-3)


def test_batched_mlp_classifier_matches_sequential():
    from neurodecode.decoders import MLPClassifierDecoder

    rec, _ = orientation_population(30, 240, random_state=1)
    binned = rec.bin_stimulus(4)
    dec = MLPClassifierDecoder(hidden=(16,), max_epochs=6, device="cpu", random_state=0)
    fast = sweep(dec, {"l1": [0.0, 1e-3]}, binned, cv=3)
    slow = sweep(dec, {"l1": [0.0, 1e-3]}, binned, cv=3, batched=False)
    for name in fast.results:
        assert fast.results[name].extra.get("batched")
        np.testing.assert_array_equal(fast.results[name].y_pred, slow.results[name].y_pred)


def test_memory_budget_chunks_models_without_changing_them():
    from neurodecode.decoders import MLPDecoder
    from neurodecode.decoders._mlp_stacked import _chunks

    assert [list(c) for c in _chunks(5, 100, 250)] == [[0, 1], [2, 3], [4]]
    assert [list(c) for c in _chunks(3, 100, 10)] == [[0], [1], [2]]
    rec, _ = orientation_population(30, 150, random_state=2)
    dec = MLPDecoder(hidden=(8,), max_epochs=4, batch_size=None, device="cpu", random_state=0)
    grid = {"l2": [0.0, 1e-2, 1e-1]}
    whole = sweep(dec, grid, rec, cv=3)
    one_by_one = sweep(dec, grid, rec, cv=3, max_memory=1)
    for name in whole.results:
        np.testing.assert_allclose(whole.results[name].y_pred, one_by_one.results[name].y_pred,
                                   rtol=1e-5)


@pytest.mark.parametrize("batch_size", [None, 32])
def test_kernel_first_layer_trains_the_same_sgd_models(batch_size, monkeypatch):
    # more neurons than training trials and plain SGD: the first layer is trained in
    # kernel form; the losses, weights and predictions are those of each model's own fit
    from neurodecode.decoders import MLPDecoder
    from neurodecode.decoders import _mlp_stacked as _batched_mlp

    rec, _ = orientation_population(300, 90, random_state=3)
    dec = MLPDecoder(hidden=(12,), max_epochs=5, optimizer="sgd", lr=0.05,
                     batch_size=batch_size, device="cpu", random_state=0)
    grid = {"l2": [0.0, 1e-1], "dropout": [0.0, 0.3]}
    calls = []
    original = _batched_mlp._KernelLayer.__init__

    def spy(self, *args):
        calls.append(1)
        original(self, *args)

    monkeypatch.setattr(_batched_mlp._KernelLayer, "__init__", spy)
    fast = sweep(dec, grid, rec, cv=3, return_models=True)
    assert len(calls) == 3  # one kernel layer per fold
    slow = sweep(dec, grid, rec, cv=3, batched=False, return_models=True)
    for name in fast.results:
        for a, b in zip(fast.results[name].models, slow.results[name].models):
            b = getattr(b, "estimator_", b)
            np.testing.assert_allclose(a.history_["train_loss"], b.history_["train_loss"],
                                       rtol=1e-4)
            wa = a.module_[0].weight.detach().numpy()
            wb = b.module_[0].weight.detach().numpy()
            np.testing.assert_allclose(wa, wb, rtol=1e-3, atol=1e-5)
        np.testing.assert_allclose(fast.results[name].y_pred, slow.results[name].y_pred,
                                   atol=1e-2)

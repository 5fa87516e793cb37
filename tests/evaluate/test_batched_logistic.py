"""The kernel-form logistic sweep gives scikit-learn's models and the sequential sweep's."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression

from neurodecode.data import orientation_population
from neurodecode.decoders import LogisticDecoder
from neurodecode.decoders.logistic import cv_logistic_logits, fit_kernel_logistic
from neurodecode.evaluate import sweep


def _problem(rng, n=120, p=300, n_classes=3):
    y = rng.integers(0, n_classes, n)
    X = rng.poisson(2.0, (n, p)).astype(np.float64)
    X[:, :25] += 0.8 * y[:, None]  # a few informative neurons
    splits = [(np.setdiff1d(np.arange(n), te), te)
              for te in np.array_split(rng.permutation(n), 3)]
    return X, y, splits


@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize("standardize, fit_intercept", [(False, True), (True, True),
                                                        (True, False)])
def test_kernel_logistic_matches_sklearn_per_fold(n_classes, standardize, fit_intercept, rng):
    X, y, splits = _problem(rng, n_classes=n_classes)
    l2s = [3e-3, 3e-2, 0.3]
    logits, n_iter = cv_logistic_logits(X, y, n_classes, splits, l2s, standardize=standardize,
                                        fit_intercept=fit_intercept, tol=1e-13)
    assert (n_iter < 500).all()
    for (train, test), fold in zip(splits, logits):
        Xtr, Xte = X[train], X[test]
        if standardize:
            sd = Xtr.std(axis=0)
            sd[sd == 0] = 1
            Xtr, Xte = Xtr / sd, Xte / sd
        for j, l2 in enumerate(l2s):
            ref = LogisticRegression(C=1 / (len(train) * l2), fit_intercept=fit_intercept,
                                     tol=1e-12, max_iter=20_000).fit(Xtr, y[train])
            expected = ref.decision_function(Xte)
            got = fold[j][:, 0] if n_classes == 2 else fold[j]
            if n_classes > 2:  # softmax logits are defined up to a shift per sample
                expected = expected - expected.mean(axis=1, keepdims=True)
                got = got - got.mean(axis=1, keepdims=True)
            np.testing.assert_allclose(got, expected, atol=2e-4 * np.abs(expected).max())


def test_kernel_logistic_reaches_the_optimum_of_the_weight_objective(rng):
    # the coefficients C are weights W = Z'C: at the optimum the weight gradient vanishes
    X, y, _ = _problem(rng, n=80, p=200, n_classes=3)
    Z = torch.as_tensor(X - X.mean(axis=0))
    C, b, _ = fit_kernel_logistic(Z @ Z.T, torch.as_tensor(y), 3, [0.01, 0.1], tol=1e-14)
    for j, l2 in enumerate([0.01, 0.1]):
        W = (Z.T @ C[:, j]).requires_grad_()
        bj = b[j].clone().requires_grad_()
        f = torch.nn.functional.cross_entropy(Z @ W + bj, torch.as_tensor(y)) \
            + 0.5 * l2 * (W ** 2).sum()
        f.backward()
        assert W.grad.abs().max() < 1e-6 and bj.grad.abs().max() < 1e-6


def test_batched_logistic_sweep_equals_sequential_sweep():
    rec, _ = orientation_population(300, 150, random_state=0)
    binned = rec.bin_stimulus(4)
    dec = LogisticDecoder(device="cpu", tol=1e-10, max_epochs=2000)
    grid = {"l2": [1e-2, 1e-1, 1.0]}
    fast = sweep(dec, grid, binned, cv=3)
    slow = sweep(dec, grid, binned, cv=3, batched=False)
    assert all(r.extra.get("batched") for r in fast.results.values())
    assert not any(r.extra.get("batched") for r in slow.results.values())
    assert fast.best == slow.best
    for name in fast.results:
        agree = np.mean(fast.results[name].y_pred == slow.results[name].y_pred)
        assert agree > 0.98  # identical optimum; a rare tie may break either way


@pytest.mark.filterwarnings("ignore::neurodecode.exceptions.ConvergenceWarning")
def test_logistic_sweeps_that_cannot_be_batched_fall_back():
    rec, _ = orientation_population(20, 150, random_state=0)  # more trials than neurons
    binned = rec.bin_stimulus(3)
    res = sweep(LogisticDecoder(device="cpu"), {"l2": [0.1]}, binned, cv=3)
    assert all(r.extra["batched"] for r in res.results.values())  # small: SciPy, per fold
    res = sweep(LogisticDecoder(solver="lbfgs", device="cpu"), {"l2": [0.1]}, binned, cv=3)
    assert not any(r.extra.get("batched") for r in res.results.values())  # torch, n > p
    wide, _ = orientation_population(300, 90, random_state=0)
    res = sweep(LogisticDecoder(solver="lbfgs", device="cpu", max_epochs=50),
                {"l2": [0.0, 0.1]}, wide.bin_stimulus(3), cv=3)  # l2 = 0: no kernel form
    assert not any(r.extra.get("batched") for r in res.results.values())

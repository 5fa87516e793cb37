"""LinearDecoder against independent truth: numpy lstsq, sklearn Ridge / Lasso / ElasticNet."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.linear_model import ElasticNet, Lasso, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from neurodecode.decoders import LinearDecoder
from neurodecode.decoders.linear import ridge_path

from ._helpers import angular_error


def regression_problem(seed, n=200, p=20, dtype=np.float64, sparse=False):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) * rng.uniform(0.5, 3.0, p) + rng.normal(size=p)
    w = rng.normal(size=p)
    if sparse:
        w[p // 2:] = 0.0
    y = X @ w + 1.5 + rng.normal(size=n)
    return X.astype(dtype), y.astype(dtype)


# --------------------------------------------------------------------------- closed form
@pytest.mark.parametrize("dtype, rtol, atol", [(np.float64, 1e-9, 1e-10),
                                               (np.float32, 2e-4, 2e-4)])
def test_no_penalty_equals_numpy_lstsq(seed, dtype, rtol, atol):
    X, y = regression_problem(seed, dtype=dtype)
    dec = LinearDecoder(standardize=False, device="cpu").fit(X, y)
    A = np.c_[X.astype(np.float64), np.ones(len(X))]
    ref = np.linalg.lstsq(A, y.astype(np.float64), rcond=None)[0]
    np.testing.assert_allclose(dec.coef_, ref[:-1], rtol=rtol, atol=atol)
    np.testing.assert_allclose(dec.intercept_, ref[-1], rtol=rtol, atol=atol)
    assert dec.module_.weight.dtype == (torch.float32 if dtype == np.float32 else torch.float64)


def test_more_neurons_than_samples_gives_minimum_norm_solution(seed):
    X, y = regression_problem(seed, n=30, p=50)
    dec = LinearDecoder(standardize=False, device="cpu").fit(X, y)
    xm, ym = X.mean(axis=0), y.mean()
    w = np.linalg.lstsq(X - xm, y - ym, rcond=None)[0]  # min-norm, intercept unpenalised
    np.testing.assert_allclose(dec.coef_, w, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(dec.intercept_, ym - xm @ w, rtol=1e-7)
    np.testing.assert_allclose(dec.predict(X), y, atol=1e-8)  # interpolates


def test_standardisation_is_folded_back_into_original_units(seed):
    # OLS is invariant to rescaling the inputs, so both settings give the same coef_
    X, y = regression_problem(seed)
    a = LinearDecoder(standardize=True, device="cpu").fit(X, y)
    b = LinearDecoder(standardize=False, device="cpu").fit(X, y)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-8)
    np.testing.assert_allclose(a.intercept_, b.intercept_, rtol=1e-8)
    np.testing.assert_allclose(a.mean_, X.mean(axis=0))
    np.testing.assert_allclose(a.scale_, X.std(axis=0))


@pytest.mark.parametrize("l2", [1e-3, 0.1, 10.0])
def test_l2_equals_sklearn_ridge_with_alpha_n_times_l2(seed, l2):
    X, y = regression_problem(seed)
    n = len(y)
    dec = LinearDecoder(l2=l2, standardize=False, device="cpu").fit(X, y)
    ref = Ridge(alpha=n * l2).fit(X, y)
    np.testing.assert_allclose(dec.coef_, ref.coef_, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(dec.intercept_, ref.intercept_, rtol=1e-8)


def test_l2_with_standardize_equals_scaler_ridge_pipeline(seed):
    X, y = regression_problem(seed)
    l2 = 0.05
    dec = LinearDecoder(l2=l2, device="cpu").fit(X, y)
    pipe = make_pipeline(StandardScaler(), Ridge(alpha=len(y) * l2)).fit(X, y)
    scaler, ridge = pipe[0], pipe[1]
    np.testing.assert_allclose(dec.predict(X), pipe.predict(X), rtol=1e-9)
    np.testing.assert_allclose(dec.coef_, ridge.coef_ / scaler.scale_, rtol=1e-8)
    np.testing.assert_allclose(
        dec.intercept_, ridge.intercept_ - (ridge.coef_ / scaler.scale_) @ scaler.mean_,
        rtol=1e-8)


def test_multi_output_equals_one_ridge_per_column(seed):
    X, y = regression_problem(seed)
    Y = np.c_[y, -2 * y + 1, X[:, 0]]
    dec = LinearDecoder(l2=0.1, standardize=False, device="cpu").fit(X, Y)
    ref = Ridge(alpha=len(y) * 0.1).fit(X, Y)
    assert dec.coef_.shape == (3, X.shape[1]) and dec.predict(X).shape == (len(y), 3)
    np.testing.assert_allclose(dec.coef_, ref.coef_, rtol=1e-8, atol=1e-12)


def test_no_intercept_goes_through_the_origin(seed):
    X, y = regression_problem(seed)
    dec = LinearDecoder(l2=0.1, fit_intercept=False, standardize=False, device="cpu").fit(X, y)
    ref = Ridge(alpha=len(y) * 0.1, fit_intercept=False).fit(X, y)
    np.testing.assert_allclose(dec.coef_, ref.coef_, rtol=1e-8)
    assert dec.intercept_ == 0.0
    scaled = LinearDecoder(fit_intercept=False, device="cpu").fit(X, y)
    assert scaled.intercept_ == 0.0 and np.all(scaled.mean_ == 0)


def test_ridge_path_on_tensors_keeps_device_and_dtype():
    X = torch.randn(40, 5, dtype=torch.float64)
    W, b = (a[0] for a in ridge_path(X, X[:, :2] * 3.0, [0.0]))
    assert W.dtype == torch.float64 and W.shape == (2, 5) and b.shape == (2,)
    np.testing.assert_allclose(W.numpy(), np.eye(5)[:2] * 3.0, atol=1e-10)


# --------------------------------------------------------------------------- L1 (FISTA)
@pytest.mark.parametrize("l1", [0.05, 0.3])
def test_l1_equals_sklearn_lasso(seed, l1):
    X, y = regression_problem(seed, sparse=True)
    dec = LinearDecoder(l1=l1, standardize=False, tol=1e-14, max_epochs=5000,
                        device="cpu").fit(X, y)
    ref = Lasso(alpha=l1, tol=1e-12, max_iter=100_000).fit(X, y)
    np.testing.assert_allclose(dec.coef_, ref.coef_, atol=1e-6)
    np.testing.assert_allclose(dec.intercept_, ref.intercept_, atol=1e-5)
    np.testing.assert_array_equal(dec.coef_ == 0, ref.coef_ == 0)  # same exact zeros


def test_l1_and_l2_equal_sklearn_elastic_net(seed):
    X, y = regression_problem(seed, sparse=True)
    l1, l2 = 0.1, 0.2
    dec = LinearDecoder(l1=l1, l2=l2, standardize=False, tol=1e-14, max_epochs=5000,
                        device="cpu").fit(X, y)
    ref = ElasticNet(alpha=l1 + l2, l1_ratio=l1 / (l1 + l2), tol=1e-12,
                     max_iter=100_000).fit(X, y)
    np.testing.assert_allclose(dec.coef_, ref.coef_, atol=1e-6)
    np.testing.assert_allclose(dec.intercept_, ref.intercept_, atol=1e-5)


def test_strong_l1_sets_most_weights_exactly_to_zero(seed):
    X, y = regression_problem(seed, p=40, sparse=True)
    Xs = (X - X.mean(axis=0)) / X.std(axis=0)
    l1_max = np.abs(Xs.T @ (y - y.mean())).max() / len(y)  # smallest l1 giving w = 0
    dec = LinearDecoder(l1=0.3 * l1_max, device="cpu").fit(X, y)
    assert dec._optimizer_name() == "fista"
    assert np.mean(dec.coef_ == 0.0) > 0.6  # measured 0.68-0.9 (20 of 40 truly zero)
    assert np.all(dec.module_.weight.detach().numpy()[0][dec.coef_ == 0] == 0.0)
    empty = LinearDecoder(l1=1.05 * l1_max, device="cpu").fit(X, y)
    assert np.all(empty.coef_ == 0.0) and empty.intercept_ == pytest.approx(y.mean())


@pytest.mark.parametrize("solver, lr", [("adam", 0.05), ("sgd", 0.1)])
def test_gradient_solvers_reach_the_closed_form(solver, lr):
    X, y = regression_problem(0)
    exact = LinearDecoder(l2=0.1, device="cpu").fit(X, y)
    dec = LinearDecoder(l2=0.1, solver=solver, lr=lr, max_epochs=2000, tol=1e-12,
                        device="cpu", random_state=0).fit(X, y)
    np.testing.assert_allclose(dec.coef_, exact.coef_, rtol=1e-2, atol=1e-3)
    assert dec.history_["train_loss"][-1] <= dec.history_["train_loss"][0]


# --------------------------------------------------------------------------- circular targets
def test_circular_decoder_beats_regressing_raw_degrees(population):
    train, test, _ = population
    circular = LinearDecoder(l2=1e-2, device="cpu").fit(train)  # period from the Recording
    raw = LinearDecoder(l2=1e-2, device="cpu").fit(train.responses, train.stimulus)
    assert circular.period_ == 180.0 and raw.period_ is None
    err_circ = np.median(angular_error(circular.predict(test), test.stimulus))
    err_raw = np.median(angular_error(raw.predict(test.responses), test.stimulus))
    # measured (seeds 0-2): circular ~1.8 deg, raw degrees ~12-15 deg
    assert err_circ * 4 < err_raw


def test_recovers_orientation_near_the_cramer_rao_bound(population):
    train, test, truth = population
    dec = LinearDecoder(l2=1e-2, device="cpu").fit(train)
    pred = dec.predict(test)
    assert np.all((pred >= 0) & (pred < 180))
    median = np.median(angular_error(pred, test.stimulus))
    # The bound is on the RMS error of an unbiased decoder (its median would be 0.67x);
    # measured: median ~0.9-0.95 x bound.
    assert median < 1.5 * truth.cramer_rao_bound()
    assert dec.score(test) > 0.99  # mean cosine of the angular error


def test_ridge_path_serves_every_l2_from_one_svd(seed):
    X, y = regression_problem(seed)
    Y = np.c_[y, X[:, 1]]
    l2s = [0.0, 1e-2, 1.0]
    W, b = ridge_path(torch.from_numpy(X), torch.from_numpy(Y), l2s)
    assert W.shape == (3, 2, X.shape[1]) and b.shape == (3, 2)
    for i, l2 in enumerate(l2s):
        ref = Ridge(alpha=len(y) * l2).fit(X, Y) if l2 else None
        coef = ref.coef_ if ref else np.linalg.lstsq(
            np.c_[X, np.ones(len(y))], Y, rcond=None)[0][:-1].T
        np.testing.assert_allclose(W[i].numpy(), coef, rtol=1e-8, atol=1e-10)

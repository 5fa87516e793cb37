"""Encoding models: reference fits (sklearn), recovery of known tuning, skipped neurons."""

from __future__ import annotations

from contextlib import nullcontext as does_not_raise

import numpy as np
import pytest
import torch
from scipy import stats
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import PoissonRegressor, Ridge

from neurodecode.data import Recording, orientation_population
from neurodecode.encoding import (
    TuningModel,
    cross_validate_tuning,
    preferred_stimulus,
    tuning_width,
)
from neurodecode.exceptions import DataWarning


@pytest.fixture(scope="module")
def population():
    return orientation_population(40, 600, random_state=3)


def _circ_diff(a, b, period):
    return (np.asarray(a) - np.asarray(b) + period / 2) % period - period / 2


# --------------------------------------------------------------------------- reference checks
@pytest.mark.parametrize("l2", [0.0, 1e-3, 1e-1])
@pytest.mark.parametrize("basis", ["fourier", "von_mises"])
def test_ridge_equals_a_per_neuron_sklearn_ridge_loop(population, l2, basis):
    rec, _ = population
    model = TuningModel("gaussian", basis=basis, l2=l2, device="cpu").fit(rec)
    B = model.basis_.transform(rec.stimulus)
    n = rec.n_samples
    for i in range(rec.n_neurons):
        ref = Ridge(alpha=n * l2, solver="svd").fit(B, rec.responses[:, i].astype(np.float64))
        np.testing.assert_allclose(model.coef_[i], ref.coef_, rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(model.intercept_[i], ref.intercept_, rtol=1e-6, atol=1e-9)
        resid = rec.responses[:, i] - ref.predict(B)
        np.testing.assert_allclose(model.noise_var_[i], np.mean(resid**2), rtol=1e-6)


@pytest.mark.parametrize("l2", [1e-4, 1e-2])
def test_poisson_glm_equals_sklearn_poisson_regressor(population, l2):
    """Documented mapping: TuningModel(noise="poisson", l2=a) == PoissonRegressor(alpha=a)."""
    rec, _ = population
    model = TuningModel("poisson", l2=l2, device="cpu").fit(rec)
    B = model.basis_.transform(rec.stimulus)
    for i in range(0, rec.n_neurons, 4):
        ref = PoissonRegressor(alpha=l2, solver="newton-cholesky", tol=1e-12,
                               max_iter=1000).fit(B, rec.responses[:, i])
        np.testing.assert_allclose(model.coef_[i], ref.coef_, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(model.intercept_[i], ref.intercept_, rtol=1e-4, atol=1e-6)


def test_spline_and_one_hot_models_match_sklearn():
    rng = np.random.default_rng(0)
    s = rng.uniform(-1, 1, 300)
    counts = rng.poisson(np.exp(0.5 + np.outer(np.sin(2 * s), [1.0, -0.5])))
    rec = Recording(counts, s, kind="linear", response_type="counts")
    model = TuningModel(l2=1e-3, device="cpu").fit(rec)
    B = model.basis_.transform(s)
    for i in range(2):
        ref = PoissonRegressor(alpha=1e-3, tol=1e-12, max_iter=1000,
                               solver="newton-cholesky").fit(B, counts[:, i])
        np.testing.assert_allclose(model.coef_[i], ref.coef_, rtol=1e-4, atol=1e-6)
    labels = rng.choice(["a", "b", "c"], 300)
    y = rng.normal(size=(300, 3)) + (labels == "b")[:, None]
    rec_cat = Recording(y, labels, kind="categorical")
    cat = TuningModel(l2=0.0, device="cpu").fit(rec_cat)
    assert cat.kind_ == "categorical" and cat.noise_ == "gaussian"
    # unpenalised one-hot regression: the fitted curve is each class's mean response
    resp = rec_cat.responses.astype(np.float64)  # the Recording stores float32
    for lab in cat.grid():
        np.testing.assert_allclose(cat.predict([lab])[0], resp[labels == lab].mean(axis=0),
                                   rtol=1e-8, atol=1e-12)


def test_tensor_responses_give_the_same_fit(population):
    rec, _ = population
    ref = TuningModel("poisson", device="cpu").fit(rec.stimulus, rec.responses)
    fit = TuningModel("poisson").fit(rec.stimulus, torch.as_tensor(rec.responses))
    assert fit.device_ == torch.device("cpu")  # "auto" follows the tensor's device
    np.testing.assert_allclose(fit.coef_, ref.coef_, rtol=1e-10)


# --------------------------------------------------------------------------- recovery
def test_recovers_the_generator_tuning_curves(seed):
    """Well-sampled neurons (peak modulation amplitude * window > 2 spikes per trial)."""
    rec, truth = orientation_population(100, 3000, random_state=seed)
    model = TuningModel(device="cpu").fit(rec)
    assert model.noise_ == "poisson"
    grid, curves = model.tuning_curves(360)
    true = truth.tuning(grid)
    well = truth.amplitude * truth.window > 2
    assert well.sum() >= 40
    corr = np.array([np.corrcoef(curves[:, i], true[:, i])[0, 1] for i in range(100)])
    assert corr[well].min() > 0.95
    err = np.abs(_circ_diff(model.preferred_stimulus(), truth.preferred, 180.0))
    assert np.median(err[well]) < 3.0
    assert err[well & (truth.kappa > 1)].max() < 20.0
    width_true = tuning_width(true, grid, period=180.0)
    rel = np.abs(model.tuning_width() - width_true) / width_true
    assert np.median(rel[well]) < 0.1


def test_gaussian_noise_recovery():
    rec, truth = orientation_population(30, 1500, noise="gaussian", noise_sd=0.5,
                                        random_state=4)
    model = TuningModel(device="cpu").fit(rec)
    assert model.noise_ == "gaussian"
    grid, curves = model.tuning_curves(180)
    true = truth.tuning(grid)
    well = truth.amplitude * truth.window > 2
    corr = [np.corrcoef(curves[:, i], true[:, i])[0, 1] for i in np.flatnonzero(well)]
    assert min(corr) > 0.95
    np.testing.assert_allclose(np.median(model.noise_var_), 0.25, rtol=0.1)


def test_cross_validated_quality_and_bands():
    rec, truth = orientation_population(80, 500, random_state=5)
    res = cross_validate_tuning(TuningModel(device="cpu"), rec, cv=4, n_grid=90)
    assert res.quality_name == "deviance_explained"
    assert res.quality.shape == (80,) and res.quality_folds.shape == (4, 80)
    assert res.curves.shape == res.lower.shape == (90, rec.n_neurons)
    assert np.all(res.lower <= res.curves) and np.all(res.curves <= res.upper)
    assert np.all(res.upper - res.lower > 0)
    # neurons with deeper modulation are encoded better
    rho, _ = stats.spearmanr(truth.amplitude / (truth.amplitude + truth.baseline) *
                             truth.amplitude, res.quality)
    assert rho > 0.5
    # held out, a tuned model beats the training mean on most well-sampled neurons
    well = truth.amplitude * truth.window > 2
    assert np.mean(res.quality[well] > 0) > 0.9
    # pooled quality lies within the per-fold range
    assert np.all(res.quality <= res.quality_folds.max(axis=0) + 1e-12)
    assert np.all(res.quality >= res.quality_folds.min(axis=0) - 1e-12)
    assert "deviance_explained" in res.summary()
    import json

    json.dumps(res.to_dict())
    assert len(res.models) == 4 and len(res.splits) == 4


def test_quality_matches_its_definition(population):
    rec, _ = population
    train, test = np.arange(400), np.arange(400, 600)
    model = TuningModel("gaussian", device="cpu").fit(rec.select(trials=train))
    q = model.score_neurons(rec.stimulus[test], rec.responses[test])
    y = rec.responses[test].astype(np.float64)
    pred = model.predict(rec.stimulus[test])
    mean = rec.responses[train].mean(axis=0)
    expected = 1 - ((y - pred) ** 2).sum(0) / ((y - mean) ** 2).sum(0)
    np.testing.assert_allclose(q, expected, rtol=1e-6)


# --------------------------------------------------------------------------- curve summaries
def test_preferred_and_width_on_known_curves():
    grid = np.arange(0, 360, 0.5)
    kappa = np.array([1.0, 3.0])
    curves = np.exp(kappa * (np.cos(np.radians(grid[:, None] - [[30.0, 300.0]])) - 1))
    np.testing.assert_allclose(preferred_stimulus(curves, grid), [30.0, 300.0])
    # FWHM above baseline of exp(k (cos x - 1)): cos x = 1 + log((1 + e^{-2k}) / 2) / k
    half = np.degrees(np.arccos(1 + np.log((1 + np.exp(-2 * kappa)) / 2) / kappa))
    np.testing.assert_allclose(tuning_width(curves, grid, period=360.0), 2 * half, atol=0.05)
    flat = np.ones((10, 1))
    assert np.isnan(tuning_width(flat, np.arange(10.0))[0])
    assert np.isnan(preferred_stimulus(flat, np.arange(10.0))[0])


def test_linear_width_stops_at_the_grid_edge():
    grid = np.linspace(0, 10, 201)
    curve = np.exp(-0.5 * (grid - 10) ** 2)[:, None]  # peak at the edge: half the FWHM
    np.testing.assert_allclose(tuning_width(curve, grid), np.sqrt(2 * np.log(2)), atol=0.01)


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("noise", ["poisson", "gaussian"])
def test_silent_neurons_are_skipped_with_a_warning(noise):
    rec, _ = orientation_population(20, 300, random_state=0)
    counts = rec.responses.copy()
    counts[:, [3, 11]] = 0
    silent = Recording(counts, rec.stimulus, kind="circular", period=180.0,
                       response_type="counts")
    with pytest.warns(DataWarning, match="2 neurons never respond"):
        model = TuningModel(noise, device="cpu").fit(silent)
    assert model.active_.sum() == 18 and not model.active_[[3, 11]].any()
    pred = model.predict([0.0, 45.0])
    np.testing.assert_array_equal(pred[:, [3, 11]], 0.0)
    assert np.all(np.isfinite(pred))
    assert np.isnan(model.score_neurons(rec)[[3, 11]]).all()


@pytest.mark.parametrize(
    "kwargs, expectation",
    [
        ({}, does_not_raise()),
        ({"noise": "gaussian", "l2": 0.0}, does_not_raise()),
        ({"noise": "binomial"}, pytest.raises(ValueError, match="'noise' parameter of Tuning")),
        ({"l2": -1.0}, pytest.raises(ValueError, match="'l2' parameter of TuningModel must")),
        ({"max_iter": 0}, pytest.raises(ValueError, match="'max_iter'")),
        ({"basis": "spline"}, pytest.raises(ValueError, match="SplineBasis represents linear")),
        ({"kind": "linear"}, pytest.raises(ValueError, match="'kind' parameter of TuningModel "
                                                             "is 'linear'")),
        ({"device": "cuda:7" if not torch.cuda.is_available() else "nonsense"},
         pytest.raises(ValueError, match="'device' parameter")),
    ],
)
def test_tuning_model_parameter_errors(population, kwargs, expectation):
    rec, _ = population
    with expectation:
        TuningModel(**{"device": "cpu", **kwargs}).fit(rec)


def test_tuning_model_input_errors(population):
    rec, _ = population
    with pytest.raises(ValueError, match="noise='poisson' needs non-negative"):
        TuningModel("poisson", period=180.0, device="cpu").fit(rec.stimulus, -rec.responses)
    with pytest.raises(ValueError, match="needs its period"):
        TuningModel(kind="circular", device="cpu").fit(rec.stimulus, rec.responses)
    with pytest.raises(ValueError, match="same number of samples"):
        TuningModel(period=180.0, device="cpu").fit(rec.stimulus[:-1], rec.responses)
    with pytest.raises(ValueError, match="responses must be None"):
        TuningModel(device="cpu").fit(rec, rec.responses)
    with pytest.raises(NotFittedError):
        TuningModel().predict([0.0])

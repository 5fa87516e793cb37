"""The synthetic population generator against its own ground truth."""

from __future__ import annotations

import numpy as np
import pytest

from neurodecode.data import orientation_population


def ml_decode(responses, truth, step=0.05):
    """Maximum-likelihood orientation under the true Poisson tuning (grid + parabola)."""
    grid = np.arange(0, truth.period, step)
    f = truth.tuning(grid)  # (n_grid, n_neurons)
    loglik = responses.astype(np.float64) @ np.log(f).T - f.sum(axis=1)
    k = loglik.argmax(axis=1)
    n = len(grid)
    l0, l1, l2 = (loglik[np.arange(len(k)), (k + d) % n] for d in (-1, 0, 1))
    shift = 0.5 * (l0 - l2) / (l0 - 2 * l1 + l2)
    return (grid[k] + shift * step) % truth.period


def circ_err(a, b, period):
    return (a - b + period / 2) % period - period / 2


def test_same_seed_same_population_other_seed_differs():
    a, ta = orientation_population(30, 50, random_state=3)
    b, tb = orientation_population(30, 50, random_state=3)
    c, _ = orientation_population(30, 50, random_state=4)
    np.testing.assert_array_equal(a.responses, b.responses)
    np.testing.assert_array_equal(a.stimulus, b.stimulus)
    np.testing.assert_array_equal(ta.preferred, tb.preferred)
    assert not np.array_equal(a.responses, c.responses)


def test_chunking_does_not_change_the_draw():
    a, _ = orientation_population(20, 100, random_state=1, chunk_size=7)
    b, _ = orientation_population(20, 100, random_state=1, chunk_size=100)
    # the noise is drawn row-major from one stream, so chunking only bounds memory
    np.testing.assert_array_equal(a.responses, b.responses)


def test_recording_fields(small_population):
    rec, truth = small_population
    assert rec.shape == (600, 200) and rec.kind == "circular" and rec.period == 180
    assert rec.response_type == "counts"
    assert np.all((rec.stimulus >= 0) & (rec.stimulus < 180))
    np.testing.assert_array_equal(rec.neurons["preferred"], truth.preferred)


def test_tuning_derivative_matches_finite_difference(small_population):
    _, truth = small_population
    s = np.linspace(0, 180, 37)
    h = 1e-5
    fd = (truth.tuning(s + h) - truth.tuning(s - h)) / (2 * h)
    np.testing.assert_allclose(truth.tuning_derivative(s), fd, rtol=1e-5, atol=1e-9)


def test_empirical_tuning_matches_truth(seed):
    rec, truth = orientation_population(40, 6000, random_state=seed)
    edges = np.linspace(0, 180, 19)
    idx = np.digitize(rec.stimulus, edges) - 1
    emp = np.array([rec.responses[idx == k].mean(axis=0) for k in range(18)])
    # expected response averaged over the same bins
    fine = np.linspace(0, 180, 18 * 50, endpoint=False) + 180 / 1800
    ref = truth.tuning(fine).reshape(18, 50, -1).mean(axis=1)
    strong = (truth.amplitude * truth.window) > 2
    corr = [np.corrcoef(emp[:, i], ref[:, i])[0, 1] for i in np.flatnonzero(strong)]
    assert np.min(corr) > 0.9
    np.testing.assert_allclose(emp.mean(), ref.mean(), rtol=0.03)


def test_ml_decoder_reaches_cramer_rao_bound(seed):
    """An efficient estimator's RMS error is the bound; ML is asymptotically efficient."""
    rec, truth = orientation_population(400, 1500, random_state=seed)
    est = ml_decode(rec.responses, truth)
    rms = np.sqrt(np.mean(circ_err(est, rec.stimulus, 180) ** 2))
    crb = truth.cramer_rao_bound()
    assert 0.9 * crb < rms < 1.2 * crb


def test_stimulus_noise_caps_information(seed):
    rec, truth = orientation_population(400, 1500, stimulus_noise=3.0, random_state=seed)
    crb0 = truth.cramer_rao_bound(include_stimulus_noise=False)
    crb = truth.cramer_rao_bound()
    assert crb == pytest.approx(np.sqrt(crb0**2 + 9.0), rel=0.05)
    # adding neurons can never beat the jitter: the bound stays above it
    assert np.all(truth.cramer_rao_bound(np.linspace(0, 180, 10)) > 3.0)
    est = ml_decode(rec.responses, truth)
    rms = np.sqrt(np.mean(circ_err(est, rec.stimulus, 180) ** 2))
    assert 0.85 * crb < rms < 1.2 * crb


def test_gain_noise_correlates_neurons(seed):
    rec, truth = orientation_population(60, 3000, gain_noise=0.5, random_state=seed)
    resid = rec.responses - truth.tuning(rec.stimulus) * 1.0
    c = np.corrcoef(resid.T)
    mean_corr = c[np.triu_indices_from(c, 1)].mean()
    assert mean_corr > 0.05
    assert np.mean(truth.gain) == pytest.approx(1.0, abs=0.05)
    indep, _ = orientation_population(60, 3000, random_state=seed)
    c0 = np.corrcoef((indep.responses - truth.tuning(indep.stimulus) * 0).T)
    assert abs(np.mean(c0[np.triu_indices_from(c0, 1)])) < mean_corr


def test_gaussian_noise_has_the_stated_sd(seed):
    rec, truth = orientation_population(30, 4000, noise="gaussian", noise_sd=2.0,
                                        random_state=seed)
    assert rec.response_type == "continuous"
    resid = rec.responses - truth.tuning(rec.stimulus)
    assert resid.std() == pytest.approx(2.0, rel=0.03)
    fi = truth.fisher_information(np.array([30.0]))
    ref = (truth.tuning_derivative(np.array([30.0])) ** 2).sum() / 4.0
    assert fi[0] == pytest.approx(ref)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_neurons": 0}, "'n_neurons' parameter of orientation_population must be an int"),
        ({"noise": "binomial"}, "'noise'"),
        ({"kappa": (2.0, 1.0)}, "'kappa'"),
        ({"peak_rate": (0.0, 1.0)}, "'peak_rate'"),
        ({"window": -1.0}, "'window'"),
    ],
)
def test_bad_parameters(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        orientation_population(**{"n_neurons": 5, "n_trials": 5, **kwargs})


def test_period_360_for_direction():
    rec, truth = orientation_population(10, 100, period=360.0, random_state=0)
    assert rec.period == 360 and rec.stimulus.max() < 360 and truth.period == 360

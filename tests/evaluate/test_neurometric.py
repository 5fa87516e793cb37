"""neurometric_threshold against the ideal observer: 1.349 x the Cramér-Rao bound."""

from __future__ import annotations

import json
from contextlib import nullcontext as does_not_raise

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from scipy import stats
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from neurodecode.data import Recording, orientation_population
from neurodecode.evaluate.neurometric import (
    NeurometricResult,
    _fit_psychometric,
    neurometric_threshold,
)

IDEAL = 2 * stats.norm.ppf(0.75)  # 1.349: threshold / sigma of an unbiased estimate


@pytest.fixture(autouse=True)
def single_thread():
    """One BLAS thread: small eigendecompositions spin-wait on a busy two-core machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(limits=1):
            yield
    finally:
        torch.set_num_threads(before)


def bound(truth, result, include_stimulus_noise=True):
    """1.349 / sqrt(I) at the references (root-mean of 1 / I over them)."""
    info = truth.fisher_information(result.reference,
                                    include_stimulus_noise=include_stimulus_noise)
    return IDEAL * np.sqrt(np.mean(1.0 / info))


class NoisyAngle(RegressorMixin, BaseEstimator):
    """'Decodes' the angle stored in the responses as (cos, sin): a known error SD."""

    def __init__(self, period=180.0):
        self.period = period

    def fit(self, X, y):
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X):
        ang = np.arctan2(X[:, 1], X[:, 0]) % (2 * np.pi)
        return ang * self.period / (2 * np.pi)


def noisy_angle_recording(sigma, n=4000, seed=0, period=180.0):
    rng = np.random.default_rng(seed)
    s = rng.uniform(0, period, n)
    seen = 2 * np.pi * (s + rng.normal(0, sigma, n)) / period
    return Recording(np.c_[np.cos(seen), np.sin(seen)], s, kind="circular", period=period)


# --------------------------------------------------------------------------- theory
def test_ideal_observer_threshold_is_1_349_sigma(seed):
    # an unbiased estimate with Gaussian error SD sigma: P(correct) = Phi(delta / 2 sigma)
    rec = noisy_angle_recording(2.0, seed=seed)
    res = neurometric_threshold(rec, method="decode", decoder=NoisyAngle(), n_bootstrap=100,
                                random_state=seed)
    assert res.threshold == pytest.approx(IDEAL * 2.0, rel=0.1)
    assert res.sigma == pytest.approx(2.0, rel=0.1)
    assert res.ci[0] < res.threshold < res.ci[1] and res.ci[1] - res.ci[0] < 0.2 * res.threshold
    np.testing.assert_allclose(res.predict(res.threshold), 0.75)


def test_threshold_approaches_the_fisher_bound_with_independent_noise(seed):
    small, truth_small = orientation_population(50, 2500, random_state=seed)
    large, truth_large = orientation_population(200, 2500, random_state=seed)
    res_small = neurometric_threshold(small, n_bootstrap=0, random_state=seed)
    res_large = neurometric_threshold(large, n_bootstrap=0, random_state=seed)
    for res, truth in ((res_small, truth_small), (res_large, truth_large)):
        ratio = res.threshold / bound(truth, res)
        assert 0.8 < ratio < 1.5  # measured 1.05-1.19 for seeds 0-2
    # four times the neurons, about half the threshold (the bound falls like 1/sqrt(N))
    assert res_large.threshold < 0.65 * res_small.threshold


def test_information_limiting_noise_makes_the_threshold_saturate(seed):
    sigma_s = 3.0  # stimulus jitter: 1 / I = 1 / I_0 + sigma_s^2
    mid, truth_mid = orientation_population(200, 2500, stimulus_noise=sigma_s,
                                            random_state=seed)
    big, truth_big = orientation_population(600, 2500, stimulus_noise=sigma_s,
                                            random_state=seed)
    res_mid = neurometric_threshold(mid, n_bootstrap=0, random_state=seed)
    res_big = neurometric_threshold(big, n_bootstrap=0, random_state=seed)
    for res, truth in ((res_mid, truth_mid), (res_big, truth_big)):
        assert 0.8 < res.threshold / bound(truth, res) < 1.5  # measured 1.04-1.08
    floor = IDEAL * sigma_s
    assert res_big.threshold > 0.9 * floor  # no population beats the floor
    # without the jitter 600 neurons would do much better than the floor allows
    assert bound(truth_big, res_big, include_stimulus_noise=False) < 0.5 * floor
    # three times the neurons: far less than the sqrt(3) gain of independent noise
    assert res_mid.threshold / res_big.threshold < 1.35


def test_psychometric_fit_recovers_sigma_and_lapse(seed):
    rng = np.random.default_rng(seed)
    delta = rng.uniform(0, 20, 20_000)
    p = 0.5 + (0.5 - 0.04) * (2 * stats.norm.cdf(delta / (2 * 3.0)) - 1)
    correct = (rng.random(len(delta)) < p).astype(float)
    sigma, lapse, thr = _fit_psychometric(delta, correct, None, "gaussian", True, 0.75)
    assert sigma == pytest.approx(3.0, rel=0.08)
    assert lapse == pytest.approx(0.04, abs=0.02)
    expected = 2 * sigma * stats.norm.ppf((1 + 0.25 / (0.5 - lapse)) / 2)
    assert thr == pytest.approx(expected, rel=1e-9)
    # the logistic of unit variance gives nearly the same threshold
    _, _, thr_logistic = _fit_psychometric(delta, correct, None, "logistic", True, 0.75)
    assert thr_logistic == pytest.approx(thr, rel=0.1)


# --------------------------------------------------------------------------- designs
def test_discrete_design_uses_midpoints_between_stimulus_values(seed):
    rec, _ = orientation_population(60, 800, random_state=seed)
    rec = rec.with_stimulus(np.round(rec.stimulus / 45) % 4 * 45, kind="circular",
                            period=180)  # label noise: 4 orientations, 45 deg apart
    res = neurometric_threshold(rec, n_bootstrap=0, random_state=seed)
    np.testing.assert_allclose(np.sort(res.reference), [0, 22.5, 67.5, 112.5, 135, 157.5])
    np.testing.assert_allclose(res.deltas, [45, 90])
    assert np.all(res.fraction_correct > 0.5) and res.window == 45


def test_classifier_and_regressor_read_outs(seed):
    rec, _ = orientation_population(40, 1500, random_state=seed)
    default = neurometric_threshold(rec, n_bootstrap=0, random_state=seed)
    logistic = neurometric_threshold(rec, decoder=LogisticRegression(C=1.0, max_iter=2000),
                                     n_bootstrap=0, random_state=seed)
    fixed = neurometric_threshold(rec, l2=1.0, n_bootstrap=0, random_state=seed)
    assert np.all(fixed.l2 == 1.0) and len(logistic.l2) == 0
    for res in (logistic, fixed):
        assert res.threshold == pytest.approx(default.threshold, rel=0.3)


def test_every_held_out_decision_is_counted_once_per_reference(seed):
    rec, _ = orientation_population(30, 600, random_state=seed)
    res = neurometric_threshold(rec, window=10.0, n_bootstrap=0, random_state=seed)
    out = res.outcomes
    pairs = set(zip(out["trial"].tolist(), out["reference"].tolist()))
    assert len(pairs) == len(out["trial"])
    d = (rec.stimulus[out["trial"]] - res.reference[out["reference"]] + 90) % 180 - 90
    np.testing.assert_allclose(d, out["difference"])
    assert np.all(np.abs(d) <= 10.0) and res.n_decisions.sum() == len(d)


# --------------------------------------------------------------------------- result object
def test_result_summary_plot_and_dict():
    rec, _ = orientation_population(40, 1000, random_state=0)
    res = neurometric_threshold(rec, n_bootstrap=30)
    assert isinstance(res, NeurometricResult) and len(res.bootstrap) == 30
    assert res.ci[0] <= res.threshold <= res.ci[1]
    assert "Neurometric threshold (75% correct)" in res.summary() and str(res) == res.summary()
    d = res.to_dict()
    assert json.loads(json.dumps(d))["threshold"] == pytest.approx(res.threshold)
    fig = res.plot()
    assert isinstance(fig, Figure) and fig.axes[0].get_xscale() == "log"
    x = np.geomspace(0.1, 40, 50)
    p = res.predict(x)
    assert np.all(np.diff(p) >= 0) and res.predict(0.0) == pytest.approx(0.5)


# --------------------------------------------------------------------------- errors
REC, _ = orientation_population(20, 300, random_state=0)


@pytest.mark.parametrize("kwargs, expectation", [
    ({}, does_not_raise()),
    ({"window": 45.0, "reference": [10.0, 370.0]}, does_not_raise()),
    ({"window": 50.0}, pytest.raises(ValueError, match=r"'window'.*\(0, 45\].*Got 50")),
    ({"window": 0.0}, pytest.raises(ValueError, match=r"'window'.*Got 0")),
    ({"criterion": 0.5}, pytest.raises(ValueError, match=r"'criterion'.*Got 0\.5")),
    ({"method": "global"}, pytest.raises(ValueError, match=r"'method'.*'local', 'decode'")),
    ({"psychometric": "weibull"}, pytest.raises(ValueError, match=r"'psychometric'")),
    ({"n_bootstrap": -1}, pytest.raises(ValueError, match=r"'n_bootstrap'")),
    ({"confidence": 1.0}, pytest.raises(ValueError, match=r"'confidence'")),
    ({"l2": [-1.0]}, pytest.raises(ValueError, match=r"'l2'.*float >= 0")),
    ({"l2": []}, pytest.raises(ValueError, match=r"'l2'")),
    ({"reference": []}, pytest.raises(ValueError, match=r"'reference'")),
    ({"deltas": [0.0, 1.0]}, pytest.raises(ValueError, match=r"'deltas'.*positive")),
    ({"method": "decode", "decoder": LogisticRegression()},
     pytest.raises(ValueError, match=r"needs a regressor of the angle")),
    ({"window": 0.01}, pytest.raises(ValueError, match=r"No reference has training trials")),
])
def test_bad_parameters_raise_clear_errors(kwargs, expectation):
    with expectation:
        neurometric_threshold(REC, **{"n_bootstrap": 0, **kwargs})


@pytest.mark.parametrize("recording, expectation", [
    (REC.responses, pytest.raises(TypeError, match="takes a Recording")),
    (REC.with_stimulus(REC.stimulus, kind="linear"),
     pytest.raises(ValueError, match="needs a circular stimulus.*linear")),
])
def test_bad_recordings_raise_clear_errors(recording, expectation):
    with expectation:
        neurometric_threshold(recording)


# --------------------------------------------------------------------------- real data
@pytest.mark.shared_data
def test_neighbouring_orientations_are_discriminated_in_real_v1(shared_file):
    from neurodecode.data import load_park_v1

    rec = load_park_v1(shared_file("mouse_v1_2p_gratings_park2024_mrcuts28_fov4.mat"),
                       orientation=True)
    assert rec.n_samples == 128 and rec.n_neurons == 56
    res = neurometric_threshold(rec, n_bootstrap=50)
    np.testing.assert_allclose(res.deltas, [45, 90])  # neighbours, and 90 deg apart
    assert np.all(res.n_decisions == [256, 128])
    # chance is 0.5; 99% measured. A one-sided binomial test against chance:
    hits = int(round(res.fraction_correct[0] * res.n_decisions[0]))
    assert stats.binomtest(hits, int(res.n_decisions[0]), 0.5,
                           alternative="greater").pvalue < 1e-6
    assert res.threshold < 45  # below the finest difference shown (extrapolated)

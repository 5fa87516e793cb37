"""BasisDecoder: Stringer's von Mises basis read-out against known angles and LinearDecoder."""

from __future__ import annotations

import json
from contextlib import nullcontext as does_not_raise

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import Ridge
from sklearn.utils.estimator_checks import parametrize_with_checks

from neurodecode.data import Recording, orientation_population
from neurodecode.decoders import LinearDecoder
from neurodecode.decoders.basis import BasisDecoder, von_mises_basis
from neurodecode.evaluate import compare, cross_validate, median_circular_error

from ._helpers import angular_error


def tuned_responses(angles, n_neurons=72, period=180.0, kappa=2.0):
    """Noise-free von Mises tuning curves with evenly spaced preferred angles."""
    phase = 2 * np.pi * np.asarray(angles, dtype=float) / period
    return von_mises_basis(phase, n_neurons, kappa)


# --------------------------------------------------------------------------- recovery
def test_recovers_the_angle_exactly_without_noise():
    rng = np.random.default_rng(0)
    y = rng.uniform(0, 180, 600)
    dec = BasisDecoder(l2=1e-8, period=180.0, device="cpu").fit(tuned_responses(y), y)
    y_test = rng.uniform(0, 180, 200)
    err = angular_error(dec.predict(tuned_responses(y_test)), y_test)
    assert err.max() < 0.05  # degrees: no grid quantisation (Newton refinement)


@pytest.mark.parametrize("n_basis, kappa, atol", [(48, 2.0, 1e-6), (12, 3.0, 0.02)])
def test_the_read_out_is_the_peak_of_the_ideal_profile_not_a_grid_point(n_basis, kappa, atol):
    # the ideal profile of 10.3 deg is read out as 10.3 deg, between grid points; with few
    # broad bumps the tiling ripples a little and biases it by a few thousandths of a degree
    dec = BasisDecoder(n_basis=n_basis, kappa=kappa, period=180.0, device="cpu")
    target = von_mises_basis(np.array([2 * np.pi * 10.3 / 180]), n_basis, kappa)
    assert dec._peak(target)[0] * 180 / (2 * np.pi) == pytest.approx(10.3, abs=atol)


def test_wraps_around_the_circle(population):
    train, test, truth = population
    dec = BasisDecoder(device="cpu").fit(train)
    near_edge = np.array([179.0, 179.5, 0.5, 1.0])
    pred = dec.predict(truth.tuning(near_edge))  # noise-free mean responses
    assert np.all((pred >= 0) & (pred < 180))
    assert angular_error(pred, near_edge).max() < 2.0


def test_angles_outside_the_period_are_wrapped(population):
    train, test, _ = population
    a = BasisDecoder(period=180.0, device="cpu").fit(train.responses, train.stimulus)
    b = BasisDecoder(period=180.0, device="cpu").fit(train.responses, train.stimulus - 180.0)
    np.testing.assert_allclose(a.predict(test), b.predict(test), atol=1e-6)


def test_matches_the_linear_decoder_on_a_synthetic_population(population):
    train, test, truth = population
    basis = median_circular_error(test.stimulus, BasisDecoder(device="cpu").fit(train)
                                  .predict(test), 180)
    linear = median_circular_error(test.stimulus, LinearDecoder(l2=1.0, device="cpu")
                                   .fit(train).predict(test), 180)
    assert basis == pytest.approx(linear, rel=0.3)
    floor = 0.674 * truth.cramer_rao_bound()  # median |error| of an efficient decoder
    assert floor * 0.9 < basis < 2 * floor


def test_decodes_direction_with_period_360():
    rec, truth = orientation_population(150, 1000, period=360.0, random_state=3)
    res = cross_validate(BasisDecoder(device="cpu"), rec, cv=4)
    assert res.mean() < 2 * 0.674 * truth.cramer_rao_bound()


def test_weights_equal_sklearn_ridge_on_the_basis_targets(seed):
    rec, _ = orientation_population(40, 300, random_state=seed)
    dec = BasisDecoder(n_basis=8, kappa=1.5, l2=0.1, standardize=False, device="cpu").fit(rec)
    T = von_mises_basis(2 * np.pi * rec.stimulus / 180, 8, 1.5)
    ref = Ridge(alpha=len(T) * 0.1).fit(rec.responses.astype(np.float64), T)
    np.testing.assert_allclose(dec.coef_, ref.coef_, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(dec.intercept_, ref.intercept_, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(dec.predict_profile(rec), ref.predict(rec.responses),
                               rtol=1e-4, atol=1e-5)


# --------------------------------------------------------------------------- evaluate
def test_usable_in_cross_validate_and_compare(population):
    train, _, _ = population
    res = cross_validate(BasisDecoder(device="cpu"), train, cv=3)
    assert res.y_pred.shape == (train.n_samples,) and res.mean() < 5
    cmp = compare({"basis": BasisDecoder(device="cpu"),
                   "linear": LinearDecoder(l2=1.0, device="cpu")}, train, cv=3)
    assert set(cmp.results) == {"basis", "linear"}


def test_clone_get_params_and_save_load(population, tmp_path):
    train, test, _ = population
    dec = BasisDecoder(24, kappa=3.0, l2=0.5, device="cpu")
    assert dec.get_params()["n_basis"] == 24 and clone(dec).get_params() == dec.get_params()
    dec.set_params(n_basis=16)
    dec.fit(train)
    assert dec.coef_.shape == (16, train.n_neurons) and dec.centres_[1] == 180 / 16
    same = BasisDecoder.load(dec.save(tmp_path / "basis"))
    np.testing.assert_allclose(same.predict(test), dec.predict(test))
    json.loads((tmp_path / "basis" / "config.json").read_text())


EXPECTED_FAILED = {
    "check_regressor_multioutput":
        "a circular stimulus is one angle per sample; several target columns with a "
        "period are rejected by design (as for LinearDecoder(period=360))",
}


@parametrize_with_checks([BasisDecoder(period=360.0, device="cpu")],
                         expected_failed_checks=lambda est: EXPECTED_FAILED)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


# --------------------------------------------------------------------------- errors
CIRCULAR = Recording(np.random.default_rng(0).poisson(2.0, (40, 5)),
                     np.linspace(0, 170, 40), kind="circular", period=180)


@pytest.mark.parametrize("decoder, data, expectation", [
    (BasisDecoder(), CIRCULAR, does_not_raise()),
    (BasisDecoder(n_basis=3), CIRCULAR, does_not_raise()),
    (BasisDecoder(n_basis=2), CIRCULAR,
     pytest.raises(ValueError, match=r"'n_basis' parameter of BasisDecoder.*>= 3.*Got 2")),
    (BasisDecoder(n_basis=4.5), CIRCULAR,
     pytest.raises(TypeError, match=r"'n_basis'.*an int.*Got 4\.5")),
    (BasisDecoder(kappa=0.0), CIRCULAR,
     pytest.raises(ValueError, match=r"'kappa' parameter of BasisDecoder.*> 0.*Got 0\.0")),
    (BasisDecoder(l2=-1.0), CIRCULAR, pytest.raises(ValueError, match=r"'l2'.*Got -1\.0")),
    (BasisDecoder(period=-5.0), (np.ones((4, 2)), [0.0, 1, 2, 3]),
     pytest.raises(ValueError, match=r"'period'.*Got -5\.0")),
    (BasisDecoder(), (np.ones((4, 2)), [0.0, 1, 2, 3]),
     pytest.raises(ValueError, match=r"needs their period: pass period=180")),
    (BasisDecoder(), CIRCULAR.with_stimulus(np.arange(40.0), kind="linear"),
     pytest.raises(ValueError, match=r"decodes circular stimuli.*linear")),
    (BasisDecoder(), CIRCULAR.bin_stimulus(4),
     pytest.raises(ValueError, match=r"decodes circular stimuli.*categorical")),
    (BasisDecoder(standardize="yes"), CIRCULAR, pytest.raises(TypeError, match="'standardize'")),
])
def test_bad_parameters_and_inputs_raise_clear_errors(decoder, data, expectation):
    with expectation:
        decoder.set_params(device="cpu")
        if isinstance(data, Recording):
            decoder.fit(data)
        else:
            decoder.fit(*data)


def test_predict_checks_the_number_of_neurons(population):
    train, _, _ = population
    dec = BasisDecoder(device="cpu").fit(train)
    with pytest.raises(ValueError, match="features"):
        dec.predict(np.ones((3, train.n_neurons + 1)))


# --------------------------------------------------------------------------- real data
@pytest.mark.shared_data
def test_decodes_grating_direction_in_real_v1(shared_file):
    from neurodecode.data import load_park_v1

    rec = load_park_v1(shared_file("mouse_v1_2p_gratings_park2024_mrcuts28_fov4.mat"))
    assert rec.period == 360.0
    res = cross_validate(BasisDecoder(device="cpu"), rec, cv=4)
    assert res.mean() < 45.0  # chance is 90 deg; neighbouring directions are 45 deg apart

"""What every decoder shares: inputs (arrays, tensors, Recordings), errors, seeds, targets."""

from __future__ import annotations

import re
from contextlib import nullcontext as does_not_raise

import numpy as np
import pytest
import torch
from sklearn.base import clone, is_classifier

from neurodecode.data import orientation_population
from neurodecode.decoders import (
    LinearDecoder,
    LogisticDecoder,
    MLPClassifierDecoder,
    MLPDecoder,
    PerceptronDecoder,
    circular_score,
)
from neurodecode.decoders._base import angles_to_targets, targets_to_angles
from neurodecode.exceptions import DataWarning, NotFittedError

NET = dict(hidden=(8,), max_epochs=5, device="cpu")
REGRESSORS = [LinearDecoder(device="cpu"), LinearDecoder(l1=0.01, device="cpu"),
              MLPDecoder(**NET)]
CLASSIFIERS = [LogisticDecoder(device="cpu"), MLPClassifierDecoder(**NET), PerceptronDecoder()]
ALL = REGRESSORS + CLASSIFIERS


def name(decoder):
    """Test id: the decoder's repr (other parameters get pytest's default id)."""
    if not hasattr(decoder, "get_params"):
        return None
    text = re.sub(r"device='cpu',? ?", "", repr(decoder)).replace(", )", ")")
    return " ".join(text.split())


@pytest.fixture(scope="module")
def rec():
    recording, _ = orientation_population(20, 120, random_state=0)
    return recording


def data_for(decoder, n=60, p=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    if is_classifier(decoder):
        return X, (X[:, 0] > 0).astype(int) + (X[:, 1] > 0)
    return X, X @ rng.normal(size=p)


# --------------------------------------------------------------------------- bad hyperparameters
@pytest.mark.parametrize("decoder, expectation", [
    (MLPDecoder(dropout=0.0), does_not_raise()),
    (MLPDecoder(dropout=0.99), does_not_raise()),
    (LinearDecoder(l1=0.0, l2=0.0), does_not_raise()),
    (MLPDecoder(dropout=1.5), pytest.raises(
        ValueError, match=r"The 'dropout' parameter of MLPDecoder must be a float in \[0, 1\)\. "
                          r"Got 1\.5 instead\.")),
    (MLPClassifierDecoder(dropout=1.0), pytest.raises(ValueError, match=r"'dropout'.*Got 1\.0")),
    (MLPDecoder(dropout=-0.1), pytest.raises(ValueError, match=r"'dropout'.*Got -0\.1")),
    (LinearDecoder(l1=-1.0), pytest.raises(
        ValueError, match=r"The 'l1' parameter of LinearDecoder must be a float >= 0\. "
                          r"Got -1\.0 instead\.")),
    (LogisticDecoder(l2=-0.5), pytest.raises(ValueError,
                                             match=r"'l2' parameter of Logistic.*-0\.5")),
    (MLPDecoder(l2="big"), pytest.raises(TypeError, match=r"'l2' parameter of MLPDecoder.*'big'")),
    (MLPDecoder(optimizer="rmsprop"), pytest.raises(
        ValueError, match=r"The 'optimizer' parameter of MLPDecoder must be one of 'adam', "
                          r"'sgd'\. Got 'rmsprop' instead\.")),
    (LinearDecoder(solver="newton"), pytest.raises(ValueError, match=r"'solver'.*'newton'")),
    (LinearDecoder(l1=0.1, solver="closed_form"), pytest.raises(
        ValueError, match=r"'closed_form' with l1 > 0.*solver='fista'")),
    (LinearDecoder(early_stopping=True), pytest.raises(
        ValueError, match="early_stopping=True applies to the gradient solvers")),
    (LogisticDecoder(l1=0.1, solver="lbfgs"), pytest.raises(ValueError, match="'lbfgs' with l1")),
    (LogisticDecoder(batch_size=16), pytest.raises(
        ValueError, match=r"'batch_size' parameter of LogisticDecoder must be None with "
                          r"solver='lbfgs'.*Got 16")),
    (MLPDecoder(hidden=(0,)), pytest.raises(ValueError, match=r"'hidden'.*positive ints.*\(0,\)")),
    (MLPDecoder(hidden="200"), pytest.raises(ValueError, match=r"'hidden'.*'200'")),
    (MLPDecoder(max_epochs=0), pytest.raises(ValueError, match=r"'max_epochs'.*>= 1.*Got 0")),
    (MLPDecoder(max_epochs=2.5), pytest.raises(TypeError, match=r"'max_epochs'.*an int")),
    (MLPDecoder(lr=0.0), pytest.raises(ValueError, match=r"'lr'.*> 0.*Got 0\.0")),
    (MLPDecoder(batch_size=0), pytest.raises(ValueError, match=r"'batch_size'.*Got 0")),
    (MLPDecoder(patience=0), pytest.raises(ValueError, match=r"'patience'.*Got 0")),
    (MLPDecoder(tol=-1.0), pytest.raises(ValueError, match=r"'tol'.*Got -1\.0")),
    (MLPDecoder(validation_fraction=1.0), pytest.raises(
        ValueError, match=r"'validation_fraction'.*\(0, 1\).*Got 1\.0")),
    (MLPDecoder(batch_norm="yes"), pytest.raises(TypeError, match=r"'batch_norm'.*bool")),
    (LinearDecoder(standardize=1), pytest.raises(TypeError, match=r"'standardize'.*bool")),
    (LinearDecoder(period=-180.0), pytest.raises(ValueError, match=r"'period'.*> 0.*-180")),
    (LinearDecoder(device="gpu"), pytest.raises(ValueError, match=r"'device'.*Got 'gpu'")),
    (LinearDecoder(device=3), pytest.raises(TypeError, match=r"'device'.*Got 3")),
    (MLPDecoder(random_state="seed"), pytest.raises(TypeError, match=r"'random_state'.*'seed'")),
    (PerceptronDecoder(lr=0.0), pytest.raises(ValueError, match=r"'lr' parameter of Perceptron")),
    (PerceptronDecoder(lr_decay=-1.0), pytest.raises(ValueError, match=r"'lr_decay'.*>= 0")),
    (PerceptronDecoder(multiclass="ovo"), pytest.raises(
        ValueError, match=r"'multiclass'.*'ovr', 'argmax'\. Got 'ovo'")),
], ids=name)
def test_bad_hyperparameters_raise_at_fit(decoder, expectation):
    X, y = data_for(decoder)
    defaults = type(decoder)().get_params()
    fast = {"device": "cpu", "max_epochs": 5}  # unless the row is about them
    decoder.set_params(**{k: v for k, v in fast.items()
                          if k in defaults and decoder.get_params()[k] == defaults[k]})
    with expectation:
        decoder.fit(X, y)


# --------------------------------------------------------------------------- bad data
def nan_at(X, i, j):
    X = X.copy()
    X[i, j] = np.nan
    return X


@pytest.mark.parametrize("decoder", ALL, ids=name)
@pytest.mark.parametrize("make_bad, expectation", [
    (lambda X, y: (X, y), does_not_raise()),
    (lambda X, y: (X, y[:-1]), pytest.raises(
        ValueError, match=r"X and y must have the same number of samples \(time bins or "
                          r"trials\)\. X has 60, y has 59\. Were they binned")),
    (lambda X, y: (nan_at(X, 3, 2), y), pytest.raises(
        ValueError, match=r"X passed to \w+ contains 1 NaN or inf values, in samples 3 and "
                          r"neurons 2")),
    (lambda X, y: (np.where(np.arange(60)[:, None] == 7, np.inf, X), y), pytest.raises(
        ValueError, match=r"NaN or inf values, in samples 7 ")),
    (lambda X, y: (X[:, 0], y), pytest.raises(ValueError, match="Expected 2D array, got 1D array")),
    (lambda X, y: (X, None), pytest.raises(ValueError, match="requires y to be passed")),
], ids=["ok", "length", "nan", "inf", "1d", "no y"])
def test_bad_data_raises_a_clear_error(decoder, make_bad, expectation):
    decoder = clone(decoder)
    X, y = data_for(decoder)
    X, y = make_bad(X, y)
    with expectation:
        decoder.fit(X, y)


@pytest.mark.parametrize("decoder", CLASSIFIERS, ids=name)
def test_classifiers_reject_a_single_class_and_continuous_labels(decoder):
    X, _ = data_for(decoder)
    with pytest.raises(ValueError, match=r"needs at least 2 classes in y; got 1 class: 'up'"):
        decoder.fit(X, ["up"] * len(X))
    with pytest.raises(ValueError, match="Unknown label type"):
        decoder.fit(X, np.linspace(0, 1, len(X)))


@pytest.mark.parametrize("decoder", REGRESSORS, ids=name)
def test_regressors_reject_a_categorical_recording(decoder, rec):
    with pytest.raises(ValueError, match="stimulus is categorical.*Use a classifier"):
        decoder.fit(rec.bin_stimulus(4))


@pytest.mark.parametrize("decoder", CLASSIFIERS, ids=name)
def test_classifiers_reject_a_circular_recording_and_point_to_bin_stimulus(decoder, rec):
    with pytest.raises(ValueError, match=r"stimulus is circular\. Bin it .*bin_stimulus"):
        decoder.fit(rec)


def test_recording_and_y_together_is_an_error(rec):
    with pytest.raises(ValueError, match="When X is a Recording, y must be None"):
        LinearDecoder(device="cpu").fit(rec, rec.stimulus)


def test_period_with_a_linear_recording_is_an_error(rec):
    linear = rec.with_stimulus(rec.stimulus, kind="linear")
    with pytest.raises(ValueError, match="'period' parameter of LinearDecoder is 90.*linear"):
        LinearDecoder(period=90.0, device="cpu").fit(linear)
    assert LinearDecoder(device="cpu").fit(linear).period_ is None


def test_circular_targets_must_be_one_dimensional():
    X = np.random.default_rng(0).normal(size=(20, 3))
    with pytest.raises(ValueError, match=r"circular target must be 1-D.*\(20, 2\)"):
        LinearDecoder(period=180.0, device="cpu").fit(X, np.ones((20, 2)))


@pytest.mark.parametrize("decoder", ALL, ids=name)
def test_predict_before_fit_raises_not_fitted(decoder, tmp_path):
    decoder = clone(decoder)
    X, y = data_for(decoder)
    methods = ["predict", "score", "predict_proba", "decision_function", "save"]
    for method in methods:
        if hasattr(decoder, method):
            args = {"score": (X, y), "save": (tmp_path / "d",)}.get(method, (X,))
            with pytest.raises(NotFittedError):
                getattr(decoder, method)(*args)


@pytest.mark.parametrize("decoder", ALL, ids=name)
def test_predict_checks_the_number_of_neurons(decoder):
    X, y = data_for(decoder)
    decoder.fit(X, y)
    with pytest.raises(ValueError, match="X has 4 features, but .* is expecting 5"):
        decoder.predict(X[:, :4])


# --------------------------------------------------------------------------- recordings, targets
def test_a_recording_is_the_same_as_its_arrays(rec):
    a = LinearDecoder(l2=0.1, device="cpu").fit(rec)
    b = LinearDecoder(l2=0.1, period=rec.period, device="cpu").fit(rec.responses, rec.stimulus)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    np.testing.assert_array_equal(a.predict(rec), b.predict(rec.responses))
    assert a.score(rec) == b.score(rec.responses, rec.stimulus)


def test_the_period_parameter_overrides_the_recording(rec):
    assert LinearDecoder(device="cpu").fit(rec).period_ == 180.0
    with pytest.warns(DataWarning, match=r"more than one period \(90\).*units"):  # 0-180
        assert LinearDecoder(period=90.0, device="cpu").fit(rec).period_ == 90.0


def test_a_stimulus_that_never_varies_or_one_trial_is_refused(rec):
    X = rec.responses
    with pytest.raises(ValueError, match="never varies: all 100 training samples are 42"):
        LinearDecoder(device="cpu").fit(X[:100], np.full(100, 42.0))
    with pytest.raises(ValueError, match="at least 2 samples.*got 1 sample"):
        LinearDecoder(device="cpu").fit(X[:1], [3.0])
    with pytest.raises(ValueError, match="never varies"):
        MLPDecoder(hidden=(4,), max_epochs=1, device="cpu").fit(X[:50], np.zeros((50, 2)))
    degrees = np.linspace(0, 359, 100)  # degrees given to a decoder in radians
    with pytest.warns(DataWarning, match="more than one period.*degrees vs radians"):
        LinearDecoder(period=2 * np.pi, device="cpu").fit(X[:100], degrees)


def test_categorical_recording_keeps_its_labels(rec):
    binned = rec.bin_stimulus(4)
    dec = LogisticDecoder(l2=0.1, device="cpu").fit(binned)
    np.testing.assert_array_equal(dec.classes_, [0.0, 45.0, 90.0, 135.0])
    assert set(dec.predict(binned)) <= set(dec.classes_)
    assert 0.0 <= dec.score(binned) <= 1.0


def test_angles_round_trip_through_cos_sin():
    y = np.array([0.0, 1.0, 89.5, 90.0, 179.0, 179.999])
    np.testing.assert_allclose(targets_to_angles(angles_to_targets(y, 180.0), 180.0), y,
                               atol=1e-9)
    out = targets_to_angles(np.array([[1.0, -1e-12], [-1.0, 0.0]]), 180.0)
    assert np.all((out >= 0) & (out < 180))


def test_near_zero_and_near_period_are_neighbours():
    # y ~ 179 and y ~ 1 deg: a circular decoder reads them as 2 deg apart
    assert circular_score([1.0], [179.0], 180.0) == pytest.approx(np.cos(np.deg2rad(4.0)))
    rng = np.random.default_rng(0)
    y = rng.uniform(0, 180, 400)
    X = angles_to_targets(y, 180.0) + 0.01 * rng.normal(size=(400, 2))
    dec = LinearDecoder(period=180.0, device="cpu").fit(X, y)
    edge = targets_to_angles(np.array([[1.0, -0.02]]), 180.0)[0]
    assert edge > 179.0  # read back near 180, not near 90
    assert dec.score(X, y) > 0.999


def test_standardisation_uses_training_statistics_at_predict_time():
    rng = np.random.default_rng(0)
    X = rng.normal(loc=5.0, scale=[1.0, 10.0, 0.1], size=(100, 3))
    y = X @ [1.0, 0.1, 10.0]
    dec = LinearDecoder(l2=0.1, device="cpu").fit(X, y)
    np.testing.assert_allclose(dec.mean_, X.mean(axis=0))
    np.testing.assert_allclose(dec.scale_, X.std(axis=0))
    X_new = rng.normal(loc=-3.0, scale=4.0, size=(10, 3))  # other statistics
    np.testing.assert_allclose(dec.predict(X_new), X_new @ dec.coef_ + dec.intercept_,
                               rtol=1e-10)


# --------------------------------------------------------------------------- inputs and seeds
def test_tensors_and_arrays_give_the_same_fit():
    X, y = data_for(LinearDecoder())
    a = LinearDecoder(l2=0.1, device="cpu").fit(X, y)
    b = LinearDecoder(l2=0.1, device="cpu").fit(torch.from_numpy(X), torch.from_numpy(y))
    np.testing.assert_array_equal(a.coef_, b.coef_)
    pred = b.predict(torch.from_numpy(X))
    assert isinstance(pred, np.ndarray) and pred.dtype == np.float64


@pytest.mark.parametrize("dtype, torch_dtype", [(np.float32, torch.float32),
                                                (np.float64, torch.float64),
                                                (np.int64, torch.float64)])
def test_computation_follows_the_data_dtype(dtype, torch_dtype):
    X, y = data_for(MLPDecoder())
    dec = MLPDecoder(**NET, random_state=0).fit((X * 10).astype(dtype), y)
    assert all(p.dtype == torch_dtype for p in dec.module_.parameters())


@pytest.mark.parametrize("decoder", [
    MLPDecoder(hidden=(16,), dropout=0.3, batch_size=16, early_stopping=True, max_epochs=10,
               device="cpu"),
    LinearDecoder(l2=0.1, solver="adam", batch_size=8, max_epochs=10, device="cpu"),
    MLPClassifierDecoder(**NET),
    PerceptronDecoder(),
], ids=name)
def test_same_seed_same_fit_other_seed_other_fit(decoder):
    X, y = data_for(decoder)
    fits, coefs = [], []
    for s in (7, 7, 8):
        dec = decoder.set_params(random_state=s).fit(X, y)
        fits.append(dec.predict(X))
        coefs.append(dec.coef_.copy() if hasattr(dec, "coef_") else
                     torch.cat([p.detach().flatten() for p in dec.module_.parameters()]).numpy())
    np.testing.assert_array_equal(fits[0], fits[1])
    np.testing.assert_array_equal(coefs[0], coefs[1])
    assert not np.array_equal(coefs[0], coefs[2])


def test_fitting_never_touches_the_global_random_state():
    X, y = data_for(MLPDecoder())
    # the global states are what this test is about
    torch_state, np_state = torch.random.get_rng_state(), np.random.get_state()  # noqa: NPY002
    MLPDecoder(hidden=(8,), dropout=0.5, batch_size=8, max_epochs=3, early_stopping=True,
               device="cpu", random_state=0).fit(X, y)
    PerceptronDecoder(random_state=0).fit(X, y > 0)
    assert torch.equal(torch.random.get_rng_state(), torch_state)
    assert np.array_equal(np.random.get_state()[1], np_state[1])  # noqa: NPY002


def test_recording_responses_are_float32_end_to_end(rec):
    dec = MLPDecoder(**NET, random_state=0).fit(rec)
    assert next(dec.module_.parameters()).dtype == torch.float32
    assert dec.predict(rec).dtype == np.float64


def test_pandas_feature_names_are_kept():
    pd = pytest.importorskip("pandas")
    X, y = data_for(LinearDecoder())
    frame = pd.DataFrame(X, columns=[f"n{i}" for i in range(X.shape[1])])
    dec = LinearDecoder(device="cpu").fit(frame, y)
    np.testing.assert_array_equal(dec.feature_names_in_, frame.columns)

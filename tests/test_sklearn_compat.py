"""scikit-learn's estimator checks on every decoder, and the meta-estimators users need."""

from __future__ import annotations

import numpy as np
import pytest
import sklearn
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks
from threadpoolctl import threadpool_limits

from neurodecode.decoders import (
    KalmanDecoder,
    LDADecoder,
    LinearDecoder,
    LogisticDecoder,
    MLPClassifierDecoder,
    MLPDecoder,
    ModuleClassifierDecoder,
    ModuleDecoder,
    PerceptronDecoder,
    WienerCascadeDecoder,
)

# scikit-learn's checks fit on tiny random data with small iteration caps
pytestmark = pytest.mark.filterwarnings(
    "ignore::neurodecode.exceptions.ConvergenceWarning")


@pytest.fixture(autouse=True)
def single_thread():
    """One BLAS/OpenMP thread: these problems are tiny (see tests/decoders/conftest.py)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(limits=1):
            yield
    finally:
        torch.set_num_threads(before)


FAST_NET = dict(hidden=(16,), batch_size=None, lr=1e-2, max_epochs=50, device="cpu")


def deep_net_relu(n_inputs, n_outputs):
    """The Neuromatch DeepNetReLU shape (one hidden ReLU layer) for any data size."""
    return torch.nn.Sequential(torch.nn.Linear(n_inputs, 16), torch.nn.ReLU(),
                               torch.nn.Linear(16, n_outputs))

# One instance per solver / code path; small epoch budgets keep the checks fast.
ESTIMATORS = [
    LinearDecoder(device="cpu"),                      # closed form
    LinearDecoder(l1=0.01, device="cpu"),             # FISTA
    LinearDecoder(period=360.0, device="cpu"),        # circular target
    LogisticDecoder(device="cpu", max_epochs=100),    # L-BFGS
    LogisticDecoder(l1=0.01, device="cpu", max_epochs=100),  # FISTA
    MLPDecoder(**FAST_NET),
    MLPDecoder(hidden=(16, 8), dropout=0.2, batch_norm=True, batch_size=16, max_epochs=20,
               early_stopping=True, device="cpu"),
    MLPClassifierDecoder(**FAST_NET),
    ModuleDecoder(deep_net_relu, batch_size=None, lr=1e-2, max_epochs=50, device="cpu"),
    ModuleClassifierDecoder(deep_net_relu, batch_size=None, lr=1e-2, max_epochs=50,
                            device="cpu"),
    PerceptronDecoder(),
    PerceptronDecoder(multiclass="argmax"),
    LDADecoder(),                                     # Ledoit-Wolf shrinkage
    LDADecoder(shrinkage="oas"),
    LDADecoder(shrinkage=None),                       # no shrinkage: least squares
    KalmanDecoder(),                                  # filter over time
    KalmanDecoder(l2=0.1, smooth=True),               # ridge observation model, smoother
    WienerCascadeDecoder(),                           # 4 bins of history, cubic
    WienerCascadeDecoder(n_lags=0),                   # memoryless: every check applies
    WienerCascadeDecoder(period=360.0),               # circular target
]

# Checks that cannot apply, with the reason. Keyed by the estimator's repr so that one
# configuration of a class can be exempted without exempting the others.
CIRCULAR_MULTIOUTPUT = (
    "a circular stimulus is one angle per sample; several target columns with a "
    "period are rejected by design (decode each angle with its own decoder)")
OVER_TIME = {  # decoders whose samples are consecutive time bins
    "check_methods_sample_order_invariance":
        "samples are time bins in order: the prediction of a bin depends on the bins "
        "before it (filter state, history window), so reordering them changes it",
    "check_methods_subset_invariance":
        "a batch is one stretch of time: predicting a subset restarts the filter or "
        "window at its first bin, and a 1-sample batch is shorter than a window",
}
EXPECTED_FAILED = {
    repr(LinearDecoder(period=360.0, device="cpu")): {
        "check_regressor_multioutput": CIRCULAR_MULTIOUTPUT,
    },
    repr(KalmanDecoder()): OVER_TIME,
    repr(KalmanDecoder(l2=0.1, smooth=True)): OVER_TIME,
    repr(WienerCascadeDecoder()): OVER_TIME,
    repr(WienerCascadeDecoder(period=360.0)): {
        **OVER_TIME, "check_regressor_multioutput": CIRCULAR_MULTIOUTPUT},
}


def expected_failed_checks(estimator):
    return EXPECTED_FAILED.get(repr(estimator), {})


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def _generated_checks():
    """(estimator repr, check name) of every generated check, from the pytest mark."""
    mark = parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
    params = mark.args[1]
    out = []
    for p in params:
        est, check = p.values if hasattr(p, "values") else p
        name = getattr(check, "func", check).__name__
        out.append((repr(est), name))
    return out


def test_number_of_checks():
    checks = _generated_checks()
    per_estimator = {r: sum(1 for e, _ in checks if e == r) for r in map(repr, ESTIMATORS)}
    # scikit-learn 1.9 runs 53 checks on these regressors and 55 on these classifiers;
    # newer versions may add some, but none should silently disappear.
    for est in ESTIMATORS:
        n = per_estimator[repr(est)]
        expected = 55 if sklearn.base.is_classifier(est) else 53
        if sklearn.__version__.startswith("1.9."):
            assert n == expected, (repr(est), n)
        else:
            assert n >= 50, (repr(est), n)
    names = {name for _, name in checks}
    for exempt in EXPECTED_FAILED.values():
        assert set(exempt) <= names, "an expected failure names a check that does not exist"


# --------------------------------------------------------------------------- meta-estimators
@pytest.fixture
def regression_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 6))
    y = X @ rng.normal(size=6) + 0.1 * rng.normal(size=120)
    return X, y


@pytest.fixture
def classification_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 4))
    y = np.where(X[:, 0] + X[:, 1] > 0, "left", "right")
    return X, y


def test_clone_keeps_parameters_and_drops_fit():
    dec = MLPDecoder(hidden=(8, 4), l2=0.1, dropout=0.3, device="cpu", random_state=3)
    copy = clone(dec)
    assert copy.get_params() == dec.get_params()
    fitted = LinearDecoder(l2=1.0, device="cpu").fit(np.eye(3), [0.0, 1.0, 2.0])
    assert not hasattr(clone(fitted), "coef_")


def test_grid_search_over_l2(regression_data):
    X, y = regression_data
    grid = GridSearchCV(LinearDecoder(device="cpu"), {"l2": [1e-3, 1e-1, 10.0]}, cv=3)
    grid.fit(X, y)
    assert grid.best_params_["l2"] in (1e-3, 1e-1)
    assert grid.best_score_ > 0.9


def test_pipeline_and_cross_val_score_regression(regression_data):
    X, y = regression_data
    pipe = make_pipeline(StandardScaler(), MLPDecoder(**FAST_NET, random_state=0))
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.shape == (3,) and np.all(scores > 0.5)


@pytest.mark.parametrize("decoder", [
    LogisticDecoder(l2=1e-2, device="cpu"),
    PerceptronDecoder(random_state=0),
    MLPClassifierDecoder(**FAST_NET, random_state=0),
], ids=lambda d: type(d).__name__)
def test_classifiers_in_cross_val_score(decoder, classification_data):
    X, y = classification_data
    scores = cross_val_score(make_pipeline(StandardScaler(), decoder), X, y, cv=3)
    assert np.all(scores > 0.85)


def test_circular_decoder_scores_in_cross_val_score():
    rng = np.random.default_rng(0)
    y = rng.uniform(0, 180, 300)
    ang = np.deg2rad(2 * y)
    X = np.c_[np.cos(ang), np.sin(ang)] + 0.1 * rng.normal(size=(300, 2))
    scores = cross_val_score(LinearDecoder(period=180.0, device="cpu"), X, y, cv=3)
    assert np.all(scores > 0.95)  # mean cosine of the angular error: 1 is perfect

"""LDADecoder: scikit-learn's shrinkage LDA exactly, in the trials' space when neurons
outnumber trials, with the house conventions (standardisation, classes, errors)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.covariance import OAS
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.preprocessing import StandardScaler

from neurodecode.data import orientation_population
from neurodecode.decoders import LDADecoder
from neurodecode.decoders.lda import class_shrinkage
from neurodecode.evaluate import cross_validate, sweep


def _reference(shrinkage):
    if shrinkage == "oas":
        return LinearDiscriminantAnalysis(solver="lsqr", covariance_estimator=OAS())
    return LinearDiscriminantAnalysis(solver="lsqr", shrinkage=shrinkage)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(20, 90), p=st.integers(1, 150),
       k=st.integers(2, 4), shrinkage=st.sampled_from(["auto", "oas", 0.0, 0.2, 1.0]),
       constant=st.booleans())
def test_probabilities_equal_scikit_learns(seed, n, p, k, shrinkage, constant):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % k  # every class present, at least 5 samples each
    X = rng.normal(size=(n, p)) + 0.5 * y[:, None] * (np.arange(p) < 3)
    if constant and p > 1:
        X[:, -1] = 2.0  # a silent neuron
    if shrinkage == 0.0 and p >= n // k:
        shrinkage = 0.5  # no shrinkage needs a covariance of full rank
    ours = LDADecoder(shrinkage=shrinkage).fit(X, y)
    ref = _reference(shrinkage).fit(StandardScaler().fit_transform(X), y)
    Z = StandardScaler().fit(X).transform(X)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(Z), atol=1e-8)
    np.testing.assert_array_equal(ours.predict(X), ref.predict(Z))


def test_more_neurons_than_trials_never_forms_the_neurons_covariance(monkeypatch):
    rng = np.random.default_rng(1)
    n, p = 60, 3000
    y = np.arange(n) % 3
    X = rng.normal(size=(n, p)) + y[:, None] * (np.arange(p) < 20)
    import neurodecode.decoders.lda as lda

    shapes = []
    real = lda.cho_factor

    def spy(a, *args, **kwargs):
        shapes.append(a.shape)
        return real(a, *args, **kwargs)

    monkeypatch.setattr(lda, "cho_factor", spy)
    ours = LDADecoder().fit(X, y)
    assert shapes == [(n, n)]  # only a trials x trials system
    ref = _reference("auto").fit(StandardScaler().fit_transform(X), y)
    np.testing.assert_allclose(ours.predict_proba(X),
                               ref.predict_proba(StandardScaler().fit(X).transform(X)),
                               atol=1e-8)


def test_the_shrinkage_estimates_match_scikit_learn():
    from sklearn.covariance import ledoit_wolf_shrinkage
    from sklearn.covariance import oas as sk_oas

    rng = np.random.default_rng(2)
    X = rng.normal(size=(40, 25)) @ rng.normal(size=(25, 25))
    Xc = X - X.mean(axis=0)
    a, _ = class_shrinkage(Xc, "auto")
    assert a == pytest.approx(ledoit_wolf_shrinkage(StandardScaler().fit_transform(X)))
    b, target = class_shrinkage(Xc, "oas")
    assert b == pytest.approx(sk_oas(X)[1])
    np.testing.assert_allclose(target, np.trace(np.cov(X.T, bias=True)) / 25)


def test_decodes_orientation_classes_and_sweeps_its_shrinkage():
    rec, _ = orientation_population(60, 240, random_state=0)
    binned = rec.bin_stimulus(6)
    res = cross_validate(LDADecoder(), binned, cv=4, scoring="accuracy")
    assert res.mean() > 0.7
    grid = sweep(LDADecoder(), {"shrinkage": [0.0, 0.3, 0.9]}, binned, cv=4)
    assert set(grid.results) == {"shrinkage=0", "shrinkage=0.3", "shrinkage=0.9"}
    dec = LDADecoder().fit(binned)
    assert dec.shrinkage_.shape == (6,) and (0 <= dec.shrinkage_).all()
    assert dec.coef_.shape == (6, 60) and np.allclose(dec.priors_.sum(), 1)


@pytest.mark.parametrize("kwargs, match", [
    ({"shrinkage": "ledoit"}, "'shrinkage' parameter.*'auto', 'oas'"),
    ({"shrinkage": 1.5}, "'shrinkage'"),
    ({"shrinkage": True}, "'shrinkage' parameter"),
    ({"priors": [0.5, 0.5]}, "'priors' parameter.*3 non-negative values"),
])
def test_bad_parameters_get_clear_errors(kwargs, match):
    X = np.random.default_rng(0).normal(size=(30, 4))
    with pytest.raises(ValueError, match=match):
        LDADecoder(**kwargs).fit(X, np.arange(30) % 3)


def test_a_class_with_one_trial_is_named():
    X = np.random.default_rng(0).normal(size=(21, 4))
    y = np.r_[np.zeros(10), np.ones(10), 7.0]
    with pytest.raises(ValueError, match=r"class\(es\) \[7\.0\] have 1"):
        LDADecoder().fit(X, y)


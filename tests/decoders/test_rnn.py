"""Recurrent decoders: memory over a causal window that never crosses a segment."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from neurodecode.data import Recording
from neurodecode.decoders import LinearDecoder
from neurodecode.decoders._segments import resolve_segments, window_rows
from neurodecode.decoders.rnn import RNNClassifierDecoder, RNNDecoder
from neurodecode.evaluate import cross_validate


def _lagged(n=1500, lag=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.poisson(2.0, (n, 6)).astype(float)
    y = np.r_[np.zeros(lag), X[:-lag, 0] - X[:-lag, 1]]
    return X, y


@pytest.mark.parametrize("cell", ["gru", "lstm", "rnn"])
def test_learns_what_a_memoryless_decoder_cannot(cell):
    X, y = _lagged(2000)
    tr, te = slice(0, 1600), slice(1600, None)
    memoryless = LinearDecoder(l2=1e-3, device="cpu").fit(X[tr], y[tr]).score(X[te], y[te])
    rnn = RNNDecoder(cell, hidden=24, window=5, lr=5e-3, batch_size=64, max_epochs=30,
                     device="cpu", random_state=0).fit(X[tr], y[tr])
    assert memoryless < 0.05 and rnn.score(X[te], y[te]) > 0.8


def test_causal_predictions_never_read_a_future_bin():
    X, y = _lagged(400)
    dec = RNNDecoder(hidden=8, window=4, max_epochs=3, device="cpu", random_state=0).fit(X, y)
    changed = X.copy()
    changed[200:] = np.random.default_rng(1).poisson(5.0, changed[200:].shape)
    np.testing.assert_array_equal(dec.predict(X)[:200], dec.predict(changed)[:200])
    ahead = RNNDecoder(hidden=8, window=4, causal=False, max_epochs=3, device="cpu",
                       random_state=0).fit(X, y)
    assert not np.array_equal(ahead.predict(X)[:200], ahead.predict(changed)[:200])


def test_windows_never_cross_a_segment_and_segment_order_does_not_matter():
    seg = np.repeat([0, 1, 2], [5, 3, 4])
    idx = window_rows(resolve_segments(None, seg, len(seg), "test"), 2, 0)
    n = len(seg)
    for i, row in enumerate(idx):
        inside = row[row < n]
        assert np.all(seg[inside] == seg[i]) and np.all(inside <= i)
    X, y = _lagged(300)
    seg = np.repeat([0, 1, 2], 100)
    dec = RNNDecoder(hidden=8, window=4, max_epochs=3, device="cpu", random_state=0)
    dec.fit(X, y, segments=seg)
    order = np.r_[200:300, 0:100, 100:200]  # the same segments, in another order
    np.testing.assert_allclose(dec.predict(X[order], segments=seg[order]),
                               dec.predict(X, segments=seg)[order], rtol=1e-5, atol=1e-6)


def test_circular_targets_and_classes_and_cross_validation():
    rng = np.random.default_rng(0)
    angle = rng.uniform(0, 360, 900)
    pref = np.linspace(0, 360, 12, endpoint=False)
    rates = 2 + 3 * np.exp(np.cos(np.radians(angle[:, None] - pref)) - 1)
    X = rng.poisson(rates).astype(float)
    rec = Recording(X, angle, kind="circular", period=360, bin_size=0.1)
    res = cross_validate(RNNDecoder(hidden=16, window=3, max_epochs=30, device="cpu",
                                    random_state=0), rec, cv=3)
    assert res.mean("median_error") < 30  # chance is 90 degrees
    classes = rec.bin_stimulus(4)
    dec = RNNClassifierDecoder(hidden=16, window=3, max_epochs=30, device="cpu",
                               random_state=0).fit(classes)
    assert dec.score(classes) > 0.6 and dec.predict_proba(classes).shape == (900, 4)


@pytest.mark.parametrize("kwargs, fit_kw, match", [
    ({"window": 50}, {"segments": np.repeat([0, 1], 20)}, "longer than every continuous"),
    ({}, {"segments": np.zeros(3, dtype=int)}, "same number of samples"),
    ({}, {"segments": np.zeros(40)}, "integer segment ids"),
    ({"cell": "transformer"}, {}, "'cell' parameter"),
    ({"window": 0}, {}, "'window' parameter"),
    ({"causal": "yes"}, {}, "'causal' parameter"),
])
def test_bad_input_gets_a_clear_error(kwargs, fit_kw, match):
    X, y = _lagged(40)
    with pytest.raises((ValueError, TypeError), match=match):
        RNNDecoder(max_epochs=1, device="cpu", **kwargs).fit(X, y, **fit_kw)


@parametrize_with_checks(
    [RNNDecoder(hidden=4, window=2, max_epochs=3, device="cpu", random_state=0),
     RNNClassifierDecoder(hidden=4, window=2, max_epochs=3, device="cpu", random_state=0)],
    expected_failed_checks=lambda est: dict.fromkeys(
        ["check_methods_sample_order_invariance", "check_methods_subset_invariance",
         "check_regressors_train", "check_classifiers_train"],
        "samples are time bins read in windows of their neighbours: reordering or "
        "subsampling rows changes every window, and scikit-learn's shuffled toy rows have "
        "no time structure to learn from in a few epochs"))
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)

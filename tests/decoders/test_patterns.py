"""patterns_: what the neurons encode, from a linear decoder's weights (Haufe et al.
2014), equal to MNE-Python's LinearModel, on every linear decoder."""

from __future__ import annotations

import numpy as np
import pytest

from neurodecode.decoders import LDADecoder, LinearDecoder, LogisticDecoder
from neurodecode.decoders._core import activation_patterns


@pytest.fixture
def haufe():
    """Neuron 0 carries the stimulus plus noise, neuron 1 only that noise, 2 nothing."""
    rng = np.random.default_rng(0)
    n = 3000
    s, noise = rng.normal(size=n), rng.normal(size=n)
    return np.column_stack([s + noise, noise, rng.normal(size=n)]), s


def test_a_noise_cancelling_neuron_has_a_weight_but_no_pattern(haufe):
    X, s = haufe
    dec = LinearDecoder(device="cpu").fit(X, s)
    assert abs(dec.coef_[1]) > 0.9  # the decoder uses the noise neuron...
    assert abs(dec.patterns_[1]) < 0.05  # ...which encodes nothing about the stimulus
    assert dec.patterns_[0] == pytest.approx(1.0, abs=0.05)
    for Decoder in (LogisticDecoder, LDADecoder):
        clf = Decoder().fit(X, (s > 0).astype(int))
        assert clf.patterns_.shape == clf.coef_.shape == (1, 3)
        assert abs(clf.patterns_[0, 1]) < 0.2 * abs(clf.patterns_[0, 0])
        assert abs(clf.coef_[0, 1]) > 0.5 * abs(clf.coef_[0, 0])


def test_patterns_equal_mne_linear_model(haufe):
    mne_decoding = pytest.importorskip("mne.decoding")
    from sklearn.linear_model import LinearRegression

    X, s = haufe
    ours = LinearDecoder(device="cpu").fit(X, s)
    theirs = mne_decoding.LinearModel(LinearRegression()).fit(X, s)
    np.testing.assert_allclose(ours.patterns_, theirs.patterns_, rtol=1e-6, atol=1e-9)
    T = np.column_stack([s, X[:, 2] + 0.1 * s])  # two outputs: Cov(T)^-1 enters
    ours = LinearDecoder(device="cpu").fit(X, T)
    theirs = mne_decoding.LinearModel(LinearRegression()).fit(X, T)
    np.testing.assert_allclose(ours.patterns_, theirs.patterns_, rtol=1e-6, atol=1e-9)


def test_the_helper_equals_cov_x_times_the_weights():
    rng = np.random.default_rng(1)
    X, W = rng.normal(size=(30, 300)), rng.normal(size=(2, 300))
    np.testing.assert_allclose(activation_patterns(X, W), (np.cov(X.T) @ W.T).T,
                               rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(activation_patterns(X, W[0]), np.cov(X.T) @ W[0],
                               rtol=1e-10, atol=1e-12)

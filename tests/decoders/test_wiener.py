"""WienerCascadeDecoder: history windows inside segments, the reference fits (least squares,
ridge, Neural_Decoding's cascade), causality, circular targets, bad input, real M1."""

from __future__ import annotations

from contextlib import nullcontext as does_not_raise

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression, Ridge

from neurodecode.data import Recording
from neurodecode.decoders import WienerCascadeDecoder, load
from neurodecode.decoders._segments import history_windows, resolve_segments


def simulate(rng, n=1500, n_neurons=12, delay=2, nonlinear=True):
    """Poisson responses; the target is a static nonlinearity of a filter of past bins."""
    X = rng.poisson(2.0, size=(n, n_neurons)).astype(float)
    weights = rng.normal(size=(delay + 1, n_neurons)) / np.sqrt(n_neurons * (delay + 1))
    drive = np.zeros(n)
    for k in range(delay + 1):
        drive[delay:] += X[delay - k:n - k] @ weights[k]
    drive -= drive[delay:].mean()
    y = np.tanh(1.5 * drive / drive.std()) if nonlinear else drive
    return X, y


def lagged(X, n_before, n_after, rows):
    """Hand-built history features (oldest bin first) of the given rows."""
    return np.hstack([X[rows + k] for k in range(-n_before, n_after + 1)])


def complete_rows(ids, n_before, n_after):
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    stops = np.r_[starts[1:], len(ids)]
    return np.concatenate([np.arange(a + n_before, b - n_after) for a, b in zip(starts, stops)])


# --------------------------------------------------------------------------- windows
def test_windows_never_cross_a_segment_boundary(rng):
    ids = np.repeat([3, 1, 3, 0], [7, 2, 5, 9])  # id 3 comes back: a new segment
    X = rng.normal(size=(len(ids), 3))
    fill = np.array([100.0, 200.0, 300.0])
    seg = resolve_segments(None, ids, len(ids), "test")
    assert seg.lengths.tolist() == [7, 2, 5, 9]
    windows, complete = history_windows(X, seg, 3, 1, fill)
    seg_of = np.repeat(np.arange(len(seg)), seg.lengths)
    for i in range(len(X)):
        for j, k in enumerate(range(-3, 2)):
            src = i + k
            inside = 0 <= src < len(X) and seg_of[src] == seg_of[i]
            np.testing.assert_array_equal(windows[i, j], X[src] if inside else fill)
    np.testing.assert_array_equal(np.flatnonzero(complete),
                                  complete_rows(np.repeat(np.arange(4), [7, 2, 5, 9]), 3, 1))


# --------------------------------------------------------------------------- reference fits
@pytest.mark.parametrize("causal", [True, False])
def test_filter_is_least_squares_on_complete_windows(rng, causal):
    X, y = simulate(rng, nonlinear=False)
    ids = np.repeat([0, 1, 2], [600, 500, 400])
    after = 0 if causal else 3
    dec = WienerCascadeDecoder(n_lags=3, causal=causal, degree=None).fit(X, y, segments=ids)
    rows = complete_rows(ids, 3, after)
    ref = LinearRegression().fit(lagged(X, 3, after, rows), y[rows])
    np.testing.assert_allclose(dec.coef_[0].ravel(), ref.coef_, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(dec.intercept_[0], ref.intercept_, rtol=1e-8)
    pred = dec.predict(X, segments=ids)
    np.testing.assert_allclose(pred[rows], ref.predict(lagged(X, 3, after, rows)), rtol=1e-8,
                               atol=1e-10)
    assert dec.lags_.tolist() == list(range(-3, after + 1))


def test_l2_is_ridge_with_the_shared_scaling(rng):
    X, y = simulate(rng, nonlinear=False)
    dec = WienerCascadeDecoder(n_lags=2, l2=0.05, degree=None, standardize=False).fit(X, y)
    rows = np.arange(2, len(X))
    ref = Ridge(alpha=len(rows) * 0.05).fit(lagged(X, 2, 0, rows), y[rows])
    np.testing.assert_allclose(dec.coef_[0].ravel(), ref.coef_, rtol=1e-8, atol=1e-12)


def test_cascade_is_neural_decodings_wiener_cascade(rng):
    """LinearRegression on history features, then numpy.polyfit of degree 3 (their code)."""
    X, y = simulate(rng)
    dec = WienerCascadeDecoder(n_lags=2).fit(X[:1000], y[:1000])
    rows = np.arange(2, 1000)
    lin = LinearRegression().fit(lagged(X, 2, 0, rows), y[rows])
    poly = np.polyfit(lin.predict(lagged(X, 2, 0, rows)), y[rows], 3)
    test = np.arange(1002, len(X))
    expected = np.polyval(poly, lin.predict(lagged(X, 2, 0, test)))
    np.testing.assert_allclose(dec.predict(X[1000:])[2:], expected, rtol=1e-7, atol=1e-9)


def test_nonlinearity_beats_the_plain_filter(rng):
    X, y = simulate(rng, n=3000)
    cascade = WienerCascadeDecoder(n_lags=2).fit(X[:2000], y[:2000])
    linear = WienerCascadeDecoder(n_lags=2, degree=None).fit(X[:2000], y[:2000])
    memoryless = WienerCascadeDecoder(n_lags=0).fit(X[:2000], y[:2000])
    scores = [d.score(X[2000:], y[2000:]) for d in (cascade, linear, memoryless)]
    assert scores[0] > 0.9 and scores[0] > scores[1] + 0.02 and scores[1] > scores[2] + 0.2


def test_circular_target_through_cos_sin(rng):
    """Cosine-tuned neurons that lead a drifting heading by one bin."""
    angle = np.mod(np.cumsum(rng.normal(0, 20, size=2000)), 360.0)
    pref = rng.uniform(0, 2 * np.pi, size=12)
    X = np.cos(np.deg2rad(angle)[1:, None] - pref) + 0.5 * rng.normal(size=(1999, 12))
    X = np.vstack([X, np.zeros((1, 12))])
    dec = WienerCascadeDecoder(n_lags=2, period=360.0).fit(X[:1500], angle[:1500])
    pred = dec.predict(X[1500:])
    assert dec.coef_.shape[0] == 2 and pred.min() >= 0 and pred.max() < 360
    assert dec.score(X[1500:], angle[1500:]) > 0.9  # mean cosine of the angular error


# --------------------------------------------------------------------------- segments, causality
@pytest.mark.parametrize("causal", [True, False])
def test_changing_future_bins_changes_only_non_causal_predictions(rng, causal):
    X, y = simulate(rng)
    dec = WienerCascadeDecoder(n_lags=3, causal=causal).fit(X, y)
    changed = X.copy()
    changed[700:] = rng.poisson(5.0, size=changed[700:].shape)
    before, after = dec.predict(X), dec.predict(changed)
    if causal:
        np.testing.assert_array_equal(before[:700], after[:700])
    else:
        np.testing.assert_array_equal(before[:697], after[:697])
        assert not np.allclose(before[697:700], after[697:700])


def test_segments_are_independent_and_their_order_does_not_matter(rng):
    X, y = simulate(rng, n=1200)
    ids = np.repeat([0, 1, 2, 3], [400, 200, 350, 250])
    dec = WienerCascadeDecoder(n_lags=4).fit(X, y, segments=ids)
    pred = dec.predict(X, segments=ids)
    for k in range(4):  # each segment alone: nothing leaks across a boundary
        own = ids == k
        np.testing.assert_allclose(pred[own], dec.predict(X[own]), rtol=1e-12, atol=1e-12)
    order = rng.permutation(4)
    perm = np.concatenate([np.flatnonzero(ids == k) for k in order])
    shuffled = WienerCascadeDecoder(n_lags=4).fit(X[perm], y[perm], segments=ids[perm])
    np.testing.assert_allclose(shuffled.coef_, dec.coef_, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(shuffled.predict(X[perm], segments=ids[perm]), pred[perm],
                               rtol=1e-8, atol=1e-10)


def test_recording_brings_its_segments(rng):
    X, y = simulate(rng, n=600)
    ids = np.repeat([0, 1, 2], 200)
    times = np.arange(600) * 0.05 + np.where(ids == 2, 3.0, 0.0)  # a gap before segment 2
    rec = Recording(X, y, kind="linear", bin_size=0.05, times=times,
                    trial_id=np.minimum(ids, 1))
    dec = WienerCascadeDecoder(n_lags=3).fit(rec)
    same = WienerCascadeDecoder(n_lags=3).fit(X, y, segments=ids)
    np.testing.assert_allclose(dec.coef_, same.coef_, rtol=1e-9)
    np.testing.assert_allclose(dec.predict(rec), same.predict(X, segments=ids), rtol=1e-9)
    assert dec.score(rec) == pytest.approx(same.score(X, y, segments=ids), rel=1e-9)


def test_causality_is_named():
    assert WienerCascadeDecoder().causal and WienerCascadeDecoder.uses_segments
    assert repr(WienerCascadeDecoder(causal=False)).endswith("# non-causal")
    assert "non-causal" not in repr(WienerCascadeDecoder(n_lags=8))


# --------------------------------------------------------------------------- errors
@pytest.mark.parametrize("kwargs, fit_kw, expectation", [
    ({}, {}, does_not_raise()),
    ({"n_lags": 9}, {"segments": np.repeat([0, 1], 30)}, does_not_raise()),
    ({"n_lags": 10, "causal": False}, {"segments": np.repeat([0, 1], [21, 39])},
     does_not_raise()),
    ({"n_lags": 10}, {"segments": np.repeat([4, 5], [50, 10])}, does_not_raise()),
    ({"n_lags": 10}, {"segments": np.repeat(np.arange(6), 10)},
     pytest.raises(ValueError, match=r"segment 0 \(id 0, samples 0..9\) has 10 sample.*"
                                     r"\(6 segments are this short\)")),
    ({"n_lags": 10, "causal": False}, {"segments": np.repeat([0, 1, 2], 20)},
     pytest.raises(ValueError, match="has 20 sample.*windows of 21 bins.*no segment holds")),
    ({}, {"segments": np.zeros(61, dtype=int)},
     pytest.raises(ValueError, match="X has 60, segments has 61")),
    ({}, {"segments": np.zeros((60, 1), dtype=int)}, pytest.raises(ValueError, match="1-D")),
    ({"n_lags": -1}, {}, pytest.raises(ValueError, match="'n_lags'.*>= 0")),
    ({"n_lags": 2.0}, {}, pytest.raises(TypeError, match="'n_lags'.*an int")),
    ({"degree": 0}, {}, pytest.raises(ValueError, match="'degree'.*>= 1, or None")),
    ({"degree": True}, {}, pytest.raises(ValueError, match="'degree'")),
    ({"causal": "yes"}, {}, pytest.raises(TypeError, match="'causal'.*bool")),
    ({"l2": -0.1}, {}, pytest.raises(ValueError, match="'l2'")),
])
def test_bad_input_gets_clear_errors(kwargs, fit_kw, expectation):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 3)), rng.normal(size=60)
    with expectation:
        WienerCascadeDecoder(**kwargs).fit(X, y, **fit_kw)


def test_segments_shorter_than_a_window_are_decoded_and_skipped_in_training():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 3)), rng.normal(size=60)
    ids = np.repeat([0, 1], [57, 3])
    dec = WienerCascadeDecoder(n_lags=4).fit(X, y, segments=ids)
    long_only = WienerCascadeDecoder(n_lags=4).fit(X[:57], y[:57])
    np.testing.assert_allclose(dec.coef_, long_only.coef_)  # the short one adds no bins
    pred = dec.predict(X, segments=ids)
    np.testing.assert_allclose(pred[57:], dec.predict(X[57:]))  # decoded alone, the same
    fill = np.tile(dec.history_fill_, (4, 1))  # the bins before the segment: training mean
    first = np.vstack([fill, X[57:58]]).reshape(1, -1) @ dec.coef_.reshape(1, -1).T
    np.testing.assert_allclose(dec.predict_linear(X, segments=ids)[57],
                               first[0] + dec.intercept_)


def test_predict_checks_segments_and_categorical_recordings_are_refused():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 3)), rng.normal(size=60)
    dec = WienerCascadeDecoder(n_lags=4).fit(X, y)
    with pytest.raises(ValueError, match="X has 60, segments has 59"):
        dec.predict(X, segments=np.zeros(59, dtype=int))
    with pytest.raises(ValueError, match="categorical"):
        WienerCascadeDecoder().fit(Recording(X, np.where(y > 0, "a", "b"), kind="categorical"))


def test_save_and_load_round_trip(tmp_path, rng):
    X, y = simulate(rng, n=400)
    dec = WienerCascadeDecoder(n_lags=2, causal=False).fit(X, y)
    same = load(dec.save(tmp_path / "wc"))
    assert isinstance(same, WienerCascadeDecoder) and not same.causal
    np.testing.assert_array_equal(same.predict(X), dec.predict(X))


# --------------------------------------------------------------------------- real data
@pytest.mark.shared_data
def test_m1_hand_velocity_on_a_contiguous_split(shared_file):
    """Stevenson M1, first 80% of bins to train, last 20% to test, 4 causal bins of
    history. Measured R^2 0.776 for the cascade, 0.745 for the plain Wiener filter."""
    from neurodecode.data.datasets import load_stevenson_m1

    rec = load_stevenson_m1(shared_file("monkey_m1_reaching_stevenson2011.mat"))
    cut = int(0.8 * rec.n_samples)
    train, test = rec.select(trials=np.arange(cut)), rec.select(
        trials=np.arange(cut, rec.n_samples))
    cascade = WienerCascadeDecoder(n_lags=4).fit(train)
    linear = WienerCascadeDecoder(n_lags=4, degree=None).fit(train)
    r2_cascade, r2_linear = cascade.score(test), linear.score(test)
    print(f"M1 Wiener cascade R^2 = {r2_cascade:.3f}, Wiener filter R^2 = {r2_linear:.3f}")
    assert r2_cascade > 0.7 and r2_cascade > r2_linear

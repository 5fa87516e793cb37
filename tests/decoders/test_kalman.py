"""KalmanDecoder: recovery of known dynamics, the exact filter and smoother of a plain
reference loop, segments, causality, bad input, and the real M1 recording."""

from __future__ import annotations

from contextlib import nullcontext as does_not_raise

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.metrics import r2_score

from neurodecode.data import Recording
from neurodecode.decoders import KalmanDecoder, load

A_TRUE = np.array([[0.95, 0.10], [-0.10, 0.90]])
W_TRUE = np.array([[0.10, 0.02], [0.02, 0.05]])


def simulate(rng, lengths, n_neurons=30):
    """A 2-D linear-Gaussian state observed by ``n_neurons`` noisy neurons, in segments.

    Each segment starts from the stationary distribution of the state.
    """
    H = rng.normal(size=(n_neurons, 2))
    d = rng.normal(size=n_neurons)
    q_sd = rng.uniform(0.5, 1.5, size=n_neurons)
    stationary = np.eye(2)
    for _ in range(500):  # P = A P A' + W
        stationary = A_TRUE @ stationary @ A_TRUE.T + W_TRUE
    chol_w, chol_p = np.linalg.cholesky(W_TRUE), np.linalg.cholesky(stationary)
    states = []
    for m in lengths:
        x = np.empty((m, 2))
        x[0] = chol_p @ rng.normal(size=2)
        for t in range(1, m):
            x[t] = A_TRUE @ x[t - 1] + chol_w @ rng.normal(size=2)
        states.append(x)
    x = np.concatenate(states)
    z = x @ H.T + d + q_sd * rng.normal(size=(len(x), n_neurons))
    ids = np.repeat(np.arange(len(lengths)), lengths)
    return z, x, ids, dict(H=H, d=d, Q=np.diag(q_sd**2))


def bounds_of(ids):
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    return list(zip(starts, np.r_[starts[1:], len(ids)]))


def reference_filter(dec, Z, ids, lag=0, smooth=False):
    """Textbook Kalman filter (and RTS smoother), one bin at a time, with explicit inverses."""
    A, W, H, Q = dec.A_, dec.W_, dec.H_, dec.Q_
    mu, d = dec.state_mean_, dec.observation_intercept_
    eye = np.eye(len(A))
    out = []
    for a, b in bounds_of(ids):
        xs_f, Ps_f, xs_p, Ps_p = [], [], [], []
        x, P = mu.copy(), dec.initial_covariance_.copy()
        for t in range(b - a):
            if t > 0:
                x = mu + A @ (x - mu)
                P = A @ P @ A.T + W
            xs_p.append(x)
            Ps_p.append(P)
            if t >= lag:
                K = P @ H.T @ np.linalg.inv(H @ P @ H.T + Q)
                x = x + K @ (Z[a + t - lag] - H @ x - d)
                P = (eye - K @ H) @ P
            xs_f.append(x)
            Ps_f.append(P)
        if smooth:
            xs = list(xs_f)
            for t in range(b - a - 2, -1, -1):
                C = Ps_f[t] @ A.T @ np.linalg.inv(Ps_p[t + 1])
                xs[t] = xs_f[t] + C @ (xs[t + 1] - xs_p[t + 1])
            xs_f = xs
        out.extend(xs_f)
    return np.array(out)


@pytest.fixture
def system(rng):
    lengths = rng.integers(150, 450, size=20)
    return simulate(rng, lengths)


# --------------------------------------------------------------------------- fitting
def test_recovers_known_dynamics(system):
    z, x, ids, truth = system
    dec = KalmanDecoder().fit(z, x, segments=ids)
    np.testing.assert_allclose(dec.A_, A_TRUE, atol=0.03)
    np.testing.assert_allclose(dec.W_, W_TRUE, atol=0.01)
    np.testing.assert_allclose(dec.H_, truth["H"], atol=0.1)
    np.testing.assert_allclose(dec.observation_intercept_, truth["d"], atol=0.1)
    np.testing.assert_allclose(np.diag(dec.Q_), np.diag(truth["Q"]), rtol=0.1)
    assert dec.n_outputs_ == 2 and dec.n_features_in_ == z.shape[1]


@pytest.mark.parametrize("lag", [0, 2])
@pytest.mark.parametrize("standardize", [True, False])
def test_fit_is_least_squares_on_pairs_inside_segments(system, lag, standardize):
    """A, W, H, Q are the closed-form least-squares fits (Neural_Decoding's, plus an
    intercept), on pairs that never straddle a segment boundary."""
    z, x, ids, _ = system
    dec = KalmanDecoder(lag=lag, noise_scale=2.0, standardize=standardize)
    dec.fit(z, x, segments=ids)
    xc = x - x.mean(axis=0)
    prev = np.concatenate([np.arange(a, b - 1) for a, b in bounds_of(ids)])
    A = np.linalg.lstsq(xc[prev], xc[prev + 1], rcond=None)[0].T
    R = xc[prev + 1] - xc[prev] @ A.T
    rows = np.concatenate([np.arange(a + lag, b) for a, b in bounds_of(ids)])
    design = np.c_[x[rows], np.ones(len(rows))]
    coef = np.linalg.lstsq(design, z[rows - lag], rcond=None)[0]
    E = z[rows - lag] - design @ coef
    np.testing.assert_allclose(dec.A_, A, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(dec.W_, 2.0 * R.T @ R / len(R), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(dec.H_, coef[:2].T, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(dec.observation_intercept_, coef[2], rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(dec.Q_, E.T @ E / len(E), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(dec.initial_covariance_, np.cov(x.T, bias=True), rtol=1e-10)


def test_l2_shrinks_the_observation_matrix(system):
    z, x, ids, _ = system
    norms = [np.linalg.norm(KalmanDecoder(l2=l2).fit(z, x, segments=ids).H_)
             for l2 in (0.0, 0.1, 10.0)]
    assert norms[0] > norms[1] > norms[2]


# --------------------------------------------------------------------------- filter, smoother
@pytest.mark.parametrize("lag", [0, 2])
@pytest.mark.parametrize("smooth", [False, True])
def test_predictions_are_exactly_the_reference_filter(rng, lag, smooth):
    z, x, ids, _ = simulate(rng, [120, 40, 3, 80, 200, 5])
    dec = KalmanDecoder(lag=lag, smooth=smooth, noise_scale=1.5).fit(z, x, segments=ids)
    zt, _, ids_t, _ = simulate(np.random.default_rng(99), [60, 3, 90, 25])
    expected = reference_filter(dec, zt, ids_t, lag=lag, smooth=smooth)
    np.testing.assert_allclose(dec.predict(zt, segments=ids_t), expected, rtol=1e-9,
                               atol=1e-11)


def test_filter_decodes_and_smoother_improves(rng):
    z, x, ids, _ = simulate(rng, [2000, 2000, 1000])
    train, test = ids < 2, ids == 2
    filt = KalmanDecoder().fit(z[train], x[train], segments=ids[train])
    smooth = clone(filt).set_params(smooth=True).fit(z[train], x[train], segments=ids[train])
    err_f = np.mean((filt.predict(z[test]) - x[test]) ** 2)
    err_s = np.mean((smooth.predict(z[test]) - x[test]) ** 2)
    assert filt.score(z[test], x[test]) > 0.8
    assert err_s < 0.9 * err_f


# --------------------------------------------------------------------------- segments
def test_filter_restarts_at_each_segment(rng):
    z, x, ids, _ = simulate(rng, [300, 100, 200])
    dec = KalmanDecoder().fit(z, x, segments=ids)
    whole = dec.predict(z, segments=ids)
    for a, b in bounds_of(ids):
        np.testing.assert_allclose(whole[a:b], dec.predict(z[a:b]), rtol=1e-12, atol=1e-14)
    assert not np.allclose(whole, dec.predict(z))  # one long segment filters through


@pytest.mark.parametrize("smooth", [False, True])
def test_shuffling_segments_leaves_results_unchanged(rng, smooth):
    z, x, ids, _ = simulate(rng, [250, 60, 180, 120, 90])
    order = rng.permutation(5)
    perm = np.concatenate([np.flatnonzero(ids == k) for k in order])
    dec = KalmanDecoder(smooth=smooth).fit(z, x, segments=ids)
    shuffled = KalmanDecoder(smooth=smooth).fit(z[perm], x[perm], segments=ids[perm])
    np.testing.assert_allclose(shuffled.A_, dec.A_, rtol=1e-10)
    np.testing.assert_allclose(shuffled.H_, dec.H_, rtol=1e-10)
    pred = dec.predict(z, segments=ids)
    np.testing.assert_allclose(dec.predict(z[perm], segments=ids[perm]), pred[perm],
                               rtol=1e-12, atol=1e-14)


def test_recording_brings_its_segments(rng):
    z, x, ids, _ = simulate(rng, [200, 150, 100])
    z = z.astype(np.float32)  # what a Recording stores
    times = np.arange(len(z)) * 0.05
    times[350:] += 10.0  # a gap inside trial 1: a third segment
    trial = np.where(ids == 2, 1, ids)  # trials 0 and 1 (1 holds segments 1 and 2)
    rec = Recording(z, x, kind="linear", bin_size=0.05, times=times, trial_id=trial)
    dec = KalmanDecoder().fit(rec)
    same = KalmanDecoder().fit(z, x, segments=ids)
    np.testing.assert_allclose(dec.A_, same.A_, rtol=1e-10)
    np.testing.assert_allclose(dec.predict(rec), same.predict(z, segments=ids), rtol=1e-10)
    assert dec.score(rec) == pytest.approx(same.score(z, x, segments=ids), rel=1e-10)


# --------------------------------------------------------------------------- causality
@pytest.mark.parametrize("lag", [0, 3])
def test_filter_never_reads_a_future_bin(rng, lag):
    z, x, ids, _ = simulate(rng, [400])
    dec = KalmanDecoder(lag=lag).fit(z, x)
    changed = z.copy()
    changed[250:] = rng.normal(size=changed[250:].shape) * 10
    before, after = dec.predict(z), dec.predict(changed)
    np.testing.assert_array_equal(before[:250 + lag], after[:250 + lag])
    assert not np.allclose(before[250 + lag:], after[250 + lag:])
    smoother = clone(dec).set_params(smooth=True).fit(z, x)
    assert not np.allclose(smoother.predict(z)[:250], smoother.predict(changed)[:250])


def test_causality_is_named():
    assert KalmanDecoder().causal and not KalmanDecoder(smooth=True).causal
    assert repr(KalmanDecoder(smooth=True)).endswith("# non-causal")
    assert "non-causal" not in repr(KalmanDecoder(lag=2))
    assert KalmanDecoder.uses_segments


# --------------------------------------------------------------------------- errors
def _data(n=60):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 4)), rng.normal(size=(n, 2))


@pytest.mark.parametrize("kwargs, fit_kw, expectation", [
    ({}, {}, does_not_raise()),
    ({"lag": 3}, {"segments": np.repeat([0, 1, 2], 20)}, does_not_raise()),
    ({"noise_scale": 0.0}, {}, pytest.raises(ValueError, match="'noise_scale'.*> 0")),
    ({"lag": -1}, {}, pytest.raises(ValueError, match="'lag'.*>= 0")),
    ({"lag": 1.5}, {}, pytest.raises(TypeError, match="'lag'.*an int")),
    ({"l2": -1.0}, {}, pytest.raises(ValueError, match="'l2'")),
    ({"smooth": "yes"}, {}, pytest.raises(TypeError, match="'smooth'.*bool")),
    ({}, {"segments": np.zeros(59, dtype=int)},
     pytest.raises(ValueError, match="X has 60, segments has 59")),
    ({}, {"segments": np.zeros(60)}, pytest.raises(TypeError, match="integer segment ids")),
    ({}, {"segments": np.arange(60)}, pytest.raises(ValueError, match="no segment holds 2")),
    ({"lag": 3}, {"segments": np.r_[np.zeros(30, int), [7, 7], np.ones(28, int)]},
     pytest.raises(ValueError, match=r"segment 1 \(id 7, samples 30..31\) has 2 sample")),
])
def test_bad_input_gets_clear_errors(kwargs, fit_kw, expectation):
    X, y = _data()
    with expectation:
        KalmanDecoder(**kwargs).fit(X, y, **fit_kw)


def test_predict_checks_segments():
    X, y = _data()
    dec = KalmanDecoder(lag=2).fit(X, y)
    with pytest.raises(ValueError, match="X has 60, segments has 61"):
        dec.predict(X, segments=np.zeros(61, dtype=int))
    with pytest.raises(ValueError, match=r"segment 0 \(id 0, samples 0..1\) has 2 sample"):
        dec.predict(X, segments=np.r_[0, 0, np.ones(58, int)])


def test_refuses_categorical_and_circular_recordings():
    X, y = _data()
    labels = np.where(y[:, 0] > 0, "left", "right")
    with pytest.raises(ValueError, match="categorical.*classifier"):
        KalmanDecoder().fit(Recording(X, labels, kind="categorical"))
    with pytest.raises(ValueError, match="circular.*cos, sin"):
        KalmanDecoder().fit(Recording(X, np.mod(y[:, 0], 1.0), kind="circular", period=1.0))


def test_save_and_load_round_trip(tmp_path, rng):
    z, x, ids, _ = simulate(rng, [150, 100])
    dec = KalmanDecoder(lag=1, smooth=True).fit(z, x, segments=ids)
    same = load(dec.save(tmp_path / "kf"))
    assert isinstance(same, KalmanDecoder) and same.smooth
    np.testing.assert_array_equal(same.predict(z, segments=ids), dec.predict(z, segments=ids))


# --------------------------------------------------------------------------- real data
@pytest.mark.shared_data
def test_m1_hand_velocity_on_a_contiguous_split(shared_file):
    """Stevenson M1, first 80% of bins to train, last 20% to test: the state is hand
    position, velocity and acceleration (Glaser et al.'s Kalman state), responses lead by
    one 50 ms bin; R^2 of velocity. Measured 0.696 (0.594 with velocity alone, lag 2)."""
    from neurodecode.data.datasets import load_stevenson_m1

    path = shared_file("monkey_m1_reaching_stevenson2011.mat")
    vel, pos = load_stevenson_m1(path), load_stevenson_m1(path, target="position")
    X = vel.responses.astype(np.float64)
    acc = np.vstack([np.zeros((1, 2)), np.diff(vel.stimulus, axis=0)]) / vel.bin_size
    states = np.c_[pos.stimulus, vel.stimulus, acc]
    cut = int(0.8 * len(X))
    dec = KalmanDecoder(lag=1).fit(X[:cut], states[:cut])
    r2 = r2_score(vel.stimulus[cut:], dec.predict(X[cut:])[:, 2:4])
    print(f"M1 Kalman (pos, vel, acc; lag 1) velocity R^2 = {r2:.3f}")
    assert r2 > 0.6

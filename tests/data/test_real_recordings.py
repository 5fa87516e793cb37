"""The three real MATLAB recordings load with the right shapes and decode as documented.

Each reference check is an independent truth from ../shared/data/README.md, computed here
with numpy alone: a nearest-class-mean decoder on V1, a population-vector decoder on
head direction, a ridge regression on M1 with two bins of history.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from neurodecode.data.binning import segments
from neurodecode.data.datasets import load_park_v1, load_peyrache_hd, load_stevenson_m1
from neurodecode.data.matlab import load_mat

pytestmark = pytest.mark.shared_data

V1 = "mouse_v1_2p_gratings_park2024_mrcuts28_fov4.mat"
HD = "mouse_adn_headdirection_peyrache2015.mat"
M1 = "monkey_m1_reaching_stevenson2011.mat"


# ---------------------------------------------------------------------- V1 (Park)
def nearest_class_mean_loo(X: np.ndarray, y: np.ndarray) -> float:
    """Leave-one-out accuracy of a nearest-class-mean (Euclidean) decoder."""
    classes = np.unique(y)
    sums = np.stack([X[y == c].sum(axis=0) for c in classes])
    counts = np.array([(y == c).sum() for c in classes], dtype=float)
    correct = 0
    for i in range(len(y)):
        own = np.searchsorted(classes, y[i])
        s, n = sums.copy(), counts.copy()
        s[own] -= X[i]
        n[own] -= 1
        means = s / n[:, None]
        correct += classes[np.argmin(((means - X[i]) ** 2).sum(axis=1))] == y[i]
    return correct / len(y)


@pytest.fixture(scope="module")
def v1(shared_file):
    return load_park_v1(shared_file(V1))


def test_v1_shape_and_stimulus(v1):
    assert v1.shape == (128, 56)
    assert v1.kind == "circular" and v1.period == 360.0
    assert not v1.is_time_binned
    values, counts = np.unique(v1.stimulus, return_counts=True)
    np.testing.assert_array_equal(values, np.arange(0, 360, 45))
    np.testing.assert_array_equal(counts, 16)
    np.testing.assert_array_equal(v1.neurons["id"], np.arange(1, 57))
    assert v1.neurons["name"][0] == "neuron1"
    assert set(v1.trials) == {"direction", "pupil", "speed"}
    assert v1.meta["format"] == "mat-v5"


def test_v1_matches_the_readme_recipe(v1, shared_file):
    """X = mean over 0 < t <= 2 minus mean over t < 0, built here from load_mat pieces."""
    first = load_mat(shared_file(V1), responses="D.neuron1", stimulus="TE.direction",
                     kind="linear", neurons_axis=1)  # neuron 1's cell: 128 trials x 49 frames
    assert first.shape == (128, 49)
    frames = first.responses.astype(np.float64)  # (128 trials, 49 frames)
    time = v1.meta["frame_times"]
    x0 = frames[:, (time > 0) & (time <= 2)].mean(1) - frames[:, time < 0].mean(1)
    np.testing.assert_allclose(v1.responses[:, 0], x0, rtol=1e-5, atol=1e-6)


def test_v1_nearest_class_mean_decodes_direction(v1):
    acc = nearest_class_mean_loo(v1.responses.astype(np.float64), v1.stimulus)
    assert 0.57 <= acc <= 0.66, acc


def test_v1_pre_stimulus_window_is_near_chance(shared_file):
    pre = load_park_v1(shared_file(V1), window=(-1.0, 0.0), baseline=None)
    acc = nearest_class_mean_loo(pre.responses.astype(np.float64), pre.stimulus)
    assert acc < 0.3, acc


def test_v1_orientation(shared_file):
    ori = load_park_v1(shared_file(V1), orientation=True)
    assert ori.period == 180.0
    np.testing.assert_array_equal(np.unique(ori.stimulus), [0, 45, 90, 135])
    np.testing.assert_array_equal(ori.stimulus, ori.trials["direction"] % 180)


@pytest.fixture(scope="module")
def v1_frames(shared_file):
    path = shared_file(V1)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    rec = load_park_v1(path, time_resolved=True)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest  # opened read-only
    return rec


def test_v1_time_resolved_shape_and_frames(v1_frames, shared_file):
    rec = v1_frames
    assert rec.is_time_resolved and rec.shape == (128, 49, 56)
    np.testing.assert_allclose(rec.epoch_times, -1.0 + np.arange(49) / 16)
    assert rec.kind == "circular" and rec.period == 360.0
    assert rec.meta["baseline"] is None and rec.meta["window"] is None
    # no baseline subtracted by default: neuron 1's frames as stored in its cell
    first = load_mat(shared_file(V1), responses="D.neuron1", stimulus="TE.direction",
                     kind="linear", neurons_axis=1)
    np.testing.assert_array_equal(rec.responses[:, :, 0], first.responses)
    assert set(rec.trials) == {"direction", "pupil", "speed"}


def test_v1_time_resolved_averages_to_the_trial_responses(v1, v1_frames, shared_file):
    """mean_over takes start <= t < stop, the 2-D loader start < t <= stop: on the 1/16 s
    grid the default response (0, 2] is mean_over(1/16, 2 + 1/16)."""
    t = v1_frames.epoch_times
    based = load_park_v1(shared_file(V1), time_resolved=True, baseline=(-1.0, 0.0))
    np.testing.assert_allclose(based.mean_over(1 / 16, 2 + 1 / 16).responses, v1.responses,
                               rtol=1e-5, atol=1e-5)
    # baseline: each trial's and neuron's mean over -1 <= t < 0, subtracted from every frame
    baseline = v1_frames.mean_over(-1.0, 0.0).responses
    np.testing.assert_allclose(based.responses, v1_frames.responses - baseline[:, None],
                               rtol=1e-5, atol=1e-5)
    # mean_over(0, 2) minus the baseline is the 2-D loader's frames 0 <= t < 2
    shifted = load_park_v1(shared_file(V1), window=(-1 / 16, 2 - 1 / 16))
    np.testing.assert_allclose(v1_frames.mean_over(0.0, 2.0).responses - baseline,
                               shifted.responses, rtol=1e-5, atol=1e-5)
    assert ((t >= 0) & (t < 2)).sum() == 32


@pytest.mark.parametrize("kwargs, match", [
    ({"time_resolved": True, "window": (0.0, 2.0)},
     r"'window' parameter of load_park_v1 .* leave window=None \(got \(0.0, 2.0\)\)"),
    ({"baseline": "pre"}, r"'baseline' parameter of load_park_v1 must be \(start, stop\) in "
                          r"seconds, None or 'auto'. Got 'pre' instead"),
    ({"time_resolved": True, "baseline": (3.0, 4.0)},
     r"'baseline' window \(3.0, 4.0\) holds no frame; frames run from -1 to 2 s"),
])
def test_v1_time_resolved_errors(shared_file, kwargs, match):
    with pytest.raises(ValueError, match=match):
        load_park_v1(shared_file(V1), **kwargs)


# ---------------------------------------------------------------------- HD (Peyrache)
@pytest.fixture(scope="module")
def hd(shared_file):
    return load_peyrache_hd(shared_file(HD))


def test_hd_shape_and_kind(hd):
    assert hd.shape == (212078, 19)
    assert hd.response_type == "counts" and hd.bin_size == 0.01
    assert hd.kind == "circular" and hd.period == pytest.approx(2 * np.pi)
    assert hd.stimulus.min() >= 0 and hd.stimulus.max() < 2 * np.pi
    assert hd.neurons["prefHD"].shape == (19,)
    assert hd.meta["hdTuning"].shape == (61, 20)


def test_hd_bin_times_are_rebuilt_per_run(hd):
    """Tracking times repeat across rows; bin times must not, and runs are the segments."""
    raw = hd.trials["tracking_time"]
    assert (np.diff(raw) == 0).sum() > 100_000  # the README's repeated rows
    assert np.all(np.diff(hd.times) > 0)
    segs = segments(hd)
    assert len(segs) == 113 == hd.meta["n_runs"]  # 112 gaps longer than 50 ms
    assert len(np.unique(hd.trial_id)) == 113
    # within a run bin times stay within one tracking frame (25.6 ms) of the tracker
    assert np.abs(hd.times - raw).max() < 0.0256


def test_hd_rebin_and_population_vector(hd):
    coarse = hd.rebin(10)
    assert coarse.bin_size == pytest.approx(0.1)
    assert coarse.response_type == "counts"
    assert 21000 < coarse.n_samples <= hd.n_samples // 10
    z = coarse.responses.astype(np.float64) @ np.exp(1j * hd.neurons["prefHD"])
    decoded = np.angle(z)
    error = np.abs(np.angle(np.exp(1j * (decoded - coarse.stimulus))))
    median_deg = np.degrees(np.median(error))
    assert 12 <= median_deg <= 25, median_deg


# ---------------------------------------------------------------------- M1 (Stevenson)
@pytest.fixture(scope="module")
def m1(shared_file):
    return load_stevenson_m1(shared_file(M1))


def test_m1_shape_and_target(m1):
    assert m1.shape == (15536, 171)
    assert m1.kind == "linear" and m1.stimulus.shape == (15536, 2)
    assert m1.response_type == "counts" and m1.bin_size == 0.05
    assert len(segments(m1)) == 1
    assert 12.0 < m1.times[0] < 13.0 and 789.0 < m1.times[-1] < 790.0


def test_m1_velocity_is_the_derivative_of_position(m1, shared_file):
    pos = load_stevenson_m1(shared_file(M1), target="position")
    derivative = np.gradient(pos.stimulus, pos.times, axis=0)
    for k in range(2):
        assert np.corrcoef(derivative[:, k], m1.stimulus[:, k])[0, 1] > 0.9


def test_m1_ridge_with_history(m1):
    rec = m1.add_history(2)
    assert rec.shape == (15536 - 2, 171 * 3)
    X, y = rec.responses.astype(np.float64), rec.stimulus
    pred = np.empty_like(y)
    for test in np.array_split(np.arange(len(y)), 5):  # 5 contiguous blocks
        train = np.ones(len(y), dtype=bool)
        train[test] = False
        mu, sd = X[train].mean(0), X[train].std(0) + 1e-8
        A = (X[train] - mu) / sd
        y_mean = y[train].mean(0)
        w = np.linalg.solve(A.T @ A + 10.0 * np.eye(A.shape[1]), A.T @ (y[train] - y_mean))
        pred[test] = (X[test] - mu) / sd @ w + y_mean
    r2 = 1 - ((y - pred) ** 2).sum(0) / ((y - y.mean(0)) ** 2).sum(0)
    assert r2.mean() > 0.5, r2

"""Recordings that hold each trial's responses over time (trials x times x neurons)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neurodecode.data import Recording
from neurodecode.decoders import LinearDecoder, LogisticDecoder
from neurodecode.evaluate import cross_validate


def _rec(n=6, t=5, p=3, counts=False):
    rng = np.random.default_rng(0)
    resp = rng.poisson(3.0, (n, t, p)).astype(float)
    return Recording(resp, np.arange(n) % 2, kind="categorical",
                     response_type="counts" if counts else "continuous",
                     epoch_times=np.linspace(-0.2, 0.2, t))


def test_shape_and_repr():
    rec = _rec()
    assert rec.is_time_resolved and rec.shape == (6, 5, 3) and rec.n_times == 5
    assert rec.n_neurons == 3 and rec.n_trials == 6
    assert "6 trials x 5 times (-0.2 to 0.2 s) x 3 neurons" in repr(rec)


def test_at_takes_the_nearest_time_point():
    rec = _rec()
    one = rec.at(0.09)
    assert not one.is_time_resolved and one.shape == (6, 3)
    np.testing.assert_array_equal(one.responses, rec.responses[:, 3])
    assert one.meta["epoch_time"] == pytest.approx(0.1)


def test_mean_over_averages_the_window_and_counts_become_continuous():
    rec = _rec(counts=True)
    win = rec.mean_over(-0.1, 0.1)  # time points -0.1 and 0.0
    np.testing.assert_allclose(win.responses, rec.responses[:, 1:3].mean(axis=1), rtol=1e-6)
    assert win.response_type == "continuous"
    assert rec.mean_over(0.0, 0.05).response_type == "counts"  # one time point


def test_select_keeps_the_time_axis():
    rec = _rec()
    sub = rec.select(trials=[0, 2], neurons=[1])
    assert sub.shape == (2, 5, 1)
    np.testing.assert_array_equal(sub.epoch_times, rec.epoch_times)


@pytest.mark.parametrize("kwargs, match", [
    ({"epoch_times": None}, "need epoch_times"),
    ({"epoch_times": [0.0, 0.1]}, "one time per time point: responses have 5"),
    ({"epoch_times": [0.0, 0.1, 0.1, 0.2, 0.3]}, "strictly increase"),
    ({"epoch_times": np.arange(5.0), "bin_size": 0.1}, "Pass one of them"),
])
def test_bad_epoch_times_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Recording(np.ones((4, 5, 2)), [0, 1, 0, 1], kind="categorical", **kwargs)


def test_epoch_times_on_2d_responses_are_refused():
    with pytest.raises(ValueError, match="epoch_times applies to responses over time"):
        Recording(np.ones((4, 2)), [0, 1, 0, 1], kind="categorical", epoch_times=[0.0, 1.0])


def test_window_outside_the_epoch_is_named():
    rec = _rec()
    with pytest.raises(ValueError, match="outside this Recording's epoch, -0.2 to 0.2 s"):
        rec.at(3.0)
    with pytest.raises(ValueError, match=r"No time point .* in \[1, 2\) s"):
        rec.mean_over(1.0, 2.0)
    with pytest.raises(ValueError, match="needs responses over time"):
        rec.at(0.0).at(0.0)


def test_nan_in_3d_responses_names_trials_and_neurons():
    resp = np.ones((4, 3, 2))
    resp[2, 1, 1] = np.nan
    with pytest.raises(ValueError, match="trials 2 and neurons 1"):
        Recording(resp, [0, 1, 0, 1], kind="categorical", epoch_times=[0.0, 0.1, 0.2])


@pytest.mark.parametrize("call", [
    lambda rec: LogisticDecoder().fit(rec),
    lambda rec: cross_validate(LogisticDecoder(), rec, cv=2),
    lambda rec: LinearDecoder().fit(rec.with_stimulus(np.arange(6.0), kind="linear")),
])
def test_single_time_consumers_say_how_to_pick_a_time(call):
    with pytest.raises(ValueError, match=r"recording\.at\(t\).*mean_over.*decode_over_time"):
        call(_rec())


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 5), t=st.integers(1, 6), p=st.integers(1, 4))
def test_at_every_time_point_gives_back_the_slices(n, t, p):
    resp = np.arange(n * t * p, dtype=float).reshape(n, t, p)
    times = np.arange(t) * 0.05 - 0.1
    rec = Recording(resp, np.zeros(n), kind="linear", epoch_times=times)
    for k, time in enumerate(times):
        np.testing.assert_array_equal(rec.at(time).responses, resp[:, k])
    full = rec.mean_over(times[0], times[-1] + 1.0)
    np.testing.assert_allclose(full.responses, resp.mean(axis=1), rtol=1e-6)

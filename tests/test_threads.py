"""Thread budgets: small work on one thread, large work on the free cores, within the
user's limit, for every decoder family (torch training and prediction, Kalman, Wiener)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import neurodecode._threads as threads
from neurodecode import limit_threads
from neurodecode.decoders import (
    KalmanDecoder,
    MLPDecoder,
    RNNDecoder,
    WienerCascadeDecoder,
)
from neurodecode.decoders._training import TorchDecoder


@pytest.fixture
def two_free_cores(monkeypatch):
    """A machine with 2 free cores, whatever this one is doing."""
    monkeypatch.setattr(threads, "_cores", lambda: 2)
    monkeypatch.setattr(threads, "_idle_cores", lambda cores: 2.0)
    threads._CACHE.clear()
    before = torch.get_num_threads()
    yield
    threads._CACHE.clear()
    torch.set_num_threads(before)


def test_small_work_runs_on_one_thread_and_large_on_the_free_cores(two_free_cores):
    with threads.thread_budget(1e3) as n:
        assert n == 1 and torch.get_num_threads() == 1
    with threads.thread_budget(1e12) as n:
        assert n == 2 and torch.get_num_threads() == 2
    with limit_threads(1), threads.thread_budget(1e12) as n:
        assert n == 1 and torch.get_num_threads() == 1


def _spy_training_threads(monkeypatch) -> list[int]:
    seen: list[int] = []
    original = TorchDecoder._run_epoch

    def spy(self, *args, **kwargs):
        seen.append(torch.get_num_threads())
        return original(self, *args, **kwargs)

    monkeypatch.setattr(TorchDecoder, "_run_epoch", spy)
    return seen


@pytest.mark.parametrize("make", [
    lambda: MLPDecoder(hidden=(4,), max_epochs=2, device="cpu", random_state=0),
    lambda: RNNDecoder(hidden=4, window=3, max_epochs=2, device="cpu", random_state=0),
])
def test_torch_training_follows_the_budget(two_free_cores, monkeypatch, make):
    rng = np.random.default_rng(0)
    X, y = rng.poisson(2.0, (80, 5)).astype(float), rng.normal(size=80)
    seen = _spy_training_threads(monkeypatch)
    make().fit(X, y)  # a few thousand operations: one thread
    assert seen and set(seen) == {1}
    monkeypatch.setattr(threads, "SMALL_WORK", 0.0)  # now everything counts as large
    seen.clear()
    make().fit(X, y)
    assert set(seen) == {2}
    seen.clear()
    with limit_threads(1):
        make().fit(X, y)
    assert set(seen) == {1}


def test_kalman_and_wiener_predictions_follow_the_budget(two_free_cores, monkeypatch):
    rng = np.random.default_rng(1)
    X, y = rng.poisson(2.0, (200, 6)).astype(float), rng.normal(size=(200, 2))
    budgets: list[float] = []
    original = threads.thread_budget

    def spy(flops):
        budgets.append(flops)
        return original(flops)

    import neurodecode.decoders.kalman as kalman
    import neurodecode.decoders.wiener as wiener

    monkeypatch.setattr(kalman, "thread_budget", spy)
    monkeypatch.setattr(wiener, "thread_budget", spy)
    KalmanDecoder().fit(X, y).predict(X)
    WienerCascadeDecoder(n_lags=2).fit(X, y).predict(X)
    assert len(budgets) == 2 and all(b > 0 for b in budgets)

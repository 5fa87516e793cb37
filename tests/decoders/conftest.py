"""Fixtures of the decoder tests: one BLAS thread, a small population split into train/test."""

from __future__ import annotations

import pytest
import torch
from threadpoolctl import threadpool_limits

from neurodecode.data import orientation_population

from ._helpers import split


@pytest.fixture(autouse=True)
def single_thread():
    """Run each test on one BLAS/OpenMP thread.

    The problems here are small, where one thread is as fast as several; with two threads
    on a two-core machine that is busy with anything else, MKL and OpenBLAS spin-wait and
    an 800 x 200 SVD can take a second instead of 10 ms.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(limits=1):
            yield
    finally:
        torch.set_num_threads(before)


@pytest.fixture
def population(seed):
    """200 Poisson orientation-tuned neurons x 1200 trials (800 train, 400 test), truth."""
    rec, truth = orientation_population(200, 1200, random_state=seed)
    train, test = split(rec, 800)
    return train, test, truth

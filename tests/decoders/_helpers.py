"""Small helpers shared by the decoder tests."""

from __future__ import annotations

import numpy as np


def angular_error(a, b, period=180.0):
    """Absolute error on the circle, in [0, period / 2]."""
    d = np.abs(np.asarray(a, dtype=float) - np.asarray(b, dtype=float)) % period
    return np.minimum(d, period - d)


def split(recording, n_train):
    """First ``n_train`` trials for training, the rest for testing."""
    idx = np.arange(recording.n_samples)
    return recording.select(trials=idx[:n_train]), recording.select(trials=idx[n_train:])

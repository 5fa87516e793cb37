"""Classification scores computed from one bincount equal scikit-learn's."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import sklearn.metrics as skm
from hypothesis import given, settings
from hypothesis import strategies as st

from neurodecode.evaluate.metrics import SCORERS


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 5)), min_size=1, max_size=40))
def test_classification_scores_equal_sklearn(pairs):
    t, p = (np.array(v) for v in zip(*pairs))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn warns about labels absent from y_true
        expected = {"accuracy": skm.accuracy_score(t, p),
                    "balanced_accuracy": skm.balanced_accuracy_score(t, p),
                    "f1_macro": skm.f1_score(t, p, average="macro")}
    for name, value in expected.items():
        assert SCORERS[name][0](t, p) == pytest.approx(value, abs=1e-12)

"""The Recording container: validation, views, tensors."""

from __future__ import annotations

from contextlib import nullcontext as does_not_raise

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from neurodecode.data import Recording

GOOD = dict(responses=np.ones((4, 3)), stimulus=[0.0, 45.0, 90.0, 135.0], kind="circular",
            period=180.0)


def nan_at(i, j):
    r = np.ones((4, 3))
    r[i, j] = np.nan
    return r


@pytest.mark.parametrize(
    "changes, expectation",
    [
        ({}, does_not_raise()),
        ({"kind": "angle"}, pytest.raises(ValueError, match="'kind' parameter of Recording "
                                                            "must be one of")),
        ({"responses": np.ones((3, 3))},
         pytest.raises(ValueError, match="responses has 3, stimulus has 4")),
        ({"responses": np.ones(4)}, pytest.raises(ValueError, match="must be 2-D")),
        ({"responses": np.ones((0, 3)), "stimulus": []},
         pytest.raises(ValueError, match="empty")),
        ({"responses": np.ones((4, 0))}, pytest.raises(ValueError, match="empty")),
        ({"responses": nan_at(2, 1)},
         pytest.raises(ValueError, match="NaN or inf values, in trials 2 and neurons 1")),
        ({"stimulus": [0.0, 45.0, 190.0, 135.0]},
         pytest.raises(ValueError, match=r"\[0, 180\).*190 at sample 2.*stimulus % 180")),
        ({"stimulus": [0.0, 45.0, 180.0, 135.0]}, pytest.raises(ValueError, match="period")),
        ({"stimulus": [0.0, -1.0, 10.0, 135.0]}, pytest.raises(ValueError, match="period")),
        ({"stimulus": [0.0, np.nan, 10.0, 135.0]}, pytest.raises(ValueError, match="NaN")),
        ({"period": None}, pytest.raises(ValueError, match="needs its period")),
        ({"period": -180.0}, pytest.raises(ValueError, match="'period'")),
        ({"kind": "linear"}, pytest.raises(ValueError, match="only to circular")),
        ({"kind": "linear", "period": None}, does_not_raise()),
        ({"kind": "categorical", "period": None, "stimulus": ["a", "b", "a", "b"]},
         does_not_raise()),
        ({"kind": "linear", "period": None, "stimulus": ["a", "b", "a", "b"]},
         pytest.raises(TypeError, match="must be numeric")),
        ({"kind": "categorical", "period": None, "stimulus": np.ones((4, 2))},
         pytest.raises(ValueError, match="must be 1-D")),
        ({"kind": "linear", "period": None, "stimulus": np.ones((4, 2))}, does_not_raise()),
        ({"responses": -np.ones((4, 3)), "response_type": "counts"},
         pytest.raises(ValueError, match="negative")),
        ({"responses": np.full((4, 3), 0.5), "response_type": "counts"},
         pytest.raises(ValueError, match="non-integer")),
        ({"response_type": "spikes"}, pytest.raises(ValueError, match="response_type")),
        ({"responses": np.array([["a"] * 3] * 4)}, pytest.raises(TypeError, match="numbers")),
        ({"trials": {"contrast": [1, 2]}},
         pytest.raises(ValueError, match="Column 'contrast' of trials must have one value")),
        ({"neurons": {"area": ["V1"] * 2}}, pytest.raises(ValueError, match="'area'")),
        ({"trials": [1, 2, 3, 4]}, pytest.raises(TypeError, match="mapping")),
        ({"bin_size": 0.0}, pytest.raises(ValueError, match="'bin_size'")),
        ({"times": [0, 1, 2]}, pytest.raises(ValueError, match="times has 3")),
        ({"trial_id": [0, 0, 1]}, pytest.raises(ValueError, match="trial_id has 3")),
    ],
)
def test_validation_table(changes, expectation):
    with expectation:
        Recording(**{**GOOD, **changes})


def test_responses_stored_as_float32_and_tensor_input():
    rec = Recording(torch.arange(6.0, dtype=torch.float64).reshape(3, 2), [1, 2, 3],
                    kind="linear")
    assert rec.responses.dtype == np.float32
    assert rec.shape == (3, 2) and len(rec) == 3 and rec.n_neurons == 2


def test_repr_says_shape_kind_and_source():
    rec = Recording(np.ones((4, 3)), [0.0, 1.0, 2.0, 3.0], kind="circular", period=360,
                    meta={"source": "session.nwb"})
    assert repr(rec) == ("Recording(4 trials x 3 neurons, stimulus: circular, period 360, "
                         "source session.nwb)")
    cat = Recording(np.ones((3, 2)), ["a", "b", "a"], kind="categorical")
    assert "2 classes" in repr(cat)
    tb = Recording(np.ones((3, 2)), np.ones((3, 2)), kind="linear", bin_size=0.05)
    assert "3 time bins" in repr(tb) and "2 outputs" in repr(tb) and "bin_size 0.05 s" in repr(tb)


def test_select_cuts_every_table_alike():
    rec = Recording(np.arange(12.0).reshape(4, 3), [0.0, 45.0, 90.0, 135.0], kind="circular",
                    period=180, trials={"contrast": [1, 2, 3, 4]},
                    neurons={"area": ["V1", "V1", "LM"]}, times=[0, 1, 2, 3],
                    trial_id=[0, 0, 1, 1])
    sub = rec.select(trials=[3, 1], neurons=np.array([True, False, True]))
    np.testing.assert_array_equal(sub.responses, [[9, 11], [3, 5]])
    np.testing.assert_array_equal(sub.stimulus, [135, 45])
    np.testing.assert_array_equal(sub.trials["contrast"], [4, 2])
    np.testing.assert_array_equal(sub.neurons["area"], ["V1", "LM"])
    np.testing.assert_array_equal(sub.neurons["id"], [0, 2])
    np.testing.assert_array_equal(sub.times, [3, 1])
    np.testing.assert_array_equal(sub.trial_id, [1, 0])
    assert rec.select(trials=slice(0, 2)).n_samples == 2
    with pytest.raises(ValueError, match="mask for neurons must have length 3"):
        rec.select(neurons=[True, False])
    with pytest.raises(ValueError, match=r"indices must lie in \[0, 4\)"):
        rec.select(trials=[7])
    with pytest.raises(ValueError, match="empty"):
        rec.select(trials=np.zeros(4, bool))


def test_bin_stimulus_circular_wraps_around():
    stim = np.array([0.0, 10.0, 170.0, 179.0, 50.0, 100.0])
    rec = Recording(np.ones((6, 2)), stim, kind="circular", period=180)
    binned = rec.bin_stimulus(4)  # centres 0, 45, 90, 135; edges at +-22.5
    np.testing.assert_array_equal(binned.stimulus, [0, 0, 0, 0, 45, 90])
    np.testing.assert_array_equal(binned.classes, [0, 45, 90])
    np.testing.assert_array_equal(binned.trials["stimulus_continuous"], stim)
    assert binned.kind == "categorical" and binned.period is None


def test_bin_stimulus_linear_quantile_balances_classes(rng):
    stim = rng.exponential(size=400)
    rec = Recording(np.ones((400, 2)), stim, kind="linear")
    _, counts = np.unique(rec.bin_stimulus(4, strategy="quantile").stimulus, return_counts=True)
    assert counts.tolist() == [100, 100, 100, 100]
    with pytest.raises(ValueError, match="already categorical"):
        rec.bin_stimulus(4).bin_stimulus(2)
    with pytest.raises(ValueError, match="'n_bins'"):
        rec.bin_stimulus(1)


def test_classes_only_for_categorical():
    with pytest.raises(ValueError, match="bin_stimulus"):
        _ = Recording(**GOOD).classes


def test_stimulus_column_lists_available_columns():
    rec = Recording(**GOOD, trials={"ori": [0.0, 1.0, 2.0, 3.0], "contrast": [1, 1, 1, 1]})
    assert rec.stimulus_column("ori").stimulus.tolist() == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="Column 'orientation' not found .* Available: ori, "
                                         "contrast"):
        rec.stimulus_column("orientation")


def test_to_tensors_moves_once_with_dtype():
    rec = Recording(np.ones((3, 2)), ["b", "a", "b"], kind="categorical")
    X, y = rec.to_tensors(dtype=torch.float64)
    assert X.dtype == torch.float64 and X.shape == (3, 2)
    assert y.dtype == torch.int64 and y.tolist() == [1, 0, 1]
    X, y = Recording(**GOOD).to_tensors(device="meta")
    assert X.device.type == "meta" and y.dtype == torch.float32


def test_to_frame_and_describe():
    pytest.importorskip("pandas")
    rec = Recording(np.ones((2, 2)), np.ones((2, 2)), kind="linear", trials={"x": [1, 2]},
                    times=[0.0, 0.1])
    df = rec.to_frame()
    assert list(df.columns) == ["time", "stimulus_0", "stimulus_1", "x"]
    text = Recording(np.ones((3, 2)), ["a", "b", "a"], kind="categorical").describe()
    assert "a (n=2)" in text and "b (n=1)" in text


@settings(max_examples=40, deadline=None)
@given(
    data=hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=8),
                    elements=st.floats(-1e6, 1e6)),
    period=st.sampled_from([180.0, 360.0, 2 * np.pi]),
    seed=st.integers(0, 2**16),
)
def test_any_finite_matrix_with_stimulus_in_period_is_accepted(data, period, seed):
    stim = np.random.default_rng(seed).uniform(0, period, data.shape[0])
    stim[stim >= period] = 0
    rec = Recording(data, stim, kind="circular", period=period)
    np.testing.assert_array_equal(rec.responses, data.astype(np.float32))
    assert rec.shape == data.shape


def test_time_bins_with_repeated_times_warn():
    from neurodecode.exceptions import DataWarning

    with pytest.warns(DataWarning, match="do not strictly increase"):
        Recording(np.ones((3, 1)), [1.0, 2.0, 3.0], kind="linear", bin_size=0.1,
                  times=[0.0, 0.0, 0.1])


def test_values_float32_cannot_hold_are_refused_or_flagged():
    from neurodecode.exceptions import DataWarning

    big = np.ones((4, 2))
    big[1, 1] = 1e300  # finite in float64, inf in float32
    with pytest.raises(ValueError, match=r"beyond float32's range.*would become inf"):
        Recording(big, np.arange(4.0), kind="linear")
    counts = np.full((4, 2), 2**25 + 1, dtype=np.int64)  # not exact in float32
    with pytest.warns(DataWarning, match=r"exceed 2\^24.*rounded"):
        Recording(counts, np.arange(4.0), kind="linear", response_type="counts")
    Recording(np.full((4, 2), 2**20, dtype=np.int64), np.arange(4.0), kind="linear")  # exact

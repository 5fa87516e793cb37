"""scaling_curve and fit_asymptote: no floor with independent noise, the generator's floor with
information-limiting noise, and the batched ridge path equal to the generic one."""

from __future__ import annotations

import json
from contextlib import nullcontext as does_not_raise

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from threadpoolctl import threadpool_limits

from neurodecode.data import orientation_population
from neurodecode.decoders import LinearDecoder, LogisticDecoder
from neurodecode.evaluate.scaling import (
    AsymptoteFit,
    ScalingResult,
    fit_asymptote,
    scaling_curve,
)

SIZES = [25, 50, 100, 200, 400]


@pytest.fixture(autouse=True)
def single_thread():
    """One BLAS thread: small ridge solves spin-wait on a busy two-core machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(limits=1):
            yield
    finally:
        torch.set_num_threads(before)


class GenericLinear(LinearDecoder):
    """The same model without the family's fast path: every fold is fitted in turn."""

    def _has_fast_cv(self) -> bool:
        return False


# --------------------------------------------------------------------------- fit_asymptote
@pytest.mark.parametrize("a, b", [(4.0, 0.25), (100.0, 0.0), (0.0, 2.0)])
def test_fit_asymptote_recovers_exact_curves(a, b):
    n = np.array([10, 30, 100, 300, 1000])
    fit = fit_asymptote(n, np.sqrt(a / n + b))
    assert fit.a == pytest.approx(a, abs=1e-9) and fit.b == pytest.approx(b, abs=1e-12)
    np.testing.assert_allclose(fit.predict(n), np.sqrt(a / n + b))
    if b > 0:
        assert fit.asymptote == pytest.approx(np.sqrt(b))
        assert fit.information_limit == pytest.approx(1 / b)
        assert fit.information(fit.half_size) == pytest.approx(fit.information_limit / 2)
    else:
        assert fit.information_limit == np.inf and fit.half_size == np.inf


@pytest.mark.parametrize("sizes, errors, expectation", [
    ([1, 2], [1.0, 0.8], does_not_raise()),
    ([1], [1.0], pytest.raises(ValueError, match="at least 2")),
    ([1, 2, 3], [1.0, 0.5], pytest.raises(ValueError, match="at least 2")),
    ([1, 2], [1.0, -0.5], pytest.raises(ValueError, match="positive, finite")),
    ([0, 2], [1.0, 0.5], pytest.raises(ValueError, match="positive, finite")),
])
def test_fit_asymptote_rejects_bad_inputs(sizes, errors, expectation):
    with expectation:
        assert isinstance(fit_asymptote(sizes, errors), AsymptoteFit)


# --------------------------------------------------------------------------- batched path
def test_batched_ridge_path_gives_the_same_scores_as_fitting_each_model(seed):
    rec, _ = orientation_population(60, 300, random_state=seed)
    kwargs = dict(n_neurons=[5, 20, 60], n_trials=[40, 150], n_repeats=2, cv=3,
                  random_state=seed)
    fast = scaling_curve(LinearDecoder(l2=1e-2, device="cpu"), rec, **kwargs)
    slow = scaling_curve(GenericLinear(l2=1e-2, device="cpu"), rec, **kwargs)
    assert fast.batched and not slow.batched
    np.testing.assert_allclose(fast.neurons.scores, slow.neurons.scores, rtol=1e-5)
    np.testing.assert_allclose(fast.trials.scores, slow.trials.scores, rtol=1e-5)


# --------------------------------------------------------------------------- truth
def test_independent_noise_has_no_floor(seed):
    rec, truth = orientation_population(400, 3000, random_state=seed)
    res = scaling_curve(LinearDecoder(l2=1.0, device="cpu"), rec, n_neurons=SIZES,
                        n_trials=[200, 2400], n_repeats=3, random_state=seed)
    curve = res.neurons
    assert np.all(np.diff(curve.mean) < 0)
    assert curve.fit.asymptote < 0.3 * curve.mean[-1]  # measured: 0 (no floor)
    # error^2 ~ a / N with a = 0.674^2 / (information per neuron) for an efficient decoder
    info_per_neuron = np.mean(truth.fisher_information(np.linspace(0, 180, 90, endpoint=False)))
    a_ideal = 0.674**2 * 400 / info_per_neuron
    assert a_ideal < curve.fit.a < 2 * a_ideal  # measured 1.3-1.4 x (a linear read-out)
    assert res.trials.mean[0] > res.trials.mean[-1]  # more training trials help


def test_information_limiting_noise_floor_matches_the_generator(seed):
    sigma_s = 3.0
    rec, _ = orientation_population(400, 3000, stimulus_noise=sigma_s, random_state=seed)
    res = scaling_curve(LinearDecoder(l2=1.0, device="cpu"), rec, n_neurons=SIZES,
                        n_trials=[], n_repeats=3, random_state=seed)
    # median |error| of an efficient decoder floors at 0.674 sigma_s; measured 0.91-0.98 x
    assert res.neurons.fit.asymptote == pytest.approx(0.674 * sigma_s, rel=0.25)
    assert res.trials is None


def test_threshold_metric_floors_at_1_349_sigma_s(seed):
    sigma_s = 3.0
    rec, _ = orientation_population(400, 2500, stimulus_noise=sigma_s, random_state=seed)
    res = scaling_curve(None, rec, n_neurons=[25, 100, 400], n_trials=[], n_repeats=1,
                        metric="threshold", random_state=seed)
    assert res.metric == "threshold" and not res.greater_is_better
    assert res.neurons.fit.asymptote == pytest.approx(1.349 * sigma_s, rel=0.25)


# --------------------------------------------------------------------------- result object
def test_result_summary_plot_and_dict():
    rec, _ = orientation_population(50, 300, random_state=0)
    res = scaling_curve(LinearDecoder(l2=0.1, device="cpu"), rec, n_repeats=2, cv=3)
    assert isinstance(res, ScalingResult)
    assert res.neurons.sizes[-1] == 50 and res.trials.sizes[-1] == 200  # defaults
    assert res.neurons.scores.shape == (len(res.neurons.sizes), 2)
    assert res.neurons.sem[-1] == 0  # every subset of 50 out of 50 is the same
    assert "asymptote" in res.summary() or "no floor" in res.summary()
    data = json.loads(json.dumps(res.to_dict()))
    assert data["neurons"]["sizes"] == res.neurons.sizes.tolist()
    fig = res.plot()
    assert isinstance(fig, Figure) and len(fig.axes) == 2


def test_a_score_where_higher_is_better_is_not_fitted():
    rec, _ = orientation_population(40, 240, random_state=0)
    res = scaling_curve(LogisticDecoder(l2=1e-2, device="cpu"),
                        rec.bin_stimulus(4), n_neurons=[10, 40], n_trials=[], n_repeats=1,
                        cv=3)
    assert res.metric == "accuracy" and res.greater_is_better and res.neurons.fit is None
    assert np.all(res.neurons.mean > 0.25)  # above chance


# --------------------------------------------------------------------------- errors
REC, _ = orientation_population(30, 100, random_state=0)
LIN = LinearDecoder(device="cpu")


@pytest.mark.parametrize("args, kwargs, expectation", [
    ((LIN, REC), {"n_neurons": [1, 30], "n_trials": [10]}, does_not_raise()),
    ((LIN, REC), {"n_neurons": [0]}, pytest.raises(ValueError, match=r"'n_neurons'.*\[1, 30\]")),
    ((LIN, REC), {"n_neurons": [31]}, pytest.raises(ValueError, match=r"'n_neurons'")),
    ((LIN, REC), {"n_trials": [81]},
     pytest.raises(ValueError, match=r"'n_trials'.*\[2, 80\].*smallest training fold")),
    ((LIN, REC), {"n_neurons": [2.5]}, pytest.raises(ValueError, match=r"'n_neurons'")),
    ((LIN, REC), {"n_repeats": 0}, pytest.raises(ValueError, match=r"'n_repeats'")),
    ((LIN, REC), {"metric": "accuracy"}, pytest.raises(ValueError, match="Unknown scoring")),
    ((None, REC), {}, pytest.raises(ValueError, match="needs a decoder")),
    ((LIN, REC.with_stimulus(REC.stimulus, kind="linear")), {"metric": "threshold"},
     pytest.raises(ValueError, match="needs a circular")),
    ((LogisticDecoder(), REC), {}, pytest.raises(ValueError, match="is a classifier")),
    ((LIN, REC.responses), {}, pytest.raises(TypeError, match="takes a Recording")),
])
def test_bad_arguments_raise_clear_errors(args, kwargs, expectation):
    with expectation:
        scaling_curve(*args, **{"n_repeats": 1, "n_neurons": [], "n_trials": [], **kwargs})

"""MLPDecoder / MLPClassifierDecoder: architecture, penalties, and decoding synthetic truth."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from neurodecode.data import orientation_population
from neurodecode.decoders import LinearDecoder, MLPClassifierDecoder, MLPDecoder
from neurodecode.decoders._training import Dropout

from ._helpers import angular_error, split

FAST = dict(hidden=(100,), batch_size=None, lr=1e-2, max_epochs=300, device="cpu")


def test_deep_net_relu_is_one_hidden_layer_of_200():
    rec, _ = orientation_population(30, 100, random_state=0)
    dec = MLPDecoder(max_epochs=2, device="cpu", random_state=0).fit(rec)
    layers = list(dec.module_)
    assert [type(m) for m in layers] == [nn.Linear, nn.ReLU, nn.Linear]
    assert (layers[0].in_features, layers[0].out_features) == (30, 200)
    assert layers[2].out_features == 2  # (cos, sin) of the orientation


def test_dropout_and_batch_norm_sit_in_every_hidden_layer():
    X = np.random.default_rng(0).normal(size=(60, 5))
    dec = MLPDecoder(hidden=(8, 4), dropout=0.5, batch_norm=True, max_epochs=3, device="cpu",
                     random_state=0).fit(X, X[:, 0])
    kinds = [type(m).__name__ for m in dec.module_]
    assert kinds == ["Linear", "BatchNorm1d", "ReLU", "Dropout"] * 2 + ["Linear"]
    assert all(m.p == 0.5 for m in dec.module_ if isinstance(m, Dropout))
    np.testing.assert_array_equal(dec.predict(X), dec.predict(X))  # eval mode: no dropout


def test_dropout_masks_follow_the_given_generator():
    drop = Dropout(0.5).train()
    x = torch.ones(1000)
    drop.generator = torch.Generator().manual_seed(1)
    a = drop(x)
    drop.generator = torch.Generator().manual_seed(1)
    assert torch.equal(a, drop(x))
    assert set(a.unique().tolist()) == {0.0, 2.0} and 0.4 < (a == 0).float().mean() < 0.6
    assert torch.equal(drop.eval()(x), x)


def test_penalty_is_on_weights_only_with_the_documented_scaling():
    dec = MLPDecoder(hidden=(4,), l1=0.3, l2=0.2)
    module = dec._init_module(3, 2, device=torch.device("cpu"), dtype=torch.float64,
                              generator=torch.Generator().manual_seed(0))
    w1, w2 = module[0].weight, module[2].weight
    expected = 0.1 * ((w1 ** 2).sum() + (w2 ** 2).sum()) + 0.3 * (w1.abs().sum() + w2.abs().sum())
    torch.testing.assert_close(dec._penalty(module), expected)
    with torch.no_grad():
        module[0].bias.fill_(100.0)  # biases are not penalised
    torch.testing.assert_close(dec._penalty(module), expected)


def test_l2_shrinks_the_weights():
    rec, _ = orientation_population(30, 300, random_state=0)
    norms = []
    for l2 in (0.0, 0.1):
        dec = MLPDecoder(l2=l2, **FAST, random_state=0).fit(rec)
        norms.append(sum(float((m.weight.detach() ** 2).sum()) for m in dec.module_
                         if isinstance(m, nn.Linear)))
    assert norms[1] < 0.5 * norms[0]


def test_beats_linear_decoder_when_the_mapping_is_nonlinear(seed):
    # Few, sharply tuned neurons: (cos, sin) of the orientation is far from a linear
    # function of the responses.
    rec, truth = orientation_population(20, 3000, kappa=(5, 10), noise="gaussian",
                                        noise_sd=0.5, random_state=seed)
    train, test = split(rec, 2000)
    linear = LinearDecoder(l2=1e-3, device="cpu").fit(train)
    mlp = MLPDecoder(**FAST, random_state=seed).fit(train)
    err_lin = np.median(angular_error(linear.predict(test), test.stimulus))
    err_mlp = np.median(angular_error(mlp.predict(test), test.stimulus))
    # measured (seeds 0-4): linear 2.4-4.6 deg, MLP 1.4-2.0 deg (ratio 0.44-0.60)
    assert err_mlp < 0.75 * err_lin
    assert err_mlp < 1.5 * truth.cramer_rao_bound()


def test_recovers_orientation_near_the_cramer_rao_bound(population):
    train, test, truth = population
    dec = MLPDecoder(**FAST, random_state=0).fit(train)
    pred = dec.predict(test)
    assert np.all((pred >= 0) & (pred < 180))
    # measured (seeds 0-2): median 1.7-2.0 deg, bound 1.9-2.0 deg
    assert np.median(angular_error(pred, test.stimulus)) < 1.5 * truth.cramer_rao_bound()


def test_linear_targets_are_standardised_and_returned_in_their_units():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 5))
    y = 5000.0 + 1000.0 * np.tanh(X[:, 0]) + 300.0 * X[:, 1] ** 2
    dec = MLPDecoder(hidden=(32,), batch_size=None, lr=1e-2, max_epochs=300, device="cpu",
                     random_state=0).fit(X, y)
    assert dec.target_mean_[0] == pytest.approx(y.mean())
    assert dec.score(X, y) > 0.95
    assert abs(dec.predict(X).mean() - y.mean()) < 50


def test_multi_output_regression():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    Y = np.c_[np.abs(X[:, 0]), X[:, 1] * X[:, 2]]
    dec = MLPDecoder(hidden=(64,), batch_size=None, lr=1e-2, max_epochs=300, device="cpu",
                     random_state=0).fit(X, Y)
    assert dec.predict(X).shape == (300, 2) and dec.n_outputs_ == 2
    assert dec.score(X, Y) > 0.8
    assert LinearDecoder(device="cpu").fit(X, Y).score(X, Y) < 0.2


def test_classifier_decodes_binned_orientation(population):
    train, test, _ = population
    btrain, btest = train.bin_stimulus(8), test.bin_stimulus(8)
    dec = MLPClassifierDecoder(**{**FAST, "max_epochs": 200}, random_state=0).fit(btrain)
    proba = dec.predict_proba(btest)
    assert proba.shape == (btest.n_samples, 8)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(dec.classes_[proba.argmax(axis=1)], dec.predict(btest))
    np.testing.assert_allclose(np.exp(dec.predict_log_proba(btest)), proba, rtol=1e-6)
    # measured (seeds 0-2): ~0.89; chance is 0.125
    assert dec.score(btest) > 0.75

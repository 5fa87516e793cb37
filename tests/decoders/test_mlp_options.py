"""Activations, residual blocks and regression losses of the MLP decoders."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from neurodecode.decoders import MLPClassifierDecoder, MLPDecoder
from neurodecode.decoders.mlp import ACTIVATIONS, LOSSES, Residual, build_mlp

F64 = torch.float64
REFERENCE = {  # the documented functions, written out
    "relu": lambda z: np.maximum(z, 0),
    "tanh": np.tanh,
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
    "elu": lambda z: np.where(z > 0, z, np.exp(z) - 1),
    "gelu": lambda z: 0.5 * z * (1 + np.vectorize(__import__("math").erf)(z / np.sqrt(2))),
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_each_activation_is_the_documented_function(name):
    gen = torch.Generator().manual_seed(0)
    net = build_mlp(3, (5,), 2, activation=name, dtype=F64, generator=gen)
    x = torch.randn(7, 3, dtype=F64, generator=gen)
    first, last = net[0], net[-1]
    hidden = REFERENCE[name]((x @ first.weight.T + first.bias).detach().numpy())
    expected = hidden @ last.weight.detach().numpy().T + last.bias.detach().numpy()
    np.testing.assert_allclose(net(x).detach().numpy(), expected, rtol=1e-10, atol=1e-12)


def _data_term(loss, out, target):
    d = out - target
    if loss == "mse":
        return 0.5 * d**2
    if loss == "mae":
        return np.abs(d)
    if loss == "huber":
        return np.where(np.abs(d) <= 1, 0.5 * d**2, np.abs(d) - 0.5)
    return np.exp(out) - target * out  # poisson


@pytest.mark.parametrize("loss", LOSSES)
def test_each_loss_is_the_documented_objective_and_its_gradient(loss):
    dec = MLPDecoder(loss=loss)
    gen = torch.Generator().manual_seed(1)
    out = torch.randn(6, 2, dtype=F64, generator=gen, requires_grad=True) * 2
    target = torch.rand(6, 2, dtype=F64, generator=gen) * 3
    value = dec._loss(out, target)
    expected = _data_term(loss, out.detach().numpy(), target.numpy()).sum(axis=1).mean()
    assert float(value.detach()) == pytest.approx(expected, rel=1e-12)
    leaf = out.detach().clone().requires_grad_()
    assert torch.autograd.gradcheck(lambda o: dec._loss(o, target), (leaf,))


def test_zero_residual_blocks_leave_the_plain_network():
    gen = torch.Generator().manual_seed(2)
    deep = build_mlp(4, (6, 6, 6), 3, residual=True, dtype=F64, generator=gen)
    assert sum(isinstance(m, Residual) for m in deep) == 2  # the first layer changes width
    with torch.no_grad():
        for block in (m for m in deep if isinstance(m, Residual)):
            for p in block.parameters():
                p.zero_()
    plain = nn.Sequential(deep[0], deep[1], deep[-1])  # the same first and last layers
    x = torch.randn(5, 4, dtype=F64, generator=gen)
    np.testing.assert_allclose(deep(x).detach().numpy(), plain(x).detach().numpy())


def test_residual_tanh_network_trains_and_poisson_predicts_counts():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 5))
    y = X[:, 0] ** 2 + 0.1 * rng.normal(size=400)
    dec = MLPDecoder(hidden=(32, 32, 32), residual=True, activation="tanh", max_epochs=150,
                     device="cpu", random_state=0).fit(X, y)
    assert dec.score(X, y) > 0.75  # a quadratic, which no linear read-out fits (R^2 ~ 0)
    counts = rng.poisson(np.exp(0.5 * X[:, 1]))
    pois = MLPDecoder(hidden=(16,), loss="poisson", max_epochs=60, device="cpu",
                      random_state=0).fit(X, counts)
    pred = pois.predict(X)
    assert pred.min() > 0 and np.corrcoef(pred, np.exp(0.5 * X[:, 1]))[0, 1] > 0.8
    clf = MLPClassifierDecoder(hidden=(8, 8), residual=True, activation="gelu", max_epochs=5,
                               device="cpu", random_state=0).fit(X, X[:, 0] > 0)
    assert clf.predict(X).shape == (400,)


@pytest.mark.parametrize("kwargs, y, match", [
    ({"activation": "swish"}, None, "'activation' parameter"),
    ({"residual": "yes"}, None, "'residual' parameter"),
    ({"loss": "l2"}, None, "'loss' parameter"),
    ({"loss": "poisson"}, -np.arange(20.0), "non-negative targets"),
    ({"loss": "poisson", "period": 180.0}, np.arange(20.0), "loss='mse'"),
])
def test_bad_values_get_a_clear_error(kwargs, y, match):
    X = np.random.default_rng(0).normal(size=(20, 3))
    y = np.abs(X[:, 0]) if y is None else y
    with pytest.raises((ValueError, TypeError), match=match):
        MLPDecoder(max_epochs=1, device="cpu", **kwargs).fit(X, y)


def test_batch_norm_needs_batches_of_two():
    X = np.random.default_rng(0).normal(size=(40, 5))
    with pytest.raises(ValueError, match="batch_norm=True.*at least 2 samples.*batch_size=1"):
        MLPDecoder(batch_norm=True, batch_size=1, max_epochs=1, device="cpu").fit(X, X[:, 0])

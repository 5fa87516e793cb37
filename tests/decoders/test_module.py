"""ModuleDecoder / ModuleClassifierDecoder: a user's torch module in neurodecode's loop."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from neurodecode.decoders import (
    MLPDecoder,
    ModuleClassifierDecoder,
    ModuleDecoder,
    load,
)
from neurodecode.decoders._base import make_generator
from neurodecode.decoders.mlp import build_mlp


class DeepNetReLU(nn.Module):
    """The Neuromatch deep-learning tutorial's network, unchanged."""

    def __init__(self, n_inputs, n_hidden):
        super().__init__()
        self.in_layer = nn.Linear(n_inputs, n_hidden)
        self.out_layer = nn.Linear(n_hidden, 1)

    def forward(self, r):
        h = torch.relu(self.in_layer(r))
        return self.out_layer(h)


def two_layer_net(n_inputs, n_outputs):
    """A factory (n_inputs, n_outputs) -> module, importable from this test module."""
    return nn.Sequential(nn.Linear(n_inputs, 16), nn.ReLU(), nn.Dropout(0.1),
                         nn.Linear(16, n_outputs))


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 8))
    return X, X[:, 0] - 0.5 * X[:, 1] ** 2 + 0.1 * rng.normal(size=150)


def test_deepnetrelu_equals_mlp_decoder_with_the_same_init(data):
    X, y = data
    kw = dict(batch_size=None, lr=1e-2, max_epochs=40, device="cpu", random_state=3)
    mlp = MLPDecoder(hidden=(200,), **kw).fit(X, y)
    init = build_mlp(8, (200,), 1, dtype=torch.float64,  # float64 data: float64 nets
                     generator=make_generator(3, torch.device("cpu")))  # MLPDecoder's draw
    net = DeepNetReLU(8, 200)
    with torch.no_grad():
        net.in_layer.weight.copy_(init[0].weight)
        net.in_layer.bias.copy_(init[0].bias)
        net.out_layer.weight.copy_(init[2].weight)
        net.out_layer.bias.copy_(init[2].bias)
    ours = ModuleDecoder(net, **kw).fit(X, y)
    np.testing.assert_allclose(ours.history_["train_loss"], mlp.history_["train_loss"],
                               rtol=1e-5)
    np.testing.assert_allclose(ours.predict(X), mlp.predict(X), rtol=1e-4, atol=1e-5)
    before = net.in_layer.weight.detach().clone()
    assert torch.equal(net.in_layer.weight, before)  # the user's instance is not trained


def test_factory_is_seeded_and_circular_targets_use_two_outputs(data):
    X, y = data
    angle = np.mod(np.degrees(np.arctan2(X[:, 1], X[:, 0])), 360.0)
    a = ModuleDecoder(two_layer_net, period=360.0, max_epochs=60, lr=1e-2, device="cpu",
                      random_state=1).fit(X, angle)
    b = ModuleDecoder(two_layer_net, period=360.0, max_epochs=60, lr=1e-2, device="cpu",
                      random_state=1).fit(X, angle)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    assert a.module_[-1].out_features == 2 and a.score(X, angle) > 0.8
    with pytest.raises(ValueError, match="2 column.*cos and sin.*returned shape \\(2, 1\\)"):
        ModuleDecoder(DeepNetReLU(8, 10), period=360.0, device="cpu").fit(X, angle)


def test_classifier_twin(data):
    X, _ = data
    y = np.where(X[:, 0] + X[:, 2] > 0, "go", "stop")
    dec = ModuleClassifierDecoder(two_layer_net, lr=1e-2, max_epochs=60, device="cpu",
                                  random_state=0).fit(X, y)
    assert list(dec.classes_) == ["go", "stop"] and dec.score(X, y) > 0.9
    np.testing.assert_allclose(dec.predict_proba(X).sum(axis=1), 1.0, rtol=1e-6)


def test_penalties_act_on_weight_matrices_only():
    net = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 1))
    weights = ModuleDecoder(net)._penalized_weights(net)
    assert [w.shape for w in weights] == [torch.Size([6, 4]), torch.Size([1, 6])]
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(80, 4)), rng.normal(size=80)
    strong = ModuleDecoder(net, l2=10.0, batch_size=None, lr=1e-2, max_epochs=100,
                           device="cpu", random_state=0).fit(X, y)
    assert float(strong.module_[0].weight.detach().abs().max()) < 0.05  # shrunk to zero


def test_save_and_load_name_the_module_without_pickling(data, tmp_path):
    X, y = data
    dec = ModuleDecoder(two_layer_net, max_epochs=5, device="cpu", random_state=0).fit(X, y)
    same = load(dec.save(tmp_path / "factory"))  # importable: found by its name
    np.testing.assert_allclose(same.predict(X), dec.predict(X), rtol=1e-6)
    config = (tmp_path / "factory" / "config.json").read_text()
    assert "test_module:two_layer_net" in config
    inst = ModuleDecoder(DeepNetReLU(8, 12), max_epochs=5, device="cpu",
                         random_state=0).fit(X, y)
    inst.save(tmp_path / "instance")
    with pytest.raises(ValueError, match="an instance of .*DeepNetReLU.*module=\\.\\.\\."):
        load(tmp_path / "instance")
    back = ModuleDecoder.load(tmp_path / "instance", module=DeepNetReLU(8, 12))
    np.testing.assert_allclose(back.predict(X), inst.predict(X), rtol=1e-6)
    lam = ModuleDecoder(lambda n, m: nn.Linear(n, m), max_epochs=2, device="cpu").fit(X, y)
    lam.save(tmp_path / "lambda")
    with pytest.raises(ValueError, match="<lambda>"):
        load(tmp_path / "lambda")
    MLPDecoder(hidden=(4,), max_epochs=2, device="cpu").fit(X, y).save(tmp_path / "mlp")
    with pytest.raises(TypeError, match="module= is for loading a ModuleDecoder"):
        load(tmp_path / "mlp", module=two_layer_net)


@pytest.mark.parametrize("module, error, match", [
    (None, ValueError, "needs a module"),
    (5, TypeError, "'module' parameter.*nn.Module or a function.*Got int"),
    (lambda n, m: "not a net", TypeError, "must return a torch.nn.Module.*returned str"),
    (DeepNetReLU(3, 4), ValueError, "8 neurons.*torch says"),
])
def test_bad_modules_get_clear_errors(data, module, error, match):
    X, y = data
    with pytest.raises(error, match=match):
        ModuleDecoder(module, max_epochs=2, device="cpu").fit(X, y)

"""The torch training loop: devices (meta, auto, cuda), hooks, early stopping, FISTA."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.base import clone, is_classifier

from neurodecode.decoders import (
    LinearDecoder,
    LogisticDecoder,
    MLPClassifierDecoder,
    MLPDecoder,
    PerceptronDecoder,
)
from neurodecode.decoders._base import make_generator, resolve_device
from neurodecode.decoders._training import ProximalGradient
from neurodecode.decoders.linear import ridge_path

META = torch.device("meta")

# Every code path of every torch decoder: solvers, penalties, dropout, batch norm,
# mini-batches, early stopping, binary and multiclass.
TORCH_DECODERS = [
    LinearDecoder(l2=0.1),                                     # closed form
    LinearDecoder(l1=0.1, l2=0.1),                             # FISTA
    LinearDecoder(l2=0.1, solver="adam", batch_size=8, early_stopping=True),
    LinearDecoder(l1=0.1, solver="sgd", period=180.0),
    LogisticDecoder(l2=0.1),                                   # L-BFGS
    LogisticDecoder(l1=0.05),                                  # FISTA
    LogisticDecoder(l1=0.01, l2=0.1, solver="adam", batch_size=8),
    MLPDecoder(hidden=(8, 4), l1=0.01, l2=0.1, dropout=0.3, batch_norm=True, batch_size=8,
               early_stopping=True),
    MLPDecoder(hidden=(8,), optimizer="sgd", period=180.0),
    MLPClassifierDecoder(hidden=(8,), dropout=0.2, l2=0.1, batch_size=8),
]


def name(decoder):
    return " ".join(repr(decoder).split()) if hasattr(decoder, "get_params") else None


def small_data(decoder, n=40, p=5, n_classes=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)).astype(np.float32)
    if is_classifier(decoder):
        return X, np.arange(n) % n_classes
    if decoder.get_params().get("period"):
        return X, rng.uniform(0, 180, n)
    return X, X @ rng.normal(size=p)


def fast(decoder, **extra):
    return clone(decoder).set_params(device="cpu", max_epochs=5, random_state=0, **extra)


# --------------------------------------------------------------------------- devices
def test_auto_device_prefers_cuda_then_mps_then_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto") == torch.device("cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert resolve_device("auto") == torch.device("mps")
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert resolve_device("auto") == torch.device("cpu")
    dec = MLPDecoder(hidden=(4,), max_epochs=2).fit(np.eye(4), np.arange(4.0))  # "auto"
    assert next(dec.module_.parameters()).device == torch.device("cpu")


def test_asking_for_a_missing_device_says_so(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match=r"asks for 'cuda'.*is_available\(\) is False.*'auto'"):
        MLPDecoder(device="cuda").fit(np.eye(4), np.arange(4.0))


def test_generator_lives_on_the_device_and_is_seeded():
    a = make_generator(5, torch.device("cpu"))
    b = make_generator(5, torch.device("cpu"))
    assert a.device == torch.device("cpu")
    assert torch.equal(torch.rand(3, generator=a), torch.rand(3, generator=b))
    assert make_generator(5, META) is None  # nothing is drawn on the meta device


def _meta_targets(decoder, n, n_out):
    if is_classifier(decoder):
        return torch.zeros(n, dtype=torch.long, device=META)
    return torch.empty(n, n_out, device=META)


@pytest.mark.parametrize("decoder", [d for d in TORCH_DECODERS
                                     if not isinstance(d, LogisticDecoder)
                                     or d._optimizer_name() != "lbfgs"], ids=name)
def test_one_training_step_on_the_meta_device(decoder):
    # Every tensor the hooks create must follow the data onto the meta device; a bare
    # torch.zeros(n) would land on the CPU and fail. (L-BFGS is left out: torch's own
    # implementation reads values with .item(), which meta tensors cannot do. The test
    # below covers it.)
    decoder = clone(decoder)
    if is_classifier(decoder):
        decoder.classes_ = np.arange(3)
    n_out = 3 if is_classifier(decoder) else 2
    module = decoder._init_module(5, n_out, device=META, dtype=torch.float32, generator=None)
    assert all(t.device == META for t in module.state_dict().values())
    X = torch.empty(20, 5, device=META)
    T = _meta_targets(decoder, 20, n_out)
    (X_tr, T_tr), val = decoder._split_validation(X, T, None)
    assert X_tr.device == META and (val is None or val[0].device == META)
    assert decoder._loss(decoder._forward(module, X), T).device == META
    assert decoder._penalty(module).device == META
    if decoder._optimizer_name() == "closed_form":
        W, b = (a[0] for a in ridge_path(X, T, [0.1]))
        assert W.device == META and b.device == META
        return
    optimizer = decoder._make_optimizer(module, X_tr)
    assert decoder._train_step(module, optimizer, X_tr, T_tr).device == META
    assert decoder._run_epoch(module, optimizer, X_tr, T_tr, None).device == META
    assert decoder._evaluate(module, X, T).device == META
    assert all(t.device == META for t in module.state_dict().values())


@pytest.mark.filterwarnings("ignore::neurodecode.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("decoder", [*TORCH_DECODERS, PerceptronDecoder()], ids=name)
def test_no_tensor_is_created_without_an_explicit_device(decoder):
    # With torch's default device set to "meta", any tensor made without device=... lands on
    # meta and mixing it with the CPU data raises: the whole fit and predict must run.
    dec = fast(decoder) if "device" in decoder.get_params() else clone(decoder)
    X, y = small_data(dec)
    with torch.device("meta"):
        dec.fit(X, y)
        pred = dec.predict(X)
        if hasattr(dec, "predict_proba"):
            dec.predict_proba(X)
    assert pred.shape == (len(X),)


def test_the_meta_default_device_does_catch_a_stray_allocation():
    class Stray(LinearDecoder):
        def _penalty(self, module, *, include_l1=True):
            return torch.zeros(()) + super()._penalty(module, include_l1=include_l1)

    X, y = small_data(LinearDecoder())
    Stray(l1=0.1, device="cpu").fit(X, y)  # fine on the CPU
    with torch.device("meta"), pytest.raises(RuntimeError, match="meta"):
        Stray(l1=0.1, device="cpu").fit(X, y)


@pytest.mark.gpu
@pytest.mark.parametrize("decoder", TORCH_DECODERS, ids=name)
def test_fits_on_cuda(decoder):
    X, y = small_data(decoder)
    gpu = fast(decoder).set_params(device="cuda").fit(X, y)
    assert all(p.device.type == "cuda" for p in gpu.module_.parameters())
    cpu = fast(decoder).fit(X, y)
    if not decoder.get_params().get("dropout") and not decoder.get_params().get("batch_size"):
        np.testing.assert_allclose(gpu.predict(X), cpu.predict(X), rtol=1e-3, atol=1e-3)


# --------------------------------------------------------------------------- the loop
def test_history_has_one_entry_per_epoch():
    X, y = small_data(MLPDecoder())
    dec = MLPDecoder(hidden=(8,), max_epochs=7, tol=0.0, device="cpu", random_state=0).fit(X, y)
    assert dec.n_iter_ == 7 == len(dec.history_["train_loss"])
    assert dec.history_["val_loss"] == []
    assert dec.history_["train_loss"][-1] < dec.history_["train_loss"][0]


def test_training_stops_when_the_loss_stops_improving():
    X, y = small_data(LogisticDecoder())
    dec = LogisticDecoder(l2=0.1, tol=1e-6, patience=3, max_epochs=500, device="cpu").fit(X, y)
    assert dec.n_iter_ < 500
    tail = np.array(dec.history_["train_loss"][-4:])
    assert np.all(tail[0] - tail[1:] < 1e-6)


class Recorder(MLPDecoder):
    """Overrides one hook (``_evaluate``) to keep the weights after each epoch."""

    def _evaluate(self, module, X, T):
        loss = super()._evaluate(module, X, T)
        self.__dict__.setdefault("_snapshots", []).append(
            {k: v.clone() for k, v in module.state_dict().items()})
        return loss


def test_early_stopping_restores_the_best_weights():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(120, 20)), rng.normal(size=120)  # pure noise: overfits fast
    dec = Recorder(hidden=(64,), batch_size=None, lr=1e-2, max_epochs=300, patience=5,
                   early_stopping=True, validation_fraction=0.25, device="cpu",
                   random_state=0).fit(X, y)
    val = dec.history_["val_loss"]
    best = int(np.argmin(val))
    assert len(val) == dec.n_iter_ == best + 1 + 5 < 300  # stopped by patience
    for key, value in dec.module_.state_dict().items():
        assert torch.equal(value, dec._snapshots[best][key])


def test_mini_batches_cover_every_sample_once_per_epoch():
    dec = MLPDecoder(batch_size=4)
    batches = dec._batches(13, torch.Generator().manual_seed(0), torch.device("cpu"))
    assert sorted(torch.cat(batches).tolist()) == list(range(13))
    assert [len(b) for b in batches] == [4, 4, 5]  # a last batch of one joins the previous
    assert MLPDecoder(batch_size=None)._batches(13, None, torch.device("cpu")) == [None]


def test_a_variant_overrides_one_step():
    calls = []

    class Huber(MLPDecoder):
        def _loss(self, output, target):
            calls.append(output.shape)
            return torch.nn.functional.huber_loss(output, target)

    X, y = small_data(MLPDecoder())
    dec = Huber(hidden=(8,), max_epochs=3, device="cpu", random_state=0).fit(X, y)
    assert len(calls) == 3 and dec.n_iter_ == 3


def test_divergence_is_reported():
    X, y = small_data(LinearDecoder())
    with pytest.raises(ValueError, match=r"diverged at epoch \d+.*Lower 'lr' \(got 1000000"):
        LinearDecoder(solver="sgd", lr=1e6, max_epochs=100, device="cpu").fit(X * 100, y)


def test_progress_bar_is_off_by_default_and_on_when_asked(capsys):
    X, y = small_data(MLPDecoder())
    MLPDecoder(hidden=(4,), max_epochs=3, device="cpu").fit(X, y)
    assert "MLPDecoder" not in capsys.readouterr().err
    MLPDecoder(hidden=(4,), max_epochs=3, device="cpu", progress=True).fit(X, y)
    assert "MLPDecoder" in capsys.readouterr().err


# --------------------------------------------------------------------------- FISTA
def _minimise_shrinkage(l1):
    """FISTA on 1/2 (w - 3)^2 + l1 |w|, from w = 0; returns w and the objective per step."""
    w = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = ProximalGradient([{"params": [w], "l1": l1}], lr=0.5)

    def closure(backward=True):
        if backward:
            opt.zero_grad()
        with torch.set_grad_enabled(backward):
            loss = 0.5 * ((w - 3.0) ** 2).sum()
        if backward:
            loss.backward()
        return loss.detach() + l1 * w.detach().abs().sum()

    values = [float(opt.step(closure)) for _ in range(60)]
    return w.item(), values


@pytest.mark.parametrize("l1, expected", [(1.0, 2.0), (5.0, 0.0)])
def test_proximal_gradient_soft_thresholds_to_exact_values(l1, expected):
    # the minimiser is soft_threshold(3, l1): 2 for l1 = 1, exactly 0 for l1 = 5
    w, values = _minimise_shrinkage(l1)
    assert w == expected
    assert all(b <= a for a, b in zip(values, values[1:]))  # monotone

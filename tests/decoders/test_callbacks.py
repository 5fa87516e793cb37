"""Training callbacks: checkpoints that resume the same trajectory, learning-rate
schedules, gradient clipping, TensorBoard logs, custom callbacks and their errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from neurodecode.data import Recording
from neurodecode.decoders import (
    Callback,
    Checkpoint,
    GradientClipping,
    LRScheduler,
    MLPClassifierDecoder,
    MLPDecoder,
    ModuleDecoder,
    RNNDecoder,
    TensorBoard,
    load,
)
from neurodecode.evaluate import cross_validate


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 6))
    return X, np.sin(X[:, 0]) + 0.3 * X[:, 1] + 0.1 * rng.normal(size=120)


def _net(**kw):
    base = dict(hidden=(12,), dropout=0.2, batch_size=16, lr=5e-3, device="cpu",
                random_state=0, tol=0.0, patience=100)
    return MLPDecoder(**{**base, **kw})


def _weights(dec):
    return np.concatenate([p.detach().numpy().ravel() for p in dec.module_.parameters()])


@pytest.mark.parametrize("early_stopping", [False, True])
def test_resuming_continues_the_same_trajectory(data, tmp_path, early_stopping):
    X, y = data
    straight = _net(max_epochs=8, early_stopping=early_stopping).fit(X, y)
    _net(max_epochs=4, early_stopping=early_stopping,
         callbacks=[Checkpoint(tmp_path)]).fit(X, y)
    resumed = _net(max_epochs=8, early_stopping=early_stopping,
                   callbacks=[Checkpoint(tmp_path, resume=True)]).fit(X, y)
    np.testing.assert_allclose(resumed.history_["train_loss"],
                               straight.history_["train_loss"], rtol=1e-12)
    np.testing.assert_allclose(_weights(resumed), _weights(straight), rtol=1e-12)
    assert resumed.n_iter_ == straight.n_iter_ == 8
    best = torch.load(tmp_path / "best.pt", weights_only=True)
    key = "val_loss" if early_stopping else "train_loss"
    assert best["value"] == pytest.approx(min(resumed.history_[key]))


def test_resume_restores_a_scheduler_and_a_module_decoders_own_dropout(data, tmp_path):
    X, y = data

    def make(epochs, resume=False, folder=tmp_path):
        net = lambda n, m: torch.nn.Sequential(torch.nn.Linear(n, 8), torch.nn.ReLU(),  # noqa: E731
                                               torch.nn.Dropout(0.3), torch.nn.Linear(8, m))
        return ModuleDecoder(net, batch_size=16, max_epochs=epochs, device="cpu",
                             random_state=1, tol=0.0, patience=100,
                             callbacks=[LRScheduler("step", step_size=2, gamma=0.5),
                                        Checkpoint(folder, resume=resume)])

    straight = make(6, folder=tmp_path / "straight").fit(X, y)
    make(3).fit(X, y)
    resumed = make(6, resume=True).fit(X, y)
    np.testing.assert_allclose(resumed.history_["lr"], straight.history_["lr"])
    np.testing.assert_allclose(_weights(resumed), _weights(straight), rtol=1e-12)


def test_learning_rate_schedules_are_logged(data):
    X, y = data
    dec = _net(max_epochs=6, callbacks=[LRScheduler("step", step_size=2, gamma=0.5)]).fit(X, y)
    np.testing.assert_allclose(dec.history_["lr"], 5e-3 * 0.5 ** (np.arange(1, 7) // 2))
    cos = _net(max_epochs=4, callbacks=[LRScheduler("cosine")]).fit(X, y)
    assert cos.history_["lr"][-1] == pytest.approx(0.0, abs=1e-12)  # T_max = max_epochs
    plateau = _net(max_epochs=3, callbacks=[LRScheduler("plateau", patience=0)]).fit(X, y)
    assert len(plateau.history_["lr"]) == 3


class _GradNorms(Callback):
    def __init__(self):
        self.norms = []

    def on_after_backward(self, state):
        self.norms.append(float(torch.linalg.vector_norm(torch.cat(
            [p.grad.ravel() for p in state.module.parameters()]))))


def test_gradient_clipping_bounds_every_step_and_custom_callbacks_run(data):
    X, y = data
    spy = _GradNorms()
    _net(max_epochs=2, callbacks=[GradientClipping(0.01), spy]).fit(X, y)
    assert spy.norms and max(spy.norms) <= 0.01 * (1 + 1e-5)
    free = _GradNorms()
    _net(max_epochs=2, callbacks=[free]).fit(X, y)
    assert max(free.norms) > 0.01


class _StopAt(Callback):
    def on_epoch_end(self, state, logs):
        logs["epoch_squared"] = state.epoch ** 2
        return state.epoch >= 3


def test_a_callback_can_stop_training_and_log(data):
    X, y = data
    dec = _net(max_epochs=10, callbacks=[_StopAt()]).fit(X, y)
    assert dec.n_iter_ == 3 and dec.history_["epoch_squared"] == [1.0, 4.0, 9.0]


def test_tensorboard_writes_event_files(data, tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    X, y = data
    dec = _net(max_epochs=3, early_stopping=True,
               callbacks=[TensorBoard(tmp_path / "tb"), LRScheduler("exponential", gamma=0.9)])
    dec.fit(X, y)
    events = EventAccumulator(str(tmp_path / "tb"))
    events.Reload()
    tags = events.Tags()["scalars"]
    assert {"MLPDecoder/train_loss", "MLPDecoder/val_loss"} <= set(tags)
    values = [e.value for e in events.Scalars("MLPDecoder/train_loss")]
    np.testing.assert_allclose(values, dec.history_["train_loss"], rtol=1e-6)


def test_tensorboard_without_the_package_names_it(data, tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_tensorboard(name, *args, **kwargs):
        if name.startswith("torch.utils.tensorboard"):
            raise ImportError("No module named 'tensorboard'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tensorboard)
    X, y = data
    with pytest.raises(ImportError, match="pip install tensorboard"):
        _net(max_epochs=1, callbacks=[TensorBoard(tmp_path)]).fit(X, y)


def test_callbacks_on_recurrent_and_classifier_decoders_and_in_cv(data, tmp_path):
    X, y = data
    rnn = RNNDecoder(hidden=4, window=3, max_epochs=3, device="cpu", random_state=0,
                     callbacks=[Checkpoint(tmp_path / "rnn")]).fit(X, y)
    assert (tmp_path / "rnn" / "last.pt").is_file() and rnn.n_iter_ == 3
    clf = MLPClassifierDecoder(hidden=(8,), max_epochs=3, device="cpu", random_state=0,
                               callbacks=[LRScheduler("step", step_size=1, gamma=0.1)])
    clf.fit(X, y > 0)
    assert clf.history_["lr"][-1] == pytest.approx(1e-3 * 0.1 ** 3)
    seen = _GradNorms()
    res = cross_validate(_net(max_epochs=2, callbacks=[seen]),
                         Recording(X, y, kind="linear"), cv=3, return_models=True)
    assert len(res.models) == 3 and all(m.n_iter_ == 2 for m in res.models)
    folder = res.models[0].save(tmp_path / "saved")  # callbacks are not saved
    assert load(folder).callbacks is None


@pytest.mark.parametrize("make, error, match", [
    (lambda: _net(callbacks=[5]), TypeError, "'callbacks' parameter.*list of callbacks"),
    (lambda: _net(callbacks="tb"), TypeError, "'callbacks' parameter"),
    (lambda: Checkpoint("x", monitor="loss"), ValueError, "'monitor'"),
    (lambda: Checkpoint("x", every=0), ValueError, "'every'"),
    (lambda: Checkpoint("x", resume="yes"), TypeError, "'resume'.*bool"),
    (lambda: LRScheduler("linear"), ValueError, "'policy'.*step"),
    (lambda: LRScheduler(3), TypeError, "'policy'.*lr_scheduler class"),
    (lambda: GradientClipping(0.0), ValueError, "'max_norm'"),
])
def test_bad_callbacks_get_clear_errors(data, make, error, match):
    X, y = data
    with pytest.raises(error, match=match):
        made = make()
        made.fit(X, y)


def test_checkpoint_monitoring_validation_needs_early_stopping(data, tmp_path):
    X, y = data
    with pytest.raises(ValueError, match="'val_loss' needs early_stopping=True"):
        _net(max_epochs=1, callbacks=[Checkpoint(tmp_path, monitor="val_loss")]).fit(X, y)


def test_convex_decoders_take_callbacks_on_their_torch_solvers(data, tmp_path):
    from neurodecode.decoders import LinearDecoder, LogisticDecoder

    X, y = data
    spy = _GradNorms()
    lin = LinearDecoder(solver="adam", lr=1e-2, max_epochs=5, device="cpu",
                        callbacks=[spy, LRScheduler("step", step_size=1, gamma=0.5)]).fit(X, y)
    assert spy.norms and lin.history_["lr"][-1] == pytest.approx(1e-2 * 0.5 ** 5)
    with pytest.raises(ValueError, match="closed form has no epochs"):
        LinearDecoder(callbacks=[spy]).fit(X, y)
    labels = y > 0
    logi = LogisticDecoder(l2=0.1, device="cpu",
                           callbacks=[Checkpoint(tmp_path / "logistic")]).fit(X, labels)
    assert (tmp_path / "logistic" / "last.pt").is_file()
    assert logi.score(X, labels) == pytest.approx(
        LogisticDecoder(l2=0.1, device="cpu").fit(X, labels).score(X, labels), abs=0.02)
    with pytest.raises(ValueError, match="solver='scipy' runs SciPy's own loop"):
        LogisticDecoder(solver="scipy", callbacks=[spy]).fit(X, labels)
    plain = LogisticDecoder(l2=0.1, device="cpu")
    assert plain._engine(*X.shape) == "scipy"
    assert LogisticDecoder(l2=0.1, callbacks=[spy])._engine(*X.shape) == "torch"

"""save / load: identical predictions, JSON config, and no arbitrary unpickling."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import torch
from sklearn.base import clone, is_classifier

from neurodecode.data import orientation_population
from neurodecode.decoders import (
    LinearDecoder,
    LogisticDecoder,
    MLPClassifierDecoder,
    MLPDecoder,
    PerceptronDecoder,
    load,
)

DECODERS = [
    LinearDecoder(l2=0.1, device="cpu"),
    LinearDecoder(l1=0.05, fit_intercept=False, device="cpu"),
    LogisticDecoder(l2=0.1, device="cpu"),
    MLPDecoder(hidden=(8, 4), dropout=0.2, batch_norm=True, max_epochs=5, device="cpu",
               random_state=0),
    MLPClassifierDecoder(hidden=(8,), max_epochs=5, device="cpu", random_state=0),
    PerceptronDecoder(multiclass="argmax", random_state=0),
]


@pytest.fixture(scope="module")
def rec():
    recording, _ = orientation_population(30, 200, random_state=0)
    return recording


def fitted(decoder, rec):
    dec = clone(decoder)
    return dec.fit(rec.bin_stimulus(4) if is_classifier(dec) else rec)


@pytest.mark.parametrize("decoder", DECODERS, ids=lambda d: type(d).__name__)
def test_round_trip_gives_identical_predictions(decoder, rec, tmp_path):
    dec = fitted(decoder, rec)
    folder = dec.save(tmp_path / "model")
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "weights.pt"]
    back = load(folder)
    assert type(back) is type(dec)
    assert back.get_params() == dec.get_params()
    np.testing.assert_array_equal(back.predict(rec), dec.predict(rec))
    for method in ("predict_proba", "decision_function"):
        if hasattr(dec, method):
            np.testing.assert_array_equal(getattr(back, method)(rec), getattr(dec, method)(rec))
    for attr in ("coef_", "intercept_", "classes_", "mean_", "scale_"):
        if hasattr(dec, attr):
            np.testing.assert_array_equal(getattr(back, attr), getattr(dec, attr))
    assert back.history_ == dec.history_ and back.n_iter_ == dec.n_iter_
    assert type(dec).load(folder).n_features_in_ == dec.n_features_in_


def test_config_is_readable_json(rec, tmp_path):
    dec = fitted(MLPDecoder(hidden=(8,), l2=0.01, max_epochs=3, device="cpu"), rec)
    config = json.loads((dec.save(tmp_path / "m") / "config.json").read_text())
    assert config["class"] == "MLPDecoder"
    assert config["params"]["hidden"] == [8] and config["params"]["l2"] == 0.01
    assert config["state"]["period_"] == 180.0
    assert load(tmp_path / "m").hidden == (8,)


def test_string_labels_survive(tmp_path):
    X = np.random.default_rng(0).normal(size=(40, 3))
    y = np.where(X[:, 0] > 0, "left", "right")
    dec = LogisticDecoder(device="cpu").fit(X, y)
    back = load(dec.save(tmp_path / "m"))
    np.testing.assert_array_equal(back.classes_, dec.classes_)
    np.testing.assert_array_equal(back.predict(X), dec.predict(X))


def test_loading_reads_weights_with_weights_only(rec, tmp_path, monkeypatch):
    dec = fitted(LinearDecoder(device="cpu"), rec)
    dec.save(tmp_path / "m")
    calls = []
    real_load = torch.load

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return real_load(*args, **kwargs)

    monkeypatch.setattr(torch, "load", spy)
    load(tmp_path / "m")
    assert calls and all(c.get("weights_only") is True for c in calls)


class Payload:
    ran = False

    def __reduce__(self):
        return (Payload._run, ())

    @staticmethod
    def _run():
        Payload.ran = True
        return "gotcha"


def test_loading_refuses_pickled_objects(rec, tmp_path):
    dec = fitted(LinearDecoder(device="cpu"), rec)
    folder = dec.save(tmp_path / "m")
    torch.save({"module_.weight": Payload()}, folder / "weights.pt")
    with pytest.raises(ValueError, match="objects other than tensors.*could run code"):
        load(folder)
    assert not Payload.ran


def test_loading_the_wrong_class_or_folder_is_an_error(rec, tmp_path):
    folder = fitted(LinearDecoder(device="cpu"), rec).save(tmp_path / "m")
    with pytest.raises(TypeError, match="holds a LinearDecoder, not a MLPDecoder"):
        MLPDecoder.load(folder)
    with pytest.raises(FileNotFoundError, match="config.json is missing"):
        load(tmp_path / "nothing")
    config = json.loads((folder / "config.json").read_text())
    config["class"] = "os.system"
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="'os.system' is not a known neurodecode decoder"):
        load(folder)


def test_unsaveable_parameters_are_reported(rec, tmp_path):
    dec = fitted(MLPDecoder(hidden=(4,), max_epochs=2, device="cpu",
                            random_state=np.random.RandomState(0)), rec)
    with pytest.raises(TypeError, match="Cannot save the parameters: RandomState"):
        dec.save(tmp_path / "m")


def test_load_onto_another_device(rec, tmp_path):
    folder = fitted(MLPDecoder(hidden=(4,), max_epochs=2, device="cpu"), rec).save(tmp_path / "m")
    back = load(folder, device="cpu")
    assert back.device == "cpu"
    assert next(back.module_.parameters()).device == torch.device("cpu")


# --------------------------------------------------------------------------- hostile folders
def _edit(folder, change):
    path = folder / "config.json"
    config = json.loads(path.read_text())
    change(config)
    path.write_text(json.dumps(config))


HOSTILE = [  # (how the folder is edited, the words of the error)
    (lambda f: (f / "config.json").write_text("{not json"), "config.json is not readable JSON"),
    (lambda f: (f / "config.json").write_text("[1, 2]"), "holds a list, not an object"),
    (lambda f: _edit(f, lambda c: c.update(state={**c["state"], "predict": 1})),
     "'predict' is not a fitted attribute"),
    (lambda f: _edit(f, lambda c: c.update(state={**c["state"], "__class__": "x"})),
     "'__class__' is not a fitted attribute"),
    (lambda f: _edit(f, lambda c: c.update(state={**c["state"], "_capped": True})),
     "'_capped' is not a fitted attribute"),
    (lambda f: _edit(f, lambda c: c["params"].update(evil=1)),
     "MLPDecoder has no parameter(s) ['evil']"),
    (lambda f: _edit(f, lambda c: c["params"].update(hidden=[1_000_000])),
     "stored weights do not match the module its parameters describe"),
    (lambda f: _edit(f, lambda c: c.update(module_dims=[10**12, 1])),
     "'module_dims' must be two positive ints"),
    (lambda f: _edit(f, lambda c: c.update(module_dims=[5000, 1])),
     "stored weights do not match"),
    (lambda f: _edit(f, lambda c: c.update(arrays=[*c["arrays"], "coef_"])),
     "lacks the array(s) ['coef_']"),
    (lambda f: _edit(f, lambda c: c.update(extra_key=1)), "unknown keys ['extra_key']"),
    (lambda f: _edit(f, lambda c: c.pop("params")), "needs 'params' as a dict"),
    (lambda f: (f / "weights.pt").write_bytes(b"truncated"), "weights.pt cannot be read"),
    (lambda f: torch.save([1, 2], f / "weights.pt"), "must hold a dict of named tensors"),
]


@pytest.mark.parametrize("edit, words", HOSTILE)
def test_hostile_folders_are_refused_before_anything_runs(rec, tmp_path, edit, words):
    import resource

    dec = fitted(MLPDecoder(hidden=(8,), max_epochs=2, device="cpu", random_state=0), rec)
    folder = dec.save(tmp_path / "m")
    edit(folder)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(ValueError, match=re.escape(words)):
        load(folder)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 200  # never builds what an edited size asks for (GBs)
    assert MLPDecoder.predict is not None and "predict" not in vars(MLPDecoder())


def test_a_method_named_like_a_fitted_attribute_cannot_be_replaced(rec, tmp_path):
    dec = fitted(MLPDecoder(hidden=(8,), max_epochs=2, device="cpu", random_state=0), rec)
    folder = dec.save(tmp_path / "m")
    _edit(folder, lambda c: c.update(state={**c["state"], "tuning_": 1}))
    back = load(folder)  # a plain value on a class without such a method: harmless
    assert back.tuning_ == 1
    from neurodecode.encoding import BayesianDecoder

    assert not __import__("neurodecode.decoders._io", fromlist=["_fitted_name"])._fitted_name(
        BayesianDecoder, "tuning_")  # a property there: a file may not set it

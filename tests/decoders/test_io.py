"""save / load: identical predictions, JSON config, and no arbitrary unpickling."""

from __future__ import annotations

import json
import pickle

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
    with pytest.raises(pickle.UnpicklingError):
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

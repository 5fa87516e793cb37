"""Every public name of neurodecode.encoding imports, is documented, and its doctests run."""

from __future__ import annotations

import inspect

import pytest

import neurodecode.encoding as encoding


@pytest.mark.parametrize("name", encoding.__all__)
def test_public_item_is_documented(name):
    obj = getattr(encoding, name)
    doc = inspect.getdoc(obj)
    assert doc, f"{name} has no docstring"
    if inspect.isfunction(obj) or inspect.isclass(obj):
        assert "Parameters" in doc, f"{name} documents no Parameters"
    if inspect.isfunction(obj):
        assert "Returns" in doc and "Examples" in doc, name


@pytest.mark.parametrize("name", ["TuningModel", "BayesianDecoder", "BayesianClassifier"])
def test_models_document_their_objective_and_references(name):
    doc = inspect.getdoc(getattr(encoding, name))
    for section in ("Notes", "References", "Examples", "Raises"):
        assert section in doc, (name, section)

"""Every public name imports, is listed in __all__, and is documented."""

from __future__ import annotations

import importlib
import inspect

import pytest

import neurodecode

PUBLIC_MODULES = ["neurodecode", "neurodecode.data", "neurodecode.decoders",
                  "neurodecode.encoding", "neurodecode.evaluate"]


def public_items():
    for mod_name in PUBLIC_MODULES:
        try:
            mod = importlib.import_module(mod_name)
        except ModuleNotFoundError:
            continue
        for name in mod.__all__:
            yield mod_name, name, getattr(mod, name)


@pytest.mark.parametrize("mod_name, name, obj", list(public_items()),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_public_item_is_documented(mod_name, name, obj):
    if name == "__version__" or inspect.ismodule(obj):
        return
    doc = inspect.getdoc(obj)
    assert doc, f"{mod_name}.{name} has no docstring"
    if inspect.isfunction(obj) or inspect.isclass(obj):
        documented = "Parameters" in doc or "Attributes" in doc  # dataclasses: Attributes
        assert documented or not inspect.signature(obj).parameters, (
            f"{mod_name}.{name} documents no Parameters")
        if inspect.isfunction(obj):
            assert "Returns" in doc or "Yields" in doc, f"{mod_name}.{name} has no Returns"


def test_version():
    assert isinstance(neurodecode.__version__, str) and neurodecode.__version__.count(".") == 2

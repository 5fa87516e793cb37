"""The fast cross-validated path of every family agrees with fitting each fold in turn.

Hypothesis draws decoders, parameter combinations (invalid ones included), Recordings of
every kind and bad inputs; ``sweep(..., batched=False)`` fits each model with ``fit``,
``batched="auto"`` asks the family's ``cross_val_predictions``. Either both give the same
scores (float tolerance) or both raise the same exception with the same message.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neurodecode.data import Recording
from neurodecode.decoders import (
    LinearDecoder,
    LogisticDecoder,
    MLPClassifierDecoder,
    MLPDecoder,
)
from neurodecode.evaluate import sweep

pytestmark = pytest.mark.filterwarnings("ignore::neurodecode.exceptions.ConvergenceWarning")

PACKAGE = Path(__file__).resolve().parents[1] / "neurodecode"


def _recording(kind: str, n: int, p: int, seed: int) -> Recording:
    rng = np.random.default_rng(seed)
    if kind == "categorical":
        y = np.arange(n) % 3
        X = rng.poisson(2.0, (n, p)) + 2.0 * (y[:, None] == np.arange(p) % 3)
    else:
        y = rng.uniform(0, 180, n)
        X = rng.poisson(2.0, (n, p)) + np.cos(np.radians(2 * y))[:, None] * np.linspace(-2, 2, p)
    kwargs = {"period": 180.0} if kind == "circular" else {}
    return Recording(X.astype(float), y, kind=kind, **kwargs)


def _outcome(func):
    try:
        res = func()
    except Exception as err:  # the comparison is the point: same type, same words
        return type(err), str(err)
    return {name: r.scores for name, r in res.results.items()}


PARAMS = {
    "l2": st.sampled_from([0.0, 1e-3, 0.1, 10.0, -1.0]),
    "fit_intercept": st.sampled_from([True, False, "yes"]),
    "standardize": st.sampled_from([True, False, "yes"]),
}


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(family=st.sampled_from(["linear", "logistic", "mlp", "mlp_classifier"]),
       kind=st.sampled_from(["circular", "linear", "categorical"]),
       n=st.integers(12, 60), p=st.integers(2, 40), seed=st.integers(0, 10_000),
       l2s=st.lists(PARAMS["l2"], min_size=1, max_size=3, unique=True),
       fit_intercept=PARAMS["fit_intercept"], standardize=PARAMS["standardize"],
       period=st.sampled_from([None, None, 180.0, -5.0]))
def test_fast_path_and_fit_agree(family, kind, n, p, seed, l2s, fit_intercept, standardize,
                                 period):
    rec = _recording(kind, n, p, seed)
    common = dict(fit_intercept=fit_intercept, standardize=standardize, device="cpu")
    if family == "linear":
        dec = LinearDecoder(period=period, **common)
    elif family == "logistic":
        dec = LogisticDecoder(**common)
    elif family == "mlp":
        dec = MLPDecoder(hidden=(4,), max_epochs=3, period=period, random_state=seed,
                         standardize=standardize, device="cpu")
    else:
        dec = MLPClassifierDecoder(hidden=(4,), max_epochs=3, random_state=seed,
                                   standardize=standardize, device="cpu")
    if family.startswith("mlp") and fit_intercept != "yes":
        grid = {"l2": l2s, "dropout": [0.0, 0.5] if fit_intercept else [0.0]}
    else:
        grid = {"l2": l2s}
    slow = _outcome(lambda: sweep(dec, grid, rec, cv=3, batched=False))
    fast = _outcome(lambda: sweep(dec, grid, rec, cv=3, batched="auto"))
    if isinstance(slow, tuple) or isinstance(fast, tuple):
        assert slow == fast
        return
    assert slow.keys() == fast.keys()
    for name in slow:
        for metric in slow[name]:
            np.testing.assert_allclose(fast[name][metric], slow[name][metric],
                                       rtol=1e-6, atol=1e-8, err_msg=f"{name} {metric}")


@pytest.mark.parametrize("decoder, grid", [
    (LinearDecoder(device="cpu"), {"l2": [0.0, 1e-2, 1.0]}),
    (LogisticDecoder(device="cpu"), {"l2": [1e-3, 1e-1]}),
])
def test_fast_path_runs_for_the_families_that_have_one(decoder, grid):
    rec = _recording("categorical" if isinstance(decoder, LogisticDecoder) else "circular",
                     90, 20, 0)
    res = sweep(decoder, grid, rec, cv=3)
    assert all(r.extra["batched"] for r in res.results.values())


def test_bad_arrays_get_the_same_error_from_both_paths():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 4))
    y = np.arange(30) % 2
    X[7, 2] = np.nan
    splits = [(np.arange(10, 30), np.arange(10)), (np.arange(20), np.arange(20, 30))]
    dec = LogisticDecoder(l2=0.1, device="cpu")
    with pytest.raises(ValueError) as fit_error:
        dec.fit(X[splits[1][0]], y[splits[1][0]])
    with pytest.raises(ValueError) as fast_error:
        dec.cross_val_predictions(X, y, splits[1:], [{"l2": 0.1}])
    assert str(fit_error.value) == str(fast_error.value)


# --------------------------------------------------------------------------- conventions
CONVENTIONS = {
    # pattern -> the one module allowed to spell it out
    # an angle as (cos, sin) columns
    r"(stack|c_)\(?\[\s*(np|torch)\.cos\(": {"decoders/_core.py"},
    # z-scoring statistics (a standard deviation over samples)
    r"\.std\((axis|dim)=0\)|correction=0\)": {"decoders/_core.py"},
    r"\bn \* l2\b|\bn_train \* l2\b|len\(train\) \*|shape\[0\] \* l2|\* self\.l2\b": {
        "decoders/_core.py"},
}


def _code_lines(path: Path) -> list[str]:
    """Source lines without docstrings and comments."""
    source = path.read_text()
    tree = ast.parse(source)
    doc_lines: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and \
                isinstance(getattr(body[0], "value", None), ast.Constant) and \
                isinstance(body[0].value.value, str):
            doc_lines.update(range(body[0].lineno, body[0].end_lineno + 1))
    return [line.split("#")[0] for i, line in enumerate(source.splitlines(), 1)
            if i not in doc_lines]


@pytest.mark.parametrize("pattern", list(CONVENTIONS))
def test_each_convention_has_one_definition(pattern):
    allowed = CONVENTIONS[pattern]
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel in allowed:
            continue
        offenders += [f"{rel}: {line.strip()}" for line in _code_lines(path)
                      if re.search(pattern, line)]
    assert not offenders, "\n".join(offenders)


def test_decoders_and_fast_paths_call_the_shared_core(monkeypatch):
    """Spy on the core's standardisation and angle coding: fit, the fast path and the
    sklearn wrappers all go through them."""
    from neurodecode.decoders import _base, _core, linear

    calls = {"standardization": 0, "encode_angles": 0}

    def spy(name, func):
        def wrapped(*args, **kwargs):
            calls[name] += 1
            return func(*args, **kwargs)
        return wrapped

    for module in (_base, linear):
        if hasattr(module, "standardization"):
            monkeypatch.setattr(module, "standardization",
                                spy("standardization", _core.standardization))
    monkeypatch.setattr(_base, "encode_angles", spy("encode_angles", _core.encode_angles))
    rec = _recording("circular", 60, 10, 0)
    LinearDecoder(l2=0.1, device="cpu").fit(rec)
    assert calls == {"standardization": 1, "encode_angles": 1}
    sweep(LinearDecoder(device="cpu"), {"l2": [0.1, 1.0]}, rec, cv=3)
    assert calls["standardization"] == 1 + 3 and calls["encode_angles"] == 1 + 3

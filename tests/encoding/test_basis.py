"""Stimulus bases: shapes, periodicity, and the kinds each one can represent."""

from __future__ import annotations

from contextlib import nullcontext as does_not_raise

import numpy as np
import pytest
from sklearn.base import clone

from neurodecode.encoding import (
    FourierBasis,
    OneHotBasis,
    SplineBasis,
    VonMisesBasis,
    make_basis,
)


@pytest.mark.parametrize("basis", [FourierBasis(6, period=180.0),
                                   VonMisesBasis(8, period=180.0)])
def test_circular_bases_are_periodic(basis):
    s = np.linspace(0, 179, 50)
    B = basis.fit(s).transform(s)
    assert B.shape == (50, basis.n_basis)
    np.testing.assert_allclose(basis.transform(s + 180.0), B, atol=1e-12)
    np.testing.assert_allclose(basis.transform(s - 540.0), B, atol=1e-9)


def test_fourier_columns_are_orthogonal_on_a_uniform_grid():
    s = np.arange(0, 360, 1.0)
    B = FourierBasis(10, period=360.0).fit(s).transform(s)
    np.testing.assert_allclose(B.T @ B / len(s), 0.5 * np.eye(10), atol=1e-12)


def test_default_sizes_follow_the_distinct_stimulus_values():
    eight = np.repeat(np.arange(8) * 45.0, 4)
    assert FourierBasis(period=360.0).fit(eight).n_basis_ == 6  # 3 harmonics, none aliased
    assert FourierBasis(period=360.0).fit(np.linspace(0, 359, 100)).n_basis_ == 10
    assert VonMisesBasis(period=360.0).fit(eight).n_basis_ == 8
    assert FourierBasis(4, period=360.0).fit(eight).n_basis_ == 4  # explicit wins


def test_spline_basis_is_a_partition_of_unity_and_constant_outside():
    s = np.linspace(-2.0, 3.0, 40)
    basis = SplineBasis(7).fit(s)
    B = basis.transform(s)
    assert B.shape == (40, 7)
    np.testing.assert_allclose(B.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(basis.transform([10.0]), basis.transform([3.0]), atol=1e-12)
    np.testing.assert_allclose(basis.default_grid(5), np.linspace(-2, 3, 5))


def test_one_hot_basis_and_unknown_labels():
    basis = OneHotBasis().fit(np.array(["b", "a", "c", "a"]))
    np.testing.assert_array_equal(basis.transform(["c", "a"]), [[0, 0, 1], [1, 0, 0]])
    with pytest.raises(ValueError, match=r"Labels \['z'\] were not seen.*Known classes: a, b, c"):
        basis.transform(["a", "z"])


@pytest.mark.parametrize(
    "basis, kind, expectation",
    [
        ("auto", "circular", does_not_raise()),
        ("auto", "linear", does_not_raise()),
        ("auto", "categorical", does_not_raise()),
        ("von_mises", "circular", does_not_raise()),
        (SplineBasis(5), "linear", does_not_raise()),
        ("fourier", "linear", pytest.raises(
            ValueError, match="FourierBasis represents circular stimuli; got a linear stimulus. "
                              "Use basis='spline'")),
        ("von_mises", "categorical", pytest.raises(
            ValueError, match="VonMisesBasis represents circular stimuli; got a categorical")),
        ("spline", "circular", pytest.raises(
            ValueError, match="SplineBasis represents linear stimuli; got a circular stimulus. "
                              "Use basis='fourier' or 'von_mises'")),
        ("one_hot", "linear", pytest.raises(
            ValueError, match="OneHotBasis represents categorical stimuli; got a linear")),
        (FourierBasis(4), "categorical", pytest.raises(
            ValueError, match="FourierBasis represents circular stimuli; got a categorical")),
        ("wavelet", "linear", pytest.raises(
            ValueError, match="The 'basis' parameter of make_basis must be one of 'auto'")),
        (3, "linear", pytest.raises(TypeError, match="StimulusBasis instance. Got 3")),
        ("auto", "ordinal", pytest.raises(ValueError, match="The 'kind' parameter")),
    ],
)
def test_make_basis_checks_the_kind(basis, kind, expectation):
    with expectation:
        out = make_basis(basis, kind, period=180.0)
        assert kind in out.kinds


@pytest.mark.parametrize(
    "basis, stimulus, expectation",
    [
        (FourierBasis(3, period=180.0), [0.0, 90.0], pytest.raises(ValueError, match="even")),
        (FourierBasis(4), [0.0, 90.0], pytest.raises(ValueError, match="needs the period")),
        (VonMisesBasis(4, period=180.0, kappa=-1.0), [0.0, 90.0],
         pytest.raises(ValueError, match="'kappa'")),
        (SplineBasis(2), [0.0, 1.0], pytest.raises(ValueError, match="'n_basis'.*>= 4")),
        (SplineBasis(5), [1.0, 1.0, 1.0], pytest.raises(ValueError, match="2 distinct")),
        (FourierBasis(4, period=180.0), np.zeros((3, 2)),
         pytest.raises(ValueError, match="Multi-output stimuli")),
        (FourierBasis(4, period=180.0), ["a", "b"], pytest.raises(TypeError, match="numeric")),
        (FourierBasis(4, period=180.0), [0.0, np.nan],
         pytest.raises(ValueError, match="NaN or inf")),
        (FourierBasis(4, period=180.0), [[0.0], [90.0]], does_not_raise()),
    ],
)
def test_basis_fit_errors(basis, stimulus, expectation):
    with expectation:
        clone(basis).fit(stimulus)

"""Gram products and shifted solves against numpy's dense linear algebra."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from neurodecode.decoders import _linalg
from neurodecode.decoders._linalg import gram, solve_shifted, spectral_norm_squared

F64 = torch.float64


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 40), p=st.integers(1, 40), transpose=st.booleans(),
       dtype=st.sampled_from([torch.float32, torch.float64]))
def test_gram_equals_the_matrix_product(n, p, transpose, dtype):
    X = torch.randn(n, p, dtype=dtype, generator=torch.Generator().manual_seed(n * 41 + p))
    ref = X.T @ X if transpose else X @ X.T
    G = gram(X, transpose=transpose)
    assert G.dtype == dtype and G.shape == ref.shape
    torch.testing.assert_close(G, ref)
    torch.testing.assert_close(G, G.T)  # both triangles filled


def _spd(m, eigenvalues, seed=0):
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.normal(size=(m, m)))
    return torch.from_numpy((Q * eigenvalues) @ Q.T)


def _reference(K, B, lams):
    return np.stack([np.linalg.solve(K.numpy() + lam * np.eye(len(K)), B.numpy())
                     for lam in lams])


def _count_factorisations(monkeypatch):
    calls = []
    original = _linalg._factor

    def counting(K, lam, dtype):
        calls.append((lam, dtype))
        return original(K, lam, dtype)

    monkeypatch.setattr(_linalg, "_factor", counting)
    return calls


@pytest.mark.parametrize("factor_dtype", [torch.float32, F64])
def test_shared_factorisation_serves_shifts_inside_the_spectrum(factor_dtype, monkeypatch):
    # a few large "signal" eigenvalues over a bulk far above every shift: the usual case
    # of a ridge sweep, where one factorisation serves every strength
    m = 120
    ev = np.r_[np.geomspace(1e7, 1e5, 6), np.linspace(2e3, 1e4, m - 6)]
    K = _spd(m, ev)
    B = torch.randn(m, 3, dtype=F64, generator=torch.Generator().manual_seed(1))
    lams = [0.3, 1.0, 3.0, 30.0, 300.0, 1e3]
    calls = _count_factorisations(monkeypatch)
    X = solve_shifted(K, B, lams, method="shared", factor_dtype=factor_dtype)
    assert len(calls) == 1
    np.testing.assert_allclose(X.numpy(), _reference(K, B, lams), rtol=1e-8, atol=1e-14)


def test_shifts_outside_the_spectrum_get_factorisations_of_their_own(monkeypatch):
    # eigenvalues spanning 12 decades and shifts spanning 8: one preconditioner cannot
    # serve them all, the unconverged strengths are refactored, the answers stay exact
    m = 100
    K = _spd(m, np.geomspace(1e-6, 1e6, m), seed=2)
    B = torch.randn(m, 2, dtype=F64, generator=torch.Generator().manual_seed(3))
    lams = [1e-4, 1e-2, 1.0, 1e2, 1e4]
    calls = _count_factorisations(monkeypatch)
    X = solve_shifted(K, B, lams, method="shared", factor_dtype=torch.float32)
    assert len(calls) > 1
    # condition numbers up to 1e10: the solutions are judged by their normwise backward
    # error, as a dense solver's are; the dense reference itself is only good to cond * eps
    for j, lam in enumerate(lams):
        A = K + lam * torch.eye(m, dtype=F64)
        residual = (B - A @ X[j]).norm()
        assert residual <= 1e-13 * (torch.linalg.matrix_norm(A, 2) * X[j].norm() + B.norm())
    np.testing.assert_allclose(X.numpy(), _reference(K, B, lams), rtol=1e-4)


@pytest.mark.parametrize("method", ["auto", "direct", "shared"])
def test_every_method_gives_the_same_solutions(method):
    m = 60
    K = _spd(m, np.geomspace(1e-2, 1e3, m), seed=4)
    B = torch.randn(m, 2, dtype=F64, generator=torch.Generator().manual_seed(5))
    lams = [0.01, 0.1, 1.0]
    X = solve_shifted(K, B, lams, method=method)
    np.testing.assert_allclose(X.numpy(), _reference(K, B, lams), rtol=1e-8)


def test_zero_shift_is_the_pseudo_inverse():
    m = 30
    K = _spd(m, np.r_[np.zeros(5), np.linspace(1, 10, m - 5)], seed=6)
    B = torch.randn(m, 2, dtype=F64, generator=torch.Generator().manual_seed(7))
    X = solve_shifted(K, B, [0.0, 1.0])
    np.testing.assert_allclose(X[0].numpy(), np.linalg.pinv(K.numpy(), hermitian=True)
                               @ B.numpy(), atol=1e-10)
    np.testing.assert_allclose(X[1].numpy(), _reference(K, B, [1.0])[0], rtol=1e-8)


def test_bad_method_and_indefinite_matrix_are_named():
    K = torch.diag(torch.tensor([-5.0, 1.0], dtype=F64))
    B = torch.ones(2, 1, dtype=F64)
    with pytest.raises(ValueError, match="method must be 'auto', 'direct' or 'shared'"):
        solve_shifted(K, B, [1.0], method="lu")
    with pytest.raises(np.linalg.LinAlgError, match="not positive definite"):
        solve_shifted(K, B, [1.0])


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 30), p=st.integers(1, 30), append_ones=st.booleans())
def test_spectral_norm_squared_equals_the_largest_singular_value(n, p, append_ones):
    X = torch.randn(n, p, dtype=F64, generator=torch.Generator().manual_seed(n * 31 + p))
    Xa = torch.cat([X, torch.ones(n, 1, dtype=F64)], dim=1) if append_ones else X
    expected = torch.linalg.matrix_norm(Xa, ord=2) ** 2
    torch.testing.assert_close(spectral_norm_squared(X, append_ones=append_ones), expected)


def test_spectral_norm_squared_by_lanczos_for_large_gram_matrices():
    # above 800 rows the top eigenvalue comes from scipy's eigsh, not a full eigvalsh
    X = torch.randn(900, 1000, dtype=F64, generator=torch.Generator().manual_seed(0))
    expected = torch.linalg.matrix_norm(torch.cat([X, torch.ones(900, 1, dtype=F64)], 1),
                                        ord=2) ** 2
    torch.testing.assert_close(spectral_norm_squared(X, append_ones=True), expected,
                               rtol=1e-10, atol=0)

"""Linear algebra shared by the closed-form fits and the batched sweeps.

- :func:`gram` computes ``X X'`` (or ``X'X``). On the CPU it hands the product to
  numpy, whose BLAS sees a matrix times its own transpose and computes one triangle
  (``syrk``): half the FLOPs of a general product, about 3x faster than ``torch.matmul``
  for a Stringer-sized recording on this project's 2-core machines (:func:`matmul`
  does the same for general products).
- :func:`spectral_norm_squared`: the largest eigenvalue of the smaller Gram matrix, the
  Lipschitz constant of the FISTA solvers, without an SVD of the responses.
- :func:`solve_shifted` solves ``(K + lam I) x = b`` for many ``lam`` at once. A ridge
  sweep asks for the same symmetric matrix shifted by each penalty strength. Each
  strength could get its own Cholesky factorisation; instead, one factorisation at one
  strength preconditions conjugate gradients for all the others, whose matrix-vector
  products with every strength's right-hand sides are one matrix product. When the
  shifts sit well inside the spectrum (the usual case: penalties chosen against a bulk
  of noise eigenvalues), every strength converges in a few iterations; a strength that
  does not is solved with a factorisation of its own. Every answer is checked by its
  residual in float64, so the shortcut never changes the result beyond the stated
  tolerance.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

__all__ = ["gram", "matmul", "solve_shifted", "spectral_norm_squared"]

# Below this size one float64 Cholesky per shift is already cheap: solve directly.
_DIRECT_SIZE = 800
# Relative residual ||b - (K + lam I) x|| / ||b|| that every iterative solution reaches.
_RTOL = 1e-10
_MAX_ITER = 25


def gram(X: Any, *, transpose: bool = False) -> Any:
    """``X X'`` (or ``X'X`` with ``transpose=True``) in ``X``'s dtype and on its device.

    Parameters
    ----------
    X : ndarray or Tensor of shape (n, p)
    transpose : bool, default=False
        Return the (p, p) matrix ``X'X`` instead of the (n, n) matrix ``X X'``.

    Returns
    -------
    ndarray or Tensor of shape (n, n) or (p, p)
        The same kind as ``X``.

    Examples
    --------
    >>> gram(torch.tensor([[1.0, 2.0], [3.0, 4.0]])).tolist()
    [[5.0, 11.0], [11.0, 25.0]]
    """
    if isinstance(X, np.ndarray):
        A = X.T if transpose else X
        return A @ A.T
    if X.device.type != "cpu" or X.requires_grad:
        return X.T @ X if transpose else X @ X.T
    A = X.detach().numpy()
    A = A.T if transpose else A
    # numpy computes ``A @ A.T`` with a symmetric rank-k update when both operands are
    # one buffer; the result is filled symmetric.
    return torch.from_numpy(A @ A.T)


def matmul(A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
    """``A @ B``; on the CPU by numpy's BLAS (OpenBLAS), about 1.5x faster than torch's
    for large float32 products on this project's AMD machines.

    Examples
    --------
    >>> matmul(torch.eye(2), torch.tensor([[1.0], [2.0]])).tolist()
    [[1.0], [2.0]]
    """
    if A.device.type != "cpu" or A.requires_grad or B.requires_grad:
        return A @ B
    return torch.from_numpy(A.detach().numpy() @ B.detach().numpy())


def spectral_norm_squared(X: torch.Tensor, *, append_ones: bool = False) -> torch.Tensor:
    """``s_max(X)^2`` (of ``[X, 1]`` with ``append_ones``): the largest eigenvalue of the
    smaller Gram matrix, in float64.

    A Stringer-sized recording's Gram matrix and its top eigenvalue (Lanczos, scipy's
    ``eigsh``) take seconds where an SVD of the responses takes minutes.

    Examples
    --------
    >>> float(spectral_norm_squared(torch.tensor([[3.0, 0.0], [0.0, 4.0]])))
    16.0
    """
    f64 = torch.float64
    n, p = X.shape
    if n <= p:
        G = gram(X).to(f64)
        if append_ones:  # [X, 1][X, 1]' = X X' + 1 1'
            G += 1.0
    else:
        G = gram(X, transpose=True).to(f64)
        if append_ones:
            s = X.to(f64).sum(dim=0)
            G = torch.cat([torch.cat([G, s[:, None]], dim=1),
                           torch.cat([s, s.new_tensor([float(n)])])[None]], dim=0)
    if G.shape[0] <= _DIRECT_SIZE or G.device.type != "cpu":
        return torch.linalg.eigvalsh(G)[-1]
    from scipy.sparse.linalg import eigsh

    top = eigsh(G.numpy(), k=1, which="LA", tol=1e-12, return_eigenvectors=False)
    return torch.tensor(float(top[0]), dtype=f64)


def _factor(K: torch.Tensor, lam: float, dtype: torch.dtype) -> torch.Tensor:
    """Cholesky factor of ``K + lam I`` in ``dtype``, or in float64 if that fails."""
    for dt in dict.fromkeys((dtype, torch.float64)):
        A = K.to(dt, copy=True)
        A.diagonal().add_(lam)
        try:
            return torch.linalg.cholesky(A)
        except torch.linalg.LinAlgError:  # not numerically positive definite in dt
            continue
    raise np.linalg.LinAlgError(
        f"K + {lam:g} I is not positive definite: the penalty strength must be > 0 for a "
        "matrix with a zero or negative eigenvalue.")


def _pcg(K: torch.Tensor, lams: torch.Tensor, B: torch.Tensor, L: torch.Tensor
         ) -> tuple[torch.Tensor, torch.Tensor]:
    """Preconditioned conjugate gradients for ``(K + lams[j] I) x_j = B`` for every j.

    ``L`` is the Cholesky factor of ``K + lam_f I`` (any precision), the preconditioner.
    All shifts and right-hand-side columns advance together: one product with ``K`` and
    one triangular solve per iteration. Returns the solutions (n_lam, m, k) and a
    boolean (n_lam, k) of which reached the tolerance.
    """
    n_lam, (m, k) = len(lams), B.shape
    shift = lams.repeat_interleave(k)  # one shift per column of the stacked system
    Bs = B.repeat(1, n_lam)  # (m, n_lam * k)

    def apply(V: torch.Tensor) -> torch.Tensor:
        return K @ V + shift * V

    def precondition(R: torch.Tensor) -> torch.Tensor:
        return torch.cholesky_solve(R.to(L.dtype), L).to(R.dtype)

    Xs = torch.zeros_like(Bs)
    R = Bs - apply(Xs)
    target = _RTOL * Bs.norm(dim=0)
    done = R.norm(dim=0) <= target
    Z = precondition(R)
    P = Z.clone()
    rz = (R * Z).sum(0)
    for _ in range(_MAX_ITER):
        if bool(done.all()):
            break
        AP = apply(P)
        pap = (P * AP).sum(0)
        alpha = torch.where(done | (pap <= 0), torch.zeros_like(pap), rz / pap)
        Xs += alpha * P
        R -= alpha * AP
        done = done | (R.norm(dim=0) <= target)
        Z = precondition(R)
        rz_new = (R * Z).sum(0)
        beta = torch.where(rz > 0, rz_new / rz, torch.zeros_like(rz))
        P = Z + beta * P
        rz = rz_new
    # the recursive residual can drift from the true one: check the true residual
    done = (Bs - apply(Xs)).norm(dim=0) <= 10 * target
    return Xs.reshape(m, n_lam, k).permute(1, 0, 2), done.reshape(n_lam, k)


def _solve_eigh(K: Any, B: Any, lams: Sequence[float]) -> Any:
    """All shifts from one eigendecomposition; ``lam = 0`` gives the pseudo-inverse
    (eigenvalues below ``m * eps * max |eigenvalue|`` count as zero)."""
    if isinstance(K, np.ndarray):
        s, U = np.linalg.eigh(K)
        tol = np.abs(s).max() * K.shape[0] * np.finfo(K.dtype).eps
        c = U.T @ B
        out = []
        for lam in lams:
            d = s + lam
            inv = np.where(np.abs(d) > tol, 1.0 / np.where(d == 0, 1.0, d), 0.0)
            out.append(U @ (inv[:, None] * c))
        return np.stack(out)
    s, U = torch.linalg.eigh(K)
    c = U.T @ B
    tol = s.abs().max() * K.shape[0] * torch.finfo(K.dtype).eps
    out = []
    for lam in lams:
        d = s + lam
        inv = torch.where(d.abs() > tol, 1.0 / d, torch.zeros_like(d))
        out.append(U @ (inv[:, None] * c))
    return torch.stack(out)


def _cholesky_solve(K: Any, B: Any, lam: float) -> Any | None:
    """``(K + lam I)^-1 B`` by one float64 Cholesky factorisation, or None when ``K + lam
    I`` is not numerically positive definite (the caller then uses the eigenvalues).

    A factor whose diagonal spans more than ``1 / (m eps)`` squared is treated as
    singular: its solution would amplify rounding errors, where the pseudo-inverse
    drops those directions (as ``numpy.linalg.lstsq`` does)."""
    m = K.shape[0]
    if isinstance(K, np.ndarray):
        from scipy.linalg import LinAlgError, cho_solve, cholesky

        A = K.copy()
        A[np.diag_indices(m)] += lam
        try:
            L = cholesky(A, lower=True, check_finite=False)
        except LinAlgError:
            return None
        d = np.abs(np.diag(L))
        if lam <= 0 and d.min() ** 2 <= d.max() ** 2 * m * np.finfo(K.dtype).eps:
            return None
        return cho_solve((L, True), B, check_finite=False)
    A = K.clone()
    A.diagonal().add_(lam)
    if K.device.type == "meta":  # shapes only
        return torch.cholesky_solve(B, torch.linalg.cholesky(A))
    L, info = torch.linalg.cholesky_ex(A)
    if int(info) != 0:
        return None
    d = L.diagonal().abs()
    if lam <= 0 and float(d.min()) ** 2 <= float(d.max()) ** 2 * m * torch.finfo(K.dtype).eps:
        return None
    return torch.cholesky_solve(B, L)


def solve_shifted(K: Any, B: Any, lams: Sequence[float], *,
                  method: str = "auto", factor_dtype: torch.dtype | None = None) -> Any:
    """Solve ``(K + lam I) X = B`` for every ``lam``, for a symmetric positive
    semi-definite ``K``.

    The one shifted solver of every ridge problem (fits, sweeps, encoding models). NumPy
    inputs are solved in NumPy/SciPy (no torch overhead: the small problems); tensors
    with torch on their device.

    Parameters
    ----------
    K : ndarray or Tensor of shape (m, m)
        Symmetric positive semi-definite; used in float64.
    B : ndarray or Tensor of shape (m, k)
    lams : sequence of float
        The shifts. ``lam = 0`` gives the minimum-norm solution: one Cholesky
        factorisation when ``K`` is well conditioned (as costly as any other shift),
        else the pseudo-inverse from one eigendecomposition.
    method : {"auto", "direct", "shared"}, default="auto"
        ``"direct"``: one float64 Cholesky factorisation per shift. ``"shared"``: one
        factorisation preconditions conjugate gradients for every shift, with a
        factorisation of its own for any shift that does not converge (see the module
        docstring). ``"auto"``: ``"shared"`` for matrices larger than 800 and more than
        one shift, else ``"direct"``.
    factor_dtype : torch.dtype, optional
        Precision of the shared factorisation (the preconditioner): float32 halves its
        cost and the residual checks in float64 keep the answers exact. Default float32
        for matrices larger than 800, else float64.

    Returns
    -------
    ndarray or Tensor of shape (n_lams, m, k), float64

    Examples
    --------
    >>> K = torch.tensor([[2.0, 1.0], [1.0, 2.0]], dtype=torch.float64)
    >>> X = solve_shifted(K, torch.ones(2, 1, dtype=torch.float64), [1.0, 2.0])
    >>> [round(v, 6) for v in X[:, 0, 0].tolist()]
    [0.25, 0.2]
    """
    if method not in ("auto", "direct", "shared"):
        raise ValueError(f"method must be 'auto', 'direct' or 'shared'. Got {method!r}.")
    lams = [float(lam) for lam in lams]
    if min(lams) < 0:
        raise ValueError(f"The shifts must be >= 0 (penalty strengths). Got {min(lams)!r}.")
    numpy = isinstance(K, np.ndarray)
    f64 = torch.float64
    if numpy:
        K, B = np.asarray(K, dtype=np.float64), np.asarray(B, dtype=np.float64)
    else:
        K, B = K.to(f64), B.to(f64)
    m = K.shape[0]
    positive = [lam for lam in lams if lam > 0]
    if method == "auto":
        method = "shared" if m > _DIRECT_SIZE and len(positive) > 1 and not numpy else "direct"
    if numpy or method == "direct" or len(positive) < len(lams):
        solved = [_cholesky_solve(K, B, lam) for lam in lams]
        failed = [lam for lam, x in zip(lams, solved) if x is None]
        if any(lam > 0 for lam in failed):
            raise np.linalg.LinAlgError(
                f"K + {max(failed):g} I is not positive definite: the penalty strength must "
                "be > 0 for a matrix with a zero or negative eigenvalue.")
        if failed:  # a singular K at lam = 0: the pseudo-inverse for every shift
            return _solve_eigh(K, B, lams)
        return np.stack(solved) if numpy else torch.stack(solved)
    out = torch.empty((len(lams), m, B.shape[1]), dtype=f64, device=K.device)
    if factor_dtype is None:
        factor_dtype = torch.float32 if m > _DIRECT_SIZE else f64
    todo = list(range(len(lams)))
    while todo:
        # factor at the middle strength (on a log scale) of those still unsolved
        order = sorted(todo, key=lambda j: lams[j])
        mid = order[len(order) // 2]
        L = _factor(K, lams[mid], factor_dtype)
        lam_t = torch.tensor([lams[j] for j in todo], dtype=f64, device=K.device)
        X, ok = _pcg(K, lam_t, B, L)
        ok = ok.all(dim=1)
        for i, j in enumerate(todo):
            if ok[i]:
                out[j] = X[i]
        if not bool(ok[todo.index(mid)]):  # even its own factor was not enough:
            out[mid] = torch.cholesky_solve(B, _factor(K, lams[mid], f64))  # exact
            ok[todo.index(mid)] = True
        todo = [j for i, j in enumerate(todo) if not ok[i]]
    return out

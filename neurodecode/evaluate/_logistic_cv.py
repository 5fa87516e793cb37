"""Held-out logits of L2-penalised logistic regression for every (fold, L2 strength) pair.

With more neurons than training samples the weights of an L2-penalised logistic model
lie in the span of the fold's training responses, ``W = Z' C``, so each fold is a
problem in the n x k coefficients ``C`` that touches the responses only through the
fold's kernels (:mod:`._kernels`). Every strength of a fold is solved at once by a
batched L-BFGS in ``C``:

- its inner products are those of weight space (``<Z'A, Z'B> = tr(A' K B)``), so the
  iterates are exactly those of L-BFGS on the weights;
- its initial inverse Hessian is Boehning's bound on the log-loss curvature,
  ``(c Z'Z / n + l2 I)^-1`` with ``c = 1/2`` (softmax) or ``1/4`` (sigmoid), applied in
  ``C`` through one Cholesky factorisation of ``K + mu I`` shared by all strengths;
- the products with ``K`` that logits and line searches need follow from that
  factorisation (``K (K + mu I)^-1 = I - mu (K + mu I)^-1``), so an iteration costs one
  product with the explicit inverse of ``K + mu I`` for all strengths together.

Objective per fold and strength (``n`` training samples), as :class:`LogisticDecoder`:

``(1 / n) sum_i CE(y_i, W z_i + b) + (l2 / 2) ||W||_F^2``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from ._kernels import as_data_tensor, fold_kernels

__all__ = ["cv_logistic_logits", "fit_kernel_logistic"]

_MEMORY = 10  # L-BFGS pairs kept
_RESYNC = 25  # recompute K C exactly every this many iterations (rounding drift)


def _loss_and_probabilities(logits: torch.Tensor, Y: torch.Tensor, binary: bool
                            ) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean log-loss per strength (L,) and probabilities (n, L, q)."""
    if binary:
        loss = (F.softplus(logits) - Y * logits).mean(dim=(0, 2))
        return loss, torch.sigmoid(logits)
    logp = torch.log_softmax(logits, dim=2)
    return -(Y * logp).sum(dim=2).mean(dim=0), logp.exp()


def fit_kernel_logistic(K: torch.Tensor, codes: torch.Tensor, n_classes: int,
                        l2s: Sequence[float], *, fit_intercept: bool = True,
                        tol: float = 1e-8, max_iter: int = 500
                        ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """L2-penalised logistic regression in kernel form, one model per strength.

    Parameters
    ----------
    K : Tensor of shape (n, n)
        Training kernel ``Z Z'`` (symmetric positive semi-definite).
    codes : Tensor of shape (n,)
        Class codes in ``0 .. n_classes - 1``.
    n_classes : int
        Two classes use one logit (sigmoid), more one per class (softmax).
    l2s : sequence of float
        Penalty strengths, each > 0.
    fit_intercept : bool, default=True
    tol : float, default=1e-8
        Stop a strength when L-BFGS's estimate of the remaining objective decrease,
        ``-<g, d> / 2``, falls below ``tol``.
    max_iter : int, default=500

    Returns
    -------
    C : Tensor of shape (n, n_l2, q)
        Coefficients: the weights are ``Z' C``.
    b : Tensor of shape (n_l2, q)
    n_iter : Tensor of shape (n_l2,)
        Iterations each strength took (``max_iter`` if it did not converge).
    """
    f64 = torch.float64
    K = K.to(f64)
    dev = K.device
    m = K.shape[0]
    binary = n_classes == 2
    q = 1 if binary else n_classes
    Y = (codes[:, None].to(f64) if binary else F.one_hot(codes.long(), q).to(f64))
    n_l2 = len(l2s)
    l2 = torch.tensor([float(a) for a in l2s], dtype=f64, device=dev)
    bound = 0.25 if binary else 0.5
    mu = float(torch.median(m * l2 / bound))  # the shared preconditioner's shift
    # the inverse of K + mu I, explicit: one matrix product per iteration is several
    # times faster than two triangular solves
    A = K.clone()
    A.diagonal().add_(mu)
    M = torch.cholesky_inverse(torch.linalg.cholesky(A))
    del A
    scale = m / bound

    def precondition(Rq: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Boehning-bound direction in C and its product with K."""
        s = (M @ Rq.reshape(m, -1)).reshape(Rq.shape)
        return scale * s, scale * (Rq - mu * s)

    # arrays are (n, n_l2, q): samples first, so that products with K need no copies
    Ym = Y[:, None, :]
    C = torch.zeros((m, n_l2, q), dtype=f64, device=dev)
    KC = torch.zeros_like(C)
    b = torch.zeros((n_l2, q), dtype=f64, device=dev)
    l2c = l2[None, :, None]

    def state(C: torch.Tensor, KC: torch.Tensor, b: torch.Tensor
              ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        loss, P = _loss_and_probabilities(KC + b[None], Ym, binary)
        f = loss + 0.5 * l2 * (C * KC).sum(dim=(0, 2))
        R = (P - Ym) / m + l2c * C  # the weight gradient is Z' R
        gb = (P - Ym).mean(dim=0) if fit_intercept else torch.zeros_like(b)
        return f, R, gb

    f, R, gb = state(C, KC, b)
    pC, pKC = precondition(R)  # H0 g, kept: H0 of each gradient difference is then free
    # each pair: s (in C, K C and b), y (in R and b), H0 y (in C, K C and b), rho, gamma
    history: list[tuple[torch.Tensor, ...]] = []
    n_iter = torch.full((n_l2,), max_iter, dtype=torch.long, device=dev)
    active = torch.ones(n_l2, dtype=torch.bool, device=dev)
    for it in range(max_iter):
        # two-loop recursion with weight-space inner products; H0 q is H0 g minus the
        # stored H0 y's, as H0 is linear
        qR, qb = R.clone(), gb.clone()
        dC, dKC, db = pC.clone(), pKC.clone(), gb / bound
        alphas = []
        for _sC, sKC, sb, yR, yb, hC, hKC, hb, rho, _ in reversed(history):
            a = rho * ((sKC * qR).sum(dim=(0, 2)) + (sb * qb).sum(dim=1))
            qR -= a[None, :, None] * yR
            qb -= a[:, None] * yb
            dC -= a[None, :, None] * hC
            dKC -= a[None, :, None] * hKC
            db -= a[:, None] * hb
            alphas.append(a)
        if history:  # scale H0 by s'y / y'H0 y, the usual L-BFGS scaling
            gamma = history[-1][-1]
            dC, dKC, db = gamma[None, :, None] * dC, gamma[None, :, None] * dKC, gamma[:, None] * db
        for (sC, sKC, sb, yR, yb, *_, rho, _), a in zip(history, reversed(alphas)):
            beta = rho * ((yR * dKC).sum(dim=(0, 2)) + (yb * db).sum(dim=1))
            coef = (a - beta)[None, :, None]
            dC += coef * sC
            dKC += coef * sKC
            db += (a - beta)[:, None] * sb
        if not fit_intercept:
            db = torch.zeros_like(db)
        dC, dKC, db = -dC, -dKC, -db
        gd = (R * dKC).sum(dim=(0, 2)) + (gb * db).sum(dim=1)
        done = (-gd <= 2 * tol) | (gd >= 0)
        n_iter = torch.where(active & done, torch.full_like(n_iter, it), n_iter)
        active = active & ~done
        if not bool(active.any()):
            break
        # backtracking (Armijo) line search, every strength at once, no products with K
        t = torch.where(active, torch.ones_like(gd), torch.zeros_like(gd))
        quad = (dC * dKC).sum(dim=(0, 2))
        cross = (dC * KC).sum(dim=(0, 2)) + (C * dKC).sum(dim=(0, 2))
        pen0 = (C * KC).sum(dim=(0, 2))
        for _ in range(40):
            tc = t[None, :, None]
            loss, _ = _loss_and_probabilities(KC + tc * dKC + (b + t[:, None] * db)[None],
                                              Ym, binary)
            f_t = loss + 0.5 * l2 * (pen0 + t * cross + t * t * quad)
            ok = (f_t <= f + 1e-4 * t * gd) | ~active
            if bool(ok.all()):
                break
            t = torch.where(ok, t, 0.5 * t)
        tc = t[None, :, None]
        sC, sKC, sb = tc * dC, tc * dKC, t[:, None] * db
        C, KC, b = C + sC, KC + sKC, b + sb
        if (it + 1) % _RESYNC == 0:  # drop the drift of the updated products
            KC = (K @ C.reshape(m, -1)).reshape(C.shape)
        f_new, R_new, gb_new = state(C, KC, b)
        pC_new, pKC_new = precondition(R_new)
        yR, yb = R_new - R, gb_new - gb
        hC, hKC, hb = pC_new - pC, pKC_new - pKC, yb / bound
        sy = (sKC * yR).sum(dim=(0, 2)) + (sb * yb).sum(dim=1)
        yHy = (yR * hKC).sum(dim=(0, 2)) + (yb * hb).sum(dim=1)
        good = (sy > 1e-20) & (yHy > 0)
        rho = torch.where(good, 1.0 / sy.clamp_min(1e-20), torch.zeros_like(sy))
        gamma = torch.where(good, sy / yHy.clamp_min(1e-300), torch.ones_like(sy))
        history.append((sC, sKC, sb, yR, yb, hC, hKC, hb, rho, gamma))
        if len(history) > _MEMORY:
            history.pop(0)
        f, R, gb, pC, pKC = f_new, R_new, gb_new, pC_new, pKC_new
    return C, b, n_iter


def cv_logistic_logits(X: np.ndarray, codes: np.ndarray, n_classes: int,
                       splits: Sequence[tuple[np.ndarray, np.ndarray]], l2s: Sequence[float],
                       *, standardize: bool = True, fit_intercept: bool = True,
                       tol: float = 1e-8, max_iter: int = 500,
                       device: str | torch.device = "cpu", dtype: torch.dtype | None = None
                       ) -> tuple[list[np.ndarray], np.ndarray]:
    """Held-out logits of L2-penalised logistic regression for every fold and strength.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Responses; every training fold must have fewer samples than features.
    codes : ndarray of shape (n_samples,)
        Class codes in ``0 .. n_classes - 1``.
    n_classes : int
    splits : sequence of (train, test) index arrays
    l2s : sequence of float
        Penalty strengths (> 0), scaled as :class:`LogisticDecoder`'s ``l2``
        (scikit-learn's ``LogisticRegression(C=1 / (n_train * l2))``).
    standardize : bool, default=True
        Scale each feature by its training fold's standard deviation.
    fit_intercept : bool, default=True
    tol, max_iter
        See :func:`fit_kernel_logistic`.
    device : str or torch.device, default="cpu"
    dtype : torch.dtype, optional
        Precision of the Gram products (see :func:`._kernels.as_data_tensor`).

    Returns
    -------
    logits : list of ndarray of shape (n_l2, n_test, q)
        One per split; ``q`` is 1 for two classes (the logit of class 1), else
        ``n_classes``.
    n_iter : ndarray of shape (n_splits, n_l2)
        L-BFGS iterations of each model.
    """
    Xt = as_data_tensor(X, device, dtype)
    y = torch.as_tensor(np.asarray(codes), device=Xt.device)
    out, iters = [], []
    kernels = fold_kernels(Xt, splits, standardize=standardize, shift=fit_intercept)
    for (K, K_e), (train, _) in zip(kernels, splits):
        C, b, n_iter = fit_kernel_logistic(K, y[torch.as_tensor(train, device=Xt.device)],
                                           n_classes, l2s, fit_intercept=fit_intercept,
                                           tol=tol, max_iter=max_iter)
        del K
        logits = (K_e @ C.reshape(len(C), -1)).reshape(-1, *C.shape[1:]) + b[None]
        out.append(logits.permute(1, 0, 2).cpu().numpy())
        iters.append(n_iter.cpu().numpy())
    return out, np.array(iters)

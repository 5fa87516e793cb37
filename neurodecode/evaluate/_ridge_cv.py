"""Held-out ridge predictions for every (fold, L2 strength) pair from shared factorisations.

Each fold's model is the ridge solution on that fold's training samples, with centring
(and optionally scaling) statistics of the training fold only. When neurons outnumber
training samples the problem is solved in its dual (kernel) form, whose n x n Gram
matrix is a sub-block of one Gram matrix of all samples when no per-fold scaling is
needed: the fold's centring is applied exactly by rank-one corrections. The strengths of
a fold share one factorisation (:func:`~neurodecode.decoders._ridge_solvers.solve_shifted`).

Objective per fold (``n`` training samples, ``Z`` the centred/scaled training responses):

``(1 / (2 n)) ||y - Z w - b||^2 + (l2 / 2) ||w||^2``,  i.e. ``(Z'Z + n l2 I) w = Z'(y - b)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from ..decoders._ridge_solvers import gram, solve_shifted

__all__ = ["cv_ridge_predictions"]

_LARGE = 20_000_000  # responses above this many entries keep float32 products


def _fold_kernels(Xt: torch.Tensor, tr: torch.Tensor, te: torch.Tensor, *,
                  standardize: bool, fit_intercept: bool, G: torch.Tensor | None
                  ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """The fold's training kernel and test-train cross kernel (float64), or, when
    samples outnumber features, the primal Gram matrix and the projected test data."""
    f64 = torch.float64
    if G is not None:
        K_tt, K_et = G[tr][:, tr].to(f64), G[te][:, tr].to(f64)
        if fit_intercept:  # centre on the training fold: rank-one corrections
            r_t, r_e = K_tt.mean(dim=1), K_et.mean(dim=1)
            c = K_tt.mean()
            K_tt = K_tt - r_t[:, None] - r_t[None, :] + c
            K_et = K_et - r_e[:, None] - r_t[None, :] + c
            # centring leaves the constant vector in K_tt's null space; lifting it to
            # the mean eigenvalue conditions the solves and changes no solution, as the
            # centred targets are orthogonal to it
            K_tt += K_tt.diagonal().mean() / K_tt.shape[0]
        return K_tt, K_et, None
    Ztr, Zte = Xt[tr], Xt[te]
    if standardize:  # scale by the training fold's standard deviation
        sd = Ztr.to(f64).std(dim=0, correction=0).to(Ztr.dtype)
        sd = torch.where(sd > 0, sd, torch.ones_like(sd))
        Ztr, Zte = Ztr / sd, Zte / sd
    if fit_intercept:  # centre on the training fold
        mu = Ztr.to(f64).mean(dim=0).to(Ztr.dtype)
        Ztr, Zte = Ztr - mu, Zte - mu
    if Ztr.shape[0] < Ztr.shape[1]:
        return gram(Ztr).to(f64), (Zte @ Ztr.T).to(f64), None
    return gram(Ztr, transpose=True).to(f64), Ztr.to(f64), Zte.to(f64)


def cv_ridge_predictions(X: np.ndarray, Y: np.ndarray,
                         splits: Sequence[tuple[np.ndarray, np.ndarray]], l2s: Sequence[float],
                         *, standardize: bool = True, fit_intercept: bool = True,
                         device: str | torch.device = "cpu", dtype: torch.dtype | None = None
                         ) -> list[np.ndarray]:
    """Held-out ridge predictions for every fold and every L2 strength.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_targets)
    splits : sequence of (train, test) index arrays
    l2s : sequence of float
        Penalty strengths under the objective in the module docstring (scikit-learn's
        ``Ridge(alpha=n_train * l2)`` on the same centred/scaled data).
    standardize : bool, default=True
        Scale each feature by its training-fold standard deviation.
    fit_intercept : bool, default=True
        Centre features and targets on the training fold and add the target mean back
        (without it the features are only scaled, as in ``LinearDecoder``).
    device : str or torch.device, default="cpu"
    dtype : torch.dtype, optional
        Precision of the large products of responses (the Gram matrices). By default
        float64, except for float32 responses of more than 2e7 entries, whose products
        stay float32 (twice as fast). The solves are float64 whatever this setting.

    Returns
    -------
    list of ndarray of shape (n_l2, n_test, n_targets)
        One per split, predictions for the split's test samples.
    """
    Xt = torch.as_tensor(X, device=device)
    if dtype is None:  # small problems: float64 throughout; large float32 data: its own
        large = Xt.numel() > _LARGE and Xt.dtype == torch.float32
        dtype = torch.float32 if large else torch.float64
    Xt = Xt.to(dtype)
    Yt = torch.as_tensor(Y, device=device).to(torch.float64)
    if Yt.ndim == 1:
        Yt = Yt[:, None]
    n, p = Xt.shape
    G = None
    if not standardize and max(len(tr) for tr, _ in splits) < p:
        # one Gram matrix of all samples serves every fold; a global shift first (it
        # cancels exactly in every fold's centring) keeps the corrections well conditioned
        Xs = Xt - Xt.to(torch.float64).mean(dim=0).to(dtype) if fit_intercept else Xt
        G = gram(Xs)
        del Xs
    out = []
    for train, test in splits:
        tr = torch.as_tensor(train, device=device)
        te = torch.as_tensor(test, device=device)
        ytr = Yt[tr]
        ymean = ytr.mean(dim=0) if fit_intercept else ytr.new_zeros(ytr.shape[1])
        yc = ytr - ymean
        lambdas = [len(train) * float(a) for a in l2s]
        K, K_e, Zte = _fold_kernels(Xt, tr, te, standardize=standardize,
                                         fit_intercept=fit_intercept, G=G)
        if Zte is None:  # dual form: predictions = K_et (K_tt + lam I)^-1 y
            pred = K_e @ solve_shifted(K, yc, lambdas)
        else:  # primal form: w = (Z'Z + lam I)^-1 Z'y
            pred = Zte @ solve_shifted(K, K_e.T @ yc, lambdas)
        out.append((pred + ymean).cpu().numpy())
    return out

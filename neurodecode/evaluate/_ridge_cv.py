"""Held-out ridge predictions for every (fold, L2 strength) pair from shared factorisations.

Each fold's model is the ridge solution on that fold's training samples, with centring
(and optionally scaling) statistics of the training fold only. When neurons outnumber
training samples the problem is solved in its dual (kernel) form, whose n x n Gram
matrix is a sub-block of one Gram matrix of all samples when no per-fold scaling is
needed: the fold's centring is applied exactly by rank-one corrections. The strengths of
a fold share one factorisation (:func:`~neurodecode.decoders._linalg.solve_shifted`).

Objective per fold (``n`` training samples, ``Z`` the centred/scaled training responses):

``(1 / (2 n)) ||y - Z w - b||^2 + (l2 / 2) ||w||^2``,  i.e. ``(Z'Z + n l2 I) w = Z'(y - b)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from ..decoders._linalg import gram, solve_shifted
from ._kernels import as_data_tensor, center_kernels, fold_kernels, use_dual

__all__ = ["cv_ridge_predictions"]

def _primal(Xt: torch.Tensor, tr: torch.Tensor, te: torch.Tensor, *, standardize: bool,
            fit_intercept: bool) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The fold's Gram matrix ``Z'Z`` and its training and test responses (float64),
    scaled and centred with the training fold's statistics."""
    f64 = torch.float64
    Ztr, Zte = Xt[tr].to(f64), Xt[te].to(f64)
    if standardize:
        sd = Ztr.std(dim=0, correction=0)
        sd = torch.where(sd > 0, sd, torch.ones_like(sd))
        Ztr, Zte = Ztr / sd, Zte / sd
    if fit_intercept:
        mu = Ztr.mean(dim=0)
        Ztr, Zte = Ztr - mu, Zte - mu
    return gram(Ztr, transpose=True), Ztr, Zte


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
    Xt = as_data_tensor(X, device, dtype)
    Yt = torch.as_tensor(Y, device=device).to(torch.float64)
    if Yt.ndim == 1:
        Yt = Yt[:, None]
    lambdas = [[len(train) * float(a) for a in l2s] for train, _ in splits]
    targets = []
    for train, _ in splits:
        ytr = Yt[torch.as_tensor(train, device=Yt.device)]
        ymean = ytr.mean(dim=0) if fit_intercept else ytr.new_zeros(ytr.shape[1])
        targets.append((ytr - ymean, ymean))
    out = []
    if use_dual(Xt, splits):  # predictions = K_et (K_tt + lam I)^-1 y
        kernels = fold_kernels(Xt, splits, standardize=standardize, shift=fit_intercept)
        for (K, K_e), lams, (yc, ymean) in zip(kernels, lambdas, targets):
            if fit_intercept:
                K, K_e = center_kernels(K, K_e)
            out.append((K_e @ solve_shifted(K, yc, lams) + ymean).cpu().numpy())
        return out
    for (train, test), lams, (yc, ymean) in zip(splits, lambdas, targets):
        # primal form: w = (Z'Z + lam I)^-1 Z'y
        C, Ztr, Zte = _primal(Xt, torch.as_tensor(train, device=Xt.device),
                              torch.as_tensor(test, device=Xt.device),
                              standardize=standardize, fit_intercept=fit_intercept)
        out.append((Zte @ solve_shifted(C, Ztr.T @ yc, lams) + ymean).cpu().numpy())
    return out

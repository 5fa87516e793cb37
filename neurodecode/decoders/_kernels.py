"""Per-fold kernel (Gram) matrices for cross-validating L2-penalised linear models.

With more neurons than training samples, an L2-penalised linear model's weights lie in
the span of its training responses, so each fold's fit needs only the fold's n x n
training kernel ``Z Z'`` and the test-train cross kernel. Without per-fold scaling these
are sub-blocks of one Gram matrix of all samples, computed once for every fold and
every penalty strength; with per-fold scaling each fold gets its own product (still
exact: the scaling comes from the training fold only).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import torch

from ._core import standardization
from ._linalg import gram

__all__ = ["as_data_tensor", "center_kernels", "fold_kernels", "use_dual"]

_LARGE = 20_000_000  # responses above this many entries keep float32 products


def as_data_tensor(X: np.ndarray, device: str | torch.device,
                   dtype: torch.dtype | None) -> torch.Tensor:
    """Responses as a tensor in the precision of the large products: ``dtype``, else
    float64, except float32 data of more than 2e7 entries, which stays float32."""
    Xt = torch.as_tensor(X, device=device)
    if dtype is None:
        large = Xt.numel() > _LARGE and Xt.dtype == torch.float32
        dtype = torch.float32 if large else torch.float64
    return Xt.to(dtype)


def use_dual(Xt: torch.Tensor, splits: Sequence[tuple[np.ndarray, np.ndarray]]) -> bool:
    """Whether every training fold has fewer samples than features (the kernel form)."""
    return max(len(tr) for tr, _ in splits) < Xt.shape[1]


def fold_kernels(Xt: torch.Tensor, splits: Sequence[tuple[np.ndarray, np.ndarray]], *,
                 standardize: bool, shift: bool
                 ) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Yield each split's training kernel (n_train, n_train) and test-train kernel
    (n_test, n_train), in float64.

    Parameters
    ----------
    Xt : Tensor of shape (n_samples, n_features)
    splits : sequence of (train, test) index arrays
    standardize : bool
        Scale each feature by its training fold's standard deviation.
    shift : bool
        Subtract the mean of all samples first. Exact only for models with an intercept
        (the shift moves into it), where it keeps the products well conditioned.
    """
    f64 = torch.float64
    if shift:
        Xt = Xt - Xt.to(f64).mean(dim=0).to(Xt.dtype)
    G = None if standardize else gram(Xt)
    for train, test in splits:
        tr = torch.as_tensor(train, device=Xt.device)
        te = torch.as_tensor(test, device=Xt.device)
        if G is not None:  # one gather per block
            yield G[tr[:, None], tr].to(f64), G[te[:, None], tr].to(f64)
            continue
        Ztr, Zte = Xt[tr], Xt[te]
        _, sd = standardization(Ztr.to(f64), center=False)
        sd = sd.to(Ztr.dtype)
        Ztr, Zte = Ztr / sd, Zte / sd
        yield gram(Ztr).to(f64), (Zte @ Ztr.T).to(f64)


def center_kernels(K_tt: torch.Tensor, K_et: torch.Tensor
                   ) -> tuple[torch.Tensor, torch.Tensor]:
    """The kernels of responses centred on the training fold (rank-one corrections).

    Centring leaves the constant vector in the training kernel's null space; it is
    lifted to the mean eigenvalue, which conditions the solves and changes no solution
    whose right-hand side is centred (orthogonal to the constant vector).
    """
    r_t, r_e = K_tt.mean(dim=1), K_et.mean(dim=1)
    c = K_tt.mean()
    K_tt = K_tt - r_t[:, None]  # the only copy; the rest in place
    K_tt -= r_t[None, :]
    K_tt += c
    K_et = K_et - r_e[:, None]
    K_et -= r_t[None, :]
    K_et += c
    K_tt += K_tt.diagonal().mean() / K_tt.shape[0]
    return K_tt, K_et

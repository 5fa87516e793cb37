"""Train many ReLU networks at once: every (fold, setting) of a sweep as one stacked model.

Each model is prepared by the decoder's own steps (``_prepare_fit``: validation and
targets; ``_fit_standardizer``; ``_start_training``: validation split and initial weights
drawn from its own seeded generator), then all models of a fold are trained together:
the first layer of every model is one wide matrix product of the fold's responses with
the models' weights side by side, later layers are batched matrix products over models,
and each model keeps its own penalty, dropout rate and generator. Adam and SGD act
element-wise, so a stacked optimizer is the same as one optimizer per model; a model
that stops (no improvement for ``patience`` epochs) is frozen while the others go on.
Mini-batch orders that coincide (the usual case: same seed) share one product;
diverging ones are trained in groups.

With plain SGD, no L1 penalty and more neurons than training samples, the first layer is
trained in kernel form (:class:`_KernelLayer`): an SGD step changes the weights only by
the mini-batch's training responses, so the weights stay ``W = c W_init + A' Z`` and a
step updates a few rows of ``A`` and the product ``K A`` (``K = Z Z'``, computed once per
fold) instead of a ``p``-wide product. The steps are those of SGD on ``W``, so the models
are the same (up to float32 rounding); the weights are written out once at the end.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import torch
from sklearn.base import clone
from torch import nn
from tqdm.auto import tqdm

from ._base import make_generator, resolve_device
from ._core import EarlyStopping, Penalty

__all__ = ["fit_mlp_stacked"]

class _CannotBatch(Exception):
    """The models of a fold cannot share a training set (different validation splits)."""


def _linear_layers(module: nn.Module) -> list[nn.Linear]:
    return [m for m in module.modules() if isinstance(m, nn.Linear)]


class _Stack:
    """The stacked parameters of M networks of identical shape."""

    def __init__(self, modules: list[nn.Module]) -> None:
        layers = [_linear_layers(m) for m in modules]
        self.W = [nn.Parameter(torch.stack([ls[i].weight.detach() for ls in layers]))
                  for i in range(len(layers[0]))]
        self.b = [nn.Parameter(torch.stack([ls[i].bias.detach() for ls in layers]))
                  for i in range(len(layers[0]))]

    def params(self) -> list[nn.Parameter]:
        return [*self.W, *self.b]

    def snapshot(self, m: int) -> list[torch.Tensor]:
        return [p[m].detach().clone() for p in self.params()]

    @torch.no_grad()
    def restore(self, m: int, state: list[torch.Tensor]) -> None:
        for p, s in zip(self.params(), state):
            p[m].copy_(s)

    def penalty(self, l1: torch.Tensor, l2: torch.Tensor, first: int = 0) -> torch.Tensor:
        """Per-model :class:`~neurodecode.decoders._core.Penalty` of the weights of layers
        ``first`` on, shape (M,)."""
        return Penalty(l1=l1, l2=l2).value(self.W[first:], per_model=True) + l2.new_zeros(l2.shape)

    def forward(self, X: torch.Tensor | None, group: list[int], dropout: list[float],
                generators: list[torch.Generator | None], training: bool,
                pre0: torch.Tensor | None = None) -> torch.Tensor:
        """Outputs (batch, len(group), n_out) of the models in ``group`` on shared inputs
        ``X``, or on the first layer's products ``pre0`` (batch, len(group), hidden)."""
        idx = torch.as_tensor(group, device=self.b[0].device)
        b0 = self.b[0] if len(group) == self.b[0].shape[0] else self.b[0][idx]
        if pre0 is None:
            W0 = self.W[0] if len(group) == self.W[0].shape[0] else self.W[0][idx]
            g, out0, n_in = W0.shape
            pre0 = (X @ W0.reshape(g * out0, n_in).T).reshape(X.shape[0], g, out0)
        H = pre0 + b0
        for layer in range(1, len(self.W)):
            H = self._relu_dropout(H, group, dropout, generators, training)
            W = self.W[layer][idx]
            H = torch.einsum("bgi,goi->bgo", H, W) + self.b[layer][idx]
        return H

    @staticmethod
    def _relu_dropout(H: torch.Tensor, group: list[int], dropout: list[float],
                      generators: list[torch.Generator | None], training: bool
                      ) -> torch.Tensor:
        H = torch.relu(H)
        if not training:
            return H
        if all(dropout[m] == 0.0 for m in group):
            return H
        scale = []
        for m in group:  # each model's mask from its own generator, as in its own fit
            p = dropout[m]
            if p == 0.0:
                scale.append(H.new_ones(H.shape[0], H.shape[2]))
                continue
            keep = torch.rand((H.shape[0], H.shape[2]), generator=generators[m],
                              device=H.device, dtype=H.dtype)
            scale.append((keep >= p).to(H.dtype) / (1.0 - p))
        return H * torch.stack(scale, dim=1)


class _KernelLayer:
    """First layers ``W_m = s_m (W_init_m + A_m' Z)`` of M models trained by plain SGD.

    ``Z`` (n, p) are the fold's training responses. SGD with an L2 penalty maps
    ``W <- (1 - lr l2) W - lr Z_B' delta_B``: the decay scales ``s``, the gradient step
    changes the batch's rows of ``A``. ``Q = K A`` (``K = Z Z'``) is kept up to date, so a
    batch's first-layer products are ``s (P_B + Q_B)`` with ``P = Z W_init'``: no product
    with the p-dimensional responses during training. ``||W||^2`` is updated from the
    batch's products and ``K``'s batch block, for the penalty's value.
    """

    def __init__(self, W_init: torch.Tensor, Z: torch.Tensor) -> None:
        from ..decoders._linalg import gram

        M, h, _ = W_init.shape
        self.W_init, self.Z = W_init, Z
        self.K = gram(Z)
        # models seeded alike share their initial weights: one product serves them
        self.P = torch.empty((Z.shape[0], M, h), dtype=Z.dtype, device=Z.device)
        done: list[int] = []
        for m in range(M):
            same = next((k for k in done if torch.equal(W_init[k], W_init[m])), None)
            self.P[:, m] = self.P[:, same] if same is not None else Z @ W_init[m].T
            done.append(m)
        self.A = torch.zeros_like(self.P)  # A_m' stored as (n, h)
        self.Q = torch.zeros_like(self.P)
        self.s = torch.ones(M, dtype=torch.float64, device=Z.device)
        self.sq = (W_init.to(torch.float64) ** 2).sum(dim=(1, 2))  # ||W_m||^2

    def products(self, rows: torch.Tensor, group: list[int]) -> torch.Tensor:
        """First-layer products ``Z_B W'`` (batch, len(group), h), before the bias."""
        g = torch.as_tensor(group, device=rows.device)
        s = self.s[g].to(self.P.dtype)[:, None]
        return s * (self.P[rows][:, g] + self.Q[rows][:, g])

    @torch.no_grad()
    def step(self, rows: torch.Tensor, group: list[int], pre: torch.Tensor,
             delta: torch.Tensor, lr: float, l2: torch.Tensor) -> None:
        """One SGD step of the models in ``group``: ``pre`` (batch, g, h) are the batch's
        first-layer products and ``delta`` the objective's gradient with respect to them."""
        g = torch.as_tensor(group, device=rows.device)
        decay = 1.0 - lr * l2[g].to(torch.float64)
        K_bb = self.K[rows][:, rows]
        # ||decay W - lr Z_B' delta||^2 from the products: <W, Z_B' delta> = <pre, delta>
        cross = (pre * delta).sum(dim=(0, 2)).to(torch.float64)
        quad = torch.einsum("ij,igh,jgh->g", K_bb, delta, delta).to(torch.float64)
        self.sq[g] = decay * decay * self.sq[g] - 2 * decay * lr * cross + lr * lr * quad
        self.s[g] *= decay
        step = delta * (lr / self.s[g]).to(delta.dtype)[None, :, None]  # in units of s
        b, n = len(rows), self.A.shape[0]
        if len(group) == self.A.shape[1]:  # the usual case: every model in one group
            self.A[rows] -= step
            self.Q.view(n, -1).addmm_(self.K[rows].T, step.reshape(b, -1), alpha=-1.0)
            return
        for k, m in enumerate(group):
            self.A[rows, m] -= step[:, k]
            self.Q[:, m].addmm_(self.K[rows].T, step[:, k], alpha=-1.0)

    def weights(self) -> torch.Tensor:
        """The models' first-layer weights (M, h, p)."""
        from ..decoders._linalg import matmul

        M, h = self.s.shape[0], self.A.shape[2]
        AZ = matmul(self.A.reshape(self.A.shape[0], M * h).T, self.Z).reshape(M, h, -1)
        return self.s.to(self.Z.dtype)[:, None, None] * (self.W_init + AZ)


def _group_batches(batches: list[list[torch.Tensor | None]]) -> list[list[int]]:
    """Models whose mini-batch index lists are identical share a group."""
    groups: list[list[int]] = []
    for m, bl in enumerate(batches):
        for g in groups:
            ref = batches[g[0]]
            if len(ref) == len(bl) and all(
                    (a is None and b is None) or (a is not None and b is not None
                                                  and torch.equal(a, b))
                    for a, b in zip(ref, bl)):
                g.append(m)
                break
        else:
            groups.append([m])
    return groups


def _train_fold(decs: list[Any], Xt: torch.Tensor, Tt: torch.Tensor,
                bar: Any) -> None:
    """Train the models of one fold together; sets module_, history_, n_iter_ on each."""
    M = len(decs)
    lead = decs[0]
    device = Xt.device
    gens = [make_generator(d.random_state, device, d._owner) for d in decs]
    n_out = lead._n_module_outputs()
    prepared = [d._start_training(Xt, n_out, g) for d, g in zip(decs, gens)]
    for d, (module, _, _) in zip(decs, prepared):
        d._set_dropout_generator(module, None)  # masks are drawn here, per model
    modules = [p[0] for p in prepared]
    train_idx, val_idx = prepared[0][1], prepared[0][2]
    if any(not torch.equal(p[1], train_idx) for p in prepared):
        raise _CannotBatch
    Xtr, Ttr = Xt[train_idx], Tt[train_idx]
    stack = _Stack(modules)
    name = lead._optimizer_name()
    lr = lead.lr if lead.lr is not None else {"adam": 1e-3, "sgd": 1e-2}[name]
    kernel = None
    if (name == "sgd" and val_idx is None and all(float(d.l1) == 0 for d in decs)
            and len(train_idx) < Xt.shape[1]):
        kernel = _KernelLayer(stack.W[0].detach(), Xtr)
    params = [p for p in stack.params() if kernel is None or p is not stack.W[0]]
    opt = (torch.optim.Adam if name == "adam" else torch.optim.SGD)(params, lr=lr)
    l1 = Xt.new_tensor([float(d.l1) for d in decs])
    l2 = Xt.new_tensor([float(d.l2) for d in decs])
    dropout = [float(d.dropout) for d in decs]
    history = [{"train_loss": [], "val_loss": []} for _ in decs]
    stops = [EarlyStopping(tol=float(d.tol), patience=int(d.patience)) for d in decs]
    best_state: list[list[torch.Tensor] | None] = [None] * M
    active = list(range(M))
    n_iter = [lead.max_epochs] * M
    for epoch in range(lead.max_epochs):
        batches = [decs[m]._batches(len(train_idx), gens[m], device) if m in active else []
                   for m in range(M)]
        groups = _group_batches([batches[m] for m in active])
        groups = [[active[k] for k in g] for g in groups]
        epoch_loss = Xt.new_zeros(M)
        frozen = {m: stack.snapshot(m) for m in range(M) if m not in active}
        for step in range(len(batches[active[0]])):
            opt.zero_grad()
            total = Xt.new_zeros(())
            pending = []
            for g in groups:
                idx = batches[g[0]][step]
                if kernel is None:
                    xb, tb = (Xtr, Ttr) if idx is None else (Xtr[idx], Ttr[idx])
                    out = stack.forward(xb, g, dropout, gens, training=True)
                    pen = stack.penalty(l1, l2)
                else:
                    rows = torch.arange(len(train_idx), device=device) if idx is None else idx
                    tb = Ttr[rows]
                    pre0 = kernel.products(rows, g).requires_grad_()
                    out = stack.forward(None, g, dropout, gens, training=True, pre0=pre0)
                    pen = stack.penalty(l1, l2, first=1) + Penalty(l2=l2).l2_term(
                        kernel.sq.to(l2.dtype))
                    pending.append((rows, g, pre0))
                for k, m in enumerate(g):
                    obj = decs[m]._loss(out[:, k], tb) + pen[m]
                    total = total + obj
                    epoch_loss[m] += obj.detach() * tb.shape[0]
            total.backward()
            opt.step()
            for rows, g, pre0 in pending:
                kernel.step(rows, g, pre0.detach(), pre0.grad, lr, l2)
            for m, state in frozen.items():
                stack.restore(m, state)
        epoch_loss = epoch_loss / len(train_idx)
        val_loss = None
        if val_idx is not None:
            with torch.no_grad():
                out = stack.forward(Xt[val_idx], list(range(M)), dropout, gens, training=False)
                val_loss = [float(decs[m]._loss(out[:, m], Tt[val_idx])) for m in range(M)]
        for m in list(active):
            loss = float(epoch_loss[m])
            decs[m]._check_loss(loss, epoch)
            history[m]["train_loss"].append(loss)
            monitored = loss
            if val_loss is not None:
                monitored = val_loss[m]
                history[m]["val_loss"].append(monitored)
            stopping = stops[m].update(monitored)
            if stops[m].improved and val_idx is not None:
                best_state[m] = stack.snapshot(m)
            if stopping:
                active.remove(m)
                n_iter[m] = epoch + 1
        bar.update(1)
        if not active:
            break
    if kernel is not None:
        with torch.no_grad():
            stack.W[0].copy_(kernel.weights())
    for m, (d, module) in enumerate(zip(decs, modules)):
        if best_state[m] is not None:
            stack.restore(m, best_state[m])
        with torch.no_grad():
            for layer, lin in enumerate(_linear_layers(module)):
                lin.weight.copy_(stack.W[layer][m])
                lin.bias.copy_(stack.b[layer][m])
        module.eval()
        d.module_, d.history_, d.n_iter_ = module, history[m], n_iter[m]


def available_memory(device: torch.device) -> int:
    """Free memory of ``device`` in bytes (CUDA: free device memory; else free RAM)."""
    if device.type == "cuda":
        return int(torch.cuda.mem_get_info(device)[0])
    try:
        with open("/proc/meminfo") as f:
            info = dict(line.split(":", 1) for line in f)
        return int(info["MemAvailable"].split()[0]) * 1024
    except (OSError, KeyError, ValueError):
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES"))


def _bytes_per_model(decoder: Any, n_features: int, n_rows: int, n_out: int,
                     itemsize: int) -> int:
    """Parameters, gradients and two Adam moments, plus activations of the full batch."""
    widths = [n_features, *decoder._hidden(), n_out]
    n_params = sum((a + 1) * b for a, b in zip(widths[:-1], widths[1:]))
    activations = n_rows * sum(widths[1:]) * 3
    return (4 * n_params + activations) * itemsize


def _chunks(n_models: int, per_model: int, budget: int) -> list[range]:
    size = max(1, min(n_models, budget // max(per_model, 1)))
    return [range(a, min(a + size, n_models)) for a in range(0, n_models, size)]


def fit_mlp_stacked(decoder: Any, settings: list[dict[str, Any]], X: np.ndarray,
                    y: np.ndarray, splits: list[tuple[np.ndarray, np.ndarray]], *,
                    max_memory: int | None = None,
                    progress: bool = False) -> list[list[Any]] | None:
    """Fit ``decoder`` with every setting on every fold's training samples, batched.

    Parameters
    ----------
    decoder : MLPDecoder or MLPClassifierDecoder
    settings : list of dict
        Values of ``l1``, ``l2`` and ``dropout`` per candidate.
    X : ndarray of shape (n_samples, n_neurons)
    y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
    splits : list of (train, test)
    max_memory : int, optional
        Bytes the stacked models of one batch may use; the settings of a fold are split
        into chunks that fit. Default: half of the device's free memory.
    progress : bool, default=False
        Progress bar over epochs (all models of a fold advance together).

    Returns
    -------
    list (per fold) of list (per setting) of fitted decoders, or None
        None when the models of a fold cannot share a training set (then fit each model
        in turn).
    """
    fitted: list[list[Any]] = []
    total = len(splits) * decoder.get_params()["max_epochs"]
    with tqdm(total=total, desc="batched training", disable=not progress, leave=False) as bar:
        for train, _ in splits:
            lead = clone(decoder).set_params(**settings[0])
            Xp, T = lead._prepare_fit(X[train], y[train])
            device = resolve_device(lead.device, lead._owner)
            Xt = lead._fit_standardizer(lead._as_tensor(Xp, device))  # as in its own fit
            Tt = lead._as_tensor(T, device, Xt.dtype if T.dtype.kind == "f" else None)
            state = {k: v for k, v in vars(lead).items() if k.endswith("_")}
            decs = [lead]
            for s in settings[1:]:
                d = clone(decoder).set_params(**s)
                d._check_params()
                d.__dict__.update(state)
                decs.append(d)
            budget = max_memory if max_memory is not None else available_memory(device) // 2
            per_model = _bytes_per_model(lead, Xt.shape[1], Xt.shape[0],
                                         lead._n_module_outputs(), Xt.element_size())
            try:
                for chunk in _chunks(len(decs), per_model, budget):
                    _train_fold([decs[i] for i in chunk], Xt, Tt, bar)
            except _CannotBatch:
                return None
            fitted.append(decs)
    return fitted

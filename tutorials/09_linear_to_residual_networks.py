# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 9: from a linear network to a deep residual network
#
# The deep-learning lessons of the course (the MIND 2023 ANN tutorial, Neuromatch's "Deep
# learning in neuroscience") walk from a linear network to deep ReLU networks and then to
# the tricks that make deep networks train: normalisation, dropout, skip connections,
# early stopping, checkpoints. This lesson takes the same path on one decoding problem,
# grating orientation from a simulated V1 population (lesson 1), so that every step is
# measured against the same held-out trials and against the Cramér-Rao bound, the best
# error any unbiased decoder could reach with this population.
#
# 1. A **linear network** trained by gradient descent is ordinary least squares.
# 2. **Shallow vs deep** ReLU networks.
# 3. **Activations**: ReLU, tanh, sigmoid, GELU.
# 4. **BatchNorm, dropout and skip connections** (`residual=True`).
# 5. **Early stopping**: overfitting seen in the loss curves, and its cure.
# 6. **Checkpoints** that resume a run, a **learning-rate schedule**, **TensorBoard**.
# 7. **Your own network**: the tutorial's `DeepNetReLU` class inside `ModuleDecoder`.
#
# `NEURODECODE_QUICK=1` shrinks everything so that the lesson runs in seconds; the numbers
# then change, but what to look for does not. Figures go to `$NEURODECODE_FIGURES`.

# %%
import os
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

from neurodecode.data import orientation_population
from neurodecode.decoders import (
    Checkpoint,
    LinearDecoder,
    LRScheduler,
    MLPDecoder,
    ModuleDecoder,
    TensorBoard,
)
from neurodecode.evaluate import circular_error, make_splits, plot_loss_curves

QUICK = os.environ.get("NEURODECODE_QUICK", "0") not in ("", "0")
FIGURES = Path(os.environ.get("NEURODECODE_FIGURES", "figures"))
FIGURES.mkdir(parents=True, exist_ok=True)

N_NEURONS, N_TRIALS = (150, 500) if QUICK else (1_000, 3_000)
EPOCHS = 40 if QUICK else 150
SEED = 0


def save(fig, name):
    path = FIGURES / f"09_{name}.png"
    fig.savefig(path, dpi=120)
    print(f"figure saved: {path}")


def median_error(decoder, X, y):
    """Median absolute error in degrees on the circle of orientations (period 180)."""
    return float(np.median(np.abs(circular_error(y, decoder.predict(X), period=180.0))))


# %% [markdown]
# ## The population and one held-out test set
#
# A Stringer-like population with known tuning curves (lesson 1). Every decoder below is
# fitted on the same 80% of the trials and tested on the other 20%. Orientation is a
# circle, so every decoder fits `(cos 2θ, sin 2θ)` and reads the angle back (the
# Recording's `period=180` tells it to).

# %%
rec, truth = orientation_population(N_NEURONS, N_TRIALS, random_state=SEED)
train, test = make_splits(rec, 5, random_state=SEED)[0]
X_train, X_test = rec.responses[train], rec.responses[test]
y_train, y_test = rec.stimulus[train], rec.stimulus[test]
# the bound on the RMS error (degrees); for Gaussian errors the median is 0.674 times it
bound = 0.674 * truth.cramer_rao_bound()
print(rec)
print(f"Cramér-Rao bound on the median error: {bound:.2f} deg")

# %% [markdown]
# ## 1. A linear network is least squares
#
# A network without hidden layers, `MLPDecoder(hidden=())`, computes `W r + b`, the same
# function as a linear regression. Trained on the mean squared error by full-batch
# gradient descent, it converges to the least-squares weights, which `LinearDecoder`
# computes in closed form. (This is the course's first exercise: the linear network
# *is* OLS; gradient descent is just a slow way to solve it.) With training its
# predictions come within a small distance of the closed form's (Adam's fixed step size
# leaves it jittering around the solution); how many epochs that takes grows with the
# number of neurons per trial.

# %%
ols = LinearDecoder(l2=1e-3, period=180.0, device="cpu").fit(X_train, y_train)
print(f"closed form: {median_error(ols, X_test, y_test):.2f} deg")
for epochs in (100, 1000, 4000):
    linear_net = MLPDecoder(hidden=(), l2=1e-3, batch_size=None, lr=1e-2, max_epochs=epochs,
                            tol=0.0, patience=epochs, period=180.0, device="cpu",
                            random_state=SEED).fit(X_train, y_train)
    gap = np.median(np.abs(circular_error(ols.predict(X_test), linear_net.predict(X_test),
                                          period=180.0)))
    print(f"gradient descent, {epochs:>4} epochs: {median_error(linear_net, X_test, y_test):.2f}"
          f" deg (median distance from the closed form's predictions: {gap:.3f} deg)")

# %% [markdown]
# ## 2. Shallow vs deep ReLU networks
#
# One hidden layer of 200 ReLU units ("DeepNetReLU") and three. Both are trained with the
# same mini-batch Adam for the same number of epochs. More layers are more expressive;
# whether that helps depends on how many trials there are to fit them, and a linear
# read-out is a strong baseline for a population of independent, smoothly tuned neurons.

# %%
common = dict(period=180.0, max_epochs=EPOCHS, device="cpu", random_state=SEED)
nets = {
    "linear (closed form)": ols,
    "1 x 200 ReLU": MLPDecoder(hidden=(200,), **common).fit(X_train, y_train),
    "3 x 200 ReLU": MLPDecoder(hidden=(200, 200, 200), **common).fit(X_train, y_train),
}
for name, dec in nets.items():
    print(f"{name:>22}: {median_error(dec, X_test, y_test):.2f} deg")

# %% [markdown]
# ## 3. Activations
#
# The non-linearity between layers: ReLU (`max(0, x)`), tanh and sigmoid (saturating:
# their gradient vanishes for large inputs, so deep stacks of them train slowly), and
# GELU (a smooth ReLU). Compare the differences with those between seeds before reading
# much into them.

# %%
activation_errors = {}
for activation in ("relu", "tanh", "sigmoid", "gelu"):
    dec = MLPDecoder(hidden=(200,), activation=activation, **common).fit(X_train, y_train)
    activation_errors[activation] = median_error(dec, X_test, y_test)
    print(f"{activation:>8}: {activation_errors[activation]:.2f} deg")

# %% [markdown]
# ## 4. BatchNorm, dropout and skip connections
#
# Three ways to make a deeper network train and generalise better:
#
# - **BatchNorm** re-centres and re-scales each hidden unit over the mini-batch;
# - **dropout** silences a random half (here 30%) of the hidden units at each step, so
#   that no unit can rely on another (off at prediction time);
# - **skip connections** (`residual=True`) add each hidden layer's input to its output,
#   `x + layer(x)`, as in the MIND tutorial's skip network: a layer then only has to learn
#   a correction, and a block whose weights are zero is the identity.

# %%
deep = dict(hidden=(200, 200, 200), **common)
variants = {
    "plain": MLPDecoder(**deep),
    "BatchNorm": MLPDecoder(batch_norm=True, **deep),
    "dropout 0.3": MLPDecoder(dropout=0.3, **deep),
    "residual": MLPDecoder(residual=True, **deep),
}
variant_errors = {}
for name, dec in variants.items():
    dec.fit(X_train, y_train)
    variant_errors[name] = median_error(dec, X_test, y_test)
    print(f"{name:>12}: {variant_errors[name]:.2f} deg")

# %% [markdown]
# ## 5. Overfitting and early stopping
#
# The loss curves tell the story. `early_stopping=True` holds out 10% of the training
# trials, watches their loss after every epoch, stops when it has not improved for
# `patience` epochs, and restores the weights of the best epoch. The dashed validation
# curve of the network without it turns up while its training loss keeps falling: that
# is overfitting. (Always judge a network on trials it never saw; the training loss alone
# says nothing about decoding.)

# %%
overfit = MLPDecoder(hidden=(200,), early_stopping=True, patience=10 * EPOCHS, **common)
stopped = MLPDecoder(hidden=(200,), early_stopping=True, patience=5, **common)
overfit.fit(X_train, y_train)
stopped.fit(X_train, y_train)
fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True, layout="constrained")
plot_loss_curves(overfit, ax=axes[0])
axes[0].set_title(f"no stopping: {median_error(overfit, X_test, y_test):.2f} deg on test")
plot_loss_curves(stopped, ax=axes[1])
axes[1].set_title(f"early stopping (epoch {stopped.n_iter_}): "
                  f"{median_error(stopped, X_test, y_test):.2f} deg")
save(fig, "early_stopping")

# %% [markdown]
# ## 6. Checkpoints, a learning-rate schedule and TensorBoard
#
# Long runs should survive an interruption. `Checkpoint(folder)` writes the whole training
# state after every epoch (weights, optimizer, random generators, history) and the best
# weights; `Checkpoint(folder, resume=True)` continues from it, on exactly the trajectory
# the uninterrupted run would have taken. `LRScheduler` changes the learning rate as
# training goes (here: halve it every 10 epochs), and `TensorBoard(log_dir)` writes every
# logged value for `tensorboard --logdir`. Every logged value is also in `history_`.

# %%
run_dir = Path(tempfile.mkdtemp())


def scheduled(epochs, resume=False):
    callbacks = [LRScheduler("step", step_size=10, gamma=0.5),
                 Checkpoint(run_dir / "checkpoint", resume=resume)]
    try:
        import tensorboard  # noqa: F401
        callbacks.append(TensorBoard(run_dir / "tensorboard"))
    except ImportError:
        print("tensorboard is not installed: no event files (pip install tensorboard)")
    return MLPDecoder(hidden=(200,), **{**common, "max_epochs": epochs}, callbacks=callbacks)


half = scheduled(EPOCHS // 2).fit(X_train, y_train)  # "interrupted" half way
resumed = scheduled(EPOCHS, resume=True).fit(X_train, y_train)
straight = MLPDecoder(hidden=(200,), **common, callbacks=[
    LRScheduler("step", step_size=10, gamma=0.5)]).fit(X_train, y_train)
same = np.abs(circular_error(straight.predict(X_test), resumed.predict(X_test),
                             period=180.0)).max()
print(f"learning rate by epoch: {resumed.history_['lr'][:3]} ... {resumed.history_['lr'][-1]:.2g}")
print(f"resumed vs uninterrupted run: predictions differ by at most {same:.2g} deg (zero up "
      "to rounding; on a busy machine the thread count, and with it the order of "
      "floating-point sums, can change between runs)")
print(f"files: {sorted(p.name for p in (run_dir / 'checkpoint').iterdir())}")

# %% [markdown]
# ## 7. Your own network
#
# The Neuromatch tutorial writes its network as a class. `ModuleDecoder` trains any
# `torch.nn.Module` in the same loop (standardisation, penalties, early stopping, seeds,
# save and load). Orientation needs two outputs, `(cos 2θ, sin 2θ)`, so the class is
# given two; a function `(n_inputs, n_outputs) -> module` works too.

# %%
class DeepNetReLU(nn.Module):
    """The Neuromatch network: one hidden ReLU layer."""

    def __init__(self, n_inputs, n_hidden, n_outputs=1):
        super().__init__()
        self.in_layer = nn.Linear(n_inputs, n_hidden)
        self.out_layer = nn.Linear(n_hidden, n_outputs)

    def forward(self, r):
        return self.out_layer(torch.relu(self.in_layer(r)))


torch.manual_seed(SEED)
own = ModuleDecoder(DeepNetReLU(N_NEURONS, 200, n_outputs=2), **common).fit(X_train, y_train)
print(f"ModuleDecoder(DeepNetReLU): {median_error(own, X_test, y_test):.2f} deg "
      f"(MLPDecoder(hidden=(200,)): {median_error(nets['1 x 200 ReLU'], X_test, y_test):.2f})")

# %% [markdown]
# ## Summary
#
# The figure collects every decoder's held-out error on one test fold. Differences of a
# few tenths of a degree between networks are within the noise of a single split and a
# single seed (re-run with another `SEED` and see which orderings survive); compare
# decoders seriously with cross-validation on the same folds and paired tests (lesson 2).
# What does hold: the linear network is least squares; the validation curve, not the
# training loss, says when a network overfits, and early stopping keeps it at its
# minimum; none of the decoders reaches the Cramér-Rao bound of an ideal decoder of this
# population, because the bound assumes the true tuning curves, which the decoders must
# learn from the training trials.

# %%
summary = {
    "linear": median_error(ols, X_test, y_test),
    "1 x 200": median_error(nets["1 x 200 ReLU"], X_test, y_test),
    "3 x 200": median_error(nets["3 x 200 ReLU"], X_test, y_test),
    **{f"3 x 200 {k}": v for k, v in variant_errors.items() if k != "plain"},
    "early stop": median_error(stopped, X_test, y_test),
    "DeepNetReLU": median_error(own, X_test, y_test),
}
fig, ax = plt.subplots(figsize=(8, 3.6), layout="constrained")
ax.bar(range(len(summary)), list(summary.values()), color="0.6")
ax.set_xticks(range(len(summary)), list(summary), rotation=30, ha="right")
ax.set_ylabel("median test error (deg)")
ax.axhline(bound, color="k", ls="--", lw=1, label="Cramér-Rao bound (median)")
ax.legend(frameon=False)
save(fig, "summary")

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
# # Lesson 8: decoding hand velocity, from Wiener filter to LSTM
#
# A monkey moves its hand while we record from its motor cortex (M1). Can we read the
# hand's **velocity**, bin by bin, from the spikes? This is the problem of brain-machine
# interfaces, and the reference comparison of decoders for it is Glaser et al. (2020),
# *Machine learning for neural decoding* (eNeuro 7(4); the KordingLab `Neural_Decoding`
# package). It compares classic decoders (the Wiener filter, the Wiener cascade, the
# Kalman filter) with neural networks (a feed-forward network and recurrent GRU / LSTM
# networks), all reading a short **history** of spikes. This lesson goes through the
# same decoders with neurodecode:
#
# 1. time bins are not independent trials: **segments**, **blocked** cross-validation
#    with a gap, and why shuffled folds would flatter every decoder;
# 2. **spike history** and the **Wiener filter** (linear regression on the last bins);
# 3. the **Wiener cascade** (the same filter followed by a fitted static nonlinearity);
# 4. the **Kalman filter**, a model of how velocity evolves, and the difference between
#    **causal** filtering and the **non-causal** Kalman smoother;
# 5. a ReLU network on history features, and **GRU / LSTM** recurrent networks;
# 6. an honest comparison: **nested** cross-validation, every choice made inside the
#    training folds, and the final table.
#
# The data are the team's real recording in `../shared/data`: 171 M1 units of a macaque
# doing centre-out reaches, spike counts in 50 ms bins, and the hand's (x, y) velocity
# (Stevenson et al., 2011, *J Neurophysiol* 106:764). Without that folder, the lesson
# builds a synthetic stand-in with the same structure: smooth 2-D reaching velocities
# and cosine-tuned Poisson neurons whose spikes lead the movement by 50-150 ms.
#
# `NEURODECODE_QUICK=1` (or `NEURODECODE_FAST=1`) takes the first 3,000 bins and tiny
# training runs, so the lesson runs in well under a minute; the numbers then are those of
# a toy, and the text says what to expect at full size (about ten minutes on a 2-core
# CPU; `benchmarks/RESULTS_movement.md` has the full table, with `Neural_Decoding` side
# by side).

# %%
import os
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from neurodecode.data import Recording, load_stevenson_m1
from neurodecode.data.binning import segment_ids
from neurodecode.decoders import KalmanDecoder, MLPDecoder, RNNDecoder, WienerCascadeDecoder
from neurodecode.evaluate import cross_validate, make_splits, nested_cross_validate, sweep
from neurodecode.evaluate.cross_validate import fold_segments

QUICK = any(os.environ.get(k, "0") not in ("", "0")
            for k in ("NEURODECODE_QUICK", "NEURODECODE_FAST"))
FIGURES = Path(os.environ.get("NEURODECODE_FIGURES", "figures"))
FIGURES.mkdir(parents=True, exist_ok=True)
SEED = 0


def save(fig, name):
    """Save a figure into FIGURES (and leave it to the notebook to display)."""
    path = FIGURES / f"08_{name}.png"
    fig.savefig(path, dpi=120)
    print(f"figure saved: {path}")


# %% [markdown]
# ## The recording
#
# The data folder is located relative to this file (`tutorials/` -> the repository ->
# its parent -> `shared/data`); a notebook opened in `tutorials/` finds it from the
# working directory instead.

# %%
try:
    DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
except NameError:  # running as a notebook
    DATA = Path("../../shared/data")
M1_FILE = DATA / "monkey_m1_reaching_stevenson2011.mat"
USING_SHARED_DATA = M1_FILE.is_file()


def reaching_stand_in(n_bins, n_neurons=60, bin_size=0.05, seed=SEED):
    """A synthetic M1 session: 2-D hand velocity and Poisson neurons that lead it.

    The velocity is a sum of smooth bell-shaped reaches (about 0.6 s each, in random
    directions, with pauses) plus slow drift; each neuron is cosine-tuned to the
    velocity ``lead`` bins later (1 to 3 bins: motor cortex fires before the hand
    moves), with an exponential rate, so history helps and a nonlinearity helps.
    """
    rng = np.random.default_rng(seed)
    vel = np.zeros((n_bins, 2))
    t = 0
    while t < n_bins:
        length = int(rng.integers(8, 16))  # 0.4 to 0.8 s
        angle = rng.uniform(0, 2 * np.pi)
        profile = np.sin(np.linspace(0, np.pi, length)) ** 2 * rng.uniform(0.15, 0.35)
        stop = min(t + length, n_bins)
        vel[t:stop] += profile[:stop - t, None] * [np.cos(angle), np.sin(angle)]
        t = stop + int(rng.integers(0, 6))  # a pause between reaches
    kernel = np.exp(-0.5 * (np.arange(-6, 7) / 3.0) ** 2)
    drift = np.column_stack([np.convolve(rng.normal(0, 0.02, n_bins), kernel, "same")
                             for _ in range(2)])
    vel += drift
    preferred = rng.uniform(0, 2 * np.pi, n_neurons)
    gain = rng.uniform(3.0, 8.0, n_neurons)
    base = rng.uniform(np.log(5.0), np.log(30.0), n_neurons)  # 5 to 30 Hz at rest
    lead = rng.integers(1, 4, n_neurons)
    counts = np.empty((n_bins, n_neurons))
    for i in range(n_neurons):
        ahead = np.vstack([vel[lead[i]:], np.repeat(vel[-1:], lead[i], axis=0)])
        drive = ahead @ [np.cos(preferred[i]), np.sin(preferred[i])]
        rate = np.exp(base[i] + gain[i] * drive - gain[i] ** 2 * 0.01)
        counts[:, i] = rng.poisson(rate * bin_size)
    times = np.arange(n_bins) * bin_size
    return Recording(counts, vel, kind="linear", response_type="counts",
                     bin_size=bin_size, times=times)


N_BINS = 3000 if QUICK else None
if USING_SHARED_DATA:
    rec = load_stevenson_m1(M1_FILE)  # hand velocity (x, y), 50 ms bins
    if N_BINS:
        rec = rec.select(trials=slice(0, N_BINS))
else:
    rec = reaching_stand_in(N_BINS or 12000)
print(f"{'real recording' if USING_SHARED_DATA else 'synthetic stand-in'}: {rec}")

# %%
fig, axes = plt.subplots(2, 1, figsize=(9, 4.5), sharex=True)
stretch = slice(0, 400)  # 20 s
t = rec.times[stretch] - rec.times[0]
axes[0].plot(t, rec.stimulus[stretch, 0], label="x")
axes[0].plot(t, rec.stimulus[stretch, 1], label="y")
axes[0].set_ylabel("hand velocity")
axes[0].legend(loc="upper right", fontsize="small")
order = np.argsort(-rec.responses.sum(axis=0))[:40]
axes[1].imshow(rec.responses[stretch][:, order].T, aspect="auto", cmap="Greys",
               extent=[t[0], t[-1], 0, len(order)], interpolation="nearest")
axes[1].set_ylabel("40 most active units")
axes[1].set_xlabel("time (s)")
fig.tight_layout()
save(fig, "recording")

# %% [markdown]
# ## 1. Time bins, segments and blocked cross-validation
#
# Each sample is one 50 ms bin, and consecutive bins are strongly correlated: the hand
# moves smoothly, and the decoders below read several past bins. Two consequences.
#
# **Folds must be blocks.** If we shuffled bins into folds, every test bin would have
# its neighbours, 50 ms away and nearly identical, in the training set: the score would
# measure interpolation, not decoding. `make_splits` gives a time-binned recording
# **contiguous blocks**, and leaves a **gap** of bins out of training on each side of
# the test block, at least as wide as the longest history a decoder reads, so that no
# training window overlaps a test window.
#
# **Windows and filters must stop at segment boundaries.** A *segment* is a stretch of
# consecutive bins. A recording's segments come from its `times` (a jump of more than
# 1.5 bins starts a new one) and its `trial_id`. In cross-validation, each fold's
# training set is the recording minus the test block and the gaps: two segments (before
# and after), which the decoders must not join. Decoders that read several bins
# (`WienerCascadeDecoder`, `KalmanDecoder`, `RNNDecoder`) take the segment id of every
# sample (`segments=`), and `cross_validate` passes each fold's (`fold_segments`): a
# history window never reaches into another segment (bins before a segment's start are
# replaced by the training mean), and the Kalman filter restarts at each segment's first
# bin.

# %%
GAP = 12  # bins; the longest history below (12 bins = 600 ms)
splits = make_splits(rec, 5, gap=GAP)
ids = segment_ids(rec)  # one continuous segment here
train, test = splits[2]
train_segments = fold_segments(ids, train)
print(f"{len(np.unique(ids))} segment(s) in the recording; fold 3 trains on "
      f"{len(np.unique(train_segments))} segments of "
      f"{np.bincount(train_segments).tolist()} bins and tests on bins "
      f"{test[0]}..{test[-1]}")

fig, ax = plt.subplots(figsize=(9, 2.2))
for k, (tr, te) in enumerate(splits):
    ax.scatter(tr, np.full(len(tr), k), s=1, color="tab:blue", marker="|")
    ax.scatter(te, np.full(len(te), k), s=1, color="tab:orange", marker="|")
ax.set_yticks(range(5), [f"fold {k + 1}" for k in range(5)])
ax.invert_yaxis()
ax.set_xlabel("time bin (blue: training, orange: test, white: the gaps)")
fig.tight_layout()
save(fig, "blocked_folds")

# %% [markdown]
# ## 2. Spike history and the Wiener filter
#
# The Wiener filter is linear regression of the velocity at bin *t* on the spike counts
# of bins *t - n_lags* to *t*: 171 units x (n_lags + 1) bins of weights per velocity
# component. `WienerCascadeDecoder(n_lags, degree=None)` builds those windows itself
# from the binned counts and the segments (so never pass it a history matrix), fits the
# filter by least squares (`l2` adds a ridge penalty) and is **causal**: it reads the
# current and past bins only, as a decoder running online must.
#
# How much history helps is a question for the data. `sweep` cross-validates each
# setting on the same blocked folds:

# %%
lag_grid = [0, 2, 4] if QUICK else [0, 2, 4, 8, 12]
wiener = WienerCascadeDecoder(degree=None, l2=1e-6)  # l2: see the note below
history = sweep(wiener, {"n_lags": lag_grid}, rec, splits)
r2_by_lag = [res.mean() for res in history.results.values()]
for n, r2 in zip(lag_grid, r2_by_lag):
    print(f"Wiener filter, {n:2d} bins of history ({50 * n:3d} ms): R^2 = {r2:.3f}")

fig, ax = plt.subplots(figsize=(4.5, 3))
ax.plot([50 * n for n in lag_grid], r2_by_lag, "o-")
ax.set_xlabel("history (ms)")
ax.set_ylabel("cross-validated R^2")
ax.set_title("Wiener filter")
fig.tight_layout()
save(fig, "wiener_history")

# %% [markdown]
# The current bin alone decodes poorly; a few hundred milliseconds of history lift R^2 a
# lot (on the real session from about 0.4 to about 0.78), then longer windows add more
# weights than information. (`l2=1e-6` is a negligible ridge, for speed: with `l2=0` a
# unit that never fires in some training fold makes the least-squares problem singular,
# and the solver falls back to a much slower eigendecomposition.)
#
# **A caution.** This curve used all five folds to compare settings, so its best value
# is optimistic: we picked the winner on the test blocks. Section 6 does it properly,
# choosing the history inside each training fold (nested cross-validation).
#
# ## 3. The Wiener cascade
#
# Motor cortex rates are not linear in velocity (they are positive, and saturate), so
# the best linear read-out is biased at high speeds. The **Wiener cascade** (Hunter &
# Korenberg, 1986) keeps the linear filter and passes its output through a polynomial
# (cubic by default) fitted to the training targets, one per velocity component:

# %%
best_lags = lag_grid[int(np.argmax(r2_by_lag))]
cascade = WienerCascadeDecoder(best_lags, l2=1e-6)  # degree=3
res_cascade = cross_validate(cascade, rec, splits, return_models=True)
print(f"Wiener cascade, {best_lags} bins: R^2 = {res_cascade.mean():.3f} (filter "
      f"{max(r2_by_lag):.3f})")

model = res_cascade.models[0]  # fold 1's fitted cascade
tr, _ = splits[0]
u = model.predict_linear(rec.responses[tr], segments=fold_segments(ids, tr))[:, 0]
grid = np.linspace(np.percentile(u, 0.5), np.percentile(u, 99.5), 100)
curve = np.polyval(model.poly_coef_[0], (grid - model.poly_center_[0]) / model.poly_scale_[0])
fig, ax = plt.subplots(figsize=(4.5, 3.5))
ax.scatter(u[::5], rec.stimulus[tr, 0][::5], s=2, alpha=0.3, lw=0)
ax.plot(grid, curve, color="k", label="fitted cubic")
ax.plot(grid, grid, color="tab:red", ls="--", label="identity (the filter)")
ax.set_xlabel("linear filter output (x)")
ax.set_ylabel("true x velocity")
ax.legend(fontsize="small")
fig.tight_layout()
save(fig, "cascade_nonlinearity")

# %% [markdown]
# ## 4. The Kalman filter: a model of movement, causal and non-causal
#
# The Wiener filters read each bin's history afresh. The **Kalman filter** (Wu et al.,
# 2003) instead keeps a running estimate of the velocity and updates it bin by bin. It
# has two linear-Gaussian models, both fitted by least squares on the training folds:
#
# - how the velocity evolves: `x_t = A x_{t-1} + noise` (covariance `W`);
# - how the neurons see it: `spikes_t = H x_t + d + noise` (covariance `Q`).
#
# At each bin it predicts the velocity from the last estimate (`A`), then corrects the
# prediction with that bin's spikes, weighing the two by their uncertainties. Two
# settings matter: `lag` (the state at bin *t* is seen through the spikes of bin
# *t - lag*, because M1 fires before the hand moves) and `noise_scale` (multiplies `W`:
# larger values trust each bin's spikes more, smaller ones the smooth dynamics more).
#
# The filter is **causal**: the estimate at bin *t* uses bins up to *t* only. Offline,
# one can do better with the **Rauch-Tung-Striebel smoother** (`smooth=True`), which
# runs a second pass backwards so that every bin also sees the bins after it. That is
# not decoding in real time: the smoother reads the future. neurodecode marks such
# settings in the decoder's `repr` (and `causal` is False), so a table never mixes them
# up with causal decoders without saying so.

# %%
kalman = KalmanDecoder(lag=2)
smoother = KalmanDecoder(lag=2, smooth=True)
print(repr(kalman), "| causal:", kalman.causal)
print(repr(smoother), "| causal:", smoother.causal)
res_kalman = cross_validate(kalman, rec, splits)
res_smoother = cross_validate(smoother, rec, splits)
print(f"Kalman filter R^2 = {res_kalman.mean():.3f}; RTS smoother (non-causal) R^2 = "
      f"{res_smoother.mean():.3f}")

# %% [markdown]
# A direct check of causality: change the spikes *after* some bin and decode again. The
# filter's estimates before that bin do not move; the smoother's do.

# %%
tr, te = splits[1]
kalman.fit(rec.responses[tr], rec.stimulus[tr], segments=fold_segments(ids, tr))
smoother.fit(rec.responses[tr], rec.stimulus[tr], segments=fold_segments(ids, tr))
X_test = rec.responses[te].copy()
cut = len(te) // 2
X_changed = X_test.copy()
X_changed[cut:] = np.random.default_rng(SEED).permutation(X_changed[cut:])
for name, dec in (("filter", kalman), ("smoother", smoother)):
    before = np.abs(dec.predict(X_test)[:cut] - dec.predict(X_changed)[:cut]).max()
    print(f"{name:8s}: largest change of an estimate before the edit: {before:.2e}")

# %% [markdown]
# With the velocity alone as the state, the Kalman filter usually trails the Wiener
# filters on this session: its linear dynamics are a rough model of reaches, and it
# reads only one bin of spikes per update. Glaser et al. add position and acceleration to
# the state; here the state is whatever columns `y` has, so that is a change of `y`, not
# of the decoder.
#
# ## 5. Neural networks: an MLP on history, GRU and LSTM
#
# - **MLP**: `Recording.add_history(n)` turns each bin's window into one feature vector
#   (171 x (n + 1) features; bins without a full window are dropped), and `MLPDecoder`
#   reads it with one hidden layer of ReLU units.
# - **GRU / LSTM**: `RNNDecoder(cell, hidden, window=...)` reads the window bin by bin,
#   oldest first, with a recurrent layer; its last state feeds a linear read-out. Like
#   the Wiener cascade it builds the windows itself from the counts and the segments,
#   and its windows are causal unless `causal=False` (which `repr` then flags).
#
# Networks have many settings (width, dropout, learning rate, epochs). Tuning them by
# nested cross-validation multiplies their training time, the largest cost here; below
# they are **fixed in advance** (a 64-unit layer, 10 bins of history, dropout 0.25,
# 12 epochs of Adam with early stopping on a validation split of the training fold),
# which is honest as long as we do not change them after looking at the test scores.

# %%
RNN = dict(hidden=16 if QUICK else 64, window=10, dropout=0.25, lr=3e-3, batch_size=512,
           max_epochs=3 if QUICK else 12, patience=4, device="cpu", random_state=SEED)
MLP_HISTORY = 4 if QUICK else 8
MLP = dict(hidden=(16,) if QUICK else (128,), max_epochs=3 if QUICK else 20,
           early_stopping=True, patience=4, device="cpu", random_state=SEED)

# %% [markdown]
# ## 6. The honest comparison: nested cross-validation
#
# Every choice made by looking at scores must be made inside the training folds. For
# each outer fold, `nested_cross_validate` runs an inner blocked cross-validation on the
# training blocks only, picks the best setting there, refits it on the whole training
# set and scores it once on the untouched test block. The Wiener decoders choose their
# history, the Kalman filter its lag and noise scale, the MLP its L2 penalty; the
# recurrent networks keep their fixed settings.

# %%
lags = [2, 4] if QUICK else [4, 8, 12]
candidates = {
    "Wiener filter": (WienerCascadeDecoder(degree=None, l2=1e-6), {"n_lags": lags}),
    "Wiener cascade": (WienerCascadeDecoder(l2=1e-6), {"n_lags": lags}),
    "Kalman filter": (KalmanDecoder(), {"lag": [0, 2] if QUICK else [0, 1, 2, 3],
                                        "noise_scale": [1.0, 2.0]}),
}
table = {}
for name, (dec, grid) in candidates.items():
    t0 = time.perf_counter()
    nested = nested_cross_validate(dec, grid, rec, splits, inner_cv=3, gap=GAP)
    table[name] = (nested.outer, time.perf_counter() - t0, nested.chosen)

# the MLP reads add_history features: sample i is bin i + MLP_HISTORY, same blocks
hist = rec.add_history(MLP_HISTORY)
shifted = [(tr[tr >= MLP_HISTORY] - MLP_HISTORY, te[te >= MLP_HISTORY] - MLP_HISTORY)
           for tr, te in splits]
t0 = time.perf_counter()
nested = nested_cross_validate(MLPDecoder(**MLP), {"l2": [1e-4, 1e-2]}, hist, shifted,
                               inner_cv=3, gap=GAP)
table["MLP"] = (nested.outer, time.perf_counter() - t0, nested.chosen)

for cell in ("gru", "lstm"):
    t0 = time.perf_counter()
    result = cross_validate(RNNDecoder(cell, **RNN), rec, splits)
    table[cell.upper()] = (result, time.perf_counter() - t0, None)

# for reference only: not nested (lag 2 fixed above) and not causal
table["Kalman smoother, lag 2 (non-causal)"] = (res_smoother, float("nan"), None)

print(f"{'decoder':36s} {'R^2':>6s} {'+- sem':>7s} {'R^2 x':>6s} {'R^2 y':>6s} {'s':>6s}  "
      "chosen in the inner folds")
for name, (result, seconds, chosen) in table.items():
    per = result.per_output()["r2"].mean(axis=0)
    picks = "" if chosen is None else "; ".join(
        ", ".join(f"{k}={v:g}" for k, v in c.items()) for c in chosen)
    took = "" if np.isnan(seconds) else f"{seconds:.0f}"
    print(f"{name:36s} {result.mean():6.3f} {result.sem():7.3f} {per[0]:6.3f} "
          f"{per[1]:6.3f} {took:>6s}  {picks}")

# %% [markdown]
# How to read the table (at full size on the real session; the quick run's toy numbers
# differ):
#
# - **History is the first thing that matters**: the Wiener filter with the history its
#   inner folds chose is far above a single bin.
# - **The cascade's nonlinearity adds a couple of points of R^2** for free: it is still
#   a linear filter, fitted in seconds.
# - **The Kalman filter** with a velocity-only state (R^2 about 0.62) is below both
#   Wiener decoders (about 0.78 and 0.81); its non-causal smoother gains a lot, but reads
#   the future and belongs to offline analysis. Compare causal decoders with causal
#   decoders.
# - **The networks** (MLP, GRU, LSTM) are all above the cascade, at a cost of minutes of
#   training instead of seconds. On this session the MLP on 8 bins of history comes
#   first (R^2 about 0.88), then the LSTM (about 0.86) and the GRU (about 0.82); Glaser
#   et al. found the LSTM best on their sessions. With network settings fixed in advance,
#   gaps of this size between architectures say as much about the settings as about the
#   architectures.
# - The `+- sem` column is the spread over five blocks of one session: differences of a
#   point or two of R^2 between decoders are within it.
#
# Finally, what the decoded velocity looks like on a stretch of held-out data:

# %%
causal = {k: v for k, v in table.items() if "non-causal" not in k}
best = max(causal, key=lambda k: causal[k][0].mean())
_, te = splits[2]
window = te[:300] if len(te) > 300 else te
t = (rec.times[window] - rec.times[window[0]])
fig, axes = plt.subplots(2, 1, figsize=(9, 4.5), sharex=True)
for j, axis in enumerate("xy"):
    axes[j].plot(t, rec.stimulus[window, j], color="k", lw=1.5, label="true")
    axes[j].plot(t, table["Wiener filter"][0].y_pred[window, j], lw=1,
                 label="Wiener filter")
    pred = table[best][0].y_pred
    if best == "MLP":  # its samples are shifted by the history it drops
        pred = np.vstack([np.full((MLP_HISTORY, 2), np.nan), pred])
    axes[j].plot(t, pred[window, j], lw=1, label=best)
    axes[j].set_ylabel(f"{axis} velocity")
axes[0].legend(loc="upper right", fontsize="small", ncol=3)
axes[1].set_xlabel("time in a held-out block (s)")
fig.tight_layout()
save(fig, "decoded_velocity")

# %% [markdown]
# ## What to take away
#
# - Decode time series with **blocked** folds and a gap at least as wide as the history;
#   let decoders that read several bins see the **segments**, so that no window or
#   filter joins two stretches of time.
# - Choose every setting (history length, penalties, the Kalman lag) **inside** the
#   training folds: nested cross-validation. The curve of section 2 is a diagnostic, not
#   a result.
# - Keep **causal** and **non-causal** decoders apart: the smoother and centred windows
#   read the future. neurodecode's `repr` says `# non-causal` when they do.
# - For hand velocity from M1: history first, then a nonlinearity (cascade or network);
#   the networks are the most accurate here and the slowest to train.
#
# `benchmarks/RESULTS_movement.md` holds the full-size table of this comparison
# (`python benchmarks/run.py --only movement`), with Neural_Decoding's own Wiener filter,
# Wiener cascade and Kalman filter run on the same splits and lags.
#
# **References.** Glaser J.I., Benjamin A.S., Chowdhury R.H., Perich M.G., Miller L.E.,
# Kording K.P. (2020). Machine learning for neural decoding. eNeuro 7(4). Wu W., Black
# M.J., Gao Y., Bienenstock E., Serruya M., Shaikhouni A., Donoghue J.P. (2003). Neural
# decoding of cursor motion using a Kalman filter. NIPS 15. Hunter I.W., Korenberg M.J.
# (1986). The identification of nonlinear biological systems: Wiener and Hammerstein
# cascade models. Biol. Cybern. 55:135-144. Stevenson I.H. et al. (2011). Statistical
# assessment of the stability of neural movement representations. J Neurophysiol
# 106:764-774.

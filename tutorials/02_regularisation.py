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
# # Lesson 2: regularisation (L2, L1, dropout) and how to compare decoders honestly
#
# Modern recordings give us more neurons than trials. A linear decoder has one weight per
# neuron (per output), so with 1,000 neurons and 500 trials there are more weights than
# data points. The decoder can then fit the training trials *perfectly*, noise included,
# and generalise badly. This is **overfitting**. **Regularisation** is any change to the
# fitting procedure that prefers simpler solutions, trading a little bias for a large cut
# in variance.
#
# This lesson covers:
#
# 1. overfitting: training and test error as the number of trials shrinks below the number
#    of neurons;
# 2. **L2** (ridge, "weight decay"): small weights everywhere;
# 3. **L1** (lasso): many weights exactly zero, a sparse and interpretable decoder;
# 4. **dropout** for the ReLU network;
# 5. comparing them properly: the same cross-validation folds, the sweep plot, **paired
#    statistics**, and **nested cross-validation** for an unbiased estimate of the tuned
#    decoder.
#
# Every neurodecode decoder minimises the same objective (`l1` and `l2` mean the same on all
# of them):
#
# $$\underbrace{\frac{1}{2n}\sum_{t=1}^{n} \lVert y_t - \hat y(r_t)\rVert^2}_{\text{MSE}}
#   \;+\; \frac{\ell_2}{2}\lVert W\rVert_2^2 \;+\; \ell_1 \lVert W\rVert_1$$
#
# on z-scored responses, with the penalties on weights only (never the intercept). In
# scikit-learn terms, `l2=a` is `Ridge(alpha=n_samples * a)` and `l1=a` is `Lasso(alpha=a)`.

# %%
import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import NullFormatter

from neurodecode.data import orientation_population
from neurodecode.decoders import LinearDecoder, MLPDecoder
from neurodecode.evaluate import (
    circular_error,
    compare,
    nested_cross_validate,
    plot_sweep,
    sweep,
)

QUICK = os.environ.get("NEURODECODE_QUICK", "0") not in ("", "0")
FIGURES = Path(os.environ.get("NEURODECODE_FIGURES", "figures"))
FIGURES.mkdir(parents=True, exist_ok=True)

SEED = 0
if QUICK:
    N_NEURONS, N_TRIALS, N_TEST = 200, 150, 400
    TRAIN_SIZES = [25, 50, 100, 150, 200, 250, 400, 800]
    L1_GRID = [1e-3, 3e-3, 1e-2, 3e-2, 1e-1]
    MAX_EPOCHS = 60
else:
    N_NEURONS, N_TRIALS, N_TEST = 1000, 500, 1000
    TRAIN_SIZES = [50, 100, 200, 500, 800, 1000, 1250, 1600, 3200]
    L1_GRID = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1]
    MAX_EPOCHS = 200
L2_GRID = [0.0, 1e-2, 1e-1, 1.0, 10.0, 100.0]
DROPOUT_GRID = [0.0, 0.25, 0.5, 0.75]
SCORING = ["median_error", "mean_error"]  # degrees on the circle; the first one ranks


def save(fig, name):
    """Save a figure into FIGURES (and leave it to the notebook to display)."""
    path = FIGURES / f"02_{name}.png"
    fig.savefig(path, dpi=120)
    print(f"figure saved: {path}")


def median_error(decoder, recording):
    """Median absolute circular error (degrees) of a fitted decoder on a recording."""
    err = circular_error(recording.stimulus, decoder.predict(recording), period=180)
    return float(np.median(np.abs(err)))


# %% [markdown]
# ## 1. Overfitting when neurons outnumber trials
#
# We simulate one population (same kind as in lesson 1: von Mises tuning, Poisson
# spikes) and a large pool of trials. The last trials are a fixed **test set**. From
# the others we train on the first $n$ trials, for growing $n$, and measure the median
# error on the training trials and on the test trials. We use two decoders: plain least
# squares (no penalty) and ridge with a moderate penalty (`l2=1`; section 2 shows how to
# choose it).

# %%
pool, truth = orientation_population(N_NEURONS, max(TRAIN_SIZES) + N_TEST, random_state=SEED)
rec_test = pool.select(trials=np.arange(pool.n_trials - N_TEST, pool.n_trials))
print(pool)

curves = {"least squares": ([], []), "ridge (l2=1)": ([], [])}
for n in TRAIN_SIZES:
    rec_train = pool.select(trials=np.arange(n))
    for name, l2 in (("least squares", 0.0), ("ridge (l2=1)", 1.0)):
        dec = LinearDecoder(l2=l2).fit(rec_train)
        curves[name][0].append(median_error(dec, rec_train))
        curves[name][1].append(median_error(dec, rec_test))
for name, (train_err, test_err) in curves.items():
    print(name)
    for n, a, b in zip(TRAIN_SIZES, train_err, test_err):
        print(f"  {n:5d} trials: train {a:8.3f} deg, test {b:7.2f} deg")

# %%
fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
floor = 1e-3  # a perfect fit (0 deg) cannot sit on a log axis: draw it at the floor
for (name, (train_err, test_err)), colour in zip(curves.items(), ("C3", "C0")):
    ax.plot(TRAIN_SIZES, np.maximum(test_err, floor), "o-", color=colour,
            label=f"{name}: test")
    ax.plot(TRAIN_SIZES, np.maximum(train_err, floor), "o--", color=colour, mfc="white",
            label=f"{name}: training")
ax.axvline(N_NEURONS, color="0.5", ls=":", label=f"trials = neurons ({N_NEURONS})")
ax.set_xscale("log")
ax.set_xticks(TRAIN_SIZES, [str(n) for n in TRAIN_SIZES], rotation=45)
ax.xaxis.set_minor_formatter(NullFormatter())
ax.set_yscale("log")
ax.set_xlabel("number of training trials")
ax.set_ylabel("median |error| (deg, log scale)")
ax.set_title(f"{N_NEURONS} neurons")
ax.legend(fontsize="small")
save(fig, "overfitting")

# %% [markdown]
# Reading the figure:
#
# - With no more trials than neurons, least squares has at least as many weights as
#   equations. It fits every training trial *exactly*: the training error is zero, or
#   nearly so at the boundary (dashed red; zero is drawn at the floor of the axis). The
#   test error is much larger. The gap between the dashed and the solid curve of a decoder
#   is its **overfitting**. A training error says nothing about how well a decoder
#   generalises.
# - The test error of least squares explodes at **trials = neurons**. There, exactly one
#   set of weights fits every training trial. To fit the noise of every trial it needs
#   huge weights, which amplify the noise of new trials. With fewer trials, many sets of
#   weights fit perfectly, and least squares returns the one with the smallest norm. That
#   choice is itself a mild regulariser, so the error comes down again. This peak is known
#   as "double descent".
# - Ridge gives up a perfect fit to the training trials and is as good or better on new
#   ones at every size, with no peak. With many trials per neuron the two decoders
#   converge, because the data then pin the weights down by themselves.
#
# From here on we work with a recording in the hard regime: **more neurons than trials**.

# %%
rec = pool.select(trials=np.arange(N_TRIALS))
print(f"{rec.n_neurons} neurons, {rec.n_trials} trials")

# %% [markdown]
# ## 2. L2 regularisation (ridge, weight decay)
#
# The L2 penalty $\frac{\ell_2}{2}\lVert W\rVert^2$ pulls all weights towards zero in
# proportion to their size. In a network trained by gradient descent it appears as **weight
# decay**: each step shrinks every weight by a factor $(1 - \eta\,\ell_2)$. Its effect on
# a decoder: many correlated neurons share the read-out instead of a few getting large
# weights of opposite signs, so single-trial noise averages out instead of being
# amplified.
#
# To choose $\ell_2$ we **cross-validate**. `sweep` splits the trials into 5 folds. For
# each value it trains on 4 folds and tests on the fifth, 5 times, using the same folds for
# every value. For the linear decoder it computes all values at once from one SVD per fold.

# %%
l2_sweep = sweep(LinearDecoder(), {"l2": L2_GRID}, rec, cv=5, scoring=SCORING,
                 random_state=SEED)
print(l2_sweep.summary())
best_l2 = l2_sweep.best_params["l2"]

fig = plot_sweep(l2_sweep)
ax = fig.axes[0]
ax.set_xlabel("L2 penalty strength l2 (0 = least squares)")
ax.set_ylabel("median |error| (deg)\nmean ± s.e.m. over 5 folds")
ax.set_title(f"ridge: {rec.n_neurons} neurons, {rec.n_trials} trials")
save(fig, "l2_sweep")
fig  # noqa: B018 (a notebook displays the figure)

# %% [markdown]
# The curve has the typical U shape. With too little penalty the decoder fits noise (high
# variance). With too much, every weight shrinks towards zero and the predictions are
# pulled towards the mean (high bias). The dotted line marks the best value. The error
# bars are the standard error of the mean over folds.
#
# ## 3. L1 regularisation (lasso): sparse, interpretable weights
#
# The L1 penalty $\ell_1\sum|w|$ pulls every weight towards zero by the same amount,
# whatever its size. Weights whose contribution to the fit is smaller than that pull are
# set **exactly to zero**. The decoder then reads out from a subset of neurons, which you
# can name. There is no closed form, so neurodecode solves it by FISTA (accelerated proximal
# gradient), which produces exact zeros. We sweep $\ell_1$ and keep each fold's fitted
# model, so that we can count how many neurons each one uses.

# %%
l1_sweep = sweep(LinearDecoder(), {"l1": L1_GRID}, rec, cv=5, scoring=SCORING,
                 random_state=SEED, return_models=True)
print(l1_sweep.summary())
best_l1 = l1_sweep.best_params["l1"]

n_used = {}
for name, result in l1_sweep.results.items():
    # a neuron is unused when both of its weights (for cos and sin) are exactly zero
    n_used[l1_sweep.params[name]["l1"]] = np.mean(
        [np.sum(np.any(model.coef_ != 0, axis=0)) for model in result.models])

fig, (ax_err, ax_n) = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
plot_sweep(l1_sweep, ax=ax_err)
ax_err.set_xlabel("L1 penalty strength l1")
ax_err.set_ylabel("median |error| (deg)\nmean ± s.e.m. over 5 folds")
ax_err.set_title("lasso: cross-validated error")
ax_n.plot(list(n_used), list(n_used.values()), "o-", color="C2")
ax_n.axhline(rec.n_neurons, color="0.5", ls=":", label=f"all {rec.n_neurons} neurons")
ax_n.set_xscale("log")
ax_n.set_ylim(0, rec.n_neurons * 1.08)
ax_n.set_xlabel("L1 penalty strength l1")
ax_n.set_ylabel("neurons with a non-zero weight")
ax_n.set_title("lasso: sparsity (mean over folds)")
ax_n.legend(fontsize="small")
save(fig, "l1_sweep")

# %% [markdown]
# The stronger the penalty, the fewer neurons the decoder uses. Up to a point, dropping
# neurons costs little accuracy, because many neurons carry redundant information about
# orientation.
#
# For interpretation we want the sparsest decoder that is still about as good as the best
# one. A common rule, the **one-standard-error rule**, takes the largest penalty whose
# cross-validated error is within one standard error of the best.
#
# Which neurons does that lasso keep? We fit ridge (best `l2`) and the lasso on all trials
# and look at the weights on the z-scored responses (`coef_ * scale_`). Because we
# simulated the population, we know how informative each neuron really is: its Fisher
# information about orientation, $\overline{f_i'(\theta)^2 / f_i(\theta)}$ averaged over
# orientations. Neurons with steep, strong tuning carry more.

# %%
best = l1_sweep.results[l1_sweep.best]
threshold = best.mean("median_error") + best.sem("median_error")
sparse_l1 = max(params["l1"] for name, params in l1_sweep.params.items()
                if l1_sweep.results[name].mean("median_error") <= threshold)
print(f"best l1 = {best_l1:g}; one-standard-error rule: l1 = {sparse_l1:g}")

ridge = LinearDecoder(l2=best_l2).fit(rec)
lasso = LinearDecoder(l1=sparse_l1).fit(rec)
kept = np.any(lasso.coef_ != 0, axis=0)  # neurons with at least one non-zero weight
print(f"ridge (l2={best_l2:g}): {int(np.sum(np.any(ridge.coef_ != 0, axis=0)))} of "
      f"{rec.n_neurons} neurons have a non-zero weight")
print(f"lasso (l1={sparse_l1:g}): {int(np.sum(~kept))} neurons have exactly zero weights, "
      f"{int(kept.sum())} are used")

grid = np.linspace(0, 180, 360, endpoint=False)
info = np.mean(truth.tuning_derivative(grid) ** 2 / truth.tuning(grid), axis=0)
quartile = np.digitize(info, np.quantile(info, [0.25, 0.5, 0.75]))
for q, label in enumerate(("1st (least informative)", "2nd", "3rd", "4th (most informative)")):
    print(f"  {label:>23} quarter of the neurons: lasso keeps {kept[quartile == q].mean():4.0%}")


def weight_size(decoder):
    """Length of each neuron's (cos, sin) weight pair, on z-scored responses."""
    return np.hypot(*(decoder.coef_ * decoder.scale_))


fig, (ax_w, ax_a) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
ax_w.plot(info, weight_size(ridge), ".", color="C0", ms=4, label="ridge: every neuron")
ax_w.plot(info[kept], weight_size(lasso)[kept], "o", color="C2", ms=4, mfc="none",
          label="lasso: kept")
ax_w.plot(info[~kept], np.zeros((~kept).sum()), "x", color="C3", ms=4,
          label="lasso: exactly zero")
ax_w.set_xscale("log")
# log scale above a small threshold, linear below it, so that exact zeros can be drawn
ax_w.set_yscale("symlog", linthresh=0.2 * weight_size(ridge).min())
ax_w.set_ylim(bottom=-0.05 * weight_size(ridge).min())
ax_w.set_xlabel("true Fisher information of the neuron (1/deg$^2$)")
ax_w.set_ylabel("weight size on z-scored response")
ax_w.set_title("which neurons the decoders use")
ax_w.legend(fontsize="small")

# the direction of a neuron's (cos 2theta, sin 2theta) weights is the orientation it votes for
vote = np.mod(np.degrees(np.arctan2(lasso.coef_[1], lasso.coef_[0])) / 2, 180)
ax_a.plot(truth.preferred[kept], vote[kept], "o", color="C2", ms=4, mfc="none")
ax_a.plot([0, 180], [0, 180], "k", lw=0.8)
ax_a.set_xlabel("true preferred orientation (deg)")
ax_a.set_ylabel("orientation the weights vote for (deg)")
ax_a.set_title(f"lasso (l1={sparse_l1:g}): kept neurons")
ax_a.set_xticks(range(0, 181, 45))
ax_a.set_yticks(range(0, 181, 45))
save(fig, "weights")

# %% [markdown]
# Left: ridge gives every neuron a weight, larger for more informative neurons. The lasso
# keeps most of the **informative** neurons (right end of the x axis) and zeroes most of the
# weak ones, as the table above shows. The selection is not clean, though. When several
# neurons carry the same information, the lasso tends to keep one of them and drop the
# rest. So a zero weight means "not needed, given the others", not "carries no
# information".
#
# Right: each kept neuron's pair of weights, for $\cos 2\theta$ and $\sin 2\theta$, points at
# an orientation, which tracks the neuron's preferred orientation. The decoder is readable:
# every kept neuron votes for roughly its own preference. (Points in the bottom-right
# corner are on the diagonal too, since 178 degrees and 0 degrees are neighbours on the
# circle.) Many votes sit exactly at 0, 45, 90 or 135 degrees. The L1 penalty acts on
# each weight separately, so it often zeroes one weight of the pair, and the vote then
# snaps to an axis of the (cos, sin) plane.
#
# Sparsity is not free. This population codes orientation densely: every neuron carries
# some information, and independent noise averages out best over many neurons. With fewer
# trials than neurons, the lasso can moreover give non-zero weights to at most as many
# neurons as there are training trials (per output). So the lasso is less accurate than
# ridge here (section 5). Use L1 when you want to know *which*
# neurons a read-out needs, or when you expect only a few neurons to matter.
#
# ## 4. Dropout for the ReLU network
#
# The deep network of lesson 1 has hundreds of thousands of weights. Besides L1 and L2,
# networks have their own regulariser: **dropout**. During training, each hidden unit is
# silenced with probability $p$ on every mini-batch, and the survivors are scaled up by
# $1/(1-p)$. At test time all units are used. No unit can rely on a particular partner
# being present, so the network learns redundant, more robust features. The result
# behaves roughly like an average of many thinned networks. We sweep $p$.

# %%
relu = MLPDecoder(hidden=(200,), max_epochs=MAX_EPOCHS, random_state=SEED)
dropout_sweep = sweep(relu, {"dropout": DROPOUT_GRID}, rec, cv=5, scoring=SCORING,
                      random_state=SEED)
print(dropout_sweep.summary())
best_dropout = dropout_sweep.best_params["dropout"]

fig = plot_sweep(dropout_sweep)
ax = fig.axes[0]
ax.set_xlabel("dropout probability p")
ax.set_ylabel("median |error| (deg)\nmean ± s.e.m. over 5 folds")
ax.set_title("ReLU network (200 hidden units)")
save(fig, "dropout_sweep")
fig  # noqa: B018 (a notebook displays the figure)

# %% [markdown]
# Dropout lowers the network's error, and the more the network overfits (more neurons per
# trial), the more it helps. Still, look at the error bars before trusting the size of an
# effect: with 5 folds they are wide. Even with dropout, the network does not beat the
# regularised linear decoders, for the reason given in lesson 1: for this population, the
# linear read-out is already close to the right model.
#
# ## 5. Comparing decoders: same folds, paired statistics
#
# Which is best here: least squares, ridge, lasso, or the ReLU network with dropout?
# `compare` cross-validates them all on the **same** 5 folds. Some folds are harder than
# others (they happen to hold noisier trials), and that difficulty is shared by every
# decoder. So the right test looks at the fold-by-fold **differences**, a *paired* test.
# `paired_tests()` compares the best decoder with each other one using a paired t-test and
# a Wilcoxon signed-rank test on the 5 per-fold differences.

# %%
comparison = compare({
    "least squares": LinearDecoder(),
    f"ridge (l2={best_l2:g})": LinearDecoder(l2=best_l2),
    f"lasso (l1={best_l1:g})": LinearDecoder(l1=best_l1),
    f"ReLU (dropout={best_dropout:g})": MLPDecoder(hidden=(200,), dropout=best_dropout,
                                                   max_epochs=MAX_EPOCHS,
                                                   random_state=SEED),
}, rec, cv=5, scoring=SCORING, random_state=SEED)
print(comparison.summary())
print()
for name, test in comparison.paired_tests().items():
    print(f"{name:<24} is worse than {comparison.best} by {test['mean_difference']:+.3f} deg "
          f"per fold on average: paired t p = {test['t_pvalue']:.3g}, "
          f"Wilcoxon p = {test['wilcoxon_pvalue']:.3g}")

# %%
fig, ax = plt.subplots(figsize=(6.5, 3.8), layout="constrained")
names = list(comparison.results)
folds = np.array([comparison.results[n].scores["median_error"] for n in names])
for k in range(folds.shape[1]):
    ax.plot(range(len(names)), folds[:, k], "-o", color="0.6", ms=4, lw=0.8,
            label="one fold" if k == 0 else None)
ax.plot(range(len(names)), folds.mean(axis=1), "s", color="k", ms=8, label="mean over folds")
ax.set_xticks(range(len(names)), names, rotation=15)
ax.set_ylabel("median |error| on the fold (deg)")
ax.set_title("same folds for every decoder: compare them pairwise")
ax.legend(fontsize="small")
save(fig, "paired_comparison")

# %% [markdown]
# How to read these p-values, and their limits:
#
# - Lines in the figure join the same fold. When they run roughly parallel, the folds
#   differ in difficulty but the decoders' ranking is consistent, and a paired test picks
#   that up even when the error bars of the means overlap.
# - With 5 folds, the Wilcoxon test cannot give p below 0.0625 (5 differences, all of the
#   same sign, is the most extreme outcome). Use more folds, or repeated cross-validation,
#   when you need that test.
# - The folds are **not independent samples**: every pair of training sets shares 3/4
#   of its trials. The t-test assumes independence, so its p-values are optimistic.
#   Corrected tests exist (Nadeau & Bengio, 2003). Treat these p-values as a guide, and
#   keep a held-out data set or a replication for the claim that matters.
# - Here the penalties themselves were chosen on these same folds, which flatters the
#   tuned decoders. The next section removes that bias.
#
# ## 6. Nested cross-validation: an unbiased estimate of a tuned decoder
#
# The best score of a sweep is the minimum of several noisy estimates, so it is biased
# downwards. We picked the value that happened to do best on these particular folds.
# Reporting it as "the decoder's error" is **optimistic**. Nested cross-validation puts
# the whole tuning procedure inside the cross-validation. For each outer fold, an *inner*
# sweep on the outer training trials only chooses $\ell_2$. The chosen decoder is refit on
# those training trials and scored on the outer test fold, which played no part in the
# choice.

# %%
nested = nested_cross_validate(LinearDecoder(), {"l2": L2_GRID}, rec, cv=5,
                               inner_cv=3, scoring=SCORING, random_state=SEED)
print(nested.summary())
best_in_sweep = l2_sweep.results[l2_sweep.best].mean("median_error")
print(f"\nbest of the l2 sweep (optimistic):       {best_in_sweep:.3f} deg")
print(f"nested cross-validation (unbiased):      {nested.outer.mean('median_error'):.3f} "
      f"± {nested.outer.sem('median_error'):.3f} deg")

# %% [markdown]
# Here the two numbers are usually close, because the grid is small and the U-shaped
# curve has a broad, flat bottom. The gap grows with the number of settings you try and
# with fewer or noisier trials. The inner loops may choose different values in different
# folds, which is part of the procedure's real variability. Report the nested estimate,
# and the fixed hyperparameters if you then refit on all the data.
#
# ## What to take away
#
# - With more neurons than trials, an unregularised decoder memorises the training trials.
#   Always judge a decoder on held-out trials.
# - **L2** shrinks all weights and spreads the read-out over many neurons. **L1** zeroes
#   weights and gives a sparse decoder whose kept neurons you can inspect. **Dropout**
#   regularises networks by training with random hidden units silenced.
# - Choose penalties by cross-validation (`sweep`, `plot_sweep`). Compare decoders on the
#   same folds with paired tests (`compare(...).paired_tests()`), remembering that folds
#   are not independent.
# - The best score of a sweep is optimistic. `nested_cross_validate` gives an honest
#   estimate of the tuned decoder.
#
# **Next:** lesson 3 goes back to the simplest classifiers, the perceptron and logistic
# regression.

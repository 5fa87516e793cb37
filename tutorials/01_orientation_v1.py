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
# # Lesson 1: decoding grating orientation from a V1 population
#
# Neurons in primary visual cortex (V1) are **tuned** to the orientation of an edge or a
# grating: each fires most for its *preferred* orientation and less and less as the
# grating turns away from it. Any single neuron is unreliable, since the same grating evokes
# a different number of spikes on every presentation. But a population of thousands of
# neurons with different preferred orientations carries a lot of information together.
# How precisely can we read the orientation back out of it?
#
# Stringer et al. (2021, *High-precision coding in visual cortex*, Cell 184:2767) asked
# exactly this. They imaged tens of thousands of V1 neurons with two-photon calcium
# imaging while mice viewed static gratings of random orientation, then trained decoders
# to report the orientation from the population response. The data set used in the
# Neuromatch Academy lessons holds **23,589 neurons x 4,598 trials**. The populations
# discriminated orientations about 0.35 degrees apart, nearly 100 times finer than mice
# do behaviourally.
#
# This lesson follows the Neuromatch version of that analysis, using neurodecode:
#
# 1. build a Stringer-like population whose ground truth we know, and look at its tuning
#    curves;
# 2. train a **linear network** and a **deep ReLU network** with gradient descent on a
#    mean-squared-error (MSE) loss, and read their **loss curves**;
# 3. measure the **decoding error in degrees** on held-out trials;
# 4. see **why orientation is a circle**, and what goes wrong if you forget it;
# 5. compare the errors with the **Cramér-Rao bound**, the best any unbiased decoder could
#    do with this population.
#
# Run it as a script (`python tutorials/01_orientation_v1.py`) or open it as a notebook
# (see `tutorials/README.md`). `NEURODECODE_QUICK=1` shrinks the population so that it runs
# in seconds. Figures go to `$NEURODECODE_FIGURES` (default `figures/`).

# %%
import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import NullFormatter, ScalarFormatter

from neurodecode.data import load_npz, orientation_population
from neurodecode.decoders import LinearDecoder, MLPDecoder
from neurodecode.evaluate import circular_error, make_splits, plot_loss_curves

QUICK = os.environ.get("NEURODECODE_QUICK", "0") not in ("", "0")
FIGURES = Path(os.environ.get("NEURODECODE_FIGURES", "figures"))
FIGURES.mkdir(parents=True, exist_ok=True)

# Stringer et al.'s size; a small population for a quick run
N_NEURONS, N_TRIALS = (300, 600) if QUICK else (23_589, 4_598)
MAX_EPOCHS = 60 if QUICK else 200
LR = 1e-3 if QUICK else 3e-5  # Adam's step size: smaller for many inputs (see below)
SEED = 0


def save(fig, name):
    """Save a figure into FIGURES (and leave it to the notebook to display)."""
    path = FIGURES / f"01_{name}.png"
    fig.savefig(path, dpi=120)
    print(f"figure saved: {path}")


# %% [markdown]
# ## The real data, if you have it
#
# The Neuromatch copy of the Stringer recording is an `.npz` file with `resp` (neurons x
# trials) and `istim`, the grating angle in radians from 0 to 2 pi. `load_npz` reads that
# layout, converts the angle to degrees, and folds it to **orientation** (0-180 degrees,
# period 180). A grating at 10 degrees and one at 190 degrees have the same orientation.
# Pass `period=360` to keep the full angle.
#
# The rest of this lesson uses a synthetic population, because it comes with a known ground
# truth (the true tuning curves and the Cramér-Rao bound). If you have the file, put it
# next to this notebook and set `rec = real` after the population cell below. The
# decoding cells then run on the real recording. The cells that use `truth` (true tuning
# curves, the bound) need the synthetic ground truth, so skip them.

# %%
stringer_file = Path("stringer_orientations.npz")
if stringer_file.exists():
    real = load_npz(stringer_file)  # resp: neurons x trials, istim: radians
    print(real)  # Recording(4598 trials x 23589 neurons, stimulus: circular, period 180, ...)
else:
    print(f"{stringer_file} not found: using the synthetic population only")

# %% [markdown]
# ## A synthetic Stringer-like population
#
# `orientation_population` draws, for every neuron, a **von Mises tuning curve** (a bump on
# the circle). Its parameters are a random preferred orientation, a width (concentration
# `kappa`), a peak rate and a baseline rate. It then shows the population
# `n_trials` gratings of uniformly random orientation and samples each neuron's spike
# count in a 0.5 s window from a **Poisson** distribution around its tuning curve. So the
# noise here is independent across neurons. Real V1 noise is not, and lesson 4 is about
# what correlations change.
#
# The function returns a `Recording` (responses, trials x neurons, plus the stimulus and
# what kind of variable it is) and the ground truth.

# %%
rec, truth = orientation_population(N_NEURONS, N_TRIALS, random_state=SEED)
print(rec)
print(f"mean spike count per neuron and trial: {rec.responses.mean():.2f}")

# %% [markdown]
# ### Tuning curves
#
# Left: the true tuning curves of a few neurons (lines), with the single-trial spike counts
# of two of them (dots). The scatter around each curve is Poisson noise. Its variance equals
# the mean, so single trials are very unreliable. Right: the whole population, neurons
# sorted by preferred orientation and trials by stimulus orientation. The diagonal band
# is the population code. Note that it wraps around: a neuron preferring 175 degrees also
# responds to gratings at 5 degrees.

# %%
grid = np.linspace(0, 180, 181)
curves = truth.tuning(grid)  # (n_values, n_neurons): expected count per trial
examples = np.argsort(truth.preferred)[:: max(1, N_NEURONS // 6)][:6]

fig, (ax_tc, ax_pop) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
for k, i in enumerate(examples):
    (line,) = ax_tc.plot(grid, curves[:, i], lw=2, label=f"neuron {i}")
    if k < 2:
        ax_tc.plot(rec.stimulus, rec.responses[:, i], ".", ms=3, alpha=0.4,
                   color=line.get_color())
ax_tc.set_xlabel("grating orientation (deg)")
ax_tc.set_ylabel("spike count in 0.5 s")
ax_tc.set_title("tuning curves (lines) and single trials (dots)")
ax_tc.set_xticks(range(0, 181, 45))
ax_tc.legend(fontsize="small", ncols=2)

# draw at most 600 neurons x 1000 trials (evenly spaced): enough for the eye, and light
by_pref = np.argsort(truth.preferred)[np.linspace(0, N_NEURONS - 1, min(N_NEURONS, 600))
                                      .astype(int)]
by_stim = np.argsort(rec.stimulus)[np.linspace(0, N_TRIALS - 1, min(N_TRIALS, 1000))
                                   .astype(int)]
z = rec.responses[np.ix_(by_stim, by_pref)]
z = (z - z.mean(axis=0)) / (z.std(axis=0) + 1e-6)
im = ax_pop.imshow(z.T, aspect="auto", cmap="magma", vmin=-1, vmax=2.5, interpolation="none",
                   extent=(0, rec.n_trials, N_NEURONS, 0))
ax_pop.set_xlabel("trials, sorted by stimulus orientation")
ax_pop.set_ylabel("neurons, sorted by preferred orientation")
ax_pop.set_title("population responses" + (" (evenly subsampled)" if len(by_pref) < N_NEURONS
                                           or len(by_stim) < N_TRIALS else ""))
fig.colorbar(im, ax=ax_pop, label="response (z-score per neuron)")
save(fig, "tuning_curves")

# %% [markdown]
# ## Training and test trials
#
# A decoder is only worth what it does on trials it has **not** seen. We hold out one
# fifth of the trials for testing. `make_splits` gives cross-validation folds (stratified
# by orientation, so every fold covers the whole circle), and we use only the first fold
# here. Lesson 2 uses every fold.

# %%
train, test = make_splits(rec, cv=5, random_state=SEED)[0]
rec_train, rec_test = rec.select(trials=train), rec.select(trials=test)
print(f"{rec_train.n_trials} training trials, {rec_test.n_trials} test trials")

# %% [markdown]
# ## The linear network
#
# The simplest decoder is a weighted sum of the responses, $\hat y = W r + b$: one weight
# per neuron for each output. Which outputs? Orientation is an angle, so we do not predict
# it directly. The decoder predicts the point $(\cos 2\theta, \sin 2\theta)$ on the unit
# circle (the angle is doubled because orientation repeats every 180 degrees). The angle is
# then read back with `atan2`. A later section shows why.
#
# Training minimises the **mean squared error** between predicted and true points,
# $\frac{1}{2n}\sum_t \lVert y_t - W r_t - b \rVert^2$. Here we do it the way a neural
# network is trained: **gradient descent** (Adam, on mini-batches of 128 trials). Each
# step moves the weights a little downhill on the loss. Before training, every
# neuron is z-scored with the training trials' mean and standard deviation, so that all
# weights are on the same scale.
#
# We also set aside 10% of the training trials as a **validation** set
# (`early_stopping=True`). Training stops when the validation loss has not improved for
# `patience=10` epochs (`tol=0`: any improvement counts), and the best weights are kept.
# The test trials stay untouched until the end.
#
# The **learning rate** `lr` sets the size of each step. Adam moves every weight by
# roughly `lr` per step, so the output, a sum over all neurons, moves more when there are
# more neurons. With tens of thousands of neurons we use `lr=3e-5`; with a few hundred,
# `1e-3`. Too large a step makes the loss jump around or even climb, and too small a step
# makes training slow. Try a few values and watch the loss curves below.

# %%
linear_gd = LinearDecoder(l2=1e-2, solver="adam", lr=LR, batch_size=128,
                          max_epochs=MAX_EPOCHS, early_stopping=True, tol=0.0,
                          random_state=SEED)
linear_gd.fit(rec_train)  # a Recording brings its stimulus and its period (180) along
print(f"linear network: {linear_gd.n_iter_} epochs, weights {linear_gd.coef_.shape}")

# %% [markdown]
# For a linear model, gradient descent is not the only option. The same loss with an L2
# penalty (ridge regression) has an exact closed-form solution, which `LinearDecoder` uses
# by default. We fit it as a reference.

# %%
linear_exact = LinearDecoder(l2=1e-2).fit(rec_train)

# %% [markdown]
# ## A deep ReLU network
#
# `MLPDecoder(hidden=(200,))` is the "DeepNetReLU" of the Neuromatch lesson: responses ->
# 200 hidden units with a rectified-linear (ReLU) non-linearity -> the (cos, sin) outputs.
# It is trained the same way: Adam on the same MSE loss, with the same early stopping.
# With 200 hidden units it has about 100 times as many weights as the linear network.

# %%
relu_net = MLPDecoder(hidden=(200,), lr=LR, max_epochs=MAX_EPOCHS, early_stopping=True,
                      tol=0.0, random_state=SEED)
relu_net.fit(rec_train)
n_weights = sum(p.numel() for p in relu_net.module_.parameters())
print(f"ReLU network: {relu_net.n_iter_} epochs, {n_weights:,} parameters")

# %% [markdown]
# ### Loss curves
#
# `history_` keeps the loss after every epoch (one pass over the training trials), on the
# training trials (solid) and on the validation trials (dashed). Reading them:
#
# - Both curves fall at first: the network is learning structure that generalises.
# - The training loss keeps falling, but the validation loss flattens or turns up. From then
#   on, the extra fit to the training trials is memorised noise: this is **overfitting**.
#   The gap between the curves measures it.
# - Early stopping keeps the weights of the best validation epoch.
#
# The ReLU network drives its training loss far lower than the linear network, because it
# has many more parameters, but its validation loss is no lower. Lesson 2 shows how
# regularisation narrows the gap. (The training curve of the linear network includes its
# L2 penalty; the validation curve is the MSE alone.)

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), layout="constrained", sharey=True)
for ax, dec, title in zip(axes, (linear_gd, relu_net), ("linear network", "ReLU network")):
    plot_loss_curves(dec, ax=ax)
    ax.set_title(title)
    ax.set_ylabel("MSE loss on (cos, sin)")
save(fig, "loss_curves")

# %% [markdown]
# ## Decoding error in degrees
#
# On the test trials, the error of a decoded orientation is the difference from the true
# one **measured on the circle**: `circular_error` wraps it into [-90, 90) degrees. Its
# absolute value tells how far off the decoder was. We report two summaries:
#
# - the **median absolute error**, which is robust to a few large mistakes;
# - the **root-mean-square (RMS) error**, which we compare with the Cramér-Rao bound below.


# %%
def test_errors(decoder, recording=rec_test):
    """Signed circular errors (degrees) of a fitted decoder on held-out trials."""
    return circular_error(recording.stimulus, decoder.predict(recording), period=180)


errors = {
    "linear (gradient descent)": test_errors(linear_gd),
    "linear (closed form)": test_errors(linear_exact),
    "ReLU network": test_errors(relu_net),
}
for name, err in errors.items():
    print(f"{name:<27} median |error| {np.median(np.abs(err)):5.2f} deg,"
          f"  RMS {np.sqrt(np.mean(err**2)):5.2f} deg")

# %%
fig, (ax_pred, ax_hist) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
for name, dec in (("linear (gradient descent)", linear_gd), ("ReLU network", relu_net)):
    ax_pred.plot(rec_test.stimulus, dec.predict(rec_test), ".", ms=3, alpha=0.6, label=name)
ax_pred.plot([0, 180], [0, 180], "k", lw=0.8)
ax_pred.set_xlabel("true orientation (deg)")
ax_pred.set_ylabel("decoded orientation (deg)")
ax_pred.set_title("held-out trials")
ax_pred.legend(fontsize="small")
bins = np.linspace(-10, 10, 41)
for name in ("linear (gradient descent)", "ReLU network"):
    ax_hist.hist(np.clip(errors[name], -10, 10), bins=bins, histtype="step", lw=1.5,
                 label=name)
ax_hist.set_xlabel("decoding error (deg; clipped to +-10)")
ax_hist.set_ylabel("test trials")
ax_hist.legend(fontsize="small")
save(fig, "decoding_error")

# %% [markdown]
# Both decoders land within a few degrees. The few points in the top-left and bottom-right
# corners of the scatter are not mistakes: a decoded 179 degrees for a true 1 degree is a
# 2 degree error.
#
# The linear network does at least as well as the deep one, which is no accident. With
# Poisson noise and von Mises tuning, the log-likelihood of an orientation,
# $\sum_i r_i \log f_i(\theta) - \sum_i f_i(\theta)$, is close to a weighted sum of the
# responses times $\cos 2\theta$ and $\sin 2\theta$. This holds when the summed tuning
# curves are nearly flat across orientations and baselines are small. So a linear
# read-out of (cos, sin) is already close to the right model, and the deep network can
# only add variance.
#
# The linear network trained by gradient descent is also not identical to the exact
# minimiser of its loss. It starts from zero weights and stops early, and stopping before
# convergence keeps the weights small. That is a form of regularisation (lesson 2), and it
# can beat the exact solution of an under-regularised loss.
#
# ## Why orientation is a circle
#
# What if we ignore the geometry and regress the angle in degrees directly, as a plain
# number on a line? We declare the same recording's stimulus as `kind="linear"`. The
# decoder then fits $\hat\theta = w \cdot r + b$ with MSE on the raw degrees.

# %%
rec_line = rec.with_stimulus(rec.stimulus, kind="linear")  # same numbers, wrong geometry
raw = LinearDecoder(l2=1e-2).fit(rec_line.select(trials=train))
raw_pred = raw.predict(rec_line.select(trials=test))
raw_err = circular_error(rec_test.stimulus, np.mod(raw_pred, 180), period=180)
errors["linear on raw degrees"] = raw_err
print(f"raw degrees: median |error| {np.median(np.abs(raw_err)):.1f} deg, "
      f"RMS {np.sqrt(np.mean(raw_err**2)):.1f} deg "
      f"(predictions span {raw_pred.min():.0f} to {raw_pred.max():.0f} deg)")

# %% [markdown]
# Far worse. We even scored it fairly, on the circle, after wrapping its predictions
# into [0, 180). Why?
#
# Gratings at 2 and 178 degrees look almost the same, so they evoke almost the same
# population response. On a line, though, their labels are 176 apart. A linear read-out of
# tuned responses is a smooth, periodic function of the orientation: a weighted sum of
# bumps on the circle. The target, the angle itself, is a sawtooth that jumps from 180
# back to 0. A smooth periodic function cannot follow that jump, and under MSE the best
# compromise is poor everywhere and worst near the seam (right). Forcing even that fit
# takes large weights of opposite signs, which amplify the Poisson noise of single trials
# (the scatter on the left). Regressing $(\cos 2\theta, \sin 2\theta)$ removes the seam.
# Both targets are smooth periodic functions that the population represents easily, and
# the same linear decoder becomes accurate at every orientation.
#
# The error must also be measured on the circle. A naive `abs(pred - true)` would call a
# decoded 179 degrees for a true 1 degree a 178 degree error, when it is a 2 degree one.

# %%
fig, (ax_raw, ax_by) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
ax_raw.plot(rec_test.stimulus, raw_pred, ".", ms=3, color="C3", label="raw degrees")
ax_raw.plot(rec_test.stimulus, linear_exact.predict(rec_test), ".", ms=3, color="C0",
            label="(cos, sin)")
ax_raw.plot([0, 180], [0, 180], "k", lw=0.8)
ax_raw.set_xlabel("true orientation (deg)")
ax_raw.set_ylabel("decoded orientation (deg)")
ax_raw.set_title("same linear decoder, two target codings")
ax_raw.legend(fontsize="small")

edges = np.linspace(0, 180, 13)
centres = (edges[:-1] + edges[1:]) / 2
which = np.digitize(rec_test.stimulus, edges) - 1
for name, err, colour in (("raw degrees", raw_err, "C3"),
                          ("(cos, sin)", errors["linear (closed form)"], "C0")):
    med = [np.median(np.abs(err[which == k])) for k in range(len(centres))]
    ax_by.plot(centres, med, "o-", color=colour, label=name)
ax_by.set_yscale("log")
ax_by.set_xlabel("true orientation (deg)")
ax_by.set_ylabel("median |error| on the circle (deg)")
ax_by.set_xticks(range(0, 181, 45))
ax_by.legend(fontsize="small")
save(fig, "orientation_is_a_circle")

# %% [markdown]
# ## How good could a decoder be? The Cramér-Rao bound
#
# Because we built the population, we know how much information it carries. The **Fisher
# information** $I(\theta)$ measures how much the response distribution changes when the
# orientation changes slightly. For independent Poisson neurons it is
# $I(\theta) = \sum_i f_i'(\theta)^2 / f_i(\theta)$: steep tuning slopes help, high
# variance (equal to the mean for Poisson) hurts. The **Cramér-Rao bound** says that no
# unbiased estimator can have a standard deviation below $1/\sqrt{I(\theta)}$.
# `truth.cramer_rao_bound()` averages this over orientations to give a bound on the RMS
# error in degrees.
#
# Two caveats matter when comparing it with our decoders.
#
# - The bound concerns *unbiased* estimators. Regularised decoders are slightly biased, but
#   when errors are a few degrees on a 180 degree circle the bound is still the right
#   yardstick.
# - Our decoders must **learn** their weights from a finite set of trials. Here that is a
#   few thousand trials for thousands of weights, so the estimation noise in the weights
#   adds to the error. The bound assumes the decoder already knows the tuning curves
#   exactly. More trials narrow the gap, and more neurons lower the bound itself. With
#   independent noise, information grows in proportion to the number of neurons.

# %%
crb = truth.cramer_rao_bound()  # degrees, RMS over uniformly drawn orientations
rms = {name: float(np.sqrt(np.mean(err**2))) for name, err in errors.items()}
print(f"Cramér-Rao bound on the RMS error: {crb:.2f} deg")
for name, value in rms.items():
    print(f"  {name:<27} RMS {value:6.2f} deg = {value / crb:5.1f} x the bound")

fig, (ax_bar, ax_fi) = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained",
                                    width_ratios=(1.4, 1))
names = list(rms)
ax_bar.barh(range(len(names)), [rms[n] for n in names], color=["C0", "C0", "C1", "C3"])
ax_bar.axvline(crb, color="k", ls="--", label=f"Cramér-Rao bound ({crb:.2f} deg)")
ax_bar.set_yticks(range(len(names)), names)
ax_bar.set_xscale("log")
ax_bar.xaxis.set_major_formatter(ScalarFormatter())
ax_bar.xaxis.set_minor_formatter(NullFormatter())
ax_bar.set_xticks([t for t in (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100)
                   if 0.5 * crb <= t <= 2 * max(rms.values())])
ax_bar.set_xlabel("RMS decoding error on held-out trials (deg, log scale)")
ax_bar.legend(fontsize="small", loc="lower right")
ax_fi.plot(grid, truth.cramer_rao_bound(grid), color="k")
ax_fi.set_xlabel("orientation (deg)")
ax_fi.set_ylabel(r"bound $1/\sqrt{I(\theta)}$ (deg)")
ax_fi.set_xticks(range(0, 181, 45))
ax_fi.set_ylim(0, None)
ax_fi.set_title("Cramér-Rao bound by orientation")
save(fig, "cramer_rao")

# %% [markdown]
# ## What to take away
#
# - A population of noisy, broadly tuned neurons encodes orientation far more precisely than
#   any of its members. A weighted sum of the responses reads it out to within a few degrees.
# - Linear and ReLU networks are trained the same way: gradient descent on an MSE loss.
#   Loss curves on held-out data show when a network stops learning and starts memorising.
# - Orientation lives on a circle (period 180 degrees). Decode $(\cos 2\theta,
#   \sin 2\theta)$ and measure errors on the circle. A decoder of raw degrees fails near
#   the wrap point.
# - The Cramér-Rao bound tells how far a decoder is from what the population allows. With
#   independent noise it keeps falling as neurons are added. In real populations, noise
#   correlations that mimic a change of the stimulus can cap the information; this
#   synthetic population has none (lesson 4). On the real Stringer recordings, decoders
#   discriminate orientations about 0.35 degrees apart (lesson 6 measures such
#   thresholds).
#
# **Next:** lesson 2 tames the overfitting seen in the loss curves with L2, L1 and dropout,
# and compares them properly by cross-validation.

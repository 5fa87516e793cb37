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
# # Lesson 4: encoding vs decoding, Bayesian decoders, the Cramér-Rao bound, noise correlations
#
# There are two ways to model a population:
#
# - An **encoding model** describes how each neuron responds to the stimulus,
#   $p(r_i \mid \theta)$. Its main part is the **tuning curve** $f_i(\theta)$, the
#   expected response, plus a noise model around it (here Poisson spike counts). It is
#   fitted neuron by neuron and says what each neuron does.
# - A **decoding model** goes the other way, from the population response $r$ to the
#   stimulus. Lessons 1 to 3 trained such decoders *directly*, by regression or
#   classification.
#
# **Bayes' rule** connects the two. If the neurons are independent given the stimulus,
#
# $$p(\theta \mid r) \;\propto\; p(\theta) \prod_i p(r_i \mid \theta),$$
#
# so fitted encoding models give a decoder for free: the **Bayesian decoder**. It is
# optimal *if the encoding model is right*. This lesson fits tuning curves, builds the
# Bayesian decoder from them, sets it against direct decoders on the same folds and against
# the Cramér-Rao bound, and then breaks the independence assumption with **noise
# correlations** to see what changes.

# %%
import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from neurodecode.data import orientation_population
from neurodecode.decoders import LinearDecoder, MLPDecoder
from neurodecode.encoding import (
    BayesianDecoder,
    TuningModel,
    cross_validate_tuning,
    encoding_vs_decoding,
)
from neurodecode.evaluate import circular_error, make_splits

QUICK = os.environ.get("NEURODECODE_QUICK", "0") not in ("", "0")
FIGURES = Path(os.environ.get("NEURODECODE_FIGURES", "figures"))
FIGURES.mkdir(parents=True, exist_ok=True)

SEED = 0
N_NEURONS, N_TRIALS = (100, 600) if QUICK else (500, 2000)
MAX_EPOCHS = 60 if QUICK else 200


def save(fig, name):
    """Save a figure into FIGURES (and leave it to the notebook to display)."""
    path = FIGURES / f"04_{name}.png"
    fig.savefig(path, dpi=120)
    print(f"figure saved: {path}")


def direct_decoders():
    """The direct decoders of lessons 1 and 2: ridge and a ReLU network."""
    return {"linear": LinearDecoder(l2=1e-1),
            "ReLU": MLPDecoder(hidden=(200,), max_epochs=MAX_EPOCHS, random_state=SEED)}


def rms_error(result):
    """Root-mean-square circular error (deg) of a cross-validated run."""
    err = circular_error(result.y_true, result.y_pred, period=180)
    return float(np.sqrt(np.mean(err**2)))


# %% [markdown]
# ## A population with independent Poisson noise
#
# We use the generator of lesson 1: von Mises tuning curves and Poisson spike counts,
# drawn independently for every neuron given the orientation. For this population the
# independence assumption of the Bayesian decoder is exactly right.

# %%
rec, truth = orientation_population(N_NEURONS, N_TRIALS, random_state=SEED)
print(rec)

# %% [markdown]
# ## 1. Encoding: fit a tuning curve to every neuron
#
# `TuningModel` fits all neurons at once. Each tuning curve is a **Poisson GLM**: the log
# of the expected count is a weighted sum of basis functions of the orientation, here a
# Fourier series $\cos 2k\theta, \sin 2k\theta$ for $k = 1..5$,
#
# $$\log f_i(\theta) = b_i + \sum_k a_{ik}\cos 2k\theta + c_{ik}\sin 2k\theta .$$
#
# That is flexible enough for any smooth curve on the orientation circle. (A von Mises bump
# with no baseline is exactly the $k=1$ term.) `cross_validate_tuning` fits it on training
# folds and scores each neuron on held-out trials by the **deviance explained**: 1 would
# be a perfect prediction of every count, 0 is no better than the neuron's mean rate.
# With Poisson noise even the true tuning curve cannot reach 1, because single counts are
# random.

# %%
tuning = cross_validate_tuning(TuningModel(), rec, cv=5, random_state=SEED)
print(tuning.summary())

examples = tuning.best_neurons(3)
fig, (ax_q, ax_tc) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained",
                                  width_ratios=(1, 1.4))
ax_q.hist(tuning.quality[np.isfinite(tuning.quality)], bins=25, color="0.55")
ax_q.set_xlabel("held-out deviance explained")
ax_q.set_ylabel("neurons")
ax_q.set_title("encoding quality, per neuron")
for i in examples:
    (line,) = ax_tc.plot(tuning.grid, tuning.curves[:, i], lw=2, label=f"neuron {i}: fitted")
    ax_tc.fill_between(tuning.grid, tuning.lower[:, i], tuning.upper[:, i],
                       color=line.get_color(), alpha=0.25, lw=0)
    ax_tc.plot(tuning.grid, truth.tuning(tuning.grid)[:, i], "--", color=line.get_color(),
               lw=1.2, label=f"neuron {i}: true")
ax_tc.set_xlabel("orientation (deg)")
ax_tc.set_ylabel("expected spike count in 0.5 s")
ax_tc.set_xticks(range(0, 181, 45))
ax_tc.set_title("fitted tuning curves (95% band) and the truth")
ax_tc.legend(fontsize="small", ncols=3, loc="upper center")
ax_tc.set_ylim(0, 1.35 * tuning.upper[:, examples].max())
save(fig, "tuning_curves")

# %% [markdown]
# The fitted curves (solid, with a jackknife 95% confidence band across folds) follow the
# true ones (dashed). The histogram shows that neurons differ a lot in how well their
# response is predicted by orientation. Sharply tuned, high-rate neurons score high.
# Weakly tuned ones score near zero, though they may still add a little information to
# the population.
#
# ## 2. Bayesian decoding: invert the encoding model
#
# `BayesianDecoder` fits the same tuning model on the training trials. For a new trial it
# evaluates the Poisson log-likelihood of the whole population response on a grid of
# orientations,
#
# $$\log p(r \mid \theta) = \sum_i \big[r_i \log f_i(\theta) - f_i(\theta)\big] + \text{const},$$
#
# adds a flat prior, and normalises to a **posterior** $p(\theta \mid r)$. The decoded
# orientation is the posterior's circular mean. Its width (circular standard deviation)
# is a per-trial **uncertainty**: how sure the decoder is on this trial.

# %%
train, test = make_splits(rec, cv=5, random_state=SEED)[0]
bayes = BayesianDecoder().fit(rec.select(trials=train))
held_out = rec.select(trials=test)
posterior = bayes.predict_posterior(held_out)
decoded, width = bayes.predict(held_out, return_std=True)

fig, ax = plt.subplots(figsize=(7, 3.6), layout="constrained")
for k, j in enumerate(np.argsort(held_out.stimulus)[[5, len(test) // 2, -20]]):
    (line,) = ax.plot(bayes.grid_, posterior[j], color=f"C{k}",
                      label=f"true {held_out.stimulus[j]:.1f}, decoded {decoded[j]:.1f} "
                            f"± {width[j]:.1f} deg")
    ax.axvline(held_out.stimulus[j], color=line.get_color(), ls=":", lw=1)
ax.set_xlabel("orientation (deg)")
ax.set_ylabel("posterior probability per grid step")
ax.set_xticks(range(0, 181, 45))
ax.set_title("posteriors of three held-out trials (dotted: true orientation)")
ax.legend(fontsize="small")
save(fig, "posteriors")

# %% [markdown]
# ## 3. Encoding-based vs direct decoders, on the same folds
#
# `encoding_vs_decoding` does all of this on every cross-validation fold. It fits the
# encoding model, scores each neuron, decodes with the Bayesian decoder, and
# cross-validates direct decoders (ridge and a ReLU network, as in lessons 1 and 2) on
# the same splits, so their errors are paired fold by fold. We compare the root-mean-square
# errors with the **Cramér-Rao bound** (lesson 1): no unbiased decoder can do better.

# %%
independent = encoding_vs_decoding(rec, cv=5, decoders=direct_decoders(), random_state=SEED)
print(independent.summary())
crb = truth.cramer_rao_bound()
print(f"\nCramér-Rao bound (RMS): {crb:.2f} deg")
for name, result in independent.decoding.results.items():
    print(f"  {name:<7} RMS error {rms_error(result):5.2f} deg = {rms_error(result) / crb:4.2f} "
          "x the bound")

fig = independent.plot()
fig.suptitle("independent Poisson noise", fontsize="medium")
save(fig, "encoding_vs_decoding")
fig  # noqa: B018 (a notebook displays the figure)

# %% [markdown]
# Three panels. (a) The encoding quality of every neuron and the best-fitted tuning curves.
# (b) The decoding error of each decoder on each fold. (c) Each trial's posterior width
# against its actual error.
#
# With independent Poisson noise the Bayesian decoder is the best of the three, and its
# RMS error sits close to the Cramér-Rao bound. It knows the right noise model, and it
# fits each neuron's tuning curve separately: a small problem with many trials per
# parameter. The direct decoders must learn all their read-out weights jointly from the
# same trials, with no such knowledge, and the noise in those weights grows with the
# number of neurons per trial.
#
# Panel (c) is an honest check of the posterior width. Here every orientation is encoded
# about equally well and trials differ little in their total spike count, so the width
# hardly varies from trial to trial, and it predicts little about which trials will be
# wrong. The correlation $\rho$ is weak. Posterior widths are most useful when the
# reliability really varies across trials, for example with contrast, or with attention
# and arousal.
#
# ## 4. What noise correlations change
#
# Real neurons are not independent given the stimulus. Their trial-to-trial fluctuations
# are correlated (**noise correlations**). Two kinds matter here, and the generator can
# add each:
#
# - **A shared gain** (`gain_noise`): on each trial, every neuron's rate is multiplied by
#   the same random factor, like a change of arousal or attention. It makes all neurons go
#   up and down together. This direction in population space is roughly orthogonal to the
#   one a change of orientation moves the population along (the derivative of the tuning
#   curves). A decoder that knows about the gain can largely discount it, so it is not,
#   in principle, information-limiting.
# - **Information-limiting ("differential") correlations** (`stimulus_noise`): the
#   population responds as if the orientation itself were jittered by a couple of degrees
#   on each trial, for example by noise upstream of V1. These fluctuations lie exactly
#   along the derivative of the tuning curves, so no decoder can tell them apart from a
#   real change of orientation. They cap the Fisher information at
#   $1/\sigma_\text{jitter}^2$ however many neurons are recorded (Moreno-Bote et al.,
#   2014).
#
# We simulate the same neurons (same seed, so same tuning curves and stimuli) with each
# kind of correlation and measure the average pairwise noise correlation. That is the
# correlation of the residuals $r_i - f_i(\theta)$ across trials, which the true tuning
# curves let us compute exactly.

# %%
conditions = {
    "independent": {},
    "shared gain": {"gain_noise": 0.5},
    "information-limiting": {"stimulus_noise": 2.0},
}
populations = {}
for label, extra in conditions.items():
    r, t = orientation_population(N_NEURONS, N_TRIALS, random_state=SEED, **extra)
    residual = r.responses - t.tuning(r.stimulus)
    corr = np.corrcoef(residual.T)
    pairs = corr[np.triu_indices(N_NEURONS, k=1)]
    populations[label] = (r, t)
    print(f"{label:<21} mean noise correlation {pairs.mean():+.3f}, "
          f"mean |correlation| {np.abs(pairs).mean():.3f}")

# %% [markdown]
# The shared gain gives clearly positive correlations. We made it strong, stronger than
# the average noise correlation typically measured between cortical neurons, so that its
# effect is plain. The information-limiting correlations are invisible in these numbers.
# Even with no correlation at all, a correlation estimated from a few hundred trials is
# off by a few hundredths (the mean |correlation| of the independent population is that
# noise floor). The differential correlations are no larger: positive for neurons with
# similar preferences, negative for opposite ones, and tiny. This is why they are so hard
# to find in real data, although they can matter more than anything else for large
# populations.
#
# Now we decode each population with the Bayesian decoder, which assumes independence,
# and with the direct decoders, which learn from the joint responses.

# %%
comparisons = {"independent": independent}
for label in ("shared gain", "information-limiting"):
    comparisons[label] = encoding_vs_decoding(populations[label][0], cv=5,
                                              decoders=direct_decoders(),
                                              random_state=SEED)

rows = {}
for label, result in comparisons.items():
    bound = populations[label][1].cramer_rao_bound()  # includes the jitter cap, if any
    rows[label] = ({name: rms_error(r) for name, r in result.decoding.results.items()}, bound)
    cells = "  ".join(f"{name} {value:5.2f}" for name, value in rows[label][0].items())
    print(f"{label:<21} RMS error (deg): {cells}   bound {bound:.2f}   "
          f"posterior width vs error: rho = {result.spearman:+.2f}")

# %%
fig, ax = plt.subplots(figsize=(8, 4), layout="constrained")
names = list(rows["independent"][0])
width_bar = 0.8 / len(names)
for k, name in enumerate(names):
    x = np.arange(len(rows)) + (k - (len(names) - 1) / 2) * width_bar
    ax.bar(x, [rows[label][0][name] for label in rows], width=width_bar, label=name,
           color="C0" if name == "bayes" else f"C{k + 1}")
for j, label in enumerate(rows):
    ax.hlines(rows[label][1], j - 0.45, j + 0.45, color="k", ls="--", lw=1.5,
              label="Cramér-Rao bound" if j == 0 else None)
bound_kind = {"independent": "independent noise", "shared gain": "independent noise",
              "information-limiting": "with the jitter cap"}
ax.set_xticks(range(len(rows)), [f"{label}\n(bound: {bound_kind[label]})" for label in rows],
              fontsize="small")
ax.set_ylabel("RMS decoding error, held out (deg)")
ax.set_title("the same neurons under three noise models")
ax.legend(fontsize="small")
save(fig, "noise_correlations")

# %% [markdown]
# What changes:
#
# - **Shared gain.** Every decoder gets worse, and the Bayesian decoder loses its lead.
#   Its likelihood assumes a fixed rate for each orientation. On a high-gain trial it
#   sees more spikes than any orientation predicts and pulls the estimate towards
#   orientations that evoke more spikes overall. It also grows overconfident: more spikes
#   make a narrower posterior. The direct decoders learn from the actual trials,
#   fluctuations included. The ReLU network in particular can learn something like
#   normalising by the total activity, so it suffers least. The bound drawn here is the
#   independent-noise one, only a reference: it ignores the gain.
# - **Information-limiting correlations.** Now the bound itself rises, since the jitter
#   caps the information, and every decoder rises with it. The jitter looks exactly like a
#   real change of orientation, so nothing can remove it: no decoder, and no number of
#   neurons. Recording more neurons stops helping once $1/\sigma_\text{jitter}^2$ dominates
#   the Fisher information.
#
# So when the Bayesian decoder beats direct decoders, the encoding model captures the
# statistics that matter. When it falls behind, something in its assumptions (often
# independence) is wrong. Comparing the two on the same folds is a diagnostic, not just a
# contest.
#
# ## What to take away
#
# - Encoding models (tuning curves) describe single neurons. Inverting them with Bayes'
#   rule gives a decoder with a posterior, hence a per-trial uncertainty.
# - If the encoding model is right (independent Poisson here), the Bayesian decoder is
#   near-optimal, close to the Cramér-Rao bound, and beats direct decoders trained on the
#   same trials.
# - Noise correlations break the independence assumption. A shared gain hurts the
#   Bayesian decoder more than direct decoders, which learn the joint statistics.
#   Information-limiting correlations raise the bound for everyone.
#
# **Next:** lesson 5 takes these tools to your own recordings in NWB files.

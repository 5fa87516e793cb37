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
# # Lesson 3: baselines, the perceptron and logistic regression
#
# Lessons 1 and 2 decoded a continuous variable, orientation, by regression. Many
# experiments ask a categorical question instead. Was the grating horizontal or
# vertical? Which of eight orientations, which image, which category was shown? A decoder
# for that is a **classifier**. Before trying anything elaborate, run the two classic
# linear classifiers as **baselines**. They are fast, well understood, and tell you how
# much is decodable by a single weighted sum of the responses:
#
# - the **perceptron** (Rosenblatt, 1958), the first learning rule for a model neuron;
# - **logistic regression**, its probabilistic counterpart, which outputs class
#   probabilities and is trained by minimising the **cross-entropy**.
#
# We build intuition on a toy problem with only two neurons, where the decoder's decision
# boundary can be drawn in the plane. Then we decode binned orientation from a population,
# first two classes, then eight, and read the confusion matrix.

# %%
import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from neurodecode.data import orientation_population
from neurodecode.decoders import LogisticDecoder, MLPClassifierDecoder, PerceptronDecoder
from neurodecode.evaluate import compare, make_splits, plot_confusion

QUICK = os.environ.get("NEURODECODE_QUICK", "0") not in ("", "0")
FIGURES = Path(os.environ.get("NEURODECODE_FIGURES", "figures"))
FIGURES.mkdir(parents=True, exist_ok=True)

SEED = 0
N_NEURONS, N_TRIALS = (100, 400) if QUICK else (1000, 2000)
MAX_EPOCHS = 60 if QUICK else 200
rng = np.random.default_rng(SEED)


def save(fig, name):
    """Save a figure into FIGURES (and leave it to the notebook to display)."""
    path = FIGURES / f"03_{name}.png"
    fig.savefig(path, dpi=120)
    print(f"figure saved: {path}")


def two_neuron_responses(means, sd, n_per_class):
    """Firing rates (Hz) of two neurons: Gaussian clouds, one per stimulus."""
    X = np.concatenate([rng.normal(m, sd, size=(n_per_class, 2)) for m in means])
    y = np.repeat(np.arange(len(means)), n_per_class)
    return X, y


# %% [markdown]
# ## A toy problem with two neurons
#
# Two neurons, two gratings. Neuron 2 fires much more for the vertical grating, and
# neuron 1 slightly more for the horizontal one. On each trial we record both firing
# rates, so each trial is a point in the plane. A linear classifier draws a straight line
# through that plane and calls everything on one side "horizontal" and everything on the
# other "vertical".

# %%
GRATINGS = ["horizontal", "vertical"]
MEANS = [(10.0, 5.0), (9.0, 10.0)]  # mean rates (Hz) of the two neurons for each grating
X_sep, y_sep = two_neuron_responses(MEANS, sd=1.2, n_per_class=40)
X_mix, y_mix = two_neuron_responses(MEANS, sd=2.5, n_per_class=40)
span = np.linspace(0, 16, 200)
xx, yy = np.meshgrid(span, span)
plane = np.c_[xx.ravel(), yy.ravel()]  # every point of the plane, to draw decisions


def draw_trials(ax, X, y, names):
    for k, name in enumerate(names):
        ax.plot(X[y == k, 0], X[y == k, 1], "o", ms=4.5, color=f"C{k}", mec="k", mew=0.5,
                label=name)
    ax.set_xlim(span[0], span[-1])
    ax.set_ylim(span[0], span[-1])
    ax.set_aspect("equal")
    ax.set_xlabel("neuron 1 rate (Hz)")
    ax.set_ylabel("neuron 2 rate (Hz)")


# %% [markdown]
# ## The perceptron learning rule
#
# The perceptron computes a score $s = w \cdot x + b$ from the responses $x$. It answers
# "vertical" when $s > 0$ and "horizontal" otherwise, so its decision boundary is the line
# $w \cdot x + b = 0$. Label the classes $t = +1$ (vertical) and $t = -1$ (horizontal).
# Learning visits the trials one by one and changes the weights **only when it makes a
# mistake** ($t\,s \le 0$):
#
# $$w \leftarrow w + \eta\, t\, x, \qquad b \leftarrow b + \eta\, t .$$
#
# A mistake on a vertical trial adds that trial's response to the weights, so the score of
# similar responses goes up. A mistake on a horizontal trial subtracts it. If a straight
# line can separate the two classes, the rule finds one after a finite number of mistakes.
# This is the perceptron convergence theorem (Novikoff, 1962): at most $(R/\gamma)^2$
# mistakes, with $R$ the largest response and $\gamma$ the margin of the best separating
# line.
#
# The rule fits in a few lines. Here it is, by hand, on the toy trials. We make passes over
# them in random order until a pass makes no mistake, and record the boundary after each
# mistake.

# %%
w, b, eta = np.zeros(2), 0.0, 0.1
boundaries = []
n_passes = 0
while n_passes < 100:
    n_passes += 1
    mistakes = 0
    for k in rng.permutation(len(y_sep)):
        x, t = X_sep[k], (1 if y_sep[k] == 1 else -1)
        if t * (w @ x + b) <= 0:  # a mistake: move the boundary towards this trial
            w, b = w + eta * t * x, b + eta * t
            boundaries.append((w.copy(), b))
            mistakes += 1
    if mistakes == 0:
        break
print(f"{len(boundaries)} mistakes in {n_passes} passes; the last pass made none")

# %% [markdown]
# `PerceptronDecoder` runs the same rule with three practical additions. It z-scores each
# neuron first, shuffles the trials on every pass (epoch), and shrinks the learning rate
# over epochs (`lr_decay`). Its `history_` counts the mistakes in each epoch. Training
# stops after an epoch without mistakes, since the weights no longer change.

# %%
perceptron = PerceptronDecoder(random_state=SEED).fit(X_sep, y_sep)
print(f"mistakes per epoch: {perceptron.history_['mistakes']}")
print(f"training accuracy: {perceptron.score(X_sep, y_sep):.2f}")


def draw_line(ax, w, b, **kwargs):
    """Draw the line w . x + b = 0 across the plotted range."""
    if abs(w[1]) > 1e-12:
        ax.plot(span, -(w[0] * span + b) / w[1], **kwargs)
    else:
        ax.axvline(-b / w[0], **kwargs)


fig, (ax_rule, ax_dec) = plt.subplots(1, 2, figsize=(10, 4.6), layout="constrained")
draw_trials(ax_rule, X_sep, y_sep, GRATINGS)
for k, (w_k, b_k) in enumerate(boundaries):
    last = k == len(boundaries) - 1
    draw_line(ax_rule, w_k, b_k, color="k", lw=2 if last else 1,
              alpha=1.0 if last else 0.15 + 0.6 * k / max(len(boundaries), 1),
              label="after the last mistake" if last else None)
ax_rule.set_title(f"the rule by hand: boundary after each of {len(boundaries)} mistakes")
ax_rule.legend(fontsize="small", loc="upper right")

draw_trials(ax_dec, X_sep, y_sep, GRATINGS)
score = perceptron.decision_function(plane).reshape(xx.shape)
ax_dec.contourf(xx, yy, score > 0, levels=[-0.5, 0.5, 1.5], colors=["C0", "C1"], alpha=0.12)
ax_dec.contour(xx, yy, score, levels=[0], colors="k", linewidths=2)
ax_dec.set_title(f"PerceptronDecoder: {perceptron.n_iter_} epochs")
ax_dec.legend(fontsize="small", loc="upper right")
save(fig, "perceptron_rule")

# %% [markdown]
# Left: each mistake tilts the line (faint lines are early ones) until every trial falls
# on its own side. The lines all pass near the origin. The bias is updated with an input
# of 1, while the rates are around 10 Hz, so by hand the bias learns ten times slower than
# the weights. Z-scoring the neurons, as `PerceptronDecoder` does, puts them on an equal
# footing. Right: the decoder's final boundary, with the two decision regions shaded.
#
# The perceptron stops at the *first* line that separates the training trials. That line
# can pass close to some of them, and a different trial order would give a different
# line. Nothing in the rule asks for a line that generalises well.
#
# ### When no line separates the classes
#
# Real neurons are noisy, and the clouds of responses overlap. Then some trial is always
# misclassified, the rule keeps updating, and the perceptron never converges. The decaying
# learning rate makes the updates smaller and smaller so that the weights settle. Where
# they settle depends on the last few mistakes.

# %%
perceptron_mix = PerceptronDecoder(max_epochs=MAX_EPOCHS, random_state=SEED).fit(X_mix, y_mix)
print(f"overlapping clouds: {perceptron_mix.n_iter_} epochs, still "
      f"{perceptron_mix.history_['mistakes'][-1]} mistakes in the last one")

# %% [markdown]
# ## Logistic regression: probabilities and cross-entropy
#
# Logistic regression uses the same score, but turns it into a **probability** with the
# logistic (sigmoid) function:
#
# $$P(\text{vertical} \mid x) = \sigma(w\cdot x + b) = \frac{1}{1 + e^{-(w\cdot x + b)}} .$$
#
# It is trained on *every* trial, not only on mistakes. The weights minimise the
# **cross-entropy**, the average of $-\log P(\text{true class} \mid x)$ over trials,
# which is the negative log-likelihood of the labels. A confident correct answer costs
# almost nothing. A hesitant one (probability near 0.5) costs $\log 2$. A confident
# mistake costs a lot. The loss is convex, so there is one best solution, whatever the
# trial order. An L2 penalty (`l2`, as in lesson 2) keeps the weights finite when the
# classes are separable.
#
# Because it models probabilities, the decoder also says *how sure* it is. Trials near the
# boundary get probabilities near 0.5.

# %%
logistic = LogisticDecoder(l2=1e-2).fit(X_mix, y_mix)
p_vertical = logistic.predict_proba(plane)[:, 1].reshape(xx.shape)
ce = -np.mean(np.log(logistic.predict_proba(X_mix)[np.arange(len(y_mix)), y_mix]))
print(f"logistic regression: training accuracy {logistic.score(X_mix, y_mix):.2f}, "
      f"cross-entropy {ce:.3f} nats (log 2 = {np.log(2):.3f} is a coin flip)")
print(f"perceptron:          training accuracy {perceptron_mix.score(X_mix, y_mix):.2f}")

# %%
fig, (ax_p, ax_m) = plt.subplots(1, 2, figsize=(10, 4.6), layout="constrained",
                                 width_ratios=(1.15, 1))
im = ax_p.contourf(xx, yy, p_vertical, levels=np.linspace(0, 1, 11), cmap="RdBu_r",
                   alpha=0.6)
ax_p.contour(xx, yy, p_vertical, levels=[0.5], colors="k", linewidths=2)
ax_p.contour(xx, yy, perceptron_mix.decision_function(plane).reshape(xx.shape), levels=[0],
             colors="k", linewidths=1.5, linestyles="--")
draw_trials(ax_p, X_mix, y_mix, GRATINGS)
ax_p.plot([], [], "k-", lw=2, label="logistic: P = 0.5")
ax_p.plot([], [], "k--", lw=1.5, label="perceptron boundary")
ax_p.legend(fontsize="small", loc="upper right")
ax_p.set_title("overlapping responses")
fig.colorbar(im, ax=ax_p, label="P(vertical | responses)", shrink=0.85)

ax_m.plot(np.arange(1, len(perceptron.history_["mistakes"]) + 1),
          perceptron.history_["mistakes"], "o-", label="separable clouds")
ax_m.plot(np.arange(1, perceptron_mix.n_iter_ + 1), perceptron_mix.history_["mistakes"],
          ".-", label="overlapping clouds")
ax_m.set_xlabel("epoch")
ax_m.set_ylabel("perceptron mistakes in the epoch")
ax_m.set_title("the perceptron converges only if separable")
ax_m.legend(fontsize="small")
save(fig, "logistic_vs_perceptron")

# %% [markdown]
# ## More than two classes
#
# Now three gratings, with a third one that drives both neurons moderately. Its cloud sits
# *between* the other two. There are two ways to extend a linear classifier to several
# classes:
#
# - **One-vs-rest** (`PerceptronDecoder(multiclass="ovr")`) trains one binary classifier
#   per class ("this class or any other") and predicts the class with the highest score.
# - **Compare the classes directly.** The multiclass perceptron (`multiclass="argmax"`) keeps
#   one score per class. On a mistake it moves the true class's weights towards the trial
#   and the wrongly winning class's weights away. Multinomial logistic regression turns
#   the scores into probabilities with the **softmax**,
#   $P(k \mid x) = e^{s_k} / \sum_j e^{s_j}$, and minimises the same cross-entropy.
#
# One-vs-rest has a blind spot here. No single line separates the middle class from the
# two others, which lie on both sides of it. So its "middle vs rest" perceptron can never
# converge: it keeps making mistakes epoch after epoch, and where it stops is somewhat
# arbitrary. Comparing scores between classes has no such problem.

# %%
THREE = ["horizontal", "vertical", "diagonal"]
X3, y3 = two_neuron_responses([(13.0, 4.0), (4.0, 13.0), (8.5, 8.5)], sd=1.2, n_per_class=40)
three_way = {
    "perceptron, one-vs-rest": PerceptronDecoder(max_epochs=MAX_EPOCHS, random_state=SEED),
    "perceptron, argmax": PerceptronDecoder(multiclass="argmax", max_epochs=MAX_EPOCHS,
                                            random_state=SEED),
    "logistic (softmax)": LogisticDecoder(l2=1e-2),
}
fig, axes = plt.subplots(1, 3, figsize=(13, 5.0), layout="constrained")
for ax, (name, dec) in zip(axes, three_way.items()):
    dec.fit(X3, y3)
    regions = dec.predict(plane).reshape(xx.shape)
    ax.contourf(xx, yy, regions, levels=[-0.5, 0.5, 1.5, 2.5], colors=["C0", "C1", "C2"],
                alpha=0.15)
    ax.contour(xx, yy, regions, levels=[0.5, 1.5], colors="k", linewidths=1)
    draw_trials(ax, X3, y3, THREE)
    converged = ""
    if "perceptron" in name:
        converged = (f", {dec.history_['mistakes'][-1]} mistakes in its last epoch"
                     if dec.history_["mistakes"][-1] else ", converged")
    ax.set_title(f"{name}\ntraining accuracy {dec.score(X3, y3):.2f}{converged}",
                 fontsize="medium")
    print(f"{name:<24} training accuracy {dec.score(X3, y3):.2f}{converged}")
axes[0].legend(fontsize="small", loc="upper right")
save(fig, "three_classes")

# %% [markdown]
# On these well-separated clouds, all three end up sorting the training trials, even the
# one-vs-rest perceptron whose middle classifier never converged: the highest of its three
# scores still lands on the right class. That luck does not last on harder problems, as
# the population below shows.

# %% [markdown]
# ## Decoding orientation classes from a population
#
# Back to a V1-like population (lesson 1's generator, with fewer neurons). To use
# classifiers we turn orientation into classes with `bin_stimulus`. Two bins give
# "near horizontal" (class 0: from -45 to 45 degrees) and "near vertical" (class 90: from
# 45 to 135 degrees). The bins are centred on 0 and 90 and wrap around the circle, so
# 170 degrees belongs to the horizontal class.

# %%
rec, truth = orientation_population(N_NEURONS, N_TRIALS, random_state=SEED)
two = rec.bin_stimulus(2)
print(two.describe())

binary = compare({
    "perceptron": PerceptronDecoder(max_epochs=MAX_EPOCHS, random_state=SEED),
    "logistic": LogisticDecoder(l2=1e-2),
}, two, cv=5, scoring=["accuracy"], random_state=SEED)
print(binary.summary())
print("chance: 0.5 (two balanced classes)")

# %% [markdown]
# Both decoders are far above chance, and their errors are not random. Which trials does
# the logistic decoder find hard? We fit it on one training fold and look at its
# probability for "vertical" on the held-out trials, against their true orientation
# (before binning).

# %%
train, test = make_splits(two, cv=5, random_state=SEED)[0]
binary_logistic = LogisticDecoder(l2=1e-2).fit(two.select(trials=train))
held_out = two.select(trials=test)
p_vert = binary_logistic.predict_proba(held_out)[:, list(binary_logistic.classes_).index(90.0)]
orientation = held_out.trials["stimulus_continuous"]  # the angle before binning

fig, ax = plt.subplots(figsize=(6.5, 3.8), layout="constrained")
correct = binary_logistic.predict(held_out) == held_out.stimulus
ax.plot(orientation[correct], p_vert[correct], "o", ms=4, color="0.4", label="correct")
ax.plot(orientation[~correct], p_vert[~correct], "o", ms=6, color="C3", label="wrong")
for edge in (45, 135):
    ax.axvline(edge, color="C3", ls=":", lw=1)
ax.axhline(0.5, color="k", lw=0.8)
ax.set_xlabel("true orientation of the held-out trial (deg)")
ax.set_ylabel("P(near vertical | responses)")
ax.set_xticks(range(0, 181, 45))
ax.set_title("logistic decoder: confident far from the class edges (dotted)")
ax.legend(fontsize="small")
save(fig, "binary_population")

# %% [markdown]
# The probability is near 0 for orientations around 0 and 180 degrees and near 1 around
# 90. It crosses 0.5 at the class edges, 45 and 135 degrees, which is where the mistakes
# are. Those gratings are nearly equally "horizontal" and "vertical", so the population
# response is ambiguous there, and the probabilities say so.
#
# ### Eight classes and the confusion matrix
#
# With 8 bins (22.5 degrees wide) chance is 1/8. We compare the one-vs-rest and argmax
# perceptrons, logistic regression and, for reference, a ReLU network classifier, all on
# the same folds (paired tests as in lesson 2). Besides accuracy we report **balanced
# accuracy**, the mean of the per-class accuracies, which equals accuracy when the classes
# are balanced and does not reward always guessing a large class when they are not.

# %%
eight = rec.bin_stimulus(8)
multiclass = compare({
    "perceptron (one-vs-rest)": PerceptronDecoder(max_epochs=MAX_EPOCHS, random_state=SEED),
    "perceptron (argmax)": PerceptronDecoder(multiclass="argmax", max_epochs=MAX_EPOCHS,
                                             random_state=SEED),
    "logistic (softmax)": LogisticDecoder(l2=1e-2),
    "ReLU network": MLPClassifierDecoder(hidden=(200,), max_epochs=MAX_EPOCHS,
                                         random_state=SEED),
}, eight, cv=5, scoring=["accuracy", "balanced_accuracy"], random_state=SEED)
print(multiclass.summary())
print(f"chance: {1 / len(eight.classes):.3f} (8 balanced classes)")

fig, (ax_acc, ax_cm) = plt.subplots(1, 2, figsize=(11, 4.3), layout="constrained",
                                    width_ratios=(1, 1.1))
names = list(multiclass.results)
for k, name in enumerate(names):
    folds = multiclass.results[name].scores["accuracy"]
    ax_acc.bar(k, folds.mean(), color="0.75")
    ax_acc.plot(np.full(len(folds), k), folds, "k.", ms=5)
ax_acc.axhline(1 / 8, color="k", ls="--", lw=1, label="chance (1/8)")
ax_acc.set_xticks(range(len(names)), names, rotation=20, ha="right")
ax_acc.set_ylabel("accuracy on held-out trials")
ax_acc.set_ylim(0, 1)
ax_acc.set_title("8 orientation classes: mean (bar), folds (dots)")
ax_acc.legend(fontsize="small")
plot_confusion(multiclass.results["logistic (softmax)"], ax=ax_cm)
ax_cm.set_xlabel("decoded class (bin centre, deg)")
ax_cm.set_ylabel("true class (bin centre, deg)")
ax_cm.set_title("logistic: confusion matrix (rows sum to 1)")
save(fig, "eight_classes")

# %% [markdown]
# Reading the confusion matrix: row $i$ shows where the trials of true class $i$ ended up,
# and the diagonal holds the correct answers. The mistakes are almost all one class away,
# to a neighbouring orientation bin, and they **wrap around**: class 0 and class 157.5 are
# neighbours on the circle, so they are confused with each other (the corners). A
# confusion matrix that is a band around the diagonal shows the decoder has learned the
# geometry of the stimulus. Scattered errors would mean guessing.
#
# Two lessons for practice:
#
# - The one-vs-rest perceptron trails the classifiers that compare classes directly, for
#   the reason seen on the toy problem. The middle orientations of a bin are neither
#   "this bin" nor "all the others" in any linear way. Logistic regression is the better
#   default linear baseline: its loss is convex, it has a unique solution, it gives
#   probabilities, and it takes the same `l1`/`l2` penalties as every other decoder.
# - Classification throws away the *order* of the classes. A miss by 22.5 degrees counts
#   the same as a miss by 90. For an ordered or circular variable like orientation,
#   regression on the circle (lesson 1) uses more of the information. Use classifiers
#   when the stimulus really is categorical (images, categories, old vs new), or when the
#   task is a discrimination.
#
# **Next:** lesson 4 builds decoders the other way round, from a model of how each neuron
# encodes the stimulus.

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
# # When does V1 know the direction?
#
# Lessons 1 to 6 asked *how well* a population encodes a stimulus, from one response
# vector per trial. The next question is *when*: from which moment after grating onset
# can the direction be read out, does the code stay the same while the grating drifts,
# and is any of it above chance? Time-resolved decoding answers it by cross-validating a
# decoder at every time point of the trial (King & Dehaene, 2014), and a cluster-based
# permutation test (Maris & Oostenveld, 2007) says where the score is above chance
# without a separate test per time point.
#
# The data are a two-photon calcium recording from mouse V1 (Park et al., Sur lab): 56
# neurons, 128 trials of drifting gratings in 8 directions (16 trials each), 49 frames
# per trial at 16 Hz from 1 s before to 2 s after grating onset. You will:
#
# 1. decode the direction at each of the 49 frames, with a cluster permutation test;
# 2. read off the onset, and what it does (and does not) mean;
# 3. check the pre-stimulus baseline, where decoding should be at chance, and see why
#    in this session it is not quite;
# 4. train at one time and test at all others (temporal generalisation) to see whether
#    the code changes over the trial.
#
# The session is in the team's data folder, `../shared/data` beside the repository. When
# it is absent, the lesson runs on a synthetic stand-in of about the same shape
# (`time_resolved_population`: Poisson neurons, information from a known onset of
# 0.25 s, directions in random order), and the numbers differ from the ones quoted in
# the text, which are those of the full run on the real session. The stand-in carries
# no information before 0.25 s, so any "significant" pre-stimulus result there is a
# false positive (with several tests at the 5% level, one now and then is expected).
#
# Set `NEURODECODE_QUICK=1` to run in under a minute (every second frame, fewer
# permutations); the full run takes about 7 minutes on a 2-core CPU. Figures go to the
# folder in `NEURODECODE_FIGURES` (default: `figures/`).

# %%
import os
import warnings
from pathlib import Path

import numpy as np

from neurodecode.data import Recording, load_park_v1, time_resolved_population
from neurodecode.decoders import LogisticDecoder
from neurodecode.evaluate import (
    cross_validate,
    decode_over_time,
    make_splits,
    plot_generalization,
    plot_over_time,
    temporal_generalization,
)
from neurodecode.exceptions import DataWarning

QUICK = os.environ.get("NEURODECODE_QUICK", "0") not in ("", "0")
FIGURES = Path(os.environ.get("NEURODECODE_FIGURES", "figures"))
FIGURES.mkdir(parents=True, exist_ok=True)

SEED = 0
L2 = 1e-2  # a moderate penalty; lesson 2 shows how to choose one
N_PERMUTATIONS = 39 if QUICK else 200  # over time: 39 is the fewest that can give p < 0.05
N_GEN_PERMUTATIONS = 0 if QUICK else 39  # temporal generalisation: 4 s per pass here
N_BASELINE_PERMUTATIONS = 39 if QUICK else 500


def save(fig, name):
    """Save a figure into FIGURES (and leave it to the notebook to display)."""
    path = FIGURES / f"07_{name}.png"
    fig.savefig(path, dpi=120, bbox_inches="tight")
    print(f"figure saved: {path}")


# %% [markdown]
# ## Load every frame of every trial
#
# `load_park_v1(path)` gives one response vector per trial (the mean over 0-2 s minus the
# mean over the second before). With `time_resolved=True` it keeps all 49 frames as
# stored: responses of shape (trials, times, neurons), and `epoch_times`, the time of each
# frame from grating onset. The direction is stored as an angle; we decode it as 8
# classes, so chance is 1/8.

# %%
try:
    DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
except NameError:  # running as a notebook (opened from tutorials/)
    DATA = Path("../../shared/data")
REAL_FILE = DATA / "mouse_v1_2p_gratings_park2024_mrcuts28_fov4.mat"
USING_SHARED_DATA = REAL_FILE.is_file()

if USING_SHARED_DATA:
    rec = load_park_v1(REAL_FILE, time_resolved=True)
else:
    # Stand-in: 56 Poisson neurons tuned to 8 directions from 0.25 s on, none before,
    # in 62.5 ms bins; the directions come in random order.
    rec, truth = time_resolved_population(56, 128, n_times=48, epoch=(-1.0, 2.0),
                                          onset=0.25, n_classes=8, period=360.0,
                                          random_state=SEED)
    print(f"../shared/data is absent: synthetic stand-in, true onset {truth.onset} s")
rec = rec.with_stimulus(rec.stimulus, kind="categorical")  # 8 directions, chance 1/8
if QUICK:  # every second frame (8 Hz): the same analysis in half the time
    rec = Recording(rec.responses[:, ::2], rec.stimulus, kind="categorical",
                    epoch_times=rec.epoch_times[::2])
print(rec)
print("directions of the first 16 trials:", rec.stimulus[:16].astype(int).tolist())

# %% [markdown]
# Note the order of the trials: the directions come in a fixed cycle, 0, 45, ..., 315,
# sixteen times over. Keep that in mind for section 3.
#
# ## 1. Decoding at every time point
#
# `decode_over_time` cross-validates the decoder at every frame on *one* set of 5
# stratified splits, so the scores at different times differ only through the data. With
# `n_permutations`, the labels are shuffled (the same shuffle at every frame, the same
# splits) and the whole time course is recomputed each time: that gives the chance level
# at every frame and the null distribution of the cluster test.
#
# The cluster test forms clusters of consecutive frames whose score exceeds the 95th
# percentile of the shuffled scores at that frame, sums each cluster's advantage over
# chance (its mass), and compares it with the largest cluster mass of each shuffle. That
# controls the chance of *any* false cluster over the whole epoch, without a
# Bonferroni correction over 49 tests.

# %%
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always", DataWarning)
    over_time = decode_over_time(LogisticDecoder(l2=L2, device="cpu"), rec, cv=5,
                                 n_permutations=N_PERMUTATIONS, random_state=SEED)
print(over_time.summary())
for w in caught:
    print(f"\n{w.category.__name__}: {w.message}")

# %%
frame = over_time.to_frame()[["time", "accuracy_mean", "accuracy_sem", "chance", "p_value",
                              "p_fdr", "significant"]]
print(frame[(frame.time > -0.2) & (frame.time < 0.5)].round(3).to_string(index=False))
fig = plot_over_time(over_time)
fig.axes[0].axhline(1 / 8, color="k", lw=0.5)
fig.axes[0].set_title("Direction decoded at each frame")
save(fig, "decoding_over_time")

# %% [markdown]
# On the real session (full run, 200 permutations) the summary reads: peak accuracy
# 0.66 +- 0.02 at 1.875 s, one large cluster above chance from **0.1875 s to 2 s**
# (p = 0.005, the smallest value 200 permutations can give), and one small cluster
# *before* the grating appears (-0.875 to -0.8125 s, p = 0.03), with a warning. The
# table shows the three frames before the onset cluster near chance (p of 0.09 to 0.32),
# then a jump to 0.30 at 0.1875 s. The chance level estimated from the
# permutations is about 0.115, a little below 1/8 (a classifier trained on shuffled
# labels is slightly worse than guessing on stratified folds).
#
# ## 2. The onset, and what it means
#
# `over_time.onset` is the start of the first significant cluster at or after 0 s.

# %%
print(f"onset (first significant frame at or after 0 s): {over_time.onset} s")
step = float(np.diff(rec.epoch_times).mean())
print(f"one frame is {step * 1000:.1f} ms")

# %% [markdown]
# On the real session the onset is 0.1875 s, the fourth frame after onset. Read it as
# "the cluster that starts there is significant", not "information arrives at 187 ms":
#
# - A cluster test controls false clusters, not the precision of their edges
#   (Sassenhagen & Draschkow, 2019). A frame at the edge of a significant cluster is
#   not by itself shown to be above chance.
# - The signal is calcium fluorescence. The indicator rises over tens to hundreds of
#   milliseconds after the spikes, so the onset is a late bound on when V1's spikes
#   carry the direction.
# - A frame is 62.5 ms; the onset cannot be placed more finely than that.
#
# What the curve does show robustly: accuracy climbs from chance to about 0.5 within
# half a second of onset and keeps rising slowly while the grating drifts, to a peak
# near the end of the 2 s window.
#
# ## 3. The pre-stimulus baseline: a confound check
#
# Before the grating appears, the population cannot know its direction, so decoding in
# the baseline (t < 0) must be at chance. When it is not, the label is predictable from
# something other than the response to this grating. The usual causes:
#
# - **Stimuli in a fixed or predictable order.** Here the directions cycle 0, 45, ...,
#   315: the previous trial's direction determines this one. Anything in the baseline
#   that carries the *previous* trial (see the next point), or that varies with the
#   position in the cycle, predicts the current label.
# - **Lingering responses.** Calcium signals decay slowly, and with a short inter-trial
#   interval the previous grating's response is still there in this trial's baseline.
#   With a random order this only adds noise; with a fixed order it leaks the label.
#
# Decoding after onset can then be partly the same leak, so the baseline is worth
# checking every time. `decode_over_time` does it: `result.baseline` says which frames
# were before 0, their mean score, and whether any of them lies in a significant cluster
# (or has an FDR-corrected pointwise p < 0.05); if so it warns, as above.

# %%
base = over_time.baseline
print(f"baseline frames: {len(base['times'])} ({base['times'][0]:g} to "
      f"{base['times'][-1]:g} s)")
print(f"mean accuracy over the baseline frames: {base['mean']:.3f} "
      f"(chance from the permutations: "
      f"{over_time.test.chance[over_time.epoch_times < 0].mean():.3f})")
print(f"significant before onset: {base['significant']}")

# %% [markdown]
# On the real session: 16 baseline frames with a mean accuracy of 0.147, against a
# chance level of 0.116, and `significant` is True because of one small cluster of two
# frames (-0.875 to -0.8125 s, p = 0.03). Single frames are noisy, and p = 0.03 from 200
# permutations is not overwhelming, so test the baseline as one window: average the
# second before onset (`mean_over`) and cross-validate that, with many permutations. One
# test, decided in advance, is more powerful than 16 frame-by-frame ones. The two halves
# of the second, and the response window, are shown beside it.

# %%
for start, stop in [(-1.0, 0.0), (-1.0, -0.5), (-0.5, 0.0), (0.0, 2.0)]:
    res = cross_validate(LogisticDecoder(l2=L2, device="cpu"), rec.mean_over(start, stop),
                         cv=5, n_permutations=N_BASELINE_PERMUTATIONS, random_state=SEED)
    perm = res.permutation
    print(f"mean over [{start:g}, {stop:g}) s: accuracy {res.mean('accuracy'):.3f}, "
          f"chance {perm['chance']:.3f}, p = {perm['p_value']:.3f} "
          f"({N_BASELINE_PERMUTATIONS} permutations)")

# %% [markdown]
# On the real session (500 permutations): the second before onset decodes the direction
# at **0.196** (chance 0.115, p = 0.012), both halves of it about equally (0.21, p =
# 0.004, and 0.20, p = 0.012), against **0.774** for the 2 s after onset (p = 0.002, the
# smallest possible). So there *is* a small pre-stimulus leak in this session. (The data
# folder's README reports 16% for this window with a nearest-class-mean decoder and
# reads it as chance; a logistic decoder with a permutation test finds it significant.)
#
# Is it the previous trial's response, lingering? If so, a decoder trained on the
# response to the grating (0 to 2 s) should read the *previous* trial's direction out of
# this trial's baseline. Train on each fold's training trials, predict the baseline of
# its test trials, and count how often the prediction is the previous trial's direction
# (or this trial's). The chance level of such a count is not simply 1/8: a decoder
# shown activity without a stimulus tends to answer one or two directions, and their
# share of the labels sets the chance level. So the labels are shuffled against the
# predictions to get it.

# %%
response, baseline = rec.mean_over(0.0, 2.0), rec.mean_over(-1.0, 0.0)
y = rec.stimulus
previous = np.roll(y, 1)  # the direction of the trial before (none for the first)
tested, predicted = [], []
for train, test in make_splits(response, 5, random_state=SEED):
    test = test[test > 0]  # the first trial has no previous trial
    decoder = LogisticDecoder(l2=L2, device="cpu").fit(response.responses[train], y[train])
    tested.append(test)
    predicted.append(decoder.predict(baseline.responses[test]))
tested, predicted = np.concatenate(tested), np.concatenate(predicted)
rng = np.random.default_rng(SEED)
for name, labels in [("previous", previous[tested]), ("current", y[tested])]:
    hits = np.mean(predicted == labels)
    null = np.array([np.mean(predicted == rng.permutation(labels))
                     for _ in range(N_BASELINE_PERMUTATIONS)])
    p_value = (1 + np.sum(null >= hits)) / (1 + len(null))
    print(f"baseline read as the {name} trial's direction: {hits:.3f} of {len(tested)} "
          f"trials (chance {null.mean():.3f}, p = {p_value:.3f})")

# %% [markdown]
# On the real session: the baseline is read as the previous trial's direction in 0.165
# of 127 trials (chance 0.124, p = 0.10) and as the current one in 0.142 (p = 0.32):
# neither is clearly above chance. So the leak is not the previous response's *pattern* lingering
# in a form the response decoder recognises, and it does not fade over the baseline
# second as a decaying response would (the two halves decode equally). With the trials
# in a fixed cycle, any trace of the previous trial or any state that follows the cycle
# predicts the label, and one session with a fixed order cannot tell these apart.
#
# What it means for the results above:
#
# - The post-stimulus decoding is far above the baseline level (0.5 to 0.66 per frame,
#   0.77 for the window, against 0.15 to 0.2), so V1 does encode the direction; the
#   leak cannot explain that.
# - The exact numbers after onset may include the leak. A fair floor for "above what
#   was known before the grating" is the baseline level, not 1/8.
# - Subtracting each trial's baseline (`load_park_v1(..., baseline=(-1, 0))`) does not
#   remove a leak: it moves the baseline's information into every frame, with the sign
#   flipped. The cure is in the design: a randomised order, or a long enough inter-trial
#   interval.
#
# ## 4. Temporal generalisation: does the code change?
#
# Decoding at each frame says *whether* the direction can be read out, not whether it
# is read out *the same way* over time. `temporal_generalization` trains at each frame
# and tests at every frame (same splits). A stable code gives a square of high scores
# off the diagonal; a code that changes stays on the diagonal. Its diagonal is exactly
# `decode_over_time`'s curve.

# %%
generalization = temporal_generalization(LogisticDecoder(l2=L2, device="cpu"), rec, cv=5,
                                         n_permutations=N_GEN_PERMUTATIONS,
                                         random_state=SEED)
scores = generalization.mean()
t = generalization.epoch_times
print("diagonal equals decode_over_time:",
      bool(np.allclose(generalization.diagonal(), over_time.mean())))
late, early, before = t > 0.5, (t > 0) & (t <= 0.5), t < 0
off = scores[np.ix_(late, late)].copy()
np.fill_diagonal(off, np.nan)
print(f"train and test at the same frame, 0.5-2 s: {np.diagonal(scores)[late].mean():.3f}")
print(f"train at one frame, test at another, both in 0.5-2 s: {np.nanmean(off):.3f}")
print(f"train in 0-0.5 s, test in 0.5-2 s: {scores[np.ix_(early, late)].mean():.3f}")
print(f"train in 0.5-2 s, test before onset: {scores[np.ix_(late, before)].mean():.3f}")
if generalization.test is not None:  # the full run's cluster test over the plane
    for cluster in generalization.test.clusters:
        if cluster.p_value < 0.05:
            trained, tested = (t[i] for i in np.nonzero(cluster.mask))
            print(f"cluster p = {cluster.p_value:.3f}: {cluster.mask.sum()} (train, test) "
                  f"pairs, trained {trained.min():g} to {trained.max():g} s, tested "
                  f"{tested.min():g} to {tested.max():g} s")
fig = plot_generalization(generalization)
fig.axes[0].set_title("Train at one time, test at another")
save(fig, "temporal_generalization")

# %% [markdown]
# On the real session: a decoder trained at any frame between 0.5 and 2 s and tested at
# another frame in that range scores 0.51 on average, nearly as well as at its own frame
# (0.54). The code is **stable** over the last 1.5 s of the grating: the matrix is a
# square, not a diagonal band. Decoders trained in the first half second generalise less
# (0.30 on 0.5-2 s), partly because they are weaker to begin with (fewer frames of a
# rising response). Decoders trained after onset score at chance on the baseline frames
# on average (0.13), as the check in section 3 found.
#
# The cluster test over the plane (white outlines; full run, 39 permutations) finds one
# large cluster, 901 pairs trained and tested between 0.125 and 2 s (p = 0.025, the
# smallest value 39 permutations can give), and three small ones of 8 to 22 pairs at the
# same p, each with one side before onset: decoders trained at -0.8125 s (the frame of
# the pre-stimulus cluster above) score above chance when tested at 0.375 to 1.69 s;
# decoders trained at 0.125 to 0.31 s do so at -0.56 to -0.25 s; and decoders trained
# at -0.25 to -0.19 s at 0.75 to 1 s. They are small, at the resolution limit of 39
# permutations, and we do not read more into them than section 3 did: they are further
# signs of the pre-stimulus leak, and a reason to run more permutations before
# reporting them.
#
# ## Summary
#
# - In this V1 session the grating's direction can be decoded from about 0.19 s after
#   onset (first significant frame of calcium signal; a late bound for the spikes),
#   rising to 0.66 by the end of the 2 s window (chance 0.125).
# - The code is stable: decoders trained late generalise across the whole late window.
# - The baseline check finds a small leak (0.20 from the second before onset, p = 0.012),
#   most likely through the fixed order of the stimuli; it is far below the
#   post-stimulus decoding but worth reporting, and it would have gone unnoticed without
#   the check.
#
# References: King & Dehaene (2014), *Trends Cogn. Sci.* 18:203; Maris & Oostenveld
# (2007), *J. Neurosci. Methods* 164:177; Sassenhagen & Draschkow (2019),
# *Psychophysiology* 56:e13335.

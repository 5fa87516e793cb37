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
# # Lesson 5: your own data, from an NWB file to a decoding report
#
# The previous lessons used simulated populations. Here we take a recorded session in
# **NWB** (Neurodata Without Borders), the standard file format of the DANDI archive and
# of many labs, and go through the steps you will repeat on your own data:
#
# 1. **inspect** the file: which units, which trial tables, which columns;
# 2. **choose** the variable to decode (a column of a trial table) and the **window** in
#    which to count spikes;
# 3. **decode** with cross-validation, and check the result against **chance** with a
#    permutation test;
# 4. produce and **read the report** of the command-line tool, to share or archive.
#
# The session is a human medial temporal lobe recording (Zheng et al., 2022, *Nature
# Neuroscience* 25:358). Patients with depth electrodes implanted for epilepsy monitoring
# watched short video clips and later saw still frames, some from the clips ("old") and
# some not ("new"). The file holds 35 sorted units from the right hippocampus and amygdala.
# It lives in the team's data folder, `../shared/data` beside the repository. If that
# folder is absent, this lesson writes a synthetic session with the same structure
# (`save_nwb`) and uses that, so every cell still runs.

# %%
import json
import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator

from neurodecode.__main__ import main as neurodecode_cli
from neurodecode.data import (
    format_inspection,
    inspect_nwb,
    load_nwb,
    orientation_population,
    save_nwb,
)
from neurodecode.decoders import LogisticDecoder, PerceptronDecoder
from neurodecode.evaluate import compare, cross_validate, plot_confusion

QUICK = os.environ.get("NEURODECODE_QUICK", "0") not in ("", "0")
FIGURES = Path(os.environ.get("NEURODECODE_FIGURES", "figures"))
FIGURES.mkdir(parents=True, exist_ok=True)
WORK = Path("tutorial05-output")  # the report (and a synthetic session, if needed) go here
WORK.mkdir(exist_ok=True)

SEED = 0
N_PERMUTATIONS = 10 if QUICK else 200


def save(fig, name):
    """Save a figure into FIGURES (and leave it to the notebook to display)."""
    path = FIGURES / f"05_{name}.png"
    fig.savefig(path, dpi=120)
    print(f"figure saved: {path}")


# %% [markdown]
# ## Find the recording
#
# The data folder is located relative to this file (`tutorials/` -> the repository ->
# its parent -> `shared/data`). A notebook has no `__file__`, so there we go up from the
# working directory, which is `tutorials/` when the notebook is opened there.

# %%
try:
    DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
except NameError:  # running as a notebook
    DATA = Path("../../shared/data")
REAL_FILE = DATA / "human_mtl_units_zheng2022_sub-4_ses-4.nwb"
USING_SHARED_DATA = REAL_FILE.is_file()

if USING_SHARED_DATA:
    nwb_path = REAL_FILE
    # the choices made below, after inspecting the file
    INTERVALS, STIMULUS, WINDOW = "recognition_table", "stimuli_type", (0.0, 1.5)
else:
    # A stand-in with the same structure: spike times of units, and a trial table whose
    # 'stimulus' column holds 4 grating orientations (0, 45, 90, 135 degrees).
    population, _ = orientation_population(40, 240, random_state=SEED)
    nwb_path = save_nwb(population.bin_stimulus(4), WORK / "synthetic_session.nwb",
                        overwrite=True)
    INTERVALS, STIMULUS, WINDOW = "trials", "stimulus", (0.0, 0.5)
print(f"using {nwb_path} ({'real recording' if USING_SHARED_DATA else 'synthetic stand-in'})")

# %% [markdown]
# ## 1. Inspect the file
#
# An NWB file for spiking data has a **Units** table (one row per sorted unit, with its
# spike times in seconds) and one or more **intervals tables** (one row per trial or
# epoch, with `start_time`, `stop_time` and any other per-trial columns, such as the
# stimulus shown or the subject's response). `inspect_nwb` reads only this structure, not
# the spikes themselves. `format_inspection` prints it. The command line does the same
# with `neurodecode inspect FILE.nwb`.

# %%
info = inspect_nwb(nwb_path)
print(format_inspection(info))

# %% [markdown]
# What to look for:
#
# - **Units:** how many, how many spikes, and over what time span. Units with very few
#   spikes add little but noise.
# - **Intervals tables:** each one is a candidate definition of "trials". For each column,
#   the number of distinct values (`unique`) tells you its kind. A few distinct values is
#   a category (a condition, a response). Many distinct values is a time or a continuous
#   variable.
#
# In the real file, `encoding_table` has the 90 clips shown during encoding.
# `stimCategory` is the clip's boundary type: no boundary, a "soft" cut within the same
# movie, or a "hard" cut to another movie. `recognition_table` has the 180 frames of the
# memory test: `stimuli_type` is the ground truth (1 = old, seen during encoding; 0 = new),
# `old_new` the patient's answer. The dictionary from `inspect_nwb` lets a script make the
# same survey:

# %%
for table in info["intervals"]:
    few_values = [f"{c['name']} ({c['n_unique']})" for c in table["columns"]
                  if 1 < c["n_unique"] <= 10]
    print(f"{table['name']:<26} {table['n_rows']:4d} rows; categorical candidates: "
          f"{', '.join(few_values) or 'none'}")

# %% [markdown]
# ## 2. Choose what to decode, and the counting window
#
# A decoder needs one response vector per trial. `load_nwb` builds it by counting each
# unit's spikes in a **window** around each row of the intervals table: `window=(a, b)`
# counts in $[t + a, t + b)$ seconds, where $t$ is the row's `start_time` (or another time
# column, with `align=`). Without `window`, each row's own `[start_time, stop_time)` is
# used.
#
# The window is a scientific choice, made *before* looking at decoding results:
#
# - It should cover the response you expect. In the human MTL, neurons respond to images
#   a few hundred milliseconds after onset and for several hundred more, so for the
#   recognition frames we count from 0 to 1.5 s after onset.
# - It should not reach into the next trial, or into later events that could carry the
#   answer by another route (a motor response, feedback).
# - Whole-trial windows (here 8 s clips) mix the signal of interest with everything else
#   that happens in the trial.

# %%
rec = load_nwb(nwb_path, STIMULUS, intervals=INTERVALS, window=WINDOW)
print(rec.describe())

# %% [markdown]
# `describe()` confirms what we are decoding: the number of trials per class (balanced
# in the real file, 90 old and 90 new frames, so chance is 1/2) and the mean spike count
# per unit and trial. Before decoding, look at the data. Below, the mean count of every unit in each
# class, divided by the unit's overall mean, so that 1 means "no difference from
# average". A unit that cares about the variable shows colours that differ across a row.

# %%
classes = rec.classes
means = np.stack([rec.responses[rec.stimulus == c].mean(axis=0) for c in classes], axis=1)
relative = means / np.maximum(rec.responses.mean(axis=0), 1e-9)[:, None]

fig, (ax_m, ax_c) = plt.subplots(1, 2, figsize=(10, 4.2), layout="constrained",
                                 width_ratios=(1, 1.3))
im = ax_m.imshow(relative, aspect="auto", cmap="RdBu_r", vmin=0.5, vmax=1.5,
                 interpolation="none")
ax_m.set_xticks(range(len(classes)), [str(c) for c in classes])
ax_m.set_xlabel(f"{STIMULUS} (class)")
ax_m.set_ylabel("unit")
ax_m.set_title("mean count per class / unit's mean")
fig.colorbar(im, ax=ax_m, label="relative response")
counts = rec.responses.mean(axis=0)
ax_c.hist(counts, bins=20, color="0.55")
ax_c.set_xlabel(f"mean spike count per trial, {WINDOW[0]:g} to {WINDOW[1]:g} s after onset")
ax_c.set_ylabel("units")
ax_c.set_title("how much each unit fires")
save(fig, "data_overview")

# %% [markdown]
# ## 3. Decode, and compare with chance
#
# We start with the baselines of lesson 3: logistic regression (with an L2 penalty, since
# there are few trials) and the perceptron, on the same 5 stratified folds.

# %%
baselines = compare({
    "logistic (l2=0.1)": LogisticDecoder(l2=0.1),
    "perceptron": PerceptronDecoder(random_state=SEED),
}, rec, cv=5, random_state=SEED)
print(baselines.summary())
largest = max(np.mean(rec.stimulus == c) for c in classes)
print(f"chance: 1 / {len(classes)} classes = {1 / len(classes):.3f}; "
      f"always guessing the largest class: {largest:.3f}")

# %% [markdown]
# Is that above chance? "Chance" here means what the same procedure would score if the
# responses carried no information about the labels. A **permutation test** measures it
# directly. It shuffles the labels across trials, which breaks any relation to the
# responses, reruns the whole cross-validation, and repeats this many times. The shuffled
# scores form the **null distribution**. The p-value is the fraction of shuffles that
# score at least as well as the real labels, counting the real labels as one of them:
# $p = (1 + \#\{\text{null} \ge \text{real}\}) / (1 + n_\text{perm})$. So with 10
# permutations p can never go below 1/11. Use 1,000 or more for a result you report. (The
# quick run of this lesson uses 10.)

# %%
result = cross_validate(LogisticDecoder(l2=0.1), rec, cv=5, n_permutations=N_PERMUTATIONS,
                        random_state=SEED)
print(result.summary())
perm = result.permutation
if perm["p_value"] <= 1 / (1 + N_PERMUTATIONS):
    verdict = (f"better than every shuffle; p = 1/{N_PERMUTATIONS + 1} is the smallest "
               f"p-value {N_PERMUTATIONS} permutations can give, so run more to resolve it")
elif perm["p_value"] < 0.05:
    verdict = "above chance"
else:
    verdict = "not distinguishable from chance"
print(f"accuracy {result.mean():.3f} vs permutation chance {perm['chance']:.3f}: "
      f"p = {perm['p_value']:.3f}, {verdict}")

fig, (ax_null, ax_cm) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
ax_null.hist(perm["null"], bins=min(20, N_PERMUTATIONS), color="0.6",
             label=f"shuffled labels ({N_PERMUTATIONS} permutations)")
ax_null.axvline(result.mean(), color="C3", lw=2, label=f"real labels: {result.mean():.3f}")
ax_null.axvline(1 / len(classes), color="k", ls="--", lw=1,
                label=f"1 / classes = {1 / len(classes):.3f}")
ax_null.set_xlabel("cross-validated accuracy")
ax_null.set_ylabel("permutations")
ax_null.yaxis.set_major_locator(MaxNLocator(integer=True))
ax_null.set_title(f"permutation test: p = {perm['p_value']:.3f}")
ax_null.legend(fontsize="small")
plot_confusion(result, ax=ax_cm)
matrix = result.confusion_matrix()  # rows: true class; normalised to sum to 1
for (i, j), value in np.ndenumerate(matrix):
    ax_cm.text(j, i, f"{value:.2f}", ha="center", va="center",
               color="white" if value > 0.6 * matrix.max() else "black")
ax_cm.set_xlabel(f"decoded {STIMULUS}")
ax_cm.set_ylabel(f"true {STIMULUS}")
ax_cm.set_title("logistic: confusion matrix (rows sum to 1)")
save(fig, "decoding_vs_chance")

# %% [markdown]
# ### What the real recording says, honestly
#
# With the real file, old and new frames are decoded **at chance**. Accuracy is about 0.5,
# and the permutation test gives a large p-value. The clip category decoded from
# whole-clip spike counts (the cell below) is at chance too. The file's own README says
# the same, and a plain scikit-learn logistic regression agrees.
#
# This is a legitimate result, and it should be reported as such, not "fixed". It means
# that *this decoder, on these 35 units, with these windows*, finds no evidence that the
# label can be read out. It does not mean the brain region carries no such information:
#
# - 35 units are a tiny sample of the hippocampus and amygdala. The neurons that signal
#   memory or boundaries are a minority, and a given session may record few or none.
# - Spike counts summed over a long window can hide brief, time-locked responses. Zheng et
#   al. describe boundary-related responses *just after* the cut, not over a whole 8 s
#   clip.
# - With 90 to 180 trials, only fairly large effects are detectable.
#
# A better-motivated window, for instance counting for 1 s after `boundary1_time` with
# `align="boundary1_time"`, is a new hypothesis. Test it as one. If you try many windows,
# tables and decoders and report the best, the best will beat chance by luck alone: the
# "garden of forking paths". Fix the analysis in advance, or correct for every choice you
# tried (for example, with nested cross-validation or a held-out session).

# %%
if USING_SHARED_DATA:
    clips = load_nwb(nwb_path, "stimCategory", intervals="encoding_table")  # whole clips
    clip_result = cross_validate(LogisticDecoder(l2=0.1), clips, cv=5, random_state=SEED)
    print(f"clip category from whole-clip counts ({clips.n_trials} clips, 3 classes): "
          f"accuracy {clip_result.mean():.3f} ± {clip_result.sem():.3f} (chance 0.333)")

# %% [markdown]
# ## 4. The same analysis from the command line, and its report
#
# For a first look at a new file, or to archive an analysis, the command line does steps
# 2 and 3 and writes everything to a folder. In a terminal:
#
# ```bash
# neurodecode inspect session.nwb
# neurodecode decode session.nwb --intervals recognition_table --stimulus stimuli_type \
#     --window 0 1.5 --decoder logistic --l2 0.1 --cv 5 --out report/
# ```
#
# From Python, the same entry point is `neurodecode.__main__.main`, which takes the
# arguments as a list and returns the exit status (0 on success, 2 for a mistake in the
# input).

# %%
out_dir = WORK / "report"
argv = ["decode", str(nwb_path), "--intervals", INTERVALS, "--stimulus", STIMULUS,
        "--window", str(WINDOW[0]), str(WINDOW[1]), "--decoder", "logistic", "--l2", "0.1",
        "--cv", "5", "--seed", str(SEED), "--out", str(out_dir)]
print("neurodecode " + " ".join(argv))
status = neurodecode_cli(argv)
print(f"exit status {status}; files written: {sorted(p.name for p in out_dir.iterdir())}")
assert status == 0

# %% [markdown]
# The folder holds:
#
# - `report.html`, one self-contained page to open in a browser or attach to an email. It
#   shows the command, the recording (trials, units, classes), the cross-validated scores
#   of every metric with their standard errors, the chance level of the majority class,
#   the figures (confusion matrix, loss curves), the configuration and the package
#   versions.
# - `results.json`: the same numbers, machine-readable, with per-fold scores.
# - `results.csv`, `folds.csv`, `predictions.csv`: tables for your own plots and
#   statistics (one row per decoder, per fold, per trial).
# - `run.toml`: the full configuration. `neurodecode decode --config run.toml` reruns the
#   analysis exactly, with the same seed.
#
# Reading the results programmatically:

# %%
report = json.loads((out_dir / "results.json").read_text())
scores = report["result"]
print(f"decoder:  {report['decoder']}")
print(f"data:     {report['recording']['summary']}")
print(f"accuracy: {scores['mean']['accuracy']:.3f} ± {scores['sem']['accuracy']:.3f} "
      f"(per fold: {', '.join(f'{s:.2f}' for s in scores['scores']['accuracy'])})")
print(f"chance (majority class): {report['recording']['chance_majority']:.3f}")
print(f"versions: neurodecode {report['versions']['neurodecode']}, "
      f"torch {report['versions']['torch']}")

# %% [markdown]
# The report's accuracy matches the `cross_validate` result above: same decoder, same
# folds (same seed), same data. Note that its chance level is the *majority-class* rate,
# a quick reference. For a claim, run the permutation test of section 3.
#
# ## On your own files
#
# - **Units in NWB:** as here, `load_nwb(path, "your_column", intervals="trials",
#   window=(a, b))`.
# - **Two-photon data in NWB:** add `source="roi"` to average an ROI response series (dF/F)
#   over each window.
# - **Other formats:** `load_hdf5`, `load_mat` and `load_npz` read arrays by name, and
#   `Recording(responses, stimulus, kind=...)` wraps arrays you already have. Declare a
#   circular stimulus with its period (lesson 1).
# - Whatever the source, the decoders, `cross_validate`, `compare` and the tests of
#   lessons 2 to 4 work the same way on the resulting `Recording`.

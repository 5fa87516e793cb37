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
# # Lesson 10: many sessions, many machines
#
# A lab does not decode one session. A dataset is tens to hundreds of recordings, and the
# question is usually about all of them: does decoder A beat decoder B *across sessions*,
# does decoding improve with more neurons than any one session has? This lesson:
#
# 1. decodes a folder of sessions with `decode_sessions`, each session a task on a Dask
#    cluster (here a local one on this machine's cores), with two decoders compared on
#    the same splits of every session;
# 2. sees a broken file reported in the table while the others finish, and a rerun
#    into the same output folder skip the sessions already done;
# 3. adds a real session from the team's data (the Park V1 session, when
#    `../shared/data` is there) to the same table;
# 4. pools neurons across sessions into a **pseudo-population** and watches decoding
#    improve with the number of pooled neurons.
#
# Dask runs the same code on a laptop, on a lab server or on a Slurm cluster
# (dask-jobqueue; see the README): only the `client` changes. `NEURODECODE_QUICK=1`
# runs a small version; with `NEURODECODE_QUICK` unset the lesson decodes more and larger
# sessions.

# %%
import functools
import os
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from neurodecode.data import load_npz, load_park_v1, orientation_population
from neurodecode.decoders import LogisticDecoder
from neurodecode.evaluate import cross_validate, decode_sessions, pseudo_population

QUICK = os.environ.get("NEURODECODE_QUICK", "0") not in ("", "0")
FIGURES = Path(os.environ.get("NEURODECODE_FIGURES", "figures"))
FIGURES.mkdir(parents=True, exist_ok=True)
N_SESSIONS, N_TRIALS, N_NEURONS = (4, 120, 30) if QUICK else (12, 400, 80)
SEED = 0


def save(fig, name):
    path = FIGURES / f"10_{name}.png"
    fig.savefig(path, dpi=120)
    print(f"figure saved: {path}")


# %% [markdown]
# ## A cluster
#
# `decode_sessions(..., client=None)` starts a local cluster of worker *processes*, one
# per free core, and closes it afterwards. Worker processes import the calling script
# again, so a script must call it under `if __name__ == "__main__":`; a notebook needs
# nothing. This lesson runs as a script too, so it starts a cluster of worker *threads*
# in this process instead (fine here: the fits release Python's lock). On a real
# cluster, `client` is a `distributed.Client` of dask-jobqueue's `SLURMCluster` (see the
# README); nothing else changes. The quick version runs the sessions one after another.

# %%
if QUICK:
    CLIENT = "sequential"
else:
    from distributed import Client

    CLIENT = Client(processes=False, n_workers=2, threads_per_worker=1,
                    dashboard_address=":0")
    print(CLIENT)

# %% [markdown]
# ## A folder of sessions
#
# Simulated sessions of V1 neurons viewing gratings in 8 orientation classes, each
# session a different set of neurons (different tuning curves), written as `.npz` files
# the way a lab's preprocessing might leave them. One file is broken.

# %%
folder = Path(tempfile.mkdtemp()) / "sessions"
folder.mkdir(parents=True)
for s in range(N_SESSIONS):
    rec, _ = orientation_population(N_NEURONS, N_TRIALS, random_state=SEED + s)
    rec = rec.bin_stimulus(8)
    np.savez(folder / f"session{s:02d}.npz", X=rec.responses, y=rec.stimulus)
(folder / "session99.npz").write_bytes(b"a transfer that stopped half way")
paths = sorted(folder.glob("*.npz"))
print(f"{len(paths)} files in {folder}")

# %% [markdown]
# ## Every session, two decoders, one table
#
# `decode_sessions` takes the paths and a `loader`, a function that turns a path into a
# `Recording` on the worker that decodes it (here `load_npz` with this layout). The
# decoders are given by name; each is cross-validated on the same splits of every
# session, so the comparison across sessions is paired. `out=` writes one result file
# per session as soon as it finishes.

# %%
loader = functools.partial(load_npz, responses="X", stimulus="y", kind="categorical",
                           neurons_axis=1)
decoders = {"weak L2": LogisticDecoder(l2=1e-3, device="cpu"),
            "strong L2": LogisticDecoder(l2=1.0, device="cpu")}
out = folder.parent / "results"
res = decode_sessions(paths, decoders, loader=loader, cv=5, client=CLIENT, out=out,
                      scoring="accuracy")
frame = res.to_frame()
print(frame[["session", "weak L2_accuracy_mean", "strong L2_accuracy_mean", "error"]]
      .assign(session=lambda f: f["session"].map(lambda p: Path(p).name)).to_string())
print()
print(res.summary())

# %% [markdown]
# The broken file is a row with its error; every other session ran. The summary gives
# each decoder's accuracy as mean ± s.e.m. **over sessions** (the unit a paper reports)
# and a Wilcoxon signed-rank test of the paired difference between the decoders.
#
# Run it again into the same `out` folder: the finished sessions are read back, not
# decoded again; only the broken one is retried (and fails again). After an
# interruption, this is how a long run resumes.

# %%
again = decode_sessions(paths, decoders, loader=loader, cv=5, client=CLIENT, out=out,
                        scoring="accuracy")
same = np.allclose(again.session_means(decoder="weak L2"),
                   res.session_means(decoder="weak L2"), equal_nan=True)
print(f"{len(list(out.glob('*.json')))} result files; same accuracies as before: {same}")

# %% [markdown]
# ## A real session in the same table
#
# Sessions can also be `Recording`s already in memory, named by the keys of a dict. The
# Park V1 two-photon session in
# `../shared/data` (56 neurons, 128 trials, 8 drifting-grating directions) joins the
# table when the folder is there: its responses averaged over the first 2 s after
# grating onset, the direction as 8 classes.

# %%
try:
    DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
except NameError:  # running as a notebook (opened from tutorials/)
    DATA = Path("../../shared/data")
PARK = DATA / "mouse_v1_2p_gratings_park2024_mrcuts28_fov4.mat"
if PARK.is_file():
    park = load_park_v1(PARK, time_resolved=True).mean_over(0.0, 2.0)
    park = park.with_stimulus(park.stimulus, kind="categorical")
    named = {"Park V1 (real)": park, **{p.stem: loader(p) for p in paths[:2]}}
    mixed = decode_sessions(named, decoders, cv=5, client="sequential", scoring="accuracy")
    print(mixed.to_frame()[["session", "weak L2_accuracy_mean", "n_trials", "n_neurons"]])
else:
    print(f"{PARK} is absent: the real session is left out")

# %% [markdown]
# ## Pooling neurons across sessions: a pseudo-population
#
# No session records every neuron, but if every session shows the same conditions, the
# neurons of several sessions can be pooled: a **pseudo-trial** of condition *c* takes
# one real trial of condition *c* from every session and puts their responses side by
# side. `pseudo_population` does the resampling separately inside every
# cross-validation fold, training pseudo-trials from each session's training trials and
# test pseudo-trials from its test trials, so no real trial is on both sides of a fold.
# (Pooling ignores the noise correlations between neurons of different sessions, which
# were never recorded together; lesson 4 shows what correlations change.)

# %%
sessions = [loader(p) for p in paths[:-1]]  # the readable ones
sizes = list(range(1, len(sessions) + 1))
accuracy = []
for k in sizes:
    pooled, splits = pseudo_population(sessions[:k], n_per_condition=20, cv=5,
                                       random_state=SEED)
    accuracy.append(cross_validate(LogisticDecoder(l2=1e-2, device="cpu"), pooled, splits,
                                   scoring="accuracy").mean())
    print(f"{k} session(s), {pooled.n_neurons} neurons: accuracy {accuracy[-1]:.3f}")

fig, ax = plt.subplots(figsize=(5, 3.5), layout="constrained")
ax.plot([k * N_NEURONS for k in sizes], accuracy, "o-")
ax.axhline(1 / 8, color="0.5", ls=":", label="chance")
ax.set_xlabel("pooled neurons")
ax.set_ylabel("cross-validated accuracy")
ax.legend(frameon=False)
save(fig, "pseudo_population")

# %% [markdown]
# With independent neurons, each session adds information, and accuracy climbs towards
# 1 as neurons are pooled. On real data the climb is slower when sessions share
# correlated noise, or when their neurons carry the same information.

# %%
if CLIENT != "sequential":
    CLIENT.close()

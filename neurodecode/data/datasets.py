"""Ready-made loaders for the team's real recordings (``../shared/data``).

One function per file layout turns a file into a :class:`~neurodecode.data.Recording`
in one line, following the recipes of the data README:

- :func:`load_park_v1`: mouse V1 two-photon responses to drifting gratings (trials, or
  trials x frames with ``time_resolved=True``);
- :func:`load_peyrache_hd`: mouse anterodorsal thalamus head-direction cells (10 ms bins);
- :func:`load_stevenson_m1`: macaque M1 spikes during centre-out reaching (50 ms bins).

The human MTL NWB file is read with the NWB loader. The files are not shipped with the
package: pass the path of your copy (the data README says where each comes from).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from .._validation import check_choice
from ..exceptions import DataFormatError
from ._recording import Recording
from .hdf5 import _wrap_circular
from .layouts import KNOWN_LAYOUTS, recognise_layout
from .matlab import _open_mat, load_mat

__all__ = ["KNOWN_LAYOUTS", "load_known", "load_park_v1", "load_peyrache_hd",
           "load_stevenson_m1", "recognise_layout"]

_HD_BIN = 0.01  # s, the bin width of Qrun
_HD_MAX_GAP = 0.05  # s; longer jumps of the tracking clock are joined wake epochs


def load_park_v1(
    path: str | Path,
    *,
    window: tuple[float, float] | None = None,
    baseline: tuple[float, float] | None | str = "auto",
    orientation: bool = False,
    time_resolved: bool = False,
) -> Recording:
    """Load the Park et al. V1 grating session: one response vector per trial, or every
    frame of every trial.

    The file holds ``D.neuron1`` ... ``D.neuronN``, each a cell of trials with one trace
    per trial (49 frames at 16 Hz, -1 to +2 s around grating onset), the grating
    direction ``TE.direction`` in degrees and the frame times ``t``. The traces are
    stacked into ``(n_neurons, n_trials, n_frames)`` and each trial's response is the
    mean over the response window minus the mean over the baseline window. With
    ``time_resolved=True`` every frame is kept instead: trials x frames x neurons, with
    the file's ``t`` as ``epoch_times``.

    Parameters
    ----------
    path : str or Path
        ``mouse_v1_2p_gratings_park2024_mrcuts28_fov4.mat`` or another session of the
        same layout from the Park et al. repository.
    window : (float, float), optional
        Response window in seconds from onset: frames with ``window[0] < t <= window[1]``.
        None means ``(0.0, 2.0)``. Not used with ``time_resolved=True``, which keeps
        every frame (average a window afterwards with ``rec.mean_over(start, stop)``).
    baseline : (float, float), None or "auto", default="auto"
        Baseline window: frames with ``baseline[0] <= t < baseline[1]``. One response
        vector per trial: their mean is subtracted from the response (``"auto"`` means
        ``(-1.0, 0.0)``; with it the onset frame, t = 0, is in neither window).
        ``time_resolved=True``: each trial's and neuron's baseline mean is subtracted
        from every one of its frames (``"auto"`` means None: the frames as stored).
        None subtracts nothing.
    orientation : bool, default=False
        False: the stimulus is the drift direction (degrees, period 360, 8 classes).
        True: the orientation ``direction % 180`` (period 180, 4 classes).
    time_resolved : bool, default=False
        Keep every frame: responses of shape ``(n_trials, n_frames, n_neurons)`` with
        ``epoch_times`` = ``t`` (-1 to +2 s in steps of 1/16 s for the shared session).

    Returns
    -------
    Recording
        128 trials x 56 neurons for the shared session (128 x 49 x 56 with
        ``time_resolved=True``), ``kind="circular"``. The trials table holds
        ``direction`` and, when present in the file, ``pupil`` (z-scored pupil size) and
        ``speed`` (running speed) averaged over the response window (``(0, 2]`` s when
        time-resolved); the neurons table holds ``id`` (the number in
        ``D.neuron<id>``) and ``name``. ``meta["frame_times"]`` holds ``t``.

    Raises
    ------
    ValueError
        If a window is not ``(start, stop)`` with ``start < stop`` or holds no frame,
        ``baseline`` is another string than ``"auto"``, ``window`` is given with
        ``time_resolved=True``, or the file lacks a variable of this layout (the message
        lists what it has).

    Notes
    -----
    :meth:`~neurodecode.data.Recording.mean_over` takes frames with
    ``start <= t < stop``, this loader's ``window`` frames with ``start < t <= stop``.
    On the 1/16 s grid of the shared session the default response, frames
    ``0 < t <= 2``, is therefore ``rec.mean_over(0.0625, 2.0625)`` of the time-resolved
    recording loaded with ``baseline=(-1.0, 0.0)``.

    References
    ----------
    Park J. et al. (Sur lab, MIT). Astrocytic modulation of population encoding in mouse
    visual cortex via GABA transporter 3 revealed by multiplexed CRISPR/Cas9 gene
    editing. Submitted to Neuron (2024). Data: github.com/surlab/Park_et_al (MIT).

    Examples
    --------
    >>> from neurodecode.data.datasets import load_park_v1
    >>> rec = load_park_v1("mouse_v1_2p_gratings_park2024_mrcuts28_fov4.mat")  # doctest: +SKIP
    >>> rec  # doctest: +SKIP
    Recording(128 trials x 56 neurons, stimulus: circular, period 360, source ...)
    >>> pre = load_park_v1(path, window=(-1.0, 0.0), baseline=None)  # doctest: +SKIP
    >>> frames = load_park_v1(path, time_resolved=True)  # doctest: +SKIP
    >>> frames  # doctest: +SKIP
    Recording(128 trials x 49 times (-1 to 2 s) x 56 neurons, stimulus: circular, ...)
    """
    base_window: tuple[float, float] | None
    if isinstance(baseline, str):
        if baseline != "auto":
            raise ValueError(
                "The 'baseline' parameter of load_park_v1 must be (start, stop) in seconds, "
                f"None or 'auto'. Got {baseline!r} instead."
            )
        base_window = None if time_resolved else (-1.0, 0.0)
    else:
        base_window = baseline
    if time_resolved and window is not None:
        raise ValueError(
            f"The 'window' parameter of load_park_v1 averages frames into one response per "
            f"trial; with time_resolved=True every frame is kept, so leave window=None "
            f"(got {window!r}) and average afterwards with rec.mean_over(start, stop)."
        )
    response_window = (0.0, 2.0) if window is None else window
    path = Path(path)
    with _open_mat(path) as mat:
        fields = mat.fields("D")
        names = sorted((f for f in fields if re.fullmatch(r"neuron\d+", f)),
                       key=lambda f: int(f[len("neuron"):]))
        if not names:
            raise DataFormatError(
                f"Struct 'D' of {path.name} has no neuron<k> fields; fields: "
                f"{', '.join(fields)}."
            )
        traces = np.stack([mat.get(f"D.{f}") for f in names]).astype(np.float64)
        frame_times = mat.get("t").astype(np.float64).ravel()
        direction = mat.get("TE.direction").astype(np.float64).ravel()
        covariates = {col: mat.get(f"D.{var}") for col, var in
                      (("pupil", "pupil_zscore"), ("speed", "speed")) if var in fields}
        dt = float(mat.get("TE.dt")) if "dt" in mat.fields("TE") else None
        fmt = mat.format
    n_neurons, n_trials, n_frames = traces.shape
    if len(frame_times) != n_frames or len(direction) != n_trials:
        raise DataFormatError(
            f"{path.name}: traces have shape {traces.shape} (neurons, trials, frames) but "
            f"t has {len(frame_times)} frames and TE.direction {len(direction)} trials."
        )
    in_window = _frames(frame_times, response_window, "window", closed="right")
    if time_resolved:
        X = traces.transpose(1, 2, 0)  # (n_trials, n_frames, n_neurons)
    else:
        X = traces[:, :, in_window].mean(axis=2).T
    if base_window is not None:
        base = traces[:, :, _frames(frame_times, base_window, "baseline", "left")].mean(2).T
        X = X - (base[:, None, :] if time_resolved else base)
    period = 180.0 if orientation else 360.0
    trials = {"direction": direction}
    trials.update({k: np.asarray(v, np.float64)[:, in_window].mean(axis=1)
                   for k, v in covariates.items()})
    ids = np.array([int(f[len("neuron"):]) for f in names])
    meta = {"source": path.name, "path": str(path), "format": fmt, "dataset": "park_v1",
            "window": None if time_resolved else tuple(response_window),
            "baseline": None if base_window is None else tuple(base_window),
            "frame_times": frame_times, "frame_dt": dt,
            "units": "degrees", "stimulus_name": "orientation" if orientation else "direction"}
    return Recording(X, _wrap_circular(direction, period), kind="circular", period=period,
                     trials=trials, neurons={"id": ids, "name": np.array(names)}, meta=meta,
                     epoch_times=frame_times if time_resolved else None)


def _frames(t: np.ndarray, bounds: tuple[float, float], name: str, closed: str) -> np.ndarray:
    """Mask of frame times inside ``(lo, hi]`` (closed="right") or ``[lo, hi)``."""
    if len(bounds) != 2 or not bounds[0] < bounds[1]:
        raise ValueError(
            f"The {name!r} parameter of load_park_v1 must be (start, stop) in seconds with "
            f"start < stop. Got {bounds!r} instead."
        )
    lo, hi = bounds
    mask = (t > lo) & (t <= hi) if closed == "right" else (t >= lo) & (t < hi)
    if not mask.any():
        raise ValueError(
            f"The {name!r} window {bounds!r} holds no frame; frames run from {t.min():g} to "
            f"{t.max():g} s."
        )
    return mask


def load_peyrache_hd(path: str | Path, *, epoch: str = "run") -> Recording:
    """Load the Peyrache et al. head-direction session: 10 ms spike counts and the angle.

    ``Qrun`` holds spike counts of 19 anterodorsal-thalamus head-direction cells in
    10 ms bins during exploration; ``angRun`` one row per bin: the tracking time and the
    head direction in radians. Tracking is slower than the bins (a frame every 25.6 ms),
    so two to four consecutive rows repeat the same time and angle; the raw tracking
    time cannot serve as bin times (repeated times would look like gaps). Bin times are
    rebuilt as ``t0 + k * 0.01`` within each continuous run, where runs are separated by
    the 112 jumps of more than 50 ms in the tracking clock (joined wake epochs), and the
    run index is the ``trial_id``, so re-binning and history windows never cross a join.

    Parameters
    ----------
    path : str or Path
        ``mouse_adn_headdirection_peyrache2015.mat`` (``dataHD.mat`` of
        PeyracheLab/Class-Decoding).
    epoch : {"run"}, default="run"
        The wake epoch, the only one with a head-direction angle. The sleep epochs
        (``Qsws``, ``Qrem``) have none; read them with ``scipy.io.loadmat``.

    Returns
    -------
    Recording
        212078 time bins x 19 neurons, ``response_type="counts"``, ``bin_size=0.01``,
        ``kind="circular"`` with period ``2 * pi`` (radians, wrapped into
        ``[0, 2 * pi)``). ``trials["tracking_time"]`` holds the raw tracking time,
        ``neurons["prefHD"]`` each cell's preferred direction (radians) and
        ``meta["hdTuning"]`` the tuning curves (column 0: angle bins). Use
        ``rec.rebin(10)`` for 100 ms bins.

    Raises
    ------
    ValueError
        If ``epoch`` is not ``"run"``, or the file lacks ``Qrun``, ``angRun`` or
        ``prefHD`` (the message lists its variables).

    References
    ----------
    Peyrache A., Lacroix M.M., Petersen P.C., Buzsaki G. (2015). Internally organized
    mechanisms of the head direction sense. Nature Neuroscience 18:569-575. Raw data:
    CRCNS th-1.

    Examples
    --------
    >>> from neurodecode.data.datasets import load_peyrache_hd
    >>> rec = load_peyrache_hd("mouse_adn_headdirection_peyrache2015.mat")  # doctest: +SKIP
    >>> rec.rebin(10)  # doctest: +SKIP
    Recording(21157 time bins x 19 neurons, stimulus: circular, period 6.28319, ...)
    """
    if epoch in ("sws", "rem"):
        raise ValueError(
            f"The {epoch!r} epoch has no head-direction angle, so it cannot be a Recording. "
            f"Read Q{epoch} with scipy.io.loadmat for decoding without labels."
        )
    check_choice(epoch, "epoch", ("run",), "load_peyrache_hd")
    path = Path(path)
    with _open_mat(path) as mat:
        counts = mat.get("Qrun")
        angle_table = mat.get("angRun")
        pref = mat.get("prefHD").astype(np.float64).ravel()
        tuning = mat.get("hdTuning") if "hdTuning" in mat.names() else None
        fmt = mat.format
    if angle_table.ndim != 2 or angle_table.shape != (len(counts), 2):
        raise DataFormatError(
            f"{path.name}: angRun should have one (time, angle) row per Qrun row, i.e. "
            f"shape ({len(counts)}, 2); it has shape {angle_table.shape}."
        )
    tracking_time = angle_table[:, 0].astype(np.float64)
    run = np.concatenate([[0], np.cumsum(np.diff(tracking_time) > _HD_MAX_GAP)])
    first_row = np.flatnonzero(np.concatenate([[True], run[1:] != run[:-1]]))
    k = np.arange(len(run)) - first_row[run]
    times = tracking_time[first_row][run] + k * _HD_BIN
    theta = _wrap_circular(angle_table[:, 1], 2 * np.pi)
    meta = {"source": path.name, "path": str(path), "format": fmt, "dataset": "peyrache_hd",
            "epoch": epoch, "units": "radians", "n_runs": len(first_row),
            "hdTuning": tuning}
    return Recording(counts, theta, kind="circular", period=2 * np.pi, response_type="counts",
                     trials={"tracking_time": tracking_time}, neurons={"prefHD": pref},
                     bin_size=_HD_BIN, times=times, trial_id=run, meta=meta)


def load_stevenson_m1(path: str | Path, *, target: str = "velocity") -> Recording:
    """Load the Stevenson et al. M1 reaching session: 50 ms spike counts and the hand.

    ``spikes`` (171 units x 15536 bins) are counts in 50 ms bins, ``time`` the bin
    times, ``handVel`` and ``handPos`` the hand kinematics with x and y in rows 0 and 1
    (row 2 is all zeros and is dropped). Units are not documented; the ranges suggest
    metres and m/s.

    Parameters
    ----------
    path : str or Path
        ``monkey_m1_reaching_stevenson2011.mat`` (``m1_stevenson_2011.mat`` of
        KordingLab/spykesML).
    target : {"velocity", "position"}, default="velocity"
        Decode hand velocity (``handVel``) or position (``handPos``).

    Returns
    -------
    Recording
        15536 time bins x 171 neurons, ``response_type="counts"``, ``bin_size=0.05``,
        ``kind="linear"`` with a 2-D stimulus (x, y), ``times`` from ``time``.

    Raises
    ------
    ValueError
        If ``target`` is unknown or the file lacks a variable of this layout.

    References
    ----------
    Stevenson I.H., Cherian A., London B.M., Sachs N.A., Lindberg E., Reimer J.,
    Slutzky M.W., Hatsopoulos N.G., Miller L.E., Kording K.P. (2011). Statistical
    assessment of the stability of neural movement representations. J Neurophysiol
    106:764-774. Used in Benjamin A.S. et al. (2018), Modern machine learning as a
    benchmark for fitting neural responses. Front. Comput. Neurosci. 12:56.

    Examples
    --------
    >>> from neurodecode.data.datasets import load_stevenson_m1
    >>> rec = load_stevenson_m1("monkey_m1_reaching_stevenson2011.mat")  # doctest: +SKIP
    >>> rec.add_history(2).shape  # doctest: +SKIP
    (15534, 513)
    """
    check_choice(target, "target", ("velocity", "position"), "load_stevenson_m1")
    variable = "handVel" if target == "velocity" else "handPos"
    rec = load_mat(path, responses="spikes", stimulus=variable, kind="linear",
                   neurons_axis=0, stimulus_columns=(0, 1), response_type="counts",
                   bin_size=0.05, times="time")
    rec.meta.update(dataset="stevenson_m1", target=target, outputs=("x", "y"))
    return rec


# --------------------------------------------------------------------------- recognition
def load_known(path: str | Path, layout: str, target: str | None = None) -> Recording:
    """Load a file of a known layout with its recipe (see :data:`KNOWN_LAYOUTS`).

    Parameters
    ----------
    path : str or Path
    layout : str
        A key of :data:`KNOWN_LAYOUTS`.
    target : str, optional
        What to decode (default: the layout's default; the valid ones are listed in the
        error otherwise).

    Returns
    -------
    Recording

    Raises
    ------
    ValueError
        For an unknown layout or target.
    """
    check_choice(layout, "layout", tuple(KNOWN_LAYOUTS), "load_known")
    _, default, targets, _ = KNOWN_LAYOUTS[layout]
    target = target or default
    check_choice(target, "target", targets, f"load_known({layout!r})")
    if layout == "park_v1":
        return load_park_v1(path, orientation=target == "orientation")
    if layout == "peyrache_hd":
        return load_peyrache_hd(path)
    return load_stevenson_m1(path, target=target)


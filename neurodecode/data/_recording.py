"""The :class:`Recording`: one container that every neurodecode module takes.

A Recording pairs a responses matrix (samples x neurons) with one stimulus value per
sample and says what kind of variable the stimulus is. Samples are trials (one response
vector per stimulus presentation) or time bins (a behaviour stream sampled in time, with
``bin_size`` and ``times``); code that must not shuffle time bins (cross-validation)
asks :attr:`Recording.is_time_binned`.

A trial-based Recording can also hold each trial's responses over time, an array of
shape (n_trials, n_times, n_neurons) with ``epoch_times`` (seconds from the aligning
event): :attr:`Recording.is_time_resolved`. Time-resolved analyses
(:func:`~neurodecode.evaluate.decode_over_time`) use it whole; everything that decodes one
response vector per trial asks for one time point (:meth:`Recording.at`,
:meth:`Recording.mean_over`).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from .._typing import ArrayLike, ResponseType, StimulusKind
from .._validation import (
    as_numpy,
    check_choice,
    check_finite,
    check_number,
    check_same_length,
    format_available,
    format_indices,
    not_found,
)
from ..exceptions import DataWarning

__all__ = ["Recording"]

_KINDS = ("circular", "linear", "categorical")
_RESPONSE_TYPES = ("counts", "continuous")


def _as_column_dict(table: Any, n_samples: int, name: str) -> dict[str, np.ndarray]:
    """Turn a mapping or a pandas DataFrame into a dict of 1-D arrays of length n."""
    if table is None:
        return {}
    if hasattr(table, "to_dict") and hasattr(table, "columns"):  # pandas DataFrame
        table = {str(c): table[c].to_numpy() for c in table.columns}
    if not isinstance(table, Mapping):
        raise TypeError(
            f"The {name!r} parameter of Recording must be a mapping of column name to array "
            f"(or a pandas DataFrame); got {type(table).__name__}."
        )
    out: dict[str, np.ndarray] = {}
    for key, values in table.items():
        arr = as_numpy(values, f"{name}[{key!r}]")
        if arr.ndim == 0 or len(arr) != n_samples:
            raise ValueError(
                f"Column {key!r} of {name} must have one value per row ({n_samples}); "
                f"got shape {arr.shape}."
            )
        out[str(key)] = arr
    return out


def _check_epoch_times(epoch_times: Any, resp: np.ndarray, bin_size: Any) -> np.ndarray | None:
    """Validate ``epoch_times`` against 3-D responses (one time per time point)."""
    if resp.ndim == 2:
        if epoch_times is not None:
            raise ValueError(
                f"epoch_times applies to responses over time (n_trials, n_times, n_neurons); "
                f"these responses have shape {resp.shape}."
            )
        return None
    if epoch_times is None:
        raise ValueError(
            f"Responses of shape {resp.shape} (trials x times x neurons) need epoch_times: "
            "the time of each time point in seconds from the aligning event, e.g. "
            "epoch_times=np.arange(n_times) * frame_period - baseline."
        )
    if bin_size is not None:
        raise ValueError(
            "bin_size marks consecutive time bins as samples; responses over time within "
            "trials use epoch_times instead. Pass one of them."
        )
    times = as_numpy(epoch_times, "epoch_times", dtype=np.float64, ndim=1, owner="Recording")
    if len(times) != resp.shape[1]:
        raise ValueError(
            f"epoch_times must have one time per time point: responses have {resp.shape[1]} "
            f"time points (axis 1 of shape {resp.shape}), epoch_times has {len(times)}."
        )
    check_finite(times, "epoch_times", ("time points", ""))
    if len(times) > 1 and np.any(np.diff(times) <= 0):
        raise ValueError("epoch_times must strictly increase (one time per time point, in "
                         "order).")
    return times


_FLOAT32_MAX = float(np.finfo(np.float32).max)
_EXACT_INTEGERS = 2**24  # float32 holds every integer up to this exactly


def _as_float32(resp: np.ndarray) -> np.ndarray:
    """Responses as contiguous float32 (how a Recording stores them), refusing values
    that float32 cannot hold and warning where integers lose precision in the cast."""
    if resp.dtype.kind in "fiu" and resp.size:
        peak = float(np.abs(resp).max())
        if peak > _FLOAT32_MAX:
            raise ValueError(
                f"responses reach {peak:.3g}, beyond float32's range ({_FLOAT32_MAX:.3g}), "
                "in which a Recording stores them: they would become inf. Rescale them "
                "(e.g. to spikes/s or z-scores) first.")
        if resp.dtype.kind in "iu" and peak > _EXACT_INTEGERS:
            warnings.warn(
                f"Integer responses up to {peak:.0f} exceed 2^24 ({_EXACT_INTEGERS}), the "
                "largest integer float32 stores exactly; larger counts are rounded in the "
                "Recording. Rescale them if exact values matter.", DataWarning, stacklevel=3)
    return np.ascontiguousarray(resp, dtype=np.float32)


class Recording:
    """Neural responses paired with the stimulus (or behaviour) to decode.

    Parameters
    ----------
    responses : array-like or Tensor of shape (n_samples, n_neurons)
        One row per trial (or time bin), one column per neuron. Stored as float32.
        Shape (n_trials, n_times, n_neurons) holds each trial's responses at ``n_times``
        time points of the trial (then ``epoch_times`` is required).
    stimulus : array-like of shape (n_samples,) or (n_samples, n_outputs)
        The variable to decode, one value per sample. ``(n_samples, n_outputs)`` is
        allowed for ``kind="linear"`` (e.g. 2-D hand velocity).
    kind : {"circular", "linear", "categorical"}
        Circular variables (orientation, direction, head direction) live on a circle of
        length ``period``; linear ones on the real line; categorical ones are labels.
    period : float, optional
        Required for circular stimuli and only for them, in the stimulus's own units:
        180 for orientation in degrees, 360 for direction in degrees, ``2 * pi`` for
        radians. Values must lie in ``[0, period)``; wrap them with ``stimulus % period``.
    response_type : {"counts", "continuous"}, default="continuous"
        ``"counts"``: non-negative integer spike counts per sample (Poisson models apply,
        re-binning sums). ``"continuous"``: rates, dF/F, z-scores (re-binning averages).
    trials : mapping of str to array-like, or DataFrame, optional
        Per-sample table of other variables (trial start/stop times, contrast, ...),
        each of length ``n_samples``.
    neurons : mapping of str to array-like, or DataFrame, optional
        Per-neuron table (ids, brain area, ...), each of length ``n_neurons``.
        A column ``"id"`` is created (0..n_neurons-1) when absent.
    bin_size : float, optional
        Width of a time bin in seconds. Set only when samples are consecutive time bins
        rather than trials; cross-validation then keeps contiguous blocks together.
    times : array-like of shape (n_samples,), optional
        Sample times in seconds (bin starts for time bins, trial starts for trials).
    trial_id : array-like of shape (n_samples,), optional
        Which trial or continuous segment each sample belongs to. Time bins never share a
        history window across segments, and grouped cross-validation splits on it.
    meta : dict, optional
        Free-form metadata: source file, session id, loader options.
    epoch_times : array-like of shape (n_times,), optional
        For 3-D responses: the time of each time point within the trial, in seconds from
        the aligning event (negative before it), strictly increasing.

    Attributes
    ----------
    responses : ndarray of shape (n_samples, n_neurons), float32
    stimulus : ndarray of shape (n_samples,) or (n_samples, n_outputs)

    Raises
    ------
    ValueError
        For shapes that disagree, NaN or inf in the responses (naming the trials and
        neurons), a circular stimulus outside ``[0, period)``, empty recordings, or
        counts that are negative or fractional.

    Examples
    --------
    >>> import numpy as np
    >>> from neurodecode.data import Recording
    >>> rec = Recording(np.ones((4, 3)), [0.0, 45.0, 90.0, 135.0], kind="circular", period=180)
    >>> rec
    Recording(4 trials x 3 neurons, stimulus: circular, period 180)
    >>> rec.select(trials=[0, 2]).stimulus
    array([ 0., 90.])
    """

    def __init__(
        self,
        responses: ArrayLike,
        stimulus: ArrayLike,
        *,
        kind: StimulusKind,
        period: float | None = None,
        response_type: ResponseType = "continuous",
        trials: Mapping[str, ArrayLike] | Any | None = None,
        neurons: Mapping[str, ArrayLike] | Any | None = None,
        bin_size: float | None = None,
        times: ArrayLike | None = None,
        trial_id: ArrayLike | None = None,
        meta: Mapping[str, Any] | None = None,
        epoch_times: ArrayLike | None = None,
    ) -> None:
        check_choice(kind, "kind", _KINDS, "Recording")
        check_choice(response_type, "response_type", _RESPONSE_TYPES, "Recording")
        resp = as_numpy(responses, "responses", ndim=(2, 3), owner="Recording")
        epochs = _check_epoch_times(epoch_times, resp, bin_size)
        if resp.dtype.kind not in "biuf":
            raise TypeError(
                f"responses must hold numbers; got dtype {resp.dtype}. Convert with "
                "np.asarray(responses, dtype=float)."
            )
        if 0 in resp.shape:
            raise ValueError(
                f"The recording is empty: responses have shape {resp.shape} "
                "(n_samples, n_neurons); at least one sample and one neuron are needed."
            )
        check_finite(resp, "responses")
        resp = _as_float32(resp)
        if response_type == "counts":
            if (resp < 0).any():
                rows = np.flatnonzero((resp < 0).any(axis=1))
                raise ValueError(
                    f"responses declared as 'counts' hold negative values (samples "
                    f"{format_indices(rows)}). Use response_type='continuous' for dF/F or "
                    "z-scored data."
                )
            if not np.array_equal(resp, np.round(resp)):
                raise ValueError(
                    "responses declared as 'counts' hold non-integer values. Use "
                    "response_type='continuous' for rates or fluorescence."
                )

        stim = as_numpy(stimulus, "stimulus", ndim=(1, 2), owner="Recording")
        check_same_length(resp, stim, "responses", "stimulus", "samples (trials or time bins)",
                          "Each row of responses needs one stimulus value.")
        if stim.ndim == 2 and kind != "linear":
            raise ValueError(
                f"A {kind} stimulus must be 1-D (one value per sample); got shape "
                f"{stim.shape}. Only kind='linear' takes several outputs per sample."
            )
        if kind == "categorical":
            if stim.dtype.kind == "f":
                check_finite(stim, "stimulus", ("samples", "outputs"))
        else:
            if stim.dtype.kind not in "biuf":
                raise TypeError(
                    f"A {kind} stimulus must be numeric; got dtype {stim.dtype}. Use "
                    "kind='categorical' for labels."
                )
            stim = stim.astype(np.float64)
            check_finite(stim, "stimulus", ("samples", "outputs"))
        if kind == "circular":
            if period is None:
                raise ValueError(
                    "A circular stimulus needs its period: 180 for orientation in degrees, "
                    "360 for direction in degrees, 2*pi for radians. Pass period=..."
                )
            check_number(period, "period", "Recording", low=0, low_inclusive=False)
            outside = (stim < 0) | (stim >= period)
            if outside.any():
                idx = np.flatnonzero(outside)
                raise ValueError(
                    f"The circular stimulus must lie in [0, {period:g}) (its period); "
                    f"{len(idx)} values do not, e.g. {stim[idx[0]]:g} at sample {idx[0]} "
                    f"(samples {format_indices(idx)}). Wrap them with stimulus % {period:g}, "
                    "or check the period (degrees vs radians)."
                )
            period = float(period)
        elif period is not None:
            raise ValueError(
                f"period applies only to circular stimuli; got period={period!r} with "
                f"kind={kind!r}."
            )

        n_samples, n_neurons = resp.shape[0], resp.shape[-1]
        trial_table = _as_column_dict(trials, n_samples, "trials")
        neuron_table = _as_column_dict(neurons, n_neurons, "neurons")
        if "id" not in neuron_table:
            neuron_table = {"id": np.arange(n_neurons), **neuron_table}

        if bin_size is not None:
            check_number(bin_size, "bin_size", "Recording", low=0, low_inclusive=False)
            bin_size = float(bin_size)
        times_arr = None
        if times is not None:
            times_arr = as_numpy(times, "times", dtype=np.float64, ndim=1, owner="Recording")
            check_same_length(resp, times_arr, "responses", "times")
            check_finite(times_arr, "times", ("samples", ""))
            if bin_size is not None and n_samples > 1 and np.any(np.diff(times_arr) <= 0):
                warnings.warn(
                    "The times of these time bins do not strictly increase (repeated or "
                    "shuffled times); every such step starts a new segment, so rebin, "
                    "add_history and contiguous cross-validation will treat the bins as cut "
                    "apart. Pass one time per bin (e.g. t0 + k * bin_size) and mark real "
                    "gaps with trial_id.", DataWarning, stacklevel=2)
        elif bin_size is not None:
            times_arr = np.arange(n_samples, dtype=np.float64) * bin_size
        tid = None
        if trial_id is not None:
            tid = as_numpy(trial_id, "trial_id", ndim=1, owner="Recording")
            check_same_length(resp, tid, "responses", "trial_id")

        self.responses: np.ndarray = resp
        self.stimulus: np.ndarray = stim
        self.kind: StimulusKind = kind
        self.period: float | None = period
        self.response_type: ResponseType = response_type
        self.trials: dict[str, np.ndarray] = trial_table
        self.neurons: dict[str, np.ndarray] = neuron_table
        self.bin_size: float | None = bin_size
        self.times: np.ndarray | None = times_arr
        self.trial_id: np.ndarray | None = tid
        self.meta: dict[str, Any] = dict(meta or {})
        self.epoch_times: np.ndarray | None = epochs

    # ------------------------------------------------------------------ basic facts
    @property
    def n_samples(self) -> int:
        """Number of samples (trials, or time bins when :attr:`is_time_binned`)."""
        return int(self.responses.shape[0])

    @property
    def n_trials(self) -> int:
        """Alias of :attr:`n_samples` for trial-based recordings."""
        return self.n_samples

    @property
    def n_neurons(self) -> int:
        """Number of neurons (last axis of :attr:`responses`)."""
        return int(self.responses.shape[-1])

    @property
    def n_times(self) -> int:
        """Time points per trial (1 unless :attr:`is_time_resolved`)."""
        return int(self.responses.shape[1]) if self.responses.ndim == 3 else 1

    @property
    def is_time_resolved(self) -> bool:
        """True when responses are (n_trials, n_times, n_neurons) with ``epoch_times``."""
        return self.responses.ndim == 3

    @property
    def shape(self) -> tuple[int, ...]:
        """``(n_samples, n_neurons)``, or ``(n_trials, n_times, n_neurons)``."""
        return tuple(int(d) for d in self.responses.shape)

    def require_single_time(self, owner: str) -> None:
        """Raise a ValueError naming the way forward when a time-resolved Recording reaches
        code that decodes one response vector per trial.

        Parameters
        ----------
        owner : str
            What was called, for the message.
        """
        if not self.is_time_resolved:
            return
        t = self.epoch_times
        raise ValueError(
            f"{owner} takes one response vector per trial, but this Recording holds "
            f"responses over time (shape {self.shape}: trials x times x neurons, "
            f"{t[0]:g} to {t[-1]:g} s). Pick one time point with recording.at(t), average "
            "a window with recording.mean_over(start, stop), or decode every time point "
            "with neurodecode.evaluate.decode_over_time(decoder, recording)."
        )

    def at(self, t: float) -> Recording:
        """The trials' responses at the time point nearest ``t`` (a 2-D Recording).

        Parameters
        ----------
        t : float
            Seconds from the aligning event.

        Returns
        -------
        Recording
            ``meta["epoch_time"]`` holds the time point taken.

        Raises
        ------
        ValueError
            If the Recording is not time-resolved, or ``t`` lies outside the epoch by
            more than one time step.

        Examples
        --------
        >>> rec = Recording(np.arange(12.0).reshape(2, 3, 2), [0, 1], kind="categorical",
        ...                 epoch_times=[-0.1, 0.0, 0.1])
        >>> rec.at(0.02).responses.tolist()
        [[2.0, 3.0], [8.0, 9.0]]
        """
        times = self._require_epochs("at")
        check_number(t, "t", "Recording.at")
        k = int(np.argmin(np.abs(times - t)))
        step = float(np.median(np.diff(times))) if len(times) > 1 else 0.0
        if abs(times[k] - t) > max(step, 1e-12):
            raise ValueError(
                f"t={t:g} s lies outside this Recording's epoch, {times[0]:g} to "
                f"{times[-1]:g} s (steps of {step:g} s)."
            )
        return self._flatten(self.responses[:, k], {"epoch_time": float(times[k])})

    def mean_over(self, start: float, stop: float) -> Recording:
        """The trials' responses averaged over the time points in ``[start, stop)``.

        Parameters
        ----------
        start, stop : float
            Seconds from the aligning event.

        Returns
        -------
        Recording
            2-D; counts averaged over several time points become continuous.
            ``meta["epoch_window"]`` holds ``(start, stop)``.

        Raises
        ------
        ValueError
            If the Recording is not time-resolved, or no time point lies in the window.

        Examples
        --------
        >>> rec = Recording(np.arange(12.0).reshape(2, 3, 2), [0, 1], kind="categorical",
        ...                 epoch_times=[-0.1, 0.0, 0.1])
        >>> rec.mean_over(0.0, 0.2).responses.tolist()
        [[3.0, 4.0], [9.0, 10.0]]
        """
        times = self._require_epochs("mean_over")
        check_number(start, "start", "Recording.mean_over")
        check_number(stop, "stop", "Recording.mean_over")
        inside = (times >= start) & (times < stop)
        if not inside.any():
            raise ValueError(
                f"No time point of this Recording lies in [{start:g}, {stop:g}) s; its epoch "
                f"runs from {times[0]:g} to {times[-1]:g} s."
            )
        return self._flatten(self.responses[:, inside].mean(axis=1),
                             {"epoch_window": (float(start), float(stop))},
                             averaged=int(inside.sum()) > 1)

    def _require_epochs(self, name: str) -> np.ndarray:
        if self.epoch_times is None:
            raise ValueError(
                f"Recording.{name} needs responses over time (n_trials x n_times x "
                f"n_neurons, with epoch_times); this Recording has shape {self.shape}."
            )
        return self.epoch_times

    def _flatten(self, responses: np.ndarray, meta: dict[str, Any],
                 averaged: bool = False) -> Recording:
        response_type = "continuous" if averaged else self.response_type
        return self._replace(responses=responses, response_type=response_type,
                             epoch_times=None, meta={**self.meta, **meta})

    @property
    def is_time_binned(self) -> bool:
        """True when samples are consecutive time bins (``bin_size`` is set)."""
        return self.bin_size is not None

    @property
    def classes(self) -> np.ndarray:
        """Sorted unique labels of a categorical stimulus.

        Raises
        ------
        ValueError
            If the stimulus is not categorical.
        """
        if self.kind != "categorical":
            raise ValueError(
                f"classes exist only for categorical stimuli; this one is {self.kind}. "
                "Use bin_stimulus(n_bins) to turn it into classes."
            )
        return np.unique(self.stimulus)

    def __len__(self) -> int:
        return self.n_samples

    def __repr__(self) -> str:
        unit = "time bins" if self.is_time_binned else "trials"
        if self.is_time_resolved:
            t = self.epoch_times
            unit += f" x {self.n_times} times ({t[0]:g} to {t[-1]:g} s)"
        stim = f"stimulus: {self.kind}"
        if self.kind == "circular":
            stim += f", period {self.period:g}"
        elif self.kind == "categorical":
            stim += f", {len(np.unique(self.stimulus))} classes"
        elif self.stimulus.ndim == 2:
            stim += f", {self.stimulus.shape[1]} outputs"
        extras = []
        if self.is_time_binned:
            extras.append(f"bin_size {self.bin_size:g} s")
        if self.response_type == "counts":
            extras.append("counts")
        if "source" in self.meta:
            extras.append(f"source {self.meta['source']!s}")
        tail = "".join(f", {e}" for e in extras)
        return f"Recording({self.n_samples} {unit} x {self.n_neurons} neurons, {stim}{tail})"

    # ------------------------------------------------------------------ derived views
    def _replace(self, **changes: Any) -> Recording:
        """A new Recording with some fields changed (validation runs again)."""
        fields = dict(
            responses=self.responses, stimulus=self.stimulus, kind=self.kind,
            period=self.period, response_type=self.response_type, trials=self.trials,
            neurons=self.neurons, bin_size=self.bin_size, times=self.times,
            trial_id=self.trial_id, meta=self.meta, epoch_times=self.epoch_times,
        )
        fields.update(changes)
        return Recording(**fields)

    def select(self, trials: Any = None, neurons: Any = None) -> Recording:
        """Return a Recording restricted to some samples and/or neurons.

        Parameters
        ----------
        trials : int array, bool mask of shape (n_samples,), or slice, optional
            Samples to keep (all when None).
        neurons : int array, bool mask of shape (n_neurons,), slice, optional
            Neurons to keep (all when None).

        Returns
        -------
        Recording
            A copy holding only the selected rows and columns, with the per-sample and
            per-neuron tables, times and trial ids cut alike.

        Raises
        ------
        ValueError
            If a mask has the wrong length, an index is out of range, or nothing is left.
        """
        rows = self._index(trials, self.n_samples, "trials")
        cols = self._index(neurons, self.n_neurons, "neurons")
        return self._replace(
            responses=self.responses[rows][..., cols],
            stimulus=self.stimulus[rows],
            trials={k: v[rows] for k, v in self.trials.items()},
            neurons={k: v[cols] for k, v in self.neurons.items()},
            times=None if self.times is None else self.times[rows],
            trial_id=None if self.trial_id is None else self.trial_id[rows],
        )

    @staticmethod
    def _index(sel: Any, n: int, name: str) -> np.ndarray:
        if sel is None:
            return np.arange(n)
        if isinstance(sel, slice):
            return np.arange(n)[sel]
        idx = as_numpy(sel, name, ndim=1)
        if idx.dtype == bool:
            if len(idx) != n:
                raise ValueError(
                    f"A boolean mask for {name} must have length {n}; got {len(idx)}."
                )
            return np.flatnonzero(idx)
        if idx.size and idx.dtype.kind not in "iu":
            raise TypeError(f"{name} must be integer indices or a boolean mask; got {idx.dtype}.")
        idx = idx.astype(np.intp)
        if idx.size and (idx.min() < -n or idx.max() >= n):
            raise ValueError(f"{name} indices must lie in [0, {n}); got {idx.min()}..{idx.max()}.")
        return idx

    def stimulus_column(self, name: str) -> Recording:
        """Return the same responses with another per-sample column as the stimulus.

        The new stimulus keeps the current kind; use :meth:`with_stimulus` to change it.

        Raises
        ------
        ValueError
            If ``name`` is not a column of :attr:`trials` (the message lists them).
        """
        if name not in self.trials:
            raise not_found("Column", name, "the recording's trials table", self.trials)
        return self._replace(stimulus=self.trials[name])

    def with_stimulus(self, stimulus: ArrayLike, *, kind: StimulusKind,
                      period: float | None = None) -> Recording:
        """Return the same responses paired with another stimulus (validated again)."""
        return self._replace(stimulus=stimulus, kind=kind, period=period)

    def with_responses(self, responses: ArrayLike, *,
                       response_type: ResponseType | None = None) -> Recording:
        """Return the same samples and stimulus with transformed responses.

        Parameters
        ----------
        responses : array-like of shape (n_samples, n_features)
            E.g. ``np.sqrt(rec.responses)``; the number of columns may change (then the
            neuron table is reset to ids).
        response_type : {"counts", "continuous"}, optional
            Defaults to the current type when the values still qualify, else
            ``"continuous"``.

        Returns
        -------
        Recording

        Examples
        --------
        >>> import numpy as np
        >>> rec = Recording(np.array([[4.0], [9.0]]), [0.0, 1.0], kind="linear",
        ...                 response_type="counts")
        >>> rec.with_responses(np.sqrt(rec.responses)).responses.ravel().tolist()
        [2.0, 3.0]
        """
        resp = as_numpy(responses, "responses", ndim=(2, 3), owner="with_responses")
        if response_type is None:
            is_counts = (self.response_type == "counts" and np.all(resp >= 0)
                         and np.array_equal(resp, np.round(resp)))
            response_type = "counts" if is_counts else "continuous"
        neurons = self.neurons if resp.shape[-1] == self.n_neurons else None
        epochs = self.epoch_times if resp.ndim == 3 else None
        return self._replace(responses=resp, response_type=response_type, neurons=neurons,
                             epoch_times=epochs)

    def bin_stimulus(self, n_bins: int, *, strategy: str = "uniform") -> Recording:
        """Turn a circular or linear stimulus into ``n_bins`` classes.

        Circular stimuli get bins centred on ``k * period / n_bins`` (so with 8 bins on
        orientation the classes are 0, 22.5, ..., 157.5 deg and 178 deg falls in class 0).
        Linear stimuli get equal-width (``strategy="uniform"``) or equal-count
        (``"quantile"``) bins. The class label is the bin centre; the original values
        are kept in ``trials["stimulus_continuous"]`` and the edges in
        ``meta["bin_edges"]``.

        Parameters
        ----------
        n_bins : int
            Number of classes, at least 2.
        strategy : {"uniform", "quantile"}, default="uniform"
            How linear stimuli are cut (circular ones are always uniform).

        Returns
        -------
        Recording
            ``kind="categorical"``.

        Raises
        ------
        ValueError
            If the stimulus is already categorical or multi-output, or ``n_bins < 2``.
        """
        check_number(n_bins, "n_bins", "bin_stimulus", low=2, integer=True)
        check_choice(strategy, "strategy", ("uniform", "quantile"), "bin_stimulus")
        if self.kind == "categorical":
            raise ValueError("The stimulus is already categorical; nothing to bin.")
        if self.stimulus.ndim != 1:
            raise ValueError(
                f"Only a 1-D stimulus can be binned into classes; this one has shape "
                f"{self.stimulus.shape}. Select one output first."
            )
        s = self.stimulus
        if self.kind == "circular":
            assert self.period is not None
            width = self.period / n_bins
            codes = np.floor((s + width / 2) / width).astype(int) % n_bins
            centres = np.arange(n_bins) * width
            edges = (np.arange(n_bins + 1) - 0.5) * width
        else:
            if strategy == "uniform":
                edges = np.linspace(s.min(), s.max(), n_bins + 1)
            else:
                edges = np.quantile(s, np.linspace(0, 1, n_bins + 1))
            codes = np.clip(np.searchsorted(edges, s, side="right") - 1, 0, n_bins - 1)
            centres = (edges[:-1] + edges[1:]) / 2
        trials = {**self.trials, "stimulus_continuous": s}
        meta = {**self.meta, "bin_edges": edges, "bin_centres": centres,
                "binned_from": {"kind": self.kind, "period": self.period}}
        return self._replace(stimulus=centres[codes], kind="categorical", period=None,
                             trials=trials, meta=meta)

    def rebin(self, factor: int) -> Recording:
        """Merge every ``factor`` consecutive time bins; see :func:`neurodecode.data.rebin`."""
        from .binning import rebin

        return rebin(self, factor)

    def add_history(self, n_before: int, n_after: int = 0) -> Recording:
        """Add neighbouring bins as features; see :func:`neurodecode.data.add_history`."""
        from .binning import add_history

        return add_history(self, n_before, n_after)

    # ------------------------------------------------------------------ tensors
    def stimulus_codes(self) -> np.ndarray:
        """Integer codes (0..n_classes-1) of a categorical stimulus, in :attr:`classes` order."""
        classes = self.classes
        return np.searchsorted(classes, self.stimulus)

    def to_tensors(self, device: str | torch.device = "cpu",
                   dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
        """Return ``(responses, stimulus)`` as torch tensors on ``device``, moved once.

        Parameters
        ----------
        device : str or torch.device, default="cpu"
            Where the tensors should live (``"cuda"``, ``"mps"``, ``"cpu"``).
        dtype : torch.dtype, default=torch.float32
            Floating dtype of the responses (and of a circular/linear stimulus).

        Returns
        -------
        responses : Tensor of shape (n_samples, n_neurons)
        stimulus : Tensor of shape (n_samples,) or (n_samples, n_outputs)
            Float for circular and linear stimuli; int64 class codes (see
            :meth:`stimulus_codes`) for categorical ones.

        Examples
        --------
        >>> import numpy as np
        >>> rec = Recording(np.zeros((2, 3)), ["a", "b"], kind="categorical")
        >>> X, y = rec.to_tensors()
        >>> X.shape, y.tolist()
        (torch.Size([2, 3]), [0, 1])
        """
        X = torch.from_numpy(self.responses).to(device=device, dtype=dtype)
        if self.kind == "categorical":
            y = torch.from_numpy(self.stimulus_codes().astype(np.int64)).to(device)
        else:
            y = torch.from_numpy(self.stimulus).to(device=device, dtype=dtype)
        return X, y

    def to_frame(self) -> Any:
        """Return the per-sample table with the stimulus as a pandas DataFrame.

        Raises
        ------
        ImportError
            If pandas is not installed.
        """
        import pandas as pd

        columns: dict[str, Any] = {}
        if self.times is not None:
            columns["time"] = self.times
        if self.trial_id is not None:
            columns["trial_id"] = self.trial_id
        if self.stimulus.ndim == 1:
            columns["stimulus"] = self.stimulus
        else:
            for j in range(self.stimulus.shape[1]):
                columns[f"stimulus_{j}"] = self.stimulus[:, j]
        columns.update(self.trials)
        return pd.DataFrame(columns)

    def describe(self) -> str:
        """A short multi-line description: shape, stimulus, tables and metadata."""
        lines = [repr(self)]
        if self.kind == "categorical":
            labels, counts = np.unique(self.stimulus, return_counts=True)
            lines.append("  classes: " + ", ".join(f"{l} (n={c})" for l, c in
                                                   zip(labels, counts)))
        elif self.stimulus.ndim == 1:
            lines.append(f"  stimulus range: {self.stimulus.min():g} .. {self.stimulus.max():g}")
        r = self.responses
        lines.append(f"  responses: mean {r.mean():.3g}, max {r.max():.3g} ({self.response_type})")
        lines.append(f"  per-sample columns: {format_available(self.trials)}")
        lines.append(f"  per-neuron columns: {format_available(self.neurons)}")
        if self.meta:
            shown = {k: v for k, v in self.meta.items() if np.ndim(v) == 0}
            lines.append(f"  meta: {shown}")
        return "\n".join(lines)

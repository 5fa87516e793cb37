"""Time structure for decoders that read consecutive bins: segments and history windows.

A *segment* is a stretch of consecutive time bins, in time order. Decoders with memory
(spike-history filters, Kalman filters, recurrent networks) never let a window or a
filter cross from one segment into the next. Segments come from

- the ``segments`` argument of ``fit`` / ``predict``: one id per sample, and consecutive
  samples with the same id form one segment (an id that comes back later starts a new
  one); ``None`` means one continuous segment;
- a :class:`~neurodecode.data.Recording` passed as ``X``: a new segment where its
  ``trial_id`` changes or where its ``times`` jump by more than 1.5 ``bin_size``
  (:func:`neurodecode.data.binning.segments`).

When both are given, a segment ends wherever either says so.

:class:`SegmentedRegressor` is the regression base of such decoders: ``uses_segments``,
``score`` with ``segments``, and a ``repr`` that marks non-causal settings.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, ClassVar

import numpy as np
from sklearn.metrics import r2_score

from .._typing import ArrayLike
from .._validation import as_numpy
from ..data import Recording
from ._base import ClassifierDecoder, RegressorDecoder, circular_score

__all__ = ["SegmentedRegressor", "Segments", "history_windows", "resolve_segments"]


class Segments:
    """Bounds ``[start, stop)`` of the segments of ``n_samples`` consecutive samples.

    Parameters
    ----------
    starts, stops : ndarray of int of shape (n_segments,)
        Segment ``k`` holds samples ``starts[k] .. stops[k] - 1``.
    labels : ndarray of shape (n_segments,), optional
        The id of each segment where the caller gave one (for messages).

    Attributes
    ----------
    lengths : ndarray of int of shape (n_segments,)
    """

    def __init__(self, starts: np.ndarray, stops: np.ndarray,
                 labels: np.ndarray | None = None) -> None:
        self.starts = np.asarray(starts, dtype=np.intp)
        self.stops = np.asarray(stops, dtype=np.intp)
        self.labels = labels
        self.lengths = self.stops - self.starts

    def __len__(self) -> int:
        return len(self.starts)

    def name(self, k: int) -> str:
        """``segment 3 (id 7, samples 40..41)``: how messages name segment ``k``."""
        label = ""
        if self.labels is not None:
            value = self.labels[k]
            label = f"id {value.item() if isinstance(value, np.generic) else value!r}, "
        return f"segment {k} ({label}samples {self.starts[k]}..{self.stops[k] - 1})"

    def require_length(self, min_length: int, owner: str, why: str) -> None:
        """Raise a ValueError naming the first segment shorter than ``min_length``."""
        short = np.flatnonzero(self.lengths < min_length)
        if short.size == 0:
            return
        k = int(short[0])
        more = f" ({short.size} segments are this short)" if short.size > 1 else ""
        raise ValueError(
            f"{self.name(k)} has {self.lengths[k]} sample(s), fewer than the {min_length} "
            f"consecutive bins {owner} needs per segment: {why}{more}. Merge short segments, "
            "drop them, or shorten the window."
        )

    def positions(self) -> np.ndarray:
        """Position of every sample within its segment (0 at each segment's start)."""
        n = int(self.stops[-1]) if len(self) else 0
        return np.arange(n) - np.repeat(self.starts, self.lengths)


def resolve_segments(X: Any, segments: ArrayLike | None, n_samples: int,
                     owner: str) -> Segments:
    """The segments of ``n_samples`` samples from a Recording and/or segment ids.

    Parameters
    ----------
    X : Recording or array-like
        What the user passed as ``X`` (a Recording brings its own breaks).
    segments : array-like of int of shape (n_samples,), optional
        Segment id of every sample.
    n_samples : int
    owner : str
        Class name for messages.

    Returns
    -------
    Segments

    Raises
    ------
    ValueError
        If ``segments`` is not 1-D or has another length than ``X``.
    TypeError
        If ``segments`` does not hold integers.

    Examples
    --------
    >>> seg = resolve_segments(None, [0, 0, 1, 1, 1, 0], 6, "Decoder")
    >>> seg.starts.tolist(), seg.lengths.tolist()
    ([0, 2, 5], [2, 3, 1])
    """
    cut = np.zeros(n_samples, dtype=bool)
    if n_samples:
        cut[0] = True
    labels = None
    if isinstance(X, Recording):
        from ..data.binning import segments as recording_segments

        for a, _ in recording_segments(X):
            cut[a] = True
        if X.trial_id is not None and len(X.trial_id) == n_samples:
            labels = np.asarray(X.trial_id)
    if segments is not None:
        ids = as_numpy(segments, "segments", ndim=1, owner=owner)
        if ids.dtype.kind not in "iu":
            raise TypeError(
                f"The 'segments' parameter of {owner} must hold integer segment ids, one per "
                f"sample; got dtype {ids.dtype}. Number other ids first, e.g. "
                "np.unique(ids, return_inverse=True)[1]."
            )
        if len(ids) != n_samples:
            raise ValueError(
                f"X and segments must have the same number of samples (time bins). X has "
                f"{n_samples}, segments has {len(ids)}. Pass the segment id of exactly the "
                "samples in X (e.g. segments[train] with X[train])."
            )
        cut[1:] |= ids[1:] != ids[:-1]
        labels = ids
    starts = np.flatnonzero(cut)
    stops = np.append(starts[1:], n_samples)
    return Segments(starts, stops, None if labels is None else labels[starts])


def history_windows(X: np.ndarray, segments: Segments, n_before: int, n_after: int,
                    fill: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each sample's window of bins ``t - n_before .. t + n_after`` within its segment.

    Bins that fall outside the sample's segment (before its start, after its end, or in
    another segment) are replaced by ``fill``: a window never reads another segment.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    segments : Segments
    n_before, n_after : int
        Bins before and after each sample.
    fill : ndarray of shape (n_features,)
        What stands in for bins outside the segment.

    Returns
    -------
    windows : ndarray of shape (n_samples, n_before + n_after + 1, n_features)
        Oldest bin first (the sample's own bin at index ``n_before``).
    complete : ndarray of bool of shape (n_samples,)
        Whether the whole window lies inside the sample's segment.

    Examples
    --------
    >>> seg = resolve_segments(None, [0, 0, 1, 1], 4, "Decoder")
    >>> w, ok = history_windows(np.arange(4.0)[:, None], seg, 1, 0, np.array([-1.0]))
    >>> w[..., 0].tolist(), ok.tolist()
    ([[-1.0, 0.0], [0.0, 1.0], [-1.0, 2.0], [2.0, 3.0]], [False, True, False, True])
    """
    n = len(X)
    offsets = np.arange(-n_before, n_after + 1)
    first = np.repeat(segments.starts, segments.lengths)
    last = np.repeat(segments.stops, segments.lengths)
    rows = np.arange(n)[:, None] + offsets[None, :]
    inside = (rows >= first[:, None]) & (rows < last[:, None])
    padded = np.vstack([X, np.asarray(fill, dtype=X.dtype)[None, :]])
    return padded[np.where(inside, rows, n)], inside.all(axis=1)


def window_rows(segments: Segments, n_before: int, n_after: int) -> np.ndarray:
    """Row index of every bin of every sample's window, ``n_samples`` (one past the last
    row) where the window leaves the sample's segment: :func:`history_windows` as
    indices, for decoders that gather the windows themselves (on a GPU).

    Examples
    --------
    >>> window_rows(resolve_segments(None, [0, 0, 1, 1], 4, "Decoder"), 1, 0).tolist()
    [[4, 0], [0, 1], [4, 2], [2, 3]]
    """
    n = int(segments.stops[-1]) if len(segments) else 0
    rows, _ = history_windows(np.arange(n)[:, None], segments, n_before, n_after,
                              np.array([n]))
    return rows[..., 0]


class _Segmented:
    """What every decoder over time shares: ``uses_segments`` and a ``repr`` that marks
    a non-causal setting."""

    #: ``fit`` and ``predict`` take ``segments`` (cross-validation passes each fold's).
    uses_segments: ClassVar[bool] = True
    causal: bool

    def __repr__(self, N_CHAR_MAX: int = 700) -> str:
        text = super().__repr__(N_CHAR_MAX)  # type: ignore[misc]
        return text if self.causal else f"{text}  # non-causal"


class SegmentedClassifier(_Segmented, ClassifierDecoder):
    """Classification decoders that read consecutive time bins (not used directly).

    Parameters
    ----------
    None. Each subclass declares its own parameters in ``__init__``.
    """

    @abstractmethod
    def predict(self, X: Any, segments: ArrayLike | None = None) -> np.ndarray:
        """Predicted labels of every sample (see the subclasses)."""

    def score(self, X: Any, y: Any = None, sample_weight: ArrayLike | None = None,
              segments: ArrayLike | None = None) -> float:
        """Accuracy, with the samples' time structure (see :meth:`predict`).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_neurons), or Recording
        y : array-like of shape (n_samples,), optional
        sample_weight : array-like of shape (n_samples,), optional
        segments : array-like of int of shape (n_samples,), optional

        Returns
        -------
        float
        """
        _, y_true, _ = self._unpack(X, y, check_kind=True)
        pred = self.predict(X, segments=segments)
        weights = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        return float(np.average(np.asarray(y_true) == pred, weights=weights))


class SegmentedRegressor(_Segmented, RegressorDecoder):
    """Regression decoders that read consecutive time bins (not used directly).

    ``fit(X, y, segments=None)`` and ``predict(X, segments=None)`` take the time
    structure (see the module docstring); :meth:`score` passes it on. Subclasses
    define ``causal``; a non-causal setting is marked in ``repr``.

    Parameters
    ----------
    None. Each subclass declares its own parameters in ``__init__``.
    """

    @abstractmethod
    def predict(self, X: Any, segments: ArrayLike | None = None) -> np.ndarray:
        """Decode the stimulus of every sample (see the subclasses)."""

    def score(self, X: Any, y: Any = None, sample_weight: ArrayLike | None = None,
              segments: ArrayLike | None = None) -> float:
        """R^2 for linear stimuli; mean cosine of the angular error for circular ones.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_neurons), or Recording
            Responses (with ``y=None`` when a Recording, whose segments are used).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs), optional
            True stimulus.
        sample_weight : array-like of shape (n_samples,), optional
        segments : array-like of int of shape (n_samples,), optional
            Segment id of every sample (see :meth:`predict`).

        Returns
        -------
        float
            R^2 (averaged over outputs), or :func:`circular_score` for circular stimuli.
        """
        _, y_true, _ = self._unpack(X, y, check_kind=True)
        pred = self.predict(X, segments=segments)
        if self.period_ is not None:
            return circular_score(np.ravel(y_true), pred, self.period_, sample_weight)
        return float(r2_score(y_true, pred, sample_weight=sample_weight))

"""Cross-validation splits that respect how the samples were recorded.

Trials are split with scikit-learn's splitters (shuffled ``KFold``, ``StratifiedKFold`` for
classes or binned circular stimuli, ``GroupKFold`` when trials share a group). Time bins
are split into contiguous blocks, optionally with a gap on both sides of each test block:
a shuffled split of autocorrelated time bins puts near-copies of every test bin in the
training set and is the most common way decoding results get overstated.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
from sklearn.model_selection import (
    BaseCrossValidator,
    GroupKFold,
    KFold,
    StratifiedKFold,
)

from .._validation import as_numpy, check_number, format_indices, not_found
from ..data import Recording
from ..exceptions import DataWarning

__all__ = ["ContiguousKFold", "make_splits", "resolve_groups"]


class ContiguousKFold(BaseCrossValidator):
    """K contiguous blocks of samples, each the test set once, with an optional gap.

    Unlike ``TimeSeriesSplit`` (which only trains on the past) every block is tested and
    trained on both sides; ``gap`` samples on each side of the test block are left out of
    training, so that history features and autocorrelation do not reach across.

    Parameters
    ----------
    n_splits : int, default=5
        Number of blocks (>= 2).
    gap : int, default=0
        Samples dropped from training on each side of the test block.

    Examples
    --------
    >>> cv = ContiguousKFold(3, gap=1)
    >>> [(tr.tolist(), te.tolist()) for tr, te in cv.split(np.zeros(6))]
    [([3, 4, 5], [0, 1]), ([0, 5], [2, 3]), ([0, 1, 2], [4, 5])]
    """

    def __init__(self, n_splits: int = 5, *, gap: int = 0) -> None:
        self.n_splits = n_splits
        self.gap = gap

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        """Number of splits.

        Parameters
        ----------
        X, y, groups : ignored

        Returns
        -------
        int
        """
        return int(self.n_splits)

    def split(self, X: Any, y: Any = None, groups: Any = None
              ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield ``(train, test)`` index arrays.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
        y, groups : ignored

        Yields
        ------
        train, test : ndarray of int
        """
        check_number(self.n_splits, "n_splits", "ContiguousKFold", low=2, integer=True)
        check_number(self.gap, "gap", "ContiguousKFold", low=0, integer=True)
        n = len(X)
        if self.n_splits > n:
            raise ValueError(
                f"ContiguousKFold cannot make {self.n_splits} blocks from {n} samples."
            )
        bounds = np.linspace(0, n, self.n_splits + 1).round().astype(int)
        idx = np.arange(n)
        for a, b in zip(bounds[:-1], bounds[1:]):
            train = idx[(idx < a - self.gap) | (idx >= b + self.gap)]
            if train.size == 0:
                raise ValueError(
                    f"gap={self.gap} leaves no training sample for the block [{a}, {b})."
                )
            yield train, idx[a:b]

    def _iter_test_indices(self, X: Any = None, y: Any = None, groups: Any = None
                           ) -> Iterator[np.ndarray]:  # pragma: no cover - split overrides
        for _, test in self.split(X, y, groups):
            yield test


def resolve_groups(recording: Recording, groups: Any) -> np.ndarray | None:
    """Turn ``groups`` (None, a column name, ``"trial_id"`` or an array) into an array.

    Parameters
    ----------
    recording : Recording
    groups : None, str or array-like of shape (n_samples,)

    Returns
    -------
    ndarray of shape (n_samples,) or None

    Raises
    ------
    ValueError
        If a named column does not exist (the message lists them) or an array has the
        wrong length.
    """
    if groups is None:
        return None
    if isinstance(groups, str):
        if groups == "trial_id":
            if recording.trial_id is None:
                raise ValueError("groups='trial_id' but the recording has no trial_id.")
            return recording.trial_id
        if groups not in recording.trials:
            raise not_found("Column", groups, "the recording's trials table",
                            ["trial_id", *recording.trials])
        return recording.trials[groups]
    arr = as_numpy(groups, "groups", ndim=1)
    if len(arr) != recording.n_samples:
        raise ValueError(
            f"groups must have one value per sample: the recording has {recording.n_samples} "
            f"samples, groups has {len(arr)}."
        )
    return arr


def _stratify_labels(recording: Recording, n_bins: int) -> np.ndarray | None:
    if recording.kind == "categorical":
        return recording.stimulus
    if recording.kind == "circular" and recording.stimulus.ndim == 1:
        return recording.bin_stimulus(n_bins).stimulus
    return None


def _codes(labels: np.ndarray | None) -> np.ndarray | None:
    """Integer codes of any labels (scikit-learn's splitters reject float labels)."""
    return None if labels is None else np.unique(labels, return_inverse=True)[1]


def _check_class_sizes(labels: np.ndarray, n_splits: int, binned: bool) -> None:
    values, counts = np.unique(labels, return_counts=True)
    values = values.tolist()  # plain Python scalars read better in the message
    if counts.min() < n_splits:
        what = "stimulus bin" if binned else "class"
        raise ValueError(
            f"cv={n_splits} is larger than the smallest {what} ({what} {values[counts.argmin()]!r}"
            f" has {counts.min()} samples). Use cv <= {counts.min()}."
        )


def make_splits(recording: Recording, cv: int | Any = 5, *, groups: Any = None,
                random_state: int | None = 0, gap: int | None = None,
                stratify_bins: int = 8) -> list[tuple[np.ndarray, np.ndarray]]:
    """The cross-validation splits a recording calls for.

    With an integer ``cv``: ``GroupKFold`` when ``groups`` are given; contiguous blocks
    (:class:`ContiguousKFold`) for time-binned recordings, with a gap as wide as the
    history window by default; ``StratifiedKFold`` (shuffled, seeded) for categorical
    stimuli and for circular ones binned into ``stratify_bins`` classes; shuffled
    ``KFold`` otherwise. A scikit-learn splitter or an iterable of ``(train, test)``
    pairs is used as given.

    Parameters
    ----------
    recording : Recording
    cv : int, splitter or iterable of (train, test), default=5
    groups : None, str or array-like of shape (n_samples,)
        Trials sharing a group never straddle train and test (a column name of
        ``recording.trials``, ``"trial_id"``, or an array).
    random_state : int or None, default=0
        Seed of the shuffled splitters.
    gap : int, optional
        Samples left out on each side of a contiguous test block; defaults to the
        recording's history window (``meta["history"]``), else 0.
    stratify_bins : int, default=8
        Bins of a circular stimulus used for stratification.

    Returns
    -------
    list of (train, test) index arrays

    Raises
    ------
    ValueError
        If ``cv`` exceeds the number of samples or the smallest class, groups have the
        wrong length, or given splits index outside the recording.

    Warns
    -----
    DataWarning
        When a shuffled splitter is given for a time-binned recording.

    Examples
    --------
    >>> from neurodecode.data import Recording
    >>> rec = Recording(np.zeros((6, 2)), [0, 1, 2, 3, 4, 5], kind="linear", bin_size=0.1)
    >>> [test.tolist() for _, test in make_splits(rec, cv=3)]
    [[0, 1], [2, 3], [4, 5]]
    """
    n = recording.n_samples
    groups_arr = resolve_groups(recording, groups)
    X = recording.responses
    if isinstance(cv, (int, np.integer)) and not isinstance(cv, bool):
        check_number(int(cv), "cv", "make_splits", low=2, integer=True)
        if cv > n:
            raise ValueError(f"cv={cv} is larger than the number of samples ({n}).")
        if groups_arr is not None:
            n_groups = len(np.unique(groups_arr))
            if cv > n_groups:
                raise ValueError(f"cv={cv} is larger than the number of groups ({n_groups}).")
            splitter = GroupKFold(int(cv), shuffle=True, random_state=random_state)
            return [(tr, te) for tr, te in splitter.split(X, groups=groups_arr)]
        if recording.is_time_binned:
            if gap is None:
                gap = int(max(recording.meta.get("history", (0, 0))))
            return list(ContiguousKFold(int(cv), gap=gap).split(X))
        labels = _stratify_labels(recording, stratify_bins)
        if labels is not None:
            _check_class_sizes(labels, int(cv), binned=recording.kind != "categorical")
            splitter = StratifiedKFold(int(cv), shuffle=True, random_state=random_state)
            return [(tr, te) for tr, te in splitter.split(X, _codes(labels))]
        return list(KFold(int(cv), shuffle=True, random_state=random_state).split(X))
    if isinstance(cv, str):
        raise TypeError(
            f"cv must be an int, a scikit-learn splitter or an iterable of (train, test) "
            f"pairs; got the string {cv!r}."
        )
    if hasattr(cv, "split"):
        if recording.is_time_binned and getattr(cv, "shuffle", False):
            warnings.warn(
                "A shuffled splitter on time-binned samples puts neighbours of every test "
                "bin in the training set and overstates decoding; prefer contiguous blocks "
                "(cv=int or ContiguousKFold).", DataWarning, stacklevel=2)
        y = _codes(_stratify_labels(recording, stratify_bins))
        return [(np.asarray(tr), np.asarray(te))
                for tr, te in cv.split(X, y, groups_arr)]
    if isinstance(cv, Iterable) and not isinstance(cv, str):
        splits = []
        for k, (tr, te) in enumerate(cv):
            tr, te = np.asarray(tr), np.asarray(te)
            for name, idx in (("train", tr), ("test", te)):
                if idx.dtype.kind == "b":
                    raise TypeError(
                        f"Split {k}: {name} must hold sample indices, not a boolean mask "
                        f"(use np.flatnonzero(mask)).")
                if idx.size and idx.dtype.kind not in "iu":
                    raise TypeError(
                        f"Split {k}: {name} indices must be integers; got dtype {idx.dtype}.")
                if idx.size == 0 or idx.min() < 0 or idx.max() >= n:
                    raise ValueError(
                        f"Split {k}: {name} indices must be non-empty and lie in [0, {n})."
                    )
            tr, te = tr.astype(np.intp, copy=False), te.astype(np.intp, copy=False)
            in_train = np.zeros(n, dtype=bool)
            in_train[tr] = True
            shared = np.unique(te[in_train[te]])  # O(n): no sorting of the splits
            if shared.size:  # a trial both fitted and scored: a leak, not a test
                raise ValueError(
                    f"Split {k}: {shared.size} sample(s) are in both train and test "
                    f"({format_indices(shared)}); the score would count trials the decoder "
                    "was fitted on. Make every split's train and test disjoint.")
            splits.append((tr, te))
        tested = np.zeros(n, dtype=bool)
        for _, te in splits:
            tested[te] = True
        # a pseudo-population's training pseudo-trials are never tested, by design
        if not tested.all() and not recording.meta.get("pseudo_population"):
            warnings.warn(
                f"The custom splits test {int(tested.sum())} of {n} samples; samples "
                f"{format_indices(np.flatnonzero(~tested))} are never tested, so the scores "
                "describe only part of the data.", DataWarning, stacklevel=2)
        return splits
    raise TypeError(
        f"cv must be an int, a scikit-learn splitter or an iterable of (train, test) pairs; "
        f"got {type(cv).__name__}."
    )

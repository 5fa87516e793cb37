"""Shared input checks, so that every error message in neurodecode reads alike.

Each message names the parameter, what was expected, what was received and, where
known, the fix: ``The 'dropout' parameter of MLPDecoder must be a float in [0, 1).
Got 1.5 instead.``
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import torch

__all__ = [
    "as_numpy",
    "check_choice",
    "check_finite",
    "check_number",
    "check_same_length",
    "format_available",
    "format_indices",
    "not_found",
]


def format_available(names: Iterable[Any]) -> str:
    """Join ``names`` for an error message (``'a, b, c'`` or ``'(none)'``)."""
    names = [str(n) for n in names]
    return ", ".join(names) if names else "(none)"


def format_indices(indices: Sequence[int] | np.ndarray, limit: int = 10) -> str:
    """Format a list of indices, shortening long lists: ``'0, 4, 9, ... (25 in all)'``."""
    indices = [int(i) for i in np.asarray(indices).ravel()]
    if len(indices) <= limit:
        return ", ".join(map(str, indices))
    shown = ", ".join(map(str, indices[:limit]))
    return f"{shown}, ... ({len(indices)} in all)"


def not_found(what: str, name: str, where: str, available: Iterable[Any]) -> ValueError:
    """Build the error for a name that does not exist.

    ``Column 'orientation' not found in intervals table 'trials'. Available: start_time, ...``
    """
    return ValueError(
        f"{what} {name!r} not found in {where}. Available: {format_available(available)}."
    )


def as_numpy(x: Any, name: str, *, dtype: Any = None, ndim: int | tuple[int, ...] | None = None,
             owner: str | None = None) -> np.ndarray:
    """Convert array-likes and torch tensors to a NumPy array and check its dimensions.

    Raises
    ------
    TypeError
        If ``x`` is ``None`` or cannot be converted.
    ValueError
        If the number of dimensions is not one of ``ndim``.
    """
    where = f" of {owner}" if owner else ""
    if x is None:
        raise TypeError(f"The {name!r} parameter{where} must be an array, got None.")
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    try:
        arr = np.asarray(x, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"The {name!r} parameter{where} must be array-like"
            f"{'' if dtype is None else f' of {np.dtype(dtype).name}'}; "
            f"got {type(x).__name__} that cannot be converted ({exc})."
        ) from None
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            want = " or ".join(f"{d}-D" for d in allowed)
            raise ValueError(
                f"The {name!r} parameter{where} must be {want}; got an array of shape "
                f"{arr.shape}."
            )
    return arr


def check_finite(arr: np.ndarray, name: str, axis_names: tuple[str, str] = ("trials", "neurons")
                 ) -> None:
    """Raise a ValueError naming the rows and columns that hold NaN or inf."""
    if arr.dtype.kind not in "fc":
        return
    bad = ~np.isfinite(arr)
    if not bad.any():
        return
    if arr.ndim == 1:
        raise ValueError(
            f"{name} contains NaN or inf at {axis_names[0]} {format_indices(np.flatnonzero(bad))}."
            " Drop or impute them before building a Recording."
        )
    rows = np.flatnonzero(bad.reshape(arr.shape[0], -1).any(axis=1))
    cols = np.flatnonzero(bad.reshape(-1, arr.shape[-1]).any(axis=0))
    raise ValueError(
        f"{name} contains {int(bad.sum())} NaN or inf values, in {axis_names[0]} "
        f"{format_indices(rows)} and {axis_names[1]} {format_indices(cols)}. "
        "Drop or impute them before building a Recording."
    )


def check_same_length(a: Any, b: Any, name_a: str, name_b: str, what: str = "samples",
                      hint: str = "") -> None:
    """Raise when two arrays disagree on their first dimension."""
    la, lb = len(a), len(b)
    if la != lb:
        raise ValueError(
            f"{name_a} and {name_b} must have the same number of {what}. "
            f"{name_a} has {la}, {name_b} has {lb}.{(' ' + hint) if hint else ''}"
        )


def check_choice(value: Any, name: str, options: Sequence[Any], owner: str | None = None) -> Any:
    """Raise unless ``value`` is one of ``options``; return it."""
    if value not in options:
        where = f" of {owner}" if owner else ""
        raise ValueError(
            f"The {name!r} parameter{where} must be one of "
            f"{', '.join(repr(o) for o in options)}. Got {value!r} instead."
        )
    return value


def check_number(value: Any, name: str, owner: str | None = None, *, low: float | None = None,
                 high: float | None = None, low_inclusive: bool = True,
                 high_inclusive: bool = True, integer: bool = False,
                 allow_none: bool = False) -> Any:
    """Raise unless ``value`` is a real number (or integer) inside the given interval."""
    if value is None and allow_none:
        return value
    where = f" of {owner}" if owner else ""
    kind = "an int" if integer else "a float"
    lo = "" if low is None else ("[" if low_inclusive else "(") + f"{low:g}"
    hi = "" if high is None else f"{high:g}" + ("]" if high_inclusive else ")")
    if low is not None and high is not None:
        interval = f" in {lo}, {hi}"
    elif low is not None:
        interval = f" {'>=' if low_inclusive else '>'} {low:g}"
    elif high is not None:
        interval = f" {'<=' if high_inclusive else '<'} {high:g}"
    else:
        interval = ""
    msg = f"The {name!r} parameter{where} must be {kind}{interval}. Got {value!r} instead."
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(msg)
    if integer and not isinstance(value, numbers.Integral):
        raise TypeError(msg)
    if not np.isfinite(value):
        raise ValueError(msg)
    if low is not None and (value < low or (value == low and not low_inclusive)):
        raise ValueError(msg)
    if high is not None and (value > high or (value == high and not high_inclusive)):
        raise ValueError(msg)
    return value

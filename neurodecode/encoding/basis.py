"""Basis expansions of a stimulus: the design matrix of a tuning-curve model.

A tuning curve ``f(s)`` is modelled as a weighted sum of a few fixed functions of the
stimulus, ``f(s) = b + sum_j w_j phi_j(s)`` (or its exponential for a Poisson GLM). The
functions must suit the stimulus: periodic for circular stimuli (von Mises bumps or a
Fourier series, both aware of the ``period``), smooth and local on the real line for
linear ones (cubic B-splines), one indicator per class for categorical ones.

Each basis is a scikit-learn transformer: ``fit`` learns what it needs from the training
stimulus (period, range, classes) and ``transform`` returns the ``(n_samples, n_basis)``
design matrix. No basis includes a constant column; the models add an unpenalised
intercept.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.preprocessing import SplineTransformer
from sklearn.utils.validation import check_is_fitted

from .._typing import ArrayLike
from .._validation import as_numpy, check_choice, check_finite, check_number

__all__ = [
    "BASES",
    "FourierBasis",
    "OneHotBasis",
    "SplineBasis",
    "StimulusBasis",
    "VonMisesBasis",
    "make_basis",
]

_DEFAULT_N_BASIS = {"fourier": 10, "von_mises": 12, "spline": 10}


def _as_stimulus(stimulus: ArrayLike, owner: str, *, numeric: bool = True) -> np.ndarray:
    """A 1-D stimulus (a single column is accepted, as scikit-learn transformers get it)."""
    s = as_numpy(stimulus, "stimulus", ndim=(1, 2), owner=owner)
    if s.ndim == 2:
        if s.shape[1] != 1:
            raise ValueError(
                f"{owner} expands a 1-D stimulus (one value per sample); got shape {s.shape}. "
                "Multi-output stimuli (e.g. 2-D position) have no basis here: fit one model "
                "per output."
            )
        s = s[:, 0]
    if numeric:
        if s.dtype.kind not in "biuf":
            raise TypeError(
                f"{owner} needs a numeric stimulus; got dtype {s.dtype}. Use OneHotBasis "
                "(basis='one_hot') for labels."
            )
        s = s.astype(np.float64)
        check_finite(s, "stimulus", ("samples", ""))
    return s


class StimulusBasis(TransformerMixin, BaseEstimator, ABC):
    """Base class of the stimulus bases (not used directly).

    Subclasses set ``kinds`` (the stimulus kinds they can represent) and implement
    ``_fit`` and ``_transform``.

    Parameters
    ----------
    None. Each subclass declares its own parameters in ``__init__``.
    """

    kinds: ClassVar[tuple[str, ...]] = ()

    @property
    def _owner(self) -> str:
        return type(self).__name__

    def check_kind(self, kind: str) -> None:
        """Raise unless this basis can represent a stimulus of ``kind``.

        Parameters
        ----------
        kind : {"circular", "linear", "categorical"}

        Raises
        ------
        ValueError
            Naming the basis, the kind received and the bases that fit it.
        """
        if kind in self.kinds:
            return
        fits = [name for name, cls in BASES.items() if kind in cls.kinds]
        raise ValueError(
            f"{self._owner} represents {' or '.join(self.kinds)} stimuli; got a {kind} "
            f"stimulus. Use basis={' or '.join(repr(f) for f in fits) or 'another basis'} "
            f"for {kind} stimuli."
        )

    def fit(self, X: ArrayLike, y: Any = None) -> StimulusBasis:
        """Learn what the basis needs from the training stimulus.

        Parameters
        ----------
        X : array-like of shape (n_samples,) or (n_samples, 1)
            Stimulus values.
        y : ignored

        Returns
        -------
        self
        """
        self._fit(_as_stimulus(X, self._owner, numeric=self._numeric()))
        return self

    def transform(self, X: ArrayLike) -> np.ndarray:
        """The design matrix.

        Parameters
        ----------
        X : array-like of shape (n_samples,) or (n_samples, 1)
            Stimulus values.

        Returns
        -------
        ndarray of shape (n_samples, n_basis_), float64
        """
        check_is_fitted(self)
        return self._transform(_as_stimulus(X, self._owner, numeric=self._numeric()))

    def _numeric(self) -> bool:
        return True

    @abstractmethod
    def _fit(self, s: np.ndarray) -> None:
        """Learn what the basis needs from the training stimulus (sets fitted state)."""

    @abstractmethod
    def _transform(self, s: np.ndarray) -> np.ndarray:
        """Basis functions evaluated at ``s``: shape (n_samples, n_basis_)."""

    @abstractmethod
    def default_grid(self, n_grid: int) -> np.ndarray:
        """``n_grid`` stimulus values spanning what the basis was fitted on.

        Parameters
        ----------
        n_grid : int

        Returns
        -------
        ndarray of shape (n_grid,) (or (n_classes,) for categories)
        """

    def _check_period(self) -> float:
        period = self.period
        if period is None:
            raise ValueError(
                f"The 'period' parameter of {self._owner} is None: a circular basis needs "
                "the period of the stimulus (180 for orientation in degrees, 360 for "
                "direction, 2*pi for radians)."
            )
        return float(check_number(period, "period", self._owner, low=0, low_inclusive=False))


def _n_default(n_basis: int | None, name: str, n_unique: int, cap: int) -> int:
    """``n_basis``, or the default capped at what the distinct stimulus values support."""
    if n_basis is not None:
        return int(n_basis)
    return max(2, min(_DEFAULT_N_BASIS[name], cap if n_unique > 1 else 2))


class FourierBasis(StimulusBasis):
    """Fourier series of a circular stimulus: ``cos(k w s), sin(k w s)``, ``w = 2 pi / period``.

    Parameters
    ----------
    n_basis : int, optional
        Number of functions, even (``n_basis / 2`` harmonics). Default: 10 (five
        harmonics), fewer when the training stimulus takes few distinct values (at most
        ``(n_unique - 1) // 2`` harmonics, so that no column aliases another on them).
    period : float, optional
        Period of the stimulus; set from the data by the models when None.

    Attributes
    ----------
    n_basis_ : int
    period_ : float

    Raises
    ------
    ValueError
        At ``fit``, for an odd or non-positive ``n_basis`` or a missing period.

    Examples
    --------
    >>> FourierBasis(4, period=180).fit([0, 45, 90]).transform([0.0, 45.0]).round(3)
    array([[ 1.,  0.,  1.,  0.],
           [ 0.,  1., -1.,  0.]])
    """

    kinds: ClassVar[tuple[str, ...]] = ("circular",)

    def __init__(self, n_basis: int | None = None, *, period: float | None = None) -> None:
        self.n_basis = n_basis
        self.period = period

    def _fit(self, s: np.ndarray) -> None:
        self.period_ = self._check_period()
        check_number(self.n_basis, "n_basis", self._owner, low=2, integer=True,
                     allow_none=True)
        if self.n_basis is not None and self.n_basis % 2:
            raise ValueError(
                f"The 'n_basis' parameter of {self._owner} must be even (a cos and a sin per "
                f"harmonic). Got {self.n_basis!r} instead."
            )
        n_unique = len(np.unique(s))
        self.n_basis_ = _n_default(self.n_basis, "fourier", n_unique,
                                   2 * max(1, (n_unique - 1) // 2))

    def _transform(self, s: np.ndarray) -> np.ndarray:
        k = np.arange(1, self.n_basis_ // 2 + 1)
        phase = np.outer(s * (2 * np.pi / self.period_), k)
        out = np.empty((len(s), self.n_basis_))
        out[:, 0::2], out[:, 1::2] = np.cos(phase), np.sin(phase)
        return out

    def default_grid(self, n_grid: int) -> np.ndarray:
        """``n_grid`` evenly spaced values on ``[0, period)``."""
        check_is_fitted(self)
        return np.arange(n_grid) * (self.period_ / n_grid)


class VonMisesBasis(StimulusBasis):
    """Von Mises bumps evenly spaced on the circle: ``exp(kappa (cos(w (s - c_j)) - 1))``.

    Parameters
    ----------
    n_basis : int, optional
        Number of bumps, centred at ``c_j = j * period / n_basis``. Default 12, fewer
        (the number of distinct values) when the training stimulus takes few values.
    period : float, optional
        Period of the stimulus; set from the data by the models when None.
    kappa : float, optional
        Concentration of each bump. Default: ``(n_basis / pi)^2``, so that a bump's
        circular standard deviation (about ``1 / sqrt(kappa)`` radians) is half the spacing
        between centres: broader bumps overlap so much that the design matrix becomes
        nearly singular.

    Attributes
    ----------
    n_basis_ : int
    period_ : float
    kappa_ : float
    centers_ : ndarray of shape (n_basis_,)

    Raises
    ------
    ValueError
        At ``fit``, for a missing period or non-positive ``n_basis`` / ``kappa``.

    Examples
    --------
    >>> B = VonMisesBasis(4, period=360).fit([0, 90]).transform([0.0, 180.0])
    >>> B.shape, float(B[0, 0])
    ((2, 4), 1.0)
    """

    kinds: ClassVar[tuple[str, ...]] = ("circular",)

    def __init__(self, n_basis: int | None = None, *, period: float | None = None,
                 kappa: float | None = None) -> None:
        self.n_basis = n_basis
        self.period = period
        self.kappa = kappa

    def _fit(self, s: np.ndarray) -> None:
        self.period_ = self._check_period()
        check_number(self.n_basis, "n_basis", self._owner, low=2, integer=True,
                     allow_none=True)
        check_number(self.kappa, "kappa", self._owner, low=0, low_inclusive=False,
                     allow_none=True)
        self.n_basis_ = _n_default(self.n_basis, "von_mises", len(np.unique(s)),
                                   len(np.unique(s)))
        self.kappa_ = (float(self.kappa) if self.kappa is not None
                       else (self.n_basis_ / np.pi) ** 2)
        self.centers_ = np.arange(self.n_basis_) * (self.period_ / self.n_basis_)

    def _transform(self, s: np.ndarray) -> np.ndarray:
        phase = (s[:, None] - self.centers_[None, :]) * (2 * np.pi / self.period_)
        return np.exp(self.kappa_ * (np.cos(phase) - 1.0))

    def default_grid(self, n_grid: int) -> np.ndarray:
        """``n_grid`` evenly spaced values on ``[0, period)``."""
        check_is_fitted(self)
        return np.arange(n_grid) * (self.period_ / n_grid)


class SplineBasis(StimulusBasis):
    """Cubic B-splines on the range of a linear stimulus (scikit-learn's SplineTransformer).

    Knots are evenly spaced between the smallest and largest training value; outside
    that range the basis is held constant (``extrapolation="constant"``).

    Parameters
    ----------
    n_basis : int, optional
        Number of B-splines, at least ``degree + 1``. Default 10, fewer when the training
        stimulus takes few distinct values.
    degree : int, default=3
        Polynomial degree of the pieces.

    Attributes
    ----------
    n_basis_ : int
    range_ : (float, float)
        Smallest and largest training value.
    spline_ : sklearn.preprocessing.SplineTransformer

    Raises
    ------
    ValueError
        At ``fit``, for ``n_basis < degree + 1`` or a stimulus with a single value.

    Examples
    --------
    >>> B = SplineBasis(5).fit([0.0, 1.0, 2.0, 3.0, 4.0]).transform([0.0, 2.0])
    >>> B.shape, bool(np.allclose(B.sum(axis=1), 1.0))
    ((2, 5), True)
    """

    kinds: ClassVar[tuple[str, ...]] = ("linear",)

    def __init__(self, n_basis: int | None = None, *, degree: int = 3) -> None:
        self.n_basis = n_basis
        self.degree = degree

    def _fit(self, s: np.ndarray) -> None:
        check_number(self.degree, "degree", self._owner, low=0, integer=True)
        check_number(self.n_basis, "n_basis", self._owner, low=self.degree + 1, integer=True,
                     allow_none=True)
        lo, hi = float(s.min()), float(s.max())
        if not hi > lo:
            raise ValueError(
                f"{self._owner} needs at least 2 distinct stimulus values to place its knots; "
                f"got {len(s)} samples, all equal to {lo:g}."
            )
        n_unique = len(np.unique(s))
        n = _n_default(self.n_basis, "spline", n_unique, max(n_unique, self.degree + 1))
        self.n_basis_ = max(n, self.degree + 1)
        self.range_ = (lo, hi)
        self.spline_ = SplineTransformer(
            n_knots=self.n_basis_ - self.degree + 1, degree=self.degree, knots="uniform",
            extrapolation="constant", include_bias=True,
        ).fit(s[:, None])

    def _transform(self, s: np.ndarray) -> np.ndarray:
        return np.asarray(self.spline_.transform(s[:, None]), dtype=np.float64)

    def default_grid(self, n_grid: int) -> np.ndarray:
        """``n_grid`` evenly spaced values from the smallest to the largest training value."""
        check_is_fitted(self)
        return np.linspace(self.range_[0], self.range_[1], n_grid)


class OneHotBasis(StimulusBasis):
    """One indicator column per class of a categorical stimulus.

    Parameters
    ----------
    None.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Sorted training labels.
    n_basis_ : int
        The number of classes.

    Raises
    ------
    ValueError
        At ``transform``, for labels not seen in training (the message lists them).

    Examples
    --------
    >>> OneHotBasis().fit(["a", "b", "a"]).transform(["b", "a"])
    array([[0., 1.],
           [1., 0.]])
    """

    kinds: ClassVar[tuple[str, ...]] = ("categorical",)

    def _numeric(self) -> bool:
        return False

    def _fit(self, s: np.ndarray) -> None:
        self.classes_ = np.unique(s)
        self.n_basis_ = len(self.classes_)

    def _transform(self, s: np.ndarray) -> np.ndarray:
        codes = np.searchsorted(self.classes_, s)
        codes = np.clip(codes, 0, len(self.classes_) - 1)
        unknown = self.classes_[codes] != s
        if unknown.any():
            raise ValueError(
                f"Labels {sorted(set(np.asarray(s)[unknown].tolist()))!r} were not seen when "
                f"{self._owner} was fitted. Known classes: "
                f"{', '.join(map(str, self.classes_.tolist()))}."
            )
        out = np.zeros((len(s), self.n_basis_))
        out[np.arange(len(s)), codes] = 1.0
        return out

    def default_grid(self, n_grid: int) -> np.ndarray:
        """The training classes (``n_grid`` is ignored)."""
        check_is_fitted(self)
        return self.classes_.copy()


BASES: dict[str, type[StimulusBasis]] = {
    "fourier": FourierBasis,
    "von_mises": VonMisesBasis,
    "spline": SplineBasis,
    "one_hot": OneHotBasis,
}
"""Basis name -> class, as accepted by ``basis=`` of the models."""

_AUTO = {"circular": "fourier", "linear": "spline", "categorical": "one_hot"}


def make_basis(basis: str | StimulusBasis = "auto", kind: str = "circular", *,
               n_basis: int | None = None, period: float | None = None,
               owner: str = "make_basis") -> StimulusBasis:
    """An unfitted basis for a stimulus of ``kind``, checked to represent it.

    Parameters
    ----------
    basis : {"auto", "fourier", "von_mises", "spline", "one_hot"} or StimulusBasis
        ``"auto"``: Fourier for circular, B-splines for linear, one-hot for categorical
        stimuli. A basis instance is cloned (its own ``n_basis`` and ``period`` win
        unless None).
    kind : {"circular", "linear", "categorical"}
    n_basis : int, optional
        Number of functions (ignored by the one-hot basis).
    period : float, optional
        Period of a circular stimulus.
    owner : str
        Name used in error messages.

    Returns
    -------
    StimulusBasis

    Raises
    ------
    ValueError
        For an unknown name, or a basis that cannot represent ``kind`` (a Fourier basis
        for a linear stimulus, splines for a circular one, ...).
    TypeError
        If ``basis`` is neither a name nor a StimulusBasis.

    Examples
    --------
    >>> make_basis("auto", "linear", n_basis=6)
    SplineBasis(n_basis=6)
    >>> make_basis("spline", "circular", period=180)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: SplineBasis represents linear stimuli; got a circular stimulus. Use ...
    """
    check_choice(kind, "kind", tuple(_AUTO), owner)
    if isinstance(basis, StimulusBasis):
        from sklearn.base import clone

        out = clone(basis)
        params = out.get_params(deep=False)
        if "n_basis" in params and params["n_basis"] is None and n_basis is not None:
            out.set_params(n_basis=n_basis)
        if "period" in params and params["period"] is None and period is not None:
            out.set_params(period=period)
    elif isinstance(basis, str):
        check_choice(basis, "basis", ("auto", *BASES), owner)
        name = _AUTO[kind] if basis == "auto" else basis
        cls = BASES[name]
        kwargs: dict[str, Any] = {}
        if name != "one_hot":
            kwargs["n_basis"] = n_basis
        if name in ("fourier", "von_mises"):
            kwargs["period"] = period
        out = cls(**kwargs)
    else:
        raise TypeError(
            f"The 'basis' parameter of {owner} must be 'auto', one of "
            f"{', '.join(repr(b) for b in BASES)}, or a StimulusBasis instance. "
            f"Got {basis!r} instead."
        )
    out.check_kind(kind)
    return out

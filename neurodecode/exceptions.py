"""Error and warning classes raised by neurodecode.

Errors subclass the built-in exception a user would expect (``ValueError`` for bad
values, ``TypeError`` for bad types), so ``except ValueError`` keeps working.
"""

from __future__ import annotations

__all__ = [
    "ConvergenceWarning",
    "DataFormatError",
    "NeurodecodeWarning",
    "NotFittedError",
    "DataWarning",
]

from sklearn.exceptions import NotFittedError


class DataFormatError(ValueError):
    """A file or array does not have the layout a loader expects.

    The message names what was asked for and what the file holds instead.
    """


class NeurodecodeWarning(UserWarning):
    """Base class of every warning neurodecode emits."""


class DataWarning(NeurodecodeWarning):
    """Data are usable but something about them deserves attention
    (dropped samples, neurons that never fire, gaps in time)."""


class ConvergenceWarning(NeurodecodeWarning):
    """An iterative solver stopped at its iteration cap (``max_epochs``) before its
    stopping rule was met: the objective was still improving by more than ``tol``.

    The fit is usable but not at the optimum; raise ``max_epochs``, loosen ``tol`` or
    strengthen the penalty.
    """

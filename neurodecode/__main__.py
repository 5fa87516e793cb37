"""The ``neurodecode`` command (also ``python -m neurodecode``).

A thin entry point: the commands live in :mod:`neurodecode.cli`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name (defaults to ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 2 for a user error (one line on stderr), 130 when interrupted.

    Examples
    --------
    >>> main(["--version"])  # doctest: +SKIP
    neurodecode 0.1.0
    0
    """
    from .cli import run

    return run(argv)


if __name__ == "__main__":
    sys.exit(main())

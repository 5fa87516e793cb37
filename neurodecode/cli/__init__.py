"""The ``neurodecode`` command line: ``demo``, ``inspect``, ``decode`` and ``compare``.

Each run writes a table to the terminal and, into its output folder, ``results.json``
(the results, the full configuration, package versions, seed and device), CSV tables,
PNG figures and one self-contained ``report.html``; all files are written atomically.
The entry point is :func:`neurodecode.__main__.main` (console script ``neurodecode``,
also ``python -m neurodecode``).
"""

from .app import build_parser, run
from .config import UserError

__all__ = ["UserError", "build_parser", "run"]

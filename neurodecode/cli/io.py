"""Atomic output files: a crash or Ctrl-C never leaves a half-written result behind.

Every writer renders its content in memory first, writes it to a temporary file in the
destination folder, flushes it to disk and renames it over the destination with
:func:`os.replace` (atomic on POSIX and Windows within one file system). If anything
fails before the rename, the temporary file is removed and the destination is left as it
was: absent, or the previous complete version.
"""

from __future__ import annotations

import io
import json
import math
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "figure_png",
    "to_jsonable",
    "write_bytes_atomic",
    "write_json_atomic",
    "write_text_atomic",
]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_bytes_atomic(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file and an atomic rename.

    Parameters
    ----------
    path : str or Path
        Destination; its folder must exist.
    data : bytes
        The complete content.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    OSError
        If the folder is missing or not writable (no file is left behind).

    Examples
    --------
    >>> import tempfile
    >>> tmp = tempfile.TemporaryDirectory()
    >>> p = write_bytes_atomic(Path(tmp.name) / "a.bin", b"abc")
    >>> p.read_bytes(), sorted(q.name for q in p.parent.iterdir())
    (b'abc', ['a.bin'])
    >>> tmp.cleanup()
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write UTF-8 text atomically (see :func:`write_bytes_atomic`).

    Parameters
    ----------
    path : str or Path
    text : str

    Returns
    -------
    Path
    """
    return write_bytes_atomic(path, text.encode("utf-8"))


def to_jsonable(obj: Any) -> Any:
    """Convert NumPy scalars and arrays, paths and tuples to plain JSON values.

    Non-finite floats (NaN, inf) become None, so the output is strict JSON.

    Parameters
    ----------
    obj : any
        Nested dicts, lists, tuples, NumPy values, paths, scalars.

    Returns
    -------
    any
        The same structure with JSON types only.

    Raises
    ------
    TypeError
        For an object JSON cannot represent.

    Examples
    --------
    >>> to_jsonable({"a": np.float32(0.5), "b": (1, np.nan), "c": np.arange(2)})
    {'a': 0.5, 'b': [1, None], 'c': [0, 1]}
    """
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return to_jsonable(obj.item())
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if obj is None or isinstance(obj, (str, bool, int)):
        return obj
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    raise TypeError(f"Cannot write {type(obj).__name__} to JSON: {obj!r}")


def write_json_atomic(path: str | Path, obj: Any) -> Path:
    """Serialise ``obj`` to indented, strict JSON and write it atomically.

    The whole document is rendered before the file is touched, so a value that cannot
    be serialised raises without creating or truncating anything.

    Parameters
    ----------
    path : str or Path
    obj : any
        Converted with :func:`to_jsonable`.

    Returns
    -------
    Path
    """
    text = json.dumps(to_jsonable(obj), indent=2, allow_nan=False, ensure_ascii=False)
    return write_text_atomic(path, text + "\n")


def figure_png(fig: Any, dpi: int = 110) -> bytes:
    """Render a matplotlib Figure to PNG bytes (for a file and the HTML report).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    dpi : int, default=110

    Returns
    -------
    bytes
    """
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()

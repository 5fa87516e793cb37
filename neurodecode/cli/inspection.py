"""``neurodecode inspect PATH``: what a file holds that could be decoded.

The format is recognised from the content, not the name: NWB (an HDF5 file with an
``nwb_version`` attribute), other HDF5 files, MATLAB v7.3 (HDF5) and v5 files, NPZ
archives and NPY arrays. Nothing large is read: HDF5 datasets and NPZ members are listed
from their headers.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from .config import UserError
from .outputs import format_table

__all__ = ["detect_format", "inspect_file"]

_MAX_ROWS = 400
_MAT_INTERNAL = ("#refs#", "#subsystem#")


def detect_format(path: Path) -> str:
    """Recognise a file's format from its content.

    Parameters
    ----------
    path : Path

    Returns
    -------
    str
        ``"nwb"``, ``"hdf5"``, ``"mat73"``, ``"mat5"``, ``"npz"`` or ``"npy"``.

    Raises
    ------
    UserError
        If the file does not exist, is a folder, or has none of these formats.
    """
    import h5py

    if not path.exists():
        raise UserError(f"No such file: '{path}'.")
    if path.is_dir():
        raise UserError(f"'{path}' is a folder; give the path of a file inside it.")
    if h5py.is_hdf5(path):
        with h5py.File(path, "r") as f:
            if "nwb_version" in f.attrs:
                return "nwb"
        return "mat73" if path.suffix.lower() == ".mat" else "hdf5"
    if zipfile.is_zipfile(path):
        return "npz"
    with open(path, "rb") as f:
        head = f.read(128)
    if head.startswith(b"\x93NUMPY"):
        return "npy"
    if head.startswith(b"MATLAB 5.0 MAT-file") or path.suffix.lower() == ".mat":
        return "mat5"
    raise UserError(f"'{path}' is not a file neurodecode can read: expected NWB, HDF5, "
                    "MATLAB (.mat), NPZ or NPY.")


def _shape(shape: Any) -> str:
    return " x ".join(str(int(s)) for s in shape) if len(shape) else "scalar"


def _limited(rows: list[list[str]]) -> tuple[list[list[str]], str]:
    if len(rows) <= _MAX_ROWS:
        return rows, ""
    return rows[:_MAX_ROWS], f"... and {len(rows) - _MAX_ROWS} more"


def _hdf5_rows(path: Path, matlab: bool) -> list[list[str]]:
    import h5py

    rows: list[list[str]] = []

    def visit(name: str, obj: Any) -> None:
        if not isinstance(obj, h5py.Dataset) or name.startswith(_MAT_INTERNAL):
            return
        if matlab:  # MATLAB writes column-major: its shape is h5py's reversed
            cls = obj.attrs.get("MATLAB_class", b"?")
            cls = cls.decode() if isinstance(cls, bytes) else str(cls)
            rows.append([name, _shape(obj.shape[::-1]), cls])
        else:
            rows.append([name, _shape(obj.shape), str(obj.dtype)])

    with h5py.File(path, "r") as f:
        f.visititems(visit)
    return rows


def _npz_rows(path: Path) -> list[list[str]]:
    rows = []
    with zipfile.ZipFile(path) as z:
        for member in z.namelist():
            with z.open(member) as f:
                version = np.lib.format.read_magic(f)
                reader = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                          else np.lib.format.read_array_header_2_0)
                shape, _, dtype = reader(f)
            key = member[:-4] if member.endswith(".npy") else member
            rows.append([key, _shape(shape), str(dtype)])
    return rows


def _group_fields(names: list[str], info: list[str]) -> list[tuple[str, str]]:
    """Collapse runs of numbered fields with the same shape and class (neuron1..neuron56)."""
    out: list[tuple[str, str]] = []
    k = 0
    while k < len(names):
        m = re.fullmatch(r"(.*?)(\d+)", names[k])
        j = k + 1
        if m:
            while (j < len(names) and info[j] == info[k]
                   and re.fullmatch(re.escape(m.group(1)) + r"\d+", names[j])):
                j += 1
        if j - k > 2:
            out.append((f"{names[k]} .. {names[j - 1]} ({j - k} fields)", info[k]))
        else:
            out.extend(zip(names[k:j], info[k:j]))
        k = j
    return out


def _mat5_rows(path: Path) -> list[list[str]]:
    from scipy.io import loadmat, whosmat

    rows = []
    variables = whosmat(path)
    structs = [name for name, _, cls in variables if cls == "struct"]
    loaded = loadmat(path, variable_names=structs) if structs else {}
    for name, shape, cls in variables:
        rows.append([name, _shape(shape), cls])
        if cls == "struct" and loaded[name].size:
            first = loaded[name].flat[0]
            fields = list(loaded[name].dtype.names or ())
            info = [f"{_shape(np.shape(first[f]))}|{_mat_class(first[f])}" for f in fields]
            for label, inf in _group_fields(fields, info):
                shape_txt, cls_txt = inf.split("|")
                rows.append([f"  .{label}", shape_txt, cls_txt])
    return rows


def _mat_class(value: Any) -> str:
    arr = np.asarray(value)
    if arr.dtype.names:
        return "struct"
    if arr.dtype == object:
        return "cell"
    return {"f": "double" if arr.dtype.itemsize == 8 else "single", "U": "char",
            "b": "logical"}.get(arr.dtype.kind, str(arr.dtype))


def inspect_file(path: str | Path) -> str:
    """Describe an NWB, HDF5, MATLAB, NPZ or NPY file as readable text tables.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    str

    Raises
    ------
    UserError
        If the file is missing, of an unknown format, or cannot be read.
    """
    path = Path(path)
    fmt = detect_format(path)
    try:
        return _describe(path, fmt)
    except UserError:
        raise
    except Exception as exc:  # a damaged file: its reader's message, on one line
        raise UserError(f"Cannot read '{path}' as {fmt.upper()}: "
                        f"{type(exc).__name__}: {exc}") from exc


def _describe(path: Path, fmt: str) -> str:
    if fmt == "nwb":
        from ..data import format_inspection, inspect_nwb

        text = format_inspection(inspect_nwb(path))
        return (text + "\nDecode a column of an intervals table with:\n  neurodecode decode "
                f"{path} --intervals TABLE --stimulus COLUMN [--window START STOP]")
    if fmt == "npy":
        arr = np.load(path, mmap_mode="r", allow_pickle=False)
        return f"NPY array: {path}\n  shape {_shape(arr.shape)}, dtype {arr.dtype}"
    title, columns, rows = {
        "hdf5": lambda: ("HDF5 file", ["dataset", "shape", "dtype"], _hdf5_rows(path, False)),
        "mat73": lambda: ("MATLAB v7.3 file", ["variable", "shape", "class"],
                          _hdf5_rows(path, True)),
        "mat5": lambda: ("MATLAB v5 file", ["variable", "shape", "class"], _mat5_rows(path)),
        "npz": lambda: ("NPZ archive", ["key", "shape", "dtype"], _npz_rows(path)),
    }[fmt]()
    n = sum(not r[0].startswith(" ") for r in rows)  # struct fields are indented
    count = f"{n} {columns[0]}{'s' * (n != 1)}" if rows else "(empty)"
    suggestion = _suggest_command(path, fmt, rows)
    rows, more = _limited(rows)
    lines = [f"{title}: {path}", count]
    if rows:
        lines.append(format_table(columns, rows))
    if more:
        lines.append(more)
    lines.append(suggestion)
    return "\n".join(lines)


def _dims(shape_text: str) -> tuple[int, ...]:
    return () if shape_text == "scalar" else tuple(int(s) for s in shape_text.split(" x "))


def _suggest_command(path: Path, fmt: str, rows: list[list[str]]) -> str:
    """The decode command for what the file holds: a recognised layout's, or the
    variables that look like responses (the largest 2-D numeric array) and a stimulus
    (a 1-D array, or a short 2-D one, as long as one of its axes)."""
    from ..data.layouts import KNOWN_LAYOUTS, recognise_layout

    layout = recognise_layout(path) if fmt in ("mat5", "mat73") else None
    if layout is not None:
        _, default, targets, description = KNOWN_LAYOUTS[layout]
        others = [t for t in targets if t != default]
        extra = (f" (or --stimulus {' / '.join(others)})" if others else "")
        return (f"\nRecognised: {description}; it decodes {default}{extra} with:\n"
                f"  neurodecode decode {path}")
    numeric = [(r[0].strip(), _dims(r[1])) for r in rows
               if not r[0].startswith(" ") and r[2] not in ("struct", "cell", "char")
               and not r[2].startswith(("<U", "|S", "object"))]
    matrices = sorted((v for v in numeric if len(v[1]) == 2 and min(v[1]) > 1),
                      key=lambda v: -np.prod(v[1]))
    if not matrices:
        return ("\nNo 2-D numeric variable to use as responses: decode a file that holds "
                "a neurons x trials (or trials x neurons) array and a stimulus per trial.")
    name, shape = matrices[0]
    for stim, dims in numeric:
        length = (dims[0] if len(dims) == 1 else
                  max(dims) if len(dims) == 2 and min(dims) <= 3 else None)
        if stim == name or length is None or length not in shape:
            continue
        axis = 1 - shape.index(length)
        return (f"\nDecode it with (responses {name}: neurons on axis {axis}; check the "
                f"stimulus kind with --kind, and --period for angles):\n"
                f"  neurodecode decode {path} --responses {name} --stimulus {stim} "
                f"--neurons-axis {axis}")
    return (f"\nDecode it with (no variable as long as an axis of {name} was found; name "
            f"the stimulus):\n  neurodecode decode {path} --responses {name} "
            "--stimulus VAR [--neurons-axis N]")

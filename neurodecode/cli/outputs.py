"""The output folder of a run: figures, CSV tables, ``results.json``, ``report.html``.

:class:`RunOutput` collects what a command produces. Each file is written atomically as
soon as it is ready (figures as PNG, tables as CSV); :meth:`RunOutput.finish` then writes
``report.html`` (everything embedded), ``run.toml`` (the resolved options, readable by
``--config``) and, last, ``results.json``, so a complete ``results.json`` means a
complete run.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import json
import platform
import shlex
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .config import UserError, dump_toml
from .io import figure_png, write_bytes_atomic, write_json_atomic, write_text_atomic
from .report import Report

MANIFEST = "manifest.json"  # written last: a folder without it holds an unfinished run

__all__ = ["RunOutput", "format_table", "fold_rows", "package_versions"]


def package_versions() -> dict[str, str]:
    """Versions of neurodecode, Python and the libraries that shape the results.

    Returns
    -------
    dict of str to str
        ``neurodecode``, ``python``, ``torch``, ``numpy``, ``scikit-learn``, ``scipy``,
        ``pynwb``, ``h5py``, ``matplotlib`` and ``platform``.

    Examples
    --------
    >>> sorted(package_versions())[:3]
    ['h5py', 'matplotlib', 'neurodecode']
    """
    import h5py
    import matplotlib
    import pynwb
    import scipy
    import sklearn
    import torch

    from .. import __version__

    return {
        "neurodecode": __version__, "python": platform.python_version(),
        "torch": torch.__version__, "numpy": np.__version__,
        "scikit-learn": sklearn.__version__, "scipy": scipy.__version__,
        "pynwb": pynwb.__version__, "h5py": h5py.__version__,
        "matplotlib": matplotlib.__version__, "platform": platform.platform(),
    }


def format_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Align a table as text: a header, a rule, one line per row.

    Parameters
    ----------
    columns : sequence of str
    rows : sequence of sequences
        Cells are shown with ``str``.

    Returns
    -------
    str

    Examples
    --------
    >>> print(format_table(["name", "n"], [["a", 1], ["bcd", 22]]))
    name  n
    ----  --
    a     1
    bcd   22
    """
    cells = [[str(c) for c in columns]] + [[str(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def fold_rows(results: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """Per-fold scores of several cross-validation results, one row per fold and metric.

    Parameters
    ----------
    results : dict of str to CVResult
        The results may have different metrics (a regressor's and a classifier's).

    Returns
    -------
    columns : list of str
        ``candidate, fold, n_train, n_test, fit_seconds, metric, value``.
    rows : list of list
    """
    columns = ["candidate", "fold", "n_train", "n_test", "fit_seconds", "metric", "value"]
    rows = []
    for name, res in results.items():
        for k, (train, test) in enumerate(res.splits):
            for metric, scores in res.scores.items():
                rows.append([name, k, len(train), len(test), float(res.fit_time[k]), metric,
                             float(scores[k])])
    return columns, rows


def _csv_text(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([f"{v:.6g}" if isinstance(v, float) else v for v in row])
    return buf.getvalue()


class RunOutput:
    """Everything one run writes into its output folder.

    Parameters
    ----------
    folder : str or Path
        Created if needed.
    command : str
        ``demo``, ``decode`` or ``compare``.
    config : dict
        The resolved options (recorded in ``results.json``, ``run.toml`` and the report).
    title : str
        Title of the report.
    device : str
        The torch device used.
    argv : sequence of str, optional
        The command line, shown in the report.

    Raises
    ------
    UserError
        If the folder cannot be created (a file is in the way, no permission).
    """

    def __init__(self, folder: str | Path, command: str, config: dict[str, Any], title: str,
                 device: str, argv: Sequence[str] | None = None) -> None:
        self.folder = Path(folder)
        manifest = self.folder / MANIFEST
        if manifest.is_file() and command != "decode-many":  # decode-many resumes there
            if not config.get("overwrite"):
                try:
                    old = json.loads(manifest.read_text())
                    what = f"a finished '{old.get('command')}' run of {old.get('finished')}"
                except (OSError, ValueError):
                    what = "a finished run"
                raise UserError(
                    f"'{self.folder}' holds {what}; a new run would mix its files with "
                    "that run's. Pass --overwrite to replace it, or choose another --out.")
            manifest.unlink()  # until this run finishes, the folder says it is incomplete
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(f"Cannot create the output folder '{self.folder}': "
                            f"{exc.strerror or exc}.") from None
        self.command, self.config, self.device = command, config, device
        line = "neurodecode " + " ".join(shlex.quote(a) for a in (argv or [command]))
        self.report = Report(title, subtitle=line)
        self.files: list[str] = []
        self.started = datetime.datetime.now().astimezone()
        self._t0 = time.perf_counter()

    def path(self, name: str) -> Path:
        """Path of an output file.

        Parameters
        ----------
        name : str

        Returns
        -------
        Path
        """
        return self.folder / name

    def figure(self, fig: Any, name: str, caption: str) -> Path:
        """Write a figure as PNG and embed it in the report.

        Parameters
        ----------
        fig : matplotlib.figure.Figure
        name : str
            File name (``predictions.png``).
        caption : str

        Returns
        -------
        Path
        """
        png = figure_png(fig)
        path = write_bytes_atomic(self.path(name), png)
        self.report.add_figure(caption, name, png)
        self.files.append(name)
        return path

    def csv(self, name: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> Path:
        """Write a CSV table.

        Parameters
        ----------
        name : str
        columns : sequence of str
        rows : sequence of sequences

        Returns
        -------
        Path
        """
        path = write_text_atomic(self.path(name), _csv_text(columns, rows))
        self.files.append(name)
        return path

    def finish(self, results: dict[str, Any]) -> dict[str, Any]:
        """Write ``report.html``, ``run.toml`` and ``results.json``.

        Parameters
        ----------
        results : dict
            Command-specific content of ``results.json``; ``command``, ``config``,
            ``versions``, ``seed``, ``device``, timing and the list of files are added.

        Returns
        -------
        dict
            What was written to ``results.json``.
        """
        versions = package_versions()
        self.report.add_mapping("Configuration", self.config, ("option", "value"))
        self.report.add_mapping("Versions", {**versions, "device": self.device})
        write_text_atomic(self.path("report.html"), self.report.render())
        header = (f"neurodecode {self.command}, {self.started:%Y-%m-%d %H:%M}: the resolved "
                  f"options of this run.\nRe-run with: neurodecode {self.command} --config "
                  "run.toml --out NEW_FOLDER")
        write_text_atomic(self.path("run.toml"), dump_toml(self.config, self.command, header))
        doc = {
            "command": self.command, "config": self.config, "versions": versions,
            "seed": self.config.get("seed"), "device": self.device,
            "started": self.started.isoformat(timespec="seconds"),
            "seconds": round(time.perf_counter() - self._t0, 3),
            "files": [*self.files, "report.html", "run.toml", "results.json"],
            **results,
        }
        write_json_atomic(self.path("results.json"), doc)
        self._write_manifest(doc)
        return doc

    def _write_manifest(self, doc: dict[str, Any]) -> None:
        """``manifest.json``, written last: the command, seed, versions and every file
        with its SHA-256, so a folder without it holds an unfinished run."""
        files = {}
        for name in doc["files"]:
            path = self.path(name)
            if path.is_file():
                files[name] = hashlib.sha256(path.read_bytes()).hexdigest()
        write_json_atomic(self.path(MANIFEST), {
            "command": self.command, "argv": self.report.subtitle, "seed": doc.get("seed"),
            "versions": doc.get("versions"), "started": doc.get("started"),
            "finished": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            "files": files})

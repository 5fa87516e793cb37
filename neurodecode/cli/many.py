"""``neurodecode decode-many``: every session of a dataset, each a task on Dask.

Paths and quoted glob patterns name the sessions; each is loaded on a worker with the
same options as ``decode`` (stimulus, intervals, window, ...) and cross-validated with
one decoder (:func:`neurodecode.evaluate.decode_sessions`). A session that fails is a
row with its error; the others finish. The output folder holds ``sessions.csv`` (a row
per session), one JSON per finished session under ``sessions/`` (a rerun into the same
folder skips them), ``summary.txt``, ``results.json`` and ``report.html``.
"""

from __future__ import annotations

import glob
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .commands import describe_recording, load_recording, say
from .config import UserError
from .factory import decoder_for, describe_decoder, make_decoder, resolve_device
from .outputs import RunOutput, format_table

__all__ = ["expand_sessions", "load_session", "run_decode_many"]

_PENALTIES = ("l1", "l2", "dropout")


def expand_sessions(patterns: Sequence[str]) -> list[str]:
    """Files named by paths and glob patterns, in order, each once.

    Raises
    ------
    UserError
        When a pattern matches no file (the message names it).
    """
    found: list[str] = []
    for pattern in patterns:
        matches = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        matches = [m for m in matches if Path(m).is_file()]
        if not matches:
            raise UserError(f"{pattern!r} matches no file. Quote glob patterns "
                            "(\"sessions/*.nwb\") and check the folder.")
        found += [m for m in matches if m not in found]
    return found


def _cell(value: Any) -> str:
    """A table cell: numbers to 4 significant digits, missing values empty."""
    if isinstance(value, float):
        return "" if value != value else f"{value:.4g}"
    return str(value)


def load_session(path: str, config: dict[str, Any]) -> Any:
    """One session as ``decode`` would load it (runs on a worker)."""
    return load_recording(path, {**config, "over_time": False, "bin_size": None})


def run_decode_many(config: dict[str, Any], argv: Sequence[str] | None = None
                    ) -> dict[str, Any]:
    """Decode every session with one decoder on a Dask cluster and write the tables.

    Parameters
    ----------
    config : dict
        Resolved options of ``neurodecode decode-many``.
    argv : sequence of str, optional
        The command line, shown in the report.

    Returns
    -------
    dict
        What was written to ``results.json``.

    Raises
    ------
    UserError
        For patterns that match nothing, or when no session can be loaded to choose the
        decoder.
    """
    import functools

    from ..evaluate import decode_sessions

    device = resolve_device(config["device"])
    paths = expand_sessions(config["path"])
    first, problems = None, []
    for path in paths:  # the stimulus kind (and so the decoder) from the first good one
        try:
            first = load_session(path, config)
            break
        except UserError as exc:
            problems.append(f"{path}: {exc}")
    if first is None:
        raise UserError("No session could be loaded: " + "; ".join(problems))
    name = decoder_for(config["decoder"], first.kind == "categorical")
    est = make_decoder(name, categorical=first.kind == "categorical",
                       stimulus=config["stimulus"], kind=first.kind,
                       penalties={p: config[p] for p in _PENALTIES}, seed=config["seed"],
                       device=device)
    out = RunOutput(config["out"], "decode-many", config, device=device, argv=argv,
                    title=f"neurodecode decode-many: {len(paths)} sessions")
    workers = config.get("workers")
    client: Any = config.get("scheduler")
    if workers == 0:
        client = "sequential"
    say(f"{len(paths)} sessions, decoder {describe_decoder(est)}; "
        + ("one after another" if client == "sequential" else
           f"on the Dask scheduler {client}" if client else
           f"on a local Dask cluster ({workers or 'free cores'} workers)"))
    res = decode_sessions(paths, {name: est},
                          loader=functools.partial(load_session, config=config),
                          cv=config["cv"], client=client, n_workers=workers or None,
                          out=out.folder / "sessions", random_state=config["seed"],
                          progress=True)
    frame = res.to_frame()
    columns = [c for c in frame.columns if c != "chosen"]
    rows = frame[columns].values.tolist()
    out.csv("sessions.csv", columns, rows)
    shown = ["session", "error", *(c for c in columns if c.endswith(("_mean", "_sem"))),
             "n_trials", "n_neurons"]
    table = format_table(shown, [[_cell(v) for v in row] for row in frame[shown].values])
    summary = res.summary()
    say(table)
    say(summary)
    out.report.add_table("Sessions", shown,
                         [[_cell(v) for v in row] for row in frame[shown].values],
                         sortable=True, note="One row per session; failed sessions keep "
                         "their error message.")
    out.report.add_text("Across sessions", summary)
    (out.folder / "summary.txt").write_text(summary + "\n")
    out.files.append("summary.txt")
    doc = out.finish({"first_session": describe_recording(first),
                      "decoder": describe_decoder(est), "sessions": res.rows,
                      "summary": summary})
    say(f"wrote {len(doc['files'])} files and {len(res.rows)} session results to "
        f"{out.folder}/ (open report.html)")
    return doc

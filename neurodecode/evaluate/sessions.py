"""Many sessions: decode each recording of a dataset as its own task on Dask.

:func:`decode_sessions` cross-validates one decoder (or compares several, or nests a
search) on every session of a dataset, each session a task on a ``dask.distributed``
cluster: a :class:`~distributed.LocalCluster` sized to the machine by default (worker
processes x threads never more than the cores), or any cluster a ``Client`` or scheduler
address points to (dask-jobqueue on Slurm/PBS, Kubernetes). A session that fails to load
or fit is reported with its error; the others finish. With ``out=`` each session's
result is written to its own JSON file as soon as it finishes (atomically), and a rerun
with the same ``out`` skips the sessions already done. Dask retries a task whose worker
died. Every task draws its randomness from the seeds given, so results equal a
sequential run (``client="sequential"``).

:func:`pseudo_population` pools neurons recorded in different sessions into one
population by condition-matched resampling, separately inside each cross-validation
fold's training and test trials.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import socket
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from .._threads import limit_threads
from ..data import Recording

__all__ = ["SessionsResult", "decode_sessions", "pseudo_population"]

SEQUENTIAL = "sequential"


# --------------------------------------------------------------------------- one session
def _session_name(session: Any, index: int) -> str:
    if isinstance(session, (str, os.PathLike)):
        return str(session)
    source = getattr(session, "source", None)
    return f"{index}: {source}" if source else f"session {index}"


def _worker_name() -> str:
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):
        return f"{socket.gethostname()} (pid {os.getpid()})"


def _decode_one(session: Any, name: str, loader: Callable[[Any], Recording] | None,
                decoders: dict[str, Any], grid: dict[str, list] | None, cv: Any,
                inner_cv: int, scoring: Any, random_state: int | None,
                threads: int | None) -> dict[str, Any]:
    """Load (if needed) and cross-validate one session; every failure becomes the row's
    ``error``. Runs on a worker (or in this process)."""
    from .compare import nested_cross_validate
    from .cross_validate import cross_validate

    start = time.perf_counter()
    row: dict[str, Any] = {"session": name, "error": "", "worker": _worker_name()}
    try:
        with limit_threads(threads):
            rec = session if loader is None else loader(session)
            if not isinstance(rec, Recording):
                raise TypeError(
                    f"the loader returned {type(rec).__name__}, not a Recording"
                    if loader is not None else
                    f"sessions must be Recordings (or paths with loader=); got "
                    f"{type(rec).__name__}")
            row["n_trials"], row["n_neurons"] = rec.n_samples, rec.n_neurons
            scores: dict[str, dict[str, list[float]]] = {}
            for label, decoder in decoders.items():
                if grid is not None:
                    res = nested_cross_validate(decoder, grid, rec, cv, inner_cv,
                                                scoring=scoring, random_state=random_state)
                    row.setdefault("chosen", {})[label] = res.chosen
                    scores[label] = {k: v.tolist() for k, v in res.outer.scores.items()}
                else:
                    res = cross_validate(decoder, rec, cv, scoring=scoring,
                                         random_state=random_state)
                    scores[label] = {k: v.tolist() for k, v in res.scores.items()}
            row["scores"] = scores
    except Exception as err:  # noqa: BLE001 - a bad session must not stop the others
        row["error"] = f"{type(err).__name__}: {err}"
    row["seconds"] = time.perf_counter() - start
    return row


# --------------------------------------------------------------------------- result
@dataclass
class SessionsResult:
    """Per-session results of :func:`decode_sessions`.

    Attributes
    ----------
    rows : list of dict
        One per session, in the order given: ``session``, ``error`` (empty when it ran),
        ``scores[decoder][metric]`` (per-fold scores), ``chosen`` (nested search),
        ``n_trials``, ``n_neurons``, ``seconds``, ``worker``.
    decoders : list of str
        Decoder labels.
    metrics : list of str
        Metrics, the primary one first.
    greater_is_better : dict of str to bool
    """

    rows: list[dict[str, Any]]
    decoders: list[str]
    metrics: list[str]
    greater_is_better: dict[str, bool] = field(default_factory=dict)

    @property
    def errors(self) -> dict[str, str]:
        """Session -> error message, for the sessions that failed."""
        return {r["session"]: r["error"] for r in self.rows if r["error"]}

    def session_means(self, metric: str | None = None, decoder: str | None = None
                      ) -> np.ndarray:
        """Mean over folds of each session (NaN where the session failed)."""
        metric = metric or self.metrics[0]
        decoder = decoder or self.decoders[0]
        return np.array([np.mean(r["scores"][decoder][metric]) if not r["error"] else np.nan
                         for r in self.rows])

    def to_frame(self) -> Any:
        """A pandas DataFrame with a row per session: ``session``, ``error``, the mean
        and s.e.m. over folds of each metric (``{decoder}_{metric}_mean`` with several
        decoders), ``chosen``, ``n_trials``, ``n_neurons``, ``seconds``, ``worker``."""
        import pandas as pd

        table = []
        for r in self.rows:
            entry: dict[str, Any] = {"session": r["session"], "error": r["error"]}
            for label in self.decoders:
                prefix = f"{label}_" if len(self.decoders) > 1 else ""
                for metric in self.metrics:
                    values = np.asarray(r.get("scores", {}).get(label, {}).get(metric, []))
                    ok = len(values) > 0
                    entry[f"{prefix}{metric}_mean"] = values.mean() if ok else np.nan
                    entry[f"{prefix}{metric}_sem"] = (
                        values.std(ddof=1) / np.sqrt(len(values)) if len(values) > 1
                        else np.nan)
            if "chosen" in r:
                entry["chosen"] = json.dumps(r["chosen"])
            for key in ("n_trials", "n_neurons", "seconds", "worker"):
                entry[key] = r.get(key, np.nan)
            table.append(entry)
        return pd.DataFrame(table)

    def paired_test(self, a: str, b: str, metric: str | None = None) -> dict[str, float]:
        """Wilcoxon signed-rank test of two decoders' session means (sessions that ran).

        Returns ``{"n_sessions", "mean_difference", "statistic", "p_value"}``
        (difference ``a - b``)."""
        from scipy.stats import wilcoxon

        x, y = self.session_means(metric, a), self.session_means(metric, b)
        ok = np.isfinite(x) & np.isfinite(y)
        d = x[ok] - y[ok]
        if ok.sum() < 2 or np.allclose(d, 0):
            return {"n_sessions": int(ok.sum()), "mean_difference": float(d.mean()) if
                    ok.any() else np.nan, "statistic": np.nan, "p_value": 1.0}
        stat, p = wilcoxon(x[ok], y[ok])
        return {"n_sessions": int(ok.sum()), "mean_difference": float(d.mean()),
                "statistic": float(stat), "p_value": float(p)}

    def summary(self) -> str:
        """Across-session mean +- s.e.m. of each decoder's primary metric, failures, and
        the paired test of every pair of decoders."""
        metric = self.metrics[0]
        n = len(self.rows)
        lines = [f"{n} sessions, {n - len(self.errors)} decoded, {len(self.errors)} failed"]
        for label in self.decoders:
            m = self.session_means(metric, label)
            m = m[np.isfinite(m)]
            sem = m.std(ddof=1) / np.sqrt(len(m)) if len(m) > 1 else np.nan
            lines.append(f"  {label}: {metric} {m.mean():.4g} +- {sem:.2g} (s.e.m. over "
                         f"{len(m)} sessions)" if len(m) else f"  {label}: no session ran")
        for i, a in enumerate(self.decoders):
            for b in self.decoders[i + 1:]:
                t = self.paired_test(a, b, metric)
                lines.append(f"  {a} - {b}: {t['mean_difference']:+.4g} over "
                             f"{t['n_sessions']} sessions, Wilcoxon p = {t['p_value']:.3g}")
        for session, error in self.errors.items():
            lines.append(f"  failed: {session}: {error}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


# --------------------------------------------------------------------------- scheduling
def _result_path(out: Path, name: str) -> Path:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name).name)[:80] or "session"
    digest = hashlib.sha1(name.encode()).hexdigest()[:8]  # distinct paths, same file names
    return out / f"{stem}-{digest}.json"


def _write_atomic(path: Path, row: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(json.dumps(row, indent=1, default=float))
    os.replace(tmp, path)


@contextlib.contextmanager
def _environ_kept() -> Iterator[None]:
    """Undo what Dask writes into this process's environment when it starts worker
    processes (``OMP_NUM_THREADS=1`` and the like, meant for the workers): left there,
    they would cap every later computation of the caller at one thread."""
    before = dict(os.environ)
    try:
        yield
    finally:
        for key in set(os.environ) - set(before):
            del os.environ[key]
        for key, value in before.items():
            if os.environ.get(key) != value:
                os.environ[key] = value


def _local_client(n_sessions: int, n_workers: int | None) -> Any:
    """A LocalCluster of worker processes with one thread each, at most one per core."""
    from distributed import Client, LocalCluster

    from .._threads import available_threads

    workers = n_workers or max(1, min(available_threads(), n_sessions))
    try:
        with _environ_kept():
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   dashboard_address=":0")
    except Exception as err:  # noqa: BLE001 - Dask wraps the cause in several layers
        raise RuntimeError(
            f"Could not start a local Dask cluster of {workers} worker processes ({err}). "
            "In a script, call decode_sessions under `if __name__ == \"__main__\":` (the "
            "worker processes import the script again), pass a client of your own "
            "(e.g. distributed.Client(processes=False) for threads), or "
            "client='sequential'."
        ) from err
    return Client(cluster)


def decode_sessions(sessions: Sequence[Any], decoder_or_grid: Any, *,
                    loader: Callable[[Any], Recording] | None = None, cv: Any = 5,
                    grid: dict[str, list] | None = None, inner_cv: int = 3,
                    scoring: str | list[str] | None = None, client: Any = None,
                    n_workers: int | None = None, out: str | Path | None = None,
                    random_state: int | None = 0, retries: int = 2,
                    progress: bool = False) -> SessionsResult:
    """Cross-validate decoders on every session of a dataset, each session a Dask task.

    Parameters
    ----------
    sessions : sequence or dict of Recording or paths
        The sessions; paths (or anything else) are read by ``loader`` on the worker. A
        dict names them (its keys become the ``session`` column); otherwise paths name
        themselves and Recordings their source.
    decoder_or_grid : estimator or dict of str to estimator
        One decoder, or several by label (each cross-validated on the same splits of
        every session, for a paired comparison across sessions).
    loader : callable, optional
        ``session -> Recording``, e.g. ``functools.partial(load_nwb,
        stimulus="orientation")``. Needed when ``sessions`` are not Recordings.
    cv : int or splitter, default=5
        Splits of each session (see :func:`~neurodecode.evaluate.make_splits`).
    grid : dict, optional
        Nested cross-validation instead: this grid searched inside each outer training
        fold (``inner_cv`` folds); the chosen settings are reported.
    inner_cv : int, default=3
    scoring : str or list of str, optional
        Metrics (default: the stimulus kind's); the first is primary.
    client : distributed.Client, str or "sequential", optional
        Where to run: None starts a LocalCluster sized to the machine (worker processes
        with one thread each, no more workers than free cores or sessions) and closes it
        afterwards; a ``Client`` or a scheduler address uses that cluster;
        ``"sequential"`` runs every session in this process, one after the other.
    n_workers : int, optional
        Worker processes of the LocalCluster (default: free cores).
    out : str or Path, optional
        Folder for one JSON result file per session, written when it finishes; sessions
        whose file holds a result without error are skipped (resume).
    random_state : int or None, default=0
        Seeds every session's splits (decoders draw from their own ``random_state``).
    retries : int, default=2
        Dask retries of a task that raised inside Dask (a lost worker is rescheduled by
        Dask itself).
    progress : bool, default=False
        Progress bar over sessions.

    Returns
    -------
    SessionsResult
        ``to_frame()`` (a row per session), ``summary()`` (across sessions, with paired
        tests between decoders), ``errors``.

    Raises
    ------
    ValueError
        For no sessions or no decoder.
    ImportError
        Without ``dask.distributed`` (unless ``client="sequential"``).

    Examples
    --------
    >>> from neurodecode.data import orientation_population
    >>> from neurodecode.decoders import LinearDecoder
    >>> recs = [orientation_population(30, 120, random_state=s)[0] for s in range(3)]
    >>> res = decode_sessions(recs, LinearDecoder(l2=1.0), cv=3, client="sequential")
    >>> res.to_frame().shape[0], list(res.errors)
    (3, [])
    """
    given_names = None
    if isinstance(sessions, Mapping):
        given_names = [str(k) for k in sessions]
        sessions = list(sessions.values())
    sessions = list(sessions)
    if not sessions:
        raise ValueError("decode_sessions needs at least one session.")
    decoders = (dict(decoder_or_grid) if isinstance(decoder_or_grid, dict)
                else {type(decoder_or_grid).__name__: decoder_or_grid})
    if not decoders:
        raise ValueError("decode_sessions needs at least one decoder.")
    names = given_names or [_session_name(s, i) for i, s in enumerate(sessions)]
    if len(set(names)) != len(names):
        names = [f"{i}: {n}" for i, n in enumerate(names)]
    rows: list[dict[str, Any] | None] = [None] * len(sessions)
    folder = Path(out) if out is not None else None
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        for i, name in enumerate(names):
            path = _result_path(folder, name)
            if path.is_file():
                try:
                    saved = json.loads(path.read_text())
                except (OSError, ValueError):
                    continue
                if not saved.get("error") and saved.get("session") == name:
                    rows[i] = saved
    todo = [i for i, r in enumerate(rows) if r is None]
    args = dict(loader=loader, decoders=decoders, grid=grid, cv=cv, inner_cv=inner_cv,
                scoring=scoring, random_state=random_state)
    bar = tqdm(total=len(sessions), initial=len(sessions) - len(todo), desc="sessions",
               disable=not progress)

    def finished(i: int, row: dict[str, Any]) -> None:
        rows[i] = row
        if folder is not None:
            _write_atomic(_result_path(folder, names[i]), row)
        bar.update(1)

    own = None
    kept = _environ_kept()  # Dask's worker (re)starts write OMP_NUM_THREADS=1 here
    kept.__enter__()
    try:
        if client == SEQUENTIAL:
            for i in todo:
                finished(i, _decode_one(sessions[i], names[i], threads=None, **args))
        elif todo:
            try:
                from distributed import Client, as_completed
            except ImportError:
                raise ImportError(
                    "decode_sessions runs on dask.distributed, which is not installed: pip "
                    "install 'neurodecode-toolkit[distributed]' (or client='sequential')."
                ) from None
            if client is None:
                client = own = _local_client(len(todo), n_workers)
            elif isinstance(client, str):
                client = own = Client(client)
            futures = {client.submit(_decode_one, sessions[i], names[i], threads=1,
                                     retries=retries, pure=False, **args): i for i in todo}
            for future in as_completed(futures):
                finished(futures[future], future.result())
    finally:
        bar.close()
        if own is not None:
            cluster = getattr(own, "cluster", None)
            own.close()
            if cluster is not None:
                cluster.close()
        kept.__exit__(None, None, None)
    done = [r for r in rows if r is not None]
    metrics = next((list(next(iter(r["scores"].values()))) for r in done if r.get("scores")),
                   [])
    from .metrics import SCORERS

    return SessionsResult(rows=done, decoders=list(decoders), metrics=metrics,
                          greater_is_better={m: SCORERS[m][1] for m in metrics
                                             if m in SCORERS})


# --------------------------------------------------------------------------- pseudo-populations
def pseudo_population(recordings: Sequence[Recording], *, n_per_condition: int | None = None,
                      cv: int = 5, random_state: int | None = 0
                      ) -> tuple[Recording, list[tuple[np.ndarray, np.ndarray]]]:
    """Pool neurons recorded in different sessions into one population.

    Each pseudo-trial of condition ``c`` combines, for every session, the responses of
    one real trial of condition ``c`` from that session (condition-matched resampling,
    with replacement). The resampling is done separately for every cross-validation
    fold, from each session's training trials for the fold's training pseudo-trials and
    from its test trials for the test pseudo-trials, so that no real trial reaches both
    sides of a fold. The result is one Recording holding every fold's pseudo-trials and
    the splits that select them: pass both to :func:`cross_validate`,
    :func:`scaling_curve` or :func:`sweep`.

    Parameters
    ----------
    recordings : sequence of Recording
        Trials x neurons sessions of the same categorical (or discrete) stimulus.
    n_per_condition : int, optional
        Pseudo-trials per condition and fold, in training and in test; default: the
        smallest count of a condition's trials in any session.
    cv : int, default=5
        Folds; each session's trials of each condition are split into ``cv`` folds.
    random_state : int or None, default=0

    Returns
    -------
    recording : Recording
        Pseudo-trials x (all sessions' neurons), the stimulus of each pseudo-trial, and
        ``trial_id`` = the fold (0 .. cv - 1) whose training (even) or test (odd) part it
        belongs to, as ``2 * fold + is_test``. ``recording.meta["sources"]`` is an int
        array (n_pseudo_trials, n_sessions) of the real trial each session contributed.
    splits : list of (train, test) index arrays
        Fold ``k``: its training and its test pseudo-trials.

    Raises
    ------
    ValueError
        For fewer than ``cv`` trials of a condition in a session, conditions missing
        from a session, time-resolved recordings, or a continuous stimulus.

    Examples
    --------
    >>> from neurodecode.data import orientation_population
    >>> recs = [orientation_population(10, 80, random_state=s)[0].bin_stimulus(4)
    ...         for s in range(3)]
    >>> rec, splits = pseudo_population(recs, n_per_condition=5, cv=4)
    >>> rec.n_neurons, len(splits)
    (30, 4)
    """
    recordings = list(recordings)
    if not recordings:
        raise ValueError("pseudo_population needs at least one recording.")
    for k, r in enumerate(recordings):
        if not isinstance(r, Recording) or r.is_time_resolved:
            what = ("time-resolved (pick a time with .at(t) or .mean_over(a, b))"
                    if isinstance(r, Recording) else f"a {type(r).__name__}")
            raise ValueError(
                f"pseudo_population pools trials x neurons Recordings; recording {k} is "
                f"{what}."
            )
        if r.kind != "categorical" and len(np.unique(r.stimulus)) > max(20, r.n_samples // 5):
            raise ValueError(
                f"pseudo_population matches trials by condition; recording {k} has a "
                f"continuous stimulus ({len(np.unique(r.stimulus))} distinct values). Bin "
                "it first: recording.bin_stimulus(n_bins)."
            )
    conditions = np.unique(recordings[0].stimulus)
    for k, r in enumerate(recordings[1:], start=1):
        mine = np.unique(r.stimulus)
        if not np.array_equal(mine, conditions):
            raise ValueError(
                f"recording {k} has conditions {mine.tolist()}, recording 0 has "
                f"{conditions.tolist()}: every session needs the same conditions."
            )
    rng = np.random.default_rng(random_state)
    # per session and condition: the trials of each fold (a random partition)
    folds_of: list[dict[Any, list[np.ndarray]]] = []
    smallest = None
    for k, r in enumerate(recordings):
        per: dict[Any, list[np.ndarray]] = {}
        for c in conditions:
            trials = np.flatnonzero(r.stimulus == c)
            if len(trials) < cv:
                raise ValueError(
                    f"recording {k} has {len(trials)} trial(s) of condition {c!r}, fewer "
                    f"than the {cv} folds: every fold needs a test trial of every condition."
                )
            per[c] = np.array_split(rng.permutation(trials), cv)
            smallest = len(trials) if smallest is None else min(smallest, len(trials))
        folds_of.append(per)
    n_per = int(n_per_condition or smallest)
    responses, stimulus, fold_ids, sources = [], [], [], []
    splits: list[tuple[np.ndarray, np.ndarray]] = []
    start = 0
    for fold in range(cv):
        index = []
        for is_test in (0, 1):
            rows = []
            for c in conditions:
                picks = []
                for per in folds_of:
                    pool = per[c][fold] if is_test else np.concatenate(
                        [p for j, p in enumerate(per[c]) if j != fold])
                    picks.append(rng.choice(pool, size=n_per, replace=True))
                picks = np.column_stack(picks)  # (n_per, n_sessions)
                rows.append(np.hstack([r.responses[picks[:, k]]
                                       for k, r in enumerate(recordings)]))
                stimulus.extend([c] * n_per)
                sources.append(picks)
            block = np.vstack(rows)
            responses.append(block)
            fold_ids.extend([2 * fold + is_test] * len(block))
            index.append(np.arange(start, start + len(block)))
            start += len(block)
        splits.append((index[0], index[1]))
    first = recordings[0]
    rec = Recording(np.vstack(responses), np.asarray(stimulus), kind=first.kind,
                    period=first.period, trial_id=np.asarray(fold_ids),
                    response_type=first.response_type,
                    meta={"source": f"pseudo-population of {len(recordings)} sessions",
                          "sources": np.vstack(sources), "pseudo_population": True})
    return rec, splits

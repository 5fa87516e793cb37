"""How many threads a computation may use: never more than the machine has free.

Torch and the BLAS behind NumPy start as many threads as there are cores. On a machine
busy with other jobs (a lab running several analyses side by side) those threads fight
for cores, and a small fit can run 5-50x slower than single-threaded. neurodecode
therefore decides per computation:

- small problems (below about 10^8 floating-point operations, milliseconds of work)
  run on one thread: thread start-up and synchronisation cost more than they save;
- large ones use the cores that are free now (idle time read from ``/proc/stat`` over a
  few milliseconds where available, else the load average), at most the limit set by
  :func:`limit_threads`, ``NEURODECODE_NUM_THREADS`` or ``OMP_NUM_THREADS``.

The limits apply to NumPy/SciPy's BLAS (through ``threadpoolctl``) and to torch's
intra-op threads, and are restored afterwards.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from typing import Any

__all__ = ["available_threads", "limit_threads", "thread_budget"]

SMALL_WORK = 1e8  # floating-point operations below which one thread is used
_USER_LIMIT: list[int | None] = [None]
_CACHE: dict[str, float] = {}
_CONTROLLER: dict[str, Any] = {}


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


def _env_limit() -> int | None:
    for name in ("NEURODECODE_NUM_THREADS", "OMP_NUM_THREADS"):
        value = os.environ.get(name, "")
        if value.strip().isdigit() and int(value) > 0:
            return int(value)
    return None


def _idle_cores(cores: int) -> float:
    """Cores idle right now: ``/proc/stat`` sampled over 20 ms, else the load average."""

    def read() -> tuple[float, float]:
        with open("/proc/stat") as f:
            fields = [float(v) for v in f.readline().split()[1:]]
        return fields[3] + fields[4], sum(fields)

    with contextlib.suppress(OSError, ValueError, IndexError):  # no /proc: the load average
        idle0, total0 = read()
        time.sleep(0.02)
        idle1, total1 = read()
        if total1 > total0:
            return cores * (idle1 - idle0) / (total1 - total0)
    try:
        return cores - os.getloadavg()[0]
    except (AttributeError, OSError):  # pragma: no cover
        return float(cores)


def available_threads() -> int:
    """Threads a large computation may use now: free cores, within the user's limits.

    Returns
    -------
    int
        At least 1; at most :func:`limit_threads`'s value, ``NEURODECODE_NUM_THREADS``
        or ``OMP_NUM_THREADS`` (in that order), and the cores this process may use.
    """
    cores = _cores()
    limit = _USER_LIMIT[0] or _env_limit() or cores
    now = time.monotonic()
    if now - _CACHE.get("at", -1e9) > 1.0:  # sample at most once a second
        _CACHE["idle"], _CACHE["at"] = _idle_cores(cores), now
    free = int(_CACHE["idle"] + 0.5)
    return max(1, min(limit, cores, free))


@contextlib.contextmanager
def limit_threads(n_jobs: int | None) -> Iterator[None]:
    """Cap the threads neurodecode uses inside a ``with`` block (None: no cap).

    Parameters
    ----------
    n_jobs : int or None
        Largest number of threads any computation inside the block may use.

    Yields
    ------
    None

    Examples
    --------
    >>> with limit_threads(1):
    ...     available_threads()
    1
    """
    if n_jobs is not None and (not isinstance(n_jobs, int) or n_jobs < 1):
        raise ValueError(f"n_jobs must be a positive int or None. Got {n_jobs!r} instead.")
    before = _USER_LIMIT[0]
    _USER_LIMIT[0] = n_jobs if n_jobs is not None else before
    try:
        yield
    finally:
        _USER_LIMIT[0] = before


def _controller() -> Any:
    """One ``threadpoolctl`` controller, rebuilt when new libraries have been loaded
    (building one scans the process's libraries: 0.2 ms; using it: 0.01 ms)."""
    n_modules = len(sys.modules)
    if _CONTROLLER.get("modules") != n_modules:
        from threadpoolctl import ThreadpoolController

        _CONTROLLER["controller"], _CONTROLLER["modules"] = ThreadpoolController(), n_modules
    return _CONTROLLER["controller"]


@contextlib.contextmanager
def thread_budget(flops: float) -> Iterator[int]:
    """Run the block with 1 thread for small work, else :func:`available_threads`.

    Parameters
    ----------
    flops : float
        Rough count of floating-point operations of the block.

    Yields
    ------
    int
        The number of threads set for BLAS and torch.
    """
    n = 1 if flops < SMALL_WORK else available_threads()
    torch = sys.modules.get("torch")  # only touch torch's pool if torch is in use
    before = torch.get_num_threads() if torch is not None else None
    if torch is not None and before != n:
        torch.set_num_threads(n)
    try:
        with _controller().limit(limits=n):
            yield n
    finally:
        if torch is not None and before is not None and torch.get_num_threads() != before:
            torch.set_num_threads(before)

"""Side-by-side benchmarks: neurodecode against the tools users would otherwise use.

Every benchmark runs neurodecode and its peer in this one process, on the same data,
the same splits and the same hyperparameter grid, and reports both times, the speed
ratio, both accuracies (they must agree within the stated tolerance, else the row says
FAIL), the peak memory of each side, and the fraction of this machine's float32 matmul
peak (measured in the same run) that neurodecode's time corresponds to, where a FLOP
count is meaningful.

Usage::

    python benchmarks/run.py                 # full size (Stringer: 23,589 x 4,598)
    python benchmarks/run.py --quick         # small sizes, well under a minute
    python benchmarks/run.py --only ridge_sweep nwb_load
    python benchmarks/run.py --only small_real --busy 4   # idle, then with 4 CPU hogs
    python benchmarks/run.py --only ridge_sweep --device cuda --out RESULTS_GPU.md

Writes the table with the machine description to ``benchmarks/RESULTS.md`` (full runs)
or ``benchmarks/RESULTS-quick.md`` (``RESULTS-busy*.md`` with ``--busy``), after every
benchmark, so that a run cut short keeps what finished. A case returns one ``Row`` or a
list of them, and raises ``cases.SkipBenchmark`` when it cannot run here (its data are
absent); ``--device`` reaches the cases that take a ``device`` argument. A row whose
``peer_accuracy`` is NaN reports neurodecode alone (no peer model exists, e.g. a decoder
whose only reference implementation needs Keras): it has nothing to agree with and its
status is "report".
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import cases  # noqa: E402  (benchmarks/cases.py, beside this file)


@dataclass
class Row:
    """One benchmark's outcome."""

    name: str
    size: str
    nd_seconds: float
    peer: str
    peer_seconds: float
    nd_accuracy: float
    peer_accuracy: float
    metric: str
    tolerance: float
    nd_peak_mb: float = float("nan")
    peer_peak_mb: float = float("nan")
    flops: float | None = None
    target: float | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.peer_seconds / self.nd_seconds if self.nd_seconds > 0 else float("nan")

    @property
    def has_peer(self) -> bool:
        """False for a row that only reports neurodecode (peer accuracy NaN)."""
        return self.peer_accuracy == self.peer_accuracy

    @property
    def agree(self) -> bool:
        if not self.has_peer:  # nothing to agree with
            return True
        return bool(abs(self.nd_accuracy - self.peer_accuracy) <= self.tolerance)

    @property
    def status(self) -> str:
        if not self.agree:
            return "FAIL (accuracy)"
        if self.target is None or not self.has_peer:
            return "report"
        return "PASS" if self.ratio >= self.target else f"below target ({self.target:g}x)"


def reset_peak_memory() -> None:
    """Reset the process's resident-set high-water mark (Linux); no-op elsewhere."""
    with contextlib.suppress(OSError), open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def _status_mb(key: str) -> float:
    """A ``/proc/self/status`` memory field in MB (NaN where there is no /proc)."""
    with contextlib.suppress(OSError), open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1]) / 1024
    return float("nan")


def measure(func: Callable[[], Any]) -> tuple[Any, float, float]:
    """Run ``func`` once; return its value, wall-clock seconds and the peak memory it
    added above what the process held before (MB, Linux; NaN elsewhere)."""
    base = _status_mb("VmRSS:")
    reset_peak_memory()
    t0 = time.perf_counter()
    value = func()
    seconds = time.perf_counter() - t0
    return value, seconds, max(0.0, _status_mb("VmHWM:") - base)


def matmul_peak_gflops(n: int = 4096, repeats: int = 3, device: str = "cpu") -> float:
    """The float32 matmul throughput of ``device``, from a large ``torch.matmul``."""
    a = torch.rand(n, n, device=device)
    a @ a  # warm-up (and, on a GPU, the context and the BLAS handle)
    _synchronize(device)
    t0 = time.perf_counter()
    for _ in range(repeats):
        a @ a
    _synchronize(device)
    return 2 * n**3 * repeats / (time.perf_counter() - t0) / 1e9


def _synchronize(device: str) -> None:
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize(device)


def machine(device: str = "cpu") -> dict[str, str]:
    """CPU, cores and library versions (with the BLAS numpy and torch use), and the
    accelerator when neurodecode runs on one."""
    import sklearn
    from threadpoolctl import threadpool_info

    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError, StopIteration), open("/proc/cpuinfo") as f:
        cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    blas = ", ".join(sorted({f"{i.get('internal_api')} {i.get('version')}"
                             for i in threadpool_info() if i.get("user_api") == "blas"}))
    return {
        "cpu": cpu, "cores": str(os.cpu_count()), "python": platform.python_version(),
        "torch": torch.__version__, "torch threads": str(torch.get_num_threads()),
        "numpy": np.__version__, "scikit-learn": sklearn.__version__,
        "numpy BLAS": blas or "unknown",
        "torch BLAS": torch.__config__.show().split("BLAS_INFO=")[-1].split(",")[0]
        if "BLAS_INFO=" in torch.__config__.show() else "unknown",
        **({"neurodecode device": _describe(device)} if device != "cpu" else {}),
    }


def _describe(device: str) -> str:
    dev = torch.device(device)
    if dev.type == "cuda":
        return (f"{device}: {torch.cuda.get_device_name(dev)}, CUDA {torch.version.cuda}, "
                f"{torch.cuda.get_device_properties(dev).total_memory / 2**30:.0f} GiB")
    return device


def to_markdown(rows: list[Row], peak: float, info: dict[str, str], command: str,
                seconds: float, *, skipped: dict[str, str] | None = None,
                device: str = "cpu") -> str:
    where = "" if device == "cpu" else f" ({device})"
    lines = [
        "# Benchmarks: neurodecode vs the peer, side by side",
        "",
        f"`{command}`, {seconds:.0f} s in all.",
        "",
        f"| benchmark | size | neurodecode s{where} | peer | peer s | speed-up | neurodecode "
        "accuracy | peer accuracy | tolerance | added peak MB (nd / peer) | % of matmul peak "
        "| status |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        frac = (f"{100 * r.flops / r.nd_seconds / (peak * 1e9):.0f}%"
                if r.flops else "n/a")
        if r.has_peer:
            peer = (f"{r.peer_seconds:.2f} | {r.ratio:.1f}x | {r.nd_accuracy:.4g} | "
                    f"{r.peer_accuracy:.4g} | {r.metric} +- {r.tolerance:g}")
        else:  # a row that reports neurodecode alone
            peer = f"n/a | n/a | {r.nd_accuracy:.4g} | n/a | {r.metric}"
        lines.append(
            f"| {r.name} | {r.size} | {r.nd_seconds:.2f} | {r.peer} | {peer} | "
            f"{r.nd_peak_mb:.0f} / {r.peer_peak_mb:.0f} | {frac} | {r.status} |")
    lines += ["", "Notes:", ""]
    lines += [f"- **{r.name}**: {r.note}" for r in rows if r.note]
    lines += [f"- **{name}**: skipped: {why}" for name, why in (skipped or {}).items()]
    lines += ["", "## Machine", "",
              f"- float32 matmul peak (measured{where}): {peak:.0f} GFLOP/s"]
    lines += [f"- {k}: {v}" for k, v in info.items()]
    return "\n".join(lines) + "\n"


def run_cases(names: list[str], quick: bool, device: str = "cpu",
              skipped: dict[str, str] | None = None,
              done: Callable[[list[Row]], None] | None = None) -> list[Row]:
    """Run the named cases in turn; each gives one Row or a list of Rows.

    Cases that raise ``cases.SkipBenchmark`` are reported on stderr and recorded in
    ``skipped``; ``device`` goes to the cases whose signature has a ``device`` argument;
    ``done(rows)`` is called after every case (to write partial results).
    """
    rows: list[Row] = []
    for name in names:
        case = cases.BENCHMARKS[name]
        kwargs: dict[str, Any] = {}
        if "device" in inspect.signature(case).parameters:
            kwargs["device"] = device
        elif device != "cpu":
            print(f"{name} has no device option: it runs on the CPU", file=sys.stderr)
        print(f"running {name} ...", file=sys.stderr)
        try:
            out = case(quick, measure, Row, **kwargs)
        except cases.SkipBenchmark as skip:
            print(f"skipped {name}: {skip}", file=sys.stderr)
            if skipped is not None:
                skipped[name] = str(skip)
            continue
        rows.extend(out if isinstance(out, list) else [out])
        if done is not None:
            done(rows)
    return rows


def main(argv: list[str] | None = None) -> list[Row]:
    """Run the selected benchmarks, print the table, write RESULTS(.md)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    parser.add_argument("--only", nargs="+", metavar="NAME", choices=sorted(cases.BENCHMARKS),
                        help=f"run only these: {', '.join(sorted(cases.BENCHMARKS))}")
    parser.add_argument("--out", type=Path, default=None,
                        help="where to write the Markdown table (default: benchmarks/)")
    parser.add_argument("--device", default="cpu",
                        help="device of neurodecode's decoders in the cases that take one "
                        "(cpu, cuda, cuda:1, ...; default cpu)")
    parser.add_argument("--busy", type=int, default=0, metavar="N",
                        help="run the cases idle, then again beside N CPU-bound background "
                        "processes, and report each row's slowdown (benchmarks/busy.py)")
    args = parser.parse_args(argv)
    names = args.only or list(cases.BENCHMARKS)
    t0 = time.perf_counter()
    peak = matmul_peak_gflops(1024 if args.quick else 4096, device=args.device)
    print(f"float32 matmul peak ({args.device}): {peak:.0f} GFLOP/s", file=sys.stderr)
    command = " ".join(["python benchmarks/run.py", *(["--quick"] if args.quick else []),
                        *(["--only", *args.only] if args.only else []),
                        *(["--device", args.device] if args.device != "cpu" else []),
                        *(["--busy", str(args.busy)] if args.busy else [])])
    suffix = ("-busy" if args.busy else "") + ("-quick" if args.quick else "")
    out = args.out or HERE / f"RESULTS{suffix}.md"
    info = machine(args.device)
    skipped: dict[str, str] = {}

    def table(rows: list[Row]) -> str:
        return to_markdown(rows, peak, info, command, time.perf_counter() - t0,
                           skipped=skipped, device=args.device)

    rows = run_cases(names, args.quick, args.device, skipped,
                     done=lambda rows: out.write_text(table(rows)))
    text = table(rows)
    if args.busy:
        import busy

        with busy.cpu_load(args.busy):
            loaded = run_cases(names, args.quick, args.device)
        text += "\n" + busy.slowdown_markdown(rows, loaded, args.busy)
    print(text)
    out.write_text(text)
    return rows


if __name__ == "__main__":
    main()

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

Writes the table with the machine description to ``benchmarks/RESULTS.md`` (full runs)
or ``benchmarks/RESULTS-quick.md``.
"""

from __future__ import annotations

import argparse
import contextlib
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
    def agree(self) -> bool:
        return bool(abs(self.nd_accuracy - self.peer_accuracy) <= self.tolerance)

    @property
    def status(self) -> str:
        if not self.agree:
            return "FAIL (accuracy)"
        if self.target is None:
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


def matmul_peak_gflops(n: int = 4096, repeats: int = 3) -> float:
    """This machine's float32 matmul throughput, from a large ``torch.matmul``."""
    a = torch.rand(n, n)
    a @ a  # warm-up
    t0 = time.perf_counter()
    for _ in range(repeats):
        a @ a
    return 2 * n**3 * repeats / (time.perf_counter() - t0) / 1e9


def machine() -> dict[str, str]:
    """CPU, cores and library versions (with the BLAS numpy and torch use)."""
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
    }


def to_markdown(rows: list[Row], peak: float, info: dict[str, str], command: str,
                seconds: float) -> str:
    lines = [
        "# Benchmarks: neurodecode vs the peer, side by side",
        "",
        f"`{command}`, {seconds:.0f} s in all.",
        "",
        "| benchmark | size | neurodecode s | peer | peer s | speed-up | neurodecode "
        "accuracy | peer accuracy | tolerance | added peak MB (nd / peer) | % of matmul peak "
        "| status |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        frac = (f"{100 * r.flops / r.nd_seconds / (peak * 1e9):.0f}%"
                if r.flops else "n/a")
        lines.append(
            f"| {r.name} | {r.size} | {r.nd_seconds:.2f} | {r.peer} | {r.peer_seconds:.2f} | "
            f"{r.ratio:.1f}x | {r.nd_accuracy:.4g} | {r.peer_accuracy:.4g} | "
            f"{r.metric} +- {r.tolerance:g} | {r.nd_peak_mb:.0f} / {r.peer_peak_mb:.0f} | "
            f"{frac} | {r.status} |")
    lines += ["", "Notes:", ""]
    lines += [f"- **{r.name}**: {r.note}" for r in rows if r.note]
    lines += ["", "## Machine", "", f"- float32 matmul peak (measured): {peak:.0f} GFLOP/s"]
    lines += [f"- {k}: {v}" for k, v in info.items()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> list[Row]:
    """Run the selected benchmarks, print the table, write RESULTS(.md)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    parser.add_argument("--only", nargs="+", metavar="NAME", choices=sorted(cases.BENCHMARKS),
                        help=f"run only these: {', '.join(sorted(cases.BENCHMARKS))}")
    parser.add_argument("--out", type=Path, default=None,
                        help="where to write the Markdown table (default: benchmarks/)")
    args = parser.parse_args(argv)
    names = args.only or list(cases.BENCHMARKS)
    t0 = time.perf_counter()
    peak = matmul_peak_gflops(1024 if args.quick else 4096)
    print(f"float32 matmul peak: {peak:.0f} GFLOP/s", file=sys.stderr)
    rows = []
    for name in names:
        print(f"running {name} ...", file=sys.stderr)
        rows.append(cases.BENCHMARKS[name](args.quick, measure, Row))
    command = " ".join(["python benchmarks/run.py", *(["--quick"] if args.quick else []),
                        *(["--only", *args.only] if args.only else [])])
    text = to_markdown(rows, peak, machine(), command, time.perf_counter() - t0)
    print(text)
    out = args.out or HERE / ("RESULTS-quick.md" if args.quick else "RESULTS.md")
    out.write_text(text)
    return rows


if __name__ == "__main__":
    main()

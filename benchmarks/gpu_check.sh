#!/usr/bin/env bash
# Device checks for a machine with a CUDA GPU, in under 8 minutes: each step runs under
# `timeout`, and the sweeps get whatever is left of a 470 s budget. Run from anywhere:
#
#     bash benchmarks/gpu_check.sh
#
# 1. nvidia-smi and what torch sees of CUDA;
# 2. neurodecode's device="auto" resolves to cuda;
# 3. the `gpu` tests (python -m pytest -m gpu);
# 4. the Stringer-scale sweeps (ridge, MLP, logistic) with neurodecode on the GPU next to
#    their CPU peers: benchmarks/RESULTS_GPU.md, or $OUT/RESULTS_GPU.md when $OUT is set.
#    run.py rewrites the table after every benchmark, so a timeout keeps what finished.
#
# Every step runs even when an earlier one fails; the exit status is non-zero if any
# failed, and the failed steps are listed at the end. Environment knobs (for trying the
# script on a CPU machine): DEVICE (default cuda), QUICK=1 (small sweep sizes).
set -euo pipefail

cd "$(dirname "$0")/.."
BUDGET_S=470  # the whole script, under 8 minutes
DEVICE="${DEVICE:-cuda}"
OUT_DIR="${OUT:-benchmarks}"
mkdir -p "$OUT_DIR"
RESULTS="$OUT_DIR/RESULTS_GPU.md"
QUICK_FLAG=()
if [[ "${QUICK:-0}" == "1" ]]; then QUICK_FLAG=(--quick); fi
FAILED=()

step() {  # step NAME SECONDS COMMAND...: run with a timeout, record a failure, go on
    local name="$1" seconds="$2"
    shift 2
    echo
    echo "=== $name (timeout ${seconds} s) ==="
    local t0=$SECONDS rc=0
    timeout --kill-after=10 "$seconds" "$@" || rc=$?
    if [[ $rc -eq 0 ]]; then
        echo "--- $name: ok ($((SECONDS - t0)) s)"
    else
        [[ $rc -eq 124 || $rc -eq 137 ]] && echo "--- $name: TIMED OUT after ${seconds} s"
        echo "--- $name: FAILED (exit $rc, $((SECONDS - t0)) s)"
        FAILED+=("$name")
    fi
}

step "nvidia-smi" 20 nvidia-smi

step "torch.cuda" 60 python - <<'EOF'
import torch

print("torch", torch.__version__, "| built for CUDA", torch.version.cuda,
      "| cuDNN", torch.backends.cudnn.version())
print("cuda available:", torch.cuda.is_available(), "| devices:", torch.cuda.device_count())
for i in range(torch.cuda.device_count()):
    p = torch.cuda.get_device_properties(i)
    print(f"  cuda:{i} {p.name}, {p.total_memory / 2**30:.0f} GiB, sm_{p.major}{p.minor}, "
          f"{p.multi_processor_count} SMs")
assert torch.cuda.is_available(), "torch sees no CUDA device (a CPU-only torch build?)"
a = torch.rand(1024, 1024, device="cuda")
print("matmul on cuda ok:", float((a @ a).sum()) > 0)
EOF

step "resolve_device('auto') is cuda" 60 python -c '
from neurodecode.decoders._base import resolve_device
d = resolve_device("auto")
print("resolve_device(\"auto\") ->", d)
assert d.type == "cuda", f"expected cuda, got {d}"
'

step "pytest -m gpu" 100 python -m pytest -m gpu -q -p no:cacheprovider

# logistic last: its scikit-learn peer is the slowest, so a timeout cuts only that row
LEFT=$((BUDGET_S - SECONDS))
if [[ $LEFT -lt 60 ]]; then LEFT=60; fi
step "Stringer-scale sweeps on $DEVICE" "$LEFT" python benchmarks/run.py "${QUICK_FLAG[@]}" \
    --only ridge_sweep mlp_sweep logistic_sweep --device "$DEVICE" --out "$RESULTS"

echo
if [[ -f "$RESULTS" ]]; then echo "results: $RESULTS"; fi
if [[ ${#FAILED[@]} -gt 0 ]]; then
    echo "FAILED steps: ${FAILED[*]}"
    exit 1
fi
echo "all GPU checks passed"

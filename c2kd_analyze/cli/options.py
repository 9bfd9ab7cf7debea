"""Help texts shared by several commands' options (one wording everywhere)."""

from __future__ import annotations

TEACHER_DIR_HELP = "NAME=DIR: load teacher NAME from a saved model folder (repeatable)."
DEVICE_HELP = "auto (the GPU when CUDA is present, else the CPU), cpu, cuda, cuda:N or mps."
TRUST_REMOTE_CODE_HELP = (
    "Let a teacher whose spec needs it run Python code from its model repository."
)
PRECISION_HELP = (
    "auto (bf16 autocast where the device computes it natively: a CUDA GPU of compute "
    "capability >= 8.0, a CPU with AMX-BF16 (there for the text encoders only); else fp32), "
    "fp32, bf16, fp16."
)

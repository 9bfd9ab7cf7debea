"""c2kd-analyze: which multilingual text model makes the best C2KD teacher?

Cross-lingual cross-modal knowledge distillation (Rouditchenko et al., ICASSP 2023) for
multilingual text-to-video retrieval, with a registry of pluggable teachers and an analysis layer.
"""

__version__ = "0.1.0"

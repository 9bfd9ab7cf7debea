"""The image-tower zoo: one file per model, each defining ``SPEC = VisionSpec(...)``."""

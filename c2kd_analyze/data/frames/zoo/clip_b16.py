"""CLIP ViT-B/16: 512-d projected image embeddings.

Revision 5ef227a7 of openai/clip-vit-base-patch16.
"""

from c2kd_analyze.data.frames.spec import VisionSpec

SPEC = VisionSpec(
    name="clip-b16",
    model="openai/clip-vit-base-patch16",
    revision="5ef227a78de3f75873f373246dac80def63b0003",
    kind="clip",
    dim=512,
    size="ViT-B/16",
    licence="MIT",
    reference=(
        "Radford et al. 2021, Learning Transferable Visual Models From Natural Language Supervision"
    ),
    description="CLIP ViT-B/16",
)

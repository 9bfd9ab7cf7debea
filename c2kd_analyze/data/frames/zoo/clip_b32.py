"""CLIP ViT-B/32, the default: 512-d projected image embeddings, as the C2KD release's CLIP
features. Revision c237dc49 of openai/clip-vit-base-patch32."""

from c2kd_analyze.data.frames.spec import VisionSpec

SPEC = VisionSpec(
    name="clip-b32",
    model="openai/clip-vit-base-patch32",
    revision="c237dc49a33fc61debc9276459120b7eac67e7ef",
    kind="clip",
    dim=512,
    size="ViT-B/32",
    licence="MIT",
    reference=(
        "Radford et al. 2021, Learning Transferable Visual Models From Natural Language Supervision"
    ),
    description="CLIP ViT-B/32 (the default)",
)

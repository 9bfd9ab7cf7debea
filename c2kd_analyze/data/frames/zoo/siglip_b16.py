"""SigLIP base, patch 16, 224 px: 768-d pooled image features. Revision 7fd15f06 of
google/siglip-base-patch16-224."""

from c2kd_analyze.data.frames.spec import VisionSpec

SPEC = VisionSpec(
    name="siglip-b16",
    model="google/siglip-base-patch16-224",
    revision="7fd15f0689c79d79e38b1c2e2e2370a7bf2761ed",
    kind="siglip",
    dim=768,
    size="ViT-B/16",
    licence="Apache-2.0",
    reference="Zhai et al. 2023, Sigmoid Loss for Language Image Pre-Training",
    description="SigLIP base 224",
)

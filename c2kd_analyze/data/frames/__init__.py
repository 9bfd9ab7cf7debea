"""Video frame features: frames decoded with PyAV and sampled uniformly, embedded by an image
tower (CLIP, SigLIP, any vision model), written for the generic format (``features extract``)."""

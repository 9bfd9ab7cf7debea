"""The embedded demo dataset: generated multilingual cooking clips (synthetic; see build.py)."""

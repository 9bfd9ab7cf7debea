"""The translation zoo: one file per model, each defining ``SPEC = TranslatorSpec(...)``."""

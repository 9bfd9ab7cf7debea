"""One translation model, loaded on a device: token lengths and beam-search generation."""

from __future__ import annotations

import logging
import warnings
from typing import TYPE_CHECKING

from ...errors import UserError
from ..model_hub import offline_env, quiet_transformers
from .families import language_token
from .source import TranslatorSource

if TYPE_CHECKING:
    import torch

    from ...devices import Precision

log = logging.getLogger(__name__)

#: generated tokens allowed per batch: twice the longest input, plus a margin (part of the key)
LENGTH_POLICY = "2x+16"


class Seq2Seq:
    """A loaded seq2seq translation model (its tokenizer first, its weights on first use)."""

    def __init__(self, source: TranslatorSource, device: torch.device, precision: Precision):
        offline_env()
        quiet_transformers()
        from transformers import AutoTokenizer

        self.source, self.device, self.precision = source, device, precision
        folder = source.found.folder
        try:
            with warnings.catch_warnings():  # Marian's "pip install sacremoses" advice
                warnings.simplefilter("ignore")
                self.tokenizer = AutoTokenizer.from_pretrained(str(folder))
        except Exception as exc:  # a folder with a config but no usable tokenizer
            raise UserError(
                f"cannot load the tokenizer of {source.label}: {exc}".splitlines()[0]
            ) from None
        self._model = None
        spec = source.spec
        limit = spec.max_tokens if spec else min(int(self.tokenizer.model_max_length or 512), 1024)
        self.max_input_tokens = limit

    def check_tokens(self, *langs: str) -> None:
        """UserError when the tokenizer has no token for a language (before any weights load)."""
        for lang in langs:
            token = language_token(self.source.family, lang)
            if token is not None and self._token_id(token) is None:
                raise UserError(
                    f"translation model {self.source.label!r} has no language token {token} for "
                    f"{lang!r}; choose a language it covers or another --model"
                )

    def _token_id(self, token: str) -> int | None:
        found = self.tokenizer.convert_tokens_to_ids(token)
        if not isinstance(found, int) or found == self.tokenizer.unk_token_id:
            return None
        return found

    @property
    def model(self):
        if self._model is None:
            from transformers import AutoModelForSeq2SeqLM

            folder = self.source.found.folder
            try:
                model = AutoModelForSeq2SeqLM.from_pretrained(str(folder))
            except Exception as exc:
                raise UserError(
                    f"cannot load {self.source.label} from {folder}: {exc}".splitlines()[0]
                ) from None
            self._model = model.to(self.device).eval()
        return self._model

    def _inputs(self, texts: list[str], src: str, tgt: str) -> list[str]:
        family = self.source.family
        if family in ("nllb", "m2m100"):
            self.tokenizer.src_lang = self._code(src)
        if family == "madlad":
            return [f"{language_token(family, tgt)} {t}" for t in texts]
        return texts

    def _code(self, lang: str) -> str:
        token = language_token(self.source.family, lang)
        assert token is not None  # checked when the source was resolved
        return token.strip("_") if self.source.family == "m2m100" else token

    def token_lengths(self, texts: list[str], src: str, tgt: str) -> list[int]:
        """Tokens each text has as the model reads it (cut at ``max_input_tokens``)."""
        ids = self.tokenizer(
            self._inputs(texts, src, tgt), truncation=True, max_length=self.max_input_tokens
        )["input_ids"]
        return [len(x) for x in ids]

    def translate(self, texts: list[str], src: str, tgt: str, beams: int) -> list[str]:
        """One batch: ``texts`` in ``src`` -> their translations into ``tgt`` (beam search)."""
        import torch

        from ...devices import encoder_autocast

        batch = self.tokenizer(
            self._inputs(texts, src, tgt),
            return_tensors="pt",
            padding=True,
            truncation=True,
            max_length=self.max_input_tokens,
        )
        batch = {k: v.to(self.device) for k, v in batch.items()}
        extra = {}
        if self.source.family in ("nllb", "m2m100"):
            token = language_token(self.source.family, tgt)
            extra["forced_bos_token_id"] = self._token_id(token or "")
        longest = int(batch["input_ids"].shape[1])
        with torch.inference_mode(), encoder_autocast(self.device, self.precision):
            out = self.model.generate(
                **batch,
                num_beams=beams,
                do_sample=False,
                max_new_tokens=2 * longest + 16,
                **extra,
            )
        return [t.strip() for t in self.tokenizer.batch_decode(out, skip_special_tokens=True)]

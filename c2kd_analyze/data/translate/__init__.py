"""Caption translation: machine-translation models as data (``zoo/``), found offline, run in
length-ordered token batches, every translation cached by content (``datasets translate``)."""

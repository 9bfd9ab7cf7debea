"""The analysis layer: run folders in, one tidy results table, statistics and a report out.

- :mod:`.load` reads run folders (checksummed cell files, ``config.json``) into tidy frames;
- :mod:`.systems` gives every system its one label, row order and colour;
- :mod:`.tables` aggregates over seeds and lays out results tables (:func:`.tables.results_table`
  is the table ``c2kd-analyze run`` prints); :mod:`.formatting` and :mod:`.export` make strings
  and table files;
- :mod:`.hits` (per-query hits under the run's tie policy), :mod:`.stats` (bootstrap, exact
  sign-flip test, Holm) and :mod:`.compare` (the report's families of tests);
- :mod:`.gaps`, :mod:`.ties`, :mod:`.diagnostics`: gap to English, tied scores, teachers;
- :mod:`.plots` draws the figures; :mod:`.report` writes the report (``write_report``).
"""

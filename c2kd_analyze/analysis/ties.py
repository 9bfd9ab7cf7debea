"""Tied scores: which systems tie, and how far their recall could move.

A query *ties* when other items score exactly as its true item (``ties > 0`` in the ranks). Its
hit at k then depends on how ties are broken: the optimistic policy counts it (rank <= k), the
pessimistic one does not unless ``rank + ties <= k``. The run's own policy (``config.ties``) made
the reported numbers; this module gives, per system and language with any tied query, the range
between the pessimistic and the optimistic recall. Constant features or a collapsed model tie
every query with every item: optimistic R@1 is then 100 % and pessimistic 0 %.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .hits import policy_hits

if TYPE_CHECKING:
    import polars as pl

    from .load import LoadedRuns

_KEYS = ("dataset", "direction", "order", "method", "lang")
#: the smallest recall range (a fraction) that ties must span to be reported: 0.05 points, so
#: the range shows at the tables' one decimal
VISIBLE = 0.0005


def tie_ranges(ranks: pl.DataFrame, results: pl.DataFrame) -> pl.DataFrame:
    """One row per dataset, direction, system, language with a tied query, and k.

    Columns: the keys, ``policy`` (the run's), ``tied`` (share of the present queries that tie,
    mean over seeds), ``all_tied`` (every present query ties in every seed), ``k``,
    ``pessimistic``, ``optimistic`` and ``reported`` (R@k under the run's policy), each the mean
    over seeds of hits / n_queries. Empty when nothing ties, or when the ties of a system and
    language move none of its recalls by :data:`VISIBLE` or more.
    """
    import polars as pl

    affected = ranks.filter(pl.col("ties") > 0).select(*_KEYS).unique()
    if affected.is_empty():
        return pl.DataFrame()
    sel = ranks.join(affected, on=list(_KEYS), how="semi", nulls_equal=True)
    denominators = (
        results.filter(pl.col("metric") == "recall")
        .group_by("dataset", "direction", "lang")
        .agg(pl.col("n_queries").max().alias("n"))
    )
    ks = sorted(results.filter(pl.col("metric") == "recall")["k"].unique().drop_nulls().to_list())
    per_k = [
        sel.with_columns(
            pl.lit(k, pl.Int64).alias("k"),
            pl.Series("pessimistic", policy_hits(sel, k, "pessimistic")),
            pl.Series("optimistic", policy_hits(sel, k, "optimistic")),
            pl.Series("reported", policy_hits(sel, k)),
        )
        for k in ks
    ]
    seeds = (
        pl.concat(per_k)
        .group_by(*_KEYS, "seed", "k")
        .agg(
            pl.col("tie_policy").first().alias("policy"),
            pl.col("pessimistic", "optimistic", "reported").sum(),
            ((pl.col("ties") > 0).sum() / pl.col("rank").is_not_null().sum()).alias("tied"),
        )
        .join(denominators, on=["dataset", "direction", "lang"], how="left")
        .with_columns(pl.col("pessimistic", "optimistic", "reported") / pl.col("n"))
    )
    ranges = seeds.group_by(*_KEYS, "k").agg(
        pl.col("policy").first(),
        pl.col("tied").mean(),
        (pl.col("tied") == 1).all().alias("all_tied"),
        pl.col("pessimistic", "optimistic", "reported").mean(),
    )
    # a stray exact tie that moves no printed number (0.1 points) is not worth a warning
    visible = (pl.col("optimistic") - pl.col("pessimistic")).max().over(_KEYS) >= VISIBLE
    return ranges.filter(visible).sort("dataset", "direction", "order", "lang", "k")


def tie_warnings(
    run_dirs: list | None = None, k: int = 1, *, loaded: LoadedRuns | None = None
) -> list[str]:
    """One line per system and direction whose queries tie in a run (what ``run`` prints after
    its table): the languages and the range of R@k between pessimistic and optimistic
    tie-breaking. Every direction the run evaluated is covered (video-to-text ties among
    identical captions while text-to-video does not). ``loaded``: the runs already read."""
    import polars as pl

    from .formatting import pct
    from .load import load_runs
    from .systems import add_methods, ordered_langs

    results, ranks, _, meta = loaded if loaded is not None else load_runs(run_dirs or [])
    declared = [lang for m in meta.values() for lang in m.languages]
    teachers = [t for m in meta.values() for t in m.teachers]
    ranges = tie_ranges(add_methods(ranks, teachers), add_methods(results, teachers))
    if ranges.is_empty():
        return []
    chosen = ranges.filter(pl.col("k") == k)
    lines = []
    for (direction,), tied in chosen.group_by("direction", maintain_order=True):
        systems = []
        for (method,), part in tied.group_by("method", maintain_order=True):
            langs = ordered_langs(part["lang"].to_list(), declared)
            low, high = float(part["pessimistic"].min()), float(part["optimistic"].max())  # type: ignore[arg-type]
            systems.append((str(method), langs, low, high, bool(part["all_tied"].all())))
        policy = tied["policy"][0]
        if len(systems) > MAX_SYSTEM_LINES:
            lines.append(_summary_line(str(direction), k, systems, policy, declared))
            continue
        for method, langs, low, high, everywhere in systems:
            constant = " (every query: constant scores)" if everywhere else ""
            lines.append(
                f"warning: {method} has tied scores in {', '.join(langs)}{constant}: its "
                f"{direction} R@{k} there lies between {pct(low)} % and {pct(high)} % depending "
                f"on how ties are broken (--ties; the run used {policy})"
            )
    return lines


#: more systems than this tied in one direction get one line between them (their table is in
#: the report): a run over data with duplicate captions ties in every system
MAX_SYSTEM_LINES = 2


def _summary_line(direction: str, k: int, systems: list, policy: str, declared: list) -> str:
    """One warning for every system tied in ``direction``: how many, where, the widest range."""
    from .formatting import pct
    from .systems import ordered_langs

    langs = ordered_langs(sorted({lang for _, ls, *_ in systems for lang in ls}), declared)
    method, _, low, high, _ = max(systems, key=lambda s: s[3] - s[2])
    return (
        f"warning: {len(systems)} systems have tied scores in {direction} "
        f"({', '.join(langs)}; identical captions or clips tie): their {direction} R@{k} there "
        f"depends on how ties are broken, most for {method} (between {pct(low)} % and "
        f"{pct(high)} %); the report's table of tied systems has each (--ties; the run used "
        f"{policy})"
    )

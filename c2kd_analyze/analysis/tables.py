"""Aggregation over seeds and the paper's table layout (rows: methods; columns: languages and
their average).

The language average of a seed is the mean over all evaluated languages, English included (as the
paper's per-epoch averages); its mean and std over seeds are taken after averaging. Std is the
sample std (ddof=1), null with one seed. Recall is stored in [0, 1] and printed x100.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .systems import ordered_langs, ordered_methods

if TYPE_CHECKING:
    import polars as pl

AVG = "avg"
_GROUP = ("dataset", "method", "order", "stage", "teacher", "mode", "direction", "metric", "k")


def summarize(results: pl.DataFrame) -> pl.DataFrame:
    """Mean and std over seeds per method, language, direction, metric, k (plus ``lang = "avg"``).

    ``results`` carries the ``method``/``order`` columns of :func:`systems.add_methods`. Columns of
    the answer: the group keys, ``lang``, ``mean``, ``std``, ``n_seeds``, ``n_queries``.
    """
    import polars as pl

    avg = (
        results.group_by(*_GROUP, "seed")
        .agg(pl.col("value").mean(), pl.col("n_queries").max())
        .with_columns(pl.lit(AVG).alias("lang"))
    )
    per_lang = results.select(*_GROUP, "seed", "value", "n_queries", "lang")
    both = pl.concat([per_lang, avg.select(per_lang.columns)])
    return (
        both.group_by(*_GROUP, "lang")
        .agg(
            pl.col("value").mean().alias("mean"),
            pl.col("value").std(ddof=1).alias("std"),
            pl.col("seed").n_unique().alias("n_seeds"),
            pl.col("n_queries").max().alias("n_queries"),
        )
        .sort(
            ["dataset", "order", "mode", "teacher", "direction", "metric", "k", "lang"],
            nulls_last=False,
        )
    )


def recall_table(
    summary: pl.DataFrame,
    dataset: str,
    direction: str,
    k: int,
    langs: list[str],
    marks: dict[tuple[str, str], str] | None = None,
) -> pl.DataFrame:
    """The paper's layout as strings: ``method`` then one column per language and ``avg``.

    A cell reads ``"45.2 ± 1.1"`` (x100; ``± std`` only with several seeds) followed by its
    significance marks from ``marks[(method, lang)]``; ``"–"`` where a method lacks a language.
    """
    import polars as pl

    sel = _recall_rows(summary, dataset, direction, k)
    marks = marks or {}
    cols = [*ordered_langs(langs), AVG]
    lookup = {
        (m, lang): (mu, sd)
        for m, lang, mu, sd in sel.select("method", "lang", "mean", "std").iter_rows()
    }
    rows = []
    for method in ordered_methods(sel):
        row = {"method": method}
        for lang in cols:
            cell = lookup.get((method, lang))
            row[lang] = "–" if cell is None else format_pct(*cell) + marks.get((method, lang), "")
        rows.append(row)
    return pl.DataFrame(rows, schema={c: pl.String for c in ["method", *cols]})


def recall_table_numeric(
    summary: pl.DataFrame, dataset: str, direction: str, k: int, langs: list[str]
) -> pl.DataFrame:
    """The same layout as numbers (recall x100) for CSV: ``<lang>_mean`` and ``<lang>_std``."""
    import polars as pl

    sel = _recall_rows(summary, dataset, direction, k)
    cols = [*ordered_langs(langs), AVG]
    wide = sel.with_columns(pl.col("mean") * 100, pl.col("std") * 100).pivot(
        on="lang", index="method", values=["mean", "std"]
    )
    names = [
        f"{stat}_{lang}"
        for lang in cols
        for stat in ("mean", "std")
        if f"{stat}_{lang}" in wide.columns
    ]
    order = ordered_methods(sel)
    wide = wide.select("method", *names).sort(
        pl.col("method").replace_strict(order, list(range(len(order))))
    )
    return wide.rename({n: f"{n.split('_', 1)[1]}_{n.split('_', 1)[0]}" for n in names})


def _recall_rows(summary: pl.DataFrame, dataset: str, direction: str, k: int) -> pl.DataFrame:
    import polars as pl

    return summary.filter(
        (pl.col("dataset") == dataset)
        & (pl.col("direction") == direction)
        & (pl.col("metric") == "recall")
        & (pl.col("k") == k)
    )


def format_pct(mean: float, std: float | None) -> str:
    """``0.4521, 0.011 -> "45.2 ± 1.1"``; ``std`` None -> ``"45.2"``."""
    if std is None:
        return f"{100 * mean:.1f}"
    return f"{100 * mean:.1f} ± {100 * std:.1f}"


def to_markdown(frame: pl.DataFrame) -> str:
    """A GitHub pipe table; ``|`` inside cells is escaped."""

    def esc(value: object) -> str:
        return "" if value is None else str(value).replace("|", "\\|")

    head = "| " + " | ".join(esc(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" if i == 0 else "---:" for i in range(frame.width)) + "|"
    body = ["| " + " | ".join(esc(v) for v in row) + " |" for row in frame.iter_rows()]
    return "\n".join([head, rule, *body]) + "\n"


_LATEX_ESCAPES = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\^{}",
    "±": r"$\pm$",
    "†": r"$^\dagger$",
    "–": "--",
}


def latex_escape(text: str) -> str:
    return "".join(_LATEX_ESCAPES.get(ch, ch) for ch in text)


def to_latex(frame: pl.DataFrame, caption: str = "") -> str:
    """A booktabs ``tabular`` (needs ``\\usepackage{booktabs}``), first column left-aligned."""
    spec = "l" + "r" * (frame.width - 1)
    lines = [r"\begin{table}[t]", r"\centering"]
    if caption:
        lines.append(r"\caption{" + latex_escape(caption) + "}")
    lines += [r"\begin{tabular}{" + spec + "}", r"\toprule"]
    lines.append(" & ".join(latex_escape(c) for c in frame.columns) + r" \\")
    lines.append(r"\midrule")
    for row in frame.iter_rows():
        lines.append(" & ".join(latex_escape("" if v is None else str(v)) for v in row) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    return "\n".join(lines) + "\n"

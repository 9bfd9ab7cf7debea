"""How numbers read in tables: polars expressions (one pass over a column, no per-row Python)
and the two scalar helpers prose needs. Recall and gaps are fractions, shown x100 with one
decimal; a missing value reads "–".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

MISSING = "–"


def pct_expr(value: pl.Expr, *, signed: bool = False, decimals: int = 1, scale: float = 100.0):
    """``0.4521 -> "45.2"`` (``"+45.2"`` when signed; never ``"-0.0"``); null -> null."""

    return fixed_expr(value * scale, decimals, signed=signed)


def fixed_expr(value: pl.Expr, decimals: int, *, signed: bool = False) -> pl.Expr:
    """A number as text with exactly ``decimals`` decimals, built from integers (no float
    printing): ``2 -> "2.0"``, ``-0.04 -> "0.0"``, ``0.05, 3 -> "0.050"``."""
    import polars as pl

    unit = 10**decimals
    scaled = (value * unit).round(0).cast(pl.Int64)
    magnitude = scaled.abs()
    digits = (magnitude // unit).cast(pl.String)
    if decimals:
        frac = (magnitude % unit).cast(pl.String).str.zfill(decimals)
        digits = pl.concat_str(digits, pl.lit("."), frac)
    sign = pl.when(scaled < 0).then(pl.lit("-")).otherwise(pl.lit("+" if signed else ""))
    return pl.concat_str(sign, digits)


def mean_std_expr(mean: pl.Expr, std: pl.Expr, n_seeds: pl.Expr) -> pl.Expr:
    """``"45.2 ± 1.1"`` over several seeds, ``"45.2"`` over one (or when std is null)."""
    import polars as pl

    both = pl.concat_str(pct_expr(mean), pl.lit(" ± "), pct_expr(std))
    return pl.when((n_seeds > 1) & std.is_not_null()).then(both).otherwise(pct_expr(mean))


def interval_expr(point: pl.Expr, low: pl.Expr, high: pl.Expr, *, signed: bool = False):
    """``"45.2 [40.1, 50.3]"``: a value and its interval, x100."""
    import polars as pl

    return pl.concat_str(
        pct_expr(point, signed=signed),
        pl.lit(" ["),
        pct_expr(low, signed=signed),
        pl.lit(", "),
        pct_expr(high, signed=signed),
        pl.lit("]"),
    )


def p_expr(p: pl.Expr) -> pl.Expr:
    """``"< 0.001"`` or three decimals."""
    import polars as pl

    return pl.when(p < 0.001).then(pl.lit("< 0.001")).otherwise(fixed_expr(p, 3))


def pct(x: float | None, signed: bool = False) -> str:
    """One number for prose: ``0.452 -> "45.2"`` (``"+45.2"`` signed); None -> "–"."""
    if x is None:
        return MISSING
    value = round(100 * x, 1) + 0.0  # + 0.0 turns -0.0 into 0.0
    return f"{value:+.1f}" if signed else f"{value:.1f}"


def fmt_p(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def wide(
    long: pl.DataFrame, index: str, on: str, values: str, columns: list[str], rows: list[str]
) -> pl.DataFrame:
    """Pivot a long frame of strings to ``index`` + ``columns`` (in that order), rows in the
    order of ``rows``; a cell without a value reads "–"."""
    import polars as pl

    schema = {index: pl.String, **{c: pl.String for c in columns}}
    if long.is_empty() or not rows:
        return (
            pl.DataFrame({index: rows}, schema={index: pl.String})
            .with_columns([pl.lit(MISSING).alias(c) for c in columns])
            .cast(schema)  # type: ignore[arg-type]  # polars' stubs miss dtype classes
        )
    table = long.pivot(on=on, index=index, values=values, aggregate_function="first")
    table = table.with_columns(
        [pl.lit(None, pl.String).alias(c) for c in columns if c not in table.columns]
    )
    frame = pl.DataFrame({index: rows}, schema={index: pl.String}).join(table, on=index, how="left")
    return frame.select(index, *[pl.col(c).cast(pl.String).fill_null(MISSING) for c in columns])

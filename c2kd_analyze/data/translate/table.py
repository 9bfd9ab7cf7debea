"""The generic captions table as ``translate`` reads and rewrites it: every row and column kept,
machine translations marked in a ``translated_by`` column (the model id and revision that wrote
them); a row without a mark is a human caption and is never replaced."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ...errors import UserError
from ...lang import normalize_lang
from ..generic_files import REQUIRED, captions_path, read_raw, text_columns

if TYPE_CHECKING:
    import polars as pl

MARK = "translated_by"
_ISO = "__iso"  # the row's language as ISO 639-1 (the file keeps the user's spelling)


@dataclass(frozen=True)
class CaptionsTable:
    path: Path  # captions.parquet or captions.csv
    frame: pl.DataFrame  # every column as text, ``translated_by`` added, plus ``__iso``

    @property
    def english(self) -> pl.DataFrame:
        import polars as pl

        return self.frame.filter(pl.col(_ISO) == "en")

    def human_pairs(self, lang: str) -> set[str]:
        """Clip ids that have a human caption in ``lang``: no machine caption is added to them."""
        import polars as pl

        rows = self.frame.filter((pl.col(_ISO) == lang) & pl.col(MARK).is_null())
        return set(rows["clip_id"].to_list())

    def with_translations(self, lang: str, rows: pl.DataFrame) -> CaptionsTable:
        """The table with ``lang``'s machine rows replaced by ``rows`` (same columns)."""
        import polars as pl

        kept = self.frame.filter((pl.col(_ISO) != lang) | pl.col(MARK).is_null())
        return CaptionsTable(self.path, pl.concat([kept, rows.select(kept.columns)]))


def read_table(folder: Path) -> CaptionsTable:
    """``folder``'s captions table, read and checked as the generic reader reads it (one table,
    the required columns), every column kept, as text."""
    import polars as pl

    path = captions_path(folder)
    raw = read_raw(path)
    frame = text_columns(raw, path, raw.columns)
    if MARK not in frame.columns:
        frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(MARK))
    frame = frame.with_columns(
        pl.when(pl.col(MARK).str.strip_chars() == "").then(None).otherwise(pl.col(MARK)).alias(MARK)
    )
    codes = {raw: _lang(path, raw) for raw in frame["lang"].unique().to_list()}
    frame = frame.with_columns(
        pl.col("lang").replace_strict(codes, return_dtype=pl.String).alias(_ISO)
    )
    table = CaptionsTable(path, frame)
    if table.english.is_empty():
        raise UserError(
            f"{path}: no English captions (lang en); translate reads the English "
            "captions and writes the other languages beside them"
        )
    return table


def _lang(path: Path, raw: str | None) -> str:
    try:
        return normalize_lang(str(raw))
    except UserError as exc:
        raise UserError(f"{path}: {exc}") from None


def machine_rows(table: CaptionsTable, lang: str, translations: dict[str, str], model_id: str):
    """One row per English row of a clip without a human ``lang`` caption: the same clip, split
    and caption order (``caption_idx`` when the table has it, else the rows' order), the
    translation, and ``translated_by``; other columns empty. Column ``__english`` (dropped when
    the rows join the table) holds the English each row translates."""
    import polars as pl

    english = table.english.filter(~pl.col("clip_id").is_in(sorted(table.human_pairs(lang))))
    texts = [t or "" for t in english["caption"].to_list()]
    return english.with_columns(
        pl.lit(lang).alias("lang"),
        pl.lit(lang).alias(_ISO),
        pl.Series(
            "caption",
            [translations.get(t, "") if t.strip() else "" for t in texts],
            dtype=pl.String,
        ),
        pl.lit(model_id).alias(MARK),
        pl.Series("__english", texts, dtype=pl.String),
        *[
            pl.lit(None, dtype=pl.String).alias(c)
            for c in english.columns
            if c not in (*REQUIRED, "caption_idx", MARK, _ISO)
        ],
    )


def write_table(table: CaptionsTable) -> None:
    """Replace the table's file atomically, in its own format."""
    import io as _io

    from ... import io

    buf = _io.BytesIO()
    frame = table.frame.drop(_ISO)
    if table.path.suffix == ".parquet":
        frame.write_parquet(buf)
    else:
        frame.write_csv(buf)
    try:
        with io.atomic_path(table.path) as tmp:
            tmp.write_bytes(buf.getvalue())
    except OSError as exc:
        raise io.write_error(table.path, exc) from exc

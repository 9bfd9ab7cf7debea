"""The report as data: a list of blocks, rendered twice (:mod:`.render`: Markdown and HTML).

Inline text supports ``**bold**`` and ```code``` only.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Union

if TYPE_CHECKING:
    import polars as pl


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 2


@dataclass(frozen=True)
class Para:
    text: str


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Note:
    """A call-out: the synthetic-data warning (``warning=False``) or a warning about the numbers
    themselves (ties), drawn in red."""

    text: str
    warning: bool = False


@dataclass(frozen=True)
class Table:
    """``display``: the strings shown; ``numeric``: what goes to CSV (``display`` when None).

    ``stack``: in HTML, show each cell's bracketed part (``[40.1, 50.3]``, ``(11.3)``) on a
    second line, so wide tables of intervals stay narrow and read alike.
    """

    name: str  # file stem under tables/
    caption: str
    display: pl.DataFrame
    numeric: pl.DataFrame | None = None
    stack: bool = False


@dataclass(frozen=True)
class Figure:
    name: str  # file stem under figures/
    caption: str
    png: bytes
    svg: bytes


@dataclass(frozen=True)
class Details:
    """Blocks shown collapsed in HTML (``<details>``) under a one-line summary."""

    summary: str
    blocks: tuple[Block, ...]


Block = Union[Heading, Para, Bullets, Note, Table, Figure, Details]  # noqa: UP007 (runtime alias)


def walk(blocks: list[Block] | tuple[Block, ...]) -> Iterator[Block]:
    """Every block, depth first, including those inside :class:`Details`."""
    for block in blocks:
        yield block
        if isinstance(block, Details):
            yield from walk(block.blocks)

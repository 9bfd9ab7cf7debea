"""The report as a list of blocks, rendered twice: Markdown (figures as files) and one HTML page.

The HTML page is self-contained: CSS inline, figures as ``data:`` PNG URIs, no script, no link to
anything outside itself, so it opens offline and can be mailed as one file. Inline text supports
``**bold**`` and ```code``` only.
"""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Union

from .tables import to_markdown

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
    """A call-out (Markdown blockquote), e.g. the synthetic-data warning."""

    text: str


@dataclass(frozen=True)
class Table:
    """``display``: the strings shown; ``numeric``: what goes to CSV (``display`` when None)."""

    name: str  # file stem under tables/
    caption: str
    display: pl.DataFrame
    numeric: pl.DataFrame | None = None


@dataclass(frozen=True)
class Figure:
    name: str  # file stem under figures/
    caption: str
    png: bytes
    svg: bytes


Block = Union[Heading, Para, Bullets, Note, Table, Figure]  # noqa: UP007 (a runtime alias)

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;max-width:1200px;
margin:2em auto;padding:0 1em;color:#1d1d1f;line-height:1.45}
h1{border-bottom:2px solid #444}h2{border-bottom:1px solid #bbb;margin-top:2em}
table{border-collapse:collapse;margin:.6em 0 1.4em;font-size:.9em}
caption{caption-side:top;text-align:left;font-weight:600;padding:.3em 0}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left}thead th{background:#f0f0f3}
tbody tr:nth-child(even){background:#fafafa}
figure{margin:1em 0 2em}figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.9em;color:#555}
.note{background:#fff4d6;border-left:4px solid #e0a800;padding:.6em 1em;margin:1em 0}
code{background:#f3f3f3;padding:0 .25em;border-radius:3px}
"""


def _inline_html(text: str) -> str:
    out = html.escape(text, quote=False)
    out = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", out)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", out)


def to_markdown_doc(blocks: list[Block]) -> str:
    """Markdown; figures point at ``figures/<name>.png``, tables are inline pipe tables."""
    parts: list[str] = []
    for b in blocks:
        if isinstance(b, Heading):
            parts.append("#" * b.level + " " + b.text)
        elif isinstance(b, Para):
            parts.append(b.text)
        elif isinstance(b, Bullets):
            parts.append("\n".join(f"- {item}" for item in b.items))
        elif isinstance(b, Note):
            parts.append("> " + b.text)
        elif isinstance(b, Table):
            parts.append(f"**{b.caption}**\n\n" + to_markdown(b.display).rstrip())
        elif isinstance(b, Figure):
            parts.append(f"![{b.caption}](figures/{b.name}.png)\n\n*{b.caption}*")
    return "\n\n".join(parts) + "\n"


def to_html_doc(blocks: list[Block], title: str) -> str:
    """One self-contained HTML page."""
    body: list[str] = []
    for b in blocks:
        if isinstance(b, Heading):
            body.append(f"<h{b.level}>{_inline_html(b.text)}</h{b.level}>")
        elif isinstance(b, Para):
            body.append(f"<p>{_inline_html(b.text)}</p>")
        elif isinstance(b, Bullets):
            body.append("<ul>" + "".join(f"<li>{_inline_html(i)}</li>" for i in b.items) + "</ul>")
        elif isinstance(b, Note):
            body.append(f'<div class="note">{_inline_html(b.text)}</div>')
        elif isinstance(b, Table):
            body.append(_html_table(b))
        elif isinstance(b, Figure):
            data = base64.b64encode(b.png).decode("ascii")
            body.append(
                f'<figure id="fig-{html.escape(b.name)}"><img alt="{html.escape(b.caption)}" '
                f'src="data:image/png;base64,{data}"><figcaption>{_inline_html(b.caption)}</figcaption></figure>'
            )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


def _html_table(t: Table) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in t.display.columns)
    rows = "".join(
        "<tr>"
        + "".join(f"<td>{'' if v is None else html.escape(str(v))}</td>" for v in row)
        + "</tr>"
        for row in t.display.iter_rows()
    )
    return (
        f'<table id="table-{html.escape(t.name)}"><caption>{_inline_html(t.caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
    )

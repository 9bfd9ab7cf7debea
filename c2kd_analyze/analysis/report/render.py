"""The report's blocks rendered twice: Markdown (figures as files) and one HTML page.

The HTML page is self-contained: CSS inline, figures as ``data:`` PNG URIs, no script, no link to
anything outside itself, so it opens offline and can be mailed as one file. Wide tables wrap
rather than overflow: a cell may break before ``±`` or ``[`` (never inside ``± 1.1`` or
``[40.1, 50.3]``), so at 1400 px even nine languages and their average fit the page. Collapsed
parts (:class:`.blocks.Details`) are ``<details>`` elements, which GitHub renders too.
"""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

from ...layout import RunFolder
from ..export import to_markdown
from ..plots import PAGE_PX
from .blocks import Block, Bullets, Figure, Heading, Note, Para, Table

FIGURES = RunFolder(Path(".")).figures_dir.name  # the Markdown links figures relatively
CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;max-width:1240px;
margin:2em auto;padding:0 1em;color:#1d1d1f;line-height:1.45}
p,ul,.note{max-width:70em}
h1{border-bottom:2px solid #444}h2{border-bottom:1px solid #bbb;margin-top:2em}
table{border-collapse:collapse;margin:.6em 0 1.4em;font-size:.88em}
caption{caption-side:top;text-align:left;font-weight:600;padding:.3em 0}
th,td{border:1px solid #ccc;padding:.2em .5em;text-align:right;vertical-align:top}
th:first-child,td:first-child,td.t{text-align:left}
th:first-child,td:first-child{max-width:16em;overflow-wrap:break-word}
.sub{display:block;font-size:.85em;color:#555}
thead th{background:#f0f0f3}tbody tr:nth-child(even){background:#fafafa}
figure{margin:1em 0 2em}figure img{max-width:min(100%,PAGE_PXpx);height:auto;border:1px solid #eee}
figcaption{font-size:.9em;color:#555}
.note{background:#fff4d6;border-left:4px solid #e0a800;padding:.6em 1em;margin:1em 0}
.warning{background:#fde2e1;border-left:6px solid #c62828;font-size:1.05em}
details{margin:.4em 0;border:1px solid #ddd;border-radius:4px;padding:.3em .8em}
summary{cursor:pointer;font-weight:600}
code{background:#f3f3f3;padding:0 .25em;border-radius:3px}
""".replace("PAGE_PX", str(PAGE_PX))  # figures are drawn this wide at most: shown unscaled

#: spaces that must not break in a table cell: inside "± 1.1", "[40.1, 50.3]", "< 0.001"
_KEEP = re.compile(r"(?<=±) |(?<=,) (?=[-+]?\d)|(?<=<) ")
#: a cell that reads as a number (right-aligned); anything else is text (left-aligned)
_NUMBER = re.compile(r"^([-+<]?\s?\d|–$)")
#: the bracketed second part of a cell: " [40.1, 50.3]" or " (11.3)"
_SECOND = re.compile(r" (?=[\[(])")


def _inline_html(text: str) -> str:
    out = html.escape(text, quote=False)
    out = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", out)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", out)


def to_markdown_doc(blocks: list[Block]) -> str:
    """Markdown; figures point at ``figures/<name>.png``, tables are inline pipe tables."""
    return "\n\n".join(_markdown(b) for b in blocks) + "\n"


def _markdown(b: Block) -> str:
    if isinstance(b, Heading):
        return "#" * b.level + " " + b.text
    if isinstance(b, Para):
        return b.text
    if isinstance(b, Bullets):
        return "\n".join(f"- {item}" for item in b.items)
    if isinstance(b, Note):
        return "> " + ("**Warning.** " if b.warning else "") + b.text
    if isinstance(b, Table):
        return f"**{b.caption}**\n\n" + to_markdown(b.display).rstrip()
    if isinstance(b, Figure):
        return f"![{b.caption}]({FIGURES}/{b.name}.png)\n\n*{b.caption}*"
    inner = "\n\n".join(_markdown(x) for x in b.blocks)
    return f"<details><summary>{html.escape(b.summary)}</summary>\n\n{inner}\n\n</details>"


def to_html_doc(blocks: list[Block], title: str) -> str:
    """One self-contained HTML page."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>\n"
        + "\n".join(_html(b) for b in blocks)
        + "\n</body></html>\n"
    )


def _html(b: Block) -> str:
    if isinstance(b, Heading):
        return f"<h{b.level}>{_inline_html(b.text)}</h{b.level}>"
    if isinstance(b, Para):
        return f"<p>{_inline_html(b.text)}</p>"
    if isinstance(b, Bullets):
        return "<ul>" + "".join(f"<li>{_inline_html(i)}</li>" for i in b.items) + "</ul>"
    if isinstance(b, Note):
        kind = "note warning" if b.warning else "note"
        return f'<div class="{kind}">{_inline_html(b.text)}</div>'
    if isinstance(b, Table):
        return _html_table(b)
    if isinstance(b, Figure):
        data = base64.b64encode(b.png).decode("ascii")
        return (
            f'<figure id="fig-{html.escape(b.name)}"><img alt="{html.escape(b.caption)}" '
            f'src="data:image/png;base64,{data}"><figcaption>{_inline_html(b.caption)}'
            "</figcaption></figure>"
        )
    inner = "\n".join(_html(x) for x in b.blocks)
    return f"<details><summary>{_inline_html(b.summary)}</summary>\n{inner}\n</details>"


def _cell(value: object, stack: bool) -> str:
    text = "" if value is None else str(value)
    parts = _SECOND.split(text, maxsplit=1) if stack else [text]
    inner = html.escape(_KEEP.sub("\u00a0", parts[0]))
    if len(parts) == 2:
        inner += f'<span class="sub">{html.escape(_KEEP.sub(chr(0xA0), parts[1]))}</span>'
    kind = "" if not text or _NUMBER.match(text) else ' class="t"'
    return f"<td{kind}>{inner}</td>"


def _html_table(t: Table) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in t.display.columns)
    rows = "".join(
        "<tr>" + "".join(_cell(v, t.stack and i > 0) for i, v in enumerate(row)) + "</tr>"
        for row in t.display.iter_rows()
    )
    return (
        f'<table id="table-{html.escape(t.name)}"><caption>{_inline_html(t.caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
    )

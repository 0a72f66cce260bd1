"""Markdown, HTML and JSON renderings of one report (see `data.build_report`)."""

from __future__ import annotations

import json
from typing import Any

from operator_ai.escaping import html as escape
from operator_ai.escaping import one_line
from operator_ai.report.sections import Section, heading, sections
from operator_ai.report.svg import chart

_CSS = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}"
        "table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #d0d4da;padding:4px 8px;"
        "text-align:left;font-size:13px}th{background:#f2f4f7}.note{color:#555;font-size:13px}")


def _md_cell(text: str) -> str:
    return one_line(text).replace("|", "\\|")


def _md_table(section: Section) -> list[str]:
    if not section.rows:
        return [f"_{section.empty}_", ""]
    lines = ["| " + " | ".join(section.columns) + " |", "|" + "---|" * len(section.columns)]
    lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in section.rows]
    return [*lines, ""]


def render_markdown(report: dict[str, Any]) -> str:
    title, subtitle = heading(report)
    lines = [f"# {title}", "", subtitle, ""]
    for section in sections(report):
        lines += [f"## {section.title}", ""]
        if section.title == "Over time":
            lines += [chart(report["timeline"]), ""]
        lines += _md_table(section)
        if section.note:
            lines += [f"_{section.note}_", ""]
    return "\n".join(lines)


def _html_table(section: Section) -> str:
    if not section.rows:
        return f'<p class="note">{escape(section.empty)}</p>'
    head = "".join(f"<th>{escape(c)}</th>" for c in section.columns)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in section.rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(report: dict[str, Any]) -> str:
    title, subtitle = heading(report)
    body = [f"<h1>{escape(title)}</h1>", f'<p class="note">{escape(subtitle)}</p>']
    for section in sections(report):
        body.append(f"<h2>{escape(section.title)}</h2>")
        if section.title == "Over time":
            body.append(chart(report["timeline"]))
        body.append(_html_table(section))
        if section.note:
            body.append(f'<p class="note">{escape(section.note)}</p>')
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>\n" + "\n".join(body) +
            "\n</body></html>\n")


def render_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, sort_keys=True)


RENDERERS = {"md": render_markdown, "html": render_html, "json": render_json}

"""`operator report`: the weekly report — actions by status and type, success rate, measured impact,
rollbacks, pending approvals and experiments — as Markdown, HTML (with an inline SVG chart) or JSON."""

from operator_ai.report.data import build_report
from operator_ai.report.render import RENDERERS, render_html, render_json, render_markdown

__all__ = ["RENDERERS", "build_report", "render_html", "render_json", "render_markdown"]

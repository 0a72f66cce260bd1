"""Deterministic content: the Markdown templates in `operator_ai/templates/` and the writer that fills them.

Templates are data (string.Template syntax) so wording changes need no code change; the golden tests pin
the output. Claude-written briefs go through the same `render_brief`, so every brief has one shape and
model text never reaches the page unbounded or as raw structure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import Path
from string import Template
from typing import Any
from urllib.parse import urlparse

TEMPLATES_DIR = Path(str(files("operator_ai") / "templates"))  # package data (installed with the wheel)

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_SPACES = re.compile(r"\s+")


def inline(value: Any, limit: int = 300) -> str:
    """One line of plain text: control characters and newlines collapsed, length capped at a word."""
    text = _SPACES.sub(" ", _CONTROL.sub(" ", str(value or ""))).strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return (cut or text[: limit - 1]) + "…"


def cell(value: Any, limit: int = 300) -> str:
    """Inline text safe inside a Markdown table cell."""
    return inline(value, limit).replace("|", "\\|")


@cache
def _read(directory: Path, name: str) -> str:
    return (directory / name).read_text(encoding="utf-8")


class TemplateSet:
    """Loads and fills the named templates of one directory (cached; missing placeholders raise)."""

    def __init__(self, directory: Path | None = None):
        self.directory = directory or TEMPLATES_DIR

    def render(self, name: str, **values: str) -> str:
        return Template(_read(self.directory, name)).substitute(values).rstrip() + "\n"

    def lines(self, name: str) -> list[str]:
        """Non-empty lines that are not `#` comments (pattern lists)."""
        return [line.strip() for line in _read(self.directory, name).splitlines()
                if line.strip() and not line.lstrip().startswith("#")]

    def phrases(self, name: str) -> dict[str, str]:
        """`key: text` lines (comments skipped)."""
        found: dict[str, str] = {}
        for line in self.lines(name):
            key, _, text = line.partition(":")
            found[key.strip()] = text.strip()
        return found


def subject_of(key: str, inputs: Mapping[str, Any]) -> str:
    """What the piece is about: the keyword, else the topic, else words from the page's URL slug."""
    for name in ("keyword", "topic"):
        if inputs.get(name):
            return inline(inputs[name], 120)
    parsed = urlparse(key)
    if parsed.scheme in ("http", "https"):
        slug = [part for part in parsed.path.split("/") if part]
        words = re.sub(r"[-_]+", " ", re.sub(r"\.\w+$", "", slug[-1])) if slug else parsed.hostname or key
        return inline(words, 120)
    return inline(key, 120)


@dataclass(frozen=True)
class OutlineSection:
    heading: str
    points: tuple[str, ...] = ()


@dataclass(frozen=True)
class BriefPlan:
    """The structured content of a brief, whoever wrote it."""

    title: str
    page: str
    primary_keyword: str
    audience: str
    goal: str
    secondary_keywords: tuple[str, ...]
    outline: tuple[OutlineSection, ...]
    internal_links: tuple[tuple[str, str], ...] = ()  # (url, anchor)
    writer: str = "template"
    extra: dict[str, Any] = field(default_factory=dict)

    def data(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("extra")
        data["outline"] = [{"heading": s.heading, "points": list(s.points)} for s in self.outline]
        data["secondary_keywords"] = list(self.secondary_keywords)
        data["internal_links"] = [{"url": url, "anchor": anchor} for url, anchor in self.internal_links]
        return {**data, **self.extra}


def link_candidates(inputs: Mapping[str, Any]) -> list[tuple[str, str]]:
    """`link_candidates` as (url, anchor): plain URL strings or {url, anchor} objects; junk is skipped."""
    found: list[tuple[str, str]] = []
    for item in inputs.get("link_candidates") or ():
        url, anchor = (item.get("url"), item.get("anchor")) if isinstance(item, Mapping) else (item, None)
        if isinstance(url, str) and re.match(r"^https?://[^\s<>\"']{1,2000}$", url):
            found.append((url, inline(anchor, 120) if anchor else subject_of(url, {})))
    return found


def template_brief(key: str, inputs: Mapping[str, Any]) -> BriefPlan:
    """A deterministic brief from the action's params (keyword, audience, notes) and the opportunity."""
    subject = subject_of(key, inputs)
    primary = subject.casefold()
    audience = inline(inputs.get("audience"), 200) or f"Readers researching {primary}"
    goal = inline(inputs.get("notes"), 1200) or inline(inputs.get("rationale"), 1200) or (
        f"Answer the questions people ask about {primary} better than the pages ranking today, "
        "and give the reader one clear next step.")
    outline = (
        OutlineSection(f"{primary[0].upper() + primary[1:]} in plain words",
                       ("Define it in one or two sentences; say what it covers and what it does not.",
                        f"Speak to the audience: {audience}.")),
        OutlineSection("Why it matters now",
                       ("Tie it to the reader's goal or problem.", "Add one current number with its source.")),
        OutlineSection("How to get started",
                       ("Three to five concrete steps, in order.", "A short example for each step.")),
        OutlineSection("Common mistakes to avoid", ("The two or three errors readers make most often.",)),
        OutlineSection("Next step", ("One call to action that fits the page.",)),
    )
    return BriefPlan(
        title=f"Content brief: {subject}",
        page=key if key.startswith(("http://", "https://")) else "new page",
        primary_keyword=primary,
        audience=audience,
        goal=goal,
        secondary_keywords=(f"{primary} guide", f"{primary} examples", f"{primary} best practices",
                            f"{primary} checklist"),
        outline=outline,
        internal_links=tuple(link_candidates(inputs)),
    )


def render_brief(plan: BriefPlan, templates: TemplateSet) -> str:
    keywords = [f"- Primary: {plan.primary_keyword}"] + [f"- {kw}" for kw in plan.secondary_keywords]
    outline: list[str] = []
    for number, section in enumerate(plan.outline, start=1):
        outline.append(f"{number}. **{section.heading}**")
        outline.extend(f"   - {point}" for point in section.points)
    links = ([f"- [{anchor}]({url})" for url, anchor in plan.internal_links]
             or ["- No internal link candidates were supplied: add two or three links to closely related pages."])
    return templates.render(
        "content_brief.md", title=plan.title, page=cell(plan.page, 2000), primary_keyword=cell(plan.primary_keyword),
        audience=cell(plan.audience), writer=plan.writer, goal=plan.goal, keywords="\n".join(keywords),
        outline="\n".join(outline), internal_links="\n".join(links))


class TemplateContentWriter:
    """`ContentWriter` without a model: deterministic and always available."""

    def __init__(self, templates: TemplateSet | None = None):
        self.templates = templates or TemplateSet()

    def write(self, kind: str, key: str, inputs: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
        if kind == "content_brief":
            plan = template_brief(key, inputs)
            return plan.title, render_brief(plan, self.templates), plan.data()
        if kind == "internal_links":
            return self.links(key, inputs.get("links") or ())
        if kind == "refresh_flag":
            return self.refresh(key, inputs.get("reason"))
        raise ValueError(f"unknown content artifact kind {kind!r}")

    def links(self, key: str, links: Sequence[Any]) -> tuple[str, str, dict[str, Any]]:
        clean = [{"from_url": inline(item.get("from_url"), 2000), "to_url": inline(item.get("to_url"), 2000),
                  "anchor": inline(item.get("anchor"), 200)} for item in links if isinstance(item, Mapping)]
        if not clean:
            raise ValueError("internal_links needs at least one {from_url, to_url, anchor} link")
        rows = "\n".join(f"| {cell(link['from_url'], 2000)} | {cell(link['to_url'], 2000)} | {cell(link['anchor'])} |"
                         for link in clean)
        body = self.templates.render("internal_links.md", page=inline(key, 2000), count=str(len(clean)), rows=rows)
        title = f"Internal link suggestions: {inline(key, 200)}"
        return title, body, {"links": clean, "count": len(clean), "writer": "template"}

    def refresh(self, key: str, reason: Any) -> tuple[str, str, dict[str, Any]]:
        text = inline(reason, 2000)
        if not text:
            raise ValueError("refresh_flag needs a reason")
        body = self.templates.render("refresh_flag.md", page=inline(key, 2000), reason=text)
        return f"Refresh: {inline(key, 200)}", body, {"url": key, "reason": text, "writer": "template"}

"""The one escaping module (operator_ai.escaping): hostile outside text stays inert on every surface."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console
from rich.text import Text

from operator_ai.escaping import html, plain, slack, terminal

HOSTILE = "[/oops] [link=https://evil.example]x[/link] \x1b]8;;https://e.example\x07y\x1b]8;;\x07 \u202e<b>&"


def _rendered(markup: str) -> str:
    console = Console(force_terminal=True, width=1000, highlight=False)
    with console.capture() as capture:
        console.print(markup)
    return capture.get()


@given(st.text(max_size=80))
def test_terminal_shows_any_text_literally(text: str) -> None:
    def render(value: str | Text) -> str:
        console = Console(force_terminal=False, width=100000, soft_wrap=True, highlight=False)
        with console.capture() as capture:
            console.print(value, end="")
        return capture.get()

    assert render(terminal(text)) == render(Text(plain(text)))


def test_terminal_makes_no_link_and_no_escape_sequence() -> None:
    shown = _rendered(terminal(HOSTILE))
    assert "[link=https://evil.example]x[/link]" in shown and "[/oops]" in shown
    assert "\x1b]8;" not in shown and "\u202e" not in shown


def test_html_escapes_markup_and_quotes() -> None:
    assert html('<script>"x" & \'y\'</script>\x1b') == "&lt;script&gt;&#34;x&#34; &amp; &#39;y&#39;&lt;/script&gt;"


def test_slack_breaks_links_and_mentions() -> None:
    text = slack("<!channel> <@U123> <https://evil.example|ok> @here @Everyone a & b")
    assert "<" not in text and ">" not in text and "&lt;!channel&gt;" in text and "a &amp; b" in text
    assert "@here" not in text and "@\u200bhere" in text and "@\u200bEveryone" in text

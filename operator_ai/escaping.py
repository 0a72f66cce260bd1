"""Outside text (opportunities, platforms, models) made inert for where a person reads it.

One module, used by every surface: the terminal (rich markup escaped, control and escape sequences
removed), HTML (markupsafe, the escaper Jinja2's autoescape uses) and Slack (`&`, `<`, `>` as Slack's
docs ask, broadcast mentions broken). A title such as `[/oops]`, `[link=https://…]`, `\x1b]8;;…`,
`<!channel>` or `<script>` is shown as the characters it is, never acted on.
"""

from __future__ import annotations

import re
from typing import Any

# C0 controls but tab and newline, DEL, C1 controls (ESC starts terminal sequences, OSC 8 makes links),
# and the bidirectional overrides/isolates that reorder what is shown ("Trojan Source").
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_BROADCAST = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)


def plain(value: Any) -> str:
    """The text without control characters (tab and newline kept); None is empty."""
    if value is None:
        return ""
    return _CONTROLS.sub("", value if isinstance(value, str) else str(value))


def one_line(value: Any) -> str:
    return " ".join(plain(value).split())


def terminal(value: Any) -> str:
    """For rich's console.print with markup on: the value shows literally, never as markup or a link."""
    from rich.markup import escape

    return escape(plain(value))


def html(value: Any) -> str:
    """For HTML text or a quoted attribute (what Jinja2 autoescape does), control characters removed."""
    from markupsafe import escape

    return str(escape(plain(value)))


def slack(value: Any) -> str:
    """For Slack mrkdwn: `&`, `<`, `>` escaped (so no `<!channel>`, `<@U…>` or `<url|text>` forms) and
    plain-text broadcasts (`@channel`, `@here`, `@everyone`) broken with a zero-width space."""
    text = plain(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST.sub("@\u200b\\1", text)

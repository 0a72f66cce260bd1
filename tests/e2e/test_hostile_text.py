"""Issue 13.4: opportunity text is shown, never read as terminal markup or escape sequences.

Hostile titles, topics and action types go in through OPERATOR_OPPORTUNITIES_FILE; `run`, `plan`, `log`,
`explain` and `content list/show` through the installed console script must all work and show the text
literally. FORCE_COLOR makes rich behave as on a terminal (where `[link=…]` would become a live link).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from operator_ai.settings import SAMPLES_DIR

OPERATOR = Path(sys.executable).with_name("operator")
LINK = "[link=https://evil.example]click me[/link]"
TITLE = f"[/oops] {LINK} \x1b]0;pwned\x07 \x1b]8;;https://evil.example\x07osc\x1b]8;;\x07 \u202eevil"


def _sample(opportunity_id: str) -> dict[str, object]:
    for line in (SAMPLES_DIR / "opportunities.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line) if line.startswith("{") else None
        if isinstance(row, dict) and row.get("opportunity_id") == opportunity_id:
            return row
    raise AssertionError(opportunity_id)


def test_hostile_opportunity_text_is_shown_literally(tmp_path: Path) -> None:
    brief = {**_sample("opp-acme-007"), "opportunity_id": "opp-hostile-brief", "title": TITLE}
    brief["action"] = {**brief["action"], "target": {"topic": TITLE}}  # type: ignore[dict-item]
    pause = {**_sample("opp-acme-001"), "opportunity_id": "opp-hostile-pause", "title": TITLE}
    pause["action"] = {"type": "pause_campaign", "target": {"customer_id": "1234567890", "campaign_id": "117"},
                       "params": {}}
    bad_type = {**_sample("opp-acme-001"), "opportunity_id": "opp-hostile-type", "title": "[/oops]",
                "action": {"type": "[/oops]", "target": {}, "params": {}}}
    hostile = tmp_path / "hostile.jsonl"
    hostile.write_text("".join(json.dumps(o) + "\n" for o in (brief, pause, bad_type)), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPERATOR_", "ANTHROPIC_"))}
    env.update(OPERATOR_HOME=str(tmp_path / "home"), OPERATOR_OPPORTUNITIES_FILE=str(hostile), FORCE_COLOR="1")
    outputs: list[str] = []

    def operator(*args: str) -> str:
        done = subprocess.run([str(OPERATOR), *args], env=env, capture_output=True, text=True, timeout=120,
                              check=False)
        assert done.returncode == 0, (args, done.stdout[-1500:], done.stderr[-1500:])
        outputs.append(done.stdout + done.stderr)
        return done.stdout

    assert "[/oops]" in operator("run")  # the rejected type is shown as it is, after the run executed
    log = json.loads(operator("log", "--json"))
    by_opportunity = {r["opportunity_id"]: r for r in log}
    assert by_opportunity["opp-hostile-brief"]["status"] == "EXECUTED"
    assert by_opportunity["opp-hostile-type"]["status"] == "REJECTED_INPUT"
    operator("plan")
    operator("log")
    explained = operator("explain", "opp-hostile-pause")
    assert f"opportunity: [/oops] {LINK}" in explained
    operator("explain", "opp-hostile-type")
    assert "[/oops]" in operator("content", "list")
    shown = operator("content", "show", by_opportunity["opp-hostile-brief"]["action_id"])
    assert LINK in shown.splitlines()[0]
    for text in outputs:  # no escape sequence from the input reaches the terminal: no OSC title or hyperlink
        assert "\x1b]" not in text and "\u202e" not in text and "pwned\x07" not in text

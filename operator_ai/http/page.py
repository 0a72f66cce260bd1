"""The approval page: plain HTML, no scripts, every value escaped (opportunity text is hostile input).

Written for a marketing manager, not an engineer: what changes, why they are asked, what happens if it
goes wrong, how long they have, and two buttons. The engineering detail (every rule with its numbers,
ids, the plan hash) is there, folded away.
"""

from __future__ import annotations

import json
from typing import Any

from operator_ai.escaping import html

PLATFORM_NAMES = {"google_ads": "Google Ads", "activecampaign": "ActiveCampaign", "content": "Website content"}
STATUS_TITLES = {
    "EXECUTED": "Approved and done",
    "REJECTED": "Rejected",
    "MANUAL": "Approved: a person on your team will do it",
    "BLOCKED": "Approved, but not done",
    "FAILED": "Approved, but the change failed",
    "UNCERTAIN": "Approved: the platform's answer was unclear",
}

CSS = """
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1f2933;
 background:#f4f6f8}
header.top{display:flex;gap:16px;align-items:center;padding:12px 24px;background:#1f2933;color:#fff}
header.top .brand{font-weight:700;font-size:18px}
header.top .who{margin-left:auto;font-size:14px;opacity:.9}
.mode{font-size:12px;font-weight:700;letter-spacing:.05em;padding:2px 8px;border-radius:4px;background:#2f80ed}
.mode.LIVE{background:#d64545}
main{max-width:900px;margin:0 auto;padding:24px}
h1{font-size:26px;margin:8px 0}
.lead{color:#52606d;margin-top:0}
.card{background:#fff;border-radius:10px;box-shadow:0 1px 3px rgba(0,0,0,.12);padding:20px 24px;margin:20px 0}
.card h2{font-size:21px;margin:0 0 6px}
.chips{display:flex;flex-wrap:wrap;gap:8px;margin-bottom:8px}
.chip{font-size:13px;padding:2px 10px;border-radius:12px;background:#e4e7eb}
.chip.time{background:#fff3c4}
.chip.expired{background:#f8d7da}
.card h3{font-size:15px;text-transform:uppercase;letter-spacing:.04em;color:#52606d;margin:18px 0 6px}
table{border-collapse:collapse;width:100%;font-size:15px}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #e4e7eb;vertical-align:top}
th{color:#52606d;font-weight:600}
td.after{font-weight:700;color:#0b6e4f}
.why li{margin:4px 0}
.nums{display:block;color:#52606d;font-size:14px}
.meta,.fine{color:#7b8794;font-size:13px}
.fine{margin-top:14px;word-break:break-all}
.outcome-allow{color:#0b6e4f}.outcome-needs_approval{color:#b76e00;font-weight:700}
.outcome-block{color:#c92a2a;font-weight:700}
details{margin-top:14px}
summary{cursor:pointer;color:#2f80ed}
form.decide{display:flex;gap:12px;margin-top:18px}
button{font:inherit;font-weight:600;border:0;border-radius:6px;padding:10px 22px;cursor:pointer}
button.approve{background:#0b6e4f;color:#fff}
button.reject{background:#e4e7eb;color:#1f2933}
.notice{padding:14px 18px;border-radius:8px;background:#fff;border-left:6px solid #2f80ed}
.notice.bad{border-color:#c92a2a}.notice.good{border-color:#0b6e4f}
a{color:#2f80ed}
"""


def e(value: Any) -> str:
    """Escape anything for HTML text or a quoted attribute (`operator_ai.escaping.html`)."""
    if value is None:
        return "—"
    if isinstance(value, dict | list | tuple):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return html(value)


def _value(value: Any) -> str:
    return "not set" if value is None else e(value)


def _label(key: str) -> str:
    return key.replace("_", " ")


def _numbers(observed: dict[str, Any]) -> str:
    parts = [f"{e(_label(k))}: {e(v if not isinstance(v, list | dict) or len(str(v)) < 160 else '…')}"
             for k, v in observed.items()]
    return " · ".join(parts)


def document(title: str, body: str, nonce: str, *, mode: str, who: str | None) -> str:
    who_html = f'<div class="who">{who}</div>' if who else ""
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{e(title)}</title>'
            f'<style nonce="{e(nonce)}">{CSS}</style></head><body>'
            f'<header class="top"><div class="brand">Operator</div><div class="mode {e(mode)}">{e(mode)}</div>'
            f"{who_html}</header><main>{body}</main></body></html>")


def signed_in(approver: str, org_name: str) -> str:
    return f"Signed in as <b>{e(approver)}</b> for <b>{e(org_name)}</b>"


def _changes(view: dict[str, Any]) -> str:
    where = " · ".join(x for x in (e(PLATFORM_NAMES.get(view["platform"] or "", view["platform"])),
                                   e(view["entity"]) if view["entity"] else "") if x)
    if view["manual"]:
        return (f"<p>{where}</p><p>This kind of change is never made by the Operator. Approving hands it to a "
                "person on your team, who makes it by hand.</p>" + _params(view))
    if not view["changes"]:
        return f"<p>{where}</p>" + _params(view)
    rows = "".join(f'<tr><td>{e(_label(c["field"]))}</td><td>{_value(c["before"])}</td>'
                   f'<td class="after">{_value(c["after"])}</td></tr>' for c in view["changes"])
    return f"<p>{where}</p><table class=\"changes\"><tr><th>Setting</th><th>Now</th><th>After</th></tr>{rows}</table>"


def _params(view: dict[str, Any]) -> str:
    items = {**view["target"], **view["params"]}
    if not items:
        return ""
    rows = "".join(f"<tr><td>{e(_label(k))}</td><td>{e(v)}</td></tr>" for k, v in items.items())
    return f'<table class="changes"><tr><th>Detail</th><th>Value</th></tr>{rows}</table>'


def _why(view: dict[str, Any]) -> str:
    items = [f"<li><b>{e(_label(r['rule_id']))}</b>: {e(r['message'])}"
             f'<span class="nums">{_numbers(r.get("observed") or {})}</span></li>' for r in view["needs_approval"]]
    if view["blocking"]:
        items += [f"<li><b>{e(_label(r['rule_id']))}</b> (blocks): {e(r['message'])}</li>" for r in view["blocking"]]
    if not items:
        items = [f"<li>{e(view['summary'])}</li>"]
    return f'<ul class="why">{"".join(items)}</ul>'


def _reasoning(view: dict[str, Any]) -> str:
    meta = []
    if view["confidence"] is not None:
        meta.append(f"confidence {e(view['confidence'])}")
    if view["scout_approved_by"]:
        meta.append(f"approved in Scout by {e(view['scout_approved_by'])}")
    if view["proposed_by"]:
        meta.append(f"action proposed by {e(view['proposed_by'])}")
    return (f"<p>{e(view['rationale'] or 'No reasoning was given.')}</p>"
            f'<p class="meta">{" · ".join(meta)}</p>')


def _rollback(view: dict[str, Any]) -> str:
    plan = view["rollback"]
    if plan is None:
        return "<p>Nothing for the Operator to undo: it does not make this change itself.</p>"
    kind = {"full": "Fully reversible.", "partial": "Partly reversible.",
            "none": "Not reversible: once done, it cannot be undone."}.get(plan["reversibility"], "")
    back = ", ".join(f"{e(_label(c['field']))} back to {_value(c['before'])}" for c in view["changes"])
    text = f"<p>{e(kind)} " + (f"Rolling back puts {back}.</p>" if back and plan["reversibility"] != "none"
                               else "</p>")
    text += "".join(f"<p>Cannot be undone: {e(part)}</p>" for part in plan.get("irreversible_parts") or ())
    if plan.get("note"):
        text += f'<p class="meta">{e(plan["note"])}</p>'
    return text


def _all_rules(view: dict[str, Any]) -> str:
    if not view["rules"]:
        return ""
    rows = "".join(
        f'<tr><td>{e(_label(r["rule_id"]))}</td><td class="outcome-{e(r["outcome"])}">{e(_label(r["outcome"]))}'
        f'</td><td>{e(r["message"])}<span class="nums">{_numbers(r.get("observed") or {})}</span></td></tr>'
        for r in view["rules"] if r.get("applies", True))
    skipped = sum(1 for r in view["rules"] if not r.get("applies", True))
    note = f'<p class="meta">{skipped} rules do not concern this kind of action.</p>' if skipped else ""
    return (f"<details><summary>Every rule checked ({len(view['rules']) - skipped})</summary>"
            f"<table><tr><th>Rule</th><th>Result</th><th>Numbers</th></tr>{rows}</table>{note}</details>")


def card(view: dict[str, Any], hidden: dict[str, str]) -> str:
    fields = "".join(f'<input type="hidden" name="{e(k)}" value="{e(v)}">' for k, v in hidden.items())
    approve = "Approve (a person does it)" if view["manual"] else "Approve and run"
    time_class = "chip expired" if view["seconds_left"] <= 0 else "chip time"
    return (
        f'<article class="card" id="{e(view["action_id"])}">'
        f"<h2>{e(view['title'])}</h2>"
        f'<div class="chips"><span class="chip">{e(_label(view["action_type"] or "action"))}</span>'
        f'<span class="{time_class}">{e(view["time_left"])} left to decide</span></div>'
        f"<h3>What will change</h3>{_changes(view)}"
        f"<h3>Why you are asked</h3>{_why(view)}"
        f"<h3>Scout's reasoning</h3>{_reasoning(view)}"
        f"<h3>If it goes wrong</h3>{_rollback(view)}"
        f"{_all_rules(view)}"
        f'<form method="post" class="decide">{fields}'
        f'<input type="hidden" name="action_id" value="{e(view["action_id"])}">'
        f'<input type="hidden" name="plan_hash" value="{e(view["plan_hash"])}">'
        f'<button type="submit" name="decision" value="approve" class="approve">{approve}</button>'
        '<button type="submit" name="decision" value="reject" class="reject">Reject</button></form>'
        f'<p class="fine">Action {e(view["action_id"])} · plan {e(view["plan_hash"][:16])} · '
        f"asked {e(view['requested_at'][:16].replace('T', ' '))} UTC</p></article>")


def list_page(views: list[dict[str, Any]], hidden: dict[str, str]) -> str:
    if not views:
        return ('<h1>Nothing waits for you</h1><p class="lead">No action needs a decision right now. '
                "When the Operator meets a change that needs a person, it appears here.</p>")
    heading = "1 action waits for your decision" if len(views) == 1 else f"{len(views)} actions wait for your decision"
    return (f"<h1>{heading}</h1><p class=\"lead\">Each one was checked against the guardrails. Approving runs it "
            "now, after checking again that nothing changed since. A rule that blocks an action cannot be "
            "overridden by an approval.</p>" + "".join(card(v, hidden) for v in views))


def link_page(view: dict[str, Any] | None, hidden: dict[str, str], approver: str) -> str:
    if view is None:
        return notice("This decision is already made",
                      "The action was decided, expired, or replaced by a newer plan. Nothing more to do here.")
    return (f"<h1>Your decision, {e(approver)}</h1><p class=\"lead\">You decide this one action, once, as the "
            "signed-in approver.</p>" + card(view, hidden))


def result_page(status: str, message: str, action: str, action_id: str, back: bool) -> str:
    good = status in {"EXECUTED", "REJECTED", "MANUAL"}
    title = STATUS_TITLES.get(status, status)
    undo = (f'<p class="meta">Changed your mind? Roll it back with <code>operator rollback {e(action_id)}</code>.</p>'
            if status == "EXECUTED" else "")
    link = '<p><a href="?">Back to pending approvals</a></p>' if back else ""
    return (f'<div class="notice {"good" if good else "bad"}"><h1>{e(title)}</h1><p><b>{e(action)}</b></p>'
            f"<p>{e(message)}</p>{undo}</div>{link}")


def notice(title: str, message: str, bad: bool = False) -> str:
    return f'<div class="notice{" bad" if bad else ""}"><h1>{e(title)}</h1><p>{e(message)}</p></div>'

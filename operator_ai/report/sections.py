"""The report as a list of titled tables: what both the Markdown and the HTML renderer show, so the two
formats never disagree about content (only about markup)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Section:
    title: str
    columns: list[str]
    rows: list[list[str]]
    note: str = ""
    empty: str = "none"
    extra: dict[str, Any] = field(default_factory=dict)


def _pct(value: Any) -> str:
    return "n/a" if value is None else f"{float(value) * 100:.0f} %"


def _num(values: dict[str, Any], *keys: str) -> str:
    return ", ".join(f"{k} {values[k]}" for k in keys if values.get(k) is not None) or "–"


def _p(value: Any) -> str:
    if value is None:
        return ""
    return "<1e-06" if float(value) == 0 else f"{float(value):.2g}"  # p-values are recorded to 6 places


def sections(report: dict[str, Any]) -> list[Section]:
    actions, measurement = report["actions"], report["measurement"]
    finals = measurement["final_verdicts"]
    totals = measurement["totals"]
    summary = Section("Summary", ["measure", "value"], [
        ["actions with activity", str(actions["total"])],
        ["executed in the period", str(actions["executed"])],
        ["final verdicts", ", ".join(f"{k} {v}" for k, v in finals.items())],
        ["success rate (successful / final verdicts)", _pct(measurement["success_rate"])],
        ["not measurable (no metric for the action type)", str(measurement["not_measurable"])],
        ["still being measured", str(measurement["being_measured"])],
        ["rollbacks", str(len(report["rollbacks"]))],
        ["pending approvals", str(len(report["pending_approvals"]))],
        ["measured change in conversions / cost", f"{totals['conversions_delta']} / {totals['cost_delta']}"],
    ])
    by_status = Section("Actions by status", ["status", "actions"],
                        [[k, str(v)] for k, v in actions["by_status"].items()])
    by_type = Section("Actions by type", ["type", "by status"],
                      [[t, ", ".join(f"{k} {v}" for k, v in c.items())] for t, c in actions["by_type"].items()])
    impact = Section(
        "Measured impact (final verdicts)",
        ["action", "type", "checkpoint", "verdict", "metric", "before", "after", "change [interval]", "control", "p"],
        [[i["action_id"], i["type"], str(i["checkpoint"]), i["verdict"] if i["measurable"] else "not measurable",
          str(i["metric"]),
          _num(i["before"], "conversions", "cost", "rate", "variant"),
          _num(i["after"], "conversions", "cost", "rate", "variant"),
          _change(i), _control(i.get("control")), _p(i["p_value"])]
         for i in measurement["impact"]],
        note="Each verdict compares equal windows of whole days after and before the action (the execution day "
             "excluded). Where a control is named, the change is the campaign's against the control of other "
             "campaigns of the same account (calibrated on 28 days before), with its interval; without one it "
             "is what was seen around the action, not proof that it caused it.")
    rollbacks = Section("Rollbacks", ["action", "type", "at", "status", "by", "reason"],
                        [[r["action_id"], r["type"], r["at"], r["status"], str(r["by"]), str(r["reason"])]
                         for r in report["rollbacks"]])
    pending = Section("Pending approvals", ["action", "org", "requested", "expires", "summary"],
                      [[p["action_id"], p["organization_id"], p["requested_at"], p["expires_at"], p["summary"]]
                       for p in report["pending_approvals"]])
    experiments = Section("Experiments", ["experiment", "campaign", "metric", "status", "winner", "reason"],
                          [[e["experiment_id"], e["campaign_id"], e["primary_metric"], e["status"],
                            str(e["winner_label"] or e["winner"] or ""), str(e["reason"] or "")]
                           for e in report["experiments"]])
    timeline = Section("Over time", ["day", "executed", "final verdicts", "rolled back", "Δ conversions"],
                       [[t["day"], str(t["executed"]), str(t["measured"]), str(t["rolled_back"]),
                         t["conversions_delta"]] for t in report["timeline"]])
    return [summary, by_status, by_type, impact, rollbacks, pending, experiments, timeline]


def _change(item: dict[str, Any]) -> str:
    if item["effect_pct"] is None:
        return ""
    interval = item.get("interval")
    if not interval:
        return f"{item['effect_pct']:+.1f} %"
    level = f"{round(float(interval['level']) * 100)} % " if interval.get("level") else ""
    return f"{item['effect_pct']:+.1f} % [{level}{interval['low_pct']:+.1f} to {interval['high_pct']:+.1f}]"


def _control(control: dict[str, Any] | None) -> str:
    if not control:
        return ""
    if control.get("kind") == "campaigns" and control.get("campaigns"):
        return "campaigns " + ", ".join(control["campaigns"])
    return f"none ({control.get('reason') or 'no comparable campaign'})"


def heading(report: dict[str, Any]) -> tuple[str, str]:
    period = report["period"]
    scope = report["organization_id"] or "all organizations"
    return (f"{report['title']} ({report['mode']})",
            f"{scope} · {period['since'][:16].replace('T', ' ')} → {period['until'][:16].replace('T', ' ')} UTC")

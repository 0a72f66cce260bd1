"""A fault scenario: one home and clock, processes built on it one after another, and the checks that
must hold once the faults are gone (no lost action, no double execution, nothing left in flight, every
landed change undoable from the log)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from connectors.base import ApprovalError
from guardrails.limits import Limits
from operator_ai.approvals import decide
from schemas.common import ActionStatus
from tests.faults.harness import IN_FLIGHT, Clock, Crash, Env, Ledger, build_env, changed, fingerprint

APPROVER = "jane@acme.example"
HOURLY_LIMIT = int(Limits().hourly_action_limit)


class Scenario:
    def __init__(self, home: Path) -> None:
        self.home = home
        self.clock = Clock()
        self.ledger: Ledger | None = None
        self.envs: list[Env] = []
        self.before: dict[tuple[str, ...], str] | None = None  # the platforms before anything ran

    def env(self, **kwargs: Any) -> Env:
        """A new process on the home (the first one seeds the samples)."""
        env = build_env(self.home, self.clock, self.ledger, **kwargs)
        if self.ledger is None:
            self.ledger = env.ledger
            self.before = fingerprint(self.ledger.db)
        self.envs.append(env)
        return env

    def restart(self, **kwargs: Any) -> Env:
        """The next process, after every claim lease of the last one ran out."""
        self.clock.advance()
        return self.env(**kwargs)

    def close(self) -> None:
        for env in self.envs:
            env.close()
        if self.ledger is not None:
            self.ledger.close()

    # ------------------------------------------------------------------ acting

    def run_until_crash(self, env: Env) -> bool:
        """Run; True when the process 'died' (a Crash escaped the run)."""
        try:
            env.run()
        except Crash:
            return True
        return False

    def approve_all(self, env: Env) -> bool:
        """Approve every pending approval (oldest first); True when the process died on the way."""
        for pending in sorted(env.services.state.list_pending(), key=lambda p: p.action_id):
            try:
                decide(env.services, pending.action_id, approve=True, approver=APPROVER)
            except ApprovalError:
                continue  # decided by an earlier process
            except Crash:
                return True
        return False

    # ------------------------------------------------------------------ checking

    def recover(self) -> Env:
        """Restart, run (settling what was left in flight), run again: both runs complete normally, the
        second sends nothing, and nothing is left EXECUTING or UNCERTAIN."""
        env = self.restart()
        summary = env.run()
        assert summary.errors == (), summary.errors
        stuck = {aid: r.status for aid, r in env.latest().items() if r.status in IN_FLIGHT}
        assert stuck == {}, f"left in flight after the next run: {stuck}"
        assert self.ledger is not None
        sent = sum(self.ledger.sends.values())
        self.clock.advance()
        again = env.run()
        assert again.errors == (), again.errors
        assert sum(self.ledger.sends.values()) == sent, "a later run sent something again"
        assert ActionStatus.EXECUTED.value not in again.counts
        return env

    def executed(self, env: Env) -> dict[str, str]:
        """action id -> opportunity id of every action whose latest row says it executed (and was not
        undone: EXECUTED or MEASURED)."""
        done = {ActionStatus.EXECUTED, ActionStatus.MEASURED}
        return {aid: r.opportunity_id or aid for aid, r in env.latest().items() if r.status in done}

    def check_ledger(self, env: Env) -> dict[str, str]:
        """No double execution, no lost action; returns the executed actions."""
        ledger = self.ledger
        assert ledger is not None
        executed = self.executed(env)
        landed = ledger.landed()
        # Sent again is allowed only after a definite "nothing landed" (5xx, 429): landing twice never is.
        assert [k for k, n in landed.items() if n > 1] == [], "an action landed twice"
        assert ledger.unlogged == [], "a change landed before its write-ahead row (with rollback plan) was durable"
        assert ledger.during_stop == []
        assert all(n <= HOURLY_LIMIT for n in ledger.busiest_hour().values()), ledger.busiest_hour()
        assert set(landed) == set(executed), (
            f"landed but not EXECUTED: {set(landed) - set(executed)}; EXECUTED but never landed: "
            f"{set(executed) - set(landed)}")
        return executed

    def check_undoable(self, env: Env) -> None:
        """Rolling back every executed action restores the platforms exactly: every landed change is in
        the log with a complete rollback plan."""
        assert self.ledger is not None and self.before is not None
        self.ledger.phase = "rollback"
        outcomes = env.rollback_all()
        assert [o for o in outcomes if o.status != "rolled_back"] == []
        assert [k for k, n in self.ledger.landed("rollback").items() if n != 1] == []
        assert changed(self.before, fingerprint(self.ledger.db)) == []
        self.ledger.phase = "forward"

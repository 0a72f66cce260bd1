"""docs/deploy.md rehearsed on the emulators, as a deployer would (issue 16): `operator init` and
`operator orgs import` with the real console script, runs through main.py's Cloud Functions entry points
under functions-framework with the environment a deployed function has, a notification target that is an
`sm:` reference read from the Secret Manager fake, then the faults: BigQuery down (the write-ahead rows wait
in Firestore and a new instance flushes them) and BigQuery and the Firestore spool both down (nothing
executes). Platforms are the sandbox, as in test_e2e_gcp.py.

Also: every `operator ...` command the guide shows exists as written, so the guide cannot silently rot.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
import types
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from connectors.bigquery import BigQueryOpportunitySource, CallPolicy
from connectors.local import LocalStore
from connectors.sandbox import SandboxWorld
from operator_ai.settings import SAMPLES_DIR
from schemas.common import ActionStatus
from tests.e2e.harness import START, Clock, Spy
from tests.http.servers import SHARED_SECRET, SIGNING_KEY, Functions, WebhookFake, clean_env
from tests.integration.test_durable_spool_gcp import BothDownAtTheWriteAhead
from tests.integration.test_e2e_gcp import RAN, fresh_firestore  # noqa: F401 (a fixture)
from tests.servers.bigquery import BigQueryEmulator
from tests.servers.procs import REPO
from tests.servers.secret_manager import FakeSecretManager

OPERATOR = str(Path(sys.executable).with_name("operator"))
GUIDE = REPO / "docs" / "deploy.md"
DATASET = "marketing_ai"
FIRST_ORGS = ("org-globex", "org-initech")  # the first scheduled run; org-acme's work arrives later


# --- the guide's commands ------------------------------------------------------------------------------

def guide_commands(text: str) -> list[list[str]]:
    """Every `operator ...` command line of the guide: in ```bash blocks (after any VAR=value prefix) and
    in inline code spans."""
    lines: list[str] = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        lines += block.replace("\\\n", " ").splitlines()
    lines += re.findall(r"`(operator [^`]+)`", text)
    commands = []
    for line in lines:
        try:
            words = shlex.split(line, comments=True)
        except ValueError:  # a heredoc or an unbalanced quote: not an operator command line
            continue
        while words and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", words[0]):
            words.pop(0)
        if words[:1] == ["operator"]:
            commands.append(words[1:])
    return commands


def test_the_guide_parser_finds_the_commands_it_should() -> None:
    found = guide_commands("```bash\nX=1 Y=\"a b\" operator init   # make it\noperator orgs import f.yaml \\\n"
                           "  --actor me\ngcloud x\n```\nthen `operator doctor --json` and `gcloud y`.")
    assert found == [["init"], ["orgs", "import", "f.yaml", "--actor", "me"], ["doctor", "--json"]]


def test_every_operator_command_in_the_deploy_guide_exists_as_written() -> None:
    commands = guide_commands(GUIDE.read_text())
    # the steps this rehearsal follows are in the guide (a rewrite that drops them must update this test)
    assert {("init",), ("orgs", "validate"), ("orgs", "import"), ("orgs", "list"), ("orgs", "show")} <= {
        tuple(c[:2]) if c[:1] == ["orgs"] else tuple(c[:1]) for c in commands}
    for command in dict.fromkeys(tuple(c) for c in commands):  # each distinct line once
        # click parses the whole line (unknown command or option: exit 2) before the eager --help answers
        done = subprocess.run([OPERATOR, *command, "--help"], env=clean_env({}), capture_output=True, text=True,
                              timeout=60, cwd=REPO)
        assert done.returncode == 0, f"`operator {shlex.join(list(command))}` from docs/deploy.md: {done.stderr}"


# --- the rehearsal -------------------------------------------------------------------------------------

class Rehearsal:
    """One deployment on the emulators: a file-backed BigQuery of its own (so it can be stopped and started
    again), the session's Firestore, the Secret Manager fake and a webhook for the orgs' notifications."""

    def __init__(self, tmp_path: Path, firestore_host: str):
        self.tmp = tmp_path
        self.clock = Clock(START)
        self.bigquery = BigQueryEmulator(tmp_path / "bq-logs", data_dir=tmp_path / "bq-data").start()
        self.secrets = FakeSecretManager(project=self.bigquery.project).start()
        self.webhook = WebhookFake()
        self.firestore_host = firestore_host
        self.home = tmp_path / "home"
        self.functions: list[Functions] = []

    def env(self) -> dict[str, str]:
        """What a deployed function (and the deployer's shell) has: docs/deploy.md step 7 on the emulators."""
        return clean_env({
            "OPERATOR_BACKEND": "gcp", "OPERATOR_PLATFORMS": "sandbox", "OPERATOR_GCP_PROJECT": self.bigquery.project,
            "OPERATOR_BQ_DATASET": DATASET, "OPERATOR_BQ_ENDPOINT": self.bigquery.endpoint,
            "OPERATOR_BQ_LOCATION": "EU", "FIRESTORE_EMULATOR_HOST": self.firestore_host,
            "OPERATOR_SECRET_MANAGER_ENDPOINT": self.secrets.endpoint, "OPERATOR_HOME": str(self.home),
            "OPERATOR_SHARED_SECRET": SHARED_SECRET, "OPERATOR_APPROVAL_SIGNING_KEY": SIGNING_KEY,
            "OPERATOR_NOW": self.clock().isoformat(), "K_SERVICE": "run-operator",
        })

    def operator(self, *args: str) -> subprocess.CompletedProcess[str]:
        """The console script, from an empty directory, as the guide runs it."""
        cwd = self.tmp / "deployer"
        cwd.mkdir(exist_ok=True)
        return subprocess.run([OPERATOR, *args], env=self.env(), capture_output=True, text=True, timeout=120, cwd=cwd)

    def scheduled_run(self) -> tuple[int, dict[str, Any]]:
        """Cloud Scheduler's POST to a fresh `run_operator` instance (a new process)."""
        functions = Functions(self.tmp / f"ff-{len(self.functions)}", self.env())
        (self.tmp / f"ff-{len(self.functions)}").mkdir()
        self.functions.append(functions)
        functions.start(["run_operator"])
        try:
            answer = requests.post(functions.url("run_operator"), json={}, timeout=240,
                                   headers={"X-Operator-Secret": SHARED_SECRET})
        finally:
            functions.stop()
        return answer.status_code, answer.json() if answer.content else {}

    def bigquery_client(self) -> Any:
        return self.bigquery.client()

    def rows(self) -> list[dict[str, Any]]:
        client = self.bigquery_client()
        return [dict(r) for r in client.query_and_wait(
            f"SELECT action_id, organization_id, status, event_id FROM `{self.bigquery.project}.{DATASET}.actions_log`")]

    def close(self) -> None:
        for functions in self.functions:
            functions.stop()
        self.webhook.close()
        self.secrets.stop()
        self.bigquery.stop()


@pytest.fixture
def rehearsal(fresh_firestore: str, tmp_path: Path) -> Iterator[Rehearsal]:  # noqa: F811 (the fixture)
    setup = Rehearsal(tmp_path, fresh_firestore)
    yield setup
    setup.close()


def _orgs_file(path: Path) -> Path:
    """The sample orgs as a deployer keeps them: webhooks and an AC token named as Secret Manager references."""
    document = yaml.safe_load((SAMPLES_DIR / "orgs.yaml").read_text())
    for org in document["organizations"]:
        org["notification_target"] = f"sm:{org['organization_id']}-slack-webhook"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def _opportunities(orgs: tuple[str, ...]) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in (SAMPLES_DIR / "opportunities.jsonl").read_text().splitlines() if line.strip()]
    return [r for r in rows if isinstance(r, dict) and r.get("organization_id") in orgs]


class InProcessInstance:
    """A `run_operator` instance in this process (functions-framework's app for main.py), so the test can
    wrap its platform connectors and take the stores away at a chosen moment."""

    def __init__(self, rehearsal: Rehearsal, monkeypatch: pytest.MonkeyPatch):
        import functions_framework

        from operator_ai.http import runtime as runtime_module

        for name, value in rehearsal.env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.setattr(runtime_module, "_runtime", None)
        self.runtime = runtime_module.runtime()
        self.services = services = self.runtime.services
        self.applied: list[str] = []
        self.after_apply: Any = None
        services.connectors.update({p: Spy(c, rehearsal.clock, after_apply=self._after)  # type: ignore[misc]
                                    for p, c in services.connectors.items()})
        for store in (services.log.inner, services.opportunities, services.extras["experiments"]):  # type: ignore[attr-defined]
            store.policy = CallPolicy(timeout_s=1, deadline_s=2)  # fail in seconds, not the production minute
        self.app = functions_framework.create_app("run_operator", str(REPO / "main.py"), "http")
        self.monkeypatch = monkeypatch
        self.module = runtime_module

    def _after(self, spy: Spy, call: Any) -> None:
        if not call.validate_only:
            self.applied.extend(call.keys)
            if self.after_apply is not None:
                self.after_apply(call)

    def run(self) -> int:
        answer = self.app.test_client().post("/", json={}, headers={"X-Operator-Secret": SHARED_SECRET})
        return answer.status_code

    def discard(self) -> None:
        """The instance is gone, and whatever it kept in memory with it."""
        self.services.close()
        self.module._runtime = None


def test_the_deploy_guide_rehearsed_on_the_emulators(rehearsal: Rehearsal, monkeypatch: pytest.MonkeyPatch) -> None:
    r = rehearsal
    project = r.bigquery.project

    # step 4: the stores and the organizations, with the real CLI
    init = r.operator("init")
    assert init.returncode == 0, init.stderr
    assert f"{project}.{DATASET} (EU)" in init.stdout
    orgs = _orgs_file(r.tmp / "orgs.yaml")
    validated = r.operator("orgs", "validate", str(orgs))
    assert validated.returncode == 0, validated.stdout + validated.stderr
    imported = r.operator("orgs", "import", str(orgs), "--actor", "deployer@acme.example")
    assert imported.returncode == 0, imported.stdout + imported.stderr
    shown = r.operator("orgs", "show", "org-globex")
    assert shown.returncode == 0 and "deployer@acme.example" in shown.stdout, shown.stdout + shown.stderr

    # step 5: the orgs' webhooks live in Secret Manager, named by `sm:` references in the imported file
    for org in ("org-acme", "org-globex", "org-initech"):
        r.secrets.add(f"{org}-slack-webhook", r.webhook.url + org)

    # what Scout and the sandbox accounts put in place (platforms are the sandbox, as in test_e2e_gcp.py)
    scout = BigQueryOpportunitySource(r.bigquery_client(), project, DATASET)
    assert scout.load_opportunities(_opportunities(FIRST_ORGS)) > 0
    sandbox = LocalStore.open(r.home / "sandbox.sqlite")
    SandboxWorld(sandbox, clock=r.clock).seed_fixture(SAMPLES_DIR / "sandbox.json", r.clock())
    sandbox.close()

    # a scheduled run through the entry point, in its own functions-framework process
    status, body = r.scheduled_run()
    assert status == 200, body
    first_rows = r.rows()
    assert {row["organization_id"] for row in first_rows} == set(FIRST_ORGS)
    assert r.webhook.messages, "the orgs' notifications reached the webhook named in Secret Manager"
    assert r.secrets.calls(f"projects/{project}/secrets/org-globex-slack-webhook/versions/latest") >= 1

    # org-acme's approved work arrives; the next instance loses BigQuery and its spool at the write-ahead row
    assert scout.load_opportunities(_opportunities(("org-acme",))) > 0
    r.clock.advance(minutes=15)
    both_down = InProcessInstance(r, monkeypatch)
    fault = BothDownAtTheWriteAhead(types.SimpleNamespace(services=both_down.services, bigquery=r.bigquery),  # type: ignore[arg-type]
                                    monkeypatch)
    both_down.run()
    assert fault.fired, "the run reached a write-ahead row"
    assert both_down.applied == []  # no platform call without a durable write-ahead row
    both_down.discard()
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", r.firestore_host)

    # BigQuery is back; the next instance loses it right after its first platform call
    r.bigquery.start()
    lease = timedelta(seconds=both_down.services.settings.claim_lease_s)
    r.clock.advance(seconds=lease.total_seconds() + 60)  # the dead run's claims have expired
    losing = InProcessInstance(r, monkeypatch)
    stopped: list[str] = []

    def stop_bigquery(call: Any) -> None:
        if not stopped:
            stopped.extend(call.keys)
            r.bigquery.stop()

    losing.after_apply = stop_bigquery
    losing.run()
    assert stopped, "the run reached a platform call before BigQuery went"
    spooled = {rec.action_id: rec.status for _, records in losing.services.log.spool.read()  # type: ignore[attr-defined]
               for rec in records}
    assert set(stopped) <= set(spooled) and {spooled[a] for a in stopped} <= set(RAN)
    assert not any((r.tmp).glob("**/outbox/**/*.jsonl"))  # nothing on the instance's disk
    losing.discard()

    # BigQuery back; a new process (the scheduler's next call) flushes the Firestore spool first
    r.bigquery.start()
    r.clock.advance(minutes=15)
    status, body = r.scheduled_run()
    assert status == 200, body
    latest = {}
    for row in r.rows():
        latest.setdefault(row["action_id"], []).append(row["status"])
    assert all(any(s in {x.value for x in RAN} for s in latest[a]) for a in stopped)
    rows = r.rows()
    assert len(rows) == len({row["event_id"] for row in rows})  # every row once
    executions: dict[str, int] = {}
    for row in rows:
        if row["status"] == ActionStatus.EXECUTED.value:
            executions[row["action_id"]] = executions.get(row["action_id"], 0) + 1
    assert set(executions.values()) <= {1}  # nothing executed twice, across four instances

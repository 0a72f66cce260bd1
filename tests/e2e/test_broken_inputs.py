"""Issue 13.2: a broken input file never disables the emergency stop (nor `resume`, `status`, `log`,
`rollback`); the errors belong to `run`/`plan`, in plain words with the file and the line.

Through the installed `operator` console script (a subprocess, as a person at a terminal), and a property
test through the real entry point (`operator_ai.cli.main`) in-process, to keep many examples cheap.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.local import LocalStore

OPERATOR = Path(sys.executable).with_name("operator")

LOOSENING_ORGS = """\
# one organization that tries to loosen a hard limit
organizations:
  - organization_id: org-loose
    name: Loose Ltd
    autonomy: autonomous
    limits:
      org_daily_budget_cap: "100"
      budget_increase_block_pct: "80"
"""


def _operator(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(OPERATOR), *args], env=env, capture_output=True, text=True, timeout=120, check=False)
    assert "Traceback" not in done.stderr, done.stderr
    return done


def _global_stop(home: Path) -> bool:
    store = LocalStore.open(home / "operator.sqlite")
    try:
        active = store.kill_switches("org-acme").global_switch
        return bool(active and active.active)
    finally:
        store.close()


def test_stop_and_the_other_control_commands_work_with_broken_input_files(tmp_path: Path) -> None:
    home = tmp_path / "home"
    base = {k: v for k, v in os.environ.items() if not k.startswith(("OPERATOR_", "ANTHROPIC_"))}
    base.update(OPERATOR_HOME=str(home), OPERATOR_USER="ops@acme.example")
    first = _operator(base, "run", "--json")  # an installation with history: something to show and roll back
    assert first.returncode == 0, first.stderr
    executed = next(a["action_id"] for a in json.loads(first.stdout)["actions"] if a["status"] == "EXECUTED")
    orgs = tmp_path / "orgs.yaml"
    orgs.write_text(LOOSENING_ORGS, encoding="utf-8")
    missing_orgs, missing_opportunities = tmp_path / "no-such-orgs.yaml", tmp_path / "gone.jsonl"
    broken = [  # (the broken setting, what `run` says about it)
        ("OPERATOR_ORGS_FILE", orgs, f"error: orgs file {orgs}, line 8: organization #1 (org-loose): limit "
                                     "`budget_increase_block_pct` 80 loosens the default 50"),
        ("OPERATOR_ORGS_FILE", missing_orgs, f"error: orgs file {missing_orgs}: does not exist"),
        ("OPERATOR_OPPORTUNITIES_FILE", missing_opportunities,
         f"error: opportunities file {missing_opportunities}: does not exist"),
    ]
    for name, value, expected in broken:
        env = {**base, name: str(value)}
        stop = _operator(env, "stop", "--reason", "incident")
        assert stop.returncode == 0 and "kill switch global ON" in stop.stdout, (name, value, stop.stderr)
        assert _global_stop(home)
        refused = _operator(env, "run")  # the file's errors belong to run (and plan), in plain words
        message = refused.stderr.strip()
        assert refused.returncode == 1 and message.startswith(expected), (name, value, message)
        assert "Error:" not in message and "Exception" not in message, message
    env = {**base, "OPERATOR_ORGS_FILE": str(orgs), "OPERATOR_OPPORTUNITIES_FILE": str(missing_opportunities)}
    status = _operator(env, "status", "--json")
    assert status.returncode == 0, status.stderr
    assert {o["kill_switch"]["reason"] for o in json.loads(status.stdout)["organizations"]} == {"incident"}
    log = _operator(env, "log", "--json")
    assert log.returncode == 0 and executed in {r["action_id"] for r in json.loads(log.stdout)}
    preview = _operator(env, "rollback", executed, "--dry-run", "--json")
    assert preview.returncode == 0 and json.loads(preview.stdout)[0]["action_id"] == executed, preview.stderr
    resume = _operator(env, "resume")
    assert resume.returncode == 0 and not _global_stop(home)
    plan = _operator(env, "plan")
    assert plan.returncode == 1 and plan.stderr.startswith(f"error: orgs file {orgs}, line 8:"), plan.stderr


# --------------------------------------------------------------------------- property: the stop always engages

_ORG_LINES = st.sampled_from([
    "organizations:\n  - organization_id: org-p\n    limits: {budget_increase_block_pct: 95}\n",
    "organizations:\n  - organization_id: org-p\n    limits: {max_actions_per_hour: 100000}\n",
    "organizations:\n  - organization_id: Not Valid\n",
    "organizations: [\n",
    "organizations: 3\n",
    "{\"organizations\": [{\"organization_id\": \"org-p\", \"autonomy\": \"yolo\"}]}",
    "- - - : : :\n\t\tbad",
])
_CONTENT = st.one_of(
    st.just(None),  # missing
    st.just("dir"),  # a directory where a file should be
    st.binary(max_size=200),  # garbage bytes
    st.text(max_size=200),  # anything as text
    _ORG_LINES,
    st.builds(lambda depth: "[" * depth + "]" * depth, st.integers(500, 5000)),  # deep nesting
)


def _place(path: Path, content: object) -> None:
    if content is None:
        return
    if content == "dir":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(str(content), encoding="utf-8")


@given(orgs=_CONTENT, orgs_suffix=st.sampled_from([".yaml", ".json", ".yml"]), opportunities=_CONTENT,
       opportunities_suffix=st.sampled_from([".jsonl", ".json"]), scoped=st.booleans())
def test_random_broken_files_never_stop_the_stop(tmp_path_factory: pytest.TempPathFactory, orgs: object,
                                                 orgs_suffix: str, opportunities: object, opportunities_suffix: str,
                                                 scoped: bool) -> None:
    from operator_ai.cli import main

    where = tmp_path_factory.mktemp("broken")
    home = where / "home"
    first = LocalStore.open(home / "operator.sqlite")  # an org known to the store, as after earlier runs
    try:
        from connectors.local import load_orgs
        from operator_ai.settings import SAMPLES_DIR

        first.put_org(load_orgs(SAMPLES_DIR / "orgs.yaml")[0])
    finally:
        first.close()
    orgs_path, opportunities_path = where / f"orgs{orgs_suffix}", where / f"opps{opportunities_suffix}"
    _place(orgs_path, orgs)
    _place(opportunities_path, opportunities)
    args = ["stop", "--reason", "drill", *(["--org", "org-acme"] if scoped else [])]
    with pytest.MonkeyPatch.context() as patch:
        for name in [n for n in os.environ if n.startswith("OPERATOR_")]:
            patch.delenv(name)
        patch.setenv("OPERATOR_HOME", str(home))
        patch.setenv("OPERATOR_ORGS_FILE", str(orgs_path))
        patch.setenv("OPERATOR_OPPORTUNITIES_FILE", str(opportunities_path))
        patch.setattr(sys, "argv", ["operator", *args])
        with pytest.raises(SystemExit) as exit_info:
            main()
    assert exit_info.value.code in (0, None)
    store = LocalStore.open(home / "operator.sqlite")
    try:
        state = store.kill_switches("org-acme")
        switch = state.org_switch if scoped else state.global_switch
        assert switch is not None and switch.active and switch.reason == "drill"
    finally:
        store.close()

"""Install as a user does: build the wheel, install it into a clean venv, run commands from an empty directory.

The tests elsewhere run on the editable install, where every file of the source tree is reachable; here the
Operator's code comes only from the wheel. To stay fast, the venv gets the wheel with `--no-deps` and sees
the test interpreter's installed dependencies through a `.pth` line (a directory on the path, so the
editable install's own `.pth` hook there is not run): the Operator itself must import from the new venv.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("pyproject.toml", "README.md", "main.py", "operator_ai", "connectors", "guardrails", "rollback",
           "schemas", "sql")


def _run(args: list[str], *, cwd: Path, env: dict[str, str] | None = None,
         code: int = 0) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == code, (args, done.returncode, done.stdout[-3000:], done.stderr[-3000:])
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv holding the freshly built wheel (built from a copy of the sources: no stale build/ dir)."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "src"
    source.mkdir()
    for name in SOURCES:
        origin = ROOT / name
        if origin.is_dir():
            shutil.copytree(origin, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(origin, source / name)
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w",
          str(base / "dist"), str(source)], cwd=base)
    wheel = next((base / "dist").glob("operator_ai-*.whl"))
    venv = base / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=base)
    python = venv / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", str(wheel)], cwd=base)
    target = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                       cwd=base).stdout.strip())
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (target / "zz_test_dependencies.pth").write_text("\n".join(sorted(deps)) + "\n", encoding="utf-8")
    return venv


def _clean_env(home: Path) -> dict[str, str]:
    """Only OPERATOR_HOME (plus PATH/HOME so a process can start): what a new user has."""
    return {"PATH": "/usr/bin:/bin", "HOME": str(home.parent), "OPERATOR_HOME": str(home)}


def test_the_code_runs_from_the_wheel_not_the_source_tree(installed: Path, tmp_path: Path) -> None:
    where = _run([str(installed / "bin" / "python"), "-c",
                  "import operator_ai, sql, connectors; print(operator_ai.__file__); print(sql.__file__)"],
                 cwd=tmp_path, env=_clean_env(tmp_path / "home")).stdout.split()
    assert all(path.startswith(str(installed)) for path in where), where


def test_version_run_and_status_from_an_empty_directory(installed: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    home = tmp_path / "home"
    env = _clean_env(home)
    operator = str(installed / "bin" / "operator")

    version = _run([operator, "--version"], cwd=empty, env=env).stdout
    assert "operator" in version and "0." in version

    ran = json.loads(_run([operator, "run", "--json"], cwd=empty, env=env).stdout)
    assert ran["counts"].get("EXECUTED", 0) > 0, ran["counts"]
    status = json.loads(_run([operator, "status", "--json"], cwd=empty, env=env).stdout)
    assert status["organizations"], status
    assert str(home / "operator.sqlite") in json.dumps(status["store"])
    assert os.listdir(empty) == []  # nothing written where the command was run

"""main.py is the Cloud Functions surface only: it may import operator_ai and nothing else of ours,
and importing it must not load google-ads (cold start)."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OURS = {"connectors", "guardrails", "rollback", "schemas"}


def test_main_imports_only_operator_ai() -> None:
    tree = ast.parse((ROOT / "main.py").read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert "operator_ai" in imported
    assert not imported & OURS, f"main.py must go through operator_ai, not {imported & OURS}"


def test_import_main_does_not_load_google_ads() -> None:
    code = "import sys, main, operator_ai, connectors; print(any(m.startswith('google.ads') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_import_main_does_not_load_the_statistics_libraries() -> None:
    """numpy/scipy/statsmodels are imported inside measurement when a verdict is computed, not at cold start."""
    code = ("import sys, main, operator_ai.measurement; "
            "print(sorted(m for m in ('numpy', 'scipy', 'statsmodels') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

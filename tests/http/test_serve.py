"""`operator serve`: functions-framework on 127.0.0.1 against the embedded default, with a login link."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from pathlib import Path

import requests

from tests.http.servers import clean_env, wait_for
from tests.servers.procs import ManagedProcess, free_port

OPERATOR = str(Path(sys.executable).with_name("operator"))


def _closed(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return True
    return False


def test_serve_prints_a_login_link_and_serves_the_page_and_run_endpoint(home: Path, tmp_path: Path) -> None:
    port, run_port = free_port(), free_port()
    serve = ManagedProcess("operator serve", [OPERATOR, "serve", "--port", str(port), "--run-port", str(run_port),
                                              "--approver", "jane@acme.example", "--org", "org-acme", "--run"],
                           tmp_path / "serve.log", clean_env({"OPERATOR_HOME": str(home)}))
    serve.start()
    try:
        output = wait_for(lambda: "Press Ctrl-C" in (text := serve.log_path.read_text()) and text, timeout_s=90,
                          what="operator serve to print its URLs")
        login = re.search(r"org-acme: (http://127\.0\.0\.1:\d+/\?login=\S+)", output)
        secret = re.search(r"X-Operator-Secret: (\S+)'", output)
        assert login and secret, output
        assert "org-globex:" not in output  # --org: only the organizations asked for
        session = requests.Session()
        page = session.get(login.group(1), timeout=30)
        assert page.status_code == 200 and page.url == f"http://127.0.0.1:{port}/"
        assert "Signed in as <b>jane@acme.example</b>" in page.text and "wait for your decision" in page.text
        run = requests.post(f"http://127.0.0.1:{run_port}/", headers={"X-Operator-Secret": secret.group(1)},
                            json={"dry_run": True}, timeout=60)
        assert run.status_code == 200 and run.json()["dry_run"] is True
        assert requests.post(f"http://127.0.0.1:{run_port}/", timeout=30).status_code == 401
    finally:
        serve.stop()
    assert _closed(port) and _closed(run_port)


def test_serve_refuses_a_machine_approver(home: Path) -> None:
    done = subprocess.run([OPERATOR, "serve", "--approver", "claude"], capture_output=True, text=True, timeout=60,
                          env=clean_env({"OPERATOR_HOME": str(home)}))
    assert done.returncode == 2 and "human approver" in done.stderr

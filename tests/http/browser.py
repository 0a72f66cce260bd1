"""Headless Chromium driven through chromedriver's W3C WebDriver HTTP API with `requests` (no Selenium:
the protocol is plain JSON over HTTP). Debian's `chromium` and `chromium-driver`; both on 127.0.0.1."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path
from typing import Any

import requests

from tests.servers.procs import ManagedProcess, ServerStartError, free_port

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"  # the W3C web element identifier
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1100,1800"]


class WebDriverError(AssertionError):
    pass


class Browser:
    def __init__(self, work_dir: Path):
        chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
        if not chromium or not driver:
            raise ServerStartError("the browser test needs Debian's chromium and chromium-driver "
                                   "(apt-get install -y chromium chromium-driver; ./dev test does it)")
        self.chromium = chromium
        self.work_dir = work_dir
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.driver = ManagedProcess("chromedriver", [driver, f"--port={self.port}", "--allowed-ips=127.0.0.1"],
                                     work_dir / "chromedriver.log")
        self.session: str | None = None

    def start(self) -> Browser:
        self.driver.start()
        self.driver.wait_http(f"{self.base}/status", timeout_s=30)
        options = {"binary": self.chromium, "args": [*FLAGS, f"--user-data-dir={self.work_dir / 'profile'}"]}
        answer = self._call("POST", "/session", {"capabilities": {"alwaysMatch": {
            "browserName": "chrome", "goog:chromeOptions": options}}})
        self.session = answer["sessionId"]
        return self

    def stop(self) -> None:
        try:
            if self.session:
                self._call("DELETE", f"/session/{self.session}")
        finally:
            self.session = None
            self.driver.stop()

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = requests.request(method, self.base + path, json=body, timeout=60)
        value = response.json().get("value")
        if response.status_code != 200:
            raise WebDriverError(f"{method} {path}: {response.status_code} {value}")
        return value

    def _s(self, path: str) -> str:
        return f"/session/{self.session}{path}"

    def open(self, url: str) -> None:
        self._call("POST", self._s("/url"), {"url": url})

    def find(self, css: str) -> str:
        return str(self._call("POST", self._s("/element"), {"using": "css selector", "value": css})[ELEMENT])

    def find_all(self, css: str) -> list[str]:
        return [e[ELEMENT] for e in self._call("POST", self._s("/elements"), {"using": "css selector", "value": css})]

    def find_in(self, element: str, css: str) -> str:
        found = self._call("POST", self._s(f"/element/{element}/element"), {"using": "css selector", "value": css})
        return str(found[ELEMENT])

    def text(self, element: str) -> str:
        return str(self._call("GET", self._s(f"/element/{element}/text")))

    def click(self, element: str) -> None:
        self._call("POST", self._s(f"/element/{element}/click"), {})

    def type(self, element: str, text: str) -> None:
        self._call("POST", self._s(f"/element/{element}/value"), {"text": text})

    def resize(self, width: int, height: int) -> None:
        self._call("POST", self._s("/window/rect"), {"width": width, "height": height})

    def run_script(self, script: str) -> Any:
        """WebDriver's own script channel (not the page's: the console's CSP allows no script)."""
        return self._call("POST", self._s("/execute/sync"), {"script": script, "args": []})

    def title(self) -> str:
        return str(self._call("GET", self._s("/title")))

    def current_url(self) -> str:
        return str(self._call("GET", self._s("/url")))

    def alert_open(self) -> bool:
        try:
            self._call("GET", self._s("/alert/text"))
        except WebDriverError:
            return False
        return True

    def screenshot(self, path: Path) -> Path:
        path.write_bytes(base64.b64decode(self._call("GET", self._s("/screenshot"))))
        return path

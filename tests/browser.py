"""A real headless Chromium driven over WebDriver (``chromedriver``), for the HTML report's tests and screenshots.

Debian's ``chromium`` and ``chromium-driver`` packages (``apt-get install -y chromium chromium-driver``
as root; ``.ci/run`` installs them). The browser starts with a fresh profile, no network
services of its own and every host name unresolvable, so a page that tried to load anything
from elsewhere would fail visibly, and Chrome's performance log lists every request it made.
The WebDriver protocol is spoken with ``urllib`` (no Selenium needed).

    python -m tests.browser reports/claims.html docs/report-screenshots   # the screenshots in docs/
"""

from __future__ import annotations

import base64
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND",  # no host name resolves: nothing can be fetched from elsewhere
]


def missing() -> str | None:
    """Why Chromium cannot be driven here (None: it can)."""
    if shutil.which("chromium") is None or shutil.which("chromedriver") is None:
        return "Chromium is not installed (apt-get install -y chromium chromium-driver, as root; .ci/run does)"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Chromium:
    """One headless Chromium session: ``open``, ``run`` (JavaScript), ``screenshot``, ``requests``, ``close``."""

    def __init__(self, *, width: int = 1400, height: int = 1000) -> None:
        self._profile = tempfile.mkdtemp(prefix="chromium-profile-")
        self._port = _free_port()
        self._driver = subprocess.Popen(
            ["chromedriver", f"--port={self._port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self._wait_ready()
        caps = {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": shutil.which("chromium"),
                "args": [*FLAGS, f"--user-data-dir={self._profile}", f"--window-size={width},{height}"],
            },
            "goog:loggingPrefs": {"performance": "ALL"},
        }
        session = self._call("POST", "/session", {"capabilities": {"alwaysMatch": caps}})
        self._session = session["sessionId"]

    def _wait_ready(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self._call("GET", "/status")["ready"]:
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("chromedriver did not start")

    def _call(self, method: str, path: str, body: dict | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self._port}{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())["value"]

    def open(self, url: str) -> None:
        """Load ``url`` and wait for the page to finish loading."""
        self._call("POST", f"/session/{self._session}/url", {"url": url})

    def run(self, script: str, *args: Any) -> Any:
        """Run JavaScript in the page (``return ...`` gives a value back)."""
        return self._call("POST", f"/session/{self._session}/execute/sync", {"script": script, "args": list(args)})

    def screenshot(self, path: Path) -> bytes:
        """Save a PNG of the viewport to ``path`` and return its bytes."""
        png = base64.b64decode(self._call("GET", f"/session/{self._session}/screenshot"))
        path.write_bytes(png)
        return png

    def requests(self) -> list[str]:
        """URLs of every request the page has made since the last call (Chrome's performance log)."""
        entries = self._call("POST", f"/session/{self._session}/se/log", {"type": "performance"})
        urls = []
        for entry in entries:
            message = json.loads(entry["message"])["message"]
            if message.get("method") == "Network.requestWillBeSent":
                urls.append(message["params"]["request"]["url"])
        return urls

    def close(self) -> None:
        try:
            self._call("DELETE", f"/session/{self._session}")
        finally:
            self._driver.terminate()
            self._driver.wait(timeout=10)
            shutil.rmtree(self._profile, ignore_errors=True)

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def screenshots(html: Path, out: Path) -> list[Path]:
    """The report's screenshots for the docs: the top, one document's sheet, one claim's details."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    with Chromium(width=1500, height=1050) as browser:
        browser.open(html.resolve().as_uri())
        paths.append(out / "report-top.png")
        browser.screenshot(paths[-1])
        browser.run("document.getElementById('doc-002').scrollIntoView()")
        paths.append(out / "document-002.png")
        browser.screenshot(paths[-1])
        browser.open(html.resolve().as_uri() + "#002.relu1.median_epochs_p0")
        browser.run("document.getElementById('002.relu1.median_epochs_p0').scrollIntoView()")
        paths.append(out / "claim-details.png")
        browser.screenshot(paths[-1])
        browser.open(html.resolve().as_uri())
        browser.run(
            "for (const b of document.querySelectorAll('input[name=category]')) { b.checked = b.value === 'depends'; "
            "b.dispatchEvent(new Event('change')); }"
            "document.querySelector('section.sec:not([hidden])').scrollIntoView()"
        )
        paths.append(out / "filtered-depends.png")
        browser.screenshot(paths[-1])
    return paths


if __name__ == "__main__":
    for p in screenshots(Path(sys.argv[1]), Path(sys.argv[2])):
        print(p)

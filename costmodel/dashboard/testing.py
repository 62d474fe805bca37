"""Helpers for testing the dashboard with ``streamlit.testing.v1.AppTest``."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from . import state

#: The entry script, as ``streamlit run`` gets it.
ENTRY = Path(__file__).parent / "app.py"


def new_session(trials: int = 1_024, *, timeout: float = 30) -> AppTest:
    """A fresh dashboard session (not yet run) with a small trial count."""
    app = AppTest.from_file(str(ENTRY), default_timeout=timeout)
    app.session_state[state.TRIALS] = trials
    return app


def editor_key(path: str, part: str = "", revision: int = 1) -> str:
    """The widget key of an editor field in a session at ``revision`` (1 after the
    first file is opened)."""
    return f"edit.{revision}.{path}" + (f".{part}" if part else "")


def amount(text: str) -> float:
    """A formatted amount back to a number: ``"−$3,838"`` → ``-3838.0``."""
    digits = "".join(ch for ch in text.replace("−", "-") if ch in "-0123456789.")
    return float(digits)


def expected_npv(app: AppTest) -> dict[str, float]:
    """Expected NPV per strategy: from the result strip of an editing page
    (``Expected NPV — <strategy>``) or the Overview's cards (``Expected NPV`` under the
    card's heading, in strategy order)."""
    out = {}
    for metric in app.metric:
        if metric.label.startswith("Expected NPV — "):
            out[metric.label.removeprefix("Expected NPV — ")] = amount(metric.value)
    if out:
        return out
    headings = [m.value.split("] ", 1)[1] for m in app.markdown
                if m.value.startswith("#### :")]
    values = [amount(m.value) for m in app.metric if m.label == "Expected NPV"]
    return dict(zip(headings, values, strict=True))


# --- a served dashboard, for browser tests and the speed benchmark ---------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ("--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage")
#: The app has finished a run and drawn its charts.
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
CHART = ".js-plotly-plot .main-svg"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """``streamlit run`` of the dashboard on 127.0.0.1, headless, its output in a file.

    Use as a context manager; it stops the process it started (by its id) on exit.
    """

    def __init__(self, log: Path, port: int | None = None, scenario: Path | None = None):
        self.port = port or free_port()
        self.log = log
        self.scenario = scenario
        self.process = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Server:
        import subprocess
        import sys
        import time
        import urllib.request

        command = [sys.executable, "-m", "streamlit", "run", str(ENTRY),
                   "--server.headless", "true", "--server.address", "127.0.0.1",
                   "--server.port", str(self.port), "--browser.gatherUsageStats", "false",
                   "--server.fileWatcherType", "none"]
        if self.scenario is not None:
            command += ["--", "--scenario", str(self.scenario)]
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,
                                            cwd=Path(__file__).resolve().parents[2])
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"streamlit exited: {self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as reply:
                    if reply.status == 200:
                        return self
            except OSError:
                time.sleep(0.3)
        self.__exit__()
        raise RuntimeError(f"streamlit did not start within 60 s: {self.log.read_text()}")

    def __exit__(self, *exc_info) -> None:
        import subprocess

        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:  # still running: stop it for good
                self.process.kill()
                self.process.wait()

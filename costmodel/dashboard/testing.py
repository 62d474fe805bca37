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
    """Expected NPV per strategy from the page's metrics (cards or result strip)."""
    out = {}
    for metric in app.metric:
        if metric.label.startswith("Expected NPV — "):
            out[metric.label.removeprefix("Expected NPV — ")] = amount(metric.value)
    return out

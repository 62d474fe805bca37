"""The dashboard's one entry point: page setup, sidebar and navigation."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from . import sidebar, state

PAGES = Path(__file__).parent / "views"

#: (file, title, icon) of every page, in menu order.
PAGE_LIST = (
    ("overview.py", "Overview", ":material/dashboard:"),
    ("costs_benefits.py", "Costs and benefits", ":material/payments:"),
    ("adoption_rollout.py", "Adoption and rollout", ":material/groups:"),
    ("funding_budget.py", "Funding and budget", ":material/account_balance:"),
    ("uncertainty_risks.py", "Uncertainty and risks", ":material/warning:"),
    ("sensitivity.py", "Sensitivity", ":material/tune:"),
    ("compare.py", "Compare", ":material/compare_arrows:"),
    ("export.py", "Export", ":material/download:"),
)


def main() -> None:
    """Run one pass of the dashboard script."""
    st.set_page_config(page_title="costmodel — AI adoption cost-benefit", layout="wide",
                       page_icon=":material/calculate:", initial_sidebar_state="expanded")
    state.ensure_started()
    pages = [st.Page(PAGES / name, title=title, icon=icon, default=k == 0)
             for k, (name, title, icon) in enumerate(PAGE_LIST)]
    page = st.navigation(pages)
    slot = sidebar.render()
    try:
        page.run()
    finally:  # also after st.stop() or st.rerun(): the status reflects applied edits
        sidebar.render_status(slot)
